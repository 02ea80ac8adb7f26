//! What a miner operator can say, unchecked: the command line ([`Cli`]) and the TOML file,
//! one `clap::Args` group per `--help` heading and file section ([`Settings`]). The groups
//! both binaries have (`[chain]`, `[keys]`, `[assets]`, `[mesh]`, `[metrics]`) are
//! `mindos_daemon::args`; the miner's own are here. A setting's file key is its flag in the
//! section its heading names (`--max-batch 8` is `max_batch = 8` under `[batching]`,
//! `--chain-rpc` is `rpc` under `[chain]`; `mindos_daemon::config` states the rule). Flags
//! win over the file, the file over the defaults `--help` shows.
//!
//! [`crate::config`] checks these into a `Config`.

use mindos_primitives::NetUid;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use mindos_daemon::{
    args::{AssetArgs, ChainArgs, KeyArgs, MeshArgs, MetricsArgs},
    config::{CommandLine, SettingsArgs},
};
use serde::{Deserialize, Serialize};

/// Largest batch the miner accepts in its configuration (the subnet may allow fewer).
pub const MAX_BATCH_LIMIT: usize = 1024;
/// Default owner JSON-RPC address.
pub const DEFAULT_RPC_ADDR: &str = "127.0.0.1:9955";
/// Default Prometheus address.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9616";
/// Default mesh listen addresses: TCP and QUIC on one port.
pub const DEFAULT_LISTEN: [&str; 2] = ["/ip4/0.0.0.0/tcp/30444", "/ip4/0.0.0.0/udp/30444/quic-v1"];
/// Default ONNX Runtime threads inside one operator.
pub const DEFAULT_INTRA_THREADS: usize = 1;
/// Default largest request accepted, in bytes.
pub const DEFAULT_MAX_REQUEST_BYTES: u32 = 256 * 1024;
/// Default seconds between two capacity beats.
pub const DEFAULT_BEAT_INTERVAL_SECS: u64 = 10;
/// Default most requests per batch.
pub const DEFAULT_MAX_BATCH: usize = 16;
/// Default wait of a batch's first request for more, in milliseconds.
pub const DEFAULT_MAX_WAIT_MS: u64 = 0;
/// Default batches at once.
pub const DEFAULT_WORKERS: usize = 1;
/// Default requests that may wait for a worker.
pub const DEFAULT_QUEUE_CAPACITY: usize = 64;
/// Default power-supply class directory.
pub const DEFAULT_POWER_SUPPLY_DIR: &str = "/sys/class/power_supply";
/// Default charge, in percent, below which the miner goes low-power on battery.
pub const DEFAULT_LOW_BATTERY_PERCENT: u8 = 20;
/// Default thermal class directory (thermal zones, temperatures in millidegrees Celsius).
pub const DEFAULT_THERMAL_DIR: &str = "/sys/class/thermal";
/// Default temperature, in degrees Celsius, at which the miner goes low-power: below the
/// 85 °C where a Raspberry Pi's firmware starts throttling on its own.
pub const DEFAULT_HOT_CELSIUS: u8 = 80;
/// Default batches at once in low-power mode.
pub const DEFAULT_LOW_POWER_WORKERS: usize = 1;
/// Default region: unknown.
pub const DEFAULT_REGION: &str = "ZZ";
/// Default bytes the signed answers kept to re-send may take (32 MiB).
pub const DEFAULT_SIGNED_ANSWERS_BYTES: usize = 32 * 1024 * 1024;

/// The `mindos-miner` command line; parse it with [`Cli`].
#[derive(Debug, Parser)]
#[command(
    name = "mindos-miner",
    version,
    about = "Serve one MindOS subnet's ONNX model over the mesh to the subnet's validators.",
    long_about = "Serve one MindOS subnet's ONNX model over the mesh to the subnet's validators.\n\n\
        At start the miner loads the ONNX Runtime library and the subnet's model, checks the \
        model's digest against the subnet's TaskSpec on chain, registers its hotkey if needed \
        (coldkey pays the burn), and publishes its PeerId, addresses and device profile with \
        `serve`. It answers /mindos/infer/1 only from peers bound on chain to a hotkey with a \
        validator permit on the subnet, or listed with --allow-peer.\n\n\
        Settings come from flags and an optional TOML file (--config) with one section per \
        heading below: `--max-batch 8` is `max_batch = 8` under `[batching]`, `--chain-rpc` \
        is `rpc` under `[chain]`; flags win. With --no-chain the miner serves a private mesh: \
        no chain, --subnet names the model and only --allow-peer peers are served.",
    mut_arg("metrics_addr", |a| a.default_value(DEFAULT_METRICS_ADDR)),
    mut_arg("listen", |a| a.default_values(DEFAULT_LISTEN))
)]
pub struct Args {
    /// TOML configuration file, one section per heading below.
    #[arg(long, short = 'c', env = "MINDOS_MINER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The settings (flags override the file).
    #[command(flatten)]
    pub settings: Settings,
}

impl SettingsArgs for Args {
    type Settings = Settings;

