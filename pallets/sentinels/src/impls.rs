//! The logic behind the calls and hooks, the read side, and the traits other pallets use.
//!
//! Every `do_*` checks everything first and writes storage last, so a failed call changes
//! nothing.

use crate::{
    pallet::*,
    types::{
        canary_commitment, response_message, Canary, Case, CaseId, CaseOutcome, Challenge,
        CommitteeRecord, Hash32, JudgedOffence, MaxCommitteeMembers, OffenceKind, OpenCase,
        PendingSlash, Quarantine, SignedResponse,
    },
    weights::WeightInfo,
    LOG_TARGET,
};
use alloc::vec::Vec;
use core::marker::PhantomData;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Mutate, MutateHold},
        tokens::Precision,
    },
};
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{
    MeshKeys, NetUid, NeuronDeregistration, NeuronsInfo, QuarantineInfo, ReputationInfo, SaltSink,
    SentinelParameters, StakeInfo, SubnetsInfo,
};
use mindos_sentinels_math::{
    draw_committee, may_release, mix_next, sanction, slash_rate, verdict, Candidate,
    CommitteeError, CommitteeSize, QuarantineParams, RandaoMix, RandomnessSource, Sanction, Seed,
    SlashRates, Verdict, MAX_COMMITTEE_SIZE, MIN_COMMITTEE_SIZE,
};
use sp_core::ed25519;
use sp_runtime::{
    traits::{Saturating, Zero},
    SaturatedConversion,
};

/// RANDAO over the mixes this pallet stores, as the math crate's [`RandomnessSource`]: the
/// committee of a subnet's epoch `e` comes from the mix completed at the end of epoch `e − 2`
/// ([`CompletedMix`]). A drand beacon can replace it behind the same trait.
pub struct Randao<T>(PhantomData<T>);

impl<T> Default for Randao<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T: Config> RandomnessSource for Randao<T> {
    fn committee_seed(&self, netuid: u16, epoch: u64) -> Option<Seed> {
        let (mix_epoch, mix) = CompletedMix::<T>::get(NetUid(netuid))?;
        RandaoMix { mix, mix_epoch }.committee_seed(netuid, epoch)
    }
}

impl<T: Config> Pallet<T> {
    // ----- read side -----

    /// The sentinel epoch `netuid` is in: challenges must name it (or a recent one).
    pub fn epoch(netuid: NetUid) -> u64 {
        SubnetEpoch::<T>::get(netuid)
    }

    /// The committee sitting on `netuid` now, if one could be drawn.
    pub fn current_committee(netuid: NetUid) -> Option<CommitteeOf<T>> {
        Committees::<T>::get(netuid, Self::epoch(netuid))
    }

    /// The chain's genesis hash, part of every signed response.
    pub fn genesis_hash() -> T::Hash {
        frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
    }

    /// The quarantine policy: the governed first length, the math crate's defaults otherwise
    /// (at most 64 epochs; 3 offences within 30 epochs deregister).
    pub fn quarantine_params() -> QuarantineParams {
        QuarantineParams {
            base_epochs: T::Parameters::quarantine_epochs(),
            ..QuarantineParams::default()
        }
    }

    /// The slash rates: the math crate's defaults (5% proven, 0.01% judged, 10% to the
    /// reporter).
    pub fn slash_rates() -> SlashRates {
        SlashRates::default()
    }

    /// The quarantine of `uid` on `netuid` if it names the hotkey holding the slot now.
    pub fn active_quarantine(netuid: NetUid, uid: u16) -> Option<QuarantineOf<T>> {
        let quarantine = Quarantines::<T>::get(netuid, uid)?;
        (T::Neurons::hotkey(netuid, uid).as_ref() == Some(&quarantine.hotkey)).then_some(quarantine)
    }

    // ----- weights -----

    /// The weight of a sanction: its bookkeeping, the worst deregistration, and a slash
    /// settled at once when `slashed_now` (the subnet's slash queue was full).
    pub fn sanction_weight(slashed_now: bool) -> Weight {
        let weight = T::WeightInfo::sanction().saturating_add(T::Deregistration::max_weight());
        if slashed_now {
            weight
                .saturating_add(T::WeightInfo::settle_slash())
                .saturating_add(T::SlashWeight::get())
        } else {
            weight
        }
    }

    /// The weight of a vote that `closed` its case, with a sanction (`Some(slashed_now)`) or
    /// none.
    pub fn vote_weight(closed: bool, sanction: Option<bool>) -> Weight {
        let mut weight = T::WeightInfo::vote();
        if closed {
            weight.saturating_accrue(T::WeightInfo::close_case());
        }
        if let Some(slashed_now) = sanction {
            weight.saturating_accrue(Self::sanction_weight(slashed_now));
        }
        weight
    }

