//! The server's side of `/mindos/infer/1`: every link a caller opens is read by its own task,
//! which hands requests to the application as [`MeshEvent::InboundRequest`]s; answers go
//! back through a [`Responder`] to the link's writer task, in the order they are ready.

use std::{
    collections::HashMap,
    fmt,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant},
};

use futures::{io::WriteHalf, AsyncReadExt, AsyncWriteExt};
use libp2p::{PeerId, Stream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::{
    client::MeshEvent,
    codec::{self, ReadError, RequestFrame},
    wire::{ErrorCode, InferResponse},
    Admission,
};

/// Most links one peer may hold open to us at a time; a caller needs one.
const MAX_LINKS_PER_PEER: usize = 4;

/// Most answers the link's reader itself makes (refusals: `busy`, `too_large`, malformed)
/// that may wait unwritten; then the reader stops reading until the writer catches up. This
/// is the backpressure: a caller that does not read its answers soon cannot send either.
const REFUSALS_QUEUED: usize = 32;

/// Most links of peers that are not admitted being refused at once. A refusal reads the
/// first request's header (never its body) and answers `unauthorized`, so that a validator
/// the miner has not seen yet records nothing against it; beyond this many, such links are
/// dropped without a word.
const REFUSING_AT_ONCE: usize = 64;

/// How long a refusal waits for the first header and for its answer to be written.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);

/// About thirty years: a deadline never reached.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The limits every inbound link works within (see [`MeshConfig`](crate::MeshConfig)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct InboundLimits {
    pub(crate) max_request_size: u32,
    pub(crate) max_response_size: u32,
    /// How long a request may wait for its answer; later answers are not sent. Also how
    /// long one frame may take to arrive once its first byte has: the caller gives up on a
    /// request after this long, so a frame still arriving later serves no one.
    pub(crate) request_timeout: Duration,
    /// How long a link may go without a frame while none of its requests waits for its
    /// answer (or waits longer than `request_timeout`, when it can no longer be sent); then
    /// it is closed.
    pub(crate) idle_timeout: Duration,
    /// Most requests of one link waiting for their answers or for those to be written; more
    /// are answered `busy`.
    pub(crate) max_in_flight: usize,
    /// Most bytes of answers one link may hold unwritten before it is closed.
    pub(crate) max_queued_bytes: u32,
    /// Longest one write of answers may take before the link is closed.
    pub(crate) write_timeout: Duration,
}

/// Counters of the inbound links since the mesh started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboundStats {
    /// Links served (admitted, within the per-peer allowance).
    pub links_served: u64,
    /// Links dropped unread: the peer is not admitted, or holds too many links already.
    pub links_refused: u64,
    /// Links closed because their caller did not take its answers (a write timed out, or
    /// the answers waiting exceeded the byte budget).
    pub links_closed_backlogged: u64,
    /// The most bytes of answers any one link has held unwritten.
    pub peak_queued_bytes: u64,
}

/// The counters behind [`InboundStats`], shared with the [`MeshClient`](crate::MeshClient)
/// apart from the rest of [`Inbound`]: a client must not keep the events channel open (its
/// holders wait for that channel to end when the mesh stops).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    links_served: AtomicU64,
    links_refused: AtomicU64,
    links_closed_backlogged: AtomicU64,
    peak_queued_bytes: AtomicU64,
}

impl Counters {
    pub(crate) fn stats(&self) -> InboundStats {
        InboundStats {
            links_served: self.links_served.load(Ordering::Relaxed),
            links_refused: self.links_refused.load(Ordering::Relaxed),
            links_closed_backlogged: self.links_closed_backlogged.load(Ordering::Relaxed),
            peak_queued_bytes: self.peak_queued_bytes.load(Ordering::Relaxed),
        }
    }
}

