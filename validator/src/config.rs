//! Configuration: command-line flags and a TOML file ([`Settings`], both optional values),
//! merged and checked once into a [`Config`] that cannot be invalid.
//!
//! Every setting has the same name in both places: `--gateway-addr 0.0.0.0:9933` on the
//! command line is `gateway_addr = "0.0.0.0:9933"` in the file. Flags win over the file;
//! repeatable flags (`--netuid`, `--listen`, …) replace the file's list when given.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use clap::Parser;
use mindos_daemon::config::{self, in_range, invalid, parse_socket};
use mindos_mesh::{libp2p::multiaddr::Protocol, Multiaddr, PeerId};
use serde::Deserialize;

pub use mindos_daemon::config::{parse_mind, ConfigError, PLANCK_PER_MIND};

/// Default gateway address (JSON-RPC over HTTP and WebSocket).
pub const DEFAULT_GATEWAY_ADDR: &str = "127.0.0.1:9933";
/// Default Prometheus address.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9617";
/// Default chain node.
pub const DEFAULT_CHAIN_RPC: &str = "ws://127.0.0.1:9944";
/// Most miners one query may ask at once.
pub const MAX_REDUNDANCY: u32 = 16;

/// The `mindos-validator` command line.
#[derive(Debug, Parser)]
#[command(
    name = "mindos-validator",
    version,
    about = "Score MindOS miners, set weights on chain and serve the JSON-RPC query gateway.",
    long_about = "Score MindOS miners, set weights on chain and serve the JSON-RPC query gateway.\n\n\
        The validator registers its hotkey on each validated subnet if needed (the coldkey pays), \
        optionally stakes to it, publishes its PeerId with `serve` so miners answer it, follows \
        finalized blocks, challenges every served miner with held-out validation samples each \
        tempo, and commits then reveals weights. Users query subnets through its gateway \
        (subnet_list, subnet_info, subnet_query, mesh_peers).\n\n\
        Settings come from flags and an optional TOML file (--config) whose keys are the flag \
        names with underscores; flags win. With --no-chain the validator serves a private mesh: \
        --subnet and --miner name the subnets and miners, and no weights are set."
)]
pub struct Cli {
    /// TOML configuration file; its keys are the flag names with `_` for `-`.
    #[arg(
        long,
        short = 'c',
        env = "MINDOS_VALIDATOR_CONFIG",
        value_name = "FILE"
    )]
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

