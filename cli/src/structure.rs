//! The operator's structure verbs: `pokeco structure import|show|delete`, through the core's
//! [`StructureService`] as `/admin/courses/{id}/structure` goes, on the embedded store or on
//! DynamoDB (`POKECO_TABLE`).

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use pokeco_core::catalog::Rejection;
use pokeco_core::structure::{StructureError, StructureService};
use serde::Serialize;

use crate::catalog::problem_lines;

#[derive(Debug, Subcommand)]
pub enum StructureCommand {
    /// Loads a course's structure from the LMS's Course Blocks API answer in a JSON file (`-`
    /// reads standard input), replacing the one loaded before. Export it with
    /// `GET <LMS>/api/courses/v1/blocks/?course_id=<COURSE>&all_blocks=true&depth=all&requested_fields=children`.
    Import { course: String, file: PathBuf },
    /// Prints a course's structure, in the Course Blocks API's shape.
    Show { course: String },
    /// Removes a course's structure.
    Delete { course: String },
}

#[derive(Debug, thiserror::Error)]
pub enum StructureCliError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The document was refused; the message lists every problem, one per line.
    #[error("refused:{}", problem_lines(.0))]
    Refused(Rejection),
    #[error(transparent)]
    Structure(StructureError),
    #[error("cannot print the answer: {0}")]
    Output(#[from] std::io::Error),
}

impl From<StructureError> for StructureCliError {
    fn from(e: StructureError) -> Self {
        match e {
            StructureError::Invalid(r) => Self::Refused(r),
            other => Self::Structure(other),
        }
    }
}

fn print(value: &impl Serialize) -> Result<(), StructureCliError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

pub async fn run(
    cmd: StructureCommand,
    service: &StructureService,
) -> Result<(), StructureCliError> {
    match cmd {
        StructureCommand::Import { course, file } => {
            let bytes = crate::read_bytes(&file).map_err(|source| StructureCliError::Read {
                path: file.clone(),
                source,
            })?;
            print(&service.import(&course, &bytes).await?)
        }
        StructureCommand::Show { course } => print(&service.get(&course).await?),
        StructureCommand::Delete { course } => {
            service.delete(&course).await?;
            print(&serde_json::json!({ "deleted": course }))
        }
    }
}
