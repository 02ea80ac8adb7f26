//! The read side: the views the runtime API (`SentinelsApi`) and the node's
//! `mindos_committee`, `mindos_cases` and `mindos_quarantines` return, built from storage, and
//! the quarantine flag of the metagraph ([`Pallet::decorate_metagraph`]). The view types live in
//! `mindos_primitives` so the off-chain binaries decode them without linking this pallet.
//!
//! Every view is bounded by the storage it reads: a committee has at most 13 seats; a subnet
//! at most `MaxOpenCasesPerSubnet` open cases and `MaxOpenAuditsPerSubnet` open audits; the
//! quarantines of a subnet are listed up to [`MAX_QUARANTINE_ROWS`]. Called without a subnet,
//! `cases` and `quarantines` cover every live subnet (at most `MaxSubnets` times as much).
//!
//! Statuses are as a transaction in the *next* block would find them: a view is read at a
//! block, and nothing can land in that block any more.

use crate::{
    pallet::*,
    types::{JudgedOffence, OffenceKind},
    Randao,
};
use alloc::vec::Vec;
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{
    AuditKind, AuditView, CaseView, CasesView, CommitteeDuty, CommitteeMember, CommitteeQueryError,
    CommitteeView, ElectorView, EscalationView, NetUid, NeuronView, NeuronsInfo, QuarantineView,
    SentinelOffence, SubnetsInfo, VoteStatus, MAX_NEURONS_PER_SUBNET,
};
use mindos_sentinels_math::{
    may_release, supermajority, AuditReason, RandomnessSource, SEED_LOOKAHEAD_EPOCHS,
};
use sp_runtime::SaturatedConversion;

/// Most rows [`Pallet::quarantines_view`] lists per subnet: as many as a subnet has uids, so
/// every quarantined registered hotkey fits. Entries of hotkeys that left come after them and
/// are cut beyond it.
pub const MAX_QUARANTINE_ROWS: usize = MAX_NEURONS_PER_SUBNET as usize;

/// A committee as the runtime API returns it.
pub type CommitteeViewOf<T> =
    CommitteeView<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// The open cases and audits as the runtime API returns them.
pub type CasesViewOf<T> =
    CasesView<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A quarantine as the runtime API returns it.
pub type QuarantineViewOf<T> =
    QuarantineView<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

impl From<OffenceKind> for SentinelOffence {
    fn from(offence: OffenceKind) -> Self {
        match offence {
            OffenceKind::Equivocation => Self::Equivocation,
            OffenceKind::CanaryFailure => Self::CanaryFailure,
            OffenceKind::Judged(judged) => judged.into(),
        }
    }
}

impl From<JudgedOffence> for SentinelOffence {
    fn from(offence: JudgedOffence) -> Self {
        match offence {
            JudgedOffence::WrongOutput => Self::WrongOutput,
            JudgedOffence::Timeout => Self::Timeout,
            JudgedOffence::PersistentOutlier => Self::PersistentOutlier,
            JudgedOffence::MalformedOutput => Self::MalformedOutput,
        }
    }
}

fn audit_kind(reason: AuditReason) -> AuditKind {
    match reason {
        AuditReason::Appeal => AuditKind::Appeal,
        AuditReason::SplitVote => AuditKind::SplitVote,
        AuditReason::Random => AuditKind::Random,
    }
}

/// The members whose seat's bit is set in `bitmap`.
fn voters<AccountId: Clone>(members: &[AccountId], bitmap: u16) -> Vec<AccountId> {
    members
        .iter()
        .enumerate()
        .filter(|(seat, _)| {
            u32::try_from(*seat)
                .ok()
                .and_then(|seat| bitmap.checked_shr(seat))
                .is_some_and(|bits| bits & 1 == 1)
        })
        .map(|(_, member)| member.clone())
        .collect()
}

/// An escalation as `mindos_cases` shows it inside its audit.
fn escalation_view<T: Config>(
    escalation: EscalationOf<T>,
) -> EscalationView<T::AccountId, BalanceOf<T>> {
    let decides_at = supermajority(escalation.total.saturated_into()).saturated_into();
    EscalationView {
        electors: escalation
            .electorate
            .into_iter()
            .map(|e| ElectorView {
                hotkey: e.hotkey,
                stake: e.stake,
                vote: e.vote,
            })
            .collect(),
        total: escalation.total,
        overturn: escalation.overturn,
        uphold: escalation.uphold,
        decides_at,
    }
}

