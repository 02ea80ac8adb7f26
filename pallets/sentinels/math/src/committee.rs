//! Committee sampling: a seeded shuffle with stake × reputation acceptance, without replacement.
//!
//! # Scheme
//!
//! As Ethereum's sync committee: the eligible candidates are shuffled by the seed, then visited
//! in that order, and candidate `i` is accepted with probability `w_i / w_max`, where
//! `w_i = stake_i × reputation_i`. A seated candidate is skipped on later visits (without
//! replacement: a committee of `n` has `n` distinct members), and the walk wraps around until
//! `n` seats are filled.
//!
//! - **Why acceptance instead of picking by cumulative weight**: each visit costs one random word
//!   and one comparison, with no prefix sums to maintain as seats are removed.
//! - **Shuffle**: Fisher–Yates, done lazily: position `p` is fixed (swapped with a uniform
//!   position in `p..E`) the first time the walk reaches it, so an equal-weight draw of 7 among
//!   64 fixes 7 positions, not 64. The order is a uniform permutation either way.
//! - **Why `w_max` is re-taken at the start of every pass** (over the candidates not seated yet):
//!   the heaviest unseated candidate is then accepted with probability one on its visit, so every
//!   pass seats at least one member and a draw can never starve, however skewed the weights (one
//!   whale and 4,095 dust stakes fill 13 seats in at most 13 passes, with no deterministic
//!   fill-up that an adversary could aim at). Within a pass the acceptance odds of any two
//!   candidates stay in the ratio of their weights.
//!
//! # Bounded work
//!
//! With `E` eligible candidates and `n` seats a draw uses at most `E − 1` words for the shuffle
//! and at most `E − 1` words per pass for the coins (the heaviest unseated candidate accepts
//! without a word), over at most `n` passes: at most `(E − 1)(n + 1)` words, that is
//! [`max_hash_calls`] `= ⌈(E − 1)(n + 1) / 4⌉` BLAKE2b-256 calls, plus `O(E · n)` comparisons.
//! At `n = 13`: 221 hashes for 64 candidates, 14,333 for the 4,096 ([`MAX_CANDIDATES`]) a draw
//! accepts. Equal weights need only the shuffle: about `n / 4` hashes.
//!
//! # Fixed point
//!
//! `w_i = stake_i × parts(reputation_i)` is exact in `u128` while the largest stake is below
//! `2⁹⁸` (`10⁹ < 2³⁰`); above that (absurd balances) every stake is shifted right by the same
//! number of bits first, as the consensus math does. The acceptance test is
//! `r < ⌊w_i · 2⁶⁴ / w_max⌋` for a uniform 64-bit `r`, exact to `2⁻⁶⁴`.
//!
//! # Reputation unit: Perbill
//!
//! Reputation is a [`Perbill`] because the consensus math already outputs it as one (the pallet
//! passes it through without conversion), and `10⁹` parts resolve a reputation far below any
//! meaningful difference while keeping `stake × parts` inside `u128` for any realistic stake.

use alloc::vec::Vec;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, Perbill, Rounding};

use crate::seed::{audit_seed, Seed, Stream};

/// Default committee size (`f = 2`, quarantine at 5 votes).
pub const DEFAULT_COMMITTEE_SIZE: u8 = 7;
/// Governance may raise the size up to this (`f = 4`).
pub const MAX_COMMITTEE_SIZE: u8 = 13;
/// No committee is drawn below this (`f = 1`): fewer members cannot tolerate a single liar.
pub const MIN_COMMITTEE_SIZE: u8 = 4;
/// Most candidates one draw accepts (the uid space of a subnet); bounds the work of a draw.
pub const MAX_CANDIDATES: usize = 4096;

/// One in Perbill parts.
const PARTS: u128 = 1_000_000_000;
/// `w · 10⁹` stays below `2¹²⁸` when stakes are below `2^STAKE_BITS`.
const STAKE_BITS: u32 = 98;
/// `2⁶⁴`: the acceptance threshold of the heaviest candidate.
const ALWAYS: u128 = 1 << 64;

/// A committee's size `n` and fault tolerance `f = ⌊(n − 1) / 3⌋`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct CommitteeSize(u8);

impl CommitteeSize {
    /// A size in `MIN_COMMITTEE_SIZE..=MAX_COMMITTEE_SIZE`, else `None`.
    pub fn new(n: u8) -> Option<Self> {
        (MIN_COMMITTEE_SIZE..=MAX_COMMITTEE_SIZE)
            .contains(&n)
            .then_some(Self(n))
    }

