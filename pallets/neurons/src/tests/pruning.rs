//! Pruning a full subnet: lowest emission past immunity, ties, freed uids.

use super::*;

#[test]
fn a_full_subnet_prunes_the_lowest_emission_past_immunity() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(3, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        register(ALICE, netuid, HOT_C);
        assert_ok!(serve(HOT_B, netuid));
        assert_ok!(Neurons::note_emissions(netuid, [(0, 5), (1, 1), (2, 3)]));
        go_to(20);
        assert_eq!(register(BOB, netuid, HOT_D), 1);
        System::assert_has_event(
            Event::NeuronPruned {
                netuid,
                uid: 1,
                hotkey: HOT_B,
            }
            .into(),
        );
        System::assert_last_event(
            Event::NeuronRegistered {
                netuid,
                uid: 1,
                hotkey: HOT_D,
                coldkey: BOB,
                burned: Neurons::burn_price(netuid).unwrap() / 2,
            }
            .into(),
        );
        assert_eq!(Uids::<Test>::get(netuid, HOT_B), None);
        assert!(Axons::<Test>::get(netuid, HOT_B).is_none());
        assert_eq!(
            Departures::get(),
            vec![(netuid, HOT_B)],
            "the observer is told"
        );
        assert_eq!(
            HotkeyOwner::<Test>::get(HOT_B),
            Some(ALICE),
            "ownership survives"
        );
        assert_eq!(Keys::<Test>::get(netuid, 1), Some(HOT_D));
        assert_eq!(NeuronCount::<Test>::get(netuid), 3);
        assert_eq!(Emission::<Test>::get(netuid).into_inner(), vec![5, 0, 3]);
        assert_eq!(
            RegisteredAt::<Test>::get(netuid).into_inner(),
            vec![1, 20, 1]
        );
    });
}

#[test]
fn equal_emissions_prune_the_oldest_then_the_lowest_uid() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(3, 10);
        register(ALICE, netuid, HOT_A); // uid 0 @1
        go_to(2);
        register(ALICE, netuid, HOT_B); // uid 1 @2
        go_to(3);
        register(ALICE, netuid, HOT_C); // uid 2 @3
        go_to(4);
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A
        ));
        go_to(5);
        assert_eq!(register(BOB, netuid, HOT_D), 0, "the freed uid is reused"); // uid 0 @5
        go_to(100);
        // All emissions are zero; uid 1 is the oldest although uid 0 is lower.
        assert_eq!(register(BOB, netuid, 105), 1);
        System::assert_has_event(
            Event::NeuronPruned {
                netuid,
                uid: 1,
                hotkey: HOT_B,
            }
            .into(),
        );
        // Now uid 1 is @100 and uids 0 @5 and 2 @3: the oldest, uid 2, goes next.
        assert_eq!(register(BOB, netuid, 106), 2);
    });
}

#[test]
fn equal_emission_and_age_prune_the_lowest_uid() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(3, 0);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        register(ALICE, netuid, HOT_C);
        assert_eq!(register(BOB, netuid, HOT_D), 0);
        System::assert_has_event(
            Event::NeuronPruned {
                netuid,
                uid: 0,
                hotkey: HOT_A,
            }
            .into(),
        );
    });
}

#[test]
fn immune_neurons_are_never_pruned_while_others_can_be() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(3, 10);
        register(ALICE, netuid, HOT_A); // uid 0 @1
        register(ALICE, netuid, HOT_B); // uid 1 @1
        go_to(15);
        register(ALICE, netuid, HOT_C); // uid 2 @15, immune until 25
        assert_ok!(Neurons::note_emissions(netuid, [(0, 5), (1, 7), (2, 0)]));
        go_to(16);
        assert_eq!(register(BOB, netuid, HOT_D), 0, "not the immune uid 2");
        assert_eq!(Uids::<Test>::get(netuid, HOT_C), Some(2));
    });
}

#[test]
fn a_freed_uid_is_reused_by_the_next_registration() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        register(ALICE, netuid, HOT_C);
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_B
        ));
        assert_eq!(FreeUids::<Test>::get(netuid).into_inner(), vec![1]);
        go_to(7);
        assert_eq!(register(BOB, netuid, HOT_D), 1);
        assert!(FreeUids::<Test>::get(netuid).is_empty());
        assert_eq!(NeuronCount::<Test>::get(netuid), 3);
        assert_eq!(
            RegisteredAt::<Test>::get(netuid).into_inner(),
            vec![1, 7, 1]
        );
        // The next one appends again.
        assert_eq!(register(BOB, netuid, 105), 3);
    });
}

#[test]
fn a_lowered_max_neurons_prunes_instead_of_growing_into_free_uids() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(3, 0);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        register(ALICE, netuid, HOT_C);
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_C
        ));
        // At once, as governance does (an owner's change waits for the next boundary).
        assert_ok!(Subnets::apply_hyperparameters(
            netuid,
            hyperparameters(2, 0)
        ));
        // Two neurons on a subnet of two: the free uid 2 must not be taken.
        assert_eq!(register(BOB, netuid, HOT_D), 0);
        assert_eq!(NeuronCount::<Test>::get(netuid), 2);
        assert_eq!(FreeUids::<Test>::get(netuid).into_inner(), vec![2]);
    });
}

#[test]
fn note_emission_needs_a_registered_uid() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        assert_ok!(Neurons::note_emission(netuid, 0, 9));
        assert_noop!(
            Neurons::note_emission(netuid, 1, 9),
            Error::<Test>::NotRegistered
        );
        assert_noop!(
            Neurons::note_emissions(netuid, [(0, 1), (3, 1)]),
            Error::<Test>::NotRegistered
        );
        assert_eq!(Emission::<Test>::get(netuid).into_inner(), vec![9]);
        // Nothing to note creates no state, not even for an unknown subnet.
        assert_ok!(Neurons::note_emissions(NetUid(9), []));
        assert!(!Emission::<Test>::contains_key(NetUid(9)));
    });
}
