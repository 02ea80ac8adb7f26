//! Interfaces between the MindOS pallets. They live here, not in the pallet that implements
//! them, so a pallet depends on this crate for a trait rather than on another pallet (as
//! `sp-staking` serves staking and nomination-pools). The neurons and stake pallets even read
//! each other: a trait in either crate would make a cycle.
//!
//! The sentinel traits at the end ([`SentinelParameters`], [`AuditWindow`], [`QuarantineInfo`],
//! [`SaltSink`], [`ReputationInfo`], [`ReputationSink`], [`EndpointObserver`],
//! [`NeuronDeregistration`]) connect the sentinels pallet to the directives, consensus and
//! neurons pallets. Each has a `()` implementation that does
//! nothing (or answers neutrally), so a runtime or mock can leave out what it does not use.

use crate::{Hyperparameters, NetUid, TaskSpec};
use alloc::vec::Vec;
use mindos_consensus_math::{EmissionSplit, EpochParams};
use mindos_sentinels_math::SlashRates;
use sp_arithmetic::Perbill;
use sp_weights::Weight;

/// What the subnets pallet tells others about subnets.
pub trait SubnetsInfo<AccountId, Balance> {
    /// Whether `netuid` is a live subnet.
    fn exists(netuid: NetUid) -> bool;
    /// The owner of a live subnet.
    fn owner(netuid: NetUid) -> Option<AccountId>;
    /// The hyperparameters of a live subnet.
    fn hyperparameters(netuid: NetUid) -> Option<Hyperparameters<Balance>>;
    /// Whether `hotkey` may register on `netuid` (false for unknown subnets).
    fn allows_registration(netuid: NetUid, hotkey: &AccountId) -> bool;
    /// Ids of all live subnets, in id order.
    fn netuids() -> Vec<NetUid>;
    /// Live subnets whose epoch boundary is `block`, by each subnet's anchored schedule (it
    /// starts from [`crate::is_epoch_boundary`]; a tempo change moves only the periods after
    /// the boundary it takes effect at). One storage read.
    fn epochs_due(block: u64) -> Vec<NetUid>;
    /// The task of a live subnet, fixed at its creation: the model digest it pins (sentinel
    /// evidence must name it) and its scoring rule (only exactly scored subnets take canaries).
    /// One storage read.
    fn task(netuid: NetUid) -> Option<TaskSpec>;
    /// The most subnets that can be live at once (the subnets pallet's `MaxSubnets`): pallets
    /// that queue per-subnet work in bounded lists check theirs is not smaller.
    fn max_subnets() -> u32;
}

/// Called when a subnet is dissolved, so pallets that keep per-subnet state (neurons,
/// weights) can clear it.
pub trait OnSubnetDissolved {
    /// Clear everything kept for `netuid`; returns the weight used.
    fn on_subnet_dissolved(netuid: NetUid) -> Weight;

    /// The most [`Self::on_subnet_dissolved`] can weigh (for a full subnet); charged up front
    /// and refunded down to what was used.
    fn max_weight() -> Weight;
}

impl OnSubnetDissolved for () {
    fn on_subnet_dissolved(_netuid: NetUid) -> Weight {
        Weight::zero()
    }

    fn max_weight() -> Weight {
        Weight::zero()
    }
}

/// Both hooks run, in order; used to clear neurons and stake state together.
impl<A: OnSubnetDissolved, B: OnSubnetDissolved> OnSubnetDissolved for (A, B) {
    fn on_subnet_dissolved(netuid: NetUid) -> Weight {
        A::on_subnet_dissolved(netuid).saturating_add(B::on_subnet_dissolved(netuid))
    }

    fn max_weight() -> Weight {
        A::max_weight().saturating_add(B::max_weight())
    }
}

/// Governed parameters the consensus pallet reads. The runtime implements it (from the
/// directives pallet's registry), so nothing there is a compile-time constant of the pallet.
pub trait ConsensusParameters<Balance> {
    /// New issuance per block, split over subnets.
    fn block_emission(block: u64) -> Balance;
    /// Owner / miners / validators shares of a subnet's epoch emission.
    fn emission_split() -> EmissionSplit;
    /// Kappa, bond and reputation averaging: the same for every subnet.
    fn epoch_params() -> EpochParams;
    /// Epochs (tempos) a validator's last weights count for: a validator that set none for
    /// longer is inactive — its stake and weights leave the epoch and its bonds decay.
    fn activity_cutoff() -> u32;
}