/// Whether votes cast in the block after `now` still count for something expiring at `expires_at`.
fn status<BlockNumber: PartialOrd>(now: BlockNumber, expires_at: BlockNumber) -> VoteStatus {
    if expires_at > now {
        VoteStatus::Voting
    } else {
        VoteStatus::Expired
    }
}

impl<T: Config> Pallet<T> {
    /// `netuid`'s committee of sentinel `epoch` (default: the current epoch). The chain holds
    /// the current and the next epoch's committees; any other epoch, or one for which no
    /// committee could be drawn, is [`CommitteeQueryError::NotStored`], naming those held.
    pub fn committee_view(
        netuid: NetUid,
        epoch: Option<u64>,
    ) -> Result<CommitteeViewOf<T>, CommitteeQueryError> {
        if !T::Subnets::exists(netuid) {
            return Err(CommitteeQueryError::UnknownSubnet);
        }
        let current = Self::epoch(netuid);
        let next = current.saturating_add(1);
        let requested = epoch.unwrap_or(current);
        // Older committees may linger until the subnet's queued boundary work drops them:
        // they are no one's duty any more, so they are not served.
        let record = [current, next]
            .contains(&requested)
            .then(|| Committees::<T>::get(netuid, requested))
            .flatten();
        let Some(record) = record else {
            let stored = [current, next]
                .into_iter()
                .filter(|e| Committees::<T>::contains_key(netuid, e))
                .collect();
            return Err(CommitteeQueryError::NotStored {
                requested,
                current,
                stored,
            });
        };
        Ok(CommitteeView {
            netuid,
            epoch: requested,
            current_epoch: current,
            duty: if requested == current {
                CommitteeDuty::Current
            } else {
                CommitteeDuty::Next
            },
            size: record.size.n(),
            fault_tolerance: record.size.f(),
            threshold: Self::case_threshold(record.size),
            members: record
                .members
                .into_iter()
                .map(|(uid, hotkey)| CommitteeMember { uid, hotkey })
                .collect(),
            drawn_at: record.drawn_at,
            seed_epoch: requested.saturating_sub(SEED_LOOKAHEAD_EPOCHS),
            seed: Randao::<T>::default().committee_seed(netuid.0, requested),
        })
    }

    /// The open cases and audits of `netuid`, or of every live subnet when `None` (by
    /// subnet id, each oldest first). `None` for an unknown subnet.
    pub fn cases_view(netuid: Option<NetUid>) -> Option<CasesViewOf<T>> {
        let netuids = Self::subnets_of(netuid)?;
        let now = frame_system::Pallet::<T>::block_number();
        let mut view = CasesView {
            cases: Vec::new(),
            audits: Vec::new(),
        };
        for netuid in netuids {
            for open in OpenCases::<T>::get(netuid) {
                let Some(case) = Cases::<T>::get(open.id) else {
                    continue;
                };
                let members = case.members.into_inner();
                view.cases.push(CaseView {
                    id: open.id,
                    netuid,
                    uid: case.uid,
                    accused: case.accused,
                    offence: case.offence.into(),
                    reporter: case.reporter,
                    evidence_hash: case.evidence_hash,
                    bond: case.bond,
                    epoch: case.epoch,
                    guilty: voters(&members, case.guilty),
                    not_guilty: voters(&members, case.not_guilty),
                    members,
                    threshold: case.threshold,
                    refute_at: case.size.threshold(),
                    opened_at: case.opened_at,
                    status: status(now, case.expires_at),
                    expires_at: case.expires_at,
                });
            }
            for id in OpenAudits::<T>::get(netuid) {
                let (Some(audit), Some(judgment)) = (Audits::<T>::get(id), Judgments::<T>::get(id))
                else {
                    continue;
                };
                let members = audit.members.into_inner();
                let (appellant, deposit) = match audit.appellant {
                    Some((who, deposit)) => (Some(who), deposit),
                    None => (None, Default::default()),
                };
                view.audits.push(AuditView {
                    case: id,
                    netuid,
                    uid: judgment.uid,
                    accused: judgment.accused,
                    offence: judgment.offence.into(),
                    convicted: judgment.convicted,
                    reason: audit_kind(audit.reason),
                    appellant,
                    deposit,
                    uphold: voters(&members, audit.uphold),
                    overturn: voters(&members, audit.overturn),
                    members,
                    overturn_at: audit.size.threshold(),
                    uphold_at: audit.size.blocking(),
                    slash_due_epoch: judgment.due_epoch,
                    status: status(now, audit.expires_at),
                    expires_at: audit.expires_at,
                    escalation: Escalations::<T>::get(id).map(escalation_view::<T>),
                });
            }
        }
        Some(view)
    }

