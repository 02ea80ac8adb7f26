//! The server's side of `/mindos/infer/1`: every link a caller opens is read by its own task,
//! which hands requests to the application as [`MeshEvent::InboundRequest`]s; answers go
//! back through a [`Responder`] to the link's writer task, in the order they are ready.

use std::{
    collections::HashMap,
    fmt,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant},
};

use futures::{io::WriteHalf, AsyncReadExt, AsyncWriteExt};
use libp2p::{PeerId, Stream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{
    client::MeshEvent,
    codec::{self, ReadError, RequestFrame},
    wire::{ErrorCode, InferResponse},
};

/// Most links one peer may hold open to us at a time; a caller needs one.
const MAX_LINKS_PER_PEER: usize = 4;

/// What every link's reader needs, shared by all of them.
pub(crate) struct Inbound {
    pub(crate) events: mpsc::Sender<MeshEvent>,
    pub(crate) max_request_size: u32,
    pub(crate) max_response_size: u32,
    /// How long a request may wait for its answer; later answers are not sent.
    pub(crate) request_timeout: Duration,
    /// Most requests of one link waiting for their answers; more are answered `busy`.
    pub(crate) max_in_flight: usize,
    /// Cancelled when the event loop stops.
    pub(crate) stopped: CancellationToken,
    links_per_peer: Mutex<HashMap<PeerId, usize>>,
}

impl Inbound {
    pub(crate) fn new(
        events: mpsc::Sender<MeshEvent>,
        max_request_size: u32,
        max_response_size: u32,
        request_timeout: Duration,
        max_in_flight: usize,
        stopped: CancellationToken,
    ) -> Self {
        Self {
            events,
            max_request_size,
            max_response_size,
            request_timeout,
            max_in_flight,
            stopped,
            links_per_peer: Mutex::new(HashMap::new()),
        }
    }

    fn links(&self) -> MutexGuard<'_, HashMap<PeerId, usize>> {
        self.links_per_peer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Serves a link `peer` opened, on a task of its own.
    pub(crate) fn serve(self: &Arc<Self>, peer: PeerId, stream: Stream) {
        {
            let mut links = self.links();
            let open = links.entry(peer).or_default();
            if *open >= MAX_LINKS_PER_PEER {
                tracing::debug!(%peer, "refusing a link: the peer has too many open");
                return;
            }
            *open = open.saturating_add(1);
        }
        let link = LinkGuard {
            inbound: self.clone(),
            peer,
        };
        tokio::spawn(read_requests(link, stream));
    }
}

/// Counts a link against its peer's allowance while it is open.
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

async fn read_requests(link: LinkGuard, stream: Stream) {
    let inbound = link.inbound.clone();
    let peer = link.peer;
    let (mut reader, writer) = stream.split();
    let (frames, to_write) = mpsc::unbounded_channel();
    tokio::spawn(write_answers(writer, to_write, peer));
    let in_flight = Arc::new(AtomicUsize::new(0));
    tracing::debug!(%peer, "serving a link");
    loop {
        // Only given up when the mesh stops, so the read's cancel-unsafety does not matter.
        let next = tokio::select! {
            next = codec::read_request(&mut reader, inbound.max_request_size) => next,
            () = inbound.stopped.cancelled() => break,
        };
        let send = |tag: u64, response: &InferResponse| {
            let _ = frames.send(codec::encode_response(
                tag,
                response,
                inbound.max_response_size,
            ));
        };
        match next {
            Ok(Some(RequestFrame::Request { tag, request })) => {
                if in_flight.load(Ordering::Relaxed) >= inbound.max_in_flight {
                    send(
                        tag,
                        &InferResponse::error(
                            ErrorCode::Busy,
                            "too many requests in flight on this link",
                        ),
                    );
                    continue;
                }
                let responder = Responder {
                    inner: Some(Pending {
                        tag,
                        frames: frames.clone(),
                        max_response_size: inbound.max_response_size,
                        // No deadline (never expires) only for absurd timeouts.
                        deadline: Instant::now().checked_add(inbound.request_timeout),
                        _in_flight: InFlight::start(&in_flight),
                    }),
                };
                emit(&inbound.events, peer, request, responder);
            }
            Ok(Some(RequestFrame::Refused { tag, code, message })) => {
                tracing::info!(%peer, ?code, %message, "refused inbound request");
                send(tag, &InferResponse::Err { code, message });
            }
            Ok(None) => break,
            Err(ReadError::TooLarge { tag, too_large }) => {
                tracing::info!(%peer, %too_large, "closing a link after a request too large to skip");
                send(
                    tag,
                    &InferResponse::error(ErrorCode::TooLarge, too_large.to_string()),
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
    // The writer finishes once every request still in flight is answered or dropped.
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

/// Writes answers as they come; answers already waiting leave in the same flush.
async fn write_answers(
    mut writer: WriteHalf<Stream>,
    mut frames: mpsc::UnboundedReceiver<Vec<u8>>,
    peer: PeerId,
) {
    while let Some(frame) = frames.recv().await {
        let mut written = writer.write_all(&frame).await;
        while written.is_ok() {
            match frames.try_recv() {
                Ok(frame) => written = writer.write_all(&frame).await,
                Err(_) => break,
            }
        }
        if written.is_ok() {
            written = writer.flush().await;
        }
        if let Err(e) = written {
            tracing::debug!(%peer, error = %e, "could not write an answer; link closed");
            return;
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
    frames: mpsc::UnboundedSender<Vec<u8>>,
    max_response_size: u32,
    deadline: Option<Instant>,
    /// Counts against the link's allowance until the request is answered or dropped.
    _in_flight: InFlight,
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
            .is_some_and(|p| !p.frames.is_closed() && !p.expired())
    }

    fn send(&mut self, response: &InferResponse) {
        let Some(pending) = self.inner.take() else {
            return;
        };
        if pending.expired() {
            tracing::debug!("answer arrived after the request timed out; not sent");
            return;
        }
        let frame = codec::encode_response(pending.tag, response, pending.max_response_size);
        // Fails only if the link has closed, and then there is no one to answer.
        let _ = pending.frames.send(frame);
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
