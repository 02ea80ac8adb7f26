//! The query gateway: JSON-RPC 2.0 over HTTP and WebSocket on one address (jsonrpsee).
//! The methods are documented in `validator/openrpc.json` (also served by `rpc.discover`)
//! and `validator/README.md`; a test keeps both in sync with the code.
//!
//! Every call passes a per-client token bucket (`--gateway-rate` per second, bursts up to
//! twice that) and a per-client cap on calls in flight (`--gateway-concurrency`); a client
//! is an IP, or its /64 for IPv6, or whom a trusted proxy names. Bodies are capped
//! (`--gateway-max-request-bytes`), and so are open connections: in total, per client, with
//! a share kept for clients with none open. A connection must make its first call within
//! `--gateway-header-timeout-ms` and is closed after `--gateway-idle-timeout-ms` without one;
//! WebSocket connections are pinged and closed when they stop answering.
//!
//! | module | what |
//! |---|---|
//! | `mod.rs` | `Gateway` (state and methods), `start` and the accept loop |
//! | `api.rs` | the `#[rpc]` trait, its types, the error codes, [`OPENRPC`] |
//! | `query.rs` | `subnet_query`: option and input checks, ranking, fan-out, aggregation, sampling for re-execution |
//! | `limits.rs` | per-client limits and their jsonrpsee middleware, connection caps, the miner budget |
//! | `client.rs` | who calls (trusted proxies, origins, API keys) and idle connections |
//! | `peers.rs` | the mesh's peers by PeerId, kept current from mesh events, for ranking |
//! | `network.rs` | `network_overview` (the node's `mindos_*` reads, once per block) and the finalized blocks |
//! | `dashboard.rs` | the dashboard page at `GET /dashboard`, in front of JSON-RPC |

mod api;
mod client;
mod dashboard;
mod limits;
mod network;
mod peers;
mod query;