    /// The quarantined hotkeys of `netuid`, or of every live subnet when `None` (by subnet
    /// id; in each, registered hotkeys by uid, then those that left), at most
    /// [`MAX_QUARANTINE_ROWS`] per subnet. `None` for an unknown subnet.
    pub fn quarantines_view(netuid: Option<NetUid>) -> Option<Vec<QuarantineViewOf<T>>> {
        let netuids = Self::subnets_of(netuid)?;
        let mut rows = Vec::new();
        for netuid in netuids {
            let epoch = Self::epoch(netuid);
            let mut subnet: Vec<QuarantineViewOf<T>> = Quarantines::<T>::iter_prefix(netuid)
                .map(|(hotkey, q)| {
                    let uid = T::Neurons::uid(netuid, &hotkey);
                    QuarantineView {
                        netuid,
                        uid,
                        offence: q.offence.into(),
                        since_epoch: q.since_epoch,
                        since_block: q.since_block,
                        until_epoch: q.until_epoch,
                        offences: q.offences,
                        // `unquarantine` names the uid the hotkey holds.
                        releasable: uid.is_some() && may_release(epoch, q.until_epoch),
                        hotkey,
                    }
                })
                .collect();
            // Registered first, by uid; `None` sorts first, so key on its absence.
            subnet.sort_by_key(|row| (row.uid.is_none(), row.uid));
            subnet.truncate(MAX_QUARANTINE_ROWS);
            rows.extend(subnet);
        }
        Some(rows)
    }

    /// Fills the quarantine flag of metagraph rows of `netuid`
    /// ([`NeuronView::quarantined_until`]): the quarantine follows the row's hotkey, as
    /// [`mindos_primitives::QuarantineInfo`] does for the consensus pallet.
    pub fn decorate_metagraph<Balance>(
        netuid: NetUid,
        rows: &mut [NeuronView<T::AccountId, Balance, BlockNumberFor<T>>],
    ) {
        for row in rows.iter_mut() {
            row.quarantined_until =
                Quarantines::<T>::get(netuid, &row.hotkey).map(|q| q.until_epoch);
        }
    }

