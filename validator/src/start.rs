//! [`Validator::start`] in named phases, in the order a validator must take them:
//!
//! 1. [`open_store`]: the state store (pending commits, salts, saved scores);
//! 2. [`connect_chain`]: which subnets to validate, and the hotkey registered, funded and
//!    staked on them as configured (with `--no-chain`: the configured subnets and miners);
//! 3. [`load_engines`]: each subnet's model, with the scores saved for it;
//! 4. [`start_mesh`]: listen, and hear each subnet's capacity beats;
//! 5. [`publish_endpoint`]: `serve` the PeerId on each subnet;
//! 6. [`spawn_tasks`]: follow the chain, set weights, challenge miners, serve the gateway
//!    and the metrics.
//!
//! The evidence store ([`start_evidence`]) starts between the mesh and the tasks: its writer
//! takes the transcripts the tasks record, and `/mindos/evidence/1` is served from then on.

use mindos_primitives::{NetUid, Uid};
use std::{collections::BTreeMap, sync::Arc};

use mindos_daemon::start::{blocking, StoppableTask, Tasks};
use mindos_mesh::{Mesh, MeshClient, MeshConfig, MeshEvent, Multiaddr, PeerId};
use mindos_subnets::{EngineConfig, SubnetEngine};
use tokio::{
    sync::{mpsc::Receiver, watch},
    task::JoinHandle,
};

use crate::{
    answers::Answers,
    chain::{ChainReader, ChainSession, Served},
    challenge,
    config::{ChainMode, Config, GatewaySettings},
    evidence,
    gateway::{self, Gateway},
    keys,
    metagraph::{ChainSubnet, Neuron, SubnetState},
    metrics::Metrics,
    reexec::{self, QuerySampler},
    scoring::Scoreboard,
    sentinel::{
        self,
        canary::{self, Canaries, CanaryChain},
    },
    store::Store,
    transcript::TranscriptSink,
    weights::{self, PendingServes},
    Context, Validator, ValidatorError,
};

impl Validator {
    /// Opens the store, connects to the chain (registering, funding, staking as configured),
    /// loads each subnet's engine, starts the mesh, serves the PeerId on chain, and starts
    /// the follower, challenge and weight tasks, the gateway and the metrics endpoint.
    pub async fn start(config: Config) -> Result<Self, ValidatorError> {
        let node_key = mindos_mesh::keys::load_or_create_keypair(&config.node_key_file)?;
        let metrics = Arc::new(Metrics::new()?);
        let store = open_store(&config).await?;
        let chain = connect_chain(&config, &node_key).await?;
        let subnets = Arc::new(load_engines(&config, &chain.subnets, &store).await?);
        let mesh = start_mesh(&config, node_key, &subnets).await?;
        let peer_id = mesh.client.peer_id();
        add_private_miners(&mesh.client, &subnets, &chain.private_miners).await?;

        let tasks = Tasks::new();
        let evidence = start_evidence(&config, &store, &metrics, &mesh.client, &tasks)?;
        // Verified answers go to the evidence store (through a window of recent ones when the
        // lying-reporter fault needs honest answers to lie about).
        let recent = (chain.fault == Some(sentinel::Fault::LyingReporter)).then(|| {
            Arc::new(sentinel::run::RecentSink {
                inner: evidence.sink.clone(),
                recent: std::sync::Mutex::new(std::collections::VecDeque::new()),
            })
        });
        let transcripts: Arc<dyn TranscriptSink> = match &recent {
            Some(recent) => recent.clone(),
            None => evidence.sink.clone(),
        };
        let genesis = chain.session.as_ref().map(ChainSession::genesis_hash);
        let answers = Answers::new(genesis, metrics.clone(), transcripts);
        let canaries = match &chain.session {
            Some(session) => canary_pools(session, &config, &store, &metrics).await,
            None => None,
        };
        let ctx = Arc::new(Context {
            subnets,
            mesh: mesh.client.clone(),
            peers: mesh.peers.clone(),
            metrics: metrics.clone(),
            store,
            challenge: config.challenge,
            answers: Arc::new(answers),
            reexec: Arc::new(crate::reexec::Reexecutor::new(metrics.clone())),
            canaries,
            heads: watch::channel(None).0,
            cancel: tasks.cancel_token(),
        });
        // The gateway reads the chain through the session's live connection, without its keys.
        let reader = chain.session.as_ref().map(ChainSession::reader);
        if let Some(session) = chain.session {
            let serves = publish_endpoint(&session, &ctx, &config, peer_id, &mesh.listen_addrs);
            let serves = serves.await?;
            let duty = config.sentinel_duty.then_some(SentinelStart {
                fault: chain.fault,
                recent,
            });
            follow_chain(&ctx, session, serves, evidence, duty, &tasks).await?;
        }
        spawn_tasks(ctx, &config, mesh, peer_id, tasks, reader).await
    }
}

