//! Account keys (sr25519 hotkey and coldkey) from key files.
//!
//! A key file holds one secret URI — `//Alice` for development, a BIP-39 mnemonic with
//! optional `//hard/soft` junctions and `///password`, or `0x` and 64 hex digits — or a bare
//! 64-hex-digit seed. A missing hotkey file is created with a random seed, mode `0600`; a
//! coldkey file is never created. The libp2p identity has its own file (`mindos_mesh::keys`).
//!
//! The miner and the validator both read their keys through this module, so the two agree
//! on the file format and on what counts as an exposed key file.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use mindos_daemon::keyfile::{warn_if_exposed, write_private};
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

/// A neuron's keys as both binaries load them: the hotkey (created if its file is absent) and
/// the optional coldkey that pays (never created: it must hold MIND).
pub fn load_neuron_keys(
    hotkey_file: &Path,
    coldkey_file: Option<&Path>,
) -> Result<(Keypair, Option<Keypair>), KeyError> {
    let hotkey = load_or_create_key(hotkey_file)?;
    let coldkey = coldkey_file.map(load_key).transpose()?;
    Ok((hotkey, coldkey))
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
        Ok(()) => tracing::info!(path = %path.display(), "created a new hotkey"),
        // Created by someone else between our check and our write: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(key_error(path, format!("cannot create: {e}"))),
    }
    load_key(path)
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
        let missing = load_key(&dir.path().join("coldkey")).unwrap_err();
        assert!(missing.to_string().contains("coldkey"), "{missing}");
    }
}