use mindos_primitives::NetUid;
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use jsonrpsee::{
    core::{async_trait, RpcResult, SubscriptionResult},
    server::{
        middleware::rpc::RpcServiceBuilder, serve_with_graceful_shutdown, stop_channel,
        BatchRequestConfig, Extensions, PendingSubscriptionSink, PingConfig, Server, ServerHandle,
        StopHandle, SubscriptionMessage,
    },
    types::ErrorObjectOwned,
    RpcModule,
};
use mindos_mesh::{
    route::{RouteConfig, Router},
    MeshClient, PeerId,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use self::api::{
    CommitteeOf, GatewayApiServer, Head, MetagraphRows, MinerInfo, MinerStatus, NeighbourStatus,
    NetworkOverview, NeuronRef, PeerSummary, QueryOptions, QueryResult, ServedBy, SubnetDetail,
    SubnetStatus, SubnetSummary, ValidatorStatus, CHAIN_UNAVAILABLE, ERROR_CODES, INVALID_INPUT,
    LOW_AGREEMENT, NO_MINER_AVAILABLE, OPENRPC, RATE_LIMITED, TIMEOUT, UNAUTHORIZED,
    UNKNOWN_SUBNET,
};
use self::{
    api::{error, error_name},
    client::{Activity, Client, Guarded, IdentifyLayer, Policy},
    dashboard::DashboardLayer,
    limits::{ClientKey, ClientLimits, Closer, Connections, Limited, MinerBudget, MinerInFlight},
};
pub(crate) use self::{
    network::{ChainView, Feed},
    peers::{neuron_peers, PeerSnapshot},
};
use crate::{
    answers::Answers, config::GatewaySettings, metagraph::SubnetState, metrics::Metrics,
    reexec::QuerySampler, ValidatorError,
};

/// What the gateway's methods need.
pub(crate) struct Gateway {
    subnets: Arc<BTreeMap<NetUid, Arc<SubnetState>>>,
    mesh: MeshClient,
    router: Mutex<Router>,
    metrics: Arc<Metrics>,
    default_timeout: Duration,
    max_input_bytes: usize,
    /// Builds each request to a miner (its terms, a fresh request id) and checks each answer.
    answers: Arc<Answers>,
    /// Miner requests per second of the whole gateway.
    miner_budget: MinerBudget,
    /// Requests in flight per miner, capped to leave this validator's challenges room.
    in_flight: MinerInFlight,
    /// Least agreement for clients without an API key.
    min_agreement: f64,
    /// The mesh's peers as mesh events describe them.
    peers: Arc<PeerSnapshot>,
    /// Picks the queries whose answers are re-executed (`None`: none are).
    reexec: Option<Arc<QuerySampler>>,
    /// This validator's PeerId.
    peer_id: PeerId,
    /// The finalized blocks the follower has seen (`None` until the first, and without a
    /// chain).
    heads: tokio::sync::watch::Receiver<Option<Head>>,
    /// The chain's reads for `network_overview` (`None` without a chain).
    chain: Option<ChainView>,
}

impl Gateway {
    /// A gateway over `subnets` that reaches miners through `mesh` and ranks them with what
    /// the feed's `peers` knows, with a router seeded from the OS; `answers` makes its
    /// requests and checks their answers; the feed's blocks and chain serve
    /// `network_overview` and `network_subscribe_blocks`.
    pub(crate) fn new(
        subnets: Arc<BTreeMap<NetUid, Arc<SubnetState>>>,
        mesh: MeshClient,
        metrics: Arc<Metrics>,
        answers: Arc<Answers>,
        settings: &GatewaySettings,
        reexec: Option<Arc<QuerySampler>>,
        network::Feed {
            peers,
            heads,
            chain,
        }: network::Feed,
    ) -> Self {
        Self {
            subnets,
            router: Mutex::new(Router::from_entropy(RouteConfig::default())),
            metrics,
            default_timeout: settings.default_timeout,
            max_input_bytes: usize::try_from(settings.max_request_bytes).unwrap_or(usize::MAX),
            answers,
            miner_budget: MinerBudget::new(settings.miner_rate),
            in_flight: MinerInFlight::default(),
            min_agreement: settings.min_agreement,
            peer_id: mesh.peer_id(),
            mesh,
            peers,
            reexec,
            chain: chain.map(|reader| ChainView::new(reader, heads.clone())),
            heads,
        }
    }

    /// The subnet `netuid`, or an `unknown_subnet` error.
    fn subnet(&self, netuid: NetUid) -> Result<&Arc<SubnetState>, ErrorObjectOwned> {
        self.subnets.get(&netuid).ok_or_else(|| {
            error(
                UNKNOWN_SUBNET,
                format!(
                    "this validator serves no subnet {netuid}; subnet_list shows those it serves"
                ),
            )
        })
    }

    /// Counts a call of `method` by its outcome.
    fn observe<T>(&self, method: &str, result: &RpcResult<T>) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => error_name(e.code()),
        };
        self.metrics
            .gateway_calls
            .with_label_values(&[method, outcome])
            .inc();
    }
}

/// The subnet's pinned model digest, `0x` hex.
fn model_digest(subnet: &SubnetState) -> String {
    format!(
        "0x{}",
        mindos_subnets::to_hex(&subnet.engine.model_digest())
    )
}

fn modality(subnet: &SubnetState) -> String {
    format!("{:?}", subnet.engine.info().modality).to_lowercase()
}

fn scoring_rule(subnet: &SubnetState) -> String {
    match subnet.engine.info().scoring_rule {
        mindos_primitives::ScoringRule::CosineSimilarity => "cosine_similarity".into(),
        mindos_primitives::ScoringRule::Correctness => "correctness".into(),
    }
}

#[async_trait]
impl GatewayApiServer for Arc<Gateway> {
    fn subnet_list(&self) -> RpcResult<Vec<SubnetSummary>> {
        let result = Ok(self
            .subnets
            .values()
            .map(|s| SubnetSummary {
                netuid: s.netuid,
                name: s.name.clone(),
                modality: modality(s),
                scoring_rule: scoring_rule(s),
                miners: s.served_miners().len(),
            })
            .collect());
        self.observe("subnet_list", &result);
        result
    }

