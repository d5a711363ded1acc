//! From an edX event to what the projection keeps of it. The only file of the projection that
//! reads [`EdxEvent`], so a change of the event's representation is adapted here alone.

use crate::catalog::CourseId;
use crate::xapi::EdxEvent;

use super::observation::{parse_time_ms, Fact, Observation};
use super::state::Score;

/// What one event tells the projection: `None` for an event without a valid course id or
/// time, and for the events the rules below leave out.
///
/// The rules, by event type (both shapes, legacy tracking log and current event tracking):
/// - `edx.course.enrollment.activated` / `.deactivated` → [`Fact::Enrollment`]; the rest of
///   the enrollment family (`mode_changed`, `/change_enrollment` requests) gives nothing.
/// - `edx.grades.course.grade_calculated` → [`Fact::Grade`] from `percent_grade` (a fraction
///   0–1; a value outside it is malformed and gives nothing).
/// - `edx.course.grade.passed.first_time` and `edx.course.grade.now_passed` →
///   [`Fact::Passed`]; the other grade events (`now_failed`, problem and subsection grades)
///   give nothing: they repeat what `problem_check` already said, or are recomputations.
/// - A server-side `problem_check` with a valid score → [`Fact::Answered`] (a visit of the
///   problem and its score: `grade` of `max_grade` points). A browser-side one, or one without
///   a valid score (`max_grade` 0, a grade outside `0..=max_grade`), is a plain visit.
/// - Any other event of the course → [`Fact::Visit`]. Enrollment and grade events are not
///   visits: staff and background tasks emit them, and enrolling is not looking at the course
///   (a course enrolled in and never opened has empty dates, as in the old API).
///
/// The block of a visit, first found of:
/// 1. a usage key in the payload's `problem_id`, `block_id`, `usage_key` or `module_id`;
/// 2. a video event's `id`: a usage key, or a url_name made into one (`type@video`);
/// 3. a sequence navigation event's `id` (the sequential's usage key);
/// 4. a `block-v1:` usage key in the request path (`/xblock/…`, `/jump_to/…`, API paths);
/// 5. a courseware path `/courses/<course>/courseware/<chapter>/<sequential>/`: the sequential,
///    else the chapter, made into a usage key.
///
/// Else the visit names no block: it still counts for the dates and the time spent.
pub fn observe(event: &EdxEvent) -> Option<Observation> {
    let course = event
        .course_id
        .clone()
        .or_else(|| event.field("course_id"))
        .and_then(|id| CourseId::try_from(id).ok())?;
    let time_ms = parse_time_ms(&event.time)?;
    let t = event.event_type.as_str();
    let (fact, about_someone) = if let Some(kind) = t.strip_prefix("edx.course.enrollment.") {
        let active = match kind {
            "activated" => true,
            "deactivated" => false,
            _ => return None,
        };
        (Fact::Enrollment { active }, true)
    } else if t == "edx.grades.course.grade_calculated" {
        let fraction = percent_grade(event)?;
        let percent = fraction * 100.0;
        (Fact::Grade { percent }, true)
    } else if matches!(
        t,
        "edx.course.grade.passed.first_time" | "edx.course.grade.now_passed"
    ) {
        (Fact::Passed, true)
    } else if t.starts_with("edx.grades.")
        || t.starts_with("edx.course.grade.")
        || t == "/change_enrollment"
    {
        return None;
    } else if let Some(answered) = answered(event) {
        (answered, false)
    } else {
        let block = block(event, &course);
        (Fact::Visit { block }, false)
    };
    // Staff (bulk enrollment, rescoring) and background tasks emit enrollment and grade events
    // for a learner: the payload names the learner, the context the one who acted.
    let user = about_someone
        .then(|| event.field("user_id"))
        .flatten()
        .or_else(|| event.user_id.clone());
    Some(Observation {
        user,
        course,
        time_ms,
        fact,
    })
}

/// `percent_grade`, a number (or numeric text) in 0–1.
fn percent_grade(event: &EdxEvent) -> Option<f64> {
    let fraction = number(event, "percent_grade")?;
    (0.0..=1.0).contains(&fraction).then_some(fraction)
}

