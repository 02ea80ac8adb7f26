//! Configuration: command-line flags and a TOML file ([`Settings`], both optional values),
//! merged and checked once into a [`Config`] that cannot be invalid.
//!
//! Every setting has the same name in both places: `--max-batch 8` on the command line is
//! `max_batch = 8` in the file. Flags win over the file; repeatable flags (`--listen`,
//! `--allow-peer`, …) replace the file's list when given.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use clap::{Parser, ValueEnum};
use mindos_daemon::config::{self, in_range, invalid, parse_socket};
use mindos_mesh::{libp2p::multiaddr::Protocol, Multiaddr, PeerId, MIN_SIZE_LIMIT};
use serde::Deserialize;

pub use mindos_daemon::config::{parse_mind, ConfigError, PLANCK_PER_MIND};

/// Largest batch the miner accepts in its configuration (the subnet may allow fewer).
pub const MAX_BATCH_LIMIT: usize = 1024;

/// Default owner JSON-RPC address.
pub const DEFAULT_RPC_ADDR: &str = "127.0.0.1:9955";
/// Default Prometheus address.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9616";
/// Default chain node.
pub const DEFAULT_CHAIN_RPC: &str = "ws://127.0.0.1:9944";

/// The `mindos-miner` command line.
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
        Settings come from flags and an optional TOML file (--config) whose keys are the flag \
        names with underscores, e.g. `max_batch = 8`; flags win. With --no-chain the miner \
        serves a private mesh: no chain, --subnet names the model and only --allow-peer peers \
        are served."
)]
pub struct Cli {
    /// TOML configuration file; its keys are the flag names with `_` for `-`.
    #[arg(long, short = 'c', env = "MINDOS_MINER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The settings (flags override the file).
    #[command(flatten)]
    pub settings: Settings,
}

impl Cli {
    /// The flags merged over the config file, if one was given.
    pub fn into_settings(self) -> Result<Settings, ConfigError> {
        match &self.config {
            Some(path) => Ok(self.settings.or(Settings::from_file(path)?)),
            None => Ok(self.settings),
        }
    }
}

/// Kind of device, as declared on chain with `serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
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

