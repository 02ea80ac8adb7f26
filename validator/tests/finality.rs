//! Liveness end to end (M8): three authorities (Alice, Bob, Charlie) on the development
//! chain's genesis (so the demo subnets exist), one digits miner and the validator, both on
//! Alice's node. GRANDPA needs all three voters here, so when Charlie stops finality stalls
//! while blocks — and epochs — go on. The validator must keep revealing and committing on
//! the best chain during the stall, and its reveal must be final once Charlie is back.
//!
//! Needs `mindos-node` and `mindos-miner` (see `common`).

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
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_test_utils::{
    best_number, finalized_number, spawn_validator, wait_for, wait_until_at_least, write_key,
    write_node_key, DevNode, NodeArgs,
};
use serde_json::Value;

const DIGITS: NetUid = NetUid(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validator_reveals_through_a_finality_stall() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(480), scenario(dir.path())).await;
    eprintln!("finality scenario took {:?}", started.elapsed());
    let failed = !matches!(result, Ok(()));
    if failed {
        for log in ["alice.log", "charlie.log", "digits1.log", "validator.log"] {
            mindos_test_utils::print_log_tail(dir.path().join(log), 20);
        }
    }
    if std::env::var_os("E2E_KEEP").is_some() {
        eprintln!("logs kept in {}", dir.keep().display());
    }
    assert!(!failed, "scenario failed or timed out");
}

