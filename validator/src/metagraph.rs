//! The validator's local view of each validated subnet: its record on chain, its neurons as
//! of the last finalized block read, the subnet engine (validation data, scoring and
//! aggregation), the challenge scores, and per-miner health and latency that routing uses.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicBool, AtomicU16, Ordering},
        Arc, Mutex, PoisonError, RwLock,
    },
    time::{Duration, Instant},
};

use mindos_mesh::{Multiaddr, PeerId};
use mindos_primitives::{NetUid, TaskSpec, Uid};
use mindos_subnets::SubnetEngine;

use crate::{answers::TermsBasis, scoring::Scoreboard};

/// A subnet as listed on chain.
#[derive(Clone, Debug)]
pub(crate) struct ChainSubnet {
    pub(crate) netuid: NetUid,
    pub(crate) name: String,
    /// The chain's TaskSpec (`None` without a chain: the build's pinned model).
    pub(crate) task: Option<TaskSpec>,
    pub(crate) tempo: u16,
    pub(crate) commit_reveal: bool,
}

/// One metagraph row, as much of it as the validator uses.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Neuron {
    pub(crate) uid: Uid,
    pub(crate) hotkey: [u8; 32],
    /// Its served PeerId, once it has called `serve`.
    pub(crate) peer: Option<PeerId>,
    pub(crate) addrs: Vec<Multiaddr>,
    pub(crate) validator_permit: bool,
    pub(crate) stake: u128,
    /// The chain's reputation, `0.0..=1.0`.
    pub(crate) reputation: f64,
    /// Incentive of the last epoch, Perbill parts.
    pub(crate) incentive: u32,
    /// Emission of the last epoch, planck.
    pub(crate) emission: u128,
    /// Quarantined by the sentinels (the metagraph's `quarantinedUntil` is set): it earns
    /// nothing, and neither routing nor challenges use it until it is released.
    pub(crate) quarantined: bool,
}

/// After this many failures in a row a miner rests (routing and challenges skip it) for
/// [`REST`]; one good answer clears the count.
const FAILURES_TO_REST: u32 = 3;
/// How long a failing miner rests.
const REST: Duration = Duration::from_secs(10);
/// Latencies kept per subnet for the hedging percentile.
const LATENCY_WINDOW: usize = 256;
/// Latencies kept per miner for the gateway's `validator_status` (the dashboard's
/// sparklines).
pub(crate) const RECENT_LATENCIES: usize = 16;

#[derive(Clone, Debug, Default)]
struct Health {
    failures: u32,
    resting_until: Option<Instant>,
    /// The miner's latest answer latencies, oldest first, at most [`RECENT_LATENCIES`].
    recent: VecDeque<Duration>,
}

/// Everything the validator keeps about one subnet.
pub(crate) struct SubnetState {
    pub(crate) netuid: NetUid,
    pub(crate) name: String,
    pub(crate) engine: Arc<dyn SubnetEngine>,
    /// The subnet's tempo and commit-reveal flag as of the last finalized block read: its
    /// owner (at an epoch boundary) or governance may change them while the validator runs.
    tempo: AtomicU16,
    commit_reveal: AtomicBool,
    neurons: RwLock<Arc<Vec<Neuron>>>,
    own_uid: RwLock<Option<Uid>>,
    /// What requests' terms are built from, as of the last finalized block read; `None`
    /// without a chain.
    terms_basis: RwLock<Option<TermsBasis>>,
    pub(crate) scores: Mutex<Scoreboard>,
    health: Mutex<HashMap<PeerId, Health>>,
    latencies: Mutex<VecDeque<Duration>>,
}

