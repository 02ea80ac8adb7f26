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
mod status;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration, time::Instant};

use mindos_mesh::{
    wire::{unix_time_ms, LOAD_FULL},
    CapacityBeat, Mesh, MeshClient, MeshConfig, MeshError, MeshEvent, Multiaddr, PeerId,
    PowerSource,
};
use mindos_subnets::{EngineConfig, SubnetEngine, SubnetError};
use tokio::{sync::oneshot, task::JoinHandle};
use tokio_util::sync::CancellationToken;
#[cfg(feature = "fault-injection")]
use tokio_util::task::TaskTracker;

use crate::{
    chain::{ChainSession, Device, Served},
    config::{ChainMode, DeviceClass},
    power::PowerMonitor,
    serve::{Authorizer, Server},
    service::{Model, Service, ServiceLimits},
    status::LiveState,
};
pub use crate::{
    config::{Cli, Config, ConfigError, Settings},
    keys::KeyError,
    rpc::{BUSY as RPC_BUSY, INTERNAL as RPC_INTERNAL, INVALID_INPUT as RPC_INVALID_INPUT},
    serve::ServeError,
    status::{MinerStatus, PowerView},
};

/// After the last in-flight answer is handed to the mesh, how long it gets to write it out
/// before the mesh stops (the mesh's shutdown does not flush queued answers itself).
const ANSWER_FLUSH: Duration = Duration::from_millis(200);

