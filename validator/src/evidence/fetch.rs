//! The sentinel duty's side of `/mindos/evidence/1`: fetch a transcript from the validator
//! that keeps it, and believe it only once it checks out, since that validator may be the
//! one lying:
//!
//! 1. it is the transcript asked for (its challenge, or the case's evidence hash);
//! 2. its challenge names the model the subnet pins;
//! 3. its input hashes to the challenge's `input_hash`;
//! 4. its output decodes for the subnet, and hashes ([`SubnetEngine::output_hash`]) to the
//!    `output_hash` the miner signed;
//! 5. the miner's signature verifies with the miner's key ([`verify_answer`]): the PeerId the
//!    chain binds to its hotkey (the metagraph's, or the sentinels pallet's key history for
//!    an older epoch), never the one the transcript names.
//!
//! Only then is it evidence the duty can re-execute and vote on.

use std::time::Duration;

use mindos_chain_client::runtime::{self, runtime_types::mindos_primitives::NetUid as ChainNetUid};
use mindos_mesh::{
    evidence::{
        EvidenceErrorCode, EvidenceItem, EvidenceRequest, EvidenceResponse, EvidenceTranscript,
        TranscriptRef,
    },
    libp2p::{self, identity::ed25519},
    receipt::{verify_answer, ReceiptError},
    MeshClient, MeshError, NetUid, PeerId, Receipt,
};
use mindos_primitives::evidence::{input_hash, Hash32};
use mindos_subnets::{SubnetEngine, SubnetError};
use subxt::utils::AccountId32;

use crate::{
    chain::{chain_error, ChainSession},
    metagraph::SubnetState,
    ValidatorError,
};

