//! `mindos sentinel …`: the sentinels pallet seen from a user's side. Reads go through the
//! node's `mindos_committee`, `mindos_cases` and `mindos_quarantines`
//! (`crates/rpc/README.md`), pinned to the best block when the command starts, plus the
//! pallet's `Judgments` (the convictions that can still be appealed) at that same block.
//! `appeal` and `unquarantine` are checked against the best block (the freshest state a
//! transaction sent now meets) before they are signed, so what the chain would refuse costs
//! nothing.
//!
//! Epochs here are a subnet's *sentinel* epochs (the boundaries the sentinels pallet has
//! counted), not block numbers.

use anyhow::bail;
use mindos_chain_client::{
    runtime::{
        self,
        runtime_types::pallet_mindos_sentinels::types::{JudgedOffence, OffenceKind},
    },
    ChainError,
};
use mindos_primitives::{
    AuditKind, CasesView, CommitteeDuty, CommitteeView, NetUid, QuarantineView, SentinelOffence,
    VoteStatus,
};
use serde_json::json;
use subxt::{rpcs::rpc_params, utils::AccountId32};

use crate::{
    address::{parse_account, to_ss58},
    amount::format_mind,
    cli::SentinelCommand,
    subnet::{self, short, table, Pinned},
    tx::chain_error,
    wallet::{mind_json, send_paid, unlock, Context},
};

/// A committee as `mindos_committee` returns it (accounts stay SS58 strings, prefix 2424).
pub type Committee = CommitteeView<String, u32>;
/// Open cases and audits as `mindos_cases` returns them.
pub type Cases = CasesView<String, u128, u32>;
/// A quarantined hotkey as `mindos_quarantines` returns it.
pub type Quarantine = QuarantineView<String, u32>;

/// Runs a sentinel command.
pub async fn run(command: SentinelCommand, cx: &Context<'_>) -> anyhow::Result<()> {
    match command {
        SentinelCommand::Committee { netuid, epoch } => committee(cx, netuid, epoch).await,
        SentinelCommand::Cases { netuid } => cases(cx, netuid).await,
        SentinelCommand::Quarantines { netuid } => quarantines(cx, netuid).await,
        SentinelCommand::Appeal { case, wallet } => appeal(cx, case, &wallet).await,
        SentinelCommand::Unquarantine {
            netuid,
            uid,
            wallet,
        } => unquarantine(cx, netuid, uid, &wallet).await,
    }
}

/// The node's name of an offence (`"wrongOutput"`, …), as its JSON writes it.
pub fn offence_name(offence: SentinelOffence) -> &'static str {
    match offence {
        SentinelOffence::Equivocation => "equivocation",
        SentinelOffence::CanaryFailure => "canaryFailure",
        SentinelOffence::WrongOutput => "wrongOutput",
        SentinelOffence::Timeout => "timeout",
        SentinelOffence::PersistentOutlier => "persistentOutlier",
        SentinelOffence::MalformedOutput => "malformedOutput",
    }
}

fn status_name(status: VoteStatus) -> &'static str {
    match status {
        VoteStatus::Voting => "voting",
        VoteStatus::Expired => "expired",
    }
}

fn reason_name(reason: AuditKind) -> &'static str {
    match reason {
        AuditKind::Appeal => "appeal",
        AuditKind::SplitVote => "splitVote",
        AuditKind::Random => "random",
    }
}

fn duty_name(duty: CommitteeDuty) -> &'static str {
    match duty {
        CommitteeDuty::Current => "current",
        CommitteeDuty::Next => "next",
    }
}

/// The pallet's stored offence (metadata type) as the views name it.
fn offence_of(kind: &OffenceKind) -> SentinelOffence {
    match kind {
        OffenceKind::Equivocation => SentinelOffence::Equivocation,
        OffenceKind::CanaryFailure => SentinelOffence::CanaryFailure,
        OffenceKind::Judged(JudgedOffence::WrongOutput) => SentinelOffence::WrongOutput,
        OffenceKind::Judged(JudgedOffence::Timeout) => SentinelOffence::Timeout,
        OffenceKind::Judged(JudgedOffence::PersistentOutlier) => SentinelOffence::PersistentOutlier,
        OffenceKind::Judged(JudgedOffence::MalformedOutput) => SentinelOffence::MalformedOutput,
    }
}

/// What `sentinel committee` found: the committee, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitteeAnswer {
    /// The chain holds it.
    Found(Box<Committee>),
    /// The chain holds none for `epoch`, the current one or the next: too few eligible
    /// validators when it was (or will be) drawn. `held` are the epochs it holds committees
    /// of.
    None {
        /// The epoch asked about.
        epoch: u64,
        /// The subnet's sentinel epoch now.
        current: u64,
        /// The epochs (of the current and the next) whose committees the chain holds.
        held: Vec<u64>,
    },
}

