//! `mindos wallet …`: the commands.

use mindos_chain_client::ChainError;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use mindos_chain_client::{runtime, ChainClient};
use serde_json::json;
use subxt::utils::AccountId32;
use subxt_signer::SecretUri;

use crate::{
    address::{self, to_ss58},
    amount::{format_mind, parse_mind},
    cli::WalletCommand,
    keystore::{Keystore, KeystoreError, Meta, Sr25519Pair},
    tx,
    ui::Ui,
    wallets::{check_name, Wallet, Wallets},
    Network, WrongPassword,
};

/// What every wallet command needs.
pub struct Context<'a> {
    /// Output and prompts.
    pub ui: &'a Ui,
    /// The wallet directory.
    pub wallets: &'a Wallets,
    /// The chain, for the commands that read or write it.
    pub network: &'a Network,
}

/// Runs a wallet command.
pub async fn run(command: WalletCommand, cx: &Context<'_>) -> anyhow::Result<()> {
    match command {
        WalletCommand::Create { name, words } => create(cx, &name, words),
        WalletCommand::Import {
            name,
            mnemonic: _,
            seed,
        } => import(cx, &name, seed),
        WalletCommand::ImportJson { file, name } => import_json(cx, &file, name.as_deref()),
        WalletCommand::Export { name, output } => export(cx, &name, output.as_deref()),
        WalletCommand::List => list(cx),
        WalletCommand::Show { name } => show(cx, &name),
        WalletCommand::Balance { account } => balance(cx, &account).await,
        WalletCommand::Transfer { from, to, amount } => transfer(cx, &from, &to, &amount).await,
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// A polkadot-js `whenCreated` (milliseconds since the Unix epoch) as a person reads it:
/// `2026-12-07 16:35:54 UTC`.
fn utc_time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || format!("{ms} ms since the Unix epoch"),
            |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

fn describe(wallet: &Wallet) -> anyhow::Result<serde_json::Value> {
    let account = wallet.keystore.account()?;
    Ok(json!({
        "name": wallet.name,
        "address": to_ss58(&account),
        "public_key": format!("0x{}", mindos_chain_client::to_hex(&account.0)),
        "path": wallet.path.display().to_string(),
        "created_ms": wallet.keystore.meta.when_created,
    }))
}

/// Locks `pair` under a new password and writes it as wallet `name`.
fn save_new(cx: &Context<'_>, name: &str, pair: &Sr25519Pair) -> anyhow::Result<Wallet> {
    let password = cx.ui.new_password(name)?;
    let meta = Meta {
        name: Some(name.to_owned()),
        when_created: Some(now_ms()),
        ..Meta::default()
    };
    let keystore = Keystore::lock(pair, &password, meta)?;
    let path = cx.wallets.create(name, &keystore)?;
    Ok(Wallet {
        name: name.to_owned(),
        path,
        keystore,
    })
}

fn create(cx: &Context<'_>, name: &str, words: usize) -> anyhow::Result<()> {
    cx.wallets.ensure_free(name)?;
    let (mnemonic, pair) = Sr25519Pair::generate(words)?;
    let wallet = save_new(cx, name, &pair)?;
    let mut document = describe(&wallet)?;
    if let Some(object) = document.as_object_mut() {
        object.insert("mnemonic".into(), json!(mnemonic.as_str()));
    }
    cx.ui.warn(&format!(
        "\nWallet `{name}` created. Its mnemonic, shown this once:\n\n    {}\n\n\
         Write it down and keep it offline. Anyone with it controls the wallet; without it \
         (or the keystore and its password) the wallet is lost. It is not stored anywhere.\n",
        mnemonic.as_str()
    ));
    cx.ui.result(&wallet_line(&document), document);
    Ok(())
}

fn import(cx: &Context<'_>, name: &str, seed: bool) -> anyhow::Result<()> {
    check_name(name)?;
    cx.wallets.ensure_free(name)?;
    let what = if seed {
        "seed (0x and 64 hex digits)"
    } else {
        "mnemonic"
    };
    let secret = cx.ui.secret(what)?;
    if seed && !(secret.starts_with("0x") && secret.len() == 66) {
        bail!("a seed is 0x and 64 hex digits; use --mnemonic for a phrase");
    }
    if !seed && secret.starts_with("0x") {
        bail!("that is a hex seed; import it with --seed");
    }
    // The parse error never echoes the secret.
    let uri: SecretUri = secret
        .parse()
        .map_err(|_| anyhow::anyhow!("not a valid {what} or secret URI"))?;
    let pair = Sr25519Pair::from_uri(&uri)?;
    // Cross-check against subxt-signer, which the chain client signs with elsewhere: both
    // must derive one account from one secret.
    let check = subxt_signer::sr25519::Keypair::from_uri(&uri)
        .map_err(|e| anyhow::anyhow!("the {what} does not give a key: {e}"))?;
    if check.public_key().0 != pair.account().0 {
        bail!("internal error: two derivations of the {what} disagree; nothing was written");
    }
    let wallet = save_new(cx, name, &pair)?;
    let document = describe(&wallet)?;
    cx.ui.note(&format!("imported wallet `{name}`"));
    cx.ui.result(&wallet_line(&document), document);
    Ok(())
}

fn import_json(cx: &Context<'_>, file: &std::path::Path, name: Option<&str>) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut keystore =
        Keystore::from_json(&text).with_context(|| format!("reading {}", file.display()))?;
    let name = match name {
        Some(name) => name.to_owned(),
        None => match keystore.meta.name.as_deref() {
            Some(own) if check_name(own).is_ok() => own.to_owned(),
            other => {
                bail!("the export's name {other:?} is not a wallet name; give one with --name")
            }
        },
    };
    cx.wallets.ensure_free(&name)?;
    // Unlocked once, so a wrong password or an altered file is caught now, not at the
    // first transfer. The encrypted body is kept as polkadot-js wrote it.
    let password = cx.ui.password(&name)?;
    keystore.unlock(&password).map_err(password_error)?;
    keystore.meta.name = Some(name.clone());
    let path = cx.wallets.create(&name, &keystore)?;
    let wallet = Wallet {
        name: name.clone(),
        path,
        keystore,
    };
    let document = describe(&wallet)?;
    cx.ui
        .note(&format!("imported wallet `{name}` from {}", file.display()));
    cx.ui.result(&wallet_line(&document), document);
    Ok(())
}

fn export(cx: &Context<'_>, name: &str, output: Option<&std::path::Path>) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(name)?;
    let text = wallet.keystore.to_json();
    match output {
        None => {
            // The keystore is the document, with or without --json.
            println!("{text}");
        }
        Some(path) => {
            let mut contents = text;
            contents.push('\n');
            mindos_daemon::keyfile::write_private(path, contents.as_bytes()).with_context(
                || {
                    format!(
                        "writing {} (an existing file is never replaced)",
                        path.display()
                    )
                },
            )?;
            cx.ui.note(&format!(
                "wrote wallet `{name}` to {}: polkadot-js restores it with the wallet's password",
                path.display()
            ));
            cx.ui.result(
                "",
                json!({"name": name, "path": path.display().to_string()}),
            );
        }
    }
    Ok(())
}

fn list(cx: &Context<'_>) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let mut text = Vec::new();
    for wallet in cx.wallets.list()? {
        match wallet {
            Ok(wallet) => {
                let document = describe(&wallet)?;
                text.push(wallet_line(&document));
                rows.push(document);
            }
            // One damaged file must not hide the other wallets.
            Err(e) => cx.ui.warn(&format!("warning: {e}")),
        }
    }
    if rows.is_empty() {
        cx.ui.note(&format!(
            "no wallets in {} (create one with `mindos wallet create NAME`)",
            cx.wallets.dir().display()
        ));
    }
    cx.ui.result(&text.join("\n"), json!({ "wallets": rows }));
    Ok(())
}

/// A string field of a result document ("" if absent).
fn field<'a>(document: &'a serde_json::Value, key: &str) -> &'a str {
    document
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
}

