#![doc = include_str!("../README.md")]
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

mod chain;
/// Account key files; shared with the validator through the chain client.
pub use mindos_chain_client::keys;
pub mod config;
#[cfg(feature = "fault-injection")]
mod fault;
mod metrics;
pub mod power;
mod rpc;
mod serve;
mod service;
pub mod settings;
mod signer;
mod start;
mod status;

use mindos_primitives::NetUid;
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration, time::Instant};

use mindos_daemon::start::{StartError, StoppableTask, Tasks};
use mindos_mesh::{
    wire::{unix_time_ms, LOAD_FULL},
    CapacityBeat, MeshClient, MeshError, MeshEvent, Multiaddr, PeerId,
};
use mindos_subnets::SubnetError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
#[cfg(feature = "fault-injection")]
use tokio_util::task::TaskTracker;

pub use crate::{
    config::{Cli, Config, ConfigError, Settings},
    keys::KeyError,
    rpc::{BUSY as RPC_BUSY, INTERNAL as RPC_INTERNAL, INVALID_INPUT as RPC_INVALID_INPUT},
    serve::ServeError,
    status::{MinerStatus, PowerView},
};
use crate::{
    power::{LowPowerCause, PowerMonitor},
    serve::Server,
    service::Service,
    status::LiveState,
};

/// After the last in-flight answer is handed to the mesh, how long it gets to write it out
/// before the mesh stops (the mesh's shutdown does not flush queued answers itself).
const ANSWER_FLUSH: Duration = Duration::from_millis(200);

/// Why the miner could not start (or stopped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MinerError {
    /// A failure any binary can have: a setting, a key file, the chain, the mesh, a local
    /// endpoint, a worker.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The model or the ONNX Runtime library could not be loaded.
    #[error("loading the `{subnet}` subnet: {source}")]
    Model {
        /// The subnet's task name.
        subnet: String,
        /// Why (a missing asset names `scripts/setup.sh`).
        #[source]
        source: SubnetError,
    },
    /// The model file is not the one the subnet's TaskSpec on chain pins: the miner refuses
    /// to serve it.
    #[error(
        "refusing to start: the model does not match subnet {netuid}'s TaskSpec on chain: {source}"
    )]
    ModelMismatch {
        /// The subnet.
        netuid: NetUid,
        /// The digest or task-spec mismatch.
        #[source]
        source: SubnetError,
    },
    /// The subnet does not exist on chain.
    #[error("subnet {netuid} does not exist on chain")]
    UnknownSubnet {
        /// The configured netuid.
        netuid: NetUid,
    },
    /// The chain's subnet has another task than the configured `subnet`.
    #[error("subnet {netuid} on chain is `{chain}`, but `subnet` is set to `{configured}`")]
    SubnetMismatch {
        /// The subnet.
        netuid: NetUid,
        /// The chain's name.
        chain: String,
        /// The configured name.
        configured: String,
    },
    /// The hotkey is not registered and no coldkey is configured to register it.
    #[error(
        "hotkey {hotkey} is not registered on subnet {netuid}; register it from your wallet \
         with `mindos neuron register {netuid} --wallet WALLET --hotkey HOTKEY_FILE` (this \
         miner's --hotkey-file), or set --coldkey-file (a coldkey with enough MIND for the \
         burn, capped by --max-burn) to let the miner register it"
    )]
    NotRegistered {
        /// The hotkey's account, hex.
        hotkey: String,
        /// The subnet.
        netuid: NetUid,
    },
    /// The hotkey holds no MIND to pay the `serve` fee.
    #[error(
        "hotkey {hotkey} has no MIND to pay the serve fee; transfer some to it (`mindos \
         wallet transfer WALLET {hotkey} 1`), or set --fund-hotkey (with --coldkey-file) to let \
         the miner top it up"
    )]
    HotkeyUnfunded {
        /// The hotkey's account, hex.
        hotkey: String,
    },
}

mindos_daemon::start_error_from!(MinerError {
    ConfigError => config,
    KeyError => key,
    keys::NeuronKeyError => key,
    mindos_chain_client::ChainError => chain,
    MeshError => mesh,
    prometheus::Error => metrics,
});

/// Starts a miner with `config` and serves until `shutdown` completes, then shuts down
/// gracefully: stops accepting requests (new ones get `busy`), finishes those in flight,
/// then stops the mesh.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), MinerError> {
    Miner::start(config).await?.run(shutdown).await
}

/// Things the request path, the owner RPC and the background tasks share.
pub(crate) struct Context {
    server: Arc<Server>,
    live: Arc<LiveState>,
    peer_id: PeerId,
    listen_addrs: Vec<Multiaddr>,
    subnet: String,
    hotkey: Option<String>,
    chain: bool,
}

