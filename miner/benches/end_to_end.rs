//! What serving costs: a raw ONNX session (`mindos-subnets` `infer_batch`, in this process)
//! against the `mindos-miner` binary end to end over loopback libp2p, on MiniLM
//! (text-embedding) with one intra-op thread. Prints ratios, asserts nothing.
//!
//! - Latency at concurrency 1: p50 and p99 of each, and what the miner adds (goal: ≤ 0.3 ms
//!   at p50). Raw is `infer_batch([input])` on a decoded input (it tokenizes the text); the
//!   miner's time also holds the JSON both ways and the mesh round trip.
//! - Throughput at concurrency 8: raw is 8 threads calling `infer_batch([input])` on the one
//!   session (what the miner's one worker could do without batching); the miner is 8 callers
//!   in flight (goal: ≥ 0.85× raw).
//! - The miner process's resident memory idle (after start-up) and its peak under load,
//!   against the model file's size (goal: model + ≤ 60 MB).
//!
//! - The transport's share: the same requests to an in-process mesh node that answers at
//!   once, and to one that answers from a thread after sleeping as long as the model runs
//!   (minus that sleep) — what any server pays for threads that parked meanwhile.
//!
//! - Signed answers: the same requests carrying challenge terms (each with a fresh nonce, so
//!   each is signed, never re-sent from the store), verified by the caller as a validator
//!   does (`verify_answer` on the hash of the decoded answer), side by side with the same
//!   requests without terms: the latency signing adds per request and the ratio. The
//!   miner runs without a chain, so it signs for a zero genesis hash — the same work as on a
//!   chain. And a challenge sent again (the answer re-sent from the store, the model not run).
//!
//! Latency requests alternate one by one (raw, raw handed to a thread, miner, signed, bare mesh) and
//! throughput rounds alternate, so background load on the machine hits all alike.
//! Run it with `miner/bench.sh` (release build). `BENCH_REQUESTS` (default 300) sets the
//! requests per latency round, `BENCH_ROUNDS` (default 3) the rounds, `BENCH_SUBNET`
//! (default `text-embedding`; `digits` shows the serving overhead alone, its model taking
//! microseconds) the subnet, `BENCH_MINER_ARGS` extra flags for the miner (e.g.
//! `--max-batch 4`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{ask, caller, connect, percentile, self_rss_kib, spawn_load, MinerProcess};
use mindos_mesh::{
    libp2p::multiaddr::Protocol, receipt::verify_answer, wire::ChallengeTerms, InferRequest,
    InferResponse, Keypair, Mesh, MeshClient, MeshConfig, Multiaddr, PeerId, Uid,
};
use mindos_subnets::{EngineConfig, Input, SubnetEngine};

const CONCURRENCY: usize = 8;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let requests = env_usize("BENCH_REQUESTS", 300);
    let rounds = env_usize("BENCH_ROUNDS", 3);
    let subnet = std::env::var("BENCH_SUBNET").unwrap_or_else(|_| "text-embedding".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(&subnet, requests, rounds));
}

