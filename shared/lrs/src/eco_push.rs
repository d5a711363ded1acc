//! [`EcoPush`]: the announcer of the sync over HTTP, `POST {url}/updatecourseprogress/{sub}`
//! with no body and no credentials, as ECO's backend takes it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_trait::async_trait;
use pokeco_core::config::EcoPushSettings;
use pokeco_core::pipeline::EcoSub;
use pokeco_core::sync::announce::{Announced, Announcer};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Announcements in flight at once: ECO polls every platform of the learner for each, so a
/// run's burst is spread rather than thrown at it whole.
const IN_FLIGHT: usize = 8;

pub struct EcoPush {
    http: reqwest::Client,
    url: String,
    running: Mutex<JoinSet<bool>>,
    in_flight: Arc<Semaphore>,
}

impl EcoPush {
    /// # Errors
    /// The TLS backend failed to initialise.
    pub fn new(settings: &EcoPushSettings) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(settings.timeout)
                .build()?,
            url: settings.url.clone(),
            running: Mutex::new(JoinSet::new()),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
        })
    }

    /// The announcer the settings ask for, if any.
    ///
    /// # Errors
    /// The TLS backend failed to initialise.
    pub fn announcer(
        settings: Option<&EcoPushSettings>,
    ) -> Result<Option<Arc<dyn Announcer>>, reqwest::Error> {
        Ok(match settings {
            Some(s) => Some(Arc::new(Self::new(s)?)),
            None => None,
        })
    }

    fn running(&self) -> std::sync::MutexGuard<'_, JoinSet<bool>> {
        // The set stays whole whatever a panicking holder did: take it as it is.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Announcer for EcoPush {
    fn announce(&self, sub: &EcoSub) {
        let request = self
            .http
            .post(format!("{}/updatecourseprogress/{sub}", self.url));
        let in_flight = Arc::clone(&self.in_flight);
        self.running().spawn(async move {
            let Ok(_permit) = in_flight.acquire_owned().await else {
                return false;
            };
            request.send().await.is_ok_and(|r| r.status().is_success())
        });
    }

    async fn settle(&self, deadline: Instant) -> Announced {
        let mut running = std::mem::take(&mut *self.running());
        let mut settled = Announced::default();
        let deadline = tokio::time::Instant::from_std(deadline);
        loop {
            match tokio::time::timeout_at(deadline, running.join_next()).await {
                Ok(None) => break,
                Ok(Some(Ok(true))) => settled.answered += 1,
                Ok(Some(_)) => settled.unanswered += 1,
                Err(_) => {
                    settled.unanswered += running.len() as u64;
                    running.abort_all();
                    break;
                }
            }
        }
        settled
    }
}
