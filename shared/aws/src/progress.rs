//! The progress projection on the catalog's table (layout in [`crate::keys`]): a partition per
//! ECO user, an item per course.
//!
//! A batch is merged in three steps. It reads the items it touches, consistently, with
//! BatchGetItem (unprocessed keys asked again). It then plans each merge with the core's
//! [`plan_merge`]; a state that adds nothing is not written at all. Last, it writes each
//! changed state with one UpdateItem, 16 at a time:
//! - `ADD` for the new elements of the three sets (blocks and scores string sets, buckets a
//!   number set; a score is its entry text, `Score::to_entry`; an empty set is never written), conditioned on the set's size leaving room for them, so concurrent writers
//!   never take a set past its bound, nor the item past 400 KB;
//! - `SET` for the scalars that moved, conditioned on their values as read. The two parts of
//!   a last-writer-wins register (enrollment time and state, grade time and percent) are set
//!   and checked together, so a concurrent writer cannot pair one's time with the other's value.
//!
//! A failed condition means a concurrent writer: the state is read again (GetItem,
//! consistent), planned again and written again, up to [`MAX_PROGRESS_ATTEMPTS`] times. Merging is
//! idempotent, so this converges on the join of every writer's state.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use pokeco_core::catalog::CourseId;
use pokeco_core::pipeline::EcoSub;
use pokeco_core::progress::{
    by_key, plan_merge, CourseProgress, Enrollment, Grade, MergePlan, ProgressStore, Score,
    MAX_BLOCKS, MAX_BUCKETS, MAX_SCORES,
};
use pokeco_core::store::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::errors::{condition_failed, failed};
use crate::items::{from_item, key, Item};
use crate::keys;
use crate::pipeline::delete_request;
use crate::DynamoStore;

/// How often one state is written before concurrent writers are reported as `Unavailable`.
pub const MAX_PROGRESS_ATTEMPTS: u32 = 8;
/// UpdateItems in flight at once for one batch.
const IN_FLIGHT: usize = 16;

/// A state as its item holds it. Every part is optional (an item holds what was ever set);
/// the sets are DynamoDB sets, absent rather than empty.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ProgressItem {
    pk: String,
    /// The course id.
    sk: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrolled_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrolled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_view: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_view: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grade_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grade: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_passed: Option<i64>,
    #[serde(
        default,
        with = "serde_dynamo::string_set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    blocks: BTreeSet<String>,
    #[serde(
        default,
        with = "serde_dynamo::number_set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    buckets: BTreeSet<i64>,
    /// The problem scores, as their entries (`Score::to_entry`).
    #[serde(
        default,
        with = "serde_dynamo::string_set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    scores: BTreeSet<String>,
}

impl ProgressItem {
    fn into_state(self) -> StoreResult<(CourseId, CourseProgress)> {
        let half = |what| StoreError::Corrupt(format!("item {} {}: half {what}", self.pk, self.sk));
        let enrollment = match (self.enrolled_at, self.enrolled) {
            (Some(at_ms), Some(active)) => Some(Enrollment { at_ms, active }),
            (None, None) => None,
            _ => return Err(half("an enrollment")),
        };
        let grade = match (self.grade_at, self.grade) {
            (Some(at_ms), Some(percent)) => Some(Grade { at_ms, percent }),
            (None, None) => None,
            _ => return Err(half("a grade")),
        };
        let course = self
            .sk
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("item {} {}: {e}", self.pk, self.sk)))?;
        let scores = self
            .scores
            .iter()
            .map(|entry| {
                Score::from_entry(entry).ok_or_else(|| {
                    StoreError::Corrupt(format!("item {} {}: score {entry:?}", self.pk, self.sk))
                })
            })
            .collect::<StoreResult<BTreeSet<Score>>>()?;
        Ok((
            course,
            CourseProgress {
                enrollment,
                first_view_ms: self.first_view,
                last_view_ms: self.last_view,
                blocks: self.blocks,
                buckets: self.buckets,
                grade,
                first_passed_ms: self.first_passed,
                scores,
            },
        ))
    }
}

fn state_of(item: Item) -> StoreResult<CourseProgress> {
    Ok(from_item::<ProgressItem>(item)?.into_state()?.1)
}

fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// The scalar attributes of a state, grouped by register: a group is written and checked as
/// one.
fn registers(s: &CourseProgress) -> [Vec<(&'static str, Option<AttributeValue>)>; 5] {
    [
        vec![
            ("enrolled_at", s.enrollment.map(|e| number(e.at_ms))),
            (
                "enrolled",
                s.enrollment.map(|e| AttributeValue::Bool(e.active)),
            ),
        ],
        vec![("first_view", s.first_view_ms.map(number))],
        vec![("last_view", s.last_view_ms.map(number))],
        vec![
            ("grade_at", s.grade.map(|g| number(g.at_ms))),
            // Rust writes the shortest text that reads back as the same double.
            ("grade", s.grade.map(|g| number(g.percent))),
        ],
        vec![("first_passed", s.first_passed_ms.map(number))],
    ]
}

/// One UpdateItem's expressions.
#[derive(Debug, Default, PartialEq)]
struct Update {
    expression: String,
    condition: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

/// The UpdateItem that turns `stored` (as read) into the plan's state; `None` when it would
/// write nothing.
fn update(stored: Option<&CourseProgress>, plan: &MergePlan) -> Option<Update> {
    let mut u = Update::default();
    let (mut sets, mut adds, mut conditions) = (Vec::new(), Vec::new(), Vec::new());
    let before = stored.map(registers);
    for (i, group) in registers(&plan.merged).into_iter().enumerate() {
        let old = before.as_ref().map(|b| &b[i]);
        let old_value = |j: usize| old.and_then(|o| o[j].1.clone());
        if group
            .iter()
            .enumerate()
            .all(|(j, (_, v))| *v == old_value(j))
        {
            continue;
        }
        for (j, (name, value)) in group.into_iter().enumerate() {
            // A merge never unsets a part, so a moved register has every value.
            let Some(value) = value else { continue };
            u.names.insert(format!("#{name}"), name.to_owned());
            sets.push(format!("#{name} = :{name}"));
            u.values.insert(format!(":{name}"), value);
            match old_value(j) {
                Some(was) => {
                    conditions.push(format!("#{name} = :was_{name}"));
                    u.values.insert(format!(":was_{name}"), was);
                }
                None => conditions.push(format!("attribute_not_exists(#{name})")),
            }
        }
    }
    let mut add = |name: &str, set: AttributeValue, count: usize, bound: usize| {
        u.names.insert(format!("#{name}"), name.to_owned());
        adds.push(format!("#{name} :{name}"));
        u.values.insert(format!(":{name}"), set);
        // Room for what this adds, whatever concurrent writers added since the read.
        conditions.push(format!(
            "(attribute_not_exists(#{name}) OR size(#{name}) <= :room_{name})"
        ));
        u.values
            .insert(format!(":room_{name}"), number(bound.saturating_sub(count)));
    };
    if !plan.new_blocks.is_empty() {
        let set = AttributeValue::Ss(plan.new_blocks.clone());
        add("blocks", set, plan.new_blocks.len(), MAX_BLOCKS);
    }
    if !plan.new_buckets.is_empty() {
        let set = AttributeValue::Ns(plan.new_buckets.iter().map(i64::to_string).collect());
        add("buckets", set, plan.new_buckets.len(), MAX_BUCKETS);
    }
    if !plan.new_scores.is_empty() {
        let set = AttributeValue::Ss(plan.new_scores.iter().map(Score::to_entry).collect());
        add("scores", set, plan.new_scores.len(), MAX_SCORES);
    }
    if sets.is_empty() && adds.is_empty() {
        return None;
    }
    let mut expression = Vec::new();
    if !sets.is_empty() {
        expression.push(format!("SET {}", sets.join(", ")));
    }
    if !adds.is_empty() {
        expression.push(format!("ADD {}", adds.join(", ")));
    }
    u.expression = expression.join(" ");
    u.condition = conditions.join(" AND ");
    Some(u)
}

impl DynamoStore {
    /// Writes one state's plan, reading and planning again while concurrent writers win the
    /// conditions. Answers whether the stored state changed.
    async fn merge_one(
        &self,
        pk: String,
        course: String,
        mut stored: Option<CourseProgress>,
        incoming: CourseProgress,
        mut plan: MergePlan,
    ) -> StoreResult<bool> {
        for attempt in 0..MAX_PROGRESS_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(5 << attempt.min(6))).await;
                stored = self
                    .get_item(key(pk.clone(), &course))
                    .await?
                    .map(state_of)
                    .transpose()?;
                match plan_merge(stored.as_ref(), &incoming) {
                    Some(again) => plan = again,
                    // A concurrent writer already stored everything this state tells.
                    None => return Ok(false),
                }
            }
            let Some(u) = update(stored.as_ref(), &plan) else {
                return Ok(false);
            };
            let sent = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(pk.clone(), &course)))
                .update_expression(u.expression)
                .condition_expression(u.condition)
                .set_expression_attribute_names(Some(u.names))
                .set_expression_attribute_values(Some(u.values))
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(true),
                Err(e) if condition_failed(&e) => {}
                Err(e) => return Err(failed(e)),
            }
        }
        Err(StoreError::Unavailable(format!(
            "the progress of {pk} in {course} kept changing under {MAX_PROGRESS_ATTEMPTS} attempts"
        )))
    }

    /// The keys of one user's items.
    async fn progress_items(&self, sub: &EcoSub, keys_only: bool) -> StoreResult<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":pk", AttributeValue::S(keys::progress_pk(sub)))
                .consistent_read(true)
                .set_exclusive_start_key(start.take());
            if keys_only {
                query = query
                    .projection_expression("#pk, #sk")
                    .expression_attribute_names("#sk", keys::SK);
            }
            let out = query.send().await.map_err(failed)?;
            found.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(found),
            }
        }
    }
}

