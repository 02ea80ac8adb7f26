//! Dissolving a subnet clears its neurons only, for a weight that follows them.

use super::*;

#[test]
fn dissolving_a_subnet_clears_its_neurons_only() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let other = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        register(BOB, netuid, HOT_C);
        register(ALICE, other, HOT_A);
        assert_ok!(serve(HOT_A, netuid));
        assert_ok!(serve(HOT_A, other));
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_B
        ));

        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(OWNER),
            netuid
        ));

        assert_eq!(Keys::<Test>::iter_prefix(netuid).count(), 0);
        assert_eq!(Uids::<Test>::iter_prefix(netuid).count(), 0);
        assert_eq!(Axons::<Test>::iter_prefix(netuid).count(), 0);
        assert_eq!(PeerIdOwner::<Test>::iter_prefix(netuid).count(), 0);
        assert!(!NeuronCount::<Test>::contains_key(netuid));
        assert!(!RegisteredAt::<Test>::contains_key(netuid));
        assert!(!Emission::<Test>::contains_key(netuid));
        assert!(!FreeUids::<Test>::contains_key(netuid));
        assert!(!BurnOf::<Test>::contains_key(netuid));
        assert_eq!(HotkeyOwner::<Test>::get(HOT_C), Some(BOB), "owners survive");
        assert_eq!(Neurons::metagraph(netuid, 0, u16::MAX), None);
        // The other subnet is untouched.
        assert_eq!(Keys::<Test>::get(other, 0), Some(HOT_A));
        assert_eq!(NeuronCount::<Test>::get(other), 1);
        assert_eq!(
            PeerIdOwner::<Test>::get(other, BoundedVec::truncate_from(peer_id_for(HOT_A))),
            Some(HOT_A)
        );
    });
}

/// The measured dissolution of `n` neurons plus removing their `n` PeerIds.
fn dissolution_weight(n: u16) -> frame_support::weights::Weight {
    use frame_support::traits::Get;
    <() as WeightInfo>::on_subnet_dissolved(u32::from(n))
        + <<Test as frame_system::Config>::DbWeight as Get<
            frame_support::weights::RuntimeDbWeight,
        >>::get()
        .writes(u64::from(n))
}

#[test]
fn dissolution_weight_follows_the_neurons_cleared() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(OWNER),
            netuid
        ));
        // A second run on the emptied subnet clears nothing.
        assert_eq!(
            <Neurons as OnSubnetDissolved>::on_subnet_dissolved(netuid),
            dissolution_weight(0)
        );
        assert_eq!(
            <Neurons as OnSubnetDissolved>::max_weight(),
            dissolution_weight(MAX_NEURONS_PER_SUBNET)
        );
        let other = create_subnet(8, 10);
        register(ALICE, other, HOT_C);
        register(ALICE, other, HOT_D);
        register(ALICE, other, 105);
        assert_eq!(
            <Neurons as OnSubnetDissolved>::on_subnet_dissolved(other),
            dissolution_weight(3)
        );
        // Called directly here, so the subnet still exists in the registry; drop it there too.
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(OWNER),
            other
        ));
    });
}
