//! The structure as JSON, in the shape of the LMS's Course Blocks API
//! (`GET /api/courses/v1/blocks/?course_id=<id>&all_blocks=true&depth=all&requested_fields=children`,
//! edx-platform `lms/djangoapps/course_api/blocks/`): `root`, the course block's usage key,
//! and `blocks`, an object keyed by usage key whose values hold `id`, `type`, `display_name`
//! and, when the block has any, `children`. The LMS adds more (`block_id`, `lms_web_url`,
//! `student_view_url`, other requested fields): they are ignored.
//!
//! A structure is written back in the same shape with `course_id` beside `root`, so what an
//! operator reads can be imported again, and the stores keep that same text.

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::model::{block_path, Block, CourseStructure, Problems, MAX_BLOCKS};
use super::MAX_STRUCTURE_BYTES;
use crate::catalog::{parse_json, CourseId, Rejection};

impl CourseStructure {
    /// Reads the Course Blocks API's answer for `course`. A `course_id` member (as this type
    /// writes it) must name the same course.
    ///
    /// # Errors
    /// Every problem of the document, JSON or structure, each with its path.
    pub fn from_course_blocks(course: &CourseId, json: &[u8]) -> Result<Self, Rejection> {
        let doc = document(json)?;
        read(&doc, Some(course))
    }

    /// Reads a structure as [`Serialize`] wrote it, its course from its `course_id`.
    ///
    /// # Errors
    /// Every problem found, as [`Self::from_course_blocks`].
    pub fn from_json(json: &[u8]) -> Result<Self, Rejection> {
        let doc = document(json)?;
        read(&doc, None)
    }
}

fn document(json: &[u8]) -> Result<Value, Rejection> {
    if json.len() > MAX_STRUCTURE_BYTES {
        return Err(Rejection::single(
            "",
            format!(
                "the document has {} bytes, more than the {MAX_STRUCTURE_BYTES} a structure may",
                json.len()
            ),
        ));
    }
    parse_json(json)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn read(doc: &Value, expected: Option<&CourseId>) -> Result<CourseStructure, Rejection> {
    let mut problems = Problems::default();
    let Some(obj) = doc.as_object() else {
        let hint = if doc.is_array() {
            " (the Course Blocks API's list form, return_type=list: export with the default \
             return_type=dict)"
        } else {
            ""
        };
        return Err(Rejection::single(
            "",
            format!(
                "must be a JSON object with root and blocks, not {}{hint}",
                kind(doc)
            ),
        ));
    };
    let course = course_of(obj, expected, &mut problems);
    let root = match obj.get("root") {
        Some(Value::String(root)) => Some(root.clone()),
        Some(other) => {
            problems.add("root", format!("must be a string, not {}", kind(other)));
            None
        }
        None => {
            problems.add("root", "is required");
            None
        }
    };
    let blocks = match obj.get("blocks") {
        Some(Value::Object(blocks)) if blocks.len() > MAX_BLOCKS => {
            problems.add(
                "blocks",
                format!(
                    "holds {} blocks, more than the {MAX_BLOCKS} a structure may",
                    blocks.len()
                ),
            );
            None
        }
        Some(Value::Object(blocks)) => Some(read_blocks(blocks, &mut problems)),
        Some(other) => {
            problems.add(
                "blocks",
                format!("must be an object keyed by usage key, not {}", kind(other)),
            );
            None
        }
        None => {
            problems.add("blocks", "is required");
            None
        }
    };
    match (course, root, blocks) {
        (Some(course), Some(root), Some(blocks)) if problems.is_empty() => {
            CourseStructure::new(course, root, blocks)
        }
        _ => Err(problems.rejection()),
    }
}

/// The course: `expected`, which a `course_id` member must repeat, or the `course_id` member.
fn course_of(
    obj: &Map<String, Value>,
    expected: Option<&CourseId>,
    problems: &mut Problems,
) -> Option<CourseId> {
    let named = match obj.get("course_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match s.parse::<CourseId>() {
            Ok(id) => Some(id),
            Err(e) => {
                problems.add("course_id", e.0);
                return None;
            }
        },
        Some(other) => {
            problems.add(
                "course_id",
                format!("must be a string, not {}", kind(other)),
            );
            return None;
        }
    };
    match (expected, named) {
        (Some(e), Some(n)) if *e != n => {
            problems.add(
                "course_id",
                format!(
                    "{:?} differs from {:?}, the course imported into",
                    n.as_str(),
                    e.as_str()
                ),
            );
            None
        }
        (Some(e), _) => Some(e.clone()),
        (None, Some(n)) => Some(n),
        (None, None) => {
            problems.add("course_id", "is required");
            None
        }
    }
}

