//! The composed libp2p behaviour and the swarm that runs it.

use libp2p::{
    gossipsub, identify, kad, mdns, noise, ping,
    swarm::{behaviour::toggle::Toggle, NetworkBehaviour},
    tcp, yamux, StreamProtocol, Swarm, SwarmBuilder,
};

use crate::{MeshConfig, MeshError};

/// Identify protocol version: peers from other networks are told apart by it.
pub(crate) const IDENTIFY_PROTOCOL_VERSION: &str = "/mindos/1.0.0";
/// Our own Kademlia protocol, so MindOS peers form their own DHT rather than joining IPFS's.
pub(crate) const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/mindos/kad/1.0.0");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything a MindOS node speaks.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    pub(crate) kademlia: kad::Behaviour<kad::store::MemoryStore>,
    pub(crate) gossipsub: gossipsub::Behaviour,
    /// Raw streams: `/mindos/infer/1` links (`inbound`, `outbound`).
    pub(crate) streams: libp2p_stream::Behaviour,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
}

/// Builds the swarm: TCP (noise + yamux) and QUIC transports carrying [`Behaviour`].
pub(crate) fn build_swarm(config: &MeshConfig) -> Result<Swarm<Behaviour>, MeshError> {
    let setup = |e: &dyn std::fmt::Display| MeshError::Setup(e.to_string());
    let swarm = SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::new().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| setup(&e))?
        .with_quic()
        .with_behaviour(|key| build_behaviour(key, config))
        .map_err(|e| setup(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_connection_timeout))
        .build();
    Ok(swarm)
}

fn build_behaviour(
    key: &libp2p::identity::Keypair,
    config: &MeshConfig,
) -> Result<Behaviour, BoxError> {
    let peer_id = key.public().to_peer_id();

    let identify = identify::Behaviour::new(
        identify::Config::new(IDENTIFY_PROTOCOL_VERSION.to_owned(), key.public())
            .with_agent_version(format!("mindos-mesh/{}", env!("CARGO_PKG_VERSION"))),
    );

    let ping = ping::Behaviour::new(ping::Config::new().with_interval(config.ping_interval));

    let mut kademlia = kad::Behaviour::with_config(
        peer_id,
        kad::store::MemoryStore::new(peer_id),
        kad::Config::new(KAD_PROTOCOL),
    );
    // Miners are reachable by design; without a confirmed external address (no AutoNAT here)
    // Kademlia would stay a client and never be added to others' routing tables.
    kademlia.set_mode(Some(kad::Mode::Server));

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
    let gossipsub = gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(key.clone()),
        gossip_config,
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
        identify,
        ping,
        kademlia,
        gossipsub,
        streams: libp2p_stream::Behaviour::new(),
        mdns: mdns.into(),
    })
}