/// The dev chain's genesis (demo subnets, funded dev accounts) with the local testnet's
/// three authorities.
fn three_authority_spec(dir: &Path) -> std::path::PathBuf {
    let export = |chain: &str| -> Value {
        let out = std::process::Command::new(mindos_test_utils::node_bin())
            .args(["build-spec", "--chain", chain])
            .stderr(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "build-spec --chain {chain}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let mut spec = export("dev");
    let local = export("local");
    for pallet in ["aura", "grandpa"] {
        spec["genesis"]["runtimeGenesis"]["patch"][pallet] =
            local["genesis"]["runtimeGenesis"]["patch"][pallet].clone();
    }
    spec["chainType"] = "Local".into();
    spec["bootNodes"] = Value::Array(Vec::new());
    let path = dir.join("three.json");
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
    path
}

fn authority(dir: &Path, spec: &Path, who: &str, key: u8, bootnode: Option<&str>) -> NodeArgs {
    let node_key = format!("{key:064x}");
    let mut args = vec![
        "--chain",
        spec.to_str().unwrap(),
        who,
        "--node-key",
        &node_key,
    ];
    if let Some(bootnode) = bootnode {
        args.extend(["--bootnodes", bootnode]);
    }
    let name = who.trim_start_matches("--");
    NodeArgs::new(&args, dir.join(name), dir.join(format!("{name}.log")))
}

async fn scenario(dir: &Path) {
    let spec = three_authority_spec(dir);
    let alice = DevNode::start(authority(dir, &spec, "--alice", 1, None)).await;
    let alice_http = alice.http();
    let peer: String = alice_http
        .request("system_localPeerId", rpc_params![])
        .await
        .unwrap();
    let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer}", alice.p2p_port().await);
    let (_bob, charlie) = tokio::join!(
        DevNode::start(authority(dir, &spec, "--bob", 2, Some(&bootnode))),
        DevNode::start(authority(dir, &spec, "--charlie", 3, Some(&bootnode))),
    );
    wait_until_at_least("finality with three voters", 2, || {
        finalized_number(&alice_http)
    })
    .await;

    let miner_dir = dir.join("digits1");
    std::fs::create_dir_all(&miner_dir).unwrap();
    write_key(&miner_dir.join("hotkey"), "//MindosE2EStallMiner");
    write_key(&miner_dir.join("coldkey"), "//Charlie");
    let _miner = common::miner(dir, "digits1", DIGITS, 81, None).spawn(&[
        "--chain-rpc".into(),
        alice.ws_url(),
        "--hotkey-file".into(),
        miner_dir.join("hotkey").to_str().unwrap().into(),
        "--coldkey-file".into(),
        miner_dir.join("coldkey").to_str().unwrap().into(),
        "--max-burn".into(),
        "100".into(),
        "--fund-hotkey".into(),
        "1".into(),
        "--device-class".into(),
        "server".into(),
    ]);
    let validator_dir = dir.join("validator");
    std::fs::create_dir_all(&validator_dir).unwrap();
    write_key(&validator_dir.join("hotkey"), "//MindosE2EStallValidator");
    write_key(&validator_dir.join("coldkey"), "//Bob");
    write_node_key(&validator_dir.join("node.key"), 82);
    let args: Vec<String> = [
        "--chain-rpc",
        &alice.ws_url(),
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
    let log = dir.join("validator.log");
    let _validator = spawn_validator(Path::new(VALIDATOR_BIN), &validator_dir, &args, &log);
    let validator_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let count = |marker: &str| validator_log().matches(marker).count();

    let first = wait_for(
        "the validator's first weight commit",
        Duration::from_secs(240),
        || async {
            let log = validator_log();
            let line = log
                .lines()
                .find(|l| l.contains("weights committed; revealing next epoch netuid=1 "))?;
            epoch_in(line)
        },
    )
    .await;

    // The commit is final while all three vote.
    wait_for(
        "the first commit to be final",
        Duration::from_secs(60),
        || async { committed_on_finalized(&alice, first).await.then_some(()) },
    )
    .await;

    // Charlie stops: blocks go on, finality does not.
    charlie.stop().await;
    let stalled_at = finalized_number(&alice_http).await.unwrap();
    let committed_before = count("weights committed; revealing next epoch netuid=1 ");
    eprintln!("commit in epoch {first}; finality stalled at block {stalled_at}");

    // The validator reveals that commit in the next epoch and commits again, on the best
    // chain, while nothing is finalized.
    let reveal = format!("weights revealed netuid=1 epoch={}", first + 1);
    wait_for(
        "a reveal and a new commit while finality is stalled",
        Duration::from_secs(120),
        || async {
            let committed =
                count("weights committed; revealing next epoch netuid=1 ") > committed_before;
            (validator_log().contains(&reveal) && committed).then_some(())
        },
    )
    .await;
    let finalized = finalized_number(&alice_http).await.unwrap();
    let best = best_number(&alice_http).await.unwrap();
    eprintln!("revealed and committed again by best block {best}; finalized {finalized}");
    assert!(
        finalized <= stalled_at + 2,
        "finality was not stalled: finalized {finalized}, stalled at {stalled_at}"
    );
    assert!(
        committed_on_finalized(&alice, first).await,
        "before finality resumes the finalized chain still holds the epoch-{first} commit"
    );

    // Charlie comes back: finality resumes and takes in the reveal: the finalized chain
    // no longer holds the epoch's commit.
    let _charlie = DevNode::start(authority(dir, &spec, "--charlie", 3, Some(&bootnode))).await;
    wait_until_at_least("finality to pass the reveal", best, || {
        finalized_number(&alice_http)
    })
    .await;
    assert!(
        !committed_on_finalized(&alice, first).await,
        "the epoch-{first} commit is still unrevealed on the finalized chain"
    );
    let log = validator_log();
    for lost in ["cannot be revealed", "reveal failed"] {
        assert!(!log.contains(lost), "the validator logged `{lost}`:\n{log}");
    }
}

/// The `epoch=N` field of a log line.
fn epoch_in(line: &str) -> Option<u64> {
    line.split_whitespace()
        .find_map(|field| field.strip_prefix("epoch="))
        .and_then(|n| n.parse().ok())
}

/// Whether the finalized chain holds the validator's commit from `epoch`.
async fn committed_on_finalized(node: &DevNode, epoch: u64) -> bool {
    use mindos_chain_client::runtime::{
        self, runtime_types::mindos_primitives::NetUid as ChainNetUid,
    };
    let hotkey: subxt::utils::AccountId32 =
        mindos_chain_client::keys::parse_key("//MindosE2EStallValidator")
            .unwrap()
            .public_key()
            .into();
    let client = node.connect().await;
    let at = client.api().at_current_block().await.unwrap();
    let commit = at
        .storage()
        .try_fetch(
            runtime::storage().consensus().commits(),
            (ChainNetUid(DIGITS.0), hotkey),
        )
        .await
        .unwrap();
    commit.is_some_and(|c| c.decode().unwrap().epoch == epoch)
}
