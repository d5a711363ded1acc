//! UTC instants at one-second granularity: OAI datestamps, course dates, token expiry.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Seconds since the Unix epoch, UTC. Rendered as `YYYY-MM-DDThh:mm:ssZ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Datestamp(i64);

/// The granularity a date argument was given in (OAI-PMH `from`/`until`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Second,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a UTC datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ): {0:?}")]
pub struct DatestampError(pub String);

/// The range the store and the tokens accept: years 1000..=9999, so the text form always
/// has four-digit years and sorts like the number.
const MIN: i64 = -30_610_224_000; // 1000-01-01T00:00:00Z
const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl Datestamp {
    pub const MIN: Datestamp = Datestamp(MIN);
    pub const MAX: Datestamp = Datestamp(MAX);

    pub fn from_unix(secs: i64) -> Option<Self> {
        (MIN..=MAX).contains(&secs).then_some(Datestamp(secs))
    }

    pub fn unix(self) -> i64 {
        self.0
    }

    pub fn now() -> Self {
        Datestamp(OffsetDateTime::now_utc().unix_timestamp().clamp(MIN, MAX))
    }

    pub fn saturating_add(self, secs: i64) -> Self {
        Datestamp(self.0.saturating_add(secs).clamp(MIN, MAX))
    }

    /// Parses an OAI-PMH date argument strictly: `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ`.
    /// A day is returned at its first second; [`Datestamp::end_of_day`] gives its last.
    pub fn parse_oai(s: &str) -> Result<(Self, Granularity), DatestampError> {
        let err = || DatestampError(s.to_owned());
        let b = s.as_bytes();
        let date = parse_date(b.get(..10).ok_or_else(err)?).ok_or_else(err)?;
        match b.len() {
            10 => Ok((
                Self::from_parts(date, Time::MIDNIGHT).ok_or_else(err)?,
                Granularity::Day,
            )),
            20 if b[10] == b'T' && b[19] == b'Z' => {
                let t = parse_time(&b[11..19]).ok_or_else(err)?;
                Ok((
                    Self::from_parts(date, t).ok_or_else(err)?,
                    Granularity::Second,
                ))
            }
            _ => Err(err()),
        }
    }

    /// Parses RFC 3339 (any offset, fractions dropped) or a bare `YYYY-MM-DD`, which is taken
    /// at `bare_date_time` (start of day for a start date, last second for an end date).
    pub fn parse_rfc3339_or_date(s: &str, bare_date_time: Time) -> Result<Self, DatestampError> {
        let err = || DatestampError(s.to_owned());
        if s.len() == 10 {
            let date = parse_date(s.as_bytes()).ok_or_else(err)?;
            return Self::from_parts(date, bare_date_time).ok_or_else(err);
        }
        let dt = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| err())?;
        Self::from_unix(dt.unix_timestamp()).ok_or_else(err)
    }

    /// The last second of this instant's UTC day.
    pub fn end_of_day(self) -> Self {
        Datestamp(self.0 - self.0.rem_euclid(86_400) + 86_399).min(Self::MAX)
    }

    fn from_parts(date: Date, t: Time) -> Option<Self> {
        Self::from_unix(
            PrimitiveDateTime::new(date, t)
                .assume_utc()
                .unix_timestamp(),
        )
    }

    /// `YYYY-MM-DD`, the day part alone (Dublin Core dates).
    pub fn day(self) -> String {
        self.text()[..10].to_owned()
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn parse_date(b: &[u8]) -> Option<Date> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(&b[0..4])?).ok()?;
    let month = Month::try_from(u8::try_from(digits(&b[5..7])?).ok()?).ok()?;
    let day = u8::try_from(digits(&b[8..10])?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

fn parse_time(b: &[u8]) -> Option<Time> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let part = |r: std::ops::Range<usize>| u8::try_from(digits(&b[r])?).ok();
    Time::from_hms(part(0..2)?, part(3..5)?, part(6..8)?).ok()
}

