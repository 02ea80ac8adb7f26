//! `close`: quorum, threshold, the prime directive's supermajority, and the deposit.

use super::*;
use crate::{RejectionReason, PRIME_DIRECTIVE};
use frame_support::assert_noop;
use sp_runtime::DispatchError;

fn amend_prime() -> ProposalActionOf<Test> {
    ProposalAction::AmendDirective {
        id: PRIME_DIRECTIVE,
        title: title("The prime directive"),
        text: text("An instance may not harm the hive."),
    }
}

#[test]
fn close_approves_with_quorum_and_majority_and_returns_the_deposit() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        vote(ALICE, index, true);
        vote(BOB, index, false);
        close(index);
        assert_eq!(
            Proposals::<Test>::get(index).unwrap().status,
            ProposalStatus::Approved { enact_at: 16 }
        );
        assert_eq!(
            EnactmentQueue::<Test>::get().into_inner(),
            vec![(16, index)]
        );
        assert!(!VotesOf::<Test>::contains_key(index), "votes cleared");
        assert_eq!(held(CHARLIE), 0);
        assert_eq!(Balances::free_balance(CHARLIE), ENDOWMENT);
        let tail = events();
        assert_eq!(
            tail[tail.len() - 2..],
            [
                Event::ProposalApproved {
                    index,
                    ayes: 400,
                    nays: 300,
                    total_stake: 1_000,
                    enact_at: 16
                },
                Event::DepositReturned {
                    index,
                    who: CHARLIE,
                    amount: 100
                }
            ]
        );
    });
}

#[test]
fn close_rejects_below_the_quorum() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        // 200 of 1,000 is the quorum itself, not above it.
        vote(CHARLIE, index, true);
        close(index);
        assert!(Proposals::<Test>::get(index).is_none());
        assert!(EnactmentQueue::<Test>::get().is_empty());
        assert!(events().contains(&Event::ProposalRejected {
            index,
            ayes: 200,
            nays: 0,
            total_stake: 1_000,
            reason: RejectionReason::QuorumNotReached
        }));
        // 200 ayes are 20% of all stake, well above the 5% burn line: refunded.
        System::assert_last_event(
            Event::DepositReturned {
                index,
                who: CHARLIE,
                amount: 100,
            }
            .into(),
        );
        assert_eq!(held(CHARLIE), 0);
    });
}

#[test]
fn close_approves_just_above_the_quorum() {
    build_and_execute(|| {
        stakes();
        stake(CHARLIE, HOT_C, 201);
        let index = propose(CHARLIE, add("t"), Scope::Network);
        vote(CHARLIE, index, true);
        close(index);
        assert!(matches!(
            Proposals::<Test>::get(index).unwrap().status,
            ProposalStatus::Approved { .. }
        ));
    });
}

#[test]
fn close_rejects_without_a_majority_of_the_votes() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        // 400 ayes against 400 nays: half is not above half.
        vote(ALICE, index, true);
        vote(BOB, index, false);
        vote(DAVE, index, false);
        close(index);
        assert!(Proposals::<Test>::get(index).is_none());
        assert!(events().contains(&Event::ProposalRejected {
            index,
            ayes: 400,
            nays: 400,
            total_stake: 1_000,
            reason: RejectionReason::ThresholdNotReached
        }));
        assert_eq!(held(CHARLIE), 0);
        assert_eq!(Balances::free_balance(CHARLIE), ENDOWMENT);
    });
}

#[test]
fn a_proposal_with_almost_no_ayes_loses_its_deposit() {
    build_and_execute(|| {
        stakes();
        stake(EVE, HOT_C + 1, 40);
        let issuance = Balances::total_issuance();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        // 40 ayes of 1,040 are below 5%; the nays do not matter.
        vote(EVE, index, true);
        vote(ALICE, index, false);
        close(index);
        System::assert_last_event(
            Event::DepositBurned {
                index,
                who: CHARLIE,
                amount: 100,
            }
            .into(),
        );
        assert_eq!(held(CHARLIE), 0);
        assert_eq!(Balances::free_balance(CHARLIE), ENDOWMENT - 100);
        assert_eq!(Balances::total_issuance(), issuance - 100);
    });
}

#[test]
fn a_proposal_nobody_votes_on_loses_its_deposit() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        close(index);
        assert!(events().contains(&Event::ProposalRejected {
            index,
            ayes: 0,
            nays: 0,
            total_stake: 1_000,
            reason: RejectionReason::QuorumNotReached
        }));
        System::assert_last_event(
            Event::DepositBurned {
                index,
                who: CHARLIE,
                amount: 100,
            }
            .into(),
        );
    });
}

