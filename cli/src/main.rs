use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pokeco::serve::{self, ServeConfig};

/// pok-eco: Open edX ↔ ECO portal and xAPI bridge. Local server and operator commands.
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pokeco: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_serve(
    listen: SocketAddr,
    data: PathBuf,
    demo: bool,
) -> Result<(), Box<dyn std::error::Error>> {
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
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            r?;
            tracing::info!("shutting down");
            server.stop().await?;
        }
    }
    Ok(())
}
