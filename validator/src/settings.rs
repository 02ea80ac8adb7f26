//! What a validator operator can say, unchecked: the command line ([`Cli`]) and the TOML
//! file, one `clap::Args` group per `--help` heading and file section ([`Settings`]). The
//! groups both binaries have (`[chain]`, `[keys]`, `[assets]`, `[mesh]`, `[metrics]`) are
//! `mindos_daemon::args`; the validator's own are here. A setting's file key is its flag in
//! the section its heading names (`--gateway-addr 0.0.0.0:9933` is `addr = "0.0.0.0:9933"`
//! under `[gateway]`; `mindos_daemon::config` states the rule). Flags win over the file, the
//! file over the defaults `--help` shows; repeatable flags (`--netuid`, `--listen`, …)
//! replace the file's list when given.
//!
//! [`crate::config`] checks these into a `Config`.

use mindos_primitives::NetUid;
use std::path::PathBuf;

use clap::Parser;
use mindos_daemon::{
    args::{AssetArgs, ChainArgs, KeyArgs, MeshArgs, MetricsArgs},
    config::{CommandLine, SettingsArgs},
};
use serde::{Deserialize, Serialize};

/// Default gateway address (JSON-RPC over HTTP and WebSocket).
pub const DEFAULT_GATEWAY_ADDR: &str = "127.0.0.1:9933";
/// Default Prometheus address.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9617";
/// Default mesh listen address.
pub const DEFAULT_LISTEN: [&str; 1] = ["/ip4/0.0.0.0/tcp/30445"];
/// Most miners one query may ask at once.
pub const MAX_REDUNDANCY: u32 = 16;
/// The state store's file name in the base path, unless `--state-file` says otherwise.
pub const STATE_FILE: &str = "state.redb";
/// Default bound of the transcripts kept as evidence, in MiB (see the README's "Evidence").
pub const DEFAULT_EVIDENCE_MAX_MIB: u64 = 256;
/// Default share of challenges sent a second time (same request, same nonce) to catch a
/// miner signing two outputs for one challenge, in percent.
pub const DEFAULT_SENTINEL_REASK_PERCENT: u8 = 2;
/// Default time between two challenge rounds, in milliseconds.
pub const DEFAULT_CHALLENGE_INTERVAL_MS: u64 = 2000;
/// Default time a miner has to answer a challenge, in milliseconds.
pub const DEFAULT_CHALLENGE_TIMEOUT_MS: u64 = 5000;
/// Default latency at which a challenge's latency factor halves, in milliseconds.
pub const DEFAULT_LATENCY_REF_MS: u64 = 200;
/// Default weight of the newest sample in the moving averages, in percent.
pub const DEFAULT_EMA_PERCENT: u8 = 10;
/// Default canaries kept per exact-scoring subnet (see the README's "Canaries").
pub const DEFAULT_CANARY_POOL: u32 = 4;
/// The most canaries kept per subnet: the runtime's `MaxCanariesPerCommitter`.
pub const MAX_CANARY_POOL: u32 = 8;
/// Default largest gateway request body, in bytes.
pub const DEFAULT_GATEWAY_MAX_REQUEST_BYTES: u32 = 64 * 1024;
/// Default sustained gateway calls per second per client IP (per /64 for IPv6). Each query
/// costs miners up to `2 × redundancy` inferences, so a public gateway keeps this low.
pub const DEFAULT_GATEWAY_RATE: u32 = 5;
/// Default gateway calls in flight per client IP.
pub const DEFAULT_GATEWAY_CONCURRENCY: u32 = 4;
/// Default open gateway connections at most.
pub const DEFAULT_GATEWAY_MAX_CONNECTIONS: u32 = 256;
/// Default open gateway connections per client IP (per /64 for IPv6).
pub const DEFAULT_GATEWAY_MAX_CONNECTIONS_PER_IP: u32 = 8;
/// Default share of the connections, in percent, kept for clients that have none open.
pub const DEFAULT_GATEWAY_RESERVED_PERCENT: u8 = 25;
/// Default time a new connection has to make its first call, in milliseconds (a header or
/// body that never completes, or a silent socket, is closed then).
pub const DEFAULT_GATEWAY_HEADER_TIMEOUT_MS: u64 = 10_000;
/// Default time a connection may stay open with no call in flight, in milliseconds.
pub const DEFAULT_GATEWAY_IDLE_TIMEOUT_MS: u64 = 60_000;
/// Default miner requests per second the whole gateway may send (bursts up to twice this):
/// primaries, hedges and failovers of every query, whoever asked.
pub const DEFAULT_GATEWAY_MINER_RATE: u32 = 200;
/// Most miners one query of a client without an API key may ask at once.
pub const MAX_PUBLIC_REDUNDANCY: u32 = 3;
/// Fewest miners one query of a client without an API key asks: a public answer is checked
/// against another miner's (with an API key a query may ask one).
pub const MIN_PUBLIC_REDUNDANCY: u32 = 2;
/// Miners a query asks when it does not say.
pub const DEFAULT_REDUNDANCY: u32 = 2;
/// Least share of answers that must agree, in percent, for a client without an API key
/// (its `min_agreement` may only raise it).
pub const DEFAULT_GATEWAY_MIN_AGREEMENT_PERCENT: u8 = 51;
/// Default share of user queries, in percent, whose answers the validator re-executes with
/// the pinned model (a miner whose answer disagrees scores as a failed challenge).
pub const DEFAULT_GATEWAY_REEXECUTE_PERCENT: u8 = 3;
/// Default time budget of a query that gives none, in milliseconds.
pub const DEFAULT_QUERY_TIMEOUT_MS: u64 = 5000;
/// Longest time any request to a miner may be given, in milliseconds: the cap of
/// `--challenge-timeout-ms`, `--query-timeout-ms` and a query's `timeout_ms` (every request's
/// deadline block covers it).
pub const MAX_REQUEST_TIMEOUT_MS: u64 = 120_000;

