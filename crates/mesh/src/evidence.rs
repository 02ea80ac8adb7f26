//! `/mindos/evidence/1`: validators fetch the transcripts other validators keep as sentinel
//! evidence (a miner's signed answer, with the input and the output it answered), to re-check
//! a case before they vote on it.
//!
//! # Wire format
//!
//! A caller opens a stream and sends requests on it one at a time; the server answers each
//! before it reads the next. Each message is a frame as on `/mindos/infer/1` (an 8-byte
//! big-endian tag the caller chooses, a 4-byte big-endian length, then the body), but the
//! body is **SCALE**, as the chain takes evidence:
//!
//! | message | body |
//! |---|---|
//! | request | [`EvidenceRequest`]: `Vec<TranscriptRef>`, at most [`MAX_REFS_PER_REQUEST`] |
//! | answer | [`EvidenceResponse`]: `Items(Vec<EvidenceItem>)`, one per ref in order, or `Error { code, message }` for the request as a whole |
//!
//! An item is `Found(EvidenceTranscript)`, `NotFound`, `Refused(reason)` (the caller may not
//! read that subnet's transcripts) or `TooLarge` (the transcript does not fit in the answer's
//! [`MAX_EVIDENCE_RESPONSE_SIZE`]; ask for it alone).
//!
//! # Limits
//!
//! | limit | value | past it |
//! |---|---|---|
//! | request body | [`MAX_EVIDENCE_REQUEST_SIZE`] (4 KiB) | `Error { TooLarge }`; a body up to 16 times it is read and dropped and the stream stays usable, a larger one is answered and the stream closed |
//! | refs per request | [`MAX_REFS_PER_REQUEST`] (16) | `Error { TooMany }` |
//! | answer body | [`MAX_EVIDENCE_RESPONSE_SIZE`] (4 MiB) | transcripts that do not fit are `TooLarge` items; a caller drains a larger answer and fails with `ResponseTooLarge` |
//! | streams per peer | [`MAX_STREAMS_PER_PEER`] (2) | the new stream is answered `Error { Busy }` and closed |
//! | streams in all | [`MAX_STREAMS`] (64) | the same |
//! | a request, once its first byte came; an answer's write | [`EVIDENCE_TIMEOUT`] (10 s) | the stream is closed |
//! | a stream without a request | [`EVIDENCE_IDLE_TIMEOUT`] (30 s) | the stream is closed |
//!
//! A malformed body is answered `Error { Malformed }` and the stream stays usable.
//!
//! # Who is answered
//!
//! The server's [`EvidenceSource`] decides: [`EvidenceSource::authorize`] is asked for each
//! ref's subnet and requesting peer before anything is looked up, so a peer that may not read
//! a subnet's transcripts learns nothing of them, not even whether they exist. Lookups run
//! on a blocking thread ([`EvidenceSource::lookup`] reads a database).

use std::{
    collections::HashMap,
    io,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use codec::{Decode, Encode};
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::{PeerId, Stream, StreamProtocol};
use libp2p_stream::{Control, IncomingStreams};
use mindos_primitives::evidence::Hash32;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::{
    codec::{self as frames, Direction, FrameTooLarge, RawFrame, ReadError, HEADER_LEN},
    receipt::{AnswerChallenge, SignedAnswer},
    MeshError, NetUid,
};

/// Protocol name of the evidence protocol.
pub const EVIDENCE_PROTOCOL: StreamProtocol = StreamProtocol::new("/mindos/evidence/1");

/// Most transcripts one request may name. A voter needs one per case; a few more let it
/// fetch a miner's recent answers at once.
pub const MAX_REFS_PER_REQUEST: usize = 16;

/// Largest request body: [`MAX_REFS_PER_REQUEST`] refs of at most 51 bytes each fit in a
/// fifth of it.
pub const MAX_EVIDENCE_REQUEST_SIZE: u32 = 4 * 1024;

/// Largest answer body. A transcript holds a request and an answer within their subnet's
/// limits (text-embedding: under 97 KiB and 16 KiB; digits: 2 KiB and 1 KiB) and about
/// 300 bytes more, so sixteen of the largest fit in under half of it.
pub const MAX_EVIDENCE_RESPONSE_SIZE: u32 = 4 * 1024 * 1024;

/// Most evidence streams one peer may have open at a server at once; each carries one
/// request at a time, so this is the peer's concurrency.
pub const MAX_STREAMS_PER_PEER: usize = 2;

/// Most evidence streams a server serves at once, from all peers.
pub const MAX_STREAMS: usize = 64;

/// How long a request may take to arrive once its first byte has, and an answer to be
/// written; also a caller's default wait for an answer.
pub const EVIDENCE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a server keeps a stream that carries no request.
pub const EVIDENCE_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest refusal reason sent, in bytes (a longer one is cut at a character boundary).
const MAX_REASON_LEN: usize = 256;

/// Bytes of an answer kept for its envelope and for the items that are not transcripts (at
/// most [`MAX_REFS_PER_REQUEST`] refusals of [`MAX_REASON_LEN`] bytes and their tags).
const ANSWER_RESERVE: usize = 8 * 1024;

/// Most refusals (`Busy`) being written at once; beyond, a stream over the limits is dropped
/// without a word.
const REFUSING_AT_ONCE: usize = 16;

/// The identity of a challenge, which names its transcript: the subnet, the challenged
/// miner's hotkey, the sentinel epoch and the nonce the sentinel chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct TranscriptId {
    /// The subnet.
    pub netuid: NetUid,
    /// The challenged miner's hotkey.
    pub hotkey: [u8; 32],
    /// The subnet's sentinel epoch the challenge was sent in.
    pub epoch: u64,
    /// The challenge's nonce (its request id).
    pub nonce: u64,
}

