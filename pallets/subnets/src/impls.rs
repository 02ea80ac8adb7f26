//! The logic behind the calls, and the [`SubnetsInfo`] view other pallets use.
//!
//! Every `do_*` checks everything first and writes storage last, so a failed call changes
//! nothing.

use crate::{pallet::*, EpochTiming, HoldReason, SubnetInfo, Visibility, WeightInfo, LOG_TARGET};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Inspect, Mutate, MutateHold},
        tokens::{Fortitude, Precision, Preservation},
    },
};
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{
    HyperparameterBounds, HyperparameterError, Hyperparameters, NetUid, OnSubnetDissolved,
    SubnetsInfo, TaskSpec,
};
use sp_runtime::traits::{SaturatedConversion, Saturating, Zero};

impl<T: Config> SubnetsInfo<T::AccountId, BalanceOf<T>> for Pallet<T> {
    fn exists(netuid: NetUid) -> bool {
        SubnetInfoOf::<T>::contains_key(netuid)
    }

    fn owner(netuid: NetUid) -> Option<T::AccountId> {
        SubnetInfoOf::<T>::get(netuid).map(|s| s.owner)
    }

    fn hyperparameters(netuid: NetUid) -> Option<Hyperparameters<BalanceOf<T>>> {
        SubnetInfoOf::<T>::get(netuid).map(|s| s.hyperparameters)
    }

    fn allows_registration(netuid: NetUid, hotkey: &T::AccountId) -> bool {
        SubnetInfoOf::<T>::get(netuid).is_some_and(|s| s.visibility.allows(hotkey))
    }

    fn netuids() -> Vec<NetUid> {
        EpochSchedule::<T>::get()
            .iter()
            .map(|(netuid, _)| *netuid)
            .collect()
    }

    fn epochs_due(block: u64) -> Vec<NetUid> {
        EpochSchedule::<T>::get()
            .iter()
            .filter(|(_, timing)| timing.is_boundary(block))
            .map(|(netuid, _)| *netuid)
            .collect()
    }

    fn task(netuid: NetUid) -> Option<TaskSpec> {
        SubnetInfoOf::<T>::get(netuid).map(|s| s.task)
    }

    fn max_subnets() -> u32 {
        T::MaxSubnets::get()
    }
}

impl<T: Config> Pallet<T> {
    /// The weight charged for `set_hyperparameter_bounds`: the measured call, and never less
    /// than reading and writing the bounds. A runtime whose `BoundsOrigin` admits nobody
    /// (MindOS's: the bounds change by governance only) cannot run that call's benchmark,
    /// which then reports 0; yet anyone may still submit the call, to fail.
    pub(crate) fn bounds_weight() -> Weight {
        let proof = u64::try_from(HyperparameterBounds::<BalanceOf<T>>::max_encoded_len())
            .unwrap_or(u64::MAX);
        T::WeightInfo::set_hyperparameter_bounds().max(
            T::DbWeight::get()
                .reads_writes(1, 1)
                .saturating_add(Weight::from_parts(0, proof)),
        )
    }

    /// The deposit the next subnet must hold: `BaseLockDeposit + LockDepositPerLiveSubnet ×
    /// live subnets`. Bounded because the number of live subnets is (`MaxSubnets`).
    pub fn lock_deposit() -> BalanceOf<T> {
        let live: BalanceOf<T> = SubnetCount::<T>::get().into();
        T::BaseLockDeposit::get()
            .saturating_add(T::LockDepositPerLiveSubnet::get().saturating_mul(live))
    }

    /// Checks `params` against the governed bounds.
    pub fn check_hyperparameters(params: &Hyperparameters<BalanceOf<T>>) -> DispatchResult {
        let bounds = HyperparameterBoundsOf::<T>::get().ok_or(Error::<T>::NoBounds)?;
        bounds.check(params).map_err(|e| {
            match e {
                HyperparameterError::Tempo => Error::<T>::TempoOutOfBounds,
                HyperparameterError::MaxNeurons => Error::<T>::MaxNeuronsOutOfBounds,
                HyperparameterError::MaxValidators => Error::<T>::MaxValidatorsOutOfBounds,
                HyperparameterError::ImmunityPeriod => Error::<T>::ImmunityPeriodOutOfBounds,
                HyperparameterError::MinValidatorStake => Error::<T>::MinValidatorStakeOutOfBounds,
            }
            .into()
        })
    }

