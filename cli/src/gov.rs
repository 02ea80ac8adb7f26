//! `mindos gov …`: directive governance. Reads come from the node's `mindos_directives`,
//! `mindos_proposals` and `mindos_parameters` methods (`crates/rpc/README.md`) and the
//! directives pallet's storage and constants, all at the node's best block; the
//! transactions are the pallet's `propose`, `vote` and `close`.
//!
//! Every transaction is checked before the password is asked for: the directive exists and
//! is in force, the prime directive is not repealed, a parameter's value is typed in its
//! units and differs from the current one, the proposal exists and is voting (or over, for
//! `close`), the wallet has voting stake in the proposal's scope, the table has room and the
//! wallet can hold the deposit. After signing, the transaction is tried on the best block's
//! state ([`crate::dry_run`]), so a rule only the runtime knows in full (a parameter that
//! breaks a rule of the registry) still costs nothing; then the deposit and the fee are
//! shown and confirmed.

pub mod parameters;

use anyhow::{anyhow, bail, Context as _};
use mindos_chain_client::{
    neuron::AtBlock,
    runtime::{
        self,
        directives::calls::propose::{Action as CallAction, Scope as CallScope},
        runtime_types::{
            bounded_collections::bounded_vec::BoundedVec,
            mindos_primitives::{Hyperparameters as ChainHyperparameters, NetUid as ChainNetUid},
            pallet_mindos_directives::parameters::ParameterValue,
        },
    },
    ChainClient,
};
use mindos_primitives::{HyperparameterBounds, HyperparameterError, Hyperparameters, NetUid};
use serde::Deserialize;
use serde_json::{json, Value};
use subxt::{rpcs::rpc_params, utils::AccountId32};

use crate::{
    address::to_ss58,
    amount::{format_mind, parse_mind},
    cli::{Ballot, DirectiveText, GovCommand, ProposeCommand},
    dry_run::{dry_run, Outcome},
    keystore::Sr25519Pair,
    stake::{duration, format_percent},
    subnet::{self, table},
    tx::{self, chain_error},
    wallet::{balances, check_spend, mind_json, unlock, Context},
};
use parameters::Parameter;

/// Parts per billion in one whole.
const BILLION: u128 = 1_000_000_000;

/// A directive as `mindos_directives` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directive {
    /// Its id; 0 is the prime directive.
    pub id: u32,
    /// Its title.
    pub title: String,
    /// Its text.
    pub text: String,
    /// In force or repealed.
    pub status: DirectiveStatus,
    /// Block it was enacted (0 for genesis directives).
    pub enacted_at: u64,
    /// Block of its last amendment.
    pub amended_at: Option<u64>,
}

/// Whether a directive is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DirectiveStatus {
    /// In force.
    Active,
    /// Repealed at block `at`.
    Repealed {
        /// The block of the repeal.
        at: u64,
    },
}

/// Who votes on a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// All active stake.
    Network,
    /// Active stake on the hotkeys registered on one subnet.
    Subnet(u16),
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Network => "network",
            Scope::Subnet(_) => "subnet",
        }
    }

    fn netuid(self) -> Option<u16> {
        match self {
            Scope::Network => None,
            Scope::Subnet(netuid) => Some(netuid),
        }
    }

    fn describe(self) -> String {
        match self {
            Scope::Network => "network (all active stake votes)".to_owned(),
            Scope::Subnet(netuid) => {
                format!("subnet {netuid} (stake on hotkeys registered on it votes)")
            }
        }
    }
}

/// Where a live proposal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Status {
    /// Open for votes until `voting_ends`.
    Voting,
    /// Passed; enacted at the first block at or after `enact_at`.
    Approved {
        /// The block it is enacted in.
        enact_at: u64,
    },
}

/// A live proposal as `mindos_proposals` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    /// Its index.
    pub index: u32,
    /// Who proposed it (SS58).
    pub proposer: String,
    /// What it does, in the node's JSON ([`Action::from_json`] reads it).
    pub action: Value,
    /// Who votes on it.
    pub scope: Scope,
    /// The deposit held.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    pub deposit: u128,
    /// Block it was proposed.
    pub submitted_at: u64,
    /// The first block it can be closed in (and no longer voted on).
    pub voting_ends: u64,
    /// Stake behind ayes as recorded at each vote.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    pub ayes: u128,
    /// Stake behind nays as recorded at each vote.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    pub nays: u128,
    /// Votes recorded.
    pub voters: u32,
    /// Whether it needs the supermajority (it amends the prime directive).
    pub supermajority: bool,
    /// Voting or approved.
    pub status: Status,
}

/// What a proposal does, read from the node's JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Add a directive.
    AddDirective {
        /// Its title.
        title: String,
        /// Its text.
        text: String,
    },
    /// Replace a directive's title and text.
    AmendDirective {
        /// The directive.
        id: u32,
        /// The new title.
        title: String,
        /// The new text.
        text: String,
    },
    /// Repeal a directive.
    RepealDirective {
        /// The directive.
        id: u32,
    },
    /// Set a governed network parameter.
    SetParameter {
        /// Which.
        parameter: &'static Parameter,
        /// Its new value, in the chain's JSON form.
        value: Value,
    },
    /// Set a subnet's hyperparameters (the subnet is the proposal's scope).
    SetHyperparameters(Hyperparameters<u128>),
    /// An action this version of `mindos` does not know (a newer runtime), as the node
    /// wrote it.
    Other(Value),
}

impl Action {
    /// Reads `mindos_proposals`' `action`: `{"addDirective": {"title", "text"}}`,
    /// `{"setParameter": {"kappa": 600000000}}`, ….
    pub fn from_json(value: &Value) -> Self {
        let other = || Action::Other(value.clone());
        let Some((kind, body)) = value.as_object().and_then(|o| o.iter().next()) else {
            return other();
        };
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let id = || {
            body.get("id")
                .and_then(Value::as_u64)
                .and_then(|id| u32::try_from(id).ok())
        };
        match kind.as_str() {
            "addDirective" => match (text("title"), text("text")) {
                (Some(title), Some(text)) => Action::AddDirective { title, text },
                _ => other(),
            },
            "amendDirective" => match (id(), text("title"), text("text")) {
                (Some(id), Some(title), Some(text)) => Action::AmendDirective { id, title, text },
                _ => other(),
            },
            "repealDirective" => id().map_or_else(other, |id| Action::RepealDirective { id }),
            "setParameter" => {
                let Some((key, inner)) = body.as_object().and_then(|o| o.iter().next()) else {
                    return other();
                };
                if key == "subnetHyperparameters" {
                    return serde_json::from_value(inner.clone())
                        .map_or_else(|_| other(), Action::SetHyperparameters);
                }
                match parameters::PARAMETERS.iter().find(|p| p.key == key) {
                    Some(parameter) => Action::SetParameter {
                        parameter,
                        value: inner.clone(),
                    },
                    None => other(),
                }
            }
            _ => other(),
        }
    }