/// Why the miner could not start (or stopped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MinerError {
    /// A setting is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A hotkey or coldkey file.
    #[error(transparent)]
    Key(#[from] KeyError),
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
        netuid: u16,
        /// The digest or task-spec mismatch.
        #[source]
        source: SubnetError,
    },
    /// Talking to the chain failed.
    #[error("chain: {0}")]
    Chain(#[from] mindos_chain_client::ChainError),
    /// The subnet does not exist on chain.
    #[error("subnet {netuid} does not exist on chain")]
    UnknownSubnet {
        /// The configured netuid.
        netuid: u16,
    },
    /// The chain's subnet has another task than the configured `subnet`.
    #[error("subnet {netuid} on chain is `{chain}`, but `subnet` is set to `{configured}`")]
    SubnetMismatch {
        /// The subnet.
        netuid: u16,
        /// The chain's name.
        chain: String,
        /// The configured name.
        configured: String,
    },
    /// The hotkey is not registered and no coldkey is configured to register it.
    #[error(
        "hotkey {hotkey} is not registered on subnet {netuid}; set --coldkey-file (a coldkey with \
         enough MIND for the burn, capped by --max-burn) to let the miner register it, or submit \
         Neurons::register({netuid}, {hotkey}, max_burn) from your coldkey's wallet"
    )]
    NotRegistered {
        /// The hotkey's account, hex.
        hotkey: String,
        /// The subnet.
        netuid: u16,
    },
    /// The hotkey holds no MIND to pay the `serve` fee.
    #[error(
        "hotkey {hotkey} has no MIND to pay the serve fee; transfer some to it, or set \
         --fund-hotkey (with --coldkey-file) to let the miner top it up"
    )]
    HotkeyUnfunded {
        /// The hotkey's account, hex.
        hotkey: String,
    },
    /// The mesh failed to start.
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
        /// What was being started.
        what: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

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
    tracker: TaskTracker,
    cancel: CancellationToken,
    background: Vec<JoinHandle<()>>,
    dispatcher: JoinHandle<()>,
    mesh_stop: oneshot::Sender<()>,
    mesh_task: JoinHandle<()>,
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
    /// Loads the model, checks it against the chain, registers and serves (unless
    /// `--no-chain`), and starts the mesh, the workers and the local endpoints.
    pub async fn start(config: Config) -> Result<Self, MinerError> {
        let netuid = config.netuid;
        let node_key = mindos_mesh::keys::load_or_create_keypair(&config.mesh.node_key_file)?;
        let metrics = Arc::new(metrics::Metrics::new()?);
        let monitor = PowerMonitor::new(config.power.clone());
        let reading = monitor.read();
        let power = monitor.status(reading);

        // The chain first: it says which task this subnet is and which model it pins.
        let mut chain = None;
        let mut coldkey = None;
        let mut task = None;
        let mut subnet = config.subnet.clone().unwrap_or_default();
        if let ChainMode::Chain(settings) = &config.chain {
            let hotkey = keys::load_or_create_key(&settings.hotkey_file)?;
            coldkey = settings
                .coldkey_file
                .as_deref()
                .map(keys::load_key)
                .transpose()?;
            let session = ChainSession::connect(&settings.rpc_url, netuid, hotkey).await?;
            let record = session.subnet().await?;
            if let Some(configured) = &config.subnet {
                if *configured != record.name {
                    return Err(MinerError::SubnetMismatch {
                        netuid,
                        chain: record.name,
                        configured: configured.clone(),
                    });
                }
            }
            subnet = record.name;
            task = Some(record.task);
            chain = Some((session, settings.clone()));
        }

        let engine = load_engine(&config, &subnet, task).await?;
        let subnet_max = engine.info().max_batch;
        if config.batching.max_batch > subnet_max {
            return Err(ConfigError::Invalid {
                field: "max_batch",
                reason: format!(
                    "{} is more than subnet `{subnet}` runs in one batch ({subnet_max})",
                    config.batching.max_batch
                ),
            }
            .into());
        }
        // Register and fund only once the model is known to be the subnet's, and before the
        // mesh opens: nothing is spent, and nothing listens, for a miner that cannot serve.
        let mut uid = None;
        if let Some((session, settings)) = &chain {
            let registered = session
                .ensure_registered(coldkey.as_ref(), settings.max_burn)
                .await?;
            tracing::info!(hotkey = %session.hotkey_hex(), uid = registered, netuid, "hotkey registered");
            session
                .ensure_funded(coldkey.as_ref(), settings.fund_hotkey)
                .await?;
            uid = Some(registered);
        }
        let compute_score = match config.device.compute_score {
            Some(score) => score,
            None => {
                let engine = engine.clone();
                tokio::task::spawn_blocking(move || measure_compute_score(&*engine))
                    .await
                    .unwrap_or(0)
            }
        };

        let service = Service::start(
            Model::of(&engine),
            ServiceLimits {
                workers: config.batching.workers,
                max_batch: config.batching.max_batch,
                max_wait: config.batching.max_wait,
                queue_capacity: config.batching.queue_capacity,
            },
            metrics.clone(),
        )
        .map_err(|source| MinerError::Runtime {
            what: "starting inference workers",
            source,
        })?;
        apply_power_limits(&service, &metrics, &config, power.low_power);

        let mut mesh_config = MeshConfig::new(node_key);
        mesh_config.listen_addrs = config.mesh.listen.clone();
        mesh_config.bootstrap_peers = config.mesh.bootstrap.clone();
        mesh_config.mdns = config.mesh.mdns;
        mesh_config.max_request_size = config.mesh.max_request_bytes;
        let (mesh, events, event_loop) = Mesh::new(mesh_config)?;
        let (mesh_stop, mesh_stopped) = oneshot::channel::<()>();
        // Dropping `mesh_stop` (an error return below) stops the mesh too.
        let mesh_task = tokio::spawn(event_loop.run(async move {
            let _ = mesh_stopped.await;
        }));
        let listen_addrs = mesh.listen_addrs().await?;
        let peer_id = mesh.peer_id();
        tracing::info!(%peer_id, addrs = ?listen_addrs, netuid, %subnet, "mesh listening");

        let server = Arc::new(Server::new(
            netuid,
            engine,
            service,
            Authorizer::new(config.mesh.allow_peers.iter().copied()),
            metrics.clone(),
        ));
        let live = Arc::new(LiveState::new(uid, power));
        let cancel = CancellationToken::new();
        let mut background = Vec::new();

        let mut hotkey = None;
        if let Some((session, _)) = chain {
            // What `serve` may publish: the chain's limits on count and length.
            let public = mindos_mesh::publishable(
                &config.mesh.public_addrs,
                &listen_addrs,
                mindos_primitives::MAX_MULTIADDR_LEN,
                mindos_primitives::MAX_MULTIADDRS,
            );
            let device = Device {
                class: config.device.class.unwrap_or(
                    if reading.origin == power::PowerOrigin::Sysfs
                        || reading.source == PowerSource::Battery
                    {
                        DeviceClass::Laptop
                    } else {
                        DeviceClass::Desktop
                    },
                ),
                compute_score,
                on_battery: reading.source == PowerSource::Battery,
                region: config.device.region,
            };
            let pending = match session.serve(peer_id, &public, device).await? {
                Served::Published => {
                    tracing::info!(%peer_id, addrs = ?public, "endpoint served on chain");
                    None
                }
                Served::Unchanged => {
                    tracing::info!("the chain already has this endpoint and device");
                    None
                }
                Served::RateLimitedUntil(block) => {
                    tracing::warn!(
                        block,
                        "serve is rate-limited; publishing the new endpoint at that block"
                    );
                    Some((block, peer_id, public, device))
                }
            };
            session.refresh_now(&server.auth, &live).await?;
            hotkey = Some(session.hotkey_hex());
            background.push(tokio::spawn(session.watch(
                server.clone(),
                live.clone(),
                pending,
                cancel.clone(),
            )));
        }

        let ctx = Arc::new(Context {
            server: server.clone(),
            live: live.clone(),
            peer_id,
            listen_addrs,
            subnet,
            hotkey,
            chain: matches!(config.chain, ChainMode::Chain(_)),
        });

        let (rpc_addr, rpc) = match config.rpc_addr {
            Some(addr) => {
                let (bound, handle) = rpc::start(addr, ctx.clone()).await?;
                (Some(bound), Some(handle))
            }
            None => (None, None),
        };
        let metrics_addr = match config.metrics_addr {
            Some(addr) => {
                let (bound, task) =
                    mindos_daemon::metrics::start(addr, metrics.registry().clone(), cancel.clone())
                        .await
                        .map_err(|source| MinerError::Bind {
                            what: "metrics",
                            addr,
                            source,
                        })?;
                background.push(task);
                Some(bound)
            }
            None => None,
        };

        background.push(tokio::spawn(beats(
            ctx.clone(),
            mesh.clone(),
            monitor,
            config.clone(),
            cancel.clone(),
        )));
        #[cfg(feature = "fault-injection")]
        let tracker = TaskTracker::new();
        #[cfg(feature = "fault-injection")]
        let dispatcher = {
            let fault = fault::Fault::from_env()?;
            if let Some(fault) = &fault {
                tracing::warn!(?fault, "FAULT INJECTION: this miner misbehaves on purpose");
            }
            tokio::spawn(dispatch_with_fault(
                events,
                server,
                tracker.clone(),
                fault,
                mesh.clone(),
            ))
        };
        #[cfg(not(feature = "fault-injection"))]
        let dispatcher = tokio::spawn(dispatch(events, server));
        tracing::info!(%peer_id, netuid, "miner serving");

        Ok(Self {
            ctx,
            rpc_addr,
            rpc,
            metrics_addr,
            #[cfg(feature = "fault-injection")]
            tracker,
            cancel,
            background,
            dispatcher,
            mesh_stop,
            mesh_task,
        })
    }

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
            self.tracker.close();
            self.tracker.wait().await;
        }
        let server = self.ctx.server.clone();
        if tokio::task::spawn_blocking(move || server.service.close_and_join())
            .await
            .is_err()
        {
            tracing::error!("stopping the inference workers failed");
        }
        self.cancel.cancel();
        for task in self.background {
            let _ = task.await;
        }
        tokio::time::sleep(ANSWER_FLUSH).await;
        let _ = self.mesh_stop.send(());
        let _ = self.mesh_task.await;
        let _ = self.dispatcher.await;
        tracing::info!("miner stopped");
        Ok(())
    }
}

