//! The ECO profile: the 21 rules of the old pok-eco `xapi` app, in their order (first match
//! wins), with the recommended fixes of pokeco-legacy.md §A instead of its defects: a string
//! `event` is parsed for every rule, a missing title or description is left out instead of
//! dropping the event, no statement is made without an object id, and LMS paths are joined
//! without a double slash.

use std::sync::LazyLock;

use regex::Regex;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use super::event::EdxEvent;
use super::statement::{Statement, XAPI_VERSION};
use crate::catalog::{CourseId, LangMap};
use crate::json::write;
use crate::oai::OaiPrefix;

/// The extension that carries the event's time as the LMS wrote it (with its fraction of a
/// second): xAPI wants an IRI as key, so the old `time_with_millis` lives under ECO's own
/// namespace.
pub const TIME_WITH_MILLIS: &str = "http://www.ecolearning.eu/expapi/extensions/time_with_millis";

/// The namespace of statement ids: UUIDv5 of the source event within it.
pub const STATEMENT_NAMESPACE: Uuid = Uuid::from_u128(0x6f0c_9a52_8d1e_4c3b_9a7e_2b5d_0c4e_8f11);

// Activity types; those the tasks view also names are public.
const COURSE: &str = "http://adlnet.gov/expapi/activities/course";
pub const MODULE: &str = "http://adlnet.gov/expapi/activities/module";
pub const QUESTION: &str = "http://adlnet.gov/expapi/activities/question";
pub const VIDEO: &str = "http://activitystrea.ms/schema/1.0/video";
const WIKI: &str = "http://www.ecolearning.eu/expapi/activitytype/wiki";
const THREAD: &str = "http://www.ecolearning.eu/expapi/activitytype/discussionthread";
const MESSAGE: &str = "http://www.ecolearning.eu/expapi/activitytype/forummessage";
pub const DISCUSSION: &str = "http://id.tincanapi.com/activitytype/discussion";
pub const PEER_ASSESSMENT: &str = "http://www.ecolearning.eu/expapi/activitytype/peerassessment";

/// The verbs of the profile: IRI and `en-US` display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcoVerb {
    Access,
    Registered,
    Exited,
    Create,
    Update,
    Answered,
    Watch,
    Author,
    Commented,
    Like,
    Read,
    Submit,
}

impl EcoVerb {
    pub fn iri(self) -> &'static str {
        match self {
            Self::Access => "http://activitystrea.ms/schema/1.0/access",
            Self::Registered => "http://adlnet.gov/expapi/verbs/registered",
            Self::Exited => "http://adlnet.gov/expapi/verbs/exited",
            Self::Create => "http://activitystrea.ms/schema/1.0/create",
            Self::Update => "http://activitystrea.ms/schema/1.0/update",
            Self::Answered => "http://adlnet.gov/expapi/verbs/answered",
            Self::Watch => "http://activitystrea.ms/schema/1.0/watch",
            Self::Author => "http://activitystrea.ms/schema/1.0/author",
            Self::Commented => "http://adlnet.gov/expapi/verbs/commented",
            Self::Like => "http://activitystrea.ms/schema/1.0/like",
            Self::Read => "http://activitystrea.ms/schema/1.0/read",
            Self::Submit => "http://activitystrea.ms/schema/1.0/submit",
        }
    }

    pub fn display(self) -> &'static str {
        match self {
            Self::Access => "Indicates the learner accessed something",
            Self::Registered => "Indicates the learner registered/enrolled for MOOC",
            Self::Exited => "Indicates the learner leaves the MOOC",
            Self::Create => "Indicates the learner created something",
            Self::Update => "Indicates the learner updated or edited something",
            Self::Answered => "Indicates the learner answered a question",
            Self::Watch => "Indicates the learner has watched video xyz",
            Self::Author => "Indicates the learner authored something",
            Self::Commented => "Indicates the learner commented on something",
            Self::Like => "Indicates the learner liked a forum message",
            Self::Read => "Indicates the learner read a forum message",
            Self::Submit => "Indicates the learner submitted something",
        }
    }
}

/// What statements name a course by: its catalog title and short description.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CourseNames {
    pub title: LangMap,
    pub description: LangMap,
}

