//! `pokeco serve --demo` through HTTP beyond OAI-PMH: the demo course's structure, imported
//! from the Course Blocks API fixture, and the grade cutoffs of the demo catalog.

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
