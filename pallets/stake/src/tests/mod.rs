//! Tests of the stake pallet, by topic: every call (a success and the failures each can meet,
//! state untouched on error), validator permits, rewards, slashing, the weights charged and a
//! property test over random histories. Every test runs in [`ExtBuilder::build_and_execute`],
//! which checks the invariants afterwards.

mod add_stake;
mod counted;
mod permits;
mod properties;
mod rewards;
mod set_take;
mod slashing;
mod unbonding;
mod weights;

use crate::{mock::*, pallet::*, CountedSum, Event, UnbondingChunk, WeightInfo};
use frame_support::{
    assert_noop, assert_ok, dispatch::GetDispatchInfo, traits::Hooks, weights::Weight,
};
use mindos_primitives::{NetUid, Perbill, StakeInfo};
use sp_runtime::DispatchError;

/// HOT_A (Alice's), HOT_B (Bob's) and HOT_C (Charlie's) registered on subnet 0.
fn setup() -> NetUid {
    let netuid = pallet_mindos_subnets::NextNetUid::<Test>::get();
    assert_ok!(Subnets::create_subnet(
        RuntimeOrigin::signed(DAVE),
        b"s".to_vec().try_into().unwrap(),
        task(),
        hyperparameters(),
        pallet_mindos_subnets::Visibility::Public,
    ));
    register(netuid, ALICE, HOT_A);
    register(netuid, BOB, HOT_B);
    register(netuid, CHARLIE, HOT_C);
    netuid
}

fn run_to(block: u64) {
    while System::block_number() < block {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Stake::on_initialize(next);
    }
}