    fn check_visibility(visibility: &VisibilityOf<T>) -> DispatchResult {
        if let Visibility::Permissioned(list) = visibility {
            ensure!(!list.is_empty(), Error::<T>::EmptyAllowList);
        }
        Ok(())
    }

    /// The epoch timing of a live subnet.
    pub fn epoch_timing(netuid: NetUid) -> Option<EpochTiming> {
        EpochSchedule::<T>::get()
            .iter()
            .find(|(id, _)| *id == netuid)
            .map(|(_, timing)| *timing)
    }

    /// The first block from which `create_subnet` is allowed again.
    pub fn next_creation_allowed_at() -> BlockNumberFor<T> {
        LastSubnetCreatedAt::<T>::get()
            .map(|last| last.saturating_add(T::SubnetCreationInterval::get()))
            .unwrap_or_default()
    }

    fn owned_subnet(who: &T::AccountId, netuid: NetUid) -> Result<SubnetOf<T>, DispatchError> {
        let subnet = SubnetInfoOf::<T>::get(netuid).ok_or(Error::<T>::UnknownSubnet)?;
        ensure!(subnet.owner == *who, Error::<T>::NotSubnetOwner);
        Ok(subnet)
    }

    /// Stores a new subnet under the next id; used by calls and genesis. Holds nothing.
    pub(crate) fn insert_subnet(
        owner: T::AccountId,
        name: BoundedVec<u8, T::MaxNameLength>,
        task: TaskSpec,
        hyperparameters: Hyperparameters<BalanceOf<T>>,
        visibility: VisibilityOf<T>,
        deposit: BalanceOf<T>,
    ) -> Result<NetUid, DispatchError> {
        let count = SubnetCount::<T>::get();
        ensure!(count < T::MaxSubnets::get(), Error::<T>::TooManySubnets);
        let netuid = NextNetUid::<T>::get();
        let next = netuid.next().ok_or(Error::<T>::NetUidsExhausted)?;
        let new_count = count.checked_add(1).ok_or(Error::<T>::TooManySubnets)?;
        let mut schedule = EpochSchedule::<T>::get();
        // Ids only grow, so pushing keeps the schedule in id order.
        schedule
            .try_push((
                netuid,
                EpochTiming::staggered(netuid, hyperparameters.tempo),
            ))
            .map_err(|_| Error::<T>::TooManySubnets)?;
        let subnet = SubnetInfo {
            owner,
            name,
            task,
            hyperparameters,
            visibility,
            deposit,
            created_at: frame_system::Pallet::<T>::block_number(),
        };
        SubnetInfoOf::<T>::insert(netuid, subnet);
        EpochSchedule::<T>::put(schedule);
        NextNetUid::<T>::put(next);
        SubnetCount::<T>::put(new_count);
        Ok(netuid)
    }

    pub(crate) fn do_create_subnet(
        owner: T::AccountId,
        name: BoundedVec<u8, T::MaxNameLength>,
        task: TaskSpec,
        hyperparameters: Hyperparameters<BalanceOf<T>>,
        visibility: VisibilityOf<T>,
    ) -> DispatchResult {
        ensure!(!name.is_empty(), Error::<T>::EmptyName);
        ensure!(
            SubnetCount::<T>::get() < T::MaxSubnets::get(),
            Error::<T>::TooManySubnets
        );
        NextNetUid::<T>::get()
            .next()
            .ok_or(Error::<T>::NetUidsExhausted)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(
            now >= Self::next_creation_allowed_at(),
            Error::<T>::SubnetCreationRateLimited
        );
        Self::check_hyperparameters(&hyperparameters)?;
        Self::check_visibility(&visibility)?;
        let deposit = Self::lock_deposit();
        let burn = T::CreationBurn::get();
        // Both must fit in what the owner can spend while staying alive, so neither the hold
        // nor the burn below can fail half-way.
        let spendable =
            T::Currency::reducible_balance(&owner, Preservation::Preserve, Fortitude::Polite);
        ensure!(
            spendable >= deposit.saturating_add(burn),
            Error::<T>::InsufficientBalanceForDeposit
        );
        T::Currency::hold(&HoldReason::SubnetLock.into(), &owner, deposit)
            .map_err(|_| Error::<T>::InsufficientBalanceForDeposit)?;
        if !burn.is_zero() {
            T::Currency::burn_from(
                &owner,
                burn,
                Preservation::Preserve,
                Precision::Exact,
                Fortitude::Polite,
            )
            .map_err(|_| Error::<T>::InsufficientBalanceForDeposit)?;
        }
        let netuid = Self::insert_subnet(
            owner.clone(),
            name,
            task,
            hyperparameters,
            visibility,
            deposit,
        )?;
        LastSubnetCreatedAt::<T>::put(now);
        log::debug!(target: LOG_TARGET, "subnet {netuid:?} created");
        Self::deposit_event(Event::SubnetCreated {
            netuid,
            owner,
            deposit,
            burned: burn,
        });
        Ok(())
    }

