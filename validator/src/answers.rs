//! Signed answers: every request the validator sends a miner carries [`ChallengeTerms`], and
//! every answer's signature is checked before the answer is used.
//!
//! Challenges and users' queries through the gateway are built here alike ([`Answers::request`]),
//! so nothing in a request tells a miner which it is: the terms name the miner the request goes
//! to (its uid and hotkey), the subnet's sentinel epoch and pinned model as of the latest
//! finalized block read, and a deadline [`DEADLINE_MARGIN_BLOCKS`] after that block; the request
//! id, which is the challenge's nonce, is drawn afresh for every send, so a query failed over or
//! hedged to another miner goes out under another nonce.
//!
//! An answer is used only once [`Answers::check`] accepts it: it decodes as the subnet's output,
//! and its receipt is the miner's signature, by the key its PeerId names, of that output's hash
//! for the challenge the request sent stands for ([`mindos_mesh::receipt::verify_answer`]). A
//! missing receipt or a bad signature makes the answer unusable (a challenge scores it as an
//! invalid answer, the gateway fails over), is counted in
//! `mindos_validator_unsigned_answers_total{netuid,reason}` and logged at `debug` (a miner must
//! not be able to flood the logs). Every verified answer goes to the [`TranscriptSink`] as
//! evidence.
//!
//! Without a chain (`--no-chain`) there is no genesis hash, sentinel epoch or hotkey to sign
//! against and nowhere to take evidence: requests carry no terms and answers are used unsigned.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use mindos_mesh::{
    receipt::{verify_answer, ReceiptError, SignedAnswer},
    wire::{unix_time_ms, ChallengeTerms, Receipt},
    InferRequest, PeerId,
};
use mindos_subnets::{Output, SubnetEngine};
use serde_json::value::RawValue;

use crate::{
    config::MAX_REQUEST_TIMEOUT_MS,
    metagraph::{Neuron, SubnetState},
    metrics::Metrics,
    transcript::{RequestKind, Transcript, TranscriptSink},
    Rng,
};

/// The fastest block time a MindOS chain runs (`fast-blocks` dev chains: 1 s; production: 6 s).
const FASTEST_BLOCK_MS: u64 = 1_000;

/// Blocks a miner's best block may run ahead of the finalized block the deadline counts from:
/// the chain client's `MAX_FINALITY_LAG`, past which even transactions stop counting from the
/// finalized block.
const FINALITY_SLACK_BLOCKS: u64 = mindos_chain_client::MAX_FINALITY_LAG;

/// Every request's deadline is this many blocks after the latest finalized block the validator
/// read: the longest timeout any request may have ([`MAX_REQUEST_TIMEOUT_MS`], the cap of
/// `--challenge-timeout-ms`, `--query-timeout-ms` and a query's `timeout_ms`) at the fastest
/// block time ([`FASTEST_BLOCK_MS`]), plus [`FINALITY_SLACK_BLOCKS`] for the miner's best block
/// being ahead of finality. So an answer sent within any request's timeout is due by its
/// deadline, on a chain of any block time. One margin for every request, whatever its own
/// timeout: a deadline that followed the timeout would tell a challenge
/// (`--challenge-timeout-ms`) from a query.
pub(crate) const DEADLINE_MARGIN_BLOCKS: u64 = MAX_REQUEST_TIMEOUT_MS
    .div_ceil(FASTEST_BLOCK_MS)
    .saturating_add(FINALITY_SLACK_BLOCKS);

/// What every request's terms on a subnet are built from, as of the latest finalized block
/// read (refreshed at each one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TermsBasis {
    /// The subnet's sentinel epoch (`Sentinels::SubnetEpoch`).
    pub(crate) epoch: u64,
    /// The model the subnet pins (`TaskSpec::model_digest`).
    pub(crate) model_digest: [u8; 32],
    /// The latest finalized block's number.
    pub(crate) finalized: u64,
}

