//! The audit layer: `appeal`, `audit_vote` and `close_audit` (a success and every failure each),
//! random and split-vote audits opened at the verdict, and the settlements of an overturn
//! (conviction or dismissal) and an uphold, with exact balances and issuance.
//!
//! The chain here seats committees of 4 (`f = 1`, 3 guilty votes convict): of the 9 validators,
//! 4 sit on the case committee and an audit committee of 4 is drawn from the other 5. An audit
//! decides with 3 votes to overturn or 2 to uphold.

use super::*;
use crate::{
    canary_commitment, picked_at_random, AuditOutcome, CaseId, JudgedOffence, REPUTATION_CUT,
};
use frame_support::{assert_noop, traits::fungible::Mutate};
use mindos_primitives::{Perbill, QuarantineInfo};
use mindos_sentinels_math::{randomly_audited, AuditReason, Offence};

/// A RANDAO accumulator under which case `case` is (or is not) picked for the random audit.
pub(super) fn mix_where(case: CaseId, picked: bool) -> [u8; 32] {
    (0u8..=255)
        .map(|i| [i; 32])
        .find(|mix| picked_at_random(mix, case) == picked)
        .expect("some accumulator picks and some does not")
}

/// Committees of 4 from epoch 2; returns the case committee sitting then.
pub(super) fn seated4() -> Vec<AccountId> {
    CommitteeSizeParam::set(4);
    ThresholdParam::set(3);
    run_to_epoch(2);
    let members = sitting();
    assert_eq!(members.len(), 4);
    members
}

/// `members[0]` reports the miner at `UID_A`, `members[1]` and `members[2]` vote guilty: case
/// `id` convicts, with the random pick as `picked` says.
pub(super) fn convict(members: &[AccountId], id: CaseId, picked: bool) {
    Mix::<Test>::insert(NET, mix_where(id, picked));
    assert_ok!(Sentinels::report(
        RuntimeOrigin::signed(members[0]),
        NET,
        UID_A,
        JudgedOffence::WrongOutput,
        [3; 32]
    ));
    for voter in &members[1..3] {
        assert_ok!(Sentinels::vote(RuntimeOrigin::signed(*voter), id, true));
    }
    assert!(Sentinels::is_quarantined(NET, UID_A));
}

pub(super) fn appeal(case: CaseId) -> frame_support::dispatch::DispatchResult {
    Sentinels::appeal(RuntimeOrigin::signed(owner(MINER_A)), case)
}

pub(super) fn auditors(case: CaseId) -> Vec<AccountId> {
    Audits::<Test>::get(case).unwrap().members.into_inner()
}

pub(super) fn audit_vote(voter: AccountId, case: CaseId, uphold: bool) {
    assert_ok!(Sentinels::audit_vote(
        RuntimeOrigin::signed(voter),
        case,
        uphold
    ));
}

pub(super) fn appeal_held(who: AccountId) -> Balance {
    Balances::balance_on_hold(
        &RuntimeHoldReason::Sentinels(HoldReason::AppealDeposit),
        &who,
    )
}

/// The permit holders confirm audit `case`'s overturn: the first 7 of the 9 validators (equal
/// stakes; 7 are the first above 2/3, `escalation` tests the thresholds) vote to overturn, those
/// that already did excepted.
pub(super) fn escalation_overturns(case: CaseId) {
    let escalation = Escalations::<Test>::get(case).expect("the overturn escalated");
    for elector in escalation.electorate.iter().take(7) {
        if elector.vote.is_none() {
            assert_ok!(Sentinels::escalation_vote(
                RuntimeOrigin::signed(elector.hotkey),
                case,
                true
            ));
        }
    }
    assert!(!Escalations::<Test>::contains_key(case), "7 of 9 decide");
}

/// The validators' stakes are their free balances too, so slashes burn (as on chain).
pub(super) fn burn_for_real() {
    BurnFromBalances::set(true);
}

