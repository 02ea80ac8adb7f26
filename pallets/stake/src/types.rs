//! Storage types of the stake pallet.

use codec::{Decode, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Stake on its way out: still held (and slashable) until `unlock_at`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct UnbondingChunk<AccountId, Balance, BlockNumber> {
    /// The hotkey the stake was on; a slash of that hotkey reaches this chunk too.
    pub hotkey: AccountId,
    /// How much unlocks.
    pub amount: Balance,
    /// First block at which `withdraw_unbonded` releases it.
    pub unlock_at: BlockNumber,
}

/// Sets up what the benchmarks need from the other pallets: in the runtime the real
/// subnets and neurons pallets, in the mock its fakes.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
    /// Creates a live subnet owned by `owner` with room for
    /// [`mindos_primitives::MAX_NEURONS_PER_SUBNET`] neurons, and returns its id.
    fn create_subnet(
        owner: AccountId,
    ) -> Result<mindos_primitives::NetUid, sp_runtime::DispatchError>;
    /// Registers `hotkey`, owned by `coldkey`, on `netuid`, so that `NeuronsInfo` reports
    /// its owner and lists it among the subnet's neurons. Called up to 4,096 times on one
    /// subnet, so it should be cheap (fund the coldkey for any burn, skip rate limits).
    fn register_hotkey(
        netuid: mindos_primitives::NetUid,
        coldkey: AccountId,
        hotkey: AccountId,
    ) -> Result<(), sp_runtime::DispatchError>;
}
