//! What the fuzz targets in `fuzz/` drive (feature `fuzzing`, never on by default): the
//! `/mindos/infer/1` codec over an in-memory stream delivered in chunks of chosen sizes, and
//! the gossip handler's gate for capacity beats.
//! Capacity beats need nothing extra: [`CapacityBeat::decode_checked`](crate::CapacityBeat)
//! is public.

use std::{
    collections::HashSet,
    io,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use futures::{executor::block_on, AsyncRead};

use crate::{
    beats,
    codec::{self, RawFrame, ReadError, RequestFrame, ResponseFrame},
    wire::{InferRequest, InferResponse},
    CapacityBeat, NetUid, PeerId,
};

/// First allocation for a frame body.
pub const INITIAL_BUFFER: usize = codec::INITIAL_BUFFER;
/// An oversized frame up to this many times the limit is drained; a larger one ends the link.
pub const DRAIN_FACTOR: u64 = codec::DRAIN_FACTOR;
/// Tag and length prefix of every frame.
pub const HEADER_LEN: usize = codec::HEADER_LEN;

/// A stream that hands out `data` in chunks whose sizes cycle through `chunks` (a 0 is read
/// as 1; no sizes: everything at once), as a network would.
#[derive(Debug)]
pub struct Chunked<'a> {
    data: &'a [u8],
    chunks: &'a [u8],
    next: usize,
}

impl<'a> Chunked<'a> {
    /// `data` in chunks of `chunks` bytes each, in turn.
    pub fn new(data: &'a [u8], chunks: &'a [u8]) -> Self {
        Self {
            data,
            chunks,
            next: 0,
        }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len()
    }
}

impl AsyncRead for Chunked<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let size = match self
            .chunks
            .get(self.next.checked_rem(self.chunks.len()).unwrap_or(0))
        {
            Some(&size) => usize::from(size).max(1),
            None => usize::MAX,
        };
        self.next = self.next.wrapping_add(1);
        let n = size.min(buf.len()).min(self.data.len());
        let (now, rest) = self.data.split_at(n);
        if let Some(target) = buf.get_mut(..n) {
            target.copy_from_slice(now);
        }
        self.data = rest;
        Poll::Ready(Ok(n))
    }
}

/// One frame as the codec read it, before its body is parsed.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A body within the limit.
    Body {
        /// The frame's tag.
        tag: u64,
        /// Its body.
        body: Vec<u8>,
    },
    /// A body over the limit, drained.
    Skipped {
        /// The frame's tag.
        tag: u64,
        /// The length its header announced.
        size: u64,
    },
}

/// How reading a frame ended, when it did not yield one.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// A clean end between frames.
    Clean,
    /// A frame too large to drain.
    TooLarge {
        /// Its tag.
        tag: u64,
        /// The length its header announced.
        size: u64,
    },
    /// The stream ended inside a frame.
    Io(io::ErrorKind),
}

/// Reads the next raw frame from `stream` with body limit `limit`.
pub fn read_frame(stream: &mut Chunked<'_>, limit: u32) -> Result<Frame, End> {
    let limits = codec::uniform_limits(limit);
    match block_on(codec::read_frame(stream, limits, codec::Direction::Request)) {
        Ok(Some(RawFrame::Body { tag, body })) => Ok(Frame::Body { tag, body }),
        Ok(Some(RawFrame::Skipped { tag, too_large })) => Ok(Frame::Skipped {
            tag,
            size: too_large.size,
        }),
        Ok(None) => Err(End::Clean),
        Err(e) => Err(end(e)),
    }
}

fn end(e: ReadError) -> End {
    match e {
        ReadError::TooLarge { tag, too_large } => End::TooLarge {
            tag,
            size: too_large.size,
        },
        ReadError::Io(e) => End::Io(e.kind()),
    }
}

/// The next request as a server's link reads it: `Ok(Ok(request))`, or a refusal's tag.
pub fn read_request(
    stream: &mut Chunked<'_>,
    limit: u32,
    subnet_limit: Option<(NetUid, u32)>,
) -> Result<(u64, Result<InferRequest, String>), End> {
    let limits = |netuid: NetUid| subnet_limit.filter(|(n, _)| *n == netuid).map(|(_, l)| l);
    match block_on(codec::read_request(stream, limit, limits)) {
        Ok(Some(RequestFrame::Request { tag, request })) => Ok((tag, Ok(request))),
        Ok(Some(RequestFrame::Refused { tag, message, .. })) => Ok((tag, Err(message))),
        Ok(None) => Err(End::Clean),
        Err(e) => Err(end(e)),
    }
}

/// The next answer as a caller's link reads it: `Ok(Ok(response))`, or why it was not kept.
pub fn read_response(
    stream: &mut Chunked<'_>,
    limit: u32,
) -> Result<(u64, Result<InferResponse, String>), End> {
    match block_on(codec::read_response(stream, codec::uniform_limits(limit))) {
        Ok(Some(ResponseFrame::Response { tag, response })) => Ok((tag, Ok(response))),
        Ok(Some(ResponseFrame::TooLarge { tag, too_large })) => {
            Ok((tag, Err(too_large.to_string())))
        }
        Ok(Some(ResponseFrame::Malformed { tag, reason })) => Ok((tag, Err(reason))),
        Ok(None) => Err(End::Clean),
        Err(e) => Err(end(e)),
    }
}

/// `request` encoded as the frame tagged `tag`.
pub fn encode_request(tag: u64, request: &InferRequest) -> io::Result<Vec<u8>> {
    codec::encode_frame(tag, request)
}

/// `response` encoded as the answer tagged `tag`, as a server writes it (replaced by a
/// `too_large` error over `limit`).
pub fn encode_response(tag: u64, response: &InferResponse, limit: u32) -> Vec<u8> {
    codec::encode_response(tag, response, limit)
}

/// The gossip handler's decision on capacity beats that passed decoding: only from publishers
/// bound to the subnet, no replays, one per minimum interval per publisher.
#[derive(Debug)]
pub struct BeatGate(beats::BeatGate);

impl BeatGate {
    /// A gate allowing one beat per `min_interval` per publisher.
    pub fn new(min_interval: Duration) -> Self {
        Self(beats::BeatGate::new(min_interval))
    }

    /// From now on, only `peers` may beat on `netuid`.
    pub fn set_publishers(&mut self, netuid: NetUid, peers: HashSet<PeerId>) {
        self.0.set_publishers(netuid, peers);
    }

    /// Whether `beat`, signed by `source` and arriving at `now`, is accepted (delivered and
    /// forwarded).
    pub fn admit(&mut self, source: PeerId, beat: &CapacityBeat, now: Instant) -> bool {
        self.0.admit(source, beat, now) == libp2p::gossipsub::MessageAcceptance::Accept
    }

    /// Publishers with a newest beat on record.
    pub fn tracked(&self) -> usize {
        self.0.tracked()
    }
}
