//! The read side: the metagraph and what `NeuronsInfo` tells other pallets.

use super::*;

#[test]
fn metagraph_lists_neurons_in_uid_order() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        assert_eq!(Neurons::metagraph(netuid, 0, u16::MAX), Some(vec![]));
        assert_eq!(Neurons::metagraph(NetUid(9), 0, u16::MAX), None);
        register(ALICE, netuid, HOT_A);
        register(BOB, netuid, HOT_B);
        go_to(5);
        register(ALICE, netuid, HOT_C);
        assert_ok!(serve(HOT_B, netuid));
        StakeOf::mutate(|s| {
            s.insert(HOT_B, 700);
        });
        Permits::mutate(|p| p.push((netuid, HOT_B)));
        go_to(12); // uids 0 and 1 (@1) are past immunity; uid 2 (@5) is not

        let rows = Neurons::metagraph(netuid, 0, u16::MAX).unwrap();
        assert_eq!(
            rows.iter().map(|r| (r.uid, r.hotkey)).collect::<Vec<_>>(),
            vec![(0, HOT_A), (1, HOT_B), (2, HOT_C)]
        );
        let b = &rows[1];
        assert_eq!(b.coldkey, BOB);
        assert_eq!(b.stake, 700);
        assert!(b.validator_permit);
        assert_eq!(b.device, Some(device()));
        assert_eq!(
            b.endpoint.as_ref().map(|e| e.peer_id.to_vec()),
            Some(peer_id_for(HOT_B))
        );
        assert_eq!(b.registered_at, 1);
        assert!(!b.immune);
        let a = &rows[0];
        assert_eq!((a.stake, a.validator_permit), (0, false));
        assert_eq!((a.endpoint.clone(), a.device), (None, None));
        assert!(rows[2].immune);
        assert_eq!(rows[2].registered_at, 5);
    });
}

#[test]
fn the_metagraph_pages_by_uid_and_one_neuron_reads_alone() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        for hotkey in [HOT_A, HOT_B, HOT_C, HOT_D] {
            register(ALICE, netuid, hotkey);
        }
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_B
        ));
        Permits::mutate(|p| p.push((netuid, HOT_C)));
        let uids = |offset, limit| {
            Neurons::metagraph(netuid, offset, limit)
                .unwrap()
                .iter()
                .map(|r| r.uid)
                .collect::<Vec<_>>()
        };
        // uid 1 is free: a page skips it and holds at most `limit` slots' worth of rows.
        assert_eq!(uids(0, u16::MAX), vec![0, 2, 3]);
        assert_eq!(uids(0, 2), vec![0]);
        assert_eq!(uids(1, 2), vec![2]);
        assert_eq!(uids(3, 100), vec![3]);
        assert_eq!(uids(4, 100), Vec::<u16>::new());
        assert_eq!(uids(u16::MAX, u16::MAX), Vec::<u16>::new());
        // One neuron: the same row as in the full metagraph.
        let full = Neurons::metagraph(netuid, 0, u16::MAX).unwrap();
        assert_eq!(Neurons::neuron(netuid, 2).as_ref(), full.get(1));
        assert!(Neurons::neuron(netuid, 2).unwrap().validator_permit);
        assert_eq!(Neurons::neuron(netuid, 1), None, "a free uid");
        assert_eq!(Neurons::neuron(netuid, 9), None, "past the subnet");
        assert_eq!(Neurons::neuron(NetUid(9), 0), None, "an unknown subnet");
    });
}

#[test]
fn neurons_info_answers_other_pallets() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(BOB, netuid, HOT_B);
        register(ALICE, netuid, HOT_C);
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A
        ));
        register(BOB, netuid, HOT_D); // takes uid 0
        assert_eq!(
            <Neurons as NeuronsInfo<_>>::neurons(netuid),
            vec![(0, HOT_D), (1, HOT_B), (2, HOT_C)]
        );
        assert_eq!(
            <Neurons as NeuronsInfo<_>>::hotkey_owner(&HOT_A),
            Some(ALICE)
        );
        assert_eq!(<Neurons as NeuronsInfo<_>>::hotkey_owner(&99), None);
        assert_eq!(<Neurons as NeuronsInfo<_>>::uid(netuid, &HOT_C), Some(2));
        assert_eq!(<Neurons as NeuronsInfo<_>>::uid(netuid, &HOT_A), None);
    });
}
