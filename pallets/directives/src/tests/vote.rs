//! `vote`, and why stake moved during a vote cannot count twice.

use super::*;
use crate::{RejectionReason, Tally, Vote};
use frame_support::assert_noop;
use sp_runtime::DispatchError;

#[test]
fn vote_records_the_voters_stake_and_can_be_changed() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        vote(ALICE, index, true);
        System::assert_last_event(
            Event::Voted {
                index,
                voter: ALICE,
                aye: true,
                weight: 400,
            }
            .into(),
        );
        vote(BOB, index, false);
        assert_eq!(
            Proposals::<Test>::get(index).unwrap().tally,
            Tally {
                ayes: 400,
                nays: 300,
                voters: 2
            }
        );
        // Alice changes her mind, with more stake than before: the new vote replaces the old.
        stake(ALICE, HOT_A, 450);
        vote(ALICE, index, false);
        assert_eq!(
            Proposals::<Test>::get(index).unwrap().tally,
            Tally {
                ayes: 0,
                nays: 750,
                voters: 2
            }
        );
        assert_eq!(
            Directives::vote_of(index, &ALICE),
            Some(Vote {
                aye: false,
                weight: 450
            })
        );
    });
}

#[test]
fn subnet_votes_weigh_only_stake_on_the_subnets_hotkeys() {
    build_and_execute(|| {
        stakes();
        // Alice has a second hotkey, off the subnet: it weighs in network votes only.
        stake(ALICE, HOT_C + 10, 1_000);
        let index = propose(CHARLIE, subnet_action(), Scope::Subnet(SUBNET));
        vote(ALICE, index, true);
        assert_eq!(Directives::vote_of(index, &ALICE).unwrap().weight, 400);
        // Charlie's hotkey is not on the subnet.
        assert_noop!(
            Directives::vote(RuntimeOrigin::signed(CHARLIE), index, true),
            Error::<Test>::InsufficientVotingStake
        );
        let network = propose(CHARLIE, add("t"), Scope::Network);
        vote(ALICE, network, true);
        assert_eq!(Directives::vote_of(network, &ALICE).unwrap().weight, 1_400);
    });
}

#[test]
fn vote_failures_change_nothing() {
    build_and_execute(|| {
        stakes();
        stake(EVE, HOT_C + 1, 9);
        let index = propose(CHARLIE, add("t"), Scope::Network);
        assert_noop!(
            Directives::vote(RuntimeOrigin::signed(ALICE), 7, true),
            Error::<Test>::UnknownProposal
        );
        assert_noop!(
            Directives::vote(RuntimeOrigin::signed(POOR), index, true),
            Error::<Test>::InsufficientVotingStake
        );
        // MinVotingStake is 10.
        assert_noop!(
            Directives::vote(RuntimeOrigin::signed(EVE), index, true),
            Error::<Test>::InsufficientVotingStake
        );
        assert_noop!(
            Directives::vote(RuntimeOrigin::none(), index, true),
            DispatchError::BadOrigin
        );
        run_to(11);
        assert_noop!(
            Directives::vote(RuntimeOrigin::signed(ALICE), index, true),
            Error::<Test>::VotingClosed
        );
    });
}

#[test]
fn votes_are_capped_per_proposal_but_voters_may_still_change_theirs() {
    build_and_execute(|| {
        stakes();
        stake(EVE, HOT_C + 1, 50);
        stake(POOR, HOT_C + 2, 50);
        let index = propose(CHARLIE, add("t"), Scope::Network);
        // MaxVotesPerProposal is 5.
        for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
            vote(who, index, true);
        }
        // Poor's 50 is not above Eve's, the smallest vote: it cannot take its place.
        assert_noop!(
            Directives::vote(RuntimeOrigin::signed(POOR), index, true),
            Error::<Test>::StakeNotAboveSmallestVote
        );
        vote(EVE, index, false);
        assert_eq!(Proposals::<Test>::get(index).unwrap().tally.voters, 5);
    });
}

#[test]
fn an_approved_proposal_takes_no_more_votes() {
    build_and_execute(|| {
        stakes();
        let (index, _) = pass(add("t"), Scope::Network);
        assert_noop!(
            Directives::vote(RuntimeOrigin::signed(CHARLIE), index, true),
            Error::<Test>::VotingClosed
        );
    });
}

/// The ayes counted at close, from the `ProposalApproved`/`ProposalRejected` event.
fn counted(index: ProposalIndex) -> (Balance, Balance) {
    events()
        .into_iter()
        .find_map(|e| match e {
            Event::ProposalApproved {
                index: i,
                ayes,
                nays,
                ..
            }
            | Event::ProposalRejected {
                index: i,
                ayes,
                nays,
                ..
            } if i == index => Some((ayes, nays)),
            _ => None,
        })
        .unwrap()
}