/// Sorts the node's "no committee for this epoch" into an answer (an epoch the chain keeps
/// committees for: the current or the next) or an error (any other epoch: the chain never
/// holds it, so asking was the user's mistake).
pub fn no_committee(
    netuid: u16,
    requested: Option<u64>,
    current: u64,
    held: Vec<u64>,
) -> anyhow::Result<CommitteeAnswer> {
    let epoch = requested.unwrap_or(current);
    if epoch == current || Some(epoch) == current.checked_add(1) {
        return Ok(CommitteeAnswer::None {
            epoch,
            current,
            held,
        });
    }
    bail!(
        "subnet {netuid} is in sentinel epoch {current}: the chain holds the committees of the \
         current epoch and the next only, not of epoch {epoch}"
    )
}

async fn committee(cx: &Context<'_>, netuid: u16, epoch: Option<u64>) -> anyhow::Result<()> {
    let client = cx.network.connect().await?;
    let at = subnet::pin(&client).await?;
    let read = client
        .mindos_read::<Committee>(
            "mindos_committee",
            rpc_params![netuid, epoch, at.hash],
            Some(NetUid(netuid)),
        )
        .await;
    let answer = match read {
        Ok(committee) => CommitteeAnswer::Found(Box::new(committee)),
        Err(ChainError::CommitteeNotStored {
            current, stored, ..
        }) => no_committee(netuid, epoch, current, stored)?,
        Err(other) => return Err(other.into()),
    };
    let (text, document) = committee_output(netuid, &answer, at);
    cx.ui.result(&text, document);
    Ok(())
}

/// The text and the `--json` document of `sentinel committee`.
pub fn committee_output(
    netuid: u16,
    answer: &CommitteeAnswer,
    at: Pinned,
) -> (String, serde_json::Value) {
    match answer {
        CommitteeAnswer::Found(c) => {
            let mut rows = vec![["UID".to_owned(), "HOTKEY".to_owned()]];
            rows.extend(
                c.members
                    .iter()
                    .map(|m| [m.uid.to_string(), m.hotkey.clone()]),
            );
            let seed = c
                .seed
                .map(|s| format!("0x{}", mindos_chain_client::to_hex(&s)));
            let text = format!(
                "subnet {netuid}, sentinel epoch {} ({} committee; the subnet is in epoch {}): \
                 {} seats, tolerates {} lying members, {} guilty votes convict\n\n{}\n\n\
                 drawn from the validators at block #{}, seeded by the weight reveals of epoch \
                 {}{} (best block #{})",
                c.epoch,
                duty_name(c.duty),
                c.current_epoch,
                c.size,
                c.fault_tolerance,
                c.threshold,
                table(&rows),
                c.drawn_at,
                c.seed_epoch,
                seed.as_ref()
                    .map_or(String::new(), |s| format!(" (seed {s})")),
                at.number,
            );
            let document = json!({
                "block": at.number,
                "netuid": netuid,
                "epoch": c.epoch,
                "current_epoch": c.current_epoch,
                "committee": {
                    "duty": duty_name(c.duty),
                    "size": c.size,
                    "fault_tolerance": c.fault_tolerance,
                    "threshold": c.threshold,
                    "members": c.members.iter().map(|m| json!({"uid": m.uid, "hotkey": m.hotkey})).collect::<Vec<_>>(),
                    "drawn_at": c.drawn_at,
                    "seed_epoch": c.seed_epoch,
                    "seed": seed,
                },
            });
            (text, document)
        }
        CommitteeAnswer::None {
            epoch,
            current,
            held,
        } => {
            let which = if epoch == current {
                "the current one"
            } else {
                "the next one"
            };
            let held = match held.as_slice() {
                [] => "none".to_owned(),
                epochs => epochs
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(" and "),
            };
            let text = format!(
                "subnet {netuid} has no sentinel committee for epoch {epoch} ({which}): a \
                 committee is drawn at an epoch boundary from the validator-permit holders that \
                 are not quarantined, and none forms with fewer than four of them. It holds \
                 committees of epochs: {held}. Cases need a committee; equivocation and canary \
                 evidence do not. (best block #{})",
                at.number
            );
            let document = json!({
                "block": at.number,
                "netuid": netuid,
                "epoch": epoch,
                "current_epoch": current,
                "committee": null,
            });
            (text, document)
        }
    }
}

