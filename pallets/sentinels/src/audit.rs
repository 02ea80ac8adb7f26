//! The audit layer (issue 19, part 2): a committee drawn disjoint from the case committee
//! re-judges every appeal, a random 10% of judged convictions and every split vote; an
//! overturn undoes the conviction and slashes the sentinels it proves wrong.
//!
//! # Decisions
//!
//! - **What can be audited** is a [`Judgment`]: a judged conviction or a canary conviction
//!   (appealable by the miner's coldkey until its slash falls due), or a split dismissal (audited
//!   at its verdict). Equivocation proves itself and is not appealable. A case dismissed by
//!   expiry had no verdict and is not audited: the next committee may report again.
//! - **The slash waits for the audit.** A conviction's reporter bond stays held until its slash
//!   settles, and a slash whose conviction is under audit does not settle until the audit
//!   closes; so an overturn always finds the slash pending and drops it, and nothing is ever
//!   refunded (the math crate's `refund` is not needed).
//! - **The audit committee** is drawn when the audit opens, from the subnet's validators now
//!   (at most `MaxCandidates`), by stake × reputation with the math crate's
//!   [`draw_audit_committee`]: the case committee's members are barred (by uid and by hotkey),
//!   quarantined validators and those sharing the accused's coldkey excluded. The seed is the
//!   committee seed of the latest completed mix (the next epoch's) hashed with the case id (the
//!   draw applies the audit domain).
//! - **Deciding**: votes to overturn count as "guilty" in the math crate's verdict: `2f + 1`
//!   overturn, `f + 1` uphold. An overturn is a disagreement between the committees and goes
//!   to every permit holder first (the `escalation` module); it takes effect when they confirm
//!   it, or at once if none of them holds stake. Expiry (`AuditDuration` blocks) without either: the verdict stands
//!   and the appeal deposit is returned.
//! - **The random pick** is [`randomly_audited`] over the subnet's running RANDAO accumulator
//!   ([`Mix`]) at the verdict, which moves with every reveal.
//! - **Correlation**: a sentinel's slash is multiplied by the governed correlation factor (×3)
//!   when at least `f + 1` members of its case committee are proven wrong together
//!   ([`correlated`]); as a conviction needs `2f + 1` guilty votes and a vote dismissal `f + 1`
//!   not-guilty ones, every overturn of a voted verdict is correlated. The reporter's report
//!   counts as its guilty vote, so it is slashed too.
//!
//!   *Counting across cases instead* (×3 only when `f + 1` members of one committee are proven
//!   wrong in the overturns of one epoch, ×1 otherwise) was weighed and not done, because it
//!   changes nothing and would cost state: every overturned verdict already proves at least
//!   `f + 1` members wrong (`2f + 1` guilty voters, or the `f + 1` who cleared), so the count
//!   reaches `f + 1` at the first overturn under either reading. A reading that spares a single
//!   shared mistake (×3 only from the second overturned case of a committee) would need a
//!   per-committee record kept for the whole audit window and a second, retroactive slash of
//!   the members slashed at ×1 before the count was reached, for a lighter penalty that
//!   governance can already set: a correlation factor of 1 turns the multiplier off.
//!
//! # Not done
//!
//! Slashing audit members who do not vote; slashing (2%) the sentinels who dismissed a miner that is
//! later convicted by other evidence (only an overturned dismissal does).

use crate::{
    pallet::*,
    types::{Audit, AuditOutcome, CaseId, Judgment, MaxCommitteeMembers, OffenceKind},
    weights::WeightInfo,
    Randao, LOG_TARGET,
};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::MutateHold,
        tokens::{Fortitude, Precision},
    },
};
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{
    NetUid, NeuronsInfo, ReputationInfo, SentinelParameters, StakeInfo, SubnetsInfo,
};
use mindos_sentinels_math::{
    audit_reason, correlated, draw_audit_committee, randomly_audited, slash_rate, verdict,
    AuditReason, Candidate, Committee, CommitteeSize, Offence, RandomnessSource, Verdict,
    DEFAULT_AUDIT_RATE,
};
use sp_runtime::{
    traits::{Saturating, Zero},
    Perbill, SaturatedConversion,
};

