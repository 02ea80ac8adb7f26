//! The query journey, on the shared dev node: two digits miners and a staked validator (real
//! `mindos-miner` and `mindos-validator` binaries, registered by their own coldkeys) start
//! against it; once the validator holds its permit and both miners answer its challenges,
//! `mindos query` goes through the validator's gateway — at the gateway's default limits — as
//! a user types it: the answer, its agreement, who served it and the latency; then the
//! refusals: an unknown subnet (exit 1), a malformed or oversized input and an option out of
//! range (exit 1, nothing sent: the gateway counts no call), an input the subnet refuses and
//! a shorthand for another modality (exit 1), an unreachable gateway (exit 2), and a burst of
//! queries over the gateway's rate limit, told as such (exit 2).
//!
//! Needs `mindos-miner` and `mindos-validator` (`MINDOS_MINER_BIN`, `MINDOS_VALIDATOR_BIN`, or
//! `$CARGO_TARGET_DIR/debug/`, see `mindos_test_utils::{miner_bin, validator_bin}`); the
//! digits model is built into them, ONNX Runtime is found as `scripts/lib/env.sh` says.

use std::{net::SocketAddr, path::Path, time::Duration};

use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_primitives::NetUid;
use mindos_test_utils::{
    chain_miner, free_port, http_client, metrics, node_key_peer, validator_bin, wait_for, AddrLine,
    DevNode, StakedValidator,
};
use serde_json::{json, Value};

use crate::{common, mindos};

/// The dev chain's digits subnet.
const DIGITS: NetUid = NetUid(1);
/// The miners' libp2p node keys are `[key; 32]`.
const MINER_KEYS: [u8; 2] = [71, 72];
/// A handwritten 0 from scikit-learn's digits: `scripts/run.sh`'s sample query.
const ZERO: [u8; 64] = [
    0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0,
    8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6,
    13, 10, 0, 0, 0,
];
/// Between two `mindos query` runs that reach the gateway: each makes two calls, and the
/// gateway takes 5 a second from one client (bursts of 10), this test's polling included.
const PACE: Duration = Duration::from_secs(1);

/// Every call the gateway has counted, whatever its method and outcome.
async fn gateway_calls(metrics_addr: SocketAddr) -> f64 {
    metrics::scrape(metrics_addr)
        .await
        .lines()
        .filter(|l| l.starts_with("mindos_validator_gateway_calls_total{"))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum()
}

