//! DynamoDB failures as the port's [`StoreError`]: a refusal of the request itself
//! (`ValidationException`: an item or key over a limit) is permanent, never "unavailable, try
//! again"; throttling, server errors and transport failures are.

use std::error::Error;
use std::fmt::Debug;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use pokeco_core::store::StoreError;

/// The error codes DynamoDB answers for a request it will never accept as sent.
const PERMANENT: [&str; 3] = [
    "ValidationException",
    "ItemCollectionSizeLimitExceededException",
    "SerializationException",
];

/// A failed call.
pub(crate) fn failed<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    let permanent = e
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(|code| PERMANENT.contains(&code));
    let detail = DisplayErrorContext(&e).to_string();
    if permanent {
        StoreError::Rejected(detail)
    } else {
        StoreError::Unavailable(detail)
    }
}

/// A request the SDK refused to build (a required field missing): a bug here, so permanent.
pub(crate) fn build(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Rejected(format!("invalid DynamoDB request: {e}"))
}

/// Whether a conditional write failed on its condition (as opposed to any other error).
pub(crate) fn condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    e.as_service_error().and_then(ProvideErrorMetadata::code)
        == Some("ConditionalCheckFailedException")
}
