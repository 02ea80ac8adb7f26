//! `mindos gov …`: directive governance. Reads come from the node's `mindos_directives`,
//! `mindos_proposals` and `mindos_parameters` methods (`crates/rpc/README.md`) and the
//! directives pallet's storage and constants, all at the node's best block; the
//! transactions are the pallet's `propose`, `vote` and `close`.
//!
//! Every transaction is checked before the password is asked for: the directive exists and
//! is in force, the prime directive is not repealed, a parameter's value is typed in its
//! units and differs from the current one, the proposal exists and is voting (or over, for
//! `close`), the wallet has voting stake in the proposal's scope, the table has room and the
//! wallet can hold the deposit. After signing, [`crate::wallet::send_paid`] tries the
//! transaction on the best block's state ([`crate::dry_run`]), so a rule only the runtime
//! knows in full (a parameter that breaks a rule of the registry) still costs nothing; then
//! the deposit and the fee are shown and confirmed.

pub mod parameters;
mod propose;
mod read;
mod view;
mod vote;

use anyhow::{anyhow, bail, Context as _};
use mindos_chain_client::ChainError;
use mindos_chain_client::{
    neuron::AtBlock,
    runtime::{self, runtime_types::mindos_primitives::NetUid as ChainNetUid},
    ChainClient,
};
use mindos_primitives::NetUid;
use serde_json::Value;
use subxt::{rpcs::rpc_params, utils::AccountId32};

use crate::{
    cli::{Ballot, GovCommand},
    stake::duration,
    tx,
    wallet::Context,
};
use view::hyperparameters_text;
pub use view::{printable, Action, Directive, DirectiveStatus, Proposal, Scope, Status};

/// Parts per billion in one whole.
const BILLION: u128 = 1_000_000_000;

/// `x · ppb / 10^9`, rounded down, without overflow (the pallet's `Perbill::mul_floor`).
pub fn mul_floor(ppb: u32, x: u128) -> u128 {
    let ppb = u128::from(ppb);
    (x / BILLION)
        .saturating_mul(ppb)
        .saturating_add((x % BILLION).saturating_mul(ppb) / BILLION)
}

/// `part / whole` in parts per billion, rounded down; `None` when `whole` is zero.
pub fn ratio_ppb(part: u128, whole: u128) -> Option<u32> {
    let ppb = match part.checked_mul(BILLION) {
        Some(scaled) => scaled.checked_div(whole)?,
        // Past u128 once scaled: divide by the whole in billionths instead, which is off by
        // at most one part per billion.
        None => part.checked_div((whole / BILLION).max(1))?,
    };
    Some(u32::try_from(ppb.min(BILLION)).unwrap_or(u32::MAX))
}

/// What `close` would decide if every recorded vote still counted in full (at `close` a vote
/// counts at most the voter's stake then): the pallet's rule, quorum first.
pub fn projection(
    ayes: u128,
    nays: u128,
    scope_stake: u128,
    quorum: u32,
    threshold: u32,
) -> &'static str {
    let cast = ayes.saturating_add(nays);
    if cast <= mul_floor(quorum, scope_stake) {
        "quorum not reached"
    } else if ayes <= mul_floor(threshold, cast) {
        "threshold not reached"
    } else {
        "passing"
    }
}

/// The directives pallet's constants: how proposals and votes work on this chain.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The base deposit.
    pub proposal_deposit: u128,
    /// The deposit doubles with every this many live proposals.
    pub doubles_every: u32,
    /// Proposals one account may have voting.
    pub max_per_account: u32,
    /// Proposals live at once.
    pub max_active: u32,
    /// Votes recorded per proposal.
    pub max_votes: u32,
    /// The least voting stake of a vote.
    pub min_voting_stake: u128,
    /// Blocks a proposal is open for votes.
    pub voting_period: u64,
    /// Blocks between passing and enactment.
    pub enactment_delay: u64,
    /// The same for the prime directive.
    pub prime_enactment_delay: u64,
    /// Share of the votes cast ayes must be above, ppb.
    pub approval: u32,
    /// The same for the prime directive, ppb.
    pub prime_approval: u32,
    /// Share of the scope's stake the votes cast must be above, ppb.
    pub quorum: u32,
    /// A failed proposal whose ayes stay below this share of the scope's stake loses its
    /// deposit, ppb.
    pub burn_threshold: u32,
    /// Directives stored at most.
    pub max_directives: u32,
    /// Longest title, bytes.
    pub max_title: u32,
    /// Longest text, bytes.
    pub max_text: u32,
    /// Milliseconds per block (twice `Timestamp::MinimumPeriod`).
    pub block_ms: u64,
}

