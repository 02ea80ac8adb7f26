//! `subnet_query`: check the options and the input, rank the subnet's miners, ask
//! `redundancy` of them at once (each slot hedged and failed over by
//! [`mindos_mesh::route::request_with_policy`]), and aggregate the answers.
//!
//! Every send is built for the miner it goes to, as a challenge is ([`Answers::request`]): its
//! uid and hotkey in the terms, a request id drawn for that send. An answer is used only if it
//! decodes and its signature verifies ([`Answers::check`]); one that does not is an invalid
//! output from that miner, which the slot fails over from, and never reaches aggregation.
//!
//! What one query may cost the miners is bounded: at most `2 × redundancy` requests in all
//! (each slot's first, then `redundancy` hedges and failovers shared by the slots), each
//! also taking a token of the gateway's miner budget ([`MinerBudget`]). It fails over only
//! on errors another miner may not have (not `invalid_input` or `too_large`), and does not
//! hedge when the subnet's miners report they are saturated or the budget runs low.
//!
//! The gateway keeps at most [`MINER_IN_FLIGHT`](super::limits::MINER_IN_FLIGHT) requests
//! in flight at one miner ([`Capped`]): fewer than the queue places the miner keeps for this
//! validator, so user queries never leave this validator's own challenges to that miner
//! answered `busy`. A miner at the cap is not a candidate; a request that finds it at the
//! cap all the same is answered `busy` here, without being sent, and fails over.

use mindos_primitives::{NetUid, Uid};
use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex, PoisonError,
    },
    time::{Duration, Instant},
};

use jsonrpsee::{core::RpcResult, types::ErrorObjectOwned};
use mindos_mesh::{
    evidence::TranscriptId,
    route::{
        request_with_policy, AttemptError, Candidate, FailoverPolicy, InferTransport, Judge,
        TryKind, Verdict,
    },
    wire::payload_from_value,
    ErrorCode, InferRequest, InferResponse, MeshError, PeerId,
};
use mindos_subnets::Output;
use serde_json::value::RawValue;

use super::{
    api::{
        error, QueryOptions, QueryResult, ServedBy, INVALID_INPUT, LOW_AGREEMENT,
        NO_MINER_AVAILABLE, RATE_LIMITED, TIMEOUT,
    },
    limits::{MinerBudget, MinerInFlight},
    Gateway,
};
use crate::{
    answers::Answers,
    config::{
        DEFAULT_REDUNDANCY, MAX_PUBLIC_REDUNDANCY, MAX_REDUNDANCY, MAX_REQUEST_TIMEOUT_MS,
        MIN_PUBLIC_REDUNDANCY,
    },
    metagraph::{Neuron, SubnetState},
    metrics::Metrics,
    reexec::QueryCheck,
    transcript::RequestKind,
};

/// Inputs up to this many bytes are checked on the query's task (a short text tokenizes in
/// tens of microseconds); larger ones on a blocking thread.
const INLINE_CHECK_BYTES: usize = 256;
/// Hedging waits at least this long, so a fast subnet does not double every request.
const MIN_HEDGE_DELAY: Duration = Duration::from_millis(5);
/// Hedge delay before enough latencies are known for a p90.
const DEFAULT_HEDGE_DELAY: Duration = Duration::from_millis(250);
/// A miner whose last capacity beat reports at least this load counts as saturated; when
/// half the candidates are, queries do not hedge (a hedge would only queue behind).
const SATURATED_LOAD: f64 = 0.9;

/// [`QueryOptions`] with the defaults filled in, each within its range.
struct Checked {
    redundancy: u32,
    timeout: Duration,
    min_agreement: f64,
}

