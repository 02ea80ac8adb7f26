//! Escalation: when the audit committee overturns the case committee's verdict, the two
//! committees disagree, and neither decides alone. Every validator-permit holder of the subnet
//! votes, weighted by stake, and the overturn takes effect only at a supermajority
//! (`../shared/sentinels.md`, "Audit layer"; a Polkadot dispute escalates an approval checker's
//! disagreement to all validators the same way). The thresholds and why they are safe are in the
//! math crate's `escalation` module.
//!
//! # Decisions
//!
//! - **What escalates**: every audit that reaches `2f + 1` votes to overturn, whether it
//!   re-judges a conviction (appealed or picked) or a split dismissal. An upheld verdict is
//!   agreement, and an audit that expires undecided leaves the verdict standing: neither
//!   escalates.
//! - **The electorate** is the subnet's validators when the escalation opens (the heaviest
//!   `MaxCandidates`, as the stake pallet lists them and the committee draw reads them), with
//!   their stake snapshotted then: stake moved later does not change the tally. Quarantined validators and those sharing the accused miner's coldkey
//!   are left out, as in the draws. Members of both committees belong to it and vote again: their
//!   first votes are the disagreement being settled, and a committee that voted honestly is
//!   part of the honest stake the thresholds count on.
//! - **No electorate stake** (nobody eligible): the audit's overturn takes effect at once, as it
//!   did before escalation existed; there is nobody to ask.
//! - **The audit stays open** (in [`crate::Audits`], its own votes refused with
//!   [`crate::Error::AuditEscalated`]) with its expiry moved to the escalation's, so the pending
//!   slash keeps waiting (`under_audit`) and the existing expiry paths (`close_audit`, the
//!   boundary's sweep) close an undecided escalation: the verdict stands, the appeal deposit is
//!   returned, as for an undecided audit.
//! - **Deciding** (thresholds in the math crate): more than 2/3 of the electorate's stake to
//!   overturn → the audit closes [`AuditOutcome::Overturned`] and undoes the verdict exactly as
//!   an audit's overturn did; more than 2/3 to uphold → it closes [`AuditOutcome::Upheld`] (an
//!   appeal's deposit is burned: the appellant lost before everyone). Neither side able to reach
//!   2/3 any more, or neither by expiry → [`AuditOutcome::Expired`]: the verdict stands and the
//!   deposit is returned, as for an undecided audit. A blocking minority can keep an overturn
//!   from happening but cannot burn the appellant's deposit.
//! - **Stake is read when the escalation opens**, across all subnets (as the committee draws
//!   read it). The deciding audit vote is visible in advance (`2f` overturn votes), so a staker
//!   can bond to a permit holder just before it; the stake is then locked for the unbonding
//!   period, which is the cost of that influence.

//! # Not done
//!
//! - Accountability of the electorate: nobody is paid to vote or slashed for the losing side
//!   (Polkadot slashes it), so an abstaining third keeps any verdict. The validator votes as part
//!   of its sentinel duty (issue 20).
//! - Slashing the audit members whose overturn the escalation rejects: the specification's
//!   slashing table names no penalty for auditors.
//! - Reading stake at the last epoch boundary instead of at opening (the candidate snapshot is
//!   consumed by the draw today).

use crate::{
    pallet::*,
    types::{AuditOutcome, CaseId, Elector},
    weights::WeightInfo,
};
use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use mindos_primitives::{NeuronsInfo, StakeInfo};
use mindos_sentinels_math::{escalation_verdict, EscalationVerdict};
use sp_runtime::{traits::Saturating, SaturatedConversion};

impl<T: Config> Pallet<T> {
    /// The weight of an escalation vote that `decided` it: at worst the overturn that
    /// [`Pallet::audit_vote_weight`] charges a deciding audit vote.
    pub fn escalation_vote_weight(decided: bool) -> Weight {
        let mut weight = T::WeightInfo::escalation_vote(T::MaxCandidates::get());
        if decided {
            weight.saturating_accrue(Self::audit_decision_weight());
        }
        weight
    }

    /// The weight of opening an escalation when an audit vote overturns.
    pub fn open_escalation_weight() -> Weight {
        T::WeightInfo::open_escalation(T::MaxCandidates::get())
    }

