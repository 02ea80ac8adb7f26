//! End to end on one authority of the three-authority `--chain local` network, running
//! alone: it authors its own slots (`--force-authoring`), so the best chain grows, but
//! GRANDPA cannot finalize anything — a finality stall, as when one of three authorities is
//! down. Nothing that submits may block on it, and the nonce manager keeps one signer's
//! transactions flowing through gaps and stale counts.
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

use mindos_chain_client::{
    keys::parse_key, nonce::NonceManager, runtime, ChainClient, ChainError, Included,
};
use mindos_test_utils::{best_number, finalized_number, wait_until_at_least, DevNode, NodeArgs};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

/// Alice's slots come every third second or so; a transaction is in a block well within.
const IN_BLOCK: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_blocks_on_stalled_finality_and_one_signer_pipelines() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(NodeArgs::new(
        &[
            "--chain",
            "local",
            "--alice",
            "--force-authoring",
            "--node-key",
            &format!("{:064x}", 1),
        ],
        dir.path().join("alice"),
        dir.path().join("alice.log"),
    ))
    .await;
    let result = tokio::time::timeout(Duration::from_secs(240), scenario(&node)).await;
    if !matches!(result, Ok(())) {
        node.proc().print_tail(30);
    }
    assert!(result.is_ok(), "the scenario blocked");
}

fn transfer_to(who: &str) -> impl subxt::transactions::Payload {
    let dest: AccountId32 = parse_key(who).unwrap().public_key().into();
    runtime::transactions()
        .balances()
        .transfer_keep_alive(dest.into(), 1_000_000_000_000)
}

async fn scenario(node: &DevNode) {
    let http = node.http();
    wait_until_at_least("the best chain to grow", 2, || best_number(&http)).await;
    let client = node.connect().await;
    let alice: Keypair = parse_key("//Alice").unwrap();
    let alice_id: AccountId32 = alice.public_key().into();

    // A finalized submission gives up at its bound instead of waiting forever.
    let started = Instant::now();
    let bound = Duration::from_secs(8);
    let stalled = client
        .submit_within(&transfer_to("//Dave"), &alice, bound)
        .await;
    assert!(
        matches!(stalled, Err(ChainError::Timeout { .. })),
        "{stalled:?}"
    );
    assert!(started.elapsed() < bound * 2, "{:?}", started.elapsed());
    assert_eq!(
        finalized_number(&http).await.unwrap(),
        0,
        "finality is stalled"
    );

    // One signer, three transactions at once: each lands in the best chain, none waits for
    // another or for finality. (The stalled transfer above took a nonce in the pool: the
    // manager starts from the node's pool-aware count, not the finalized one.)
    let nonces = NonceManager::new(alice_id);
    let calls = [
        transfer_to("//Eve"),
        transfer_to("//Ferdie"),
        transfer_to("//Bob"),
    ];
    let submitted = futures_join(&client, &nonces, &alice, &calls).await;
    for result in &submitted {
        assert!(
            matches!(
                result,
                Ok(Included {
                    finalized: false,
                    ..
                })
            ),
            "{submitted:?}"
        );
    }

    // A gap: a nonce handed out and never used (its transaction lost before the pool). The
    // next transaction waits in the pool's future queue, times out, and the manager re-reads
    // the node's count, so the one after fills the gap — and the waiting one follows.
    // (Marked used: a reservation dropped unused would make the manager re-read at once.)
    let lost = {
        let reservation = nonces.reserve(&client).await.unwrap();
        let nonce = reservation.nonce();
        reservation.used();
        nonce
    };
    let behind_gap = nonces
        .submit(
            &client,
            &transfer_to("//Dave"),
            &alice,
            Duration::from_secs(8),
        )
        .await;
    assert!(
        matches!(behind_gap, Err(ChainError::Timeout { .. })),
        "{behind_gap:?}"
    );
    let filled = nonces
        .submit(&client, &transfer_to("//Eve"), &alice, IN_BLOCK)
        .await;
    assert!(filled.is_ok(), "{filled:?}");
    let waiting_went = async {
        while client.next_nonce(&alice_id).await.unwrap() != lost + 2 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(IN_BLOCK, waiting_went)
        .await
        .expect("the transaction behind the gap is ready once the gap is filled");
    nonces.resync().await;

    // A stale count: another process of the same signer used the next nonce. The pool
    // refuses the stale transaction; the manager re-reads, and the next one lands.
    let other = NonceManager::new(parse_key("//Alice").unwrap().public_key().into());
    let mine = nonces.reserve(&client).await.unwrap().nonce();
    other
        .submit(&client, &transfer_to("//Ferdie"), &alice, IN_BLOCK)
        .await
        .unwrap();
    let stale = client
        .submit_in_block(&transfer_to("//Bob"), &alice, mine, IN_BLOCK)
        .await;
    assert!(
        stale.is_err(),
        "a second transaction at nonce {mine}: {stale:?}"
    );
    nonces.resync().await;
    let after = nonces
        .submit(&client, &transfer_to("//Bob"), &alice, IN_BLOCK)
        .await;
    assert!(after.is_ok(), "{after:?}");
    assert_eq!(
        finalized_number(&http).await.unwrap(),
        0,
        "finality is still stalled"
    );
}

async fn futures_join<Call: subxt::transactions::Payload>(
    client: &ChainClient,
    nonces: &NonceManager,
    signer: &Keypair,
    calls: &[Call; 3],
) -> Vec<Result<Included, ChainError>> {
    let [a, b, c] = calls;
    let (a, b, c) = tokio::join!(
        nonces.submit(client, a, signer, IN_BLOCK),
        nonces.submit(client, b, signer, IN_BLOCK),
        nonces.submit(client, c, signer, IN_BLOCK),
    );
    vec![a, b, c]
}
