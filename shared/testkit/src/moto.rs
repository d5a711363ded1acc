//! The AWS emulator (moto) that `infra/test` starts. Tests never reach real AWS: the endpoint
//! must be set, and region and credentials are fixed dummies.

use std::sync::atomic::{AtomicU32, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The emulator's configuration. Panics when `AWS_ENDPOINT_URL` is unset: these tests need
/// moto (run them through `infra/test`) and must not fall through to real AWS.
pub async fn config() -> SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!(
            "AWS_ENDPOINT_URL is not set: these tests need the moto server. Run them with \
             `infra/test`, or start `moto_server -H 127.0.0.1 -p 5000` and export \
             AWS_ENDPOINT_URL=http://127.0.0.1:5000"
        )
    });
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "pokeco-tests",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A name no other test (or earlier run against the same moto) uses.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
