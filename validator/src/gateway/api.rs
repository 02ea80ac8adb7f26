//! The gateway's API: the `#[rpc]` trait, the types its methods take and return, the error
//! codes and the OpenRPC document that describes them (`validator/openrpc.json`, served by
//! `rpc.discover`; `tests/gateway.rs` keeps it, the README and this file in sync).

use jsonrpsee::{
    core::{RpcResult, SubscriptionResult},
    proc_macros::rpc,
    types::ErrorObjectOwned,
};
use mindos_primitives::{NetUid, Uid};
use serde::{Deserialize, Serialize};

/// The OpenRPC document of the gateway.
pub const OPENRPC: &str = include_str!("../../openrpc.json");

/// No validated subnet has this netuid.
pub const UNKNOWN_SUBNET: i32 = 4201;
/// No miner could be asked (none served, all resting) or every miner asked failed.
pub const NO_MINER_AVAILABLE: i32 = 4202;
/// The query's time budget ran out before any miner answered.
pub const TIMEOUT: i32 = 4203;
/// The input does not fit the subnet's schema, or an option is out of range.
pub const INVALID_INPUT: i32 = 4204;
/// The client exceeded its call rate or its calls in flight.
pub const RATE_LIMITED: i32 = 4205;
/// The miners' answers agree less than `min_agreement`.
pub const LOW_AGREEMENT: i32 = 4206;
/// The method or option needs an API key.
pub const UNAUTHORIZED: i32 = 4207;
/// The validator has no chain (`--no-chain`), or its node did not answer a read.
pub const CHAIN_UNAVAILABLE: i32 = 4208;

/// Every gateway error code with its name, as documented.
pub const ERROR_CODES: [(i32, &str); 8] = [
    (UNKNOWN_SUBNET, "unknown_subnet"),
    (NO_MINER_AVAILABLE, "no_miner_available"),
    (TIMEOUT, "timeout"),
    (INVALID_INPUT, "invalid_input"),
    (RATE_LIMITED, "rate_limited"),
    (LOW_AGREEMENT, "low_agreement"),
    (UNAUTHORIZED, "unauthorized"),
    (CHAIN_UNAVAILABLE, "chain_unavailable"),
];

/// The gateway's methods (metric labels).
pub(super) const METHODS: [&str; 9] = [
    "subnet_list",
    "subnet_info",
    "subnet_query",
    "mesh_peers",
    "validator_status",
    "network_overview",
    "network_subscribe_blocks",
    "network_unsubscribe_blocks",
    "rpc.discover",
];

/// A gateway error: `code` (one of [`ERROR_CODES`]) with `message`.
pub(super) fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// The documented name of `code` (a metric label); `other` for codes not in [`ERROR_CODES`].
pub(super) fn error_name(code: i32) -> &'static str {
    ERROR_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("other", |(_, name)| name)
}

/// A subnet in `subnet_list`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubnetSummary {
    /// The subnet's id.
    pub netuid: NetUid,
    /// Its task name.
    pub name: String,
    /// `text`, `image`, …
    pub modality: String,
    /// `cosine_similarity` or `correctness`.
    pub scoring_rule: String,
    /// Miners with an endpoint.
    pub miners: usize,
}

/// A miner in `subnet_info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinerInfo {
    /// Its uid.
    pub uid: Uid,
    /// Its PeerId.
    pub peer_id: String,
    /// This validator's challenge score, `0..=1`.
    pub score: f64,
    /// Challenges scored.
    pub samples: u64,
    /// The chain's reputation, `0..=1`.
    pub reputation: f64,
    /// Skipped by routing for now after repeated failures.
    pub resting: bool,
}

/// `subnet_info`'s answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubnetDetail {
    /// The subnet's id.
    pub netuid: NetUid,
    /// Its task name.
    pub name: String,
    /// `text`, `image`, …
    pub modality: String,
    /// `cosine_similarity` or `correctness`.
    pub scoring_rule: String,
    /// Version of the input wire format.
    pub input_schema: u32,
    /// Version of the output wire format.
    pub output_schema: u32,
    /// BLAKE2b-256 of the model, `0x` hex.
    pub model_digest: String,
    /// Blocks per epoch (0 without a chain).
    pub tempo: u16,
    /// Miners with an endpoint.
    pub miners: Vec<MinerInfo>,
}

