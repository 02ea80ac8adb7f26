//! The sentinel duty end to end (issue 20). On a real `mindos-node --dev`, two staked
//! validators and two digits miners, all binaries: one honest, one `equivocate` (signs
//! another output when a challenge comes again). The validators re-send a share of their
//! challenges (`--sentinel-reask-percent`); the evidence store sees the equivocating miner's
//! second, different signed output and the duty submits `submit_equivocation`, which needs
//! no committee: the miner is quarantined for `Equivocation` without a case or a vote, and
//! the honest miner never is.
//!
//! Two validators cannot form a committee (it takes four), so nothing but the self-verifying
//! evidence could have quarantined it. Judged cases (report, votes) run end to end in
//! `tests/judged.rs`.
//!
//! Needs `mindos-node` (built with `--features fast-blocks`: 1 s blocks, tempo 20) and
//! `mindos-miner` (built with `--features fault-injection`), as `tests/chain.rs` does.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use mindos_primitives::{NetUid, SentinelOffence};
use std::{path::Path, time::Duration};

use common::{
    account_of, assert_not_quarantined, run_on_dev_chain, wait_for_quarantine, Procs,
    StakedValidator,
};
use mindos_chain_client::ChainClient;
use mindos_test_utils::{wait_for, DevNode};

const DIGITS: NetUid = NetUid(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_miner_is_quarantined_without_a_vote_and_no_honest_one() {
    run_on_dev_chain(Duration::from_secs(480), 30, scenario).await;
}

async fn scenario(dir: &Path, node: &DevNode, procs: &mut Procs) {
    let miners = [
        ("honest", "//MindosSentHonest", 61, "//Charlie", None),
        (
            "equivocate",
            "//MindosSentEquivocate",
            64,
            "//Dave",
            Some("equivocate"),
        ),
    ];
    for (name, hotkey, key, coldkey, fault) in miners {
        let proc = common::chain_miner(
            dir,
            node.ws_url(),
            name,
            hotkey,
            DIGITS,
            key,
            coldkey,
            fault,
        );
        procs.push((name.to_owned(), proc));
    }
    for (i, coldkey) in ["//Alice", "//Bob"].iter().enumerate() {
        let name = format!("validator{i}");
        // A validator permit (only permit holders may submit evidence) needs stake: the 200
        // every `StakedValidator` stakes.
        let (validator, _log) = StakedValidator {
            bin: common::VALIDATOR_BIN.as_ref(),
            dir,
            name: &name,
            hotkey_uri: &format!("//MindosSentinel{i}"),
            coldkey,
            node_key: 70 + i as u8,
            chain_rpc: node.ws_url(),
            netuids: &[DIGITS],
            fund_hotkey: 20,
            challenge_interval_ms: 500,
            // Re-send often, so the equivocating miner is caught within the test.
            extra_args: &["--sentinel-reask-percent", "25"],
        }
        .spawn();
        procs.push((name, validator));
    }

    let client = ChainClient::connect(&node.ws_url()).await.unwrap();
    let equivocate = account_of("//MindosSentEquivocate");
    let honest = account_of("//MindosSentHonest");
    let proven = wait_for_quarantine(
        &client,
        DIGITS,
        equivocate,
        honest,
        "the equivocating miner quarantined",
        Duration::from_secs(300),
    )
    .await;
    eprintln!(
        "equivocating miner quarantined in sentinel epoch {} (block {})",
        proven.since_epoch, proven.since_block
    );
    assert_eq!(proven.offence, SentinelOffence::Equivocation);
    // Without a vote: no case was ever opened against it.
    let cases = client.sentinels().cases(Some(DIGITS)).await.unwrap();
    assert!(
        cases.cases.iter().all(|c| c.accused.0 != equivocate),
        "{cases:?}"
    );

    // The logs say who submitted it and why (once its block is finalized; the other
    // validator may find it done).
    wait_for(
        "the equivocation's submission logged",
        Duration::from_secs(60),
        || async {
            let logs: String = (0..2)
                .map(|i| std::fs::read_to_string(dir.join(format!("validator{i}.log"))).unwrap())
                .collect();
            logs.lines()
                .any(|l| {
                    l.contains("equivocation")
                        && l.contains("sentinel duty: submitted")
                        && l.contains("two signed outputs for one challenge")
                })
                .then_some(())
        },
    )
    .await;
    // Still, the honest miner is not quarantined.
    assert_not_quarantined(&client, DIGITS, honest).await;
}
