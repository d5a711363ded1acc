//! The store in a data folder: kept across opens, upgraded from older schemas, read
//! leniently, shared by several processes.

use pokeco_core::store::{CatalogStore, RecordQuery, StoreError};
use pokeco_core::structure::StructureStore;
use pokeco_local::{SqliteStore, SCHEMA_VERSION};
use rusqlite::Connection;
use tempfile::TempDir;

fn folder() -> TempDir {
    tempfile::Builder::new()
        .prefix("pokeco-local-")
        .tempdir()
        .unwrap()
}

/// A store in a file, as `pokeco serve` uses it, answers the same after it is reopened.
#[tokio::test]
async fn file_store_keeps_its_records_across_opens() {
    let dir = folder();
    let path = dir.path().join("catalog.sqlite");
    let pages = {
        let store = SqliteStore::open(&path).unwrap();
        pokeco_core::contract::scripted_pages(&store).await
    };
    let reopened = SqliteStore::open(&path).unwrap();
    let all: Vec<_> = pages
        .iter()
        .filter(|(label, _)| label.starts_with("all #"))
        .flat_map(|(_, p)| p.records.clone())
        .collect();
    let again = reopened
        .page_courses(&RecordQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(again.records, all);
    assert!(!again.more);
}

/// A file written by the first releases (schema as they made it, `user_version` 0): opening
/// it upgrades it in place, references included, and keeps every record.
#[tokio::test]
async fn a_file_of_the_first_schema_is_upgraded() {
    let dir = folder();
    let path = dir.path().join("catalog.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../data/schema-v1.sql"))
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let version: i64 = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let page = store
        .page_courses(&RecordQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.records.len(), 2);
    // The live course's references were rebuilt: its teacher and set are held.
    let r = store.delete_teacher(&"rossi".parse().unwrap()).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    let r = store.delete_set(&"EcoBase".parse().unwrap()).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    // The deleted course holds nothing.
    store.delete_set(&"old".parse().unwrap()).await.unwrap();
    // The later versions' tables came with the upgrade: course structures (version 4).
    let structure = pokeco_core::contract::course_structure("a/b/c", 1, 1, "x");
    store.put_structure(&structure).await.unwrap();
    let id = structure.course().clone();
    assert_eq!(store.get_structure(&id).await.unwrap(), Some(structure));
    // A second open changes nothing.
    drop(store);
    SqliteStore::open(&path).unwrap();
}

#[tokio::test]
async fn a_file_of_a_newer_release_is_refused_untouched() {
    let dir = folder();
    let path = dir.path().join("catalog.sqlite");
    SqliteStore::open(&path).unwrap();
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let Err(e) = SqliteStore::open(&path) else {
        panic!("a newer schema must be refused");
    };
    assert!(e.to_string().contains("newer"), "{e}");
}

/// Records written by a newer release, with fields this one does not know, still read.
#[tokio::test]
async fn records_with_unknown_fields_read() {
    let dir = folder();
    let path = dir.path().join("catalog.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        r#"INSERT INTO courses (id, datestamp, deleted, body) VALUES ('a/b/c', 1700000000, 0,
             '{"course_id":"a/b/c","title":{"en":"T"},"description":{"en":"D"},"languages":["en"],
               "url":"https://x.org/","organizers":["O"],"interest_area":"ECO:TS",
               "certificate_template":{"id":7}}');
           INSERT INTO teachers (id, body) VALUES ('t1',
             '{"id":"t1","first_name":"A","last_name":"B","pronouns":"she"}');
           INSERT INTO sets (spec, body) VALUES ('s', '{"spec":"s","name":"S","color":"red"}');"#,
    )
    .unwrap();
    let course = store.get_course(&"a/b/c".parse().unwrap()).await.unwrap();
    assert_eq!(course.unwrap().course.title.len(), 1);
    assert_eq!(store.list_teachers().await.unwrap().len(), 1);
    assert_eq!(store.list_sets().await.unwrap().len(), 1);
}

/// Two handles on one file, as `pokeco serve` and an operator command: a write through one is
/// read by the other, and a reference check sees the other's writes.
#[tokio::test]
async fn two_processes_share_one_data_folder() {
    let dir = folder();
    let path = dir.path().join("catalog.sqlite");
    let server = SqliteStore::open(&path).unwrap();
    let operator = SqliteStore::open(&path).unwrap();
    let set = pokeco_core::catalog::OaiSet {
        spec: "EcoBase".parse().unwrap(),
        name: "ECO".into(),
    };
    operator.put_set(set).await.unwrap();
    let mut course = pokeco_core::contract::minimal_course("a/b/c");
    course.sets = vec!["EcoBase".parse().unwrap()];
    let now = pokeco_core::Datestamp::now();
    server.put_course(course, now).await.unwrap();
    let r = operator.delete_set(&"EcoBase".parse().unwrap()).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    assert!(operator
        .get_course(&"a/b/c".parse().unwrap())
        .await
        .unwrap()
        .is_some());
}

