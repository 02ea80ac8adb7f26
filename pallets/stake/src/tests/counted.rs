//! Counted stake: each hotkey's stake counts at most once across the subnets it validates on
//! (review finding C1). Subnet 0's boundaries are at blocks 9, 19, …; subnet 1's at 8, 18, ….

use super::*;

/// A second subnet (id 1) with HOT_A registered on it.
fn second_subnet() -> NetUid {
    let netuid = pallet_mindos_subnets::NextNetUid::<Test>::get();
    assert_ok!(Subnets::create_subnet(
        RuntimeOrigin::signed(DAVE),
        b"t".to_vec().try_into().unwrap(),
        task(),
        hyperparameters(),
        pallet_mindos_subnets::Visibility::Public,
    ));
    register(netuid, ALICE, HOT_A);
    netuid
}

fn counted(hotkey: AccountId, netuid: NetUid) -> Option<Balance> {
    CountedStake::<Test>::get(hotkey, netuid)
}

fn subnet_total(netuid: NetUid) -> Option<Balance> {
    <Stake as StakeInfo<_, _>>::counted_stakes()
        .into_iter()
        .find(|(id, _)| *id == netuid)
        .map(|(_, total)| total)
}

/// HOT_A (100) holds permits on both subnets and counts 50 on each; HOT_B (300) only on 0.
fn split_over_two_subnets() -> (NetUid, NetUid) {
    let first = setup();
    assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 100));
    assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_B, 300));
    run_to(9);
    assert_eq!(counted(HOT_A, first), Some(100), "one permit: all of it");
    let second = second_subnet();
    run_to(18);
    // A second permit: the new entry gets only the headroom the first leaves, none yet.
    assert_eq!(counted(HOT_A, second), Some(0));
    assert_eq!(counted(HOT_A, first), Some(100));
    run_to(19);
    assert_eq!(
        counted(HOT_A, first),
        Some(50),
        "refreshed to its equal share"
    );
    run_to(28);
    assert_eq!(counted(HOT_A, second), Some(50));
    (first, second)
}

#[test]
fn a_hotkey_validating_on_two_subnets_counts_its_stake_once() {
    ExtBuilder::default().build_and_execute(|| {
        let (first, second) = split_over_two_subnets();
        assert_eq!(
            CountedSumOf::<Test>::get(HOT_A),
            Some(CountedSum {
                total: 100,
                subnets: 2
            })
        );
        assert_eq!(subnet_total(first), Some(50 + 300));
        assert_eq!(subnet_total(second), Some(50));
        let counted: Balance = <Stake as StakeInfo<_, _>>::counted_stakes()
            .iter()
            .map(|(_, total)| total)
            .sum();
        assert_eq!(counted, Stake::total_stake(), "each unit counted once");
    });
}

#[test]
fn less_stake_lowers_every_entry_at_once() {
    ExtBuilder::default().build_and_execute(|| {
        let (first, second) = split_over_two_subnets();
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(ALICE), HOT_A, 40));
        // 60 left over two permits: 30 each, without waiting for an epoch.
        assert_eq!(counted(HOT_A, first), Some(30));
        assert_eq!(counted(HOT_A, second), Some(30));
        assert_eq!(subnet_total(first), Some(30 + 300));
        assert_eq!(subnet_total(second), Some(30));
        // More stake waits for each subnet's refresh.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 40));
        assert_eq!(counted(HOT_A, first), Some(30));
        run_to(29);
        assert_eq!(counted(HOT_A, first), Some(50));
    });
}

#[test]
fn a_slash_lowers_every_entry_at_once() {
    ExtBuilder::default().build_and_execute(|| {
        let (first, second) = split_over_two_subnets();
        <Stake as StakeInfo<_, _>>::slash(&HOT_A, Perbill::from_percent(50));
        assert_eq!(counted(HOT_A, first), Some(25));
        assert_eq!(counted(HOT_A, second), Some(25));
    });
}

#[test]
fn a_lost_permit_drops_its_entry_and_frees_the_share_for_the_others() {
    ExtBuilder::default().build_and_execute(|| {
        let (first, second) = split_over_two_subnets();
        // HOT_C outstakes HOT_A on subnet 0 (two seats): HOT_A loses its permit there.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(CHARLIE), HOT_C, 200));
        run_to(29);
        assert_eq!(counted(HOT_A, first), None);
        assert_eq!(subnet_total(first), Some(300 + 200));
        assert_eq!(counted(HOT_A, second), Some(50), "rises at its own refresh");
        run_to(38);
        assert_eq!(counted(HOT_A, second), Some(100));
        assert_eq!(
            CountedSumOf::<Test>::get(HOT_A),
            Some(CountedSum {
                total: 100,
                subnets: 1
            })
        );
    });
}

#[test]
fn dissolving_a_subnet_drops_its_counted_stake() {
    ExtBuilder::default().build_and_execute(|| {
        let (first, second) = split_over_two_subnets();
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(DAVE),
            second
        ));
        assert_eq!(counted(HOT_A, second), None);
        assert_eq!(subnet_total(second), None);
        assert_eq!(
            CountedSumOf::<Test>::get(HOT_A),
            Some(CountedSum {
                total: 50,
                subnets: 1
            })
        );
        assert_eq!(counted(HOT_A, first), Some(50));
        Registered::mutate(|r| {
            r.remove(&second);
        });
    });
}

#[test]
fn remove_stake_refunds_the_counted_stake_work_it_did_not_do() {
    ExtBuilder::default().build_and_execute(|| {
        let (_, _) = split_over_two_subnets();
        let call = crate::Call::<Test>::remove_stake {
            hotkey: HOT_A,
            amount: 10,
        };
        assert_eq!(
            call.get_dispatch_info().call_weight,
            Stake::remove_stake_weight(8),
            "charged for MaxSubnets entries"
        );
        let info = Stake::remove_stake(RuntimeOrigin::signed(ALICE), HOT_A, 10).unwrap();
        assert_eq!(info.actual_weight, Some(Stake::remove_stake_weight(2)));
        // Bob's hotkey counts on one subnet: one entry lowered.
        let info = Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_B, 10);
        assert_eq!(
            info.unwrap().actual_weight,
            Some(Stake::remove_stake_weight(1))
        );
        // Charlie's hotkey holds no permit: nothing to lower.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(CHARLIE), HOT_C, 20));
        let info = Stake::remove_stake(RuntimeOrigin::signed(CHARLIE), HOT_C, 10);
        assert_eq!(
            info.unwrap().actual_weight,
            Some(Stake::remove_stake_weight(0))
        );
    });
}