impl Rules {
    /// Reads them at `at`.
    pub fn read(at: &AtBlock) -> anyhow::Result<Self> {
        let c = at.constants();
        let d = runtime::constants().directives();
        macro_rules! get {
            ($entry:expr) => {
                c.entry($entry).map_err(ChainError::from_subxt)?
            };
        }
        Ok(Rules {
            proposal_deposit: get!(d.proposal_deposit()),
            doubles_every: get!(d.proposal_deposit_doubles_every()),
            max_per_account: get!(d.max_proposals_per_account()),
            max_active: get!(d.max_active_proposals()),
            max_votes: get!(d.max_votes_per_proposal()),
            min_voting_stake: get!(d.min_voting_stake()),
            voting_period: u64::from(get!(d.voting_period())),
            enactment_delay: u64::from(get!(d.enactment_delay())),
            prime_enactment_delay: u64::from(get!(d.prime_enactment_delay())),
            approval: get!(d.approval_threshold()).0,
            prime_approval: get!(d.prime_approval_threshold()).0,
            quorum: get!(d.quorum()).0,
            burn_threshold: get!(d.deposit_burn_threshold()).0,
            max_directives: get!(d.max_directives()),
            max_title: get!(d.max_title_length()),
            max_text: get!(d.max_text_length()),
            block_ms: get!(runtime::constants().timestamp().minimum_period()).saturating_mul(2),
        })
    }

    /// The deposit of a proposal made while `live` proposals are live:
    /// `ProposalDeposit × 2^(live / ProposalDepositDoublesEvery)` (the pallet's
    /// `deposit_with_live`).
    pub fn deposit(&self, live: usize) -> u128 {
        let live = u32::try_from(live).unwrap_or(u32::MAX);
        let doublings = live.checked_div(self.doubles_every).unwrap_or(0);
        let factor = 2u128.checked_pow(doublings).unwrap_or(u128::MAX);
        self.proposal_deposit.saturating_mul(factor)
    }

    /// The approval threshold of a proposal, ppb.
    pub fn threshold(&self, supermajority: bool) -> u32 {
        if supermajority {
            self.prime_approval
        } else {
            self.approval
        }
    }

    fn time(&self, blocks: u64) -> String {
        duration(blocks.saturating_mul(self.block_ms) / 1000)
    }
}

/// The best block, read once: every read of one command is at this block.
struct Chain {
    client: ChainClient,
    at: AtBlock,
    rules: Rules,
}

impl Chain {
    async fn connect(cx: &Context<'_>) -> anyhow::Result<Self> {
        let client = cx.network.connect().await?;
        let at = client.at_best().await?;
        let rules = Rules::read(&at)?;
        Ok(Chain { client, at, rules })
    }

