#![doc = include_str!("../README.md")]
#![cfg_attr(
    test,
    allow(
        clippy::arithmetic_side_effects,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::unwrap_used
    )
)]

mod chain;
/// Account key files; shared with the miner through the chain client.
pub use mindos_chain_client::keys;
mod challenge;
pub mod config;
pub mod gateway;
mod metagraph;
mod metrics;
mod scoring;
mod store;
mod weights;

use std::{collections::BTreeMap, future::Future, net::SocketAddr, sync::Arc};

use mindos_mesh::{Mesh, MeshConfig, MeshError, MeshEvent, Multiaddr, PeerId};
use mindos_subnets::{EngineConfig, SubnetEngine, SubnetError};
use tokio::{
    sync::{oneshot, watch},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

use crate::{
    chain::{ChainSession, Served},
    config::ChainMode,
    gateway::Gateway,
    metagraph::{ChainSubnet, Neuron, SubnetState},
    scoring::Scoreboard,
    store::Store,
};
pub use crate::{
    config::{Cli, Config, ConfigError, Settings},
    keys::KeyError,
    store::StoreError,
};

/// Why the validator could not start (or stopped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidatorError {
    /// A setting is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A hotkey or coldkey file.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The state store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A subnet's model or the ONNX Runtime library could not be loaded.
    #[error("loading the `{subnet}` subnet: {source}")]
    Model {
        /// The subnet's task name.
        subnet: String,
        /// Why.
        #[source]
        source: SubnetError,
    },
    /// Talking to the chain failed.
    #[error("chain: {0}")]
    Chain(#[from] mindos_chain_client::ChainError),
    /// A configured subnet does not exist on chain, or no validated subnet is left.
    #[error("subnet {netuid} does not exist on chain (or this build does not know its task)")]
    UnknownSubnet {
        /// The configured netuid.
        netuid: u16,
    },
    /// There is nothing to validate.
    #[error("no subnet to validate: the chain lists none this build knows")]
    NoSubnets,
    /// The hotkey is not registered and no coldkey is configured to register it.
    #[error(
        "hotkey {hotkey} is not registered on subnet {netuid}; set --coldkey-file (a coldkey \
         with enough MIND for the burn, capped by --max-burn) to let the validator register it"
    )]
    NotRegistered {
        /// The hotkey's account, hex.
        hotkey: String,
        /// The subnet.
        netuid: u16,
    },
    /// The mesh failed.
    #[error("mesh: {0}")]
    Mesh(#[from] MeshError),
    /// A local endpoint could not bind its address.
    #[error("cannot listen for {what} on {addr}: {source}")]
    Bind {
        /// Which endpoint.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Metrics could not be set up.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// Starting a worker thread or task failed.
    #[error("{what}: {source}")]
    Runtime {
        /// What was being done.
        what: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Starts a validator with `config` and runs until `shutdown` completes, then shuts down
/// gracefully.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), ValidatorError> {
    Validator::start(config).await?.run(shutdown).await
}

/// SplitMix64 seeded from the OS: challenge sample and request-id draws (nothing secret;
/// salts use `getrandom` directly).
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn from_entropy() -> Self {
        let mut seed = [0u8; 8];
        // A failed draw leaves a fixed seed: only the spread of challenges suffers.
        let _ = getrandom::getrandom(&mut seed);
        Self(u64::from_le_bytes(seed))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ z.wrapping_shr(30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ z.wrapping_shr(27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ z.wrapping_shr(31)
    }

    /// Uniform-ish in `0..n` (0 if `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.next_u64().checked_rem(n64).unwrap_or(0)).unwrap_or(0)
    }
}

/// A started validator. [`Validator::run`] serves until a shutdown signal; the accessors tell
/// tests and tools where it listens.
pub struct Validator {
    peer_id: PeerId,
    listen_addrs: Vec<Multiaddr>,
    gateway_addr: Option<SocketAddr>,
    gateway: Option<jsonrpsee::server::ServerHandle>,
    metrics_addr: Option<SocketAddr>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    mesh_stop: oneshot::Sender<()>,
    mesh_task: JoinHandle<()>,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("peer_id", &self.peer_id)
            .finish_non_exhaustive()
    }
}

/// Loads a subnet's engine: against the chain's TaskSpec if there is one, else against the
/// digest this build pins. Blocking (file read, hashing, session setup): off the executor.
async fn load_engine(
    config: &Config,
    subnet: &ChainSubnet,
) -> Result<Arc<dyn SubnetEngine>, ValidatorError> {
    let mut engine_config = EngineConfig::default();
    engine_config.ort_dylib_path = config.ort_dylib.clone();
    engine_config.models_dir = config.models_dir.clone();
    let (name, task) = (subnet.name.clone(), subnet.task.clone());
    let loaded = tokio::task::spawn_blocking(move || match &task {
        Some(task) => mindos_subnets::load_for_task(&name, task, &engine_config),
        None => mindos_subnets::load(&name, &engine_config),
    })
    .await
    .map_err(|e| ValidatorError::Runtime {
        what: "loading a model",
        source: std::io::Error::other(e.to_string()),
    })?;
    loaded.map_err(|source| ValidatorError::Model {
        subnet: subnet.name.clone(),
        source,
    })
}

impl Validator {
    /// Opens the store, connects to the chain (registering, funding, staking as configured),
    /// loads each subnet's engine, starts the mesh, serves the PeerId on chain, and starts
    /// the follower, challenge and weight tasks, the gateway and the metrics endpoint.
    pub async fn start(config: Config) -> Result<Self, ValidatorError> {
        let node_key = mindos_mesh::keys::load_or_create_keypair(&config.node_key_file)?;
        let metrics = Arc::new(metrics::Metrics::new()?);
        let state_file = config.state_file.clone();
        let store = Arc::new(
            tokio::task::spawn_blocking(move || Store::open(&state_file))
                .await
                .map_err(|e| ValidatorError::Runtime {
                    what: "opening the state store",
                    source: std::io::Error::other(e.to_string()),
                })??,
        );

        // Which subnets, and the session that validates them.
        let mut session = None;
        let mut chain_subnets = Vec::new();
        let mut private_miners = Vec::new();
        match &config.chain {
            ChainMode::Chain(settings) => {
                let hotkey = keys::load_or_create_key(&settings.hotkey_file)?;
                let coldkey = settings
                    .coldkey_file
                    .as_deref()
                    .map(keys::load_key)
                    .transpose()?;
                let s = ChainSession::connect(&settings.rpc_url, hotkey).await?;
                let at = s.at_finalized().await?;
                let listed = s.subnets(&at).await?;
                for netuid in &config.netuids {
                    if !listed.iter().any(|l| l.netuid == *netuid) {
                        return Err(ValidatorError::UnknownSubnet { netuid: *netuid });
                    }
                }
                for subnet in listed {
                    let wanted =
                        config.netuids.is_empty() || config.netuids.contains(&subnet.netuid);
                    if !wanted {
                        continue;
                    }
                    if !mindos_subnets::SUBNETS.contains(&subnet.name.as_str()) {
                        if config.netuids.contains(&subnet.netuid) {
                            return Err(ValidatorError::UnknownSubnet {
                                netuid: subnet.netuid,
                            });
                        }
                        tracing::warn!(netuid = subnet.netuid, name = %subnet.name, "skipping a subnet whose task this build does not know");
                        continue;
                    }
                    chain_subnets.push(subnet);
                }
                if let Some(coldkey) = &coldkey {
                    if let Some(target) = settings.fund_hotkey {
                        s.ensure_funded(coldkey, target).await?;
                    }
                }
                for subnet in &chain_subnets {
                    let uid = s
                        .ensure_registered(subnet.netuid, coldkey.as_ref(), settings.max_burn)
                        .await?;
                    tracing::info!(netuid = subnet.netuid, uid, hotkey = %s.hotkey_hex(), "hotkey registered");
                }
                if let (Some(coldkey), Some(target)) = (&coldkey, settings.stake) {
                    s.ensure_staked(coldkey, target).await?;
                }
                session = Some(s);
            }
            ChainMode::Private(mesh) => {
                for (netuid, name) in &mesh.subnets {
                    chain_subnets.push(ChainSubnet {
                        netuid: *netuid,
                        name: name.clone(),
                        task: None,
                        tempo: 0,
                        commit_reveal: false,
                    });
                }
                private_miners = mesh.miners.clone();
            }
        }
        if chain_subnets.is_empty() {
            return Err(ValidatorError::NoSubnets);
        }

        let mut subnets = BTreeMap::new();
        for subnet in &chain_subnets {
            let engine = load_engine(&config, subnet).await?;
            let netuid = subnet.netuid;
            let saved_store = store.clone();
            let saved = tokio::task::spawn_blocking(move || saved_store.scores(netuid))
                .await
                .map_err(|e| ValidatorError::Runtime {
                    what: "reading scores",
                    source: std::io::Error::other(e.to_string()),
                })??;
            let board = Scoreboard::new(config.challenge.ema_alpha, config.challenge.latency_ref)
                .with_scores(saved);
            subnets.insert(netuid, Arc::new(SubnetState::new(subnet, engine, board)));
            tracing::info!(netuid, name = %subnet.name, "validating subnet");
        }
        let subnets = Arc::new(subnets);

        // The mesh.
        let mut mesh_config = MeshConfig::new(node_key);
        mesh_config.listen_addrs = config.listen.clone();
        mesh_config.mdns = config.mdns;
        let (mesh, events, event_loop) = Mesh::new(mesh_config)?;
        let (mesh_stop, mesh_stopped) = oneshot::channel::<()>();
        let mesh_task = tokio::spawn(event_loop.run(async move {
            let _ = mesh_stopped.await;
        }));
        let listen_addrs = mesh.listen_addrs().await?;
        let peer_id = mesh.peer_id();
        tracing::info!(%peer_id, addrs = ?listen_addrs, "mesh listening");
        for netuid in subnets.keys() {
            mesh.subscribe(*netuid).await?;
        }
        let cancel = CancellationToken::new();
        let mut tasks = vec![tokio::spawn(drain(events))];

        // Private miners are known up front; chain miners come from the metagraph.
        for (netuid, peer, addr) in &private_miners {
            mesh.add_address(*peer, addr.clone()).await?;
            if let Some(subnet) = subnets.get(netuid) {
                let mut neurons = subnet.neurons().as_ref().clone();
                let uid = u16::try_from(neurons.len()).unwrap_or(u16::MAX);
                neurons.push(Neuron {
                    uid,
                    hotkey: [0; 32],
                    peer: Some(*peer),
                    addrs: vec![addr.clone()],
                    validator_permit: false,
                    stake: 0,
                    reputation: 0.0,
                    incentive: 0,
                    emission: 0,
                });
                subnet.set_neurons(neurons);
            }
        }

        if let Some(session) = &session {
            // What `serve` may publish: the chain's limits on count and length.
            let public = mindos_mesh::publishable(
                &config.public_addrs,
                &listen_addrs,
                mindos_primitives::MAX_MULTIADDR_LEN,
                mindos_primitives::MAX_MULTIADDRS,
            );
            let mut pending_serves = Vec::new();
            for netuid in subnets.keys() {
                match session.serve(*netuid, peer_id, &public).await? {
                    Served::Published => tracing::info!(netuid, %peer_id, "PeerId served on chain"),
                    Served::Unchanged => {
                        tracing::info!(netuid, "the chain already has this endpoint")
                    }
                    Served::RateLimitedUntil(block) => {
                        tracing::warn!(
                            netuid,
                            block,
                            "serve is rate-limited; publishing at that block"
                        );
                        pending_serves.push((*netuid, block));
                    }
                }
            }
            let at = session.at_finalized().await?;
            for subnet in subnets.values() {
                weights::refresh(session, &at, subnet, &mesh).await?;
            }
            let (blocks_tx, blocks_rx) = watch::channel(at.block_number());
            tasks.push(tokio::spawn(weights::follow(
                session.clone(),
                subnets.values().cloned().collect(),
                mesh.clone(),
                metrics.clone(),
                blocks_tx,
                pending_serves,
                (peer_id, public),
                cancel.clone(),
            )));
            for subnet in subnets.values() {
                tasks.push(tokio::spawn(weights::run(
                    session.clone(),
                    subnet.clone(),
                    store.clone(),
                    metrics.clone(),
                    blocks_rx.clone(),
                    cancel.clone(),
                )));
            }
        }
        for subnet in subnets.values() {
            tasks.push(tokio::spawn(challenge::run(
                subnet.clone(),
                mesh.clone(),
                config.challenge,
                metrics.clone(),
                store.clone(),
                cancel.clone(),
            )));
        }

        let (gateway_addr, gateway) = match &config.gateway {
            Some(settings) => {
                let gateway = Arc::new(Gateway::new(
                    subnets.clone(),
                    mesh.clone(),
                    metrics.clone(),
                    settings,
                ));
                let (addr, handle) = gateway::start(settings, gateway, cancel.clone()).await?;
                (Some(addr), Some(handle))
            }
            None => (None, None),
        };
        let metrics_addr = match config.metrics_addr {
            Some(addr) => {
                let (bound, task) =
                    mindos_daemon::metrics::start(addr, metrics.registry().clone(), cancel.clone())
                        .await
                        .map_err(|source| ValidatorError::Bind {
                            what: "metrics",
                            addr,
                            source,
                        })?;
                tasks.push(task);
                Some(bound)
            }
            None => None,
        };
        tracing::info!(%peer_id, subnets = subnets.len(), "validator running");
        Ok(Self {
            peer_id,
            listen_addrs,
            gateway_addr,
            gateway,
            metrics_addr,
            cancel,
            tasks,
            mesh_stop,
            mesh_task,
        })
    }

    /// The validator's libp2p PeerId.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The addresses the mesh listens on.
    pub fn listen_addrs(&self) -> &[Multiaddr] {
        &self.listen_addrs
    }

    /// Where the gateway listens, if enabled.
    pub fn gateway_addr(&self) -> Option<SocketAddr> {
        self.gateway_addr
    }

    /// Where the Prometheus endpoint listens, if enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Runs until `shutdown` completes, then stops gracefully: the gateway stops taking calls
    /// and finishes those in flight, the chain, challenge and weight tasks stop (a weight
    /// transaction in flight is abandoned; the store and the chain say where to resume),
    /// then the mesh stops.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ValidatorError> {
        shutdown.await;
        tracing::info!("shutting down");
        if let Some(gateway) = self.gateway {
            let _ = gateway.stop();
            gateway.stopped().await;
        }
        self.cancel.cancel();
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
        let _ = self.mesh_stop.send(());
        let _ = self.mesh_task.await;
        tracing::info!("validator stopped");
        Ok(())
    }
}

/// Mesh events need a reader; the validator answers no inference requests (dropping the
/// responder refuses them) and reads capacity beats through `MeshClient::peers`.
async fn drain(mut events: tokio::sync::mpsc::Receiver<MeshEvent>) {
    while let Some(event) = events.recv().await {
        if let MeshEvent::InboundRequest { peer, .. } = event {
            tracing::debug!(%peer, "refusing an inference request: this is a validator");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_below_stays_in_range() {
        let mut rng = Rng(7);
        assert_eq!(rng.below(0), 0);
        let draws: Vec<usize> = (0..1000).map(|_| rng.below(10)).collect();
        assert!(draws.iter().all(|d| *d < 10));
        for v in 0..10 {
            assert!(draws.contains(&v), "{v} never drawn");
        }
    }
}