/// `subnet_query` options; every field optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryOptions {
    /// Miners to ask, `2..=3`, or `1..=16` with an API key [default 2].
    pub redundancy: Option<u32>,
    /// Time budget in ms, `1..=120000` [default: the gateway's].
    pub timeout_ms: Option<u64>,
    /// Least share of answers that must agree, `0..=1`; without an API key it can only
    /// raise the gateway's floor [default: the floor, 0.51; 0 with an API key].
    pub min_agreement: Option<f64>,
}

/// Who answered a query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServedBy {
    /// The miner's uid.
    pub uid: Uid,
    /// Request to answer, in milliseconds.
    pub latency_ms: f64,
}

/// `subnet_query`'s answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    /// The aggregated output, in the subnet's wire format.
    pub output: serde_json::Value,
    /// Share of the `redundancy` answers asked for that agree with `output`, `0..=1` (an
    /// answer that did not come agrees with nothing).
    pub agreement: f64,
    /// The miners whose answers were aggregated.
    pub served_by: Vec<ServedBy>,
}

/// A peer in `mesh_peers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerSummary {
    /// Its PeerId.
    pub peer_id: String,
    /// Addresses known for it.
    pub addrs: Vec<String>,
    /// Whether a connection is open.
    pub connected: bool,
    /// Last ping round trip in ms.
    pub rtt_ms: Option<f64>,
    /// Subnet of its last capacity beat.
    pub beat_netuid: Option<NetUid>,
    /// Load of its last capacity beat, `0..=1`.
    pub load: Option<f64>,
    /// Queue depth of its last capacity beat.
    pub queue_depth: Option<u32>,
}

/// A block, in `network_overview` and the `network_block` notifications.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Its number.
    pub number: u64,
    /// Its hash, `0x` hex.
    pub hash: String,
}

/// A miner in `validator_status`: what this validator measures of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinerStatus {
    /// Its uid.
    pub uid: Uid,
    /// Its PeerId.
    pub peer_id: String,
    /// This validator's challenge score, `0..=1`.
    pub score: f64,
    /// Challenges scored.
    pub samples: u64,
    /// Skipped by routing for now after repeated failures.
    pub resting: bool,
    /// Whether the mesh has a connection to it.
    pub connected: bool,
    /// Last ping round trip in ms.
    pub rtt_ms: Option<f64>,
    /// Its latest answer latencies in ms (challenges and queries), oldest first, at most 16.
    pub latency_ms: Vec<f64>,
    /// Load of its latest capacity beat, `0..=1`.
    pub load: Option<f64>,
    /// Queue depth of its latest capacity beat.
    pub queue_depth: Option<u32>,
}

/// A subnet in `validator_status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubnetStatus {
    /// The subnet's id.
    pub netuid: NetUid,
    /// Its task name.
    pub name: String,
    /// BLAKE2b-256 of the model this validator re-executes, `0x` hex.
    pub model_digest: String,
    /// This validator's uid on it, if registered.
    pub own_uid: Option<Uid>,
    /// Served miners that are not quarantined.
    pub miners: Vec<MinerStatus>,
}

/// A neuron by subnet and uid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeuronRef {
    /// The subnet's id.
    pub netuid: NetUid,
    /// The neuron's uid on it.
    pub uid: Uid,
}

/// A mesh peer in `validator_status`: no addresses (those are for `mesh_peers`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeighbourStatus {
    /// Its PeerId.
    pub peer_id: String,
    /// The validated subnets' neurons that serve this PeerId.
    pub neurons: Vec<NeuronRef>,
    /// Whether a connection is open.
    pub connected: bool,
    /// Last ping round trip in ms.
    pub rtt_ms: Option<f64>,
    /// Subnet of its latest capacity beat.
    pub beat_netuid: Option<NetUid>,
    /// Load of its latest capacity beat, `0..=1`.
    pub load: Option<f64>,
    /// Queue depth of its latest capacity beat.
    pub queue_depth: Option<u32>,
}

/// `validator_status`'s answer: what this validator itself sees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidatorStatus {
    /// The validator's PeerId.
    pub peer_id: String,
    /// The latest finalized block it has followed (`None` without a chain).
    pub finalized: Option<Head>,
    /// The subnets it validates.
    pub subnets: Vec<SubnetStatus>,
    /// The mesh peers it knows that are neurons of those subnets.
    pub peers: Vec<NeighbourStatus>,
}

/// One subnet's metagraph in `network_overview`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetagraphRows {
    /// The subnet's id.
    pub netuid: NetUid,
    /// `mindos_metagraph`'s rows, as the node writes them.
    pub neurons: serde_json::Value,
}

