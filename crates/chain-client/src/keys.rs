//! Account keys (sr25519 hotkey and coldkey) from key files.
//!
//! A key file holds one secret URI — `//Alice` for development, a BIP-39 mnemonic with
//! optional `//hard/soft` junctions and `///password`, or `0x` and 64 hex digits — or a bare
//! 64-hex-digit seed. A missing hotkey file is created with a random seed, mode `0600`; a
//! coldkey file is never created. The libp2p identity has its own file (`mindos_mesh::keys`).
//!
//! The miner and the validator both read their keys through this module, so the two agree
//! on the file format and on what counts as an exposed key file.
//!
//! A neuron always knows its coldkey's account ([`Coldkey`]): from the coldkey file, or from
//! a coldkey address when the binary may not spend from the coldkey. The binaries refuse to
//! run on a hotkey the chain says belongs to another coldkey.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use mindos_daemon::keyfile::{warn_if_exposed, write_private};
use subxt::utils::AccountId32;
use subxt_signer::{sr25519::Keypair, SecretUri};

/// A key file could not be read, created or parsed.
#[derive(Debug, thiserror::Error)]
#[error("key file {}: {reason}", path.display())]
pub struct KeyError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

fn key_error(path: &Path, reason: impl Into<String>) -> KeyError {
    KeyError {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Loads the sr25519 key in `path`.
pub fn load_key(path: &Path) -> Result<Keypair, KeyError> {
    let text = fs::read_to_string(path).map_err(|e| key_error(path, e.to_string()))?;
    warn_if_exposed(path, "key file");
    parse_key(text.trim()).map_err(|reason| key_error(path, reason))
}

/// The neuron's keys could not be loaded, or its coldkey is not known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NeuronKeyError {
    /// A key file could not be read, created or parsed.
    #[error(transparent)]
    File(#[from] KeyError),
    /// The coldkey address does not parse.
    #[error("coldkey address `{0}` is neither an SS58 address nor 0x and 64 hex digits")]
    BadColdkeyAddress(String),
    /// The coldkey file and the coldkey address name different accounts.
    #[error("the coldkey file holds account {file}, but the coldkey address is {address}")]
    ColdkeyMismatch {
        /// The file's account, `0x`-hex.
        file: String,
        /// The address's account, `0x`-hex.
        address: String,
    },
    /// Neither a coldkey file nor a coldkey address is set.
    #[error(
        "the hotkey's coldkey is unknown: set --coldkey-file or --coldkey-address (the account \
         the hotkey must belong to on chain)"
    )]
    NoColdkey,
}

/// The coldkey a neuron's hotkey must belong to: its account always, its key pair when the
/// binary may pay with it (register, fund, stake).
#[derive(Clone)]
pub struct Coldkey {
    account: AccountId32,
    pair: Option<Keypair>,
}

impl Coldkey {
    /// A coldkey the binary may pay with.
    pub fn from_pair(pair: Keypair) -> Self {
        Self {
            account: pair.public_key().into(),
            pair: Some(pair),
        }
    }

    /// A coldkey known by its account only.
    pub fn from_account(account: AccountId32) -> Self {
        Self {
            account,
            pair: None,
        }
    }

    /// The coldkey's account: the owner the hotkey must have on chain.
    pub fn account(&self) -> &AccountId32 {
        &self.account
    }

    /// The key pair, if the binary may pay with the coldkey.
    pub fn pair(&self) -> Option<&Keypair> {
        self.pair.as_ref()
    }
}

/// A neuron's keys as both binaries load them: the hotkey (created if its file is absent) and
/// the coldkey it must belong to, from `coldkey_file` (never created: it must hold MIND) or
/// from `coldkey_address` (SS58 or `0x`-hex). With both, they must name one account.
pub fn load_neuron_keys(
    hotkey_file: &Path,
    coldkey_file: Option<&Path>,
    coldkey_address: Option<&str>,
) -> Result<(Keypair, Coldkey), NeuronKeyError> {
    let hotkey = load_or_create_key(hotkey_file)?;
    let address = coldkey_address
        .map(|text| {
            parse_account(text).ok_or_else(|| NeuronKeyError::BadColdkeyAddress(text.to_owned()))
        })
        .transpose()?;
    let coldkey = match (coldkey_file.map(load_key).transpose()?, address) {
        (Some(pair), Some(address)) => {
            let coldkey = Coldkey::from_pair(pair);
            if *coldkey.account() != address {
                return Err(NeuronKeyError::ColdkeyMismatch {
                    file: crate::neuron::account_hex(coldkey.account()),
                    address: crate::neuron::account_hex(&address),
                });
            }
            coldkey
        }
        (Some(pair), None) => Coldkey::from_pair(pair),
        (None, Some(address)) => Coldkey::from_account(address),
        (None, None) => return Err(NeuronKeyError::NoColdkey),
    };
    Ok((hotkey, coldkey))
}

/// An account from its SS58 address or `0x` and 64 hex digits.
pub fn parse_account(text: &str) -> Option<AccountId32> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix("0x") {
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        return Some(AccountId32(bytes));
    }
    text.parse().ok()
}

/// Loads the sr25519 key in `path`, or creates the file with a random seed (mode `0600`) if it
/// does not exist.
pub fn load_or_create_key(path: &Path) -> Result<Keypair, KeyError> {
    if path.exists() {
        return load_key(path);
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| key_error(path, format!("no randomness: {e}")))?;
    let text = format!("0x{}\n", crate::to_hex(&seed));
    match write_private(path, text.as_bytes()) {
        Ok(()) => {
            let pair = load_key(path)?;
            // Logged as a warning and printed: the operator must act on it, and a log may
            // not be kept. Only the public key is shown.
            let notice = new_key_notice(path, &pair.public_key().into());
            tracing::warn!("{notice}");
            eprintln!("{notice}");
            return Ok(pair);
        }
        // Created by someone else between our check and our write: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(key_error(path, format!("cannot create: {e}"))),
    }
    load_key(path)
}

