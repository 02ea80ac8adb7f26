//! The query gateway: JSON-RPC 2.0 over HTTP and WebSocket on one address (jsonrpsee).
//! The methods are documented in `validator/openrpc.json` (also served by `rpc.discover`)
//! and `validator/README.md`; a test keeps both in sync with the code.
//!
//! Every call passes a per-client-IP token bucket (`--gateway-rate` per second, bursts up to
//! twice that) and a per-client-IP cap on calls in flight (`--gateway-concurrency`); bodies
//! are capped (`--gateway-max-request-bytes`) and so are open connections.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};
use jsonrpsee::{
    core::{async_trait, RpcResult},
    proc_macros::rpc,
    server::{
        middleware::rpc::{RpcServiceBuilder, RpcServiceT},
        serve_with_graceful_shutdown, stop_channel, BatchRequestConfig, MethodResponse, Server,
        ServerHandle, StopHandle,
    },
    types::{ErrorObjectOwned, Request},
};
use mindos_mesh::{
    route::{Candidate, InferTransport, Router},
    InferRequest, InferResponse, MeshClient, PeerId,
};
use mindos_subnets::Output;
use serde::{Deserialize, Serialize};
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::sync::CancellationToken;

use crate::{
    config::{GatewaySettings, MAX_REDUNDANCY},
    metagraph::{Neuron, SubnetState},
    metrics::Metrics,
    ValidatorError,
};

/// The OpenRPC document of the gateway.
pub const OPENRPC: &str = include_str!("../openrpc.json");

/// No validated subnet has this netuid.
pub const UNKNOWN_SUBNET: i32 = 4201;
/// No miner could be asked (none served, all resting) or every miner asked failed.
pub const NO_MINER_AVAILABLE: i32 = 4202;
/// The query's time budget ran out before any miner answered.
pub const TIMEOUT: i32 = 4203;
/// The input does not fit the subnet's schema, or an option is out of range.
pub const INVALID_INPUT: i32 = 4204;
/// The client exceeded its call rate or its calls in flight.
pub const RATE_LIMITED: i32 = 4205;
/// The miners' answers agree less than `min_agreement`.
pub const LOW_AGREEMENT: i32 = 4206;

/// Every gateway error code with its name, as documented.
pub const ERROR_CODES: [(i32, &str); 6] = [
    (UNKNOWN_SUBNET, "unknown_subnet"),
    (NO_MINER_AVAILABLE, "no_miner_available"),
    (TIMEOUT, "timeout"),
    (INVALID_INPUT, "invalid_input"),
    (RATE_LIMITED, "rate_limited"),
    (LOW_AGREEMENT, "low_agreement"),
];

/// The gateway's methods (metric labels).
const METHODS: [&str; 5] = [
    "subnet_list",
    "subnet_info",
    "subnet_query",
    "mesh_peers",
    "rpc.discover",
];

/// Inputs up to this many bytes are checked on the query's task (a short text tokenizes in
/// tens of microseconds); larger ones on a blocking thread.
const INLINE_CHECK_BYTES: usize = 256;
/// Hedging waits at least this long, so a fast subnet does not double every request.
const MIN_HEDGE_DELAY: Duration = Duration::from_millis(5);
/// Hedge delay before enough latencies are known for a p90.
const DEFAULT_HEDGE_DELAY: Duration = Duration::from_millis(250);

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn error_name(code: i32) -> &'static str {
    ERROR_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("other", |(_, name)| name)
}

/// A subnet in `subnet_list`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubnetSummary {
    /// The subnet's id.
    pub netuid: u16,
    /// Its task name.
    pub name: String,
    /// `text`, `image`, …
    pub modality: String,
    /// `cosine_similarity` or `correctness`.
    pub scoring_rule: String,
    /// Miners with an endpoint.
    pub miners: usize,
}

