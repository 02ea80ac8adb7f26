//! Reading a Prometheus endpoint (the node's, the miner's, the validator's) over plain HTTP.

use std::net::SocketAddr;

use crate::http_get;

/// The text exposition at `http://addr/metrics`.
pub async fn scrape(addr: SocketAddr) -> String {
    http_get(addr, "/metrics").await
}

/// The value of the sample `name` (labels included, e.g. `requests_total{outcome="ok"}`) in
/// the exposition `metrics`; panics, showing `metrics`, if there is none.
pub fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in:\n{metrics}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    const EXPOSITION: &str = "# HELP requests_total Requests.\n\
        # TYPE requests_total counter\n\
        requests_total{outcome=\"ok\"} 3\n\
        requests_total{outcome=\"refused\"} 1\n\
        batch_size_sum 8.5\n";

    #[test]
    fn samples_by_name_and_labels() {
        assert_eq!(sample(EXPOSITION, "requests_total{outcome=\"ok\"}"), 3.0);
        assert_eq!(
            sample(EXPOSITION, "requests_total{outcome=\"refused\"}"),
            1.0
        );
        assert_eq!(sample(EXPOSITION, "batch_size_sum"), 8.5);
    }

    #[test]
    #[should_panic(expected = "no sample batch_size")]
    fn a_missing_sample_panics() {
        // A prefix of a name is not the sample.
        sample(EXPOSITION, "batch_size");
    }

    #[tokio::test]
    async fn scrape_returns_the_body() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 256];
            let n = socket.read(&mut request).await.unwrap();
            assert!(request.starts_with(b"GET /metrics HTTP/1.0"), "{n}");
            socket
                .write_all(b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nup 1\n")
                .await
                .unwrap();
        });
        assert_eq!(scrape(addr).await, "up 1\n");
        server.await.unwrap();
    }
}
