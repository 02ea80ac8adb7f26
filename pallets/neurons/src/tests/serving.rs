//! `serve`: the published endpoint and device, its rate limit and checks, and the binding of
//! an endpoint to its key: the proof and one hotkey per PeerId.

use super::*;

#[test]
fn serve_publishes_the_endpoint_and_device() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        go_to(3);
        // An Ed25519 PeerId (the only kind accepted) with the most and longest multiaddrs.
        let key = node_key(HOT_B);
        let peer = peer_id_of(&key);
        let max_addrs = vec![vec![2u8; MAX_MULTIADDR_LEN as usize]; MAX_MULTIADDRS as usize];
        assert_ok!(Neurons::serve(
            RuntimeOrigin::signed(HOT_B),
            netuid,
            peer.clone(),
            max_addrs.clone(),
            device(),
            proof_by(&key, netuid, HOT_B, &peer, 3)
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
                    peer_id: peer.clone().try_into().unwrap(),
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
        assert_eq!(
            PeerIdOwner::<Test>::get(netuid, BoundedVec::truncate_from(peer)),
            Some(HOT_B)
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
            let proof = proof_by(&node_key(HOT_A), netuid, HOT_A, &peer, 1);
            Neurons::serve(
                RuntimeOrigin::signed(HOT_A),
                netuid,
                peer,
                addrs,
                dev,
                proof,
            )
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
                device(),
                proof_by(&node_key(HOT_A), netuid, HOT_A, &peer_id(), 1)
            ),
            DispatchError::BadOrigin
        );
    });
}

/// The PeerId-to-hotkey map, as a test reads it.
fn peer_owner(netuid: NetUid, peer_id: Vec<u8>) -> Option<AccountId> {
    PeerIdOwner::<Test>::get(netuid, BoundedVec::truncate_from(peer_id))
}

#[test]
fn a_peer_id_is_served_by_one_hotkey_per_subnet() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let other = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(BOB, netuid, HOT_B);
        register(BOB, other, HOT_B);
        let victim = node_key(HOT_A);
        assert_ok!(serve_with(HOT_A, netuid, &victim));
        // The same node under a second hotkey (it holds the key, so its proof is valid):
        // refused, or the node would be scored twice for one machine's answers. Before the
        // binding this was accepted.
        assert_noop!(
            serve_with(HOT_B, netuid, &victim),
            Error::<Test>::PeerIdTaken
        );
        assert_eq!(peer_owner(netuid, peer_id_of(&victim)), Some(HOT_A));
        // Another subnet has its own map.
        assert_ok!(serve_with(HOT_B, other, &victim));
        assert_eq!(peer_owner(other, peer_id_of(&victim)), Some(HOT_B));
    });
}

#[test]
fn a_copied_endpoint_without_the_key_is_refused() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let fresh = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(BOB, netuid, HOT_B);
        register(BOB, fresh, HOT_B);
        let victim_key = node_key(HOT_A);
        let victim = peer_id_of(&victim_key);
        assert_ok!(serve_with(HOT_A, netuid, &victim_key));
        let served_proof = proof_by(&victim_key, netuid, HOT_A, &victim, 1);
        // The copier reuses the victim's published PeerId (and even its proof).
        assert_noop!(
            Neurons::serve(
                RuntimeOrigin::signed(HOT_B),
                netuid,
                victim.clone(),
                multiaddrs(),
                device(),
                served_proof.clone()
            ),
            Error::<Test>::PeerIdTaken
        );
        // Where the PeerId is not taken yet, the proof still has to be its key's for this
        // hotkey and subnet: the victim's proof names another hotkey and subnet.
        assert_noop!(
            Neurons::serve(
                RuntimeOrigin::signed(HOT_B),
                fresh,
                victim.clone(),
                multiaddrs(),
                device(),
                served_proof
            ),
            Error::<Test>::BadEndpointProof
        );
        // Signed by the copier's own key over the victim's PeerId: not the PeerId's key.
        let forged = proof_by(&node_key(HOT_B), fresh, HOT_B, &victim, 1);
        assert_noop!(
            Neurons::serve(
                RuntimeOrigin::signed(HOT_B),
                fresh,
                victim,
                multiaddrs(),
                device(),
                forged
            ),
            Error::<Test>::BadEndpointProof
        );
    });
}

