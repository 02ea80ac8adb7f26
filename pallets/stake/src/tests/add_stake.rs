//! `add_stake`: held funds, delegation, the coldkey indexes and their caps.

use super::*;

#[test]
fn add_stake_holds_funds_and_allows_delegation() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 500));
        // Bob delegates to Alice's hotkey.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 300));
        assert_eq!(held(ALICE), 500);
        assert_eq!(held(BOB), 300);
        assert_eq!(Balances::free_balance(BOB), ENDOWMENT - 300);
        assert_eq!(StakeOf::<Test>::get(HOT_A, BOB), 300);
        assert_eq!(HotkeyStake::<Test>::get(HOT_A), 800);
        assert_eq!(TotalStake::<Test>::get(), 800);
        assert_eq!(NominatorCount::<Test>::get(HOT_A), 2);
        assert_eq!(<Stake as StakeInfo<_, _>>::hotkey_stake(&HOT_A), 800);
        System::assert_last_event(
            Event::StakeAdded {
                coldkey: BOB,
                hotkey: HOT_A,
                amount: 300,
            }
            .into(),
        );
    });
}

#[test]
fn add_stake_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 0),
            Error::<Test>::ZeroAmount
        );
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 9),
            Error::<Test>::AmountBelowMinimum
        );
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(ALICE), 999, 100),
            Error::<Test>::HotkeyNotRegistered
        );
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(POOR), HOT_A, 21),
            Error::<Test>::InsufficientBalance
        );
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, ENDOWMENT + 1),
            Error::<Test>::InsufficientBalance
        );
        // MaxNominators is 3.
        for who in [ALICE, BOB, CHARLIE] {
            assert_ok!(Stake::add_stake(RuntimeOrigin::signed(who), HOT_A, 100));
        }
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(DAVE), HOT_A, 100),
            Error::<Test>::TooManyNominators
        );
        // An existing nominator may always add more.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 100));
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::none(), HOT_A, 100),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn add_stake_never_reaps_the_coldkey() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        // POOR has 20 and the existential deposit is 1: all 20 would kill the account.
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(POOR), HOT_A, 20),
            Error::<Test>::InsufficientBalance
        );
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(POOR), HOT_A, 19));
        assert!(System::account_exists(&POOR));
        assert_eq!(Balances::free_balance(POOR), 1);
        assert_eq!(held(POOR), 19);
    });
}

#[test]
fn coldkey_indexes_follow_stake_across_hotkeys_and_subnets() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let other = setup(); // a second subnet with HOT_A, HOT_B, HOT_C re-registered
        let hot_d = 104;
        register(other, DAVE, hot_d);
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 100));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), hot_d, 40));
        assert_eq!(Stake::coldkey_stake(&ALICE), 140);
        assert_eq!(
            StakedHotkeys::<Test>::get(ALICE).into_inner(),
            vec![HOT_A, hot_d]
        );
        // HOT_D is only on the second subnet.
        assert_eq!(Stake::coldkey_stake_on_subnet(netuid, &ALICE), 100);
        assert_eq!(Stake::coldkey_stake_on_subnet(other, &ALICE), 140);
        // Unstaking everything from a hotkey drops it from the list; partial keeps it.
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(ALICE), HOT_A, 50));
        assert_eq!(
            StakedHotkeys::<Test>::get(ALICE).into_inner(),
            vec![HOT_A, hot_d]
        );
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(ALICE), HOT_A, 50));
        assert_eq!(StakedHotkeys::<Test>::get(ALICE).into_inner(), vec![hot_d]);
        assert_eq!(Stake::coldkey_stake(&ALICE), 40);
        assert_eq!(Stake::coldkey_stake_on_subnet(netuid, &ALICE), 0);
        // Unbonding stake does not count: it votes nowhere.
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(ALICE), hot_d, 40));
        assert!(!ColdkeyStake::<Test>::contains_key(ALICE));
        assert!(!StakedHotkeys::<Test>::contains_key(ALICE));
    });
}

#[test]
fn a_coldkey_stakes_on_at_most_max_staked_hotkeys() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let hot_d = 104;
        register(netuid, DAVE, hot_d);
        // MaxStakedHotkeys is 3 in the mock.
        for hotkey in [HOT_A, HOT_B, HOT_C] {
            assert_ok!(Stake::add_stake(RuntimeOrigin::signed(DAVE), hotkey, 10));
        }
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(DAVE), hot_d, 10),
            Error::<Test>::TooManyStakedHotkeys
        );
        // More on a hotkey already listed is fine, and a freed place can be reused.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(DAVE), HOT_A, 10));
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(DAVE), HOT_B, 10));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(DAVE), hot_d, 10));
        assert_eq!(Stake::coldkey_stake(&DAVE), 40);
    });
}

#[test]
fn subnet_stake_is_counted_at_each_permit_recomputation() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup(); // tempo 9: boundaries at 9, 19, ...
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 100));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_B, 30));
        assert_eq!(
            Stake::subnet_stake(netuid),
            0,
            "not counted before the boundary"
        );
        run_to(9);
        assert_eq!(Stake::subnet_stake(netuid), 130);
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(CHARLIE), HOT_C, 70));
        assert_eq!(Stake::subnet_stake(netuid), 130, "until the next boundary");
        run_to(19);
        assert_eq!(Stake::subnet_stake(netuid), 200);
        assert_eq!(Stake::total_stake(), 200);
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(DAVE),
            netuid
        ));
        assert!(!SubnetStake::<Test>::contains_key(netuid));
    });
}

/// Review L2: with a flat minimum, dust nominations filled every slot of a popular hotkey for
/// `MaxNominators × MinStake`. The mock allows 3 nominators (an eighth rounds up to one), so
/// each new nominator needs twice what the one before needed: 10, 20, 40.
#[test]
fn a_new_nomination_must_grow_with_the_hotkeys_nominators() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_eq!(Stake::new_nomination_minimum(&HOT_A), 10);
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 10));
        assert_eq!(Stake::new_nomination_minimum(&HOT_A), 20);
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 19),
            Error::<Test>::NominationBelowMinimum
        );
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 20));
        assert_eq!(Stake::new_nomination_minimum(&HOT_A), 40);
        // Existing nominators top up with any amount above `MinStake`.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 10));
        assert_noop!(
            Stake::add_stake(RuntimeOrigin::signed(CHARLIE), HOT_A, 39),
            Error::<Test>::NominationBelowMinimum
        );
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(CHARLIE), HOT_A, 40));
    });
}
