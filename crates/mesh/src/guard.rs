//! Admission by IP and the address book: a [`NetworkBehaviour`] without a protocol.
//!
//! `connection_limits` counts connections in total and per PeerId, but PeerIds cost one key
//! generation, so one host could still take every slot. This behaviour refuses an inbound
//! connection, before its handshake, once its remote IP (IPv6: its /64) holds
//! `max_incoming_per_ip` connections, pending or established. It also caps concurrent
//! outgoing dials per target IP, so addresses published on chain cannot turn the mesh into
//! a flood aimed at one host, and it is the mesh's address book: the swarm asks it for a
//! peer's addresses when it dials by PeerId (instead of Kademlia; see the crate README).
//!
//! It also holds the caps on established connections (`max_established_incoming`,
//! `max_established`), checked once the handshake has told who the peer is: a peer the
//! [`Admission`] policy names (a permitted validator on a miner) is never refused by them and
//! does not count against them. Strangers from enough addresses can fill those slots, and a
//! validator that connects after them must still be served.

use std::{
    collections::{hash_map::Entry, HashMap, HashSet, VecDeque},
    convert::Infallible,
    task::{Context, Poll},
};

use libp2p::{
    core::{transport::PortUse, Endpoint},
    swarm::{
        dummy, ConnectionClosed, ConnectionDenied, ConnectionId, DialFailure, FromSwarm,
        ListenFailure, NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
    },
    Multiaddr, PeerId,
};

use crate::{
    addrs::{ip_of, IpKey},
    Admission,
};

/// Most peers in the address book; beyond it a peer that is not connected makes room.
pub(crate) const MAX_BOOK_PEERS: usize = 4096;
/// Most addresses kept per peer (the oldest is dropped).
pub(crate) const MAX_BOOK_ADDRS: usize = 8;

/// Why a connection was refused, as the swarm reports it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    #[error("{ip:?} already holds {limit} inbound connections")]
    IncomingPerIp { ip: IpKey, limit: u32 },
    #[error("{ip:?} already has {limit} dials pending")]
    DialsPerIp { ip: IpKey, limit: u32 },
    #[error("{limit}{direction} connections of peers not admitted by name are established")]
    Established { limit: u32, direction: &'static str },
}

/// Caps on established connections of peers the admission policy does not name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EstablishedLimits {
    pub(crate) max_incoming: u32,
    pub(crate) max_total: u32,
}

pub(crate) struct Guard {
    max_incoming_per_ip: u32,
    max_dials_per_ip: u32,
    established_limits: EstablishedLimits,
    admission: Admission,
    /// Established connections of peers not named by the admission policy when they were
    /// established, and whether each is inbound.
    counted: HashMap<ConnectionId, bool>,
    counted_incoming: u32,
    /// Inbound connections, pending or established, per remote IP.
    incoming: HashMap<IpKey, u32>,
    incoming_by_connection: HashMap<ConnectionId, IpKey>,
    /// Outgoing dials not yet established or failed, per target IP.
    dialling: HashMap<IpKey, u32>,
    dials_by_connection: HashMap<ConnectionId, Vec<IpKey>>,
    book: HashMap<PeerId, VecDeque<Multiaddr>>,
    connected: HashSet<PeerId>,
}

impl Guard {
    pub(crate) fn new(
        max_incoming_per_ip: u32,
        max_dials_per_ip: u32,
        established_limits: EstablishedLimits,
        admission: Admission,
    ) -> Self {
        Self {
            max_incoming_per_ip,
            max_dials_per_ip,
            established_limits,
            admission,
            counted: HashMap::new(),
            counted_incoming: 0,
            incoming: HashMap::new(),
            incoming_by_connection: HashMap::new(),
            dialling: HashMap::new(),
            dials_by_connection: HashMap::new(),
            book: HashMap::new(),
            connected: HashSet::new(),
        }
    }

    /// Remembers `addr` for dialling `peer`; the caller has checked it is acceptable.
    pub(crate) fn add_address(&mut self, peer: PeerId, addr: Multiaddr) {
        if !self.book.contains_key(&peer) && self.book.len() >= MAX_BOOK_PEERS {
            // Rare (the book is as large as the peer table) and bounded: one scan.
            let evict = self
                .book
                .keys()
                .find(|p| !self.connected.contains(p))
                .copied();
            match evict {
                Some(evict) => {
                    self.book.remove(&evict);
                }
                None => return,
            }
        }
        let addrs = self.book.entry(peer).or_default();
        if !addrs.contains(&addr) {
            if addrs.len() >= MAX_BOOK_ADDRS {
                addrs.pop_front();
            }
            addrs.push_back(addr);
        }
    }