/// A miner in `subnet_info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinerInfo {
    /// Its uid.
    pub uid: u16,
    /// Its PeerId.
    pub peer_id: String,
    /// This validator's challenge score, `0..=1`.
    pub score: f64,
    /// Challenges scored.
    pub samples: u64,
    /// The chain's reputation, `0..=1`.
    pub reputation: f64,
    /// Skipped by routing for now after repeated failures.
    pub resting: bool,
}

/// `subnet_info`'s answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubnetDetail {
    /// The subnet's id.
    pub netuid: u16,
    /// Its task name.
    pub name: String,
    /// `text`, `image`, …
    pub modality: String,
    /// `cosine_similarity` or `correctness`.
    pub scoring_rule: String,
    /// Version of the input wire format.
    pub input_schema: u32,
    /// Version of the output wire format.
    pub output_schema: u32,
    /// BLAKE2b-256 of the model, `0x` hex.
    pub model_digest: String,
    /// Blocks per epoch (0 without a chain).
    pub tempo: u16,
    /// Miners with an endpoint.
    pub miners: Vec<MinerInfo>,
}

/// `subnet_query` options; every field optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryOptions {
    /// Miners to ask, `1..=16` [default 1].
    pub redundancy: Option<u32>,
    /// Time budget in ms, `1..=120000` [default: the gateway's].
    pub timeout_ms: Option<u64>,
    /// Least share of answers that must agree, `0..=1` [default 0].
    pub min_agreement: Option<f64>,
}

/// Who answered a query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServedBy {
    /// The miner's uid.
    pub uid: u16,
    /// Request to answer, in milliseconds.
    pub latency_ms: f64,
}

/// `subnet_query`'s answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    /// The aggregated output, in the subnet's wire format.
    pub output: serde_json::Value,
    /// Share of answers that agree with `output`, `0..=1`.
    pub agreement: f64,
    /// The miners whose answers were aggregated.
    pub served_by: Vec<ServedBy>,
}

/// A peer in `mesh_peers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerSummary {
    /// Its PeerId.
    pub peer_id: String,
    /// Addresses known for it.
    pub addrs: Vec<String>,
    /// Whether a connection is open.
    pub connected: bool,
    /// Last ping round trip in ms.
    pub rtt_ms: Option<f64>,
    /// Subnet of its last capacity beat.
    pub beat_netuid: Option<u16>,
    /// Load of its last capacity beat, `0..=1`.
    pub load: Option<f64>,
    /// Queue depth of its last capacity beat.
    pub queue_depth: Option<u32>,
}

/// The gateway's methods.
#[rpc(server)]
pub trait GatewayApi {
    /// The validated subnets.
    #[method(name = "subnet_list")]
    fn subnet_list(&self) -> RpcResult<Vec<SubnetSummary>>;

    /// One subnet with its miners.
    #[method(name = "subnet_info")]
    fn subnet_info(&self, netuid: u16) -> RpcResult<SubnetDetail>;

    /// Runs `input` on `redundancy` miners and aggregates their answers.
    #[method(name = "subnet_query")]
    async fn subnet_query(
        &self,
        netuid: u16,
        input: serde_json::Value,
        options: Option<QueryOptions>,
    ) -> RpcResult<QueryResult>;

    /// What the mesh knows about its peers.
    #[method(name = "mesh_peers")]
    async fn mesh_peers(&self) -> RpcResult<Vec<PeerSummary>>;

    /// This API's OpenRPC document.
    #[method(name = "rpc.discover")]
    fn discover(&self) -> RpcResult<serde_json::Value>;
}

/// What the gateway's methods need.
pub(crate) struct Gateway {
    pub(crate) subnets: Arc<std::collections::BTreeMap<u16, Arc<SubnetState>>>,
    pub(crate) mesh: MeshClient,
    pub(crate) router: Mutex<Router>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) default_timeout: Duration,
    pub(crate) max_input_bytes: usize,
    pub(crate) next_request_id: std::sync::atomic::AtomicU64,
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

