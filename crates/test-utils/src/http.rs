//! Talking to the processes: JSON-RPC over HTTP, and raw HTTP for what a JSON-RPC client
//! cannot send.

use std::{net::SocketAddr, time::Duration};

use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// How long a JSON-RPC call over [`http_client`] may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A JSON-RPC client over HTTP to `addr` (a node, a gateway, a miner's owner RPC).
pub fn http_client(addr: SocketAddr) -> HttpClient {
    HttpClientBuilder::default()
        .request_timeout(REQUEST_TIMEOUT)
        .build(format!("http://{addr}"))
        .unwrap_or_else(|e| panic!("JSON-RPC client for {addr}: {e}"))
}

/// A JSON-RPC client for `addr` that presents the gateway API key `key` (an operator: the
/// gateway's public limits do not apply).
pub fn operator_client(addr: SocketAddr, key: &str) -> HttpClient {
    let mut headers = jsonrpsee::http_client::HeaderMap::new();
    headers.insert(
        "authorization",
        format!("Bearer {key}")
            .parse()
            .unwrap_or_else(|e| panic!("API key {key:?} as a header: {e}")),
    );
    HttpClientBuilder::default()
        .request_timeout(REQUEST_TIMEOUT)
        .set_headers(headers)
        .build(format!("http://{addr}"))
        .unwrap_or_else(|e| panic!("JSON-RPC client for {addr}: {e}"))
}

/// `GET path` over HTTP/1.0; returns the body.
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    raw_http(
        addr,
        format!("GET {path} HTTP/1.0\r\nhost: localhost\r\n\r\n").as_bytes(),
    )
    .await
}

/// Sends `request` as it is to `addr` and returns what comes back after the headers (the
/// whole answer if it has no header block). The server must close the connection.
pub async fn raw_http(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream
        .write_all(request)
        .await
        .unwrap_or_else(|e| panic!("send to {addr}: {e}"));
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .unwrap_or_else(|e| panic!("read from {addr}: {e}"));
    let text = String::from_utf8_lossy(&response).into_owned();
    match text.split_once("\r\n\r\n") {
        Some((_, body)) => body.to_owned(),
        None => text,
    }
}
