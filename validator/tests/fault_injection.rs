//! L7: a `mindos-miner` built with fault injection (as `cargo test --workspace` builds it)
//! refuses to misbehave against a chain that is not a test network. The node runs the local
//! testnet's spec declared `Live` (a real network's chain type); the miner, told to answer
//! garbage, must exit naming the refusal before it reads or spends anything. So must a
//! `mindos-validator` built with its `fault-injection` feature (its own tests enable it) told
//! to vote guilty on every case (`MINDOS_VALIDATOR_FAULT`).
//!
//! Needs `mindos-node` and `mindos-miner` built with `fault-injection` (see `common`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use mindos_primitives::NetUid;
use std::time::Duration;

use mindos_test_utils::{spawn_validator_with_env, write_key, DevNode, NodeArgs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulty_miner_refuses_a_live_chain() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let spec = std::process::Command::new(mindos_test_utils::node_bin())
        .args(["build-spec", "--chain", "local"])
        .stderr(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(spec.status.success(), "build-spec failed");
    let mut spec: serde_json::Value = serde_json::from_slice(&spec.stdout).unwrap();
    spec["chainType"] = "Live".into();
    let spec_file = dir.path().join("live.json");
    std::fs::write(&spec_file, serde_json::to_vec(&spec).unwrap()).unwrap();
    let node = DevNode::start(NodeArgs::new(
        &[
            "--chain",
            spec_file.to_str().unwrap(),
            "--alice",
            "--node-key",
            &format!("{:064x}", 7),
        ],
        dir.path().join("chain"),
        dir.path().join("node.log"),
    ))
    .await;
    let miner_dir = dir.path().join("garbage");
    std::fs::create_dir_all(&miner_dir).unwrap();
    write_key(&miner_dir.join("hotkey"), "//MindosE2EFaultMiner");
    let mut miner = common::miner(dir.path(), "garbage", NetUid(1), 61, Some("garbage")).spawn(&[
        "--chain-rpc".into(),
        node.ws_url(),
        "--hotkey-file".into(),
        miner_dir.join("hotkey").to_str().unwrap().into(),
        "--coldkey-address".into(),
        "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty".into(),
    ]);
    let log = dir.path().join("garbage.log");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = miner.exited() {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the faulty miner still runs against a Live chain:\n{}",
            miner.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!status.success(), "the faulty miner kept running:\n{text}");
    assert!(
        text.contains("refusing fault injection") && text.contains("`Live` chain"),
        "the miner did not name the refusal:\n{text}"
    );

    // A lying sentinel refuses the Live chain too.
    let validator_dir = dir.path().join("liar");
    std::fs::create_dir_all(&validator_dir).unwrap();
    write_key(&validator_dir.join("hotkey"), "//MindosE2EFaultValidator");
    let log = dir.path().join("liar.log");
    let mut validator = spawn_validator_with_env(
        std::path::Path::new(common::VALIDATOR_BIN),
        &validator_dir,
        &[
            "--chain-rpc".into(),
            node.ws_url(),
            "--coldkey-address".into(),
            "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty".into(),
            "--metrics-addr".into(),
            "127.0.0.1:0".into(),
        ],
        &[("MINDOS_VALIDATOR_FAULT", "vote-guilty")],
        &log,
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = validator.exited() {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lying validator still runs against a Live chain:\n{}",
            validator.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !status.success(),
        "the lying validator kept running:\n{text}"
    );
    assert!(
        text.contains("refusing fault injection (MINDOS_VALIDATOR_FAULT)")
            && text.contains("`Live` chain"),
        "the validator did not name the refusal:\n{text}"
    );
}
