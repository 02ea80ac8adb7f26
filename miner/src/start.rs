//! [`Miner::start`] in named phases, in the order a miner must take them:
//!
//! 1. [`connect_chain`]: the subnet's record says which task it is and which model it pins;
//! 2. [`load_engine`]: load that model and check it against the record (or the pinned digest);
//! 3. [`register`]: only then spend anything: register and fund the hotkey;
//! 4. [`start_service`]: the inference workers;
//! 5. [`start_mesh`]: only now listen;
//! 6. [`publish_endpoint`]: `serve` on chain, then follow the chain;
//! 7. [`spawn_tasks`]: the owner RPC, metrics, capacity beats and the request dispatcher.

use std::{sync::Arc, time::Duration, time::Instant};

use mindos_chain_client::keys::Coldkey;
use mindos_daemon::start::{blocking, StartError, StoppableTask, Tasks};
use mindos_mesh::{Mesh, MeshClient, MeshConfig, MeshEvent, Multiaddr, PeerId, PowerSource};
use mindos_primitives::{NetUid, TaskSpec, Uid};
use mindos_subnets::{SubnetEngine, SubnetError};
use tokio::sync::mpsc::Receiver;

use crate::{
    apply_power_limits, beats,
    chain::{ChainSession, Device, Served},
    config::{ChainMode, ChainSettings, Config, ConfigError, DeviceClass},
    keys, metrics,
    power::{self, PowerMonitor, PowerReading},
    rpc,
    serve::{Authorizer, Server},
    service::{Model, Service, ServiceLimits},
    signer::{Anchor, Signer},
    status::LiveState,
    Context, Miner, MinerError,
};

impl Miner {
    /// Loads the model, checks it against the chain, registers and serves (unless
    /// `--no-chain`), and starts the mesh, the workers and the local endpoints.
    pub async fn start(config: Config) -> Result<Self, MinerError> {
        let node_key = mindos_mesh::keys::load_or_create_keypair(&config.mesh.node_key_file)?;
        let metrics = Arc::new(metrics::Metrics::new()?);
        let mut monitor = PowerMonitor::new(config.power.clone());
        let reading = monitor.read();
        let power = monitor.status(reading);

        let chain = connect_chain(&config, &node_key).await?;
        #[cfg(feature = "fault-injection")]
        if chain.is_none() {
            crate::fault::refuse_outside_test_chains(None).await?;
        }
        let subnet = match &chain {
            Some(chain) => chain.subnet.clone(),
            None => config.subnet.clone().unwrap_or_default(),
        };
        let engine = load_engine(&config, &subnet, chain.as_ref().map(|c| c.task.clone())).await?;
        let uid = match &chain {
            Some(chain) => Some(register(chain, config.netuid).await?),
            None => None,
        };
        let compute_score = match config.device.compute_score {
            Some(score) => score,
            None => {
                let engine = engine.clone();
                blocking("measuring the compute score", move || {
                    measure_compute_score(&*engine)
                })
                .await
                .unwrap_or(0)
            }
        };
        let service = start_service(&config, &engine, &metrics, power.low_power)?;

        // Before the mesh starts, so that links are admitted by it from the first one on.
        let auth = Authorizer::new(config.mesh.allow_peers.iter().copied());
        let signer_key = node_key.clone();
        let mesh = start_mesh(&config, node_key, &auth, engine.info().max_request_bytes)?;
        let listen_addrs = mesh.client.listen_addrs().await?;
        let peer_id = mesh.client.peer_id();
        tracing::info!(%peer_id, addrs = ?listen_addrs, netuid = %config.netuid, %subnet, "mesh listening");

        let live = Arc::new(LiveState::new(uid, power));
        let anchor = match &chain {
            Some(chain) => Anchor::Chain {
                genesis: chain.session.genesis_hash(),
                hotkey: chain.session.hotkey_bytes(),
            },
            None => Anchor::Private,
        };
        let signer = Arc::new(Signer::new(
            signer_key,
            anchor,
            engine.info().model_digest,
            live.clone(),
            config.signed_answers_bytes,
            metrics.clone(),
        ));
        let server = Arc::new(Server::new(
            config.netuid,
            engine,
            service,
            auth,
            metrics.clone(),
            signer,
        ));
        let tasks = Tasks::new();
        let hotkey = match chain {
            Some(chain) => {
                let device = device(&config, reading, compute_score);
                let endpoint = Endpoint {
                    peer_id,
                    listen_addrs: &listen_addrs,
                    device,
                };
                Some(
                    publish_endpoint(chain.session, &config, endpoint, &server, &live, &tasks)
                        .await?,
                )
            }
            None => None,
        };
        let ctx = Arc::new(Context {
            server,
            live,
            peer_id,
            listen_addrs,
            subnet,
            hotkey,
            chain: matches!(config.chain, ChainMode::Chain(_)),
        });
        spawn_tasks(ctx, &config, mesh, monitor, tasks, &metrics).await
    }
}

