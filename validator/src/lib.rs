#![doc = include_str!("../README.md")]
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

mod answers;
mod chain;
#[cfg(feature = "crash-points")]
mod crash;
/// Account key files; shared with the miner through the chain client.
pub use mindos_chain_client::keys;
mod challenge;
pub mod config;
mod evidence;
pub mod gateway;
mod metagraph;
mod metrics;
mod reexec;
mod scoring;
mod sentinel;
pub mod settings;
mod start;
mod store;
mod transcript;
mod weights;

use mindos_primitives::NetUid;
use std::{collections::BTreeMap, future::Future, net::SocketAddr, sync::Arc};

use mindos_daemon::start::{StartError, StoppableTask, Tasks};
use mindos_mesh::{MeshClient, MeshError, Multiaddr, PeerId};
use mindos_subnets::SubnetError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{config::ChallengeSettings, metagraph::SubnetState, metrics::Metrics, store::Store};
pub use crate::{
    config::{Cli, Config, ConfigError, Settings},
    keys::KeyError,
    store::StoreError,
};

/// Why the validator could not start (or stopped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidatorError {
    /// A failure any binary can have: a setting, a key file, the chain, the mesh, a local
    /// endpoint, a worker.
    #[error(transparent)]
    Start(#[from] StartError),
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
    /// A configured subnet does not exist on chain, or no validated subnet is left.
    #[error("subnet {netuid} does not exist on chain (or this build does not know its task)")]
    UnknownSubnet {
        /// The configured netuid.
        netuid: NetUid,
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
        netuid: NetUid,
    },
}

mindos_daemon::start_error_from!(ValidatorError {
    ConfigError => config,
    KeyError => key,
    mindos_chain_client::keys::NeuronKeyError => key,
    mindos_chain_client::ChainError => chain,
    MeshError => mesh,
    prometheus::Error => metrics,
});

/// Starts a validator with `config` and runs until `shutdown` completes, then shuts down
/// gracefully.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), ValidatorError> {
    Validator::start(config).await?.run(shutdown).await
}

/// SplitMix64 seeded from the OS: fresh-challenge seeds, request ids and the queries picked
/// for re-execution (nothing secret; salts use `getrandom` directly).
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
}

/// What the validator's tasks share: the subnets it validates, the mesh, its metrics and
/// state store, and the token that tells them to stop.
pub(crate) struct Context {
    /// The validated subnets by netuid.
    pub(crate) subnets: Arc<BTreeMap<NetUid, Arc<SubnetState>>>,
    pub(crate) mesh: MeshClient,
    /// The mesh's peers as the gateway ranks them.
    pub(crate) peers: Arc<gateway::PeerSnapshot>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) store: Arc<Store>,
    /// Challenge schedule and scoring.
    pub(crate) challenge: ChallengeSettings,
    /// Builds every request to a miner (its terms, a fresh request id) and checks every
    /// answer's signature, for the challenges and the gateway alike; hands the verified ones
    /// to the transcript sink as evidence.
    pub(crate) answers: Arc<answers::Answers>,
    /// The validator's own runs of the pinned models, and the disagreements they found.
    pub(crate) reexec: Arc<reexec::Reexecutor>,
    /// The canary pools (`None`: off, or no chain).
    pub(crate) canaries: Option<Arc<sentinel::canary::Canaries>>,
    /// The latest finalized block the follower has read (the gateway's `network_block`
    /// notifications); stays `None` without a chain.
    pub(crate) heads: tokio::sync::watch::Sender<Option<gateway::Head>>,
    /// Fires when shutdown starts.
    pub(crate) cancel: CancellationToken,
}

impl Context {
    /// Forgets the gateway's knowledge of peers that are no longer neurons of a validated
    /// subnet; run after the metagraphs are read.
    pub(crate) fn forget_gone_peers(&self) {
        let neurons = gateway::neuron_peers(self.subnets.values().map(|s| &**s));
        self.peers.retain_neurons(|peer| neurons.contains(peer));
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
    /// Following the chain, weights, challenges, the metrics endpoint.
    tasks: Tasks,
    /// Reads mesh events until the mesh stops, so it is awaited after the mesh.
    drain: JoinHandle<()>,
    mesh: StoppableTask,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("peer_id", &self.peer_id)
            .finish_non_exhaustive()
    }
}

impl Validator {
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
        self.tasks.shutdown().await;
        self.mesh.stop().await;
        let _ = self.drain.await;
        tracing::info!("validator stopped");
        Ok(())
    }
}
