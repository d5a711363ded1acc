//! `pokeco catalog check`: fetches every live course's image as ECO's harvester will, and
//! reports the courses whose image ECO would drop or crash on.

use std::sync::Arc;
use std::time::Duration;

use pokeco_core::catalog::image::{judge_image, ImageVerdict};
use pokeco_core::catalog::service::{CourseListing, MAX_LIST_LIMIT};
use pokeco_core::catalog::{CatalogError, CatalogService, CourseId, HttpUrl};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How long one image may take, by default: ECO itself never gives up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Images fetched at once.
const PARALLEL: usize = 8;
/// The most bytes read of one image: the magic bytes are at the start.
const READ_LIMIT: usize = 4096;

/// One live course with an image, and ECO's fate for it.
#[derive(Debug)]
pub struct ImageReport {
    pub course: CourseId,
    pub image: HttpUrl,
    pub verdict: ImageVerdict,
}

/// Downloads the start of `url` (following redirects, verifying TLS, as ECO does).
async fn fetch(http: &reqwest::Client, url: &str) -> Result<(u16, Vec<u8>), String> {
    let mut response = http.get(url).send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while body.len() < READ_LIMIT {
        match response.chunk().await.map_err(|e| e.to_string())? {
            Some(chunk) => body.extend_from_slice(&chunk),
            None => break,
        }
    }
    Ok((status, body))
}

/// Every live course that has an image, with its verdict, in catalog order.
///
/// # Errors
/// The catalog's, when listing fails.
pub async fn check_images(
    catalog: &CatalogService,
    timeout: Duration,
) -> Result<Vec<ImageReport>, CatalogError> {
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| CatalogError::invalid("", format!("cannot build an HTTP client: {e}")))?;
    let mut courses = Vec::new();
    let mut listing = CourseListing {
        limit: Some(MAX_LIST_LIMIT),
        ..CourseListing::default()
    };
    loop {
        let page = catalog.list_courses(&listing).await?;
        courses.extend(
            page.courses
                .into_iter()
                .filter_map(|c| Some((c.course.course_id, c.course.image?))),
        );
        match page.next {
            Some(next) => listing.after = Some(next),
            None => break,
        }
    }
    let permits = Arc::new(Semaphore::new(PARALLEL));
    let mut tasks = JoinSet::new();
    for (i, (course, image)) in courses.into_iter().enumerate() {
        let (http, permits) = (http.clone(), Arc::clone(&permits));
        tasks.spawn(async move {
            let _permit = permits.acquire().await;
            let verdict = match fetch(&http, image.as_str()).await {
                Ok((status, body)) => judge_image(Ok((status, &body))),
                Err(why) => judge_image(Err(why)),
            };
            (
                i,
                ImageReport {
                    course,
                    image,
                    verdict,
                },
            )
        });
    }
    let mut reports = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(report) = done {
            reports.push(report);
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    Ok(reports.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::http::{header, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use pokeco_core::oai::OaiPrefix;
    use pokeco_local::SqliteStore;
    use serde_json::json;

    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

    /// A real HTTP server on a loopback port, serving the kinds of image ECO meets.
    async fn images() -> SocketAddr {
        let app = Router::new()
            .route(
                "/ok.png",
                get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }),
            )
            .route("/tiny.png", get(|| async { &PNG[..8] }))
            .route("/gone.png", get(|| async { (StatusCode::NOT_FOUND, "no") }))
            .route(
                "/logo.svg",
                get(|| async { r#"<svg xmlns="http://www.w3.org/2000/svg" width="1"/>"# }),
            )
            .route(
                "/error.png",
                get(|| async { "<!DOCTYPE html><html><body>Server error</body></html>" }),
            )
            .route(
                "/slow.png",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    PNG
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    #[tokio::test]
    async fn every_live_course_image_is_judged_as_eco_would() {
        let addr = images().await;
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let catalog = CatalogService::new(store, OaiPrefix::new("oai:x.org:").unwrap());
        let names = [
            "ok.png",
            "tiny.png",
            "gone.png",
            "logo.svg",
            "error.png",
            "slow.png",
        ];
        for (i, name) in names.iter().enumerate() {
            let doc = json!({
                "course_id": format!("org/c{i}/run"), "title": {"en": "T"},
                "description": {"en": "D"}, "languages": ["en"], "url": "https://x.org/",
                "organizers": ["O"], "interest_area": "ECO:HUM",
                "image": format!("http://{addr}/{name}")
            });
            catalog.put_course(&doc, None).await.unwrap();
        }
        // A deleted course and one without an image are not fetched.
        catalog.delete_course("org/c3/run").await.unwrap();
        let bare = json!({
            "course_id": "org/bare/run", "title": {"en": "T"}, "description": {"en": "D"},
            "languages": ["en"], "url": "https://x.org/", "organizers": ["O"],
            "interest_area": "ECO:HUM"
        });
        catalog.put_course(&bare, None).await.unwrap();

        let reports = check_images(&catalog, Duration::from_secs(1))
            .await
            .unwrap();
        let fates: Vec<(String, &str)> = reports
            .iter()
            .map(|r| {
                let kind = match r.verdict {
                    ImageVerdict::Usable(_) => "usable",
                    ImageVerdict::Dropped(_) => "dropped",
                    ImageVerdict::Crashes(_) => "crashes",
                };
                (r.course.to_string(), kind)
            })
            .collect();
        let want = [
            ("org/c0/run", "usable"),
            ("org/c1/run", "dropped"),
            ("org/c2/run", "dropped"),
            ("org/c4/run", "crashes"),
            ("org/c5/run", "dropped"),
        ];
        let want: Vec<(String, &str)> = want.iter().map(|(c, k)| (c.to_string(), *k)).collect();
        assert_eq!(fates, want);
        assert!(reports[4].verdict.to_string().contains("no answer"));
        assert!(reports[3].verdict.to_string().contains("HTML"));
    }
}
