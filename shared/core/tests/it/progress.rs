//! The progress projection on the sample events of both shapes (testdata/edx-events/legacy and
//! openedx): what each event tells, a learner's story from enrollment to pass and back out,
//! a learner with two courses, and that order, duplication and batching never change the
//! state or the figures (a property test).

use std::collections::BTreeMap;
use std::sync::Arc;

use pokeco_core::catalog::CourseId;
use pokeco_core::progress::{
    group, lowest_cutoff, observe, CourseFacts, CourseProgress, Fact, Figures, Observation,
    ProblemIds, TimeBuckets,
};
use pokeco_core::xapi::EdxEvent;
use pokeco_core::Datestamp;
use pokeco_testkit::test_data;
use proptest::prelude::*;
use serde_json::Value;

const DEMO: &str = "course-v1:edX+DemoX+Demo_Course";
const FIS: &str = "course-v1:Polimi+FIS101+2015_M9";
const SUB: &str = "5a1b2c3d4e5f60718293a4b5";

fn raw(file: &str) -> Value {
    serde_json::from_slice(&test_data(&format!("edx-events/{file}"))).unwrap()
}

/// A sample event, moved to another time and, when given, another learner (the context's
/// user and the payload's, as the LMS writes both for the same learner).
fn sample(file: &str, time: &str, user: Option<u64>) -> EdxEvent {
    let mut e = raw(file);
    let time_key = if e.get("time").is_some() {
        "time"
    } else {
        "timestamp"
    };
    e[time_key] = Value::from(time);
    if let Some(user) = user {
        e["context"]["user_id"] = Value::from(user);
        for payload in ["data", "event"] {
            if let Some(p) = e.get_mut(payload).and_then(Value::as_object_mut) {
                if p.contains_key("user_id") {
                    p.insert("user_id".into(), Value::from(user.to_string()));
                }
            }
        }
    }
    EdxEvent::from_value(&e).unwrap()
}

fn course(id: &str) -> CourseId {
    id.parse().unwrap()
}

fn date(s: &str) -> Datestamp {
    Datestamp::parse_oai(s).unwrap().0
}

fn key(kind: &str, name: &str) -> String {
    format!("block-v1:edX+DemoX+Demo_Course+type@{kind}+block@{name}")
}

/// What an event tells: (user, fact), or nothing.
type Told = Option<(Option<String>, Fact)>;

/// What each sample of the current shape tells, as is.
#[test]
fn each_current_sample_tells_its_fact() {
    let visit = |block: Option<String>| Some((Some("3".to_owned()), Fact::Visit { block }));
    let problem = key("problem", "3fc5461f86764ad7bdbdf6cbdde61e66");
    let video = key("video", "0b9e39477cf34507a7a48f74be381fdd");
    let cases: Vec<(&str, Told)> = vec![
        (
            "edx.course.enrollment.activated.json",
            Some((Some("3".into()), Fact::Enrollment { active: true })),
        ),
        // The context has no user; the payload names the learner.
        (
            "edx.course.enrollment.activated.enterprise.json",
            Some((Some("3".into()), Fact::Enrollment { active: true })),
        ),
        // A username only: the caller cannot place it.
        (
            "edx.course.enrollment.activated.required.only.data.json",
            Some((None, Fact::Enrollment { active: true })),
        ),
        (
            "edx.course.enrollment.deactivated.json",
            Some((Some("3".into()), Fact::Enrollment { active: false })),
        ),
        ("edx.course.enrollment.mode_changed.json", None),
        (
            "edx.grades.course.grade_calculated_letter_grade.json",
            Some((Some("3".into()), Fact::Grade { percent: 100.0 })),
        ),
        (
            "edx.grades.course.grade_calculated_no_letter_grade.json",
            Some((Some("3".into()), Fact::Grade { percent: 2.0 })),
        ),
        (
            "edx.course.grade.passed.first_time.json",
            Some((Some("3".into()), Fact::Passed)),
        ),
        (
            "edx.course.grade.now_passed.json",
            Some((Some("3".into()), Fact::Passed)),
        ),
        ("edx.course.grade.now_failed.json", None),
        ("edx.grades.problem.submitted.json", None),
        // Wrong (0 of 1): a visit of the problem, and its score.
        (
            "problem_check(server).json",
            Some((
                Some("3".into()),
                Fact::Answered {
                    problem: problem.clone(),
                    earned: 0.0,
                    possible: 1.0,
                },
            )),
        ),
        ("showanswer.json", visit(Some(problem))),
        // The browser's copy carries the form as text: a visit without a block.
        ("problem_check(browser).json", visit(None)),
        ("play_video.json", visit(Some(video.clone()))),
        ("load_video.json", visit(Some(video))),
        ("play_video.ccx.json", None),
        (
            "edx.ui.lms.sequence.next_selected.json",
            visit(Some(key("sequential", "19a30717eff543078a5d94ae9d6c18a5"))),
        ),
        (
            "edx.completion.block_completion.changed.json",
            visit(Some(key("problem", "7c54b16c8ed34f9f8772015178c7a175"))),
        ),
        (
            "edx.forum.thread.created.json",
            Some((Some("16".into()), Fact::Visit { block: None })),
        ),
    ];
    for (file, expected) in cases {
        let e = EdxEvent::parse(&test_data(&format!("edx-events/openedx/{file}"))).unwrap();
        let got = observe(&e).map(|o| (o.user, o.fact));
        assert_eq!(got, expected, "{file}");
    }
    // The time is the event's, to the millisecond.
    let e = EdxEvent::parse(&test_data(
        "edx-events/openedx/edx.course.enrollment.deactivated.json",
    ))
    .unwrap();
    // 2020-07-15T06:39:23.898755+00:00
    assert_eq!(observe(&e).unwrap().time_ms, 1_594_795_163_898);
}