/// Every setting, unchecked: what the flags or the file said. Absent values take their
/// defaults in [`Config::from_settings`].
#[derive(Clone, Debug, Default, clap::Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    // --- subnets and chain ---
    /// Subnet to validate (repeatable) [default: every subnet on chain this build knows].
    #[arg(long = "netuid", value_name = "N", help_heading = "Subnets and chain")]
    pub netuid: Vec<u16>,

    /// WebSocket JSON-RPC endpoint of a MindOS node [default: ws://127.0.0.1:9944].
    #[arg(
        long,
        env = "MINDOS_CHAIN_RPC",
        value_name = "URL",
        help_heading = "Subnets and chain"
    )]
    pub chain_rpc: Option<String>,

    /// Run without a chain: a private mesh of the miners given with --miner; no weights.
    #[arg(long, help_heading = "Subnets and chain")]
    pub no_chain: bool,

    /// With --no-chain: a subnet as `NETUID=NAME`, e.g. `1=digits` (repeatable).
    #[arg(
        long = "subnet",
        value_name = "NETUID=NAME",
        help_heading = "Subnets and chain"
    )]
    pub subnet: Vec<String>,

    /// With --no-chain: a miner as `NETUID=MULTIADDR/p2p/PEER_ID` (repeatable); uids follow
    /// the order given.
    #[arg(
        long = "miner",
        value_name = "NETUID=ADDR",
        help_heading = "Subnets and chain"
    )]
    pub miner: Vec<String>,

    /// Most MIND the coldkey may burn to register the hotkey on one subnet [default: 10].
    #[arg(long, value_name = "MIND", help_heading = "Subnets and chain")]
    pub max_burn: Option<String>,

    /// If the hotkey's free balance is below this many MIND, the coldkey tops it up (fees for
    /// serve and weights) [default: off].
    #[arg(long, value_name = "MIND", help_heading = "Subnets and chain")]
    pub fund_hotkey: Option<String>,

    /// If the hotkey's stake is below this many MIND, the coldkey stakes the difference (a
    /// validator permit needs stake) [default: off].
    #[arg(long, value_name = "MIND", help_heading = "Subnets and chain")]
    pub stake: Option<String>,

    // --- keys and state ---
    /// Directory for key files and the state store [default: $HOME/.local/share/mindos-validator].
    #[arg(long, value_name = "DIR", help_heading = "Keys and state")]
    pub base_path: Option<PathBuf>,

    /// Hotkey file: a secret URI or a 32-byte hex seed; created (0600) if absent
    /// [default: BASE_PATH/hotkey].
    #[arg(long, value_name = "FILE", help_heading = "Keys and state")]
    pub hotkey_file: Option<PathBuf>,

    /// Coldkey file, same format; never created. Needed to register, fund or stake.
    #[arg(long, value_name = "FILE", help_heading = "Keys and state")]
    pub coldkey_file: Option<PathBuf>,

    /// The libp2p identity (ed25519); created (0600) if absent [default: BASE_PATH/node.key].
    #[arg(long, value_name = "FILE", help_heading = "Keys and state")]
    pub node_key_file: Option<PathBuf>,

    /// The state store (pending commits, salts, scores) [default: BASE_PATH/state.redb].
    #[arg(long, value_name = "FILE", help_heading = "Keys and state")]
    pub state_file: Option<PathBuf>,

    // --- models ---
    /// ONNX Runtime library [default: $ORT_DYLIB_PATH, else the cache scripts/setup.sh fills].
    #[arg(long, value_name = "FILE", help_heading = "Models")]
    pub ort_dylib: Option<PathBuf>,

    /// Directory with one folder per subnet model [default: $MINDOS_MODELS_DIR, else the cache].
    #[arg(long, value_name = "DIR", help_heading = "Models")]
    pub models_dir: Option<PathBuf>,

    // --- mesh ---
    /// Mesh listen address (repeatable) [default: /ip4/0.0.0.0/tcp/30445].
    #[arg(long = "listen", value_name = "MULTIADDR", help_heading = "Mesh")]
    pub listen: Vec<String>,

    /// Address published on chain with `serve` (repeatable) [default: the listen addresses].
    #[arg(long = "public-addr", value_name = "MULTIADDR", help_heading = "Mesh")]
    pub public_addr: Vec<String>,

    /// Turn off mDNS discovery on the local network.
    #[arg(long, help_heading = "Mesh")]
    pub no_mdns: bool,

    // --- challenges and weights ---
    /// Time between two challenge rounds; each round challenges every served miner once
    /// [default: 2000].
    #[arg(long, value_name = "MS", help_heading = "Challenges and weights")]
    pub challenge_interval_ms: Option<u64>,

    /// How long a miner has to answer a challenge [default: 5000].
    #[arg(long, value_name = "MS", help_heading = "Challenges and weights")]
    pub challenge_timeout_ms: Option<u64>,

    /// Latency at which a challenge's latency factor halves [default: 200].
    #[arg(long, value_name = "MS", help_heading = "Challenges and weights")]
    pub latency_ref_ms: Option<u64>,

    /// Weight of the newest sample in each miner's moving averages, in percent [default: 10].
    #[arg(long, value_name = "PERCENT", help_heading = "Challenges and weights")]
    pub ema_percent: Option<u8>,

    // --- gateway ---
    /// Gateway address, JSON-RPC over HTTP and WebSocket [default: 127.0.0.1:9933].
    #[arg(long, value_name = "ADDR", help_heading = "Gateway")]
    pub gateway_addr: Option<String>,

    /// Do not start the gateway.
    #[arg(long, help_heading = "Gateway")]
    pub no_gateway: bool,

    /// Largest JSON-RPC request body in bytes [default: 65536].
    #[arg(long, value_name = "BYTES", help_heading = "Gateway")]
    pub gateway_max_request_bytes: Option<u32>,

    /// Calls per second one client IP may make (sustained; bursts up to twice this)
    /// [default: 200].
    #[arg(long, value_name = "N", help_heading = "Gateway")]
    pub gateway_rate: Option<u32>,

    /// Calls one client IP may have in flight at once [default: 64].
    #[arg(long, value_name = "N", help_heading = "Gateway")]
    pub gateway_concurrency: Option<u32>,

    /// Open connections at most [default: 256].
    #[arg(long, value_name = "N", help_heading = "Gateway")]
    pub gateway_max_connections: Option<u32>,

    /// Time budget of a query when the caller gives none [default: 5000].
    #[arg(long, value_name = "MS", help_heading = "Gateway")]
    pub query_timeout_ms: Option<u64>,

    // --- local endpoints ---
    /// Prometheus metrics at /metrics [default: 127.0.0.1:9617].
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
            options: chain_rpc, max_burn, fund_hotkey, stake, base_path, hotkey_file,
                coldkey_file, node_key_file, state_file, ort_dylib, models_dir,
                challenge_interval_ms, challenge_timeout_ms, latency_ref_ms, ema_percent,
                gateway_addr, gateway_max_request_bytes, gateway_rate, gateway_concurrency,
                gateway_max_connections, query_timeout_ms, metrics_addr;
            lists: netuid, subnet, miner, listen, public_addr;
            flags: no_chain, no_mdns, no_gateway, no_metrics,
        )
    }
}