    /// The command that proposes it: `add-directive`, `set-parameter`, ….
    pub fn kind(&self) -> &'static str {
        match self {
            Action::AddDirective { .. } => "add-directive",
            Action::AmendDirective { .. } => "amend-directive",
            Action::RepealDirective { .. } => "repeal-directive",
            Action::SetParameter { .. } => "set-parameter",
            Action::SetHyperparameters(_) => "set-hyperparameters",
            Action::Other(_) => "other",
        }
    }

    /// One line for people.
    pub fn summary(&self, scope: Scope, block_ms: u64) -> String {
        match self {
            Action::AddDirective { title, .. } => {
                format!("add directive “{}”", printable(title, false))
            }
            Action::AmendDirective { id, title, .. } => {
                format!("amend directive {id}, titled “{}”", printable(title, false))
            }
            Action::RepealDirective { id } => format!("repeal directive {id}"),
            Action::SetParameter { parameter, value } => format!(
                "set {} to {}",
                parameter.name,
                parameters::describe(parameter, value, block_ms)
            ),
            Action::SetHyperparameters(h) => format!(
                "set the hyperparameters of subnet {}: {}",
                scope.netuid().map_or("?".to_owned(), |n| n.to_string()),
                hyperparameters_text(h)
            ),
            Action::Other(value) => format!("(an action this mindos does not know: {value})"),
        }
    }

    /// The action as `--json` prints it: every key always present, `null` where it does not
    /// apply.
    pub fn json(&self, scope: Scope, block_ms: u64) -> Value {
        let (directive, title, text, parameter, value) = match self {
            Action::AddDirective { title, text } => (None, Some(title), Some(text), None, None),
            Action::AmendDirective { id, title, text } => {
                (Some(*id), Some(title), Some(text), None, None)
            }
            Action::RepealDirective { id } => (Some(*id), None, None, None, None),
            Action::SetParameter { parameter, value } => (
                None,
                None,
                None,
                Some(parameter.name),
                Some(json!(parameters::format(parameter, value))),
            ),
            Action::SetHyperparameters(h) => (
                None,
                None,
                None,
                Some("hyperparameters"),
                Some(hyperparameters_json(h)),
            ),
            Action::Other(value) => (None, None, None, None, Some(value.clone())),
        };
        json!({
            "kind": self.kind(),
            "summary": self.summary(scope, block_ms),
            "directive": directive,
            "title": title,
            "text": text,
            "parameter": parameter,
            "value": value,
        })
    }
}

/// Text from the chain made safe for a terminal: control characters (an escape sequence in
/// a directive someone proposed) become `�`; newlines stay where `multiline`.
pub fn printable(text: &str, multiline: bool) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !(multiline && c == '\n') {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

fn hyperparameters_text(h: &Hyperparameters<u128>) -> String {
    format!(
        "tempo {}, max-neurons {}, max-validators {}, immunity-period {}, \
         min-validator-stake {} MIND, commit-reveal {}",
        h.tempo,
        h.max_neurons,
        h.max_validators,
        h.immunity_period,
        format_mind(h.min_validator_stake),
        h.commit_reveal
    )
}

fn hyperparameters_json(h: &Hyperparameters<u128>) -> Value {
    json!({
        "tempo": h.tempo,
        "max_neurons": h.max_neurons,
        "max_validators": h.max_validators,
        "immunity_period": h.immunity_period,
        "min_validator_stake": mind_json(h.min_validator_stake),
        "commit_reveal": h.commit_reveal,
    })
}

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
                c.entry($entry).map_err(chain_error)?
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
                .map_err(chain_error)?
                .decode()
                .map_err(chain_error)?),
            Scope::Subnet(netuid) => {
                let hotkeys = storage
                    .fetch(runtime::storage().stake().staked_hotkeys(), (*coldkey,))
                    .await
                    .map_err(chain_error)?
                    .decode()
                    .map_err(chain_error)?
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
                        .map_err(chain_error)?
                        .decode()
                        .map_err(chain_error)?;
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
                .map_err(chain_error)?
                .decode()
                .map_err(chain_error)?,
            Scope::Subnet(netuid) => storage
                .fetch(
                    runtime::storage().stake().subnet_stake(),
                    (ChainNetUid(netuid),),
                )
                .await
                .map_err(chain_error)?
                .decode()
                .map_err(chain_error)?,
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
            .map_err(chain_error)?
            .decode()
            .map_err(chain_error)?;
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
        GovCommand::Directives => directives(cx).await,
        GovCommand::Parameters => show_parameters(cx).await,
        GovCommand::Proposals => proposals(cx).await,
        GovCommand::Show { index } => show(cx, index).await,
        GovCommand::Propose(action) => propose(cx, action).await,
        GovCommand::Vote {
            index,
            ballot,
            wallet,
        } => vote(cx, index, ballot == Ballot::Aye, &wallet).await,
        GovCommand::Close { index, wallet } => close(cx, index, &wallet).await,
    }
}

fn directive_json(d: &Directive) -> Value {
    let (status, repealed_at) = match d.status {
        DirectiveStatus::Active => ("active", None),
        DirectiveStatus::Repealed { at } => ("repealed", Some(at)),
    };
    json!({
        "id": d.id,
        "title": d.title,
        "text": d.text,
        "status": status,
        "repealed_at": repealed_at,
        "enacted_at": d.enacted_at,
        "amended_at": d.amended_at,
    })
}

async fn directives(cx: &Context<'_>) -> anyhow::Result<()> {
    let chain = Chain::connect(cx).await?;
    let directives = chain.directives().await?;
    let mut text = Vec::new();
    for d in &directives {
        let mut status = match d.status {
            DirectiveStatus::Active => "in force".to_owned(),
            DirectiveStatus::Repealed { at } => format!("REPEALED at block #{at}"),
        };
        status.push_str(&if d.enacted_at == 0 {
            ", since genesis".to_owned()
        } else {
            format!(", enacted at block #{}", d.enacted_at)
        });
        if let Some(at) = d.amended_at {
            status.push_str(&format!(", amended at block #{at}"));
        }
        if d.id == 0 {
            status.push_str("; the prime directive: amended only by two thirds, never repealed");
        }
        let body = printable(&d.text, true)
            .lines()
            .map(|line| format!("    {line}"))
            .collect::<Vec<_>>()
            .join("\n");
        text.push(format!(
            "{}. {} ({status})\n{body}",
            d.id,
            printable(&d.title, false)
        ));
    }
    text.push(format!("(best block #{})", chain.block()));
    cx.ui.result(
        &text.join("\n\n"),
        json!({
            "block": chain.block(),
            "directives": directives.iter().map(directive_json).collect::<Vec<_>>(),
        }),
    );
    Ok(())
}

