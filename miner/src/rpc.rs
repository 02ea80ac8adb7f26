//! The owner's JSON-RPC endpoint (jsonrpsee, loopback only): `miner_status` and
//! `miner_infer`.
//!
//! | method | params | result | errors |
//! |---|---|---|---|
//! | `miner_status` | none | [`MinerStatus`] | – |
//! | `miner_infer` | `[input]`, the subnet's input JSON | the subnet's output JSON | `4100` invalid input (the subnet's message), `4101` busy, `5100` internal |
//!
//! Loopback keeps other machines out, not the web pages a browser on this machine runs: a
//! page may post to `127.0.0.1` or point a DNS name of its own at it. So a request whose
//! `Host` is not a loopback name, or that carries an `Origin` other than a page served from
//! this machine, is refused with HTTP 403 before any method runs ([`LocalOnly`]).

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    task::{Context as TaskContext, Poll},
};

use futures::{future::BoxFuture, FutureExt};
use jsonrpsee::{
    core::{async_trait, RpcResult},
    proc_macros::rpc,
    server::{HttpRequest, HttpResponse, Server, ServerHandle},
    types::ErrorObjectOwned,
};

use crate::{serve::ServeError, status::MinerStatus, Context, MinerError};

/// `miner_infer`: the input does not fit the subnet's schema.
pub const INVALID_INPUT: i32 = 4100;
/// `miner_infer`: the queue is full or the miner is shutting down.
pub const BUSY: i32 = 4101;
/// `miner_infer`: the model failed.
pub const INTERNAL: i32 = 5100;

/// The owner API.
#[rpc(server, namespace = "miner")]
pub trait MinerApi {
    /// Peer id, subnet, uid, model digest, queue depth, counts and power.
    #[method(name = "status")]
    fn status(&self) -> RpcResult<MinerStatus>;

    /// Runs the model on one input, with the same validation and queue as mesh requests.
    #[method(name = "infer")]
    async fn infer(&self, input: serde_json::Value) -> RpcResult<serde_json::Value>;
}

struct MinerRpc {
    ctx: Arc<Context>,
}

#[async_trait]
impl MinerApiServer for MinerRpc {
    fn status(&self) -> RpcResult<MinerStatus> {
        Ok(self.ctx.status())
    }

    async fn infer(&self, input: serde_json::Value) -> RpcResult<serde_json::Value> {
        self.ctx.server.answer_local(&input).await.map_err(|e| {
            let code = match e {
                ServeError::InvalidInput(_) => INVALID_INPUT,
                ServeError::Busy(_) => BUSY,
                _ => INTERNAL,
            };
            ErrorObjectOwned::owned(code, e.to_string(), None::<()>)
        })
    }
}

/// Binds `addr` and serves the owner API; returns the bound address and the handle that
/// stops it.
pub(crate) async fn start(
    addr: SocketAddr,
    ctx: Arc<Context>,
) -> Result<(SocketAddr, ServerHandle), MinerError> {
    let bind = |source| mindos_daemon::start::StartError::Bind {
        what: "owner JSON-RPC",
        addr,
        source,
    };
    let server = Server::builder()
        .set_http_middleware(tower::ServiceBuilder::new().layer_fn(|inner| LocalOnly { inner }))
        .build(addr)
        .await
        .map_err(bind)?;
    let bound = server.local_addr().map_err(bind)?;
    let handle = server.start(MinerRpc { ctx }.into_rpc());
    tracing::info!(addr = %bound, "owner JSON-RPC listening");
    Ok((bound, handle))
}

/// Refuses requests a web page could make: see the module docs.
#[derive(Clone)]
struct LocalOnly<S> {
    inner: S,
}

impl<S, B> tower::Service<HttpRequest<B>> for LocalOnly<S>
where
    S: tower::Service<HttpRequest<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let host_ok = header("host").is_none_or(|host| is_local_host(&host));
        let origin_ok = header("origin").is_none_or(|origin| {
            let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(is_local_host)
        });
        if host_ok && origin_ok {
            self.inner.call(request).boxed()
        } else {
            tracing::debug!("owner RPC: refused a request from a web page");
            let denied = jsonrpsee::server::http::response::denied();
            async move { Ok(denied) }.boxed()
        }
    }
}

/// `localhost`, `127.0.0.1`, `[::1]` …, with or without a port.
fn is_local_host(host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host.as_str(), |(name, _)| name),
    };
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hosts() {
        for host in [
            "localhost",
            "localhost:9944",
            "127.0.0.1:1",
            "[::1]:9",
            "a.localhost",
        ] {
            assert!(is_local_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "localhost.evil.example:80",
            "10.0.0.1",
            "[2001:db8::1]",
        ] {
            assert!(!is_local_host(host), "{host}");
        }
    }
}
