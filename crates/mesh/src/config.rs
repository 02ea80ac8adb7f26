//! Mesh configuration.

use std::{net::Ipv4Addr, time::Duration};

use libp2p::{identity::Keypair, multiaddr::Protocol, Multiaddr, PeerId};

use crate::{Admission, MeshError};

/// Default limit on an encoded inference request: 1 MiB.
pub const DEFAULT_MAX_REQUEST_SIZE: u32 = 1024 * 1024;
/// Default limit on an encoded inference response: 4 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: u32 = 4 * 1024 * 1024;
/// Smallest size limit accepted, so that error responses always fit.
pub const MIN_SIZE_LIMIT: u32 = 1024;
/// Default budget of answers queued on one inbound link and not yet written: two answers of
/// the default largest size, each counted with its header and allocation slack (8 MiB and
/// 280 bytes; see [`largest_answer_cost`]).
pub const DEFAULT_MAX_QUEUED_ANSWER_BYTES: u32 =
    largest_answer_cost(DEFAULT_MAX_RESPONSE_SIZE).saturating_mul(2);
/// Default time one write of answers on an inbound link may take before the link is closed.
pub const DEFAULT_ANSWER_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a queued answer costs beyond its body: its 12-byte header (tag and length) and at
/// most 128 bytes of unused allocation (an encoded frame keeps no more; the byte budget
/// counts allocations).
const ANSWER_OVERHEAD: u32 = 12 + 128;

/// The most bytes one queued answer counts against
/// [`MeshConfig::max_queued_answer_bytes`] when its body is at most `max_response_size`
/// bytes (larger ones are replaced by a short `too_large` error): the body, its 12-byte
/// header and up to 128 bytes of unused allocation.
pub const fn largest_answer_cost(max_response_size: u32) -> u32 {
    max_response_size.saturating_add(ANSWER_OVERHEAD)
}

