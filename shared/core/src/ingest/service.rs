//! The ingest rule, shared by `POST /events` and `pokeco replay`: lines read from a body or a
//! log become ECO statements of tracked courses and linked users, and are queued. What each
//! event became is counted, so an operator sees why the LRS holds fewer statements than the
//! log has lines.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::body::Line;
use crate::catalog::CourseId;
use crate::pipeline::{EdxUserId, PipelineStore, Tracked, TrackedCourses};
use crate::queue::{pack, QueueError, StatementQueue};
use crate::store::{CatalogStore, StoreError};
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
}

impl IngestReport {
    /// Adds another chunk's counts (replay).
    pub fn add(&mut self, other: IngestReport) {
        self.events += other.events;
        self.enqueued += other.enqueued;
        self.duplicates += other.duplicates;
        self.skipped.add(&other.skipped);
        self.rejected += other.rejected;
        let room = MAX_REJECTED_LISTED.saturating_sub(self.rejected_lines.len());
        self.rejected_lines
            .extend(other.rejected_lines.into_iter().take(room));
    }
}

/// What the profile reads, fetched once per request.
struct Prefetched {
    /// ECO sub by edX user id, as the events write it.
    links: HashMap<String, String>,
    courses: HashMap<CourseId, CourseNames>,
}

impl Lookups for Prefetched {
    fn eco_user(&self, edx_user_id: &str) -> Option<&str> {
        self.links.get(edx_user_id).map(String::as_str)
    }

    fn course(&self, id: &CourseId) -> Option<&CourseNames> {
        self.courses.get(id)
    }

    fn block(&self, _course: &CourseId, _url_name: &str) -> Option<String> {
        // No course structure is loaded yet: usage keys are derived from the course key.
        None
    }
}

#[derive(Clone)]
pub struct IngestService {
    catalog: Arc<dyn CatalogStore>,
    pipeline: Arc<dyn PipelineStore>,
    queue: Arc<dyn StatementQueue>,
    profile: Arc<dyn Profile>,
    tracked_setting: BTreeSet<Tracked>,
}

impl IngestService {
    pub fn new(
        catalog: Arc<dyn CatalogStore>,
        pipeline: Arc<dyn PipelineStore>,
        queue: Arc<dyn StatementQueue>,
        profile: EcoProfile,
        tracked_setting: BTreeSet<Tracked>,
    ) -> Self {
        Self {
            catalog,
            pipeline,
            queue,
            profile: Arc::new(profile),
            tracked_setting,
        }
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

    /// Translates and queues. `Ok` only once every statement counted as enqueued is in the
    /// queue.
    ///
    /// # Errors
    /// [`IngestError`]: nothing is claimed queued.
    pub async fn ingest(&self, lines: Vec<Line>) -> Result<IngestReport, IngestError> {
        let (statements, mut report) = self.translate(lines).await?;
        let packed = pack(&statements);
        self.queue.send(&packed.bodies).await?;
        report.skipped.too_large = packed.too_large.len() as u64;
        report.enqueued = (statements.len() - packed.too_large.len()) as u64;
        Ok(report)
    }

    /// The statements the lines give, without queuing them, and the report of how every line
    /// was counted (`enqueued` left at 0).
    ///
    /// # Errors
    /// The store's, when links, tracked courses or course titles cannot be read.
    pub async fn translate(
        &self,
        lines: Vec<Line>,
    ) -> Result<(Vec<Statement>, IngestReport), StoreError> {
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
        let lookups = self.prefetch(&events).await?;
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
        Ok((statements, report))
    }

    async fn prefetch(&self, events: &[EdxEvent]) -> Result<Prefetched, StoreError> {
        let users: BTreeSet<EdxUserId> = events
            .iter()
            .filter_map(|e| e.user_id.as_deref()?.parse().ok())
            .collect();
        let users: Vec<EdxUserId> = users.into_iter().collect();
        let links: HashMap<String, String> = if users.is_empty() {
            HashMap::new()
        } else {
            self.pipeline
                .eco_users(&users)
                .await?
                .into_iter()
                .map(|(user, sub)| (user.into(), sub.into()))
                .collect()
        };
        let linked_courses: BTreeSet<CourseId> = events
            .iter()
            .filter(|e| e.user_id.as_ref().is_some_and(|u| links.contains_key(u)))
            .filter_map(|e| e.course_id.as_deref()?.parse().ok())
            .collect();
        let mut courses = HashMap::with_capacity(linked_courses.len());
        for id in linked_courses {
            if let Some(record) = self.catalog.get_course(&id).await? {
                let course = record.course;
                let names = CourseNames {
                    title: course.title,
                    description: course.description,
                };
                courses.insert(id, names);
            }
        }
        Ok(Prefetched { links, courses })
    }
}