async fn show_parameters(cx: &Context<'_>) -> anyhow::Result<()> {
    let chain = Chain::connect(cx).await?;
    let registry = chain.registry().await?;
    let live = chain.proposals().await?.len();
    let r = &chain.rules;
    let mut lines = Vec::new();
    let mut documents = Vec::new();
    for parameter in &parameters::PARAMETERS {
        let value = parameters::current(parameter, &registry)?;
        lines.push(format!(
            "  {:<28} {}  ({})\n  {:<28}   {}",
            parameter.name,
            parameters::format(parameter, &value),
            parameters::unit_note(parameter, &value, r.block_ms),
            "",
            parameter.about,
        ));
        documents.push(json!({
            "name": parameter.name,
            "unit": parameter.unit.name(),
            "value": parameters::format(parameter, &value),
            "chain_value": value,
            "about": parameter.about,
        }));
    }
    let pct = |ppb: u32| format!("{} %", format_percent(ppb));
    let text = format!(
        "Governed parameters (best block #{}); change one with `mindos gov propose set-parameter \
         NAME VALUE`, VALUE written as here:\n\n{}\n\n\
         How proposals work on this chain (runtime constants):\n  \
         voting period:        {} blocks ({})\n  \
         passes with:          votes cast above {} of the scope's stake, ayes above {} of the \
         votes ({} to amend the prime directive)\n  \
         enacted after:        {} blocks ({}); the prime directive {} blocks ({})\n  \
         deposit:              {} MIND now ({} proposals live), doubling every {} live \
         proposals; all of it burned if the proposal fails with ayes below {} of the stake\n  \
         a vote needs:         {} MIND of active stake in the proposal's scope\n  \
         limits:               {} proposals live, {} voting per account; titles {} bytes, \
         texts {} bytes",
        chain.block(),
        lines.join("\n"),
        r.voting_period,
        r.time(r.voting_period),
        pct(r.quorum),
        pct(r.approval),
        pct(r.prime_approval),
        r.enactment_delay,
        r.time(r.enactment_delay),
        r.prime_enactment_delay,
        r.time(r.prime_enactment_delay),
        format_mind(r.deposit(live)),
        live,
        r.doubles_every,
        pct(r.burn_threshold),
        format_mind(r.min_voting_stake),
        r.max_active,
        r.max_per_account,
        r.max_title,
        r.max_text,
    );
    cx.ui.result(
        &text,
        json!({
            "block": chain.block(),
            "parameters": documents,
            "rules": {
                "voting_period": r.voting_period,
                "enactment_delay": r.enactment_delay,
                "prime_enactment_delay": r.prime_enactment_delay,
                "quorum_ppb": r.quorum,
                "approval_threshold_ppb": r.approval,
                "prime_approval_threshold_ppb": r.prime_approval,
                "deposit_burn_threshold_ppb": r.burn_threshold,
                "proposal_deposit": mind_json(r.proposal_deposit),
                "next_deposit": mind_json(r.deposit(live)),
                "min_voting_stake": mind_json(r.min_voting_stake),
                "max_active_proposals": r.max_active,
                "max_proposals_per_account": r.max_per_account,
                "max_title_length": r.max_title,
                "max_text_length": r.max_text,
                "block_ms": r.block_ms,
            },
        }),
    );
    Ok(())
}

/// The fields a proposal has in `gov proposals --json` and `gov show --json`.
fn proposal_fields(p: &Proposal, block_ms: u64) -> serde_json::Map<String, Value> {
    let action = Action::from_json(&p.action);
    let (status, enact_at) = match p.status {
        Status::Voting => ("voting", None),
        Status::Approved { enact_at } => ("approved", Some(enact_at)),
    };
    let Value::Object(map) = json!({
        "index": p.index,
        "proposer": p.proposer,
        "action": action.json(p.scope, block_ms),
        "scope": p.scope.name(),
        "netuid": p.scope.netuid(),
        "deposit": mind_json(p.deposit),
        "submitted_at": p.submitted_at,
        "voting_ends": p.voting_ends,
        "status": status,
        "enact_at": enact_at,
    }) else {
        return serde_json::Map::new();
    };
    map
}

fn status_text(p: &Proposal, now: u64, rules: &Rules) -> String {
    match p.status {
        Status::Voting if now < p.voting_ends => {
            let left = p.voting_ends.saturating_sub(now);
            format!(
                "voting until block #{} ({})",
                p.voting_ends,
                rules.time(left)
            )
        }
        Status::Voting => format!(
            "voting over since block #{}: anyone may close it",
            p.voting_ends
        ),
        Status::Approved { enact_at } => format!("passed; enacted at block #{enact_at}"),
    }
}

async fn proposals(cx: &Context<'_>) -> anyhow::Result<()> {
    let chain = Chain::connect(cx).await?;
    let proposals = chain.proposals().await?;
    let r = &chain.rules;
    let now = chain.block();
    let mut rows = vec![[
        "INDEX", "ACTION", "SCOPE", "AYES", "NAYS", "VOTERS", "STATUS",
    ]
    .map(str::to_owned)];
    let mut documents = Vec::new();
    for p in &proposals {
        let action = Action::from_json(&p.action);
        let mut summary = action.summary(p.scope, r.block_ms);
        if summary.chars().count() > 60 {
            summary = format!("{}…", summary.chars().take(59).collect::<String>());
        }
        rows.push([
            p.index.to_string(),
            summary,
            p.scope
                .netuid()
                .map_or("network".to_owned(), |n| format!("subnet {n}")),
            format!("{} MIND", format_mind(p.ayes)),
            format!("{} MIND", format_mind(p.nays)),
            p.voters.to_string(),
            status_text(p, now, r),
        ]);
        let mut fields = proposal_fields(p, r.block_ms);
        fields.insert("ayes".into(), mind_json(p.ayes));
        fields.insert("nays".into(), mind_json(p.nays));
        fields.insert("voters".into(), json!(p.voters));
        fields.insert("supermajority".into(), json!(p.supermajority));
        documents.push(Value::Object(fields));
    }
    let text = if proposals.is_empty() {
        format!(
            "no live proposals (best block #{now}); propose one with `mindos gov propose`, for a \
             deposit of {} MIND",
            format_mind(r.deposit(0))
        )
    } else {
        format!(
            "{}\n(best block #{now}; ayes and nays as recorded at each vote; details: `mindos gov \
             show INDEX`)",
            table(&rows)
        )
    };
    cx.ui.result(
        &text,
        json!({
            "block": now,
            "next_deposit": mind_json(r.deposit(proposals.len())),
            "proposals": documents,
        }),
    );
    Ok(())
}