impl Context {
    fn status(&self) -> MinerStatus {
        let metrics = &self.server.metrics;
        let served = metrics.count(serve::Outcome::Ok);
        let failed = serve::Outcome::ALL
            .iter()
            .filter(|o| **o != serve::Outcome::Ok)
            .map(|o| metrics.count(*o))
            .fold(0u64, u64::saturating_add);
        MinerStatus {
            peer_id: self.peer_id.to_string(),
            listen_addrs: self.listen_addrs.iter().map(ToString::to_string).collect(),
            netuid: self.server.netuid,
            subnet: self.subnet.clone(),
            hotkey: self.hotkey.clone(),
            uid: self.live.uid(),
            model_digest: format!(
                "0x{}",
                mindos_subnets::to_hex(&self.server.engine.info().model_digest)
            ),
            queue_depth: self.server.service.queue_depth(),
            served,
            failed,
            batches: self.server.service.batches(),
            max_batch: self.server.service.max_batch(),
            workers: self.server.service.active_workers(),
            power: self.live.power().into(),
            permitted_validators: self.server.auth.validator_count(),
            finalized_block: if self.chain { self.live.block() } else { None },
        }
    }
}

/// A started miner: its mesh, workers and endpoints are running. [`Miner::run`] serves until
/// a shutdown signal; the accessors tell tests and tools where it listens.
pub struct Miner {
    ctx: Arc<Context>,
    rpc_addr: Option<SocketAddr>,
    rpc: Option<jsonrpsee::server::ServerHandle>,
    metrics_addr: Option<SocketAddr>,
    /// The faulty dispatcher's per-request tasks (the honest path answers from the
    /// inference workers, which shutdown drains).
    #[cfg(feature = "fault-injection")]
    requests: TaskTracker,
    /// Following the chain, capacity beats, the metrics endpoint.
    tasks: Tasks,
    /// Reads mesh events until the mesh stops, so it is awaited after the mesh.
    dispatcher: JoinHandle<()>,
    mesh: StoppableTask,
}

impl std::fmt::Debug for Miner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Miner")
            .field("peer_id", &self.ctx.peer_id)
            .field("netuid", &self.ctx.server.netuid)
            .finish_non_exhaustive()
    }
}

impl Miner {
    /// The miner's libp2p PeerId.
    pub fn peer_id(&self) -> PeerId {
        self.ctx.peer_id
    }

    /// The addresses the mesh listens on (real ports when configured with port 0).
    pub fn listen_addrs(&self) -> &[Multiaddr] {
        &self.ctx.listen_addrs
    }

    /// Where the owner JSON-RPC listens, if enabled.
    pub fn rpc_addr(&self) -> Option<SocketAddr> {
        self.rpc_addr
    }

    /// Where the Prometheus endpoint listens, if enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// What `miner_status` would answer now.
    pub fn status(&self) -> MinerStatus {
        self.ctx.status()
    }

    /// Serves until `shutdown` completes, then shuts down gracefully: new requests are
    /// answered `busy`, in-flight ones finish, the workers drain the queue, then the mesh stops.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), MinerError> {
        shutdown.await;
        tracing::info!("shutting down: refusing new requests, finishing those in flight");
        self.ctx.server.stop_accepting();
        if let Some(rpc) = self.rpc {
            let _ = rpc.stop();
            rpc.stopped().await;
        }
        #[cfg(feature = "fault-injection")]
        {
            self.requests.close();
            self.requests.wait().await;
        }
        let server = self.ctx.server.clone();
        let drained = mindos_daemon::start::blocking("stopping the inference workers", move || {
            server.service.close_and_join()
        });
        if let Err(e) = drained.await {
            tracing::error!(error = %e, "stopping the inference workers failed");
        }
        self.tasks.shutdown().await;
        tokio::time::sleep(ANSWER_FLUSH).await;
        self.mesh.stop().await;
        let _ = self.dispatcher.await;
        tracing::info!("miner stopped");
        Ok(())
    }
}

fn apply_power_limits(
    service: &Service,
    metrics: &metrics::Metrics,
    config: &Config,
    low_power: bool,
) {
    if low_power {
        service.set_limits(
            config.power.low_power_max_batch,
            config.power.low_power_workers,
        );
    } else {
        service.set_limits(config.batching.max_batch, config.batching.workers);
    }
    metrics.set_low_power(low_power);
}

/// Checks the caller of each inbound request and queues it; the inference worker decodes,
/// runs and answers it (shutdown waits for the queue to drain, so nothing in flight is lost).
async fn dispatch(mut events: tokio::sync::mpsc::Receiver<MeshEvent>, server: Arc<Server>) {
    while let Some(event) = events.recv().await {
        if let MeshEvent::InboundRequest {
            peer,
            request,
            responder,
        } = event
        {
            server.answer_to(peer, request, responder);
        }
    }
}