/// A payload member that is a number, or numeric text.
fn number(event: &EdxEvent, name: &str) -> Option<f64> {
    match event.payload.as_ref()?.value(name)? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The score of a server-side `problem_check`: its `problem_id` (a usage key), `grade` and
/// `max_grade`. The browser's copy carries the form as text and no grade; a problem worth no
/// points (`max_grade` 0) or a grade outside `0..=max_grade` gives no score (a plain visit).
fn answered(event: &EdxEvent) -> Option<Fact> {
    if event.event_type != "problem_check" || event.source.as_deref() == Some("browser") {
        return None;
    }
    let problem = event.field("problem_id").filter(|k| is_usage_key(k))?;
    let score = Score {
        at_ms: 0,
        problem,
        // `+ 0.0` makes a -0 a 0, so that one grade has one stored form.
        earned: number(event, "grade")? + 0.0,
        possible: number(event, "max_grade")?,
    };
    score.is_valid().then_some(Fact::Answered {
        problem: score.problem,
        earned: score.earned,
        possible: score.possible,
    })
}

fn is_usage_key(s: &str) -> bool {
    s.starts_with("block-v1:") || s.starts_with("i4x://")
}

fn is_video(t: &str) -> bool {
    t.ends_with("_video")
        || t.starts_with("edx.video.")
        || matches!(
            t,
            "show_transcript" | "hide_transcript" | "video_show_cc_menu" | "video_hide_cc_menu"
        )
}

fn is_sequence(t: &str) -> bool {
    matches!(t, "seq_goto" | "seq_next" | "seq_prev") || t.starts_with("edx.ui.lms.sequence.")
}

/// The usage key of the block the event names, by the rules of the module doc.
fn block(event: &EdxEvent, course: &CourseId) -> Option<String> {
    for name in ["problem_id", "block_id", "usage_key", "module_id"] {
        if let Some(key) = event.field(name).filter(|k| is_usage_key(k)) {
            return Some(key);
        }
    }
    let t = event.event_type.as_str();
    if is_video(t) {
        if let Some(id) = event.field("id") {
            return if is_usage_key(&id) {
                Some(id)
            } else {
                derived_key(course, "video", &id)
            };
        }
    }
    if is_sequence(t) {
        if let Some(id) = event.field("id").filter(|k| is_usage_key(k)) {
            return Some(id);
        }
    }
    // A request event's type is its path; the context's path is the same, or `/event`.
    let paths = [
        Some(t).filter(|t| t.starts_with('/')),
        event.path.as_deref(),
    ];
    paths
        .into_iter()
        .flatten()
        .find_map(|path| key_in_path(path).or_else(|| courseware(path, course)))
}

/// A `block-v1:` usage key within a path, up to the next `/`, `?` or `#`.
fn key_in_path(path: &str) -> Option<String> {
    let from = &path[path.find("block-v1:")?..];
    let end = from.find(['/', '?', '#']).unwrap_or(from.len());
    Some(from[..end].to_owned())
}

/// The deepest block a courseware path names: `…/courseware/<chapter>/<sequential>/…`.
fn courseware(path: &str, course: &CourseId) -> Option<String> {
    if !path.starts_with("/courses/") {
        return None;
    }
    let (_, rest) = path.split_once("/courseware/")?;
    let mut parts = rest.split('/').filter(|p| !p.is_empty());
    let chapter = parts.next()?;
    match parts.next() {
        Some(sequential) => derived_key(course, "sequential", sequential),
        None => derived_key(course, "chapter", chapter),
    }
}

/// The usage key of a block of the course from its category and url_name, in the key style
/// of the course id (`block-v1:` for `course-v1:`, `i4x://` for `Org/Course/Run`).
fn derived_key(course: &CourseId, category: &str, url_name: &str) -> Option<String> {
    if url_name.is_empty() || url_name.contains(['/', '+', '@']) {
        return None;
    }
    let id = course.as_str();
    match id.strip_prefix("course-v1:") {
        Some(key) => Some(format!("block-v1:{key}+type@{category}+block@{url_name}")),
        None => {
            let mut parts = id.split('/');
            let (org, number) = (parts.next()?, parts.next()?);
            Some(format!("i4x://{org}/{number}/{category}/{url_name}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> EdxEvent {
        EdxEvent::parse(json.as_bytes()).unwrap()
    }

    fn visit_block(json: &str) -> Option<String> {
        match observe(&event(json)).unwrap().fact {
            Fact::Visit { block } => block,
            other => panic!("not a visit: {other:?}"),
        }
    }

    #[test]
    fn a_courseware_path_names_its_sequential_else_its_chapter() {
        let old = r#"{"event_type": "/courses/A/B/C/courseware/ch1/seq2/3", "time": "2016-01-01T00:00:00",
            "context": {"course_id": "A/B/C", "user_id": 1, "path": "/courses/A/B/C/courseware/ch1/seq2/3"}}"#;
        assert_eq!(
            visit_block(old).as_deref(),
            Some("i4x://A/B/sequential/seq2")
        );
        let chapter = r#"{"event_type": "/courses/course-v1:A+B+C/courseware/ch1/", "time": "2016-01-01T00:00:00",
            "context": {"course_id": "course-v1:A+B+C", "user_id": 1, "path": "/event"}}"#;
        assert_eq!(
            visit_block(chapter).as_deref(),
            Some("block-v1:A+B+C+type@chapter+block@ch1")
        );
        let bare = r#"{"event_type": "/courses/course-v1:A+B+C/courseware/", "time": "2016-01-01T00:00:00",
            "context": {"course_id": "course-v1:A+B+C", "user_id": 1}}"#;
        assert_eq!(visit_block(bare), None);
    }

    #[test]
    fn a_key_in_a_path_ends_at_the_query() {
        let e = r#"{"event_type": "x", "time": "2016-01-01T00:00:00",
            "context": {"course_id": "course-v1:A+B+C", "user_id": 1,
                        "path": "/api/courseware/sequence/block-v1:A+B+C+type@sequential+block@s?x=1"}}"#;
        assert_eq!(
            visit_block(e).as_deref(),
            Some("block-v1:A+B+C+type@sequential+block@s")
        );
    }

    #[test]
    fn a_grade_outside_zero_to_one_is_malformed() {
        for (grade, expected) in [
            ("0.5", Some(50.0)),
            ("\"0.25\"", Some(25.0)),
            ("1.5", None),
            ("-0.1", None),
            ("null", None),
        ] {
            let e = format!(
                r#"{{"name": "edx.grades.course.grade_calculated", "timestamp": "2023-01-01T00:00:00Z",
                "context": {{"course_id": "course-v1:A+B+C", "user_id": 9}},
                "data": {{"user_id": "3", "percent_grade": {grade}}}}}"#
            );
            let got = observe(&event(&e)).map(|o| (o.user, o.fact));
            let expected = expected.map(|percent| (Some("3".to_owned()), Fact::Grade { percent }));
            assert_eq!(got, expected, "{grade}");
        }
    }

    #[test]
    fn a_server_problem_check_gives_a_score_else_a_visit() {
        let check = |source: &str, grade: &str, max: &str| {
            let e = format!(
                r#"{{"event_type": "problem_check", "event_source": "{source}",
                "time": "2016-01-01T00:00:00", "context": {{"course_id": "course-v1:A+B+C", "user_id": 1}},
                "event": {{"problem_id": "block-v1:A+B+C+type@problem+block@p", "grade": {grade}, "max_grade": {max}}}}}"#
            );
            observe(&event(&e)).unwrap().fact
        };
        let key = "block-v1:A+B+C+type@problem+block@p".to_owned();
        let visit = Fact::Visit {
            block: Some(key.clone()),
        };
        let score = |earned, possible| Fact::Answered {
            problem: key.clone(),
            earned,
            possible,
        };
        assert_eq!(check("server", "1", "2"), score(1.0, 2.0));
        assert_eq!(check("server", "\"3\"", "3"), score(3.0, 3.0));
        assert_eq!(check("server", "-0.0", "3"), score(0.0, 3.0));
        // The browser's copy, a problem worth nothing, a grade out of range: a visit.
        assert_eq!(check("browser", "1", "2"), visit);
        assert_eq!(check("server", "0", "0"), visit);
        assert_eq!(check("server", "3", "2"), visit);
        assert_eq!(check("server", "null", "2"), visit);
        if let Fact::Answered { earned, .. } = check("server", "-0.0", "3") {
            assert!(earned.is_sign_positive());
        }
        // The browser's copy of the current shape carries the form as text: no problem id.
        let browser = r#"{"name": "problem_check", "timestamp": "2016-01-01T00:00:00Z",
            "context": {"course_id": "course-v1:A+B+C", "user_id": 1, "event_source": "browser"},
            "data": "input_p_2_1=choice_1"}"#;
        assert_eq!(
            observe(&event(browser)).unwrap().fact,
            Fact::Visit { block: None }
        );
    }

    #[test]
    fn an_invalid_course_or_time_gives_nothing() {
        let ccx = r#"{"name": "play_video", "timestamp": "2023-01-01T00:00:00Z",
            "context": {"course_id": "ccx-v1:A+B+C+ccx@1", "user_id": 3}, "data": {"id": "v"}}"#;
        assert_eq!(observe(&event(ccx)), None);
        let time = r#"{"name": "play_video", "timestamp": "yesterday",
            "context": {"course_id": "course-v1:A+B+C", "user_id": 3}, "data": {"id": "v"}}"#;
        assert_eq!(observe(&event(time)), None);
    }
}
