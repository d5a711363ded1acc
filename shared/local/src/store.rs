//! The catalog port on SQLite. Courses are kept as their catalog JSON beside the columns the
//! queries need; set membership is materialized for every set and its ancestors, so a set
//! query includes subsets with one equality test (the DynamoDB store does the same). Every
//! write is one `IMMEDIATE` transaction, so processes sharing the data folder serialize.

use std::collections::HashMap;
use std::path::Path;

use crate::db::Db;
use async_trait::async_trait;
use pokeco_core::catalog::{Course, CourseId, CourseRecord, OaiSet, SetSpec, Teacher, TeacherId};
use pokeco_core::order::Position;
use pokeco_core::store::{CatalogStore, RecordPage, RecordQuery, StoreError, StoreResult};
use pokeco_core::Datestamp;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

/// Connection settings, applied on every open (they are not part of the file's schema).
const PRAGMAS: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
";

/// The schema as the first releases made it (`user_version` 0 or 1).
const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS courses (
    id TEXT PRIMARY KEY,
    datestamp INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS courses_by_datestamp ON courses (datestamp, id);
CREATE TABLE IF NOT EXISTS course_sets (
    spec TEXT NOT NULL,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    PRIMARY KEY (spec, course_id)
);
CREATE INDEX IF NOT EXISTS course_sets_by_course ON course_sets (course_id);
CREATE TABLE IF NOT EXISTS teachers (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sets (spec TEXT PRIMARY KEY, body TEXT NOT NULL);
";

/// Version 2: the teachers and sets each live course names, so that deletes can refuse a
/// referenced record in the same transaction; filled from the stored courses.
const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS course_refs (
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, ref, course_id)
);
CREATE INDEX IF NOT EXISTS course_refs_by_course ON course_refs (course_id);
INSERT OR IGNORE INTO course_refs (kind, ref, course_id)
    SELECT 'teacher', t.value, c.id FROM courses c, json_each(c.body, '$.teachers') t
    WHERE c.deleted = 0;
INSERT OR IGNORE INTO course_refs (kind, ref, course_id)
    SELECT 'set', s.value, c.id FROM courses c, json_each(c.body, '$.sets') s
    WHERE c.deleted = 0;
";

/// Version 3: the pipeline's state (identity links, tracked courses, refused statements).
const SCHEMA_V3: &str = "
CREATE TABLE IF NOT EXISTS links (edx_user_id TEXT PRIMARY KEY, eco_sub TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tracked_courses (course TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS failed_statements (id TEXT PRIMARY KEY, body TEXT NOT NULL);
";

/// Version 4: course structures, one per course, as their JSON.
const SCHEMA_V4: &str = "
CREATE TABLE IF NOT EXISTS course_structures (course_id TEXT PRIMARY KEY, body TEXT NOT NULL);
";

/// Version 5: the progress projection, one row per (ECO user, course), its parts in columns
/// as the DynamoDB item holds them (the grade a REAL: the exact double), its sets as JSON
/// arrays. Rows of one user are adjacent, in course-id byte order (`BINARY` collation).
const SCHEMA_V5: &str = "
CREATE TABLE IF NOT EXISTS progress (
    eco_sub TEXT NOT NULL,
    course_id TEXT NOT NULL,
    enrolled_at INTEGER,
    enrolled INTEGER,
    first_view INTEGER,
    last_view INTEGER,
    grade_at INTEGER,
    grade REAL,
    first_passed INTEGER,
    blocks TEXT NOT NULL,
    buckets TEXT NOT NULL,
    PRIMARY KEY (eco_sub, course_id)
) WITHOUT ROWID;
";

/// Version 6: the progress projection's problem scores, a JSON array of the core's score
/// entries (`Score::to_entry`); an empty array in every row before.
const SCHEMA_V6: &str = "
ALTER TABLE progress ADD COLUMN scores TEXT NOT NULL DEFAULT '[]';
";

/// The schema version this code writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 6;

/// The SQLite catalog store. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct SqliteStore {
    db: Db,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `path`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::init(Connection::open(path).map_err(unavailable)?)
    }

    /// A store that lives in memory only, for tests.
    pub fn open_in_memory() -> StoreResult<Self> {
        Self::init(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn init(mut conn: Connection) -> StoreResult<Self> {
        conn.execute_batch(PRAGMAS).map_err(unavailable)?;
        upgrade(&mut conn)?;
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', ?1)",
            params![Datestamp::now().unix().to_string()],
        )
        .map_err(unavailable)?;
        Ok(Self { db: Db::new(conn) })
    }

    /// Runs `f` on the connection off the async executor.
    pub(crate) async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.db.with(f).await
    }
}

impl SqliteStore {
    /// Writes a record's JSON body under its key (`sql` upserts `?1` key, `?2` body).
    async fn upsert(&self, sql: &'static str, key: String, body: String) -> StoreResult<()> {
        self.with(move |conn| {
            conn.execute(sql, params![key, body]).map_err(unavailable)?;
            Ok(())
        })
        .await
    }
}

/// Brings the file's schema to [`SCHEMA_VERSION`], one version at a time, in one transaction
/// (several processes may open the same data folder at once). A file from a newer release is
/// refused rather than changed.
fn upgrade(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unavailable)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Unavailable(format!(
            "the store has schema version {version}, newer than this release's \
             {SCHEMA_VERSION}: run the pokeco release that wrote it"
        )));
    }
    if version < 1 {
        tx.execute_batch(SCHEMA_V1).map_err(unavailable)?;
    }
    if version < 2 {
        tx.execute_batch(SCHEMA_V2).map_err(unavailable)?;
    }
    if version < 3 {
        tx.execute_batch(SCHEMA_V3).map_err(unavailable)?;
    }
    if version < 4 {
        tx.execute_batch(SCHEMA_V4).map_err(unavailable)?;
    }
    if version < 5 {
        tx.execute_batch(SCHEMA_V5).map_err(unavailable)?;
    }
    if version < 6 {
        tx.execute_batch(SCHEMA_V6).map_err(unavailable)?;
    }
    if version < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(unavailable)?;
    }
    tx.commit().map_err(unavailable)
}

