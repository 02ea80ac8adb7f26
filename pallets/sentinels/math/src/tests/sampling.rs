//! Statistics of the draw against references that do not use the crate: exact inclusion
//! probabilities (equal weights; a small pool by dynamic programming), a Monte-Carlo reference
//! driven by an independent generator, and the adversary's capture rate against the binomial and
//! hypergeometric laws.
//!
//! Seeds are fixed, so every test is deterministic; tolerances are `5σ` of the measured frequency
//! (a correct implementation leaves a given candidate outside with probability 6e-7), tight
//! enough to catch a few percent of relative bias.

use super::*;
use crate::committee::draw;

/// Seat counts per candidate (by position in `c`) over `trials` seeds.
fn seat_counts(c: &[Candidate], n: u8, trials: u64) -> Vec<u64> {
    let mut counts = vec![0u64; c.len()];
    for i in 0..trials {
        let (committee, _) = draw(c, n, &seed(i), &[]).unwrap();
        assert_eq!(committee.members.len(), usize::from(n));
        for uid in committee.members {
            counts[c.iter().position(|x| x.uid == uid).unwrap()] += 1;
        }
    }
    counts
}

/// The weights `stake × reputation` in floating point (the tests' inputs stay far below any
/// shift).
fn weights(c: &[Candidate]) -> Vec<f64> {
    c.iter()
        .map(|c| c.stake as f64 * f64::from(c.reputation.deconstruct()))
        .collect()
}

/// Equal weights: every candidate sits with probability exactly `n / N`.
#[test]
fn equal_weights_sit_equally() {
    const TRIALS: u64 = 10_000;
    let c = equal(50);
    let counts = seat_counts(&c, 7, TRIALS);
    let p = 7.0 / 50.0;
    let tol = 5.0 * sigma(p, TRIALS);
    for (uid, &k) in counts.iter().enumerate() {
        let freq = k as f64 / TRIALS as f64;
        assert!(
            (freq - p).abs() <= tol,
            "uid {uid}: frequency {freq:.4}, expected {p:.4} ± {tol:.4}"
        );
    }
}

/// All permutations of `0..e`.
fn permutations(e: usize) -> Vec<Vec<usize>> {
    if e == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(e - 1) {
        for at in 0..=p.len() {
            let mut q = p.clone();
            q.insert(at, e - 1);
            out.push(q);
        }
    }
    out
}

/// Exact inclusion probabilities of the scheme described in `committee`'s docs: a uniform order,
/// passes over it, acceptance `w / w_max` with `w_max` re-taken over the unseated at each pass
/// start, until `n` sit. Averages over every order a distribution over seated sets (bit masks).
fn exact_inclusion(w: &[f64], n: usize) -> Vec<f64> {
    let e = w.len();
    let states = 1usize << e;
    let orders = permutations(e);
    let mut incl = vec![0.0; e];
    for order in &orders {
        let mut dist = vec![0.0f64; states];
        dist[0] = 1.0;
        for _pass in 0..n {
            let mut next = vec![0.0f64; states];
            for start in 0..states {
                let p0 = dist[start];
                if p0 == 0.0 {
                    continue;
                }
                if start.count_ones() as usize == n {
                    next[start] += p0;
                    continue;
                }
                let w_max = (0..e)
                    .filter(|&i| start & (1 << i) == 0)
                    .map(|i| w[i])
                    .fold(0.0, f64::max);
                let mut sub = vec![0.0f64; states];
                sub[start] = p0;
                for &c in order {
                    let q = w[c] / w_max;
                    for s in 0..states {
                        let p = sub[s];
                        if p == 0.0 || s & (1 << c) != 0 || s.count_ones() as usize == n {
                            continue;
                        }
                        sub[s] = p * (1.0 - q);
                        sub[s | (1 << c)] += p * q;
                    }
                }
                for s in 0..states {
                    next[s] += sub[s];
                }
            }
            dist = next;
        }
        for (s, &p) in dist.iter().enumerate() {
            for (i, x) in incl.iter_mut().enumerate() {
                if s & (1 << i) != 0 {
                    *x += p / orders.len() as f64;
                }
            }
        }
    }
    incl
}

