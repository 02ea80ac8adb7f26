//! Evidence: the validator keeps every answer whose signature it verified (a [`Transcript`])
//! for as long as the chain can use it, and serves it over `/mindos/evidence/1` to the
//! validators who must judge the miner: members of the subnet's sentinel committee (current
//! or next), of an open case or audit, or the electors of an escalated audit.
//!
//! - [`sink`]: the challenge and gateway paths hand transcripts to a bounded queue
//!   ([`StoreSink`]); a writer task commits them to the store in batches off the executor,
//!   keeps them within the byte bound and prunes those older than the retention window.
//! - [`access`]: who may fetch, refreshed from the chain at each new block.
//! - [`fetch`]: the sentinel duty's side, fetching another validator's transcript and
//!   checking it (input hash, output hash, the miner's signature) before trusting it.
//!
//! The store's tables are described in [`crate::store`]; the protocol in
//! [`mindos_mesh::evidence`].

pub(crate) mod access;
// The sentinel duty (issue 20) calls these; until it lands only the tests do.
#[allow(dead_code)]
pub(crate) mod fetch;
pub(crate) mod sink;

use std::sync::Arc;

use mindos_mesh::{
    evidence::{EvidenceSource, EvidenceTranscript, TranscriptKind, TranscriptRef},
    NetUid, PeerId,
};

use crate::{
    metrics::Metrics,
    store::Store,
    transcript::{RequestKind, Transcript},
};
pub(crate) use access::Access;
pub(crate) use sink::StoreSink;

/// Sentinel epochs a transcript is kept when the chain cannot be read: the runtime's
/// `MaxEvidenceAgeEpochs` (4) plus its `AuditWindowEpochs` (2). The chain's own values are
/// read at start ([`access::retention_epochs`]).
pub(crate) const DEFAULT_RETENTION_EPOCHS: u64 = 4 + 2;

/// A transcript as it is stored and served.
pub(crate) fn to_evidence(transcript: &Transcript) -> EvidenceTranscript {
    EvidenceTranscript {
        peer: transcript.peer.to_bytes(),
        kind: match transcript.kind {
            RequestKind::Challenge => TranscriptKind::Challenge,
            RequestKind::Query => TranscriptKind::Query,
            RequestKind::Canary => TranscriptKind::Canary,
        },
        input: transcript.input.get().to_owned(),
        output: transcript.output.get().to_owned(),
        evidence: transcript.evidence.clone(),
        sent_at_ms: transcript.sent_at_ms,
        answered_at_ms: transcript.answered_at_ms,
    }
}

/// What `/mindos/evidence/1` answers from: the store, to the peers [`Access`] lets in.
pub(crate) struct Keeper {
    pub(crate) store: Arc<Store>,
    pub(crate) access: Arc<Access>,
    pub(crate) metrics: Arc<Metrics>,
}

impl EvidenceSource for Keeper {
    fn authorize(&self, peer: &PeerId, netuid: NetUid) -> Result<(), String> {
        let verdict = self.access.authorize(peer, netuid);
        if let Err(reason) = &verdict {
            tracing::debug!(%peer, %netuid, %reason, "evidence refused");
            self.count("refused", 1);
        }
        verdict
    }

    fn lookup(&self, refs: &[TranscriptRef]) -> Result<Vec<Option<EvidenceTranscript>>, String> {
        let found = self.store.transcripts(refs).map_err(|e| e.to_string())?;
        let served = found.iter().filter(|t| t.is_some()).count();
        self.count("served", served);
        self.count("not_found", found.len().saturating_sub(served));
        Ok(found)
    }
}

impl Keeper {
    fn count(&self, outcome: &str, n: usize) {
        self.metrics
            .evidence_requests
            .with_label_values(&[outcome])
            .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use mindos_mesh::{receipt::sign_answer, Keypair};
    use mindos_primitives::evidence::{input_hash, Challenge, SeenBlock};

    use super::*;

    /// A transcript of subnet `netuid` signed by `miner`, as the tests store and check it.
    pub(crate) fn signed_transcript(
        miner: &Keypair,
        netuid: NetUid,
        epoch: u64,
        nonce: u64,
        input: &str,
        output: &str,
        output_hash: [u8; 32],
    ) -> EvidenceTranscript {
        let challenge = Challenge {
            netuid,
            uid: 2,
            hotkey: [4; 32],
            epoch,
            nonce,
            input_hash: input_hash(input.as_bytes()),
            model_digest: [7; 32],
            deadline: 100,
        };
        let seen = SeenBlock {
            number: 90,
            hash: [1; 32],
        };
        let (evidence, _) = sign_answer(miner, &GENESIS, challenge, seen, output_hash, 12).unwrap();
        EvidenceTranscript {
            peer: miner.public().to_peer_id().to_bytes(),
            kind: TranscriptKind::Challenge,
            input: input.to_owned(),
            output: output.to_owned(),
            evidence,
            sent_at_ms: 1_000,
            answered_at_ms: 1_012,
        }
    }

    /// The genesis hash the tests sign for.
    pub(crate) const GENESIS: [u8; 32] = [2; 32];

    /// A transcript with made-up payloads (for the store, which checks nothing).
    pub(crate) fn transcript(netuid: NetUid, epoch: u64, nonce: u64) -> EvidenceTranscript {
        let input = format!(r#"{{"pixels":[{nonce}]}}"#);
        signed_transcript(
            &Keypair::generate_ed25519(),
            netuid,
            epoch,
            nonce,
            &input,
            r#"{"label":1}"#,
            [8; 32],
        )
    }
}
