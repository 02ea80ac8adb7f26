//! End-to-end: `--chain local` as three real nodes (Alice, Bob, Charlie) on loopback. They
//! find each other through a bootnode, author in turn and finalize together; with one node
//! gone the other two keep authoring.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::path::Path;

use anyhow::Result;
use common::{peer_count, peer_id};
use mindos_test_utils::{best_number, finalized_number, wait_until_at_least, DevNode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_authorities_author_and_finalize_together() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let result = scenario(dir.path()).await;
    if result.is_err() {
        for name in ["alice", "bob", "charlie"] {
            mindos_test_utils::print_log_tail(&dir.path().join(format!("{name}.log")), 25);
        }
    }
    result
}

/// A fixed libp2p secret per node: a non-dev chain refuses to invent one silently.
fn node_key(n: u8) -> String {
    format!("{n:064x}")
}

async fn scenario(dir: &Path) -> Result<()> {
    let alice = DevNode::start(common::with_args(
        &["--chain", "local", "--alice", "--node-key", &node_key(1)],
        &dir.join("alice"),
        &dir.join("alice.log"),
    ))
    .await;
    alice.connect().await;
    let alice_http = alice.http();
    let bootnode = format!(
        "/ip4/127.0.0.1/tcp/{}/p2p/{}",
        alice.p2p_port().await,
        peer_id(&alice_http).await?
    );

    let bob = common::with_args(
        &[
            "--chain",
            "local",
            "--bob",
            "--node-key",
            &node_key(2),
            "--bootnodes",
            &bootnode,
        ],
        &dir.join("bob"),
        &dir.join("bob.log"),
    );
    let charlie = common::with_args(
        &[
            "--chain",
            "local",
            "--charlie",
            "--node-key",
            &node_key(3),
            "--bootnodes",
            &bootnode,
        ],
        &dir.join("charlie"),
        &dir.join("charlie.log"),
    );
    // Side by side, as two operators would start them.
    let (bob, charlie) = tokio::join!(DevNode::start(bob), DevNode::start(charlie));
    bob.connect().await;
    charlie.connect().await;
    let bob_http = bob.http();
    let charlie_http = charlie.http();

    // Everyone sees the other two.
    for http in [&alice_http, &bob_http, &charlie_http] {
        wait_until_at_least("peers", 2, || peer_count(http)).await;
    }
    // Blocks from all three authors are finalized, and every node agrees on it.
    wait_until_at_least("best block", 6, || best_number(&alice_http)).await;
    for http in [&alice_http, &bob_http, &charlie_http] {
        wait_until_at_least("finalized block", 4, || finalized_number(http)).await;
    }

    // Charlie leaves: Alice and Bob still author (Charlie's slots stay empty).
    charlie.stop().await;
    let best = best_number(&alice_http).await?;
    wait_until_at_least("best block without Charlie", best + 3, || {
        best_number(&bob_http)
    })
    .await;

    bob.stop().await;
    alice.stop().await;
    Ok(())
}