impl Gateway {
    fn subnet(&self, netuid: u16) -> Result<&Arc<SubnetState>, ErrorObjectOwned> {
        self.subnets.get(&netuid).ok_or_else(|| {
            error(
                UNKNOWN_SUBNET,
                format!(
                    "this validator serves no subnet {netuid}; subnet_list shows those it serves"
                ),
            )
        })
    }

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

    /// Candidates for `subnet`, best first with exploration; resting miners left out.
    async fn candidates(&self, subnet: &SubnetState) -> Vec<(PeerId, Neuron)> {
        let now = Instant::now();
        let miners: Vec<Neuron> = subnet
            .served_miners()
            .into_iter()
            .filter(|m| m.peer.is_some_and(|p| !subnet.is_resting(&p, now)))
            .collect();
        let infos = self.mesh.peers().await.unwrap_or_default();
        let scores = subnet
            .scores
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .scores()
            .clone();
        let candidates: Vec<Candidate> = miners
            .iter()
            .filter_map(|m| {
                let peer = m.peer?;
                let info = infos.iter().find(|i| i.peer_id == peer);
                let mut candidate = Candidate::new(peer);
                candidate.rtt = info.and_then(|i| i.rtt);
                candidate.beat = info
                    .and_then(|i| i.last_beat.clone())
                    .filter(|b| b.netuid == subnet.netuid);
                // This validator's own score is the freshest reputation; the chain's is the
                // fallback for miners not challenged yet.
                candidate.reputation = match scores.get(&m.uid) {
                    Some(s) if s.hotkey == m.hotkey && s.samples > 0 => Some(s.score()),
                    _ => (m.reputation > 0.0).then_some(m.reputation),
                };
                Some(candidate)
            })
            .collect();
        let order = self
            .router
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .select(&candidates, candidates.len(), &HashSet::new());
        order
            .into_iter()
            .filter_map(|peer| {
                miners
                    .iter()
                    .find(|m| m.peer == Some(peer))
                    .map(|m| (peer, m.clone()))
            })
            .collect()
    }

    async fn query(
        &self,
        netuid: u16,
        input: serde_json::Value,
        options: QueryOptions,
    ) -> RpcResult<QueryResult> {
        let started = Instant::now();
        let subnet = self.subnet(netuid)?.clone();
        let redundancy = options.redundancy.unwrap_or(1);
        if !(1..=MAX_REDUNDANCY).contains(&redundancy) {
            return Err(error(
                INVALID_INPUT,
                format!("redundancy {redundancy} is outside 1..={MAX_REDUNDANCY}"),
            ));
        }
        let timeout = match options.timeout_ms {
            Some(ms) if (1..=120_000).contains(&ms) => Duration::from_millis(ms),
            Some(ms) => {
                return Err(error(
                    INVALID_INPUT,
                    format!("timeout_ms {ms} is outside 1..=120000"),
                ))
            }
            None => self.default_timeout,
        };
        let min_agreement = options.min_agreement.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&min_agreement) {
            return Err(error(
                INVALID_INPUT,
                format!("min_agreement {min_agreement} is outside 0..=1"),
            ));
        }
        let bytes =
            serde_json::to_vec(&input).map_err(|e| error(INVALID_INPUT, format!("input: {e}")))?;
        if bytes.len() > self.max_input_bytes {
            return Err(error(
                INVALID_INPUT,
                format!(
                    "input is {} bytes, more than the limit of {}",
                    bytes.len(),
                    self.max_input_bytes
                ),
            ));
        }
        // Checking a text means tokenizing it: microseconds for a sentence, milliseconds for
        // 16 KiB, which must not hold up the executor's other queries.
        let checked = if bytes.len() <= INLINE_CHECK_BYTES {
            subnet.engine.decode_input(&bytes).map(drop)
        } else {
            let engine = subnet.engine.clone();
            match tokio::task::spawn_blocking(move || engine.decode_input(&bytes).map(drop)).await {
                Ok(checked) => checked,
                Err(e) => {
                    return Err(error(
                        NO_MINER_AVAILABLE,
                        format!("the input could not be checked: {e}"),
                    ))
                }
            }
        };
        checked.map_err(|e| {
            if e.is_bad_input() {
                error(INVALID_INPUT, e.to_string())
            } else {
                error(
                    NO_MINER_AVAILABLE,
                    format!("the input could not be checked: {e}"),
                )
            }
        })?;