    // ----- checks shared by the evidence calls -----

    /// `who` holds a validator permit on the live subnet `netuid`.
    fn ensure_permit(netuid: NetUid, who: &T::AccountId) -> Result<(), Error<T>> {
        ensure!(T::Subnets::exists(netuid), Error::<T>::UnknownSubnet);
        ensure!(
            T::Stake::has_validator_permit(netuid, who),
            Error::<T>::NoValidatorPermit
        );
        Ok(())
    }

    /// The challenge names `netuid` and `uid`.
    fn ensure_subject(netuid: NetUid, uid: u16, challenge: &Challenge) -> Result<(), Error<T>> {
        ensure!(
            challenge.netuid == netuid && challenge.uid == uid,
            Error::<T>::WrongSubject
        );
        Ok(())
    }

    /// The challenge's epoch has begun and is at most `MaxEvidenceAgeEpochs` old.
    fn ensure_recent(netuid: NetUid, challenge_epoch: u64) -> Result<(), Error<T>> {
        let epoch = Self::epoch(netuid);
        ensure!(challenge_epoch <= epoch, Error::<T>::EvidenceFromFuture);
        ensure!(
            epoch.saturating_sub(challenge_epoch) <= u64::from(T::MaxEvidenceAgeEpochs::get()),
            Error::<T>::EvidenceTooOld
        );
        Ok(())
    }

    /// The hotkey in `uid`'s slot, if it is not quarantined and has no sanctioned offence in
    /// or after `challenge_epoch` (which makes replayed evidence useless).
    fn accused(netuid: NetUid, uid: u16, challenge_epoch: u64) -> Result<T::AccountId, Error<T>> {
        let hotkey = T::Neurons::hotkey(netuid, uid).ok_or(Error::<T>::UnknownNeuron)?;
        ensure!(
            Self::active_quarantine(netuid, uid).is_none(),
            Error::<T>::AlreadyQuarantined
        );
        ensure!(
            OffenceHistory::<T>::get(netuid, &hotkey)
                .last()
                .is_none_or(|last| *last < challenge_epoch),
            Error::<T>::EvidenceAlreadySanctioned
        );
        Ok(hotkey)
    }

    /// The Ed25519 key `uid`'s served PeerId names.
    fn bound_key(netuid: NetUid, uid: u16) -> Result<ed25519::Public, Error<T>> {
        T::MeshKeys::bound_key(netuid, uid)
            .map(ed25519::Public::from_raw)
            .ok_or(Error::<T>::NoBoundKey)
    }

    /// `signed` carries a signature of its response by `key`, on this chain.
    fn verify(key: &ed25519::Public, signed: &SignedResponse) -> Result<(), Error<T>> {
        let message = response_message(Self::genesis_hash().as_ref(), &signed.response);
        ensure!(
            sp_io::crypto::ed25519_verify(
                &ed25519::Signature::from_raw(signed.signature),
                &message,
                key,
            ),
            Error::<T>::BadSignature
        );
        Ok(())
    }

    /// Neither `member` nor its coldkey owns `accused`.
    fn ensure_no_conflict(member: &T::AccountId, accused: &T::AccountId) -> Result<(), Error<T>> {
        ensure!(member != accused, Error::<T>::ConflictOfInterest);
        if let Some(owner) = T::Neurons::hotkey_owner(accused) {
            ensure!(
                T::Neurons::hotkey_owner(member).as_ref() != Some(&owner),
                Error::<T>::ConflictOfInterest
            );
        }
        Ok(())
    }

    // ----- calls -----

    /// Returns whether the slash was settled at once (the subnet's slash queue was full).
    pub(crate) fn do_submit_equivocation(
        reporter: T::AccountId,
        netuid: NetUid,
        uid: u16,
        first: SignedResponse,
        second: SignedResponse,
    ) -> Result<bool, DispatchError> {
        Self::ensure_permit(netuid, &reporter)?;
        let (a, b) = (&first.response, &second.response);
        Self::ensure_subject(netuid, uid, &a.challenge)?;
        ensure!(a.challenge == b.challenge, Error::<T>::ChallengesDiffer);
        ensure!(a.output_hash != b.output_hash, Error::<T>::SameOutput);
        Self::ensure_recent(netuid, a.challenge.epoch)?;
        let hotkey = Self::accused(netuid, uid, a.challenge.epoch)?;
        let key = Self::bound_key(netuid, uid)?;
        Self::verify(&key, &first)?;
        Self::verify(&key, &second)?;

        Self::deposit_event(Event::EquivocationProven {
            netuid,
            uid,
            hotkey: hotkey.clone(),
            reporter: reporter.clone(),
            nonce: a.challenge.nonce,
        });
        Ok(Self::apply_sanction(
            netuid,
            uid,
            hotkey,
            OffenceKind::Equivocation,
            reporter,
        ))
    }

