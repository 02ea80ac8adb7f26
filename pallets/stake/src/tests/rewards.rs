//! Rewards: the take, nominators' dividends by stake, and the validators list.

use super::*;

#[test]
fn reward_pays_the_take_at_once_and_the_rest_to_nominators_by_stake() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 1_000));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 3_000));
        let (alice, bob) = (Balances::free_balance(ALICE), Balances::free_balance(BOB));
        let issuance = Balances::total_issuance();
        // 18% take of 10,000 to Alice (HOT_A's owner); 8,200 over 4,000 stake.
        assert_eq!(<Stake as StakeInfo<_, _>>::reward(&HOT_A, 10_000), 0);
        assert_eq!(Balances::free_balance(ALICE), alice + 1_800);
        System::assert_last_event(
            Event::ValidatorRewarded {
                hotkey: HOT_A,
                to_owner: 1_800,
                to_nominators: 8_200,
            }
            .into(),
        );
        // Nominators are paid when they claim: 1/4 and 3/4 of 8,200.
        assert_ok!(Stake::claim_rewards(RuntimeOrigin::signed(ALICE), HOT_A));
        assert_eq!(Balances::free_balance(ALICE), alice + 1_800 + 2_050);
        assert_ok!(Stake::claim_rewards(RuntimeOrigin::signed(BOB), HOT_A));
        assert_eq!(Balances::free_balance(BOB), bob + 6_150);
        assert_eq!(
            Balances::total_issuance(),
            issuance + 10_000,
            "minted exactly the reward"
        );
    });
}

#[test]
fn stake_changes_pay_what_the_old_stake_earned_and_new_stake_earns_only_later() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        assert_ok!(Stake::set_take(
            RuntimeOrigin::signed(ALICE),
            HOT_A,
            Perbill::zero()
        ));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 1_000));
        <Stake as StakeInfo<_, _>>::reward(&HOT_A, 500);
        let bob = Balances::free_balance(BOB);
        // Adding stake pays the 500 earned so far (and holds the 1,000 added).
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_A, 1_000));
        assert_eq!(Balances::free_balance(BOB), bob + 500 - 1_000);
        assert_noop!(
            Stake::claim_rewards(RuntimeOrigin::signed(BOB), HOT_A),
            Error::<Test>::NothingToClaim
        );
        // The doubled stake earns the next reward; unbonding pays it.
        <Stake as StakeInfo<_, _>>::reward(&HOT_A, 400);
        let bob = Balances::free_balance(BOB);
        assert_ok!(Stake::remove_stake(
            RuntimeOrigin::signed(BOB),
            HOT_A,
            2_000
        ));
        assert_eq!(Balances::free_balance(BOB), bob + 400);
        assert!(!RewardSnapshot::<Test>::contains_key(HOT_A, BOB));
        // Unbonding stake earns nothing more.
        <Stake as StakeInfo<_, _>>::reward(&HOT_A, 300);
        assert_noop!(
            Stake::claim_rewards(RuntimeOrigin::signed(BOB), HOT_A),
            Error::<Test>::NothingToClaim
        );
    });
}

#[test]
fn reward_of_an_unstaked_hotkey_goes_to_its_owner_and_of_an_unknown_one_is_returned() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        let alice = Balances::free_balance(ALICE);
        assert_eq!(<Stake as StakeInfo<_, _>>::reward(&HOT_A, 700), 0);
        assert_eq!(Balances::free_balance(ALICE), alice + 700);
        let issuance = Balances::total_issuance();
        assert_eq!(
            <Stake as StakeInfo<_, _>>::reward(&99, 700),
            700,
            "no owner: unpaid"
        );
        assert_eq!(Balances::total_issuance(), issuance);
    });
}

#[test]
fn validators_lists_permit_holders_still_registered() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        ValidatorPermits::<Test>::insert(
            netuid,
            frame_support::BoundedVec::truncate_from(vec![HOT_B, 77]),
        );
        // Every permit comes with a (here empty) counted-stake entry.
        for hotkey in [HOT_B, 77] {
            CountedStake::<Test>::insert(hotkey, netuid, 0);
            CountedSumOf::<Test>::insert(
                hotkey,
                CountedSum {
                    total: 0,
                    subnets: 1,
                },
            );
        }
        SubnetCountedStake::<Test>::put(frame_support::BoundedVec::truncate_from(vec![(
            netuid, 0,
        )]));
        assert_eq!(<Stake as StakeInfo<_, _>>::validators(netuid), vec![HOT_B]);
        assert!(<Stake as StakeInfo<_, _>>::validators(NetUid(9)).is_empty());
    });
}
