//! Per-client limits, keyed by [`ClientKey`] (the client IP; its /64 for IPv6, which one
//! subscriber gets whole):
//!
//! - [`ClientLimits`]: a token bucket (`--gateway-rate` calls per second, bursts up to twice
//!   that) and a cap on calls in flight (`--gateway-concurrency`), applied to every call by
//!   the [`Limited`] jsonrpsee RPC middleware. The table is an LRU: a new client evicts the
//!   least recently seen one in O(1).
//! - [`Connections`]: open connections in total (`--gateway-max-connections`), per client
//!   (`--gateway-max-connections-per-ip`), and a reserved share for clients with none open
//!   (`--gateway-reserved-percent`), so one address cannot hold every slot. When every
//!   place is taken, a client with none open gets the place of the connection idle the
//!   longest (many addresses holding idle connections cannot lock new clients out).
//! - [`MinerBudget`]: miner requests per second of the whole gateway (`--gateway-miner-rate`).
//! - [`MinerInFlight`]: gateway requests in flight at one miner, at most
//!   [`MINER_IN_FLIGHT`], so this validator's own challenges always find a place in the
//!   miner's queue.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    num::NonZeroUsize,
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use futures::{future::BoxFuture, FutureExt};
use jsonrpsee::{
    server::{middleware::rpc::RpcServiceT, MethodResponse},
    types::Request,
};
use lru::LruCache;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{
    api::{error, METHODS, RATE_LIMITED},
    client::{Activity, Client},
};
use crate::metrics::Metrics;

/// Who a limit counts against: an IPv4 address, or the /64 an IPv6 address is in (an
/// IPv4-mapped IPv6 address counts as the IPv4 one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct ClientKey(IpAddr);