async fn bench(subnet: &str, requests: usize, rounds: usize) {
    let netuid = mindos_mesh::NetUid(if subnet == "digits" { 1 } else { 0 });
    let rss_before_load = self_rss_kib();
    let engine = mindos_subnets::load(subnet, &EngineConfig::default())
        .expect("MiniLM and the ONNX Runtime library: run scripts/setup.sh (bench.sh sources scripts/lib/env.sh)");
    let samples: Vec<Input> = (0..engine.validation_len())
        .filter_map(|i| engine.challenge(i).map(|c| c.input))
        .collect();
    let payloads: Vec<serde_json::Value> = samples
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect();
    let engine_rss = self_rss_kib().saturating_sub(rss_before_load);
    let model_bytes = if subnet == "digits" {
        mindos_subnets::digits::MODEL_ONNX.len() as u64
    } else {
        std::fs::metadata(
            EngineConfig::default()
                .models_dir()
                .join(subnet)
                .join("model.onnx"),
        )
        .map(|m| m.len())
        .unwrap_or(0)
    };

    let dir = tempfile::tempdir().unwrap();
    let caller_key = Keypair::generate_ed25519();
    let caller_id = caller_key.public().to_peer_id();
    let miner_args: Vec<String> = std::env::var("BENCH_MINER_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let miner = MinerProcess::spawn(dir.path(), subnet, netuid, caller_id, &miner_args).await;
    let caller = caller(caller_key);
    let peer = connect(&caller, &miner.addr).await;
    let rss_idle = miner.rss_kib();
    // The mesh alone: an in-process node that answers at once with a real output.
    let sample_output = serde_json::to_value(
        engine
            .infer_batch(vec![samples[0].clone()])
            .unwrap()
            .remove(0),
    )
    .unwrap();
    let echo = echo_node(sample_output.clone(), None);
    let echo_peer = connect(&caller, &echo).await;
    // The mesh alone again, but the answer leaves a thread that slept as long as the model
    // runs, as the miner's does: both sides' threads park meanwhile and must wake.
    let model_p50 = {
        let mut runs: Vec<Duration> = samples
            .iter()
            .take(20)
            .map(|i| raw_once(&engine, i))
            .collect();
        runs.sort();
        percentile(&runs, 50)
    };
    let held = Arc::new(std::sync::Mutex::new(Vec::new()));
    let slow_echo = echo_node(sample_output, Some((model_p50, held.clone())));
    let slow_echo_peer = connect(&caller, &slow_echo).await;

    // Warm both paths (first runs allocate ONNX Runtime's arenas).
    for payload in payloads.iter().take(20) {
        ask(&caller, peer, netuid, payload.clone()).await;
    }
    for input in samples.iter().take(20) {
        engine.infer_batch(vec![input.clone()]).unwrap();
    }

    let (mut raw_lat, mut miner_lat, mut echo_lat) = (Vec::new(), Vec::new(), Vec::new());
    let mut slow_echo_over = Vec::new();
    let mut handoff_lat = Vec::new();
    let (mut signed_lat, mut verify_lat, mut resent_lat) = (Vec::new(), Vec::new(), Vec::new());
    let signer = SignedAsker {
        engine: engine.clone(),
        terms: ChallengeTerms {
            uid: Uid(0),
            hotkey: [7; 32],
            epoch: 1,
            model_digest: engine.info().model_digest,
            deadline: u64::MAX,
        },
        peer,
        netuid,
    };
    // Warm the signed path too (its first signature initialises the key's tables).
    for (i, payload) in payloads.iter().take(20).enumerate() {
        signer.ask(&caller, u64::MAX - i as u64, payload).await;
    }
    let mut nonce = 0u64;
    let (mut raw_tput, mut miner_tput) = (Vec::new(), Vec::new());
    let mut rss_peak = 0;
    let (mut model_sum, mut model_count) = (0.0, 0.0);
    let (mut handled_sum, mut handled_count) = (0.0, 0.0);
    let handoff = Handoff::start(engine.clone());
    for round in 0..rounds {
        let before = miner.model_time().await;
        // One request of each kind in turn, so a change in the machine's background load
        // hits all four alike.
        for i in 0..requests {
            let input = &samples[i % samples.len()];
            let payload = &payloads[i % payloads.len()];
            raw_lat.push(raw_once(&engine, input));
            handoff_lat.push(handoff.once(input).await);
            // Signed and unsigned in turn first, so neither always follows the other.
            nonce += 1;
            if i % 2 == 0 {
                miner_lat.push(ask_timed(&caller, peer, netuid, payload).await);
            }
            let (took, verified_in) = signer.ask(&caller, nonce, payload).await;
            signed_lat.push(took);
            verify_lat.push(verified_in);
            if i % 2 == 1 {
                miner_lat.push(ask_timed(&caller, peer, netuid, payload).await);
            }
            if i % 10 == 0 {
                // A challenge sent again: the stored answer, the model not run.
                resent_lat.push(signer.ask(&caller, nonce, payload).await.0);
            }
            echo_lat.push(ask_timed(&caller, echo_peer, netuid, payload).await);
            let round_trip = ask_timed(&caller, slow_echo_peer, netuid, payload).await;
            let hold = held.lock().unwrap().pop().unwrap_or_default();
            slow_echo_over.push(round_trip.saturating_sub(hold));
        }
        let after = miner.model_time().await;
        model_sum += after.model_sum - before.model_sum;
        model_count += after.model_count - before.model_count;
        handled_sum += after.handled_sum - before.handled_sum;
        handled_count += after.handled_count - before.handled_count;
        raw_tput.push(raw_throughput(engine.clone(), &samples, requests));
        let (tput, peak) =
            miner_throughput(&caller, peer, netuid, &payloads, requests, &miner).await;
        miner_tput.push(tput);
        rss_peak = rss_peak.max(peak);
        eprintln!("round {}/{rounds} done", round + 1);
    }
    let rss_hwm = miner.hwm_kib();
    miner.stop().await;

    raw_lat.sort();
    miner_lat.sort();
    echo_lat.sort();
    slow_echo_over.sort();
    handoff_lat.sort();
    signed_lat.sort();
    verify_lat.sort();
    resent_lat.sort();
    let (e50, e99) = (percentile(&echo_lat, 50), percentile(&echo_lat, 99));
    let mean = |v: &[Duration]| {
        v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len().max(1) as f64 * 1000.0
    };
    let model_mean = model_sum / model_count.max(1.0) * 1000.0;
    let handled_mean = handled_sum / handled_count.max(1.0) * 1000.0;
    let (raw50, raw99) = (percentile(&raw_lat, 50), percentile(&raw_lat, 99));
    let (m50, m99) = (percentile(&miner_lat, 50), percentile(&miner_lat, 99));
    let raw_t = median_f64(&mut raw_tput);
    let miner_t = median_f64(&mut miner_tput);
    let model_mib = model_bytes as f64 / 1048576.0;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let added = |m: Duration, r: Duration| (m.as_secs_f64() - r.as_secs_f64()) * 1000.0;

    println!("mindos-miner vs a raw ONNX session: {subnet}, 1 intra-op thread, {rounds} rounds x {requests} requests");
    println!("latency at concurrency 1                  p50          p99         mean");
    println!(
        "  raw infer_batch([x])              {:>9.3} ms {:>9.3} ms {:>9.3} ms",
        ms(raw50),
        ms(raw99),
        mean(&raw_lat)
    );
    println!(
        "  miner over loopback libp2p        {:>9.3} ms {:>9.3} ms {:>9.3} ms",
        ms(m50),
        ms(m99),
        mean(&miner_lat)
    );
    println!(
        "  added by the miner                {:>9.3} ms {:>9.3} ms   (goal: p50 <= 0.3 ms)",
        added(m50, raw50),
        added(m99, raw99)
    );
    println!(
        "  raw on a worker thread, awaited   {:>9.3} ms {:>9.3} ms {:>9.3} ms   (the handoff off the executor)",
        ms(percentile(&handoff_lat, 50)),
        ms(percentile(&handoff_lat, 99)),
        mean(&handoff_lat)
    );
    println!(
        "  the model inside the miner                               {model_mean:>9.3} ms   (its batch time: decoding, tokenizing, the model)"
    );
    println!(
        "  miner minus its model time                               {:>9.3} ms   (serving overhead)",
        mean(&miner_lat) - model_mean
    );
    println!(
        "    of it inside the miner, receipt to answer              {:>9.3} ms   (checks, queue, encoding the answer)",
        handled_mean - model_mean
    );
    println!(
        "  the mesh alone                    {:>9.3} ms {:>9.3} ms {:>9.3} ms   (in-process node answering at once)",
        ms(e50),
        ms(e99),
        mean(&echo_lat)
    );
    println!(
        "  the mesh alone, after a {:.1} ms wait {:>7.3} ms {:>9.3} ms {:>9.3} ms   (the same node answering from a thread that slept as long as the model runs; minus the wait)",
        ms(model_p50),
        ms(percentile(&slow_echo_over, 50)),
        ms(percentile(&slow_echo_over, 99)),
        mean(&slow_echo_over)
    );
    let (s50, s99) = (percentile(&signed_lat, 50), percentile(&signed_lat, 99));
    println!("signed answers at concurrency 1 (requests with challenge terms, side by side with the same requests without)");
    println!(
        "  miner, signed, verified by caller {:>9.3} ms {:>9.3} ms {:>9.3} ms",
        ms(s50),
        ms(s99),
        mean(&signed_lat)
    );
    println!(
        "  added by signing and checking     {:>9.3} ms {:>9.3} ms {:>9.3} ms   (signed minus unsigned)",
        added(s50, m50),
        added(s99, m99),
        mean(&signed_lat) - mean(&miner_lat)
    );
    println!(
        "  signed / unsigned                 {:>9.3}x {:>9.3}x {:>9.3}x",
        s50.as_secs_f64() / m50.as_secs_f64(),
        s99.as_secs_f64() / m99.as_secs_f64(),
        mean(&signed_lat) / mean(&miner_lat)
    );
    println!(
        "    of it the caller's check        {:>9.3} ms {:>9.3} ms {:>9.3} ms   (decode the answer, hash it, verify_answer)",
        ms(percentile(&verify_lat, 50)),
        ms(percentile(&verify_lat, 99)),
        mean(&verify_lat)
    );
    println!(
        "  a challenge sent again            {:>9.3} ms {:>9.3} ms {:>9.3} ms   (the stored answer re-sent; the model does not run)",
        ms(percentile(&resent_lat, 50)),
        ms(percentile(&resent_lat, 99)),
        mean(&resent_lat)
    );
    println!("throughput at concurrency {CONCURRENCY}");
    println!("  raw, one session                  {raw_t:>9.1} req/s");
    println!("  miner                             {miner_t:>9.1} req/s");
    println!(
        "  miner / raw                       {:>9.3}x       (goal: >= 0.85x)",
        miner_t / raw_t
    );
    println!("resident memory (model file {model_mib:.1} MiB)");
    println!(
        "  miner idle after start-up         {:>9.1} MiB   = model + {:.1} MiB",
        mib(rss_idle),
        mib(rss_idle) - model_mib
    );
    println!(
        "  miner peak under load             {:>9.1} MiB   = model + {:.1} MiB   (goal: model + <= 60 MiB)",
        mib(rss_peak),
        mib(rss_peak) - model_mib
    );
    println!(
        "  miner high-water mark             {:>9.1} MiB   (includes loading the model)",
        mib(rss_hwm)
    );
    println!(
        "  the loaded engine alone (growth of this bench process on load): {:.1} MiB",
        mib(engine_rss)
    );
}

fn median_f64(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn raw_once(engine: &Arc<dyn SubnetEngine>, input: &Input) -> Duration {
    let input = input.clone();
    let started = Instant::now();
    engine.infer_batch(vec![input]).unwrap();
    started.elapsed()
}

/// Raw inference on a dedicated thread, awaited from a task through a oneshot: the
/// cross-thread handoff any server that keeps inference off its executor pays.
struct Handoff {
    jobs: std::sync::mpsc::Sender<(Input, tokio::sync::oneshot::Sender<()>)>,
}

impl Handoff {
    fn start(engine: Arc<dyn SubnetEngine>) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<(Input, tokio::sync::oneshot::Sender<()>)>();
        std::thread::spawn(move || {
            for (input, done) in rx {
                engine.infer_batch(vec![input]).unwrap();
                let _ = done.send(());
            }
        });
        Self { jobs }
    }

    async fn once(&self, input: &Input) -> Duration {
        let (done, finished) = tokio::sync::oneshot::channel();
        let input = input.clone();
        let started = Instant::now();
        self.jobs.send((input, done)).unwrap();
        finished.await.unwrap();
        started.elapsed()
    }
}

fn raw_throughput(engine: Arc<dyn SubnetEngine>, samples: &[Input], n: usize) -> f64 {
    let per_thread = n / CONCURRENCY;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..CONCURRENCY {
            let engine = engine.clone();
            scope.spawn(move || {
                for i in 0..per_thread {
                    let input = samples[(t * per_thread + i) % samples.len()].clone();
                    engine.infer_batch(vec![input]).unwrap();
                }
            });
        }
    });
    (per_thread * CONCURRENCY) as f64 / started.elapsed().as_secs_f64()
}

