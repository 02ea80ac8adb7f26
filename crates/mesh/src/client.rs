//! The application's side of the mesh: [`MeshClient`] and [`MeshEvent`].

use std::{collections::HashSet, sync::Arc, time::Duration};

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use crate::{
    evidence::{EvidenceRequest, EvidenceResponse, EvidenceServer, EvidenceSource},
    inbound::{Counters, InboundStats},
    outbound::Outbound,
    wire::{CapacityBeat, InferRequest, InferResponse},
    MeshError, NetUid, Responder,
};

/// What the mesh knows about one peer.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerInfo {
    /// The peer.
    pub peer_id: PeerId,
    /// Addresses it listens on or was reached at (most recent last, at most a few).
    pub addrs: Vec<Multiaddr>,
    /// Latest round-trip time measured by ping, if any.
    pub rtt: Option<Duration>,
    /// Latest valid capacity beat it published, on any subnet.
    pub last_beat: Option<CapacityBeat>,
    /// Whether at least one connection to it is open.
    pub connected: bool,
    /// This node's gossipsub score of the peer, while it is connected: negative once it has
    /// forwarded rejected beats; below −10 no gossip is exchanged with it, below −80 its
    /// messages are dropped (see the README's peer scoring).
    pub gossip_score: Option<f64>,
}

/// Something the application should know about or act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum MeshEvent {
    /// The first connection to `peer` opened.
    PeerConnected {
        /// The peer.
        peer: PeerId,
    },
    /// The last connection to `peer` closed.
    PeerDisconnected {
        /// The peer.
        peer: PeerId,
    },
    /// `peer` published a valid capacity beat on a subnet we subscribe to.
    CapacityBeat {
        /// The peer that signed and published the beat (not the one that relayed it).
        peer: PeerId,
        /// The beat.
        beat: CapacityBeat,
    },
    /// `peer` asks us to run an inference; answer through `responder`.
    InboundRequest {
        /// The caller.
        peer: PeerId,
        /// What it asks.
        request: InferRequest,
        /// Sends the answer; dropping it answers
        /// [`ErrorCode::Internal`](crate::ErrorCode::Internal).
        responder: Responder,
    },
}

/// Instructions from [`MeshClient`] to the event loop.
pub(crate) enum Command {
    ListenAddrs {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<PeerId, MeshError>>,
    },
    AddAddress {
        peer: PeerId,
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), MeshError>>,
    },
    Publish {
        beat: CapacityBeat,
        reply: oneshot::Sender<Result<(), MeshError>>,
    },
    Subscribe {
        netuid: NetUid,
        reply: oneshot::Sender<Result<(), MeshError>>,
    },
    Unsubscribe {
        netuid: NetUid,
        reply: oneshot::Sender<()>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    SetBeatPublishers {
        netuid: NetUid,
        peers: HashSet<PeerId>,
        reply: oneshot::Sender<()>,
    },
}

/// A cheap, cloneable handle on a running mesh.
///
/// Every method but [`request`](Self::request) sends a command to the
/// [`EventLoop`](crate::EventLoop) and waits for its answer; requests travel on links of their
/// own (see the crate docs). All fail with [`MeshError::Shutdown`] once the loop has stopped.
#[derive(Clone, Debug)]
pub struct MeshClient {
    pub(crate) peer_id: PeerId,
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) outbound: Arc<Outbound>,
    /// Only the counters: holding all of `Inbound` would keep the events channel open.
    pub(crate) inbound: Arc<Counters>,
}

