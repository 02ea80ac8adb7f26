//! The task that owns the [`Swarm`]: it turns [`Command`]s into swarm calls and swarm events
//! into answers and [`MeshEvent`]s.

use std::{
    collections::HashMap,
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt;
use libp2p::{
    core::transport::ListenerId,
    gossipsub::{self, MessageAcceptance},
    identify, mdns, ping,
    swarm::{
        dial_opts::{DialOpts, PeerCondition},
        ConnectionId, DialError, SwarmEvent,
    },
    Multiaddr, PeerId, Swarm,
};
use libp2p_stream::IncomingStreams;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::DropGuard;

use crate::{
    addrs,
    beats::BeatGate,
    behaviour::{capacity_topic_params, Behaviour, BehaviourEvent},
    client::{Command, MeshEvent, PeerInfo},
    config::split_peer_addr,
    inbound::Inbound,
    wire::{capacity_topic, unix_time_ms, BeatError, CapacityBeat},
    MeshError,
};

/// Most peers remembered; beyond it, disconnected peers make room for new ones.
const MAX_TRACKED_PEERS: usize = 4096;
/// Most addresses remembered per peer (the oldest is dropped).
const MAX_ADDRS_PER_PEER: usize = 8;

type Reply<T> = oneshot::Sender<Result<T, MeshError>>;

/// Drives the mesh. Spawn [`EventLoop::run`] on the Tokio runtime; it stops on the shutdown
/// signal, or once every [`MeshClient`](crate::MeshClient) and the event receiver are gone.
pub struct EventLoop {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) events: mpsc::Sender<MeshEvent>,
    /// Links callers open to us; taken by the acceptor task when the loop starts.
    pub(crate) incoming: Option<IncomingStreams>,
    pub(crate) inbound: Arc<Inbound>,
    /// Tells links and callers the mesh has stopped, when the loop ends or is dropped.
    pub(crate) stopped: DropGuard,
    pub(crate) beat_max_age_ms: u64,
    pub(crate) beat_max_skew_ms: u64,
    pub(crate) shutdown_grace: Duration,
    /// Open listeners and the addresses each has reported so far.
    pub(crate) listeners: HashMap<ListenerId, Vec<Multiaddr>>,
    pub(crate) listen_waiters: Vec<oneshot::Sender<Vec<Multiaddr>>>,
    pub(crate) pending_dials: HashMap<ConnectionId, (Multiaddr, Reply<PeerId>)>,
    pub(crate) peers: HashMap<PeerId, PeerInfo>,
    /// Which valid beats are delivered: bound publishers, no replays, the rate cap.
    pub(crate) beats: BeatGate,
    pub(crate) allow_private_addrs: bool,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("peer_id", self.swarm.local_peer_id())
            .field("peers", &self.peers.len())
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    /// Runs the mesh until `shutdown` completes, then closes the listeners and connections
    /// (waiting at most [`MeshConfig::shutdown_grace`](crate::MeshConfig)) and returns.
    ///
    /// Requests still in flight fail with [`MeshError::Shutdown`].
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut commands_open = true;
        if let Some(incoming) = self.incoming.take() {
            start_acceptor(incoming, self.inbound.clone());
        }
        tracing::info!(peer_id = %self.swarm.local_peer_id(), "mesh started");
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv(), if commands_open => match command {
                    Some(command) => self.on_command(command),
                    None => commands_open = false,
                },
                // No client and no event receiver left: nobody can use the mesh any more.
                () = self.events.closed(), if !commands_open => break,
            }
        }
        self.close().await;
    }

    async fn close(mut self) {
        tracing::info!(peer_id = %self.swarm.local_peer_id(), "mesh shutting down");
        // Before the connections go: requests in flight then fail as `Shutdown`, not as
        // closed connections.
        self.stopped.disarm().cancel();
        for id in self.listeners.keys().copied().collect::<Vec<_>>() {
            self.swarm.remove_listener(id);
        }
        let connected: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in connected {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        let grace = tokio::time::sleep(self.shutdown_grace);
        let mut grace = std::pin::pin!(grace);
        while self.swarm.connected_peers().next().is_some() {
            tokio::select! {
                () = &mut grace => break,
                _ = self.swarm.select_next_some() => {}
            }
        }
        // Dropping the swarm closes what is left; dropping the pending replies tells their
        // callers `MeshError::Shutdown`.
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::ListenAddrs { reply } => {
                self.listen_waiters.push(reply);
                self.answer_listen_waiters();
            }
            Command::Dial { addr, reply } => self.dial(addr, reply),
            Command::AddAddress { peer, addr, reply } => {
                let _ = reply.send(self.learn_address(peer, addr));
            }
            Command::SetBeatPublishers {
                netuid,
                peers,
                reply,
            } => {
                self.beats.set_publishers(netuid, peers);
                let _ = reply.send(());
            }
            Command::Publish { beat, reply } => {
                let _ = reply.send(self.publish(&beat));
            }
            Command::Subscribe { netuid, reply } => {
                let topic = capacity_topic(netuid);
                let gossipsub = &mut self.swarm.behaviour_mut().gossipsub;
                let result = gossipsub
                    .set_topic_params(topic.clone(), capacity_topic_params())
                    .map_err(|e| MeshError::Subscribe(e.to_owned()))
                    .and_then(|()| {
                        gossipsub
                            .subscribe(&topic)
                            .map(|_| ())
                            .map_err(|e| MeshError::Subscribe(e.to_string()))
                    });
                let _ = reply.send(result);
            }
            Command::Unsubscribe { netuid, reply } => {
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .unsubscribe(&capacity_topic(netuid));
                let _ = reply.send(());
            }
            Command::Peers { reply } => {
                let gossipsub = &self.swarm.behaviour().gossipsub;
                let peers = self
                    .peers
                    .values()
                    .cloned()
                    .map(|mut info| {
                        info.gossip_score = gossipsub.peer_score(&info.peer_id);
                        info
                    })
                    .collect();
                let _ = reply.send(peers);
            }
        }
    }

    fn dial(&mut self, addr: Multiaddr, reply: Reply<PeerId>) {
        if !addrs::is_acceptable(&addr, self.allow_private_addrs) {
            let _ = reply.send(Err(MeshError::AddressRefused(addr)));
            return;
        }
        let known_peer = split_peer_addr(&addr).map(|(peer, _)| peer);
        let opts = match known_peer {
            Some(peer) => DialOpts::peer_id(peer)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .addresses(vec![addr.clone()])
                .build(),
            None => DialOpts::unknown_peer_id().address(addr.clone()).build(),
        };
        let connection = opts.connection_id();
        match (self.swarm.dial(opts), known_peer) {
            (Ok(()), _) => {
                self.pending_dials.insert(connection, (addr, reply));
            }
            // Already connected or being dialled: the caller gets the peer either way.
            (Err(DialError::DialPeerConditionFalse(_)), Some(peer)) => {
                let _ = reply.send(Ok(peer));
            }
            (Err(e), _) => {
                let _ = reply.send(Err(MeshError::Dial {
                    addr,
                    reason: e.to_string(),
                }));
            }
        }
    }

    fn publish(&mut self, beat: &CapacityBeat) -> Result<(), MeshError> {
        let data = serde_json::to_vec(beat).map_err(|e| MeshError::Publish(e.to_string()))?;
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(capacity_topic(beat.netuid), data)
        {
            Ok(_) => Ok(()),
            Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {
                Err(MeshError::NoSubscribers {
                    netuid: beat.netuid,
                })
            }
            Err(e) => Err(MeshError::Publish(e.to_string())),
        }
    }

    fn answer_listen_waiters(&mut self) {
        let ready = self.listeners.values().all(|addrs| !addrs.is_empty());
        if !ready || self.listen_waiters.is_empty() {
            return;
        }
        let addrs: Vec<Multiaddr> = self.listeners.values().flatten().cloned().collect();
        for waiter in self.listen_waiters.drain(..) {
            let _ = waiter.send(addrs.clone());
        }
    }

    /// The entry for `peer`, created if there is room (evicting a disconnected peer if not).
    fn peer_entry(&mut self, peer: PeerId) -> Option<&mut PeerInfo> {
        if !self.peers.contains_key(&peer) && self.peers.len() >= MAX_TRACKED_PEERS {
            let evict = self
                .peers
                .iter()
                .find(|(_, info)| !info.connected)
                .map(|(id, _)| *id)?;
            self.peers.remove(&evict);
        }
        Some(self.peers.entry(peer).or_insert_with(|| PeerInfo {
            peer_id: peer,
            addrs: Vec::new(),
            rtt: None,
            last_beat: None,
            connected: false,
            gossip_score: None,
        }))
    }

    fn remember_addr(&mut self, peer: PeerId, addr: Multiaddr) {
        if let Some(info) = self.peer_entry(peer) {
            if !info.addrs.contains(&addr) {
                if info.addrs.len() >= MAX_ADDRS_PER_PEER {
                    info.addrs.remove(0);
                }
                info.addrs.push(addr);
            }
        }
    }

    /// An address from the application, identify or mDNS: unless refused (see `addrs`),
    /// remembered for the peer table and the dialler.
    fn learn_address(&mut self, peer: PeerId, addr: Multiaddr) -> Result<(), MeshError> {
        let addr = match split_peer_addr(&addr) {
            Some((p, base)) if p == peer => base,
            _ => addr,
        };
        if !addrs::is_acceptable(&addr, self.allow_private_addrs) {
            tracing::debug!(%peer, %addr, "address refused");
            return Err(MeshError::AddressRefused(addr));
        }
        self.swarm
            .behaviour_mut()
            .guard
            .add_address(peer, addr.clone());
        self.remember_addr(peer, addr);
        Ok(())
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                tracing::info!(%address, "listening");
                // Without private addresses allowed, identify announces only external
                // addresses: the global ones we listen on.
                if !self.allow_private_addrs && addrs::is_acceptable(&address, false) {
                    self.swarm.add_external_address(address.clone());
                }
                self.listeners.entry(listener_id).or_default().push(address);
                self.answer_listen_waiters();
            }
            SwarmEvent::ExpiredListenAddr {
                listener_id,
                address,
            } => {
                self.swarm.remove_external_address(&address);
                if let Some(addrs) = self.listeners.get_mut(&listener_id) {
                    addrs.retain(|a| *a != address);
                }
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                reason,
                ..
            } => {
                if let Err(e) = reason {
                    tracing::warn!(error = %e, "listener closed");
                }
                self.listeners.remove(&listener_id);
                self.answer_listen_waiters();
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::warn!(%error, "listener error");
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                tracing::debug!(peer = %peer_id, addr = %endpoint.get_remote_address(), "connection established");
                if let Some((_, reply)) = self.pending_dials.remove(&connection_id) {
                    let _ = reply.send(Ok(peer_id));
                }
                if endpoint.is_dialer() {
                    self.remember_addr(peer_id, endpoint.get_remote_address().clone());
                }
                if let Some(info) = self.peer_entry(peer_id) {
                    info.connected = true;
                }
                if num_established.get() == 1 {
                    self.emit(MeshEvent::PeerConnected { peer: peer_id });
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                cause,
                ..
            } => {
                tracing::debug!(peer = %peer_id, cause = ?cause, "connection closed");
                if num_established == 0 {
                    if let Some(info) = self.peers.get_mut(&peer_id) {
                        info.connected = false;
                    }
                    self.emit(MeshEvent::PeerDisconnected { peer: peer_id });
                }
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                peer_id,
                error,
            } => {
                tracing::debug!(peer = ?peer_id, %error, "outgoing connection failed");
                if let Some((addr, reply)) = self.pending_dials.remove(&connection_id) {
                    let _ = reply.send(Err(MeshError::Dial {
                        addr,
                        reason: error.to_string(),
                    }));
                }
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error,
                ..
            } => {
                tracing::debug!(addr = %send_back_addr, %error, "incoming connection failed");
            }
            _ => {}
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Streams(()) => {}
            BehaviourEvent::Gossipsub(event) => self.on_gossip_event(event),
            BehaviourEvent::Ping(ping::Event { peer, result, .. }) => match result {
                Ok(rtt) => {
                    tracing::trace!(%peer, ?rtt, "ping");
                    if let Some(info) = self.peer_entry(peer) {
                        info.rtt = Some(rtt);
                    }
                }
                Err(e) => tracing::debug!(%peer, error = %e, "ping failed"),
            },
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                // What a peer claims: refused addresses are dropped (`learn_address`).
                for addr in info.listen_addrs.into_iter().take(MAX_ADDRS_PER_PEER) {
                    let _ = self.learn_address(peer_id, addr);
                }
            }
            BehaviourEvent::Identify(_) => {}
            BehaviourEvent::Limits(never) | BehaviourEvent::Memory(never) => match never {},
            BehaviourEvent::Guard(never) => match never {},
            BehaviourEvent::Mdns(mdns::Event::Discovered(found)) => {
                for (peer, addr) in found {
                    tracing::debug!(%peer, %addr, "discovered on the LAN");
                    if self.learn_address(peer, addr.clone()).is_err() {
                        continue;
                    }
                    if !self.swarm.is_connected(&peer) {
                        let opts = DialOpts::peer_id(peer).addresses(vec![addr]).build();
                        if let Err(e) = self.swarm.dial(opts) {
                            tracing::trace!(%peer, error = %e, "not dialling LAN peer");
                        }
                    }
                }
            }
            BehaviourEvent::Mdns(mdns::Event::Expired(_)) => {}
        }
    }

    fn on_gossip_event(&mut self, event: gossipsub::Event) {
        let gossipsub::Event::Message {
            propagation_source,
            message_id,
            message,
        } = event
        else {
            return;
        };
        let checked = message
            .source
            .ok_or(BeatError::NoSource)
            .and_then(|source| {
                CapacityBeat::decode_checked(
                    message.topic.as_str(),
                    &message.data,
                    unix_time_ms(),
                    self.beat_max_age_ms,
                    self.beat_max_skew_ms,
                )
                .map(|beat| (source, beat))
            });
        let acceptance = match checked {
            Ok((source, beat)) => self.accept_beat(source, beat),
            Err(error) => {
                tracing::debug!(from = %propagation_source, source = ?message.source, %error, "invalid capacity beat");
                match error {
                    // Clock trouble, not malice.
                    BeatError::Stale { .. } | BeatError::FromTheFuture { .. } => {
                        MessageAcceptance::Ignore
                    }
                    _ => MessageAcceptance::Reject,
                }
            }
        };
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&message_id, &propagation_source, acceptance);
    }

    fn accept_beat(&mut self, source: PeerId, beat: CapacityBeat) -> MessageAcceptance {
        let verdict = self.beats.admit(source, &beat, Instant::now());
        if verdict != MessageAcceptance::Accept {
            return verdict;
        }
        let Some(info) = self.peer_entry(source) else {
            return MessageAcceptance::Ignore;
        };
        let newer = info
            .last_beat
            .as_ref()
            .is_none_or(|last| last.sent_at_ms <= beat.sent_at_ms);
        if newer {
            info.last_beat = Some(beat.clone());
        }
        tracing::trace!(%source, netuid = %beat.netuid, load = beat.load, "capacity beat");
        self.emit(MeshEvent::CapacityBeat { peer: source, beat });
        MessageAcceptance::Accept
    }

    /// Hands `event` to the application without ever blocking the swarm. If the application
    /// is not keeping up, the event is dropped. (Inbound requests come from the links, not
    /// from here: `inbound::emit`.)
    fn emit(&mut self, event: MeshEvent) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.events.try_send(event) {
            tracing::warn!("mesh event queue full; dropping an event");
        }
    }
}

