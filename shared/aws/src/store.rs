//! [`DynamoStore`]: the catalog on one DynamoDB table (layout in [`crate::keys`]).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use pokeco_core::catalog::{Course, CourseId, CourseRecord, OaiSet, SetSpec, Teacher, TeacherId};
use pokeco_core::keys::{order_key, parse_order_key};
use pokeco_core::store::{CatalogStore, RecordPage, RecordQuery, StoreError, StoreResult};
use pokeco_core::Datestamp;

use crate::items::{
    from_item, key, string_attr, to_item, CourseItem, Item, MembershipItem, MetaItem, SetItem,
    TeacherItem,
};
use crate::keys;

/// DynamoDB's limit on the actions of one TransactWriteItems.
const MAX_TRANSACT_ITEMS: usize = 100;
/// DynamoDB's limit on the keys of one BatchGetItem.
const MAX_BATCH_GET: usize = 100;
/// How often a BatchGetItem is repeated for its UnprocessedKeys before giving up.
const BATCH_GET_ATTEMPTS: u32 = 8;
/// How often a course write is recomputed when another write got there first.
const WRITE_ATTEMPTS: u32 = 5;

/// The catalog in one DynamoDB table. Cheap to clone: the SDK client is shared.
///
/// Listings (pages, teachers, sets) read the `gsi1` index, which DynamoDB keeps eventually
/// consistent: a write may take a moment to show in them. Single reads are consistent.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// A store on `table` with a client built from `config` (see [`crate::load_config`]).
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    async fn get_item(&self, key: Item) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    async fn get_course_item(&self, id: &CourseId) -> StoreResult<Option<CourseItem>> {
        match self
            .get_item(key(keys::course_pk(id), keys::COURSE_SK))
            .await?
        {
            Some(item) => Ok(Some(from_item(item)?)),
            None => Ok(None),
        }
    }

    /// Reads a course, computes its next record with `next`, and writes the course item and
    /// its membership items in one transaction, on condition that nobody wrote the course in
    /// between (else it starts over).
    async fn write_course(
        &self,
        id: &CourseId,
        next: impl Fn(Option<CourseRecord>) -> StoreResult<CourseRecord>,
    ) -> StoreResult<CourseRecord> {
        for _ in 0..WRITE_ATTEMPTS {
            let old = self.get_course_item(id).await?;
            let version = old.as_ref().map_or(0, |o| o.version);
            let record = next(old.as_ref().map(|o| o.clone_record()))?;
            let new = CourseItem::new(record.clone(), version + 1);
            let actions = self.course_actions(old.as_ref(), &new)?;
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions))
                .send()
                .await
            {
                Ok(_) => return Ok(record),
                Err(e) if lost_race(&e) => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Unavailable(format!(
            "course {id} kept changing under {WRITE_ATTEMPTS} attempts to write it"
        )))
    }

    /// The transaction that moves a course from `old` to `new`: the course item, a put for
    /// each membership (its order key moves with the course), a delete for each set left.
    fn course_actions(
        &self,
        old: Option<&CourseItem>,
        new: &CourseItem,
    ) -> StoreResult<Vec<TransactWriteItem>> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(new)?));
        let put = match old {
            None => put
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK),
            Some(o) => put
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", AttributeValue::N(o.version.to_string())),
        };
        let mut actions = vec![TransactWriteItem::builder()
            .put(put.build().map_err(build)?)
            .build()];

        let now_in = new.memberships();
        for spec in &now_in {
            let item = to_item(&MembershipItem::new(new, spec))?;
            let put = Put::builder().table_name(&self.table).set_item(Some(item));
            actions.push(
                TransactWriteItem::builder()
                    .put(put.build().map_err(build)?)
                    .build(),
            );
        }
        let left: BTreeSet<SetSpec> = old
            .map(|o| o.memberships().difference(&now_in).cloned().collect())
            .unwrap_or_default();
        for spec in &left {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(new.pk.clone(), &keys::membership_sk(spec))));
            actions.push(
                TransactWriteItem::builder()
                    .delete(delete.build().map_err(build)?)
                    .build(),
            );
        }
        if actions.len() > MAX_TRANSACT_ITEMS {
            return Err(StoreError::Unavailable(format!(
                "course {} is in too many sets for one DynamoDB transaction ({} writes, at most \
                 {MAX_TRANSACT_ITEMS})",
                new.course.course_id,
                actions.len()
            )));
        }
        Ok(actions)
    }

    /// Up to `want` items of index partition `partition` with `lo <= gsi1sk <= hi`, in order,
    /// leaving out the one whose gsi1sk is `skip`. DynamoDB may end a page early (1 MB, or
    /// `Limit` counted before the skip), so this follows `LastEvaluatedKey` until it has
    /// `want` items or the range is exhausted.
    async fn query_range(
        &self,
        partition: &str,
        lo: &str,
        hi: &str,
        skip: Option<&str>,
        want: usize,
    ) -> StoreResult<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            // One more than needed, in case the skipped item is among them.
            let ask = i32::try_from(want - found.len() + 1).unwrap_or(i32::MAX);
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::GSI1)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#pk", keys::GSI1PK)
                .expression_attribute_names("#sk", keys::GSI1SK)
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                .expression_attribute_values(":lo", AttributeValue::S(lo.to_owned()))
                .expression_attribute_values(":hi", AttributeValue::S(hi.to_owned()))
                .limit(ask)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
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

    /// Every item of index partition `partition`, in index order.
    async fn query_all(&self, partition: &str) -> StoreResult<Vec<Item>> {
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
                .map_err(unavailable)?;
            found.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(found),
            }
        }
    }

    /// The items with these keys that exist, in no particular order. Duplicate keys are read
    /// once. Keys DynamoDB leaves unprocessed (throttling) are asked again, with backoff.
    async fn batch_get(&self, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let mut unique: Vec<Item> = Vec::with_capacity(keys.len());
        for k in keys {
            if !unique.contains(&k) {
                unique.push(k);
            }
        }
        let mut found = Vec::with_capacity(unique.len());
        for chunk in unique.chunks(MAX_BATCH_GET) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(build)?,
            );
            let mut attempt = 0;
            while let Some(request) = pending.take() {
                if attempt == BATCH_GET_ATTEMPTS {
                    return Err(StoreError::Unavailable(format!(
                        "BatchGetItem left keys unprocessed after {BATCH_GET_ATTEMPTS} attempts"
                    )));
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
                }
                attempt += 1;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(unavailable)?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(&self.table).unwrap_or_default());
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
            }
        }
        Ok(found)
    }

    /// The course records of these membership items, in their order. A course whose order
    /// key no longer matches its membership moved since the index was read: it is left out
    /// here and found again at its new place.
    async fn courses_of(&self, members: Vec<MembershipItem>) -> StoreResult<Vec<CourseRecord>> {
        let keys = members
            .iter()
            .map(|m| key(m.pk.clone(), keys::COURSE_SK))
            .collect();
        let mut by_pk: HashMap<String, CourseItem> = HashMap::new();
        for item in self.batch_get(keys).await? {
            let course: CourseItem = from_item(item)?;
            by_pk.insert(course.pk.clone(), course);
        }
        Ok(members
            .into_iter()
            .filter_map(|m| by_pk.remove(&m.pk).filter(|c| c.gsi1sk == m.gsi1sk))
            .map(CourseItem::into_record)
            .collect())
    }

    async fn meta_created(&self) -> StoreResult<Option<Datestamp>> {
        match self
            .get_item(key(keys::META_PK.to_owned(), keys::META_SK))
            .await?
        {
            Some(item) => Ok(Some(from_item::<MetaItem>(item)?.created)),
            None => Ok(None),
        }
    }

    /// The table's own creation time, for a table made without `create_table` (by
    /// CloudFormation), which has no meta item.
    async fn table_created(&self) -> StoreResult<Datestamp> {
        let out = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(unavailable)?;
        out.table
            .and_then(|t| t.creation_date_time)
            .and_then(|t| Datestamp::from_unix(t.secs()))
            .ok_or_else(|| StoreError::Corrupt("the table has no creation time".to_owned()))
    }

    async fn delete_conditionally(&self, key: Item) -> StoreResult<()> {
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
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::NotFound)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn put_plain(&self, item: Item) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

