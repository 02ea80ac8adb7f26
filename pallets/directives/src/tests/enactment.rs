//! Enactment: the full lifecycle of every action kind, only after the delay, and the pallets
//! that read the registry seeing a new value only once it is enacted.

use super::*;
use crate::{BurnFloor, ConsensusParameters, DirectiveStatus, EmissionSplit, SentinelParameters};
use mindos_primitives::Range;
use sp_runtime::DispatchError;

#[test]
fn add_directive_lifecycle() {
    build_and_execute(|| {
        stakes();
        let (index, enact_at) = pass(add("Share compute fairly"), Scope::Network);
        assert_eq!(enact_at, 16);
        run_to(enact_at - 1);
        assert!(
            DirectiveOf::<Test>::get(4).is_none(),
            "not before the delay"
        );
        run_to(enact_at);
        let added = DirectiveOf::<Test>::get(4).unwrap();
        assert_eq!(added.title, title("Share compute fairly"));
        assert_eq!(added.status, DirectiveStatus::Active);
        assert_eq!(added.enacted_at, 16);
        assert_eq!(NextDirectiveId::<Test>::get(), 5);
        assert!(Proposals::<Test>::get(index).is_none());
        assert!(EnactmentQueue::<Test>::get().is_empty());
        let tail = events();
        assert_eq!(
            tail[tail.len() - 2..],
            [
                Event::DirectiveAdded { id: 4 },
                Event::ProposalEnacted { index }
            ]
        );
    });
}

#[test]
fn amend_directive_lifecycle() {
    build_and_execute(|| {
        stakes();
        let (_, enact_at) = pass(
            ProposalAction::AmendDirective {
                id: 2,
                title: title("Data stays home"),
                text: text("Personal data never leaves its device without consent."),
            },
            Scope::Network,
        );
        run_to(enact_at - 1);
        assert_eq!(DirectiveOf::<Test>::get(2).unwrap().amended_at, None);
        run_to(enact_at);
        let amended = DirectiveOf::<Test>::get(2).unwrap();
        assert_eq!(amended.title, title("Data stays home"));
        assert_eq!(amended.enacted_at, 0, "first enactment kept");
        assert_eq!(amended.amended_at, Some(enact_at));
        assert!(events().contains(&Event::DirectiveAmended { id: 2 }));
    });
}

#[test]
fn repeal_directive_lifecycle() {
    build_and_execute(|| {
        stakes();
        let (_, enact_at) = pass(ProposalAction::RepealDirective { id: 3 }, Scope::Network);
        run_to(enact_at - 1);
        assert_eq!(
            DirectiveOf::<Test>::get(3).unwrap().status,
            DirectiveStatus::Active
        );
        run_to(enact_at);
        assert_eq!(
            DirectiveOf::<Test>::get(3).unwrap().status,
            DirectiveStatus::Repealed { at: enact_at }
        );
        assert!(events().contains(&Event::DirectiveRepealed { id: 3 }));
        // Repealed, not forgotten.
        assert_eq!(Directives::directives().len(), 4);
    });
}

#[test]
fn set_parameter_lifecycle_changes_what_a_consumer_reads_only_once_enacted() {
    build_and_execute(|| {
        stakes();
        let floor = 1_000_000_000_000;
        assert_eq!(RegistrationPrice::<BurnFloor<Test>>::idle_price(), floor);
        let (index, enact_at) = pass(set(ParameterValue::BurnFloor(5 * floor)), Scope::Network);
        // Proposed, voted and approved: the consumer still sees the old floor.
        run_to(enact_at - 1);
        assert_eq!(RegistrationPrice::<BurnFloor<Test>>::idle_price(), floor);
        run_to(enact_at);
        assert_eq!(
            RegistrationPrice::<BurnFloor<Test>>::idle_price(),
            5 * floor
        );
        assert_eq!(Directives::parameters().burn_floor, 5 * floor);
        let tail = events();
        assert_eq!(
            tail[tail.len() - 2..],
            [
                Event::ParameterSet {
                    value: ParameterValue::BurnFloor(5 * floor)
                },
                Event::ProposalEnacted { index }
            ]
        );
    });
}

