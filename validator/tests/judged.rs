//! The judged path of the sentinel duty end to end (issue 20): a committee of four convicts
//! bad miners by vote and refutes a lying sentinel.
//!
//! On a real `mindos-node --dev` (1 s blocks, tempo 20), all binaries: four staked validators on
//! the digits subnet, one of them a lying sentinel (`MINDOS_VALIDATOR_FAULT=lying-reporter`:
//! reports honest miners' right answers as wrong), and four digits miners with some stake of
//! their own: two honest, one `garbage` (signs a wrong label for every request) and one
//! `lookup-table` (right on inputs it has seen, wrong on new ones — every fresh challenge).
//! Canaries and re-asks are off, so only a vote can convict.
//!
//! The validators earn reputation by setting weights that agree with consensus; the chain
//! draws a committee of all four (fewer than the governed 7 are eligible: `n = 4`, `f = 1`,
//! 3 votes convict), and then, with nothing seeded by hand:
//!
//! - the garbage and lookup-table miners are reported (their signed wrong answers), the other
//!   members fetch the transcripts over `/mindos/evidence/1`, re-execute and vote: both are
//!   quarantined within 2 sentinel epochs of the first committee, earn no incentive or emission
//!   from the next epoch on, are slashed when the 2-epoch audit window ends, and the gateway
//!   never routes a query to them again;
//! - the liar's reports of honest miners are refuted by the three honest members (`2f + 1`
//!   not guilty), which burns its 10 MIND bond each time; no honest miner is ever quarantined.
//!
//! The dashboard shows it (`tests/dashboard/dashboard.mjs` with `expect_sentinels`, in
//! Debian's `chromium`, skipped as in `tests/dashboard.rs` unless `MINDOS_REQUIRE_CHROMIUM`
//! is set): opened on validator 0's gateway when the committee sits and watching alongside
//! the scenario, it shows the committee's four member uids, at least one open case — each
//! one the chain opened (`CaseOpened`), against that uid — and both bad miners' quarantine
//! rows with their uids and hotkeys; nothing overflows a phone's width; no console error.
//! Screenshots in `$CARGO_TARGET_TMPDIR/judged/`. `network_overview` reports the committee
//! and the quarantines as the chain has them.
//!
//! It prints the epochs each step took and the miners' emission shares before and after.
//!
//! Needs `mindos-node` (built with `--features fast-blocks`) and `mindos-miner` (built with
//! `--features fault-injection`), as `tests/chain.rs` does; the validator binary is built with
//! its `fault-injection` feature by its own tests.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use mindos_primitives::{NetUid, SentinelOffence, MIND};
use std::{
    collections::BTreeMap,
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use common::{
    account_of, assert_fault_injected, run_on_dev_chain, Browser, Procs, StakedValidator,
};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_chain_client::{
    follow::FinalizedBlocks,
    runtime::{self, sentinels::events as sentinel_events},
    sentinels::{Committee, Quarantine},
    ChainClient,
};
use mindos_subnets::EngineConfig;
use mindos_test_utils::{http_client, key, wait_for, AddrLine, DevNode};
use serde_json::{json, Value};
use subxt::utils::AccountId32;
use tokio_util::sync::CancellationToken;

const DIGITS: NetUid = NetUid(1);
/// What each miner stakes on its own hotkey: something to slash, below the subnet's 100 MIND
/// minimum for a validator permit (so no miner becomes a sentinel candidate).
const MINER_STAKE: u128 = 50 * MIND;
/// The runtime's `ReportBond`.
const REPORT_BOND: u128 = 10 * MIND;
/// The lying sentinel (validator 3).
const LIAR: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committee_of_four_convicts_bad_miners_and_refutes_a_lying_sentinel() {
    let browser = Browser::find("the sentinels' dashboard in a browser");
    run_on_dev_chain(
        Duration::from_secs(720),
        40,
        async |dir: &Path, node: &DevNode, procs: &mut Procs| {
            scenario(browser, dir, node, procs).await
        },
    )
    .await;
}

/// A miner of the scenario.
struct Miner {
    name: &'static str,
    hotkey_uri: &'static str,
    coldkey: &'static str,
    fault: Option<&'static str>,
}

const MINERS: [Miner; 4] = [
    Miner {
        name: "honest-a",
        hotkey_uri: "//MindosJudgedHonestA",
        coldkey: "//Eve",
        fault: None,
    },
    Miner {
        name: "honest-b",
        hotkey_uri: "//MindosJudgedHonestB",
        coldkey: "//Ferdie",
        fault: None,
    },
    Miner {
        name: "garbage",
        hotkey_uri: "//MindosJudgedGarbage",
        coldkey: "//Alice//stash",
        fault: Some("garbage"),
    },
    Miner {
        name: "lookup-table",
        hotkey_uri: "//MindosJudgedLookup",
        coldkey: "//Bob//stash",
        fault: Some("lookup-table"),
    },
];

/// Sentinel events seen in finalized blocks.
#[derive(Default)]
struct Seen {
    /// `CaseOpened`: (case, accused uid).
    opened: Vec<(u64, u16)>,
    /// `ReportRefuted`: (reporter, bond burned).
    refuted: Vec<([u8; 32], u128)>,
    /// `MinerSlashed`: (hotkey, amount).
    slashed: Vec<([u8; 32], u128)>,
}

/// Records the sentinel events of every finalized block until `cancel` fires.
fn record_events(client: ChainClient, url: String, cancel: CancellationToken) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    tokio::spawn(async move {
        let mut blocks = FinalizedBlocks::new(client, url);
        while let Some(at) = blocks.next(&cancel).await {
            let Ok(events) = at.events().fetch().await else {
                continue;
            };
            let mut seen = shared.lock().unwrap();
            for e in events.find::<sentinel_events::CaseOpened>().flatten() {
                seen.opened.push((e.case, e.uid));
            }
            for e in events.find::<sentinel_events::ReportRefuted>().flatten() {
                seen.refuted.push((e.reporter.0, e.bond_burned));
            }
            for e in events.find::<sentinel_events::MinerSlashed>().flatten() {
                seen.slashed.push((e.hotkey.0, e.slashed));
            }
        }
    });
    seen
}