#[test]
fn appeal_opens_an_audit_by_a_committee_disjoint_from_the_case_committee() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        let free = Balances::free_balance(owner(MINER_A));
        assert_ok!(appeal(0));
        assert_eq!(appeal_held(owner(MINER_A)), APPEAL_DEPOSIT);
        assert_eq!(
            Balances::free_balance(owner(MINER_A)),
            free - APPEAL_DEPOSIT
        );
        let audit = Audits::<Test>::get(0).unwrap();
        assert_eq!(audit.reason, AuditReason::Appeal);
        assert_eq!(audit.members.len(), 4);
        assert!(audit.members.iter().all(|m| !members.contains(m)));
        assert_eq!(OpenAudits::<Test>::get(NET).into_inner(), vec![0]);
        assert!(Judgments::<Test>::get(0).unwrap().audited);
        System::assert_last_event(
            Event::AuditOpened {
                case: 0,
                netuid: NET,
                reason: AuditReason::Appeal,
                members: audit.members.clone(),
                expires_at: System::block_number() + AUDIT_DURATION,
            }
            .into(),
        );
    });
}

#[test]
fn appeal_failures_change_nothing() {
    build_and_execute(|| {
        let members = seated4();
        assert_noop!(appeal(0), Error::<Test>::UnknownJudgment);
        convict(&members, 0, false);
        // Only the miner's coldkey, not its hotkey nor anyone else.
        assert_noop!(
            Sentinels::appeal(RuntimeOrigin::signed(MINER_A), 0),
            Error::<Test>::NotAccusedOwner
        );
        assert_noop!(
            Sentinels::appeal(RuntimeOrigin::signed(OUTSIDER), 0),
            Error::<Test>::NotAccusedOwner
        );
        // A coldkey that cannot hold the deposit.
        Balances::set_balance(&owner(MINER_A), APPEAL_DEPOSIT);
        assert_noop!(appeal(0), Error::<Test>::InsufficientAppealDeposit);
        Balances::set_balance(&owner(MINER_A), ENDOWMENT);
        // Fewer than 4 validators outside the case committee.
        let permits = Permits::get();
        let outside: Vec<AccountId> = not_sitting();
        Permits::mutate(|p| p.retain(|(_, h)| !outside[..2].contains(h)));
        assert_noop!(appeal(0), Error::<Test>::NoAuditCommittee);
        Permits::set(permits);
        // The subnet's open audits are full.
        OpenAudits::<Test>::insert(NET, frame_support::BoundedVec::truncate_from(vec![90, 91]));
        assert_noop!(appeal(0), Error::<Test>::TooManyAudits);
        OpenAudits::<Test>::remove(NET);
        // Audited once already.
        assert_ok!(appeal(0));
        assert_noop!(appeal(0), Error::<Test>::AlreadyAudited);
    });
}

#[test]
fn appeals_are_refused_after_the_window_and_for_dismissals() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        // The slash fell due (settlement may lag a block behind its boundary).
        Judgments::<Test>::mutate(0, |j| j.as_mut().unwrap().due_epoch = 2);
        assert_noop!(appeal(0), Error::<Test>::AppealWindowOver);
        Judgments::<Test>::mutate(0, |j| j.as_mut().unwrap().due_epoch = 4);
        // A split dismissal is audited, never appealed.
        Mix::<Test>::insert(NET, [0; 32]);
        assert_ok!(Sentinels::report(
            RuntimeOrigin::signed(members[0]),
            NET,
            UID_B,
            JudgedOffence::Timeout,
            [4; 32]
        ));
        assert_ok!(Sentinels::vote(RuntimeOrigin::signed(members[1]), 1, true));
        assert_ok!(Sentinels::vote(RuntimeOrigin::signed(members[2]), 1, false));
        assert_ok!(Sentinels::vote(RuntimeOrigin::signed(members[3]), 1, false));
        assert!(Judgments::<Test>::get(1).is_some_and(|j| !j.convicted));
        assert_noop!(
            Sentinels::appeal(RuntimeOrigin::signed(owner(MINER_B)), 1),
            Error::<Test>::NotConvicted
        );
        // The slash settled: nothing left to appeal.
        run_to_epoch(4);
        assert!(Judgments::<Test>::get(0).is_none());
        assert_noop!(appeal(0), Error::<Test>::UnknownJudgment);
    });
}