impl MeshClient {
    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The addresses this node listens on. Waits until every listener has reported at least
    /// one address, so with port 0 the real ports are known when this returns.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, MeshError> {
        self.call(|reply| Command::ListenAddrs { reply }).await
    }

    /// Connects to `addr` and returns the peer reached there. If `addr` ends in
    /// `/p2p/<id>` and that peer is already connected, returns at once.
    pub async fn dial(&self, addr: Multiaddr) -> Result<PeerId, MeshError> {
        self.call(|reply| Command::Dial { addr, reply }).await?
    }

    /// Remembers `addr` for `peer` (the dialler uses it when a request needs a connection).
    /// Fails with [`MeshError::AddressRefused`] for an address by DNS name (the mesh has no
    /// DNS transport), one that is never a peer's (link-local, multicast, …), or one that is
    /// not global while [`MeshConfig::allow_private_addrs`](crate::MeshConfig) is off.
    pub async fn add_address(&self, peer: PeerId, addr: Multiaddr) -> Result<(), MeshError> {
        self.call(|reply| Command::AddAddress { peer, addr, reply })
            .await?
    }

    /// Sets the PeerIds bound on chain to the registered neurons of subnet `netuid`: from
    /// now on, capacity beats of that subnet are accepted (and forwarded) only if one of
    /// them published it; others are ignored: neither delivered nor forwarded, and not held
    /// against the peers that relay them (their view of the chain may be a block ahead of
    /// ours). Until this is called for a subnet, its beats are ignored. Replaces the previous
    /// set; call it whenever the subnet's neurons change.
    pub async fn set_beat_publishers(
        &self,
        netuid: NetUid,
        peers: impl IntoIterator<Item = PeerId>,
    ) -> Result<(), MeshError> {
        let peers = peers.into_iter().collect();
        self.call(|reply| Command::SetBeatPublishers {
            netuid,
            peers,
            reply,
        })
        .await
    }

    /// Limits answers to requests for subnet `netuid` to `bytes` of body (their JSON
    /// encoding, envelope included); a larger one is drained unread and the request fails
    /// with [`MeshError::ResponseTooLarge`]. It never raises the node's
    /// [`MeshConfig::max_response_size`](crate::MeshConfig). Applies to requests sent from
    /// now on, from every clone of this client.
    pub fn set_response_limit(&self, netuid: NetUid, bytes: u32) {
        self.outbound.set_response_limit(netuid, bytes);
    }

    /// The largest answer a request for `netuid` takes: the limit
    /// [`set_response_limit`](Self::set_response_limit) set, capped by the node's
    /// `max_response_size`, or that if none was set.
    pub fn response_limit(&self, netuid: NetUid) -> u32 {
        self.outbound.response_limit(netuid)
    }

    /// Sends `request` to `peer` over `/mindos/infer/1` and waits at most `timeout` (and at
    /// most [`MeshConfig::request_timeout`](crate::MeshConfig)) for the answer. Opens a link
    /// to the peer, and dials it, if needed.
    ///
    /// A server-side refusal is `Ok(InferResponse::Err { .. })`; `Err` means no answer came:
    /// [`MeshError::Timeout`], [`MeshError::RequestTooLarge`] (checked before sending),
    /// [`MeshError::ResponseTooLarge`] (over the subnet's limit, see
    /// [`set_response_limit`](Self::set_response_limit)), [`MeshError::Unreachable`], ….
    pub async fn request(
        &self,
        peer: PeerId,
        request: InferRequest,
        timeout: Duration,
    ) -> Result<InferResponse, MeshError> {
        if peer == self.peer_id {
            return Err(MeshError::Unreachable(peer));
        }
        tracing::trace!(%peer, netuid = %request.netuid, request_id = request.request_id, "sending request");
        self.outbound.request(peer, &request, timeout).await
    }

    /// Serves `/mindos/evidence/1` from `source` from now on (see [`crate::evidence`]): each
    /// request's subnets are authorized per requesting peer by
    /// [`EvidenceSource::authorize`], then looked up on a blocking thread. Until this is
    /// called the protocol is not offered. Fails with [`MeshError::Setup`] if it is served
    /// already.
    pub fn serve_evidence(&self, source: Arc<dyn EvidenceSource>) -> Result<(), MeshError> {
        let mut control = self.outbound.control();
        EvidenceServer::start(&mut control, source, self.outbound.stopped().clone())
    }

    /// Asks `peer` over `/mindos/evidence/1` for the transcripts `request` names, on a
    /// stream of its own, and waits at most `timeout` for the answer. Dials the peer if
    /// needed.
    ///
    /// A refusal of the request as a whole is `Ok(EvidenceResponse::Error { .. })`, and of
    /// one transcript an [`EvidenceItem::Refused`](crate::evidence::EvidenceItem) in
    /// `Ok(EvidenceResponse::Items(..))`, which holds one item per ref in order. `Err` means
    /// no answer came: [`MeshError::InvalidRequest`] (no ref, or too many: nothing sent),
    /// [`MeshError::Timeout`], [`MeshError::UnsupportedProtocol`] (the peer keeps no
    /// evidence), [`MeshError::ResponseTooLarge`], [`MeshError::InvalidResponse`] (the
    /// answer does not decode, or has another number of items), ….
    pub async fn fetch_evidence(
        &self,
        peer: PeerId,
        request: &EvidenceRequest,
        timeout: Duration,
    ) -> Result<EvidenceResponse, MeshError> {
        if peer == self.peer_id {
            return Err(MeshError::Unreachable(peer));
        }
        let control = self.outbound.control();
        crate::evidence::fetch(control, self.outbound.stopped(), peer, request, timeout).await
    }

    /// Opens a raw `/mindos/evidence/1` stream to `peer`, for tests that speak the protocol
    /// by hand (malformed and oversized requests).
    #[cfg(feature = "testing")]
    pub async fn open_evidence_stream(&self, peer: PeerId) -> Result<libp2p::Stream, MeshError> {
        self.outbound
            .control()
            .open_stream(peer, crate::evidence::EVIDENCE_PROTOCOL)
            .await
            .map_err(|e| crate::outbound::open_error(peer, e))
    }

    /// Publishes `beat` on its subnet's capacity topic. Fails with
    /// [`MeshError::InvalidBeat`] if the beat does not validate, and with
    /// [`MeshError::Publish`] if, for instance, no peer subscribes to the subnet yet.
    pub async fn publish_capacity(&self, beat: CapacityBeat) -> Result<(), MeshError> {
        beat.validate()?;
        self.call(|reply| Command::Publish { beat, reply }).await?
    }

    /// Receives capacity beats of subnet `netuid` from now on (as [`MeshEvent::CapacityBeat`]).
    pub async fn subscribe(&self, netuid: NetUid) -> Result<(), MeshError> {
        self.call(|reply| Command::Subscribe { netuid, reply })
            .await?
    }

    /// Stops receiving capacity beats of subnet `netuid`.
    pub async fn unsubscribe(&self, netuid: NetUid) -> Result<(), MeshError> {
        self.call(|reply| Command::Unsubscribe { netuid, reply })
            .await
    }

    /// Counters of the inbound links (served, refused, closed for not reading) and the
    /// largest answer backlog any one link has held.
    pub fn inbound_stats(&self) -> InboundStats {
        self.inbound.stats()
    }

    /// Everything the mesh knows about its peers, connected or not.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, MeshError> {
        self.call(|reply| Command::Peers { reply }).await
    }

    async fn call<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, MeshError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| MeshError::Shutdown)?;
        answer.await.map_err(|_| MeshError::Shutdown)
    }
}