/// The canary pools, if `--canary-pool` is not 0: at most the chain's
/// `MaxCanariesPerCommitter` canaries per subnet, living its `CanaryLifetimeEpochs`.
async fn canary_pools(
    session: &ChainSession,
    config: &Config,
    store: &Arc<Store>,
    metrics: &Arc<Metrics>,
) -> Option<Arc<Canaries>> {
    let configured = config.challenge.canary_pool;
    if configured == 0 {
        return None;
    }
    let (max, lifetime) = match session.canary_limits().await {
        Some((max, lifetime)) => (max, u64::from(lifetime)),
        None => {
            tracing::warn!("cannot read the chain's canary limits; assuming the launch values");
            (crate::settings::MAX_CANARY_POOL, canary::LIFETIME_EPOCHS)
        }
    };
    if max < configured {
        tracing::warn!(
            configured,
            max,
            "the chain takes fewer canaries per validator than --canary-pool; keeping its limit"
        );
    }
    let chain: Arc<dyn CanaryChain> = Arc::new(session.clone());
    Some(Arc::new(Canaries::new(
        chain,
        store.clone(),
        metrics.clone(),
        configured.min(max),
        lifetime,
    )))
}

/// Opens the state store (blocking: off the executor).
async fn open_store(config: &Config) -> Result<Arc<Store>, ValidatorError> {
    let state_file = config.state_file.clone();
    let store = blocking("opening the state store", move || Store::open(&state_file)).await??;
    Ok(Arc::new(store))
}

/// The evidence store's parts that run beside the validator's tasks.
struct EvidencePhase {
    /// Where the challenge and gateway paths record transcripts.
    sink: Arc<dyn TranscriptSink>,
    /// Who may fetch them; the chain follower refreshes it.
    access: Arc<evidence::Access>,
    /// The first sentinel epoch to keep per subnet, for the writer to prune by.
    keep_from: watch::Sender<evidence::sink::KeepFrom>,
}

/// Starts the transcript writer and serves `/mindos/evidence/1` from the store (to nobody
/// until the chain follower names the committees).
fn start_evidence(
    config: &Config,
    store: &Arc<Store>,
    metrics: &Arc<Metrics>,
    mesh: &MeshClient,
    tasks: &Tasks,
) -> Result<EvidencePhase, ValidatorError> {
    let (sink, queued) = evidence::StoreSink::new(metrics.clone());
    let (keep_from, keep_from_rx) = watch::channel(evidence::sink::KeepFrom::new());
    tasks.spawn(evidence::sink::write(
        store.clone(),
        queued,
        keep_from_rx,
        config.evidence_max_bytes,
        metrics.clone(),
        tasks.cancel_token(),
    ));
    let access = Arc::new(evidence::Access::default());
    mesh.serve_evidence(Arc::new(evidence::Keeper {
        store: store.clone(),
        access: access.clone(),
        metrics: metrics.clone(),
    }))?;
    Ok(EvidencePhase {
        sink: Arc::new(sink),
        access,
        keep_from,
    })
}

