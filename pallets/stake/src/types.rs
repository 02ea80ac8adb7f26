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

/// What a hotkey's [`crate::CountedStake`] entries add up to, kept next to them so that
/// refreshing one entry costs one read instead of a walk over the hotkey's subnets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct CountedSum<Balance> {
    /// Sum of the entries; never above the hotkey's active stake.
    pub total: Balance,
    /// Number of entries: the subnets on which the hotkey holds a validator permit.
    pub subnets: u32,
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