/// The query journey: miners and a validator on `node`, files under `dir/query`.
pub(crate) async fn query_through_a_gateway(
    dir: &Path,
    node: &DevNode,
    wallets: &Path,
    journeys: &Path,
) {
    let started = std::time::Instant::now();
    let dir = dir.join("query");
    std::fs::create_dir_all(&dir).unwrap();
    // Coldkeys the other journeys do not sign with, one per process (two processes
    // registering with one coldkey at once would race for its nonce).
    let _miners: Vec<_> = MINER_KEYS
        .iter()
        .zip(["//Charlie", "//Dave"])
        .enumerate()
        .map(|(i, (&key, coldkey))| {
            chain_miner(
                &dir,
                node.ws_url(),
                &format!("miner{i}"),
                &format!("//MindosCliQueryMiner{i}"),
                DIGITS,
                key,
                coldkey,
                None,
            )
        })
        .collect();
    let bin = validator_bin();
    let (mut validator, _log) = StakedValidator {
        bin: &bin,
        dir: &dir,
        name: "validator",
        hotkey_uri: "//MindosCliQueryValidator",
        coldkey: "//Eve",
        node_key: 70,
        chain_rpc: node.ws_url(),
        netuids: &[DIGITS],
        fund_hotkey: 10,
        challenge_interval_ms: 500,
        // No canaries: they would hold deposits and add transactions this journey does not
        // need. The gateway keeps its public defaults (rate, agreement floor).
        extra_args: &["--canary-pool", "0"],
    }
    .spawn();
    let gateway_addr = validator.socket_addr(AddrLine::GATEWAY).await;
    let metrics_addr = validator.socket_addr(AddrLine::METRICS).await;
    let gateway = format!("http://{gateway_addr}");

    // Up once the validator holds its permit (the next epoch boundary after it staked) and
    // both miners have answered its challenges. One call a second, within the gateway's rate.
    let client = http_client(gateway_addr);
    let info: Value = wait_for(
        "both miners answering the validator",
        Duration::from_secs(300),
        || async {
            tokio::time::sleep(PACE).await;
            let info: Value = client
                .request("subnet_info", rpc_params![DIGITS])
                .await
                .ok()?;
            let miners = info["miners"].as_array()?;
            (miners.len() == MINER_KEYS.len()
                && miners.iter().all(|m| m["samples"].as_u64() > Some(0)))
            .then_some(info)
        },
    )
    .await;
    // Its connection would count against the gateway's connections per client.
    drop(client);
    eprintln!(
        "query journey: miners and validator ready after {:.0?}",
        started.elapsed()
    );
    let peers: Vec<String> = MINER_KEYS
        .iter()
        .map(|&k| node_key_peer(k).to_string())
        .collect();
    let uid_of = |peer: &str| {
        info["miners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["peer_id"] == peer)
            .and_then(|m| m["uid"].as_u64())
            .unwrap_or_else(|| panic!("{peer} not in {info}"))
    };
    let gateway = gateway.as_str();
    let run = |mut full: Vec<String>, stdin: String| async move {
        full.extend(["--gateway".to_owned(), gateway.to_owned()]);
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        mindos(wallets, &full, &stdin, None).await
    };
    let zero = json!({ "pixels": ZERO.to_vec() });
    let strings = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();

    // The answer, from stdin, as JSON: a 0, both miners agreeing, each named.
    tokio::time::sleep(PACE).await;
    let answer = run(strings(&["--json", "query", "1", "-"]), zero.to_string())
        .await
        .expect_code(0)
        .json();
    common::assert_shape("query", &answer);
    assert_eq!(answer["output"]["label"], 0, "{answer}");
    assert_eq!(answer["agreement"], 1.0, "{answer}");
    assert_eq!(answer["netuid"], 1);
    assert_eq!(answer["subnet"], "digits");
    let served = answer["served_by"].as_array().unwrap();
    assert_eq!(served.len(), 2, "{answer}");
    for row in served {
        let peer = row["peer_id"].as_str().unwrap();
        assert!(peers.iter().any(|p| p == peer), "{row}");
        assert_eq!(row["uid"].as_u64().unwrap(), uid_of(peer), "{row}");
        assert!(row["latency_ms"].as_f64().unwrap() > 0.0, "{row}");
    }
    let round_trip = answer["latency_ms"].as_f64().unwrap();
    assert!(
        served
            .iter()
            .all(|r| r["latency_ms"].as_f64().unwrap() <= round_trip),
        "{answer}"
    );

    // As a person reads it: from a file at redundancy 2, and with --pixels.
    let file = dir.join("zero.json");
    std::fs::write(&file, serde_json::to_string_pretty(&zero).unwrap()).unwrap();
    tokio::time::sleep(PACE).await;
    let text = run(
        strings(&[
            "query",
            "1",
            &format!("@{}", file.display()),
            "--redundancy",
            "2",
        ]),
        String::new(),
    )
    .await
    .expect_code(0);
    for part in [
        "answer     {\"label\": 0, \"probabilities\": [",
        "agreement  1.00",
        "latency",
        "served by",
        "PEER ID",
        &peers[0],
        &peers[1],
    ] {
        assert!(text.stdout.contains(part), "no `{part}` in {text:?}");
    }
    let pixels: Vec<String> = ZERO.iter().map(u8::to_string).collect();
    tokio::time::sleep(PACE).await;
    let shorthand = run(
        strings(&["query", "1", "--pixels", &pixels.join(",")]),
        String::new(),
    )
    .await
    .expect_code(0);
    assert!(shorthand.stdout.contains("{\"label\": 0,"), "{shorthand:?}");

    // Refused before anything is sent: the gateway counts no call.
    let calls = gateway_calls(metrics_addr).await;
    let malformed = run(
        strings(&["query", "1", r#"{"pixels": [1, 2"#]),
        String::new(),
    )
    .await
    .expect_code(1);
    assert!(malformed.stderr.contains("not valid JSON"), "{malformed:?}");
    let huge = json!({ "text": "a".repeat(70_000) }).to_string();
    let oversized = run(strings(&["query", "0", "-"]), huge)
        .await
        .expect_code(1);
    assert!(
        oversized.stderr.contains("at most 65536 bytes"),
        "{oversized:?}"
    );
    let redundancy = run(
        strings(&["query", "1", &zero.to_string(), "--redundancy", "5"]),
        String::new(),
    )
    .await
    .expect_code(1);
    assert!(
        redundancy.stderr.contains("without an API key"),
        "{redundancy:?}"
    );
    assert_eq!(
        gateway_calls(metrics_addr).await,
        calls,
        "a refusal was sent"
    );

    // An unknown subnet: exit 1, naming the subnets the gateway serves, also under --json.
    tokio::time::sleep(PACE).await;
    let unknown = run(
        strings(&["--json", "query", "99", &zero.to_string()]),
        String::new(),
    )
    .await
    .expect_code(1);
    assert_eq!(unknown.json()["error"]["code"], 1, "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("serves no subnet 99 (it serves 1 `digits`)"),
        "{unknown:?}"
    );
    // An input the subnet refuses (3 pixels, not 64): the gateway's reason, exit 1.
    tokio::time::sleep(PACE).await;
    let refused = run(
        strings(&["query", "1", r#"{"pixels": [1, 2, 3]}"#]),
        String::new(),
    )
    .await
    .expect_code(1);
    assert!(refused.stderr.contains("invalid input"), "{refused:?}");
    // --text on the digits subnet: refused after subnet_info, the query never sent.
    tokio::time::sleep(PACE).await;
    let modality = run(strings(&["query", "1", "--text", "a zero"]), String::new())
        .await
        .expect_code(1);
    assert!(
        modality.stderr.contains("takes image input"),
        "{modality:?}"
    );

    // A gateway that is not there: exit 2.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let offline = mindos(
        wallets,
        &["query", "1", &zero.to_string(), "--gateway", &nowhere],
        "",
        None,
    )
    .await
    .expect_code(2);
    assert!(
        offline.stderr.contains("cannot reach the gateway"),
        "{offline:?}"
    );

    // A burst over the gateway's rate (5 calls a second per client, bursts of 10, 4 in
    // flight): 24 queries from this machine, 6 at a time (under the 8 connections a gateway
    // keeps per client), two calls each. Those refused are told so (exit 2); the others get
    // their answer (an unknown subnet, exit 1).
    tokio::time::sleep(2 * PACE).await;
    let mut runs = Vec::new();
    for _wave in 0..4 {
        let wave: Vec<_> = (0..6)
            .map(|_| {
                let (wallets, gateway) = (wallets.to_path_buf(), gateway.to_owned());
                tokio::task::spawn_blocking(move || {
                    common::mindos(
                        &wallets,
                        &["query", "99", "{}", "--gateway", &gateway],
                        "",
                        None,
                    )
                })
            })
            .collect();
        for run in wave {
            runs.push(run.await.unwrap());
        }
    }
    let limited = runs.iter().filter(|r| r.code == 2).count();
    assert!(limited > 0, "no call of 48 was rate limited: {runs:#?}");
    for run in &runs {
        match run.code {
            2 => assert!(
                run.stderr.contains("rate limited by the gateway"),
                "{run:?}"
            ),
            1 => assert!(run.stderr.contains("serves no subnet 99"), "{run:?}"),
            _ => panic!("{run:?}"),
        }
    }
    eprintln!(
        "query journey: {limited} of {} queries in the burst rate limited; {:.0?} in all",
        runs.len(),
        started.elapsed()
    );

    // The root README's query journey, as written, through this gateway (named by
    // MINDOS_GATEWAY, as a user's shell would), once the burst's rate limit has refilled.
    tokio::time::sleep(3 * PACE).await;
    let readme = crate::run_journey(
        "query",
        journeys,
        &node.ws_url(),
        &[("MINDOS_GATEWAY", gateway)],
    )
    .await;
    assert!(readme.stdout.contains("agreement"), "{readme:#?}");
    // The miners and the validator are killed as they drop.
    drop(validator);
}