/// What the profile reads from the store instead of the LMS's database.
pub trait Lookups {
    /// The ECO user (OpenID `sub`) linked to an edX user id.
    fn eco_user(&self, edx_user_id: &str) -> Option<&str>;
    /// The course's title and short description, from the catalog.
    fn course(&self, id: &CourseId) -> Option<&CourseNames>;
    /// The usage key of the block with this url_name in the course's structure.
    fn block(&self, course: &CourseId, url_name: &str) -> Option<String>;
}

/// Why an event gives no statement (counted by ingest, never an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    #[error("the event names no course, or a course id that is not one")]
    NoCourse,
    #[error("the user is not linked to an ECO identity")]
    NotLinked,
    #[error("no rule of the profile matches the event")]
    NoRule,
    #[error("the event gives the activity no id")]
    NoObjectId,
    #[error("the event's time is not an ISO 8601 date-time")]
    BadTime,
}

/// The deployment facts the profile writes into statements.
#[derive(Clone, Debug)]
pub struct EcoProfile {
    /// `POKECO_OAI_PREFIX`: the course activity id is `<prefix><course id>`.
    pub prefix: OaiPrefix,
    /// `POKECO_ECO_HOMEPAGE`: the actor account's homePage base.
    pub homepage: String,
    /// `POKECO_LMS_URL`: the base of object ids built from LMS paths.
    pub lms_url: String,
}

/// One rule's result: the verb, and the object's type, id and `en-US` name.
struct Matched {
    verb: EcoVerb,
    activity_type: &'static str,
    id: Option<String>,
    name: Option<String>,
}

/// `COURSE_ID_PATTERN` of the LMS of the time.
const CID: &str = r"[^/+]+(/|\+)[^/+]+(/|\+)[^/]+";

fn re(pattern: &str) -> Regex {
    // The patterns are constants of this file; a test compiles every one.
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("rule pattern {pattern}: {e}"))
}

struct Patterns {
    course_page: Regex,
    courseware: Regex,
    wiki_create: Regex,
    wiki_edit: Regex,
    wiki_page: Regex,
    wiki: Regex,
    like: Regex,
    forum_read: Regex,
    forum: Regex,
    peer_access: Regex,
    peer_submit: Regex,
    peer_feedback: Regex,
    self_feedback: Regex,
    block_id: Regex,
}

/// The rules' patterns, anchored at the start as Python's `re.match` is, not at the end.
static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    course_page: re(r"^/courses/.*/(info|about)"),
    courseware: re(r"^/courses/.*/courseware"),
    wiki_create: re(&format!(r"^/courses/{CID}/wiki/_create")),
    wiki_edit: re(&format!(r"^/courses/{CID}/wiki/\w+/_edit")),
    wiki_page: re(&format!(r"^/courses/{CID}/wiki/\w+/\w+")),
    wiki: re(&format!(r"^/courses/{CID}/wiki/\w+")),
    like: re(&format!(
        r"^/courses/{CID}/discussion/(threads|comments)/\S+/upvote"
    )),
    forum_read: re(&format!(
        r"^/courses/{CID}/discussion/forum/\S+/threads/\S+"
    )),
    forum: re(&format!(r"^/courses/{CID}/discussion/forum")),
    peer_access: re(&format!(
        r"^/courses/{CID}/xblock/\S+/handler/render_peer_assessment"
    )),
    peer_submit: re(&format!(r"^/courses/{CID}/xblock/\S+/handler/submit")),
    peer_feedback: re(&format!(r"^/courses/{CID}/xblock/\S+/handler/peer_assess")),
    self_feedback: re(&format!(r"^/courses/{CID}/xblock/\S+/handler/self_assess")),
    block_id: re(r"block-v\d:[^/+]+(/|\+)[^/+]+(/|\+)[^/]+"),
});

/// The path segments of a URL event type that its rules' patterns need: a pattern runs only
/// when its segment is there (each pattern holds `/` and its keyword), so a URL is split once
/// instead of being scanned by every pattern.
#[derive(Clone, Copy, Default)]
struct Keywords {
    /// A segment that starts with `info` or `about`.
    info_about: bool,
    /// One that starts with `courseware`.
    courseware: bool,
    /// `wiki`.
    wiki: bool,
    /// One that starts with `upvote`.
    upvote: bool,
    /// `discussion`.
    discussion: bool,
    /// `handler`.
    handler: bool,
}