/// Unequal weights, small pool: frequencies over 10,000 seeds within 5σ of the exact inclusion
/// probabilities. Two candidates with the same product `stake × reputation` but different
/// factors (uids 4 and 5) must sit equally often.
#[test]
fn unequal_weights_match_exact_inclusion() {
    const TRIALS: u64 = 10_000;
    let c = vec![
        cand(0, 100, 1_000_000_000), // w = 100
        cand(1, 100, 500_000_000),   // 50
        cand(2, 50, 500_000_000),    // 25
        cand(3, 300, 100_000_000),   // 30
        cand(4, 10, 1_000_000_000),  // 10
        cand(5, 1_000, 10_000_000),  // 10
    ];
    let exact = exact_inclusion(&weights(&c), 4);
    assert!((exact.iter().sum::<f64>() - 4.0).abs() < 1e-9);
    assert!((exact[4] - exact[5]).abs() < 1e-12);
    let counts = seat_counts(&c, 4, TRIALS);
    for (i, (&k, &p)) in counts.iter().zip(&exact).enumerate() {
        let freq = k as f64 / TRIALS as f64;
        let tol = 5.0 * sigma(p, TRIALS).max(1.0 / TRIALS as f64);
        assert!(
            (freq - p).abs() <= tol,
            "uid {i}: frequency {freq:.4}, exact {p:.4} ± {tol:.4}"
        );
    }
}

/// The scheme again, written independently of the crate and driven by SplitMix64 and floats.
fn reference_draw(w: &[f64], n: usize, rng: &mut SplitMix) -> Vec<usize> {
    let e = w.len();
    let mut order: Vec<usize> = (0..e).collect();
    for p in 0..e {
        let pick = p + rng.below((e - p) as u64) as usize;
        order.swap(p, pick);
    }
    let mut seated = vec![false; e];
    let mut out = Vec::new();
    while out.len() < n {
        let w_max = (0..e)
            .filter(|&i| !seated[i])
            .map(|i| w[i])
            .fold(0.0, f64::max);
        for &c in &order {
            if !seated[c] && out.len() < n && rng.unit() < w[c] / w_max {
                seated[c] = true;
                out.push(c);
            }
        }
    }
    out
}

/// Unequal weights, a realistic pool (40 candidates, weights spread over three orders of
/// magnitude, n = 7): frequencies over 10,000 seeds within 5σ of a 200,000-draw Monte-Carlo
/// reference; and monotone in the weight (a heavier candidate never sits measurably less often,
/// and one twice as heavy sits more often).
#[test]
fn unequal_weights_match_reference_and_are_monotone() {
    const TRIALS: u64 = 10_000;
    const REFERENCE: u64 = 200_000;
    let mut rng = SplitMix(40);
    let c: Vec<Candidate> = (0..40u16)
        .map(|uid| {
            cand(
                uid,
                1 + u128::from(rng.below(1_000)),
                10_000_000 + rng.below(990_000_001) as u32,
            )
        })
        .collect();
    let w = weights(&c);
    let mut reference = vec![0u64; c.len()];
    for _ in 0..REFERENCE {
        for i in reference_draw(&w, 7, &mut rng) {
            reference[i] += 1;
        }
    }
    let counts = seat_counts(&c, 7, TRIALS);
    let freq: Vec<f64> = counts.iter().map(|&k| k as f64 / TRIALS as f64).collect();
    let sd: Vec<f64> = freq.iter().map(|&f| sigma(f.max(1e-3), TRIALS)).collect();
    for i in 0..c.len() {
        let r = reference[i] as f64 / REFERENCE as f64;
        let tol = 5.0 * (sd[i].powi(2) + sigma(r.max(1e-3), REFERENCE).powi(2)).sqrt();
        assert!(
            (freq[i] - r).abs() <= tol,
            "uid {i} (w {:.3e}): frequency {:.4}, reference {r:.4} ± {tol:.4}",
            w[i],
            freq[i]
        );
    }
    for i in 0..c.len() {
        for j in 0..c.len() {
            if w[i] <= w[j] {
                continue;
            }
            let tol = 5.0 * (sd[i].powi(2) + sd[j].powi(2)).sqrt();
            assert!(
                freq[i] + tol >= freq[j],
                "w {:.3e} > {:.3e} but frequency {:.4} < {:.4}",
                w[i],
                w[j],
                freq[i],
                freq[j]
            );
            // Twice the weight, away from the floor and the ceiling: strictly more seats.
            if w[i] >= 2.0 * w[j] && freq[j] >= 0.02 && freq[i] <= 0.98 {
                assert!(
                    freq[i] > freq[j] + tol,
                    "w {:.3e} ≥ 2 × {:.3e} but frequency {:.4} ≤ {:.4} + {tol:.4}",
                    w[i],
                    w[j],
                    freq[i],
                    freq[j]
                );
            }
        }
    }
}

