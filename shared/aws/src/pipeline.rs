//! The pipeline's state on the catalog's table (layout in [`crate::keys`]): identity links,
//! tracked courses, refused statements, and the record of sync runs.
//!
//! Consistency: what ingest reads on every batch is read consistently, so it sees every
//! commit: the links of its users (BatchGetItem) and the tracked courses (a query of their
//! one table partition). The admin listings (`page_links`, `page_failed`, `count_failed`) read
//! the `gsi1` index, which DynamoDB keeps eventually consistent: a link or refused statement
//! written (or deleted) a moment ago may be missing from (or still in) them for about a
//! second. A single refused statement (`get_failed`) is read consistently.
//!
//! Writes of many items go by BatchWriteItem (25 a call): not atomic as a whole, but each is
//! idempotent, so a call that failed half way may be repeated.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, Select, WriteRequest};
use pokeco_core::pipeline::{
    EcoSub, EdxUserId, FailedPage, FailedStatement, Link, LinkPage, PipelineStore, Tracked,
};
use pokeco_core::store::{StoreError, StoreResult};
use pokeco_core::sync::runs::SyncRun;
use pokeco_core::xapi::Statement;
use pokeco_core::Datestamp;
use serde::{Deserialize, Serialize};

use crate::batch::until_processed;
use crate::errors::{build, condition_failed, failed};
use crate::items::{from_item, key, string_attr, to_item, Item};
use crate::keys;
use crate::DynamoStore;

/// DynamoDB's limit on the requests of one BatchWriteItem.
const MAX_BATCH_WRITE: usize = 25;
/// The most bytes a refused statement's item may take. DynamoDB refuses items over 400 KB
/// (409,600 bytes, names and values); this keeps a margin for its own accounting.
const MAX_FAILED_ITEM_BYTES: usize = 380_000;

/// An identity link. The edX user id is also the index sort key, so links list in its
/// (text) order.
#[derive(Debug, Serialize, Deserialize)]
struct LinkItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    edx_user_id: EdxUserId,
    eco_sub: EcoSub,
}

impl LinkItem {
    fn new(link: &Link) -> Self {
        LinkItem {
            pk: keys::link_pk(&link.edx_user_id),
            sk: keys::LINK_SK.to_owned(),
            gsi1pk: keys::ALL_LINKS.to_owned(),
            gsi1sk: link.edx_user_id.to_string(),
            edx_user_id: link.edx_user_id.clone(),
            eco_sub: link.eco_sub.clone(),
        }
    }

    fn into_link(self) -> Link {
        Link {
            edx_user_id: self.edx_user_id,
            eco_sub: self.eco_sub,
        }
    }
}

/// A tracked course (or `*`), in the one partition of the tracked courses.
#[derive(Debug, Serialize, Deserialize)]
struct TrackedItem {
    pk: String,
    sk: String,
    course: Tracked,
}

/// A refused statement. The statement is kept as its JSON text, not as a nested map: a
/// statement near the message limit costs no more than its bytes, and its depth is not bound
/// by DynamoDB's 32 levels of nesting.
#[derive(Debug, Serialize, Deserialize)]
struct FailedItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    statement: String,
    status: u16,
    answer: String,
    failed_at: Datestamp,
}

impl FailedItem {
    fn new(refused: &FailedStatement) -> StoreResult<Self> {
        let id = refused.id();
        if id.is_empty() || id.len() > keys::MAX_STATEMENT_ID_BYTES {
            return Err(StoreError::Rejected(format!(
                "a refused statement's id must have 1 to {} bytes to be kept, this one has {}",
                keys::MAX_STATEMENT_ID_BYTES,
                id.len()
            )));
        }
        let statement = refused.statement.json().to_owned();
        Ok(FailedItem {
            pk: keys::failed_pk(id),
            sk: keys::FAILED_SK.to_owned(),
            gsi1pk: keys::ALL_FAILED.to_owned(),
            gsi1sk: id.to_owned(),
            statement,
            status: refused.status,
            answer: refused.answer.clone(),
            failed_at: refused.failed_at,
        })
    }

