//! xAPI 1.0.3 statements as the profiles write them. Field order is fixed by the structs and
//! language maps are ordered, so the same event always gives byte-identical JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The xAPI version every statement declares, and the `X-Experience-API-Version` header.
pub const XAPI_VERSION: &str = "1.0.3";

/// A language map (`{"en-US": "..."}`), ordered.
pub type LanguageMap = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub id: String,
    pub actor: Actor,
    pub verb: Verb,
    pub object: Activity,
    pub context: Context,
    pub timestamp: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "objectType")]
    pub object_type: String,
    pub account: Account,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    #[serde(rename = "homePage")]
    pub home_page: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verb {
    pub id: String,
    pub display: LanguageMap,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    #[serde(rename = "objectType")]
    pub object_type: String,
    pub id: String,
    pub definition: Definition,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    #[serde(default, skip_serializing_if = "LanguageMap::is_empty")]
    pub name: LanguageMap,
    #[serde(default, skip_serializing_if = "LanguageMap::is_empty")]
    pub description: LanguageMap,
    #[serde(rename = "type")]
    pub activity_type: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Context {
    #[serde(rename = "contextActivities")]
    pub context_activities: ContextActivities,
    pub extensions: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextActivities {
    pub parent: Vec<Activity>,
}

impl Activity {
    pub fn new(id: String, activity_type: &str, name: LanguageMap) -> Self {
        Self {
            object_type: "Activity".to_owned(),
            id,
            definition: Definition {
                name,
                description: LanguageMap::new(),
                activity_type: activity_type.to_owned(),
            },
        }
    }
}

/// A one-entry `en-US` language map, as the ECO profile names verbs and activities.
pub fn en_us(text: impl Into<String>) -> LanguageMap {
    LanguageMap::from([("en-US".to_owned(), text.into())])
}
