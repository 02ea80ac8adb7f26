//! Benchmarks of every call and of the dissolution hook, in their worst case (the weights in
//! `weights.rs` come from here).

// A setup step that fails is a bug in the benchmark itself; stop with its message.
#![allow(clippy::expect_used)]

use super::*;
use crate::pallet::{
    Axons, BalanceOf, BurnOf, Emission, FreeUids, HotkeyOwner, Keys, NeuronCount, PeerIdOwner,
    RegisteredAt, Uids,
};
use crate::{BenchmarkSignature, BENCHMARK_KEY_TYPE};
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
    proofs::ED25519_PEER_ID_PREFIX, DeviceClass, OnSubnetDissolved, PowerSource, MAX_MULTIADDRS,
    MAX_MULTIADDR_LEN, MAX_NEURONS_PER_SUBNET,
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

/// The Ed25519 PeerId of `key`: the only kind `serve` accepts (and, at 38 bytes, the longest).
fn peer_id_of(key: [u8; 32]) -> Vec<u8> {
    let mut peer_id = ED25519_PEER_ID_PREFIX.to_vec();
    peer_id.extend_from_slice(&key);
    peer_id
}

/// A distinct PeerId for the neuron in `uid` (never verified: it only fills storage).
fn filler_peer_id(uid: u32) -> Vec<u8> {
    let mut key = [7u8; 32];
    key[..4].copy_from_slice(&uid.to_le_bytes());
    peer_id_of(key)
}

fn max_multiaddrs() -> Vec<Vec<u8>> {
    vec![vec![4u8; MAX_MULTIADDR_LEN as usize]; MAX_MULTIADDRS as usize]
}

/// The largest endpoint a neuron can serve, with `peer_id`.
fn max_endpoint(peer_id: Vec<u8>) -> Endpoint {
    Endpoint {
        peer_id: BoundedVec::truncate_from(peer_id),
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
/// endpoint under its own PeerId, all registered at block 1) and `free` freed uids after them straight into
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
        let endpoint = max_endpoint(filler_peer_id(uid));
        PeerIdOwner::<T>::insert(netuid, &endpoint.peer_id, &hotkey);
        Axons::<T>::insert(
            netuid,
            &hotkey,
            ServeInfo {
                endpoint,
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

#[benchmarks(where T::Signature: BenchmarkSignature<T::AccountId>)]
mod benchmarks {
    use super::*;

    /// A fresh hotkey's first registration (its consent verified) on a full subnet of `n`
    /// non-immune neurons: registering scans all of them and prunes one (the one with an
    /// endpoint and PeerId to remove), with a decaying price to compute.
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
        let (hotkey, consent) =
            T::Signature::sign_as_new_hotkey(&Pallet::<T>::hotkey_consent_payload(&coldkey));

        #[extrinsic_call]
        _(
            RawOrigin::Signed(coldkey.clone()),
            netuid,
            hotkey.clone(),
            BalanceOf::<T>::max_value(),
            Some(consent),
        );

        assert_eq!(Uids::<T>::get(netuid, &hotkey), Some(0));
        assert_eq!(HotkeyOwner::<T>::get(&hotkey), Some(coldkey));
        let pruned = hotkeys.first().expect("a full subnet");
        assert!(!Uids::<T>::contains_key(netuid, pruned));
        assert!(!PeerIdOwner::<T>::contains_key(
            netuid,
            BoundedVec::truncate_from(filler_peer_id(0))
        ));
    }

    /// The largest endpoint under a new PeerId, replacing an earlier one, with its proof
    /// verified.
    #[benchmark]
    fn serve() {
        let netuid = subnet::<T>(MAX_NEURONS_PER_SUBNET, 0);
        let hotkeys = fill::<T>(netuid, 1, 0);
        let hotkey = hotkeys.first().cloned().expect("one neuron");
        let now = T::ServeRateLimit::get().saturating_add(2u32.into());
        frame_system::Pallet::<T>::set_block_number(now);
        let key = sp_io::crypto::ed25519_generate(BENCHMARK_KEY_TYPE, None);
        let peer_id = peer_id_of(key.0);
        let message = Pallet::<T>::serve_proof_payload(netuid, &hotkey, &peer_id, now);
        let signature = sp_io::crypto::ed25519_sign(BENCHMARK_KEY_TYPE, &key, &message)
            .expect("the keystore signs with the key it generated");
        let proof = ServeProof {
            signed_at: now,
            signature: signature.0,
        };

        #[extrinsic_call]
        _(
            RawOrigin::Signed(hotkey.clone()),
            netuid,
            peer_id.clone(),
            max_multiaddrs(),
            device(),
            proof,
        );

        assert_eq!(
            Axons::<T>::get(netuid, &hotkey).map(|s| s.served_at),
            Some(frame_system::Pallet::<T>::block_number())
        );
        assert_eq!(
            PeerIdOwner::<T>::get(netuid, BoundedVec::truncate_from(peer_id)),
            Some(hotkey)
        );
        assert!(!PeerIdOwner::<T>::contains_key(
            netuid,
            BoundedVec::truncate_from(filler_peer_id(0))
        ));
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
        assert_eq!(PeerIdOwner::<T>::iter_prefix(netuid).count(), 0);
    }

    /// `n` neurons, all served (endpoints and PeerIds), to clear.
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
        assert_eq!(PeerIdOwner::<T>::iter_prefix(netuid).count(), 0);
        assert!(!NeuronCount::<T>::contains_key(netuid));
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
