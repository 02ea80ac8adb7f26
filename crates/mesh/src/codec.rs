//! The `/mindos/infer/1` codec: length-prefixed JSON with size limits on both directions.
//!
//! A frame is a 4-byte big-endian length followed by that many bytes of JSON. The reader
//! checks the length against its limit *before* allocating anything, and then reads
//! incrementally (`take(len).read_to_end`), so a peer that announces a large frame and then
//! stalls costs no more memory than it actually sent.

use std::{fmt, io};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

use crate::wire::{ErrorCode, InferRequest, InferResponse};

/// Protocol name of the inference request-response protocol.
pub const INFER_PROTOCOL: StreamProtocol = StreamProtocol::new("/mindos/infer/1");

/// Length-prefix size in bytes.
const LEN_PREFIX: usize = 4;

/// First allocation for a frame body; larger bodies grow as bytes actually arrive.
const INITIAL_BUFFER: usize = 16 * 1024;

/// An oversized request up to this many times the limit is read and discarded so that its
/// sender gets a `too_large` answer; a larger one resets the stream.
const DRAIN_FACTOR: u64 = 16;

/// Which message a [`FrameTooLarge`] refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Request,
    Response,
}

/// A frame exceeded a size limit. Travels inside an [`io::Error`] out of the codec so the
/// event loop can turn it back into a typed [`MeshError`](crate::MeshError).
#[derive(Debug)]
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

/// The inbound side of a request, as the codec hands it to the behaviour.
///
/// Requests the codec refuses (too large, not JSON) still reach the event loop, which answers
/// them with a typed [`InferResponse::Err`] instead of resetting the stream.
#[derive(Debug)]
pub(crate) enum RequestFrame {
    /// A well-formed request.
    Request(InferRequest),
    /// A request refused by the codec; `message` says why.
    Refused { code: ErrorCode, message: String },
}

/// Codec for [`INFER_PROTOCOL`] with per-direction size limits.
#[derive(Clone, Debug)]
pub(crate) struct InferCodec {
    pub(crate) max_request_size: u32,
    pub(crate) max_response_size: u32,
}

/// Counts bytes without storing them, to size a message before encoding it for real.
struct CountingWriter(u64);

impl io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = u64::try_from(buf.len()).unwrap_or(u64::MAX);
        self.0 = self.0.saturating_add(n);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Encoded size of `value` in bytes, without allocating the encoding.
pub(crate) fn encoded_len<T: serde::Serialize>(value: &T) -> io::Result<u64> {
    let mut counter = CountingWriter(0);
    serde_json::to_writer(&mut counter, value).map_err(io::Error::other)?;
    Ok(counter.0)
}

async fn read_len<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<u32> {
    let mut prefix = [0u8; LEN_PREFIX];
    io.read_exact(&mut prefix).await?;
    Ok(u32::from_be_bytes(prefix))
}

/// Reads exactly `len` bytes (already checked against the limit).
async fn read_body<T: AsyncRead + Unpin + Send>(io: &mut T, len: u32) -> io::Result<Vec<u8>> {
    let expected = usize::try_from(len).map_err(io::Error::other)?;
    let mut body = Vec::with_capacity(expected.min(INITIAL_BUFFER));
    io.take(u64::from(len)).read_to_end(&mut body).await?;
    if body.len() != expected {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "stream ended inside a frame",
        ));
    }
    Ok(body)
}

/// Reads and drops `len` bytes, holding at most one small buffer.
async fn discard<T: AsyncRead + Unpin + Send>(io: &mut T, len: u32) -> io::Result<()> {
    let copied = futures::io::copy(io.take(u64::from(len)), &mut futures::io::sink()).await?;
    if copied != u64::from(len) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "stream ended inside a frame",
        ));
    }
    Ok(())
}

