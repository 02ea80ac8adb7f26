//! End-to-end: directive governance on a real `mindos-node --dev`. Genesis holds the prime
//! directive and the governed parameters (`mindos_directives`, `mindos_parameters`); a staked
//! coldkey's vote on a proposal shows in `mindos_proposals`; an unstaked coldkey cannot vote
//! and an invalid parameter is refused at `propose`, both leaving the proposal as it was.
//! (Closing and enactment take days of blocks; the runtime tests cover them.)

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use anyhow::{Context, Result};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_chain_client::runtime::{
    self,
    // The call's own argument types (the runtime API's view types share their names).
    directives::calls::propose::{Action as ProposalAction, Scope},
    runtime_types::{
        bounded_collections::bounded_vec::BoundedVec,
        pallet_mindos_directives::parameters::ParameterValue,
    },
};
use mindos_chain_client::ChainClient;
use mindos_runtime::MIND;
use mindos_test_utils::DevNode;
use subxt::utils::AccountId32;
use subxt_signer::{sr25519::dev, sr25519::Keypair};

fn hotkey() -> Keypair {
    mindos_test_utils::key("//MindosGovernanceHotkey")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directives_parameters_and_a_vote_over_rpc() -> Result<()> {
    common::on_dev_node(scenario).await
}

async fn scenario(node: DevNode, client: ChainClient, http: HttpClient) -> Result<()> {
    // --- genesis: the prime directive and the principles, the launch parameters ---
    let directives: serde_json::Value = http.request("mindos_directives", rpc_params![]).await?;
    let directives = directives.as_array().context("a list")?;
    assert!(
        directives.len() >= 4,
        "the prime directive and principles: {directives:?}"
    );
    assert_eq!(directives[0]["id"], 0);
    assert!(
        directives[0]["text"]
            .as_str()
            .context("text is a string")?
            .contains("may not harm the hive"),
        "got {:?}",
        directives[0]
    );
    assert_eq!(directives[0]["status"], "active");
    let params: serde_json::Value = http.request("mindos_parameters", rpc_params![]).await?;
    assert_eq!(
        params["emissionSplit"]["owner"], 180_000_000,
        "18 % in parts per billion"
    );
    assert!(
        params["unbondingPeriod"]
            .as_u64()
            .context("a block count")?
            > 0
    );
    // Amounts are decimal strings (planck): JavaScript numbers lose precision above 2^53.
    assert_eq!(params["blockEmission"], MIND.to_string());
    assert_eq!(params["burnFloor"], MIND.to_string());
    assert_eq!(params["subnetLockBase"], (100 * MIND).to_string());
    assert_eq!(params["subnetLockPerSubnet"], (10 * MIND).to_string());
    assert_eq!(
        params["hyperparameterBounds"]["min_validator_stake"]["max"],
        (1_000_000 * MIND).to_string()
    );
    let none: serde_json::Value = http.request("mindos_proposals", rpc_params![]).await?;
    assert_eq!(none, serde_json::json!([]));

    // --- Bob stakes on a hotkey of his, Alice proposes a directive, Bob votes ---
    let bob = dev::bob();
    let hot = hotkey();
    let hot_id: AccountId32 = hot.public_key().into();
    // Registers with the hotkey's consent to Bob's coldkey.
    client
        .ensure_registered(
            mindos_primitives::NetUid(1),
            &hot,
            &mindos_chain_client::keys::Coldkey::from_pair(bob.clone()),
            10 * MIND,
        )
        .await?
        .context("registered")?;
    let stake = runtime::transactions()
        .stake()
        .add_stake(hot_id, 1_000 * MIND);
    client.submit(&stake, &bob).await?;

    let propose = runtime::transactions().directives().propose(
        ProposalAction::AddDirective {
            title: BoundedVec(b"Open models".to_vec()),
            text: BoundedVec(b"Subnet models are published with their digests.".to_vec()),
        },
        Scope::Network,
    );
    client.submit(&propose, &dev::alice()).await?;
    let vote = runtime::transactions().directives().vote(0, true);
    client.submit(&vote, &bob).await?;

    // Ferdie has no stake: no vote. An unbonding period as short as a vote: refused.
    let err = client
        .submit(
            &runtime::transactions().directives().vote(0, false),
            &dev::ferdie(),
        )
        .await
        .expect_err("no stake, no vote")
        .to_string();
    assert!(err.contains("InsufficientVotingStake"), "got: {err}");
    let bad = runtime::transactions().directives().propose(
        ProposalAction::SetParameter(ParameterValue::UnbondingPeriod(1)),
        Scope::Network,
    );
    let err = client
        .submit(&bad, &dev::alice())
        .await
        .expect_err("invalid parameter")
        .to_string();
    assert!(err.contains("UnbondingNotLongerThanVoting"), "got: {err}");

    let proposals: serde_json::Value = http.request("mindos_proposals", rpc_params![]).await?;
    let proposals = proposals.as_array().context("a list")?;
    assert_eq!(
        proposals.len(),
        1,
        "the invalid proposal was never stored: {proposals:?}"
    );
    let proposal = &proposals[0];
    assert_eq!(proposal["index"], 0);
    assert_eq!(proposal["ayes"], (1_000 * MIND).to_string());
    assert_eq!(proposal["nays"], "0");
    assert_eq!(proposal["voters"], 1);
    assert_eq!(proposal["deposit"], (100 * MIND).to_string());
    assert_eq!(proposal["supermajority"], false);
    assert_eq!(proposal["status"], "voting");

    node.stop().await;
    Ok(())
}
