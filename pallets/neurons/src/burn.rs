//! The registration burn price: pure functions, no storage.
//!
//! Each registration raises a subnet's price by a factor; between registrations the excess
//! over the floor decays, halving every half-life:
//!
//! ```text
//! current = floor + (price − floor) · 2^(−k) · (1 − r / (2 · half_life))
//!     k = elapsed / half_life,  r = elapsed % half_life
//! ```
//!
//! Whole half-lives halve the excess exactly; inside one the curve is the straight line
//! between the two halvings. That chord lies above the exponential `2^(−elapsed/half_life)`
//! (which is convex), so the price never decays faster than the exponential would, and it
//! needs no floating point: the result is the same on every node.

use sp_runtime::{
    helpers_128bit::multiply_by_rational_with_rounding, traits::AtLeast32BitUnsigned,
    FixedPointNumber, FixedPointOperand, FixedU128, Rounding,
};

/// The price `elapsed` blocks after it was set to `price`, decaying toward `floor` with the
/// given `half_life` (see the [module docs](self)).
///
/// - Never below `floor`, never above `max(price, floor)`, and non-increasing in `elapsed`.
/// - Rounds the excess down at each halving (so the price reaches the floor exactly after
///   about `log2(excess)` half-lives) and rounds the linear part up.
/// - A `price` below `floor` (the floor was raised since) yields `floor`.
/// - A zero `half_life` means instant decay: `floor` (the pallet's `integrity_test` forbids
///   it).
pub fn decayed_price<Balance>(
    floor: Balance,
    price: Balance,
    elapsed: u64,
    half_life: u64,
) -> Balance
where
    Balance: AtLeast32BitUnsigned + Copy,
{
    let excess: u128 = price.saturating_sub(floor).unique_saturated_into();
    let (Some(whole), Some(rest)) = (
        elapsed.checked_div(half_life),
        elapsed.checked_rem(half_life),
    ) else {
        return floor;
    };
    // `checked_shr` is `None` from 128 halvings on: nothing is left by then.
    let halved = u32::try_from(whole)
        .ok()
        .and_then(|k| excess.checked_shr(k))
        .unwrap_or(0);
    // rest < half_life, so the cut is at most half of `halved` and cannot overflow.
    let cut = multiply_by_rational_with_rounding(
        halved,
        u128::from(rest),
        u128::from(half_life).saturating_mul(2),
        Rounding::Down,
    )
    .unwrap_or(0);
    floor.saturating_add(Balance::unique_saturated_from(halved.saturating_sub(cut)))
}

/// The price after a registration that paid `current`: `current × factor`, saturating at the
/// balance type's maximum (rounded down).
pub fn increased_price<Balance: FixedPointOperand>(current: Balance, factor: FixedU128) -> Balance {
    factor.saturating_mul_int(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FLOOR: u128 = 100;
    const HALF_LIFE: u64 = 100;

    fn at(elapsed: u64) -> u128 {
        decayed_price(FLOOR, 900u128, elapsed, HALF_LIFE)
    }

    #[test]
    fn halves_the_excess_every_half_life_and_is_linear_in_between() {
        assert_eq!(at(0), 900);
        assert_eq!(at(50), 100 + 600); // 800 · (1 − 50/200)
        assert_eq!(at(100), 100 + 400);
        assert_eq!(at(150), 100 + 300); // 400 · (1 − 50/200)
        assert_eq!(at(200), 100 + 200);
        assert_eq!(at(300), 100 + 100);
        assert_eq!(at(25), 100 + 700); // 800 · (1 − 25/200)
    }

    #[test]
    fn reaches_the_floor_and_stays_there() {
        assert_eq!(at(100 * 10), FLOOR, "800 >> 10 is 0");
        assert_eq!(at(u64::MAX), FLOOR);
        assert_eq!(decayed_price(FLOOR, u128::MAX, u64::MAX, 1), FLOOR);
    }

    #[test]
    fn a_price_below_the_floor_costs_the_floor() {
        assert_eq!(decayed_price(500u64, 200u64, 0, HALF_LIFE), 500);
        assert_eq!(decayed_price(500u64, 500u64, 7, HALF_LIFE), 500);
    }

    #[test]
    fn zero_half_life_is_instant_decay() {
        assert_eq!(decayed_price(FLOOR, 900u128, 0, 0), FLOOR);
    }

    #[test]
    fn rounding_keeps_the_price_at_or_above_the_line() {
        // 3 · (1 − 1/200) = 2.985 → the cut (0.015) rounds down to 0.
        assert_eq!(decayed_price(0u64, 3u64, 1, HALF_LIFE), 3);
        // One half-life: 3 >> 1 = 1 (the halving rounds down).
        assert_eq!(decayed_price(0u64, 3u64, HALF_LIFE, HALF_LIFE), 1);
    }

    #[test]
    fn increase_multiplies_and_saturates() {
        let factor = FixedU128::from_rational(3, 2);
        assert_eq!(increased_price(100u64, factor), 150);
        assert_eq!(increased_price(101u64, factor), 151, "151.5 rounds down");
        assert_eq!(increased_price(u64::MAX, factor), u64::MAX);
    }

    proptest! {
        #[test]
        fn stays_between_floor_and_price_and_never_rises(
            floor in 0u64..1_000_000,
            excess in 0u64..1_000_000_000,
            elapsed in 0u64..100_000,
            step in 1u64..1_000,
            half_life in 1u64..10_000,
        ) {
            let price = floor + excess;
            let now = decayed_price(floor, price, elapsed, half_life);
            let later = decayed_price(floor, price, elapsed + step, half_life);
            prop_assert!(floor <= now && now <= price);
            prop_assert!(later <= now);
        }

        #[test]
        fn is_an_upper_bound_of_the_exponential_up_to_halving_rounding(
            excess in 0u64..1_000_000_000,
            elapsed in 0u64..20_000,
            half_life in 1u64..1_000,
        ) {
            let got = decayed_price(0u64, excess, elapsed, half_life) as f64;
            let exact = excess as f64 * (-(elapsed as f64) / half_life as f64).exp2();
            // Each halving may drop at most one unit in total (floor of a division).
            prop_assert!(got + 1.0 >= exact, "{got} vs {exact}");
            // And the chord is within 6.1% of the curve (max of (1 − x/2) / 2^(−x) − 1).
            prop_assert!(got <= exact * 1.062 + 1.0, "{got} vs {exact}");
        }
    }
}