impl CourseItem {
    fn clone_record(&self) -> CourseRecord {
        CourseRecord {
            course: self.course.clone(),
            datestamp: self.datestamp,
            deleted: self.deleted,
        }
    }
}

#[async_trait]
impl CatalogStore for DynamoStore {
    async fn put_course(&self, course: Course, at: Datestamp) -> StoreResult<CourseRecord> {
        let id = course.course_id.clone();
        self.write_course(&id, |_| {
            Ok(CourseRecord {
                course: course.clone(),
                datestamp: at,
                deleted: false,
            })
        })
        .await
    }

    async fn delete_course(&self, id: &CourseId, at: Datestamp) -> StoreResult<CourseRecord> {
        self.write_course(id, |old| {
            let old = old.ok_or(StoreError::NotFound)?;
            Ok(CourseRecord {
                datestamp: at,
                deleted: true,
                ..old
            })
        })
        .await
    }

    async fn get_course(&self, id: &CourseId) -> StoreResult<Option<CourseRecord>> {
        Ok(self.get_course_item(id).await?.map(CourseItem::into_record))
    }

    async fn page_courses(&self, query: &RecordQuery) -> StoreResult<RecordPage> {
        let empty = RecordPage {
            records: Vec::new(),
            more: false,
        };
        let mut lo = keys::order_key_lower(query.from.unwrap_or(Datestamp::MIN));
        let hi = keys::order_key_upper(query.until.unwrap_or(Datestamp::MAX));
        let mut skip = None;
        if let Some(after) = &query.after {
            let after = order_key(after.datestamp, &after.course_id);
            if after >= lo {
                lo.clone_from(&after);
                skip = Some(after);
            }
        }
        // BETWEEN with lo > hi is an error in DynamoDB, and an empty window here.
        if lo > hi {
            return Ok(empty);
        }
        let partition = match &query.set {
            Some(spec) => keys::membership_partition(spec),
            None => keys::ALL_COURSES.to_owned(),
        };
        // One more than the page, to know whether more follow.
        let want = query.limit.saturating_add(1);
        let mut items = self
            .query_range(&partition, &lo, &hi, skip.as_deref(), want)
            .await?;
        let more = items.len() > query.limit;
        items.truncate(query.limit);
        let records = match &query.set {
            None => items
                .into_iter()
                .map(|i| from_item::<CourseItem>(i).map(CourseItem::into_record))
                .collect::<StoreResult<Vec<_>>>()?,
            Some(_) => {
                let members = items
                    .into_iter()
                    .map(from_item)
                    .collect::<StoreResult<Vec<MembershipItem>>>()?;
                self.courses_of(members).await?
            }
        };
        Ok(RecordPage { records, more })
    }