/// Where a sentinel's reputation is cut when the audit overturns its guilty vote: the
/// consensus pallet, which keeps reputation, implements it (defined in `mindos-primitives`, so
/// that pallet does not depend on this one); `()` does nothing.
pub use mindos_primitives::ReputationSink;

/// The share of a sentinel's reputation an overturn cuts (`shared/sentinels.md`: −50 %). Not a
/// governed parameter: the issue governs the slash rates only.
pub const REPUTATION_CUT: Perbill = Perbill::from_percent(50);

impl<T: Config> Pallet<T> {
    /// The weight of an audit vote that `decided` the audit: at worst an overturn slashing
    /// every member of the case committee, or a sanction.
    pub fn audit_vote_weight(decided: bool) -> Weight {
        let mut weight = T::WeightInfo::audit_vote();
        if decided {
            // An overturn escalates, or, after reading an electorate without stake, takes
            // effect at once.
            weight.saturating_accrue(
                Self::open_escalation_weight().saturating_add(Self::audit_decision_weight()),
            );
        }
        weight
    }

    /// The weight of closing an audit with its decision: at worst an overturn slashing every
    /// member of the case committee, or a sanction.
    pub(crate) fn audit_decision_weight() -> Weight {
        let members = u64::from(<MaxCommitteeMembers as Get<u32>>::get());
        let per_member = T::SlashWeight::get().saturating_add(T::ReputationSink::cut_weight());
        T::WeightInfo::close_audit(T::MaxOpenAuditsPerSubnet::get()).saturating_add(
            T::WeightInfo::overturn()
                .saturating_add(per_member.saturating_mul(members))
                .max(Self::sanction_weight().saturating_add(per_member.saturating_mul(members))),
        )
    }

    /// The weight of opening an audit at a verdict.
    pub fn open_audit_weight() -> Weight {
        T::WeightInfo::open_audit(T::MaxCandidates::get(), T::MaxOpenAuditsPerSubnet::get())
    }

    // ----- recording verdicts -----

    /// Whether the pending slash of `hotkey` can carry one more judgment.
    pub(crate) fn judgment_room(netuid: NetUid, hotkey: &T::AccountId) -> bool {
        PendingSlashes::<T>::get(netuid, hotkey).is_none_or(|s| !s.cases.is_full())
    }

    /// Records the conviction of `case` (sanctioned just before, carrying `id` in its pending
    /// slash), keeping its bond held, and opens a random or split-vote audit if picked.
    pub(crate) fn record_conviction(id: CaseId, case: &CaseOf<T>) {
        let due_epoch = PendingSlashes::<T>::get(case.netuid, &case.accused)
            .map(|s| s.due_epoch)
            .unwrap_or_default();
        let mut judgment = Judgment {
            netuid: case.netuid,
            uid: case.uid,
            accused: case.accused.clone(),
            offence: OffenceKind::Judged(case.offence),
            convicted: true,
            reporter: case.reporter.clone(),
            bond: case.bond,
            canary: None,
            size: Some(case.size),
            members: case.members.clone(),
            guilty: case.guilty,
            not_guilty: case.not_guilty,
            epoch: Self::epoch(case.netuid),
            due_epoch,
            audited: false,
        };
        Self::deposit_event(Event::Appealable {
            case: id,
            netuid: case.netuid,
            hotkey: case.accused.clone(),
            until_epoch: due_epoch,
        });
        let seed = Mix::<T>::get(case.netuid);
        let reason = audit_reason(
            case.size,
            case.tally(),
            Verdict::Quarantine,
            false,
            &seed,
            id,
            DEFAULT_AUDIT_RATE,
        );
        if let Some(reason) = reason {
            Self::try_open_audit(id, &mut judgment, reason);
        }
        Judgments::<T>::insert(id, judgment);
    }