#[test]
fn an_overturned_appeal_undoes_the_conviction_and_slashes_the_guilty_voters() {
    build_and_execute(|| {
        burn_for_real();
        let members = seated4();
        convict(&members, 0, false);
        assert_ok!(appeal(0));
        let coldkey_free = Balances::free_balance(owner(MINER_A));
        let issuance = Balances::total_issuance();
        let reporter_free = Balances::free_balance(members[0]);
        assert_eq!(held(members[0]), BOND);
        let judges = auditors(0);
        audit_vote(judges[0], 0, false);
        audit_vote(judges[1], 0, false);
        assert!(
            Audits::<Test>::get(0).is_some(),
            "2 of the 3 overturning votes"
        );
        audit_vote(judges[2], 0, false);
        // The two committees disagree: nothing is undone until the permit holders confirm.
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(appeal_held(owner(MINER_A)), APPEAL_DEPOSIT);
        escalation_overturns(0);

        // The miner: quarantine lifted, offence forgotten, pending slash dropped.
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert!(OffenceHistory::<Test>::get(NET, MINER_A).is_empty());
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_none());
        // The appellant: its deposit back in full.
        assert_eq!(appeal_held(owner(MINER_A)), 0);
        assert_eq!(
            Balances::free_balance(owner(MINER_A)),
            coldkey_free + APPEAL_DEPOSIT
        );
        // The reporter: its bond burned. The three guilty voters (the reporter included):
        // 0.1% ×3 (3 ≥ f + 1 = 2 of the committee) of 1000 = 3 each, burned; reputation halved.
        let rate = Perbill::from_parts(3_000_000);
        let each = rate.mul_floor(VALIDATOR_STAKE);
        assert_eq!(each, 3);
        assert_eq!(held(members[0]), 0);
        assert_eq!(Balances::free_balance(members[0]), reporter_free - each);
        let expected: Vec<_> = members[..3].iter().map(|m| (*m, rate, each)).collect();
        assert_eq!(Slashes::get(), expected);
        assert_eq!(
            ReputationCuts::get(),
            members[..3]
                .iter()
                .map(|m| (NET, *m, REPUTATION_CUT))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            StakeOf::get()[&members[3]],
            VALIDATOR_STAKE,
            "it did not vote"
        );
        // Conservation: issuance fell by exactly the bond and the sentinels' slashes.
        assert_eq!(Balances::total_issuance(), issuance - BOND - 3 * each);
        let evs = events();
        assert!(evs.contains(&Event::AuditClosed {
            case: 0,
            netuid: NET,
            outcome: AuditOutcome::Overturned,
            deposit_returned: APPEAL_DEPOSIT,
            deposit_burned: 0,
        }));
        assert!(evs.contains(&Event::ConvictionOverturned {
            case: 0,
            netuid: NET,
            hotkey: MINER_A,
            quarantine_lifted: true,
            slash_dropped: true,
            bond_forfeited: BOND,
            canary_deposit_forfeited: 0,
        }));
        assert!(evs.contains(&Event::SentinelSlashed {
            netuid: NET,
            hotkey: members[0],
            offence: Offence::OverturnedSentinel { correlated: true },
            rate,
            slashed: each,
        }));
        assert!(Judgments::<Test>::get(0).is_none());
        assert!(OpenAudits::<Test>::get(NET).is_empty());
        // The miner is never slashed.
        run_to_epoch(5);
        assert!(Slashes::get().iter().all(|(h, _, _)| *h != MINER_A));
    });
}

#[test]
fn an_upheld_appeal_burns_the_deposit_and_the_slash_settles() {
    build_and_execute(|| {
        burn_for_real();
        let members = seated4();
        convict(&members, 0, false);
        let coldkey_free = Balances::free_balance(owner(MINER_A));
        let reporter_free = Balances::free_balance(members[0]);
        let issuance = Balances::total_issuance();
        assert_ok!(appeal(0));
        let judges = auditors(0);
        audit_vote(judges[0], 0, true);
        audit_vote(judges[1], 0, true);
        assert!(Audits::<Test>::get(0).is_none(), "f + 1 = 2 uphold");
        assert_eq!(appeal_held(owner(MINER_A)), 0);
        assert_eq!(
            Balances::free_balance(owner(MINER_A)),
            coldkey_free - APPEAL_DEPOSIT
        );
        assert_eq!(Balances::total_issuance(), issuance - APPEAL_DEPOSIT);
        assert!(Sentinels::is_quarantined(NET, UID_A));
        System::assert_has_event(
            Event::AuditClosed {
                case: 0,
                netuid: NET,
                outcome: AuditOutcome::Upheld,
                deposit_returned: 0,
                deposit_burned: APPEAL_DEPOSIT,
            }
            .into(),
        );
        assert!(Slashes::get().is_empty(), "no sentinel slashed");
        // After the window: 0.01% of the miner's stake burned, 10% of it minted to the
        // reporter, its bond returned.
        run_to_epoch(4);
        let slashed = Perbill::from_parts(100_000).mul_floor(MINER_STAKE);
        assert_eq!(slashed, 100);
        assert_eq!(
            Slashes::get(),
            vec![(MINER_A, Perbill::from_parts(100_000), slashed)]
        );
        assert_eq!(held(members[0]), 0);
        assert_eq!(
            Balances::free_balance(members[0]),
            reporter_free + BOND + slashed / 10
        );
        assert_eq!(
            Balances::total_issuance(),
            issuance - APPEAL_DEPOSIT - slashed + slashed / 10
        );
    });
}

