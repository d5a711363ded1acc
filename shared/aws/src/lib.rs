//! AWS adapters of pok-eco: the catalog, the pipeline's state (links, tracked courses,
//! refused statements), the course structures and the progress projection on one DynamoDB
//! table ([`DynamoStore`]), the table's creation, the statement queue on SQS ([`SqsQueue`]), and
//! the SDK configuration. Lambda start-up lives in `pokeco-lambda`, so the `pokeco` command line
//! links none of it.

mod batch;
mod config;
mod course_write;
mod errors;
mod items;
pub mod keys;
mod pipeline;
mod progress;
mod queue;
mod reads;
mod store;
mod structure;
mod table;

pub use config::load_config;
pub use progress::MAX_PROGRESS_ATTEMPTS;
pub use queue::{create_queue, SqsQueue};
pub use store::{DynamoStore, DEFAULT_LIST_LAG_SECONDS};
pub use table::create_table;