/// How the sentinel duty starts (with `--sentinel-duty`).
struct SentinelStart {
    fault: Option<sentinel::Fault>,
    recent: Option<Arc<sentinel::run::RecentSink>>,
}

/// What the chain (or the private-mesh settings) says to validate.
struct ChainPhase {
    /// The sentinel fault injected (`MINDOS_VALIDATOR_FAULT`, test chains only).
    fault: Option<sentinel::Fault>,
    /// The session that validates, unless `--no-chain`.
    session: Option<ChainSession>,
    /// The subnets to validate.
    subnets: Vec<ChainSubnet>,
    /// With `--no-chain`: `(netuid, peer, address)` of each configured miner.
    private_miners: Vec<(NetUid, PeerId, Multiaddr)>,
}

/// Lists the subnets to validate and, on a chain, registers, funds and stakes the hotkey
/// as configured, refusing a hotkey owned by another coldkey. `node_key` is the mesh
/// identity `serve` publishes.
async fn connect_chain(
    config: &Config,
    node_key: &mindos_mesh::Keypair,
) -> Result<ChainPhase, ValidatorError> {
    let (settings, stake) = match &config.chain {
        ChainMode::Chain { chain, stake } => (chain, *stake),
        ChainMode::Private(mesh) => {
            let subnets = mesh
                .subnets
                .iter()
                .map(|(netuid, name)| ChainSubnet {
                    netuid: *netuid,
                    name: name.clone(),
                    task: None,
                    tempo: 0,
                    commit_reveal: false,
                })
                .collect();
            sentinel::fault::refuse_outside_test_chains(None).await?;
            return Ok(ChainPhase {
                fault: None,
                session: None,
                subnets: non_empty(subnets)?,
                private_miners: mesh.miners.clone(),
            });
        }
    };
    let (hotkey, coldkey) = keys::load_neuron_keys(
        &settings.hotkey_file,
        settings.coldkey_file.as_deref(),
        settings.coldkey_address.as_deref(),
    )?;
    let session = ChainSession::connect(&settings.rpc_url, hotkey, node_key.clone()).await?;
    #[cfg(feature = "crash-points")]
    crate::crash::refuse_outside_test_chains(&session.client()).await?;
    let fault = sentinel::fault::refuse_outside_test_chains(Some(&session.client())).await?;
    let at = session.at_finalized().await?;
    let listed = session.subnets(&at).await?;
    let subnets = wanted_subnets(config, listed)?;
    // Before anything is spent on it: a hotkey another coldkey owns earns for that coldkey.
    session.check_owner(coldkey.account()).await?;
    if let (Some(pair), Some(target)) = (coldkey.pair(), settings.fund_hotkey) {
        session.ensure_funded(pair, target).await?;
    }
    for subnet in &subnets {
        let uid = session
            .ensure_registered(subnet.netuid, &coldkey, settings.max_burn)
            .await?;
        tracing::info!(netuid = %subnet.netuid, %uid, hotkey = %session.hotkey_hex(), "hotkey registered");
    }
    if let (Some(pair), Some(target)) = (coldkey.pair(), stake) {
        session.check_owner(coldkey.account()).await?;
        session.ensure_staked(pair, target).await?;
    }
    Ok(ChainPhase {
        fault,
        session: Some(session),
        subnets: non_empty(subnets)?,
        private_miners: Vec::new(),
    })
}

/// The listed subnets the configuration asks for (all this build knows, if it names none);
/// a named subnet that is missing or unknown to this build is an error.
fn wanted_subnets(
    config: &Config,
    listed: Vec<ChainSubnet>,
) -> Result<Vec<ChainSubnet>, ValidatorError> {
    if let Some(netuid) = config
        .netuids
        .iter()
        .find(|netuid| !listed.iter().any(|l| l.netuid == **netuid))
    {
        return Err(ValidatorError::UnknownSubnet { netuid: *netuid });
    }
    let mut wanted = Vec::new();
    for subnet in listed {
        let named = config.netuids.contains(&subnet.netuid);
        if !(config.netuids.is_empty() || named) {
            continue;
        }
        if !mindos_subnets::SUBNETS.contains(&subnet.name.as_str()) {
            if named {
                return Err(ValidatorError::UnknownSubnet {
                    netuid: subnet.netuid,
                });
            }
            tracing::warn!(netuid = %subnet.netuid, name = %subnet.name, "skipping a subnet whose task this build does not know");
            continue;
        }
        wanted.push(subnet);
    }
    Ok(wanted)
}

