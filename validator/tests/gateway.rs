//! The gateway on a private mesh (no chain): real `mindos-miner` and `mindos-validator`
//! binaries on loopback.
//!
//! 1. Three digits miners; `subnet_query` answers held-out samples with their labels at
//!    redundancy 2 and 3, `subnet_list`, `subnet_info`, `validator_status` and `mesh_peers`
//!    describe them; `network_overview` needs a chain.
//! 2. Bad input — malformed JSON, unknown method, wrong types, an oversized body, an
//!    oversized or malformed input, an unknown subnet, bad options — gets the documented
//!    errors, and the gateway keeps serving.
//! 3. A client over its call rate is refused with `rate_limited`, others are not.
//! 4. `mesh_peers` and redundancy 1 or above 3 need an API key.
//! 5. The OpenRPC document, `rpc.discover`, the README and the code agree on methods, error
//!    codes and the public redundancy range.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use mindos_primitives::NetUid;
use std::{collections::BTreeSet, net::SocketAddr, time::Duration};

use common::{code_of, local_digits_label, post_raw, query, VALIDATOR_BIN};
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_mesh::libp2p::multiaddr::Protocol;
use mindos_subnets::{EngineConfig, Output};
use mindos_test_utils::{
    http_client, node_key_peer, spawn_validator, wait_for, write_node_key, AddrLine, Proc,
};
use mindos_validator::gateway::{
    self, GatewayApiServer, ERROR_CODES, INVALID_INPUT, RATE_LIMITED, UNAUTHORIZED, UNKNOWN_SUBNET,
};
use mindos_validator::settings::{MAX_PUBLIC_REDUNDANCY, MIN_PUBLIC_REDUNDANCY};
use serde_json::{json, Value};

const DIGITS: NetUid = NetUid(1);
/// The API key the private mesh's gateway accepts.
const API_KEY: &str = "test-key-0123456789abcdef";

/// A client that presents [`API_KEY`].
fn operator_client(addr: SocketAddr) -> jsonrpsee::http_client::HttpClient {
    mindos_test_utils::operator_client(addr, API_KEY)
}

struct Mesh {
    _miners: Vec<Proc>,
    validator: Proc,
    gateway: SocketAddr,
}

async fn private_mesh(dir: &std::path::Path, extra: &[&str]) -> Mesh {
    let api_keys = dir.join("api-keys");
    std::fs::write(&api_keys, format!("# operators\n{API_KEY}\n")).unwrap();
    let validator_key = dir.join("validator.key");
    let validator_peer = write_node_key(&validator_key, 10);
    let keys = [11u8, 12, 13];
    let mut miners: Vec<Proc> = keys
        .iter()
        .enumerate()
        .map(|(i, &key)| {
            common::miner(dir, &format!("miner{i}"), DIGITS, key, None).spawn(&[
                "--no-chain".into(),
                "--subnet".into(),
                "digits".into(),
                "--allow-peer".into(),
                validator_peer.to_string(),
            ])
        })
        .collect();
    // Each miner picked its own port; the validator is told where they are.
    let mut miner_flags = Vec::new();
    for (proc, key) in miners.iter_mut().zip(keys) {
        let addr = proc
            .multiaddr(AddrLine::MESH)
            .await
            .with(Protocol::P2p(node_key_peer(key)));
        miner_flags.push("--miner".to_owned());
        miner_flags.push(format!("{DIGITS}={addr}"));
    }
    let mut args: Vec<String> = vec![
        "--no-chain".into(),
        "--subnet".into(),
        format!("{DIGITS}=digits"),
        "--node-key-file".into(),
        validator_key.to_str().unwrap().into(),
        "--no-metrics".into(),
        "--challenge-interval-ms".into(),
        "300".into(),
        "--gateway-max-request-bytes".into(),
        "16384".into(),
        "--gateway-api-keys".into(),
        api_keys.to_str().unwrap().into(),
    ];
    args.extend(miner_flags);
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut validator = spawn_validator(
        std::path::Path::new(VALIDATOR_BIN),
        dir,
        &args,
        &dir.join("validator.log"),
    );
    let gateway = validator.socket_addr(AddrLine::GATEWAY).await;
    Mesh {
        _miners: miners,
        validator,
        gateway,
    }
}