/// The text of a datestamp, on the stack: rendering a page formats several per record.
#[derive(Clone, Copy)]
pub struct DatestampText([u8; 20]);

impl DatestampText {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.0).unwrap_or("0000-00-00T00:00:00Z")
    }
}

impl std::ops::Deref for DatestampText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Datestamp {
    /// `YYYY-MM-DDThh:mm:ssZ`, computed with the civil-from-days algorithm (H. Hinnant)
    /// rather than through a calendar library: it runs for every record of every page.
    pub fn text(self) -> DatestampText {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let mut b = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, secs / 3600);
        put(14, 2, secs / 60 % 60);
        put(17, 2, secs % 60);
        DatestampText(b)
    }
}

impl fmt::Display for Datestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl std::str::FromStr for Datestamp {
    type Err = DatestampError;
    /// The canonical second-granularity form only.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Self::parse_oai(s)? {
            (d, Granularity::Second) => Ok(d),
            (_, Granularity::Day) => Err(DatestampError(s.to_owned())),
        }
    }
}

impl Serialize for Datestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Datestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_canonical_form() {
        let d: Datestamp = "2024-09-01T08:30:00Z".parse().unwrap();
        assert_eq!(d.to_string(), "2024-09-01T08:30:00Z");
        assert_eq!(d.unix(), 1_725_179_400);
    }

    #[test]
    fn formats_like_the_calendar_library_across_the_range() {
        let mut secs = Datestamp::MIN.unix();
        while secs <= Datestamp::MAX.unix() {
            let expected = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let expected = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                expected.year(),
                u8::from(expected.month()),
                expected.day(),
                expected.hour(),
                expected.minute(),
                expected.second()
            );
            assert_eq!(Datestamp(secs).to_string(), expected);
            secs += 86_400 * 7 + 3_607; // every weekday and time of day, leap years included
        }
        assert_eq!(Datestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Datestamp::MIN.to_string(), "1000-01-01T00:00:00Z");
        assert_eq!(Datestamp(951_782_400).day(), "2000-02-29");
    }

    #[test]
    fn parses_both_oai_granularities() {
        let (d, g) = Datestamp::parse_oai("2024-02-29").unwrap();
        assert_eq!(
            (d.to_string().as_str(), g),
            ("2024-02-29T00:00:00Z", Granularity::Day)
        );
        assert_eq!(d.end_of_day().to_string(), "2024-02-29T23:59:59Z");
        let (_, g) = Datestamp::parse_oai("2024-02-29T23:59:59Z").unwrap();
        assert_eq!(g, Granularity::Second);
    }

    #[test]
    fn rejects_what_oai_does_not_allow() {
        for bad in [
            "2024",
            "2024-09",
            "2023-02-29",
            "2024-13-01",
            "2024-09-01T08:30:00",
            "2024-09-01T08:30Z",
            "2024-09-01T08:30:00.5Z",
            "2024-09-01T24:00:00Z",
            "2024-09-01 08:30:00Z",
            "+024-09-01",
            "2024-9-01",
            "0999-12-31",
            "",
            "2024-09-01T08:30:00+01:00",
        ] {
            assert!(Datestamp::parse_oai(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_rfc3339_with_offsets_and_bare_dates() {
        let d = Datestamp::parse_rfc3339_or_date("2024-09-16T02:00:00.25+02:00", Time::MIDNIGHT);
        assert_eq!(d.unwrap().to_string(), "2024-09-16T00:00:00Z");
        let end = Time::from_hms(23, 59, 59).unwrap();
        let d = Datestamp::parse_rfc3339_or_date("2024-11-30", end).unwrap();
        assert_eq!(d.to_string(), "2024-11-30T23:59:59Z");
        assert!(Datestamp::parse_rfc3339_or_date("30/11/2024", end).is_err());
    }
}
