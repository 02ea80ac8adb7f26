//! `mindos subnet create|set-hyperparameters`: the subnets pallet's `create_subnet` and
//! `set_hyperparameters`, what a subnet owner signs ([`params`]: what the owner types, as
//! the chain takes it).
//!
//! Both are checked against the best block (the freshest state a transaction sent now
//! meets) before they are signed — the governed
//! hyperparameter bounds (naming the bound a value breaks), the network-wide creation
//! interval, the number of live subnets, the name's length, the owner, the owner's rate
//! limit and a governance cooldown — and `create` shows what it costs first: the creation
//! burn (a runtime constant, never refunded) and the lock deposit (`subnetLockBase +
//! subnetLockPerSubnet × live subnets` from `mindos_parameters`, held until the subnet is
//! dissolved).
//!
//! A task is one of the dev chain's (`digits`, `text-embedding`: the `TaskSpec`s its genesis
//! gives subnets 1 and 0), a JSON file in the node's `TaskSpec` shape, or flags.

mod params;

use anyhow::bail;
use mindos_chain_client::ChainError;
use mindos_chain_client::{
    neuron::AtBlock,
    runtime::{self, runtime_types::mindos_primitives as chain},
    ChainClient,
};
use mindos_primitives::{HyperparameterBounds, Range};
use serde_json::json;
use subxt::utils::{AccountId32, H256};

pub use params::{
    apply, builtin_tasks, changes, check_bounds, default_hyperparameters, no_values, parse_digest,
    task_from,
};
use params::{chain_hyperparameters, chain_task, from_chain_hyperparameters, hyperparameters_text};

use crate::{
    address::{parse_account, to_ss58},
    amount::format_mind,
    cli::{HyperparameterArgs, TaskArgs},
    neuron::hotkey_account,
    stake::{block_ms, duration},
    subnet::{self, hyperparameters_json, Pinned},
    wallet::{mind_json, send_paid, unlock, Context},
};

/// The bounds the subnets pallet checks (`HyperparameterBoundsOf`) at `at`.
async fn bounds(at: &AtBlock) -> anyhow::Result<HyperparameterBounds<u128>> {
    let Some(value) = at
        .storage()
        .try_fetch(runtime::storage().subnets().hyperparameter_bounds_of(), ())
        .await
        .map_err(ChainError::from_subxt)?
    else {
        bail!("the chain has no hyperparameter bounds yet, so no subnet can be created or tuned; nothing was sent");
    };
    let b = value.decode().map_err(ChainError::from_subxt)?;
    Ok(HyperparameterBounds {
        tempo: Range {
            min: b.tempo.min,
            max: b.tempo.max,
        },
        max_neurons: Range {
            min: b.max_neurons.min,
            max: b.max_neurons.max,
        },
        max_validators: Range {
            min: b.max_validators.min,
            max: b.max_validators.max,
        },
        immunity_period: Range {
            min: b.immunity_period.min,
            max: b.immunity_period.max,
        },
        min_validator_stake: Range {
            min: b.min_validator_stake.min,
            max: b.min_validator_stake.max,
        },
    })
}

/// The events of type `E` in block `hash`, where a transaction of this module landed.
async fn events_of<E: subxt::events::DecodeAsEvent>(
    client: &ChainClient,
    hash: H256,
) -> anyhow::Result<Vec<E>> {
    let events = client
        .api()
        .at_block(hash)
        .await
        .map_err(ChainError::from_subxt)?
        .events()
        .fetch()
        .await
        .map_err(ChainError::from_subxt)?;
    Ok(events
        .find::<E>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(ChainError::from_subxt)?)
}

/// A governed amount of `mindos_parameters` (a decimal string).
fn parameter_amount(parameters: &serde_json::Value, key: &str) -> anyhow::Result<u128> {
    parameters
        .get(key)
        .and_then(serde_json::Value::as_str)
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("the node's mindos_parameters has no amount {key}"))
}

/// The lock deposit the next subnet holds: `subnetLockBase + subnetLockPerSubnet × live`.
pub fn lock_deposit(base: u128, per_subnet: u128, live: u32) -> u128 {
    base.saturating_add(per_subnet.saturating_mul(u128::from(live)))
}

