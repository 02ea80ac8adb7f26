//! What the gateway tells of the network beyond its own subnets' miners: `network_overview`
//! (the node's read-only `mindos_*` methods at the latest finalized block, read once per
//! block however many clients ask) and the `network_block` notifications (each finalized
//! block the validator follows).
//!
//! The page at `/dashboard` reads the chain through these instead of the node's own
//! JSON-RPC port: the node need not be reachable from the browser (nor open to strangers),
//! and a crowd of pages costs the node one round of reads per block.

use std::{sync::Arc, time::Duration};

use jsonrpsee::types::ErrorObjectOwned;
use mindos_chain_client::{ChainClient, ChainError};
use mindos_primitives::NetUid;
use serde_json::{value::RawValue, Value};
use subxt::rpcs::rpc_params;
use tokio::sync::{watch, Mutex};

use super::api::{error, CommitteeOf, Head, MetagraphRows, NetworkOverview, CHAIN_UNAVAILABLE};
use crate::chain::ChainReader;

/// Uid slots a subnet has at most (`mindos_metagraph` pages through them).
const MAX_UIDS: u32 = 4096;
/// Rows per `mindos_metagraph` page (the node's default and largest page).
const PAGE: u32 = 1024;
/// A whole overview (every read of one block) must be read within this.
const OVERVIEW_TIMEOUT: Duration = Duration::from_secs(30);

/// What the gateway is told of the network beyond its subnets: the mesh's peers as mesh
/// events describe them, the finalized blocks the follower reads (`None` until the first,
/// and without a chain) and the node connection to read the chain with (`None` without one).
pub(crate) struct Feed {
    pub(crate) peers: Arc<super::PeerSnapshot>,
    pub(crate) heads: watch::Receiver<Option<Head>>,
    pub(crate) chain: Option<ChainReader>,
}

/// The chain as the gateway reads it: the validator's live node connection, the finalized
/// blocks its follower has seen, and the overview of the latest one.
pub(crate) struct ChainView {
    reader: ChainReader,
    heads: watch::Receiver<Option<Head>>,
    /// The overview of the latest block read, as the JSON text every caller is sent (copied,
    /// not rebuilt, per call); one reader at a time, the others wait for it.
    cached: Mutex<Option<(Head, Box<RawValue>)>>,
}

impl ChainView {
    /// A view through `reader` of the blocks `heads` announces.
    pub(crate) fn new(reader: ChainReader, heads: watch::Receiver<Option<Head>>) -> Self {
        Self {
            reader,
            heads,
            cached: Mutex::new(None),
        }
    }

    /// The overview of the latest finalized block the follower has seen, for `netuids`, as
    /// JSON: cached, or read now.
    pub(crate) async fn overview(
        &self,
        netuids: &[NetUid],
    ) -> Result<Box<RawValue>, ErrorObjectOwned> {
        let head = self.heads.borrow().clone().ok_or_else(|| {
            error(
                CHAIN_UNAVAILABLE,
                "the validator has not followed a finalized block yet",
            )
        })?;
        let mut cached = self.cached.lock().await;
        if let Some((_, overview)) = cached.as_ref().filter(|(block, _)| *block == head) {
            return Ok(overview.clone());
        }
        let client = self.reader.client();
        let read = read_overview(&client, &head, netuids);
        let overview = tokio::time::timeout(OVERVIEW_TIMEOUT, read)
            .await
            .map_err(|_| error(CHAIN_UNAVAILABLE, "the node did not answer in time"))??;
        let overview = serde_json::value::to_raw_value(&overview)
            .map_err(|e| error(CHAIN_UNAVAILABLE, format!("encoding the overview: {e}")))?;
        *cached = Some((head, overview.clone()));
        Ok(overview)
    }
}

/// A node read that failed, as the gateway reports it.
fn unavailable(method: &str, e: &ChainError) -> ErrorObjectOwned {
    tracing::debug!(method, error = %e, "gateway: a chain read failed");
    error(
        CHAIN_UNAVAILABLE,
        format!("the node's {method} failed: {e}"),
    )
}

/// Every read of the overview, at `head`.
async fn read_overview(
    client: &ChainClient,
    head: &Head,
    netuids: &[NetUid],
) -> Result<NetworkOverview, ErrorObjectOwned> {
    let at = head.hash.as_str();
    let read = |method: &'static str, params, netuid| async move {
        client
            .mindos_read::<Value>(method, params, netuid)
            .await
            .map_err(|e| unavailable(method, &e))
    };
    let all_subnets = read("mindos_subnets", rpc_params![at], None).await?;
    let subnets: Vec<Value> = all_subnets
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|row| {
                    row.get("netuid")
                        .and_then(Value::as_u64)
                        .is_some_and(|n| netuids.iter().any(|m| u64::from(m.0) == n))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut metagraphs = Vec::with_capacity(netuids.len());
    let mut committees = Vec::with_capacity(netuids.len());
    for &netuid in netuids {
        // Free slots have no row: read pages until the subnet's neurons are all there.
        let registered = subnets
            .iter()
            .find(|s| s.get("netuid").and_then(Value::as_u64) == Some(u64::from(netuid.0)))
            .and_then(|s| s.get("neurons"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let mut rows: Vec<Value> = Vec::new();
        let mut offset = 0u32;
        while offset < MAX_UIDS && (offset == 0 || (rows.len() as u64) < registered) {
            let page = read(
                "mindos_metagraph",
                rpc_params![netuid.0, at, offset, PAGE],
                Some(netuid),
            )
            .await?;
            if let Value::Array(page) = page {
                rows.extend(page);
            }
            offset = offset.saturating_add(PAGE);
        }
        metagraphs.push(MetagraphRows {
            netuid,
            neurons: Value::Array(rows),
        });
        // A subnet may have no committee for its current epoch (too few candidates, or
        // before its first sentinel epochs): `null`. Any other failure fails the overview.
        let committee = match client
            .mindos_read::<Value>(
                "mindos_committee",
                rpc_params![netuid.0, Option::<u64>::None, at],
                Some(netuid),
            )
            .await
        {
            Ok(committee) => committee,
            Err(ChainError::CommitteeNotStored { .. }) => Value::Null,
            Err(e) => return Err(unavailable("mindos_committee", &e)),
        };
        committees.push(CommitteeOf { netuid, committee });
    }
    let none = Option::<u16>::None;
    Ok(NetworkOverview {
        block: head.clone(),
        subnets: Value::Array(subnets),
        metagraphs,
        directives: read("mindos_directives", rpc_params![at], None).await?,
        proposals: read("mindos_proposals", rpc_params![at], None).await?,
        committees,
        cases: read("mindos_cases", rpc_params![none, at], None).await?,
        quarantines: read("mindos_quarantines", rpc_params![none, at], None).await?,
    })
}