/// Every setting, unchecked: what the flags or the file said. Absent values take their
/// defaults in [`Config::from_settings`].
#[derive(Clone, Debug, Default, clap::Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    // --- subnet and chain ---
    /// Subnet to serve (its netuid on chain). Required.
    #[arg(long, value_name = "N", help_heading = "Subnet and chain")]
    pub netuid: Option<u16>,

    /// Name of the subnet's task (`text-embedding`, `digits`). With the chain it is read from
    /// the subnet's record (and must match if given); with --no-chain it is required.
    #[arg(long, value_name = "NAME", help_heading = "Subnet and chain")]
    pub subnet: Option<String>,

    /// WebSocket JSON-RPC endpoint of a MindOS node [default: ws://127.0.0.1:9944].
    #[arg(
        long,
        env = "MINDOS_CHAIN_RPC",
        value_name = "URL",
        help_heading = "Subnet and chain"
    )]
    pub chain_rpc: Option<String>,

    /// Run without a chain: a private or local mesh. Needs --subnet and --allow-peer; the model
    /// is checked against the digest this build pins instead of the chain's.
    #[arg(long, help_heading = "Subnet and chain")]
    pub no_chain: bool,

    /// Most MIND the coldkey may burn to register the hotkey (decimal, e.g. `2.5`)
    /// [default: 10].
    #[arg(long, value_name = "MIND", help_heading = "Subnet and chain")]
    pub max_burn: Option<String>,

    /// If the hotkey's free balance is below this many MIND, the coldkey tops it up to this
    /// amount so the hotkey can pay the `serve` fee [default: off].
    #[arg(long, value_name = "MIND", help_heading = "Subnet and chain")]
    pub fund_hotkey: Option<String>,

    // --- keys ---
    /// Directory for the miner's key files [default: $HOME/.local/share/mindos-miner].
    #[arg(long, value_name = "DIR", help_heading = "Keys")]
    pub base_path: Option<PathBuf>,

    /// Hotkey file: a secret URI (`//Alice`, a mnemonic, `0x<64 hex>`) or a 32-byte hex seed.
    /// Created (mode 0600, random seed) if absent [default: BASE_PATH/hotkey].
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    pub hotkey_file: Option<PathBuf>,

    /// Coldkey file, same format; never created. Needed only to register the hotkey (and to
    /// fund it with --fund-hotkey).
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    pub coldkey_file: Option<PathBuf>,

    /// The libp2p identity (ed25519, 32 raw bytes or 64 hex); created (0600) if absent
    /// [default: BASE_PATH/node.key].
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    pub node_key_file: Option<PathBuf>,

    // --- model ---
    /// ONNX Runtime library (libonnxruntime.so.1.31.1) [default: $ORT_DYLIB_PATH, else the
    /// cache scripts/setup.sh fills].
    #[arg(long, value_name = "FILE", help_heading = "Model")]
    pub ort_dylib: Option<PathBuf>,

    /// Directory with one folder per subnet model: `text-embedding/model.onnx` and its
    /// `tokenizer.json` [default: $MINDOS_MODELS_DIR, else the cache].
    #[arg(long, value_name = "DIR", help_heading = "Model")]
    pub models_dir: Option<PathBuf>,

    /// A model file to load instead of the subnet's default one; its digest must still match
    /// the chain's TaskSpec.
    #[arg(long, value_name = "FILE", help_heading = "Model")]
    pub model: Option<PathBuf>,

    /// A `tokenizer.json` to load instead of the one in the models directory (text subnets);
    /// its digest must still be the one this build pins.
    #[arg(long, value_name = "FILE", help_heading = "Model")]
    pub tokenizer: Option<PathBuf>,

    /// Threads ONNX Runtime uses inside one operator [default: 1].
    #[arg(long, value_name = "N", help_heading = "Model")]
    pub intra_threads: Option<usize>,

    // --- mesh ---
    /// Mesh listen address (repeatable) [default: /ip4/0.0.0.0/tcp/30444 and
    /// /ip4/0.0.0.0/udp/30444/quic-v1].
    #[arg(long = "listen", value_name = "MULTIADDR", help_heading = "Mesh")]
    pub listen: Vec<String>,

    /// Address published on chain with `serve` (repeatable, at most 8) [default: the
    /// addresses the mesh listens on].
    #[arg(long = "public-addr", value_name = "MULTIADDR", help_heading = "Mesh")]
    pub public_addr: Vec<String>,

    /// Peer to dial at start, ending in /p2p/PEER_ID (repeatable).
    #[arg(long = "bootstrap", value_name = "MULTIADDR", help_heading = "Mesh")]
    pub bootstrap: Vec<String>,

    /// Turn off mDNS discovery on the local network.
    #[arg(long, help_heading = "Mesh")]
    pub no_mdns: bool,

    /// A PeerId always allowed to send requests, besides the subnet's permitted validators
    /// (repeatable).
    #[arg(long = "allow-peer", value_name = "PEER_ID", help_heading = "Mesh")]
    pub allow_peer: Vec<String>,

    /// Largest request accepted, in bytes; larger ones are answered `too_large`
    /// [default: 262144].
    #[arg(long, value_name = "BYTES", help_heading = "Mesh")]
    pub max_request_bytes: Option<u32>,

    /// Seconds between two capacity beats [default: 10].
    #[arg(long, value_name = "SECS", help_heading = "Mesh")]
    pub beat_interval_secs: Option<u64>,

    // --- batching ---
    /// Most requests run as one batch [default: 16; at most the subnet's own limit].
    #[arg(long, value_name = "N", help_heading = "Batching")]
    pub max_batch: Option<usize>,

    /// How long the first request of a batch may wait for more, in milliseconds. 0: a batch
    /// starts as soon as a worker is free, and batches form from the requests that queued
    /// while workers were busy [default: 0].
    #[arg(long, value_name = "MS", help_heading = "Batching")]
    pub max_wait_ms: Option<u64>,

    /// Batches that may run at once (one ONNX session each) [default: 1].
    #[arg(long, value_name = "N", help_heading = "Batching")]
    pub workers: Option<usize>,

    /// Requests that may wait for a worker; beyond it requests are answered `busy`
    /// [default: 64].
    #[arg(long, value_name = "N", help_heading = "Batching")]
    pub queue_capacity: Option<usize>,

    // --- power ---
    /// Where to look for batteries and chargers first [default: /sys/class/power_supply].
    #[arg(long, value_name = "DIR", help_heading = "Power")]
    pub power_supply_dir: Option<PathBuf>,

    /// A file saying `mains`, `battery [PERCENT]` or `unknown`, read when the power-supply
    /// directory shows no battery.
    #[arg(long, value_name = "FILE", help_heading = "Power")]
    pub power_status_file: Option<PathBuf>,

    /// Declare that the device runs on battery (used when neither the power-supply directory
    /// nor the status file tells).
    #[arg(long, help_heading = "Power")]
    pub on_battery: bool,

    /// Declared battery charge in percent (with --on-battery).
    #[arg(long, value_name = "PERCENT", help_heading = "Power")]
    pub battery_percent: Option<u8>,

    /// On battery below this charge the miner goes low-power [default: 20].
    #[arg(long, value_name = "PERCENT", help_heading = "Power")]
    pub low_battery_percent: Option<u8>,

    /// Largest batch in low-power mode [default: a quarter of --max-batch, at least 1].
    #[arg(long, value_name = "N", help_heading = "Power")]
    pub low_power_max_batch: Option<usize>,

    /// Batches at once in low-power mode [default: 1].
    #[arg(long, value_name = "N", help_heading = "Power")]
    pub low_power_workers: Option<usize>,

    // --- device profile (published with `serve`) ---
    /// Kind of device [default: laptop if a battery is found, else desktop].
    #[arg(
        long,
        value_enum,
        value_name = "CLASS",
        help_heading = "Device profile"
    )]
    pub device_class: Option<DeviceClass>,

    /// Relative compute capacity [default: measured at start, inferences per second].
    #[arg(long, value_name = "N", help_heading = "Device profile")]
    pub compute_score: Option<u32>,

    /// ISO 3166-1 alpha-2 region, two capital letters [default: ZZ, unknown].
    #[arg(long, value_name = "CC", help_heading = "Device profile")]
    pub region: Option<String>,

    // --- local endpoints ---
    /// Owner JSON-RPC (miner_status, miner_infer); loopback only [default: 127.0.0.1:9955].
    #[arg(long, value_name = "ADDR", help_heading = "Local endpoints")]
    pub rpc_addr: Option<String>,

    /// Do not start the owner JSON-RPC endpoint.
    #[arg(long, help_heading = "Local endpoints")]
    pub no_rpc: bool,

    /// Prometheus metrics at /metrics [default: 127.0.0.1:9616].
    #[arg(long, value_name = "ADDR", help_heading = "Local endpoints")]
    pub metrics_addr: Option<String>,

    /// Do not serve Prometheus metrics.
    #[arg(long, help_heading = "Local endpoints")]
    pub no_metrics: bool,
}

