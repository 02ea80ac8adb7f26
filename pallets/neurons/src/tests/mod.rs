//! Tests of the neurons pallet, by topic: every call (one success and the failures each can
//! meet, state untouched on error), the burn price, pruning, dissolution and the read side.
//! Every test runs in [`ExtBuilder::build_and_execute`], which checks the pallet's `try_state`
//! invariants afterwards.

mod burn_price;
mod deregistration;
mod dissolution;
mod pruning;
mod read;
mod registration;
mod serving;
mod weights_and_invariants;

use crate::{mock::*, pallet::*, weights::WeightInfo, Event, ServeInfo, ServeProof};
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo, traits::Hooks, BoundedVec};
use mindos_primitives::{
    DeviceClass, DeviceProfile, NetUid, NeuronsInfo, OnSubnetDissolved, PowerSource,
    MAX_MULTIADDRS, MAX_MULTIADDR_LEN, MAX_NEURONS_PER_SUBNET, MAX_PEER_ID_LEN,
};
use pallet_mindos_subnets::Visibility;
use sp_core::{ed25519, Pair};
use sp_runtime::{testing::TestSignature, DispatchError};

const HOT_A: AccountId = 101;
const HOT_B: AccountId = 102;
const HOT_C: AccountId = 103;
const HOT_D: AccountId = 104;

fn create_subnet(max_neurons: u16, immunity_period: u32) -> NetUid {
    let netuid = pallet_mindos_subnets::NextNetUid::<Test>::get();
    assert_ok!(Subnets::create_subnet(
        RuntimeOrigin::signed(OWNER),
        b"embeddings".to_vec().try_into().unwrap(),
        task(),
        hyperparameters(max_neurons, immunity_period),
        Visibility::Public,
    ));
    netuid
}

/// `hotkey`'s consent to being owned by `coldkey` (in the mock, a hotkey `h` signs `m` as
/// `TestSignature(h, m)`).
fn consent(coldkey: AccountId, hotkey: AccountId) -> Option<TestSignature> {
    Some(TestSignature(
        hotkey,
        Neurons::hotkey_consent_payload(&coldkey),
    ))
}

fn register(coldkey: AccountId, netuid: NetUid, hotkey: AccountId) -> u16 {
    assert_ok!(Neurons::register(
        RuntimeOrigin::signed(coldkey),
        netuid,
        hotkey,
        Balance::MAX,
        consent(coldkey, hotkey)
    ));
    Uids::<Test>::get(netuid, hotkey).expect("registered")
}

fn device() -> DeviceProfile {
    DeviceProfile {
        class: DeviceClass::Laptop,
        compute_score: 42,
        power: PowerSource::Mains,
        region: *b"DE",
    }
}

/// The libp2p identity (ed25519) of a node; `node` picks one of many.
fn node_key(node: u64) -> ed25519::Pair {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&node.to_le_bytes());
    ed25519::Pair::from_seed(&seed)
}

/// The binary PeerId of `key`, as libp2p writes an Ed25519 PeerId.
fn peer_id_of(key: &ed25519::Pair) -> Vec<u8> {
    let mut peer_id = mindos_primitives::proofs::ED25519_PEER_ID_PREFIX.to_vec();
    peer_id.extend_from_slice(&key.public().0);
    peer_id
}

/// The PeerId of the node `hotkey` runs in these tests (its key is `node_key(hotkey)`).
fn peer_id_for(hotkey: AccountId) -> Vec<u8> {
    peer_id_of(&node_key(hotkey))
}

/// A well-formed PeerId, for checks that come before the proof's.
fn peer_id() -> Vec<u8> {
    peer_id_for(HOT_A)
}

/// `key`'s proof, signed at block `signed_at`, that `hotkey` may serve `peer_id` on `netuid`.
fn proof_by(
    key: &ed25519::Pair,
    netuid: NetUid,
    hotkey: AccountId,
    peer_id: &[u8],
    signed_at: u64,
) -> ServeProof<u64> {
    let message = Neurons::serve_proof_payload(netuid, &hotkey, peer_id, signed_at);
    ServeProof {
        signed_at,
        signature: key.sign(&message).0,
    }
}

fn multiaddrs() -> Vec<Vec<u8>> {
    vec![vec![0x04, 127, 0, 0, 1, 0x06, 0x1f, 0x90]]
}

/// `hotkey` serves its own node's PeerId on `netuid`, with a proof signed now.
fn serve(hotkey: AccountId, netuid: NetUid) -> frame_support::dispatch::DispatchResult {
    serve_with(hotkey, netuid, &node_key(hotkey))
}

/// `hotkey` serves the PeerId of `key` on `netuid`, with `key`'s proof signed now.
fn serve_with(
    hotkey: AccountId,
    netuid: NetUid,
    key: &ed25519::Pair,
) -> frame_support::dispatch::DispatchResult {
    let peer_id = peer_id_of(key);
    let proof = proof_by(key, netuid, hotkey, &peer_id, System::block_number());
    Neurons::serve(
        RuntimeOrigin::signed(hotkey),
        netuid,
        peer_id,
        multiaddrs(),
        device(),
        proof,
    )
}

fn go_to(block: u64) {
    System::set_block_number(block);
}
