//! `mindos` against one real dev node, as a user types it. Wallets: import the dev account
//! Alice, create a wallet, fund it with a transfer, see the balance; and the refusals that
//! must send nothing — a wrong password, an amount with too many decimals, a balance too
//! small, `--json` without `--yes`, an unreachable node. Then subnets, neurons and stake:
//! read the subnets, register a hotkey (after a refused too-low `--max-burn`), stake on it,
//! see it in the metagraph, unbond part and see the chunk; and the refusals that send
//! nothing. Then the root README's journeys, run as written; governance
//! (`dev_node/gov.rs`): propose, vote, see the tally, and the refusals; the subnet
//! owner's and the sentinels' journey (`dev_node/owner_and_sentinels.rs`): sentinel
//! reads, a refused appeal, creating a subnet, changing its hyperparameters, serving
//! an endpoint; and a query through a validator's gateway, with miners and the
//! validator started against the same node (`dev_node/query.rs`); and last a miner installed
//! by `scripts/install-miner.sh` in a fresh HOME and registered with the commands it prints
//! (`dev_node/install_miner.rs`). Every read's
//! `--json` output is checked against the README's shape.
//!
//! Needs `mindos-node` (`MINDOS_NODE_BIN` or `$CARGO_TARGET_DIR/debug/mindos-node`, see
//! `mindos_test_utils::node_bin`), and for the query `mindos-miner` and `mindos-validator`
//! (`MINDOS_MINER_BIN`, `MINDOS_VALIDATOR_BIN`, or the same directory).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;
// Each journey beyond the first two in a file of its own, under `tests/dev_node/` (which
// cargo does not take for a test target of its own).
#[path = "dev_node/gov.rs"]
mod gov;
#[path = "dev_node/install_miner.rs"]
mod install_miner;
#[path = "dev_node/owner_and_sentinels.rs"]
mod owner_and_sentinels;
#[path = "dev_node/query.rs"]
mod query;

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
async fn wallets_subnets_neurons_and_stake_as_a_user_types_them() {
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

    let hotkey_file = tmp.path().join("hotkey");
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
        common::assert_shape("wallet balance", &funded.json());
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

        // As a person sees it: the fee, then progress to finality on stderr (plain lines when
        // stderr is not a terminal: no spinner control characters in logs), the result on
        // stdout. To Bob's account, by its hex public key.
        // The node named in a config file as the default network: no --network needed.
        let bob = "0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48";
        let config = tmp.path().join("config.toml");
        std::fs::write(
            &config,
            format!("network = \"e2e\"\n\n[networks.e2e]\nurl = \"{net}\"\n"),
        )
        .unwrap();
        let config = config.to_str().unwrap();
        let shown = mindos(
            &wallets,
            &[
                "--yes", "--config", config, "wallet", "transfer", "alice", bob, "0.5",
            ],
            "",
            Some(PASSWORD),
        )
        .await
        .expect_code(0);
        for step in [
            "fee: about",
            "waiting for a block",
            "in block #",
            "waiting for finality",
        ] {
            assert!(shown.stderr.contains(step), "no `{step}`: {shown:?}");
        }
        assert!(
            !shown.stderr.contains('\x1b') && !shown.stderr.contains('\r'),
            "control characters outside a terminal: {shown:?}"
        );
        assert!(shown.stdout.contains("0.5"), "{shown:?}");

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

        let listed = mindos(&wallets, &["--json", "wallet", "list"], "", None)
            .await
            .expect_code(0);
        common::assert_shape("wallet list", &listed.json());
        let shown = mindos(&wallets, &["--json", "wallet", "show", "alice"], "", None)
            .await
            .expect_code(0);
        common::assert_shape("wallet show", &shown.json());

        neurons_and_stake(&wallets, net, &chain, &hotkey_file, &alice, &saver).await;
        // The README's journeys first: on a fresh network, as the README assumes (its proposal
        // is the chain's first, index 0).
        let journeys = tmp.path().join("journeys");
        readme_journeys(net, &journeys).await;
        gov::governance(&wallets, net, &chain, tmp.path()).await;
        owner_and_sentinels::journey(owner_and_sentinels::Setup {
            wallets: &wallets,
            net,
            chain: &chain,
            dir: tmp.path(),
            alice: &alice,
            saver: &saver,
        })
        .await;
        query::query_through_a_gateway(tmp.path(), &node, &wallets, &journeys).await;
        // Last: the miner it installs stays registered on the digits subnet, offline, which
        // the query journey's wait for every miner to answer would never see.
        install_miner::install_a_miner(tmp.path(), net, &wallets).await;
    };
    if tokio::time::timeout(Duration::from_secs(600), scenario)
        .await
        .is_err()
    {
        node.proc().print_tail(20);
        panic!("the dev-node scenario timed out");
    }
}

