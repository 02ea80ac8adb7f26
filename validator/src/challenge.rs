//! Challenges: every round (`--challenge-interval-ms`), each served miner of a subnet gets
//! one held-out validation sample, picked at random, in an ordinary `/mindos/infer/1`
//! request with a random request id — nothing tells it from a user's query. Its answer is
//! scored by the subnet's rule against the reference answer and folded into the miner's
//! averages ([`crate::scoring`]).
//!
//! Rounds cover every served uid, so within a tempo (many rounds) every validator has
//! scored every miner: consensus needs validators to overlap on the miners they weigh.
//! A refusal with `unauthorized` is not the miner's fault (this validator has no permit
//! yet, or the miner has not seen it) and records nothing; nor does `busy` (a full queue is
//! not a wrong answer, and anyone can fill a miner's queue through a gateway).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt;
use mindos_mesh::{ErrorCode, InferRequest, InferResponse, MeshError};
use mindos_subnets::{Output, SubnetEngine};

use crate::{
    metagraph::{Neuron, SubnetState},
    scoring::Outcome,
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
        let picks: Vec<(Neuron, usize, u64)> = miners
            .into_iter()
            .map(|m| {
                let index = rng.below(subnet.engine.validation_len());
                (m, index, rng.next_u64())
            })
            .collect();
        let round = futures::stream::iter(picks)
            .map(|(miner, index, request_id)| {
                challenge_one(&ctx, &subnet, miner, index, request_id)
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

async fn challenge_one(
    ctx: &Context,
    subnet: &SubnetState,
    miner: Neuron,
    index: usize,
    request_id: u64,
) {
    let Context {
        mesh,
        challenge: settings,
        metrics,
        ..
    } = ctx;
    let netuid = subnet.netuid;
    let Some(peer) = miner.peer else {
        return;
    };
    let Some(challenge) = subnet.engine.challenge(index) else {
        return;
    };
    let request = match InferRequest::encode(netuid, request_id, &challenge.input) {
        Ok(request) => request,
        Err(e) => {
            tracing::warn!(%netuid, error = %e, "cannot encode a challenge");
            return;
        }
    };
    let started = Instant::now();
    let answer = mesh.request(peer, request, settings.timeout).await;
    let latency = started.elapsed();
    let outcome = match judge(&*subnet.engine, &challenge.reference, answer, latency) {
        Ok(outcome) => outcome,
        Err(unscored) => {
            metrics
                .challenges
                .with_label_values(&[netuid.to_string().as_str(), unscored.label()])
                .inc();
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

/// What a challenge's `answer` says about the miner, or why it says nothing. An answer is
/// decoded by the subnet, typed, from its JSON text; one over the subnet's response limit
/// never got here (the mesh refused it as too large: a failure).
fn judge(
    engine: &dyn SubnetEngine,
    reference: &Output,
    answer: Result<InferResponse, MeshError>,
    latency: Duration,
) -> Result<Outcome, Unscored> {
    match answer {
        Ok(InferResponse::Ok { payload }) => {
            Ok(match engine.decode_output(payload.get().as_bytes()).ok() {
                Some(output) => Outcome::Answered {
                    quality: f64::from(engine.score(&output, reference)),
                    latency,
                },
                None => Outcome::Failed,
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
        Ok(InferResponse::Err { .. }) | Err(_) => Ok(Outcome::Failed),
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
            judge(&*engine, &reference, unauthorized, latency).ok(),
            None
        );
        // Failures that are the miner's own still count.
        let internal = Ok(InferResponse::error(
            ErrorCode::Internal,
            "the model failed",
        ));
        assert_eq!(
            judge(&*engine, &reference, internal, latency).ok(),
            Some(Outcome::Failed)
        );
        assert_eq!(
            judge(&*engine, &reference, Err(MeshError::Timeout), latency).ok(),
            Some(Outcome::Failed)
        );
        let garbage = Ok(InferResponse::encode_ok(&serde_json::json!({"label": "seven"})).unwrap());
        assert_eq!(
            judge(&*engine, &reference, garbage, latency).ok(),
            Some(Outcome::Failed)
        );
    }

    #[test]
    fn busy_answers_do_not_lower_a_score() {
        let engine = digits();
        let reference = engine.challenge(0).unwrap().reference;
        let mut board = crate::scoring::Scoreboard::new(0.5, Duration::from_millis(100));
        let (uid, hotkey) = (mindos_primitives::Uid(3), [7; 32]);
        let good = Outcome::Answered {
            quality: 1.0,
            latency: Duration::from_millis(10),
        };
        board.record(uid, hotkey, good);
        let before = board.scores()[&uid].score();
        for _ in 0..10 {
            let busy = Ok(InferResponse::error(ErrorCode::Busy, "busy"));
            if let Ok(outcome) = judge(&*engine, &reference, busy, Duration::ZERO) {
                board.record(uid, hotkey, outcome);
            }
        }
        assert!(
            board.scores()[&uid].score() >= before,
            "{} < {before}",
            board.scores()[&uid].score()
        );
    }
}
