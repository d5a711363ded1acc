//! The demo catalog `pokeco serve --demo` loads: six courses in English and Italian, three
//! teachers, three sets (one a subset), one course deleted, and the structure of one course
//! (the Course Blocks API answer of `testdata/course-blocks/eco101.json`). It goes through the
//! same validation as the admin API, so it is also a worked example of the catalog format.

use pokeco_core::catalog::{CatalogError, CatalogService};
use pokeco_core::structure::{StructureError, StructureService};
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
}

fn items(text: &str) -> Result<Vec<Value>, DemoError> {
    Ok(serde_json::from_str(text)?)
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
