//! Ingest reads the courses' structures: a block an event names by url_name (a courseware page,
//! a video) gets the structure's usage key in the statement, not the one derived from the
//! course key, on both stores. A course is looked up once per request at most, and not again
//! while the structure cache holds it, structure or not.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client as Dynamo;
use pokeco_aws::{create_table, DynamoStore};
use pokeco_core::catalog::CourseId;
use pokeco_core::ingest::IngestService;
use pokeco_core::pipeline::{Link, PipelineStore};
use pokeco_core::progress::{ProgressStore, TimeBuckets};
use pokeco_core::queue::StatementQueue;
use pokeco_core::store::{CatalogStore, StoreResult};
use pokeco_core::structure::{Block, CourseStructure, StructureStore};
use pokeco_ingest::{router, IngestState};
use pokeco_local::{SqliteQueue, SqliteStore};
use pokeco_testkit::moto::{config, unique_name};
use serde_json::{json, Value};

use crate::support::*;

const LEARNER: &str = "42";

/// An old-style course whose video is an `i4x://…/videoalpha/…` block (the category of the
/// first HTML5 videos), not the `video` a derived key says.
const OLD: &str = "Org/Old/2014";
/// A new-style course.
const NEW: &str = "course-v1:Org+New+2024";
/// A course without a structure.
const BARE: &str = "course-v1:Org+Bare+2024";