    /// Opens a split-vote audit on the dismissal of `case`, if split.
    pub(crate) fn audit_dismissal(id: CaseId, case: &CaseOf<T>) {
        let reason = audit_reason(
            case.size,
            case.tally(),
            Verdict::Dismissed,
            false,
            &[0u8; 32],
            id,
            Perbill::zero(),
        );
        if reason != Some(AuditReason::SplitVote) {
            return;
        }
        let mut judgment = Judgment {
            netuid: case.netuid,
            uid: case.uid,
            accused: case.accused.clone(),
            offence: OffenceKind::Judged(case.offence),
            convicted: false,
            reporter: case.reporter.clone(),
            bond: Zero::zero(),
            canary: None,
            size: Some(case.size),
            members: case.members.clone(),
            guilty: case.guilty,
            not_guilty: case.not_guilty,
            epoch: Self::epoch(case.netuid),
            due_epoch: Self::epoch(case.netuid),
            audited: false,
        };
        if Self::try_open_audit(id, &mut judgment, AuditReason::SplitVote) {
            Judgments::<T>::insert(id, judgment);
        }
    }

    /// Records a canary conviction under a fresh case id, appealable until its slash falls due.
    /// Returns the id, or `None` when the ids ran out or its pending slash carries no more.
    pub(crate) fn record_canary_conviction(
        netuid: NetUid,
        uid: u16,
        hotkey: &T::AccountId,
        committer: &T::AccountId,
        deposit: BalanceOf<T>,
    ) -> Option<CaseId> {
        if !Self::judgment_room(netuid, hotkey) {
            return None;
        }
        let id = NextCaseId::<T>::get();
        NextCaseId::<T>::put(id.checked_add(1)?);
        let epoch = Self::epoch(netuid);
        Judgments::<T>::insert(
            id,
            Judgment {
                netuid,
                uid,
                accused: hotkey.clone(),
                offence: OffenceKind::CanaryFailure,
                convicted: true,
                reporter: committer.clone(),
                bond: Zero::zero(),
                canary: Some((committer.clone(), deposit)),
                size: None,
                members: BoundedVec::new(),
                guilty: 0,
                not_guilty: 0,
                epoch,
                due_epoch: epoch.saturating_add(u64::from(T::AuditWindowEpochs::get())),
                audited: false,
            },
        );
        Some(id)
    }

    /// Emits [`Event::Appealable`] for a canary conviction recorded as `id`.
    pub(crate) fn canary_appealable(id: CaseId) {
        if let Some(j) = Judgments::<T>::get(id) {
            Self::deposit_event(Event::Appealable {
                case: id,
                netuid: j.netuid,
                hotkey: j.accused,
                until_epoch: j.due_epoch,
            });
        }
    }

    // ----- opening audits -----

    /// Opens an automatic audit of `judgment`, or emits [`Event::AuditNotOpened`]. Returns
    /// whether it opened.
    fn try_open_audit(id: CaseId, judgment: &mut JudgmentOf<T>, reason: AuditReason) -> bool {
        let opened = (!OpenAudits::<T>::get(judgment.netuid).is_full())
            .then(|| Self::draw_auditors(judgment, id))
            .flatten()
            .map(|committee| Self::open_audit(id, judgment, reason, None, committee));
        match opened {
            Some(()) => true,
            None => {
                Self::deposit_event(Event::AuditNotOpened {
                    case: id,
                    netuid: judgment.netuid,
                    reason,
                });
                false
            }
        }
    }

    /// Opens the audit of `judgment` by the drawn `(size, members)`: writes the audit and the
    /// subnet's open list (the caller checked it has room, and writes the judgment, marked
    /// audited).
    fn open_audit(
        id: CaseId,
        judgment: &mut JudgmentOf<T>,
        reason: AuditReason,
        appellant: Option<(T::AccountId, BalanceOf<T>)>,
        (size, members): (CommitteeSize, Vec<T::AccountId>),
    ) {
        let netuid = judgment.netuid;
        let mut open = OpenAudits::<T>::get(netuid);
        if open.try_push(id).is_err() {
            log::error!(target: LOG_TARGET, "open audits of {netuid:?} full after the check");
        }
        let expires_at =
            frame_system::Pallet::<T>::block_number().saturating_add(T::AuditDuration::get());
        let members = BoundedVec::<_, MaxCommitteeMembers>::truncate_from(members);
        Audits::<T>::insert(
            id,
            Audit {
                netuid,
                reason,
                appellant,
                size,
                members: members.clone(),
                uphold: 0,
                overturn: 0,
                expires_at,
            },
        );
        OpenAudits::<T>::insert(netuid, open);
        judgment.audited = true;
        Self::deposit_event(Event::AuditOpened {
            case: id,
            netuid,
            reason,
            members,
            expires_at,
        });
    }

