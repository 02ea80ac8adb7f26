//! What the pallet stores and what evidence carries.
//!
//! The evidence a miner signs ([`Challenge`], [`Response`], [`response_message`]) and a
//! canary's commitment ([`canary_commitment`]) are defined in `mindos_primitives::evidence`,
//! which documents the exact bytes: miners and validators build them off chain from the same
//! definitions. They are re-exported here.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
    traits::{ConstU32, Get},
    BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
pub use mindos_primitives::evidence::{
    canary_commitment, response_message, Challenge, Hash32, Response, SeenBlock, SignedResponse,
    CANARY_DOMAIN, RESPONSE_DOMAIN,
};
use mindos_primitives::NetUid;
use mindos_sentinels_math::{AuditReason, CommitteeSize, Tally, MAX_COMMITTEE_SIZE};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// Identifies a judged case.
pub type CaseId = u64;

/// Seats of a committee at most ([`MAX_COMMITTEE_SIZE`]); a `u16` bitmap covers them.
pub type MaxCommitteeMembers = ConstU32<{ MAX_COMMITTEE_SIZE as u32 }>;

/// Past offence epochs kept per miner ([`mindos_sentinels_math::MAX_OFFENCE_HISTORY`]).
pub type MaxOffenceHistory = ConstU32<{ mindos_sentinels_math::MAX_OFFENCE_HISTORY as u32 }>;

/// Keys kept per `(netuid, hotkey)` in [`crate::KeyHistory`]: a miner may bind at most this
/// many keys within `MaxEvidenceAgeEpochs` (older ones are pruned); a further rotation is refused
/// until one ages out, so no key that signed usable evidence is ever forgotten.
pub type MaxBoundKeys = ConstU32<4>;

/// An Ed25519 key a miner's hotkey bound on a subnet, and the sentinel epoch it was bound in.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct KeyBinding {
    /// The Ed25519 public key.
    pub key: [u8; 32],
    /// The subnet's sentinel epoch it was bound in; it verifies challenges from this epoch to
    /// the epoch the next key was bound in, both included.
    pub from_epoch: u64,
}

/// What a committee judges: offences only re-execution or observation shows, so a vote
/// decides (offence class (c) of `shared/sentinels.md`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum JudgedOffence {
    /// Re-executing the pinned model gave a different output.
    WrongOutput,
    /// No answer by the deadline.
    Timeout,
    /// Outputs far from the other miners' over many challenges.
    PersistentOutlier,
    /// Output that does not parse as the subnet's output schema.
    MalformedOutput,
}

/// Every offence a miner can be quarantined for.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum OffenceKind {
    /// Two different signed outputs for one challenge (self-verifying).
    Equivocation,
    /// A wrong answer to a committed canary: self-verifying *given an honest commitment* (the
    /// chain checks the answer differs from the committed one, not that the committed one is
    /// right), which the committer's deposit and part 2's audit back.
    CanaryFailure,
    /// Judged by a committee vote.
    Judged(JudgedOffence),
}

impl OffenceKind {
    /// The slashing class of the math crate.
    pub fn slash_class(self) -> mindos_sentinels_math::Offence {
        match self {
            Self::Equivocation | Self::CanaryFailure => {
                mindos_sentinels_math::Offence::MinerSelfVerifying
            }
            Self::Judged(_) => mindos_sentinels_math::Offence::MinerJudged,
        }
    }
}

/// One validator in a [`CandidateSnapshot`]: what its seat weight in a committee draw is made
/// of, as read at the boundary.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SnapshotCandidate<AccountId> {
    /// Its uid then.
    pub uid: u16,
    /// Its hotkey (members act by hotkey).
    pub hotkey: AccountId,
    /// Its active stake then.
    pub stake: u128,
    /// Its reputation then; the seat weight is `stake × reputation`.
    pub reputation: Perbill,
    /// Quarantined then: it cannot sit.
    pub excluded: bool,
}

/// The candidates of a subnet's next committee draw, read in the boundary block where the mix
/// that seeds it completes, before any extrinsic of that block: the draw itself may wait in the
/// boundary queue, and reading stake then would let anyone who saw the seed stake to steer it.
#[derive(
    CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxCandidates))]
#[codec(mel_bound(AccountId: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct CandidateSnapshot<
    AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
    BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
    MaxCandidates: Get<u32>,
> {
    /// The sentinel epoch of the committee they are candidates for.
    pub epoch: u64,
    /// The boundary block they were read in.
    pub taken_at: BlockNumber,
    /// At most `MaxCandidates`, ascending by uid.
    pub candidates: BoundedVec<SnapshotCandidate<AccountId>, MaxCandidates>,
}