/// What every link's reader needs, shared by all of them.
pub(crate) struct Inbound {
    pub(crate) events: mpsc::Sender<MeshEvent>,
    limits: InboundLimits,
    admission: Admission,
    /// Cancelled when the event loop stops.
    pub(crate) stopped: CancellationToken,
    links_per_peer: Mutex<HashMap<PeerId, usize>>,
    counters: Arc<Counters>,
    /// Room for refusals of links from peers that are not admitted.
    refusing: Arc<Semaphore>,
}

impl fmt::Debug for Inbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbound")
            .field("limits", &self.limits)
            .field("admission", &self.admission)
            .finish_non_exhaustive()
    }
}

impl Inbound {
    pub(crate) fn new(
        events: mpsc::Sender<MeshEvent>,
        limits: InboundLimits,
        admission: Admission,
        stopped: CancellationToken,
    ) -> Self {
        Self {
            events,
            limits,
            admission,
            stopped,
            links_per_peer: Mutex::new(HashMap::new()),
            counters: Arc::default(),
            refusing: Arc::new(Semaphore::new(REFUSING_AT_ONCE)),
        }
    }

    fn links(&self) -> MutexGuard<'_, HashMap<PeerId, usize>> {
        self.links_per_peer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The counters, for the client's [`InboundStats`].
    pub(crate) fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// Serves a link `peer` opened, on a task of its own, if the admission policy admits the
    /// peer and it has room for another link; otherwise the link is refused without reading
    /// a request body (see [`refuse`]).
    pub(crate) fn serve(self: &Arc<Self>, peer: PeerId, stream: Stream) {
        if !self.admission.admits(&peer) {
            tracing::debug!(%peer, "refusing a link: the peer is not admitted");
            self.counters.links_refused.fetch_add(1, Ordering::Relaxed);
            if let Ok(permit) = self.refusing.clone().try_acquire_owned() {
                tokio::spawn(refuse(peer, stream, self.limits.max_response_size, permit));
            }
            return;
        }
        {
            let mut links = self.links();
            let open = links.entry(peer).or_default();
            if *open >= MAX_LINKS_PER_PEER {
                tracing::debug!(%peer, "refusing a link: the peer has too many open");
                self.counters.links_refused.fetch_add(1, Ordering::Relaxed);
                return;
            }
            *open = open.saturating_add(1);
        }
        self.counters.links_served.fetch_add(1, Ordering::Relaxed);
        let counted = LinkGuard {
            inbound: self.clone(),
            peer,
        };
        tokio::spawn(read_requests(counted, stream));
    }
}

/// Answers the first request of a link from a peer that is not admitted `unauthorized`,
/// from its header alone, and closes the link.
async fn refuse(
    peer: PeerId,
    mut stream: Stream,
    max_response_size: u32,
    _permit: OwnedSemaphorePermit,
) {
    let refused = tokio::time::timeout(REFUSAL_TIMEOUT, async {
        let Some(tag) = codec::read_tag(&mut stream).await? else {
            return Ok(());
        };
        let answer = InferResponse::error(
            ErrorCode::Unauthorized,
            format!("peer {peer} is not admitted by this node"),
        );
        stream
            .write_all(&codec::encode_response(tag, &answer, max_response_size))
            .await?;
        stream.close().await
    })
    .await;
    if let Ok(Err(e)) = refused {
        tracing::debug!(%peer, error = %e, "could not refuse a link");
    }
}

/// Counts a link against its peer's allowance while any of it is left: its reader, its
/// writer, an answer queued or a request waiting for its answer ([`Link::_counted`]).
struct LinkGuard {
    inbound: Arc<Inbound>,
    peer: PeerId,
}

impl Drop for LinkGuard {
    fn drop(&mut self) {
        let mut links = self.inbound.links();
        if let Some(open) = links.get_mut(&self.peer) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                links.remove(&self.peer);
            }
        }
    }
}