        let candidates = self.candidates(&subnet).await;
        if candidates.is_empty() {
            return Err(error(
                NO_MINER_AVAILABLE,
                format!("subnet {netuid} has no miner available"),
            ));
        }
        let k = usize::try_from(redundancy)
            .unwrap_or(1)
            .min(candidates.len());
        let spares: Arc<Mutex<VecDeque<(PeerId, Neuron)>>> =
            Arc::new(Mutex::new(candidates.into_iter().collect()));
        let deadline = tokio::time::Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(tokio::time::Instant::now);
        let hedge_delay = subnet
            .latency_p90()
            .unwrap_or(DEFAULT_HEDGE_DELAY)
            .max(MIN_HEDGE_DELAY);
        let base_id = self
            .next_request_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = InferRequest {
            netuid,
            request_id: base_id,
            payload: input,
        };
        let slots: Vec<_> = (0..k)
            .map(|_| {
                let first = spares
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                slot(
                    &self.mesh,
                    &self.metrics,
                    &subnet,
                    &request,
                    first,
                    spares.clone(),
                    Timing {
                        deadline,
                        hedge_delay,
                    },
                )
            })
            .collect();
        let results = futures::future::join_all(slots).await;
        let mut outputs: Vec<Output> = Vec::new();
        let mut served_by = Vec::new();
        let mut timed_out = false;
        for result in results {
            match result {
                Ok((uid, output, latency)) => {
                    outputs.push(output);
                    served_by.push(ServedBy {
                        uid,
                        latency_ms: latency.as_secs_f64() * 1000.0,
                    });
                }
                Err(SlotError::Timeout) => timed_out = true,
                Err(SlotError::Exhausted) => {}
            }
        }
        if outputs.is_empty() {
            return Err(if timed_out {
                error(
                    TIMEOUT,
                    format!("no miner answered within {} ms", timeout.as_millis()),
                )
            } else {
                error(
                    NO_MINER_AVAILABLE,
                    format!("every miner asked on subnet {netuid} failed"),
                )
            });
        }
        let aggregate = subnet.engine.aggregate(&outputs).map_err(|e| {
            error(
                NO_MINER_AVAILABLE,
                format!("no valid answer to aggregate: {e}"),
            )
        })?;
        let agreement = f64::from(aggregate.agreement);
        if agreement < min_agreement {
            return Err(error(
                LOW_AGREEMENT,
                format!(
                    "the answers agree {agreement:.2}, less than min_agreement {min_agreement:.2}"
                ),
            ));
        }
        let output = serde_json::to_value(&aggregate.value)
            .map_err(|e| error(NO_MINER_AVAILABLE, format!("encoding the answer: {e}")))?;
        self.metrics
            .query_duration
            .with_label_values(&[netuid.to_string().as_str()])
            .observe(started.elapsed().as_secs_f64());
        Ok(QueryResult {
            output,
            agreement,
            served_by,
        })
    }
}

enum SlotError {
    Timeout,
    Exhausted,
}

// tokio's clock, so tests with paused time measure latency as the runtime sees it.
type Attempt = (
    PeerId,
    Neuron,
    tokio::time::Instant,
    Result<InferResponse, mindos_mesh::MeshError>,
);

/// When a query must be answered, and when a slow request is hedged.
#[derive(Clone, Copy, Debug)]
struct Timing {
    deadline: tokio::time::Instant,
    hedge_delay: Duration,
}