#[test]
fn audit_vote_failures_change_nothing() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        assert_noop!(
            Sentinels::audit_vote(RuntimeOrigin::signed(members[0]), 0, true),
            Error::<Test>::UnknownAudit
        );
        assert_ok!(appeal(0));
        let judges = auditors(0);
        // The case committee does not sit on its own audit.
        assert_noop!(
            Sentinels::audit_vote(RuntimeOrigin::signed(members[3]), 0, true),
            Error::<Test>::NotAuditMember
        );
        audit_vote(judges[0], 0, false);
        assert_noop!(
            Sentinels::audit_vote(RuntimeOrigin::signed(judges[0]), 0, true),
            Error::<Test>::AlreadyVoted
        );
        run_to(System::block_number() + AUDIT_DURATION + 1);
        assert_noop!(
            Sentinels::audit_vote(RuntimeOrigin::signed(judges[1]), 0, false),
            Error::<Test>::AuditExpired
        );
    });
}

#[test]
fn an_expired_audit_lets_the_verdict_stand_and_returns_the_deposit() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        let coldkey_free = Balances::free_balance(owner(MINER_A));
        assert_ok!(appeal(0));
        audit_vote(auditors(0)[0], 0, false);
        assert_noop!(
            Sentinels::close_audit(RuntimeOrigin::signed(OUTSIDER), 0),
            Error::<Test>::AuditNotExpired
        );
        // Within its subnet's epoch: no boundary closes it first.
        run_to(System::block_number() + AUDIT_DURATION + 1);
        assert!(Audits::<Test>::get(0).is_some());
        assert_ok!(Sentinels::close_audit(RuntimeOrigin::signed(OUTSIDER), 0));
        assert_noop!(
            Sentinels::close_audit(RuntimeOrigin::signed(OUTSIDER), 0),
            Error::<Test>::UnknownAudit
        );
        System::assert_last_event(
            Event::AuditClosed {
                case: 0,
                netuid: NET,
                outcome: AuditOutcome::Expired,
                deposit_returned: APPEAL_DEPOSIT,
                deposit_burned: 0,
            }
            .into(),
        );
        assert_eq!(Balances::free_balance(owner(MINER_A)), coldkey_free);
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert!(
            Judgments::<Test>::get(0).is_some(),
            "kept until its slash settles"
        );
    });
}

#[test]
fn a_slash_waits_for_the_audit_of_its_conviction() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        // Appeal late in epoch 3: the audit outlasts the boundary of epoch 4, where the slash
        // falls due.
        run_to(38);
        assert_ok!(appeal(0));
        run_to_epoch(4);
        run_to(41);
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_some(), "waits");
        assert!(SlashesDue::<Test>::get().contains(&NET));
        // The audit expires after block 50; closed, it lets the slash settle in the next block.
        run_to(51);
        assert!(
            PendingSlashes::<Test>::get(NET, MINER_A).is_some(),
            "still waits"
        );
        assert_ok!(Sentinels::close_audit(RuntimeOrigin::signed(OUTSIDER), 0));
        run_to(52);
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_none());
        assert_eq!(Slashes::get().len(), 1);
        assert!(Judgments::<Test>::get(0).is_none());
    });
}

#[test]
fn convictions_are_audited_at_random_as_the_seed_decides() {
    for picked in [true, false] {
        build_and_execute(|| {
            let members = seated4();
            let mix = mix_where(0, picked);
            assert_eq!(
                randomly_audited(&mix, 0, Perbill::from_percent(10)),
                picked,
                "the math crate's pick"
            );
            convict(&members, 0, picked);
            assert_eq!(Audits::<Test>::get(0).is_some(), picked);
            assert_eq!(
                Audits::<Test>::get(0).map(|a| a.reason),
                picked.then_some(AuditReason::Random)
            );
            if picked {
                // Audited once: no appeal on top.
                assert_noop!(appeal(0), Error::<Test>::AlreadyAudited);
            }
        });
    }
}

