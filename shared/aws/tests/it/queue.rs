//! The shared statement-queue contract (pokeco_core::contract) on SQS (moto), and what only
//! SQS does: a batch it takes in part.

use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput;
use aws_sdk_sqs::types::{BatchResultErrorEntry, SendMessageBatchResultEntry};
use aws_sdk_sqs::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use pokeco_aws::{create_queue, SqsQueue};
use pokeco_core::queue::{QueueError, StatementQueue};

use crate::common::{config, unique_name};

/// A new queue whose messages go to its own dead-letter queue after two receives, as the
/// template's redrive policy does with its own count.
async fn fresh_queue() -> SqsQueue {
    let client = Client::new(&config().await);
    let url = create_queue(&client, &unique_name("statements"), 2)
        .await
        .unwrap();
    SqsQueue::new(client, url)
}

pokeco_core::statement_queue_contract!(fresh_queue);

/// SQS may take a batch in part: the entries it failed (not the sender's fault) are sent
/// again, and the call succeeds only when every message is in.
#[tokio::test]
async fn entries_sqs_fails_in_a_batch_are_sent_again() {
    let partial = mock!(Client::send_message_batch)
        .sequence()
        .output(|| {
            SendMessageBatchOutput::builder()
                .successful(
                    SendMessageBatchResultEntry::builder()
                        .id("0")
                        .message_id("m0")
                        .md5_of_message_body("x")
                        .build()
                        .unwrap(),
                )
                .failed(
                    BatchResultErrorEntry::builder()
                        .id("1")
                        .code("InternalError")
                        .sender_fault(false)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        })
        .build();
    let rest = mock!(Client::send_message_batch)
        .match_requests(|r| r.entries().len() == 1 && r.entries()[0].id() == "1")
        .then_output(|| {
            SendMessageBatchOutput::builder()
                .set_successful(Some(Vec::new()))
                .set_failed(Some(Vec::new()))
                .build()
                .unwrap()
        });
    let client = mock_client!(aws_sdk_sqs, RuleMode::Sequential, [&partial, &rest]);
    let queue = SqsQueue::new(client, "https://sqs.test/q");
    queue
        .send(&["[1]".to_owned(), "[2]".to_owned()])
        .await
        .unwrap();
    assert_eq!((partial.num_calls(), rest.num_calls()), (1, 1));

    // The sender's fault is not retried: the call fails and says so.
    let refused = mock!(Client::send_message_batch).then_output(|| {
        SendMessageBatchOutput::builder()
            .set_successful(Some(Vec::new()))
            .failed(
                BatchResultErrorEntry::builder()
                    .id("0")
                    .code("InvalidMessageContents")
                    .sender_fault(true)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    });
    let client = mock_client!(aws_sdk_sqs, RuleMode::Sequential, [&refused]);
    let queue = SqsQueue::new(client, "https://sqs.test/q");
    let r = queue.send(&["[1]".to_owned()]).await;
    assert!(
        matches!(&r, Err(QueueError::Unavailable(m)) if m.contains("InvalidMessageContents")),
        "{r:?}"
    );
}