    fn into_failed(self) -> StoreResult<FailedStatement> {
        let statement: Statement = serde_json::from_str(&self.statement)
            .map_err(|e| StoreError::Corrupt(format!("item {}: statement: {e}", self.pk)))?;
        Ok(FailedStatement {
            statement,
            status: self.status,
            answer: self.answer,
            failed_at: self.failed_at,
        })
    }
}

/// The item of a refused statement, refused itself when DynamoDB would not hold it.
fn failed_item(refused: &FailedStatement) -> StoreResult<Item> {
    let item = to_item(&FailedItem::new(refused)?)?;
    let size = item_size(&item);
    if size > MAX_FAILED_ITEM_BYTES {
        return Err(StoreError::Rejected(format!(
            "refused statement {} takes {size} bytes as a DynamoDB item, more than the \
             {MAX_FAILED_ITEM_BYTES} kept (DynamoDB holds at most 400 KB an item)",
            refused.id()
        )));
    }
    Ok(item)
}

/// An item's size as DynamoDB counts it: the bytes of every attribute name and value (a
/// number counted by its digits, an upper bound of DynamoDB's count).
fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => v.iter().map(String::len).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| k.len() + value_size(v) + 1)
                .sum::<usize>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        _ => 1,
    }
}

/// The key of a refused statement's item, if `id` can be one (no item has any other).
fn failed_key(id: &str) -> Option<Item> {
    (!id.is_empty() && id.len() <= keys::MAX_STATEMENT_ID_BYTES)
        .then(|| key(keys::failed_pk(id), keys::FAILED_SK))
}

pub(crate) fn put_request(item: Item) -> StoreResult<WriteRequest> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(build)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

pub(crate) fn delete_request(key: Item) -> StoreResult<WriteRequest> {
    let delete = DeleteRequest::builder()
        .set_key(Some(key))
        .build()
        .map_err(build)?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}

/// The primary key a write request is about, as (`pk`, `sk`).
fn written_key(request: &WriteRequest) -> (String, String) {
    let item = request
        .put_request()
        .map(PutRequest::item)
        .or_else(|| request.delete_request().map(DeleteRequest::key));
    let attr = |name| {
        item.and_then(|i| string_attr(i, name))
            .unwrap_or_default()
            .to_owned()
    };
    (attr(keys::PK), attr(keys::SK))
}

impl DynamoStore {
    /// Applies these writes, 25 a call. DynamoDB refuses a batch that names a key twice, so
    /// a key written twice here is written once, as the last request for it says. Requests
    /// DynamoDB leaves unprocessed (throttling) are sent again, with backoff.
    pub(crate) async fn batch_write(&self, requests: Vec<WriteRequest>) -> StoreResult<()> {
        let mut unique: Vec<WriteRequest> = Vec::with_capacity(requests.len());
        let mut position: HashMap<(String, String), usize> = HashMap::new();
        for request in requests {
            match position.entry(written_key(&request)) {
                Entry::Occupied(at) => unique[*at.get()] = request,
                Entry::Vacant(at) => {
                    at.insert(unique.len());
                    unique.push(request);
                }
            }
        }
        let mut rest = unique.into_iter();
        loop {
            let chunk: Vec<WriteRequest> = rest.by_ref().take(MAX_BATCH_WRITE).collect();
            if chunk.is_empty() {
                return Ok(());
            }
            until_processed("BatchWriteItem", chunk, |requests| async {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(failed)?;
                let rest = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|r| !r.is_empty());
                Ok((Vec::new(), rest))
            })
            .await?;
        }
    }

    /// Up to `want` items of index partition `partition` whose `gsi1sk` is strictly after
    /// `after`, in index order. DynamoDB may end a page early (1 MB), so this follows
    /// `LastEvaluatedKey` until it has `want` items or the partition ends.
    async fn index_after(
        &self,
        partition: &str,
        after: Option<&str>,
        want: usize,
    ) -> StoreResult<Vec<Item>> {
        let after = after.filter(|a| !a.is_empty());
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let ask = i32::try_from(want - found.len()).unwrap_or(i32::MAX);
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::GSI1)
                .expression_attribute_names("#pk", keys::GSI1PK)
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                .limit(ask)
                .set_exclusive_start_key(start.take());
            let query = match after {
                Some(after) => query
                    .key_condition_expression("#pk = :pk AND #sk > :after")
                    .expression_attribute_names("#sk", keys::GSI1SK)
                    .expression_attribute_values(":after", AttributeValue::S(after.to_owned())),
                None => query.key_condition_expression("#pk = :pk"),
            };
            let out = query.send().await.map_err(failed)?;
            found.extend(out.items.unwrap_or_default());
            if found.len() >= want {
                found.truncate(want);
                return Ok(found);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(found),
            }
        }
    }

    /// Deletes the item at `key`: `NotFound` when there is none.
    async fn delete_existing(&self, key: Item) -> StoreResult<()> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Err(StoreError::NotFound),
            Err(e) => Err(failed(e)),
        }
    }
}

