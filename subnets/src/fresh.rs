//! Fresh challenges and re-execution: what [`Subnet::fresh_input`](crate::Subnet::fresh_input)
//! draws its inputs with, and what [`Subnet::agrees`](crate::Subnet::agrees) says when a
//! miner's answer is not the pinned model's.
//!
//! A validator challenges miners with inputs nobody has seen before and computes the
//! reference answer by running the pinned model itself; it re-executes a share of users'
//! queries the same way. Each subnet states how an answer is compared with its re-executed
//! reference (exact canonical output, or a cosine tolerance measured in `subnets/README.md`).

use std::fmt;

/// SplitMix64: the generators' source of randomness. Deterministic for a seed, so a fresh
/// input can be regenerated from its seed by tests and audits; nothing secret depends on
/// it (the validator draws the seeds from the OS).
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ z.wrapping_shr(30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ z.wrapping_shr(27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ z.wrapping_shr(31)
    }

    /// Uniform-ish in `0..n` (0 if `n` is 0); the modulo bias is below 2⁻⁴⁰ for the small
    /// `n` the generators use.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.next_u64().checked_rem(n64).unwrap_or(0)).unwrap_or(0)
    }

    /// Uniform in `lo..=hi` (`lo` if `hi < lo`).
    pub(crate) fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo.saturating_add(self.below(hi.saturating_sub(lo).saturating_add(1)))
    }

    /// True with probability `1 / n` (always for `n ≤ 1`).
    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Why a miner's answer disagrees with the validator's re-execution of the pinned model on
/// the same input: what the sentinel duty reports as a wrong output.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Disagreement {
    /// The answer is no valid output of the subnet (wrong length, NaN, zero vector, label
    /// out of range).
    Invalid {
        /// What is wrong with it.
        reason: String,
    },
    /// The answer belongs to another subnet.
    WrongSubnet {
        /// The subnet the answer is of.
        got: &'static str,
    },
    /// Canonical outputs differ where they must be equal (digits: the label).
    Canonical {
        /// The answer's canonical output, as the subnet's docs spell it (e.g. `label 3`).
        got: String,
        /// The re-executed reference's.
        expected: String,
    },
    /// A float output too far from the reference.
    Cosine {
        /// The answer's cosine to the reference.
        cosine: f32,
        /// The least cosine the subnet accepts.
        min: f32,
    },
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { reason } => write!(f, "invalid output: {reason}"),
            Self::WrongSubnet { got } => write!(f, "an output of subnet `{got}`"),
            Self::Canonical { got, expected } => {
                write!(f, "answered {got}, the pinned model gives {expected}")
            }
            Self::Cosine { cosine, min } => write!(
                f,
                "cosine {cosine:.6} to the pinned model's output, below the tolerance {min}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rng_is_deterministic_and_stays_in_range() {
        let a: Vec<u64> = {
            let mut r = SplitMix64::new(42);
            (0..8).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = SplitMix64::new(42);
            (0..8).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let mut r = SplitMix64::new(7);
        assert_eq!(r.below(0), 0);
        for _ in 0..1000 {
            let x = r.between(3, 5);
            assert!((3..=5).contains(&x), "{x}");
        }
        assert_eq!(r.between(5, 3), 5);
    }
}
