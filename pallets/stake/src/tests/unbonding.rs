//! `remove_stake` and `withdraw_unbonded`: unbonding chunks and their release.

use super::*;

#[test]
fn remove_stake_starts_unbonding_and_merges_same_block_chunks() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 500));
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 100));
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 50));
        assert_eq!(StakeOf::<Test>::get(HOT_A, BOB), 350);
        assert_eq!(TotalStake::<Test>::get(), 350);
        assert_eq!(
            Unbonding::<Test>::get(BOB).into_inner(),
            vec![UnbondingChunk {
                hotkey: HOT_A,
                amount: 150,
                unlock_at: 11
            }]
        );
        assert_eq!(UnbondingOf::<Test>::get(HOT_A, BOB), 150);
        assert_eq!(TotalUnbonding::<Test>::get(), 150);
        assert_eq!(held(BOB), 500, "unbonding stake stays held");
        System::assert_last_event(
            Event::StakeUnbonding {
                coldkey: BOB,
                hotkey: HOT_A,
                amount: 50,
                unlock_at: 11,
            }
            .into(),
        );
        // A remainder below MinStake (10) unbonds with the rest.
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 345));
        assert_eq!(StakeOf::<Test>::get(HOT_A, BOB), 0);
        assert_eq!(UnbondingOf::<Test>::get(HOT_A, BOB), 500);
        assert_eq!(
            NominatorCount::<Test>::get(HOT_A),
            1,
            "still a nominator while unbonding"
        );
    });
}

#[test]
fn remove_stake_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 500));
        assert_noop!(
            Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 0),
            Error::<Test>::ZeroAmount
        );
        assert_noop!(
            Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 501),
            Error::<Test>::NotEnoughStake
        );
        assert_noop!(
            Stake::remove_stake(RuntimeOrigin::signed(CHARLIE), HOT_A, 1),
            Error::<Test>::NotEnoughStake
        );
        // MaxUnbondingChunks is 4: one chunk per block.
        for block in 2..6 {
            System::set_block_number(block);
            assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 10));
        }
        System::set_block_number(6);
        assert_noop!(
            Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 10),
            Error::<Test>::TooManyUnbondingChunks
        );
    });
}

#[test]
fn withdraw_unbonded_releases_only_matured_chunks() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 500));
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 100)); // unlocks at 11
        System::set_block_number(5);
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 400)); // unlocks at 15
        System::set_block_number(11);
        assert_ok!(Stake::withdraw_unbonded(RuntimeOrigin::signed(BOB)));
        assert_eq!(held(BOB), 400);
        assert_eq!(Balances::free_balance(BOB), ENDOWMENT - 400);
        System::assert_last_event(
            Event::StakeWithdrawn {
                coldkey: BOB,
                amount: 100,
            }
            .into(),
        );
        System::set_block_number(15);
        assert_ok!(Stake::withdraw_unbonded(RuntimeOrigin::signed(BOB)));
        assert_eq!(held(BOB), 0);
        assert_eq!(Balances::free_balance(BOB), ENDOWMENT);
        assert!(Unbonding::<Test>::get(BOB).is_empty());
        assert_eq!(
            NominatorCount::<Test>::get(HOT_A),
            0,
            "gone once fully withdrawn"
        );
    });
}

#[test]
fn withdraw_unbonded_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_noop!(
            Stake::withdraw_unbonded(RuntimeOrigin::signed(BOB)),
            Error::<Test>::NothingToWithdraw
        );
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 500));
        assert_ok!(Stake::remove_stake(RuntimeOrigin::signed(BOB), HOT_A, 100));
        System::set_block_number(10); // one block early
        assert_noop!(
            Stake::withdraw_unbonded(RuntimeOrigin::signed(BOB)),
            Error::<Test>::NothingToWithdraw
        );
    });
}
