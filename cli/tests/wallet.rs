//! `mindos wallet` against a real dev node, as a user types it: import the dev account
//! Alice, create a wallet, fund it with a transfer, see the balance; and the refusals that
//! must send nothing — a wrong password, an amount with too many decimals, a balance too
//! small, `--json` without `--yes`, an unreachable node.
//!
//! Needs `mindos-node` (`MINDOS_NODE_BIN` or `$CARGO_TARGET_DIR/debug/mindos-node`, see
//! `mindos_test_utils::node_bin`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::{path::Path, time::Duration};

use common::Run;
use mindos_cli::address::parse_account;
use mindos_primitives::MIND;
use mindos_test_utils::{DevNode, NodeArgs};

const PASSWORD: &str = "e2e password";

/// Runs `mindos` off the async runtime (it blocks until the binary exits).
async fn mindos(wallets: &Path, args: &[&str], stdin: &str, password: Option<&str>) -> Run {
    let (wallets, stdin) = (wallets.to_path_buf(), stdin.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let password = password.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::mindos(&wallets, &args, &stdin, password.as_deref())
    })
    .await
    .unwrap()
}

fn planck(document: &serde_json::Value) -> u128 {
    document["free"]["planck"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wallet_is_created_funded_and_guarded() {
    mindos_test_utils::init_tracing();
    let tmp = tempfile::tempdir().unwrap();
    let node = DevNode::start(NodeArgs::dev(
        tmp.path().join("chain"),
        tmp.path().join("node.log"),
    ))
    .await;
    node.wait_for_finalized(1).await;
    let url = node.ws_url();
    let net = url.as_str();
    let wallets = tmp.path().join("wallets");
    let chain = node.connect().await;

    let scenario = async {
        // Alice, the dev chain's funded account, from her secret URI on stdin.
        mindos(
            &wallets,
            &["--json", "wallet", "import", "alice", "--mnemonic"],
            "//Alice\n",
            Some(PASSWORD),
        )
        .await
        .expect_code(0);
        let created = mindos(
            &wallets,
            &["--json", "wallet", "create", "saver"],
            "",
            Some(PASSWORD),
        )
        .await
        .expect_code(0);
        let created = created.json();
        assert_eq!(
            created["mnemonic"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .count(),
            12
        );
        let saver = parse_account(created["address"].as_str().unwrap()).unwrap();
        let alice = parse_account(
            mindos(&wallets, &["--json", "wallet", "show", "alice"], "", None)
                .await
                .expect_code(0)
                .json()["address"]
                .as_str()
                .unwrap(),
        )
        .unwrap();

        let empty = mindos(
            &wallets,
            &["--json", "--network", net, "wallet", "balance", "saver"],
            "",
            None,
        )
        .await
        .expect_code(0);
        assert_eq!(planck(&empty.json()), 0);

        // Fund it: 2.5 MIND, fee shown, finalized.
        let sent = mindos(
            &wallets,
            &[
                "--json",
                "--yes",
                "--network",
                net,
                "wallet",
                "transfer",
                "alice",
                "saver",
                "2.5",
            ],
            "",
            Some(PASSWORD),
        )
        .await
        .expect_code(0);
        let sent = sent.json();
        assert_eq!(sent["amount"]["planck"], (5 * MIND / 2).to_string());
        assert!(
            sent["fee_estimate"]["planck"]
                .as_str()
                .unwrap()
                .parse::<u128>()
                .unwrap()
                > 0
        );
        assert!(sent["block_number"].as_u64().unwrap() >= 1);
        let funded = mindos(
            &wallets,
            &["--json", "--network", net, "wallet", "balance", "saver"],
            "",
            None,
        )
        .await
        .expect_code(0);
        assert_eq!(planck(&funded.json()), 5 * MIND / 2);
        assert_eq!(funded.json()["free"]["mind"], "2.5");
        // An address works where a wallet name does.
        let by_address = mindos(
            &wallets,
            &[
                "--json",
                "--network",
                net,
                "wallet",
                "balance",
                created["address"].as_str().unwrap(),
            ],
            "",
            None,
        )
        .await
        .expect_code(0);
        assert_eq!(planck(&by_address.json()), 5 * MIND / 2);

        let alice_nonce = chain.next_nonce(&alice).await.unwrap();

        // A wrong password: exit 3, nothing sent.
        let wrong = mindos(
            &wallets,
            &[
                "--yes",
                "--network",
                net,
                "wallet",
                "transfer",
                "alice",
                "saver",
                "1",
            ],
            "",
            Some("not it"),
        )
        .await
        .expect_code(3);
        assert!(wrong.stderr.contains("wrong password"), "{wrong:?}");

        // Too many decimals: exit 1 before the password or the chain.
        let decimals = mindos(
            &wallets,
            &[
                "--yes",
                "--network",
                net,
                "wallet",
                "transfer",
                "alice",
                "saver",
                "0.0000000000001",
            ],
            "",
            Some(PASSWORD),
        )
        .await
        .expect_code(1);
        assert!(
            decimals.stderr.contains("more than 12 decimals"),
            "{decimals:?}"
        );

        // --json never prompts: without --yes the transfer is not confirmed (exit 4).
        let unconfirmed = mindos(
            &wallets,
            &[
                "--json",
                "--network",
                net,
                "wallet",
                "transfer",
                "alice",
                "saver",
                "1",
            ],
            "",
            Some(PASSWORD),
        )
        .await
        .expect_code(4);
        assert_eq!(unconfirmed.json()["error"]["code"], 4);
        assert_eq!(
            chain.next_nonce(&alice).await.unwrap(),
            alice_nonce,
            "alice sent something"
        );

        // More than it holds: exit 1, no transaction from the saver (its nonce stays 0).
        let broke = mindos(
            &wallets,
            &[
                "--yes",
                "--network",
                net,
                "wallet",
                "transfer",
                "saver",
                "alice",
                "2.5",
            ],
            "",
            Some(PASSWORD),
        )
        .await
        .expect_code(1);
        assert!(broke.stderr.contains("insufficient balance"), "{broke:?}");
        assert_eq!(chain.next_nonce(&saver).await.unwrap(), 0);
        let after = mindos(
            &wallets,
            &["--json", "--network", net, "wallet", "balance", "saver"],
            "",
            None,
        )
        .await
        .expect_code(0);
        assert_eq!(planck(&after.json()), 5 * MIND / 2);

        // An unknown wallet, and a node that is not there.
        mindos(
            &wallets,
            &["--network", net, "wallet", "balance", "nobody"],
            "",
            None,
        )
        .await
        .expect_code(1);
        let port = mindos_test_utils::free_port();
        let offline = mindos(
            &wallets,
            &[
                "--network",
                &format!("ws://127.0.0.1:{port}"),
                "wallet",
                "balance",
                "saver",
            ],
            "",
            None,
        )
        .await
        .expect_code(2);
        assert!(offline.stderr.contains("connecting to"), "{offline:?}");
    };
    if tokio::time::timeout(Duration::from_secs(300), scenario)
        .await
        .is_err()
    {
        node.proc().print_tail(20);
        panic!("the wallet scenario timed out");
    }
}