impl Keywords {
    fn of(t: &str) -> Self {
        let mut k = Self::default();
        for segment in t.split('/') {
            match segment.as_bytes().first() {
                Some(b'i') => k.info_about |= segment.starts_with("info"),
                Some(b'a') => k.info_about |= segment.starts_with("about"),
                Some(b'c') => k.courseware |= segment.starts_with("courseware"),
                Some(b'w') => k.wiki |= segment == "wiki",
                Some(b'u') => k.upvote |= segment.starts_with("upvote"),
                Some(b'd') => k.discussion |= segment == "discussion",
                Some(b'h') => k.handler |= segment == "handler",
                _ => {}
            }
        }
        k
    }
}

/// `parts` joined, in one allocation.
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// The second-to-last `/`-separated part of `s`.
fn second_to_last(s: &str) -> Option<&str> {
    let mut parts = s.rsplit('/');
    parts.next()?;
    parts.next()
}

/// The part of `s` before the first `keyword`.
fn before<'a>(s: &'a str, keyword: &str) -> &'a str {
    s.find(keyword).map_or(s, |at| &s[..at])
}

impl EcoProfile {
    /// An LMS path as an absolute URL: joined to the LMS URL with one slash, or kept when it
    /// is already absolute.
    fn lms_id(&self, path: Option<&str>) -> Option<String> {
        let path = path?;
        if path.starts_with("http://") || path.starts_with("https://") {
            return Some(path.to_owned());
        }
        Some(concat(&[
            self.lms_url.trim_end_matches('/'),
            "/",
            path.trim_start_matches('/'),
        ]))
    }

    /// The usage key of a block: from the course structure when loaded, else derived from the
    /// course key and the block's category.
    fn usage_key(
        lookups: &dyn Lookups,
        course: &CourseId,
        url_name: &str,
        category: &str,
    ) -> Option<String> {
        if url_name.is_empty() {
            return None;
        }
        if let Some(key) = lookups.block(course, url_name) {
            return Some(key);
        }
        let id = course.as_str();
        match id.strip_prefix("course-v1:") {
            Some(key) => Some(concat(&[
                "block-v1:",
                key,
                "+type@",
                category,
                "+block@",
                url_name,
            ])),
            None => {
                let mut parts = id.split('/');
                let (org, number) = (parts.next()?, parts.next()?);
                Some(concat(&[
                    "i4x://", org, "/", number, "/", category, "/", url_name,
                ]))
            }
        }
    }

    fn block_id(s: Option<&str>) -> Option<String> {
        PATTERNS.block_id.find(s?).map(|m| m.as_str().to_owned())
    }

