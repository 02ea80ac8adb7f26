//! Challenges: every round (`--challenge-interval-ms`), each served miner of a subnet gets
//! an input made fresh for it (`SubnetEngine::fresh_input` from a random seed: an augmented
//! digit, a text composed from the tokenizer's vocabulary), in an ordinary `/mindos/infer/1`
//! request built as the gateway builds a user's (terms for that miner, a random request id:
//! [`crate::answers`]) — nothing tells it from a user's query, and no miner can have seen the
//! input before, so none can answer it from a table. The reference answer is the validator's
//! own run of the pinned model on it ([`crate::reexec`], off the executor, the round's inputs
//! in one batch). The answer is used only if its signature verifies (an unsigned answer scores
//! as an invalid one); it is scored by the subnet's rule against the reference and folded into
//! the miner's averages ([`crate::scoring`]); a signed one that disagrees with the reference
//! (`SubnetEngine::agrees`) is also kept as a [`Mismatch`] for the sentinel duty. Now and then
//! one miner of a round gets a canary instead of its fresh input ([`crate::sentinel::canary`]):
//! the same request, scored the same way, and opened on chain if its signed answer is wrong.
//!
//! Rounds cover every served uid, so within a tempo (many rounds) every validator has
//! scored every miner: consensus needs validators to overlap on the miners they weigh.
//! A refusal with `unauthorized` is not the miner's fault (this validator has no permit
//! yet, or the miner has not seen it) and records nothing. Nor does one `busy` (a full queue
//! is not a wrong answer), but a run of them does: every
//! [`BUSY_RUN_MISS`](crate::scoring::BUSY_RUN_MISS) consecutive `busy` answers count as one
//! availability miss, so a miner cannot keep its score by refusing whatever looks like a
//! challenge. The miner's queue keeps places for each validator whatever other callers
//! send, and the gateway leaves this validator's own challenges room in them.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt;
use mindos_mesh::{
    receipt::SignedAnswer,
    wire::{payload_from_value, Receipt},
    ErrorCode, InferRequest, InferResponse, MeshError, PeerId,
};
use mindos_subnets::{Disagreement, Input, Output, SubnetEngine};
use serde_json::value::RawValue;

use crate::{
    answers::{Answers, Rejected},
    metagraph::{Neuron, SubnetState},
    reexec::Mismatch,
    scoring::{Outcome, Scoreboard},
    sentinel::canary::Drawn,
    transcript::RequestKind,
    Context, Rng,
};

/// Challenges in flight at once per subnet.
const CONCURRENCY: usize = 8;

/// Runs challenge rounds on `subnet` until shutdown.
pub(crate) async fn run(ctx: Arc<Context>, subnet: Arc<SubnetState>) {
    let Context {
        challenge: settings,
        metrics,
        store,
        cancel,
        ..
    } = &*ctx;
    let mut ticker = tokio::time::interval(settings.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rng = Rng::from_entropy();
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let miners = subnet.served_miners();
        if miners.is_empty() {
            continue;
        }
        // One fresh input per miner: miners comparing notes see different inputs.
        let seeds: Vec<u64> = miners.iter().map(|_| fresh_seed(&mut rng)).collect();
        let fresh = tokio::select! {
            () = cancel.cancelled() => return,
            fresh = ctx.reexec.fresh(subnet.engine.clone(), seeds) => fresh,
        };
        let fresh = match fresh {
            Ok(fresh) => fresh,
            Err(e) => {
                tracing::warn!(netuid = %subnet.netuid, error = %e, "no references for a round");
                continue;
            }
        };
        let mut tasks: Vec<Task> = fresh
            .into_iter()
            .map(|(input, reference)| Task::Fresh { input, reference })
            .collect();
        // At most one canary a round, to one miner in place of its fresh input.
        if let Some(canaries) = ctx.canaries.as_ref().filter(|c| c.this_round()) {
            let at = u64::try_from(tasks.len())
                .ok()
                .and_then(|n| rng.next_u64().checked_rem(n))
                .and_then(|at| usize::try_from(at).ok())
                .unwrap_or(0);
            if let (Some(drawn), Some(task)) = (canaries.draw(&subnet).await, tasks.get_mut(at)) {
                *task = Task::Canary(drawn);
            }
        }
        let round = futures::stream::iter(miners.into_iter().zip(tasks))
            .map(|(miner, task)| challenge_one(&ctx, &subnet, miner, task))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<()>>();
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = round => {}
        }
        let scores = subnet
            .scores
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .scores()
            .clone();
        let netuid = subnet.netuid;
        let label = netuid.to_string();
        for (uid, score) in &scores {
            metrics
                .miner_score
                .with_label_values(&[label.as_str(), uid.to_string().as_str()])
                .set(score.score());
        }
        let store = store.clone();
        // redb commits with an fsync: off the executor.
        let saved = tokio::task::spawn_blocking(move || store.put_scores(netuid, &scores)).await;
        match saved {
            Ok(Err(e)) => tracing::warn!(%netuid, error = %e, "saving scores failed"),
            Err(e) => tracing::warn!(%netuid, error = %e, "saving scores failed"),
            Ok(Ok(())) => {}
        }
    }
}

