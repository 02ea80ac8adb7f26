//! The memory-based admission limit (`limits.max_memory_percent`, H1): while the process uses
//! more than its share of the machine's memory, new connections are refused; once memory falls
//! back, they are admitted again. Alone in its own test binary, so no other test's allocations
//! move the process's resident memory while it measures.

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
    MeshConfig, MeshEvent, NetUid,
};
use serde_json::json;

const SHORT: Duration = Duration::from_secs(3);
/// libp2p refreshes its reading of the process's memory at most every 100 ms.
const MEMORY_REFRESH: Duration = Duration::from_millis(300);
const MIB: u64 = 1024 * 1024;

/// A field of `/proc/meminfo` (kB) or `/proc/self/status`, in bytes.
fn proc_bytes(file: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{file} has no {field}"));
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// A mesh node that answers every inbound request `ok`.
fn start(config: MeshConfig) -> MeshClient {
    let (client, mut events, event_loop) = Mesh::new(config).unwrap();
    tokio::spawn(event_loop.run(std::future::pending()));
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let MeshEvent::InboundRequest { responder, .. } = event {
                responder.respond(InferResponse::encode_ok(&json!("ok")).unwrap());
            }
        }
    });
    client
}

/// Whether a fresh node dials `server` and gets an answer.
async fn a_new_peer_is_served(server: &MeshClient) -> bool {
    let addr = server
        .listen_addrs()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.iter().any(|p| matches!(p, Protocol::Ip4(_))))
        .unwrap()
        .with(Protocol::P2p(server.peer_id()));
    let client = start(MeshConfig::local(Keypair::generate_ed25519()));
    let Ok(Ok(peer)) = tokio::time::timeout(SHORT, client.dial(addr)).await else {
        return false;
    };
    let request = InferRequest::encode(NetUid(1), 1, &json!(null)).unwrap();
    matches!(
        client.request(peer, request, SHORT).await,
        Ok(InferResponse::Ok { .. })
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_refused_while_the_process_is_past_its_memory_share() {
    let total = proc_bytes("/proc/meminfo", "MemTotal:");
    let resident = proc_bytes("/proc/self/status", "VmRSS:");
    // The smallest whole percentage at least 128 MiB above what the process uses now.
    let percent = ((resident + 128 * MIB) * 100).div_ceil(total);
    assert!(percent <= 50, "the machine is too small for this test");
    let mut config = MeshConfig::local(Keypair::generate_ed25519());
    config.limits.max_memory_percent = u8::try_from(percent).unwrap();
    let server = start(config);
    tokio::time::sleep(MEMORY_REFRESH).await;
    assert!(
        a_new_peer_is_served(&server).await,
        "refused below the limit ({percent} % of {} MiB, {} MiB resident)",
        total / MIB,
        resident / MIB
    );

    // Past the limit: hold 128 MiB more than the share, written so it is resident.
    let ballast_bytes = total * percent / 100 + 128 * MIB - resident;
    let ballast = vec![1u8; usize::try_from(ballast_bytes).unwrap()];
    std::hint::black_box(&ballast);
    tokio::time::sleep(MEMORY_REFRESH).await;
    assert!(
        !a_new_peer_is_served(&server).await,
        "a new peer was served with the process past {percent} % of the machine's memory"
    );

    drop(ballast);
    tokio::time::sleep(MEMORY_REFRESH).await;
    assert!(
        a_new_peer_is_served(&server).await,
        "a new peer was still refused after memory fell back"
    );
}
