//! The `/mindos/infer/1` framing: tagged, length-prefixed JSON with size limits on both
//! directions.
//!
//! A caller keeps one long-lived stream (a *link*) per peer and sends every request over it;
//! answers come back on the same stream in whatever order they are ready. Each message is a
//! frame: an 8-byte big-endian **tag** chosen by the caller, a 4-byte big-endian body
//! length, and that many bytes of JSON. An answer carries its request's tag.
//!
//! The reader checks the length against its limit *before* allocating anything, and then
//! reads the body incrementally: its buffer starts at 16 KiB and doubles only once full,
//! never past the announced length (`read_body`), so a peer that announces a large frame and
//! then stalls holds at most twice what it actually sent (or the first 16 KiB buffer).
//! A caller's limit is per request (its subnet's response limit): the tag in the header says
//! which one applies.
//!
//! Bodies are parsed only as far as the envelope: a payload is checked to be well-formed
//! JSON and copied as text (a [`RawValue`]), never built into a tree, so decoding a frame
//! holds at most about twice its bytes whatever its JSON.

use std::{fmt, io};

use futures::{AsyncRead, AsyncReadExt};
use libp2p::StreamProtocol;
use serde_json::value::RawValue;

use crate::{
    wire::{ChallengeTerms, ErrorCode, InferRequest, InferResponse},
    NetUid,
};

/// Protocol name of the inference protocol.
pub const INFER_PROTOCOL: StreamProtocol = StreamProtocol::new("/mindos/infer/1");

/// Tag size in bytes.
const TAG_LEN: usize = 8;
/// Tag and length prefix.
pub(crate) const HEADER_LEN: usize = TAG_LEN + 4;

/// First allocation for a frame body; larger bodies grow as bytes actually arrive.
pub(crate) const INITIAL_BUFFER: usize = 16 * 1024;

/// First allocation for an encoded frame, and the most unused allocation one keeps (see
/// [`encode_frame`]).
pub(crate) const INITIAL_FRAME: usize = 128;

/// An oversized frame up to this many times the limit is read and discarded, so that the
/// link survives and the request gets a `too_large` answer; a larger one ends the link.
pub(crate) const DRAIN_FACTOR: u64 = 16;

/// Which message a [`FrameTooLarge`] refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Request,
    Response,
}

/// A frame exceeded a size limit.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FrameTooLarge {
    pub(crate) direction: Direction,
    pub(crate) size: u64,
    pub(crate) limit: u64,
}

impl fmt::Display for FrameTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} of {} bytes exceeds the {}-byte limit",
            self.direction, self.size, self.limit
        )
    }
}

impl std::error::Error for FrameTooLarge {}

/// What precedes every body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Header {
    pub(crate) tag: u64,
    pub(crate) len: u32,
}

/// Reads the next header. `Ok(None)` is a clean end of the stream between two frames; an end
/// inside a header is `UnexpectedEof`.
///
/// Not cancel-safe: a caller that gives up on the future loses the bytes it read.
async fn read_header<T: AsyncRead + Unpin>(io: &mut T) -> io::Result<Option<Header>> {
    let mut buf = [0u8; HEADER_LEN];
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match io.read(rest).await? {
            0 if filled == 0 => return Ok(None),
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "stream ended inside a frame header",
                ))
            }
            n => filled = filled.saturating_add(n),
        }
    }
    let (tag, len) = buf.split_at(TAG_LEN);
    Ok(Some(Header {
        tag: u64::from_be_bytes(tag.try_into().map_err(io::Error::other)?),
        len: u32::from_be_bytes(len.try_into().map_err(io::Error::other)?),
    }))
}

/// Reads the next frame's tag and nothing more (not its body), `Ok(None)` at a clean end.
pub(crate) async fn read_tag<T: AsyncRead + Unpin>(io: &mut T) -> io::Result<Option<u64>> {
    Ok(read_header(io).await?.map(|header| header.tag))
}

