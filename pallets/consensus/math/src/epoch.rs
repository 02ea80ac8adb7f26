//! The sparse epoch: `O(nnz · log v + n + bonds_nnz)`.

use alloc::{vec, vec::Vec};

use crate::{
    fixed::{mul_div_floor, parts, perbill, sanitised, stake_shift, PARTS},
    EpochInput, EpochOutput, Perbill, ValidatorInput,
};

/// One weight in a uid's column: `(normalised weight, validator index)`.
type Cell = (u32, u32);

/// Runs one epoch; see the [crate docs](crate) for the definitions and rounding.
///
/// Never panics. Every per-uid output has length `input.n` and every per-validator output has
/// `input.validators.len()` entries, in input order.
pub fn run_epoch(input: &EpochInput) -> EpochOutput {
    let n = usize::from(input.n);
    let validators = input.validators;
    let params = &input.params;

    let shift = stake_shift(validators.iter().map(|v| v.stake));
    let stake: Vec<u128> = validators
        .iter()
        .enumerate()
        // Column cells index validators by u32; a slice longer than that cannot exist in a
        // runtime, and treating the excess as stakeless keeps the function total.
        .map(|(i, v)| {
            if u32::try_from(i).is_ok() {
                v.stake.checked_shr(shift).unwrap_or(0)
            } else {
                0
            }
        })
        .collect();
    let total_stake = stake.iter().fold(0u128, |acc, &s| acc.saturating_add(s));

    // Normalised for every validator: zero-stake ones still get their own validator trust.
    let rows: Vec<Vec<(u16, u32)>> = validators
        .iter()
        .map(|v| normalised_row(v.weights, input.n))
        .collect();

    // Counting sort of the stake-holders' weights into per-uid columns: O(nnz + n).
    let mut counts = vec![0usize; n];
    for (row, _) in rows.iter().zip(&stake).filter(|(_, &s)| s > 0) {
        for &(uid, _) in row {
            if let Some(c) = counts.get_mut(usize::from(uid)) {
                *c = c.saturating_add(1);
            }
        }
    }
    let mut next = Vec::with_capacity(n);
    let mut nnz = 0usize;
    for &c in &counts {
        next.push(nnz);
        nnz = nnz.saturating_add(c);
    }
    let mut cells: Vec<Cell> = vec![(0, 0); nnz];
    for (i, (row, _)) in rows
        .iter()
        .zip(&stake)
        .enumerate()
        .filter(|(_, (_, &s))| s > 0)
    {
        let idx = u32::try_from(i).unwrap_or(u32::MAX);
        for &(uid, w) in row {
            if let Some(pos) = next.get_mut(usize::from(uid)) {
                if let Some(cell) = cells.get_mut(*pos) {
                    *cell = (w, idx);
                }
                *pos = pos.saturating_add(1);
            }
        }
    }

    // Per column: sort by weight (O(k log k), k ≤ v), then consensus, rank and unclipped rank.
    // Both sides of the kappa test are below 2¹²⁸ (effective total stake < 2⁹⁸), so it is exact.
    let threshold = parts(params.kappa).saturating_mul(total_stake);
    let stake_of = |idx: u32| {
        usize::try_from(idx)
            .ok()
            .and_then(|i| stake.get(i))
            .copied()
            .unwrap_or(0)
    };
    let mut consensus = vec![0u32; n];
    let mut rank = vec![0u128; n];
    let mut unclipped = vec![0u128; n];
    let mut rest: &mut [Cell] = &mut cells;
    for (j, &count) in counts.iter().enumerate() {
        let Some((column, tail)) = core::mem::take(&mut rest).split_at_mut_checked(count) else {
            break;
        };
        rest = tail;
        column.sort_unstable_by_key(|cell| core::cmp::Reverse(cell.0));
        // Testing after every cell (not every group of equal weights) gives the same answer:
        // the first passing cell's weight w has stake{≥ w} ≥ the running sum, and every larger
        // weight was tested with all of stake{≥ it} already summed.
        let mut above = 0u128;
        let mut c_j = 0u32;
        for &(w, idx) in column.iter() {
            above = above.saturating_add(stake_of(idx));
            if above.saturating_mul(PARTS) >= threshold {
                c_j = w;
                break;
            }
        }
        let (mut r_j, mut u_j) = (0u128, 0u128);
        for &(w, idx) in column.iter() {
            let s = stake_of(idx);
            // s < 2⁹⁸ and w ≤ 10⁹, and the sums are bounded by total_stake · 10⁹ < 2¹²⁸.
            r_j = r_j.saturating_add(s.saturating_mul(u128::from(w.min(c_j))));
            u_j = u_j.saturating_add(s.saturating_mul(u128::from(w)));
        }
        if let (Some(c), Some(r), Some(u)) =
            (consensus.get_mut(j), rank.get_mut(j), unclipped.get_mut(j))
        {
            (*c, *r, *u) = (c_j, r_j, u_j);
        }
    }
    let consensus_of = |uid: u16| consensus.get(usize::from(uid)).copied().unwrap_or(0);
    let rank_of = |uid: u16| rank.get(usize::from(uid)).copied().unwrap_or(0);

    let rank_total = rank.iter().fold(0u128, |acc, &r| acc.saturating_add(r));
    let incentive_parts: Vec<u128> = rank
        .iter()
        .map(|&r| mul_div_floor(r, PARTS, rank_total))
        .collect();
    let trust = rank
        .iter()
        .zip(&unclipped)
        .map(|(&r, &u)| perbill(mul_div_floor(r, PARTS, u)))
        .collect();

    let validator_trust: Vec<Perbill> = rows
        .iter()
        .map(|row| {
            perbill(row.iter().fold(0u128, |acc, &(uid, w)| {
                acc.saturating_add(u128::from(w.min(consensus_of(uid))))
            }))
        })
        .collect();

    // Bond EMA numerators, in parts² (≤ 10¹⁸ each), merged sparsely with the previous bonds.
    let alpha = parts(params.bonds_alpha);
    let keep_old = PARTS.saturating_sub(alpha);
    let mut column_total = vec![0u128; n];
    let ema_rows: Vec<Vec<(u16, u128)>> = validators
        .iter()
        .zip(&rows)
        .zip(&stake)
        .map(|((v, row), &s)| {
            if s == 0 {
                return Vec::new();
            }
            let delta = |uid: u16, w: u32| {
                let clipped = u128::from(w.min(consensus_of(uid)));
                mul_div_floor(s.saturating_mul(clipped), PARTS, rank_of(uid))
            };
            let ema = merge_ema(row, v, input.n, delta, alpha, keep_old);
            for &(uid, e) in &ema {
                if let Some(t) = column_total.get_mut(usize::from(uid)) {
                    *t = t.saturating_add(e);
                }
            }
            ema
        })
        .collect();

    let floor = u128::from(params.bond_floor).max(1);
    let bonds: Vec<Vec<(u16, u32)>> = ema_rows
        .iter()
        .map(|ema| {
            ema.iter()
                .filter_map(|&(uid, e)| {
                    let total = column_total.get(usize::from(uid)).copied().unwrap_or(0);
                    let b = mul_div_floor(e, PARTS, total);
                    (b >= floor).then(|| (uid, u32::try_from(b).unwrap_or(u32::MAX)))
                })
                .collect()
        })
        .collect();

    // Bonds ≤ 10⁹ and incentives ≤ 10⁹ with Σ I ≤ 10⁹, so each share is ≤ 10¹⁸.
    let dividend_shares: Vec<u128> = bonds
        .iter()
        .map(|row| {
            row.iter().fold(0u128, |acc, &(uid, b)| {
                let i = incentive_parts.get(usize::from(uid)).copied().unwrap_or(0);
                acc.saturating_add(u128::from(b).saturating_mul(i))
            })
        })
        .collect();
    let dividend_total = dividend_shares
        .iter()
        .fold(0u128, |acc, &d| acc.saturating_add(d));
    let dividends = dividend_shares
        .iter()
        .map(|&d| perbill(mul_div_floor(d, PARTS, dividend_total)))
        .collect();

    // Reputation measures a uid in the role it plays: the consensus it receives as a miner, its
    // validator trust as a validator (its row, matched to its `uid`), whichever is larger.
    // Validators weigh only miners, so by consensus alone a validator would never earn any.
    // Only validators with stake count: a zero-stake (inactive or quarantined) one steers
    // nothing and earns nothing, reputation included.
    let mut standing: Vec<u128> = consensus.iter().map(|&c| u128::from(c)).collect();
    for ((v, vt), _) in validators
        .iter()
        .zip(&validator_trust)
        .zip(&stake)
        .filter(|(_, &s)| s > 0)
    {
        if let Some(x) = standing.get_mut(usize::from(v.uid)) {
            *x = (*x).max(parts(*vt));
        }
    }
    let rep_alpha = parts(params.reputation_alpha);
    let rep_keep = PARTS.saturating_sub(rep_alpha);
    let reputation = standing
        .iter()
        .enumerate()
        .map(|(j, &c)| {
            let old = input.reputation.get(j).copied().map(parts).unwrap_or(0);
            let mixed = rep_alpha
                .saturating_mul(c)
                .saturating_add(rep_keep.saturating_mul(old));
            perbill(mixed.checked_div(PARTS).unwrap_or(0))
        })
        .collect();

    EpochOutput {
        consensus: consensus.iter().map(|&c| perbill(u128::from(c))).collect(),
        incentive: incentive_parts.into_iter().map(perbill).collect(),
        trust,
        rank,
        validator_trust,
        dividends,
        dividend_shares,
        bonds,
        reputation,
    }
}

