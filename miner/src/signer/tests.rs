//! The store's rule and bound alone, then the request path with a real digits model and a
//! chain anchor (hotkey, genesis, uid and head set by hand, as the chain watcher would).

use std::{sync::Arc, time::Duration};

use mindos_mesh::{
    receipt::verify_answer, wire::ChallengeTerms, ErrorCode, InferRequest, InferResponse, PeerId,
    PowerSource, PowerStatus,
};
use mindos_primitives::{evidence::SeenBlock, NetUid, Uid};
use mindos_subnets::SubnetEngine;

use super::*;
use crate::{
    metrics::Metrics,
    serve::{Authorizer, Server},
    service::{Model, Service, ServiceLimits},
};

const GENESIS: [u8; 32] = [0x61; 32];
const HOTKEY: [u8; 32] = [0x42; 32];
const DIGITS: NetUid = NetUid(1);

fn challenge(nonce: u64, deadline: u64) -> AnswerChallenge {
    ChallengeTerms {
        uid: Uid(3),
        hotkey: HOTKEY,
        epoch: 7,
        model_digest: [9; 32],
        deadline,
    }
    .challenge(DIGITS, nonce, b"{}")
}

/// A signed answer whose payload is `len` bytes of JSON text.
fn answer(len: usize) -> InferResponse {
    let text = format!("\"{}\"", "x".repeat(len.saturating_sub(2)));
    InferResponse::ok(text.as_bytes()).unwrap()
}

#[test]
fn a_challenge_is_answered_once_and_its_key_never_under_other_terms() {
    let mut store = AnswerStore::new(1 << 20);
    let first = challenge(1, 100);
    let key = Key::of(&first);
    assert_eq!(store.begin(key, &first), Lookup::Fresh);
    // While it runs, the same challenge is not computed a second time.
    assert_eq!(store.begin(key, &first), Lookup::Refused(Refusal::InFlight));
    let signed = answer(100);
    assert_eq!(store.complete(key, first.clone(), signed.clone()), 0);
    assert_eq!(store.begin(key, &first), Lookup::Stored(signed));
    // The same key with another deadline (or input, or model) is refused.
    let other = challenge(1, 101);
    assert_eq!(Key::of(&other), key);
    assert_eq!(
        store.begin(key, &other),
        Lookup::Refused(Refusal::OtherTerms)
    );
    assert_eq!((store.len(), store.bytes()), (1, 100 + ENTRY_OVERHEAD));

    // A reservation whose answer was never signed is released: the challenge is new again.
    let second = challenge(2, 100);
    assert_eq!(store.begin(Key::of(&second), &second), Lookup::Fresh);
    store.release(&Key::of(&second));
    assert_eq!(store.begin(Key::of(&second), &second), Lookup::Fresh);
}

#[test]
fn an_entry_fits_in_its_counted_overhead() {
    use std::mem::size_of;
    // The map's entry with its control byte, the order's entry with a share of its node, the
    // payload's allocation header.
    let counted = size_of::<(Key, Slot)>() + 1 + size_of::<(u64, Key)>() + 32 + 16;
    assert!(counted <= ENTRY_OVERHEAD, "{counted}");
}

#[test]
fn the_store_evicts_oldest_first_within_its_budget_and_remembers_what_it_evicted() {
    // 4 KiB in all: 3 KiB of entries at 1 KiB each (512 payload + 512 overhead), fingerprints
    // for 1 KiB / 32 = 32 keys.
    let mut store = AnswerStore::new(4096);
    let mut evicted = 0;
    for nonce in 0..5u64 {
        let c = challenge(nonce, 100);
        assert_eq!(store.begin(Key::of(&c), &c), Lookup::Fresh);
        evicted += store.complete(Key::of(&c), c, answer(512));
        assert!(store.bytes() <= 3072, "{}", store.bytes());
    }
    assert_eq!(evicted, 2);
    assert_eq!(store.len(), 3);
    // The two oldest went; they are refused, not signed again; the three newest are kept.
    for nonce in 0..2 {
        let c = challenge(nonce, 100);
        assert_eq!(
            store.begin(Key::of(&c), &c),
            Lookup::Refused(Refusal::Forgotten),
            "nonce {nonce}"
        );
    }
    for nonce in 2..5 {
        let c = challenge(nonce, 100);
        assert_eq!(store.begin(Key::of(&c), &c), Lookup::Stored(answer(512)));
    }
    // Fingerprints are bounded too: past 32 evictions the oldest key is new again.
    for nonce in 5..40u64 {
        let c = challenge(nonce, 100);
        assert_eq!(store.begin(Key::of(&c), &c), Lookup::Fresh);
        store.complete(Key::of(&c), c, answer(512));
    }
    assert!(store.forgotten.len() <= 32 && store.forgotten_order.len() <= 32);
    let c = challenge(0, 100);
    assert_eq!(store.begin(Key::of(&c), &c), Lookup::Fresh);
}

