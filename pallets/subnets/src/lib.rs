//! # Subnets pallet
//!
//! The registry of MindOS subnets. A subnet is a task — a model, the data it serves and how
//! answers are scored — that miners serve and validators score. This pallet records who owns
//! each subnet, its [`TaskSpec`], its [`Hyperparameters`] and who may join it.
//!
//! - [`Pallet::create_subnet`]: anyone who pays the creation burn ([`Config::CreationBurn`],
//!   never refunded) and can hold the lock deposit creates a subnet and owns it. The deposit
//!   is held (not transferred) and rises with the number of live subnets, so the registry
//!   cannot be spammed; at most one subnet is created per [`Config::SubnetCreationInterval`]
//!   blocks, network-wide.
//! - [`Pallet::set_hyperparameters`]: the owner queues a change, within
//!   [`HyperparameterBoundsOf`] (which only `BoundsOrigin`, governance, changes); it takes
//!   effect at the subnet's next epoch boundary (see *Hyperparameter changes*).
//! - [`Pallet::set_visibility`]: the owner changes who may register, at once.
//! - [`Pallet::dissolve_subnet`]: the owner ends the subnet; [`Config::OnDissolve`] clears
//!   what other pallets keep for it, and the deposit is released.
//!
//! Other pallets read subnets through the [`SubnetsInfo`] trait and clear their per-subnet
//! state through [`OnSubnetDissolved`]; both live in `mindos-primitives`, so those pallets need
//! not depend on this one.
//!
//! ## Hyperparameter changes
//!
//! An owner who could change hyperparameters at any block could pick epoch blocks at will
//! (the boundary depended only on the current tempo), squeeze the reveal window below what
//! validators acting on finalized blocks can meet, evict validators mid-epoch or turn
//! commit-reveal off under them. So:
//!
//! - The owner's change is stored in [`PendingHyperparameters`] (one per subnet; a newer one
//!   replaces it) and applied by this pallet's `on_initialize` at the subnet's next epoch
//!   boundary. The pallet must come before the stake and consensus pallets in the runtime, so
//!   the boundary's permit update and epoch already use the new values. The change is checked
//!   against the bounds when queued and again when applied (dropped with
//!   [`Event::PendingHyperparametersDropped`] if the bounds moved).
//! - At most one change per [`Config::HyperparametersRateLimit`] epochs of the subnet,
//!   counted from the block the last one was queued ([`Error::HyperparametersRateLimited`]).
//! - The epoch schedule is anchored ([`EpochSchedule`], [`EpochTiming`]): a new tempo
//!   changes the periods after the boundary it takes effect at, never that boundary, so no
//!   epoch comes sooner than the schedule in force said. A new subnet's epochs follow the
//!   staggered rule [`mindos_primitives::is_epoch_boundary`] until its first tempo change.
//! - Governance ([`Pallet::apply_hyperparameters`], what an enacted subnet-scoped proposal
//!   calls) wins: its values take effect at once — the proposal was public for its whole vote
//!   and enactment delay, so validators had time to prepare — except the tempo, which is
//!   anchored the same way (the next boundary stays). It drops a change the owner had queued,
//!   and the owner may not change the hyperparameters for [`Config::GovernanceCooldown`]
//!   blocks ([`Error::HyperparametersGoverned`]).
//!
//! ## Subnet ids
//!
//! [`NetUid`] is a `u16` and ids are never reused, so old references (a validator's config,
//! an explorer link, a past proposal) can never point at a different subnet. The id space is
//! kept from running out by cost and time, not width: every creation burns
//! [`Config::CreationBurn`] (dissolving releases only the deposit), and creations are
//! [`Config::SubnetCreationInterval`] blocks apart. MindOS burns 100 MIND and allows one
//! creation an hour, so the 65,535 ids take at least 65,535 hours (7.5 years) of creations
//! back to back and burn 6,553,500 MIND, 31 % of the 21,024,000 MIND there will ever be (the
//! runtime test `subnet_ids_cannot_be_used_up_quickly_or_cheaply` checks this against the
//! runtime's constants). Before the burn and the limit, 65,535 create-and-dissolve pairs cost
//! about 150 MIND of fees and could be done in days. Widening to `u32` would touch every
//! `NetUid`-keyed map and every off-chain user; `NextNetUid` is public, so an approaching end
//! is visible years ahead and can be met with a migration then.
//!
//! No network holds state of this pallet yet: the storage added for these rules
//! ([`LastSubnetCreatedAt`], [`PendingHyperparameters`], [`HyperparametersQueuedAt`],
//! [`GovernedUntil`]) and the anchored [`EpochSchedule`] need no migration.

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
mod impls;
#[cfg(test)]
mod mock;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use mindos_primitives::{
    HyperparameterBounds, Hyperparameters, Modality, NetUid, Range, ScoringRule, TaskSpec,
};
pub use types::{EpochTiming, SubnetInfo, Visibility};
pub use weights::WeightInfo;