    fn block(&self) -> u64 {
        self.at.block_number()
    }

    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        method: &'static str,
    ) -> anyhow::Result<T> {
        self.client
            .mindos_read(method, rpc_params![self.at.block_hash()], None)
            .await
            .with_context(|| format!("reading {method}"))
    }

    async fn directives(&self) -> anyhow::Result<Vec<Directive>> {
        self.read("mindos_directives").await
    }

    async fn proposals(&self) -> anyhow::Result<Vec<Proposal>> {
        self.read("mindos_proposals").await
    }

    async fn registry(&self) -> anyhow::Result<Value> {
        self.read("mindos_parameters").await
    }

    /// Live proposal `index`, or an error saying there is none (exit 1).
    async fn proposal(&self, index: u32) -> anyhow::Result<Proposal> {
        self.proposals()
            .await?
            .into_iter()
            .find(|p| p.index == index)
            .ok_or_else(|| {
                anyhow!(
                    "no live proposal has index {index}: `mindos gov proposals` lists the live \
                     ones (a rejected proposal leaves at close, a passed one at enactment)"
                )
            })
    }

    /// `coldkey`'s voting stake in `scope` now: all its active stake, or its active stake on
    /// hotkeys registered on the subnet (the runtime's `VotingStake`).
    async fn voting_stake(&self, scope: Scope, coldkey: &AccountId32) -> anyhow::Result<u128> {
        let storage = self.at.storage();
        match scope {
            Scope::Network => Ok(storage
                .fetch(runtime::storage().stake().coldkey_stake(), (*coldkey,))
                .await
                .map_err(ChainError::from_subxt)?
                .decode()
                .map_err(ChainError::from_subxt)?),
            Scope::Subnet(netuid) => {
                let hotkeys = storage
                    .fetch(runtime::storage().stake().staked_hotkeys(), (*coldkey,))
                    .await
                    .map_err(ChainError::from_subxt)?
                    .decode()
                    .map_err(ChainError::from_subxt)?
                    .0;
                let mut sum: u128 = 0;
                for hotkey in hotkeys {
                    if self
                        .client
                        .uid(&self.at, NetUid(netuid), &hotkey)
                        .await?
                        .is_none()
                    {
                        continue;
                    }
                    let stake = storage
                        .fetch(runtime::storage().stake().stake_of(), (hotkey, *coldkey))
                        .await
                        .map_err(ChainError::from_subxt)?
                        .decode()
                        .map_err(ChainError::from_subxt)?;
                    sum = sum.saturating_add(stake);
                }
                Ok(sum)
            }
        }
    }

    /// All active stake in `scope` (the quorum's denominator; a subnet's as of its last epoch
    /// boundary).
    async fn scope_stake(&self, scope: Scope) -> anyhow::Result<u128> {
        let storage = self.at.storage();
        let value = match scope {
            Scope::Network => storage
                .fetch(runtime::storage().stake().total_stake(), ())
                .await
                .map_err(ChainError::from_subxt)?
                .decode()
                .map_err(ChainError::from_subxt)?,
            Scope::Subnet(netuid) => storage
                .fetch(
                    runtime::storage().stake().subnet_stake(),
                    (ChainNetUid(netuid),),
                )
                .await
                .map_err(ChainError::from_subxt)?
                .decode()
                .map_err(ChainError::from_subxt)?,
        };
        Ok(value)
    }

    /// The votes recorded on a voting proposal, smallest first: `(voter, aye, weight)`.
    async fn votes(&self, index: u32) -> anyhow::Result<Vec<(AccountId32, bool, u128)>> {
        let votes = self
            .at
            .storage()
            .fetch(runtime::storage().directives().votes_of(), (index,))
            .await
            .map_err(ChainError::from_subxt)?
            .decode()
            .map_err(ChainError::from_subxt)?;
        Ok(votes
            .0
            .into_iter()
            .map(|(voter, vote)| (voter, vote.aye, vote.weight))
            .collect())
    }
}

/// Runs a gov command.
pub async fn run(command: GovCommand, cx: &Context<'_>) -> anyhow::Result<()> {
    match command {
        GovCommand::Directives => read::directives(cx).await,
        GovCommand::Parameters => read::show_parameters(cx).await,
        GovCommand::Proposals => read::proposals(cx).await,
        GovCommand::Show { index } => read::show(cx, index).await,
        GovCommand::Propose(action) => propose::propose(cx, action).await,
        GovCommand::Vote {
            index,
            ballot,
            wallet,
        } => vote::vote(cx, index, ballot == Ballot::Aye, &wallet).await,
        GovCommand::Close { index, wallet } => vote::close(cx, index, &wallet).await,
    }
}