    fn subnet_info(&self, netuid: NetUid) -> RpcResult<SubnetDetail> {
        let result = self.subnet(netuid).map(|s| {
            let scores = s
                .scores
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .scores()
                .clone();
            let now = Instant::now();
            SubnetDetail {
                netuid: s.netuid,
                name: s.name.clone(),
                modality: modality(s),
                scoring_rule: scoring_rule(s),
                input_schema: s.engine.info().input_schema,
                output_schema: s.engine.info().output_schema,
                model_digest: model_digest(s),
                tempo: s.tempo(),
                miners: s
                    .served_miners()
                    .into_iter()
                    .filter_map(|m| {
                        let peer = m.peer?;
                        let score = scores.get(&m.uid).filter(|sc| sc.hotkey == m.hotkey);
                        Some(MinerInfo {
                            uid: m.uid,
                            peer_id: peer.to_string(),
                            score: score.map_or(0.0, |sc| sc.score()),
                            samples: score.map_or(0, |sc| sc.samples),
                            reputation: m.reputation,
                            resting: s.is_resting(&peer, now),
                        })
                    })
                    .collect(),
            }
        });
        self.observe("subnet_info", &result);
        result
    }

    async fn subnet_query(
        &self,
        ext: &Extensions,
        netuid: NetUid,
        input: serde_json::Value,
        options: Option<QueryOptions>,
    ) -> RpcResult<QueryResult> {
        let authenticated = ext.get::<Client>().is_some_and(|c| c.authenticated);
        let result = self
            .query(netuid, input, options.unwrap_or_default(), authenticated)
            .await;
        self.observe("subnet_query", &result);
        result
    }

    async fn mesh_peers(&self, ext: &Extensions) -> RpcResult<Vec<PeerSummary>> {
        // Peer addresses and loads map the network for an attacker: operators only.
        if !ext.get::<Client>().is_some_and(|c| c.authenticated) {
            let result = Err(error(
                UNAUTHORIZED,
                "mesh_peers needs an API key (Authorization: Bearer KEY)",
            ));
            self.observe("mesh_peers", &result);
            return result;
        }
        let peers = self
            .mesh
            .peers()
            .await
            .map_err(|e| error(NO_MINER_AVAILABLE, format!("the mesh is not running: {e}")));
        let result = peers.map(|peers| {
            peers
                .into_iter()
                .map(|p| PeerSummary {
                    peer_id: p.peer_id.to_string(),
                    addrs: p.addrs.iter().map(ToString::to_string).collect(),
                    connected: p.connected,
                    rtt_ms: p.rtt.map(|d| d.as_secs_f64() * 1000.0),
                    beat_netuid: p.last_beat.as_ref().map(|b| b.netuid),
                    load: p.last_beat.as_ref().map(|b| b.load_fraction()),
                    queue_depth: p.last_beat.as_ref().map(|b| b.queue_depth),
                })
                .collect()
        });
        self.observe("mesh_peers", &result);
        result
    }

    async fn validator_status(&self) -> RpcResult<ValidatorStatus> {
        self.peers.refresh_rtts(&self.mesh).await;
        let result = Ok(self.status());
        self.observe("validator_status", &result);
        result
    }

    async fn network_overview(&self) -> RpcResult<Box<serde_json::value::RawValue>> {
        let result = match &self.chain {
            Some(chain) => {
                let netuids: Vec<NetUid> = self.subnets.keys().copied().collect();
                chain.overview(&netuids).await
            }
            None => Err(error(
                CHAIN_UNAVAILABLE,
                "this validator runs without a chain (--no-chain)",
            )),
        };
        self.observe("network_overview", &result);
        result
    }

    async fn subscribe_blocks(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let mut heads = self.heads.clone();
        let sink = pending.accept().await?;
        self.metrics
            .gateway_calls
            .with_label_values(&["network_subscribe_blocks", "ok"])
            .inc();
        loop {
            let head = heads.borrow_and_update().clone();
            if let Some(head) = head {
                sink.send(SubscriptionMessage::from_json(&head)?).await?;
            }
            tokio::select! {
                changed = heads.changed() => if changed.is_err() { return Ok(()) },
                () = sink.closed() => return Ok(()),
            }
        }
    }

    fn discover(&self) -> RpcResult<serde_json::Value> {
        serde_json::from_str(OPENRPC)
            .map_err(|e| error(NO_MINER_AVAILABLE, format!("the OpenRPC document: {e}")))
    }
}

