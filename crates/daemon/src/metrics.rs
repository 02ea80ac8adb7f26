//! The plain-HTTP endpoint that serves a Prometheus registry at `/metrics`.
//!
//! Each binary builds and owns its registry (not the process-global one), so several miners
//! or validators can run in one process (tests do); this module only encodes and serves it.

use std::{net::SocketAddr, time::Duration};

use prometheus::{Encoder, Registry, TextEncoder};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

/// Largest request head read; `GET /metrics` needs a few dozen bytes.
const MAX_HEAD: usize = 8 * 1024;

/// The text exposition of every metric in `registry`.
pub fn encode(registry: &Registry) -> Vec<u8> {
    let mut buffer = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&registry.gather(), &mut buffer) {
        tracing::warn!(error = %e, "encoding metrics failed");
    }
    buffer
}

/// Binds `addr` and serves `registry` there until `cancel` fires; returns the bound address
/// (port 0 picks one) and the serving task.
pub async fn start(
    addr: SocketAddr,
    registry: Registry,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "Prometheus metrics at /metrics");
    Ok((bound, tokio::spawn(serve(listener, registry, cancel))))
}

/// Serves `GET /metrics` on `listener` until `cancel` fires.
pub async fn serve(listener: TcpListener, registry: Registry, cancel: CancellationToken) {
    loop {
        let stream = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let registry = registry.clone();
        tokio::spawn(async move {
            let answer = tokio::time::timeout(Duration::from_secs(5), respond(stream, &registry));
            if let Ok(Err(e)) = answer.await {
                tracing::debug!(error = %e, "metrics: request failed");
            }
        });
    }
}

async fn respond(mut stream: TcpStream, registry: &Registry) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut words = line.split(|b| *b == b' ');
    let (method, path) = (words.next(), words.next());
    let (status, content_type, body) = match (method, path) {
        (Some(b"GET"), Some(b"/metrics")) => (
            "200 OK",
            TextEncoder::new().format_type().to_owned(),
            encode(registry),
        ),
        _ => (
            "404 Not Found",
            "text/plain".to_owned(),
            b"try GET /metrics\n".to_vec(),
        ),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.shutdown().await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use prometheus::IntCounter;

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn serves_the_registry_and_nothing_else() {
        let registry = Registry::new();
        let counter = IntCounter::new("test_total", "A test counter").unwrap();
        registry.register(Box::new(counter.clone())).unwrap();
        counter.inc();
        let cancel = CancellationToken::new();
        let (addr, task) = start("127.0.0.1:0".parse().unwrap(), registry, cancel.clone())
            .await
            .unwrap();
        let metrics = get(addr, "/metrics").await;
        assert!(metrics.starts_with("HTTP/1.1 200 OK"), "{metrics}");
        assert!(metrics.contains("test_total 1"), "{metrics}");
        assert!(get(addr, "/").await.starts_with("HTTP/1.1 404"));
        cancel.cancel();
        task.await.unwrap();
    }
}
