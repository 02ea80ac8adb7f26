//! The validator's persistent state in one `redb` file: what it must not forget across a
//! restart. redb commits are atomic and durable, so a crash leaves either the old or the new
//! value, never a torn one.
//!
//! | table | key | value |
//! |---|---|---|
//! | `pending_commits` | netuid | the weights, salt, hash and epoch of the last commit (JSON) — to reveal it after a restart |
//! | `committed_epochs` | netuid | the last epoch a commit was attempted in — never twice per epoch |
//! | `scores` | netuid | the challenge averages per uid (JSON) |
//!
//! A pending commit is written **before** the commit transaction is sent: a commit that
//! lands must always be revealable.

use mindos_primitives::{NetUid, Uid};
use std::{collections::BTreeMap, path::Path};

use redb::{Database, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::scoring::MinerScore;

const PENDING: TableDefinition<u16, &[u8]> = TableDefinition::new("pending_commits");
const COMMITTED: TableDefinition<u16, u64> = TableDefinition::new("committed_epochs");
const SCORES: TableDefinition<u16, &[u8]> = TableDefinition::new("scores");

/// The state store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// redb failed (I/O, corruption, a lock held by another process).
    #[error("state store: {0}")]
    Db(Box<redb::Error>),
    /// A stored value does not decode (written by an incompatible version).
    #[error("state store: a stored {what} does not decode: {message}")]
    Decode {
        /// Which value.
        what: &'static str,
        /// serde_json's message.
        message: String,
    },
    /// The directory could not be created.
    #[error("state store directory: {0}")]
    Io(#[from] std::io::Error),
}

fn db_error(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Db(Box::new(e.into()))
}

/// Weights committed and not yet revealed, with everything the reveal needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PendingCommit {
    /// The subnet's epoch counter when committed; reveal in `epoch + 1`.
    pub(crate) epoch: u64,
    pub(crate) hash: [u8; 32],
    pub(crate) uids: Vec<u16>,
    pub(crate) weights: Vec<u16>,
    pub(crate) salt: [u8; 32],
}