#[test]
fn the_random_pick_is_a_tenth_of_seeds() {
    let picked = (0u16..2000)
        .filter(|i| {
            let mut mix = [0u8; 32];
            mix[..2].copy_from_slice(&i.to_le_bytes());
            picked_at_random(&mix, 7)
        })
        .count();
    assert!((150..250).contains(&picked), "{picked} of 2000");
}

#[test]
fn an_overturned_split_dismissal_convicts_and_slashes_the_clearers_two_percent_times_three() {
    build_and_execute(|| {
        burn_for_real();
        let members = seated4();
        Mix::<Test>::insert(NET, [0; 32]);
        assert_ok!(Sentinels::report(
            RuntimeOrigin::signed(members[0]),
            NET,
            UID_A,
            JudgedOffence::Timeout,
            [4; 32]
        ));
        assert_ok!(Sentinels::vote(RuntimeOrigin::signed(members[1]), 0, true));
        assert_ok!(Sentinels::vote(RuntimeOrigin::signed(members[2]), 0, false));
        assert_ok!(Sentinels::vote(RuntimeOrigin::signed(members[3]), 0, false));
        // Dismissed with 2 = f + 1 guilty votes: split, audited.
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(held(members[0]), 0, "a dismissal returns the bond");
        let audit = Audits::<Test>::get(0).expect("split vote audited");
        assert_eq!(audit.reason, AuditReason::SplitVote);
        assert!(audit.members.iter().all(|m| !members.contains(m)));
        let issuance = Balances::total_issuance();
        let judges = auditors(0);
        for judge in &judges[..3] {
            audit_vote(*judge, 0, false);
        }
        assert!(
            !Sentinels::is_quarantined(NET, UID_A),
            "not before the escalation"
        );
        escalation_overturns(0);
        // The miner is convicted now; the two who cleared it pay 2% ×3 = 6% of 1000.
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_some());
        let rate = Perbill::from_percent(6);
        let each = rate.mul_floor(VALIDATOR_STAKE);
        assert_eq!(each, 60);
        assert_eq!(
            Slashes::get(),
            vec![(members[2], rate, each), (members[3], rate, each)]
        );
        assert!(ReputationCuts::get().is_empty());
        assert_eq!(Balances::total_issuance(), issuance - 2 * each);
        assert!(events().contains(&Event::SentinelSlashed {
            netuid: NET,
            hotkey: members[2],
            offence: Offence::ClearedBadMiner { correlated: true },
            rate,
            slashed: each,
        }));
        assert!(Judgments::<Test>::get(0).is_none());
    });
}

#[test]
fn an_overturned_canary_conviction_forfeits_the_committers_deposit() {
    build_and_execute(|| {
        burn_for_real();
        CommitteeSizeParam::set(4);
        ThresholdParam::set(3);
        run_to_epoch(1);
        let commitment = canary_commitment(NET, &[50; 32], &[60; 32], &[70; 32]);
        assert_ok!(Sentinels::commit_canary(
            RuntimeOrigin::signed(VALIDATORS[0]),
            NET,
            commitment
        ));
        run_to_epoch(2);
        let response = answer(challenge(UID_A, 2, 9, 50), 61);
        assert_ok!(Sentinels::submit_canary_failure(
            RuntimeOrigin::signed(VALIDATORS[1]),
            NET,
            UID_A,
            response,
            [60; 32],
            [70; 32]
        ));
        System::assert_has_event(
            Event::Appealable {
                case: 0,
                netuid: NET,
                hotkey: MINER_A,
                until_epoch: 4,
            }
            .into(),
        );
        let deposit_held = || {
            Balances::balance_on_hold(
                &RuntimeHoldReason::Sentinels(HoldReason::CanaryDeposit),
                &VALIDATORS[0],
            )
        };
        assert_eq!(deposit_held(), CANARY_DEPOSIT);
        assert_ok!(appeal(0));
        let issuance = Balances::total_issuance();
        let free = Balances::free_balance(VALIDATORS[0]);
        for judge in &auditors(0)[..3] {
            audit_vote(*judge, 0, false);
        }
        escalation_overturns(0);
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_none());
        assert_eq!(deposit_held(), 0);
        assert_eq!(
            Balances::free_balance(VALIDATORS[0]),
            free,
            "burned, not returned"
        );
        assert_eq!(
            Balances::total_issuance(),
            issuance - CANARY_DEPOSIT,
            "no committee voted: only the deposit burned"
        );
        assert!(Slashes::get().is_empty());
        assert!(events().contains(&Event::ConvictionOverturned {
            case: 0,
            netuid: NET,
            hotkey: MINER_A,
            quarantine_lifted: true,
            slash_dropped: true,
            bond_forfeited: 0,
            canary_deposit_forfeited: CANARY_DEPOSIT,
        }));
    });
}