fn non_empty(subnets: Vec<ChainSubnet>) -> Result<Vec<ChainSubnet>, ValidatorError> {
    if subnets.is_empty() {
        return Err(ValidatorError::NoSubnets);
    }
    Ok(subnets)
}

/// Loads each subnet's engine (against the chain's TaskSpec if there is one, else against
/// the digest this build pins) and its saved scores.
async fn load_engines(
    config: &Config,
    chain_subnets: &[ChainSubnet],
    store: &Arc<Store>,
) -> Result<BTreeMap<NetUid, Arc<SubnetState>>, ValidatorError> {
    let mut subnets = BTreeMap::new();
    for subnet in chain_subnets {
        let engine = load_engine(config, subnet).await?;
        let netuid = subnet.netuid;
        let saved_store = store.clone();
        let saved = blocking("reading scores", move || saved_store.scores(netuid)).await??;
        let board = Scoreboard::new(config.challenge.ema_alpha, config.challenge.latency_ref)
            .with_scores(saved);
        subnets.insert(netuid, Arc::new(SubnetState::new(subnet, engine, board)));
        tracing::info!(%netuid, name = %subnet.name, "validating subnet");
    }
    Ok(subnets)
}

async fn load_engine(
    config: &Config,
    subnet: &ChainSubnet,
) -> Result<Arc<dyn SubnetEngine>, ValidatorError> {
    let mut engine_config = EngineConfig::default();
    engine_config.ort_dylib_path = config.ort_dylib.clone();
    engine_config.models_dir = config.models_dir.clone();
    let (name, task) = (subnet.name.clone(), subnet.task.clone());
    let loaded = blocking("loading a model", move || match &task {
        Some(task) => mindos_subnets::load_for_task(&name, task, &engine_config),
        None => mindos_subnets::load(&name, &engine_config),
    })
    .await?;
    loaded.map_err(|source| ValidatorError::Model {
        subnet: subnet.name.clone(),
        source,
    })
}

/// The running mesh node.
struct MeshPhase {
    client: MeshClient,
    /// Where it listens (real ports when configured with port 0).
    listen_addrs: Vec<Multiaddr>,
    /// Reads mesh events until the mesh stops.
    drain: JoinHandle<()>,
    /// The peers as the events describe them, for the gateway's ranking.
    peers: Arc<gateway::PeerSnapshot>,
    /// The event loop; it runs until stopped or dropped (so an error return before the
    /// validator is built stops it too).
    task: StoppableTask,
}

/// Starts the mesh node, its event reader, and subscribes to each subnet's capacity beats.
/// Answers are held to their subnet's response limit ([`limit_answers`]).
async fn start_mesh(
    config: &Config,
    node_key: mindos_mesh::Keypair,
    subnets: &BTreeMap<NetUid, Arc<SubnetState>>,
) -> Result<MeshPhase, ValidatorError> {
    let mut mesh_config = MeshConfig::new(node_key);
    mesh_config.listen_addrs = config.listen.clone();
    mesh_config.mdns = config.mdns;
    mesh_config.allow_private_addrs = config.allow_private_addrs;
    // A validator serves no model: offering the protocol would only let strangers make it
    // read and answer requests.
    mesh_config.serve_inference = config.accept_inference;
    let beat_max_age = mesh_config.beat_max_age;
    let (client, events, event_loop) = Mesh::new(mesh_config)?;
    limit_answers(&client, subnets);
    let task = StoppableTask::spawn(|stopped| event_loop.run(stopped));
    let listen_addrs = client.listen_addrs().await?;
    tracing::info!(peer_id = %client.peer_id(), addrs = ?listen_addrs, "mesh listening");
    for netuid in subnets.keys() {
        client.subscribe(*netuid).await?;
    }
    let peers = Arc::new(gateway::PeerSnapshot::new(beat_max_age));
    Ok(MeshPhase {
        client,
        listen_addrs,
        drain: tokio::spawn(drain(events, peers.clone())),
        peers,
        task,
    })
}

