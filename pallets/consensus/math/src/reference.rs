//! The dense `O(n²)` reference epoch: a test oracle and benchmark baseline.
//!
//! Written the straightforward way, independently of the sparse path: weights and bonds are
//! `n × n` matrices indexed by uid (validator `k`'s row is its `uid`), consensus is found by
//! trying every submitted value of a column against a full scan of that column, and every other
//! step is a loop over the whole matrix. The fixed-point semantics are the ones in the
//! [crate docs](crate), so [`run_epoch_dense`] returns exactly what [`run_epoch`](crate::run_epoch)
//! returns.
//!
//! Memory: two `u32` and one `u64` `n × n` matrix (256 MiB at `n = 4096`).

// A test oracle, never in the runtime: plain indexing and arithmetic keep it close to the
// maths. Every product is bounded as in the sparse path; if one ever overflows or an index is
// out of range, the panic fails the test that found it.
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use alloc::{vec, vec::Vec};

use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, Perbill, Rounding};

use crate::{EpochInput, EpochOutput};

const ONE: u128 = 1_000_000_000;

/// `⌊a · b / c⌋` through the 256-bit helper (0 when `c == 0`).
fn floor_ratio(a: u128, b: u128, c: u128) -> u128 {
    if c == 0 {
        0
    } else {
        multiply_by_rational_with_rounding(a, b, c, Rounding::Down).unwrap_or(u128::MAX)
    }
}

fn bits(x: u128) -> u32 {
    let mut b = 0;
    while b < 128 && (x >> b) != 0 {
        b += 1;
    }
    b
}

fn pb(x: u128) -> Perbill {
    Perbill::from_parts(x.min(ONE) as u32)
}

/// Writes a sparse row into a dense one, keeping only in-range entries strictly after the last
/// kept one (the crate's rule for unsorted or duplicate input).
fn densify<T: Copy + Into<u64>>(row: &[(u16, T)], n: usize, out: &mut [u64]) {
    let mut last: i64 = -1;
    for &(uid, x) in row {
        let j = uid as usize;
        if j < n && (j as i64) > last {
            out[j] = x.into();
            last = j as i64;
        }
    }
}