/// A conviction the pallet keeps for its audit window (`Judgments`): what `appeal` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conviction {
    /// The case id.
    pub case: u64,
    /// The subnet.
    pub netuid: u16,
    /// The miner's uid when judged.
    pub uid: u16,
    /// The convicted hotkey.
    pub accused: AccountId32,
    /// What it was convicted of.
    pub offence: SentinelOffence,
    /// Whether the verdict convicted (a dismissal is kept only while it is audited).
    pub convicted: bool,
    /// The sentinel epoch of the verdict.
    pub epoch: u64,
    /// The sentinel epoch its slash falls due; appeals are taken before it.
    pub due_epoch: u64,
    /// Whether an audit was opened on it (at most one per verdict).
    pub audited: bool,
}

impl Conviction {
    /// Whether an appeal would be taken in sentinel `epoch` (the subnet's now), as far as the
    /// verdict itself says.
    pub fn appealable(&self, epoch: u64) -> bool {
        self.convicted && !self.audited && epoch < self.due_epoch
    }
}

type ChainJudgment =
    runtime::runtime_types::pallet_mindos_sentinels::types::Judgment<AccountId32, u128>;

fn conviction(case: u64, judgment: ChainJudgment) -> Conviction {
    Conviction {
        case,
        netuid: judgment.netuid.0,
        uid: judgment.uid,
        accused: judgment.accused,
        offence: offence_of(&judgment.offence),
        convicted: judgment.convicted,
        epoch: judgment.epoch,
        due_epoch: judgment.due_epoch,
        audited: judgment.audited,
    }
}

/// The verdict of `case` at `at`, if the pallet still keeps it.
async fn judgment(
    at: &mindos_chain_client::neuron::AtBlock,
    case: u64,
) -> anyhow::Result<Option<Conviction>> {
    let value = at
        .storage()
        .try_fetch(runtime::storage().sentinels().judgments(), (case,))
        .await
        .map_err(chain_error)?;
    Ok(value
        .map(|v| v.decode().map_err(chain_error))
        .transpose()?
        .map(|j| conviction(case, j)))
}

/// Every conviction the pallet keeps at `at` (of subnet `netuid`, or all), by case id.
async fn convictions(
    at: &mindos_chain_client::neuron::AtBlock,
    netuid: Option<u16>,
) -> anyhow::Result<Vec<Conviction>> {
    let mut entries = at
        .storage()
        .iter(runtime::storage().sentinels().judgments(), ())
        .await
        .map_err(chain_error)?;
    let mut found = Vec::new();
    while let Some(entry) = entries.next().await {
        let entry = entry.map_err(chain_error)?;
        let (case,) = entry
            .key()
            .map_err(chain_error)?
            .decode()
            .map_err(chain_error)?;
        let judgment = entry.value().decode().map_err(chain_error)?;
        let conviction = conviction(case, judgment);
        if conviction.convicted && netuid.is_none_or(|n| n == conviction.netuid) {
            found.push(conviction);
        }
    }
    found.sort_by_key(|c| c.case);
    Ok(found)
}

fn votes(voted: &[String], of: u8) -> String {
    format!("{}/{of}", voted.len())
}

async fn cases(cx: &Context<'_>, netuid: Option<u16>) -> anyhow::Result<()> {
    let client = cx.network.connect().await?;
    let at = subnet::pin(&client).await?;
    let open: Cases = client
        .mindos_read(
            "mindos_cases",
            rpc_params![netuid, at.hash],
            netuid.map(NetUid),
        )
        .await?;
    let block = client.api().at_block(at.hash).await.map_err(chain_error)?;
    let convictions = convictions(&block, netuid).await?;
    let mut epochs = std::collections::BTreeMap::new();
    for c in &convictions {
        if let std::collections::btree_map::Entry::Vacant(slot) = epochs.entry(c.netuid) {
            slot.insert(
                client
                    .sentinels()
                    .subnet_epoch(&block, NetUid(c.netuid))
                    .await?,
            );
        }
    }
    let (text, document) = cases_output(at, netuid, &open, &convictions, &epochs);
    cx.ui.result(&text, document);
    Ok(())
}

