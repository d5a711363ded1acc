//! The course catalog: the public JSON format, its types, validation, and the service that
//! applies the catalog's rules over the store port.

pub(crate) mod ids;
pub mod image;
mod model;
pub mod service;
mod validate;

pub use ids::{
    CourseId, HttpUrl, InterestArea, Invalid, Lang, SetSpec, TeacherId, ISO_639_1,
    MAX_COURSE_ID_BYTES,
};
pub use model::{
    Course, CourseRecord, GradeCutoffs, LangMap, LearningTime, OaiSet, Teacher, MAX_GRADES,
    MAX_GRADE_NAME_BYTES,
};
pub use service::{CatalogError, CatalogService};
pub use validate::{
    parse_json, referenced_sets, referenced_teachers, validate_course, validate_set,
    validate_teacher, Issue, Known, Problem, Rejection, Validated, Warning, MAX_DOCUMENT_BYTES,
    MAX_LIST_LEN, MAX_MEMBERSHIPS, MAX_SETS, MAX_STRING_BYTES, MAX_TEACHERS,
};