async fn show(cx: &Context<'_>, index: u32) -> anyhow::Result<()> {
    let chain = Chain::connect(cx).await?;
    let p = chain.proposal(index).await?;
    let r = &chain.rules;
    let now = chain.block();
    let scope_stake = chain.scope_stake(p.scope).await?;
    let votes = match p.status {
        Status::Voting => chain.votes(index).await?,
        // Closed: the votes were counted and cleared; the tally stays.
        Status::Approved { .. } => Vec::new(),
    };
    let threshold = r.threshold(p.supermajority);
    let cast = p.ayes.saturating_add(p.nays);
    let approval = ratio_ppb(p.ayes, cast);
    let turnout = ratio_ppb(cast, scope_stake);
    let outlook = projection(p.ayes, p.nays, scope_stake, r.quorum, threshold);
    let blocks_left = match p.status {
        Status::Voting => p.voting_ends.saturating_sub(now),
        Status::Approved { .. } => 0,
    };
    let seconds_left = blocks_left.saturating_mul(r.block_ms) / 1000;
    let action = Action::from_json(&p.action);
    let pct = |ppb: Option<u32>| ppb.map_or("-".to_owned(), |v| format!("{} %", format_percent(v)));

    let mut lines = vec![
        format!("proposal {index}: {}", action.summary(p.scope, r.block_ms)),
        format!("  proposer:     {}", p.proposer),
        format!("  scope:        {}", p.scope.describe()),
        format!(
            "  deposit:      {} MIND held until it is closed",
            format_mind(p.deposit)
        ),
        format!("  proposed at:  block #{}", p.submitted_at),
        format!("  status:       {}", status_text(&p, now, r)),
        format!(
            "  tally:        ayes {} MIND, nays {} MIND, {} vote{}",
            format_mind(p.ayes),
            format_mind(p.nays),
            p.voters,
            if p.voters == 1 { "" } else { "s" }
        ),
        format!(
            "  approval:     {} of the votes cast are ayes; it passes above {}{}",
            pct(approval),
            pct(Some(threshold)),
            if p.supermajority {
                " (a supermajority: it amends the prime directive)"
            } else {
                " (simple majority)"
            }
        ),
        format!(
            "  turnout:      {} of the {} MIND staked in its scope; the quorum is above {}",
            pct(turnout),
            format_mind(scope_stake),
            pct(Some(r.quorum))
        ),
    ];
    if p.status == Status::Voting {
        lines.push(format!(
            "  if closed now: {outlook} (counting each vote at most the voter's stake at close)"
        ));
    }
    match &action {
        Action::AddDirective { text, .. } | Action::AmendDirective { text, .. } => {
            lines.push("  text:".to_owned());
            lines.extend(
                printable(text, true)
                    .lines()
                    .map(|line| format!("    {line}")),
            );
        }
        _ => {}
    }
    if !votes.is_empty() {
        lines.push("  votes (largest first):".to_owned());
        for (voter, aye, weight) in votes.iter().rev() {
            lines.push(format!(
                "    {}  {}  {} MIND",
                if *aye { "aye" } else { "nay" },
                to_ss58(voter),
                format_mind(*weight)
            ));
        }
    }
    lines.push(format!("(best block #{now})"));

    let mut fields = proposal_fields(&p, r.block_ms);
    fields.insert("block".into(), json!(now));
    fields.insert("block_ms".into(), json!(r.block_ms));
    fields.insert("blocks_left".into(), json!(blocks_left));
    fields.insert("seconds_left".into(), json!(seconds_left));
    fields.insert(
        "tally".into(),
        json!({
            "ayes": mind_json(p.ayes),
            "nays": mind_json(p.nays),
            "voters": p.voters,
            "approval_ppb": approval,
            "turnout_ppb": turnout,
            "scope_stake": mind_json(scope_stake),
            "quorum_ppb": r.quorum,
            "threshold_ppb": threshold,
            "supermajority": p.supermajority,
            "projection": if p.status == Status::Voting { Some(outlook) } else { None },
        }),
    );
    fields.insert(
        "votes".into(),
        json!(votes
            .iter()
            .rev()
            .map(|(voter, aye, weight)| json!({
                "voter": to_ss58(voter),
                "aye": aye,
                "weight": mind_json(*weight),
            }))
            .collect::<Vec<_>>()),
    );
    cx.ui.result(&lines.join("\n"), Value::Object(fields));
    Ok(())
}

/// A title or text as typed, checked against the chain's limits: not empty (after trimming),
/// at most `max` bytes, no control characters (newlines and tabs only in a text).
fn checked_text(what: &str, text: &str, max: u32, multiline: bool) -> anyhow::Result<String> {
    let text = text.trim();
    if text.is_empty() {
        bail!("the {what} is empty; nothing was sent");
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !(multiline && (*c == '\n' || *c == '\t')))
    {
        bail!(
            "the {what} contains the control character {:?}{}; nothing was sent",
            c,
            if multiline {
                ""
            } else {
                " (a title is one line)"
            }
        );
    }
    if text.len() > max as usize {
        bail!(
            "the {what} is {} bytes long; the chain takes at most {max}. Nothing was sent",
            text.len()
        );
    }
    Ok(text.to_owned())
}

/// The directive text given with --text or --text-file (`-`: stdin), if any.
fn read_text(text: &DirectiveText) -> anyhow::Result<Option<String>> {
    if let Some(text) = &text.text {
        return Ok(Some(text.clone()));
    }
    let Some(path) = &text.text_file else {
        return Ok(None);
    };
    let content = if path.as_os_str() == "-" {
        let mut buffer = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut buffer)
            .context("reading the text from stdin")?;
        buffer
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    Ok(Some(content))
}

/// An active directive by id, or why not.
fn active(directives: &[Directive], id: u32) -> anyhow::Result<&Directive> {
    let directive = directives.iter().find(|d| d.id == id).ok_or_else(|| {
        anyhow!("no directive has id {id} (`mindos gov directives` lists them); nothing was sent")
    })?;
    if let DirectiveStatus::Repealed { at } = directive.status {
        bail!("directive {id} was repealed at block #{at}; nothing was sent");
    }
    Ok(directive)
}

/// A proposal ready to be signed.
struct Prepared {
    action: CallAction,
    scope: Scope,
    /// What the action does, as `gov show` would print it.
    shown: Action,
}