/// Reads exactly `len` bytes (already checked against the limit). The buffer starts at
/// [`INITIAL_BUFFER`] and doubles only once it is full, never past `len`: a peer that
/// announces a large frame and stalls holds at most twice what it sent (or the first buffer),
/// and a body never holds more memory than its length (`read_to_end` rounded up to the next
/// power of two, 32 KiB for a 17 KiB body).
async fn read_body<T: AsyncRead + Unpin>(io: &mut T, len: u32) -> io::Result<Vec<u8>> {
    let expected = usize::try_from(len).map_err(io::Error::other)?;
    let mut body = vec![0; expected.min(INITIAL_BUFFER)];
    let mut filled = 0;
    while filled < expected {
        if filled == body.len() {
            let grow = body.len().min(expected.saturating_sub(filled));
            body.reserve_exact(grow);
            body.resize(filled.saturating_add(grow), 0);
        }
        let read = match body.get_mut(filled..) {
            Some(free) => io.read(free).await?,
            None => 0,
        };
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "stream ended inside a frame",
            ));
        }
        filled = filled.saturating_add(read);
    }
    Ok(body)
}

/// Reads and drops `len` bytes, holding at most one small buffer.
async fn discard<T: AsyncRead + Unpin>(io: &mut T, len: u32) -> io::Result<()> {
    let copied = futures::io::copy(io.take(u64::from(len)), &mut futures::io::sink()).await?;
    if copied != u64::from(len) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "stream ended inside a frame",
        ));
    }
    Ok(())
}

/// `value` as one frame tagged `tag`, header included, so that it leaves in one write (one
/// yamux frame and one noise message rather than several).
pub(crate) fn encode_frame<T: serde::Serialize>(tag: u64, value: &T) -> io::Result<Vec<u8>> {
    // Small: most frames are short answers and refusals, and an inbound link may hold many
    // of them queued; larger ones grow and are trimmed below.
    let mut frame = Vec::with_capacity(INITIAL_FRAME);
    frame.extend_from_slice(&[0; HEADER_LEN]);
    serde_json::to_writer(&mut frame, value).map_err(io::Error::other)?;
    let len = u32::try_from(body_len(&frame)).map_err(io::Error::other)?;
    let (tag_bytes, rest) = frame.split_at_mut(TAG_LEN);
    tag_bytes.copy_from_slice(&tag.to_be_bytes());
    if let Some(prefix) = rest.get_mut(..HEADER_LEN.saturating_sub(TAG_LEN)) {
        prefix.copy_from_slice(&len.to_be_bytes());
    }
    // Growth by doubling may leave up to half the allocation unused; a queued answer should
    // cost what it says (the inbound byte budget counts capacity).
    if frame.capacity().saturating_sub(frame.len()) > INITIAL_FRAME {
        frame.shrink_to_fit();
    }
    Ok(frame)
}

/// Rewrites the tag of an encoded frame.
pub(crate) fn set_tag(frame: &mut [u8], tag: u64) {
    if let Some(tag_bytes) = frame.get_mut(..TAG_LEN) {
        tag_bytes.copy_from_slice(&tag.to_be_bytes());
    }
}

/// Bytes of a frame's body (without its header).
pub(crate) fn body_len(frame: &[u8]) -> u64 {
    u64::try_from(frame.len().saturating_sub(HEADER_LEN)).unwrap_or(u64::MAX)
}

/// A frame as read off a link, before its body is parsed.
pub(crate) enum RawFrame {
    /// A body within the limit.
    Body { tag: u64, body: Vec<u8> },
    /// A body over the limit (at most [`DRAIN_FACTOR`] times), read and dropped.
    Skipped { tag: u64, too_large: FrameTooLarge },
}

/// How large the bodies on a link may be.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameLimits<F> {
    /// The largest body kept, by the frame's tag (a caller's answers each have their
    /// request's limit).
    pub(crate) keep: F,
    /// The link's own limit: a body over `keep` but at most [`DRAIN_FACTOR`] times this is
    /// read and dropped; a larger one ends the link.
    pub(crate) drain: u32,
}

