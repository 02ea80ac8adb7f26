//! What the sentinels pallet reports: each event names what happened and to whom.

use frame_support::pallet_macros::pallet_section;

/// The pallet's events, imported into it with `import_section`.
#[pallet_section]
mod events {
    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A committee was drawn for a subnet's coming epoch.
        CommitteeDrawn {
            /// The subnet.
            netuid: NetUid,
            /// The epoch it sits in (the one after the current).
            epoch: u64,
            /// The members' uids, ascending.
            members: BoundedVec<u16, MaxCommitteeMembers>,
        },
        /// No committee could be drawn for a subnet's coming epoch: fewer than four validators
        /// were eligible. Self-verifying evidence still works.
        CommitteeNotDrawn {
            /// The subnet.
            netuid: NetUid,
            /// The epoch left without a committee.
            epoch: u64,
        },
        /// More subnets reached a boundary in this block than `MaxSnapshotsPerBlock`: this one
        /// entered its epoch without a snapshot of its next draw's candidates, so that epoch
        /// has no committee. Self-verifying evidence still works.
        CandidatesNotSnapshotted {
            /// The subnet.
            netuid: NetUid,
            /// The epoch that will have no committee.
            epoch: u64,
        },
        /// Two different signed outputs for one challenge were proven.
        EquivocationProven {
            /// The subnet.
            netuid: NetUid,
            /// The miner's uid.
            uid: u16,
            /// The miner's hotkey.
            hotkey: T::AccountId,
            /// Who submitted the evidence.
            reporter: T::AccountId,
            /// The challenge's nonce.
            nonce: u64,
        },
        /// A validator committed a canary.
        CanaryCommitted {
            /// The subnet.
            netuid: NetUid,
            /// The commitment.
            commitment: Hash32,
            /// The validator's hotkey.
            committer: T::AccountId,
            /// Held from it until the canary expires or the slash it causes settles.
            deposit: BalanceOf<T>,
        },
        /// A miner's wrong answer to a committed canary was proven.
        CanaryFailureProven {
            /// The subnet.
            netuid: NetUid,
            /// The miner's uid.
            uid: u16,
            /// The miner's hotkey.
            hotkey: T::AccountId,
            /// Who submitted the evidence.
            reporter: T::AccountId,
            /// Who committed the canary: it answers for the expected output and is paid the
            /// reporter's share of the slash (not the submitter, so copying an opening seen in
            /// the transaction pool earns nothing).
            committer: T::AccountId,
            /// The opened commitment (now dropped: its input is public).
            commitment: Hash32,
        },
        /// Canaries past their lifetime were dropped and their deposits released.
        CanariesExpired {
            /// The subnet.
            netuid: NetUid,
            /// How many.
            count: u32,
        },
        /// A committee member reported a miner; the case is open for votes.
        CaseOpened {
            /// The case.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// The accused uid.
            uid: u16,
            /// The accused hotkey.
            accused: T::AccountId,
            /// The offence.
            offence: JudgedOffence,
            /// The reporter (whose report counts as its guilty vote).
            reporter: T::AccountId,
            /// Hash of the off-chain transcript.
            evidence_hash: Hash32,
            /// Last block votes count.
            expires_at: BlockNumberFor<T>,
        },
        /// A committee member voted on a case.
        Voted {
            /// The case.
            case: CaseId,
            /// The member's hotkey.
            voter: T::AccountId,
            /// Its vote.
            guilty: bool,
            /// Guilty votes so far.
            guilty_votes: u8,
            /// Not-guilty votes so far.
            not_guilty_votes: u8,
        },
        /// A case closed; its bond went back to the reporter unless the case convicted (held
        /// until the slash settles) or refuted the report (burned: [`Event::ReportRefuted`]).
        CaseClosed {
            /// The case.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// The accused uid.
            uid: u16,
            /// How it ended.
            outcome: CaseOutcome,
            /// Bond released to the reporter.
            bond_returned: BalanceOf<T>,
        },
        /// `2f + 1` members of a case's committee re-executed the input and found the miner
        /// right: the report was false and the reporter's bond is burned.
        ReportRefuted {
            /// The case.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// The uid the report accused.
            uid: u16,
            /// The reporter's hotkey.
            reporter: T::AccountId,
            /// The bond burned.
            bond_burned: BalanceOf<T>,
        },
        /// A miner was quarantined: it earns nothing until released.
        MinerQuarantined {
            /// The subnet.
            netuid: NetUid,
            /// Its uid.
            uid: u16,
            /// Its hotkey.
            hotkey: T::AccountId,
            /// Why.
            offence: OffenceKind,
            /// First sentinel epoch it may be released in.
            until_epoch: u64,
            /// Its offences in the window, this one included.
            offences: u32,
        },
        /// A miner reached the offences that deregister and its uid was freed.
        MinerDeregistered {
            /// The subnet.
            netuid: NetUid,
            /// The freed uid.
            uid: u16,
            /// Its hotkey.
            hotkey: T::AccountId,
            /// Why (the last offence).
            offence: OffenceKind,
        },
        /// A miner's slash was queued until its audit window passes.
        SlashScheduled {
            /// The subnet.
            netuid: NetUid,
            /// The miner's hotkey.
            hotkey: T::AccountId,
            /// Share of its stake to slash.
            rate: Perbill,
            /// Sentinel epoch it is settled in.
            due_epoch: u64,
        },
        /// A miner's stake was slashed (burned) and the reporter paid its share (minted).
        MinerSlashed {
            /// The subnet.
            netuid: NetUid,
            /// The miner's hotkey.
            hotkey: T::AccountId,
            /// Burned from its stake.
            slashed: BalanceOf<T>,
            /// Who proved or reported the offence.
            reporter: T::AccountId,
            /// Minted to the reporter.
            reward: BalanceOf<T>,
        },
        /// A verdict may be appealed (by the miner's coldkey, [`Pallet::appeal`]) until its
        /// slash falls due.
        Appealable {
            /// The case id to appeal.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// The miner's hotkey.
            hotkey: T::AccountId,
            /// Appeals are taken before this sentinel epoch.
            until_epoch: u64,
        },
        /// An audit committee, disjoint from the case committee, was drawn to re-judge a
        /// verdict.
        AuditOpened {
            /// The case re-judged.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// Why.
            reason: AuditReason,
            /// The audit committee's hotkeys.
            members: BoundedVec<T::AccountId, MaxCommitteeMembers>,
            /// Last block votes count.
            expires_at: BlockNumberFor<T>,
        },
        /// A verdict picked for audit (random or split vote) could not be audited: too few
        /// validators outside the case committee, no seed yet, or `MaxOpenAuditsPerSubnet`
        /// open. The verdict stands.
        AuditNotOpened {
            /// The case.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// Why it was picked.
            reason: AuditReason,
        },
        /// An audit committee member voted.
        AuditVoted {
            /// The case re-judged.
            case: CaseId,
            /// The member's hotkey.
            voter: T::AccountId,
            /// Its vote.
            uphold: bool,
            /// Votes to uphold so far.
            uphold_votes: u8,
            /// Votes to overturn so far.
            overturn_votes: u8,
        },
        /// The audit committee overturned the case committee's verdict: the disagreement goes
        /// to every permit holder of the subnet, weighted by stake
        /// ([`Pallet::escalation_vote`]). The audit stays open until it ends.
        AuditEscalated {
            /// The case re-judged.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// Permit holders who may vote.
            electors: u32,
            /// Their stake: more than 2/3 of it overturns, 1/3 upholds.
            stake: BalanceOf<T>,
            /// Last block votes count; then the verdict stands.
            expires_at: BlockNumberFor<T>,
        },
        /// A permit holder voted on an escalation.
        EscalationVoted {
            /// The case re-judged.
            case: CaseId,
            /// The permit holder's hotkey.
            voter: T::AccountId,
            /// Its vote: `true` to overturn the verdict.
            overturn: bool,
            /// Stake voted to overturn so far.
            overturn_stake: BalanceOf<T>,
            /// Stake voted to uphold so far.
            uphold_stake: BalanceOf<T>,
        },
        /// An audit closed: the verdict was upheld, overturned, or stands by expiry.
        AuditClosed {
            /// The case re-judged.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// How it ended.
            outcome: AuditOutcome,
            /// The appeal deposit returned to the appellant (overturned or expired).
            deposit_returned: BalanceOf<T>,
            /// The appeal deposit burned (upheld).
            deposit_burned: BalanceOf<T>,
        },
        /// An overturned conviction was undone: quarantine lifted, pending slash dropped, the
        /// reporter's bond and the canary committer's deposit burned.
        ConvictionOverturned {
            /// The case.
            case: CaseId,
            /// The subnet.
            netuid: NetUid,
            /// The miner's hotkey.
            hotkey: T::AccountId,
            /// Whether its quarantine was lifted.
            quarantine_lifted: bool,
            /// Whether its pending slash was dropped (not when another offence shares it).
            slash_dropped: bool,
            /// The reporter's bond burned.
            bond_forfeited: BalanceOf<T>,
            /// The canary committer's deposit burned (canary convictions).
            canary_deposit_forfeited: BalanceOf<T>,
        },
        /// A sentinel the audit proved wrong was slashed (burned) and, for a wrong guilty vote,
        /// its reputation cut.
        SentinelSlashed {
            /// The subnet.
            netuid: NetUid,
            /// The sentinel's hotkey.
            hotkey: T::AccountId,
            /// Why, and whether correlated (×3).
            offence: SlashOffence,
            /// Share of its stake slashed.
            rate: Perbill,
            /// Burned from its stake.
            slashed: BalanceOf<T>,
        },
        /// A subnet was dissolved: its open cases, canaries and audits were dropped and every
        /// bond and deposit they held returned (a dissolution burns nothing). Its per-hotkey
        /// state is cleared over the next blocks ([`Event::SubnetStateCleared`]).
        SubnetStateReleased {
            /// The dissolved subnet.
            netuid: NetUid,
            /// Open cases dropped.
            cases: u32,
            /// Report bonds returned to their reporters.
            bonds_returned: BalanceOf<T>,
            /// Canaries dropped.
            canaries: u32,
            /// Canary deposits returned to their committers.
            canary_deposits_returned: BalanceOf<T>,
            /// Open audits dropped.
            audits: u32,
            /// Appeal deposits returned to their appellants.
            appeal_deposits_returned: BalanceOf<T>,
        },
        /// A dissolved subnet's pending slash was dropped unsettled (its audit window can no
        /// longer pass); the deposits and bonds it held were returned.
        PendingSlashDropped {
            /// The dissolved subnet.
            netuid: NetUid,
            /// The miner's hotkey.
            hotkey: T::AccountId,
            /// The rate it would have been slashed at.
            rate: Perbill,
        },
        /// Nothing of a dissolved subnet is left in this pallet.
        SubnetStateCleared {
            /// The dissolved subnet.
            netuid: NetUid,
        },
        /// A quarantined miner was released.
        MinerReleased {
            /// The subnet.
            netuid: NetUid,
            /// Its uid.
            uid: u16,
            /// Its hotkey.
            hotkey: T::AccountId,
        },
    }
}
