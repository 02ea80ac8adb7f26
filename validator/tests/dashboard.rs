//! The dashboard in a real browser. On a `mindos-node --dev`, two digits miners, one
//! text-embedding miner and a staked validator (all binaries), `tests/dashboard/dashboard.mjs`
//! drives Debian's `chromium` through puppeteer-core (pinned by its `package-lock.json`;
//! `scripts/setup.sh` installs both) at the gateway's `/dashboard`: both subnets and their
//! metagraphs with the running miners are shown; while the page is open, //Alice proposes a
//! directive and //Bob (the validator's staked coldkey) votes aye, and without a reload the
//! proposals section shows none, then the proposal with an empty tally, then Bob's stake as
//! its ayes and one voter — the stake `mindos_proposals` and `network_overview` recorded;
//! without a reload the page follows the chain, and a miner's incentive appears when the
//! first epoch pays; the table sorts; on a phone-sized screen nothing overflows (the
//! proposal shown); no console error. Screenshots are saved in
//! `$CARGO_TARGET_TMPDIR/dashboard/` (the path is printed). The sentinel sections filled
//! (committee, cases, quarantines) are checked in `tests/judged.rs`.
//!
//! Without chromium, node or the packages the test says so and passes, unless
//! `MINDOS_REQUIRE_CHROMIUM` is set (as `scripts/test.sh` sets it, where setup ran).
//! Also checked here, in the same run: the page's files and their security headers, and
//! `validator_status` and `network_overview` against the chain.
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

use mindos_primitives::{NetUid, MIND};
use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

use common::{run_on_dev_chain, Browser, Procs, StakedValidator};
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_chain_client::{
    runtime::{
        self,
        // The call's own argument types (the runtime API's view types share their names).
        directives::calls::propose::{Action as ProposalAction, Scope},
        runtime_types::bounded_collections::bounded_vec::BoundedVec,
    },
    ChainClient,
};
use mindos_test_utils::{http_client, key, node_key_peer, wait_for, AddrLine, DevNode};
use serde_json::{json, Value};

