//! Escalation: an audit that overturns puts the disagreement to every permit holder, weighted by
//! the stake snapshotted when it opens; `escalation_vote` (a success each way and every failure),
//! expiry, and the overturn taking effect at once when nobody holds stake.
//!
//! The chain is `audit`'s: committees of 4, an appeal audited by 4 others, 3 votes to overturn.
//! The electorate is the 9 validators with 1,000 each: 7 of them decide either way
//! (7,000 > 6,000 = 2/3); 3 against each side deadlock it.

use super::audit::{
    appeal, appeal_held, audit_vote, auditors, burn_for_real, convict, escalation_overturns,
    seated4,
};
use super::*;
use crate::{AuditOutcome, CaseId};
use frame_support::{assert_noop, dispatch::DispatchResultWithPostInfo};
use mindos_primitives::QuarantineInfo;

/// An appealed conviction whose audit committee just voted to overturn (case 0).
fn escalated() -> Vec<AccountId> {
    let members = seated4();
    convict(&members, 0, false);
    assert_ok!(appeal(0));
    for judge in &auditors(0)[..3] {
        audit_vote(*judge, 0, false);
    }
    members
}

fn escalation_vote(voter: AccountId, case: CaseId, overturn: bool) -> DispatchResultWithPostInfo {
    Sentinels::escalation_vote(RuntimeOrigin::signed(voter), case, overturn)
}

#[test]
fn an_overturning_audit_escalates_and_nothing_is_undone_below_two_thirds_of_the_stake() {
    build_and_execute(|| {
        escalated();
        let now = System::block_number();
        let escalation = Escalations::<Test>::get(0).expect("escalated");
        assert_eq!(escalation.electorate.len(), 9);
        assert_eq!(escalation.total, 9 * VALIDATOR_STAKE);
        assert_eq!(escalation.expires_at, now + ESCALATION_DURATION);
        assert_eq!(
            Audits::<Test>::get(0).unwrap().expires_at,
            escalation.expires_at,
            "the audit stays open as long"
        );
        System::assert_last_event(
            Event::AuditEscalated {
                case: 0,
                netuid: NET,
                electors: 9,
                stake: 9 * VALIDATOR_STAKE,
                expires_at: now + ESCALATION_DURATION,
            }
            .into(),
        );
        // The audit's own votes are closed.
        assert_noop!(
            Sentinels::audit_vote(RuntimeOrigin::signed(auditors(0)[3]), 0, true),
            Error::<Test>::AuditEscalated
        );
        // Exactly 2/3 is not a supermajority.
        for voter in &VALIDATORS[..6] {
            assert_ok!(escalation_vote(*voter, 0, true));
        }
        System::assert_last_event(
            Event::EscalationVoted {
                case: 0,
                voter: VALIDATORS[5],
                overturn: true,
                overturn_stake: 6 * VALIDATOR_STAKE,
                uphold_stake: 0,
            }
            .into(),
        );
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_some());
        assert_eq!(appeal_held(owner(MINER_A)), APPEAL_DEPOSIT);
        // The seventh overturns.
        assert_ok!(escalation_vote(VALIDATORS[6], 0, true));
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_none());
        assert_eq!(appeal_held(owner(MINER_A)), 0);
        assert!(Escalations::<Test>::get(0).is_none());
        assert!(Audits::<Test>::get(0).is_none());
        assert!(events().contains(&Event::AuditClosed {
            case: 0,
            netuid: NET,
            outcome: AuditOutcome::Overturned,
            deposit_returned: APPEAL_DEPOSIT,
            deposit_burned: 0,
        }));
    });
}