/// The digits metagraph at the newest block, by hotkey.
async fn metagraph(node: &HttpClient) -> BTreeMap<[u8; 32], Value> {
    let rows: Value = node
        .request("mindos_metagraph", rpc_params![DIGITS])
        .await
        .unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let hotkey: AccountId32 = row["hotkey"].as_str().unwrap().parse().unwrap();
            (hotkey.0, row.clone())
        })
        .collect()
}

/// A decimal balance or score field of a metagraph row.
fn number(row: &Value, field: &str) -> u128 {
    match &row[field] {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => u128::from(n.as_u64().unwrap()),
        other => panic!("{field}: {other}"),
    }
}

/// Each miner's share of the miners' emission in the last epoch, in percent, by name.
fn emission_shares(graph: &BTreeMap<[u8; 32], Value>) -> Vec<(&'static str, f64)> {
    let emission = |m: &Miner| {
        graph
            .get(&account_of(m.hotkey_uri))
            .map_or(0, |r| number(r, "emission"))
    };
    let total: u128 = MINERS.iter().map(emission).sum();
    MINERS
        .iter()
        .map(|m| (m.name, 100.0 * emission(m) as f64 / total.max(1) as f64))
        .collect()
}

/// `network_overview` on the gateway shows `committee` (once its block is finalized).
async fn overview_shows_the_committee(gateway: &HttpClient, committee: &Committee) {
    let members: Vec<(u64, [u8; 32])> = committee
        .members
        .iter()
        .map(|m| (u64::from(m.uid), m.hotkey.0))
        .collect();
    wait_for(
        "network_overview with the committee",
        Duration::from_secs(30),
        || async {
            let overview: Value = gateway
                .request("network_overview", rpc_params![])
                .await
                .ok()?;
            let row = overview["committees"]
                .as_array()?
                .iter()
                .find(|c| c["netuid"] == DIGITS.0)?;
            let shown: Vec<(u64, [u8; 32])> = row["committee"]["members"]
                .as_array()?
                .iter()
                .map(|m| Some((m["uid"].as_u64()?, account(&m["hotkey"]).0)))
                .collect::<Option<_>>()?;
            (row["committee"]["size"] == 4 && shown == members).then_some(())
        },
    )
    .await;
}