impl Gateway {
    /// `validator_status`'s answer, from what the validator holds now.
    fn status(&self) -> ValidatorStatus {
        let now = Instant::now();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let subnets = self
            .subnets
            .values()
            .map(|s| {
                let scores = s
                    .scores
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .scores()
                    .clone();
                let miners = s
                    .served_miners()
                    .into_iter()
                    .filter_map(|m| {
                        let peer = m.peer?;
                        let score = scores.get(&m.uid).filter(|sc| sc.hotkey == m.hotkey);
                        let seen = self.peers.get(&peer).unwrap_or_default();
                        let beat = seen.beat.as_ref().filter(|b| b.netuid == s.netuid);
                        Some(MinerStatus {
                            uid: m.uid,
                            peer_id: peer.to_string(),
                            score: score.map_or(0.0, |sc| sc.score()),
                            samples: score.map_or(0, |sc| sc.samples),
                            resting: s.is_resting(&peer, now),
                            connected: seen.connected,
                            rtt_ms: seen.rtt.map(ms),
                            latency_ms: s.recent_latencies(&peer).into_iter().map(ms).collect(),
                            load: beat.map(|b| b.load_fraction()),
                            queue_depth: beat.map(|b| b.queue_depth),
                        })
                    })
                    .collect();
                SubnetStatus {
                    netuid: s.netuid,
                    name: s.name.clone(),
                    model_digest: model_digest(s),
                    own_uid: s.own_uid(),
                    miners,
                }
            })
            .collect();
        let mut neurons: BTreeMap<PeerId, Vec<NeuronRef>> = BTreeMap::new();
        for s in self.subnets.values() {
            for n in s.neurons().iter() {
                if let Some(peer) = n.peer {
                    neurons.entry(peer).or_default().push(NeuronRef {
                        netuid: s.netuid,
                        uid: n.uid,
                    });
                }
            }
        }
        let peers = self
            .peers
            .list()
            .into_iter()
            .filter_map(|(peer, seen)| {
                // Only neurons: their PeerIds are on chain already; other peers are the
                // operator's business (`mesh_peers`).
                let neurons = neurons.get(&peer)?.clone();
                Some(NeighbourStatus {
                    peer_id: peer.to_string(),
                    neurons,
                    connected: seen.connected,
                    rtt_ms: seen.rtt.map(ms),
                    beat_netuid: seen.beat.as_ref().map(|b| b.netuid),
                    load: seen.beat.as_ref().map(|b| b.load_fraction()),
                    queue_depth: seen.beat.as_ref().map(|b| b.queue_depth),
                })
            })
            .collect();
        ValidatorStatus {
            peer_id: self.peer_id.to_string(),
            finalized: self.heads.borrow().clone(),
            subnets,
            peers,
        }
    }
}

/// Binds the gateway and serves it until `cancel`; returns the bound address and a handle
/// that stops it (finishing calls in flight).
pub(crate) async fn start(
    settings: &GatewaySettings,
    gateway: Arc<Gateway>,
    cancel: CancellationToken,
) -> Result<(SocketAddr, ServerHandle), ValidatorError> {
    let addr = settings.addr;
    let bind = |source| {
        ValidatorError::from(mindos_daemon::start::StartError::Bind {
            what: "gateway",
            addr,
            source,
        })
    };
    let listener = TcpListener::bind(addr).await.map_err(bind)?;
    let bound = listener.local_addr().map_err(bind)?;
    let (stop_handle, server_handle) = stop_channel();
    let limits = Arc::new(ClientLimits::new(
        settings.rate_per_sec,
        settings.concurrency,
    ));
    let connections = Connections::new(
        settings.max_connections,
        settings.max_connections_per_ip,
        settings.reserved_connections,
    );
    let policy = Arc::new(Policy {
        trusted_proxies: settings.trusted_proxies.clone(),
        allowed_origins: settings.allowed_origins.clone(),
        local_only: addr.ip().is_loopback(),
        api_keys: settings.api_keys.clone(),
    });
    let acceptor = Acceptor {
        listener,
        stop_handle,
        limits,
        connections,
        policy,
        metrics: gateway.metrics.clone(),
        max_body: settings.max_request_bytes,
        header_timeout: settings.header_timeout,
        idle_timeout: settings.idle_timeout,
        methods: gateway.into_rpc(),
    };
    tokio::spawn(acceptor.run(cancel));
    tracing::info!(addr = %bound, "gateway listening (JSON-RPC over HTTP and WebSocket)");
    Ok((bound, server_handle))
}