    /// The audit committee of `judgment`: drawn from the subnet's validators now, the case
    /// committee barred, quarantined validators and those sharing the accused's coldkey
    /// excluded. `None` when fewer than 4 are eligible or the epoch has no seed.
    fn draw_auditors(
        judgment: &JudgmentOf<T>,
        id: CaseId,
    ) -> Option<(CommitteeSize, Vec<T::AccountId>)> {
        let netuid = judgment.netuid;
        // The latest completed mix seeds the next committee; its seed, hashed with the case
        // id, seeds this audit.
        let (mix_epoch, _) = CompletedMix::<T>::get(netuid)?;
        let seed = Randao::<T>::default().committee_seed(
            netuid.0,
            mix_epoch.saturating_add(mindos_sentinels_math::SEED_LOOKAHEAD_EPOCHS),
        )?;
        let mut preimage = seed.to_vec();
        preimage.extend_from_slice(&id.to_le_bytes());
        let seed = sp_io::hashing::blake2_256(&preimage);
        let owner = T::Neurons::hotkey_owner(&judgment.accused);
        let registered: Vec<(u16, T::AccountId)> = T::Stake::validators(netuid)
            .into_iter()
            .take(T::MaxCandidates::get() as usize)
            .filter_map(|hotkey| Some((T::Neurons::uid(netuid, &hotkey)?, hotkey)))
            .collect();
        let uids: Vec<u16> = registered.iter().map(|(uid, _)| *uid).collect();
        let reputations = T::Reputation::reputations(netuid, &uids);
        let mut seats: Vec<(u16, T::AccountId, Candidate)> = registered
            .into_iter()
            .zip(reputations)
            .map(|((uid, hotkey), reputation)| {
                let excluded = Quarantines::<T>::contains_key(netuid, &hotkey)
                    || judgment.members.contains(&hotkey)
                    || !Self::impartial(&hotkey, &judgment.accused, owner.as_ref());
                let candidate = Candidate {
                    uid,
                    stake: T::Stake::hotkey_stake(&hotkey).saturated_into::<u128>(),
                    reputation,
                    excluded,
                };
                (uid, hotkey, candidate)
            })
            .collect();
        seats.sort_by_key(|(uid, _, _)| *uid);
        let candidates: Vec<Candidate> = seats.iter().map(|(_, _, c)| *c).collect();
        let barred = Committee {
            size: judgment.size.or_else(|| CommitteeSize::new(4))?,
            members: judgment
                .members
                .iter()
                .filter_map(|h| T::Neurons::uid(netuid, h))
                .collect(),
        };
        let requested = u8::try_from(T::Parameters::committee_size()).unwrap_or(u8::MAX);
        let committee = draw_audit_committee(&candidates, &barred, requested, &seed).ok()?;
        let members = committee
            .members
            .iter()
            .filter_map(|uid| {
                seats
                    .binary_search_by_key(uid, |(u, _, _)| *u)
                    .ok()
                    .and_then(|i| seats.get(i))
                    .map(|(_, h, _)| h.clone())
            })
            .collect();
        Some((committee.size, members))
    }

    // ----- calls -----

    pub(crate) fn do_appeal(who: T::AccountId, id: CaseId) -> DispatchResult {
        let mut judgment = Judgments::<T>::get(id).ok_or(Error::<T>::UnknownJudgment)?;
        // A dissolved subnet's convictions wait to be dropped with their slashes.
        ensure!(
            T::Subnets::exists(judgment.netuid),
            Error::<T>::UnknownSubnet
        );
        ensure!(judgment.convicted, Error::<T>::NotConvicted);
        ensure!(
            T::Neurons::hotkey_owner(&judgment.accused).as_ref() == Some(&who),
            Error::<T>::NotAccusedOwner
        );
        ensure!(
            Self::epoch(judgment.netuid) < judgment.due_epoch,
            Error::<T>::AppealWindowOver
        );
        ensure!(!judgment.audited, Error::<T>::AlreadyAudited);
        ensure!(
            !OpenAudits::<T>::get(judgment.netuid).is_full(),
            Error::<T>::TooManyAudits
        );
        let committee = Self::draw_auditors(&judgment, id).ok_or(Error::<T>::NoAuditCommittee)?;
        let deposit = T::AppealDeposit::get();
        T::Currency::hold(&HoldReason::AppealDeposit.into(), &who, deposit)
            .map_err(|_| Error::<T>::InsufficientAppealDeposit)?;
        Self::open_audit(
            id,
            &mut judgment,
            AuditReason::Appeal,
            Some((who, deposit)),
            committee,
        );
        Judgments::<T>::insert(id, judgment);
        Ok(())
    }

