//! How other pallets read the governed parameters: [`ConsensusParameters`] and
//! [`SentinelParameters`] implemented by the pallet, and the [`ParameterSource`] behind the
//! `Get` adapter of each registry field, for other pallets' `Config`s (e.g.
//! `type BurnFloor = pallet_mindos_directives::BurnFloor<Runtime>`).
//!
//! Each read is one read of the [`Parameters`] storage value, so a value set by an enacted
//! proposal is seen from the next read on, and never before its enactment.

use crate::{pallet::*, ParameterSource, SentinelParameters};
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_consensus_math::{EmissionSplit, EpochParams};
use mindos_primitives::{ConsensusParameters, SlashRates};

impl<T: Config> ConsensusParameters<BalanceOf<T>> for Pallet<T> {
    /// The governed block emission, halved once per governed halving interval since genesis.
    /// A new interval applies to the whole history, so it moves the schedule at once.
    fn block_emission(block: u64) -> BalanceOf<T> {
        Parameters::<T>::get().block_emission_at(block)
    }

    fn emission_split() -> EmissionSplit {
        Parameters::<T>::get().emission_split
    }

    /// The governed kappa; bond and reputation averaging are not governed yet (the epoch
    /// math's defaults).
    fn epoch_params() -> EpochParams {
        EpochParams {
            kappa: Parameters::<T>::get().kappa,
            ..EpochParams::default()
        }
    }

    fn activity_cutoff() -> u32 {
        Parameters::<T>::get().activity_cutoff
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

    fn slash_rates() -> SlashRates {
        Parameters::<T>::get().sentinel_slash_rates()
    }
}

/// What the `Get` adapters generated beside the registry (e.g. [`crate::BurnFloor`]) read:
/// this pallet's [`Parameters`] storage value.
impl<T: Config> ParameterSource for T {
    type Balance = BalanceOf<T>;
    type BlockNumber = BlockNumberFor<T>;

    fn parameters() -> GovernedParametersOf<T> {
        Parameters::<T>::get()
    }
}