/// Every body up to `limit` is kept, whatever its tag.
pub(crate) fn uniform_limits(limit: u32) -> FrameLimits<impl Fn(u64) -> u32 + Copy> {
    FrameLimits {
        keep: move |_| limit,
        drain: limit,
    }
}

/// Reads the next frame, `Ok(None)` at a clean end of the link. A body over its limit
/// (`limits.keep` of its tag) is read into a fixed-size scratch buffer and dropped if it is
/// at most [`DRAIN_FACTOR`] times the link's limit (`limits.drain`), so the link stays
/// usable (the sender may be blocked on flow control until its frame is read); a larger one
/// is [`ReadError::TooLarge`], read no further.
pub(crate) async fn read_frame<T: AsyncRead + Unpin>(
    io: &mut T,
    limits: FrameLimits<impl FnOnce(u64) -> u32>,
    direction: Direction,
) -> Result<Option<RawFrame>, ReadError> {
    let Some(Header { tag, len }) = read_header(io).await? else {
        return Ok(None);
    };
    let limit = (limits.keep)(tag);
    if len <= limit {
        let body = read_body(io, len).await?;
        return Ok(Some(RawFrame::Body { tag, body }));
    }
    let too_large = FrameTooLarge {
        direction,
        size: u64::from(len),
        limit: u64::from(limit),
    };
    let drain = u64::from(limits.drain.max(limit)).saturating_mul(DRAIN_FACTOR);
    if u64::from(len) > drain {
        // Not worth the bandwidth.
        return Err(ReadError::TooLarge { tag, too_large });
    }
    discard(io, len).await?;
    Ok(Some(RawFrame::Skipped { tag, too_large }))
}

/// An inbound request as the server's link reader hands it on.
#[derive(Debug, PartialEq)]
pub(crate) enum RequestFrame {
    /// A well-formed request.
    Request { tag: u64, request: InferRequest },
    /// A request that is answered at once with an error; `message` says why.
    Refused {
        tag: u64,
        code: ErrorCode,
        message: String,
    },
}

/// Reads the next request, `Ok(None)` at a clean end of the link.
///
/// A malformed body, one over `limit` that [`read_frame`] could skip, or one over its
/// subnet's own limit (`subnet_limit`, checked before the payload is copied) becomes
/// [`RequestFrame::Refused`] and the link stays usable; a larger one is
/// [`ReadError::TooLarge`]: the server answers it and then closes the link.
pub(crate) async fn read_request<T: AsyncRead + Unpin>(
    io: &mut T,
    limit: u32,
    subnet_limit: impl Fn(NetUid) -> Option<u32>,
) -> Result<Option<RequestFrame>, ReadError> {
    let limits = uniform_limits(limit);
    Ok(match read_frame(io, limits, Direction::Request).await? {
        None => None,
        Some(RawFrame::Skipped { tag, too_large }) => Some(RequestFrame::Refused {
            tag,
            code: ErrorCode::TooLarge,
            message: format!(
                "request of {} bytes exceeds the {limit}-byte limit",
                too_large.size
            ),
        }),
        Some(RawFrame::Body { tag, body }) => Some(parse_request(tag, &body, subnet_limit)),
    })
}

/// A request as it lies in its body: the payload is a slice of the body, checked to be
/// well-formed JSON. The same fields as [`InferRequest`].
#[derive(serde::Deserialize)]
struct RequestInBody<'a> {
    netuid: NetUid,
    request_id: u64,
    #[serde(borrow)]
    payload: &'a RawValue,
    #[serde(default)]
    challenge: Option<ChallengeTerms>,
}