/// The events of the finalized transaction `done` (its own, not the whole block's).
async fn extrinsic_events(
    client: &ChainClient,
    done: &tx::Finalized,
) -> anyhow::Result<subxt::extrinsics::ExtrinsicEvents<mindos_chain_client::MindConfig>> {
    let at = client
        .api()
        .at_block(done.block_hash)
        .await
        .map_err(ChainError::from_subxt)?;
    let extrinsics = at
        .extrinsics()
        .fetch()
        .await
        .map_err(ChainError::from_subxt)?;
    for extrinsic in extrinsics.iter() {
        let extrinsic = extrinsic.map_err(ChainError::from_subxt)?;
        if extrinsic.hash() == done.extrinsic_hash {
            return Ok(extrinsic.events().await.map_err(ChainError::from_subxt)?);
        }
    }
    bail!(
        "transaction {:?} is not in block {:?}",
        done.extrinsic_hash,
        done.block_hash
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mindos_primitives::MIND;

    #[test]
    fn the_projection_follows_the_pallets_strict_inequalities() {
        // Quorum 20 % of 100: votes cast must be above 20.
        assert_eq!(
            projection(20, 0, 100, 200_000_000, 500_000_000),
            "quorum not reached"
        );
        assert_eq!(projection(21, 0, 100, 200_000_000, 500_000_000), "passing");
        // Approval above 50 % of the votes cast: a tie fails.
        assert_eq!(
            projection(15, 15, 100, 200_000_000, 500_000_000),
            "threshold not reached"
        );
        assert_eq!(projection(16, 15, 100, 200_000_000, 500_000_000), "passing");
        // Two thirds, rounded down (666_666_666 ppb): exactly two thirds passes.
        assert_eq!(projection(20, 10, 30, 0, 666_666_666), "passing");
        assert_eq!(
            projection(19, 10, 29, 0, 666_666_666),
            "threshold not reached"
        );
        assert_eq!(
            projection(0, 0, 0, 200_000_000, 500_000_000),
            "quorum not reached"
        );
    }

    #[test]
    fn shares_are_exact_and_do_not_overflow() {
        assert_eq!(mul_floor(500_000_000, 7), 3);
        assert_eq!(mul_floor(1_000_000_000, u128::MAX), u128::MAX);
        assert_eq!(ratio_ppb(1, 3), Some(333_333_333));
        assert_eq!(ratio_ppb(5, 0), None);
        // Past u128 when scaled: approximated, at most one part per billion off.
        let half = ratio_ppb(u128::MAX / 2, u128::MAX).unwrap();
        assert!((499_999_999..=500_000_000).contains(&half), "{half}");
        assert_eq!(ratio_ppb(50 * MIND, 70 * MIND), Some(714_285_714));
    }

    #[test]
    fn the_deposit_doubles_with_every_few_live_proposals() {
        let rules = Rules {
            proposal_deposit: 100 * MIND,
            doubles_every: 4,
            max_per_account: 4,
            max_active: 32,
            max_votes: 1024,
            min_voting_stake: 10 * MIND,
            voting_period: 10,
            enactment_delay: 1,
            prime_enactment_delay: 2,
            approval: 500_000_000,
            prime_approval: 666_666_666,
            quorum: 200_000_000,
            burn_threshold: 10_000_000,
            max_directives: 256,
            max_title: 128,
            max_text: 4096,
            block_ms: 6000,
        };
        assert_eq!(rules.deposit(0), 100 * MIND);
        assert_eq!(rules.deposit(3), 100 * MIND);
        assert_eq!(rules.deposit(4), 200 * MIND);
        assert_eq!(rules.deposit(31), 12_800 * MIND);
        assert_eq!(rules.threshold(true), 666_666_666);
        assert_eq!(rules.threshold(false), 500_000_000);
    }
}
