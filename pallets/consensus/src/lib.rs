//! # Consensus pallet
//!
//! Validators' weights on miners, the per-subnet epoch that turns them into incentive,
//! dividends and emission, and what each neuron contributed.
//!
//! ## Overview
//!
//! - **Weights.** A validator (a hotkey holding a validator permit on the subnet) commits a
//!   hash of its weights with [`Pallet::commit_weights`] and reveals them in the subnet's next
//!   epoch with [`Pallet::reveal_weights`]. Until the reveal nobody can see them, so a
//!   validator that copies others can only copy the consensus already published, which lags
//!   the miners' current quality by two epochs; the epoch math (bonds, clipping) then pays it
//!   less than validators that measure (`mindos-consensus-math`'s property tests show it).
//!   Subnets that turn `commit_reveal` off use [`Pallet::set_weights`], rate limited by
//!   [`Config::WeightsRateLimit`].
//! - **Epoch.** At each subnet's epoch boundary
//!   ([`mindos_primitives::SubnetsInfo::epochs_due`]: the subnets pallet's anchored schedule,
//!   staggered by netuid so subnets do not share a block) the subnet is queued; at most
//!   [`Config::MaxEpochsPerBlock`] epochs run per block. An epoch runs the sparse Yuma math of
//!   `mindos-consensus-math` in O(nnz · log v): stake-weighted kappa-median consensus per
//!   miner, clipping, validator trust, incentive, bonds (exponential moving average) and
//!   dividends, and reputation (moving average of the consensus a miner receives or, for a
//!   validator, of its validator trust: each uid is measured in the role it plays).
//! - **Emission.** Each block mints nothing but *accrues*
//!   [`ConsensusParameters::block_emission`] to the subnets (from their first epoch on,
//!   [`Accrual`]) in proportion to their **counted stake**
//!   ([`mindos_primitives::StakeInfo::counted_stakes`]): the stake of their permitted
//!   validators, each hotkey's stake divided over the subnets it holds a permit on. A unit of
//!   stake therefore counts at most once across subnets, and a validator that creates or
//!   joins more subnets spreads its weight instead of multiplying it (review finding C1; the
//!   stake pallet's docs give the design and why it divides rather than asks for an explicit
//!   allocation). The epoch pays what its subnet accrued, split by
//!   [`ConsensusParameters::emission_split`] (default 18% owner, 41% miners by incentive, 41%
//!   validators by dividends): the owner and validators at once (validator dividends pass
//!   through the hotkey's take to its nominators, who claim them as free balance from the
//!   stake pallet), the miners' shares a page of [`Config::MaxPayoutsPerBlock`] per block
//!   ([`MinerPayouts`]), as free balance of each miner's coldkey. A pool nobody qualifies for
//!   (no miner has incentive, no validator dividends) and anything that cannot be minted are
//!   carried to the next epoch, and so is the owner's cut of an epoch in which no miner pool
//!   is paid: an owner is paid for a subnet that works. Rounding only ever keeps units back,
//!   it never mints extra.
//! - **Quarantine.** A uid quarantined by the sentinels pallet
//!   ([`Config::Quarantine`]) earns nothing in an epoch: its column of the weight matrix is
//!   zeroed before the math runs (validators' weights on it are dropped, so it gets no
//!   consensus, incentive or miner emission, and the miners' pool goes to the others), and if it
//!   holds a validator permit it counts as inactive (no stake in the epoch, so no dividends,
//!   its weights steer nothing and its bonds are not carried). We chose to withhold dividends
//!   too: quarantine withdraws everything a uid earns, and a validator's judgement is not to
//!   be trusted while its own work is proven bad.
//! - **Salts.** Every successful reveal sends `blake2_256(salt)` to [`Config::SaltSink`]
//!   with the subnet's epoch index: the sentinels pallet's RANDAO mix.
//! - **Records.** [`Metrics`] holds each uid's last results and reputation; [`History`] the
//!   last [`Config::HistoryDepth`] epochs per uid (the contribution ring buffer read by
//!   `mindos_neuron`); the neurons pallet gets each uid's emission for pruning.
//! - **Reputation for the sentinels.** The pallet tells the sentinels pallet each uid's
//!   reputation ([`mindos_primitives::ReputationInfo`], a committee seat's weight is stake ×
//!   reputation; a validator earns it by validator trust, weights that agree with consensus)
//!   and takes its cuts ([`mindos_primitives::ReputationSink`]): an audit that overturns a
//!   sentinel's guilty vote halves the reputation in [`Metrics`], so the next draw weighs the
//!   cut at once and the moving average has to earn it back.
//!
//! ## Weight of the epoch
//!
//! Benchmarked over uids `n`, validators `v` and stored weight entries `w`
//! ([`WeightInfo::epoch`]) and charged in `on_initialize` for what was actually processed.