#[test]
fn serve_needs_the_proof_of_this_serve() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let other = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        go_to(5);
        let key = node_key(HOT_A);
        let peer = peer_id_of(&key);
        let call = |proof: ServeProof<u64>| {
            Neurons::serve(
                RuntimeOrigin::signed(HOT_A),
                netuid,
                peer.clone(),
                multiaddrs(),
                device(),
                proof,
            )
        };
        // Not a signature at all.
        assert_noop!(
            call(ServeProof {
                signed_at: 5,
                signature: [0; 64]
            }),
            Error::<Test>::BadEndpointProof
        );
        // Signed for another subnet, another hotkey, another PeerId, another block.
        assert_noop!(
            call(proof_by(&key, other, HOT_A, &peer, 5)),
            Error::<Test>::BadEndpointProof
        );
        assert_noop!(
            call(proof_by(&key, netuid, HOT_B, &peer, 5)),
            Error::<Test>::BadEndpointProof
        );
        assert_noop!(
            call(proof_by(&key, netuid, HOT_A, &peer_id_for(HOT_B), 5)),
            Error::<Test>::BadEndpointProof
        );
        let mut moved = proof_by(&key, netuid, HOT_A, &peer, 4);
        moved.signed_at = 5;
        assert_noop!(call(moved), Error::<Test>::BadEndpointProof);
        // Signed by another key.
        assert_noop!(
            call(proof_by(&node_key(HOT_B), netuid, HOT_A, &peer, 5)),
            Error::<Test>::BadEndpointProof
        );
        // Signed for another chain (another genesis hash).
        let foreign = mindos_primitives::serve_proof_message(
            &[1u8; 32],
            netuid,
            &codec::Encode::encode(&HOT_A),
            &peer,
            5,
        );
        assert_noop!(
            call(ServeProof {
                signed_at: 5,
                signature: key.sign(&foreign).0
            }),
            Error::<Test>::BadEndpointProof
        );
        assert_ok!(call(proof_by(&key, netuid, HOT_A, &peer, 5)));
    });
}

#[test]
fn a_serve_proof_is_valid_for_serve_proof_validity_blocks() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        let key = node_key(HOT_A);
        let peer = peer_id_of(&key);
        let call = |signed_at: u64| {
            Neurons::serve(
                RuntimeOrigin::signed(HOT_A),
                netuid,
                peer.clone(),
                multiaddrs(),
                device(),
                proof_by(&key, netuid, HOT_A, &peer, signed_at),
            )
        };
        go_to(30);
        // Signed 21 blocks ago (validity 20), or at a block still to come.
        assert_noop!(call(9), Error::<Test>::StaleEndpointProof);
        assert_noop!(call(31), Error::<Test>::StaleEndpointProof);
        assert_ok!(call(10));
    });
}

#[test]
fn serve_refuses_peer_ids_whose_key_it_cannot_check() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        let key = node_key(HOT_A);
        let call = |peer: Vec<u8>| {
            let proof = proof_by(&key, netuid, HOT_A, &peer, 1);
            Neurons::serve(
                RuntimeOrigin::signed(HOT_A),
                netuid,
                peer,
                multiaddrs(),
                device(),
                proof,
            )
        };
        // A SHA-256 PeerId (how libp2p names an RSA key), a secp256k1 key, a truncated and
        // an over-long Ed25519 PeerId, the longest PeerId accepted before the binding.
        let mut sha256 = vec![0x12, 0x20];
        sha256.extend_from_slice(&[1; 32]);
        let mut secp256k1 = vec![0x00, 0x25, 0x08, 0x02, 0x12, 0x21];
        secp256k1.extend_from_slice(&[2; 33]);
        let ed25519 = peer_id_of(&key);
        let mut long = ed25519.clone();
        long.push(0);
        for peer in [
            sha256,
            secp256k1,
            ed25519[..37].to_vec(),
            long,
            vec![1; MAX_PEER_ID_LEN as usize],
        ] {
            assert_noop!(call(peer), Error::<Test>::PeerIdNotEd25519);
        }
    });
}

