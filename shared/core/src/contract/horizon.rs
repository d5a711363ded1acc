//! The harvest horizon: no change is dated before a list a harvester was already given, so a
//! harvester that continues `from` the last responseDate misses nothing, even when the
//! writer's clock is behind.

use super::fixtures::*;
use crate::datestamp::Datestamp;
use crate::oai::{self, OaiPrefix, OaiSettings, TokenKey};
use crate::store::CatalogStore;

pub async fn writes_are_dated_at_or_after_the_horizon<S: CatalogStore>(store: S) {
    seed(&store).await;
    assert_eq!(store.advance_horizon(at(100)).await.unwrap(), at(100));
    // The horizon never moves back.
    assert_eq!(store.advance_horizon(at(50)).await.unwrap(), at(100));
    let put = store
        .put_course(minimal_course("a/b/c"), at(10))
        .await
        .unwrap();
    assert_eq!(
        put.datestamp,
        at(100),
        "a write behind the horizon is dated at it"
    );
    let later = store
        .put_course(minimal_course("a/b/d"), at(150))
        .await
        .unwrap();
    assert_eq!(
        later.datestamp,
        at(150),
        "a write after the horizon keeps its time"
    );
    let deleted = store.delete_course(&cid("a/b/c"), at(20)).await.unwrap();
    assert_eq!(deleted.datestamp, at(100));
    let stored = store.get_course(&cid("a/b/c")).await.unwrap().unwrap();
    assert_eq!((stored.datestamp, stored.deleted), (at(100), true));
}

/// OAI-PMH settings for tests that answer requests on a store.
pub fn settings() -> OaiSettings {
    OaiSettings {
        repository_name: "contract".into(),
        base_url: Some("http://127.0.0.1/oai".into()),
        admin_email: "admin@x.org".into(),
        prefix: OaiPrefix::new("oai:x.org:").unwrap(),
        token_key: TokenKey::new(b"contract-test-token-secret").unwrap(),
        token_ttl: 3600,
        page_size: 2,
        final_empty_token: false,
    }
}

/// The text of every `<name>` element of an XML answer, in order.
fn texts(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        let Some(gt) = after.find('>') else { break };
        if after.as_bytes()[..gt].ends_with(b"/") {
            rest = &after[gt..];
            continue;
        }
        let body = &after[gt + 1..];
        let end = body.find(&close).unwrap_or(body.len());
        out.push(body[..end].to_owned());
        rest = &body[end..];
    }
    out
}

/// One incremental harvest of every page at harvester time `now`: the (identifier,
/// datestamp) pairs listed, and the responseDate to continue from.
async fn harvest<S: CatalogStore>(
    store: &S,
    from: Option<Datestamp>,
    now: Datestamp,
    between_pages: &mut dyn FnMut(usize) -> Option<(crate::catalog::Course, Datestamp)>,
) -> (
    Vec<(String, String)>,
    Datestamp,
    Vec<crate::catalog::CourseRecord>,
) {
    let settings = settings();
    let mut args = vec![
        ("verb".to_owned(), "ListIdentifiers".to_owned()),
        ("metadataPrefix".to_owned(), "oai_dc".to_owned()),
    ];
    if let Some(from) = from {
        args.push(("from".to_owned(), from.to_string()));
    }
    let (mut seen, mut written, mut response_date) = (Vec::new(), Vec::new(), None);
    for page in 0.. {
        let xml = oai::respond(
            store,
            &settings,
            "http://127.0.0.1/oai",
            Ok(args.clone()),
            now,
        )
        .await
        .unwrap();
        let date: Datestamp = texts(&xml, "responseDate")[0].parse().unwrap();
        response_date.get_or_insert(date);
        assert_eq!(
            Some(date),
            response_date,
            "every page of a list has one responseDate"
        );
        let ids = texts(&xml, "identifier");
        let dates = texts(&xml, "datestamp");
        seen.extend(ids.into_iter().zip(dates));
        // A write lands between two pages of the list.
        if let Some((course, writer_now)) = between_pages(page) {
            written.push(store.put_course(course, writer_now).await.unwrap());
        }
        match texts(&xml, "resumptionToken").pop() {
            Some(token) if !token.is_empty() => {
                args = vec![
                    ("verb".to_owned(), "ListIdentifiers".to_owned()),
                    ("resumptionToken".to_owned(), token),
                ];
            }
            _ => break,
        }
    }
    (seen, response_date.unwrap(), written)
}

pub async fn incremental_harvests_miss_no_change<S: CatalogStore>(store: S) {
    seed(&store).await;
    // The writer's clock is five minutes behind the harvester's.
    let skew = -300;
    let mut writes = Vec::new();
    let mut listed: Vec<(String, String)> = Vec::new();
    for i in 0..5 {
        let course = minimal_course(&format!("org/c{i}/run"));
        writes.push(store.put_course(course, at(skew)).await.unwrap());
    }
    let (seen, mut from, _) = harvest(&store, None, at(0), &mut |_| None).await;
    listed.extend(seen);
    for round in 1..=4_i64 {
        let now = at(round * 100);
        // Changes between harvests: a new course and a changed one, both by the slow writer.
        writes.push(
            store
                .put_course(
                    minimal_course(&format!("new/c{round}/run")),
                    now.saturating_add(skew - 50),
                )
                .await
                .unwrap(),
        );
        writes.push(
            store
                .put_course(minimal_course("org/c0/run"), now.saturating_add(skew - 40))
                .await
                .unwrap(),
        );
        if round == 2 {
            writes.push(
                store
                    .delete_course(&cid("org/c1/run"), now.saturating_add(skew))
                    .await
                    .unwrap(),
            );
        }
        // And a change while the harvest is between its pages.
        let mut during = |page: usize| {
            (page == 0).then(|| {
                (
                    minimal_course(&format!("mid/c{round}/run")),
                    now.saturating_add(skew),
                )
            })
        };
        let (seen, next, written) = harvest(&store, Some(from), now, &mut during).await;
        listed.extend(seen);
        writes.extend(written);
        assert!(next >= from, "responseDates do not go back");
        from = next;
    }
    let (seen, _, _) = harvest(&store, Some(from), at(1000), &mut |_| None).await;
    listed.extend(seen);
    for w in &writes {
        let want = (
            format!("oai:x.org:{}", w.course.course_id),
            w.datestamp.to_string(),
        );
        assert!(
            listed.contains(&want),
            "the change {want:?} was never listed to the incremental harvester"
        );
    }
}
