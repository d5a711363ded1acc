//! DynamoDB's batch calls answer with what they left unprocessed (throttling); this sends that
//! again, with backoff, until nothing is left, for reads and writes alike.

use std::future::Future;
use std::time::Duration;

use pokeco_core::store::{StoreError, StoreResult};

use crate::items::Item;

/// How often a batch call is repeated for what it left unprocessed before giving up.
const ATTEMPTS: u32 = 8;

/// Sends `request`, then what each answer left unprocessed (20 ms, doubling, between attempts),
/// and answers the items every call returned. `send` answers the items a call returned and its
/// unprocessed rest, `None` when there is none.
///
/// # Errors
/// `send`'s; `Unavailable` when work is still left after the last attempt.
pub(crate) async fn until_processed<T, F, Fut>(
    call: &str,
    request: T,
    send: F,
) -> StoreResult<Vec<Item>>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = StoreResult<(Vec<Item>, Option<T>)>>,
{
    let mut found = Vec::new();
    let mut pending = Some(request);
    let mut attempt = 0;
    while let Some(request) = pending.take() {
        if attempt == ATTEMPTS {
            return Err(StoreError::Unavailable(format!(
                "{call} left work unprocessed after {ATTEMPTS} attempts"
            )));
        }
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
        }
        attempt += 1;
        let (items, rest) = send(request).await?;
        found.extend(items);
        pending = rest;
    }
    Ok(found)
}