/// Why a transcript could not be had, or is not to be believed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FetchError {
    /// No answer came from the keeper.
    #[error("asking {keeper} for evidence failed: {source}")]
    Mesh {
        /// The validator asked.
        keeper: PeerId,
        /// Why (boxed: a mesh error is large, and this one is rare).
        #[source]
        source: Box<MeshError>,
    },
    /// The keeper refused the request as a whole.
    #[error("{keeper} refused the evidence request ({code:?}): {message}")]
    RequestRefused {
        /// The validator asked.
        keeper: PeerId,
        /// Its error code.
        code: EvidenceErrorCode,
        /// What it said.
        message: String,
    },
    /// The keeper does not let this validator read the subnet's transcripts.
    #[error("{keeper} refused the transcript: {reason}")]
    Refused {
        /// The validator asked.
        keeper: PeerId,
        /// What it said.
        reason: String,
    },
    /// The keeper keeps no such transcript.
    #[error("{keeper} keeps no such transcript")]
    NotFound {
        /// The validator asked.
        keeper: PeerId,
    },
    /// The transcript did not fit in an answer.
    #[error("{keeper} has the transcript but it does not fit in an answer")]
    TooLarge {
        /// The validator asked.
        keeper: PeerId,
    },
    /// The transcript is not the one asked for.
    #[error("the transcript is not the one asked for")]
    NotAsked,
    /// The challenge names another model than the subnet pins.
    #[error("the challenge names another model than the subnet pins")]
    WrongModel,
    /// The input does not hash to the challenge's `input_hash`.
    #[error("the input does not hash to the challenge's input_hash")]
    InputHash,
    /// The output does not decode as the subnet's.
    #[error("the output does not decode for the subnet: {0}")]
    OutputDecode(#[source] SubnetError),
    /// The output does not hash to what the miner signed.
    #[error("the output does not hash to the output_hash the miner signed")]
    OutputHash,
    /// The chain binds no key to the miner's hotkey that this validator knows.
    #[error("no PeerId is known for the miner's hotkey")]
    UnknownMiner,
    /// The miner's signature does not verify.
    #[error("the miner's signature does not verify: {0}")]
    Signature(#[source] ReceiptError),
}

/// Checks that `transcript` is the one `wanted` names and that it holds together: its
/// payloads hash to what the miner signed, and one of `miners`' keys (those the chain binds
/// to the hotkey for the challenge's epoch) signed it on the chain with `genesis_hash` (see
/// the module docs). Decodes the output: call it off the executor for a
/// large subnet (text-embedding outputs are up to 16 KiB of JSON).
pub(crate) fn check_transcript(
    transcript: &EvidenceTranscript,
    wanted: &TranscriptRef,
    engine: &dyn SubnetEngine,
    genesis_hash: &Hash32,
    miners: &[PeerId],
) -> Result<(), FetchError> {
    if !wanted.names(transcript) {
        return Err(FetchError::NotAsked);
    }
    let signed = &transcript.evidence;
    let challenge = &signed.response.challenge;
    if challenge.model_digest != engine.model_digest() {
        return Err(FetchError::WrongModel);
    }
    if input_hash(transcript.input.as_bytes()) != challenge.input_hash {
        return Err(FetchError::InputHash);
    }
    let output = engine
        .decode_output(transcript.output.as_bytes())
        .map_err(FetchError::OutputDecode)?;
    let output_hash = engine
        .output_hash(&output)
        .map_err(FetchError::OutputDecode)?;
    if output_hash != signed.response.output_hash {
        return Err(FetchError::OutputHash);
    }
    let receipt = Receipt {
        seen_block: signed.response.seen_block.number,
        seen_hash: signed.response.seen_block.hash,
        latency_ms: signed.response.latency_ms,
        signature: signed.signature,
    };
    let mut failure = FetchError::UnknownMiner;
    for miner in miners {
        match verify_answer(
            genesis_hash,
            miner,
            challenge.clone(),
            output_hash,
            &receipt,
        ) {
            Ok(_) => return Ok(()),
            Err(e) => failure = FetchError::Signature(e),
        }
    }
    Err(failure)
}

/// The PeerIds of the Ed25519 keys `hotkey` had bound on `netuid` in sentinel `epoch`, as the
/// sentinels pallet verifies evidence (its `KeyHistory`: a binding verifies epochs from its
/// own to the next binding's, both included). Empty if the chain keeps none.
pub(crate) async fn miner_keys(
    session: &ChainSession,
    netuid: NetUid,
    hotkey: [u8; 32],
    epoch: u64,
) -> Result<Vec<PeerId>, ValidatorError> {
    let at = session.at_best().await?;
    let history = at
        .storage()
        .try_fetch(
            runtime::storage().sentinels().key_history(),
            (ChainNetUid(netuid.0), AccountId32(hotkey)),
        )
        .await
        .map_err(chain_error)?
        .map(|v| v.decode().map_err(chain_error))
        .transpose()?
        .map(|bindings| bindings.0)
        .unwrap_or_default();
    let bindings: Vec<(u64, [u8; 32])> = history.iter().map(|b| (b.from_epoch, b.key)).collect();
    Ok(keys_at(&bindings, epoch)
        .into_iter()
        .filter_map(|key| ed25519::PublicKey::try_from_bytes(&key).ok())
        .map(|key| libp2p::identity::PublicKey::from(key).to_peer_id())
        .collect())
}

/// Of `bindings` (`(from_epoch, key)`, oldest first), the keys that verify challenges of
/// `epoch`: the pallet's `keys_at`.
fn keys_at(bindings: &[(u64, [u8; 32])], epoch: u64) -> Vec<[u8; 32]> {
    let ends = bindings
        .iter()
        .skip(1)
        .map(|(from, _)| Some(*from))
        .chain(std::iter::once(None));
    bindings
        .iter()
        .zip(ends)
        .filter(|((from, _), end)| *from <= epoch && end.is_none_or(|end| epoch <= end))
        .map(|((_, key), _)| *key)
        .collect()
}

/// The PeerId the metagraph binds to `hotkey` on `subnet` (for a challenge of the current
/// epoch; an older one needs the key the hotkey had bound then, from the key history).
pub(crate) fn miner_peer(subnet: &SubnetState, hotkey: &[u8; 32]) -> Option<PeerId> {
    subnet
        .neurons()
        .iter()
        .find(|n| n.hotkey == *hotkey)
        .and_then(|n| n.peer)
}

/// Asks `keeper` for the transcript `wanted` names, waiting at most `timeout`, unchecked.
pub(crate) async fn fetch_transcript(
    mesh: &MeshClient,
    keeper: PeerId,
    wanted: TranscriptRef,
    timeout: Duration,
) -> Result<EvidenceTranscript, FetchError> {
    let request = EvidenceRequest { refs: vec![wanted] };
    let answer = mesh
        .fetch_evidence(keeper, &request, timeout)
        .await
        .map_err(|source| FetchError::Mesh {
            keeper,
            source: Box::new(source),
        })?;
    let item = match answer {
        EvidenceResponse::Items(items) => items.into_iter().next(),
        EvidenceResponse::Error { code, message } => {
            return Err(FetchError::RequestRefused {
                keeper,
                code,
                message,
            })
        }
    };
    match item {
        Some(EvidenceItem::Found(transcript)) => Ok(transcript),
        Some(EvidenceItem::Refused(reason)) => Err(FetchError::Refused { keeper, reason }),
        Some(EvidenceItem::TooLarge) => Err(FetchError::TooLarge { keeper }),
        Some(EvidenceItem::NotFound) | None => Err(FetchError::NotFound { keeper }),
    }
}

/// Fetches the transcript `wanted` names from `keeper` and checks it
/// ([`check_transcript`], on a blocking thread) against `subnet`'s engine and `miners`' keys:
/// those [`miner_keys`] reads for the challenge's epoch, or if none are given, the one the
/// metagraph binds to the challenged hotkey now.
pub(crate) async fn fetch_checked(
    mesh: &MeshClient,
    keeper: PeerId,
    wanted: TranscriptRef,
    subnet: &SubnetState,
    genesis_hash: Hash32,
    mut miners: Vec<PeerId>,
    timeout: Duration,
) -> Result<EvidenceTranscript, FetchError> {
    let transcript = fetch_transcript(mesh, keeper, wanted, timeout).await?;
    if miners.is_empty() {
        let hotkey = transcript.evidence.response.challenge.hotkey;
        miners.extend(miner_peer(subnet, &hotkey));
    }
    let engine = subnet.engine.clone();
    tokio::task::spawn_blocking(move || {
        check_transcript(&transcript, &wanted, &*engine, &genesis_hash, &miners)
            .map(|()| transcript)
    })
    .await
    .map_err(|e| FetchError::Mesh {
        keeper,
        source: Box::new(MeshError::Stream(format!("the check panicked: {e}"))),
    })?
}

#[cfg(test)]
pub(crate) mod tests {
    use mindos_mesh::{evidence::TranscriptId, Keypair, NetUid};
    use mindos_subnets::EngineConfig;

    use super::*;
    use crate::evidence::tests::{signed_transcript, GENESIS};

    /// A digits transcript the miner `key` signed honestly: the model's own answer to a
    /// validation sample, with the subnet's pinned model digest.
    pub(crate) fn honest(engine: &dyn SubnetEngine, key: &Keypair) -> EvidenceTranscript {
        let challenge = engine.challenge(0).unwrap();
        let input = String::from_utf8(engine.encode_input(&challenge.input).unwrap()).unwrap();
        let output =
            String::from_utf8(engine.encode_output(&challenge.reference).unwrap()).unwrap();
        let hash = engine.output_hash(&challenge.reference).unwrap();
        let mut transcript = signed_transcript(key, NetUid(1), 3, 11, &input, &output, hash);
        // Re-signed over the subnet's model digest.
        let mut c = transcript.evidence.response.challenge.clone();
        c.model_digest = engine.model_digest();
        let (evidence, _) = mindos_mesh::receipt::sign_answer(
            key,
            &GENESIS,
            c,
            transcript.evidence.response.seen_block,
            hash,
            transcript.evidence.response.latency_ms,
        )
        .unwrap();
        transcript.evidence = evidence;
        transcript
    }

    #[test]
    fn a_key_verifies_the_epochs_from_its_binding_to_the_next() {
        let bindings = [(2, [1; 32]), (5, [2; 32]), (9, [3; 32])];
        assert!(keys_at(&bindings, 1).is_empty());
        assert_eq!(keys_at(&bindings, 2), vec![[1; 32]]);
        // A key replaced during epoch 5 still verifies it.
        assert_eq!(keys_at(&bindings, 5), vec![[1; 32], [2; 32]]);
        assert_eq!(keys_at(&bindings, 7), vec![[2; 32]]);
        assert_eq!(keys_at(&bindings, 100), vec![[3; 32]]);
        assert!(keys_at(&[], 3).is_empty());
    }

    #[test]
    fn a_tampered_transcript_is_rejected() {
        let engine = mindos_subnets::load("digits", &EngineConfig::default()).unwrap();
        let engine = &*engine;
        let key = Keypair::generate_ed25519();
        let miner = key.public().to_peer_id();
        let good = honest(engine, &key);
        let wanted = TranscriptRef::Challenge(good.id());
        let check =
            |t: &EvidenceTranscript| check_transcript(t, &wanted, engine, &GENESIS, &[miner]);
        check(&good).unwrap();
        check_transcript(
            &good,
            &TranscriptRef::Evidence {
                netuid: NetUid(1),
                hash: good.evidence_hash(),
            },
            engine,
            &GENESIS,
            &[miner],
        )
        .unwrap();

        // Another label than the miner signed.
        let mut t = good.clone();
        let label: serde_json::Value = serde_json::from_str(&t.output).unwrap();
        let other = (label["label"].as_u64().unwrap() + 1) % 10;
        t.output = t.output.replace(
            &format!("\"label\":{}", label["label"]),
            &format!("\"label\":{other}"),
        );
        assert_ne!(t.output, good.output);
        assert!(
            matches!(check(&t), Err(FetchError::OutputHash)),
            "{:?}",
            check(&t)
        );

        // An output that is not the subnet's.
        let mut t = good.clone();
        t.output = r#"{"embedding":[0.5]}"#.into();
        assert!(matches!(check(&t), Err(FetchError::OutputDecode(_))));

        // Another input than the challenge's.
        let mut t = good.clone();
        t.input = t.input.replacen('0', "1", 1);
        assert!(matches!(check(&t), Err(FetchError::InputHash)));

        // A signed output hash rewritten to match a forged output: the signature fails.
        let mut t = good.clone();
        t.evidence.response.output_hash = [0; 32];
        t.output = good.output.clone();
        assert!(matches!(check(&t), Err(FetchError::OutputHash)));
        let mut t = good.clone();
        t.evidence.response.latency_ms += 1;
        assert!(matches!(check(&t), Err(FetchError::Signature(_))));

        // Another key than the chain binds to the miner.
        let stranger = Keypair::generate_ed25519().public().to_peer_id();
        assert!(matches!(
            check_transcript(&good, &wanted, engine, &GENESIS, &[stranger]),
            Err(FetchError::Signature(_))
        ));
        // Any of the keys bound for the epoch verifies; none at all is an unknown miner.
        check_transcript(&good, &wanted, engine, &GENESIS, &[stranger, miner]).unwrap();
        assert!(matches!(
            check_transcript(&good, &wanted, engine, &GENESIS, &[]),
            Err(FetchError::UnknownMiner)
        ));
        // Another chain.
        assert!(matches!(
            check_transcript(&good, &wanted, engine, &[9; 32], &[miner]),
            Err(FetchError::Signature(_))
        ));

        // Another model.
        let mut t = good.clone();
        t.evidence.response.challenge.model_digest = [0; 32];
        assert!(matches!(check(&t), Err(FetchError::WrongModel)));

        // Not the transcript asked for.
        let other = TranscriptRef::Challenge(TranscriptId {
            nonce: 12,
            ..good.id()
        });
        assert!(matches!(
            check_transcript(&good, &other, engine, &GENESIS, &[miner]),
            Err(FetchError::NotAsked)
        ));
    }
}