impl TranscriptId {
    /// The id of the transcript of `challenge`.
    pub fn of(challenge: &AnswerChallenge) -> Self {
        Self {
            netuid: challenge.netuid,
            hotkey: challenge.hotkey,
            epoch: challenge.epoch,
            nonce: challenge.nonce,
        }
    }
}

/// How a request names a transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum TranscriptRef {
    /// By its challenge.
    Challenge(TranscriptId),
    /// By the evidence hash a judged case names ([`evidence_hash`]), in `netuid`.
    Evidence {
        /// The subnet (what authorization is decided on).
        netuid: NetUid,
        /// The case's `evidence_hash`.
        hash: Hash32,
    },
}

impl TranscriptRef {
    /// The subnet of the transcript named.
    pub fn netuid(&self) -> NetUid {
        match self {
            Self::Challenge(id) => id.netuid,
            Self::Evidence { netuid, .. } => *netuid,
        }
    }

    /// Whether `transcript` is the one named.
    pub fn names(&self, transcript: &EvidenceTranscript) -> bool {
        match self {
            Self::Challenge(id) => transcript.id() == *id,
            Self::Evidence { netuid, hash } => {
                transcript.evidence.response.challenge.netuid == *netuid
                    && transcript.evidence_hash() == *hash
            }
        }
    }
}

/// Why the validator sent the request a transcript records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum TranscriptKind {
    /// A challenge the validator generated.
    Challenge,
    /// A user's query through the gateway.
    Query,
    /// A canary: a challenge whose expected answer the validator committed on chain.
    Canary,
}

/// One verified answer as stored and served: what re-execution needs (the input and the
/// answer, as the exact text sent and received), what the chain accepts (the miner's signed
/// response) and the timing. About 300 bytes plus the two payloads, SCALE-encoded.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EvidenceTranscript {
    /// The PeerId that answered, as bytes (the key that signed `evidence`, as the keeper saw
    /// it; a checker verifies with the key the chain binds to the hotkey instead).
    pub peer: Vec<u8>,
    /// Why the request was sent.
    pub kind: TranscriptKind,
    /// The request's payload, the exact JSON text sent (its hash is the challenge's
    /// `input_hash`).
    pub input: String,
    /// The answer's payload, the exact JSON text received.
    pub output: String,
    /// The miner's signed response.
    pub evidence: SignedAnswer,
    /// When the request was sent, milliseconds since the Unix epoch (keeper's clock).
    pub sent_at_ms: u64,
    /// When the answer arrived, milliseconds since the Unix epoch (keeper's clock).
    pub answered_at_ms: u64,
}

impl EvidenceTranscript {
    /// The id of its challenge.
    pub fn id(&self) -> TranscriptId {
        TranscriptId::of(&self.evidence.response.challenge)
    }

    /// Its [`evidence_hash`].
    pub fn evidence_hash(&self) -> Hash32 {
        evidence_hash(&self.evidence)
    }