    /// The size of the committee drawn when `requested` seats are asked for and `eligible`
    /// candidates can sit.
    ///
    /// `requested` is clamped to `4..=13`. If at least that many are eligible, that is the size.
    /// Otherwise the size steps down to the largest `3f + 1` that the eligible candidates fill
    /// (13 → 10 → 7 → 4), so the default 7 falls back to 4 as `shared/sentinels.md` says, and a
    /// governed 13 with 12 eligible keeps 10 rather than collapsing to 4. Fewer than 4 eligible:
    /// [`CommitteeError::NotEnoughEligible`] (only self-verifying evidence works then).
    pub fn for_eligible(requested: u8, eligible: usize) -> Result<Self, CommitteeError> {
        let n = requested.clamp(MIN_COMMITTEE_SIZE, MAX_COMMITTEE_SIZE);
        if eligible >= usize::from(n) {
            return Ok(Self(n));
        }
        // Here eligible < n ≤ 13, so it fits a u8.
        let eligible = u8::try_from(eligible).unwrap_or(0);
        if eligible < MIN_COMMITTEE_SIZE {
            return Err(CommitteeError::NotEnoughEligible);
        }
        let f = eligible.saturating_sub(1) / 3;
        Ok(Self(f.saturating_mul(3).saturating_add(1)))
    }

    /// `n`, the number of seats.
    pub fn n(self) -> u8 {
        self.0
    }

    /// `f = ⌊(n − 1) / 3⌋`, the liars the committee tolerates.
    pub fn f(self) -> u8 {
        self.0.saturating_sub(1) / 3
    }

    /// `2f + 1`: guilty votes that quarantine, and the seats an adversary needs to capture.
    pub fn threshold(self) -> u8 {
        self.f().saturating_mul(2).saturating_add(1)
    }

    /// `f + 1`: not-guilty votes that dismiss, dissent that makes a vote split, and the members
    /// overturned together that triple their slash.
    pub fn blocking(self) -> u8 {
        self.f().saturating_add(1)
    }
}

impl Default for CommitteeSize {
    fn default() -> Self {
        Self(DEFAULT_COMMITTEE_SIZE)
    }
}

/// One candidate for a seat, as the pallet sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The candidate's uid; the committee lists uids.
    pub uid: u16,
    /// Active stake (balance units).
    pub stake: u128,
    /// Reputation; the seat weight is `stake × reputation`, so zero reputation never sits.
    pub reputation: Perbill,
    /// Set by the pallet for quarantined validators and those sharing a coldkey with the
    /// accused: they never sit.
    pub excluded: bool,
}

/// A drawn committee.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct Committee {
    /// Its size and fault tolerance; `members.len() == size.n()`.
    pub size: CommitteeSize,
    /// The members' uids, ascending and distinct.
    pub members: Vec<u16>,
}

impl Committee {
    /// Whether `uid` holds a seat.
    pub fn contains(&self, uid: u16) -> bool {
        self.members.binary_search(&uid).is_ok()
    }
}

/// Why no committee was drawn.
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
pub enum CommitteeError {
    /// Fewer than [`MIN_COMMITTEE_SIZE`] candidates are eligible (not excluded, positive
    /// weight, and for an audit not on the sentinel committee).
    NotEnoughEligible,
    /// More than [`MAX_CANDIDATES`] candidates.
    TooManyCandidates,
    /// Two candidates share a uid.
    DuplicateUid,
}

impl core::fmt::Display for CommitteeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::NotEnoughEligible => "fewer than 4 eligible candidates",
            Self::TooManyCandidates => "more than 4096 candidates",
            Self::DuplicateUid => "two candidates share a uid",
        })
    }
}

/// Upper bound on the BLAKE2b-256 calls of one draw among `eligible` candidates for `n` seats:
/// `⌈(E − 1)(n + 1) / 4⌉` (see the module docs). The pallet charges its weight from this with
/// `E = MAX_CANDIDATES` (or its own bound on permit holders) and `n = MAX_COMMITTEE_SIZE`.
pub fn max_hash_calls(eligible: usize, n: u8) -> u32 {
    let words = (eligible as u64)
        .saturating_sub(1)
        .saturating_mul(u64::from(n).saturating_add(1));
    u32::try_from(words.div_ceil(4)).unwrap_or(u32::MAX)
}

/// Draws the sentinel committee from `candidates` with `seed` ([`crate::committee_seed`]).
///
/// `requested` seats (default [`DEFAULT_COMMITTEE_SIZE`]) are adjusted by
/// [`CommitteeSize::for_eligible`]. The result depends on the order of `candidates`; the pallet
/// passes them in uid order. Deterministic: the same inputs give the same committee.
pub fn draw_committee(
    candidates: &[Candidate],
    requested: u8,
    seed: &Seed,
) -> Result<Committee, CommitteeError> {
    draw(candidates, requested, seed, &[]).map(|(committee, _)| committee)
}

