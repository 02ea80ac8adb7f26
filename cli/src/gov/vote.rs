//! `gov vote` and `gov close`.

use anyhow::{bail, Context as _};
use mindos_chain_client::runtime;
use mindos_chain_client::ChainError;
use serde_json::{json, Value};
use subxt::{rpcs::rpc_params, utils::AccountId32};

use super::{extrinsic_events, projection, Action, Chain, Proposal, Status};
use crate::{
    address::to_ss58,
    amount::format_mind,
    wallet::{mind_json, send_paid, unlock, Context},
};

/// Refuses a vote the chain would refuse, or one that would change nothing: returns the note
/// on what the vote does to an earlier one, if any.
fn check_vote(
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

pub(super) async fn vote(
    cx: &Context<'_>,
    index: u32,
    aye: bool,
    wallet_name: &str,
) -> anyhow::Result<()> {
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
    let (done, fee) = send_paid(cx, &chain.client, &pair, &call, "paying", 0, &summary).await?;
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
    crate::tx::add_receipt(&mut fields, &done, fee);
    cx.ui.result(&text, Value::Object(fields));
    Ok(())
}

pub(super) async fn close(cx: &Context<'_>, index: u32, wallet_name: &str) -> anyhow::Result<()> {
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
    let (done, fee) = send_paid(cx, &chain.client, &pair, &call, "paying", 0, &summary).await?;
    let events = extrinsic_events(&chain.client, &done).await?;
    let mut fields = serde_json::Map::new();
    fields.insert("index".into(), json!(index));
    let text = if let Some(approved) =
        events.find_first::<runtime::directives::events::ProposalApproved>()
    {
        let approved = approved.map_err(ChainError::from_subxt)?;
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
        let rejected = rejected.map_err(ChainError::from_subxt)?;
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
    crate::tx::add_receipt(&mut fields, &done, fee);
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
}