/// The sentinel committee of one subnet and epoch.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct CommitteeRecord<AccountId, BlockNumber> {
    /// Its size `n` and fault tolerance `f`.
    pub size: CommitteeSize,
    /// `(uid, hotkey)` of each member, ascending by uid. Members act by their hotkey, which
    /// survives uid reuse; the uid is for readers (the metagraph, the sentinels off chain).
    pub members: BoundedVec<(u16, AccountId), MaxCommitteeMembers>,
    /// Block its candidates were read in: the boundary one epoch before it sits (the draw
    /// itself may run a few blocks later, from that snapshot).
    pub drawn_at: BlockNumber,
}

/// A judged case, open until a verdict or its expiry.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Case<AccountId, Balance, BlockNumber> {
    /// The subnet.
    pub netuid: NetUid,
    /// The accused miner's uid.
    pub uid: u16,
    /// The hotkey in that slot when reported; the verdict applies to it wherever it is then
    /// (a newcomer in the slot is untouched).
    pub accused: AccountId,
    /// What it is accused of.
    pub offence: JudgedOffence,
    /// BLAKE2b-256 of the off-chain transcript (the chain never stores payloads).
    pub evidence_hash: Hash32,
    /// The committee member that reported (its hotkey); it holds the bond.
    pub reporter: AccountId,
    /// The report bond held from the reporter.
    pub bond: Balance,
    /// The sentinel epoch of the committee that judges.
    pub epoch: u64,
    /// The size of the case's committee: the drawn committee's *impartial* members, those
    /// whose coldkey does not own the accused (a conflicted seat cannot vote, so it must not
    /// count toward `n` either); `f` and the thresholds come from it.
    pub size: CommitteeSize,
    /// Guilty votes that quarantine: the governed threshold when the impartial committee has
    /// the full governed size, `2f + 1` of the impartial members otherwise; never below
    /// `2f + 1`.
    pub threshold: u8,
    /// The impartial members' hotkeys, by seat (ascending uid at the draw). Copied so that the
    /// case can outlive the epoch.
    pub members: BoundedVec<AccountId, MaxCommitteeMembers>,
    /// Seats that voted guilty (bit `i` = `members[i]`).
    pub guilty: u16,
    /// Seats that voted not guilty.
    pub not_guilty: u16,
    /// Block of the report.
    pub opened_at: BlockNumber,
    /// Last block in which votes count; from the next one the case can only be dismissed.
    pub expires_at: BlockNumber,
}

impl<AccountId, Balance, BlockNumber> Case<AccountId, Balance, BlockNumber> {
    /// The votes cast so far.
    pub fn tally(&self) -> Tally {
        Tally {
            guilty: u8::try_from(self.guilty.count_ones()).unwrap_or(u8::MAX),
            not_guilty: u8::try_from(self.not_guilty.count_ones()).unwrap_or(u8::MAX),
        }
    }

    /// Whether seat `seat` has voted.
    pub fn has_voted(&self, seat: usize) -> bool {
        let bit = 1u16.checked_shl(u32::try_from(seat).unwrap_or(u32::MAX));
        bit.is_some_and(|bit| (self.guilty | self.not_guilty) & bit != 0)
    }
}

/// How a case ended.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum CaseOutcome {
    /// The threshold of guilty votes was reached: the miner is sanctioned.
    Guilty,
    /// Neither the guilty threshold nor a refutation can be reached any more: the bond is
    /// returned (and a split vote audited).
    Dismissed,
    /// Its voting period ended without a verdict.
    Expired,
    /// Guilty, but the accused hotkey was quarantined meanwhile (by proven evidence): nothing
    /// more. A verdict on a hotkey that left its uid is not superseded: it follows the hotkey.
    Superseded,
    /// `2f + 1` members voted not guilty: the report was false and the reporter's bond is
    /// burned. Appended last: the variants' encoding is stable.
    Refuted,
}

/// A quarantined miner.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Quarantine<BlockNumber> {
    /// The uid the offence was named at (the challenge's or the case's), for readers: the
    /// quarantine is keyed by hotkey ([`crate::Quarantines`]) and follows it to any uid.
    pub uid: u16,
    /// Why.
    pub offence: OffenceKind,
    /// Sentinel epoch it began in.
    pub since_epoch: u64,
    /// Block it began in.
    pub since_block: BlockNumber,
    /// First sentinel epoch in which [`crate::Pallet::unquarantine`] succeeds.
    pub until_epoch: u64,
    /// Offences of this hotkey on this subnet within the window, this one included.
    pub offences: u32,
}

