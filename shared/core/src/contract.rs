//! The contract every [`CatalogStore`] keeps, as generic async checks (feature `contract`).
//!
//! Each check takes a fresh, empty store and panics on the first broken promise. An adapter
//! crate runs them all, each as its own test, with one line:
//!
//! ```text
//! async fn fresh_store() -> MyStore { /* a new, empty store */ }
//! pokeco_core::catalog_store_contract!(fresh_store);
//! ```
//!
//! [`scripted_pages`] runs one fixed script and returns every page it read, so a test can
//! hold two stores to identical answers.

// This module is test code compiled into the library so that the adapter crates can share it;
// a failed expectation must panic with a clear message, as in any test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use crate::catalog::{
    Course, CourseId, CourseRecord, InterestArea, LangMap, OaiSet, SetSpec, Teacher, TeacherId,
};
use crate::datestamp::Datestamp;
use crate::keys::Position;
use crate::store::{CatalogStore, RecordPage, RecordQuery, StoreError};

/// Every check of the contract, by name. [`catalog_store_contract!`] turns each into a test.
#[macro_export]
macro_rules! catalog_store_contract {
    ($fresh:path) => {
        $crate::catalog_store_contract!(@each $fresh;
            full_course_round_trip,
            minimal_course_round_trip,
            unknown_course_is_none,
            re_put_replaces_and_moves_the_datestamp,
            re_put_moves_set_membership,
            delete_is_soft_and_re_put_revives,
            delete_of_unknown_course_is_not_found,
            pages_walk_every_record_in_order,
            last_page_exactly_full_has_no_more,
            after_a_position_not_in_the_store,
            window_is_inclusive_at_both_ends,
            set_filter_includes_subsets_only,
            set_and_window_combined_with_paging,
            deleted_records_are_in_pages_and_sets,
            count_is_none_or_exact,
            earliest_datestamp_of_an_empty_store_is_its_creation,
            earliest_datestamp_is_the_smallest,
            teachers_put_get_list_delete,
            sets_put_list_delete,
            scripted_pages_are_stable,
        );
    };
    (@each $fresh:path; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let store = $fresh().await;
                $crate::contract::$check(store).await;
            }
        )+
    };
}

// ---------------------------------------------------------------------------------------
// Fixtures

fn ds(s: &str) -> Datestamp {
    s.parse().expect("fixture datestamp")
}

fn at(secs: i64) -> Datestamp {
    // A fixed base so the data never depends on the clock.
    Datestamp::from_unix(1_700_000_000 + secs).expect("fixture datestamp in range")
}

fn cid(s: &str) -> CourseId {
    s.parse().expect("fixture course id")
}

fn spec(s: &str) -> SetSpec {
    s.parse().expect("fixture set spec")
}

fn tid(s: &str) -> TeacherId {
    s.parse().expect("fixture teacher id")
}

fn langs(pairs: &[(&str, &str)]) -> LangMap {
    pairs
        .iter()
        .map(|(l, t)| (l.parse().expect("fixture lang"), (*t).to_owned()))
        .collect()
}

/// A course with every optional field set, and text that needs care (quotes, `<`, non-ASCII).
pub fn full_course(id: &str) -> Course {
    Course {
        course_id: cid(id),
        title: langs(&[("en", "Physics <1> & \"more\""), ("it", "Fisica – più")]),
        description: langs(&[
            ("en", "Mechanics, then waves."),
            ("it", "Meccanica, poi onde."),
        ]),
        languages: vec!["it".parse().unwrap(), "en".parse().unwrap()],
        url: "https://lms.example.org/courses/course-v1:PoliMi+FIS101+2024/about".to_owned(),
        image: Some("https://lms.example.org/asset/fis101.jpg".to_owned()),
        organizers: vec!["Politecnico di Milano".to_owned(), "Ünï Ørg".to_owned()],
        teachers: vec![tid("0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10"), tid("rossi")],
        interest_area: InterestArea::NaturalSciencesAndMathematics,
        start: Some(ds("2024-09-16T00:00:00Z")),
        end: Some(ds("2024-12-20T23:59:59Z")),
        units: Some(7),
        study_load: Some(5),
        typical_learning_time: Some("PT24H".to_owned().try_into().unwrap()),
        sets: vec![spec("EcoBase"), spec("physics:mechanics")],
    }
}

