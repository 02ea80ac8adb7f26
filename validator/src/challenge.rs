//! Challenges: every round (`--challenge-interval-ms`), each served miner of a subnet gets
//! an input made fresh for it (`SubnetEngine::fresh_input` from a random seed: an augmented
//! digit, a text composed from the tokenizer's vocabulary), in an ordinary `/mindos/infer/1`
//! request with a random request id. No miner can have seen the input before, so none can
//! answer it from a table. The reference answer is the validator's own run of the pinned
//! model on it ([`crate::reexec`], off the executor, the round's inputs in one batch). The
//! answer is scored by the subnet's rule against that reference and folded into the miner's
//! averages ([`crate::scoring`]); one that disagrees with it (`SubnetEngine::agrees`) is
//! also kept as a [`Mismatch`] for the sentinel duty.
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
use mindos_mesh::{ErrorCode, InferRequest, InferResponse, MeshError};
use mindos_subnets::{Disagreement, Input, Output, SubnetEngine};

use crate::{
    metagraph::{Neuron, SubnetState},
    reexec::Mismatch,
    scoring::{Outcome, Scoreboard},
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
        let picks: Vec<(Neuron, (Input, Output), u64)> = miners
            .into_iter()
            .zip(fresh)
            .map(|(m, fresh)| (m, fresh, rng.next_u64()))
            .collect();
        let round = futures::stream::iter(picks)
            .map(|(miner, (input, reference), request_id)| {
                challenge_one(&ctx, &subnet, miner, input, reference, request_id)
            })
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

/// A seed for a fresh input, from the OS. Not from `rng`: its outputs are also request ids,
/// which miners see, and SplitMix64's state follows from one output; a miner that knew it
/// could compute the coming challenges and tell them from users' queries. `rng` stands in
/// only if the OS has no randomness to give.
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

async fn challenge_one(
    ctx: &Context,
    subnet: &SubnetState,
    miner: Neuron,
    input: Input,
    reference: Output,
    request_id: u64,
) {
    let Context {
        mesh,
        challenge: settings,
        metrics,
        reexec,
        ..
    } = ctx;
    let netuid = subnet.netuid;
    let Some(peer) = miner.peer else {
        return;
    };
    let request = match InferRequest::encode(netuid, request_id, &input) {
        Ok(request) => request,
        Err(e) => {
            tracing::warn!(%netuid, error = %e, "cannot encode a challenge");
            return;
        }
    };
    let started = Instant::now();
    let answer = mesh.request(peer, request, settings.timeout).await;
    let latency = started.elapsed();
    let outcome = match judge(&*subnet.engine, &reference, answer, latency) {
        Ok((outcome, disagreement)) => {
            if let Some(reason) = disagreement {
                reexec.mismatch(Mismatch {
                    netuid,
                    uid: miner.uid,
                    hotkey: miner.hotkey,
                    peer: Some(peer),
                    kind: RequestKind::Challenge,
                    input,
                    reason,
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
    subnet
        .scores
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .record(miner.uid, miner.hotkey, outcome);
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

/// What a challenge's `answer` says about the miner, and how it disagrees with the
/// re-executed `reference` if it does; or why it says nothing. An answer is decoded by the
/// subnet, typed, from its JSON text; one over the subnet's response limit never got here
/// (the mesh refused it as too large: a failure). A refusal or a timeout is no
/// disagreement: only an answer can be wrong.
fn judge(
    engine: &dyn SubnetEngine,
    reference: &Output,
    answer: Result<InferResponse, MeshError>,
    latency: Duration,
) -> Result<(Outcome, Option<Disagreement>), Unscored> {
    match answer {
        Ok(InferResponse::Ok { payload, .. }) => {
            Ok(match engine.decode_output(payload.get().as_bytes()) {
                Ok(output) => (
                    Outcome::Answered {
                        quality: f64::from(engine.score(&output, reference)),
                        latency,
                    },
                    engine.agrees(&output, reference).err(),
                ),
                Err(e) => (
                    Outcome::Failed,
                    Some(Disagreement::Invalid {
                        reason: e.to_string(),
                    }),
                ),
            })
        }
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

    #[test]
    fn a_busy_miner_is_not_scored_a_wrong_answer_and_a_silent_one_is() {
        let engine = digits();
        let reference = engine.challenge(0).unwrap().reference;
        let latency = Duration::from_millis(3);
        let busy = Ok(InferResponse::error(ErrorCode::Busy, "the queue is full"));
        assert_eq!(
            judge(&*engine, &reference, busy, latency),
            Err(Unscored::Busy)
        );
        let unauthorized = Ok(InferResponse::error(ErrorCode::Unauthorized, "who are you"));
        assert_eq!(
            judge(&*engine, &reference, unauthorized, latency)
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
            judge(&*engine, &reference, internal, latency)
                .ok()
                .map(|(outcome, _)| outcome),
            Some(Outcome::Failed)
        );
        assert_eq!(
            judge(&*engine, &reference, Err(MeshError::Timeout), latency)
                .ok()
                .map(|(outcome, _)| outcome),
            Some(Outcome::Failed)
        );
        let garbage = Ok(InferResponse::encode_ok(&serde_json::json!({"label": "seven"})).unwrap());
        assert_eq!(
            judge(&*engine, &reference, garbage, latency)
                .ok()
                .map(|(outcome, _)| outcome),
            Some(Outcome::Failed)
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
        let (outcome, disagreement) =
            judge(&*engine, &reference, answer(expected.label), latency).unwrap();
        assert_eq!(
            outcome,
            Outcome::Answered {
                quality: 1.0,
                latency
            }
        );
        assert_eq!(disagreement, None);
        let wrong = (expected.label + 1) % 10;
        let (outcome, disagreement) = judge(&*engine, &reference, answer(wrong), latency).unwrap();
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
        let (outcome, disagreement) = judge(&*engine, &reference, garbage, latency).unwrap();
        assert_eq!(outcome, Outcome::Failed);
        assert!(matches!(disagreement, Some(Disagreement::Invalid { .. })));
        // A timeout is a failure but no wrong answer.
        assert_eq!(
            judge(&*engine, &reference, Err(MeshError::Timeout), latency),
            Ok((Outcome::Failed, None))
        );
    }

    /// Request ids come from `rng` and miners see them: a seed must not follow from them.
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
        match judge(&*engine, &reference, answer, Duration::from_millis(10)) {
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
