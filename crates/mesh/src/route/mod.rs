//! Choosing which peers serve a request, and failing over between them.
//!
//! # Score
//!
//! Each candidate gets a score in `(0, 1]`; higher is better. It is the product of four
//! factors, so a peer must be good on every axis to rank first:
//!
//! | factor | formula | unknown |
//! |---|---|---|
//! | latency | `rtt_ref / (rtt_ref + rtt)` | `rtt` = [`RouteConfig::unknown_rtt`] |
//! | capacity | `(1 − 0.75·load) / (1 + queue_depth / max_batch)` | no beat: [`RouteConfig::unknown_capacity`] |
//! | power | mains or unknown source: 1; battery at or above [`RouteConfig::battery_low_percent`]: [`RouteConfig::battery_factor`]; low-power mode or battery below the threshold: [`RouteConfig::low_power_factor`] | no beat: 1 |
//! | reputation | `0.25 + 0.75·reputation` | reputation 0.5 |
//!
//! With the defaults (`rtt_ref` 50 ms), a peer at 50 ms scores half the latency factor of a
//! peer at 0 ms, a fully loaded peer keeps a quarter of its capacity factor, and a queue of one
//! full batch halves it.
//!
//! # Selection
//!
//! [`Router::select`] drops excluded candidates (quarantined, stale: the caller decides),
//! sorts the rest by score, and fills `k` slots. Each slot is, with probability
//! [`RouteConfig::explore_share`], given to a random *unproven* candidate (no RTT, no beat or
//! no reputation yet) — or, if every candidate is proven, to a random one other than the
//! best — and otherwise to the best remaining candidate. The random source is seeded, so a
//! selection is reproducible in tests.
//!
//! # Failover and hedging
//!
//! [`request_with_policy`] sends a request to ranked candidates, one at a time, and moves
//! to the next one when an attempt fails; with [`FailoverPolicy::hedge_after`] set it also
//! sends to the next candidate once when the first is slow, and takes whichever answers
//! first. A [`Judge`] decides what counts as an answer, may make each peer its own request
//! ([`Judge::request_for`]), and sees every attempt (for metrics and peer health).
//! [`request_with_failover`] is the common case: one attempt at a time, judged by
//! [`ErrorCode::is_retryable`] and [`MeshError::is_retryable`]. Both are
//! written against [`InferTransport`], implemented by the [`MeshClient`] and by fakes in
//! tests.
//!
//! [`ErrorCode::is_retryable`]: crate::ErrorCode::is_retryable
//! [`MeshError::is_retryable`]: crate::MeshError::is_retryable
//! [`MeshClient`]: crate::MeshClient

mod failover;
#[cfg(any(test, feature = "testing"))]
mod scripted;

use std::{collections::HashSet, time::Duration};

use libp2p::PeerId;

pub use self::failover::{
    request_with_failover, request_with_policy, AttemptError, DefaultJudge, FailedAttempt,
    FailoverError, FailoverPolicy, InferTransport, Judge, Served, TryKind, Verdict,
};
#[cfg(any(test, feature = "testing"))]
pub use self::scripted::ScriptedTransport;
use crate::{
    wire::{CapacityBeat, PowerSource},
    PeerInfo,
};

/// Weights and thresholds of the routing score; see the [module docs](self).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RouteConfig {
    /// RTT at which the latency factor halves.
    pub rtt_ref: Duration,
    /// RTT assumed for a peer that has not been pinged yet.
    pub unknown_rtt: Duration,
    /// Capacity factor of a peer that has sent no beat yet.
    pub unknown_capacity: f64,
    /// Battery charge (percent) below which a peer counts as low on power.
    pub battery_low_percent: u8,
    /// Power factor of a peer on battery above the threshold.
    pub battery_factor: f64,
    /// Power factor of a peer in low-power mode or with a low battery.
    pub low_power_factor: f64,
    /// Share of slots, in `0.0..=1.0`, given to exploration.
    pub explore_share: f64,
}

