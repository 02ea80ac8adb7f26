//! # Sentinels pallet
//!
//! Sentinels are validators drawn into small committees, per subnet and epoch, that catch
//! misbehaving miners and quarantine them (issue 19; design `shared/sentinels.md`; the math in
//! `mindos-sentinels-math`).
//!
//! ## Overview
//!
//! - **Epochs and committees.** At each subnet's epoch boundary
//!   ([`mindos_primitives::SubnetsInfo::epochs_due`]) the pallet advances the subnet's sentinel
//!   epoch ([`SubnetEpoch`]), completes the RANDAO mix of the epoch that ended ([`Mix`] →
//!   [`CompletedMix`]) and draws the committee of the *next* epoch from it ([`Committees`]), so
//!   duties are known one epoch ahead. Seats go to validator-permit holders by stake ×
//!   reputation, without replacement, quarantined validators excluded: 7 seats by default
//!   (governed), 4 when fewer are eligible, none below 4. The mix folds the salt hash of every
//!   weights reveal the consensus pallet reports ([`mindos_primitives::SaltSink`]).
//! - **Self-verifying evidence** quarantines in the block that includes it, without a vote, and
//!   any validator-permit holder may submit it even when no committee can form:
//!   [`Pallet::submit_equivocation`] (two different outputs for one challenge, signed by a key
//!   the challenged hotkey had bound in the challenge's epoch, [`KeyHistory`]) and [`Pallet::submit_canary_failure`] (a wrong signed answer to a canary
//!   committed with [`Pallet::commit_canary`] in an earlier epoch and before the block the miner
//!   says it saw when answering, [`SeenBlock`], on a subnet that scores exactly). Both must name
//!   the subnet's pinned model. Equivocation proves itself outright; a canary failure only
//!   *given an honest commitment* (the committer alone chooses the expected output), which its
//!   deposit and part 2's audit back.
//! - **Judged offences**: a member of the current committee [`Pallet::report`]s a miner with a
//!   bond; members [`Pallet::vote`]; the threshold (governed, 5 of 7) quarantines; `2f + 1`
//!   not-guilty votes refute the report and burn its bond; a case neither side can decide any
//!   more, or that expires ([`Pallet::close_case`]), is dismissed.
//! - **Quarantine** is of the miner's hotkey, not its uid ([`Quarantines`]), so changing uid does
//!   not escape it: the uid the hotkey holds earns nothing (the consensus pallet skips it through
//!   [`mindos_primitives::QuarantineInfo`]) until its owner calls [`Pallet::unquarantine`] after
//!   it ends. A first offence quarantines for the governed length (2 epochs), a second within
//!   30 epochs for twice that (4); the third within 30 epochs does not quarantine for 8 but
//!   deregisters the hotkey's uid. So only the lengths 2 and 4 occur in practice; longer ones
//!   (doubling, capped at 64 epochs) appear only if governance raises the deregistration count
//!   or a deregistration fails (then the cap).
//! - **Slashing** waits for an audit window: a sanction schedules a [`PendingSlash`] that is
//!   settled `AuditWindowEpochs` sentinel epochs later, never earlier however many are pending
//!   (one per miner hotkey, repeats merged at the larger rate), at the governed rates
//!   ([`mindos_primitives::SentinelParameters::slash_rates`]; at launch 5% for proven offences,
//!   0.01% for judged ones), and the reporter is paid the governed share (10%) of what was
//!   slashed (for a canary failure, the canary's committer, not whoever submitted the opening).
//!   A slash's rate is fixed when it is scheduled; the reporter's share is read when it
//!   settles. The directives registry keeps the unbonding period longer than a slash can wait
//!   (this pallet's [`mindos_primitives::AuditWindow`]), so an offender cannot withdraw first.
//!
//! The chain stores hashes and signatures, never payloads.
//!
//! ## Design decisions
//!
//! - **Where the draw runs: this pallet's own `on_initialize`**, reading `epochs_due` as the
//!   consensus and stake pallets do (one storage read per block). The alternative, a function
//!   the consensus pallet calls when it runs an epoch, would tie committee duties to the
//!   consensus pallet's queue (epochs may run blocks late there) and change that pallet now.
//!   Advancing the epoch, completing the mix and snapshotting the next draw's candidates
//!   ([`Candidates`]: at most `MaxCandidates` reads per due subnet) happen exactly at the
//!   boundary, in `on_initialize` before any extrinsic: the completed mix makes the draw's seed
//!   public, so stake read any later could be steered. At most `MaxSnapshotsPerBlock` subnets
//!   snapshot in one block: when more reach a boundary together (their owners chose tempos and
//!   creation blocks that align), the others enter their epoch without a snapshot and have no
//!   committee in the next one ([`Event::CandidatesNotSnapshotted`]); which come first is drawn
//!   from the block number's hash, so no alignment starves one subnet every time. The rest (the draw from the snapshot,
//!   expiries, slashes) is queued in [`PendingBoundaries`] and done for at most
//!   `MaxBoundariesPerBlock` subnets per block. A subnet whose queued work still waits at its
//!   next boundary loses the draw of the epoch in between (its snapshot and mix are replaced;
//!   the draw, when it runs, is for the epoch after the current one): that epoch has no
//!   committee, and only self-verifying evidence works in it. The runtime avoids it by letting
//!   `MaxBoundariesPerBlock` clear, within the shortest tempo, the subnets that can share a
//!   boundary block (the subnets pallet staggers boundaries, so few do); a subnet dissolved while
//!   queued is skipped.
//!   The sentinel epoch counts the boundaries this pallet has seen; challenges name it.
//! - **Members are hotkeys** (with their uid beside them for readers): a uid can be reused by
//!   another neuron within the epoch a committee sits; the hotkey that was drawn cannot.
//! - **Cases copy their committee**, so voting can outlast the epoch and [`Committees`] keeps
//!   only the current and the next epoch.
//! - **Judged votes run for `CaseDuration` blocks, not to the end of the epoch.** The design
//!   (`shared/sentinels.md`) asks for the votes "within the epoch"; we chose a fixed window from
//!   the report instead, so a report made late in an epoch gets the same time to re-execute and
//!   vote as one made early, and no case depends on a subnet's tempo. The case keeps the
//!   committee of the epoch it was reported in. A case that expires is dismissed (its bond
//!   returned), and the next epoch's committee may report the miner again: that is how a
//!   blocked round is retried. The runtime should set `CaseDuration` to about one tempo.
//! - **Bonds** are fungible holds on the reporter's hotkey ([`HoldReason::ReportBond`]), as the
//!   stake and directives pallets hold funds. A dismissed or expired case returns its bond when
//!   it closes; a refuted one burns it (`2f + 1` not-guilty votes hold `f + 1` honest members
//!   who re-executed the input and found the miner right: the report was false, and a false
//!   report must cost more than the fee); a conviction keeps it held until the miner's slash
//!   settles after the audit window, and an audit that overturns the conviction burns it. The bond bounds spam together
//!   with `MaxOpenReportsPerReporter`.
//! - **Canary deposits** ([`HoldReason::CanaryDeposit`]): the committer alone chooses a canary's
//!   expected output, so each canary holds `CanaryDeposit` (at most `MaxCanariesPerCommitter` per
//!   committer and subnet). It is released when the canary expires unused, or when the slash of
//!   the miner it convicted settles after the audit window; it is burned when an audit
//!   overturns that conviction. The reporter's share of that slash goes to the committer, so
//!   copying an opening from the transaction pool (front-running) earns nothing.
//! - **Slashing burns, the reward is minted**: [`mindos_primitives::StakeInfo::slash`] burns
//!   `slashed`; the pallet then mints `⌊10% · slashed⌋` to the reporter, so issuance falls by
//!   exactly `slashed − reward`, the math crate's `burned`: no unit is created or lost.
//!
//! ## The audit layer (part 2, `audit.rs`)
//!
//! Every judged or canary conviction is recorded as a [`Judgment`] under its case id
//! ([`Event::Appealable`]); the miner's coldkey may [`Pallet::appeal`] it with `AppealDeposit`
//! until its slash falls due. An audit committee drawn disjoint from the case committee
//! re-judges every appeal, a random 10% of judged convictions (picked at the verdict from the
//! running mix) and every split vote ([`Pallet::audit_vote`], `2f + 1` overturn, `f + 1`
//! uphold; [`Pallet::close_audit`] after `AuditDuration`: the verdict stands, the deposit is
//! returned). A slash whose conviction is under audit waits for it, so an overturn always drops
//! a pending slash and never refunds. Overturned conviction: quarantine lifted, offence
//! forgotten, slash dropped, deposit returned, reporter bond and canary deposit burned, guilty
//! voters slashed 0.1% (×3 when `f + 1`; both governed) with their reputation halved through
//! [`Config::ReputationSink`] (the consensus pallet in the runtime; `()` does nothing).
//! Overturned split dismissal: the miner is sanctioned and those who cleared it are slashed 2%
//! (×3 likewise). Upheld appeal: the deposit is burned. The `audit` module documents the
//! decisions and what is not done.
//!
//! An audit that overturns means the two committees disagree, and neither decides alone: the
//! overturn is *escalated* to every permit holder of the subnet ([`Pallet::escalation_vote`],
//! weighted by the stake each held when it opened; more than 2/3 overturns or upholds, and
//! undecided after `EscalationDuration` the verdict stands). The `escalation` module documents
//! the electorate and why.
//!
//! ## Dissolution and departures (`cleanup.rs`)
//!
//! - **A dissolved subnet** ([`mindos_primitives::OnSubnetDissolved`], called by the subnets
//!   pallet's `dissolve_subnet`) loses at once, in a bounded step, what is bounded per subnet:
//!   its open cases, canaries and open audits, each returning what it holds (report bonds,
//!   canary deposits, appeal deposits), its epoch, mix, snapshot and queue bounds, and its
//!   place in the boundary and settlement queues ([`Event::SubnetStateReleased`]). **A
//!   dissolution never burns or loses funds: every hold goes back to its owner.** What grows
//!   with the subnet's hotkeys (pending slashes, the settlement queue, quarantines, offence and
//!   key histories, departures, committees) is queued in [`Dissolved`] and cleared by
//!   `on_initialize`, `MaxClearedPerBlock` entries a block ([`Event::SubnetStateCleared`]).
//!   Nothing live reads it meanwhile, and since the subnets pallet never reuses a subnet id
//!   (`NextNetUid`), no new subnet can see it; `try_state` checks that nothing is kept for a
//!   subnet that neither exists nor is being cleared.
//! - **Pending slashes of a dissolved subnet are dropped, not settled**
//!   ([`Event::PendingSlashDropped`]), their canary deposits and report bonds returned. A slash
//!   settles only after its audit window, counted in the subnet's sentinel epochs, which stop
//!   with it; settling at once would slash before the window, while an appeal could still have
//!   overturned the conviction (and the open audits go with the subnet). This matches the
//!   other pallets: the stake pallet leaves stake on the hotkeys untouched, and the consensus
//!   pallet forfeits the subnet's unpaid accrual rather than pay it out (so no reporter reward
//!   is minted either). The miner keeps its stake; what it escapes is bounded by the owner's
//!   cost of dissolving (the creation burn is not refunded), and its quarantine ends with the
//!   subnet it was quarantined on.
//! - **A hotkey that leaves a subnet** (deregistered, by its owner or by force, or pruned to
//!   make room; the neurons pallet calls
//!   [`mindos_primitives::EndpointObserver::on_neuron_left`]) keeps its quarantine, offence
//!   history, key history and pending slash: coming back escapes nothing, evidence of a
//!   challenge from before it left still lands when it is registered again, and its slash
//!   settles on its due epoch (stake stays on the hotkey). The departure is noted
//!   ([`DepartedAt`], [`DepartureQueue`]) and examined at the subnet's boundary
//!   `max(MaxEvidenceAgeEpochs, 30)` epochs later, at most `MaxDeparturesPerBoundary` a
//!   boundary: a hotkey registered again is left alone; otherwise its key history goes (no
//!   evidence can name an epoch it was registered in any more), offences outside the 30-epoch
//!   window go (they no longer count), an ended quarantine goes (only an `unquarantine` that
//!   would succeed stood between it and release), and a running one stays and is examined
//!   again later. So per-hotkey state is bounded by the registered hotkeys plus the recent
//!   departures. Registered hotkeys prune as before: offences outside the window at the next
//!   offence, stale keys at the next binding, a quarantine by `unquarantine`.
//!
//! ## Wired in the runtime, and not yet
//!
//! In the runtime (index 15): the neurons pallet reports every newly bound key and every
//! departure through [`mindos_primitives::EndpointObserver`] (and refuses a binding this pallet
//! declines) and deregisters by force through [`mindos_primitives::NeuronDeregistration`]; the
//! consensus pallet feeds each reveal's salt hash to [`mindos_primitives::SaltSink`], skips
//! quarantined uids through [`mindos_primitives::QuarantineInfo`], provides
//! [`mindos_primitives::ReputationInfo`] and cuts an overturned sentinel's reputation as the
//! [`ReputationSink`]; the directives pallet provides the governed [`Config::Parameters`]
//! (slash rates included) and reads this pallet's [`mindos_primitives::AuditWindow`]; the
//! subnets pallet's `OnDissolve` calls [`mindos_primitives::OnSubnetDissolved`].
//!
//! The read side: the runtime's `SentinelsApi` (built by the `views` module) behind the node's
//! `mindos_committee`, `mindos_cases` and `mindos_quarantines`, and the metagraph's
//! `quarantinedUntil`.
//!
//! ## Weights
//!
//! `benchmarking.rs` measures every [`WeightInfo`] function in its worst case (each benchmark's
//! doc says which); `scripts/benchmark.sh sentinels` writes [`weights`] from them on the release
//! node (the file's header says with how many steps and repeats).

