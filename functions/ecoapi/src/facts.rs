//! What `users/{sub}/courses` needs of the catalog, kept for a short while: a learner's
//! figures need each course's end and pass mark, and, for an enrollment without a course
//! grade, the problems of the course's structure. ECO's nightly batch asks for every learner,
//! whose courses are mostly the same few. A change in the catalog or a structure shows within
//! [`FACTS_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pokeco_core::catalog::CourseId;
use pokeco_core::progress::CourseFacts;
use pokeco_core::store::{CatalogStore, StoreError, StoreResult};
use pokeco_core::structure::StructureService;

/// How long a course's facts are used before the catalog is read again.
pub const FACTS_TTL: Duration = Duration::from_secs(60);

/// The most courses kept; past it the cache starts over (a catalog has hundreds, not more).
const MAX_COURSES: usize = 10_000;

/// What is kept of one course.
#[derive(Clone)]
struct Entry {
    /// When the catalog was read.
    at: Instant,
    /// `None` for a course the catalog does not have (or deleted).
    facts: Option<CourseFacts>,
    /// Whether the structure's problems were read into `facts`: only an enrollment without a
    /// course grade needs them, and a structure is the costliest read here.
    problems_read: bool,
}

/// Cheap to clone; clones share the entries.
#[derive(Clone, Default)]
pub struct CourseFactsCache {
    entries: Arc<Mutex<HashMap<CourseId, Entry>>>,
}

impl CourseFactsCache {
    /// The facts of a live course of the catalog, `None` for another. With `problems`, they
    /// include the problems of its structure when one is loaded (read once per
    /// [`FACTS_TTL`] too); without, they may or may not.
    ///
    /// # Errors
    /// The stores', when the course or its structure had to be read.
    pub async fn get(
        &self,
        catalog: &dyn CatalogStore,
        structures: &StructureService,
        course: &CourseId,
        problems: bool,
    ) -> StoreResult<Option<CourseFacts>> {
        let known = self.fresh(course);
        if let Some(entry) = &known {
            if entry.facts.is_none() || entry.problems_read || !problems {
                return Ok(entry.facts.clone());
            }
        }
        let mut entry = match known {
            Some(entry) => entry,
            None => Entry {
                at: Instant::now(),
                facts: catalog
                    .get_course(course)
                    .await?
                    .filter(|r| !r.deleted)
                    .map(|r| CourseFacts {
                        end: r.course.end,
                        lowest_cutoff: r.course.lowest_nonzero_cutoff(),
                        problems: None,
                    }),
                problems_read: false,
            },
        };
        if let Some(facts) = entry.facts.as_mut().filter(|_| problems) {
            facts.problems = match structures.problems(course).await {
                Ok(found) => found.map(Arc::new),
                // A structure this code cannot read counts as none: the figure falls back to 0
                // rather than failing the learner's whole list.
                Err(StoreError::Corrupt(why)) => {
                    tracing::warn!(%course, %why, "the course's structure is unreadable");
                    None
                }
                Err(e) => return Err(e),
            };
            entry.problems_read = true;
        }
        let facts = entry.facts.clone();
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_COURSES {
                entries.clear();
            }
            entries.insert(course.clone(), entry);
        }
        Ok(facts)
    }

    fn fresh(&self, course: &CourseId) -> Option<Entry> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(course)?;
        (entry.at.elapsed() < FACTS_TTL).then(|| entry.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pokeco_core::contract::minimal_course;
    use pokeco_core::oai::OaiPrefix;
    use pokeco_core::structure::StructureStore;
    use pokeco_core::Datestamp;
    use pokeco_local::SqliteStore;

    use super::*;

    fn service(store: &SqliteStore) -> StructureService {
        StructureService::new(
            Arc::new(store.clone()),
            Arc::new(store.clone()),
            OaiPrefix::new("oai:x:").unwrap(),
        )
    }

    #[tokio::test]
    async fn a_course_is_read_once_per_ttl() {
        let store = SqliteStore::open_in_memory().unwrap();
        let structures = service(&store);
        let id: CourseId = "course-v1:A+B+C".parse().unwrap();
        let mut course = minimal_course(id.as_str());
        course.end = Some("2024-06-30T22:00:00Z".parse().unwrap());
        store.put_course(course, Datestamp::now()).await.unwrap();
        let cache = CourseFactsCache::default();
        let facts = cache
            .get(&store, &structures, &id, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(facts.end, Some("2024-06-30T22:00:00Z".parse().unwrap()));
        store.delete_course(&id, Datestamp::now()).await.unwrap();
        // Still the facts read before, until they age out.
        assert_eq!(
            cache.get(&store, &structures, &id, false).await.unwrap(),
            Some(facts)
        );
        assert_eq!(
            CourseFactsCache::default()
                .get(&store, &structures, &id, false)
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn the_problems_are_read_only_when_asked_and_then_kept() {
        let store = SqliteStore::open_in_memory().unwrap();
        let structures = service(&store);
        let id: CourseId = "course-v1:PoliMi+ECO101+2024_T1".parse().unwrap();
        store
            .put_course(minimal_course(id.as_str()), Datestamp::now())
            .await
            .unwrap();
        let cache = CourseFactsCache::default();
        let get = |problems| {
            let (cache, store, structures, id) = (&cache, &store, &structures, &id);
            async move {
                cache
                    .get(store, structures, id, problems)
                    .await
                    .unwrap()
                    .unwrap()
                    .problems
            }
        };
        // No structure loaded, asked: read, none.
        assert_eq!(get(false).await, None);
        assert_eq!(get(true).await, None);
        let json = pokeco_testkit::test_data("course-blocks/eco101.json");
        structures.import(id.as_str(), &json).await.unwrap();
        // Read (as none) less than a minute ago: still none.
        assert_eq!(get(true).await, None);
        let fresh = CourseFactsCache::default();
        let problems = fresh
            .get(&store, &structures, &id, true)
            .await
            .unwrap()
            .unwrap()
            .problems
            .unwrap();
        let structure = store.get_structure(&id).await.unwrap().unwrap();
        assert_eq!(problems.len(), 6);
        assert!(structure
            .blocks_of("problem")
            .all(|b| problems.contains(&b.id)));
        // Not asked: whatever is kept.
        let kept = fresh
            .get(&store, &structures, &id, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.problems.map(|p| p.len()), Some(problems.len()));
    }
}