impl TermsBasis {
    /// The terms of a request to `miner`.
    pub(crate) fn terms_for(&self, miner: &Neuron) -> ChallengeTerms {
        ChallengeTerms {
            uid: miner.uid,
            hotkey: miner.hotkey,
            epoch: self.epoch,
            model_digest: self.model_digest,
            deadline: self.finalized.saturating_add(DEADLINE_MARGIN_BLOCKS),
        }
    }
}

/// Why an answer that decodes is not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unsigned {
    /// The request carried terms and the answer no receipt.
    Missing,
    /// The receipt's signature does not verify for this request, this answer and this chain
    /// with the key the answering peer's id names.
    BadSignature,
    /// The answering peer's id names no Ed25519 key to check a signature with.
    NotEd25519,
}

impl Unsigned {
    /// The `reason` label of `mindos_validator_unsigned_answers_total`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::BadSignature => "bad_signature",
            Self::NotEd25519 => "not_ed25519",
        }
    }
}

/// Why an answer is not used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Rejected {
    /// It does not decode as the subnet's output.
    #[error("the answer does not decode: {0}")]
    Invalid(String),
    /// It decodes but is not signed as the request's terms require.
    #[error("the answer is not signed as its terms require ({})", .0.label())]
    Unsigned(Unsigned),
}

/// Checks `peer`'s answer, `output` with `receipt`, to `request` on the chain with
/// `genesis` (`None`: no chain), given the subnet's `engine`: the evidence when the request
/// carried terms and the receipt verifies, `None` when there is no chain and the request
/// carried no terms.
pub(crate) fn verify(
    genesis: Option<&[u8; 32]>,
    engine: &dyn SubnetEngine,
    peer: &PeerId,
    request: &InferRequest,
    output: &Output,
    receipt: Option<&Receipt>,
) -> Result<Option<SignedAnswer>, Rejected> {
    let (Some(genesis), Some(challenge)) = (genesis, request.evidence_challenge()) else {
        // Without a chain nothing is signed; on one, every request is built with terms, and
        // one without them stands for nothing a signature could name.
        return match genesis {
            None => Ok(None),
            Some(_) => Err(Rejected::Unsigned(Unsigned::Missing)),
        };
    };
    let Some(receipt) = receipt else {
        return Err(Rejected::Unsigned(Unsigned::Missing));
    };
    let output_hash = engine
        .output_hash(output)
        .map_err(|e| Rejected::Invalid(e.to_string()))?;
    match verify_answer(genesis, peer, challenge, output_hash, receipt) {
        Ok(evidence) => Ok(Some(evidence)),
        Err(ReceiptError::NotEd25519(_)) => Err(Rejected::Unsigned(Unsigned::NotEd25519)),
        Err(_) => Err(Rejected::Unsigned(Unsigned::BadSignature)),
    }
}

/// Builds the requests the validator sends miners and checks their answers; shared by the
/// challenge rounds and the gateway.
pub(crate) struct Answers {
    /// The chain's genesis hash; `None` without a chain.
    genesis: Option<[u8; 32]>,
    /// Request ids for every send. SplitMix64's output is a bijection of its state, which
    /// steps through all 2^64 values: one generator never repeats an id, so ids are unique per
    /// (miner, epoch) within a run; across restarts and validators a repeat among `n` requests
    /// to one miner in one epoch has probability below `n² / 2^65`.
    nonces: Mutex<Rng>,
    metrics: Arc<Metrics>,
    transcripts: Arc<dyn TranscriptSink>,
}

impl Answers {
    /// Requests on the chain with `genesis` (`None`: no chain, no terms), counting unsigned
    /// answers in `metrics` and handing verified ones to `transcripts`.
    pub(crate) fn new(
        genesis: Option<[u8; 32]>,
        metrics: Arc<Metrics>,
        transcripts: Arc<dyn TranscriptSink>,
    ) -> Self {
        Self {
            genesis,
            nonces: Mutex::new(Rng::from_entropy()),
            metrics,
            transcripts,
        }
    }

    fn nonce(&self) -> u64 {
        self.nonces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next_u64()
    }

