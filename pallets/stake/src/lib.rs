//! # Stake pallet
//!
//! Stake is MIND a coldkey puts behind a hotkey. It never leaves the coldkey's account: it
//! is held there under [`HoldReason::Staked`] (fungible holds), so every staked planck is
//! visible on the owner's account and no pallet account can lose track of it.
//!
//! - [`Pallet::add_stake`]: any coldkey stakes on any registered hotkey (delegation).
//! - [`Pallet::remove_stake`]: starts unbonding; the stake stays held and slashable for
//!   `UnbondingPeriod` blocks; [`Pallet::withdraw_unbonded`] then releases it.
//! - [`Pallet::set_take`]: the hotkey's owner sets the share of its nominators' dividends it
//!   keeps (at most `MaxTake`; raised at most once per `TakeIncreaseRateLimit`).
//! - Validator permits: at each subnet's epoch boundary the top `max_validators` registered
//!   hotkeys by stake (with non-zero stake and at least the subnet's `min_validator_stake`)
//!   get a permit.
//! - Counted stake ([`CountedStake`]): the stake that decides how block emission is split
//!   between subnets. See *Each unit of stake counts once* below.
//! - [`StakeInfo`] for other pallets, including [`StakeInfo::slash`], which burns a share of
//!   a hotkey's stake — active and unbonding — spread over its nominators. Slashed stake is
//!   burned, not moved: there is no treasury yet, and burning rewards no one for a fault.
//!
//! ## Each unit of stake counts once
//!
//! Stake lives on a hotkey, not on a (hotkey, subnet) pair, and one hotkey may hold permits
//! on many subnets. If each subnet counted its validators' whole stake, a hotkey on K subnets
//! would count K times, and a large validator could pull most of the emission to subnets it
//! creates or joins without moving a planck (review finding C1). So each hotkey's stake is
//! **divided over its permits**: its entry on a subnet is at most `stake / permits`, and its
//! entries together never exceed its active stake. The consensus pallet splits each block's
//! emission in proportion to the subnets' totals ([`SubnetCountedStake`]), so the totals over
//! all subnets never exceed the network's active stake.
//!
//! Why divided and not allocated explicitly (as dynamic TAO's per-subnet stake does): an
//! explicit allocation is one more decision for every nominator, with stake sitting
//! unallocated by mistake and a market to game; an equal split needs nothing from users and
//! still makes joining a subnet a choice to move weight, not to add it. A validator that
//! wants its weight on one subnet validates only there.
//!
//! Entries change cheaply and safely: a subnet's entries are refreshed at its permit update
//! (its epoch boundary), where an entry may rise only into the headroom the hotkey's other
//! entries leave; anything that lowers what a hotkey may count — less active stake, a lost
//! permit, a dissolved subnet — lowers its entries at once. So the bound holds in every
//! block, while a rise waits for the subnet's next epoch.

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
mod counted;
mod impls;
mod invariants;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use mindos_primitives::{NetUid, StakeInfo};
#[cfg(feature = "runtime-benchmarks")]
pub use types::BenchmarkHelper;
pub use types::{CountedSum, UnbondingChunk};
pub use weights::WeightInfo;

const LOG_TARGET: &str = "runtime::stake";

