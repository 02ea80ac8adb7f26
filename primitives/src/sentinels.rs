//! The sentinels' read side: what the runtime API and the node's `mindos_committee`,
//! `mindos_cases` and `mindos_quarantines` return (the sentinels pallet's `views` module builds
//! them from its storage). Plain data, shared by the runtime, the node and the chain client, so
//! that the off-chain binaries decode the JSON without linking a pallet.
//!
//! Epochs here are a subnet's *sentinel* epochs (the boundaries the sentinels pallet has seen,
//! its `SubnetEpoch`), not block numbers; blocks are named `…At`.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;

use crate::NetUid;

/// An offence a sentinel view names: the sentinels pallet's `OffenceKind` with its judged
/// offences flattened, so JSON readers see one string (`"equivocation"`, `"wrongOutput"`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub enum SentinelOffence {
    /// Two different signed outputs for one challenge (self-verifying).
    Equivocation,
    /// A wrong answer to a committed canary (self-verifying given an honest commitment).
    CanaryFailure,
    /// Judged: re-executing the pinned model gave a different output.
    WrongOutput,
    /// Judged: no answer by the deadline.
    Timeout,
    /// Judged: outputs far from the other miners' over many challenges.
    PersistentOutlier,
    /// Judged: output that does not parse as the subnet's output schema.
    MalformedOutput,
}

/// Whose duty a committee is: duties are known one epoch ahead, so the chain holds the
/// committee sitting now and the one drawn for the next epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub enum CommitteeDuty {
    /// It sits in the subnet's current sentinel epoch: its members may report and vote.
    Current,
    /// It sits in the next epoch; drawn at the last boundary.
    Next,
}

/// One seat of a committee.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct CommitteeMember<AccountId> {
    /// The member's uid when it was drawn (for readers: a uid may change hands).
    pub uid: u16,
    /// The member's hotkey, which signs its reports and votes.
    pub hotkey: AccountId,
}

/// A subnet's sentinel committee for one epoch, as `mindos_committee` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct CommitteeView<AccountId, BlockNumber> {
    /// The subnet.
    pub netuid: NetUid,
    /// The sentinel epoch it sits in.
    pub epoch: u64,
    /// The subnet's sentinel epoch now.
    pub current_epoch: u64,
    /// Whether it sits now or in the next epoch.
    pub duty: CommitteeDuty,
    /// Its seats `n`.
    pub size: u8,
    /// `f = ⌊(n − 1) / 3⌋`, the lying members it tolerates.
    pub fault_tolerance: u8,
    /// Guilty votes that convict a case on which every member may vote (the governed
    /// threshold at the governed size, else `2f + 1`); members whose coldkey owns the accused
    /// sit out, which can lower a case's own threshold ([`CaseView::threshold`]).
    pub threshold: u8,
    /// Its members, ascending by uid.
    pub members: Vec<CommitteeMember<AccountId>>,
    /// The block its candidates (validators, stake, reputation) were read in: the boundary one
    /// epoch before it sits.
    pub drawn_at: BlockNumber,
    /// The sentinel epoch whose weight reveals' salts make the RANDAO mix that seeded the draw
    /// (`epoch − 2`).
    pub seed_epoch: u64,
    /// The draw's seed, while the chain still holds the mix it comes from (the next epoch's
    /// committee only; the mix is replaced at each boundary), so anyone can re-run the draw.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_option"))]
    pub seed: Option<[u8; 32]>,
}

/// Why `mindos_committee` has no committee to return.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub enum CommitteeQueryError {
    /// No live subnet has this id.
    UnknownSubnet,
    /// The chain holds no committee of the requested epoch: it keeps only the current and the
    /// next epoch's, and an epoch with fewer than four eligible validators has none.
    NotStored {
        /// The epoch asked for.
        requested: u64,
        /// The subnet's sentinel epoch now.
        current: u64,
        /// The epochs whose committees the chain holds (of the current and the next).
        stored: Vec<u64>,
    },
}

/// Whether a case or an audit still takes votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub enum VoteStatus {
    /// Votes count until `expiresAt`, included.
    Voting,
    /// Past `expiresAt` without a decision: anyone may close it (`close_case`,
    /// `close_audit`), or the subnet's next boundary does.
    Expired,
}

/// An open judged case, as `mindos_cases` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display, BlockNumber: serde::Serialize",
        deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64>, BlockNumber: serde::Deserialize<'de>"
    ))
)]
pub struct CaseView<AccountId, Balance, BlockNumber> {
    /// The case id (what `vote` and `close_case` take).
    pub id: u64,
    /// The subnet.
    pub netuid: NetUid,
    /// The accused miner's uid when reported.
    pub uid: u16,
    /// The accused miner's hotkey: the verdict follows it to any uid.
    pub accused: AccountId,
    /// What it is accused of (a judged offence).
    pub offence: SentinelOffence,
    /// The committee member that reported (its report counts as its guilty vote).
    pub reporter: AccountId,
    /// BLAKE2b-256 of the off-chain transcript the members re-check.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex"))]
    pub evidence_hash: [u8; 32],
    /// The report bond held from the reporter.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub bond: Balance,
    /// The sentinel epoch of the committee that judges it.
    pub epoch: u64,
    /// The members who may vote (the committee's impartial members, by seat).
    pub members: Vec<AccountId>,
    /// Members who voted guilty, the reporter included.
    pub guilty: Vec<AccountId>,
    /// Members who voted not guilty.
    pub not_guilty: Vec<AccountId>,
    /// Guilty votes that convict (quarantine the miner).
    pub threshold: u8,
    /// Not-guilty votes that refute the report (`2f + 1`: its bond is burned). The case is
    /// dismissed, its bond returned, once neither `threshold` nor this can be reached.
    pub refute_at: u8,
    /// Block of the report.
    pub opened_at: BlockNumber,
    /// Last block in which votes count.
    pub expires_at: BlockNumber,
    /// Whether it still takes votes.
    pub status: VoteStatus,
}

