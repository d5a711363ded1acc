//! The structure's types and the rules every structure keeps, whoever builds it (the Course
//! Blocks API reader, a store reading one back, a test).

use std::collections::HashMap;

use crate::catalog::{CourseId, Issue, Rejection};

/// The most blocks a structure holds. Large MOOCs have a few thousand; the bound keeps one
/// structure a few megabytes.
pub const MAX_BLOCKS: usize = 20_000;
/// The most bytes of a structure: of the Course Blocks API document read, and of the
/// structure as stored (its serialized JSON).
pub const MAX_STRUCTURE_BYTES: usize = 8 * 1024 * 1024;
/// The longest usage key, in bytes (a course id is at most 255).
pub const MAX_USAGE_KEY_BYTES: usize = 512;
/// The longest display name, in bytes.
pub const MAX_BLOCK_NAME_BYTES: usize = 4096;
/// The longest category (XBlock type), in bytes.
const MAX_CATEGORY_BYTES: usize = 64;
/// The most problems one rejection lists; a broken export can have thousands of the same.
const MAX_PROBLEMS: usize = 50;

/// One block of a course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The usage key: `block-v1:Org+Course+Run+type@<category>+block@<url_name>`, or
    /// `i4x://Org/Course/<category>/<url_name>` in an old-style course.
    pub id: String,
    /// The XBlock type: `course`, `chapter`, `sequential`, `vertical`, `problem`, `video`, ...
    pub category: String,
    /// The display name (may be empty, as the LMS sends it for unnamed blocks).
    pub name: String,
    /// The usage keys of the children, in course order.
    pub children: Vec<String>,
}

impl Block {
    /// The last part of the usage key, the name the LMS's events and URLs use for the block.
    pub fn url_name(&self) -> &str {
        url_name(&self.id)
    }
}

/// A course's blocks, from its root (the `course` block), each once, in depth-first course
/// order. Built only through [`CourseStructure::new`] (or the readers that call it), so every
/// structure keeps its rules: one root of category `course`; every child present; no cycle;
/// every block under the root; every usage key a key of the course, of the block's category;
/// within [`MAX_BLOCKS`] and [`MAX_STRUCTURE_BYTES`].
#[derive(Clone, Debug)]
pub struct CourseStructure {
    course: CourseId,
    root: String,
    blocks: Vec<Block>,
    by_id: HashMap<String, usize>,
    /// The first block (in course order) of each url_name: a url_name is unique within a
    /// category, and rarely reused across two.
    by_url_name: HashMap<String, usize>,
}

impl PartialEq for CourseStructure {
    fn eq(&self, other: &Self) -> bool {
        // The indexes follow from the blocks.
        self.course == other.course && self.root == other.root && self.blocks == other.blocks
    }
}

impl Eq for CourseStructure {}

/// The problems found so far, at most [`MAX_PROBLEMS`] of them, and how many more.
#[derive(Default)]
pub(super) struct Problems {
    listed: Vec<Issue>,
    more: usize,
}

impl Problems {
    pub(super) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        if self.listed.len() < MAX_PROBLEMS {
            self.listed.push(Issue::new(path, message));
        } else {
            self.more += 1;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    pub(super) fn rejection(mut self) -> Rejection {
        if self.more > 0 {
            self.listed.push(Issue::new(
                "",
                format!("and {} more problems like these", self.more),
            ));
        }
        Rejection {
            problems: self.listed,
        }
    }
}

/// The path of a block in a structure document: `blocks["<usage key>"]`.
pub(super) fn block_path(id: &str) -> String {
    format!("blocks[{}]", serde_json::Value::from(id))
}

/// Characters of a category or url_name in a usage key (opaque-keys' `[\w\-~.:]`, and `%` of
/// old keys).
fn key_part_ok(part: &str, max: usize) -> bool {
    !part.is_empty()
        && part.len() <= max
        && part
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '~' | '.' | ':' | '%'))
}

/// The last part of a usage key of either style (its parts hold neither `@` nor `/`).
fn url_name(key: &str) -> &str {
    key.rsplit(['@', '/']).next().unwrap_or(key)
}

