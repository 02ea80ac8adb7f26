//! Tests of every call (a success and the failures each can meet, state untouched on error),
//! validator permits, slashing, and a property test over random histories.

use crate::{mock::*, pallet::*, Event, HoldReason, UnbondingChunk, WeightInfo};
use frame_support::{
    assert_noop, assert_ok,
    dispatch::GetDispatchInfo,
    traits::{fungible::InspectHold, Hooks},
    weights::Weight,
};
use mindos_primitives::{NetUid, Perbill, StakeInfo};
use sp_runtime::DispatchError;

fn held(who: AccountId) -> Balance {
    Balances::balance_on_hold(&RuntimeHoldReason::Stake(HoldReason::Staked), &who)
}

/// The pallet's invariants, plus one `try_state` cannot check by itself: no account the tests
/// use keeps a stake hold without stake entries to show for it.
fn check() {
    Stake::do_try_state().expect("invariants hold");
    for who in [ALICE, BOB, CHARLIE, DAVE, POOR] {
        let active: Balance = StakeOf::<Test>::iter()
            .filter(|(_, coldkey, _)| *coldkey == who)
            .map(|(_, _, stake)| stake)
            .sum();
        let unbonding: Balance = Unbonding::<Test>::get(who).iter().map(|c| c.amount).sum();
        assert_eq!(
            held(who),
            active + unbonding,
            "hold of {who} matches its stake"
        );
    }
}

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

// ---------------------------------------------------------------- add_stake

#[test]
fn add_stake_holds_funds_and_allows_delegation() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn add_stake_failures_change_nothing() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn add_stake_never_reaps_the_coldkey() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn coldkey_indexes_follow_stake_across_hotkeys_and_subnets() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn a_coldkey_stakes_on_at_most_max_staked_hotkeys() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn subnet_stake_is_counted_at_each_permit_recomputation() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

// ---------------------------------------------------------------- remove_stake

#[test]
fn remove_stake_starts_unbonding_and_merges_same_block_chunks() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn remove_stake_failures_change_nothing() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

// ---------------------------------------------------------------- withdraw_unbonded

#[test]
fn withdraw_unbonded_releases_only_matured_chunks() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn withdraw_unbonded_failures_change_nothing() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

// ---------------------------------------------------------------- set_take

#[test]
fn set_take_lowers_at_once_and_raises_once_per_period() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn set_take_failures_change_nothing() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

// ---------------------------------------------------------------- permits

#[test]
fn permits_go_to_the_top_staked_above_the_minimum_at_the_epoch_boundary() {
    new_test_ext().execute_with(|| {
        let netuid = setup(); // max_validators 2, min_validator_stake 50, tempo 9
        let hot_d = 104;
        register(netuid, DAVE, hot_d);
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 100));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(BOB), HOT_B, 300));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(CHARLIE), HOT_C, 100));
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(DAVE), hot_d, 40)); // below minimum
                                                                              // Subnet 0 with tempo 9: boundaries at blocks 9, 19, ...
        run_to(8);
        assert!(
            ValidatorPermits::<Test>::get(netuid).is_empty(),
            "not before the boundary"
        );
        run_to(9);
        // HOT_B first; HOT_A and HOT_C tie at 100 and the lower uid (HOT_A) wins.
        assert_eq!(
            ValidatorPermits::<Test>::get(netuid).into_inner(),
            vec![HOT_B, HOT_A]
        );
        assert!(<Stake as StakeInfo<_, _>>::has_validator_permit(
            netuid, &HOT_A
        ));
        assert!(!<Stake as StakeInfo<_, _>>::has_validator_permit(
            netuid, &HOT_C
        ));
        System::assert_has_event(
            Event::ValidatorPermitsUpdated {
                netuid,
                validators: 2,
            }
            .into(),
        );
        assert_eq!(
            <Stake as StakeInfo<_, _>>::stake_weights(netuid),
            vec![(0, 100), (1, 300), (2, 100), (3, 40)]
        );
        // Stake moves between epochs only count at the next boundary.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(CHARLIE), HOT_C, 500));
        run_to(18);
        assert!(!<Stake as StakeInfo<_, _>>::has_validator_permit(
            netuid, &HOT_C
        ));
        run_to(19);
        assert_eq!(
            ValidatorPermits::<Test>::get(netuid).into_inner(),
            vec![HOT_C, HOT_B]
        );
        check();
    });
}