    fn into_parts(self) -> (Option<PathBuf>, Settings) {
        (self.config, self.settings)
    }
}

/// The command line, remembering which settings the config file may fill.
pub type Cli = CommandLine<Args>;

/// Every setting, unchecked, one field per section of the file.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // each group documents its section
pub struct Settings {
    #[command(flatten)]
    pub subnet: SubnetArgs,
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub assets: AssetArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub mesh: MeshArgs,
    #[command(flatten)]
    pub peers: PeerArgs,
    #[command(flatten)]
    pub batching: BatchingArgs,
    #[command(flatten)]
    pub power: PowerArgs,
    #[command(flatten)]
    pub device: DeviceArgs,
    #[command(flatten)]
    pub signing: SigningArgs,
    #[command(flatten)]
    pub rpc: RpcArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// `[subnet]`: what to serve.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Subnet")]
pub struct SubnetArgs {
    /// Subnet to serve (its netuid on chain). Required.
    #[arg(long, value_name = "N")]
    pub netuid: Option<NetUid>,

    /// Name of the subnet's task (`text-embedding`, `digits`). With the chain it is read from
    /// the subnet's record (and must match if given); with --no-chain it is required.
    #[arg(long, value_name = "NAME")]
    pub subnet: Option<String>,
}

/// `[model]`: which model files, and how ONNX Runtime runs them.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Model")]
pub struct ModelArgs {
    /// A model file to load instead of the subnet's default one; its digest must still match
    /// the chain's TaskSpec.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,

    /// A `tokenizer.json` to load instead of the one in the models directory (text subnets);
    /// its digest must still be the one this build pins.
    #[arg(long, value_name = "FILE")]
    pub tokenizer: Option<PathBuf>,

    /// Threads ONNX Runtime uses inside one operator.
    #[arg(long, value_name = "N", default_value = DEFAULT_INTRA_THREADS.to_string())]
    pub intra_threads: Option<usize>,

    /// Lower resident memory under load, answers unchanged: ONNX Runtime frees each
    /// operator's activations as it goes instead of keeping one planned block per input
    /// shape it has seen (memory patterns off). On MiniLM the miner's peak under load was
    /// 0-7 MiB lower in our runs (20 MiB under steady full batches of 16); its cost in speed
    /// was within the noise (miner/README.md, Footprint). It does not lower the idle
    /// footprint.
    #[arg(long)]
    pub low_memory: bool,
}

/// `[peers]`: whom the miner dials and serves, and what it tells them.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Peers")]
pub struct PeerArgs {
    /// Peer to dial at start, ending in /p2p/PEER_ID (repeatable).
    #[arg(long = "bootstrap", value_name = "MULTIADDR")]
    pub bootstrap: Vec<String>,

    /// A PeerId always allowed to send requests, besides the subnet's permitted validators
    /// (repeatable).
    #[arg(long = "allow-peer", value_name = "PEER_ID")]
    pub allow_peer: Vec<String>,

    /// Largest request accepted, in bytes; larger ones are answered `too_large`.
    #[arg(long, value_name = "BYTES", default_value = DEFAULT_MAX_REQUEST_BYTES.to_string())]
    pub max_request_bytes: Option<u32>,

    /// Seconds between two capacity beats.
    #[arg(long, value_name = "SECS", default_value = DEFAULT_BEAT_INTERVAL_SECS.to_string())]
    pub beat_interval_secs: Option<u64>,
}

/// `[batching]`: dynamic batching and the request queue.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Batching")]
pub struct BatchingArgs {
    /// Most requests run as one batch (at most the subnet's own limit).
    #[arg(long, value_name = "N", default_value = DEFAULT_MAX_BATCH.to_string())]
    pub max_batch: Option<usize>,

    /// How long the first request of a batch may wait for more, in milliseconds. 0: a batch
    /// starts as soon as a worker is free, and batches form from the requests that queued
    /// while workers were busy.
    #[arg(long, value_name = "MS", default_value = DEFAULT_MAX_WAIT_MS.to_string())]
    pub max_wait_ms: Option<u64>,

    /// Batches that may run at once (one ONNX session each).
    #[arg(long, value_name = "N", default_value = DEFAULT_WORKERS.to_string())]
    pub workers: Option<usize>,

    /// Requests that may wait for a worker; beyond it requests are answered `busy`.
    #[arg(long, value_name = "N", default_value = DEFAULT_QUEUE_CAPACITY.to_string())]
    pub queue_capacity: Option<usize>,
}

/// `[power]`: how the miner learns it runs on battery or runs hot, and what it does then.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Power")]
pub struct PowerArgs {
    /// Where to look for batteries and chargers first.
    #[arg(long = "power-supply-dir", value_name = "DIR", default_value = DEFAULT_POWER_SUPPLY_DIR)]
    pub supply_dir: Option<PathBuf>,

    /// A file saying `mains`, `battery [PERCENT]` or `unknown`, read when the power-supply
    /// directory shows no battery.
    #[arg(long = "power-status-file", value_name = "FILE")]
    pub status_file: Option<PathBuf>,