/// The category and url_name of `key` when it is the usage key of a block of `course`:
/// `block-v1:<Org+Course+Run>+type@<category>+block@<url_name>` for a `course-v1:` course,
/// `i4x://<Org>/<Course>/<category>/<url_name>` for an old-style one. Keys with a branch or
/// version (Studio's drafts) are not a published course's.
///
/// # Errors
/// Why it is not, in a sentence.
pub fn usage_key_parts<'k>(course: &CourseId, key: &'k str) -> Result<(&'k str, &'k str), String> {
    let id = course.as_str();
    let (parts, form) = match id.strip_prefix("course-v1:") {
        Some(locator) => {
            let form = format!("block-v1:{locator}+type@<category>+block@<url_name>");
            let parts = key
                .strip_prefix("block-v1:")
                .and_then(|k| k.strip_prefix(locator))
                .and_then(|k| k.strip_prefix("+type@"))
                .and_then(|k| k.split_once("+block@"));
            (parts, form)
        }
        None => {
            let mut org_course = id.splitn(3, '/');
            let (org, number) = (
                org_course.next().unwrap_or_default(),
                org_course.next().unwrap_or_default(),
            );
            let form = format!("i4x://{org}/{number}/<category>/<url_name>");
            let parts = key
                .strip_prefix("i4x://")
                .and_then(|k| k.strip_prefix(org))
                .and_then(|k| k.strip_prefix('/'))
                .and_then(|k| k.strip_prefix(number))
                .and_then(|k| k.strip_prefix('/'))
                .and_then(|k| k.split_once('/'));
            (parts, form)
        }
    };
    match parts {
        Some((category, name))
            if key_part_ok(category, MAX_CATEGORY_BYTES) && key_part_ok(name, key.len()) =>
        {
            Ok((category, name))
        }
        _ => Err(format!(
            "{key:?} is not a usage key of course {id} ({form})"
        )),
    }
}

/// Whether a category is one an XBlock type can be.
fn category_ok(category: &str) -> bool {
    key_part_ok(category, MAX_CATEGORY_BYTES)
}

impl CourseStructure {
    /// The structure of `course` from its blocks (in any order) and the usage key of its
    /// root, checked against every rule of the type.
    ///
    /// # Errors
    /// Every rule broken, each with the block's path (`blocks["<usage key>"]`), the first
    /// [`MAX_PROBLEMS`] of them.
    pub fn new(course: CourseId, root: String, blocks: Vec<Block>) -> Result<Self, Rejection> {
        let mut problems = Problems::default();
        if blocks.is_empty() {
            problems.add("blocks", "holds no block");
            return Err(problems.rejection());
        }
        if blocks.len() > MAX_BLOCKS {
            problems.add(
                "blocks",
                format!(
                    "holds {} blocks, more than the {MAX_BLOCKS} a structure may",
                    blocks.len()
                ),
            );
            return Err(problems.rejection());
        }
        let mut by_id: HashMap<String, usize> = HashMap::with_capacity(blocks.len());
        for (i, block) in blocks.iter().enumerate() {
            if by_id.insert(block.id.clone(), i).is_some() {
                problems.add(block_path(&block.id), "appears twice");
            }
        }
        for block in &blocks {
            check_block(&course, block, &by_id, &mut problems);
        }
        match by_id.get(&root) {
            None => problems.add("root", format!("{root:?} is not one of the blocks")),
            Some(&i) if blocks[i].category != "course" => problems.add(
                "root",
                format!(
                    "is a {} block; the root of a course's structure is its course block",
                    blocks[i].category
                ),
            ),
            Some(_) => {}
        }
        if !problems.is_empty() {
            return Err(problems.rejection());
        }
        let order = course_order(&root, &blocks, &by_id, &mut problems);
        if !problems.is_empty() {
            return Err(problems.rejection());
        }
        let mut slots: Vec<Option<Block>> = blocks.into_iter().map(Some).collect();
        let blocks: Vec<Block> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let structure = Self::indexed(course, root, blocks);
        let size = stored_size(&structure);
        if size > MAX_STRUCTURE_BYTES {
            problems.add(
                "",
                format!(
                    "the structure takes {size} bytes stored, more than the \
                     {MAX_STRUCTURE_BYTES} a structure may"
                ),
            );
            return Err(problems.rejection());
        }
        Ok(structure)
    }

    /// The structure with its indexes; `blocks` already checked and in course order.
    fn indexed(course: CourseId, root: String, blocks: Vec<Block>) -> Self {
        let mut by_id = HashMap::with_capacity(blocks.len());
        let mut by_url_name = HashMap::with_capacity(blocks.len());
        for (i, b) in blocks.iter().enumerate() {
            by_id.insert(b.id.clone(), i);
            by_url_name.entry(b.url_name().to_owned()).or_insert(i);
        }
        Self {
            course,
            root,
            blocks,
            by_id,
            by_url_name,
        }
    }

    pub fn course(&self) -> &CourseId {
        &self.course
    }

