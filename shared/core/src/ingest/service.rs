//! The ingest rule, shared by `POST /events` and `pokeco replay`: lines read from a body or a
//! log become ECO statements of tracked courses and linked users, and are queued; the same
//! events feed the progress projection. What each event became is counted, so an operator sees
//! why the LRS holds fewer statements than the log has lines.
//!
//! The projection takes the events of tracked courses whose learner is linked, as statements
//! do, but the learner is the one the event is about ([`observe`]): the payload's user for
//! enrollment and grade events, which staff and background tasks emit for a learner. Those
//! events feed the projection even where the profile makes no statement of them (grade
//! events have no ECO rule). One state per (ECO user, course) of the request is merged, by
//! one call to the progress store, while the statements are queued.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::body::Line;
use crate::catalog::CourseId;
use crate::pipeline::{EcoSub, EdxUserId, PipelineStore, Tracked, TrackedCourses};
use crate::progress::{group, observe, CourseProgress, Observation, ProgressStore, TimeBuckets};
use crate::queue::{pack, QueueError, StatementQueue};
use crate::store::{CatalogStore, StoreError};
use crate::structure::{CourseStructure, StructureStore};
use crate::xapi::{CourseNames, EcoProfile, EdxEvent, Lookups, Profile, Skip, Statement};

/// The most rejected lines an answer lists one by one (all are counted).
pub const MAX_REJECTED_LISTED: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Links, tracked courses or the catalog could not be read: nothing was queued.
    #[error("the store is unavailable: {0}")]
    Store(#[from] StoreError),
    /// The queue failed: some statements may be queued, none is claimed (sending the same
    /// events again is harmless, statement ids are stable).
    #[error("the queue is unavailable: {0}")]
    Queue(#[from] QueueError),
    /// The progress store failed: statements may be queued and states merged, none is
    /// claimed (sending the same events again is harmless, merges are idempotent).
    #[error("the progress store is unavailable: {0}")]
    Progress(StoreError),
}

/// Events that gave no statement, by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The event names no course (most of a tracking log: logins, dashboards).
    pub no_course: u64,
    pub course_not_tracked: u64,
    pub user_not_linked: u64,
    pub no_rule: u64,
    pub no_object_id: u64,
    pub bad_time: u64,
    /// The statement would be larger than a queue message (an event with huge names).
    pub too_large: u64,
}

impl Skipped {
    fn count(&mut self, why: Skip) {
        *match why {
            Skip::NoCourse => &mut self.no_course,
            Skip::NotLinked => &mut self.user_not_linked,
            Skip::NoRule => &mut self.no_rule,
            Skip::NoObjectId => &mut self.no_object_id,
            Skip::BadTime => &mut self.bad_time,
        } += 1;
    }

    fn add(&mut self, o: &Skipped) {
        self.no_course += o.no_course;
        self.course_not_tracked += o.course_not_tracked;
        self.user_not_linked += o.user_not_linked;
        self.no_rule += o.no_rule;
        self.no_object_id += o.no_object_id;
        self.bad_time += o.bad_time;
        self.too_large += o.too_large;
    }
}

/// A line that is not an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RejectedLine {
    pub line: usize,
    pub reason: String,
}

/// What one request (or one chunk of a replay) gave.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Lines (or array elements) read.
    pub events: u64,
    /// Statements durably queued.
    pub enqueued: u64,
    /// Events that repeat one already in the same request (same statement id).
    pub duplicates: u64,
    pub skipped: Skipped,
    /// Lines that are not events: counted, and the first [`MAX_REJECTED_LISTED`] listed.
    pub rejected: u64,
    pub rejected_lines: Vec<RejectedLine>,
    /// Progress states the events gave: one per (ECO user, course) of the request, merged
    /// into the store by one call. Counted apart from the statements: grade events give a
    /// state and no statement.
    pub progress_states: u64,
    /// Of those, the states that changed the stored ones: the store's writes (0 when the
    /// same events come again).
    pub progress_updates: u64,
}

