//! A loopback TCP proxy in front of a node's RPC port, for faults the link itself causes:
//! going silent (a half-open connection: no bytes, no close — what a NAT timeout or a dead
//! peer looks like) and dropping a connection at a chosen moment of the conversation.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicU32, Ordering},
        Arc, Mutex, PoisonError,
    },
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// The RPC notifications that report a watched transaction's progress: subxt's chainHead
/// backend (`transactionWatch_v1_*`) and the legacy one (`author_*`). The node sends the first
/// once the transaction is in its pool, so cutting at it drops a connection mid-submit: the
/// transaction may land while its sender never hears of it.
pub const TRANSACTION_STATUS: &[&str] =
    &["transactionWatch_v1_watchEvent", "author_extrinsicUpdate"];

/// Forwards loopback connections to a target; see the module docs.
#[derive(Debug)]
pub struct RpcProxy {
    addr: SocketAddr,
    faults: Arc<Faults>,
}

#[derive(Debug, Default)]
struct Faults {
    /// While set, every byte both ways is swallowed and the sockets stay open.
    silent: AtomicBool,
    /// Node-to-client text that closes the connection carrying it, and how many more times.
    cut_at: Mutex<(Vec<&'static str>, u32)>,
    /// Connections closed by `cut_at`.
    cuts: AtomicU32,
    /// Connections accepted.
    accepted: AtomicU32,
}

impl Faults {
    /// Whether a node-to-client chunk must close its connection; counts the cut.
    fn cuts_on(&self, chunk: &[u8]) -> bool {
        let mut cut_at = self.cut_at.lock().unwrap_or_else(PoisonError::into_inner);
        let (patterns, left) = &mut *cut_at;
        if *left == 0 || !patterns.iter().any(|p| contains(chunk, p.as_bytes())) {
            return false;
        }
        *left = left.saturating_sub(1);
        self.cuts.fetch_add(1, Ordering::SeqCst);
        true
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

impl RpcProxy {
    /// Listens on a free loopback port and forwards each connection to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("binding the RPC proxy: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the RPC proxy's address: {e}"));
        let faults = Arc::new(Faults::default());
        let shared = faults.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = TcpStream::connect(target).await else {
                    continue;
                };
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(forward(inbound, outbound, shared.clone()));
            }
        });
        Self { addr, faults }
    }

    /// The proxy's WebSocket URL.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Makes every connection swallow all bytes (`true`) or forward them again (`false`).
    pub fn set_silent(&self, silent: bool) {
        self.faults.silent.store(silent, Ordering::SeqCst);
    }

    /// Closes the next `times` connections on which the node sends any of `patterns`
    /// (after forwarding that chunk to the client: the client may have read it or not).
    pub fn cut_when_node_sends(&self, patterns: &[&'static str], times: u32) {
        *self
            .faults
            .cut_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = (patterns.to_vec(), times);
    }

    /// Connections closed by [`Self::cut_when_node_sends`] so far.
    pub fn cuts(&self) -> u32 {
        self.faults.cuts.load(Ordering::SeqCst)
    }

    /// Connections accepted so far (a client's reconnections show here).
    pub fn accepted(&self) -> u32 {
        self.faults.accepted.load(Ordering::SeqCst)
    }
}

/// Pipes one connection both ways until either side closes or a cut drops both sockets.
async fn forward(mut client: TcpStream, mut node: TcpStream, faults: Arc<Faults>) {
    let (mut from_client, mut to_client) = client.split();
    let (mut from_node, mut to_node) = node.split();
    let mut up = vec![0u8; 16 * 1024];
    let mut down = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            read = from_client.read(&mut up) => {
                let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                if faults.silent.load(Ordering::SeqCst) {
                    continue;
                }
                let Some(chunk) = up.get(..n) else { return };
                if to_node.write_all(chunk).await.is_err() {
                    return;
                }
            }
            read = from_node.read(&mut down) => {
                let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                if faults.silent.load(Ordering::SeqCst) {
                    continue;
                }
                let Some(chunk) = down.get(..n) else { return };
                if to_client.write_all(chunk).await.is_err() || faults.cuts_on(chunk) {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cut_closes_the_connection_that_carried_the_pattern_and_only_as_often_as_armed() {
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = echo.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 256];
                    while let Ok(n @ 1..) = s.read(&mut buf).await {
                        if s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let proxy = RpcProxy::start(target).await;
        proxy.cut_when_node_sends(&["boom"], 1);
        let mut stream = TcpStream::connect(proxy.addr).await.unwrap();
        let mut buf = [0u8; 64];
        stream.write_all(b"calm").await.unwrap();
        let n = stream.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"calm");
        stream.write_all(b"boom").await.unwrap();
        let n = stream.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"boom", "the chunk is forwarded before the cut");
        assert_eq!(
            stream.read(&mut buf).await.unwrap(),
            0,
            "then the link closes"
        );
        assert_eq!(proxy.cuts(), 1);

        // Armed once: a new connection carries the pattern untouched.
        let mut again = TcpStream::connect(proxy.addr).await.unwrap();
        again.write_all(b"boom").await.unwrap();
        let n = again.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"boom");
        again.write_all(b"still").await.unwrap();
        let n = again.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"still");
        assert_eq!(proxy.cuts(), 1);
        assert_eq!(proxy.accepted(), 2);
    }
}