    /// The request to send `miner` on `subnet` with `payload`: a fresh request id and, on a
    /// chain, the terms for that miner (`miner` unknown: none, and its answer will not be used).
    pub(crate) fn request(
        &self,
        subnet: &SubnetState,
        miner: Option<&Neuron>,
        payload: Box<RawValue>,
    ) -> InferRequest {
        let challenge = self
            .genesis
            .and(subnet.terms_basis())
            .zip(miner)
            .map(|(basis, miner)| basis.terms_for(miner));
        InferRequest {
            netuid: subnet.netuid,
            request_id: self.nonce(),
            payload,
            challenge,
        }
    }

    /// Decodes `peer`'s answer `payload` (with `receipt`) to `request`, which went to the
    /// miner at `uid` for `kind` and was answered `latency` after it was sent, and checks its
    /// signature ([`verify`]). An unsigned answer is counted and logged; a verified one is
    /// handed to the transcript sink. Returns the output to use, or why there is none.
    ///
    /// Runs on the caller's task (the gateway's judge is called inside the failover loop):
    /// decoding an answer of at most the subnet's response limit, hashing the request's payload
    /// (at most `--gateway-max-request-bytes`) and one Ed25519 verification took 87 µs for a
    /// digits answer and 138 µs with a 16 KiB input in a dev build on this project's machine
    /// (`what_checking_costs`): short enough not to hold the executor up as inference would.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check(
        &self,
        subnet: &SubnetState,
        peer: PeerId,
        uid: mindos_mesh::Uid,
        kind: RequestKind,
        request: &InferRequest,
        latency: Duration,
        payload: Box<RawValue>,
        receipt: Option<&Receipt>,
    ) -> Result<Output, Rejected> {
        self.check_signed(subnet, peer, uid, kind, request, latency, payload, receipt)
            .map(|(output, _)| output)
    }

    /// [`Self::check`], also returning the verified evidence (`None` without a chain): what
    /// opens a canary the answer failed.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check_signed(
        &self,
        subnet: &SubnetState,
        peer: PeerId,
        uid: mindos_mesh::Uid,
        kind: RequestKind,
        request: &InferRequest,
        latency: Duration,
        payload: Box<RawValue>,
        receipt: Option<&Receipt>,
    ) -> Result<(Output, Option<SignedAnswer>), Rejected> {
        let engine = &*subnet.engine;
        let output = engine
            .decode_output(payload.get().as_bytes())
            .map_err(|e| Rejected::Invalid(e.to_string()))?;
        match verify(
            self.genesis.as_ref(),
            engine,
            &peer,
            request,
            &output,
            receipt,
        ) {
            Ok(None) => Ok((output, None)),
            Ok(Some(evidence)) => {
                let answered_at_ms = unix_time_ms();
                let elapsed = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
                self.transcripts.record(Transcript {
                    peer,
                    kind,
                    input: request.payload.clone(),
                    output: payload,
                    evidence: evidence.clone(),
                    sent_at_ms: answered_at_ms.saturating_sub(elapsed),
                    answered_at_ms,
                });
                Ok((output, Some(evidence)))
            }
            Err(Rejected::Unsigned(reason)) => {
                self.metrics
                    .unsigned_answers
                    .with_label_values(&[subnet.netuid.to_string().as_str(), reason.label()])
                    .inc();
                tracing::debug!(netuid = %subnet.netuid, %uid, %peer, reason = reason.label(), "an answer is not signed as its terms require; not using it");
                Err(Rejected::Unsigned(reason))
            }
            Err(invalid) => Err(invalid),
        }
    }
}

