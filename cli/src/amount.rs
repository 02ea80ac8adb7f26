//! Amounts of MIND as people write them (`1.5`, `0.000000000001`, `1_000`) and as the chain
//! counts them (planck, 10^-12 MIND, [`mindos_primitives::MIND`]).
//!
//! Parsing is exact: decimal digits are read as integers, never through a float, and an
//! amount with more decimals than a planck can hold is an error rather than rounded.

use mindos_primitives::MIND;

/// Decimal places of MIND: one planck is 10^-12 MIND.
pub const DECIMALS: u32 = 12;

// MIND must be 10^DECIMALS for the parser and printer below to agree with the chain.
const _: () = assert!(MIND == 10u128.pow(DECIMALS));

/// Why an amount does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Nothing, or something other than digits with at most one decimal point.
    #[error("`{0}` is not an amount of MIND (digits with an optional decimal point, e.g. 1.5)")]
    Malformed(String),
    /// More than 12 decimals: less than one planck.
    #[error("`{0}` has more than {DECIMALS} decimals; the smallest amount is 0.000000000001 MIND")]
    TooManyDecimals(String),
    /// More MIND than a `u128` of planck holds.
    #[error("`{0}` MIND is more than any balance can hold")]
    TooLarge(String),
}

/// Parses an amount of MIND into planck: `1.5` is 1_500_000_000_000. Underscores between
/// digits are allowed (`1_000`); signs, exponents and spaces are not.
pub fn parse_mind(text: &str) -> Result<u128, AmountError> {
    let original = text;
    let malformed = || AmountError::Malformed(original.to_owned());
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits = |part: &str| -> Result<String, AmountError> {
        if part.starts_with('_') || part.ends_with('_') {
            return Err(malformed());
        }
        let clean: String = part.chars().filter(|c| *c != '_').collect();
        if clean.chars().all(|c| c.is_ascii_digit()) {
            Ok(clean)
        } else {
            Err(malformed())
        }
    };
    let whole = digits(whole)?;
    let fraction = digits(fraction)?;
    if whole.is_empty() && fraction.is_empty() {
        return Err(malformed());
    }
    // Trailing zeros beyond the twelfth decimal say nothing: `1.0000000000000` is 1 MIND.
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > DECIMALS as usize {
        return Err(AmountError::TooManyDecimals(original.to_owned()));
    }
    let too_large = || AmountError::TooLarge(original.to_owned());
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let fraction_planck: u128 = if fraction.is_empty() {
        0
    } else {
        let scale = 10u128.pow(DECIMALS.saturating_sub(fraction.len() as u32));
        fraction
            .parse::<u128>()
            .map_err(|_| malformed())?
            .checked_mul(scale)
            .ok_or_else(too_large)?
    };
    whole
        .checked_mul(MIND)
        .and_then(|planck| planck.checked_add(fraction_planck))
        .ok_or_else(too_large)
}

/// Formats planck as MIND with the decimals it needs and no more: 1_500_000_000_000 is
/// `1.5`, 1 is `0.000000000001`, 2 MIND is `2`. [`parse_mind`] reads it back exactly.
pub fn format_mind(planck: u128) -> String {
    let whole = planck.checked_div(MIND).unwrap_or_default();
    let fraction = planck.checked_rem(MIND).unwrap_or_default();
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:012}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn decimal_amounts_become_exact_planck() {
        assert_eq!(parse_mind("1.5"), Ok(1_500_000_000_000));
        assert_eq!(parse_mind("1"), Ok(MIND));
        assert_eq!(parse_mind("0"), Ok(0));
        assert_eq!(parse_mind("0.000000000001"), Ok(1));
        assert_eq!(parse_mind(".25"), Ok(MIND / 4));
        assert_eq!(parse_mind("2."), Ok(2 * MIND));
        assert_eq!(parse_mind("1_000.5"), Ok(1_000 * MIND + MIND / 2));
        assert_eq!(parse_mind(" 3.000000000000000 "), Ok(3 * MIND));
        assert_eq!(
            parse_mind("123456.789012345678"),
            Ok(123_456_789_012_345_678)
        );
    }

    #[test]
    fn bad_amounts_are_refused_with_their_reason() {
        assert!(matches!(
            parse_mind("0.0000000000001"),
            Err(AmountError::TooManyDecimals(_))
        ));
        for bad in [
            "", ".", "-1", "+1", "1e3", "1.2.3", "one", "1 000", "_1", "1_", "0x10", "1,5",
        ] {
            assert!(
                matches!(parse_mind(bad), Err(AmountError::Malformed(_))),
                "{bad:?} parsed"
            );
        }
        let too_many_mind = (u128::MAX / MIND + 1).to_string();
        assert!(matches!(
            parse_mind(&too_many_mind),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(
            parse_mind(&format!("{}0", u128::MAX)),
            Err(AmountError::TooLarge(_))
        ));
        let max_mind = (u128::MAX / MIND).to_string();
        assert_eq!(parse_mind(&max_mind), Ok(u128::MAX / MIND * MIND));
    }

    #[test]
    fn planck_prints_as_the_shortest_exact_mind() {
        assert_eq!(format_mind(1_500_000_000_000), "1.5");
        assert_eq!(format_mind(1), "0.000000000001");
        assert_eq!(format_mind(2 * MIND), "2");
        assert_eq!(format_mind(0), "0");
        assert_eq!(
            format_mind(u128::MAX),
            "340282366920938463463374607.431768211455"
        );
        for planck in [
            0,
            1,
            10,
            999_999_999_999,
            MIND,
            MIND + 1,
            123_456_789_000_000,
            u128::MAX,
        ] {
            assert_eq!(parse_mind(&format_mind(planck)), Ok(planck));
        }
    }
}
