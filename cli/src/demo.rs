//! The demo catalog `pokeco serve --demo` loads: six courses in English and Italian, three
//! teachers, three sets (one a subset), one course deleted, and the structure of one course
//! (the Course Blocks API answer of `testdata/course-blocks/eco101.json`). It goes through the
//! same validation as the admin API, so it is also a worked example of the catalog format.
//! With it, a demo learner whose progress comes from replaying their events.

use pokeco_core::catalog::{CatalogError, CatalogService};
use pokeco_core::ingest::{read_body, Encoding, IngestService};
use pokeco_core::pipeline::{PipelineError, PipelineService};
use pokeco_core::structure::{StructureError, StructureService};
use pokeco_ingest::LIMITS;
use serde_json::Value;

const SETS: &str = include_str!("../demo/sets.json");
const TEACHERS: &str = include_str!("../demo/teachers.json");
const COURSES: &str = include_str!("../demo/courses.json");

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

/// Loads (or reloads) the demo catalog and structure; returns how many courses it holds.
pub async fn load(
    catalog: &CatalogService,
    structure: &StructureService,
) -> Result<usize, DemoError> {
    for set in items(SETS)? {
        catalog.put_set(&set, None).await?;
    }
    for teacher in items(TEACHERS)? {
        catalog.put_teacher(&teacher, None).await?;
    }
    let courses = items(COURSES)?;
    for course in &courses {
        catalog.put_course(course, None).await?;
    }
    catalog.delete_course(DELETED_COURSE).await?;
    structure
        .import(STRUCTURE_COURSE, STRUCTURE.as_bytes())
        .await?;
    Ok(courses.len())
}