/// Everything [`Mesh::new`](crate::Mesh::new) needs.
///
/// Build one with [`MeshConfig::new`] and adjust the public fields; [`Mesh::new`](crate::Mesh::new) checks it
/// with [`MeshConfig::validate`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MeshConfig {
    /// The node's identity (must be ed25519; see [`crate::keys`]).
    pub keypair: Keypair,
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/30444` and `/ip4/0.0.0.0/udp/30444/quic-v1`.
    pub listen_addrs: Vec<Multiaddr>,
    /// Peers to dial at start; each must end in `/p2p/<peer id>` (and be global unless
    /// `allow_private_addrs`).
    pub bootstrap_peers: Vec<Multiaddr>,
    /// Discover peers on the local network with mDNS (dev only: needs
    /// `allow_private_addrs`, since LAN addresses are private). Off by default: on café
    /// Wi-Fi anyone can answer mDNS and have the node dial where they like.
    pub mdns: bool,
    /// Dial, remember and announce loopback and private-range addresses (local networks,
    /// tests). Off by default: only global addresses are used (see `addrs`).
    pub allow_private_addrs: bool,
    /// Caps on connections and dials.
    pub limits: ConnectionLimits,
    /// Largest encoded request sent or accepted.
    pub max_request_size: u32,
    /// Largest encoded response sent or accepted.
    pub max_response_size: u32,
    /// Upper bound on any request: the protocol gives up on a request (in or out) after
    /// this long, whatever timeout the caller passed. Also the longest an inbound frame may
    /// take to arrive once its first byte has; a caller that stalls inside a frame loses
    /// the link.
    pub request_timeout: Duration,
    /// A link is closed after this long without a request and with none waiting for its
    /// answer (a request older than `request_timeout` no longer counts): by the caller, and
    /// by the server for a caller that keeps it open (at most this long after the last
    /// answer has gone out). A connection is closed after it has had no open streams this
    /// long.
    pub idle_connection_timeout: Duration,
    /// How often each connection is pinged to measure its round-trip time.
    pub ping_interval: Duration,
    /// Capacity beats older than this (by the local clock) are ignored.
    pub beat_max_age: Duration,
    /// Capacity beats dated further than this into the future are ignored.
    pub beat_max_clock_skew: Duration,
    /// How many [`MeshEvent`](crate::MeshEvent)s may wait for the application before new
    /// ones are dropped (inbound requests are then answered `busy`).
    pub event_buffer: usize,
    /// At most this many requests of one inbound link waiting for their answers (or for
    /// their answers to be written); further ones are answered `busy` at once.
    pub max_in_flight_per_link: usize,
    /// Accept `/mindos/infer/1` links at all. Off, peers that open one are told the protocol
    /// is not supported and no link task ever starts.
    pub serve_inference: bool,
    /// Who may open inbound links, decided before anything is read from them, and the
    /// per-subnet request limits; the application may change it at any time.
    pub admission: Admission,
    /// Most bytes of answers one inbound link may hold queued and unwritten; an answer that
    /// would exceed it closes the link (its caller is not reading). Must hold at least one
    /// answer of the largest size ([`largest_answer_cost`] of `max_response_size`).
    pub max_queued_answer_bytes: u32,
    /// Longest one write of answers on an inbound link may take; a caller that stops
    /// reading for longer loses the link.
    pub answer_write_timeout: Duration,
    /// Gossipsub tuning.
    pub gossip: GossipConfig,
    /// How long shutdown waits for connections to close gracefully.
    pub shutdown_grace: Duration,
}

/// Caps on connections, checked when a connection is accepted or dialled, before any
/// handshake where possible.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionLimits {
    /// Established connections, inbound and outbound, of peers the admission policy does not
    /// name (see [`MeshConfig::admission`]): a peer it names is checked once its handshake
    /// has told who it is, and is neither refused by this cap nor counted against it.
    pub max_established: u32,
    /// Established inbound connections of peers the admission policy does not name (as for
    /// `max_established`).
    pub max_established_incoming: u32,
    /// Established connections to one PeerId (TCP and QUIC, a simultaneous dial).
    pub max_established_per_peer: u32,
    /// Inbound connections still in their handshake (at most 10 s each). High enough that
    /// filling it takes `max_pending_incoming / max_incoming_per_ip` addresses.
    pub max_pending_incoming: u32,
    /// Outbound dials in progress.
    pub max_pending_outgoing: u32,
    /// Inbound connections, pending or established, from one IPv4 address or IPv6 /64.
    pub max_incoming_per_ip: u32,
    /// Dials in progress to one target IPv4 address or IPv6 /64.
    pub max_dials_per_ip: u32,
    /// New connections are refused while the process uses more than this share of the
    /// machine's memory, in percent.
    pub max_memory_percent: u8,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_established: 512,
            max_established_incoming: 384,
            max_established_per_peer: 4,
            max_pending_incoming: 256,
            max_pending_outgoing: 64,
            max_incoming_per_ip: 16,
            max_dials_per_ip: 16,
            max_memory_percent: 80,
        }
    }
}

/// Gossipsub parameters; the defaults suit a network of dozens of peers or more.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GossipConfig {
    /// Interval of the gossipsub heartbeat (mesh maintenance, gossip emission).
    pub heartbeat_interval: Duration,
    /// Target number of mesh peers per topic.
    pub mesh_n: usize,
    /// Graft more peers below this many.
    pub mesh_n_low: usize,
    /// Prune peers above this many.
    pub mesh_n_high: usize,
    /// Minimum outbound peers in the mesh (at most `mesh_n_low` and `mesh_n / 2`).
    pub mesh_outbound_min: usize,
    /// Publish our own messages to every subscribed peer, not only the mesh.
    pub flood_publish: bool,
    /// Largest gossip RPC accepted, in bytes.
    pub max_transmit_size: usize,
    /// A publisher's beats on one subnet closer together than this (by the local clock) are
    /// ignored and not forwarded: the publish-rate cap. Miners beat every second at most.
    pub min_beat_interval: Duration,
}

impl Default for GossipConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(1),
            mesh_n: 6,
            mesh_n_low: 4,
            mesh_n_high: 12,
            mesh_outbound_min: 2,
            flood_publish: true,
            max_transmit_size: 16 * 1024,
            min_beat_interval: Duration::from_millis(500),
        }
    }
}

impl GossipConfig {
    /// Parameters for a handful of peers (tests, a LAN sub-swarm): a mesh of one or two
    /// peers and a fast heartbeat.
    pub fn small_network() -> Self {
        Self {
            heartbeat_interval: Duration::from_millis(200),
            mesh_n: 2,
            mesh_n_low: 1,
            mesh_n_high: 4,
            mesh_outbound_min: 0,
            ..Self::default()
        }
    }
}

impl MeshConfig {
    /// Defaults around `keypair`: listen on TCP and QUIC on all interfaces (random ports),
    /// no bootstrap peers, mDNS off, global addresses only, 1 MiB / 4 MiB request / response
    /// limits.
    pub fn new(keypair: Keypair) -> Self {
        Self {
            keypair,
            listen_addrs: vec![
                Multiaddr::empty()
                    .with(Protocol::Ip4(Ipv4Addr::UNSPECIFIED))
                    .with(Protocol::Tcp(0)),
                Multiaddr::empty()
                    .with(Protocol::Ip4(Ipv4Addr::UNSPECIFIED))
                    .with(Protocol::Udp(0))
                    .with(Protocol::QuicV1),
            ],
            bootstrap_peers: Vec::new(),
            mdns: false,
            allow_private_addrs: false,
            limits: ConnectionLimits::default(),
            max_request_size: DEFAULT_MAX_REQUEST_SIZE,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            request_timeout: Duration::from_secs(30),
            idle_connection_timeout: Duration::from_secs(60),
            ping_interval: Duration::from_secs(15),
            beat_max_age: Duration::from_secs(120),
            beat_max_clock_skew: Duration::from_secs(30),
            event_buffer: 1024,
            max_in_flight_per_link: 128,
            serve_inference: true,
            admission: Admission::open(),
            max_queued_answer_bytes: DEFAULT_MAX_QUEUED_ANSWER_BYTES,
            answer_write_timeout: DEFAULT_ANSWER_WRITE_TIMEOUT,
            gossip: GossipConfig::default(),
            shutdown_grace: Duration::from_millis(500),
        }
    }

    /// A configuration for tests and local tooling: listens on TCP `127.0.0.1` (random port),
    /// private addresses allowed, mDNS off, small-network gossip, 1 s pings.
    pub fn local(keypair: Keypair) -> Self {
        Self {
            listen_addrs: vec![Multiaddr::empty()
                .with(Protocol::Ip4(Ipv4Addr::LOCALHOST))
                .with(Protocol::Tcp(0))],
            mdns: false,
            allow_private_addrs: true,
            ping_interval: Duration::from_secs(1),
            gossip: GossipConfig::small_network(),
            ..Self::new(keypair)
        }
    }

    /// The peer id of [`MeshConfig::keypair`].
    pub fn peer_id(&self) -> PeerId {
        self.keypair.public().to_peer_id()
    }

    /// Checks the configuration; [`Mesh::new`](crate::Mesh::new) calls this first.
    pub fn validate(&self) -> Result<(), MeshError> {
        let invalid = |msg: String| Err(MeshError::InvalidConfig(msg));
        if self.keypair.clone().try_into_ed25519().is_err() {
            return invalid("the node key must be ed25519".into());
        }
        if self.listen_addrs.is_empty() {
            return invalid("at least one listen address is needed".into());
        }
        for (name, limit) in [
            ("max_request_size", self.max_request_size),
            ("max_response_size", self.max_response_size),
        ] {
            if limit < MIN_SIZE_LIMIT {
                return invalid(format!("{name} must be at least {MIN_SIZE_LIMIT} bytes"));
            }
        }
        // One answer of the largest size must always fit.
        let largest = largest_answer_cost(self.max_response_size);
        if self.max_queued_answer_bytes < largest {
            return invalid(format!(
                "max_queued_answer_bytes must be at least {largest}: max_response_size and \
                 {ANSWER_OVERHEAD} bytes of frame header and allocation slack"
            ));
        }
        for addr in &self.bootstrap_peers {
            if split_peer_addr(addr).is_none() {
                return invalid(format!(
                    "bootstrap address {addr} must end in /p2p/<peer id>"
                ));
            }
            if !crate::addrs::is_acceptable(addr, self.allow_private_addrs) {
                return invalid(format!(
                    "bootstrap address {addr} is not a global IP address (private ones need \
                     allow_private_addrs)"
                ));
            }
        }
        for (name, d) in [
            ("request_timeout", self.request_timeout),
            ("idle_connection_timeout", self.idle_connection_timeout),
            ("answer_write_timeout", self.answer_write_timeout),
            ("ping_interval", self.ping_interval),
            ("gossip.heartbeat_interval", self.gossip.heartbeat_interval),
        ] {
            if d.is_zero() {
                return invalid(format!("{name} must be positive"));
            }
        }
        if self.mdns && !self.allow_private_addrs {
            return invalid("mdns needs allow_private_addrs (LAN addresses are private)".into());
        }
        let l = &self.limits;
        if [
            l.max_established,
            l.max_established_incoming,
            l.max_established_per_peer,
            l.max_pending_incoming,
            l.max_pending_outgoing,
            l.max_incoming_per_ip,
            l.max_dials_per_ip,
        ]
        .contains(&0)
        {
            return invalid("connection limits must be positive".into());
        }
        if !(1..=100).contains(&l.max_memory_percent) {
            return invalid("limits.max_memory_percent must be within 1..=100".into());
        }
        if self.event_buffer == 0 || self.max_in_flight_per_link == 0 {
            return invalid("event_buffer and max_in_flight_per_link must be positive".into());
        }
        let g = &self.gossip;
        let outbound_ok = g
            .mesh_outbound_min
            .checked_mul(2)
            .is_some_and(|d| d <= g.mesh_n);
        if !(g.mesh_outbound_min <= g.mesh_n_low
            && g.mesh_n_low <= g.mesh_n
            && g.mesh_n <= g.mesh_n_high
            && outbound_ok)
        {
            return invalid(
                "gossip needs mesh_outbound_min <= mesh_n_low <= mesh_n <= mesh_n_high \
                 and 2 * mesh_outbound_min <= mesh_n"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Splits `/…/p2p/<id>` into the peer id and the address without the `/p2p` suffix.
pub(crate) fn split_peer_addr(addr: &Multiaddr) -> Option<(PeerId, Multiaddr)> {
    let mut base = addr.clone();
    match base.pop()? {
        Protocol::P2p(peer) => Some((peer, base)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> MeshConfig {
        MeshConfig::local(Keypair::generate_ed25519())
    }

    #[test]
    fn defaults_are_valid() {
        config().validate().unwrap();
        MeshConfig::new(Keypair::generate_ed25519())
            .validate()
            .unwrap();
    }

    #[test]
    fn bad_configs_are_refused() {
        let mut c = config();
        c.max_request_size = 10;
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));

        let mut c = config();
        c.bootstrap_peers = vec!["/ip4/127.0.0.1/tcp/1".parse().unwrap()];
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));

        let mut c = config();
        c.gossip.mesh_n_low = 10;
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));

        let mut c = config();
        c.max_queued_answer_bytes = c.max_response_size;
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));
        // The header alone is not enough: an answer may keep some allocation slack.
        c.max_queued_answer_bytes = c.max_response_size + 12;
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));
        c.max_queued_answer_bytes = largest_answer_cost(c.max_response_size);
        c.validate().unwrap();

        let mut c = config();
        c.idle_connection_timeout = Duration::ZERO;
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));

        let mut c = config();
        c.answer_write_timeout = Duration::ZERO;
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));

        let mut c = config();
        c.listen_addrs.clear();
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));

        let mut c = config();
        c.limits.max_incoming_per_ip = 0;
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));

        for percent in [0, 101] {
            let mut c = config();
            c.limits.max_memory_percent = percent;
            assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));
        }

        let mut c = MeshConfig::new(Keypair::generate_ed25519());
        c.mdns = true;
        assert!(matches!(c.validate(), Err(MeshError::InvalidConfig(_))));
        c.allow_private_addrs = true;
        c.validate().unwrap();
    }

    #[test]
    fn the_default_answer_budget_is_two_answers_of_the_default_largest_size() {
        assert_eq!(
            u64::from(DEFAULT_MAX_QUEUED_ANSWER_BYTES),
            2 * (u64::from(DEFAULT_MAX_RESPONSE_SIZE) + 12 + 128)
        );
        assert_eq!(
            ANSWER_OVERHEAD as usize,
            crate::codec::HEADER_LEN + crate::codec::INITIAL_FRAME
        );
    }

    #[test]
    fn mdns_and_private_addresses_are_off_by_default() {
        let c = MeshConfig::new(Keypair::generate_ed25519());
        assert!(!c.mdns);
        assert!(!c.allow_private_addrs);
        // The local preset is for tests and dev networks on one machine.
        let c = config();
        assert!(!c.mdns);
        assert!(c.allow_private_addrs);
    }

    #[test]
    fn peer_addresses_split() {
        let peer = PeerId::random();
        let addr: Multiaddr = format!("/ip4/10.0.0.1/tcp/4001/p2p/{peer}")
            .parse()
            .unwrap();
        let (p, base) = split_peer_addr(&addr).unwrap();
        assert_eq!(p, peer);
        assert_eq!(base, "/ip4/10.0.0.1/tcp/4001".parse::<Multiaddr>().unwrap());
    }
}
