//! `office`: the whole product on one machine (embedded store, blobs on
//! disk), plus the platform operator's commands.
//!
//! `office` with no command serves on 127.0.0.1:8080 and, unless told
//! `--no-demo`, makes sure the demo tenant exists and prints its logins.

mod cli;
mod serve;

use clap::Parser as _;

/// mimalloc, not the system allocator: the embedded store's writer frees
/// what request tasks allocated, which glibc's allocator does slowly across
/// threads (statistics aggregation: 4,700 → 5,400 call ends/s; decision 29).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    // Held connections (SIP over TCP, HTTP) each take a descriptor.
    let files = media_edge::tcp::raise_fd_limit();
    tracing::debug!(files, "open-file limit");
    match cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