#[test]
fn an_equivocation_is_not_appealable() {
    build_and_execute(|| {
        seated4();
        equivocate(UID_A);
        assert_eq!(Judgments::<Test>::iter().count(), 0);
        assert_noop!(appeal(0), Error::<Test>::UnknownJudgment);
    });
}

#[test]
fn try_state_catches_broken_audits() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        assert_ok!(appeal(0));
        assert_ok!(Sentinels::do_try_state());
        let audit = Audits::<Test>::get(0).unwrap();
        let broken = |change: &dyn Fn(&mut crate::AuditOf<Test>)| {
            let mut bad = audit.clone();
            change(&mut bad);
            Audits::<Test>::insert(0, bad);
            let result = Sentinels::do_try_state();
            Audits::<Test>::insert(0, audit.clone());
            result
        };
        // The audit committee shares a member with the case committee.
        let mut shared = audit.members.clone().into_inner();
        shared[0] = members[3];
        assert!(
            broken(&|a| a.members = frame_support::BoundedVec::truncate_from(shared.clone()))
                .is_err()
        );
        // A voter beyond the audit's seats.
        assert!(broken(&|a| a.uphold = 1 << 5).is_err());
        // The appeal deposit held differs from the open appeals'.
        assert!(broken(&|a| a.appellant = Some((owner(MINER_A), APPEAL_DEPOSIT - 1))).is_err());
        assert_ok!(Sentinels::do_try_state());
    });
}

#[test]
fn a_picked_conviction_without_enough_auditors_stands_unaudited() {
    build_and_execute(|| {
        let members = seated4();
        let outside = not_sitting();
        Permits::mutate(|p| p.retain(|(_, h)| !outside[..2].contains(h)));
        convict(&members, 0, true);
        assert!(Audits::<Test>::get(0).is_none());
        System::assert_has_event(
            Event::AuditNotOpened {
                case: 0,
                netuid: NET,
                reason: AuditReason::Random,
            }
            .into(),
        );
        let judgment = Judgments::<Test>::get(0).unwrap();
        assert!(judgment.convicted && !judgment.audited);
        assert_eq!(held(members[0]), BOND);
    });
}

#[test]
fn an_expired_audit_is_closed_at_the_subnets_boundary() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        run_to(31);
        assert_ok!(appeal(0));
        // Expires after block 43; the boundary at block 50 closes it.
        run_to_epoch(5);
        assert!(Audits::<Test>::get(0).is_none());
        assert!(OpenAudits::<Test>::get(NET).is_empty());
        System::assert_has_event(
            Event::AuditClosed {
                case: 0,
                netuid: NET,
                outcome: AuditOutcome::Expired,
                deposit_returned: APPEAL_DEPOSIT,
                deposit_burned: 0,
            }
            .into(),
        );
        assert_eq!(appeal_held(owner(MINER_A)), 0);
    });
}

#[test]
fn an_overturn_slashes_the_guilty_voters_at_the_governed_rate_and_factor() {
    build_and_execute(|| {
        // Governance set 1 % for a wrong conviction and no correlation penalty.
        SlashRatesParam::set(mindos_primitives::SlashRates {
            overturned_sentinel: Perbill::from_percent(1),
            correlation_factor: 1,
            ..Default::default()
        });
        let members = seated4();
        convict(&members, 0, false);
        assert_ok!(appeal(0));
        let judges = auditors(0);
        for judge in &judges[..3] {
            audit_vote(*judge, 0, false);
        }
        escalation_overturns(0);
        let rate = Perbill::from_percent(1);
        let each = rate.mul_floor(VALIDATOR_STAKE);
        let expected: Vec<_> = members[..3].iter().map(|m| (*m, rate, each)).collect();
        assert_eq!(Slashes::get(), expected);
        assert!(events().contains(&Event::SentinelSlashed {
            netuid: NET,
            hotkey: members[0],
            offence: Offence::OverturnedSentinel { correlated: true },
            rate,
            slashed: each,
        }));
    });
}