    pub(crate) fn do_set_hyperparameters(
        who: T::AccountId,
        netuid: NetUid,
        hyperparameters: Hyperparameters<BalanceOf<T>>,
    ) -> DispatchResult {
        let subnet = Self::owned_subnet(&who, netuid)?;
        let now = frame_system::Pallet::<T>::block_number();
        if let Some(until) = GovernedUntil::<T>::get(netuid) {
            ensure!(now >= until, Error::<T>::HyperparametersGoverned);
        }
        // Replacing a change that has not taken effect yet is free; a new change waits for
        // the rate limit, counted in the subnet's current epochs.
        if !PendingHyperparameters::<T>::contains_key(netuid) {
            if let Some(queued_at) = HyperparametersQueuedAt::<T>::get(netuid) {
                let period = u64::from(subnet.hyperparameters.tempo).saturating_add(1);
                let wait = period.saturating_mul(u64::from(T::HyperparametersRateLimit::get()));
                let allowed_from = queued_at.saturated_into::<u64>().saturating_add(wait);
                ensure!(
                    now.saturated_into::<u64>() >= allowed_from,
                    Error::<T>::HyperparametersRateLimited
                );
            }
        }
        Self::check_hyperparameters(&hyperparameters)?;
        let timing = Self::epoch_timing(netuid).ok_or(Error::<T>::UnknownSubnet)?;
        // Hooks run before extrinsics: this block's boundary, if it is one, has passed.
        let effective_at = timing
            .next_boundary(now.saturated_into::<u64>().saturating_add(1))
            .saturated_into::<BlockNumberFor<T>>();
        PendingHyperparameters::<T>::insert(netuid, &hyperparameters);
        HyperparametersQueuedAt::<T>::insert(netuid, now);
        Self::deposit_event(Event::HyperparametersQueued {
            netuid,
            hyperparameters,
            effective_at,
        });
        Ok(())
    }

    /// Applies the queued changes of the subnets whose epoch boundary is `now` (see
    /// [`Pallet::set_hyperparameters`]); `on_initialize`. Returns the weight used.
    pub(crate) fn apply_pending_at(now: BlockNumberFor<T>) -> Weight {
        let block = now.saturated_into::<u64>();
        let mut schedule = EpochSchedule::<T>::get();
        let due: Vec<NetUid> = schedule
            .iter()
            .filter(|(_, timing)| timing.is_boundary(block))
            .map(|(netuid, _)| *netuid)
            .collect();
        let weight = T::WeightInfo::apply_pending_hyperparameters(
            u32::try_from(due.len()).unwrap_or(u32::MAX),
        );
        let mut rescheduled = false;
        for netuid in due {
            let Some(params) = PendingHyperparameters::<T>::take(netuid) else {
                continue;
            };
            let Some(mut subnet) = SubnetInfoOf::<T>::get(netuid) else {
                continue;
            };
            // The bounds may have changed since the owner asked.
            if Self::check_hyperparameters(&params).is_err() {
                log::debug!(target: LOG_TARGET, "queued change of {netuid:?} out of bounds; dropped");
                Self::deposit_event(Event::PendingHyperparametersDropped {
                    netuid,
                    hyperparameters: params,
                });
                continue;
            }
            for (_, timing) in schedule.iter_mut().filter(|(id, _)| *id == netuid) {
                // `now` is the boundary itself: it stays, the new tempo counts from it.
                *timing = timing.with_tempo(params.tempo, block);
                rescheduled = true;
            }
            subnet.hyperparameters = params.clone();
            SubnetInfoOf::<T>::insert(netuid, subnet);
            Self::deposit_event(Event::HyperparametersSet {
                netuid,
                hyperparameters: params,
            });
        }
        if rescheduled {
            EpochSchedule::<T>::put(schedule);
        }
        weight
    }

