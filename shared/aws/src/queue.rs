//! [`SqsQueue`]: the statement queue port on SQS. The dead-letter queue is the one the queue's
//! redrive policy names (the template sets it), found when it is first needed.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;
use pokeco_core::queue::{check_sizes, Depth, QueueError, QueueResult, Received, StatementQueue};
use pokeco_core::Datestamp;
use tokio::sync::OnceCell;

/// SQS's limit on the entries of one batch call.
const MAX_BATCH: usize = 10;
/// SQS's limit on the bodies of one SendMessageBatch, together.
const MAX_BATCH_BYTES: usize = 256 * 1024;
/// How often the entries SQS failed in a batch are sent again before giving up.
const SEND_ATTEMPTS: u32 = 4;

fn failed<E, R>(e: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    QueueError::Unavailable(DisplayErrorContext(&e).to_string())
}

/// The statement queue on SQS. Cheap to clone: the SDK client is shared.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
    dead_letters: std::sync::Arc<OnceCell<String>>,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
            dead_letters: Default::default(),
        }
    }

    /// A queue with a client built from `config` (see [`crate::load_config`]).
    pub fn from_config(config: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self::new(Client::new(config), url)
    }

    /// The URL of the dead-letter queue the redrive policy names.
    async fn dead_letter_url(&self) -> QueueResult<&str> {
        self.dead_letters
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .get_queue_attributes()
                    .queue_url(&self.url)
                    .attribute_names(QueueAttributeName::RedrivePolicy)
                    .send()
                    .await
                    .map_err(failed)?;
                let policy = out
                    .attributes
                    .and_then(|mut a| a.remove(&QueueAttributeName::RedrivePolicy))
                    .ok_or_else(|| {
                        QueueError::Rejected("the queue has no redrive policy".into())
                    })?;
                let policy: serde_json::Value = serde_json::from_str(&policy)
                    .map_err(|e| QueueError::Corrupt(format!("redrive policy: {e}")))?;
                let arn = policy["deadLetterTargetArn"].as_str().unwrap_or_default();
                let name = arn.rsplit(':').next().unwrap_or_default();
                let out = self
                    .client
                    .get_queue_url()
                    .queue_name(name)
                    .send()
                    .await
                    .map_err(failed)?;
                out.queue_url
                    .ok_or_else(|| QueueError::Corrupt(format!("no URL for {arn}")))
            })
            .await
            .map(String::as_str)
    }

    async fn send_to(&self, url: &str, bodies: &[String]) -> QueueResult<()> {
        let mut start = 0;
        while start < bodies.len() {
            // As many bodies as one call takes: ten, and 256 KiB together.
            let mut end = start;
            let mut bytes = 0;
            while end < bodies.len()
                && end - start < MAX_BATCH
                && bytes + bodies[end].len() <= MAX_BATCH_BYTES
            {
                bytes += bodies[end].len();
                end += 1;
            }
            let mut pending: Vec<usize> = (start..end).collect();
            for attempt in 0.. {
                let entries = pending
                    .iter()
                    .map(|i| {
                        SendMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .message_body(&bodies[*i])
                            .build()
                            .map_err(|e| QueueError::Rejected(e.to_string()))
                    })
                    .collect::<QueueResult<Vec<_>>>()?;
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(failed)?;
                let failures = out.failed();
                if failures.is_empty() {
                    break;
                }
                if attempt + 1 == SEND_ATTEMPTS || failures.iter().any(|f| f.sender_fault) {
                    let why: Vec<String> = failures
                        .iter()
                        .map(|f| format!("{}: {}", f.code, f.message.as_deref().unwrap_or("")))
                        .collect();
                    return Err(QueueError::Unavailable(format!(
                        "SQS did not take {} message(s): {}",
                        failures.len(),
                        why.join("; ")
                    )));
                }
                pending = failures.iter().filter_map(|f| f.id.parse().ok()).collect();
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
            start = end;
        }
        Ok(())
    }

    async fn receive_from(
        &self,
        url: &str,
        max: usize,
        visibility: Duration,
    ) -> QueueResult<Vec<Received>> {
        let mut out = Vec::new();
        let seconds = i32::try_from(visibility.as_secs().max(1)).unwrap_or(i32::MAX);
        while out.len() < max {
            let ask = i32::try_from((max - out.len()).min(MAX_BATCH)).unwrap_or(1);
            let got = self
                .client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(ask)
                .visibility_timeout(seconds)
                .wait_time_seconds(0)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
                .send()
                .await
                .map_err(failed)?;
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for m in messages {
                let attribute = |name| m.attributes().and_then(|a| a.get(&name));
                let receive_count = attribute(MessageSystemAttributeName::ApproximateReceiveCount)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                // Epoch milliseconds.
                let sent_at = attribute(MessageSystemAttributeName::SentTimestamp)
                    .and_then(|t| t.parse::<i64>().ok())
                    .and_then(|ms| Datestamp::from_unix(ms.div_euclid(1000)));
                out.push(Received {
                    id: m.message_id.unwrap_or_default(),
                    receipt: m.receipt_handle.unwrap_or_default(),
                    body: m.body.unwrap_or_default(),
                    receive_count,
                    sent_at,
                });
            }
        }
        Ok(out)
    }

    async fn delete_from(&self, url: &str, receipts: &[String]) -> QueueResult<()> {
        for chunk in receipts.chunks(MAX_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(r)
                        .build()
                        .map_err(|e| QueueError::Rejected(e.to_string()))
                })
                .collect::<QueueResult<Vec<_>>>()?;
            let out = self
                .client
                .delete_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(failed)?;
            // A receipt of a message received again since deletes nothing: not a failure.
            if let Some(f) = out
                .failed()
                .iter()
                .find(|f| f.code != "ReceiptHandleIsInvalid")
            {
                return Err(QueueError::Unavailable(format!(
                    "SQS did not delete: {}",
                    f.code
                )));
            }
        }
        Ok(())
    }

    async fn count(&self, url: &str, names: &[QueueAttributeName]) -> QueueResult<Vec<u64>> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .set_attribute_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(failed)?;
        let attributes = out.attributes.unwrap_or_default();
        Ok(names
            .iter()
            .map(|n| attributes.get(n).and_then(|v| v.parse().ok()).unwrap_or(0))
            .collect())
    }
}

