//! Configuration checked once into a [`Config`] that cannot be invalid: each group of
//! [`Settings`](crate::settings::Settings) checks itself, and a bad setting is an error
//! naming it as flag and file key.

use mindos_primitives::NetUid;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use mindos_daemon::{
    args::MeshAddrs,
    config::{self, in_range, invalid, parse_socket},
};
use mindos_mesh::{libp2p::multiaddr::Protocol, Multiaddr, PeerId, MIN_SIZE_LIMIT};
use mindos_subnets::EngineConfig;

pub use crate::settings::*;
pub use mindos_daemon::{
    args::ChainSettings,
    config::{parse_mind, ConfigError, PLANCK_PER_MIND},
};

/// Where the miner learns who may call it and what to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainMode {
    /// A MindOS chain: the subnet's TaskSpec, registration, `serve`, validator permits.
    Chain(ChainSettings),
    /// No chain (`--no-chain`): a private mesh of allow-listed peers.
    Private,
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
    /// ONNX Runtime's low-memory profile ([`mindos_subnets::EngineConfig::low_memory`]).
    pub low_memory: bool,
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
    /// Loopback and private addresses dialled and published (local and dev networks).
    pub allow_private_addrs: bool,
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
    /// The thermal class directory (sysfs).
    pub thermal_dir: PathBuf,
    /// Low-power threshold of the hottest thermal zone, in °C.
    pub hot_celsius: u8,
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
    pub netuid: NetUid,
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
    /// Most bytes the signed answers kept to re-send may take.
    pub signed_answers_bytes: usize,
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
        let (netuid, subnet) = s.subnet.check()?;
        let keys = s.keys.check("mindos-miner")?;
        let allow_peers = config::parse_each("allow_peer", &s.peers.allow_peer, "a PeerId")?;
        let chain = match s.chain.check(&keys)? {
            Some(chain) => ChainMode::Chain(chain),
            None if subnet.is_none() => {
                return Err(invalid(
                    "subnet",
                    "missing: with --no-chain name the task to serve (text-embedding, digits)",
                ))
            }
            None if allow_peers.is_empty() => {
                return Err(invalid(
                    "allow_peer",
                    "missing: with --no-chain only allow-listed peers can be served; add at \
                     least one --allow-peer",
                ))
            }
            None => ChainMode::Private,
        };
        let model = ModelSettings {
            ort_dylib: s.assets.ort_dylib,
            models_dir: s.assets.models_dir,
            model: s.model.model,
            tokenizer: s.model.tokenizer,
            intra_threads: in_range(
                "intra_threads",
                s.model.intra_threads.unwrap_or(DEFAULT_INTRA_THREADS),
                1,
                64,
            )?,
            low_memory: s.model.low_memory,
        };
        let addrs = s.mesh.check(&DEFAULT_LISTEN)?;
        let mesh = s.peers.check(keys.node_key_file, addrs, allow_peers)?;
        let batching = s.batching.check()?;
        Ok(Config {
            netuid,
            subnet,
            chain,
            model,
            mesh,
            power: s.power.check(&batching)?,
            batching,
            device: s.device.check()?,
            signed_answers_bytes: in_range(
                "signed_answers_bytes",
                s.signing
                    .signed_answers_bytes
                    .unwrap_or(DEFAULT_SIGNED_ANSWERS_BYTES),
                1024 * 1024,
                1024 * 1024 * 1024,
            )?,
            rpc_addr: s.rpc.check()?,
            metrics_addr: s.metrics.check(DEFAULT_METRICS_ADDR)?,
        })
    }
}

impl Config {
    /// How `mindos-subnets` loads the model for this configuration: one session per worker.
    pub fn engine_config(&self) -> EngineConfig {
        let mut engine = EngineConfig::default();
        engine.ort_dylib_path = self.model.ort_dylib.clone();
        engine.models_dir = self.model.models_dir.clone();
        engine.model_path = self.model.model.clone();
        engine.tokenizer_path = self.model.tokenizer.clone();
        engine.intra_threads = self.model.intra_threads;
        engine.low_memory = self.model.low_memory;
        engine.sessions = self.batching.workers;
        engine
    }
}