/// A seed for a fresh input, from the OS: SplitMix64's state follows from one output, so a
/// seed from a generator whose outputs a miner might see (as request ids) would let it compute
/// the coming challenges. `rng` stands in only if the OS has no randomness to give.
fn fresh_seed(rng: &mut Rng) -> u64 {
    let mut seed = [0u8; 8];
    match getrandom::getrandom(&mut seed) {
        Ok(()) => u64::from_le_bytes(seed),
        Err(e) => {
            tracing::warn!(error = %e, "no OS randomness for a challenge seed");
            rng.next_u64()
        }
    }
}

/// What one miner of a round is sent.
#[derive(Debug)]
enum Task {
    /// A fresh input and the validator's own answer to it.
    Fresh { input: Input, reference: Output },
    /// A canary ([`crate::sentinel::canary`]).
    Canary(Drawn),
}

async fn challenge_one(ctx: &Context, subnet: &SubnetState, miner: Neuron, task: Task) {
    let Context {
        mesh,
        challenge: settings,
        metrics,
        answers,
        reexec,
        ..
    } = ctx;
    let netuid = subnet.netuid;
    let Some(peer) = miner.peer else {
        return;
    };
    let (payload, input, reference, canary) = match task {
        Task::Fresh { input, reference } => match payload_from_value(&input) {
            Ok(payload) => (payload, input, reference, None),
            Err(e) => {
                tracing::warn!(%netuid, error = %e, "cannot encode a challenge");
                return;
            }
        },
        Task::Canary(drawn) => (
            drawn.payload.clone(),
            drawn.input.clone(),
            drawn.reference.clone(),
            Some(drawn),
        ),
    };
    let kind = match canary {
        Some(_) => RequestKind::Canary,
        None => RequestKind::Challenge,
    };
    let request = answers.request(subnet, Some(&miner), payload);
    let started = Instant::now();
    let answer = mesh.request(peer, request.clone(), settings.timeout).await;
    let latency = started.elapsed();
    let sent = Sent {
        peer,
        miner: &miner,
        request: &request,
        kind,
    };
    let (judged, evidence) = judge_signed(answers, subnet, sent, &reference, answer, latency);
    if let (Some(canary), Some(canaries)) = (canary, ctx.canaries.clone()) {
        // Opening waits for the chain: not on the round's time.
        let uid = miner.uid;
        tokio::spawn(async move { canaries.settle(netuid, uid, &canary, evidence).await });
    }
    let outcome = match judged {
        Ok((outcome, disagreement)) => {
            if let Some(reason) = disagreement {
                reexec.mismatch(Mismatch {
                    netuid,
                    uid: miner.uid,
                    hotkey: miner.hotkey,
                    peer: Some(peer),
                    kind,
                    input,
                    reason,
                    challenge: request
                        .evidence_challenge()
                        .map(|c| mindos_mesh::evidence::TranscriptId::of(&c)),
                });
            }
            outcome
        }
        Err(unscored) => {
            metrics
                .challenges
                .with_label_values(&[netuid.to_string().as_str(), unscored.label()])
                .inc();
            let missed = fold_unscored(
                &mut subnet
                    .scores
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                &miner,
                unscored,
            );
            if missed {
                tracing::debug!(%netuid, uid = %miner.uid, %peer, "busy for a run of challenges: an availability miss");
            }
            return;
        }
    };
    let label = match outcome {
        Outcome::Answered { .. } => "answered",
        Outcome::Failed => "failed",
    };
    tracing::trace!(%netuid, uid = %miner.uid, %peer, ?outcome, "challenge scored");
    metrics
        .challenges
        .with_label_values(&[netuid.to_string().as_str(), label])
        .inc();
    subnet.record_attempt(
        peer,
        matches!(outcome, Outcome::Answered { .. }).then_some(latency),
    );
    let answered = matches!(outcome, Outcome::Answered { .. });
    subnet
        .scores
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .record(miner.uid, miner.hotkey, outcome);
    if answered && request.challenge.is_some() && reask_now(settings.reask_percent) {
        reask(ctx, subnet, &miner, peer, &request).await;
    }
}