#[async_trait]
impl StatementQueue for SqsQueue {
    async fn send(&self, bodies: &[String]) -> QueueResult<()> {
        check_sizes(bodies)?;
        self.send_to(&self.url, bodies).await
    }

    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>> {
        self.receive_from(&self.url, max, visibility).await
    }

    async fn delete(&self, receipts: &[String]) -> QueueResult<()> {
        self.delete_from(&self.url, receipts).await
    }

    async fn depth(&self) -> QueueResult<Depth> {
        let counts = self
            .count(
                &self.url,
                &[
                    QueueAttributeName::ApproximateNumberOfMessages,
                    QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
                ],
            )
            .await?;
        let dead_url = self.dead_letter_url().await?;
        let dead = self
            .count(dead_url, &[QueueAttributeName::ApproximateNumberOfMessages])
            .await?;
        Ok(Depth {
            visible: counts[0],
            in_flight: counts[1],
            dead: dead[0],
            // SQS tells the age of its oldest message only as a CloudWatch metric.
            oldest_sent: None,
        })
    }

    async fn redrive_dead_letters(&self) -> QueueResult<u64> {
        let dead_url = self.dead_letter_url().await?.to_owned();
        let mut moved = 0;
        loop {
            let batch = self
                .receive_from(&dead_url, MAX_BATCH, Duration::from_secs(60))
                .await?;
            if batch.is_empty() {
                return Ok(moved);
            }
            let bodies: Vec<String> = batch.iter().map(|m| m.body.clone()).collect();
            self.send_to(&self.url, &bodies).await?;
            let receipts: Vec<String> = batch.into_iter().map(|m| m.receipt).collect();
            self.delete_from(&dead_url, &receipts).await?;
            moved += bodies.len() as u64;
        }
    }
}

/// Creates the statement queue `name` and its dead-letter queue `<name>-dlq`, which takes a
/// message after `max_receives` receives (the template's redrive policy, for tests and local
/// development against an emulator), and answers the queue's URL. Queues that exist are kept.
///
/// # Errors
/// `Unavailable` when SQS fails.
pub async fn create_queue(client: &Client, name: &str, max_receives: u32) -> QueueResult<String> {
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .map_err(failed)?;
    let dlq_url = dlq
        .queue_url()
        .ok_or_else(|| QueueError::Unavailable("CreateQueue answered no URL".into()))?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(failed)?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| QueueError::Unavailable("the dead-letter queue has no ARN".into()))?;
    let policy =
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receives}"}}"#);
    let queue = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .send()
        .await
        .map_err(failed)?;
    queue
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| QueueError::Unavailable("CreateQueue answered no URL".into()))
}