/// Where the validator learns subnets and miners, and whether it sets weights.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainMode {
    /// A MindOS chain.
    Chain(ChainSettings),
    /// No chain: fixed subnets and miners, no weights.
    Private(PrivateMesh),
}

/// How the validator uses the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChainSettings {
    /// The node's WebSocket JSON-RPC URL.
    pub rpc_url: String,
    /// The hotkey file (created if absent).
    pub hotkey_file: PathBuf,
    /// The coldkey file, if the validator may register, fund or stake.
    pub coldkey_file: Option<PathBuf>,
    /// Most planck one registration may burn.
    pub max_burn: u128,
    /// Top the hotkey up to this many planck from the coldkey when it has less.
    pub fund_hotkey: Option<u128>,
    /// Stake the coldkey tops the hotkey up to.
    pub stake: Option<u128>,
}

/// A private mesh: subnets by name, miners by address.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivateMesh {
    /// `(netuid, subnet name)`.
    pub subnets: Vec<(u16, String)>,
    /// `(netuid, peer, address)`, uids in order per subnet.
    pub miners: Vec<(u16, PeerId, Multiaddr)>,
}

/// Challenge schedule and scoring.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ChallengeSettings {
    /// Time between two rounds.
    pub interval: Duration,
    /// Per-challenge answer timeout.
    pub timeout: Duration,
    /// Latency at which the latency factor halves.
    pub latency_ref: Duration,
    /// Weight of the newest sample in the moving averages, `0 < alpha ≤ 1`.
    pub ema_alpha: f64,
}

/// The JSON-RPC gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GatewaySettings {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Largest request body.
    pub max_request_bytes: u32,
    /// Sustained calls per second per client IP.
    pub rate_per_sec: u32,
    /// Calls in flight per client IP.
    pub concurrency: u32,
    /// Open connections at most.
    pub max_connections: u32,
    /// Default query time budget.
    pub default_timeout: Duration,
}

