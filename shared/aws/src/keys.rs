//! The table's key layout, defined once. Every item has `pk`/`sk`; those that must be listed
//! in order also carry `gsi1pk`/`gsi1sk` for the one index, `gsi1`.
//!
//! | item        | pk                   | sk                | gsi1pk        | gsi1sk                   |
//! |-------------|----------------------|-------------------|---------------|--------------------------|
//! | course      | `COURSE#<id>`        | `COURSE`          | `COURSES`     | order key                |
//! | membership  | `COURSE#<id>`        | `SET#<spec>`      | `SET#<spec>`  | order key (of the course)|
//! | teacher     | `TEACHER#<id>`       | `TEACHER`         | `TEACHERS`    | teacher id               |
//! | set         | `SET#<spec>`         | `SET`             | `SETS`        | set spec                 |
//! | meta        | `META`               | `META`            | —             | —                        |
//! | link        | `LINK#<edx user id>` | `LINK`            | `LINKS`       | edX user id              |
//! | tracked     | `TRACKED`            | course id, or `*` | —             | —                        |
//! | refused     | `FAILED#<stmt id>`   | `FAILED`          | `FAILED`      | statement id             |
//! | structure   | `STRUCTURE#<id>`     | `HEAD`            | —             | —                        |
//! | chunk       | `STRUCTURE#<id>`     | `CHUNK#<v>#<d>#<n>` | —           | —                        |
//! | progress    | `PROGRESS#<eco sub>` | course id         | —             | —                        |
//! | sync runs   | `SYNC`               | `RUNS`            | —             | —                        |
//!
//! A course has one membership item for each of its sets and each of their ancestors, so
//! "the set and everything below it" is one range of one index partition. The order key is
//! [`pokeco_core::order::order_key`], the same order the embedded store pages in. Teacher and
//! set items count the live courses that name them (`refs`), so a delete can be conditional
//! on nobody naming them; the meta item holds the harvest horizon.
//!
//! The pipeline's items (links, tracked courses, refused statements) live beside the catalog.
//! Links and refused statements have a partition each, so the per-event lookups of links
//! spread over the table, and are listed through `gsi1` in edX-user-id or statement-id text
//! order (the embedded store's order). The tracked courses, a handful read on every ingest,
//! share one table partition instead: a consistent query then lists them, so a course is
//! tracked from the moment `track` answers (an index would lag).
//!
//! A course structure can exceed an item's 400 KB, so it is kept compressed and cut into chunk
//! items in the course's own structure partition: chunk `n` (4 digits) of the chunk set of
//! version `v` (20 digits) whose compressed bytes have digest `d`. The head item names the
//! chunk set in force and is written last (`crate::structure` tells how a reader never sees a
//! half-written structure).
//!
//! The progress projection has a partition per ECO user, one item per course sorted by the
//! course id: `users/{sub}/courses` is one query of one partition, and an unknown user costs
//! that one (empty) read. Its items are never listed across users, so they carry no index key.
//!
//! The record of the latest sync runs is one small item (a JSON list, [`SYNC_RUNS`]), written
//! once a run by the one sync that runs at a time.

use pokeco_core::catalog::{CourseId, SetSpec, TeacherId};
use pokeco_core::pipeline::{EcoSub, EdxUserId, Tracked};
use pokeco_core::Datestamp;

pub const COURSE_PREFIX: &str = "COURSE#";
pub const TEACHER_PREFIX: &str = "TEACHER#";
pub const SET_PREFIX: &str = "SET#";
pub const LINK_PREFIX: &str = "LINK#";
pub const FAILED_PREFIX: &str = "FAILED#";
pub const STRUCTURE_PREFIX: &str = "STRUCTURE#";
pub const PROGRESS_PREFIX: &str = "PROGRESS#";

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";

