//! What one event tells the projection, whatever the event's shape, and the event time parser.

use serde::{Deserialize, Serialize};

use crate::catalog::CourseId;

/// One fact about one learner in one course at one time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The edX user id the fact is about: the payload's `user_id` for enrollment and grade
    /// events (staff and background tasks emit those for a learner), else the event's own user.
    /// `None` for an anonymous event; the caller maps it to an ECO sub or drops it.
    pub user: Option<String>,
    pub course: CourseId,
    /// Milliseconds since the Unix epoch, UTC.
    pub time_ms: i64,
    pub fact: Fact,
}

/// The kinds of fact the projection keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Fact {
    /// `edx.course.enrollment.activated` (true) or `.deactivated` (false).
    Enrollment { active: bool },
    /// Any activity of the learner in the course; `block` is the usage key of the block it
    /// names, when it names one (the old API counted one row per block with state).
    Visit { block: Option<String> },
    /// The course grade as a percent, 0–100. The LMS sends a fraction 0–1
    /// (`percent_grade` of `edx.grades.course.grade_calculated`); it is scaled on reading.
    Grade { percent: f64 },
    /// The learner passed the course (`edx.course.grade.passed.first_time`, or
    /// `edx.course.grade.now_passed`, whose earliest time is the same when both are seen).
    Passed,
    /// A server-side `problem_check`: a visit of the problem, and its score then (`grade` of
    /// `max_grade` points; `earned` in `0..=possible`, `possible` above 0).
    Answered {
        problem: String,
        earned: f64,
        possible: f64,
    },
}

/// An event time as milliseconds since the Unix epoch: `YYYY-MM-DD`, `T` (or a space),
/// `hh:mm:ss`, an optional fraction (cut to milliseconds), then `Z`, an offset (`±hh:mm`,
/// `±hhmm`, `±hh`) or nothing, which means UTC as the LMS writes its logs. `None` for
/// anything else.
///
/// Hand-written rather than through a calendar library: it runs once per event on ingest.
pub fn parse_time_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0;
    if let Some((b'.' | b',', fraction)) = rest.split_first() {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        // The first three digits, padded: ".5" is 500 ms, ".123456" is 123 ms.
        millis = fraction[..len]
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(3)
            .fold(0, |n, d| n * 10 + i64::from(d - b'0'));
        rest = &fraction[len..];
    }
    let offset_minutes = offset(rest)?;
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1_000 + millis)
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
    })
}

/// The zone part after the seconds, as minutes east of UTC.
fn offset(b: &[u8]) -> Option<i64> {
    let sign = match b {
        [] | [b'Z' | b'z'] => return Some(0),
        [b'+', ..] => 1,
        [b'-', ..] => -1,
        _ => return None,
    };
    let (hours, minutes) = match &b[1..] {
        [h1, h2] => ([*h1, *h2], [b'0', b'0']),
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => ([*h1, *h2], [*m1, *m2]),
        _ => return None,
    };
    let (hours, minutes) = (digits(&hours)?, digits(&minutes)?);
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 60 + minutes))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_594_795_000_000; // 2020-07-15T06:36:40Z

    #[test]
    fn every_time_form_the_lms_writes() {
        for s in [
            "2020-07-15T06:36:40Z",
            "2020-07-15T06:36:40+00:00",
            "2020-07-15T06:36:40",
            "2020-07-15 06:36:40",
            "2020-07-15T08:36:40+02:00",
            "2020-07-15T08:36:40+0200",
            "2020-07-15T01:36:40-05",
        ] {
            assert_eq!(parse_time_ms(s), Some(T0), "{s}");
        }
        assert_eq!(
            parse_time_ms("2020-07-15T06:36:40.917775+00:00"),
            Some(T0 + 917)
        );
        assert_eq!(parse_time_ms("2020-07-15T06:36:40.5Z"), Some(T0 + 500));
        assert_eq!(parse_time_ms("2020-07-15T06:36:40.05"), Some(T0 + 50));
    }

    #[test]
    fn calendar_edges_agree_with_the_time_crate() {
        use time::format_description::well_known::Rfc3339;
        for s in [
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2000-02-29T12:00:00Z",
            "2016-12-31T23:59:59Z",
            "2100-03-01T00:00:00Z",
            "1900-01-01T00:00:00Z",
        ] {
            let expected = time::OffsetDateTime::parse(s, &Rfc3339).unwrap();
            let expected = i64::try_from(expected.unix_timestamp_nanos() / 1_000_000).unwrap();
            assert_eq!(parse_time_ms(s), Some(expected), "{s}");
        }
    }

    #[test]
    fn what_is_not_a_time() {
        for s in [
            "",
            "t",
            "2020-07-15",
            "2020-07-15T06:36",
            "2020-13-15T06:36:40Z",
            "2019-02-29T06:36:40Z",
            "2020-07-15T24:00:00Z",
            "2020-07-15T06:36:40.Z",
            "2020-07-15T06:36:40 UTC",
            "2020-07-15T06:36:40+2",
            "2020-07-15T06:36:40+25:00",
            "2020-07-15X06:36:40Z",
            "2020-07-1506:36:40Z",
            "２020-07-15T06:36:40Z",
        ] {
            assert_eq!(parse_time_ms(s), None, "{s:?}");
        }
    }
}