    /// The first rule that matches, in the old order.
    fn rule(
        &self,
        e: &EdxEvent,
        course: &CourseId,
        course_activity: &str,
        lookups: &dyn Lookups,
    ) -> Option<Matched> {
        let p = &*PATTERNS;
        let t = e.event_type.as_str();
        // Every URL rule is anchored at `/courses/`: other event types skip their regexes, and
        // a URL skips those whose keywords it lacks.
        let url = t.starts_with("/courses/");
        let k = if url {
            Keywords::of(t)
        } else {
            Keywords::default()
        };
        let server = e.source.as_deref() == Some("server");
        let browser = e.source.as_deref() == Some("browser");
        let m = |verb, activity_type, id: Option<String>, name: Option<String>| Matched {
            verb,
            activity_type,
            id,
            name,
        };
        let path_id = || self.lms_id(e.path.as_deref());
        Some(if k.info_about && p.course_page.is_match(t) {
            m(
                EcoVerb::Access,
                COURSE,
                Some(course_activity.to_owned()),
                Some(course_activity.to_owned()),
            )
        } else if k.courseware && p.courseware.is_match(t) {
            let module = second_to_last(t).filter(|m| *m != "courseware");
            let category = if t.ends_with('/') {
                "sequential"
            } else {
                "chapter"
            };
            let id = module.and_then(|n| Self::usage_key(lookups, course, n, category));
            m(EcoVerb::Access, MODULE, id, module.map(str::to_owned))
        } else if matches!(t, "seq_goto" | "seq_next" | "seq_prev") {
            let (sequence, new) = (e.field("id"), e.field("new"));
            let id = sequence
                .zip(new.as_deref())
                .map(|(s, n)| concat(&[&s, "#", n]));
            let page = e.page.as_deref().and_then(second_to_last);
            let name = page.zip(new).map(|(p, n)| concat(&[p, "_", &n]));
            m(EcoVerb::Access, MODULE, id, name)
        } else if t == "edx.course.enrollment.activated" && server {
            m(
                EcoVerb::Registered,
                COURSE,
                Some(course_activity.to_owned()),
                None,
            )
        } else if t == "edx.course.enrollment.deactivated" && server {
            m(
                EcoVerb::Exited,
                COURSE,
                Some(course_activity.to_owned()),
                None,
            )
        } else if let Some(verb) = ((k.wiki && p.wiki_create.is_match(t))
            .then_some(EcoVerb::Create))
        .or_else(|| (k.wiki && p.wiki_edit.is_match(t)).then_some(EcoVerb::Update))
        {
            let title = e
                .payload
                .as_ref()
                .and_then(|p| p.get("POST")?.get("title")?.first()?.string());
            m(verb, WIKI, path_id(), title)
        } else if k.wiki && (p.wiki_page.is_match(t) || p.wiki.is_match(t)) {
            m(EcoVerb::Access, WIKI, path_id(), e.path.clone())
        } else if t.ends_with("problem_get") && server {
            m(
                EcoVerb::Access,
                QUESTION,
                Self::block_id(Some(t)),
                Some(t.to_owned()),
            )
        } else if t == "problem_check" && server {
            m(
                EcoVerb::Answered,
                QUESTION,
                e.field("problem_id"),
                e.module_name.clone(),
            )
        } else if (t == "load_video" || t == "play_video") && browser {
            let verb = if t == "load_video" {
                EcoVerb::Access
            } else {
                EcoVerb::Watch
            };
            let video = e.field("id");
            let id = video
                .as_deref()
                .and_then(|v| Self::usage_key(lookups, course, v, "video"));
            m(verb, VIDEO, id, video)
        } else if t == "edx.forum.thread.created" {
            let title = e.payload.as_ref().and_then(|p| {
                let title = p.get("title")?;
                if title.is_array() {
                    title.first()?.string()
                } else {
                    title.string()
                }
            });
            m(
                EcoVerb::Author,
                THREAD,
                path_id(),
                title.filter(|t| !t.is_empty()),
            )
        } else if t == "edx.forum.response.created" {
            m(EcoVerb::Commented, MESSAGE, path_id(), e.referer.clone())
        } else if k.upvote && p.like.is_match(t) {
            m(
                EcoVerb::Like,
                MESSAGE,
                path_id(),
                Some(before(t, "upvote").to_owned()),
            )
        } else if k.discussion && p.forum_read.is_match(t) {
            m(EcoVerb::Read, MESSAGE, path_id(), Some(t.to_owned()))
        } else if k.discussion && p.forum.is_match(t) {
            m(EcoVerb::Access, DISCUSSION, path_id(), Some(t.to_owned()))
        } else {
            let (verb, keyword) = if k.handler && p.peer_access.is_match(t) {
                (EcoVerb::Access, "render_peer_assessment")
            } else if k.handler && p.peer_submit.is_match(t) {
                (EcoVerb::Submit, "submit")
            } else if k.handler && p.peer_feedback.is_match(t) {
                (EcoVerb::Submit, "peer_assess")
            } else if k.handler && p.self_feedback.is_match(t) {
                (EcoVerb::Submit, "self_assess")
            } else {
                return None;
            };
            let id = Self::block_id(e.path.as_deref());
            m(
                verb,
                PEER_ASSESSMENT,
                id,
                Some(before(t, keyword).to_owned()),
            )
        })
    }