#![cfg_attr(not(feature = "std"), no_std)]
// Code that runs in blocks must not abort them (review L15): panics only in tests.
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

mod audit;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod cleanup;
mod epochs;
mod errors;
mod escalation;
mod events;
mod impls;
mod invariants;
#[cfg(test)]
mod mock;
mod sanctions;
#[cfg(test)]
mod tests;
pub mod types;
pub mod views;
pub mod weights;

pub use audit::{picked_at_random, ReputationSink, REPUTATION_CUT};
pub use epochs::Randao;
pub use mindos_primitives::NetUid;
pub use types::{
    canary_commitment, response_message, Audit, AuditOutcome, Canary, CandidateSnapshot, Case,
    CaseId, CaseOutcome, Challenge, CommitteeRecord, Elector, Escalation, Hash32, JudgedOffence,
    Judgment, KeyBinding, MaxBoundKeys, MaxCommitteeMembers, MaxOffenceHistory, OffenceKind,
    OpenCase, PendingSlash, Quarantine, Response, SeenBlock, SignedResponse, SnapshotCandidate,
    CANARY_DOMAIN, RESPONSE_DOMAIN,
};
#[cfg(feature = "runtime-benchmarks")]
pub use types::{BenchmarkHelper, BENCHMARK_KEY_TYPE};
pub use weights::WeightInfo;