    /// Its SCALE encoding (how it is stored and sent).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode()
    }

    /// Decodes [`EvidenceTranscript::to_bytes`]; `None` if `bytes` are not exactly one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        decode_all(bytes)
    }
}

/// The hash a judged case names as its `evidence_hash`: BLAKE2b-256 of the SCALE encoding of
/// the miner's signed response. It binds the input (by its hash in the challenge), the
/// answer's meaning (its output hash) and the signature, and none of the keeper's own
/// notes (its timing), so any keeper of the same answer serves a transcript with this hash.
pub fn evidence_hash(signed: &SignedAnswer) -> Hash32 {
    sp_crypto_hashing::blake2_256(&signed.encode())
}

/// A request: the transcripts wanted.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EvidenceRequest {
    /// At most [`MAX_REFS_PER_REQUEST`].
    pub refs: Vec<TranscriptRef>,
}

impl EvidenceRequest {
    /// Its SCALE encoding (a request's body).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode()
    }
}

/// What a request gets for one ref.
// At most 16 in an answer, most of them `Found`: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum EvidenceItem {
    /// The transcript.
    Found(EvidenceTranscript),
    /// The server keeps no such transcript (never had it, or pruned it).
    NotFound,
    /// The caller may not read this subnet's transcripts; why.
    Refused(String),
    /// The transcript did not fit in this answer; ask for it alone.
    TooLarge,
}

/// Why a request as a whole was not answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum EvidenceErrorCode {
    /// The body does not decode as an [`EvidenceRequest`].
    Malformed,
    /// The body exceeds [`MAX_EVIDENCE_REQUEST_SIZE`].
    TooLarge,
    /// More than [`MAX_REFS_PER_REQUEST`] refs, or none.
    TooMany,
    /// The caller has [`MAX_STREAMS_PER_PEER`] streams open already, or the server
    /// [`MAX_STREAMS`].
    Busy,
    /// The server could not read its store.
    Internal,
}

/// An answer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum EvidenceResponse {
    /// One item per ref of the request, in its order.
    Items(Vec<EvidenceItem>),
    /// The request as a whole was refused.
    Error {
        /// Why.
        code: EvidenceErrorCode,
        /// What the server says about it.
        message: String,
    },
}

impl EvidenceResponse {
    fn error(code: EvidenceErrorCode, message: impl Into<String>) -> Self {
        Self::Error {
            code,
            message: message.into(),
        }
    }

    /// Decodes an answer's body; `None` if it is not exactly one answer.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        decode_all(bytes)
    }
}

/// `T` if `bytes` are exactly its encoding. SCALE allocates as it reads, so decoding a body
/// holds at most a few times its (bounded) bytes.
fn decode_all<T: Decode>(mut bytes: &[u8]) -> Option<T> {
    let value = T::decode(&mut bytes).ok()?;
    bytes.is_empty().then_some(value)
}

/// What a server answers from: the application's policy and store.
pub trait EvidenceSource: Send + Sync + 'static {
    /// Whether `peer` may read the transcripts of subnet `netuid`: `Err` says why not. Called
    /// on the executor: an in-memory check.
    fn authorize(&self, peer: &PeerId, netuid: NetUid) -> Result<(), String>;

    /// The transcripts `refs` name, one entry per ref in order (`None`: not kept). Called on
    /// a blocking thread; `Err` answers the request `Internal`.
    fn lookup(&self, refs: &[TranscriptRef]) -> Result<Vec<Option<EvidenceTranscript>>, String>;
}

/// `body` as one frame tagged `tag`.
fn frame(tag: u64, body: &[u8]) -> io::Result<Vec<u8>> {
    let len = u32::try_from(body.len()).map_err(io::Error::other)?;
    let mut frame = Vec::with_capacity(HEADER_LEN.saturating_add(body.len()));
    frame.extend_from_slice(&tag.to_be_bytes());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(body);
    Ok(frame)
}

/// Serves `/mindos/evidence/1` from `source`: streams come from `incoming` until `stopped`.
pub(crate) struct EvidenceServer {
    source: Arc<dyn EvidenceSource>,
    streams: Arc<Semaphore>,
    per_peer: Mutex<HashMap<PeerId, usize>>,
    refusing: Arc<Semaphore>,
    stopped: CancellationToken,
}

