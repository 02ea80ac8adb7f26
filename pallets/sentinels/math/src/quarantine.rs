//! Quarantine lengths and deregistration for repeat offenders.
//!
//! # Why doubling, a cap and a window
//!
//! A first offence may be a bad deploy, so it costs little: [`QuarantineParams::base_epochs`]
//! (default 2, the "garbage miner out within 2 epochs" target). Each prior offence doubles the
//! length, so a miner that keeps failing spends exponentially more time earning nothing; the cap
//! keeps the length (and the arithmetic) bounded. Three offences within 30 epochs mean the miner
//! is not going to fix itself: it is deregistered and its uid freed, as Cosmos tombstones a
//! validator after a double sign. Release after expiry is an explicit call, as Cosmos
//! `MsgUnjail`, so a miner comes back only when its operator says it is fixed.
//!
//! The pallet keeps a bounded list of the epochs of a uid's past offences (the
//! [`MAX_OFFENCE_HISTORY`] most recent is enough); it may drop entries older than the window, in
//! which case the doubling also restarts once a miner stays clean for a window.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Past offence epochs the pallet needs to keep per uid: more than `deregister_after` is never
/// read by a sensible policy; 8 leaves room for governance to raise it.
pub const MAX_OFFENCE_HISTORY: usize = 8;

/// Quarantine policy of a subnet.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct QuarantineParams {
    /// Length of a first offence's quarantine, in epochs. Default 2.
    pub base_epochs: u32,
    /// Longest quarantine, in epochs. Default 64.
    pub max_epochs: u32,
    /// Offences within the window (this one included) that deregister. Default 3.
    pub deregister_after: u32,
    /// The window: offences at epochs `e` with `now − e < window_epochs` count. Default 30.
    pub window_epochs: u64,
}

impl Default for QuarantineParams {
    fn default() -> Self {
        Self {
            base_epochs: 2,
            max_epochs: 64,
            deregister_after: 3,
            window_epochs: 30,
        }
    }
}

/// What an offence costs the miner.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum Sanction {
    /// Quarantined from the offence epoch on; [`may_release`] from epoch `until`.
    Quarantine {
        /// First epoch in which the release call succeeds.
        until: u64,
    },
    /// Deregistered: the uid is freed.
    Deregister,
}

/// `base · 2^prior_offences` epochs, saturating, at most `max_epochs` (and at least 1, so an
/// offence always costs something even under a zero base).
pub fn quarantine_epochs(params: &QuarantineParams, prior_offences: u32) -> u32 {
    let factor = 1u32.checked_shl(prior_offences).unwrap_or(u32::MAX);
    params
        .base_epochs
        .saturating_mul(factor)
        .min(params.max_epochs)
        .max(1)
}

/// The sanction for an offence at epoch `now`, given the epochs of the uid's past offences
/// (`past`, any order; entries after `now` are ignored as bad input).
///
/// Deregister when this offence and the past ones within the window number at least
/// `deregister_after`; otherwise quarantine for [`quarantine_epochs`] with every kept past
/// offence counted as prior.
pub fn sanction(params: &QuarantineParams, now: u64, past: &[u64]) -> Sanction {
    let earlier = past.iter().filter(|&&e| e <= now);
    let prior = u32::try_from(earlier.clone().count()).unwrap_or(u32::MAX);
    let in_window = earlier
        .filter(|&&e| now.saturating_sub(e) < params.window_epochs)
        .count();
    let offences = u32::try_from(in_window)
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    if offences >= params.deregister_after.max(1) {
        return Sanction::Deregister;
    }
    Sanction::Quarantine {
        until: now.saturating_add(u64::from(quarantine_epochs(params, prior))),
    }
}

/// Whether a miner quarantined until `until` may be released at epoch `now`.
pub fn may_release(now: u64, until: u64) -> bool {
    now >= until
}