/// Refuses a creation before `allowed_from`, the block the network-wide creation interval
/// ends at; the transaction lands at `next` at the earliest.
pub fn check_creation_interval(
    next: u64,
    last: Option<u64>,
    interval: u64,
    block_ms: u64,
) -> anyhow::Result<()> {
    let Some(last) = last else {
        return Ok(());
    };
    let allowed_from = last.saturating_add(interval);
    if next < allowed_from {
        bail!(
            "a subnet was created at block #{last}, and one may be created every {interval} \
             blocks network-wide: the next from block #{allowed_from} ({}). Nothing was sent",
            duration(allowed_from.saturating_sub(next).saturating_mul(block_ms) / 1000)
        );
    }
    Ok(())
}

/// Runs `subnet create`.
pub async fn create(
    cx: &Context<'_>,
    client: &ChainClient,
    wallet_name: &str,
    name: Option<&str>,
    task: &TaskArgs,
    allow: &[String],
    hyperparameters: &HyperparameterArgs,
) -> anyhow::Result<()> {
    let (task, builtin) = task_from(task)?;
    let name = match (name, builtin) {
        (Some(name), _) => name.to_owned(),
        (None, Some(builtin)) => builtin.to_owned(),
        (None, None) => bail!("--name is needed: the task is not a built-in one"),
    };
    if name.is_empty() {
        bail!("the name is empty");
    }
    if !builtin_tasks().iter().any(|(known, _)| *known == name) {
        cx.ui.warn(&format!(
            "note: mindos-miner and mindos-validator load a subnet's task by its name; this \
             release knows {}, not `{name}`",
            builtin_tasks().map(|(n, _)| n).join(" and ")
        ));
    }
    let params = apply(&default_hyperparameters(), hyperparameters)?;
    let allow: Vec<AccountId32> = allow
        .iter()
        .map(|h| hotkey_account(h))
        .collect::<anyhow::Result<_>>()?;
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;

    let at = client.at_best().await?;
    let constants = runtime::constants().subnets();
    let entry = |e| at.constants().entry(e).map_err(ChainError::from_subxt);
    let max_name = entry(constants.max_name_length())?;
    let max_subnets = entry(constants.max_subnets())?;
    let max_allow = entry(constants.max_allow_list())?;
    let interval = entry(constants.subnet_creation_interval())?;
    let burn = at
        .constants()
        .entry(constants.creation_burn())
        .map_err(ChainError::from_subxt)?;
    if name.len() > usize::try_from(max_name).unwrap_or(usize::MAX) {
        bail!(
            "the name is {} bytes, more than the chain's {max_name}; nothing was sent",
            name.len()
        );
    }
    if allow.len() > usize::try_from(max_allow).unwrap_or(usize::MAX) {
        bail!(
            "{} hotkeys to --allow, more than the chain's {max_allow}; nothing was sent",
            allow.len()
        );
    }
    let live = at
        .storage()
        .fetch(runtime::storage().subnets().subnet_count(), ())
        .await
        .map_err(ChainError::from_subxt)?
        .decode()
        .map_err(ChainError::from_subxt)?;
    if live >= max_subnets {
        bail!("{live} subnets are live, the chain's most; nothing was sent");
    }
    let last = at
        .storage()
        .try_fetch(runtime::storage().subnets().last_subnet_created_at(), ())
        .await
        .map_err(ChainError::from_subxt)?
        .map(|v| v.decode().map_err(ChainError::from_subxt))
        .transpose()?;
    check_creation_interval(
        at.block_number().saturating_add(1),
        last.map(u64::from),
        u64::from(interval),
        block_ms(&at)?,
    )?;
    check_bounds(&bounds(&at).await?, &params)?;
    let parameters: serde_json::Value = client
        .mindos_read(
            "mindos_parameters",
            subxt::rpcs::rpc_params![at.block_hash()],
            None,
        )
        .await?;
    let deposit = lock_deposit(
        parameter_amount(&parameters, "subnetLockBase")?,
        parameter_amount(&parameters, "subnetLockPerSubnet")?,
        live,
    );

    let pair = unlock(cx, &wallet)?;
    let visibility = if allow.is_empty() {
        runtime::runtime_types::pallet_mindos_subnets::types::Visibility::Public
    } else {
        runtime::runtime_types::pallet_mindos_subnets::types::Visibility::Permissioned(
            runtime::runtime_types::bounded_collections::bounded_vec::BoundedVec(allow.clone()),
        )
    };
    let call = runtime::transactions().subnets().create_subnet(
        runtime::runtime_types::bounded_collections::bounded_vec::BoundedVec(
            name.as_bytes().to_vec(),
        ),
        chain_task(&task),
        chain_hyperparameters(&params),
        visibility,
    );
    let summary = format!(
        "create subnet `{name}` owned by wallet `{wallet_name}` ({})\n\
         task: {:?} input, model 0x{}, schemas {}/{}, scored by {:?}\n\
         hyperparameters: {}\n\
         registration: {}\n\
         cost: {} MIND burned (never refunded) and a lock deposit of {} MIND held until the \
         subnet is dissolved ({live} subnets live)",
        to_ss58(&coldkey),
        task.modality,
        mindos_chain_client::to_hex(&task.model_digest),
        task.input_schema,
        task.output_schema,
        task.scoring_rule,
        hyperparameters_text(&params),
        if allow.is_empty() {
            "anyone".to_owned()
        } else {
            format!("only {} allowed hotkeys", allow.len())
        },
        format_mind(burn),
        format_mind(deposit),
    );
    let (done, fee) = send_paid(
        cx,
        client,
        &pair,
        &call,
        "burning and locking",
        burn.saturating_add(deposit),
        &summary,
    )
    .await?;
    let created = events_of::<runtime::subnets::events::SubnetCreated>(client, done.block_hash)
        .await?
        .into_iter()
        .find(|e| e.owner == coldkey)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the creation is finalized in block #{} but that block has no SubnetCreated \
                 event of {}",
                done.block_number,
                to_ss58(&coldkey)
            )
        })?;
    let netuid = created.netuid.0;
    let text = format!(
        "created subnet {netuid} `{name}`: {} MIND burned, {} MIND held; finalized in block \
         #{} ({:?})",
        format_mind(created.burned),
        format_mind(created.deposit),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "netuid": netuid,
                "name": name,
                "owner": to_ss58(&coldkey),
                "task": serde_json::to_value(&task)?,
                "hyperparameters": hyperparameters_json(&params),
                "permissioned": !allow.is_empty(),
                "deposit": mind_json(created.deposit),
                "burned": mind_json(created.burned),
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

/// Blocks a queued change must still be from taking effect for a new change to replace it:
/// a transaction sent now lands a block or two later, and one that lands at or after the
/// boundary finds the queued change in force and the rate limit counting, which the chain
/// then refuses after charging the fee.
pub const REPLACE_MARGIN: u64 = 2;

/// The first epoch boundary at or after `block` of a subnet whose epochs come at `anchor`
/// and every `tempo + 1` blocks after it (the subnets pallet's `EpochTiming::next_boundary`).
pub fn next_boundary(anchor: u64, tempo: u16, block: u64) -> u64 {
    let Some(since) = block.checked_sub(anchor) else {
        return anchor;
    };
    let period = u64::from(tempo).saturating_add(1);
    let into = since.checked_rem(period).unwrap_or(0);
    if into == 0 {
        block
    } else {
        block.saturating_add(period.saturating_sub(into))
    }
}

/// What limits an owner's hyperparameter changes, as the chain holds it for one subnet.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeLimits {
    /// Governance set the hyperparameters: the owner waits until this block.
    pub governed_until: Option<u64>,
    /// The boundary block a queued change takes effect at, if one is queued.
    pub pending_at: Option<u64>,
    /// The block the owner last queued a change at.
    pub queued_at: Option<u64>,
    /// One change per this many epochs.
    pub rate_limit: u64,
    /// The tempo in force when a transaction sent now lands (an epoch is `tempo + 1`
    /// blocks): a queued change's if it takes effect first.
    pub tempo: u16,
}

