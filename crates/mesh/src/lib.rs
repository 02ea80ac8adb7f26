#![doc = include_str!("../README.md")]
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

mod addrs;
mod admission;
mod beats;
mod behaviour;
mod client;
mod codec;
mod config;
mod error;
mod event_loop;
pub mod evidence;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod guard;
mod inbound;
pub mod keys;
mod outbound;
pub mod receipt;
pub mod route;
pub mod wire;

use std::{collections::HashMap, sync::Arc};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use admission::Admission;
pub use client::{MeshClient, MeshEvent, PeerInfo};
pub use codec::INFER_PROTOCOL;
pub use config::{
    largest_answer_cost, ConnectionLimits, GossipConfig, MeshConfig, DEFAULT_ANSWER_WRITE_TIMEOUT,
    DEFAULT_MAX_QUEUED_ANSWER_BYTES, DEFAULT_MAX_REQUEST_SIZE, DEFAULT_MAX_RESPONSE_SIZE,
    MIN_SIZE_LIMIT,
};
pub use error::MeshError;
pub use event_loop::EventLoop;
pub use inbound::{InboundStats, Responder};
/// The libp2p version this crate is built on, for addresses, peer ids and keys.
pub use libp2p;
pub use libp2p::{identity::Keypair, Multiaddr, PeerId};
/// Subnet ids and neuron uids travel typed (see `mindos_primitives`); re-exported so users of
/// the mesh name the same types.
pub use mindos_primitives::{NetUid, Uid};
pub use wire::{
    BeatError, CapacityBeat, ChallengeTerms, ErrorCode, InferRequest, InferResponse, PowerSource,
    PowerStatus, Receipt,
};

/// Places in a miner's request queue each caller it serves (each permitted validator, the
/// owner's RPC) may always take, however full others have made the queue: a caller with
/// fewer requests than this waiting is queued, never answered `busy`. Challenges look like
/// any query (they carry no mark a miner could serve honestly and ignore elsewhere), so the
/// places are per caller, not per challenge; a validator's gateway keeps fewer than this
/// many requests in flight at one miner so that its own challenges always find a place.
pub const GUARANTEED_QUEUE_PLACES: usize = 8;

/// The addresses a node should publish for others to dial: `configured` if any, else
/// `listening`; only global addresses unless `allow_private` (loopback and a home
/// network's private ranges say where a miner lives and make validators dial their own
/// machine), never unspecified ones (`0.0.0.0` is where a node listens, never where it is
/// reached); and within a registry's limits: at most `max_count` addresses of at most
/// `max_len` bytes each (the chain's `serve` limits, for the miner and the validator).
pub fn publishable(
    configured: &[Multiaddr],
    listening: &[Multiaddr],
    allow_private: bool,
    max_len: u32,
    max_count: u32,
) -> Vec<Multiaddr> {
    let max_len = usize::try_from(max_len).unwrap_or(usize::MAX);
    let max_count = usize::try_from(max_count).unwrap_or(usize::MAX);
    let source = if configured.is_empty() {
        listening
    } else {
        configured
    };
    source
        .iter()
        .filter(|a| addrs::is_acceptable(a, allow_private))
        .filter(|a| a.to_vec().len() <= max_len)
        .take(max_count)
        .cloned()
        .collect()
}

/// What [`Mesh::new`] returns: the client handle, the stream of [`MeshEvent`]s and the
/// [`EventLoop`] to spawn.
pub type MeshParts = (MeshClient, mpsc::Receiver<MeshEvent>, EventLoop);

/// Room for commands from [`MeshClient`]s before senders wait.
const COMMAND_BUFFER: usize = 256;

/// Entry point: builds a mesh node.
#[derive(Debug)]
#[non_exhaustive]
pub struct Mesh;

impl Mesh {
    /// Builds the swarm, starts listening on `config.listen_addrs` and dials the bootstrap
    /// peers. Returns the client handle, the stream of [`MeshEvent`]s and the [`EventLoop`]
    /// to spawn; nothing happens on the network until the loop runs.
    ///
    /// Must be called inside a Tokio runtime. Fails with [`MeshError::InvalidConfig`],
    /// [`MeshError::Setup`] or [`MeshError::Listen`].
    #[allow(clippy::new_ret_no_self)] // the mesh is its three parts; there is no `Mesh` value
    pub fn new(config: MeshConfig) -> Result<MeshParts, MeshError> {
        config.validate()?;
        let swarm = behaviour::build_swarm(&config)?;
        Self::assemble(config, swarm)
    }