pub(crate) fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(corrupt)
}

/// Parses a JSON column in place, without copying it out of SQLite first: a page reads
/// a hundred course bodies.
fn json_column<T: serde::de::DeserializeOwned>(row: &Row<'_>, column: usize) -> StoreResult<T> {
    // One UTF-8 check of the whole body, then a parser that trusts it: from_slice would
    // check every string on its own, which costs more than the check itself.
    let text = row
        .get_ref(column)
        .map_err(unavailable)?
        .as_str()
        .map_err(corrupt)?;
    serde_json::from_str(text).map_err(corrupt)
}

/// A course record from a `SELECT datestamp, deleted, body` row.
fn record(row: &Row<'_>) -> StoreResult<CourseRecord> {
    let datestamp: i64 = row.get(0).map_err(unavailable)?;
    Ok(CourseRecord {
        course: json_column(row, 2)?,
        datestamp: Datestamp::from_unix(datestamp)
            .ok_or_else(|| corrupt(format!("datestamp {datestamp} out of range")))?,
        deleted: row.get(1).map_err(unavailable)?,
    })
}

/// The horizon: no write may be dated before it.
fn horizon(conn: &Connection) -> StoreResult<Datestamp> {
    let value: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'horizon'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(unavailable)?;
    match value {
        None => Ok(Datestamp::MIN),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .and_then(Datestamp::from_unix)
            .ok_or_else(|| corrupt(format!("horizon {v:?}"))),
    }
}

