//! The runtime APIs behind the node's `mindos_*` JSON-RPC methods, one concern per trait:
//! [`MindosApi`] (subnets, metagraphs, directive governance) and [`SentinelsApi`] (committees,
//! cases, quarantines). `no_std`: the runtime implements them in Wasm, the node calls them.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use mindos_primitives::{
    CasesView, CommitteeQueryError, CommitteeView, NetUid, NeuronDetail, NeuronView,
    QuarantineView, SubnetView,
};
pub use pallet_mindos_directives::{DirectiveView, GovernedParameters, ProposalView};

sp_api::decl_runtime_apis! {
    /// Read access to MindOS subnets, their metagraphs and directive governance.
    pub trait MindosApi<AccountId, Balance, BlockNumber>
    where
        AccountId: Codec,
        Balance: Codec,
        BlockNumber: Codec,
    {
        /// Every live subnet, in id order.
        fn subnets() -> Vec<SubnetView<AccountId, Balance, BlockNumber>>;
        /// One subnet, or `None` if no live subnet has this id.
        fn subnet(netuid: NetUid) -> Option<SubnetView<AccountId, Balance, BlockNumber>>;
        /// The neurons in uid slots `offset .. offset + limit` of a subnet, in uid order (free
        /// slots have no row), or `None` for an unknown subnet. `(0, u16::MAX)` is all of it.
        fn metagraph(
            netuid: NetUid,
            offset: u16,
            limit: u16,
        ) -> Option<Vec<NeuronView<AccountId, Balance, BlockNumber>>>;
        /// One neuron with its contributions in the subnet's recent epochs, or `None` for an
        /// unknown subnet or an empty uid. Reads that neuron only.
        fn neuron(netuid: NetUid, uid: u16) -> Option<NeuronDetail<AccountId, Balance, BlockNumber>>;
        /// Every directive, repealed ones included, in id order (0 is the prime directive).
        fn directives() -> Vec<DirectiveView<BlockNumber>>;
        /// Proposals voting or approved and waiting for enactment, in index order.
        fn proposals() -> Vec<ProposalView<AccountId, Balance, BlockNumber>>;
        /// The governed parameters in force.
        fn parameters() -> GovernedParameters<Balance, BlockNumber>;
    }

    /// Read access to the sentinels: committees, open cases and audits, quarantines. Every
    /// epoch here is a subnet's sentinel epoch.
    pub trait SentinelsApi<AccountId, Balance, BlockNumber>
    where
        AccountId: Codec,
        Balance: Codec,
        BlockNumber: Codec,
    {
        /// The committee of `netuid` for sentinel `epoch` (default: the current one); the
        /// chain holds the current and the next epoch's. Fails for an unknown subnet or an
        /// epoch whose committee is not held (the error names those held).
        fn committee(
            netuid: NetUid,
            epoch: Option<u64>,
        ) -> Result<CommitteeView<AccountId, BlockNumber>, CommitteeQueryError>;
        /// The open judged cases and audits of `netuid`, or of every live subnet for `None`;
        /// `None` for an unknown subnet.
        fn cases(netuid: Option<NetUid>) -> Option<CasesView<AccountId, Balance, BlockNumber>>;
        /// The quarantined hotkeys of `netuid`, or of every live subnet for `None`; `None`
        /// for an unknown subnet.
        fn quarantines(netuid: Option<NetUid>) -> Option<Vec<QuarantineView<AccountId, BlockNumber>>>;
    }
}
