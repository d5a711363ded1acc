//! Pages: order, positions, windows, sets, counts, earliest datestamp.

use std::collections::BTreeSet;

use super::fixtures::*;
use crate::datestamp::Datestamp;
use crate::order::Position;
use crate::store::{CatalogStore, RecordQuery};

pub async fn pages_walk_every_record_in_order<S: CatalogStore>(store: S) {
    seed(&store).await;
    let catalog = catalog23();
    load(&store, &catalog).await;
    let all = expected(&catalog, &query(5));
    assert_eq!(all.len(), 23);
    for limit in [1, 5, 22, 23, 24, 100] {
        let pages = walk(&store, &query(limit)).await;
        assert_eq!(ids(&flatten(&pages)), all, "limit {limit}");
        assert_eq!(
            pages.len(),
            all.len().div_ceil(limit).max(1),
            "page count at limit {limit}"
        );
    }
    // Records carry their own datestamps.
    let first = store.page_courses(&query(2)).await.unwrap();
    assert_eq!(first.records[0].datestamp, at(0));
    assert_eq!(first.records[1].datestamp, at(0));
    assert!(first.more);
}

pub async fn last_page_exactly_full_has_no_more<S: CatalogStore>(store: S) {
    seed(&store).await;
    let catalog: Vec<_> = catalog23().into_iter().take(20).collect();
    load(&store, &catalog).await;
    let pages = walk(&store, &query(5)).await;
    assert_eq!(pages.len(), 4);
    let last = pages.last().unwrap();
    assert_eq!((last.records.len(), last.more), (5, false));
    // Past the last record: an empty page, no more.
    let q = RecordQuery {
        after: last.records.last().map(position),
        ..query(5)
    };
    let page = store.page_courses(&q).await.unwrap();
    assert_eq!((page.records.len(), page.more), (0, false));
    // A query that matches nothing gives one empty page.
    let empty = RecordQuery {
        set: Some(spec("nothing")),
        ..query(5)
    };
    let page = store.page_courses(&empty).await.unwrap();
    assert_eq!((page.records.len(), page.more), (0, false));
}

pub async fn after_a_position_not_in_the_store<S: CatalogStore>(store: S) {
    seed(&store).await;
    let catalog = catalog23();
    load(&store, &catalog).await;
    let all = expected(&catalog, &query(100));
    // Between the two courses of second 30, "Org/C33/R" and "course-v1:Org+C34+R" (byte
    // order: 'O' < 'c', so the later-inserted id comes first).
    let after = Position {
        datestamp: at(30),
        course_id: cid("Org/C33/S"),
    };
    let q = RecordQuery {
        after: Some(after),
        ..query(100)
    };
    let got = ids(&store.page_courses(&q).await.unwrap().records);
    let from = all
        .iter()
        .position(|id| id == "course-v1:Org+C34+R")
        .unwrap();
    assert_eq!(all[from - 1], "Org/C33/R", "fixture order");
    assert_eq!(
        got,
        all[from..],
        "strictly after a position between two records"
    );
    // A position equal to a record excludes it.
    let after = Position {
        datestamp: at(30),
        course_id: cid("course-v1:Org+C34+R"),
    };
    let q = RecordQuery {
        after: Some(after),
        ..query(100)
    };
    let got = ids(&store.page_courses(&q).await.unwrap().records);
    assert_eq!(got, all[from + 1..]);
}

pub async fn window_is_inclusive_at_both_ends<S: CatalogStore>(store: S) {
    seed(&store).await;
    let catalog = catalog23();
    load(&store, &catalog).await;
    let windows = [
        (Some(at(30)), Some(at(60))),
        (Some(at(30)), Some(at(30))),
        (Some(at(31)), Some(at(39))),
        (Some(at(29)), None),
        (None, Some(at(0))),
        (None, Some(at(59))),
        (Some(at(110)), None),
        (Some(at(100)), Some(at(200))),
        (Some(at(60)), Some(at(30))),
    ];
    for (from, until) in windows {
        let q = RecordQuery {
            from,
            until,
            ..query(3)
        };
        let got = ids(&flatten(&walk(&store, &q).await));
        assert_eq!(got, expected(&catalog, &q), "from {from:?} until {until:?}");
    }
    let q = RecordQuery {
        from: Some(at(30)),
        until: Some(at(30)),
        ..query(3)
    };
    assert_eq!(
        ids(&store.page_courses(&q).await.unwrap().records).len(),
        2,
        "one second, 2 ties"
    );
}

pub async fn set_filter_includes_subsets_only<S: CatalogStore>(store: S) {
    seed(&store).await;
    let catalog = catalog23();
    load(&store, &catalog).await;
    for set in ["a", "a:b", "a:b:c", "ab", "b", "none", "a:c"] {
        let q = RecordQuery {
            set: Some(spec(set)),
            ..query(2)
        };
        let got = ids(&flatten(&walk(&store, &q).await));
        assert_eq!(got, expected(&catalog, &q), "set {set}");
    }
    // `a` holds `a`, `a:b` and `a:b:c` courses but not `ab` ones.
    let q = RecordQuery {
        set: Some(spec("a")),
        ..query(100)
    };
    let got: BTreeSet<String> = ids(&store.page_courses(&q).await.unwrap().records)
        .into_iter()
        .collect();
    for (c, _) in &catalog {
        let in_a = c
            .sets
            .iter()
            .any(|s| ["a", "a:b", "a:b:c"].contains(&s.as_str()));
        assert_eq!(
            got.contains(c.course_id.as_str()),
            in_a,
            "{} in a",
            c.course_id
        );
    }
    assert_eq!(got.len(), 14);
}