/// Holds every answer to a challenge or a gateway query to its subnet's
/// `max_response_bytes` (digits 1 KiB, text-embedding 16 KiB) rather than the mesh's
/// `max_response_size` (4 MiB): a larger one is refused as `too_large` unread.
fn limit_answers(mesh: &MeshClient, subnets: &BTreeMap<NetUid, Arc<SubnetState>>) {
    for (netuid, subnet) in subnets {
        mesh.set_response_limit(*netuid, subnet.engine.info().max_response_bytes);
    }
}

/// Private miners are known up front (chain miners come from the metagraph): dial them and
/// give them uids in the order configured.
async fn add_private_miners(
    mesh: &MeshClient,
    subnets: &BTreeMap<NetUid, Arc<SubnetState>>,
    miners: &[(NetUid, PeerId, Multiaddr)],
) -> Result<(), ValidatorError> {
    for (netuid, peer, addr) in miners {
        mesh.add_address(*peer, addr.clone()).await?;
        if let Some(subnet) = subnets.get(netuid) {
            let mut neurons = subnet.neurons().as_ref().clone();
            let uid = Uid(u16::try_from(neurons.len()).unwrap_or(u16::MAX));
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
                quarantined: false,
            });
            subnet.set_neurons(neurons);
            weights::bind_beat_publishers(mesh, subnet).await;
        }
    }
    Ok(())
}

/// Serves the PeerId on each subnet; those rate-limited are returned to retry later.
async fn publish_endpoint(
    session: &ChainSession,
    ctx: &Context,
    config: &Config,
    peer_id: PeerId,
    listen_addrs: &[Multiaddr],
) -> Result<PendingServes, ValidatorError> {
    // What `serve` may publish: the chain's limits on count and length.
    let public = mindos_mesh::publishable(
        &config.public_addrs,
        listen_addrs,
        config.allow_private_addrs,
        mindos_primitives::MAX_MULTIADDR_LEN,
        mindos_primitives::MAX_MULTIADDRS,
    );
    if public.is_empty() {
        tracing::warn!(
            "no global address to publish: set --public-addr (or --allow-private-addrs on a \
             local network); validators cannot reach this node"
        );
    }
    let mut pending = Vec::new();
    for netuid in ctx.subnets.keys() {
        match session.serve(*netuid, &public).await? {
            Served::Published => tracing::info!(%netuid, %peer_id, "PeerId served on chain"),
            Served::Unchanged => {
                tracing::info!(%netuid, "the chain already has this endpoint")
            }
            Served::RateLimitedUntil(block) => {
                tracing::warn!(
                    %netuid,
                    block,
                    "serve is rate-limited; publishing at that block"
                );
                pending.push((*netuid, block));
            }
        }
    }
    Ok(PendingServes {
        pending,
        peer: peer_id,
        addrs: public,
    })
}

