//! Per-miner scores from challenges, and the weights they become.
//!
//! Each challenge ends in an [`Outcome`]. Three exponential moving averages per uid fold
//! them in (weight `alpha` for the newest sample; the first sample sets the average):
//!
//! | average | sample | updated on |
//! |---|---|---|
//! | quality | the subnet's scoring rule against the reference answer, `0..=1` | answers |
//! | latency | `ref / (ref + latency)`, `1` at zero latency, `½` at `ref` | answers |
//! | availability | `1` for an answer (even a wrong one), `0` for none | every challenge |
//!
//! A `busy` answer to a challenge is no sample (a full queue is not a wrong answer), but a
//! miner that guessed which requests are challenges and answered all of them `busy` would
//! keep the score it had: so every [`BUSY_RUN_MISS`] consecutive `busy` answers of a uid
//! count as one availability miss (a `0` availability sample). Any other outcome ends the
//! run. Runs are not saved: a restart starts them over.
//!
//! A miner's score is `quality × latency × availability`, so a miner must be right, fast and
//! there. Weights are scores scaled so the best miner gets `u16::MAX`; miners scoring zero
//! get no weight. A uid whose hotkey changed (the slot was re-registered) starts over.

use mindos_primitives::Uid;
use std::{collections::BTreeMap, time::Duration};

use serde::{Deserialize, Serialize};

/// Consecutive `busy` answers to challenges that count as one availability miss. An
/// occasional `busy` (a queue full for a moment) costs nothing; a miner busy for this many
/// challenges in a row (6 s of refusals at the default 2 s interval), while its queue keeps
/// places for each validator's own requests, is not there.
pub(crate) const BUSY_RUN_MISS: u32 = 3;

/// How one challenge ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// The miner answered; `quality` is the scoring rule's value, `0..=1`.
    Answered { quality: f64, latency: Duration },
    /// No usable answer: timeout, error, refusal, or an output that does not decode.
    Failed,
}

/// The averages of one uid.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct MinerScore {
    /// The hotkey the averages belong to.
    pub(crate) hotkey: [u8; 32],
    pub(crate) quality: Option<f64>,
    pub(crate) latency: Option<f64>,
    pub(crate) availability: f64,
    pub(crate) samples: u64,
}

impl MinerScore {
    /// `quality × latency × availability`; 0 without an answer yet.
    pub(crate) fn score(&self) -> f64 {
        match (self.quality, self.latency) {
            (Some(q), Some(l)) => (q * l * self.availability).clamp(0.0, 1.0),
            _ => 0.0,
        }
    }
}

fn ema(previous: Option<f64>, sample: f64, alpha: f64) -> f64 {
    match previous {
        Some(p) => p + alpha * (sample - p),
        None => sample,
    }
}

/// The scores of one subnet's miners.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Scoreboard {
    alpha: f64,
    latency_ref: Duration,
    scores: BTreeMap<Uid, MinerScore>,
    /// Consecutive `busy` answers per uid since its last sample, with the hotkey that gave
    /// them.
    #[serde(skip)]
    busy_runs: BTreeMap<Uid, ([u8; 32], u32)>,
}

impl Scoreboard {
    pub(crate) fn new(alpha: f64, latency_ref: Duration) -> Self {
        Self {
            alpha: alpha.clamp(f64::MIN_POSITIVE, 1.0),
            latency_ref,
            scores: BTreeMap::new(),
            busy_runs: BTreeMap::new(),
        }
    }

    /// The averages restored from the store, with this run's settings.
    pub(crate) fn with_scores(mut self, scores: BTreeMap<Uid, MinerScore>) -> Self {
        self.scores = scores;
        self
    }

    pub(crate) fn scores(&self) -> &BTreeMap<Uid, MinerScore> {
        &self.scores
    }

    /// The latency factor of one answer.
    pub(crate) fn latency_factor(&self, latency: Duration) -> f64 {
        let reference = self.latency_ref.as_secs_f64().max(1e-6);
        reference / (reference + latency.as_secs_f64())
    }

    /// Folds one challenge outcome of `uid` (held by `hotkey`) into its averages.
    pub(crate) fn record(&mut self, uid: Uid, hotkey: [u8; 32], outcome: Outcome) {
        self.busy_runs.remove(&uid);
        let alpha = self.alpha;
        let latency_factor = match outcome {
            Outcome::Answered { latency, .. } => Some(self.latency_factor(latency)),
            Outcome::Failed => None,
        };
        let entry = self.scores.entry(uid).or_insert(MinerScore {
            hotkey,
            quality: None,
            latency: None,
            availability: 1.0,
            samples: 0,
        });
        if entry.hotkey != hotkey {
            *entry = MinerScore {
                hotkey,
                quality: None,
                latency: None,
                availability: 1.0,
                samples: 0,
            };
        }
        let first = entry.samples == 0;
        match (outcome, latency_factor) {
            (Outcome::Answered { quality, .. }, Some(factor)) => {
                entry.quality = Some(ema(entry.quality, quality.clamp(0.0, 1.0), alpha));
                entry.latency = Some(ema(entry.latency, factor, alpha));
                entry.availability = ema((!first).then_some(entry.availability), 1.0, alpha);
            }
            _ => {
                entry.availability = ema((!first).then_some(entry.availability), 0.0, alpha);
            }
        }
        entry.samples = entry.samples.saturating_add(1);
    }