/// The root README's journeys, run as written: a user's HOME with the hotkeys the miner and
/// the validator create on their first start, the network in MINDOS_NETWORK, the password in
/// MINDOS_PASSWORD and MINDOS_YES=1 for the prompts. Each journey must succeed as a whole
/// (`set -e`), and what it did must show on chain.
async fn readme_journeys(net: &str, home: &Path) {
    for (binary, uri) in [
        ("mindos-miner", "//ReadmeMinerHotkey"),
        ("mindos-validator", "//ReadmeValidatorHotkey"),
    ] {
        let dir = home.join(".local/share").join(binary);
        std::fs::create_dir_all(&dir).unwrap();
        mindos_daemon::keyfile::write_private(&dir.join("hotkey"), format!("{uri}\n").as_bytes())
            .unwrap();
    }
    let journey = |name: &'static str| run_journey(name, home, net, &[]);
    let wallet = journey("wallet").await;
    assert!(wallet.stdout.contains("300"), "{wallet:#?}");
    let miner = journey("miner").await;
    let miner_hotkey = to_ss58_of("//ReadmeMinerHotkey");
    assert!(miner.stdout.contains(&miner_hotkey[..6]), "{miner:#?}");
    let stake = journey("stake").await;
    let validator_hotkey = to_ss58_of("//ReadmeValidatorHotkey");
    assert!(stake.stdout.contains(&validator_hotkey[..6]), "{stake:#?}");
    assert!(stake.stdout.contains("110"), "{stake:#?}");
    let vote = journey("vote").await;
    // `gov show 0` after the vote: the wallet's 110 MIND of stake are the ayes.
    assert!(vote.stdout.contains("Explain refusals"), "{vote:#?}");
    assert!(vote.stdout.contains("110"), "{vote:#?}");
}

