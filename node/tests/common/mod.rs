//! What only the node's end-to-end tests need on top of `mindos-test-utils`: the node
//! binary cargo built for this test run, and peer queries.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::{future::Future, path::Path};

use anyhow::{Context, Result};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_chain_client::ChainClient;
use mindos_test_utils::{finalized_number, wait_until_at_least, DevNode, NodeArgs};

/// A `--dev` node of the binary under test, chain data in `base_path`, log appended to `log`.
pub fn dev(base_path: &Path, log: &Path) -> NodeArgs {
    NodeArgs::dev(base_path, log).bin(env!("CARGO_BIN_EXE_mindos-node"))
}

/// A node of the binary under test with `args` (chain selection, identity, bootnodes).
pub fn with_args(args: &[&str], base_path: &Path, log: &Path) -> NodeArgs {
    NodeArgs::new(args, base_path, log).bin(env!("CARGO_BIN_EXE_mindos-node"))
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

/// Runs `scenario` on a `--dev` node of the binary under test that has finalized a block,
/// with a chain client and an HTTP client on it, in a fresh folder; prints the tail of the
/// node's log when the scenario fails.
pub async fn on_dev_node<F, Fut>(scenario: F) -> Result<()>
where
    F: FnOnce(DevNode, ChainClient, HttpClient) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("node.log");
    let node = DevNode::start(dev(&dir.path().join("chain"), &log)).await;
    let client = node.connect().await;
    let http = node.http();
    wait_until_at_least("finalized block", 1, || finalized_number(&http)).await;
    let result = scenario(node, client, http).await;
    if result.is_err() {
        mindos_test_utils::print_log_tail(&log, 40);
    }
    result
}
