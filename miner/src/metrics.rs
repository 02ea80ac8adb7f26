//! Prometheus metrics and the plain-HTTP endpoint that serves them at `/metrics`.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `mindos_miner_requests_total{outcome}` | counter | requests answered, by outcome (`ok`, `unauthorized`, `unknown_subnet`, `invalid_input`, `busy`, `internal`) |
//! | `mindos_miner_request_duration_seconds` | histogram | receipt to answer, requests answered `ok` |
//! | `mindos_miner_queue_depth` | gauge | requests waiting for a worker |
//! | `mindos_miner_batch_size` | histogram | inputs per batch run |
//! | `mindos_miner_batch_duration_seconds` | histogram | time the model took per batch |
//! | `mindos_miner_low_power` | gauge | 1 while the power policy has lowered limits |
//!
//! Each miner owns its registry (not the process-global one), so several miners can run in
//! one process (tests do).

use std::{sync::Arc, time::Duration};

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_util::sync::CancellationToken;

use crate::serve::Outcome;

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
        })
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

    /// The text exposition of every metric.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut buffer = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::warn!(error = %e, "encoding metrics failed");
        }
        buffer
    }
}

/// Largest request head read; `GET /metrics` needs a few dozen bytes.
const MAX_HEAD: usize = 8 * 1024;

/// Serves `GET /metrics` on `listener` until `cancel` fires.
pub(crate) async fn serve(listener: TcpListener, metrics: Arc<Metrics>, cancel: CancellationToken) {
    loop {
        let stream = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let answer = tokio::time::timeout(Duration::from_secs(5), respond(stream, &metrics));
            if let Ok(Err(e)) = answer.await {
                tracing::debug!(error = %e, "metrics: request failed");
            }
        });
    }
}

async fn respond(mut stream: TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut words = line.split(|b| *b == b' ');
    let (method, path) = (words.next(), words.next());
    let (status, content_type, body) = match (method, path) {
        (Some(b"GET"), Some(b"/metrics")) => (
            "200 OK",
            TextEncoder::new().format_type().to_owned(),
            metrics.encode(),
        ),
        _ => (
            "404 Not Found",
            "text/plain".to_owned(),
            b"try GET /metrics\n".to_vec(),
        ),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.shutdown().await
}
