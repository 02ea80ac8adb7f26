//! Tests of every call (one success and the failures each can meet, state untouched on
//! error), the burn price, pruning, dissolution and the read side. Every test ends with the
//! pallet's `try_state` invariants (`build_and_execute`).

use crate::{mock::*, pallet::*, weights::WeightInfo, Event, ServeInfo};
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo, traits::Hooks, BoundedVec};
use mindos_primitives::{
    DeviceClass, DeviceProfile, NetUid, NeuronsInfo, PowerSource, MAX_MULTIADDRS,
    MAX_MULTIADDR_LEN, MAX_NEURONS_PER_SUBNET, MAX_PEER_ID_LEN,
};
use pallet_mindos_subnets::{OnSubnetDissolved, Visibility};
use sp_runtime::DispatchError;

const HOT_A: AccountId = 101;
const HOT_B: AccountId = 102;
const HOT_C: AccountId = 103;
const HOT_D: AccountId = 104;

fn create_subnet(max_neurons: u16, immunity_period: u32) -> NetUid {
    let netuid = pallet_mindos_subnets::NextNetUid::<Test>::get();
    assert_ok!(Subnets::create_subnet(
        RuntimeOrigin::signed(OWNER),
        b"embeddings".to_vec().try_into().unwrap(),
        task(),
        hyperparameters(max_neurons, immunity_period),
        Visibility::Public,
    ));
    netuid
}

fn register(coldkey: AccountId, netuid: NetUid, hotkey: AccountId) -> u16 {
    assert_ok!(Neurons::register(
        RuntimeOrigin::signed(coldkey),
        netuid,
        hotkey,
        Balance::MAX
    ));
    Uids::<Test>::get(netuid, hotkey).expect("registered")
}

fn device() -> DeviceProfile {
    DeviceProfile {
        class: DeviceClass::Laptop,
        compute_score: 42,
        power: PowerSource::Mains,
        region: *b"DE",
    }
}

fn peer_id() -> Vec<u8> {
    vec![0x00, 0x24, 0x08, 0x01]
}

fn multiaddrs() -> Vec<Vec<u8>> {
    vec![vec![0x04, 127, 0, 0, 1, 0x06, 0x1f, 0x90]]
}

fn serve(hotkey: AccountId, netuid: NetUid) -> frame_support::dispatch::DispatchResult {
    Neurons::serve(
        RuntimeOrigin::signed(hotkey),
        netuid,
        peer_id(),
        multiaddrs(),
        device(),
    )
}

fn go_to(block: u64) {
    System::set_block_number(block);
}

// --- register ---------------------------------------------------------------------------

#[test]
fn register_burns_the_price_and_assigns_the_next_uid() {
    build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let issuance = Balances::total_issuance();
        assert_eq!(Neurons::burn_price(netuid), Some(100));
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A,
            100
        ));
        System::assert_last_event(
            Event::NeuronRegistered {
                netuid,
                uid: 0,
                hotkey: HOT_A,
                coldkey: ALICE,
                burned: 100,
            }
            .into(),
        );
        assert_eq!(Balances::free_balance(ALICE), ENDOWMENT - 100);
        assert_eq!(
            Balances::total_issuance(),
            issuance - 100,
            "burned, not moved"
        );
        assert_eq!(Keys::<Test>::get(netuid, 0), Some(HOT_A));
        assert_eq!(Uids::<Test>::get(netuid, HOT_A), Some(0));
        assert_eq!(HotkeyOwner::<Test>::get(HOT_A), Some(ALICE));
        assert_eq!(NeuronCount::<Test>::get(netuid), 1);
        assert_eq!(RegisteredAt::<Test>::get(netuid).into_inner(), vec![1]);
        assert_eq!(Emission::<Test>::get(netuid).into_inner(), vec![0]);

        // The same coldkey registers a second hotkey at the doubled price.
        assert_eq!(register(ALICE, netuid, HOT_B), 1);
        assert_eq!(Balances::free_balance(ALICE), ENDOWMENT - 300);
        assert_eq!(Balances::total_issuance(), issuance - 300);
        assert_eq!(NeuronCount::<Test>::get(netuid), 2);
    });
}

