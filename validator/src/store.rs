//! The validator's persistent state in one `redb` file: what it must not forget across a
//! restart. redb commits are atomic and durable, so a crash leaves either the old or the new
//! value, never a torn one.
//!
//! | table | key | value |
//! |---|---|---|
//! | `pending_commits` | netuid | the weights, salt, hash and epoch of the last commit (JSON) — to reveal it after a restart |
//! | `committed_epochs` | netuid | the last epoch a commit was attempted in — never twice per epoch |
//! | `scores` | netuid | the challenge averages per uid (JSON) |
//! | `transcripts` | netuid ‖ sentinel epoch ‖ hotkey ‖ nonce (50 bytes, big-endian) | the write's sequence number (8 bytes LE) ‖ the transcript (SCALE, [`EvidenceTranscript`]) |
//! | `transcript_order` | sequence number | the transcript's key ‖ its evidence hash: the oldest first, for eviction |
//! | `evidence_index` | evidence hash (32 bytes) | the transcript's key: what a judged case names |
//! | `transcript_meta` | `"bytes"`, `"next_seq"` | what the transcripts cost in all, the next sequence number |
//! | `canaries` | netuid ‖ commitment (34 bytes, netuid big-endian) | a canary's opening and state (JSON, [`StoredCanary`]) |
//!
//! A pending commit is written **before** the commit transaction is sent: a commit that
//! lands must always be revealable. So is a canary ([`StoredCanary`]) before its commitment:
//! one that lands must always be openable.
//!
//! Transcripts are keyed subnet and epoch first, so the transcripts of a subnet's old epochs
//! are one range to prune. Their cost is counted as the bytes of their entries in the three
//! tables ([`transcript_cost`]), bounded by the caller's `max_bytes`: past it the oldest
//! written are evicted. redb's pages add to that (B-tree nodes, free pages it reuses rather
//! than return to the file system), so the file can be larger than the bound, by a bounded
//! factor, not without limit.

use mindos_mesh::{
    evidence::{EvidenceTranscript, TranscriptId, TranscriptRef},
    receipt::SignedAnswer,
};
use mindos_primitives::{evidence::Hash32, NetUid, Uid};
use std::{collections::BTreeMap, path::Path};

use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::scoring::MinerScore;

const PENDING: TableDefinition<u16, &[u8]> = TableDefinition::new("pending_commits");
const COMMITTED: TableDefinition<u16, u64> = TableDefinition::new("committed_epochs");
const SCORES: TableDefinition<u16, &[u8]> = TableDefinition::new("scores");
const TRANSCRIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("transcripts");
const TRANSCRIPT_ORDER: TableDefinition<u64, &[u8]> = TableDefinition::new("transcript_order");
const EVIDENCE_INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("evidence_index");
const TRANSCRIPT_META: TableDefinition<&str, u64> = TableDefinition::new("transcript_meta");
const CANARIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("canaries");
const META_BYTES: &str = "bytes";
const META_NEXT_SEQ: &str = "next_seq";

/// Bytes of a transcript's key: netuid (2), epoch (8), hotkey (32), nonce (8).
const KEY_LEN: usize = 50;
/// Bytes of the sequence number before a stored transcript.
const SEQ_LEN: usize = 8;
/// What a transcript costs besides its SCALE encoding: its key and sequence number, its
/// `transcript_order` entry (8 + 50 + 32) and its `evidence_index` entry (32 + 50).
const ENTRY_OVERHEAD: u64 = (KEY_LEN + SEQ_LEN + 8 + KEY_LEN + 32 + 32 + KEY_LEN) as u64;

/// What a transcript of `encoded` SCALE bytes costs against the store's bound.
pub(crate) fn transcript_cost(encoded: usize) -> u64 {
    u64::try_from(encoded)
        .unwrap_or(u64::MAX)
        .saturating_add(ENTRY_OVERHEAD)
}

