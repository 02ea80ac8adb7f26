//! Re-execution: the validator runs each subnet's pinned model itself, on the fresh inputs it
//! challenges miners with and on a share of its users' queries, and compares the miners'
//! answers with its own (`SubnetEngine::agrees`: equal labels for digits, a cosine tolerance
//! for embeddings, both in `subnets/README.md`).
//!
//! - [`Reexecutor`] runs the model off the executor (`spawn_blocking`), at most
//!   [`MAX_REEXECUTIONS`] inferences at once so re-execution cannot take every blocking
//!   thread or core from the gateway, in batches of the subnet's largest batch. It keeps the
//!   last [`MISMATCHES_KEPT`] disagreements ([`Mismatch`]) for the sentinel duty, logs each
//!   at `info` with its reason and counts it in
//!   `mindos_validator_reexecution_mismatches_total{netuid}`.
//! - [`QuerySampler`] picks `--gateway-reexecute-percent` of the gateway's queries and queues
//!   their answers (at most [`QUERY_QUEUE`] queries waiting; more are dropped and counted)
//!   for [`check_queries`], which re-executes them after the user has the answer. A miner
//!   whose answer disagrees scores as a failed challenge.

use mindos_primitives::{NetUid, Uid};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
};

use mindos_mesh::{evidence::TranscriptId, PeerId};
use mindos_subnets::{Disagreement, Input, Output, SubnetEngine, SubnetError};
use serde_json::value::RawValue;
use tokio::sync::{mpsc, Semaphore};

use crate::{
    metagraph::SubnetState, metrics::Metrics, scoring::Outcome, transcript::RequestKind, Context,
    Rng,
};

/// Inferences the validator runs at once for re-execution, over all subnets. Each holds a
/// blocking thread and one of the subnet's sessions; two leave the gateway its threads on a
/// small machine and still keep up with a round of fresh challenges every interval.
pub(crate) const MAX_REEXECUTIONS: usize = 2;
/// Sampled user queries waiting for re-execution at most. Each holds its input (at most the
/// subnet's request size, 97 KiB for text) and up to 16 answers (16 KiB each for text): a
/// full queue holds under 12 MiB.
pub(crate) const QUERY_QUEUE: usize = 32;
/// Disagreements kept for the sentinel duty (the oldest are dropped first). Each holds its
/// input: at most about 16 MiB for texts of the largest size.
pub(crate) const MISMATCHES_KEPT: usize = 1024;

/// Why re-execution gave no reference.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReexecError {
    /// The model failed on the input (or the input is not the subnet's).
    #[error("the model: {0}")]
    Model(#[from] SubnetError),
    /// The blocking task panicked or was cancelled.
    #[error("the re-execution task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The validator is stopping.
    #[error("re-execution is closed")]
    Closed,
}

/// A miner's answer that disagrees with the validator's own run of the pinned model: what
/// the sentinel duty reports as a wrong output.
#[derive(Clone, Debug)]
// `input` is kept for a duty that reports without a transcript (a sampled user query);
// the sentinel duty reports by the stored transcript today.
#[allow(dead_code)]
pub(crate) struct Mismatch {
    pub(crate) netuid: NetUid,
    pub(crate) uid: Uid,
    /// The hotkey that held `uid` when it answered.
    pub(crate) hotkey: [u8; 32],
    /// The peer that answered.
    pub(crate) peer: Option<PeerId>,
    /// A fresh challenge or a sampled user query.
    pub(crate) kind: RequestKind,
    /// The input both ran.
    pub(crate) input: Input,
    /// How the answer differs from the validator's.
    pub(crate) reason: Disagreement,
    /// The transcript of the signed answer, for a request with challenge terms (every request
    /// on a chain, fresh challenges and sampled user queries alike): what the sentinel duty
    /// reports by.
    pub(crate) challenge: Option<TranscriptId>,
}

/// Runs the pinned models for references and keeps the disagreements found.
pub(crate) struct Reexecutor {
    permits: Semaphore,
    mismatches: Mutex<VecDeque<Mismatch>>,
    metrics: Arc<Metrics>,
}

