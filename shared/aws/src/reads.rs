//! The reads the store is built from: single items, index ranges, batches, counts. Every one
//! follows DynamoDB's paging (`LastEvaluatedKey`) and retries what DynamoDB left unprocessed.

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Select};
use pokeco_core::store::StoreResult;

use crate::batch::until_processed;
use crate::errors::{build, failed};
use crate::items::{string_attr, Item};
use crate::keys;
use crate::DynamoStore;

/// DynamoDB's limit on the keys of one BatchGetItem.
const MAX_BATCH_GET: usize = 100;
/// How many 1 MB index pages a count may read before it answers "unknown".
const MAX_COUNT_PAGES: usize = 4;

/// An inclusive range of one index partition, in index order.
pub(crate) struct IndexRange<'a> {
    pub partition: &'a str,
    pub lo: &'a str,
    pub hi: &'a str,
}

impl DynamoStore {
    /// An item by key, read consistently.
    pub(crate) async fn get_item(&self, key: Item) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(failed)?;
        Ok(out.item)
    }

    fn range_query(
        &self,
        range: &IndexRange<'_>,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
            .expression_attribute_names("#pk", keys::GSI1PK)
            .expression_attribute_names("#sk", keys::GSI1SK)
            .expression_attribute_values(":pk", AttributeValue::S(range.partition.to_owned()))
            .expression_attribute_values(":lo", AttributeValue::S(range.lo.to_owned()))
            .expression_attribute_values(":hi", AttributeValue::S(range.hi.to_owned()))
    }

    /// Up to `want` items of `range`, in order, leaving out the one whose gsi1sk is `skip`.
    /// DynamoDB may end a page early (1 MB, or `Limit` counted before the skip), so this
    /// follows `LastEvaluatedKey` until it has `want` items or the range is exhausted: fewer
    /// than `want` means the range holds no more.
    pub(crate) async fn query_range(
        &self,
        range: &IndexRange<'_>,
        skip: Option<&str>,
        want: usize,
    ) -> StoreResult<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            // One more than needed, in case the skipped item is among them.
            let ask = i32::try_from(want - found.len() + 1).unwrap_or(i32::MAX);
            let out = self
                .range_query(range)
                .limit(ask)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(failed)?;
            for item in out.items.unwrap_or_default() {
                if skip.is_some() && string_attr(&item, keys::GSI1SK) == skip {
                    continue;
                }
                found.push(item);
                if found.len() == want {
                    return Ok(found);
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(found),
            }
        }
    }

    /// How many items `range` holds, when a few pages of the index tell; `None` beyond.
    pub(crate) async fn count_range(&self, range: &IndexRange<'_>) -> StoreResult<Option<u64>> {
        let mut count = 0;
        let mut start: Option<Item> = None;
        for _ in 0..MAX_COUNT_PAGES {
            let out = self
                .range_query(range)
                .select(Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(failed)?;
            count += u64::try_from(out.count).unwrap_or(0);
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(Some(count)),
            }
        }
        Ok(None)
    }

    /// Every item of index partition `partition`, in index order.
    pub(crate) async fn query_all(&self, partition: &str) -> StoreResult<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::GSI1)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", keys::GSI1PK)
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(failed)?;
            found.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(found),
            }
        }
    }

    /// The items with these keys that exist, in no particular order, read consistently.
    /// Duplicate keys are read once. Keys DynamoDB leaves unprocessed (throttling) are asked
    /// again, with backoff.
    pub(crate) async fn batch_get(&self, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        // Keys by their text: an ingest batch asks for thousands of users at once.
        let mut seen = std::collections::HashSet::with_capacity(keys.len());
        let unique: Vec<Item> = keys
            .into_iter()
            .filter(|k| {
                seen.insert((
                    string_attr(k, keys::PK).map(str::to_owned),
                    string_attr(k, keys::SK).map(str::to_owned),
                ))
            })
            .collect();
        let mut found = Vec::with_capacity(unique.len());
        for chunk in unique.chunks(MAX_BATCH_GET) {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(chunk.to_vec()))
                .consistent_read(true)
                .build()
                .map_err(build)?;
            let items = until_processed("BatchGetItem", request, |request| async {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(failed)?;
                let items = out
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default();
                let rest = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
                Ok((items, rest))
            })
            .await?;
            found.extend(items);
        }
        Ok(found)
    }
}