fn read_blocks(blocks: &Map<String, Value>, problems: &mut Problems) -> Vec<Block> {
    let mut read = Vec::with_capacity(blocks.len());
    for (key, value) in blocks {
        let path = block_path(key);
        let Some(b) = value.as_object() else {
            problems.add(&path, format!("must be an object, not {}", kind(value)));
            continue;
        };
        let mut ok = true;
        let mut string = |field: &str, required: bool| -> Option<String> {
            match b.get(field) {
                Some(Value::String(s)) => Some(s.clone()),
                None | Some(Value::Null) if !required => Some(String::new()),
                None | Some(Value::Null) => {
                    problems.add(format!("{path}.{field}"), "is required");
                    ok = false;
                    None
                }
                Some(other) => {
                    problems.add(
                        format!("{path}.{field}"),
                        format!("must be a string, not {}", kind(other)),
                    );
                    ok = false;
                    None
                }
            }
        };
        let id = string("id", true);
        let category = string("type", true);
        let name = string("display_name", false);
        if let Some(id) = &id {
            if id != key {
                problems.add(
                    format!("{path}.id"),
                    format!("{id:?} differs from the block's key"),
                );
                ok = false;
            }
        }
        let children = match b.get("children") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => {
                let mut children = Vec::with_capacity(list.len());
                for (i, child) in list.iter().enumerate() {
                    match child.as_str() {
                        Some(c) => children.push(c.to_owned()),
                        None => {
                            problems.add(
                                format!("{path}.children[{i}]"),
                                format!("must be a usage key string, not {}", kind(child)),
                            );
                            ok = false;
                        }
                    }
                }
                children
            }
            Some(other) => {
                problems.add(
                    format!("{path}.children"),
                    format!("must be an array of usage keys, not {}", kind(other)),
                );
                ok = false;
                Vec::new()
            }
        };
        if let (true, Some(id), Some(category), Some(name)) = (ok, id, category, name) {
            read.push(Block {
                id,
                category,
                name,
                children,
            });
        }
    }
    read
}

/// A block as the Course Blocks API writes it.
struct BlockOut<'a>(&'a Block);

impl Serialize for BlockOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b = self.0;
        let fields = if b.children.is_empty() { 3 } else { 4 };
        let mut out = s.serialize_struct("Block", fields)?;
        out.serialize_field("id", &b.id)?;
        out.serialize_field("type", &b.category)?;
        out.serialize_field("display_name", &b.name)?;
        // The LMS leaves `children` out of a leaf.
        if !b.children.is_empty() {
            out.serialize_field("children", &b.children)?;
        }
        out.end()
    }
}

struct BlocksOut<'a>(&'a [Block]);

impl Serialize for BlocksOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for b in self.0 {
            map.serialize_entry(&b.id, &BlockOut(b))?;
        }
        map.end()
    }
}