/// `network_overview` on the gateway shows each of `quarantines` with its uid (once the
/// validator follows their finalized block).
async fn overview_shows_the_quarantines(gateway: &HttpClient, quarantines: &[Quarantine]) {
    wait_for(
        "network_overview with the quarantines",
        Duration::from_secs(30),
        || async {
            let overview: Value = gateway
                .request("network_overview", rpc_params![])
                .await
                .ok()?;
            let rows = overview["quarantines"].as_array()?;
            quarantines
                .iter()
                .all(|q| {
                    rows.iter().any(|row| {
                        row["netuid"] == DIGITS.0
                            && row["uid"].as_u64() == q.uid.map(u64::from)
                            && account(&row["hotkey"]) == q.hotkey
                    })
                })
                .then_some(())
        },
    )
    .await;
}

/// Every case row the dashboard showed (`shown`: the browser's `cases`) is one the chain
/// opened on the digits subnet, against that uid; it showed at least one.
async fn page_cases_were_opened(shown: &Value, seen: &Mutex<Seen>) {
    let shown = shown.as_array().unwrap();
    assert!(!shown.is_empty(), "the page showed no case");
    for case in shown {
        assert_eq!(case["netuid"], DIGITS.0, "{case}");
        // The event recorder follows finalized blocks too, maybe a little behind the page.
        wait_for(
            &format!("the chain's CaseOpened of {case}"),
            Duration::from_secs(30),
            || async {
                let seen = seen.lock().unwrap();
                seen.opened
                    .iter()
                    .any(|(id, uid)| {
                        case["id"].as_u64() == Some(*id)
                            && case["uid"].as_u64() == Some(u64::from(*uid))
                    })
                    .then_some(())
            },
        )
        .await;
    }
}

/// An SS58 account as the node writes it.
fn account(value: &Value) -> AccountId32 {
    value.as_str().unwrap().parse().unwrap()
}

async fn subnet_epoch(chain: &ChainClient) -> u64 {
    let at = chain.at_best().await.unwrap();
    chain.sentinels().subnet_epoch(&at, DIGITS).await.unwrap()
}