/// Runs the root README's journey `name` (see [`readme_journeys`]) with `extra` in its
/// environment; panics unless it succeeds.
pub(crate) async fn run_journey(
    name: &'static str,
    home: &Path,
    net: &str,
    extra: &[(&str, &str)],
) -> Run {
    let (home, net) = (home.to_path_buf(), net.to_owned());
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let run = tokio::task::spawn_blocking(move || {
        let mut env = vec![
            ("MINDOS_NETWORK", net.as_str()),
            ("MINDOS_PASSWORD", PASSWORD),
            ("MINDOS_YES", "1"),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        common::run_readme_journey(name, &home, &env)
    })
    .await
    .unwrap();
    assert_eq!(run.code, 0, "README journey `{name}` failed: {run:#?}");
    run
}

/// The SS58 address of the key a secret URI names.
fn to_ss58_of(uri: &str) -> String {
    let pair = mindos_test_utils::key(uri);
    mindos_cli::address::to_ss58(&pair.public_key().into())
}

fn planck_of(amount: &serde_json::Value) -> u128 {
    amount["planck"].as_str().unwrap().parse().unwrap()
}

/// The subnet of the dev chain this journey registers on (digit classification).
const NETUID: &str = "1";

async fn free_of(wallets: &Path, net: &str, wallet: &str) -> u128 {
    let run = mindos(
        wallets,
        &["--json", "--network", net, "wallet", "balance", wallet],
        "",
        None,
    )
    .await
    .expect_code(0);
    planck(&run.json())
}

async fn neurons_and_stake(
    wallets: &Path,
    net: &str,
    chain: &mindos_chain_client::ChainClient,
    hotkey_file: &Path,
    alice: &subxt::utils::AccountId32,
    saver: &subxt::utils::AccountId32,
) {
    // A hotkey file as the miner reads it: a secret URI, private to its owner.
    mindos_daemon::keyfile::write_private(hotkey_file, b"//MindosCliE2eHotkey\n").unwrap();
    let hotkey_arg = hotkey_file.to_str().unwrap();
    let run = |args: Vec<&str>| {
        let mut full = vec!["--network", net];
        full.extend(args);
        let full: Vec<String> = full.into_iter().map(str::to_owned).collect();
        async move {
            let args: Vec<&str> = full.iter().map(String::as_str).collect();
            mindos(wallets, &args, "", Some(PASSWORD)).await
        }
    };

    // The subnets, their hyperparameters and burn.
    let subnets = run(vec!["--json", "subnet", "list"])
        .await
        .expect_code(0)
        .json();
    common::assert_shape("subnet list", &subnets);
    assert!(
        subnets["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["netuid"] == 1),
        "{subnets}"
    );
    let hyper = run(vec!["--json", "subnet", "hyperparameters", NETUID])
        .await
        .expect_code(0)
        .json();
    common::assert_shape("subnet hyperparameters", &hyper);
    assert!(hyper["hyperparameters"]["max_neurons"].as_u64().unwrap() > 0);
    let burn = run(vec!["--json", "subnet", "burn-cost", NETUID])
        .await
        .expect_code(0)
        .json();
    common::assert_shape("subnet burn-cost", &burn);
    let price = planck_of(&burn["burn"]);
    assert!(price > 0, "{burn}");

    let alice_nonce = chain.next_nonce(alice).await.unwrap();
    let alice_free = free_of(wallets, net, "alice").await;

    // An unknown subnet: exit 1 and a clear message, for a read and for a registration.
    let unknown = run(vec!["subnet", "show", "99"]).await.expect_code(1);
    assert!(
        unknown.stderr.contains("no live subnet has id 99"),
        "{unknown:?}"
    );
    let unknown = run(vec![
        "--yes", "neuron", "register", "99", "--wallet", "alice", "--hotkey", hotkey_arg,
    ])
    .await
    .expect_code(1);
    assert!(
        unknown.stderr.contains("no live subnet has id 99"),
        "{unknown:?}"
    );

    // A --max-burn below the burn: refused, nothing paid (not even a fee), nothing sent. Half
    // the price: the burn only decays toward its floor, never below half of it in seconds.
    let too_low = amount_text(price / 2);
    let refused = run(vec![
        "--yes",
        "neuron",
        "register",
        NETUID,
        "--wallet",
        "alice",
        "--hotkey",
        hotkey_arg,
        "--max-burn",
        &too_low,
    ])
    .await
    .expect_code(1);
    assert!(
        refused.stderr.contains("more than --max-burn"),
        "{refused:?}"
    );
    assert_eq!(chain.next_nonce(alice).await.unwrap(), alice_nonce);
    assert_eq!(free_of(wallets, net, "alice").await, alice_free);

    // Register: the burn is paid, the hotkey gets a uid.
    let registered = run(vec![
        "--json", "--yes", "neuron", "register", NETUID, "--wallet", "alice", "--hotkey",
        hotkey_arg,
    ])
    .await
    .expect_code(0)
    .json();
    let hotkey = registered["hotkey"].as_str().unwrap().to_owned();
    assert!(registered["uid"].as_u64().is_some(), "{registered}");
    let paid = alice_free - free_of(wallets, net, "alice").await;
    assert!(paid >= price, "paid {paid} for a burn of {price}");
    // Registering again is refused before anything is sent.
    let again_nonce = chain.next_nonce(alice).await.unwrap();
    let again = run(vec![
        "--yes", "neuron", "register", NETUID, "--wallet", "alice", "--hotkey", hotkey_arg,
    ])
    .await
    .expect_code(1);
    assert!(again.stderr.contains("already registered"), "{again:?}");
    assert_eq!(chain.next_nonce(alice).await.unwrap(), again_nonce);

    // Stake 10 MIND on it (by its address) and see it in the metagraph.
    let staked = run(vec![
        "--json", "--yes", "stake", "add", "--wallet", "alice", "--hotkey", &hotkey, "10",
    ])
    .await
    .expect_code(0)
    .json();
    assert_eq!(planck_of(&staked["stake"]), 10 * MIND, "{staked}");
    let metagraph = run(vec!["--json", "subnet", "show", NETUID])
        .await
        .expect_code(0)
        .json();
    common::assert_shape("subnet show", &metagraph);
    let row = metagraph["neurons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["hotkey"] == hotkey.as_str())
        .unwrap_or_else(|| panic!("{hotkey} not in {metagraph}"))
        .clone();
    assert_eq!(planck_of(&row["stake"]), 10 * MIND, "{row}");
    assert_eq!(row["uid"], registered["uid"]);
    let table = run(vec!["subnet", "show", NETUID]).await.expect_code(0);
    assert!(table.stdout.contains("REPUTATION"), "{table:?}");
    assert!(table.stdout.contains(&hotkey[..6]), "{table:?}");

    // Unbond 3 of it: the chunk shows in `stake list` with its unlock block.
    run(vec![
        "--json", "--yes", "stake", "remove", "--wallet", "alice", "--hotkey", hotkey_arg, "3",
    ])
    .await
    .expect_code(0);
    let list = run(vec!["--json", "stake", "list", "--wallet", "alice"])
        .await
        .expect_code(0)
        .json();
    common::assert_shape("stake list", &list);
    let entry = list["hotkeys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["hotkey"] == hotkey.as_str())
        .unwrap_or_else(|| panic!("{hotkey} not in {list}"))
        .clone();
    assert_eq!(planck_of(&entry["stake"]), 7 * MIND, "{entry}");
    let chunks = entry["unbonding"].as_array().unwrap();
    assert_eq!(chunks.len(), 1, "{entry}");
    assert_eq!(planck_of(&chunks[0]["amount"]), 3 * MIND);
    let unlock_at = chunks[0]["unlock_at"].as_u64().unwrap();
    assert!(unlock_at > list["block"].as_u64().unwrap(), "{list}");
    assert_eq!(chunks[0]["withdrawable"], false);
    let text = run(vec!["stake", "list", "--wallet", "alice"])
        .await
        .expect_code(0);
    assert!(text.stdout.contains(&format!("#{unlock_at}")), "{text:?}");

    // Refusals that send nothing.
    let nonce = chain.next_nonce(alice).await.unwrap();
    let decimals = run(vec![
        "--yes",
        "stake",
        "add",
        "--wallet",
        "alice",
        "--hotkey",
        &hotkey,
        "1.0000000000001",
    ])
    .await
    .expect_code(1);
    assert!(
        decimals.stderr.contains("more than 12 decimals"),
        "{decimals:?}"
    );
    let over = run(vec![
        "--yes", "stake", "remove", "--wallet", "alice", "--hotkey", &hotkey, "8",
    ])
    .await
    .expect_code(1);
    assert!(over.stderr.contains("7 MIND staked"), "{over:?}");
    let early = run(vec!["--yes", "stake", "withdraw", "--wallet", "alice"])
        .await
        .expect_code(1);
    assert!(early.stderr.contains(&format!("#{unlock_at}")), "{early:?}");
    assert_eq!(chain.next_nonce(alice).await.unwrap(), nonce);

    // Withdraw after the period. The unbonding period is a governed parameter of 7 days
    // (longer, by the registry's rules, than the 3-day voting period), in blocks even with
    // fast blocks; the dev chain's sudo key shortens it to a few blocks so a chunk matures
    // within the test. Only chunks unbonded after that mature early.
    let unbonding_period = set_unbonding_period(chain, SHORT_UNBONDING).await;
    run(vec![
        "--json", "--yes", "stake", "remove", "--wallet", "alice", "--hotkey", hotkey_arg, "2",
    ])
    .await
    .expect_code(0);
    let list = run(vec!["--json", "stake", "list", "--wallet", "alice"])
        .await
        .expect_code(0)
        .json();
    let short_unlock = list["hotkeys"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["unbonding"].as_array().unwrap().iter())
        .map(|c| c["unlock_at"].as_u64().unwrap())
        .min()
        .unwrap();
    assert!(short_unlock < unlock_at, "{list}");
    mindos_test_utils::wait_until_at_least("the short chunk's unlock block", short_unlock, || {
        chain.finalized_number()
    })
    .await;
    let free_before = free_of(wallets, net, "alice").await;
    let withdrawn = run(vec![
        "--json", "--yes", "stake", "withdraw", "--wallet", "alice",
    ])
    .await
    .expect_code(0)
    .json();
    assert_eq!(planck_of(&withdrawn["amount"]), 2 * MIND, "{withdrawn}");
    let fee = planck_of(&withdrawn["fee_estimate"]);
    let free_after = free_of(wallets, net, "alice").await;
    assert!(
        free_after + fee >= free_before + 2 * MIND && free_after < free_before + 2 * MIND,
        "free {free_before} → {free_after}, fee about {fee}"
    );
    // The 3 MIND unbonded under the 7-day period still wait.
    let list = run(vec!["--json", "stake", "list", "--wallet", "alice"])
        .await
        .expect_code(0)
        .json();
    let chunks: Vec<u128> = list["hotkeys"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["unbonding"].as_array().unwrap().iter())
        .map(|c| planck_of(&c["amount"]))
        .collect();
    assert_eq!(chunks, vec![3 * MIND], "{list}");
    // Back to the registry's rules: every governance proposal is checked against them all.
    set_unbonding_period(chain, unbonding_period).await;
    // The saver holds 2.5 MIND: staking 100 is refused before signing.
    let broke = run(vec![
        "--yes", "stake", "add", "--wallet", "saver", "--hotkey", &hotkey, "100",
    ])
    .await
    .expect_code(1);
    assert!(broke.stderr.contains("insufficient balance"), "{broke:?}");
    assert_eq!(chain.next_nonce(saver).await.unwrap(), 0);
}

/// The unbonding period, in blocks, the withdrawal test sets.
const SHORT_UNBONDING: u32 = 4;

/// Sets the governed unbonding period to `blocks` through the dev chain's sudo key and
/// returns the previous one: governance could not shorten it, since the registry keeps it
/// above the voting period.
async fn set_unbonding_period(chain: &mindos_chain_client::ChainClient, blocks: u32) -> u32 {
    use mindos_chain_client::runtime;
    let at = chain.api().at_current_block().await.unwrap();
    let mut parameters = at
        .storage()
        .fetch(runtime::storage().directives().parameters(), ())
        .await
        .unwrap()
        .decode()
        .unwrap();
    let previous = std::mem::replace(&mut parameters.unbonding_period, blocks);
    sudo_set_storage(chain, "Directives", "Parameters", &[], &parameters).await;
    let at = chain.api().at_current_block().await.unwrap();
    let now = at
        .storage()
        .fetch(runtime::storage().directives().parameters(), ())
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(now.unbonding_period, blocks);
    previous
}

/// Writes `value` into `pallet`'s storage entry `entry` at the hashed map key `map_key`
/// (empty for a plain value) through the dev chain's sudo key (`System::set_storage`): how a
/// test skips a wait of days of blocks, e.g. an unbonding or a voting period. The value is
/// encoded as the runtime's metadata types the entry.
pub(crate) async fn sudo_set_storage(
    chain: &mindos_chain_client::ChainClient,
    pallet: &str,
    entry: &str,
    map_key: &[u8],
    value: &impl subxt::ext::scale_encode::EncodeAsType,
) {
    use mindos_chain_client::runtime::{
        self,
        runtime_types::{frame_system::pallet::Call as SystemCall, mindos_runtime::RuntimeCall},
    };
    let at = chain.api().at_current_block().await.unwrap();
    let metadata = at.metadata();
    let value_type = metadata
        .pallet_by_name(pallet)
        .and_then(|pallet| pallet.storage())
        .and_then(|storage| storage.entry_by_name(entry))
        .unwrap_or_else(|| panic!("no storage entry {pallet}::{entry}"))
        .value_ty();
    let value = value.encode_as_type(value_type, metadata.types()).unwrap();
    let key = [
        &sp_crypto_hashing::twox_128(pallet.as_bytes())[..],
        &sp_crypto_hashing::twox_128(entry.as_bytes())[..],
        map_key,
    ]
    .concat();
    let call = RuntimeCall::System(SystemCall::set_storage {
        items: vec![(key, value)],
    });
    chain
        .submit(
            &runtime::transactions().sudo().sudo(call),
            &subxt_signer::sr25519::dev::alice(),
        )
        .await
        .unwrap();
}

/// Planck as the MIND a user types.
fn amount_text(planck: u128) -> String {
    mindos_cli::amount::format_mind(planck)
}