const TEXT: NetUid = NetUid(0);
const DIGITS: NetUid = NetUid(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_network_live_in_a_browser() {
    let Some(browser) = Browser::find("the dashboard's browser test") else {
        return;
    };
    run_on_dev_chain(
        Duration::from_secs(480),
        40,
        async |dir: &Path, node: &DevNode, procs: &mut Procs| {
            scenario(&browser, dir, node, procs).await
        },
    )
    .await;
}

/// The miners: name, subnet, node key, dev coldkey.
const MINERS: [(&str, NetUid, u8, &str); 3] = [
    ("digits1", DIGITS, 71, "//Charlie"),
    ("digits2", DIGITS, 72, "//Dave"),
    ("text1", TEXT, 73, "//Eve"),
];

async fn scenario(browser: &Browser, dir: &Path, node: &DevNode, procs: &mut Procs) {
    for (name, netuid, key, coldkey) in MINERS {
        let uri = format!("//MindosDashboard{name}");
        let proc = common::chain_miner(dir, node.ws_url(), name, &uri, netuid, key, coldkey, None);
        procs.push((name.to_owned(), proc));
    }
    let (mut validator, _log) = StakedValidator {
        bin: common::VALIDATOR_BIN.as_ref(),
        dir,
        name: "validator",
        hotkey_uri: "//MindosDashboardValidator",
        coldkey: "//Bob",
        node_key: 70,
        chain_rpc: node.ws_url(),
        netuids: &[TEXT, DIGITS],
        fund_hotkey: 10,
        challenge_interval_ms: 500,
        extra_args: &[],
    }
    .spawn();
    let gateway = validator.socket_addr(AddrLine::GATEWAY).await;
    procs.push(("validator".to_owned(), validator));
    let client = http_client(gateway);

    // Every miner served, connected and challenged by the validator, with its uid.
    let started = Instant::now();
    let uids: BTreeMap<NetUid, Vec<u64>> = wait_for(
        "the validator challenging every miner",
        Duration::from_secs(180),
        || async {
            let status: Value = client
                .request("validator_status", rpc_params![])
                .await
                .ok()?;
            let mut uids: BTreeMap<NetUid, Vec<u64>> = BTreeMap::new();
            for (_, netuid, key, _) in MINERS {
                let peer = node_key_peer(key).to_string();
                let subnet = status["subnets"]
                    .as_array()?
                    .iter()
                    .find(|s| s["netuid"] == netuid.0)?;
                // Connected, and answering challenges: the page has latencies to show.
                let miner = subnet["miners"].as_array()?.iter().find(|m| {
                    m["peer_id"] == peer.as_str()
                        && m["connected"] == true
                        && m["latency_ms"].as_array().is_some_and(|l| !l.is_empty())
                })?;
                uids.entry(netuid).or_default().push(miner["uid"].as_u64()?);
            }
            Some(uids)
        },
    )
    .await;
    eprintln!("miners served after {:?}: {uids:?}", started.elapsed());

    page_files_and_headers(gateway).await;
    let overview = read_methods(&client, &uids).await;
    // The page should see the first pay arrive, unless an epoch paid already.
    let paid = overview["metagraphs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["neurons"].as_array().unwrap())
        .any(|n| n["incentive"].as_u64() > Some(0));

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    let miners: BTreeMap<String, Vec<u64>> = uids
        .iter()
        .map(|(netuid, uids)| (netuid.0.to_string(), uids.clone()))
        .collect();
    let args = json!({
        "url": format!("http://{gateway}/dashboard"),
        "out": out,
        "miners": miners,
        "payment": !paid,
        "proposal": {"title": PROPOSAL.0},
        "timeout_ms": 300_000,
    });
    // While the page is open: Alice proposes a directive, then Bob (the validator's staked
    // coldkey) votes aye on it.
    let chain = ChainClient::connect(&node.ws_url()).await.unwrap();
    let seen = browser
        .run(args, async |asked: &Value| {
            let submitted = match (asked["step"].as_str(), asked["proposal"].as_u64()) {
                (Some("propose"), _) => {
                    let (title, text) = PROPOSAL;
                    let call = runtime::transactions().directives().propose(
                        ProposalAction::AddDirective {
                            title: BoundedVec(title.as_bytes().to_vec()),
                            text: BoundedVec(text.as_bytes().to_vec()),
                        },
                        Scope::Network,
                    );
                    chain.submit(&call, &key("//Alice")).await
                }
                (Some("vote"), Some(index)) => {
                    let call = runtime::transactions()
                        .directives()
                        .vote(u32::try_from(index).unwrap(), true);
                    chain.submit(&call, &key("//Bob")).await
                }
                _ => return Err(format!("no such step: {asked}")),
            };
            submitted.map(drop).map_err(|e| e.to_string())
        })
        .await;
    eprintln!("the browser saw: {seen}");
    proposal_as_the_chain_has_it(&node.http(), &client, &seen["proposal"]).await;
    eprintln!(
        "screenshots: {} and {}",
        out.join("dashboard.png").display(),
        out.join("dashboard-phone.png").display()
    );
    assert!(seen["last_block"].as_u64() > seen["first_block"].as_u64());
    if !paid {
        assert!(seen["paid"].is_object(), "{seen}");
    }
}

/// The directive proposal the test opens while the page is open: title, text.
const PROPOSAL: (&str, &str) = (
    "Open models",
    "Subnet models are published with their digests.",
);

/// The proposal the page showed after the vote (`seen`: the browser's `{opened, voted}`) is
/// the one `mindos_proposals` and `network_overview` hold: Bob's aye stake, one voter.
async fn proposal_as_the_chain_has_it(
    node: &jsonrpsee::http_client::HttpClient,
    gateway: &jsonrpsee::http_client::HttpClient,
    seen: &Value,
) {
    let proposals: Value = node
        .request("mindos_proposals", rpc_params![])
        .await
        .unwrap();
    let [proposal] = proposals.as_array().unwrap().as_slice() else {
        panic!("one proposal: {proposals}");
    };
    assert_eq!(seen["voted"]["index"], proposal["index"], "{seen}");
    assert_eq!(proposal["voters"], 1, "{proposal}");
    assert_eq!(proposal["nays"], "0", "{proposal}");
    let ayes: u128 = proposal["ayes"].as_str().unwrap().parse().unwrap();
    assert!(ayes >= 10 * MIND, "Bob's stake voted: {proposal}");
    // The page shows MIND with two decimals, whole MIND from 1,000 on.
    let shown: f64 = seen["voted"]["ayes"].as_str().unwrap().parse().unwrap();
    let rounding = if ayes < 1_000 * MIND { 0.005 } else { 0.5 };
    assert!(
        (shown - ayes as f64 / MIND as f64).abs() <= rounding,
        "the page shows {shown} MIND of ayes, the chain {ayes} planck"
    );
    let overview: Value = wait_for(
        "network_overview with the vote",
        Duration::from_secs(30),
        || async {
            let overview: Value = gateway
                .request("network_overview", rpc_params![])
                .await
                .ok()?;
            (overview["proposals"][0]["voters"] == 1).then_some(overview)
        },
    )
    .await;
    assert_eq!(overview["proposals"][0]["ayes"], proposal["ayes"]);
}

/// The page's files come with their types and security headers; other paths and methods
/// are JSON-RPC's.
async fn page_files_and_headers(gateway: std::net::SocketAddr) {
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/", "text/html"),
        ("/dashboard/dashboard.js", "text/javascript"),
        ("/dashboard/dashboard.css", "text/css"),
    ] {
        let (status, headers, body) = get(gateway, path).await;
        assert_eq!(status, 200, "{path}: {headers}");
        assert!(
            headers.contains(&format!("content-type: {kind}")),
            "{path}: {headers}"
        );
        assert!(
            headers.contains("content-security-policy: default-src 'none'"),
            "{path}: {headers}"
        );
        assert!(!body.is_empty(), "{path}");
    }
    let (status, _, _) = get(gateway, "/dashboard/missing.js").await;
    assert_ne!(status, 200, "an unknown path is no page");
}

/// `GET path` on the gateway: status, lower-cased headers, body.
async fn get(gateway: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(gateway).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// `validator_status` and `network_overview` describe the network as the chain does;
/// returns the overview.
async fn read_methods(
    client: &jsonrpsee::http_client::HttpClient,
    uids: &BTreeMap<NetUid, Vec<u64>>,
) -> Value {
    let status: Value = client
        .request("validator_status", rpc_params![])
        .await
        .unwrap();
    // The answers have the documented types.
    serde_json::from_value::<mindos_validator::gateway::ValidatorStatus>(status.clone()).unwrap();
    let finalized = status["finalized"]["number"].as_u64().unwrap();
    assert!(finalized > 0, "{status}");
    for subnet in status["subnets"].as_array().unwrap() {
        assert!(subnet["model_digest"].as_str().unwrap().starts_with("0x"));
        assert!(subnet["own_uid"].is_u64(), "registered: {subnet}");
    }
    let peers = status["peers"].as_array().unwrap();
    for (_, _, key, _) in MINERS {
        let peer = node_key_peer(key).to_string();
        assert!(
            peers.iter().any(|p| p["peer_id"] == peer.as_str()),
            "mesh peer {peer} missing: {status}"
        );
    }
    assert!(
        peers.iter().all(|p| p.get("addrs").is_none()),
        "no addresses in public answers"
    );
    let overview: Value = client
        .request("network_overview", rpc_params![])
        .await
        .unwrap();
    serde_json::from_value::<mindos_validator::gateway::NetworkOverview>(overview.clone()).unwrap();
    assert!(overview["block"]["number"].as_u64().unwrap() >= finalized);
    let subnets: Vec<u64> = overview["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["netuid"].as_u64().unwrap())
        .collect();
    assert_eq!(subnets, vec![0, 1], "{overview}");
    for (netuid, uids) in uids {
        let graph = overview["metagraphs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["netuid"] == netuid.0)
            .unwrap();
        for uid in uids {
            assert!(
                graph["neurons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n["uid"].as_u64() == Some(*uid)),
                "uid {uid} of subnet {netuid} missing: {graph}"
            );
        }
    }
    assert!(!overview["directives"].as_array().unwrap().is_empty());
    assert!(overview["cases"]["cases"].is_array());
    assert!(overview["quarantines"].is_array());
    assert_eq!(overview["committees"].as_array().unwrap().len(), 2);
    overview
}
