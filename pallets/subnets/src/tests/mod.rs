//! Tests of every call: one success and the failures each can meet, state untouched on error.
//! Every test runs in [`ExtBuilder::build_and_execute`], which checks the `try_state`
//! invariants afterwards.

use crate::{mock::*, pallet::*, Event, HoldReason, Visibility};
use frame_support::{
    assert_noop, assert_ok,
    traits::fungible::{InspectHold, Mutate},
    BoundedVec,
};
use mindos_primitives::{NetUid, Range};
use sp_runtime::DispatchError;

mod creation;
mod hyperparameters;

pub(super) fn name(s: &str) -> BoundedVec<u8, ConstName> {
    s.as_bytes().to_vec().try_into().unwrap()
}
type ConstName = <Test as crate::Config>::MaxNameLength;

/// Creates a public subnet owned by `owner`, first moving to the block the creation rate
/// limit allows it at.
pub(super) fn create(owner: AccountId) -> NetUid {
    let allowed = Subnets::next_creation_allowed_at();
    if System::block_number() < allowed {
        System::set_block_number(allowed);
    }
    let netuid = NextNetUid::<Test>::get();
    assert_ok!(Subnets::create_subnet(
        RuntimeOrigin::signed(owner),
        name("embeddings"),
        task(),
        hyperparameters(),
        Visibility::Public,
    ));
    netuid
}

pub(super) fn held(who: AccountId) -> Balance {
    Balances::balance_on_hold(&RuntimeHoldReason::Subnets(HoldReason::SubnetLock), &who)
}

#[test]
fn create_subnet_holds_a_rising_deposit_and_assigns_ids() {
    ExtBuilder::default().build_and_execute(|| {
        let first = create(ALICE);
        assert_eq!(first, NetUid(0));
        assert_eq!(held(ALICE), 100);
        System::assert_last_event(
            Event::SubnetCreated {
                netuid: NetUid(0),
                owner: ALICE,
                deposit: 100,
                burned: CREATION_BURN,
            }
            .into(),
        );
        let second = create(BOB);
        assert_eq!(second, NetUid(1));
        assert_eq!(
            held(BOB),
            110,
            "the second live subnet costs one increment more"
        );
        let subnet = SubnetInfoOf::<Test>::get(first).unwrap();
        assert_eq!(subnet.owner, ALICE);
        assert_eq!(subnet.task, task());
        assert_eq!(subnet.created_at, 1);
        assert_eq!(SubnetCount::<Test>::get(), 2);
    });
}

#[test]
fn create_subnet_rejects_bad_input_and_changes_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let origin = || RuntimeOrigin::signed(ALICE);
        assert_noop!(
            Subnets::create_subnet(
                origin(),
                name(""),
                task(),
                hyperparameters(),
                Visibility::Public
            ),
            Error::<Test>::EmptyName
        );
        let mut p = hyperparameters();
        p.tempo = 1;
        assert_noop!(
            Subnets::create_subnet(origin(), name("x"), task(), p, Visibility::Public),
            Error::<Test>::TempoOutOfBounds
        );
        let mut p = hyperparameters();
        p.max_neurons = 4_097;
        assert_noop!(
            Subnets::create_subnet(origin(), name("x"), task(), p, Visibility::Public),
            Error::<Test>::MaxNeuronsOutOfBounds
        );
        assert_noop!(
            Subnets::create_subnet(
                origin(),
                name("x"),
                task(),
                hyperparameters(),
                Visibility::Permissioned(BoundedVec::new())
            ),
            Error::<Test>::EmptyAllowList
        );
        assert_noop!(
            Subnets::create_subnet(
                RuntimeOrigin::signed(POOR),
                name("x"),
                task(),
                hyperparameters(),
                Visibility::Public
            ),
            Error::<Test>::InsufficientBalanceForDeposit
        );
        assert_noop!(
            Subnets::create_subnet(
                RuntimeOrigin::none(),
                name("x"),
                task(),
                hyperparameters(),
                Visibility::Public
            ),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn create_subnet_stops_at_max_subnets() {
    ExtBuilder::default().build_and_execute(|| {
        for _ in 0..4 {
            create(ALICE);
        }
        assert_noop!(
            Subnets::create_subnet(
                RuntimeOrigin::signed(BOB),
                name("fifth"),
                task(),
                hyperparameters(),
                Visibility::Public
            ),
            Error::<Test>::TooManySubnets
        );
    });
}

#[test]
fn create_subnet_without_bounds_is_refused() {
    ExtBuilder::default().build_and_execute(|| {
        HyperparameterBoundsOf::<Test>::kill();
        assert_noop!(
            Subnets::create_subnet(
                RuntimeOrigin::signed(ALICE),
                name("x"),
                task(),
                hyperparameters(),
                Visibility::Public
            ),
            Error::<Test>::NoBounds
        );
    });
}

#[test]
fn set_hyperparameters_by_owner_within_bounds_is_queued() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let mut p = hyperparameters();
        p.tempo = 360;
        p.commit_reveal = false;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            p.clone()
        ));
        assert_eq!(PendingHyperparameters::<Test>::get(netuid), Some(p.clone()));
        // Subnet 0 with tempo 100: its next boundary is block 100.
        System::assert_last_event(
            Event::HyperparametersQueued {
                netuid,
                hyperparameters: p,
                effective_at: 100,
            }
            .into(),
        );
    });
}

