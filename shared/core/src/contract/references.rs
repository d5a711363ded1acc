//! References: a course may only name teachers and sets that exist when its write commits,
//! and a teacher or set named by a live course cannot be deleted. The store enforces both in
//! the write itself, so no interleaving of writes can leave a dangling reference.

use super::fixtures::*;
use crate::store::{CatalogStore, StoreError};

fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(r, Err(StoreError::Conflict(_))),
        "{what}: got {r:?}"
    );
}

pub async fn a_course_naming_a_missing_teacher_or_set_is_refused<S: CatalogStore>(store: S) {
    seed(&store).await;
    let mut course = minimal_course("a/b/c");
    course.teachers = vec![tid("nobody")];
    conflict(store.put_course(course, at(0)).await, "missing teacher");
    let mut course = minimal_course("a/b/c");
    course.sets = vec![spec("no-such-set")];
    conflict(store.put_course(course, at(0)).await, "missing set");
    assert_eq!(
        store.get_course(&cid("a/b/c")).await.unwrap(),
        None,
        "a refused write leaves nothing behind"
    );
}

pub async fn a_teacher_or_set_named_by_a_live_course_is_kept<S: CatalogStore>(store: S) {
    seed(&store).await;
    let course = full_course("course-v1:a+b+c");
    store.put_course(course.clone(), at(0)).await.unwrap();
    conflict(store.delete_teacher(&tid("rossi")).await, "named teacher");
    conflict(store.delete_set(&spec("EcoBase")).await, "named set");
    // Only direct names hold a set: the course is in `physics` only through a subset.
    store
        .put_set(crate::catalog::OaiSet {
            spec: spec("physics"),
            name: "Physics".to_owned(),
        })
        .await
        .unwrap();
    store.delete_set(&spec("physics")).await.unwrap();
    assert_eq!(store.get_teachers(&[tid("rossi")]).await.unwrap().len(), 1);

    // Replacing the course without the teacher releases them.
    let mut without = course.clone();
    without.teachers.retain(|t| t.as_str() != "rossi");
    store.put_course(without, at(10)).await.unwrap();
    store.delete_teacher(&tid("rossi")).await.unwrap();
    // The course can no longer name the deleted teacher.
    conflict(store.put_course(course, at(20)).await, "deleted teacher");
}

pub async fn deleting_a_course_releases_its_references<S: CatalogStore>(store: S) {
    seed(&store).await;
    let course = full_course("course-v1:a+b+c");
    store.put_course(course.clone(), at(0)).await.unwrap();
    store
        .delete_course(&course.course_id, at(10))
        .await
        .unwrap();
    // Deleting again changes nothing about references.
    store
        .delete_course(&course.course_id, at(20))
        .await
        .unwrap();
    store.delete_teacher(&tid("rossi")).await.unwrap();
    store.delete_set(&spec("physics:mechanics")).await.unwrap();
    // Reviving it needs its references back.
    conflict(store.put_course(course.clone(), at(30)).await, "revival");
    seed(&store).await;
    store.put_course(course.clone(), at(40)).await.unwrap();
    conflict(store.delete_teacher(&tid("rossi")).await, "after revival");
}

pub async fn two_courses_hold_a_reference_until_both_let_go<S: CatalogStore>(store: S) {
    seed(&store).await;
    let a = full_course("a/a/a");
    let b = full_course("b/b/b");
    store.put_course(a.clone(), at(0)).await.unwrap();
    store.put_course(b.clone(), at(0)).await.unwrap();
    // Re-putting the same course does not count it twice.
    store.put_course(a.clone(), at(5)).await.unwrap();
    store.delete_course(&a.course_id, at(10)).await.unwrap();
    conflict(store.delete_set(&spec("EcoBase")).await, "b still names it");
    store.delete_course(&b.course_id, at(20)).await.unwrap();
    store.delete_set(&spec("EcoBase")).await.unwrap();
}