async fn ask_timed(
    caller: &MeshClient,
    peer: PeerId,
    netuid: mindos_mesh::NetUid,
    payload: &serde_json::Value,
) -> Duration {
    let payload = payload.clone();
    let started = Instant::now();
    ask(caller, peer, netuid, payload).await;
    started.elapsed()
}

/// Requests per second with 8 in flight, and the miner's peak RSS (KiB) meanwhile.
async fn miner_throughput(
    caller: &MeshClient,
    peer: PeerId,
    netuid: mindos_mesh::NetUid,
    payloads: &[serde_json::Value],
    n: usize,
    miner: &MinerProcess,
) -> (f64, u64) {
    let started = Instant::now();
    let (tasks, sent) = spawn_load(caller, peer, netuid, payloads, n, CONCURRENCY);
    let mut peak = 0;
    let all = futures::future::join_all(tasks);
    tokio::pin!(all);
    loop {
        tokio::select! {
            results = &mut all => {
                for r in results { r.unwrap(); }
                break;
            }
            () = tokio::time::sleep(Duration::from_millis(20)) => peak = peak.max(miner.rss_kib()),
        }
    }
    (sent as f64 / started.elapsed().as_secs_f64(), peak)
}

/// Sends requests with challenge terms and checks their receipts as a validator does.
struct SignedAsker {
    engine: Arc<dyn SubnetEngine>,
    terms: ChallengeTerms,
    peer: PeerId,
    netuid: mindos_mesh::NetUid,
}

