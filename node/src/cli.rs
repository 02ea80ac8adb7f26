//! Command-line interface: `mindos-node [subcommand] [flags]`.

use sc_cli::RunCmd;

/// The MindOS node. Without a subcommand it runs a node; `--dev` starts a single-node
/// development chain that authors and finalizes on its own.
#[derive(Debug, clap::Parser)]
pub(crate) struct Cli {
    /// An optional maintenance subcommand.
    #[command(subcommand)]
    pub(crate) subcommand: Option<Subcommand>,

    /// Flags for running a node.
    #[clap(flatten)]
    pub(crate) run: RunCmd,
}

/// Maintenance subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Subcommand {
    /// Key management: generate, inspect and insert keys.
    #[command(subcommand)]
    Key(sc_cli::KeySubcommand),

    /// Write a chain specification to standard output (e.g. to start a shared testnet).
    BuildSpec(sc_cli::BuildSpecCmd),

    /// Validate blocks.
    CheckBlock(sc_cli::CheckBlockCmd),

    /// Export blocks.
    ExportBlocks(sc_cli::ExportBlocksCmd),

    /// Export the state of a given block into a chain spec.
    ExportState(sc_cli::ExportStateCmd),

    /// Import blocks.
    ImportBlocks(sc_cli::ImportBlocksCmd),

    /// Remove the whole chain.
    PurgeChain(sc_cli::PurgeChainCmd),

    /// Revert the chain to a previous state.
    Revert(sc_cli::RevertCmd),

    /// Database metadata.
    ChainInfo(sc_cli::ChainInfoCmd),

    /// Benchmark pallets (to generate `weights.rs`), blocks or this machine. Only in builds
    /// with the `runtime-benchmarks` feature (`scripts/benchmark.sh` makes one).
    #[cfg(feature = "runtime-benchmarks")]
    #[command(subcommand)]
    Benchmark(frame_benchmarking_cli::BenchmarkCmd),
}