async fn prepare(chain: &Chain, command: &ProposeCommand) -> anyhow::Result<Prepared> {
    let r = &chain.rules;
    let bytes = |s: &str| BoundedVec(s.as_bytes().to_vec());
    Ok(match command {
        ProposeCommand::AddDirective { title, text, .. } => {
            let title = checked_text("title", title, r.max_title, false)?;
            let text = read_text(text)?
                .ok_or_else(|| anyhow!("give the directive's text with --text or --text-file"))?;
            let text = checked_text("text", &text, r.max_text, true)?;
            let directives = chain.directives().await?;
            if directives.len() >= r.max_directives as usize {
                bail!(
                    "the chain holds its maximum of {} directives (repealed ones included); \
                     nothing was sent",
                    r.max_directives
                );
            }
            Prepared {
                action: CallAction::AddDirective {
                    title: bytes(&title),
                    text: bytes(&text),
                },
                scope: Scope::Network,
                shown: Action::AddDirective { title, text },
            }
        }
        ProposeCommand::AmendDirective {
            id, title, text, ..
        } => {
            let new_text = read_text(text)?;
            if title.is_none() && new_text.is_none() {
                bail!("give a new --title, a new --text (or --text-file), or both");
            }
            let directives = chain.directives().await?;
            let current = active(&directives, *id)?;
            let title = checked_text(
                "title",
                title.as_deref().unwrap_or(&current.title),
                r.max_title,
                false,
            )?;
            let text = checked_text(
                "text",
                new_text.as_deref().unwrap_or(&current.text),
                r.max_text,
                true,
            )?;
            if title == current.title && text == current.text {
                bail!("directive {id} already has this title and text; nothing to propose");
            }
            Prepared {
                action: CallAction::AmendDirective {
                    id: *id,
                    title: bytes(&title),
                    text: bytes(&text),
                },
                scope: Scope::Network,
                shown: Action::AmendDirective {
                    id: *id,
                    title,
                    text,
                },
            }
        }
        ProposeCommand::RepealDirective { id, .. } => {
            if *id == 0 {
                bail!(
                    "directive 0 is the prime directive: it can be amended (by two thirds), never \
                     repealed. Nothing was sent"
                );
            }
            active(&chain.directives().await?, *id)?;
            Prepared {
                action: CallAction::RepealDirective { id: *id },
                scope: Scope::Network,
                shown: Action::RepealDirective { id: *id },
            }
        }
        ProposeCommand::SetParameter { name, value, .. } => {
            let parameter = parameters::find(name)?;
            let registry = chain.registry().await?;
            let current = parameters::current(parameter, &registry)?;
            let new = parameters::parse(parameter, value, &current)
                .with_context(|| format!("{} `{value}`", parameter.name))?;
            if new == current {
                bail!(
                    "{} is {} already; nothing to propose",
                    parameter.name,
                    parameters::describe(parameter, &current, r.block_ms)
                );
            }
            Prepared {
                action: CallAction::SetParameter(parameters::to_call(parameter, &new)?),
                scope: Scope::Network,
                shown: Action::SetParameter {
                    parameter,
                    value: new,
                },
            }
        }
        ProposeCommand::SetHyperparameters {
            netuid,
            tempo,
            max_neurons,
            max_validators,
            immunity_period,
            min_validator_stake,
            commit_reveal,
            ..
        } => {
            let stake = min_validator_stake.as_deref().map(parse_mind).transpose()?;
            let pinned = subnet::Pinned {
                hash: chain.at.block_hash(),
                number: chain.block(),
            };
            let current = subnet::subnet(&chain.client, *netuid, pinned)
                .await?
                .hyperparameters;
            let new = Hyperparameters {
                tempo: tempo.unwrap_or(current.tempo),
                max_neurons: max_neurons.unwrap_or(current.max_neurons),
                max_validators: max_validators.unwrap_or(current.max_validators),
                immunity_period: immunity_period.unwrap_or(current.immunity_period),
                min_validator_stake: stake.unwrap_or(current.min_validator_stake),
                commit_reveal: commit_reveal.unwrap_or(current.commit_reveal),
            };
            if new == current {
                bail!(
                    "give at least one hyperparameter that differs from subnet {netuid}'s \
                     current ones ({}); nothing to propose",
                    hyperparameters_text(&current)
                );
            }
            let registry = chain.registry().await?;
            let bounds: HyperparameterBounds<u128> = serde_json::from_value(
                registry
                    .get("hyperparameterBounds")
                    .cloned()
                    .unwrap_or(Value::Null),
            )
            .context("reading the hyperparameter bounds from mindos_parameters")?;
            check_bounds(&bounds, &new)?;
            Prepared {
                action: CallAction::SetParameter(ParameterValue::SubnetHyperparameters(
                    ChainHyperparameters {
                        tempo: new.tempo,
                        max_neurons: new.max_neurons,
                        max_validators: new.max_validators,
                        immunity_period: new.immunity_period,
                        min_validator_stake: new.min_validator_stake,
                        commit_reveal: new.commit_reveal,
                    },
                )),
                scope: Scope::Subnet(*netuid),
                shown: Action::SetHyperparameters(new),
            }
        }
    })
}

/// Refuses hyperparameters outside the governed bounds, naming the bound.
pub fn check_bounds(
    bounds: &HyperparameterBounds<u128>,
    h: &Hyperparameters<u128>,
) -> anyhow::Result<()> {
    let Err(error) = bounds.check(h) else {
        return Ok(());
    };
    let (what, value, range) = match error {
        HyperparameterError::Tempo => (
            "tempo",
            h.tempo.to_string(),
            format!("{}..{}", bounds.tempo.min, bounds.tempo.max),
        ),
        HyperparameterError::MaxNeurons => (
            "max-neurons",
            h.max_neurons.to_string(),
            format!("{}..{}", bounds.max_neurons.min, bounds.max_neurons.max),
        ),
        HyperparameterError::MaxValidators => (
            "max-validators",
            h.max_validators.to_string(),
            format!(
                "{}..{} and at most max-neurons ({})",
                bounds.max_validators.min, bounds.max_validators.max, h.max_neurons
            ),
        ),
        HyperparameterError::ImmunityPeriod => (
            "immunity-period",
            h.immunity_period.to_string(),
            format!(
                "{}..{}",
                bounds.immunity_period.min, bounds.immunity_period.max
            ),
        ),
        HyperparameterError::MinValidatorStake => (
            "min-validator-stake",
            format!("{} MIND", format_mind(h.min_validator_stake)),
            format!(
                "{}..{} MIND",
                format_mind(bounds.min_validator_stake.min),
                format_mind(bounds.min_validator_stake.max)
            ),
        ),
    };
    bail!(
        "{what} {value} is outside the governed bounds {range}; nothing was sent (`mindos gov \
         parameters` shows the bounds)"
    )
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
        .map_err(chain_error)?;
    let extrinsics = at.extrinsics().fetch().await.map_err(chain_error)?;
    for extrinsic in extrinsics.iter() {
        let extrinsic = extrinsic.map_err(chain_error)?;
        if extrinsic.hash() == done.extrinsic_hash {
            return Ok(extrinsic.events().await.map_err(chain_error)?);
        }
    }
    bail!(
        "transaction {:?} is not in block {:?}",
        done.extrinsic_hash,
        done.block_hash
    )
}

