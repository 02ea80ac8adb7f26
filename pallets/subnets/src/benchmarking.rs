//! Benchmarks of every call, in their worst case (the weights in `weights.rs` come from here).

// A setup step that fails is a bug in the benchmark itself; stop with its message.
#![allow(clippy::expect_used)]

use super::*;
use crate::pallet::{
    BalanceOf, EpochSchedule, GovernedUntil, HyperparameterBoundsOf, HyperparametersQueuedAt,
    LastSubnetCreatedAt, NextNetUid, PendingHyperparameters, SubnetCount,
};
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{
        fungible::{Inspect, Mutate},
        EnsureOrigin, Get,
    },
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use mindos_primitives::MAX_NEURONS_PER_SUBNET;
use sp_runtime::traits::{Bounded, Saturating, Zero};

fn bounds<T: Config>() -> HyperparameterBounds<BalanceOf<T>> {
    HyperparameterBounds {
        tempo: Range {
            min: 1,
            max: u16::MAX,
        },
        max_neurons: Range {
            min: 1,
            max: MAX_NEURONS_PER_SUBNET,
        },
        max_validators: Range {
            min: 1,
            max: MAX_NEURONS_PER_SUBNET,
        },
        immunity_period: Range {
            min: 0,
            max: u32::MAX,
        },
        min_validator_stake: Range {
            min: 1u32.into(),
            max: BalanceOf::<T>::max_value(),
        },
    }
}

fn hyperparameters<T: Config>() -> Hyperparameters<BalanceOf<T>> {
    Hyperparameters {
        tempo: 360,
        max_neurons: MAX_NEURONS_PER_SUBNET,
        max_validators: 64,
        immunity_period: 7_200,
        min_validator_stake: 1u32.into(),
        commit_reveal: true,
    }
}

fn task() -> TaskSpec {
    TaskSpec {
        modality: Modality::Text,
        model_digest: [1u8; 32],
        input_schema: 1,
        output_schema: 1,
        scoring_rule: ScoringRule::CosineSimilarity,
    }
}

/// The largest allow-list: the worst case for encoding and storing visibility.
fn full_allow_list<T: Config>() -> VisibilityOf<T> {
    let list: vec::Vec<T::AccountId> = (0..T::MaxAllowList::get())
        .map(|i| account("allowed", i, 0))
        .collect();
    Visibility::Permissioned(BoundedVec::truncate_from(list))
}

fn longest_name<T: Config>() -> BoundedVec<u8, T::MaxNameLength> {
    BoundedVec::truncate_from(vec![b'n'; T::MaxNameLength::get() as usize])
}

/// An account with plenty to hold deposits.
fn funded<T: Config>(name: &'static str) -> T::AccountId {
    let who: T::AccountId = account(name, 0, 0);
    let amount = Pallet::<T>::lock_deposit()
        .saturating_add(T::CreationBurn::get())
        .saturating_mul(1_000u32.into())
        .saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
    T::Currency::set_balance(&who, amount);
    who
}

/// Creates subnets until `count` are live. The creation rate limit is not what the setup
/// measures: it is lifted before each creation.
fn fill_to<T: Config>(count: u32) {
    let filler: T::AccountId = funded::<T>("filler");
    while SubnetCount::<T>::get() < count {
        LastSubnetCreatedAt::<T>::kill();
        Pallet::<T>::do_create_subnet(
            filler.clone(),
            longest_name::<T>(),
            task(),
            hyperparameters::<T>(),
            Visibility::Public,
        )
        .expect("filler subnet");
    }
    LastSubnetCreatedAt::<T>::kill();
}

/// A block late enough for every rate limit a setup leaves behind.
fn late_block<T: Config>() -> BlockNumberFor<T> {
    BlockNumberFor::<T>::from(1_000_000u32)
}

