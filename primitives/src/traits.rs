//! Interfaces between the economy pallets. They live here, not in the pallets, because the
//! neurons and stake pallets read each other: a trait in either crate would make a cycle.

use crate::NetUid;
use alloc::vec::Vec;
use sp_arithmetic::Perbill;

/// What the stake pallet tells others about stake.
pub trait StakeInfo<AccountId, Balance> {
    /// Active (bonded, not unbonding) stake on `hotkey`, from all its nominators.
    fn hotkey_stake(hotkey: &AccountId) -> Balance;
    /// Stake weights of a subnet: `(uid, active stake of the uid's hotkey)` for every
    /// registered uid, in uid order.
    fn stake_weights(netuid: NetUid) -> Vec<(u16, Balance)>;
    /// Whether `hotkey` holds a validator permit on `netuid`.
    fn has_validator_permit(netuid: NetUid, hotkey: &AccountId) -> bool;
    /// Burns `share` of everything staked on `hotkey` — active and unbonding — spread over its
    /// nominators in proportion to what each has at stake. Returns the amount burned.
    fn slash(hotkey: &AccountId, share: Perbill) -> Balance;
}

/// What the neurons pallet tells others about registrations.
pub trait NeuronsInfo<AccountId> {
    /// The cold key that owns `hotkey`, if the hotkey was ever registered.
    fn hotkey_owner(hotkey: &AccountId) -> Option<AccountId>;
    /// `(uid, hotkey)` of every neuron registered on `netuid`, in uid order.
    fn neurons(netuid: NetUid) -> Vec<(u16, AccountId)>;
    /// The uid of `hotkey` on `netuid`, if registered there.
    fn uid(netuid: NetUid, hotkey: &AccountId) -> Option<u16>;
}