#![cfg_attr(not(feature = "std"), no_std)]
// Code that runs in blocks must not abort them (review L15): panics only in tests, and in
// genesis building where FRAME expects them.
#![cfg_attr(
    not(test),
    deny(
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod extension;
mod impls;
#[cfg(test)]
mod mock;
mod payouts;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use extension::{PermittedWeightsFirst, PERMITTED_WEIGHTS_PRIORITY};
pub use mindos_consensus_math::{EmissionSplit, EpochParams};
#[cfg(feature = "runtime-benchmarks")]
pub use types::BenchmarkHelper;
pub use types::{
    BondRow, ContributionEntry, EpochRecord, HalvingSchedule, MaxNeurons, MinerPayouts, Salt,
    SubnetAccrual, UidMetrics, WeightCommit, WeightRow,
};
pub use weights::WeightInfo;

use mindos_primitives::ConsensusParameters;

const LOG_TARGET: &str = "runtime::consensus";

// FRAME's pallet macros expand to `expect` and `unreachable!` on values they guarantee
// themselves; the hand-written logic lives in `impls.rs`, where the lint holds.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use frame_support::{
        pallet_prelude::*,
        traits::fungible::{Inspect, Mutate},
    };
    use frame_system::pallet_prelude::*;
    use mindos_primitives::{NetUid, NeuronsInfo, StakeInfo};
    use sp_core::H256;

    /// Balance of the currency emission is minted in.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    pub(crate) const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The currency emission is minted in.
        type Currency: Mutate<Self::AccountId>;

        /// Subnets: existence, owner, hyperparameters (tempo, commit-reveal) and
        /// which subnets reach an epoch boundary.
        type Subnets: mindos_primitives::SubnetsInfo<Self::AccountId, BalanceOf<Self>>;

        /// Registrations: uids, hotkeys, owners and registration blocks.
        type Neurons: NeuronsInfo<Self::AccountId>;

        /// Stake, validator permits and the payment of validator dividends.
        type Stake: StakeInfo<Self::AccountId, BalanceOf<Self>>;

        /// Where each epoch's per-uid emission is recorded (pruning reads it).
        type Emissions: mindos_primitives::EmissionRecorder<BalanceOf<Self>>;

        /// Governed parameters: block emission, emission split, averaging rates.
        type Parameters: ConsensusParameters<BalanceOf<Self>>;

        /// Where the salt hash of every successful weights reveal goes (the sentinels pallet
        /// folds it into its committee seed). `()` drops it.
        type SaltSink: mindos_primitives::SaltSink;

        /// Which uids are quarantined (the sentinels pallet): an epoch gives them no incentive,
        /// dividends or emission. `()` quarantines nobody.
        type Quarantine: mindos_primitives::QuarantineInfo;

        /// Blocks between two `set_weights` of one validator on one subnet.
        #[pallet::constant]
        type WeightsRateLimit: Get<BlockNumberFor<Self>>;

        /// Epochs run in one block at most; more due wait in [`PendingEpochs`].
        #[pallet::constant]
        type MaxEpochsPerBlock: Get<u32>;

        /// Miner payouts minted in one block at most.
        #[pallet::constant]
        type MaxPayoutsPerBlock: Get<u32>;

        /// Epochs of per-uid contributions kept in [`History`].
        #[pallet::constant]
        type HistoryDepth: Get<u32>;

        /// Most live subnets (bounds [`Accrual`] and the queues).
        #[pallet::constant]
        type MaxSubnets: Get<u32>;

        /// Weights of this pallet's calls and hooks, from its benchmarks.
        type WeightInfo: WeightInfo;

        /// Sets up subnets, neurons, stake and permits for the benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
    }

    /// Each validator's current weights, by subnet and validator uid.
    ///
    /// TWOX-NOTE: safe, subnet ids and uids are assigned by the chain.
    #[pallet::storage]
    pub type Weights<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Twox64Concat,
        u16,
        WeightRow<BlockNumberFor<T>>,
        OptionQuery,
    >;

    /// Each validator's bonds, by subnet and validator uid.
    ///
    /// TWOX-NOTE: as for [`Weights`].
    #[pallet::storage]
    pub type Bonds<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Twox64Concat,
        u16,
        BondRow<BlockNumberFor<T>>,
        OptionQuery,
    >;

    /// A validator's pending weight commit on a subnet.
    ///
    /// TWOX-NOTE: subnet ids are assigned by the chain; hotkeys are hashed with Blake2.
    #[pallet::storage]
    pub type Commits<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Blake2_128Concat,
        T::AccountId,
        WeightCommit<BlockNumberFor<T>>,
        OptionQuery,
    >;

    /// Epochs a subnet has run.
    ///
    /// TWOX-NOTE: as for [`Weights`].
    #[pallet::storage]
    pub type EpochIndex<T: Config> = StorageMap<_, Twox64Concat, NetUid, u64, ValueQuery>;

    /// Block of a subnet's last epoch.
    ///
    /// TWOX-NOTE: as for [`Weights`].
    #[pallet::storage]
    pub type LastEpochAt<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, BlockNumberFor<T>, OptionQuery>;

    /// Results of a subnet's last epoch per uid (index = uid).
    ///
    /// TWOX-NOTE: as for [`Weights`].
    #[pallet::storage]
    pub type Metrics<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, BoundedVec<UidMetrics, MaxNeurons>, ValueQuery>;

    /// The last `HistoryDepth` epochs of a subnet, in a ring indexed by `epoch % HistoryDepth`.
    ///
    /// TWOX-NOTE: as for [`Weights`].
    #[pallet::storage]
    pub type History<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Twox64Concat,
        u32,
        EpochRecord<BalanceOf<T>, BlockNumberFor<T>>,
        OptionQuery,
    >;

    /// Emission accruing to each subnet that has run an epoch, in netuid order.
    #[pallet::storage]
    pub type Accrual<T: Config> =
        StorageValue<_, BoundedVec<SubnetAccrual<BalanceOf<T>>, T::MaxSubnets>, ValueQuery>;

    /// Subnets whose epoch is due and waits for a block with room.
    #[pallet::storage]
    pub type PendingEpochs<T: Config> =
        StorageValue<_, BoundedVec<NetUid, T::MaxSubnets>, ValueQuery>;

    /// Miner payouts still to mint, per subnet.
    ///
    /// TWOX-NOTE: as for [`Weights`].
    #[pallet::storage]
    pub type PayoutsOf<T: Config> = StorageMap<
        _,
        Twox64Concat,
        NetUid,
        MinerPayouts<BalanceOf<T>, BlockNumberFor<T>>,
        OptionQuery,
    >;

    /// Subnets with miner payouts left, oldest first.
    #[pallet::storage]
    pub type PayoutQueue<T: Config> =
        StorageValue<_, BoundedVec<NetUid, T::MaxSubnets>, ValueQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A validator committed to weights it will reveal next epoch.
        WeightsCommitted {
            /// The subnet.
            netuid: NetUid,
            /// The validator.
            hotkey: T::AccountId,
            /// The subnet's epoch counter at commit; reveal when it is one higher.
            epoch: u64,
        },
        /// A validator revealed committed weights; they count from the next epoch.
        WeightsRevealed {
            /// The subnet.
            netuid: NetUid,
            /// The validator's uid.
            uid: u16,
            /// How many uids it weighted.
            count: u32,
        },
        /// A validator set weights directly (commit-reveal off).
        WeightsSet {
            /// The subnet.
            netuid: NetUid,
            /// The validator's uid.
            uid: u16,
            /// How many uids it weighted.
            count: u32,
        },
        /// A subnet's epoch ran and paid what it had accrued.
        EpochRun {
            /// The subnet.
            netuid: NetUid,
            /// Its epoch counter after this epoch.
            epoch: u64,
            /// Validators whose weights counted.
            validators: u32,
            /// Accrued since the last epoch (including anything carried).
            accrued: BalanceOf<T>,
            /// Minted to the owner.
            to_owner: BalanceOf<T>,
            /// Queued for miners, minted over the next blocks.
            to_miners: BalanceOf<T>,
            /// Paid to validators (and through them their nominators).
            to_validators: BalanceOf<T>,
            /// Carried to the next epoch: pools nobody qualified for, or failed mints.
            carried: BalanceOf<T>,
        },
        /// A page of miner payouts was minted.
        MinersPaid {
            /// The subnet.
            netuid: NetUid,
            /// Payouts minted.
            paid: u32,
            /// Total minted.
            amount: BalanceOf<T>,
            /// Not minted: the uid changed hands since the epoch or the mint failed.
            forfeited: BalanceOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// No live subnet has this id.
        UnknownSubnet,
        /// The caller's hotkey is not registered on this subnet.
        NotRegistered,
        /// The caller's hotkey holds no validator permit on this subnet.
        NoValidatorPermit,
        /// The subnet uses commit-reveal: commit and reveal instead of `set_weights`.
        CommitRevealEnabled,
        /// The subnet has commit-reveal off: use `set_weights`.
        CommitRevealDisabled,
        /// The caller already committed in this epoch; reveal it in the next.
        AlreadyCommitted,
        /// The caller has no pending commit on this subnet.
        NoCommit,
        /// The commit's epoch has not ended yet; reveal in the next one.
        RevealTooEarly,
        /// The reveal window (the epoch after the commit) has passed; commit again.
        RevealTooLate,
        /// What was revealed does not hash to the commit.
        CommitMismatch,
        /// `uids` and `weights` differ in length.
        LengthMismatch,
        /// No weights were given.
        NoWeights,
        /// More weights than the subnet has uids.
        TooManyWeights,
        /// `uids` must be strictly increasing (sorted, no duplicates).
        UidsNotSorted,
        /// A weighted uid is not registered on the subnet.
        UnknownUid,
        /// A validator may not weight its own uid.
        SelfWeight,
        /// All weights are zero.
        AllZeroWeights,
        /// The caller set weights less than `WeightsRateLimit` blocks ago.
        RateLimited,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        // Bounded: accrual touches at most `MaxSubnets` entries, at most `MaxEpochsPerBlock`
        // epochs of at most `MAX_NEURONS_PER_SUBNET` uids run, at most `MaxPayoutsPerBlock`
        // payouts are minted; each is charged its benchmarked weight for what it processed.
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::on_block(now)
        }

        fn integrity_test() {
            assert!(
                T::MaxEpochsPerBlock::get() > 0,
                "MaxEpochsPerBlock must be positive"
            );
            assert!(
                T::MaxPayoutsPerBlock::get() > 0,
                "MaxPayoutsPerBlock must be positive"
            );
            assert!(T::HistoryDepth::get() > 0, "HistoryDepth must be positive");
            assert!(
                T::Parameters::emission_split().validate().is_ok(),
                "the emission split must sum to 100%"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call(weight(<T as Config>::WeightInfo))]
    impl<T: Config> Pallet<T> {
        /// Commit to weights without showing them: store `commit_hash`, the
        /// [`Pallet::commit_hash`] of the weights and a secret salt, to be revealed with
        /// [`Pallet::reveal_weights`] in the subnet's next epoch.
        ///
        /// - `origin`: `Signed` by a hotkey holding a validator permit on `netuid`.
        /// - `netuid`: a live subnet with commit-reveal on.
        /// - `commit_hash`: BLAKE2b-256 of the SCALE encoding of `(hotkey, netuid, uids,
        ///   weights, salt)`. Draw a fresh random 32-byte salt for every commit: a reused salt
        ///   lets anyone see that two commits hold the same weights.
        ///
        /// One commit per validator per epoch; a commit from an earlier epoch is replaced.
        ///
        /// Emits [`Event::WeightsCommitted`]. Fails with [`Error::UnknownSubnet`],
        /// [`Error::CommitRevealDisabled`], [`Error::NotRegistered`],
        /// [`Error::NoValidatorPermit`] or [`Error::AlreadyCommitted`].
        #[pallet::call_index(0)]
        pub fn commit_weights(
            origin: OriginFor<T>,
            netuid: NetUid,
            commit_hash: H256,
        ) -> DispatchResult {
            let hotkey = ensure_signed(origin)?;
            Self::do_commit_weights(hotkey, netuid, commit_hash)
        }

        /// Reveal the weights committed in the previous epoch. They replace the validator's
        /// weights and count from the subnet's next epoch.
        ///
        /// - `origin`: `Signed` by the hotkey that committed; it must still hold a permit.
        /// - `netuid`: the subnet.
        /// - `uids`: weighted uids, strictly increasing, registered on the subnet, not the
        ///   caller's own. A uid whose slot was freed since the commit, or taken by a neuron
        ///   registered after it, is dropped rather than failing the reveal.
        /// - `weights`: one per uid, not all zero; normalised by the epoch.
        /// - `salt`: the salt hashed into the commit.
        ///
        /// A bad or late reveal changes nothing; the commit stays until replaced.
        ///
        /// Emits [`Event::WeightsRevealed`]. Fails with [`Error::UnknownSubnet`],
        /// [`Error::NoCommit`], [`Error::RevealTooEarly`], [`Error::RevealTooLate`],
        /// [`Error::CommitMismatch`], [`Error::NotRegistered`], [`Error::NoValidatorPermit`]
        /// or a weights error ([`Error::LengthMismatch`], [`Error::NoWeights`],
        /// [`Error::TooManyWeights`], [`Error::UidsNotSorted`], [`Error::UnknownUid`],
        /// [`Error::SelfWeight`], [`Error::AllZeroWeights`]).
        #[pallet::call_index(1)]
        #[pallet::weight(<T as Config>::WeightInfo::reveal_weights(Pallet::<T>::weight_len(uids)))]
        pub fn reveal_weights(
            origin: OriginFor<T>,
            netuid: NetUid,
            uids: Vec<u16>,
            weights: Vec<u16>,
            salt: Salt,
        ) -> DispatchResult {
            let hotkey = ensure_signed(origin)?;
            Self::do_reveal_weights(hotkey, netuid, uids, weights, salt)
        }

        /// Set weights directly, on a subnet that turned commit-reveal off.
        ///
        /// - `origin`: `Signed` by a hotkey holding a validator permit on `netuid`.
        /// - `netuid`: a live subnet with commit-reveal off.
        /// - `uids`, `weights`: as for [`Pallet::reveal_weights`].
        ///
        /// At most once per `WeightsRateLimit` blocks per validator and subnet.
        ///
        /// Emits [`Event::WeightsSet`]. Fails with [`Error::UnknownSubnet`],
        /// [`Error::CommitRevealEnabled`], [`Error::NotRegistered`],
        /// [`Error::NoValidatorPermit`], [`Error::RateLimited`] or a weights error.
        #[pallet::call_index(2)]
        #[pallet::weight(<T as Config>::WeightInfo::set_weights(Pallet::<T>::weight_len(uids)))]
        pub fn set_weights(
            origin: OriginFor<T>,
            netuid: NetUid,
            uids: Vec<u16>,
            weights: Vec<u16>,
        ) -> DispatchResult {
            let hotkey = ensure_signed(origin)?;
            Self::do_set_weights(hotkey, netuid, uids, weights)
        }
    }
}