    /// Declare that the device runs on battery (used when neither the power-supply directory
    /// nor the status file tells).
    #[arg(long)]
    pub on_battery: bool,

    /// Declared battery charge in percent (with --on-battery).
    #[arg(long, value_name = "PERCENT")]
    pub battery_percent: Option<u8>,

    /// On battery below this charge the miner goes low-power.
    #[arg(long, value_name = "PERCENT", default_value = DEFAULT_LOW_BATTERY_PERCENT.to_string())]
    pub low_battery_percent: Option<u8>,

    /// Where to read the device's temperatures (thermal zones' `temp`, in millidegrees
    /// Celsius); the hottest plausible zone counts. Missing on most VMs: then heat plays no
    /// part.
    #[arg(long = "thermal-dir", value_name = "DIR", default_value = DEFAULT_THERMAL_DIR)]
    pub thermal_dir: Option<PathBuf>,

    /// At or above this temperature (°C) the miner goes low-power, as on low battery, and
    /// leaves that mode once 5 °C cooler.
    #[arg(long, value_name = "CELSIUS", default_value = DEFAULT_HOT_CELSIUS.to_string())]
    pub hot_celsius: Option<u8>,

    /// Largest batch in low-power mode [default: a quarter of --max-batch, at least 1].
    #[arg(long, value_name = "N")]
    pub low_power_max_batch: Option<usize>,

    /// Batches at once in low-power mode.
    #[arg(long, value_name = "N", default_value = DEFAULT_LOW_POWER_WORKERS.to_string())]
    pub low_power_workers: Option<usize>,
}

/// `[device]`: the device profile published with `serve`.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Device")]
pub struct DeviceArgs {
    /// Kind of device [default: laptop if a battery is found, else desktop].
    #[arg(long = "device-class", value_enum, value_name = "CLASS")]
    pub class: Option<DeviceClass>,

    /// Relative compute capacity [default: measured at start, inferences per second].
    #[arg(long, value_name = "N")]
    pub compute_score: Option<u32>,

    /// ISO 3166-1 alpha-2 region, two capital letters (ZZ: unknown).
    #[arg(long, value_name = "CC", default_value = DEFAULT_REGION)]
    pub region: Option<String>,
}

/// `[signing]`: signed answers (requests with challenge terms).
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Signing")]
pub struct SigningArgs {
    /// Bytes the signed answers kept to re-send may take (each challenge is signed once and
    /// its answer re-sent when it comes again): three quarters for answers (about 0.7 KiB a
    /// digits answer, 5.1 KiB a text embedding), oldest evicted first, a quarter for
    /// fingerprints of evicted challenges, which are then refused rather than signed twice.
    #[arg(long, value_name = "BYTES", default_value = DEFAULT_SIGNED_ANSWERS_BYTES.to_string())]
    pub signed_answers_bytes: Option<usize>,
}

/// `[rpc]`: the owner's JSON-RPC endpoint.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "RPC")]
pub struct RpcArgs {
    /// Owner JSON-RPC (miner_status, miner_infer); loopback only.
    #[arg(id = "rpc_addr", long = "rpc-addr", value_name = "ADDR", default_value = DEFAULT_RPC_ADDR)]
    pub addr: Option<String>,

    /// Do not start the owner JSON-RPC endpoint.
    #[arg(long)]
    pub no_rpc: bool,
}

/// Kind of device, as declared on chain with `serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceClass {
    /// A phone or tablet.
    Phone,
    /// A laptop.
    Laptop,
    /// A desktop or workstation.
    Desktop,
    /// A server or cloud instance.
    Server,
    /// A single-board computer or other embedded device.
    Embedded,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_lists_replace() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("miner.toml");
        std::fs::write(
            &file,
            "[batching]\nmax_batch = 8\nworkers = 2\n[mesh]\nlisten = [\"/ip4/127.0.0.1/tcp/2\"]\n\
             [peers]\nallow_peer = [\"x\"]\n[chain]\nno_chain = true\n",
        )
        .unwrap();
        let cli = Cli::try_parse_from([
            "mindos-miner",
            "--config",
            file.to_str().unwrap(),
            "--max-batch",
            "4",
            "--listen",
            "/ip4/127.0.0.1/tcp/1",
        ])
        .unwrap();
        let merged = cli.into_settings().unwrap();
        assert_eq!(merged.batching.max_batch, Some(4));
        assert_eq!(merged.batching.workers, Some(2));
        assert_eq!(merged.mesh.listen, vec!["/ip4/127.0.0.1/tcp/1".to_owned()]);
        assert_eq!(merged.peers.allow_peer, vec!["x".to_owned()]);
        assert!(merged.chain.no_chain);
    }

    #[test]
    fn every_flag_has_a_key_the_file_accepts() {
        use clap::CommandFactory;
        let unknown = mindos_daemon::config::flags_without_file_key::<Settings>(&Cli::command());
        assert!(unknown.is_empty(), "no file key for {unknown:?}");
    }
}