fn setup_subnet<T: Config>(owner: &T::AccountId) -> NetUid {
    let netuid = NextNetUid::<T>::get();
    LastSubnetCreatedAt::<T>::kill();
    Pallet::<T>::do_create_subnet(
        owner.clone(),
        longest_name::<T>(),
        task(),
        hyperparameters::<T>(),
        full_allow_list::<T>(),
    )
    .expect("benchmark subnet");
    netuid
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn create_subnet() {
        HyperparameterBoundsOf::<T>::put(bounds::<T>());
        // One below the cap: the deposit is at its highest.
        fill_to::<T>(T::MaxSubnets::get().saturating_sub(1));
        let owner = funded::<T>("owner");
        let netuid = NextNetUid::<T>::get();
        // A creation long enough ago: the rate limit is read and passed.
        LastSubnetCreatedAt::<T>::put(BlockNumberFor::<T>::zero());
        frame_system::Pallet::<T>::set_block_number(late_block::<T>());

        #[extrinsic_call]
        _(
            RawOrigin::Signed(owner.clone()),
            longest_name::<T>(),
            task(),
            hyperparameters::<T>(),
            full_allow_list::<T>(),
        );

        assert_eq!(
            crate::SubnetInfoOf::<T>::get(netuid).map(|s| s.owner),
            Some(owner)
        );
        assert_eq!(LastSubnetCreatedAt::<T>::get(), Some(late_block::<T>()));
    }

    #[benchmark]
    fn set_hyperparameters() {
        HyperparameterBoundsOf::<T>::put(bounds::<T>());
        let owner = funded::<T>("owner");
        let netuid = setup_subnet::<T>(&owner);
        let mut params = hyperparameters::<T>();
        params.tempo = 100;
        // The slowest path: an expired governance lock and an earlier change, both read and
        // passed, and no change waiting (which would skip the rate limit).
        GovernedUntil::<T>::insert(netuid, BlockNumberFor::<T>::zero());
        HyperparametersQueuedAt::<T>::insert(netuid, BlockNumberFor::<T>::zero());
        frame_system::Pallet::<T>::set_block_number(late_block::<T>());

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), netuid, params.clone());

        assert_eq!(PendingHyperparameters::<T>::get(netuid), Some(params));
    }

    /// `on_initialize` at a block where `n` subnets reach their boundary, each with a queued
    /// change of its tempo.
    #[benchmark]
    fn apply_pending_hyperparameters(n: Linear<0, { T::MaxSubnets::get() }>) {
        HyperparameterBoundsOf::<T>::put(bounds::<T>());
        fill_to::<T>(n);
        let boundary: u64 = 1_000;
        let mut changed = hyperparameters::<T>();
        changed.tempo = 100;
        EpochSchedule::<T>::mutate(|schedule| {
            for (netuid, timing) in schedule.iter_mut() {
                timing.anchor = boundary;
                PendingHyperparameters::<T>::insert(*netuid, changed.clone());
            }
        });
        let now = BlockNumberFor::<T>::from(1_000u32);

        #[block]
        {
            Pallet::<T>::apply_pending_at(now);
        }

        assert_eq!(PendingHyperparameters::<T>::iter().count(), 0);
        assert!(EpochSchedule::<T>::get()
            .iter()
            .all(|(_, timing)| timing.tempo == 100 && timing.anchor == boundary));
    }

    #[benchmark]
    fn set_visibility() {
        HyperparameterBoundsOf::<T>::put(bounds::<T>());
        let owner = funded::<T>("owner");
        let netuid = setup_subnet::<T>(&owner);

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), netuid, full_allow_list::<T>());

        assert!(
            crate::SubnetInfoOf::<T>::get(netuid).is_some_and(|s| s.visibility.is_permissioned())
        );
    }

    #[benchmark]
    fn dissolve_subnet() {
        HyperparameterBoundsOf::<T>::put(bounds::<T>());
        let owner = funded::<T>("owner");
        let netuid = setup_subnet::<T>(&owner);
        // Everything a subnet can hold about hyperparameter changes is cleared too.
        PendingHyperparameters::<T>::insert(netuid, hyperparameters::<T>());
        HyperparametersQueuedAt::<T>::insert(netuid, BlockNumberFor::<T>::zero());
        GovernedUntil::<T>::insert(netuid, BlockNumberFor::<T>::zero());

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), netuid);

        assert!(crate::SubnetInfoOf::<T>::get(netuid).is_none());
        assert!(!PendingHyperparameters::<T>::contains_key(netuid));
    }

    #[benchmark]
    fn set_hyperparameter_bounds() -> Result<(), BenchmarkError> {
        let origin =
            T::BoundsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let b = bounds::<T>();

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, b.clone());

        assert_eq!(HyperparameterBoundsOf::<T>::get(), Some(b));
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
