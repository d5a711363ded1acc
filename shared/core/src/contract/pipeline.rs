//! The contract of a [`PipelineStore`]: links, tracked courses and refused statements.

use std::collections::BTreeSet;

use crate::datestamp::Datestamp;
use crate::pipeline::{EcoSub, EdxUserId, FailedStatement, Link, PipelineStore, Tracked};
use crate::store::StoreError;
use crate::sync::runs::{keep, SyncRun, RUNS_KEPT};
use crate::sync::SyncReport;
use crate::xapi::Statement;

fn user(n: u64) -> EdxUserId {
    n.to_string().parse().unwrap()
}

fn sub(n: u64) -> EcoSub {
    format!("{n:024x}").parse().unwrap()
}

fn link(u: u64, s: u64) -> Link {
    Link {
        edx_user_id: user(u),
        eco_sub: sub(s),
    }
}

/// A statement whose JSON takes about `padding` more bytes than the smallest.
pub fn statement(n: u64, padding: usize) -> Statement {
    serde_json::from_value(serde_json::json!({
        "id": format!("00000000-0000-5000-8000-{n:012}"),
        "actor": {"objectType": "Agent", "account": {"homePage": "https://portal.ecolearning.eu?user=u", "name": "u"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"objectType": "Activity", "id": format!("https://lms.example.org/o/{}", "x".repeat(padding)), "definition": {"type": "http://adlnet.gov/expapi/activities/question", "name": {"en-US": "Q"}}},
        "context": {"contextActivities": {"parent": []}, "extensions": {}},
        "timestamp": "2016-11-07T09:20:11+00:00", "version": "1.0.3"
    }))
    .unwrap()
}

fn failed(n: u64, answer: &str) -> FailedStatement {
    FailedStatement::new(
        statement(n, 0),
        400,
        answer,
        Datestamp::from_unix(1_700_000_000).unwrap(),
    )
}

pub async fn links_put_replace_look_up_and_delete<S: PipelineStore>(store: S) {
    store.put_links(&[link(1, 1), link(2, 2)]).await.unwrap();
    store.put_links(&[link(2, 20)]).await.unwrap();
    let found = store.eco_users(&[user(1), user(2), user(3)]).await.unwrap();
    assert_eq!(found.len(), 2, "an unlinked user is left out");
    assert_eq!(found[&user(1)], sub(1));
    assert_eq!(
        found[&user(2)],
        sub(20),
        "a later link replaces the earlier"
    );
    store.delete_link(&user(1)).await.unwrap();
    assert!(store.eco_users(&[user(1)]).await.unwrap().is_empty());
    assert!(matches!(
        store.delete_link(&user(1)).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.eco_users(&[]).await.unwrap().is_empty());
}

pub async fn many_links_are_written_and_read_in_one_call<S: PipelineStore>(store: S) {
    // More than one DynamoDB batch (25 writes, 100 reads) either way.
    let links: Vec<Link> = (1..=260).map(|n| link(n, n + 1000)).collect();
    store.put_links(&links).await.unwrap();
    let users: Vec<EdxUserId> = (1..=300).map(user).collect();
    let found = store.eco_users(&users).await.unwrap();
    assert_eq!(found.len(), 260);
    assert!((1..=260).all(|n| found[&user(n)] == sub(n + 1000)));
}

pub async fn links_page_in_user_id_order<S: PipelineStore>(store: S) {
    let links: Vec<Link> = [5, 30, 7, 100, 2].into_iter().map(|n| link(n, n)).collect();
    store.put_links(&links).await.unwrap();
    let mut seen = Vec::new();
    let mut after: Option<EdxUserId> = None;
    loop {
        let page = store.page_links(after.as_ref(), 2).await.unwrap();
        assert!(page.links.len() <= 2);
        seen.extend(page.links.iter().map(|l| l.edx_user_id.to_string()));
        if !page.more {
            break;
        }
        after = page.links.last().map(|l| l.edx_user_id.clone());
    }
    // Text order, the same in both stores.
    assert_eq!(seen, ["100", "2", "30", "5", "7"]);
    let empty = store.page_links(Some(&user(7)), 2).await.unwrap();
    assert!(empty.links.is_empty() && !empty.more);
}

pub async fn tracked_courses_add_remove_and_star<S: PipelineStore>(store: S) {
    assert!(store.tracked().await.unwrap().is_empty());
    let a: Tracked = "course-v1:Org+A+2024".parse().unwrap();
    let b: Tracked = "Org/B/Run".parse().unwrap();
    for t in [&a, &b, &a, &Tracked::All] {
        store.track(t).await.unwrap();
    }
    let got: BTreeSet<Tracked> = store.tracked().await.unwrap().into_iter().collect();
    assert_eq!(got, [a.clone(), b.clone(), Tracked::All].into());
    store.untrack(&Tracked::All).await.unwrap();
    store.untrack(&a).await.unwrap();
    assert_eq!(store.tracked().await.unwrap(), [b]);
    assert!(matches!(store.untrack(&a).await, Err(StoreError::NotFound)));
}

pub async fn refused_statements_are_kept_replaced_paged_and_dropped<S: PipelineStore>(store: S) {
    assert_eq!(store.count_failed().await.unwrap(), 0);
    let all: Vec<FailedStatement> = (1..=5).map(|n| failed(n, "bad")).collect();
    store.put_failed(&all).await.unwrap();
    store.put_failed(&[failed(3, "worse")]).await.unwrap();
    assert_eq!(store.count_failed().await.unwrap(), 5);
    let three = store.get_failed(all[2].id()).await.unwrap().unwrap();
    assert_eq!(three.answer, "worse");
    assert_eq!(three.statement, all[2].statement);
    assert_eq!(three.failed_at, all[2].failed_at);
    assert!(store.get_failed("nope").await.unwrap().is_none());

    let first = store.page_failed(None, 2).await.unwrap();
    assert!(first.more);
    let second = store
        .page_failed(Some(first.failed[1].id()), 10)
        .await
        .unwrap();
    assert!(!second.more);
    let ids: Vec<&str> = first
        .failed
        .iter()
        .chain(&second.failed)
        .map(FailedStatement::id)
        .collect();
    let want: Vec<&str> = all.iter().map(FailedStatement::id).collect();
    assert_eq!(ids, want, "statement-id order");

    store
        .delete_failed(&[all[0].id().to_owned(), "unknown".to_owned()])
        .await
        .unwrap();
    assert_eq!(store.count_failed().await.unwrap(), 4);
    assert!(store.get_failed(all[0].id()).await.unwrap().is_none());
}

pub async fn a_large_refused_statement_and_answer_are_kept_whole<S: PipelineStore>(store: S) {
    // A statement near the message limit and the longest answer kept: within an item's 400 KB.
    let big = FailedStatement::new(
        statement(9, 200 * 1024),
        413,
        &"é".repeat(4096),
        Datestamp::from_unix(1_700_000_000).unwrap(),
    );
    assert!(big.answer.len() <= crate::pipeline::MAX_ANSWER_BYTES);
    store.put_failed(std::slice::from_ref(&big)).await.unwrap();
    assert_eq!(store.get_failed(big.id()).await.unwrap().unwrap(), big);
}

pub async fn sync_runs_are_kept_latest_first_and_only_the_latest<S: PipelineStore>(store: S) {
    assert!(store.sync_runs().await.unwrap().is_empty());
    let mut previous: Option<SyncRun> = None;
    for n in 0..RUNS_KEPT as u64 + 5 {
        let report = SyncReport {
            delivered: n,
            stopped: (n % 2 == 1).then(|| "LRS answered 503: ünavailable".to_owned()),
            ..SyncReport::default()
        };
        let run = SyncRun::new(
            Datestamp::from_unix(1_700_000_000 + n as i64).unwrap(),
            n % 3 == 0,
            Datestamp::from_unix(1_699_999_000),
            report,
            previous.as_ref(),
        );
        let kept = keep(store.sync_runs().await.unwrap(), &run);
        store.put_sync_runs(&kept).await.unwrap();
        previous = Some(run);
    }
    let runs = store.sync_runs().await.unwrap();
    assert_eq!(runs.len(), RUNS_KEPT);
    let delivered: Vec<u64> = runs.iter().map(|r| r.report.delivered).collect();
    let want: Vec<u64> = (5..RUNS_KEPT as u64 + 5).rev().collect();
    assert_eq!(delivered, want, "the latest first");
    assert_eq!(runs.first(), previous.as_ref(), "a record reads back whole");
}
