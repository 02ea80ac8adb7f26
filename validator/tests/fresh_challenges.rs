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

use common::{query, VALIDATOR_BIN};
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_subnets::EngineConfig;
use mindos_test_utils::{
    http_client, metrics, node_key_peer, spawn_validator, wait_for, write_key, write_node_key,
    AddrLine, DevNode, NodeArgs, Proc,
};
use serde_json::{json, Value};

const DIGITS: NetUid = NetUid(1);
const HONEST_KEY: u8 = 51;
const TABLE_KEY: u8 = 52;
/// Challenges each miner must have answered before the scores are compared.
const SAMPLES: u64 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_challenges_catch_a_lookup_table_miner() {
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
        Duration::from_secs(600),
        scenario(dir.path(), &node, &mut procs),
    )
    .await;
    if std::env::var_os("E2E_KEEP").is_some() {
        eprintln!("logs kept in {}", dir.keep().display());
    }
    if !matches!(result, Ok(())) {
        node.proc().print_tail(20);
        for (_, proc) in &procs {
            proc.print_tail(30);
        }
        panic!("scenario failed or timed out");
    }
}

async fn scenario(dir: &Path, node: &DevNode, procs: &mut Vec<(&str, Proc)>) {
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
        procs.push((name, proc));
    }
    let validator_dir = dir.join("validator");
    std::fs::create_dir_all(&validator_dir).unwrap();
    write_key(&validator_dir.join("hotkey"), "//MindosFreshValidator");
    write_key(&validator_dir.join("coldkey"), "//Bob");
    write_node_key(&validator_dir.join("node.key"), 50);
    let args: Vec<String> = [
        "--chain-rpc",
        &node.ws_url(),
        "--netuid",
        "1",
        "--coldkey-file",
        validator_dir.join("coldkey").to_str().unwrap(),
        "--max-burn",
        "100",
        "--fund-hotkey",
        "10",
        "--stake",
        "200",
        "--metrics-addr",
        "127.0.0.1:0",
        "--challenge-interval-ms",
        "300",
        "--gateway-rate",
        "1000",
        "--gateway-reexecute-percent",
        "100",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let log = dir.join("validator.log");
    let mut validator = spawn_validator(Path::new(VALIDATOR_BIN), &validator_dir, &args, &log);
    let gateway_addr = validator.socket_addr(AddrLine::GATEWAY).await;
    let metrics_addr = validator.socket_addr(AddrLine::METRICS).await;
    procs.push(("validator", validator));
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
    let table_log = procs[1].1.log_text();
    assert!(
        table_log.contains("FAULT INJECTION"),
        "the lookup-table miner runs without fault injection: build the miner with \
         `cargo build -p mindos-miner --features fault-injection`"
    );
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
        text.lines()
            .filter(|l| {
                l.starts_with("mindos_validator_reexecution_mismatches_total{netuid=\"1\"}")
            })
            .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
            .sum::<f64>()
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
