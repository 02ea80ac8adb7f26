//! Canaries convict a garbage miner without a committee. On a real `mindos-node --dev`, two
//! digits miners — one honest, one that signs a wrong label for every request
//! (`MINDOS_MINER_FAULT=garbage`) — and one validator with canaries on (`--canary-pool 2`),
//! all binaries: the validator commits canaries, sends them in later sentinel epochs, and
//! opens the one the garbage miner answered wrongly; the chain quarantines it
//! (`CanaryFailureProven`, read back through `mindos_quarantines`) within a few sentinel
//! epochs. One validator cannot form a committee (it takes four), so nothing else could have.
//! The honest miner is never quarantined.
//!
//! Needs `mindos-node` (built with `--features fast-blocks`) and `mindos-miner` (built with
//! `--features fault-injection`), as `tests/chain.rs` does.

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
use mindos_chain_client::ChainClient;
use mindos_test_utils::{
    metrics, spawn_validator, wait_for, write_key, write_node_key, AddrLine, DevNode, NodeArgs,
    Proc,
};

const DIGITS: NetUid = NetUid(1);
const HONEST_KEY: u8 = 61;
const GARBAGE_KEY: u8 = 62;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_miner_is_quarantined_by_a_canary() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(NodeArgs::dev(
        dir.path().join("chain"),
        dir.path().join("node.log"),
    ))
    .await;
    node.wait_for_finalized(1).await;
    let mut procs: Vec<(&str, Proc)> = Vec::new();
    let result = tokio::time::timeout(
        Duration::from_secs(480),
        scenario(dir.path(), &node, &mut procs),
    )
    .await;
    if std::env::var_os("E2E_KEEP").is_some() {
        eprintln!("logs kept in {}", dir.keep().display());
    }
    if !matches!(result, Ok(())) {
        node.proc().print_tail(20);
        for (_, proc) in &procs {
            proc.print_tail(40);
        }
        panic!("scenario failed or timed out");
    }
}

/// `mindos_validator_canaries_total{netuid="1",event}` in `text`.
fn canaries(text: &str, event: &str) -> f64 {
    let (event, netuid) = (format!("event=\"{event}\""), "netuid=\"1\"");
    text.lines()
        .filter(|l| l.starts_with("mindos_validator_canaries_total{"))
        .filter(|l| l.contains(&event) && l.contains(netuid))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum()
}

async fn scenario(dir: &Path, node: &DevNode, procs: &mut Vec<(&str, Proc)>) {
    let mut hotkeys = Vec::new();
    for (name, key, coldkey, fault) in [
        ("honest", HONEST_KEY, "//Charlie", None),
        ("garbage", GARBAGE_KEY, "//Dave", Some("garbage")),
    ] {
        let uri = format!("//MindosCanary{name}");
        hotkeys.push(
            subxt_signer::sr25519::Keypair::from_uri(&uri.parse().unwrap())
                .unwrap()
                .public_key()
                .0,
        );
        let proc = common::chain_miner(dir, node.ws_url(), name, &uri, DIGITS, key, coldkey, fault);
        procs.push((name, proc));
    }
    let (honest, garbage) = (hotkeys[0], hotkeys[1]);
    let validator_dir = dir.join("validator");
    std::fs::create_dir_all(&validator_dir).unwrap();
    write_key(&validator_dir.join("hotkey"), "//MindosCanaryValidator");
    write_key(&validator_dir.join("coldkey"), "//Bob");
    write_node_key(&validator_dir.join("node.key"), 60);
    let args: Vec<String> = [
        "--chain-rpc",
        &node.ws_url(),
        "--netuid",
        "1",
        "--coldkey-file",
        validator_dir.join("coldkey").to_str().unwrap(),
        "--max-burn",
        "100",
        // Two canary deposits of 10 MIND, and fees.
        "--fund-hotkey",
        "40",
        "--stake",
        "200",
        "--metrics-addr",
        "127.0.0.1:0",
        "--no-gateway",
        "--challenge-interval-ms",
        "300",
        "--canary-pool",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let log = dir.join("validator.log");
    let mut validator = spawn_validator(Path::new(VALIDATOR_BIN), &validator_dir, &args, &log);
    let metrics_addr = validator.socket_addr(AddrLine::METRICS).await;
    procs.push(("validator", validator));

    let chain = ChainClient::connect(&node.ws_url()).await.unwrap();
    let started = chain
        .sentinels()
        .subnet_epoch(&chain.at_finalized().await.unwrap(), DIGITS)
        .await
        .unwrap();
    let quarantine = wait_for(
        "the garbage miner quarantined by a canary",
        Duration::from_secs(420),
        || async {
            let rows = chain.sentinels().quarantines(Some(DIGITS)).await.ok()?;
            assert!(
                rows.iter().all(|q| q.hotkey.0 != honest),
                "the honest miner was quarantined: {rows:?}"
            );
            rows.into_iter().find(|q| q.hotkey.0 == garbage)
        },
    )
    .await;
    let garbage_log = procs[1].1.log_text();
    assert!(
        garbage_log.contains("FAULT INJECTION"),
        "the garbage miner runs without fault injection: build the miner with \
         `cargo build -p mindos-miner --features fault-injection`"
    );
    assert_eq!(
        quarantine.offence,
        mindos_primitives::SentinelOffence::CanaryFailure,
        "{quarantine:?}"
    );
    eprintln!(
        "quarantined in sentinel epoch {} (the validator started in {started}), at block {}",
        quarantine.since_epoch, quarantine.since_block
    );
    // The chain read the quarantine at its best block; the validator counts the opening once
    // its transaction's block reaches it.
    let text = wait_for("the opening counted", Duration::from_secs(60), || async {
        let text = metrics::scrape(metrics_addr).await;
        (canaries(&text, "opened") >= 1.0).then_some(text)
    })
    .await;
    assert!(canaries(&text, "committed") >= 1.0, "{text}");
    assert!(canaries(&text, "failed") >= 1.0, "{text}");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("canary failure proven on chain"));
    // The honest miner keeps being challenged (canaries included) and stays free.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let rows = chain.sentinels().quarantines(Some(DIGITS)).await.unwrap();
    assert!(rows.iter().all(|q| q.hotkey.0 != honest), "{rows:?}");
}