/// One of `redundancy` answers: asks `first`, hedges to a spare once the request runs past
/// the hedge delay, fails over to spares on errors, until one answers or the deadline.
/// Failing only by timeouts (the last try's timeout races the deadline) is a timeout.
async fn slot<T: InferTransport>(
    transport: &T,
    metrics: &Metrics,
    subnet: &SubnetState,
    request: &InferRequest,
    first: Option<(PeerId, Neuron)>,
    spares: Arc<Mutex<VecDeque<(PeerId, Neuron)>>>,
    Timing {
        deadline,
        hedge_delay,
    }: Timing,
) -> Result<(u16, Output, Duration), SlotError> {
    let netuid_label = subnet.netuid.to_string();
    let take_spare = || {
        spares
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    };
    let send = |(peer, miner): (PeerId, Neuron), kind: &str| -> BoxFuture<'_, Attempt> {
        metrics
            .query_attempts
            .with_label_values(&[netuid_label.as_str(), kind])
            .inc();
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let answer = transport.send(peer, request.clone(), remaining);
        async move {
            let started = tokio::time::Instant::now();
            let answer = answer.await;
            (peer, miner, started, answer)
        }
        .boxed()
    };
    let Some(first) = first else {
        return Err(SlotError::Exhausted);
    };
    let mut inflight: FuturesUnordered<BoxFuture<'_, Attempt>> = FuturesUnordered::new();
    inflight.push(send(first, "primary"));
    let hedge = tokio::time::sleep(hedge_delay);
    tokio::pin!(hedge);
    let mut hedged = false;
    let mut timed_out = false;
    let exhausted = |timed_out: bool| {
        if timed_out {
            SlotError::Timeout
        } else {
            SlotError::Exhausted
        }
    };
    let expiry = tokio::time::sleep_until(deadline);
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            next = inflight.next() => {
                let Some((peer, miner, started, answer)) = next else {
                    return Err(exhausted(timed_out));
                };
                let latency = started.elapsed();
                let output = match answer {
                    Ok(InferResponse::Ok { payload }) => serde_json::to_vec(&payload)
                        .ok()
                        .and_then(|bytes| subnet.engine.decode_output(&bytes).ok()),
                    Ok(InferResponse::Err { code, message }) => {
                        tracing::debug!(%peer, ?code, %message, "miner refused a query");
                        None
                    }
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "query to a miner failed");
                        timed_out |= matches!(e, mindos_mesh::MeshError::Timeout);
                        None
                    }
                };
                match output {
                    Some(output) => {
                        subnet.record_attempt(peer, Some(latency));
                        return Ok((miner.uid, output, latency));
                    }
                    None => {
                        subnet.record_attempt(peer, None);
                        if let Some(next) = take_spare() {
                            inflight.push(send(next, "failover"));
                        } else if inflight.is_empty() {
                            return Err(exhausted(timed_out));
                        }
                    }
                }
            }
            () = &mut hedge, if !hedged => {
                hedged = true;
                if let Some(next) = take_spare() {
                    inflight.push(send(next, "hedge"));
                }
            }
            () = &mut expiry => return Err(SlotError::Timeout),
        }
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

    fn subnet_info(&self, netuid: u16) -> RpcResult<SubnetDetail> {
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
                model_digest: format!("0x{}", mindos_subnets::to_hex(&s.engine.model_digest())),
                tempo: s.tempo,
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
        netuid: u16,
        input: serde_json::Value,
        options: Option<QueryOptions>,
    ) -> RpcResult<QueryResult> {
        let result = self.query(netuid, input, options.unwrap_or_default()).await;
        self.observe("subnet_query", &result);
        result
    }

    async fn mesh_peers(&self) -> RpcResult<Vec<PeerSummary>> {
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

    fn discover(&self) -> RpcResult<serde_json::Value> {
        serde_json::from_str(OPENRPC)
            .map_err(|e| error(NO_MINER_AVAILABLE, format!("the OpenRPC document: {e}")))
    }
}