impl Default for RouteConfig {
    fn default() -> Self {
        Self {
            rtt_ref: Duration::from_millis(50),
            unknown_rtt: Duration::from_millis(250),
            unknown_capacity: 0.5,
            battery_low_percent: 20,
            battery_factor: 0.8,
            low_power_factor: 0.2,
            explore_share: 0.05,
        }
    }
}

/// What the router knows about one peer.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The peer.
    pub peer_id: PeerId,
    /// Latest round-trip time.
    pub rtt: Option<Duration>,
    /// Latest capacity beat (for the subnet being routed).
    pub beat: Option<CapacityBeat>,
    /// Reputation in `0.0..=1.0` (e.g. the chain's `Perbill` reputation), if known.
    pub reputation: Option<f64>,
}

impl Candidate {
    /// A candidate about which nothing is known yet.
    pub fn new(peer_id: PeerId) -> Self {
        Self {
            peer_id,
            rtt: None,
            beat: None,
            reputation: None,
        }
    }

    /// Sets the reputation (clamped to `0.0..=1.0`).
    pub fn with_reputation(mut self, reputation: f64) -> Self {
        self.reputation = Some(reputation.clamp(0.0, 1.0));
        self
    }

    /// Whether some measurement is still missing, which makes the peer a target for
    /// exploration.
    pub fn is_unproven(&self) -> bool {
        self.rtt.is_none() || self.beat.is_none() || self.reputation.is_none()
    }
}

impl From<&PeerInfo> for Candidate {
    fn from(info: &PeerInfo) -> Self {
        Self {
            peer_id: info.peer_id,
            rtt: info.rtt,
            beat: info.last_beat.clone(),
            reputation: None,
        }
    }
}

/// Ranks candidates and picks `k` of them; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Router {
    config: RouteConfig,
    rng: SplitMix64,
}

impl Router {
    /// A router whose exploration draws are determined by `seed`.
    pub fn new(config: RouteConfig, seed: u64) -> Self {
        Self {
            config,
            rng: SplitMix64(seed),
        }
    }

    /// A router seeded from the process's random hasher keys.
    pub fn from_entropy(config: RouteConfig) -> Self {
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Self::new(config, seed)
    }

    /// The score configuration.
    pub fn config(&self) -> &RouteConfig {
        &self.config
    }

    /// The candidate's score in `(0, 1]`; higher is better.
    pub fn score(&self, candidate: &Candidate) -> f64 {
        let c = &self.config;
        let rtt_ref = c.rtt_ref.as_secs_f64().max(1e-6);
        let rtt = candidate.rtt.unwrap_or(c.unknown_rtt).as_secs_f64();
        let latency = rtt_ref / (rtt_ref + rtt);

        let (capacity, power) = match &candidate.beat {
            None => (c.unknown_capacity, 1.0),
            Some(beat) => {
                let batches = f64::from(beat.queue_depth) / f64::from(beat.max_batch.max(1));
                let capacity = (1.0 - 0.75 * beat.load_fraction()) / (1.0 + batches);
                let battery_low = beat.power.source == PowerSource::Battery
                    && beat
                        .power
                        .battery_percent
                        .is_some_and(|p| p < c.battery_low_percent);
                let power = if beat.power.low_power || battery_low {
                    c.low_power_factor
                } else if beat.power.source == PowerSource::Battery {
                    c.battery_factor
                } else {
                    1.0
                };
                (capacity, power)
            }
        };

        let reputation = 0.25 + 0.75 * candidate.reputation.unwrap_or(0.5).clamp(0.0, 1.0);
        latency * capacity.clamp(1e-6, 1.0) * power.clamp(1e-6, 1.0) * reputation
    }