/// A course with only the required fields.
pub fn minimal_course(id: &str) -> Course {
    Course {
        course_id: cid(id),
        title: langs(&[("en", "Minimal")]),
        description: langs(&[("en", "Only what is required.")]),
        languages: vec!["en".parse().unwrap()],
        url: "https://lms.example.org/m".to_owned(),
        image: None,
        organizers: vec!["Org".to_owned()],
        teachers: vec![],
        interest_area: InterestArea::Humanities,
        start: None,
        end: None,
        units: None,
        study_load: None,
        typical_learning_time: None,
        sets: vec![],
    }
}

fn course_in(id: &str, sets: &[&str]) -> Course {
    let mut c = minimal_course(id);
    c.sets = sets.iter().map(|s| spec(s)).collect();
    c
}

fn query(limit: usize) -> RecordQuery {
    RecordQuery {
        limit,
        ..RecordQuery::default()
    }
}

fn ids(records: &[CourseRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.course.course_id.to_string())
        .collect()
}

fn position(r: &CourseRecord) -> Position {
    Position {
        datestamp: r.datestamp,
        course_id: r.course.course_id.clone(),
    }
}

/// Reads every page of `q`, following `after`, checking each page's size and `more` flag.
async fn walk<S: CatalogStore>(store: &S, q: &RecordQuery) -> Vec<RecordPage> {
    assert!(q.limit > 0, "walk needs a positive limit");
    let mut q = q.clone();
    let mut pages = Vec::new();
    loop {
        let page = store.page_courses(&q).await.unwrap();
        assert!(
            page.records.len() <= q.limit,
            "page over the limit: {}",
            page.records.len()
        );
        if page.more {
            assert_eq!(
                page.records.len(),
                q.limit,
                "a page with more after it must be full"
            );
        }
        let more = page.more;
        q.after = page.records.last().map(position);
        pages.push(page);
        if !more {
            return pages;
        }
        assert!(pages.len() < 10_000, "paging does not end");
    }
}

fn flatten(pages: &[RecordPage]) -> Vec<CourseRecord> {
    pages
        .iter()
        .flat_map(|p| p.records.iter().cloned())
        .collect()
}

/// 23 courses over 11 distinct seconds (ties included), in sets `a`, `a:b`, `ab`, `b` or none.
/// Course `i` gets datestamp `at(i / 2 * 10)`, so pairs share a second.
fn catalog23() -> Vec<(Course, Datestamp)> {
    let sets: [&[&str]; 5] = [&["a"], &["a:b"], &["ab"], &["b", "a:b:c"], &[]];
    (0..23)
        .map(|i| {
            // Ids whose order differs from insertion order, so ties are sorted by id, not by
            // arrival. Old and new edX key forms mixed.
            let id = if i % 3 == 0 {
                format!("course-v1:Org+C{:02}+R", 40 - i)
            } else {
                format!("Org/C{:02}/R", 40 - i)
            };
            (course_in(&id, sets[i % 5]), at((i as i64 / 2) * 10))
        })
        .collect()
}

async fn load<S: CatalogStore>(store: &S, courses: &[(Course, Datestamp)]) {
    for (c, d) in courses {
        store.put_course(c.clone(), *d).await.unwrap();
    }
}

/// The records a query must return, computed from the fixture the slow, obvious way.
fn expected(courses: &[(Course, Datestamp)], q: &RecordQuery) -> Vec<String> {
    let mut hits: Vec<(Datestamp, String)> = courses
        .iter()
        .filter(|(_, d)| q.from.is_none_or(|f| *d >= f) && q.until.is_none_or(|u| *d <= u))
        .filter(|(c, _)| match &q.set {
            None => true,
            Some(s) => c.sets.iter().any(|cs| cs.is_within(s)),
        })
        .map(|(c, d)| (*d, c.course_id.to_string()))
        .collect();
    // Byte order of the id, as `Position`'s `Ord` has it.
    hits.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    hits.into_iter().map(|(_, id)| id).collect()
}

// ---------------------------------------------------------------------------------------
// Courses

pub async fn full_course_round_trip<S: CatalogStore>(store: S) {
    let course = full_course("course-v1:PoliMi+FIS101+2024");
    let d = at(0);
    let put = store.put_course(course.clone(), d).await.unwrap();
    let want = CourseRecord {
        course: course.clone(),
        datestamp: d,
        deleted: false,
    };
    assert_eq!(put, want, "put_course returns the stored record");
    let got = store.get_course(&course.course_id).await.unwrap();
    assert_eq!(got, Some(want), "every field survives the round trip");
}

