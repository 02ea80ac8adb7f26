//! The miner against a real `mindos-node --dev` (the binary the node's tests use,
//! `$CARGO_TARGET_DIR/debug/mindos-node`, built with `--features fast-blocks`; override with
//! `MINDOS_NODE_BIN`: see `mindos_test_utils::node_bin`). One node for all scenarios, in
//! order:
//!
//! 1. a model whose digest differs from subnet 1's TaskSpec stops start-up;
//! 2. an unregistered hotkey without a coldkey stops start-up with instructions, and so does
//!    an unknown subnet; a chain miner without any coldkey (file or address) stops start-up;
//! 3. a hotkey another coldkey registered first stops start-up, naming both coldkeys;
//! 4. a miner registers (Bob's coldkey pays), funds its hotkey and serves its endpoint, which
//!    the metagraph shows; another hotkey cannot serve the miner's PeerId; a caller is refused
//!    until it is bound on chain to a hotkey with a validator permit, then answered;
//! 5. its answers to requests with challenge terms are signed for this chain (its genesis
//!    hash, a finalized block it saw, its hotkey and uid) and verify for its PeerId; terms
//!    naming another hotkey or uid, or a deadline already past, are refused unsigned.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use mindos_primitives::{NetUid, MIND};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use common::{digit_zero, label, refusal, Caller, RunningMiner};
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_chain_client::{
    keys::Coldkey,
    neuron::account_hex,
    runtime::{
        self,
        runtime_types::{
            mindos_primitives::{
                neuron::{DeviceClass, DeviceProfile, PowerSource},
                NetUid as ChainNetUid,
            },
            pallet_mindos_neurons::types::ServeProof,
        },
    },
};
use mindos_mesh::{
    receipt::verify_answer, wire::ChallengeTerms, ErrorCode, InferRequest, InferResponse, Uid,
};
use mindos_miner::{Config, Miner, MinerError, Settings};
use mindos_test_utils::{init_tracing, key, write_key, DevNode, NodeArgs};
use subxt::utils::AccountId32;
use subxt_signer::{sr25519::dev, sr25519::Keypair};
use tokio::time::Instant;

const DIGITS: NetUid = NetUid(1);

/// Chain-mode settings: subnet 1 on `node`, keys in `dir` (hotkey from `hotkey_uri`).
fn chain_settings(dir: &Path, node: &DevNode, hotkey_uri: &str) -> Settings {
    std::fs::create_dir_all(dir).unwrap();
    let hotkey = dir.join("hotkey");
    write_key(&hotkey, hotkey_uri);
    let mut settings = common::private_settings(dir, "digits", DIGITS, &[]);
    settings.chain.no_chain = false;
    settings.subnet.subnet = None;
    settings.peers.allow_peer = Vec::new();
    settings.chain.rpc = Some(node.ws_url());
    settings.keys.hotkey_file = Some(hotkey);
    settings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_checks_serving_and_validator_permits_on_a_dev_chain() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let result = tokio::time::timeout(Duration::from_secs(600), scenario(dir.path())).await;
    if !matches!(result, Ok(())) {
        mindos_test_utils::print_log_tail(dir.path().join("node.log"), 30);
        panic!("scenario failed or timed out");
    }
}