    /// Counts a `busy` answer of `uid` (held by `hotkey`) to a challenge: no sample, unless
    /// it is the [`BUSY_RUN_MISS`]th in a row, which is recorded as an availability miss
    /// ([`Outcome::Failed`]) and starts a new run. Returns whether it was.
    pub(crate) fn record_busy(&mut self, uid: Uid, hotkey: [u8; 32]) -> bool {
        let run = self.busy_runs.entry(uid).or_insert((hotkey, 0));
        if run.0 != hotkey {
            *run = (hotkey, 0);
        }
        run.1 = run.1.saturating_add(1);
        if run.1 < BUSY_RUN_MISS {
            return false;
        }
        // `record` ends the run.
        self.record(uid, hotkey, Outcome::Failed);
        true
    }

    /// Forgets uids that `keep` rejects (deregistered, or re-registered by another hotkey).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(Uid, &[u8; 32]) -> bool) {
        self.scores.retain(|uid, s| keep(*uid, &s.hotkey));
        self.busy_runs.retain(|uid, (hotkey, _)| keep(*uid, hotkey));
    }

    /// Weights for the chain: `(uids, weights)`, uids increasing, the best miner at
    /// `u16::MAX`, zero scores and `exclude` (the validator's own uid) left out. Empty when no
    /// miner scores above zero.
    pub(crate) fn weights(&self, exclude: Option<Uid>) -> (Vec<u16>, Vec<u16>) {
        let scored: Vec<(Uid, f64)> = self
            .scores
            .iter()
            .filter(|(uid, _)| Some(**uid) != exclude)
            .map(|(uid, s)| (*uid, s.score()))
            .filter(|(_, score)| *score > 0.0)
            .collect();
        let best = scored.iter().map(|(_, s)| *s).fold(0.0, f64::max);
        if best <= 0.0 {
            return (Vec::new(), Vec::new());
        }
        scored
            .into_iter()
            .filter_map(|(uid, score)| {
                let weight = (score / best * f64::from(u16::MAX)).round();
                // In range by construction (0 < score ≤ best); `as` saturates anyway.
                let weight = weight.clamp(0.0, f64::from(u16::MAX)) as u16;
                // The chain takes uids as their bare number.
                (weight > 0).then_some((uid.0, weight))
            })
            .unzip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [u8; 32] = [1; 32];
    const B: [u8; 32] = [2; 32];

    fn answered(quality: f64, ms: u64) -> Outcome {
        Outcome::Answered {
            quality,
            latency: Duration::from_millis(ms),
        }
    }

    #[test]
    fn score_is_quality_times_latency_times_availability() {
        let mut board = Scoreboard::new(0.5, Duration::from_millis(100));
        board.record(Uid(1), A, answered(1.0, 100));
        let s = board.scores()[&Uid(1)];
        assert!((s.score() - 0.5).abs() < 1e-12, "{s:?}");
        board.record(Uid(1), A, Outcome::Failed);
        let s = board.scores()[&Uid(1)];
        assert!((s.availability - 0.5).abs() < 1e-12);
        assert!((s.score() - 0.25).abs() < 1e-12);
        assert_eq!(s.samples, 2);
        // A miner that never answered scores zero.
        board.record(Uid(2), B, Outcome::Failed);
        assert_eq!(board.scores()[&Uid(2)].score(), 0.0);
    }

    #[test]
    fn wrong_answers_lose_to_right_ones_and_get_no_weight() {
        let mut board = Scoreboard::new(0.1, Duration::from_millis(200));
        for _ in 0..20 {
            board.record(Uid(1), A, answered(1.0, 5));
            board.record(Uid(2), B, answered(0.0, 5));
            board.record(Uid(3), [3; 32], answered(1.0, 400));
        }
        let (uids, weights) = board.weights(None);
        assert_eq!(uids, vec![1, 3]);
        assert_eq!(weights[0], u16::MAX);
        assert!(weights[1] < weights[0] / 2, "slow miner: {weights:?}");
        let (uids, _) = board.weights(Some(Uid(1)));
        assert_eq!(uids, vec![3]);
    }

    #[test]
    fn a_reregistered_uid_starts_over() {
        let mut board = Scoreboard::new(0.1, Duration::from_millis(100));
        board.record(Uid(4), A, answered(1.0, 1));
        board.record(Uid(4), B, Outcome::Failed);
        let s = board.scores()[&Uid(4)];
        assert_eq!((s.hotkey, s.samples, s.quality), (B, 1, None));
        board.retain(|_, hotkey| *hotkey == A);
        assert!(board.scores().is_empty());
        assert_eq!(board.weights(None), (Vec::new(), Vec::new()));
    }

    #[test]
    fn the_moving_average_follows_new_samples() {
        let mut board = Scoreboard::new(0.5, Duration::from_millis(100));
        board.record(Uid(1), A, answered(0.0, 0));
        board.record(Uid(1), A, answered(1.0, 0));
        board.record(Uid(1), A, answered(1.0, 0));
        let q = board.scores()[&Uid(1)].quality.unwrap();
        assert!((q - 0.75).abs() < 1e-12, "{q}");
    }
}
