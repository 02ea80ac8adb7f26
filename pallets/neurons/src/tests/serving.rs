//! `serve`: the published endpoint and device, its rate limit and checks.

use super::*;

#[test]
fn serve_publishes_the_endpoint_and_device() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        go_to(3);
        let max_peer = vec![1u8; MAX_PEER_ID_LEN as usize];
        let max_addrs = vec![vec![2u8; MAX_MULTIADDR_LEN as usize]; MAX_MULTIADDRS as usize];
        assert_ok!(Neurons::serve(
            RuntimeOrigin::signed(HOT_B),
            netuid,
            max_peer.clone(),
            max_addrs.clone(),
            device()
        ));
        System::assert_last_event(
            Event::NeuronServed {
                netuid,
                uid: 1,
                hotkey: HOT_B,
            }
            .into(),
        );
        let info = Axons::<Test>::get(netuid, HOT_B).unwrap();
        assert_eq!(
            info,
            ServeInfo {
                endpoint: mindos_primitives::Endpoint {
                    peer_id: max_peer.try_into().unwrap(),
                    multiaddrs: max_addrs
                        .into_iter()
                        .map(|a| a.try_into().unwrap())
                        .collect::<Vec<_>>()
                        .try_into()
                        .unwrap(),
                },
                device: device(),
                served_at: 3,
            }
        );
    });
}

#[test]
fn serve_is_rate_limited_after_the_first() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        assert_ok!(serve(HOT_A, netuid));
        go_to(10);
        assert_noop!(serve(HOT_A, netuid), Error::<Test>::ServeRateLimited);
        go_to(11);
        assert_ok!(serve(HOT_A, netuid));
        assert_eq!(Axons::<Test>::get(netuid, HOT_A).unwrap().served_at, 11);
    });
}

#[test]
fn serve_rejects_malformed_endpoints_and_devices() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        let call = |peer: Vec<u8>, addrs: Vec<Vec<u8>>, dev: DeviceProfile| {
            Neurons::serve(RuntimeOrigin::signed(HOT_A), netuid, peer, addrs, dev)
        };
        assert_noop!(
            call(vec![], multiaddrs(), device()),
            Error::<Test>::EmptyPeerId
        );
        assert_noop!(
            call(
                vec![1; MAX_PEER_ID_LEN as usize + 1],
                multiaddrs(),
                device()
            ),
            Error::<Test>::PeerIdTooLong
        );
        assert_noop!(
            call(peer_id(), vec![], device()),
            Error::<Test>::NoMultiaddrs
        );
        assert_noop!(
            call(
                peer_id(),
                vec![vec![1]; MAX_MULTIADDRS as usize + 1],
                device()
            ),
            Error::<Test>::TooManyMultiaddrs
        );
        assert_noop!(
            call(
                peer_id(),
                vec![vec![1], vec![1; MAX_MULTIADDR_LEN as usize + 1]],
                device()
            ),
            Error::<Test>::MultiaddrTooLong
        );
        let mut bad = device();
        bad.region = *b"de";
        assert_noop!(
            call(peer_id(), multiaddrs(), bad),
            Error::<Test>::InvalidRegion
        );
        bad.region = [0, 0];
        assert_noop!(
            call(peer_id(), multiaddrs(), bad),
            Error::<Test>::InvalidRegion
        );
    });
}

#[test]
fn serve_needs_a_registered_hotkey() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let other = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        assert_noop!(serve(HOT_B, netuid), Error::<Test>::NotRegistered);
        assert_noop!(serve(HOT_A, other), Error::<Test>::NotRegistered);
        // The coldkey is not the neuron.
        assert_noop!(serve(ALICE, netuid), Error::<Test>::NotRegistered);
        assert_noop!(
            Neurons::serve(
                RuntimeOrigin::none(),
                netuid,
                peer_id(),
                multiaddrs(),
                device()
            ),
            DispatchError::BadOrigin
        );
    });
}
