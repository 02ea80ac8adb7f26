//! The settings both binaries share, one `clap::Args` struct per concern, each its own
//! `--help` heading and config-file section: [`ChainArgs`] (`[chain]`), [`KeyArgs`]
//! (`[keys]`), [`AssetArgs`] (`[assets]`), [`MeshArgs`] (`[mesh]`) and [`MetricsArgs`]
//! (`[metrics]`). Each binary flattens them into its command line beside its own groups.
//!
//! Fields are optional so a struct can say "not set" (a config file leaves most unset); a
//! default is one constant, shown in `--help` through clap's `default_value` and applied by
//! the group's `check()` when the struct was built without clap (tests build them so). A
//! default that differs between the binaries (the mesh port, the metrics port) is set by the
//! binary (`mut_arg`) and passed to `check()`.

use std::{net::SocketAddr, path::PathBuf, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::config::{self, invalid, parse_mind, parse_socket, ConfigError};

/// Default chain node.
pub const DEFAULT_CHAIN_RPC: &str = "ws://127.0.0.1:9944";
/// Default cap on the MIND one registration may burn.
pub const DEFAULT_MAX_BURN: &str = "10";
/// The hotkey file's name in the base path, unless `--hotkey-file` says otherwise.
pub const HOTKEY_FILE: &str = "hotkey";
/// The libp2p identity's file name in the base path, unless `--node-key-file` says otherwise.
pub const NODE_KEY_FILE: &str = "node.key";

/// `[chain]`: which node, and what the coldkey may spend on the hotkey.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Chain")]
pub struct ChainArgs {
    /// WebSocket JSON-RPC endpoint of a MindOS node.
    #[arg(
        long = "chain-rpc",
        env = "MINDOS_CHAIN_RPC",
        value_name = "URL",
        default_value = DEFAULT_CHAIN_RPC
    )]
    pub rpc: Option<String>,

    /// Run without a chain: a private mesh. The miner then needs --subnet and --allow-peer,
    /// the validator --subnet and --miner; models are checked against the digests this build
    /// pins instead of the chain's, and no weights are set.
    #[arg(long)]
    pub no_chain: bool,

    /// Most MIND the coldkey may burn to register the hotkey on one subnet (decimal, e.g.
    /// `2.5`).
    #[arg(long, value_name = "MIND", default_value = DEFAULT_MAX_BURN)]
    pub max_burn: Option<String>,

    /// If the hotkey's free balance is below this many MIND, the coldkey tops it up to this
    /// amount, so the hotkey can pay its fees (`serve`, weights) [default: off].
    #[arg(long, value_name = "MIND")]
    pub fund_hotkey: Option<String>,
}

/// How a binary uses the chain, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChainSettings {
    /// The node's WebSocket JSON-RPC URL.
    pub rpc_url: String,
    /// The hotkey file (created if absent).
    pub hotkey_file: PathBuf,
    /// The coldkey file, if the binary may register (and fund) its hotkey.
    pub coldkey_file: Option<PathBuf>,
    /// The coldkey's address (SS58 or `0x`-hex), if given: the account the hotkey must
    /// belong to on chain. With a coldkey file it must name the file's account; without one
    /// it is required (the binaries check that when they load the keys, at start).
    pub coldkey_address: Option<String>,
    /// Most planck one registration may burn.
    pub max_burn: u128,
    /// Top the hotkey up to this many planck from the coldkey when it has less.
    pub fund_hotkey: Option<u128>,
}

impl ChainArgs {
    /// The chain settings, or `None` with `--no-chain`.
    pub fn check(&self, keys: &Keys) -> Result<Option<ChainSettings>, ConfigError> {
        if self.no_chain {
            return Ok(None);
        }
        let rpc_url = self.rpc.as_deref().unwrap_or(DEFAULT_CHAIN_RPC).to_owned();
        if !(rpc_url.starts_with("ws://") || rpc_url.starts_with("wss://")) {
            return Err(invalid(
                "chain_rpc",
                format!("`{rpc_url}` is not a ws:// or wss:// URL"),
            ));
        }
        let max_burn = parse_mind(
            "max_burn",
            self.max_burn.as_deref().unwrap_or(DEFAULT_MAX_BURN),
        )?;
        let fund_hotkey = optional_mind("fund_hotkey", self.fund_hotkey.as_deref())?;
        keys.require_coldkey("fund_hotkey", fund_hotkey.is_some())?;
        Ok(Some(ChainSettings {
            rpc_url,
            hotkey_file: keys.hotkey_file.clone(),
            coldkey_file: keys.coldkey_file.clone(),
            coldkey_address: keys.coldkey_address.clone(),
            max_burn,
            fund_hotkey,
        }))
    }
}