    /// The statement of one event of a tracked course.
    ///
    /// # Errors
    /// The [`Skip`] that says why the event gives none.
    pub fn translate(&self, e: &EdxEvent, lookups: &dyn Lookups) -> Result<Statement, Skip> {
        let course: CourseId = e
            .course_id
            .as_deref()
            .and_then(|c| c.parse().ok())
            .ok_or(Skip::NoCourse)?;
        let sub = e
            .user_id
            .as_deref()
            .and_then(|u| lookups.eco_user(u))
            .ok_or(Skip::NotLinked)?;
        let fast = fast_timestamp(&e.time);
        let slow;
        let timestamp = match &fast {
            Some(stamp) => stamp.as_str(),
            None => {
                slow = slow_timestamp(&e.time).ok_or(Skip::BadTime)?;
                slow.as_str()
            }
        };
        let course_activity = concat(&[self.prefix.as_str(), course.as_str()]);
        let matched = self
            .rule(e, &course, &course_activity, lookups)
            .ok_or(Skip::NoRule)?;
        let object_id = matched.id.as_deref().ok_or(Skip::NoObjectId)?;
        let names = lookups.course(&course);
        let title = names.map(|n| &n.title).filter(|t| !t.is_empty());
        let id = statement_id(sub, e, course.as_str(), object_id);

        // Written field by field in the order and with the escapes serde_json would use. The
        // constants of this file (ids, IRIs, verbs, types) need no escaping and are written
        // as they are; a test checks every statement against serde_json's own writing.
        // Sized for the statement as written unescaped, so that it is not grown on the way.
        let texts = |m: Option<&LangMap>| m.map_or(0, |m| m.values().map(|t| t.len() + 10).sum());
        let mut j = String::with_capacity(
            640 + self.homepage.len()
                + 2 * sub.len()
                + object_id.len()
                + matched.name.as_ref().map_or(0, String::len)
                + 2 * course_activity.len()
                + 2 * texts(title)
                + texts(names.map(|n| &n.description))
                + e.time.len(),
        );
        j.push_str("{\"id\":\"");
        j.push_str(&id);
        j.push_str("\",\"actor\":{\"objectType\":\"Agent\",\"account\":{\"homePage\":\"");
        write::escaped(&mut j, &self.homepage);
        j.push_str("?user=");
        write::escaped(&mut j, sub);
        j.push_str("\",\"name\":");
        write::string(&mut j, sub);
        j.push_str("}},\"verb\":{\"id\":\"");
        j.push_str(matched.verb.iri());
        j.push_str("\",\"display\":{\"en-US\":\"");
        j.push_str(matched.verb.display());
        j.push_str("\"}},\"object\":");
        let object_name = match (&matched.name, title) {
            (Some(name), _) => Name::EnUs(name),
            (None, Some(title)) if object_id == course_activity => Name::Map(title),
            (None, _) => Name::None,
        };
        activity(&mut j, object_id, matched.activity_type, object_name, None);
        j.push_str(",\"context\":{\"contextActivities\":{\"parent\":[");
        let parent_name = title.map_or(Name::EnUs(&course_activity), Name::Map);
        let description = names.map(|n| &n.description);
        activity(&mut j, &course_activity, COURSE, parent_name, description);
        j.push_str("]},\"extensions\":{\"");
        j.push_str(TIME_WITH_MILLIS);
        j.push_str("\":");
        write::string(&mut j, &e.time);
        j.push_str("}},\"timestamp\":");
        write::string(&mut j, timestamp);
        j.push_str(",\"version\":\"");
        j.push_str(XAPI_VERSION);
        j.push_str("\"}");
        Ok(Statement::written(id, j))
    }
}

/// An activity's name in its definition.
enum Name<'a> {
    None,
    EnUs(&'a str),
    Map(&'a LangMap),
}

/// `{"objectType":"Activity","id":..,"definition":{"name":..,"description":..,"type":..}}`,
/// the name and description left out when there are none.
fn activity(
    j: &mut String,
    id: &str,
    activity_type: &'static str,
    name: Name,
    description: Option<&LangMap>,
) {
    j.push_str("{\"objectType\":\"Activity\",\"id\":");
    write::string(j, id);
    j.push_str(",\"definition\":{");
    match name {
        Name::None => {}
        Name::EnUs(text) => {
            j.push_str("\"name\":{\"en-US\":");
            write::string(j, text);
            j.push_str("},");
        }
        Name::Map(texts) => {
            j.push_str("\"name\":");
            write::string_map(j, texts.iter().map(|(l, t)| (l.as_ref(), t.as_str())));
            j.push(',');
        }
    }
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        j.push_str("\"description\":");
        write::string_map(j, description.iter().map(|(l, t)| (l.as_ref(), t.as_str())));
        j.push(',');
    }
    j.push_str("\"type\":\"");
    j.push_str(activity_type);
    j.push_str("\"}}");
}