impl Reexecutor {
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            permits: Semaphore::new(MAX_REEXECUTIONS),
            mismatches: Mutex::new(VecDeque::new()),
            metrics,
        }
    }

    /// Fresh inputs for `seeds` and the pinned model's answers to them, in order; the inputs
    /// are made on the same blocking thread (a text is tokenized to check its length).
    pub(crate) async fn fresh(
        &self,
        engine: Arc<dyn SubnetEngine>,
        seeds: Vec<u64>,
    ) -> Result<Vec<(Input, Output)>, ReexecError> {
        self.blocking(move || {
            let inputs: Vec<Input> = seeds.iter().map(|s| engine.fresh_input(*s)).collect();
            let outputs = infer_all(&*engine, inputs.clone())?;
            Ok(inputs.into_iter().zip(outputs).collect())
        })
        .await
    }

    /// Re-checks a miner's answer for the sentinel duty: decodes `input` and `output` (the
    /// payloads of a transcript), runs the pinned model on the input and compares. `Ok(Err)`:
    /// the answer disagrees; `Err`: the payloads do not decode or the model failed.
    pub(crate) async fn recheck(
        &self,
        engine: Arc<dyn SubnetEngine>,
        input: String,
        output: String,
    ) -> Result<Result<(), Disagreement>, ReexecError> {
        self.blocking(move || {
            let input = engine.decode_input(input.as_bytes())?;
            let output = engine.decode_output(output.as_bytes())?;
            let reference = engine.infer_batch(vec![input])?;
            let Some(reference) = reference.first() else {
                return Err(ReexecError::Closed);
            };
            Ok(engine.agrees(&output, reference))
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ReexecError> + Send + 'static,
    ) -> Result<T, ReexecError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ReexecError::Closed)?;
        tokio::task::spawn_blocking(work).await?
    }

    /// Logs, counts and keeps a disagreement for the sentinel duty.
    pub(crate) fn mismatch(&self, mismatch: Mismatch) {
        let netuid = mismatch.netuid;
        tracing::info!(
            %netuid,
            uid = %mismatch.uid,
            peer = ?mismatch.peer,
            kind = ?mismatch.kind,
            reason = %mismatch.reason,
            "a miner's answer disagrees with the pinned model"
        );
        self.metrics
            .reexecution_mismatches
            .with_label_values(&[netuid.to_string().as_str()])
            .inc();
        let mut kept = self
            .mismatches
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= MISMATCHES_KEPT {
            kept.pop_front();
        }
        kept.push_back(mismatch);
    }

    /// The disagreements found since the last call, oldest first (at most
    /// [`MISMATCHES_KEPT`]): what the sentinel duty reports.
    pub(crate) fn take_mismatches(&self) -> Vec<Mismatch> {
        self.mismatches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect()
    }
}

/// Runs `inputs` in batches of at most the subnet's largest batch.
fn infer_all(engine: &dyn SubnetEngine, inputs: Vec<Input>) -> Result<Vec<Output>, ReexecError> {
    let mut outputs = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(engine.info().max_batch.max(1)) {
        outputs.extend(engine.infer_batch(chunk.to_vec())?);
    }
    Ok(outputs)
}

/// One sampled user query: the input the miners got and the answers that came back.
#[derive(Debug)]
pub(crate) struct QueryCheck {
    pub(crate) netuid: NetUid,
    /// The input as the miners got it (the JSON text the subnet checked).
    pub(crate) payload: Box<RawValue>,
    /// Each answering miner's uid, peer, decoded output and its transcript's id (when signed).
    pub(crate) answers: Vec<(Uid, PeerId, Output, Option<TranscriptId>)>,
}

/// Picks the user queries to re-execute and queues them.
pub(crate) struct QuerySampler {
    /// Queries re-executed per 10,000.
    per_10k: u64,
    rng: Mutex<Rng>,
    queue: mpsc::Sender<QueryCheck>,
    metrics: Arc<Metrics>,
}

impl QuerySampler {
    /// A sampler of `percent` of the queries (0: none), and the queue [`check_queries`]
    /// reads.
    pub(crate) fn new(percent: u8, metrics: Arc<Metrics>) -> (Self, mpsc::Receiver<QueryCheck>) {
        let (queue, checks) = mpsc::channel(QUERY_QUEUE);
        let sampler = Self {
            per_10k: u64::from(percent.min(100)).saturating_mul(100),
            rng: Mutex::new(Rng::from_entropy()),
            queue,
            metrics,
        };
        (sampler, checks)
    }

    /// Whether to re-execute the next query. Drawn at random, so a miner cannot tell which
    /// of its answers are checked.
    pub(crate) fn sample(&self) -> bool {
        if self.per_10k == 0 {
            return false;
        }
        let draw = self
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next_u64()
            .checked_rem(10_000)
            .unwrap_or(0);
        draw < self.per_10k
    }

