//! The `mindos-miner` binary: `--help`, a bad setting is a failure naming it, and SIGTERM
//! stops a running miner cleanly.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::{path::Path, time::Duration};

use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_miner::MinerStatus;
use mindos_test_utils::{http_client, wait_for, AddrLine, Proc};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mindos-miner");
const PEER: &str = "12D3KooWGzHhwGGbP6dVmDT2pWh2Xz4ZZZqP5RhfH2ZTNfyvHFBU";

#[tokio::test]
async fn help_and_a_bad_setting() {
    let help = Command::new(BIN).arg("--help").output().await.unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--max-batch") && text.contains("--allow-peer"),
        "{text}"
    );

    let bad = Command::new(BIN)
        .args(["--netuid", "1", "--no-chain", "--subnet", "digits"])
        .env("RUST_LOG", "info")
        .output()
        .await
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("allow_peer") && stderr.contains("--allow-peer"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_miner_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("power_supply")).unwrap();
    let args: Vec<String> = [
        "--no-chain",
        "--subnet",
        "digits",
        "--netuid",
        "1",
        "--allow-peer",
        PEER,
        "--no-mdns",
        "--allow-private-addrs",
        "--listen",
        "/ip4/127.0.0.1/tcp/0",
        "--no-metrics",
        "--rpc-addr",
        "127.0.0.1:0",
        "--base-path",
        dir.path().to_str().unwrap(),
        "--power-supply-dir",
        dir.path().join("power_supply").to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    let mut miner = Proc::spawn(Path::new(BIN), &args, &[], &dir.path().join("miner.log"));

    let rpc = http_client(miner.socket_addr(AddrLine::OWNER_RPC).await);
    let status: MinerStatus = wait_for("miner_status", Duration::from_secs(60), || async {
        rpc.request("miner_status", rpc_params![]).await.ok()
    })
    .await;
    assert_eq!(status.subnet, "digits");
    let key = std::fs::metadata(dir.path().join("node.key")).expect("the node key was created");
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }

    let exit = miner.terminate().await;
    assert!(exit.success(), "{exit}");
    let stderr = miner.log_text();
    assert!(
        stderr.contains("SIGTERM received") && stderr.contains("miner stopped"),
        "{stderr}"
    );
}
