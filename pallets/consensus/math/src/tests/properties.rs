//! Property tests: the dense oracle, Yuma's guarantees, exact payouts, no panics.

use proptest::{collection::vec as pvec, prelude::*};
use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};

use super::*;
use crate::{pro_rata, split_emission, EmissionSplit};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// Honest validators (at least one) and a stake minority of adversaries, with honest stake
/// topped up so that it is strictly more than half; stakes stay below 2⁶⁴ so the effective
/// stake equals the raw stake.
fn honest_majority(
    n: u16,
    adversary_row: BoxedStrategy<Vec<(u16, u16)>>,
) -> impl Strategy<Value = (Vec<Validator>, usize)> {
    let honest = pvec((1u128..=u128::from(u64::MAX), weight_row(n, false)), 1..=5);
    let adversaries = pvec((1u128..=u128::from(u64::MAX), adversary_row), 0..=5);
    (honest, adversaries, weight_row(n, false)).prop_map(|(honest, adversaries, top_up_row)| {
        let h: u128 = honest.iter().map(|v| v.0).sum();
        let a: u128 = adversaries.iter().map(|v| v.0).sum();
        let mut validators: Vec<Validator> = honest
            .into_iter()
            .map(|(stake, weights)| Validator {
                uid: 0,
                stake,
                weights,
                bonds: Vec::new(),
            })
            .collect();
        if h <= a {
            validators.push(Validator {
                uid: 0,
                stake: a - h + 1,
                weights: top_up_row,
                bonds: Vec::new(),
            });
        }
        let honest_count = validators.len();
        validators.extend(adversaries.into_iter().map(|(stake, weights)| Validator {
            uid: 0,
            stake,
            weights,
            bonds: Vec::new(),
        }));
        (validators, honest_count)
    })
}