impl SubnetArgs {
    fn check(self) -> Result<(NetUid, Option<String>), ConfigError> {
        let netuid = self
            .netuid
            .ok_or_else(|| invalid("netuid", "missing: the subnet to serve"))?;
        if let Some(name) = &self.subnet {
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
        Ok((netuid, self.subnet))
    }
}

/// The chain keeps at most `MAX_MULTIADDRS` addresses of at most `MAX_MULTIADDR_LEN` bytes.
fn check_publishable(addrs: &[Multiaddr]) -> Result<(), ConfigError> {
    use mindos_primitives::{MAX_MULTIADDRS, MAX_MULTIADDR_LEN};
    if addrs.len() > MAX_MULTIADDRS as usize {
        return Err(invalid(
            "public_addr",
            format!("at most {MAX_MULTIADDRS} addresses can be published"),
        ));
    }
    match addrs
        .iter()
        .find(|a| a.to_vec().len() > MAX_MULTIADDR_LEN as usize)
    {
        Some(long) => Err(invalid(
            "public_addr",
            format!("`{long}` is too long to publish"),
        )),
        None => Ok(()),
    }
}

impl PeerArgs {
    /// The mesh settings: these with the shared `[mesh]` addresses, the node key and the
    /// allowed peers (checked first, with the chain settings).
    fn check(
        self,
        node_key_file: PathBuf,
        addrs: MeshAddrs<Multiaddr>,
        allow_peers: Vec<PeerId>,
    ) -> Result<MeshSettings, ConfigError> {
        check_publishable(&addrs.public_addrs)?;
        let bootstrap: Vec<Multiaddr> =
            config::parse_each("bootstrap", &self.bootstrap, "a multiaddr")?;
        if let Some(bad) = bootstrap
            .iter()
            .find(|a| !matches!(a.iter().last(), Some(Protocol::P2p(_))))
        {
            return Err(invalid(
                "bootstrap",
                format!("`{bad}` must end in /p2p/<peer id>"),
            ));
        }
        Ok(MeshSettings {
            node_key_file,
            listen: addrs.listen,
            public_addrs: addrs.public_addrs,
            bootstrap,
            mdns: addrs.mdns,
            allow_private_addrs: addrs.allow_private_addrs,
            allow_peers,
            max_request_bytes: in_range(
                "max_request_bytes",
                self.max_request_bytes.unwrap_or(DEFAULT_MAX_REQUEST_BYTES),
                MIN_SIZE_LIMIT,
                16 * 1024 * 1024,
            )?,
            beat_interval: Duration::from_secs(in_range(
                "beat_interval_secs",
                self.beat_interval_secs
                    .unwrap_or(DEFAULT_BEAT_INTERVAL_SECS),
                1,
                60,
            )?),
        })
    }
}

impl BatchingArgs {
    fn check(&self) -> Result<Batching, ConfigError> {
        let max_batch = self.max_batch.unwrap_or(DEFAULT_MAX_BATCH);
        let max_wait_ms = self.max_wait_ms.unwrap_or(DEFAULT_MAX_WAIT_MS);
        let workers = self.workers.unwrap_or(DEFAULT_WORKERS);
        let queue_capacity = self.queue_capacity.unwrap_or(DEFAULT_QUEUE_CAPACITY);
        Ok(Batching {
            max_batch: in_range("max_batch", max_batch, 1, MAX_BATCH_LIMIT)?,
            max_wait: Duration::from_millis(in_range("max_wait_ms", max_wait_ms, 0, 1000)?),
            workers: in_range("workers", workers, 1, 16)?,
            queue_capacity: in_range("queue_capacity", queue_capacity, 1, 65_536)?,
        })
    }
}

impl PowerArgs {
    /// The power policy; the low-power limits cannot exceed the normal ones in `batching`.
    fn check(self, batching: &Batching) -> Result<PowerSettings, ConfigError> {
        let quarter_batch = batching.max_batch.checked_div(4).unwrap_or(1).max(1);
        Ok(PowerSettings {
            supply_dir: self
                .supply_dir
                .unwrap_or_else(|| PathBuf::from(DEFAULT_POWER_SUPPLY_DIR)),
            status_file: self.status_file,
            on_battery: self.on_battery,
            battery_percent: self
                .battery_percent
                .map(|p| in_range("battery_percent", p, 0, 100))
                .transpose()?,
            low_battery_percent: in_range(
                "low_battery_percent",
                self.low_battery_percent
                    .unwrap_or(DEFAULT_LOW_BATTERY_PERCENT),
                0,
                100,
            )?,
            thermal_dir: self
                .thermal_dir
                .unwrap_or_else(|| PathBuf::from(DEFAULT_THERMAL_DIR)),
            // Below 40 °C an idle device would count as hot; above 110 °C silicon is past its
            // own limits before the miner reacts.
            hot_celsius: in_range(
                "hot_celsius",
                self.hot_celsius.unwrap_or(DEFAULT_HOT_CELSIUS),
                40,
                110,
            )?,
            low_power_max_batch: in_range(
                "low_power_max_batch",
                self.low_power_max_batch.unwrap_or(quarter_batch),
                1,
                batching.max_batch,
            )?,
            low_power_workers: in_range(
                "low_power_workers",
                self.low_power_workers.unwrap_or(DEFAULT_LOW_POWER_WORKERS),
                1,
                batching.workers,
            )?,
        })
    }
}

impl DeviceArgs {
    fn check(self) -> Result<DeviceSettings, ConfigError> {
        let region = self.region.as_deref().unwrap_or(DEFAULT_REGION);
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
        Ok(DeviceSettings {
            class: self.class,
            compute_score: self.compute_score,
            region,
        })
    }
}

impl RpcArgs {
    /// The owner endpoint's address (loopback only), or `None` with `--no-rpc`.
    fn check(&self) -> Result<Option<SocketAddr>, ConfigError> {
        if self.no_rpc {
            return Ok(None);
        }
        let addr = parse_socket("rpc_addr", self.addr.as_deref().unwrap_or(DEFAULT_RPC_ADDR))?;
        if !addr.ip().is_loopback() {
            return Err(invalid(
                "rpc_addr",
                format!("{addr} is not a loopback address; the owner endpoint is local only"),
            ));
        }
        Ok(Some(addr))
    }
}