/// A chain session for the configured subnet, with what it says about the subnet.
struct ChainPhase {
    session: ChainSession,
    settings: ChainSettings,
    coldkey: Coldkey,
    /// The subnet's task name, from the chain.
    subnet: String,
    task: TaskSpec,
}

/// Connects to the chain (unless `--no-chain`) and reads the subnet's record, which must
/// name the configured task if one is configured. `node_key` is the mesh identity `serve`
/// publishes.
async fn connect_chain(
    config: &Config,
    node_key: &mindos_mesh::Keypair,
) -> Result<Option<ChainPhase>, MinerError> {
    let ChainMode::Chain(settings) = &config.chain else {
        return Ok(None);
    };
    let netuid = config.netuid;
    let (hotkey, coldkey) = keys::load_neuron_keys(
        &settings.hotkey_file,
        settings.coldkey_file.as_deref(),
        settings.coldkey_address.as_deref(),
    )?;
    let session =
        ChainSession::connect(&settings.rpc_url, netuid, hotkey, node_key.clone()).await?;
    // Before the subnet is even read: a misbehaving miner never touches a real network.
    #[cfg(feature = "fault-injection")]
    crate::fault::refuse_outside_test_chains(Some(session.client())).await?;
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
    Ok(Some(ChainPhase {
        session,
        settings: settings.clone(),
        coldkey,
        subnet: record.name,
        task: record.task,
    }))
}

/// Loads the subnet's model: against the chain's TaskSpec if there is one, else against the
/// digest this build pins; and checks the configured batch fits the subnet's.
async fn load_engine(
    config: &Config,
    subnet: &str,
    task: Option<TaskSpec>,
) -> Result<Arc<dyn SubnetEngine>, MinerError> {
    let engine_config = config.engine_config();
    let name = subnet.to_owned();
    let netuid = config.netuid;
    let on_chain = task.is_some();
    let loaded = blocking("loading the model", move || match &task {
        Some(spec) => mindos_subnets::load_for_task(&name, spec, &engine_config),
        None => mindos_subnets::load(&name, &engine_config),
    })
    .await?;
    let engine = loaded.map_err(|source| match source {
        SubnetError::DigestMismatch { .. } | SubnetError::TaskSpecMismatch { .. } if on_chain => {
            MinerError::ModelMismatch { netuid, source }
        }
        source => MinerError::Model {
            subnet: subnet.to_owned(),
            source,
        },
    })?;
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
    Ok(engine)
}

/// Registers the hotkey and funds it as configured, once the model is known to be the
/// subnet's and before the mesh opens: nothing is spent, and nothing listens, for a miner
/// that cannot serve. Refuses a hotkey owned by another coldkey. Returns the hotkey's uid.
async fn register(chain: &ChainPhase, netuid: NetUid) -> Result<Uid, MinerError> {
    let session = &chain.session;
    let uid = session
        .ensure_registered(&chain.coldkey, chain.settings.max_burn)
        .await?;
    tracing::info!(hotkey = %session.hotkey_hex(), %uid, %netuid, "hotkey registered");
    session
        .ensure_funded(chain.coldkey.pair(), chain.settings.fund_hotkey)
        .await?;
    Ok(uid)
}

/// Starts the inference workers, at the low-power limits if the device is low on power.
fn start_service(
    config: &Config,
    engine: &Arc<dyn SubnetEngine>,
    metrics: &Arc<metrics::Metrics>,
    low_power: bool,
) -> Result<Service, MinerError> {
    let service = Service::start(
        Model::of(engine),
        ServiceLimits {
            workers: config.batching.workers,
            max_batch: config.batching.max_batch,
            max_wait: config.batching.max_wait,
            queue_capacity: config.batching.queue_capacity,
        },
        metrics.clone(),
    )
    .map_err(|e| StartError::runtime("starting inference workers", e))?;
    apply_power_limits(&service, metrics, config, low_power);
    Ok(service)
}

/// The running mesh node.
struct MeshPhase {
    client: MeshClient,
    events: Receiver<MeshEvent>,
    /// The event loop; it runs until stopped or dropped (so an error return before the
    /// miner is built stops it too).
    task: StoppableTask,
}