use mindos_primitives::OnSubnetDissolved;
// Named only in docs (the crate's, and storage docs that reach the chain's metadata word for
// word, so they keep the short name).
#[allow(unused_imports)]
use mindos_primitives::SubnetsInfo;

const LOG_TARGET: &str = "runtime::subnets";

// FRAME's pallet macros expand to `expect` and `unreachable!` on values they guarantee
// themselves (e.g. storage prefixes); the hand-written logic lives in `impls.rs`, where the
// lints hold.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use frame_support::{
        pallet_prelude::*,
        traits::fungible::{Inspect, Mutate, MutateHold},
    };
    use frame_system::pallet_prelude::*;

    /// Balance type of the currency deposits are held in.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// The stored record of one subnet.
    pub type SubnetOf<T> = SubnetInfo<
        <T as frame_system::Config>::AccountId,
        BalanceOf<T>,
        BlockNumberFor<T>,
        <T as Config>::MaxNameLength,
        <T as Config>::MaxAllowList,
    >;

    /// Who may register on a subnet, as stored.
    pub type VisibilityOf<T> =
        Visibility<<T as frame_system::Config>::AccountId, <T as Config>::MaxAllowList>;

    /// A subnet in the genesis config: owner, name, task, hyperparameters.
    pub type GenesisSubnet<T> = (
        <T as frame_system::Config>::AccountId,
        Vec<u8>,
        TaskSpec,
        Hyperparameters<BalanceOf<T>>,
    );

    const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    /// Defaults for the parts of [`Config`] a test runtime need not choose, so a mock names
    /// only its currency and its dissolution hook:
    ///
    /// ```ignore
    /// #[derive_impl(pallet_mindos_subnets::config_preludes::TestDefaultConfig)]
    /// impl pallet_mindos_subnets::Config for Test {
    ///     type Currency = Balances;
    ///     type OnDissolve = Neurons;
    /// }
    /// ```
    pub mod config_preludes {
        use super::*;
        use frame_support::{derive_impl, traits::ConstUint};

        /// Deposits of 100 plus 10 per live subnet, no creation burn and no creation rate
        /// limit (so other pallets' tests create subnets freely; this pallet's mock sets
        /// both), owner changes at most every 2 epochs, governed values binding for 100
        /// blocks, 4 subnets, names of 32 bytes, allow-lists of 8, root sets the bounds,
        /// nothing to clear on dissolution, zero weights.
        pub struct TestDefaultConfig;

        #[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
        impl frame_system::DefaultConfig for TestDefaultConfig {}

        #[frame_support::register_default_impl(TestDefaultConfig)]
        impl DefaultConfig for TestDefaultConfig {
            #[inject_runtime_type]
            type RuntimeHoldReason = ();
            type BaseLockDeposit = ConstUint<100>;
            type LockDepositPerLiveSubnet = ConstUint<10>;
            type CreationBurn = ConstUint<0>;
            type SubnetCreationInterval = ConstUint<0>;
            type HyperparametersRateLimit = ConstU32<2>;
            type GovernanceCooldown = ConstUint<100>;
            type MaxSubnets = ConstU32<4>;
            type MaxNameLength = ConstU32<32>;
            type MaxAllowList = ConstU32<8>;
            type BoundsOrigin = frame_system::EnsureRoot<Self::AccountId>;
            type OnDissolve = ();
            type WeightInfo = ();
        }
    }

    #[pallet::config(with_default)]
    pub trait Config: frame_system::Config {
        /// The currency the lock deposit is held in.
        #[pallet::no_default]
        type Currency: Mutate<Self::AccountId>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

        /// The runtime's hold reasons; the deposit is held under [`HoldReason::SubnetLock`].
        #[pallet::no_default_bounds]
        type RuntimeHoldReason: From<HoldReason>;

        /// Deposit for the first live subnet.
        // Not a `pallet::constant`: a runtime may govern it from storage (MindOS reads it
        // from the directives registry), and metadata cannot read storage.
        #[pallet::no_default_bounds]
        type BaseLockDeposit: Get<BalanceOf<Self>>;

        /// Extra deposit for every subnet already live, so each new subnet costs more.
        // Not a `pallet::constant`: a runtime may govern it from storage (MindOS reads it
        // from the directives registry), and metadata cannot read storage.
        #[pallet::no_default_bounds]
        type LockDepositPerLiveSubnet: Get<BalanceOf<Self>>;

        /// Burned (not held) from the owner at every creation, and never refunded: what
        /// makes creating and dissolving subnets in a loop cost real money, since the
        /// deposit comes back. See the crate docs for why this and
        /// [`Config::SubnetCreationInterval`] keep the `u16` id space from running out.
        #[pallet::constant]
        #[pallet::no_default_bounds]
        type CreationBurn: Get<BalanceOf<Self>>;

        /// Blocks that must pass after a creation before the next one, network-wide (zero:
        /// no limit). Bounds how fast subnet ids can be used up.
        #[pallet::constant]
        #[pallet::no_default_bounds]
        type SubnetCreationInterval: Get<BlockNumberFor<Self>>;

        /// An owner may queue a hyperparameter change at most once per this many of the
        /// subnet's epochs (`tempo + 1` blocks each, at the tempo in force when asking).
        #[pallet::constant]
        type HyperparametersRateLimit: Get<u32>;

        /// Blocks after governance sets a subnet's hyperparameters during which its owner may
        /// not change them.
        #[pallet::constant]
        #[pallet::no_default_bounds]
        type GovernanceCooldown: Get<BlockNumberFor<Self>>;

        /// The most subnets that can be live at once. Shrinking it needs a migration that
        /// dissolves the surplus.
        #[pallet::constant]
        type MaxSubnets: Get<u32>;

        /// The longest subnet name, in bytes.
        #[pallet::constant]
        type MaxNameLength: Get<u32>;

        /// The longest allow-list of a permissioned subnet. Shrinking it needs a migration
        /// that truncates or converts longer lists.
        #[pallet::constant]
        type MaxAllowList: Get<u32>;

        /// May change [`HyperparameterBoundsOf`] (governance; root on dev chains).
        #[pallet::no_default_bounds]
        type BoundsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

        /// Clears what other pallets keep for a dissolved subnet (its neurons, weights).
        type OnDissolve: OnSubnetDissolved;

        /// Weights of this pallet's calls, from its benchmarks.
        type WeightInfo: WeightInfo;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// The lock deposit of a subnet the account owns.
        #[codec(index = 0)]
        SubnetLock,
    }

    /// Live subnets by id.
    ///
    /// TWOX-NOTE: safe, the chain assigns ids sequentially; users cannot choose them.
    #[pallet::storage]
    pub type SubnetInfoOf<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, SubnetOf<T>, OptionQuery>;

    /// The id the next subnet gets. Ids are never reused, so old references cannot point at a
    /// new subnet.
    #[pallet::storage]
    pub type NextNetUid<T: Config> = StorageValue<_, NetUid, ValueQuery>;

    /// Block of the last `create_subnet` (genesis subnets do not count): the next creation
    /// is allowed from this block plus [`Config::SubnetCreationInterval`].
    #[pallet::storage]
    pub type LastSubnetCreatedAt<T: Config> = StorageValue<_, BlockNumberFor<T>, OptionQuery>;

    /// Number of live subnets (kept so the deposit and the cap need no iteration).
    #[pallet::storage]
    pub type SubnetCount<T: Config> = StorageValue<_, u32, ValueQuery>;

    /// `(netuid, timing)` of every live subnet, in id order: one small read per block tells
    /// which subnets reach an epoch boundary ([`SubnetsInfo::epochs_due`]) without loading
    /// whole subnet records. The timing is anchored ([`EpochTiming`]): a tempo change takes
    /// effect at a boundary and changes only the periods after it.
    #[pallet::storage]
    pub type EpochSchedule<T: Config> =
        StorageValue<_, BoundedVec<(NetUid, EpochTiming), T::MaxSubnets>, ValueQuery>;

    /// The owner's queued hyperparameter change of a subnet, applied at its next epoch
    /// boundary. One per subnet: a new one replaces it.
    ///
    /// TWOX-NOTE: safe, keys are chain-assigned subnet ids.
    #[pallet::storage]
    pub type PendingHyperparameters<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, Hyperparameters<BalanceOf<T>>, OptionQuery>;

    /// Block at which a subnet's owner last queued a hyperparameter change (the rate limit,
    /// [`Config::HyperparametersRateLimit`], counts from it).
    ///
    /// TWOX-NOTE: safe, keys are chain-assigned subnet ids.
    #[pallet::storage]
    pub type HyperparametersQueuedAt<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, BlockNumberFor<T>, OptionQuery>;

    /// Until this block the subnet's owner may not change its hyperparameters: governance set
    /// them ([`Config::GovernanceCooldown`]).
    ///
    /// TWOX-NOTE: safe, keys are chain-assigned subnet ids.
    #[pallet::storage]
    pub type GovernedUntil<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, BlockNumberFor<T>, OptionQuery>;

    /// The bounds every subnet's hyperparameters must respect.
    #[pallet::storage]
    pub type HyperparameterBoundsOf<T: Config> =
        StorageValue<_, HyperparameterBounds<BalanceOf<T>>, OptionQuery>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// Initial hyperparameter bounds (required for subnets to be created).
        pub bounds: Option<HyperparameterBounds<BalanceOf<T>>>,
        /// Subnets that exist from genesis: owner, name, task, hyperparameters. No deposit is
        /// held for them.
        pub subnets: Vec<GenesisSubnet<T>>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        #[allow(clippy::panic)] // a broken chain spec must not produce a chain
        fn build(&self) {
            if let Some(bounds) = &self.bounds {
                assert!(
                    bounds.is_valid(),
                    "genesis hyperparameter bounds are invalid"
                );
                HyperparameterBoundsOf::<T>::put(bounds);
            }
            // A chain spec that breaks these rules must not produce a chain: fail loudly here.
            for (owner, name, task, params) in &self.subnets {
                let Ok(name) = BoundedVec::<u8, T::MaxNameLength>::try_from(name.clone()) else {
                    panic!("genesis subnet name is longer than MaxNameLength");
                };
                if let Err(e) = Pallet::<T>::check_hyperparameters(params) {
                    panic!("genesis subnet hyperparameters out of bounds: {e:?}");
                }
                if let Err(e) = Pallet::<T>::insert_subnet(
                    owner.clone(),
                    name,
                    task.clone(),
                    params.clone(),
                    Visibility::Public,
                    Default::default(),
                ) {
                    panic!("genesis subnets do not fit: {e:?}");
                }
            }
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A subnet was created, its creation burn burned and its lock deposit held.
        SubnetCreated {
            /// The new subnet's id.
            netuid: NetUid,
            /// Its owner, who paid the burn and the deposit.
            owner: T::AccountId,
            /// The deposit now held.
            deposit: BalanceOf<T>,
            /// What was burned; never refunded.
            burned: BalanceOf<T>,
        },
        /// A subnet's owner queued a hyperparameter change for the subnet's next epoch
        /// boundary (replacing any change queued before).
        HyperparametersQueued {
            /// The subnet.
            netuid: NetUid,
            /// The hyperparameters it will have.
            hyperparameters: Hyperparameters<BalanceOf<T>>,
            /// The boundary block the change takes effect at.
            effective_at: BlockNumberFor<T>,
        },
        /// A subnet's queued hyperparameters took effect at its epoch boundary.
        HyperparametersSet {
            /// The subnet.
            netuid: NetUid,
            /// Its new hyperparameters.
            hyperparameters: Hyperparameters<BalanceOf<T>>,
        },
        /// Governance set a subnet's hyperparameters; they take effect at once (a new tempo
        /// from the next epoch boundary on) and its owner may not change them for a while.
        HyperparametersSetByGovernance {
            /// The subnet.
            netuid: NetUid,
            /// Its new hyperparameters.
            hyperparameters: Hyperparameters<BalanceOf<T>>,
            /// The first block at which the owner may queue a change again.
            owner_locked_until: BlockNumberFor<T>,
        },
        /// A subnet's queued hyperparameter change was dropped without taking effect:
        /// governance set the hyperparameters first, or at the boundary the change no longer
        /// fitted the bounds.
        PendingHyperparametersDropped {
            /// The subnet.
            netuid: NetUid,
            /// The change that was dropped.
            hyperparameters: Hyperparameters<BalanceOf<T>>,
        },
        /// A subnet's owner changed who may register on it.
        VisibilitySet {
            /// The subnet.
            netuid: NetUid,
            /// Whether only allow-listed hotkeys may now register.
            permissioned: bool,
        },
        /// A subnet was dissolved and its deposit released to the owner.
        SubnetDissolved {
            /// The dissolved subnet's id (never reused).
            netuid: NetUid,
            /// Its former owner.
            owner: T::AccountId,
            /// The deposit released back to the owner.
            deposit_released: BalanceOf<T>,
        },
        /// Governance changed the hyperparameter bounds.
        HyperparameterBoundsSet {
            /// The new bounds.
            bounds: HyperparameterBounds<BalanceOf<T>>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The name is empty.
        EmptyName,
        /// The name is longer than `MaxNameLength`.
        NameTooLong,
        /// `MaxSubnets` subnets are live already.
        TooManySubnets,
        /// Every subnet id has been used.
        NetUidsExhausted,
        /// No live subnet has this id.
        UnknownSubnet,
        /// Only the subnet's owner may do this.
        NotSubnetOwner,
        /// The caller cannot pay the creation burn and hold the lock deposit.
        InsufficientBalanceForDeposit,
        /// A subnet was created less than `SubnetCreationInterval` blocks ago; the next
        /// creation is allowed from block [`LastSubnetCreatedAt`] + `SubnetCreationInterval`.
        SubnetCreationRateLimited,
        /// The owner queued a change less than `HyperparametersRateLimit` epochs ago (and it
        /// already took effect); the next is allowed from block [`HyperparametersQueuedAt`] +
        /// `HyperparametersRateLimit × (tempo + 1)`.
        HyperparametersRateLimited,
        /// Governance set this subnet's hyperparameters; its owner may change them again from
        /// block [`GovernedUntil`].
        HyperparametersGoverned,
        /// No hyperparameter bounds are set yet, so no subnet can be created.
        NoBounds,
        /// `tempo` is outside the governed bounds.
        TempoOutOfBounds,
        /// `max_neurons` is outside the governed bounds.
        MaxNeuronsOutOfBounds,
        /// `max_validators` is outside the governed bounds or above `max_neurons`.
        MaxValidatorsOutOfBounds,
        /// `immunity_period` is outside the governed bounds.
        ImmunityPeriodOutOfBounds,
        /// `min_validator_stake` is outside the governed bounds.
        MinValidatorStakeOutOfBounds,
        /// A permissioned subnet needs at least one account on its allow-list.
        EmptyAllowList,
        /// The bounds are empty ranges or exceed hard limits.
        InvalidBounds,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        /// Applies the queued hyperparameter changes of the subnets whose epoch boundary is
        /// `now`. This pallet's hooks run before the stake and consensus pallets' (it comes
        /// first in the runtime), so the boundary's permits and epoch already see them.
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::apply_pending_at(now)
        }

        fn integrity_test() {
            assert!(T::MaxSubnets::get() > 0, "MaxSubnets must be positive");
            assert!(
                T::MaxNameLength::get() > 0,
                "MaxNameLength must be positive"
            );
            assert!(T::MaxAllowList::get() > 0, "MaxAllowList must be positive");
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call(weight(<T as Config>::WeightInfo))]
    impl<T: Config> Pallet<T> {
        /// Create a subnet owned by the caller.
        ///
        /// - `origin`: `Signed` by the future owner, who must be able to pay the
        ///   `CreationBurn` (burned, never refunded) and hold the lock deposit
        ///   ([`Pallet::lock_deposit`]: `BaseLockDeposit + LockDepositPerLiveSubnet × live
        ///   subnets`; released at dissolution). At most one creation per
        ///   `SubnetCreationInterval` blocks, network-wide.
        /// - `name`: 1 to `MaxNameLength` bytes.
        /// - `task`: the model digest, schemas and scoring rule miners and validators follow.
        /// - `hyperparameters`: within [`HyperparameterBoundsOf`].
        /// - `visibility`: `Public`, or `Permissioned` with a non-empty allow-list of hotkeys.
        ///
        /// Emits [`Event::SubnetCreated`]. Fails with [`Error::EmptyName`],
        /// [`Error::NameTooLong`], [`Error::TooManySubnets`], [`Error::NetUidsExhausted`],
        /// [`Error::SubnetCreationRateLimited`], [`Error::NoBounds`], an `*OutOfBounds`
        /// error, [`Error::EmptyAllowList`] or [`Error::InsufficientBalanceForDeposit`].
        #[pallet::call_index(0)]
        pub fn create_subnet(
            origin: OriginFor<T>,
            name: BoundedVec<u8, T::MaxNameLength>,
            task: TaskSpec,
            hyperparameters: Hyperparameters<BalanceOf<T>>,
            visibility: VisibilityOf<T>,
        ) -> DispatchResult {
            let owner = ensure_signed(origin)?;
            Self::do_create_subnet(owner, name, task, hyperparameters, visibility)
        }

        /// Queue a change of a subnet's hyperparameters for its next epoch boundary, where
        /// it takes effect before the boundary's permits and epoch (and emits
        /// [`Event::HyperparametersSet`]). A new tempo changes the periods after that
        /// boundary, never the boundary itself. A change queued while another waits replaces
        /// it; otherwise at most one per `HyperparametersRateLimit` epochs. Changes are
        /// checked against the bounds now and again at the boundary (dropped with
        /// [`Event::PendingHyperparametersDropped`] if they no longer fit).
        ///
        /// - `origin`: `Signed` by the subnet's owner.
        /// - `netuid`: a live subnet whose hyperparameters governance has not set within
        ///   `GovernanceCooldown` blocks.
        /// - `hyperparameters`: within [`HyperparameterBoundsOf`].
        ///
        /// Emits [`Event::HyperparametersQueued`]. Fails with [`Error::UnknownSubnet`],
        /// [`Error::NotSubnetOwner`], [`Error::HyperparametersGoverned`],
        /// [`Error::HyperparametersRateLimited`] or an `*OutOfBounds` error.
        #[pallet::call_index(1)]
        pub fn set_hyperparameters(
            origin: OriginFor<T>,
            netuid: NetUid,
            hyperparameters: Hyperparameters<BalanceOf<T>>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_set_hyperparameters(who, netuid, hyperparameters)
        }

        /// Change who may register on a subnet. Neurons already registered stay.
        ///
        /// - `origin`: `Signed` by the subnet's owner.
        /// - `netuid`: a live subnet.
        /// - `visibility`: `Public`, or `Permissioned` with a non-empty allow-list.
        ///
        /// Emits [`Event::VisibilitySet`]. Fails with [`Error::UnknownSubnet`],
        /// [`Error::NotSubnetOwner`] or [`Error::EmptyAllowList`].
        #[pallet::call_index(2)]
        pub fn set_visibility(
            origin: OriginFor<T>,
            netuid: NetUid,
            visibility: VisibilityOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_set_visibility(who, netuid, visibility)
        }

        /// Dissolve a subnet: its neurons are removed (stake stays with the stakers), a queued
        /// hyperparameter change is dropped and the lock deposit is released to the owner
        /// (the creation burn is not refunded). Its id is never reused.
        ///
        /// - `origin`: `Signed` by the subnet's owner.
        /// - `netuid`: a live subnet.
        ///
        /// Emits [`Event::SubnetDissolved`]. Fails with [`Error::UnknownSubnet`] or
        /// [`Error::NotSubnetOwner`].
        #[pallet::call_index(3)]
        #[pallet::weight(
            <T as Config>::WeightInfo::dissolve_subnet().saturating_add(T::OnDissolve::max_weight())
        )]
        pub fn dissolve_subnet(origin: OriginFor<T>, netuid: NetUid) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let cleanup = Self::do_dissolve_subnet(who, netuid)?;
            Ok(Some(<T as Config>::WeightInfo::dissolve_subnet().saturating_add(cleanup)).into())
        }

        /// Set the bounds subnet owners must keep their hyperparameters in. Subnets already
        /// outside the new bounds keep their values until their owner next changes them.
        ///
        /// - `origin`: `BoundsOrigin` (governance).
        /// - `bounds`: non-empty ranges; `max_neurons` at most 4,096; `tempo` at least 1.
        ///
        /// Emits [`Event::HyperparameterBoundsSet`]. Fails with [`Error::InvalidBounds`].
        #[pallet::call_index(4)]
        #[pallet::weight(Pallet::<T>::bounds_weight())]
        pub fn set_hyperparameter_bounds(
            origin: OriginFor<T>,
            bounds: HyperparameterBounds<BalanceOf<T>>,
        ) -> DispatchResult {
            T::BoundsOrigin::ensure_origin(origin)?;
            Self::apply_bounds(bounds)
        }
    }
}