/// A request body as the link hands it on; see [`read_request`].
fn parse_request(
    tag: u64,
    body: &[u8],
    subnet_limit: impl Fn(NetUid) -> Option<u32>,
) -> RequestFrame {
    // One pass that allocates nothing but a byte per level of nesting: the payload is
    // checked, not built. A subnet's limit is far below the node's (a digits request is
    // under 1 KiB, the node takes up to `max_request_size` for any subnet), so it is
    // checked before the payload is copied out of the body.
    let RequestInBody {
        netuid,
        request_id,
        payload,
        challenge,
    } = match serde_json::from_slice::<RequestInBody<'_>>(body) {
        Ok(request) => request,
        Err(e) => {
            return RequestFrame::Refused {
                tag,
                code: ErrorCode::InvalidInput,
                message: format!("malformed request: {e}"),
            }
        }
    };
    let size = u64::try_from(body.len()).unwrap_or(u64::MAX);
    if let Some(max) = subnet_limit(netuid).filter(|&max| size > u64::from(max)) {
        return RequestFrame::Refused {
            tag,
            code: ErrorCode::TooLarge,
            message: format!(
                "request of {size} bytes exceeds the {max}-byte limit of subnet {netuid}"
            ),
        };
    }
    let request = InferRequest {
        netuid,
        request_id,
        payload: payload.to_owned(),
        challenge,
    };
    RequestFrame::Request { tag, request }
}

/// An answer as the caller's link reader hands it on.
#[derive(Debug, PartialEq)]
pub(crate) enum ResponseFrame {
    /// A well-formed answer.
    Response { tag: u64, response: InferResponse },
    /// An answer over the limit, skipped.
    TooLarge { tag: u64, too_large: FrameTooLarge },
    /// An answer that is not valid JSON of the expected shape.
    Malformed { tag: u64, reason: String },
}

impl ResponseFrame {
    /// The tag of the request this answers.
    pub(crate) fn tag(&self) -> u64 {
        match self {
            Self::Response { tag, .. }
            | Self::TooLarge { tag, .. }
            | Self::Malformed { tag, .. } => *tag,
        }
    }
}

/// Reads the next answer, `Ok(None)` at a clean end of the link. An answer over its limit
/// (`limits.keep` of its tag: its request's) that [`read_frame`] could skip is
/// [`ResponseFrame::TooLarge`] and the link stays usable; a larger one is
/// [`ReadError::TooLarge`] and ends the link. The payload of an answer kept is checked to
/// be well-formed JSON and kept as text.
pub(crate) async fn read_response<T: AsyncRead + Unpin>(
    io: &mut T,
    limits: FrameLimits<impl FnOnce(u64) -> u32>,
) -> Result<Option<ResponseFrame>, ReadError> {
    Ok(match read_frame(io, limits, Direction::Response).await? {
        None => None,
        Some(RawFrame::Skipped { tag, too_large }) => {
            Some(ResponseFrame::TooLarge { tag, too_large })
        }
        Some(RawFrame::Body { tag, body }) => Some(match serde_json::from_slice(&body) {
            Ok(response) => ResponseFrame::Response { tag, response },
            Err(e) => ResponseFrame::Malformed {
                tag,
                reason: e.to_string(),
            },
        }),
    })
}

/// Why a link could not be read further.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The frame tagged `tag` is too large to even drain.
    #[error("frame {tag}: {too_large}")]
    TooLarge { tag: u64, too_large: FrameTooLarge },
    /// The stream failed or ended inside a frame.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Encodes `response` as the answer tagged `tag`, replacing it with a `too_large` error if