/// Whether to send this challenge again: `percent` of the time, drawn from the OS (a miner
/// sees request ids, so nothing it sees may tell which challenges come again).
fn reask_now(percent: u8) -> bool {
    if percent == 0 {
        return false;
    }
    let mut byte = [0u8; 4];
    getrandom::getrandom(&mut byte).is_ok() && u32::from_le_bytes(byte) % 100 < u32::from(percent)
}

/// Sends `request` to the miner again (same request, same nonce) and checks the answer: a
/// verified signed answer is recorded as a transcript of the same challenge, where the
/// evidence store finds a different output as equivocation for the sentinel duty
/// ([`crate::store::Store::take_equivocations`]). An honest miner signs once and re-sends its
/// answer. Not scored: the first answer was.
async fn reask(
    ctx: &Context,
    subnet: &SubnetState,
    miner: &Neuron,
    peer: PeerId,
    request: &InferRequest,
) {
    let started = Instant::now();
    let answer = ctx
        .mesh
        .request(peer, request.clone(), ctx.challenge.timeout)
        .await;
    let Ok(InferResponse::Ok { payload, receipt }) = answer else {
        tracing::debug!(netuid = %subnet.netuid, uid = %miner.uid, %peer, "a re-sent challenge got no answer");
        return;
    };
    let checked = ctx.answers.check(
        subnet,
        peer,
        miner.uid,
        RequestKind::Challenge,
        request,
        started.elapsed(),
        payload,
        receipt.as_ref(),
    );
    tracing::debug!(netuid = %subnet.netuid, uid = %miner.uid, %peer, usable = checked.is_ok(), "a challenge re-sent to catch equivocation");
}

/// Why a challenge's answer says nothing about the miner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unscored {
    /// `unauthorized`: this validator has no permit yet, or the miner has not seen it.
    NotPermitted,
    /// `busy`: the miner's queue is full. Scoring it a failure would let anyone who fills a
    /// miner's queue (through any gateway) lower its score; the queue is the miner's to
    /// share fairly, and a miner that is always busy earns nothing from its answers anyway.
    Busy,
}

impl Unscored {
    /// The `outcome` label of `mindos_validator_challenges_total`.
    fn label(self) -> &'static str {
        match self {
            Self::NotPermitted => "not_permitted",
            Self::Busy => "busy",
        }
    }
}

/// Folds an answer that is no sample into `board`: a `busy` counts toward a run
/// ([`Scoreboard::record_busy`]). Returns whether an availability miss was recorded.
fn fold_unscored(board: &mut Scoreboard, miner: &Neuron, unscored: Unscored) -> bool {
    match unscored {
        Unscored::NotPermitted => false,
        Unscored::Busy => board.record_busy(miner.uid, miner.hotkey),
    }
}

/// A challenge as it was sent.
#[derive(Clone, Copy)]
struct Sent<'a> {
    peer: PeerId,
    miner: &'a Neuron,
    request: &'a InferRequest,
    /// A challenge or a canary (the transcript says which).
    kind: RequestKind,
}