/// Draws the audit committee: disjoint from `sentinels`, from the domain-separated
/// [`crate::audit_seed`] of the sentinel committee's `seed` (pass the same seed as to
/// [`draw_committee`]; the separation is applied here).
pub fn draw_audit_committee(
    candidates: &[Candidate],
    sentinels: &Committee,
    requested: u8,
    seed: &Seed,
) -> Result<Committee, CommitteeError> {
    draw_audit_with_cost(candidates, sentinels, requested, seed).map(|(committee, _)| committee)
}

/// [`draw_audit_committee`] that also returns the hash calls used.
pub(crate) fn draw_audit_with_cost(
    candidates: &[Candidate],
    sentinels: &Committee,
    requested: u8,
    seed: &Seed,
) -> Result<(Committee, u32), CommitteeError> {
    let mut barred = sentinels.members.clone();
    barred.sort_unstable();
    draw(candidates, requested, &audit_seed(seed), &barred)
}

/// The draw, with the hash calls it used. `barred` (ascending uids) never sit.
pub(crate) fn draw(
    candidates: &[Candidate],
    requested: u8,
    seed: &Seed,
    barred: &[u16],
) -> Result<(Committee, u32), CommitteeError> {
    if candidates.len() > MAX_CANDIDATES {
        return Err(CommitteeError::TooManyCandidates);
    }
    let mut uids: Vec<u16> = candidates.iter().map(|c| c.uid).collect();
    uids.sort_unstable();
    if uids.windows(2).any(|w| w.first() == w.last()) {
        return Err(CommitteeError::DuplicateUid);
    }

    // Eligible candidates with their weights, in input order.
    let shift = stake_shift(candidates);
    let eligible: Vec<(u16, u128)> = candidates
        .iter()
        .filter(|c| !c.excluded && barred.binary_search(&c.uid).is_err())
        .map(|c| (c.uid, weight(c, shift)))
        .filter(|&(_, w)| w > 0)
        .collect();
    let size = CommitteeSize::for_eligible(requested, eligible.len())?;
    let seats = usize::from(size.n());

    let mut stream = Stream::new(seed);
    let len = eligible.len();
    // The lazily shuffled order (indices into `eligible`); positions below `fixed` are final.
    let mut order: Vec<usize> = (0..len).collect();
    let mut fixed = 0usize;
    let mut seated = alloc::vec![false; len];
    let mut members: Vec<u16> = Vec::with_capacity(seats);

    // Every pass seats at least the heaviest unseated candidate, so `seats` passes suffice.
    'passes: for _pass in 0..seats {
        let w_max = eligible
            .iter()
            .zip(&seated)
            .filter(|(_, &s)| !s)
            .map(|(&(_, w), _)| w)
            .max()
            .unwrap_or(0);
        for position in 0..len {
            if position >= fixed {
                // Fisher–Yates step: swap a uniform pick from position..len into place.
                let remaining = len.saturating_sub(position);
                if remaining > 1 {
                    let pick = usize::try_from(stream.below(remaining as u64))
                        .unwrap_or(0)
                        .saturating_add(position);
                    if pick < len {
                        order.swap(position, pick);
                    }
                }
                fixed = position.saturating_add(1);
            }
            let Some(&index) = order.get(position) else {
                continue;
            };
            let (Some(&(uid, w)), Some(seat)) = (eligible.get(index), seated.get_mut(index)) else {
                continue;
            };
            if *seat {
                continue;
            }
            let threshold =
                multiply_by_rational_with_rounding(w, ALWAYS, w_max, Rounding::Down).unwrap_or(0);
            let accept =
                threshold >= ALWAYS || (threshold > 0 && u128::from(stream.next_u64()) < threshold);
            if accept {
                *seat = true;
                members.push(uid);
                if members.len() >= seats {
                    break 'passes;
                }
            }
        }
    }
    members.sort_unstable();
    Ok((Committee { size, members }, stream.hashes()))
}

/// The common right shift that keeps every `stake · 10⁹` inside `u128`; 0 below `2⁹⁸`.
fn stake_shift(candidates: &[Candidate]) -> u32 {
    let max = candidates.iter().map(|c| c.stake).max().unwrap_or(0);
    let bits = u128::BITS.saturating_sub(max.leading_zeros());
    bits.saturating_sub(STAKE_BITS)
}

/// `(stake >> shift) × reputation parts`; exact, below `2¹²⁸`.
fn weight(c: &Candidate, shift: u32) -> u128 {
    let stake = c.stake.checked_shr(shift).unwrap_or(0);
    let rep = u128::from(c.reputation.deconstruct()).min(PARTS);
    stake.saturating_mul(rep)
}