impl IngestReport {
    /// Adds another chunk's counts (replay).
    pub fn add(&mut self, other: IngestReport) {
        self.events += other.events;
        self.enqueued += other.enqueued;
        self.duplicates += other.duplicates;
        self.skipped.add(&other.skipped);
        self.rejected += other.rejected;
        self.progress_states += other.progress_states;
        self.progress_updates += other.progress_updates;
        let room = MAX_REJECTED_LISTED.saturating_sub(self.rejected_lines.len());
        self.rejected_lines
            .extend(other.rejected_lines.into_iter().take(room));
    }
}

/// What the profile and the projection read, fetched once per request.
struct Prefetched {
    /// ECO sub by edX user id, as the events write it.
    links: HashMap<String, EcoSub>,
    courses: HashMap<CourseId, CourseNames>,
    /// The usage keys of the blocks of the courses whose structure is loaded, by url_name.
    blocks: HashMap<CourseId, Arc<UrlNames>>,
}

impl Lookups for Prefetched {
    fn eco_user(&self, edx_user_id: &str) -> Option<&str> {
        self.links.get(edx_user_id).map(EcoSub::as_str)
    }

    fn course(&self, id: &CourseId) -> Option<&CourseNames> {
        self.courses.get(id)
    }

    fn block(&self, course: &CourseId, url_name: &str) -> Option<String> {
        // None without a structure: the profile derives the key from the course key.
        self.blocks.get(course)?.get(url_name).cloned()
    }
}

/// A structure's usage keys by url_name (the name old events and courseware URLs give a
/// block).
type UrlNames = HashMap<String, String>;

/// The categories whose blocks the profile looks up by url_name (courseware pages, videos,
/// `videoalpha` in courses of the first HTML5 player): when a url_name is shared (a vertical
/// named as its video), these win.
const LOOKED_UP: [&str; 4] = ["chapter", "sequential", "video", "videoalpha"];

/// The url_names of a structure: each to the first block of that name in course order, one
/// of [`LOOKED_UP`] first.
fn url_names(structure: &CourseStructure) -> UrlNames {
    let mut names = UrlNames::with_capacity(structure.blocks().len());
    for looked_up in [true, false] {
        for b in structure.blocks() {
            if LOOKED_UP.contains(&b.category.as_str()) == looked_up {
                names
                    .entry(b.url_name().to_owned())
                    .or_insert_with(|| b.id.clone());
            }
        }
    }
    names
}

/// How long ingest uses a course's structure (or its absence) before reading it again: a
/// structure is costly to read (DynamoDB chunks, inflated and checked) and rarely changes,
/// and a shipper sends a request every few seconds. An import shows within this time.
pub const STRUCTURE_TTL: Duration = Duration::from_secs(60);

/// The most courses the structure cache keeps; past it, it starts over.
const MAX_CACHED_STRUCTURES: usize = 1_000;

/// A course's url_names (`None`: no structure is loaded) and when they were read.
type CachedNames = (Instant, Option<Arc<UrlNames>>);

/// The url_names of the courses' structures, each read at most once per [`STRUCTURE_TTL`].
/// Shared by the clones of a service.
struct StructureCache {
    store: Arc<dyn StructureStore>,
    entries: Mutex<HashMap<CourseId, CachedNames>>,
}

impl StructureCache {
    /// The url_names of a course's structure; `None` when none is loaded.
    async fn get(&self, course: &CourseId) -> Result<Option<Arc<UrlNames>>, StoreError> {
        if let Some(known) = self.fresh(course) {
            return Ok(known);
        }
        let names = match self.store.get_structure(course).await {
            Ok(found) => found.map(|s| Arc::new(url_names(&s))),
            // A structure this code cannot read counts as none: the profile derives the keys,
            // as it did before structures were loaded, rather than refusing every event.
            Err(StoreError::Corrupt(_)) => None,
            Err(e) => return Err(e),
        };
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_CACHED_STRUCTURES {
                entries.clear();
            }
            entries.insert(course.clone(), (Instant::now(), names.clone()));
        }
        Ok(names)
    }

    fn fresh(&self, course: &CourseId) -> Option<Option<Arc<UrlNames>>> {
        let entries = self.entries.lock().ok()?;
        let (at, names) = entries.get(course)?;
        (at.elapsed() < STRUCTURE_TTL).then(|| names.clone())
    }
}