/// The answer of a merge task: whether it changed its state.
fn joined(r: Result<StoreResult<bool>, tokio::task::JoinError>) -> StoreResult<u64> {
    match r {
        Ok(changed) => changed.map(u64::from),
        Err(e) => Err(StoreError::Unavailable(format!(
            "a progress write failed: {e}"
        ))),
    }
}

#[async_trait]
impl ProgressStore for DynamoStore {
    async fn merge_progress(
        &self,
        batch: &[(EcoSub, CourseId, CourseProgress)],
    ) -> StoreResult<u64> {
        let states = by_key(batch);
        if states.is_empty() {
            return Ok(0);
        }
        let keys = states
            .keys()
            .map(|(sub, course)| key(keys::progress_pk(sub), course.as_str()))
            .collect();
        let mut stored: HashMap<(String, String), CourseProgress> = HashMap::new();
        for item in self.batch_get(keys).await? {
            let item = from_item::<ProgressItem>(item)?;
            let key = (item.pk.clone(), item.sk.clone());
            stored.insert(key, item.into_state()?.1);
        }
        let mut tasks = JoinSet::new();
        let mut changed = 0;
        for ((sub, course), incoming) in states {
            let (pk, course) = (keys::progress_pk(&sub), course.to_string());
            let read = stored.remove(&(pk.clone(), course.clone()));
            // A state that adds nothing (a replay, a redelivery) costs its read only.
            let Some(plan) = plan_merge(read.as_ref(), &incoming) else {
                continue;
            };
            if tasks.len() >= IN_FLIGHT {
                if let Some(done) = tasks.join_next().await {
                    changed += joined(done)?;
                }
            }
            let store = self.clone();
            tasks.spawn(async move { store.merge_one(pk, course, read, incoming, plan).await });
        }
        while let Some(done) = tasks.join_next().await {
            changed += joined(done)?;
        }
        Ok(changed)
    }

    async fn user_progress(&self, sub: &EcoSub) -> StoreResult<Vec<(CourseId, CourseProgress)>> {
        self.progress_items(sub, false)
            .await?
            .into_iter()
            .map(|item| from_item::<ProgressItem>(item)?.into_state())
            .collect()
    }

