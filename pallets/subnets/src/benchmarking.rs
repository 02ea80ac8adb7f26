//! Benchmarks of every call, in their worst case (the weights in `weights.rs` come from here).

// A setup step that fails is a bug in the benchmark itself; stop with its message.
#![allow(clippy::expect_used)]

use super::*;
use crate::pallet::{BalanceOf, HyperparameterBoundsOf, NextNetUid, SubnetCount};
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{
        fungible::{Inspect, Mutate},
        EnsureOrigin, Get,
    },
    BoundedVec,
};
use frame_system::RawOrigin;
use mindos_primitives::MAX_NEURONS_PER_SUBNET;
use sp_runtime::traits::{Bounded, Saturating};

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
        .saturating_mul(1_000u32.into())
        .saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
    T::Currency::set_balance(&who, amount);
    who
}

/// Fills the registry to one below its cap so the deposit is at its highest.
fn fill_to_cap_minus_one<T: Config>() {
    let filler: T::AccountId = funded::<T>("filler");
    let target = T::MaxSubnets::get().saturating_sub(1);
    while SubnetCount::<T>::get() < target {
        Pallet::<T>::do_create_subnet(
            filler.clone(),
            longest_name::<T>(),
            task(),
            hyperparameters::<T>(),
            Visibility::Public,
        )
        .expect("filler subnet");
    }
}

fn setup_subnet<T: Config>(owner: &T::AccountId) -> NetUid {
    let netuid = NextNetUid::<T>::get();
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
        fill_to_cap_minus_one::<T>();
        let owner = funded::<T>("owner");
        let netuid = NextNetUid::<T>::get();

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
    }

    #[benchmark]
    fn set_hyperparameters() {
        HyperparameterBoundsOf::<T>::put(bounds::<T>());
        let owner = funded::<T>("owner");
        let netuid = setup_subnet::<T>(&owner);
        let mut params = hyperparameters::<T>();
        params.tempo = 100;

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), netuid, params.clone());

        assert_eq!(
            crate::SubnetInfoOf::<T>::get(netuid).map(|s| s.hyperparameters),
            Some(params)
        );
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

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), netuid);

        assert!(crate::SubnetInfoOf::<T>::get(netuid).is_none());
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