/// The legacy samples of learner 42 in FIS101, in the legacy shape: their own times.
const FIS_STORY: &[&str] = &[
    "edx.course.enrollment.activated.handmade.json",
    "courses_course-v1_Polimi_FIS101_2015_M9_courseware_W2_W2M1.handmade.json",
    "seq_goto.handmade.json",
    "seq_next.handmade.json",
    "seq_prev.handmade.json",
    "load_video.handmade.json",
    "play_video.handmade.json",
    "pause_video.handmade.json",
    "problem_check.handmade.json",
    "edx.forum.thread.created.handmade.json",
    "edx.forum.response.created.handmade.json",
    "courses_course-v1_Polimi_FIS101_2015_M9_wiki__create.handmade.json",
    "courses_course-v1_Polimi_FIS101_2015_M9_wiki_Formulario__edit.handmade.json",
    "courses_course-v1_Polimi_FIS101_2015_M9_wiki_FIS101_Formulario.handmade.json",
    "courses_course-v1_Polimi_FIS101_2015_M9_xblock_block-v1_Polimi_FIS101_2015_M9_type_openassessment_block_5f2c7e1d9b8a4c3e8d1f0a2b3c4d5e6f_handler_peer_assess.handmade.json",
    "change_enrollment.handmade.json",
];

fn legacy(file: &str) -> EdxEvent {
    EdxEvent::parse(&test_data(&format!("edx-events/legacy/{file}"))).unwrap()
}

fn fold(events: &[EdxEvent]) -> BTreeMap<(String, CourseId), CourseProgress> {
    // Both test learners (edX 42 and 3) are the same ECO user.
    let pairs = events
        .iter()
        .filter_map(observe)
        .filter_map(|o| matches!(o.user.as_deref(), Some("42" | "3")).then(|| (SUB.to_owned(), o)));
    group(pairs, TimeBuckets::DEFAULT)
}

fn figures_of(state: &BTreeMap<(String, CourseId), CourseProgress>, now: &str) -> Vec<Figures> {
    let facts = CourseFacts {
        end: Some(date("2024-06-30T22:00:00Z")),
        lowest_cutoff: lowest_cutoff([0.5]),
        problems: None,
    };
    state
        .iter()
        .filter_map(|((_, c), p)| Figures::of(c, p, &facts, TimeBuckets::DEFAULT, date(now)))
        .collect()
}

