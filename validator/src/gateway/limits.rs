//! Per-client limits: a token bucket (`--gateway-rate` calls per second, bursts up to twice
//! that) and a cap on calls in flight (`--gateway-concurrency`) per client IP, applied to
//! every call by a jsonrpsee RPC middleware.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use futures::{future::BoxFuture, FutureExt};
use jsonrpsee::{
    server::{middleware::rpc::RpcServiceT, MethodResponse},
    types::Request,
};
use tokio::sync::Semaphore;

use super::api::{error, METHODS, RATE_LIMITED};
use crate::metrics::Metrics;

/// Token buckets and in-flight caps per client IP.
#[derive(Debug)]
pub(super) struct ClientLimits {
    rate: f64,
    burst: f64,
    concurrency: usize,
    clients: Mutex<HashMap<IpAddr, Client>>,
}

#[derive(Debug)]
struct Client {
    tokens: f64,
    refilled: Instant,
    inflight: Arc<Semaphore>,
}

/// Above this many tracked clients, idle ones (full bucket, nothing in flight) are dropped.
const MAX_TRACKED_CLIENTS: usize = 4096;

impl ClientLimits {
    pub(super) fn new(rate_per_sec: u32, concurrency: u32) -> Self {
        let rate = f64::from(rate_per_sec.max(1));
        Self {
            rate,
            burst: rate * 2.0,
            concurrency: usize::try_from(concurrency.max(1)).unwrap_or(1),
            clients: Mutex::default(),
        }
    }

    /// Takes a token and an in-flight permit for `ip`, or says which limit stopped it.
    fn admit(
        &self,
        ip: IpAddr,
        now: Instant,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, &'static str> {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if clients.len() >= MAX_TRACKED_CLIENTS {
            let (rate, burst, concurrency) = (self.rate, self.burst, self.concurrency);
            clients.retain(|_, c| {
                let tokens =
                    c.tokens + now.saturating_duration_since(c.refilled).as_secs_f64() * rate;
                tokens < burst || c.inflight.available_permits() < concurrency
            });
        }
        let client = clients.entry(ip).or_insert_with(|| Client {
            tokens: self.burst,
            refilled: now,
            inflight: Arc::new(Semaphore::new(self.concurrency)),
        });
        let elapsed = now.saturating_duration_since(client.refilled).as_secs_f64();
        client.tokens = (client.tokens + elapsed * self.rate).min(self.burst);
        client.refilled = now;
        if client.tokens < 1.0 {
            return Err("call rate limit exceeded; slow down");
        }
        let permit = client
            .inflight
            .clone()
            .try_acquire_owned()
            .map_err(|_| "too many calls in flight from this client")?;
        client.tokens -= 1.0;
        Ok(permit)
    }
}

/// The per-client limits as a jsonrpsee RPC middleware (one per connection).
#[derive(Clone)]
pub(super) struct Limited<S> {
    /// The service it guards.
    pub(super) inner: S,
    /// The client's IP.
    pub(super) ip: IpAddr,
    /// Every client's limits.
    pub(super) limits: Arc<ClientLimits>,
    /// Where refusals are counted.
    pub(super) metrics: Arc<Metrics>,
}

impl<'a, S> RpcServiceT<'a> for Limited<S>
where
    S: RpcServiceT<'a> + Clone + Send + Sync + 'static,
{
    type Future = BoxFuture<'a, MethodResponse>;

    fn call(&self, request: Request<'a>) -> Self::Future {
        match self.limits.admit(self.ip, Instant::now()) {
            Ok(permit) => {
                let inner = self.inner.clone();
                async move {
                    let response = inner.call(request).await;
                    drop(permit);
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
                async move { response }.boxed()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn buckets_limit_rate_and_calls_in_flight() {
        let limits = ClientLimits::new(2, 2);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
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
}
