//! Where wallets live: one folder per wallet under the wallet directory, holding its
//! coldkey keystore (`NAME/coldkey.json`, polkadot-js JSON, mode `0600`). The folder leaves
//! room for the wallet's hotkeys beside it.

use std::{
    io,
    path::{Path, PathBuf},
};

use crate::keystore::{Keystore, KeystoreError};

/// The coldkey keystore's file name inside a wallet's folder.
pub const COLDKEY_FILE: &str = "coldkey.json";

/// The longest wallet name.
pub const MAX_NAME_LEN: usize = 64;

/// A wallet could not be found, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The name has characters a folder name should not, or is empty or too long.
    #[error("`{0}` is not a wallet name: use 1 to {MAX_NAME_LEN} letters, digits, `-` or `_`")]
    BadName(String),
    /// No wallet of that name.
    #[error("no wallet `{name}` in {dir} (see `mindos wallet list`)")]
    NotFound {
        /// The name.
        name: String,
        /// The wallet directory.
        dir: String,
    },
    /// A wallet of that name exists: it is never overwritten.
    #[error("wallet `{name}` already exists ({path}); choose another name")]
    Exists {
        /// The name.
        name: String,
        /// Its keystore.
        path: String,
    },
    /// The keystore file is not a keystore.
    #[error("wallet `{name}` ({path}): {source}")]
    Keystore {
        /// The name.
        name: String,
        /// Its keystore.
        path: String,
        /// Why.
        #[source]
        source: KeystoreError,
    },
    /// A file system error.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// The wallet directory.
#[derive(Debug, Clone)]
pub struct Wallets {
    dir: PathBuf,
}

/// A wallet as listed: its name, keystore path and keystore (locked).
#[derive(Debug, Clone)]
pub struct Wallet {
    /// The name.
    pub name: String,
    /// The coldkey keystore file.
    pub path: PathBuf,
    /// The keystore, still encrypted.
    pub keystore: Keystore,
}

/// Whether `name` may name a wallet (it becomes a folder name).
pub fn check_name(name: &str) -> Result<(), WalletError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(WalletError::BadName(name.to_owned()))
    }
}

impl Wallets {
    /// Wallets in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `~/.mindos/wallets`, or `None` without a home directory.
    pub fn default_dir() -> Option<PathBuf> {
        crate::mindos_dir().map(|dir| dir.join("wallets"))
    }

    /// The wallet directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The keystore file of wallet `name`.
    pub fn coldkey_path(&self, name: &str) -> Result<PathBuf, WalletError> {
        check_name(name)?;
        Ok(self.dir.join(name).join(COLDKEY_FILE))
    }

    /// Wallet `name`.
    pub fn load(&self, name: &str) -> Result<Wallet, WalletError> {
        let path = self.coldkey_path(name)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(WalletError::NotFound {
                    name: name.to_owned(),
                    dir: self.dir.display().to_string(),
                })
            }
            Err(source) => {
                return Err(WalletError::Io {
                    what: "reading",
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        mindos_daemon::keyfile::warn_if_exposed(&path, "wallet keystore");
        let keystore = Keystore::from_json(&text).map_err(|source| WalletError::Keystore {
            name: name.to_owned(),
            path: path.display().to_string(),
            source,
        })?;
        Ok(Wallet {
            name: name.to_owned(),
            path,
            keystore,
        })
    }

    /// Writes a new wallet `name` (mode `0600`, synced); never replaces an existing one.
    pub fn create(&self, name: &str, keystore: &Keystore) -> Result<PathBuf, WalletError> {
        let path = self.coldkey_path(name)?;
        let mut text = keystore.to_json();
        text.push('\n');
        match mindos_daemon::keyfile::write_private(&path, text.as_bytes()) {
            Ok(()) => Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(WalletError::Exists {
                name: name.to_owned(),
                path: path.display().to_string(),
            }),
            Err(source) => Err(WalletError::Io {
                what: "writing",
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Refuses early if wallet `name` exists, before asking for secrets and passwords.
    pub fn ensure_free(&self, name: &str) -> Result<(), WalletError> {
        let path = self.coldkey_path(name)?;
        if path.exists() {
            return Err(WalletError::Exists {
                name: name.to_owned(),
                path: path.display().to_string(),
            });
        }
        Ok(())
    }

    /// Every wallet, by name; folders without a keystore are skipped, damaged keystores
    /// reported.
    pub fn list(&self) -> Result<Vec<Result<Wallet, WalletError>>, WalletError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(WalletError::Io {
                    what: "listing",
                    path: self.dir.display().to_string(),
                    source,
                })
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().join(COLDKEY_FILE).is_file())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| check_name(name).is_ok())
            .collect();
        names.sort();
        Ok(names.iter().map(|name| self.load(name)).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keystore::{Meta, Sr25519Pair};

    #[test]
    fn names_are_folder_safe() {
        for good in ["alice", "my-wallet_2", "A"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "../x", "a/b", "a b", ".hidden", "ä", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wallets_are_written_private_never_replaced_and_listed_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let wallets = Wallets::new(dir.path().join("wallets"));
        assert!(wallets.list().unwrap().is_empty());
        let pair = Sr25519Pair::from_uri(&"//Alice".parse().unwrap()).unwrap();
        // N = 2^17 takes long unoptimised; listing needs no unlocking, so any body does.
        let keystore = Keystore::lock(&pair, "pw", Meta::default()).unwrap();
        let path = wallets.create("b", &keystore).unwrap();
        wallets.create("a", &keystore).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            wallets.create("a", &keystore),
            Err(WalletError::Exists { .. })
        ));
        assert!(matches!(
            wallets.ensure_free("a"),
            Err(WalletError::Exists { .. })
        ));
        let names: Vec<String> = wallets
            .list()
            .unwrap()
            .into_iter()
            .map(|w| w.unwrap().name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(matches!(
            wallets.load("c"),
            Err(WalletError::NotFound { .. })
        ));
        std::fs::write(wallets.coldkey_path("a").unwrap(), "{}").unwrap();
        assert!(matches!(
            wallets.load("a"),
            Err(WalletError::Keystore { .. })
        ));
    }
}
