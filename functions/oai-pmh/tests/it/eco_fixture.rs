//! The full course of ECO's reference page (testdata/eco/ListRecords.xml, accepted by the
//! real ECO harvester), entered as catalog JSON, renders to the same element tree.

use crate::support::*;
use pokeco_core::catalog::{Course, Teacher};
use pokeco_core::store::CatalogStore;
use serde_json::json;

#[tokio::test]
async fn the_reference_course_renders_as_eco_expects() {
    let store = std::sync::Arc::new(pokeco_local::SqliteStore::open_in_memory().unwrap());
    let teacher: Teacher = serde_json::from_value(json!({
        "id": "0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10", "first_name": "Maria", "last_name": "Rossi"
    }))
    .unwrap();
    store.put_teacher(teacher).await.unwrap();
    store
        .put_set(pokeco_core::catalog::OaiSet {
            spec: "EcoBase".parse().unwrap(),
            name: "ECO".into(),
        })
        .await
        .unwrap();
    let course: Course = serde_json::from_value(json!({
        "course_id": "course-v1:PoliMi+ECO101+2024_T1",
        "title": {"en": "Introduction to Open Education", "it": "Introduzione all'educazione aperta"},
        "description": {
            "en": "Six weekly units on open educational resources, MOOCs and open licensing.",
            "it": "Sei unità settimanali su risorse educative aperte, MOOC e licenze aperte."
        },
        "languages": ["en", "it"],
        "url": "https://pok.example.org/courses/course-v1:PoliMi+ECO101+2024_T1/about",
        "image": "http://127.0.0.1:8765/img/course.png",
        "organizers": ["Politecnico di Milano"],
        "teachers": ["0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10"],
        "interest_area": "ECO:ES",
        "start": "2024-09-16T00:00:00Z",
        "end": "2024-11-30T23:59:59Z",
        "units": 6,
        "study_load": 4,
        "typical_learning_time": "PT24H",
        "sets": ["EcoBase"]
    }))
    .unwrap();
    store
        .put_course(course, ds("2024-09-01T08:30:00Z"))
        .await
        .unwrap();
    let app = app_with(store, settings(100));

    let ours = get(&app, "verb=ListRecords&metadataPrefix=oai_lom").await;
    let reference = xml::parse(include_str!("../../../../testdata/eco/ListRecords.xml"));
    let expected = reference.descendants("record")[0];
    let actual = ours.root();
    let actual = actual.descendants("record")[0];
    assert_eq!(actual, expected);
}