fn digits() -> std::sync::Arc<dyn mindos_subnets::SubnetEngine> {
    mindos_subnets::load("digits", &EngineConfig::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_bad_input_and_documentation() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    // One client makes every call of the scenario: above the public default rate.
    let mesh = private_mesh(dir.path(), &["--gateway-rate", "200"]).await;
    let result = tokio::time::timeout(Duration::from_secs(180), scenario(&mesh)).await;
    if !matches!(result, Ok(())) {
        mesh.validator.print_tail(40);
        panic!("scenario failed or timed out");
    }
}

async fn scenario(mesh: &Mesh) {
    let client = http_client(mesh.gateway);
    // Up once every miner has answered a challenge.
    wait_for("three scored miners", Duration::from_secs(60), || async {
        let info: Value = client
            .request("subnet_info", rpc_params![DIGITS])
            .await
            .ok()?;
        let miners = info["miners"].as_array()?;
        (miners.len() == 3 && miners.iter().all(|m| m["samples"].as_u64() > Some(0))).then_some(())
    })
    .await;

    // 1. Held-out samples get the class the subnet's model gives them (the miners run the
    // same model), which is the true label for nearly all of them.
    let engine = digits();
    let mut right = 0;
    for (i, redundancy) in (0..20usize).zip([2u32, 3].into_iter().cycle()) {
        let index = i * 17 % engine.validation_len();
        let challenge = engine.challenge(index).unwrap();
        let Output::Digits(reference) = &challenge.reference else {
            panic!("a digits reference");
        };
        let local_label = local_digits_label(&*engine, &challenge.input);
        let answer = query(
            &client,
            DIGITS,
            serde_json::to_value(&challenge.input).unwrap(),
            json!({"redundancy": redundancy, "timeout_ms": 10_000}),
        )
        .await
        .unwrap();
        let label = answer["output"]["label"].as_u64().unwrap();
        assert_eq!(label, u64::from(local_label), "sample {index}: {answer}");
        if label == u64::from(reference.label) {
            right += 1;
        }
        let served = answer["served_by"].as_array().unwrap();
        assert_eq!(served.len(), redundancy as usize, "{answer}");
        let uids: BTreeSet<u64> = served.iter().map(|s| s["uid"].as_u64().unwrap()).collect();
        assert_eq!(uids.len(), served.len(), "distinct miners: {answer}");
        assert!((answer["agreement"].as_f64().unwrap() - 1.0).abs() < 1e-6);
    }
    eprintln!("held-out digits through the gateway: {right} of 20 right");
    assert!(right >= 18, "{right} of 20 right");
    let list: Value = client.request("subnet_list", rpc_params![]).await.unwrap();
    assert_eq!(list[0]["netuid"], DIGITS.0);
    assert_eq!(list[0]["name"], "digits");
    assert_eq!(list[0]["scoring_rule"], "correctness");
    assert_eq!(list[0]["miners"], 3);
    // What the dashboard reads: the validator's own view, public; no chain to overview.
    let status: Value = client
        .request("validator_status", rpc_params![])
        .await
        .unwrap();
    assert_eq!(status["finalized"], Value::Null, "{status}");
    let miners = status["subnets"][0]["miners"].as_array().unwrap();
    assert_eq!(miners.len(), 3, "{status}");
    assert!(
        miners
            .iter()
            .all(|m| !m["latency_ms"].as_array().unwrap().is_empty()),
        "every scored miner has latencies: {status}"
    );
    let overview: Result<Value, _> = client.request("network_overview", rpc_params![]).await;
    assert_eq!(code_of(overview), gateway::CHAIN_UNAVAILABLE);
    // The mesh's peers are for operators (an API key) only.
    let public: Result<Value, _> = client.request("mesh_peers", rpc_params![]).await;
    assert_eq!(code_of(public), UNAUTHORIZED);
    let operator = operator_client(mesh.gateway);
    let peers: Value = operator.request("mesh_peers", rpc_params![]).await.unwrap();
    assert!(
        peers
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["connected"] == true)
            .count()
            >= 3,
        "{peers}"
    );

    // 2. Bad input gets documented errors.
    let port = mesh.gateway;
    let (status, body) = post_raw(port, b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":").await;
    assert_eq!(
        body.unwrap()["error"]["code"],
        -32700,
        "malformed JSON ({status})"
    );
    let (_, body) = post_raw(
        port,
        br#"{"jsonrpc":"2.0","id":1,"method":"subnet_destroy","params":[]}"#,
    )
    .await;
    assert_eq!(body.unwrap()["error"]["code"], -32601, "unknown method");
    let (_, body) = post_raw(
        port,
        br#"{"jsonrpc":"2.0","id":1,"method":"subnet_info","params":["one"]}"#,
    )
    .await;
    assert_eq!(body.unwrap()["error"]["code"], -32602, "wrong type");
    let (_, body) = post_raw(
        port,
        br#"{"jsonrpc":"2.0","id":1,"method":"subnet_query","params":[1,{"pixels":[0]},{"redundancy":"many"}]}"#,
    )
    .await;
    assert_eq!(body.unwrap()["error"]["code"], -32602, "wrong option type");
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"subnet_query","params":[1,{{"text":"{}"}}]}}"#,
        "a".repeat(64 * 1024)
    );
    let (status, body) = post_raw(port, huge.as_bytes()).await;
    assert_eq!(status, 413, "oversized body");
    assert_eq!(body.unwrap()["error"]["code"], -32007);
    let bad_inputs = [
        json!({"pixels": [0]}),
        json!({"pixels": vec![99; 64]}),
        // Over the gateway's inline limit: checked on a blocking thread, refused the same.
        json!({"pixels": vec![1000.25; 64]}),
        json!({"text": "digits want pixels"}),
        json!([1, 2, 3]),
    ];
    for input in bad_inputs {
        assert_eq!(
            code_of(query(&client, DIGITS, input.clone(), json!({})).await),
            INVALID_INPUT,
            "{input}"
        );
    }
    let sample = serde_json::to_value(&engine.challenge(0).unwrap().input).unwrap();
    // One miner, or above 3, needs an API key, and 16 at most.
    let lone = json!({"redundancy": 1});
    assert_eq!(
        code_of(query(&client, DIGITS, sample.clone(), lone.clone()).await),
        INVALID_INPUT
    );
    let answer = query(&operator, DIGITS, sample.clone(), lone)
        .await
        .unwrap();
    assert_eq!(answer["served_by"].as_array().unwrap().len(), 1, "{answer}");
    let wide = json!({"redundancy": 4});
    assert_eq!(
        code_of(query(&client, DIGITS, sample.clone(), wide.clone()).await),
        INVALID_INPUT
    );
    let answer = query(&operator, DIGITS, sample.clone(), wide)
        .await
        .unwrap();
    assert_eq!(answer["served_by"].as_array().unwrap().len(), 3, "{answer}");
    for options in [
        json!({"redundancy": 0}),
        json!({"redundancy": 17}),
        json!({"timeout_ms": 0}),
        json!({"min_agreement": 1.5}),
    ] {
        assert_eq!(
            code_of(query(&client, DIGITS, sample.clone(), options.clone()).await),
            INVALID_INPUT,
            "{options}"
        );
    }
    let unknown_option: Result<Value, _> = client
        .request(
            "subnet_query",
            rpc_params![DIGITS, sample.clone(), json!({"redundnacy": 2})],
        )
        .await;
    assert_eq!(code_of(unknown_option), -32602, "a misspelt option");
    assert_eq!(
        code_of(query(&client, NetUid(77), sample.clone(), json!({})).await),
        UNKNOWN_SUBNET
    );
    let info: Result<Value, _> = client.request("subnet_info", rpc_params![77]).await;
    assert_eq!(code_of(info), UNKNOWN_SUBNET);
    // … and it keeps serving, long inputs too (checked on a blocking thread).
    let long_but_valid = json!({"pixels": vec![0.000_001_25; 64]});
    assert!(long_but_valid.to_string().len() > 256);
    query(&client, DIGITS, long_but_valid, json!(null))
        .await
        .unwrap();
    let answer = query(&client, DIGITS, sample, json!(null)).await.unwrap();
    let local_label = local_digits_label(&*engine, &engine.challenge(0).unwrap().input);
    assert_eq!(answer["output"]["label"], local_label);

    // 4. Documentation and code agree.
    documentation_matches(&client).await;
}

