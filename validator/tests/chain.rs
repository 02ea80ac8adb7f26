//! End to end on a real `mindos-node --dev` (1 s blocks, tempo 20): every part is a real
//! binary on loopback. Three digits miners (one answers garbage: `fault-injection`), one
//! text-embedding miner and the validator, each registering itself with its own coldkey;
//! the validator also stakes. In order:
//!
//! 1. once the validator holds its permits, miners answer its challenges;
//! 2. `subnet_query` gives held-out digits their class (redundancy 3 outvotes the garbage
//!    miner) and embeddings within cosine 0.99 of the reference;
//! 3. the validator's weights land on chain and an epoch pays: the garbage miner earns
//!    clearly less than the honest ones (the ratio is printed);
//! 4. SIGKILL of an honest miner during a stream of 200 queries keeps ≥ 99 % successful;
//! 5. bad input still gets documented errors; SIGTERM stops the validator cleanly, and a
//!    restarted validator finds its state (no double commit, scores kept).
//!
//! Needs `$CARGO_TARGET_DIR/debug/mindos-node` (built with `--features fast-blocks`) and
//! `mindos-miner` (built with `--features fault-injection`), or `MINDOS_NODE_BIN` /
//! `MINDOS_MINER_BIN` (see `mindos_test_utils::{node_bin, miner_bin}`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use mindos_primitives::NetUid;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{
    assert_fault_injected, code_of, cosine, floats, local_digits_label, query, StakedValidator,
};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_subnets::{EngineConfig, Output};
use mindos_test_utils::{
    http_client, metrics, node_key_peer, operator_client, wait_for, AddrLine, DevNode, NodeArgs,
    Proc,
};
use mindos_validator::gateway::{INVALID_INPUT, UNKNOWN_SUBNET};
use serde_json::{json, Value};

const TEXT: NetUid = NetUid(0);
const DIGITS: NetUid = NetUid(1);

struct Setup {
    dir: PathBuf,
    node: DevNode,
}

async fn start_node(dir: &Path) -> Setup {
    let node = DevNode::start(NodeArgs::dev(dir.join("chain"), dir.join("node.log"))).await;
    node.wait_for_finalized(1).await;
    Setup {
        dir: dir.to_owned(),
        node,
    }
}

/// The gateway API key of the validator's operator.
const OPERATOR_KEY: &str = "chain-test-key-0123456789abcdef";

struct ValidatorProc {
    proc: Proc,
    gateway: SocketAddr,
    metrics: SocketAddr,
}

async fn start_validator(setup: &Setup, log: &str) -> ValidatorProc {
    let api_keys = setup.dir.join("validator").join("api-keys");
    std::fs::create_dir_all(setup.dir.join("validator")).unwrap();
    std::fs::write(&api_keys, format!("{OPERATOR_KEY}\n")).unwrap();
    let mut proc = StakedValidator {
        bin: common::VALIDATOR_BIN.as_ref(),
        dir: &setup.dir,
        name: "validator",
        hotkey_uri: "//MindosE2EValidator",
        coldkey: "//Bob",
        node_key: 40,
        chain_rpc: setup.node.ws_url(),
        // No `--netuid`: the validator's default.
        netuids: &[],
        fund_hotkey: 10,
        challenge_interval_ms: 500,
        // One test client makes hundreds of calls, and the stream below measures failover
        // at redundancy 1, which only an operator (an API key) may ask for: above the public
        // defaults (rate 5, agreement floor 0.51).
        extra_args: &[
            "--gateway-api-keys",
            api_keys.to_str().unwrap(),
            "--gateway-rate",
            "1000",
            "--gateway-concurrency",
            "64",
            "--gateway-min-agreement-percent",
            "0",
        ],
    }
    .spawn_logging_to(&setup.dir.join(log));
    let gateway = proc.socket_addr(AddrLine::GATEWAY).await;
    let metrics = proc.socket_addr(AddrLine::METRICS).await;
    ValidatorProc {
        proc,
        gateway,
        metrics,
    }
}

