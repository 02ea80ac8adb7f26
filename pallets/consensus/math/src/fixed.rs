//! Fixed-point helpers shared by the epoch and the emission split.

use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, Perbill, Rounding};

/// One in Perbill parts.
pub(crate) const PARTS: u128 = 1_000_000_000;

/// Effective stakes stay below `2^STAKE_BITS` in total, so `stake_total · 10⁹ < 2¹²⁸`
/// (10⁹ < 2³⁰) and every rank, an exact sum of `stake · weight` products, fits a `u128`.
pub(crate) const STAKE_BITS: u32 = 98;

/// `⌊a · b / c⌋`, or 0 when `c == 0`.
///
/// Rounds down. Uses a 256-bit intermediate only when `a · b` overflows. Every caller passes a
/// ratio `a ≤ c` or `b ≤ c`, so the result fits; saturating at `u128::MAX` is a defensive
/// fallback that cannot be reached from this crate.
pub(crate) fn mul_div_floor(a: u128, b: u128, c: u128) -> u128 {
    if c == 0 {
        return 0;
    }
    match a.checked_mul(b) {
        Some(product) => product.checked_div(c).unwrap_or(0),
        None => multiply_by_rational_with_rounding(a, b, c, Rounding::Down).unwrap_or(u128::MAX),
    }
}

/// Perbill parts (clamped to one) as a [`Perbill`].
pub(crate) fn perbill(parts: u128) -> Perbill {
    Perbill::from_parts(u32::try_from(parts.min(PARTS)).unwrap_or(u32::MAX))
}

/// A Perbill's parts, clamped to one (a decoded Perbill is not guaranteed to be).
pub(crate) fn parts(p: Perbill) -> u128 {
    u128::from(p.deconstruct()).min(PARTS)
}

/// Number of significant bits of `x` (0 for 0).
pub(crate) fn bit_len(x: u128) -> u32 {
    u128::BITS.saturating_sub(x.leading_zeros())
}

/// The right shift applied to every stake so that the total of effective stakes stays below
/// `2^STAKE_BITS`: with `k` positive stakes of at most `max`, the total is below
/// `2^(bit_len(max) + bit_len(k))`. Zero for any realistic balance.
pub(crate) fn stake_shift(stakes: impl Iterator<Item = u128>) -> u32 {
    let (count, max) = stakes
        .filter(|&s| s > 0)
        .fold((0u128, 0u128), |(count, max), s| {
            (count.saturating_add(1), max.max(s))
        });
    bit_len(max)
        .saturating_add(bit_len(count))
        .saturating_sub(STAKE_BITS)
}

/// Keeps the entries of a sparse row that are in range (`uid < n`) and strictly after the last
/// kept entry, so unsorted or duplicate input is dropped instead of trusted.
pub(crate) fn sanitised<T: Copy>(row: &[(u16, T)], n: u16) -> impl Iterator<Item = (u16, T)> + '_ {
    let mut last: Option<u16> = None;
    row.iter().copied().filter(move |&(uid, _)| {
        let keep = uid < n && last.is_none_or(|l| uid > l);
        if keep {
            last = Some(uid);
        }
        keep
    })
}