    /// Refuses a connection of `peer` once the connections of strangers fill the caps; a
    /// peer the admission policy names always has room.
    fn check_established(&self, peer: &PeerId, inbound: bool) -> Result<(), ConnectionDenied> {
        if self.admission.names(peer) {
            return Ok(());
        }
        let l = self.established_limits;
        let total = u32::try_from(self.counted.len()).unwrap_or(u32::MAX);
        let refused = if inbound && self.counted_incoming >= l.max_incoming {
            Some((l.max_incoming, " inbound"))
        } else if total >= l.max_total {
            Some((l.max_total, ""))
        } else {
            None
        };
        match refused {
            Some((limit, direction)) => {
                tracing::debug!(%peer, limit, direction, "connection refused: established limit");
                Err(ConnectionDenied::new(Refused::Established {
                    limit,
                    direction,
                }))
            }
            None => Ok(()),
        }
    }

    fn release_incoming(&mut self, connection: ConnectionId) {
        if let Some(ip) = self.incoming_by_connection.remove(&connection) {
            release(&mut self.incoming, ip);
        }
    }

    fn release_dial(&mut self, connection: ConnectionId) {
        for ip in self
            .dials_by_connection
            .remove(&connection)
            .unwrap_or_default()
        {
            release(&mut self.dialling, ip);
        }
    }
}

fn release(counts: &mut HashMap<IpKey, u32>, ip: IpKey) {
    if let Entry::Occupied(mut count) = counts.entry(ip) {
        *count.get_mut() = count.get().saturating_sub(1);
        if *count.get() == 0 {
            count.remove();
        }
    }
}

impl NetworkBehaviour for Guard {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_pending_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        _local_addr: &Multiaddr,
        remote_addr: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        let Some(ip) = ip_of(remote_addr).map(IpKey::of) else {
            return Ok(());
        };
        let count = self.incoming.entry(ip).or_default();
        if *count >= self.max_incoming_per_ip {
            tracing::debug!(?ip, "inbound connection refused: per-IP limit");
            return Err(ConnectionDenied::new(Refused::IncomingPerIp {
                ip,
                limit: self.max_incoming_per_ip,
            }));
        }
        *count = count.saturating_add(1);
        self.incoming_by_connection.insert(connection_id, ip);
        Ok(())
    }

    fn handle_established_inbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _local_addr: &Multiaddr,
        _remote_addr: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check_established(&peer, true)?;
        Ok(dummy::ConnectionHandler)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        connection_id: ConnectionId,
        maybe_peer: Option<PeerId>,
        addresses: &[Multiaddr],
        _effective_role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        let known: Vec<Multiaddr> = maybe_peer
            .and_then(|peer| self.book.get(&peer))
            .map(|addrs| addrs.iter().cloned().collect())
            .unwrap_or_default();
        let ips: HashSet<IpKey> = addresses
            .iter()
            .chain(&known)
            .filter_map(ip_of)
            .map(IpKey::of)
            .collect();
        if let Some(&ip) = ips
            .iter()
            .find(|ip| self.dialling.get(ip).copied().unwrap_or(0) >= self.max_dials_per_ip)
        {
            tracing::debug!(?ip, "dial refused: per-IP limit on pending dials");
            return Err(ConnectionDenied::new(Refused::DialsPerIp {
                ip,
                limit: self.max_dials_per_ip,
            }));
        }
        for &ip in &ips {
            let count = self.dialling.entry(ip).or_default();
            *count = count.saturating_add(1);
        }
        self.dials_by_connection
            .insert(connection_id, ips.into_iter().collect());
        Ok(known)
    }

    fn handle_established_outbound_connection(
        &mut self,
        connection_id: ConnectionId,
        peer: PeerId,
        _addr: &Multiaddr,
        _role_override: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.release_dial(connection_id);
        self.check_established(&peer, false)?;
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(established) => {
                self.connected.insert(established.peer_id);
                if !self.admission.names(&established.peer_id) {
                    let inbound = established.endpoint.is_listener();
                    self.counted.insert(established.connection_id, inbound);
                    if inbound {
                        self.counted_incoming = self.counted_incoming.saturating_add(1);
                    }
                }
            }
            FromSwarm::ConnectionClosed(ConnectionClosed {
                peer_id,
                connection_id,
                remaining_established,
                ..
            }) => {
                self.release_incoming(connection_id);
                if self.counted.remove(&connection_id) == Some(true) {
                    self.counted_incoming = self.counted_incoming.saturating_sub(1);
                }
                if remaining_established == 0 {
                    self.connected.remove(&peer_id);
                }
            }
            FromSwarm::ListenFailure(ListenFailure { connection_id, .. }) => {
                self.release_incoming(connection_id);
            }
            FromSwarm::DialFailure(DialFailure { connection_id, .. }) => {
                self.release_dial(connection_id);
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _peer_id: PeerId,
        _connection_id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        libp2p::core::util::unreachable(event)
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}