pub const COURSE_SK: &str = "COURSE";
pub const TEACHER_SK: &str = "TEACHER";
pub const SET_SK: &str = "SET";
pub const META_PK: &str = "META";
pub const META_SK: &str = "META";
pub const LINK_SK: &str = "LINK";
pub const FAILED_SK: &str = "FAILED";
/// Sort key of a structure's head item.
pub const STRUCTURE_HEAD_SK: &str = "HEAD";
/// Sort-key prefix of a structure's chunk items.
pub const CHUNK_PREFIX: &str = "CHUNK#";
/// The item of the latest sync runs.
pub const SYNC_PK: &str = "SYNC";
pub const SYNC_SK: &str = "RUNS";
/// Attribute of the sync item: the runs as a JSON list, the latest first.
pub const SYNC_RUNS: &str = "runs";
/// Table partition of the tracked courses: one item each, sorted by the course id (or `*`).
pub const TRACKED_PK: &str = "TRACKED";

/// Attribute of teacher and set items: how many live courses name them.
pub const REFS: &str = "refs";
/// Attribute of the meta item: the harvest horizon (a datestamp; its text sorts like time).
pub const HORIZON: &str = "horizon";

/// Index partition of every course in datestamp order.
pub const ALL_COURSES: &str = "COURSES";
/// Index partition of every teacher in id order.
pub const ALL_TEACHERS: &str = "TEACHERS";
/// Index partition of every set in spec order.
pub const ALL_SETS: &str = "SETS";
/// Index partition of every identity link in edX-user-id (text) order.
pub const ALL_LINKS: &str = "LINKS";
/// Index partition of every refused statement in statement-id order.
pub const ALL_FAILED: &str = "FAILED";

/// The most bytes of a statement id that can be a key: DynamoDB allows 2048 in a partition
/// key but only 1024 in a sort key, and the id is `gsi1sk` (prefixed, `pk` stays far below).
pub const MAX_STATEMENT_ID_BYTES: usize = 1024;

pub fn course_pk(id: &CourseId) -> String {
    format!("{COURSE_PREFIX}{id}")
}

pub fn teacher_pk(id: &TeacherId) -> String {
    format!("{TEACHER_PREFIX}{id}")
}

pub fn set_pk(spec: &SetSpec) -> String {
    format!("{SET_PREFIX}{spec}")
}

pub fn link_pk(user: &EdxUserId) -> String {
    format!("{LINK_PREFIX}{user}")
}

/// Partition of an ECO user's progress, one item per course (the course id is the sort key).
pub fn progress_pk(sub: &EcoSub) -> String {
    format!("{PROGRESS_PREFIX}{sub}")
}

/// Sort key of a tracked course's item, under [`TRACKED_PK`].
pub fn tracked_sk(course: &Tracked) -> String {
    course.to_string()
}

/// Partition of a refused statement, by its statement id.
pub fn failed_pk(statement_id: &str) -> String {
    format!("{FAILED_PREFIX}{statement_id}")
}

/// Partition of a course's structure (its head and chunks).
pub fn structure_pk(id: &CourseId) -> String {
    format!("{STRUCTURE_PREFIX}{id}")
}

/// The sort-key prefix of every chunk of one chunk set: `CHUNK#<version, 20 digits>#<digest>#`.
/// Versions are zero-padded so that chunk sets sort by version.
pub fn chunk_set_prefix(version: u64, digest: &str) -> String {
    format!("{CHUNK_PREFIX}{version:020}#{digest}#")
}

/// Sort key of chunk `n` of a chunk set (four digits: a structure has fewer than 10,000).
pub fn chunk_sk(version: u64, digest: &str, n: usize) -> String {
    format!("{}{n:04}", chunk_set_prefix(version, digest))
}

/// The version of a chunk's sort key.
pub fn chunk_version(sk: &str) -> Option<u64> {
    sk.strip_prefix(CHUNK_PREFIX)?
        .split('#')
        .next()?
        .parse()
        .ok()
}

/// Sort key of a course's membership item, under the course's partition.
pub fn membership_sk(spec: &SetSpec) -> String {
    format!("{SET_PREFIX}{spec}")
}

/// Index partition of the courses in `spec` or below it.
pub fn membership_partition(spec: &SetSpec) -> String {
    format!("{SET_PREFIX}{spec}")
}

/// The datestamp part of an order key, with its `#`: every key of a record at `d` starts with
/// it, so it is the smallest key at `d`.
pub fn order_key_lower(d: Datestamp) -> String {
    format!("{:012}#", seconds(d))
}

