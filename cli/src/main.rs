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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pokeco: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error>;

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

async fn run_catalog(cmd: CatalogCommand, data: &Path) -> Result<(), AnyError> {
    pokeco::catalog::run(cmd, &catalog(data).await?).await?;
    Ok(())
}

async fn run_serve(listen: SocketAddr, data: PathBuf, demo: bool) -> Result<(), AnyError> {
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
    Ok(())
}
