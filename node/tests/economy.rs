//! End-to-end: the economy on a real `mindos-node --dev`. The demo subnets are there from
//! genesis; a coldkey registers a hotkey (paying the burn, protected by `max_burn`), the
//! hotkey serves its endpoint, stake is delegated to it, and `mindos_*` JSON-RPC shows it
//! all. Bad input to `mindos_*` gets typed errors; the sentinels' reads answer (empty on a
//! fresh chain).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use anyhow::{Context, Result};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_chain_client::runtime::{
    self,
    runtime_types::{
        mindos_primitives::{
            neuron::{DeviceClass, DeviceProfile, PowerSource},
            NetUid,
        },
        sp_runtime::MultiSignature,
    },
};
use mindos_chain_client::{
    neuron::{hotkey_consent, NodeKey, Served},
    ChainClient,
};
use mindos_runtime::MIND;
use mindos_test_utils::DevNode;
use subxt::utils::AccountId32;
use subxt_signer::{sr25519::dev, sr25519::Keypair};

fn hotkey() -> Keypair {
    mindos_test_utils::key("//MindosEconomyHotkey")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_serve_stake_and_read_the_metagraph_over_rpc() -> Result<()> {
    common::on_dev_node(scenario).await
}

async fn scenario(node: DevNode, client: ChainClient, http: HttpClient) -> Result<()> {
    // --- the demo subnets from genesis ---
    let subnets: serde_json::Value = http.request("mindos_subnets", rpc_params![]).await?;
    let subnets = subnets
        .as_array()
        .context("mindos_subnets returns a list")?;
    let names: Vec<&str> = subnets.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["text-embedding", "digits"]);
    let digits: serde_json::Value = http.request("mindos_subnet", rpc_params![1]).await?;
    assert_eq!(digits["netuid"], 1);
    assert_eq!(digits["task"]["scoring_rule"], "Correctness");
    assert_eq!(
        digits["task"]["model_digest"],
        "0xc8699f306b3e2ce667e7bc9e284d080bc066d34ccbf2e2250d739192df5eb0ec"
    );
    assert_eq!(digits["neurons"], 0);
    let price: u128 = digits["registrationBurn"]
        .as_str()
        .context("burn is a decimal string")?
        .parse()?;
    assert_eq!(price, MIND, "a fresh subnet costs the floor");

    // --- bad input to mindos_* ---
    let unknown = rpc_error_code(&http, "mindos_subnet", rpc_params![77]).await;
    assert_eq!(unknown.0, 4001, "unknown subnet, got {unknown:?}");
    assert!(unknown.1.contains("unknown subnet 77"), "got {unknown:?}");
    let wrong_type = rpc_error_code(&http, "mindos_metagraph", rpc_params!["digits"]).await;
    assert_eq!(wrong_type.0, -32602, "invalid params, got {wrong_type:?}");
    let unknown_graph = rpc_error_code(&http, "mindos_metagraph", rpc_params![77]).await;
    assert_eq!(unknown_graph.0, 4001, "got {unknown_graph:?}");
    let missing = rpc_error_code(&http, "mindos_subnet", rpc_params![]).await;
    assert_eq!(
        missing.0, -32602,
        "a missing netuid is invalid params, got {missing:?}"
    );

    // --- the sentinels' read side: nobody to judge on a fresh chain ---
    let quarantines: serde_json::Value = http.request("mindos_quarantines", rpc_params![1]).await?;
    assert_eq!(quarantines, serde_json::json!([]));
    let cases: serde_json::Value = http.request("mindos_cases", rpc_params![]).await?;
    assert_eq!(cases, serde_json::json!({"cases": [], "audits": []}));
    let typed = client.sentinels().cases(None).await?;
    assert!(typed.cases.is_empty() && typed.audits.is_empty());
    // No validators, no committee: the error names the epochs the chain holds (none).
    let no_committee = rpc_error_code(&http, "mindos_committee", rpc_params![1, 999]).await;
    assert_eq!(
        no_committee.0, 4003,
        "committee not stored, got {no_committee:?}"
    );
    assert!(
        no_committee.1.contains("sentinel epoch 999"),
        "got {no_committee:?}"
    );
    for method in ["mindos_committee", "mindos_cases", "mindos_quarantines"] {
        let unknown = rpc_error_code(&http, method, rpc_params![77]).await;
        assert_eq!(unknown.0, 4001, "{method}: unknown subnet, got {unknown:?}");
    }

    // --- Bob registers a hotkey on the digits subnet ---
    let bob = dev::bob();
    let bob_id: AccountId32 = bob.public_key().into();
    let hot = hotkey();
    let hot_id: AccountId32 = hot.public_key().into();
    // The hotkey consents to Bob's coldkey owning it (its first registration needs that).
    let consent = || {
        Some(MultiSignature::Sr25519(hotkey_consent(
            &hot,
            &client.genesis_hash(),
            &bob_id,
        )))
    };
    // A max_burn below the price is refused and costs only the fee.
    let too_cheap =
        runtime::transactions()
            .neurons()
            .register(NetUid(1), hot_id, price - 1, consent());
    let err = client
        .submit(&too_cheap, &bob)
        .await
        .expect_err("max_burn below the price")
        .to_string();
    assert!(err.contains("BurnAboveMax"), "got: {err}");

    let bob_before = client.free_balance(&bob_id).await?;
    // Without the hotkey's consent, or with a consent to another coldkey, Bob cannot bind it.
    let unconsented = runtime::transactions()
        .neurons()
        .register(NetUid(1), hot_id, price, None);
    let err = client
        .submit(&unconsented, &bob)
        .await
        .expect_err("no consent")
        .to_string();
    assert!(err.contains("MissingHotkeyConsent"), "got: {err}");
    let to_charlie = Some(MultiSignature::Sr25519(hotkey_consent(
        &hot,
        &client.genesis_hash(),
        &dev::charlie().public_key().into(),
    )));
    let misdirected =
        runtime::transactions()
            .neurons()
            .register(NetUid(1), hot_id, price, to_charlie);
    let err = client
        .submit(&misdirected, &bob)
        .await
        .expect_err("a consent to Charlie")
        .to_string();
    assert!(err.contains("BadHotkeyConsent"), "got: {err}");
    let register = runtime::transactions()
        .neurons()
        .register(NetUid(1), hot_id, price, consent());
    client.submit(&register, &bob).await?;
    let bob_after = client.free_balance(&bob_id).await?;
    assert!(bob_before - bob_after >= price, "Bob paid the burn");

    // The hotkey needs funds for its own fees, then serves its endpoint.
    client.transfer_keep_alive(&bob, hot_id, 10 * MIND).await?;
    // The node key proves the hotkey may serve its PeerId.
    let node_key = NodeKey::ed25519_from_bytes([7u8; 32])?;
    let peer_id = node_key.public().to_peer_id().to_bytes();
    let multiaddr = vec![0x04, 127, 0, 0, 1, 0x06, 0x75, 0x30];
    let served = client
        .serve(
            &hot,
            &node_key,
            mindos_primitives::NetUid(1),
            vec![multiaddr.clone()],
            DeviceProfile {
                class: DeviceClass::Laptop,
                compute_score: 42,
                power: PowerSource::Battery,
                region: *b"DE",
            },
        )
        .await?;
    assert_eq!(served, Served::Published);

    // Charlie delegates 500 MIND to the hotkey.
    let stake = runtime::transactions()
        .stake()
        .add_stake(hot_id, 500 * MIND);
    client.submit(&stake, &dev::charlie()).await?;

    // --- the metagraph shows all of it ---
    let graph: serde_json::Value = http.request("mindos_metagraph", rpc_params![1]).await?;
    let graph = graph.as_array().context("metagraph is a list")?;
    assert_eq!(graph.len(), 1);
    let neuron = &graph[0];
    assert_eq!(neuron["uid"], 0);
    assert_eq!(
        neuron["hotkey"],
        serde_json::to_value(sp_core_account(&hot_id))?
    );
    assert_eq!(
        neuron["coldkey"],
        serde_json::to_value(sp_core_account(&bob_id))?
    );
    assert_eq!(neuron["stake"], (500 * MIND).to_string());
    assert_eq!(neuron["immune"], true);
    assert_eq!(
        neuron.get("quarantinedUntil"),
        Some(&serde_json::Value::Null),
        "not quarantined"
    );
    assert_eq!(neuron["device"]["class"], "Laptop");
    assert_eq!(neuron["device"]["power"], "Battery");
    assert_eq!(
        neuron["endpoint"]["peer_id"],
        format!("0x{}", hex(&peer_id))
    );
    assert_eq!(
        neuron["endpoint"]["multiaddrs"][0],
        format!("0x{}", hex(&multiaddr))
    );
    // Pages: uid slots `offset .. offset + limit`; the slot after the last is empty.
    let page: serde_json::Value = http
        .request(
            "mindos_metagraph",
            rpc_params![1, Option::<String>::None, 0, 1],
        )
        .await?;
    assert_eq!(page, serde_json::Value::Array(graph.clone()));
    let past: serde_json::Value = http
        .request(
            "mindos_metagraph",
            rpc_params![1, Option::<String>::None, 1, 10],
        )
        .await?;
    assert_eq!(past, serde_json::json!([]));
    let digits: serde_json::Value = http.request("mindos_subnet", rpc_params![1]).await?;
    assert_eq!(digits["neurons"], 1);
    let new_price: u128 = digits["registrationBurn"].as_str().unwrap().parse()?;
    assert!(new_price > price, "the price rose after a registration");

    node.stop().await;
    Ok(())
}

/// The JSON-RPC error code and message a call gets; panics if the call succeeds.
async fn rpc_error_code(
    http: &jsonrpsee::http_client::HttpClient,
    method: &str,
    params: jsonrpsee::core::params::ArrayParams,
) -> (i32, String) {
    match http.request::<serde_json::Value, _>(method, params).await {
        Err(jsonrpsee::core::client::Error::Call(e)) => (e.code(), e.message().to_string()),
        other => panic!("{method} should fail with a JSON-RPC error, got {other:?}"),
    }
}

/// How the node's JSON shows an account: SS58 with the MindOS prefix.
fn sp_core_account(id: &AccountId32) -> String {
    use sp_core::crypto::{Ss58AddressFormat, Ss58Codec};
    sp_core::crypto::AccountId32::new(id.0)
        .to_ss58check_with_version(Ss58AddressFormat::custom(2424))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
