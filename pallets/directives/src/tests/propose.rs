//! `propose`: every action kind, the deposit, and every check made before a vote.

use super::*;
use crate::{Directive, DirectiveStatus, EmissionSplit, ParameterError, PRIME_DIRECTIVE};
use frame_support::assert_noop;
use mindos_primitives::{NetUid, Range};
use sp_runtime::{DispatchError, FixedU128};

#[test]
fn propose_holds_the_deposit_and_opens_the_vote() {
    build_and_execute(|| {
        let index = propose(BOB, add("Share compute fairly"), Scope::Network);
        assert_eq!(index, 0);
        assert_eq!(held(BOB), 100);
        assert_eq!(Balances::free_balance(BOB), ENDOWMENT - 100);
        let proposal = Proposals::<Test>::get(index).unwrap();
        assert_eq!(proposal.proposer, BOB);
        assert_eq!(proposal.submitted_at, 1);
        assert_eq!(proposal.voting_ends, 11);
        assert_eq!(proposal.status, ProposalStatus::Voting);
        assert_eq!(NextProposalIndex::<Test>::get(), 1);
        System::assert_last_event(
            Event::Proposed {
                index,
                proposer: BOB,
                action: add("Share compute fairly"),
                scope: Scope::Network,
                deposit: 100,
                voting_ends: 11,
            }
            .into(),
        );
    });
}

#[test]
fn propose_accepts_every_other_action_kind() {
    build_and_execute(|| {
        propose(
            ALICE,
            ProposalAction::AmendDirective {
                id: 1,
                title: title("Humans first"),
                text: text("Human well-being comes first."),
            },
            Scope::Network,
        );
        propose(
            ALICE,
            ProposalAction::RepealDirective { id: 3 },
            Scope::Network,
        );
        propose(
            BOB,
            set(ParameterValue::BurnIncreaseFactor(
                FixedU128::from_rational(3, 2),
            )),
            Scope::Network,
        );
        propose(BOB, subnet_action(), Scope::Subnet(SUBNET));
        assert_eq!(Proposals::<Test>::count(), 4);
        // Two each (MaxProposalsPerAccount); the deposit doubles from the third proposal on.
        assert_eq!(held(ALICE), 200);
        assert_eq!(held(BOB), 400);
    });
}

#[test]
fn propose_refuses_bad_directive_changes() {
    build_and_execute(|| {
        let origin = || RuntimeOrigin::signed(ALICE);
        let empty_title = ProposalAction::AddDirective {
            title: title(""),
            text: text("x"),
        };
        assert_noop!(
            Directives::propose(origin(), empty_title, Scope::Network),
            Error::<Test>::EmptyTitle
        );
        let empty_text = ProposalAction::AmendDirective {
            id: 1,
            title: title("x"),
            text: text(""),
        };
        assert_noop!(
            Directives::propose(origin(), empty_text, Scope::Network),
            Error::<Test>::EmptyText
        );
        assert_noop!(
            Directives::propose(
                origin(),
                ProposalAction::RepealDirective { id: 9 },
                Scope::Network
            ),
            Error::<Test>::UnknownDirective
        );
        assert_noop!(
            Directives::propose(
                origin(),
                ProposalAction::RepealDirective {
                    id: PRIME_DIRECTIVE
                },
                Scope::Network
            ),
            Error::<Test>::CannotRepealPrimeDirective
        );
        DirectiveOf::<Test>::mutate(2, |d| {
            d.as_mut().unwrap().status = DirectiveStatus::Repealed { at: 1 }
        });
        assert_noop!(
            Directives::propose(
                origin(),
                ProposalAction::RepealDirective { id: 2 },
                Scope::Network
            ),
            Error::<Test>::DirectiveNotActive
        );
        // MaxDirectives is 6; genesis wrote 4.
        for id in 4..6 {
            DirectiveOf::<Test>::insert(
                id,
                Directive {
                    title: title("t"),
                    text: text("t"),
                    status: DirectiveStatus::Active,
                    enacted_at: 1,
                    amended_at: None,
                },
            );
        }
        NextDirectiveId::<Test>::put(6);
        assert_noop!(
            Directives::propose(origin(), add("one too many"), Scope::Network),
            Error::<Test>::TooManyDirectives
        );
    });
}