/// Token buckets and in-flight caps per client IP.
#[derive(Debug)]
pub(crate) struct ClientLimits {
    rate: f64,
    burst: f64,
    concurrency: usize,
    clients: Mutex<HashMap<IpAddr, Client>>,
}

#[derive(Debug)]
struct Client {
    tokens: f64,
    refilled: Instant,
    inflight: Arc<Semaphore>,
}

/// Above this many tracked clients, idle ones (full bucket, nothing in flight) are dropped.
const MAX_TRACKED_CLIENTS: usize = 4096;

impl ClientLimits {
    pub(crate) fn new(rate_per_sec: u32, concurrency: u32) -> Self {
        let rate = f64::from(rate_per_sec.max(1));
        Self {
            rate,
            burst: rate * 2.0,
            concurrency: usize::try_from(concurrency.max(1)).unwrap_or(1),
            clients: Mutex::default(),
        }
    }

    /// Takes a token and an in-flight permit for `ip`, or says which limit stopped it.
    fn admit(
        &self,
        ip: IpAddr,
        now: Instant,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, &'static str> {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if clients.len() >= MAX_TRACKED_CLIENTS {
            let (rate, burst, concurrency) = (self.rate, self.burst, self.concurrency);
            clients.retain(|_, c| {
                let tokens =
                    c.tokens + now.saturating_duration_since(c.refilled).as_secs_f64() * rate;
                tokens < burst || c.inflight.available_permits() < concurrency
            });
        }
        let client = clients.entry(ip).or_insert_with(|| Client {
            tokens: self.burst,
            refilled: now,
            inflight: Arc::new(Semaphore::new(self.concurrency)),
        });
        let elapsed = now.saturating_duration_since(client.refilled).as_secs_f64();
        client.tokens = (client.tokens + elapsed * self.rate).min(self.burst);
        client.refilled = now;
        if client.tokens < 1.0 {
            return Err("call rate limit exceeded; slow down");
        }
        let permit = client
            .inflight
            .clone()
            .try_acquire_owned()
            .map_err(|_| "too many calls in flight from this client")?;
        client.tokens -= 1.0;
        Ok(permit)
    }
}

/// The per-client limits as a jsonrpsee RPC middleware (one per connection).
#[derive(Clone)]
struct Limited<S> {
    inner: S,
    ip: IpAddr,
    limits: Arc<ClientLimits>,
    metrics: Arc<Metrics>,
}