/// The text and the `--json` document of `sentinel cases`: the open cases and audits
/// (`open`), and the `convictions` with their subnets' sentinel epochs now (`epochs`).
pub fn cases_output(
    at: Pinned,
    netuid: Option<u16>,
    open: &Cases,
    convictions: &[Conviction],
    epochs: &std::collections::BTreeMap<u16, u64>,
) -> (String, serde_json::Value) {
    let epoch_of = |netuid: u16| epochs.get(&netuid).copied().unwrap_or(0);
    let mut text = Vec::new();
    let scope = netuid.map_or("any subnet".to_owned(), |n| format!("subnet {n}"));
    if open.cases.is_empty() {
        text.push(format!("no open cases on {scope}"));
    } else {
        let mut rows = vec![[
            "CASE",
            "SUBNET",
            "UID",
            "ACCUSED",
            "OFFENCE",
            "GUILTY",
            "NOT GUILTY",
            "EXPIRES",
            "STATUS",
        ]
        .map(str::to_owned)];
        for c in &open.cases {
            rows.push([
                c.id.to_string(),
                c.netuid.0.to_string(),
                c.uid.to_string(),
                short(&c.accused),
                offence_name(c.offence).to_owned(),
                votes(&c.guilty, c.threshold),
                votes(&c.not_guilty, c.refute_at),
                format!("#{}", c.expires_at),
                status_name(c.status).to_owned(),
            ]);
        }
        text.push(format!(
            "open cases (votes / votes needed):\n{}",
            table(&rows)
        ));
    }
    if open.audits.is_empty() {
        text.push(format!("no open audits on {scope}"));
    } else {
        let mut rows = vec![[
            "CASE", "SUBNET", "UID", "ACCUSED", "OFFENCE", "REASON", "OVERTURN", "UPHOLD",
            "EXPIRES", "STATUS",
        ]
        .map(str::to_owned)];
        for a in &open.audits {
            let status = if a.escalation.is_some() {
                format!(
                    "{} (escalated to the permit holders)",
                    status_name(a.status)
                )
            } else {
                status_name(a.status).to_owned()
            };
            rows.push([
                a.case.to_string(),
                a.netuid.0.to_string(),
                a.uid.to_string(),
                short(&a.accused),
                offence_name(a.offence).to_owned(),
                reason_name(a.reason).to_owned(),
                votes(&a.overturn, a.overturn_at),
                votes(&a.uphold, a.uphold_at),
                format!("#{}", a.expires_at),
                status,
            ]);
        }
        text.push(format!(
            "open audits (votes / votes needed):\n{}",
            table(&rows)
        ));
    }
    if convictions.is_empty() {
        text.push(format!("no convictions awaiting their slash on {scope}"));
    } else {
        let mut rows = vec![[
            "CASE",
            "SUBNET",
            "UID",
            "ACCUSED",
            "OFFENCE",
            "SLASH DUE",
            "APPEAL",
        ]
        .map(str::to_owned)];
        for c in convictions {
            let appeal = if c.audited {
                "audited".to_owned()
            } else if c.appealable(epoch_of(c.netuid)) {
                format!("open until epoch {}", c.due_epoch)
            } else {
                "window over".to_owned()
            };
            rows.push([
                c.case.to_string(),
                c.netuid.to_string(),
                c.uid.to_string(),
                short(&to_ss58(&c.accused)),
                offence_name(c.offence).to_owned(),
                format!("epoch {}", c.due_epoch),
                appeal,
            ]);
        }
        text.push(format!(
            "convictions awaiting their slash (the accused's owner may `mindos sentinel appeal \
             CASE`):\n{}",
            table(&rows)
        ));
    }
    text.push(format!("(best block #{})", at.number));

    let document = json!({
        "block": at.number,
        "netuid": netuid,
        "cases": open.cases.iter().map(|c| json!({
            "id": c.id,
            "netuid": c.netuid.0,
            "uid": c.uid,
            "accused": c.accused,
            "offence": offence_name(c.offence),
            "reporter": c.reporter,
            "evidence_hash": format!("0x{}", mindos_chain_client::to_hex(&c.evidence_hash)),
            "bond": mind_json(c.bond),
            "epoch": c.epoch,
            "members": c.members,
            "guilty": c.guilty,
            "not_guilty": c.not_guilty,
            "threshold": c.threshold,
            "refute_at": c.refute_at,
            "opened_at": c.opened_at,
            "expires_at": c.expires_at,
            "status": status_name(c.status),
        })).collect::<Vec<_>>(),
        "audits": open.audits.iter().map(|a| json!({
            "case": a.case,
            "netuid": a.netuid.0,
            "uid": a.uid,
            "accused": a.accused,
            "offence": offence_name(a.offence),
            "convicted": a.convicted,
            "reason": reason_name(a.reason),
            "appellant": a.appellant,
            "deposit": mind_json(a.deposit),
            "members": a.members,
            "uphold": a.uphold,
            "overturn": a.overturn,
            "overturn_at": a.overturn_at,
            "uphold_at": a.uphold_at,
            "slash_due_epoch": a.slash_due_epoch,
            "expires_at": a.expires_at,
            "status": status_name(a.status),
            "escalation": a.escalation.as_ref().map(|e| json!({
                "electors": e.electors.iter().map(|v| json!({
                    "hotkey": v.hotkey,
                    "stake": mind_json(v.stake),
                    "vote": v.vote,
                })).collect::<Vec<_>>(),
                "total": mind_json(e.total),
                "overturn": mind_json(e.overturn),
                "uphold": mind_json(e.uphold),
                "decides_at": mind_json(e.decides_at),
            })),
        })).collect::<Vec<_>>(),
        "convictions": convictions.iter().map(|c| json!({
            "case": c.case,
            "netuid": c.netuid,
            "uid": c.uid,
            "accused": to_ss58(&c.accused),
            "offence": offence_name(c.offence),
            "epoch": c.epoch,
            "slash_due_epoch": c.due_epoch,
            "audited": c.audited,
            "appealable": c.appealable(epoch_of(c.netuid)),
        })).collect::<Vec<_>>(),
    });
    (text.join("\n\n"), document)
}

