//! `mindos-bench-report`: writes the benchmark report from the benchmarks' JSON results.
//!
//! ```text
//! mindos-bench-report --out docs/benchmarks.md --command "scripts/bench.sh" --seconds 312 \
//!     target/bench/epoch.json target/bench/mesh.json
//! ```
//!
//! See the crate's README for the JSON schema.

use clap::Parser;
use mindos_bench_report::{write_report, Run};

/// Writes the benchmark report (markdown plus SVG plots) from benchmark results.
#[derive(Debug, Parser)]
#[command(name = "mindos-bench-report", version, about)]
struct Cli {
    /// The markdown file to write; the plots go to a directory beside it, named after it
    /// without `.md` (docs/benchmarks.md → docs/benchmarks/).
    #[arg(long)]
    out: std::path::PathBuf,
    /// The results are from `--quick` runs (each result must say the same).
    #[arg(long)]
    quick: bool,
    /// The command that produced the results, shown in the report.
    #[arg(long)]
    command: String,
    /// How long the whole run took, in seconds.
    #[arg(long)]
    seconds: u64,
    /// When the run started (free text, e.g. `date -u`).
    #[arg(long, default_value = "")]
    date: String,
    /// The commit measured.
    #[arg(long, default_value = "")]
    commit: String,
    /// The compiler (`rustc --version`).
    #[arg(long, default_value = "")]
    rustc: String,
    /// `/proc/loadavg` before the run: other work on the machine.
    #[arg(long, default_value = "")]
    load_before: String,
    /// The benchmarks' JSON result files, in the order the report shows them.
    #[arg(required = true)]
    results: Vec<std::path::PathBuf>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let run = Run {
        quick: cli.quick,
        command: cli.command,
        seconds: cli.seconds,
        date: cli.date,
        commit: cli.commit,
        rustc: cli.rustc,
        load_before: cli.load_before,
    };
    match write_report(&cli.out, &run, &cli.results) {
        Ok(()) => {
            println!("wrote {}", cli.out.display());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mindos-bench-report: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