/// Miners that sign (or fail to) and a sink that keeps transcripts, for the challenge and
/// gateway tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::{collections::HashMap, future::Future, sync::Mutex};

    use mindos_mesh::{
        receipt::sign_answer, route::InferTransport, ErrorCode, InferResponse, Keypair, MeshError,
    };
    use mindos_primitives::{evidence::SeenBlock, NetUid, Uid};

    use super::*;
    use crate::{metagraph::ChainSubnet, scoring::Scoreboard};

    /// The chain the tests sign for.
    pub(crate) const GENESIS: [u8; 32] = [0x6e; 32];

    /// What the tests' chain says requests' terms are built from.
    pub(crate) const BASIS: TermsBasis = TermsBasis {
        epoch: 12,
        model_digest: [0x4d; 32],
        finalized: 4_000,
    };

    /// A digits subnet whose terms come from [`BASIS`].
    pub(crate) fn digits_on_chain() -> SubnetState {
        let engine =
            mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
        let subnet = SubnetState::new(
            &ChainSubnet {
                netuid: NetUid(1),
                name: "digits".into(),
                task: None,
                tempo: 0,
                commit_reveal: false,
            },
            engine,
            Scoreboard::new(0.1, Duration::from_millis(100)),
        );
        subnet.set_terms_basis(BASIS);
        subnet
    }

    /// Keeps every transcript.
    #[derive(Default)]
    pub(crate) struct Recording(pub(crate) Mutex<Vec<Transcript>>);

    impl TranscriptSink for Recording {
        fn record(&self, transcript: Transcript) {
            self.0.lock().unwrap().push(transcript);
        }
    }

    impl Recording {
        pub(crate) fn taken(&self) -> Vec<Transcript> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    /// [`Answers`] on the chain with [`GENESIS`], keeping transcripts in the returned sink.
    pub(crate) fn on_chain(metrics: Arc<Metrics>) -> (Answers, Arc<Recording>) {
        let sink = Arc::new(Recording::default());
        (Answers::new(Some(GENESIS), metrics, sink.clone()), sink)
    }

    /// How a scripted miner signs its answers.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Signing {
        /// As it must: its own key, for the request it got, on [`GENESIS`].
        Honest,
        /// No receipt at all.
        Unsigned,
        /// With another key than the one its PeerId names.
        OtherKey,
        /// For another request (the next nonce).
        OtherRequest,
        /// For another answer than the one it sends.
        OtherOutput,
    }

    /// A neuron served at `peer`.
    pub(crate) fn neuron(uid: u16, peer: PeerId) -> Neuron {
        Neuron {
            uid: Uid(uid),
            hotkey: [u8::try_from(uid % 256).unwrap(); 32],
            peer: Some(peer),
            addrs: Vec::new(),
            validator_permit: false,
            stake: 0,
            reputation: 0.0,
            incentive: 0,
            emission: 0,
            quarantined: false,
        }
    }

    /// The answer of a digits miner with `key` that says `label` to `request`, signed as
    /// `signing` says (an honest miner's answer if `signing` is [`Signing::Honest`]).
    pub(crate) fn digits_answer(
        key: &Keypair,
        request: &InferRequest,
        label: u8,
        signing: Signing,
    ) -> InferResponse {
        let answer = InferResponse::encode_ok(&serde_json::json!({
            "label": label,
            "probabilities": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
        }))
        .unwrap();
        let Some(mut challenge) = request.evidence_challenge() else {
            return answer;
        };
        // Digits' canonical bytes are the label.
        let mut signed_label = label;
        let mut signer = key.clone();
        match signing {
            Signing::Honest => {}
            Signing::Unsigned => return answer,
            Signing::OtherKey => signer = Keypair::generate_ed25519(),
            Signing::OtherRequest => challenge.nonce = challenge.nonce.wrapping_add(1),
            Signing::OtherOutput => signed_label = label.wrapping_add(1) % 10,
        }
        let seen = SeenBlock {
            number: BASIS.finalized + 2,
            hash: [0x5e; 32],
        };
        let output_hash = mindos_primitives::evidence::output_hash(&[signed_label]);
        let (_, receipt) = sign_answer(&signer, &GENESIS, challenge, seen, output_hash, 3).unwrap();
        answer.with_receipt(receipt)
    }

    /// One scripted miner: its key, how long it takes, its label (`None`: `busy`) and how it
    /// signs.
    pub(crate) struct Miner {
        pub(crate) key: Keypair,
        pub(crate) delay: Duration,
        pub(crate) label: Option<u8>,
        pub(crate) signing: Signing,
    }

    impl Miner {
        pub(crate) fn new(delay: Duration, label: Option<u8>, signing: Signing) -> Self {
            Self {
                key: Keypair::generate_ed25519(),
                delay,
                label,
                signing,
            }
        }

        pub(crate) fn peer(&self) -> PeerId {
            self.key.public().to_peer_id()
        }
    }

    /// Digits miners that sign their answers (or not) as scripted, keeping every request they
    /// get; a peer not in the script is unreachable, one slower than the timeout times out.
    #[derive(Default)]
    pub(crate) struct SigningMiners {
        pub(crate) miners: HashMap<PeerId, Miner>,
        pub(crate) received: Mutex<Vec<(PeerId, InferRequest)>>,
    }

    impl SigningMiners {
        pub(crate) fn new(miners: impl IntoIterator<Item = Miner>) -> Self {
            Self {
                miners: miners.into_iter().map(|m| (m.peer(), m)).collect(),
                received: Mutex::default(),
            }
        }
    }

    impl InferTransport for SigningMiners {
        fn send(
            &self,
            peer: PeerId,
            request: InferRequest,
            timeout: Duration,
        ) -> impl Future<Output = Result<InferResponse, MeshError>> + Send {
            self.received.lock().unwrap().push((peer, request.clone()));
            let script = self.miners.get(&peer).map(|m| {
                let answer = match m.label {
                    Some(label) => digits_answer(&m.key, &request, label, m.signing),
                    None => InferResponse::error(ErrorCode::Busy, "busy"),
                };
                (m.delay, answer)
            });
            async move {
                let Some((delay, answer)) = script else {
                    return Err(MeshError::Unreachable(peer));
                };
                if delay > timeout {
                    tokio::time::sleep(timeout).await;
                    return Err(MeshError::Timeout);
                }
                tokio::time::sleep(delay).await;
                Ok(answer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use mindos_mesh::{InferResponse, Keypair};
    use mindos_primitives::{NetUid, Uid};

    use super::{testing::*, *};

    fn payload() -> Box<RawValue> {
        mindos_mesh::wire::payload_from_bytes(br#"{"pixels":[0,1]}"#).unwrap()
    }

    #[test]
    fn the_deadline_covers_the_longest_timeout_at_one_second_blocks_and_the_finality_lag() {
        assert_eq!(DEADLINE_MARGIN_BLOCKS, 120 + 16);
        let terms = BASIS.terms_for(&neuron(7, PeerId::random()));
        assert_eq!(terms.deadline, 4_000 + 136);
    }

    #[test]
    fn every_request_names_its_miner_under_a_fresh_request_id() {
        let metrics = Arc::new(Metrics::new().unwrap());
        let (answers, _) = on_chain(metrics.clone());
        let subnet = digits_on_chain();
        let (a, b) = (neuron(3, PeerId::random()), neuron(4, PeerId::random()));
        let to_a = answers.request(&subnet, Some(&a), payload());
        let to_b = answers.request(&subnet, Some(&b), payload());
        let again = answers.request(&subnet, Some(&a), payload());
        assert_eq!(to_a.netuid, NetUid(1));
        assert_eq!(to_a.payload.get(), r#"{"pixels":[0,1]}"#);
        let terms = to_a.challenge.clone().unwrap();
        assert_eq!(
            terms,
            ChallengeTerms {
                uid: Uid(3),
                hotkey: [3; 32],
                epoch: 12,
                model_digest: [0x4d; 32],
                deadline: 4_000 + DEADLINE_MARGIN_BLOCKS,
            }
        );
        assert_eq!(to_b.challenge.as_ref().unwrap().uid, Uid(4));
        assert_eq!(to_b.challenge.as_ref().unwrap().hotkey, [4; 32]);
        // One payload, three sends, three ids.
        let ids = [to_a.request_id, to_b.request_id, again.request_id];
        assert!(
            ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
            "{ids:?}"
        );
        // The basis moves with the finalized block.
        subnet.set_terms_basis(TermsBasis {
            epoch: 13,
            finalized: 4_010,
            ..BASIS
        });
        let later = answers
            .request(&subnet, Some(&a), payload())
            .challenge
            .unwrap();
        assert_eq!(
            (later.epoch, later.deadline),
            (13, 4_010 + DEADLINE_MARGIN_BLOCKS)
        );
        // No chain, no terms; an unknown miner, none either.
        let private = Answers::new(None, metrics, Arc::new(crate::transcript::Discard));
        assert_eq!(
            private.request(&subnet, Some(&a), payload()).challenge,
            None
        );
        assert_eq!(answers.request(&subnet, None, payload()).challenge, None);
    }

    /// What [`verify`] makes of a digits answer saying 3 to `request`, signed as `signing`
    /// says by the miner `key` answering from `peer`.
    fn verdict(
        key: &Keypair,
        peer: &PeerId,
        request: &InferRequest,
        signing: Signing,
    ) -> Result<Option<SignedAnswer>, Rejected> {
        let subnet = digits_on_chain();
        let answer = digits_answer(key, request, 3, signing);
        let output = subnet
            .engine
            .decode_output(answer.payload_bytes().unwrap())
            .unwrap();
        verify(
            Some(&GENESIS),
            &*subnet.engine,
            peer,
            request,
            &output,
            answer.receipt(),
        )
    }

    #[test]
    fn only_an_answer_signed_by_its_miner_for_its_request_verifies() {
        let metrics = Arc::new(Metrics::new().unwrap());
        let (answers, _) = on_chain(metrics);
        let subnet = digits_on_chain();
        let key = Keypair::generate_ed25519();
        let peer = key.public().to_peer_id();
        let request = answers.request(&subnet, Some(&neuron(3, peer)), payload());
        let evidence = verdict(&key, &peer, &request, Signing::Honest)
            .unwrap()
            .unwrap();
        assert_eq!(
            evidence.response.challenge,
            request.evidence_challenge().unwrap()
        );
        assert_eq!(
            evidence.response.output_hash,
            mindos_primitives::evidence::output_hash(&[3])
        );
        let unsigned = |signing| match verdict(&key, &peer, &request, signing) {
            Err(Rejected::Unsigned(reason)) => reason,
            other => panic!("{signing:?}: {other:?}"),
        };
        assert_eq!(unsigned(Signing::Unsigned), Unsigned::Missing);
        assert_eq!(unsigned(Signing::OtherKey), Unsigned::BadSignature);
        assert_eq!(unsigned(Signing::OtherRequest), Unsigned::BadSignature);
        assert_eq!(unsigned(Signing::OtherOutput), Unsigned::BadSignature);
        // Honestly signed, but by another miner than the one that answered.
        let stranger = Keypair::generate_ed25519().public().to_peer_id();
        assert!(matches!(
            verdict(&key, &stranger, &request, Signing::Honest),
            Err(Rejected::Unsigned(Unsigned::BadSignature))
        ));
        // A peer whose id names no Ed25519 key.
        assert!(matches!(
            verdict(&key, &PeerId::random(), &request, Signing::Honest),
            Err(Rejected::Unsigned(Unsigned::NotEd25519))
        ));
        // On a chain, a request without terms stands for nothing a signature could name.
        let bare = answers.request(&subnet, None, payload());
        assert!(matches!(
            verdict(&key, &peer, &bare, Signing::Honest),
            Err(Rejected::Unsigned(Unsigned::Missing))
        ));
    }

    #[test]
    fn without_a_chain_answers_are_used_unsigned() {
        let subnet = digits_on_chain();
        let request = InferRequest::new(NetUid(1), 9, br#"{"pixels":[0,1]}"#).unwrap();
        let answer = digits_answer(&Keypair::generate_ed25519(), &request, 3, Signing::Honest);
        assert_eq!(answer.receipt(), None);
        let output = subnet
            .engine
            .decode_output(answer.payload_bytes().unwrap())
            .unwrap();
        let peer = PeerId::random();
        assert!(matches!(
            verify(None, &*subnet.engine, &peer, &request, &output, None),
            Ok(None)
        ));
    }

    /// What checking one answer costs on the caller's task (it runs inline, in the gateway's
    /// judge and the challenge round): `cargo test -p mindos-validator --lib -- --ignored
    /// --nocapture what_checking_costs`. The Ed25519 and BLAKE2 code is built with opt-level 3
    /// even in dev builds (the workspace's `[profile.dev.package]`).
    #[test]
    #[ignore = "a measurement: prints, asserts nothing"]
    fn what_checking_costs() {
        let metrics = Arc::new(Metrics::new().unwrap());
        let (answers, sink) = on_chain(metrics);
        let subnet = digits_on_chain();
        let key = Keypair::generate_ed25519();
        let peer = key.public().to_peer_id();
        // A 16 KiB input: the hash of the request's payload is part of the check.
        let big = format!(r#"{{"text":"{}"}}"#, "a".repeat(16 * 1024));
        let big = mindos_mesh::wire::payload_from_bytes(big.as_bytes()).unwrap();
        for (name, payload) in [("digits input", payload()), ("16 KiB input", big)] {
            let request = answers.request(&subnet, Some(&neuron(3, peer)), payload);
            let answer = digits_answer(&key, &request, 3, Signing::Honest);
            let receipt = answer.receipt().cloned();
            let rounds = 2_000u32;
            let started = std::time::Instant::now();
            for _ in 0..rounds {
                let InferResponse::Ok { payload, .. } = answer.clone() else {
                    unreachable!()
                };
                let latency = Duration::from_millis(1);
                answers
                    .check(
                        &subnet,
                        peer,
                        Uid(3),
                        RequestKind::Query,
                        &request,
                        latency,
                        payload,
                        receipt.as_ref(),
                    )
                    .unwrap();
            }
            let per = started.elapsed() / rounds;
            println!("checking a signed digits answer ({name}): {per:?} per answer");
            sink.taken();
        }
    }

    #[test]
    fn check_records_what_it_verifies_and_counts_what_it_refuses() {
        let metrics = Arc::new(Metrics::new().unwrap());
        let (answers, sink) = on_chain(metrics.clone());
        let subnet = digits_on_chain();
        let key = Keypair::generate_ed25519();
        let peer = key.public().to_peer_id();
        let request = answers.request(&subnet, Some(&neuron(3, peer)), payload());
        let check = |signing| {
            let answer = digits_answer(&key, &request, 3, signing);
            let receipt = answer.receipt().cloned();
            let InferResponse::Ok { payload, .. } = answer else {
                unreachable!()
            };
            answers.check(
                &subnet,
                peer,
                Uid(3),
                RequestKind::Challenge,
                &request,
                Duration::from_millis(40),
                payload,
                receipt.as_ref(),
            )
        };
        let output = check(Signing::Honest).unwrap();
        assert!(matches!(output, Output::Digits(ref d) if d.label == 3));
        let kept = sink.taken();
        assert_eq!(kept.len(), 1);
        let transcript = &kept[0];
        assert_eq!(
            (
                transcript.netuid(),
                transcript.uid(),
                transcript.peer,
                transcript.kind
            ),
            (NetUid(1), Uid(3), peer, RequestKind::Challenge)
        );
        assert_eq!(transcript.input.get(), request.payload.get());
        assert!(transcript.output.get().contains(r#""label":3"#));
        assert_eq!(
            transcript.evidence.response.challenge,
            request.evidence_challenge().unwrap()
        );
        assert_eq!(
            transcript.answered_at_ms - transcript.sent_at_ms,
            40,
            "sent 40 ms before the answer"
        );
        for signing in [Signing::Unsigned, Signing::OtherKey, Signing::OtherRequest] {
            assert!(matches!(check(signing), Err(Rejected::Unsigned(_))));
        }
        assert!(sink.taken().is_empty(), "nothing unverified is evidence");
        let count = |reason| {
            metrics
                .unsigned_answers
                .with_label_values(&["1", reason])
                .get()
        };
        assert_eq!(
            (
                count("missing"),
                count("bad_signature"),
                count("not_ed25519")
            ),
            (1, 2, 0)
        );
    }
}