    /// Queues `check` without waiting; drops and counts it when [`QUERY_QUEUE`] are waiting.
    pub(crate) fn submit(&self, check: QueryCheck) {
        let netuid = check.netuid.to_string();
        let outcome = match self.queue.try_send(check) {
            Ok(()) => "queued",
            Err(_) => "dropped",
        };
        self.metrics
            .reexecuted_queries
            .with_label_values(&[netuid.as_str(), outcome])
            .inc();
    }
}

/// Re-executes sampled queries from `checks` until shutdown: a miner whose answer disagrees
/// with the pinned model scores as a failed challenge, and the disagreement is kept.
pub(crate) async fn check_queries(ctx: Arc<Context>, mut checks: mpsc::Receiver<QueryCheck>) {
    loop {
        let check = tokio::select! {
            () = ctx.cancel.cancelled() => return,
            check = checks.recv() => match check {
                Some(check) => check,
                None => return,
            },
        };
        let Some(subnet) = ctx.subnets.get(&check.netuid) else {
            continue;
        };
        let engine = subnet.engine.clone();
        let payload = check.payload;
        let run = ctx.reexec.blocking(move || {
            let input = engine.decode_input(payload.get().as_bytes())?;
            let output = infer_all(&*engine, vec![input.clone()])?;
            Ok((input, output))
        });
        let reference = tokio::select! {
            () = ctx.cancel.cancelled() => return,
            reference = run => reference,
        };
        match reference {
            Ok((input, outputs)) => match outputs.first() {
                Some(reference) => {
                    judge_query(&ctx.reexec, subnet, &input, reference, check.answers);
                }
                None => tracing::warn!(netuid = %check.netuid, "re-execution gave no output"),
            },
            Err(e) => {
                tracing::warn!(netuid = %check.netuid, error = %e, "re-executing a query failed");
            }
        }
    }
}

