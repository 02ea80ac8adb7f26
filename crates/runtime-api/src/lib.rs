//! The runtime API behind the node's `mindos_*` JSON-RPC methods. `no_std`: the runtime
//! implements it in Wasm, the node calls it.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use mindos_primitives::{NetUid, NeuronDetail, NeuronView, SubnetView};
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
}
