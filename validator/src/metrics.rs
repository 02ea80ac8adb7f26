//! Prometheus metrics; `mindos_daemon::metrics` serves them over plain HTTP at `/metrics`.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `mindos_validator_gateway_calls_total{method,outcome}` | counter | gateway calls by method and outcome (`ok` or the error name) |
//! | `mindos_validator_query_duration_seconds{netuid}` | histogram | `subnet_query` receipt to answer, answered ones |
//! | `mindos_validator_query_attempts_total{netuid,kind}` | counter | requests sent to miners for queries: `primary`, `hedge`, `failover` |
//! | `mindos_validator_challenges_total{netuid,outcome}` | counter | challenges by outcome: `answered`, `failed`, `not_permitted`, `busy` (neither scored) |
//! | `mindos_validator_unsigned_answers_total{netuid,reason}` | counter | answers not used because they are not signed as the request's terms require: `missing` (no receipt), `bad_signature`, `not_ed25519` (the peer's id names no key to check) |
//! | `mindos_validator_miner_score{netuid,uid}` | gauge | a miner's challenge score, `0..=1` |
//! | `mindos_validator_reexecution_mismatches_total{netuid}` | counter | miners' answers (to fresh challenges and sampled queries) that disagree with the validator's own run of the pinned model |
//! | `mindos_validator_reexecuted_queries_total{netuid,outcome}` | counter | user queries sampled for re-execution: `queued`, or `dropped` (the queue was full) |
//! | `mindos_validator_weights_total{netuid,action,outcome}` | counter | `commit`, `reveal`, `set` transactions: `ok`, `error` |
//! | `mindos_validator_finalized_block` | gauge | the last finalized block followed |
//! | `mindos_validator_transcripts_total{outcome}` | counter | transcripts recorded as evidence: `stored`, `duplicate` (one of the same challenge is kept), `too_large`, `dropped` (the writer's queue was full), `failed` (the write failed), and later `evicted` (byte bound) or `pruned` (out of the window) |
//! | `mindos_validator_transcript_bytes` | gauge | what the kept transcripts cost against `--evidence-max-mib` |
//! | `mindos_validator_canaries_total{netuid,event}` | counter | canaries: `committed`, `commit_error` (refused or unsettled), `sent`, `passed` (answered right), `failed` (a signed wrong answer), `unanswered`, `opened` (the failure proven on chain), `open_error`, `expired` (left the chain unused) |
//! | `mindos_validator_canaries_pending{netuid}` | gauge | canaries stored and not yet sent (submitted or committed) |
//! | `mindos_validator_evidence_requests_total{outcome}` | counter | transcripts asked of this validator over `/mindos/evidence/1`: `served`, `not_found`, `refused` |
//! | `mindos_validator_sentinel_actions_total{netuid,action,outcome}` | counter | sentinel duty decisions (`report`, `vote_guilty`, `vote_not_guilty`, `audit_overturn`, `audit_uphold`, `escalation_overturn`, `escalation_uphold`, `equivocation`): `submitted`, `failed`, `done_by_other` (the chain says someone else did it), `skipped_<reason>` |
//! | `mindos_validator_sentinel_member{netuid,duty}` | gauge | 1 when this validator sits on the subnet's `current` or `next` sentinel committee, else 0 |
//!
//! Each validator owns its registry, so several can run in one process (tests do).

use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

/// The validator's metrics.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) gateway_calls: IntCounterVec,
    pub(crate) query_duration: HistogramVec,
    pub(crate) query_attempts: IntCounterVec,
    pub(crate) challenges: IntCounterVec,
    pub(crate) unsigned_answers: IntCounterVec,
    pub(crate) miner_score: GaugeVec,
    pub(crate) reexecution_mismatches: IntCounterVec,
    pub(crate) reexecuted_queries: IntCounterVec,
    pub(crate) weights: IntCounterVec,
    pub(crate) finalized_block: IntGauge,
    pub(crate) transcripts: IntCounterVec,
    pub(crate) transcript_bytes: IntGauge,
    pub(crate) evidence_requests: IntCounterVec,
    pub(crate) canaries: IntCounterVec,
    pub(crate) canaries_pending: IntGaugeVec,
    pub(crate) sentinel_actions: IntCounterVec,
    pub(crate) sentinel_member: IntGaugeVec,
}

