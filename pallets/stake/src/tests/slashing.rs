//! Slashing: spread over nominators, unbonding chunks first from the latest.

use super::*;

#[test]
fn slash_spreads_over_nominators_including_unbonding_stake() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 1_000));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 1_000));
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 600));
        let issuance = Balances::total_issuance();
        let burned = <Stake as StakeInfo<_, _>>::slash(&HOT_A, Perbill::from_percent(10));
        // Alice 10% of 1,000; Bob 10% of 400 active and 10% of 600 unbonding.
        assert_eq!(burned, 100 + 40 + 60);
        assert_eq!(
            Balances::total_issuance(),
            issuance - burned,
            "slashed stake is burned"
        );
        assert_eq!(StakeOf::<Test>::get(HOT_A, ALICE), 900);
        assert_eq!(StakeOf::<Test>::get(HOT_A, BOB), 360);
        assert_eq!(UnbondingOf::<Test>::get(HOT_A, BOB), 540);
        assert_eq!(Unbonding::<Test>::get(BOB)[0].amount, 540);
        assert_eq!(held(ALICE), 900);
        assert_eq!(held(BOB), 900);
        System::assert_last_event(
            Event::StakeSlashed {
                hotkey: HOT_A,
                amount: 200,
            }
            .into(),
        );
    });
}

#[test]
fn slash_cuts_the_latest_unbonding_chunk_of_the_hotkey_first() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 1_000));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_B, 100));
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 100)); // at 11
        System::set_block_number(2);
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 100)); // at 12
        System::set_block_number(3);
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_B, 100)); // at 13
                                                                                 // Half of 800 active and half of 200 unbonding on HOT_A.
        assert_eq!(
            <Stake as StakeInfo<_, _>>::slash(&HOT_A, Perbill::from_percent(50)),
            400 + 100
        );
        assert_eq!(
            Unbonding::<Test>::get(BOB).into_inner(),
            vec![
                UnbondingChunk {
                    hotkey: HOT_A,
                    amount: 100,
                    unlock_at: 11
                },
                UnbondingChunk {
                    hotkey: HOT_B,
                    amount: 100,
                    unlock_at: 13
                },
            ],
            "the HOT_A chunk unlocking at 12 paid; HOT_B's chunk is untouched"
        );
        assert_eq!(UnbondingOf::<Test>::get(HOT_A, BOB), 100);
        assert_eq!(UnbondingOf::<Test>::get(HOT_B, BOB), 100);
        assert_eq!(TotalUnbonding::<Test>::get(), 200);
        assert_eq!(held(BOB), 1_100 - 500);
    });
}

#[test]
fn slashing_nothing_or_everything() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 1_000));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_B, 500));
        assert_ok!(Stake::remove_stake(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            300
        ));
        assert_eq!(
            <Stake as StakeInfo<_, _>>::slash(&HOT_A, Perbill::zero()),
            0
        );
        assert_eq!(
            <Stake as StakeInfo<_, _>>::slash(&HOT_A, Perbill::one()),
            1_000
        );
        assert_eq!(HotkeyStake::<Test>::get(HOT_A), 0);
        assert!(Unbonding::<Test>::get(ALICE).is_empty());
        assert_eq!(NominatorCount::<Test>::get(HOT_A), 0);
        assert_eq!(held(ALICE), 0);
        assert_eq!(
            HotkeyStake::<Test>::get(HOT_B),
            500,
            "other hotkeys untouched"
        );
        assert_eq!(<Stake as StakeInfo<_, _>>::slash(&999, Perbill::one()), 0);
    });
}
