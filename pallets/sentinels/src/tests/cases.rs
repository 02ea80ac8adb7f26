//! `report`, `vote` and `close_case`: judged offences, bonds, thresholds, dismissal and expiry.

use super::*;
use crate::{CaseOutcome, JudgedOffence, OffenceKind, OpenCase};
use frame_support::{assert_noop, traits::fungible::Mutate};
use mindos_primitives::{Perbill, QuarantineInfo};

const EVIDENCE: [u8; 32] = [5; 32];

/// Runs to epoch 2 (the first with a committee) and returns its members.
fn seated() -> Vec<AccountId> {
    run_to_epoch(2);
    let members = sitting();
    assert_eq!(members.len(), 7);
    members
}

fn report(reporter: AccountId, uid: u16) -> frame_support::dispatch::DispatchResult {
    Sentinels::report(
        RuntimeOrigin::signed(reporter),
        NET,
        uid,
        JudgedOffence::WrongOutput,
        EVIDENCE,
    )
}

fn vote(voter: AccountId, case: u64, guilty: bool) {
    assert_ok!(Sentinels::vote(RuntimeOrigin::signed(voter), case, guilty));
}

/// The uid of validator `hotkey`.
fn uid_of(hotkey: AccountId) -> u16 {
    u16::try_from(VALIDATORS.iter().position(|v| *v == hotkey).unwrap()).unwrap()
}

#[test]
fn report_holds_the_bond_and_opens_a_case_with_the_reporters_vote() {
    build_and_execute(|| {
        let members = seated();
        let reporter = members[0];
        assert_ok!(report(reporter, UID_A));
        assert_eq!(held(reporter), BOND);
        let case = Cases::<Test>::get(0).unwrap();
        assert_eq!(case.accused, MINER_A);
        assert_eq!(case.members.to_vec(), members);
        assert_eq!((case.tally().guilty, case.tally().not_guilty), (1, 0));
        assert_eq!(case.threshold, 5);
        assert_eq!(case.expires_at, 20 + CASE_DURATION);
        assert_eq!(
            OpenCases::<Test>::get(NET).into_inner(),
            vec![OpenCase {
                id: 0,
                uid: UID_A,
                reporter
            }]
        );
        assert_eq!(NextCaseId::<Test>::get(), 1);
        let evs = events();
        assert_eq!(
            evs[evs.len() - 2..],
            [
                Event::CaseOpened {
                    case: 0,
                    netuid: NET,
                    uid: UID_A,
                    accused: MINER_A,
                    offence: JudgedOffence::WrongOutput,
                    reporter,
                    evidence_hash: EVIDENCE,
                    expires_at: 20 + CASE_DURATION,
                },
                Event::Voted {
                    case: 0,
                    voter: reporter,
                    guilty: true,
                    guilty_votes: 1,
                    not_guilty_votes: 0
                }
            ]
        );
    });
}

#[test]
fn report_needs_a_committee_and_a_seat_on_it() {
    build_and_execute(|| {
        run_to_epoch(1);
        assert_noop!(report(VALIDATORS[0], UID_A), Error::<Test>::NoCommittee);
        run_to_epoch(2);
        assert_noop!(
            report(not_sitting()[0], UID_A),
            Error::<Test>::NotCommitteeMember
        );
        assert_noop!(report(OUTSIDER, UID_A), Error::<Test>::NotCommitteeMember);
        assert_noop!(
            Sentinels::report(
                RuntimeOrigin::signed(sitting()[0]),
                NetUid(9),
                UID_A,
                JudgedOffence::Timeout,
                EVIDENCE
            ),
            Error::<Test>::UnknownSubnet
        );
    });
}

#[test]
fn report_failures_change_nothing() {
    build_and_execute(|| {
        let members = seated();
        // No neuron in the slot.
        assert_noop!(report(members[0], 40), Error::<Test>::UnknownNeuron);
        // Reporting oneself (one's own coldkey owns the accused).
        assert_noop!(
            report(members[0], uid_of(members[0])),
            Error::<Test>::ConflictOfInterest
        );
        // Quarantined already.
        equivocate(UID_B);
        assert_noop!(report(members[0], UID_B), Error::<Test>::AlreadyQuarantined);
        // One open case per uid.
        assert_ok!(report(members[0], UID_A));
        assert_noop!(report(members[1], UID_A), Error::<Test>::CaseAlreadyOpen);
        // MaxOpenReportsPerReporter = 2.
        assert_ok!(report(members[0], uid_of(members[6])));
        assert_noop!(
            report(members[0], uid_of(members[5])),
            Error::<Test>::TooManyReports
        );
        // MaxOpenCasesPerSubnet = 4.
        assert_ok!(report(members[1], uid_of(members[5])));
        assert_ok!(report(members[1], uid_of(members[4])));
        assert_noop!(
            report(members[2], uid_of(members[3])),
            Error::<Test>::TooManyOpenCases
        );
    });
}

