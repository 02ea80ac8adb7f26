//! Configuration checked once into a [`Config`] that cannot be invalid: each group of
//! [`Settings`](crate::settings::Settings) checks itself, and a bad setting is an error
//! naming it as flag and file key.

use mindos_primitives::NetUid;
use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
    time::Duration,
};

use mindos_daemon::{
    args::optional_mind,
    config::{in_range, invalid, parse_socket},
};
use mindos_mesh::{libp2p::multiaddr::Protocol, Multiaddr, PeerId};

pub use crate::settings::*;
pub use mindos_daemon::{
    args::ChainSettings,
    config::{parse_mind, ConfigError, PLANCK_PER_MIND},
};

/// Where the validator learns subnets and miners, and whether it sets weights.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainMode {
    /// A MindOS chain.
    Chain {
        /// Node, keys and what the coldkey may spend.
        chain: ChainSettings,
        /// Stake the coldkey tops the hotkey up to, in planck.
        stake: Option<u128>,
    },
    /// No chain: fixed subnets and miners, no weights.
    Private(PrivateMesh),
}

/// A private mesh: subnets by name, miners by address.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivateMesh {
    /// `(netuid, subnet name)`.
    pub subnets: Vec<(NetUid, String)>,
    /// `(netuid, peer, address)`, uids in order per subnet.
    pub miners: Vec<(NetUid, PeerId, Multiaddr)>,
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
    /// Canaries kept per exact-scoring subnet, `0..=MAX_CANARY_POOL` (0: none).
    pub canary_pool: u32,
    /// Share of challenges sent a second time to catch equivocation, in percent.
    pub reask_percent: u8,
}

/// The JSON-RPC gateway.
#[derive(Clone, Debug, PartialEq)]
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
    /// Open connections per client IP (per /64 for IPv6).
    pub max_connections_per_ip: u32,
    /// Connections kept for clients that have none open.
    pub reserved_connections: u32,
    /// Time a new connection has to make its first call.
    pub header_timeout: Duration,
    /// Time a connection may stay open with no call.
    pub idle_timeout: Duration,
    /// Peers whose `Forwarded`/`X-Forwarded-For` headers name the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Web origins whose pages may call the gateway.
    pub allowed_origins: Vec<String>,
    /// API keys of clients with the full options and `mesh_peers`.
    pub api_keys: Vec<String>,
    /// Miner requests per second of the whole gateway.
    pub miner_rate: u32,
    /// Least agreement for clients without an API key, `0..=1`.
    pub min_agreement: f64,
    /// Default query time budget.
    pub default_timeout: Duration,
    /// Share of queries re-executed with the pinned model, in percent (0: none).
    pub reexecute_percent: u8,
}

/// A checked validator configuration; build it with [`Config::from_settings`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// Subnets to validate (empty: every subnet on chain this build knows).
    pub netuids: Vec<NetUid>,
    /// Chain or private mesh.
    pub chain: ChainMode,
    /// The libp2p identity file.
    pub node_key_file: PathBuf,
    /// The state store.
    pub state_file: PathBuf,
    /// Most bytes of transcripts the state store keeps as evidence.
    pub evidence_max_bytes: u64,
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
    /// Loopback and private addresses dialled and published (local and dev networks).
    pub allow_private_addrs: bool,
    /// Offer `/mindos/infer/1` to other peers (off by default).
    pub accept_inference: bool,
    /// Challenges and scoring.
    pub challenge: ChallengeSettings,
    /// Whether the validator does the sentinel duty (on a chain).
    pub sentinel_duty: bool,
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
        let keys = s.keys.check("mindos-validator")?;
        let chain = match s.chain.check(&keys)? {
            None => ChainMode::Private(s.subnets.check_private()?),
            Some(chain) => {
                if !s.subnets.subnet.is_empty() || !s.subnets.miner.is_empty() {
                    return Err(invalid(
                        "subnet",
                        "--subnet and --miner only apply with --no-chain; the chain lists both",
                    ));
                }
                let stake = optional_mind("stake", s.subnets.stake.as_deref())?;
                keys.require_coldkey("stake", stake.is_some())?;
                ChainMode::Chain { chain, stake }
            }
        };
        let mesh = s.mesh.check(&DEFAULT_LISTEN)?;
        Ok(Config {
            netuids: s.subnets.netuid,
            chain,
            evidence_max_bytes: s.state.evidence_max_bytes()?,
            state_file: s.state.check(&keys.base_path),
            node_key_file: keys.node_key_file,
            ort_dylib: s.assets.ort_dylib,
            models_dir: s.assets.models_dir,
            listen: mesh.listen,
            public_addrs: mesh.public_addrs,
            mdns: mesh.mdns,
            allow_private_addrs: mesh.allow_private_addrs,
            accept_inference: s.inbound.accept_inference,
            challenge: s.challenge.check(&s.sentinel)?,
            sentinel_duty: s.sentinel.duty.unwrap_or(true),
            gateway: s.gateway.check()?,
            metrics_addr: s.metrics.check(DEFAULT_METRICS_ADDR)?,
        })
    }
}