impl ChangeLimits {
    /// Whether a change landing at block `next` or within [`REPLACE_MARGIN`] blocks after it
    /// replaces a queued one, free of the rate limit.
    pub fn replaces_pending(&self, next: u64) -> bool {
        self.pending_at
            .is_some_and(|at| at > next.saturating_add(REPLACE_MARGIN))
    }
}

/// Whether the owner may queue a change landing at block `next`: governance's cooldown, and
/// unless it replaces a queued change (free), one change per `rate_limit` epochs from the
/// last.
pub fn check_owner_may_change(
    netuid: u16,
    next: u64,
    limits: &ChangeLimits,
    block_ms: u64,
) -> anyhow::Result<()> {
    let wait = |from: u64| duration(from.saturating_sub(next).saturating_mul(block_ms) / 1000);
    if let Some(until) = limits.governed_until {
        if next < until {
            bail!(
                "governance set subnet {netuid}'s hyperparameters; its owner may change them \
                 again from block #{until} ({}). Nothing was sent",
                wait(until)
            );
        }
    }
    if limits.replaces_pending(next) {
        return Ok(());
    }
    if let Some(queued_at) = limits.queued_at {
        let rate_limit = limits.rate_limit;
        let allowed_from = queued_at
            .saturating_add(rate_limit.saturating_mul(u64::from(limits.tempo).saturating_add(1)));
        if next < allowed_from {
            let first = limits.pending_at.map_or(String::new(), |at| {
                format!(
                    " (that change takes effect at block #{at}, before a change sent now could \
                     replace it)"
                )
            });
            bail!(
                "subnet {netuid}'s owner changed its hyperparameters at block #{queued_at}{first}: \
                 one change per {rate_limit} epochs, the next from block #{allowed_from} ({}). \
                 Nothing was sent",
                wait(allowed_from)
            );
        }
    }
    Ok(())
}