#[test]
fn permit_updates_beyond_the_per_block_cap_wait_a_block_and_dissolution_clears_them() {
    new_test_ext().execute_with(|| {
        // Subnet 0 (tempo 9, period 10) and subnet 1 (tempo 10, period 11) both reach a
        // boundary at block 9: (9 + 0 + 1) % 10 == 0 and (9 + 1 + 1) % 11 == 0.
        let first = setup();
        let mut params = hyperparameters();
        params.tempo = 10; // period 11: (b + 1 + 1) % 11 == 0 at b = 9
        assert_ok!(Subnets::create_subnet(
            RuntimeOrigin::signed(DAVE),
            b"t".to_vec().try_into().unwrap(),
            task(),
            params,
            pallet_mindos_subnets::Visibility::Public,
        ));
        let second = NetUid(1);
        register(second, ALICE, HOT_A);
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 100));
        run_to(9);
        // MaxPermitUpdatesPerBlock is 1: the first subnet now, the second next block.
        assert_eq!(
            ValidatorPermits::<Test>::get(first).into_inner(),
            vec![HOT_A]
        );
        assert!(ValidatorPermits::<Test>::get(second).is_empty());
        assert_eq!(
            PendingPermitUpdates::<Test>::get().into_inner(),
            vec![second]
        );
        run_to(10);
        assert_eq!(
            ValidatorPermits::<Test>::get(second).into_inner(),
            vec![HOT_A]
        );
        assert!(PendingPermitUpdates::<Test>::get().is_empty());

        // A deregistered hotkey loses its permit at once, before the next boundary.
        Registered::mutate(|r| {
            r.insert(second, vec![]);
        });
        assert!(!<Stake as StakeInfo<_, _>>::has_validator_permit(
            second, &HOT_A
        ));
        assert!(<Stake as StakeInfo<_, _>>::has_validator_permit(
            first, &HOT_A
        ));
        check();

        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(DAVE),
            second
        ));
        assert!(ValidatorPermits::<Test>::get(second).is_empty());
        assert_eq!(
            StakeOf::<Test>::get(HOT_A, ALICE),
            100,
            "stake stays with the staker"
        );
        Registered::mutate(|r| {
            r.remove(&second);
        });
        check();
    });
}

#[test]
fn min_validator_stake_zero_admits_unstaked_neurons_by_uid() {
    new_test_ext().execute_with(|| {
        let netuid = setup();
        let mut params = hyperparameters();
        params.min_validator_stake = 0;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(DAVE),
            netuid,
            params
        ));
        // Nobody has stake: two seats, all tied at zero, the lowest uids win.
        run_to(9);
        assert_eq!(
            ValidatorPermits::<Test>::get(netuid).into_inner(),
            vec![HOT_A, HOT_B]
        );
        check();
    });
}

#[test]
fn on_initialize_charges_the_base_and_each_update() {
    new_test_ext().execute_with(|| {
        setup();
        let base = <() as WeightInfo>::on_initialize_base();
        assert_eq!(Stake::on_initialize(8), base, "quiet block");
        // Subnet 0 is due at block 9; three neurons are looked at.
        assert_eq!(
            Stake::on_initialize(9),
            base + <() as WeightInfo>::update_validator_permits(3)
        );
        assert!(PendingPermitUpdates::<Test>::get().is_empty());
        check();
    });
}

#[test]
fn a_full_queue_drops_new_subnets_and_unknown_subnets_are_skipped() {
    new_test_ext().execute_with(|| {
        let netuid = setup();
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_A, 100));
        run_to(8);
        // MaxPendingPermitUpdates is 8: fill it with subnets that do not exist.
        let ghosts: Vec<NetUid> = (100..108).map(NetUid).collect();
        PendingPermitUpdates::<Test>::put(frame_support::BoundedVec::truncate_from(ghosts));
        System::reset_events();
        run_to(9);
        // The first ghost was skipped (no permits, no event) and subnet 0 did not fit.
        assert_eq!(PendingPermitUpdates::<Test>::get().len(), 7);
        assert!(!PendingPermitUpdates::<Test>::get().contains(&netuid));
        assert!(ValidatorPermits::<Test>::get(netuid).is_empty());
        assert!(System::events().is_empty());
        // One ghost leaves per block; subnet 0 gets its permits at its next boundary.
        run_to(18);
        assert!(PendingPermitUpdates::<Test>::get().is_empty());
        assert!(ValidatorPermits::<Test>::iter().next().is_none());
        run_to(19);
        assert_eq!(
            ValidatorPermits::<Test>::get(netuid).into_inner(),
            vec![HOT_A]
        );
        check();
    });
}

// ---------------------------------------------------------------- slashing

// ---------------------------------------------------------------- rewards