#[test]
fn one_hotkey_may_join_several_subnets_under_its_owner() {
    build_and_execute(|| {
        let first = create_subnet(8, 10);
        let second = create_subnet(8, 10);
        assert_eq!(register(ALICE, first, HOT_A), 0);
        assert_eq!(register(ALICE, second, HOT_A), 0);
        assert_eq!(
            Neurons::burn_price(second),
            Some(200),
            "prices are per subnet"
        );
    });
}

#[test]
fn register_failures_change_nothing() {
    build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let signed = RuntimeOrigin::signed;
        assert_noop!(
            Neurons::register(signed(ALICE), NetUid(9), HOT_A, Balance::MAX),
            Error::<Test>::UnknownSubnet
        );
        assert_noop!(
            Neurons::register(RuntimeOrigin::none(), netuid, HOT_A, Balance::MAX),
            DispatchError::BadOrigin
        );
        register(ALICE, netuid, HOT_A);
        assert_noop!(
            Neurons::register(signed(ALICE), netuid, HOT_A, Balance::MAX),
            Error::<Test>::AlreadyRegistered
        );
        // HOT_A is ALICE's on every subnet, even after leaving this one.
        let other = create_subnet(8, 10);
        assert_noop!(
            Neurons::register(signed(BOB), other, HOT_A, Balance::MAX),
            Error::<Test>::HotkeyOwnedByAnother
        );
        assert_ok!(Neurons::deregister(signed(ALICE), netuid, HOT_A));
        assert_noop!(
            Neurons::register(signed(BOB), netuid, HOT_A, Balance::MAX),
            Error::<Test>::HotkeyOwnedByAnother
        );
    });
}

#[test]
fn register_refuses_hotkeys_off_the_allow_list() {
    build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let list: BoundedVec<AccountId, _> = vec![HOT_B].try_into().unwrap();
        assert_ok!(Subnets::set_visibility(
            RuntimeOrigin::signed(OWNER),
            netuid,
            Visibility::Permissioned(list)
        ));
        assert_noop!(
            Neurons::register(RuntimeOrigin::signed(ALICE), netuid, HOT_A, Balance::MAX),
            Error::<Test>::NotOnAllowList
        );
        assert_eq!(register(ALICE, netuid, HOT_B), 0);
    });
}

#[test]
fn max_burn_protects_against_a_price_rise() {
    build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let quote = Neurons::burn_price(netuid).unwrap();
        register(BOB, netuid, HOT_B); // someone else registers first: the price doubles
        assert_noop!(
            Neurons::register(RuntimeOrigin::signed(ALICE), netuid, HOT_A, quote),
            Error::<Test>::BurnAboveMax
        );
        let requote = Neurons::burn_price(netuid).unwrap();
        assert_eq!(requote, 2 * quote);
        assert_noop!(
            Neurons::register(RuntimeOrigin::signed(ALICE), netuid, HOT_A, requote - 1),
            Error::<Test>::BurnAboveMax
        );
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A,
            requote
        ));
        assert_eq!(Balances::free_balance(ALICE), ENDOWMENT - requote);
    });
}

#[test]
fn register_needs_the_price_plus_a_live_account() {
    build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        // POOR holds exactly the floor: burning it would reap the account.
        assert_noop!(
            Neurons::register(RuntimeOrigin::signed(POOR), netuid, HOT_A, Balance::MAX),
            Error::<Test>::InsufficientBalance
        );
        assert_noop!(
            Neurons::register(RuntimeOrigin::signed(77), netuid, HOT_A, Balance::MAX),
            Error::<Test>::InsufficientBalance
        );
        assert_ok!(Balances::force_set_balance(
            RuntimeOrigin::root(),
            POOR,
            101
        ));
        assert_eq!(register(POOR, netuid, HOT_A), 0);
        assert_eq!(Balances::free_balance(POOR), 1);
    });
}

