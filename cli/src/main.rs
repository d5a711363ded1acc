use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use pokeco::catalog::CatalogCommand;
use pokeco::serve::{self, ServeConfig};
use pokeco_core::store::CatalogStore;

/// A harvest page allocates many small strings: mimalloc cuts a fifth of its instructions
/// against the system allocator (callgrind on pokeco-bench).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// pok-eco: the bridge between Open edX, the ECO portal and xAPI learning record stores.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
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
        /// Data folder of the embedded store.
        #[arg(long, env = "POKECO_DATA", default_value = serve::DEFAULT_DATA)]
        data: PathBuf,
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
        Command::Serve { listen, data, demo } => run_serve(listen, data, demo).await,
        Command::Catalog(cmd) => run_catalog(cmd).await,
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

fn setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

async fn run_catalog(cmd: CatalogCommand) -> Result<(), AnyError> {
    let prefix = setting("POKECO_OAI_PREFIX").unwrap_or_else(|| serve::DEFAULT_OAI_PREFIX.into());
    let store: Arc<dyn CatalogStore> = match setting("POKECO_TABLE") {
        Some(table) => {
            let config = pokeco_aws::load_config().await;
            Arc::new(pokeco_aws::DynamoStore::from_config(&config, table))
        }
        None => {
            let data = setting("POKECO_DATA").unwrap_or_else(|| serve::DEFAULT_DATA.into());
            let data = PathBuf::from(data);
            std::fs::create_dir_all(&data)?;
            Arc::new(pokeco_local::SqliteStore::open(
                &data.join(serve::CATALOG_FILE),
            )?)
        }
    };
    pokeco::catalog::run(cmd, store, &prefix).await?;
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
