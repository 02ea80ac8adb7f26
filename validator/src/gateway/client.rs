//! Who is calling, decided once per HTTP request (or WebSocket upgrade) by the [`Identify`]
//! HTTP middleware, and how long a connection may stay open:
//!
//! - The client's IP is the TCP peer's, unless that peer is a configured proxy
//!   (`--gateway-trusted-proxy`): then it is the last address the proxy appended to
//!   `X-Forwarded-For` or `Forwarded: for=` (earlier entries come from the client and prove
//!   nothing). From any other peer those headers are ignored.
//! - A page in a browser must not reach a gateway on loopback (L5): there the `Host` must be
//!   a loopback name and an `Origin`, if sent, a local page or one of
//!   `--gateway-allow-origin`; otherwise the answer is HTTP 403 before any method runs. A
//!   public gateway takes any origin unless `--gateway-allow-origin` lists some. The
//!   gateway's own origin (an `Origin` naming the request's `Host`: its `/dashboard` page)
//!   is always allowed.
//! - A client with an API key (`Authorization: Bearer KEY`, keys from
//!   `--gateway-api-keys`) is authenticated.
//! - [`Activity`] and [`watch`]: a connection that makes no call within
//!   `--gateway-header-timeout-ms` of opening, or none for `--gateway-idle-timeout-ms`
//!   after its last one ended, is closed through its [`Guarded`] socket (HTTP keep-alive and
//!   WebSocket alike: the upgraded stream is the same socket).

use std::{
    future::Future,
    io,
    net::IpAddr,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};

use futures::{future::BoxFuture, FutureExt};
use jsonrpsee::server::{HttpRequest, HttpResponse};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    time::Instant,
};
use tokio_util::sync::{CancellationToken, DropGuard, WaitForCancellationFutureOwned};

use super::limits::Slot;

/// The caller of one HTTP request or WebSocket connection, in the request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Client {
    /// The client's IP (a trusted proxy's client, else the TCP peer).
    pub(crate) ip: IpAddr,
    /// Whether it presented one of the API keys.
    pub(crate) authenticated: bool,
}

/// What [`Identify`] checks, from the gateway's settings.
#[derive(Debug, Default)]
pub(super) struct Policy {
    /// Peers whose forwarding headers are believed.
    pub(super) trusted_proxies: Vec<IpAddr>,
    /// Origins allowed (lower case, no trailing `/`).
    pub(super) allowed_origins: Vec<String>,
    /// The gateway listens on loopback only: refuse other hosts and foreign origins.
    pub(super) local_only: bool,
    /// API keys.
    pub(super) api_keys: Vec<String>,
}

impl Policy {
    /// The client behind a request from `peer` whose headers `header` reads (the last value
    /// of a repeated header), or why it is refused.
    pub(super) fn identify<'h>(
        &self,
        peer: IpAddr,
        header: impl Fn(&str) -> Option<&'h str>,
    ) -> Result<Client, &'static str> {
        if self.local_only {
            if let Some(host) = header("host") {
                if !is_local_host(host) {
                    return Err("a loopback gateway answers only requests for a loopback host");
                }
            }
        }
        if let Some(origin) = header("origin") {
            let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
            // The gateway's own page (`/dashboard`) calls from the gateway's own address.
            let same_origin = header("host").is_some_and(|host| {
                let host = host.trim().to_ascii_lowercase();
                origin.strip_prefix("http://") == Some(host.as_str())
                    || origin.strip_prefix("https://") == Some(host.as_str())
            });
            let listed = same_origin || self.allowed_origins.contains(&origin);
            let allowed = listed
                || if self.local_only {
                    is_local_origin(&origin)
                } else {
                    self.allowed_origins.is_empty()
                };
            if !allowed {
                return Err("this origin may not call the gateway");
            }
        }
        let ip = if self.trusted_proxies.contains(&peer) {
            forwarded_for(&header).unwrap_or(peer)
        } else {
            peer
        };
        let authenticated = header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .is_some_and(|key| self.api_keys.iter().any(|k| same(k, key.trim())));
        Ok(Client { ip, authenticated })
    }
}

/// The client a trusted proxy names: the last `X-Forwarded-For` entry, else the last
/// `Forwarded: for=` one (RFC 7239; quoted, IPv6 in brackets, with or without a port).
fn forwarded_for<'h>(header: &impl Fn(&str) -> Option<&'h str>) -> Option<IpAddr> {
    if let Some(list) = header("x-forwarded-for") {
        return list
            .rsplit(',')
            .next()
            .and_then(|entry| parse_node(entry.trim()));
    }
    let forwarded = header("forwarded")?;
    let last = forwarded.rsplit(',').next()?;
    last.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// An IP from a node: `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`, `[2001:db8::1]:80`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

/// `localhost`, `127.0.0.1`, `[::1]` …, with or without a port.
fn is_local_host(host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default().to_owned()
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host.clone(), |(name, _)| name.to_owned())
    };
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `http://localhost:3000`, `https://127.0.0.1` …: a page served from this machine.
fn is_local_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(is_local_host)
}

