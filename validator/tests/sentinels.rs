//! The sentinel duty end to end (issue 20). On a real `mindos-node --dev`, two staked
//! validators and two digits miners, all binaries: one honest, one `equivocate` (signs
//! another output when a challenge comes again). The validators re-send a share of their
//! challenges (`--sentinel-reask-percent`); the evidence store sees the equivocating miner's
//! second, different signed output and the duty submits `submit_equivocation`, which needs
//! no committee: the miner is quarantined for `Equivocation` without a case or a vote, and
//! the honest miner never is.
//!
//! Not covered here: a judged case (report, votes) needs a sentinel committee, and the
//! sentinels pallet seats validators by stake × reputation, where reputation is the moving
//! average of the consensus the validator's own uid receives. The validators weight miners
//! only, so on a fresh dev chain every validator's reputation stays 0 and no committee is
//! ever drawn (`mindos_committee` answers "not stored"). The decision logic of reports and
//! votes is unit-tested against a scripted chain (`src/sentinel/tests.rs`).
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

use common::VALIDATOR_BIN;
use mindos_chain_client::ChainClient;
use mindos_test_utils::{
    spawn_validator, wait_for, write_key, write_node_key, DevNode, NodeArgs, Proc,
};
use subxt_signer::{sr25519::Keypair, SecretUri};

const DIGITS: NetUid = NetUid(1);

fn account(uri: &str) -> [u8; 32] {
    let uri: SecretUri = uri.parse().unwrap();
    Keypair::from_uri(&uri).unwrap().public_key().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_miner_is_quarantined_without_a_vote_and_no_honest_one() {
    mindos_test_utils::init_tracing();
    let tmp = tempfile::tempdir().unwrap();
    // E2E_KEEP keeps the logs, also when a wait below panics.
    let (_guard, dir) = if std::env::var_os("E2E_KEEP").is_some() {
        let dir = tmp.keep();
        eprintln!("logs kept in {}", dir.display());
        (None, dir)
    } else {
        let dir = tmp.path().to_owned();
        (Some(tmp), dir)
    };
    let node = DevNode::start(NodeArgs::dev(dir.join("chain"), dir.join("node.log"))).await;
    node.wait_for_finalized(1).await;
    let mut procs: Vec<(String, Proc)> = Vec::new();
    let result =
        tokio::time::timeout(Duration::from_secs(480), scenario(&dir, &node, &mut procs)).await;
    if !matches!(result, Ok(())) {
        node.proc().print_tail(20);
        for (_, proc) in &procs {
            proc.print_tail(30);
        }
        panic!("scenario failed or timed out");
    }
}

async fn scenario(dir: &Path, node: &DevNode, procs: &mut Vec<(String, Proc)>) {
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
        let validator_dir = dir.join(format!("validator{i}"));
        std::fs::create_dir_all(&validator_dir).unwrap();
        write_key(
            &validator_dir.join("hotkey"),
            &format!("//MindosSentinel{i}"),
        );
        write_key(&validator_dir.join("coldkey"), coldkey);
        write_node_key(&validator_dir.join("node.key"), 70 + i as u8);
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
            "20",
            // A validator permit (only permit holders may submit evidence) needs stake.
            "--stake",
            "200",
            "--metrics-addr",
            "127.0.0.1:0",
            "--challenge-interval-ms",
            "500",
            // Re-send often, so the equivocating miner is caught within the test.
            "--sentinel-reask-percent",
            "25",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let log = dir.join(format!("validator{i}.log"));
        let validator = spawn_validator(Path::new(VALIDATOR_BIN), &validator_dir, &args, &log);
        procs.push((format!("validator{i}"), validator));
    }

    let client = ChainClient::connect(&node.ws_url()).await.unwrap();
    let equivocate = account("//MindosSentEquivocate");
    let honest = account("//MindosSentHonest");
    let proven = wait_for(
        "the equivocating miner quarantined",
        Duration::from_secs(300),
        || async {
            let rows = client.sentinels().quarantines(Some(DIGITS)).await.ok()?;
            assert!(
                rows.iter().all(|r| r.hotkey.0 != honest),
                "the honest miner was quarantined: {rows:?}"
            );
            rows.into_iter().find(|r| r.hotkey.0 == equivocate)
        },
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
    let rows = client.sentinels().quarantines(Some(DIGITS)).await.unwrap();
    assert!(rows.iter().all(|r| r.hotkey.0 != honest), "{rows:?}");
}