    async fn count_courses(&self, _query: &RecordQuery) -> StoreResult<Option<u64>> {
        // Counting reads every matching item; per page of a harvest that is not cheap.
        Ok(None)
    }

    async fn earliest_datestamp(&self) -> StoreResult<Datestamp> {
        let first = self
            .query_range(
                keys::ALL_COURSES,
                &keys::order_key_lower(Datestamp::MIN),
                &keys::order_key_upper(Datestamp::MAX),
                None,
                1,
            )
            .await?;
        if let Some(item) = first.first() {
            let sk = string_attr(item, keys::GSI1SK).unwrap_or_default();
            return parse_order_key(sk)
                .map(|p| p.datestamp)
                .ok_or_else(|| StoreError::Corrupt(format!("bad order key {sk:?}")));
        }
        match self.meta_created().await? {
            Some(created) => Ok(created),
            None => self.table_created().await,
        }
    }

    async fn put_teacher(&self, teacher: Teacher) -> StoreResult<()> {
        self.put_plain(to_item(&TeacherItem::new(teacher))?).await
    }

    async fn get_teachers(&self, ids: &[TeacherId]) -> StoreResult<Vec<Teacher>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys = ids
            .iter()
            .map(|id| key(keys::teacher_pk(id), keys::TEACHER_SK))
            .collect();
        let mut by_id: HashMap<TeacherId, Teacher> = HashMap::new();
        for item in self.batch_get(keys).await? {
            let t = from_item::<TeacherItem>(item)?.teacher;
            by_id.insert(t.id.clone(), t);
        }
        Ok(ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
    }

    async fn list_teachers(&self) -> StoreResult<Vec<Teacher>> {
        let items = self.query_all(keys::ALL_TEACHERS).await?;
        items
            .into_iter()
            .map(|i| from_item::<TeacherItem>(i).map(|t| t.teacher))
            .collect()
    }

    async fn delete_teacher(&self, id: &TeacherId) -> StoreResult<()> {
        self.delete_conditionally(key(keys::teacher_pk(id), keys::TEACHER_SK))
            .await
    }

    async fn put_set(&self, set: OaiSet) -> StoreResult<()> {
        self.put_plain(to_item(&SetItem::new(set))?).await
    }

    async fn list_sets(&self) -> StoreResult<Vec<OaiSet>> {
        let items = self.query_all(keys::ALL_SETS).await?;
        items
            .into_iter()
            .map(|i| from_item::<SetItem>(i).map(|s| s.set))
            .collect()
    }

    async fn delete_set(&self, spec: &SetSpec) -> StoreResult<()> {
        self.delete_conditionally(key(keys::set_pk(spec), keys::SET_SK))
            .await
    }
}

/// Whether a transaction failed because another write changed the course first.
fn lost_race<R>(e: &SdkError<TransactWriteItemsError, R>) -> bool {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => {
            t.cancellation_reasons().iter().any(|r| {
                matches!(
                    r.code(),
                    Some("ConditionalCheckFailed" | "TransactionConflict")
                )
            })
        }
        _ => false,
    }
}

/// A failed call: the store could not be reached or refused the request.
pub(crate) fn unavailable<E: std::error::Error + 'static>(e: E) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(&e).to_string())
}

/// A request the SDK refused to build (a required field missing): a bug here, reported as
/// the store refusing the request.
fn build(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(format!("invalid DynamoDB request: {e}"))
}