async fn quarantines(cx: &Context<'_>, netuid: Option<u16>) -> anyhow::Result<()> {
    let client = cx.network.connect().await?;
    let at = subnet::pin(&client).await?;
    let rows: Vec<Quarantine> = client
        .mindos_read(
            "mindos_quarantines",
            rpc_params![netuid, at.hash],
            netuid.map(NetUid),
        )
        .await?;
    let (text, document) = quarantines_output(at, netuid, &rows);
    cx.ui.result(&text, document);
    Ok(())
}

/// The text and the `--json` document of `sentinel quarantines`.
pub fn quarantines_output(
    at: Pinned,
    netuid: Option<u16>,
    rows: &[Quarantine],
) -> (String, serde_json::Value) {
    let scope = netuid.map_or("any subnet".to_owned(), |n| format!("subnet {n}"));
    let text = if rows.is_empty() {
        format!(
            "no quarantined hotkeys on {scope} (best block #{})",
            at.number
        )
    } else {
        let mut table_rows = vec![[
            "SUBNET",
            "UID",
            "HOTKEY",
            "OFFENCE",
            "SINCE",
            "UNTIL",
            "OFFENCES",
            "RELEASABLE",
        ]
        .map(str::to_owned)];
        for q in rows {
            table_rows.push([
                q.netuid.0.to_string(),
                q.uid.map_or("- (left)".to_owned(), |u| u.to_string()),
                short(&q.hotkey),
                offence_name(q.offence).to_owned(),
                format!("epoch {} (#{})", q.since_epoch, q.since_block),
                format!("epoch {}", q.until_epoch),
                q.offences.to_string(),
                if q.releasable { "yes" } else { "no" }.to_owned(),
            ]);
        }
        format!(
            "{}\n\nA quarantined miner earns nothing; from its UNTIL epoch on its owner may \
             release it with `mindos sentinel unquarantine NETUID UID`. The third offence in \
             the window deregisters. (best block #{})",
            table(&table_rows),
            at.number
        )
    };
    let document = json!({
        "block": at.number,
        "netuid": netuid,
        "quarantines": rows.iter().map(|q| json!({
            "netuid": q.netuid.0,
            "hotkey": q.hotkey,
            "uid": q.uid,
            "offence": offence_name(q.offence),
            "since_epoch": q.since_epoch,
            "since_block": q.since_block,
            "until_epoch": q.until_epoch,
            "offences": q.offences,
            "releasable": q.releasable,
        })).collect::<Vec<_>>(),
    });
    (text, document)
}

/// What the chain's `appeal` checks besides the verdict itself, read before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealContext {
    /// Whether the conviction's subnet is still live (a dissolved one's convictions wait to
    /// be dropped).
    pub subnet_live: bool,
    /// The coldkey that owns the convicted hotkey now.
    pub owner: Option<AccountId32>,
    /// The subnet's sentinel epoch now.
    pub epoch: u64,
    /// Its open audits, and how many it may have.
    pub open_audits: (u32, u32),
}

/// Refuses (with what to do instead) an appeal of `conviction` by `coldkey` (wallet
/// `wallet`) that the chain would refuse: the checks of the pallet's `do_appeal`, in its
/// order, but for the audit committee's draw and the deposit (checked with the fee).
pub fn check_appeal(
    conviction: &Conviction,
    context: &AppealContext,
    coldkey: &AccountId32,
    wallet: &str,
) -> anyhow::Result<()> {
    let case = conviction.case;
    if !context.subnet_live {
        bail!(
            "subnet {} of case {case} has been dissolved: its convictions are dropped with \
             their slashes, there is nothing to appeal. Nothing was sent",
            conviction.netuid
        );
    }
    if !conviction.convicted {
        bail!(
            "case {case} dismissed the accused (its verdict is kept while an audit re-judges \
             the split vote): only a conviction can be appealed. Nothing was sent"
        );
    }
    match &context.owner {
        Some(owner) if owner == coldkey => {}
        Some(owner) => bail!(
            "the hotkey convicted in case {case}, {}, is owned by {}, not by wallet \
             `{wallet}`: only its owner may appeal. Nothing was sent",
            to_ss58(&conviction.accused),
            to_ss58(owner)
        ),
        None => bail!(
            "the hotkey convicted in case {case}, {}, has no owner on chain: no wallet can \
             appeal. Nothing was sent",
            to_ss58(&conviction.accused)
        ),
    }
    if context.epoch >= conviction.due_epoch {
        bail!(
            "the appeal window of case {case} is over: appeals are taken before sentinel epoch \
             {} (its slash falls due then) and subnet {} is in epoch {}. Nothing was sent",
            conviction.due_epoch,
            conviction.netuid,
            context.epoch
        );
    }
    if conviction.audited {
        bail!(
            "case {case} has been audited already (at most one audit per verdict): see \
             `mindos sentinel cases {}`. Nothing was sent",
            conviction.netuid
        );
    }
    let (open, max) = context.open_audits;
    if open >= max {
        bail!(
            "subnet {} has {open} open audits, its most: try again once one closes (the \
             window is open until sentinel epoch {}). Nothing was sent",
            conviction.netuid,
            conviction.due_epoch
        );
    }
    Ok(())
}