fn block(id: &str, category: &str, children: &[&str]) -> Block {
    Block {
        id: id.to_owned(),
        category: category.to_owned(),
        name: String::new(),
        children: children.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn old_structure() -> CourseStructure {
    let blocks = vec![
        block(
            "i4x://Org/Old/course/2014",
            "course",
            &["i4x://Org/Old/chapter/ch1"],
        ),
        block(
            "i4x://Org/Old/chapter/ch1",
            "chapter",
            &["i4x://Org/Old/sequential/seq1"],
        ),
        block(
            "i4x://Org/Old/sequential/seq1",
            "sequential",
            &["i4x://Org/Old/vertical/intro"],
        ),
        // The vertical shares its video's url_name: the video's key wins the lookup.
        block(
            "i4x://Org/Old/vertical/intro",
            "vertical",
            &["i4x://Org/Old/videoalpha/intro"],
        ),
        block("i4x://Org/Old/videoalpha/intro", "videoalpha", &[]),
    ];
    CourseStructure::new(OLD.parse().unwrap(), blocks[0].id.clone(), blocks).unwrap()
}

fn new_structure() -> CourseStructure {
    let key = |kind: &str, name: &str| format!("block-v1:Org+New+2024+type@{kind}+block@{name}");
    let blocks = vec![
        block(
            &key("course", "course"),
            "course",
            &[&key("chapter", "week_1")],
        ),
        block(
            &key("chapter", "week_1"),
            "chapter",
            &[&key("sequential", "s1")],
        ),
        block(
            &key("sequential", "s1"),
            "sequential",
            &[&key("video", "v1")],
        ),
        block(&key("video", "v1"), "video", &[]),
    ];
    CourseStructure::new(NEW.parse().unwrap(), blocks[0].id.clone(), blocks).unwrap()
}

/// A courseware page and a video load of the learner in `course`, at `second`.
fn events(course: &str, chapter: &str, video: &str, second: u32) -> Vec<Value> {
    let time = format!("2016-11-07T09:20:{second:02}+00:00");
    let page = format!("/courses/{course}/courseware/{chapter}/");
    vec![
        json!({
            "event_source": "server", "event_type": page, "time": time,
            "context": {"user_id": 42, "course_id": course, "path": page},
            "event": "{\"POST\": {}, \"GET\": {}}",
        }),
        json!({
            "event_source": "browser", "event_type": "load_video", "time": time,
            "context": {"user_id": 42, "course_id": course, "path": "/event"},
            "event": json!({"id": video, "code": "html5"}).to_string(),
            "page": format!("https://lms.example.org{page}"),
        }),
    ]
}

fn log(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

/// Counts the structure reads of another store.
struct Counting<S> {
    inner: S,
    reads: AtomicUsize,
}

#[async_trait]
impl<S: StructureStore> StructureStore for Counting<S> {
    async fn put_structure(&self, structure: &CourseStructure) -> StoreResult<bool> {
        self.inner.put_structure(structure).await
    }

    async fn get_structure(&self, course: &CourseId) -> StoreResult<Option<CourseStructure>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_structure(course).await
    }

    async fn delete_structure(&self, course: &CourseId) -> StoreResult<()> {
        self.inner.delete_structure(course).await
    }
}

/// The object ids of the queued statements, by verb (`access` pages, `access` videos) and
/// course: what each event became.
async fn object_ids(queue: &dyn StatementQueue) -> BTreeMap<String, Vec<String>> {
    let mut ids = BTreeMap::<String, Vec<String>>::new();
    for s in queued(queue).await {
        let v = s.to_value();
        let parent = v["context"]["contextActivities"]["parent"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let course = parent.rsplit("oai:pok.example.org:").next().unwrap();
        ids.entry(course.to_owned())
            .or_default()
            .push(v["object"]["id"].as_str().unwrap().to_owned());
    }
    for list in ids.values_mut() {
        list.sort();
    }
    ids
}

async fn the_structures_keys_name_the_blocks<S, T>(store: Arc<S>, structures: T)
where
    S: CatalogStore + PipelineStore + ProgressStore + 'static,
    T: StructureStore + 'static,
{
    let counting = Arc::new(Counting {
        inner: structures,
        reads: AtomicUsize::new(0),
    });
    counting.put_structure(&old_structure()).await.unwrap();
    counting.put_structure(&new_structure()).await.unwrap();
    store
        .put_links(&[Link {
            edx_user_id: LEARNER.parse().unwrap(),
            eco_sub: "5a1b2c3d4e5f60718293a4b5".parse().unwrap(),
        }])
        .await
        .unwrap();
    let queue = Arc::new(SqliteQueue::open_in_memory(3).unwrap());
    let service = IngestService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        queue.clone(),
        profile(),
        ["*".parse().unwrap()].into(),
        TimeBuckets::DEFAULT,
    )
    .with_structures(counting.clone());
    let app = router(IngestState {
        service,
        token: Some(pokeco_core::secret::BearerToken::new(TOKEN).unwrap()),
        on_report: None,
    });

    let mut all = events(OLD, "ch1", "intro", 1);
    all.extend(events(NEW, "week_1", "v1", 1));
    all.extend(events(BARE, "week_1", "v1", 1));
    let (status, report) = send(&app, post(log(&all), &[])).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["enqueued"], 6, "{report}");
    let want = BTreeMap::from([
        (
            OLD.to_owned(),
            // Derived, they would be i4x://Org/Old/sequential/ch1 (a page URL ending in `/`
            // names a sequential by the old rule) and i4x://Org/Old/video/intro.
            vec![
                "i4x://Org/Old/chapter/ch1".to_owned(),
                "i4x://Org/Old/videoalpha/intro".to_owned(),
            ],
        ),
        (
            NEW.to_owned(),
            vec![
                "block-v1:Org+New+2024+type@chapter+block@week_1".to_owned(),
                "block-v1:Org+New+2024+type@video+block@v1".to_owned(),
            ],
        ),
        (
            // No structure: derived from the course key, as before.
            BARE.to_owned(),
            vec![
                "block-v1:Org+Bare+2024+type@sequential+block@week_1".to_owned(),
                "block-v1:Org+Bare+2024+type@video+block@v1".to_owned(),
            ],
        ),
    ]);
    assert_eq!(object_ids(queue.as_ref()).await, want);
    // One read per course of the request, each of two events: three.
    assert_eq!(counting.reads.load(Ordering::SeqCst), 3);

    // Another request within the minute: no read, structure or not.
    let mut again = events(OLD, "ch1", "intro", 2);
    again.extend(events(BARE, "week_1", "v1", 2));
    let (status, report) = send(&app, post(log(&again), &[])).await;
    assert_eq!((status.as_u16(), &report["enqueued"]), (200, &json!(4)));
    assert_eq!(counting.reads.load(Ordering::SeqCst), 3);
    let ids = object_ids(queue.as_ref()).await;
    assert_eq!(ids[OLD], want[OLD]);
    assert_eq!(ids[BARE], want[BARE]);
}

#[tokio::test]
async fn the_structures_keys_name_the_blocks_on_sqlite() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let structures = store.as_ref().clone();
    the_structures_keys_name_the_blocks(store, structures).await;
}

#[tokio::test]
async fn the_structures_keys_name_the_blocks_on_dynamodb() {
    let config = config().await;
    let table = unique_name("ingest-structure");
    create_table(&Dynamo::new(&config), &table).await.unwrap();
    let store = Arc::new(DynamoStore::from_config(&config, &table));
    let structures = store.as_ref().clone();
    the_structures_keys_name_the_blocks(store, structures).await;
}

/// Without structures (the service not given a store), every key is derived, as before.
#[tokio::test]
async fn without_structures_every_key_is_derived() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    store.put_structure(&old_structure()).await.unwrap();
    let queue = Arc::new(SqliteQueue::open_in_memory(3).unwrap());
    let app = app_over(
        store.clone(),
        store.clone(),
        store.clone(),
        queue.clone(),
        "*",
        Some(TOKEN),
    )
    .await;
    let (status, report) = send(&app, post(log(&events(OLD, "ch1", "intro", 1)), &[])).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        object_ids(queue.as_ref()).await[OLD],
        ["i4x://Org/Old/sequential/ch1", "i4x://Org/Old/video/intro"]
    );
}