pub async fn minimal_course_round_trip<S: CatalogStore>(store: S) {
    let course = minimal_course("Polimi/FIS101/2015_M9");
    store.put_course(course.clone(), at(5)).await.unwrap();
    let got = store
        .get_course(&course.course_id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        got,
        CourseRecord {
            course,
            datestamp: at(5),
            deleted: false
        }
    );
}

pub async fn unknown_course_is_none<S: CatalogStore>(store: S) {
    assert_eq!(store.get_course(&cid("a/b/c")).await.unwrap(), None);
    store
        .put_course(minimal_course("a/b/c"), at(0))
        .await
        .unwrap();
    assert_eq!(store.get_course(&cid("a/b/d")).await.unwrap(), None);
}

pub async fn re_put_replaces_and_moves_the_datestamp<S: CatalogStore>(store: S) {
    let id = "course-v1:a+b+c";
    store.put_course(full_course(id), at(0)).await.unwrap();
    store
        .put_course(minimal_course("x/y/z"), at(50))
        .await
        .unwrap();
    let mut changed = minimal_course(id);
    changed.title = langs(&[("fr", "Nouveau")]);
    store.put_course(changed.clone(), at(100)).await.unwrap();

    let got = store.get_course(&cid(id)).await.unwrap().expect("stored");
    assert_eq!(
        got,
        CourseRecord {
            course: changed,
            datestamp: at(100),
            deleted: false
        }
    );
    // One record per course, now after the other one.
    let page = store.page_courses(&query(10)).await.unwrap();
    assert_eq!(ids(&page.records), ["x/y/z", id]);
    assert_eq!(page.records[1].datestamp, at(100));
    assert!(!page.more);
    // The old datestamp no longer matches.
    let q = RecordQuery {
        until: Some(at(0)),
        ..query(10)
    };
    assert!(store.page_courses(&q).await.unwrap().records.is_empty());
}

/// Checks how many records each set's page holds, and that they carry datestamp `at(10)`.
async fn assert_set_sizes<S: CatalogStore>(store: &S, sizes: &[(&str, usize)], when: &str) {
    for (set, want) in sizes {
        let q = RecordQuery {
            set: Some(spec(set)),
            ..query(10)
        };
        let page = store.page_courses(&q).await.unwrap();
        assert_eq!(page.records.len(), *want, "set {set} {when}");
        assert!(
            page.records.iter().all(|r| r.datestamp == at(10)),
            "set {set} {when}"
        );
    }
}

pub async fn re_put_moves_set_membership<S: CatalogStore>(store: S) {
    let id = "a/b/c";
    store
        .put_course(course_in(id, &["a:b", "c"]), at(0))
        .await
        .unwrap();
    store
        .put_course(course_in(id, &["d"]), at(10))
        .await
        .unwrap();
    let left = [("a", 0), ("a:b", 0), ("c", 0), ("d", 1)];
    assert_set_sizes(&store, &left, "after the course left it").await;
    // A re-put in the same second (same order key) still moves the membership.
    store
        .put_course(course_in(id, &["e:f"]), at(10))
        .await
        .unwrap();
    let moved = [("d", 0), ("e", 1), ("e:f", 1)];
    assert_set_sizes(&store, &moved, "after a re-put in the same second").await;
}

pub async fn delete_is_soft_and_re_put_revives<S: CatalogStore>(store: S) {
    let course = full_course("course-v1:a+b+c");
    let id = course.course_id.clone();
    store.put_course(course.clone(), at(0)).await.unwrap();

    let deleted = store.delete_course(&id, at(10)).await.unwrap();
    let want = CourseRecord {
        course: course.clone(),
        datestamp: at(10),
        deleted: true,
    };
    assert_eq!(
        deleted, want,
        "delete returns the record, kept, marked deleted"
    );
    assert_eq!(store.get_course(&id).await.unwrap(), Some(want));

    let again = store.delete_course(&id, at(20)).await.unwrap();
    assert_eq!(
        (again.datestamp, again.deleted),
        (at(20), true),
        "deleting again moves it"
    );

    let revived = store.put_course(course.clone(), at(30)).await.unwrap();
    let want = CourseRecord {
        course,
        datestamp: at(30),
        deleted: false,
    };
    assert_eq!(revived, want);
    assert_eq!(store.get_course(&id).await.unwrap(), Some(want));
    assert_eq!(
        store.page_courses(&query(10)).await.unwrap().records.len(),
        1
    );
}