#[async_trait]
impl PipelineStore for DynamoStore {
    async fn put_links(&self, links: &[Link]) -> StoreResult<()> {
        let requests = links
            .iter()
            .map(|l| put_request(to_item(&LinkItem::new(l))?))
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    async fn delete_link(&self, user: &EdxUserId) -> StoreResult<()> {
        self.delete_existing(key(keys::link_pk(user), keys::LINK_SK))
            .await
    }

    async fn eco_users(&self, users: &[EdxUserId]) -> StoreResult<HashMap<EdxUserId, EcoSub>> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let keys = users
            .iter()
            .map(|u| key(keys::link_pk(u), keys::LINK_SK))
            .collect();
        let mut found = HashMap::new();
        for item in self.batch_get(keys).await? {
            let link = from_item::<LinkItem>(item)?;
            found.insert(link.edx_user_id, link.eco_sub);
        }
        Ok(found)
    }

    /// Read from the index: eventually consistent (see the module's documentation).
    async fn page_links(&self, after: Option<&EdxUserId>, limit: usize) -> StoreResult<LinkPage> {
        let after = after.map(EdxUserId::as_str);
        let items = self
            .index_after(keys::ALL_LINKS, after, limit.saturating_add(1))
            .await?;
        let mut links = items
            .into_iter()
            .map(|i| from_item::<LinkItem>(i).map(LinkItem::into_link))
            .collect::<StoreResult<Vec<_>>>()?;
        let more = links.len() > limit;
        links.truncate(limit);
        Ok(LinkPage { links, more })
    }

    async fn tracked(&self) -> StoreResult<Vec<Tracked>> {
        let mut tracked = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":pk", AttributeValue::S(keys::TRACKED_PK.to_owned()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(failed)?;
            for item in out.items.unwrap_or_default() {
                tracked.push(from_item::<TrackedItem>(item)?.course);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(tracked),
            }
        }
    }

