//! What `users/{sub}/courses` needs of the catalog, kept for a short while: a learner's
//! figures need each course's end and pass mark, and ECO's nightly batch asks for every
//! learner, whose courses are mostly the same few. A change in the catalog shows within
//! [`FACTS_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pokeco_core::catalog::CourseId;
use pokeco_core::progress::CourseFacts;
use pokeco_core::store::{CatalogStore, StoreResult};

/// How long a course's facts are used before the catalog is read again.
pub const FACTS_TTL: Duration = Duration::from_secs(60);

/// The most courses kept; past it the cache starts over (a catalog has hundreds, not more).
const MAX_COURSES: usize = 10_000;

/// A course's facts, `None` for a course the catalog does not have (or deleted), and when
/// they were read.
type Entries = HashMap<CourseId, (Instant, Option<CourseFacts>)>;

/// Cheap to clone; clones share the entries.
#[derive(Clone, Default)]
pub struct CourseFactsCache {
    entries: Arc<Mutex<Entries>>,
}

impl CourseFactsCache {
    /// The facts of a live course of the catalog, `None` for another.
    ///
    /// # Errors
    /// The catalog store's, when the course had to be read.
    pub async fn get(
        &self,
        catalog: &dyn CatalogStore,
        course: &CourseId,
    ) -> StoreResult<Option<CourseFacts>> {
        if let Some(known) = self.fresh(course) {
            return Ok(known);
        }
        let facts = catalog
            .get_course(course)
            .await?
            .filter(|r| !r.deleted)
            .map(|r| CourseFacts {
                end: r.course.end,
                lowest_cutoff: r.course.lowest_nonzero_cutoff(),
            });
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_COURSES {
                entries.clear();
            }
            entries.insert(course.clone(), (Instant::now(), facts));
        }
        Ok(facts)
    }

    fn fresh(&self, course: &CourseId) -> Option<Option<CourseFacts>> {
        let entries = self.entries.lock().ok()?;
        let (at, facts) = entries.get(course)?;
        (at.elapsed() < FACTS_TTL).then_some(*facts)
    }
}

#[cfg(test)]
mod tests {
    use pokeco_core::contract::minimal_course;
    use pokeco_core::Datestamp;
    use pokeco_local::SqliteStore;

    use super::*;

    #[tokio::test]
    async fn a_course_is_read_once_per_ttl() {
        let store = SqliteStore::open_in_memory().unwrap();
        let id: CourseId = "course-v1:A+B+C".parse().unwrap();
        let mut course = minimal_course(id.as_str());
        course.end = Some("2024-06-30T22:00:00Z".parse().unwrap());
        store.put_course(course, Datestamp::now()).await.unwrap();
        let cache = CourseFactsCache::default();
        let facts = cache.get(&store, &id).await.unwrap().unwrap();
        assert_eq!(facts.end, Some("2024-06-30T22:00:00Z".parse().unwrap()));
        store.delete_course(&id, Datestamp::now()).await.unwrap();
        // Still the facts read before, until they age out.
        assert_eq!(cache.get(&store, &id).await.unwrap(), Some(facts));
        assert_eq!(
            CourseFactsCache::default().get(&store, &id).await.unwrap(),
            None
        );
    }
}