/// A canary a validator committed ([`canary_commitment`]).
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Canary<AccountId, Balance, BlockNumber> {
    /// The commitment.
    pub commitment: Hash32,
    /// The validator (hotkey) that committed it; accountable for its expected output, and paid
    /// the reporter's share of the slash it causes.
    pub committer: AccountId,
    /// Held from the committer ([`crate::HoldReason::CanaryDeposit`]).
    pub deposit: Balance,
    /// Sentinel epoch of the commitment: only challenges of later epochs can fail it.
    pub epoch: u64,
    /// Block of the commitment: only answers whose seen block ([`Response::seen_block`]) comes
    /// after it can fail it.
    pub committed_at_block: BlockNumber,
}

/// The slash of one miner hotkey on one subnet waiting for its audit window to pass
/// ([`crate::PendingSlashes`]). Repeat sanctions before it settles merge into it.
///
/// **Merging keeps the larger rate, not the sum**, as Polkadot's slashing spans apply only the
/// largest slash within a span: a burst of evidence about one fault (one broken deploy caught by
/// an equivocation and by a canary) is one fault, and the number of reporters who pile on must
/// not compound the stake lost; repeat offences already cost more through the doubling
/// quarantine and deregistration. A repeat at a higher rate (a proven offence after a judged one)
/// takes over the due epoch too, so it gets its full audit window; that can happen once per slash
/// (there are two rates), so a miner cannot postpone its slash by offending again. Part 2 drops
/// or re-rates the entry when the audit overturns an offence in it.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PendingSlash<AccountId, Balance> {
    /// The uid the offence whose rate is kept was named at.
    pub uid: u16,
    /// The offence whose rate is kept.
    pub offence: OffenceKind,
    /// Share of the hotkey's stake to slash: the largest of the merged offences'.
    pub rate: Perbill,
    /// Who is paid the reporter share of the slash, for the offence whose rate is kept: the
    /// reporter of a judged offence, the submitter of an equivocation, the committer of the
    /// canary a miner failed.
    pub reporter: AccountId,
    /// The canary deposits `(committer, amount)` of the merged canary failures, held until the
    /// slash settles.
    pub canary_deposits: BoundedVec<(AccountId, Balance), MaxOffenceHistory>,
    /// The appealable judgments ([`crate::Judgments`]) this slash carries, by case id: each
    /// one's reporter bond stays held until the slash settles, and an overturn drops it.
    pub cases: BoundedVec<CaseId, MaxOffenceHistory>,
    /// Sanctions merged into it.
    pub offences: u32,
    /// Sentinel epoch from which it is settled.
    pub due_epoch: u64,
}

/// A judged case in a subnet's open list: enough to refuse a duplicate report or a reporter's
/// surplus reports without reading the cases.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct OpenCase<AccountId> {
    /// The case.
    pub id: CaseId,
    /// The accused uid.
    pub uid: u16,
    /// The reporter's hotkey.
    pub reporter: AccountId,
}

/// A verdict the audit committee may re-judge (issue 19, part 2), kept by case id in
/// [`crate::Judgments`]: a judged conviction or a canary conviction until its slash settles
/// (appealable until then), a split dismissal while its audit is open.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Judgment<AccountId, Balance> {
    /// The subnet.
    pub netuid: NetUid,
    /// The miner's uid when judged.
    pub uid: u16,
    /// The miner's hotkey.
    pub accused: AccountId,
    /// The offence judged.
    pub offence: OffenceKind,
    /// Whether the verdict convicted (quarantine) or dismissed.
    pub convicted: bool,
    /// The reporter (for a canary conviction, the canary's committer).
    pub reporter: AccountId,
    /// The reporter's bond, held while a conviction awaits its audit window (zero otherwise).
    pub bond: Balance,
    /// The canary's committer and deposit, for a canary conviction.
    pub canary: Option<(AccountId, Balance)>,
    /// The case committee's size (`None` for a canary conviction: no committee voted).
    pub size: Option<CommitteeSize>,
    /// The case committee, by seat.
    pub members: BoundedVec<AccountId, MaxCommitteeMembers>,
    /// Seats that voted guilty (bitmap).
    pub guilty: u16,
    /// Seats that voted not guilty (bitmap).
    pub not_guilty: u16,
    /// The sentinel epoch of the verdict.
    pub epoch: u64,
    /// The epoch its slash falls due: appeals are taken before it.
    pub due_epoch: u64,
    /// Whether an audit was opened on it (at most one per verdict).
    pub audited: bool,
}

