//! Transcripts: every answer whose signature the validator verified, kept as evidence.
//!
//! A transcript holds what re-execution needs (the input and the answer, as the miner saw and
//! sent them), what the chain accepts (the miner's signed response) and the timing. The
//! challenge and gateway paths hand each one to a [`TranscriptSink`] as soon as the answer's
//! receipt verifies; the evidence store (`crate::evidence`) keeps them for the audit window
//! and serves them to committee and audit members over `/mindos/evidence/1`.

use mindos_mesh::{receipt::SignedAnswer, PeerId};
use serde_json::value::RawValue;

/// Why the validator sent the request a transcript records. Only the validator knows: the
/// miner saw the same kind of request each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// A challenge the validator generated.
    Challenge,
    /// A user's query through the gateway.
    Query,
    /// A canary: a challenge whose expected answer the validator committed on chain.
    Canary,
}

/// One verified answer. How it is stored and sent is the evidence store's concern (the
/// evidence is SCALE, as the chain takes it).
#[derive(Clone, Debug)]
pub(crate) struct Transcript {
    /// The peer that answered (its key signed `evidence`).
    pub(crate) peer: PeerId,
    /// What the request was, as the validator knows it.
    pub(crate) kind: RequestKind,
    /// The request's payload, the exact text sent (its hash is the challenge's `input_hash`).
    pub(crate) input: Box<RawValue>,
    /// The answer's payload, the exact text received.
    pub(crate) output: Box<RawValue>,
    /// The miner's signed response: the challenge, the block it had seen, the hash of the
    /// answer's canonical bytes, its reported latency and the signature.
    pub(crate) evidence: SignedAnswer,
    /// When the request was sent, milliseconds since the Unix epoch (validator's clock).
    pub(crate) sent_at_ms: u64,
    /// When the answer arrived, milliseconds since the Unix epoch (validator's clock).
    pub(crate) answered_at_ms: u64,
}

#[cfg(test)]
/// Read from the signed challenge, which states them once.
impl Transcript {
    /// The subnet (as the signed challenge names it).
    pub(crate) fn netuid(&self) -> mindos_mesh::NetUid {
        self.evidence.response.challenge.netuid
    }

    /// The miner's uid when it answered (as the signed challenge names it).
    pub(crate) fn uid(&self) -> mindos_mesh::Uid {
        mindos_mesh::Uid(self.evidence.response.challenge.uid)
    }
}

/// Takes verified answers. Never blocks: a sink that cannot keep up drops and counts them.
pub(crate) trait TranscriptSink: Send + Sync {
    /// Keeps `transcript` (or drops it, counted, when full).
    fn record(&self, transcript: Transcript);
}

/// A sink that keeps nothing (for tests; a validator records to the evidence store's
/// `crate::evidence::StoreSink`).
#[cfg(test)]
pub(crate) struct Discard;

#[cfg(test)]
impl TranscriptSink for Discard {
    fn record(&self, _transcript: Transcript) {}
}
