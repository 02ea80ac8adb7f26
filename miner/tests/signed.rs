//! Signed answers over the mesh, from a private miner (no chain: it signs for a zero genesis
//! hash and block 0; the chain's checks of hotkey, uid and deadline are unit tests in
//! `src/signer/tests.rs`): a request with challenge terms gets a receipt that verifies for
//! the miner's PeerId and the hash of its answer; the same challenge again gets the same
//! answer and receipt without the model running; the same key under other terms, and terms
//! naming another model, are refused unsigned; a request without terms is answered unsigned.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use common::{bounded, private_settings, refusal, Caller, RunningMiner, DEADLINE, REQUEST_TIMEOUT};
use mindos_mesh::{
    receipt::verify_answer, wire::ChallengeTerms, ErrorCode, InferRequest, InferResponse, Uid,
};
use mindos_primitives::NetUid;
use mindos_subnets::SubnetEngine;
use mindos_test_utils::metrics::sample;

const DIGITS: NetUid = NetUid(1);

fn request(
    engine: &dyn SubnetEngine,
    nonce: u64,
    sample: usize,
    terms: Option<ChallengeTerms>,
) -> InferRequest {
    let input = engine.challenge(sample).unwrap().input;
    let mut request =
        InferRequest::new(DIGITS, nonce, &engine.encode_input(&input).unwrap()).unwrap();
    request.challenge = terms;
    request
}

fn output_hash(engine: &dyn SubnetEngine, response: &InferResponse) -> [u8; 32] {
    let bytes = response.payload_bytes().expect("an answer");
    engine
        .output_hash(&engine.decode_output(bytes).unwrap())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_to_terms_are_signed_once_and_resent() {
    bounded(DEADLINE, async {
        let engine =
            mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let caller = Caller::start();
        let mut miner = RunningMiner::start(private_settings(
            dir.path(),
            "digits",
            DIGITS,
            &[caller.peer_id()],
        ))
        .await;
        caller.connect(&miner).await;
        let ask = |request: InferRequest| {
            let client = caller.client.clone();
            let peer = miner.peer_id;
            async move {
                client
                    .request(peer, request, REQUEST_TIMEOUT)
                    .await
                    .unwrap()
            }
        };
        let terms = ChallengeTerms {
            uid: Uid(0),
            hotkey: [7; 32],
            epoch: 3,
            model_digest: engine.info().model_digest,
            deadline: 1_000,
        };

        let challenge = request(&*engine, 0x5eed, 0, Some(terms.clone()));
        let first = ask(challenge.clone()).await;
        let receipt = first.receipt().expect("a signed answer");
        let signed = verify_answer(
            &[0; 32],
            &miner.peer_id,
            challenge.evidence_challenge().unwrap(),
            output_hash(&*engine, &first),
            receipt,
        )
        .expect("the miner's signature of this answer");
        assert_eq!(signed.response.challenge.nonce, 0x5eed);
        assert_eq!(signed.response.seen_block.number, 0, "no chain: block 0");

        // The same challenge again: the same answer, byte for byte, and the model did not run.
        let batches = miner.status().await.batches;
        let again = ask(challenge.clone()).await;
        assert_eq!(again, first);
        assert_eq!(again.payload_bytes(), first.payload_bytes());
        assert_eq!(miner.status().await.batches, batches, "the model ran again");

        // The same key under other terms (here another input) is refused unsigned.
        let (code, message) = refusal(ask(request(&*engine, 0x5eed, 1, Some(terms.clone()))).await);
        assert_eq!(code, ErrorCode::InvalidInput, "{message}");
        assert!(
            message.contains("challenge already answered with other terms"),
            "{message}"
        );

        // Terms naming another model are refused unsigned, before the model runs.
        let mut other_model = terms.clone();
        other_model.model_digest = [1; 32];
        let (code, message) = refusal(ask(request(&*engine, 2, 0, Some(other_model))).await);
        assert_eq!(code, ErrorCode::InvalidInput, "{message}");
        assert!(message.contains("not the loaded model"), "{message}");

        // Without terms: answered, unsigned.
        let plain = ask(request(&*engine, 0x5eed, 0, None)).await;
        assert!(plain.receipt().is_none());
        assert_eq!(plain.payload_bytes(), first.payload_bytes());

        let metrics = miner.metrics().await;
        assert_eq!(sample(&metrics, "mindos_miner_answers_signed_total"), 1.0);
        assert_eq!(sample(&metrics, "mindos_miner_answers_resent_total"), 1.0);
        assert_eq!(
            sample(
                &metrics,
                "mindos_miner_terms_refused_total{reason=\"other_terms\"}"
            ),
            1.0
        );
        assert_eq!(
            sample(
                &metrics,
                "mindos_miner_terms_refused_total{reason=\"model_digest\"}"
            ),
            1.0
        );
        assert_eq!(sample(&metrics, "mindos_miner_signed_answers_stored"), 1.0);
        assert!(sample(&metrics, "mindos_miner_signed_answers_bytes") > 512.0);
        miner.shutdown().await;
    })
    .await;
}