pub async fn set_and_window_combined_with_paging<S: CatalogStore>(store: S) {
    seed(&store).await;
    let catalog = catalog23();
    load(&store, &catalog).await;
    for (set, from, until) in [
        ("a", Some(at(10)), Some(at(80))),
        ("a:b", Some(at(20)), None),
        ("b", None, Some(at(50))),
        ("ab", Some(at(40)), Some(at(40))),
    ] {
        let q = RecordQuery {
            set: Some(spec(set)),
            from,
            until,
            ..query(2)
        };
        let got = ids(&flatten(&walk(&store, &q).await));
        let want = expected(&catalog, &q);
        assert_eq!(got, want, "set {set} from {from:?} until {until:?}");
    }
}

pub async fn deleted_records_are_in_pages_and_sets<S: CatalogStore>(store: S) {
    seed(&store).await;
    let catalog = catalog23();
    load(&store, &catalog).await;
    // Delete the first course of set `a` (the first in order) at the latest second.
    let victim = catalog
        .iter()
        .find(|(c, _)| c.sets == [spec("a")])
        .unwrap()
        .0
        .clone();
    store
        .delete_course(&victim.course_id, at(500))
        .await
        .unwrap();

    let all = flatten(&walk(&store, &query(4)).await);
    assert_eq!(all.len(), 23, "deleted records stay in pages");
    let last = all.last().unwrap();
    assert_eq!(
        (&last.course.course_id, last.datestamp, last.deleted),
        (&victim.course_id, at(500), true)
    );
    assert_eq!(all.iter().filter(|r| r.deleted).count(), 1);

    let q = RecordQuery {
        set: Some(spec("a")),
        from: Some(at(500)),
        ..query(4)
    };
    let page = store.page_courses(&q).await.unwrap();
    assert_eq!(
        ids(&page.records),
        [victim.course_id.to_string()],
        "a deleted record keeps its sets"
    );
    assert!(page.records[0].deleted);
}

/// A catalog of a few dozen records is always counted, exactly.
pub async fn count_is_exact<S: CatalogStore>(store: S) {
    seed(&store).await;
    let catalog = catalog23();
    load(&store, &catalog).await;
    store
        .delete_course(&catalog[3].0.course_id, at(1000))
        .await
        .unwrap();
    let mut moved = catalog.clone();
    moved[3].1 = at(1000);
    let queries = [
        query(5),
        RecordQuery {
            set: Some(spec("a")),
            ..query(5)
        },
        RecordQuery {
            from: Some(at(30)),
            until: Some(at(60)),
            ..query(1)
        },
        RecordQuery {
            set: Some(spec("b")),
            from: Some(at(50)),
            ..query(2)
        },
        RecordQuery {
            set: Some(spec("none")),
            ..query(2)
        },
        // `after` and `limit` do not change the count.
        RecordQuery {
            after: Some(Position {
                datestamp: at(50),
                course_id: cid("a/a/a"),
            }),
            ..query(1)
        },
    ];
    for q in queries {
        let n = store.count_courses(&q).await.unwrap();
        assert_eq!(n, Some(expected(&moved, &q).len() as u64), "count of {q:?}");
    }
}

pub async fn earliest_datestamp_of_an_empty_store_is_its_creation<S: CatalogStore>(store: S) {
    seed(&store).await;
    let now = Datestamp::now();
    let e = store.earliest_datestamp().await.unwrap();
    assert!(e <= now, "creation time {e} after now {now}");
    // The store was just made for this test: its creation is recent, not a default value.
    assert!(
        e >= now.saturating_add(-86_400),
        "creation time {e} is not recent"
    );
}

pub async fn earliest_datestamp_is_the_smallest<S: CatalogStore>(store: S) {
    seed(&store).await;
    store
        .put_course(minimal_course("b/b/b"), at(50))
        .await
        .unwrap();
    store
        .put_course(minimal_course("a/a/a"), at(20))
        .await
        .unwrap();
    store
        .put_course(minimal_course("c/c/c"), at(70))
        .await
        .unwrap();
    assert_eq!(store.earliest_datestamp().await.unwrap(), at(20));
    // Deleted records count; moving the smallest moves the answer.
    store.delete_course(&cid("a/a/a"), at(60)).await.unwrap();
    assert_eq!(store.earliest_datestamp().await.unwrap(), at(50));
    store
        .put_course(minimal_course("d/d/d"), ds("1999-01-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        store.earliest_datestamp().await.unwrap(),
        ds("1999-01-01T00:00:00Z")
    );
}