/// An optional MIND amount in planck.
pub fn optional_mind(field: &'static str, text: Option<&str>) -> Result<Option<u128>, ConfigError> {
    text.map(|v| parse_mind(field, v)).transpose()
}

/// `[keys]`: where the key files are.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Keys")]
pub struct KeyArgs {
    /// Directory for the key files (and the validator's state store)
    /// [default: $HOME/.local/share/mindos-miner, or mindos-validator].
    #[arg(long, value_name = "DIR")]
    pub base_path: Option<PathBuf>,

    /// Hotkey file: a secret URI (`//Alice`, a mnemonic, `0x<64 hex>`) or a 32-byte hex seed.
    /// Created (mode 0600, random seed) if absent [default: BASE_PATH/hotkey].
    #[arg(long, value_name = "FILE")]
    pub hotkey_file: Option<PathBuf>,

    /// Coldkey file, same format; never created. Needed to register, fund or stake the
    /// hotkey; without it, set --coldkey-address.
    #[arg(long, value_name = "FILE")]
    pub coldkey_file: Option<PathBuf>,

    /// The coldkey's address (SS58 or 0x and 64 hex digits): the account the hotkey must
    /// belong to on chain; the binary refuses to run on a hotkey another coldkey owns. Needed
    /// on a chain when no --coldkey-file is given; with one, it must name the same account
    /// [default: none].
    #[arg(long, env = "MINDOS_COLDKEY_ADDRESS", value_name = "ACCOUNT")]
    pub coldkey_address: Option<String>,

    /// The libp2p identity (ed25519, 32 raw bytes or 64 hex); created (0600) if absent
    /// [default: BASE_PATH/node.key].
    #[arg(long, value_name = "FILE")]
    pub node_key_file: Option<PathBuf>,
}

/// The key files, once the base path filled in those not given.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Keys {
    /// The base path (the validator keeps its state store there too).
    pub base_path: PathBuf,
    /// The hotkey file.
    pub hotkey_file: PathBuf,
    /// The coldkey file, if any.
    pub coldkey_file: Option<PathBuf>,
    /// The coldkey's address, if given.
    pub coldkey_address: Option<String>,
    /// The libp2p identity file.
    pub node_key_file: PathBuf,
}

impl KeyArgs {
    /// The key files; `binary` names the default base path (`$HOME/.local/share/<binary>`).
    pub fn check(&self, binary: &str) -> Result<Keys, ConfigError> {
        let base_path = match &self.base_path {
            Some(path) => path.clone(),
            None => config::default_base_path(binary)?,
        };
        Ok(Keys {
            hotkey_file: self
                .hotkey_file
                .clone()
                .unwrap_or_else(|| base_path.join(HOTKEY_FILE)),
            coldkey_file: self.coldkey_file.clone(),
            coldkey_address: self.coldkey_address.clone(),
            node_key_file: self
                .node_key_file
                .clone()
                .unwrap_or_else(|| base_path.join(NODE_KEY_FILE)),
            base_path,
        })
    }
}

impl Keys {
    /// Refuses `field` when it is `set` but no coldkey can pay for it.
    pub fn require_coldkey(&self, field: &'static str, set: bool) -> Result<(), ConfigError> {
        if set && self.coldkey_file.is_none() {
            return Err(invalid(
                field,
                "needs a coldkey to pay from: set --coldkey-file",
            ));
        }
        Ok(())
    }
}

