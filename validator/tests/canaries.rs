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

use common::{
    account_of, assert_fault_injected, assert_not_quarantined, run_on_dev_chain, sum_of_samples,
    wait_for_quarantine, Procs, StakedValidator,
};
use mindos_chain_client::ChainClient;
use mindos_test_utils::{metrics, wait_for, AddrLine, DevNode};

const DIGITS: NetUid = NetUid(1);
const HONEST_KEY: u8 = 61;
const GARBAGE_KEY: u8 = 62;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_miner_is_quarantined_by_a_canary() {
    run_on_dev_chain(Duration::from_secs(480), 40, scenario).await;
}

/// `mindos_validator_canaries_total{netuid="1",event}` in `text`.
fn canaries(text: &str, event: &str) -> f64 {
    sum_of_samples(
        text,
        "mindos_validator_canaries_total{",
        &[&format!("event=\"{event}\""), "netuid=\"1\""],
    )
}

async fn scenario(dir: &Path, node: &DevNode, procs: &mut Procs) {
    let mut hotkeys = Vec::new();
    for (name, key, coldkey, fault) in [
        ("honest", HONEST_KEY, "//Charlie", None),
        ("garbage", GARBAGE_KEY, "//Dave", Some("garbage")),
    ] {
        let uri = format!("//MindosCanary{name}");
        hotkeys.push(account_of(&uri));
        let proc = common::chain_miner(dir, node.ws_url(), name, &uri, DIGITS, key, coldkey, fault);
        procs.push((name.to_owned(), proc));
    }
    let (honest, garbage) = (hotkeys[0], hotkeys[1]);
    let (mut validator, log) = StakedValidator {
        bin: common::VALIDATOR_BIN.as_ref(),
        dir,
        name: "validator",
        hotkey_uri: "//MindosCanaryValidator",
        coldkey: "//Bob",
        node_key: 60,
        chain_rpc: node.ws_url(),
        netuids: &[DIGITS],
        // Two canary deposits of 10 MIND, and fees.
        fund_hotkey: 40,
        challenge_interval_ms: 300,
        extra_args: &["--no-gateway", "--canary-pool", "2"],
    }
    .spawn();
    let metrics_addr = validator.socket_addr(AddrLine::METRICS).await;
    procs.push(("validator".to_owned(), validator));

    let chain = ChainClient::connect(&node.ws_url()).await.unwrap();
    let started = chain
        .sentinels()
        .subnet_epoch(&chain.at_finalized().await.unwrap(), DIGITS)
        .await
        .unwrap();
    let quarantine = wait_for_quarantine(
        &chain,
        DIGITS,
        garbage,
        honest,
        "the garbage miner quarantined by a canary",
        Duration::from_secs(420),
    )
    .await;
    assert_fault_injected(&procs[1].1, "garbage miner");
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
    assert_not_quarantined(&chain, DIGITS, honest).await;
}