const LOG_TARGET: &str = "runtime::sentinels";

use frame_support::pallet_macros::import_section;

// FRAME's pallet macros expand to `expect` and `unreachable!` on values they guarantee
// themselves; the hand-written logic lives in `impls.rs`, where the lint holds. The events and
// errors are pallet sections of their own files.
#[allow(clippy::expect_used, clippy::unreachable)]
#[import_section(events::events)]
#[import_section(errors::errors)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::{
        pallet_prelude::*,
        traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
    };
    use frame_system::pallet_prelude::*;
    use mindos_primitives::{
        NeuronDeregistration, NeuronsInfo, ReputationInfo, SentinelParameters, StakeInfo,
        SubnetsInfo,
    };
    use mindos_sentinels_math::{AuditReason, Offence as SlashOffence};
    use sp_runtime::Perbill;

    /// Balance type of the currency bonds are held and rewards minted in.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// A committee as stored.
    pub type CommitteeOf<T> =
        CommitteeRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

    /// A case as stored.
    pub type CaseOf<T> =
        Case<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

    /// A quarantine as stored.
    pub type QuarantineOf<T> = Quarantine<BlockNumberFor<T>>;

    /// A canary as stored.
    pub type CanaryOf<T> =
        Canary<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

    /// A judgment the audit may re-judge, as stored.
    pub type JudgmentOf<T> = Judgment<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

    /// An audit as stored.
    pub type AuditOf<T> =
        Audit<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

    /// An escalation as stored.
    pub type EscalationOf<T> = Escalation<
        <T as frame_system::Config>::AccountId,
        BalanceOf<T>,
        BlockNumberFor<T>,
        <T as Config>::MaxCandidates,
    >;

    /// A pending slash as stored.
    pub type PendingSlashOf<T> = PendingSlash<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

    const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The currency report bonds are held in and reporter rewards minted in.
        type Currency: Mutate<Self::AccountId>
            + InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

        /// The runtime's hold reasons; bonds are held under [`HoldReason::ReportBond`], canary
        /// deposits under [`HoldReason::CanaryDeposit`].
        type RuntimeHoldReason: From<HoldReason>;

        /// Subnets: existence and epoch boundaries.
        type Subnets: SubnetsInfo<Self::AccountId, BalanceOf<Self>>;

        /// Registrations: uids, hotkeys and their owners.
        type Neurons: NeuronsInfo<Self::AccountId>;

        /// Stake and validator permits; slashes.
        type Stake: StakeInfo<Self::AccountId, BalanceOf<Self>>;

        /// Reputation, the second factor of a seat's weight.
        type Reputation: ReputationInfo;

        /// Where a sentinel's reputation is cut when the audit overturns its guilty vote
        /// (halved): the consensus pallet, which keeps reputation; `()` does nothing.
        type ReputationSink: ReputationSink<Self::AccountId>;

        /// Frees the uid of a miner with three offences in the window.
        type Deregistration: NeuronDeregistration;

        /// Governed committee size, threshold, first quarantine length and slash rates.
        type Parameters: SentinelParameters;

        /// The bond a committee member holds while its report is open.
        #[pallet::constant]
        type ReportBond: Get<BalanceOf<Self>>;

        /// What a miner's coldkey holds while its appeal is audited: returned if the verdict is
        /// overturned or the audit expires undecided, burned if it is upheld.
        #[pallet::constant]
        type AppealDeposit: Get<BalanceOf<Self>>;

        /// Blocks an audit takes votes for, from its opening; then the verdict stands.
        #[pallet::constant]
        type AuditDuration: Get<BlockNumberFor<Self>>;

        /// Blocks an escalation takes votes for, from the audit vote that overturned; then the
        /// verdict stands ([`Pallet::escalation_vote`]).
        #[pallet::constant]
        type EscalationDuration: Get<BlockNumberFor<Self>>;

        /// Open audits a subnet may have at once; an appeal beyond it is refused, a random or
        /// split-vote audit beyond it is not opened ([`Event::AuditNotOpened`]).
        #[pallet::constant]
        type MaxOpenAuditsPerSubnet: Get<u32>;

        /// Blocks a judged case takes votes for, from its report (not to the end of the epoch:
        /// the crate docs say why); then it can only be dismissed. About one tempo.
        #[pallet::constant]
        type CaseDuration: Get<BlockNumberFor<Self>>;

        /// Sentinel epochs between a sanction and its slash: the audit window in which part 2's
        /// audit committee can overturn it. The stake unbonding period must be longer, or the
        /// miner could unbond and withdraw first: the directives registry checks it through
        /// this pallet's [`mindos_primitives::AuditWindow`] (which adds a late appeal's audit).
        #[pallet::constant]
        type AuditWindowEpochs: Get<u32>;

        /// Sentinel epochs a challenge stays usable as evidence: older signed responses are
        /// refused, so a miner is not haunted by evidence nobody submitted in time.
        #[pallet::constant]
        type MaxEvidenceAgeEpochs: Get<u32>;

        /// Sentinel epochs a canary commitment stays usable; then it is dropped.
        #[pallet::constant]
        type CanaryLifetimeEpochs: Get<u32>;

        /// What a validator holds for each canary it commits. The committer alone chooses a
        /// canary's expected output, so the deposit backs it: it is released when the canary
        /// expires unused, or, once the canary convicted a miner, when that slash settles after
        /// the audit window; part 2 forfeits it when the audit overturns the conviction on
        /// appeal (the expected output was wrong).
        #[pallet::constant]
        type CanaryDeposit: Get<BalanceOf<Self>>;

        /// Most canaries one committer may have on one subnet at once, so a single validator
        /// cannot fill the subnet's list (`MaxCanariesPerSubnet`).
        #[pallet::constant]
        type MaxCanariesPerCommitter: Get<u32>;

        /// Most canaries committed on one subnet at once. Shrinking it needs a migration that
        /// truncates the stored lists.
        #[pallet::constant]
        type MaxCanariesPerSubnet: Get<u32>;

        /// Most open judged cases on one subnet. Shrinking it needs a migration that closes the
        /// surplus cases (and releases their bonds).
        #[pallet::constant]
        type MaxOpenCasesPerSubnet: Get<u32>;

        /// Most open cases one reporter may have on one subnet, so a single member cannot fill
        /// the subnet's list.
        #[pallet::constant]
        type MaxOpenReportsPerReporter: Get<u32>;

        /// Most validators considered in one committee draw (the heaviest by stake, as the
        /// stake pallet lists them); bounds the draw's hashing
        /// ([`mindos_sentinels_math::max_hash_calls`]).
        #[pallet::constant]
        type MaxCandidates: Get<u32>;

        /// The weight of one [`mindos_primitives::StakeInfo::slash`] at its worst (the stake
        /// pallet's `slash(MaxNominators)` benchmark): charged per settled slash.
        type SlashWeight: Get<Weight>;

        /// Most slashes settled in one block; the rest wait for the next.
        #[pallet::constant]
        type MaxSlashesPerBlock: Get<u32>;

        /// Most subnets whose boundary work (draw, expiries) runs in one block; the rest wait
        /// in [`PendingBoundaries`].
        #[pallet::constant]
        type MaxBoundariesPerBlock: Get<u32>;

        /// Most subnets reaching a boundary in one block whose next draw's candidates are
        /// snapshotted (`MaxCandidates` reads each). The snapshot cannot wait for a later block
        /// (the completed mix makes the seed public), so the others get no committee for that
        /// epoch ([`Event::CandidatesNotSnapshotted`]); which subnets come first is drawn from
        /// the block number's hash.
        #[pallet::constant]
        type MaxSnapshotsPerBlock: Get<u32>;

        /// Most live subnets; bounds [`PendingBoundaries`] and [`SlashesDue`], which hold each
        /// live subnet at most once. The runtime must set it to at least the subnets pallet's
        /// `MaxSubnets` ([`mindos_primitives::SubnetsInfo::max_subnets`]; `integrity_test`
        /// checks it): a smaller value would leave subnets out of the boundary queue (no draw,
        /// no expiries, slashes marked due a boundary late).
        #[pallet::constant]
        type MaxSubnets: Get<u32>;

        /// Most entries of dissolved subnets' per-hotkey state (pending slashes, with the
        /// deposits and bonds they hold, their settlement queue, quarantines, offence and key
        /// histories, departures, committees) cleared in one block; the rest wait for the next
        /// ([`Dissolved`]).
        #[pallet::constant]
        type MaxClearedPerBlock: Get<u32>;

        /// Most departed hotkeys one boundary of a subnet examines for pruning
        /// ([`DepartureQueue`]); the rest wait for its next boundary.
        #[pallet::constant]
        type MaxDeparturesPerBoundary: Get<u32>;

        /// Weights of this pallet's calls and hooks ([`weights`]; the crate docs say where they
        /// come from).
        type WeightInfo: WeightInfo;

        /// Builds what the benchmarks need from the other pallets: a subnet with registered
        /// neurons, staked validators holding permits, reputations, and the governed committee
        /// size.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// A committee member's bond on its open report.
        #[codec(index = 0)]
        ReportBond,
        /// A validator's deposit on a canary it committed, held until the canary expires unused
        /// or the slash it caused settles.
        #[codec(index = 1)]
        CanaryDeposit,
        /// A miner coldkey's deposit on its appeal, held while the audit is open.
        #[codec(index = 2)]
        AppealDeposit,
    }

    /// Each subnet's sentinel epoch: the boundaries this pallet has seen. Challenges, canary
    /// commitments and quarantines count in it.
    ///
    /// TWOX-NOTE: safe, subnet ids are assigned by the chain.
    #[pallet::storage]
    pub type SubnetEpoch<T: Config> = StorageMap<_, Twox64Concat, NetUid, u64, ValueQuery>;

    /// Each subnet's running RANDAO accumulator: every reported salt hash is folded in with
    /// [`mindos_sentinels_math::mix_next`].
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type Mix<T: Config> = StorageMap<_, Twox64Concat, NetUid, Hash32, ValueQuery>;

    /// The accumulator as it stood at a subnet's last boundary, and the epoch it completed: the
    /// committee of `epoch + 2` is drawn from it.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type CompletedMix<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, (u64, Hash32), OptionQuery>;

    /// The sentinel committee of a subnet (first key) for an epoch (second key). Kept for the
    /// current and the next epoch only.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`]; epochs are counted by the chain.
    #[pallet::storage]
    pub type Committees<T: Config> =
        StorageDoubleMap<_, Twox64Concat, NetUid, Twox64Concat, u64, CommitteeOf<T>, OptionQuery>;

    /// The candidates of each subnet's next committee draw, snapshotted at the boundary where
    /// the mix seeding it completes ([`CandidateSnapshot`] says why); taken by the draw.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type Candidates<T: Config> = StorageMap<
        _,
        Twox64Concat,
        NetUid,
        CandidateSnapshot<T::AccountId, BlockNumberFor<T>, T::MaxCandidates>,
        OptionQuery,
    >;

    /// Subnets past a boundary whose draw, expiries and slashes wait for a block with room.
    #[pallet::storage]
    pub type PendingBoundaries<T: Config> =
        StorageValue<_, BoundedVec<NetUid, T::MaxSubnets>, ValueQuery>;

    /// Subnets whose settlement queue ([`SlashQueue`]) starts with an entry past its audit
    /// window; entries are taken at most `MaxSlashesPerBlock` a block.
    #[pallet::storage]
    pub type SlashesDue<T: Config> = StorageValue<_, BoundedVec<NetUid, T::MaxSubnets>, ValueQuery>;

    /// The next case id.
    #[pallet::storage]
    pub type NextCaseId<T: Config> = StorageValue<_, CaseId, ValueQuery>;

    /// Open judged cases.
    ///
    /// TWOX-NOTE: safe, case ids are assigned by the chain.
    #[pallet::storage]
    pub type Cases<T: Config> = StorageMap<_, Twox64Concat, CaseId, CaseOf<T>, OptionQuery>;

    /// The open cases of each subnet, oldest first.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type OpenCases<T: Config> = StorageMap<
        _,
        Twox64Concat,
        NetUid,
        BoundedVec<OpenCase<T::AccountId>, T::MaxOpenCasesPerSubnet>,
        ValueQuery,
    >;

    /// Quarantined miners of a subnet (first key) by hotkey (second key), not by uid: a miner
    /// that deregisters, lets a throwaway take its freed uid and registers again elsewhere is
    /// still quarantined, and a newcomer in its old uid is not. An entry stays until
    /// [`Pallet::unquarantine`], even past its end (release is explicit) and while the hotkey
    /// is not registered (it applies again if the hotkey comes back), except that an ended
    /// quarantine of a hotkey that left is pruned ([`DepartureQueue`]); readers
    /// ([`mindos_primitives::QuarantineInfo`]) ignore entries of hotkeys not registered.
    ///
    /// TWOX-NOTE: as for [`OffenceHistory`].
    #[pallet::storage]
    pub type Quarantines<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Blake2_128Concat,
        T::AccountId,
        QuarantineOf<T>,
        OptionQuery,
    >;

    /// The sentinel epochs of a miner hotkey's (second key) past offences on a subnet (first
    /// key), oldest first: what doubles its quarantines and deregisters it. Keyed by hotkey, not
    /// uid, so a new neuron in the slot starts clean and a deregistered one that comes back
    /// does not. Entries older than the window are dropped at the next offence, or when the
    /// hotkey has left the subnet ([`DepartureQueue`]).
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`]; hotkeys, which users choose, are hashed with Blake2.
    #[pallet::storage]
    pub type OffenceHistory<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<u64, MaxOffenceHistory>,
        ValueQuery,
    >;

    /// The Ed25519 keys each miner hotkey (second key) bound on a subnet (first key), with the
    /// sentinel epoch of each binding, oldest first: evidence is verified with the keys the
    /// hotkey had in the challenge's epoch, so serving a new PeerId after answering does not
    /// escape it. Fed by [`mindos_primitives::EndpointObserver`]; at most [`MaxBoundKeys`],
    /// bindings that verify no usable evidence epoch any more are pruned at the next binding,
    /// and a rotation that would forget a recent key is refused. Entries stay after the hotkey
    /// leaves (evidence may land when it comes back), until no challenge from while it was
    /// registered is recent enough ([`DepartureQueue`]).
    ///
    /// TWOX-NOTE: as for [`OffenceHistory`].
    #[pallet::storage]
    pub type KeyHistory<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<KeyBinding, MaxBoundKeys>,
        ValueQuery,
    >;

    /// Canary commitments of each subnet, oldest first.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type Canaries<T: Config> = StorageMap<
        _,
        Twox64Concat,
        NetUid,
        BoundedVec<CanaryOf<T>, T::MaxCanariesPerSubnet>,
        ValueQuery,
    >;

    /// The slash of each miner hotkey (second key) of a subnet (first key) waiting for its
    /// audit window: one per hotkey, repeats merged ([`PendingSlash`] says how). One entry per
    /// hotkey and no cap per subnet, so however many miners are sanctioned at once, none is
    /// slashed before its window has passed.
    ///
    /// TWOX-NOTE: as for [`OffenceHistory`].
    #[pallet::storage]
    pub type PendingSlashes<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Blake2_128Concat,
        T::AccountId,
        PendingSlashOf<T>,
        OptionQuery,
    >;

    /// Each subnet's settlement queue, in scheduling order (so in due-epoch order): entry `i`
    /// (second key) names a hotkey and the due epoch it was queued for. Unbounded in length
    /// but one storage item per entry, read at most `MaxSlashesPerBlock` a block; an entry
    /// whose slash was postponed by a higher-rate repeat is dropped when reached.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`]; indices are assigned by the chain.
    #[pallet::storage]
    pub type SlashQueue<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Twox64Concat,
        u64,
        (T::AccountId, u64),
        OptionQuery,
    >;

    /// Each subnet's settlement queue bounds: `(head, tail)`, the entries `head..tail` of
    /// [`SlashQueue`] are live. Removed when the queue empties.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type SlashQueueBounds<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, (u64, u64), ValueQuery>;

    /// Verdicts the audit committee may re-judge, by case id ([`Judgment`]): convictions
    /// (judged or by a canary) until their slash settles or an audit overturns them, split
    /// dismissals while their audit is open. One storage item each, at most
    /// `MaxOffenceHistory` per pending slash.
    ///
    /// TWOX-NOTE: safe, case ids are assigned by the chain.
    #[pallet::storage]
    pub type Judgments<T: Config> = StorageMap<_, Twox64Concat, CaseId, JudgmentOf<T>, OptionQuery>;

    /// Open audits, by the case id of the verdict they re-judge.
    ///
    /// TWOX-NOTE: as for [`Judgments`].
    #[pallet::storage]
    pub type Audits<T: Config> = StorageMap<_, Twox64Concat, CaseId, AuditOf<T>, OptionQuery>;

    /// The open audits of each subnet, oldest first (at most `MaxOpenAuditsPerSubnet`).
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type OpenAudits<T: Config> = StorageMap<
        _,
        Twox64Concat,
        NetUid,
        BoundedVec<CaseId, T::MaxOpenAuditsPerSubnet>,
        ValueQuery,
    >;

    /// Audits that overturned a verdict, put to every permit holder of their subnet, by the case
    /// id of the audit (which stays in [`Audits`] until the escalation ends). At most one per
    /// open audit, so at most `MaxOpenAuditsPerSubnet` per subnet.
    ///
    /// TWOX-NOTE: as for [`Judgments`].
    #[pallet::storage]
    pub type Escalations<T: Config> =
        StorageMap<_, Twox64Concat, CaseId, EscalationOf<T>, OptionQuery>;

    /// Dissolved subnets whose per-hotkey state is still being cleared, `MaxClearedPerBlock`
    /// entries a block (the crate docs' "Dissolution"). The subnets pallet never reuses a
    /// subnet id, so no live subnet can see what is left.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type Dissolved<T: Config> = StorageMap<_, Twox64Concat, NetUid, (), OptionQuery>;

    /// The sentinel epoch in which a hotkey (second key) last left a subnet (first key), while
    /// its state there waits in [`DepartureQueue`] to be pruned. Removed when the hotkey is
    /// found registered again or nothing of its state is left to prune.
    ///
    /// TWOX-NOTE: as for [`OffenceHistory`].
    #[pallet::storage]
    pub type DepartedAt<T: Config> =
        StorageDoubleMap<_, Twox64Concat, NetUid, Blake2_128Concat, T::AccountId, u64, OptionQuery>;

    /// Each subnet's departure queue: entry `i` (second key) names a hotkey of
    /// [`DepartedAt`] (one entry each) and the sentinel epoch from which its state is
    /// examined, in that order. Read at most `MaxDeparturesPerBoundary` a boundary.
    ///
    /// TWOX-NOTE: as for [`SlashQueue`].
    #[pallet::storage]
    pub type DepartureQueue<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Twox64Concat,
        u64,
        (T::AccountId, u64),
        OptionQuery,
    >;

    /// Each subnet's departure queue bounds: `(head, tail)`, the entries `head..tail` of
    /// [`DepartureQueue`] are live. Removed when the queue empties.
    ///
    /// TWOX-NOTE: as for [`SubnetEpoch`].
    #[pallet::storage]
    pub type DepartureQueueBounds<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, (u64, u64), ValueQuery>;

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        // Bounded: one read of the due subnets, a constant number of operations per due
        // subnet (at most `MaxSubnets`), and the boundary work of at most
        // `MaxBoundariesPerBlock` subnets, each bounded by the `Max*` constants.
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::on_block(now)
        }

        fn integrity_test() {
            assert!(
                !T::CaseDuration::get().is_zero(),
                "CaseDuration must be positive"
            );
            assert!(
                T::AuditWindowEpochs::get() > 0,
                "AuditWindowEpochs must be positive: a slash must leave the audit time to act"
            );
            assert!(
                !T::CanaryDeposit::get().is_zero(),
                "CanaryDeposit must be positive: it backs the canary's expected output"
            );
            assert!(
                !T::AuditDuration::get().is_zero(),
                "AuditDuration must be positive"
            );
            assert!(
                !T::EscalationDuration::get().is_zero(),
                "EscalationDuration must be positive"
            );
            assert!(
                T::MaxOpenAuditsPerSubnet::get() > 0,
                "MaxOpenAuditsPerSubnet must be positive"
            );
            assert!(
                T::MaxOpenCasesPerSubnet::get() > 0,
                "MaxOpenCasesPerSubnet must be positive"
            );
            assert!(
                T::MaxEvidenceAgeEpochs::get() > 0,
                "MaxEvidenceAgeEpochs must be positive"
            );
            assert!(
                T::CanaryLifetimeEpochs::get() > 0,
                "CanaryLifetimeEpochs must be positive"
            );
            assert!(
                T::MaxCanariesPerSubnet::get() > 0,
                "MaxCanariesPerSubnet must be positive"
            );
            assert!(
                T::MaxCanariesPerCommitter::get() > 0
                    && T::MaxCanariesPerCommitter::get() <= T::MaxCanariesPerSubnet::get(),
                "MaxCanariesPerCommitter must be in 1..=MaxCanariesPerSubnet"
            );
            assert!(
                T::MaxOpenReportsPerReporter::get() > 0
                    && T::MaxOpenReportsPerReporter::get() <= T::MaxOpenCasesPerSubnet::get(),
                "MaxOpenReportsPerReporter must be in 1..=MaxOpenCasesPerSubnet"
            );
            assert!(
                T::MaxCandidates::get() > 0
                    && T::MaxCandidates::get() as usize <= mindos_sentinels_math::MAX_CANDIDATES,
                "MaxCandidates must be in 1..=MAX_CANDIDATES"
            );
            assert!(
                T::MaxSnapshotsPerBlock::get() > 0,
                "MaxSnapshotsPerBlock must be positive"
            );
            assert!(
                T::MaxBoundariesPerBlock::get() > 0,
                "MaxBoundariesPerBlock must be positive"
            );
            assert!(T::MaxSubnets::get() > 0, "MaxSubnets must be positive");
            assert!(
                T::MaxClearedPerBlock::get() > 0,
                "MaxClearedPerBlock must be positive: a dissolved subnet must be cleared"
            );
            assert!(
                T::MaxDeparturesPerBoundary::get() > 0,
                "MaxDeparturesPerBoundary must be positive: departed hotkeys must be pruned"
            );
            assert!(
                T::MaxSubnets::get() >= T::Subnets::max_subnets(),
                "MaxSubnets must be at least the subnets pallet's MaxSubnets"
            );
            assert!(
                T::MaxSlashesPerBlock::get() > 0,
                "MaxSlashesPerBlock must be positive"
            );
            // The hook is mandatory: at its worst it must leave at least half the block to
            // extrinsics.
            let max_block = <T as frame_system::Config>::BlockWeights::get().max_block;
            assert!(
                Pallet::<T>::max_on_initialize_weight()
                    .all_lte(max_block.checked_div(2).unwrap_or_default()),
                "the worst on_initialize (MaxSubnets boundaries, MaxBoundariesPerBlock boundary works, \
                 MaxSlashesPerBlock slashes, MaxClearedPerBlock cleared entries) must fit half of \
                 BlockWeights::max_block"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call(weight(<T as Config>::WeightInfo))]
    impl<T: Config> Pallet<T> {
        /// Prove that a miner signed two different outputs for one challenge, and quarantine it
        /// in this block, without a vote.
        ///
        /// - `origin`: `Signed` by a hotkey holding a validator permit on `netuid` (no committee
        ///   needed).
        /// - `netuid`, `uid`: the miner.
        /// - `first`, `second`: its two signed responses ([`types`] documents the signed
        ///   bytes). Both must answer the same challenge, naming `netuid`, `uid` (the miner's uid
        ///   when challenged), its hotkey (registered on `netuid`, in `uid` or, having moved
        ///   since, in another: the evidence follows the hotkey) and the subnet's pinned model
        ///   digest, of a sentinel epoch not in the
        ///   future and at most `MaxEvidenceAgeEpochs` old, after the miner's last sanctioned
        ///   offence; their output hashes must differ; both signatures must verify with a key
        ///   the hotkey had bound in the challenge's epoch (its served PeerId's Ed25519 key then,
        ///   [`KeyHistory`]: serving a new PeerId since does not void the evidence).
        ///
        /// The miner is quarantined (or deregistered at its third offence in 30 epochs) and a
        /// 5% slash is scheduled after the audit window, 10% of it for the caller.
        ///
        /// Emits [`Event::EquivocationProven`], [`Event::MinerQuarantined`] or
        /// [`Event::MinerDeregistered`], and [`Event::SlashScheduled`]. Fails with
        /// [`Error::UnknownSubnet`], [`Error::NoValidatorPermit`], [`Error::WrongSubject`],
        /// [`Error::ChallengesDiffer`], [`Error::WrongModel`], [`Error::SameOutput`],
        /// [`Error::EvidenceFromFuture`],
        /// [`Error::EvidenceTooOld`], [`Error::UnknownNeuron`], [`Error::AlreadyQuarantined`],
        /// [`Error::EvidenceAlreadySanctioned`], [`Error::NoBoundKey`] or
        /// [`Error::BadSignature`].
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::submit_equivocation()
            .saturating_add(T::Deregistration::max_weight()))]
        pub fn submit_equivocation(
            origin: OriginFor<T>,
            netuid: NetUid,
            uid: u16,
            first: SignedResponse<T::AccountId>,
            second: SignedResponse<T::AccountId>,
        ) -> DispatchResult {
            let reporter = ensure_signed(origin)?;
            Self::do_submit_equivocation(reporter, netuid, uid, first, second)
        }

        /// Commit a canary: an input whose right output the caller knows, hidden behind a salt
        /// ([`canary_commitment`]), so that a miner's wrong answer to it in a later epoch can be
        /// proven with [`Pallet::submit_canary_failure`].
        ///
        /// - `origin`: `Signed` by a hotkey holding a validator permit on `netuid`, able to hold
        ///   `CanaryDeposit`; the subnet must score exactly (`ScoringRule::Correctness`), as one
        ///   expected hash cannot judge outputs compared within a tolerance. It answers for the expected output it commits (an audit can
        ///   re-execute it once opened): the deposit is released when the canary expires unused
        ///   or when the slash it causes settles, and it earns the reporter's share of that
        ///   slash.
        /// - `commitment`: [`canary_commitment`]`(netuid, input_hash, expected_output_hash,
        ///   salt)` with a fresh random salt.
        ///
        /// It stays usable for `CanaryLifetimeEpochs` sentinel epochs; a subnet holds at most
        /// `MaxCanariesPerSubnet`, a committer at most `MaxCanariesPerCommitter` of them.
        ///
        /// Emits [`Event::CanaryCommitted`]. Fails with [`Error::UnknownSubnet`],
        /// [`Error::NoValidatorPermit`], [`Error::InexactScoring`],
        /// [`Error::CanaryAlreadyCommitted`],
        /// [`Error::TooManyCanariesOfCommitter`], [`Error::TooManyCanaries`] or
        /// [`Error::InsufficientCanaryDeposit`].
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::commit_canary(T::MaxCanariesPerSubnet::get()))]
        pub fn commit_canary(
            origin: OriginFor<T>,
            netuid: NetUid,
            commitment: Hash32,
        ) -> DispatchResult {
            let committer = ensure_signed(origin)?;
            Self::do_commit_canary(committer, netuid, commitment)
        }

        /// Prove that a miner answered a committed canary wrongly, by opening the commitment,
        /// and quarantine it in this block, without a vote.
        ///
        /// The proof verifies itself *given an honest commitment*: the chain checks that the
        /// miner signed an answer other than the committed one, not that the committed one is
        /// right. The committer's deposit and part 2's audit (which re-executes the opened
        /// canary on appeal) back the commitment.
        ///
        /// - `origin`: `Signed` by a hotkey holding a validator permit on `netuid`.
        /// - `netuid`, `uid`: the miner.
        /// - `response`: its signed response; its challenge names `netuid`, `uid`, the subnet's
        ///   pinned model digest, an epoch after the canary's commitment (and within
        ///   `MaxEvidenceAgeEpochs`), and the canary's input hash; its seen block is a block of this chain after the one the canary was
        ///   committed in (the challenge's epoch is the challenger's choice, the seen block is
        ///   the miner's: [`types`]); its output hash differs from `expected_output_hash`.
        /// - `expected_output_hash`, `salt`: the rest of the commitment's opening (the input
        ///   hash is the challenge's).
        ///
        /// The canary is dropped (its input is now public); its deposit stays held until the
        /// slash settles. Sanctions as [`Pallet::submit_equivocation`] does, except that the
        /// reporter's share of the slash goes to the canary's committer, not to the caller.
        ///
        /// Emits [`Event::CanaryFailureProven`], [`Event::MinerQuarantined`] or
        /// [`Event::MinerDeregistered`], and [`Event::SlashScheduled`]. Fails with
        /// [`Error::UnknownSubnet`], [`Error::NoValidatorPermit`], [`Error::InexactScoring`],
        /// [`Error::WrongSubject`], [`Error::WrongModel`], [`Error::UnknownCanary`],
        /// [`Error::CanaryNotBeforeChallenge`],
        /// [`Error::UnknownSeenBlock`], [`Error::SeenBlockTooOld`],
        /// [`Error::CanaryNotBeforeSeenBlock`], [`Error::CanaryAnsweredCorrectly`], [`Error::EvidenceFromFuture`],
        /// [`Error::EvidenceTooOld`], [`Error::UnknownNeuron`], [`Error::AlreadyQuarantined`],
        /// [`Error::EvidenceAlreadySanctioned`], [`Error::NoBoundKey`] or
        /// [`Error::BadSignature`].
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::submit_canary_failure(T::MaxCanariesPerSubnet::get())
            .saturating_add(T::Deregistration::max_weight()))]
        pub fn submit_canary_failure(
            origin: OriginFor<T>,
            netuid: NetUid,
            uid: u16,
            response: SignedResponse<T::AccountId>,
            expected_output_hash: Hash32,
            salt: Hash32,
        ) -> DispatchResult {
            let reporter = ensure_signed(origin)?;
            Self::do_submit_canary_failure(
                reporter,
                netuid,
                uid,
                response,
                expected_output_hash,
                salt,
            )
        }

        /// Report a miner for an offence the committee must judge, and open a case; the report
        /// counts as the reporter's guilty vote.
        ///
        /// - `origin`: `Signed` by a member (hotkey) of `netuid`'s committee of the current
        ///   sentinel epoch, whose coldkey does not own the accused; it must be able to hold
        ///   `ReportBond`: returned when the case is dismissed or expires, held until the
        ///   slash settles on a conviction, burned when the committee refutes the report.
        /// - `netuid`, `uid`: the accused miner, not quarantined, with no case open.
        /// - `offence`: what it did.
        /// - `evidence_hash`: BLAKE2b-256 of the transcript the members re-check off chain.
        ///
        /// The case is judged by the committee's impartial members only (those whose coldkey
        /// does not own the accused): its `n`, `f`, `2f + 1` and dismissal threshold come from
        /// them, and the governed threshold applies only when they are the full governed size.
        /// Fewer than 4 impartial members cannot judge. The case takes votes for
        /// `CaseDuration` blocks. A reporter may have at most `MaxOpenReportsPerReporter` open
        /// cases on a subnet, a subnet `MaxOpenCasesPerSubnet`.
        ///
        /// Emits [`Event::CaseOpened`] and [`Event::Voted`]. Fails with
        /// [`Error::UnknownSubnet`], [`Error::NoCommittee`], [`Error::NotCommitteeMember`],
        /// [`Error::UnknownNeuron`], [`Error::ConflictOfInterest`],
        /// [`Error::TooFewImpartialMembers`], [`Error::AlreadyQuarantined`], [`Error::CaseAlreadyOpen`],
        /// [`Error::TooManyOpenCases`], [`Error::TooManyReports`], [`Error::Overflow`] or
        /// [`Error::InsufficientBond`].
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::report(T::MaxOpenCasesPerSubnet::get()))]
        pub fn report(
            origin: OriginFor<T>,
            netuid: NetUid,
            uid: u16,
            offence: JudgedOffence,
            evidence_hash: Hash32,
        ) -> DispatchResult {
            let reporter = ensure_signed(origin)?;
            Self::do_report(reporter, netuid, uid, offence, evidence_hash)
        }

        /// Vote on an open case, once.
        ///
        /// - `origin`: `Signed` by a hotkey that sat on the case's committee, whose coldkey
        ///   does not own the accused.
        /// - `case`: the case, within its voting period.
        /// - `guilty`: the vote.
        ///
        /// At the threshold of guilty votes the miner is sanctioned (a 0.01% slash after the
        /// audit window, 10% of it to the reporter; the bond stays held until then). At
        /// `2f + 1` not-guilty votes the report is refuted and the reporter's bond burned. Once
        /// neither can be reached with the votes still to come, the case is dismissed and the
        /// bond returned; until then it stays open (a blocking minority does not close it
        /// before the others vote).
        ///
        /// Emits [`Event::Voted`], and on a verdict [`Event::CaseClosed`] (with the sanction's
        /// events, or [`Event::ReportRefuted`]). Fails with [`Error::UnknownCase`], [`Error::CaseExpired`],
        /// [`Error::NotCaseMember`], [`Error::AlreadyVoted`] or [`Error::ConflictOfInterest`].
        #[pallet::call_index(4)]
        #[pallet::weight(Pallet::<T>::vote_weight(true, true))]
        pub fn vote(
            origin: OriginFor<T>,
            case: CaseId,
            guilty: bool,
        ) -> DispatchResultWithPostInfo {
            let voter = ensure_signed(origin)?;
            let (closed, sanction) = Self::do_vote(voter, case, guilty)?;
            Ok(Some(Self::vote_weight(closed, sanction)).into())
        }

        /// Dismiss a case whose voting period ended without a verdict, and return the
        /// reporter's bond. Expired cases are also dismissed at their subnet's next boundary.
        ///
        /// - `origin`: `Signed` by anyone.
        /// - `case`: an open case past its `expires_at` block.
        ///
        /// Emits [`Event::CaseClosed`]. Fails with [`Error::UnknownCase`] or
        /// [`Error::CaseNotExpired`].
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::close_case(T::MaxOpenCasesPerSubnet::get()))]
        pub fn close_case(origin: OriginFor<T>, case: CaseId) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_close_case(case)
        }

        /// Release a quarantined miner whose quarantine has ended (Cosmos `MsgUnjail`): it
        /// earns again from the next epoch.
        ///
        /// - `origin`: `Signed` by the quarantined hotkey or the coldkey that owns it.
        /// - `netuid`, `uid`: the uid the quarantined hotkey holds now.
        ///
        /// Emits [`Event::MinerReleased`]. Fails with [`Error::NotQuarantined`],
        /// [`Error::NotMinerOwner`] or [`Error::QuarantineNotOver`].
        #[pallet::call_index(6)]
        pub fn unquarantine(origin: OriginFor<T>, netuid: NetUid, uid: u16) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_unquarantine(who, netuid, uid)
        }

        /// Appeal a conviction: the audit committee, drawn now from the validators outside the
        /// case committee, re-judges it.
        ///
        /// - `origin`: `Signed` by the coldkey owning the convicted hotkey, able to hold
        ///   `AppealDeposit`.
        /// - `case`: the conviction's case id ([`Event::Appealable`]): a judged conviction or a
        ///   canary failure (equivocation proves itself and is not appealable), before its slash
        ///   falls due, not audited yet.
        ///
        /// The audit takes votes for `AuditDuration` blocks ([`Pallet::audit_vote`]); the
        /// slash waits for it. Overturned: the deposit is returned; upheld: burned; expired
        /// undecided: returned, and the verdict stands.
        ///
        /// Emits [`Event::AuditOpened`]. Fails with [`Error::UnknownJudgment`],
        /// [`Error::UnknownSubnet`] (the subnet was dissolved),
        /// [`Error::NotConvicted`], [`Error::NotAccusedOwner`], [`Error::AppealWindowOver`],
        /// [`Error::AlreadyAudited`], [`Error::TooManyAudits`], [`Error::NoAuditCommittee`] or
        /// [`Error::InsufficientAppealDeposit`].
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::appeal(
            T::MaxCandidates::get(),
            T::MaxOpenAuditsPerSubnet::get()
        ))]
        pub fn appeal(origin: OriginFor<T>, case: CaseId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_appeal(who, case)
        }

        /// Vote on an open audit, once.
        ///
        /// - `origin`: `Signed` by a hotkey on the audit's committee.
        /// - `case`: the audited case, within the audit's voting period.
        /// - `uphold`: keep the verdict (`true`) or overturn it.
        ///
        /// `f + 1` votes to uphold uphold it (the verdict stands unless a supermajority of the
        /// audit says otherwise). `2f + 1` votes to overturn put the disagreement between the two
        /// committees to every permit holder of the subnet ([`Pallet::escalation_vote`]), unless
        /// none is eligible: then the overturn takes effect at once. An overturned conviction
        /// lifts the quarantine, drops the pending slash, returns the appeal deposit, burns the
        /// reporter's bond (and the canary committer's deposit), slashes each guilty voter
        /// the governed `overturned_sentinel` rate (0.1%, ×3 when `f + 1` of the committee,
        /// which a conviction's `2f + 1` guilty votes always are) and halves its reputation
        /// ([`Config::ReputationSink`]). An overturned dismissal sanctions the miner and
        /// slashes each not-guilty voter the governed `cleared_bad_miner` rate (2%, ×3
        /// likewise). An upheld appeal
        /// burns the deposit.
        ///
        /// Emits [`Event::AuditVoted`], and on a decision [`Event::AuditEscalated`] or
        /// [`Event::AuditClosed`] (with [`Event::ConvictionOverturned`],
        /// [`Event::SentinelSlashed`] or the sanction's events). Fails with
        /// [`Error::UnknownAudit`], [`Error::AuditEscalated`], [`Error::AuditExpired`],
        /// [`Error::NotAuditMember`] or [`Error::AlreadyVoted`].
        #[pallet::call_index(8)]
        #[pallet::weight(Pallet::<T>::audit_vote_weight(true))]
        pub fn audit_vote(
            origin: OriginFor<T>,
            case: CaseId,
            uphold: bool,
        ) -> DispatchResultWithPostInfo {
            let voter = ensure_signed(origin)?;
            let decided = Self::do_audit_vote(voter, case, uphold)?;
            Ok(Some(Self::audit_vote_weight(decided)).into())
        }

        /// Close an audit, or an escalation, whose voting period ended undecided: the verdict
        /// stands (no quorum to overturn it), the appeal deposit is returned (voters who did not
        /// decide are no fault of the appellant), and the held slash may settle. Expired audits
        /// are also closed at their subnet's next boundary.
        ///
        /// - `origin`: `Signed` by anyone.
        /// - `case`: an open audit past its `expires_at` block.
        ///
        /// Emits [`Event::AuditClosed`]. Fails with [`Error::UnknownAudit`] or
        /// [`Error::AuditNotExpired`].
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::close_audit(T::MaxOpenAuditsPerSubnet::get()))]
        pub fn close_audit(origin: OriginFor<T>, case: CaseId) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_close_audit(case)
        }

        /// Vote, with the stake held when it opened, on an escalated audit: whether the audit
        /// committee's overturn of the case committee's verdict stands.
        ///
        /// - `origin`: `Signed` by a hotkey in the escalation's electorate: the subnet's
        ///   validator-permit holders when it opened, except quarantined ones and those sharing
        ///   the accused miner's coldkey.
        /// - `case`: the escalated case, within the escalation's voting period.
        /// - `overturn`: `true` to overturn the verdict, `false` to uphold it.
        ///
        /// More than 2/3 of the electorate's stake to overturn: the overturn takes effect as
        /// [`Pallet::audit_vote`] describes it. More than 2/3 to uphold: the verdict stands and
        /// an appeal's deposit is burned. Neither side able to reach 2/3 any more, or neither by
        /// `EscalationDuration` blocks after it opened ([`Pallet::close_audit`]): the verdict
        /// stands and the deposit is returned.
        ///
        /// Emits [`Event::EscalationVoted`], and on a decision [`Event::AuditClosed`] with the
        /// overturn's events. Fails with [`Error::UnknownEscalation`],
        /// [`Error::EscalationExpired`], [`Error::NotElector`] or [`Error::AlreadyVoted`].
        #[pallet::call_index(10)]
        #[pallet::weight(Pallet::<T>::escalation_vote_weight(true))]
        pub fn escalation_vote(
            origin: OriginFor<T>,
            case: CaseId,
            overturn: bool,
        ) -> DispatchResultWithPostInfo {
            let voter = ensure_signed(origin)?;
            let decided = Self::do_escalation_vote(voter, case, overturn)?;
            Ok(Some(Self::escalation_vote_weight(decided)).into())
        }
    }
}
