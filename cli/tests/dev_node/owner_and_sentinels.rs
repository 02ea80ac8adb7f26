//! The subnet owner's and the sentinels' journey, on the shared dev node: read the sentinels
//! of the dev subnets (no committee on a fresh chain: said, not an error), refuse an appeal
//! and an unquarantine that have nothing to act on, create a digits subnet from Alice and
//! see it listed, change its hyperparameters and see the change take effect at its epoch
//! boundary, register a hotkey on it and serve an endpoint for it that `subnet show` then
//! lists. Every refusal exits 1 with a clear message and leaves the signer's nonce as it
//! was.

use std::path::Path;

use mindos_chain_client::ChainClient;
use mindos_primitives::MIND;
use subxt::{rpcs::rpc_params, utils::AccountId32};

use super::{free_of, mindos, planck_of, PASSWORD};
use crate::common;

/// What this journey needs from the test that starts the node.
pub(crate) struct Setup<'a> {
    pub(crate) wallets: &'a Path,
    pub(crate) net: &'a str,
    pub(crate) chain: &'a ChainClient,
    pub(crate) dir: &'a Path,
    /// The funded dev account, imported as wallet `alice`.
    pub(crate) alice: &'a AccountId32,
    /// Wallet `saver`, holding a few MIND.
    pub(crate) saver: &'a AccountId32,
}

