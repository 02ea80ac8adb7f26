//! `mindos neuron register|deregister` (`serve` is in [`crate::serve`]).
//!
//! Registration uses the chain client's pieces that `ChainClient::ensure_registered` (the
//! miner's and validator's path) is built from — the owner check, the uid lookup, the
//! hotkey's consent — but signs with the wallet's keystore key and goes through the CLI's
//! fee, confirmation and progress ([`crate::wallet::send_paid`]) instead of submitting
//! silently.

use std::path::Path;

use anyhow::{bail, Context as _};
use mindos_chain_client::{
    keys,
    neuron::hotkey_consent,
    runtime::{
        self,
        runtime_types::{mindos_primitives::NetUid as ChainNetUid, sp_runtime::MultiSignature},
    },
    ChainClient,
};
use mindos_primitives::NetUid;
use serde_json::json;
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

use crate::{
    address::{self, to_ss58},
    amount::{format_mind, parse_mind},
    cli::NeuronCommand,
    subnet,
    wallet::{mind_json, send_paid, unlock, Context},
};

/// The registration price is above what the user agreed to pay: exit code 1, nothing sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BurnAboveMax(pub String);

/// A hotkey key pair from a key file (as the miner and validator read it) or a secret URI.
pub fn hotkey_pair(text: &str) -> anyhow::Result<Keypair> {
    let path = Path::new(text);
    if path.is_file() {
        return Ok(keys::load_key(path)?);
    }
    // The parse error never echoes the text: it may be a secret.
    keys::parse_key(text).map_err(|reason| {
        anyhow::anyhow!("--hotkey is neither a key file nor a secret URI ({reason})")
    })
}

/// A hotkey's account from an address (SS58 or 0x hex), a key file or a secret URI.
pub fn hotkey_account(text: &str) -> anyhow::Result<AccountId32> {
    if let Ok(account) = address::parse_account(text) {
        return Ok(account);
    }
    hotkey_pair(text)
        .map(|pair| pair.public_key().into())
        .context("--hotkey is not an address either")
}

/// Runs a neuron command.
pub async fn run(command: NeuronCommand, cx: &Context<'_>) -> anyhow::Result<()> {
    match command {
        NeuronCommand::Register {
            netuid,
            wallet,
            hotkey,
            max_burn,
        } => register(cx, netuid, &wallet, &hotkey, max_burn.as_deref()).await,
        NeuronCommand::Deregister {
            netuid,
            wallet,
            hotkey,
        } => deregister(cx, netuid, &wallet, &hotkey).await,
        NeuronCommand::Serve {
            netuid,
            hotkey,
            node_key_file,
            endpoint,
        } => crate::serve::serve(cx, netuid, &hotkey, &node_key_file, &endpoint).await,
    }
}

/// The `max_burn` the register call carries: the user's cap, or the price shown when none
/// was given. Refuses (before anything is signed) a cap below the price now: the chain
/// would refuse it too, after charging the fee.
pub fn max_burn(price: u128, cap: Option<u128>) -> Result<u128, BurnAboveMax> {
    match cap {
        None => Ok(price),
        Some(cap) if cap >= price => Ok(cap),
        Some(cap) => Err(BurnAboveMax(format!(
            "registering burns {} MIND now, more than --max-burn {} MIND; nothing was sent",
            format_mind(price),
            format_mind(cap)
        ))),
    }
}

/// The `Neurons::register` call: `max_burn` travels with it, so the chain refuses the
/// registration (`Neurons::BurnAboveMax`) if the price rose above it before inclusion.
pub fn register_call(
    netuid: u16,
    hotkey: AccountId32,
    max_burn: u128,
    consent: Option<[u8; 64]>,
) -> subxt::transactions::StaticPayload<runtime::neurons::calls::Register> {
    runtime::transactions().neurons().register(
        ChainNetUid(netuid),
        hotkey,
        max_burn,
        consent.map(MultiSignature::Sr25519),
    )
}