    /// Returns whether the vote decided the audit.
    pub(crate) fn do_audit_vote(
        voter: T::AccountId,
        id: CaseId,
        uphold: bool,
    ) -> Result<bool, DispatchError> {
        let mut audit = Audits::<T>::get(id).ok_or(Error::<T>::UnknownAudit)?;
        ensure!(
            !Escalations::<T>::contains_key(id),
            Error::<T>::AuditEscalated
        );
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now <= audit.expires_at, Error::<T>::AuditExpired);
        let seat = audit
            .members
            .iter()
            .position(|m| *m == voter)
            .ok_or(Error::<T>::NotAuditMember)?;
        let bit = Self::seat_bit(seat).ok_or(Error::<T>::NotAuditMember)?;
        ensure!(
            (audit.uphold | audit.overturn) & bit == 0,
            Error::<T>::AlreadyVoted
        );
        if uphold {
            audit.uphold |= bit;
        } else {
            audit.overturn |= bit;
        }
        let tally = audit.tally();
        Self::deposit_event(Event::AuditVoted {
            case: id,
            voter,
            uphold,
            uphold_votes: tally.not_guilty,
            overturn_votes: tally.guilty,
        });
        match verdict(audit.size, tally, false).unwrap_or(Verdict::Dismissed) {
            Verdict::Open => {
                Audits::<T>::insert(id, audit);
                Ok(false)
            }
            Verdict::Dismissed => {
                Self::finish_audit(id, audit, AuditOutcome::Upheld);
                Ok(true)
            }
            Verdict::Quarantine => {
                // The committees disagree: everyone with a permit decides (`escalation`).
                if Self::escalate(id, &mut audit) {
                    Audits::<T>::insert(id, audit);
                } else {
                    Self::finish_audit(id, audit, AuditOutcome::Overturned);
                }
                Ok(true)
            }
        }
    }

    pub(crate) fn do_close_audit(id: CaseId) -> DispatchResult {
        let audit = Audits::<T>::get(id).ok_or(Error::<T>::UnknownAudit)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now > audit.expires_at, Error::<T>::AuditNotExpired);
        Self::finish_audit(id, audit, AuditOutcome::Expired);
        Ok(())
    }

    /// Closes `netuid`'s audits past their voting period (the verdict stands). Returns the
    /// audits examined and those closed.
    pub(crate) fn expire_audits(netuid: NetUid, now: BlockNumberFor<T>) -> (u32, u32) {
        let open = OpenAudits::<T>::get(netuid);
        let mut closed = 0u32;
        for id in open.iter() {
            if let Some(audit) = Audits::<T>::get(id) {
                if now > audit.expires_at {
                    Self::finish_audit(*id, audit, AuditOutcome::Expired);
                    closed = closed.saturating_add(1);
                }
            }
        }
        (u32::try_from(open.len()).unwrap_or(u32::MAX), closed)
    }

    // ----- deciding -----

    /// Closes audit `id` with `outcome`: the appeal deposit returned (overturned, expired) or
    /// burned (upheld), and the verdict undone when overturned.
    pub(crate) fn finish_audit(id: CaseId, audit: AuditOf<T>, outcome: AuditOutcome) {
        Audits::<T>::remove(id);
        Escalations::<T>::remove(id);
        OpenAudits::<T>::mutate(audit.netuid, |open| open.retain(|o| *o != id));
        let (mut returned, mut burned) = (Zero::zero(), Zero::zero());
        if let Some((appellant, deposit)) = &audit.appellant {
            let reason = HoldReason::AppealDeposit.into();
            let result = if outcome == AuditOutcome::Upheld {
                T::Currency::burn_held(
                    &reason,
                    appellant,
                    *deposit,
                    Precision::BestEffort,
                    Fortitude::Force,
                )
                .map(|b| burned = b)
            } else {
                T::Currency::release(&reason, appellant, *deposit, Precision::BestEffort)
                    .map(|r| returned = r)
            };
            if let Err(e) = result {
                log::error!(target: LOG_TARGET, "appeal deposit of audit {id} not settled: {e:?}");
            }
        }
        Self::deposit_event(Event::AuditClosed {
            case: id,
            netuid: audit.netuid,
            outcome,
            deposit_returned: returned,
            deposit_burned: burned,
        });
        let Some(judgment) = Judgments::<T>::get(id) else {
            return;
        };
        match (outcome, judgment.convicted) {
            (AuditOutcome::Overturned, true) => {
                Judgments::<T>::remove(id);
                Self::overturn_conviction(id, judgment);
            }
            (AuditOutcome::Overturned, false) => {
                Judgments::<T>::remove(id);
                Self::overturn_dismissal(judgment);
            }
            // A conviction that stands stays until its slash settles (no second audit).
            (_, true) => {}
            (_, false) => Judgments::<T>::remove(id),
        }
    }

    /// Undoes an overturned conviction: lifts the quarantine, forgets the offence, drops the
    /// pending slash (or this offence's share of it), burns the reporter's bond and the canary
    /// committer's deposit, and slashes the guilty voters.
    pub(crate) fn overturn_conviction(id: CaseId, judgment: JudgmentOf<T>) {
        let netuid = judgment.netuid;
        let hotkey = &judgment.accused;
        // Only the quarantine this conviction began: by the time an audit and its escalation
        // end, the miner may have served it and been quarantined again for another offence.
        let lifted = Quarantines::<T>::get(netuid, hotkey)
            .filter(|q| q.since_epoch == judgment.epoch)
            .inspect(|_| Quarantines::<T>::remove(netuid, hotkey))
            .is_some();
        OffenceHistory::<T>::mutate(netuid, hotkey, |history| {
            if let Some(i) = history.iter().rposition(|e| *e == judgment.epoch) {
                history.remove(i);
            }
        });
        let mut dropped = false;
        if let Some(mut slash) = PendingSlashes::<T>::get(netuid, hotkey) {
            slash.cases.retain(|c| *c != id);
            if let Some((committer, deposit)) = &judgment.canary {
                if let Some(i) = slash
                    .canary_deposits
                    .iter()
                    .position(|(c, d)| c == committer && d == deposit)
                {
                    slash.canary_deposits.remove(i);
                }
            }
            if slash.offences <= 1 {
                // Its queue entry is dropped when reached.
                PendingSlashes::<T>::remove(netuid, hotkey);
                dropped = true;
            } else {
                slash.offences = slash.offences.saturating_sub(1);
                PendingSlashes::<T>::insert(netuid, hotkey, slash);
            }
        }
        let bond_forfeited =
            Self::burn_hold(HoldReason::ReportBond, &judgment.reporter, judgment.bond);
        let canary_forfeited = judgment
            .canary
            .as_ref()
            .map(|(committer, deposit)| {
                Self::burn_hold(HoldReason::CanaryDeposit, committer, *deposit)
            })
            .unwrap_or_else(Zero::zero);
        Self::deposit_event(Event::ConvictionOverturned {
            case: id,
            netuid,
            hotkey: hotkey.clone(),
            quarantine_lifted: lifted,
            slash_dropped: dropped,
            bond_forfeited,
            canary_deposit_forfeited: canary_forfeited,
        });
        Self::slash_sentinels(&judgment, judgment.guilty, true);
    }

    /// Convicts the miner of an overturned dismissal and slashes the members who cleared it.
    fn overturn_dismissal(judgment: JudgmentOf<T>) {
        if !Quarantines::<T>::contains_key(judgment.netuid, &judgment.accused) {
            Self::apply_sanction(
                judgment.netuid,
                judgment.uid,
                judgment.accused.clone(),
                judgment.offence,
                judgment.reporter.clone(),
                Zero::zero(),
                None,
            );
        }
        Self::slash_sentinels(&judgment, judgment.not_guilty, false);
    }

    /// Slashes the members of `judgment`'s committee in `seats` (a bitmap): for a wrong guilty
    /// vote (`guilty`) `overturned_sentinel` and a reputation cut, for clearing a bad miner
    /// `cleared_bad_miner`; ×`correlation_factor` when at least `f + 1` of them.
    fn slash_sentinels(judgment: &JudgmentOf<T>, seats: u16, guilty: bool) {
        let Some(size) = judgment.size else {
            return;
        };
        let count = u8::try_from(seats.count_ones()).unwrap_or(u8::MAX);
        let correlated = correlated(size, count);
        let offence = if guilty {
            Offence::OverturnedSentinel { correlated }
        } else {
            Offence::ClearedBadMiner { correlated }
        };
        let rate = slash_rate(&Self::slash_rates(), offence);
        for (seat, hotkey) in judgment.members.iter().enumerate() {
            let voted = Self::seat_bit(seat).is_some_and(|bit| seats & bit != 0);
            if !voted {
                continue;
            }
            let slashed = T::Stake::slash(hotkey, rate);
            if guilty {
                T::ReputationSink::cut(judgment.netuid, hotkey, REPUTATION_CUT);
            }
            Self::deposit_event(Event::SentinelSlashed {
                netuid: judgment.netuid,
                hotkey: hotkey.clone(),
                offence,
                rate,
                slashed,
            });
        }
    }

    /// Burns `amount` held from `who` for `reason`; returns what was burned.
    pub(crate) fn burn_hold(
        reason: HoldReason,
        who: &T::AccountId,
        amount: BalanceOf<T>,
    ) -> BalanceOf<T> {
        if amount.is_zero() {
            return amount;
        }
        T::Currency::burn_held(
            &reason.into(),
            who,
            amount,
            Precision::BestEffort,
            Fortitude::Force,
        )
        .unwrap_or_else(|e| {
            log::error!(target: LOG_TARGET, "held funds not burned: {e:?}");
            Zero::zero()
        })
    }

    /// When a slash settles (or a dissolved subnet's is dropped): releases the bonds its
    /// judgments held and forgets them.
    pub(crate) fn settle_judgments(cases: &[CaseId]) {
        for id in cases {
            if let Some(judgment) = Judgments::<T>::take(id) {
                if !judgment.bond.is_zero() {
                    if let Err(e) = T::Currency::release(
                        &HoldReason::ReportBond.into(),
                        &judgment.reporter,
                        judgment.bond,
                        Precision::BestEffort,
                    ) {
                        log::error!(target: LOG_TARGET, "report bond of case {id} not released: {e:?}");
                    }
                }
            }
        }
    }

    /// Whether a pending slash's conviction is under audit (then it waits).
    pub(crate) fn under_audit(cases: &[CaseId]) -> bool {
        cases.iter().any(Audits::<T>::contains_key)
    }
}