/// The `mindos-validator` command line; parse it with [`Cli`].
#[derive(Debug, Parser)]
#[command(
    name = "mindos-validator",
    version,
    about = "Score MindOS miners, set weights on chain and serve the JSON-RPC query gateway.",
    long_about = "Score MindOS miners, set weights on chain and serve the JSON-RPC query gateway.\n\n\
        The validator registers its hotkey on each validated subnet if needed (the coldkey pays), \
        optionally stakes to it, publishes its PeerId with `serve` so miners answer it, follows \
        finalized blocks, challenges every served miner with fresh inputs each tempo (checking \
        answers by running the pinned model itself, as it does for a share of user queries), \
        and commits then reveals weights. Users query subnets through its gateway \
        (subnet_list, subnet_info, subnet_query, mesh_peers).\n\n\
        Settings come from flags and an optional TOML file (--config) with one section per \
        heading below: `--gateway-rate 50` is `rate = 50` under `[gateway]`; flags win. With \
        --no-chain the validator serves a private mesh: --subnet and --miner name the subnets \
        and miners, and no weights are set.",
    mut_arg("metrics_addr", |a| a.default_value(DEFAULT_METRICS_ADDR)),
    mut_arg("listen", |a| a.default_values(DEFAULT_LISTEN))
)]
pub struct Args {
    /// TOML configuration file, one section per heading below.
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
    pub subnets: SubnetArgs,
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub assets: AssetArgs,
    #[command(flatten)]
    pub mesh: MeshArgs,
    #[command(flatten)]
    pub challenge: ChallengeArgs,
    #[command(flatten)]
    pub sentinel: SentinelArgs,
    #[command(flatten)]
    pub inbound: InboundArgs,
    #[command(flatten)]
    pub gateway: GatewayArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// `[subnets]`: which subnets to validate, and the stake a permit on them needs.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Subnets")]
pub struct SubnetArgs {
    /// Subnet to validate (repeatable) [default: every subnet on chain this build knows].
    #[arg(long = "netuid", value_name = "N")]
    pub netuid: Vec<NetUid>,