impl ClientKey {
    pub(super) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !u128::from(u64::MAX);
                    Self(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

/// Token buckets and in-flight caps per client.
#[derive(Debug)]
pub(super) struct ClientLimits {
    rate: f64,
    burst: f64,
    concurrency: usize,
    clients: Mutex<LruCache<ClientKey, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
    inflight: Arc<Semaphore>,
}

/// Clients tracked at most; past this, a new client evicts the least recently seen one
/// (which then starts again with a full bucket, as after any long pause).
const MAX_TRACKED_CLIENTS: usize = 16_384;

impl ClientLimits {
    pub(super) fn new(rate_per_sec: u32, concurrency: u32) -> Self {
        Self::with_capacity(rate_per_sec, concurrency, MAX_TRACKED_CLIENTS)
    }

    fn with_capacity(rate_per_sec: u32, concurrency: u32, capacity: usize) -> Self {
        let rate = f64::from(rate_per_sec.max(1));
        Self {
            rate,
            burst: rate * 2.0,
            concurrency: usize::try_from(concurrency.max(1)).unwrap_or(1),
            clients: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// Takes a token and an in-flight permit for `client`, or says which limit stopped it.
    pub(super) fn admit(
        &self,
        client: ClientKey,
        now: Instant,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, &'static str> {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = clients.get_or_insert_mut(client, || Bucket {
            tokens: self.burst,
            refilled: now,
            inflight: Arc::new(Semaphore::new(self.concurrency)),
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.refilled = now;
        if bucket.tokens < 1.0 {
            return Err("call rate limit exceeded; slow down");
        }
        let permit = bucket
            .inflight
            .clone()
            .try_acquire_owned()
            .map_err(|_| "too many calls in flight from this client")?;
        bucket.tokens -= 1.0;
        Ok(permit)
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum Refused {
    /// `--gateway-max-connections` are open.
    #[error("the gateway's connections are all open")]
    Full,
    /// Only the reserved share is left, and this client has connections open.
    #[error("only connections reserved for new clients are left")]
    Reserved,
    /// This client has `--gateway-max-connections-per-ip` open.
    #[error("this client has its most connections open")]
    PerClient,
}

/// Open connections, in total and per client. See the module docs.
#[derive(Debug)]
pub(super) struct Connections {
    max: usize,
    per_client: usize,
    reserved: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_client: HashMap<ClientKey, usize>,
    /// Every open connection that may still be closed for a new client, by id.
    closable: HashMap<u64, Closer>,
    next_id: u64,
}

/// How [`Connections`] tells whether a connection is idle, and closes it.
#[derive(Clone, Debug)]
pub(super) struct Closer {
    /// Its calls.
    pub(super) activity: Arc<Activity>,
    /// Closes it (see `client::Guarded`).
    pub(super) kill: CancellationToken,
}

impl Connections {
    pub(super) fn new(max: u32, per_client: u32, reserved: u32) -> Arc<Self> {
        let max = usize::try_from(max).unwrap_or(usize::MAX).max(1);
        Arc::new(Self {
            max,
            per_client: usize::try_from(per_client).unwrap_or(usize::MAX).max(1),
            reserved: usize::try_from(reserved).unwrap_or(0).min(max / 2),
            open: Mutex::default(),
        })
    }

    /// A slot for a connection from `client`, held until it is dropped; `exempt` (a trusted
    /// proxy, which carries many clients) skips the per-client cap and the reserve. When
    /// every place is taken and `client` has none, the connection idle the longest is
    /// closed through its [`Closer`] for it (a scan of the open connections, only then).
    pub(super) fn open(
        self: &Arc<Self>,
        client: ClientKey,
        exempt: bool,
        closer: Closer,
    ) -> Result<Slot, Refused> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let held = open.by_client.get(&client).copied().unwrap_or(0);
        if open.total >= self.max {
            // The evicted connection still counts until it has closed, which its socket
            // does at its next poll: the total exceeds the cap by those few at most.
            let oldest = (held == 0)
                .then(|| {
                    open.closable
                        .iter()
                        .filter_map(|(id, c)| Some((*id, c.activity.idle_since()?)))
                        .min_by_key(|(_, since)| *since)
                })
                .flatten();
            let Some((victim, _)) = oldest else {
                return Err(Refused::Full);
            };
            if let Some(closer) = open.closable.remove(&victim) {
                tracing::debug!("gateway: closing the longest idle connection for a new client");
                closer.kill.cancel();
            }
        }
        if !exempt {
            if held >= self.per_client {
                return Err(Refused::PerClient);
            }
            if held > 0 && open.total >= self.max.saturating_sub(self.reserved) {
                return Err(Refused::Reserved);
            }
        }
        open.total = open.total.saturating_add(1);
        *open.by_client.entry(client).or_insert(0) = held.saturating_add(1);
        let id = open.next_id;
        open.next_id = id.wrapping_add(1);
        open.closable.insert(id, closer);
        Ok(Slot {
            connections: self.clone(),
            client,
            id,
        })
    }

    fn close(&self, client: ClientKey, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.closable.remove(&id);
        open.total = open.total.saturating_sub(1);
        if let Some(held) = open.by_client.get_mut(&client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                open.by_client.remove(&client);
            }
        }
    }
}

/// One open connection's place in [`Connections`]; closing it frees the place.
#[derive(Debug)]
pub(super) struct Slot {
    connections: Arc<Connections>,
    client: ClientKey,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.connections.close(self.client, self.id);
    }
}

/// Miner requests per second of the whole gateway: one token bucket every query draws from
/// for each request it sends (primary, hedge or failover).
#[derive(Debug)]
pub(crate) struct MinerBudget {
    rate: f64,
    burst: f64,
    bucket: Mutex<(f64, Instant)>,
}

impl MinerBudget {
    pub(crate) fn new(rate_per_sec: u32) -> Self {
        let rate = f64::from(rate_per_sec.max(1));
        Self {
            rate,
            burst: rate * 2.0,
            bucket: Mutex::new((rate * 2.0, Instant::now())),
        }
    }

    /// Takes one request's token; false if the budget is spent.
    pub(crate) fn take(&self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&self, now: Instant) -> bool {
        let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, refilled) = &mut *bucket;
        let elapsed = now.saturating_duration_since(*refilled).as_secs_f64();
        *tokens = (*tokens + elapsed * self.rate).min(self.burst);
        *refilled = now;
        if *tokens < 1.0 {
            return false;
        }
        *tokens -= 1.0;
        true
    }

    /// Whether less than half the burst is left: the gateway is sending near its budget,
    /// and extra requests (hedges) would only take tokens from other queries.
    pub(crate) fn is_strained(&self) -> bool {
        let bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, refilled) = *bucket;
        let now = Instant::now();
        let tokens = (tokens + now.saturating_duration_since(refilled).as_secs_f64() * self.rate)
            .min(self.burst);
        tokens < self.burst / 2.0
    }
}

/// Queue places at each miner the gateway leaves to this validator's own challenges (one
/// in flight per miner and round, and one spare).
const CHALLENGE_PLACES: usize = 2;

/// Gateway requests in flight at one miner at most: fewer than the places a miner keeps for
/// each validator ([`mindos_mesh::GUARANTEED_QUEUE_PLACES`]), so that however many users
/// query through this gateway, the validator's own challenges to that miner are queued, not
/// answered `busy`. A miner at the cap is passed over for other miners.
pub(crate) const MINER_IN_FLIGHT: usize =
    mindos_mesh::GUARANTEED_QUEUE_PLACES.saturating_sub(CHALLENGE_PLACES);

/// Gateway requests in flight per miner; see [`MINER_IN_FLIGHT`]. Holds an entry only for
/// miners with requests in flight.
#[derive(Debug, Default)]
pub(crate) struct MinerInFlight {
    peers: Mutex<HashMap<mindos_mesh::PeerId, usize>>,
}

impl MinerInFlight {
    /// Whether `peer` has [`MINER_IN_FLIGHT`] requests of the gateway in flight.
    pub(crate) fn is_full(&self, peer: &mindos_mesh::PeerId) -> bool {
        let peers = self.peers.lock().unwrap_or_else(PoisonError::into_inner);
        peers.get(peer).is_some_and(|n| *n >= MINER_IN_FLIGHT)
    }