#[test]
fn members_whose_coldkey_owns_the_accused_neither_report_nor_vote() {
    build_and_execute(|| {
        let members = seated();
        // Miner A belongs to the coldkey of member 1.
        OwnerOverrides::mutate(|o| {
            o.insert(MINER_A, owner(members[1]));
        });
        assert_noop!(report(members[1], UID_A), Error::<Test>::ConflictOfInterest);
        assert_ok!(report(members[0], UID_A));
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(members[1]), 0, false),
            Error::<Test>::ConflictOfInterest
        );
        vote(members[2], 0, false);
    });
}

#[test]
fn case_ids_never_wrap() {
    build_and_execute(|| {
        let members = seated();
        NextCaseId::<Test>::put(u64::MAX);
        assert_noop!(report(members[0], UID_A), Error::<Test>::Overflow);
    });
}

#[test]
fn a_reporter_that_cannot_hold_the_bond_is_refused() {
    build_and_execute(|| {
        let members = seated();
        Balances::set_balance(&members[0], BOND);
        assert_noop!(report(members[0], UID_A), Error::<Test>::InsufficientBond);
    });
}

#[test]
fn the_threshold_of_guilty_votes_quarantines_and_holds_the_bond_until_the_slash_settles() {
    build_and_execute(|| {
        let members = seated();
        assert_ok!(report(members[0], UID_A));
        let free = Balances::free_balance(members[0]);
        for voter in &members[1..4] {
            vote(*voter, 0, true);
        }
        vote(members[4], 0, false);
        assert!(Cases::<Test>::get(0).is_some(), "four of five guilty votes");
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        vote(members[5], 0, true);
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(
            Quarantines::<Test>::get(NET, MINER_A).unwrap().offence,
            OffenceKind::Judged(JudgedOffence::WrongOutput)
        );
        assert!(Cases::<Test>::get(0).is_none());
        assert!(OpenCases::<Test>::get(NET).is_empty());
        // The bond stays held for the audit to forfeit, until the slash settles.
        assert_eq!(held(members[0]), BOND);
        assert_eq!(Balances::free_balance(members[0]), free);
        assert!(Judgments::<Test>::get(0).is_some_and(|j| j.convicted && j.bond == BOND));
        let evs = events();
        assert!(evs.contains(&Event::SlashScheduled {
            netuid: NET,
            hotkey: MINER_A,
            rate: Perbill::from_parts(100_000),
            due_epoch: 4
        }));
        assert_eq!(
            evs.last(),
            Some(&Event::CaseClosed {
                case: 0,
                netuid: NET,
                uid: UID_A,
                outcome: CaseOutcome::Guilty,
                bond_returned: 0
            })
        );
        assert!(evs.contains(&Event::Appealable {
            case: 0,
            netuid: NET,
            hotkey: MINER_A,
            until_epoch: 4
        }));
        // Closed: no more votes.
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(members[6]), 0, true),
            Error::<Test>::UnknownCase
        );
        // Settled after the audit window: the bond is returned, the judgment forgotten.
        run_to_epoch(4);
        run_to(System::block_number() + 1);
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_none());
        assert_eq!(held(members[0]), 0);
        // The bond, and the reward of 10% of the 0.01% slash of the miner's stake.
        assert_eq!(Balances::free_balance(members[0]), free + BOND + 10);
        assert!(Judgments::<Test>::get(0).is_none());
    });
}

#[test]
fn two_f_plus_one_not_guilty_votes_refute_the_report_and_burn_its_bond() {
    build_and_execute(|| {
        let members = seated();
        assert_ok!(report(members[0], UID_A));
        let free = Balances::free_balance(members[0]);
        let issuance = Balances::total_issuance();
        // f + 1 = 3 not guilty put five guilty votes out of reach, but not a refutation: the
        // case waits for the members still to vote.
        for voter in &members[1..5] {
            vote(*voter, 0, false);
            assert!(Cases::<Test>::get(0).is_some());
        }
        // 2f + 1 = 5 not guilty: at least three honest members found the miner right.
        vote(members[5], 0, false);
        assert!(Cases::<Test>::get(0).is_none());
        assert!(OpenCases::<Test>::get(NET).is_empty());
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(held(members[0]), 0);
        assert_eq!(
            Balances::free_balance(members[0]),
            free,
            "the bond is not returned"
        );
        assert_eq!(
            Balances::total_issuance(),
            issuance - BOND,
            "the bond is burned"
        );
        assert!(Judgments::<Test>::get(0).is_none());
        let evs = events();
        assert!(evs.contains(&Event::ReportRefuted {
            case: 0,
            netuid: NET,
            uid: UID_A,
            reporter: members[0],
            bond_burned: BOND,
        }));
        assert_eq!(
            evs.last(),
            Some(&Event::CaseClosed {
                case: 0,
                netuid: NET,
                uid: UID_A,
                outcome: CaseOutcome::Refuted,
                bond_returned: 0,
            })
        );
        // Closed: no more votes.
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(members[6]), 0, false),
            Error::<Test>::UnknownCase
        );
    });
}

