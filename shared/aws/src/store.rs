//! [`DynamoStore`]: the catalog on one DynamoDB table (layout in [`crate::keys`]).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use pokeco_core::catalog::{Course, CourseId, CourseRecord, OaiSet, SetSpec, Teacher, TeacherId};
use pokeco_core::order::{order_key, parse_order_key};
use pokeco_core::store::{CatalogStore, RecordPage, RecordQuery, StoreError, StoreResult};
use pokeco_core::Datestamp;
use serde::Serialize;

use crate::errors::{condition_failed, failed};
use crate::items::{
    from_item, key, string_attr, to_attr, CourseItem, Item, MembershipItem, MetaItem, SetItem,
    TeacherItem,
};
use crate::keys;
use crate::reads::IndexRange;

/// How long after a commit the `gsi1` index may still not show it. DynamoDB propagates index
/// updates "usually within a second"; lists stop this far behind now.
pub const DEFAULT_LIST_LAG_SECONDS: u32 = 5;

/// The catalog in one DynamoDB table. Cheap to clone: the SDK client is shared.
///
/// Listings (pages, teachers, sets) read the `gsi1` index, which DynamoDB keeps eventually
/// consistent; single reads and batches are consistent.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    list_lag: u32,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            list_lag: DEFAULT_LIST_LAG_SECONDS,
        }
    }

    /// A store on `table` with a client built from `config` (see [`crate::load_config`]).
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The meta item; all defaults when there is none (a table CloudFormation made).
    pub(crate) async fn meta(&self) -> StoreResult<MetaItem> {
        let item = self
            .get_item(key(keys::META_PK.to_owned(), keys::META_SK))
            .await?;
        item.map_or_else(|| Ok(MetaItem::default()), from_item)
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

    /// Up to `want` records of a set's range after `skip`. Stale memberships (the index still
    /// shows a course where it was) are dropped, and reading goes on until the page is full or
    /// the range ends, so a page is never short while records remain.
    async fn set_records(
        &self,
        range: &IndexRange<'_>,
        mut skip: Option<String>,
        want: usize,
    ) -> StoreResult<Vec<CourseRecord>> {
        let mut records = Vec::with_capacity(want);
        let mut lo = range.lo.to_owned();
        loop {
            let asked = want - records.len();
            let window = IndexRange { lo: &lo, ..*range };
            let items = self.query_range(&window, skip.as_deref(), asked).await?;
            let exhausted = items.len() < asked;
            let members = items
                .into_iter()
                .map(from_item)
                .collect::<StoreResult<Vec<MembershipItem>>>()?;
            let last = members.last().map(|m| m.gsi1sk.clone());
            records.extend(self.courses_of(members).await?);
            match last {
                Some(last) if !exhausted && records.len() < want => {
                    lo.clone_from(&last);
                    skip = Some(last);
                }
                _ => return Ok(records),
            }
        }
    }

    /// The records with these ids that exist, in the order of `ids`, read consistently in
    /// batches; `record` turns an item into its id and record.
    async fn get_many<K, I, T>(
        &self,
        ids: &[K],
        key_of: impl Fn(&K) -> Item,
        record: impl Fn(I) -> (K, T),
    ) -> StoreResult<Vec<T>>
    where
        K: Eq + std::hash::Hash,
        I: serde::de::DeserializeOwned,
        T: Clone,
    {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut by_id: HashMap<K, T> = HashMap::with_capacity(ids.len());
        for item in self.batch_get(ids.iter().map(key_of).collect()).await? {
            let (id, value) = record(from_item(item)?);
            by_id.insert(id, value);
        }
        Ok(ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
    }

    /// Writes a teacher or set item's content, leaving its reference count as it is.
    async fn put_content<T: Serialize>(
        &self,
        key: Item,
        (attribute, value): (&str, &T),
        order: (&str, &str),
    ) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("SET #c = :c, #gp = :gp, #gs = :gs")
            .expression_attribute_names("#c", attribute)
            .expression_attribute_names("#gp", keys::GSI1PK)
            .expression_attribute_names("#gs", keys::GSI1SK)
            .expression_attribute_values(":c", to_attr(value)?)
            .expression_attribute_values(":gp", AttributeValue::S(order.0.to_owned()))
            .expression_attribute_values(":gs", AttributeValue::S(order.1.to_owned()))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Deletes a teacher or set item unless live courses name it: `Conflict` naming how many,
    /// `NotFound` when there is no item.
    async fn delete_unreferenced(&self, key: Item, what: &str) -> StoreResult<()> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(#refs) OR #refs <= :zero)",
            )
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#refs", keys::REFS)
            .expression_attribute_values(":zero", AttributeValue::N("0".to_owned()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => match self.get_item(key).await? {
                None => Err(StoreError::NotFound),
                Some(item) => {
                    let refs = item
                        .get(keys::REFS)
                        .and_then(|v| v.as_n().ok())
                        .map_or("some", String::as_str)
                        .to_owned();
                    Err(StoreError::Conflict(format!(
                        "{refs} live course(s) name {what}; change or delete them first"
                    )))
                }
            },
            Err(e) => Err(failed(e)),
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
            .map_err(failed)?;
        out.table
            .and_then(|t| t.creation_date_time)
            .and_then(|t| Datestamp::from_unix(t.secs()))
            .ok_or_else(|| StoreError::Corrupt("the table has no creation time".to_owned()))
    }
}

#[async_trait]
impl CatalogStore for DynamoStore {
    async fn put_course(&self, course: Course, now: Datestamp) -> StoreResult<CourseRecord> {
        let id = course.course_id.clone();
        self.write_course(&id, |_| {
            Ok(CourseRecord {
                course: course.clone(),
                datestamp: now,
                deleted: false,
            })
        })
        .await
    }

    async fn delete_course(&self, id: &CourseId, now: Datestamp) -> StoreResult<CourseRecord> {
        self.write_course(id, |old| {
            let old = old.ok_or(StoreError::NotFound)?;
            Ok(CourseRecord {
                datestamp: now,
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
        // One more than the page, to know whether more follow.
        let want = query.limit.saturating_add(1);
        let mut records = match &query.set {
            None => {
                let range = IndexRange {
                    partition: keys::ALL_COURSES,
                    lo: &lo,
                    hi: &hi,
                };
                self.query_range(&range, skip.as_deref(), want)
                    .await?
                    .into_iter()
                    .map(|i| from_item::<CourseItem>(i).map(CourseItem::into_record))
                    .collect::<StoreResult<Vec<_>>>()?
            }
            Some(spec) => {
                let partition = keys::membership_partition(spec);
                let range = IndexRange {
                    partition: &partition,
                    lo: &lo,
                    hi: &hi,
                };
                self.set_records(&range, skip, want).await?
            }
        };
        let more = records.len() > query.limit;
        records.truncate(query.limit);
        Ok(RecordPage { records, more })
    }

    async fn count_courses(&self, query: &RecordQuery) -> StoreResult<Option<u64>> {
        let lo = keys::order_key_lower(query.from.unwrap_or(Datestamp::MIN));
        let hi = keys::order_key_upper(query.until.unwrap_or(Datestamp::MAX));
        if lo > hi {
            return Ok(Some(0));
        }
        let partition = match &query.set {
            Some(spec) => keys::membership_partition(spec),
            None => keys::ALL_COURSES.to_owned(),
        };
        let range = IndexRange {
            partition: &partition,
            lo: &lo,
            hi: &hi,
        };
        self.count_range(&range).await
    }

    async fn earliest_datestamp(&self) -> StoreResult<Datestamp> {
        let range = IndexRange {
            partition: keys::ALL_COURSES,
            lo: &keys::order_key_lower(Datestamp::MIN),
            hi: &keys::order_key_upper(Datestamp::MAX),
        };
        let first = self.query_range(&range, None, 1).await?;
        if let Some(item) = first.first() {
            let sk = string_attr(item, keys::GSI1SK).unwrap_or_default();
            return parse_order_key(sk)
                .map(|p| p.datestamp)
                .ok_or_else(|| StoreError::Corrupt(format!("bad order key {sk:?}")));
        }
        match self.meta().await?.created {
            Some(created) => Ok(created),
            None => self.table_created().await,
        }
    }

    async fn advance_horizon(&self, to: Datestamp) -> StoreResult<Datestamp> {
        let raised = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::META_PK.to_owned(), keys::META_SK)))
            .update_expression("SET #h = :h")
            .condition_expression("attribute_not_exists(#h) OR #h < :h")
            .expression_attribute_names("#h", keys::HORIZON)
            .expression_attribute_values(":h", AttributeValue::S(to.to_string()))
            .send()
            .await;
        match raised {
            Ok(_) => Ok(to),
            // Already at or past `to`: another list got there first.
            Err(e) if condition_failed(&e) => Ok(self.meta().await?.horizon.unwrap_or(to).max(to)),
            Err(e) => Err(failed(e)),
        }
    }

    fn list_lag_seconds(&self) -> u32 {
        self.list_lag
    }

    async fn put_teacher(&self, teacher: Teacher) -> StoreResult<()> {
        let id = teacher.id.to_string();
        let key = key(keys::teacher_pk(&teacher.id), keys::TEACHER_SK);
        self.put_content(key, ("teacher", &teacher), (keys::ALL_TEACHERS, &id))
            .await
    }

    async fn get_teachers(&self, ids: &[TeacherId]) -> StoreResult<Vec<Teacher>> {
        let key_of = |id: &TeacherId| key(keys::teacher_pk(id), keys::TEACHER_SK);
        self.get_many(ids, key_of, |t: TeacherItem| {
            (t.teacher.id.clone(), t.teacher)
        })
        .await
    }

    async fn list_teachers(&self) -> StoreResult<Vec<Teacher>> {
        let items = self.query_all(keys::ALL_TEACHERS).await?;
        items
            .into_iter()
            .map(|i| from_item::<TeacherItem>(i).map(|t| t.teacher))
            .collect()
    }

    async fn delete_teacher(&self, id: &TeacherId) -> StoreResult<()> {
        let key = key(keys::teacher_pk(id), keys::TEACHER_SK);
        self.delete_unreferenced(key, &format!("teacher {:?}", id.as_str()))
            .await
    }

    async fn put_set(&self, set: OaiSet) -> StoreResult<()> {
        let spec = set.spec.to_string();
        let key = key(keys::set_pk(&set.spec), keys::SET_SK);
        self.put_content(key, ("set", &set), (keys::ALL_SETS, &spec))
            .await
    }

    async fn get_sets(&self, specs: &[SetSpec]) -> StoreResult<Vec<OaiSet>> {
        let key_of = |spec: &SetSpec| key(keys::set_pk(spec), keys::SET_SK);
        self.get_many(specs, key_of, |s: SetItem| (s.set.spec.clone(), s.set))
            .await
    }

    async fn list_sets(&self) -> StoreResult<Vec<OaiSet>> {
        let items = self.query_all(keys::ALL_SETS).await?;
        items
            .into_iter()
            .map(|i| from_item::<SetItem>(i).map(|s| s.set))
            .collect()
    }

    async fn delete_set(&self, spec: &SetSpec) -> StoreResult<()> {
        let key = key(keys::set_pk(spec), keys::SET_SK);
        self.delete_unreferenced(key, &format!("set {:?}", spec.as_str()))
            .await
    }
}