/// Compares two keys in time that depends on their lengths only.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The HTTP middleware that runs [`Policy::identify`] and puts the [`Client`] in the
/// request's extensions (jsonrpsee hands them to every call, over WebSocket too).
#[derive(Clone)]
pub(super) struct IdentifyLayer {
    pub(super) peer: IpAddr,
    pub(super) policy: Arc<Policy>,
}

impl<S> tower::Layer<S> for IdentifyLayer {
    type Service = Identify<S>;

    fn layer(&self, inner: S) -> Identify<S> {
        Identify {
            inner,
            peer: self.peer,
            policy: self.policy.clone(),
        }
    }
}

/// See [`IdentifyLayer`].
#[derive(Clone)]
pub(super) struct Identify<S> {
    inner: S,
    peer: IpAddr,
    policy: Arc<Policy>,
}

impl<S, B> tower::Service<HttpRequest<B>> for Identify<S>
where
    S: tower::Service<HttpRequest<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: HttpRequest<B>) -> Self::Future {
        let headers = request.headers();
        let identified = self.policy.identify(self.peer, |name| {
            headers
                .get_all(name)
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
        });
        match identified {
            Ok(client) => {
                request.extensions_mut().insert(client);
                self.inner.call(request).boxed()
            }
            Err(why) => {
                tracing::debug!(peer = %self.peer, why, "gateway: request refused");
                let denied = jsonrpsee::server::http::response::denied();
                async move { Ok(denied) }.boxed()
            }
        }
    }
}

/// One connection's calls: how many run, and when the last one ended.
#[derive(Debug)]
pub(crate) struct Activity {
    opened: Instant,
    /// Calls running now.
    running: AtomicUsize,
    /// Whether any call was made.
    called: AtomicBool,
    /// When the last call ended, in ms since `opened`.
    last_ms: AtomicU64,
}

impl Activity {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            running: AtomicUsize::new(0),
            called: AtomicBool::new(false),
            last_ms: AtomicU64::new(0),
        })
    }

    /// Marks a call as running until the guard is dropped.
    pub(super) fn call(self: &Arc<Self>) -> CallGuard {
        self.called.store(true, Ordering::Relaxed);
        self.running.fetch_add(1, Ordering::Relaxed);
        CallGuard(self.clone())
    }

    /// Since when the connection has been idle (opened, or its last call ended); `None`
    /// while a call runs.
    pub(super) fn idle_since(&self) -> Option<Instant> {
        if self.running.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        Some(self.opened.checked_add(last).unwrap_or(self.opened))
    }

    /// When the connection becomes idle enough to close, if nothing runs by then.
    fn deadline(&self, header_timeout: Duration, idle_timeout: Duration) -> Instant {
        let since_open = if self.called.load(Ordering::Relaxed) {
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            last.saturating_add(idle_timeout)
        } else {
            header_timeout
        };
        // Timeouts are at most an hour (checked in the config): this cannot overflow.
        self.opened.checked_add(since_open).unwrap_or(self.opened)
    }
}

