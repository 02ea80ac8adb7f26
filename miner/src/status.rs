//! What `miner_status` reports, and the few live values behind it that change after start.

use mindos_primitives::{evidence::SeenBlock, NetUid, Uid};
use std::sync::{Mutex, PoisonError};

use mindos_mesh::{PowerSource, PowerStatus};
use serde::{Deserialize, Serialize};

/// Values that change while the miner runs (written by the chain watcher and the beat task).
#[derive(Debug)]
pub(crate) struct LiveState {
    uid: Mutex<Option<Uid>>,
    /// The newest finalized block seen, with its hash (what signed answers name).
    head: Mutex<Option<SeenBlock>>,
    power: Mutex<PowerStatus>,
}

impl LiveState {
    pub(crate) fn new(uid: Option<Uid>, power: PowerStatus) -> Self {
        Self {
            uid: Mutex::new(uid),
            head: Mutex::new(None),
            power: Mutex::new(power),
        }
    }

    /// Sets the uid; returns the previous one.
    pub(crate) fn set_uid(&self, uid: Option<Uid>) -> Option<Uid> {
        std::mem::replace(
            &mut *self.uid.lock().unwrap_or_else(PoisonError::into_inner),
            uid,
        )
    }

    pub(crate) fn uid(&self) -> Option<Uid> {
        *self.uid.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a newly finalized block; an older one (a reconnect to a node that lags) is
    /// ignored, so the head never goes back.
    pub(crate) fn set_head(&self, head: SeenBlock) {
        let mut current = self.head.lock().unwrap_or_else(PoisonError::into_inner);
        if current.is_none_or(|c| c.number <= head.number) {
            *current = Some(head);
        }
    }

    /// The newest finalized block seen, if any.
    pub(crate) fn head(&self) -> Option<SeenBlock> {
        *self.head.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn block(&self) -> Option<u64> {
        self.head().map(|h| h.number).filter(|b| *b > 0)
    }

    /// Sets the power status; returns the previous one.
    pub(crate) fn set_power(&self, power: PowerStatus) -> PowerStatus {
        std::mem::replace(
            &mut *self.power.lock().unwrap_or_else(PoisonError::into_inner),
            power,
        )
    }

    pub(crate) fn power(&self) -> PowerStatus {
        *self.power.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The answer of `miner_status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinerStatus {
    /// The miner's libp2p PeerId.
    pub peer_id: String,
    /// Addresses the mesh listens on.
    pub listen_addrs: Vec<String>,
    /// The subnet served.
    pub netuid: NetUid,
    /// Its task name.
    pub subnet: String,
    /// The hotkey's account (`0x` hex); `None` with `--no-chain`.
    pub hotkey: Option<String>,
    /// The hotkey's uid on the subnet, if registered.
    pub uid: Option<Uid>,
    /// BLAKE2b-256 of the loaded model, `0x` hex.
    pub model_digest: String,
    /// Requests waiting for a worker.
    pub queue_depth: usize,
    /// Requests answered with an output.
    pub served: u64,
    /// Requests answered with an error (any code).
    pub failed: u64,
    /// Batches run so far (fewer than `served` when requests were batched).
    pub batches: u64,
    /// Largest batch now (lower in low-power mode).
    pub max_batch: usize,
    /// Workers allowed to run batches now.
    pub workers: usize,
    /// Power source, charge and low-power mode.
    pub power: PowerView,
    /// Validators whose PeerIds may call (from the chain), besides the allow-list.
    pub permitted_validators: usize,
    /// Newest finalized block seen; `None` with `--no-chain`.
    pub finalized_block: Option<u64>,
}

/// Power as `miner_status` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PowerView {
    /// `mains`, `battery` or `unknown`.
    pub source: PowerSource,
    /// Charge in percent, if known.
    pub battery_percent: Option<u8>,
    /// Whether the power policy lowered the limits.
    pub low_power: bool,
}

impl From<PowerStatus> for PowerView {
    fn from(p: PowerStatus) -> Self {
        Self {
            source: p.source,
            battery_percent: p.battery_percent,
            low_power: p.low_power,
        }
    }
}
