//! The items of the table as Rust structs; serde_dynamo maps them to attribute maps. Key
//! attributes are named as in [`crate::keys`] (`pk`, `sk`, `gsi1pk`, `gsi1sk`).

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use pokeco_core::catalog::{Course, CourseId, CourseRecord, OaiSet, SetSpec, Teacher, TeacherId};
use pokeco_core::order::order_key;
use pokeco_core::store::StoreError;
use pokeco_core::Datestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::keys;

pub type Item = HashMap<String, AttributeValue>;

/// A course record. `version` grows by one on every write, so a write can be made
/// conditional on the state it was computed from.
#[derive(Debug, Serialize, Deserialize)]
pub struct CourseItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub version: u64,
    pub course: Course,
    pub datestamp: Datestamp,
    pub deleted: bool,
}

impl CourseItem {
    pub fn new(record: CourseRecord, version: u64) -> Self {
        let id = &record.course.course_id;
        CourseItem {
            pk: keys::course_pk(id),
            sk: keys::COURSE_SK.to_owned(),
            gsi1pk: keys::ALL_COURSES.to_owned(),
            gsi1sk: order_key(record.datestamp, id),
            version,
            course: record.course,
            datestamp: record.datestamp,
            deleted: record.deleted,
        }
    }

    pub fn to_record(&self) -> CourseRecord {
        CourseRecord {
            course: self.course.clone(),
            datestamp: self.datestamp,
            deleted: self.deleted,
        }
    }

    pub fn into_record(self) -> CourseRecord {
        CourseRecord {
            course: self.course,
            datestamp: self.datestamp,
            deleted: self.deleted,
        }
    }

    /// The teachers the course names while it is live: each holds one reference.
    pub fn teacher_refs(&self) -> BTreeSet<TeacherId> {
        if self.deleted {
            return BTreeSet::new();
        }
        self.course.teachers.iter().cloned().collect()
    }

    /// The sets the course names directly while it is live: each holds one reference.
    pub fn set_refs(&self) -> BTreeSet<SetSpec> {
        if self.deleted {
            return BTreeSet::new();
        }
        self.course.sets.iter().cloned().collect()
    }

    /// Every set the course is in, directly or below: one membership item each.
    pub fn memberships(&self) -> BTreeSet<SetSpec> {
        self.course
            .sets
            .iter()
            .flat_map(SetSpec::with_ancestors)
            .collect()
    }
}

/// "This course is in this set (or below it)", sorted in the set's index partition by the
/// course's order key. The course itself is read from its own item.
#[derive(Debug, Serialize, Deserialize)]
pub struct MembershipItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub course_id: CourseId,
}

impl MembershipItem {
    pub fn new(course: &CourseItem, spec: &SetSpec) -> Self {
        MembershipItem {
            pk: course.pk.clone(),
            sk: keys::membership_sk(spec),
            gsi1pk: keys::membership_partition(spec),
            gsi1sk: course.gsi1sk.clone(),
            course_id: course.course.course_id.clone(),
        }
    }
}

/// A teacher, and how many live courses name them (written by course transactions only; a
/// teacher write leaves it alone).
#[derive(Debug, Serialize, Deserialize)]
pub struct TeacherItem {
    pub pk: String,
    pub sk: String,
    pub teacher: Teacher,
    #[serde(default)]
    pub refs: i64,
}

/// A set, and how many live courses name it directly.
#[derive(Debug, Serialize, Deserialize)]
pub struct SetItem {
    pub pk: String,
    pub sk: String,
    pub set: OaiSet,
    #[serde(default)]
    pub refs: i64,
}

/// The catalog's own facts: when it began (written by `create_table`; the earliest datestamp
/// of an empty repository) and the harvest horizon (written by the first page of every list).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct MetaItem {
    #[serde(default)]
    pub created: Option<Datestamp>,
    #[serde(default)]
    pub horizon: Option<Datestamp>,
}

/// The meta item as `create_table` first writes it.
#[derive(Debug, Serialize)]
pub struct NewMetaItem {
    pub pk: &'static str,
    pub sk: &'static str,
    pub created: Datestamp,
}

impl NewMetaItem {
    pub fn new(created: Datestamp) -> Self {
        NewMetaItem {
            pk: keys::META_PK,
            sk: keys::META_SK,
            created,
        }
    }
}

/// The primary key of an item.
pub fn key(pk: String, sk: &str) -> Item {
    HashMap::from([
        (keys::PK.to_owned(), AttributeValue::S(pk)),
        (keys::SK.to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

/// A value as an attribute (a map for a struct).
pub fn to_attr<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(value)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode attribute: {e}")))
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(value)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode item: {e}")))
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    let pk = match item.get(keys::PK) {
        Some(AttributeValue::S(pk)) => pk.clone(),
        _ => String::from("?"),
    };
    serde_dynamo::aws_sdk_dynamodb_1::from_item(item)
        .map_err(|e| StoreError::Corrupt(format!("item {pk}: {e}")))
}

/// The string value of attribute `name`, if it is a string.
pub fn string_attr<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use pokeco_core::catalog::InterestArea;

    use super::*;

    fn course(sets: &[&str]) -> Course {
        serde_json::from_value(serde_json::json!({
            "course_id": "course-v1:a+b+c", "title": {"en": "T"}, "description": {"en": ""},
            "languages": ["en"], "url": "https://x.org/", "organizers": [],
            "interest_area": "ECO:TS", "sets": sets, "units": 3
        }))
        .unwrap()
    }

    #[test]
    fn course_item_has_the_key_attributes_and_round_trips() {
        let record = CourseRecord {
            course: course(&["a:b", "EcoBase"]),
            datestamp: Datestamp::from_unix(1_700_000_000).unwrap(),
            deleted: true,
        };
        let item = to_item(&CourseItem::new(record.clone(), 4)).unwrap();
        for k in [keys::PK, keys::SK, keys::GSI1PK, keys::GSI1SK] {
            assert!(string_attr(&item, k).is_some(), "{k}");
        }
        assert_eq!(string_attr(&item, keys::PK), Some("COURSE#course-v1:a+b+c"));
        assert_eq!(
            item.get("version"),
            Some(&AttributeValue::N("4".to_owned()))
        );
        let back: CourseItem = from_item(item).unwrap();
        assert_eq!(
            back.course.interest_area,
            InterestArea::TechnologicalSciences
        );
        assert_eq!(back.into_record(), record);
    }

    #[test]
    fn memberships_include_every_ancestor_once() {
        let record = CourseRecord {
            course: course(&["a:b:c", "a:d", "e"]),
            datestamp: Datestamp::from_unix(0).unwrap(),
            deleted: false,
        };
        let m: Vec<String> = CourseItem::new(record, 1)
            .memberships()
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(m, ["a", "a:b", "a:b:c", "a:d", "e"]);
    }

    #[test]
    fn a_foreign_item_is_corrupt_not_a_panic() {
        let item = key("COURSE#x".to_owned(), "COURSE");
        let r: Result<CourseItem, _> = from_item(item);
        assert!(matches!(r, Err(StoreError::Corrupt(m)) if m.contains("COURSE#x")));
    }
}