impl QueryOptions {
    /// The options with defaults filled in, or an `invalid_input` error naming the first one
    /// out of range. A client without an API key asks [`MIN_PUBLIC_REDUNDANCY`] to
    /// [`MAX_PUBLIC_REDUNDANCY`] miners and needs at least `floor` agreement.
    fn check(
        self,
        default_timeout: Duration,
        authenticated: bool,
        floor: f64,
    ) -> Result<Checked, ErrorObjectOwned> {
        let redundancy = self.redundancy.unwrap_or(DEFAULT_REDUNDANCY);
        let (min, max) = if authenticated {
            (1, MAX_REDUNDANCY)
        } else {
            (MIN_PUBLIC_REDUNDANCY, MAX_PUBLIC_REDUNDANCY)
        };
        if !(min..=max).contains(&redundancy) {
            let key = if authenticated {
                String::new()
            } else {
                format!(" (1..={MAX_REDUNDANCY} with an API key)")
            };
            return Err(error(
                INVALID_INPUT,
                format!("redundancy {redundancy} is outside {min}..={max}{key}"),
            ));
        }
        let timeout = match self.timeout_ms {
            Some(ms) if (1..=MAX_REQUEST_TIMEOUT_MS).contains(&ms) => Duration::from_millis(ms),
            Some(ms) => {
                return Err(error(
                    INVALID_INPUT,
                    format!("timeout_ms {ms} is outside 1..={MAX_REQUEST_TIMEOUT_MS}"),
                ))
            }
            None => default_timeout,
        };
        let min_agreement = self.min_agreement.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&min_agreement) {
            return Err(error(
                INVALID_INPUT,
                format!("min_agreement {min_agreement} is outside 0..=1"),
            ));
        }
        // A public answer is one that most miners asked agree on (L12): the client may
        // only raise the floor.
        let min_agreement = if authenticated {
            min_agreement
        } else {
            min_agreement.max(floor)
        };
        Ok(Checked {
            redundancy,
            timeout,
            min_agreement,
        })
    }
}

impl Gateway {
    /// Runs `input` on the subnet's miners as `options` say and aggregates their answers:
    /// check, rank, ask `redundancy` miners at once, aggregate.
    pub(super) async fn query(
        &self,
        netuid: NetUid,
        input: serde_json::Value,
        options: QueryOptions,
        authenticated: bool,
    ) -> RpcResult<QueryResult> {
        let started = Instant::now();
        let subnet = self.subnet(netuid)?.clone();
        let checked = options.check(self.default_timeout, authenticated, self.min_agreement)?;
        let payload = self.check_input(&subnet, &input).await?;
        // A copy of the input for re-execution, only for the queries sampled.
        let sampled = self
            .reexec
            .as_ref()
            .filter(|sampler| sampler.sample())
            .map(|sampler| (sampler.clone(), payload.clone()));
        let answers = self.fan_out(&subnet, payload, &checked).await?;
        if let Some((sampler, payload)) = sampled {
            // Queued without waiting; the check runs after the user has the answer.
            sampler.submit(QueryCheck {
                netuid,
                payload,
                answers: answers
                    .iter()
                    .filter_map(|a| a.as_ref().ok())
                    .map(|a| (a.uid, a.peer, a.output.clone(), a.transcript))
                    .collect(),
            });
        }
        let result = aggregate(&subnet, answers, &checked)?;
        self.metrics
            .query_duration
            .with_label_values(&[netuid.to_string().as_str()])
            .observe(started.elapsed().as_secs_f64());
        Ok(result)
    }

    /// Asks the best `redundancy` miners at once, each slot with the spares shared between
    /// them; one result per slot.
    async fn fan_out(
        &self,
        subnet: &SubnetState,
        payload: Box<RawValue>,
        checked: &Checked,
    ) -> Result<Vec<Result<Answer, SlotError>>, ErrorObjectOwned> {
        let (candidates, saturated) = self.candidates(subnet).await;
        if candidates.is_empty() {
            return Err(error(
                NO_MINER_AVAILABLE,
                format!("subnet {} has no miner available", subnet.netuid),
            ));
        }
        let k = usize::try_from(checked.redundancy)
            .unwrap_or(1)
            .min(candidates.len());
        let spares = Spares::new(
            candidates.into_iter().collect(),
            checked.redundancy,
            &self.miner_budget,
        );
        let deadline = tokio::time::Instant::now()
            .checked_add(checked.timeout)
            .unwrap_or_else(tokio::time::Instant::now);
        // Hedging doubles a slow request; not when the miners are saturated or the
        // gateway is near its budget.
        let hedge_delay = (!saturated && !self.miner_budget.is_strained()).then(|| {
            subnet
                .latency_p90()
                .unwrap_or(DEFAULT_HEDGE_DELAY)
                .max(MIN_HEDGE_DELAY)
        });
        // What every miner asked is sent, less what names the miner: each send gets its own
        // terms and request id (`SlotJudge::request_for`), so this one's are placeholders.
        let request = InferRequest {
            netuid: subnet.netuid,
            request_id: 0,
            payload,
            challenge: None,
        };
        let timing = Timing {
            deadline,
            hedge_delay,
        };
        let transport = Capped {
            inner: &self.mesh,
            in_flight: &self.in_flight,
        };
        ask(
            &transport,
            &self.metrics,
            &self.answers,
            subnet,
            &request,
            k,
            &spares,
            timing,
        )
        .await
    }

