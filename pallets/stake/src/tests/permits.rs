//! Validator permits: the top-staked at each epoch boundary, the per-block cap and its queue.

use super::*;

#[test]
fn permits_go_to_the_top_staked_above_the_minimum_at_the_epoch_boundary() {
    ExtBuilder::default().build_and_execute(|| {
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
    });
}

#[test]
fn permit_updates_beyond_the_per_block_cap_wait_a_block_and_dissolution_clears_them() {
    ExtBuilder::default().build_and_execute(|| {
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
        assert_invariants();

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
    });
}

#[test]
fn no_permit_without_stake_even_at_a_zero_minimum() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        // The governed bounds refuse a zero minimum now; a subnet that holds one anyway (set
        // under older bounds) still gives no permit without stake.
        pallet_mindos_subnets::SubnetInfoOf::<Test>::mutate(netuid, |subnet| {
            subnet.as_mut().unwrap().hyperparameters.min_validator_stake = 0;
        });
        // Nobody has stake: a permit is the right to use the subnet's miners, so nobody gets
        // one (review M11; before, the two lowest uids did).
        run_to(9);
        assert!(ValidatorPermits::<Test>::get(netuid).is_empty());
        // With stake, the minimum of zero admits any staked hotkey.
        assert_ok!(Stake::add_stake(RuntimeOrigin::signed(ALICE), HOT_C, 10));
        run_to(20);
        assert_eq!(
            ValidatorPermits::<Test>::get(netuid).into_inner(),
            vec![HOT_C]
        );
    });
}

#[test]
fn on_initialize_charges_the_base_and_each_update() {
    ExtBuilder::default().build_and_execute(|| {
        setup();
        let base = <() as WeightInfo>::on_initialize_base();
        assert_eq!(Stake::on_initialize(8), base, "quiet block");
        // Subnet 0 is due at block 9; three neurons are looked at.
        assert_eq!(
            Stake::on_initialize(9),
            base + <() as WeightInfo>::update_validator_permits(3)
        );
        assert!(PendingPermitUpdates::<Test>::get().is_empty());
    });
}

#[test]
fn a_full_queue_drops_new_subnets_and_unknown_subnets_are_skipped() {
    ExtBuilder::default().build_and_execute(|| {
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
    });
}