/// Reads the metagraph once, then follows finalized blocks (metagraphs) and the best chain
/// (each subnet's weight task).
async fn follow_chain(
    ctx: &Arc<Context>,
    session: ChainSession,
    serves: PendingServes,
    evidence: EvidencePhase,
    duty: Option<SentinelStart>,
    tasks: &Tasks,
) -> Result<(), ValidatorError> {
    let at = session.at_finalized().await?;
    for subnet in ctx.subnets.values() {
        weights::refresh(&session, &at, subnet, &ctx.mesh).await?;
    }
    ctx.forget_gone_peers();
    ctx.heads.send_replace(Some(weights::head_of(&at)));
    let (blocks_tx, blocks_rx) = watch::channel(at.block_number());
    for subnet in ctx.subnets.values() {
        tasks.spawn_abandoned_at_shutdown(weights::run(
            ctx.clone(),
            session.clone(),
            subnet.clone(),
            blocks_rx.clone(),
        ));
    }
    tasks.spawn_abandoned_at_shutdown(evidence::access::follow(
        evidence.access,
        session.clone(),
        ctx.subnets.clone(),
        blocks_rx.clone(),
        evidence.keep_from,
        ctx.cancel.clone(),
    ));
    match duty {
        Some(duty) => tasks.spawn_abandoned_at_shutdown(sentinel::run::run(
            ctx.clone(),
            session.clone(),
            blocks_rx.clone(),
            duty.fault,
            duty.recent,
        )),
        None => tracing::info!("sentinel duty off (--sentinel-duty false): scoring only"),
    }
    tasks.spawn_abandoned_at_shutdown(weights::tick(ctx.clone(), session.clone(), blocks_tx));
    tasks.spawn_abandoned_at_shutdown(weights::follow(ctx.clone(), session, serves));
    Ok(())
}

/// Starts the challenges, the gateway and the metrics endpoint: the validator is running
/// when this returns.
async fn spawn_tasks(
    ctx: Arc<Context>,
    config: &Config,
    mesh: MeshPhase,
    peer_id: PeerId,
    tasks: Tasks,
    reader: Option<ChainReader>,
) -> Result<Validator, ValidatorError> {
    for subnet in ctx.subnets.values() {
        tasks.spawn_abandoned_at_shutdown(challenge::run(ctx.clone(), subnet.clone()));
        if let Some(canaries) = ctx
            .canaries
            .as_ref()
            .filter(|_| canary::takes_canaries(subnet))
        {
            tracing::info!(netuid = %subnet.netuid, "keeping canaries");
            tasks.spawn_abandoned_at_shutdown(canary::run(
                canaries.clone(),
                subnet.clone(),
                ctx.reexec.clone(),
                ctx.cancel.clone(),
            ));
        }
    }
    let (gateway_addr, gateway) = match &config.gateway {
        Some(settings) => {
            let sampler = (settings.reexecute_percent > 0).then(|| {
                let (sampler, checks) =
                    QuerySampler::new(settings.reexecute_percent, ctx.metrics.clone());
                tasks.spawn_abandoned_at_shutdown(reexec::check_queries(ctx.clone(), checks));
                Arc::new(sampler)
            });
            let (addr, handle) =
                start_gateway(&ctx, settings, mesh.peers.clone(), sampler, reader).await?;
            (Some(addr), Some(handle))
        }
        None => (None, None),
    };
    let metrics_addr = tasks
        .serve_metrics(config.metrics_addr, ctx.metrics.registry().clone())
        .await?;
    tracing::info!(%peer_id, subnets = ctx.subnets.len(), "validator running");
    Ok(Validator {
        peer_id,
        listen_addrs: mesh.listen_addrs,
        gateway_addr,
        gateway,
        metrics_addr,
        tasks,
        drain: mesh.drain,
        mesh: mesh.task,
    })
}

/// Starts the query gateway over the validated subnets.
async fn start_gateway(
    ctx: &Context,
    settings: &GatewaySettings,
    peers: Arc<gateway::PeerSnapshot>,
    sampler: Option<Arc<QuerySampler>>,
    reader: Option<ChainReader>,
) -> Result<(std::net::SocketAddr, jsonrpsee::server::ServerHandle), ValidatorError> {
    let gateway = Arc::new(Gateway::new(
        ctx.subnets.clone(),
        ctx.mesh.clone(),
        ctx.metrics.clone(),
        ctx.answers.clone(),
        settings,
        sampler,
        gateway::Feed {
            peers,
            heads: ctx.heads.subscribe(),
            chain: reader,
        },
    ));
    gateway::start(settings, gateway, ctx.cancel.clone()).await
}