/// its body would exceed `limit`.
pub(crate) fn encode_response(tag: u64, response: &InferResponse, limit: u32) -> Vec<u8> {
    let encoded = encode_frame(tag, response).and_then(|frame| {
        let size = body_len(&frame);
        if size > u64::from(limit) {
            tracing::warn!(
                size,
                limit,
                "response over the size limit replaced by a too_large error"
            );
            encode_frame(
                tag,
                &InferResponse::error(
                    ErrorCode::TooLarge,
                    format!("response of {size} bytes exceeds the {limit}-byte limit"),
                ),
            )
        } else {
            Ok(frame)
        }
    });
    encoded.unwrap_or_else(|e| {
        // Serialising our own wire types into memory does not fail; if it ever did, the
        // caller still gets an answer.
        tracing::error!(error = %e, "could not encode a response");
        let mut frame = Vec::with_capacity(HEADER_LEN.saturating_add(64));
        frame.extend_from_slice(&tag.to_be_bytes());
        let body = br#"{"status":"err","code":"internal","message":"unencodable response"}"#;
        frame.extend_from_slice(&u32::try_from(body.len()).unwrap_or(0).to_be_bytes());
        frame.extend_from_slice(body);
        frame
    })
}

#[cfg(test)]
mod tests {
    use futures::io::Cursor;

    use super::*;
    use crate::NetUid;

    fn request(payload: serde_json::Value) -> InferRequest {
        InferRequest::encode(NetUid(1), 9, &payload).unwrap()
    }

    fn no_limit(_: NetUid) -> Option<u32> {
        None
    }

    fn header(tag: u64, len: u32) -> Vec<u8> {
        let mut wire = tag.to_be_bytes().to_vec();
        wire.extend_from_slice(&len.to_be_bytes());
        wire
    }