#[test]
fn set_hyperparameters_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        assert_noop!(
            Subnets::set_hyperparameters(RuntimeOrigin::signed(BOB), netuid, hyperparameters()),
            Error::<Test>::NotSubnetOwner
        );
        assert_noop!(
            Subnets::set_hyperparameters(
                RuntimeOrigin::signed(ALICE),
                NetUid(9),
                hyperparameters()
            ),
            Error::<Test>::UnknownSubnet
        );
        let mut p = hyperparameters();
        p.max_validators = p.max_neurons + 1;
        assert_noop!(
            Subnets::set_hyperparameters(RuntimeOrigin::signed(ALICE), netuid, p),
            Error::<Test>::MaxValidatorsOutOfBounds
        );
        let mut p = hyperparameters();
        p.min_validator_stake = 0;
        assert_noop!(
            Subnets::set_hyperparameters(RuntimeOrigin::signed(ALICE), netuid, p),
            Error::<Test>::MinValidatorStakeOutOfBounds
        );
    });
}

#[test]
fn governance_applies_hyperparameters_within_bounds_only() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let mut p = hyperparameters();
        p.tempo = 360;
        assert_ok!(Subnets::apply_hyperparameters(netuid, p.clone()));
        assert_eq!(
            SubnetInfoOf::<Test>::get(netuid).unwrap().hyperparameters,
            p
        );
        assert_noop!(
            Subnets::apply_hyperparameters(NetUid(9), hyperparameters()),
            Error::<Test>::UnknownSubnet
        );
        // Governance is held to the same bounds as the owner.
        let mut out = hyperparameters();
        out.max_validators = out.max_neurons + 1;
        assert_noop!(
            Subnets::apply_hyperparameters(netuid, out),
            Error::<Test>::MaxValidatorsOutOfBounds
        );
    });
}

#[test]
fn set_visibility_switches_to_an_allow_list() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let list: BoundedVec<AccountId, _> = vec![BOB].try_into().unwrap();
        assert_ok!(Subnets::set_visibility(
            RuntimeOrigin::signed(ALICE),
            netuid,
            Visibility::Permissioned(list)
        ));
        use mindos_primitives::SubnetsInfo;
        assert!(<Subnets as SubnetsInfo<_, _>>::allows_registration(
            netuid, &BOB
        ));
        assert!(!<Subnets as SubnetsInfo<_, _>>::allows_registration(
            netuid, &ALICE
        ));
        System::assert_last_event(
            Event::VisibilitySet {
                netuid,
                permissioned: true,
            }
            .into(),
        );
    });
}

#[test]
fn set_visibility_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        assert_noop!(
            Subnets::set_visibility(RuntimeOrigin::signed(BOB), netuid, Visibility::Public),
            Error::<Test>::NotSubnetOwner
        );
        assert_noop!(
            Subnets::set_visibility(
                RuntimeOrigin::signed(ALICE),
                netuid,
                Visibility::Permissioned(BoundedVec::new())
            ),
            Error::<Test>::EmptyAllowList
        );
        assert_noop!(
            Subnets::set_visibility(RuntimeOrigin::signed(ALICE), NetUid(3), Visibility::Public),
            Error::<Test>::UnknownSubnet
        );
    });
}

#[test]
fn dissolve_subnet_releases_the_deposit_and_notifies() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(ALICE),
            netuid
        ));
        assert_eq!(held(ALICE), 0);
        assert_eq!(
            Balances::free_balance(ALICE),
            ENDOWMENT - CREATION_BURN,
            "the deposit comes back, the creation burn does not"
        );
        assert!(SubnetInfoOf::<Test>::get(netuid).is_none());
        assert_eq!(SubnetCount::<Test>::get(), 0);
        assert_eq!(Dissolved::get(), vec![netuid]);
        System::assert_last_event(
            Event::SubnetDissolved {
                netuid,
                owner: ALICE,
                deposit_released: 100,
            }
            .into(),
        );
        // Ids are never reused.
        assert_eq!(create(BOB), NetUid(1));
    });
}