impl Metrics {
    pub(crate) fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let gateway_calls = IntCounterVec::new(
            Opts::new(
                "mindos_validator_gateway_calls_total",
                "Gateway calls by method and outcome.",
            ),
            &["method", "outcome"],
        )?;
        let query_duration = HistogramVec::new(
            HistogramOpts::new(
                "mindos_validator_query_duration_seconds",
                "subnet_query receipt to answer (answered queries).",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["netuid"],
        )?;
        let query_attempts = IntCounterVec::new(
            Opts::new(
                "mindos_validator_query_attempts_total",
                "Requests sent to miners for queries: primary, hedge, failover.",
            ),
            &["netuid", "kind"],
        )?;
        let challenges = IntCounterVec::new(
            Opts::new(
                "mindos_validator_challenges_total",
                "Challenges by outcome: answered, failed, not_permitted, busy.",
            ),
            &["netuid", "outcome"],
        )?;
        let unsigned_answers = IntCounterVec::new(
            Opts::new(
                "mindos_validator_unsigned_answers_total",
                "Answers not used because they are not signed as their terms require: missing, bad_signature, not_ed25519.",
            ),
            &["netuid", "reason"],
        )?;
        let miner_score = GaugeVec::new(
            Opts::new(
                "mindos_validator_miner_score",
                "A miner's challenge score, 0..=1.",
            ),
            &["netuid", "uid"],
        )?;
        let reexecution_mismatches = IntCounterVec::new(
            Opts::new(
                "mindos_validator_reexecution_mismatches_total",
                "Miners' answers that disagree with the validator's own run of the pinned model.",
            ),
            &["netuid"],
        )?;
        let reexecuted_queries = IntCounterVec::new(
            Opts::new(
                "mindos_validator_reexecuted_queries_total",
                "User queries sampled for re-execution: queued, or dropped (queue full).",
            ),
            &["netuid", "outcome"],
        )?;
        let weights = IntCounterVec::new(
            Opts::new(
                "mindos_validator_weights_total",
                "Weight transactions: commit, reveal, set; ok or error.",
            ),
            &["netuid", "action", "outcome"],
        )?;
        let finalized_block = IntGauge::new(
            "mindos_validator_finalized_block",
            "The last finalized block followed.",
        )?;
        let transcripts = IntCounterVec::new(
            Opts::new(
                "mindos_validator_transcripts_total",
                "Transcripts recorded as evidence: stored, duplicate, too_large, dropped, failed, evicted, pruned.",
            ),
            &["outcome"],
        )?;
        let transcript_bytes = IntGauge::new(
            "mindos_validator_transcript_bytes",
            "What the kept transcripts cost against the evidence bound.",
        )?;
        let evidence_requests = IntCounterVec::new(
            Opts::new(
                "mindos_validator_evidence_requests_total",
                "Transcripts asked of this validator over /mindos/evidence/1: served, not_found, refused.",
            ),
            &["outcome"],
        )?;
        let canaries = IntCounterVec::new(
            Opts::new(
                "mindos_validator_canaries_total",
                "Canaries: committed, commit_error, sent, passed, failed, unanswered, opened, open_error, expired.",
            ),
            &["netuid", "event"],
        )?;
        let canaries_pending = IntGaugeVec::new(
            Opts::new(
                "mindos_validator_canaries_pending",
                "Canaries stored and not yet sent.",
            ),
            &["netuid"],
        )?;
        registry.register(Box::new(canaries.clone()))?;
        registry.register(Box::new(canaries_pending.clone()))?;
        let sentinel_actions = IntCounterVec::new(
            Opts::new(
                "mindos_validator_sentinel_actions_total",
                "Sentinel duty decisions by action and outcome (submitted, failed, done_by_other, skipped_<reason>).",
            ),
            &["netuid", "action", "outcome"],
        )?;
        let sentinel_member = IntGaugeVec::new(
            Opts::new(
                "mindos_validator_sentinel_member",
                "1 when this validator sits on the subnet's current or next sentinel committee.",
            ),
            &["netuid", "duty"],
        )?;
        registry.register(Box::new(gateway_calls.clone()))?;
        registry.register(Box::new(query_duration.clone()))?;
        registry.register(Box::new(query_attempts.clone()))?;
        registry.register(Box::new(challenges.clone()))?;
        registry.register(Box::new(unsigned_answers.clone()))?;
        registry.register(Box::new(miner_score.clone()))?;
        registry.register(Box::new(reexecution_mismatches.clone()))?;
        registry.register(Box::new(reexecuted_queries.clone()))?;
        registry.register(Box::new(weights.clone()))?;
        registry.register(Box::new(finalized_block.clone()))?;
        registry.register(Box::new(transcripts.clone()))?;
        registry.register(Box::new(transcript_bytes.clone()))?;
        registry.register(Box::new(evidence_requests.clone()))?;
        registry.register(Box::new(sentinel_actions.clone()))?;
        registry.register(Box::new(sentinel_member.clone()))?;
        Ok(Self {
            registry,
            gateway_calls,
            query_duration,
            query_attempts,
            challenges,
            unsigned_answers,
            miner_score,
            reexecution_mismatches,
            reexecuted_queries,
            weights,
            finalized_block,
            transcripts,
            transcript_bytes,
            evidence_requests,
            canaries,
            canaries_pending,
            sentinel_actions,
            sentinel_member,
        })
    }

    /// The registry, for the endpoint that serves it.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }
}
