//! # Directives pallet
//!
//! Directive governance: the prime directive and the principles the hive lives by, the
//! registry of governed parameters the other pallets read, and the stake-weighted proposals
//! and votes that change both.
//!
//! ## Overview
//!
//! - **Directives.** Genesis writes directive 0, the *prime directive* ("An instance may not
//!   harm the hive, or, by inaction, allow the hive to come to harm."), and the founding
//!   principles. Each [`Directive`] has an id, a bounded title and text, a
//!   [`DirectiveStatus`] and the block it was enacted. Repealed directives stay in storage,
//!   marked repealed, so the record stays auditable.
//! - **Governed parameters.** [`GovernedParameters`] is one typed registry in one storage
//!   value ([`Parameters`]): emission split and block emission with its halving interval,
//!   the registration burn (increase factor, half-life, floor), the subnet lock deposit,
//!   the unbonding period, the hyperparameter bounds subnet owners must respect, and the
//!   sentinel parameters (committee size and threshold, quarantine epochs, the slash rates
//!   and the reporter's share).
//!   Other pallets read it through traits, never constants:
//!   [`mindos_primitives::ConsensusParameters`] and [`SentinelParameters`] are
//!   implemented by [`Pallet`], and each scalar has a `Get` adapter ([`BurnFloor`],
//!   [`UnbondingPeriod`], …) for other pallets' `Config`s. [`GovernedParameters::validate`]
//!   refuses nonsense: a split that does not sum to 100%, a committee smaller than four, an
//!   unbonding period not longer than a vote or than a sentinel slash can wait
//!   ([`Config::AuditWindow`]), a slash rate outside its range.
//! - **Proposals.** [`Pallet::propose`] puts up a deposit (held under
//!   [`HoldReason::ProposalDeposit`]) for a [`ProposalAction`] — `AddDirective`,
//!   `AmendDirective`, `RepealDirective` or `SetParameter` — in a [`Scope`]: `Network`, or
//!   `Subnet(netuid)` for a subnet's hyperparameters. Everything that can be checked is
//!   checked here, so an invalid parameter never reaches a vote. The deposit is
//!   [`Config::ProposalDeposit`] while the table is quiet and doubles with every
//!   [`Config::ProposalDepositDoublesEvery`] live proposals; an account may have at most
//!   [`Config::MaxProposalsPerAccount`] proposals voting (see *Governance cannot be jammed*).
//! - **Votes.** [`Pallet::vote`] records the caller's aye or nay with its voting stake: in
//!   network scope all its active stake, in subnet scope its active stake on hotkeys
//!   registered on the subnet ([`VotingStake`]). One vote per coldkey, changeable until the
//!   voting period ends. A proposal records at most [`Config::MaxVotesPerProposal`] votes
//!   ([`VotesOf`], smallest first); a full list takes a vote with more stake than its
//!   smallest one, which is evicted ([`Event::VoteEvicted`]).
//! - **Close.** After [`Config::VotingPeriod`] anyone may [`Pallet::close`] a proposal. It
//!   passes when turnout is above [`Config::Quorum`] of the scope's active stake and approval
//!   (ayes over votes cast) is above [`Config::ApprovalThreshold`] — for the prime directive
//!   above [`Config::PrimeApprovalThreshold`], two thirds. A passed proposal is enacted
//!   [`Config::EnactmentDelay`] blocks later ([`Config::PrimeEnactmentDelay`] for the prime
//!   directive, which may be amended but never repealed). A passed proposal gets its whole
//!   deposit back; a failed one loses the surcharge above the base deposit, and all of it if
//!   its ayes were below [`Config::DepositBurnThreshold`] of the scope's stake.
//!
//! ## Stake cannot vote twice
//!
//! Stake that votes stays free to move; instead of locking it, this pallet makes moving it
//! useless for voting. A vote records the voter's stake when it is cast; at `close` each vote
//! counts `min(recorded, the voter's active stake now)`.
//!
//! - Stake unbonded or moved away after voting stops counting for the voter that moved it.
//! - The sum counted is therefore at most the active stake of the distinct voters at
//!   `close`, which is at most all active stake in the scope: each planck counts once,
//!   wherever it sits when the vote closes, and for whichever coldkey holds it then.
//! - Stake leaves the active set the moment it is unbonded, and becomes spendable only
//!   after the unbonding period (seven days in MindOS, against a three-day vote), so stake
//!   that voted cannot even be withdrawn, handed to a second coldkey and staked again
//!   before the vote closes. The registry therefore refuses an unbonding period that is
//!   not longer than [`Config::VotingPeriod`]. The minimum rule alone already prevents
//!   double counting; the unbonding period makes sure moved stake simply disappears from
//!   the tally instead of reappearing elsewhere.
//!
//! The alternative, locking voting stake until `close`, would need a lock in the stake
//! pallet and would stop voters from unbonding while any vote runs; a snapshot of all
//! stake at proposal time would need a copy of every stake entry. The minimum rule needs
//! neither, and its cost is bounded: `close` reads the current stake of at most
//! [`Config::MaxVotesPerProposal`] voters.
//!
//! ## Governance cannot be jammed
//!
//! Voting stake is not consumed by a vote, so the same stake can vote on every open
//! proposal; and a deposit that comes back costs nothing but time. Any slot that is free to
//! take and keep can be filled by an attacker on every proposal at once. The bounds stay
//! (they bound the weight of `vote` and `close`), but taking a slot now has to beat stake or
//! cost money.
//!
//! **Votes: the smallest vote makes room.** When a proposal's [`Config::MaxVotesPerProposal`]
//! votes are all recorded, a new voter with more voting stake than the smallest recorded vote
//! evicts it ([`Event::VoteEvicted`]); a voter with no more is refused with
//! [`Error::StakeNotAboveSmallestVote`]. Among equally small votes the latest is evicted, so
//! an earlier vote keeps its place against later ones of the same size. The list therefore
//! holds the largest votes cast, and dust cannot keep out a larger voter: a coldkey with
//! more than `1 / MaxVotesPerProposal` of the scope's stake (with 1,024 votes, 0.1 %)
//! always finds a smaller vote, because `MaxVotesPerProposal` votes at least as large would
//! add up to more than all stake. (Only votes whose stake has since left the scope can push
//! the recorded sum past it; they count only what is left at `close`, and holding slots
//! that way still takes that much stake — in network scope, stake put into a week of
//! unbonding.) Filling 1,024 slots with 10 MIND dust, the attack this replaces, now keeps
//! out nobody with more than 10 MIND.
//!
//! Considered and not done:
//! - *A relative minimum* (at least `total stake / MaxVotesPerProposal` to vote at all)
//!   gives large holders the same guarantee but shuts out every smaller holder even from a
//!   list with room; with eviction they vote while there is room, and leave only to larger
//!   votes. [`Config::MinVotingStake`] stays an absolute floor against dust.
//! - *Freezing the voting stake with an incremental tally* (`close` in O(1)): stake lives in
//!   the stake pallet under a hold, and a freeze in this pallet does not stop it from
//!   unbonding; keeping the tally exact as stake moves would need the stake pallet to call
//!   back into this one on every stake change. The minimum rule above keeps stake from
//!   counting twice without that coupling, at the price of a `close` linear in the votes
//!   recorded, which is bounded and charged ([`Pallet::close`] refunds down to the votes
//!   counted). The list itself is one storage value, so `close` reads and clears it in one
//!   access each.
//!
//! **Proposals: a crowded table costs money, and one account cannot crowd it.** A proposal
//! made while `n` proposals are live (voting or waiting for enactment) holds
//! `ProposalDeposit × 2^(n / ProposalDepositDoublesEvery)`. Exponential rather than linear so
//! that ordinary use — a few proposals at a time — pays the flat base, while the last
//! quarter of the table costs more than everything before it; in MindOS (100 MIND base,
//! doubling every 4, 32 live at most) the deposits run 100, 200, … 12,800 MIND and a full
//! table holds 102,000 MIND. The part above the base, the *surcharge*, is returned only if
//! the proposal passes; a failed proposal with ayes of at least
//! [`Config::DepositBurnThreshold`] of the scope's stake gets the base back, one with fewer
//! loses everything. Before, with 1 % of stake voting aye on its own proposals, an attacker
//! got every deposit back and kept all 32 slots for free; now every slot past the fourth
//! burns its surcharge each voting period — keeping the table full burns 98,800 MIND every
//! three days, whatever stake supports the proposals. [`Config::MaxProposalsPerAccount`]
//! keeps one account from taking even the cheap slots; it is no defence against many
//! accounts, which is what the deposit curve is for. A proposer reads the deposit it will
//! pay from [`Pallet::next_deposit`]; the [`Event::Proposed`] event states what was held.
//!
//! The review also suggested queueing proposals (seconding) instead of refusing them when
//! the table is full. With the curve above a full table costs its filler ~100,000 MIND of
//! burns per voting period, so refusal with [`Error::TooManyProposals`] stays; a queue would
//! add a second bounded list and its own jamming question.
//!
//! No network holds state yet, so these storage changes ([`VotesOf`] replacing the
//! per-coldkey vote map, [`OpenProposalsOf`], the proposal's surcharge) come without a
//! migration.
//!
//! ## Enactment
//!
//! A passed proposal goes into [`EnactmentQueue`], a bounded list sorted by enactment block;
//! `on_initialize` enacts at most [`Config::MaxEnactmentsPerBlock`] due proposals, each in
//! its own storage layer, and charges their benchmarked weight. FRAME's scheduler would need
//! `pallet-scheduler` and `pallet-preimage` in the runtime, a call encoded per proposal and
//! an origin for it, all to run one of four known actions: the queue here is one storage
//! value read per block. An enactment that can no longer apply (its directive was repealed
//! meanwhile, the subnet was dissolved, the bounds moved) emits
//! [`Event::EnactmentFailed`] and changes nothing.
//!
//! ## Read side
//!
//! [`Pallet::directives`], [`Pallet::proposals`] and [`Pallet::parameters`] serve the
//! `mindos_directives`, `mindos_proposals` and `mindos_parameters` runtime APIs; the view
//! types ([`DirectiveView`], [`ProposalView`]) and [`GovernedParameters`] derive `serde`
//! (byte strings as text, balances as decimal strings).