/// A checked validator configuration; build it with [`Config::from_settings`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// Subnets to validate (empty: every subnet on chain this build knows).
    pub netuids: Vec<u16>,
    /// Chain or private mesh.
    pub chain: ChainMode,
    /// The libp2p identity file.
    pub node_key_file: PathBuf,
    /// The state store.
    pub state_file: PathBuf,
    /// ONNX Runtime library override.
    pub ort_dylib: Option<PathBuf>,
    /// Models directory override.
    pub models_dir: Option<PathBuf>,
    /// Mesh listen addresses.
    pub listen: Vec<Multiaddr>,
    /// Addresses published with `serve` (empty: the listen addresses).
    pub public_addrs: Vec<Multiaddr>,
    /// mDNS discovery.
    pub mdns: bool,
    /// Challenges and scoring.
    pub challenge: ChallengeSettings,
    /// The gateway, if enabled.
    pub gateway: Option<GatewaySettings>,
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
        let base_path = match s.base_path {
            Some(p) => p,
            None => default_base_path()?,
        };
        let chain = if s.no_chain {
            let subnets = s
                .subnet
                .iter()
                .map(|entry| parse_subnet(entry))
                .collect::<Result<Vec<_>, _>>()?;
            if subnets.is_empty() {
                return Err(invalid(
                    "subnet",
                    "missing: with --no-chain name each subnet as NETUID=NAME",
                ));
            }
            let miners = s
                .miner
                .iter()
                .map(|entry| parse_miner(entry))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some((netuid, _, _)) = miners
                .iter()
                .find(|(n, _, _)| !subnets.iter().any(|(s, _)| s == n))
            {
                return Err(invalid(
                    "miner",
                    format!("subnet {netuid} is not given with --subnet"),
                ));
            }
            ChainMode::Private(PrivateMesh { subnets, miners })
        } else {
            if !s.subnet.is_empty() || !s.miner.is_empty() {
                return Err(invalid(
                    "subnet",
                    "--subnet and --miner only apply with --no-chain; the chain lists both",
                ));
            }
            let rpc_url = s.chain_rpc.unwrap_or_else(|| DEFAULT_CHAIN_RPC.to_owned());
            if !(rpc_url.starts_with("ws://") || rpc_url.starts_with("wss://")) {
                return Err(invalid(
                    "chain_rpc",
                    format!("`{rpc_url}` is not a ws:// or wss:// URL"),
                ));
            }
            let optional_mind =
                |field, value: Option<&str>| value.map(|v| parse_mind(field, v)).transpose();
            let fund_hotkey = optional_mind("fund_hotkey", s.fund_hotkey.as_deref())?;
            let stake = optional_mind("stake", s.stake.as_deref())?;
            if (fund_hotkey.is_some() || stake.is_some()) && s.coldkey_file.is_none() {
                return Err(invalid(
                    if stake.is_some() {
                        "stake"
                    } else {
                        "fund_hotkey"
                    },
                    "needs a coldkey to pay from: set --coldkey-file",
                ));
            }
            ChainMode::Chain(ChainSettings {
                rpc_url,
                hotkey_file: s.hotkey_file.unwrap_or_else(|| base_path.join("hotkey")),
                coldkey_file: s.coldkey_file,
                max_burn: parse_mind("max_burn", s.max_burn.as_deref().unwrap_or("10"))?,
                fund_hotkey,
                stake,
            })
        };

        let listen = if s.listen.is_empty() {
            vec!["/ip4/0.0.0.0/tcp/30445"
                .parse()
                .map_err(|e| invalid("listen", format!("default: {e}")))?]
        } else {
            parse_addrs("listen", &s.listen)?
        };
        let public_addrs = parse_addrs("public_addr", &s.public_addr)?;

        let ema_percent = in_range("ema_percent", s.ema_percent.unwrap_or(10), 1, 100)?;
        let challenge = ChallengeSettings {
            interval: Duration::from_millis(in_range(
                "challenge_interval_ms",
                s.challenge_interval_ms.unwrap_or(2000),
                50,
                3_600_000,
            )?),
            timeout: Duration::from_millis(in_range(
                "challenge_timeout_ms",
                s.challenge_timeout_ms.unwrap_or(5000),
                10,
                120_000,
            )?),
            latency_ref: Duration::from_millis(in_range(
                "latency_ref_ms",
                s.latency_ref_ms.unwrap_or(200),
                1,
                60_000,
            )?),
            ema_alpha: f64::from(ema_percent) / 100.0,
        };

        let gateway = if s.no_gateway {
            None
        } else {
            Some(GatewaySettings {
                addr: parse_socket(
                    "gateway_addr",
                    s.gateway_addr.as_deref().unwrap_or(DEFAULT_GATEWAY_ADDR),
                )?,
                max_request_bytes: in_range(
                    "gateway_max_request_bytes",
                    s.gateway_max_request_bytes.unwrap_or(64 * 1024),
                    1024,
                    16 * 1024 * 1024,
                )?,
                rate_per_sec: in_range(
                    "gateway_rate",
                    s.gateway_rate.unwrap_or(200),
                    1,
                    1_000_000,
                )?,
                concurrency: in_range(
                    "gateway_concurrency",
                    s.gateway_concurrency.unwrap_or(64),
                    1,
                    100_000,
                )?,
                max_connections: in_range(
                    "gateway_max_connections",
                    s.gateway_max_connections.unwrap_or(256),
                    1,
                    100_000,
                )?,
                default_timeout: Duration::from_millis(in_range(
                    "query_timeout_ms",
                    s.query_timeout_ms.unwrap_or(5000),
                    10,
                    120_000,
                )?),
            })
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
            netuids: s.netuid,
            chain,
            node_key_file: s
                .node_key_file
                .unwrap_or_else(|| base_path.join("node.key")),
            state_file: s.state_file.unwrap_or_else(|| base_path.join("state.redb")),
            ort_dylib: s.ort_dylib,
            models_dir: s.models_dir,
            listen,
            public_addrs,
            mdns: !s.no_mdns,
            challenge,
            gateway,
            metrics_addr,
        })
    }
}

fn default_base_path() -> Result<PathBuf, ConfigError> {
    config::default_base_path("mindos-validator")
}

