//! [`DevNode`]: a real `mindos-node` on loopback, and the chain queries tests wait on.

use std::{future::Future, net::SocketAddr, path::PathBuf, process::ExitStatus, time::Duration};

use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_chain_client::ChainClient;

use crate::{bins::node_bin, http_client, wait::POLL, wait_for, AddrLine, Proc};

/// Upper bound for any single wait on a node: a debug node compiles the Wasm runtime at
/// start, and a block waits for its slot.
pub const NODE_WAIT: Duration = Duration::from_secs(180);
/// How long [`DevNode::stop`] waits for the node to exit after SIGTERM.
const STOP_WAIT: Duration = Duration::from_secs(60);

/// How to start a node: which binary, which chain, where its data and log go.
#[derive(Clone, Debug)]
pub struct NodeArgs {
    bin: Option<PathBuf>,
    chain: Vec<String>,
    base_path: PathBuf,
    log: PathBuf,
}

impl NodeArgs {
    /// A `--dev` node with its chain data in `base_path` and its log appended to `log`.
    pub fn dev(base_path: impl Into<PathBuf>, log: impl Into<PathBuf>) -> Self {
        Self::new(&["--dev"], base_path, log)
    }

    /// A node with `chain` (chain selection, identity, node key, bootnodes), its chain data
    /// in `base_path` and its log appended to `log`.
    pub fn new(chain: &[&str], base_path: impl Into<PathBuf>, log: impl Into<PathBuf>) -> Self {
        Self {
            bin: None,
            chain: chain.iter().map(|arg| (*arg).to_owned()).collect(),
            base_path: base_path.into(),
            log: log.into(),
        }
    }

    /// Runs `bin` instead of [`node_bin`] (the node's own tests run the binary cargo built
    /// for them).
    pub fn bin(mut self, bin: impl Into<PathBuf>) -> Self {
        self.bin = Some(bin.into());
        self
    }
}

/// A running node: JSON-RPC (HTTP and WebSocket), Prometheus and libp2p each on a port the
/// node picked itself, loopback only, no telemetry, no mDNS.
#[derive(Debug)]
pub struct DevNode {
    proc: Proc,
    rpc: SocketAddr,
    prometheus: SocketAddr,
}

impl DevNode {
    /// Starts a node and waits until its JSON-RPC server and Prometheus endpoint listen.
    pub async fn start(args: NodeArgs) -> Self {
        let bin = args.bin.unwrap_or_else(node_bin);
        let mut command = args.chain;
        command.extend(
            [
                "--no-telemetry",
                "--no-mdns",
                "--rpc-port",
                "0",
                "--prometheus-port",
                "0",
                "--listen-addr",
                "/ip4/127.0.0.1/tcp/0",
                "--base-path",
            ]
            .map(str::to_owned),
        );
        command.push(args.base_path.display().to_string());
        let mut proc = Proc::spawn(&bin, &command, &[], &args.log);
        let rpc = proc.socket_addr(AddrLine::NODE_RPC).await;
        let prometheus = proc.socket_addr(AddrLine::NODE_PROMETHEUS).await;
        Self {
            proc,
            rpc,
            prometheus,
        }
    }

    /// The JSON-RPC address.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc
    }

    /// The Prometheus address.
    pub fn prometheus_addr(&self) -> SocketAddr {
        self.prometheus
    }

    /// The WebSocket URL of the JSON-RPC server, for the chain client and the binaries'
    /// `--chain-rpc`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.rpc)
    }

    /// A JSON-RPC client over HTTP.
    pub fn http(&self) -> HttpClient {
        http_client(self.rpc)
    }

    /// The node process (its log).
    pub fn proc(&self) -> &Proc {
        &self.proc
    }

    /// A chain client connected over WebSocket.
    pub async fn connect(&self) -> ChainClient {
        let url = self.ws_url();
        wait_for("the chain client to connect", NODE_WAIT, || async {
            ChainClient::connect(&url).await.ok()
        })
        .await
    }

    /// Waits until block `number` is finalized; returns the finalized number.
    pub async fn wait_for_finalized(&self, number: u64) -> u64 {
        let http = self.http();
        wait_until_at_least("finalized block", number, || finalized_number(&http)).await
    }

    /// The libp2p port, from `system_localListenAddresses` (the node does not log it at
    /// `info`).
    pub async fn p2p_port(&self) -> u16 {
        let addrs: Vec<String> = self
            .http()
            .request("system_localListenAddresses", rpc_params![])
            .await
            .unwrap_or_else(|e| panic!("system_localListenAddresses: {e}"));
        addrs
            .iter()
            .find_map(|addr| {
                let rest = addr.strip_prefix("/ip4/127.0.0.1/tcp/")?;
                rest.split('/').next()?.parse().ok()
            })
            .unwrap_or_else(|| panic!("no loopback TCP address in {addrs:?}"))
    }

    /// Stops the node as an operator would (SIGTERM) and waits up to 60 s for it to exit.
    pub async fn stop(mut self) -> ExitStatus {
        self.proc.terminate_within(STOP_WAIT).await
    }
}

/// A chain query a test retries failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The JSON-RPC call failed.
    #[error("JSON-RPC: {0}")]
    Rpc(#[from] jsonrpsee::core::client::Error),
    /// The header has no hex `number`.
    #[error("header without a hex number: {0}")]
    NoNumber(serde_json::Value),
}

/// The number of the block `hash`, or of the best block without one.
pub async fn header_number(http: &HttpClient, hash: Option<String>) -> Result<u64, QueryError> {
    let header: serde_json::Value = match hash {
        Some(hash) => http.request("chain_getHeader", rpc_params![hash]).await?,
        None => http.request("chain_getHeader", rpc_params![]).await?,
    };
    header
        .get("number")
        .and_then(serde_json::Value::as_str)
        .and_then(|number| u64::from_str_radix(number.trim_start_matches("0x"), 16).ok())
        .ok_or(QueryError::NoNumber(header))
}

/// The best block's number.
pub async fn best_number(http: &HttpClient) -> Result<u64, QueryError> {
    header_number(http, None).await
}

/// The last finalized block's number.
pub async fn finalized_number(http: &HttpClient) -> Result<u64, QueryError> {
    let hash: String = http
        .request("chain_getFinalizedHead", rpc_params![])
        .await?;
    header_number(http, Some(hash)).await
}

/// Waits up to [`NODE_WAIT`] until `read` reports at least `target` (a failed read counts
/// as 0); returns what it reported. Panics with the last value when the time runs out.
pub async fn wait_until_at_least<F, Fut, E>(what: &str, target: u64, mut read: F) -> u64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u64, E>>,
{
    let mut last = 0;
    let reached = tokio::time::timeout(NODE_WAIT, async {
        loop {
            last = read().await.unwrap_or(0);
            if last >= target {
                return last;
            }
            tokio::time::sleep(POLL).await;
        }
    })
    .await;
    reached.unwrap_or_else(|_| panic!("{what} stuck at {last}, expected {target}"))
}
