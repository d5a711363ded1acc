//! The contracts every [`CatalogStore`](crate::store::CatalogStore),
//! [`StatementQueue`](crate::queue::StatementQueue),
//! [`PipelineStore`](crate::pipeline::PipelineStore) and
//! [`StructureStore`](crate::structure::StructureStore) and
//! [`ProgressStore`](crate::progress::ProgressStore) keep, as generic async checks (feature
//! `contract`).
//!
//! Each check takes a fresh, empty store and panics on the first broken promise. An adapter
//! crate runs them all, each as its own test, with one line:
//!
//! ```text
//! async fn fresh_store() -> MyStore { /* a new, empty store */ }
//! pokeco_core::catalog_store_contract!(fresh_store);
//! ```
//!
//! The macro also adds a test that fails when a check of this module is missing from its list,
//! so a new check cannot be skipped silently. [`scripted_pages`] runs one fixed script and
//! returns every page it read, so a test can hold two stores to identical answers.

// Test code compiled into the library so that the adapter crates can share it: a failed
// expectation must panic with a clear message, as in any test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod courses;
mod fixtures;
mod horizon;
mod identical;
mod paging;
mod pipeline;
mod progress;
mod queue;
mod references;
mod structure;
mod teachers_sets;

pub use courses::*;
pub use fixtures::{full_course, minimal_course};
pub use horizon::*;
pub use identical::*;
pub use paging::*;
pub use pipeline::*;
pub use progress::*;
pub use queue::*;
pub use references::*;
pub use structure::*;
pub use teachers_sets::*;

/// Every check of the contract, by name. [`catalog_store_contract!`] turns each into a test.
#[macro_export]
macro_rules! catalog_store_contract {
    ($fresh:path) => {
        $crate::catalog_store_contract!(@each $fresh;
            full_course_round_trip,
            minimal_course_round_trip,
            unknown_course_is_none,
            re_put_replaces_and_moves_the_datestamp,
            re_put_moves_set_membership,
            delete_is_soft_and_re_put_revives,
            delete_of_unknown_course_is_not_found,
            pages_walk_every_record_in_order,
            last_page_exactly_full_has_no_more,
            after_a_position_not_in_the_store,
            window_is_inclusive_at_both_ends,
            set_filter_includes_subsets_only,
            set_and_window_combined_with_paging,
            deleted_records_are_in_pages_and_sets,
            count_is_exact,
            earliest_datestamp_of_an_empty_store_is_its_creation,
            earliest_datestamp_is_the_smallest,
            a_course_naming_a_missing_teacher_or_set_is_refused,
            a_teacher_or_set_named_by_a_live_course_is_kept,
            deleting_a_course_releases_its_references,
            two_courses_hold_a_reference_until_both_let_go,
            writes_are_dated_at_or_after_the_horizon,
            incremental_harvests_miss_no_change,
            teachers_put_get_list_delete,
            sets_put_list_delete,
            scripted_pages_are_stable,
        );
    };
    (@each $fresh:path; $($check:ident),+ $(,)?) => {
        $crate::contract_tests!(
            $fresh,
            the_contract_lists_every_check,
            &$crate::contract::CHECK_SOURCES,
            "S: CatalogStore>(store: S)";
            $($check),+
        );
    };
}

/// The tests of a contract: one per check, on a fresh adapter each, and one that fails when a
/// check defined in `$sources` (with `$signature`) is missing from the list.
#[doc(hidden)]
#[macro_export]
macro_rules! contract_tests {
    ($fresh:path, $listing:ident, $sources:expr, $signature:literal; $($check:ident),+) => {
        $(
            #[tokio::test]
            async fn $check() {
                let adapter = $fresh().await;
                $crate::contract::$check(adapter).await;
            }
        )+

        #[test]
        fn $listing() {
            $crate::contract::assert_listed($sources, $signature, &[$(stringify!($check)),+]);
        }
    };
}

/// Every check of the statement-queue contract. `$fresh` makes an empty queue whose messages
/// die after two receives.
#[macro_export]
macro_rules! statement_queue_contract {
    ($fresh:path) => {
        $crate::statement_queue_contract!(@each $fresh;
            sent_messages_are_received_once_while_hidden,
            received_messages_come_back_until_deleted,
            too_many_receives_make_a_dead_letter_and_redrive_revives_it,
            a_message_holds_up_to_the_limit_and_no_more,
            many_messages_are_received_in_several_calls,
        );
    };
    (@each $fresh:path; $($check:ident),+ $(,)?) => {
        $crate::contract_tests!(
            $fresh,
            the_queue_contract_lists_every_check,
            &[$crate::contract::QUEUE_CHECK_SOURCE],
            "Q: StatementQueue>(queue: Q)";
            $($check),+
        );
    };
}

