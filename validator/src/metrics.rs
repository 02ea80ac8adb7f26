//! Prometheus metrics; `mindos_daemon::metrics` serves them over plain HTTP at `/metrics`.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `mindos_validator_gateway_calls_total{method,outcome}` | counter | gateway calls by method and outcome (`ok` or the error name) |
//! | `mindos_validator_query_duration_seconds{netuid}` | histogram | `subnet_query` receipt to answer, answered ones |
//! | `mindos_validator_query_attempts_total{netuid,kind}` | counter | requests sent to miners for queries: `primary`, `hedge`, `failover` |
//! | `mindos_validator_challenges_total{netuid,outcome}` | counter | challenges by outcome: `answered`, `failed`, `not_permitted`, `busy` (neither scored) |
//! | `mindos_validator_miner_score{netuid,uid}` | gauge | a miner's challenge score, `0..=1` |
//! | `mindos_validator_reexecution_mismatches_total{netuid}` | counter | miners' answers (to fresh challenges and sampled queries) that disagree with the validator's own run of the pinned model |
//! | `mindos_validator_reexecuted_queries_total{netuid,outcome}` | counter | user queries sampled for re-execution: `queued`, or `dropped` (the queue was full) |
//! | `mindos_validator_weights_total{netuid,action,outcome}` | counter | `commit`, `reveal`, `set` transactions: `ok`, `error` |
//! | `mindos_validator_finalized_block` | gauge | the last finalized block followed |
//!
//! Each validator owns its registry, so several can run in one process (tests do).

use prometheus::{GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry};

/// The validator's metrics.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) gateway_calls: IntCounterVec,
    pub(crate) query_duration: HistogramVec,
    pub(crate) query_attempts: IntCounterVec,
    pub(crate) challenges: IntCounterVec,
    pub(crate) miner_score: GaugeVec,
    pub(crate) reexecution_mismatches: IntCounterVec,
    pub(crate) reexecuted_queries: IntCounterVec,
    pub(crate) weights: IntCounterVec,
    pub(crate) finalized_block: IntGauge,
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
        registry.register(Box::new(gateway_calls.clone()))?;
        registry.register(Box::new(query_duration.clone()))?;
        registry.register(Box::new(query_attempts.clone()))?;
        registry.register(Box::new(challenges.clone()))?;
        registry.register(Box::new(miner_score.clone()))?;
        registry.register(Box::new(reexecution_mismatches.clone()))?;
        registry.register(Box::new(reexecuted_queries.clone()))?;
        registry.register(Box::new(weights.clone()))?;
        registry.register(Box::new(finalized_block.clone()))?;
        Ok(Self {
            registry,
            gateway_calls,
            query_duration,
            query_attempts,
            challenges,
            miner_score,
            reexecution_mismatches,
            reexecuted_queries,
            weights,
            finalized_block,
        })
    }

    /// The registry, for the endpoint that serves it.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }
}
