//! Helpers for the validator's end-to-end tests: real `mindos-miner` and `mindos-validator`
//! binaries and a real `mindos-node --dev` on loopback, JSON-RPC and raw HTTP clients, and
//! time bounds.
//!
//! The miner binary must be built with the `fault-injection` feature
//! (`cargo build -p mindos-miner --features fault-injection`); the node with `fast-blocks`
//! (`cargo build -p mindos-node --features fast-blocks`). Both are looked up next to this
//! test's target directory, or at `MINDOS_MINER_BIN` / `MINDOS_NODE_BIN`.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use jsonrpsee::{
    core::client::{ClientT, Error as ClientError},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use mindos_mesh::{keys::keypair_from_secret, PeerId};
use mindos_subnets::{Input, Output, SubnetEngine};
use serde_json::Value;
use tokio::{process::Child, time::Instant};

pub const VALIDATOR_BIN: &str = env!("CARGO_BIN_EXE_mindos-validator");

/// The label this process's digits model gives `input` — what honest miners, which run the
/// same model, must answer.
pub fn local_digits_label(engine: &dyn SubnetEngine, input: &Input) -> u8 {
    let Output::Digits(local) = engine.infer_batch(vec![input.clone()]).unwrap().remove(0) else {
        panic!("a digits output");
    };
    local.label
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// `$CARGO_TARGET_DIR/debug/NAME` (this test runs from `debug/deps/`), or `$ENV`.
pub fn sibling_bin(name: &str, env: &str) -> PathBuf {
    if let Some(bin) = std::env::var_os(env).filter(|b| !b.is_empty()) {
        return bin.into();
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().join(name)
}

pub fn miner_bin() -> PathBuf {
    let bin = sibling_bin("mindos-miner", "MINDOS_MINER_BIN");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p mindos-miner --features fault-injection`",
        bin.display()
    );
    bin
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a libp2p node key with secret `[n; 32]`; returns its PeerId.
pub fn write_node_key(path: &Path, n: u8) -> PeerId {
    let hex: String = std::iter::repeat_n(format!("{n:02x}"), 32).collect();
    std::fs::write(path, hex).unwrap();
    set_private(path);
    keypair_from_secret([n; 32]).unwrap().public().to_peer_id()
}

/// Writes a key file (secret URI) readable by the owner only.
pub fn write_key(path: &Path, uri: &str) {
    std::fs::write(path, format!("{uri}\n")).unwrap();
    set_private(path);
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A child process whose stderr goes to `log`; killed on drop.
pub struct Proc {
    pub child: Child,
    pub log: PathBuf,
}

impl Proc {
    pub fn spawn(bin: &Path, args: &[String], envs: &[(&str, &str)], log: &Path) -> Self {
        let file = std::fs::File::create(log).unwrap();
        let child = tokio::process::Command::new(bin)
            .args(args)
            .envs(envs.iter().copied())
            .env(
                "RUST_LOG",
                std::env::var("E2E_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        Self {
            child,
            log: log.to_owned(),
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no goodbye, the way a crashed or unplugged device disappears.
    pub async fn kill(&mut self) {
        self.child.kill().await.unwrap();
    }

    /// SIGTERM, then waits up to 30 s for a clean exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits within 30 s of SIGTERM")
            .unwrap()
    }

    pub fn print_tail(&self, name: &str, lines: usize) {
        let text = self.log_text();
        let tail: Vec<&str> = text.lines().rev().take(lines).collect();
        eprintln!(
            "--- {name}: {} (last {lines} lines) ---",
            self.log.display()
        );
        for line in tail.into_iter().rev() {
            eprintln!("{line}");
        }
    }
}

/// A digits miner binary in a private mesh serving `allow` on loopback `port` with node key
/// `[key; 32]`.
pub struct MinerSpec<'a> {
    pub dir: &'a Path,
    pub name: &'a str,
    pub subnet: &'a str,
    pub netuid: u16,
    pub key: u8,
    pub fault: Option<&'a str>,
}

/// Common miner flags: loopback, random ports, no battery, short beats; `extra` appended.
pub fn miner_args(spec: &MinerSpec<'_>, port: u16, extra: &[String]) -> Vec<String> {
    let dir = spec.dir.join(spec.name);
    std::fs::create_dir_all(dir.join("power_supply")).unwrap();
    write_node_key(&dir.join("node.key"), spec.key);
    let mut args: Vec<String> = [
        "--netuid",
        &spec.netuid.to_string(),
        "--base-path",
        dir.to_str().unwrap(),
        "--listen",
        &format!("/ip4/127.0.0.1/tcp/{port}"),
        "--no-mdns",
        "--no-rpc",
        "--no-metrics",
        "--power-supply-dir",
        dir.join("power_supply").to_str().unwrap(),
        "--beat-interval-secs",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend_from_slice(extra);
    args
}

pub fn spawn_miner(spec: &MinerSpec<'_>, port: u16, extra: &[String]) -> Proc {
    let args = miner_args(spec, port, extra);
    let envs: Vec<(&str, &str)> = spec
        .fault
        .map(|f| vec![("MINDOS_MINER_FAULT", f)])
        .unwrap_or_default();
    Proc::spawn(
        &miner_bin(),
        &args,
        &envs,
        &spec.dir.join(format!("{}.log", spec.name)),
    )
}

pub fn multiaddr(port: u16, peer: PeerId) -> String {
    format!("/ip4/127.0.0.1/tcp/{port}/p2p/{peer}")
}

pub fn http(port: u16) -> HttpClient {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .build(format!("http://127.0.0.1:{port}"))
        .unwrap()
}

/// Polls `check` every 250 ms until it returns `Some`, at most `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The JSON-RPC error code of a failed call; panics on success or a transport error.
pub fn code_of<T: std::fmt::Debug>(result: Result<T, ClientError>) -> i32 {
    match result {
        Err(ClientError::Call(e)) => e.code(),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

/// Posts raw `body` to the gateway; returns (HTTP status, parsed JSON body if any).
pub async fn post_raw(port: u16, body: &[u8]) -> (u16, Option<Value>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may close before reading an oversized body; that is its answer.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body.trim()).ok());
    (status, json)
}

/// A digits query for held-out sample `pixels`.
pub async fn query(
    client: &HttpClient,
    netuid: u16,
    input: Value,
    options: Value,
) -> Result<Value, ClientError> {
    client
        .request("subnet_query", rpc_params![netuid, input, options])
        .await
}

/// `GET /metrics`.
pub async fn metrics(port: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).await.unwrap();
    body
}

pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

pub fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}
