//! The composed libp2p behaviour and the swarm that runs it.

use std::time::Duration;

use libp2p::{
    connection_limits, gossipsub, identify, mdns, memory_connection_limits, noise, ping,
    swarm::{behaviour::toggle::Toggle, NetworkBehaviour},
    tcp, yamux, Swarm, SwarmBuilder,
};

use crate::{
    guard::{EstablishedLimits, Guard},
    MeshConfig, MeshError,
};

/// Identify protocol version: peers from other networks are told apart by it.
pub(crate) const IDENTIFY_PROTOCOL_VERSION: &str = "/mindos/1.0.0";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything a MindOS node speaks. The limits come first: the derived behaviour asks its
/// fields in order, so a refused connection costs the others nothing.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) memory: memory_connection_limits::Behaviour,
    /// Per-IP caps and the address book.
    pub(crate) guard: Guard,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    pub(crate) gossipsub: gossipsub::Behaviour,
    /// Raw streams: `/mindos/infer/1` links (`inbound`, `outbound`).
    pub(crate) streams: libp2p_stream::Behaviour,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
}

fn setup(e: &dyn std::fmt::Display) -> MeshError {
    MeshError::Setup(e.to_string())
}

/// The `SwarmBuilder` chain, with `.$layer($arg)` between the transports and the behaviour
/// if given. A macro because each builder phase has its own type, which libp2p does not name.
macro_rules! swarm {
    ($config:expr $(, $layer:ident($arg:expr))?) => {{
        let config: &MeshConfig = $config;
        SwarmBuilder::with_existing_identity(config.keypair.clone())
            .with_tokio()
            .with_tcp(
                tcp::Config::new().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| setup(&e))?
            .with_quic()
            $(.$layer($arg))?
            .with_behaviour(|key| build_behaviour(key, config))
            .map_err(|e| setup(&e))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_connection_timeout))
            .build()
    }};
}

/// Builds the swarm: TCP (noise + yamux) and QUIC transports carrying [`Behaviour`].
pub(crate) fn build_swarm(config: &MeshConfig) -> Result<Swarm<Behaviour>, MeshError> {
    Ok(swarm!(config))
}

/// [`build_swarm`] with libp2p's bandwidth counters (`libp2p_bandwidth_bytes_total`, by
/// direction and protocol stack) registered in `registry`. They count the bytes of every
/// substream of every connection, after decryption and demultiplexing: what the protocols
/// send and receive, without noise, yamux, TCP or QUIC overhead.
#[cfg(feature = "bandwidth-metrics")]
pub(crate) fn build_swarm_with_bandwidth_metrics(
    config: &MeshConfig,
    registry: &mut libp2p::metrics::Registry,
) -> Result<Swarm<Behaviour>, MeshError> {
    Ok(swarm!(config, with_bandwidth_metrics(registry)))
}

fn build_behaviour(
    key: &libp2p::identity::Keypair,
    config: &MeshConfig,
) -> Result<Behaviour, BoxError> {
    let peer_id = key.public().to_peer_id();

    let l = &config.limits;
    let limits = connection_limits::Behaviour::new(
        connection_limits::ConnectionLimits::default()
            // The totals of established connections are the guard's: it keeps room for
            // the peers the admission policy names.
            .with_max_established_per_peer(Some(l.max_established_per_peer))
            .with_max_pending_incoming(Some(l.max_pending_incoming))
            .with_max_pending_outgoing(Some(l.max_pending_outgoing)),
    );
    let memory = memory_connection_limits::Behaviour::with_max_percentage(
        f64::from(l.max_memory_percent) / 100.0,
    );

    let identify = identify::Behaviour::new(
        identify::Config::new(IDENTIFY_PROTOCOL_VERSION.to_owned(), key.public())
            .with_agent_version(format!("mindos-mesh/{}", env!("CARGO_PKG_VERSION")))
            // Its cache would dial whatever a peer claims to listen on; the event loop
            // filters those addresses into the guard's address book instead.
            .with_cache_size(0)
            // Listen addresses include loopback and private ones; without private
            // addresses allowed, only the external (global) ones the event loop confirms
            // are announced.
            .with_hide_listen_addrs(!config.allow_private_addrs),
    );

    let ping = ping::Behaviour::new(ping::Config::new().with_interval(config.ping_interval));

    let g = &config.gossip;
    let gossip_config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(g.heartbeat_interval)
        .mesh_n(g.mesh_n)
        .mesh_n_low(g.mesh_n_low)
        .mesh_n_high(g.mesh_n_high)
        .mesh_outbound_min(g.mesh_outbound_min)
        .flood_publish(g.flood_publish)
        .max_transmit_size(g.max_transmit_size)
        // Every beat is signed by its miner, so its source can be trusted.
        .validation_mode(gossipsub::ValidationMode::Strict)
        // Beats are forwarded only after the event loop has checked them.
        .validate_messages()
        .build()?;
    let mut gossipsub = gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(key.clone()),
        gossip_config,
    )?;
    gossipsub.with_peer_score(
        peer_score_params(),
        gossipsub::PeerScoreThresholds::default(),
    )?;

    let mdns = if config.mdns {
        Some(mdns::tokio::Behaviour::new(
            mdns::Config::default(),
            peer_id,
        )?)
    } else {
        None
    };

    Ok(Behaviour {
        limits,
        memory,
        guard: Guard::new(
            l.max_incoming_per_ip,
            l.max_dials_per_ip,
            EstablishedLimits {
                max_incoming: l.max_established_incoming,
                max_total: l.max_established,
            },
            config.admission.clone(),
        ),
        identify,
        ping,
        gossipsub,
        streams: libp2p_stream::Behaviour::new(),
        mdns: mdns.into(),
    })
}

/// Peer scoring: a peer that forwards rejected beats (unbound publishers, forgeries) loses
/// score, and below the thresholds gossip to it, then its RPCs, are dropped. Per-topic
/// parameters are set on subscribe ([`capacity_topic_params`]).
fn peer_score_params() -> gossipsub::PeerScoreParams {
    gossipsub::PeerScoreParams {
        // Connections per IP are capped at the transport already, and tests and dev
        // networks put every peer on one IP.
        ip_colocation_factor_weight: 0.0,
        ..gossipsub::PeerScoreParams::default()
    }
}

/// Score parameters of a capacity topic. Beats are rare (seconds apart), so the
/// mesh-delivery penalties (P3, P3b), tuned for busy topics, would punish honest peers;
/// what counts is invalid deliveries (P4, minus the square of the count, decaying 10 % a
/// decay interval): four rejected beats take a peer to -16, below the gossip threshold
/// (-10), nine to -81, below the graylist one (-80); first deliveries (P2) earn at most +10.
pub(crate) fn capacity_topic_params() -> gossipsub::TopicScoreParams {
    gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 300.0,
        first_message_deliveries_weight: 0.5,
        first_message_deliveries_decay: 0.9,
        first_message_deliveries_cap: 20.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: -1.0,
        invalid_message_deliveries_decay: 0.9,
        ..gossipsub::TopicScoreParams::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_parameters_are_valid() {
        // `set_topic_params` does not check them; a bad set would fail only at run time.
        capacity_topic_params().validate().unwrap();
        peer_score_params().validate().unwrap();
        gossipsub::PeerScoreThresholds::default()
            .validate()
            .unwrap();
    }
}