    /// Refuses an input larger than the limit or outside the subnet's schema; returns the
    /// payload the miners get: the JSON text the subnet checked.
    async fn check_input(
        &self,
        subnet: &SubnetState,
        input: &serde_json::Value,
    ) -> Result<Box<RawValue>, ErrorObjectOwned> {
        let payload =
            payload_from_value(input).map_err(|e| error(INVALID_INPUT, format!("input: {e}")))?;
        let size = payload.get().len();
        if size > self.max_input_bytes {
            return Err(error(
                INVALID_INPUT,
                format!(
                    "input is {size} bytes, more than the limit of {}",
                    self.max_input_bytes
                ),
            ));
        }
        // Checking a text means tokenizing it: microseconds for a sentence, milliseconds for
        // 16 KiB, which must not hold up the executor's other queries.
        let (checked, payload) = if size <= INLINE_CHECK_BYTES {
            let checked = subnet.engine.decode_input(payload.get().as_bytes());
            (checked.map(drop), payload)
        } else {
            let engine = subnet.engine.clone();
            let check = move || {
                let checked = engine.decode_input(payload.get().as_bytes());
                (checked.map(drop), payload)
            };
            match tokio::task::spawn_blocking(check).await {
                Ok(checked) => checked,
                Err(e) => {
                    return Err(error(
                        NO_MINER_AVAILABLE,
                        format!("the input could not be checked: {e}"),
                    ))
                }
            }
        };
        checked.map(|()| payload).map_err(|e| {
            if e.is_bad_input() {
                error(INVALID_INPUT, e.to_string())
            } else {
                error(
                    NO_MINER_AVAILABLE,
                    format!("the input could not be checked: {e}"),
                )
            }
        })
    }

    /// Candidates for `subnet`, best first, with exploration; resting miners and miners with
    /// as many requests of this gateway in flight as [`MinerInFlight`] allows left out. And
    /// whether the subnet is saturated: half the candidates with a capacity beat report a
    /// load of at least [`SATURATED_LOAD`].
    async fn candidates(&self, subnet: &SubnetState) -> (Vec<(PeerId, Neuron)>, bool) {
        let now = Instant::now();
        let miners: HashMap<PeerId, Neuron> = subnet
            .served_miners()
            .into_iter()
            .filter_map(|m| {
                let peer = m
                    .peer
                    .filter(|p| !subnet.is_resting(p, now) && !self.in_flight.is_full(p))?;
                Some((peer, m))
            })
            .collect();
        self.peers.refresh_rtts(&self.mesh).await;
        let scores = subnet
            .scores
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .scores()
            .clone();
        let mut loads = Vec::new();
        let candidates: Vec<Candidate> = miners
            .iter()
            .map(|(peer, m)| {
                let seen = self.peers.get(peer).unwrap_or_default();
                let mut candidate = Candidate::new(*peer);
                candidate.rtt = seen.rtt;
                candidate.beat = seen.beat.filter(|b| b.netuid == subnet.netuid);
                if let Some(beat) = &candidate.beat {
                    loads.push(beat.load_fraction());
                }
                // This validator's own score is the freshest reputation; the chain's is the
                // fallback for miners not challenged yet.
                candidate.reputation = match scores.get(&m.uid) {
                    Some(s) if s.hotkey == m.hotkey && s.samples > 0 => Some(s.score()),
                    _ => (m.reputation > 0.0).then_some(m.reputation),
                };
                candidate
            })
            .collect();
        let order = self
            .router
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .select(&candidates, candidates.len(), &HashSet::new());
        let ranked = order
            .into_iter()
            .filter_map(|peer| miners.get(&peer).map(|m| (peer, m.clone())))
            .collect();
        (ranked, is_saturated(&loads))
    }
}