impl EvidenceServer {
    pub(crate) fn start(
        control: &mut Control,
        source: Arc<dyn EvidenceSource>,
        stopped: CancellationToken,
    ) -> Result<(), MeshError> {
        let incoming = control
            .accept(EVIDENCE_PROTOCOL)
            .map_err(|e| MeshError::Setup(e.to_string()))?;
        let server = Arc::new(Self {
            source,
            streams: Arc::new(Semaphore::new(MAX_STREAMS)),
            per_peer: Mutex::new(HashMap::new()),
            refusing: Arc::new(Semaphore::new(REFUSING_AT_ONCE)),
            stopped,
        });
        // A task, not the infer acceptor's thread: evidence streams are rare (a few per case
        // and voter), so the one-slot hand-over of libp2p-stream is not crowded.
        tokio::spawn(server.accept(incoming));
        Ok(())
    }

    fn per_peer(&self) -> MutexGuard<'_, HashMap<PeerId, usize>> {
        self.per_peer.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn accept(self: Arc<Self>, mut incoming: IncomingStreams) {
        loop {
            tokio::select! {
                next = incoming.next() => match next {
                    Some((peer, stream)) => self.admit(peer, stream),
                    None => return,
                },
                () = self.stopped.cancelled() => return,
            }
        }
    }

    /// Serves `stream` on a task of its own if `peer` and the server have room for it;
    /// otherwise answers its first request `Busy` and closes it.
    fn admit(self: &Arc<Self>, peer: PeerId, stream: Stream) {
        let permit = self.streams.clone().try_acquire_owned().ok();
        let counted = permit.and_then(|permit| {
            let mut open = self.per_peer();
            let count = open.entry(peer).or_default();
            if *count >= MAX_STREAMS_PER_PEER {
                return None;
            }
            *count = count.saturating_add(1);
            Some(StreamGuard {
                server: self.clone(),
                peer,
                _permit: permit,
            })
        });
        match counted {
            Some(guard) => {
                tokio::spawn(serve(guard, stream));
            }
            None => {
                tracing::debug!(%peer, "refusing an evidence stream: too many open");
                if let Ok(permit) = self.refusing.clone().try_acquire_owned() {
                    tokio::spawn(refuse_busy(peer, stream, permit));
                }
            }
        }
    }

    /// The answer to one request body from `peer`.
    async fn answer(&self, peer: PeerId, body: &[u8]) -> EvidenceResponse {
        let Some(request) = decode_all::<EvidenceRequest>(body) else {
            return EvidenceResponse::error(
                EvidenceErrorCode::Malformed,
                "the body is not an evidence request",
            );
        };
        let count = request.refs.len();
        if count == 0 || count > MAX_REFS_PER_REQUEST {
            return EvidenceResponse::error(
                EvidenceErrorCode::TooMany,
                format!("{count} refs; a request names 1 to {MAX_REFS_PER_REQUEST}"),
            );
        }
        // Authorization first, so a refused ref is never looked up.
        let verdicts: Vec<Result<(), String>> = request
            .refs
            .iter()
            .map(|r| self.source.authorize(&peer, r.netuid()))
            .collect();
        let allowed: Vec<TranscriptRef> = request
            .refs
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| v.is_ok())
            .map(|(r, _)| *r)
            .collect();
        let source = self.source.clone();
        let found = if allowed.is_empty() {
            Ok(Vec::new())
        } else {
            let lookup = allowed.clone();
            match tokio::task::spawn_blocking(move || source.lookup(&lookup)).await {
                Ok(found) => found,
                Err(e) => Err(e.to_string()),
            }
        };
        let found = match found {
            Ok(found) if found.len() == allowed.len() => found,
            Ok(found) => {
                tracing::error!(
                    asked = allowed.len(),
                    got = found.len(),
                    "the evidence source answered another number of refs"
                );
                return EvidenceResponse::error(EvidenceErrorCode::Internal, "lookup failed");
            }
            Err(e) => {
                tracing::warn!(%peer, error = %e, "evidence lookup failed");
                return EvidenceResponse::error(EvidenceErrorCode::Internal, "lookup failed");
            }
        };
        let mut found = allowed.iter().zip(found);
        let mut room = usize::try_from(MAX_EVIDENCE_RESPONSE_SIZE)
            .unwrap_or(usize::MAX)
            .saturating_sub(ANSWER_RESERVE);
        let items = verdicts
            .into_iter()
            .map(|verdict| match verdict {
                Err(reason) => EvidenceItem::Refused(truncate(reason, MAX_REASON_LEN)),
                Ok(()) => match found.next() {
                    // A source that answers another ref than asked is not believed.
                    Some((wanted, Some(transcript))) if wanted.names(&transcript) => {
                        let size = transcript.encoded_size().saturating_add(8);
                        if size > room {
                            return EvidenceItem::TooLarge;
                        }
                        room = room.saturating_sub(size);
                        EvidenceItem::Found(transcript)
                    }
                    _ => EvidenceItem::NotFound,
                },
            })
            .collect();
        EvidenceResponse::Items(items)
    }
}

