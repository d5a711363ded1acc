//! [`HttpLrs`]: the LRS port over HTTP. Statements are POSTed as arrays to
//! `<url>/statements` with Basic credentials and `X-Experience-API-Version`, over one kept-alive
//! connection, with timeouts; answers are classified for the delivery rule of the core. And
//! [`EcoPush`], which announces to ECO the learners whose figures changed.

mod eco_push;

pub use eco_push::EcoPush;

use std::time::Duration;

use async_trait::async_trait;
use pokeco_core::config::LrsSettings;
use pokeco_core::delivery::{Lrs, LrsError};
use pokeco_core::pipeline::MAX_ANSWER_BYTES;
use pokeco_core::xapi::{Statement, XAPI_VERSION};
use reqwest::StatusCode;

/// How a destination takes statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A standard LRS: arrays of up to the batch size.
    Batch(usize),
    /// ECO's own LRS proxy: one statement per request, answering `{"result": "ok", ...}`.
    EcoProxy,
}

/// Where statements go.
#[derive(Clone)]
pub struct Destination {
    /// The xAPI base URL; statements go to `<url>/statements` (to `url` itself for ECO's
    /// proxy).
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub mode: Mode,
    /// How long one request may take.
    pub timeout: Duration,
}

/// Without the password: a destination may be logged.
impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("mode", &self.mode)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl From<&LrsSettings> for Destination {
    fn from(s: &LrsSettings) -> Self {
        Self {
            url: s.url.clone(),
            username: s.username.clone(),
            password: s.password.clone(),
            mode: if s.eco_proxy {
                Mode::EcoProxy
            } else {
                Mode::Batch(s.batch)
            },
            timeout: s.timeout,
        }
    }
}

pub struct HttpLrs {
    http: reqwest::Client,
    destination: Destination,
    endpoint: String,
}

impl HttpLrs {
    /// A client for `destination`; built once and shared (one connection pool).
    ///
    /// # Errors
    /// The TLS backend failed to initialise (reported as unavailable).
    pub fn new(destination: Destination) -> Result<Self, LrsError> {
        let http = reqwest::Client::builder()
            .timeout(destination.timeout)
            .connect_timeout(destination.timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| LrsError::Unavailable(format!("cannot build the HTTP client: {e}")))?;
        // ECO's proxy takes statements at its URL as configured, as the old sender posted
        // them; a standard LRS at its xAPI base's `/statements`.
        let endpoint = match destination.mode {
            Mode::EcoProxy => destination.url.clone(),
            Mode::Batch(_) => format!("{}/statements", destination.url.trim_end_matches('/')),
        };
        Ok(Self {
            http,
            destination,
            endpoint,
        })
    }

    async fn send(&self, body: Vec<u8>) -> Result<(StatusCode, String), LrsError> {
        let mut request = self
            .http
            .post(&self.endpoint)
            .header("X-Experience-API-Version", XAPI_VERSION)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(user) = &self.destination.username {
            request = request.basic_auth(user, self.destination.password.as_deref());
        }
        let response = request
            .send()
            .await
            .map_err(|e| LrsError::Unavailable(e.to_string()))?;
        let status = response.status();
        let answer = response
            .text()
            .await
            .map_err(|e| LrsError::Unavailable(e.to_string()))?;
        Ok((status, answer))
    }
}

/// What an answer means for delivery.
fn classify(status: StatusCode, answer: &str, mode: Mode) -> Result<(), LrsError> {
    let cut = || answer.chars().take(MAX_ANSWER_BYTES).collect::<String>();
    match status.as_u16() {
        // Stored; or, 409, an id the LRS already holds.
        200 | 204 | 409 if mode != Mode::EcoProxy => Ok(()),
        200 => {
            let reply: serde_json::Value = serde_json::from_str(answer).unwrap_or_default();
            if reply["result"] == "ok" {
                Ok(())
            } else {
                Err(LrsError::Refused {
                    status: 200,
                    answer: cut(),
                })
            }
        }
        400 | 403 | 413 | 422 => Err(LrsError::Refused {
            status: status.as_u16(),
            answer: cut(),
        }),
        // 401 is a credentials problem of ours, 429 and 5xx the LRS's: all wait for later, so
        // a wrong password never parks statements.
        other => Err(LrsError::Unavailable(format!("HTTP {other}: {}", cut()))),
    }
}

#[async_trait]
impl Lrs for HttpLrs {
    async fn post(&self, statements: &[Statement]) -> Result<(), LrsError> {
        // The statements' own text, as the profile wrote it: nothing is encoded again.
        let body = match (self.destination.mode, statements) {
            (Mode::EcoProxy, [one]) => one.json().to_owned(),
            _ => Statement::array(statements),
        };
        let (status, answer) = self.send(body.into_bytes()).await?;
        classify(status, &answer, self.destination.mode)
    }

    fn batch_size(&self) -> usize {
        match self.destination.mode {
            Mode::Batch(n) => n.max(1),
            Mode::EcoProxy => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_for_delivery() {
        let batch = Mode::Batch(100);
        for ok in [200, 204, 409] {
            assert_eq!(
                classify(StatusCode::from_u16(ok).unwrap(), "", batch),
                Ok(()),
                "{ok}"
            );
        }
        for refused in [400, 403, 413, 422] {
            let r = classify(StatusCode::from_u16(refused).unwrap(), "no", batch);
            assert!(matches!(r, Err(LrsError::Refused { .. })), "{refused}");
        }
        for later in [401, 429, 500, 502, 503] {
            let r = classify(StatusCode::from_u16(later).unwrap(), "", batch);
            assert!(matches!(r, Err(LrsError::Unavailable(_))), "{later}");
        }
        let proxy = Mode::EcoProxy;
        assert_eq!(
            classify(StatusCode::OK, r#"{"result":"ok","id":"x"}"#, proxy),
            Ok(())
        );
        assert!(classify(StatusCode::OK, r#"{"result":"ko"}"#, proxy).is_err());
    }
}