/// A weight row as `(uid, ⌊raw · 10⁹ / Σ raw⌋)`, sorted, without zero entries.
///
/// Rounds down, so the row sums to at most 10⁹ parts. A row of `u16`s with distinct `u16` uids
/// sums to less than 2³², so the `u64` total cannot overflow.
fn normalised_row(weights: &[(u16, u16)], n: u16) -> Vec<(u16, u32)> {
    let total = sanitised(weights, n).fold(0u64, |acc, (_, w)| acc.saturating_add(u64::from(w)));
    if total == 0 {
        return Vec::new();
    }
    // raw · 10⁹ < 2⁴⁶: plain u64 division, the hot loop of the epoch.
    sanitised(weights, n)
        .filter_map(|(uid, raw)| {
            let w = u64::from(raw)
                .saturating_mul(1_000_000_000)
                .checked_div(total)
                .unwrap_or(0);
            (w > 0).then(|| (uid, u32::try_from(w).unwrap_or(u32::MAX)))
        })
        .collect()
}

/// Merges a validator's clipped weights (as `delta(uid, w)`, its bond increment) with its
/// previous bonds into EMA numerators `alpha · ΔB + (1 − alpha) · B` (parts², exact), sorted by
/// uid, without zeros. Linear in the two rows.
fn merge_ema(
    row: &[(u16, u32)],
    v: &ValidatorInput,
    n: u16,
    delta: impl Fn(u16, u32) -> u128,
    alpha: u128,
    keep_old: u128,
) -> Vec<(u16, u128)> {
    let mut weights = row.iter().copied().peekable();
    let mut old = sanitised(v.bonds, n).peekable();
    let mut out = Vec::with_capacity(row.len().max(v.bonds.len()));
    loop {
        let (uid, d, b) = match (weights.peek().copied(), old.peek().copied()) {
            (None, None) => break,
            (Some((wu, w)), Some((bu, b))) if wu == bu => {
                weights.next();
                old.next();
                (wu, delta(wu, w), b)
            }
            (Some((wu, w)), Some((bu, _))) if wu < bu => {
                weights.next();
                (wu, delta(wu, w), 0)
            }
            (Some((wu, w)), None) => {
                weights.next();
                (wu, delta(wu, w), 0)
            }
            (_, Some((bu, b))) => {
                old.next();
                (bu, 0, b)
            }
        };
        let b = u128::from(b).min(PARTS);
        let e = alpha
            .saturating_mul(d)
            .saturating_add(keep_old.saturating_mul(b));
        if e > 0 {
            out.push((uid, e));
        }
    }
    out
}