async fn register(
    cx: &Context<'_>,
    netuid: u16,
    wallet_name: &str,
    hotkey: &str,
    cap: Option<&str>,
) -> anyhow::Result<()> {
    // What the user typed is checked before the network and the password.
    let cap = cap.map(parse_mind).transpose()?;
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;
    let hotkey = hotkey_pair(hotkey)?;
    let hotkey_id: AccountId32 = hotkey.public_key().into();

    let client = cx.network.connect().await?;
    let pinned = subnet::pin(&client).await?;
    let info = subnet::subnet(&client, netuid, pinned).await?;
    let at = client.at_finalized().await?;
    // Paying a burn for a hotkey another coldkey owns fails on chain anyway.
    client.check_hotkey_owner(&at, &hotkey_id, &coldkey).await?;
    if let Some(uid) = client.uid(&at, NetUid(netuid), &hotkey_id).await? {
        bail!(
            "hotkey {} is already registered on subnet {netuid} as uid {}; nothing was sent",
            to_ss58(&hotkey_id),
            uid.0
        );
    }
    let price = info.registration_burn;
    let max_burn = max_burn(price, cap)?;
    // A hotkey's first registration carries its consent to this coldkey owning it.
    let consent = match client.hotkey_owner(&at, &hotkey_id).await? {
        Some(_) => None,
        None => Some(hotkey_consent(&hotkey, &client.genesis_hash(), &coldkey)),
    };
    let pair = unlock(cx, &wallet)?;
    let call = register_call(netuid, hotkey_id, max_burn, consent);
    let summary = format!(
        "register hotkey {} on subnet {netuid} `{}` with wallet `{wallet_name}` ({})\n\
         burn: {} MIND now (refused on chain if above {} MIND when it lands)",
        to_ss58(&hotkey_id),
        String::from_utf8_lossy(&info.name),
        to_ss58(&coldkey),
        format_mind(price),
        format_mind(max_burn),
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "burning", price, &summary).await?;
    let at = client.at_finalized().await?;
    let uid = client
        .uid(&at, NetUid(netuid), &hotkey_id)
        .await?
        .map(|uid| uid.0);
    let text = format!(
        "registered {} on subnet {netuid} as uid {}: finalized in block #{} ({:?})",
        to_ss58(&hotkey_id),
        uid.map_or("? (pruned since)".to_owned(), |uid| uid.to_string()),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "netuid": netuid,
                "hotkey": to_ss58(&hotkey_id),
                "coldkey": to_ss58(&coldkey),
                "uid": uid,
                "burn_quoted": mind_json(price),
                "max_burn": mind_json(max_burn),
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

async fn deregister(
    cx: &Context<'_>,
    netuid: u16,
    wallet_name: &str,
    hotkey: &str,
) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;
    let hotkey_id = hotkey_account(hotkey)?;
    let client = cx.network.connect().await?;
    let pinned = subnet::pin(&client).await?;
    subnet::subnet(&client, netuid, pinned).await?;
    let at = client.at_finalized().await?;
    let Some(uid) = client.uid(&at, NetUid(netuid), &hotkey_id).await? else {
        bail!(
            "hotkey {} is not registered on subnet {netuid}; nothing was sent",
            to_ss58(&hotkey_id)
        );
    };
    owned_by(&client, &at, &hotkey_id, &coldkey, wallet_name).await?;
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions()
        .neurons()
        .deregister(ChainNetUid(netuid), hotkey_id);
    let summary = format!(
        "deregister hotkey {} (uid {}) from subnet {netuid}: its uid is freed and its burn is \
         not refunded",
        to_ss58(&hotkey_id),
        uid.0
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "paying", 0, &summary).await?;
    let text = format!(
        "deregistered {} from subnet {netuid}: finalized in block #{} ({:?})",
        to_ss58(&hotkey_id),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "netuid": netuid,
                "hotkey": to_ss58(&hotkey_id),
                "uid": uid.0,
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

/// Refuses (exit 1, nothing sent) a hotkey the wallet does not own on chain: the call would
/// fail with `NotHotkeyOwner` after charging the fee.
pub async fn owned_by(
    client: &ChainClient,
    at: &mindos_chain_client::neuron::AtBlock,
    hotkey: &AccountId32,
    coldkey: &AccountId32,
    wallet_name: &str,
) -> anyhow::Result<()> {
    match client.hotkey_owner(at, hotkey).await? {
        Some(owner) if owner == *coldkey => Ok(()),
        Some(owner) => bail!(
            "hotkey {} is owned by {}, not by wallet `{wallet_name}`; nothing was sent",
            to_ss58(hotkey),
            to_ss58(&owner)
        ),
        None => bail!(
            "hotkey {} has never been registered, so no wallet owns it; nothing was sent",
            to_ss58(hotkey)
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mindos_primitives::MIND;

    #[test]
    fn the_cap_defaults_to_the_price_shown_and_a_lower_one_is_refused() {
        assert_eq!(max_burn(3 * MIND, None).unwrap(), 3 * MIND);
        assert_eq!(max_burn(3 * MIND, Some(5 * MIND)).unwrap(), 5 * MIND);
        assert_eq!(max_burn(3 * MIND, Some(3 * MIND)).unwrap(), 3 * MIND);
        let refused = max_burn(3 * MIND, Some(3 * MIND - 1)).unwrap_err();
        assert!(
            refused.to_string().contains("nothing was sent"),
            "{refused}"
        );
    }

    #[test]
    fn the_register_call_carries_the_cap_to_the_chain() {
        let hotkey = AccountId32([7; 32]);
        let call = register_call(1, hotkey, 42 * MIND, None);
        assert_eq!(call.pallet_name(), "Neurons");
        assert_eq!(call.call_name(), "register");
        assert_eq!(call.call_data().max_burn, 42 * MIND);
        assert_eq!(call.call_data().hotkey, hotkey);
    }
}
