//! A course write as one DynamoDB transaction: the course item (conditional on the version it
//! was computed from), the harvest-horizon check, the set memberships re-keyed to the new
//! datestamp, and the reference counts of the teachers and sets named before and after. The
//! shared validation bounds a course so that this never exceeds 100 actions.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use pokeco_core::catalog::{CourseId, CourseRecord};
use pokeco_core::store::{StoreError, StoreResult};
use pokeco_core::Datestamp;

use crate::errors::{build, failed};
use crate::items::{from_item, key, to_item, CourseItem, MembershipItem};
use crate::keys;
use crate::DynamoStore;

/// DynamoDB's limit on the actions of one TransactWriteItems.
const MAX_TRANSACT_ITEMS: usize = 100;
/// How often a course write is recomputed when another write got there first.
const WRITE_ATTEMPTS: u32 = 5;

/// A record a course names: the key of its item, and how to say it is missing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Named {
    Teacher(String),
    Set(String),
}

impl Named {
    fn key(&self) -> crate::items::Item {
        match self {
            Self::Teacher(id) => key(format!("{}{id}", keys::TEACHER_PREFIX), keys::TEACHER_SK),
            Self::Set(spec) => key(format!("{}{spec}", keys::SET_PREFIX), keys::SET_SK),
        }
    }

    fn missing(&self) -> StoreError {
        StoreError::Conflict(match self {
            Self::Teacher(id) => format!("no teacher has the id {id:?}"),
            Self::Set(spec) => format!("no set has the spec {spec:?}"),
        })
    }
}

/// Why each action of a course transaction is there, to read its cancellation reason.
enum Action {
    Course,
    Horizon,
    Membership,
    Reference(Named, i64),
}

fn names(item: Option<&CourseItem>) -> BTreeSet<Named> {
    let Some(item) = item else {
        return BTreeSet::new();
    };
    let teachers = item
        .teacher_refs()
        .into_iter()
        .map(|t| Named::Teacher(t.into()));
    let sets = item.set_refs().into_iter().map(|s| Named::Set(s.into()));
    teachers.chain(sets).collect()
}

impl DynamoStore {
    pub(crate) async fn get_course_item(&self, id: &CourseId) -> StoreResult<Option<CourseItem>> {
        let key = key(keys::course_pk(id), keys::COURSE_SK);
        self.get_item(key).await?.map(from_item).transpose()
    }

    /// Reads a course, computes its next record with `next`, dates it no earlier than the
    /// horizon, and writes it in one transaction; starts over when another write changed the
    /// course or the horizon in between.
    pub(crate) async fn write_course(
        &self,
        id: &CourseId,
        next: impl Fn(Option<CourseRecord>) -> StoreResult<CourseRecord>,
    ) -> StoreResult<CourseRecord> {
        // Names whose item is gone although the old course counted on it (data written before
        // reference counts): their count is left alone rather than failing every write.
        let mut gone = BTreeSet::new();
        for _ in 0..WRITE_ATTEMPTS {
            let old = self.get_course_item(id).await?;
            let horizon = self.meta().await?.horizon.unwrap_or(Datestamp::MIN);
            let version = old.as_ref().map_or(0, |o| o.version);
            let mut record = next(old.as_ref().map(CourseItem::to_record))?;
            record.datestamp = record.datestamp.max(horizon);
            let new = CourseItem::new(record.clone(), version + 1);
            let (items, actions) = self.course_actions(old.as_ref(), &new, &gone)?;
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let Err(e) = sent else {
                return Ok(record);
            };
            for (reason, action) in cancellation_reasons(e)?.iter().zip(&actions) {
                match (reason.code(), action) {
                    (Some("ConditionalCheckFailed"), Action::Reference(named, n)) if *n > 0 => {
                        return Err(named.missing())
                    }
                    (Some("ConditionalCheckFailed"), Action::Reference(named, _)) => {
                        gone.insert(named.clone());
                    }
                    (Some("ValidationError"), _) => {
                        return Err(StoreError::Rejected(
                            reason.message().unwrap_or("ValidationError").to_owned(),
                        ))
                    }
                    // A lost race on the course or the horizon, or a transaction conflict:
                    // computed again from what is there now.
                    _ => {}
                }
            }
        }
        Err(StoreError::Unavailable(format!(
            "course {id} kept changing under {WRITE_ATTEMPTS} attempts to write it"
        )))
    }

    /// The transaction that moves a course from `old` to `new`, and what each action is for.
    fn course_actions(
        &self,
        old: Option<&CourseItem>,
        new: &CourseItem,
        gone: &BTreeSet<Named>,
    ) -> StoreResult<(Vec<TransactWriteItem>, Vec<Action>)> {
        let mut items = Vec::new();
        let mut actions = Vec::new();
        let mut push = |item: TransactWriteItem, action: Action| {
            items.push(item);
            actions.push(action);
        };

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
        push(
            TransactWriteItem::builder()
                .put(put.build().map_err(build)?)
                .build(),
            Action::Course,
        );

        let horizon = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::META_PK.to_owned(), keys::META_SK)))
            .condition_expression("attribute_not_exists(#h) OR #h <= :d")
            .expression_attribute_names("#h", keys::HORIZON)
            .expression_attribute_values(":d", AttributeValue::S(new.datestamp.to_string()))
            .build()
            .map_err(build)?;
        push(
            TransactWriteItem::builder()
                .condition_check(horizon)
                .build(),
            Action::Horizon,
        );

        let now_in = new.memberships();
        for spec in &now_in {
            let item = to_item(&MembershipItem::new(new, spec))?;
            let put = Put::builder().table_name(&self.table).set_item(Some(item));
            push(
                TransactWriteItem::builder()
                    .put(put.build().map_err(build)?)
                    .build(),
                Action::Membership,
            );
        }
        let left = old.map(|o| o.memberships()).unwrap_or_default();
        for spec in left.difference(&now_in) {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(new.pk.clone(), &keys::membership_sk(spec))));
            push(
                TransactWriteItem::builder()
                    .delete(delete.build().map_err(build)?)
                    .build(),
                Action::Membership,
            );
        }

        let (before, after) = (names(old), names(Some(new)));
        let changes = after.difference(&before).map(|n| (n, 1)).chain(
            before
                .difference(&after)
                .filter(|n| !gone.contains(n))
                .map(|n| (n, -1)),
        );
        for (named, n) in changes {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(named.key()))
                .update_expression("ADD #refs :n")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#refs", keys::REFS)
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
                .build()
                .map_err(build)?;
            push(
                TransactWriteItem::builder().update(update).build(),
                Action::Reference(named.clone(), n),
            );
        }

        if items.len() > MAX_TRANSACT_ITEMS {
            return Err(StoreError::Rejected(format!(
                "course {} needs {} writes, more than one DynamoDB transaction holds \
                 ({MAX_TRANSACT_ITEMS}); validation should have refused it",
                new.course.course_id,
                items.len()
            )));
        }
        Ok((items, actions))
    }
}

/// The reasons of a cancelled transaction, one per action; any other failure as the store's.
fn cancellation_reasons<R>(
    e: SdkError<TransactWriteItemsError, R>,
) -> StoreResult<Vec<CancellationReason>>
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => {
            Ok(t.cancellation_reasons().to_vec())
        }
        Some(TransactWriteItemsError::TransactionInProgressException(_)) => Ok(Vec::new()),
        _ => Err(failed(e)),
    }
}
