//! Writing, reading and deleting courses.

use super::fixtures::*;
use crate::catalog::CourseRecord;
use crate::store::{CatalogStore, RecordQuery, StoreError};

pub async fn full_course_round_trip<S: CatalogStore>(store: S) {
    seed(&store).await;
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
    seed(&store).await;
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
    seed(&store).await;
    assert_eq!(store.get_course(&cid("a/b/c")).await.unwrap(), None);
    store
        .put_course(minimal_course("a/b/c"), at(0))
        .await
        .unwrap();
    assert_eq!(store.get_course(&cid("a/b/d")).await.unwrap(), None);
}

pub async fn re_put_replaces_and_moves_the_datestamp<S: CatalogStore>(store: S) {
    seed(&store).await;
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
    seed(&store).await;
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
    seed(&store).await;
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
    seed(&store).await;
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