#[test]
fn consensus_and_sentinel_parameters_follow_the_registry() {
    build_and_execute(|| {
        stakes();
        let emission = <Directives as ConsensusParameters<Balance>>::block_emission;
        assert_eq!(emission(0), 1_000_000_000_000);
        assert_eq!(
            emission(10_512_000),
            500_000_000_000,
            "halved after two years"
        );
        let split = EmissionSplit {
            owner: Perbill::from_percent(10),
            miners: Perbill::from_percent(50),
            validators: Perbill::from_percent(40),
        };
        let proposals = [
            propose(
                ALICE,
                set(ParameterValue::EmissionSplit(split)),
                Scope::Network,
            ),
            propose(
                ALICE,
                set(ParameterValue::BlockEmission(2_000)),
                Scope::Network,
            ),
            // Alice may have two proposals voting (MaxProposalsPerAccount).
            propose(
                BOB,
                set(ParameterValue::SentinelCommittee {
                    size: 10,
                    threshold: 7,
                }),
                Scope::Network,
            ),
        ];
        for index in proposals {
            vote(ALICE, index, true);
        }
        run_to(11);
        for index in proposals {
            assert_ok!(Directives::close(RuntimeOrigin::signed(EVE), index));
        }
        // Approved, not yet enacted: the consumers still read the old values.
        run_to(15);
        assert_eq!(
            <Directives as ConsensusParameters<Balance>>::emission_split(),
            EmissionSplit::default()
        );
        assert_eq!(<Directives as SentinelParameters>::committee_size(), 7);
        // Two enactments per block: the committee follows a block later.
        run_to(17);
        assert_eq!(
            <Directives as ConsensusParameters<Balance>>::emission_split(),
            split
        );
        assert_eq!(emission(0), 2_000);
        assert_eq!(emission(10_512_000), 1_000);
        assert_eq!(<Directives as SentinelParameters>::committee_size(), 10);
        assert_eq!(<Directives as SentinelParameters>::threshold(), 7);
        assert_eq!(<Directives as SentinelParameters>::quarantine_epochs(), 2);
        assert_eq!(
            <Directives as SentinelParameters>::slash_rates(),
            mindos_primitives::SlashRates::default()
        );
    });
}

#[test]
fn every_get_adapter_reads_its_field() {
    use crate::*;
    use frame_support::traits::Get;
    build_and_execute(|| {
        let p = Directives::parameters();
        assert_eq!(BlockEmission::<Test>::get(), p.block_emission);
        assert_eq!(HalvingInterval::<Test>::get(), p.halving_interval);
        assert_eq!(EmissionSplitOf::<Test>::get(), p.emission_split);
        assert_eq!(BurnIncreaseFactor::<Test>::get(), p.burn_increase_factor);
        assert_eq!(BurnHalfLife::<Test>::get(), p.burn_half_life);
        assert_eq!(BurnFloor::<Test>::get(), p.burn_floor);
        assert_eq!(SubnetLockBase::<Test>::get(), p.subnet_lock_base);
        assert_eq!(SubnetLockPerSubnet::<Test>::get(), p.subnet_lock_per_subnet);
        assert_eq!(UnbondingPeriod::<Test>::get(), p.unbonding_period);
        assert_eq!(
            HyperparameterBoundsOf::<Test>::get(),
            p.hyperparameter_bounds
        );
        assert_eq!(SentinelCommitteeSize::<Test>::get(), 7);
        assert_eq!(SentinelThreshold::<Test>::get(), 5);
        assert_eq!(SentinelQuarantineEpochs::<Test>::get(), 2);
        assert_eq!(
            SentinelReporterShare::<Test>::get(),
            Perbill::from_percent(10)
        );
        assert_eq!(SentinelProvenSlash::<Test>::get(), Perbill::from_percent(5));
        assert_eq!(
            SentinelJudgedSlash::<Test>::get(),
            Perbill::from_parts(100_000)
        );
        assert_eq!(
            SentinelOverturnedSlash::<Test>::get(),
            Perbill::from_parts(1_000_000)
        );
        assert_eq!(
            SentinelClearedSlash::<Test>::get(),
            Perbill::from_percent(2)
        );
        assert_eq!(SentinelCorrelationFactor::<Test>::get(), 3);
        assert_eq!(Kappa::<Test>::get(), p.kappa);
        assert_eq!(ActivityCutoff::<Test>::get(), p.activity_cutoff);
    });
}

#[test]
fn an_enacted_kappa_and_activity_cutoff_reach_the_consensus_pallet() {
    build_and_execute(|| {
        stakes();
        let consensus = || {
            (
                <Directives as ConsensusParameters<Balance>>::epoch_params().kappa,
                <Directives as ConsensusParameters<Balance>>::activity_cutoff(),
            )
        };
        assert_eq!(consensus(), (Perbill::from_percent(50), 4));
        let (_, enact_at) = pass(
            set(ParameterValue::Kappa(Perbill::from_percent(60))),
            Scope::Network,
        );
        run_to(enact_at);
        let (_, enact_at) = pass(set(ParameterValue::ActivityCutoff(6)), Scope::Network);
        run_to(enact_at);
        assert_eq!(consensus(), (Perbill::from_percent(60), 6));
    });
}