impl Settings {
    /// Reads a TOML file of settings; unknown keys are an error.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        config::read_toml(path)
    }

    /// `self`, with `other` filling what `self` leaves unset.
    pub fn or(self, other: Settings) -> Settings {
        mindos_daemon::merge_settings!(self, other;
            options: netuid, subnet, chain_rpc, max_burn, fund_hotkey, base_path, hotkey_file,
                coldkey_file, node_key_file, ort_dylib, models_dir, model, tokenizer, intra_threads,
                max_request_bytes, beat_interval_secs, max_batch, max_wait_ms, workers,
                queue_capacity, power_supply_dir, power_status_file, battery_percent,
                low_battery_percent, low_power_max_batch, low_power_workers, device_class,
                compute_score, region, rpc_addr, metrics_addr;
            lists: listen, public_addr, bootstrap, allow_peer;
            flags: no_chain, no_mdns, on_battery, no_rpc, no_metrics,
        )
    }
}

/// Where the miner learns who may call it and what to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainMode {
    /// A MindOS chain: the subnet's TaskSpec, registration, `serve`, validator permits.
    Chain(ChainSettings),
    /// No chain (`--no-chain`): a private mesh of allow-listed peers.
    Private,
}

/// How the miner uses the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChainSettings {
    /// The node's WebSocket JSON-RPC URL.
    pub rpc_url: String,
    /// The hotkey file (created if absent).
    pub hotkey_file: PathBuf,
    /// The coldkey file, if the miner may register (and fund) its hotkey.
    pub coldkey_file: Option<PathBuf>,
    /// Most planck the registration may burn.
    pub max_burn: u128,
    /// Top the hotkey up to this many planck from the coldkey when it has less.
    pub fund_hotkey: Option<u128>,
}

