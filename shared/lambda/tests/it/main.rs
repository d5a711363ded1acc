//! Cold start against the emulator (moto): secrets from SSM.

// Helpers outside #[test] functions panic on failure too, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pokeco_lambda::{read_parameter, SecretError};
use pokeco_testkit::moto;

#[tokio::test]
async fn secrets_are_read_from_ssm_and_never_echoed() {
    let config = moto::config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let name = format!("/{}/token-secret", moto::unique_name("pokeco"));
    ssm.put_parameter()
        .name(&name)
        .value("s3cr3t-value")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    assert_eq!(
        read_parameter(&config, &name).await.unwrap(),
        "s3cr3t-value"
    );

    let missing = read_parameter(&config, "/pokeco/does-not-exist")
        .await
        .unwrap_err();
    assert!(
        matches!(missing, SecretError::Unavailable { .. }),
        "{missing:?}"
    );
    assert!(missing.to_string().contains("/pokeco/does-not-exist"));
    assert!(!missing.to_string().contains("s3cr3t"));
}