    /// Sets a live subnet's hyperparameters within the current bounds on governance's behalf
    /// (subnet-scoped proposals), without asking for the owner. Unlike the owner's changes
    /// they take effect at once — a passed proposal has been public for its whole vote and
    /// enactment delay — except the tempo, which changes the periods after the next epoch
    /// boundary, not the boundary itself. A change the owner had queued is dropped, and the
    /// owner may not change the hyperparameters for `GovernanceCooldown` blocks.
    /// Fails with [`Error::UnknownSubnet`] or an `*OutOfBounds` error, changing nothing.
    pub fn apply_hyperparameters(
        netuid: NetUid,
        hyperparameters: Hyperparameters<BalanceOf<T>>,
    ) -> DispatchResult {
        let mut subnet = SubnetInfoOf::<T>::get(netuid).ok_or(Error::<T>::UnknownSubnet)?;
        Self::check_hyperparameters(&hyperparameters)?;
        let now = frame_system::Pallet::<T>::block_number();
        // Governance enacts in hooks or extrinsics, after this block's epochs ran: the next
        // boundary stays where it was scheduled.
        let from = now.saturated_into::<u64>().saturating_add(1);
        subnet.hyperparameters = hyperparameters.clone();
        SubnetInfoOf::<T>::insert(netuid, subnet);
        EpochSchedule::<T>::mutate(|schedule| {
            for (_, timing) in schedule.iter_mut().filter(|(id, _)| *id == netuid) {
                *timing = timing.with_tempo(hyperparameters.tempo, from);
            }
        });
        if let Some(dropped) = PendingHyperparameters::<T>::take(netuid) {
            Self::deposit_event(Event::PendingHyperparametersDropped {
                netuid,
                hyperparameters: dropped,
            });
        }
        let owner_locked_until = now.saturating_add(T::GovernanceCooldown::get());
        GovernedUntil::<T>::insert(netuid, owner_locked_until);
        Self::deposit_event(Event::HyperparametersSetByGovernance {
            netuid,
            hyperparameters,
            owner_locked_until,
        });
        Ok(())
    }

    /// Replaces the bounds subnet owners must keep their hyperparameters in: the
    /// `set_hyperparameter_bounds` call after its origin check, and the path a governance
    /// pallet takes when the runtime routes bounds through it. Fails with
    /// [`Error::InvalidBounds`], changing nothing.
    pub fn apply_bounds(bounds: HyperparameterBounds<BalanceOf<T>>) -> DispatchResult {
        ensure!(bounds.is_valid(), Error::<T>::InvalidBounds);
        HyperparameterBoundsOf::<T>::put(&bounds);
        Self::deposit_event(Event::HyperparameterBoundsSet { bounds });
        Ok(())
    }

    pub(crate) fn do_set_visibility(
        who: T::AccountId,
        netuid: NetUid,
        visibility: VisibilityOf<T>,
    ) -> DispatchResult {
        let mut subnet = Self::owned_subnet(&who, netuid)?;
        Self::check_visibility(&visibility)?;
        let permissioned = visibility.is_permissioned();
        subnet.visibility = visibility;
        SubnetInfoOf::<T>::insert(netuid, subnet);
        Self::deposit_event(Event::VisibilitySet {
            netuid,
            permissioned,
        });
        Ok(())
    }