/// `[assets]`: where ONNX Runtime and the models are. Both are looked up in the environment
/// and the cache `scripts/setup.sh` fills when not given, so there is nothing to check here.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Assets")]
pub struct AssetArgs {
    /// ONNX Runtime library (libonnxruntime.so.1.31.1) [default: $ORT_DYLIB_PATH, else the
    /// cache scripts/setup.sh fills].
    #[arg(long, value_name = "FILE")]
    pub ort_dylib: Option<PathBuf>,

    /// Directory with one folder per subnet model, e.g. `text-embedding/model.onnx` and its
    /// `tokenizer.json` [default: $MINDOS_MODELS_DIR, else the cache].
    #[arg(long, value_name = "DIR")]
    pub models_dir: Option<PathBuf>,
}

/// `[mesh]`: where the mesh listens and what it publishes. The listen default differs per
/// binary: each sets it on its command line and passes it to [`MeshArgs::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Mesh")]
pub struct MeshArgs {
    /// Mesh listen address (repeatable).
    #[arg(long = "listen", value_name = "MULTIADDR")]
    pub listen: Vec<String>,

    /// Address published on chain with `serve` (repeatable; the chain keeps at most 8)
    /// [default: the addresses the mesh listens on].
    #[arg(long = "public-addr", value_name = "MULTIADDR")]
    pub public_addr: Vec<String>,

    /// Discover and dial peers on the local network with mDNS (dev only: needs
    /// `--allow-private-addrs`; anyone on the LAN can answer).
    #[arg(long)]
    pub mdns: bool,

    /// No mDNS, even with `--mdns` (the default; kept so existing command lines and files
    /// still work).
    #[arg(long)]
    pub no_mdns: bool,

    /// Dial, remember and publish loopback and private-range addresses (a local or dev
    /// network); without it only global addresses are used.
    #[arg(long)]
    pub allow_private_addrs: bool,
}

/// The mesh addresses, parsed as `A` (a libp2p `Multiaddr`; generic so this crate stays free
/// of libp2p).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MeshAddrs<A> {
    /// Listen addresses.
    pub listen: Vec<A>,
    /// Addresses published on chain; empty: the listen addresses.
    pub public_addrs: Vec<A>,
    /// mDNS discovery.
    pub mdns: bool,
    /// Loopback and private addresses dialled and published.
    pub allow_private_addrs: bool,
}

impl MeshArgs {
    /// The parsed addresses; `default_listen` when no listen address is given.
    pub fn check<A>(&self, default_listen: &[&str]) -> Result<MeshAddrs<A>, ConfigError>
    where
        A: FromStr,
        A::Err: std::fmt::Display,
    {
        let listen = if self.listen.is_empty() {
            let defaults: Vec<String> = default_listen.iter().map(|&a| a.to_owned()).collect();
            config::parse_each("listen", &defaults, "a multiaddr")?
        } else {
            config::parse_each("listen", &self.listen, "a multiaddr")?
        };
        let mdns = self.mdns && !self.no_mdns;
        if mdns && !self.allow_private_addrs {
            return Err(config::invalid(
                "mdns",
                "mDNS finds LAN (private) addresses: it needs allow_private_addrs",
            ));
        }
        Ok(MeshAddrs {
            listen,
            public_addrs: config::parse_each("public_addr", &self.public_addr, "a multiaddr")?,
            mdns,
            allow_private_addrs: self.allow_private_addrs,
        })
    }
}

/// `[metrics]`: the Prometheus endpoint. Its default address differs per binary: each sets
/// it on its command line and passes it to [`MetricsArgs::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Metrics")]
pub struct MetricsArgs {
    /// Prometheus metrics at /metrics.
    #[arg(id = "metrics_addr", long = "metrics-addr", value_name = "ADDR")]
    pub addr: Option<String>,

    /// Do not serve Prometheus metrics.
    #[arg(long)]
    pub no_metrics: bool,
}

impl MetricsArgs {
    /// The address to serve metrics at, or `None` with `--no-metrics`.
    pub fn check(&self, default_addr: &str) -> Result<Option<SocketAddr>, ConfigError> {
        if self.no_metrics {
            return Ok(None);
        }
        parse_socket("metrics_addr", self.addr.as_deref().unwrap_or(default_addr)).map(Some)
    }
}