/// [`dispatch`], with an injected fault (tests only: feature `fault-injection`).
#[cfg(feature = "fault-injection")]
async fn dispatch_with_fault(
    mut events: tokio::sync::mpsc::Receiver<MeshEvent>,
    server: Arc<Server>,
    tracker: TaskTracker,
    fault: Option<fault::Fault>,
    mesh: MeshClient,
) {
    let Some(fault) = fault.map(Arc::new) else {
        return dispatch(events, server).await;
    };
    match &*fault {
        fault::Fault::Garbage => server.signer.sign_garbage(),
        fault::Fault::LookupTable(table) => {
            let (table, engine) = (table.clone(), server.engine.clone());
            server.signer.sign_garbage_when(Arc::new(move |request| {
                !table.seen_before(&*engine, request.payload_bytes())
            }));
        }
        _ => {}
    }
    while let Some(event) = events.recv().await {
        if let MeshEvent::InboundRequest {
            peer,
            request,
            responder,
        } = event
        {
            let (server, fault, mesh) = (server.clone(), fault.clone(), mesh.clone());
            tracker.spawn(async move {
                fault::answer(&fault, &mesh, &server, peer, request, responder).await;
            });
        }
    }
}

/// Every beat interval: re-reads the power situation (adjusting the limits when low-power
/// mode starts or ends) and publishes a capacity beat.
async fn beats(
    ctx: Arc<Context>,
    mesh: MeshClient,
    mut monitor: PowerMonitor,
    config: Config,
    cancel: CancellationToken,
) {
    let service = &ctx.server.service;
    let mut ticker = tokio::time::interval(config.mesh.beat_interval);
    let mut last = (Instant::now(), service.busy_nanos());
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let reading = monitor.read();
        let power = monitor.status(reading);
        let before = ctx.live.set_power(power);
        if power.low_power != before.low_power {
            if monitor.cause() == Some(LowPowerCause::Heat) {
                tracing::warn!(celsius = ?reading.celsius, "running hot: lowering batch size and workers");
            } else if power.low_power {
                tracing::warn!(battery = ?power.battery_percent, "on low battery: lowering batch size and workers");
            } else {
                tracing::info!("power restored and cool: back to full batch size and workers");
            }
            apply_power_limits(service, &ctx.server.metrics, &config, power.low_power);
        }
        let now = Instant::now();
        let busy = service.busy_nanos();
        let load = load_ppb(
            busy.saturating_sub(last.1),
            now.saturating_duration_since(last.0),
            service.active_workers(),
        );
        last = (now, busy);
        let beat = CapacityBeat {
            netuid: ctx.server.netuid,
            load,
            queue_depth: u32::try_from(service.queue_depth()).unwrap_or(u32::MAX),
            max_batch: u32::try_from(service.max_batch()).unwrap_or(u32::MAX),
            power,
            sent_at_ms: unix_time_ms(),
        };
        match mesh.publish_capacity(beat).await {
            Ok(()) => tracing::trace!(load, "capacity beat published"),
            Err(MeshError::NoSubscribers { .. }) => {
                tracing::trace!("no peer listens for capacity beats yet")
            }
            Err(e) => tracing::debug!(error = %e, "capacity beat not published"),
        }
    }
}

/// Busy worker time over available worker time, in parts per billion.
fn load_ppb(busy_nanos: u64, wall: Duration, workers: usize) -> u32 {
    let available = wall
        .as_nanos()
        .saturating_mul(u128::try_from(workers.max(1)).unwrap_or(1));
    let ppb = u128::from(busy_nanos)
        .saturating_mul(u128::from(LOAD_FULL))
        .checked_div(available)
        .unwrap_or(0);
    u32::try_from(ppb.min(u128::from(LOAD_FULL))).unwrap_or(LOAD_FULL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_is_busy_time_over_worker_time() {
        let second = Duration::from_secs(1);
        assert_eq!(load_ppb(0, second, 1), 0);
        assert_eq!(load_ppb(500_000_000, second, 1), LOAD_FULL / 2);
        assert_eq!(load_ppb(500_000_000, second, 2), LOAD_FULL / 4);
        assert_eq!(load_ppb(5_000_000_000, second, 1), LOAD_FULL);
        assert_eq!(load_ppb(1, Duration::ZERO, 1), 0);
    }

    #[test]
    fn only_specific_addresses_are_published() {
        let addrs: Vec<Multiaddr> = [
            "/ip4/0.0.0.0/tcp/1",
            "/ip4/127.0.0.1/tcp/1",
            "/ip4/10.0.0.2/udp/1/quic-v1",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        let publishable = |configured: &[Multiaddr]| {
            mindos_mesh::publishable(
                configured,
                &addrs,
                true,
                mindos_primitives::MAX_MULTIADDR_LEN,
                mindos_primitives::MAX_MULTIADDRS,
            )
        };
        assert_eq!(publishable(&[]), addrs[1..].to_vec());
        assert_eq!(publishable(&addrs[..1]), Vec::<Multiaddr>::new());
    }
}