impl std::fmt::Debug for SubnetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubnetState")
            .field("netuid", &self.netuid)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SubnetState {
    pub(crate) fn new(
        subnet: &ChainSubnet,
        engine: Arc<dyn SubnetEngine>,
        scores: Scoreboard,
    ) -> Self {
        Self {
            netuid: subnet.netuid,
            name: subnet.name.clone(),
            engine,
            tempo: AtomicU16::new(subnet.tempo),
            commit_reveal: AtomicBool::new(subnet.commit_reveal),
            neurons: RwLock::default(),
            own_uid: RwLock::default(),
            terms_basis: RwLock::default(),
            scores: Mutex::new(scores),
            health: Mutex::default(),
            latencies: Mutex::default(),
        }
    }

    /// The subnet's tempo (blocks per epoch, minus one).
    pub(crate) fn tempo(&self) -> u16 {
        self.tempo.load(Ordering::Relaxed)
    }

    /// Whether the subnet takes weights by commit and reveal (else `set_weights`).
    pub(crate) fn commit_reveal(&self) -> bool {
        self.commit_reveal.load(Ordering::Relaxed)
    }

    /// Records the subnet's tempo and commit-reveal flag as read from the chain; returns
    /// whether either changed.
    pub(crate) fn set_parameters(&self, tempo: u16, commit_reveal: bool) -> bool {
        let old_tempo = self.tempo.swap(tempo, Ordering::Relaxed);
        let old_commit_reveal = self.commit_reveal.swap(commit_reveal, Ordering::Relaxed);
        old_tempo != tempo || old_commit_reveal != commit_reveal
    }

    pub(crate) fn neurons(&self) -> Arc<Vec<Neuron>> {
        self.neurons
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the neurons; returns whether the served miners (uid, PeerId, addresses)
    /// changed.
    pub(crate) fn set_neurons(&self, neurons: Vec<Neuron>) -> bool {
        let mut current = self.neurons.write().unwrap_or_else(PoisonError::into_inner);
        let served = |list: &[Neuron]| -> Vec<(Uid, Option<PeerId>, Vec<Multiaddr>)> {
            list.iter()
                .map(|n| (n.uid, n.peer, n.addrs.clone()))
                .collect()
        };
        let changed = served(&current) != served(&neurons);
        // Health is kept for the PeerIds neurons serve now only, so the map stays bounded.
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|peer, _| neurons.iter().any(|n| n.peer.as_ref() == Some(peer)));
        *current = Arc::new(neurons);
        changed
    }

    pub(crate) fn own_uid(&self) -> Option<Uid> {
        *self.own_uid.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_own_uid(&self, uid: Option<Uid>) {
        *self.own_uid.write().unwrap_or_else(PoisonError::into_inner) = uid;
    }

    /// What the terms of a request sent now are built from (`None` without a chain).
    pub(crate) fn terms_basis(&self) -> Option<TermsBasis> {
        *self
            .terms_basis
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records what the latest finalized block says requests' terms are built from.
    pub(crate) fn set_terms_basis(&self, basis: TermsBasis) {
        *self
            .terms_basis
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(basis);
    }

    /// Miners with an endpoint, other than this validator and not quarantined: what challenges
    /// and routing use.
    pub(crate) fn served_miners(&self) -> Vec<Neuron> {
        let own = self.own_uid();
        self.neurons()
            .iter()
            .filter(|n| n.peer.is_some() && Some(n.uid) != own && !n.quarantined)
            .cloned()
            .collect()
    }

    /// Whether `peer` is resting after repeated failures.
    pub(crate) fn is_resting(&self, peer: &PeerId, now: Instant) -> bool {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(peer)
            .and_then(|h| h.resting_until)
            .is_some_and(|until| until > now)
    }

    /// Records an answer (`Some(latency)`) or a failure of `peer`.
    pub(crate) fn record_attempt(&self, peer: PeerId, latency: Option<Duration>) {
        let mut health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = health.entry(peer).or_default();
        match latency {
            Some(latency) => {
                entry.failures = 0;
                entry.resting_until = None;
                if entry.recent.len() >= RECENT_LATENCIES {
                    entry.recent.pop_front();
                }
                entry.recent.push_back(latency);
                drop(health);
                let mut window = self
                    .latencies
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if window.len() >= LATENCY_WINDOW {
                    window.pop_front();
                }
                window.push_back(latency);
            }
            None => {
                entry.failures = entry.failures.saturating_add(1);
                if entry.failures >= FAILURES_TO_REST {
                    entry.resting_until = Some(
                        Instant::now()
                            .checked_add(REST)
                            .unwrap_or_else(Instant::now),
                    );
                    entry.failures = 0;
                    tracing::debug!(netuid = %self.netuid, %peer, "miner failed repeatedly; resting it");
                }
            }
        }
    }

    /// `peer`'s latest answer latencies (challenges and gateway queries), oldest first.
    pub(crate) fn recent_latencies(&self, peer: &PeerId) -> Vec<Duration> {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(peer)
            .map(|h| h.recent.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The 90th percentile of recent answer latencies, if there are enough to tell.
    pub(crate) fn latency_p90(&self) -> Option<Duration> {
        let window = self
            .latencies
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        percentile(window.iter().copied(), 0.9)
    }
}

/// The `q` quantile (nearest rank) of `samples`; `None` under 10 samples.
pub(crate) fn percentile(samples: impl Iterator<Item = Duration>, q: f64) -> Option<Duration> {
    let mut sorted: Vec<Duration> = samples.collect();
    if sorted.len() < 10 {
        return None;
    }
    sorted.sort_unstable();
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len().saturating_sub(1)))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits subnet with its real engine, as the validator keeps it.
    fn digits_subnet() -> SubnetState {
        SubnetState::new(
            &ChainSubnet {
                netuid: NetUid(1),
                name: "digits".into(),
                task: None,
                tempo: 10,
                commit_reveal: false,
            },
            mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default())
                .expect("the digits engine loads"),
            Scoreboard::new(0.1, Duration::from_millis(100)),
        )
    }

    #[test]
    fn served_miners_skip_this_validator_the_unserved_and_the_quarantined() {
        let peer = || Some(PeerId::random());
        let neuron = |uid: u16, peer: Option<PeerId>, quarantined: bool| Neuron {
            uid: Uid(uid),
            hotkey: [0; 32],
            peer,
            addrs: Vec::new(),
            validator_permit: false,
            stake: 0,
            reputation: 0.0,
            incentive: 0,
            emission: 0,
            quarantined,
        };
        let subnet = digits_subnet();
        subnet.set_neurons(vec![
            neuron(0, peer(), false),
            neuron(1, peer(), false),
            neuron(2, None, false),
            neuron(3, peer(), true),
        ]);
        subnet.set_own_uid(Some(Uid(0)));
        let uids: Vec<Uid> = subnet.served_miners().iter().map(|n| n.uid).collect();
        assert_eq!(uids, vec![Uid(1)]);
    }

    #[test]
    fn recent_latencies_are_kept_per_served_peer_and_bounded() {
        let subnet = digits_subnet();
        let (a, b) = (PeerId::random(), PeerId::random());
        let neuron = |uid: u16, peer: PeerId| Neuron {
            uid: Uid(uid),
            hotkey: [0; 32],
            peer: Some(peer),
            addrs: Vec::new(),
            validator_permit: false,
            stake: 0,
            reputation: 0.0,
            incentive: 0,
            emission: 0,
            quarantined: false,
        };
        subnet.set_neurons(vec![neuron(0, a), neuron(1, b)]);
        for ms in 1..=20u64 {
            subnet.record_attempt(a, Some(Duration::from_millis(ms)));
        }
        // A failure keeps the latencies; the window holds the latest 16, oldest first.
        subnet.record_attempt(a, None);
        let kept = subnet.recent_latencies(&a);
        assert_eq!(kept.len(), RECENT_LATENCIES);
        assert_eq!(kept.first(), Some(&Duration::from_millis(5)));
        assert_eq!(kept.last(), Some(&Duration::from_millis(20)));
        assert!(subnet.recent_latencies(&b).is_empty());
        // A peer that no neuron serves any more is forgotten.
        subnet.record_attempt(b, Some(Duration::from_millis(3)));
        subnet.set_neurons(vec![neuron(0, a)]);
        assert!(subnet.recent_latencies(&b).is_empty());
        assert_eq!(subnet.recent_latencies(&a).len(), RECENT_LATENCIES);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let ms = |n: u64| Duration::from_millis(n);
        assert_eq!(percentile((1..=5).map(ms), 0.9), None);
        assert_eq!(percentile((1..=100).map(ms), 0.9), Some(ms(90)));
        assert_eq!(percentile((1..=10).map(ms), 0.9), Some(ms(9)));
        assert_eq!(percentile((1..=10).rev().map(ms), 1.0), Some(ms(10)));
    }
}