    /// With --no-chain: a subnet as `NETUID=NAME`, e.g. `1=digits` (repeatable).
    #[arg(long = "subnet", value_name = "NETUID=NAME")]
    pub subnet: Vec<String>,

    /// With --no-chain: a miner as `NETUID=MULTIADDR/p2p/PEER_ID` (repeatable); uids follow
    /// the order given.
    #[arg(long = "miner", value_name = "NETUID=ADDR")]
    pub miner: Vec<String>,

    /// If the hotkey's stake is below this many MIND, the coldkey stakes the difference (a
    /// validator permit needs stake) [default: off].
    #[arg(long, value_name = "MIND")]
    pub stake: Option<String>,
}

/// `[state]`: the validator's state store.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "State")]
pub struct StateArgs {
    /// The state store (pending commits, salts, scores) [default: BASE_PATH/state.redb].
    #[arg(long = "state-file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Most MiB of transcripts (verified answers kept as evidence) in the state store; past
    /// it the oldest are evicted. A digits transcript costs about 1 KiB (at most 3.3 KiB),
    /// a text-embedding one about 5 KiB (at most 114 KiB); the file takes up to about three
    /// times the bound (redb's pages).
    #[arg(
        long = "evidence-max-mib",
        value_name = "MIB",
        default_value = DEFAULT_EVIDENCE_MAX_MIB.to_string()
    )]
    pub evidence_max_mib: Option<u64>,
}

/// `[challenge]`: how often miners are challenged, and how answers are scored.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Challenge")]
pub struct ChallengeArgs {
    /// Time between two challenge rounds; each round challenges every served miner once.
    #[arg(
        long = "challenge-interval-ms",
        value_name = "MS",
        default_value = DEFAULT_CHALLENGE_INTERVAL_MS.to_string()
    )]
    pub interval_ms: Option<u64>,

    /// How long a miner has to answer a challenge.
    #[arg(
        long = "challenge-timeout-ms",
        value_name = "MS",
        default_value = DEFAULT_CHALLENGE_TIMEOUT_MS.to_string()
    )]
    pub timeout_ms: Option<u64>,

    /// Latency at which a challenge's latency factor halves.
    #[arg(long, value_name = "MS", default_value = DEFAULT_LATENCY_REF_MS.to_string())]
    pub latency_ref_ms: Option<u64>,

    /// Weight of the newest sample in each miner's moving averages, in percent.
    #[arg(long, value_name = "PERCENT", default_value = DEFAULT_EMA_PERCENT.to_string())]
    pub ema_percent: Option<u8>,

    /// Canaries kept per subnet that scores exactly (digits): challenge inputs whose expected
    /// answer is committed on chain first, each holding the chain's canary deposit (10 MIND)
    /// until it expires; a miner that signs a wrong answer to one is quarantined without a
    /// vote. At most 8 (the chain's limit per validator); 0 disables them.
    #[arg(
        long = "canary-pool",
        value_name = "N",
        default_value = DEFAULT_CANARY_POOL.to_string()
    )]
    pub canary_pool: Option<u32>,
}

/// `[sentinel]`: the sentinel duty (the README's "Sentinel duty").
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Sentinel")]
pub struct SentinelArgs {
    /// Do the sentinel duty on the chain: follow committee membership, report miners whose
    /// signed answers disagree with the pinned model, vote on cases, audits and escalations,
    /// submit equivocations. `false` makes the validator a plain scorer.
    #[arg(
        long = "sentinel-duty",
        value_name = "BOOL",
        default_value = "true",
        action = clap::ArgAction::Set
    )]
    pub duty: Option<bool>,

    /// Share of challenges sent a second time, the same request with the same nonce, after
    /// the first answer, in percent (0: none): a miner that signs another output the second
    /// time has equivocated, which quarantines it without a vote.
    #[arg(
        long = "sentinel-reask-percent",
        value_name = "PERCENT",
        default_value = DEFAULT_SENTINEL_REASK_PERCENT.to_string()
    )]
    pub reask_percent: Option<u8>,
}