/// What the reader, the writer and the responders of one link share.
struct Link {
    peer: PeerId,
    inbound: Arc<Inbound>,
    /// Bytes of the answers queued and not yet written.
    queued_bytes: AtomicUsize,
    /// Requests handed to the application whose answers are not yet written.
    in_flight: Arc<AtomicUsize>,
    /// Room for refusals the reader makes; the reader waits for a permit before reading.
    refusals: Arc<Semaphore>,
    /// Cancelled to close the link: the reader and the writer stop, queued answers are
    /// dropped, and the stream is reset once both halves are gone.
    closed: CancellationToken,
    /// Released with the last reference to the link, not when its reader stops: a caller
    /// that half-closes a link leaves its writer and up to `max_in_flight` requests behind,
    /// and must not be able to open another link in their place.
    _counted: LinkGuard,
}

impl Link {
    /// Queues `frame` for the writer on `frames`, or closes the link if its caller is this
    /// far behind. Every answer holds a slot (an in-flight request's or a refusal's), so the
    /// channel never holds more than its capacity.
    fn queue(self: &Arc<Self>, frames: &mpsc::Sender<Answer>, frame: Vec<u8>, slot: Slot) {
        let size = frame.capacity();
        let budget = usize::try_from(self.inbound.limits.max_queued_bytes).unwrap_or(usize::MAX);
        let queued = self
            .queued_bytes
            .fetch_add(size, Ordering::AcqRel)
            .saturating_add(size);
        let answer = Answer {
            frame,
            _slot: slot,
            _bytes: QueuedBytes {
                link: self.clone(),
                size,
            },
        };
        if queued > budget {
            self.close_backlogged("its answers waiting exceed the byte budget");
            return;
        }
        self.inbound
            .counters
            .peak_queued_bytes
            .fetch_max(u64::try_from(queued).unwrap_or(u64::MAX), Ordering::Relaxed);
        match frames.try_send(answer) {
            Ok(()) => {}
            // Cannot happen (every answer holds one of the channel's slots); if it did, the
            // caller is not reading.
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close_backlogged("its answer queue is full");
            }
            // The link has closed: no one to answer.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn close_backlogged(&self, why: &str) {
        if !self.closed.is_cancelled() {
            tracing::info!(peer = %self.peer, why, "closing a link whose caller does not take its answers");
            self.inbound
                .counters
                .links_closed_backlogged
                .fetch_add(1, Ordering::Relaxed);
            self.closed.cancel();
        }
    }
}

/// An encoded answer on its way to the writer.
struct Answer {
    frame: Vec<u8>,
    /// Released once the answer is written or dropped.
    _slot: Slot,
    _bytes: QueuedBytes,
}