/// The store; cheap to share behind an `Arc`.
pub(crate) struct Store {
    db: Database,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store at `path`. Fails if another process holds it.
    ///
    /// The file holds the salts and weights of commits not yet revealed, which other local
    /// users must not read: it is kept mode `0600` (tightened if it was looser), in a
    /// folder created `0700` (an existing folder readable by others gets a warning).
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let mut dirs = std::fs::DirBuilder::new();
            dirs.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut dirs, 0o700);
            dirs.create(parent)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(parent)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(path = %parent.display(), mode = format_args!("{:o}", mode & 0o777), "the state store's folder is open to other users; chmod 700 it");
                }
            }
        }
        restrict_file(path)?;
        let db = Database::create(path).map_err(db_error)?;
        // Create the tables once, so reads never meet a missing table.
        let tx = db.begin_write().map_err(db_error)?;
        tx.open_table(PENDING).map_err(db_error)?;
        tx.open_table(COMMITTED).map_err(db_error)?;
        tx.open_table(SCORES).map_err(db_error)?;
        tx.commit().map_err(db_error)?;
        Ok(Self { db })
    }

    fn put_bytes(
        &self,
        table: TableDefinition<u16, &[u8]>,
        netuid: NetUid,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(db_error)?;
        {
            let mut t = tx.open_table(table).map_err(db_error)?;
            t.insert(netuid.0, bytes).map_err(db_error)?;
        }
        tx.commit().map_err(db_error)
    }

    fn get_bytes(
        &self,
        table: TableDefinition<u16, &[u8]>,
        netuid: NetUid,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(db_error)?;
        let t = tx.open_table(table).map_err(db_error)?;
        Ok(t.get(netuid.0)
            .map_err(db_error)?
            .map(|v| v.value().to_vec()))
    }

    pub(crate) fn put_pending(
        &self,
        netuid: NetUid,
        commit: &PendingCommit,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(commit).map_err(|e| StoreError::Decode {
            what: "pending commit",
            message: e.to_string(),
        })?;
        self.put_bytes(PENDING, netuid, &bytes)
    }

    pub(crate) fn pending(&self, netuid: NetUid) -> Result<Option<PendingCommit>, StoreError> {
        self.get_bytes(PENDING, netuid)?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Decode {
                    what: "pending commit",
                    message: e.to_string(),
                })
            })
            .transpose()
    }

    pub(crate) fn remove_pending(&self, netuid: NetUid) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(db_error)?;
        {
            let mut t = tx.open_table(PENDING).map_err(db_error)?;
            t.remove(netuid.0).map_err(db_error)?;
        }
        tx.commit().map_err(db_error)
    }

    pub(crate) fn set_committed_epoch(&self, netuid: NetUid, epoch: u64) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(db_error)?;
        {
            let mut t = tx.open_table(COMMITTED).map_err(db_error)?;
            t.insert(netuid.0, epoch).map_err(db_error)?;
        }
        tx.commit().map_err(db_error)
    }

    pub(crate) fn committed_epoch(&self, netuid: NetUid) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read().map_err(db_error)?;
        let t = tx.open_table(COMMITTED).map_err(db_error)?;
        Ok(t.get(netuid.0).map_err(db_error)?.map(|v| v.value()))
    }

    pub(crate) fn put_scores(
        &self,
        netuid: NetUid,
        scores: &BTreeMap<Uid, MinerScore>,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(scores).map_err(|e| StoreError::Decode {
            what: "score table",
            message: e.to_string(),
        })?;
        self.put_bytes(SCORES, netuid, &bytes)
    }

    pub(crate) fn scores(&self, netuid: NetUid) -> Result<BTreeMap<Uid, MinerScore>, StoreError> {
        Ok(self
            .get_bytes(SCORES, netuid)?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Decode {
                    what: "score table",
                    message: e.to_string(),
                })
            })
            .transpose()?
            .unwrap_or_default())
    }
}

/// Creates `path` mode `0600` if missing, or sets an existing file to `0600`.
fn restrict_file(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format_args!("{:o}", mode & 0o777), "the state store was readable by other users; setting it to 600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/state.redb");
        let commit = PendingCommit {
            epoch: 7,
            hash: [3; 32],
            uids: vec![1, 2],
            weights: vec![65535, 100],
            salt: [9; 32],
        };
        let mut scores = BTreeMap::new();
        scores.insert(
            Uid(2),
            MinerScore {
                hotkey: [5; 32],
                quality: Some(0.5),
                latency: None,
                availability: 0.25,
                samples: 3,
            },
        );
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.pending(NetUid(1)).unwrap(), None);
            assert_eq!(store.committed_epoch(NetUid(1)).unwrap(), None);
            store.put_pending(NetUid(1), &commit).unwrap();
            store.set_committed_epoch(NetUid(1), 7).unwrap();
            store.put_scores(NetUid(1), &scores).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.pending(NetUid(1)).unwrap(), Some(commit));
        assert_eq!(store.pending(NetUid(0)).unwrap(), None);
        assert_eq!(store.committed_epoch(NetUid(1)).unwrap(), Some(7));
        assert_eq!(store.scores(NetUid(1)).unwrap(), scores);
        store.remove_pending(NetUid(1)).unwrap();
        assert_eq!(store.pending(NetUid(1)).unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_store_is_private_to_its_user() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("validator/state.redb");
        drop(Store::open(&path).unwrap());
        assert_eq!(mode(&path), 0o600, "the store file");
        assert_eq!(mode(path.parent().unwrap()), 0o700, "the store's folder");

        // A store left readable by an older version is tightened when opened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(Store::open(&path).unwrap());
        assert_eq!(mode(&path), 0o600, "a loose store file is tightened");
    }

    #[test]
    fn a_second_process_cannot_open_the_same_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let _first = Store::open(&path).unwrap();
        assert!(Store::open(&path).is_err());
    }
}