#[test]
fn a_full_subnet_of_immune_neurons_refuses_registration() {
    build_and_execute(|| {
        let netuid = create_subnet(2, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        go_to(10); // registered at 1, immune while block < 11
        assert_noop!(
            Neurons::register(RuntimeOrigin::signed(BOB), netuid, HOT_C, Balance::MAX),
            Error::<Test>::SubnetFullAllImmune
        );
        go_to(11);
        assert_eq!(register(BOB, netuid, HOT_C), 0);
    });
}

// --- burn price ---------------------------------------------------------------------------

#[test]
fn the_price_rises_by_the_factor_with_each_registration() {
    build_and_execute(|| {
        let netuid = create_subnet(16, 10);
        let mut expected = 100;
        for (i, hotkey) in (200..206).enumerate() {
            assert_eq!(
                Neurons::burn_price(netuid),
                Some(expected),
                "registration {i}"
            );
            register(ALICE, netuid, hotkey);
            assert_eq!(
                BurnOf::<Test>::get(netuid).map(|b| (b.price, b.updated_at)),
                Some((expected * 2, 1))
            );
            expected *= 2;
        }
    });
}

#[test]
fn the_price_decays_toward_the_floor_with_the_half_life() {
    build_and_execute(|| {
        BurnFloor::set(1_000);
        let netuid = create_subnet(16, 10);
        register(ALICE, netuid, HOT_A); // pays 1 000 at block 1; the price becomes 2 000
        let price_after = |elapsed: u64| {
            go_to(1 + elapsed);
            Neurons::burn_price(netuid).unwrap()
        };
        assert_eq!(price_after(0), 2_000);
        assert_eq!(price_after(25), 1_875); // 1 000 + 1 000 · (1 − 25/200)
        assert_eq!(price_after(50), 1_750);
        assert_eq!(price_after(100), 1_500); // one half-life
        assert_eq!(price_after(150), 1_375);
        assert_eq!(price_after(200), 1_250); // two half-lives
        assert_eq!(price_after(10_000), 1_000, "never below the floor");

        // A registration pays the decayed price and doubles that.
        go_to(201);
        let issuance = Balances::total_issuance();
        register(BOB, netuid, HOT_B);
        assert_eq!(Balances::total_issuance(), issuance - 1_250);
        assert_eq!(
            BurnOf::<Test>::get(netuid).map(|b| (b.price, b.updated_at)),
            Some((2_500, 201))
        );
    });
}

#[test]
fn a_raised_floor_binds_at_once() {
    build_and_execute(|| {
        let netuid = create_subnet(16, 10);
        register(ALICE, netuid, HOT_A); // price 200
        BurnFloor::set(500);
        assert_eq!(Neurons::burn_price(netuid), Some(500));
        assert_eq!(Neurons::burn_price(NetUid(9)), None);
    });
}

// --- pruning ------------------------------------------------------------------------------

#[test]
fn a_full_subnet_prunes_the_lowest_emission_past_immunity() {
    build_and_execute(|| {
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
    build_and_execute(|| {
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
    build_and_execute(|| {
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
    build_and_execute(|| {
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
    build_and_execute(|| {
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
    build_and_execute(|| {
        let netuid = create_subnet(3, 0);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        register(ALICE, netuid, HOT_C);
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_C
        ));
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(OWNER),
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
    build_and_execute(|| {
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

// --- serve --------------------------------------------------------------------------------

#[test]
fn serve_publishes_the_endpoint_and_device() {
    build_and_execute(|| {
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
    build_and_execute(|| {
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
    build_and_execute(|| {
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
    build_and_execute(|| {
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

// --- deregister ---------------------------------------------------------------------------

#[test]
fn deregister_frees_the_uid_and_clears_the_neuron() {
    build_and_execute(|| {
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
        // The owner may come back (at the current price).
        assert_eq!(register(ALICE, netuid, HOT_A), 0);
    });
}

#[test]
fn deregister_failures_change_nothing() {
    build_and_execute(|| {
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

// --- dissolution --------------------------------------------------------------------------

#[test]
fn dissolving_a_subnet_clears_its_neurons_only() {
    build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let other = create_subnet(8, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        register(BOB, netuid, HOT_C);
        register(ALICE, other, HOT_A);
        assert_ok!(serve(HOT_A, netuid));
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
        assert!(!NeuronCount::<Test>::contains_key(netuid));
        assert!(!RegisteredAt::<Test>::contains_key(netuid));
        assert!(!Emission::<Test>::contains_key(netuid));
        assert!(!FreeUids::<Test>::contains_key(netuid));
        assert!(!BurnOf::<Test>::contains_key(netuid));
        assert_eq!(HotkeyOwner::<Test>::get(HOT_C), Some(BOB), "owners survive");
        assert_eq!(Neurons::metagraph(netuid), None);
        // The other subnet is untouched.
        assert_eq!(Keys::<Test>::get(other, 0), Some(HOT_A));
        assert_eq!(NeuronCount::<Test>::get(other), 1);
    });
}

#[test]
fn dissolution_weight_follows_the_neurons_cleared() {
    build_and_execute(|| {
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
            <() as WeightInfo>::on_subnet_dissolved(0)
        );
        assert_eq!(
            <Neurons as OnSubnetDissolved>::max_weight(),
            <() as WeightInfo>::on_subnet_dissolved(u32::from(MAX_NEURONS_PER_SUBNET))
        );
        let other = create_subnet(8, 10);
        register(ALICE, other, HOT_C);
        register(ALICE, other, HOT_D);
        register(ALICE, other, 105);
        assert_eq!(
            <Neurons as OnSubnetDissolved>::on_subnet_dissolved(other),
            <() as WeightInfo>::on_subnet_dissolved(3)
        );
        // Called directly here, so the subnet still exists in the registry; drop it there too.
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(OWNER),
            other
        ));
    });
}

// --- read side ----------------------------------------------------------------------------

#[test]
fn metagraph_lists_neurons_in_uid_order() {
    build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        assert_eq!(Neurons::metagraph(netuid), Some(vec![]));
        assert_eq!(Neurons::metagraph(NetUid(9)), None);
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

        let rows = Neurons::metagraph(netuid).unwrap();
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
            Some(peer_id())
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
fn neurons_info_answers_other_pallets() {
    build_and_execute(|| {
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

// --- weights and config -------------------------------------------------------------------

#[test]
fn register_is_charged_for_the_subnet_size() {
    build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let weight_of = |netuid| {
            crate::Call::<Test>::register {
                netuid,
                hotkey: HOT_A,
                max_burn: 0,
            }
            .get_dispatch_info()
            .call_weight
        };
        assert_eq!(weight_of(netuid), <() as WeightInfo>::register(8));
        assert_eq!(
            weight_of(NetUid(9)),
            <() as WeightInfo>::register(u32::from(MAX_NEURONS_PER_SUBNET))
        );
        // After the owner shrinks the subnet, the uids it already has still count.
        for hotkey in 200..205 {
            register(ALICE, netuid, hotkey);
        }
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(OWNER),
            netuid,
            hyperparameters(2, 10)
        ));
        assert_eq!(weight_of(netuid), <() as WeightInfo>::register(5));
        assert_eq!(
            crate::Call::<Test>::serve {
                netuid,
                peer_id: vec![],
                multiaddrs: vec![],
                device: device()
            }
            .get_dispatch_info()
            .call_weight,
            <() as WeightInfo>::serve()
        );
        assert_eq!(
            crate::Call::<Test>::deregister {
                netuid,
                hotkey: HOT_A
            }
            .get_dispatch_info()
            .call_weight,
            <() as WeightInfo>::deregister()
        );
    });
}

#[test]
fn mock_config_passes_the_integrity_test() {
    new_test_ext().execute_with(|| {
        <Neurons as Hooks<u64>>::integrity_test();
    });
}

#[test]
fn try_state_catches_broken_invariants() {
    new_test_ext().execute_with(|| {
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
    });
}