fn parse_subnet(entry: &str) -> Result<(u16, String), ConfigError> {
    let (netuid, name) = entry
        .split_once('=')
        .ok_or_else(|| invalid("subnet", format!("`{entry}` is not NETUID=NAME")))?;
    let netuid: u16 = netuid
        .trim()
        .parse()
        .map_err(|e| invalid("subnet", format!("`{entry}`: bad netuid: {e}")))?;
    let name = name.trim();
    if !mindos_subnets::SUBNETS.contains(&name) {
        return Err(invalid(
            "subnet",
            format!(
                "unknown subnet `{name}`; this build knows: {}",
                mindos_subnets::SUBNETS.join(", ")
            ),
        ));
    }
    Ok((netuid, name.to_owned()))
}

fn parse_miner(entry: &str) -> Result<(u16, PeerId, Multiaddr), ConfigError> {
    let (netuid, addr) = entry
        .split_once('=')
        .ok_or_else(|| invalid("miner", format!("`{entry}` is not NETUID=MULTIADDR")))?;
    let netuid: u16 = netuid
        .trim()
        .parse()
        .map_err(|e| invalid("miner", format!("`{entry}`: bad netuid: {e}")))?;
    let addr: Multiaddr = addr
        .trim()
        .parse()
        .map_err(|e| invalid("miner", format!("`{entry}`: {e}")))?;
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => Ok((netuid, peer, addr)),
        _ => Err(invalid(
            "miner",
            format!("`{addr}` must end in /p2p/<peer id>"),
        )),
    }
}

fn parse_addrs(field: &'static str, addrs: &[String]) -> Result<Vec<Multiaddr>, ConfigError> {
    config::parse_each(field, addrs, "a multiaddr")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private() -> Settings {
        let peer = PeerId::random();
        Settings {
            no_chain: true,
            base_path: Some("/tmp/v".into()),
            subnet: vec!["1=digits".into()],
            miner: vec![format!("1=/ip4/127.0.0.1/tcp/5/p2p/{peer}")],
            ..Settings::default()
        }
    }

    #[test]
    fn private_mesh_parses() {
        let config = Config::from_settings(private()).unwrap();
        let ChainMode::Private(mesh) = &config.chain else {
            panic!("private");
        };
        assert_eq!(mesh.subnets, vec![(1, "digits".to_owned())]);
        assert_eq!(mesh.miners.len(), 1);
        assert_eq!(config.state_file, PathBuf::from("/tmp/v/state.redb"));
        assert!((config.challenge.ema_alpha - 0.1).abs() < 1e-12);
    }

    #[test]
    fn bad_settings_name_their_field() {
        let cases: Vec<(Settings, &str)> = vec![
            (
                Settings {
                    subnet: vec!["1=chess".into()],
                    ..private()
                },
                "subnet",
            ),
            (
                Settings {
                    miner: vec!["1=/ip4/127.0.0.1/tcp/5".into()],
                    ..private()
                },
                "miner",
            ),
            (
                Settings {
                    miner: vec![format!("2=/ip4/127.0.0.1/tcp/5/p2p/{}", PeerId::random())],
                    ..private()
                },
                "miner",
            ),
            (
                Settings {
                    gateway_rate: Some(0),
                    ..private()
                },
                "gateway_rate",
            ),
            (
                Settings {
                    no_chain: false,
                    subnet: Vec::new(),
                    miner: Vec::new(),
                    stake: Some("5".into()),
                    ..private()
                },
                "stake",
            ),
            (
                Settings {
                    no_chain: false,
                    subnet: Vec::new(),
                    miner: Vec::new(),
                    chain_rpc: Some("http://x".into()),
                    ..private()
                },
                "chain_rpc",
            ),
        ];
        for (settings, field) in cases {
            let err = Config::from_settings(settings).unwrap_err();
            assert_eq!(err.field(), Some(field), "{err}");
        }
    }

    #[test]
    fn flags_win_over_the_file() {
        let file: Settings =
            toml::from_str("gateway_rate = 5\nnetuid = [0, 1]\nchallenge_interval_ms = 300\n")
                .unwrap();
        let flags = Settings {
            gateway_rate: Some(9),
            ..Settings::default()
        };
        let merged = flags.or(file);
        assert_eq!(merged.gateway_rate, Some(9));
        assert_eq!(merged.netuid, vec![0, 1]);
        assert_eq!(merged.challenge_interval_ms, Some(300));
        assert!(toml::from_str::<Settings>("nonsense = 1").is_err());
    }
}
