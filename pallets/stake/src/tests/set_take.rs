//! `set_take`: lowering at once, raising once per period.

use super::*;

#[test]
fn set_take_lowers_at_once_and_raises_once_per_period() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_eq!(
            TakeOf::<Test>::get(HOT_A),
            Perbill::from_percent(18),
            "default"
        );
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(5)
        ));
        assert_eq!(Stake::take_of(&HOT_A), Perbill::from_percent(5));
        System::assert_last_event(
            Event::TakeSet {
                hotkey: HOT_A,
                take: Perbill::from_percent(5),
            }
            .into(),
        );
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(10)
        ));
        // Shrinking the pending raise is fine and keeps its date.
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(8)
        ));
        System::assert_last_event(
            Event::TakeIncreaseScheduled {
                hotkey: HOT_A,
                take: Perbill::from_percent(8),
                at: 1 + UnbondingPeriod::get(),
            }
            .into(),
        );
        System::set_block_number(1 + 100);
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(12)
        ));
    });
}

/// Review L1: a raise used to apply at the next epoch, so a validator could advertise a low
/// take and switch before its nominators could leave. It now applies one unbonding period
/// later: unbonding at the announcement gets a nominator out first.
#[test]
fn a_raised_take_applies_only_after_an_unbonding_period() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::zero()
        ));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 1_000));
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(18)
        ));
        let at = 1 + UnbondingPeriod::get();
        System::assert_last_event(
            Event::TakeIncreaseScheduled {
                hotkey: HOT_A,
                take: Perbill::from_percent(18),
                at,
            }
            .into(),
        );
        // A reward now still goes to the nominator whole.
        let owner = Balances::free_balance(ALICE);
        <Stake as StakeInfo<_, _>>::reward(&HOT_A, 1_000);
        assert_eq!(
            Balances::free_balance(ALICE),
            owner,
            "no take before the date"
        );
        System::set_block_number(at);
        assert_eq!(Stake::take_of(&HOT_A), Perbill::from_percent(18));
        <Stake as StakeInfo<_, _>>::reward(&HOT_A, 1_000);
        assert_eq!(Balances::free_balance(ALICE), owner + 180);
        // Lowering applies at once and cancels what is pending.
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(1)
        ));
        assert_eq!(Stake::take_of(&HOT_A), Perbill::from_percent(1));
        assert_eq!(PendingTake::<Test>::get(HOT_A), None);
    });
}

#[test]
fn set_take_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_noop!(
            Stake::set_take(RuntimeOrigin::signed(BOB), HOT_A, Perbill::from_percent(1)),
            Error::<Test>::NotHotkeyOwner
        );
        assert_noop!(
            Stake::set_take(RuntimeOrigin::signed(ALICE), 999, Perbill::from_percent(1)),
            Error::<Test>::NotHotkeyOwner
        );
        assert_noop!(
            Stake::set_take(
                RuntimeOrigin::signed(ALICE),
                HOT_A,
                Perbill::from_percent(19)
            ),
            Error::<Test>::TakeTooHigh
        );
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(1)
        ));
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(2)
        ));
        System::set_block_number(100); // 99 blocks after the raise at block 1
        assert_noop!(
            Stake::set_take(
                RuntimeOrigin::signed(ALICE),
                HOT_A,
                Perbill::from_percent(3)
            ),
            Error::<Test>::TakeRateLimited
        );
    });
}