impl SubnetArgs {
    /// The private mesh `--subnet` and `--miner` describe (with `--no-chain`).
    fn check_private(&self) -> Result<PrivateMesh, ConfigError> {
        let subnets = self
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
        let miners = self
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
        Ok(PrivateMesh { subnets, miners })
    }
}

impl StateArgs {
    fn check(self, base_path: &Path) -> PathBuf {
        self.file.unwrap_or_else(|| base_path.join(STATE_FILE))
    }

    /// `--evidence-max-mib` in bytes: 1 MiB to 1 TiB.
    fn evidence_max_bytes(&self) -> Result<u64, ConfigError> {
        let mib = self.evidence_max_mib.unwrap_or(DEFAULT_EVIDENCE_MAX_MIB);
        let mib = in_range("evidence_max_mib", mib, 1, 1024 * 1024)?;
        Ok(mib.saturating_mul(1024 * 1024))
    }
}

impl ChallengeArgs {
    fn check(&self, sentinel: &SentinelArgs) -> Result<ChallengeSettings, ConfigError> {
        let ms = |field, value: Option<u64>, default, min, max| {
            in_range(field, value.unwrap_or(default), min, max).map(Duration::from_millis)
        };
        let ema_percent = self.ema_percent.unwrap_or(DEFAULT_EMA_PERCENT);
        let ema_percent = in_range("ema_percent", ema_percent, 1, 100)?;
        Ok(ChallengeSettings {
            interval: ms(
                "challenge_interval_ms",
                self.interval_ms,
                DEFAULT_CHALLENGE_INTERVAL_MS,
                50,
                3_600_000,
            )?,
            timeout: ms(
                "challenge_timeout_ms",
                self.timeout_ms,
                DEFAULT_CHALLENGE_TIMEOUT_MS,
                10,
                MAX_REQUEST_TIMEOUT_MS,
            )?,
            latency_ref: ms(
                "latency_ref_ms",
                self.latency_ref_ms,
                DEFAULT_LATENCY_REF_MS,
                1,
                60_000,
            )?,
            ema_alpha: f64::from(ema_percent) / 100.0,
            canary_pool: in_range(
                "canary_pool",
                self.canary_pool.unwrap_or(DEFAULT_CANARY_POOL),
                0,
                MAX_CANARY_POOL,
            )?,
            reask_percent: in_range(
                "sentinel_reask_percent",
                sentinel
                    .reask_percent
                    .unwrap_or(DEFAULT_SENTINEL_REASK_PERCENT),
                0,
                100,
            )?,
        })
    }
}