/// What lets an answer be queued: its request's in-flight slot, or a refusal's permit.
/// Held, never read: dropping it frees the slot.
enum Slot {
    InFlight(#[allow(dead_code)] InFlight),
    Refusal(#[allow(dead_code)] OwnedSemaphorePermit),
}

/// Counts an answer's bytes against its link's budget until it is written or dropped.
struct QueuedBytes {
    link: Arc<Link>,
    size: usize,
}

impl Drop for QueuedBytes {
    fn drop(&mut self) {
        self.link
            .queued_bytes
            .fetch_sub(self.size, Ordering::AcqRel);
    }
}

async fn read_requests(counted: LinkGuard, stream: Stream) {
    let inbound = counted.inbound.clone();
    let peer = counted.peer;
    let limits = inbound.limits;
    let (mut reader, writer) = stream.split();
    let (frames, to_write) = mpsc::channel(limits.max_in_flight.saturating_add(REFUSALS_QUEUED));
    let link = Arc::new(Link {
        peer,
        inbound: inbound.clone(),
        queued_bytes: AtomicUsize::new(0),
        in_flight: Arc::new(AtomicUsize::new(0)),
        refusals: Arc::new(Semaphore::new(REFUSALS_QUEUED)),
        closed: inbound.stopped.child_token(),
        _counted: counted,
    });
    tokio::spawn(write_answers(writer, to_write, link.clone()));
    let subnet_limit = |netuid| inbound.admission.request_limit(netuid);
    tracing::debug!(%peer, "serving a link");
    let mut idle_at = later(tokio::time::Instant::now(), limits.idle_timeout);
    let mut last_request = None;
    loop {
        // Backpressure: nothing more is read while the caller leaves this many refusals
        // unread. Any frame may need one, so the permit is taken before reading.
        let permit = tokio::select! {
            permit = link.refusals.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = link.closed.cancelled() => break,
        };
        // The next frame's first byte, within the idle timeout. Reading one byte is
        // cancel-safe: a byte that is not returned is not taken.
        let mut first = [0u8; 1];
        let started = tokio::select! {
            read = reader.read(&mut first) => read,
            () = tokio::time::sleep_until(idle_at) => {
                let now = tokio::time::Instant::now();
                let answerable = last_request.map(|at| later(at, limits.request_timeout));
                match answerable {
                    // A caller waiting for a slow answer keeps its link: look again in a
                    // while (once its answers are written, it is idle).
                    Some(until) if link.in_flight.load(Ordering::Relaxed) > 0 && now < until => {
                        idle_at = later(now, limits.idle_timeout).min(until);
                        continue;
                    }
                    _ => {
                        tracing::debug!(%peer, "closing an idle link");
                        link.closed.cancel();
                        break;
                    }
                }
            }
            () = link.closed.cancelled() => break,
        };
        match started {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(%peer, error = %e, "link failed");
                break;
            }
        }
        // The rest of the frame, within the request timeout: a caller that stalls inside a
        // frame holds the link, its task and one of its peer's link slots for no request.
        // Given up only when the link closes, so the read's cancel-unsafety does not matter.
        let mut frame_reader = (&first[..]).chain(&mut reader);
        let read = tokio::time::timeout(
            limits.request_timeout,
            codec::read_request(&mut frame_reader, limits.max_request_size, subnet_limit),
        );
        let next = tokio::select! {
            next = read => match next {
                Ok(next) => next,
                Err(_) => {
                    tracing::debug!(%peer, "closing a link whose caller stalled inside a frame");
                    link.closed.cancel();
                    break;
                }
            },
            () = link.closed.cancelled() => break,
        };
        let now = tokio::time::Instant::now();
        idle_at = later(now, limits.idle_timeout);
        let refuse = |tag: u64, response: &InferResponse, permit| {
            let frame = codec::encode_response(tag, response, limits.max_response_size);
            link.queue(&frames, frame, Slot::Refusal(permit));
        };
        match next {
            Ok(Some(RequestFrame::Request { tag, request })) => {
                if link.in_flight.load(Ordering::Relaxed) >= limits.max_in_flight {
                    refuse(
                        tag,
                        &InferResponse::error(
                            ErrorCode::Busy,
                            "too many requests in flight on this link",
                        ),
                        permit,
                    );
                    continue;
                }
                drop(permit);
                last_request = Some(now);
                let responder = Responder {
                    inner: Some(Pending {
                        tag,
                        link: link.clone(),
                        frames: frames.clone(),
                        // No deadline (never expires) only for absurd timeouts.
                        deadline: Instant::now().checked_add(limits.request_timeout),
                        in_flight: InFlight::start(&link.in_flight),
                    }),
                };
                emit(&inbound.events, peer, request, responder);
            }
            Ok(Some(RequestFrame::Refused { tag, code, message })) => {
                tracing::info!(%peer, ?code, %message, "refused inbound request");
                refuse(tag, &InferResponse::Err { code, message }, permit);
            }
            Ok(None) => break,
            Err(ReadError::TooLarge { tag, too_large }) => {
                tracing::info!(%peer, %too_large, "closing a link after a request too large to skip");
                refuse(
                    tag,
                    &InferResponse::error(ErrorCode::TooLarge, too_large.to_string()),
                    permit,
                );
                break;
            }
            Err(ReadError::Io(e)) => {
                tracing::debug!(%peer, error = %e, "link failed");
                break;
            }
        }
    }
    tracing::debug!(%peer, "link closed");
    // The writer finishes once every request still in flight is answered or dropped, or
    // when the link is closed; the link counts against its peer until then.
}

/// `by` after `at`; past the end of time, a moment never reached.
fn later(at: tokio::time::Instant, by: Duration) -> tokio::time::Instant {
    at.checked_add(by)
        .or_else(|| at.checked_add(FAR_FUTURE))
        .unwrap_or(at)
}

/// Hands a request to the application without ever waiting: a full queue is answered
/// `busy`, and a node nobody reads events from answers `internal`.
fn emit(
    events: &mpsc::Sender<MeshEvent>,
    peer: PeerId,
    request: crate::wire::InferRequest,
    responder: Responder,
) {
    let event = MeshEvent::InboundRequest {
        peer,
        request,
        responder,
    };
    match events.try_send(event) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(event)) => {
            tracing::warn!("mesh event queue full; answering busy");
            if let MeshEvent::InboundRequest { responder, .. } = event {
                responder.respond(InferResponse::error(
                    ErrorCode::Busy,
                    "the server is not keeping up with requests",
                ));
            }
        }
        Err(mpsc::error::TrySendError::Closed(event)) => {
            if let MeshEvent::InboundRequest { responder, .. } = event {
                responder.respond(InferResponse::error(
                    ErrorCode::Internal,
                    "this node does not serve requests",
                ));
            }
        }
    }
}

