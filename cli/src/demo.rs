//! The demo catalog `pokeco serve --demo` loads: six courses in English and Italian, three
//! teachers, three sets (one a subset), one course deleted, and the structure of one course
//! (the Course Blocks API answer of `testdata/course-blocks/eco101.json`). It goes through the
//! same validation as the admin API, so it is also a worked example of the catalog format.
//! With it, a demo learner whose progress comes from replaying their events, and the demo's
//! images, served by the server itself so that a harvester (and `pokeco catalog check`) can
//! fetch them.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use pokeco_core::catalog::{CatalogError, CatalogService};
use pokeco_core::ingest::{read_body, Encoding, IngestService};
use pokeco_core::pipeline::{PipelineError, PipelineService};
use pokeco_core::structure::{StructureError, StructureService};
use pokeco_ingest::LIMITS;
use serde_json::Value;

const SETS: &str = include_str!("../demo/sets.json");
const TEACHERS: &str = include_str!("../demo/teachers.json");
const COURSES: &str = include_str!("../demo/courses.json");

/// Where the demo data says its images are; loaded, they point at [`IMAGES_PATH`] of the
/// running server.
const IMAGES_WRITTEN_AT: &str = "https://pok.example.org/static/";
/// The route of the demo's images.
pub const IMAGES_PATH: &str = "/demo/images/";
/// The demo's images by file name.
const IMAGES: [(&str, &[u8]); 4] = [
    ("eco101.png", include_bytes!("../demo/images/eco101.png")),
    ("fis101.png", include_bytes!("../demo/images/fis101.png")),
    ("bio150.png", include_bytes!("../demo/images/bio150.png")),
    ("rossi.png", include_bytes!("../demo/images/rossi.png")),
];

/// `GET /demo/images/{name}`: the demo's images, PNG.
pub fn images() -> Router {
    Router::new().route(&format!("{IMAGES_PATH}{{name}}"), get(image))
}

async fn image(Path(name): Path<String>) -> impl IntoResponse {
    match IMAGES.iter().find(|(n, _)| *n == name) {
        Some((_, bytes)) => Ok(([(header::CONTENT_TYPE, "image/png")], *bytes)),
        None => Err(StatusCode::NOT_FOUND),
    }
}

/// The item with its `image` moved from where the demo data says to this server.
fn served_here(mut item: Value, base_url: &str) -> Value {
    if let Some(Value::String(url)) = item.get_mut("image") {
        if let Some(name) = url.strip_prefix(IMAGES_WRITTEN_AT) {
            *url = format!("{}{IMAGES_PATH}{name}", base_url.trim_end_matches('/'));
        }
    }
    item
}

/// The demo course whose structure is loaded, and that structure.
pub const STRUCTURE_COURSE: &str = "course-v1:PoliMi+ECO101+2024_T1";
const STRUCTURE: &str = include_str!("../../testdata/course-blocks/eco101.json");

/// The demo course that is loaded and then deleted, to show a persistent deleted record.
pub const DELETED_COURSE: &str = "course-v1:PoliMi+OLD001+2019_T1";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("demo data was refused: {0}")]
    Refused(#[from] CatalogError),
    #[error("the demo course structure was refused: {0}")]
    Structure(#[from] StructureError),
    #[error("the demo learner was refused: {0}")]
    Pipeline(#[from] PipelineError),
    #[error("the demo learner's events: {0}")]
    Events(String),
}

fn items(text: &str) -> Result<Vec<Value>, DemoError> {
    Ok(serde_json::from_str(text)?)
}

/// The demo learner: ECO user `000000000000000000000001`, edX user 1.
pub const LEARNER: (&str, &str) = ("1", "000000000000000000000001");
/// The demo learner's events in two demo courses, as tracking-log lines.
const EVENTS: &str = include_str!("../demo/events.ndjson");
/// The courses of those events.
const LEARNER_COURSES: [&str; 2] = [STRUCTURE_COURSE, "course-v1:PoliMi+MIN201+2024_T2"];

/// Links the demo learner, tracks their two courses and ingests their events through the real
/// pipeline, so `GET /ecoapi/users/000000000000000000000001/courses` has figures. Loading it
/// again changes nothing (the events give the same statement ids and the same states).
pub async fn learner(pipeline: &PipelineService, ingest: &IngestService) -> Result<(), DemoError> {
    pipeline.put_link(LEARNER.0, LEARNER.1).await?;
    for course in LEARNER_COURSES {
        pipeline.track(course).await?;
    }
    let lines = read_body(EVENTS.as_bytes(), Encoding::Identity, LIMITS)
        .map_err(|e| DemoError::Events(e.to_string()))?;
    ingest
        .ingest(lines)
        .await
        .map_err(|e| DemoError::Events(e.to_string()))?;
    Ok(())
}

/// Loads (or reloads) the demo catalog and structure, its images served at `base_url`;
/// returns how many courses it holds.
pub async fn load(
    catalog: &CatalogService,
    structure: &StructureService,
    base_url: &str,
) -> Result<usize, DemoError> {
    for set in items(SETS)? {
        catalog.put_set(&set, None).await?;
    }
    for teacher in items(TEACHERS)? {
        catalog
            .put_teacher(&served_here(teacher, base_url), None)
            .await?;
    }
    let courses = items(COURSES)?;
    for course in &courses {
        catalog
            .put_course(&served_here(course.clone(), base_url), None)
            .await?;
    }
    catalog.delete_course(DELETED_COURSE).await?;
    structure
        .import(STRUCTURE_COURSE, STRUCTURE.as_bytes())
        .await?;
    Ok(courses.len())
}