    /// A place for one request to `peer`, held until dropped; `None` at the cap.
    pub(crate) fn acquire(&self, peer: mindos_mesh::PeerId) -> Option<InFlight<'_>> {
        let mut peers = self.peers.lock().unwrap_or_else(PoisonError::into_inner);
        let count = peers.entry(peer).or_insert(0);
        if *count >= MINER_IN_FLIGHT {
            return None;
        }
        *count = count.saturating_add(1);
        Some(InFlight { table: self, peer })
    }

    #[cfg(test)]
    pub(crate) fn count(&self, peer: &mindos_mesh::PeerId) -> usize {
        let peers = self.peers.lock().unwrap_or_else(PoisonError::into_inner);
        peers.get(peer).copied().unwrap_or(0)
    }
}

/// One gateway request in flight at a miner ([`MinerInFlight::acquire`]).
#[derive(Debug)]
pub(crate) struct InFlight<'a> {
    table: &'a MinerInFlight,
    peer: mindos_mesh::PeerId,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut peers = self
            .table
            .peers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = peers.get_mut(&self.peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                peers.remove(&self.peer);
            }
        }
    }
}

/// The per-client limits as a jsonrpsee RPC middleware (one per connection). It also marks
/// the connection active while a call runs (the idle timeout counts from the last call).
#[derive(Clone)]
pub(super) struct Limited<S> {
    /// The service it guards.
    pub(super) inner: S,
    /// The TCP peer, used when a call carries no [`Client`] (it always does over HTTP).
    pub(super) peer: IpAddr,
    /// Every client's limits.
    pub(super) limits: Arc<ClientLimits>,
    /// The connection's activity, for its idle timeout.
    pub(super) activity: Arc<Activity>,
    /// Where refusals are counted.
    pub(super) metrics: Arc<Metrics>,
}