async fn scenario(browser: Option<Browser>, dir: &Path, node: &DevNode, procs: &mut Procs) {
    let chain = ChainClient::connect(&node.ws_url()).await.unwrap();
    let http = node.http();
    let cancel = CancellationToken::new();
    let _stop_recording = cancel.clone().drop_guard();
    let seen_events = record_events(chain.clone(), node.ws_url(), cancel);
    let seen = seen_events.clone();

    for (i, m) in MINERS.iter().enumerate() {
        let proc = common::chain_miner(
            dir,
            node.ws_url(),
            m.name,
            m.hotkey_uri,
            DIGITS,
            80 + i as u8,
            m.coldkey,
            m.fault,
        );
        procs.push((m.name.to_owned(), proc));
    }
    let mut gateway = None;
    for (i, coldkey) in ["//Alice", "//Bob", "//Charlie", "//Dave"]
        .iter()
        .enumerate()
    {
        let name = format!("validator{i}");
        let validator = StakedValidator {
            bin: common::VALIDATOR_BIN.as_ref(),
            dir,
            name: &name,
            hotkey_uri: &format!("//MindosJudge{i}"),
            coldkey,
            node_key: 90 + i as u8,
            chain_rpc: node.ws_url(),
            netuids: &[DIGITS],
            // Report bonds (a lying sentinel loses one per refuted report) and fees.
            fund_hotkey: 60,
            challenge_interval_ms: 500,
            extra_args: &["--canary-pool", "0", "--sentinel-reask-percent", "0"],
        };
        let (mut proc, _log) = if i == LIAR {
            validator.spawn_with_env(&[("MINDOS_VALIDATOR_FAULT", "lying-reporter")])
        } else {
            validator.spawn()
        };
        if i == 0 {
            gateway = Some(proc.socket_addr(AddrLine::GATEWAY).await);
        }
        procs.push((name, proc));
    }
    let gateway_addr = gateway.unwrap();
    let gateway = http_client(gateway_addr);

    // Stake on each miner's hotkey once it is registered, from its coldkey.
    for m in &MINERS {
        let hotkey = account_of(m.hotkey_uri);
        wait_for(
            &format!("{} registered", m.name),
            Duration::from_secs(120),
            || async { metagraph(&http).await.contains_key(&hotkey).then_some(()) },
        )
        .await;
        let stake = runtime::transactions()
            .stake()
            .add_stake(AccountId32(hotkey), MINER_STAKE);
        chain.submit(&stake, &key(m.coldkey)).await.unwrap();
    }
    for (i, m) in MINERS.iter().enumerate() {
        if m.fault.is_some() {
            assert_fault_injected(&procs[i].1, m.name);
        }
    }

    // A committee of the four validators, drawn by stake × reputation earned from weights.
    let (first_epoch, committee) =
        wait_for("a sentinel committee", Duration::from_secs(360), || async {
            let committee = chain.sentinels().committee(DIGITS, None).await.ok()?;
            Some((committee.current_epoch, committee))
        })
        .await;
    assert_eq!(committee.members.len(), 4, "{committee:?}");
    eprintln!("committee of 4 sits in sentinel epoch {first_epoch}");
    // What the dashboard's checks add to the scenario's time (the browser itself watches
    // alongside it).
    let mut held_up = Instant::now();
    overview_shows_the_committee(&gateway, &committee).await;
    let mut dashboard_time = held_up.elapsed();
    // The dashboard watches from here until the quarantines, alongside the scenario.
    let graph = metagraph(&http).await;
    let to_quarantine: Vec<Value> = MINERS[2..]
        .iter()
        .map(|m| {
            let row = &graph[&account_of(m.hotkey_uri)];
            json!({"uid": row["uid"], "hotkey": row["hotkey"]})
        })
        .collect();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("judged");
    let args = json!({
        "url": format!("http://{gateway_addr}/dashboard"),
        "out": out,
        "expect_sentinels": {
            "netuid": DIGITS.0,
            "members": committee.members.iter().map(|m| m.uid).collect::<Vec<_>>(),
            "quarantined": to_quarantine,
        },
        "timeout_ms": 240_000,
    });
    let watch = browser.map(|browser| {
        tokio::spawn(async move {
            browser
                .run(args, async |asked: &Value| {
                    Err(format!("no such step: {asked}"))
                })
                .await
        })
    });
    let before = emission_shares(&metagraph(&http).await);
    eprintln!("miners' emission shares before: {before:?}");

    // Both bad miners convicted by vote; no honest miner ever quarantined.
    let honest: Vec<[u8; 32]> = MINERS[..2]
        .iter()
        .map(|m| account_of(m.hotkey_uri))
        .collect();
    let bad: Vec<[u8; 32]> = MINERS[2..]
        .iter()
        .map(|m| account_of(m.hotkey_uri))
        .collect();
    let quarantines = wait_for(
        "the garbage and lookup-table miners quarantined",
        Duration::from_secs(120),
        || async {
            let rows = chain.sentinels().quarantines(Some(DIGITS)).await.ok()?;
            assert!(
                rows.iter().all(|q| !honest.contains(&q.hotkey.0)),
                "an honest miner was quarantined: {rows:?}"
            );
            let found: Vec<_> = bad
                .iter()
                .filter_map(|b| rows.iter().find(|q| q.hotkey.0 == *b).cloned())
                .collect();
            (found.len() == bad.len()).then_some(found)
        },
    )
    .await;
    for (q, m) in quarantines.iter().zip(&MINERS[2..]) {
        assert!(
            matches!(
                q.offence,
                SentinelOffence::WrongOutput | SentinelOffence::MalformedOutput
            ),
            "{} convicted by vote: {q:?}",
            m.name
        );
        eprintln!(
            "{} quarantined in sentinel epoch {} (block {}): {} epoch(s) after the first committee",
            m.name,
            q.since_epoch,
            q.since_block,
            q.since_epoch - first_epoch
        );
        assert!(
            q.since_epoch <= first_epoch + 2,
            "{} took too long: {q:?}",
            m.name
        );
    }
    let landed = quarantines.iter().map(|q| q.since_block).max().unwrap();

    // The gateway skips them from the finalized block the quarantine lands in (and the
    // validator's next metagraph read).
    wait_for(
        "the quarantines finalized",
        Duration::from_secs(60),
        || async { (chain.finalized_number().await.ok()? > u64::from(landed) + 1).then_some(()) },
    )
    .await;
    held_up = Instant::now();
    overview_shows_the_quarantines(&gateway, &quarantines).await;
    if let Some(watch) = watch {
        // The browser's failure as it was raised.
        let seen = watch
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        eprintln!(
            "the dashboard showed: {seen}; screenshots in {}",
            out.display()
        );
        page_cases_were_opened(&seen["cases"], &seen_events).await;
    }
    dashboard_time += held_up.elapsed();
    eprintln!("the dashboard's checks held the scenario up for {dashboard_time:?}");
    let engine = mindos_subnets::load("digits", &EngineConfig::default()).unwrap();
    let bad_uids: Vec<u64> = quarantines
        .iter()
        .map(|q| u64::from(q.uid.expect("a quarantined miner still registered")))
        .collect();
    // Below the gateway's 5 calls a second per client.
    for seed in 0..12 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let input = serde_json::to_value(engine.fresh_input(0x1D_6ED0 + seed)).unwrap();
        let answer: Value = gateway
            .request(
                "subnet_query",
                rpc_params![
                    DIGITS,
                    input,
                    json!({"redundancy": 2, "timeout_ms": 10_000})
                ],
            )
            .await
            .unwrap();
        for served in answer["served_by"].as_array().unwrap() {
            assert!(
                !bad_uids.contains(&served["uid"].as_u64().unwrap()),
                "a quarantined miner served a query: {answer}"
            );
        }
    }

    // The liar's false reports are refuted: its bond burned, never an honest reporter's.
    let liar = account_of(&format!("//MindosJudge{LIAR}"));
    wait_for(
        "a false report refuted",
        Duration::from_secs(120),
        || async {
            let seen = seen.lock().unwrap();
            seen.refuted
                .iter()
                .any(|(reporter, _)| *reporter == liar)
                .then_some(())
        },
    )
    .await;
    {
        let seen = seen.lock().unwrap();
        for (reporter, bond) in &seen.refuted {
            assert_eq!(*reporter, liar, "an honest report was refuted");
            assert_eq!(*bond, REPORT_BOND);
        }
        eprintln!("the lying sentinel lost {} bond(s)", seen.refuted.len());
    }

    // Slashed when the audit window ends, and earning nothing meanwhile.
    wait_for(
        "both bad miners slashed",
        Duration::from_secs(150),
        || async {
            let seen = seen.lock().unwrap();
            bad.iter()
                .all(|b| seen.slashed.iter().any(|(h, amount)| h == b && *amount > 0))
                .then_some(())
        },
    )
    .await;
    let slashed_at = subnet_epoch(&chain).await;
    let graph = metagraph(&http).await;
    for (b, m) in bad.iter().zip(&MINERS[2..]) {
        let row = &graph[b];
        assert!(number(row, "stake") < MINER_STAKE, "{}: {row}", m.name);
        assert_eq!(number(row, "incentive"), 0, "{}: {row}", m.name);
        assert_eq!(number(row, "emission"), 0, "{}: {row}", m.name);
    }
    let after = emission_shares(&graph);
    eprintln!("slashed by sentinel epoch {slashed_at}; miners' emission shares after: {after:?}");
    for h in &honest {
        assert!(number(&graph[h], "emission") > 0, "{}", graph[h]);
    }
    let rows = chain.sentinels().quarantines(Some(DIGITS)).await.unwrap();
    assert!(
        rows.iter().all(|q| !honest.contains(&q.hotkey.0)),
        "{rows:?}"
    );
}