impl SignedAsker {
    /// The round trip of one request with terms (nonce `nonce`) including the caller's check
    /// of the receipt, and the check alone.
    async fn ask(
        &self,
        caller: &MeshClient,
        nonce: u64,
        payload: &serde_json::Value,
    ) -> (Duration, Duration) {
        let mut request = InferRequest::encode(self.netuid, nonce, payload).unwrap();
        request.challenge = Some(self.terms.clone());
        let started = Instant::now();
        let challenge = request.evidence_challenge().unwrap();
        let response = caller
            .request(self.peer, request, Duration::from_secs(30))
            .await
            .unwrap();
        let checking = Instant::now();
        let (Some(bytes), Some(receipt)) = (response.payload_bytes(), response.receipt()) else {
            panic!("the miner did not sign: {response:?}");
        };
        let output = self.engine.decode_output(bytes).unwrap();
        let hash = self.engine.output_hash(&output).unwrap();
        verify_answer(&[0; 32], &self.peer, challenge, hash, receipt).expect("a valid signature");
        (started.elapsed(), checking.elapsed())
    }
}

/// A mesh node in this process that answers every request with `output`: at once, or with
/// `hold = Some((wait, held))` from a thread of its own after sleeping `wait`, recording in
/// `held` how long each request was held from receipt to answer.
fn echo_node(
    output: serde_json::Value,
    hold: Option<(Duration, Arc<std::sync::Mutex<Vec<Duration>>>)>,
) -> Multiaddr {
    let key = Keypair::generate_ed25519();
    let peer = key.public().to_peer_id();
    let (client, mut events, event_loop) = Mesh::new(MeshConfig::local(key)).unwrap();
    tokio::spawn(event_loop.run(std::future::pending()));
    let sleeper = hold.map(|(wait, held)| {
        let (jobs, queue) = std::sync::mpsc::channel::<(mindos_mesh::Responder, Instant)>();
        let output = output.clone();
        std::thread::spawn(move || {
            for (responder, received) in queue {
                std::thread::sleep(wait);
                held.lock().unwrap().push(received.elapsed());
                responder.respond(InferResponse::encode_ok(&output).unwrap());
            }
        });
        jobs
    });
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let mindos_mesh::MeshEvent::InboundRequest { responder, .. } = event {
                match &sleeper {
                    Some(jobs) => jobs.send((responder, Instant::now())).unwrap(),
                    None => responder.respond(InferResponse::encode_ok(&output).unwrap()),
                }
            }
        }
    });
    let addr = futures::executor::block_on(client.listen_addrs())
        .unwrap()
        .remove(0);
    std::mem::forget(client);
    addr.with(Protocol::P2p(peer))
}
