//! The weights charged for calls match the benchmarked ones.

use super::*;

#[test]
fn calls_are_charged_their_benchmarked_weights() {
    let weight = |call: crate::Call<Test>| call.get_dispatch_info().call_weight;
    assert_eq!(
        weight(crate::Call::add_stake {
            hotkey: HOT_A,
            amount: 1
        }),
        <() as WeightInfo>::add_stake()
    );
    assert_eq!(
        weight(crate::Call::remove_stake {
            hotkey: HOT_A,
            amount: 1
        }),
        <() as WeightInfo>::remove_stake()
    );
    assert_eq!(
        weight(crate::Call::withdraw_unbonded {}),
        <() as WeightInfo>::withdraw_unbonded()
    );
    assert_eq!(
        weight(crate::Call::set_take {
            hotkey: HOT_A,
            take: Perbill::zero()
        }),
        <() as WeightInfo>::set_take()
    );
    assert_eq!(
        weight(crate::Call::claim_rewards { hotkey: HOT_A }),
        <() as WeightInfo>::claim_rewards()
    );
    assert!(Stake::slash_weight().all_gte(<() as WeightInfo>::slash(1)));
    assert!(<Stake as mindos_primitives::OnSubnetDissolved>::max_weight().all_gt(Weight::zero()));
}
