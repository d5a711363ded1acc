//! The contract of a [`StructureStore`]: one structure per course, replaced whole, large
//! ones included.

use crate::catalog::CourseId;
use crate::store::StoreError;
use crate::structure::{Block, CourseStructure, StructureStore};

fn cid(s: &str) -> CourseId {
    s.parse().unwrap()
}

/// The usage key of a block of `course` (either key style).
pub fn usage_key(course: &CourseId, category: &str, name: &str) -> String {
    let id = course.as_str();
    match id.strip_prefix("course-v1:") {
        Some(locator) => format!("block-v1:{locator}+type@{category}+block@{name}"),
        None => {
            let mut parts = id.split('/');
            let (org, number) = (parts.next().unwrap(), parts.next().unwrap());
            format!("i4x://{org}/{number}/{category}/{name}")
        }
    }
}

/// A structure of `chapters` chapters of `leaves` blocks each (html, problem, video in turn),
/// named `<tag>` and a word of the block.
pub fn course_structure(
    course: &str,
    chapters: usize,
    leaves: usize,
    tag: &str,
) -> CourseStructure {
    structure_with_names(course, chapters, leaves, |i| format!("{tag} {i}"))
}

/// A structure near the limits: [`MAX_BLOCKS`](crate::structure::MAX_BLOCKS) blocks whose
/// names (64 hex digits drawn from `seed`) do not compress, so that it takes well over
/// DynamoDB's 400 KB item limit compressed.
pub fn large_structure(course: &str, seed: u64) -> CourseStructure {
    let mut state = seed;
    // splitmix64: cheap, and enough entropy that deflate gains little on the names.
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let chapters = 100;
    let leaves = crate::structure::MAX_BLOCKS / chapters - 2;
    structure_with_names(course, chapters, leaves, |_| {
        format!(
            "{:016x}{:016x}{:016x}{:016x}",
            next(),
            next(),
            next(),
            next()
        )
    })
}

fn structure_with_names(
    course: &str,
    chapters: usize,
    leaves: usize,
    mut name: impl FnMut(usize) -> String,
) -> CourseStructure {
    let course = cid(course);
    let root = usage_key(&course, "course", "course");
    let mut blocks = vec![Block {
        id: root.clone(),
        category: "course".into(),
        name: name(0),
        children: Vec::new(),
    }];
    let mut n = 1;
    for c in 0..chapters {
        let chapter = usage_key(&course, "chapter", &format!("ch{c}"));
        blocks[0].children.push(chapter.clone());
        let mut children = Vec::with_capacity(leaves);
        for l in 0..leaves {
            let category = ["html", "problem", "video"][l % 3];
            let id = usage_key(&course, category, &format!("b{c}_{l}"));
            children.push(id.clone());
            n += 1;
            blocks.push(Block {
                id,
                category: category.into(),
                name: name(n),
                children: Vec::new(),
            });
        }
        n += 1;
        blocks.push(Block {
            id: chapter,
            category: "chapter".into(),
            name: name(n),
            children,
        });
    }
    CourseStructure::new(course, root, blocks).unwrap()
}

pub async fn structures_are_put_read_replaced_and_deleted<S: StructureStore>(store: S) {
    let course = cid("course-v1:Org+S1+2024");
    assert!(store.get_structure(&course).await.unwrap().is_none());
    let first = course_structure(course.as_str(), 2, 3, "first");
    assert!(
        !store.put_structure(&first).await.unwrap(),
        "nothing replaced"
    );
    assert_eq!(store.get_structure(&course).await.unwrap(), Some(first));

    let second = course_structure(course.as_str(), 3, 1, "second");
    assert!(store.put_structure(&second).await.unwrap(), "replaced");
    let read = store.get_structure(&course).await.unwrap().unwrap();
    assert_eq!(read, second, "the later structure, whole");
    assert_eq!(read.blocks().len(), 1 + 3 * 2);

    // The same structure again changes nothing.
    assert!(store.put_structure(&second).await.unwrap());
    assert_eq!(store.get_structure(&course).await.unwrap(), Some(second));

    store.delete_structure(&course).await.unwrap();
    assert!(store.get_structure(&course).await.unwrap().is_none());
    assert!(matches!(
        store.delete_structure(&course).await,
        Err(StoreError::NotFound)
    ));
    let again = course_structure(course.as_str(), 1, 1, "again");
    assert!(
        !store.put_structure(&again).await.unwrap(),
        "a deleted structure is not replaced"
    );
    assert_eq!(store.get_structure(&course).await.unwrap(), Some(again));
}

pub async fn structures_of_two_courses_are_kept_apart<S: StructureStore>(store: S) {
    let new_style = cid("course-v1:Org+S2+2024");
    // An old-style id holds slashes, and a course id that starts like the other.
    let old_style = cid("Org/S2/2024");
    let longer = cid("course-v1:Org+S2+2024_b");
    for id in [&new_style, &old_style, &longer] {
        let s = course_structure(id.as_str(), 2, 2, id.as_str());
        store.put_structure(&s).await.unwrap();
    }
    store.delete_structure(&new_style).await.unwrap();
    assert!(store.get_structure(&new_style).await.unwrap().is_none());
    for id in [&old_style, &longer] {
        let read = store.get_structure(id).await.unwrap().unwrap();
        assert_eq!(read.course(), id);
        assert_eq!(read, course_structure(id.as_str(), 2, 2, id.as_str()));
    }
    let old_root = store
        .get_structure(&old_style)
        .await
        .unwrap()
        .unwrap()
        .root()
        .to_owned();
    assert_eq!(old_root, "i4x://Org/S2/course/course");
}

pub async fn the_largest_structure_is_kept_whole<S: StructureStore>(store: S) {
    let course = "course-v1:Org+Big+2024";
    let big = large_structure(course, 7);
    assert_eq!(big.blocks().len(), crate::structure::MAX_BLOCKS - 99);
    store.put_structure(&big).await.unwrap();
    assert_eq!(store.get_structure(big.course()).await.unwrap(), Some(big));
    // Replaced by a small one, then by another large one: nothing of the first remains.
    let small = course_structure(course, 1, 1, "small");
    store.put_structure(&small).await.unwrap();
    assert_eq!(
        store.get_structure(small.course()).await.unwrap(),
        Some(small)
    );
    let other = large_structure(course, 8);
    store.put_structure(&other).await.unwrap();
    assert_eq!(
        store.get_structure(other.course()).await.unwrap(),
        Some(other)
    );
}

pub async fn readers_see_one_structure_or_the_other_while_it_is_replaced<S: StructureStore>(
    store: S,
) {
    let course = "course-v1:Org+Race+2024";
    let a = large_structure(course, 1);
    let b = large_structure(course, 2);
    store.put_structure(&a).await.unwrap();
    let writer = async {
        for s in [&b, &a, &b] {
            store.put_structure(s).await.unwrap();
        }
    };
    let reader = async {
        let mut seen = Vec::new();
        for _ in 0..6 {
            let read = store.get_structure(a.course()).await.unwrap().unwrap();
            assert!(read == a || read == b, "a structure read half written");
            seen.push(read == a);
            tokio::task::yield_now().await;
        }
        seen
    };
    let ((), seen) = tokio::join!(writer, reader);
    assert_eq!(seen.len(), 6);
    assert_eq!(store.get_structure(a.course()).await.unwrap(), Some(b));
}
