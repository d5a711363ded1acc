//! `GET /ecoapi/...`: what ECO's portal asks of a platform, as the old pok-eco `ecoapi` app
//! answered it: a heartbeat, teachers, a learner's courses with progress, and a course's
//! tasks. The same router runs under `lambda_http::run` and inside `pokeco serve`.
//!
//! Everything is read-only and public but the learners' figures (`users/*`), which the
//! deployment's `POKECO_ECOAPI_ACCESS` guards.

mod access;
mod error;
mod facts;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use pokeco_core::access::EcoapiAccess;
use pokeco_core::catalog::{Teacher, TeacherId};
use pokeco_core::pipeline::{EcoSub, PipelineService};
use pokeco_core::progress::{Figures, ProgressStore, TimeBuckets};
use pokeco_core::store::CatalogStore;
use pokeco_core::structure::{StructureService, TasksView};
use pokeco_core::Datestamp;
use pokeco_http::JsonError;

pub use error::EcoapiError;
pub use facts::CourseFactsCache;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone)]
pub struct EcoapiState {
    pub catalog: Arc<dyn CatalogStore>,
    /// For the heartbeat's readiness view (queue, backlog, last sync run); `None` where the
    /// function has no queue to watch.
    pub delivery: Option<PipelineService>,
    pub access: EcoapiAccess,
    pub structures: StructureService,
    pub progress: Arc<dyn ProgressStore>,
    pub buckets: TimeBuckets,
    /// The courses' end and pass mark, read once a minute at most: ECO's batch asks for every
    /// learner, and their courses are mostly the same few.
    pub facts: CourseFactsCache,
}

#[derive(Deserialize)]
struct HeartbeatQuery {
    #[serde(default)]
    ready: Option<String>,
}

/// `{"alive_at": ...}`; with `?ready=1`, also whether the store answers, how full the queue
/// is, how old its oldest statement is, and what the last sync run did. The plain answer
/// touches nothing, so a probe never waits on a store.
async fn heartbeat(
    State(state): State<Arc<EcoapiState>>,
    Query(query): Query<HeartbeatQuery>,
) -> Json<Value> {
    // `YYYY-MM-DDThh:mm:ssZ`, as ECO reads dates.
    let alive_at = Datestamp::now().to_string();
    if !query
        .ready
        .as_deref()
        .is_some_and(|r| r == "1" || r == "true")
    {
        return Json(json!({ "alive_at": alive_at }));
    }
    let store = match state.catalog.earliest_datestamp().await {
        Ok(_) => json!({"ok": true}),
        Err(e) => json!({"ok": false, "error": pokeco_http::store_message(&e)}),
    };
    let queue = match &state.delivery {
        None => Value::Null,
        Some(delivery) => match delivery.status().await {
            Ok(s) => json!({
                "ok": true,
                "waiting": s.queued_messages,
                "in_flight": s.in_flight_messages,
                "dead": s.dead_letter_messages,
                "failed_statements": s.failed_statements,
                "oldest_undelivered": s.oldest_undelivered,
                "last_sync": s.sync_runs.first().map(|r| json!({
                    "finished_at": r.finished_at,
                    "delivered": r.report.delivered,
                    "refused": r.report.refused,
                    "lag_seconds": r.report.lag_seconds,
                    "stopped": r.report.stopped,
                })),
            }),
            Err(e) => json!({"ok": false, "error": e.to_string()}),
        },
    };
    Json(json!({ "alive_at": alive_at, "ready": { "store": store, "queue": queue } }))
}

#[derive(Serialize)]
struct TeacherAnswer {
    name: String,
    #[serde(rename = "imageUrl")]
    image_url: String,
    desc: Vec<Description>,
}

#[derive(Serialize)]
struct Description {
    language: String,
    label: String,
}

impl From<Teacher> for TeacherAnswer {
    fn from(t: Teacher) -> Self {
        Self {
            name: t.full_name(),
            image_url: t.image.map(String::from).unwrap_or_default(),
            desc: t
                .descriptions
                .into_iter()
                .map(|(language, label)| Description {
                    language: language.into(),
                    label,
                })
                .collect(),
        }
    }
}

/// A teacher by the id the harvested records name; `{}` for one this platform does not know,
/// as the old API answered.
async fn teacher(
    State(state): State<Arc<EcoapiState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, JsonError> {
    let Ok(id) = id.parse::<TeacherId>() else {
        return Ok(Json(json!({})));
    };
    let found = state
        .catalog
        .get_teachers(&[id])
        .await
        .map_err(|e| JsonError::store(&e))?;
    Ok(Json(match found.into_iter().next() {
        Some(t) => serde_json::to_value(TeacherAnswer::from(t)).unwrap_or_default(),
        None => json!({}),
    }))
}

/// A learner's courses with their figures, from the progress projection: one lookup of the
/// learner, then the catalog's facts of each course (its end, its pass mark, and the problems
/// of its structure for an enrollment without a course grade). An unknown or
/// malformed id answers `[]`: ECO's batch asks for every ECO user, most of whom never came.
/// A course no longer in the catalog is left out, as the old API left it.
async fn user_courses(
    State(state): State<Arc<EcoapiState>>,
    Path(sub): Path<String>,
) -> Result<Json<Vec<Figures>>, EcoapiError> {
    let Ok(sub) = EcoSub::parse_lenient(&sub) else {
        return Ok(Json(Vec::new()));
    };
    let states = state.progress.user_progress(&sub).await?;
    let now = Datestamp::now();
    let mut courses = Vec::with_capacity(states.len());
    for (course, progress) in states {
        let problems = progress.grade.is_none();
        let catalog = state.catalog.as_ref();
        let found = state
            .facts
            .get(catalog, &state.structures, &course, problems);
        let Some(facts) = found.await? else {
            continue;
        };
        courses.extend(Figures::of(&course, &progress, &facts, state.buckets, now));
    }
    Ok(Json(courses))
}

/// A course's blocks as tasks, by course id or OAI identifier; 404 `{}` for a course the
/// catalog does not have, 404 with a reason when no structure is loaded for it.
async fn tasks(
    State(state): State<Arc<EcoapiState>>,
    Path(course): Path<String>,
) -> Result<Json<TasksView>, EcoapiError> {
    Ok(Json(state.structures.tasks(&course).await?))
}

pub fn router(state: EcoapiState) -> Router {
    let learners = access::require(
        Router::new().route("/ecoapi/users/{sub}/courses", get(user_courses)),
        state.access.clone(),
    );
    Router::new()
        .route("/ecoapi/heartbeat", get(heartbeat))
        .route("/ecoapi/teachers/{id}", get(teacher))
        .route("/ecoapi/tasks/{*course}", get(tasks))
        .merge(learners)
        .with_state(Arc::new(state))
}
