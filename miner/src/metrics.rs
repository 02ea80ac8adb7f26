//! Prometheus metrics; `mindos_daemon::metrics` serves them over plain HTTP at `/metrics`.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `mindos_miner_requests_total{outcome}` | counter | requests answered, by outcome (`ok`, `unauthorized`, `unknown_subnet`, `invalid_input`, `busy`, `internal`) |
//! | `mindos_miner_request_duration_seconds` | histogram | receipt to answer, requests answered `ok` |
//! | `mindos_miner_queue_depth` | gauge | requests waiting for a worker |
//! | `mindos_miner_batch_size` | histogram | inputs per batch run |
//! | `mindos_miner_batch_duration_seconds` | histogram | time the model took per batch |
//! | `mindos_miner_low_power` | gauge | 1 while the power policy has lowered limits |
//! | `mindos_miner_answers_signed_total` | counter | answers signed (each challenge once) |
//! | `mindos_miner_answers_resent_total` | counter | repeated challenges answered with the stored signed answer, the model not run |
//! | `mindos_miner_terms_refused_total{reason}` | counter | requests with challenge terms refused unsigned, by reason (`hotkey`, `model_digest`, `uid`, `deadline`, `not_synced`, `other_terms`, `forgotten`, `in_flight`, `signing`) |
//! | `mindos_miner_signed_answers_stored` | gauge | signed answers kept to re-send |
//! | `mindos_miner_signed_answers_bytes` | gauge | bytes they are counted at (bounded by `--signed-answers-bytes`) |
//! | `mindos_miner_signed_answers_evicted_total` | counter | signed answers evicted, oldest first, to stay within the bound |
//!
//! Each miner owns its registry (not the process-global one), so several miners can run in
//! one process (tests do).

use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use crate::{serve::Outcome, signer::Refusal};

/// The miner's metrics.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: Histogram,
    queue_depth: IntGauge,
    batch_size: Histogram,
    batch_duration: Histogram,
    low_power: IntGauge,
    signed: IntCounter,
    resent: IntCounter,
    terms_refused: IntCounterVec,
    stored: IntGauge,
    stored_bytes: IntGauge,
    evicted: IntCounter,
}

impl Metrics {
    /// Creates and registers every metric.
    pub(crate) fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "mindos_miner_requests_total",
                "Inference requests answered, by outcome",
            ),
            &["outcome"],
        )?;
        let latency = Histogram::with_opts(
            HistogramOpts::new(
                "mindos_miner_request_duration_seconds",
                "Time from receipt to answer of requests answered ok",
            )
            .buckets(prometheus::exponential_buckets(0.0001, 2.0, 16)?),
        )?;
        let queue_depth =
            IntGauge::new("mindos_miner_queue_depth", "Requests waiting for a worker")?;
        let batch_size = Histogram::with_opts(
            HistogramOpts::new("mindos_miner_batch_size", "Inputs per batch run")
                .buckets(prometheus::exponential_buckets(1.0, 2.0, 11)?),
        )?;
        let batch_duration = Histogram::with_opts(
            HistogramOpts::new(
                "mindos_miner_batch_duration_seconds",
                "Time the model took per batch",
            )
            .buckets(prometheus::exponential_buckets(0.00005, 2.0, 16)?),
        )?;
        let low_power = IntGauge::new(
            "mindos_miner_low_power",
            "1 while the power policy has lowered batch size and workers",
        )?;
        let signed = IntCounter::new(
            "mindos_miner_answers_signed_total",
            "Answers signed (each challenge once)",
        )?;
        let resent = IntCounter::new(
            "mindos_miner_answers_resent_total",
            "Repeated challenges answered with the stored signed answer",
        )?;
        let terms_refused = IntCounterVec::new(
            Opts::new(
                "mindos_miner_terms_refused_total",
                "Requests with challenge terms refused unsigned, by reason",
            ),
            &["reason"],
        )?;
        let stored = IntGauge::new(
            "mindos_miner_signed_answers_stored",
            "Signed answers kept to re-send",
        )?;
        let stored_bytes = IntGauge::new(
            "mindos_miner_signed_answers_bytes",
            "Bytes the kept signed answers are counted at",
        )?;
        let evicted = IntCounter::new(
            "mindos_miner_signed_answers_evicted_total",
            "Signed answers evicted, oldest first, to stay within the bound",
        )?;
        registry.register(Box::new(signed.clone()))?;
        registry.register(Box::new(resent.clone()))?;
        registry.register(Box::new(terms_refused.clone()))?;
        registry.register(Box::new(stored.clone()))?;
        registry.register(Box::new(stored_bytes.clone()))?;
        registry.register(Box::new(evicted.clone()))?;
        for reason in Refusal::ALL {
            terms_refused.with_label_values(&[reason.label()]);
        }
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(batch_size.clone()))?;
        registry.register(Box::new(batch_duration.clone()))?;
        registry.register(Box::new(low_power.clone()))?;
        // Every outcome shows from the start, at 0.
        for outcome in Outcome::ALL {
            requests.with_label_values(&[outcome.label()]);
        }
        Ok(Self {
            registry,
            requests,
            latency,
            queue_depth,
            batch_size,
            batch_duration,
            low_power,
            signed,
            resent,
            terms_refused,
            stored,
            stored_bytes,
            evicted,
        })
    }

    /// Counts one answer signed.
    pub(crate) fn signed(&self) {
        self.signed.inc();
    }

    /// Counts one stored answer re-sent.
    pub(crate) fn resent(&self) {
        self.resent.inc();
    }

    /// Counts one request with terms refused for `reason`.
    pub(crate) fn terms_refused(&self, reason: Refusal) {
        self.terms_refused
            .with_label_values(&[reason.label()])
            .inc();
    }

    /// The signed-answer store's size now, and `evicted` more evictions.
    pub(crate) fn store(&self, entries: usize, bytes: usize, evicted: u64) {
        self.stored.set(i64::try_from(entries).unwrap_or(i64::MAX));
        self.stored_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        self.evicted.inc_by(evicted);
    }

    /// Answers signed so far.
    #[cfg(test)]
    pub(crate) fn signed_count(&self) -> u64 {
        self.signed.get()
    }

    /// Requests with terms refused for `reason` so far.
    #[cfg(test)]
    pub(crate) fn refused_count(&self, reason: Refusal) -> u64 {
        self.terms_refused
            .with_label_values(&[reason.label()])
            .get()
    }

    /// Counts one answered request.
    pub(crate) fn answered(&self, outcome: Outcome, elapsed: Duration) {
        self.requests.with_label_values(&[outcome.label()]).inc();
        if outcome == Outcome::Ok {
            self.latency.observe(elapsed.as_secs_f64());
        }
    }

    /// Requests answered with `outcome` so far.
    pub(crate) fn count(&self, outcome: Outcome) -> u64 {
        self.requests.with_label_values(&[outcome.label()]).get()
    }

    pub(crate) fn set_queue_depth(&self, depth: usize) {
        self.queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    pub(crate) fn batch(&self, size: usize, took: Duration) {
        // Batches are at most 1024 inputs: exact as f64.
        self.batch_size.observe(size as f64);
        self.batch_duration.observe(took.as_secs_f64());
    }

    pub(crate) fn set_low_power(&self, low: bool) {
        self.low_power.set(i64::from(low));
    }

    /// The registry, for the endpoint that serves it.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }
}
