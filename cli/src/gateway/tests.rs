//! The gateway client against the validator's README and `scripts/run.sh`, and each failure
//! against a canned HTTP server: its message and exit code.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

/// The validator's README, the gateway's documented contract.
fn validator_readme() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../validator/README.md"
    ))
    .unwrap()
}

#[test]
fn error_codes_limits_and_ranges_are_the_gateways_documented_ones() {
    let readme = validator_readme();
    for (code, name) in [
        (UNKNOWN_SUBNET, "unknown_subnet"),
        (NO_MINER_AVAILABLE, "no_miner_available"),
        (TIMEOUT, "timeout"),
        (INVALID_INPUT, "invalid_input"),
        (RATE_LIMITED, "rate_limited"),
        (LOW_AGREEMENT, "low_agreement"),
        (UNAUTHORIZED, "unauthorized"),
    ] {
        let row = format!("| {code} | `{name}` |");
        assert!(
            readme.contains(&row),
            "validator/README.md has no row {row}"
        );
    }
    for (code, name) in [
        (METHOD_NOT_FOUND, "method not found"),
        (INVALID_PARAMS, "invalid params"),
        (REQUEST_TOO_BIG, "request too big"),
    ] {
        let row = format!("| {code} | {name} |");
        assert!(
            readme.contains(&row),
            "validator/README.md has no row {row}"
        );
    }
    for row in [
        format!("| `--gateway-rate` | {RATE} |"),
        format!("| `--gateway-concurrency` | {CONCURRENCY} |"),
        format!("| `--gateway-max-request-bytes` | {MAX_REQUEST_BYTES} |"),
        format!("| `--gateway-max-connections-per-ip` | {CONNECTIONS_PER_CLIENT} |"),
    ] {
        assert!(
            readme.contains(&row),
            "validator/README.md has no row {row}"
        );
    }
    let options = format!(
        "`{{redundancy: {}..={}, {}..={} with an API key (2), timeout_ms: {}..={}",
        PUBLIC_REDUNDANCY.start(),
        PUBLIC_REDUNDANCY.end(),
        KEYED_REDUNDANCY.start(),
        KEYED_REDUNDANCY.end(),
        TIMEOUT_MS.start(),
        TIMEOUT_MS.end()
    );
    assert!(readme.contains(&options), "validator/README.md: {options}");
    assert!(readme.contains("`{output, agreement, served_by: [{uid, latency_ms}]}`"));
}

#[test]
fn the_default_gateway_is_the_one_run_sh_starts() {
    let script =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/run.sh")).unwrap();
    let port = DEFAULT_GATEWAY.rsplit(':').next().unwrap();
    assert!(
        script.contains(&format!("gateway_port=${{MINDOS_GATEWAY_PORT:-{port}}}")),
        "scripts/run.sh starts its gateway elsewhere than {DEFAULT_GATEWAY}"
    );
    assert!(script.contains("--gateway-addr \"127.0.0.1:$gateway_port\""));
}

#[test]
fn gateway_urls_are_http_or_host_and_port() {
    assert_eq!(parse_url("http://x:1/").unwrap(), "http://x:1");
    assert_eq!(
        parse_url("https://gw.example").unwrap(),
        "https://gw.example"
    );
    assert_eq!(
        parse_url("127.0.0.1:9933").unwrap(),
        "http://127.0.0.1:9933"
    );
    let ws = parse_url("ws://127.0.0.1:9933").unwrap_err().to_string();
    assert!(ws.contains("use http://127.0.0.1:9933"), "{ws}");
    let wss = parse_url("wss://gw:443").unwrap_err().to_string();
    assert!(wss.contains("use https://gw:443"), "{wss}");
    assert!(parse_url("ftp://x").is_err());
    assert!(parse_url(" ").is_err());
}

#[test]
fn options_leave_out_what_the_user_did_not_set() {
    let none = serde_json::to_value(QueryOptions::default()).unwrap();
    assert_eq!(none, serde_json::json!({}));
    let some = QueryOptions {
        redundancy: Some(3),
        timeout_ms: None,
        min_agreement: Some(0.75),
    };
    assert_eq!(
        serde_json::to_value(some).unwrap(),
        serde_json::json!({"redundancy": 3, "min_agreement": 0.75})
    );
}

#[test]
fn api_keys_come_from_the_first_line_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, "k-0123456789abcdef\nignored\n").unwrap();
    assert_eq!(
        api_key(Some(&file)).unwrap().unwrap().as_str(),
        "k-0123456789abcdef"
    );
    std::fs::write(&file, "\n").unwrap();
    assert!(api_key(Some(&file)).is_err());
    assert!(api_key(Some(&dir.path().join("missing"))).is_err());
}

/// A one-shot HTTP server on loopback that answers every connection with `body` under
/// `status`; returns its URL.
async fn canned(status: &'static str, body: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = vec![0u8; 64 * 1024];
            let _ = stream.read(&mut request).await;
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: \
                 {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    format!("http://{addr}")
}

async fn answered(code: i32, message: &str) -> GatewayError {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "error": {"code": code, "message": message}
    })
    .to_string();
    let url = canned("200 OK", body).await;
    let gateway = Gateway::new(&url, None, Duration::from_secs(5)).unwrap();
    gateway
        .query(
            7,
            &serde_json::json!({"text": "x"}),
            &QueryOptions::default(),
        )
        .await
        .unwrap_err()
}