/// Signs `call`, refuses it if the wallet cannot pay `spend` (a deposit) plus the fee and stay
/// alive, tries it on the best block ([`dry_run`]), shows `summary` and the fee, asks, sends
/// it and follows it to finality. Nothing is sent on any error before the confirmation.
async fn send_checked<Call: subxt::transactions::Payload>(
    cx: &Context<'_>,
    client: &ChainClient,
    pair: &Sr25519Pair,
    call: &Call,
    what: &str,
    spend: u128,
    summary: &str,
) -> anyhow::Result<(tx::Finalized, u128)> {
    let signed = tx::sign(client, call, pair).await?;
    let existential_deposit = client
        .api()
        .at_current_block()
        .await
        .map_err(chain_error)?
        .constants()
        .entry(runtime::constants().balances().existential_deposit())
        .map_err(chain_error)?;
    let b = balances(client, &pair.account()).await?;
    check_spend(&b, what, spend, signed.fee, existential_deposit)?;
    if let Outcome::Untried(reason) = dry_run(client, &signed).await? {
        cx.ui.note(&format!("note: {reason}"));
    }
    cx.ui.note(&format!(
        "{summary}\nfee: about {} MIND",
        format_mind(signed.fee)
    ));
    cx.ui.confirm("Sign and send?")?;
    let fee = signed.fee;
    let done = tx::send(client, signed, cx.ui).await?;
    Ok((done, fee))
}

fn finalized_json(fields: &mut serde_json::Map<String, Value>, done: &tx::Finalized, fee: u128) {
    fields.insert("fee_estimate".into(), mind_json(fee));
    fields.insert("block_hash".into(), json!(format!("{:?}", done.block_hash)));
    fields.insert("block_number".into(), json!(done.block_number));
    fields.insert(
        "extrinsic_hash".into(),
        json!(format!("{:?}", done.extrinsic_hash)),
    );
}

async fn propose(cx: &Context<'_>, command: ProposeCommand) -> anyhow::Result<()> {
    let wallet_name = match &command {
        ProposeCommand::AddDirective { wallet, .. }
        | ProposeCommand::AmendDirective { wallet, .. }
        | ProposeCommand::RepealDirective { wallet, .. }
        | ProposeCommand::SetParameter { wallet, .. }
        | ProposeCommand::SetHyperparameters { wallet, .. } => wallet.clone(),
    };
    // What needs no chain is checked first: a parameter's name and value's shape.
    if let ProposeCommand::SetParameter { name, .. } = &command {
        parameters::find(name)?;
    }
    let wallet = cx.wallets.load(&wallet_name)?;
    let proposer = wallet.keystore.account()?;
    let chain = Chain::connect(cx).await?;
    let r = chain.rules;
    let prepared = prepare(&chain, &command).await?;

    let live = chain.proposals().await?;
    if live.len() >= r.max_active as usize {
        bail!(
            "{} proposals are live, the chain's maximum; one must be closed or enacted first. \
             Nothing was sent",
            live.len()
        );
    }
    let proposer_ss58 = to_ss58(&proposer);
    let open = live
        .iter()
        .filter(|p| p.proposer == proposer_ss58 && p.status == Status::Voting)
        .count();
    if open >= r.max_per_account as usize {
        bail!(
            "wallet `{wallet_name}` has {open} proposals voting, the most one account may have; \
             wait until one is closed. Nothing was sent"
        );
    }
    let deposit = r.deposit(live.len());
    let surcharge = deposit.saturating_sub(r.proposal_deposit);
    if let Scope::Subnet(netuid) = prepared.scope {
        if chain.scope_stake(prepared.scope).await? == 0 {
            cx.ui.note(&format!(
                "note: no stake is counted on subnet {netuid} yet, so nobody can vote on this \
                 proposal until its hotkeys are staked"
            ));
        }
    }

    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().directives().propose(
        prepared.action,
        match prepared.scope {
            Scope::Network => CallScope::Network,
            Scope::Subnet(netuid) => CallScope::Subnet(ChainNetUid(netuid)),
        },
    );
    let summary = format!(
        "propose: {}\nscope: {}\nvoting: {} blocks ({}) once it lands; then anyone may close it\n\
         deposit: {} MIND held from `{wallet_name}` ({proposer_ss58}) until it is closed: \
         returned if it passes{}; all of it burned if it fails with ayes below {} % of the \
         scope's stake",
        prepared.shown.summary(prepared.scope, r.block_ms),
        prepared.scope.describe(),
        r.voting_period,
        r.time(r.voting_period),
        format_mind(deposit),
        if surcharge > 0 {
            format!(
                "; if it fails, the {} MIND above the base deposit (charged because {} \
                 proposals are live) is burned",
                format_mind(surcharge),
                live.len()
            )
        } else {
            String::new()
        },
        format_percent(r.burn_threshold),
    );
    let (done, fee) = send_checked(
        cx,
        &chain.client,
        &pair,
        &call,
        "holding as the deposit",
        deposit,
        &summary,
    )
    .await?;
    let events = extrinsic_events(&chain.client, &done).await?;
    let proposed = events
        .find_first::<runtime::directives::events::Proposed>()
        .ok_or_else(|| anyhow!("the transaction succeeded but emitted no Proposed event"))?
        .map_err(chain_error)?;
    let text = format!(
        "proposal {} submitted: {}; {} MIND deposit held; voting until block #{} ({}); finalized \
         in block #{} ({:?})\nvote on it with `mindos gov vote {} aye|nay --wallet W`",
        proposed.index,
        prepared.shown.summary(prepared.scope, r.block_ms),
        format_mind(proposed.deposit),
        proposed.voting_ends,
        r.time(u64::from(proposed.voting_ends).saturating_sub(done.block_number)),
        done.block_number,
        done.block_hash,
        proposed.index,
    );
    let mut fields = serde_json::Map::new();
    fields.insert("index".into(), json!(proposed.index));
    fields.insert("proposer".into(), json!(proposer_ss58));
    fields.insert(
        "action".into(),
        prepared.shown.json(prepared.scope, r.block_ms),
    );
    fields.insert("scope".into(), json!(prepared.scope.name()));
    fields.insert("netuid".into(), json!(prepared.scope.netuid()));
    fields.insert("deposit".into(), mind_json(proposed.deposit));
    fields.insert("voting_ends".into(), json!(proposed.voting_ends));
    finalized_json(&mut fields, &done, fee);
    cx.ui.result(&text, Value::Object(fields));
    Ok(())
}

