//! `register`: the burn paid, uids assigned, allow-lists, `max_burn`, a full subnet.

use super::*;

#[test]
fn register_burns_the_price_and_assigns_the_next_uid() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let issuance = Balances::total_issuance();
        assert_eq!(Neurons::burn_price(netuid), Some(100));
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A,
            100,
            consent(ALICE, HOT_A)
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
    ExtBuilder::default().build_and_execute(|| {
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
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let signed = RuntimeOrigin::signed;
        assert_noop!(
            Neurons::register(
                signed(ALICE),
                NetUid(9),
                HOT_A,
                Balance::MAX,
                consent(ALICE, HOT_A)
            ),
            Error::<Test>::UnknownSubnet
        );
        assert_noop!(
            Neurons::register(
                RuntimeOrigin::none(),
                netuid,
                HOT_A,
                Balance::MAX,
                consent(ALICE, HOT_A)
            ),
            DispatchError::BadOrigin
        );
        register(ALICE, netuid, HOT_A);
        assert_noop!(
            Neurons::register(
                signed(ALICE),
                netuid,
                HOT_A,
                Balance::MAX,
                consent(ALICE, HOT_A)
            ),
            Error::<Test>::AlreadyRegistered
        );
        // HOT_A is ALICE's on every subnet, even after leaving this one.
        let other = create_subnet(8, 10);
        assert_noop!(
            Neurons::register(signed(BOB), other, HOT_A, Balance::MAX, consent(BOB, HOT_A)),
            Error::<Test>::HotkeyOwnedByAnother
        );
        assert_ok!(Neurons::deregister(signed(ALICE), netuid, HOT_A));
        assert_noop!(
            Neurons::register(
                signed(BOB),
                netuid,
                HOT_A,
                Balance::MAX,
                consent(BOB, HOT_A)
            ),
            Error::<Test>::HotkeyOwnedByAnother
        );
    });
}

#[test]
fn register_refuses_hotkeys_off_the_allow_list() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let list: BoundedVec<AccountId, _> = vec![HOT_B].try_into().unwrap();
        assert_ok!(Subnets::set_visibility(
            RuntimeOrigin::signed(OWNER),
            netuid,
            Visibility::Permissioned(list)
        ));
        assert_noop!(
            Neurons::register(
                RuntimeOrigin::signed(ALICE),
                netuid,
                HOT_A,
                Balance::MAX,
                consent(ALICE, HOT_A)
            ),
            Error::<Test>::NotOnAllowList
        );
        assert_eq!(register(ALICE, netuid, HOT_B), 0);
    });
}

#[test]
fn max_burn_protects_against_a_price_rise() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let quote = Neurons::burn_price(netuid).unwrap();
        register(BOB, netuid, HOT_B); // someone else registers first: the price doubles
        assert_noop!(
            Neurons::register(
                RuntimeOrigin::signed(ALICE),
                netuid,
                HOT_A,
                quote,
                consent(ALICE, HOT_A)
            ),
            Error::<Test>::BurnAboveMax
        );
        let requote = Neurons::burn_price(netuid).unwrap();
        assert_eq!(requote, 2 * quote);
        assert_noop!(
            Neurons::register(
                RuntimeOrigin::signed(ALICE),
                netuid,
                HOT_A,
                requote - 1,
                consent(ALICE, HOT_A)
            ),
            Error::<Test>::BurnAboveMax
        );
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(ALICE),
            netuid,
            HOT_A,
            requote,
            consent(ALICE, HOT_A)
        ));
        assert_eq!(Balances::free_balance(ALICE), ENDOWMENT - requote);
    });
}

#[test]
fn register_needs_the_price_plus_a_live_account() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        // POOR holds exactly the floor: burning it would reap the account.
        assert_noop!(
            Neurons::register(
                RuntimeOrigin::signed(POOR),
                netuid,
                HOT_A,
                Balance::MAX,
                consent(POOR, HOT_A)
            ),
            Error::<Test>::InsufficientBalance
        );
        assert_noop!(
            Neurons::register(
                RuntimeOrigin::signed(77),
                netuid,
                HOT_A,
                Balance::MAX,
                consent(77, HOT_A)
            ),
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
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(2, 10);
        register(ALICE, netuid, HOT_A);
        register(ALICE, netuid, HOT_B);
        go_to(10); // registered at 1, immune while block < 11
        assert_noop!(
            Neurons::register(
                RuntimeOrigin::signed(BOB),
                netuid,
                HOT_C,
                Balance::MAX,
                consent(BOB, HOT_C)
            ),
            Error::<Test>::SubnetFullAllImmune
        );
        go_to(11);
        assert_eq!(register(BOB, netuid, HOT_C), 0);
    });
}

#[test]
fn a_fresh_hotkey_registers_only_under_the_coldkey_it_consented_to() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(8, 10);
        let signed = RuntimeOrigin::signed;
        // BOB front-runs ALICE's registration of her fresh HOT_A. Before the consent this was
        // accepted and bound HOT_A to BOB for good.
        assert_noop!(
            Neurons::register(signed(BOB), netuid, HOT_A, Balance::MAX, None),
            Error::<Test>::MissingHotkeyConsent
        );
        // HOT_A's consent to ALICE, copied from her pending transaction, does not name BOB.
        assert_noop!(
            Neurons::register(
                signed(BOB),
                netuid,
                HOT_A,
                Balance::MAX,
                consent(ALICE, HOT_A)
            ),
            Error::<Test>::BadHotkeyConsent
        );
        // A consent to BOB signed by another key.
        assert_noop!(
            Neurons::register(
                signed(BOB),
                netuid,
                HOT_A,
                Balance::MAX,
                Some(TestSignature(HOT_B, Neurons::hotkey_consent_payload(&BOB)))
            ),
            Error::<Test>::BadHotkeyConsent
        );
        // A consent to BOB on another chain.
        assert_noop!(
            Neurons::register(
                signed(BOB),
                netuid,
                HOT_A,
                Balance::MAX,
                Some(TestSignature(
                    HOT_A,
                    mindos_primitives::hotkey_consent_message(
                        &[1u8; 32],
                        &codec::Encode::encode(&BOB)
                    )
                ))
            ),
            Error::<Test>::BadHotkeyConsent
        );
        assert_eq!(HotkeyOwner::<Test>::get(HOT_A), None);

        assert_ok!(Neurons::register(
            signed(ALICE),
            netuid,
            HOT_A,
            Balance::MAX,
            consent(ALICE, HOT_A)
        ));
        assert_eq!(HotkeyOwner::<Test>::get(HOT_A), Some(ALICE));
        // Once owned, the owner registers it elsewhere without asking again.
        let other = create_subnet(8, 10);
        assert_ok!(Neurons::register(
            signed(ALICE),
            other,
            HOT_A,
            Balance::MAX,
            None
        ));
        assert_eq!(Uids::<Test>::get(other, HOT_A), Some(0));
    });
}