    pub(crate) fn do_commit_canary(
        committer: T::AccountId,
        netuid: NetUid,
        commitment: Hash32,
    ) -> DispatchResult {
        Self::ensure_permit(netuid, &committer)?;
        let mut canaries = Canaries::<T>::get(netuid);
        ensure!(
            !canaries.iter().any(|c| c.commitment == commitment),
            Error::<T>::CanaryAlreadyCommitted
        );
        canaries
            .try_push(Canary {
                commitment,
                committer: committer.clone(),
                epoch: Self::epoch(netuid),
                block: frame_system::Pallet::<T>::block_number(),
            })
            .map_err(|_| Error::<T>::TooManyCanaries)?;
        Canaries::<T>::insert(netuid, canaries);
        Self::deposit_event(Event::CanaryCommitted {
            netuid,
            commitment,
            committer,
        });
        Ok(())
    }

    /// Returns whether the slash was settled at once.
    pub(crate) fn do_submit_canary_failure(
        reporter: T::AccountId,
        netuid: NetUid,
        uid: u16,
        signed: SignedResponse,
        expected_output_hash: Hash32,
        salt: Hash32,
    ) -> Result<bool, DispatchError> {
        Self::ensure_permit(netuid, &reporter)?;
        let response = &signed.response;
        Self::ensure_subject(netuid, uid, &response.challenge)?;
        let commitment = canary_commitment(
            netuid,
            &response.challenge.input_hash,
            &expected_output_hash,
            &salt,
        );
        let mut canaries = Canaries::<T>::get(netuid);
        let index = canaries
            .iter()
            .position(|c| c.commitment == commitment)
            .ok_or(Error::<T>::UnknownCanary)?;
        let canary_epoch = canaries.get(index).map_or(u64::MAX, |c| c.epoch);
        ensure!(
            canary_epoch < response.challenge.epoch,
            Error::<T>::CanaryNotBeforeChallenge
        );
        ensure!(
            response.output_hash != expected_output_hash,
            Error::<T>::CanaryAnsweredCorrectly
        );
        Self::ensure_recent(netuid, response.challenge.epoch)?;
        let hotkey = Self::accused(netuid, uid, response.challenge.epoch)?;
        let key = Self::bound_key(netuid, uid)?;
        Self::verify(&key, &signed)?;

        // Opened, the canary's input is public: it cannot catch anyone else.
        canaries.remove(index);
        if canaries.is_empty() {
            Canaries::<T>::remove(netuid);
        } else {
            Canaries::<T>::insert(netuid, canaries);
        }
        Self::deposit_event(Event::CanaryFailureProven {
            netuid,
            uid,
            hotkey: hotkey.clone(),
            reporter: reporter.clone(),
            commitment,
        });
        Ok(Self::apply_sanction(
            netuid,
            uid,
            hotkey,
            OffenceKind::CanaryFailure,
            reporter,
        ))
    }