/// Refuses a vote the chain would refuse, or one that would change nothing: returns the note
/// on what the vote does to an earlier one, if any.
pub fn check_vote(
    index: u32,
    aye: bool,
    weight: u128,
    min_voting_stake: u128,
    max_votes: u32,
    votes: &[(AccountId32, bool, u128)],
    voter: &AccountId32,
) -> anyhow::Result<Option<String>> {
    let side = |aye: bool| if aye { "aye" } else { "nay" };
    if weight == 0 || weight < min_voting_stake {
        bail!(
            "the wallet has {} MIND of active stake that votes on proposal {index}; a vote \
             needs at least {} MIND (stake with `mindos stake add`). Nothing was sent",
            format_mind(weight),
            format_mind(min_voting_stake)
        );
    }
    if let Some((_, old_aye, old_weight)) = votes.iter().find(|(who, _, _)| who == voter) {
        if *old_aye == aye && *old_weight == weight {
            bail!(
                "the wallet already voted {} on proposal {index} with {} MIND, as it would \
                 now; nothing to change, nothing was sent",
                side(aye),
                format_mind(weight)
            );
        }
        return Ok(Some(if *old_aye == aye {
            format!(
                "updates the wallet's {} vote from {} to {} MIND",
                side(aye),
                format_mind(*old_weight),
                format_mind(weight)
            )
        } else {
            format!(
                "changes the wallet's vote from {} to {}",
                side(*old_aye),
                side(aye)
            )
        }));
    }
    if votes.len() >= max_votes as usize {
        let smallest = votes.first().map_or(0, |(_, _, w)| *w);
        if weight <= smallest {
            bail!(
                "proposal {index} holds its maximum of {max_votes} votes and the smallest has {} \
                 MIND, not less than the wallet's {} MIND; nothing was sent",
                format_mind(smallest),
                format_mind(weight)
            );
        }
        return Ok(Some(format!(
            "the vote list is full: this vote evicts the smallest one ({} MIND)",
            format_mind(smallest)
        )));
    }
    Ok(None)
}

async fn vote(cx: &Context<'_>, index: u32, aye: bool, wallet_name: &str) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(wallet_name)?;
    let voter = wallet.keystore.account()?;
    let chain = Chain::connect(cx).await?;
    let r = chain.rules;
    let p = chain.proposal(index).await?;
    // The vote lands in a later block than the one read.
    let next = chain.block().saturating_add(1);
    match p.status {
        Status::Approved { enact_at } => bail!(
            "proposal {index} passed and waits for enactment at block #{enact_at}; voting is \
             over. Nothing was sent"
        ),
        Status::Voting if next >= p.voting_ends => bail!(
            "voting on proposal {index} ended at block #{}; close it with `mindos gov close \
             {index} --wallet W`. Nothing was sent",
            p.voting_ends
        ),
        Status::Voting => {}
    }
    let weight = chain.voting_stake(p.scope, &voter).await?;
    let votes = chain.votes(index).await?;
    let change = check_vote(
        index,
        aye,
        weight,
        r.min_voting_stake,
        r.max_votes,
        &votes,
        &voter,
    )
    .with_context(|| format!("wallet `{wallet_name}` ({})", to_ss58(&voter)))?;

    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().directives().vote(index, aye);
    let action = Action::from_json(&p.action);
    let summary = format!(
        "vote {} on proposal {index} ({}) with `{wallet_name}`'s {} MIND of stake in its scope{}",
        if aye { "aye" } else { "nay" },
        action.summary(p.scope, r.block_ms),
        format_mind(weight),
        change.map_or(String::new(), |c| format!("; this {c}")),
    );
    let (done, fee) = send_checked(cx, &chain.client, &pair, &call, "paying", 0, &summary).await?;
    let after: Vec<Proposal> = chain
        .client
        .mindos_read("mindos_proposals", rpc_params![done.block_hash], None)
        .await?;
    let after = after.into_iter().find(|q| q.index == index);
    let (ayes, nays) = after.map_or((p.ayes, p.nays), |q| (q.ayes, q.nays));
    let text = format!(
        "voted {} on proposal {index} with {} MIND: the tally is ayes {} MIND, nays {} MIND; \
         finalized in block #{} ({:?})",
        if aye { "aye" } else { "nay" },
        format_mind(weight),
        format_mind(ayes),
        format_mind(nays),
        done.block_number,
        done.block_hash
    );
    let mut fields = serde_json::Map::new();
    fields.insert("index".into(), json!(index));
    fields.insert("voter".into(), json!(to_ss58(&voter)));
    fields.insert("aye".into(), json!(aye));
    fields.insert("weight".into(), mind_json(weight));
    fields.insert("ayes".into(), mind_json(ayes));
    fields.insert("nays".into(), mind_json(nays));
    finalized_json(&mut fields, &done, fee);
    cx.ui.result(&text, Value::Object(fields));
    Ok(())
}