/// Model loading.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModelSettings {
    /// The ONNX Runtime library, or the environment's/cache's.
    pub ort_dylib: Option<PathBuf>,
    /// The models directory, or the environment's/cache's.
    pub models_dir: Option<PathBuf>,
    /// A model file replacing the subnet's default one.
    pub model: Option<PathBuf>,
    /// A tokenizer file replacing the one in the models directory.
    pub tokenizer: Option<PathBuf>,
    /// ONNX Runtime intra-op threads.
    pub intra_threads: usize,
}

/// The mesh node.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MeshSettings {
    /// The libp2p identity file.
    pub node_key_file: PathBuf,
    /// Listen addresses.
    pub listen: Vec<Multiaddr>,
    /// Addresses published on chain; empty: the listen addresses.
    pub public_addrs: Vec<Multiaddr>,
    /// Peers dialled at start.
    pub bootstrap: Vec<Multiaddr>,
    /// mDNS discovery.
    pub mdns: bool,
    /// Peers always allowed to call.
    pub allow_peers: Vec<PeerId>,
    /// Largest request accepted.
    pub max_request_bytes: u32,
    /// Time between capacity beats.
    pub beat_interval: Duration,
}

/// Dynamic batching and the request queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Batching {
    /// Most requests per batch.
    pub max_batch: usize,
    /// How long a batch's first request may wait for more.
    pub max_wait: Duration,
    /// Batches running at once.
    pub workers: usize,
    /// Requests waiting for a worker, at most.
    pub queue_capacity: usize,
}

/// The power policy.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PowerSettings {
    /// The power-supply class directory (sysfs).
    pub supply_dir: PathBuf,
    /// The fallback status file.
    pub status_file: Option<PathBuf>,
    /// Declared: on battery.
    pub on_battery: bool,
    /// Declared battery charge.
    pub battery_percent: Option<u8>,
    /// Low-power threshold on battery.
    pub low_battery_percent: u8,
    /// Largest batch in low-power mode.
    pub low_power_max_batch: usize,
    /// Batches at once in low-power mode.
    pub low_power_workers: usize,
}

/// The device profile published with `serve`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceSettings {
    /// Declared device class, or guessed from the power supply.
    pub class: Option<DeviceClass>,
    /// Declared compute score, or measured at start.
    pub compute_score: Option<u32>,
    /// Region code, two ASCII capitals.
    pub region: [u8; 2],
}

/// A checked miner configuration; build it with [`Config::from_settings`] (or
/// `Config::try_from(cli)`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The subnet served.
    pub netuid: u16,
    /// The task name, if configured (always set with [`ChainMode::Private`]).
    pub subnet: Option<String>,
    /// Chain or private mesh.
    pub chain: ChainMode,
    /// Model loading.
    pub model: ModelSettings,
    /// The mesh node.
    pub mesh: MeshSettings,
    /// Batching and queue.
    pub batching: Batching,
    /// Power policy.
    pub power: PowerSettings,
    /// Device profile.
    pub device: DeviceSettings,
    /// Owner JSON-RPC address (loopback), if enabled.
    pub rpc_addr: Option<SocketAddr>,
    /// Prometheus address, if enabled.
    pub metrics_addr: Option<SocketAddr>,
}

impl TryFrom<Cli> for Config {
    type Error = ConfigError;

    fn try_from(cli: Cli) -> Result<Self, ConfigError> {
        Config::from_settings(cli.into_settings()?)
    }
}