/// The statement id: UUIDv5 of who, what, where, on what and when (the raw time), so a
/// replayed or retried event gives the same statement, never a second one.
pub fn statement_id(sub: &str, e: &EdxEvent, course: &str, object: &str) -> String {
    use sha1::{Digest, Sha1};
    // UUIDv5 (RFC 9562 §5.5) hashed in parts, without joining the name first.
    let mut sha = Sha1::new();
    sha.update(STATEMENT_NAMESPACE.as_bytes());
    for (i, part) in [sub, &e.event_type, course, object, &e.time]
        .iter()
        .enumerate()
    {
        if i > 0 {
            sha.update(b"\n");
        }
        sha.update(part.as_bytes());
    }
    let hash = sha.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    let id = uuid::Builder::from_sha1_bytes(bytes).into_uuid();
    id.hyphenated()
        .encode_lower(&mut Uuid::encode_buffer())
        .to_owned()
}

/// An ISO 8601 time as an xAPI timestamp to the second, keeping its offset (UTC when it has
/// none).
pub fn timestamp(time: &str) -> Option<String> {
    if let Some(fast) = fast_timestamp(time) {
        return Some(String::from(fast.as_str()));
    }
    slow_timestamp(time)
}

/// A timestamp written by hand: `YYYY-MM-DDTHH:MM:SS+HH:MM`.
#[derive(Clone, Copy)]
struct Stamp([u8; 25]);

impl Stamp {
    fn as_str(&self) -> &str {
        // Only ASCII digits and separators are written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if time::util::is_leap_year(i32::from(year)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The shapes the LMS writes, read by hand (`time`'s parsers walk a description item by
/// item): `YYYY-MM-DDTHH:MM:SS`, a fraction of 1 to 9 digits or none, then `Z`, `±HH:MM` or
/// nothing (UTC). `None` for anything else, which [`slow_timestamp`] decides; a test holds
/// both to the same results.
fn fast_timestamp(time: &str) -> Option<Stamp> {
    let b = time.as_bytes();
    let digits = |at: usize| -> Option<u8> {
        let (high, low) = (
            b.get(at)?.wrapping_sub(b'0'),
            b.get(at + 1)?.wrapping_sub(b'0'),
        );
        (high < 10 && low < 10).then_some(high * 10 + low)
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, c)| b.get(at) != Some(&c)) {
        return None;
    }
    let (century, year) = (digits(0)?, digits(2)?);
    let (month, day) = (digits(5)?, digits(8)?);
    let (hour, minute, second) = (digits(11)?, digits(14)?, digits(17)?);
    let full_year = u16::from(century) * 100 + u16::from(year);
    // Years 0 and 9999 (where an offset may leave the range) and leap seconds go to `time`.
    let valid = (1..=9998).contains(&full_year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(full_year, month)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let mut rest = &b[19..];
    if let [b'.', fraction @ ..] = rest {
        let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return None;
        }
        rest = &fraction[n..];
    }
    let (negative, offset_hour, offset_minute) = match *rest {
        [] | [b'Z'] => (false, 0, 0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |h: u8, l: u8| {
                let (h, l) = (h.wrapping_sub(b'0'), l.wrapping_sub(b'0'));
                (h < 10 && l < 10).then_some(h * 10 + l)
            };
            let (h, m) = (two(h1, h2)?, two(m1, m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            // `-00:00` is UTC, written with a `+`.
            (sign == b'-' && (h, m) != (0, 0), h, m)
        }
        _ => return None,
    };
    let mut out = *b"0000-00-00T00:00:00+00:00";
    let mut put = |at: usize, n: u8| {
        out[at] = b'0' + n / 10;
        out[at + 1] = b'0' + n % 10;
    };
    put(0, century);
    put(2, year);
    put(5, month);
    put(8, day);
    put(11, hour);
    put(14, minute);
    put(17, second);
    put(20, offset_hour);
    put(23, offset_minute);
    if negative {
        out[19] = b'-';
    }
    Some(Stamp(out))
}

/// [`timestamp`] through `time`'s parsers and formatter.
fn slow_timestamp(time: &str) -> Option<String> {
    let at = match OffsetDateTime::parse(time, &Rfc3339) {
        Ok(at) => at,
        Err(_) => {
            let naive = format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
            );
            PrimitiveDateTime::parse(time, naive).ok()?.assume_utc()
        }
    };
    let year = at.year();
    if !(0..=9999).contains(&year) {
        let seconds = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
        );
        return at.format(seconds).ok();
    }
    // The common case by hand: `time`'s formatter walks a description item by item.
    let (offset_h, offset_m, _) = at.offset().as_hms();
    let two = |out: &mut String, n: u8| {
        out.push(char::from(b'0' + n / 10));
        out.push(char::from(b'0' + n % 10));
    };
    let mut out = String::with_capacity(25);
    let year = year.unsigned_abs();
    two(&mut out, (year / 100) as u8);
    two(&mut out, (year % 100) as u8);
    out.push('-');
    two(&mut out, u8::from(at.month()));
    out.push('-');
    two(&mut out, at.day());
    out.push('T');
    two(&mut out, at.hour());
    out.push(':');
    two(&mut out, at.minute());
    out.push(':');
    two(&mut out, at.second());
    out.push(if at.offset().is_negative() { '-' } else { '+' });
    two(&mut out, offset_h.unsigned_abs());
    out.push(':');
    two(&mut out, offset_m.unsigned_abs());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        LazyLock::force(&PATTERNS);
    }