/// The accept loop's state: the listener and what every connection is served with.
struct Acceptor {
    listener: TcpListener,
    /// The gateway's methods, cloned into each connection's service.
    methods: RpcModule<Arc<Gateway>>,
    /// Stops the loop and, gracefully, every connection.
    stop_handle: StopHandle,
    limits: Arc<ClientLimits>,
    /// Open connections, in total and per client.
    connections: Arc<Connections>,
    /// Who a request's client is, and which are refused.
    policy: Arc<Policy>,
    metrics: Arc<Metrics>,
    /// Largest request body (`--gateway-max-request-bytes`).
    max_body: u32,
    /// Time to the first call (`--gateway-header-timeout-ms`).
    header_timeout: Duration,
    /// Time between calls (`--gateway-idle-timeout-ms`).
    idle_timeout: Duration,
}

/// WebSocket pings: every 30 s, and a connection that has not answered (nor sent anything)
/// for 60 s is closed.
fn ws_ping() -> PingConfig {
    PingConfig::new()
        .ping_interval(Duration::from_secs(30))
        .inactive_limit(Duration::from_secs(60))
}

impl Acceptor {
    /// Accepts connections until the server is stopped or `cancel` fires; each connection is
    /// served on a task of its own, behind the per-client limits.
    async fn run(self, cancel: CancellationToken) {
        loop {
            let (socket, remote) = tokio::select! {
                () = self.stop_handle.clone().shutdown() => return,
                () = cancel.cancelled() => return,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "gateway: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let peer = remote.ip();
            // A trusted proxy carries many clients: only the total cap applies to it; its
            // clients are limited per call, by the address it forwards.
            let proxy = self.policy.trusted_proxies.contains(&peer);
            let closer = Closer {
                activity: Activity::new(),
                kill: CancellationToken::new(),
            };
            let slot = match self
                .connections
                .open(ClientKey::of(peer), proxy, closer.clone())
            {
                Ok(slot) => slot,
                Err(refused) => {
                    tracing::debug!(%remote, %refused, "gateway: connection refused");
                    drop(socket);
                    continue;
                }
            };
            self.serve(socket, remote, slot, closer);
        }
    }

    /// Serves one accepted connection on a task of its own, with a watchdog that closes it
    /// when idle.
    fn serve(
        &self,
        socket: tokio::net::TcpStream,
        remote: SocketAddr,
        slot: limits::Slot,
        Closer { activity, kill }: Closer,
    ) {
        let peer = remote.ip();
        let (limits, metrics) = (self.limits.clone(), self.metrics.clone());
        let watched = activity.clone();
        let middleware = RpcServiceBuilder::new().layer_fn(move |inner| Limited {
            inner,
            peer,
            limits: limits.clone(),
            activity: watched.clone(),
            metrics: metrics.clone(),
        });
        let identify = IdentifyLayer {
            peer,
            policy: self.policy.clone(),
        };
        let dashboard = DashboardLayer {
            peer,
            limits: self.limits.clone(),
            activity: activity.clone(),
        };
        let service = Server::builder()
            .max_request_body_size(self.max_body)
            .max_response_body_size(16 * 1024 * 1024)
            .set_batch_request_config(BatchRequestConfig::Limit(32))
            .enable_ws_ping(ws_ping())
            .max_subscriptions_per_connection(4)
            .set_http_middleware(
                tower::ServiceBuilder::new()
                    .layer(identify)
                    .layer(dashboard),
            )
            .set_rpc_middleware(middleware)
            .to_service_builder()
            .build(self.methods.clone(), self.stop_handle.clone());
        let closed = CancellationToken::new();
        tokio::spawn(client::watch(
            activity,
            kill.clone(),
            closed.clone(),
            self.header_timeout,
            self.idle_timeout,
        ));
        let io = Guarded::new(socket, slot, kill, closed);
        let stopped = self.stop_handle.clone().shutdown();
        tokio::spawn(async move {
            if let Err(e) = serve_with_graceful_shutdown(io, service, stopped).await {
                tracing::debug!(%remote, error = %e, "gateway connection ended with an error");
            }
        });
    }
}
