//! Why a sentinels call fails: each error names the check that refused it.

use frame_support::pallet_macros::pallet_section;

/// The pallet's errors, imported into it with `import_section`.
#[pallet_section]
mod errors {
    #[pallet::error]
    pub enum Error<T> {
        /// No live subnet has this id.
        UnknownSubnet,
        /// The caller holds no validator permit on this subnet.
        NoValidatorPermit,
        /// No neuron holds this uid, or the challenged hotkey is not registered on the subnet.
        UnknownNeuron,
        /// The challenged hotkey had bound no Ed25519 key on the subnet in the challenge's epoch
        /// (it served no endpoint with an Ed25519 PeerId), so no signature of it verifies.
        NoBoundKey,
        /// The challenge names another subnet or uid than the call.
        WrongSubject,
        /// The challenge names another model than the one the subnet pins
        /// (`TaskSpec::model_digest`): the answer is no evidence about this subnet's task.
        WrongModel,
        /// The subnet does not score exactly (`ScoringRule::Correctness`): float outputs are
        /// compared within a tolerance, which one expected hash cannot judge, so it takes no
        /// canaries.
        InexactScoring,
        /// The challenge names a sentinel epoch that has not begun.
        EvidenceFromFuture,
        /// The challenge is older than `MaxEvidenceAgeEpochs`.
        EvidenceTooOld,
        /// The miner was already sanctioned for an offence in or after the challenge's epoch:
        /// this evidence was used or is superseded.
        EvidenceAlreadySanctioned,
        /// A signature does not verify with any key the miner had bound in the challenge's
        /// epoch.
        BadSignature,
        /// The two responses answer different challenges.
        ChallengesDiffer,
        /// The two responses have the same output: no equivocation.
        SameOutput,
        /// The miner is quarantined already.
        AlreadyQuarantined,
        /// This canary is committed already on this subnet.
        CanaryAlreadyCommitted,
        /// The subnet has `MaxCanariesPerSubnet` canaries; wait for some to expire.
        TooManyCanaries,
        /// The miner's pending slash already holds `MaxOffenceHistory` canary deposits; wait
        /// for it to settle.
        TooManyPendingCanaryDeposits,
        /// The caller has `MaxCanariesPerCommitter` canaries on this subnet.
        TooManyCanariesOfCommitter,
        /// The caller cannot hold the canary deposit.
        InsufficientCanaryDeposit,
        /// No canary on this subnet has this commitment (wrong opening, or it expired).
        UnknownCanary,
        /// The challenge is not from an epoch after the canary's commitment.
        CanaryNotBeforeChallenge,
        /// The canary was not committed in a block before the one the miner saw when it
        /// answered: it may have been made up after the answer.
        CanaryNotBeforeSeenBlock,
        /// The miner's seen block is not a block of this chain: its hash is zero or differs
        /// from the chain's, or the block is not sealed yet.
        UnknownSeenBlock,
        /// The chain no longer keeps the hash of the miner's seen block (it is older than
        /// frame-system's `BlockHashCount`), so the answer cannot be dated: submit canary
        /// failures sooner.
        SeenBlockTooOld,
        /// The miner's answer is the canary's expected output: no failure.
        CanaryAnsweredCorrectly,
        /// The subnet has no committee this epoch.
        NoCommittee,
        /// The caller is not on the committee.
        NotCommitteeMember,
        /// The caller's coldkey owns the accused miner.
        ConflictOfInterest,
        /// Fewer than 4 members of the committee may judge the accused (the others' coldkeys
        /// own it): no case can be judged; only self-verifying evidence works then.
        TooFewImpartialMembers,
        /// A case on this uid is open already.
        CaseAlreadyOpen,
        /// The subnet has `MaxOpenCasesPerSubnet` open cases.
        TooManyOpenCases,
        /// The caller has `MaxOpenReportsPerReporter` open reports on this subnet.
        TooManyReports,
        /// The caller cannot hold the report bond.
        InsufficientBond,
        /// No open case has this id.
        UnknownCase,
        /// The case's voting period is over.
        CaseExpired,
        /// The caller did not sit on the case's committee.
        NotCaseMember,
        /// The caller voted on this case already.
        AlreadyVoted,
        /// The case's voting period has not ended.
        CaseNotExpired,
        /// This uid is not quarantined.
        NotQuarantined,
        /// Only the quarantined hotkey or its coldkey may release it.
        NotMinerOwner,
        /// The quarantine has not ended.
        QuarantineNotOver,
        /// No verdict with this case id may be audited: unknown, dismissed, settled, or proven
        /// by equivocation (which proves itself).
        UnknownJudgment,
        /// Only a conviction can be appealed.
        NotConvicted,
        /// Only the coldkey owning the convicted hotkey may appeal.
        NotAccusedOwner,
        /// The audit window is over: the slash has fallen due.
        AppealWindowOver,
        /// This verdict was audited already (at most one audit per verdict).
        AlreadyAudited,
        /// The caller cannot hold the appeal deposit.
        InsufficientAppealDeposit,
        /// No audit committee can be drawn: fewer than 4 eligible validators outside the case
        /// committee, or no seed for the current epoch yet.
        NoAuditCommittee,
        /// The subnet has `MaxOpenAuditsPerSubnet` open audits.
        TooManyAudits,
        /// No open audit has this case id.
        UnknownAudit,
        /// The audit's voting period is over.
        AuditExpired,
        /// The caller is not on the audit committee.
        NotAuditMember,
        /// The audit's voting period has not ended.
        AuditNotExpired,
        /// The audit committee already overturned; the escalation decides
        /// ([`Pallet::escalation_vote`]).
        AuditEscalated,
        /// No escalation is open for this case.
        UnknownEscalation,
        /// The escalation's voting period is over.
        EscalationExpired,
        /// The caller was not in the escalation's electorate: it held no validator permit with
        /// stake on the subnet (among the heaviest `MaxCandidates`) when the escalation opened,
        /// was quarantined, or shares the accused miner's coldkey.
        NotElector,
        /// A counter would overflow.
        Overflow,
    }
}
