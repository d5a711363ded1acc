//! The one definition of the order of records and of the position a page ends at. Both
//! stores sort and resume with it, so a resumption token means the same thing in both.

use serde::{Deserialize, Serialize};

use crate::catalog::CourseId;
use crate::datestamp::Datestamp;

/// Where a page ended: the (datestamp, course id) of its last record. The next page starts
/// strictly after it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub datestamp: Datestamp,
    pub course_id: CourseId,
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

pub const COURSE_PREFIX: &str = "COURSE#";
pub const TEACHER_PREFIX: &str = "TEACHER#";
pub const SET_PREFIX: &str = "SET#";

#[cfg(test)]
mod tests {
    use super::*;

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
