//! `mindos stake …`: the stake pallet's calls (`add_stake`, `remove_stake`,
//! `withdraw_unbonded`, `claim_rewards`, `set_take`) and a wallet's stake and unbonding
//! chunks read from its storage.
//!
//! Each call is checked against the chain's state before it is signed — enough stake to
//! unbond, a matured chunk to withdraw, a take within `MaxTake`, a hotkey the wallet owns —
//! so the common mistakes cost no fee; the chain checks again when it lands.

use anyhow::bail;
use mindos_chain_client::ChainError;
use mindos_chain_client::{
    neuron::AtBlock,
    runtime::{self, runtime_types::sp_arithmetic::per_things::Perbill},
    ChainClient,
};
use serde_json::json;
use subxt::utils::AccountId32;

use crate::{
    address::to_ss58,
    amount::{format_mind, parse_mind},
    cli::StakeCommand,
    neuron::{hotkey_account, owned_by},
    subnet::{short, table},
    wallet::{mind_json, resolve_account, send_paid, unlock, Context},
    wallets::Wallet,
};

/// What every signed stake command starts from: the wallet, its coldkey, and the chain at
/// its finalized block (the state the command checks before it signs).
struct Start {
    wallet: Wallet,
    coldkey: AccountId32,
    client: ChainClient,
    at: AtBlock,
}

async fn start(cx: &Context<'_>, wallet_name: &str) -> anyhow::Result<Start> {
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;
    let client = cx.network.connect().await?;
    let at = client.at_finalized().await?;
    Ok(Start {
        wallet,
        coldkey,
        client,
        at,
    })
}

/// Runs a stake command.
pub async fn run(command: StakeCommand, cx: &Context<'_>) -> anyhow::Result<()> {
    match command {
        StakeCommand::Add {
            wallet,
            hotkey,
            amount,
        } => add(cx, &wallet, &hotkey, &amount).await,
        StakeCommand::Remove {
            wallet,
            hotkey,
            amount,
        } => remove(cx, &wallet, &hotkey, &amount).await,
        StakeCommand::Withdraw { wallet } => withdraw(cx, &wallet).await,
        StakeCommand::List { wallet } => list(cx, &wallet).await,
        StakeCommand::Claim { wallet, hotkey } => claim(cx, &wallet, &hotkey).await,
        StakeCommand::SetTake {
            wallet,
            hotkey,
            percent,
        } => set_take(cx, &wallet, &hotkey, &percent).await,
    }
}

/// A non-zero amount of MIND.
fn positive(text: &str) -> anyhow::Result<u128> {
    let amount = parse_mind(text)?;
    if amount == 0 {
        bail!("the amount is zero; nothing to do");
    }
    Ok(amount)
}

/// `coldkey`'s active stake on `hotkey` at `at`.
async fn stake_of(
    at: &AtBlock,
    hotkey: &AccountId32,
    coldkey: &AccountId32,
) -> anyhow::Result<u128> {
    Ok(at
        .storage()
        .fetch(runtime::storage().stake().stake_of(), (*hotkey, *coldkey))
        .await
        .map_err(ChainError::from_subxt)?
        .decode()
        .map_err(ChainError::from_subxt)?)
}

/// One unbonding chunk as the chain holds it.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// The hotkey the stake was on.
    pub hotkey: AccountId32,
    /// How much unlocks.
    pub amount: u128,
    /// The first block `withdraw_unbonded` releases it at.
    pub unlock_at: u64,
}

async fn chunks(at: &AtBlock, coldkey: &AccountId32) -> anyhow::Result<Vec<Chunk>> {
    let chunks = at
        .storage()
        .fetch(runtime::storage().stake().unbonding(), (*coldkey,))
        .await
        .map_err(ChainError::from_subxt)?
        .decode()
        .map_err(ChainError::from_subxt)?;
    Ok(chunks
        .0
        .into_iter()
        .map(|c| Chunk {
            hotkey: c.hotkey,
            amount: c.amount,
            unlock_at: u64::from(c.unlock_at),
        })
        .collect())
}

