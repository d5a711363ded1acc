//! The operator's catalog verbs: `pokeco course|teacher|set put|get|list|delete`. They go
//! through the core's [`CatalogService`], as the admin API does, so the command line
//! validates and checks references exactly as `/admin/...` does.

use clap::Subcommand;
use pokeco_core::catalog::service::{CourseListing, MAX_LIST_LIMIT};
use pokeco_core::catalog::{parse_json, CatalogError, CatalogService, Rejection, Warning};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Courses: create or replace, show, list, delete (soft: the record stays, deleted).
    #[command(subcommand)]
    Course(CourseCommand),
    /// Teachers: create or replace, show, list, delete.
    #[command(subcommand)]
    Teacher(RecordCommand),
    /// OAI-PMH sets: create or replace, show, list, delete.
    #[command(subcommand)]
    Set(RecordCommand),
}

#[derive(Debug, Subcommand)]
pub enum CourseCommand {
    /// Creates or replaces the course in a JSON file (`-` reads standard input).
    Put { file: PathBuf },
    /// Prints a course, deleted or not.
    Get { id: String },
    /// Prints every course, in datestamp order.
    List {
        /// Include deleted courses.
        #[arg(long)]
        deleted: bool,
    },
    /// Marks a course deleted; harvesters see the deletion.
    Delete { id: String },
}

/// The verbs of teachers (by id) and sets (by spec).
#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Creates or replaces the record in a JSON file (`-` reads standard input).
    Put { file: PathBuf },
    /// Prints one record.
    Get { id: String },
    /// Prints every record.
    List,
    /// Removes a record; refused while a live course names it.
    Delete { id: String },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The document was refused; the message lists every problem, one per line.
    #[error("refused:{}", problem_lines(.0))]
    Refused(Rejection),
    #[error(transparent)]
    Catalog(CatalogError),
    #[error("cannot print the answer: {0}")]
    Output(#[from] std::io::Error),
}

impl From<CatalogError> for CliError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(r) => Self::Refused(r),
            other => Self::Catalog(other),
        }
    }
}

/// A rejection's problems, one per line, indented (for an error message).
pub(crate) fn problem_lines(r: &Rejection) -> String {
    r.problems
        .iter()
        .map(|p| match p.path.as_str() {
            "" => format!("\n  {}", p.message),
            path => format!("\n  {path}: {}", p.message),
        })
        .collect()
}

/// What a verb answers: the JSON to print, and the warnings of a write.
#[derive(Debug, PartialEq)]
pub struct Answer {
    pub json: Value,
    pub warnings: Vec<Warning>,
}

/// Runs a verb, printing the answer as JSON on standard output and each warning on standard
/// error.
pub async fn run(cmd: CatalogCommand, catalog: &CatalogService) -> Result<(), CliError> {
    let answer = execute(cmd, catalog).await?;
    let mut err = std::io::stderr().lock();
    for w in &answer.warnings {
        writeln!(err, "warning: {}: {}", w.path, w.message)?;
    }
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &answer.json).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// Runs a verb and returns its answer without printing it.
pub async fn execute(cmd: CatalogCommand, catalog: &CatalogService) -> Result<Answer, CliError> {
    match cmd {
        CatalogCommand::Course(cmd) => course(cmd, catalog).await,
        CatalogCommand::Teacher(cmd) => match cmd {
            RecordCommand::Put { file } => {
                let w = catalog.put_teacher(&read_doc(&file)?, None).await?;
                written_answer(serde_json::to_value(&w), w.warnings)
            }
            RecordCommand::Get { id } => {
                plain(serde_json::to_value(catalog.get_teacher(&id).await?))
            }
            RecordCommand::List => plain(serde_json::to_value(catalog.list_teachers().await?)),
            RecordCommand::Delete { id } => {
                plain(serde_json::to_value(catalog.delete_teacher(&id).await?))
            }
        },
        CatalogCommand::Set(cmd) => match cmd {
            RecordCommand::Put { file } => {
                let w = catalog.put_set(&read_doc(&file)?, None).await?;
                written_answer(serde_json::to_value(&w), w.warnings)
            }
            RecordCommand::Get { id } => plain(serde_json::to_value(catalog.get_set(&id).await?)),
            RecordCommand::List => plain(serde_json::to_value(catalog.list_sets().await?)),
            RecordCommand::Delete { id } => {
                plain(serde_json::to_value(catalog.delete_set(&id).await?))
            }
        },
    }
}

