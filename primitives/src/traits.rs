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
    /// Hotkeys holding a validator permit on `netuid` and still registered there, highest
    /// stake first.
    fn validators(netuid: NetUid) -> Vec<AccountId>;
    /// Pays `amount` of new issuance to `hotkey` as validator dividends: the hotkey's take goes
    /// to its owner at once, the rest to its nominators in proportion to their active stake,
    /// claimable as free balance. Returns what could not be attributed (nothing when the
    /// hotkey has an owner); the caller decides what happens to it.
    fn reward(hotkey: &AccountId, amount: Balance) -> Balance;
}

/// What the neurons pallet tells others about registrations.
pub trait NeuronsInfo<AccountId> {
    /// The cold key that owns `hotkey`, if the hotkey was ever registered.
    fn hotkey_owner(hotkey: &AccountId) -> Option<AccountId>;
    /// `(uid, hotkey)` of every neuron registered on `netuid`, in uid order.
    fn neurons(netuid: NetUid) -> Vec<(u16, AccountId)>;
    /// The uid of `hotkey` on `netuid`, if registered there.
    fn uid(netuid: NetUid, hotkey: &AccountId) -> Option<u16>;
    /// The hotkey in `uid`'s slot on `netuid`, if one is registered there.
    fn hotkey(netuid: NetUid, uid: u16) -> Option<AccountId>;
    /// Block of registration of every uid the subnet ever allocated (zero for freed slots),
    /// in uid order: its length is the subnet's uid count `n`. One storage read.
    fn registered_at(netuid: NetUid) -> Vec<u64>;
}

/// Where the consensus pallet records each epoch's emission per uid (pruning uses it).
pub trait EmissionRecorder<Balance> {
    /// Records what every uid earned in the epoch just run: `emissions[uid]`, zero for uids
    /// past its end. Free slots stay zero. A constant number of storage operations, whatever
    /// the subnet's size.
    fn record_emissions(netuid: NetUid, emissions: &[Balance]);
}