#[test]
fn propose_refuses_actions_outside_their_scope() {
    build_and_execute(|| {
        let origin = || RuntimeOrigin::signed(ALICE);
        assert_noop!(
            Directives::propose(origin(), add("t"), Scope::Subnet(SUBNET)),
            Error::<Test>::WrongScope
        );
        assert_noop!(
            Directives::propose(
                origin(),
                set(ParameterValue::BurnFloor(5)),
                Scope::Subnet(SUBNET)
            ),
            Error::<Test>::WrongScope
        );
        assert_noop!(
            Directives::propose(origin(), subnet_action(), Scope::Network),
            Error::<Test>::WrongScope
        );
        assert_noop!(
            Directives::propose(origin(), subnet_action(), Scope::Subnet(NetUid(9))),
            Error::<Test>::UnknownSubnet
        );
        let mut params = subnet_params();
        params.tempo = 5;
        assert_noop!(
            Directives::propose(
                origin(),
                set(ParameterValue::SubnetHyperparameters(params)),
                Scope::Subnet(SUBNET)
            ),
            Error::<Test>::HyperparametersOutOfBounds
        );
    });
}

#[test]
fn invalid_parameter_values_are_rejected_at_propose() {
    build_and_execute(|| {
        use ParameterValue as V;
        let bad_split = EmissionSplit {
            owner: Perbill::from_percent(18),
            miners: Perbill::from_percent(41),
            validators: Perbill::from_percent(40),
        };
        let mut bad_bounds = Directives::parameters().hyperparameter_bounds;
        bad_bounds.max_neurons = Range { min: 1, max: 5_000 };
        let cases: Vec<(ParameterValueOf<Test>, Error<Test>)> = vec![
            (
                V::EmissionSplit(bad_split),
                Error::InvalidParameter(ParameterError::EmissionSplitNotHundredPercent),
            ),
            (
                V::HalvingInterval(0),
                Error::InvalidParameter(ParameterError::ZeroHalvingInterval),
            ),
            (
                V::BurnIncreaseFactor(FixedU128::from_u32(1)),
                Error::InvalidParameter(ParameterError::BurnIncreaseNotAboveOne),
            ),
            (
                V::BurnHalfLife(0),
                Error::InvalidParameter(ParameterError::ZeroBurnHalfLife),
            ),
            (
                V::BurnFloor(0),
                Error::InvalidParameter(ParameterError::ZeroBurnFloor),
            ),
            (
                V::SubnetLockBase(0),
                Error::InvalidParameter(ParameterError::ZeroSubnetLockBase),
            ),
            (
                V::UnbondingPeriod(0),
                Error::InvalidParameter(ParameterError::UnbondingNotLongerThanVoting),
            ),
            // The voting period is 10 blocks: stake that voted must stay unspendable longer.
            (
                V::UnbondingPeriod(10),
                Error::InvalidParameter(ParameterError::UnbondingNotLongerThanVoting),
            ),
            (
                V::HyperparameterBounds(bad_bounds),
                Error::InvalidParameter(ParameterError::InvalidHyperparameterBounds),
            ),
            (
                V::SentinelCommittee {
                    size: 3,
                    threshold: 3,
                },
                Error::InvalidParameter(ParameterError::CommitteeTooSmall),
            ),
            (
                V::SentinelCommittee {
                    size: 17,
                    threshold: 17,
                },
                Error::InvalidParameter(ParameterError::CommitteeTooLarge),
            ),
            (
                V::SentinelCommittee {
                    size: 9,
                    threshold: 6,
                },
                Error::InvalidParameter(ParameterError::ThresholdNotSupermajority),
            ),
            (
                V::SentinelCommittee {
                    size: 9,
                    threshold: 10,
                },
                Error::InvalidParameter(ParameterError::ThresholdAboveCommittee),
            ),
            (
                V::SentinelQuarantineEpochs(0),
                Error::InvalidParameter(ParameterError::ZeroQuarantineEpochs),
            ),
        ];
        for (value, error) in cases {
            assert_noop!(
                Directives::propose(RuntimeOrigin::signed(ALICE), set(value), Scope::Network),
                error
            );
        }
        // The edge values pass.
        propose(ALICE, set(V::UnbondingPeriod(11)), Scope::Network);
        propose(
            ALICE,
            set(V::SentinelCommittee {
                size: 4,
                threshold: 3,
            }),
            Scope::Network,
        );
    });
}