/// Writes answers as they come; answers already waiting leave in the same flush. A write
/// that takes longer than the write timeout (the caller stopped reading) closes the link.
async fn write_answers(
    mut writer: WriteHalf<Stream>,
    mut frames: mpsc::Receiver<Answer>,
    link: Arc<Link>,
) {
    let peer = link.peer;
    let write_timeout = link.inbound.limits.write_timeout;
    loop {
        let answer = tokio::select! {
            answer = frames.recv() => match answer {
                Some(answer) => answer,
                // Every request is answered or dropped and the reader is gone.
                None => return,
            },
            () = link.closed.cancelled() => return,
        };
        let written = tokio::time::timeout(write_timeout, async {
            writer.write_all(&answer.frame).await?;
            // Written: its bytes and its slot are free.
            drop(answer);
            while let Ok(answer) = frames.try_recv() {
                writer.write_all(&answer.frame).await?;
            }
            writer.flush().await
        });
        let written = tokio::select! {
            written = written => written,
            () = link.closed.cancelled() => return,
        };
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "could not write an answer; link closed");
                link.closed.cancel();
                return;
            }
            Err(_) => {
                link.close_backlogged("a write of its answers timed out");
                return;
            }
        }
    }
}

/// Counts a request against its link's in-flight allowance until it is answered.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn start(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Pending {
    tag: u64,
    link: Arc<Link>,
    frames: mpsc::Sender<Answer>,
    deadline: Option<Instant>,
    /// Counts against the link's allowance until the answer is written or dropped.
    in_flight: InFlight,
}

impl Pending {
    fn expired(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }
}

/// Answers one inbound request. Use it once with [`Responder::respond`]; if it is dropped
/// unanswered, the caller gets [`InferResponse::Err`] with [`ErrorCode::Internal`].
///
/// It is `Send` and `respond` does not block, so a request can be answered from a worker
/// thread. A request must be answered within
/// [`MeshConfig::request_timeout`](crate::MeshConfig); later answers are discarded.
pub struct Responder {
    inner: Option<Pending>,
}

impl Responder {
    /// Sends `response` to the caller. The answer is encoded here, on the calling thread.
    pub fn respond(mut self, response: InferResponse) {
        self.send(&response);
    }