impl GatewayArgs {
    /// The gateway settings, or `None` with `--no-gateway`.
    fn check(&self) -> Result<Option<GatewaySettings>, ConfigError> {
        if self.no_gateway {
            return Ok(None);
        }
        let limit = |field, value: Option<u32>, default, min, max| {
            in_range(field, value.unwrap_or(default), min, max)
        };
        let timeout_ms = self.query_timeout_ms.unwrap_or(DEFAULT_QUERY_TIMEOUT_MS);
        let max_connections = limit(
            "gateway_max_connections",
            self.max_connections,
            DEFAULT_GATEWAY_MAX_CONNECTIONS,
            1,
            100_000,
        )?;
        // At most half: the rest must serve clients that already have a connection.
        let reserved_percent = in_range(
            "gateway_reserved_percent",
            self.reserved_percent
                .unwrap_or(DEFAULT_GATEWAY_RESERVED_PERCENT),
            0,
            50,
        )?;
        Ok(Some(GatewaySettings {
            addr: parse_socket(
                "gateway_addr",
                self.addr.as_deref().unwrap_or(DEFAULT_GATEWAY_ADDR),
            )?,
            max_request_bytes: limit(
                "gateway_max_request_bytes",
                self.max_request_bytes,
                DEFAULT_GATEWAY_MAX_REQUEST_BYTES,
                1024,
                16 * 1024 * 1024,
            )?,
            rate_per_sec: limit(
                "gateway_rate",
                self.rate,
                DEFAULT_GATEWAY_RATE,
                1,
                1_000_000,
            )?,
            concurrency: limit(
                "gateway_concurrency",
                self.concurrency,
                DEFAULT_GATEWAY_CONCURRENCY,
                1,
                100_000,
            )?,
            max_connections,
            max_connections_per_ip: limit(
                "gateway_max_connections_per_ip",
                self.max_connections_per_ip,
                DEFAULT_GATEWAY_MAX_CONNECTIONS_PER_IP,
                1,
                100_000,
            )?,
            reserved_connections: u32::try_from(
                u64::from(max_connections).saturating_mul(u64::from(reserved_percent)) / 100,
            )
            .unwrap_or(0),
            header_timeout: Duration::from_millis(in_range(
                "gateway_header_timeout_ms",
                self.header_timeout_ms
                    .unwrap_or(DEFAULT_GATEWAY_HEADER_TIMEOUT_MS),
                100,
                600_000,
            )?),
            idle_timeout: Duration::from_millis(in_range(
                "gateway_idle_timeout_ms",
                self.idle_timeout_ms
                    .unwrap_or(DEFAULT_GATEWAY_IDLE_TIMEOUT_MS),
                100,
                3_600_000,
            )?),
            trusted_proxies: self
                .trusted_proxy
                .iter()
                .map(|ip| {
                    ip.parse().map_err(|e| {
                        invalid("gateway_trusted_proxy", format!("`{ip}` is not an IP: {e}"))
                    })
                })
                .collect::<Result<_, _>>()?,
            allowed_origins: self
                .allow_origin
                .iter()
                .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
            api_keys: match &self.api_keys {
                Some(path) => read_api_keys(path)?,
                None => Vec::new(),
            },
            miner_rate: limit(
                "gateway_miner_rate",
                self.miner_rate,
                DEFAULT_GATEWAY_MINER_RATE,
                1,
                1_000_000,
            )?,
            min_agreement: f64::from(in_range(
                "gateway_min_agreement_percent",
                self.min_agreement_percent
                    .unwrap_or(DEFAULT_GATEWAY_MIN_AGREEMENT_PERCENT),
                0,
                100,
            )?) / 100.0,
            default_timeout: Duration::from_millis(in_range(
                "query_timeout_ms",
                timeout_ms,
                10,
                MAX_REQUEST_TIMEOUT_MS,
            )?),
            reexecute_percent: in_range(
                "gateway_reexecute_percent",
                self.reexecute_percent
                    .unwrap_or(DEFAULT_GATEWAY_REEXECUTE_PERCENT),
                0,
                100,
            )?,
        }))
    }
}

/// The API keys in `path`, one per line; blank lines and `#` comments are skipped. Short
/// keys are refused: they could be guessed.
fn read_api_keys(path: &Path) -> Result<Vec<String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        invalid(
            "gateway_api_keys",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let keys: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if let Some(short) = keys.iter().position(|k| k.len() < 16) {
        return Err(invalid(
            "gateway_api_keys",
            format!(
                "the key on non-blank line {} of {} is shorter than 16 characters",
                short.saturating_add(1),
                path.display()
            ),
        ));
    }
    Ok(keys)
}