impl Config {
    /// Checks `s` and fills in defaults. Fails on the first bad setting, naming it.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let netuid = s
            .netuid
            .ok_or_else(|| invalid("netuid", "missing: the subnet to serve"))?;
        if let Some(name) = &s.subnet {
            if !mindos_subnets::SUBNETS.contains(&name.as_str()) {
                return Err(invalid(
                    "subnet",
                    format!(
                        "unknown subnet `{name}`; this build serves: {}",
                        mindos_subnets::SUBNETS.join(", ")
                    ),
                ));
            }
        }
        let base_path = match s.base_path {
            Some(p) => p,
            None => default_base_path()?,
        };
        let allow_peers = s
            .allow_peer
            .iter()
            .map(|p| {
                p.parse::<PeerId>()
                    .map_err(|e| invalid("allow_peer", format!("`{p}` is not a PeerId: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let chain = if s.no_chain {
            if s.subnet.is_none() {
                return Err(invalid(
                    "subnet",
                    "missing: with --no-chain name the task to serve (text-embedding, digits)",
                ));
            }
            if allow_peers.is_empty() {
                return Err(invalid(
                    "allow_peer",
                    "missing: with --no-chain only allow-listed peers can be served; add at \
                     least one --allow-peer",
                ));
            }
            ChainMode::Private
        } else {
            let rpc_url = s.chain_rpc.unwrap_or_else(|| DEFAULT_CHAIN_RPC.to_owned());
            if !(rpc_url.starts_with("ws://") || rpc_url.starts_with("wss://")) {
                return Err(invalid(
                    "chain_rpc",
                    format!("`{rpc_url}` is not a ws:// or wss:// URL"),
                ));
            }
            let max_burn = parse_mind("max_burn", s.max_burn.as_deref().unwrap_or("10"))?;
            let fund_hotkey = s
                .fund_hotkey
                .as_deref()
                .map(|v| parse_mind("fund_hotkey", v))
                .transpose()?;
            if fund_hotkey.is_some() && s.coldkey_file.is_none() {
                return Err(invalid(
                    "fund_hotkey",
                    "needs a coldkey to pay from: set --coldkey-file",
                ));
            }
            ChainMode::Chain(ChainSettings {
                rpc_url,
                hotkey_file: s.hotkey_file.unwrap_or_else(|| base_path.join("hotkey")),
                coldkey_file: s.coldkey_file,
                max_burn,
                fund_hotkey,
            })
        };

        let model = ModelSettings {
            ort_dylib: s.ort_dylib,
            models_dir: s.models_dir,
            model: s.model,
            tokenizer: s.tokenizer,
            intra_threads: in_range("intra_threads", s.intra_threads.unwrap_or(1), 1, 64)?,
        };

        let listen = if s.listen.is_empty() {
            vec![
                default_addr("/ip4/0.0.0.0/tcp/30444")?,
                default_addr("/ip4/0.0.0.0/udp/30444/quic-v1")?,
            ]
        } else {
            parse_addrs("listen", &s.listen)?
        };
        let public_addrs = parse_addrs("public_addr", &s.public_addr)?;
        if public_addrs.len() > mindos_primitives::MAX_MULTIADDRS as usize {
            return Err(invalid(
                "public_addr",
                format!(
                    "at most {} addresses can be published",
                    mindos_primitives::MAX_MULTIADDRS
                ),
            ));
        }
        if let Some(long) = public_addrs
            .iter()
            .find(|a| a.to_vec().len() > mindos_primitives::MAX_MULTIADDR_LEN as usize)
        {
            return Err(invalid(
                "public_addr",
                format!("`{long}` is too long to publish"),
            ));
        }
        let bootstrap = parse_addrs("bootstrap", &s.bootstrap)?;
        if let Some(bad) = bootstrap
            .iter()
            .find(|a| !matches!(a.iter().last(), Some(Protocol::P2p(_))))
        {
            return Err(invalid(
                "bootstrap",
                format!("`{bad}` must end in /p2p/<peer id>"),
            ));
        }
        let mesh = MeshSettings {
            node_key_file: s
                .node_key_file
                .unwrap_or_else(|| base_path.join("node.key")),
            listen,
            public_addrs,
            bootstrap,
            mdns: !s.no_mdns,
            allow_peers,
            max_request_bytes: in_range(
                "max_request_bytes",
                s.max_request_bytes.unwrap_or(256 * 1024),
                MIN_SIZE_LIMIT,
                16 * 1024 * 1024,
            )?,
            beat_interval: Duration::from_secs(in_range(
                "beat_interval_secs",
                s.beat_interval_secs.unwrap_or(10),
                1,
                60,
            )?),
        };

        let max_batch = in_range("max_batch", s.max_batch.unwrap_or(16), 1, MAX_BATCH_LIMIT)?;
        let workers = in_range("workers", s.workers.unwrap_or(1), 1, 16)?;
        let batching = Batching {
            max_batch,
            max_wait: Duration::from_millis(in_range(
                "max_wait_ms",
                s.max_wait_ms.unwrap_or(0),
                0,
                1000,
            )?),
            workers,
            queue_capacity: in_range("queue_capacity", s.queue_capacity.unwrap_or(64), 1, 65_536)?,
        };

        let power = PowerSettings {
            supply_dir: s
                .power_supply_dir
                .unwrap_or_else(|| PathBuf::from("/sys/class/power_supply")),
            status_file: s.power_status_file,
            on_battery: s.on_battery,
            battery_percent: s
                .battery_percent
                .map(|p| in_range("battery_percent", p, 0, 100))
                .transpose()?,
            low_battery_percent: in_range(
                "low_battery_percent",
                s.low_battery_percent.unwrap_or(20),
                0,
                100,
            )?,
            low_power_max_batch: in_range(
                "low_power_max_batch",
                s.low_power_max_batch
                    .unwrap_or_else(|| max_batch.checked_div(4).unwrap_or(1).max(1)),
                1,
                max_batch,
            )?,
            low_power_workers: in_range(
                "low_power_workers",
                s.low_power_workers.unwrap_or(1),
                1,
                workers,
            )?,
        };

        let region = s.region.as_deref().unwrap_or("ZZ");
        let region: [u8; 2] = region
            .as_bytes()
            .try_into()
            .ok()
            .filter(|r: &[u8; 2]| r.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| {
                invalid(
                    "region",
                    format!("`{region}` is not two capital letters (ISO 3166-1 alpha-2)"),
                )
            })?;
        let device = DeviceSettings {
            class: s.device_class,
            compute_score: s.compute_score,
            region,
        };

        let rpc_addr = if s.no_rpc {
            None
        } else {
            let addr = parse_socket(
                "rpc_addr",
                s.rpc_addr.as_deref().unwrap_or(DEFAULT_RPC_ADDR),
            )?;
            if !addr.ip().is_loopback() {
                return Err(invalid(
                    "rpc_addr",
                    format!("{addr} is not a loopback address; the owner endpoint is local only"),
                ));
            }
            Some(addr)
        };
        let metrics_addr = if s.no_metrics {
            None
        } else {
            Some(parse_socket(
                "metrics_addr",
                s.metrics_addr.as_deref().unwrap_or(DEFAULT_METRICS_ADDR),
            )?)
        };

        Ok(Config {
            netuid,
            subnet: s.subnet,
            chain,
            model,
            mesh,
            batching,
            power,
            device,
            rpc_addr,
            metrics_addr,
        })
    }
}

fn default_base_path() -> Result<PathBuf, ConfigError> {
    config::default_base_path("mindos-miner")
}

fn default_addr(addr: &str) -> Result<Multiaddr, ConfigError> {
    addr.parse()
        .map_err(|e| invalid("listen", format!("default `{addr}`: {e}")))
}

fn parse_addrs(field: &'static str, addrs: &[String]) -> Result<Vec<Multiaddr>, ConfigError> {
    config::parse_each(field, addrs, "a multiaddr")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_lists_replace() {
        let flags = Settings {
            max_batch: Some(4),
            listen: vec!["/ip4/127.0.0.1/tcp/1".into()],
            ..Settings::default()
        };
        let file = Settings {
            max_batch: Some(8),
            workers: Some(2),
            listen: vec!["/ip4/127.0.0.1/tcp/2".into()],
            allow_peer: vec!["x".into()],
            no_chain: true,
            ..Settings::default()
        };
        let merged = flags.or(file);
        assert_eq!(merged.max_batch, Some(4));
        assert_eq!(merged.workers, Some(2));
        assert_eq!(merged.listen, vec!["/ip4/127.0.0.1/tcp/1".to_owned()]);
        assert_eq!(merged.allow_peer, vec!["x".to_owned()]);
        assert!(merged.no_chain);
    }
}
