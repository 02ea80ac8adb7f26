//! Exact payout of an epoch's accrued emission.

use alloc::{vec, vec::Vec};

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{
    fixed::{bit_len, mul_div_floor, parts, PARTS},
    Perbill,
};

/// Owner / miners / validators split of an epoch's emission; must sum to 100%
/// ([`EmissionSplit::validate`]).
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
pub struct EmissionSplit {
    /// The subnet owner's cut.
    pub owner: Perbill,
    /// Paid to miners by rank.
    pub miners: Perbill,
    /// Paid to validators by dividend shares.
    pub validators: Perbill,
}

impl Default for EmissionSplit {
    /// 18% owner, 41% miners, 41% validators.
    fn default() -> Self {
        Self {
            owner: Perbill::from_percent(18),
            miners: Perbill::from_percent(41),
            validators: Perbill::from_percent(41),
        }
    }
}

/// Why an [`EmissionSplit`] is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// The three parts do not add up to exactly 100%.
    NotHundredPercent,
}

impl core::fmt::Display for SplitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotHundredPercent => f.write_str("emission split does not sum to 100%"),
        }
    }
}

impl EmissionSplit {
    /// Checks that owner + miners + validators is exactly 100%.
    pub fn validate(&self) -> Result<(), SplitError> {
        let sum = parts(self.owner)
            .saturating_add(parts(self.miners))
            .saturating_add(parts(self.validators));
        if sum == PARTS {
            Ok(())
        } else {
            Err(SplitError::NotHundredPercent)
        }
    }
}

/// One epoch's payout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payout {
    /// To the subnet owner.
    pub owner: u128,
    /// Per uid (same order as the `rank` passed in), by rank share.
    pub miners: Vec<u128>,
    /// Per validator (same order as the `dividend_shares` passed in), by dividend share.
    pub validators: Vec<u128>,
    /// Not paid this epoch: rounding dust and any pool nobody has a share of.
    pub carried: u128,
}

/// Splits `accrued` between the owner, the miners (by `rank`) and the validators (by
/// `dividend_shares`).
///
/// Exact: `owner + Σ miners + Σ validators + carried == accrued`, always. Each cut is
/// `⌊accrued · part⌋` (rounded down; the at most 2 units of dust are carried). A pool whose shares
/// are all zero (no miner has rank, no validator has dividends) is carried over, not paid. An
/// invalid split is still paid out safely: cuts are taken in the order owner, miners,
/// validators, each capped by what is left.
pub fn split_emission(
    accrued: u128,
    split: &EmissionSplit,
    rank: &[u128],
    dividend_shares: &[u128],
) -> Payout {
    let mut left = accrued;
    let mut cut = |p: Perbill| {
        let x = mul_div_floor(accrued, parts(p), PARTS).min(left);
        left = left.saturating_sub(x);
        x
    };
    let owner = cut(split.owner);
    let miners_pool = cut(split.miners);
    let validators_pool = cut(split.validators);

    let miners = pro_rata(miners_pool, rank);
    let validators = pro_rata(validators_pool, dividend_shares);
    // pro_rata pays a pool in full or not at all, so these differences are 0 or the whole pool.
    let unpaid = |pool: u128, paid: &[u128]| {
        pool.saturating_sub(paid.iter().fold(0u128, |a, &x| a.saturating_add(x)))
    };
    let carried = left
        .saturating_add(unpaid(miners_pool, &miners))
        .saturating_add(unpaid(validators_pool, &validators));
    Payout {
        owner,
        miners,
        validators,
        carried,
    }
}

/// Splits `amount` pro rata by `shares`, exactly, by largest remainder.
///
/// Each entry gets `⌊amount · share / Σ shares⌋`; the units this leaves over (fewer than the
/// number of shares) go one each to the entries with the largest remainders, ties to the larger
/// share, then to the lower index. So `Σ result == amount` when `Σ shares > 0`, else all entries
/// are zero; every entry is within one unit of its exact share, and a larger share is never paid
/// less than a smaller one. If `Σ shares` overflows `u128` (absurd shares), every share is first
/// shifted right by `⌈log₂(len + 1)⌉` bits so the sum fits (the bounds then hold for the shifted
/// shares).
pub fn pro_rata(amount: u128, shares: &[u128]) -> Vec<u128> {
    let mut out = vec![0u128; shares.len()];
    let sum = |shift: u32| {
        shares.iter().try_fold(0u128, |acc, &s| {
            acc.checked_add(s.checked_shr(shift).unwrap_or(0))
        })
    };
    let (shift, total) = match sum(0) {
        Some(total) => (0, total),
        None => {
            // Each shifted share is < 2¹²⁸ / 2^shift ≤ 2¹²⁸ / (len + 1), so the sum fits.
            let shift = bit_len(u128::try_from(shares.len()).unwrap_or(u128::MAX));
            (shift, sum(shift).unwrap_or(0))
        }
    };
    if total == 0 {
        return out;
    }

    let mut paid = 0u128;
    let mut remainders: Vec<(u128, u128, usize)> = Vec::new();
    for (i, (&share, slot)) in shares.iter().zip(out.iter_mut()).enumerate() {
        let shifted = share.checked_shr(shift).unwrap_or(0);
        // shifted ≤ total, so the quotient is ≤ amount.
        let q = mul_div_floor(amount, shifted, total);
        // The true remainder amount · shifted − q · total lies in [0, total), so computing it
        // modulo 2¹²⁸ gives it exactly.
        let r = amount
            .wrapping_mul(shifted)
            .wrapping_sub(q.wrapping_mul(total));
        *slot = q;
        paid = paid.saturating_add(q);
        if r > 0 {
            remainders.push((r, share, i));
        }
    }

    // The leftover equals Σ r / total, an integer below the number of non-zero remainders.
    let mut left = amount.saturating_sub(paid);
    // Ties go to the larger original share (shifting can make unequal shares equal), then to
    // the lower index, so a larger share is never paid less than a smaller one.
    remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    for &(_, _, i) in &remainders {
        if left == 0 {
            break;
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = slot.saturating_add(1);
            left = left.saturating_sub(1);
        }
    }
    if left > 0 {
        // Unreachable by the argument above; kept so the sum stays exact regardless.
        let largest = shares
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i);
        if let Some(slot) = largest.and_then(|i| out.get_mut(i)) {
            *slot = slot.saturating_add(left);
        }
    }
    out
}