fn parse_subnet(entry: &str) -> Result<(NetUid, String), ConfigError> {
    let (netuid, name) = entry
        .split_once('=')
        .ok_or_else(|| invalid("subnet", format!("`{entry}` is not NETUID=NAME")))?;
    let netuid: NetUid = netuid
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

fn parse_miner(entry: &str) -> Result<(NetUid, PeerId, Multiaddr), ConfigError> {
    let (netuid, addr) = entry
        .split_once('=')
        .ok_or_else(|| invalid("miner", format!("`{entry}` is not NETUID=MULTIADDR")))?;
    let netuid: NetUid = netuid
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

#[cfg(test)]
mod tests {
    use super::*;

    fn private() -> Settings {
        let peer = PeerId::random();
        let mut s = Settings::default();
        s.chain.no_chain = true;
        s.keys.base_path = Some("/tmp/v".into());
        s.subnets.subnet = vec!["1=digits".into()];
        s.subnets.miner = vec![format!("1=/ip4/127.0.0.1/tcp/5/p2p/{peer}")];
        s
    }

    /// [`private`] changed by `change`.
    fn private_with(change: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = private();
        change(&mut s);
        s
    }

    /// [`private`] on a chain instead (no subnets or miners given), changed by `change`.
    fn chain_with(change: impl FnOnce(&mut Settings)) -> Settings {
        private_with(|s| {
            s.chain.no_chain = false;
            s.subnets.subnet = Vec::new();
            s.subnets.miner = Vec::new();
            change(s);
        })
    }

    #[test]
    fn private_mesh_parses() {
        let config = Config::from_settings(private()).unwrap();
        let ChainMode::Private(mesh) = &config.chain else {
            panic!("private");
        };
        assert_eq!(mesh.subnets, vec![(NetUid(1), "digits".to_owned())]);
        assert_eq!(mesh.miners.len(), 1);
        assert_eq!(config.state_file, PathBuf::from("/tmp/v/state.redb"));
        assert!((config.challenge.ema_alpha - 0.1).abs() < 1e-12);
        assert_eq!(config.challenge.canary_pool, DEFAULT_CANARY_POOL);
    }

    #[test]
    fn inference_is_accepted_only_when_configured() {
        assert!(!Config::from_settings(private()).unwrap().accept_inference);
        let accepting = private_with(|s| s.inbound.accept_inference = true);
        assert!(Config::from_settings(accepting).unwrap().accept_inference);
    }

    #[test]
    fn the_sentinel_duty_is_on_by_default_and_can_be_turned_off() {
        let config = Config::from_settings(private()).unwrap();
        assert!(config.sentinel_duty);
        assert_eq!(
            config.challenge.reask_percent,
            DEFAULT_SENTINEL_REASK_PERCENT
        );
        let off = private_with(|s| {
            s.sentinel.duty = Some(false);
            s.sentinel.reask_percent = Some(0);
        });
        let config = Config::from_settings(off).unwrap();
        assert!(!config.sentinel_duty);
        assert_eq!(config.challenge.reask_percent, 0);
        // From the command line and the file alike.
        let cli =
            <Cli as clap::Parser>::try_parse_from(["mindos-validator", "--sentinel-duty", "false"])
                .unwrap();
        assert_eq!(cli.into_settings().unwrap().sentinel.duty, Some(false));
        let file: Settings =
            toml::from_str("[sentinel]\nduty = false\nreask_percent = 5\n").unwrap();
        assert_eq!(
            (file.sentinel.duty, file.sentinel.reask_percent),
            (Some(false), Some(5))
        );
    }

    #[test]
    fn bad_settings_name_their_field() {
        let cases: Vec<(Settings, &str)> = vec![
            (
                private_with(|s| s.subnets.subnet = vec!["1=chess".into()]),
                "subnet",
            ),
            (
                private_with(|s| s.subnets.miner = vec!["1=/ip4/127.0.0.1/tcp/5".into()]),
                "miner",
            ),
            (
                private_with(|s| {
                    s.subnets.miner =
                        vec![format!("2=/ip4/127.0.0.1/tcp/5/p2p/{}", PeerId::random())]
                }),
                "miner",
            ),
            (private_with(|s| s.gateway.rate = Some(0)), "gateway_rate"),
            (
                private_with(|s| s.challenge.canary_pool = Some(9)),
                "canary_pool",
            ),
            (
                private_with(|s| s.gateway.reexecute_percent = Some(101)),
                "gateway_reexecute_percent",
            ),
            (
                private_with(|s| s.sentinel.reask_percent = Some(101)),
                "sentinel_reask_percent",
            ),
            (chain_with(|s| s.subnets.stake = Some("5".into())), "stake"),
            (
                chain_with(|s| s.chain.rpc = Some("http://x".into())),
                "chain_rpc",
            ),
        ];
        for (settings, field) in cases {
            let err = Config::from_settings(settings).unwrap_err();
            assert_eq!(err.field(), Some(field), "{err}");
        }
    }
}
