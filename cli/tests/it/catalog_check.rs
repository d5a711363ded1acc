//! `pokeco catalog check` on a data folder: prints the courses whose image ECO drops or
//! crashes on, and exits 1 only when one would crash ECO's harvester.

use std::process::Command;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use pokeco_core::catalog::CatalogService;
use pokeco_core::oai::OaiPrefix;
use pokeco_local::SqliteStore;
use serde_json::json;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

async fn serve_images() -> std::net::SocketAddr {
    let app = Router::new().route("/ok.png", get(|| async { PNG })).route(
        "/logo.svg",
        get(|| async { r#"<svg xmlns="http://www.w3.org/2000/svg"/>"# }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn put_course(data: &std::path::Path, id: &str, image: &str) {
    let store = SqliteStore::open(&data.join("catalog.sqlite")).unwrap();
    let catalog = CatalogService::new(Arc::new(store), OaiPrefix::new("oai:x.org:").unwrap());
    let doc = json!({
        "course_id": id, "title": {"en": "T"}, "description": {"en": "D"},
        "languages": ["en"], "url": "https://x.org/", "organizers": ["O"],
        "interest_area": "ECO:HUM", "image": image
    });
    catalog.put_course(&doc, None).await.unwrap();
}

async fn check(data: &std::path::Path) -> (Option<i32>, String) {
    let data = data.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_pokeco"))
            .args([
                "--data",
                data.to_str().unwrap(),
                "catalog",
                "check",
                "--timeout",
                "2",
            ])
            .env_remove("POKECO_TABLE")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_1_only_when_an_image_would_crash_eco() {
    let addr = serve_images().await;
    let data = tempfile::tempdir().unwrap();
    put_course(
        data.path(),
        "org/good/run",
        &format!("http://{addr}/ok.png"),
    )
    .await;
    let (code, stdout) = check(data.path()).await;
    assert_eq!((code, stdout.as_str()), (Some(0), ""));

    put_course(
        data.path(),
        "org/svg/run",
        &format!("http://{addr}/logo.svg"),
    )
    .await;
    put_course(
        data.path(),
        "org/gone/run",
        &format!("http://{addr}/missing.png"),
    )
    .await;
    let (code, stdout) = check(data.path()).await;
    assert_eq!(code, Some(1), "{stdout}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("org/gone/run\t") && lines[0].contains("404"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("org/svg/run\t") && lines[1].contains("CRASHES"),
        "{stdout}"
    );
}