#[test]
fn dissolve_subnet_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        assert_noop!(
            Subnets::dissolve_subnet(RuntimeOrigin::signed(BOB), netuid),
            Error::<Test>::NotSubnetOwner
        );
        assert_noop!(
            Subnets::dissolve_subnet(RuntimeOrigin::signed(ALICE), NetUid(7)),
            Error::<Test>::UnknownSubnet
        );
        assert!(Dissolved::get().is_empty());
    });
}

#[test]
fn deposit_cannot_be_spent_while_held() {
    ExtBuilder::default().build_and_execute(|| {
        create(ALICE);
        // Everything but the deposit can go; the held part cannot be transferred away.
        assert!(<Balances as Mutate<_>>::transfer(
            &ALICE,
            &BOB,
            ENDOWMENT,
            frame_support::traits::tokens::Preservation::Expendable
        )
        .is_err());
    });
}

#[test]
fn set_hyperparameter_bounds_by_governance_only() {
    ExtBuilder::default().build_and_execute(|| {
        let mut b = bounds();
        b.tempo = Range { min: 50, max: 500 };
        assert_ok!(Subnets::set_hyperparameter_bounds(
            RuntimeOrigin::root(),
            b.clone()
        ));
        assert_eq!(HyperparameterBoundsOf::<Test>::get(), Some(b.clone()));
        System::assert_last_event(Event::HyperparameterBoundsSet { bounds: b.clone() }.into());
        // The new bounds bind owners at their next change.
        let mut p = hyperparameters();
        p.tempo = 20;
        assert_noop!(
            Subnets::create_subnet(
                RuntimeOrigin::signed(ALICE),
                name("x"),
                task(),
                p,
                Visibility::Public
            ),
            Error::<Test>::TempoOutOfBounds
        );
        assert_noop!(
            Subnets::set_hyperparameter_bounds(RuntimeOrigin::signed(ALICE), b),
            DispatchError::BadOrigin
        );
        let mut bad = bounds();
        bad.max_neurons.max = 5_000;
        assert_noop!(
            Subnets::set_hyperparameter_bounds(RuntimeOrigin::root(), bad),
            Error::<Test>::InvalidBounds
        );
    });
}

#[test]
fn genesis_subnets_exist_without_a_deposit() {
    ExtBuilder::default()
        .genesis_subnets(vec![(
            ALICE,
            b"embeddings".to_vec(),
            task(),
            hyperparameters(),
        )])
        .build_and_execute(|| {
            let subnet = SubnetInfoOf::<Test>::get(NetUid(0)).expect("genesis subnet");
            assert_eq!(subnet.owner, ALICE);
            assert_eq!(subnet.deposit, 0);
            assert_eq!(SubnetCount::<Test>::get(), 1);
            assert_eq!(NextNetUid::<Test>::get(), NetUid(1));
        });
}

#[test]
#[should_panic(expected = "genesis subnet hyperparameters out of bounds")]
fn genesis_subnet_out_of_bounds_is_refused() {
    use sp_runtime::BuildStorage;
    let mut params = hyperparameters();
    params.tempo = 1;
    let _ = crate::GenesisConfig::<Test> {
        bounds: Some(bounds()),
        subnets: vec![(ALICE, b"bad".to_vec(), task(), params)],
    }
    .build_storage();
}

#[test]
fn epoch_schedule_follows_creation_tempo_changes_and_dissolution() {
    use mindos_primitives::SubnetsInfo;
    ExtBuilder::default().build_and_execute(|| {
        let a = create(ALICE); // tempo 100
        let b = create(BOB);
        assert_eq!(<Subnets as SubnetsInfo<_, _>>::netuids(), vec![a, b]);
        // Staggered: with tempo 100 the period is 101 blocks, offset by the id.
        assert_eq!(Subnets::epochs_due(100), vec![a]);
        assert_eq!(Subnets::epochs_due(99), vec![b]);
        assert!(Subnets::epochs_due(98).is_empty());

        let mut params = hyperparameters();
        params.tempo = 10;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(BOB),
            b,
            params
        ));
        // The new tempo takes effect at b's next boundary (99) and counts from it.
        hyperparameters::run_to(99);
        assert_eq!(Subnets::epochs_due(99), vec![b]);
        assert_eq!(Subnets::epochs_due(110), vec![b]);
        assert!(!Subnets::epochs_due(200).contains(&b));
        assert_invariants();

        assert_ok!(Subnets::dissolve_subnet(RuntimeOrigin::signed(ALICE), a));
        assert!(Subnets::epochs_due(100).is_empty());
        assert_eq!(<Subnets as SubnetsInfo<_, _>>::netuids(), vec![b]);
    });
}
