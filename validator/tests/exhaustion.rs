//! The gateway under hostile clients (the validator binary on loopback, no chain, no miners):
//!
//! 1. Idle connections from one address — 300 WebSocket upgrade attempts (those let in stay
//!    silent after the upgrade), then 300 plain TCP connections that never send a byte — do
//!    not stop a second address being served.
//! 2. `Forwarded`/`X-Forwarded-For` are ignored from peers that are not configured proxies
//!    (the header cannot buy a fresh rate bucket) and honoured from a trusted proxy (each
//!    forwarded client has its own bucket).
//! 3. A browser page (a foreign `Origin`) cannot call a gateway bound to loopback.
//! 4. A connection that never calls, or stops calling, is closed after the header and idle
//!    timeouts — plain TCP and WebSocket alike.
//! 5. When idle connections from many addresses take every place, a new client gets the
//!    place of the one idle the longest.
//!
//! Loopback is 127.0.0.0/8 on Linux, so 127.0.0.1 and 127.0.0.2 are two client addresses.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use common::VALIDATOR_BIN;
use mindos_test_utils::{spawn_validator, wait_for, AddrLine, Proc};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

const SUBNET_LIST: &[u8] = br#"{"jsonrpc":"2.0","id":1,"method":"subnet_list","params":[]}"#;

async fn validator(dir: &std::path::Path, extra: &[&str]) -> (Proc, SocketAddr) {
    let mut args: Vec<String> = vec![
        "--no-chain".into(),
        "--subnet".into(),
        "1=digits".into(),
        "--no-metrics".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut validator = spawn_validator(
        std::path::Path::new(VALIDATOR_BIN),
        dir,
        &args,
        &dir.join("validator.log"),
    );
    let gateway = validator.socket_addr(AddrLine::GATEWAY).await;
    (validator, gateway)
}

/// A TCP connection to `to` from the loopback address `from`.
async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

/// Posts `body` from `from` with the extra header lines `headers`; (HTTP status, JSON body).
async fn post_from(
    from: IpAddr,
    to: SocketAddr,
    headers: &str,
    body: &[u8],
) -> (u16, Option<Value>) {
    let Ok(mut stream) = connect_from(from, to).await else {
        return (0, None);
    };
    let head = format!(
        "POST / HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(body).await.is_err() {
        return (0, None);
    }
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body.trim()).ok());
    (status, json)
}

/// Completes a WebSocket upgrade from `from` and returns the silent connection.
async fn websocket_from(from: IpAddr, to: SocketAddr) -> Option<TcpStream> {
    let mut stream = connect_from(from, to).await.ok()?;
    let upgrade = "GET / HTTP/1.1\r\nhost: localhost\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n";
    stream.write_all(upgrade.as_bytes()).await.ok()?;
    let mut head = [0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut head))
        .await
        .ok()?
        .ok()?;
    String::from_utf8_lossy(&head[..n])
        .starts_with("HTTP/1.1 101")
        .then_some(stream)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_from_one_address_do_not_lock_out_another() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let (validator, gateway) = validator(dir.path(), &[]).await;
    let result = tokio::time::timeout(Duration::from_secs(120), async {
        wait_for("the gateway", Duration::from_secs(60), || async {
            let (status, _) = post_from(ip("127.0.0.3"), gateway, "", SUBNET_LIST).await;
            (status == 200).then_some(())
        })
        .await;
        let attacker = ip("127.0.0.1");
        let mut held = Vec::new();
        let mut upgraded = 0;
        for _ in 0..300 {
            if let Some(ws) = websocket_from(attacker, gateway).await {
                upgraded += 1;
                held.push(ws);
            }
        }
        for _ in 0..300 {
            if let Ok(tcp) = connect_from(attacker, gateway).await {
                held.push(tcp);
            }
        }
        eprintln!(
            "the attacker holds {} connections ({upgraded} WebSocket)",
            held.len()
        );
        assert!(upgraded >= 1, "the gateway takes WebSocket connections");
        // Let the server accept (and refuse) everything the attacker opened.
        tokio::time::sleep(Duration::from_millis(500)).await;
        for round in 0..5 {
            let (status, body) = post_from(ip("127.0.0.2"), gateway, "", SUBNET_LIST).await;
            assert_eq!(status, 200, "round {round}: a second address is served");
            assert_eq!(body.unwrap()["result"][0]["netuid"], 1);
        }
        drop(held);
    })
    .await;
    if result.is_err() {
        validator.print_tail(40);
        panic!("timed out");
    }
}