/// Mesh events need a reader; the validator answers no inference requests (dropping the
/// responder refuses them) and folds connections and capacity beats into `peers`, which
/// the gateway ranks miners with.
async fn drain(mut events: Receiver<MeshEvent>, peers: Arc<gateway::PeerSnapshot>) {
    while let Some(event) = events.recv().await {
        if let MeshEvent::InboundRequest { peer, .. } = event {
            tracing::debug!(%peer, "refusing an inference request: this is a validator");
            continue;
        }
        peers.observe(&event);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mindos_mesh::{
        libp2p::multiaddr::Protocol, InferRequest, InferResponse, Keypair, MeshError,
    };

    use super::*;
    use crate::{metagraph::ChainSubnet, scoring::Scoreboard};

    fn digits() -> BTreeMap<NetUid, Arc<SubnetState>> {
        let engine = mindos_subnets::load("digits", &EngineConfig::default()).unwrap();
        let chain = ChainSubnet {
            netuid: NetUid(1),
            name: "digits".into(),
            task: None,
            tempo: 0,
            commit_reveal: false,
        };
        let board = Scoreboard::new(0.1, Duration::from_millis(100));
        BTreeMap::from([(NetUid(1), Arc::new(SubnetState::new(&chain, engine, board)))])
    }

    /// A mesh node that answers every request with `answer`.
    async fn miner(answer: serde_json::Value) -> (MeshClient, Multiaddr) {
        let (client, mut events, event_loop) =
            Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
        tokio::spawn(event_loop.run(std::future::pending()));
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let MeshEvent::InboundRequest { responder, .. } = event {
                    responder.respond(InferResponse::encode_ok(&answer).unwrap());
                }
            }
        });
        let addr = client.listen_addrs().await.unwrap().remove(0);
        let addr = addr.with(Protocol::P2p(client.peer_id()));
        (client, addr)
    }

    /// L13: the validator holds a digits answer to the digits limit (1 KiB), not to the
    /// mesh's 4 MiB: a miner padding a challenge's answer to 64 KiB of valid JSON gets
    /// `too_large` (the challenge fails), and an honest-sized answer still decodes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_digits_answer_over_the_subnets_limit_is_too_large() {
        let subnets = digits();
        let subnet = subnets.get(&NetUid(1)).unwrap().clone();
        let (validator, _events, event_loop) =
            Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
        tokio::spawn(event_loop.run(std::future::pending()));
        limit_answers(&validator, &subnets);

        let challenge = subnet.engine.challenge(0).unwrap();
        let ask = |validator: MeshClient, miner: PeerId| {
            let request = InferRequest::encode(NetUid(1), 1, &challenge.input).unwrap();
            async move {
                validator
                    .request(miner, request, Duration::from_secs(10))
                    .await
            }
        };

        let padded = serde_json::json!({"label": 0, "probabilities": vec![0.1; 8000]});
        let (padding, addr) = miner(padded).await;
        validator.dial(addr).await.unwrap();
        match ask(validator.clone(), padding.peer_id()).await {
            Err(MeshError::ResponseTooLarge { size, limit }) => {
                assert_eq!(limit, u64::from(mindos_subnets::digits::MAX_RESPONSE_BYTES));
                assert!(size > 30_000, "{size}");
            }
            Err(e) => panic!("expected too_large, got {e:?}"),
            Ok(answer) => panic!(
                "expected too_large, got an answer of {} bytes",
                answer.payload_bytes().map_or(0, <[u8]>::len)
            ),
        }

        let honest = serde_json::to_value(&challenge.reference).unwrap();
        let (honest, addr) = miner(honest).await;
        validator.dial(addr).await.unwrap();
        let answer = ask(validator.clone(), honest.peer_id()).await.unwrap();
        let output = subnet
            .engine
            .decode_output(answer.payload_bytes().unwrap())
            .unwrap();
        assert_eq!(output, challenge.reference);
    }
}
