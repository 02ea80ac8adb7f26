//! Tests: hand-computed cases, statistical properties of the draw, the quorum's safety and
//! liveness, and exact money.

mod committee;
mod escalation;
mod quarantine;
mod sampling;
mod seed;
mod slashing;
mod votes;

use alloc::vec::Vec;

use crate::{committee_seed, Candidate, Perbill, Seed};

/// SplitMix64: a tiny generator independent of the crate's BLAKE2 stream, for test scenarios and
/// for the Monte-Carlo reference of the draw.
#[derive(Clone, Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The `i`-th test seed: a real committee seed (subnet 1, epoch `i`, a fixed mix).
fn seed(i: u64) -> Seed {
    committee_seed(1, i, &[7u8; 32])
}

/// A candidate with uid `uid`, `stake` and reputation `rep_ppb` parts per billion.
fn cand(uid: u16, stake: u128, rep_ppb: u32) -> Candidate {
    Candidate {
        uid,
        stake,
        reputation: Perbill::from_parts(rep_ppb),
        excluded: false,
    }
}

/// `n` candidates with uids `0..n`, equal stake and full reputation.
fn equal(n: u16) -> Vec<Candidate> {
    (0..n).map(|uid| cand(uid, 1_000, 1_000_000_000)).collect()
}

/// Standard deviation of a frequency estimated from `trials` Bernoulli(`p`) trials.
fn sigma(p: f64, trials: u64) -> f64 {
    (p * (1.0 - p) / trials as f64).sqrt()
}