async fn appeal(cx: &Context<'_>, case: u64, wallet_name: &str) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;
    let client = cx.network.connect().await?;
    let at = client.at_best().await?;
    let Some(conviction) = judgment(&at, case).await? else {
        bail!(
            "no verdict with case id {case} awaits its slash: it is unknown, still being voted \
             on (a case is appealable once convicted), or settled. `mindos sentinel cases` \
             lists the appealable convictions. Nothing was sent"
        );
    };
    let netuid = NetUid(conviction.netuid);
    let subnet_live = at
        .storage()
        .try_fetch(
            runtime::storage().subnets().subnet_info_of(),
            (runtime::runtime_types::mindos_primitives::NetUid(netuid.0),),
        )
        .await
        .map_err(chain_error)?
        .is_some();
    let open_audits = at
        .storage()
        .try_fetch(
            runtime::storage().sentinels().open_audits(),
            (runtime::runtime_types::mindos_primitives::NetUid(netuid.0),),
        )
        .await
        .map_err(chain_error)?
        .map(|v| v.decode().map_err(chain_error))
        .transpose()?
        .map_or(0, |audits| audits.0.len());
    let max_audits = at
        .constants()
        .entry(
            runtime::constants()
                .sentinels()
                .max_open_audits_per_subnet(),
        )
        .map_err(chain_error)?;
    let context = AppealContext {
        subnet_live,
        owner: client.hotkey_owner(&at, &conviction.accused).await?,
        epoch: client.sentinels().subnet_epoch(&at, netuid).await?,
        open_audits: (u32::try_from(open_audits).unwrap_or(u32::MAX), max_audits),
    };
    check_appeal(&conviction, &context, &coldkey, wallet_name)?;
    let deposit = at
        .constants()
        .entry(runtime::constants().sentinels().appeal_deposit())
        .map_err(chain_error)?;
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().sentinels().appeal(case);
    let summary = format!(
        "appeal case {case}: the conviction of {} (uid {} on subnet {}) for {}, by wallet \
         `{wallet_name}` ({})\ndeposit: {} MIND held until the audit ends (returned if it \
         overturns the conviction or ends undecided, burned if it upholds it)",
        to_ss58(&conviction.accused),
        conviction.uid,
        conviction.netuid,
        offence_name(conviction.offence),
        to_ss58(&coldkey),
        format_mind(deposit),
    );
    let (done, fee) = send_paid(
        cx,
        &client,
        &pair,
        &call,
        "holding as the appeal deposit",
        deposit,
        &summary,
    )
    .await?;
    let text = format!(
        "appealed case {case}: an audit committee re-judges it (`mindos sentinel cases {}`); \
         finalized in block #{} ({:?})",
        conviction.netuid, done.block_number, done.block_hash
    );
    cx.ui.result(
        &text,
        json!({
            "case": case,
            "netuid": conviction.netuid,
            "uid": conviction.uid,
            "hotkey": to_ss58(&conviction.accused),
            "coldkey": to_ss58(&coldkey),
            "deposit": mind_json(deposit),
            "fee_estimate": mind_json(fee),
            "block_hash": format!("{:?}", done.block_hash),
            "block_number": done.block_number,
            "extrinsic_hash": format!("{:?}", done.extrinsic_hash),
        }),
    );
    Ok(())
}

