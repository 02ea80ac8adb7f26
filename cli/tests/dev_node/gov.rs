//! Governance as a user types it: read the directives and the governed parameters, stake two
//! voters, propose a directive, vote aye from one and nay from the other, see the tally in
//! `gov show` and `gov proposals`, change a vote, propose a parameter change; and the
//! refusals that must send nothing (exit 1, nonce unchanged): an unknown parameter, a title
//! too long, repealing the prime directive, a parameter value the runtime refuses, a wallet
//! that cannot hold the deposit, an unknown proposal, a vote that changes nothing, a vote without stake, and a `close` before
//! the voting period ends.
//!
//! Closing after the period is not reachable here: the runtime's `VotingPeriod` is three days
//! of blocks (259,200 one-second blocks with `fast-blocks`), a constant, not a governed
//! parameter; the journey checks that and the refusal instead. The runtime's governance tests
//! cover closing and enactment.

use std::path::Path;

use mindos_chain_client::ChainClient;
use mindos_cli::address::parse_account;
use mindos_primitives::MIND;
use serde_json::Value;

use crate::{common, common::Run, mindos, planck_of, PASSWORD};

/// The subnet the voters' hotkey registers on.
const NETUID: &str = "1";

fn planck_at(document: &Value, key: &str) -> u128 {
    planck_of(&document[key])
}