/// What the stake pallet tells others about stake.
pub trait StakeInfo<AccountId, Balance> {
    /// Active (bonded, not unbonding) stake on `hotkey`, from all its nominators.
    fn hotkey_stake(hotkey: &AccountId) -> Balance;
    /// Per subnet with validator permits, sorted by netuid: the stake counted for splitting
    /// block emission between subnets. Each hotkey's stake is divided over the subnets it
    /// holds a permit on, so the sum over subnets never exceeds the total active stake.
    fn counted_stakes() -> Vec<(NetUid, Balance)>;
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

/// The governed sentinel parameters the sentinels pallet reads. The runtime implements it from
/// the directives pallet's registry, so none of them is a compile-time constant of the pallet.
pub trait SentinelParameters {
    /// Members of a sentinel committee (at least 4; the sentinels pallet caps it at 13).
    fn committee_size() -> u32;
    /// Guilty votes that quarantine when the committee has its full governed size: more than
    /// two thirds of it (`3 · threshold > 2 · size`) and at most all of it. A smaller committee
    /// (fewer eligible validators) needs its own `2f + 1`.
    fn threshold() -> u32;
    /// Epochs a first offence's quarantine lasts (at least 1); a second offence within the
    /// window doubles it, a third deregisters. The registry's launch value is 2 (issue 19).
    fn quarantine_epochs() -> u32;
    /// The slash rates: miners on proven and on judged offences, sentinels proven wrong by an
    /// audit, the correlation multiplier and the reporter's share of a miner's slash. The
    /// registry's launch values are the math crate's [`SlashRates::default`] (5 %, 0.01 %,
    /// 0.1 %, 2 %, ×3, 10 %).
    fn slash_rates() -> SlashRates;
}

/// How long a sentinel sanction's slash can wait before it settles, so that the directives
/// registry can keep the unbonding period longer (an offender must not withdraw its stake
/// first). Implemented by the sentinels pallet, which knows its audit window; the registry
/// turns epochs into blocks at the slowest tempo its hyperparameter bounds allow (an epoch is
/// at most `tempo + 1` blocks, [`crate::is_epoch_boundary`]).
pub trait AuditWindow {
    /// Subnet epochs a slash can wait after its sanction, at most.
    fn epochs() -> u32;
    /// Blocks it can wait on top of those epochs, at most.
    fn extra_blocks() -> u64;
}

/// Nothing is slashed late: no constraint on the unbonding period.
impl AuditWindow for () {
    fn epochs() -> u32 {
        0
    }

    fn extra_blocks() -> u64 {
        0
    }
}

/// Which uids of a subnet are quarantined: the consensus pallet skips their incentive column and
/// the metagraph shows the flag. Implemented by the sentinels pallet.
pub trait QuarantineInfo {
    /// Whether the hotkey holding `uid` on `netuid` now is quarantined. Quarantines follow the
    /// hotkey: one that re-registers into another uid is still quarantined there, and a new
    /// hotkey in its old uid is not.
    fn is_quarantined(netuid: NetUid, uid: u16) -> bool;
    /// The quarantined uids of `netuid`, ascending.
    fn quarantined(netuid: NetUid) -> Vec<u16>;
}

/// Nobody is quarantined.
impl QuarantineInfo for () {
    fn is_quarantined(_netuid: NetUid, _uid: u16) -> bool {
        false
    }

    fn quarantined(_netuid: NetUid) -> Vec<u16> {
        Vec::new()
    }
}

/// Where the consensus pallet sends the salt hash of every weights reveal, so the sentinels
/// pallet can fold it into its per-subnet RANDAO mix (the committee seeds come from it).
pub trait SaltSink {
    /// A validator revealed weights on `netuid` in the consensus pallet's `epoch`, with a salt
    /// whose BLAKE2b-256 hash is `salt_hash`.
    fn on_reveal(netuid: NetUid, epoch: u64, salt_hash: [u8; 32]);
}

/// Salts go nowhere.
impl SaltSink for () {
    fn on_reveal(_netuid: NetUid, _epoch: u64, _salt_hash: [u8; 32]) {}
}

/// The reputation consensus gave each uid (a moving average of the consensus a miner receives,
/// or of a validator's validator trust): with stake, what a validator's seat weight in a
/// sentinel committee draw is made of.
pub trait ReputationInfo {
    /// The reputation of `uid` on `netuid`.
    fn reputation(netuid: NetUid, uid: u16) -> Perbill;