/// `value` as one frame, length prefix included, so that it leaves in one write (one yamux
/// frame and one noise message rather than two of each).
fn encode_frame<T: serde::Serialize>(value: &T) -> io::Result<Vec<u8>> {
    let mut frame = Vec::with_capacity(1024);
    frame.extend_from_slice(&[0; LEN_PREFIX]);
    serde_json::to_writer(&mut frame, value).map_err(io::Error::other)?;
    let len = u32::try_from(body_len(&frame)).map_err(io::Error::other)?;
    if let Some(prefix) = frame.get_mut(..LEN_PREFIX) {
        prefix.copy_from_slice(&len.to_be_bytes());
    }
    Ok(frame)
}

/// Bytes of a frame's body (without its length prefix).
fn body_len(frame: &[u8]) -> u64 {
    u64::try_from(frame.len().saturating_sub(LEN_PREFIX)).unwrap_or(u64::MAX)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, frame: &[u8]) -> io::Result<()> {
    io.write_all(frame).await?;
    io.flush().await
}

fn too_large(direction: Direction, size: u64, limit: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        FrameTooLarge {
            direction,
            size,
            limit: u64::from(limit),
        },
    )
}

impl libp2p::request_response::Codec for InferCodec {
    type Protocol = StreamProtocol;
    type Request = RequestFrame;
    type Response = InferResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<RequestFrame>
    where
        T: AsyncRead + Unpin + Send,
    {
        let len = read_len(io).await?;
        if len > self.max_request_size {
            let limit = u64::from(self.max_request_size);
            if u64::from(len) > limit.saturating_mul(DRAIN_FACTOR) {
                // Not worth the bandwidth: reset the stream.
                return Err(too_large(
                    Direction::Request,
                    u64::from(len),
                    self.max_request_size,
                ));
            }
            // The sender cannot read our answer until it has finished writing (and it may be
            // blocked on flow control), so consume the body into a fixed-size scratch buffer,
            // then answer `too_large`.
            discard(io, len).await?;
            return Ok(RequestFrame::Refused {
                code: ErrorCode::TooLarge,
                message: format!("request of {len} bytes exceeds the {limit}-byte limit"),
            });
        }
        let body = read_body(io, len).await?;
        Ok(match serde_json::from_slice::<InferRequest>(&body) {
            Ok(request) => RequestFrame::Request(request),
            Err(e) => RequestFrame::Refused {
                code: ErrorCode::InvalidInput,
                message: format!("malformed request: {e}"),
            },
        })
    }

    async fn read_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<InferResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        let len = read_len(io).await?;
        if len > self.max_response_size {
            return Err(too_large(
                Direction::Response,
                u64::from(len),
                self.max_response_size,
            ));
        }
        let body = read_body(io, len).await?;
        serde_json::from_slice(&body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: RequestFrame,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let RequestFrame::Request(request) = request else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "refused requests are never sent",
            ));
        };
        let frame = encode_frame(&request)?;
        let size = body_len(&frame);
        if size > u64::from(self.max_request_size) {
            return Err(too_large(Direction::Request, size, self.max_request_size));
        }
        write_frame(io, &frame).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: InferResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let mut frame = encode_frame(&response)?;
        let size = body_len(&frame);
        if size > u64::from(self.max_response_size) {
            tracing::warn!(
                size,
                limit = self.max_response_size,
                "response over the size limit replaced by a too_large error"
            );
            let refusal = InferResponse::error(
                ErrorCode::TooLarge,
                format!(
                    "response of {size} bytes exceeds the {}-byte limit",
                    self.max_response_size
                ),
            );
            frame = encode_frame(&refusal)?;
        }
        write_frame(io, &frame).await
    }
}

#[cfg(test)]
mod tests {
    use futures::io::Cursor;
    use libp2p::request_response::Codec;

    use super::*;

    fn codec(max_request_size: u32, max_response_size: u32) -> InferCodec {
        InferCodec {
            max_request_size,
            max_response_size,
        }
    }

    fn request(payload: serde_json::Value) -> InferRequest {
        InferRequest {
            netuid: 1,
            request_id: 9,
            payload,
        }
    }

    #[tokio::test]
    async fn request_round_trips() {
        let mut c = codec(1024, 1024);
        let mut wire = Vec::new();
        let req = request(serde_json::json!({"x": [1, 2, 3]}));
        c.write_request(
            &INFER_PROTOCOL,
            &mut wire,
            RequestFrame::Request(req.clone()),
        )
        .await
        .unwrap();
        let got = c
            .read_request(&INFER_PROTOCOL, &mut Cursor::new(wire))
            .await
            .unwrap();
        assert!(matches!(got, RequestFrame::Request(r) if r == req));
    }