pub(crate) async fn governance(wallets: &Path, net: &str, chain: &ChainClient, dir: &Path) {
    let run = |args: Vec<&str>, stdin: &str| {
        let mut full = vec!["--network", net];
        full.extend(args);
        let full: Vec<String> = full.into_iter().map(str::to_owned).collect();
        let stdin = stdin.to_owned();
        async move {
            let args: Vec<&str> = full.iter().map(String::as_str).collect();
            mindos(wallets, &args, &stdin, Some(PASSWORD)).await
        }
    };
    let address = |name: &'static str| async move {
        let shown = mindos(wallets, &["--json", "wallet", "show", name], "", None)
            .await
            .expect_code(0)
            .json();
        parse_account(shown["address"].as_str().unwrap()).unwrap()
    };

    // Two prefunded dev accounts vote; a new, empty wallet has no stake.
    for (name, uri) in [("gov-eve", "//Eve\n"), ("gov-ferdie", "//Ferdie\n")] {
        run(vec!["--json", "wallet", "import", name, "--mnemonic"], uri)
            .await
            .expect_code(0);
    }
    run(vec!["--json", "wallet", "create", "gov-outsider"], "")
        .await
        .expect_code(0);
    let eve = address("gov-eve").await;
    let ferdie = address("gov-ferdie").await;
    let outsider = address("gov-outsider").await;

    // The directives: the prime directive first, in force.
    let directives = run(vec!["--json", "gov", "directives"], "")
        .await
        .expect_code(0)
        .json();
    common::assert_shape("gov directives", &directives);
    let prime = &directives["directives"][0];
    assert_eq!(prime["id"], 0, "{directives}");
    assert_eq!(prime["status"], "active");
    assert!(
        prime["text"]
            .as_str()
            .unwrap()
            .contains("may not harm the hive"),
        "{prime}"
    );
    let text = run(vec!["gov", "directives"], "").await.expect_code(0);
    assert!(text.stdout.contains("0. The prime directive"), "{text:?}");

    // The parameters, in the units set-parameter takes, and the voting rules.
    let parameters = run(vec!["--json", "gov", "parameters"], "")
        .await
        .expect_code(0)
        .json();
    common::assert_shape("gov parameters", &parameters);
    let parameter = |name: &str| {
        parameters["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {parameters}"))
            .clone()
    };
    assert_eq!(parameter("kappa")["value"], "50");
    assert_eq!(parameter("kappa")["unit"], "percent");
    assert_eq!(parameter("burn-floor")["value"], "1");
    assert_eq!(parameter("burn-floor")["chain_value"], MIND.to_string());
    assert_eq!(parameter("unbonding-period")["unit"], "blocks");
    let rules = &parameters["rules"];
    let voting_period = rules["voting_period"].as_u64().unwrap();
    // Too long to wait for in a test: 3 days of blocks. `close` is checked for its refusal.
    assert!(voting_period > 1_000, "{rules}");
    let deposit = planck_at(rules, "next_deposit");
    assert!(deposit >= planck_at(rules, "proposal_deposit"), "{rules}");
    let min_voting_stake = planck_at(rules, "min_voting_stake");
    let text = run(vec!["gov", "parameters"], "").await.expect_code(0);
    assert!(text.stdout.contains("unbonding-period"), "{text:?}");
    assert!(text.stdout.contains("voting period"), "{text:?}");

    // Eve registers a hotkey; Eve stakes 50 MIND and Ferdie 20 on it.
    let hotkey_file = dir.join("gov-hotkey");
    mindos_daemon::keyfile::write_private(&hotkey_file, b"//MindosCliGovHotkey\n").unwrap();
    let hotkey = hotkey_file.to_str().unwrap();
    run(
        vec![
            "--json", "--yes", "neuron", "register", NETUID, "--wallet", "gov-eve", "--hotkey",
            hotkey,
        ],
        "",
    )
    .await
    .expect_code(0);
    for (wallet, amount) in [("gov-eve", "50"), ("gov-ferdie", "20")] {
        run(
            vec![
                "--json", "--yes", "stake", "add", "--wallet", wallet, "--hotkey", hotkey, amount,
            ],
            "",
        )
        .await
        .expect_code(0);
    }
    // A vote weighs all of a coldkey's active stake.
    let stake_of = |wallet: &'static str| {
        let run = &run;
        async move {
            let list = run(vec!["--json", "stake", "list", "--wallet", wallet], "")
                .await
                .expect_code(0)
                .json();
            planck_at(&list, "total_stake")
        }
    };
    let eve_weight = stake_of("gov-eve").await;
    let ferdie_weight = stake_of("gov-ferdie").await;
    assert!(eve_weight >= 50 * MIND && ferdie_weight >= 20 * MIND);
    assert!(ferdie_weight >= min_voting_stake);

    // Refusals before any proposal: nothing is sent.
    let nonce = chain.next_nonce(&eve).await.unwrap();
    let no = |args: String, needles: &'static [&'static str]| refused(wallets, net, args, needles);
    no(
        "propose set-parameter voting-period 10 --wallet gov-eve".into(),
        &["unknown parameter `voting-period`", "unbonding-period"],
    )
    .await;
    no(
        format!(
            "propose add-directive --wallet gov-eve --title {} --text x",
            "t".repeat(129)
        ),
        &["129 bytes long", "at most 128"],
    )
    .await;
    no(
        "propose repeal-directive 0 --wallet gov-eve".into(),
        &["never repealed"],
    )
    .await;
    // A value whose rule only the runtime knows in full: tried on the chain's state, refused
    // with the pallet's error, nothing sent.
    no(
        "propose set-parameter unbonding-period 10 --wallet gov-eve".into(),
        &["InvalidParameter(UnbondingNotLongerThanVoting)"],
    )
    .await;
    no(
        "propose set-parameter burn-floor 0.0000000000001 --wallet gov-eve".into(),
        &["more than 12 decimals"],
    )
    .await;
    assert_eq!(chain.next_nonce(&eve).await.unwrap(), nonce);
    // The empty wallet cannot hold the deposit.
    let broke = refused(
        wallets,
        net,
        "propose add-directive --wallet gov-outsider --title Broke --text none".into(),
        &["insufficient balance"],
    )
    .await;
    assert!(
        broke.stderr.contains(&format!(
            "holding as the deposit {} MIND",
            mindos_cli::amount::format_mind(deposit)
        )),
        "{broke:?}"
    );
    assert_eq!(chain.next_nonce(&outsider).await.unwrap(), 0);

    // Eve proposes a directive, its text from a file; the deposit is held.
    let reserved_before = reserved(wallets, net, "gov-eve").await;
    let text_file = dir.join("directive.txt");
    std::fs::write(
        &text_file,
        "Subnet models are published with their digests.\n",
    )
    .unwrap();
    let proposed = run(
        vec![
            "--json",
            "--yes",
            "gov",
            "propose",
            "add-directive",
            "--wallet",
            "gov-eve",
            "--title",
            "Open models",
            "--text-file",
            text_file.to_str().unwrap(),
        ],
        "",
    )
    .await
    .expect_code(0)
    .json();
    let index_value = proposed["index"].clone();
    let index = index_value.as_u64().unwrap().to_string();
    assert_eq!(planck_at(&proposed, "deposit"), deposit, "{proposed}");
    assert_eq!(proposed["action"]["kind"], "add-directive");
    assert_eq!(
        proposed["action"]["text"],
        "Subnet models are published with their digests."
    );
    assert_eq!(
        reserved(wallets, net, "gov-eve").await - reserved_before,
        deposit,
        "the deposit is held"
    );

    // Eve votes aye, Ferdie nay.
    let aye = run(
        vec![
            "--json", "--yes", "gov", "vote", &index, "aye", "--wallet", "gov-eve",
        ],
        "",
    )
    .await
    .expect_code(0)
    .json();
    assert_eq!(planck_at(&aye, "weight"), eve_weight, "{aye}");
    let nay = run(
        vec![
            "--json",
            "--yes",
            "gov",
            "vote",
            &index,
            "nay",
            "--wallet",
            "gov-ferdie",
        ],
        "",
    )
    .await
    .expect_code(0)
    .json();
    assert_eq!(planck_at(&nay, "ayes"), eve_weight, "{nay}");
    assert_eq!(planck_at(&nay, "nays"), ferdie_weight, "{nay}");

    // The tally, in `gov show` and `gov proposals`.
    let shown = run(vec!["--json", "gov", "show", &index], "")
        .await
        .expect_code(0)
        .json();
    common::assert_shape("gov show", &shown);
    let tally = &shown["tally"];
    assert_eq!(planck_at(tally, "ayes"), eve_weight, "{shown}");
    assert_eq!(planck_at(tally, "nays"), ferdie_weight, "{shown}");
    assert_eq!(tally["voters"], 2);
    let cast = eve_weight + ferdie_weight;
    assert_eq!(
        tally["approval_ppb"].as_u64().unwrap(),
        u64::try_from(eve_weight * 1_000_000_000 / cast).unwrap()
    );
    assert_eq!(tally["supermajority"], false);
    assert_eq!(tally["threshold_ppb"], rules["approval_threshold_ppb"]);
    assert!(planck_at(tally, "scope_stake") >= cast, "{shown}");
    assert_eq!(shown["status"], "voting");
    assert_eq!(
        shown["voting_ends"].as_u64().unwrap(),
        shown["submitted_at"].as_u64().unwrap() + voting_period
    );
    assert!(shown["blocks_left"].as_u64().unwrap() > 0);
    let votes = shown["votes"].as_array().unwrap();
    assert_eq!(votes.len(), 2, "{shown}");
    assert_eq!(votes[0]["voter"], aye["voter"], "largest first");
    assert_eq!(votes[0]["aye"], true);
    assert_eq!(votes[1]["aye"], false);
    let voting_ends = shown["voting_ends"].as_u64().unwrap();
    let text = run(vec!["gov", "show", &index], "").await.expect_code(0);
    assert!(
        text.stdout.contains(&format!(
            "ayes {} MIND, nays {} MIND, 2 votes",
            mindos_cli::amount::format_mind(eve_weight),
            mindos_cli::amount::format_mind(ferdie_weight)
        )),
        "{text:?}"
    );
    assert!(
        text.stdout
            .contains(&format!("voting until block #{voting_ends}")),
        "{text:?}"
    );
    let listed = run(vec!["--json", "gov", "proposals"], "")
        .await
        .expect_code(0)
        .json();
    common::assert_shape("gov proposals", &listed);
    let row = listed["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["index"] == index_value)
        .unwrap_or_else(|| panic!("{index} not in {listed}"))
        .clone();
    assert_eq!(planck_at(&row, "ayes"), eve_weight);
    assert_eq!(planck_at(&row, "nays"), ferdie_weight);
    assert_eq!(row["action"]["title"], "Open models");
    let table = run(vec!["gov", "proposals"], "").await.expect_code(0);
    assert!(
        table.stdout.contains("add directive “Open models”"),
        "{table:?}"
    );

    // Refusals that send nothing.
    let (eve_nonce, ferdie_nonce) = (
        chain.next_nonce(&eve).await.unwrap(),
        chain.next_nonce(&ferdie).await.unwrap(),
    );
    let missing = run(vec!["gov", "show", "999"], "").await.expect_code(1);
    assert!(
        missing.stderr.contains("no live proposal has index 999"),
        "{missing:?}"
    );
    no(
        "vote 999 aye --wallet gov-eve".into(),
        &["no live proposal has index 999"],
    )
    .await;
    // The pallet lets a coldkey change its vote; the same vote again changes nothing and is
    // refused before it costs a fee.
    no(
        format!("vote {index} aye --wallet gov-eve"),
        &["already voted aye"],
    )
    .await;
    no(
        format!("vote {index} nay --wallet gov-outsider"),
        &["0 MIND of active stake", "at least"],
    )
    .await;
    let early = refused(
        wallets,
        net,
        format!("close {index} --wallet gov-ferdie"),
        &["it can be closed from then on"],
    )
    .await;
    assert!(
        early
            .stderr
            .contains(&format!("ends at block #{voting_ends}")),
        "{early:?}"
    );
    no(format!("vote {index} maybe --wallet gov-eve"), &["maybe"]).await;
    assert_eq!(chain.next_nonce(&eve).await.unwrap(), eve_nonce);
    assert_eq!(chain.next_nonce(&ferdie).await.unwrap(), ferdie_nonce);
    assert_eq!(chain.next_nonce(&outsider).await.unwrap(), 0);

    // Ferdie changes its vote to aye: the tally moves.
    run(
        vec![
            "--json",
            "--yes",
            "gov",
            "vote",
            &index,
            "aye",
            "--wallet",
            "gov-ferdie",
        ],
        "",
    )
    .await
    .expect_code(0);
    let shown = run(vec!["--json", "gov", "show", &index], "")
        .await
        .expect_code(0)
        .json();
    assert_eq!(planck_at(&shown["tally"], "ayes"), cast, "{shown}");
    assert_eq!(planck_at(&shown["tally"], "nays"), 0, "{shown}");

    // Ferdie proposes a network parameter in its units: kappa 60 %.
    let kappa = run(
        vec![
            "--json",
            "--yes",
            "gov",
            "propose",
            "set-parameter",
            "kappa",
            "60",
            "--wallet",
            "gov-ferdie",
        ],
        "",
    )
    .await
    .expect_code(0)
    .json();
    assert_eq!(kappa["action"]["parameter"], "kappa");
    assert_eq!(kappa["action"]["value"], "60");
    let kappa_index = kappa["index"].clone();
    let listed = run(vec!["--json", "gov", "proposals"], "")
        .await
        .expect_code(0)
        .json();
    common::assert_shape("gov proposals", &listed);
    let row = listed["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["index"] == kappa_index)
        .unwrap_or_else(|| panic!("{kappa_index} not in {listed}"))
        .clone();
    assert_eq!(row["action"]["summary"], "set kappa to 60 %");
    assert_eq!(row["scope"], "network");

    // Close after the voting period. It lasts three days of blocks even with fast blocks, so
    // the dev chain's sudo key moves the proposal's end to now; then `gov close` counts the
    // votes as `gov show` projected, and the proposer's deposit leaves its held balance
    // (returned, or burned if the proposal failed badly).
    let before = run(vec!["--json", "gov", "show", &index], "")
        .await
        .expect_code(0)
        .json();
    let projection = before["tally"]["projection"].as_str().unwrap().to_owned();
    end_voting_now(chain, index.parse().unwrap()).await;
    let held_before = reserved(wallets, net, "gov-eve").await;
    let closed = run(
        vec![
            "--json",
            "--yes",
            "gov",
            "close",
            &index,
            "--wallet",
            "gov-ferdie",
        ],
        "",
    )
    .await
    .expect_code(0)
    .json();
    let outcome = if projection == "passing" {
        "approved"
    } else {
        "rejected"
    };
    assert_eq!(closed["outcome"], outcome, "{before} → {closed}");
    assert_eq!(
        held_before - reserved(wallets, net, "gov-eve").await,
        planck_at(&before, "deposit"),
        "{closed}"
    );
    let after = run(vec!["--json", "gov", "show", &index], "").await;
    if outcome == "approved" {
        let after = after.expect_code(0).json();
        assert_eq!(after["status"], "approved", "{after}");
        assert_eq!(after["enact_at"], closed["enact_at"], "{after}");
    } else {
        after.expect_code(1);
    }
    // Closed once: a second close is refused before it costs a fee.
    let ferdie_nonce = chain.next_nonce(&ferdie).await.unwrap();
    refused(
        wallets,
        net,
        format!("close {index} --wallet gov-ferdie"),
        &[&format!("proposal {index}")],
    )
    .await;
    assert_eq!(chain.next_nonce(&ferdie).await.unwrap(), ferdie_nonce);
}

/// Moves proposal `index`'s voting end to the current block, through the dev chain's sudo
/// key: `close` is allowed from its voting end on.
async fn end_voting_now(chain: &ChainClient, index: u32) {
    use codec::Encode;
    use mindos_chain_client::runtime;
    let at = chain.api().at_current_block().await.unwrap();
    let mut proposal = at
        .storage()
        .fetch(runtime::storage().directives().proposals(), (index,))
        .await
        .unwrap()
        .decode()
        .unwrap();
    proposal.voting_ends = u32::try_from(at.block_number()).unwrap();
    // `Proposals` is a Twox64Concat map: the hash of the SCALE key, then the key.
    let key = index.encode();
    let map_key = [&sp_crypto_hashing::twox_64(&key)[..], &key[..]].concat();
    crate::sudo_set_storage(chain, "Directives", "Proposals", &map_key, &proposal).await;
}

/// Runs `mindos --network NET --yes gov ARGS` (ARGS split at spaces) and expects a refusal:
/// exit 1 and each of `needles` on stderr.
async fn refused(wallets: &Path, net: &str, args: String, needles: &[&str]) -> Run {
    let mut full = vec!["--network", net, "--yes", "gov"];
    full.extend(args.split(' '));
    let run = mindos(wallets, &full, "", Some(PASSWORD))
        .await
        .expect_code(1);
    for needle in needles {
        assert!(run.stderr.contains(needle), "{needle:?} missing: {run:?}");
    }
    run
}

async fn reserved(wallets: &Path, net: &str, wallet: &str) -> u128 {
    let balance = mindos(
        wallets,
        &["--json", "--network", net, "wallet", "balance", wallet],
        "",
        None,
    )
    .await
    .expect_code(0)
    .json();
    planck_at(&balance, "reserved")
}