    /// The usage key of the course block.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Every block, in depth-first course order from the root.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The blocks of one category, in course order.
    pub fn blocks_of<'s>(&'s self, category: &'s str) -> impl Iterator<Item = &'s Block> + 's {
        self.blocks.iter().filter(move |b| b.category == category)
    }

    /// A block by its usage key.
    pub fn block(&self, id: &str) -> Option<&Block> {
        self.by_id.get(id).map(|&i| &self.blocks[i])
    }

    /// The usage key of the block with this url_name (the last part of its key, which is what
    /// old events name a block by); the first in course order if two categories share it.
    pub fn block_by_url_name(&self, url_name: &str) -> Option<&str> {
        self.by_url_name
            .get(url_name)
            .map(|&i| self.blocks[i].id.as_str())
    }
}

/// The bytes of the structure's JSON, counted as it is written rather than kept: every
/// structure read back from a store is checked again.
fn stored_size(structure: &CourseStructure) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, structure) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

fn check_block(
    course: &CourseId,
    block: &Block,
    by_id: &HashMap<String, usize>,
    problems: &mut Problems,
) {
    let path = block_path(&block.id);
    if block.id.len() > MAX_USAGE_KEY_BYTES {
        problems.add(
            &path,
            format!("the usage key is longer than {MAX_USAGE_KEY_BYTES} bytes"),
        );
    } else {
        match usage_key_parts(course, &block.id) {
            Err(why) => problems.add(&path, why),
            Ok((category, _)) if category != block.category => problems.add(
                format!("{path}.type"),
                format!(
                    "is {:?}, but the usage key says {category:?}",
                    block.category
                ),
            ),
            Ok(_) => {}
        }
    }
    if !category_ok(&block.category) {
        problems.add(
            format!("{path}.type"),
            format!("{:?} is not a block type", block.category),
        );
    }
    if block.name.len() > MAX_BLOCK_NAME_BYTES {
        problems.add(
            format!("{path}.display_name"),
            format!("is longer than {MAX_BLOCK_NAME_BYTES} bytes"),
        );
    }
    let mut seen = std::collections::HashSet::with_capacity(block.children.len());
    for (i, child) in block.children.iter().enumerate() {
        let at = format!("{path}.children[{i}]");
        if !by_id.contains_key(child) {
            problems.add(
                at,
                format!(
                    "{child:?} is not one of the blocks (export with all_blocks=true&depth=all \
                     and no block_types_filter)"
                ),
            );
        } else if !seen.insert(child.as_str()) {
            problems.add(at, format!("{child:?} is named twice"));
        }
    }
}

