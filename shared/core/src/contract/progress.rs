//! The contract of a [`ProgressStore`]: states merged by the projection's join, in any order,
//! any number of times, at the same time; read back per user from one lookup; bounded alike.

use std::collections::BTreeSet;

use crate::catalog::CourseId;
use crate::pipeline::EcoSub;
use crate::progress::{
    CourseProgress, Enrollment, Grade, ProgressStore, Score, MAX_BLOCKS, MAX_BLOCK_KEY_BYTES,
    MAX_BUCKETS, MAX_SCORES, MAX_SCORE_BYTES,
};

type Batch = Vec<(EcoSub, CourseId, CourseProgress)>;

fn sub(n: u64) -> EcoSub {
    format!("{n:024x}").parse().unwrap()
}

fn course(id: &str) -> CourseId {
    id.parse().unwrap()
}

fn blocks(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

/// A state with every part set, the times around `t`.
fn full(t: i64, keys: &[&str], buckets: &[i64]) -> CourseProgress {
    CourseProgress {
        enrollment: Some(Enrollment {
            at_ms: t,
            active: t % 2 == 0,
        }),
        first_view_ms: Some(t - 1_000),
        last_view_ms: Some(t + 1_000),
        blocks: blocks(keys),
        buckets: buckets.iter().copied().collect(),
        grade: Some(Grade {
            at_ms: t,
            // Not a short decimal: kept to the last bit.
            percent: 100.0 / 3.0 + t as f64 * 1e-9,
        }),
        first_passed_ms: Some(t + 500),
        // One score per block, and a second answer of the first.
        scores: keys
            .iter()
            .enumerate()
            .map(|(i, k)| score(t + i as i64, k, 1.0, 3.0))
            .chain(keys.first().map(|k| score(t + 100, k, 0.1 + 0.2, 0.7)))
            .collect(),
    }
}

fn score(at_ms: i64, problem: &str, earned: f64, possible: f64) -> Score {
    Score {
        at_ms,
        problem: problem.to_owned(),
        earned,
        possible,
    }
}

fn joined(states: &[&CourseProgress]) -> CourseProgress {
    let mut all = CourseProgress::default();
    for s in states {
        all.merge(s);
    }
    all
}

async fn only<S: ProgressStore>(store: &S, user: &EcoSub, id: &CourseId) -> CourseProgress {
    let all = store.user_progress(user).await.unwrap();
    assert_eq!(all.len(), 1, "one course for {user}: {all:?}");
    assert_eq!(&all[0].0, id);
    all.into_iter().next().unwrap().1
}

pub async fn an_unknown_user_has_no_progress<S: ProgressStore>(store: S) {
    assert!(store.user_progress(&sub(1)).await.unwrap().is_empty());
    assert_eq!(store.merge_progress(&[]).await.unwrap(), 0);
    assert_eq!(store.delete_user_progress(&sub(1)).await.unwrap(), 0);
    // An empty state stores nothing: the user stays unknown.
    let empty = [(sub(1), course("Org/A/1"), CourseProgress::default())];
    assert_eq!(store.merge_progress(&empty).await.unwrap(), 0);
    assert!(store.user_progress(&sub(1)).await.unwrap().is_empty());
}

pub async fn a_state_is_read_back_whole<S: ProgressStore>(store: S) {
    let id = course("course-v1:Org+U%C3%9C~1.x+2024_T1");
    let mut state = full(
        1_700_000_000_123,
        &[
            "block-v1:Org+U%C3%9C~1.x+2024_T1+type@video+block@vidéo-ü",
            "i4x://Org/U/problem/p1",
        ],
        &[-3, 0, 5_666_666],
    );
    state.first_view_ms = Some(-86_400_000);
    state.grade = Some(Grade {
        at_ms: 1,
        percent: 0.57 * 100.0,
    });
    // Points kept to the last bit, before the epoch too.
    state.scores.insert(score(
        -86_400_000,
        "i4x://Org/U/problem/p1",
        1e-3 * 7.0,
        1.0 / 3.0,
    ));
    assert_eq!(
        store
            .merge_progress(&[(sub(7), id.clone(), state.clone())])
            .await
            .unwrap(),
        1
    );
    assert_eq!(only(&store, &sub(7), &id).await, state);
    // Parts left unset stay unset.
    let id2 = course("Org/B/1");
    let visit = CourseProgress {
        first_view_ms: Some(5),
        last_view_ms: Some(5),
        buckets: [0].into(),
        ..CourseProgress::default()
    };
    store
        .merge_progress(&[(sub(8), id2.clone(), visit.clone())])
        .await
        .unwrap();
    assert_eq!(only(&store, &sub(8), &id2).await, visit);
}

pub async fn order_and_duplication_give_the_same_state<S: ProgressStore>(store: S) {
    let id = course("course-v1:Org+C+1");
    let a = full(2_000, &["b1", "b2"], &[1, 2]);
    let b = full(1_001, &["b2", "b3"], &[2, 3]);
    let c = CourseProgress {
        first_passed_ms: Some(10),
        ..CourseProgress::default()
    };
    let want = joined(&[&a, &b, &c]);
    let batch = |user: u64, states: &[&CourseProgress]| -> Batch {
        states
            .iter()
            .map(|s| (sub(user), id.clone(), (*s).clone()))
            .collect()
    };
    // Each user gets the same states another way: one batch at a time, in either order,
    // again and again, or all in one batch naming the key three times.
    let ways: [&[&[&CourseProgress]]; 4] = [
        &[&[&a], &[&b], &[&c]],
        &[&[&c], &[&b], &[&a]],
        &[&[&b, &b], &[&a], &[&c], &[&a, &b], &[&c]],
        &[&[&a, &c, &b]],
    ];
    for (user, way) in (1..).zip(ways) {
        for states in way {
            store.merge_progress(&batch(user, states)).await.unwrap();
        }
        assert_eq!(only(&store, &sub(user), &id).await, want, "way {user}");
    }
    // Nothing new: nothing changes.
    let again = batch(1, &[&a, &b, &c]);
    assert_eq!(store.merge_progress(&again).await.unwrap(), 0);
    assert_eq!(only(&store, &sub(1), &id).await, want);
}

pub async fn one_user_two_courses_and_others_apart<S: ProgressStore>(store: S) {
    let (x, y, z) = (
        course("course-v1:Org+a+1"),
        course("Org/A/1"),
        course("course-v1:Org+B+1"),
    );
    let batch = vec![
        (sub(1), x.clone(), full(10_000, &["x"], &[1])),
        (sub(2), y.clone(), full(20_000, &["y"], &[2])),
        (sub(1), z.clone(), full(30_000, &["z"], &[3])),
    ];
    assert_eq!(store.merge_progress(&batch).await.unwrap(), 3);
    let mine = store.user_progress(&sub(1)).await.unwrap();
    let ids: Vec<&str> = mine.iter().map(|(c, _)| c.as_str()).collect();
    // Byte order: upper case before lower case.
    assert_eq!(ids, ["course-v1:Org+B+1", "course-v1:Org+a+1"]);
    assert_eq!(mine[0].1, batch[2].2);
    assert_eq!(mine[1].1, batch[0].2);
    assert_eq!(only(&store, &sub(2), &y).await, batch[1].2);
    assert!(store.user_progress(&sub(3)).await.unwrap().is_empty());
}

pub async fn concurrent_merges_give_the_union<S: ProgressStore>(store: S) {
    let ids = [course("Org/A/1"), course("Org/B/1"), course("Org/C/1")];
    for round in 0..4_i64 {
        let user = sub(100 + u64::try_from(round).unwrap());
        let t = 1_000_000 * (round + 1);
        // Both batches move every part of every course, so that each write races the other.
        let first: Batch = ids
            .iter()
            .map(|id| (user.clone(), id.clone(), full(t, &["a", "s"], &[1, 2])))
            .collect();
        let second: Batch = ids
            .iter()
            .map(|id| (user.clone(), id.clone(), full(t + 7, &["b", "s"], &[2, 3])))
            .collect();
        let (one, two) = tokio::join!(store.merge_progress(&first), store.merge_progress(&second));
        let changed = one.unwrap() + two.unwrap();
        assert_eq!(
            changed, 6,
            "every state of either batch is news to the other"
        );
        let want = joined(&[&first[0].2, &second[0].2]);
        let got = store.user_progress(&user).await.unwrap();
        assert_eq!(got.len(), 3);
        for (id, state) in got {
            assert_eq!(state, want, "round {round}, {id}");
        }
    }
}

pub async fn sets_stop_at_their_bounds<S: ProgressStore>(store: S) {
    let id = course("course-v1:Org+Big+1");
    let key = |n: usize| format!("{n:05}{}", "k".repeat(MAX_BLOCK_KEY_BYTES - 5));
    let too_long = "z".repeat(MAX_BLOCK_KEY_BYTES + 1);
    // Scores whose entries take exactly the most bytes a stored score may.
    let long_score = |n: usize| {
        let mut s = score(1_700_000_000_000 + n as i64, "", 1.0, 3.0);
        let room = MAX_SCORE_BYTES - s.to_entry().len();
        s.problem = format!("{n:05}{}", "p".repeat(room - 5));
        s
    };
    let mut big = CourseProgress {
        last_view_ms: Some(1),
        blocks: (0..MAX_BLOCKS + 5).map(key).collect(),
        // Bucket indexes of today's times at 5 minutes have seven digits.
        buckets: (0..MAX_BUCKETS as i64 + 5).map(|n| 5_600_000 + n).collect(),
        scores: (0..MAX_SCORES + 5).map(long_score).collect(),
        ..CourseProgress::default()
    };
    big.blocks.insert(too_long.clone());
    let mut too_long_score = long_score(0);
    too_long_score.problem.push('p');
    big.scores.insert(too_long_score.clone());
    // The largest state there can be, in one write: it fits.
    assert_eq!(
        store
            .merge_progress(&[(sub(1), id.clone(), big.clone())])
            .await
            .unwrap(),
        1
    );
    let stored = only(&store, &sub(1), &id).await;
    assert_eq!(stored.blocks.len(), MAX_BLOCKS);
    assert_eq!(stored.buckets.len(), MAX_BUCKETS);
    assert_eq!(stored.scores.len(), MAX_SCORES);
    assert!(!stored.blocks.contains(&too_long));
    assert!(!stored.scores.contains(&too_long_score));
    assert!(stored.blocks.contains(&key(0)) && !stored.blocks.contains(&key(MAX_BLOCKS)));
    assert!(
        stored.scores.contains(&long_score(0)) && !stored.scores.contains(&long_score(MAX_SCORES))
    );
    // Full: new elements are dropped, scalars still merge.
    let more = CourseProgress {
        last_view_ms: Some(2),
        blocks: blocks(&["a"]),
        buckets: [1].into(),
        scores: [score(1, "a", 1.0, 1.0)].into(),
        ..CourseProgress::default()
    };
    store
        .merge_progress(&[(sub(1), id.clone(), more)])
        .await
        .unwrap();
    let after = only(&store, &sub(1), &id).await;
    assert_eq!(after.last_view_ms, Some(2));
    assert_eq!(after.blocks, stored.blocks);
    assert_eq!(after.buckets, stored.buckets);
    assert_eq!(after.scores, stored.scores);
    assert_eq!(
        store
            .merge_progress(&[(sub(1), id.clone(), big)])
            .await
            .unwrap(),
        0
    );
    // A key or a score too long alone stores nothing.
    let odd = CourseProgress {
        blocks: [too_long].into(),
        scores: [too_long_score].into(),
        ..CourseProgress::default()
    };
    assert_eq!(store.merge_progress(&[(sub(2), id, odd)]).await.unwrap(), 0);
    assert!(store.user_progress(&sub(2)).await.unwrap().is_empty());
}

pub async fn a_users_progress_is_forgotten<S: ProgressStore>(store: S) {
    let batch: Batch = ["Org/A/1", "Org/B/1", "Org/C/1"]
        .iter()
        .map(|id| (sub(1), course(id), full(5_000, &["a"], &[1])))
        .chain([(sub(2), course("Org/A/1"), full(6_000, &["b"], &[2]))])
        .collect();
    store.merge_progress(&batch).await.unwrap();
    assert_eq!(store.delete_user_progress(&sub(1)).await.unwrap(), 3);
    assert!(store.user_progress(&sub(1)).await.unwrap().is_empty());
    assert_eq!(store.user_progress(&sub(2)).await.unwrap().len(), 1);
    // Merged again after the erasure: stored anew.
    assert_eq!(store.merge_progress(&batch[..1]).await.unwrap(), 1);
}
