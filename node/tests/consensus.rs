//! End-to-end: weights to emission on a real `mindos-node --dev` (1 s blocks). On the digits
//! subnet (netuid 1, tempo 20: epochs at blocks 19, 40, 61, …) a staked validator and two
//! miners register; the validator gets its permit at an epoch boundary, commits weights,
//! reveals them in the next epoch, and the epoch after pays: the metagraph shows consensus,
//! incentive, dividends and emission, `mindos_neuron` the contributions, and the miners'
//! coldkeys receive their payouts.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use anyhow::{Context, Result};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_chain_client::{
    keys::Coldkey,
    runtime::{self, runtime_types::mindos_primitives::NetUid},
    weights_commit_hash, ChainClient,
};
use mindos_runtime::MIND;
use mindos_test_utils::{best_number, finalized_number, key, wait_until_at_least, DevNode};
use subxt::utils::{AccountId32, H256};
use subxt_signer::sr25519::dev;

const DIGITS: u16 = 1;
const TEMPO: u64 = 20;

/// The first epoch boundary of the digits subnet at or after `block`.
fn next_boundary(block: u64) -> u64 {
    let period = TEMPO + 1;
    let offset = u64::from(DIGITS) + 1;
    let mut b = block;
    while (b + offset) % period != 0 {
        b += 1;
    }
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_commit_reveal_and_an_epoch_pays_miners_and_validators() -> Result<()> {
    common::on_dev_node(scenario).await
}

async fn scenario(node: DevNode, client: ChainClient, http: HttpClient) -> Result<()> {
    // Bob's validator hotkey (uid 0), Charlie's and Dave's miners (uids 1 and 2).
    let validator = key("//MindosConsensusValidator");
    let validator_id: AccountId32 = validator.public_key().into();
    let coldkeys = [dev::bob(), dev::charlie(), dev::dave()];
    let hotkeys = [
        validator.clone(),
        key("//MindosConsensusMiner1"),
        key("//MindosConsensusMiner2"),
    ];
    for (coldkey, hotkey) in coldkeys.iter().zip(hotkeys.iter()) {
        // Registers with the hotkey's consent to the coldkey.
        client
            .ensure_registered(
                mindos_primitives::NetUid(DIGITS),
                hotkey,
                &Coldkey::from_pair(coldkey.clone()),
                100 * MIND,
            )
            .await?
            .context("registered")?;
    }
    client
        .transfer_keep_alive(&dev::bob(), validator_id.clone(), 10 * MIND)
        .await?;
    // Above the demo subnets' 100 MIND `min_validator_stake`.
    let stake = runtime::transactions()
        .stake()
        .add_stake(validator_id.clone(), 200 * MIND);
    client.submit(&stake, &dev::alice()).await?;

    // The next boundary gives the permit; commit after it.
    let permit_at = next_boundary(best_number(&http).await? + 1);
    wait_until_at_least("permit boundary", permit_at + 1, || best_number(&http)).await;
    let graph: serde_json::Value = http
        .request("mindos_metagraph", rpc_params![DIGITS])
        .await?;
    assert_eq!(graph[0]["validatorPermit"], true, "graph: {graph}");

    let (uids, weights, salt) = (vec![1u16, 2], vec![3u16, 1], [9u8; 32]);
    let hash = weights_commit_hash(&validator_id, DIGITS.into(), &uids, &weights, &salt);
    let commit = runtime::transactions()
        .consensus()
        .commit_weights(NetUid(DIGITS), H256(hash));
    client.submit(&commit, &validator).await?;
    // Revealing in the commit's own epoch is refused.
    let reveal = runtime::transactions().consensus().reveal_weights(
        NetUid(DIGITS),
        uids.clone(),
        weights.clone(),
        salt,
    );
    let early = client
        .submit(&reveal, &validator)
        .await
        .expect_err("reveal in the commit's epoch")
        .to_string();
    assert!(early.contains("RevealTooEarly"), "got: {early}");

    let reveal_at = next_boundary(best_number(&http).await? + 1);
    wait_until_at_least("reveal window", reveal_at + 1, || best_number(&http)).await;
    client.submit(&reveal, &validator).await?;

    // The epoch after the reveal uses the weights and pays.
    let miner_coldkeys: Vec<AccountId32> = coldkeys[1..]
        .iter()
        .map(|k| k.public_key().into())
        .collect();
    let mut before = Vec::new();
    for who in &miner_coldkeys {
        before.push(client.free_balance(who).await?);
    }
    let paid_at = next_boundary(best_number(&http).await? + 1);
    // Payouts are minted a page per block after the epoch.
    wait_until_at_least("paying epoch", paid_at + 3, || finalized_number(&http)).await;

    let graph: serde_json::Value = http
        .request("mindos_metagraph", rpc_params![DIGITS])
        .await?;
    let graph = graph.as_array().context("metagraph is a list")?;
    let parts = |row: &serde_json::Value, field: &str| row[field].as_u64().unwrap_or(0);
    let emission = |row: &serde_json::Value| -> u128 {
        row["emission"].as_str().unwrap_or("0").parse().unwrap_or(0)
    };
    assert!(
        parts(&graph[1], "incentive") > parts(&graph[2], "incentive"),
        "3:1 weights: {graph:?}"
    );
    assert!(parts(&graph[2], "incentive") > 0);
    assert!(parts(&graph[1], "consensus") > 0);
    assert!(
        parts(&graph[0], "dividends") > 0,
        "the only validator earns all dividends"
    );
    assert!(parts(&graph[0], "validatorTrust") > 0);
    assert!(emission(&graph[1]) > emission(&graph[2]));
    assert!(emission(&graph[0]) > 0);
    assert!(
        graph[0]["lastUpdate"].as_u64().is_some(),
        "the validator's reveal block"
    );
    assert!(graph[1]["lastUpdate"].is_null(), "miners set no weights");
    for (who, was) in miner_coldkeys.iter().zip(before) {
        assert!(
            client.free_balance(who).await? > was,
            "miner coldkey {who} was paid"
        );
    }

    let detail: serde_json::Value = http
        .request("mindos_neuron", rpc_params![DIGITS, 1])
        .await?;
    assert_eq!(detail["neuron"]["uid"], 1);
    let contributions = detail["contributions"]
        .as_array()
        .context("contributions")?;
    let last = contributions.last().context("at least one contribution")?;
    assert!(
        last["incentive"].as_u64().unwrap_or(0) > 0,
        "detail: {detail}"
    );
    assert_eq!(last["emission"], graph[1]["emission"]);
    match http
        .request::<serde_json::Value, _>("mindos_neuron", rpc_params![DIGITS, 99])
        .await
    {
        Err(jsonrpsee::core::client::Error::Call(e)) => assert_eq!(e.code(), 4002),
        other => panic!("an empty uid is unknown, got {other:?}"),
    }
    match http
        .request::<serde_json::Value, _>("mindos_neuron", rpc_params![77, 0])
        .await
    {
        Err(jsonrpsee::core::client::Error::Call(e)) => assert_eq!(e.code(), 4001),
        other => panic!("an unknown subnet, got {other:?}"),
    }

    node.stop().await;
    Ok(())
}