#![cfg_attr(not(feature = "std"), no_std)]
// Code that runs in blocks must not abort them (review L15): panics only in tests, and in
// genesis building where FRAME expects them.
#![cfg_attr(
    not(test),
    deny(
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

extern crate alloc;

pub use pallet::*;

mod adapters;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
#[cfg(test)]
mod mock;
pub mod parameters;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use mindos_consensus_math::EmissionSplit;
pub use mindos_primitives::{AuditWindow, ConsensusParameters, NetUid};
// The registry, its errors, and one `Get` adapter per field (e.g. `BurnFloor`).
pub use parameters::*;
#[cfg(feature = "runtime-benchmarks")]
pub use types::BenchmarkHelper;
pub use types::{
    Directive, DirectiveId, DirectiveStatus, DirectiveView, Proposal, ProposalAction,
    ProposalIndex, ProposalStatus, ProposalView, RejectionReason, Scope, SentinelParameters,
    SubnetsGovernance, Tally, Vote, VotingStake, PRIME_DIRECTIVE,
};
pub use weights::WeightInfo;

const LOG_TARGET: &str = "runtime::directives";

// FRAME's pallet macros expand to `expect` and `unreachable!` on values they guarantee
// themselves; the hand-written logic lives in `impls.rs`, where the lint holds.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use frame_support::{
        pallet_prelude::*,
        traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
    };
    use frame_system::pallet_prelude::*;
    use sp_runtime::Perbill;

    /// Balance type of the currency deposits are held in and stake is counted in.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// A directive's title as stored.
    pub type TitleOf<T> = BoundedVec<u8, <T as Config>::MaxTitleLength>;

    /// A directive's text as stored.
    pub type TextOf<T> = BoundedVec<u8, <T as Config>::MaxTextLength>;

    /// One directive as stored.
    pub type StoredDirectiveOf<T> = Directive<TitleOf<T>, TextOf<T>, BlockNumberFor<T>>;

    /// The registry as stored.
    pub type GovernedParametersOf<T> = GovernedParameters<BalanceOf<T>, BlockNumberFor<T>>;

    /// A parameter change as proposed.
    pub type ParameterValueOf<T> = ParameterValue<BalanceOf<T>, BlockNumberFor<T>>;

    /// A proposal's action as proposed and stored.
    pub type ProposalActionOf<T> =
        ProposalAction<TitleOf<T>, TextOf<T>, BalanceOf<T>, BlockNumberFor<T>>;

    /// A proposal's votes as stored: `(coldkey, vote)`, smallest recorded stake first.
    pub type VoteListOf<T> = BoundedVec<
        (<T as frame_system::Config>::AccountId, Vote<BalanceOf<T>>),
        <T as Config>::MaxVotesPerProposal,
    >;

    /// One proposal as stored.
    pub type ProposalOf<T> = Proposal<
        <T as frame_system::Config>::AccountId,
        ProposalActionOf<T>,
        BalanceOf<T>,
        BlockNumberFor<T>,
    >;

    /// One directive as the read side returns it.
    pub type DirectiveViewOf<T> = DirectiveView<BlockNumberFor<T>>;

    /// One proposal as the read side returns it.
    pub type ProposalViewOf<T> =
        ProposalView<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

    const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The currency proposal deposits are held in (the staked currency).
        type Currency: Mutate<Self::AccountId>
            + InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

        /// The runtime's hold reasons; deposits are held under
        /// [`HoldReason::ProposalDeposit`].
        type RuntimeHoldReason: From<HoldReason>;

        /// Voting stake: what each coldkey's vote weighs, and the quorum denominators.
        type VotingStake: VotingStake<Self::AccountId, BalanceOf<Self>>;

        /// The subnets pallet: which subnets exist, and the bounds and hyperparameters
        /// governance sets there.
        type Subnets: SubnetsGovernance<BalanceOf<Self>>;

        /// The base deposit, held from the proposer until `close`: what a proposal costs
        /// while fewer than `ProposalDepositDoublesEvery` proposals are live.
        #[pallet::constant]
        type ProposalDeposit: Get<BalanceOf<Self>>;

        /// The deposit doubles with every this many live proposals: a proposal made while
        /// `n` are live holds `ProposalDeposit × 2^(n / ProposalDepositDoublesEvery)`. The
        /// part above the base (the surcharge) comes back only if the proposal passes (see
        /// the crate docs). Positive.
        #[pallet::constant]
        type ProposalDepositDoublesEvery: Get<u32>;

        /// Most proposals one account may have voting at once. Shrinking it leaves existing
        /// proposals in place (only new ones are refused).
        #[pallet::constant]
        type MaxProposalsPerAccount: Get<u32>;

        /// The least voting stake a vote needs, so that a vote is never dust.
        #[pallet::constant]
        type MinVotingStake: Get<BalanceOf<Self>>;

        /// Blocks a proposal is open for votes. Governance cannot set an unbonding period
        /// that is not longer than this (see the crate docs).
        #[pallet::constant]
        type VotingPeriod: Get<BlockNumberFor<Self>>;

        /// Blocks between a proposal passing and its enactment.
        #[pallet::constant]
        type EnactmentDelay: Get<BlockNumberFor<Self>>;

        /// Blocks between an amendment of the prime directive passing and its enactment;
        /// longer than `EnactmentDelay`.
        #[pallet::constant]
        type PrimeEnactmentDelay: Get<BlockNumberFor<Self>>;

        /// A proposal passes only if its ayes are more than this share of the votes cast.
        /// At least 50%.
        #[pallet::constant]
        type ApprovalThreshold: Get<Perbill>;

        /// The same for amendments of the prime directive; at least `ApprovalThreshold`
        /// (two thirds: `Perbill::from_rational(2, 3)`, rounded down, so exactly two thirds
        /// passes).
        #[pallet::constant]
        type PrimeApprovalThreshold: Get<Perbill>;

        /// A proposal passes only if the votes cast are more than this share of all active
        /// stake in its scope.
        #[pallet::constant]
        type Quorum: Get<Perbill>;

        /// A failed proposal whose ayes are below this share of all active stake in its scope
        /// loses its deposit (burned); any other proposal gets it back.
        #[pallet::constant]
        type DepositBurnThreshold: Get<Perbill>;

        /// Most proposals voting or waiting for enactment at once. Shrinking it needs a
        /// migration that closes the surplus (the enactment queue no longer decodes).
        #[pallet::constant]
        type MaxActiveProposals: Get<u32>;

        /// Most votes recorded on one proposal; bounds the weight of `vote` and `close`. A
        /// full list takes a new vote only if its stake is above the smallest recorded one,
        /// which it evicts. Shrinking it needs a migration that evicts the surplus (the vote
        /// lists no longer decode).
        #[pallet::constant]
        type MaxVotesPerProposal: Get<u32>;

        /// Most proposals enacted in one block; bounds the weight of `on_initialize`.
        #[pallet::constant]
        type MaxEnactmentsPerBlock: Get<u32>;

        /// Most directives stored, repealed ones included; bounds the read side. Shrinking it
        /// leaves existing directives in place (only new ones are refused).
        #[pallet::constant]
        type MaxDirectives: Get<u32>;

        /// The longest directive title, in bytes. Shrinking it needs a migration that
        /// truncates longer titles.
        #[pallet::constant]
        type MaxTitleLength: Get<u32>;

        /// The longest directive text, in bytes. Shrinking it needs a migration that
        /// truncates longer texts.
        #[pallet::constant]
        type MaxTextLength: Get<u32>;

        /// The largest sentinel committee governance may set (the sentinel pallet's storage
        /// bound); at least [`MIN_COMMITTEE_SIZE`].
        #[pallet::constant]
        type MaxCommitteeSize: Get<u32>;

        /// How long a sentinel slash can wait after its sanction (the sentinels pallet's audit
        /// window): [`GovernedParameters::validate`] keeps the unbonding period longer at the
        /// slowest tempo the hyperparameter bounds allow, so an offender cannot withdraw its
        /// stake before the slash. `()` without a sentinels pallet.
        type AuditWindow: AuditWindow;

        /// The governed parameters of a genesis config that names none: MindOS at launch in
        /// the runtime's blocks. (Block counts depend on the block time, which only the
        /// runtime knows; [`GovernedParameters::default`] counts 6 s blocks.)
        type LaunchParameters: Get<GovernedParametersOf<Self>>;

        /// Weights of this pallet's calls and hooks, from its benchmarks.
        type WeightInfo: WeightInfo;

        /// Sets up subnets and stake for the benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId, BalanceOf<Self>>;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// The deposit of a proposal being voted on.
        #[codec(index = 0)]
        ProposalDeposit,
    }

    /// Directives by id, repealed ones included.
    ///
    /// TWOX-NOTE: safe, ids are assigned by the chain in order.
    #[pallet::storage]
    pub type DirectiveOf<T: Config> =
        CountedStorageMap<_, Twox64Concat, DirectiveId, StoredDirectiveOf<T>, OptionQuery>;

    /// The id the next added directive gets.
    #[pallet::storage]
    pub type NextDirectiveId<T: Config> = StorageValue<_, DirectiveId, ValueQuery>;

    /// The governed parameters. Written at genesis and by enacted `SetParameter` proposals.
    #[pallet::storage]
    pub type Parameters<T: Config> = StorageValue<_, GovernedParametersOf<T>, ValueQuery>;

    /// Proposals voting or waiting for enactment, by index.
    ///
    /// TWOX-NOTE: safe, indices are assigned by the chain in order.
    #[pallet::storage]
    pub type Proposals<T: Config> =
        CountedStorageMap<_, Twox64Concat, ProposalIndex, ProposalOf<T>, OptionQuery>;

    /// The index the next proposal gets.
    #[pallet::storage]
    pub type NextProposalIndex<T: Config> = StorageValue<_, ProposalIndex, ValueQuery>;

    /// The votes on a proposal that is still voting: each coldkey at most once, smallest
    /// recorded stake first (among equal stakes the latest vote first). When the list is
    /// full a larger vote evicts the first entry.
    ///
    /// TWOX-NOTE: safe, indices are assigned by the chain in order.
    #[pallet::storage]
    pub type VotesOf<T: Config> =
        StorageMap<_, Twox64Concat, ProposalIndex, VoteListOf<T>, ValueQuery>;

    /// How many proposals each account has voting (its deposits held); no entry is zero.
    #[pallet::storage]
    pub type OpenProposalsOf<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

    /// Passed proposals waiting for enactment: `(enact_at, index)`, earliest first.
    #[pallet::storage]
    pub type EnactmentQueue<T: Config> = StorageValue<
        _,
        BoundedVec<(BlockNumberFor<T>, ProposalIndex), T::MaxActiveProposals>,
        ValueQuery,
    >;

    /// A directive in the genesis config.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    pub struct GenesisDirective {
        /// Its title.
        #[serde(with = "mindos_primitives::serde_helpers::utf8")]
        pub title: Vec<u8>,
        /// Its text.
        #[serde(with = "mindos_primitives::serde_helpers::utf8")]
        pub text: Vec<u8>,
    }

    #[pallet::genesis_config]
    pub struct GenesisConfig<T: Config> {
        /// The directives in force at genesis, getting ids 0, 1, …: the first is the prime
        /// directive. The default is the prime directive and the founding principles.
        pub directives: Vec<GenesisDirective>,
        /// The governed parameters at genesis. The default is [`Config::LaunchParameters`].
        pub parameters: GovernedParametersOf<T>,
    }

    impl<T: Config> Default for GenesisConfig<T> {
        fn default() -> Self {
            Self {
                directives: Pallet::<T>::founding_directives(),
                parameters: T::LaunchParameters::get(),
            }
        }
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        #[allow(clippy::panic)] // a broken chain spec must not produce a chain
        fn build(&self) {
            // A chain spec that breaks these rules must not produce a chain: fail loudly here.
            if let Err(e) = self.parameters.validate(&Pallet::<T>::parameter_limits()) {
                panic!("genesis governed parameters are invalid: {e:?}");
            }
            assert!(
                !self.directives.is_empty(),
                "genesis needs the prime directive (directive 0)"
            );
            assert!(
                self.directives.len() <= T::MaxDirectives::get() as usize,
                "more genesis directives than MaxDirectives"
            );
            Parameters::<T>::put(&self.parameters);
            let mut id: DirectiveId = 0;
            for directive in &self.directives {
                let (Ok(title), Ok(text)) = (
                    TitleOf::<T>::try_from(directive.title.clone()),
                    TextOf::<T>::try_from(directive.text.clone()),
                ) else {
                    panic!("genesis directive {id} is longer than MaxTitleLength/MaxTextLength");
                };
                assert!(
                    !title.is_empty() && !text.is_empty(),
                    "genesis directive {id} has an empty title or text"
                );
                DirectiveOf::<T>::insert(
                    id,
                    Directive {
                        title,
                        text,
                        status: DirectiveStatus::Active,
                        enacted_at: Zero::zero(),
                        amended_at: None,
                    },
                );
                id = id.saturating_add(1);
            }
            NextDirectiveId::<T>::put(id);
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A proposal was submitted and its deposit held.
        Proposed {
            /// Its index.
            index: ProposalIndex,
            /// Who proposed it.
            proposer: T::AccountId,
            /// What it does.
            action: ProposalActionOf<T>,
            /// Who votes on it.
            scope: Scope,
            /// The deposit held.
            deposit: BalanceOf<T>,
            /// The first block in which it can be closed.
            voting_ends: BlockNumberFor<T>,
        },
        /// A vote left a full list to make room for a vote with more stake; the evicted
        /// coldkey no longer counts on the proposal unless it votes again with more stake
        /// than the smallest vote then recorded.
        VoteEvicted {
            /// The proposal.
            index: ProposalIndex,
            /// The coldkey whose vote was evicted.
            voter: T::AccountId,
            /// The stake its vote had recorded.
            weight: BalanceOf<T>,
        },
        /// A coldkey voted (or changed its vote).
        Voted {
            /// The proposal.
            index: ProposalIndex,
            /// The voting coldkey.
            voter: T::AccountId,
            /// For or against.
            aye: bool,
            /// Its voting stake now, recorded with the vote.
            weight: BalanceOf<T>,
        },
        /// A proposal passed and waits for enactment.
        ProposalApproved {
            /// The proposal.
            index: ProposalIndex,
            /// Stake counted for it at close.
            ayes: BalanceOf<T>,
            /// Stake counted against it at close.
            nays: BalanceOf<T>,
            /// All active stake in its scope at close.
            total_stake: BalanceOf<T>,
            /// The first block it is enacted in.
            enact_at: BlockNumberFor<T>,
        },
        /// A proposal failed and left storage.
        ProposalRejected {
            /// The proposal.
            index: ProposalIndex,
            /// Stake counted for it at close.
            ayes: BalanceOf<T>,
            /// Stake counted against it at close.
            nays: BalanceOf<T>,
            /// All active stake in its scope at close.
            total_stake: BalanceOf<T>,
            /// Why it failed.
            reason: RejectionReason,
        },
        /// A proposal's deposit was released to its proposer.
        DepositReturned {
            /// The proposal.
            index: ProposalIndex,
            /// The proposer.
            who: T::AccountId,
            /// How much.
            amount: BalanceOf<T>,
        },
        /// A proposal's deposit, or its surcharge, was burned: it failed with almost no
        /// ayes (all of it), or failed after being proposed into a crowded table (the
        /// surcharge above the base deposit).
        DepositBurned {
            /// The proposal.
            index: ProposalIndex,
            /// The proposer.
            who: T::AccountId,
            /// How much left the total issuance.
            amount: BalanceOf<T>,
        },
        /// A passed proposal was enacted and left storage.
        ProposalEnacted {
            /// The proposal.
            index: ProposalIndex,
        },
        /// A passed proposal could no longer be applied when its turn came; nothing changed
        /// and it left storage.
        EnactmentFailed {
            /// The proposal.
            index: ProposalIndex,
            /// Why.
            error: DispatchError,
        },
        /// A directive was added.
        DirectiveAdded {
            /// Its id.
            id: DirectiveId,
        },
        /// A directive's title and text were replaced.
        DirectiveAmended {
            /// Its id.
            id: DirectiveId,
        },
        /// A directive was repealed (it stays in storage, marked repealed).
        DirectiveRepealed {
            /// Its id.
            id: DirectiveId,
        },
        /// A governed parameter changed.
        ParameterSet {
            /// The parameter and its new value.
            value: ParameterValueOf<T>,
        },
        /// Governance set a subnet's hyperparameters.
        SubnetHyperparametersSet {
            /// The subnet.
            netuid: NetUid,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// A directive title is empty.
        EmptyTitle,
        /// A directive text is empty.
        EmptyText,
        /// No directive has this id.
        UnknownDirective,
        /// The directive has been repealed.
        DirectiveNotActive,
        /// The prime directive can be amended, never repealed.
        CannotRepealPrimeDirective,
        /// `MaxDirectives` directives exist already.
        TooManyDirectives,
        /// Directive ids are exhausted.
        DirectiveIdsExhausted,
        /// The action does not fit the scope: directives and network parameters need
        /// `Network`, subnet hyperparameters need `Subnet`.
        WrongScope,
        /// No live subnet has this id.
        UnknownSubnet,
        /// A governed parameter value breaks a rule of the registry; the [`ParameterError`]
        /// names which.
        InvalidParameter(ParameterError),
        /// The subnet hyperparameters are outside the governed bounds.
        HyperparametersOutOfBounds,
        /// `MaxActiveProposals` proposals are voting or waiting for enactment already.
        TooManyProposals,
        /// The proposer has `MaxProposalsPerAccount` proposals voting already.
        TooManyProposalsFromAccount,
        /// Proposal indices are exhausted.
        ProposalIndicesExhausted,
        /// The proposer cannot hold the deposit (keeping its account alive).
        InsufficientBalance,
        /// No live proposal has this index.
        UnknownProposal,
        /// The proposal's voting period is over.
        VotingClosed,
        /// The proposal's voting period is not over yet.
        VotingNotOver,
        /// The proposal was closed already and waits for enactment.
        AlreadyClosed,
        /// The caller's voting stake in the proposal's scope is below `MinVotingStake`.
        InsufficientVotingStake,
        /// `MaxVotesPerProposal` coldkeys voted on this proposal already, and the caller's
        /// voting stake is not above the smallest of their votes, so it cannot take its
        /// place.
        StakeNotAboveSmallestVote,
        /// A tally would overflow.
        Overflow,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        // Enacts the due proposals; bounded by `MaxEnactmentsPerBlock`.
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::enact_due(now)
        }

        fn integrity_test() {
            assert!(
                T::MaxActiveProposals::get() > 0,
                "MaxActiveProposals must be positive"
            );
            assert!(
                T::MaxVotesPerProposal::get() > 0,
                "MaxVotesPerProposal must be positive"
            );
            assert!(
                T::MaxProposalsPerAccount::get() > 0,
                "MaxProposalsPerAccount must be positive"
            );
            assert!(
                T::ProposalDepositDoublesEvery::get() > 0,
                "ProposalDepositDoublesEvery must be positive"
            );
            assert!(
                T::MaxEnactmentsPerBlock::get() > 0,
                "MaxEnactmentsPerBlock must be positive"
            );
            assert!(
                T::MaxDirectives::get() > 0,
                "MaxDirectives must leave room for the prime directive"
            );
            assert!(
                T::MaxTitleLength::get() > 0 && T::MaxTextLength::get() > 0,
                "MaxTitleLength and MaxTextLength must be positive"
            );
            assert!(
                T::MaxCommitteeSize::get() >= MIN_COMMITTEE_SIZE,
                "MaxCommitteeSize must allow the smallest committee"
            );
            assert!(
                !T::VotingPeriod::get().is_zero(),
                "VotingPeriod must be positive"
            );
            assert!(
                T::PrimeEnactmentDelay::get() > T::EnactmentDelay::get(),
                "PrimeEnactmentDelay must be longer than EnactmentDelay"
            );
            assert!(
                T::ApprovalThreshold::get() >= Perbill::from_percent(50),
                "ApprovalThreshold must be at least 50%"
            );
            assert!(
                T::PrimeApprovalThreshold::get() >= T::ApprovalThreshold::get(),
                "PrimeApprovalThreshold must be at least ApprovalThreshold"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call(weight(<T as Config>::WeightInfo))]
    impl<T: Config> Pallet<T> {
        /// Propose `action` for a vote in `scope`, holding a deposit from the caller until the
        /// proposal is closed: `ProposalDeposit × 2^(live / ProposalDepositDoublesEvery)`,
        /// where `live` counts the proposals voting or waiting for enactment now. The part
        /// above `ProposalDeposit` (the surcharge) comes back only if the proposal passes.
        ///
        /// - `origin`: `Signed` by the proposer, who must be able to hold the deposit and may
        ///   have at most `MaxProposalsPerAccount` proposals voting.
        /// - `action`: `AddDirective`, `AmendDirective`, `RepealDirective` (not the prime
        ///   directive) or `SetParameter`. Titles and texts must not be empty; a parameter
        ///   value must pass [`GovernedParameters::validate`] (subnet hyperparameters: the
        ///   governed bounds) now, not only at enactment.
        /// - `scope`: `Network` for directives and network parameters; `Subnet(netuid)` of a
        ///   live subnet for `SetParameter(SubnetHyperparameters(..))`.
        ///
        /// Voting is open for `VotingPeriod` blocks. Emits [`Event::Proposed`] with the
        /// deposit held. Fails with
        /// [`Error::WrongScope`], [`Error::EmptyTitle`], [`Error::EmptyText`],
        /// [`Error::UnknownDirective`], [`Error::DirectiveNotActive`],
        /// [`Error::CannotRepealPrimeDirective`], [`Error::TooManyDirectives`],
        /// [`Error::UnknownSubnet`], [`Error::HyperparametersOutOfBounds`],
        /// [`Error::InvalidParameter`] naming the broken parameter rule,
        /// [`Error::TooManyProposals`], [`Error::TooManyProposalsFromAccount`] or
        /// [`Error::InsufficientBalance`].
        #[pallet::call_index(0)]
        #[pallet::weight(<T as Config>::WeightInfo::propose())]
        pub fn propose(
            origin: OriginFor<T>,
            action: ProposalActionOf<T>,
            scope: Scope,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_propose(who, action, scope)
        }

        /// Vote for (`aye = true`) or against a proposal, or change the caller's vote.
        ///
        /// - `origin`: `Signed` by a coldkey with at least `MinVotingStake` of active stake
        ///   in the proposal's scope: all its stake for `Network`, its stake on the subnet's
        ///   hotkeys for `Subnet`.
        /// - `index`: a proposal whose voting period is not over.
        /// - `aye`: for or against.
        ///
        /// The vote records the caller's stake now; at `close` it counts at most that and at
        /// most the caller's stake then, so stake moved after voting cannot count twice.
        /// A proposal records at most `MaxVotesPerProposal` votes: when they are all taken, a
        /// new voter with more stake than the smallest recorded vote evicts that vote, and a
        /// voter with no more is refused. Dust cannot keep stake out: while the recorded
        /// votes add up to no more than the scope's stake, a coldkey with more than
        /// `1 / MaxVotesPerProposal` of it finds a smaller vote to evict.
        ///
        /// Emits [`Event::VoteEvicted`] when a vote made room, then [`Event::Voted`]. Fails
        /// with [`Error::UnknownProposal`], [`Error::VotingClosed`],
        /// [`Error::InsufficientVotingStake`] or [`Error::StakeNotAboveSmallestVote`].
        #[pallet::call_index(1)]
        #[pallet::weight(<T as Config>::WeightInfo::vote())]
        pub fn vote(origin: OriginFor<T>, index: ProposalIndex, aye: bool) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_vote(who, index, aye)
        }

        /// Count the votes of a proposal whose voting period is over, and approve or reject
        /// it. Each vote counts the smaller of the stake it recorded and the voter's stake
        /// now.
        ///
        /// - `origin`: `Signed` by anyone.
        /// - `index`: a proposal still voting, at or after its `voting_ends` block.
        ///
        /// It passes when the votes cast are more than `Quorum` of the scope's active stake
        /// and the ayes more than `ApprovalThreshold` of the votes cast
        /// (`PrimeApprovalThreshold` for the prime directive); it is then enacted after
        /// `EnactmentDelay` (`PrimeEnactmentDelay`) blocks. A passed proposal gets its whole
        /// deposit back. A failed one loses all of it if its ayes were below
        /// `DepositBurnThreshold` of the scope's stake, and otherwise gets back the base
        /// deposit while its surcharge is burned. The weight scales with the number of votes.
        ///
        /// Emits [`Event::ProposalApproved`] or [`Event::ProposalRejected`], and
        /// [`Event::DepositReturned`] and/or [`Event::DepositBurned`]. Fails with
        /// [`Error::UnknownProposal`], [`Error::AlreadyClosed`] or [`Error::VotingNotOver`].
        #[pallet::call_index(2)]
        #[pallet::weight(Pallet::<T>::close_weight(T::MaxVotesPerProposal::get()))]
        pub fn close(origin: OriginFor<T>, index: ProposalIndex) -> DispatchResultWithPostInfo {
            ensure_signed(origin)?;
            let votes = Self::do_close(index)?;
            Ok(Some(Self::close_weight(votes)).into())
        }
    }
}