    pub(crate) fn do_report(
        reporter: T::AccountId,
        netuid: NetUid,
        uid: u16,
        offence: JudgedOffence,
        evidence_hash: Hash32,
    ) -> DispatchResult {
        ensure!(T::Subnets::exists(netuid), Error::<T>::UnknownSubnet);
        let epoch = Self::epoch(netuid);
        let committee = Committees::<T>::get(netuid, epoch).ok_or(Error::<T>::NoCommittee)?;
        let seat = committee
            .members
            .iter()
            .position(|(_, hotkey)| *hotkey == reporter)
            .ok_or(Error::<T>::NotCommitteeMember)?;
        let accused = T::Neurons::hotkey(netuid, uid).ok_or(Error::<T>::UnknownNeuron)?;
        Self::ensure_no_conflict(&reporter, &accused)?;
        ensure!(
            Self::active_quarantine(netuid, uid).is_none(),
            Error::<T>::AlreadyQuarantined
        );
        let mut open = OpenCases::<T>::get(netuid);
        ensure!(
            !open.iter().any(|o| o.uid == uid),
            Error::<T>::CaseAlreadyOpen
        );
        let reports = open.iter().filter(|o| o.reporter == reporter).count();
        ensure!(
            reports < T::MaxOpenReportsPerReporter::get() as usize,
            Error::<T>::TooManyReports
        );
        let id = NextCaseId::<T>::get();
        let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
        open.try_push(OpenCase {
            id,
            uid,
            reporter: reporter.clone(),
        })
        .map_err(|_| Error::<T>::TooManyOpenCases)?;
        let guilty = Self::seat_bit(seat).ok_or(Error::<T>::NotCommitteeMember)?;
        let bond = T::ReportBond::get();
        T::Currency::hold(&HoldReason::ReportBond.into(), &reporter, bond)
            .map_err(|_| Error::<T>::InsufficientBond)?;

        let now = frame_system::Pallet::<T>::block_number();
        let expires_at = now.saturating_add(T::CaseDuration::get());
        let members: Vec<T::AccountId> = committee
            .members
            .iter()
            .map(|(_, hotkey)| hotkey.clone())
            .collect();
        let case = Case {
            netuid,
            uid,
            accused: accused.clone(),
            offence,
            evidence_hash,
            reporter: reporter.clone(),
            bond,
            epoch,
            size: committee.size,
            threshold: Self::case_threshold(committee.size),
            members: BoundedVec::truncate_from(members),
            guilty,
            not_guilty: 0,
            opened_at: now,
            expires_at,
        };
        let tally = case.tally();
        NextCaseId::<T>::put(next);
        Cases::<T>::insert(id, case);
        OpenCases::<T>::insert(netuid, open);
        Self::deposit_event(Event::CaseOpened {
            case: id,
            netuid,
            uid,
            accused,
            offence,
            reporter: reporter.clone(),
            evidence_hash,
            expires_at,
        });
        Self::deposit_event(Event::Voted {
            case: id,
            voter: reporter,
            guilty: true,
            guilty_votes: tally.guilty,
            not_guilty_votes: tally.not_guilty,
        });
        Ok(())
    }

    /// Returns whether the vote closed the case, and if it sanctioned the miner whether the
    /// slash was settled at once.
    pub(crate) fn do_vote(
        voter: T::AccountId,
        id: CaseId,
        guilty: bool,
    ) -> Result<(bool, Option<bool>), DispatchError> {
        let mut case = Cases::<T>::get(id).ok_or(Error::<T>::UnknownCase)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now <= case.expires_at, Error::<T>::CaseExpired);
        let seat = case
            .members
            .iter()
            .position(|member| *member == voter)
            .ok_or(Error::<T>::NotCaseMember)?;
        ensure!(!case.has_voted(seat), Error::<T>::AlreadyVoted);
        Self::ensure_no_conflict(&voter, &case.accused)?;
        let bit = Self::seat_bit(seat).ok_or(Error::<T>::NotCaseMember)?;