/// Why an audit was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub enum AuditKind {
    /// The convicted miner's coldkey appealed.
    Appeal,
    /// At least `f + 1` members dissented from the verdict.
    SplitVote,
    /// A judged conviction picked at random.
    Random,
}

/// An open audit of a verdict, as `mindos_cases` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display, BlockNumber: serde::Serialize",
        deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64>, BlockNumber: serde::Deserialize<'de>"
    ))
)]
pub struct AuditView<AccountId, Balance, BlockNumber> {
    /// The case id of the verdict re-judged (what `audit_vote` and `close_audit` take).
    pub case: u64,
    /// The subnet.
    pub netuid: NetUid,
    /// The miner's uid when judged.
    pub uid: u16,
    /// The miner's hotkey.
    pub accused: AccountId,
    /// The offence judged.
    pub offence: SentinelOffence,
    /// Whether the verdict re-judged convicted (or dismissed, for a split vote).
    pub convicted: bool,
    /// Why it was opened.
    pub reason: AuditKind,
    /// The coldkey that appealed, for an appeal.
    pub appellant: Option<AccountId>,
    /// The appeal deposit held from it (zero without an appeal).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub deposit: Balance,
    /// The audit committee (hotkeys), disjoint from the case committee.
    pub members: Vec<AccountId>,
    /// Members who voted to uphold the verdict.
    pub uphold: Vec<AccountId>,
    /// Members who voted to overturn it.
    pub overturn: Vec<AccountId>,
    /// Votes that overturn it (`2f + 1`).
    pub overturn_at: u8,
    /// Votes that uphold it (`f + 1`).
    pub uphold_at: u8,
    /// The sentinel epoch the verdict's slash falls due (it waits for the audit).
    pub slash_due_epoch: u64,
    /// Last block in which votes count; then the verdict stands. Once escalated, the
    /// escalation's.
    pub expires_at: BlockNumber,
    /// Whether it still takes votes (its members', or once escalated, the electorate's).
    pub status: VoteStatus,
    /// Set once the audit committee voted to overturn: the permit holders decide
    /// (`escalation_vote`), and the audit's own votes are closed.
    pub escalation: Option<EscalationView<AccountId, Balance>>,
}

/// An audit's overturn put to every permit holder of the subnet, as `mindos_cases` returns it
/// inside its audit.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display",
        deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64>"
    ))
)]
pub struct EscalationView<AccountId, Balance> {
    /// The permit holders who may vote, with the stake each held when it opened and its vote.
    pub electors: Vec<ElectorView<AccountId, Balance>>,
    /// Their stake.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub total: Balance,
    /// Stake voted to overturn.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub overturn: Balance,
    /// Stake voted to uphold.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub uphold: Balance,
    /// Stake either side needs to decide: the smallest amount above 2/3 of `total`.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub decides_at: Balance,
}

/// One elector of an [`EscalationView`].
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display",
        deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64>"
    ))
)]
pub struct ElectorView<AccountId, Balance> {
    /// The validator's hotkey.
    pub hotkey: AccountId,
    /// What its vote weighs: its stake when the escalation opened.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub stake: Balance,
    /// `true` to overturn, `false` to uphold, `null` before it votes.
    pub vote: Option<bool>,
}

/// The open cases and audits of one subnet or all, as `mindos_cases` returns them.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display, BlockNumber: serde::Serialize",
        deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64>, BlockNumber: serde::Deserialize<'de>"
    ))
)]
pub struct CasesView<AccountId, Balance, BlockNumber> {
    /// Open judged cases, by subnet, oldest first.
    pub cases: Vec<CaseView<AccountId, Balance, BlockNumber>>,
    /// Open audits, by subnet, oldest first.
    pub audits: Vec<AuditView<AccountId, Balance, BlockNumber>>,
}

/// A quarantined miner, as `mindos_quarantines` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct QuarantineView<AccountId, BlockNumber> {
    /// The subnet.
    pub netuid: NetUid,
    /// The quarantined hotkey: the quarantine follows it, not the uid.
    pub hotkey: AccountId,
    /// The uid it holds now; `None` if it is not registered (the quarantine applies again if
    /// it comes back).
    pub uid: Option<u16>,
    /// Why.
    pub offence: SentinelOffence,
    /// The sentinel epoch it began in.
    pub since_epoch: u64,
    /// The block it began in.
    pub since_block: BlockNumber,
    /// The first sentinel epoch in which `unquarantine` releases it; it stays quarantined
    /// until then and, after, until someone calls `unquarantine`.
    pub until_epoch: u64,
    /// The hotkey's offences on the subnet within the offence window, this one included (the
    /// third deregisters).
    pub offences: u32,
    /// Whether `unquarantine` would release it now: its end has come and the hotkey is
    /// registered.
    pub releasable: bool,
}