    /// Whether the caller may still receive an answer (the request has not timed out and the
    /// link is open).
    pub fn is_open(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|p| !p.frames.is_closed() && !p.link.closed.is_cancelled() && !p.expired())
    }

    fn send(&mut self, response: &InferResponse) {
        let Some(pending) = self.inner.take() else {
            return;
        };
        if pending.expired() {
            tracing::debug!("answer arrived after the request timed out; not sent");
            return;
        }
        if pending.link.closed.is_cancelled() {
            return;
        }
        let frame = codec::encode_response(
            pending.tag,
            response,
            pending.link.inbound.limits.max_response_size,
        );
        pending
            .link
            .queue(&pending.frames, frame, Slot::InFlight(pending.in_flight));
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if self.inner.is_some() {
            tracing::debug!("inbound request dropped without an answer");
            self.send(&InferResponse::error(
                ErrorCode::Internal,
                "the server dropped the request without answering",
            ));
        }
    }
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("answered", &self.inner.is_none())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{
        largest_answer_cost, DEFAULT_MAX_QUEUED_ANSWER_BYTES, DEFAULT_MAX_REQUEST_SIZE,
        DEFAULT_MAX_RESPONSE_SIZE,
    };

    fn link_with_budget(max_queued_bytes: u32) -> Arc<Link> {
        let (events, _) = mpsc::channel(1);
        let limits = InboundLimits {
            max_request_size: DEFAULT_MAX_REQUEST_SIZE,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            request_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_in_flight: 128,
            max_queued_bytes,
            write_timeout: Duration::from_secs(10),
        };
        let inbound = Arc::new(Inbound::new(
            events,
            limits,
            Admission::open(),
            CancellationToken::new(),
        ));
        Arc::new(Link {
            peer: PeerId::random(),
            inbound: inbound.clone(),
            queued_bytes: AtomicUsize::new(0),
            in_flight: Arc::new(AtomicUsize::new(0)),
            refusals: Arc::new(Semaphore::new(REFUSALS_QUEUED)),
            closed: CancellationToken::new(),
            _counted: LinkGuard {
                inbound,
                peer: PeerId::random(),
            },
        })
    }

    /// An answer whose body is exactly `size` bytes.
    fn answer_of(tag: u64, size: u32) -> Vec<u8> {
        let empty = codec::encode_frame(
            tag,
            &InferResponse::encode_ok(&serde_json::json!("")).unwrap(),
        )
        .unwrap();
        let fill = size as usize - codec::body_len(&empty) as usize;
        let frame = codec::encode_response(
            tag,
            &InferResponse::encode_ok(&serde_json::json!("x".repeat(fill))).unwrap(),
            size,
        );
        assert_eq!(codec::body_len(&frame), u64::from(size), "not replaced");
        frame
    }

    /// The documented promise: the default budget holds two answers of the default largest
    /// size, headers and allocation included; a third closes the link.
    #[tokio::test]
    async fn the_default_budget_holds_two_answers_of_the_largest_size() {
        let link = link_with_budget(DEFAULT_MAX_QUEUED_ANSWER_BYTES);
        let (frames, _to_write) = mpsc::channel(8);
        for tag in 0..2 {
            let frame = answer_of(tag, DEFAULT_MAX_RESPONSE_SIZE);
            assert!(frame.capacity() <= largest_answer_cost(DEFAULT_MAX_RESPONSE_SIZE) as usize);
            link.queue(
                &frames,
                frame,
                Slot::InFlight(InFlight::start(&link.in_flight)),
            );
            assert!(
                !link.closed.is_cancelled(),
                "answer {tag} of the largest size closed the link: {} bytes queued",
                link.queued_bytes.load(Ordering::Acquire)
            );
        }
        link.queue(
            &frames,
            answer_of(2, DEFAULT_MAX_RESPONSE_SIZE),
            Slot::InFlight(InFlight::start(&link.in_flight)),
        );
        assert!(link.closed.is_cancelled(), "a third one fits too");
    }
}