    /// `Some([netuid])` for a live subnet, every live subnet by id for `None`, `None` for an
    /// unknown subnet.
    fn subnets_of(netuid: Option<NetUid>) -> Option<Vec<NetUid>> {
        match netuid {
            Some(netuid) => T::Subnets::exists(netuid).then(|| alloc::vec![netuid]),
            None => {
                let mut all = T::Subnets::netuids();
                all.sort_unstable();
                Some(all)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        mock::*,
        tests::{build_and_execute, equivocate, run_to, run_to_epoch, sitting},
    };
    use frame_support::assert_ok;
    use mindos_primitives::Perbill;

    fn report(reporter: AccountId, uid: u16) {
        assert_ok!(Sentinels::report(
            RuntimeOrigin::signed(reporter),
            NET,
            uid,
            JudgedOffence::Timeout,
            [5; 32]
        ));
    }

    #[test]
    fn the_committee_view_serves_the_current_and_the_next_epoch_and_names_them_otherwise() {
        build_and_execute(|| {
            assert_eq!(
                Sentinels::committee_view(NetUid(77), None),
                Err(CommitteeQueryError::UnknownSubnet)
            );
            // Epoch 0 has no committee; epoch 1's is drawn at the first boundary.
            assert_eq!(
                Sentinels::committee_view(NET, None),
                Err(CommitteeQueryError::NotStored {
                    requested: 0,
                    current: 0,
                    stored: vec![]
                })
            );
            run_to_epoch(2);
            let now = Sentinels::committee_view(NET, None).unwrap();
            assert_eq!(now.epoch, 2);
            assert_eq!(now.current_epoch, 2);
            assert_eq!(now.duty, CommitteeDuty::Current);
            assert_eq!((now.size, now.fault_tolerance, now.threshold), (7, 2, 5));
            assert_eq!(
                now.members.iter().map(|m| m.hotkey).collect::<Vec<_>>(),
                sitting()
            );
            assert!(now.members.windows(2).all(|w| w[0].uid < w[1].uid));
            assert_eq!(now.drawn_at, 10, "read at the boundary one epoch before");
            assert_eq!(now.seed_epoch, 0);
            assert_eq!(now.seed, None, "its mix was replaced at the last boundary");

            let next = Sentinels::committee_view(NET, Some(3)).unwrap();
            assert_eq!(next.duty, CommitteeDuty::Next);
            assert_eq!(next.drawn_at, 20);
            assert_eq!(next.seed_epoch, 1);
            assert_eq!(
                next.seed,
                Some(mindos_sentinels_math::committee_seed(
                    NET.0,
                    3,
                    &CompletedMix::<Test>::get(NET).unwrap().1
                ))
            );
            assert_eq!(
                Sentinels::committee_view(NET, Some(1)),
                Err(CommitteeQueryError::NotStored {
                    requested: 1,
                    current: 2,
                    stored: vec![2, 3]
                }),
                "a past committee is no one's duty"
            );
            assert!(matches!(
                Sentinels::committee_view(NET, Some(9)),
                Err(CommitteeQueryError::NotStored { requested: 9, .. })
            ));
        });
    }

    #[test]
    fn the_cases_view_shows_votes_thresholds_and_expiry() {
        build_and_execute(|| {
            assert_eq!(Sentinels::cases_view(Some(NetUid(77))), None);
            run_to_epoch(2);
            let members = sitting();
            report(members[0], UID_A);
            assert_ok!(Sentinels::vote(RuntimeOrigin::signed(members[1]), 0, false));

            let view = Sentinels::cases_view(Some(NET)).unwrap();
            assert!(view.audits.is_empty());
            let [case] = view.cases.as_slice() else {
                panic!("one case: {view:?}")
            };
            assert_eq!(
                case,
                &CaseView {
                    id: 0,
                    netuid: NET,
                    uid: UID_A,
                    accused: MINER_A,
                    offence: SentinelOffence::Timeout,
                    reporter: members[0],
                    evidence_hash: [5; 32],
                    bond: BOND,
                    epoch: 2,
                    members: members.clone(),
                    guilty: vec![members[0]],
                    not_guilty: vec![members[1]],
                    threshold: 5,
                    // 2f + 1 of seven.
                    refute_at: 5,
                    opened_at: 20,
                    expires_at: 20 + CASE_DURATION,
                    status: VoteStatus::Voting,
                }
            );
            assert_eq!(Sentinels::cases_view(None).unwrap(), view);
            assert!(Sentinels::cases_view(Some(OTHER_NET))
                .unwrap()
                .cases
                .is_empty());

            // In its last block a vote can no longer land.
            run_to(20 + CASE_DURATION);
            let view = Sentinels::cases_view(Some(NET)).unwrap();
            assert_eq!(view.cases[0].status, VoteStatus::Expired);
        });
    }

    #[test]
    fn the_cases_view_lists_open_audits_with_the_appeal() {
        build_and_execute(|| {
            CommitteeSizeParam::set(4);
            ThresholdParam::set(3);
            run_to_epoch(2);
            let members = sitting();
            report(members[0], UID_A);
            for voter in &members[1..3] {
                assert_ok!(Sentinels::vote(RuntimeOrigin::signed(*voter), 0, true));
            }
            assert_ok!(Sentinels::appeal(RuntimeOrigin::signed(owner(MINER_A)), 0));
            let audit = Audits::<Test>::get(0).unwrap();
            assert_ok!(Sentinels::audit_vote(
                RuntimeOrigin::signed(audit.members[0]),
                0,
                false
            ));

            let view = Sentinels::cases_view(None).unwrap();
            assert!(view.cases.is_empty(), "the case closed at its verdict");
            let [row] = view.audits.as_slice() else {
                panic!("one audit: {view:?}")
            };
            assert_eq!(
                row,
                &AuditView {
                    case: 0,
                    netuid: NET,
                    uid: UID_A,
                    accused: MINER_A,
                    offence: SentinelOffence::Timeout,
                    convicted: true,
                    reason: AuditKind::Appeal,
                    appellant: Some(owner(MINER_A)),
                    deposit: APPEAL_DEPOSIT,
                    members: audit.members.to_vec(),
                    uphold: vec![],
                    overturn: vec![audit.members[0]],
                    overturn_at: 3,
                    uphold_at: 2,
                    slash_due_epoch: Judgments::<Test>::get(0).unwrap().due_epoch,
                    expires_at: audit.expires_at,
                    status: VoteStatus::Voting,
                    escalation: None,
                }
            );

            // Two more overturn votes escalate it to the 9 validators; one of them votes.
            for judge in &audit.members[1..3] {
                assert_ok!(Sentinels::audit_vote(
                    RuntimeOrigin::signed(*judge),
                    0,
                    false
                ));
            }
            assert_ok!(Sentinels::escalation_vote(
                RuntimeOrigin::signed(VALIDATORS[0]),
                0,
                false
            ));
            let view = Sentinels::cases_view(Some(NET)).unwrap();
            let escalation = view.audits[0].escalation.clone().expect("escalated");
            assert_eq!(escalation.electors.len(), 9);
            assert_eq!(escalation.electors[0].hotkey, VALIDATORS[0]);
            assert_eq!(escalation.electors[0].vote, Some(false));
            assert!(escalation.electors[1..].iter().all(|e| e.vote.is_none()));
            assert_eq!(
                (escalation.total, escalation.overturn, escalation.uphold),
                (9 * VALIDATOR_STAKE, 0, VALIDATOR_STAKE)
            );
            assert_eq!(escalation.decides_at, 6 * VALIDATOR_STAKE + 1);
            assert_eq!(
                view.audits[0].expires_at,
                Escalations::<Test>::get(0).unwrap().expires_at
            );
        });
    }

    #[test]
    fn the_quarantines_view_and_the_metagraph_flag_follow_the_hotkey() {
        build_and_execute(|| {
            assert_eq!(Sentinels::quarantines_view(Some(NetUid(77))), None);
            run_to_epoch(1);
            equivocate(UID_A);
            let until = Quarantines::<Test>::get(NET, MINER_A).unwrap().until_epoch;
            assert_eq!(until, 3);
            let expected = QuarantineView {
                netuid: NET,
                hotkey: MINER_A,
                uid: Some(UID_A),
                offence: SentinelOffence::Equivocation,
                since_epoch: 1,
                since_block: 10,
                until_epoch: until,
                offences: 1,
                releasable: false,
            };
            assert_eq!(
                Sentinels::quarantines_view(Some(NET)).unwrap(),
                vec![expected.clone()]
            );
            assert_eq!(
                Sentinels::quarantines_view(None).unwrap(),
                vec![expected.clone()]
            );

            let row = |hotkey: AccountId, uid: u16| NeuronView::<AccountId, Balance, u64> {
                uid,
                hotkey,
                coldkey: owner(hotkey),
                stake: 0,
                validator_permit: false,
                endpoint: None,
                device: None,
                registered_at: 0,
                immune: false,
                consensus: Perbill::zero(),
                incentive: Perbill::zero(),
                dividends: Perbill::zero(),
                trust: Perbill::zero(),
                validator_trust: Perbill::zero(),
                reputation: Perbill::zero(),
                emission: 0,
                last_update: None,
                quarantined_until: None,
            };
            let mut rows = vec![row(MINER_A, UID_A), row(MINER_B, UID_B)];
            Sentinels::decorate_metagraph(NET, &mut rows);
            assert_eq!(rows[0].quarantined_until, Some(until));
            assert_eq!(rows[1].quarantined_until, None);

            run_to_epoch(until);
            assert_eq!(
                Sentinels::quarantines_view(Some(NET)).unwrap(),
                vec![QuarantineView {
                    releasable: true,
                    ..expected.clone()
                }]
            );
            // Past its end it is still quarantined until released.
            Sentinels::decorate_metagraph(NET, &mut rows);
            assert_eq!(rows[0].quarantined_until, Some(until));

            // A hotkey that left keeps its quarantine, but cannot be released by uid.
            Slots::mutate(|slots| slots.remove(&(NET, UID_A)));
            assert_eq!(
                Sentinels::quarantines_view(Some(NET)).unwrap(),
                vec![QuarantineView {
                    uid: None,
                    releasable: false,
                    ..expected
                }]
            );
        });
    }
}