/// How long a sanction's slash can wait: `AuditWindowEpochs` epochs until it falls due, and
/// then an appeal made just before that holds it for the audit's `AuditDuration` blocks, the
/// `EscalationDuration` blocks of an escalation its last vote may open, and at most one more
/// epoch, until the boundary that expires the audit if nobody closes it sooner
/// ([`Pallet::close_audit`]). The directives registry keeps the unbonding period longer than
/// this at the slowest tempo it allows, so an offender cannot withdraw before its slash.
///
/// Not counted: blocks a boundary's work or a settlement waits in its queue
/// (`MaxBoundariesPerBlock`, `MaxSlashesPerBlock`), a few blocks that the runtime's margin
/// covers.
impl<T: Config> mindos_primitives::AuditWindow for Pallet<T> {
    fn epochs() -> u32 {
        T::AuditWindowEpochs::get().saturating_add(1)
    }

    fn extra_blocks() -> u64 {
        let audit: u64 = T::AuditDuration::get().saturated_into();
        audit.saturating_add(T::EscalationDuration::get().saturated_into())
    }
}

/// Whether case `case` of a conviction is picked for the random audit with the accumulator
/// `mix`: what a judged conviction decides at its verdict (tests predict it with this).
pub fn picked_at_random(mix: &[u8; 32], case: CaseId) -> bool {
    randomly_audited(mix, case, DEFAULT_AUDIT_RATE)
}
