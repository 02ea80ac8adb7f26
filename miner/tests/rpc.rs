//! The owner's JSON-RPC on loopback cannot be used by a web page (L5): a request with a
//! foreign `Origin`, or for a host that is not a loopback name (DNS rebinding), is refused
//! with HTTP 403 before any method runs; the owner's own tools (no `Origin`, or a page on
//! this machine) are served.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use std::net::SocketAddr;

use common::{bounded, private_settings, RunningMiner, DEADLINE};
use mindos_mesh::PeerId;
use mindos_primitives::NetUid;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const DIGITS: NetUid = NetUid(1);

/// Posts `miner_status` with the `host` and extra header lines; returns the HTTP status.
async fn status_of(addr: SocketAddr, host: &str, headers: &str) -> u16 {
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"miner_status","params":[]}"#;
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_page_cannot_call_the_owner_rpc() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let mut miner = RunningMiner::start(private_settings(
            dir.path(),
            "digits",
            DIGITS,
            &[PeerId::random()],
        ))
        .await;
        let addr = miner.rpc_addr;
        let port = addr.port();
        let local = format!("127.0.0.1:{port}");
        assert_eq!(status_of(addr, &local, "").await, 200, "the owner's tools");
        assert_eq!(status_of(addr, &format!("localhost:{port}"), "").await, 200);
        assert_eq!(
            status_of(addr, &local, "origin: http://localhost:8080\r\n").await,
            200,
            "a page served from this machine"
        );
        assert_eq!(
            status_of(addr, &local, "origin: https://evil.example\r\n").await,
            403,
            "a page on another site"
        );
        assert_eq!(status_of(addr, &local, "origin: null\r\n").await, 403);
        assert_eq!(
            status_of(addr, &format!("evil.example:{port}"), "").await,
            403,
            "a rebound DNS name"
        );
        miner.shutdown().await;
    })
    .await;
}
