//! The sentinels' `mindos_*` methods: committees, open cases and audits, quarantines, served
//! from the [`SentinelsRuntimeApi`]. A trait of its own beside [`crate::MindosApiServer`], as
//! the runtime API is: the node registers both, and neither's server needs the other's runtime
//! API.

use std::{marker::PhantomData, sync::Arc};

use codec::Codec;
use jsonrpsee::{
    core::RpcResult,
    proc_macros::rpc,
    types::{error::ErrorObjectOwned, ErrorObject},
};
pub use mindos_runtime_api::SentinelsApi as SentinelsRuntimeApi;
use mindos_runtime_api::{CasesView, CommitteeQueryError, CommitteeView, NetUid, QuarantineView};
use serde::{de::DeserializeOwned, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

use crate::{runtime_error, unknown_subnet, RpcBalance, COMMITTEE_NOT_STORED};

/// The sentinels' `mindos_*` methods. Epochs are a subnet's sentinel epochs.
#[rpc(client, server, namespace = "mindos")]
pub trait SentinelsApi<BlockHash, AccountId, Balance, BlockNumber>
where
    AccountId: Serialize + DeserializeOwned,
    Balance: RpcBalance,
    BlockNumber: Serialize + DeserializeOwned,
{
    /// The sentinel committee of subnet `netuid` for sentinel `epoch` (default: the current
    /// one): members (uid, hotkey), size, fault tolerance, threshold, whether it sits now
    /// (`current`) or next (`next`), the block its candidates were read in and the draw's seed
    /// while the chain holds it. Error [`crate::UNKNOWN_SUBNET`], or [`COMMITTEE_NOT_STORED`]
    /// for an epoch whose committee the chain does not hold (it holds the current and the next
    /// epoch's; the error says which of them it has).
    #[method(name = "committee", blocking)]
    fn committee(
        &self,
        netuid: u16,
        epoch: Option<u64>,
        at: Option<BlockHash>,
    ) -> RpcResult<CommitteeView<AccountId, BlockNumber>>;

    /// The open judged cases (accused, offence, reporter, evidence hash, bond, who voted what,
    /// thresholds, expiry, status) and open audits (the verdict re-judged, why, appellant and
    /// deposit, who voted what, thresholds, expiry, status) of subnet `netuid`, or of every
    /// live subnet without it; error [`crate::UNKNOWN_SUBNET`].
    #[method(name = "cases", blocking)]
    fn cases(
        &self,
        netuid: Option<u16>,
        at: Option<BlockHash>,
    ) -> RpcResult<CasesView<AccountId, Balance, BlockNumber>>;

    /// The quarantined hotkeys of subnet `netuid`, or of every live subnet without it: uid
    /// now, offence, since, until (sentinel epoch), offences in the window, whether
    /// `unquarantine` would release it now; error [`crate::UNKNOWN_SUBNET`].
    #[method(name = "quarantines", blocking)]
    fn quarantines(
        &self,
        netuid: Option<u16>,
        at: Option<BlockHash>,
    ) -> RpcResult<Vec<QuarantineView<AccountId, BlockNumber>>>;
}

/// Serves [`SentinelsApiServer`] from a client with the [`SentinelsRuntimeApi`].
pub struct Sentinels<C, Block> {
    client: Arc<C>,
    _block: PhantomData<Block>,
}

impl<C, Block> Sentinels<C, Block> {
    /// Serve the methods from `client`.
    pub fn new(client: Arc<C>) -> Self {
        Self {
            client,
            _block: PhantomData,
        }
    }
}

/// The data of a [`COMMITTEE_NOT_STORED`] error: the subnet's sentinel epoch now and the
/// epochs whose committees the chain holds.
#[derive(Serialize)]
struct NotStored {
    current: u64,
    stored: Vec<u64>,
}

/// The JSON-RPC error of a committee the runtime could not return.
pub(crate) fn committee_error(netuid: u16, error: CommitteeQueryError) -> ErrorObjectOwned {
    match error {
        CommitteeQueryError::UnknownSubnet => unknown_subnet(netuid),
        CommitteeQueryError::NotStored {
            requested,
            current,
            stored,
        } => {
            let held = match stored.as_slice() {
                [] => "none".to_string(),
                epochs => epochs
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(" and "),
            };
            ErrorObject::owned(
                COMMITTEE_NOT_STORED,
                format!(
                    "no committee of subnet {netuid} for sentinel epoch {requested}: the chain \
                     holds only the current epoch's ({current}) and the next one's, and of \
                     these it has {held}"
                ),
                Some(NotStored { current, stored }),
            )
        }
    }
}

impl<C, Block, AccountId, Balance, BlockNumber>
    SentinelsApiServer<<Block as BlockT>::Hash, AccountId, Balance, BlockNumber>
    for Sentinels<C, Block>
where
    Block: BlockT,
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: SentinelsRuntimeApi<Block, AccountId, Balance, BlockNumber>,
    AccountId: Codec + Serialize + DeserializeOwned + Send + Sync + Clone + 'static,
    Balance: Codec + RpcBalance + Send + Sync + 'static,
    BlockNumber: Codec + Serialize + DeserializeOwned + Send + Sync + Clone + 'static,
{
    fn committee(
        &self,
        netuid: u16,
        epoch: Option<u64>,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<CommitteeView<AccountId, BlockNumber>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        self.client
            .runtime_api()
            .committee(at, NetUid(netuid), epoch)
            .map_err(runtime_error)?
            .map_err(|e| committee_error(netuid, e))
    }

    fn cases(
        &self,
        netuid: Option<u16>,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<CasesView<AccountId, Balance, BlockNumber>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        self.client
            .runtime_api()
            .cases(at, netuid.map(NetUid))
            .map_err(runtime_error)?
            .ok_or_else(|| unknown_subnet(netuid.unwrap_or_default()))
    }

    fn quarantines(
        &self,
        netuid: Option<u16>,
        at: Option<<Block as BlockT>::Hash>,
    ) -> RpcResult<Vec<QuarantineView<AccountId, BlockNumber>>> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        self.client
            .runtime_api()
            .quarantines(at, netuid.map(NetUid))
            .map_err(runtime_error)?
            .ok_or_else(|| unknown_subnet(netuid.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UNKNOWN_SUBNET;

    #[test]
    fn an_unknown_subnet_is_4001() {
        let error = committee_error(7, CommitteeQueryError::UnknownSubnet);
        assert_eq!(error.code(), UNKNOWN_SUBNET);
        assert!(error.message().contains("unknown subnet 7"));
    }

    #[test]
    fn an_epoch_not_held_names_the_epochs_held() {
        let error = committee_error(
            3,
            CommitteeQueryError::NotStored {
                requested: 9,
                current: 4,
                stored: vec![4, 5],
            },
        );
        assert_eq!(error.code(), COMMITTEE_NOT_STORED);
        assert_eq!(
            error.message(),
            "no committee of subnet 3 for sentinel epoch 9: the chain holds only the current \
             epoch's (4) and the next one's, and of these it has 4 and 5"
        );
        assert_eq!(
            error.data().expect("data").get(),
            r#"{"current":4,"stored":[4,5]}"#
        );

        let none = committee_error(
            3,
            CommitteeQueryError::NotStored {
                requested: 4,
                current: 4,
                stored: vec![],
            },
        );
        assert!(none.message().ends_with("of these it has none"));
    }
}
