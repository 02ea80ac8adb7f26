//! `mindos`: parse the command line, run the command, and exit with the code `--help`
//! documents (`mindos_cli::exit_code`). Everything else is in the library.

use std::process::ExitCode;

use clap::Parser;
use mindos_cli::{exit_code, Cli, EXIT_INPUT};

#[tokio::main]
async fn main() -> ExitCode {
    // Logs (the chain client's) go to stderr, quiet unless RUST_LOG asks.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's own code for usage errors is 2, which `mindos` keeps for chain errors.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_INPUT } else { 0 });
        }
    };
    let json = cli.global.json;
    match mindos_cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = exit_code(&error);
            if json {
                println!(
                    "{:#}",
                    serde_json::json!({"error": {"code": code, "message": format!("{error:#}")}})
                );
            }
            eprintln!("error: {error:#}");
            ExitCode::from(code)
        }
    }
}