    /// [`Mesh::new`], with libp2p's bandwidth counters registered in `registry`: the counter
    /// family `libp2p_bandwidth_bytes_total`, labelled by `direction` (`inbound`,
    /// `outbound`) and `protocols` (the transport stack, e.g. `/ip4/tcp`). They count the
    /// bytes of every substream (gossip, identify, ping, inference links) after decryption
    /// and demultiplexing, so noise, yamux, TCP and QUIC overhead is not included.
    ///
    /// Fails as [`Mesh::new`] does.
    #[cfg(feature = "bandwidth-metrics")]
    pub fn with_bandwidth_metrics(
        config: MeshConfig,
        registry: &mut libp2p::metrics::Registry,
    ) -> Result<MeshParts, MeshError> {
        config.validate()?;
        let swarm = behaviour::build_swarm_with_bandwidth_metrics(&config, registry)?;
        Self::assemble(config, swarm)
    }

    /// Listens, dials the bootstrap peers and wires `swarm` to a client and an event loop.
    fn assemble(
        config: MeshConfig,
        mut swarm: libp2p::Swarm<behaviour::Behaviour>,
    ) -> Result<MeshParts, MeshError> {
        let mut listeners = HashMap::new();
        for addr in &config.listen_addrs {
            let id = swarm
                .listen_on(addr.clone())
                .map_err(|e| MeshError::Listen {
                    addr: addr.clone(),
                    reason: e.to_string(),
                })?;
            listeners.insert(id, Vec::new());
        }

        for addr in &config.bootstrap_peers {
            if let Some((peer, base)) = config::split_peer_addr(addr) {
                swarm.behaviour_mut().guard.add_address(peer, base);
                if let Err(e) = swarm.dial(addr.clone()) {
                    tracing::warn!(%addr, error = %e, "cannot dial bootstrap peer");
                }
            }
        }

        let mut control = swarm.behaviour().streams.new_control();
        // Not accepting the protocol at all is cheaper than refusing each link: callers are
        // told during negotiation, and no link task ever starts.
        let incoming = if config.serve_inference {
            Some(
                control
                    .accept(codec::INFER_PROTOCOL)
                    .map_err(|e| MeshError::Setup(e.to_string()))?,
            )
        } else {
            None
        };
        let stopped = CancellationToken::new();

        let (commands_tx, commands) = mpsc::channel(COMMAND_BUFFER);
        let (events, events_rx) = mpsc::channel(config.event_buffer);
        let outbound = outbound::Outbound::new(
            control,
            outbound::OutboundLimits {
                max_request_size: config.max_request_size,
                max_response_size: config.max_response_size,
                request_timeout: config.request_timeout,
                idle_timeout: config.idle_connection_timeout,
            },
            stopped.clone(),
        );
        let inbound = Arc::new(inbound::Inbound::new(
            events.clone(),
            inbound::InboundLimits {
                max_request_size: config.max_request_size,
                max_response_size: config.max_response_size,
                request_timeout: config.request_timeout,
                idle_timeout: config.idle_connection_timeout,
                max_in_flight: config.max_in_flight_per_link,
                max_queued_bytes: config.max_queued_answer_bytes,
                write_timeout: config.answer_write_timeout,
            },
            config.admission.clone(),
            stopped.clone(),
        ));
        let client = MeshClient {
            peer_id: *swarm.local_peer_id(),
            commands: commands_tx,
            outbound: Arc::new(outbound),
            inbound: inbound.counters(),
        };
        let event_loop = EventLoop {
            swarm,
            commands,
            events,
            incoming,
            inbound,
            stopped: stopped.drop_guard(),
            beat_max_age_ms: duration_ms(config.beat_max_age),
            beat_max_skew_ms: duration_ms(config.beat_max_clock_skew),
            shutdown_grace: config.shutdown_grace,
            listeners,
            listen_waiters: Vec::new(),
            pending_dials: HashMap::new(),
            peers: HashMap::new(),
            beats: beats::BeatGate::new(config.gossip.min_beat_interval),
            allow_private_addrs: config.allow_private_addrs,
        };
        Ok((client, events_rx, event_loop))
    }
}

fn duration_ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_global_addresses_are_published_unless_private_ones_are_allowed() {
        let listening: Vec<Multiaddr> = [
            "/ip4/0.0.0.0/tcp/1",
            "/ip4/127.0.0.1/tcp/1",
            "/ip4/192.168.1.5/tcp/1",
            "/ip4/169.254.3.3/tcp/1",
            "/ip4/8.8.4.4/udp/1/quic-v1",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        let public = |allow_private| publishable(&[], &listening, allow_private, 64, 8);
        assert_eq!(public(false), listening[4..].to_vec());
        assert_eq!(
            public(true),
            vec![
                listening[1].clone(),
                listening[2].clone(),
                listening[4].clone()
            ]
        );
        // Configured addresses go through the same filter.
        assert!(publishable(&listening[1..2], &listening, false, 64, 8).is_empty());
    }
}