/// Whether a subnet whose miners' capacity beats report `loads` is saturated: at least half
/// of them at [`SATURATED_LOAD`] or more. Without beats nothing is known: not saturated.
fn is_saturated(loads: &[f64]) -> bool {
    let full = loads.iter().filter(|l| **l >= SATURATED_LOAD).count();
    !loads.is_empty() && full.saturating_mul(2) >= loads.len()
}

/// The miners a query's slots share, best first, and what it may send beyond each slot's
/// first request: `redundancy` hedges and failovers in all (so never more than
/// `2 × redundancy` requests), each also paid from the gateway's miner budget.
struct Spares<'a> {
    queue: Mutex<VecDeque<(PeerId, Neuron)>>,
    extra: AtomicUsize,
    budget: &'a MinerBudget,
}

impl<'a> Spares<'a> {
    fn new(queue: VecDeque<(PeerId, Neuron)>, redundancy: u32, budget: &'a MinerBudget) -> Self {
        Self {
            queue: Mutex::new(queue),
            extra: AtomicUsize::new(usize::try_from(redundancy).unwrap_or(1)),
            budget,
        }
    }

    /// The best miner left (a slot's first: paid for by the caller).
    fn pop(&self) -> Option<(PeerId, Neuron)> {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }

    /// The best miner left for a hedge or failover; `None` once none is left or the
    /// query's or the gateway's allowance is spent.
    fn take(&self) -> Option<(PeerId, Neuron)> {
        let allowed = self
            .extra
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
            && self.budget.take();
        allowed.then(|| self.pop()).flatten()
    }

    /// The miners still queued.
    fn miners(&self) -> Vec<(PeerId, Neuron)> {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// Starts `k` slots at once, slot i on the i-th best miner left, as many as the gateway's
/// miner budget pays for; one result per slot started, or `rate_limited` if the budget
/// could not pay for any.
#[allow(clippy::too_many_arguments)]
async fn ask<T: InferTransport>(
    transport: &T,
    metrics: &Metrics,
    answers: &Answers,
    subnet: &SubnetState,
    request: &InferRequest,
    k: usize,
    spares: &Spares<'_>,
    timing: Timing,
) -> Result<Vec<Result<Answer, SlotError>>, ErrorObjectOwned> {
    let mut firsts = Vec::with_capacity(k);
    for _ in 0..k {
        if !spares.budget.take() {
            break;
        }
        firsts.push(spares.pop());
    }
    if firsts.is_empty() {
        return Err(error(
            RATE_LIMITED,
            "the gateway is sending miners all the requests it may; try again shortly",
        ));
    }
    let slots = firsts.into_iter().map(|first| {
        slot(
            transport, metrics, answers, subnet, request, first, spares, timing,
        )
    });
    Ok(futures::future::join_all(slots).await)
}

/// The slots' answers aggregated by the subnet's rule, or why there is no answer: none came
/// (`timeout` if a slot ran out of time, else `no_miner_available`), or they agree less
/// than `min_agreement`. Agreement is counted against the `redundancy` answers the query
/// asked for, not the answers that arrived: one answer where two were asked agrees ½, so
/// a lone miner cannot pass a public floor above that.
fn aggregate(
    subnet: &SubnetState,
    answers: Vec<Result<Answer, SlotError>>,
    checked: &Checked,
) -> RpcResult<QueryResult> {
    let mut outputs: Vec<Output> = Vec::new();
    let mut served_by = Vec::new();
    let mut timed_out = false;
    for answer in answers {
        match answer {
            Ok(Answer {
                uid,
                output,
                latency,
                ..
            }) => {
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
                format!(
                    "no miner answered within {} ms",
                    checked.timeout.as_millis()
                ),
            )
        } else {
            error(
                NO_MINER_AVAILABLE,
                format!("every miner asked on subnet {} failed", subnet.netuid),
            )
        });
    }
    let aggregate = subnet.engine.aggregate(&outputs).map_err(|e| {
        error(
            NO_MINER_AVAILABLE,
            format!("no valid answer to aggregate: {e}"),
        )
    })?;
    let agreement = required_agreement(
        f64::from(aggregate.agreement),
        outputs.len(),
        checked.redundancy,
    );
    let min_agreement = checked.min_agreement;
    if agreement < min_agreement {
        return Err(error(
            LOW_AGREEMENT,
            format!("the answers agree {agreement:.2}, less than min_agreement {min_agreement:.2}"),
        ));
    }
    let output = serde_json::to_value(&aggregate.value)
        .map_err(|e| error(NO_MINER_AVAILABLE, format!("encoding the answer: {e}")))?;
    Ok(QueryResult {
        output,
        agreement,
        served_by,
    })
}

/// The share of `redundancy` required answers that agree, when `share` of the `answers`
/// that arrived agree with the aggregate.
fn required_agreement(share: f64, answers: usize, redundancy: u32) -> f64 {
    // A slot gives at most one answer, so `answers ≤ redundancy`; the `max` only guards.
    let required = f64::from(redundancy).max(answers as f64).max(1.0);
    (share * answers as f64 / required).clamp(0.0, 1.0)
}

/// `inner` with at most [`MINER_IN_FLIGHT`](super::limits::MINER_IN_FLIGHT) requests in
/// flight per miner: past it a request is answered `busy` at once, unsent (a retryable
/// refusal: the slot fails over).
struct Capped<'a, T> {
    inner: &'a T,
    in_flight: &'a MinerInFlight,
}