/// The answer to a request over [`MAX_EVIDENCE_REQUEST_SIZE`].
fn request_too_large(too_large: &FrameTooLarge) -> EvidenceResponse {
    EvidenceResponse::error(
        EvidenceErrorCode::TooLarge,
        format!(
            "request of {} bytes exceeds the {MAX_EVIDENCE_REQUEST_SIZE}-byte limit",
            too_large.size
        ),
    )
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let cut = (0..=max)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
    }
    text
}

/// Counts a stream against its peer's and the server's allowance while it is served.
struct StreamGuard {
    server: Arc<EvidenceServer>,
    peer: PeerId,
    _permit: OwnedSemaphorePermit,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut open = self.server.per_peer();
        if let Some(count) = open.get_mut(&self.peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.peer);
            }
        }
    }
}

/// Answers a stream's first request `Busy` (from its header alone) and closes it.
async fn refuse_busy(peer: PeerId, mut stream: Stream, _permit: OwnedSemaphorePermit) {
    let refused = tokio::time::timeout(Duration::from_secs(2), async {
        let Some(tag) = frames::read_tag(&mut stream).await? else {
            return Ok(());
        };
        let answer = EvidenceResponse::error(
            EvidenceErrorCode::Busy,
            format!("peer {peer} has {MAX_STREAMS_PER_PEER} evidence streams open, or the server is full"),
        );
        stream.write_all(&frame(tag, &answer.encode())?).await?;
        stream.close().await
    })
    .await;
    if let Ok(Err(e)) = refused {
        tracing::debug!(%peer, error = %e, "could not refuse an evidence stream");
    }
}

/// Serves one stream: reads a request, answers it, and again, until the caller closes the
/// stream, it idles out, or it breaks the framing.
async fn serve(guard: StreamGuard, mut stream: Stream) {
    let peer = guard.peer;
    let server = guard.server.clone();
    let limits = frames::uniform_limits(MAX_EVIDENCE_REQUEST_SIZE);
    loop {
        // The next frame's first byte within the idle timeout (reading one byte is
        // cancel-safe), then the rest within the request timeout.
        let mut first = [0u8; 1];
        let started = tokio::select! {
            read = tokio::time::timeout(EVIDENCE_IDLE_TIMEOUT, stream.read(&mut first)) => read,
            () = server.stopped.cancelled() => break,
        };
        match started {
            Ok(Ok(0)) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "evidence stream failed");
                break;
            }
            Err(_) => {
                tracing::debug!(%peer, "closing an idle evidence stream");
                break;
            }
        }
        let read = {
            let mut reader = (&first[..]).chain(&mut stream);
            tokio::time::timeout(
                EVIDENCE_TIMEOUT,
                frames::read_frame(&mut reader, limits, Direction::Request),
            )
            .await
        };
        let (tag, answer, close) = match read {
            Err(_) => {
                tracing::debug!(%peer, "an evidence request stalled; closing the stream");
                break;
            }
            Ok(Ok(None)) => break,
            Ok(Ok(Some(RawFrame::Body { tag, body }))) => {
                (tag, server.answer(peer, &body).await, false)
            }
            Ok(Ok(Some(RawFrame::Skipped { tag, too_large }))) => {
                (tag, request_too_large(&too_large), false)
            }
            // Too large to even drain: answered, then the stream is closed.
            Ok(Err(ReadError::TooLarge { tag, too_large })) => {
                (tag, request_too_large(&too_large), true)
            }
            Ok(Err(ReadError::Io(e))) => {
                tracing::debug!(%peer, error = %e, "evidence stream failed");
                break;
            }
        };
        if let EvidenceResponse::Error { code, message } = &answer {
            tracing::debug!(%peer, ?code, %message, "evidence request refused");
        }
        let written = async {
            stream.write_all(&frame(tag, &answer.encode())?).await?;
            stream.flush().await
        };
        match tokio::time::timeout(EVIDENCE_TIMEOUT, written).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "writing an evidence answer failed");
                break;
            }
            Err(_) => {
                tracing::debug!(%peer, "an evidence answer was not taken in time");
                break;
            }
        }
        if close {
            break;
        }
    }
    let _ = stream.close().await;
    drop(guard);
}