/// Runs [`accept_links`] on a thread of its own. libp2p-stream hands inbound streams over a
/// channel with room for one and drops a stream it cannot hand over at once, whoever opened
/// it. On a Tokio task the acceptor waits its turn behind every other task, and strangers
/// opening links fast keep that one slot full: under such a churn a third of the admitted
/// peers' links were dropped unread. A thread is woken by the OS as soon as a stream waits;
/// what it does per link is a lookup and a spawn onto the runtime.
fn start_acceptor(incoming: IncomingStreams, inbound: Arc<Inbound>) {
    let runtime = tokio::runtime::Handle::current();
    // Shared so that the acceptor can still run as a task if no thread can be had.
    let handed = Arc::new(std::sync::Mutex::new(Some((incoming, inbound))));
    let taken = handed.clone();
    let spawned = std::thread::Builder::new()
        .name("mesh-accept".into())
        .spawn(move || {
            let _runtime = runtime.enter();
            let parts = taken.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some((incoming, inbound)) = parts {
                futures::executor::block_on(accept_links(incoming, inbound));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no thread for the link acceptor; running it as a task");
        let parts = handed.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((incoming, inbound)) = parts {
            tokio::spawn(accept_links(incoming, inbound));
        }
    }
}

/// Hands every link a caller opens to its own task.
async fn accept_links(mut incoming: IncomingStreams, inbound: Arc<Inbound>) {
    loop {
        tokio::select! {
            next = incoming.next() => match next {
                Some((peer, stream)) => inbound.serve(peer, stream),
                None => return,
            },
            () = inbound.stopped.cancelled() => return,
        }
    }
}