    #[tokio::test]
    async fn requests_round_trip_with_their_tags() {
        let first = request(serde_json::json!({"x": [1, 2, 3]}));
        let second = request(serde_json::json!("ü"));
        let mut wire = encode_frame(7, &first).unwrap();
        wire.extend(encode_frame(u64::MAX, &second).unwrap());
        let mut cursor = Cursor::new(wire);
        assert_eq!(
            read_request(&mut cursor, 1024, no_limit).await.unwrap(),
            Some(RequestFrame::Request {
                tag: 7,
                request: first
            })
        );
        assert_eq!(
            read_request(&mut cursor, 1024, no_limit).await.unwrap(),
            Some(RequestFrame::Request {
                tag: u64::MAX,
                request: second
            })
        );
        assert_eq!(
            read_request(&mut cursor, 1024, no_limit).await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn set_tag_retags_an_encoded_frame() {
        let mut frame = encode_frame(1, &request(serde_json::json!(1))).unwrap();
        set_tag(&mut frame, 99);
        let got = read_request(&mut Cursor::new(frame), 1024, no_limit)
            .await
            .unwrap();
        assert!(matches!(got, Some(RequestFrame::Request { tag: 99, .. })));
    }

    #[tokio::test]
    async fn hugely_oversized_request_fails_without_reading_the_body() {
        // Only a header claiming 4 GiB; a reader that trusted it would allocate.
        let wire = header(3, u32::MAX);
        let err = read_request(&mut Cursor::new(wire), 1024, no_limit)
            .await
            .unwrap_err();
        let ReadError::TooLarge { tag, too_large } = err else {
            panic!("expected too large, got {err:?}");
        };
        assert_eq!(tag, 3);
        assert_eq!(too_large.direction, Direction::Request);
        assert_eq!(too_large.size, u64::from(u32::MAX));
    }

    #[tokio::test]
    async fn moderately_oversized_request_is_drained_and_refused() {
        let mut wire = header(5, 5000);
        wire.extend_from_slice(&[b'x'; 5000]);
        wire.extend_from_slice(b"after");
        let mut cursor = Cursor::new(wire);
        let got = read_request(&mut cursor, 1024, no_limit).await.unwrap();
        assert!(matches!(
            got,
            Some(RequestFrame::Refused {
                tag: 5,
                code: ErrorCode::TooLarge,
                ..
            })
        ));
        // Exactly the body was consumed.
        assert_eq!(cursor.position(), HEADER_LEN as u64 + 5000);
    }

    #[tokio::test]
    async fn a_request_over_its_subnets_limit_is_refused_and_the_link_stays_usable() {
        let big = request(serde_json::json!({"pixels": vec![1; 400]}));
        let small = request(serde_json::json!({"pixels": [1]}));
        let mut other = big.clone();
        other.netuid = NetUid(2);
        let mut wire = encode_frame(1, &big).unwrap();
        wire.extend(encode_frame(2, &small).unwrap());
        wire.extend(encode_frame(3, &other).unwrap());
        let limits = |netuid: NetUid| (netuid == NetUid(1)).then_some(256);
        let mut cursor = Cursor::new(wire);
        let got = read_request(&mut cursor, 4096, limits).await.unwrap();
        assert!(
            matches!(
                &got,
                Some(RequestFrame::Refused { tag: 1, code: ErrorCode::TooLarge, message })
                    if message.contains("256-byte limit of subnet 1")
            ),
            "{got:?}"
        );
        let got = read_request(&mut cursor, 4096, limits).await.unwrap();
        assert_eq!(
            got,
            Some(RequestFrame::Request {
                tag: 2,
                request: small
            })
        );
        let got = read_request(&mut cursor, 4096, limits).await.unwrap();
        assert_eq!(
            got,
            Some(RequestFrame::Request {
                tag: 3,
                request: other
            }),
            "no limit on subnet 2"
        );
    }

    #[test]
    fn encoded_frames_do_not_hold_much_unused_memory() {
        let small = encode_response(1, &InferResponse::error(ErrorCode::Busy, "busy"), 1024);
        assert!(small.capacity() <= INITIAL_FRAME, "{}", small.capacity());
        let big = encode_frame(2, &"x".repeat(100_000)).unwrap();
        assert!(
            big.capacity() <= big.len() + INITIAL_FRAME,
            "{} for {}",
            big.capacity(),
            big.len()
        );
    }

    #[tokio::test]
    async fn a_body_past_the_first_buffer_holds_no_more_than_its_length() {
        // 20 KiB: past the 16 KiB first buffer, under the limit.
        let len = 20 * 1024;
        let mut wire = header(1, len);
        wire.extend(vec![b' '; len as usize]);
        let Some(RawFrame::Body { body, .. }) = read_frame(
            &mut Cursor::new(wire),
            uniform_limits(64 * 1024),
            Direction::Request,
        )
        .await
        .unwrap() else {
            panic!("expected a body");
        };
        assert_eq!(body.len(), len as usize);
        assert!(
            body.capacity() <= len as usize,
            "{} bytes held",
            body.capacity()
        );
    }

    #[tokio::test]
    async fn malformed_request_is_refused_as_invalid_input() {
        let mut wire = header(1, 3);
        wire.extend_from_slice(b"{x}");
        let got = read_request(&mut Cursor::new(wire), 1024, no_limit)
            .await
            .unwrap();
        assert!(matches!(
            got,
            Some(RequestFrame::Refused {
                tag: 1,
                code: ErrorCode::InvalidInput,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn truncated_frames_are_errors() {
        let mut wire = header(1, 100);
        wire.extend_from_slice(b"{}");
        let err = read_request(&mut Cursor::new(wire), 1024, no_limit)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ReadError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof),
            "{err:?}"
        );
        let half_header = header(1, 100)[..6].to_vec();
        let err = read_response(&mut Cursor::new(half_header), uniform_limits(1024))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ReadError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn oversized_responses_are_typed_and_drained_when_affordable() {
        let mut wire = header(4, 2000);
        wire.extend_from_slice(&[b'y'; 2000]);
        wire.extend(encode_response(5, &InferResponse::ok(b"1").unwrap(), 1024));
        let mut cursor = Cursor::new(wire);
        let got = read_response(&mut cursor, uniform_limits(1024))
            .await
            .unwrap();
        assert_eq!(
            got,
            Some(ResponseFrame::TooLarge {
                tag: 4,
                too_large: FrameTooLarge {
                    direction: Direction::Response,
                    size: 2000,
                    limit: 1024
                }
            })
        );
        // The next answer on the link is still read.
        let got = read_response(&mut cursor, uniform_limits(1024))
            .await
            .unwrap();
        assert!(matches!(got, Some(ResponseFrame::Response { tag: 5, .. })));

        let err = read_response(&mut Cursor::new(header(6, 1 << 30)), uniform_limits(1024))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ReadError::TooLarge { tag: 6, ref too_large } if too_large.size == 1 << 30),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn each_answer_is_held_to_its_own_requests_limit() {
        // Tag 1 takes 64 bytes, tag 2 the link's 4096.
        let answer = InferResponse::encode_ok(&"z".repeat(2000)).unwrap();
        let mut wire = encode_response(1, &answer, 4096);
        wire.extend(encode_response(2, &answer, 4096));
        wire.extend(header(3, 16 * 4096 + 1));
        let limits = FrameLimits {
            keep: |tag| if tag == 1 { 64 } else { 4096 },
            drain: 4096,
        };
        let mut cursor = Cursor::new(wire);
        // Over its own limit, and more than 16 times it: still drained, within the link's.
        let got = read_response(&mut cursor, limits).await.unwrap();
        assert!(
            matches!(
                &got,
                Some(ResponseFrame::TooLarge { tag: 1, too_large })
                    if too_large.limit == 64 && too_large.size > 2000
            ),
            "{got:?}"
        );
        let got = read_response(&mut cursor, limits).await.unwrap();
        assert_eq!(
            got,
            Some(ResponseFrame::Response {
                tag: 2,
                response: answer
            })
        );
        // Past 16 times the link's limit: not read at all.
        let err = read_response(&mut cursor, limits).await.unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { tag: 3, .. }), "{err:?}");
    }

    #[tokio::test]
    async fn a_request_payload_keeps_its_text_and_is_not_built() {
        // Deeper than any JSON tree serde_json builds (128 levels): only its syntax is
        // checked here; the subnet's typed decoding refuses it.
        let nested = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let body = format!(r#"{{"netuid":1,"request_id":2,"payload":{nested}}}"#);
        let mut wire = header(4, u32::try_from(body.len()).unwrap());
        wire.extend_from_slice(body.as_bytes());
        let got = read_request(&mut Cursor::new(wire), 4096, no_limit)
            .await
            .unwrap();
        let Some(RequestFrame::Request { tag: 4, request }) = got else {
            panic!("expected a request, got {got:?}");
        };
        assert_eq!(request.payload_bytes(), nested.as_bytes());

        let mut wire = header(5, 41);
        wire.extend_from_slice(br#"{"netuid":1,"request_id":2,"payload":[1,}"#);
        let got = read_request(&mut Cursor::new(wire), 4096, no_limit)
            .await
            .unwrap();
        assert!(
            matches!(
                got,
                Some(RequestFrame::Refused {
                    tag: 5,
                    code: ErrorCode::InvalidInput,
                    ..
                })
            ),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn malformed_responses_are_reported_with_their_tag() {
        let mut wire = header(8, 5);
        wire.extend_from_slice(b"[1,2]");
        let got = read_response(&mut Cursor::new(wire), uniform_limits(1024))
            .await
            .unwrap();
        assert!(matches!(got, Some(ResponseFrame::Malformed { tag: 8, .. })));
    }

    #[tokio::test]
    async fn oversized_response_is_replaced_on_write() {
        let big = InferResponse::encode_ok(&"x".repeat(500)).unwrap();
        let wire = encode_response(2, &big, 200);
        assert!(body_len(&wire) <= 200);
        let got = read_response(&mut Cursor::new(wire), uniform_limits(200))
            .await
            .unwrap();
        let Some(ResponseFrame::Response { tag: 2, response }) = got else {
            panic!("expected a response, got {got:?}");
        };
        assert_eq!(response.error_code(), Some(ErrorCode::TooLarge));
    }
}
