//! Benchmarks of every call and of the dissolution hook, in their worst case (the weights in
//! `weights.rs` come from here).

// A setup step that fails is a bug in the benchmark itself; stop with its message.
#![allow(clippy::expect_used)]

use super::*;
use crate::pallet::{
    Axons, BalanceOf, BurnOf, Emission, FreeUids, HotkeyOwner, Keys, NeuronCount, RegisteredAt,
    Uids,
};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{
        fungible::{Inspect, Mutate},
        Get,
    },
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use mindos_primitives::{
    DeviceClass, OnSubnetDissolved, PowerSource, MAX_MULTIADDRS, MAX_MULTIADDR_LEN,
    MAX_NEURONS_PER_SUBNET, MAX_PEER_ID_LEN,
};
use sp_runtime::traits::{Bounded, Saturating};

const MAX_NEURONS: u32 = MAX_NEURONS_PER_SUBNET as u32;

fn device() -> DeviceProfile {
    DeviceProfile {
        class: DeviceClass::Server,
        compute_score: u32::MAX,
        power: PowerSource::Mains,
        region: *b"DE",
    }
}

fn max_peer_id() -> Vec<u8> {
    vec![7u8; MAX_PEER_ID_LEN as usize]
}

fn max_multiaddrs() -> Vec<Vec<u8>> {
    vec![vec![4u8; MAX_MULTIADDR_LEN as usize]; MAX_MULTIADDRS as usize]
}

/// The largest endpoint a neuron can serve.
fn max_endpoint() -> Endpoint {
    Endpoint {
        peer_id: BoundedVec::truncate_from(max_peer_id()),
        multiaddrs: BoundedVec::truncate_from(
            max_multiaddrs()
                .into_iter()
                .map(BoundedVec::truncate_from)
                .collect(),
        ),
    }
}

fn subnet<T: Config>(max_neurons: u16, immunity_period: u32) -> NetUid {
    T::BenchmarkHelper::create_subnet(account("subnet-owner", 0, 0), max_neurons, immunity_period)
        .expect("the benchmark helper creates a subnet")
}

/// A coldkey that can pay any plausible price and stay alive.
fn funded<T: Config>(name: &'static str) -> T::AccountId {
    let who: T::AccountId = account(name, 0, 0);
    let amount = T::BurnFloor::get()
        .saturating_mul(1_000u32.into())
        .saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
    T::Currency::set_balance(&who, amount);
    who
}