    async fn delete_user_progress(&self, sub: &EcoSub) -> StoreResult<u64> {
        let items = self.progress_items(sub, true).await?;
        let count = items.len() as u64;
        let requests = items
            .into_iter()
            .map(delete_request)
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(requests).await?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(stored: Option<&CourseProgress>, incoming: &CourseProgress) -> Update {
        update(stored, &plan_merge(stored, incoming).unwrap()).unwrap()
    }

    #[test]
    fn a_new_item_is_written_with_every_part_absent_before() {
        let incoming = CourseProgress {
            enrollment: Some(Enrollment {
                at_ms: 5,
                active: true,
            }),
            last_view_ms: Some(9),
            blocks: ["b".to_owned()].into(),
            buckets: [3].into(),
            scores: [Score {
                at_ms: 7,
                problem: "b".to_owned(),
                earned: 0.5,
                possible: 1.0,
            }]
            .into(),
            ..CourseProgress::default()
        };
        let u = plan(None, &incoming);
        assert_eq!(
            u.expression,
            "SET #enrolled_at = :enrolled_at, #enrolled = :enrolled, #last_view = :last_view \
             ADD #blocks :blocks, #buckets :buckets, #scores :scores"
        );
        assert_eq!(
            u.condition,
            "attribute_not_exists(#enrolled_at) AND attribute_not_exists(#enrolled) AND \
             attribute_not_exists(#last_view) AND \
             (attribute_not_exists(#blocks) OR size(#blocks) <= :room_blocks) AND \
             (attribute_not_exists(#buckets) OR size(#buckets) <= :room_buckets) AND \
             (attribute_not_exists(#scores) OR size(#scores) <= :room_scores)"
        );
        assert_eq!(u.values[":room_blocks"], number(MAX_BLOCKS - 1));
        assert_eq!(u.values[":buckets"], AttributeValue::Ns(vec!["3".into()]));
        assert_eq!(
            u.values[":scores"],
            AttributeValue::Ss(vec!["7 0.5 1 b".into()])
        );
        assert_eq!(u.values[":room_scores"], number(MAX_SCORES - 1));
        assert_eq!(u.values[":enrolled"], AttributeValue::Bool(true));
    }

    #[test]
    fn only_moved_registers_are_set_each_checked_whole() {
        let stored = CourseProgress {
            enrollment: Some(Enrollment {
                at_ms: 5,
                active: true,
            }),
            first_view_ms: Some(1),
            last_view_ms: Some(9),
            grade: Some(Grade {
                at_ms: 2,
                percent: 100.0 / 3.0,
            }),
            blocks: ["b".to_owned()].into(),
            ..CourseProgress::default()
        };
        // Deactivated at the same millisecond: only `enrolled` moves, both are checked.
        let incoming = CourseProgress {
            enrollment: Some(Enrollment {
                at_ms: 5,
                active: false,
            }),
            last_view_ms: Some(4),
            blocks: ["b".to_owned()].into(),
            ..CourseProgress::default()
        };
        let u = plan(Some(&stored), &incoming);
        assert_eq!(
            u.expression,
            "SET #enrolled_at = :enrolled_at, #enrolled = :enrolled"
        );
        assert_eq!(
            u.condition,
            "#enrolled_at = :was_enrolled_at AND #enrolled = :was_enrolled"
        );
        assert_eq!(u.values[":was_enrolled"], AttributeValue::Bool(true));
        // A later grade: its time and percent, as the shortest exact text.
        let graded = CourseProgress {
            grade: Some(Grade {
                at_ms: 3,
                percent: 0.57 * 100.0,
            }),
            ..CourseProgress::default()
        };
        let u = plan(Some(&stored), &graded);
        assert_eq!(u.values[":grade"], number("56.99999999999999"));
        assert_eq!(u.values[":was_grade"], number("33.333333333333336"));
        assert!(!u.expression.contains("ADD"));
    }

    #[test]
    fn an_item_reads_back_as_its_state_and_half_a_register_is_corrupt() {
        let item = ProgressItem {
            pk: "PROGRESS#x".into(),
            sk: "Org/A/1".into(),
            enrolled_at: Some(1),
            enrolled: Some(false),
            first_view: None,
            last_view: Some(3),
            grade_at: None,
            grade: None,
            first_passed: None,
            blocks: ["a".to_owned()].into(),
            buckets: BTreeSet::new(),
            scores: ["5 1 2 i4x://Org/A/problem/p".to_owned()].into(),
        };
        let encoded = crate::items::to_item(&item).unwrap();
        assert!(matches!(encoded.get("blocks"), Some(AttributeValue::Ss(_))));
        let (course, state) = from_item::<ProgressItem>(encoded)
            .unwrap()
            .into_state()
            .unwrap();
        assert_eq!(course.as_str(), "Org/A/1");
        assert_eq!(state.last_view_ms, Some(3));
        assert!(state.buckets.is_empty());
        assert_eq!(
            state.scores.first().map(|s| (s.at_ms, s.earned)),
            Some((5, 1.0))
        );
        let bad_score = ProgressItem {
            pk: item.pk.clone(),
            sk: item.sk.clone(),
            scores: ["5 3 2 p".to_owned()].into(),
            ..ProgressItem::default()
        };
        assert!(matches!(
            bad_score.into_state(),
            Err(StoreError::Corrupt(_))
        ));
        let half = ProgressItem {
            enrolled: None,
            ..item
        };
        assert!(matches!(half.into_state(), Err(StoreError::Corrupt(_))));
    }
}