/// One subnet's sentinel committee in `network_overview`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitteeOf {
    /// The subnet's id.
    pub netuid: NetUid,
    /// `mindos_committee`'s answer for the current sentinel epoch, as the node writes it;
    /// `null` while the chain holds none.
    pub committee: serde_json::Value,
}

/// `network_overview`'s answer: the node's `mindos_*` reads at one finalized block, for the
/// validated subnets, as the node writes them (`crates/rpc/README.md`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkOverview {
    /// The finalized block everything was read at.
    pub block: Head,
    /// `mindos_subnets`' rows of the validated subnets.
    pub subnets: serde_json::Value,
    /// `mindos_metagraph` of each validated subnet.
    pub metagraphs: Vec<MetagraphRows>,
    /// `mindos_directives`.
    pub directives: serde_json::Value,
    /// `mindos_proposals`.
    pub proposals: serde_json::Value,
    /// `mindos_committee` of each validated subnet.
    pub committees: Vec<CommitteeOf>,
    /// `mindos_cases` of every subnet.
    pub cases: serde_json::Value,
    /// `mindos_quarantines` of every subnet.
    pub quarantines: serde_json::Value,
}

/// The gateway's methods.
#[rpc(server)]
pub trait GatewayApi {
    /// The validated subnets.
    #[method(name = "subnet_list")]
    fn subnet_list(&self) -> RpcResult<Vec<SubnetSummary>>;

    /// One subnet with its miners.
    #[method(name = "subnet_info")]
    fn subnet_info(&self, netuid: NetUid) -> RpcResult<SubnetDetail>;

    /// Runs `input` on `redundancy` miners and aggregates their answers.
    #[method(name = "subnet_query", with_extensions)]
    async fn subnet_query(
        &self,
        netuid: NetUid,
        input: serde_json::Value,
        options: Option<QueryOptions>,
    ) -> RpcResult<QueryResult>;

    /// What the mesh knows about its peers (API key only).
    #[method(name = "mesh_peers", with_extensions)]
    async fn mesh_peers(&self) -> RpcResult<Vec<PeerSummary>>;

    /// What this validator sees of its subnets' miners and the mesh.
    #[method(name = "validator_status")]
    async fn validator_status(&self) -> RpcResult<ValidatorStatus>;

    /// The chain's view of the validated subnets and their network at the latest finalized
    /// block, read once per block however many clients ask.
    /// The answer is a [`NetworkOverview`], sent as the JSON text cached for the block.
    #[method(name = "network_overview")]
    async fn network_overview(&self) -> RpcResult<Box<serde_json::value::RawValue>>;

    /// Each finalized block the validator follows, from the latest one.
    #[subscription(
        name = "network_subscribe_blocks" => "network_block",
        unsubscribe = "network_unsubscribe_blocks",
        item = Head
    )]
    async fn subscribe_blocks(&self) -> SubscriptionResult;

    /// This API's OpenRPC document.
    #[method(name = "rpc.discover")]
    fn discover(&self) -> RpcResult<serde_json::Value>;
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn error_codes_are_distinct_and_named() {
        let codes: HashSet<i32> = ERROR_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes.len(), ERROR_CODES.len());
        assert_eq!(error_name(RATE_LIMITED), "rate_limited");
        assert_eq!(error_name(-32601), "other");
    }

    /// Every field and parameter name in the document, wherever it is declared.
    fn names(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                    out.extend(properties.keys().cloned());
                }
                if let Some(serde_json::Value::Array(required)) = map.get("required") {
                    out.extend(
                        required
                            .iter()
                            .filter_map(|r| r.as_str().map(str::to_owned)),
                    );
                }
                if let Some(serde_json::Value::Array(params)) = map.get("params") {
                    out.extend(
                        params
                            .iter()
                            .filter_map(|p| p["name"].as_str().map(str::to_owned)),
                    );
                }
                map.values().for_each(|v| names(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| names(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_field_follows_the_casing_rule_the_document_states() {
        let document: serde_json::Value = serde_json::from_str(OPENRPC).unwrap();
        let description = document["info"]["description"].as_str().unwrap();
        assert!(description.contains("snake_case"), "{description}");
        let mut all = Vec::new();
        names(&document, &mut all);
        assert!(all.len() > 20, "{all:?}");
        for name in all {
            let snake = name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            assert!(snake, "`{name}` is not snake_case");
        }
    }
}