/// The `rate_limited` refusals among `n` calls from `from` with `headers`.
async fn refused(from: IpAddr, gateway: SocketAddr, headers: &str, n: usize) -> usize {
    let mut refused = 0;
    for _ in 0..n {
        let (status, body) = post_from(from, gateway, headers, SUBNET_LIST).await;
        assert_eq!(status, 200);
        if body.unwrap()["error"]["code"] == mindos_validator::gateway::RATE_LIMITED {
            refused += 1;
        }
    }
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_count_only_from_a_trusted_proxy() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    // A burst of 2 calls, refilled at 1 per second: a third quick call is refused.
    let (validator, gateway) = validator(
        dir.path(),
        &[
            "--gateway-rate",
            "1",
            "--gateway-trusted-proxy",
            "127.0.0.1",
        ],
    )
    .await;
    let result = tokio::time::timeout(Duration::from_secs(120), async {
        wait_for("the gateway", Duration::from_secs(60), || async {
            let (status, _) = post_from(ip("127.0.0.9"), gateway, "", SUBNET_LIST).await;
            (status == 200).then_some(())
        })
        .await;
        // An untrusted peer cannot claim to be someone else: every header shares its bucket.
        let stranger = ip("127.0.0.2");
        let mut stranger_refused = 0;
        for (i, header) in [
            "x-forwarded-for: 10.0.0.1\r\n",
            "x-forwarded-for: 10.0.0.2\r\n",
            "forwarded: for=10.0.0.3\r\n",
            "x-forwarded-for: 10.0.0.4\r\n",
        ]
        .iter()
        .enumerate()
        {
            stranger_refused += refused(stranger, gateway, header, 1).await;
            eprintln!("untrusted call {i}: {stranger_refused} refused so far");
        }
        assert!(stranger_refused >= 2, "{stranger_refused} of 4 refused");
        // The trusted proxy forwards four different clients: each has a full bucket.
        let proxy = ip("127.0.0.1");
        for header in [
            "x-forwarded-for: 10.0.1.1\r\n",
            "x-forwarded-for: 198.51.100.7, 10.0.1.2\r\n",
            "forwarded: for=10.0.1.3;proto=http\r\n",
            "forwarded: for=\"[2001:db8::1]:4711\"\r\n",
        ] {
            assert_eq!(refused(proxy, gateway, header, 2).await, 0, "{header}");
        }
        // … and the same forwarded client is limited like any other.
        let header = "x-forwarded-for: 10.0.1.9\r\n";
        assert!(refused(proxy, gateway, header, 4).await >= 1);
    })
    .await;
    if result.is_err() {
        validator.print_tail(40);
        panic!("timed out");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_page_cannot_call_a_loopback_gateway() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let (validator, gateway) = validator(dir.path(), &[]).await;
    let result = tokio::time::timeout(Duration::from_secs(120), async {
        let local = ip("127.0.0.1");
        wait_for("the gateway", Duration::from_secs(60), || async {
            let (status, _) = post_from(local, gateway, "", SUBNET_LIST).await;
            (status == 200).then_some(())
        })
        .await;
        // A page on another site (or a DNS-rebound name) is refused before any method runs.
        let (status, _) = post_from(
            local,
            gateway,
            "origin: https://evil.example\r\n",
            SUBNET_LIST,
        )
        .await;
        assert_eq!(status, 403, "a foreign Origin");
        let (status, _) = post_from(local, gateway, "origin: null\r\n", SUBNET_LIST).await;
        assert_eq!(status, 403, "an opaque Origin");
        let (status, body) =
            post_from(local, gateway, "origin: http://localhost\r\n", SUBNET_LIST).await;
        assert_eq!(status, 200, "a local page");
        assert_eq!(body.unwrap()["result"][0]["netuid"], 1);
    })
    .await;
    if result.is_err() {
        validator.print_tail(40);
        panic!("timed out");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_idle_connections_are_closed() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let (validator, gateway) = validator(
        dir.path(),
        &[
            "--gateway-header-timeout-ms",
            "300",
            "--gateway-idle-timeout-ms",
            "600",
        ],
    )
    .await;
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        let local = ip("127.0.0.1");
        wait_for("the gateway", Duration::from_secs(30), || async {
            let (status, _) = post_from(local, gateway, "", SUBNET_LIST).await;
            (status == 200).then_some(())
        })
        .await;
        // A socket that never sends a byte, and a WebSocket that never calls: both closed.
        let mut silent = connect_from(local, gateway).await.unwrap();
        let mut ws = websocket_from(local, gateway).await.unwrap();
        let started = std::time::Instant::now();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
            .await
            .expect("the silent connection is closed")
            .unwrap_or(0);
        assert_eq!(n, 0, "closed without an answer");
        loop {
            // Pings may arrive first; the close ends the stream.
            let read = tokio::time::timeout(Duration::from_secs(5), ws.read(&mut buf))
                .await
                .expect("the idle WebSocket is closed");
            if matches!(read, Ok(0) | Err(_)) {
                break;
            }
        }
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "closed after {took:?}");
        // A client that keeps calling is not cut off.
        let (status, _) = post_from(local, gateway, "", SUBNET_LIST).await;
        assert_eq!(status, 200);
    })
    .await;
    if result.is_err() {
        validator.print_tail(40);
        panic!("timed out");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_from_many_addresses_give_way_to_a_new_client() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let (validator, gateway) = validator(dir.path(), &["--gateway-max-connections", "16"]).await;
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        wait_for("the gateway", Duration::from_secs(30), || async {
            let (status, _) = post_from(ip("127.0.0.3"), gateway, "", SUBNET_LIST).await;
            (status == 200).then_some(())
        })
        .await;
        // Sixteen addresses, one silent connection each: every place, reserve included.
        let mut held = Vec::new();
        for i in 1..=16 {
            held.push(
                connect_from(ip(&format!("127.0.1.{i}")), gateway)
                    .await
                    .unwrap(),
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Three new clients in turn, each taking the place of an idle one.
        for client in ["127.0.0.2", "127.0.0.4", "127.0.0.5"] {
            let (status, body) = post_from(ip(client), gateway, "", SUBNET_LIST).await;
            assert_eq!(status, 200, "{client}: a new client is served");
            assert_eq!(body.unwrap()["result"][0]["netuid"], 1);
        }
        drop(held);
    })
    .await;
    if result.is_err() {
        validator.print_tail(40);
        panic!("timed out");
    }
}
