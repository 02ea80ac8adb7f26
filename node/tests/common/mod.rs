//! Helpers shared by the node's end-to-end tests: start the real `mindos-node` binary on free
//! loopback ports, talk JSON-RPC to it, wait for chain progress with a time bound.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::{net::TcpListener, path::Path, process::Stdio, time::Duration};

use anyhow::{bail, Context, Result};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use mindos_chain_client::ChainClient;
use subxt_signer::{sr25519::Keypair, SecretUri};
use tokio::{process::Child, time::Instant};

/// The sr25519 key derived from a secret URI such as `//MindosEconomyHotkey`.
pub fn key(uri: &str) -> Keypair {
    let uri: SecretUri = uri.parse().expect("valid uri");
    Keypair::from_uri(&uri).expect("derive key")
}

/// Upper bound for any single wait: a debug node compiles the Wasm runtime at start.
pub const WAIT: Duration = Duration::from_secs(180);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A running node and the ports it listens on.
pub struct Node {
    child: Child,
    /// JSON-RPC port (HTTP and WebSocket).
    pub rpc_port: u16,
    /// libp2p port.
    pub p2p_port: u16,
    /// Prometheus port.
    pub prometheus_port: u16,
}

impl Node {
    /// A `--dev` node.
    pub fn start(base_path: &Path, log: &Path) -> Result<Self> {
        Self::start_with(&["--dev"], base_path, log)
    }

    /// A node with `args` (chain selection, identity, bootnodes) on fresh ports.
    pub fn start_with(args: &[&str], base_path: &Path, log: &Path) -> Result<Self> {
        let (rpc_port, p2p_port, prometheus_port) = (free_port(), free_port(), free_port());
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mindos-node"))
            .args(args)
            .args(["--no-telemetry", "--no-mdns", "--base-path"])
            .arg(base_path)
            .args(["--rpc-port", &rpc_port.to_string()])
            .args(["--port", &p2p_port.to_string()])
            .args(["--prometheus-port", &prometheus_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true)
            .spawn()
            .context("spawn mindos-node")?;
        Ok(Self {
            child,
            rpc_port,
            p2p_port,
            prometheus_port,
        })
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.rpc_port)
    }

    pub fn http(&self) -> HttpClient {
        HttpClientBuilder::default()
            .build(format!("http://127.0.0.1:{}", self.rpc_port))
            .expect("http client")
    }

    /// Waits until the RPC answers and the chain client connects.
    pub async fn connect(&mut self) -> Result<ChainClient> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("mindos-node exited early with {status}");
            }
            match ChainClient::connect(&self.ws_url()).await {
                Ok(client) => return Ok(client),
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => bail!("node RPC never came up: {e}"),
            }
        }
    }

    /// Stops the node as an operator would (SIGTERM) and waits for it to exit.
    pub async fn stop(mut self) -> Result<()> {
        let pid = self.child.id().context("node already exited")?;
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()?;
        assert!(status.success(), "kill -TERM failed");
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .context("node did not stop within 60 s of SIGTERM")??;
        Ok(())
    }
}

pub async fn header_number(http: &HttpClient, hash: Option<String>) -> Result<u64> {
    let header: serde_json::Value = match hash {
        Some(hash) => http.request("chain_getHeader", rpc_params![hash]).await?,
        None => http.request("chain_getHeader", rpc_params![]).await?,
    };
    let number = header["number"].as_str().context("header has a number")?;
    Ok(u64::from_str_radix(number.trim_start_matches("0x"), 16)?)
}

pub async fn best_number(http: &HttpClient) -> Result<u64> {
    header_number(http, None).await
}

pub async fn finalized_number(http: &HttpClient) -> Result<u64> {
    let hash: String = http
        .request("chain_getFinalizedHead", rpc_params![])
        .await?;
    header_number(http, Some(hash)).await
}

/// Waits until `read` reports at least `target`.
pub async fn wait_until_at_least<F, Fut>(what: &str, target: u64, mut read: F) -> Result<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        let now = read().await.unwrap_or(0);
        if now >= target {
            return Ok(now);
        }
        if Instant::now() > deadline {
            bail!("{what} stuck at {now}, expected {target}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Fetches the Prometheus endpoint over plain HTTP/1.0.
pub async fn prometheus_metrics(port: u16) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await?;
    Ok(body)
}

/// Prints the last lines of a node log next to a test failure.
pub fn print_log_tail(log: &Path, lines: usize) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(lines).collect();
    eprintln!("--- {} (last {lines} lines) ---", log.display());
    for line in tail.into_iter().rev() {
        eprintln!("{line}");
    }
}

/// The node's libp2p identity, from `system_localPeerId`.
pub async fn peer_id(http: &HttpClient) -> Result<String> {
    Ok(http.request("system_localPeerId", rpc_params![]).await?)
}

/// Number of connected peers, from `system_health`.
pub async fn peer_count(http: &HttpClient) -> Result<u64> {
    let health: serde_json::Value = http.request("system_health", rpc_params![]).await?;
    health["peers"].as_u64().context("system_health has peers")
}