/// Adversarial rows: random, everything on one uid, or nothing.
fn adversary_row(n: u16) -> BoxedStrategy<Vec<(u16, u16)>> {
    prop_oneof![
        weight_row(n, false),
        (0..n).prop_map(|t| vec![(t, u16::MAX)]),
        Just(Vec::new()),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config())]

    /// The sparse epoch equals the dense O(n²) oracle bit for bit, garbage rows included.
    #[test]
    fn sparse_equals_dense(epoch in epoch(24, 8, true)) {
        let sparse = epoch.run();
        let dense = epoch.run_dense().expect("distinct in-range validator uids");
        prop_assert_eq!(sparse, dense);
    }

    /// Output shapes and the documented rounding bounds.
    #[test]
    fn outputs_are_well_formed(epoch in epoch(24, 8, true)) {
        let out = epoch.run();
        let n = usize::from(epoch.n);
        let v = epoch.validators.len();
        let per_uid = [
            out.consensus.len(),
            out.incentive.len(),
            out.trust.len(),
            out.rank.len(),
            out.reputation.len(),
        ];
        for len in per_uid {
            prop_assert_eq!(len, n);
        }
        let per_validator = [
            out.validator_trust.len(),
            out.dividends.len(),
            out.dividend_shares.len(),
            out.bonds.len(),
        ];
        for len in per_validator {
            prop_assert_eq!(len, v);
        }
        // Each vector is all zero or sums to (10⁹ − m, 10⁹] parts, m = its non-zero raw inputs.
        let sum_bound = |xs: &[Perbill], raw: &[u128]| -> Result<(), TestCaseError> {
            let sum: u64 = xs.iter().map(|x| u64::from(x.deconstruct())).sum();
            let m = raw.iter().filter(|&&r| r > 0).count() as u64;
            if m == 0 {
                prop_assert_eq!(sum, 0);
            } else {
                prop_assert!(sum <= u64::from(ONE), "sum {}", sum);
                prop_assert!(sum + m > u64::from(ONE), "sum {} m {}", sum, m);
            }
            Ok(())
        };
        sum_bound(&out.incentive, &out.rank)?;
        sum_bound(&out.dividends, &out.dividend_shares)?;
        let floor = epoch.params.bond_floor.max(1);
        let mut column = vec![0u64; n];
        for row in &out.bonds {
            prop_assert!(row.windows(2).all(|w| w[0].0 < w[1].0));
            for &(uid, b) in row {
                prop_assert!(b >= floor && b <= ONE);
                column[usize::from(uid)] += u64::from(b);
            }
        }
        prop_assert!(column.iter().all(|&c| c <= u64::from(ONE)));
        for (j, c) in out.consensus.iter().enumerate() {
            // Consensus is one of the submitted normalised weights (or zero).
            let submitted = epoch.validators.iter().any(|val| {
                let row = normalised_dense(&sanitised(&val.weights, epoch.n), epoch.n);
                val.stake > 0 && row[j] == c.deconstruct()
            });
            prop_assert!(c.is_zero() || submitted);
        }
    }

    /// (a) A stake minority cannot push any uid's consensus above the largest honest weight on
    /// it, nor below the smallest (kappa 50%, honest stake > 50%).
    #[test]
    fn minority_cannot_move_consensus(
        (n, (validators, honest)) in (1u16..=16)
            .prop_flat_map(|n| (Just(n), honest_majority(n, adversary_row(n))))
    ) {
        let epoch = Epoch::new(n, validators);
        let out = epoch.run();
        let rows: Vec<Vec<u32>> =
            epoch.validators[..honest].iter().map(|v| normalised_dense(&v.weights, n)).collect();
        for j in 0..usize::from(n) {
            let max = rows.iter().map(|r| r[j]).max().unwrap();
            let min = rows.iter().map(|r| r[j]).min().unwrap();
            let c = out.consensus[j].deconstruct();
            prop_assert!(
                min <= c && c <= max,
                "uid {}: consensus {} outside honest [{}, {}]", j, c, min, max
            );
        }
    }

    /// (b) A uid no honest validator weights gets no rank and no incentive, however hard the
    /// minority pushes it.
    #[test]
    fn unweighted_miner_gets_nothing(
        (n, target, (mut validators, honest)) in (2u16..=16).prop_flat_map(|n| {
            (Just(n), 0..n, honest_majority(n, weight_row(n, false).boxed()))
        })
    ) {
        for v in &mut validators[..honest] {
            v.weights.retain(|e| e.0 != target);
        }
        for v in &mut validators[honest..] {
            v.weights.retain(|e| e.0 != target);
            v.weights.push((target, u16::MAX));
            v.weights.sort_by_key(|e| e.0);
        }
        let out = Epoch::new(n, validators).run();
        let t = usize::from(target);
        prop_assert!(out.consensus[t].is_zero());
        prop_assert_eq!(out.rank[t], 0);
        prop_assert!(out.incentive[t].is_zero());
    }

    /// (c) A validator that copies last epoch's public consensus earns strictly less dividend
    /// per unit stake than every honest validator, every epoch, while true quality changes.
    #[test]
    fn copier_earns_less_per_stake(
        honest_stakes in pvec(1u128..=1_000, 1..=4),
        copier_percent in 1u128..=99,
        qualities in pvec(pvec(0u16..=100, 6), 6),
    ) {
        let n = 6u16;
        for pair in qualities.windows(2) {
            // Quality must change by more than rounding between epochs (L1 ≥ 0.1%).
            let a = normalised_dense(&dense_row(&pair[0]), n);
            let b = normalised_dense(&dense_row(&pair[1]), n);
            let l1: u64 = a.iter().zip(&b).map(|(&x, &y)| u64::from(x.abs_diff(y))).sum();
            prop_assume!(l1 >= 1_000_000);
        }
        prop_assume!(qualities.iter().all(|q| q.iter().any(|&x| x > 0)));

        let honest_total: u128 = honest_stakes.iter().sum();
        let copier_stake = (honest_total * copier_percent / 100).max(1);
        prop_assume!(copier_stake < honest_total);
        let h = honest_stakes.len();
        let mut bonds: Vec<Vec<(u16, u32)>> = vec![Vec::new(); h + 1];
        let mut reputation = Vec::new();
        let mut last_consensus: Option<Vec<Perbill>> = None;
        for (e, quality) in qualities.iter().enumerate() {
            let honest_row = dense_row(quality);
            let copier_row = last_consensus.as_deref().map(copy_of).unwrap_or_default();
            let mut validators: Vec<Validator> = honest_stakes
                .iter()
                .zip(&bonds)
                .enumerate()
                .map(|(i, (&stake, b))| Validator::new(i as u16, stake, &honest_row).with_bonds(b))
                .collect();
            let copier = Validator::new(h as u16, copier_stake, &copier_row).with_bonds(&bonds[h]);
            validators.push(copier);
            let mut epoch = Epoch::new(n, validators);
            epoch.reputation = reputation;
            let out = epoch.run();

            let copier = out.dividend_shares[h];
            for (i, &stake) in honest_stakes.iter().enumerate() {
                // copier / copier_stake < honest / stake, cross-multiplied (shares ≤ 10¹⁸).
                prop_assert!(
                    copier * stake < out.dividend_shares[i] * copier_stake,
                    "epoch {}: copier {} (stake {}) vs honest {} (stake {})",
                    e, copier, copier_stake, out.dividend_shares[i], stake
                );
            }
            bonds = out.bonds;
            reputation = out.reputation;
            last_consensus = Some(out.consensus);
        }
    }

    /// (d) Zero-stake validators, with any weights and bonds, anywhere in the list, change no
    /// other output.
    #[test]
    fn zero_stake_validators_change_nothing(
        (base, extra) in epoch(24, 8, true).prop_flat_map(|e| {
            let n = e.n;
            let extra = pvec(
                (any::<usize>(), any::<u16>(), weight_row(n, true), bond_row(n, true)),
                1..=4,
            );
            (Just(e), extra)
        })
    ) {
        let before = base.run();
        let mut with = base.clone();
        let mut origin: Vec<Option<usize>> = (0..base.validators.len()).map(Some).collect();
        for (pos, uid, weights, bonds) in extra {
            let at = pos % (with.validators.len() + 1);
            with.validators.insert(at, Validator { uid, stake: 0, weights, bonds });
            origin.insert(at, None);
        }
        let after = with.run();
        prop_assert_eq!(&after.consensus, &before.consensus);
        prop_assert_eq!(&after.incentive, &before.incentive);
        prop_assert_eq!(&after.trust, &before.trust);
        prop_assert_eq!(&after.rank, &before.rank);
        prop_assert_eq!(&after.reputation, &before.reputation);
        for (k, o) in origin.iter().enumerate() {
            match *o {
                Some(i) => {
                    prop_assert_eq!(after.validator_trust[k], before.validator_trust[i]);
                    prop_assert_eq!(after.dividends[k], before.dividends[i]);
                    prop_assert_eq!(after.dividend_shares[k], before.dividend_shares[i]);
                    prop_assert_eq!(&after.bonds[k], &before.bonds[i]);
                }
                None => {
                    prop_assert!(after.dividends[k].is_zero());
                    prop_assert_eq!(after.dividend_shares[k], 0);
                    prop_assert!(after.bonds[k].is_empty());
                }
            }
        }
    }

    /// (d′) A uid that is not a staked validator (a miner) keeps the reputation of consensus
    /// alone, `⌊alpha · C + (1 − alpha) · rep⌋`; a staked validator's is at least that, and at
    /// least what its validator trust alone would give.
    #[test]
    fn reputation_is_consensus_or_validator_trust(epoch in epoch(24, 8, true)) {
        let out = epoch.run();
        let alpha = u128::from(epoch.params.reputation_alpha.deconstruct());
        let average = |j: usize, x: u128| {
            let old = epoch
                .reputation
                .get(j)
                .map_or(0, |p| u128::from(p.deconstruct()).min(u128::from(ONE)));
            ((alpha * x + (u128::from(ONE) - alpha) * old) / u128::from(ONE)) as u32
        };
        // Effective stake, as the crate docs define it: huge stakes are shifted right together.
        let bits = |x: u128| 128 - x.leading_zeros();
        let positive = epoch.validators.iter().filter(|v| v.stake > 0).count() as u128;
        let max = epoch.validators.iter().map(|v| v.stake).max().unwrap_or(0);
        let shift = (bits(max) + bits(positive)).saturating_sub(98);
        for j in 0..usize::from(epoch.n) {
            let by_consensus = average(j, u128::from(out.consensus[j].deconstruct()));
            let rep = out.reputation[j].deconstruct();
            let validators: Vec<usize> = epoch
                .validators
                .iter()
                .enumerate()
                .filter(|(_, v)| usize::from(v.uid) == j && v.stake >> shift > 0)
                .map(|(i, _)| i)
                .collect();
            if validators.is_empty() {
                prop_assert_eq!(rep, by_consensus, "uid {}", j);
            } else {
                prop_assert!(rep >= by_consensus, "uid {}", j);
                for i in validators {
                    let vt = u128::from(out.validator_trust[i].deconstruct());
                    prop_assert!(rep >= average(j, vt), "uid {} validator {}", j, i);
                }
            }
        }
    }

    /// (e) The split pays out exactly what accrued, whatever the split and shares.
    #[test]
    fn split_emission_is_exact(
        accrued in amount(),
        split in (perbill(), perbill(), perbill())
            .prop_map(|(owner, miners, validators)| EmissionSplit { owner, miners, validators }),
        rank in pvec(amount(), 0..12),
        shares in pvec(amount(), 0..12),
    ) {
        let payout = split_emission(accrued, &split, &rank, &shares);
        prop_assert_eq!(payout.miners.len(), rank.len());
        prop_assert_eq!(payout.validators.len(), shares.len());
        let total = payout
            .miners
            .iter()
            .chain(&payout.validators)
            .try_fold(payout.owner.checked_add(payout.carried).unwrap(), |acc, &x| {
                acc.checked_add(x)
            });
        prop_assert_eq!(total, Some(accrued));
        if split.validate().is_ok() {
            prop_assert_eq!(payout.owner, mul_floor(accrued, split.owner));
            let miners_paid: u128 = payout.miners.iter().sum();
            if rank.iter().any(|&r| r > 0) {
                prop_assert_eq!(miners_paid, mul_floor(accrued, split.miners));
            } else {
                prop_assert_eq!(miners_paid, 0);
            }
        }
    }

    /// (e) pro_rata sums exactly, stays within one unit of the exact share, and is monotone.
    #[test]
    fn pro_rata_is_exact_and_fair(amount in amount(), shares in pvec(amount(), 0..16)) {
        let paid = pro_rata(amount, &shares);
        prop_assert_eq!(paid.len(), shares.len());
        let sum = paid.iter().try_fold(0u128, |acc, &x| acc.checked_add(x));
        let total = shares.iter().try_fold(0u128, |acc, &x| acc.checked_add(x));
        if shares.iter().all(|&s| s == 0) {
            prop_assert!(paid.iter().all(|&x| x == 0));
        } else {
            prop_assert_eq!(sum, Some(amount));
        }
        if let Some(total) = total.filter(|&t| t > 0) {
            for (&p, &s) in paid.iter().zip(&shares) {
                let exact =
                    multiply_by_rational_with_rounding(amount, s, total, Rounding::Down).unwrap();
                prop_assert!(p == exact || p == exact + 1);
            }
        }
        for (i, &si) in shares.iter().enumerate() {
            for (k, &sk) in shares.iter().enumerate() {
                if si > sk {
                    prop_assert!(
                        paid[i] >= paid[k],
                        "share {} > {} but paid {} < {}", i, k, paid[i], paid[k]
                    );
                }
            }
        }
    }

    /// Garbage of every kind returns, with the right shapes, without panicking.
    #[test]
    fn garbage_never_panics(
        n in prop_oneof![4 => 0u16..40, 1 => any::<u16>()],
        validators in pvec(
            (
                any::<u16>(),
                stake(),
                pvec(any::<(u16, u16)>(), 0..40),
                pvec(any::<(u16, u32)>(), 0..40),
            ),
            0..10,
        ),
        reputation in pvec(any::<u32>().prop_map(Perbill::from_parts), 0..50),
        params in params(),
    ) {
        let epoch = Epoch {
            n,
            validators: validators
                .into_iter()
                .map(|(uid, stake, weights, bonds)| Validator { uid, stake, weights, bonds })
                .collect(),
            reputation,
            params,
        };
        let out = epoch.run();
        prop_assert_eq!(out.consensus.len(), usize::from(n));
        prop_assert_eq!(out.bonds.len(), epoch.validators.len());
    }
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        2 => any::<u128>(),
        1 => Just(u128::MAX),
        1 => Just(0u128),
        2 => 0u128..100,
        1 => (u128::MAX - 100)..=u128::MAX,
    ]
}