    /// `candidates` without those in `exclude` or listed twice, best first (ties by peer
    /// id, so the order is deterministic).
    pub fn rank(&self, candidates: &[Candidate], exclude: &HashSet<PeerId>) -> Vec<Candidate> {
        let mut seen = HashSet::new();
        let mut ranked: Vec<(f64, Candidate)> = candidates
            .iter()
            .filter(|c| !exclude.contains(&c.peer_id) && seen.insert(c.peer_id))
            .map(|c| (self.score(c), c.clone()))
            .collect();
        ranked.sort_by(|(sa, a), (sb, b)| {
            sb.total_cmp(sa)
                .then_with(|| a.peer_id.to_bytes().cmp(&b.peer_id.to_bytes()))
        });
        ranked.into_iter().map(|(_, c)| c).collect()
    }

    /// Picks up to `k` distinct peers, never one in `exclude`, best first apart from
    /// exploration picks.
    pub fn select(
        &mut self,
        candidates: &[Candidate],
        k: usize,
        exclude: &HashSet<PeerId>,
    ) -> Vec<PeerId> {
        let mut pool = self.rank(candidates, exclude);
        let mut picked = Vec::with_capacity(k.min(pool.len()));
        while picked.len() < k && !pool.is_empty() {
            let index = if self.rng.next_f64() < self.config.explore_share {
                self.exploration_pick(&pool)
            } else {
                0
            };
            if index < pool.len() {
                picked.push(pool.remove(index).peer_id);
            }
        }
        picked
    }

    /// Index of a random unproven candidate, or of a random candidate other than the best.
    fn exploration_pick(&mut self, pool: &[Candidate]) -> usize {
        let unproven: Vec<usize> = pool
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_unproven())
            .map(|(i, _)| i)
            .collect();
        if !unproven.is_empty() {
            let at = self.rng.below(unproven.len());
            return unproven.get(at).copied().unwrap_or(0);
        }
        match pool.len().checked_sub(1) {
            Some(rest) if rest > 0 => self.rng.below(rest).saturating_add(1),
            _ => 0,
        }
    }
}