pub(crate) async fn journey(setup: Setup<'_>) {
    let Setup {
        wallets,
        net,
        chain,
        dir,
        alice,
        saver,
    } = setup;
    let run = |args: Vec<&str>| {
        let mut full = vec!["--network", net];
        full.extend(args);
        let full: Vec<String> = full.into_iter().map(str::to_owned).collect();
        async move {
            let args: Vec<&str> = full.iter().map(String::as_str).collect();
            mindos(wallets, &args, "", Some(PASSWORD)).await
        }
    };

    // ---- Sentinel reads on the dev subnets (0 text-embedding, 1 digits). ----
    for netuid in ["0", "1"] {
        let committee = run(vec!["--json", "sentinel", "committee", netuid])
            .await
            .expect_code(0)
            .json();
        common::assert_shape("sentinel committee", &committee);
        // No validator holds a permit on a fresh dev chain: no committee, and it says so.
        assert!(committee["committee"].is_null(), "{committee}");
        assert_eq!(committee["epoch"], committee["current_epoch"]);
        let text = run(vec!["sentinel", "committee", netuid])
            .await
            .expect_code(0);
        assert!(
            text.stdout.contains("has no sentinel committee for epoch")
                && text.stdout.contains("fewer than four"),
            "{text:?}"
        );
        let cases = run(vec!["--json", "sentinel", "cases", netuid])
            .await
            .expect_code(0)
            .json();
        common::assert_shape("sentinel cases", &cases);
        for list in ["cases", "audits", "convictions"] {
            assert_eq!(cases[list], serde_json::json!([]), "{cases}");
        }
        let quarantines = run(vec!["--json", "sentinel", "quarantines", netuid])
            .await
            .expect_code(0)
            .json();
        common::assert_shape("sentinel quarantines", &quarantines);
        assert_eq!(quarantines["quarantines"], serde_json::json!([]));
    }
    let all = run(vec!["--json", "sentinel", "cases"])
        .await
        .expect_code(0)
        .json();
    common::assert_shape("sentinel cases", &all);
    assert!(all["netuid"].is_null(), "{all}");
    let all = run(vec!["--json", "sentinel", "quarantines"])
        .await
        .expect_code(0)
        .json();
    common::assert_shape("sentinel quarantines", &all);
    let text = run(vec!["sentinel", "cases", "1"]).await.expect_code(0);
    assert!(
        text.stdout.contains("no open cases on subnet 1"),
        "{text:?}"
    );
    // A committee epoch the chain never holds, and an unknown subnet: bad input.
    let old = run(vec!["sentinel", "committee", "1", "--epoch", "100000"])
        .await
        .expect_code(1);
    assert!(old.stderr.contains("not of epoch 100000"), "{old:?}");
    let unknown = run(vec!["sentinel", "committee", "99"])
        .await
        .expect_code(1);
    assert!(
        unknown.stderr.contains("no live subnet has id 99"),
        "{unknown:?}"
    );
    run(vec!["sentinel", "quarantines", "99"])
        .await
        .expect_code(1);

    // An appeal of an unknown case and an unquarantine of a miner that is not quarantined:
    // refused before signing.
    let nonce = chain.next_nonce(alice).await.unwrap();
    let appeal = run(vec![
        "--yes", "sentinel", "appeal", "12345", "--wallet", "alice",
    ])
    .await
    .expect_code(1);
    assert!(
        appeal.stderr.contains("no verdict with case id 12345"),
        "{appeal:?}"
    );
    let release = run(vec![
        "--yes",
        "sentinel",
        "unquarantine",
        "1",
        "0",
        "--wallet",
        "alice",
    ])
    .await
    .expect_code(1);
    assert!(
        release
            .stderr
            .contains("uid 0 of subnet 1 is not quarantined"),
        "{release:?}"
    );
    assert_eq!(chain.next_nonce(alice).await.unwrap(), nonce);

    // ---- Create a subnet. ----
    // The built-in tasks are the dev chain's: the same TaskSpec under the same name.
    let genesis: serde_json::Value = chain
        .mindos_read("mindos_subnets", rpc_params![], None)
        .await
        .unwrap();
    for (name, task) in mindos_cli::subnet_owner::builtin_tasks() {
        let on_chain = genesis
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no genesis subnet `{name}` in {genesis}"));
        assert_eq!(
            on_chain["task"],
            serde_json::to_value(&task).unwrap(),
            "{name}"
        );
    }
    // So are the default hyperparameters: the demo subnets'.
    for subnet in genesis.as_array().unwrap() {
        assert_eq!(
            subnet["hyperparameters"],
            serde_json::to_value(mindos_cli::subnet_owner::default_hyperparameters()).unwrap(),
            "{subnet}"
        );
    }
    let live_before = genesis.as_array().unwrap().len();

    let nonce = chain.next_nonce(alice).await.unwrap();
    let saver_nonce = chain.next_nonce(saver).await.unwrap();
    let out_of_bounds = run(vec![
        "--yes", "subnet", "create", "--wallet", "alice", "--task", "digits", "--tempo", "5",
    ])
    .await
    .expect_code(1);
    assert!(
        out_of_bounds
            .stderr
            .contains("tempo 5 is outside the governed bounds: 10 to"),
        "{out_of_bounds:?}"
    );
    let no_task = run(vec![
        "--yes", "subnet", "create", "--wallet", "alice", "--name", "mine",
    ])
    .await
    .expect_code(1);
    assert!(
        no_task.stderr.contains("the task needs --modality"),
        "{no_task:?}"
    );
    // The saver holds about 2.5 MIND: the burn and the deposit are well beyond it.
    let broke = run(vec![
        "--yes", "subnet", "create", "--wallet", "saver", "--task", "digits",
    ])
    .await
    .expect_code(1);
    assert!(broke.stderr.contains("insufficient balance"), "{broke:?}");
    assert_eq!(chain.next_nonce(alice).await.unwrap(), nonce);
    assert_eq!(chain.next_nonce(saver).await.unwrap(), saver_nonce);

    let alice_free = free_of(wallets, net, "alice").await;
    let created = run(vec![
        "--json", "--yes", "subnet", "create", "--wallet", "alice", "--task", "digits",
    ])
    .await
    .expect_code(0)
    .json();
    let new_netuid = created["netuid"].as_u64().unwrap();
    let netuid_text = new_netuid.to_string();
    let netuid_arg = netuid_text.as_str();
    assert_eq!(created["name"], "digits");
    // The dev chain's launch parameters: 100 MIND plus 10 per live subnet, 100 burned.
    let deposit = 100 * MIND + 10 * MIND * u128::try_from(live_before).unwrap();
    assert_eq!(planck_of(&created["deposit"]), deposit, "{created}");
    assert_eq!(planck_of(&created["burned"]), 100 * MIND, "{created}");
    let paid = alice_free - free_of(wallets, net, "alice").await;
    assert!(paid >= deposit + 100 * MIND, "paid {paid}");
    let listed = run(vec!["--json", "subnet", "list"])
        .await
        .expect_code(0)
        .json();
    let row = listed["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["netuid"] == new_netuid)
        .unwrap_or_else(|| panic!("subnet {new_netuid} not in {listed}"))
        .clone();
    assert_eq!(row["owner"], created["owner"]);
    assert_eq!(row["tempo"], 20);
    assert_eq!(row["modality"], "image");

    // One creation per interval, network-wide: the next is refused before signing.
    let nonce = chain.next_nonce(alice).await.unwrap();
    let again = run(vec![
        "--yes",
        "subnet",
        "create",
        "--wallet",
        "alice",
        "--task",
        "text-embedding",
    ])
    .await
    .expect_code(1);
    assert!(
        again.stderr.contains("one may be created every"),
        "{again:?}"
    );
    assert_eq!(chain.next_nonce(alice).await.unwrap(), nonce);

    // ---- Its hyperparameters. ----
    let beyond = run(vec![
        "--yes",
        "subnet",
        "set-hyperparameters",
        netuid_arg,
        "--wallet",
        "alice",
        "--max-validators",
        "65",
    ])
    .await
    .expect_code(1);
    assert!(
        beyond
            .stderr
            .contains("max-validators 65 is outside the governed bounds: 1 to 64"),
        "{beyond:?}"
    );
    let not_owner = run(vec![
        "--yes",
        "subnet",
        "set-hyperparameters",
        netuid_arg,
        "--wallet",
        "saver",
        "--tempo",
        "30",
    ])
    .await
    .expect_code(1);
    assert!(
        not_owner.stderr.contains("not by wallet `saver`"),
        "{not_owner:?}"
    );
    let nothing = run(vec![
        "--yes",
        "subnet",
        "set-hyperparameters",
        netuid_arg,
        "--wallet",
        "alice",
    ])
    .await
    .expect_code(1);
    assert!(nothing.stderr.contains("nothing to change"), "{nothing:?}");
    assert_eq!(chain.next_nonce(alice).await.unwrap(), nonce);
    assert_eq!(chain.next_nonce(saver).await.unwrap(), saver_nonce);

    let queued = run(vec![
        "--json",
        "--yes",
        "subnet",
        "set-hyperparameters",
        netuid_arg,
        "--wallet",
        "alice",
        "--tempo",
        "30",
        "--max-validators",
        "4",
    ])
    .await
    .expect_code(0)
    .json();
    assert_eq!(queued["hyperparameters"]["tempo"], 30, "{queued}");
    assert_eq!(queued["previous"]["tempo"], 20, "{queued}");
    let effective_at = queued["effective_at"].as_u64().unwrap();
    // In force from the subnet's next boundary, within one epoch of 21 blocks.
    let queued_in = queued["block_number"].as_u64().unwrap();
    assert!(
        effective_at > queued_in && effective_at <= queued_in + 21,
        "{queued}"
    );
    while chain.finalized_number().await.unwrap() < effective_at {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let hyper = run(vec!["--json", "subnet", "hyperparameters", netuid_arg])
        .await
        .expect_code(0)
        .json();
    assert_eq!(hyper["hyperparameters"]["tempo"], 30, "{hyper}");
    assert_eq!(hyper["hyperparameters"]["max_validators"], 4, "{hyper}");
    // The next change waits two epochs: refused before signing.
    let nonce = chain.next_nonce(alice).await.unwrap();
    let soon = run(vec![
        "--yes",
        "subnet",
        "set-hyperparameters",
        netuid_arg,
        "--wallet",
        "alice",
        "--tempo",
        "40",
    ])
    .await
    .expect_code(1);
    assert!(soon.stderr.contains("one change per 2 epochs"), "{soon:?}");
    assert_eq!(chain.next_nonce(alice).await.unwrap(), nonce);

    // ---- Serve an endpoint for a hotkey registered on it. ----
    let hotkey_file = dir.join("serving-hotkey");
    mindos_daemon::keyfile::write_private(&hotkey_file, b"//MindosCliServeHotkey\n").unwrap();
    let hotkey_arg = hotkey_file.to_str().unwrap();
    let node_key = dir.join("node.key");
    mindos_daemon::keyfile::write_private(&node_key, "2a".repeat(32).as_bytes()).unwrap();
    let node_key_arg = node_key.to_str().unwrap();
    let address = "/ip4/127.0.0.1/tcp/30999";
    // `mindos --yes neuron serve NETUID --hotkey … ARGS` (the node key and address in ARGS).
    let serve = |args: Vec<&'static str>, key: &str| {
        let mut full = vec![
            "--yes".to_owned(),
            "neuron".to_owned(),
            "serve".to_owned(),
            netuid_text.clone(),
            "--hotkey".to_owned(),
            hotkey_arg.to_owned(),
            "--node-key-file".to_owned(),
            key.to_owned(),
        ];
        full.extend(args.into_iter().map(str::to_owned));
        async move { run(full.iter().map(String::as_str).collect()).await }
    };

    // Not registered yet: refused before the fee.
    let unregistered = serve(vec!["--multiaddr", address], node_key_arg)
        .await
        .expect_code(1);
    assert!(
        unregistered.stderr.contains("is not registered on subnet"),
        "{unregistered:?}"
    );
    let registered = run(vec![
        "--json", "--yes", "neuron", "register", netuid_arg, "--wallet", "alice", "--hotkey",
        hotkey_arg,
    ])
    .await
    .expect_code(0)
    .json();
    let hotkey = registered["hotkey"].as_str().unwrap().to_owned();
    let hotkey_id = mindos_cli::address::parse_account(&hotkey).unwrap();

    // The hotkey signs and pays: unfunded, it is refused before anything is sent.
    let unfunded = serve(vec!["--multiaddr", address], node_key_arg)
        .await
        .expect_code(1);
    assert!(
        unfunded.stderr.contains("insufficient balance"),
        "{unfunded:?}"
    );
    // Malformed input is refused before the chain is asked anything.
    let malformed = serve(vec!["--multiaddr", "127.0.0.1:30999"], node_key_arg)
        .await
        .expect_code(1);
    assert!(
        malformed.stderr.contains("is not a multiaddr"),
        "{malformed:?}"
    );
    let absent = dir.join("absent.key");
    let no_key = serve(vec!["--multiaddr", address], absent.to_str().unwrap())
        .await
        .expect_code(1);
    assert!(no_key.stderr.contains("no node key file"), "{no_key:?}");
    assert_eq!(chain.next_nonce(&hotkey_id).await.unwrap(), 0);

    run(vec![
        "--json", "--yes", "wallet", "transfer", "alice", &hotkey, "1",
    ])
    .await
    .expect_code(0);
    let served = serve(
        vec!["--json", "--multiaddr", address, "--region", "DE"],
        node_key_arg,
    )
    .await
    .expect_code(0)
    .json();
    assert_eq!(served["changed"], true, "{served}");
    assert_eq!(served["uid"], registered["uid"], "{served}");
    let peer_id = served["peer_id"].as_str().unwrap().to_owned();
    let metagraph = run(vec!["--json", "subnet", "show", netuid_arg])
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
    assert_eq!(row["endpoint"]["peer_id"], peer_id.as_str(), "{row}");
    assert_eq!(
        row["endpoint"]["multiaddrs"],
        serde_json::json!([address]),
        "{row}"
    );
    let table = run(vec!["subnet", "show", netuid_arg]).await.expect_code(0);
    assert!(table.stdout.contains(address), "{table:?}");
    // The same endpoint again: nothing to send.
    let nonce = chain.next_nonce(&hotkey_id).await.unwrap();
    let same = serve(
        vec!["--json", "--multiaddr", address, "--region", "DE"],
        node_key_arg,
    )
    .await
    .expect_code(0)
    .json();
    assert_eq!(same["changed"], false, "{same}");
    assert!(same["block_hash"].is_null(), "{same}");
    assert_eq!(chain.next_nonce(&hotkey_id).await.unwrap(), nonce);
}