/// A miner's request path with a digits model, signing for `anchor`; `caller` may call.
struct Fixture {
    server: Arc<Server>,
    live: Arc<LiveState>,
    keypair: Keypair,
    caller: PeerId,
    metrics: Arc<Metrics>,
    engine: Arc<dyn SubnetEngine>,
}

impl Fixture {
    fn new(anchor: Anchor) -> Self {
        let engine =
            mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
        let metrics = Arc::new(Metrics::new().unwrap());
        let limits = ServiceLimits {
            workers: 1,
            max_batch: 4,
            max_wait: Duration::ZERO,
            queue_capacity: 16,
        };
        let service = Service::start(Model::of(&engine), limits, metrics.clone()).unwrap();
        let live = Arc::new(LiveState::new(
            Some(Uid(3)),
            PowerStatus {
                source: PowerSource::Mains,
                battery_percent: None,
                low_power: false,
            },
        ));
        let keypair = Keypair::generate_ed25519();
        let signer = Arc::new(Signer::new(
            keypair.clone(),
            anchor,
            engine.info().model_digest,
            live.clone(),
            1 << 20,
            metrics.clone(),
        ));
        let caller = PeerId::random();
        let server = Arc::new(Server::new(
            DIGITS,
            engine.clone(),
            service,
            Authorizer::new([caller]),
            metrics.clone(),
            signer,
        ));
        Self {
            server,
            live,
            keypair,
            caller,
            metrics,
            engine,
        }
    }

    fn on_chain() -> Self {
        let fixture = Self::new(Anchor::Chain {
            genesis: GENESIS,
            hotkey: HOTKEY,
        });
        fixture.live.set_head(SeenBlock {
            number: 50,
            hash: [5; 32],
        });
        fixture
    }

    fn terms(&self) -> ChallengeTerms {
        ChallengeTerms {
            uid: Uid(3),
            hotkey: HOTKEY,
            epoch: 7,
            model_digest: self.engine.info().model_digest,
            deadline: 60,
        }
    }

    fn request(&self, nonce: u64, terms: Option<ChallengeTerms>) -> InferRequest {
        let sample = self.engine.challenge(0).unwrap().input;
        let payload = self.engine.encode_input(&sample).unwrap();
        let mut request = InferRequest::new(DIGITS, nonce, &payload).unwrap();
        request.challenge = terms;
        request
    }

    async fn ask(&self, request: InferRequest) -> InferResponse {
        self.server.answer(self.caller, request).await
    }

    /// The hash of an answer's canonical output, as a validator computes it.
    fn output_hash(&self, response: &InferResponse) -> [u8; 32] {
        let output = self
            .engine
            .decode_output(response.payload_bytes().expect("an answer"))
            .unwrap();
        self.engine.output_hash(&output).unwrap()
    }

    /// Checks `response`'s receipt the way a validator does.
    fn verify(
        &self,
        genesis: &[u8; 32],
        request: &InferRequest,
        response: &InferResponse,
    ) -> Result<mindos_mesh::receipt::SignedAnswer, mindos_mesh::receipt::ReceiptError> {
        verify_answer(
            genesis,
            &self.keypair.public().to_peer_id(),
            request.evidence_challenge().unwrap(),
            self.output_hash(response),
            response.receipt().expect("a receipt"),
        )
    }
}

