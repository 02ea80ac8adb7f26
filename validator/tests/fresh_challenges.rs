//! Fresh challenges catch a lookup-table miner (H4 of the security review). On a real
//! `mindos-node --dev`, two digits miners — one honest, one that answers right only inputs
//! it has seen before (`MINDOS_MINER_FAULT=lookup-table`: the built-in held-out set, and
//! every input sent to it once) and garbage to new ones — and the validator, all binaries:
//!
//! 1. challenged with fresh inputs checked by re-executing the pinned model, the honest
//!    miner keeps its score and the lookup-table miner's falls to about 0 (with challenges
//!    drawn from the built-in set, as before, both scored alike); every disagreement is
//!    counted in `mindos_validator_reexecution_mismatches_total` and logged with its reason;
//! 2. user queries re-executed (`--gateway-reexecute-percent 100`) find the lookup-table
//!    miner's garbage answers to them too.
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
    assert_fault_injected, query, run_on_dev_chain, sum_of_samples, Procs, StakedValidator,
};
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_subnets::EngineConfig;
use mindos_test_utils::{http_client, metrics, node_key_peer, wait_for, AddrLine, DevNode};
use serde_json::{json, Value};

const DIGITS: NetUid = NetUid(1);
const HONEST_KEY: u8 = 51;
const TABLE_KEY: u8 = 52;
/// Challenges each miner must have answered before the scores are compared.
const SAMPLES: u64 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_challenges_catch_a_lookup_table_miner() {
    run_on_dev_chain(Duration::from_secs(600), 30, scenario).await;
}

async fn scenario(dir: &Path, node: &DevNode, procs: &mut Procs) {
    for (name, key, coldkey, fault) in [
        ("honest", HONEST_KEY, "//Charlie", None),
        ("table", TABLE_KEY, "//Dave", Some("lookup-table")),
    ] {
        let proc = common::chain_miner(
            dir,
            node.ws_url(),
            name,
            &format!("//MindosFresh{name}"),
            DIGITS,
            key,
            coldkey,
            fault,
        );
        procs.push((name.to_owned(), proc));
    }
    let (mut validator, log) = StakedValidator {
        bin: common::VALIDATOR_BIN.as_ref(),
        dir,
        name: "validator",
        hotkey_uri: "//MindosFreshValidator",
        coldkey: "//Bob",
        node_key: 50,
        chain_rpc: node.ws_url(),
        netuids: &[DIGITS],
        fund_hotkey: 10,
        challenge_interval_ms: 300,
        extra_args: &[
            "--gateway-rate",
            "1000",
            "--gateway-reexecute-percent",
            "100",
        ],
    }
    .spawn();
    let gateway_addr = validator.socket_addr(AddrLine::GATEWAY).await;
    let metrics_addr = validator.socket_addr(AddrLine::METRICS).await;
    procs.push(("validator".to_owned(), validator));
    let gateway = http_client(gateway_addr);

    // 1. Fresh challenges: the honest miner keeps its score, the lookup table's falls.
    let info: Value = wait_for(
        "both miners challenged many times",
        Duration::from_secs(420),
        || async {
            let info: Value = gateway
                .request("subnet_info", rpc_params![DIGITS])
                .await
                .ok()?;
            let miners = info["miners"].as_array()?;
            (miners.len() == 2
                && miners
                    .iter()
                    .all(|m| m["samples"].as_u64() >= Some(SAMPLES)))
            .then_some(info)
        },
    )
    .await;
    assert_fault_injected(&procs[1].1, "lookup-table miner");
    let score = |key: u8| {
        let peer = node_key_peer(key).to_string();
        info["miners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["peer_id"] == peer.as_str())
            .and_then(|m| m["score"].as_f64())
            .unwrap()
    };
    let (honest, table) = (score(HONEST_KEY), score(TABLE_KEY));
    eprintln!(
        "scores after {SAMPLES}+ fresh challenges: honest {honest:.3}, lookup table {table:.3}"
    );
    assert!(honest > 0.5, "the honest miner lost its score: {info}");
    assert!(
        table < 0.05,
        "the lookup-table miner keeps {table:.3} (honest {honest:.3}): {info}"
    );
    let mismatches = |text: &str| {
        sum_of_samples(
            text,
            "mindos_validator_reexecution_mismatches_total{netuid=\"1\"}",
            &[],
        )
    };
    let found = mismatches(&metrics::scrape(metrics_addr).await);
    assert!(found >= SAMPLES as f64 / 2.0, "{found} mismatches counted");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("disagrees with the pinned model")
            && text.contains("the pinned model gives label"),
        "no mismatch logged with its reason"
    );

    // 2. Users' queries: every answer re-executed; the lookup table's garbage is found.
    let engine = mindos_subnets::load("digits", &EngineConfig::default()).unwrap();
    for seed in 0..6u64 {
        let input = serde_json::to_value(engine.fresh_input(0xF00D_0000 + seed)).unwrap();
        // Both miners answer at redundancy 2; the table's garbage halves the agreement.
        let _ = query(
            &gateway,
            DIGITS,
            input,
            json!({"redundancy": 2, "timeout_ms": 10_000, "min_agreement": 0.5}),
        )
        .await;
    }
    wait_for(
        "a query's garbage answer found by re-execution",
        Duration::from_secs(60),
        || async {
            let text = std::fs::read_to_string(&log).ok()?;
            text.lines()
                .any(|l| l.contains("disagrees with the pinned model") && l.contains("kind=Query"))
                .then_some(())
        },
    )
    .await;
    let text = metrics::scrape(metrics_addr).await;
    assert!(
        text.lines().any(|l| l.starts_with(
            "mindos_validator_reexecuted_queries_total{netuid=\"1\",outcome=\"queued\"}"
        )),
        "{text}"
    );
}