/// A running call; see [`Activity::call`].
#[derive(Debug)]
pub(crate) struct CallGuard(Arc<Activity>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        let activity = &self.0;
        let now = u64::try_from(activity.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        activity.last_ms.fetch_max(now, Ordering::Relaxed);
        activity.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Closes the connection (through `kill`) once it is idle past its deadline; returns when
/// the connection is gone (`closed`) or killed.
pub(super) async fn watch(
    activity: Arc<Activity>,
    kill: CancellationToken,
    closed: CancellationToken,
    header_timeout: Duration,
    idle_timeout: Duration,
) {
    loop {
        let deadline = activity.deadline(header_timeout, idle_timeout);
        tokio::select! {
            () = closed.cancelled() => return,
            () = tokio::time::sleep_until(deadline) => {}
        }
        let idle = activity.running.load(Ordering::Relaxed) == 0
            && activity.deadline(header_timeout, idle_timeout) <= Instant::now();
        if idle {
            tracing::debug!("gateway: closing a connection that made no call in time");
            kill.cancel();
            return;
        }
        if activity.running.load(Ordering::Relaxed) > 0 {
            // A call is running: look again after one more idle period at the latest.
            tokio::select! {
                () = closed.cancelled() => return,
                () = tokio::time::sleep(idle_timeout.min(header_timeout)) => {}
            }
        }
    }
}

/// A connection's socket that fails every read and write once `kill` fires, and holds the
/// connection's [`Slot`] and `closed` guard until hyper (or the WebSocket task it was
/// upgraded into) drops it.
pub(super) struct Guarded {
    socket: TcpStream,
    /// One per direction: after a WebSocket upgrade, one task reads and another writes,
    /// and a future wakes only the task that polled it last.
    read_killed: Pin<Box<WaitForCancellationFutureOwned>>,
    write_killed: Pin<Box<WaitForCancellationFutureOwned>>,
    _slot: Slot,
    _closed: DropGuard,
}

impl Guarded {
    pub(super) fn new(
        socket: TcpStream,
        slot: Slot,
        kill: CancellationToken,
        closed: CancellationToken,
    ) -> Self {
        Self {
            socket,
            read_killed: Box::pin(kill.clone().cancelled_owned()),
            write_killed: Box::pin(kill.cancelled_owned()),
            _slot: slot,
            _closed: closed.drop_guard(),
        }
    }
}

/// An error once `killed` has fired (registering the task to wake otherwise).
fn check(
    killed: &mut Pin<Box<WaitForCancellationFutureOwned>>,
    cx: &mut Context<'_>,
) -> io::Result<()> {
    match killed.as_mut().poll(cx) {
        Poll::Ready(()) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the gateway connection was idle too long",
        )),
        Poll::Pending => Ok(()),
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        check(&mut this.read_killed, cx)?;
        Pin::new(&mut this.socket).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        check(&mut this.write_killed, cx)?;
        Pin::new(&mut this.socket).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        check(&mut this.write_killed, cx)?;
        Pin::new(&mut this.socket).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn identify(
        policy: &Policy,
        peer: &str,
        headers: &[(&str, &str)],
    ) -> Result<Client, &'static str> {
        let headers: HashMap<&str, &str> = headers.iter().copied().collect();
        policy.identify(peer.parse().unwrap(), |name| headers.get(name).copied())
    }

    #[test]
    fn forwarded_headers_name_the_client_only_from_a_trusted_proxy() {
        let policy = Policy {
            trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
            ..Policy::default()
        };
        let xff = [("x-forwarded-for", "203.0.113.9, 198.51.100.4")];
        let ip = |peer, headers: &[(&str, &str)]| identify(&policy, peer, headers).unwrap().ip;
        assert_eq!(
            ip("10.0.0.1", &xff),
            "198.51.100.4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(ip("10.0.0.2", &xff), "10.0.0.2".parse::<IpAddr>().unwrap());
        let forwarded = [(
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8::7]:4711\"",
        )];
        assert_eq!(
            ip("10.0.0.1", &forwarded),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        // Unparseable: the proxy itself.
        assert_eq!(
            ip("10.0.0.1", &[("x-forwarded-for", "unknown")]),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_loopback_gateway_refuses_foreign_origins_and_hosts() {
        let local = Policy {
            local_only: true,
            allowed_origins: vec!["https://app.example".into()],
            ..Policy::default()
        };
        let ok = |h: &[(&str, &str)]| identify(&local, "127.0.0.1", h).is_ok();
        assert!(ok(&[("host", "localhost:9933")]));
        assert!(ok(&[
            ("host", "127.0.0.1:9933"),
            ("origin", "http://localhost:3000")
        ]));
        assert!(ok(&[
            ("host", "[::1]:9933"),
            ("origin", "https://app.example/")
        ]));
        assert!(!ok(&[("host", "evil.example:9933")]), "DNS rebinding");
        assert!(!ok(&[("origin", "https://evil.example")]));
        assert!(!ok(&[("origin", "null")]));
        assert!(!ok(&[("origin", "http://localhost.evil.example")]));
        // The gateway's own page is same-origin; on a public gateway too.
        let listing = Policy {
            allowed_origins: vec!["https://app.example".into()],
            ..Policy::default()
        };
        let own = [
            ("host", "gw.example:9933"),
            ("origin", "http://gw.example:9933"),
        ];
        assert!(identify(&listing, "192.0.2.1", &own).is_ok());
        let other = [
            ("host", "gw.example:9933"),
            ("origin", "http://gw.example:9934"),
        ];
        assert!(identify(&listing, "192.0.2.1", &other).is_err());
        assert!(ok(&[
            ("host", "127.0.0.1:9933"),
            ("origin", "http://127.0.0.1:9933")
        ]));
        // A public gateway takes any origin unless some are listed.
        let public = Policy::default();
        assert!(identify(&public, "192.0.2.1", &[("origin", "https://any.example")]).is_ok());
    }

    #[test]
    fn api_keys_authenticate() {
        let policy = Policy {
            api_keys: vec!["0123456789abcdef".into()],
            ..Policy::default()
        };
        let auth = |v| {
            identify(&policy, "192.0.2.1", &[("authorization", v)])
                .unwrap()
                .authenticated
        };
        assert!(auth("Bearer 0123456789abcdef"));
        assert!(!auth("Bearer 0123456789abcdeX"));
        assert!(!auth("0123456789abcdef"));
        assert!(!identify(&policy, "192.0.2.1", &[]).unwrap().authenticated);
    }
}
