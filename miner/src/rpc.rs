//! The owner's JSON-RPC endpoint (jsonrpsee, loopback only): `miner_status` and
//! `miner_infer`.
//!
//! | method | params | result | errors |
//! |---|---|---|---|
//! | `miner_status` | none | [`MinerStatus`] | – |
//! | `miner_infer` | `[input]`, the subnet's input JSON | the subnet's output JSON | `4100` invalid input (the subnet's message), `4101` busy, `5100` internal |

use std::{net::SocketAddr, sync::Arc};

use jsonrpsee::{
    core::{async_trait, RpcResult},
    proc_macros::rpc,
    server::{Server, ServerHandle},
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
    let server = Server::builder().build(addr).await.map_err(bind)?;
    let bound = server.local_addr().map_err(bind)?;
    let handle = server.start(MinerRpc { ctx }.into_rpc());
    tracing::info!(addr = %bound, "owner JSON-RPC listening");
    Ok((bound, handle))
}