#[test]
fn propose_refuses_when_full_or_unaffordable() {
    build_and_execute(|| {
        assert_noop!(
            Directives::propose(RuntimeOrigin::signed(POOR), add("t"), Scope::Network),
            Error::<Test>::InsufficientBalance
        );
        assert_noop!(
            Directives::propose(RuntimeOrigin::none(), add("t"), Scope::Network),
            DispatchError::BadOrigin
        );
        // MaxActiveProposals is 4.
        for who in [ALICE, BOB, CHARLIE, DAVE] {
            propose(who, add("t"), Scope::Network);
        }
        assert_noop!(
            Directives::propose(RuntimeOrigin::signed(EVE), add("t"), Scope::Network),
            Error::<Test>::TooManyProposals
        );
    });
}

#[test]
fn an_account_may_have_only_so_many_proposals_voting() {
    build_and_execute(|| {
        stakes();
        // MaxProposalsPerAccount is 2.
        let first = propose(ALICE, add("one"), Scope::Network);
        propose(ALICE, add("two"), Scope::Network);
        assert_eq!(OpenProposalsOf::<Test>::get(ALICE), Some(2));
        assert_noop!(
            Directives::propose(RuntimeOrigin::signed(ALICE), add("three"), Scope::Network),
            Error::<Test>::TooManyProposalsFromAccount
        );
        // Others may still propose ...
        propose(BOB, add("four"), Scope::Network);
        // ... and once one of hers closes (approved: it counts no more), so may Alice.
        vote(ALICE, first, true);
        vote(BOB, first, true);
        close(first);
        assert_eq!(OpenProposalsOf::<Test>::get(ALICE), Some(1));
        propose(ALICE, add("three"), Scope::Network);
        assert_eq!(OpenProposalsOf::<Test>::get(ALICE), Some(2));
    });
}

#[test]
fn the_deposit_doubles_with_every_two_live_proposals() {
    build_and_execute(|| {
        // ProposalDeposit 100, doubling with every 2 proposals live (MaxActiveProposals 4).
        assert_eq!(Directives::next_deposit(), 100);
        for who in [ALICE, BOB, CHARLIE, DAVE] {
            propose(who, add("t"), Scope::Network);
        }
        assert_eq!(
            [held(ALICE), held(BOB), held(CHARLIE), held(DAVE)],
            [100, 100, 200, 200]
        );
        let surcharges: Vec<_> = (0..4)
            .map(|i| Proposals::<Test>::get(i).unwrap().surcharge)
            .collect();
        assert_eq!(surcharges, [0, 0, 100, 100]);
        assert!(events().contains(&Event::Proposed {
            index: 3,
            proposer: DAVE,
            action: add("t"),
            scope: Scope::Network,
            deposit: 200,
            voting_ends: 11,
        }));
        // The curve goes on past the table: 400 for the 5th and 6th, 800 for the 7th.
        assert_eq!(Directives::deposit_with_live(4), 400);
        assert_eq!(Directives::deposit_with_live(6), 800);
        assert_eq!(Directives::deposit_with_live(u32::MAX), Balance::MAX);
    });
}

#[test]
fn a_proposer_who_cannot_hold_the_grown_deposit_is_refused() {
    build_and_execute(|| {
        use frame_support::traits::fungible::Mutate;
        Balances::set_balance(&EVE, 150);
        propose(ALICE, add("t"), Scope::Network);
        propose(BOB, add("t"), Scope::Network);
        // 200 now: Eve's 150 is not enough.
        assert_noop!(
            Directives::propose(RuntimeOrigin::signed(EVE), add("t"), Scope::Network),
            Error::<Test>::InsufficientBalance
        );
    });
}