/// The first of `ids` that has no row in `table` (whose key column is `column`).
fn first_missing<'a>(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    ids: impl IntoIterator<Item = &'a str>,
) -> StoreResult<Option<&'a str>> {
    let mut stmt = tx
        .prepare_cached(&format!("SELECT 1 FROM {table} WHERE {column} = ?1"))
        .map_err(unavailable)?;
    for id in ids {
        if !stmt.exists(params![id]).map_err(unavailable)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Writes a course as `record` describes it (its datestamp moved up to the horizon), with its
/// set memberships and, while it is live, its references; in one transaction that first
/// checks that every teacher and set it names exists.
fn write_course(conn: &mut Connection, mut record: CourseRecord) -> StoreResult<CourseRecord> {
    let course = &record.course;
    let id = course.course_id.as_str();
    let body = to_json(course)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    if !record.deleted {
        if let Some(t) = first_missing(
            &tx,
            "teachers",
            "id",
            course.teachers.iter().map(TeacherId::as_str),
        )? {
            return Err(StoreError::Conflict(format!("no teacher has the id {t:?}")));
        }
        if let Some(s) =
            first_missing(&tx, "sets", "spec", course.sets.iter().map(SetSpec::as_str))?
        {
            return Err(StoreError::Conflict(format!("no set has the spec {s:?}")));
        }
    }
    record.datestamp = record.datestamp.max(horizon(&tx)?);
    tx.execute(
        "INSERT INTO courses (id, datestamp, deleted, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET datestamp = ?2, deleted = ?3, body = ?4",
        params![id, record.datestamp.unix(), record.deleted, body],
    )
    .map_err(unavailable)?;
    for table in ["course_sets", "course_refs"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE course_id = ?1"),
            params![id],
        )
        .map_err(unavailable)?;
    }
    {
        let mut member = tx
            .prepare_cached("INSERT OR IGNORE INTO course_sets (spec, course_id) VALUES (?1, ?2)")
            .map_err(unavailable)?;
        for spec in course.sets.iter().flat_map(SetSpec::with_ancestors) {
            member
                .execute(params![spec.as_str(), id])
                .map_err(unavailable)?;
        }
        if !record.deleted {
            let mut names = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO course_refs (kind, ref, course_id) VALUES (?1, ?2, ?3)",
                )
                .map_err(unavailable)?;
            let refs = (course.teachers.iter().map(|t| ("teacher", t.as_str())))
                .chain(course.sets.iter().map(|s| ("set", s.as_str())));
            for (kind, name) in refs {
                names
                    .execute(params![kind, name, id])
                    .map_err(unavailable)?;
            }
        }
    }
    tx.commit().map_err(unavailable)?;
    Ok(record)
}

/// Deletes the `kind` record `name` from `table` unless a live course names it.
fn delete_unreferenced(
    conn: &mut Connection,
    (table, column, kind): (&str, &str, &str),
    name: &str,
) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let user: Option<String> = tx
        .query_row(
            "SELECT course_id FROM course_refs WHERE kind = ?1 AND ref = ?2 LIMIT 1",
            params![kind, name],
            |r| r.get(0),
        )
        .optional()
        .map_err(unavailable)?;
    if let Some(course) = user {
        return Err(StoreError::Conflict(format!(
            "the live course {course} names {kind} {name:?}; change or delete the course first"
        )));
    }
    let deleted = tx
        .execute(
            &format!("DELETE FROM {table} WHERE {column} = ?1"),
            params![name],
        )
        .map_err(unavailable)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().map_err(unavailable)
}