#[test]
fn a_new_peer_id_frees_the_old_one() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(BOB, netuid, HOT_B);
        let old = node_key(HOT_A);
        let new = node_key(1_000);
        assert_ok!(serve_with(HOT_A, netuid, &old));
        go_to(11);
        assert_ok!(serve_with(HOT_A, netuid, &new));
        assert_eq!(peer_owner(netuid, peer_id_of(&old)), None);
        assert_eq!(peer_owner(netuid, peer_id_of(&new)), Some(HOT_A));
        // The old PeerId is free for whoever holds its key (here a second hotkey).
        assert_ok!(serve_with(HOT_B, netuid, &old));
        assert_eq!(peer_owner(netuid, peer_id_of(&old)), Some(HOT_B));
        // Serving the same PeerId again keeps it.
        go_to(21);
        assert_ok!(serve_with(HOT_A, netuid, &new));
        assert_eq!(peer_owner(netuid, peer_id_of(&new)), Some(HOT_A));
    });
}

#[test]
fn deregistering_or_pruning_frees_the_peer_id() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(2, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        assert_ok!(serve(HOT_A, netuid));
        assert_ok!(serve(HOT_B, netuid));
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A
        ));
        assert_eq!(peer_owner(netuid, peer_id_for(HOT_A)), None);
        // HOT_C takes the freed uid, then HOT_D prunes HOT_B (past immunity, no emission).
        register(BOB, netuid, HOT_C);
        go_to(12);
        Emission::<Test>::mutate(netuid, |e| e[0] = 5);
        register(BOB, netuid, HOT_D);
        assert!(!Uids::<Test>::contains_key(netuid, HOT_B));
        assert_eq!(peer_owner(netuid, peer_id_for(HOT_B)), None);
        // Its node may serve again under another hotkey.
        assert_ok!(serve_with(HOT_D, netuid, &node_key(HOT_B)));
    });
}

#[test]
fn serving_a_new_peer_id_reports_its_key_to_the_observer() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        let first = node_key(HOT_A);
        assert_ok!(serve_with(HOT_A, netuid, &first));
        assert_eq!(BoundKeys::get(), vec![(netuid, HOT_A, first.public().0)]);
        // Serving the same PeerId again binds no new key.
        go_to(11);
        assert_ok!(serve_with(HOT_A, netuid, &first));
        assert_eq!(BoundKeys::get().len(), 1);
        // A rotation reports the new key.
        go_to(21);
        let second = node_key(HOT_D);
        assert_ok!(serve_with(HOT_A, netuid, &second));
        assert_eq!(
            BoundKeys::get(),
            vec![
                (netuid, HOT_A, first.public().0),
                (netuid, HOT_A, second.public().0)
            ]
        );
    });
}

#[test]
fn serve_fails_and_changes_nothing_when_the_observer_refuses_the_key() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        let first = node_key(HOT_A);
        assert_ok!(serve_with(HOT_A, netuid, &first));
        RefuseKeys::set(true);
        go_to(11);
        let second = node_key(HOT_D);
        assert_noop!(
            serve_with(HOT_A, netuid, &second),
            Error::<Test>::KeyBindingRefused
        );
        assert_eq!(
            peer_owner(netuid, peer_id_of(&first)),
            Some(HOT_A),
            "the old PeerId stays bound"
        );
        assert_eq!(peer_owner(netuid, peer_id_of(&second)), None);
        // Re-serving the bound PeerId binds no new key, so the observer is not asked.
        assert_ok!(serve_with(HOT_A, netuid, &first));
    });
}
