//! The one free-port helper.

use std::net::TcpListener;

/// A loopback port that was free a moment ago.
///
/// Only for a port that must stay closed (nothing listens there). A process that should
/// listen binds port 0 and announces the port in its log ([`crate::AddrLine`]): a port
/// picked here can be taken by someone else before the process binds it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}