#[tokio::test]
async fn each_gateway_error_has_its_exit_code_and_says_what_happened() {
    let cases: [(i32, u8, &str); 10] = [
        (UNKNOWN_SUBNET, EXIT_INPUT, "serves no subnet 7"),
        (INVALID_INPUT, EXIT_INPUT, "as invalid input: why"),
        (INVALID_PARAMS, EXIT_INPUT, "refused the parameters"),
        (UNAUTHORIZED, EXIT_INPUT, "needs a gateway API key"),
        (REQUEST_TOO_BIG, EXIT_INPUT, "65536"),
        (RATE_LIMITED, EXIT_CHAIN, "rate limited by the gateway"),
        (
            NO_MINER_AVAILABLE,
            EXIT_CHAIN,
            "no miner could answer on subnet 7",
        ),
        (TIMEOUT, EXIT_CHAIN, "--timeout-ms"),
        (LOW_AGREEMENT, EXIT_CHAIN, "agree too little"),
        (
            METHOD_NOT_FOUND,
            EXIT_CHAIN,
            "is it a MindOS validator gateway?",
        ),
    ];
    for (code, exit, says) in cases {
        let error = answered(code, "why").await;
        assert_eq!(error.code, Some(code));
        assert_eq!(error.exit_code(), exit, "{code}: {error}");
        assert!(error.to_string().contains(says), "{code}: {error}");
        let wrapped = anyhow::Error::from(error).context("querying");
        assert_eq!(crate::exit_code(&wrapped), exit, "{code}");
    }
    let rate = answered(RATE_LIMITED, "why").await.to_string();
    assert!(
        rate.contains("5 calls a second") && rate.contains("bursts of 10"),
        "{rate}"
    );
}

#[tokio::test]
async fn http_refusals_and_silence_are_told_apart() {
    let url = canned("413 Payload Too Large", String::new()).await;
    let gateway = Gateway::new(&url, None, Duration::from_secs(5)).unwrap();
    let error = gateway.subnet_list().await.unwrap_err();
    assert_eq!(
        (error.kind, error.exit_code()),
        (GatewayErrorKind::BadInput, EXIT_INPUT)
    );
    assert!(error.to_string().contains("too large"), "{error}");

    let url = canned("403 Forbidden", String::new()).await;
    let gateway = Gateway::new(&url, None, Duration::from_secs(5)).unwrap();
    let error = gateway.subnet_list().await.unwrap_err();
    assert_eq!(error.exit_code(), EXIT_CHAIN);
    assert!(error.to_string().contains("HTTP 403"), "{error}");

    // Something answers, but not a gateway: HTML, or JSON-RPC of another shape.
    for body in [
        "<html>not json</html>",
        r#"{"jsonrpc": "2.0", "id": 0, "result": 42}"#,
    ] {
        let url = canned("200 OK", body.into()).await;
        let gateway = Gateway::new(&url, None, Duration::from_secs(5)).unwrap();
        let error = gateway.subnet_list().await.unwrap_err();
        assert_eq!(
            (error.kind, error.exit_code()),
            (GatewayErrorKind::Failed, EXIT_CHAIN)
        );
        assert!(
            error.to_string().contains("MindOS validator gateway?"),
            "{error}"
        );
    }

    // A connection taken and dropped at once, as a gateway over its connection caps
    // does: the gateway is there, but closed it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            // Closing with unread data, or with linger 0, sends a reset.
            let _ = stream.set_zero_linger();
            drop(stream);
        }
    });
    let gateway = Gateway::new(&format!("http://{addr}"), None, Duration::from_secs(5)).unwrap();
    let error = gateway.subnet_list().await.unwrap_err();
    assert_eq!(
        (error.kind, error.exit_code()),
        (GatewayErrorKind::Failed, EXIT_CHAIN)
    );
    assert!(
        error.to_string().contains("closed the connection"),
        "{error}"
    );

    // Nothing listens: unreachable, with the reason.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let gateway = Gateway::new(&url, None, Duration::from_secs(5)).unwrap();
    let error = gateway.subnet_list().await.unwrap_err();
    assert_eq!(
        (error.kind, error.exit_code()),
        (GatewayErrorKind::Unreachable, EXIT_CHAIN)
    );
    assert!(
        error.to_string().contains("cannot reach the gateway"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unknown_subnet_names_those_served() {
    let error = answered(UNKNOWN_SUBNET, "no").await;
    let served = [
        SubnetSummary {
            netuid: 0,
            name: "text-embedding".into(),
        },
        SubnetSummary {
            netuid: 1,
            name: "digits".into(),
        },
    ];
    let told = error.unknown_subnet(Some(&served)).to_string();
    assert!(
        told.ends_with("serves no subnet 7 (it serves 0 `text-embedding`, 1 `digits`)"),
        "{told}"
    );
}