impl<'a, S> RpcServiceT<'a> for Limited<S>
where
    S: RpcServiceT<'a> + Clone + Send + Sync + 'static,
{
    type Future = BoxFuture<'a, MethodResponse>;

    fn call(&self, request: Request<'a>) -> Self::Future {
        match self.limits.admit(self.ip, Instant::now()) {
            Ok(permit) => {
                let inner = self.inner.clone();
                async move {
                    let response = inner.call(request).await;
                    drop(permit);
                    response
                }
                .boxed()
            }
            Err(why) => {
                // Method names come from clients: only known ones become labels.
                let method = METHODS
                    .iter()
                    .find(|m| **m == request.method_name())
                    .copied()
                    .unwrap_or("other");
                self.metrics
                    .gateway_calls
                    .with_label_values(&[method, "rate_limited"])
                    .inc();
                let response = MethodResponse::error(request.id, error(RATE_LIMITED, why));
                async move { response }.boxed()
            }
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
    let bind = |source| ValidatorError::Bind {
        what: "gateway",
        addr,
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(bind)?;
    let bound = listener.local_addr().map_err(bind)?;
    let (stop_handle, server_handle) = stop_channel();
    let limits = Arc::new(ClientLimits::new(
        settings.rate_per_sec,
        settings.concurrency,
    ));
    let connections = Arc::new(Semaphore::new(
        usize::try_from(settings.max_connections).unwrap_or(1),
    ));
    let metrics = gateway.metrics.clone();
    let methods = gateway.into_rpc();
    let max_body = settings.max_request_bytes;
    tokio::spawn(accept(
        listener,
        methods,
        stop_handle,
        limits,
        connections,
        metrics,
        max_body,
        cancel,
    ));
    tracing::info!(addr = %bound, "gateway listening (JSON-RPC over HTTP and WebSocket)");
    Ok((bound, server_handle))
}

#[allow(clippy::too_many_arguments)]
async fn accept(
    listener: TcpListener,
    methods: jsonrpsee::RpcModule<Arc<Gateway>>,
    stop_handle: StopHandle,
    limits: Arc<ClientLimits>,
    connections: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    max_body: u32,
    cancel: CancellationToken,
) {
    loop {
        let (socket, remote) = tokio::select! {
            () = stop_handle.clone().shutdown() => return,
            () = cancel.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "gateway: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tracing::debug!(%remote, "gateway: connection limit reached; closing");
            drop(socket);
            continue;
        };
        let (ip, limits, metrics) = (remote.ip(), limits.clone(), metrics.clone());
        let middleware = RpcServiceBuilder::new().layer_fn(move |inner| Limited {
            inner,
            ip,
            limits: limits.clone(),
            metrics: metrics.clone(),
        });
        let service = Server::builder()
            .max_request_body_size(max_body)
            .max_response_body_size(16 * 1024 * 1024)
            .set_batch_request_config(BatchRequestConfig::Limit(32))
            .set_rpc_middleware(middleware)
            .to_service_builder()
            .build(methods.clone(), stop_handle.clone());
        let stopped = stop_handle.clone().shutdown();
        tokio::spawn(async move {
            if let Err(e) = serve_with_graceful_shutdown(socket, service, stopped).await {
                tracing::debug!(%remote, error = %e, "gateway connection ended with an error");
            }
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_limit_rate_and_calls_in_flight() {
        let limits = ClientLimits::new(2, 2);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        // Burst of twice the rate, but only two in flight.
        let a = limits.admit(ip, t0).unwrap();
        let b = limits.admit(ip, t0).unwrap();
        assert!(limits.admit(ip, t0).unwrap_err().contains("in flight"));
        drop((a, b));
        drop(limits.admit(ip, t0).unwrap());
        drop(limits.admit(ip, t0).unwrap());
        assert!(limits.admit(ip, t0).unwrap_err().contains("rate"));
        // Another client is not affected; time refills the bucket.
        drop(limits.admit(other, t0).unwrap());
        drop(limits.admit(ip, t0 + Duration::from_millis(600)).unwrap());
    }

    /// Answers per peer: after a delay, a label (`Some`) or a refusal (`None`).
    struct Scripted(HashMap<PeerId, (Duration, Option<u8>)>);

    impl InferTransport for Scripted {
        fn send(
            &self,
            peer: PeerId,
            _request: InferRequest,
            timeout: Duration,
        ) -> impl std::future::Future<Output = Result<InferResponse, mindos_mesh::MeshError>> + Send
        {
            let script = self.0.get(&peer).copied();
            async move {
                let Some((delay, label)) = script else {
                    return Err(mindos_mesh::MeshError::Unreachable(peer));
                };
                if delay > timeout {
                    tokio::time::sleep(timeout).await;
                    return Err(mindos_mesh::MeshError::Timeout);
                }
                tokio::time::sleep(delay).await;
                Ok(match label {
                    Some(label) => InferResponse::Ok {
                        payload: serde_json::json!({
                            "label": label,
                            "probabilities": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
                        }),
                    },
                    None => InferResponse::error(mindos_mesh::ErrorCode::Busy, "busy"),
                })
            }
        }
    }

    fn neuron(uid: u16, peer: PeerId) -> (PeerId, Neuron) {
        (
            peer,
            Neuron {
                uid,
                hotkey: [0; 32],
                peer: Some(peer),
                addrs: Vec::new(),
                validator_permit: false,
                stake: 0,
                reputation: 0.0,
                incentive: 0,
                emission: 0,
            },
        )
    }

    async fn run_slot(
        script: &[(Duration, Option<u8>)],
        hedge: Duration,
        budget: Duration,
    ) -> (Result<(u16, Output, Duration), SlotError>, Metrics) {
        let engine =
            mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
        let subnet = SubnetState::new(
            &crate::metagraph::ChainSubnet {
                netuid: 1,
                name: "digits".into(),
                task: None,
                tempo: 0,
                commit_reveal: false,
            },
            engine,
            crate::scoring::Scoreboard::new(0.1, Duration::from_millis(100)),
        );
        let peers: Vec<PeerId> = script.iter().map(|_| PeerId::random()).collect();
        let transport = Scripted(peers.iter().copied().zip(script.iter().copied()).collect());
        let mut queue: VecDeque<(PeerId, Neuron)> = peers
            .iter()
            .enumerate()
            .map(|(i, p)| neuron(u16::try_from(i).unwrap(), *p))
            .collect();
        let first = queue.pop_front();
        let metrics = Metrics::new().unwrap();
        let request = InferRequest {
            netuid: 1,
            request_id: 1,
            payload: serde_json::Value::Null,
        };
        let deadline = tokio::time::Instant::now() + budget;
        let result = slot(
            &transport,
            &metrics,
            &subnet,
            &request,
            first,
            Arc::new(Mutex::new(queue)),
            Timing {
                deadline,
                hedge_delay: hedge,
            },
        )
        .await;
        (result, metrics)
    }

    fn attempts(metrics: &Metrics, kind: &str) -> u64 {
        metrics.query_attempts.with_label_values(&["1", kind]).get()
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_request_is_hedged_and_the_faster_answer_wins() {
        let ms = Duration::from_millis;
        let (result, metrics) = run_slot(
            &[(ms(5000), Some(3)), (ms(10), Some(4))],
            ms(50),
            ms(10_000),
        )
        .await;
        let (uid, output, latency) = result.ok().unwrap();
        assert_eq!(uid, 1);
        assert!(matches!(output, Output::Digits(ref d) if d.label == 4));
        assert_eq!(latency, ms(10));
        assert_eq!(
            (attempts(&metrics, "primary"), attempts(&metrics, "hedge")),
            (1, 1)
        );
        // A fast primary is not hedged.
        let (result, metrics) =
            run_slot(&[(ms(10), Some(3)), (ms(10), Some(4))], ms(50), ms(10_000)).await;
        assert_eq!(result.ok().unwrap().0, 0);
        assert_eq!(attempts(&metrics, "hedge"), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_fail_over_and_the_budget_bounds_the_slot() {
        let ms = Duration::from_millis;
        // A refusal, then an answer.
        let (result, metrics) =
            run_slot(&[(ms(1), None), (ms(1), Some(7))], ms(1000), ms(10_000)).await;
        assert_eq!(result.ok().unwrap().0, 1);
        assert_eq!(attempts(&metrics, "failover"), 1);
        // Everyone refuses.
        let (result, _) = run_slot(&[(ms(1), None), (ms(1), None)], ms(1000), ms(10_000)).await;
        assert!(matches!(result, Err(SlotError::Exhausted)));
        // Nobody answers in time.
        let (result, _) = run_slot(
            &[(ms(60_000), Some(1)), (ms(60_000), Some(1))],
            ms(10),
            ms(500),
        )
        .await;
        assert!(matches!(result, Err(SlotError::Timeout)));
    }

    #[test]
    fn error_codes_are_distinct_and_named() {
        let codes: HashSet<i32> = ERROR_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes.len(), ERROR_CODES.len());
        assert_eq!(error_name(RATE_LIMITED), "rate_limited");
        assert_eq!(error_name(-32601), "other");
    }
}
