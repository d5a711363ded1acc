use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pokeco::catalog::CatalogCommand;
use pokeco::pipeline::{FailedCommand, LinkCommand, TrackedCommand};
use pokeco::progress::ProgressCommand;
use pokeco::serve::{self, ServeConfig};
use pokeco::structure::StructureCommand;
use pokeco_core::catalog::CatalogService;
use pokeco_core::config::{self, process_env, Fallbacks};
use pokeco_core::ingest::IngestService;
use pokeco_core::pipeline::PipelineService;
use pokeco_core::structure::StructureService;
use pokeco_core::sync::SyncService;

/// A harvest page allocates many small strings: mimalloc cuts a fifth of its instructions
/// against the system allocator (callgrind on pokeco-bench).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// pok-eco: the bridge between Open edX, the ECO portal and xAPI learning record stores.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Data folder of the embedded store, shared by `serve` and every operator command.
    #[arg(long, global = true, env = "POKECO_DATA", default_value = serve::DEFAULT_DATA)]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs every endpoint on one port over the embedded store.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = serve::DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// Load the demo catalog first.
        #[arg(long)]
        demo: bool,
    },
    /// Catalog verbs, on the embedded store, or on DynamoDB when POKECO_TABLE is set.
    #[command(flatten)]
    Catalog(CatalogCommand),
    /// Course structures: import the LMS's Course Blocks API answer, show, delete.
    #[command(subcommand)]
    Structure(StructureCommand),
    /// The whole catalog as ECO's harvester will meet it.
    #[command(subcommand, name = "catalog")]
    Whole(WholeCatalog),
    /// Identity links: which ECO user each edX user is.
    #[command(subcommand)]
    Link(LinkCommand),
    /// The courses whose events become statements.
    #[command(subcommand)]
    Tracked(TrackedCommand),
    /// A learner's progress projection: show it, or forget it.
    #[command(subcommand)]
    Progress(ProgressCommand),
    /// Statements the LRS refused: list, show, redrive, drop.
    #[command(subcommand)]
    Failed(FailedCommand),
    /// How far delivery is behind: queued and dead messages, refused statements.
    Delivery,
    /// Delivers queued statements to the LRS (POKECO_LRS_URL) until the queue is empty, and
    /// prints what the run did; `pokeco serve` does this every POKECO_SYNC_EVERY seconds.
    Sync,
    /// Ingests tracking logs (plain or gzip, `-` for standard input) as POST /events would;
    /// replaying the same log twice adds nothing to the LRS.
    Replay {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum WholeCatalog {
    /// Fetches every live course's image and reports those ECO would drop (no answer, not
    /// 200, under 20 bytes) or crash on (not PNG, JPEG or GIF); exits 1 when one would crash.
    Check {
        /// Seconds one image may take.
        #[arg(long, default_value_t = pokeco::check::DEFAULT_TIMEOUT.as_secs())]
        timeout: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { listen, demo } => run_serve(listen, cli.data, demo).await,
        Command::Catalog(cmd) => run_catalog(cmd, &cli.data).await,
        Command::Structure(cmd) => run_structure(cmd, &cli.data).await,
        Command::Progress(cmd) => run_progress(cmd, &cli.data).await,
        Command::Whole(WholeCatalog::Check { timeout }) => run_check(timeout, &cli.data).await,
        Command::Link(cmd) => run_link(cmd, &cli.data).await,
        Command::Tracked(cmd) => {
            run_pipeline(&cli.data, |s| async move {
                pokeco::pipeline::tracked(cmd, &s).await
            })
            .await
        }
        Command::Failed(cmd) => {
            run_pipeline(&cli.data, |s| async move {
                pokeco::pipeline::failed(cmd, &s).await
            })
            .await
        }
        Command::Delivery => {
            run_pipeline(&cli.data, |s| async move {
                println!("{}", serde_json::to_string_pretty(&s.status().await?)?);
                Ok(())
            })
            .await
        }
        Command::Replay { files } => run_replay(&files, &cli.data).await,
        Command::Sync => run_sync(&cli.data).await,
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pokeco: {e}");
            ExitCode::FAILURE
        }
    }
}

use pokeco::backends::AnyError;

/// How a command that succeeded ended: with nothing to report, or with problems to fix.
enum Outcome {
    Clean,
    Problems,
}

/// The catalog the operator commands work on: DynamoDB when `POKECO_TABLE` is set, else the
/// embedded store in the data folder.
async fn catalog(data: &Path) -> Result<CatalogService, AnyError> {
    let prefix = config::oai_prefix(&process_env, Some(serve::DEFAULT_OAI_PREFIX.into()))?;
    Ok(CatalogService::new(
        pokeco::backends::open_catalog(data).await?,
        prefix,
    ))
}

/// The pipeline's state and queue the operator commands work on (see `backends`).
async fn pipeline(data: &Path) -> Result<PipelineService, AnyError> {
    let settings = config::admin_settings(
        &process_env,
        Fallbacks {
            oai_prefix: Some(serve::DEFAULT_OAI_PREFIX.into()),
            ..Fallbacks::default()
        },
    )?;
    let b = pokeco::backends::open(data).await?;
    Ok(PipelineService::new(b.pipeline, b.queue, settings.tracked))
}

async fn run_pipeline<F, Fut>(data: &Path, verb: F) -> Result<Outcome, AnyError>
where
    F: FnOnce(PipelineService) -> Fut,
    Fut: std::future::Future<Output = Result<(), AnyError>>,
{
    verb(pipeline(data).await?).await?;
    Ok(Outcome::Clean)
}