#[test]
fn stake_handed_to_another_coldkey_mid_vote_counts_once() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        vote(ALICE, index, true);
        // Alice's 400 reach Eve, who stakes them and votes. In MindOS this cannot happen
        // within a vote (the stake stays held for the 7-day unbonding period); even if it
        // did, it would count once: Alice's vote now counts min(400, 0).
        stake(ALICE, HOT_A, 0);
        stake(EVE, HOT_A, 400);
        vote(EVE, index, true);
        assert_eq!(
            Proposals::<Test>::get(index).unwrap().tally.ayes,
            800,
            "as recorded"
        );
        close(index);
        assert_eq!(counted(index), (400, 0));
    });
}

#[test]
fn stake_moved_between_hotkeys_mid_vote_counts_once() {
    build_and_execute(|| {
        stakes();
        let network = propose(CHARLIE, add("t"), Scope::Network);
        let subnet = propose(CHARLIE, subnet_action(), Scope::Subnet(SUBNET));
        vote(ALICE, network, true);
        vote(ALICE, subnet, true);
        // Alice moves her stake from HOT_A to HOT_B (also on the subnet) and votes again:
        // one vote per coldkey, and the re-vote replaces the old weight.
        stake(ALICE, HOT_A, 0);
        stake(ALICE, HOT_B, 400);
        vote(ALICE, network, true);
        vote(ALICE, subnet, true);
        assert_eq!(Proposals::<Test>::get(network).unwrap().tally.ayes, 400);
        assert_eq!(Proposals::<Test>::get(subnet).unwrap().tally.ayes, 400);
        // Then off the subnet, to HOT_C: it still weighs on the network, not on the subnet.
        stake(ALICE, HOT_B, 0);
        stake(ALICE, HOT_C, 400);
        close(network);
        assert_ok!(Directives::close(RuntimeOrigin::signed(EVE), subnet));
        assert_eq!(counted(network), (400, 0));
        assert_eq!(counted(subnet), (0, 0));
    });
}

#[test]
fn stake_added_after_voting_counts_only_after_a_new_vote() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        vote(DAVE, index, true);
        stake(DAVE, HOT_D, 150);
        close(index);
        // 100 of 1,050 is not above the 20% quorum.
        assert_eq!(counted(index), (100, 0));
        assert!(events().contains(&Event::ProposalRejected {
            index,
            ayes: 100,
            nays: 0,
            total_stake: 1_050,
            reason: RejectionReason::QuorumNotReached
        }));
    });
}

#[test]
fn unbonded_stake_stops_counting_and_leaves_the_quorum_denominator() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, add("t"), Scope::Network);
        vote(ALICE, index, true);
        vote(BOB, index, false);
        // Alice unbonds half: her vote counts 200 at close, and the total is 800.
        stake(ALICE, HOT_A, 200);
        close(index);
        assert!(events().contains(&Event::ProposalRejected {
            index,
            ayes: 200,
            nays: 300,
            total_stake: 800,
            reason: RejectionReason::ThresholdNotReached
        }));
    });
}

#[test]
fn a_hotkey_leaving_the_subnet_takes_its_stake_out_of_the_subnet_vote() {
    build_and_execute(|| {
        stakes();
        let index = propose(CHARLIE, subnet_action(), Scope::Subnet(SUBNET));
        vote(ALICE, index, true);
        vote(BOB, index, false);
        deregister(SUBNET, HOT_A);
        close(index);
        assert_eq!(counted(index), (0, 300));
    });
}

/// 2,000 coldkeys with the least stake a vote needs (10 each, 20,000 in all) vote nay on a
/// proposal as soon as it is up, under the runtime's 1,024 votes per proposal. Bob holds
/// 20,000 of 90,000 (22 %): his aye must still count, and the proposal pass.
#[test]
fn dust_voters_cannot_keep_a_large_holder_from_voting_and_passing() {
    build_and_execute(|| {
        MaxVotes::set(1_024);
        const DUST: AccountId = 10_000;
        stake(ALICE, HOT_A, 50_000);
        stake(BOB, HOT_B, 20_000);
        for i in 0..2_000 {
            stake(DUST + i, HOT_D, 10);
        }
        let index = propose(CHARLIE, add("t"), Scope::Network);
        for i in 0..2_000 {
            let voted = Directives::vote(RuntimeOrigin::signed(DUST + i), index, false);
            if i < 1_024 {
                assert_ok!(voted);
            } else {
                // The list is full of votes as small as this one.
                assert_eq!(voted, Err(Error::<Test>::StakeNotAboveSmallestVote.into()));
            }
        }
        assert_eq!(Proposals::<Test>::get(index).unwrap().tally.voters, 1_024);
        vote(BOB, index, true);
        // The latest of the smallest votes made room.
        assert!(events().contains(&Event::VoteEvicted {
            index,
            voter: DUST + 1_023,
            weight: 10
        }));
        assert_eq!(Directives::vote_of(index, &(DUST + 1_023)), None);
        let tally = Proposals::<Test>::get(index).unwrap().tally;
        assert_eq!(tally.voters, 1_024, "Bob took the place of one dust vote");
        assert_eq!((tally.ayes, tally.nays), (20_000, 1_023 * 10));
        close(index);
        assert!(events().contains(&Event::ProposalApproved {
            index,
            ayes: 20_000,
            nays: 10_230,
            total_stake: 90_000,
            enact_at: 16
        }));
    });
}