#[test]
fn reward_pays_the_take_at_once_and_the_rest_to_nominators_by_stake() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn stake_changes_pay_what_the_old_stake_earned_and_new_stake_earns_only_later() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn reward_of_an_unstaked_hotkey_goes_to_its_owner_and_of_an_unknown_one_is_returned() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn validators_lists_permit_holders_still_registered() {
    new_test_ext().execute_with(|| {
        let netuid = setup();
        ValidatorPermits::<Test>::insert(
            netuid,
            frame_support::BoundedVec::truncate_from(vec![HOT_B, 77]),
        );
        assert_eq!(<Stake as StakeInfo<_, _>>::validators(netuid), vec![HOT_B]);
        assert!(<Stake as StakeInfo<_, _>>::validators(NetUid(9)).is_empty());
    });
}

#[test]
fn slash_spreads_over_nominators_including_unbonding_stake() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn slash_cuts_the_latest_unbonding_chunk_of_the_hotkey_first() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

#[test]
fn slashing_nothing_or_everything() {
    new_test_ext().execute_with(|| {
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
        check();
    });
}

// ---------------------------------------------------------------- weights

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
    assert!(
        <Stake as pallet_mindos_subnets::OnSubnetDissolved>::max_weight().all_gt(Weight::zero())
    );
}

// ---------------------------------------------------------------- properties

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Add(u8, u8, u64),
        Remove(u8, u8, u64),
        Withdraw(u8),
        Slash(u8, u32),
        Reward(u8, u64),
        Claim(u8, u8),
        Advance(u64),
    }

    const COLDKEYS: [AccountId; 5] = [ALICE, BOB, CHARLIE, DAVE, POOR];
    const HOTKEYS: [AccountId; 3] = [HOT_A, HOT_B, HOT_C];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..5, 0u8..3, 0u64..3_000).prop_map(|(c, h, a)| Op::Add(c, h, a)),
            (0u8..5, 0u8..3, 0u64..3_000).prop_map(|(c, h, a)| Op::Remove(c, h, a)),
            (0u8..5).prop_map(Op::Withdraw),
            (0u8..3, 0u32..=100).prop_map(|(h, p)| Op::Slash(h, p)),
            (0u8..3, 0u64..10_000).prop_map(|(h, a)| Op::Reward(h, a)),
            (0u8..5, 0u8..3).prop_map(|(c, h)| Op::Claim(c, h)),
            (1u64..15).prop_map(Op::Advance),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn books_balance_and_only_slashes_burn_and_rewards_never_overpay(
            ops in proptest::collection::vec(op(), 1..60)
        ) {
            new_test_ext().execute_with(|| {
                setup();
                let start = Balances::total_issuance();
                let mut burned = 0;
                // Rewarded so far, and the most rounding may keep back: one unit per payment
                // to a nominator, one per reward.
                let mut rewarded = 0;
                for op in ops {
                    match op {
                        Op::Add(c, h, a) => {
                            let _ = Stake::add_stake(
                                RuntimeOrigin::signed(COLDKEYS[c as usize]),
                                HOTKEYS[h as usize],
                                a,
                            );
                        }
                        Op::Remove(c, h, a) => {
                            let _ = Stake::remove_stake(
                                RuntimeOrigin::signed(COLDKEYS[c as usize]),
                                HOTKEYS[h as usize],
                                a,
                            );
                        }
                        Op::Withdraw(c) => {
                            let _ = Stake::withdraw_unbonded(RuntimeOrigin::signed(
                                COLDKEYS[c as usize],
                            ));
                        }
                        Op::Slash(h, p) => {
                            burned += <Stake as StakeInfo<_, _>>::slash(
                                &HOTKEYS[h as usize],
                                Perbill::from_percent(p),
                            );
                        }
                        Op::Reward(h, a) => {
                            let unpaid =
                                <Stake as StakeInfo<_, _>>::reward(&HOTKEYS[h as usize], a);
                            assert_eq!(unpaid, 0, "registered hotkeys always have an owner");
                            rewarded += a;
                        }
                        Op::Claim(c, h) => {
                            let _ = Stake::claim_rewards(
                                RuntimeOrigin::signed(COLDKEYS[c as usize]),
                                HOTKEYS[h as usize],
                            );
                        }
                        Op::Advance(n) => run_to(System::block_number() + n),
                    }
                    check();
                    // Minting never exceeds what was rewarded; slashes burn exactly.
                    let issuance = Balances::total_issuance();
                    assert!(issuance + burned <= start + rewarded, "rewards overpaid");
                }
                // Everyone claims: all that was rewarded is paid, except what slashes cut from
                // unclaimed dividends and per-payment rounding (checked loosely: never more).
                for c in COLDKEYS {
                    for h in HOTKEYS {
                        let _ = Stake::claim_rewards(RuntimeOrigin::signed(c), h);
                    }
                }
                assert!(Balances::total_issuance() + burned <= start + rewarded);
            });
        }
    }
}
