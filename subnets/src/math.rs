//! Pure scoring and aggregation math: no model, no I/O, total functions.
//!
//! Sums run in `f64` so the order of 384 additions does not move results by more than
//! `f32` rounding.

use std::cmp::Ordering;

/// Cosine similarity of two vectors, or `None` when it is undefined: different or zero
/// lengths, a non-finite element, or a zero vector.
pub fn cosine(a: &[f32], b: &[f32]) -> Option<f32> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        let (x, y) = (f64::from(x), f64::from(y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na <= 0.0 || nb <= 0.0 {
        return None;
    }
    let c = dot / (na.sqrt() * nb.sqrt());
    // Rounding can push |c| a hair above 1.
    Some(c.clamp(-1.0, 1.0) as f32)
}

/// `v` scaled to unit L2 norm, or `None` if it is empty, has a non-finite element or is
/// the zero vector.
pub fn normalized(v: &[f32]) -> Option<Vec<f32>> {
    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm <= 0.0 || !norm.is_finite() {
        return None;
    }
    Some(v.iter().map(|&x| (f64::from(x) / norm) as f32).collect())
}

/// Median of `values` (mean of the two middle ones for an even count); `None` if empty.
/// NaNs sort last (`total_cmp`); callers pass finite values.
pub fn median(values: &mut [f32]) -> Option<f32> {
    values.sort_unstable_by(f32::total_cmp);
    let len = values.len();
    let mid = len.checked_div(2)?;
    let upper = *values.get(mid)?;
    if len % 2 == 1 {
        Some(upper)
    } else {
        let lower = *values.get(mid.checked_sub(1)?)?;
        Some(((f64::from(lower) + f64::from(upper)) / 2.0) as f32)
    }
}

/// Coordinate-wise median of equally long vectors; `None` if there are none or their
/// lengths differ. With `k` vectors, fewer than `k/2` arbitrary (adversarial) ones cannot
/// move any coordinate outside the range of the honest ones.
pub fn coordinate_median(vectors: &[&[f32]]) -> Option<Vec<f32>> {
    let dim = vectors.first()?.len();
    if vectors.iter().any(|v| v.len() != dim) {
        return None;
    }
    let mut column = Vec::with_capacity(vectors.len());
    (0..dim)
        .map(|i| {
            column.clear();
            column.extend(vectors.iter().filter_map(|v| v.get(i).copied()));
            median(&mut column)
        })
        .collect()
}

/// Sum of `values` that does not depend on their order (sorted first), so that every
/// validator breaks ties the same way whatever order responses arrived in.
pub fn order_independent_sum(values: &mut [f32]) -> f64 {
    values.sort_unstable_by(f32::total_cmp);
    values.iter().map(|&x| f64::from(x)).sum()
}

/// Majority vote. Returns the winning class and its vote count, or `None` if there are
/// no votes. Ties go to the class with the larger `weight` (compared with `total_cmp`),
/// then to the smaller class: deterministic and independent of vote order.
pub fn majority_vote(votes: &[u8], mut weight: impl FnMut(u8) -> f64) -> Option<(u8, usize)> {
    let mut counts = [0usize; 256];
    for &v in votes {
        if let Some(c) = counts.get_mut(usize::from(v)) {
            *c = c.saturating_add(1);
        }
    }
    let top = *counts.iter().max()?;
    if top == 0 {
        return None;
    }
    let tied = (0..=u8::MAX).filter(|&class| counts.get(usize::from(class)) == Some(&top));
    let mut best: Option<(u8, f64)> = None;
    for class in tied {
        let w = weight(class);
        best = match best {
            // Strictly greater: on equal weight the earlier (smaller) class stays.
            Some((_, bw)) if w.total_cmp(&bw) == Ordering::Greater => Some((class, w)),
            None => Some((class, w)),
            keep => keep,
        };
    }
    best.map(|(class, _)| (class, top))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]
    use super::*;

    #[test]
    fn cosine_basics() {
        assert_eq!(cosine(&[1.0, 0.0], &[2.0, 0.0]), Some(1.0));
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 3.0]), Some(0.0));
        assert_eq!(cosine(&[1.0, 0.0], &[-1.0, 0.0]), Some(-1.0));
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), None);
        assert_eq!(cosine(&[], &[]), None);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), None);
        assert_eq!(cosine(&[f32::NAN, 0.0], &[1.0, 0.0]), None);
        assert_eq!(cosine(&[f32::INFINITY, 0.0], &[1.0, 0.0]), None);
    }

    #[test]
    fn normalized_basics() {
        assert_eq!(normalized(&[3.0, 4.0]), Some(vec![0.6, 0.8]));
        assert_eq!(normalized(&[0.0, 0.0]), None);
        assert_eq!(normalized(&[]), None);
        assert_eq!(normalized(&[f32::NAN]), None);
    }

    #[test]
    fn median_odd_even_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7.0]), Some(7.0));
    }

    #[test]
    fn coordinate_median_ignores_one_garbage_vector_of_three() {
        let honest_a = [0.6f32, 0.8, 0.0];
        let honest_b = [0.61f32, 0.79, 0.01];
        let garbage = [-1000.0f32, 1000.0, f32::MAX];
        let m = coordinate_median(&[&honest_a, &garbage, &honest_b]).unwrap();
        for i in 0..3 {
            let (lo, hi) = (honest_a[i].min(honest_b[i]), honest_a[i].max(honest_b[i]));
            assert!(
                lo <= m[i] && m[i] <= hi,
                "coordinate {i}: {} not in [{lo}, {hi}]",
                m[i]
            );
        }
        assert!(cosine(&m, &honest_a).unwrap() > 0.999);
    }

    #[test]
    fn coordinate_median_rejects_ragged_and_empty() {
        assert_eq!(coordinate_median(&[]), None);
        assert_eq!(coordinate_median(&[&[1.0, 2.0], &[1.0]]), None);
    }

    #[test]
    fn majority_vote_counts_and_breaks_ties_deterministically() {
        assert_eq!(majority_vote(&[3, 3, 7], |_| 0.0), Some((3, 2)));
        assert_eq!(majority_vote(&[], |_| 0.0), None);
        // Tie 3 vs 7: the larger weight wins, in either vote order.
        let w = |c: u8| if c == 7 { 1.0 } else { 0.5 };
        assert_eq!(majority_vote(&[3, 7], w), Some((7, 1)));
        assert_eq!(majority_vote(&[7, 3], w), Some((7, 1)));
        // Equal weights: the smaller class wins, in either order.
        assert_eq!(majority_vote(&[7, 3], |_| 1.0), Some((3, 1)));
        assert_eq!(majority_vote(&[3, 7], |_| 1.0), Some((3, 1)));
    }

    #[test]
    fn order_independent_sum_is_order_independent() {
        let mut a = [1e8f32, 1.0, -1e8, 1.0];
        let mut b = [1.0f32, -1e8, 1.0, 1e8];
        assert_eq!(order_independent_sum(&mut a), order_independent_sum(&mut b));
    }
}