#[test]
fn a_larger_vote_evicts_the_smallest_from_a_full_list() {
    build_and_execute(|| {
        stakes();
        stake(EVE, HOT_C + 1, 50);
        stake(POOR, HOT_C + 2, 60);
        let index = propose(CHARLIE, add("t"), Scope::Network);
        // MaxVotesPerProposal is 5: the list is full, Eve's 50 the smallest vote.
        for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
            vote(who, index, true);
        }
        assert_ok!(Directives::vote(RuntimeOrigin::signed(POOR), index, false));
        let tail = events();
        assert_eq!(
            tail[tail.len() - 2..],
            [
                Event::VoteEvicted {
                    index,
                    voter: EVE,
                    weight: 50
                },
                Event::Voted {
                    index,
                    voter: POOR,
                    aye: false,
                    weight: 60
                }
            ]
        );
        assert_eq!(Directives::vote_of(index, &EVE), None);
        assert_eq!(
            Proposals::<Test>::get(index).unwrap().tally,
            Tally {
                ayes: 1_000,
                nays: 60,
                voters: 5
            }
        );
        // Eve's 50 is now below the smallest vote (Poor's 60): refused, nothing changes.
        assert_noop!(
            Directives::vote(RuntimeOrigin::signed(EVE), index, true),
            Error::<Test>::StakeNotAboveSmallestVote
        );
        // With more stake she takes Poor's place in turn.
        stake(EVE, HOT_C + 1, 70);
        vote(EVE, index, true);
        System::assert_has_event(
            Event::VoteEvicted {
                index,
                voter: POOR,
                weight: 60,
            }
            .into(),
        );
        let votes: Vec<_> = VotesOf::<Test>::get(index)
            .into_iter()
            .map(|(voter, vote)| (voter, vote.weight))
            .collect();
        assert_eq!(
            votes,
            vec![
                (EVE, 70),
                (DAVE, 100),
                (CHARLIE, 200),
                (BOB, 300),
                (ALICE, 400)
            ]
        );
        close(index);
        assert_eq!(counted(index), (1_070, 0));
    });
}

#[test]
fn among_equally_small_votes_the_latest_is_evicted() {
    build_and_execute(|| {
        stakes();
        stake(EVE, HOT_C + 1, 100);
        stake(POOR, HOT_C + 2, 150);
        let index = propose(CHARLIE, add("t"), Scope::Network);
        // Dave and then Eve, both 100: Eve's is the later vote, so it goes first.
        for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
            vote(who, index, true);
        }
        vote(POOR, index, true);
        System::assert_has_event(
            Event::VoteEvicted {
                index,
                voter: EVE,
                weight: 100,
            }
            .into(),
        );
        assert!(Directives::vote_of(index, &DAVE).is_some());
    });
}

#[test]
fn a_voter_in_a_full_list_may_change_its_vote_with_less_stake() {
    build_and_execute(|| {
        stakes();
        stake(EVE, HOT_C + 1, 50);
        let index = propose(CHARLIE, add("t"), Scope::Network);
        for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
            vote(who, index, true);
        }
        // Alice unbonded most of her stake: her new vote is now the smallest, no one leaves.
        stake(ALICE, HOT_A, 20);
        vote(ALICE, index, false);
        assert_eq!(
            VotesOf::<Test>::get(index).first().map(|(voter, _)| *voter),
            Some(ALICE)
        );
        assert_eq!(
            Proposals::<Test>::get(index).unwrap().tally,
            Tally {
                ayes: 650,
                nays: 20,
                voters: 5
            }
        );
        assert!(!events()
            .iter()
            .any(|e| matches!(e, Event::VoteEvicted { .. })));
    });
}
