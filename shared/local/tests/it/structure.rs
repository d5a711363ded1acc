//! The shared structure-store contract on the embedded SQLite store, and the structure
//! service's rules over it (the catalog decides which courses may have one).

use std::sync::Arc;

use pokeco_core::contract::{course_structure, minimal_course};
use pokeco_core::oai::OaiPrefix;
use pokeco_core::store::CatalogStore;
use pokeco_core::structure::{StructureError, StructureService, StructureStore};
use pokeco_core::Datestamp;
use pokeco_local::SqliteStore;
use serde_json::json;

async fn fresh_store() -> SqliteStore {
    SqliteStore::open_in_memory().expect("in-memory SQLite store")
}

pokeco_core::structure_store_contract!(fresh_store);

const COURSE: &str = "course-v1:Org+Svc+2024";

fn service(store: &SqliteStore) -> StructureService {
    StructureService::new(
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        OaiPrefix::new("oai:it.polimi.pok:").unwrap(),
    )
}

fn blocks_api_answer() -> Vec<u8> {
    let mut doc = serde_json::to_value(course_structure(COURSE, 1, 2, "n")).unwrap();
    doc.as_object_mut().unwrap().remove("course_id");
    doc.to_string().into_bytes()
}

#[tokio::test]
async fn a_structure_is_imported_only_for_a_live_course_of_the_catalog() {
    let store = fresh_store().await;
    let svc = service(&store);
    let r = svc.import(COURSE, &blocks_api_answer()).await;
    assert!(matches!(r, Err(StructureError::NoCourse(_))), "{r:?}");
    let r = svc.import("not a course", &blocks_api_answer()).await;
    assert!(matches!(r, Err(StructureError::NoCourse(_))), "{r:?}");

    let mut course = minimal_course(COURSE);
    course.end = Some("2024-12-20T23:59:59Z".parse().unwrap());
    store.put_course(course, Datestamp::now()).await.unwrap();
    let r = svc.import(COURSE, b"{\"root\": 1}").await;
    assert!(matches!(r, Err(StructureError::Invalid(_))), "{r:?}");
    let summary = svc.import(COURSE, &blocks_api_answer()).await.unwrap();
    assert_eq!(summary.blocks, 4);
    assert_eq!(summary.categories["chapter"], 1);
    assert!(!summary.replaced);
    assert!(
        svc.import(COURSE, &blocks_api_answer())
            .await
            .unwrap()
            .replaced
    );
    assert_eq!(
        svc.get(COURSE).await.unwrap(),
        course_structure(COURSE, 1, 2, "n")
    );

    // The tasks, by course id or OAI identifier, completed at the course's end.
    for named in [COURSE.to_owned(), format!("oai:it.polimi.pok:{COURSE}")] {
        let tasks = serde_json::to_value(svc.tasks(&named).await.unwrap()).unwrap();
        assert_eq!(tasks["moocId"], format!("oai:it.polimi.pok:{COURSE}"));
        assert_eq!(tasks["tasks"].as_array().unwrap().len(), 4);
        assert_eq!(
            tasks["tasks"][0],
            json!({"id": "block-v1:Org+Svc+2024+type@course+block@course", "type": "course",
                   "completedTimestamp": "2024-12-20T23:59:59+00:00"})
        );
    }

    // A deleted course keeps its structure for the operator, not for ECO nor for imports.
    store
        .delete_course(&COURSE.parse().unwrap(), Datestamp::now())
        .await
        .unwrap();
    assert!(svc.get(COURSE).await.is_ok());
    let r = svc.tasks(COURSE).await;
    assert!(matches!(r, Err(StructureError::NoCourse(_))), "{r:?}");
    let r = svc.import(COURSE, &blocks_api_answer()).await;
    assert!(matches!(r, Err(StructureError::NoCourse(ref m)) if m.contains("deleted")));
    svc.delete(COURSE).await.unwrap();
    let r = svc.get(COURSE).await;
    assert!(matches!(r, Err(StructureError::NoStructure(_))), "{r:?}");
    let r = svc.delete(COURSE).await;
    assert!(matches!(r, Err(StructureError::NoStructure(_))), "{r:?}");
}

#[tokio::test]
async fn a_course_without_a_structure_has_no_tasks() {
    let store = fresh_store().await;
    store
        .put_course(minimal_course(COURSE), Datestamp::now())
        .await
        .unwrap();
    let r = service(&store).tasks(COURSE).await;
    assert!(
        matches!(r, Err(StructureError::NoStructure(ref m)) if m.contains("import")),
        "{r:?}"
    );
    let r = service(&store).tasks("course-v1:Org+Other+2024").await;
    assert!(matches!(r, Err(StructureError::NoCourse(_))), "{r:?}");
}

/// What is kept is checked when it is read: a row that is not a structure of its course is
/// corrupt, not a panic nor another course's structure.
#[tokio::test]
async fn a_damaged_row_reads_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let other = course_structure("course-v1:Org+Other+2024", 1, 1, "x");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO course_structures (course_id, body) VALUES (?1, ?2), (?3, ?4)",
        [
            COURSE,
            &serde_json::to_string(&other).unwrap(),
            "a/b/c",
            "{\"root\": 3}",
        ],
    )
    .unwrap();
    for id in [COURSE, "a/b/c"] {
        let r = store.get_structure(&id.parse().unwrap()).await;
        assert!(
            matches!(r, Err(pokeco_core::store::StoreError::Corrupt(_))),
            "{id}: {r:?}"
        );
    }
}
