//! `pokeco serve --demo` through HTTP beyond OAI-PMH: the demo course's structure, imported
//! from the Course Blocks API fixture, the grade cutoffs of the demo catalog, and the demo
//! learner's figures on the ECO API.

use pokeco_e2e::server::{TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

const COURSE: &str = "course-v1:PoliMi+ECO101+2024_T1";

async fn admin_get(server: &TestServer, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", server.base_url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_demo_serves_a_course_structure_and_grade_cutoffs() {
    let server = TestServer::demo(100).await;
    let (status, structure) =
        admin_get(&server, &format!("/admin/courses/{COURSE}/structure")).await;
    assert_eq!(status, 200, "{structure}");
    assert_eq!(structure["course_id"], COURSE);
    assert_eq!(structure["blocks"].as_object().unwrap().len(), 35);
    assert_eq!(
        structure["root"],
        "block-v1:PoliMi+ECO101+2024_T1+type@course+block@course"
    );
    let (status, course) = admin_get(&server, &format!("/admin/courses/{COURSE}")).await;
    assert_eq!(status, 200);
    assert_eq!(course["grade_cutoffs"], json!({"Pass": 0.6}));
    // The other demo courses have no structure.
    let (status, body) = admin_get(
        &server,
        "/admin/courses/course-v1:PoliMi+MIN201+2024_T2/structure",
    )
    .await;
    assert_eq!(status, 404, "{body}");
    server.stop().await;
}

/// The demo learner's figures, built by replaying their events through the real pipeline when
/// the demo loads, answered by the ECO API to this machine (no access mode set).
#[tokio::test]
async fn the_demo_learner_has_figures_from_replayed_events() {
    let server = TestServer::demo(100).await;
    let url = format!(
        "{}/ecoapi/users/000000000000000000000001/courses",
        server.base_url()
    );
    let get = || async {
        let r = reqwest::get(&url).await.unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()
    };
    let courses = get().await;
    assert_eq!(
        courses,
        json!([
            {"id": COURSE, "progressPercentage": 72, "firstViewDate": "2024-09-02T08:05:12Z",
             "lastViewDate": "2024-09-04T19:41:10Z", "completedDate": "2024-09-04T19:41:12Z",
             "viewCount": 4, "spentTime": "1200000"},
            {"id": "course-v1:PoliMi+MIN201+2024_T2", "progressPercentage": 0,
             "firstViewDate": "2024-10-02T21:15:00Z", "lastViewDate": "2024-10-02T21:15:00Z",
             "completedDate": "", "viewCount": 1, "spentTime": "300000"}
        ])
    );
    let tasks: Value = reqwest::get(format!("{}/ecoapi/tasks/{COURSE}", server.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tasks["tasks"].as_array().unwrap().len(), 35);
    server.stop().await;
}

/// The demo's images are served by the server itself, at the URLs the catalog gives (so in
/// the harvested records), and are images ECO's harvester takes.
#[tokio::test]
async fn the_demo_serves_its_own_images() {
    use pokeco_core::catalog::image::{judge_image, ImageVerdict};
    let server = TestServer::demo(100).await;
    let (_, listing) = admin_get(&server, "/admin/courses?limit=100").await;
    let mut images: Vec<String> = listing["courses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["image"].as_str().map(str::to_owned))
        .collect();
    let (_, teacher) = admin_get(&server, "/admin/teachers?limit=100").await;
    images.extend(
        teacher["teachers"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["image"].as_str().map(str::to_owned)),
    );
    assert!(images.len() >= 4, "{images:?}");
    for url in &images {
        assert!(
            url.starts_with(&format!("{}/demo/images/", server.base_url())),
            "{url}"
        );
        let r = reqwest::get(url).await.unwrap();
        assert_eq!(r.headers()["content-type"], "image/png", "{url}");
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        assert!(
            matches!(judge_image(Ok((status, &body))), ImageVerdict::Usable(_)),
            "{url}"
        );
    }
    let missing = reqwest::get(format!("{}/demo/images/nothing.png", server.base_url()))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}
