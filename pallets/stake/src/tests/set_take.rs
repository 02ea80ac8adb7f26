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
        assert_eq!(TakeOf::<Test>::get(HOT_A), Perbill::from_percent(5));
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
        // Lowering right after raising is fine.
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(8)
        ));
        System::set_block_number(1 + 100);
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::from_percent(12)
        ));
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