async fn close(cx: &Context<'_>, index: u32, wallet_name: &str) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(wallet_name)?;
    let chain = Chain::connect(cx).await?;
    let r = chain.rules;
    let p = chain.proposal(index).await?;
    let next = chain.block().saturating_add(1);
    match p.status {
        Status::Approved { enact_at } => bail!(
            "proposal {index} was closed already: it passed and is enacted at block \
             #{enact_at}. Nothing was sent"
        ),
        Status::Voting if next < p.voting_ends => bail!(
            "voting on proposal {index} ends at block #{} ({}); it can be closed from then on. \
             Nothing was sent",
            p.voting_ends,
            r.time(p.voting_ends.saturating_sub(chain.block()))
        ),
        Status::Voting => {}
    }
    let scope_stake = chain.scope_stake(p.scope).await?;
    let outlook = projection(
        p.ayes,
        p.nays,
        scope_stake,
        r.quorum,
        r.threshold(p.supermajority),
    );
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().directives().close(index);
    let action = Action::from_json(&p.action);
    let summary = format!(
        "close proposal {index} ({}): on the recorded votes (ayes {} MIND, nays {} MIND of {} \
         MIND in its scope) it looks {outlook}; each vote counts at most its voter's stake now",
        action.summary(p.scope, r.block_ms),
        format_mind(p.ayes),
        format_mind(p.nays),
        format_mind(scope_stake),
    );
    let (done, fee) = send_checked(cx, &chain.client, &pair, &call, "paying", 0, &summary).await?;
    let events = extrinsic_events(&chain.client, &done).await?;
    let mut fields = serde_json::Map::new();
    fields.insert("index".into(), json!(index));
    let text = if let Some(approved) =
        events.find_first::<runtime::directives::events::ProposalApproved>()
    {
        let approved = approved.map_err(chain_error)?;
        fields.insert("outcome".into(), json!("approved"));
        fields.insert("reason".into(), Value::Null);
        fields.insert("ayes".into(), mind_json(approved.ayes));
        fields.insert("nays".into(), mind_json(approved.nays));
        fields.insert("total_stake".into(), mind_json(approved.total_stake));
        fields.insert("enact_at".into(), json!(approved.enact_at));
        format!(
            "proposal {index} passed (ayes {} MIND, nays {} MIND of {} MIND); it is enacted at \
             block #{}",
            format_mind(approved.ayes),
            format_mind(approved.nays),
            format_mind(approved.total_stake),
            approved.enact_at
        )
    } else if let Some(rejected) =
        events.find_first::<runtime::directives::events::ProposalRejected>()
    {
        let rejected = rejected.map_err(chain_error)?;
        let reason = format!("{:?}", rejected.reason);
        fields.insert("outcome".into(), json!("rejected"));
        fields.insert("reason".into(), json!(reason));
        fields.insert("ayes".into(), mind_json(rejected.ayes));
        fields.insert("nays".into(), mind_json(rejected.nays));
        fields.insert("total_stake".into(), mind_json(rejected.total_stake));
        fields.insert("enact_at".into(), Value::Null);
        format!(
            "proposal {index} was rejected ({reason}: ayes {} MIND, nays {} MIND of {} MIND)",
            format_mind(rejected.ayes),
            format_mind(rejected.nays),
            format_mind(rejected.total_stake),
        )
    } else {
        bail!("the close succeeded but emitted neither ProposalApproved nor ProposalRejected");
    };
    let burned: u128 = events
        .find::<runtime::directives::events::DepositBurned>()
        .filter_map(Result::ok)
        .map(|e| e.amount)
        .sum();
    let returned: u128 = events
        .find::<runtime::directives::events::DepositReturned>()
        .filter_map(Result::ok)
        .map(|e| e.amount)
        .sum();
    fields.insert("deposit_returned".into(), mind_json(returned));
    fields.insert("deposit_burned".into(), mind_json(burned));
    finalized_json(&mut fields, &done, fee);
    let text = format!(
        "{text}; deposit: {} MIND returned, {} MIND burned; finalized in block #{} ({:?})",
        format_mind(returned),
        format_mind(burned),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(&text, Value::Object(fields));
    Ok(())
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

    #[test]
    fn votes_that_the_chain_refuses_or_that_change_nothing_are_refused() {
        let me = AccountId32([1; 32]);
        let other = AccountId32([2; 32]);
        let min = 10 * MIND;
        let none = check_vote(0, true, 0, min, 1024, &[], &me).unwrap_err();
        assert!(
            none.to_string().contains("0 MIND of active stake"),
            "{none}"
        );
        assert!(check_vote(0, true, min - 1, min, 1024, &[], &me).is_err());
        assert_eq!(check_vote(0, true, min, min, 1024, &[], &me).unwrap(), None);
        let voted = [(me, true, 50 * MIND)];
        let twice = check_vote(0, true, 50 * MIND, min, 1024, &voted, &me).unwrap_err();
        assert!(twice.to_string().contains("already voted aye"), "{twice}");
        let flip = check_vote(0, false, 50 * MIND, min, 1024, &voted, &me).unwrap();
        assert!(flip.unwrap().contains("from aye to nay"));
        let more = check_vote(0, true, 60 * MIND, min, 1024, &voted, &me).unwrap();
        assert!(more.unwrap().contains("from 50 to 60 MIND"));
        // A full list: only more stake than the smallest vote gets in.
        let full = [(other, false, 20 * MIND)];
        assert!(check_vote(0, true, 20 * MIND, min, 1, &full, &me).is_err());
        let evicts = check_vote(0, true, 21 * MIND, min, 1, &full, &me).unwrap();
        assert!(evicts.unwrap().contains("evicts"));
    }

    #[test]
    fn titles_and_texts_are_checked_against_the_chains_limits() {
        assert_eq!(
            checked_text("title", "  Open models \n", 128, false).unwrap(),
            "Open models"
        );
        assert!(checked_text("title", "   ", 128, false).is_err());
        let long = checked_text("title", &"x".repeat(129), 128, false).unwrap_err();
        assert!(long.to_string().contains("129 bytes"), "{long}");
        assert!(
            checked_text("title", &"é".repeat(65), 128, false).is_err(),
            "bytes, not chars"
        );
        assert!(checked_text("title", "two\nlines", 128, false).is_err());
        assert!(checked_text("text", "two\nlines\tok", 4096, true).is_ok());
        assert!(checked_text("text", "bell\u{7}", 4096, true).is_err());
        assert!(checked_text("text", "\u{1b}[31mred", 4096, true).is_err());
    }

    #[test]
    fn chain_text_is_made_printable() {
        assert_eq!(printable("a\u{1b}[2Jb", false), "a\u{fffd}[2Jb");
        assert_eq!(printable("a\nb", false), "a\u{fffd}b");
        assert_eq!(printable("a\nb", true), "a\nb");
    }

    #[test]
    fn actions_are_read_from_the_nodes_json() {
        let add = Action::from_json(&json!({"addDirective": {"title": "T", "text": "X"}}));
        assert_eq!(
            add,
            Action::AddDirective {
                title: "T".into(),
                text: "X".into()
            }
        );
        assert_eq!(add.kind(), "add-directive");
        let repeal = Action::from_json(&json!({"repealDirective": {"id": 3}}));
        assert_eq!(repeal, Action::RepealDirective { id: 3 });
        let kappa = Action::from_json(&json!({"setParameter": {"kappa": 600_000_000}}));
        assert_eq!(kappa.summary(Scope::Network, 1000), "set kappa to 60 %");
        assert_eq!(kappa.json(Scope::Network, 1000)["value"], "60");
        let hyper = Action::from_json(&json!({"setParameter": {"subnetHyperparameters": {
            "tempo": 30, "max_neurons": 256, "max_validators": 8, "immunity_period": 200,
            "min_validator_stake": "100000000000000", "commit_reveal": true
        }}}));
        assert!(matches!(&hyper, Action::SetHyperparameters(h) if h.tempo == 30));
        assert!(hyper
            .summary(Scope::Subnet(1), 1000)
            .contains("subnet 1: tempo 30"));
        let unknown = Action::from_json(&json!({"somethingNew": {}}));
        assert!(matches!(unknown, Action::Other(_)));
        // Every action's JSON has the same keys.
        let keys = |a: &Action| {
            a.json(Scope::Network, 1000)
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        for action in [&repeal, &kappa, &hyper, &unknown] {
            assert_eq!(keys(action), keys(&add));
        }
    }

    #[test]
    fn hyperparameters_outside_the_bounds_name_the_bound() {
        let bounds: HyperparameterBounds<u128> = serde_json::from_value(json!({
            "tempo": {"min": 10, "max": 14_400},
            "max_neurons": {"min": 1, "max": 4096},
            "max_validators": {"min": 1, "max": 64},
            "immunity_period": {"min": 0, "max": 100_800},
            "min_validator_stake": {"min": "1000000000000", "max": "1000000000000000000"}
        }))
        .unwrap();
        let mut h = Hyperparameters {
            tempo: 20,
            max_neurons: 256,
            max_validators: 8,
            immunity_period: 200,
            min_validator_stake: 100 * MIND,
            commit_reveal: true,
        };
        check_bounds(&bounds, &h).unwrap();
        h.tempo = 5;
        let err = check_bounds(&bounds, &h).unwrap_err().to_string();
        assert!(
            err.contains("tempo 5 is outside the governed bounds 10..14400"),
            "{err}"
        );
        h.tempo = 20;
        h.min_validator_stake = MIND / 2;
        let err = check_bounds(&bounds, &h).unwrap_err().to_string();
        assert!(err.contains("0.5 MIND is outside"), "{err}");
        assert!(err.contains("1..1000000 MIND"), "{err}");
    }
}
