//! Challenges: every round (`--challenge-interval-ms`), each served miner of a subnet gets
//! one held-out validation sample, picked at random, in an ordinary `/mindos/infer/1`
//! request with a random request id — nothing tells it from a user's query. Its answer is
//! scored by the subnet's rule against the reference answer and folded into the miner's
//! averages ([`crate::scoring`]).
//!
//! Rounds cover every served uid, so within a tempo (many rounds) every validator has
//! scored every miner: consensus needs validators to overlap on the miners they weigh.
//! A refusal with `unauthorized` is not the miner's fault (this validator has no permit
//! yet, or the miner has not seen it) and records nothing.

use std::{sync::Arc, time::Instant};

use futures::StreamExt;
use mindos_mesh::{ErrorCode, InferRequest, InferResponse};

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
    let payload = match serde_json::to_value(&challenge.input) {
        Ok(payload) => payload,
        Err(e) => {
            tracing::warn!(%netuid, error = %e, "cannot encode a challenge");
            return;
        }
    };
    let request = InferRequest {
        netuid,
        request_id,
        payload,
    };
    let started = Instant::now();
    let answer = mesh.request(peer, request, settings.timeout).await;
    let latency = started.elapsed();
    let outcome = match answer {
        Ok(InferResponse::Ok { payload }) => {
            match serde_json::to_vec(&payload)
                .ok()
                .and_then(|bytes| subnet.engine.decode_output(&bytes).ok())
            {
                Some(output) => Outcome::Answered {
                    quality: f64::from(subnet.engine.score(&output, &challenge.reference)),
                    latency,
                },
                None => Outcome::Failed,
            }
        }
        Ok(InferResponse::Err {
            code: ErrorCode::Unauthorized,
            ..
        }) => {
            metrics
                .challenges
                .with_label_values(&[netuid.to_string().as_str(), "not_permitted"])
                .inc();
            return;
        }
        Ok(InferResponse::Err { .. }) | Err(_) => Outcome::Failed,
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