/// Refuses an `unquarantine` of uid `uid` on `netuid` by `coldkey` that the chain would
/// refuse: no quarantine on the hotkey at that uid, a hotkey the wallet does not own, or a
/// quarantine not over yet in sentinel `epoch`. Returns the quarantine.
pub fn check_unquarantine<'a>(
    rows: &'a [Quarantine],
    netuid: u16,
    uid: u16,
    owner: Option<&AccountId32>,
    coldkey: &AccountId32,
    wallet: &str,
    epoch: u64,
) -> anyhow::Result<&'a Quarantine> {
    let Some(row) = rows.iter().find(|q| q.uid == Some(uid)) else {
        bail!("uid {uid} of subnet {netuid} is not quarantined; nothing was sent");
    };
    match owner {
        Some(owner) if owner == coldkey => {}
        Some(owner) => bail!(
            "the quarantined hotkey at uid {uid}, {}, is owned by {}, not by wallet \
             `{wallet}`: only it or its owner may release it. Nothing was sent",
            row.hotkey,
            to_ss58(owner)
        ),
        None => bail!(
            "the quarantined hotkey at uid {uid}, {}, has no owner on chain. Nothing was sent",
            row.hotkey
        ),
    }
    if !row.releasable {
        bail!(
            "the quarantine of uid {uid} on subnet {netuid} lasts until sentinel epoch {} and \
             the subnet is in epoch {epoch}: it can be released from then on. Nothing was sent",
            row.until_epoch
        );
    }
    Ok(row)
}