/// What keeping the proposal table full costs: four proposals with enough aye stake to keep
/// their base deposits (Dave's 10 % is above the 5 % burn line) but no quorum. The crowding
/// surcharges (100 on each of the last two) are burned, every cycle.
#[test]
fn filling_the_proposal_table_burns_the_surcharges() {
    build_and_execute(|| {
        stakes();
        let issuance = Balances::total_issuance();
        let proposers = [ALICE, BOB, CHARLIE, DAVE];
        let indices: Vec<_> = proposers
            .iter()
            .map(|who| propose(*who, add("t"), Scope::Network))
            .collect();
        for index in &indices {
            vote(DAVE, *index, true);
        }
        run_to(11);
        for index in indices {
            assert_ok!(Directives::close(RuntimeOrigin::signed(EVE), index));
        }
        assert_eq!(Balances::total_issuance(), issuance - 200);
        for who in proposers {
            assert_eq!(held(who), 0);
        }
        assert_eq!(Balances::free_balance(ALICE), ENDOWMENT);
        assert_eq!(Balances::free_balance(CHARLIE), ENDOWMENT - 100);
        let tail = events();
        assert_eq!(
            tail[tail.len() - 2..],
            [
                Event::DepositReturned {
                    index: 3,
                    who: DAVE,
                    amount: 100
                },
                Event::DepositBurned {
                    index: 3,
                    who: DAVE,
                    amount: 100
                }
            ]
        );
        assert_eq!(OpenProposalsOf::<Test>::iter().count(), 0);
    });
}

/// The runtime's audit window: a sentinel slash waits at most 3 epochs and 2,400 blocks (an
/// audit and its escalation), so at the launch bounds' slowest tempo (14,400) the unbonding
/// period must exceed 45,603 blocks.
fn runtime_audit_window() {
    AuditWindowEpochs::set(3);
    AuditWindowBlocks::set(2_400);
}

#[test]
fn propose_refuses_an_unbonding_period_a_sentinel_slash_can_outwait() {
    runtime_audit_window();
    build_and_execute(|| {
        use ParameterValue as V;
        assert_eq!(
            Directives::parameter_limits().audit_window_at(14_400),
            45_603
        );
        assert_noop!(
            Directives::propose(
                RuntimeOrigin::signed(ALICE),
                set(V::UnbondingPeriod(45_603)),
                Scope::Network
            ),
            Error::<Test>::InvalidParameter(ParameterError::UnbondingNotLongerThanAuditWindow)
        );
        propose(ALICE, set(V::UnbondingPeriod(45_604)), Scope::Network);
    });
}

#[test]
fn propose_refuses_a_slowest_tempo_that_outlasts_the_unbonding_period() {
    runtime_audit_window();
    build_and_execute(|| {
        use ParameterValue as V;
        // The launch unbonding period is 100,800 blocks: 3 · (32,799 + 1) + 2,400 reaches it.
        let mut bounds = Directives::parameters().hyperparameter_bounds;
        bounds.tempo.max = 32_799;
        assert_noop!(
            Directives::propose(
                RuntimeOrigin::signed(ALICE),
                set(V::HyperparameterBounds(bounds.clone())),
                Scope::Network
            ),
            Error::<Test>::InvalidParameter(ParameterError::UnbondingNotLongerThanAuditWindow)
        );
        bounds.tempo.max = 32_798;
        propose(ALICE, set(V::HyperparameterBounds(bounds)), Scope::Network);
    });
}

#[test]
fn propose_refuses_slash_rates_outside_their_ranges() {
    build_and_execute(|| {
        use ParameterValue as V;
        let cases: Vec<(ParameterValueOf<Test>, ParameterError)> = vec![
            (
                V::SentinelProvenSlash(Perbill::zero()),
                ParameterError::ProvenSlashOutOfRange,
            ),
            (
                V::SentinelJudgedSlash(Perbill::from_percent(2)),
                ParameterError::JudgedSlashOutOfRange,
            ),
            (
                V::SentinelOverturnedSlash(Perbill::from_percent(51)),
                ParameterError::SentinelSlashOutOfRange,
            ),
            (
                V::SentinelCorrelationFactor(0),
                ParameterError::CorrelationFactorOutOfRange,
            ),
            (
                V::SentinelClearedSlash(Perbill::from_percent(34)),
                ParameterError::CorrelatedSlashAboveWholeStake,
            ),
            (
                V::SentinelReporterShare(Perbill::from_percent(51)),
                ParameterError::ReporterShareOutOfRange,
            ),
        ];
        for (value, error) in cases {
            assert_noop!(
                Directives::propose(RuntimeOrigin::signed(ALICE), set(value), Scope::Network),
                Error::<Test>::InvalidParameter(error)
            );
        }
        propose(ALICE, set(V::SentinelCorrelationFactor(10)), Scope::Network);
    });
}