/// An open audit of a [`Judgment`], by the same case id, in [`crate::Audits`].
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Audit<AccountId, Balance, BlockNumber> {
    /// The subnet.
    pub netuid: NetUid,
    /// Why it was opened.
    pub reason: AuditReason,
    /// The appellant (the miner's coldkey) and its held deposit, for an appeal.
    pub appellant: Option<(AccountId, Balance)>,
    /// The audit committee's size.
    pub size: CommitteeSize,
    /// The audit committee (hotkeys), disjoint from the case committee.
    pub members: BoundedVec<AccountId, MaxCommitteeMembers>,
    /// Seats that voted to uphold (bitmap).
    pub uphold: u16,
    /// Seats that voted to overturn (bitmap).
    pub overturn: u16,
    /// Last block votes count.
    pub expires_at: BlockNumber,
}

impl<AccountId, Balance, BlockNumber> Audit<AccountId, Balance, BlockNumber> {
    /// The votes, overturning counted as "guilty" so the math crate's verdict applies:
    /// `2f + 1` overturn, `f + 1` uphold.
    pub fn tally(&self) -> Tally {
        Tally {
            guilty: u8::try_from(self.overturn.count_ones()).unwrap_or(u8::MAX),
            not_guilty: u8::try_from(self.uphold.count_ones()).unwrap_or(u8::MAX),
        }
    }
}

/// How an audit ended.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum AuditOutcome {
    /// `f + 1` members upheld the verdict.
    Upheld,
    /// `2f + 1` members overturned it.
    Overturned,
    /// No decision before it expired: the verdict stands.
    Expired,
}

/// The keystore key type the benchmarks generate miners' Ed25519 keys under. A node's benchmark
/// command provides a keystore; the mock's benchmark tests register one.
#[cfg(feature = "runtime-benchmarks")]
pub const BENCHMARK_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"msnt");

/// Sets up what the sentinels benchmarks need from outside this pallet. The pallet reads the
/// other pallets only through the `mindos_primitives` traits, so the benchmarks cannot write
/// their state themselves.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
    /// A live subnet that scores exactly (`ScoringRule::Correctness`, so it takes canaries) with
    /// `neurons` registered hotkeys (uids `0..neurons`, in order, each owned by a coldkey of its
    /// own), of which the first `validators` are staked and hold validator permits. Every uid
    /// has a reputation record, so reading one costs what it costs on a subnet of `neurons`
    /// uids. Returns the netuid and the hotkeys in uid order.
    fn subnet(neurons: u32, validators: u32) -> (NetUid, Vec<AccountId>);

    /// Sets the reputation of `uid` on `netuid` (a seat's weight is stake × reputation).
    fn set_reputation(netuid: NetUid, uid: u16, reputation: Perbill);

    /// Sets the governed committee size and threshold.
    fn set_committee(size: u32, threshold: u32);
}

/// A permit holder's place in an [`Escalation`]: its stake when the escalation opened and its
/// vote.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Elector<AccountId, Balance> {
    /// The validator's hotkey.
    pub hotkey: AccountId,
    /// Its stake when the escalation opened: what its vote weighs.
    pub stake: Balance,
    /// `Some(true)` to overturn, `Some(false)` to uphold, `None` before it votes.
    pub vote: Option<bool>,
}

/// An audit whose committee overturned the case committee's verdict, put to every permit holder
/// of the subnet (the `escalation` module's docs), by the same case id, in
/// [`crate::Escalations`]. Its audit stays open, its votes closed, until it ends.
#[derive(
    CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxElectors))]
#[codec(mel_bound(AccountId: MaxEncodedLen, Balance: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct Escalation<
    AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
    Balance: Clone + PartialEq + Eq + core::fmt::Debug,
    BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
    MaxElectors: Get<u32>,
> {
    /// The subnet.
    pub netuid: NetUid,
    /// The permit holders who may vote, with their stakes.
    pub electorate: BoundedVec<Elector<AccountId, Balance>, MaxElectors>,
    /// The electorate's stake.
    pub total: Balance,
    /// Stake voted to overturn.
    pub overturn: Balance,
    /// Stake voted to uphold.
    pub uphold: Balance,
    /// Last block votes count; then the verdict stands.
    pub expires_at: BlockNumber,
}