/// Milliseconds per block: twice the timestamp pallet's `MinimumPeriod` (Aura's slot).
pub(crate) fn block_ms(at: &AtBlock) -> anyhow::Result<u64> {
    let period = at
        .constants()
        .entry(runtime::constants().timestamp().minimum_period())
        .map_err(ChainError::from_subxt)?;
    Ok(period.saturating_mul(2))
}

/// "about 1 h 5 min" for a number of seconds.
pub fn duration(seconds: u64) -> String {
    match seconds {
        0 => "now".to_owned(),
        s if s < 120 => format!("about {s} s"),
        s if s < 7_200 => format!("about {} min", s / 60),
        s if s < 172_800 => format!("about {} h {} min", s / 3_600, (s % 3_600) / 60),
        s => format!("about {} days {} h", s / 86_400, (s % 86_400) / 3_600),
    }
}

async fn add(
    cx: &Context<'_>,
    wallet_name: &str,
    hotkey: &str,
    amount: &str,
) -> anyhow::Result<()> {
    let amount = positive(amount)?;
    let hotkey = hotkey_account(hotkey)?;
    let Start {
        wallet,
        coldkey,
        client,
        at,
    } = start(cx, wallet_name).await?;
    if client.hotkey_owner(&at, &hotkey).await?.is_none() {
        bail!(
            "hotkey {} has never been registered; stake goes on registered hotkeys only. \
             Nothing was sent",
            to_ss58(&hotkey)
        );
    }
    let min_stake = at
        .constants()
        .entry(runtime::constants().stake().min_stake())
        .map_err(ChainError::from_subxt)?;
    if amount < min_stake {
        bail!(
            "{} MIND is below the minimum stake of {} MIND; nothing was sent",
            format_mind(amount),
            format_mind(min_stake)
        );
    }
    let before = stake_of(&at, &hotkey, &coldkey).await?;
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().stake().add_stake(hotkey, amount);
    let summary = format!(
        "stake {} MIND from `{wallet_name}` ({}) on hotkey {}",
        format_mind(amount),
        to_ss58(&coldkey),
        to_ss58(&hotkey)
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "staking", amount, &summary).await?;
    finish(
        cx,
        &client,
        "staked",
        &hotkey,
        &coldkey,
        Some(amount),
        before,
        done,
        fee,
    )
    .await
}

