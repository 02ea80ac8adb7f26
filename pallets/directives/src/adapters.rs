//! How other pallets read the governed parameters: [`ConsensusParameters`] and
//! [`SentinelParameters`] implemented by the pallet, and one `Get` adapter per scalar for
//! other pallets' `Config`s (e.g. `type BurnFloor = pallet_mindos_directives::BurnFloor<Runtime>`).
//!
//! Each read is one read of the [`Parameters`] storage value, so a value set by an enacted
//! proposal is seen from the next read on, and never before its enactment.

use crate::{pallet::*, SentinelParameters};
use core::marker::PhantomData;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_consensus_math::{EmissionSplit, EpochParams};
use mindos_primitives::ConsensusParameters;
use mindos_primitives::HyperparameterBounds;
use sp_runtime::{FixedU128, Perbill};

impl<T: Config> ConsensusParameters<BalanceOf<T>> for Pallet<T> {
    /// The governed block emission, halved once per governed halving interval since genesis.
    /// A new interval applies to the whole history, so it moves the schedule at once.
    fn block_emission(block: u64) -> BalanceOf<T> {
        Parameters::<T>::get().block_emission_at(block)
    }

    fn emission_split() -> EmissionSplit {
        Parameters::<T>::get().emission_split
    }

    /// Not governed yet: the defaults of the epoch math (kappa comes from each subnet's
    /// hyperparameters).
    fn epoch_params() -> EpochParams {
        EpochParams::default()
    }
}

impl<T: Config> SentinelParameters for Pallet<T> {
    fn committee_size() -> u32 {
        Parameters::<T>::get().sentinel_committee_size
    }

    fn threshold() -> u32 {
        Parameters::<T>::get().sentinel_threshold
    }

    fn quarantine_epochs() -> u32 {
        Parameters::<T>::get().sentinel_quarantine_epochs
    }

    fn slash_share() -> Perbill {
        Parameters::<T>::get().sentinel_slash_share
    }
}

/// Declares a `Get` adapter over one field of the registry.
macro_rules! adapter {
    ($(#[$doc:meta])* $name:ident: $ty:ty => $field:ident) => {
        $(#[$doc])*
        pub struct $name<T>(PhantomData<T>);

        impl<T: Config> Get<$ty> for $name<T> {
            fn get() -> $ty {
                Parameters::<T>::get().$field
            }
        }
    };
}

adapter!(
    /// The block emission before halvings.
    BlockEmission: BalanceOf<T> => block_emission
);
adapter!(
    /// Blocks between halvings.
    HalvingInterval: BlockNumberFor<T> => halving_interval
);
adapter!(
    /// The owner / miners / validators emission split.
    EmissionSplitOf: EmissionSplit => emission_split
);
adapter!(
    /// The registration burn increase factor (the neurons pallet's `BurnIncreaseFactor`).
    BurnIncreaseFactor: FixedU128 => burn_increase_factor
);
adapter!(
    /// The registration burn half-life (the neurons pallet's `BurnHalfLife`).
    BurnHalfLife: BlockNumberFor<T> => burn_half_life
);
adapter!(
    /// The registration burn floor (the neurons pallet's `BurnFloor`).
    BurnFloor: BalanceOf<T> => burn_floor
);
adapter!(
    /// Lock deposit of the first live subnet (the subnets pallet's `BaseLockDeposit`).
    SubnetLockBase: BalanceOf<T> => subnet_lock_base
);
adapter!(
    /// Extra lock deposit per live subnet (the subnets pallet's `LockDepositPerLiveSubnet`).
    SubnetLockPerSubnet: BalanceOf<T> => subnet_lock_per_subnet
);
adapter!(
    /// The unbonding period (the stake pallet's `UnbondingPeriod`).
    UnbondingPeriod: BlockNumberFor<T> => unbonding_period
);
adapter!(
    /// The hyperparameter bounds.
    HyperparameterBoundsOf: HyperparameterBounds<BalanceOf<T>> => hyperparameter_bounds
);
adapter!(
    /// Members of a sentinel committee.
    SentinelCommitteeSize: u32 => sentinel_committee_size
);
adapter!(
    /// Members of a sentinel committee that must agree.
    SentinelThreshold: u32 => sentinel_threshold
);
adapter!(
    /// Epochs a quarantine lasts.
    SentinelQuarantineEpochs: u32 => sentinel_quarantine_epochs
);
adapter!(
    /// Share of a quarantined miner's stake that is slashed.
    SentinelSlashShare: Perbill => sentinel_slash_share
);