/// The key of transcript `id`: subnet and epoch first (pruning takes a range), big-endian so
/// that keys sort by number.
fn transcript_key(id: &TranscriptId) -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    let (netuid, rest) = key.split_at_mut(2);
    netuid.copy_from_slice(&id.netuid.0.to_be_bytes());
    let (epoch, rest) = rest.split_at_mut(8);
    epoch.copy_from_slice(&id.epoch.to_be_bytes());
    let (hotkey, nonce) = rest.split_at_mut(32);
    hotkey.copy_from_slice(&id.hotkey);
    nonce.copy_from_slice(&id.nonce.to_be_bytes());
    key
}

/// The first key of `netuid`'s epoch `epoch`.
fn epoch_start(netuid: NetUid, epoch: u64) -> [u8; KEY_LEN] {
    transcript_key(&TranscriptId {
        netuid,
        hotkey: [0; 32],
        epoch,
        nonce: 0,
    })
}

/// What one [`Store::put_transcripts`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PutOutcome {
    /// Transcripts written.
    pub(crate) stored: u64,
    /// Transcripts not written: one of the same challenge is kept already (the first is kept;
    /// a second, different answer to one challenge is equivocation, for the sentinel duty).
    pub(crate) duplicates: u64,
    /// Of the duplicates, those whose output differs from the kept one's: equivocations,
    /// kept for the sentinel duty ([`Store::take_equivocations`]).
    pub(crate) equivocations: u64,
    /// Transcripts not written: larger than the whole bound.
    pub(crate) too_large: u64,
    /// Older transcripts evicted to stay within the bound.
    pub(crate) evicted: u64,
    /// What the kept transcripts cost after the write.
    pub(crate) bytes: u64,
}

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

/// Where a canary stands (`crate::sentinel::canary`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CanaryState {
    /// Stored, its commitment submitted (or about to be) while the subnet's sentinel epoch
    /// was `epoch`; not yet seen on chain.
    Submitted {
        /// The sentinel epoch at submission (a canary never seen on chain is dropped some
        /// epochs later).
        epoch: u64,
    },
    /// On chain since block `block`, of sentinel epoch `epoch` (as the chain records it).
    Committed {
        /// The commitment's sentinel epoch.
        epoch: u64,
        /// The commitment's block.
        block: u64,
    },
    /// Sent to a miner: its input is burned, it is never sent again. It stays until the
    /// chain drops it (opened, or expired), as it holds one of the committer's places and
    /// its deposit until then.
    Used {
        /// The commitment's sentinel epoch.
        epoch: u64,
        /// The commitment's block.
        block: u64,
    },
}

/// A canary as the store keeps it: everything needed to send it and to open it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredCanary {
    /// The subnet.
    pub(crate) netuid: NetUid,
    /// `canary_commitment(netuid, input_hash(payload), expected_output_hash, salt)`.
    pub(crate) commitment: Hash32,
    /// The request payload, the exact JSON text to send (its hash is the input hash).
    pub(crate) payload: String,
    /// The validator's own answer (the subnet's output, JSON): what the answer is scored
    /// against.
    pub(crate) reference: String,
    /// `SubnetEngine::output_hash` of the reference.
    pub(crate) expected_output_hash: Hash32,
    /// The commitment's salt.
    pub(crate) salt: Hash32,
    /// Where it stands.
    pub(crate) state: CanaryState,
}

/// The key of a stored canary: its subnet first, so a subnet's canaries are one range.
fn canary_key(netuid: NetUid, commitment: &Hash32) -> [u8; 34] {
    let mut key = [0u8; 34];
    let (head, tail) = key.split_at_mut(2);
    head.copy_from_slice(&netuid.0.to_be_bytes());
    tail.copy_from_slice(commitment);
    key
}

/// The store; cheap to share behind an `Arc`.
pub(crate) struct Store {
    db: Database,
    /// Equivocations found by [`Store::put_transcripts`] for the sentinel duty to take
    /// ([`Store::take_equivocations`]); at most [`EQUIVOCATIONS_KEPT`], the oldest dropped.
    equivocations: std::sync::Mutex<std::collections::VecDeque<Equivocation>>,
}

/// Equivocations kept for the sentinel duty at most (each two signed answers, ~600 bytes).
pub(crate) const EQUIVOCATIONS_KEPT: usize = 64;