#[test]
fn two_thirds_of_the_stake_upholding_keep_the_verdict_and_burn_the_appeal_deposit() {
    build_and_execute(|| {
        let members = escalated();
        let issuance = Balances::total_issuance();
        // A blocking third upholding decides nothing by itself.
        for voter in &VALIDATORS[..3] {
            assert_ok!(escalation_vote(*voter, 0, false));
        }
        assert!(Escalations::<Test>::contains_key(0));
        assert_eq!(appeal_held(owner(MINER_A)), APPEAL_DEPOSIT);
        for voter in &VALIDATORS[3..7] {
            assert_ok!(escalation_vote(*voter, 0, false));
        }
        assert!(Escalations::<Test>::get(0).is_none());
        assert!(Audits::<Test>::get(0).is_none());
        // The verdict stands: still quarantined, the slash still pending, the bond held.
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_some());
        assert_eq!(held(members[0]), BOND);
        assert_eq!(appeal_held(owner(MINER_A)), 0);
        assert_eq!(Balances::total_issuance(), issuance - APPEAL_DEPOSIT);
        assert!(Slashes::get().is_empty(), "no sentinel is slashed");
        assert!(events().contains(&Event::AuditClosed {
            case: 0,
            netuid: NET,
            outcome: AuditOutcome::Upheld,
            deposit_returned: 0,
            deposit_burned: APPEAL_DEPOSIT,
        }));
    });
}

#[test]
fn a_deadlocked_escalation_ends_at_once_and_the_verdict_stands_with_the_deposit_returned() {
    build_and_execute(|| {
        escalated();
        for voter in &VALIDATORS[..3] {
            assert_ok!(escalation_vote(*voter, 0, false));
        }
        for voter in &VALIDATORS[3..5] {
            assert_ok!(escalation_vote(*voter, 0, true));
        }
        assert!(
            Escalations::<Test>::contains_key(0),
            "the 4,000 uncast could still overturn"
        );
        assert_ok!(escalation_vote(VALIDATORS[5], 0, true));
        // 3,000 against each side: neither can reach 6,001.
        assert!(Escalations::<Test>::get(0).is_none());
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(appeal_held(owner(MINER_A)), 0);
        assert!(events().contains(&Event::AuditClosed {
            case: 0,
            netuid: NET,
            outcome: AuditOutcome::Expired,
            deposit_returned: APPEAL_DEPOSIT,
            deposit_burned: 0,
        }));
    });
}

#[test]
fn an_undecided_escalation_expires_and_the_verdict_stands() {
    build_and_execute(|| {
        escalated();
        assert_ok!(escalation_vote(VALIDATORS[0], 0, true));
        let expires_at = Escalations::<Test>::get(0).unwrap().expires_at;
        assert_noop!(
            Sentinels::close_audit(RuntimeOrigin::signed(OUTSIDER), 0),
            Error::<Test>::AuditNotExpired
        );
        // The block after it ends is not a boundary of the subnet (every `Tempo` blocks), so
        // no sweep closes it first.
        run_to(expires_at + 1);
        assert_ne!((expires_at + 1) % Tempo::get(), 0);
        assert!(Escalations::<Test>::contains_key(0));
        assert_noop!(
            escalation_vote(VALIDATORS[1], 0, true),
            Error::<Test>::EscalationExpired
        );
        assert_ok!(Sentinels::close_audit(RuntimeOrigin::signed(OUTSIDER), 0));
        assert!(Escalations::<Test>::get(0).is_none());
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(
            appeal_held(owner(MINER_A)),
            0,
            "returned, as for an undecided audit"
        );
        assert!(events().contains(&Event::AuditClosed {
            case: 0,
            netuid: NET,
            outcome: AuditOutcome::Expired,
            deposit_returned: APPEAL_DEPOSIT,
            deposit_burned: 0,
        }));
    });
}