/// A file of schema version 3 (the pipeline's state, no progress) gains the progress table
/// and keeps its links.
#[tokio::test]
async fn a_file_of_version_3_gains_the_progress_projection() {
    use pokeco_core::pipeline::{Link, PipelineStore};
    use pokeco_core::progress::{CourseProgress, ProgressStore};
    let dir = folder();
    let path = dir.path().join("catalog.sqlite");
    let link = Link {
        edx_user_id: "42".parse().unwrap(),
        eco_sub: "5a1b2c3d4e5f60718293a4b5".parse().unwrap(),
    };
    SqliteStore::open(&path)
        .unwrap()
        .put_links(std::slice::from_ref(&link))
        .await
        .unwrap();
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("DROP TABLE progress; PRAGMA user_version = 3;")
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let found = store
        .eco_users(std::slice::from_ref(&link.edx_user_id))
        .await
        .unwrap();
    assert_eq!(found[&link.edx_user_id], link.eco_sub);
    let state = CourseProgress {
        last_view_ms: Some(1),
        ..CourseProgress::default()
    };
    let batch = [(link.eco_sub.clone(), "Org/A/1".parse().unwrap(), state)];
    assert_eq!(store.merge_progress(&batch).await.unwrap(), 1);
    assert_eq!(store.user_progress(&link.eco_sub).await.unwrap().len(), 1);
}

/// A file of version 5 (progress rows without scores) gains the scores column: its rows read
/// back with no score, and take scores from then on.
#[tokio::test]
async fn a_file_of_version_5_gains_the_progress_scores() {
    use pokeco_core::progress::{CourseProgress, ProgressStore, Score};
    let dir = folder();
    let path = dir.path().join("catalog.sqlite");
    let sub: pokeco_core::pipeline::EcoSub = "5a1b2c3d4e5f60718293a4b5".parse().unwrap();
    let course: pokeco_core::catalog::CourseId = "Org/A/1".parse().unwrap();
    let visited = CourseProgress {
        last_view_ms: Some(1),
        blocks: ["i4x://Org/A/problem/p".to_owned()].into(),
        ..CourseProgress::default()
    };
    SqliteStore::open(&path)
        .unwrap()
        .merge_progress(&[(sub.clone(), course.clone(), visited.clone())])
        .await
        .unwrap();
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("ALTER TABLE progress DROP COLUMN scores; PRAGMA user_version = 5;")
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let all = store.user_progress(&sub).await.unwrap();
    assert_eq!(all, [(course.clone(), visited.clone())]);
    let answered = CourseProgress {
        scores: [Score {
            at_ms: 2,
            problem: "i4x://Org/A/problem/p".to_owned(),
            earned: 1.0,
            possible: 2.0,
        }]
        .into(),
        ..CourseProgress::default()
    };
    let batch = [(sub.clone(), course.clone(), answered.clone())];
    assert_eq!(store.merge_progress(&batch).await.unwrap(), 1);
    let mut want = visited;
    want.merge(&answered);
    assert_eq!(store.user_progress(&sub).await.unwrap(), [(course, want)]);
}

/// Two processes on one data folder (`pokeco serve` and `pokeco replay`) merging the same
/// states at once lose nothing: each batch is one transaction.
#[tokio::test]
async fn two_connections_to_one_file_merge_into_the_union() {
    use pokeco_core::progress::{CourseProgress, ProgressStore};
    let dir = folder();
    let path = dir.path().join("catalog.sqlite");
    let (one, two) = (
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    );
    let sub: pokeco_core::pipeline::EcoSub = "5a1b2c3d4e5f60718293a4b5".parse().unwrap();
    let batch = |from: i64| -> Vec<_> {
        (0..50)
            .map(|c| {
                let state = CourseProgress {
                    last_view_ms: Some(from + c),
                    buckets: [from + c].into(),
                    ..CourseProgress::default()
                };
                (sub.clone(), format!("Org/C{c}/1").parse().unwrap(), state)
            })
            .collect()
    };
    let (a, b) = (batch(0), batch(1_000));
    let (ra, rb) = tokio::join!(one.merge_progress(&a), two.merge_progress(&b));
    assert_eq!(ra.unwrap() + rb.unwrap(), 100);
    let all = one.user_progress(&sub).await.unwrap();
    assert_eq!(all.len(), 50);
    for (i, (_, state)) in all.iter().enumerate() {
        assert_eq!(state.buckets.len(), 2, "course {i}: {state:?}");
    }
}