/// Runs `subnet set-hyperparameters`.
pub async fn set_hyperparameters(
    cx: &Context<'_>,
    client: &ChainClient,
    netuid: u16,
    wallet_name: &str,
    args: &HyperparameterArgs,
) -> anyhow::Result<()> {
    if no_values(args) {
        bail!(
            "nothing to change: give at least one of --tempo, --max-neurons, --max-validators, \
             --immunity-period, --min-validator-stake, --commit-reveal"
        );
    }
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;
    let at = client.at_best().await?;
    let pinned = Pinned {
        hash: at.block_hash(),
        number: at.block_number(),
    };
    let info = subnet::subnet(client, netuid, pinned).await?;
    let owner = parse_account(&info.owner)?;
    if owner != coldkey {
        bail!(
            "subnet {netuid} is owned by {}, not by wallet `{wallet_name}`: only its owner may \
             change its hyperparameters (anyone may propose a change: `mindos gov`). Nothing was \
             sent",
            info.owner
        );
    }
    let key = || (chain::NetUid(netuid),);
    let storage = runtime::storage().subnets();
    let governed_until = at
        .storage()
        .try_fetch(storage.governed_until(), key())
        .await
        .map_err(ChainError::from_subxt)?
        .map(|v| v.decode().map_err(ChainError::from_subxt))
        .transpose()?;
    let pending = at
        .storage()
        .try_fetch(storage.pending_hyperparameters(), key())
        .await
        .map_err(ChainError::from_subxt)?
        .map(|v| v.decode().map_err(ChainError::from_subxt))
        .transpose()?
        .map(from_chain_hyperparameters);
    let queued_at = at
        .storage()
        .try_fetch(storage.hyperparameters_queued_at(), key())
        .await
        .map_err(ChainError::from_subxt)?
        .map(|v| v.decode().map_err(ChainError::from_subxt))
        .transpose()?;
    let rate_limit = at
        .constants()
        .entry(runtime::constants().subnets().hyperparameters_rate_limit())
        .map_err(ChainError::from_subxt)?;
    let next = at.block_number().saturating_add(1);
    let schedule = at
        .storage()
        .fetch(storage.epoch_schedule(), ())
        .await
        .map_err(ChainError::from_subxt)?
        .decode()
        .map_err(ChainError::from_subxt)?;
    let boundary = schedule
        .0
        .iter()
        .find(|(id, _)| id.0 == netuid)
        .map(|(_, timing)| next_boundary(timing.anchor, timing.tempo, next));
    let current = info.hyperparameters.clone();
    let pending_at = pending.as_ref().and(boundary);
    let limits = ChangeLimits {
        governed_until: governed_until.map(u64::from),
        pending_at,
        queued_at: queued_at.map(u64::from),
        rate_limit: u64::from(rate_limit),
        // A queued change that takes effect before this one lands sets the tempo the rate
        // limit counts in.
        tempo: pending.as_ref().map_or(current.tempo, |p| p.tempo),
    };
    check_owner_may_change(netuid, next, &limits, block_ms(&at)?)?;
    let replacing = limits.replaces_pending(next);
    // A new change replaces a queued one: start from it, so values it set and this one does
    // not name are kept rather than silently reverted.
    let base = pending.clone().unwrap_or_else(|| current.clone());
    let new = apply(&base, args)?;
    if new == base {
        bail!(
            "subnet {netuid} has these hyperparameters {} already; nothing was sent",
            if pending.is_some() {
                "queued"
            } else {
                "in force"
            }
        );
    }
    check_bounds(&bounds(&at).await?, &new)?;
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions()
        .subnets()
        .set_hyperparameters(chain::NetUid(netuid), chain_hyperparameters(&new));
    let summary = format!(
        "change subnet {netuid} `{}`: {}{}\nqueued now, in force from the subnet's next epoch \
         boundary",
        String::from_utf8_lossy(&info.name),
        changes(&base, &new),
        if replacing {
            " (replacing the change already queued)"
        } else {
            ""
        }
    );
    let (done, fee) = send_paid(cx, client, &pair, &call, "paying", 0, &summary).await?;
    let effective_at =
        events_of::<runtime::subnets::events::HyperparametersQueued>(client, done.block_hash)
            .await?
            .into_iter()
            .find(|e| e.netuid.0 == netuid)
            .map(|e| e.effective_at);
    let text = format!(
        "queued for subnet {netuid}: {}; in force from block #{} (its next epoch boundary). \
         Finalized in block #{} ({:?})",
        changes(&current, &new),
        effective_at.map_or("?".to_owned(), |b| b.to_string()),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "netuid": netuid,
                "hyperparameters": hyperparameters_json(&new),
                "previous": hyperparameters_json(&current),
                "replaced_pending": replacing,
                "effective_at": effective_at,
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mindos_primitives::MIND;

    #[test]
    fn boundaries_follow_the_anchored_schedule() {
        // Anchored at 100, tempo 10: boundaries 100, 111, 122, …
        assert_eq!(next_boundary(100, 10, 0), 100);
        assert_eq!(next_boundary(100, 10, 100), 100);
        assert_eq!(next_boundary(100, 10, 101), 111);
        assert_eq!(next_boundary(100, 10, 111), 111);
        assert_eq!(next_boundary(100, 10, 112), 122);
    }

    #[test]
    fn the_lock_deposit_grows_with_the_live_subnets() {
        assert_eq!(lock_deposit(100 * MIND, 10 * MIND, 0), 100 * MIND);
        assert_eq!(lock_deposit(100 * MIND, 10 * MIND, 2), 120 * MIND);
    }

    #[test]
    fn creations_and_changes_wait_for_their_limits() {
        assert!(check_creation_interval(10, None, 3_600, 1_000).is_ok());
        let e = check_creation_interval(100, Some(50), 3_600, 1_000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the next from block #3650"), "{e}");
        assert!(check_creation_interval(3_650, Some(50), 3_600, 1_000).is_ok());

        // First change: free.
        let first = ChangeLimits {
            rate_limit: 2,
            tempo: 20,
            ..ChangeLimits::default()
        };
        assert!(check_owner_may_change(1, 100, &first, 1_000).is_ok());
        // A change queued at 90 takes effect at 105: replaced free until the margin.
        let queued = ChangeLimits {
            pending_at: Some(105),
            queued_at: Some(90),
            ..first
        };
        assert!(check_owner_may_change(1, 100, &queued, 1_000).is_ok());
        assert!(check_owner_may_change(1, 102, &queued, 1_000).is_ok());
        // Too close to its boundary: it will be in force, and the rate limit counts.
        let e = check_owner_may_change(1, 103, &queued, 1_000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("takes effect at block #105"), "{e}");
        assert!(e.contains("the next from block #132"), "{e}");
        // Applied already: wait two epochs of 21 blocks from block 90.
        let applied = ChangeLimits {
            pending_at: None,
            ..queued
        };
        let e = check_owner_may_change(1, 110, &applied, 1_000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the next from block #132"), "{e}");
        assert!(!e.contains("takes effect"), "{e}");
        assert!(check_owner_may_change(1, 132, &applied, 1_000).is_ok());
        let governed = ChangeLimits {
            governed_until: Some(200),
            ..first
        };
        let e = check_owner_may_change(1, 100, &governed, 1_000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("again from block #200"), "{e}");
        assert!(check_owner_may_change(1, 200, &governed, 1_000).is_ok());
    }
}