impl<'a, S> RpcServiceT<'a> for Limited<S>
where
    S: RpcServiceT<'a> + Clone + Send + Sync + 'static,
{
    type Future = BoxFuture<'a, MethodResponse>;

    fn call(&self, request: Request<'a>) -> Self::Future {
        let ip = request
            .extensions()
            .get::<Client>()
            .map_or(self.peer, |c| c.ip);
        let call = self.activity.call();
        match self.limits.admit(ClientKey::of(ip), Instant::now()) {
            Ok(permit) => {
                let inner = self.inner.clone();
                async move {
                    let response = inner.call(request).await;
                    drop((permit, call));
                    response
                }
                .boxed()
            }
            Err(why) => {
                // Method names come from clients: only known ones become labels.
                let method = METHODS
                    .iter()
                    .find(|m| **m == request.method_name())
                    .copied()
                    .unwrap_or("other");
                self.metrics
                    .gateway_calls
                    .with_label_values(&[method, "rate_limited"])
                    .inc();
                let response = MethodResponse::error(request.id, error(RATE_LIMITED, why));
                drop(call);
                async move { response }.boxed()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(ip: &str) -> ClientKey {
        ClientKey::of(ip.parse().unwrap())
    }

    fn closer() -> Closer {
        Closer {
            activity: Activity::new(),
            kill: CancellationToken::new(),
        }
    }

    #[test]
    fn buckets_limit_rate_and_calls_in_flight() {
        let limits = ClientLimits::new(2, 2);
        let (ip, other) = (key("127.0.0.1"), key("127.0.0.2"));
        let t0 = Instant::now();
        // Burst of twice the rate, but only two in flight.
        let a = limits.admit(ip, t0).unwrap();
        let b = limits.admit(ip, t0).unwrap();
        assert!(limits.admit(ip, t0).unwrap_err().contains("in flight"));
        drop((a, b));
        drop(limits.admit(ip, t0).unwrap());
        drop(limits.admit(ip, t0).unwrap());
        assert!(limits.admit(ip, t0).unwrap_err().contains("rate"));
        // Another client is not affected; time refills the bucket.
        drop(limits.admit(other, t0).unwrap());
        drop(limits.admit(ip, t0 + Duration::from_millis(600)).unwrap());
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        let limits = ClientLimits::new(1, 8);
        let t0 = Instant::now();
        drop(limits.admit(key("2001:db8::1"), t0).unwrap());
        drop(limits.admit(key("2001:db8::2"), t0).unwrap());
        // A fresh address in the same /64 is the same client: its burst of 2 is spent.
        assert!(limits.admit(key("2001:db8::3"), t0).is_err());
    }

    #[test]
    fn the_client_table_stays_bounded_and_evicts_the_least_recent() {
        let limits = ClientLimits::with_capacity(1, 8, 3);
        let t0 = Instant::now();
        let keep = key("10.0.0.1");
        drop(limits.admit(keep, t0).unwrap());
        drop(limits.admit(keep, t0).unwrap());
        for i in 2..50 {
            drop(limits.admit(key(&format!("10.0.0.{i}")), t0).unwrap());
            // `keep` is seen again between newcomers, so it is never the least recent.
            if i % 2 == 0 {
                assert!(limits.admit(keep, t0).is_err(), "its bucket is kept");
            }
        }
        assert_eq!(limits.tracked(), 3);
    }

    #[test]
    fn connections_cap_per_client_and_keep_a_reserve_for_new_ones() {
        // 8 in all, 2 kept for clients with none open, 3 per client.
        let connections = Connections::new(8, 3, 2);
        let attacker = key("192.0.2.1");
        let held: Vec<Slot> = (0..3)
            .map(|_| connections.open(attacker, false, closer()).unwrap())
            .collect();
        assert_eq!(
            connections.open(attacker, false, closer()).unwrap_err(),
            Refused::PerClient
        );
        // Rotating addresses fills up to the reserve …
        let mut others: Vec<Slot> = (2..5)
            .map(|i| {
                let client = key(&format!("192.0.2.{i}"));
                connections.open(client, false, closer()).unwrap()
            })
            .collect();
        assert_eq!(
            connections
                .open(key("192.0.2.2"), false, closer())
                .unwrap_err(),
            Refused::Reserved
        );
        // … which still takes clients that have no connection open.
        for client in ["198.51.100.1", "198.51.100.2"] {
            others.push(connections.open(key(client), false, closer()).unwrap());
        }
        // Full: a client with a connection open gets no other.
        assert_eq!(
            connections
                .open(key("198.51.100.1"), false, closer())
                .unwrap_err(),
            Refused::Full
        );
        // Closing frees the places.
        drop(held);
        drop(connections.open(attacker, false, closer()).unwrap());
        // A trusted proxy is not held to the per-client cap.
        let proxy = key("10.1.1.1");
        let via_proxy: Vec<Slot> = (0..3)
            .map(|_| connections.open(proxy, true, closer()).unwrap())
            .collect();
        assert_eq!(via_proxy.len(), 3);
    }

    #[test]
    fn a_new_client_takes_the_place_of_the_longest_idle_connection() {
        let connections = Connections::new(3, 3, 0);
        let closers: Vec<Closer> = (0..3)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(2));
                closer()
            })
            .collect();
        let busy = closers[0].activity.call();
        let _slots: Vec<Slot> = closers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let client = key(&format!("192.0.2.{i}"));
                connections.open(client, false, c.clone()).unwrap()
            })
            .collect();
        // The first runs a call; the second has been idle the longest.
        let newcomer = closer();
        let _new = connections
            .open(key("198.51.100.1"), false, newcomer.clone())
            .unwrap();
        let killed: Vec<bool> = closers.iter().map(|c| c.kill.is_cancelled()).collect();
        assert_eq!(killed, [false, true, false]);
        // A client with a connection open does not evict anyone.
        assert_eq!(
            connections
                .open(key("192.0.2.0"), false, closer())
                .unwrap_err(),
            Refused::Full
        );
        // Nor does a new one when every other connection is running a call.
        let _calls = (closers[2].activity.call(), newcomer.activity.call());
        assert_eq!(
            connections
                .open(key("198.51.100.2"), false, closer())
                .unwrap_err(),
            Refused::Full
        );
        drop(busy);
    }

    #[test]
    fn the_miner_budget_refills_and_reports_strain() {
        let budget = MinerBudget::new(2);
        let t0 = Instant::now();
        assert!(!budget.is_strained());
        for _ in 0..4 {
            assert!(budget.take_at(t0));
        }
        assert!(!budget.take_at(t0), "a burst of twice the rate");
        assert!(budget.is_strained());
        assert!(budget.take_at(t0 + Duration::from_millis(600)));
    }
}
