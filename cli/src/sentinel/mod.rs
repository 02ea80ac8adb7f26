//! `mindos sentinel …`: the sentinels pallet seen from a user's side ([`appeal`]: the two
//! calls a miner's owner signs). Reads go through the
//! node's `mindos_committee`, `mindos_cases` and `mindos_quarantines`
//! (`crates/rpc/README.md`), pinned to the best block when the command starts, plus the
//! pallet's `Judgments` (the convictions that can still be appealed) at that same block.
//! `appeal` and `unquarantine` are checked against the best block (the freshest state a
//! transaction sent now meets) before they are signed, so what the chain would refuse costs
//! nothing.
//!
//! Epochs here are a subnet's *sentinel* epochs (the boundaries the sentinels pallet has
//! counted), not block numbers.

mod appeal;

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

pub use appeal::{check_appeal, check_unquarantine, AppealContext};

use crate::{
    address::to_ss58,
    cli::SentinelCommand,
    subnet::{self, short, table, Pinned},
    wallet::{mind_json, Context},
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
        SentinelCommand::Appeal { case, wallet } => appeal::appeal(cx, case, &wallet).await,
        SentinelCommand::Unquarantine {
            netuid,
            uid,
            wallet,
        } => appeal::unquarantine(cx, netuid, uid, &wallet).await,
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

/// Every conviction the pallet keeps at `at` (of subnet `netuid`, or all), by case id.
async fn convictions(
    at: &mindos_chain_client::neuron::AtBlock,
    netuid: Option<u16>,
) -> anyhow::Result<Vec<Conviction>> {
    let mut entries = at
        .storage()
        .iter(runtime::storage().sentinels().judgments(), ())
        .await
        .map_err(ChainError::from_subxt)?;
    let mut found = Vec::new();
    while let Some(entry) = entries.next().await {
        let entry = entry.map_err(ChainError::from_subxt)?;
        let (case,) = entry
            .key()
            .map_err(ChainError::from_subxt)?
            .decode()
            .map_err(ChainError::from_subxt)?;
        let judgment = entry.value().decode().map_err(ChainError::from_subxt)?;
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
    let block = client
        .api()
        .at_block(at.hash)
        .await
        .map_err(ChainError::from_subxt)?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