/// Writes `registered` neurons (uids `0 .. registered`, each served with the largest
/// endpoint, all registered at block 1) and `free` freed uids after them straight into
/// storage, as registrations and deregistrations would have left them. Returns the hotkeys.
fn fill<T: Config>(netuid: NetUid, registered: u32, free: u32) -> Vec<T::AccountId> {
    let one: BlockNumberFor<T> = 1u32.into();
    let mut hotkeys = Vec::new();
    for uid in 0..registered {
        let hotkey: T::AccountId = account("neuron", uid, 0);
        let index = u16::try_from(uid).expect("uids fit u16");
        HotkeyOwner::<T>::insert(&hotkey, account::<T::AccountId>("neuron-owner", uid, 0));
        Keys::<T>::insert(netuid, index, &hotkey);
        Uids::<T>::insert(netuid, &hotkey, index);
        Axons::<T>::insert(
            netuid,
            &hotkey,
            ServeInfo {
                endpoint: max_endpoint(),
                device: device(),
                served_at: one,
            },
        );
        hotkeys.push(hotkey);
    }
    let total = registered.saturating_add(free) as usize;
    let mut at = vec![one; total];
    let mut emission = vec![BalanceOf::<T>::from(1u32); total];
    for slot in at.iter_mut().skip(registered as usize) {
        *slot = 0u32.into();
    }
    for slot in emission.iter_mut().skip(registered as usize) {
        *slot = 0u32.into();
    }
    let free: Vec<u16> = (registered..registered.saturating_add(free))
        .map(|uid| u16::try_from(uid).expect("uids fit u16"))
        .collect();
    RegisteredAt::<T>::insert(netuid, BoundedVec::truncate_from(at));
    Emission::<T>::insert(netuid, BoundedVec::truncate_from(emission));
    FreeUids::<T>::insert(netuid, BoundedVec::truncate_from(free));
    NeuronCount::<T>::insert(netuid, u16::try_from(registered).expect("count fits u16"));
    hotkeys
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// A full subnet of `n` non-immune neurons: registering scans all of them and prunes one
    /// (the one with an endpoint to remove), with a decaying price to compute.
    #[benchmark]
    fn register(n: Linear<1, MAX_NEURONS>) {
        let netuid = subnet::<T>(u16::try_from(n).expect("n fits u16"), 0);
        let hotkeys = fill::<T>(netuid, n, 0);
        frame_system::Pallet::<T>::set_block_number(1_000u32.into());
        BurnOf::<T>::insert(
            netuid,
            BurnState {
                price: T::BurnFloor::get().saturating_mul(2u32.into()),
                updated_at: 1u32.into(),
            },
        );
        let coldkey = funded::<T>("coldkey");
        let hotkey: T::AccountId = account("new-hotkey", 0, 0);

        #[extrinsic_call]
        _(
            RawOrigin::Signed(coldkey),
            netuid,
            hotkey.clone(),
            BalanceOf::<T>::max_value(),
        );

        assert_eq!(Uids::<T>::get(netuid, &hotkey), Some(0));
        assert!(hotkeys
            .first()
            .is_some_and(|pruned| !Uids::<T>::contains_key(netuid, pruned)));
    }

    /// The largest endpoint, replacing an earlier one.
    #[benchmark]
    fn serve() {
        let netuid = subnet::<T>(MAX_NEURONS_PER_SUBNET, 0);
        let hotkeys = fill::<T>(netuid, 1, 0);
        let hotkey = hotkeys.first().cloned().expect("one neuron");
        frame_system::Pallet::<T>::set_block_number(
            T::ServeRateLimit::get().saturating_add(2u32.into()),
        );

        #[extrinsic_call]
        _(
            RawOrigin::Signed(hotkey.clone()),
            netuid,
            max_peer_id(),
            max_multiaddrs(),
            device(),
        );

        assert_eq!(
            Axons::<T>::get(netuid, &hotkey).map(|s| s.served_at),
            Some(frame_system::Pallet::<T>::block_number())
        );
    }

    /// The uid vectors at their longest, with the free list nearly full.
    #[benchmark]
    fn deregister() {
        let netuid = subnet::<T>(MAX_NEURONS_PER_SUBNET, 0);
        let hotkeys = fill::<T>(netuid, 1, MAX_NEURONS.saturating_sub(1));
        let hotkey = hotkeys.first().cloned().expect("one neuron");
        let coldkey = account::<T::AccountId>("neuron-owner", 0, 0);

        #[extrinsic_call]
        _(RawOrigin::Signed(coldkey), netuid, hotkey.clone());

        assert!(!Uids::<T>::contains_key(netuid, &hotkey));
        assert_eq!(FreeUids::<T>::get(netuid).len(), MAX_NEURONS as usize);
    }

    /// `n` neurons, all served, to clear.
    #[benchmark]
    fn on_subnet_dissolved(n: Linear<0, MAX_NEURONS>) {
        let netuid = subnet::<T>(MAX_NEURONS_PER_SUBNET, 0);
        fill::<T>(netuid, n, 0);
        BurnOf::<T>::insert(
            netuid,
            BurnState {
                price: T::BurnFloor::get(),
                updated_at: 1u32.into(),
            },
        );

        #[block]
        {
            <Pallet<T> as OnSubnetDissolved>::on_subnet_dissolved(netuid);
        }

        assert_eq!(Keys::<T>::iter_prefix(netuid).count(), 0);
        assert!(!NeuronCount::<T>::contains_key(netuid));
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
