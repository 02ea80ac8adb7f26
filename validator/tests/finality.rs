//! Liveness end to end (M8): three authorities (Alice, Bob, Charlie) on the development
//! chain's genesis (so the demo subnets exist), a digits and a text-embedding miner and the
//! validator of both subnets, all on Alice's node; the validator reaches it through a proxy
//! the test can cut. GRANDPA needs all three voters here, so when Charlie stops finality
//! stalls while blocks — and epochs — go on. During the stall the validator's connection is
//! dropped mid-submit (when the node reports a transaction in its pool). Both subnets must
//! keep revealing and committing on the best chain through the stall and the drop, and the
//! reveals must be final once Charlie is back.
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

use common::StakedValidator;
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_test_utils::{
    best_number, finalized_number, wait_for, wait_until_at_least, DevNode, NodeArgs, RpcProxy,
    TRANSACTION_STATUS,
};
use serde_json::Value;

const TEXT: NetUid = NetUid(0);
const DIGITS: NetUid = NetUid(1);
const SUBNETS: [NetUid; 2] = [TEXT, DIGITS];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_subnets_reveal_through_a_finality_stall_and_a_dropped_connection() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(480), scenario(dir.path())).await;
    eprintln!("finality scenario took {:?}", started.elapsed());
    let failed = !matches!(result, Ok(()));
    if failed {
        for log in [
            "alice.log",
            "charlie.log",
            "digits1.log",
            "text0.log",
            "validator.log",
        ] {
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
    // The validator reaches Alice through the test's proxy, so its requests name the proxy's
    // port as their host; a node outside `--dev` refuses such hosts (403) unless CORS is open.
    let mut args = vec![
        "--chain",
        spec.to_str().unwrap(),
        who,
        "--node-key",
        &node_key,
        "--rpc-cors",
        "all",
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

    let _digits = common::chain_miner(
        dir,
        alice.ws_url(),
        "digits1",
        "//MindosE2EStalldigits1",
        DIGITS,
        81,
        "//Charlie",
        None,
    );
    let _text = common::chain_miner(
        dir,
        alice.ws_url(),
        "text0",
        "//MindosE2EStalltext0",
        TEXT,
        83,
        "//Dave",
        None,
    );
    let proxy = RpcProxy::start(alice.rpc_addr()).await;
    let (_validator, log) = StakedValidator {
        bin: common::VALIDATOR_BIN.as_ref(),
        dir,
        name: "validator",
        hotkey_uri: "//MindosE2EStallValidator",
        coldkey: "//Bob",
        node_key: 82,
        chain_rpc: proxy.url(),
        netuids: &[TEXT, DIGITS],
        fund_hotkey: 10,
        challenge_interval_ms: 500,
        extra_args: &[],
    }
    .spawn();
    let validator_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let count = |marker: &str| validator_log().matches(marker).count();

    let commits = |netuid: NetUid| count(&committed_marker(netuid));
    let reveals = |netuid: NetUid| count(&format!("weights revealed netuid={netuid} "));

    for netuid in SUBNETS {
        wait_for(
            &format!("the validator's first weight commit on subnet {netuid}"),
            Duration::from_secs(240),
            || async { (commits(netuid) > 0).then_some(()) },
        )
        .await;
    }

    // A commit of each subnet final while all three vote and not yet revealed. The newest
    // commit is taken at each try: one made just before its subnet's boundary is revealed a
    // block or two later, possibly before it is final, and is then no longer the one to watch.
    let newest_commit = |netuid: NetUid| {
        validator_log()
            .lines()
            .rfind(|l| l.contains(&committed_marker(netuid)))
            .and_then(epoch_in)
    };
    let first = wait_for(
        "a commit of each subnet final and not yet revealed",
        Duration::from_secs(90),
        || async {
            let mut pending = Vec::new();
            for netuid in SUBNETS {
                let epoch = newest_commit(netuid)?;
                let revealing = format!("weights revealed netuid={netuid} epoch={} ", epoch + 1);
                if validator_log().contains(&revealing)
                    || !committed_on_finalized(&alice, netuid, epoch).await
                {
                    return None;
                }
                pending.push((netuid, epoch));
            }
            Some(pending)
        },
    )
    .await;

    // Charlie stops: blocks go on, finality does not.
    charlie.stop().await;
    let stalled_at = finalized_number(&alice_http).await.unwrap();
    eprintln!("first commits {first:?}; finality stalled at block {stalled_at}");
    // Past a transaction's 32-block lifetime: one signed at the finalized block is refused
    // from here on, so what follows needs transactions signed at the best block.
    wait_until_at_least(
        "the best chain to run 40 blocks past finality",
        stalled_at + 40,
        || best_number(&alice_http),
    )
    .await;
    let committed_before = SUBNETS.map(commits);
    let revealed_before = SUBNETS.map(reveals);

    // The next transaction the node takes into its pool loses its connection before the
    // validator hears of it.
    let connections_before = proxy.accepted();
    proxy.cut_when_node_sends(TRANSACTION_STATUS, 1);

    // Each subnet reveals and commits again, on the best chain, while nothing is finalized
    // and after the drop.
    wait_for(
        "both subnets to reveal and commit again through the stall and the drop",
        Duration::from_secs(180),
        || async {
            let done = SUBNETS.iter().enumerate().all(|(i, &netuid)| {
                commits(netuid) > committed_before[i] && reveals(netuid) > revealed_before[i]
            });
            (done && proxy.cuts() == 1).then_some(())
        },
    )
    .await;
    assert!(
        proxy.accepted() > connections_before,
        "the validator went on without reconnecting after its connection was dropped"
    );
    let finalized = finalized_number(&alice_http).await.unwrap();
    let best = best_number(&alice_http).await.unwrap();
    eprintln!("revealed and committed again by best block {best}; finalized {finalized}");
    assert!(
        finalized <= stalled_at + 2,
        "finality was not stalled: finalized {finalized}, stalled at {stalled_at}"
    );
    for &(netuid, epoch) in &first {
        assert!(
            committed_on_finalized(&alice, netuid, epoch).await,
            "before finality resumes the finalized chain still holds subnet {netuid}'s \
             epoch-{epoch} commit"
        );
    }

    // Charlie comes back: finality resumes and takes in the reveals: the finalized chain
    // no longer holds the epochs' commits.
    let _charlie = DevNode::start(authority(dir, &spec, "--charlie", 3, Some(&bootnode))).await;
    wait_until_at_least("finality to pass the reveals", best, || {
        finalized_number(&alice_http)
    })
    .await;
    for &(netuid, epoch) in &first {
        assert!(
            !committed_on_finalized(&alice, netuid, epoch).await,
            "subnet {netuid}'s epoch-{epoch} commit is still unrevealed on the finalized chain"
        );
    }
    // No commit was lost. A reveal that failed with the dropped connection either was
    // retried to success, or had reached the node before the drop and landed by itself: then
    // the validator committed again in that epoch, which it does only once the chain no
    // longer holds the previous epoch's commit unrevealed.
    let log = validator_log();
    assert!(
        !log.contains("cannot be revealed"),
        "the validator lost a commit:\n{log}"
    );
    for failed in log.lines().filter(|l| l.contains("reveal failed")) {
        let (netuid, epoch) = (
            field(failed, "netuid").unwrap(),
            field(failed, "epoch").unwrap(),
        );
        let revealed = format!("weights revealed netuid={netuid} epoch={epoch} ");
        let moved_on =
            format!("weights committed; revealing next epoch netuid={netuid} epoch={epoch} ");
        assert!(
            log.contains(&revealed) || log.contains(&moved_on),
            "a failed reveal neither landed nor was retried to success:\n{failed}\n{log}"
        );
    }
}

/// What the validator logs when it commits weights on `netuid`.
fn committed_marker(netuid: NetUid) -> String {
    format!("weights committed; revealing next epoch netuid={netuid} ")
}

/// The `epoch=N` field of a log line.
fn epoch_in(line: &str) -> Option<u64> {
    field(line, "epoch")?.parse().ok()
}

/// The value of a `name=value` field of a log line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
}

/// Whether the finalized chain holds the validator's commit on `netuid` from `epoch`.
async fn committed_on_finalized(node: &DevNode, netuid: NetUid, epoch: u64) -> bool {
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
            (ChainNetUid(netuid.0), hotkey),
        )
        .await
        .unwrap();
    commit.is_some_and(|c| c.decode().unwrap().epoch == epoch)
}