#[test]
fn new_bounds_reach_the_subnets_pallet_at_enactment() {
    build_and_execute(|| {
        stakes();
        let mut bounds = Directives::parameters().hyperparameter_bounds;
        bounds.tempo = Range { min: 20, max: 100 };
        let (_, enact_at) = pass(
            set(ParameterValue::HyperparameterBounds(bounds.clone())),
            Scope::Network,
        );
        run_to(enact_at - 1);
        assert_ne!(SubnetBounds::get(), Some(bounds.clone()));
        run_to(enact_at);
        assert_eq!(SubnetBounds::get(), Some(bounds.clone()));
        assert_eq!(Directives::parameters().hyperparameter_bounds, bounds);
    });
}

#[test]
fn subnet_hyperparameters_lifecycle() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, subnet_action(), Scope::Subnet(SUBNET));
        // Alice's 400 of the subnet's 700.
        vote(ALICE, index, true);
        close(index);
        let enact_at = 16;
        run_to(enact_at - 1);
        assert!(SubnetHyperparameters::get().is_empty());
        run_to(enact_at);
        assert_eq!(
            SubnetHyperparameters::get().get(&SUBNET),
            Some(&subnet_params())
        );
        assert!(events().contains(&Event::SubnetHyperparametersSet { netuid: SUBNET }));
        assert!(events().contains(&Event::ProposalEnacted { index }));
    });
}

#[test]
fn an_enactment_that_no_longer_applies_changes_nothing() {
    build_and_execute(|| {
        stakes();
        // Two repeals of the same directive pass; the second finds it repealed.
        let first = propose(
            ALICE,
            ProposalAction::RepealDirective { id: 3 },
            Scope::Network,
        );
        let second = propose(
            BOB,
            ProposalAction::RepealDirective { id: 3 },
            Scope::Network,
        );
        // A subnet change passes, then the subnet is dissolved.
        let subnet = propose(CHARLIE, subnet_action(), Scope::Subnet(SUBNET));
        for index in [first, second] {
            vote(ALICE, index, true);
            vote(BOB, index, true);
        }
        vote(ALICE, subnet, true);
        run_to(11);
        for index in [first, second, subnet] {
            assert_ok!(Directives::close(RuntimeOrigin::signed(EVE), index));
        }
        LiveSubnets::mutate(|live| live.remove(&SUBNET));
        // MaxEnactmentsPerBlock is 2: two enacted at 16, the third at 17.
        run_to(16);
        assert_eq!(
            EnactmentQueue::<Test>::get().into_inner(),
            vec![(16, subnet)]
        );
        run_to(17);
        assert!(events().contains(&Event::ProposalEnacted { index: first }));
        assert!(events().contains(&Event::EnactmentFailed {
            index: second,
            error: Error::<Test>::DirectiveNotActive.into()
        }));
        // (An `Other` error's message is not encoded, so it is not in the stored event.)
        assert!(events().iter().any(|e| matches!(
            e,
            Event::EnactmentFailed { index, error: DispatchError::Other(_) } if *index == subnet
        )));
        assert_eq!(
            DirectiveOf::<Test>::get(3).unwrap().status,
            DirectiveStatus::Repealed { at: 16 }
        );
        assert!(SubnetHyperparameters::get().is_empty());
        assert_eq!(Proposals::<Test>::count(), 0);
    });
}

#[test]
fn a_bounds_change_the_subnets_pallet_refuses_leaves_the_registry_alone() {
    build_and_execute(|| {
        stakes();
        let before = Directives::parameters();
        let mut bounds = before.hyperparameter_bounds.clone();
        bounds.tempo = Range { min: 20, max: 100 };
        let (index, enact_at) = pass(
            set(ParameterValue::HyperparameterBounds(bounds)),
            Scope::Network,
        );
        RefuseBounds::set(true);
        run_to(enact_at);
        assert_eq!(Directives::parameters(), before);
        assert_eq!(SubnetBounds::get(), Some(before.hyperparameter_bounds));
        assert!(events().iter().any(|e| matches!(
            e,
            Event::EnactmentFailed { index: i, error: DispatchError::Other(_) } if *i == index
        )));
    });
}