fn mul_floor(x: u128, p: Perbill) -> u128 {
    multiply_by_rational_with_rounding(
        x,
        u128::from(p.deconstruct()),
        u128::from(ONE),
        Rounding::Down,
    )
    .unwrap()
}

/// The copier's row: last epoch's consensus, rescaled so its largest entry is `u16::MAX` (the
/// math renormalises rows anyway).
fn copy_of(consensus: &[Perbill]) -> Vec<(u16, u16)> {
    let max = consensus
        .iter()
        .map(|x| u64::from(x.deconstruct()))
        .max()
        .unwrap_or(0);
    if max == 0 {
        return Vec::new();
    }
    let scaled = |x: &Perbill| (u64::from(x.deconstruct()) * 65_535 / max) as u16;
    consensus
        .iter()
        .enumerate()
        .map(|(j, x)| (j as u16, scaled(x)))
        .collect()
}

/// A quality vector as a full, sorted weight row.
fn dense_row(quality: &[u16]) -> Vec<(u16, u16)> {
    quality
        .iter()
        .enumerate()
        .map(|(j, &q)| (j as u16, q))
        .collect()
}

/// The documented sanitising rule, written out again: in range and strictly increasing.
fn sanitised(row: &[(u16, u16)], n: u16) -> Vec<(u16, u16)> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for &(uid, w) in row {
        if uid < n && out.last().is_none_or(|l| uid > l.0) {
            out.push((uid, w));
        }
    }
    out
}