async fn course(cmd: CourseCommand, catalog: &CatalogService) -> Result<Answer, CliError> {
    match cmd {
        CourseCommand::Put { file } => {
            let w = catalog.put_course(&read_doc(&file)?, None).await?;
            written_answer(serde_json::to_value(&w), w.warnings)
        }
        CourseCommand::Get { id } => plain(serde_json::to_value(catalog.get_course(&id).await?)),
        CourseCommand::Delete { id } => {
            plain(serde_json::to_value(catalog.delete_course(&id).await?))
        }
        CourseCommand::List { deleted } => {
            let mut listing = CourseListing {
                limit: Some(MAX_LIST_LIMIT),
                after: None,
                deleted,
            };
            let mut courses = Vec::new();
            loop {
                let page = catalog.list_courses(&listing).await?;
                courses.extend(page.courses);
                match page.next {
                    Some(next) => listing.after = Some(next),
                    None => break,
                }
            }
            plain(serde_json::to_value(courses))
        }
    }
}

/// A read's answer; `serde_json::to_value` of a catalog type only fails on a bug.
fn plain(json: serde_json::Result<Value>) -> Result<Answer, CliError> {
    let json = json.map_err(|e| CliError::Output(e.into()))?;
    Ok(Answer {
        json,
        warnings: Vec::new(),
    })
}

fn written_answer(
    json: serde_json::Result<Value>,
    warnings: Vec<Warning>,
) -> Result<Answer, CliError> {
    Ok(Answer {
        warnings,
        ..plain(json)?
    })
}