/// A bound above every key of a record at `d` and below every key of a later second: `$`
/// sorts just after `#`, and no key has `$` where the `#` goes.
pub fn order_key_upper(d: Datestamp) -> String {
    format!("{:012}$", seconds(d))
}

fn seconds(d: Datestamp) -> i64 {
    // The offset pokeco_core::order::order_key uses; a test holds the two together.
    d.unix() - Datestamp::MIN.unix()
}

#[cfg(test)]
mod tests {
    use pokeco_core::order::order_key;

    use super::*;

    #[test]
    fn bounds_enclose_exactly_the_keys_of_their_second() {
        let d = Datestamp::from_unix(1_700_000_000).unwrap();
        let before = Datestamp::from_unix(1_699_999_999).unwrap();
        let after = Datestamp::from_unix(1_700_000_001).unwrap();
        for id in ["a/a/a", "course-v1:~+%+_", "Z/Z/Z", "course-v1:zz+zz+zz"] {
            let id: CourseId = id.parse().unwrap();
            let k = order_key(d, &id);
            assert!(order_key_lower(d) <= k && k <= order_key_upper(d), "{k}");
            assert!(k > order_key_upper(before), "{k}");
            assert!(k < order_key_lower(after), "{k}");
        }
        assert!(
            order_key_lower(Datestamp::MIN) <= order_key(Datestamp::MIN, &"a/a/a".parse().unwrap())
        );
    }

    #[test]
    fn membership_and_list_partitions_never_collide() {
        let s: SetSpec = "S".parse().unwrap();
        assert_ne!(membership_partition(&s), ALL_SETS);
        assert_ne!(membership_partition(&s), ALL_COURSES);
        assert_ne!(membership_sk(&s), COURSE_SK);
    }

    #[test]
    fn pipeline_keys_never_collide_with_the_catalog() {
        let table = [
            link_pk(&"42".parse().unwrap()),
            failed_pk("00000000-0000-5000-8000-000000000001"),
            TRACKED_PK.to_owned(),
            progress_pk(&"5a1b2c3d4e5f60718293a4b5".parse().unwrap()),
        ];
        for pk in &table {
            for catalog in [COURSE_PREFIX, TEACHER_PREFIX, SET_PREFIX] {
                assert!(!pk.starts_with(catalog), "{pk}");
            }
            assert_ne!(pk, META_PK);
        }
        // No prefix is the start of another, so partitions of different kinds never meet.
        for other in [LINK_PREFIX, FAILED_PREFIX, TRACKED_PK, META_PK] {
            assert!(!PROGRESS_PREFIX.starts_with(other) && !other.starts_with(PROGRESS_PREFIX));
        }
        let index = [ALL_LINKS, ALL_FAILED];
        for partition in index {
            assert!(![ALL_COURSES, ALL_TEACHERS, ALL_SETS].contains(&partition));
            assert!(!partition.starts_with(SET_PREFIX));
        }
        assert_ne!(ALL_LINKS, ALL_FAILED);
        assert_eq!(tracked_sk(&Tracked::All), "*");
    }

    #[test]
    fn structure_keys_sort_by_version_and_never_collide() {
        let id: CourseId = "Org/C/R".parse().unwrap();
        let pk = structure_pk(&id);
        for other in [
            COURSE_PREFIX,
            TEACHER_PREFIX,
            SET_PREFIX,
            LINK_PREFIX,
            FAILED_PREFIX,
        ] {
            assert!(!pk.starts_with(other), "{pk}");
        }
        assert_ne!(pk, course_pk(&id));
        let sk = chunk_sk(42, "00ff", 3);
        assert_eq!(sk, "CHUNK#00000000000000000042#00ff#0003");
        assert!(sk.starts_with(&chunk_set_prefix(42, "00ff")));
        assert_eq!(chunk_version(&sk), Some(42));
        assert_eq!(chunk_version(STRUCTURE_HEAD_SK), None);
        assert!(
            chunk_sk(9, "ff", 0) < chunk_sk(10, "00", 0),
            "versions sort as numbers"
        );
        assert!(!STRUCTURE_HEAD_SK.starts_with(CHUNK_PREFIX));
    }
}