/// Every check of the pipeline-store contract (links, tracked courses, refused statements).
#[macro_export]
macro_rules! pipeline_store_contract {
    ($fresh:path) => {
        $crate::pipeline_store_contract!(@each $fresh;
            links_put_replace_look_up_and_delete,
            many_links_are_written_and_read_in_one_call,
            links_page_in_user_id_order,
            tracked_courses_add_remove_and_star,
            refused_statements_are_kept_replaced_paged_and_dropped,
            a_large_refused_statement_and_answer_are_kept_whole,
            sync_runs_are_kept_latest_first_and_only_the_latest,
        );
    };
    (@each $fresh:path; $($check:ident),+ $(,)?) => {
        $crate::contract_tests!(
            $fresh,
            the_pipeline_contract_lists_every_check,
            &[$crate::contract::PIPELINE_CHECK_SOURCE],
            "S: PipelineStore>(store: S)";
            $($check),+
        );
    };
}

/// Every check of the structure-store contract (one structure per course, replaced whole).
#[macro_export]
macro_rules! structure_store_contract {
    ($fresh:path) => {
        $crate::structure_store_contract!(@each $fresh;
            structures_are_put_read_replaced_and_deleted,
            structures_of_two_courses_are_kept_apart,
            the_largest_structure_is_kept_whole,
            readers_see_one_structure_or_the_other_while_it_is_replaced,
        );
    };
    (@each $fresh:path; $($check:ident),+ $(,)?) => {
        $crate::contract_tests!(
            $fresh,
            the_structure_contract_lists_every_check,
            &[$crate::contract::STRUCTURE_CHECK_SOURCE],
            "S: StructureStore>(store: S)";
            $($check),+
        );
    };
}

/// Every check of the progress-store contract.
#[macro_export]
macro_rules! progress_store_contract {
    ($fresh:path) => {
        $crate::progress_store_contract!(@each $fresh;
            an_unknown_user_has_no_progress,
            a_state_is_read_back_whole,
            order_and_duplication_give_the_same_state,
            one_user_two_courses_and_others_apart,
            concurrent_merges_give_the_union,
            sets_stop_at_their_bounds,
            a_users_progress_is_forgotten,
        );
    };
    (@each $fresh:path; $($check:ident),+ $(,)?) => {
        $crate::contract_tests!(
            $fresh,
            the_progress_contract_lists_every_check,
            &[$crate::contract::PROGRESS_CHECK_SOURCE],
            "S: ProgressStore>(store: S)";
            $($check),+
        );
    };
}

/// The source of the structure-store checks.
pub const STRUCTURE_CHECK_SOURCE: &str = include_str!("structure.rs");

/// The source of the progress-store checks.
pub const PROGRESS_CHECK_SOURCE: &str = include_str!("progress.rs");

/// The source of the pipeline-store checks.
pub const PIPELINE_CHECK_SOURCE: &str = include_str!("pipeline.rs");

/// The source of the queue checks.
pub const QUEUE_CHECK_SOURCE: &str = include_str!("queue.rs");

/// The source of every module that holds catalog checks.
pub const CHECK_SOURCES: [&str; 6] = [
    include_str!("courses.rs"),
    include_str!("horizon.rs"),
    include_str!("identical.rs"),
    include_str!("paging.rs"),
    include_str!("references.rs"),
    include_str!("teachers_sets.rs"),
];

/// Panics unless `listed` names exactly the checks of `sources`: every
/// `pub async fn <name><{signature}`, whose line may wrap after the generics.
pub fn assert_listed(sources: &[&str], signature: &str, listed: &[&str]) {
    let mut defined: Vec<&str> = sources
        .iter()
        .flat_map(|src| src.split("pub async fn ").skip(1))
        .filter_map(|def| {
            let (name, rest) = def.split_once('<')?;
            let rest: String = rest.split_whitespace().collect::<Vec<_>>().join(" ");
            let rest = rest.replace("( ", "(").replace(", )", ")");
            rest.starts_with(signature).then_some(name)
        })
        .collect();
    defined.sort_unstable();
    let mut listed = listed.to_vec();
    listed.sort_unstable();
    assert_eq!(
        listed, defined,
        "the contract macro must list every check of pokeco_core::contract"
    );
}
