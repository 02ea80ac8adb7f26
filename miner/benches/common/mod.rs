//! What the miner's benches share: the `mindos-miner` binary in private mode, a mesh caller
//! that sends it requests, and the resident memory of a process from `/proc/<pid>/status`.

// Each bench uses part of this module.
#![allow(dead_code)]

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use mindos_mesh::{
    keys::keypair_from_secret, libp2p::multiaddr::Protocol, InferRequest, InferResponse, Keypair,
    Mesh, MeshClient, MeshConfig, Multiaddr, PeerId,
};

pub(crate) fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) * p + 50) / 100;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) async fn ask(
    caller: &MeshClient,
    peer: PeerId,
    netuid: mindos_mesh::NetUid,
    payload: serde_json::Value,
) {
    let request = InferRequest::encode(netuid, 0, &payload).unwrap();
    match caller.request(peer, request, Duration::from_secs(30)).await {
        Ok(InferResponse::Ok { .. }) => {}
        other => panic!("the miner did not answer: {other:?}"),
    }
}

/// Starts `concurrency` tasks that send `requests` of `payloads` (cycling) between them, each
/// task one request after another; returns the tasks and how many requests they send.
pub(crate) fn spawn_load(
    caller: &MeshClient,
    peer: PeerId,
    netuid: mindos_mesh::NetUid,
    payloads: &[serde_json::Value],
    requests: usize,
    concurrency: usize,
) -> (Vec<tokio::task::JoinHandle<()>>, usize) {
    let per_task = requests / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|t| {
            let caller = caller.clone();
            let mine: Vec<_> = (0..per_task)
                .map(|i| payloads[(t * per_task + i) % payloads.len()].clone())
                .collect();
            tokio::spawn(async move {
                for payload in mine {
                    ask(&caller, peer, netuid, payload).await;
                }
            })
        })
        .collect();
    (tasks, per_task * concurrency)
}

pub(crate) fn caller(key: Keypair) -> MeshClient {
    let (client, mut events, event_loop) = Mesh::new(MeshConfig::local(key)).unwrap();
    tokio::spawn(event_loop.run(std::future::pending()));
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    client
}

pub(crate) async fn connect(caller: &MeshClient, addr: &Multiaddr) -> PeerId {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match caller.dial(addr.clone()).await {
            Ok(peer) => return peer,
            Err(e) if Instant::now() > deadline => {
                panic!("the miner never listened at {addr}: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Cumulative times from the miner's metrics, in seconds.
pub(crate) struct ServedTimes {
    pub(crate) model_sum: f64,
    pub(crate) model_count: f64,
    pub(crate) handled_sum: f64,
    pub(crate) handled_count: f64,
}

/// The `mindos-miner` binary (release, next to this bench) in private mode.
pub(crate) struct MinerProcess {
    child: tokio::process::Child,
    pub(crate) addr: Multiaddr,
    metrics_port: u16,
}

impl MinerProcess {
    /// Starts it serving `subnet` to `caller` alone, with `extra_args` after the bench's own.
    pub(crate) async fn spawn(
        dir: &Path,
        subnet: &str,
        netuid: mindos_mesh::NetUid,
        caller: PeerId,
        extra_args: &[String],
    ) -> Self {
        let secret = [42u8; 32];
        write_private(&dir.join("node.key"), &secret);
        let peer = keypair_from_secret(secret).unwrap().public().to_peer_id();
        let port = mindos_test_utils::free_port();
        let listen = format!("/ip4/127.0.0.1/tcp/{port}");
        let metrics_port = mindos_test_utils::free_port();
        std::fs::create_dir_all(dir.join("power_supply")).unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mindos-miner"))
            .args([
                "--no-chain",
                "--subnet",
                subnet,
                "--netuid",
                &netuid.to_string(),
            ])
            .args(["--no-mdns", "--allow-private-addrs", "--no-rpc"])
            .args(["--compute-score", "1"])
            .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
            .args(["--listen", &listen, "--allow-peer", &caller.to_string()])
            .arg("--base-path")
            .arg(dir)
            .arg("--power-supply-dir")
            .arg(dir.join("power_supply"))
            .args(extra_args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn mindos-miner");
        let addr: Multiaddr = listen.parse().unwrap();
        Self {
            child,
            addr: addr.with(Protocol::P2p(peer)),
            metrics_port,
        }
    }

    /// Sums and counts of the miner's batch and request durations.
    pub(crate) async fn model_time(&self) -> ServedTimes {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.metrics_port))
            .await
            .unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\n\r\n")
            .await
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        ServedTimes {
            model_sum: value("mindos_miner_batch_duration_seconds_sum "),
            model_count: value("mindos_miner_batch_duration_seconds_count "),
            handled_sum: value("mindos_miner_request_duration_seconds_sum "),
            handled_count: value("mindos_miner_request_duration_seconds_count "),
        }
    }

    /// The process id (while it runs).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id().expect("miner running")
    }

    pub(crate) fn rss_kib(&self) -> u64 {
        status_kib(
            &self.child.id().expect("miner running").to_string(),
            "VmRSS:",
        )
    }

    pub(crate) fn hwm_kib(&self) -> u64 {
        status_kib(
            &self.child.id().expect("miner running").to_string(),
            "VmHWM:",
        )
    }

    pub(crate) async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }
}

/// A field of `/proc/<pid>/status` in KiB (0 if unreadable).
pub(crate) fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub(crate) fn self_rss_kib() -> u64 {
    status_kib("self", "VmRSS:")
}

pub(crate) fn write_private(path: &Path, contents: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Sets the process's peak resident memory (`VmHWM`) back to its current `VmRSS`
/// (`/proc/<pid>/clear_refs`, Linux 4.0 and later), so the next peak read is that of what
/// ran since, not of loading the model.
pub(crate) fn reset_hwm(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .expect("resetting VmHWM through /proc/<pid>/clear_refs");
}

/// The resident memory the process settles at, in KiB: the median of `STEADY_SAMPLES`
/// readings of `VmRSS` `STEADY_INTERVAL` apart, taken after a first wait of the same length.
pub(crate) async fn steady_rss_kib(pid: u32) -> u64 {
    let mut samples = Vec::with_capacity(STEADY_SAMPLES);
    for _ in 0..STEADY_SAMPLES {
        tokio::time::sleep(STEADY_INTERVAL).await;
        samples.push(status_kib(&pid.to_string(), "VmRSS:"));
    }
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Readings of `VmRSS` per steady value.
pub(crate) const STEADY_SAMPLES: usize = 5;
/// Time between two readings.
pub(crate) const STEADY_INTERVAL: Duration = Duration::from_millis(200);