/// Starts the mesh node. It admits links only from the peers `auth` allows, and requests
/// for the subnet only up to the subnet's own limit, `subnet_request_limit`.
fn start_mesh(
    config: &Config,
    node_key: mindos_mesh::Keypair,
    auth: &Authorizer,
    subnet_request_limit: u32,
) -> Result<MeshPhase, MinerError> {
    let mut mesh_config = MeshConfig::new(node_key);
    mesh_config.listen_addrs = config.mesh.listen.clone();
    mesh_config.bootstrap_peers = config.mesh.bootstrap.clone();
    mesh_config.mdns = config.mesh.mdns;
    mesh_config.allow_private_addrs = config.mesh.allow_private_addrs;
    mesh_config.max_request_size = config.mesh.max_request_bytes;
    mesh_config.admission = auth.admission();
    mesh_config
        .admission
        .set_request_limit(config.netuid, subnet_request_limit);
    let (client, events, event_loop) = Mesh::new(mesh_config)?;
    let task = StoppableTask::spawn(|stopped| event_loop.run(stopped));
    Ok(MeshPhase {
        client,
        events,
        task,
    })
}

/// The device profile published with `serve`: the configured class, or a laptop if a
/// battery is found.
fn device(config: &Config, reading: PowerReading, compute_score: u32) -> Device {
    let battery =
        reading.origin == power::PowerOrigin::Sysfs || reading.source == PowerSource::Battery;
    Device {
        class: config.device.class.unwrap_or(if battery {
            DeviceClass::Laptop
        } else {
            DeviceClass::Desktop
        }),
        compute_score,
        on_battery: reading.source == PowerSource::Battery,
        region: config.device.region,
    }
}

/// Where the mesh listens, as [`publish_endpoint`] serves it.
struct Endpoint<'a> {
    peer_id: PeerId,
    listen_addrs: &'a [Multiaddr],
    device: Device,
}

/// Publishes the endpoint and device with `serve` (later, if rate-limited), reads the
/// permitted validators, and follows the chain from then on. Returns the hotkey, hex.
async fn publish_endpoint(
    session: ChainSession,
    config: &Config,
    endpoint: Endpoint<'_>,
    server: &Arc<Server>,
    live: &Arc<LiveState>,
    tasks: &Tasks,
) -> Result<String, MinerError> {
    let Endpoint {
        peer_id,
        listen_addrs,
        device,
    } = endpoint;
    // What `serve` may publish: the chain's limits on count and length.
    let public = mindos_mesh::publishable(
        &config.mesh.public_addrs,
        listen_addrs,
        config.mesh.allow_private_addrs,
        mindos_primitives::MAX_MULTIADDR_LEN,
        mindos_primitives::MAX_MULTIADDRS,
    );
    if public.is_empty() {
        tracing::warn!(
            "no global address to publish: set --public-addr (or --allow-private-addrs on a \
             local network); validators cannot reach this node"
        );
    }
    let pending = match session.serve(&public, device).await? {
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
    session.refresh_now(&server.auth, live).await?;
    let hotkey = session.hotkey_hex();
    tasks.spawn(session.watch(server.clone(), live.clone(), pending, tasks.cancel_token()));
    Ok(hotkey)
}

/// Starts the owner RPC and the metrics endpoint, the capacity beats and the request
/// dispatcher: the miner is serving when this returns.
async fn spawn_tasks(
    ctx: Arc<Context>,
    config: &Config,
    mesh: MeshPhase,
    monitor: PowerMonitor,
    tasks: Tasks,
    metrics: &metrics::Metrics,
) -> Result<Miner, MinerError> {
    let (rpc_addr, rpc) = match config.rpc_addr {
        Some(addr) => {
            let (bound, handle) = rpc::start(addr, ctx.clone()).await?;
            (Some(bound), Some(handle))
        }
        None => (None, None),
    };
    let metrics_addr = tasks
        .serve_metrics(config.metrics_addr, metrics.registry().clone())
        .await?;
    let MeshPhase {
        client: mesh,
        events,
        task: mesh_task,
    } = mesh;
    tasks.spawn(beats(
        ctx.clone(),
        mesh.clone(),
        monitor,
        config.clone(),
        tasks.cancel_token(),
    ));
    #[cfg(feature = "fault-injection")]
    let requests = tokio_util::task::TaskTracker::new();
    #[cfg(feature = "fault-injection")]
    let dispatcher = {
        let fault = crate::fault::Fault::from_env()?;
        if let Some(fault) = &fault {
            tracing::warn!(?fault, "FAULT INJECTION: this miner misbehaves on purpose");
        }
        tokio::spawn(crate::dispatch_with_fault(
            events,
            ctx.server.clone(),
            requests.clone(),
            fault,
            mesh,
        ))
    };
    #[cfg(not(feature = "fault-injection"))]
    let dispatcher = tokio::spawn(crate::dispatch(events, ctx.server.clone()));
    tracing::info!(peer_id = %ctx.peer_id, netuid = %ctx.server.netuid, "miner serving");
    Ok(Miner {
        ctx,
        rpc_addr,
        rpc,
        metrics_addr,
        #[cfg(feature = "fault-injection")]
        requests,
        tasks,
        dispatcher,
        mesh: mesh_task,
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