/// Reads a JSON document from a file, or from standard input for `-`.
fn read_doc(file: &Path) -> Result<Value, CliError> {
    let read_error = |source| CliError::Read {
        path: file.to_owned(),
        source,
    };
    let bytes = crate::read_bytes(file).map_err(read_error)?;
    parse_json(&bytes).map_err(CliError::Refused)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clap::Parser;
    use pokeco_local::SqliteStore;
    use serde_json::json;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: CatalogCommand,
    }

    fn parse(args: &[&str]) -> CatalogCommand {
        Cli::try_parse_from(std::iter::once("pokeco").chain(args.iter().copied()))
            .unwrap()
            .cmd
    }

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("pokeco-cli-catalog-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn file(&self, name: &str, doc: &Value) -> String {
            let path = self.0.join(name);
            std::fs::write(&path, doc.to_string()).unwrap();
            path.to_str().unwrap().to_owned()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn catalog() -> CatalogService {
        CatalogService::new(
            Arc::new(SqliteStore::open_in_memory().unwrap()),
            pokeco_core::oai::OaiPrefix::new("oai:x.org:").unwrap(),
        )
    }

    async fn ok(catalog: &CatalogService, args: &[&str]) -> Answer {
        execute(parse(args), catalog).await.unwrap()
    }

    fn course_doc(id: &str) -> Value {
        json!({
            "course_id": id, "title": {"en": "T"}, "description": {"en": "D"},
            "languages": ["en", "nl"], "url": "https://x.org/c", "organizers": ["Org"],
            "teachers": ["rossi"], "interest_area": "ECO:TS", "sets": ["EcoBase"]
        })
    }

    #[tokio::test]
    async fn the_verbs_share_the_admin_api_rules() {
        let dir = Scratch::new("verbs");
        let catalog = catalog();
        let course = dir.file("course.json", &course_doc("a/b/c"));

        // The teacher and the set do not exist yet: the same reference check as the API.
        let Err(CliError::Refused(r)) = execute(parse(&["course", "put", &course]), &catalog).await
        else {
            panic!("a course naming unknown records must be refused");
        };
        let paths: Vec<&str> = r.problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["teachers[0]", "sets[0]"]);
        let shown = CliError::Refused(r).to_string();
        assert!(
            shown.starts_with("refused:\n  teachers[0]: no teacher"),
            "{shown}"
        );

        let set = dir.file("set.json", &json!({"spec": "EcoBase", "name": "ECO"}));
        let teacher = dir.file(
            "t.json",
            &json!({"id": "rossi", "first_name": "M", "last_name": "R"}),
        );
        ok(&catalog, &["set", "put", &set]).await;
        ok(&catalog, &["teacher", "put", &teacher]).await;

        let put = ok(&catalog, &["course", "put", &course]).await;
        assert_eq!(put.json["oai_identifier"], "oai:x.org:a/b/c");
        let warned: Vec<&str> = put.warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(warned, ["languages[1]"]);
        assert_eq!(put.json["warnings"][0]["path"], "languages[1]");

        let got = ok(&catalog, &["course", "get", "a/b/c"]).await;
        assert_eq!(
            (&got.json["deleted"], &got.json["course_id"]),
            (&json!(false), &json!("a/b/c"))
        );
        let Err(CliError::Catalog(CatalogError::Conflict(_))) =
            execute(parse(&["teacher", "delete", "rossi"]), &catalog).await
        else {
            panic!("a teacher named by a live course must not be deleted");
        };

        let gone = ok(&catalog, &["course", "delete", "a/b/c"]).await;
        assert_eq!(gone.json["deleted"], true);
        assert_eq!(ok(&catalog, &["course", "list"]).await.json, json!([]));
        let all = ok(&catalog, &["course", "list", "--deleted"]).await;
        assert_eq!(all.json[0]["course_id"], "a/b/c");
        assert_eq!(
            ok(&catalog, &["teacher", "delete", "rossi"]).await.json["id"],
            "rossi"
        );
        assert_eq!(ok(&catalog, &["teacher", "list"]).await.json, json!([]));
        assert_eq!(
            ok(&catalog, &["set", "list"]).await.json[0]["spec"],
            "EcoBase"
        );
    }

    #[tokio::test]
    async fn listing_follows_every_page_and_errors_are_typed() {
        let dir = Scratch::new("list");
        let catalog = catalog();
        let set = dir.file("set.json", &json!({"spec": "EcoBase", "name": "ECO"}));
        let teacher = dir.file(
            "t.json",
            &json!({"id": "rossi", "first_name": "M", "last_name": "R"}),
        );
        ok(&catalog, &["set", "put", &set]).await;
        ok(&catalog, &["teacher", "put", &teacher]).await;
        let total = MAX_LIST_LIMIT + 5;
        for i in 0..total {
            catalog
                .put_course(&course_doc(&format!("org/c{i}/run")), None)
                .await
                .unwrap();
        }
        let all = ok(&catalog, &["course", "list"]).await;
        assert_eq!(all.json.as_array().unwrap().len(), total);

        let missing = execute(parse(&["course", "get", "x/y/z"]), &catalog).await;
        assert!(matches!(
            missing,
            Err(CliError::Catalog(CatalogError::NotFound { .. }))
        ));
        let unreadable = execute(parse(&["set", "put", "/nonexistent/set.json"]), &catalog).await;
        assert!(matches!(unreadable, Err(CliError::Read { .. })));
        let broken = dir.0.join("broken.json");
        std::fs::write(&broken, "{\"spec\": ").unwrap();
        let broken = execute(parse(&["set", "put", broken.to_str().unwrap()]), &catalog).await;
        let Err(CliError::Refused(r)) = broken else {
            panic!("malformed JSON must be refused")
        };
        assert!(r.problems[0].message.starts_with("not valid JSON"));
    }
}
