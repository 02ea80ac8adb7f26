//! What only the validator's end-to-end tests need on top of `mindos-test-utils`: the
//! validator binary, the reference answers of this process's own models, gateway queries and
//! raw HTTP to the gateway.
//!
//! The miner binary must be built with the `fault-injection` feature
//! (`cargo build -p mindos-miner --features fault-injection`); the node with `fast-blocks`
//! (`cargo build -p mindos-node --features fast-blocks`). See `mindos_test_utils::miner_bin`
//! and `node_bin` for where they are looked up.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mindos_primitives::NetUid;
use std::net::SocketAddr;

use jsonrpsee::{
    core::client::{ClientT, Error as ClientError},
    http_client::HttpClient,
    rpc_params,
};
use mindos_subnets::{Input, Output, SubnetEngine};
use mindos_test_utils::{miner_bin, MinerSpec};
use serde_json::Value;

pub const VALIDATOR_BIN: &str = env!("CARGO_BIN_EXE_mindos-validator");

/// The label this process's digits model gives `input` — what honest miners, which run the
/// same model, must answer.
pub fn local_digits_label(engine: &dyn SubnetEngine, input: &Input) -> u8 {
    let Output::Digits(local) = engine.infer_batch(vec![input.clone()]).unwrap().remove(0) else {
        panic!("a digits output");
    };
    local.label
}

/// A `mindos-miner` (built with fault injection) named `name` in `dir`, serving `netuid`
/// with node key `[key; 32]`, misbehaving as `fault` says.
pub fn miner<'a>(
    dir: &'a std::path::Path,
    name: &'a str,
    netuid: NetUid,
    key: u8,
    fault: Option<&'a str>,
) -> MinerSpec<'a> {
    MinerSpec {
        bin: miner_bin(),
        dir,
        name,
        netuid,
        key,
        fault,
    }
}

/// A chain miner named `name` in `dir`: its hotkey `hotkey_uri`, registered on `netuid` and
/// funded by the dev `coldkey` through the node at `chain_ws`, misbehaving as `fault` says.
#[allow(clippy::too_many_arguments)]
pub fn chain_miner(
    dir: &std::path::Path,
    chain_ws: String,
    name: &str,
    hotkey_uri: &str,
    netuid: NetUid,
    key: u8,
    coldkey: &str,
    fault: Option<&str>,
) -> mindos_test_utils::Proc {
    let miner_dir = dir.join(name);
    std::fs::create_dir_all(&miner_dir).unwrap();
    mindos_test_utils::write_key(&miner_dir.join("hotkey"), hotkey_uri);
    mindos_test_utils::write_key(&miner_dir.join("coldkey"), coldkey);
    miner(dir, name, netuid, key, fault).spawn(&[
        "--chain-rpc".into(),
        chain_ws,
        "--hotkey-file".into(),
        miner_dir.join("hotkey").to_str().unwrap().into(),
        "--coldkey-file".into(),
        miner_dir.join("coldkey").to_str().unwrap().into(),
        "--max-burn".into(),
        "100".into(),
        "--fund-hotkey".into(),
        "1".into(),
        "--device-class".into(),
        "server".into(),
    ])
}

/// The JSON-RPC error code of a failed call; panics on success or a transport error.
pub fn code_of<T: std::fmt::Debug>(result: Result<T, ClientError>) -> i32 {
    match result {
        Err(ClientError::Call(e)) => e.code(),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

/// Posts raw `body` to the gateway; returns (HTTP status, parsed JSON body if any).
pub async fn post_raw(addr: SocketAddr, body: &[u8]) -> (u16, Option<Value>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
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
    netuid: NetUid,
    input: Value,
    options: Value,
) -> Result<Value, ClientError> {
    client
        .request("subnet_query", rpc_params![netuid, input, options])
        .await
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
