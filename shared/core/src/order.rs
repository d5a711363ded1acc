//! The order of course records and the position a page ends at: the one definition both
//! stores sort and resume with, so a resumption token or a listing cursor means the same
//! thing in both.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::catalog::{CourseId, CourseRecord};
use crate::datestamp::Datestamp;

/// Where a page ended: the (datestamp, course id) of its last record. The next page starts
/// strictly after it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub datestamp: Datestamp,
    pub course_id: CourseId,
}

impl Position {
    /// The position of a record: the next page starts after it.
    pub fn of(record: &CourseRecord) -> Self {
        Self {
            datestamp: record.datestamp,
            course_id: record.course.course_id.clone(),
        }
    }

    /// An opaque, URL-safe cursor (a listing's `next`): the order key in base64url.
    pub fn to_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(order_key(self.datestamp, &self.course_id))
    }

    /// The position of a cursor from [`Position::to_cursor`]; `None` for anything else.
    pub fn from_cursor(cursor: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        parse_order_key(std::str::from_utf8(&bytes).ok()?)
    }
}

/// Sort key of a record in datestamp order: the datestamp as fixed-width seconds, `#`, then
/// the course id. The seconds have a fixed width, so byte order equals (datestamp, course id)
/// order.
pub fn order_key(datestamp: Datestamp, course_id: &CourseId) -> String {
    // Offset by Datestamp::MIN so the number is never negative; 12 digits cover year 9999.
    let secs = datestamp.unix() - Datestamp::MIN.unix();
    format!("{secs:012}#{course_id}")
}

/// The inverse of [`order_key`].
pub fn parse_order_key(key: &str) -> Option<Position> {
    let (secs, id) = key.split_once('#')?;
    if secs.len() != 12 {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    Some(Position {
        datestamp: Datestamp::from_unix(secs + Datestamp::MIN.unix())?,
        course_id: id.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_url_safe_and_round_trip() {
        let p = Position {
            datestamp: Datestamp::from_unix(1_700_000_000).unwrap(),
            course_id: "course-v1:Org+C#1+R"
                .parse()
                .unwrap_or_else(|_| "course-v1:Org+C%231+R".parse().unwrap()),
        };
        let cursor = p.to_cursor();
        assert!(cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Position::from_cursor(&cursor), Some(p));
        for bad in ["", "not a cursor", "MDAw", "%%%"] {
            assert_eq!(Position::from_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn order_key_sorts_like_positions() {
        let id = |s: &str| s.parse::<CourseId>().unwrap();
        let d = |s: i64| Datestamp::from_unix(s).unwrap();
        let mut positions = vec![
            Position {
                datestamp: d(100),
                course_id: id("course-v1:a+b+c"),
            },
            Position {
                datestamp: d(-5),
                course_id: id("z/z/z"),
            },
            Position {
                datestamp: d(100),
                course_id: id("a/b/c"),
            },
            Position {
                datestamp: d(100),
                course_id: id("a/b/c-"),
            },
            Position {
                datestamp: d(1_900_000_000),
                course_id: id("a/a/a"),
            },
        ];
        let mut keys: Vec<String> = positions
            .iter()
            .map(|p| order_key(p.datestamp, &p.course_id))
            .collect();
        keys.sort();
        positions.sort();
        let parsed: Vec<Position> = keys.iter().map(|k| parse_order_key(k).unwrap()).collect();
        assert_eq!(parsed, positions);
    }
}