/// Compares each answer of a query with the reference; each disagreement is a failed
/// challenge for the miner and a kept [`Mismatch`].
fn judge_query(
    reexec: &Reexecutor,
    subnet: &SubnetState,
    input: &Input,
    reference: &Output,
    answers: Vec<(Uid, PeerId, Output, Option<TranscriptId>)>,
) {
    let miners = subnet.served_miners();
    for (uid, peer, output, transcript) in answers {
        let Err(reason) = subnet.engine.agrees(&output, reference) else {
            continue;
        };
        // The uid's holder now; one re-registered since the query is not blamed.
        let Some(miner) = miners.iter().find(|m| m.uid == uid && m.peer == Some(peer)) else {
            continue;
        };
        subnet
            .scores
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(uid, miner.hotkey, Outcome::Failed);
        reexec.mismatch(Mismatch {
            netuid: subnet.netuid,
            uid,
            hotkey: miner.hotkey,
            peer: Some(peer),
            kind: RequestKind::Query,
            input: input.clone(),
            reason,
            challenge: transcript,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        metagraph::{ChainSubnet, Neuron},
        scoring::Scoreboard,
    };
    use std::time::Duration;

    fn digits_subnet(peers: &[PeerId]) -> SubnetState {
        let engine =
            mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
        let chain = ChainSubnet {
            netuid: NetUid(1),
            name: "digits".into(),
            task: None,
            tempo: 0,
            commit_reveal: false,
        };
        let subnet = SubnetState::new(
            &chain,
            engine,
            Scoreboard::new(0.5, Duration::from_millis(100)),
        );
        subnet.set_neurons(
            peers
                .iter()
                .enumerate()
                .map(|(i, peer)| Neuron {
                    uid: Uid(u16::try_from(i).unwrap()),
                    hotkey: [u8::try_from(i).unwrap(); 32],
                    peer: Some(*peer),
                    addrs: Vec::new(),
                    validator_permit: false,
                    stake: 0,
                    reputation: 0.0,
                    incentive: 0,
                    emission: 0,
                    quarantined: false,
                })
                .collect(),
        );
        subnet
    }

    #[test]
    fn a_sampled_query_answered_wrong_costs_the_miner_and_is_kept() {
        let peers = [PeerId::random(), PeerId::random(), PeerId::random()];
        let subnet = digits_subnet(&peers);
        let reexec = Reexecutor::new(Arc::new(Metrics::new().unwrap()));
        let input = subnet.engine.fresh_input(11);
        let reference = subnet
            .engine
            .infer_batch(vec![input.clone()])
            .unwrap()
            .remove(0);
        let Output::Digits(right) = &reference else {
            panic!("a digits output");
        };
        let mut wrong = right.clone();
        wrong.label = (right.label + 1) % 10;
        let (good, bad) = (reference.clone(), Output::Digits(wrong));
        // Both start with a right answer to a challenge.
        for uid in [0u16, 1] {
            subnet.scores.lock().unwrap().record(
                Uid(uid),
                [u8::try_from(uid).unwrap(); 32],
                Outcome::Answered {
                    quality: 1.0,
                    latency: Duration::from_millis(1),
                },
            );
        }
        // Uid 2's answer comes from a peer that no longer holds it: nobody is blamed.
        // Uid 1's wrong answer was signed: the mismatch names its transcript.
        let signed = TranscriptId {
            netuid: NetUid(1),
            hotkey: [1; 32],
            epoch: 3,
            nonce: 42,
        };
        let answers = vec![
            (Uid(0), peers[0], good, None),
            (Uid(1), peers[1], bad.clone(), Some(signed)),
            (Uid(2), PeerId::random(), bad, None),
        ];
        judge_query(&reexec, &subnet, &input, &reference, answers);
        let scores = subnet.scores.lock().unwrap().scores().clone();
        assert_eq!(scores[&Uid(0)].samples, 1);
        assert!(scores[&Uid(0)].score() > 0.9);
        assert_eq!(scores[&Uid(1)].samples, 2);
        // A failed challenge: availability halves at alpha ½.
        assert!((scores[&Uid(1)].availability - 0.5).abs() < 1e-9);
        assert!(scores[&Uid(1)].score() < scores[&Uid(0)].score());
        assert!(!scores.contains_key(&Uid(2)));
        let kept = reexec.take_mismatches();
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].uid, kept[0].kind), (Uid(1), RequestKind::Query));
        assert_eq!(kept[0].challenge, Some(signed));
        assert_eq!(kept[0].input, input);
        assert!(matches!(kept[0].reason, Disagreement::Canonical { .. }));
        assert_eq!(
            reexec
                .metrics
                .reexecution_mismatches
                .with_label_values(&["1"])
                .get(),
            1
        );
        assert!(reexec.take_mismatches().is_empty());
    }

    #[test]
    fn mismatches_kept_are_bounded() {
        let reexec = Reexecutor::new(Arc::new(Metrics::new().unwrap()));
        for uid in 0..MISMATCHES_KEPT + 10 {
            reexec.mismatch(Mismatch {
                netuid: NetUid(1),
                uid: Uid(u16::try_from(uid).unwrap()),
                hotkey: [0; 32],
                peer: None,
                kind: RequestKind::Challenge,
                input: Input::Digits(mindos_subnets::digits::DigitsInput {
                    pixels: vec![0.0; 64],
                }),
                reason: Disagreement::Invalid {
                    reason: "test".into(),
                },
                challenge: None,
            });
        }
        let kept = reexec.take_mismatches();
        assert_eq!(kept.len(), MISMATCHES_KEPT);
        // The oldest went first.
        assert_eq!(kept[0].uid, Uid(10));
    }

    #[tokio::test]
    async fn the_sampler_picks_its_share_and_drops_when_the_queue_is_full() {
        let metrics = Arc::new(Metrics::new().unwrap());
        let (none, _) = QuerySampler::new(0, metrics.clone());
        assert!((0..10_000).all(|_| !none.sample()));
        let (all, _) = QuerySampler::new(100, metrics.clone());
        assert!((0..10_000).all(|_| all.sample()));
        let (some, mut checks) = QuerySampler::new(3, metrics.clone());
        let picked = (0..100_000).filter(|_| some.sample()).count();
        assert!((2_500..3_500).contains(&picked), "{picked}");
        let check = || QueryCheck {
            netuid: NetUid(1),
            payload: RawValue::from_string("{}".into()).unwrap(),
            answers: Vec::new(),
        };
        for _ in 0..QUERY_QUEUE + 5 {
            some.submit(check());
        }
        let count = |outcome: &str| {
            metrics
                .reexecuted_queries
                .with_label_values(&["1", outcome])
                .get()
        };
        assert_eq!((count("queued"), count("dropped")), (QUERY_QUEUE as u64, 5));
        assert!(checks.recv().await.is_some());
        some.submit(check());
        assert_eq!(count("queued"), QUERY_QUEUE as u64 + 1);
    }
}