    /// Puts the overturn of audit `id` (its committee's `2f + 1`) to the subnet's permit
    /// holders, moving the audit's expiry to the escalation's. Returns `false` when the
    /// electorate holds no stake: the caller applies the overturn at once.
    pub(crate) fn escalate(id: CaseId, audit: &mut AuditOf<T>) -> bool {
        let netuid = audit.netuid;
        let accused = Judgments::<T>::get(id).map(|j| j.accused);
        let owner = accused.as_ref().and_then(T::Neurons::hotkey_owner);
        let electors: Vec<Elector<T::AccountId, BalanceOf<T>>> = T::Stake::validators(netuid)
            .into_iter()
            .take(T::MaxCandidates::get() as usize)
            .filter(|hotkey| {
                T::Neurons::uid(netuid, hotkey).is_some()
                    && !Quarantines::<T>::contains_key(netuid, hotkey)
                    && accused
                        .as_ref()
                        .is_none_or(|a| Self::impartial(hotkey, a, owner.as_ref()))
            })
            .map(|hotkey| Elector {
                stake: T::Stake::hotkey_stake(&hotkey),
                hotkey,
                vote: None,
            })
            .filter(|e| !e.stake.is_zero())
            .collect();
        let total = electors
            .iter()
            .fold(BalanceOf::<T>::zero(), |sum, e| sum.saturating_add(e.stake));
        if total.is_zero() {
            return false;
        }
        let electors = BoundedVec::truncate_from(electors);
        let expires_at =
            frame_system::Pallet::<T>::block_number().saturating_add(T::EscalationDuration::get());
        audit.expires_at = expires_at;
        Self::deposit_event(Event::AuditEscalated {
            case: id,
            netuid,
            electors: u32::try_from(electors.len()).unwrap_or(u32::MAX),
            stake: total,
            expires_at,
        });
        Escalations::<T>::insert(
            id,
            EscalationOf::<T> {
                netuid,
                electorate: electors,
                total,
                overturn: Zero::zero(),
                uphold: Zero::zero(),
                expires_at,
            },
        );
        true
    }

    /// Returns whether the vote decided the escalation.
    pub(crate) fn do_escalation_vote(
        voter: T::AccountId,
        id: CaseId,
        overturn: bool,
    ) -> Result<bool, DispatchError> {
        let mut escalation = Escalations::<T>::get(id).ok_or(Error::<T>::UnknownEscalation)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now <= escalation.expires_at, Error::<T>::EscalationExpired);
        let elector = escalation
            .electorate
            .iter_mut()
            .find(|e| e.hotkey == voter)
            .ok_or(Error::<T>::NotElector)?;
        ensure!(elector.vote.is_none(), Error::<T>::AlreadyVoted);
        elector.vote = Some(overturn);
        let stake = elector.stake;
        if overturn {
            escalation.overturn = escalation.overturn.saturating_add(stake);
        } else {
            escalation.uphold = escalation.uphold.saturating_add(stake);
        }
        Self::deposit_event(Event::EscalationVoted {
            case: id,
            voter,
            overturn,
            overturn_stake: escalation.overturn,
            uphold_stake: escalation.uphold,
        });
        let decision = escalation_verdict(
            escalation.overturn.saturated_into(),
            escalation.uphold.saturated_into(),
            escalation.total.saturated_into(),
        )
        .map_err(|_| Error::<T>::Overflow)?;
        let outcome = match decision {
            EscalationVerdict::Open => {
                Escalations::<T>::insert(id, escalation);
                return Ok(false);
            }
            EscalationVerdict::Overturn => AuditOutcome::Overturned,
            EscalationVerdict::Uphold => AuditOutcome::Upheld,
            // As at expiry: nothing can change the verdict any more.
            EscalationVerdict::Deadlocked => AuditOutcome::Expired,
        };
        // `finish_audit` forgets the escalation with its audit.
        let audit = Audits::<T>::get(id).ok_or(Error::<T>::UnknownAudit)?;
        Self::finish_audit(id, audit, outcome);
        Ok(true)
    }
}
