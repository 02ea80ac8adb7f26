//! The read commands: `gov directives`, `gov parameters`, `gov proposals`, `gov show`.

use serde_json::{json, Value};

use super::{
    parameters, printable, projection, ratio_ppb, Action, Chain, Directive, DirectiveStatus,
    Proposal, Rules, Status,
};
use crate::{
    address::to_ss58,
    amount::format_mind,
    stake::format_percent,
    subnet::table,
    wallet::{mind_json, Context},
};

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

pub(super) async fn directives(cx: &Context<'_>) -> anyhow::Result<()> {
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

pub(super) async fn show_parameters(cx: &Context<'_>) -> anyhow::Result<()> {
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

pub(super) async fn proposals(cx: &Context<'_>) -> anyhow::Result<()> {
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

pub(super) async fn show(cx: &Context<'_>, index: u32) -> anyhow::Result<()> {
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
