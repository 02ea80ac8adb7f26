//! `deregister`: the freed uid and the cleared neuron.

use super::*;

#[test]
fn deregister_frees_the_uid_and_clears_the_neuron() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        assert_ok!(serve(HOT_A, netuid));
        assert_ok!(Neurons::note_emission(netuid, 0, 4));
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A
        ));
        System::assert_last_event(
            Event::NeuronDeregistered {
                netuid,
                uid: 0,
                hotkey: HOT_A,
            }
            .into(),
        );
        assert_eq!(Keys::<Test>::get(netuid, 0), None);
        assert_eq!(Uids::<Test>::get(netuid, HOT_A), None);
        assert!(Axons::<Test>::get(netuid, HOT_A).is_none());
        assert_eq!(FreeUids::<Test>::get(netuid).into_inner(), vec![0]);
        assert_eq!(Emission::<Test>::get(netuid).into_inner(), vec![0, 0]);
        assert_eq!(RegisteredAt::<Test>::get(netuid).into_inner(), vec![0, 1]);
        assert_eq!(NeuronCount::<Test>::get(netuid), 1);
        assert_eq!(HotkeyOwner::<Test>::get(HOT_A), Some(ALICE));
        assert_eq!(
            Departures::get(),
            vec![(netuid, HOT_A)],
            "the observer is told"
        );
        // The owner may come back (at the current price).
        assert_eq!(register(ALICE, netuid, HOT_A), 0);
    });
}

#[test]
fn deregister_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let other = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        assert_noop!(
            Neurons::deregister(RuntimeOrigin::signed(BOB), netuid, HOT_A),
            Error::<Test>::NotHotkeyOwner
        );
        // The hotkey itself is not its owner either.
        assert_noop!(
            Neurons::deregister(RuntimeOrigin::signed(HOT_A), netuid, HOT_A),
            Error::<Test>::NotHotkeyOwner
        );
        assert_noop!(
            Neurons::deregister(RuntimeOrigin::signed(ALICE), other, HOT_A),
            Error::<Test>::NotRegistered
        );
        assert_noop!(
            Neurons::deregister(RuntimeOrigin::signed(ALICE), netuid, HOT_B),
            Error::<Test>::NotHotkeyOwner
        );
        assert_noop!(
            Neurons::deregister(RuntimeOrigin::none(), netuid, HOT_A),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn forced_deregistration_frees_the_slot_as_deregister_does() {
    use mindos_primitives::NeuronDeregistration;
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        assert_ok!(serve(HOT_A, netuid));
        assert_ok!(Neurons::note_emission(netuid, 0, 4));
        assert!(<Neurons as NeuronDeregistration>::deregister(netuid, 0));
        System::assert_last_event(
            Event::NeuronForceDeregistered {
                netuid,
                uid: 0,
                hotkey: HOT_A,
            }
            .into(),
        );
        assert_eq!(Keys::<Test>::get(netuid, 0), None);
        assert_eq!(Uids::<Test>::get(netuid, HOT_A), None);
        assert!(Axons::<Test>::get(netuid, HOT_A).is_none());
        assert_eq!(
            PeerIdOwner::<Test>::get(netuid, BoundedVec::truncate_from(peer_id_for(HOT_A))),
            None
        );
        assert_eq!(FreeUids::<Test>::get(netuid).into_inner(), vec![0]);
        assert_eq!(Emission::<Test>::get(netuid).into_inner(), vec![0, 0]);
        assert_eq!(RegisteredAt::<Test>::get(netuid).into_inner(), vec![0, 1]);
        assert_eq!(NeuronCount::<Test>::get(netuid), 1);
        assert_eq!(HotkeyOwner::<Test>::get(HOT_A), Some(ALICE));
        assert_eq!(
            Departures::get(),
            vec![(netuid, HOT_A)],
            "the observer is told"
        );
        assert_eq!(
            <Neurons as NeuronDeregistration>::max_weight(),
            <() as WeightInfo>::deregister().saturating_add(
                <FakeObserver as mindos_primitives::EndpointObserver<AccountId>>::max_weight()
            )
        );
        // The slot is reused first, and the hotkey may come back.
        assert_eq!(register(ALICE, netuid, HOT_A), 0);
    });
}

#[test]
fn forced_deregistration_of_an_empty_slot_changes_nothing() {
    use mindos_primitives::NeuronDeregistration;
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let other = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A
        ));
        frame_support::assert_storage_noop!(assert!(
            !<Neurons as NeuronDeregistration>::deregister(netuid, 0)
        ));
        frame_support::assert_storage_noop!(assert!(
            !<Neurons as NeuronDeregistration>::deregister(netuid, 7)
        ));
        frame_support::assert_storage_noop!(assert!(
            !<Neurons as NeuronDeregistration>::deregister(other, 0)
        ));
        assert_eq!(
            Departures::get(),
            vec![(netuid, HOT_A)],
            "only the real departure was reported"
        );
    });
}
