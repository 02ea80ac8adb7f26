//! The crate's error type.

use std::path::PathBuf;

use libp2p::{Multiaddr, PeerId};

use crate::{wire::BeatError, NetUid};

/// What can go wrong in the mesh.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeshError {
    /// The [`MeshConfig`](crate::MeshConfig) is inconsistent.
    #[error("invalid mesh configuration: {0}")]
    InvalidConfig(String),
    /// Reading or writing the node key file failed.
    #[error("node key file {path}: {source}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The key material is not a valid ed25519 secret.
    #[error("invalid node key: {0}")]
    InvalidKey(String),
    /// Building the transports or behaviours failed.
    #[error("mesh setup failed: {0}")]
    Setup(String),
    /// A listen address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// Dialling an address failed.
    #[error("dialling {addr} failed: {reason}")]
    Dial {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// The address names no IP (a DNS name: the mesh has no DNS transport), is never a
    /// peer's (link-local, multicast, reserved, …), or is loopback or private while
    /// [`MeshConfig::allow_private_addrs`](crate::MeshConfig) is off; it is neither dialled
    /// nor remembered.
    #[error(
        "address {0} refused: not a global IP address (private ones need allow_private_addrs)"
    )]
    AddressRefused(Multiaddr),
    /// The request is larger than the local request limit; nothing was sent.
    #[error("request of {size} bytes exceeds the {limit}-byte limit")]
    RequestTooLarge {
        /// Encoded size of the request.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The request is not one the protocol allows (an evidence request naming no transcript
    /// or too many); nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The peer's response is larger than the local response limit (the request's subnet's,
    /// or the node's); it was not kept.
    #[error("response of {size} bytes exceeds the {limit}-byte limit")]
    ResponseTooLarge {
        /// Announced size of the response.
        size: u64,
        /// The limit that applied.
        limit: u64,
    },
    /// No response arrived in time.
    #[error("request timed out")]
    Timeout,
    /// The peer could not be dialled (no known address, or every address failed).
    #[error("peer {0} is unreachable")]
    Unreachable(PeerId),
    /// The connection closed before the response arrived.
    #[error("connection closed before the response arrived")]
    ConnectionClosed,
    /// The peer does not speak `/mindos/infer/1`.
    #[error("peer does not support /mindos/infer/1")]
    UnsupportedProtocol,
    /// The peer's response could not be decoded.
    #[error("malformed response: {0}")]
    InvalidResponse(String),
    /// The request stream failed (reset by the peer, for instance after it refused an
    /// oversized request).
    #[error("stream failed: {0}")]
    Stream(String),
    /// A capacity beat failed validation before publishing.
    #[error("invalid capacity beat: {0}")]
    InvalidBeat(#[from] BeatError),
    /// No connected peer subscribes to the subnet's capacity topic yet; nothing was sent.
    #[error("no peer subscribes to the capacity topic of subnet {netuid}")]
    NoSubscribers {
        /// The subnet.
        netuid: NetUid,
    },
    /// Gossip publishing failed for another reason.
    #[error("publishing failed: {0}")]
    Publish(String),
    /// Subscribing to a gossip topic failed.
    #[error("subscribing failed: {0}")]
    Subscribe(String),
    /// The mesh event loop has stopped.
    #[error("the mesh has shut down")]
    Shutdown,
}

impl MeshError {
    /// Whether the same request may succeed on another peer.
    ///
    /// Failures of the request itself (too large) and of the local node (shut down, bad
    /// configuration) are not retryable; failures of the peer or the connection are.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout
                | Self::Unreachable(_)
                | Self::ConnectionClosed
                | Self::UnsupportedProtocol
                | Self::InvalidResponse(_)
                | Self::ResponseTooLarge { .. }
                | Self::Stream(_)
                | Self::Dial { .. }
        )
    }
}
