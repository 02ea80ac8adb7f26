//! The `mindos-validator` binary: `--help`, bad settings are failures naming the setting, an
//! unreachable chain is a clear failure, and SIGTERM stops a running validator cleanly.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use std::{path::Path, time::Duration};

use common::VALIDATOR_BIN;
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_test_utils::{free_port, http_client, spawn_validator, wait_for, AddrLine};
use serde_json::Value;
use tokio::process::Command;

#[tokio::test]
async fn help_and_bad_settings() {
    let help = Command::new(VALIDATOR_BIN)
        .arg("--help")
        .output()
        .await
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--gateway-addr",
        "--stake",
        "--challenge-interval-ms",
        "--state-file",
        "--canary-pool",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}: {text}");
    }

    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--no-chain"], "--subnet"),
        (
            &["--no-chain", "--subnet", "1=chess"],
            "unknown subnet `chess`",
        ),
        (&["--gateway-rate", "0"], "--gateway-rate"),
        (&["--canary-pool", "9"], "--canary-pool"),
    ];
    for (args, expected) in cases {
        let out = Command::new(VALIDATOR_BIN)
            .args(args)
            .arg("--base-path")
            .arg(dir.path())
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }

    // No node listens there: a clear error, not a hang.
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(VALIDATOR_BIN)
            .args(["--chain-rpc", &format!("ws://127.0.0.1:{}", free_port())])
            // The coldkey the hotkey must belong to (Bob's), so start-up gets to the chain.
            .args([
                "--coldkey-address",
                "0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48",
            ])
            .arg("--base-path")
            .arg(dir.path())
            .output(),
    )
    .await
    .expect("fails fast")
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chain RPC at ws://127.0.0.1"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_validator_cleanly_and_websocket_works() {
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<String> = ["--no-chain", "--subnet", "1=digits", "--no-metrics"]
        .map(str::to_owned)
        .to_vec();
    let mut proc = spawn_validator(
        Path::new(VALIDATOR_BIN),
        dir.path(),
        &args,
        &dir.path().join("validator.log"),
    );
    let gateway = proc.socket_addr(AddrLine::GATEWAY).await;
    let client = http_client(gateway);
    let list: Value = wait_for("the gateway", Duration::from_secs(60), || async {
        client.request("subnet_list", rpc_params![]).await.ok()
    })
    .await;
    assert_eq!(list[0]["miners"], 0);
    // The same address speaks WebSocket.
    let ws = jsonrpsee::ws_client::WsClientBuilder::default()
        .build(format!("ws://{gateway}"))
        .await
        .unwrap();
    let info: Value = ws.request("subnet_info", rpc_params![1]).await.unwrap();
    assert_eq!(info["name"], "digits");
    // No miners: a query has nowhere to go.
    let no_miner: Result<Value, _> = ws
        .request(
            "subnet_query",
            rpc_params![1, serde_json::json!({"pixels": vec![0; 64]})],
        )
        .await;
    assert_eq!(
        common::code_of(no_miner),
        mindos_validator::gateway::NO_MINER_AVAILABLE
    );
    let status = proc.terminate().await;
    assert!(status.success(), "{status}: {}", proc.log_text());
    assert!(proc.log_text().contains("validator stopped"));
}

/// A validator offers `/mindos/infer/1` only with `--accept-inference`: by default a peer's
/// link is refused while the protocol is negotiated, so a stranger can make it read or queue
/// nothing (before, every link was served and each request answered `internal`).
#[tokio::test]
async fn inference_links_are_refused_unless_accepted() {
    use mindos_mesh::{
        libp2p::multiaddr::Protocol, ErrorCode, InferRequest, Keypair, Mesh, MeshConfig, MeshError,
        NetUid,
    };
    use mindos_test_utils::write_node_key;

    let (caller, _events, event_loop) =
        Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
    tokio::spawn(event_loop.run(std::future::pending()));
    for (extra, offered) in [(None, false), (Some("--accept-inference"), true)] {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("validator.key");
        let peer = write_node_key(&key, 10);
        let mut args: Vec<String> = [
            "--no-chain",
            "--subnet",
            "1=digits",
            "--no-metrics",
            "--no-gateway",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--node-key-file",
            key.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(extra.map(str::to_owned));
        let mut proc = spawn_validator(
            Path::new(VALIDATOR_BIN),
            dir.path(),
            &args,
            &dir.path().join("validator.log"),
        );
        let addr = proc
            .multiaddr(AddrLine::MESH)
            .await
            .with(Protocol::P2p(peer));
        caller.dial(addr).await.unwrap();
        let request =
            InferRequest::encode(NetUid(1), 1, &serde_json::json!({"pixels": vec![0; 64]}))
                .unwrap();
        let answer = caller.request(peer, request, Duration::from_secs(10)).await;
        if offered {
            let answer = answer.unwrap();
            assert_eq!(answer.error_code(), Some(ErrorCode::Internal), "{answer:?}");
        } else {
            assert!(
                matches!(answer, Err(MeshError::UnsupportedProtocol)),
                "{answer:?}"
            );
        }
        let status = proc.terminate().await;
        assert!(status.success(), "{status}: {}", proc.log_text());
    }
}