/// What [`judge`] makes of an answer.
type Judged = Result<(Outcome, Option<Disagreement>), Unscored>;

/// [`judge`] of the answer to the challenge `sent` on `subnet`, used only if `answers` finds it
/// signed as the challenge's terms require (and then kept as evidence); with the evidence.
fn judge_signed(
    answers: &Answers,
    subnet: &SubnetState,
    sent: Sent<'_>,
    reference: &Output,
    answer: Result<InferResponse, MeshError>,
    latency: Duration,
) -> (Judged, Option<SignedAnswer>) {
    let mut evidence = None;
    let usable = |payload, receipt: Option<Receipt>| {
        answers
            .check_signed(
                subnet,
                sent.peer,
                sent.miner.uid,
                sent.kind,
                sent.request,
                latency,
                payload,
                receipt.as_ref(),
            )
            .map(|(output, signed)| {
                evidence = signed;
                output
            })
    };
    let judged = judge(&*subnet.engine, reference, answer, latency, usable);
    (judged, evidence)
}

/// What a challenge's `answer` says about the miner, and how it disagrees with the
/// re-executed `reference` if it does; or why it says nothing. `usable` makes an answer's
/// payload and receipt the output to score, or says why not: one that does not decode fails
/// and disagrees ([`Disagreement::Invalid`]); one not signed as its terms require
/// ([`crate::answers::Answers::check`]) fails but proves nothing. One over the subnet's
/// response limit never got here (the mesh refused it as too large: a failure). A refusal or a
/// timeout is no disagreement: only an answer can be wrong.
fn judge(
    engine: &dyn SubnetEngine,
    reference: &Output,
    answer: Result<InferResponse, MeshError>,
    latency: Duration,
    usable: impl FnOnce(Box<RawValue>, Option<Receipt>) -> Result<Output, Rejected>,
) -> Result<(Outcome, Option<Disagreement>), Unscored> {
    match answer {
        Ok(InferResponse::Ok { payload, receipt }) => Ok(match usable(payload, receipt) {
            Ok(output) => (
                Outcome::Answered {
                    quality: f64::from(engine.score(&output, reference)),
                    latency,
                },
                engine.agrees(&output, reference).err(),
            ),
            Err(Rejected::Invalid(reason)) => {
                (Outcome::Failed, Some(Disagreement::Invalid { reason }))
            }
            Err(Rejected::Unsigned(_)) => (Outcome::Failed, None),
        }),
        Ok(InferResponse::Err {
            code: ErrorCode::Unauthorized,
            ..
        }) => Err(Unscored::NotPermitted),
        Ok(InferResponse::Err {
            code: ErrorCode::Busy,
            ..
        }) => Err(Unscored::Busy),
        Ok(InferResponse::Err { .. }) | Err(_) => Ok((Outcome::Failed, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits() -> Arc<dyn SubnetEngine> {
        mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap()
    }

    /// Uses an answer that decodes, signed or not (as on a mesh without a chain).
    fn decoded(
        engine: &dyn SubnetEngine,
    ) -> impl Fn(Box<RawValue>, Option<Receipt>) -> Result<Output, Rejected> + Copy + '_ {
        |payload, _| {
            engine
                .decode_output(payload.get().as_bytes())
                .map_err(|e| Rejected::Invalid(e.to_string()))
        }
    }

    #[test]
    fn a_busy_miner_is_not_scored_a_wrong_answer_and_a_silent_one_is() {
        let engine = digits();
        let reference = engine.challenge(0).unwrap().reference;
        let latency = Duration::from_millis(3);
        let busy = Ok(InferResponse::error(ErrorCode::Busy, "the queue is full"));
        assert_eq!(
            judge(&*engine, &reference, busy, latency, decoded(&*engine)),
            Err(Unscored::Busy)
        );
        let unauthorized = Ok(InferResponse::error(ErrorCode::Unauthorized, "who are you"));
        assert_eq!(
            judge(
                &*engine,
                &reference,
                unauthorized,
                latency,
                decoded(&*engine)
            )
            .ok()
            .map(|(outcome, _)| outcome),
            None
        );
        // Failures that are the miner's own still count.
        let internal = Ok(InferResponse::error(
            ErrorCode::Internal,
            "the model failed",
        ));
        assert_eq!(
            judge(&*engine, &reference, internal, latency, decoded(&*engine))
                .ok()
                .map(|(outcome, _)| outcome),
            Some(Outcome::Failed)
        );
        assert_eq!(
            judge(
                &*engine,
                &reference,
                Err(MeshError::Timeout),
                latency,
                decoded(&*engine)
            )
            .ok()
            .map(|(outcome, _)| outcome),
            Some(Outcome::Failed)
        );
        let garbage = Ok(InferResponse::encode_ok(&serde_json::json!({"label": "seven"})).unwrap());
        assert_eq!(
            judge(&*engine, &reference, garbage, latency, decoded(&*engine))
                .ok()
                .map(|(outcome, _)| outcome),
            Some(Outcome::Failed)
        );
    }

    #[test]
    fn a_challenge_answer_counts_only_if_its_miner_signed_it_for_the_challenge() {
        use crate::answers::testing::{digits_answer, digits_on_chain, on_chain, Signing};
        let metrics = Arc::new(crate::metrics::Metrics::new().unwrap());
        let (answers, sink) = on_chain(metrics.clone());
        let subnet = digits_on_chain();
        let challenge = subnet.engine.challenge(0).unwrap();
        let Output::Digits(ref right) = challenge.reference else {
            panic!("a digits reference");
        };
        let key = mindos_mesh::Keypair::generate_ed25519();
        let peer = key.public().to_peer_id();
        let miner = crate::answers::testing::neuron(3, peer);
        let payload = payload_from_value(&challenge.input).unwrap();
        let request = answers.request(&subnet, Some(&miner), payload);
        let terms = request.challenge.as_ref().unwrap();
        assert_eq!((terms.uid, terms.hotkey), (miner.uid, miner.hotkey));
        let sent = Sent {
            peer,
            miner: &miner,
            request: &request,
            kind: RequestKind::Challenge,
        };
        let latency = Duration::from_millis(10);
        let outcome = |signing| {
            let answer = Ok(digits_answer(&key, &request, right.label, signing));
            judge_signed(
                &answers,
                &subnet,
                sent,
                &challenge.reference,
                answer,
                latency,
            )
            .0
            .map(|(outcome, _)| outcome)
        };
        // The right answer, signed: a full-quality sample, and evidence.
        assert_eq!(
            outcome(Signing::Honest),
            Ok(Outcome::Answered {
                quality: 1.0,
                latency
            })
        );
        let kept = sink.taken();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (kept[0].kind, kept[0].uid()),
            (RequestKind::Challenge, miner.uid)
        );
        // The right answer, not signed for this challenge by this miner: an invalid answer.
        for signing in [
            Signing::Unsigned,
            Signing::OtherKey,
            Signing::OtherRequest,
            Signing::OtherOutput,
        ] {
            assert_eq!(outcome(signing), Ok(Outcome::Failed), "{signing:?}");
        }
        assert!(sink.taken().is_empty());
        let unsigned = |reason| {
            metrics
                .unsigned_answers
                .with_label_values(&["1", reason])
                .get()
        };
        assert_eq!((unsigned("missing"), unsigned("bad_signature")), (1, 3));
    }

    /// A canary is judged as any challenge; its transcript says `Canary`, and the signed
    /// answer comes back to open it with (only a signed one).
    #[test]
    fn a_canary_answer_is_scored_kept_as_a_canary_and_returns_its_evidence() {
        use crate::answers::testing::{digits_answer, digits_on_chain, neuron, on_chain, Signing};
        let metrics = Arc::new(crate::metrics::Metrics::new().unwrap());
        let (answers, sink) = on_chain(metrics);
        let subnet = digits_on_chain();
        let challenge = subnet.engine.challenge(0).unwrap();
        let Output::Digits(ref right) = challenge.reference else {
            panic!("a digits reference");
        };
        let wrong = (right.label + 1) % 10;
        let key = mindos_mesh::Keypair::generate_ed25519();
        let peer = key.public().to_peer_id();
        let miner = neuron(3, peer);
        let request = answers.request(
            &subnet,
            Some(&miner),
            payload_from_value(&challenge.input).unwrap(),
        );
        let sent = Sent {
            peer,
            miner: &miner,
            request: &request,
            kind: RequestKind::Canary,
        };
        let latency = Duration::from_millis(10);
        let judged = |signing| {
            let answer = Ok(digits_answer(&key, &request, wrong, signing));
            judge_signed(
                &answers,
                &subnet,
                sent,
                &challenge.reference,
                answer,
                latency,
            )
        };
        let (outcome, evidence) = judged(Signing::Honest);
        assert_eq!(
            outcome.map(|(outcome, _)| outcome),
            Ok(Outcome::Answered {
                quality: 0.0,
                latency
            })
        );
        let evidence = evidence.unwrap();
        assert_eq!(
            evidence.response.output_hash,
            mindos_primitives::evidence::output_hash(&[wrong])
        );
        let kept = sink.taken();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (kept[0].kind, kept[0].evidence.clone()),
            (RequestKind::Canary, evidence)
        );
        // Unsigned: a failure, and nothing to open a canary with.
        let (outcome, evidence) = judged(Signing::Unsigned);
        assert_eq!(outcome.map(|(outcome, _)| outcome), Ok(Outcome::Failed));
        assert!(evidence.is_none());
    }

    /// A mesh node with `key` that answers every request with the right label of held-out
    /// sample 0, signed as `signing` says; where to dial it.
    async fn signing_miner(
        key: mindos_mesh::Keypair,
        signing: crate::answers::testing::Signing,
    ) -> mindos_mesh::Multiaddr {
        use mindos_mesh::{libp2p::multiaddr::Protocol, Mesh, MeshConfig, MeshEvent};
        let Output::Digits(right) = digits().challenge(0).unwrap().reference else {
            panic!("a digits reference");
        };
        let (client, mut events, event_loop) = Mesh::new(MeshConfig::local(key.clone())).unwrap();
        tokio::spawn(event_loop.run(std::future::pending()));
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let MeshEvent::InboundRequest {
                    request, responder, ..
                } = event
                {
                    let answer = crate::answers::testing::digits_answer(
                        &key,
                        &request,
                        right.label,
                        signing,
                    );
                    responder.respond(answer);
                }
            }
        });
        let addr = client.listen_addrs().await.unwrap().remove(0);
        addr.with(Protocol::P2p(client.peer_id()))
    }

    /// Over a real mesh: each miner gets the challenge with its own terms, and only the one
    /// that signs its right answer is scored for it; the others' right answers fail.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_round_over_the_mesh_scores_only_signed_answers() {
        use crate::answers::{
            testing::{digits_on_chain, neuron, on_chain, Signing, BASIS},
            DEADLINE_MARGIN_BLOCKS,
        };
        use mindos_mesh::{Keypair, Mesh, MeshConfig};
        use mindos_primitives::{NetUid, Uid};
        let dir = tempfile::tempdir().unwrap();
        let (validator, _events, event_loop) =
            Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
        tokio::spawn(event_loop.run(std::future::pending()));
        let subnet = Arc::new(digits_on_chain());
        let mut miners = Vec::new();
        for (uid, signing) in [
            (0, Signing::Honest),
            (1, Signing::Unsigned),
            (2, Signing::OtherKey),
            (3, Signing::OtherRequest),
        ] {
            let key = Keypair::generate_ed25519();
            let miner = neuron(uid, key.public().to_peer_id());
            validator
                .dial(signing_miner(key, signing).await)
                .await
                .unwrap();
            miners.push(miner);
        }
        subnet.set_neurons(miners.clone());
        let metrics = Arc::new(crate::metrics::Metrics::new().unwrap());
        let (answers, sink) = on_chain(metrics.clone());
        let ctx = Context {
            subnets: Arc::new(std::collections::BTreeMap::from([(
                NetUid(1),
                subnet.clone(),
            )])),
            mesh: validator,
            peers: Arc::new(crate::gateway::PeerSnapshot::new(Duration::from_secs(30))),
            metrics: metrics.clone(),
            store: Arc::new(crate::store::Store::open(&dir.path().join("state.redb")).unwrap()),
            challenge: crate::config::ChallengeSettings {
                interval: Duration::from_secs(60),
                timeout: Duration::from_secs(10),
                latency_ref: Duration::from_millis(100),
                ema_alpha: 0.1,
                canary_pool: 0,
                reask_percent: 0,
            },
            answers: Arc::new(answers),
            reexec: Arc::new(crate::reexec::Reexecutor::new(metrics.clone())),
            canaries: None,
            heads: tokio::sync::watch::channel(None).0,
            cancel: tokio_util::sync::CancellationToken::new(),
        };
        let sample = subnet.engine.challenge(0).unwrap();
        for miner in &miners {
            let (input, reference) = (sample.input.clone(), sample.reference.clone());
            let task = Task::Fresh { input, reference };
            challenge_one(&ctx, &subnet, miner.clone(), task).await;
        }
        let scores = subnet.scores.lock().unwrap().scores().clone();
        assert!(scores[&Uid(0)].score() > 0.0, "{:?}", scores[&Uid(0)]);
        for uid in 1..=3 {
            let score = &scores[&Uid(uid)];
            assert_eq!((score.samples, score.score()), (1, 0.0), "uid {uid}");
        }
        let count = |outcome| metrics.challenges.with_label_values(&["1", outcome]).get();
        assert_eq!((count("answered"), count("failed")), (1, 3));
        let unsigned = |reason| {
            metrics
                .unsigned_answers
                .with_label_values(&["1", reason])
                .get()
        };
        assert_eq!((unsigned("missing"), unsigned("bad_signature")), (1, 2));
        // The honest answer is evidence: the challenge names that miner, this chain's epoch,
        // model and deadline, and the exact input sent.
        let kept = sink.taken();
        assert_eq!(kept.len(), 1);
        let transcript = &kept[0];
        assert_eq!(
            (transcript.kind, transcript.uid(), transcript.peer),
            (RequestKind::Challenge, Uid(0), miners[0].peer.unwrap())
        );
        let challenge = &transcript.evidence.response.challenge;
        assert_eq!((challenge.uid, challenge.hotkey), (0, miners[0].hotkey));
        assert_eq!(
            (challenge.epoch, challenge.model_digest, challenge.deadline),
            (
                BASIS.epoch,
                BASIS.model_digest,
                BASIS.finalized + DEADLINE_MARGIN_BLOCKS
            )
        );
        assert_eq!(
            challenge.input_hash,
            mindos_primitives::evidence::input_hash(transcript.input.get().as_bytes())
        );
    }

    /// A fresh input's reference is the validator's own run of the model; an answer with
    /// another label scores 0 and disagrees, the same label agrees, a malformed one fails.
    #[test]
    fn answers_are_judged_against_the_re_executed_reference() {
        let engine = digits();
        let input = engine.fresh_input(7);
        let reference = engine.infer_batch(vec![input]).unwrap().remove(0);
        let Output::Digits(expected) = &reference else {
            panic!("a digits output");
        };
        let latency = Duration::from_millis(3);
        let answer = |label: u8| {
            let mut probabilities = vec![0.01; 10];
            probabilities[usize::from(label)] = 0.91;
            Ok(InferResponse::encode_ok(
                &serde_json::json!({"label": label, "probabilities": probabilities}),
            )
            .unwrap())
        };
        let (outcome, disagreement) = judge(
            &*engine,
            &reference,
            answer(expected.label),
            latency,
            decoded(&*engine),
        )
        .unwrap();
        assert_eq!(
            outcome,
            Outcome::Answered {
                quality: 1.0,
                latency
            }
        );
        assert_eq!(disagreement, None);
        let wrong = (expected.label + 1) % 10;
        let (outcome, disagreement) = judge(
            &*engine,
            &reference,
            answer(wrong),
            latency,
            decoded(&*engine),
        )
        .unwrap();
        assert_eq!(
            outcome,
            Outcome::Answered {
                quality: 0.0,
                latency
            }
        );
        assert_eq!(
            disagreement.unwrap().to_string(),
            format!(
                "answered label {wrong}, the pinned model gives label {}",
                expected.label
            )
        );
        let garbage = Ok(InferResponse::encode_ok(&serde_json::json!({"label": "seven"})).unwrap());
        let (outcome, disagreement) =
            judge(&*engine, &reference, garbage, latency, decoded(&*engine)).unwrap();
        assert_eq!(outcome, Outcome::Failed);
        assert!(matches!(disagreement, Some(Disagreement::Invalid { .. })));
        // A timeout is a failure but no wrong answer.
        assert_eq!(
            judge(
                &*engine,
                &reference,
                Err(MeshError::Timeout),
                latency,
                decoded(&*engine)
            ),
            Ok((Outcome::Failed, None))
        );
    }

    /// A seed must not follow from another generator's outputs that miners may see.
    #[test]
    fn challenge_seeds_do_not_follow_from_request_ids() {
        let mut rng = Rng::from_entropy();
        let mut observer = rng.clone();
        let seeds: Vec<u64> = (0..8).map(|_| fresh_seed(&mut rng)).collect();
        let predicted: Vec<u64> = (0..8).map(|_| observer.next_u64()).collect();
        assert!(seeds.iter().all(|s| !predicted.contains(s)), "{seeds:?}");
    }

    fn neuron(uid: u16) -> Neuron {
        Neuron {
            uid: mindos_primitives::Uid(uid),
            hotkey: [7; 32],
            peer: None,
            addrs: Vec::new(),
            validator_permit: false,
            stake: 0,
            reputation: 0.0,
            incentive: 0,
            emission: 0,
            quarantined: false,
        }
    }

    /// Judges `answer` and folds it into `board` as a challenge round does.
    fn challenge(board: &mut Scoreboard, miner: &Neuron, answer: Result<InferResponse, MeshError>) {
        let engine = digits();
        let reference = engine.challenge(0).unwrap().reference;
        match judge(
            &*engine,
            &reference,
            answer,
            Duration::from_millis(10),
            decoded(&*engine),
        ) {
            Ok((outcome, _)) => board.record(miner.uid, miner.hotkey, outcome),
            Err(unscored) => {
                fold_unscored(board, miner, unscored);
            }
        }
    }

    fn busy() -> Result<InferResponse, MeshError> {
        Ok(InferResponse::error(ErrorCode::Busy, "busy"))
    }

    /// A right answer, as [`judge`] scores one.
    fn right(board: &mut Scoreboard, miner: &Neuron) {
        let outcome = Outcome::Answered {
            quality: 1.0,
            latency: Duration::from_millis(10),
        };
        board.record(miner.uid, miner.hotkey, outcome);
    }

    #[test]
    fn an_occasional_busy_costs_nothing_and_only_busy_loses_the_score() {
        let mut board = Scoreboard::new(0.1, Duration::from_millis(100));
        let (steady, refuser) = (neuron(3), neuron(4));
        for miner in [&steady, &refuser] {
            for _ in 0..5 {
                right(&mut board, miner);
            }
        }
        let good = board.scores()[&steady.uid].score();
        assert!(good > 0.5, "{good}");
        // One busy in every few challenges: no sample, no loss.
        for _ in 0..20 {
            challenge(&mut board, &steady, busy());
            challenge(&mut board, &steady, busy());
            right(&mut board, &steady);
        }
        let steady_score = board.scores()[&steady.uid].score();
        assert!(steady_score >= good, "{steady_score} < {good}");
        // Busy for every challenge: the score falls challenge run after run.
        let mut last = board.scores()[&refuser.uid].score();
        for run in 0..20 {
            for _ in 0..crate::scoring::BUSY_RUN_MISS {
                challenge(&mut board, &refuser, busy());
            }
            let now = board.scores()[&refuser.uid].score();
            assert!(now < last, "run {run}: {now} >= {last}");
            last = now;
        }
        assert!(last < good / 4.0, "{last}");
    }
}