/// `[inbound]`: what the validator's mesh node accepts from other peers.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Inbound")]
pub struct InboundArgs {
    /// Accept `/mindos/infer/1` links from other peers (answered `internal`: a validator
    /// runs no model). Off, the protocol is not offered at all, so no peer can make the
    /// validator read or queue anything on it.
    #[arg(long)]
    pub accept_inference: bool,
}

/// `[gateway]`: the JSON-RPC query gateway and its per-client limits.
#[derive(Clone, Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(next_help_heading = "Gateway")]
pub struct GatewayArgs {
    /// Gateway address, JSON-RPC over HTTP and WebSocket.
    #[arg(
        id = "gateway_addr",
        long = "gateway-addr",
        value_name = "ADDR",
        default_value = DEFAULT_GATEWAY_ADDR
    )]
    pub addr: Option<String>,

    /// Do not start the gateway.
    #[arg(long)]
    pub no_gateway: bool,

    /// Largest JSON-RPC request body in bytes.
    #[arg(
        long = "gateway-max-request-bytes",
        value_name = "BYTES",
        default_value = DEFAULT_GATEWAY_MAX_REQUEST_BYTES.to_string()
    )]
    pub max_request_bytes: Option<u32>,

    /// Calls per second one client IP may make (sustained; bursts up to twice this).
    #[arg(
        long = "gateway-rate",
        value_name = "N",
        default_value = DEFAULT_GATEWAY_RATE.to_string()
    )]
    pub rate: Option<u32>,

    /// Calls one client IP may have in flight at once.
    #[arg(
        long = "gateway-concurrency",
        value_name = "N",
        default_value = DEFAULT_GATEWAY_CONCURRENCY.to_string()
    )]
    pub concurrency: Option<u32>,

    /// Open connections at most.
    #[arg(
        long = "gateway-max-connections",
        value_name = "N",
        default_value = DEFAULT_GATEWAY_MAX_CONNECTIONS.to_string()
    )]
    pub max_connections: Option<u32>,

    /// Open connections per client IP (per /64 for IPv6).
    #[arg(
        long = "gateway-max-connections-per-ip",
        value_name = "N",
        default_value = DEFAULT_GATEWAY_MAX_CONNECTIONS_PER_IP.to_string()
    )]
    pub max_connections_per_ip: Option<u32>,

    /// Share of the connections, in percent, kept for clients that have none open.
    #[arg(
        long = "gateway-reserved-percent",
        value_name = "PERCENT",
        default_value = DEFAULT_GATEWAY_RESERVED_PERCENT.to_string()
    )]
    pub reserved_percent: Option<u8>,

    /// Time a new connection has to make its first call.
    #[arg(
        long = "gateway-header-timeout-ms",
        value_name = "MS",
        default_value = DEFAULT_GATEWAY_HEADER_TIMEOUT_MS.to_string()
    )]
    pub header_timeout_ms: Option<u64>,

    /// Time a connection (HTTP keep-alive or WebSocket) may stay open with no call.
    #[arg(
        long = "gateway-idle-timeout-ms",
        value_name = "MS",
        default_value = DEFAULT_GATEWAY_IDLE_TIMEOUT_MS.to_string()
    )]
    pub idle_timeout_ms: Option<u64>,

    /// A reverse proxy whose `Forwarded`/`X-Forwarded-For` header names the client
    /// (repeatable); from any other peer those headers are ignored.
    #[arg(long = "gateway-trusted-proxy", value_name = "IP")]
    pub trusted_proxy: Vec<String>,

    /// A web origin whose pages may call the gateway (repeatable), e.g.
    /// `https://app.example`. Without one, a gateway on a loopback address refuses every
    /// request that carries a non-local `Origin`, and a public one any `Origin`.
    #[arg(long = "gateway-allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// File of API keys, one per line: a client sending `Authorization: Bearer KEY` may use
    /// redundancy up to 16, any `min_agreement`, and `mesh_peers`.
    #[arg(long = "gateway-api-keys", value_name = "FILE")]
    pub api_keys: Option<PathBuf>,

    /// Miner requests per second the whole gateway may send (bursts up to twice this).
    #[arg(
        long = "gateway-miner-rate",
        value_name = "N",
        default_value = DEFAULT_GATEWAY_MINER_RATE.to_string()
    )]
    pub miner_rate: Option<u32>,

    /// Least share of answers that must agree, in percent, for clients without an API key.
    #[arg(
        long = "gateway-min-agreement-percent",
        value_name = "PERCENT",
        default_value = DEFAULT_GATEWAY_MIN_AGREEMENT_PERCENT.to_string()
    )]
    pub min_agreement_percent: Option<u8>,

    /// Share of user queries, in percent, whose answers are re-executed with the subnet's
    /// pinned model after the user has the answer; a miner whose answer disagrees scores as
    /// a failed challenge. 0 disables it.
    #[arg(
        long = "gateway-reexecute-percent",
        value_name = "PERCENT",
        default_value = DEFAULT_GATEWAY_REEXECUTE_PERCENT.to_string()
    )]
    pub reexecute_percent: Option<u8>,

    /// Time budget of a query when the caller gives none.
    #[arg(long, value_name = "MS", default_value = DEFAULT_QUERY_TIMEOUT_MS.to_string())]
    pub query_timeout_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use mindos_daemon::config::ConfigError;

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("validator.toml");
        std::fs::write(
            &file,
            "[gateway]\nrate = 5\n[subnets]\nnetuid = [0, 1]\n[challenge]\ninterval_ms = 300\n",
        )
        .unwrap();
        let cli = Cli::try_parse_from([
            "mindos-validator",
            "--config",
            file.to_str().unwrap(),
            "--gateway-rate",
            "9",
        ])
        .unwrap();
        let merged = cli.into_settings().unwrap();
        assert_eq!(merged.gateway.rate, Some(9));
        assert_eq!(merged.subnets.netuid, vec![NetUid(0), NetUid(1)]);
        assert_eq!(merged.challenge.interval_ms, Some(300));
        assert!(toml::from_str::<Settings>("nonsense = 1").is_err());
    }

    #[test]
    fn flat_keys_from_before_the_sections_name_their_section() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("validator.toml");
        for (old, new) in [
            ("gateway_rate = 5", "`rate` under `[gateway]`"),
            ("chain_rpc = \"ws://x\"", "`rpc` under `[chain]`"),
            (
                "challenge_interval_ms = 300",
                "`interval_ms` under `[challenge]`",
            ),
            ("state_file = \"/tmp/s\"", "`file` under `[state]`"),
            ("metrics_addr = \"127.0.0.1:1\"", "`addr` under `[metrics]`"),
        ] {
            std::fs::write(&file, format!("{old}\n")).unwrap();
            let cli = Cli::try_parse_from(["mindos-validator", "--config", file.to_str().unwrap()])
                .unwrap();
            let err = cli.into_settings().unwrap_err();
            assert!(
                matches!(err, ConfigError::Moved { .. }) && err.to_string().contains(new),
                "{old}: {err}"
            );
        }
    }

    #[test]
    fn every_flag_has_a_key_the_file_accepts() {
        use clap::CommandFactory;
        let unknown = mindos_daemon::config::flags_without_file_key::<Settings>(&Cli::command());
        assert!(unknown.is_empty(), "no file key for {unknown:?}");
    }
}
