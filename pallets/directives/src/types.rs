//! Storage types of the directives pallet, the read-side views, and the interfaces the runtime
//! implements for it.

use crate::ParameterValue;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use mindos_primitives::{HyperparameterBounds, Hyperparameters, NetUid};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::DispatchResult;

/// Identifies a directive. Ids are assigned in order and never reused.
pub type DirectiveId = u32;

/// Identifies a proposal. Indices are assigned in order and never reused.
pub type ProposalIndex = u32;

/// The id of the prime directive, written at genesis. It can be amended only with a
/// supermajority after a longer delay, and never repealed.
pub const PRIME_DIRECTIVE: DirectiveId = 0;

/// Whether a directive is in force.
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
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum DirectiveStatus<BlockNumber> {
    /// In force.
    Active,
    /// Repealed by governance; kept so the record stays auditable.
    Repealed {
        /// Block of the repeal.
        at: BlockNumber,
    },
}

/// One directive as stored: `Title` and `Text` are bounded byte strings (UTF-8 by
/// convention).
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Directive<Title, Text, BlockNumber> {
    /// A short name.
    pub title: Title,
    /// What it requires.
    pub text: Text,
    /// Whether it is in force.
    pub status: DirectiveStatus<BlockNumber>,
    /// Block it was enacted (zero for genesis directives).
    pub enacted_at: BlockNumber,
    /// Block of its last amendment, if it was ever amended.
    pub amended_at: Option<BlockNumber>,
}

/// Who votes on a proposal, and whose stake weighs.
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
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// The whole network: a vote weighs all active stake of the voting coldkey.
    Network,
    /// One subnet: a vote weighs the coldkey's active stake on hotkeys registered on it.
    /// Only `SetParameter(SubnetHyperparameters(..))` has this scope.
    Subnet(NetUid),
}

/// What a proposal does once enacted.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "camelCase")]
#[serde(bound(
    serialize = "Title: AsRef<[u8]>, Text: AsRef<[u8]>, Balance: Copy + TryInto<u128>, BlockNumber: Serialize",
    deserialize = "Title: TryFrom<Vec<u8>>, Text: TryFrom<Vec<u8>>, Balance: TryFrom<u128>, BlockNumber: Deserialize<'de>"
))]
pub enum ProposalAction<Title, Text, Balance, BlockNumber> {
    /// Add a directive under the next id.
    AddDirective {
        /// Its title; not empty.
        #[serde(with = "mindos_primitives::serde_helpers::utf8")]
        title: Title,
        /// Its text; not empty.
        #[serde(with = "mindos_primitives::serde_helpers::utf8")]
        text: Text,
    },
    /// Replace the title and text of an active directive. Amending the prime directive needs
    /// the supermajority and the longer delay.
    AmendDirective {
        /// The directive.
        id: DirectiveId,
        /// Its new title; not empty.
        #[serde(with = "mindos_primitives::serde_helpers::utf8")]
        title: Title,
        /// Its new text; not empty.
        #[serde(with = "mindos_primitives::serde_helpers::utf8")]
        text: Text,
    },
    /// Repeal an active directive other than the prime directive.
    RepealDirective {
        /// The directive.
        id: DirectiveId,
    },
    /// Change one governed parameter (network scope) or a subnet's hyperparameters (subnet
    /// scope).
    SetParameter(ParameterValue<Balance, BlockNumber>),
}

impl<Title, Text, Balance, BlockNumber> ProposalAction<Title, Text, Balance, BlockNumber> {
    /// Whether this changes the prime directive (supermajority and longer delay).
    pub fn changes_prime_directive(&self) -> bool {
        matches!(self, Self::AmendDirective { id, .. } if *id == PRIME_DIRECTIVE)
    }
}

/// Stake-weighted votes as recorded when cast.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct Tally<Balance> {
    /// Stake behind aye votes, as recorded at each vote.
    pub ayes: Balance,
    /// Stake behind nay votes, as recorded at each vote.
    pub nays: Balance,
    /// Votes recorded: coldkeys that voted and were not evicted.
    pub voters: u32,
}

/// One coldkey's vote.
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
pub struct Vote<Balance> {
    /// For or against.
    pub aye: bool,
    /// The coldkey's voting stake when it voted; at `close` the vote counts at most this and
    /// at most the coldkey's stake then.
    pub weight: Balance,
}

/// Where a proposal is in its life. Rejected and enacted proposals leave storage (their
/// events remain).
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
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ProposalStatus<BlockNumber> {
    /// Open for votes until `voting_ends`.
    Voting,
    /// Passed; enacted at the first block at or after `enact_at`.
    Approved {
        /// The first block it may be enacted in.
        enact_at: BlockNumber,
    },
}

/// One proposal as stored.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Proposal<AccountId, Action, Balance, BlockNumber> {
    /// Who proposed it and put up the deposit.
    pub proposer: AccountId,
    /// What it does.
    pub action: Action,
    /// Who votes on it.
    pub scope: Scope,
    /// The deposit held from the proposer while it is voted on.
    pub deposit: Balance,
    /// The part of `deposit` above the base deposit, charged because other proposals were
    /// live; returned only if the proposal passes.
    pub surcharge: Balance,
    /// Block it was proposed.
    pub submitted_at: BlockNumber,
    /// The first block in which it can no longer be voted on and can be closed.
    pub voting_ends: BlockNumber,
    /// Votes as recorded when cast.
    pub tally: Tally<Balance>,
    /// Voting or approved.
    pub status: ProposalStatus<BlockNumber>,
}

