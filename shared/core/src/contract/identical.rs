//! One fixed script whose pages two correct stores answer identically.

use super::fixtures::*;
use crate::store::{CatalogStore, RecordPage, RecordQuery};

/// Runs one fixed script of writes and queries and returns every page read, labelled. Two
/// correct stores return equal vectors. Counts are left out: a store may not know them.
pub async fn scripted_pages<S: CatalogStore>(store: &S) -> Vec<(String, RecordPage)> {
    let catalog = catalog23();
    load(store, &catalog).await;
    store
        .put_course(full_course("course-v1:PoliMi+FIS101+2024"), at(35))
        .await
        .unwrap();
    store
        .delete_course(&catalog[7].0.course_id, at(40))
        .await
        .unwrap();
    store
        .put_course(course_in(catalog[8].0.course_id.as_str(), &["b:x"]), at(40))
        .await
        .unwrap();

    let queries = [
        ("all", query(5)),
        ("all-1", query(1)),
        (
            "set a",
            RecordQuery {
                set: Some(spec("a")),
                ..query(3)
            },
        ),
        (
            "set b",
            RecordQuery {
                set: Some(spec("b")),
                ..query(4)
            },
        ),
        (
            "set ab",
            RecordQuery {
                set: Some(spec("ab")),
                ..query(2)
            },
        ),
        (
            "window",
            RecordQuery {
                from: Some(at(20)),
                until: Some(at(40)),
                ..query(4)
            },
        ),
        (
            "set+window",
            RecordQuery {
                set: Some(spec("a")),
                from: Some(at(10)),
                until: Some(at(80)),
                ..query(2)
            },
        ),
        (
            "physics",
            RecordQuery {
                set: Some(spec("physics")),
                ..query(5)
            },
        ),
    ];
    let mut out = Vec::new();
    for (label, q) in queries {
        for (i, page) in walk(store, &q).await.into_iter().enumerate() {
            out.push((format!("{label} #{i}"), page));
        }
    }
    out
}

pub async fn scripted_pages_are_stable<S: CatalogStore>(store: S) {
    let pages = scripted_pages(&store).await;
    let all: Vec<_> = pages
        .iter()
        .filter(|(l, _)| l.starts_with("all #"))
        .collect();
    assert_eq!(all.len(), 5, "24 records at 5 a page");
    assert_eq!(all.iter().map(|(_, p)| p.records.len()).sum::<usize>(), 24);
    // Reading again gives the same pages.
    let q = query(5);
    assert_eq!(store.page_courses(&q).await.unwrap(), all[0].1);
}