/// One (ECO user, course) state of a request, as the progress store merges it.
pub type ProgressState = (EcoSub, CourseId, CourseProgress);

/// What a request gives before anything is written.
struct Translated {
    statements: Vec<Statement>,
    progress: Vec<ProgressState>,
    report: IngestReport,
}

#[derive(Clone)]
pub struct IngestService {
    catalog: Arc<dyn CatalogStore>,
    pipeline: Arc<dyn PipelineStore>,
    progress: Arc<dyn ProgressStore>,
    queue: Arc<dyn StatementQueue>,
    profile: Arc<dyn Profile>,
    tracked_setting: BTreeSet<Tracked>,
    buckets: TimeBuckets,
    /// `None`: no structure is read, every usage key is derived from the course key.
    structures: Option<Arc<StructureCache>>,
}

impl IngestService {
    /// `buckets` is `POKECO_PROGRESS_BUCKET` ([`crate::config::progress_buckets`]).
    pub fn new(
        catalog: Arc<dyn CatalogStore>,
        pipeline: Arc<dyn PipelineStore>,
        progress: Arc<dyn ProgressStore>,
        queue: Arc<dyn StatementQueue>,
        profile: EcoProfile,
        tracked_setting: BTreeSet<Tracked>,
        buckets: TimeBuckets,
    ) -> Self {
        Self {
            catalog,
            pipeline,
            progress,
            queue,
            profile: Arc::new(profile),
            tracked_setting,
            buckets,
            structures: None,
        }
    }

    /// Reads the course structures of `store` (kept a minute, [`STRUCTURE_TTL`]), so that a
    /// block an event names by url_name gets the structure's usage key: an old-style course's
    /// `i4x://` key, or the category the structure gives it.
    #[must_use]
    pub fn with_structures(mut self, store: Arc<dyn StructureStore>) -> Self {
        self.structures = Some(Arc::new(StructureCache {
            store,
            entries: Mutex::new(HashMap::new()),
        }));
        self
    }

    /// The tracked courses in force now: the setting's and the store's.
    ///
    /// # Errors
    /// The store's.
    pub async fn tracked(&self) -> Result<TrackedCourses, StoreError> {
        Ok(TrackedCourses {
            from_setting: self.tracked_setting.clone(),
            from_store: self.pipeline.tracked().await?.into_iter().collect(),
        })
    }

    /// Translates and queues, and merges the progress states, both at once. `Ok` only once
    /// every statement counted as enqueued is in the queue and every state is merged.
    ///
    /// # Errors
    /// [`IngestError`]: nothing is claimed queued or merged.
    pub async fn ingest(&self, lines: Vec<Line>) -> Result<IngestReport, IngestError> {
        let Translated {
            statements,
            progress,
            mut report,
        } = self.prepare(lines).await?;
        let packed = pack(&statements);
        let merge = async {
            if progress.is_empty() {
                Ok(0)
            } else {
                self.progress.merge_progress(&progress).await
            }
        };
        let (sent, merged) = both(self.queue.send(&packed.bodies), merge).await;
        sent?;
        report.progress_updates = merged.map_err(IngestError::Progress)?;
        report.skipped.too_large = packed.too_large.len() as u64;
        report.enqueued = (statements.len() - packed.too_large.len()) as u64;
        Ok(report)
    }

    /// The statements the lines give, without queuing them, and the report of how every line
    /// was counted (`enqueued` and `progress_updates` left at 0).
    ///
    /// # Errors
    /// The store's, when links, tracked courses or course titles cannot be read.
    pub async fn translate(
        &self,
        lines: Vec<Line>,
    ) -> Result<(Vec<Statement>, IngestReport), StoreError> {
        let Translated {
            statements, report, ..
        } = self.prepare(lines).await?;
        Ok((statements, report))
    }