/// Why a closed proposal did not pass.
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
pub enum RejectionReason {
    /// Turnout was not above the quorum.
    QuorumNotReached,
    /// Approval was not above the threshold (the supermajority for the prime directive).
    ThresholdNotReached,
}

/// One directive as `mindos_directives` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectiveView<BlockNumber> {
    /// Its id; 0 is the prime directive.
    pub id: DirectiveId,
    /// Its title.
    #[serde(with = "mindos_primitives::serde_helpers::utf8")]
    pub title: Vec<u8>,
    /// Its text.
    #[serde(with = "mindos_primitives::serde_helpers::utf8")]
    pub text: Vec<u8>,
    /// Whether it is in force.
    pub status: DirectiveStatus<BlockNumber>,
    /// Block it was enacted (zero for genesis directives).
    pub enacted_at: BlockNumber,
    /// Block of its last amendment, if any.
    pub amended_at: Option<BlockNumber>,
}

/// One live proposal (voting, or approved and waiting for enactment) as `mindos_proposals`
/// returns it. Balances are decimal strings.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(
    serialize = "AccountId: Serialize, Balance: core::fmt::Display + Copy + TryInto<u128>, BlockNumber: Serialize",
    deserialize = "AccountId: Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64> + TryFrom<u128>, BlockNumber: Deserialize<'de>"
))]
pub struct ProposalView<AccountId, Balance, BlockNumber> {
    /// Its index.
    pub index: ProposalIndex,
    /// Who proposed it.
    pub proposer: AccountId,
    /// What it does once enacted.
    pub action: ProposalAction<Vec<u8>, Vec<u8>, Balance, BlockNumber>,
    /// Who votes on it.
    pub scope: Scope,
    /// The proposer's deposit.
    #[serde(with = "mindos_primitives::serde_helpers::decimal")]
    pub deposit: Balance,
    /// Block it was proposed.
    pub submitted_at: BlockNumber,
    /// First block in which it can be closed.
    pub voting_ends: BlockNumber,
    /// Stake behind ayes as recorded at each vote (at `close` a vote counts at most the
    /// voter's stake then).
    #[serde(with = "mindos_primitives::serde_helpers::decimal")]
    pub ayes: Balance,
    /// Stake behind nays as recorded at each vote.
    #[serde(with = "mindos_primitives::serde_helpers::decimal")]
    pub nays: Balance,
    /// Votes recorded: coldkeys that voted and were not evicted.
    pub voters: u32,
    /// Whether it needs the supermajority (it changes the prime directive).
    pub supermajority: bool,
    /// Voting or approved.
    pub status: ProposalStatus<BlockNumber>,
}

/// The stake votes weigh, as the stake pallet knows it. The runtime implements it with an
/// adapter over the stake and neurons pallets.
///
/// Only *active* stake may count: stake that is unbonding stays held for the unbonding
/// period but must not weigh, or it could vote once for its old coldkey and again, after
/// withdrawal, for a new one (see the crate docs).
pub trait VotingStake<AccountId, Balance> {
    /// All active stake `coldkey` has on any hotkey.
    fn network_stake(coldkey: &AccountId) -> Balance;
    /// Active stake `coldkey` has on hotkeys registered on `netuid`.
    fn subnet_stake(netuid: NetUid, coldkey: &AccountId) -> Balance;
    /// All active stake (the quorum denominator of network proposals).
    fn total_network_stake() -> Balance;
    /// Active stake on hotkeys registered on `netuid` (the quorum denominator of its
    /// proposals).
    fn total_subnet_stake(netuid: NetUid) -> Balance;
}

/// What governance changes in the subnets pallet. The runtime implements it with an adapter
/// over `pallet_mindos_subnets`.
pub trait SubnetsGovernance<Balance> {
    /// Whether `netuid` is a live subnet.
    fn exists(netuid: NetUid) -> bool;
    /// Replaces the bounds subnet owners must keep their hyperparameters in.
    fn set_bounds(bounds: HyperparameterBounds<Balance>) -> DispatchResult;
    /// Sets a live subnet's hyperparameters (within the current bounds), as its owner could.
    fn set_hyperparameters(netuid: NetUid, params: Hyperparameters<Balance>) -> DispatchResult;
}

/// The sentinel parameters the sentinels pallet reads, implemented by this pallet from the
/// governed registry. The trait lives in `mindos_primitives` (the sentinels pallet reads it
/// without depending on this pallet); re-exported here where it used to be.
pub use mindos_primitives::SentinelParameters;

/// Sets up what the benchmarks need from outside this pallet: in the runtime the real
/// subnets, neurons and stake pallets, in the mock its fakes.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Balance> {
    /// Creates a live subnet and returns its id.
    fn create_subnet() -> Result<NetUid, sp_runtime::DispatchError>;
    /// Gives `coldkey` `amount` of active stake on a hotkey registered on `netuid`, so it
    /// weighs in network votes and in `netuid`'s votes. Called once per voter, up to
    /// `MaxVotesPerProposal` times on one subnet: use a fresh hotkey for each coldkey.
    fn add_stake(netuid: NetUid, coldkey: &AccountId, amount: Balance) -> DispatchResult;
}