#[test]
fn escalation_vote_failures_change_nothing() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        assert_noop!(
            escalation_vote(VALIDATORS[0], 0, true),
            Error::<Test>::UnknownEscalation
        );
        assert_ok!(appeal(0));
        audit_vote(auditors(0)[0], 0, false);
        assert_noop!(
            escalation_vote(VALIDATORS[0], 0, true),
            Error::<Test>::UnknownEscalation,
        );
        for judge in &auditors(0)[1..3] {
            audit_vote(*judge, 0, false);
        }
        // Not a permit holder, or the accused miner itself.
        assert_noop!(
            escalation_vote(OUTSIDER, 0, true),
            Error::<Test>::NotElector
        );
        assert_noop!(
            escalation_vote(MINER_A, 0, false),
            Error::<Test>::NotElector
        );
        assert_ok!(escalation_vote(VALIDATORS[0], 0, true));
        assert_noop!(
            escalation_vote(VALIDATORS[0], 0, false),
            Error::<Test>::AlreadyVoted
        );
        escalation_overturns(0);
    });
}

#[test]
fn stake_moved_after_the_escalation_opened_does_not_change_the_votes() {
    build_and_execute(|| {
        escalated();
        // A validator quadruples its stake after the escalation opened: its vote still weighs
        // the 1,000 it held, and with a second uphold (2,000) nothing is decided.
        StakeOf::mutate(|stakes| {
            stakes.insert(VALIDATORS[0], 4 * VALIDATOR_STAKE);
        });
        assert_ok!(escalation_vote(VALIDATORS[0], 0, false));
        assert_eq!(Escalations::<Test>::get(0).unwrap().uphold, VALIDATOR_STAKE);
        assert_ok!(escalation_vote(VALIDATORS[1], 0, false));
        assert!(Escalations::<Test>::contains_key(0));
    });
}

#[test]
fn a_validator_sharing_the_miners_coldkey_is_not_an_elector() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        assert_ok!(appeal(0));
        let judges = auditors(0);
        let partial = *VALIDATORS
            .iter()
            .find(|v| !members.contains(v) && !judges.contains(v))
            .expect("9 validators, 8 seated");
        OwnerOverrides::mutate(|owners| {
            owners.insert(partial, owner(MINER_A));
        });
        for judge in &judges[..3] {
            audit_vote(*judge, 0, false);
        }
        let escalation = Escalations::<Test>::get(0).unwrap();
        assert_eq!(escalation.electorate.len(), 8);
        assert!(escalation.electorate.iter().all(|e| e.hotkey != partial));
        assert_noop!(escalation_vote(partial, 0, true), Error::<Test>::NotElector);
    });
}

#[test]
fn without_electorate_stake_the_audits_overturn_takes_effect_at_once() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        assert_ok!(appeal(0));
        let judges = auditors(0);
        audit_vote(judges[0], 0, false);
        audit_vote(judges[1], 0, false);
        // Every validator unbonded everything before the deciding vote.
        StakeOf::mutate(|stakes| {
            for validator in VALIDATORS {
                stakes.insert(validator, 0);
            }
        });
        audit_vote(judges[2], 0, false);
        assert!(Escalations::<Test>::get(0).is_none());
        assert!(Audits::<Test>::get(0).is_none());
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert!(!events()
            .iter()
            .any(|e| matches!(e, Event::AuditEscalated { .. })));
    });
}

#[test]
fn quarantined_and_stakeless_validators_are_not_electors() {
    build_and_execute(|| {
        let members = seated4();
        convict(&members, 0, false);
        assert_ok!(appeal(0));
        let judges = auditors(0);
        let others: Vec<AccountId> = VALIDATORS
            .into_iter()
            .filter(|v| !members.contains(v) && !judges.contains(v))
            .collect();
        assert_eq!(others.len(), 1);
        // A case committee member unbonds everything; the validator on neither committee is
        // quarantined for equivocating.
        StakeOf::mutate(|stakes| {
            stakes.insert(members[3], 0);
        });
        let quarantined = others[0];
        Quarantines::<Test>::insert(
            NET,
            quarantined,
            crate::Quarantine {
                uid: 0,
                offence: crate::OffenceKind::Equivocation,
                since_epoch: Sentinels::epoch(NET),
                since_block: System::block_number(),
                until_epoch: Sentinels::epoch(NET) + 2,
                offences: 1,
            },
        );
        OffenceHistory::<Test>::insert(
            NET,
            quarantined,
            frame_support::BoundedVec::truncate_from(vec![Sentinels::epoch(NET)]),
        );
        for judge in &judges[..3] {
            audit_vote(*judge, 0, false);
        }
        let escalation = Escalations::<Test>::get(0).unwrap();
        assert_eq!(escalation.electorate.len(), 7);
        assert_eq!(escalation.total, 7 * VALIDATOR_STAKE);
        for excluded in [members[3], quarantined] {
            assert_noop!(
                escalation_vote(excluded, 0, true),
                Error::<Test>::NotElector
            );
        }
    });
}