/// The WHERE clause and parameters shared by the page and count queries.
fn filter(query: &RecordQuery, with_after: bool) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut clauses = vec!["1 = 1".to_owned()];
    let mut values: Vec<Value> = Vec::new();
    if let Some(from) = query.from {
        values.push(Value::Integer(from.unix()));
        clauses.push(format!("c.datestamp >= ?{}", values.len()));
    }
    if let Some(until) = query.until {
        values.push(Value::Integer(until.unix()));
        clauses.push(format!("c.datestamp <= ?{}", values.len()));
    }
    if let Some(set) = &query.set {
        values.push(Value::Text(set.as_str().to_owned()));
        clauses.push(format!(
            "EXISTS (SELECT 1 FROM course_sets s WHERE s.spec = ?{} AND s.course_id = c.id)",
            values.len()
        ));
    }
    if let (
        true,
        Some(Position {
            datestamp,
            course_id,
        }),
    ) = (with_after, &query.after)
    {
        values.push(Value::Integer(datestamp.unix()));
        values.push(Value::Text(course_id.as_str().to_owned()));
        clauses.push(format!(
            "(c.datestamp, c.id) > (?{}, ?{})",
            values.len() - 1,
            values.len()
        ));
    }
    (clauses.join(" AND "), values)
}

fn get_course(conn: &Connection, id: &CourseId) -> StoreResult<Option<CourseRecord>> {
    let mut stmt = conn
        .prepare_cached("SELECT datestamp, deleted, body FROM courses WHERE id = ?1")
        .map_err(unavailable)?;
    let mut rows = stmt.query(params![id.as_str()]).map_err(unavailable)?;
    rows.next().map_err(unavailable)?.map(record).transpose()
}

fn bodies<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(unavailable)?;
    let mut rows = stmt.query(args).map_err(unavailable)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(unavailable)? {
        out.push(json_column(row, 0)?);
    }
    Ok(out)
}