/// Sends `request` to `peer` on a fresh stream and waits at most `timeout` for the answer.
pub(crate) async fn fetch(
    mut control: Control,
    stopped: &CancellationToken,
    peer: PeerId,
    request: &EvidenceRequest,
    timeout: Duration,
) -> Result<EvidenceResponse, MeshError> {
    let count = request.refs.len();
    if count == 0 || count > MAX_REFS_PER_REQUEST {
        return Err(MeshError::InvalidRequest(format!(
            "{count} refs; a request names 1 to {MAX_REFS_PER_REQUEST}"
        )));
    }
    let body = request.encode();
    let limit = u64::from(MAX_EVIDENCE_REQUEST_SIZE);
    let size = u64::try_from(body.len()).unwrap_or(u64::MAX);
    if size > limit {
        return Err(MeshError::RequestTooLarge { size, limit });
    }
    let exchange = async {
        let mut stream = tokio::select! {
            opened = control.open_stream(peer, EVIDENCE_PROTOCOL) => {
                opened.map_err(|e| crate::outbound::open_error(peer, e))?
            }
            () = stopped.cancelled() => return Err(MeshError::Shutdown),
        };
        let frame = frame(0, &body).map_err(|e| MeshError::Stream(e.to_string()))?;
        stream
            .write_all(&frame)
            .await
            .map_err(|e| MeshError::Stream(e.to_string()))?;
        stream
            .flush()
            .await
            .map_err(|e| MeshError::Stream(e.to_string()))?;
        let limits = frames::uniform_limits(MAX_EVIDENCE_RESPONSE_SIZE);
        let answer = match frames::read_frame(&mut stream, limits, Direction::Response).await {
            Ok(Some(RawFrame::Body { body, .. })) => EvidenceResponse::from_bytes(&body)
                .ok_or_else(|| MeshError::InvalidResponse("not an evidence answer".into())),
            Ok(Some(RawFrame::Skipped { too_large, .. }))
            | Err(ReadError::TooLarge { too_large, .. }) => Err(MeshError::ResponseTooLarge {
                size: too_large.size,
                limit: too_large.limit,
            }),
            Ok(None) => Err(MeshError::ConnectionClosed),
            Err(ReadError::Io(e)) => Err(MeshError::Stream(e.to_string())),
        };
        // One request per stream: the server sees the end and frees its slot.
        let _ = stream.close().await;
        answer
    };
    let answer = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| MeshError::Timeout)??;
    if let EvidenceResponse::Items(items) = &answer {
        if items.len() != count {
            return Err(MeshError::InvalidResponse(format!(
                "{} items for {count} refs",
                items.len()
            )));
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("short".into(), 256), "short");
        let long = "é".repeat(200);
        let cut = truncate(long, 255);
        assert_eq!(cut.len(), 254);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn requests_and_transcripts_round_trip_as_scale() {
        let request = EvidenceRequest {
            refs: vec![TranscriptRef::Evidence {
                netuid: NetUid(1),
                hash: [3; 32],
            }],
        };
        assert_eq!(decode_all(&request.to_bytes()), Some(request.clone()));
        let mut trailing = request.to_bytes();
        trailing.push(0);
        assert_eq!(decode_all::<EvidenceRequest>(&trailing), None);
        // A ref is at most 51 bytes: sixteen fit in the request limit with room to spare.
        let widest = TranscriptRef::Challenge(TranscriptId {
            netuid: NetUid(u16::MAX),
            hotkey: [0xff; 32],
            epoch: u64::MAX,
            nonce: u64::MAX,
        });
        assert_eq!(widest.encoded_size(), 51);
        let full = EvidenceRequest {
            refs: vec![widest; MAX_REFS_PER_REQUEST],
        };
        assert!(full.to_bytes().len() * 4 < MAX_EVIDENCE_REQUEST_SIZE as usize);
    }
}