/// What the operator is told when a hotkey file is created: the account it holds, and that
/// losing the file loses whatever is funded, staked or registered with it.
pub fn new_key_notice(path: &Path, account: &AccountId32) -> String {
    format!(
        "created a new hotkey {address} (0x{hex}) in {path}: BACK UP THIS FILE now — it is the \
         only copy of the key, and funds, stake and registrations of this hotkey are lost with it",
        address = crate::address::to_ss58(account),
        hex = crate::to_hex(&account.0),
        path = path.display(),
    )
}

/// Parses a secret URI or a bare hex seed.
pub fn parse_key(text: &str) -> Result<Keypair, String> {
    if text.is_empty() {
        return Err("the file is empty; it must hold a secret URI or a 32-byte hex seed".into());
    }
    let is_bare_hex = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
    let uri = if is_bare_hex {
        format!("0x{text}")
    } else {
        text.to_owned()
    };
    // The parse errors below never echo the secret.
    let uri: SecretUri = uri.parse().map_err(|_| {
        "not a secret URI (e.g. `//Alice`, a mnemonic) or a 32-byte hex seed".to_owned()
    })?;
    Keypair::from_uri(&uri).map_err(|e| format!("cannot derive a key: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use subxt_signer::sr25519::dev;

    #[test]
    fn a_new_hotkey_is_announced_as_mindos_addresses_are_spelled() {
        let alice = AccountId32(dev::alice().public_key().0);
        let notice = new_key_notice(Path::new("/keys/hotkey"), &alice);
        // The spelling `mindos` shows and takes (prefix 2424, `iR…`), not the generic `5…`.
        assert!(
            notice.contains(&crate::address::to_ss58(&alice)),
            "{notice}"
        );
        assert!(!notice.contains(&alice.to_string()), "{notice}");
        assert!(notice.contains("/keys/hotkey"), "{notice}");
    }

    #[test]
    fn uris_and_hex_seeds_parse() {
        let alice = parse_key("//Alice").unwrap();
        assert_eq!(alice.public_key().0, dev::alice().public_key().0);
        let seed = "01".repeat(32);
        let bare = parse_key(&seed).unwrap();
        let prefixed = parse_key(&format!("0x{seed}")).unwrap();
        assert_eq!(bare.public_key().0, prefixed.public_key().0);
        assert!(parse_key("").is_err());
        assert!(parse_key("not a key at all").is_err());
        assert!(parse_key("0x1234").is_err());
    }

    #[test]
    fn coldkey_addresses_parse_as_ss58_or_hex() {
        let bob: AccountId32 = dev::bob().public_key().into();
        assert_eq!(parse_account(&bob.to_string()), Some(bob));
        let hex = format!("0x{}", crate::to_hex(&bob.0));
        assert_eq!(parse_account(&hex), Some(bob));
        assert_eq!(parse_account("0x1234"), None);
        assert_eq!(parse_account("not an address"), None);
    }

    #[test]
    fn the_coldkey_comes_from_its_file_or_its_address_and_both_must_agree() {
        let dir = tempfile::tempdir().unwrap();
        let hotkey = dir.path().join("hotkey");
        let coldkey = dir.path().join("coldkey");
        fs::write(&coldkey, "//Bob").unwrap();
        let bob: AccountId32 = dev::bob().public_key().into();
        let alice: AccountId32 = dev::alice().public_key().into();

        let (_, from_file) = load_neuron_keys(&hotkey, Some(&coldkey), None).unwrap();
        assert_eq!(from_file.account(), &bob);
        assert!(from_file.pair().is_some());
        let (_, from_address) = load_neuron_keys(&hotkey, None, Some(&bob.to_string())).unwrap();
        assert_eq!(from_address.account(), &bob);
        assert!(from_address.pair().is_none());
        let (_, both) = load_neuron_keys(&hotkey, Some(&coldkey), Some(&bob.to_string())).unwrap();
        assert_eq!(both.account(), &bob);

        assert!(matches!(
            load_neuron_keys(&hotkey, Some(&coldkey), Some(&alice.to_string())),
            Err(NeuronKeyError::ColdkeyMismatch { .. })
        ));
        assert!(matches!(
            load_neuron_keys(&hotkey, None, Some("nope")),
            Err(NeuronKeyError::BadColdkeyAddress(_))
        ));
        let missing = load_neuron_keys(&hotkey, None, None).err().unwrap();
        assert!(matches!(missing, NeuronKeyError::NoColdkey));
        assert!(
            missing.to_string().contains("--coldkey-address"),
            "{missing}"
        );
    }

    #[test]
    fn a_missing_hotkey_is_created_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/hotkey");
        let created = load_or_create_key(&path).unwrap();
        let loaded = load_or_create_key(&path).unwrap();
        assert_eq!(created.public_key().0, loaded.public_key().0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let notice = new_key_notice(&path, &created.public_key().into());
        assert!(notice.contains("BACK UP"), "{notice}");
        assert!(
            notice.contains(&crate::to_hex(&created.public_key().0)),
            "{notice}"
        );
        assert!(notice.contains(&path.display().to_string()), "{notice}");
        let missing = load_key(&dir.path().join("coldkey")).unwrap_err();
        assert!(missing.to_string().contains("coldkey"), "{missing}");
    }
}