        if guilty {
            case.guilty |= bit;
        } else {
            case.not_guilty |= bit;
        }
        let tally = case.tally();
        Self::deposit_event(Event::Voted {
            case: id,
            voter,
            guilty,
            guilty_votes: tally.guilty,
            not_guilty_votes: tally.not_guilty,
        });
        match Self::judge(&case, false) {
            Verdict::Open => {
                Cases::<T>::insert(id, case);
                Ok((false, None))
            }
            Verdict::Dismissed => {
                Self::close(id, case, CaseOutcome::Dismissed);
                Ok((true, None))
            }
            Verdict::Quarantine => {
                // The verdict is about the hotkey reported; a slot that changed hands, or a
                // miner quarantined meanwhile by proven evidence, is not sanctioned again.
                let still_there =
                    T::Neurons::hotkey(case.netuid, case.uid).as_ref() == Some(&case.accused);
                if still_there && Self::active_quarantine(case.netuid, case.uid).is_none() {
                    let slashed_now = Self::apply_sanction(
                        case.netuid,
                        case.uid,
                        case.accused.clone(),
                        OffenceKind::Judged(case.offence),
                        case.reporter.clone(),
                    );
                    Self::close(id, case, CaseOutcome::Guilty);
                    Ok((true, Some(slashed_now)))
                } else {
                    Self::close(id, case, CaseOutcome::Superseded);
                    Ok((true, None))
                }
            }
        }
    }

    pub(crate) fn do_close_case(id: CaseId) -> DispatchResult {
        let case = Cases::<T>::get(id).ok_or(Error::<T>::UnknownCase)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now > case.expires_at, Error::<T>::CaseNotExpired);
        Self::close(id, case, CaseOutcome::Expired);
        Ok(())
    }

    pub(crate) fn do_unquarantine(who: T::AccountId, netuid: NetUid, uid: u16) -> DispatchResult {
        let quarantine = Quarantines::<T>::get(netuid, uid).ok_or(Error::<T>::NotQuarantined)?;
        ensure!(
            who == quarantine.hotkey
                || T::Neurons::hotkey_owner(&quarantine.hotkey).as_ref() == Some(&who),
            Error::<T>::NotMinerOwner
        );
        ensure!(
            may_release(Self::epoch(netuid), quarantine.until_epoch),
            Error::<T>::QuarantineNotOver
        );
        Quarantines::<T>::remove(netuid, uid);
        Self::deposit_event(Event::MinerReleased {
            netuid,
            uid,
            hotkey: quarantine.hotkey,
        });
        Ok(())
    }

    // ----- cases -----

    /// The bit of seat `seat` in a case's vote bitmaps.
    fn seat_bit(seat: usize) -> Option<u16> {
        (seat < usize::from(MAX_COMMITTEE_SIZE))
            .then(|| 1u16.checked_shl(u32::try_from(seat).unwrap_or(u32::MAX)))
            .flatten()
    }

    /// Guilty votes that quarantine on a committee of `size`: the governed threshold when the
    /// committee has the governed size, else `2f + 1`; never below `2f + 1` nor above `n`.
    pub(crate) fn case_threshold(size: CommitteeSize) -> u8 {
        let base = size.threshold();
        let requested = T::Parameters::committee_size()
            .clamp(u32::from(MIN_COMMITTEE_SIZE), u32::from(MAX_COMMITTEE_SIZE));
        if u32::from(size.n()) == requested {
            u8::try_from(T::Parameters::threshold())
                .unwrap_or(u8::MAX)
                .clamp(base, size.n())
        } else {
            base
        }
    }

    /// The state of `case`: the math crate's verdict (`2f + 1` guilty quarantine, `f + 1` not
    /// guilty or expiry dismiss), with the case's threshold for guilt, and dismissed as soon as
    /// that threshold is out of reach.
    pub(crate) fn judge(
        case: &Case<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>,
        expired: bool,
    ) -> Verdict {
        let tally = case.tally();
        let math = verdict(case.size, tally, expired).unwrap_or_else(|_| {
            log::error!(target: LOG_TARGET, "a case holds more votes than seats");
            Verdict::Dismissed
        });
        let n = u16::from(case.size.n());
        let out_of_reach =
            u16::from(tally.not_guilty) > n.saturating_sub(u16::from(case.threshold));
        match math {
            Verdict::Quarantine if tally.guilty >= case.threshold => Verdict::Quarantine,
            // `2f + 1` reached but a higher governed threshold not yet.
            Verdict::Quarantine | Verdict::Open if !expired && !out_of_reach => Verdict::Open,
            _ => Verdict::Dismissed,
        }
    }

    /// Closes `case`: releases the bond, removes it, emits [`Event::CaseClosed`].
    fn close(id: CaseId, case: CaseOf<T>, outcome: CaseOutcome) {
        let returned = T::Currency::release(
            &HoldReason::ReportBond.into(),
            &case.reporter,
            case.bond,
            Precision::BestEffort,
        )
        .unwrap_or_else(|e| {
            log::error!(target: LOG_TARGET, "report bond of case {id} not released: {e:?}");
            Zero::zero()
        });
        OpenCases::<T>::mutate(case.netuid, |open| open.retain(|o| o.id != id));
        Cases::<T>::remove(id);
        Self::deposit_event(Event::CaseClosed {
            case: id,
            netuid: case.netuid,
            uid: case.uid,
            outcome,
            bond_returned: returned,
        });
    }

    // ----- sanctions and slashes -----

    /// Sanctions `hotkey` in `uid`'s slot for `offence`: records the offence, quarantines the
    /// miner for the doubling length (or deregisters it at its third offence in the window)
    /// and queues its slash after the audit window. Returns whether the slash was settled at
    /// once because the subnet's queue was full.
    fn apply_sanction(
        netuid: NetUid,
        uid: u16,
        hotkey: T::AccountId,
        offence: OffenceKind,
        reporter: T::AccountId,
    ) -> bool {
        let epoch = Self::epoch(netuid);
        let params = Self::quarantine_params();
        let mut history = OffenceHistory::<T>::get(netuid, &hotkey);
        history.retain(|e| *e <= epoch && epoch.saturating_sub(*e) < params.window_epochs);
        let outcome = sanction(&params, epoch, &history);
        if history.is_full() {
            history.remove(0);
        }
        if history.try_push(epoch).is_err() {
            log::error!(target: LOG_TARGET, "offence history full after making room");
        }
        let offences = u32::try_from(history.len()).unwrap_or(u32::MAX);
        OffenceHistory::<T>::insert(netuid, &hotkey, history);

        match outcome {
            Sanction::Deregister if T::Deregistration::deregister(netuid, uid) => {
                Quarantines::<T>::remove(netuid, uid);
                Self::deposit_event(Event::MinerDeregistered {
                    netuid,
                    uid,
                    hotkey: hotkey.clone(),
                    offence,
                });
            }
            Sanction::Deregister => {
                log::warn!(
                    target: LOG_TARGET,
                    "uid {uid} of subnet {netuid} not deregistered; quarantined for the longest"
                );
                let until = epoch.saturating_add(u64::from(params.max_epochs));
                Self::quarantine(netuid, uid, &hotkey, offence, until, offences);
            }
            Sanction::Quarantine { until } => {
                Self::quarantine(netuid, uid, &hotkey, offence, until, offences);
            }
        }
        Self::schedule_slash(netuid, uid, hotkey, offence, reporter, epoch)
    }

    fn quarantine(
        netuid: NetUid,
        uid: u16,
        hotkey: &T::AccountId,
        offence: OffenceKind,
        until_epoch: u64,
        offences: u32,
    ) {
        Quarantines::<T>::insert(
            netuid,
            uid,
            Quarantine {
                hotkey: hotkey.clone(),
                offence,
                since_epoch: Self::epoch(netuid),
                since_block: frame_system::Pallet::<T>::block_number(),
                until_epoch,
                offences,
            },
        );
        Self::deposit_event(Event::MinerQuarantined {
            netuid,
            uid,
            hotkey: hotkey.clone(),
            offence,
            until_epoch,
            offences,
        });
    }

    /// Queues the slash of `offence` until the audit window has passed; if the subnet's queue
    /// is full, settles it now and returns true.
    fn schedule_slash(
        netuid: NetUid,
        uid: u16,
        hotkey: T::AccountId,
        offence: OffenceKind,
        reporter: T::AccountId,
        epoch: u64,
    ) -> bool {
        let rate = slash_rate(&Self::slash_rates(), offence.slash_class());
        let due_epoch = epoch.saturating_add(u64::from(T::AuditWindowEpochs::get()));
        let slash = PendingSlash {
            hotkey: hotkey.clone(),
            uid,
            offence,
            rate,
            reporter,
            due_epoch,
        };
        let mut queue = PendingSlashes::<T>::get(netuid);
        match queue.try_push(slash) {
            Ok(()) => {
                PendingSlashes::<T>::insert(netuid, queue);
                Self::deposit_event(Event::SlashScheduled {
                    netuid,
                    hotkey,
                    rate,
                    due_epoch,
                });
                false
            }
            Err(slash) => {
                log::warn!(
                    target: LOG_TARGET,
                    "slash queue of subnet {netuid} full; slashing without an audit window"
                );
                Self::settle(netuid, slash);
                true
            }
        }
    }

    /// Burns the slash from the miner's stake and mints the reporter's share: issuance falls
    /// by exactly `slashed − reward`.
    fn settle(netuid: NetUid, slash: PendingSlash<T::AccountId>) {
        let slashed = T::Stake::slash(&slash.hotkey, slash.rate);
        let reward = Self::slash_rates().reporter_reward.mul_floor(slashed);
        let reward = if reward.is_zero() {
            reward
        } else {
            T::Currency::mint_into(&slash.reporter, reward).unwrap_or_else(|e| {
                log::warn!(target: LOG_TARGET, "reporter reward not minted: {e:?}");
                Zero::zero()
            })
        };
        Self::deposit_event(Event::MinerSlashed {
            netuid,
            hotkey: slash.hotkey,
            slashed,
            reporter: slash.reporter,
            reward,
        });
    }

    /// Settles at most `budget` slashes past their audit window, oldest subnet first. Returns
    /// how many.
    fn settle_due_slashes(budget: u32) -> u32 {
        let mut due = SlashesDue::<T>::get();
        if due.is_empty() {
            return 0;
        }
        let mut settled = 0u32;
        let mut done: Vec<NetUid> = Vec::new();
        for &netuid in due.iter() {
            if settled >= budget {
                break;
            }
            let epoch = Self::epoch(netuid);
            let mut still_due = false;
            let mut kept = Vec::new();
            for slash in PendingSlashes::<T>::get(netuid) {
                if slash.due_epoch > epoch {
                    kept.push(slash);
                } else if settled < budget {
                    Self::settle(netuid, slash);
                    settled = settled.saturating_add(1);
                } else {
                    still_due = true;
                    kept.push(slash);
                }
            }
            if kept.is_empty() {
                PendingSlashes::<T>::remove(netuid);
            } else {
                PendingSlashes::<T>::insert(netuid, BoundedVec::truncate_from(kept));
            }
            if !still_due {
                done.push(netuid);
            }
        }
        due.retain(|netuid| !done.contains(netuid));
        SlashesDue::<T>::put(due);
        settled
    }

    // ----- epochs -----

    /// Everything `on_initialize` does: advance the epoch of the subnets at a boundary, run
    /// the boundary work of up to `MaxBoundariesPerBlock` queued subnets, settle up to
    /// `MaxSlashesPerBlock` slashes. Returns the weight used.
    pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
        let mut weight = T::WeightInfo::on_initialize_base();
        let due = T::Subnets::epochs_due(now.saturated_into::<u64>());
        let mut pending = PendingBoundaries::<T>::get();
        if !due.is_empty() || !pending.is_empty() {
            for netuid in due {
                Self::advance_epoch(netuid);
                weight.saturating_accrue(T::WeightInfo::advance_epoch());
                if !pending.contains(&netuid) && pending.try_push(netuid).is_err() {
                    // Cannot happen while the queue holds `MaxSubnets`: a subnet is queued once.
                    log::warn!(target: LOG_TARGET, "boundary queue full; {netuid:?} skipped");
                }
            }
            let batch = (T::MaxBoundariesPerBlock::get() as usize).min(pending.len());
            let mut queue = pending.into_inner();
            let rest = queue.split_off(batch);
            PendingBoundaries::<T>::put(BoundedVec::truncate_from(rest));
            for netuid in queue {
                weight.saturating_accrue(Self::process_boundary(netuid, now));
            }
        }
        let settled = Self::settle_due_slashes(T::MaxSlashesPerBlock::get());
        let per_slash = T::WeightInfo::settle_slash().saturating_add(T::SlashWeight::get());
        weight.saturating_accrue(per_slash.saturating_mul(u64::from(settled)));
        weight
    }

    /// Enters `netuid`'s next epoch and completes the mix of the one that ended.
    fn advance_epoch(netuid: NetUid) {
        let ended = Self::epoch(netuid);
        SubnetEpoch::<T>::insert(netuid, ended.saturating_add(1));
        CompletedMix::<T>::insert(netuid, (ended, Mix::<T>::get(netuid)));
    }

    /// A subnet's boundary work: drop the committees of past epochs, draw the next epoch's,
    /// dismiss expired cases, drop expired canaries, mark due slashes. Returns its weight.
    fn process_boundary(netuid: NetUid, now: BlockNumberFor<T>) -> Weight {
        if !T::Subnets::exists(netuid) {
            // Dissolved while queued; part 2 clears a dissolved subnet's state.
            return T::WeightInfo::boundary(0, 0);
        }
        let epoch = Self::epoch(netuid);
        let past: Vec<u64> = Committees::<T>::iter_key_prefix(netuid)
            .filter(|e| *e < epoch)
            .collect();
        for e in past {
            Committees::<T>::remove(netuid, e);
        }
        let candidates = Self::draw(netuid, epoch.saturating_add(1), now);
        let (examined, closed) = Self::expire_cases(netuid, now);
        Self::expire_canaries(netuid, epoch);
        Self::mark_slashes_due(netuid, epoch);
        T::WeightInfo::boundary(candidates, examined)
            .saturating_add(T::WeightInfo::close_case().saturating_mul(u64::from(closed)))
    }

    /// Draws `netuid`'s committee for `epoch` from the completed mix, among at most
    /// `MaxCandidates` validators, quarantined ones excluded. Returns the candidates read.
    fn draw(netuid: NetUid, epoch: u64, now: BlockNumberFor<T>) -> u32 {
        Committees::<T>::remove(netuid, epoch);
        let Some(seed) = Randao::<T>::default().committee_seed(netuid.0, epoch) else {
            log::warn!(target: LOG_TARGET, "no seed for subnet {netuid} epoch {epoch}");
            Self::deposit_event(Event::CommitteeNotDrawn { netuid, epoch });
            return 0;
        };
        let mut seats: Vec<(Candidate, T::AccountId)> = Vec::new();
        for hotkey in T::Stake::validators(netuid)
            .into_iter()
            .take(T::MaxCandidates::get() as usize)
        {
            let Some(uid) = T::Neurons::uid(netuid, &hotkey) else {
                continue;
            };
            let excluded = Quarantines::<T>::get(netuid, uid).is_some_and(|q| q.hotkey == hotkey);
            let candidate = Candidate {
                uid,
                stake: T::Stake::hotkey_stake(&hotkey).saturated_into::<u128>(),
                reputation: T::Reputation::reputation(netuid, uid),
                excluded,
            };
            seats.push((candidate, hotkey));
        }
        seats.sort_by_key(|(candidate, _)| candidate.uid);
        let read = u32::try_from(seats.len()).unwrap_or(u32::MAX);
        let candidates: Vec<Candidate> = seats.iter().map(|(candidate, _)| *candidate).collect();
        let requested = u8::try_from(T::Parameters::committee_size()).unwrap_or(u8::MAX);
        match draw_committee(&candidates, requested, &seed) {
            Ok(committee) => {
                let members: Vec<(u16, T::AccountId)> = committee
                    .members
                    .iter()
                    .filter_map(|uid| {
                        seats
                            .binary_search_by_key(uid, |(candidate, _)| candidate.uid)
                            .ok()
                            .and_then(|i| seats.get(i))
                            .map(|(candidate, hotkey)| (candidate.uid, hotkey.clone()))
                    })
                    .collect();
                let uids: BoundedVec<u16, MaxCommitteeMembers> =
                    BoundedVec::truncate_from(committee.members);
                Committees::<T>::insert(
                    netuid,
                    epoch,
                    CommitteeRecord {
                        size: committee.size,
                        members: BoundedVec::truncate_from(members),
                        drawn_at: now,
                    },
                );
                Self::deposit_event(Event::CommitteeDrawn {
                    netuid,
                    epoch,
                    members: uids,
                });
            }
            Err(error) => {
                if error != CommitteeError::NotEnoughEligible {
                    log::error!(target: LOG_TARGET, "committee draw of subnet {netuid} failed: {error}");
                }
                Self::deposit_event(Event::CommitteeNotDrawn { netuid, epoch });
            }
        }
        read
    }

    /// Dismisses `netuid`'s cases whose voting period is over. Returns the cases examined and
    /// those closed.
    fn expire_cases(netuid: NetUid, now: BlockNumberFor<T>) -> (u32, u32) {
        let open = OpenCases::<T>::get(netuid);
        let mut closed = 0u32;
        for entry in open.iter() {
            if let Some(case) = Cases::<T>::get(entry.id) {
                if now > case.expires_at {
                    Self::close(entry.id, case, CaseOutcome::Expired);
                    closed = closed.saturating_add(1);
                }
            }
        }
        (u32::try_from(open.len()).unwrap_or(u32::MAX), closed)
    }

    /// Drops `netuid`'s canaries older than `CanaryLifetimeEpochs`.
    fn expire_canaries(netuid: NetUid, epoch: u64) {
        let lifetime = u64::from(T::CanaryLifetimeEpochs::get());
        let mut canaries = Canaries::<T>::get(netuid);
        let before = canaries.len();
        canaries.retain(|c| c.epoch.saturating_add(lifetime) > epoch);
        let expired = before.saturating_sub(canaries.len());
        if expired == 0 {
            return;
        }
        if canaries.is_empty() {
            Canaries::<T>::remove(netuid);
        } else {
            Canaries::<T>::insert(netuid, canaries);
        }
        Self::deposit_event(Event::CanariesExpired {
            netuid,
            count: u32::try_from(expired).unwrap_or(u32::MAX),
        });
    }

    /// Queues `netuid` for settlement if one of its slashes is past its audit window.
    fn mark_slashes_due(netuid: NetUid, epoch: u64) {
        if !PendingSlashes::<T>::get(netuid)
            .iter()
            .any(|s| s.due_epoch <= epoch)
        {
            return;
        }
        SlashesDue::<T>::mutate(|due| {
            if !due.contains(&netuid) && due.try_push(netuid).is_err() {
                log::warn!(target: LOG_TARGET, "slash queue full; {netuid:?} waits a boundary");
            }
        });
    }
}

impl<T: Config> QuarantineInfo for Pallet<T> {
    fn is_quarantined(netuid: NetUid, uid: u16) -> bool {
        Self::active_quarantine(netuid, uid).is_some()
    }

    fn quarantined(netuid: NetUid) -> Vec<u16> {
        let mut uids: Vec<u16> = Quarantines::<T>::iter_prefix(netuid)
            .filter(|(uid, q)| T::Neurons::hotkey(netuid, *uid).as_ref() == Some(&q.hotkey))
            .map(|(uid, _)| uid)
            .collect();
        uids.sort_unstable();
        uids
    }
}

/// Folds each revealed salt into the subnet's mix, in block order. The consensus pallet's
/// `epoch` is not needed: a salt counts towards the mix of the sentinel epoch it is revealed in.
impl<T: Config> SaltSink for Pallet<T> {
    fn on_reveal(netuid: NetUid, _epoch: u64, salt_hash: [u8; 32]) {
        Mix::<T>::mutate(netuid, |mix| *mix = mix_next(mix, &salt_hash));
    }
}
