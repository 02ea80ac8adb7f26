//! L13: a caller holds each answer to its subnet's response limit
//! (`MeshClient::set_response_limit`), not only to the node's `max_response_size`: a miner
//! that answers a digits request (a few hundred bytes when honest) with 100 KiB of valid JSON,
//! far under the node's 4 MiB, gets `too_large` at the caller. The answer is drained without
//! being kept, the link stays usable, and other subnets keep the node's limit.
//!
//! Requests and answers are built from their wire JSON, as a peer of any version writes them.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    missing_docs
)]

use std::time::Duration;

use mindos_mesh::{
    libp2p::multiaddr::Protocol, InferRequest, InferResponse, Keypair, Mesh, MeshClient,
    MeshConfig, MeshError, MeshEvent, Multiaddr, NetUid,
};
use serde_json::json;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const DIGITS: NetUid = NetUid(1);
/// A digits answer is a label and 10 numbers; 1 KiB is `digits::MAX_RESPONSE_BYTES`.
const DIGITS_ANSWER_LIMIT: u32 = 1024;

fn start() -> (MeshClient, tokio::sync::mpsc::Receiver<MeshEvent>) {
    let (client, events, event_loop) =
        Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
    tokio::spawn(event_loop.run(std::future::pending()));
    (client, events)
}

/// A miner that answers a request whose payload is `n` with a digits answer padded to `n`
/// probabilities. Returns it and its address.
async fn padding_miner() -> (MeshClient, Multiaddr) {
    let (client, mut events, event_loop) =
        Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
    tokio::spawn(event_loop.run(std::future::pending()));
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let MeshEvent::InboundRequest {
                request, responder, ..
            } = event
            {
                let wire = serde_json::to_vec(&request).unwrap();
                let numbers = serde_json::from_slice::<serde_json::Value>(&wire).unwrap()
                    ["payload"]
                    .as_u64()
                    .unwrap_or(0);
                let answer = json!({
                    "status": "ok",
                    "payload": {"label": 3, "probabilities": vec![0.1; numbers as usize]},
                });
                let answer: InferResponse =
                    serde_json::from_slice(&serde_json::to_vec(&answer).unwrap()).unwrap();
                responder.respond(answer);
            }
        }
    });
    let addr = client.listen_addrs().await.unwrap().remove(0);
    let addr = addr.with(Protocol::P2p(client.peer_id()));
    (client, addr)
}

fn ask(netuid: NetUid, id: u64, numbers: u64) -> InferRequest {
    let wire = json!({"netuid": netuid.0, "request_id": id, "payload": numbers});
    serde_json::from_slice(&serde_json::to_vec(&wire).unwrap()).unwrap()
}

/// Bytes of an answer's body.
fn size(answer: &InferResponse) -> usize {
    serde_json::to_vec(answer).unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_over_its_subnets_response_limit_is_too_large() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let (miner, addr) = padding_miner().await;
        let (validator, _events) = start();
        validator.set_response_limit(DIGITS, DIGITS_ANSWER_LIMIT);
        validator.dial(addr).await.unwrap();

        // 25,600 numbers: about 100 KiB of JSON, a 40th of the node's limit.
        let got = validator
            .request(miner.peer_id(), ask(DIGITS, 1, 25_600), REQUEST_TIMEOUT)
            .await;
        match got {
            Err(MeshError::ResponseTooLarge { size, limit }) => {
                assert_eq!(limit, u64::from(DIGITS_ANSWER_LIMIT));
                assert!(size > 100_000, "{size}");
            }
            Err(e) => panic!("expected too_large, got {e:?}"),
            Ok(answer) => panic!(
                "expected too_large, got an answer of {} bytes",
                size(&answer)
            ),
        }

        // An honest answer on the same link is still read.
        let answer = validator
            .request(miner.peer_id(), ask(DIGITS, 2, 10), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert!(matches!(answer, InferResponse::Ok { .. }), "{answer:?}");
        assert!(size(&answer) <= DIGITS_ANSWER_LIMIT as usize);

        // Another subnet's answers are held to the node's limit only.
        let answer = validator
            .request(miner.peer_id(), ask(NetUid(2), 3, 25_600), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert!(matches!(answer, InferResponse::Ok { .. }));
        assert!(size(&answer) > 100_000);
    })
    .await
    .expect("the test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subnets_response_limit_never_raises_the_nodes() {
    let (client, _events) = start();
    let node = mindos_mesh::DEFAULT_MAX_RESPONSE_SIZE;
    assert_eq!(client.response_limit(DIGITS), node);
    client.set_response_limit(DIGITS, DIGITS_ANSWER_LIMIT);
    assert_eq!(client.response_limit(DIGITS), DIGITS_ANSWER_LIMIT);
    client.set_response_limit(DIGITS, u32::MAX);
    assert_eq!(client.response_limit(DIGITS), node);
    assert_eq!(client.clone().response_limit(NetUid(2)), node);
}