/// A stub implementation of the API: if a method is added to the trait, this stops
/// compiling until the test (and so the documentation check) is updated.
struct Stub;

#[jsonrpsee::core::async_trait]
impl GatewayApiServer for Stub {
    fn subnet_list(&self) -> jsonrpsee::core::RpcResult<Vec<gateway::SubnetSummary>> {
        Ok(Vec::new())
    }
    fn subnet_info(&self, _: NetUid) -> jsonrpsee::core::RpcResult<gateway::SubnetDetail> {
        Err(jsonrpsee::types::ErrorObjectOwned::owned(
            UNKNOWN_SUBNET,
            "stub",
            None::<()>,
        ))
    }
    async fn subnet_query(
        &self,
        _: &jsonrpsee::server::Extensions,
        _: NetUid,
        _: Value,
        _: Option<gateway::QueryOptions>,
    ) -> jsonrpsee::core::RpcResult<gateway::QueryResult> {
        Err(jsonrpsee::types::ErrorObjectOwned::owned(
            UNKNOWN_SUBNET,
            "stub",
            None::<()>,
        ))
    }
    async fn mesh_peers(
        &self,
        _: &jsonrpsee::server::Extensions,
    ) -> jsonrpsee::core::RpcResult<Vec<gateway::PeerSummary>> {
        Ok(Vec::new())
    }
    async fn validator_status(&self) -> jsonrpsee::core::RpcResult<gateway::ValidatorStatus> {
        Err(jsonrpsee::types::ErrorObjectOwned::owned(
            UNKNOWN_SUBNET,
            "stub",
            None::<()>,
        ))
    }
    async fn network_overview(
        &self,
    ) -> jsonrpsee::core::RpcResult<Box<serde_json::value::RawValue>> {
        Err(jsonrpsee::types::ErrorObjectOwned::owned(
            gateway::CHAIN_UNAVAILABLE,
            "stub",
            None::<()>,
        ))
    }
    async fn subscribe_blocks(
        &self,
        _: jsonrpsee::PendingSubscriptionSink,
    ) -> jsonrpsee::core::SubscriptionResult {
        Ok(())
    }
    fn discover(&self) -> jsonrpsee::core::RpcResult<Value> {
        Ok(Value::Null)
    }
}