/// The records of `table` whose key `column` is one of `keys`, in the order of `keys`; unknown
/// keys are left out.
fn bodies_by_key<K, T>(
    conn: &Connection,
    (table, column): (&str, &str),
    keys: &[K],
    key_of: impl Fn(&T) -> &K,
) -> StoreResult<Vec<T>>
where
    K: AsRef<str> + Eq + std::hash::Hash + Clone,
    T: serde::de::DeserializeOwned + Clone,
{
    let mut found: HashMap<K, T> = HashMap::with_capacity(keys.len());
    // One query per chunk, within SQLite's limit on bound parameters.
    for chunk in keys.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!("SELECT body FROM {table} WHERE {column} IN ({marks})");
        let args = rusqlite::params_from_iter(chunk.iter().map(AsRef::as_ref));
        let records: Vec<T> = bodies(conn, &sql, args)?;
        found.extend(records.into_iter().map(|r| (key_of(&r).clone(), r)));
    }
    Ok(keys.iter().filter_map(|k| found.get(k).cloned()).collect())
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn put_course(&self, course: Course, now: Datestamp) -> StoreResult<CourseRecord> {
        self.with(move |conn| {
            let record = CourseRecord {
                course,
                datestamp: now,
                deleted: false,
            };
            write_course(conn, record)
        })
        .await
    }

    async fn delete_course(&self, id: &CourseId, now: Datestamp) -> StoreResult<CourseRecord> {
        let id = id.clone();
        self.with(move |conn| {
            let record = get_course(conn, &id)?.ok_or(StoreError::NotFound)?;
            write_course(
                conn,
                CourseRecord {
                    datestamp: now,
                    deleted: true,
                    ..record
                },
            )
        })
        .await
    }

    async fn get_course(&self, id: &CourseId) -> StoreResult<Option<CourseRecord>> {
        let id = id.clone();
        self.with(move |conn| get_course(conn, &id)).await
    }

    async fn page_courses(&self, query: &RecordQuery) -> StoreResult<RecordPage> {
        let query = query.clone();
        self.with(move |conn| {
            let (clause, mut values) = filter(&query, true);
            let fetch = query.limit.saturating_add(1);
            values.push(rusqlite::types::Value::Integer(
                i64::try_from(fetch).unwrap_or(i64::MAX),
            ));
            let sql = format!(
                "SELECT c.datestamp, c.deleted, c.body FROM courses c WHERE {clause}
                 ORDER BY c.datestamp, c.id LIMIT ?{}",
                values.len()
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(values))
                .map_err(unavailable)?;
            let mut records = Vec::with_capacity(fetch.min(1024));
            while let Some(row) = rows.next().map_err(unavailable)? {
                records.push(record(row)?);
            }
            let more = records.len() > query.limit;
            records.truncate(query.limit);
            Ok(RecordPage { records, more })
        })
        .await
    }

    async fn count_courses(&self, query: &RecordQuery) -> StoreResult<Option<u64>> {
        let query = query.clone();
        self.with(move |conn| {
            let (clause, values) = filter(&query, false);
            let sql = format!("SELECT COUNT(*) FROM courses c WHERE {clause}");
            let n: i64 = conn
                .query_row(&sql, rusqlite::params_from_iter(values), |r| r.get(0))
                .map_err(unavailable)?;
            Ok(u64::try_from(n).ok())
        })
        .await
    }

    async fn earliest_datestamp(&self) -> StoreResult<Datestamp> {
        self.with(|conn| {
            let min: Option<i64> = conn
                .query_row("SELECT MIN(datestamp) FROM courses", [], |r| r.get(0))
                .map_err(unavailable)?;
            let secs = match min {
                Some(secs) => secs,
                None => conn
                    .query_row("SELECT value FROM meta WHERE key = 'created_at'", [], |r| {
                        r.get::<_, String>(0)
                    })
                    .map_err(unavailable)?
                    .parse()
                    .map_err(corrupt)?,
            };
            Datestamp::from_unix(secs).ok_or_else(|| corrupt(format!("datestamp {secs}")))
        })
        .await
    }

    async fn advance_horizon(&self, to: Datestamp) -> StoreResult<Datestamp> {
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('horizon', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = ?1
                 WHERE CAST(value AS INTEGER) < CAST(?1 AS INTEGER)",
                params![to.unix().to_string()],
            )
            .map_err(unavailable)?;
            horizon(conn)
        })
        .await
    }

    fn list_lag_seconds(&self) -> u32 {
        // A read sees every transaction committed before it.
        0
    }

    async fn put_teacher(&self, teacher: Teacher) -> StoreResult<()> {
        let body = to_json(&teacher)?;
        self.upsert(
            "INSERT INTO teachers (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = ?2",
            teacher.id.into(),
            body,
        )
        .await
    }

    async fn get_teachers(&self, ids: &[TeacherId]) -> StoreResult<Vec<Teacher>> {
        let ids = ids.to_vec();
        self.with(move |conn| bodies_by_key(conn, ("teachers", "id"), &ids, |t: &Teacher| &t.id))
            .await
    }

    async fn list_teachers(&self) -> StoreResult<Vec<Teacher>> {
        self.with(|conn| bodies(conn, "SELECT body FROM teachers ORDER BY id", []))
            .await
    }

    async fn delete_teacher(&self, id: &TeacherId) -> StoreResult<()> {
        let id = id.to_string();
        self.with(move |conn| delete_unreferenced(conn, ("teachers", "id", "teacher"), &id))
            .await
    }

    async fn put_set(&self, set: OaiSet) -> StoreResult<()> {
        let body = to_json(&set)?;
        self.upsert(
            "INSERT INTO sets (spec, body) VALUES (?1, ?2) ON CONFLICT (spec) DO UPDATE SET body = ?2",
            set.spec.into(),
            body,
        )
        .await
    }

    async fn list_sets(&self) -> StoreResult<Vec<OaiSet>> {
        self.with(|conn| bodies(conn, "SELECT body FROM sets ORDER BY spec", []))
            .await
    }

    async fn get_sets(&self, specs: &[SetSpec]) -> StoreResult<Vec<OaiSet>> {
        let specs = specs.to_vec();
        self.with(move |conn| bodies_by_key(conn, ("sets", "spec"), &specs, |s: &OaiSet| &s.spec))
            .await
    }

    async fn delete_set(&self, spec: &SetSpec) -> StoreResult<()> {
        let spec = spec.to_string();
        self.with(move |conn| delete_unreferenced(conn, ("sets", "spec", "set"), &spec))
            .await
    }
}