    #[test]
    fn timestamps_keep_the_offset_to_the_second() {
        assert_eq!(
            timestamp("2015-09-25T15:27:05.152330+00:00").as_deref(),
            Some("2015-09-25T15:27:05+00:00")
        );
        assert_eq!(
            timestamp("2016-11-07T10:20:11.7+01:00").as_deref(),
            Some("2016-11-07T10:20:11+01:00")
        );
        assert_eq!(
            timestamp("2016-11-07T09:20:11.734").as_deref(),
            Some("2016-11-07T09:20:11+00:00")
        );
        assert_eq!(timestamp("yesterday"), None);
    }

    #[test]
    fn the_fast_timestamps_are_those_of_time() {
        for (time, fast) in [
            ("2015-09-25T15:27:05.152330+00:00", true),
            ("2016-02-29T23:59:59Z", true),
            ("2015-02-29T10:00:00Z", false),
            ("2016-11-07T10:20:11.7-00:00", true),
            ("2016-11-07T10:20:11-05:30", true),
            ("2016-11-07T10:20:11.1234567891+01:00", false),
            ("2016-11-07T10:20:60Z", false),
            ("2016-11-07 10:20:11Z", false),
            ("0000-01-01T00:00:00Z", false),
            ("2016-11-07T10:20:11+24:00", false),
        ] {
            let got = fast_timestamp(time);
            assert_eq!(got.is_some(), fast, "{time}");
            if let Some(stamp) = &got {
                assert_eq!(
                    Some(stamp.as_str()),
                    slow_timestamp(time).as_deref(),
                    "{time}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn a_fast_timestamp_is_the_one_time_gives(
            time in "[0-9]{4}-(0[0-9]|1[0-3])-[0-3][0-9][T ]([01][0-9]|2[0-4]):[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,11})?(Z|z|[+-]([01][0-9]|2[0-4]):[0-6][0-9])?.?",
        ) {
            if let Some(stamp) = &fast_timestamp(&time) {
                let slow = slow_timestamp(&time);
                proptest::prop_assert_eq!(Some(stamp.as_str()), slow.as_deref());
            }
        }
    }

    #[test]
    fn lms_paths_join_with_one_slash() {
        let p = EcoProfile {
            prefix: OaiPrefix::new("oai:x.org:").unwrap_or_else(|_| unreachable!()),
            homepage: "https://portal.ecolearning.eu".into(),
            lms_url: "https://www.pok.polimi.it/".into(),
        };
        assert_eq!(
            p.lms_id(Some("/courses/x/wiki/")).as_deref(),
            Some("https://www.pok.polimi.it/courses/x/wiki/")
        );
        assert_eq!(p.lms_id(Some("http://a/b")).as_deref(), Some("http://a/b"));
    }
}