async fn scenario(dir: &Path) {
    let node = DevNode::start(NodeArgs::dev(dir.join("chain"), dir.join("node.log"))).await;
    node.wait_for_finalized(1).await;
    let client = node.connect().await;

    // 1. A model file that is not the one subnet 1 pins.
    let bob_id: AccountId32 = dev::bob().public_key().into();
    let mut settings = chain_settings(&dir.join("mismatch"), &node, "//MindosMinerMismatch");
    settings.keys.coldkey_address = Some(bob_id.to_string());
    settings.model.model = Some(
        // The runtime value: cargo reuses test binaries when the workspace moves.
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
            .join("../subnets/tests/fixtures/wrong_shape.onnx"),
    );
    let err = Miner::start(Config::from_settings(settings).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, MinerError::ModelMismatch { netuid: DIGITS, .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("refusing to start") && message.contains("c8699f30"),
        "{message}"
    );

    // 2. Not registered, and only the coldkey's address known: nothing to register with.
    let mut settings = chain_settings(
        &dir.join("unregistered"),
        &node,
        "//MindosMinerUnregistered",
    );
    // Without a coldkey at all the miner could not tell a hotkey someone else owns.
    let err = Miner::start(Config::from_settings(settings.clone()).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--coldkey-address"), "{err}");
    settings.keys.coldkey_address = Some(bob_id.to_string());
    let err = Miner::start(Config::from_settings(settings).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, MinerError::NotRegistered { netuid: DIGITS, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("--coldkey-file"), "{err}");
    assert!(
        err.to_string()
            .contains("mindos neuron register 1 --wallet WALLET --hotkey HOTKEY_FILE"),
        "{err}"
    );

    // A subnet that does not exist.
    let mut settings = chain_settings(&dir.join("unknown"), &node, "//MindosMinerUnknown");
    settings.subnet.netuid = Some(NetUid(77));
    settings.keys.coldkey_address = Some(bob_id.to_string());
    let err = Miner::start(Config::from_settings(settings).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, MinerError::UnknownSubnet { netuid: NetUid(77) }),
        "{err}"
    );

    // 3. Charlie's coldkey registered the hotkey first (with its consent: say the operator
    // once ran it for Charlie). A miner configured with Bob's coldkey refuses to start; before
    // the ownership check it started and served, earning for Charlie.
    let taken = key("//MindosMinerTaken");
    let charlie_id: AccountId32 = dev::charlie().public_key().into();
    client
        .ensure_registered(
            DIGITS,
            &taken,
            &Coldkey::from_pair(dev::charlie()),
            100 * MIND,
        )
        .await
        .unwrap()
        .expect("Charlie registered the hotkey");
    let taken_dir = dir.join("taken");
    let mut settings = chain_settings(&taken_dir, &node, "//MindosMinerTaken");
    let coldkey = taken_dir.join("coldkey");
    write_key(&coldkey, "//Bob");
    settings.keys.coldkey_file = Some(coldkey);
    settings.chain.max_burn = Some("100".into());
    let err = Miner::start(Config::from_settings(settings).unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refusing to run")
            && err.contains(&format!(
                "owned on chain by coldkey {}",
                account_hex(&charlie_id)
            ))
            && err.contains(&format!("configured coldkey {}", account_hex(&bob_id))),
        "{err}"
    );

    // 4. Bob's coldkey registers the miner's hotkey and funds it; the miner serves.
    let miner_dir = dir.join("miner");
    let mut settings = chain_settings(&miner_dir, &node, "//MindosMinerHot");
    let coldkey = miner_dir.join("coldkey");
    write_key(&coldkey, "//Bob");
    settings.keys.coldkey_file = Some(coldkey);
    settings.chain.fund_hotkey = Some("1".into());
    settings.chain.max_burn = Some("100".into());
    settings.device.class = Some(mindos_miner::config::DeviceClass::Server);
    settings.device.region = Some("DE".into());
    let mut miner = RunningMiner::start(settings).await;
    let status = miner.status().await;
    assert!(status.uid.is_some(), "{status:?}");
    assert_eq!(
        status.hotkey.as_deref(),
        Some(hex_account(&key("//MindosMinerHot")).as_str())
    );
    assert!(status.finalized_block.is_some());
    assert_eq!(status.permitted_validators, 0);

    let http = node.http();
    let graph: serde_json::Value = http
        .request("mindos_metagraph", rpc_params![DIGITS])
        .await
        .unwrap();
    let row = graph
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["uid"] == status.uid.unwrap().0)
        .expect("the miner's row");
    assert_eq!(
        row["endpoint"]["peer_id"],
        format!("0x{}", hex(&miner.peer_id.to_bytes()))
    );
    assert_eq!(row["device"]["class"], "Server");

    // A caller not bound to a permitted validator is refused.
    let caller = Caller::start();
    caller.connect(&miner).await;
    let (code, _) = refusal(
        caller
            .ask(miner.peer_id, DIGITS, digit_zero())
            .await
            .unwrap(),
    );
    assert_eq!(code, ErrorCode::Unauthorized);

    // Charlie registers a validator hotkey bound to the caller's PeerId; Alice stakes on it.
    let validator = key("//MindosMinerValidator");
    let validator_id: AccountId32 = validator.public_key().into();
    client
        .ensure_registered(
            DIGITS,
            &validator,
            &Coldkey::from_pair(dev::charlie()),
            100 * MIND,
        )
        .await
        .unwrap()
        .expect("registered");
    client
        .transfer_keep_alive(&dev::charlie(), validator_id, 10 * MIND)
        .await
        .unwrap();
    let device = || DeviceProfile {
        class: DeviceClass::Server,
        compute_score: 1,
        power: PowerSource::Mains,
        region: *b"DE",
    };
    let address = vec![0x04, 127, 0, 0, 1, 0x06, 0x75, 0x30];
    // The validator hotkey cannot publish the miner's PeerId as its own: the chain binds it
    // to the miner's hotkey (before, it was accepted, and validators scored both uids).
    let copied = runtime::transactions().neurons().serve(
        ChainNetUid(DIGITS.0),
        miner.peer_id.to_bytes(),
        vec![address.clone()],
        device(),
        ServeProof {
            signed_at: u32::try_from(client.finalized_number().await.unwrap()).unwrap(),
            signature: [0; 64],
        },
    );
    let err = client
        .submit(&copied, &validator)
        .await
        .expect_err("a copied PeerId")
        .to_string();
    assert!(err.contains("PeerIdTaken"), "{err}");
    let served = client
        .serve(&validator, &caller.key, DIGITS, vec![address], device())
        .await
        .unwrap();
    assert_eq!(served, mindos_chain_client::neuron::Served::Published);
    let stake = runtime::transactions()
        .stake()
        .add_stake(validator_id, 200 * MIND);
    client.submit(&stake, &dev::alice()).await.unwrap();

    // The permit comes at the subnet's next epoch boundary (tempo 20 with 1 s blocks); the
    // miner picks it up from the finalized blocks it follows.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match caller
            .ask(miner.peer_id, DIGITS, digit_zero())
            .await
            .unwrap()
        {
            InferResponse::Err {
                code: ErrorCode::Unauthorized,
                ..
            } if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(500)).await,
            answer => {
                assert_eq!(label(&answer), 0);
                break;
            }
        }
    }
    let status = miner.status().await;
    assert_eq!(status.permitted_validators, 1);
    assert_eq!(status.served, 1);

    // 5. Signed answers, for this chain.
    let engine = mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
    let head = client.finalized_number().await.unwrap();
    let terms = ChallengeTerms {
        uid: status.uid.unwrap(),
        hotkey: key("//MindosMinerHot").public_key().0,
        epoch: 1,
        model_digest: engine.info().model_digest,
        deadline: head + 1_000,
    };
    let ask = |nonce: u64, terms: ChallengeTerms| {
        let client = caller.client.clone();
        let peer = miner.peer_id;
        let mut request = InferRequest::encode(DIGITS, nonce, &digit_zero()).unwrap();
        request.challenge = Some(terms);
        async move {
            let response = client
                .request(peer, request.clone(), common::REQUEST_TIMEOUT)
                .await
                .unwrap();
            (request, response)
        }
    };
    let (request, response) = ask(1, terms.clone()).await;
    let output = engine
        .decode_output(response.payload_bytes().expect("an answer"))
        .unwrap();
    let signed = verify_answer(
        &client.genesis_hash(),
        &miner.peer_id,
        request.evidence_challenge().unwrap(),
        engine.output_hash(&output).unwrap(),
        response.receipt().expect("a receipt"),
    )
    .expect("signed for this chain by the miner's PeerId");
    let seen = signed.response.seen_block;
    assert!(seen.number >= head && seen.hash != [0; 32], "{seen:?}");
    let mut other_hotkey = terms.clone();
    other_hotkey.hotkey = validator.public_key().0;
    let mut other_uid = terms.clone();
    other_uid.uid = Uid(terms.uid.0 + 1);
    let mut past = terms.clone();
    past.deadline = 0;
    for (nonce, (terms, needle)) in (2..).zip([
        (other_hotkey, "not this miner's"),
        (other_uid, "not this miner's uid"),
        (past, "is past this miner's latest finalized block"),
    ]) {
        let (_, response) = ask(nonce, terms).await;
        assert!(response.receipt().is_none());
        let (code, message) = refusal(response);
        assert_eq!(code, ErrorCode::InvalidInput, "{message}");
        assert!(message.contains(needle), "{message}");
    }
    miner.shutdown().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_account(key: &Keypair) -> String {
    format!("0x{}", hex(&key.public_key().0))
}