    /// The reputations of `uids` on `netuid`, in their order: [`ReputationInfo::reputation`]
    /// of each, read together. A committee draw reads up to `MaxCandidates` of them, and an
    /// implementation that keeps a subnet's reputations in one record should decode it once,
    /// not once per candidate.
    fn reputations(netuid: NetUid, uids: &[u16]) -> Vec<Perbill> {
        uids.iter()
            .map(|uid| Self::reputation(netuid, *uid))
            .collect()
    }
}

/// Everyone has full reputation, so committee seats are drawn by stake alone.
impl ReputationInfo for () {
    fn reputation(_netuid: NetUid, _uid: u16) -> Perbill {
        Perbill::one()
    }
}

/// Where the sentinels pallet cuts a sentinel's reputation when an audit overturns its guilty
/// vote. The consensus pallet, which keeps reputation, implements it.
pub trait ReputationSink<AccountId> {
    /// Cut `hotkey`'s reputation on `netuid` by `share` (the audit passes 50 %). A hotkey not
    /// registered there, or one without reputation of its own yet, is left alone.
    fn cut(netuid: NetUid, hotkey: &AccountId, share: Perbill);

    /// The most one [`ReputationSink::cut`] weighs; the caller charges it.
    fn cut_weight() -> Weight {
        Weight::zero()
    }
}

/// Reputation is never cut.
impl<AccountId> ReputationSink<AccountId> for () {
    fn cut(_netuid: NetUid, _hotkey: &AccountId, _share: Perbill) {}
}

/// Where the neurons pallet reports every Ed25519 key a neuron binds by serving an endpoint (the
/// key its PeerId names, [`crate::ed25519_key_of`]): a neuron signs its mesh messages with it, and
/// sentinel evidence against a miner is verified with the key it had bound *when it answered*.
/// A push, not a read of the current endpoint, so that a miner cannot escape evidence by serving
/// a new PeerId before the evidence lands: the sentinels pallet keeps the recent keys of each
/// `(netuid, hotkey)`.
pub trait EndpointObserver<AccountId> {
    /// `hotkey` on `netuid` now serves an endpoint whose PeerId names the Ed25519 key `key`.
    /// Call it from the dispatch that binds the key, before it succeeds: `false` means the key
    /// cannot be recorded (the hotkey rotated its key too often within the evidence window),
    /// and the caller must then refuse the binding (a failed dispatch rolls the call back).
    fn on_key_bound(netuid: NetUid, hotkey: &AccountId, key: [u8; 32]) -> bool;

    /// `hotkey` left `netuid` (deregistered, by its owner or by force, or pruned to make room
    /// for a registration), so its endpoint is gone. Call it after the slot is freed. The
    /// sentinels pallet notes the epoch, to forget the hotkey's keys and expired sanctions once
    /// no evidence can need them, while a hotkey that comes back still finds its quarantine
    /// and offences. By default nothing happens.
    fn on_neuron_left(_netuid: NetUid, _hotkey: &AccountId) {}

    /// The most [`Self::on_key_bound`] or [`Self::on_neuron_left`] can weigh; the caller
    /// charges it for each.
    fn max_weight() -> Weight;
}

/// Keys go nowhere and every binding is accepted.
impl<AccountId> EndpointObserver<AccountId> for () {
    fn on_key_bound(_netuid: NetUid, _hotkey: &AccountId, _key: [u8; 32]) -> bool {
        true
    }

    fn max_weight() -> Weight {
        Weight::zero()
    }
}

/// Frees a uid by force (the sentinels pallet deregisters a miner after three offences in 30
/// epochs). The owner's own deregistration stays a call of the neurons pallet.
pub trait NeuronDeregistration {
    /// Deregisters the neuron in `uid`'s slot on `netuid` and frees the slot. Returns whether a
    /// neuron was removed (false for an empty slot or a failure, leaving state unchanged).
    fn deregister(netuid: NetUid, uid: u16) -> bool;

    /// The most [`Self::deregister`] can weigh; the caller charges it.
    fn max_weight() -> Weight;
}

/// Nobody is ever deregistered by force.
impl NeuronDeregistration for () {
    fn deregister(_netuid: NetUid, _uid: u16) -> bool {
        false
    }

    fn max_weight() -> Weight {
        Weight::zero()
    }
}