/// The blocks' indexes in depth-first order from the root, each once; a cycle, or a block the
/// root does not reach, is a problem. Children are known to exist.
fn course_order(
    root: &str,
    blocks: &[Block],
    by_id: &HashMap<String, usize>,
    problems: &mut Problems,
) -> Vec<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; blocks.len()];
    let mut order = Vec::with_capacity(blocks.len());
    let Some(&start) = by_id.get(root) else {
        return order;
    };
    // (block, index of its next child): an explicit stack, as a course can be deep.
    let mut stack = vec![(start, 0usize)];
    marks[start] = Mark::Open;
    order.push(start);
    while let Some((at, next)) = stack.pop() {
        let Some(child) = blocks[at].children.get(next) else {
            marks[at] = Mark::Done;
            continue;
        };
        stack.push((at, next + 1));
        let Some(&c) = by_id.get(child) else {
            continue;
        };
        match marks[c] {
            Mark::New => {
                marks[c] = Mark::Open;
                order.push(c);
                stack.push((c, 0));
            }
            Mark::Open => problems.add(
                format!("{}.children[{next}]", block_path(&blocks[at].id)),
                format!("{child:?} contains this block: the blocks form a cycle"),
            ),
            // Shared by two parents (a DAG, as content libraries make): listed once.
            Mark::Done => {}
        }
    }
    for (i, mark) in marks.iter().enumerate() {
        if *mark == Mark::New {
            problems.add(
                block_path(&blocks[i].id),
                "is not under the root (no block names it as a child)",
            );
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    const COURSE: &str = "course-v1:Org+C1+2024";

    fn cid(s: &str) -> CourseId {
        s.parse().unwrap()
    }

    fn key(category: &str, name: &str) -> String {
        format!("block-v1:Org+C1+2024+type@{category}+block@{name}")
    }

    fn block(category: &str, name: &str, children: &[String]) -> Block {
        Block {
            id: key(category, name),
            category: category.to_owned(),
            name: format!("{category} {name}"),
            children: children.to_vec(),
        }
    }

    /// course → ch1 → seq1 → (problem p1, video v1); course → ch2; listed out of order.
    fn small() -> Vec<Block> {
        vec![
            block("video", "v1", &[]),
            block("chapter", "ch2", &[]),
            block(
                "sequential",
                "seq1",
                &[key("problem", "p1"), key("video", "v1")],
            ),
            block(
                "course",
                "course",
                &[key("chapter", "ch1"), key("chapter", "ch2")],
            ),
            block("problem", "p1", &[]),
            block("chapter", "ch1", &[key("sequential", "seq1")]),
        ]
    }

    fn build(blocks: Vec<Block>) -> Result<CourseStructure, Rejection> {
        CourseStructure::new(cid(COURSE), key("course", "course"), blocks)
    }

    fn paths(r: &Rejection) -> Vec<&str> {
        r.problems.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn blocks_are_kept_in_depth_first_course_order() {
        let s = build(small()).unwrap();
        let names: Vec<&str> = s.blocks().iter().map(Block::url_name).collect();
        assert_eq!(names, ["course", "ch1", "seq1", "p1", "v1", "ch2"]);
        assert_eq!(s.root(), key("course", "course"));
        assert_eq!(s.block(&key("problem", "p1")).unwrap().name, "problem p1");
        // The order of the input does not matter.
        let mut reversed = small();
        reversed.reverse();
        assert_eq!(build(reversed).unwrap(), s);
    }

    #[test]
    fn a_block_is_found_by_its_url_name() {
        let s = build(small()).unwrap();
        assert_eq!(s.block_by_url_name("v1"), Some(key("video", "v1").as_str()));
        assert_eq!(s.block_by_url_name("course"), Some(s.root()));
        assert_eq!(s.block_by_url_name("nope"), None);
        assert_eq!(s.block_by_url_name(""), None);
    }

    #[test]
    fn a_url_name_shared_by_two_categories_finds_the_first_in_course_order() {
        let mut blocks = small();
        blocks.push(block("html", "p1", &[]));
        blocks[3].children.push(key("html", "p1"));
        let s = build(blocks).unwrap();
        assert_eq!(
            s.block_by_url_name("p1"),
            Some(key("problem", "p1").as_str())
        );
    }

    #[test]
    fn a_block_shared_by_two_parents_is_listed_once() {
        let mut blocks = small();
        // ch2 also holds seq1 (a DAG, not a cycle).
        blocks[1].children.push(key("sequential", "seq1"));
        let s = build(blocks).unwrap();
        assert_eq!(s.blocks().len(), 6);
    }

    #[test]
    fn old_style_courses_have_i4x_keys() {
        let course = cid("Polimi/FIS101/2015_M9");
        let blocks = vec![
            Block {
                id: "i4x://Polimi/FIS101/course/2015_M9".into(),
                category: "course".into(),
                name: "Fisica".into(),
                children: vec!["i4x://Polimi/FIS101/video/W1M1L1_video".into()],
            },
            Block {
                id: "i4x://Polimi/FIS101/video/W1M1L1_video".into(),
                category: "video".into(),
                name: String::new(),
                children: vec![],
            },
        ];
        let s = CourseStructure::new(course, "i4x://Polimi/FIS101/course/2015_M9".into(), blocks)
            .unwrap();
        assert_eq!(
            s.block_by_url_name("W1M1L1_video"),
            Some("i4x://Polimi/FIS101/video/W1M1L1_video")
        );
    }

    #[test]
    fn usage_keys_must_be_keys_of_the_course() {
        let c = cid(COURSE);
        assert_eq!(
            usage_key_parts(&c, &key("openassessment", "a-b.c~d:e")),
            Ok(("openassessment", "a-b.c~d:e"))
        );
        for bad in [
            "block-v1:Org+C2+2024+type@video+block@v",
            "block-v1:Org+C1+2024+branch@draft+version@1+type@video+block@v",
            "block-v1:Org+C1+2024+type@video+block@",
            "block-v1:Org+C1+2024+type@+block@v",
            "block-v1:Org+C1+2024+type@video+block@a/b",
            "block-v1:Org+C1+2024+type@video+block@a b",
            "i4x://Org/C1/video/v",
            "v",
        ] {
            let why = usage_key_parts(&c, bad).unwrap_err();
            assert!(why.contains("block-v1:Org+C1+2024+type@"), "{why}");
        }
        let old = cid("Org/C1/R");
        assert_eq!(
            usage_key_parts(&old, "i4x://Org/C1/chapter/week_1"),
            Ok(("chapter", "week_1"))
        );
        for bad in [
            "i4x://Org/C2/chapter/w",
            "i4x://Org/C1/chapter/w/x",
            "i4x://Org/C1/chapter",
            "i4x://Org/C1/chapter/w@draft",
            "block-v1:Org+C1+R+type@chapter+block@w",
        ] {
            assert!(usage_key_parts(&old, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_broken_rule_is_named_with_its_block() {
        let mut blocks = small();
        blocks[0].category = "html".into(); // video v1 typed html
        blocks[2].children.push(key("problem", "missing"));
        blocks[2].children.push(key("problem", "p1"));
        blocks.push(Block {
            id: "block-v1:Other+C1+2024+type@html+block@x".into(),
            category: "html".into(),
            name: String::new(),
            children: vec![],
        });
        let r = build(blocks).unwrap_err();
        let seq = block_path(&key("sequential", "seq1"));
        assert_eq!(
            paths(&r),
            [
                format!("{}.type", block_path(&key("video", "v1"))),
                format!("{seq}.children[2]"),
                format!("{seq}.children[3]"),
                block_path("block-v1:Other+C1+2024+type@html+block@x"),
            ]
        );
        assert!(r.problems[1].message.contains("depth=all"), "{r}");
        assert!(r.problems[2].message.contains("named twice"), "{r}");
    }

    #[test]
    fn cycles_and_blocks_outside_the_root_are_refused() {
        let mut blocks = small();
        blocks[2].children.push(key("chapter", "ch1")); // seq1 → ch1 → seq1
        let r = build(blocks).unwrap_err();
        assert_eq!(r.problems.len(), 1, "{r}");
        assert!(r.problems[0].message.contains("cycle"), "{r}");

        let mut blocks = small();
        blocks.push(block("html", "orphan", &[]));
        let r = build(blocks).unwrap_err();
        assert_eq!(paths(&r), [block_path(&key("html", "orphan"))]);

        // A block that is its own child.
        let mut blocks = small();
        blocks[4].children.push(key("problem", "p1"));
        assert!(build(blocks).unwrap_err().to_string().contains("cycle"));
    }

    #[test]
    fn the_root_is_the_course_block() {
        let r = CourseStructure::new(cid(COURSE), key("chapter", "ch1"), small()).unwrap_err();
        assert_eq!(paths(&r), ["root"]);
        let r = CourseStructure::new(cid(COURSE), key("course", "nope"), small()).unwrap_err();
        assert!(
            r.problems[0].message.contains("not one of the blocks"),
            "{r}"
        );
        let r = build(Vec::new()).unwrap_err();
        assert_eq!(paths(&r), ["blocks"]);
    }

    #[test]
    fn the_stored_size_is_the_length_of_the_json() {
        let s = build(small()).unwrap();
        assert_eq!(stored_size(&s), serde_json::to_vec(&s).unwrap().len());
    }

    #[test]
    fn sizes_are_bounded() {
        let mut blocks = small();
        blocks[0].name = "n".repeat(MAX_BLOCK_NAME_BYTES + 1);
        let r = build(blocks).unwrap_err();
        assert!(r.problems[0].path.ends_with(".display_name"), "{r}");

        let mut many = vec![block("course", "course", &[])];
        for i in 0..MAX_BLOCKS {
            let name = format!("h{i}");
            many[0].children.push(key("html", &name));
            many.push(block("html", &name, &[]));
        }
        let r = build(many).unwrap_err();
        assert!(r.problems[0].message.contains("more than the 20000"), "{r}");

        // Few blocks, but long names: the bytes stored are bounded too.
        let mut heavy = vec![block("course", "course", &[])];
        for i in 0..MAX_STRUCTURE_BYTES / MAX_BLOCK_NAME_BYTES + 1 {
            let name = format!("h{i}");
            heavy[0].children.push(key("html", &name));
            let mut b = block("html", &name, &[]);
            b.name = "n".repeat(MAX_BLOCK_NAME_BYTES);
            heavy.push(b);
        }
        let r = build(heavy).unwrap_err();
        assert_eq!(paths(&r), [""]);
        assert!(r.problems[0].message.contains("bytes stored"), "{r}");
    }

    #[test]
    fn a_rejection_lists_a_bounded_number_of_problems() {
        let mut blocks = small();
        for i in 0..200 {
            blocks[3].children.push(key("html", &format!("gone{i}")));
        }
        let r = build(blocks).unwrap_err();
        assert_eq!(r.problems.len(), MAX_PROBLEMS + 1);
        assert!(r.problems[MAX_PROBLEMS].message.contains("150 more"), "{r}");
    }
}
