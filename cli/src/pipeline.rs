//! The operator's pipeline verbs: `pokeco link`, `pokeco tracked`, `pokeco failed` and
//! `pokeco delivery`, through the core's [`PipelineService`] as the admin API goes.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use pokeco_core::pipeline::{PipelineService, MAX_PAGE};
use serde::Serialize;

use crate::backends::AnyError;

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Links edX users to ECO users from a CSV file (`-` reads standard input): two columns,
    /// edX user id and ECO sub, header optional (the LMS's social-auth export, `user_id,uid`).
    Import { file: PathBuf },
    /// Prints every link.
    List,
    /// Prints the ECO user an edX user is linked to.
    Get { edx_user_id: String },
    /// Links (or re-links) one edX user.
    Put {
        edx_user_id: String,
        eco_sub: String,
    },
    /// Removes a link: the user's events give no statement any more.
    Delete { edx_user_id: String },
}

#[derive(Debug, Subcommand)]
pub enum TrackedCommand {
    /// Prints the tracked courses: POKECO_TRACKED_COURSES's and the managed ones.
    List,
    /// Tracks a course id, or `*` for every course.
    Add { course: String },
    /// Stops tracking a managed course.
    Remove { course: String },
}

#[derive(Debug, Subcommand)]
pub enum FailedCommand {
    /// Lists the statements the LRS refused, with its answers.
    List,
    /// Prints one refused statement and the LRS's answer.
    Show { id: String },
    /// Queues refused statements again: these ids, or without ids every one and every dead
    /// letter of the queue.
    Redrive { ids: Vec<String> },
    /// Forgets a refused statement for good.
    Drop { id: String },
}

fn print(value: &impl Serialize) -> Result<(), AnyError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Runs a links verb; returns whether lines of an import were refused.
pub async fn link(cmd: LinkCommand, service: &PipelineService) -> Result<bool, AnyError> {
    match cmd {
        LinkCommand::Import { file } => {
            let text = crate::read_input(&file)?;
            let import = service.import_links(&text).await?;
            for p in &import.problems {
                eprintln!("{}:{}: {}", file.display(), p.line, p.reason);
            }
            print(&import)?;
            return Ok(!import.problems.is_empty());
        }
        LinkCommand::List => {
            let mut all = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = service.list_links(after.as_deref(), Some(MAX_PAGE)).await?;
                after = page.links.last().map(|l| l.edx_user_id.to_string());
                all.extend(page.links);
                if !page.more {
                    break;
                }
            }
            print(&all)?;
        }
        LinkCommand::Get { edx_user_id } => print(&service.get_link(&edx_user_id).await?)?,
        LinkCommand::Put {
            edx_user_id,
            eco_sub,
        } => print(&service.put_link(&edx_user_id, &eco_sub).await?)?,
        LinkCommand::Delete { edx_user_id } => service.delete_link(&edx_user_id).await?,
    }
    Ok(false)
}

pub async fn tracked(cmd: TrackedCommand, service: &PipelineService) -> Result<(), AnyError> {
    match cmd {
        TrackedCommand::List => print(&service.tracked().await?),
        TrackedCommand::Add { course } => print(&service.track(&course).await?),
        TrackedCommand::Remove { course } => Ok(service.untrack(&course).await?),
    }
}

pub async fn failed(cmd: FailedCommand, service: &PipelineService) -> Result<(), AnyError> {
    match cmd {
        FailedCommand::List => {
            let mut all = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = service
                    .list_failed(after.as_deref(), Some(MAX_PAGE))
                    .await?;
                after = page.failed.last().map(|f| f.id().to_owned());
                all.extend(page.failed);
                if !page.more {
                    break;
                }
            }
            print(&all)
        }
        FailedCommand::Show { id } => print(&service.get_failed(&id).await?),
        FailedCommand::Redrive { ids } => {
            let ids = (!ids.is_empty()).then_some(ids);
            print(&service.redrive(ids.as_deref()).await?)
        }
        FailedCommand::Drop { id } => Ok(service.drop_failed(&id).await?),
    }
}
