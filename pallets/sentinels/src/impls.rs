//! The logic behind the calls, the read side, and the traits other pallets use. The hooks'
//! work is in `epochs.rs`, sanctions and slashes in `sanctions.rs`.
//!
//! Every `do_*` checks everything first and writes storage last, so a failed call changes
//! nothing.

use crate::{
    pallet::*,
    types::{
        canary_commitment, response_message, Canary, Case, CaseId, CaseOutcome, Challenge, Hash32,
        JudgedOffence, KeyBinding, OffenceKind, OpenCase, SeenBlock, SignedResponse,
    },
    weights::WeightInfo,
    LOG_TARGET,
};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{
    EndpointObserver, NetUid, NeuronDeregistration, NeuronsInfo, QuarantineInfo, SaltSink,
    ScoringRule, SentinelParameters, StakeInfo, SubnetsInfo, TaskSpec,
};
use mindos_sentinels_math::{
    case_verdict, may_release, mix_next, CaseVerdict, CommitteeSize, QuarantineParams, SlashRates,
    MAX_COMMITTEE_SIZE, MIN_COMMITTEE_SIZE,
};
use sp_core::ed25519;
use sp_runtime::traits::{Saturating, Zero};

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

    /// The governed slash rates (at launch the math crate's defaults: 5% proven, 0.01%
    /// judged, 0.1% and 2% for sentinels proven wrong, ×3 correlated, 10% to the reporter).
    /// One read of the registry.
    pub fn slash_rates() -> SlashRates {
        T::Parameters::slash_rates()
    }

    /// The quarantine of the hotkey holding `uid` on `netuid` now, if any.
    pub fn active_quarantine(netuid: NetUid, uid: u16) -> Option<QuarantineOf<T>> {
        let hotkey = T::Neurons::hotkey(netuid, uid)?;
        Quarantines::<T>::get(netuid, hotkey)
    }

    // ----- weights -----

    /// The weight of a sanction: its bookkeeping (the slash is only scheduled) and the worst
    /// deregistration.
    pub fn sanction_weight() -> Weight {
        T::WeightInfo::sanction().saturating_add(T::Deregistration::max_weight())
    }

    /// The most `on_initialize` can weigh: every subnet at its boundary in one block
    /// (`MaxSnapshotsPerBlock` of them snapshotting `MaxCandidates`, the rest only advancing), `MaxBoundariesPerBlock` boundary works at their largest
    /// (every open case expiring, every canary expiring, `MaxDeparturesPerBoundary` departures
    /// examined), `MaxSlashesPerBlock` settlements each releasing the most canary deposits, and
    /// the clearing of a dissolved subnet. `integrity_test` checks it fits the block.
    pub fn max_on_initialize_weight() -> Weight {
        let subnets = T::MaxSubnets::get();
        let candidates = T::MaxCandidates::get();
        let cases = T::MaxOpenCasesPerSubnet::get();
        let canaries = T::MaxCanariesPerSubnet::get();
        let release = T::WeightInfo::release_canary_deposit();
        let departures = u64::from(T::MaxDeparturesPerBoundary::get());
        let boundary = T::WeightInfo::boundary(candidates, cases, canaries)
            .saturating_add(T::WeightInfo::close_case(cases).saturating_mul(u64::from(cases)))
            .saturating_add(T::WeightInfo::prune_departure().saturating_mul(departures))
            .saturating_add(release.saturating_mul(u64::from(canaries)))
            .saturating_add(
                T::WeightInfo::close_audit(T::MaxOpenAuditsPerSubnet::get())
                    .saturating_mul(u64::from(T::MaxOpenAuditsPerSubnet::get())),
            );
        let boundaries = T::MaxBoundariesPerBlock::get().min(subnets);
        let snapshots = T::MaxSnapshotsPerBlock::get().min(subnets);
        let deposits = <crate::MaxOffenceHistory as Get<u32>>::get();
        let slash = T::WeightInfo::settle_slash()
            .saturating_add(T::SlashWeight::get())
            .saturating_add(release.saturating_mul(u64::from(deposits)));
        T::WeightInfo::on_initialize_base(subnets)
            .saturating_add(
                T::WeightInfo::advance_epoch(candidates).saturating_mul(u64::from(snapshots)),
            )
            .saturating_add(
                T::WeightInfo::advance_epoch(0)
                    .saturating_mul(u64::from(subnets.saturating_sub(snapshots))),
            )
            .saturating_add(boundary.saturating_mul(u64::from(boundaries)))
            .saturating_add(slash.saturating_mul(u64::from(T::MaxSlashesPerBlock::get())))
            .saturating_add(Self::max_clear_weight())
    }

    /// The weight of a vote that `closed` its case, with a sanction or none.
    pub fn vote_weight(closed: bool, sanctioned: bool) -> Weight {
        let mut weight = T::WeightInfo::vote();
        if closed {
            // A refuted case burns its bond where `close_case` (benchmarked) releases it: one
            // more write (total issuance), and a refutation never opens the audit charged here.
            weight.saturating_accrue(T::WeightInfo::close_case(T::MaxOpenCasesPerSubnet::get()));
            weight.saturating_accrue(Self::open_audit_weight());
        }
        if sanctioned {
            weight.saturating_accrue(Self::sanction_weight());
        }
        weight
    }

    // ----- checks shared by the evidence calls -----

    /// `who` holds a validator permit on the live subnet `netuid`; returns the subnet's task.
    fn ensure_permit(netuid: NetUid, who: &T::AccountId) -> Result<TaskSpec, Error<T>> {
        let task = T::Subnets::task(netuid).ok_or(Error::<T>::UnknownSubnet)?;
        ensure!(
            T::Stake::has_validator_permit(netuid, who),
            Error::<T>::NoValidatorPermit
        );
        Ok(task)
    }

    /// The subnet scores exactly, so one expected output hash can judge an answer: a float
    /// subnet compares outputs within a tolerance, and an honest miner's answer may differ from
    /// the committer's in its last bits.
    fn ensure_exact(task: &TaskSpec) -> Result<(), Error<T>> {
        ensure!(
            task.scoring_rule == ScoringRule::Correctness,
            Error::<T>::InexactScoring
        );
        Ok(())
    }

    /// The challenge names the model the subnet pins: an answer under another model says
    /// nothing about this subnet's task, and re-sending one nonce under another model must not
    /// make two "answers to one challenge".
    fn ensure_model(task: &TaskSpec, challenge: &Challenge<T::AccountId>) -> Result<(), Error<T>> {
        ensure!(
            challenge.model_digest == task.model_digest,
            Error::<T>::WrongModel
        );
        Ok(())
    }

    /// The challenge names `netuid` and `uid`.
    fn ensure_subject(
        netuid: NetUid,
        uid: u16,
        challenge: &Challenge<T::AccountId>,
    ) -> Result<(), Error<T>> {
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

    /// The challenged hotkey, if it is registered on `netuid` (in the challenge's uid or, having
    /// moved, in another: evidence follows the hotkey), not quarantined, and has no sanctioned
    /// offence in or after the challenge's epoch (which makes replayed evidence useless).
    fn accused(
        netuid: NetUid,
        challenge: &Challenge<T::AccountId>,
    ) -> Result<T::AccountId, Error<T>> {
        let challenge_epoch = challenge.epoch;
        let hotkey = challenge.hotkey.clone();
        ensure!(
            T::Neurons::uid(netuid, &hotkey).is_some(),
            Error::<T>::UnknownNeuron
        );
        ensure!(
            !Quarantines::<T>::contains_key(netuid, &hotkey),
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

    /// The keys `hotkey` had bound on `netuid` in sentinel epoch `epoch` ([`KeyHistory`]):
    /// binding `i` verifies epochs from its own to the next binding's, both included (a key
    /// replaced during an epoch signed the earlier part of it). At most [`crate::MaxBoundKeys`].
    pub fn keys_at(netuid: NetUid, hotkey: &T::AccountId, epoch: u64) -> Vec<[u8; 32]> {
        let history = KeyHistory::<T>::get(netuid, hotkey);
        let ends = history
            .iter()
            .skip(1)
            .map(|next| Some(next.from_epoch))
            .chain(core::iter::once(None));
        history
            .iter()
            .zip(ends)
            .filter(|(binding, end)| {
                binding.from_epoch <= epoch && end.is_none_or(|end| epoch <= end)
            })
            .map(|(binding, _)| binding.key)
            .collect()
    }

    /// `signed` carries a signature of its response, on this chain, by one of `keys`.
    fn verify(keys: &[[u8; 32]], signed: &SignedResponse<T::AccountId>) -> Result<(), Error<T>> {
        ensure!(!keys.is_empty(), Error::<T>::NoBoundKey);
        let message = response_message(Self::genesis_hash().as_ref(), &signed.response);
        let signature = ed25519::Signature::from_raw(signed.signature);
        ensure!(
            keys.iter().any(|key| sp_io::crypto::ed25519_verify(
                &signature,
                &message,
                &ed25519::Public::from_raw(*key),
            )),
            Error::<T>::BadSignature
        );
        Ok(())
    }

    /// `seen` is a sealed block of this chain whose hash the chain still keeps.
    fn ensure_seen_block(seen: &SeenBlock) -> Result<BlockNumberFor<T>, Error<T>> {
        let number =
            BlockNumberFor::<T>::try_from(seen.number).map_err(|_| Error::<T>::UnknownSeenBlock)?;
        ensure!(
            number < frame_system::Pallet::<T>::block_number() && seen.hash != [0u8; 32],
            Error::<T>::UnknownSeenBlock
        );
        let stored = frame_system::Pallet::<T>::block_hash(number);
        // frame-system answers zero for a block whose hash it pruned (past `BlockHashCount`).
        ensure!(
            stored.as_ref().iter().any(|b| *b != 0),
            Error::<T>::SeenBlockTooOld
        );
        ensure!(
            stored.as_ref() == seen.hash.as_slice(),
            Error::<T>::UnknownSeenBlock
        );
        Ok(number)
    }

    /// Neither `member` nor its coldkey owns `accused`.
    fn ensure_no_conflict(member: &T::AccountId, accused: &T::AccountId) -> Result<(), Error<T>> {
        ensure!(
            Self::impartial(member, accused, T::Neurons::hotkey_owner(accused).as_ref()),
            Error::<T>::ConflictOfInterest
        );
        Ok(())
    }

    /// `member` is not `accused` and its coldkey is not `accused_owner`.
    pub(crate) fn impartial(
        member: &T::AccountId,
        accused: &T::AccountId,
        accused_owner: Option<&T::AccountId>,
    ) -> bool {
        member != accused
            && accused_owner
                .is_none_or(|owner| T::Neurons::hotkey_owner(member).as_ref() != Some(owner))
    }

    // ----- calls -----

    pub(crate) fn do_submit_equivocation(
        reporter: T::AccountId,
        netuid: NetUid,
        uid: u16,
        first: SignedResponse<T::AccountId>,
        second: SignedResponse<T::AccountId>,
    ) -> DispatchResult {
        let task = Self::ensure_permit(netuid, &reporter)?;
        let (a, b) = (&first.response, &second.response);
        Self::ensure_subject(netuid, uid, &a.challenge)?;
        ensure!(a.challenge == b.challenge, Error::<T>::ChallengesDiffer);
        Self::ensure_model(&task, &a.challenge)?;
        ensure!(a.output_hash != b.output_hash, Error::<T>::SameOutput);
        Self::ensure_recent(netuid, a.challenge.epoch)?;
        let hotkey = Self::accused(netuid, &a.challenge)?;
        let keys = Self::keys_at(netuid, &hotkey, a.challenge.epoch);
        Self::verify(&keys, &first)?;
        Self::verify(&keys, &second)?;

        Self::deposit_event(Event::EquivocationProven {
            netuid,
            uid,
            hotkey: hotkey.clone(),
            reporter: reporter.clone(),
            nonce: a.challenge.nonce,
        });
        Self::apply_sanction(
            netuid,
            uid,
            hotkey,
            OffenceKind::Equivocation,
            reporter,
            Zero::zero(),
            None,
        );
        Ok(())
    }

    pub(crate) fn do_commit_canary(
        committer: T::AccountId,
        netuid: NetUid,
        commitment: Hash32,
    ) -> DispatchResult {
        let task = Self::ensure_permit(netuid, &committer)?;
        Self::ensure_exact(&task)?;
        let mut canaries = Canaries::<T>::get(netuid);
        ensure!(
            !canaries.iter().any(|c| c.commitment == commitment),
            Error::<T>::CanaryAlreadyCommitted
        );
        let own = canaries.iter().filter(|c| c.committer == committer).count();
        ensure!(
            own < T::MaxCanariesPerCommitter::get() as usize,
            Error::<T>::TooManyCanariesOfCommitter
        );
        let deposit = T::CanaryDeposit::get();
        canaries
            .try_push(Canary {
                commitment,
                committer: committer.clone(),
                deposit,
                epoch: Self::epoch(netuid),
                committed_at_block: frame_system::Pallet::<T>::block_number(),
            })
            .map_err(|_| Error::<T>::TooManyCanaries)?;
        T::Currency::hold(&HoldReason::CanaryDeposit.into(), &committer, deposit)
            .map_err(|_| Error::<T>::InsufficientCanaryDeposit)?;
        Canaries::<T>::insert(netuid, canaries);
        Self::deposit_event(Event::CanaryCommitted {
            netuid,
            commitment,
            committer,
            deposit,
        });
        Ok(())
    }

    pub(crate) fn do_submit_canary_failure(
        reporter: T::AccountId,
        netuid: NetUid,
        uid: u16,
        signed: SignedResponse<T::AccountId>,
        expected_output_hash: Hash32,
        salt: Hash32,
    ) -> DispatchResult {
        let task = Self::ensure_permit(netuid, &reporter)?;
        Self::ensure_exact(&task)?;
        let response = &signed.response;
        Self::ensure_subject(netuid, uid, &response.challenge)?;
        Self::ensure_model(&task, &response.challenge)?;
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
        let canary = canaries.get(index).ok_or(Error::<T>::UnknownCanary)?;
        ensure!(
            canary.epoch < response.challenge.epoch,
            Error::<T>::CanaryNotBeforeChallenge
        );
        // The challenge's epoch is the challenger's word; the seen block is the miner's, and a
        // block hash cannot be known before the block: the answer came after the commitment.
        let seen = Self::ensure_seen_block(&response.seen_block)?;
        ensure!(
            canary.committed_at_block < seen,
            Error::<T>::CanaryNotBeforeSeenBlock
        );
        ensure!(
            response.output_hash != expected_output_hash,
            Error::<T>::CanaryAnsweredCorrectly
        );
        Self::ensure_recent(netuid, response.challenge.epoch)?;
        let hotkey = Self::accused(netuid, &response.challenge)?;
        Self::ensure_canary_deposit_room(netuid, &hotkey)?;
        let keys = Self::keys_at(netuid, &hotkey, response.challenge.epoch);
        Self::verify(&keys, &signed)?;

        // Opened, the canary's input is public: it cannot catch anyone else. Its deposit stays
        // held, now by the slash, until the audit window has passed.
        let canary = canaries.remove(index);
        if canaries.is_empty() {
            Canaries::<T>::remove(netuid);
        } else {
            Canaries::<T>::insert(netuid, canaries);
        }
        Self::deposit_event(Event::CanaryFailureProven {
            netuid,
            uid,
            hotkey: hotkey.clone(),
            reporter,
            committer: canary.committer.clone(),
            commitment,
        });
        // The committer, not the submitter, is paid: it chose the canary and answers for it,
        // and an opening copied from the transaction pool earns nothing.
        let case =
            Self::record_canary_conviction(netuid, uid, &hotkey, &canary.committer, canary.deposit);
        Self::apply_sanction(
            netuid,
            uid,
            hotkey,
            OffenceKind::CanaryFailure,
            canary.committer,
            canary.deposit,
            case,
        );
        if let Some(case) = case {
            Self::canary_appealable(case);
        }
        Ok(())
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
        ensure!(
            committee
                .members
                .iter()
                .any(|(_, hotkey)| *hotkey == reporter),
            Error::<T>::NotCommitteeMember
        );
        let accused = T::Neurons::hotkey(netuid, uid).ok_or(Error::<T>::UnknownNeuron)?;
        Self::ensure_no_conflict(&reporter, &accused)?;
        // The case's committee is the members who may judge the accused: a seat whose coldkey
        // owns it cannot vote, so it must not count toward `n` either (it would raise the votes
        // needed beyond those who can cast them).
        let accused_owner = T::Neurons::hotkey_owner(&accused);
        let members: Vec<T::AccountId> = committee
            .members
            .iter()
            .map(|(_, hotkey)| hotkey.clone())
            .filter(|member| Self::impartial(member, &accused, accused_owner.as_ref()))
            .collect();
        let size = u8::try_from(members.len())
            .ok()
            .and_then(CommitteeSize::new)
            .ok_or(Error::<T>::TooFewImpartialMembers)?;
        let seat = members
            .iter()
            .position(|member| *member == reporter)
            .ok_or(Error::<T>::NotCommitteeMember)?;
        ensure!(
            !Quarantines::<T>::contains_key(netuid, &accused),
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
        let case = Case {
            netuid,
            uid,
            accused: accused.clone(),
            offence,
            evidence_hash,
            reporter: reporter.clone(),
            bond,
            epoch,
            size,
            threshold: Self::case_threshold(size),
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

    /// Returns whether the vote closed the case and whether it sanctioned the miner.
    pub(crate) fn do_vote(
        voter: T::AccountId,
        id: CaseId,
        guilty: bool,
    ) -> Result<(bool, bool), DispatchError> {
        let mut case = Cases::<T>::get(id).ok_or(Error::<T>::UnknownCase)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now <= case.expires_at, Error::<T>::CaseExpired);
        // A conflicted member of the drawn committee is left out of the case's: say why.
        Self::ensure_no_conflict(&voter, &case.accused)?;
        let seat = case
            .members
            .iter()
            .position(|member| *member == voter)
            .ok_or(Error::<T>::NotCaseMember)?;
        ensure!(!case.has_voted(seat), Error::<T>::AlreadyVoted);
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
            CaseVerdict::Open => {
                Cases::<T>::insert(id, case);
                Ok((false, false))
            }
            CaseVerdict::Dismissed => {
                Self::audit_dismissal(id, &case);
                Self::close(id, case, CaseOutcome::Dismissed);
                Ok((true, false))
            }
            CaseVerdict::Refuted => {
                // `2f + 1` not guilty: at most `f` guilty votes, never a split to audit.
                Self::close(id, case, CaseOutcome::Refuted);
                Ok((true, false))
            }
            CaseVerdict::Quarantine => {
                // The verdict is about the hotkey reported, wherever it is now: if it left (the
                // slot changed hands), its quarantine waits for it to come back, and the
                // newcomer is untouched. A miner quarantined meanwhile by proven evidence is not
                // sanctioned again.
                if !Quarantines::<T>::contains_key(case.netuid, &case.accused) {
                    // Appealable (its bond held until the slash settles) unless its pending
                    // slash carries `MaxOffenceHistory` convictions already.
                    let appealable = Self::judgment_room(case.netuid, &case.accused);
                    Self::apply_sanction(
                        case.netuid,
                        case.uid,
                        case.accused.clone(),
                        OffenceKind::Judged(case.offence),
                        case.reporter.clone(),
                        Zero::zero(),
                        appealable.then_some(id),
                    );
                    if appealable {
                        Self::record_conviction(id, &case);
                    }
                    Self::close(id, case, CaseOutcome::Guilty);
                    Ok((true, true))
                } else {
                    Self::close(id, case, CaseOutcome::Superseded);
                    Ok((true, false))
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
        let hotkey = T::Neurons::hotkey(netuid, uid).ok_or(Error::<T>::NotQuarantined)?;
        let quarantine =
            Quarantines::<T>::get(netuid, &hotkey).ok_or(Error::<T>::NotQuarantined)?;
        ensure!(
            who == hotkey || T::Neurons::hotkey_owner(&hotkey).as_ref() == Some(&who),
            Error::<T>::NotMinerOwner
        );
        ensure!(
            may_release(Self::epoch(netuid), quarantine.until_epoch),
            Error::<T>::QuarantineNotOver
        );
        Quarantines::<T>::remove(netuid, &hotkey);
        Self::deposit_event(Event::MinerReleased {
            netuid,
            uid,
            hotkey,
        });
        Ok(())
    }

    // ----- cases -----

    /// The bit of seat `seat` in a case's vote bitmaps.
    pub(crate) fn seat_bit(seat: usize) -> Option<u16> {
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

    /// The state of `case`: the math crate's [`case_verdict`] with the case's threshold for
    /// guilt (`2f + 1` not guilty refute, dismissed when neither side can reach its threshold
    /// or at expiry).
    pub(crate) fn judge(
        case: &Case<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>,
        expired: bool,
    ) -> CaseVerdict {
        case_verdict(case.size, case.threshold, case.tally(), expired).unwrap_or_else(|_| {
            log::error!(target: LOG_TARGET, "a case holds more votes than seats");
            CaseVerdict::Dismissed
        })
    }

    /// Closes `case`: releases the bond (except a conviction's, held until its slash settles
    /// for the audit to forfeit, and a refuted report's, burned: [`Event::ReportRefuted`]),
    /// removes it, emits [`Event::CaseClosed`].
    pub(crate) fn close(id: CaseId, case: CaseOf<T>, outcome: CaseOutcome) {
        let returned = if outcome == CaseOutcome::Guilty && Judgments::<T>::contains_key(id) {
            Zero::zero()
        } else if outcome == CaseOutcome::Refuted {
            let burned = Self::burn_hold(HoldReason::ReportBond, &case.reporter, case.bond);
            Self::deposit_event(Event::ReportRefuted {
                case: id,
                netuid: case.netuid,
                uid: case.uid,
                reporter: case.reporter.clone(),
                bond_burned: burned,
            });
            Zero::zero()
        } else {
            T::Currency::release(
                &HoldReason::ReportBond.into(),
                &case.reporter,
                case.bond,
                Precision::BestEffort,
            )
            .unwrap_or_else(|e| {
                log::error!(target: LOG_TARGET, "report bond of case {id} not released: {e:?}");
                Zero::zero()
            })
        };
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
}

impl<T: Config> QuarantineInfo for Pallet<T> {
    fn is_quarantined(netuid: NetUid, uid: u16) -> bool {
        Self::active_quarantine(netuid, uid).is_some()
    }

    /// The uids of the quarantined hotkeys registered on `netuid`; entries of hotkeys that left
    /// are ignored (they apply again if the hotkey comes back).
    fn quarantined(netuid: NetUid) -> Vec<u16> {
        let mut uids: Vec<u16> = Quarantines::<T>::iter_key_prefix(netuid)
            .filter_map(|hotkey| T::Neurons::uid(netuid, &hotkey))
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

/// Records each key a miner binds, with the sentinel epoch, so that evidence is verified with the
/// key the miner had when it answered ([`KeyHistory`]), and each departure ([`DepartedAt`]).
/// The neurons pallet calls it from `serve`, and when a hotkey is deregistered or pruned.
impl<T: Config> EndpointObserver<T::AccountId> for Pallet<T> {
    fn on_key_bound(netuid: NetUid, hotkey: &T::AccountId, key: [u8; 32]) -> bool {
        let epoch = Self::epoch(netuid);
        let mut history = KeyHistory::<T>::get(netuid, hotkey);
        if history.last().is_some_and(|last| last.key == key) {
            return true;
        }
        // A binding whose successor came before the oldest usable evidence epoch verifies
        // nothing any more.
        let oldest_usable = epoch.saturating_sub(u64::from(T::MaxEvidenceAgeEpochs::get()));
        let stale = history
            .iter()
            .skip(1)
            .take_while(|next| next.from_epoch < oldest_usable)
            .count();
        let mut kept = history.into_inner();
        kept.drain(..stale);
        history = BoundedVec::truncate_from(kept);
        if history
            .try_push(KeyBinding {
                key,
                from_epoch: epoch,
            })
            .is_err()
        {
            // Forgetting a recent key would let its evidence escape: refuse the rotation.
            return false;
        }
        KeyHistory::<T>::insert(netuid, hotkey, history);
        true
    }

    /// Notes the departure, so that the hotkey's keys, old offences and ended quarantine are
    /// pruned once nothing can need them (`cleanup.rs`).
    fn on_neuron_left(netuid: NetUid, hotkey: &T::AccountId) {
        Self::note_departure(netuid, hotkey);
    }

    fn max_weight() -> Weight {
        T::WeightInfo::on_key_bound().max(T::WeightInfo::on_neuron_left())
    }
}