/// Loads the subnet's model: against the chain's TaskSpec if there is one, else against the
/// digest this build pins. Blocking (file read, hashing, session setup): off the executor.
async fn load_engine(
    config: &Config,
    subnet: &str,
    task: Option<mindos_primitives::TaskSpec>,
) -> Result<Arc<dyn SubnetEngine>, MinerError> {
    let mut engine_config = EngineConfig::default();
    engine_config.ort_dylib_path = config.model.ort_dylib.clone();
    engine_config.models_dir = config.model.models_dir.clone();
    engine_config.model_path = config.model.model.clone();
    engine_config.tokenizer_path = config.model.tokenizer.clone();
    engine_config.intra_threads = config.model.intra_threads;
    engine_config.sessions = config.batching.workers;
    let name = subnet.to_owned();
    let netuid = config.netuid;
    let on_chain = task.is_some();
    let loaded = tokio::task::spawn_blocking(move || match &task {
        Some(spec) => mindos_subnets::load_for_task(&name, spec, &engine_config),
        None => mindos_subnets::load(&name, &engine_config),
    })
    .await
    .map_err(|e| MinerError::Runtime {
        what: "loading the model",
        source: std::io::Error::other(e.to_string()),
    })?;
    loaded.map_err(|source| match source {
        SubnetError::DigestMismatch { .. } | SubnetError::TaskSpecMismatch { .. } if on_chain => {
            MinerError::ModelMismatch { netuid, source }
        }
        source => MinerError::Model {
            subnet: subnet.to_owned(),
            source,
        },
    })
}

/// Inferences per second on one validation sample (best of a few runs): the device
/// profile's compute score when none is configured.
fn measure_compute_score(engine: &dyn SubnetEngine) -> u32 {
    let Some(sample) = engine.challenge(0) else {
        return 0;
    };
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        if engine.infer_batch(vec![sample.input.clone()]).is_err() {
            return 0;
        }
        best = best.min(started.elapsed());
    }
    let micros = best.as_micros().max(1);
    u32::try_from(1_000_000u128.checked_div(micros).unwrap_or(0)).unwrap_or(u32::MAX)
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
    monitor: PowerMonitor,
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
            if power.low_power {
                tracing::warn!(battery = ?power.battery_percent, "on low battery: lowering batch size and workers");
            } else {
                tracing::info!("power restored: back to full batch size and workers");
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
                mindos_primitives::MAX_MULTIADDR_LEN,
                mindos_primitives::MAX_MULTIADDRS,
            )
        };
        assert_eq!(publishable(&[]), addrs[1..].to_vec());
        assert_eq!(publishable(&addrs[..1]), Vec::<Multiaddr>::new());
    }
}