    #[tokio::test]
    async fn hugely_oversized_request_fails_without_reading_the_body() {
        // Only a length prefix claiming 4 GiB; a reader that trusted it would allocate.
        let wire = u32::MAX.to_be_bytes().to_vec();
        let err = codec(1024, 1024)
            .read_request(&INFER_PROTOCOL, &mut Cursor::new(wire))
            .await
            .unwrap_err();
        let inner = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<FrameTooLarge>())
            .unwrap();
        assert_eq!(inner.direction, Direction::Request);
    }

    #[tokio::test]
    async fn moderately_oversized_request_is_drained_and_refused() {
        let mut wire = 5000u32.to_be_bytes().to_vec();
        wire.extend_from_slice(&[b'x'; 5000]);
        wire.extend_from_slice(b"after");
        let mut cursor = Cursor::new(wire);
        let got = codec(1024, 1024)
            .read_request(&INFER_PROTOCOL, &mut cursor)
            .await
            .unwrap();
        assert!(matches!(
            got,
            RequestFrame::Refused {
                code: ErrorCode::TooLarge,
                ..
            }
        ));
        // Exactly the body was consumed.
        assert_eq!(cursor.position(), 4 + 5000);
    }

    #[tokio::test]
    async fn malformed_request_is_refused_as_invalid_input() {
        let mut wire = 3u32.to_be_bytes().to_vec();
        wire.extend_from_slice(b"{x}");
        let got = codec(1024, 1024)
            .read_request(&INFER_PROTOCOL, &mut Cursor::new(wire))
            .await
            .unwrap();
        assert!(matches!(
            got,
            RequestFrame::Refused {
                code: ErrorCode::InvalidInput,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn truncated_frame_is_an_error() {
        let mut wire = 100u32.to_be_bytes().to_vec();
        wire.extend_from_slice(b"{}");
        let err = codec(1024, 1024)
            .read_request(&INFER_PROTOCOL, &mut Cursor::new(wire))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn oversized_response_is_a_typed_error_on_read() {
        let wire = (1u32 << 30).to_be_bytes().to_vec();
        let err = codec(1024, 1024)
            .read_response(&INFER_PROTOCOL, &mut Cursor::new(wire))
            .await
            .unwrap_err();
        let inner = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<FrameTooLarge>())
            .unwrap();
        assert_eq!(inner.direction, Direction::Response);
        assert_eq!(inner.size, 1 << 30);
        assert_eq!(inner.limit, 1024);
    }

    #[tokio::test]
    async fn oversized_response_is_replaced_on_write() {
        let mut c = codec(1024, 200);
        let mut wire = Vec::new();
        let big = InferResponse::Ok {
            payload: serde_json::json!("x".repeat(500)),
        };
        c.write_response(&INFER_PROTOCOL, &mut wire, big)
            .await
            .unwrap();
        let got = c
            .read_response(&INFER_PROTOCOL, &mut Cursor::new(wire))
            .await
            .unwrap();
        assert_eq!(got.error_code(), Some(ErrorCode::TooLarge));
    }

    #[tokio::test]
    async fn oversized_request_is_not_written() {
        let mut wire = Vec::new();
        let big = request(serde_json::json!("x".repeat(2000)));
        let err = codec(1024, 1024)
            .write_request(&INFER_PROTOCOL, &mut wire, RequestFrame::Request(big))
            .await
            .unwrap_err();
        assert!(err
            .get_ref()
            .and_then(|e| e.downcast_ref::<FrameTooLarge>())
            .is_some());
        assert!(wire.is_empty());
    }

    #[test]
    fn encoded_len_matches_serde_json() {
        let req = request(serde_json::json!({"a": "ü", "b": [1.5, null]}));
        assert_eq!(
            encoded_len(&req).unwrap(),
            serde_json::to_vec(&req).unwrap().len() as u64
        );
    }
}