/// Reports a finished stake change with the stake it left.
#[allow(clippy::too_many_arguments)]
async fn finish(
    cx: &Context<'_>,
    client: &ChainClient,
    verb: &str,
    hotkey: &AccountId32,
    coldkey: &AccountId32,
    amount: Option<u128>,
    before: u128,
    done: crate::tx::Finalized,
    fee: u128,
) -> anyhow::Result<()> {
    let at = client
        .api()
        .at_block(done.block_hash)
        .await
        .map_err(ChainError::from_subxt)?;
    let stake = stake_of(&at, hotkey, coldkey).await?;
    let text = format!(
        "{verb}{}: stake on {} is {} MIND (was {}); finalized in block #{} ({:?})",
        amount.map_or(String::new(), |a| format!(" {} MIND", format_mind(a))),
        to_ss58(hotkey),
        format_mind(stake),
        format_mind(before),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "hotkey": to_ss58(hotkey),
                "coldkey": to_ss58(coldkey),
                "amount": amount.map(mind_json),
                "stake": mind_json(stake),
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

async fn remove(
    cx: &Context<'_>,
    wallet_name: &str,
    hotkey: &str,
    amount: &str,
) -> anyhow::Result<()> {
    let amount = positive(amount)?;
    let hotkey = hotkey_account(hotkey)?;
    let Start {
        wallet,
        coldkey,
        client,
        at,
    } = start(cx, wallet_name).await?;
    let active = stake_of(&at, &hotkey, &coldkey).await?;
    if amount > active {
        bail!(
            "wallet `{wallet_name}` has {} MIND staked on {}, less than {} MIND; nothing was sent",
            format_mind(active),
            to_ss58(&hotkey),
            format_mind(amount)
        );
    }
    let min_stake = at
        .constants()
        .entry(runtime::constants().stake().min_stake())
        .map_err(ChainError::from_subxt)?;
    let left = active.saturating_sub(amount);
    let unbonding = if left > 0 && left < min_stake {
        cx.ui.note(&format!(
            "note: {} MIND would stay, below the minimum stake of {} MIND, so all {} MIND \
             unbond",
            format_mind(left),
            format_mind(min_stake),
            format_mind(active)
        ));
        active
    } else {
        amount
    };
    let period = unbonding_period(&client).await?;
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().stake().remove_stake(hotkey, amount);
    let summary = format!(
        "unbond {} MIND of `{wallet_name}`'s stake on {}: it stops counting now and can be \
         withdrawn after {period} blocks ({})",
        format_mind(unbonding),
        to_ss58(&hotkey),
        duration(period.saturating_mul(block_ms(&at)?) / 1000),
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "paying", 0, &summary).await?;
    finish(
        cx,
        &client,
        "unbonding",
        &hotkey,
        &coldkey,
        Some(unbonding),
        active,
        done,
        fee,
    )
    .await
}

/// The unbonding period in force: a governed parameter, read from `mindos_parameters`
/// (`unbondingPeriod`, in blocks).
async fn unbonding_period(client: &ChainClient) -> anyhow::Result<u64> {
    let parameters: serde_json::Value = client
        .mindos_read("mindos_parameters", subxt::rpcs::rpc_params![], None)
        .await?;
    parameters
        .get("unbondingPeriod")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| {
            anyhow::anyhow!("the node's mindos_parameters has no unbondingPeriod: {parameters}")
        })
}

async fn withdraw(cx: &Context<'_>, wallet_name: &str) -> anyhow::Result<()> {
    let Start {
        wallet,
        coldkey,
        client,
        at,
    } = start(cx, wallet_name).await?;
    let chunks = chunks(&at, &coldkey).await?;
    // A chunk unlocks in the first block at or after `unlock_at`; the transaction lands in
    // a block after the finalized one read here.
    let next = at.block_number().saturating_add(1);
    let ready: u128 = chunks
        .iter()
        .filter(|c| c.unlock_at <= next)
        .map(|c| c.amount)
        .sum();
    if ready == 0 {
        let soonest = chunks.iter().map(|c| c.unlock_at).min();
        match soonest {
            None => bail!("wallet `{wallet_name}` has nothing unbonding; nothing was sent"),
            Some(block) => bail!(
                "no unbonding chunk of wallet `{wallet_name}` has matured; the first unlocks \
                 at block #{block} ({}). Nothing was sent",
                duration(
                    block
                        .saturating_sub(at.block_number())
                        .saturating_mul(block_ms(&at)?)
                        / 1000
                )
            ),
        }
    }
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().stake().withdraw_unbonded();
    let summary = format!(
        "withdraw {} MIND of matured unbonding stake into `{wallet_name}`'s free balance",
        format_mind(ready)
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "paying", 0, &summary).await?;
    let text = format!(
        "withdrew {} MIND: finalized in block #{} ({:?})",
        format_mind(ready),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "coldkey": to_ss58(&coldkey),
                "amount": mind_json(ready),
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

async fn claim(cx: &Context<'_>, wallet_name: &str, hotkey: &str) -> anyhow::Result<()> {
    let hotkey = hotkey_account(hotkey)?;
    let Start {
        wallet,
        coldkey,
        client,
        at,
    } = start(cx, wallet_name).await?;
    let active = stake_of(&at, &hotkey, &coldkey).await?;
    if active == 0 {
        bail!(
            "wallet `{wallet_name}` has no active stake on {}, so nothing to claim; nothing was \
             sent",
            to_ss58(&hotkey)
        );
    }
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().stake().claim_rewards(hotkey);
    let summary = format!(
        "claim `{wallet_name}`'s dividends from its {} MIND stake on {}",
        format_mind(active),
        to_ss58(&hotkey)
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "paying", 0, &summary).await?;
    finish(
        cx, &client, "claimed", &hotkey, &coldkey, None, active, done, fee,
    )
    .await
}

/// A percentage with up to 7 decimals as parts per billion: `12.5` is 125_000_000.
pub fn parse_percent(text: &str) -> anyhow::Result<u32> {
    let bad =
        || anyhow::anyhow!("`{text}` is not a percentage (e.g. 9 or 12.5, at most 7 decimals)");
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 7 || whole.len() > 3 {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let fraction: u64 = if fraction.is_empty() {
        0
    } else {
        let scale = 10u64.pow(7u32.saturating_sub(fraction.len() as u32));
        fraction
            .parse::<u64>()
            .map_err(|_| bad())?
            .saturating_mul(scale)
    };
    let ppb = whole.saturating_mul(10_000_000).saturating_add(fraction);
    if ppb > 1_000_000_000 {
        bail!("`{text}` is more than 100 %");
    }
    u32::try_from(ppb).map_err(|_| bad())
}

/// Parts per billion as a percentage with the decimals it needs (`12.5`).
pub fn format_percent(ppb: u32) -> String {
    let whole = ppb / 10_000_000;
    let fraction = ppb % 10_000_000;
    if fraction == 0 {
        return whole.to_string();
    }
    format!("{whole}.{}", format!("{fraction:07}").trim_end_matches('0'))
}

async fn set_take(
    cx: &Context<'_>,
    wallet_name: &str,
    hotkey: &str,
    percent: &str,
) -> anyhow::Result<()> {
    let take = parse_percent(percent)?;
    let hotkey = hotkey_account(hotkey)?;
    let Start {
        wallet,
        coldkey,
        client,
        at,
    } = start(cx, wallet_name).await?;
    owned_by(&client, &at, &hotkey, &coldkey, wallet_name).await?;
    let max = at
        .constants()
        .entry(runtime::constants().stake().max_take())
        .map_err(ChainError::from_subxt)?
        .0;
    if take > max {
        bail!(
            "a take of {} % is above the chain's maximum of {} %; nothing was sent",
            format_percent(take),
            format_percent(max)
        );
    }
    let current = at
        .storage()
        .fetch(runtime::storage().stake().take_of(), (hotkey,))
        .await
        .map_err(ChainError::from_subxt)?
        .decode()
        .map_err(ChainError::from_subxt)?
        .0;
    let when = if take > current {
        "a raise: it applies one unbonding period from now, and only one raise is allowed per \
         rate-limit period"
    } else {
        "it applies at once"
    };
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions()
        .stake()
        .set_take(hotkey, Perbill(take));
    let summary = format!(
        "set the take of {} from {} % to {} % ({when})",
        to_ss58(&hotkey),
        format_percent(current),
        format_percent(take)
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "paying", 0, &summary).await?;
    let text = format!(
        "take of {} set to {} %: finalized in block #{} ({:?})",
        to_ss58(&hotkey),
        format_percent(take),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "hotkey": to_ss58(&hotkey),
                "take_ppb": take,
                "previous_take_ppb": current,
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

async fn list(cx: &Context<'_>, account: &str) -> anyhow::Result<()> {
    let coldkey = resolve_account(cx, account)?;
    let client = cx.network.connect().await?;
    let at = client.at_finalized().await?;
    let now = at.block_number();
    let ms = block_ms(&at)?;
    let staked = at
        .storage()
        .fetch(runtime::storage().stake().staked_hotkeys(), (coldkey,))
        .await
        .map_err(ChainError::from_subxt)?
        .decode()
        .map_err(ChainError::from_subxt)?
        .0;
    let chunks = chunks(&at, &coldkey).await?;
    // Hotkeys in the order the coldkey first staked, then those it only unbonds from.
    let mut hotkeys: Vec<AccountId32> = staked;
    for chunk in &chunks {
        if !hotkeys.contains(&chunk.hotkey) {
            hotkeys.push(chunk.hotkey);
        }
    }
    let mut rows = vec![[
        "HOTKEY",
        "STAKE (MIND)",
        "UNBONDING (MIND)",
        "UNLOCKS AT",
        "IN",
    ]
    .map(str::to_owned)];
    let mut documents = Vec::with_capacity(hotkeys.len());
    let (mut total_stake, mut total_unbonding) = (0u128, 0u128);
    for hotkey in &hotkeys {
        let stake = stake_of(&at, hotkey, &coldkey).await?;
        total_stake = total_stake.saturating_add(stake);
        let mine: Vec<&Chunk> = chunks.iter().filter(|c| c.hotkey == *hotkey).collect();
        rows.push([
            short(&to_ss58(hotkey)),
            format_mind(stake),
            String::new(),
            String::new(),
            String::new(),
        ]);
        let mut chunk_documents = Vec::with_capacity(mine.len());
        for chunk in mine {
            total_unbonding = total_unbonding.saturating_add(chunk.amount);
            let blocks_left = chunk.unlock_at.saturating_sub(now);
            let seconds = blocks_left.saturating_mul(ms) / 1000;
            rows.push([
                String::new(),
                String::new(),
                format_mind(chunk.amount),
                format!("#{}", chunk.unlock_at),
                if blocks_left == 0 {
                    "withdrawable".to_owned()
                } else {
                    duration(seconds)
                },
            ]);
            chunk_documents.push(json!({
                "amount": mind_json(chunk.amount),
                "unlock_at": chunk.unlock_at,
                "blocks_left": blocks_left,
                "seconds_left": seconds,
                "withdrawable": blocks_left == 0,
            }));
        }
        documents.push(json!({
            "hotkey": to_ss58(hotkey),
            "stake": mind_json(stake),
            "unbonding": chunk_documents,
        }));
    }
    let text = if hotkeys.is_empty() {
        format!(
            "{} has no stake and nothing unbonding (finalized block #{now})",
            to_ss58(&coldkey)
        )
    } else {
        format!(
            "{}: {} MIND staked, {} MIND unbonding\n\n{}\n(finalized block #{now}, {} s per block)",
            to_ss58(&coldkey),
            format_mind(total_stake),
            format_mind(total_unbonding),
            table(&rows),
            ms as f64 / 1000.0
        )
    };
    cx.ui.result(
        &text,
        json!({
            "coldkey": to_ss58(&coldkey),
            "block": now,
            "block_ms": ms,
            "total_stake": mind_json(total_stake),
            "total_unbonding": mind_json(total_unbonding),
            "hotkeys": documents,
        }),
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_exact_parts_per_billion() {
        assert_eq!(parse_percent("18").unwrap(), 180_000_000);
        assert_eq!(parse_percent("12.5").unwrap(), 125_000_000);
        assert_eq!(parse_percent("0.0000001").unwrap(), 1);
        assert_eq!(parse_percent("100").unwrap(), 1_000_000_000);
        assert!(parse_percent("100.0000001").is_err());
        assert!(parse_percent("0.00000001").is_err());
        for bad in ["", ".", "-1", "1e2", "ten", "1.2.3"] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
        for ppb in [0, 1, 125_000_000, 180_000_000, 1_000_000_000] {
            assert_eq!(parse_percent(&format_percent(ppb)).unwrap(), ppb);
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0), "now");
        assert_eq!(duration(90), "about 90 s");
        assert_eq!(duration(3_900), "about 65 min");
        assert_eq!(duration(7_260), "about 2 h 1 min");
        assert_eq!(duration(3 * 86_400 + 7_200), "about 3 days 2 h");
    }
}
