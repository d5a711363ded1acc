use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use pokeco::catalog::CatalogCommand;
use pokeco::serve::{self, ServeConfig};
use pokeco_core::catalog::CatalogService;
use pokeco_core::config::{self, process_env};
use pokeco_core::store::CatalogStore;

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
    /// The whole catalog as ECO's harvester will meet it.
    #[command(subcommand, name = "catalog")]
    Whole(WholeCatalog),
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
        Command::Whole(WholeCatalog::Check { timeout }) => run_check(timeout, &cli.data).await,
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

type AnyError = Box<dyn std::error::Error>;

/// How a command that succeeded ended: with nothing to report, or with problems to fix.
enum Outcome {
    Clean,
    Problems,
}

/// The catalog the operator commands work on: DynamoDB when `POKECO_TABLE` is set, else the
/// embedded store in the data folder.
async fn catalog(data: &Path) -> Result<CatalogService, AnyError> {
    let prefix = config::oai_prefix(&process_env, Some(serve::DEFAULT_OAI_PREFIX.into()))?;
    let store: Arc<dyn CatalogStore> = match process_env("POKECO_TABLE") {
        Some(table) => {
            let config = pokeco_aws::load_config().await;
            Arc::new(pokeco_aws::DynamoStore::from_config(&config, table))
        }
        None => {
            std::fs::create_dir_all(data)?;
            Arc::new(pokeco_local::SqliteStore::open(
                &data.join(serve::CATALOG_FILE),
            )?)
        }
    };
    Ok(CatalogService::new(store, prefix))
}

async fn run_catalog(cmd: CatalogCommand, data: &Path) -> Result<Outcome, AnyError> {
    pokeco::catalog::run(cmd, &catalog(data).await?).await?;
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
    if server.admin_token_generated {
        println!("  admin token (generated for this run; set POKECO_ADMIN_TOKEN to fix it):");
        println!("    {}", server.admin_token);
    }
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    server.stop().await?;
    Ok(Outcome::Clean)
}
