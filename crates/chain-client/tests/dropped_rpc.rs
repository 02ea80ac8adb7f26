//! A connection that goes silent mid-submit (a half-open TCP link: no bytes, no close —
//! what a NAT timeout or a dead peer looks like) on a real `mindos-node --dev`, reached
//! through a loopback proxy the test can black-hole. A submission on it must give up at its
//! bound, and the signer's next transaction, on a fresh connection, must land.
//!
//! Needs `mindos-node` (`MINDOS_NODE_BIN`, see `mindos_test_utils::node_bin`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use mindos_chain_client::{keys::parse_key, nonce::NonceManager, runtime, ChainClient, ChainError};
use mindos_test_utils::{DevNode, NodeArgs};
use subxt::utils::AccountId32;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Forwards loopback connections to `target`; while `silent`, swallows every byte both ways
/// and keeps the sockets open.
struct Proxy {
    addr: SocketAddr,
    silent: Arc<AtomicBool>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = Arc::new(AtomicBool::new(false));
        let flag = silent.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = TcpStream::connect(target).await else {
                    continue;
                };
                let (in_read, in_write) = inbound.into_split();
                let (out_read, out_write) = outbound.into_split();
                tokio::spawn(pipe(in_read, out_write, flag.clone()));
                tokio::spawn(pipe(out_read, in_write, flag.clone()));
            }
        });
        Self { addr, silent }
    }

    fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    silent: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if silent.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

fn transfer_to(who: &str) -> impl subxt::transactions::Payload {
    let dest: AccountId32 = parse_key(who).unwrap().public_key().into();
    runtime::transactions()
        .balances()
        .transfer_keep_alive(dest.into(), 1_000_000_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_fails_the_submission_and_the_signer_goes_on() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let node = DevNode::start(NodeArgs::dev(
        dir.path().join("chain"),
        dir.path().join("node.log"),
    ))
    .await;
    node.wait_for_finalized(1).await;
    let proxy = Proxy::start(node.rpc_addr()).await;
    let alice = parse_key("//Alice").unwrap();
    let nonces = NonceManager::new(alice.public_key().into());
    let in_block = Duration::from_secs(30);

    let client = ChainClient::connect(&proxy.url()).await.unwrap();
    nonces
        .submit(&client, &transfer_to("//Dave"), &alice, in_block)
        .await
        .unwrap();

    // The link goes silent: the submission gives up at its bound instead of hanging.
    proxy.silent.store(true, Ordering::SeqCst);
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
    proxy.silent.store(false, Ordering::SeqCst);
    let fresh = ChainClient::connect(&proxy.url()).await.unwrap();
    let landed = nonces
        .submit(&fresh, &transfer_to("//Ferdie"), &alice, in_block)
        .await;
    assert!(landed.is_ok(), "{landed:?}");
}
