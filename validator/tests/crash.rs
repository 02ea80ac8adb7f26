//! Crash safety end to end on a real `mindos-node --dev` (1 s blocks, tempo 20): the
//! validator is killed with SIGKILL at every step of a weight commit — before the store
//! write, after it, once the commit is in the node's pool, once it is in a block, and right
//! after the reveal — and restarted on the same state store each time. Every crash must end
//! with the commit revealed or nothing on chain: no run may meet a commit it cannot reveal,
//! no reveal may fail, and the last run reveals again.
//!
//! The validator binary stops at a step through its test-only crash points (feature
//! `crash-points`, `MINDOS_VALIDATOR_CRASH_AT`, see `src/crash.rs`), logs it, and the test
//! kills it there. Needs `mindos-node` and `mindos-miner` (see `common`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use mindos_primitives::NetUid;
use std::{path::Path, time::Duration};

use common::VALIDATOR_BIN;
use mindos_test_utils::{
    spawn_validator_with_env, write_key, write_node_key, DevNode, NodeArgs, Proc,
};

const DIGITS: NetUid = NetUid(1);

/// The crash points in the order a commit passes them (the validator's `crash::POINTS`).
const POINTS: [&str; 5] = [
    "before_store",
    "after_store",
    "after_submit",
    "after_inclusion",
    "after_reveal",
];

/// Lines no run may log: a commit on chain the validator cannot reveal, or a failed reveal.
const LOST: [&str; 2] = ["cannot be revealed", "reveal failed"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_killed_at_any_step_of_a_commit_reveals_it_or_left_nothing() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(NodeArgs::dev(
        dir.path().join("chain"),
        dir.path().join("node.log"),
    ))
    .await;
    node.wait_for_finalized(1).await;
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(480), scenario(dir.path(), &node)).await;
    eprintln!("crash scenario took {:?}", started.elapsed());
    let failed = !matches!(result, Ok(()));
    if failed {
        node.proc().print_tail(10);
        for run in 0..=POINTS.len() {
            let log = dir.path().join(format!("validator{run}.log"));
            mindos_test_utils::print_log_tail(log, 15);
        }
    }
    if std::env::var_os("E2E_KEEP").is_some() {
        eprintln!("logs kept in {}", dir.keep().display());
    }
    assert!(!failed, "scenario failed or timed out");
}

async fn scenario(dir: &Path, node: &DevNode) {
    let _miner = common::chain_miner(
        dir,
        node.ws_url(),
        "digits1",
        "//MindosE2ECrashMiner",
        DIGITS,
        71,
        "//Charlie",
        None,
    );

    let validator_dir = dir.join("validator");
    std::fs::create_dir_all(&validator_dir).unwrap();
    write_key(&validator_dir.join("hotkey"), "//MindosE2ECrashValidator");
    write_key(&validator_dir.join("coldkey"), "//Bob");
    write_node_key(&validator_dir.join("node.key"), 72);

    for (run, point) in POINTS.iter().enumerate() {
        let mut validator = spawn(dir, node, run, Some(point));
        let reached = format!("crash point reached; waiting to be killed point={point}");
        validator
            .wait_for_line(&reached, Duration::from_secs(150))
            .await;
        validator.kill().await;
        eprintln!("run {run}: killed at {point}");
        check_nothing_lost(&validator.log_text(), run);
    }
    // A last run without a crash point: it reveals what the crashed ones left committed (or
    // commits and reveals afresh).
    let run = POINTS.len();
    let mut validator = spawn(dir, node, run, None);
    validator
        .wait_for_line("weights revealed netuid=1 ", Duration::from_secs(150))
        .await;
    check_nothing_lost(&validator.log_text(), run);
    validator.kill().await;
}

fn spawn(dir: &Path, node: &DevNode, run: usize, point: Option<&str>) -> Proc {
    let validator_dir = dir.join("validator");
    let args: Vec<String> = [
        "--chain-rpc",
        &node.ws_url(),
        "--coldkey-file",
        validator_dir.join("coldkey").to_str().unwrap(),
        "--netuid",
        "1",
        "--max-burn",
        "100",
        "--fund-hotkey",
        "10",
        "--stake",
        "200",
        "--metrics-addr",
        "127.0.0.1:0",
        "--challenge-interval-ms",
        "500",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let envs: Vec<(&str, &str)> = point
        .map(|p| vec![("MINDOS_VALIDATOR_CRASH_AT", p)])
        .unwrap_or_default();
    spawn_validator_with_env(
        Path::new(VALIDATOR_BIN),
        &validator_dir,
        &args,
        &envs,
        &dir.join(format!("validator{run}.log")),
    )
}

fn check_nothing_lost(log: &str, run: usize) {
    for line in LOST {
        assert!(!log.contains(line), "run {run} logged `{line}`:\n{log}");
    }
}