async fn unquarantine(
    cx: &Context<'_>,
    netuid: u16,
    uid: u16,
    wallet_name: &str,
) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;
    let client = cx.network.connect().await?;
    let at = client.at_best().await?;
    let rows: Vec<Quarantine> = client
        .mindos_read(
            "mindos_quarantines",
            rpc_params![netuid, at.block_hash()],
            Some(NetUid(netuid)),
        )
        .await?;
    let owner = match rows.iter().find(|q| q.uid == Some(uid)) {
        Some(row) => {
            let hotkey = parse_account(&row.hotkey)?;
            client.hotkey_owner(&at, &hotkey).await?
        }
        None => None,
    };
    let epoch = client.sentinels().subnet_epoch(&at, NetUid(netuid)).await?;
    let row = check_unquarantine(
        &rows,
        netuid,
        uid,
        owner.as_ref(),
        &coldkey,
        wallet_name,
        epoch,
    )?;
    let hotkey = row.hotkey.clone();
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().sentinels().unquarantine(
        runtime::runtime_types::mindos_primitives::NetUid(netuid),
        uid,
    );
    let summary = format!(
        "release {hotkey} (uid {uid} on subnet {netuid}) from its quarantine for {} (over \
         since sentinel epoch {}); it earns again from the next epoch",
        offence_name(row.offence),
        row.until_epoch
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "paying", 0, &summary).await?;
    let text = format!(
        "released {hotkey} (uid {uid} on subnet {netuid}): finalized in block #{} ({:?})",
        done.block_number, done.block_hash
    );
    cx.ui.result(
        &text,
        json!({
            "netuid": netuid,
            "uid": uid,
            "hotkey": hotkey,
            "fee_estimate": mind_json(fee),
            "block_hash": format!("{:?}", done.block_hash),
            "block_number": done.block_number,
            "extrinsic_hash": format!("{:?}", done.extrinsic_hash),
        }),
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const ALICE: AccountId32 = AccountId32([1; 32]);
    const BOB: AccountId32 = AccountId32([2; 32]);
    const MINER: AccountId32 = AccountId32([9; 32]);

    fn conviction() -> Conviction {
        Conviction {
            case: 4,
            netuid: 1,
            uid: 17,
            accused: MINER,
            offence: SentinelOffence::WrongOutput,
            convicted: true,
            epoch: 10,
            due_epoch: 13,
            audited: false,
        }
    }

    fn context() -> AppealContext {
        AppealContext {
            subnet_live: true,
            owner: Some(ALICE),
            epoch: 12,
            open_audits: (0, 8),
        }
    }

    fn refused(c: &Conviction, x: &AppealContext) -> String {
        let e = check_appeal(c, x, &ALICE, "alice").unwrap_err().to_string();
        assert!(e.contains("Nothing was sent"), "{e}");
        e
    }

    #[test]
    fn an_appeal_is_refused_before_signing_whenever_the_chain_would_refuse_it() {
        assert!(check_appeal(&conviction(), &context(), &ALICE, "alice").is_ok());
        // The last epoch before the slash falls due still takes it.
        let mut last = context();
        last.epoch = 12;
        assert!(check_appeal(&conviction(), &last, &ALICE, "alice").is_ok());

        let dissolved = AppealContext {
            subnet_live: false,
            ..context()
        };
        assert!(refused(&conviction(), &dissolved).contains("dissolved"));
        let dismissal = Conviction {
            convicted: false,
            ..conviction()
        };
        assert!(refused(&dismissal, &context()).contains("only a conviction"));
        let bobs = AppealContext {
            owner: Some(BOB),
            ..context()
        };
        let e = refused(&conviction(), &bobs);
        assert!(e.contains("not by wallet `alice`"), "{e}");
        assert!(e.contains(&to_ss58(&BOB)), "{e}");
        let unowned = AppealContext {
            owner: None,
            ..context()
        };
        assert!(refused(&conviction(), &unowned).contains("no owner"));
        let late = AppealContext {
            epoch: 13,
            ..context()
        };
        let e = refused(&conviction(), &late);
        assert!(e.contains("before sentinel epoch 13"), "{e}");
        let audited = Conviction {
            audited: true,
            ..conviction()
        };
        assert!(refused(&audited, &context()).contains("audited already"));
        let full = AppealContext {
            open_audits: (8, 8),
            ..context()
        };
        assert!(refused(&conviction(), &full).contains("8 open audits"));
    }

    #[test]
    fn a_conviction_is_appealable_until_its_slash_falls_due_unless_audited() {
        let c = conviction();
        assert!(c.appealable(10));
        assert!(c.appealable(12));
        assert!(!c.appealable(13));
        assert!(!Conviction {
            audited: true,
            ..c.clone()
        }
        .appealable(10));
        assert!(!Conviction {
            convicted: false,
            ..c
        }
        .appealable(10));
    }

    fn quarantine(uid: Option<u16>, releasable: bool) -> Quarantine {
        QuarantineView {
            netuid: NetUid(1),
            hotkey: to_ss58(&MINER),
            uid,
            offence: SentinelOffence::Timeout,
            since_epoch: 3,
            since_block: 61,
            until_epoch: 5,
            offences: 1,
            releasable,
        }
    }

    #[test]
    fn an_unquarantine_is_refused_before_signing_whenever_the_chain_would_refuse_it() {
        let rows = [quarantine(None, false), quarantine(Some(17), true)];
        let row = check_unquarantine(&rows, 1, 17, Some(&ALICE), &ALICE, "alice", 5).unwrap();
        assert_eq!(row.uid, Some(17));
        let e = check_unquarantine(&rows, 1, 3, Some(&ALICE), &ALICE, "alice", 5)
            .unwrap_err()
            .to_string();
        assert!(e.contains("uid 3 of subnet 1 is not quarantined"), "{e}");
        let e = check_unquarantine(&rows, 1, 17, Some(&BOB), &ALICE, "alice", 5)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not by wallet `alice`"), "{e}");
        let early = [quarantine(Some(17), false)];
        let e = check_unquarantine(&early, 1, 17, Some(&ALICE), &ALICE, "alice", 4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("until sentinel epoch 5"), "{e}");
        assert!(e.contains("Nothing was sent"), "{e}");
    }

    #[test]
    fn no_committee_is_an_answer_for_the_held_epochs_and_an_error_for_others() {
        assert_eq!(
            no_committee(1, None, 7, vec![]).unwrap(),
            CommitteeAnswer::None {
                epoch: 7,
                current: 7,
                held: vec![]
            }
        );
        assert!(matches!(
            no_committee(1, Some(8), 7, vec![7]).unwrap(),
            CommitteeAnswer::None { epoch: 8, .. }
        ));
        let e = no_committee(1, Some(3), 7, vec![7, 8]).unwrap_err();
        assert!(e.to_string().contains("not of epoch 3"), "{e}");
        assert!(no_committee(1, Some(9), 7, vec![7, 8]).is_err());
        // Epoch numbers at the end of the range do not overflow.
        assert!(no_committee(1, Some(0), u64::MAX, vec![]).is_err());
    }

    #[test]
    fn an_empty_committee_says_so_and_prints_null() {
        let at = Pinned {
            hash: subxt::utils::H256::zero(),
            number: 12,
        };
        let (text, json) = committee_output(
            1,
            &CommitteeAnswer::None {
                epoch: 0,
                current: 0,
                held: vec![],
            },
            at,
        );
        assert!(text.contains("no sentinel committee for epoch 0 (the current one)"));
        assert!(text.contains("fewer than four"), "{text}");
        assert!(json["committee"].is_null());
        assert_eq!(json["current_epoch"], 0);
    }

    #[test]
    fn offences_are_named_as_the_node_names_them() {
        for offence in [
            SentinelOffence::Equivocation,
            SentinelOffence::CanaryFailure,
            SentinelOffence::WrongOutput,
            SentinelOffence::Timeout,
            SentinelOffence::PersistentOutlier,
            SentinelOffence::MalformedOutput,
        ] {
            assert_eq!(
                serde_json::to_value(offence).unwrap(),
                json!(offence_name(offence))
            );
        }
        for status in [VoteStatus::Voting, VoteStatus::Expired] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status_name(status))
            );
        }
        for reason in [AuditKind::Appeal, AuditKind::SplitVote, AuditKind::Random] {
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                json!(reason_name(reason))
            );
        }
        assert_eq!(
            offence_of(&OffenceKind::Judged(JudgedOffence::PersistentOutlier)),
            SentinelOffence::PersistentOutlier
        );
    }
}