#[test]
fn legacy_learner_browses_answers_and_unenrolls() {
    let events: Vec<EdxEvent> = FIS_STORY.iter().map(|f| legacy(f)).collect();
    let state = fold(&events);
    let progress = &state[&(SUB.to_owned(), course(FIS))];
    let blocks: Vec<&str> = progress.blocks.iter().map(String::as_str).collect();
    // The courseware page and the three tab events name the same sequential; the three video
    // events one video; forum and wiki pages no block.
    assert_eq!(
        blocks,
        [
            "block-v1:Polimi+FIS101+2015_M9+type@openassessment+block@5f2c7e1d9b8a4c3e8d1f0a2b3c4d5e6f",
            "block-v1:Polimi+FIS101+2015_M9+type@problem+block@W1M2Q1_001",
            "block-v1:Polimi+FIS101+2015_M9+type@sequential+block@W2M1",
            "block-v1:Polimi+FIS101+2015_M9+type@video+block@W1M1L1_video",
        ]
    );
    let f = figures_of(&state, "2020-01-01");
    assert_eq!(
        serde_json::to_value(&f).unwrap(),
        serde_json::json!([{
            "id": FIS,
            "progressPercentage": 0,
            // The enrollment (2016-11-02) is not a view; the courseware page is the first.
            "firstViewDate": "2016-11-07T09:14:58Z",
            "lastViewDate": "2016-11-20T19:44:01Z",
            "completedDate": "",
            "viewCount": 4,
            // 5-minute windows with activity: 09:10, 09:15, 09:20, 09:30, 10:00, 11:10 on the
            // 7th, 14:00, 14:05, 14:10 on the 8th, 19:40 on the 20th.
            "spentTime": "3000000",
        }])
    );

    // The unenrollment of 2016-12-01 takes the course out of the list, whatever order the
    // events come in.
    let mut with_exit = events.clone();
    with_exit.insert(3, legacy("edx.course.enrollment.deactivated.handmade.json"));
    assert_eq!(figures_of(&fold(&with_exit), "2020-01-01"), []);
}

/// No grade event in the legacy story: with the course's structure known, progress is the
/// share of its problems answered right, and it completes the course at its end.
#[test]
fn legacy_learner_without_grade_events_progresses_by_the_structures_problems() {
    let events: Vec<EdxEvent> = FIS_STORY.iter().map(|f| legacy(f)).collect();
    let state = fold(&events);
    let p = &state[&(SUB.to_owned(), course(FIS))];
    assert_eq!(p.grade, None);
    let answered = "block-v1:Polimi+FIS101+2015_M9+type@problem+block@W1M2Q1_001";
    let latest = p.latest_scores().find(|s| s.problem == answered).unwrap();
    assert_eq!(latest.fraction(), 1.0);
    // Two problems in the structure, one answered right: 50 %.
    let problems: ProblemIds = [
        answered.to_owned(),
        "block-v1:Polimi+FIS101+2015_M9+type@problem+block@W1M2Q2_001".to_owned(),
    ]
    .into();
    let facts = CourseFacts {
        end: Some(date("2016-12-31T23:00:00Z")),
        lowest_cutoff: lowest_cutoff([0.4]),
        problems: Some(Arc::new(problems)),
    };
    let f = Figures::of(
        &course(FIS),
        p,
        &facts,
        TimeBuckets::DEFAULT,
        date("2017-01-01"),
    )
    .unwrap();
    assert_eq!(
        (f.progress_percentage, f.completed_date.as_str()),
        (50, "2016-12-31T23:00:00Z")
    );
    // Without the structure: 0, and not completed.
    let bare = CourseFacts {
        problems: None,
        ..facts
    };
    let f = Figures::of(
        &course(FIS),
        p,
        &bare,
        TimeBuckets::DEFAULT,
        date("2017-01-01"),
    )
    .unwrap();
    assert_eq!((f.progress_percentage, f.completed_date.as_str()), (0, ""));
}

/// Learner 3 in the demo course, in the current shape, at times of this story.
fn demo_story() -> Vec<EdxEvent> {
    [
        (
            "edx.course.enrollment.activated.json",
            "2024-03-01T09:00:00Z",
        ),
        (
            "edx.ui.lms.sequence.next_selected.json",
            "2024-03-04T10:00:00Z",
        ),
        ("load_video.json", "2024-03-04T10:02:00Z"),
        ("play_video.json", "2024-03-04T10:03:30.250+00:00"),
        ("problem_check(server).json", "2024-03-04T10:11:00Z"),
        (
            "edx.grades.course.grade_calculated_no_letter_grade.json",
            "2024-03-04T10:11:00.500Z",
        ),
        ("showanswer.json", "2024-03-04T10:12:00"),
        ("problem_check(browser).json", "2024-03-05T18:00:00+00:00"),
        (
            "edx.grades.course.grade_calculated_letter_grade.json",
            "2024-03-05T18:01:00Z",
        ),
        (
            "edx.course.grade.passed.first_time.json",
            "2024-03-05T18:01:00Z",
        ),
        ("edx.course.grade.now_passed.json", "2024-03-05T18:01:00Z"),
        ("edx.course.grade.now_failed.json", "2024-03-06T08:00:00Z"),
    ]
    .into_iter()
    .map(|(file, time)| sample(&format!("openedx/{file}"), time, Some(3)))
    .collect()
}

