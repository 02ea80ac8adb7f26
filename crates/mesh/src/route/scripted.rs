//! A transport that answers from a script instead of the network, for tests of routing and
//! failover (here and in the crates that build on them, through the `testing` feature). With
//! tokio's paused clock its delays cost no time.

use std::{collections::HashMap, future::Future, time::Duration};

use super::InferTransport;
use crate::{ErrorCode, InferRequest, InferResponse, MeshError, PeerId};

/// Answers per peer: after its delay, its payload (`Some`) or a `busy` refusal (`None`). A peer
/// not in the script is unreachable; one slower than the request's timeout times out.
pub struct ScriptedTransport(pub HashMap<PeerId, (Duration, Option<serde_json::Value>)>);

impl InferTransport for ScriptedTransport {
    fn send(
        &self,
        peer: PeerId,
        _request: InferRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<InferResponse, MeshError>> + Send {
        let script = self.0.get(&peer).cloned();
        async move {
            let Some((delay, payload)) = script else {
                return Err(MeshError::Unreachable(peer));
            };
            if delay > timeout {
                tokio::time::sleep(timeout).await;
                return Err(MeshError::Timeout);
            }
            tokio::time::sleep(delay).await;
            match payload {
                Some(payload) => InferResponse::encode_ok(&payload)
                    .map_err(|e| MeshError::InvalidResponse(e.to_string())),
                None => Ok(InferResponse::error(ErrorCode::Busy, "busy")),
            }
        }
    }
}
