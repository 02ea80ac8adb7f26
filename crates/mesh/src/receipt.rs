//! Signed answers: a miner signs its answer to every request that carries [`ChallengeTerms`],
//! and a validator checks the signature before it uses the answer.
//!
//! What is signed is the sentinels' evidence, [`mindos_primitives::evidence::Response`]: the
//! challenge (the terms, with the request's `netuid`, its `request_id` as the nonce and the
//! hash of its payload), the block the miner had seen, the hash of the answer's canonical
//! bytes and the latency the miner reports. The wire carries only what the two sides do not
//! already share (the [`Receipt`]); each side rebuilds the rest, so a signature verifies only
//! for the exact request, answer and chain it was made for, and a verified answer is evidence
//! the chain accepts as it is (`submit_equivocation`, `submit_canary_failure`).
//!
//! The key is the one the miner's PeerId names (an Ed25519 PeerId embeds its public key), the
//! key the chain binds to the miner's hotkey when it serves: checking an answer needs no lookup
//! beyond the peer it came from.

use libp2p::identity::{ed25519, Keypair};
use mindos_primitives::evidence::{
    self, response_message, Challenge, Hash32, Response, SeenBlock, SignedResponse,
};

use crate::{
    wire::{ChallengeTerms, Receipt},
    InferRequest, NetUid, PeerId,
};

/// A challenge and response as the off-chain side builds them: hotkeys as their 32 bytes,
/// which SCALE-encode exactly as the runtime's `AccountId32`.
pub type AnswerChallenge = Challenge<[u8; 32]>;

/// A verified (or just signed) answer: the evidence the chain accepts.
pub type SignedAnswer = SignedResponse<[u8; 32]>;

/// Why an answer could not be signed or its signature is not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The request carries no [`ChallengeTerms`], so there is nothing to sign against.
    #[error("the request carries no challenge terms")]
    NoTerms,
    /// An answer to a request with terms came back without a receipt.
    #[error("the answer carries no receipt")]
    Missing,
    /// The peer's id does not embed an Ed25519 key (only those can be checked, and only those
    /// can serve on chain).
    #[error("peer {0} has no Ed25519 key to check its signature with")]
    NotEd25519(PeerId),
    /// The local key could not sign (it is not an Ed25519 key).
    #[error("cannot sign the answer: {0}")]
    Signing(String),
    /// The signature does not verify for this request, answer and chain with the peer's key.
    #[error("the receipt's signature does not verify against peer {0}'s key")]
    BadSignature(PeerId),
}

impl ChallengeTerms {
    /// The challenge a request of subnet `netuid` with request id `nonce` and payload text
    /// `payload` stands for under these terms.
    pub fn challenge(&self, netuid: NetUid, nonce: u64, payload: &[u8]) -> AnswerChallenge {
        Challenge {
            netuid,
            uid: self.uid.0,
            hotkey: self.hotkey,
            epoch: self.epoch,
            nonce,
            input_hash: evidence::input_hash(payload),
            model_digest: self.model_digest,
            deadline: self.deadline,
        }
    }
}

impl InferRequest {
    /// The challenge this request stands for, or `None` if it carries no terms. Hashes the
    /// payload (BLAKE2b, about 1 GB/s: microseconds for a request).
    pub fn evidence_challenge(&self) -> Option<AnswerChallenge> {
        self.challenge
            .as_ref()
            .map(|terms| terms.challenge(self.netuid, self.request_id, self.payload_bytes()))
    }
}

/// Signs the answer whose canonical bytes hash to `output_hash` to `challenge`, with the
/// miner's mesh identity `keypair`, for the chain whose genesis block hash is `genesis_hash`.
/// Returns the evidence and the [`Receipt`] to send with the answer.
pub fn sign_answer(
    keypair: &Keypair,
    genesis_hash: &[u8; 32],
    challenge: AnswerChallenge,
    seen_block: SeenBlock,
    output_hash: Hash32,
    latency_ms: u32,
) -> Result<(SignedAnswer, Receipt), ReceiptError> {
    let response = Response {
        challenge,
        seen_block,
        output_hash,
        latency_ms,
    };
    let message = response_message(genesis_hash, &response);
    let signature: [u8; 64] = keypair
        .sign(&message)
        .map_err(|e| ReceiptError::Signing(e.to_string()))?
        .try_into()
        .map_err(|_| ReceiptError::Signing("not an Ed25519 signature".to_owned()))?;
    let receipt = Receipt {
        seen_block: seen_block.number,
        seen_hash: seen_block.hash,
        latency_ms,
        signature,
    };
    Ok((
        SignedResponse {
            response,
            signature,
        },
        receipt,
    ))
}