#[test]
fn current_learner_enrolls_browses_answers_passes_and_leaves() {
    let events = demo_story();
    let expected = serde_json::json!([{
        "id": DEMO,
        "progressPercentage": 100,
        "firstViewDate": "2024-03-04T10:00:00Z",
        // The grade and pass events at 18:01 are not views.
        "lastViewDate": "2024-03-05T18:00:00Z",
        "completedDate": "2024-03-05T18:01:00Z",
        // The sequential, the video, the problem.
        "viewCount": 3,
        // Windows 10:00, 10:10 on the 4th, 18:00 on the 5th.
        "spentTime": "900000",
    }]);
    assert_eq!(
        serde_json::to_value(figures_of(&fold(&events), "2024-04-01")).unwrap(),
        expected
    );
    // Passed before the course end: the pass, not the end, is the completion.
    assert_eq!(
        figures_of(&fold(&events), "2025-01-01")[0].completed_date,
        "2024-03-05T18:01:00Z"
    );

    // Half-way, before the pass: 2 % and not completed, even after the course end.
    let f = &figures_of(&fold(&events[..7]), "2025-01-01")[0];
    assert_eq!((f.progress_percentage, f.completed_date.as_str()), (2, ""));

    // Unenrolled: out of the list. Enrolled again: back, with everything it had.
    let mut more = events.clone();
    more.push(sample(
        "openedx/edx.course.enrollment.deactivated.json",
        "2024-04-02T00:00:00Z",
        Some(3),
    ));
    assert_eq!(figures_of(&fold(&more), "2024-04-03"), []);
    more.push(sample(
        "openedx/edx.course.enrollment.activated.json",
        "2024-04-05T00:00:00Z",
        Some(3),
    ));
    assert_eq!(
        serde_json::to_value(figures_of(&fold(&more), "2024-04-06")).unwrap(),
        expected
    );
}

#[test]
fn a_grade_above_the_cutoff_completes_at_the_course_end_without_a_pass_event() {
    let events = vec![
        sample("openedx/play_video.json", "2024-05-01T10:00:00Z", Some(3)),
        // 1.0 > the 0.5 cutoff.
        sample(
            "openedx/edx.grades.course.grade_calculated_letter_grade.json",
            "2024-05-02T10:00:00Z",
            Some(3),
        ),
    ];
    let state = fold(&events);
    assert_eq!(figures_of(&state, "2024-06-30")[0].completed_date, "");
    assert_eq!(
        figures_of(&state, "2024-07-01")[0].completed_date,
        "2024-06-30T22:00:00Z"
    );
}

#[test]
fn one_learner_two_courses_two_entries() {
    let mut events: Vec<EdxEvent> = FIS_STORY.iter().map(|f| legacy(f)).collect();
    events.extend(demo_story());
    let state = fold(&events);
    assert_eq!(
        state.keys().collect::<Vec<_>>(),
        // Keys sort by bytes: `P` before `e`.
        [
            &(SUB.to_owned(), course(FIS)),
            &(SUB.to_owned(), course(DEMO))
        ]
    );
    let f = figures_of(&state, "2024-04-01");
    let summary: Vec<(&str, u8, u64, &str)> = f
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.progress_percentage,
                f.view_count,
                f.last_view_date.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (FIS, 0, 4, "2016-11-20T19:44:01Z"),
            (DEMO, 100, 3, "2024-03-05T18:00:00Z")
        ]
    );
    // Another learner's events change neither.
    let mut with_other = events.clone();
    with_other.push(sample(
        "openedx/play_video.json",
        "2030-01-01T00:00:00Z",
        Some(77),
    ));
    assert_eq!(fold(&with_other), state);
}

// ---------------------------------------------------------------------------------------------
// Order, duplication and batching never matter.

/// Observations of every kind, from the samples: their time is set by the test.
fn pool() -> Vec<Observation> {
    let files = [
        "openedx/edx.course.enrollment.activated.json",
        "openedx/edx.course.enrollment.deactivated.json",
        "openedx/edx.grades.course.grade_calculated_letter_grade.json",
        "openedx/edx.grades.course.grade_calculated_no_letter_grade.json",
        "openedx/edx.course.grade.passed.first_time.json",
        "openedx/problem_check(server).json",
        "openedx/showanswer.json",
        "openedx/play_video.json",
        "openedx/edx.ui.lms.sequence.next_selected.json",
        "openedx/problem_check(browser).json",
        "legacy/seq_goto.handmade.json",
        "legacy/problem_check.handmade.json",
    ];
    let mut pool: Vec<Observation> = files
        .iter()
        .map(|f| observe(&sample(f, "2024-01-01T00:00:00Z", None)).unwrap())
        .collect();
    // Answers of two problems of the structure and one outside it, right, wrong and partly.
    for (problem, grade, max_grade) in [
        ("p1", 1, 1),
        ("p1", 0, 1),
        ("p2", 2, 3),
        ("p2", 3, 3),
        ("elsewhere", 1, 1),
    ] {
        let mut e = raw("openedx/problem_check(server).json");
        e["timestamp"] = Value::from("2024-01-01T00:00:00Z");
        e["data"]["problem_id"] = Value::from(key("problem", problem));
        e["data"]["grade"] = Value::from(grade);
        e["data"]["max_grade"] = Value::from(max_grade);
        pool.push(observe(&EdxEvent::from_value(&e).unwrap()).unwrap());
    }
    pool
}