pub async fn delete_of_unknown_course_is_not_found<S: CatalogStore>(store: S) {
    let r = store.delete_course(&cid("a/b/c"), at(0)).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "got {r:?}");
    store
        .put_course(minimal_course("a/b/c"), at(0))
        .await
        .unwrap();
    let r = store.delete_course(&cid("a/b/cc"), at(1)).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "got {r:?}");
    // Nothing was created by the failed delete.
    assert_eq!(store.get_course(&cid("a/b/cc")).await.unwrap(), None);
}

pub async fn pages_walk_every_record_in_order<S: CatalogStore>(store: S) {
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

pub async fn count_is_none_or_exact<S: CatalogStore>(store: S) {
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
        if let Some(n) = store.count_courses(&q).await.unwrap() {
            assert_eq!(n as usize, expected(&moved, &q).len(), "count of {q:?}");
        }
    }
}

pub async fn earliest_datestamp_of_an_empty_store_is_its_creation<S: CatalogStore>(store: S) {
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

// ---------------------------------------------------------------------------------------
// Teachers and sets

fn teacher(id: &str, last: &str) -> Teacher {
    Teacher {
        id: tid(id),
        first_name: "Anna".to_owned(),
        last_name: last.to_owned(),
        image: Some(format!("https://lms.example.org/{id}.png")),
        descriptions: langs(&[("en", "Teaches <physics>."), ("it", "Insegna fisica.")]),
    }
}

pub async fn teachers_put_get_list_delete<S: CatalogStore>(store: S) {
    assert!(store.list_teachers().await.unwrap().is_empty());
    let rossi = teacher("rossi", "Rossi");
    let bare = Teacher {
        id: tid("Zeta"),
        first_name: String::new(),
        last_name: "Zeta".to_owned(),
        image: None,
        descriptions: LangMap::new(),
    };
    let uuid = teacher("0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10", "Bianchi");
    for t in [&rossi, &bare, &uuid] {
        store.put_teacher(t.clone()).await.unwrap();
    }
    let asked = [tid("rossi"), tid("unknown"), uuid.id.clone(), tid("Zeta")];
    let got = store.get_teachers(&asked).await.unwrap();
    assert_eq!(
        got,
        [rossi.clone(), uuid.clone(), bare.clone()],
        "order asked, unknown left out"
    );
    assert!(store.get_teachers(&[]).await.unwrap().is_empty());

    // Byte order of ids: digits, then upper case, then lower case.
    let list = store.list_teachers().await.unwrap();
    assert_eq!(list, [uuid.clone(), bare.clone(), rossi.clone()]);

    let mut renamed = rossi.clone();
    renamed.last_name = "Rossi-Verdi".to_owned();
    renamed.image = None;
    store.put_teacher(renamed.clone()).await.unwrap();
    assert_eq!(
        store.get_teachers(&[tid("rossi")]).await.unwrap(),
        [renamed]
    );
    assert_eq!(
        store.list_teachers().await.unwrap().len(),
        3,
        "replaced, not added"
    );

    store.delete_teacher(&tid("Zeta")).await.unwrap();
    assert_eq!(store.list_teachers().await.unwrap().len(), 2);
    assert!(store.get_teachers(&[tid("Zeta")]).await.unwrap().is_empty());
    let r = store.delete_teacher(&tid("Zeta")).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "got {r:?}");
}

pub async fn sets_put_list_delete<S: CatalogStore>(store: S) {
    assert!(store.list_sets().await.unwrap().is_empty());
    let set = |s: &str, n: &str| OaiSet {
        spec: spec(s),
        name: n.to_owned(),
    };
    for s in [
        set("math", "Maths"),
        set("EcoBase", "ECO"),
        set("math:algebra", "Algèbre"),
    ] {
        store.put_set(s).await.unwrap();
    }
    store.put_set(set("math", "Mathematics")).await.unwrap();
    let list = store.list_sets().await.unwrap();
    assert_eq!(
        list,
        [
            set("EcoBase", "ECO"),
            set("math", "Mathematics"),
            set("math:algebra", "Algèbre")
        ]
    );
    store.delete_set(&spec("math")).await.unwrap();
    assert_eq!(store.list_sets().await.unwrap().len(), 2);
    let r = store.delete_set(&spec("math")).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "got {r:?}");
}

// ---------------------------------------------------------------------------------------
// Identical answers

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
