//! End to end on a real `mindos-node --dev` (1 s blocks, tempo 20): the validator follows a
//! subnet's hyperparameters while it runs. One honest digits miner and the validator (digits
//! only); once the validator commits weights, the subnet's owner (Alice) turns commit-reveal
//! off and lengthens the tempo with `set_hyperparameters`. The change waits for the subnet's
//! next epoch boundary; the validator, without a restart, then reports the new parameters and
//! sets its weights with `set_weights`, and they land on chain.
//!
//! Needs `$CARGO_TARGET_DIR/debug/mindos-node` (built with `--features fast-blocks`) and
//! `mindos-miner`, or `MINDOS_NODE_BIN` / `MINDOS_MINER_BIN` (see
//! `mindos_test_utils::{node_bin, miner_bin}`).

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

use common::{run_on_dev_chain, Procs, StakedValidator};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_chain_client::{
    keys::parse_key,
    runtime::{self, runtime_types::mindos_primitives::NetUid as ChainNetUid},
    ChainClient,
};
use mindos_test_utils::{wait_for, DevNode};
use serde_json::Value;

const DIGITS: NetUid = NetUid(1);
/// The tempo the owner switches to (the dev chain's demo subnets start at 20).
const NEW_TEMPO: u16 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validator_follows_commit_reveal_and_tempo_changes_without_a_restart() {
    run_on_dev_chain(Duration::from_secs(600), 30, scenario).await;
}

async fn scenario(dir: &Path, node: &DevNode, procs: &mut Procs) {
    let miner = common::chain_miner(
        dir,
        node.ws_url(),
        "digits1",
        "//MindosE2EParamsMiner",
        DIGITS,
        51,
        "//Charlie",
        None,
    );
    procs.push(("digits1".to_owned(), miner));

    let (validator, log) = StakedValidator {
        bin: common::VALIDATOR_BIN.as_ref(),
        dir,
        name: "validator",
        hotkey_uri: "//MindosE2EParamsValidator",
        coldkey: "//Bob",
        node_key: 52,
        chain_rpc: node.ws_url(),
        netuids: &[DIGITS],
        fund_hotkey: 10,
        challenge_interval_ms: 500,
        extra_args: &[],
    }
    .spawn();
    procs.push(("validator".to_owned(), validator));
    let validator_log = || std::fs::read_to_string(&log).unwrap_or_default();

    // Commit-reveal is on: the validator commits.
    wait_for(
        "the validator's first weight commit",
        Duration::from_secs(300),
        || async {
            validator_log()
                .contains("weights committed; revealing next epoch netuid=1 ")
                .then_some(())
        },
    )
    .await;

    // The owner turns commit-reveal off and lengthens the tempo.
    let client = node.connect().await;
    let mut params = hyperparameters(&client).await;
    assert!(
        params.commit_reveal,
        "the dev chain's digits subnet starts with commit-reveal"
    );
    params.commit_reveal = false;
    params.tempo = NEW_TEMPO;
    let alice = parse_key("//Alice").unwrap();
    let call = runtime::transactions()
        .subnets()
        .set_hyperparameters(ChainNetUid(DIGITS.0), params);
    client.submit(&call, &alice).await.unwrap();
    let asked_at = client.finalized_number().await.unwrap();

    // The change waits for the subnet's epoch boundary, then holds on chain.
    let applied_at = wait_for(
        "the owner's change to take effect",
        Duration::from_secs(120),
        || async {
            let params = hyperparameters(&client).await;
            (!params.commit_reveal && params.tempo == NEW_TEMPO).then_some(())?;
            client.finalized_number().await.ok()
        },
    )
    .await;
    eprintln!("change asked at block {asked_at}, in effect by finalized block {applied_at}");

    // The validator follows without a restart: it reports the new parameters and sets
    // weights directly, and they land on chain after the change.
    wait_for(
        "the validator to follow the new parameters",
        Duration::from_secs(120),
        || async {
            validator_log()
                .contains(&format!(
                    "subnet parameters changed netuid=1 tempo={NEW_TEMPO} commit_reveal=false"
                ))
                .then_some(())
        },
    )
    .await;
    let http = node.http();
    let updated = wait_for(
        "weights set with set_weights on chain",
        Duration::from_secs(240),
        || async {
            let set = validator_log().contains("weights set netuid=1 ");
            let last = last_update(&http).await;
            (set && last > applied_at).then_some(last)
        },
    )
    .await;
    eprintln!("the validator's weights were set at block {updated}");
    let log = validator_log();
    assert!(
        !log.contains("CommitRevealDisabled"),
        "the validator committed after commit-reveal was off:\n{log}"
    );
}

/// The digits subnet's hyperparameters at the newest finalized block.
async fn hyperparameters(
    client: &ChainClient,
) -> runtime::runtime_types::mindos_primitives::Hyperparameters<u128> {
    let at = client.api().at_current_block().await.unwrap();
    at.storage()
        .try_fetch(
            runtime::storage().subnets().subnet_info_of(),
            (ChainNetUid(DIGITS.0),),
        )
        .await
        .unwrap()
        .expect("the digits subnet")
        .decode()
        .unwrap()
        .hyperparameters
}

/// The newest `lastUpdate` on the digits subnet (the block its weights were last set at).
async fn last_update(node: &HttpClient) -> u64 {
    let graph: Value = node
        .request("mindos_metagraph", rpc_params![DIGITS])
        .await
        .unwrap_or_default();
    graph
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["lastUpdate"].as_u64())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}