/// Few distinct times, so that ties (same millisecond, same window) are frequent.
const TIMES: [i64; 5] = [
    1_704_103_200_000,
    1_704_103_200_000 + 1,
    1_704_103_200_000 + 299_999,
    1_704_103_200_000 + 300_000,
    1_704_189_600_000,
];

/// An observation of the pool and a time, by index.
type Pick = (usize, usize);

fn observation(pool: &[Observation], (pick, time): Pick) -> (String, Observation) {
    let mut o = pool[pick].clone();
    o.time_ms = TIMES[time];
    // Both courses under one user: group must keep them apart.
    (SUB.to_owned(), o)
}

type State = BTreeMap<(String, CourseId), CourseProgress>;

fn figures(state: &State) -> Vec<Figures> {
    // With the structure's problems known, so that the answers' share counts where no course
    // grade was seen; and without.
    let problems: ProblemIds = ["p1", "p2", "p3"]
        .iter()
        .map(|p| key("problem", p))
        .collect();
    let facts = CourseFacts {
        end: Some(date("2024-01-01T10:00:00Z")),
        lowest_cutoff: Some(0.01),
        problems: Some(Arc::new(problems)),
    };
    let bare = CourseFacts {
        problems: None,
        ..facts.clone()
    };
    [facts, bare]
        .iter()
        .flat_map(|facts| {
            state.iter().filter_map(|((_, c), p)| {
                Figures::of(c, p, facts, TimeBuckets::DEFAULT, date("2024-06-01"))
            })
        })
        .collect()
}

/// A sequence, the same with duplicates in another order, and cut points for batches.
fn cases() -> impl Strategy<Value = (Vec<Pick>, Vec<Pick>, Vec<usize>)> {
    let item = (0..pool().len(), 0..TIMES.len());
    proptest::collection::vec(item, 1..10)
        .prop_flat_map(|seq| {
            let n = seq.len();
            (Just(seq), proptest::collection::vec(0..n, 0..2 * n))
        })
        .prop_flat_map(|(seq, extra)| {
            let mut again = seq.clone();
            again.extend(extra.iter().map(|&i| seq[i]));
            let cuts = proptest::collection::vec(0..=again.len(), 0..4);
            (Just(seq), Just(again).prop_shuffle(), cuts)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn order_duplication_and_batching_give_the_same_state_and_figures(
        (seq, again, mut cuts) in cases()
    ) {
        let pool = pool();
        let once: State = group(seq.iter().map(|&i| observation(&pool, i)), TimeBuckets::DEFAULT);

        // Reordered, with duplicates, folded one observation at a time.
        let mut folded = State::new();
        for &i in &again {
            let (sub, o) = observation(&pool, i);
            folded
                .entry((sub, o.course.clone()))
                .or_default()
                .merge_observation(&o, TimeBuckets::DEFAULT);
        }
        prop_assert_eq!(&folded, &once);

        // Cut into batches, each grouped, the batches' states merged last batch first (as
        // concurrent ingests would reach the store).
        cuts.push(0);
        cuts.push(again.len());
        cuts.sort_unstable();
        let mut merged = State::new();
        for w in cuts.windows(2).rev() {
            let batch = group(again[w[0]..w[1]].iter().map(|&i| observation(&pool, i)), TimeBuckets::DEFAULT);
            for (k, s) in batch {
                merged.entry(k).or_default().merge(&s);
            }
        }
        // Merging a state into itself changes nothing.
        for s in merged.values_mut() {
            let copy = s.clone();
            s.merge(&copy);
        }
        prop_assert_eq!(&merged, &once);
        prop_assert_eq!(figures(&merged), figures(&once));

        // A single observation's state merged in equals folding it in.
        let (_, first) = observation(&pool, seq[0]);
        let mut a = CourseProgress::from_observation(&first, TimeBuckets::DEFAULT);
        let b = a.clone();
        a.merge_observation(&first, TimeBuckets::DEFAULT);
        prop_assert_eq!(a, b);
    }
}
