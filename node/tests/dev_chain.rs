//! End-to-end: the real `mindos-node --dev` binary on loopback ports with a temporary base
//! path. Blocks and finality over JSON-RPC, a signed transfer through the chain client,
//! bad input rejected, and chain data kept across a restart.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_chain_client::{runtime, MindConfig};
use mindos_test_utils::{
    best_number, finalized_number, header_number, metrics, wait_until_at_least, DevNode,
};
use subxt::{
    tx::{DefaultParams, Signer},
    utils::AccountId32,
};
use subxt_signer::{sr25519::dev, sr25519::Keypair, SecretUri};

fn recipient() -> Keypair {
    let uri: SecretUri = "//MindosEndToEndRecipient".parse().expect("valid uri");
    Keypair::from_uri(&uri).expect("derive recipient")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_chain_produces_finalizes_transfers_rejects_bad_input_and_survives_restart(
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let base_path: PathBuf = dir.path().join("chain");
    let log = dir.path().join("node.log");
    let result = scenario(&base_path, &log).await;
    if result.is_err() {
        // Keep the node's own words next to the failure.
        mindos_test_utils::print_log_tail(&log, 40);
    }
    result
}

async fn scenario(base_path: &Path, log: &Path) -> Result<()> {
    // --- first run: blocks, finality, standard RPC, metrics ---
    let node = DevNode::start(common::dev(base_path, log)).await;
    let client = node.connect().await;
    let http = node.http();

    let methods: serde_json::Value = http.request("rpc_methods", rpc_params![]).await?;
    let methods: Vec<&str> = methods["methods"]
        .as_array()
        .context("methods")?
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    for expected in [
        "system_health",
        "chain_getFinalizedHead",
        "state_getMetadata",
        "author_submitExtrinsic",
        "system_accountNextIndex",
        "payment_queryInfo",
    ] {
        assert!(methods.contains(&expected), "rpc_methods lacks {expected}");
    }
    let chain: String = http.request("system_chain", rpc_params![]).await?;
    assert_eq!(chain, "MindOS Development");
    let properties: serde_json::Value = http.request("system_properties", rpc_params![]).await?;
    assert_eq!(properties["tokenSymbol"], "MIND");
    assert_eq!(properties["tokenDecimals"], 12);
    assert_eq!(properties["ss58Format"], 2424);

    wait_until_at_least("best block", 3, || best_number(&http)).await;
    wait_until_at_least("finalized block", 2, || finalized_number(&http)).await;

    let metrics = metrics::scrape(node.prometheus_addr()).await;
    assert!(
        metrics.contains("substrate_block_height"),
        "prometheus exposes block height"
    );

    // --- a signed transfer, built and signed by the chain client, finalized ---
    let alice = dev::alice();
    let alice_id: AccountId32 = alice.public_key().into();
    let dest: AccountId32 = recipient().public_key().into();
    let amount = 25 * mindos_runtime::MIND;
    let alice_before = client.free_balance(&alice_id).await?;
    assert_eq!(
        client.free_balance(&dest).await?,
        0,
        "recipient starts empty"
    );
    let finalized = client
        .transfer_keep_alive(&alice, dest.clone(), amount)
        .await?;
    let block_number = header_number(&http, Some(format!("{:?}", finalized.block_hash))).await?;
    assert!(block_number >= 1);
    assert!(
        finalized_number(&http).await? >= block_number,
        "the block is finalized"
    );
    assert_eq!(client.free_balance(&dest).await?, amount);
    let alice_after = client.free_balance(&alice_id).await?;
    assert!(
        alice_after < alice_before - amount,
        "Alice paid the amount and a fee"
    );

    // --- bad input: garbage bytes and a transfer signed by the wrong key ---
    let garbage = http
        .request::<String, _>("author_submitExtrinsic", rpc_params!["0xdeadbeef"])
        .await;
    let garbage_err = garbage.expect_err("garbage bytes are rejected").to_string();
    assert!(
        garbage_err.to_lowercase().contains("decode") || garbage_err.contains("1002"),
        "garbage gets a decode error, got: {garbage_err}"
    );
    let not_hex = http
        .request::<String, _>("author_submitExtrinsic", rpc_params!["not hex at all"])
        .await;
    assert!(not_hex.is_err(), "non-hex input is rejected");

    let bob = dev::bob();
    let call = runtime::transactions()
        .balances()
        .transfer_keep_alive(dest.clone().into(), 1_000_000);
    let at = client.api().at_current_block().await?;
    let txs = at.transactions();
    let mut signable = txs
        .create_signable(&call, &alice_id, DefaultParams::default_params())
        .await?;
    let payload = signable.signer_payload()?;
    let wrong_signature = <Keypair as Signer<MindConfig>>::sign(&bob, &payload);
    let forged = signable.sign_with_account_and_signature(&alice_id, &wrong_signature)?;
    let forged_err = forged
        .submit()
        .await
        .expect_err("wrong signature is rejected")
        .to_string();
    assert!(
        forged_err.contains("bad signature")
            || forged_err.contains("BadProof")
            || forged_err.contains("1010"),
        "forged transfer gets an invalid-transaction error, got: {forged_err}"
    );
    assert_eq!(client.free_balance(&dest).await?, amount, "nothing moved");

    // The chain keeps producing and finalizing after the bad input.
    let best_now = best_number(&http).await?;
    wait_until_at_least("best block after bad input", best_now + 2, || {
        best_number(&http)
    })
    .await;
    let finalized_before_restart =
        wait_until_at_least("finalized after bad input", block_number + 1, || {
            finalized_number(&http)
        })
        .await;

    // --- restart on the same base path: state is kept ---
    drop(client);
    node.stop().await;
    let node = DevNode::start(common::dev(base_path, log)).await;
    let client = node.connect().await;
    let http = node.http();
    assert!(
        finalized_number(&http).await? >= finalized_before_restart,
        "finalized chain survives the restart"
    );
    assert_eq!(
        client.free_balance(&dest).await?,
        amount,
        "balance survives the restart"
    );
    let best_now = best_number(&http).await?;
    wait_until_at_least("best block after restart", best_now + 2, || {
        best_number(&http)
    })
    .await;
    node.stop().await;
    Ok(())
}