    async fn track(&self, course: &Tracked) -> StoreResult<()> {
        let item = TrackedItem {
            pk: keys::TRACKED_PK.to_owned(),
            sk: keys::tracked_sk(course),
            course: course.clone(),
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)?))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn untrack(&self, course: &Tracked) -> StoreResult<()> {
        self.delete_existing(key(keys::TRACKED_PK.to_owned(), &keys::tracked_sk(course)))
            .await
    }

    async fn put_failed(&self, refused: &[FailedStatement]) -> StoreResult<()> {
        // Every item is checked before any is written.
        let requests = refused
            .iter()
            .map(|f| put_request(failed_item(f)?))
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    async fn get_failed(&self, id: &str) -> StoreResult<Option<FailedStatement>> {
        let Some(key) = failed_key(id) else {
            return Ok(None);
        };
        match self.get_item(key).await? {
            Some(item) => from_item::<FailedItem>(item)?.into_failed().map(Some),
            None => Ok(None),
        }
    }

    /// Read from the index: eventually consistent (see the module's documentation).
    async fn page_failed(&self, after: Option<&str>, limit: usize) -> StoreResult<FailedPage> {
        let items = self
            .index_after(keys::ALL_FAILED, after, limit.saturating_add(1))
            .await?;
        let mut kept = items
            .into_iter()
            .map(|i| from_item::<FailedItem>(i)?.into_failed())
            .collect::<StoreResult<Vec<_>>>()?;
        let more = kept.len() > limit;
        kept.truncate(limit);
        Ok(FailedPage { failed: kept, more })
    }

    /// Counts the index partition, every page of it: eventually consistent (see the module's
    /// documentation), and it reads (in capacity) every refused statement kept.
    async fn count_failed(&self) -> StoreResult<u64> {
        let mut count = 0;
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::GSI1)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", keys::GSI1PK)
                .expression_attribute_values(":pk", AttributeValue::S(keys::ALL_FAILED.to_owned()))
                .select(Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(failed)?;
            count += u64::try_from(out.count).unwrap_or(0);
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(count),
            }
        }
    }

    async fn delete_failed(&self, ids: &[String]) -> StoreResult<()> {
        // An id that cannot be a key names no kept statement: nothing to forget.
        let requests = ids
            .iter()
            .filter_map(|id| failed_key(id))
            .map(delete_request)
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    async fn put_sync_runs(&self, runs: &[SyncRun]) -> StoreResult<()> {
        let json = serde_json::to_string(&runs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut item = key(keys::SYNC_PK.to_owned(), keys::SYNC_SK);
        item.insert(keys::SYNC_RUNS.to_owned(), AttributeValue::S(json));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn sync_runs(&self) -> StoreResult<Vec<SyncRun>> {
        let item = self
            .get_item(key(keys::SYNC_PK.to_owned(), keys::SYNC_SK))
            .await?;
        match item.as_ref().and_then(|i| string_attr(i, keys::SYNC_RUNS)) {
            Some(json) => {
                serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
            }
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use pokeco_core::contract::statement;

    use super::*;

    fn refused(padding: usize) -> FailedStatement {
        FailedStatement::new(
            statement(1, padding),
            413,
            &"é".repeat(4096),
            Datestamp::from_unix(1_700_000_000).unwrap(),
        )
    }

    #[test]
    fn a_refused_statement_round_trips_with_its_statement_as_text() {
        let f = refused(10);
        let item = failed_item(&f).unwrap();
        assert!(matches!(item.get("statement"), Some(AttributeValue::S(_))));
        assert_eq!(string_attr(&item, keys::GSI1SK), Some(f.id()));
        assert_eq!(
            string_attr(&item, keys::PK).map(str::to_owned),
            Some(keys::failed_pk(f.id()))
        );
        let back = from_item::<FailedItem>(item)
            .unwrap()
            .into_failed()
            .unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn a_statement_near_the_message_limit_fits_one_over_the_item_limit_is_refused() {
        let near = failed_item(&refused(256 * 1024)).unwrap();
        assert!(item_size(&near) > 256 * 1024, "{}", item_size(&near));
        let r = failed_item(&refused(MAX_FAILED_ITEM_BYTES));
        assert!(
            matches!(&r, Err(StoreError::Rejected(m)) if m.contains("400 KB")),
            "{r:?}"
        );
        assert!(!r.unwrap_err().is_retryable());
    }

    #[test]
    fn a_statement_id_that_cannot_be_a_key_is_refused() {
        let mut f = refused(0);
        let with_id = |id: String| Statement::from_value(&serde_json::json!({ "id": id })).unwrap();
        f.statement = with_id("x".repeat(keys::MAX_STATEMENT_ID_BYTES + 1));
        assert!(matches!(failed_item(&f), Err(StoreError::Rejected(_))));
        f.statement = with_id(String::new());
        assert!(matches!(failed_item(&f), Err(StoreError::Rejected(_))));
        assert!(failed_key("").is_none());
        assert!(failed_key(&"x".repeat(keys::MAX_STATEMENT_ID_BYTES)).is_some());
    }

    #[test]
    fn sizes_count_names_and_values() {
        let item: Item = HashMap::from([
            ("ab".to_owned(), AttributeValue::S("xyz".to_owned())),
            ("n".to_owned(), AttributeValue::N("413".to_owned())),
        ]);
        assert_eq!(item_size(&item), 2 + 3 + 1 + 3);
    }

    #[test]
    fn a_key_written_twice_is_written_once() {
        let put = |sub: &str| {
            let link = Link {
                edx_user_id: "7".parse().unwrap(),
                eco_sub: sub.parse().unwrap(),
            };
            put_request(to_item(&LinkItem::new(&link)).unwrap()).unwrap()
        };
        let a = put("00000000000000000000000a");
        let b = put("00000000000000000000000b");
        assert_eq!(written_key(&a), written_key(&b));
        assert_eq!(written_key(&a), ("LINK#7".to_owned(), "LINK".to_owned()));
    }
}