async fn documentation_matches(client: &jsonrpsee::http_client::HttpClient) {
    let document: Value = serde_json::from_str(gateway::OPENRPC).unwrap();
    let documented: BTreeSet<String> = document["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    let registered: BTreeSet<String> = Stub.into_rpc().method_names().map(str::to_owned).collect();
    assert_eq!(documented, registered, "openrpc.json vs the code");
    let codes: BTreeSet<i64> = document["components"]["errors"]
        .as_object()
        .unwrap()
        .values()
        .map(|e| e["code"].as_i64().unwrap())
        .collect();
    let in_code: BTreeSet<i64> = ERROR_CODES.iter().map(|(c, _)| i64::from(*c)).collect();
    assert_eq!(codes, in_code, "openrpc.json error codes vs the code");
    let served: Value = client.request("rpc.discover", rpc_params![]).await.unwrap();
    assert_eq!(served, document);
    // The runtime value: cargo reuses test binaries when the workspace moves.
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let readme = std::fs::read_to_string(format!("{crate_dir}/README.md")).unwrap();
    for method in &documented {
        assert!(
            readme.contains(&format!("`{method}`")),
            "README lacks `{method}`"
        );
    }
    for (code, name) in ERROR_CODES {
        assert!(
            readme.contains(&code.to_string()) && readme.contains(name),
            "README lacks {code} {name}"
        );
    }
    // The redundancy a client without an API key may ask for.
    let public = format!("{MIN_PUBLIC_REDUNDANCY}..={MAX_PUBLIC_REDUNDANCY}");
    assert!(
        readme.contains(&format!("redundancy: {public}")),
        "README lacks redundancy {public}"
    );
    let options = document["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "subnet_query")
        .unwrap()
        .to_string();
    assert!(
        options.contains(&format!("{public} without an API key")),
        "openrpc.json lacks redundancy {public}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_is_refused() {
    mindos_test_utils::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let mesh = private_mesh(
        dir.path(),
        &["--gateway-rate", "5", "--gateway-concurrency", "4"],
    )
    .await;
    let result = tokio::time::timeout(Duration::from_secs(120), async {
        let client = http_client(mesh.gateway);
        wait_for("the gateway", Duration::from_secs(60), || async {
            client
                .request::<Value, _>("subnet_list", rpc_params![])
                .await
                .ok()
        })
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await; // refill the burst
        let mut limited = 0;
        for _ in 0..30 {
            match client
                .request::<Value, _>("subnet_list", rpc_params![])
                .await
            {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(code_of::<Value>(Err(e)), RATE_LIMITED);
                    limited += 1;
                }
            }
        }
        // A burst of 10 tokens, refilled at 5 per second.
        assert!((15..=20).contains(&limited), "{limited} of 30 refused");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        client
            .request::<Value, _>("subnet_list", rpc_params![])
            .await
            .expect("served again after a pause");
    })
    .await;
    if result.is_err() {
        mesh.validator.print_tail(40);
        panic!("timed out");
    }
}