/// SplitMix64: tiny, seedable, good enough for spreading exploration traffic.
#[derive(Clone, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ z.wrapping_shr(30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ z.wrapping_shr(27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ z.wrapping_shr(31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        let bits = self.next_u64().wrapping_shr(11);
        bits as f64 / (1u64 << 53) as f64
    }

    /// Uniform-ish in `0..n` (0 if `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        let r = self.next_u64().checked_rem(n64).unwrap_or(0);
        usize::try_from(r).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        wire::{PowerStatus, LOAD_FULL},
        NetUid,
    };

    fn peer(n: u8) -> PeerId {
        crate::keys::keypair_from_secret([n; 32])
            .unwrap()
            .public()
            .to_peer_id()
    }

    fn beat(load: u32, queue_depth: u32, power: PowerStatus) -> CapacityBeat {
        CapacityBeat {
            netuid: NetUid(1),
            load,
            queue_depth,
            max_batch: 4,
            power,
            sent_at_ms: 0,
        }
    }

    const MAINS: PowerStatus = PowerStatus {
        source: PowerSource::Mains,
        battery_percent: None,
        low_power: false,
    };

    fn known(n: u8, rtt_ms: u64, beat: CapacityBeat) -> Candidate {
        Candidate {
            peer_id: peer(n),
            rtt: Some(Duration::from_millis(rtt_ms)),
            beat: Some(beat),
            reputation: Some(0.5),
        }
    }

    fn no_explore() -> Router {
        Router::new(
            RouteConfig {
                explore_share: 0.0,
                ..RouteConfig::default()
            },
            1,
        )
    }

    #[test]
    fn lower_rtt_wins() {
        let fast = known(1, 10, beat(0, 0, MAINS));
        let slow = known(2, 200, beat(0, 0, MAINS));
        let mut r = no_explore();
        assert!(r.score(&fast) > r.score(&slow));
        let none = HashSet::new();
        assert_eq!(
            r.select(&[slow.clone(), fast.clone()], 1, &none),
            vec![fast.peer_id]
        );
        assert_eq!(
            r.select(&[slow.clone(), fast.clone()], 2, &none),
            vec![fast.peer_id, slow.peer_id]
        );
    }

    #[test]
    fn lower_load_and_shorter_queue_win() {
        let r = no_explore();
        let idle = known(1, 20, beat(0, 0, MAINS));
        let busy = known(2, 20, beat(LOAD_FULL, 0, MAINS));
        let queued = known(3, 20, beat(0, 8, MAINS));
        assert!(r.score(&idle) > r.score(&busy));
        assert!(r.score(&idle) > r.score(&queued));
        // A full batch in the queue halves the capacity factor.
        let one_batch = known(4, 20, beat(0, 4, MAINS));
        assert!((r.score(&one_batch) * 2.0 - r.score(&idle)).abs() < 1e-12);
    }

    #[test]
    fn low_battery_ranks_lower() {
        let r = no_explore();
        let mains = known(1, 20, beat(0, 0, MAINS));
        let battery = known(
            2,
            20,
            beat(
                0,
                0,
                PowerStatus {
                    source: PowerSource::Battery,
                    battery_percent: Some(80),
                    low_power: false,
                },
            ),
        );
        let low_battery = known(
            3,
            20,
            beat(
                0,
                0,
                PowerStatus {
                    source: PowerSource::Battery,
                    battery_percent: Some(10),
                    low_power: false,
                },
            ),
        );
        let low_power_mode = known(
            4,
            20,
            beat(
                0,
                0,
                PowerStatus {
                    low_power: true,
                    ..MAINS
                },
            ),
        );
        assert!(r.score(&mains) > r.score(&battery));
        assert!(r.score(&battery) > r.score(&low_battery));
        assert!(r.score(&battery) > r.score(&low_power_mode));
        // Even a faster low-battery peer loses to a slightly slower one on mains.
        let fast_low = Candidate {
            rtt: Some(Duration::from_millis(5)),
            ..low_battery
        };
        let ranked = r.rank(&[fast_low, mains.clone()], &HashSet::new());
        assert_eq!(ranked[0].peer_id, mains.peer_id);
    }

    #[test]
    fn excluded_peers_are_never_picked() {
        let best = known(1, 1, beat(0, 0, MAINS));
        let other = known(2, 300, beat(LOAD_FULL, 40, MAINS));
        let unproven = Candidate::new(peer(3));
        let exclude: HashSet<PeerId> = [best.peer_id, unproven.peer_id].into();
        let mut r = Router::new(
            RouteConfig {
                explore_share: 1.0,
                ..RouteConfig::default()
            },
            7,
        );
        for _ in 0..200 {
            let got = r.select(
                &[best.clone(), other.clone(), unproven.clone()],
                3,
                &exclude,
            );
            assert_eq!(got, vec![other.peer_id]);
        }
    }

    #[test]
    fn duplicates_are_picked_once() {
        let a = known(1, 1, beat(0, 0, MAINS));
        let got = no_explore().select(&[a.clone(), a.clone()], 2, &HashSet::new());
        assert_eq!(got, vec![a.peer_id]);
    }

    #[test]
    fn exploration_sometimes_picks_an_unseen_peer() {
        let best = known(1, 1, beat(0, 0, MAINS));
        let fresh = Candidate::new(peer(2));
        let candidates = [best.clone(), fresh.clone()];
        let none = HashSet::new();
        let count = |explore_share: f64, seed: u64| {
            let mut r = Router::new(
                RouteConfig {
                    explore_share,
                    ..RouteConfig::default()
                },
                seed,
            );
            (0..2000)
                .filter(|_| r.select(&candidates, 1, &none) == vec![fresh.peer_id])
                .count()
        };
        assert_eq!(count(0.0, 3), 0);
        let explored = count(0.1, 3);
        assert!(
            (120..=280).contains(&explored),
            "explored {explored} of 2000"
        );
        // Deterministic for a given seed.
        assert_eq!(count(0.1, 3), explored);
    }
}