async fn run_link(cmd: LinkCommand, data: &Path) -> Result<Outcome, AnyError> {
    let refused_lines = pokeco::pipeline::link(cmd, &pipeline(data).await?).await?;
    Ok(if refused_lines {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

async fn run_sync(data: &Path) -> Result<Outcome, AnyError> {
    let (lrs, mut settings) = config::sync_settings(&process_env, Fallbacks::default())?;
    let lrs = lrs.ok_or(config::ConfigError::Missing("POKECO_LRS_URL"))?;
    // One run drains the whole queue, however long that takes.
    settings.max_statements = usize::MAX;
    let b = pokeco::backends::open(data).await?;
    let lrs = pokeco_lrs::HttpLrs::new(pokeco_lrs::Destination::from(&lrs))?;
    let announcer = pokeco_lrs::EcoPush::announcer(settings.eco_push.as_ref())?;
    let service = SyncService::new(b.queue, b.pipeline, std::sync::Arc::new(lrs), settings)
        .with_announcer(announcer);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(365 * 86_400);
    let report = service.run(deadline).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if report.stopped.is_some() || report.refused > 0 {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

async fn run_replay(files: &[PathBuf], data: &Path) -> Result<Outcome, AnyError> {
    let settings = config::ingest_settings(
        &process_env,
        Fallbacks {
            oai_prefix: Some(serve::DEFAULT_OAI_PREFIX.into()),
            lms_url: Some(serve::DEFAULT_LMS_URL.into()),
            ..Fallbacks::default()
        },
    )?;
    let b = pokeco::backends::open(data).await?;
    let service = IngestService::new(
        b.catalog,
        b.pipeline,
        b.progress,
        b.queue,
        settings.profile,
        settings.tracked,
        settings.buckets,
    )
    .with_structures(b.structure);
    let summary = pokeco::replay::replay(&service, files).await?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(if summary.files.iter().any(|f| f.unreadable.is_some()) {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

async fn run_catalog(cmd: CatalogCommand, data: &Path) -> Result<Outcome, AnyError> {
    pokeco::catalog::run(cmd, &catalog(data).await?).await?;
    Ok(Outcome::Clean)
}

async fn run_structure(cmd: StructureCommand, data: &Path) -> Result<Outcome, AnyError> {
    let prefix = config::oai_prefix(&process_env, Some(serve::DEFAULT_OAI_PREFIX.into()))?;
    let stores = pokeco::backends::open_stores(data).await?;
    let service = StructureService::new(stores.catalog, stores.structure, prefix);
    pokeco::structure::run(cmd, &service).await?;
    Ok(Outcome::Clean)
}

async fn run_progress(cmd: ProgressCommand, data: &Path) -> Result<Outcome, AnyError> {
    let stores = pokeco::backends::open_stores(data).await?;
    pokeco::progress::run(cmd, stores.progress.as_ref()).await?;
    Ok(Outcome::Clean)
}

async fn run_check(timeout: u64, data: &Path) -> Result<Outcome, AnyError> {
    use pokeco_core::catalog::image::ImageVerdict;
    let timeout = std::time::Duration::from_secs(timeout);
    let reports = pokeco::check::check_images(&catalog(data).await?, timeout).await?;
    let mut crashes = 0;
    for r in &reports {
        match r.verdict {
            ImageVerdict::Usable(_) => {}
            ImageVerdict::Dropped(_) => println!("{}\t{}\t{}", r.course, r.image, r.verdict),
            ImageVerdict::Crashes(_) => {
                crashes += 1;
                println!("{}\t{}\t{}", r.course, r.image, r.verdict);
            }
        }
    }
    let usable = reports
        .iter()
        .filter(|r| matches!(r.verdict, ImageVerdict::Usable(_)))
        .count();
    eprintln!(
        "{} images checked: {usable} usable, {} dropped by ECO, {crashes} that crash ECO's harvester",
        reports.len(),
        reports.len() - usable - crashes
    );
    Ok(if crashes > 0 {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

async fn run_serve(listen: SocketAddr, data: PathBuf, demo: bool) -> Result<Outcome, AnyError> {
    let server = serve::start(ServeConfig {
        listen,
        data,
        demo,
        overrides: Vec::new(),
    })
    .await?;
    if let Some(n) = server.demo_courses {
        tracing::info!(courses = n, "demo catalog loaded");
    }
    let base = &server.base_url;
    // Printed, not logged: logs never carry secrets.
    println!("pok-eco listening on http://{}", server.addr);
    println!("  OAI-PMH:  {base}/oai?verb=ListRecords&metadataPrefix=oai_lom");
    println!("  admin:    {base}/admin/courses");
    println!("  ingest:   POST {base}/events");
    match &server.lrs_url {
        Some(url) => println!("  LRS:      {url} (sync every few seconds)"),
        None => println!("  LRS:      none (set POKECO_LRS_URL); statements stay queued"),
    }
    if server.admin_token_generated {
        println!("  admin token (generated for this run; set POKECO_ADMIN_TOKEN to fix it):");
        println!("    {}", server.admin_token);
    }
    if server.ingest_token_generated {
        println!("  ingest token (generated for this run; set POKECO_INGEST_TOKEN to fix it):");
        println!("    {}", server.ingest_token);
    }
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    server.stop().await?;
    Ok(Outcome::Clean)
}