impl<T: InferTransport> InferTransport for Capped<'_, T> {
    fn send(
        &self,
        peer: PeerId,
        request: InferRequest,
        timeout: Duration,
    ) -> impl std::future::Future<Output = Result<InferResponse, MeshError>> + Send {
        let place = self.in_flight.acquire(peer);
        let sent = place
            .is_some()
            .then(|| self.inner.send(peer, request, timeout));
        async move {
            let Some(sent) = sent else {
                return Ok(InferResponse::error(
                    ErrorCode::Busy,
                    "this gateway has as many requests in flight at the miner as it may",
                ));
            };
            let answer = sent.await;
            drop(place);
            answer
        }
    }
}

/// One slot's answer.
#[derive(Debug)]
struct Answer {
    /// The miner's uid.
    uid: Uid,
    /// The peer that answered.
    peer: PeerId,
    /// Its decoded output.
    output: Output,
    /// How long it took.
    latency: Duration,
    /// Its transcript's id, when the answer was signed against challenge terms (on a chain):
    /// what the sentinel duty reports by if re-execution finds the answer wrong.
    transcript: Option<TranscriptId>,
}

/// Why a slot has no answer.
#[derive(Debug)]
enum SlotError {
    /// The deadline passed, or a miner timed out before the spares ran out.
    Timeout,
    /// Every miner it asked failed.
    Exhausted,
}

/// When a query must be answered, and when a slow request is hedged (`None`: never).
#[derive(Clone, Copy, Debug)]
struct Timing {
    deadline: tokio::time::Instant,
    hedge_delay: Option<Duration>,
}

