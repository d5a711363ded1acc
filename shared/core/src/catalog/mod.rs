//! The course catalog: the public JSON format, its types and validation.

mod ids;
mod model;
mod validate;

pub use ids::{CourseId, InterestArea, Invalid, Lang, SetSpec, TeacherId};
pub use model::{Course, CourseRecord, LangMap, LearningTime, OaiSet, Teacher};
pub use validate::{
    parse_json, referenced_teachers, validate_course, validate_set, validate_teacher, Issue, Known,
    Problem, Rejection, Validated, Warning, MAX_LIST_LEN, MAX_STRING_BYTES,
};
