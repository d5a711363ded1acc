//! The answer of `GET /ecoapi/tasks/{course_id}` (pokeco-legacy.md D.5): every block of the
//! course, the course block included, with the activity type ECO's learning analytics read
//! and the course's end as the time each is due.

use serde::Serialize;

use super::CourseStructure;
use crate::datestamp::Datestamp;
use crate::oai::OaiPrefix;
use crate::xapi::eco::{DISCUSSION, MODULE, PEER_ASSESSMENT, QUESTION, VIDEO};

/// `{"moocId": "<prefix><course id>", "tasks": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TasksView {
    #[serde(rename = "moocId")]
    pub mooc_id: String,
    pub tasks: Vec<Task>,
}

/// One block as a task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    /// The block's usage key.
    pub id: String,
    /// The activity type IRI of its category ([`activity_type`]).
    #[serde(rename = "type")]
    pub kind: String,
    /// The course's end, `YYYY-MM-DDThh:mm:ss+00:00` as the old API wrote it; `null` when the
    /// course has no end.
    #[serde(rename = "completedTimestamp")]
    pub completed_timestamp: Option<String>,
}

/// The activity type of a block category, as the old API mapped it: content containers and
/// HTML are modules, then videos, questions, peer assessments and discussions; any other
/// category stands for itself (`course` among them).
pub fn activity_type(category: &str) -> &str {
    match category {
        "html" | "chapter" | "sequential" | "vertical" => MODULE,
        "video" => VIDEO,
        "problem" => QUESTION,
        "openassessment" => PEER_ASSESSMENT,
        "discussion" => DISCUSSION,
        other => other,
    }
}

/// The tasks of a course: its structure's blocks in course order (the old API gave no order),
/// each completed at the course's `end`.
pub fn tasks_view(
    structure: &CourseStructure,
    prefix: &OaiPrefix,
    end: Option<Datestamp>,
) -> TasksView {
    let completed = end.map(|d| {
        let text = d.text();
        // `Z` as Python's isoformat wrote UTC.
        format!("{}+00:00", text.trim_end_matches('Z'))
    });
    TasksView {
        mooc_id: prefix.identifier(structure.course().as_str()),
        tasks: structure
            .blocks()
            .iter()
            .map(|b| Task {
                id: b.id.clone(),
                kind: activity_type(&b.category).to_owned(),
                completed_timestamp: completed.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::structure::Block;

    fn structure() -> CourseStructure {
        let key = |c: &str, n: &str| format!("block-v1:Polimi+FIS101+2015_M9+type@{c}+block@{n}");
        let leaves = [
            "html",
            "video",
            "problem",
            "openassessment",
            "discussion",
            "word_cloud",
        ];
        let mut blocks = vec![
            Block {
                id: key("course", "course"),
                category: "course".into(),
                name: "Fisica".into(),
                children: vec![key("chapter", "ch")],
            },
            Block {
                id: key("chapter", "ch"),
                category: "chapter".into(),
                name: "Week 1".into(),
                children: vec![key("sequential", "sq")],
            },
            Block {
                id: key("sequential", "sq"),
                category: "sequential".into(),
                name: "Lesson".into(),
                children: vec![key("vertical", "vt")],
            },
            Block {
                id: key("vertical", "vt"),
                category: "vertical".into(),
                name: "Unit".into(),
                children: leaves.iter().map(|c| key(c, "x")).collect(),
            },
        ];
        blocks.extend(leaves.iter().map(|c| Block {
            id: key(c, "x"),
            category: (*c).into(),
            name: String::new(),
            children: vec![],
        }));
        CourseStructure::new(
            "course-v1:Polimi+FIS101+2015_M9".parse().unwrap(),
            key("course", "course"),
            blocks,
        )
        .unwrap()
    }

    #[test]
    fn every_block_is_a_task_typed_by_its_category() {
        let prefix = OaiPrefix::new("oai:it.polimi.pok:").unwrap();
        let end = Datestamp::from_unix(1_459_461_600).unwrap(); // 2016-03-31T22:00:00Z
        let view = serde_json::to_value(tasks_view(&structure(), &prefix, Some(end))).unwrap();
        assert_eq!(
            view["moocId"],
            "oai:it.polimi.pok:course-v1:Polimi+FIS101+2015_M9"
        );
        let tasks = view["tasks"].as_array().unwrap();
        let types: Vec<&str> = tasks.iter().map(|t| t["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "course",
                "http://adlnet.gov/expapi/activities/module",
                "http://adlnet.gov/expapi/activities/module",
                "http://adlnet.gov/expapi/activities/module",
                "http://adlnet.gov/expapi/activities/module",
                "http://activitystrea.ms/schema/1.0/video",
                "http://adlnet.gov/expapi/activities/question",
                "http://www.ecolearning.eu/expapi/activitytype/peerassessment",
                "http://id.tincanapi.com/activitytype/discussion",
                "word_cloud",
            ]
        );
        assert_eq!(
            tasks[0],
            json!({
                "id": "block-v1:Polimi+FIS101+2015_M9+type@course+block@course",
                "type": "course",
                "completedTimestamp": "2016-03-31T22:00:00+00:00"
            })
        );
        assert!(tasks
            .iter()
            .all(|t| t["completedTimestamp"] == "2016-03-31T22:00:00+00:00"));
    }

    #[test]
    fn a_course_without_an_end_has_null_timestamps() {
        let prefix = OaiPrefix::new("oai:pok.example.org:").unwrap();
        let view = serde_json::to_value(tasks_view(&structure(), &prefix, None)).unwrap();
        let first = view["tasks"][0].as_object().unwrap();
        assert_eq!(first.get("completedTimestamp"), Some(&json!(null)));
        assert_eq!(view["tasks"].as_array().unwrap().len(), 10);
    }
}