    /// The statements and progress states the lines give, and how every line was counted.
    async fn prepare(&self, lines: Vec<Line>) -> Result<Translated, StoreError> {
        let tracked = self.tracked().await?;
        let mut report = IngestReport {
            events: lines.len() as u64,
            ..IngestReport::default()
        };
        let mut events: Vec<EdxEvent> = Vec::with_capacity(lines.len());
        for line in lines {
            match line.event {
                Err(e) => {
                    report.rejected += 1;
                    if report.rejected_lines.len() < MAX_REJECTED_LISTED {
                        report.rejected_lines.push(RejectedLine {
                            line: line.number,
                            reason: e.to_string(),
                        });
                    }
                }
                Ok(event) => match event.course_id.as_deref() {
                    None => report.skipped.no_course += 1,
                    Some(c) if !tracked.contains(c) => report.skipped.course_not_tracked += 1,
                    Some(_) => events.push(event),
                },
            }
        }
        let observations: Vec<Option<Observation>> = events.iter().map(observe).collect();
        let lookups = self.prefetch(&events, &observations).await?;
        let mut statements = Vec::with_capacity(events.len());
        let mut seen = HashSet::with_capacity(events.len());
        for event in &events {
            match self.profile.statements(event, &lookups) {
                Ok(made) => {
                    for s in made {
                        if seen.insert(s.id().to_owned()) {
                            statements.push(s);
                        } else {
                            report.duplicates += 1;
                        }
                    }
                }
                Err(why) => report.skipped.count(why),
            }
        }
        let progress = progress_states(
            observations.into_iter().flatten(),
            &lookups.links,
            self.buckets,
        );
        report.progress_states = progress.len() as u64;
        Ok(Translated {
            statements,
            progress,
            report,
        })
    }

    /// The links of every user the events name: their own (statements) and the learners
    /// their observations are about (the projection); the titles and the structures' url_names
    /// of the courses of linked users' events (one read per course at most, none while the
    /// structure cache holds it).
    async fn prefetch(
        &self,
        events: &[EdxEvent],
        observations: &[Option<Observation>],
    ) -> Result<Prefetched, StoreError> {
        let users: BTreeSet<EdxUserId> = events
            .iter()
            .filter_map(|e| e.user_id.as_deref())
            .chain(
                observations
                    .iter()
                    .flatten()
                    .filter_map(|o| o.user.as_deref()),
            )
            .filter_map(|u| u.parse().ok())
            .collect();
        let users: Vec<EdxUserId> = users.into_iter().collect();
        let links: HashMap<String, EcoSub> = if users.is_empty() {
            HashMap::new()
        } else {
            self.pipeline
                .eco_users(&users)
                .await?
                .into_iter()
                .map(|(user, sub)| (user.into(), sub))
                .collect()
        };
        let linked_courses: BTreeSet<CourseId> = events
            .iter()
            .filter(|e| e.user_id.as_ref().is_some_and(|u| links.contains_key(u)))
            .filter_map(|e| e.course_id.as_deref()?.parse().ok())
            .collect();
        let mut courses = HashMap::with_capacity(linked_courses.len());
        let mut blocks = HashMap::new();
        for id in linked_courses {
            if let Some(structures) = &self.structures {
                if let Some(names) = structures.get(&id).await? {
                    blocks.insert(id.clone(), names);
                }
            }
            if let Some(record) = self.catalog.get_course(&id).await? {
                let course = record.course;
                let names = CourseNames {
                    title: course.title,
                    description: course.description,
                };
                courses.insert(id, names);
            }
        }
        Ok(Prefetched {
            links,
            courses,
            blocks,
        })
    }
}

/// The progress states of a request's observations: those about a linked learner, one state
/// per (ECO user, course).
fn progress_states(
    observations: impl IntoIterator<Item = Observation>,
    links: &HashMap<String, EcoSub>,
    buckets: TimeBuckets,
) -> Vec<ProgressState> {
    let linked = observations.into_iter().filter_map(|o| {
        let sub = links.get(o.user.as_deref()?)?.clone();
        Some((sub, o))
    });
    group(linked, buckets)
        .into_iter()
        .map(|((sub, course), state)| (sub, course, state))
        .collect()
}

