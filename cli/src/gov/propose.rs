//! `gov propose …`: one action per subcommand, checked against the chain before the
//! password is asked for.

use anyhow::{anyhow, bail, Context as _};
use mindos_chain_client::runtime::{
    self,
    directives::calls::propose::{Action as CallAction, Scope as CallScope},
    runtime_types::{
        bounded_collections::bounded_vec::BoundedVec,
        mindos_primitives::{Hyperparameters as ChainHyperparameters, NetUid as ChainNetUid},
        pallet_mindos_directives::parameters::ParameterValue,
    },
};
use mindos_chain_client::ChainError;
use mindos_primitives::{HyperparameterBounds, HyperparameterError, Hyperparameters};
use serde_json::{json, Value};

use super::{
    extrinsic_events, hyperparameters_text, parameters, Action, Chain, Directive, DirectiveStatus,
    Scope, Status,
};
use crate::{
    address::to_ss58,
    amount::{format_mind, parse_mind},
    cli::{DirectiveText, ProposeCommand},
    stake::format_percent,
    subnet,
    wallet::{mind_json, send_paid, unlock, Context},
};

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
fn check_bounds(
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

pub(super) async fn propose(cx: &Context<'_>, command: ProposeCommand) -> anyhow::Result<()> {
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
    let (done, fee) = send_paid(
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
        .map_err(ChainError::from_subxt)?;
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
    crate::tx::add_receipt(&mut fields, &done, fee);
    cx.ui.result(&text, Value::Object(fields));
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mindos_primitives::MIND;

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