/// The epoch, computed densely. `None` unless the validators' uids are distinct and `< n` (each
/// needs its own matrix row).
pub fn run_epoch_dense(input: &EpochInput) -> Option<EpochOutput> {
    let n = input.n as usize;
    let vals = input.validators;
    let mut row_taken = vec![false; n];
    for v in vals {
        let r = v.uid as usize;
        if r >= n || row_taken[r] {
            return None;
        }
        row_taken[r] = true;
    }

    // Effective stake by uid row.
    let positive: Vec<u128> = vals.iter().map(|v| v.stake).filter(|&s| s > 0).collect();
    let max = positive.iter().copied().max().unwrap_or(0);
    let shift = (bits(max) + bits(positive.len() as u128)).saturating_sub(98);
    let mut stake = vec![0u128; n];
    for v in vals {
        stake[v.uid as usize] = if shift >= 128 { 0 } else { v.stake >> shift };
    }
    let total: u128 = stake.iter().sum();

    // Dense weights, row-normalised in place.
    let mut w = vec![0u32; n * n];
    let mut scratch = vec![0u64; n];
    for v in vals {
        let r = v.uid as usize;
        scratch.iter_mut().for_each(|x| *x = 0);
        densify(v.weights, n, &mut scratch);
        let sum: u64 = scratch.iter().sum();
        for j in 0..n {
            w[r * n + j] = if sum == 0 {
                0
            } else {
                floor_ratio(scratch[j] as u128, ONE, sum as u128) as u32
            };
        }
    }

    // Consensus by definition: the largest submitted weight whose stake-above passes kappa.
    let kappa = (input.params.kappa.deconstruct() as u128).min(ONE);
    let mut consensus = vec![0u32; n];
    for j in 0..n {
        let mut best = 0u32;
        for i in 0..n {
            let c = w[i * n + j];
            if stake[i] == 0 || c <= best {
                continue;
            }
            let mut above = 0u128;
            for k in 0..n {
                if stake[k] > 0 && w[k * n + j] >= c {
                    above += stake[k];
                }
            }
            if above * ONE >= kappa * total {
                best = c;
            }
        }
        consensus[j] = best;
    }

    let mut rank = vec![0u128; n];
    let mut unclipped = vec![0u128; n];
    for i in 0..n {
        for j in 0..n {
            let x = w[i * n + j] as u128;
            rank[j] += stake[i] * x.min(consensus[j] as u128);
            unclipped[j] += stake[i] * x;
        }
    }
    let rank_total: u128 = rank.iter().sum();
    let incentive: Vec<u128> = rank
        .iter()
        .map(|&r| floor_ratio(r, ONE, rank_total))
        .collect();
    let trust: Vec<Perbill> = (0..n)
        .map(|j| pb(floor_ratio(rank[j], ONE, unclipped[j])))
        .collect();

    // Bonds: dense previous bonds, EMA numerators, then column-normalised in place of `old`.
    let alpha = (input.params.bonds_alpha.deconstruct() as u128).min(ONE);
    let mut old = vec![0u32; n * n];
    for v in vals {
        let r = v.uid as usize;
        scratch.iter_mut().for_each(|x| *x = 0);
        densify(v.bonds, n, &mut scratch);
        for j in 0..n {
            old[r * n + j] = scratch[j].min(ONE as u64) as u32;
        }
    }
    let mut ema = vec![0u64; n * n];
    let mut column = vec![0u128; n];
    for i in 0..n {
        if stake[i] == 0 {
            continue;
        }
        for j in 0..n {
            let clipped = (w[i * n + j] as u128).min(consensus[j] as u128);
            let delta = floor_ratio(stake[i] * clipped, ONE, rank[j]);
            let e = alpha * delta + (ONE - alpha) * old[i * n + j] as u128;
            ema[i * n + j] = e as u64;
            column[j] += e;
        }
    }
    let floor = (input.params.bond_floor as u128).max(1);
    let new_bonds = &mut old;
    for i in 0..n {
        for j in 0..n {
            let b = floor_ratio(ema[i * n + j] as u128, ONE, column[j]);
            new_bonds[i * n + j] = if b >= floor { b as u32 } else { 0 };
        }
    }

    let mut out = EpochOutput {
        consensus: consensus.iter().map(|&c| pb(c as u128)).collect(),
        incentive: incentive.iter().map(|&i| pb(i)).collect(),
        trust,
        rank: rank.clone(),
        ..Default::default()
    };
    for v in vals {
        let r = v.uid as usize;
        let vt: u128 = (0..n)
            .map(|j| (w[r * n + j].min(consensus[j])) as u128)
            .sum();
        out.validator_trust.push(pb(vt));
        let row: Vec<(u16, u32)> = (0..n)
            .filter(|&j| new_bonds[r * n + j] > 0)
            .map(|j| (j as u16, new_bonds[r * n + j]))
            .collect();
        let d: u128 = row
            .iter()
            .map(|&(j, b)| b as u128 * incentive[j as usize])
            .sum();
        out.dividend_shares.push(d);
        out.bonds.push(row);
    }
    let dividend_total: u128 = out.dividend_shares.iter().sum();
    out.dividends = out
        .dividend_shares
        .iter()
        .map(|&d| pb(floor_ratio(d, ONE, dividend_total)))
        .collect();

    // Standing by uid: the consensus it received, or, for a validator with stake, its
    // validator trust (its matrix row) if that is larger.
    let mut standing: Vec<u128> = consensus.iter().map(|&c| c as u128).collect();
    for (v, vt) in vals.iter().zip(&out.validator_trust) {
        let r = v.uid as usize;
        if stake[r] > 0 {
            standing[r] = standing[r].max(vt.deconstruct() as u128);
        }
    }
    let rep_alpha = (input.params.reputation_alpha.deconstruct() as u128).min(ONE);
    out.reputation = (0..n)
        .map(|j| {
            let old = input
                .reputation
                .get(j)
                .map_or(0, |p| (p.deconstruct() as u128).min(ONE));
            pb((rep_alpha * standing[j] + (ONE - rep_alpha) * old) / ONE)
        })
        .collect();
    Some(out)
}