#[test]
fn a_case_neither_side_can_decide_is_dismissed_and_returns_the_bond() {
    build_and_execute(|| {
        let members = seated();
        assert_ok!(report(members[0], UID_A));
        let free = Balances::free_balance(members[0]);
        vote(members[1], 0, true);
        vote(members[2], 0, true);
        vote(members[3], 0, false);
        vote(members[4], 0, false);
        assert!(Cases::<Test>::get(0).is_some(), "both thresholds in reach");
        // Three guilty, three not guilty, one seat left: neither side can reach five.
        vote(members[5], 0, false);
        assert!(Cases::<Test>::get(0).is_none());
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(held(members[0]), 0);
        assert_eq!(Balances::free_balance(members[0]), free + BOND);
        let evs = events();
        assert!(evs.contains(&Event::CaseClosed {
            case: 0,
            netuid: NET,
            uid: UID_A,
            outcome: CaseOutcome::Dismissed,
            bond_returned: BOND,
        }));
        assert!(!evs.iter().any(|e| matches!(e, Event::ReportRefuted { .. })));
    });
}

#[test]
fn a_higher_governed_threshold_needs_more_votes_to_convict_not_to_refute() {
    build_and_execute(|| {
        ThresholdParam::set(6);
        let members = seated();
        assert_ok!(report(members[0], UID_A));
        assert_eq!(Cases::<Test>::get(0).unwrap().threshold, 6);
        for voter in &members[1..5] {
            vote(*voter, 0, true);
        }
        assert!(Cases::<Test>::get(0).is_some(), "five guilty of six needed");
        vote(members[5], 0, true);
        assert!(Sentinels::is_quarantined(NET, UID_A));

        // Two not guilty put six out of reach; refuting takes 2f + 1 = 5 all the same.
        assert_ok!(report(members[0], UID_B));
        for voter in &members[1..5] {
            vote(*voter, 1, false);
            assert!(Cases::<Test>::get(1).is_some());
        }
        vote(members[5], 1, false);
        assert!(Cases::<Test>::get(1).is_none());
        assert!(events().contains(&Event::ReportRefuted {
            case: 1,
            netuid: NET,
            uid: UID_B,
            reporter: members[0],
            bond_burned: BOND,
        }));
    });
}

#[test]
fn a_committee_of_four_quarantines_at_three() {
    build_and_execute(|| {
        Permits::mutate(|p| p.truncate(4));
        let members = {
            run_to_epoch(2);
            sitting()
        };
        assert_eq!(members.len(), 4);
        assert_ok!(report(members[0], UID_A));
        assert_eq!(Cases::<Test>::get(0).unwrap().threshold, 3);
        vote(members[1], 0, true);
        vote(members[2], 0, true);
        assert!(Sentinels::is_quarantined(NET, UID_A));
    });
}

#[test]
fn vote_failures_change_nothing() {
    build_and_execute(|| {
        let members = seated();
        // The accused sits on the committee.
        let accused = members[6];
        assert_ok!(report(members[0], uid_of(accused)));
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(accused), 0, false),
            Error::<Test>::ConflictOfInterest
        );
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(members[1]), 7, true),
            Error::<Test>::UnknownCase
        );
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(not_sitting()[0]), 0, true),
            Error::<Test>::NotCaseMember
        );
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(members[0]), 0, false),
            Error::<Test>::AlreadyVoted
        );
        vote(members[1], 0, true);
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(members[1]), 0, false),
            Error::<Test>::AlreadyVoted
        );
        run_to(20 + CASE_DURATION + 1);
        assert_noop!(
            Sentinels::vote(RuntimeOrigin::signed(members[2]), 0, true),
            Error::<Test>::CaseExpired
        );
    });
}

#[test]
fn a_case_outlives_its_epoch_with_its_committee() {
    build_and_execute(|| {
        let members = seated();
        run_to(29);
        assert_ok!(report(members[0], UID_A));
        run_to_epoch(3);
        // The committee changed; the case's members still vote.
        for voter in &members[1..5] {
            vote(*voter, 0, true);
        }
        assert!(Sentinels::is_quarantined(NET, UID_A));
    });
}