// FRAME's pallet macros expand to `expect` and `unreachable!` on values they guarantee
// themselves; the hand-written logic lives in `impls.rs`, where the lint holds.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::{
        pallet_prelude::*,
        traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
    };
    use frame_system::pallet_prelude::*;
    use sp_runtime::{FixedU128, Perbill};

    /// Balance type of the staked currency.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// One unbonding chunk as stored.
    pub type UnbondingChunkOf<T> =
        UnbondingChunk<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

    const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The staked currency; stake is held in the coldkey's account.
        type Currency: Mutate<Self::AccountId>
            + InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

        /// The runtime's hold reasons; stake is held under [`HoldReason::Staked`].
        type RuntimeHoldReason: From<HoldReason>;

        /// Subnets: their hyperparameters and epoch boundaries.
        type Subnets: mindos_primitives::SubnetsInfo<Self::AccountId, BalanceOf<Self>>;

        /// Registrations: who owns a hotkey and which hotkeys are on a subnet.
        type Neurons: mindos_primitives::NeuronsInfo<Self::AccountId>;

        /// Blocks unbonding stake stays held (and slashable) before it can be withdrawn.
        // Not a `pallet::constant`: a runtime may govern it from storage (MindOS reads it
        // from the directives registry), and metadata cannot read storage.
        type UnbondingPeriod: Get<BlockNumberFor<Self>>;

        /// Most unbonding chunks one coldkey may have at once. Shrinking it needs a migration
        /// that merges or releases the surplus chunks (a longer list no longer decodes).
        #[pallet::constant]
        type MaxUnbondingChunks: Get<u32>;

        /// Most coldkeys with stake (active or unbonding) on one hotkey; bounds a slash.
        /// Shrinking it leaves existing nominations in place (only new ones are refused), so
        /// a slash may then touch more than the new bound until they leave.
        #[pallet::constant]
        type MaxNominators: Get<u32>;

        /// Most hotkeys one coldkey may have active stake on at once; bounds what reading a
        /// coldkey's stake on one subnet costs (governance votes do it for every voter).
        /// Shrinking it leaves existing stake in place (only new hotkeys are refused).
        #[pallet::constant]
        type MaxStakedHotkeys: Get<u32>;

        /// The smallest stake accepted, and the smallest nomination left after a partial
        /// unstake (a smaller remainder is unbonded with it: no dust nominations).
        #[pallet::constant]
        type MinStake: Get<BalanceOf<Self>>;

        /// The take of a hotkey whose owner never set one.
        #[pallet::constant]
        type DefaultTake: Get<Perbill>;

        /// The highest take an owner may set.
        #[pallet::constant]
        type MaxTake: Get<Perbill>;

        /// Blocks between two take increases of one hotkey (decreases are immediate).
        #[pallet::constant]
        type TakeIncreaseRateLimit: Get<BlockNumberFor<Self>>;

        /// Most validator permits stored per subnet (subnets asking for more get this many).
        /// Shrinking it needs a migration that truncates the stored lists.
        #[pallet::constant]
        type MaxValidatorsPerSubnet: Get<u32>;

        /// Most subnets whose permits are recomputed in one block; the rest wait. Together
        /// with `MAX_NEURONS_PER_SUBNET` it bounds the weight of `on_initialize`.
        #[pallet::constant]
        type MaxPermitUpdatesPerBlock: Get<u32>;

        /// Most subnets waiting for a permit recomputation; a subnet due while the queue is
        /// full is dropped until its next epoch. Shrinking it needs a migration that truncates
        /// the queue.
        #[pallet::constant]
        type MaxPendingPermitUpdates: Get<u32>;

        /// Most live subnets; bounds [`SubnetCountedStake`] and so how many subnets one
        /// hotkey's counted stake is spread over.
        #[pallet::constant]
        type MaxSubnets: Get<u32>;

        /// Weights of this pallet's calls and hooks, from its benchmarks.
        type WeightInfo: WeightInfo;

        /// Sets up subnets and registrations for the benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// Stake, active or unbonding.
        #[codec(index = 0)]
        Staked,
    }

    /// Active stake of a coldkey (second key) on a hotkey (first key).
    #[pallet::storage]
    pub type StakeOf<T: Config> = StorageDoubleMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        Blake2_128Concat,
        T::AccountId,
        BalanceOf<T>,
        ValueQuery,
    >;

    /// Active stake on a hotkey from all its nominators.
    #[pallet::storage]
    pub type HotkeyStake<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

    /// All active stake.
    #[pallet::storage]
    pub type TotalStake<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

    /// All active stake of a coldkey, on whatever hotkeys: its network voting weight, read
    /// without iterating.
    #[pallet::storage]
    pub type ColdkeyStake<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

    /// The hotkeys a coldkey has active stake on, in the order it first staked. Present exactly
    /// while the coldkey has active stake.
    #[pallet::storage]
    pub type StakedHotkeys<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<T::AccountId, T::MaxStakedHotkeys>,
        ValueQuery,
    >;

    /// Active stake on the hotkeys registered on a subnet, as counted at the subnet's last
    /// permit recomputation (its epoch boundary): the denominator of subnet-scoped quorums,
    /// one read instead of one per neuron.
    ///
    /// TWOX-NOTE: safe, subnet ids are assigned by the chain.
    #[pallet::storage]
    pub type SubnetStake<T: Config> = StorageMap<_, Twox64Concat, NetUid, BalanceOf<T>, ValueQuery>;

    /// A coldkey's unbonding chunks.
    #[pallet::storage]
    pub type Unbonding<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<UnbondingChunkOf<T>, T::MaxUnbondingChunks>,
        ValueQuery,
    >;

    /// What a coldkey (second key) is unbonding from a hotkey (first key): the sum of its
    /// chunks for that hotkey, so a slash finds unbonding stake without scanning accounts.
    #[pallet::storage]
    pub type UnbondingOf<T: Config> = StorageDoubleMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        Blake2_128Concat,
        T::AccountId,
        BalanceOf<T>,
        ValueQuery,
    >;

    /// All unbonding stake.
    #[pallet::storage]
    pub type TotalUnbonding<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

    /// Coldkeys with active or unbonding stake on a hotkey.
    #[pallet::storage]
    pub type NominatorCount<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

    /// The default take.
    #[pallet::type_value]
    pub fn DefaultTakeValue<T: Config>() -> Perbill {
        T::DefaultTake::get()
    }

    /// The share of its nominators' dividends a hotkey keeps.
    #[pallet::storage]
    pub type TakeOf<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, Perbill, ValueQuery, DefaultTakeValue<T>>;

    /// Validator dividends paid to a hotkey's nominators per unit of active stake, summed
    /// since genesis. A nominator is owed `stake × (index − its snapshot)`; paying it moves the
    /// snapshot up. One write per reward instead of one per nominator.
    #[pallet::storage]
    pub type RewardIndex<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, FixedU128, ValueQuery>;

    /// The [`RewardIndex`] of a hotkey (first key) at which a coldkey (second key) was last
    /// paid. Present exactly while the coldkey has active stake on the hotkey.
    #[pallet::storage]
    pub type RewardSnapshot<T: Config> = StorageDoubleMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        Blake2_128Concat,
        T::AccountId,
        FixedU128,
        ValueQuery,
    >;

    /// When a hotkey's take was last raised.
    #[pallet::storage]
    pub type TakeIncreasedAt<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>, OptionQuery>;

    /// A raised take and the block from which it applies (one `UnbondingPeriod` after the
    /// raise). Until then [`TakeOf`] applies; from then on this does
    /// ([`Pallet::take_of`]).
    #[pallet::storage]
    pub type PendingTake<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, (Perbill, BlockNumberFor<T>), OptionQuery>;

    /// Hotkeys holding a validator permit on a subnet, highest stake first.
    ///
    /// TWOX-NOTE: safe, subnet ids are assigned by the chain.
    #[pallet::storage]
    pub type ValidatorPermits<T: Config> = StorageMap<
        _,
        Twox64Concat,
        NetUid,
        BoundedVec<T::AccountId, T::MaxValidatorsPerSubnet>,
        ValueQuery,
    >;

    /// The part of a hotkey's (first key) active stake counted for emission on a subnet
    /// (second key) where it holds a validator permit. An entry exists exactly while the
    /// permit does; it may be zero while the hotkey's other entries use all its stake. See
    /// the module docs.
    ///
    /// TWOX-NOTE: safe, subnet ids are assigned by the chain.
    #[pallet::storage]
    pub type CountedStake<T: Config> = StorageDoubleMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        Twox64Concat,
        NetUid,
        BalanceOf<T>,
        OptionQuery,
    >;

    /// Sum and number of a hotkey's [`CountedStake`] entries.
    #[pallet::storage]
    pub type CountedSumOf<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, CountedSum<BalanceOf<T>>, OptionQuery>;

    /// Per subnet with permits, sorted by netuid: the sum of its [`CountedStake`] entries.
    /// Block emission is split between subnets in proportion to it; one value so that the
    /// consensus pallet reads it once per block.
    #[pallet::storage]
    pub type SubnetCountedStake<T: Config> =
        StorageValue<_, BoundedVec<(NetUid, BalanceOf<T>), T::MaxSubnets>, ValueQuery>;

    /// Subnets that reached an epoch boundary and wait for their permits to be recomputed.
    #[pallet::storage]
    pub type PendingPermitUpdates<T: Config> =
        StorageValue<_, BoundedVec<NetUid, T::MaxPendingPermitUpdates>, ValueQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A coldkey staked on a hotkey.
        StakeAdded {
            /// Whose funds.
            coldkey: T::AccountId,
            /// On which hotkey.
            hotkey: T::AccountId,
            /// How much was added (now held).
            amount: BalanceOf<T>,
        },
        /// A coldkey started unbonding stake from a hotkey.
        StakeUnbonding {
            /// Whose funds.
            coldkey: T::AccountId,
            /// From which hotkey.
            hotkey: T::AccountId,
            /// How much is unbonding (more than asked when the remainder was below
            /// `MinStake`).
            amount: BalanceOf<T>,
            /// First block it can be withdrawn.
            unlock_at: BlockNumberFor<T>,
        },
        /// Matured unbonding stake was released to its coldkey.
        StakeWithdrawn {
            /// Whose funds.
            coldkey: T::AccountId,
            /// How much was released.
            amount: BalanceOf<T>,
        },
        /// A hotkey's owner lowered (or kept) its take; it applies at once.
        TakeSet {
            /// The hotkey.
            hotkey: T::AccountId,
            /// Its new take.
            take: Perbill,
        },
        /// A hotkey's owner raised its take; it applies from block `at`, one unbonding period
        /// away, so nominators can leave before it does.
        TakeIncreaseScheduled {
            /// The hotkey.
            hotkey: T::AccountId,
            /// The raised take.
            take: Perbill,
            /// First block it applies.
            at: BlockNumberFor<T>,
        },
        /// Stake on a hotkey was slashed (burned).
        StakeSlashed {
            /// The slashed hotkey.
            hotkey: T::AccountId,
            /// Total burned from its nominators, active and unbonding.
            amount: BalanceOf<T>,
        },
        /// A hotkey was paid validator dividends.
        ValidatorRewarded {
            /// The hotkey.
            hotkey: T::AccountId,
            /// Minted at once to the hotkey's owner (its take, or everything when nobody
            /// stakes on it).
            to_owner: BalanceOf<T>,
            /// Left to its nominators, claimable with [`Pallet::claim_rewards`].
            to_nominators: BalanceOf<T>,
        },
        /// A nominator was paid its share of a hotkey's dividends (minted as free balance).
        RewardsPaid {
            /// The nominator.
            coldkey: T::AccountId,
            /// The hotkey it stakes on.
            hotkey: T::AccountId,
            /// How much.
            amount: BalanceOf<T>,
        },
        /// A subnet's validator permits were recomputed at its epoch boundary.
        ValidatorPermitsUpdated {
            /// The subnet.
            netuid: NetUid,
            /// How many hotkeys now hold a permit.
            validators: u32,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The amount is zero.
        ZeroAmount,
        /// The amount is below `MinStake`.
        AmountBelowMinimum,
        /// The hotkey was never registered, so stake on it would serve nothing.
        HotkeyNotRegistered,
        /// The coldkey cannot hold this much (keeping its account alive).
        InsufficientBalance,
        /// The coldkey has less active stake on this hotkey than asked.
        NotEnoughStake,
        /// The coldkey already has `MaxUnbondingChunks` chunks; withdraw matured ones first.
        TooManyUnbondingChunks,
        /// The hotkey already has `MaxNominators` nominators.
        TooManyNominators,
        /// A new nominator on this hotkey must stake at least
        /// [`Pallet::new_nomination_minimum`], which doubles with every eighth of
        /// `MaxNominators` taken, so dust cannot fill a popular validator's slots.
        NominationBelowMinimum,
        /// No unbonding chunk of the caller has matured.
        NothingToWithdraw,
        /// Only the coldkey that owns the hotkey may do this.
        NotHotkeyOwner,
        /// The take is above `MaxTake`.
        TakeTooHigh,
        /// The take was raised less than `TakeIncreaseRateLimit` blocks ago.
        TakeRateLimited,
        /// A total would overflow.
        Overflow,
        /// The caller has no dividends waiting on this hotkey.
        NothingToClaim,
        /// The coldkey already has active stake on `MaxStakedHotkeys` hotkeys; unstake from
        /// one first.
        TooManyStakedHotkeys,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        // Permits of the subnets at an epoch boundary. Bounded: at most
        // `MaxPermitUpdatesPerBlock` subnets of at most `MAX_NEURONS_PER_SUBNET` neurons.
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::update_permits_at(now)
        }

        fn integrity_test() {
            assert!(
                T::MaxUnbondingChunks::get() > 0,
                "MaxUnbondingChunks must be positive"
            );
            assert!(
                T::MaxNominators::get() > 0,
                "MaxNominators must be positive"
            );
            assert!(
                T::MaxStakedHotkeys::get() > 0,
                "MaxStakedHotkeys must be positive"
            );
            assert!(
                T::MaxValidatorsPerSubnet::get() > 0,
                "MaxValidatorsPerSubnet must be positive"
            );
            assert!(
                T::MaxPermitUpdatesPerBlock::get() > 0,
                "MaxPermitUpdatesPerBlock must be positive"
            );
            assert!(
                T::MaxPendingPermitUpdates::get() > 0,
                "MaxPendingPermitUpdates must be positive"
            );
            assert!(
                T::DefaultTake::get() <= T::MaxTake::get(),
                "DefaultTake must not exceed MaxTake"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call(weight(<T as Config>::WeightInfo))]
    impl<T: Config> Pallet<T> {
        /// Stake `amount` from the caller's free balance on `hotkey`. The funds stay in the
        /// caller's account, held under [`HoldReason::Staked`].
        ///
        /// - `origin`: `Signed` by the coldkey whose funds are staked; any coldkey may stake
        ///   on any registered hotkey (delegation).
        /// - `hotkey`: a hotkey that has been registered on some subnet.
        /// - `amount`: at least `MinStake`; a coldkey not yet nominating the hotkey needs at
        ///   least [`Pallet::new_nomination_minimum`] (review L2: 512 dust nominations once
        ///   locked a validator out of delegation for 512 MIND).
        ///
        /// Emits [`Event::StakeAdded`]. Fails with [`Error::ZeroAmount`],
        /// [`Error::AmountBelowMinimum`], [`Error::NominationBelowMinimum`],
        /// [`Error::HotkeyNotRegistered`], [`Error::TooManyNominators`],
        /// [`Error::TooManyStakedHotkeys`] or [`Error::InsufficientBalance`].
        #[pallet::call_index(0)]
        pub fn add_stake(
            origin: OriginFor<T>,
            hotkey: T::AccountId,
            amount: BalanceOf<T>,
        ) -> DispatchResult {
            let coldkey = ensure_signed(origin)?;
            Self::do_add_stake(coldkey, hotkey, amount)
        }

        /// Start unbonding `amount` of the caller's active stake on `hotkey`. It stays held
        /// and slashable for `UnbondingPeriod` blocks; then [`Pallet::withdraw_unbonded`]
        /// releases it. If less than `MinStake` would remain active, all of it unbonds.
        ///
        /// - `origin`: `Signed` by the coldkey that staked.
        /// - `hotkey`: the hotkey the stake is on.
        /// - `amount`: non-zero, at most the active stake.
        ///
        /// Less active stake lowers what the hotkey counts for emission on its subnets at
        /// once (module docs); the weight covers that on `MaxSubnets` subnets and the part not
        /// used is refunded.
        ///
        /// Emits [`Event::StakeUnbonding`]. Fails with [`Error::ZeroAmount`],
        /// [`Error::NotEnoughStake`] or [`Error::TooManyUnbondingChunks`].
        #[pallet::call_index(1)]
        #[pallet::weight(Pallet::<T>::remove_stake_weight(T::MaxSubnets::get()))]
        pub fn remove_stake(
            origin: OriginFor<T>,
            hotkey: T::AccountId,
            amount: BalanceOf<T>,
        ) -> DispatchResultWithPostInfo {
            let coldkey = ensure_signed(origin)?;
            let lowered = Self::do_remove_stake(coldkey, hotkey, amount)?;
            Ok(Some(Self::remove_stake_weight(lowered)).into())
        }

        /// Release every unbonding chunk of the caller that has matured.
        ///
        /// - `origin`: `Signed` by the coldkey.
        ///
        /// Emits [`Event::StakeWithdrawn`]. Fails with [`Error::NothingToWithdraw`].
        #[pallet::call_index(2)]
        pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
            let coldkey = ensure_signed(origin)?;
            Self::do_withdraw_unbonded(coldkey)
        }

        /// Set the share of its nominators' dividends `hotkey` keeps. Lowering takes effect at
        /// once (and drops a raise still pending). Raising is allowed once per
        /// `TakeIncreaseRateLimit` blocks and applies only one `UnbondingPeriod` later
        /// (review L1: it used to bite at the next epoch), so a nominator who unbonds when it
        /// is announced is out before it applies. Shrinking a pending raise keeps its date.
        ///
        /// - `origin`: `Signed` by the coldkey that owns `hotkey`.
        /// - `take`: at most `MaxTake`.
        ///
        /// Emits [`Event::TakeSet`] or [`Event::TakeIncreaseScheduled`]. Fails with
        /// [`Error::NotHotkeyOwner`], [`Error::TakeTooHigh`] or [`Error::TakeRateLimited`].
        #[pallet::call_index(3)]
        pub fn set_take(
            origin: OriginFor<T>,
            hotkey: T::AccountId,
            take: Perbill,
        ) -> DispatchResult {
            let coldkey = ensure_signed(origin)?;
            Self::do_set_take(coldkey, hotkey, take)
        }

        /// Pay the caller its share of the validator dividends `hotkey` earned since the
        /// caller's stake on it last changed, as free balance. Adding or removing stake pays
        /// this share too, so it is never lost by changing stake.
        ///
        /// - `origin`: `Signed` by a coldkey with active stake on `hotkey`.
        /// - `hotkey`: the hotkey it stakes on.
        ///
        /// Emits [`Event::RewardsPaid`]. Fails with [`Error::NothingToClaim`].
        #[pallet::call_index(4)]
        pub fn claim_rewards(origin: OriginFor<T>, hotkey: T::AccountId) -> DispatchResult {
            let coldkey = ensure_signed(origin)?;
            let paid = Self::settle_rewards(&hotkey, &coldkey)?;
            ensure!(!paid.is_zero(), Error::<T>::NothingToClaim);
            Ok(())
        }
    }
}
