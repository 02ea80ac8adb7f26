//! A connection that fails mid-submit on a real `mindos-node --dev`, reached through a
//! loopback proxy (`mindos_test_utils::RpcProxy`):
//! - it goes silent (a half-open TCP link: no bytes, no close — what a NAT timeout or a dead
//!   peer looks like): a submission on it must give up at its bound;
//! - it drops once the node has the transaction in its pool: the submission must fail at once,
//!   and the signer's nonce must count the transaction that may land without it.
//!
//! Either way the signer's next transaction, on a fresh connection, must land.
//!
//! Needs `mindos-node` (`MINDOS_NODE_BIN`, see `mindos_test_utils::node_bin`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::time::{Duration, Instant};

use mindos_chain_client::{keys::parse_key, nonce::NonceManager, runtime, ChainClient, ChainError};
use mindos_test_utils::{DevNode, NodeArgs, RpcProxy, TRANSACTION_STATUS};
use subxt::utils::AccountId32;

fn transfer_to(who: &str) -> impl subxt::transactions::Payload {
    let dest: AccountId32 = parse_key(who).unwrap().public_key().into();
    runtime::transactions()
        .balances()
        .transfer_keep_alive(dest.into(), 1_000_000_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_or_dropped_connection_fails_the_submission_and_the_signer_goes_on() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(NodeArgs::dev(
        dir.path().join("chain"),
        dir.path().join("node.log"),
    ))
    .await;
    node.wait_for_finalized(1).await;
    let proxy = RpcProxy::start(node.rpc_addr()).await;
    let alice = parse_key("//Alice").unwrap();
    let nonces = NonceManager::new(alice.public_key().into());
    let in_block = Duration::from_secs(30);

    let client = ChainClient::connect(&proxy.url()).await.unwrap();
    nonces
        .submit(&client, &transfer_to("//Dave"), &alice, in_block)
        .await
        .unwrap();

    // The link goes silent: the submission gives up at its bound instead of hanging.
    proxy.set_silent(true);
    let bound = Duration::from_secs(5);
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(60),
        nonces.submit(&client, &transfer_to("//Eve"), &alice, bound),
    )
    .await
    .expect("the submission on a silent connection never returned");
    assert!(
        matches!(result, Err(ChainError::Timeout { .. })),
        "{result:?}"
    );
    assert!(started.elapsed() < bound * 3, "{:?}", started.elapsed());
    // The finalized-wait path is bounded too.
    let result = tokio::time::timeout(
        Duration::from_secs(60),
        client.submit_within(&transfer_to("//Eve"), &alice, bound),
    )
    .await
    .expect("submit on a silent connection never returned");
    assert!(result.is_err(), "{result:?}");

    // A fresh connection: the manager re-reads the nonce (the lost transaction never reached
    // the node) and the next transaction lands.
    proxy.set_silent(false);
    let fresh = ChainClient::connect(&proxy.url()).await.unwrap();
    let landed = nonces
        .submit(&fresh, &transfer_to("//Ferdie"), &alice, in_block)
        .await;
    assert!(landed.is_ok(), "{landed:?}");

    // The link drops as the node reports the transaction in its pool: the submission fails
    // at once instead of waiting out its bound, and the nonce, re-read from the node, counts
    // the transaction the sender never heard of (reusing it would be refused as stale).
    proxy.cut_when_node_sends(TRANSACTION_STATUS, 1);
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(60),
        nonces.submit(&fresh, &transfer_to("//Dave"), &alice, in_block),
    )
    .await
    .expect("the submission on a dropped connection never returned");
    assert!(result.is_err(), "{result:?}");
    assert!(started.elapsed() < in_block, "{:?}", started.elapsed());
    assert_eq!(proxy.cuts(), 1, "the connection was not dropped mid-submit");
    let reconnected = ChainClient::connect(&proxy.url()).await.unwrap();
    let landed = nonces
        .submit(&reconnected, &transfer_to("//Ferdie"), &alice, in_block)
        .await;
    assert!(landed.is_ok(), "{landed:?}");
}