#[test]
fn the_boundary_closes_an_expired_escalation_and_the_waiting_slash_then_settles() {
    build_and_execute(|| {
        burn_for_real();
        escalated();
        let due = PendingSlashes::<Test>::get(NET, MINER_A).unwrap().due_epoch;
        let expires_at = Escalations::<Test>::get(0).unwrap().expires_at;
        // Past the slash's due epoch while the escalation is open: the slash waits.
        run_to_epoch(due + 1);
        assert!(System::block_number() <= expires_at, "still open");
        assert!(Escalations::<Test>::contains_key(0));
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_some());
        assert!(Slashes::get().iter().all(|(h, _, _)| *h != MINER_A));
        // The first boundary after it ends closes it (the verdict stands); the slash follows.
        run_to(expires_at + 1);
        let next = Sentinels::epoch(NET) + 1;
        run_to_epoch(next + 1);
        assert!(Escalations::<Test>::get(0).is_none());
        assert!(Audits::<Test>::get(0).is_none());
        assert!(events().contains(&Event::AuditClosed {
            case: 0,
            netuid: NET,
            outcome: AuditOutcome::Expired,
            deposit_returned: APPEAL_DEPOSIT,
            deposit_burned: 0,
        }));
        assert!(Slashes::get().iter().any(|(h, _, _)| *h == MINER_A));
    });
}

#[test]
fn an_overturn_lifts_only_the_quarantine_its_conviction_began() {
    build_and_execute(|| {
        escalated();
        let first = Quarantines::<Test>::get(NET, MINER_A).unwrap();
        // While the escalation runs, the miner serves that quarantine, is released, and is
        // quarantined again for equivocating.
        run_to_epoch(first.until_epoch);
        assert_ok!(Sentinels::unquarantine(
            RuntimeOrigin::signed(owner(MINER_A)),
            NET,
            UID_A
        ));
        equivocate(UID_A);
        let second = Quarantines::<Test>::get(NET, MINER_A).unwrap();
        assert_eq!(second.offence, crate::OffenceKind::Equivocation);
        assert!(Escalations::<Test>::contains_key(0), "still open");
        escalation_overturns(0);
        // The judged conviction is undone; the equivocation's quarantine stands.
        assert_eq!(Quarantines::<Test>::get(NET, MINER_A), Some(second));
        assert!(events().contains(&Event::ConvictionOverturned {
            case: 0,
            netuid: NET,
            hotkey: MINER_A,
            quarantine_lifted: false,
            slash_dropped: false,
            bond_forfeited: BOND,
            canary_deposit_forfeited: 0,
        }));
    });
}

#[test]
fn dissolving_the_subnet_drops_an_open_escalation_and_returns_the_appeal_deposit() {
    build_and_execute(|| {
        escalated();
        assert_ok!(escalation_vote(VALIDATORS[0], 0, true));
        super::cleanup::dissolve(NET);
        assert!(Escalations::<Test>::get(0).is_none());
        assert!(Audits::<Test>::get(0).is_none());
        assert_eq!(appeal_held(owner(MINER_A)), 0);
        assert_noop!(
            escalation_vote(VALIDATORS[1], 0, true),
            Error::<Test>::UnknownEscalation
        );
    });
}