#[test]
fn close_case_dismisses_an_expired_case_and_returns_the_bond() {
    build_and_execute(|| {
        let members = seated();
        assert_ok!(report(members[0], UID_A));
        assert_noop!(
            Sentinels::close_case(RuntimeOrigin::signed(OUTSIDER), 0),
            Error::<Test>::CaseNotExpired
        );
        run_to(20 + CASE_DURATION);
        assert_noop!(
            Sentinels::close_case(RuntimeOrigin::signed(OUTSIDER), 0),
            Error::<Test>::CaseNotExpired
        );
        run_to(20 + CASE_DURATION + 1);
        assert_ok!(Sentinels::close_case(RuntimeOrigin::signed(OUTSIDER), 0));
        assert_eq!(held(members[0]), 0);
        assert!(Cases::<Test>::get(0).is_none());
        System::assert_last_event(
            Event::CaseClosed {
                case: 0,
                netuid: NET,
                uid: UID_A,
                outcome: CaseOutcome::Expired,
                bond_returned: BOND,
            }
            .into(),
        );
        assert_noop!(
            Sentinels::close_case(RuntimeOrigin::signed(OUTSIDER), 0),
            Error::<Test>::UnknownCase
        );
    });
}

#[test]
fn the_boundary_dismisses_expired_cases() {
    build_and_execute(|| {
        let members = seated();
        assert_ok!(report(members[0], UID_A));
        run_to_epoch(3);
        assert!(Cases::<Test>::get(0).is_some(), "not expired at block 30");
        run_to_epoch(4);
        assert!(Cases::<Test>::get(0).is_none());
        assert_eq!(held(members[0]), 0);
        assert!(events().contains(&Event::CaseClosed {
            case: 0,
            netuid: NET,
            uid: UID_A,
            outcome: CaseOutcome::Expired,
            bond_returned: BOND
        }));
    });
}

#[test]
fn a_guilty_verdict_on_a_miner_quarantined_meanwhile_is_superseded() {
    build_and_execute(|| {
        let members = seated();
        assert_ok!(report(members[0], UID_A));
        equivocate(UID_A);
        for voter in &members[1..5] {
            vote(*voter, 0, true);
        }
        System::assert_last_event(
            Event::CaseClosed {
                case: 0,
                netuid: NET,
                uid: UID_A,
                outcome: CaseOutcome::Superseded,
                bond_returned: BOND,
            }
            .into(),
        );
        // One offence only.
        assert_eq!(OffenceHistory::<Test>::get(NET, MINER_A).len(), 1);
    });
}

#[test]
fn a_guilty_verdict_follows_the_accused_hotkey_when_the_slot_changes_hands() {
    build_and_execute(|| {
        let members = seated();
        assert_ok!(report(members[0], UID_A));
        // Miner A leaves while the vote runs; a newcomer takes its uid.
        Slots::mutate(|s| {
            s.insert((NET, UID_A), 31);
        });
        for voter in &members[1..5] {
            vote(*voter, 0, true);
        }
        assert!(
            !Sentinels::is_quarantined(NET, UID_A),
            "the newcomer is not the accused"
        );
        // Leaving did not escape the verdict: A is quarantined when it comes back.
        Slots::mutate(|s| {
            s.insert((NET, 12), MINER_A);
        });
        assert!(Sentinels::is_quarantined(NET, 12));
        assert_eq!(OffenceHistory::<Test>::get(NET, MINER_A).len(), 1);
    });
}

/// Gives miner A and the `conflicted` members one coldkey.
fn owned_with_miner_a(conflicted: &[AccountId]) {
    OwnerOverrides::mutate(|o| {
        for member in conflicted {
            o.insert(*member, 500);
        }
        o.insert(MINER_A, 500);
    });
}

#[test]
fn conflicted_seats_do_not_count_toward_the_committee() {
    build_and_execute(|| {
        let members = seated();
        // Three of the seven cannot judge miner A: four impartial members, f = 1.
        owned_with_miner_a(&members[4..7]);
        assert_ok!(report(members[0], UID_A));
        vote(members[1], 0, true);
        vote(members[2], 0, true);
        assert!(
            Sentinels::is_quarantined(NET, UID_A),
            "2f + 1 = 3 of the four impartial members"
        );
    });
}

#[test]
fn fewer_than_four_impartial_members_cannot_judge() {
    build_and_execute(|| {
        let members = seated();
        owned_with_miner_a(&members[3..7]);
        assert_noop!(
            report(members[0], UID_A),
            Error::<Test>::TooFewImpartialMembers
        );
        // With one more impartial member, four judge: n = 4, 2f + 1 = 3.
        OwnerOverrides::mutate(|o| {
            o.remove(&members[3]);
        });
        assert_ok!(report(members[0], UID_A));
        let case = Cases::<Test>::get(0).unwrap();
        assert_eq!((case.size.n(), case.threshold), (4, 3));
        assert_eq!(case.members.to_vec(), members[..4].to_vec());
    });
}
