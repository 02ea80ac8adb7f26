//! `mindos-miner`: parse the command line, set up logging, check the configuration and run
//! the miner until SIGINT or SIGTERM. Everything else is in the library (`mindos_miner::run`).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use mindos_daemon::process::{exit_code, init_tracing, shutdown_signal};
use mindos_miner::{Cli, Config};

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    exit_code(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::try_from(cli).context("configuration")?;
    mindos_miner::run(config, shutdown_signal())
        .await
        .context("miner")
}