    /// Returns the weight the dissolution hook used.
    pub(crate) fn do_dissolve_subnet(
        who: T::AccountId,
        netuid: NetUid,
    ) -> Result<Weight, DispatchError> {
        let subnet = Self::owned_subnet(&who, netuid)?;
        // Release what is actually held for this subnet. Slashing of holds is not possible for
        // this reason, so it is the full deposit; `BestEffort` keeps a discrepancy from
        // trapping the subnet forever.
        let released = if subnet.deposit.is_zero() {
            Zero::zero()
        } else {
            T::Currency::release(
                &HoldReason::SubnetLock.into(),
                &subnet.owner,
                subnet.deposit,
                Precision::BestEffort,
            )?
        };
        SubnetInfoOf::<T>::remove(netuid);
        PendingHyperparameters::<T>::remove(netuid);
        HyperparametersQueuedAt::<T>::remove(netuid);
        GovernedUntil::<T>::remove(netuid);
        EpochSchedule::<T>::mutate(|schedule| schedule.retain(|(id, _)| *id != netuid));
        SubnetCount::<T>::mutate(|count| *count = count.saturating_sub(1));
        let cleanup = T::OnDissolve::on_subnet_dissolved(netuid);
        log::debug!(target: LOG_TARGET, "subnet {netuid:?} dissolved");
        Self::deposit_event(Event::SubnetDissolved {
            netuid,
            owner: subnet.owner,
            deposit_released: released,
        });
        Ok(cleanup)
    }

    /// Invariants: the count matches the map, ids are below `NextNetUid`, every deposit is
    /// held, and every subnet respects the hard caps.
    ///
    /// Built with `std` too (not only `try-runtime`), so that the runtime's random-history
    /// test checks it after every block.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use frame_support::traits::fungible::InspectHold;
        let next = NextNetUid::<T>::get();
        let mut count: u32 = 0;
        let mut held: alloc::collections::BTreeMap<T::AccountId, BalanceOf<T>> = Default::default();
        let schedule = EpochSchedule::<T>::get();
        for (netuid, subnet) in SubnetInfoOf::<T>::iter() {
            count = count.saturating_add(1);
            ensure!(
                schedule
                    .iter()
                    .any(|(id, timing)| *id == netuid
                        && timing.tempo == subnet.hyperparameters.tempo),
                "subnet missing from EpochSchedule or with a stale tempo"
            );
            ensure!(netuid < next, "subnet id at or above NextNetUid");
            ensure!(
                subnet.hyperparameters.max_neurons <= mindos_primitives::MAX_NEURONS_PER_SUBNET,
                "subnet above the hard neuron cap"
            );
            ensure!(
                subnet.hyperparameters.max_validators <= subnet.hyperparameters.max_neurons,
                "more validators than neurons"
            );
            let entry = held.entry(subnet.owner.clone()).or_default();
            *entry = entry.saturating_add(subnet.deposit);
        }
        ensure!(
            count == SubnetCount::<T>::get(),
            "SubnetCount does not match Subnets"
        );
        ensure!(
            schedule.len() == count as usize,
            "EpochSchedule lists subnets that do not exist"
        );
        ensure!(
            schedule
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.0 < b.0)),
            "EpochSchedule out of id order"
        );
        ensure!(
            count <= T::MaxSubnets::get(),
            "more subnets than MaxSubnets"
        );
        for netuid in PendingHyperparameters::<T>::iter_keys()
            .chain(HyperparametersQueuedAt::<T>::iter_keys())
            .chain(GovernedUntil::<T>::iter_keys())
        {
            ensure!(
                SubnetInfoOf::<T>::contains_key(netuid),
                "hyperparameter change state kept for a subnet that does not exist"
            );
        }
        for (netuid, pending) in PendingHyperparameters::<T>::iter() {
            ensure!(
                HyperparametersQueuedAt::<T>::contains_key(netuid),
                "a queued change without the block it was queued at"
            );
            ensure!(
                pending.max_validators <= pending.max_neurons
                    && pending.max_neurons <= mindos_primitives::MAX_NEURONS_PER_SUBNET,
                "a queued change above the hard caps"
            );
        }
        for (owner, deposits) in held {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::SubnetLock.into(), &owner) == deposits,
                "held subnet deposits differ from recorded deposits"
            );
        }
        Ok(())
    }
}