/// One of `redundancy` answers: asks `first`, hedges to a spare once the request runs past
/// the hedge delay, fails over to spares on retryable errors, until one answers, the
/// deadline passes or the query's allowance ([`Spares`]) is spent.
/// The policy is the mesh's ([`request_with_policy`]); [`SlotJudge`] adds what only the
/// gateway knows: each miner's own request (its terms, a fresh request id), which answers
/// decode and are signed, the metrics and the miners' health.
#[allow(clippy::too_many_arguments)]
async fn slot<T: InferTransport>(
    transport: &T,
    metrics: &Metrics,
    answers: &Answers,
    subnet: &SubnetState,
    request: &InferRequest,
    first: Option<(PeerId, Neuron)>,
    spares: &Spares<'_>,
    Timing {
        deadline,
        hedge_delay,
    }: Timing,
) -> Result<Answer, SlotError> {
    let Some(first) = first else {
        return Err(SlotError::Exhausted);
    };
    // The slot's own miner and the spares still free: every peer it may ask.
    let miners: HashMap<PeerId, Neuron> = std::iter::once(first.clone())
        .chain(spares.miners())
        .collect();
    // Set by the judge when a miner refuses the request itself: no other would take it.
    let hopeless = Arc::new(AtomicBool::new(false));
    let stop = hopeless.clone();
    let candidates = std::iter::once(first.0).chain(std::iter::from_fn(move || {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        spares.take().map(|(peer, _)| peer)
    }));
    let mut policy =
        FailoverPolicy::sequential(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .with_deadline(deadline);
    if let Some(delay) = hedge_delay {
        policy = policy.with_hedge_after(delay);
    }
    let judge = SlotJudge {
        metrics,
        answers,
        subnet,
        miners: &miners,
        netuid: subnet.netuid.to_string(),
        hopeless,
    };
    match request_with_policy(transport, candidates, request, policy, judge).await {
        Ok(served) => match miners.get(&served.peer) {
            Some(miner) => {
                let (output, transcript) = served.response;
                Ok(Answer {
                    uid: miner.uid,
                    peer: served.peer,
                    output,
                    latency: served.latency,
                    transcript,
                })
            }
            // Cannot happen: every peer asked came from `miners`.
            None => Err(SlotError::Exhausted),
        },
        Err(e) if e.timed_out() => Err(SlotError::Timeout),
        Err(_) => Err(SlotError::Exhausted),
    }
}

/// The gateway's judgement of a miner's answer: only an output that decodes and is signed as
/// the request's terms require ([`Answers::check`]) counts; a retryable failure fails over, a
/// refusal of the request itself (`invalid_input`, `too_large`) or a local mesh failure ends
/// the slot. Makes each miner its own request, counts each attempt and records each answer in
/// the miner's health as it comes.
struct SlotJudge<'a> {
    metrics: &'a Metrics,
    answers: &'a Answers,
    subnet: &'a SubnetState,
    /// Every miner the slot may ask, by PeerId.
    miners: &'a HashMap<PeerId, Neuron>,
    /// The subnet as a metric label.
    netuid: String,
    /// Set when no other miner would answer: the slot draws no more candidates.
    hopeless: Arc<AtomicBool>,
}

impl Judge for SlotJudge<'_> {
    /// The decoded output, and the id of its transcript when it was signed.
    type Output = (Output, Option<TranscriptId>);

    fn request_for(
        &mut self,
        peer: PeerId,
        _kind: TryKind,
        request: &InferRequest,
    ) -> InferRequest {
        self.answers
            .request(self.subnet, self.miners.get(&peer), request.payload.clone())
    }

    fn sent(&mut self, _peer: PeerId, kind: TryKind) {
        self.metrics
            .query_attempts
            .with_label_values(&[self.netuid.as_str(), kind.as_str()])
            .inc();
    }

    fn judge(
        &mut self,
        peer: PeerId,
        latency: Duration,
        request: &InferRequest,
        answer: Result<InferResponse, MeshError>,
    ) -> Verdict<Self::Output> {
        let output = match answer {
            Ok(InferResponse::Ok { payload, receipt }) => {
                // A peer not among the slot's miners cannot have been asked.
                let uid = self.miners.get(&peer).map_or(Uid(u16::MAX), |m| m.uid);
                self.answers
                    .check_signed(
                        self.subnet,
                        peer,
                        uid,
                        RequestKind::Query,
                        request,
                        latency,
                        payload,
                        receipt.as_ref(),
                    )
                    .map(|(output, evidence)| {
                        let transcript = evidence.map(|e| TranscriptId::of(&e.response.challenge));
                        (output, transcript)
                    })
                    .map_err(|e| AttemptError::Unusable {
                        reason: e.to_string(),
                    })
            }
            Ok(InferResponse::Err { code, message }) if !code.is_retryable() => {
                // The request's own fault: not the miner's health, and no one else's turn.
                tracing::debug!(%peer, ?code, %message, "miner refused the query itself");
                self.hopeless.store(true, Ordering::Relaxed);
                return Verdict::FailOver(AttemptError::Refused { code, message });
            }
            Ok(InferResponse::Err { code, message }) => {
                tracing::debug!(%peer, ?code, %message, "miner refused a query");
                Err(AttemptError::Refused { code, message })
            }
            Err(e) if !e.is_retryable() => {
                tracing::debug!(%peer, error = %e, "query failed here; not failing over");
                return Verdict::Stop(e);
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "query to a miner failed");
                Err(AttemptError::Mesh(e))
            }
        };
        match output {
            Ok(output) => {
                self.subnet.record_attempt(peer, Some(latency));
                Verdict::Served(output)
            }
            Err(error) => {
                self.subnet.record_attempt(peer, None);
                Verdict::FailOver(error)
            }
        }
    }
}

#[cfg(test)]
mod tests;