/// Runs two futures at once and answers both outputs: the queue and the progress store are
/// written in parallel, so a request waits for the slower of the two, not for their sum.
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut done_a, mut done_b) = (None, None);
    std::future::poll_fn(move |cx| {
        if done_a.is_none() {
            if let Poll::Ready(out) = a.as_mut().poll(cx) {
                done_a = Some(out);
            }
        }
        if done_b.is_none() {
            if let Poll::Ready(out) = b.as_mut().poll(cx) {
                done_b = Some(out);
            }
        }
        match (done_a.take(), done_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (done_a, done_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Fact;

    const SUB: &str = "5a1b2c3d4e5f60718293a4b5";
    const OTHER: &str = "00000000000000000000000a";

    fn obs(user: Option<&str>, course: &str, time_ms: i64, fact: Fact) -> Observation {
        Observation {
            user: user.map(str::to_owned),
            course: course.parse().unwrap(),
            time_ms,
            fact,
        }
    }

    fn links() -> HashMap<String, EcoSub> {
        // Two edX accounts of one ECO user, and another user.
        [("3", SUB), ("4", SUB), ("5", OTHER)]
            .into_iter()
            .map(|(u, s)| (u.to_owned(), s.parse().unwrap()))
            .collect()
    }

    #[test]
    fn states_are_of_linked_learners_one_per_user_and_course() {
        let visit = |block: &str| Fact::Visit {
            block: Some(block.to_owned()),
        };
        let observations = vec![
            obs(Some("3"), "Org/A/1", 1_000, visit("a")),
            obs(Some("4"), "Org/A/1", 2_000, visit("b")),
            obs(Some("3"), "Org/B/1", 3_000, Fact::Passed),
            obs(Some("5"), "Org/A/1", 4_000, Fact::Grade { percent: 50.0 }),
            // Unlinked, anonymous, or not a user id: nothing.
            obs(Some("77"), "Org/A/1", 5_000, visit("c")),
            obs(None, "Org/A/1", 6_000, visit("d")),
            obs(Some(""), "Org/A/1", 7_000, visit("e")),
        ];
        let states = progress_states(observations, &links(), TimeBuckets::DEFAULT);
        let keys: Vec<(&str, &str)> = states
            .iter()
            .map(|(s, c, _)| (s.as_str(), c.as_str()))
            .collect();
        assert_eq!(
            keys,
            [(OTHER, "Org/A/1"), (SUB, "Org/A/1"), (SUB, "Org/B/1")]
        );
        // Both edX accounts of one learner fold into one state.
        let mine = &states[1].2;
        assert_eq!(mine.blocks.len(), 2);
        assert_eq!(
            (mine.first_view_ms, mine.last_view_ms),
            (Some(1_000), Some(2_000))
        );
        assert_eq!(states[2].2.first_passed_ms, Some(3_000));
        assert_eq!(states[0].2.grade.map(|g| g.percent), Some(50.0));
        assert!(progress_states(Vec::new(), &links(), TimeBuckets::DEFAULT).is_empty());
    }

    /// The staff member who enrolls a learner is not the learner: the observation's user is.
    #[test]
    fn an_enrollment_by_staff_is_the_learners() {
        let event = EdxEvent::parse(
            br#"{"name": "edx.course.enrollment.activated", "timestamp": "2024-01-01T00:00:00Z",
                "context": {"course_id": "course-v1:A+B+C", "user_id": 99},
                "data": {"user_id": 3, "course_id": "course-v1:A+B+C", "mode": "audit"}}"#,
        )
        .unwrap();
        let observed = observe(&event).into_iter().collect::<Vec<_>>();
        let states = progress_states(observed, &links(), TimeBuckets::DEFAULT);
        assert_eq!(states.len(), 1);
        assert_eq!(states[0].0.as_str(), SUB);
        assert!(states[0].2.enrollment.is_some_and(|e| e.active));
    }

    /// Each future is polled while the other waits: run one after the other, the first would
    /// wait forever for the second.
    #[tokio::test]
    async fn both_runs_the_two_at_once() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let (got, sent) = both(async { rx.await.ok() }, async { tx.send(7).is_ok() }).await;
        assert_eq!((got, sent), (Some(7), true));
        let (a, b) = both(async { 1 }, async { "two" }).await;
        assert_eq!((a, b), (1, "two"));
    }
}
