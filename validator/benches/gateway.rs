//! What the gateway costs, on the digits subnet over loopback, with real binaries: three
//! private `mindos-miner`s and a `mindos-validator` (challenges every 60 s, out of the way).
//! Prints ratios, asserts nothing.
//!
//! - Latency at concurrency 1 (p50, p99): a direct `/mindos/infer/1` call from this process's
//!   own mesh node to one miner, against `subnet_query` through the gateway (JSON-RPC over
//!   HTTP, input validation, routing, aggregation) at redundancy 1 and 3.
//! - Throughput at concurrency 32 for `BENCH_SECS` (default 5) seconds: queries per second
//!   through the gateway at redundancy 1, against direct calls spread over the three miners.
//!
//! Run it with `validator/bench.sh` (release build of the miner and the validator first).
//! `BENCH_REQUESTS` (default 300) sets the requests per latency measurement.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use mindos_mesh::{
    keys::keypair_from_secret, InferRequest, InferResponse, Mesh, MeshClient, MeshConfig, PeerId,
};
use mindos_subnets::EngineConfig;
use mindos_test_utils::free_port;
use serde_json::{json, Value};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peer_of(n: u8) -> PeerId {
    keypair_from_secret([n; 32]).unwrap().public().to_peer_id()
}

fn write_node_key(path: &Path, n: u8) {
    use std::os::unix::fs::PermissionsExt;
    let hex: String = std::iter::repeat_n(format!("{n:02x}"), 32).collect();
    std::fs::write(path, hex).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The miner binary next to the validator binary (same profile).
fn miner_bin() -> PathBuf {
    let validator = PathBuf::from(env!("CARGO_BIN_EXE_mindos-validator"));
    let bin = validator.with_file_name("mindos-miner");
    assert!(
        bin.is_file(),
        "{} is missing: validator/bench.sh builds it",
        bin.display()
    );
    bin
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.saturating_sub(1).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn direct(mesh: &MeshClient, peer: PeerId, payload: &Value) -> Duration {
    let started = Instant::now();
    let answer = mesh
        .request(
            peer,
            InferRequest::encode(mindos_mesh::NetUid(1), 1, payload).unwrap(),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert!(matches!(answer, InferResponse::Ok { .. }), "{answer:?}");
    started.elapsed()
}

/// The gateway API key the bench presents (redundancy 1 is for operators only).
const BENCH_API_KEY: &str = "bench-key-0123456789abcdef";

async fn gateway(client: &HttpClient, payload: &Value, redundancy: u32) -> Duration {
    let started = Instant::now();
    let answer: Value = client
        .request(
            "subnet_query",
            rpc_params![1, payload.clone(), json!({"redundancy": redundancy})],
        )
        .await
        .unwrap();
    assert!(answer["output"]["label"].is_u64(), "{answer}");
    started.elapsed()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let requests = env_usize("BENCH_REQUESTS", 300);
    let secs = env_usize("BENCH_SECS", 5) as u64;
    let dir = tempfile::tempdir().unwrap();
    let (validator_key, caller_key) = (50u8, 51u8);
    let mut children = Vec::new();
    let mut miner_flags = Vec::new();
    let mut miner_peers = Vec::new();
    for key in [52u8, 53, 54] {
        let mdir = dir.path().join(format!("miner{key}"));
        std::fs::create_dir_all(mdir.join("power")).unwrap();
        write_node_key(&mdir.join("node.key"), key);
        let port = free_port();
        let child = tokio::process::Command::new(miner_bin())
            .args([
                "--no-chain",
                "--netuid",
                "1",
                "--subnet",
                "digits",
                "--no-mdns",
                "--allow-private-addrs",
            ])
            .args(["--no-rpc", "--no-metrics", "--beat-interval-secs", "1"])
            .arg("--base-path")
            .arg(&mdir)
            .arg("--power-supply-dir")
            .arg(mdir.join("power"))
            .args(["--listen", &format!("/ip4/127.0.0.1/tcp/{port}")])
            .args(["--allow-peer", &peer_of(validator_key).to_string()])
            .args(["--allow-peer", &peer_of(caller_key).to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        children.push(child);
        let addr = format!("/ip4/127.0.0.1/tcp/{port}/p2p/{}", peer_of(key));
        miner_flags.push("--miner".to_owned());
        miner_flags.push(format!("1={addr}"));
        miner_peers.push((peer_of(key), addr));
    }
    let vdir = dir.path().join("validator");
    std::fs::create_dir_all(&vdir).unwrap();
    write_node_key(&vdir.join("node.key"), validator_key);
    let api_keys = vdir.join("api-keys");
    std::fs::write(&api_keys, format!("{BENCH_API_KEY}\n")).unwrap();
    let gateway_port = free_port();
    let validator = tokio::process::Command::new(env!("CARGO_BIN_EXE_mindos-validator"))
        .args([
            "--no-chain",
            "--subnet",
            "1=digits",
            "--no-mdns",
            "--allow-private-addrs",
            "--no-metrics",
        ])
        .args(["--listen", "/ip4/127.0.0.1/tcp/0"])
        .args(["--gateway-addr", &format!("127.0.0.1:{gateway_port}")])
        .args(["--challenge-interval-ms", "60000"])
        .args(["--gateway-rate", "1000000", "--gateway-concurrency", "1000"])
        // One address drives the load: lift the per-client connection cap, the gateway's
        // miner budget and the public agreement floor too.
        .args(["--gateway-max-connections-per-ip", "1000"])
        .args(["--gateway-miner-rate", "1000000"])
        .args(["--gateway-min-agreement-percent", "0"])
        // Redundancy 1, measured below, is for operators: the bench presents an API key.
        .arg("--gateway-api-keys")
        .arg(&api_keys)
        .arg("--base-path")
        .arg(&vdir)
        .args(&miner_flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    children.push(validator);

    let (mesh, mut events, event_loop) = Mesh::new(MeshConfig::local(
        keypair_from_secret([caller_key; 32]).unwrap(),
    ))
    .unwrap();
    tokio::spawn(event_loop.run(std::future::pending::<()>()));
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let mut headers = jsonrpsee::http_client::HeaderMap::new();
    headers.insert(
        "authorization",
        format!("Bearer {BENCH_API_KEY}").parse().unwrap(),
    );
    let client = HttpClientBuilder::default()
        .max_concurrent_requests(256)
        .set_headers(headers)
        .build(format!("http://127.0.0.1:{gateway_port}"))
        .unwrap();
    let engine = mindos_subnets::load("digits", &EngineConfig::default()).unwrap();
    let payload = serde_json::to_value(&engine.challenge(0).unwrap().input).unwrap();

    // Wait until every miner answers directly and the gateway answers at redundancy 3.
    let deadline = Instant::now() + Duration::from_secs(60);
    for (peer, addr) in &miner_peers {
        loop {
            assert!(Instant::now() < deadline, "miners did not come up");
            if mesh.dial(addr.parse().unwrap()).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        direct(&mesh, *peer, &payload).await;
    }
    loop {
        assert!(Instant::now() < deadline, "the gateway did not come up");
        let ok: Result<Value, _> = client
            .request(
                "subnet_query",
                rpc_params![1, payload.clone(), json!({"redundancy": 3})],
            )
            .await;
        if ok.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Warm up both paths.
    for _ in 0..50 {
        direct(&mesh, miner_peers[0].0, &payload).await;
        gateway(&client, &payload, 1).await;
    }

    let mut rows = Vec::new();
    let mut direct_times = Vec::new();
    let mut r1 = Vec::new();
    let mut r3 = Vec::new();
    // Interleaved, so background load hits every path alike.
    for i in 0..requests {
        direct_times.push(direct(&mesh, miner_peers[i % 3].0, &payload).await);
        r1.push(gateway(&client, &payload, 1).await);
        r3.push(gateway(&client, &payload, 3).await);
    }
    for v in [&mut direct_times, &mut r1, &mut r3] {
        v.sort_unstable();
    }
    let (d50, d99) = (
        percentile(&direct_times, 0.5),
        percentile(&direct_times, 0.99),
    );
    for (name, times) in [
        ("gateway, redundancy 1", &r1),
        ("gateway, redundancy 3", &r3),
    ] {
        let (p50, p99) = (percentile(times, 0.5), percentile(times, 0.99));
        rows.push(format!(
            "{name}: p50 {:.3} ms (+{:.3} ms, {:.2}x direct), p99 {:.3} ms ({:.2}x direct)",
            ms(p50),
            ms(p50) - ms(d50),
            ms(p50) / ms(d50),
            ms(p99),
            ms(p99) / ms(d99),
        ));
    }
    println!("latency, concurrency 1, {requests} requests each, digits, loopback:");
    println!(
        "  direct miner call: p50 {:.3} ms, p99 {:.3} ms",
        ms(d50),
        ms(d99)
    );
    for row in rows {
        println!("  {row}");
    }

    // Throughput at concurrency 32.
    let window = Duration::from_secs(secs);
    let gateway_qps = {
        let count = Arc::new(AtomicU64::new(0));
        let stop = Instant::now() + window;
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (client, payload, count) = (client.clone(), payload.clone(), count.clone());
                tokio::spawn(async move {
                    while Instant::now() < stop {
                        gateway(&client, &payload, 1).await;
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        count.load(Ordering::Relaxed) as f64 / window.as_secs_f64()
    };
    let direct_qps = {
        let count = Arc::new(AtomicU64::new(0));
        let stop = Instant::now() + window;
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let (mesh, payload, count) = (mesh.clone(), payload.clone(), count.clone());
                let peer = miner_peers[i % 3].0;
                tokio::spawn(async move {
                    while Instant::now() < stop {
                        direct(&mesh, peer, &payload).await;
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        count.load(Ordering::Relaxed) as f64 / window.as_secs_f64()
    };
    println!("throughput, concurrency 32, {secs} s each, digits, three miners:");
    println!("  gateway (redundancy 1): {gateway_qps:.0} queries/s");
    println!(
        "  direct calls spread over the miners: {direct_qps:.0} requests/s (gateway {:.2}x)",
        gateway_qps / direct_qps
    );
    drop(children);
}