#[test]
fn close_failures_change_nothing() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        vote(ALICE, index, true);
        assert_noop!(
            Directives::close(RuntimeOrigin::signed(EVE), 9),
            Error::<Test>::UnknownProposal
        );
        run_to(10);
        assert_noop!(
            Directives::close(RuntimeOrigin::signed(EVE), index),
            Error::<Test>::VotingNotOver
        );
        run_to(11);
        assert_noop!(
            Directives::close(RuntimeOrigin::none(), index),
            DispatchError::BadOrigin
        );
        assert_ok!(Directives::close(RuntimeOrigin::signed(EVE), index));
        assert_noop!(
            Directives::close(RuntimeOrigin::signed(EVE), index),
            Error::<Test>::AlreadyClosed
        );
    });
}

#[test]
fn the_prime_directive_needs_two_thirds() {
    build_and_execute(|| {
        stakes();
        // 600 of 1,000 (60%) would pass anything else ...
        let normal = propose(CHARLIE, add("t"), Scope::Network);
        let prime = propose(CHARLIE, amend_prime(), Scope::Network);
        for index in [normal, prime] {
            vote(ALICE, index, true);
            vote(CHARLIE, index, true);
            vote(BOB, index, false);
            vote(DAVE, index, false);
        }
        close(normal);
        assert_ok!(Directives::close(RuntimeOrigin::signed(EVE), prime));
        assert!(matches!(
            Proposals::<Test>::get(normal).unwrap().status,
            ProposalStatus::Approved { .. }
        ));
        // ... but not the prime directive.
        assert!(Proposals::<Test>::get(prime).is_none());
        assert!(events().contains(&Event::ProposalRejected {
            index: prime,
            ayes: 600,
            nays: 400,
            total_stake: 1_000,
            reason: RejectionReason::ThresholdNotReached
        }));
    });
}

#[test]
fn exactly_two_thirds_amends_the_prime_directive_after_the_longer_delay() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, amend_prime(), Scope::Network);
        // 600 ayes against 300 nays: exactly two thirds of the votes.
        vote(ALICE, index, true);
        vote(CHARLIE, index, true);
        vote(BOB, index, false);
        close(index);
        // PrimeEnactmentDelay is 20 blocks (EnactmentDelay 5).
        assert_eq!(
            Proposals::<Test>::get(index).unwrap().status,
            ProposalStatus::Approved { enact_at: 31 }
        );
        run_to(30);
        assert_eq!(
            DirectiveOf::<Test>::get(PRIME_DIRECTIVE)
                .unwrap()
                .amended_at,
            None
        );
        run_to(31);
        let prime = DirectiveOf::<Test>::get(PRIME_DIRECTIVE).unwrap();
        assert_eq!(prime.text, text("An instance may not harm the hive."));
        assert_eq!(prime.amended_at, Some(31));
        assert!(events().contains(&Event::DirectiveAmended {
            id: PRIME_DIRECTIVE
        }));
    });
}

#[test]
fn a_passed_proposal_gets_its_surcharge_back_and_one_without_ayes_loses_it_all() {
    build_and_execute(|| {
        stakes();
        let issuance = Balances::total_issuance();
        propose(ALICE, add("a"), Scope::Network);
        propose(BOB, add("b"), Scope::Network);
        // The third live proposal holds 200: 100 base, 100 surcharge.
        let passes = propose(CHARLIE, add("c"), Scope::Network);
        let fails = propose(DAVE, add("d"), Scope::Network);
        assert_eq!((held(CHARLIE), held(DAVE)), (200, 200));
        vote(ALICE, passes, true);
        vote(BOB, passes, true);
        close(passes);
        System::assert_last_event(
            Event::DepositReturned {
                index: passes,
                who: CHARLIE,
                amount: 200,
            }
            .into(),
        );
        // Nobody votes aye on Dave's: below the 5 % line, base and surcharge are burned.
        assert_ok!(Directives::close(RuntimeOrigin::signed(EVE), fails));
        System::assert_last_event(
            Event::DepositBurned {
                index: fails,
                who: DAVE,
                amount: 200,
            }
            .into(),
        );
        assert_eq!(Balances::free_balance(CHARLIE), ENDOWMENT);
        assert_eq!(Balances::free_balance(DAVE), ENDOWMENT - 200);
        assert_eq!(Balances::total_issuance(), issuance - 200);
    });
}
