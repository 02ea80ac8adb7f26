//! The weights charged, the mock's integrity test and `try_state` catching broken invariants.

use super::*;

#[test]
fn register_is_charged_for_the_subnet_size() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let weight_of = |netuid| {
            crate::Call::<Test>::register {
                netuid,
                hotkey: HOT_A,
                max_burn: 0,
                hotkey_consent: None,
            }
            .get_dispatch_info()
            .call_weight
        };
        // A registration may prune a neuron, whose departure the observer is told of.
        let observer =
            <FakeObserver as mindos_primitives::EndpointObserver<AccountId>>::max_weight();
        let charged = |n: u32| <() as WeightInfo>::register(n).saturating_add(observer);
        assert_eq!(weight_of(netuid), charged(8));
        assert_eq!(
            weight_of(NetUid(9)),
            charged(u32::from(MAX_NEURONS_PER_SUBNET))
        );

        // After the subnet shrinks (at once, as governance does it), the uids it already has
        // still count.
        for hotkey in 200..205 {
            register(ALICE, netuid, hotkey);
        }
        assert_ok!(Subnets::apply_hyperparameters(
            netuid,
            hyperparameters(2, 10)
        ));
        assert_eq!(weight_of(netuid), charged(5));
        assert_eq!(
            crate::Call::<Test>::serve {
                netuid,
                peer_id: vec![],
                multiaddrs: vec![],
                device: device(),
                proof: ServeProof {
                    signed_at: 0,
                    signature: [0; 64]
                },
            }
            .get_dispatch_info()
            .call_weight,
            <() as WeightInfo>::serve()
                + <FakeObserver as mindos_primitives::EndpointObserver<AccountId>>::max_weight()
        );
        assert_eq!(
            crate::Call::<Test>::deregister {
                netuid,
                hotkey: HOT_A
            }
            .get_dispatch_info()
            .call_weight,
            <() as WeightInfo>::deregister().saturating_add(observer),
            "deregister pays for telling the observer"
        );
    });
}

#[test]
fn mock_config_passes_the_integrity_test() {
    ExtBuilder::default().build_and_execute(|| {
        <Neurons as Hooks<u64>>::integrity_test();
    });
}

#[test]
fn try_state_catches_broken_invariants() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        assert_ok!(Neurons::do_try_state());
        NeuronCount::<Test>::insert(netuid, 2);
        assert!(Neurons::do_try_state().is_err());
        NeuronCount::<Test>::insert(netuid, 1);
        HotkeyOwner::<Test>::remove(HOT_A);
        assert!(Neurons::do_try_state().is_err());
        HotkeyOwner::<Test>::insert(HOT_A, ALICE);
        BurnOf::<Test>::insert(
            NetUid(9),
            crate::BurnState {
                price: 1,
                updated_at: 1,
            },
        );
        assert!(Neurons::do_try_state().is_err());
        BurnOf::<Test>::remove(NetUid(9));
        assert_ok!(Neurons::do_try_state());
        // A served PeerId without its owner entry, and an owner entry without an endpoint.
        assert_ok!(serve(HOT_A, netuid));
        let peer: mindos_primitives::PeerIdBytes = BoundedVec::truncate_from(peer_id_for(HOT_A));
        PeerIdOwner::<Test>::remove(netuid, &peer);
        assert!(Neurons::do_try_state().is_err());
        PeerIdOwner::<Test>::insert(netuid, &peer, HOT_A);
        assert_ok!(Neurons::do_try_state());
        PeerIdOwner::<Test>::insert(netuid, BoundedVec::truncate_from(peer_id_for(HOT_B)), HOT_A);
        assert!(Neurons::do_try_state().is_err());
        PeerIdOwner::<Test>::remove(netuid, BoundedVec::truncate_from(peer_id_for(HOT_B)));
        assert_ok!(Neurons::do_try_state());
    });
}