impl Serialize for CourseStructure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("CourseStructure", 3)?;
        out.serialize_field("course_id", self.course())?;
        out.serialize_field("root", self.root())?;
        out.serialize_field("blocks", &BlocksOut(self.blocks()))?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const COURSE: &str = "course-v1:Org+C1+2024";

    fn cid() -> CourseId {
        COURSE.parse().unwrap()
    }

    fn key(category: &str, name: &str) -> String {
        format!("block-v1:Org+C1+2024+type@{category}+block@{name}")
    }

    /// A small answer of the Course Blocks API, with the fields the LMS adds.
    fn answer() -> Value {
        let (course, chapter, video) = (
            key("course", "course"),
            key("chapter", "c1"),
            key("video", "v1"),
        );
        json!({
            "root": course,
            "blocks": {
                course.clone(): {"id": course, "block_id": "course", "type": "course",
                    "display_name": "C1", "lms_web_url": "https://lms/x", "children": [chapter]},
                chapter.clone(): {"id": chapter, "block_id": "c1", "type": "chapter",
                    "display_name": "Week 1", "children": [video], "graded": false},
                video.clone(): {"id": video, "block_id": "v1", "type": "video",
                    "display_name": "", "student_view_url": "https://lms/xblock/v"}
            }
        })
    }

    fn import(doc: &Value) -> Result<CourseStructure, Rejection> {
        CourseStructure::from_course_blocks(&cid(), doc.to_string().as_bytes())
    }

    fn paths(r: &Rejection) -> Vec<&str> {
        r.problems.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn an_answer_of_the_api_is_read_and_written_back_in_its_shape() {
        let s = import(&answer()).unwrap();
        assert_eq!(s.blocks().len(), 3);
        assert_eq!(s.blocks()[2].name, "");
        let written = serde_json::to_value(&s).unwrap();
        let mut want = answer();
        want["course_id"] = json!(COURSE);
        for b in want["blocks"].as_object_mut().unwrap().values_mut() {
            let b = b.as_object_mut().unwrap();
            b.retain(|k, _| ["id", "type", "display_name", "children"].contains(&k.as_str()));
        }
        assert_eq!(written, want);
        assert_eq!(
            written.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["course_id", "root", "blocks"]
        );
        // What is written reads back, on its own or imported again.
        let bytes = serde_json::to_vec(&s).unwrap();
        assert_eq!(CourseStructure::from_json(&bytes).unwrap(), s);
        assert_eq!(
            CourseStructure::from_course_blocks(&cid(), &bytes).unwrap(),
            s
        );
    }

    #[test]
    fn missing_display_names_and_children_are_empty() {
        let mut doc = answer();
        let video = key("video", "v1");
        doc["blocks"][&video]
            .as_object_mut()
            .unwrap()
            .remove("display_name");
        doc["blocks"][&video]["children"] = Value::Null;
        let s = import(&doc).unwrap();
        let v = s.block(&video).unwrap();
        assert!(v.name.is_empty() && v.children.is_empty());
    }

    #[test]
    fn the_course_id_of_a_document_must_be_the_course_imported_into() {
        let mut doc = answer();
        doc["course_id"] = json!("course-v1:Org+C2+2024");
        let r = import(&doc).unwrap_err();
        assert_eq!(paths(&r), ["course_id"]);
        assert!(r.problems[0].message.contains("differs"), "{r}");
        // Without a course given, the document must name one.
        let r = CourseStructure::from_json(answer().to_string().as_bytes()).unwrap_err();
        assert_eq!(paths(&r), ["course_id"]);
    }

    #[test]
    fn documents_of_the_wrong_shape_say_what_is_wrong() {
        let r = import(&json!([answer()["blocks"]])).unwrap_err();
        assert!(r.to_string().contains("return_type=dict"), "{r}");
        let r = import(&json!({})).unwrap_err();
        assert_eq!(paths(&r), ["root", "blocks"]);
        let r = import(&json!({"root": 1, "blocks": []})).unwrap_err();
        assert_eq!(paths(&r), ["root", "blocks"]);

        let video = key("video", "v1");
        let p = block_path(&video);
        let mut doc = answer();
        doc["blocks"][&video] = json!({"id": key("video", "v2"), "type": 3, "children": [1]});
        let r = import(&doc).unwrap_err();
        assert_eq!(
            paths(&r),
            [
                format!("{p}.type"),
                format!("{p}.id"),
                format!("{p}.children[0]")
            ]
        );
        let mut doc = answer();
        doc["blocks"][&video] = json!("video");
        assert_eq!(paths(&import(&doc).unwrap_err()), [p.as_str()]);
        let mut doc = answer();
        doc["blocks"][&video]
            .as_object_mut()
            .unwrap()
            .remove("type");
        assert_eq!(paths(&import(&doc).unwrap_err()), [format!("{p}.type")]);
    }

    #[test]
    fn structure_rules_apply_to_imports() {
        let mut doc = answer();
        let chapter = key("chapter", "c1");
        doc["blocks"][&chapter]["children"] = json!([key("video", "gone")]);
        let r = import(&doc).unwrap_err();
        let paths = paths(&r);
        assert_eq!(paths[0], format!("{}.children[0]", block_path(&chapter)));
    }

    #[test]
    fn malformed_and_oversized_documents_are_rejections() {
        for bad in [&b"{"[..], b"", b"\xff", b"{\"root\": \"\\ud800\"}"] {
            assert!(CourseStructure::from_course_blocks(&cid(), bad).is_err());
        }
        let big = vec![b' '; MAX_STRUCTURE_BYTES + 1];
        let r = CourseStructure::from_course_blocks(&cid(), &big).unwrap_err();
        assert!(r.to_string().contains("more than the"), "{r}");
    }
}
