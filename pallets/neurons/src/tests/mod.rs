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

use crate::{mock::*, pallet::*, weights::WeightInfo, Event, ServeInfo};
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo, traits::Hooks, BoundedVec};
use mindos_primitives::{
    DeviceClass, DeviceProfile, NetUid, NeuronsInfo, OnSubnetDissolved, PowerSource,
    MAX_MULTIADDRS, MAX_MULTIADDR_LEN, MAX_NEURONS_PER_SUBNET, MAX_PEER_ID_LEN,
};
use pallet_mindos_subnets::Visibility;
use sp_runtime::DispatchError;

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

fn register(coldkey: AccountId, netuid: NetUid, hotkey: AccountId) -> u16 {
    assert_ok!(Neurons::register(
        RuntimeOrigin::signed(coldkey),
        netuid,
        hotkey,
        Balance::MAX
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

fn peer_id() -> Vec<u8> {
    vec![0x00, 0x24, 0x08, 0x01]
}

fn multiaddrs() -> Vec<Vec<u8>> {
    vec![vec![0x04, 127, 0, 0, 1, 0x06, 0x1f, 0x90]]
}

fn serve(hotkey: AccountId, netuid: NetUid) -> frame_support::dispatch::DispatchResult {
    Neurons::serve(
        RuntimeOrigin::signed(hotkey),
        netuid,
        peer_id(),
        multiaddrs(),
        device(),
    )
}

fn go_to(block: u64) {
    System::set_block_number(block);
}