/// `C(n, k)`.
fn choose(n: u64, k: u64) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// An adversary with 10 of 50 equal-weight candidates (20% of the weight) captures a committee of
/// 7 (≥ 2f + 1 = 5 seats) at the hypergeometric rate, below the binomial 4.7e-3 of
/// `shared/sentinels.md`. Measured over `MINDOS_CAPTURE_DRAWS` draws (default 200,000).
#[test]
fn adversary_with_a_fifth_captures_at_the_reference_rate() {
    let trials: u64 = std::env::var("MINDOS_CAPTURE_DRAWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let (total, adversary, n, threshold) = (50u64, 10u64, 7u64, 5u64);
    // Adversary uids spread over the pool, not a block, so position bias would show either way.
    let is_adversary = |uid: u16| uid % 5 == 2;
    let c = equal(total as u16);
    let p = adversary as f64 / total as f64;
    let binomial: f64 = (threshold..=n)
        .map(|k| choose(n, k) * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32))
        .sum();
    let hypergeometric: f64 = (threshold..=n)
        .map(|k| choose(adversary, k) * choose(total - adversary, n - k) / choose(total, n))
        .sum();
    assert!((binomial - 4.672e-3).abs() < 1e-6, "{binomial}");
    let mut captured = 0u64;
    let mut seats = 0u64;
    for i in 0..trials {
        let (committee, _) = draw(&c, n as u8, &seed(i), &[]).unwrap();
        let held = committee
            .members
            .iter()
            .filter(|&&u| is_adversary(u))
            .count() as u64;
        seats += held;
        if held >= threshold {
            captured += 1;
        }
    }
    let rate = captured as f64 / trials as f64;
    let upper = binomial + 3.0 * sigma(binomial, trials);
    let lower = hypergeometric - 4.0 * sigma(hypergeometric, trials);
    println!(
        "capture: {captured} of {trials} = {rate:.3e}; hypergeometric {hypergeometric:.3e}, \
         binomial {binomial:.3e}; mean adversary seats {:.4} (expected {:.4})",
        seats as f64 / trials as f64,
        n as f64 * p
    );
    assert!(
        rate <= upper,
        "capture rate {rate:.3e} > binomial + 3σ {upper:.3e}"
    );
    assert!(
        rate >= lower,
        "capture rate {rate:.3e} < hypergeometric − 4σ {lower:.3e}"
    );
    let tol = 4.0 * sigma(hypergeometric, trials);
    assert!(
        (rate - hypergeometric).abs() <= tol,
        "capture rate {rate:.3e} vs hypergeometric {hypergeometric:.3e} ± {tol:.1e}"
    );
    // Mean seats are exactly n·p in expectation.
    let mean = seats as f64 / trials as f64;
    let mean_tol = 5.0 * (n as f64 * p * (1.0 - p) / trials as f64).sqrt();
    assert!((mean - n as f64 * p).abs() <= mean_tol, "mean seats {mean}");
}