fn refused(response: &InferResponse, code: ErrorCode, needle: &str) {
    match response {
        InferResponse::Err { code: got, message } => {
            assert_eq!(*got, code, "{message}");
            assert!(message.contains(needle), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(response.receipt().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_to_terms_is_signed_once_and_resent_byte_for_byte() {
    let f = Fixture::on_chain();
    let request = f.request(11, Some(f.terms()));
    let first = f.ask(request.clone()).await;
    let signed = f.verify(&GENESIS, &request, &first).unwrap();
    assert_eq!(signed.response.seen_block.number, 50);
    assert_eq!(signed.response.seen_block.hash, [5; 32]);
    assert_eq!(signed.response.challenge.hotkey, HOTKEY);
    assert_eq!(f.metrics.signed_count(), 1);
    let batches = f.server.service.batches();
    assert_eq!(batches, 1);

    // The same challenge again: the stored answer, identical, and the model did not run.
    f.live.set_head(SeenBlock {
        number: 55,
        hash: [6; 32],
    });
    let again = f.ask(request.clone()).await;
    assert_eq!(again, first);
    assert_eq!(again.payload_bytes(), first.payload_bytes());
    assert_eq!(f.server.service.batches(), batches, "the model ran again");
    assert_eq!(f.metrics.signed_count(), 1);

    // The same key under other terms is refused unsigned.
    let mut changed = f.terms();
    changed.deadline = 61;
    let other = f.ask(f.request(11, Some(changed))).await;
    refused(
        &other,
        ErrorCode::InvalidInput,
        "challenge already answered with other terms",
    );
    assert_eq!(f.metrics.refused_count(Refusal::OtherTerms), 1);

    // Without terms: answered, unsigned, every time.
    let plain = f.ask(f.request(11, None)).await;
    assert!(plain.payload_bytes().is_some() && plain.receipt().is_none());
    assert_eq!(f.metrics.signed_count(), 1);
}

/// What a case changes in the terms, why it is refused and what the message says.
type Case = (&'static str, fn(&mut ChallengeTerms), Refusal, &'static str);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terms_that_do_not_fit_the_miner_are_refused_unsigned() {
    let f = Fixture::on_chain();
    let cases: [Case; 4] = [
        (
            "hotkey",
            |t| t.hotkey = [1; 32],
            Refusal::Hotkey,
            "not this miner's",
        ),
        (
            "model",
            |t| t.model_digest = [1; 32],
            Refusal::ModelDigest,
            "not the loaded model",
        ),
        (
            "uid",
            |t| t.uid = Uid(4),
            Refusal::Uid,
            "not this miner's uid 3",
        ),
        (
            "deadline",
            |t| t.deadline = 49,
            Refusal::Deadline,
            "past this miner's latest finalized block 50",
        ),
    ];
    for (nonce, (what, change, reason, needle)) in (100u64..).zip(cases) {
        let mut terms = f.terms();
        change(&mut terms);
        let response = f.ask(f.request(nonce, Some(terms))).await;
        refused(&response, ErrorCode::InvalidInput, needle);
        assert_eq!(f.metrics.refused_count(reason), 1, "{what}");
        // Refused before the model: nothing was reserved, the right terms are answered.
        let fine = f.request(nonce, Some(f.terms()));
        let answered = f.ask(fine.clone()).await;
        f.verify(&GENESIS, &fine, &answered).unwrap();
    }
    // A deadline at the head is still due.
    let mut terms = f.terms();
    terms.deadline = 50;
    let due = f.request(200, Some(terms));
    let answered = f.ask(due.clone()).await;
    f.verify(&GENESIS, &due, &answered).unwrap();
    assert_eq!(f.metrics.signed_count(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_the_first_finalized_block_terms_are_busy() {
    let f = Fixture::new(Anchor::Chain {
        genesis: GENESIS,
        hotkey: HOTKEY,
    });
    let request = f.request(1, Some(f.terms()));
    refused(&f.ask(request.clone()).await, ErrorCode::Busy, "not synced");
    assert_eq!(f.metrics.refused_count(Refusal::NotSynced), 1);
    f.live.set_head(SeenBlock {
        number: 50,
        hash: [5; 32],
    });
    let answered = f.ask(request.clone()).await;
    f.verify(&GENESIS, &request, &answered).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_miner_signs_for_no_chain() {
    let f = Fixture::new(Anchor::Private);
    let mut terms = f.terms();
    // No hotkey to check on a private mesh; the model still is.
    terms.hotkey = [1; 32];
    let request = f.request(1, Some(terms.clone()));
    let answered = f.ask(request.clone()).await;
    let signed = f.verify(&[0; 32], &request, &answered).unwrap();
    assert_eq!(
        signed.response.seen_block,
        SeenBlock {
            number: 0,
            hash: [0; 32]
        }
    );
    assert!(f.verify(&GENESIS, &request, &answered).is_err());
    terms.model_digest = [1; 32];
    refused(
        &f.ask(f.request(2, Some(terms))).await,
        ErrorCode::InvalidInput,
        "not the loaded model",
    );
}

#[cfg(feature = "fault-injection")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_miner_signs_two_outputs_for_one_challenge() {
    let f = Fixture::on_chain();
    let request = f.request(9, Some(f.terms()));
    let first = crate::fault::equivocate(&f.server, f.caller, request.clone()).await;
    let second = crate::fault::equivocate(&f.server, f.caller, request.clone()).await;
    let a = f.verify(&GENESIS, &request, &first).unwrap();
    let b = f.verify(&GENESIS, &request, &second).unwrap();
    // One challenge, two different signed outputs: equivocation evidence.
    assert_eq!(a.response.challenge, b.response.challenge);
    assert_ne!(a.response.output_hash, b.response.output_hash);
    assert_ne!(first.payload_bytes(), second.payload_bytes());
    // The honest path re-sends the first.
    assert_eq!(f.ask(request).await, first);
}

#[cfg(feature = "fault-injection")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_miner_signs_its_wrong_answers() {
    let f = Fixture::on_chain();
    let honest = f.ask(f.request(1, None)).await;
    f.server.signer.sign_garbage();
    let request = f.request(2, Some(f.terms()));
    let lie = f.ask(request.clone()).await;
    f.verify(&GENESIS, &request, &lie).unwrap();
    assert_ne!(f.output_hash(&lie), f.output_hash(&honest));
    // A consistent liar: the same lie again.
    assert_eq!(f.ask(request).await, lie);
}
