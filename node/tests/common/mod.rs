//! What only the node's end-to-end tests need on top of `mindos-test-utils`: the node
//! binary cargo built for this test run, and peer queries.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::Path;

use anyhow::{Context, Result};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_test_utils::NodeArgs;

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