/// uid of the miner with node key `[key; 32]`, from `subnet_info`.
fn uid_of(info: &Value, key: u8) -> Option<u64> {
    let peer = node_key_peer(key).to_string();
    info["miners"]
        .as_array()?
        .iter()
        .find(|m| m["peer_id"] == peer.as_str())
        .and_then(|m| m["uid"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_scores_sets_weights_and_serves_queries_on_a_dev_chain() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let setup = start_node(dir.path()).await;
    let mut procs = Procs::default();
    let result = tokio::time::timeout(Duration::from_secs(900), scenario(&setup, &mut procs)).await;
    // E2E_KEEP=1 keeps every log (and the chain) for a look afterwards.
    if std::env::var_os("E2E_KEEP").is_some() {
        eprintln!("logs kept in {}", dir.keep().display());
    }
    if !matches!(result, Ok(())) {
        setup.node.proc().print_tail(20);
        for (_, proc) in &procs.all {
            proc.print_tail(25);
        }
        panic!("scenario failed or timed out");
    }
}

#[derive(Default)]
struct Procs {
    all: Vec<(String, Proc)>,
}

impl Procs {
    fn get(&mut self, name: &str) -> &mut Proc {
        &mut self.all.iter_mut().find(|(n, _)| n == name).unwrap().1
    }
}

async fn scenario(setup: &Setup, procs: &mut Procs) {
    // Miners 1 and 2 are honest, miner 3 answers garbage; uids come from registration order.
    let miners = [
        ("digits1", "digits", DIGITS, 31u8, "//Charlie", None),
        ("digits2", "digits", DIGITS, 32, "//Dave", None),
        ("digits3", "digits", DIGITS, 33, "//Eve", Some("garbage")),
        ("text1", "text-embedding", TEXT, 34, "//Ferdie", None),
    ];
    for (name, _subnet, netuid, key, coldkey, fault) in miners {
        let proc = common::chain_miner(
            &setup.dir,
            setup.node.ws_url(),
            name,
            &format!("//MindosE2E{name}"),
            netuid,
            key,
            coldkey,
            fault,
        );
        procs.all.push((name.to_owned(), proc));
    }
    let validator = start_validator(setup, "validator.log").await;
    let gateway = http_client(validator.gateway);
    procs.all.push(("validator".into(), validator.proc));

    // 1. Permits, then answered challenges on both subnets.
    let (digits_info, _) = wait_for(
        "miners scored on both subnets",
        Duration::from_secs(300),
        || async {
            let digits: Value = gateway
                .request("subnet_info", rpc_params![DIGITS])
                .await
                .ok()?;
            let text: Value = gateway
                .request("subnet_info", rpc_params![TEXT])
                .await
                .ok()?;
            let scored = |info: &Value, n: usize| {
                info["miners"].as_array().is_some_and(|m| {
                    m.len() == n && m.iter().all(|m| m["samples"].as_u64() >= Some(3))
                })
            };
            (scored(&digits, 3) && scored(&text, 1)).then_some((digits, text))
        },
    )
    .await;
    assert_fault_injected(procs.get("digits3"), "garbage miner");
    let (honest, garbage) = (
        uid_of(&digits_info, 31).unwrap(),
        uid_of(&digits_info, 33).unwrap(),
    );

    // 2. Queries: digits at redundancy 3 outvote the garbage miner; embeddings match.
    let digits = mindos_subnets::load("digits", &EngineConfig::default()).unwrap();
    for i in 0..15usize {
        let challenge = digits.challenge(i * 23 % digits.validation_len()).unwrap();
        let local_label = local_digits_label(&*digits, &challenge.input);
        let answer = query(
            &gateway,
            DIGITS,
            serde_json::to_value(&challenge.input).unwrap(),
            json!({"redundancy": 3, "timeout_ms": 10_000}),
        )
        .await
        .unwrap();
        assert_eq!(answer["output"]["label"], local_label, "{answer}");
        assert_eq!(answer["served_by"].as_array().unwrap().len(), 3, "{answer}");
    }
    let text = mindos_subnets::load("text-embedding", &EngineConfig::default()).unwrap();
    for i in 0..5usize.min(text.validation_len()) {
        let challenge = text.challenge(i).unwrap();
        let Output::TextEmbedding(reference) = &challenge.reference else {
            panic!("an embedding reference");
        };
        let answer = query(
            &gateway,
            TEXT,
            serde_json::to_value(&challenge.input).unwrap(),
            json!({"timeout_ms": 10_000}),
        )
        .await
        .unwrap();
        let got = floats(&answer["output"]["embedding"]);
        let want: Vec<f64> = reference.embedding.iter().map(|x| f64::from(*x)).collect();
        let c = cosine(&got, &want);
        assert!(c >= 0.99, "sample {i}: cosine {c}");
    }

    // 3. Weights land and an epoch pays; the garbage miner earns clearly less.
    let node = setup.node.http();
    let graph = wait_for(
        "an epoch paying the validator's weights",
        Duration::from_secs(300),
        || async {
            let graph: Value = node
                .request("mindos_metagraph", rpc_params![DIGITS])
                .await
                .ok()?;
            let rows = graph.as_array()?;
            let row = |uid: u64| rows.iter().find(|r| r["uid"].as_u64() == Some(uid));
            let revealed = rows
                .iter()
                .any(|r| r["validatorPermit"] == true && !r["lastUpdate"].is_null());
            let paid = row(honest)?["incentive"].as_u64()? > 0;
            (revealed && paid).then_some(graph)
        },
    )
    .await;
    let rows = graph.as_array().unwrap();
    let row = |uid: u64| {
        rows.iter()
            .find(|r| r["uid"].as_u64() == Some(uid))
            .unwrap()
    };
    let emission = |uid: u64| {
        row(uid)["emission"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
    };
    let incentive = |uid: u64| row(uid)["incentive"].as_u64().unwrap();
    let ratio = emission(garbage) as f64 / emission(honest).max(1) as f64;
    eprintln!(
        "epoch paid: honest miner uid {honest} incentive {} emission {}, garbage miner uid \
         {garbage} incentive {} emission {} (garbage/honest emission ratio {ratio:.3})",
        incentive(honest),
        emission(honest),
        incentive(garbage),
        emission(garbage),
    );
    assert!(emission(honest) > 0);
    assert!(
        ratio < 0.2,
        "the garbage miner earns {ratio:.3} of an honest one"
    );
    let metrics = metrics::scrape(validator.metrics).await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("mindos_validator_weights_total")
                && l.contains("action=\"reveal\"")
                && l.contains("netuid=\"1\"")
                && l.contains("outcome=\"ok\"")),
        "{metrics}"
    );

    // 4. SIGKILL an honest miner during a stream of 200 queries.
    let ok = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let sample = serde_json::to_value(&digits.challenge(5).unwrap().input).unwrap();
    let mut stream = Vec::new();
    for worker in 0..4 {
        let (gateway, ok, done, sample) = (
            operator_client(validator.gateway, OPERATOR_KEY),
            ok.clone(),
            done.clone(),
            sample.clone(),
        );
        stream.push(tokio::spawn(async move {
            for _ in 0..50 {
                let answer = query(
                    &gateway,
                    DIGITS,
                    sample.clone(),
                    json!({"redundancy": 1, "timeout_ms": 5000}),
                )
                .await;
                match answer {
                    Ok(_) => {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => eprintln!("worker {worker}: query failed: {e}"),
                }
                done.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    wait_for("50 queries", Duration::from_secs(60), || async {
        (done.load(Ordering::SeqCst) >= 50).then_some(())
    })
    .await;
    procs.get("digits1").kill().await;
    for task in stream {
        task.await.unwrap();
    }
    let ok = ok.load(Ordering::SeqCst);
    eprintln!("queries answered with a miner killed mid-stream: {ok} of 200");
    assert!(ok >= 198, "{ok} of 200 answered");

    // 5. Bad input still gets documented errors, then a clean stop and a restart.
    assert_eq!(
        code_of(query(&gateway, DIGITS, json!({"pixels": [1]}), json!({})).await),
        INVALID_INPUT
    );
    assert_eq!(
        code_of(query(&gateway, NetUid(9), sample.clone(), json!({})).await),
        UNKNOWN_SUBNET
    );
    let status = procs.get("validator").terminate().await;
    assert!(status.success(), "validator exit: {status}");
    let before = node_last_update(&node).await;
    let restarted = start_validator(setup, "validator-restart.log").await;
    let gateway = http_client(restarted.gateway);
    procs.all.push(("validator-restart".into(), restarted.proc));
    let info: Value = wait_for(
        "the restarted gateway",
        Duration::from_secs(120),
        || async {
            gateway
                .request("subnet_info", rpc_params![DIGITS])
                .await
                .ok()
        },
    )
    .await;
    let kept = info["miners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["uid"].as_u64() == Some(honest))
        .map(|m| m["samples"].as_u64().unwrap())
        .unwrap();
    assert!(kept >= 3, "scores survive a restart: {info}");
    // The restarted validator reveals what its predecessor committed (from the store), and
    // the reveal lands on chain.
    wait_for(
        "a reveal by the restarted validator",
        Duration::from_secs(120),
        || async {
            procs_log(setup, "validator-restart.log")
                .contains("weights revealed netuid=1 ")
                .then_some(())
        },
    )
    .await;
    assert!(
        node_last_update(&node).await > before,
        "the reveal is on chain"
    );
    let log = procs.get("validator-restart").log_text();
    assert!(!log.contains("cannot be revealed"), "{log}");
}

fn procs_log(setup: &Setup, name: &str) -> String {
    std::fs::read_to_string(setup.dir.join(name)).unwrap_or_default()
}

/// The validator's `lastUpdate` on the digits subnet (the block of its last reveal).
async fn node_last_update(node: &HttpClient) -> u64 {
    let graph: Value = node
        .request("mindos_metagraph", rpc_params![DIGITS])
        .await
        .unwrap();
    graph
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["lastUpdate"].as_u64())
        .max()
        .unwrap_or(0)
}