/// Checks that `receipt` is `peer`'s signature of its answer (canonical bytes hashing to
/// `output_hash`) to `challenge` on the chain with `genesis_hash`, and returns the evidence.
pub fn verify_answer(
    genesis_hash: &[u8; 32],
    peer: &PeerId,
    challenge: AnswerChallenge,
    output_hash: Hash32,
    receipt: &Receipt,
) -> Result<SignedAnswer, ReceiptError> {
    let key = mindos_primitives::ed25519_key_of(&peer.to_bytes())
        .and_then(|key| ed25519::PublicKey::try_from_bytes(&key).ok())
        .ok_or(ReceiptError::NotEd25519(*peer))?;
    let response = Response {
        challenge,
        seen_block: SeenBlock {
            number: receipt.seen_block,
            hash: receipt.seen_hash,
        },
        output_hash,
        latency_ms: receipt.latency_ms,
    };
    let message = response_message(genesis_hash, &response);
    if !key.verify(&message, &receipt.signature) {
        return Err(ReceiptError::BadSignature(*peer));
    }
    Ok(SignedResponse {
        response,
        signature: receipt.signature,
    })
}

#[cfg(test)]
mod tests {
    use mindos_primitives::Uid;

    use super::*;

    const GENESIS: [u8; 32] = [1; 32];

    fn terms() -> ChallengeTerms {
        ChallengeTerms {
            uid: Uid(3),
            hotkey: [7; 32],
            epoch: 12,
            model_digest: [9; 32],
            deadline: 4_100,
        }
    }

    fn request() -> InferRequest {
        let mut request = InferRequest::new(NetUid(1), 42, br#"{"pixels":[0,1]}"#).unwrap();
        request.challenge = Some(terms());
        request
    }

    fn seen() -> SeenBlock {
        SeenBlock {
            number: 4_093,
            hash: [5; 32],
        }
    }

    #[test]
    fn an_answer_signed_by_a_peer_verifies_as_the_same_evidence() {
        let keypair = Keypair::generate_ed25519();
        let challenge = request().evidence_challenge().unwrap();
        assert_eq!(challenge.nonce, 42);
        assert_eq!(
            challenge.input_hash,
            evidence::input_hash(br#"{"pixels":[0,1]}"#)
        );
        let (signed, receipt) =
            sign_answer(&keypair, &GENESIS, challenge.clone(), seen(), [8; 32], 12).unwrap();
        let verified = verify_answer(
            &GENESIS,
            &keypair.public().to_peer_id(),
            challenge,
            [8; 32],
            &receipt,
        )
        .unwrap();
        assert_eq!(verified, signed);
        // What was signed is exactly the pallet's message for this response.
        let key = ed25519::PublicKey::try_from_bytes(
            &mindos_primitives::ed25519_key_of(&keypair.public().to_peer_id().to_bytes()).unwrap(),
        )
        .unwrap();
        assert!(key.verify(
            &response_message(&GENESIS, &verified.response),
            &verified.signature
        ));
    }

    #[test]
    fn a_signature_verifies_for_nothing_else() {
        let keypair = Keypair::generate_ed25519();
        let peer = keypair.public().to_peer_id();
        let challenge = request().evidence_challenge().unwrap();
        let (_, receipt) =
            sign_answer(&keypair, &GENESIS, challenge.clone(), seen(), [8; 32], 12).unwrap();
        let bad = |result: Result<SignedAnswer, ReceiptError>| {
            assert!(
                matches!(result, Err(ReceiptError::BadSignature(p)) if p == peer),
                "{result:?}"
            );
        };
        // Another answer, another chain, another request, another latency.
        bad(verify_answer(
            &GENESIS,
            &peer,
            challenge.clone(),
            [0; 32],
            &receipt,
        ));
        bad(verify_answer(
            &[2; 32],
            &peer,
            challenge.clone(),
            [8; 32],
            &receipt,
        ));
        let mut other = request();
        other.request_id = 43;
        bad(verify_answer(
            &GENESIS,
            &peer,
            other.evidence_challenge().unwrap(),
            [8; 32],
            &receipt,
        ));
        let mut slower = receipt.clone();
        slower.latency_ms = 13;
        bad(verify_answer(
            &GENESIS,
            &peer,
            challenge.clone(),
            [8; 32],
            &slower,
        ));
        // Another peer's key.
        let stranger = Keypair::generate_ed25519().public().to_peer_id();
        assert!(matches!(
            verify_answer(&GENESIS, &stranger, challenge, [8; 32], &receipt),
            Err(ReceiptError::BadSignature(_))
        ));
    }

    #[test]
    fn a_peer_without_an_ed25519_key_cannot_be_checked() {
        let hashed = PeerId::random();
        let challenge = request().evidence_challenge().unwrap();
        let receipt = Receipt {
            seen_block: 1,
            seen_hash: [1; 32],
            latency_ms: 1,
            signature: [0; 64],
        };
        assert!(matches!(
            verify_answer(&GENESIS, &hashed, challenge, [8; 32], &receipt),
            Err(ReceiptError::NotEd25519(p)) if p == hashed
        ));
    }

    #[test]
    fn a_request_without_terms_stands_for_no_challenge() {
        let request = InferRequest::new(NetUid(1), 42, b"{}").unwrap();
        assert_eq!(request.evidence_challenge(), None);
    }
}
