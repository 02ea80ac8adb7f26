//! The `mindos-miner` binary: `--help`, a bad setting is a failure naming it, and SIGTERM
//! stops a running miner cleanly.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::{process::Stdio, time::Duration};

use jsonrpsee::{core::client::ClientT, http_client::HttpClientBuilder, rpc_params};
use mindos_miner::MinerStatus;
use tokio::{io::AsyncReadExt, process::Command};

const BIN: &str = env!("CARGO_BIN_EXE_mindos-miner");
const PEER: &str = "12D3KooWGzHhwGGbP6dVmDT2pWh2Xz4ZZZqP5RhfH2ZTNfyvHFBU";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
    let rpc_port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "--no-chain",
            "--subnet",
            "digits",
            "--netuid",
            "1",
            "--allow-peer",
            PEER,
            "--no-mdns",
        ])
        .args(["--listen", "/ip4/127.0.0.1/tcp/0", "--no-metrics"])
        .args(["--rpc-addr", &format!("127.0.0.1:{rpc_port}")])
        .arg("--base-path")
        .arg(dir.path())
        .arg("--power-supply-dir")
        .arg(dir.path().join("power_supply"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let rpc = HttpClientBuilder::default()
        .build(format!("http://127.0.0.1:{rpc_port}"))
        .unwrap();
    let started = tokio::time::Instant::now();
    let status: MinerStatus = loop {
        match rpc.request("miner_status", rpc_params![]).await {
            Ok(status) => break status,
            Err(_) if started.elapsed() < Duration::from_secs(60) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("the miner never answered miner_status: {e}"),
        }
    };
    assert_eq!(status.subnet, "digits");
    let key = std::fs::metadata(dir.path().join("node.key")).expect("the node key was created");
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }

    let pid = child.id().unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the miner stops within 30 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(
        stderr.contains("SIGTERM received") && stderr.contains("miner stopped"),
        "{stderr}"
    );
}