fn wallet_line(document: &serde_json::Value) -> String {
    format!(
        "{}  {}",
        field(document, "name"),
        field(document, "address")
    )
}

fn show(cx: &Context<'_>, name: &str) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(name)?;
    let document = describe(&wallet)?;
    let created = wallet
        .keystore
        .meta
        .when_created
        .map_or("unknown".to_owned(), utc_time);
    let text = format!(
        "name:        {}\naddress:     {}\npublic key:  {}\nkeystore:    {}\ncreated:     {created}",
        name,
        field(&document, "address"),
        field(&document, "public_key"),
        wallet.path.display(),
    );
    cx.ui.result(&text, document);
    Ok(())
}

/// A wallet name or an address, as an account.
pub(crate) fn resolve_account(cx: &Context<'_>, text: &str) -> anyhow::Result<AccountId32> {
    if check_name(text).is_ok() {
        match cx.wallets.load(text) {
            Ok(wallet) => return Ok(wallet.keystore.account()?),
            Err(crate::wallets::WalletError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // A hotkey's key file (as the miner and validator keep it): what a miner's owner sends
    // its serve fee to. Wallet names cannot contain `/`, so a path is never a name.
    let path = std::path::Path::new(text);
    if text.contains('/') && path.is_file() {
        let pair = mindos_chain_client::keys::load_key(path)
            .with_context(|| format!("reading the key file {text}"))?;
        return Ok(pair.public_key().into());
    }
    address::parse_account(text).map_err(|e| {
        anyhow::anyhow!(
            "`{text}` is neither a wallet in {}, a key file nor an address: {e}",
            cx.wallets.dir().display()
        )
    })
}

/// An account's balances at the newest finalized block.
pub(crate) struct Balances {
    pub(crate) free: u128,
    pub(crate) reserved: u128,
    pub(crate) frozen: u128,
    pub(crate) block: u64,
}

pub(crate) async fn balances(client: &ChainClient, who: &AccountId32) -> anyhow::Result<Balances> {
    let at = client
        .api()
        .at_current_block()
        .await
        .map_err(ChainError::from_subxt)?;
    let account = at
        .storage()
        .try_fetch(runtime::storage().system().account(), (*who,))
        .await
        .map_err(ChainError::from_subxt)?;
    let data = match account {
        Some(value) => Some(value.decode().map_err(ChainError::from_subxt)?.data),
        None => None,
    };
    Ok(Balances {
        free: data.as_ref().map_or(0, |d| d.free),
        reserved: data.as_ref().map_or(0, |d| d.reserved),
        frozen: data.as_ref().map_or(0, |d| d.frozen),
        block: at.block_number(),
    })
}

pub(crate) fn mind_json(planck: u128) -> serde_json::Value {
    // Planck as a string: JSON numbers past 2^53 lose digits in most parsers.
    json!({"planck": planck.to_string(), "mind": format_mind(planck)})
}

async fn balance(cx: &Context<'_>, account: &str) -> anyhow::Result<()> {
    let who = resolve_account(cx, account)?;
    let client = cx.network.connect().await?;
    let b = balances(&client, &who).await?;
    let text = format!(
        "{}\n  free:      {} MIND\n  reserved:  {} MIND\n  frozen:    {} MIND\n  (finalized block #{})",
        to_ss58(&who),
        format_mind(b.free),
        format_mind(b.reserved),
        format_mind(b.frozen),
        b.block
    );
    cx.ui.result(
        &text,
        json!({
            "address": to_ss58(&who),
            "free": mind_json(b.free),
            "reserved": mind_json(b.reserved),
            "frozen": mind_json(b.frozen),
            "block": b.block,
        }),
    );
    Ok(())
}

/// Refuses a spend the account cannot pay, before anything is sent: a transfer that keeps
/// its sender alive (or a burn, a stake) fails in its block if the balance falls short, and
/// the fee is paid all the same. `what` says what the `amount` pays for ("burning",
/// "staking", "sending").
pub(crate) fn check_spend(
    b: &Balances,
    what: &str,
    amount: u128,
    fee: u128,
    existential_deposit: u128,
) -> anyhow::Result<()> {
    // What must stay: frozen funds not covered by reserves, and at least the existential
    // deposit (pallet-balances' `untouchable` for a keep-alive transfer).
    let untouchable = b.frozen.saturating_sub(b.reserved).max(existential_deposit);
    let spendable = b.free.saturating_sub(untouchable);
    let needed = amount.saturating_add(fee);
    if needed > spendable {
        return Err(InsufficientBalance(format!(
            "insufficient balance: {what} {} MIND plus a fee of about {} MIND needs {} MIND \
             spendable, and the wallet can spend {} MIND (free {}, of which {} must stay: \
             frozen funds and the existential deposit). Nothing was sent.",
            format_mind(amount),
            format_mind(fee),
            format_mind(needed),
            format_mind(spendable),
            format_mind(b.free),
            format_mind(untouchable),
        ))
        .into());
    }
    Ok(())
}

/// A transfer the wallet cannot pay: exit code 1, nothing sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InsufficientBalance(pub String);

pub(crate) fn password_error(error: KeystoreError) -> anyhow::Error {
    match error {
        KeystoreError::WrongPassword => WrongPassword(error.to_string()).into(),
        other => other.into(),
    }
}

/// Unlocks `wallet` with the password from the file, the environment or a prompt.
pub(crate) fn unlock(cx: &Context<'_>, wallet: &Wallet) -> anyhow::Result<Sr25519Pair> {
    let password = cx.ui.password(&wallet.name)?;
    wallet.keystore.unlock(&password).map_err(password_error)
}

/// Signs `call` with `pair` (a wallet's key, or a hotkey's for the calls a hotkey signs),
/// refuses it before sending if the account cannot pay `spend` (what the call moves out of
/// its free balance: a transfer, a burn, a stake, a deposit held) plus the fee and stay
/// alive, or if the runtime would refuse it on the best block's state ([`crate::dry_run`]),
/// shows `summary` and the fee, asks (unless `--yes`), sends it and follows it to finality.
/// Returns where it landed and the fee estimate. Nothing is sent on any error before the
/// confirmation.
pub(crate) async fn send_paid<Call, S>(
    cx: &Context<'_>,
    client: &ChainClient,
    pair: &S,
    call: &Call,
    what: &str,
    spend: u128,
    summary: &str,
) -> anyhow::Result<(tx::Finalized, u128)>
where
    Call: subxt::transactions::Payload,
    S: subxt::transactions::Signer<mindos_chain_client::MindConfig>,
{
    let signed = tx::sign(client, call, pair).await?;
    let existential_deposit = client
        .api()
        .at_current_block()
        .await
        .map_err(ChainError::from_subxt)?
        .constants()
        .entry(runtime::constants().balances().existential_deposit())
        .map_err(ChainError::from_subxt)?;
    let b = balances(client, &pair.account_id()).await?;
    check_spend(&b, what, spend, signed.fee, existential_deposit)?;
    if let crate::dry_run::Outcome::Untried(reason) =
        crate::dry_run::dry_run(client, &signed).await?
    {
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

async fn transfer(cx: &Context<'_>, from: &str, to: &str, amount: &str) -> anyhow::Result<()> {
    // Everything the user typed is checked before the network and the password.
    let amount = parse_mind(amount)?;
    if amount == 0 {
        bail!("the amount is zero; nothing to send");
    }
    let wallet = cx.wallets.load(from)?;
    let dest = resolve_account(cx, to)?;
    let source = wallet.keystore.account()?;
    if dest == source {
        bail!("`{to}` is the sending wallet itself");
    }
    let client = cx.network.connect().await?;
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions()
        .balances()
        .transfer_keep_alive(dest.into(), amount);
    let summary = format!(
        "transfer {} MIND from `{from}` ({}) to {}",
        format_mind(amount),
        to_ss58(&source),
        to_ss58(&dest),
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "sending", amount, &summary).await?;
    let text = format!(
        "sent {} MIND to {}: finalized in block #{} ({:?})",
        format_mind(amount),
        to_ss58(&dest),
        done.block_number,
        done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "from": to_ss58(&source),
                "to": to_ss58(&dest),
                "amount": mind_json(amount),
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
    fn creation_times_print_as_utc_dates() {
        assert_eq!(utc_time(1_796_661_354_000), "2026-12-07 16:35:54 UTC");
        assert_eq!(utc_time(0), "1970-01-01 00:00:00 UTC");
        // Beyond what a date can hold: the raw value, not a panic.
        assert_eq!(
            utc_time(u64::MAX),
            format!("{} ms since the Unix epoch", u64::MAX)
        );
    }

    #[test]
    fn a_transfer_must_leave_frozen_funds_and_the_existential_deposit() {
        let b = Balances {
            free: 10 * MIND,
            reserved: 0,
            frozen: 0,
            block: 1,
        };
        let ed = MIND / 1000;
        assert!(check_spend(&b, "sending", 9 * MIND, MIND / 100, ed).is_ok());
        // Everything but the existential deposit, fee included: exactly enough.
        assert!(check_spend(&b, "sending", 10 * MIND - ed - 5, 5, ed).is_ok());
        assert!(check_spend(&b, "sending", 10 * MIND - ed - 5, 6, ed).is_err());
        assert!(check_spend(&b, "sending", 10 * MIND, 0, ed).is_err());
        let frozen = Balances {
            frozen: 4 * MIND,
            reserved: MIND,
            ..b
        };
        // Frozen 4 with 1 reserved: 3 must stay in free.
        assert!(check_spend(&frozen, "sending", 7 * MIND, 0, ed).is_ok());
        let err = check_spend(&frozen, "sending", 7 * MIND + 1, 0, ed).unwrap_err();
        assert!(err.to_string().contains("Nothing was sent"), "{err}");
    }
}
