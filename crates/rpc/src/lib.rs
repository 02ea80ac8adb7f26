#![doc = include_str!("../README.md")]

use std::{fmt::Display, marker::PhantomData, str::FromStr, sync::Arc};

use codec::Codec;
use jsonrpsee::{
    core::RpcResult,
    proc_macros::rpc,
    types::{error::ErrorObjectOwned, ErrorObject},
};
pub use mindos_runtime_api::MindosApi as MindosRuntimeApi;
use mindos_runtime_api::{
    DirectiveView, GovernedParameters, NetUid, NeuronDetail, NeuronView, ProposalView, SubnetView,
};
use serde::{de::DeserializeOwned, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

mod sentinels;

pub use sentinels::{Sentinels, SentinelsApiClient, SentinelsApiServer, SentinelsRuntimeApi};

/// The JSON-RPC error codes (shared with the chain client, which reads them).
pub use mindos_primitives::rpc_errors::{
    COMMITTEE_NOT_STORED, RUNTIME_ERROR, UNKNOWN_NEURON, UNKNOWN_SUBNET,
};

/// Uid slots in a `mindos_metagraph` page when the caller names no `limit`: a full subnet is
/// 4,096 rows and megabytes of JSON, more than a public node should build per call.
pub const METAGRAPH_PAGE: u16 = 1_024;

/// What the methods need of a balance: it travels as a decimal string (the views'
/// `serde_helpers::decimal` and `balance` fields) or as a plain number.
pub trait RpcBalance:
    Serialize
    + DeserializeOwned
    + Display
    + FromStr
    + TryFrom<u64>
    + Copy
    + TryInto<u128>
    + TryFrom<u128>
{
}

impl<T> RpcBalance for T where
    T: Serialize
        + DeserializeOwned
        + Display
        + FromStr
        + TryFrom<u64>
        + Copy
        + TryInto<u128>
        + TryFrom<u128>
{
}

/// The `mindos_*` methods.
#[rpc(client, server, namespace = "mindos")]
pub trait MindosApi<BlockHash, AccountId, Balance, BlockNumber>
where
    AccountId: Serialize + DeserializeOwned,
    Balance: RpcBalance,
    BlockNumber: Serialize + DeserializeOwned,
{
    /// Every live subnet, in id order.
    #[method(name = "subnets", blocking)]
    fn subnets(
        &self,
        at: Option<BlockHash>,
    ) -> RpcResult<Vec<SubnetView<AccountId, Balance, BlockNumber>>>;

    /// One subnet; error [`UNKNOWN_SUBNET`] if no live subnet has id `netuid`.
    #[method(name = "subnet", blocking)]
    fn subnet(
        &self,
        netuid: u16,
        at: Option<BlockHash>,
    ) -> RpcResult<SubnetView<AccountId, Balance, BlockNumber>>;

    /// The neurons of subnet `netuid` in uid order (uid, hotkey, coldkey, stake, validator
    /// permit, endpoint, device, registration block, immunity, and from the last epoch:
    /// consensus, incentive, dividends, trust, validator trust, reputation — `Perbill` parts
    /// per billion — emission and last weight update); error [`UNKNOWN_SUBNET`] if no live
    /// subnet has that id. A page: the neurons in uid slots `offset .. offset + limit`
    /// (defaults 0 and [`METAGRAPH_PAGE`]; free slots have no row), so the next page starts at
    /// `offset + limit`.
    #[method(name = "metagraph", blocking)]
    fn metagraph(
        &self,
        netuid: u16,
        at: Option<BlockHash>,
        offset: Option<u16>,
        limit: Option<u16>,
    ) -> RpcResult<Vec<NeuronView<AccountId, Balance, BlockNumber>>>;

    /// One neuron's metagraph row and its contributions (epoch, block, incentive, dividend,
    /// consensus, emission) in the subnet's kept epochs since it registered, oldest first;
    /// error [`UNKNOWN_SUBNET`] or [`UNKNOWN_NEURON`].
    #[method(name = "neuron", blocking)]
    fn neuron(
        &self,
        netuid: u16,
        uid: u16,
        at: Option<BlockHash>,
    ) -> RpcResult<NeuronDetail<AccountId, Balance, BlockNumber>>;

    /// Every directive, repealed ones included, in id order: id (0 is the prime directive),
    /// title, text, status (`active` or `{repealed: {at}}`), enactment and last amendment
    /// block.
    #[method(name = "directives", blocking)]
    fn directives(&self, at: Option<BlockHash>) -> RpcResult<Vec<DirectiveView<BlockNumber>>>;

    /// Proposals voting or approved and waiting for enactment, in index order: proposer,
    /// action, scope, deposit, voting window, recorded ayes and nays, voters, whether the
    /// prime-directive supermajority applies, status.
    #[method(name = "proposals", blocking)]
    fn proposals(
        &self,
        at: Option<BlockHash>,
    ) -> RpcResult<Vec<ProposalView<AccountId, Balance, BlockNumber>>>;

    /// The governed parameters in force: emission split and block emission, registration
    /// burn, subnet lock, unbonding period, hyperparameter bounds, sentinel parameters.
    /// Amounts are decimal strings (planck), block counts numbers.
    #[method(name = "parameters", blocking)]
    fn parameters(
        &self,
        at: Option<BlockHash>,
    ) -> RpcResult<GovernedParameters<Balance, BlockNumber>>;
}

/// Serves [`MindosApiServer`] from a client with the [`MindosRuntimeApi`].
pub struct Mindos<C, Block> {
    client: Arc<C>,
    _block: PhantomData<Block>,
}

impl<C, Block> Mindos<C, Block> {
    /// Serve the methods from `client`.
    pub fn new(client: Arc<C>) -> Self {
        Self {
            client,
            _block: PhantomData,
        }
    }
}

fn unknown_subnet(netuid: u16) -> ErrorObjectOwned {
    ErrorObject::owned(
        UNKNOWN_SUBNET,
        format!("unknown subnet {netuid}: no live subnet has this id"),
        None::<()>,
    )
}

fn unknown_neuron(netuid: u16, uid: u16) -> ErrorObjectOwned {
    ErrorObject::owned(
        UNKNOWN_NEURON,
        format!("no neuron holds uid {uid} on subnet {netuid}"),
        None::<()>,
    )
}

fn runtime_error(err: impl std::fmt::Debug) -> ErrorObjectOwned {
    ErrorObject::owned(
        RUNTIME_ERROR,
        "runtime API call failed",
        Some(format!("{err:?}")),
    )
}

impl<C, Block, AccountId, Balance, BlockNumber>
    MindosApiServer<<Block as BlockT>::Hash, AccountId, Balance, BlockNumber> for Mindos<C, Block>
where
    Block: BlockT,
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: MindosRuntimeApi<Block, AccountId, Balance, BlockNumber>,
    AccountId: Codec + Serialize + DeserializeOwned + Send + Sync + Clone + 'static,
    Balance: Codec + RpcBalance + Send + Sync + 'static,
    BlockNumber: Codec + Serialize + DeserializeOwned + Send + Sync + Clone + 'static,
{
    fn subnets(
        &self,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<Vec<SubnetView<AccountId, Balance, BlockNumber>>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        self.client.runtime_api().subnets(at).map_err(runtime_error)
    }

    fn subnet(
        &self,
        netuid: u16,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<SubnetView<AccountId, Balance, BlockNumber>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        self.client
            .runtime_api()
            .subnet(at, NetUid(netuid))
            .map_err(runtime_error)?
            .ok_or_else(|| unknown_subnet(netuid))
    }

    fn metagraph(
        &self,
        netuid: u16,
        at: Option<<Block as BlockT>::Hash>,
        offset: Option<u16>,
        limit: Option<u16>,
    ) -> RpcResult<Vec<NeuronView<AccountId, Balance, BlockNumber>>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        let (offset, limit) = (offset.unwrap_or(0), limit.unwrap_or(METAGRAPH_PAGE));
        self.client
            .runtime_api()
            .metagraph(at, NetUid(netuid), offset, limit)
            .map_err(runtime_error)?
            .ok_or_else(|| unknown_subnet(netuid))
    }

    fn neuron(
        &self,
        netuid: u16,
        uid: u16,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<NeuronDetail<AccountId, Balance, BlockNumber>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        let api = self.client.runtime_api();
        if let Some(detail) = api.neuron(at, NetUid(netuid), uid).map_err(runtime_error)? {
            return Ok(detail);
        }
        match api.subnet(at, NetUid(netuid)).map_err(runtime_error)? {
            Some(_) => Err(unknown_neuron(netuid, uid)),
            None => Err(unknown_subnet(netuid)),
        }
    }

    fn directives(
        &self,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<Vec<DirectiveView<BlockNumber>>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        self.client
            .runtime_api()
            .directives(at)
            .map_err(runtime_error)
    }

    fn proposals(
        &self,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<Vec<ProposalView<AccountId, Balance, BlockNumber>>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        self.client
            .runtime_api()
            .proposals(at)
            .map_err(runtime_error)
    }

    fn parameters(
        &self,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<GovernedParameters<Balance, BlockNumber>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        self.client
            .runtime_api()
            .parameters(at)
            .map_err(runtime_error)
    }
}