/// Two verified signed answers of one miner to one challenge with different outputs: the kept
/// one and the one that came later.
pub(crate) type Equivocation = (SignedAnswer, SignedAnswer);

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
        tx.open_table(TRANSCRIPTS).map_err(db_error)?;
        tx.open_table(TRANSCRIPT_ORDER).map_err(db_error)?;
        tx.open_table(EVIDENCE_INDEX).map_err(db_error)?;
        tx.open_table(TRANSCRIPT_META).map_err(db_error)?;
        tx.open_table(CANARIES).map_err(db_error)?;
        tx.commit().map_err(db_error)?;
        Ok(Self {
            db,
            equivocations: std::sync::Mutex::new(std::collections::VecDeque::new()),
        })
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

impl Store {
    /// Writes `canary` (replacing the one of the same commitment), durably: blocking.
    pub(crate) fn put_canary(&self, canary: &StoredCanary) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(canary).map_err(|e| StoreError::Decode {
            what: "canary",
            message: e.to_string(),
        })?;
        let key = canary_key(canary.netuid, &canary.commitment);
        let tx = self.db.begin_write().map_err(db_error)?;
        {
            let mut t = tx.open_table(CANARIES).map_err(db_error)?;
            t.insert(key.as_slice(), bytes.as_slice())
                .map_err(db_error)?;
        }
        tx.commit().map_err(db_error)
    }

    /// Deletes `netuid`'s canary of `commitment` (if kept): blocking.
    pub(crate) fn remove_canary(
        &self,
        netuid: NetUid,
        commitment: &Hash32,
    ) -> Result<(), StoreError> {
        let key = canary_key(netuid, commitment);
        let tx = self.db.begin_write().map_err(db_error)?;
        {
            let mut t = tx.open_table(CANARIES).map_err(db_error)?;
            t.remove(key.as_slice()).map_err(db_error)?;
        }
        tx.commit().map_err(db_error)
    }

    /// `netuid`'s canaries, by commitment: blocking. The canary work keeps at most its pool
    /// size of them per subnet (`--canary-pool`, at most 8).
    pub(crate) fn canaries(&self, netuid: NetUid) -> Result<Vec<StoredCanary>, StoreError> {
        let tx = self.db.begin_read().map_err(db_error)?;
        let t = tx.open_table(CANARIES).map_err(db_error)?;
        let start = canary_key(netuid, &[0; 32]);
        let end = canary_key(netuid, &[0xff; 32]);
        let mut kept = Vec::new();
        for entry in t
            .range(start.as_slice()..=end.as_slice())
            .map_err(db_error)?
        {
            let (_, value) = entry.map_err(db_error)?;
            let canary = serde_json::from_slice(value.value()).map_err(|e| StoreError::Decode {
                what: "canary",
                message: e.to_string(),
            })?;
            kept.push(canary);
        }
        Ok(kept)
    }

    /// Writes `transcripts` in one transaction (blocking: call it off the executor), then
    /// evicts the oldest written until what all cost is at most `max_bytes`.
    pub(crate) fn put_transcripts(
        &self,
        transcripts: &[EvidenceTranscript],
        max_bytes: u64,
    ) -> Result<PutOutcome, StoreError> {
        let mut outcome = PutOutcome::default();
        let mut found = Vec::new();
        let tx = self.db.begin_write().map_err(db_error)?;
        {
            let mut kept = tx.open_table(TRANSCRIPTS).map_err(db_error)?;
            let mut order = tx.open_table(TRANSCRIPT_ORDER).map_err(db_error)?;
            let mut index = tx.open_table(EVIDENCE_INDEX).map_err(db_error)?;
            let mut meta = tx.open_table(TRANSCRIPT_META).map_err(db_error)?;
            let read_meta = |meta: &redb::Table<&str, u64>, name| -> Result<u64, StoreError> {
                Ok(meta.get(name).map_err(db_error)?.map_or(0, |v| v.value()))
            };
            let mut bytes = read_meta(&meta, META_BYTES)?;
            let mut next_seq = read_meta(&meta, META_NEXT_SEQ)?;
            for transcript in transcripts {
                let key = transcript_key(&transcript.id());
                if let Some(first) = kept.get(key.as_slice()).map_err(db_error)? {
                    outcome.duplicates = outcome.duplicates.saturating_add(1);
                    // A second answer to one challenge with another output is equivocation.
                    let first = first
                        .value()
                        .get(SEQ_LEN..)
                        .and_then(EvidenceTranscript::from_bytes);
                    if let Some(first) = first.filter(|first| {
                        first.evidence.response.output_hash
                            != transcript.evidence.response.output_hash
                    }) {
                        outcome.equivocations = outcome.equivocations.saturating_add(1);
                        found.push((first.evidence, transcript.evidence.clone()));
                    }
                    continue;
                }
                let encoded = transcript.to_bytes();
                let cost = transcript_cost(encoded.len());
                if cost > max_bytes {
                    outcome.too_large = outcome.too_large.saturating_add(1);
                    continue;
                }
                let seq = next_seq;
                next_seq = next_seq.saturating_add(1);
                let mut value = Vec::with_capacity(SEQ_LEN.saturating_add(encoded.len()));
                value.extend_from_slice(&seq.to_le_bytes());
                value.extend_from_slice(&encoded);
                let hash = transcript.evidence_hash();
                let mut entry = key.to_vec();
                entry.extend_from_slice(&hash);
                kept.insert(key.as_slice(), value.as_slice())
                    .map_err(db_error)?;
                order.insert(seq, entry.as_slice()).map_err(db_error)?;
                index
                    .insert(hash.as_slice(), key.as_slice())
                    .map_err(db_error)?;
                bytes = bytes.saturating_add(cost);
                outcome.stored = outcome.stored.saturating_add(1);
            }
            while bytes > max_bytes {
                let Some((_, entry)) = order.pop_first().map_err(db_error)? else {
                    // Nothing left to evict: the count was off; start it again from zero.
                    bytes = 0;
                    break;
                };
                let entry = entry.value().to_vec();
                let (key, hash) = entry.split_at(KEY_LEN.min(entry.len()));
                if let Some(value) = kept.remove(key).map_err(db_error)? {
                    let encoded = value.value().len().saturating_sub(SEQ_LEN);
                    bytes = bytes.saturating_sub(transcript_cost(encoded));
                    outcome.evicted = outcome.evicted.saturating_add(1);
                }
                index.remove(hash).map_err(db_error)?;
            }
            meta.insert(META_BYTES, bytes).map_err(db_error)?;
            meta.insert(META_NEXT_SEQ, next_seq).map_err(db_error)?;
            outcome.bytes = bytes;
        }
        tx.commit().map_err(db_error)?;
        if !found.is_empty() {
            let mut waiting = self
                .equivocations
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for pair in found {
                if waiting.len() >= EQUIVOCATIONS_KEPT {
                    waiting.pop_front();
                }
                waiting.push_back(pair);
            }
        }
        Ok(outcome)
    }

    /// The equivocations [`Store::put_transcripts`] found since the last call, oldest first.
    pub(crate) fn take_equivocations(&self) -> Vec<Equivocation> {
        self.equivocations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
            .collect()
    }

    /// Deletes `netuid`'s transcripts of sentinel epochs before `before_epoch` (blocking);
    /// returns how many and what the rest cost.
    pub(crate) fn prune_transcripts(
        &self,
        netuid: NetUid,
        before_epoch: u64,
    ) -> Result<(u64, u64), StoreError> {
        let tx = self.db.begin_write().map_err(db_error)?;
        let (pruned, bytes) = {
            let mut kept = tx.open_table(TRANSCRIPTS).map_err(db_error)?;
            let mut order = tx.open_table(TRANSCRIPT_ORDER).map_err(db_error)?;
            let mut index = tx.open_table(EVIDENCE_INDEX).map_err(db_error)?;
            let mut meta = tx.open_table(TRANSCRIPT_META).map_err(db_error)?;
            let start = epoch_start(netuid, 0);
            let end = epoch_start(netuid, before_epoch);
            // Each old transcript's sequence number and size; the range holds at most what
            // the byte bound lets the store keep.
            let mut old = Vec::new();
            for entry in kept
                .range(start.as_slice()..end.as_slice())
                .map_err(db_error)?
            {
                let (key, value) = entry.map_err(db_error)?;
                let value = value.value();
                let seq = value
                    .get(..SEQ_LEN)
                    .and_then(|s| <[u8; SEQ_LEN]>::try_from(s).ok())
                    .map(u64::from_le_bytes);
                old.push((
                    key.value().to_vec(),
                    seq,
                    value.len().saturating_sub(SEQ_LEN),
                ));
            }
            let mut bytes = meta
                .get(META_BYTES)
                .map_err(db_error)?
                .map_or(0, |v| v.value());
            for (key, seq, encoded) in &old {
                kept.remove(key.as_slice()).map_err(db_error)?;
                if let Some(seq) = seq {
                    if let Some(entry) = order.remove(*seq).map_err(db_error)? {
                        if let Some(hash) = entry.value().get(KEY_LEN..) {
                            index.remove(hash).map_err(db_error)?;
                        }
                    }
                }
                bytes = bytes.saturating_sub(transcript_cost(*encoded));
            }
            meta.insert(META_BYTES, bytes).map_err(db_error)?;
            (u64::try_from(old.len()).unwrap_or(u64::MAX), bytes)
        };
        tx.commit().map_err(db_error)?;
        Ok((pruned, bytes))
    }

    /// The transcripts `refs` name, in order (`None`: not kept). Blocking.
    pub(crate) fn transcripts(
        &self,
        refs: &[TranscriptRef],
    ) -> Result<Vec<Option<EvidenceTranscript>>, StoreError> {
        let tx = self.db.begin_read().map_err(db_error)?;
        let kept = tx.open_table(TRANSCRIPTS).map_err(db_error)?;
        let index = tx.open_table(EVIDENCE_INDEX).map_err(db_error)?;
        refs.iter()
            .map(|wanted| {
                let key = match wanted {
                    TranscriptRef::Challenge(id) => Some(transcript_key(id).to_vec()),
                    TranscriptRef::Evidence { hash, .. } => index
                        .get(hash.as_slice())
                        .map_err(db_error)?
                        .map(|key| key.value().to_vec()),
                };
                let Some(key) = key else {
                    return Ok(None);
                };
                let Some(value) = kept.get(key.as_slice()).map_err(db_error)? else {
                    return Ok(None);
                };
                let transcript = value
                    .value()
                    .get(SEQ_LEN..)
                    .and_then(EvidenceTranscript::from_bytes)
                    .ok_or(StoreError::Decode {
                        what: "transcript",
                        message: "not a SCALE transcript".into(),
                    })?;
                // An index entry names the subnet's transcript only (a hash is global).
                Ok(wanted.names(&transcript).then_some(transcript))
            })
            .collect()
    }

    /// The transcript of the case whose `evidence_hash` is `hash`, if kept. Blocking.
    pub(crate) fn transcript_by_evidence(
        &self,
        netuid: NetUid,
        hash: Hash32,
    ) -> Result<Option<EvidenceTranscript>, StoreError> {
        Ok(self
            .transcripts(&[TranscriptRef::Evidence { netuid, hash }])?
            .into_iter()
            .next()
            .flatten())
    }

    /// How many transcripts are kept and what they cost. Blocking.
    pub(crate) fn transcript_usage(&self) -> Result<(u64, u64), StoreError> {
        let tx = self.db.begin_read().map_err(db_error)?;
        let kept = tx.open_table(TRANSCRIPTS).map_err(db_error)?;
        let meta = tx.open_table(TRANSCRIPT_META).map_err(db_error)?;
        let bytes = meta
            .get(META_BYTES)
            .map_err(db_error)?
            .map_or(0, |v| v.value());
        Ok((kept.len().map_err(db_error)?, bytes))
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

    use crate::evidence::tests::transcript;
    use mindos_mesh::evidence::{EvidenceTranscript, TranscriptId};

    fn by_id(t: &EvidenceTranscript) -> TranscriptRef {
        TranscriptRef::Challenge(t.id())
    }

    fn cost(t: &EvidenceTranscript) -> u64 {
        transcript_cost(t.to_bytes().len())
    }

    #[test]
    fn transcripts_round_trip_by_challenge_and_by_evidence_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.redb")).unwrap();
        let (a, b) = (transcript(NetUid(1), 3, 1), transcript(NetUid(1), 3, 2));
        let outcome = store
            .put_transcripts(&[a.clone(), b.clone()], u64::MAX)
            .unwrap();
        assert_eq!((outcome.stored, outcome.bytes), (2, cost(&a) + cost(&b)));
        let missing = TranscriptRef::Challenge(TranscriptId { nonce: 3, ..a.id() });
        assert_eq!(
            store.transcripts(&[by_id(&b), missing, by_id(&a)]).unwrap(),
            vec![Some(b.clone()), None, Some(a.clone())]
        );
        assert_eq!(
            store
                .transcript_by_evidence(NetUid(1), a.evidence_hash())
                .unwrap(),
            Some(a.clone())
        );
        // A hash names a transcript of its own subnet only.
        assert_eq!(
            store
                .transcript_by_evidence(NetUid(2), a.evidence_hash())
                .unwrap(),
            None
        );
        // One transcript per challenge: the first is kept.
        let mut again = a.clone();
        again.output = r#"{"label":2}"#.into();
        let outcome = store.put_transcripts(&[again], u64::MAX).unwrap();
        assert_eq!((outcome.stored, outcome.duplicates), (0, 1));
        assert_eq!(store.transcripts(&[by_id(&a)]).unwrap(), vec![Some(a)]);
    }

    #[test]
    fn a_second_signed_output_for_one_challenge_is_kept_as_an_equivocation() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.redb")).unwrap();
        let a = transcript(NetUid(1), 3, 1);
        store
            .put_transcripts(std::slice::from_ref(&a), u64::MAX)
            .unwrap();
        // The same signed answer again (a re-sent challenge answered the same): no offence.
        let outcome = store
            .put_transcripts(std::slice::from_ref(&a), u64::MAX)
            .unwrap();
        assert_eq!((outcome.duplicates, outcome.equivocations), (1, 0));
        assert!(store.take_equivocations().is_empty());
        // Another signed output for the same challenge.
        let mut other = a.clone();
        other.evidence.response.output_hash = [0xee; 32];
        let outcome = store.put_transcripts(&[other.clone()], u64::MAX).unwrap();
        assert_eq!((outcome.duplicates, outcome.equivocations), (1, 1));
        assert_eq!(
            store.take_equivocations(),
            vec![(a.evidence.clone(), other.evidence.clone())]
        );
        assert!(store.take_equivocations().is_empty());
        // Bounded: the oldest go.
        for n in 0..(EQUIVOCATIONS_KEPT + 2) {
            let mut again = other.clone();
            again.evidence.response.output_hash = [n as u8; 32];
            store.put_transcripts(&[again], u64::MAX).unwrap();
        }
        assert_eq!(store.take_equivocations().len(), EQUIVOCATIONS_KEPT);
    }

    #[test]
    fn the_oldest_transcripts_are_evicted_past_the_byte_bound() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.redb")).unwrap();
        let all: Vec<_> = (0..6).map(|n| transcript(NetUid(1), 3, n)).collect();
        // Room for three (the transcripts differ in size by a byte or two).
        let max = all[..3].iter().map(cost).sum::<u64>() + 2;
        let first = store.put_transcripts(&all[..2], max).unwrap();
        assert_eq!(first.evicted, 0);
        let outcome = store.put_transcripts(&all[2..], max).unwrap();
        assert_eq!((outcome.stored, outcome.evicted), (4, 3));
        assert!(outcome.bytes <= max, "{} > {max}", outcome.bytes);
        let refs: Vec<_> = all.iter().map(by_id).collect();
        let kept = store.transcripts(&refs).unwrap();
        assert!(kept[..3].iter().all(Option::is_none), "the oldest go first");
        assert!(kept[3..].iter().all(Option::is_some));
        // Their index entries go with them.
        assert_eq!(
            store
                .transcript_by_evidence(NetUid(1), all[0].evidence_hash())
                .unwrap(),
            None
        );
        assert_eq!(store.transcript_usage().unwrap(), (3, outcome.bytes));
        // One larger than the whole bound is not kept, and evicts nothing.
        let mut big = transcript(NetUid(1), 3, 99);
        big.input = "x".repeat(usize::try_from(max).unwrap());
        let outcome = store.put_transcripts(&[big], max).unwrap();
        assert_eq!(
            (outcome.stored, outcome.too_large, outcome.evicted),
            (0, 1, 0)
        );
        assert_eq!(store.transcript_usage().unwrap().0, 3);
    }

    #[test]
    fn transcripts_are_pruned_by_subnet_and_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.redb")).unwrap();
        let all: Vec<_> = [(1, 2), (1, 3), (1, 4), (1, 5), (2, 2)]
            .iter()
            .map(|&(netuid, epoch)| transcript(NetUid(netuid), epoch, 7))
            .collect();
        store.put_transcripts(&all, u64::MAX).unwrap();
        let (removed, bytes) = store.prune_transcripts(NetUid(1), 4).unwrap();
        assert_eq!(removed, 2);
        assert_eq!(bytes, all[2..].iter().map(cost).sum::<u64>());
        let refs: Vec<_> = all.iter().map(by_id).collect();
        let kept: Vec<bool> = store
            .transcripts(&refs)
            .unwrap()
            .iter()
            .map(Option::is_some)
            .collect();
        assert_eq!(
            kept,
            [false, false, true, true, true],
            "subnet 2's epoch 2 stays"
        );
        assert_eq!(
            store
                .transcript_by_evidence(NetUid(1), all[0].evidence_hash())
                .unwrap(),
            None
        );
        // Nothing left to prune there; the eviction order no longer holds the pruned ones.
        assert_eq!(store.prune_transcripts(NetUid(1), 4).unwrap().0, 0);
        let outcome = store.put_transcripts(&[], cost(&all[4])).unwrap();
        assert_eq!(outcome.evicted, 2);
        assert_eq!(store.transcript_usage().unwrap(), (1, cost(&all[4])));
    }

    #[test]
    fn transcripts_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let all: Vec<_> = (0..3).map(|n| transcript(NetUid(1), 3, n)).collect();
        let max = all.iter().map(cost).sum::<u64>();
        {
            let store = Store::open(&path).unwrap();
            store.put_transcripts(&all, max).unwrap();
        }
        let store = Store::open(&path).unwrap();
        let refs: Vec<_> = all.iter().map(by_id).collect();
        assert_eq!(
            store.transcripts(&refs).unwrap(),
            all.iter().cloned().map(Some).collect::<Vec<_>>()
        );
        // The count and the order survive too: the next write evicts the oldest.
        assert_eq!(store.transcript_usage().unwrap(), (3, max));
        let newer = transcript(NetUid(1), 3, 9);
        let outcome = store
            .put_transcripts(std::slice::from_ref(&newer), max)
            .unwrap();
        assert_eq!(outcome.evicted, 1);
        let kept = store.transcripts(&[by_id(&all[0]), by_id(&newer)]).unwrap();
        assert!(kept[0].is_none() && kept[1].is_some());
    }

    #[test]
    fn canaries_survive_a_reopen_per_subnet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let canary = |netuid, byte| StoredCanary {
            netuid: NetUid(netuid),
            commitment: [byte; 32],
            payload: r#"{"pixels":[0]}"#.into(),
            reference: r#"{"label":3}"#.into(),
            expected_output_hash: [1; 32],
            salt: [2; 32],
            state: CanaryState::Submitted { epoch: 4 },
        };
        let (a, b, other) = (canary(1, 3), canary(1, 0xff), canary(2, 3));
        {
            let store = Store::open(&path).unwrap();
            for c in [&a, &b, &other] {
                store.put_canary(c).unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.canaries(NetUid(1)).unwrap(),
            vec![a.clone(), b.clone()]
        );
        let used = StoredCanary {
            state: CanaryState::Used {
                epoch: 4,
                block: 40,
            },
            ..a.clone()
        };
        store.put_canary(&used).unwrap();
        store.remove_canary(NetUid(1), &b.commitment).unwrap();
        assert_eq!(store.canaries(NetUid(1)).unwrap(), vec![used]);
        assert_eq!(store.canaries(NetUid(2)).unwrap(), vec![other]);
        assert!(store.canaries(NetUid(3)).unwrap().is_empty());
    }

    #[test]
    fn a_second_process_cannot_open_the_same_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let _first = Store::open(&path).unwrap();
        assert!(Store::open(&path).is_err());
    }
}
