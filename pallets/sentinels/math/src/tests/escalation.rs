//! The escalation's stake thresholds: by hand, exact against wide arithmetic, and its safety
//! (a lying third never overturns, never blocks more than it holds) over random stakes.

use proptest::prelude::*;

use crate::{
    escalation_verdict, overturn_threshold, uphold_threshold, EscalationError, EscalationVerdict,
};

#[test]
fn verdicts_by_hand() {
    use EscalationVerdict::*;
    assert_eq!(escalation_verdict(7, 0, 10), Ok(Overturn));
    assert_eq!(
        escalation_verdict(6, 0, 9),
        Ok(Open),
        "exactly 2/3 is not more than 2/3"
    );
    assert_eq!(escalation_verdict(7, 0, 9), Ok(Overturn));
    assert_eq!(escalation_verdict(6, 3, 9), Ok(Uphold), "a third blocks");
    assert_eq!(escalation_verdict(6, 2, 9), Ok(Open));
    assert_eq!(escalation_verdict(0, 4, 10), Ok(Uphold));
    assert_eq!(escalation_verdict(0, 3, 10), Ok(Open));
    assert_eq!(escalation_verdict(1, 0, 1), Ok(Overturn));
    assert_eq!(escalation_verdict(0, 1, 1), Ok(Uphold));
    assert_eq!(escalation_verdict(0, 0, 0), Err(EscalationError::NoStake));
    assert_eq!(
        escalation_verdict(6, 5, 10),
        Err(EscalationError::MoreVotesThanStake)
    );
    assert_eq!(
        escalation_verdict(u128::MAX, 1, u128::MAX),
        Err(EscalationError::MoreVotesThanStake)
    );
    // At the top of the range the thresholds stay exact.
    assert_eq!(overturn_threshold(u128::MAX), u128::MAX / 3 * 2 + 1);
    assert_eq!(uphold_threshold(u128::MAX), u128::MAX / 3);
}

/// `3·o > 2·t` and `3·u ≥ t` with 256-bit products, as the reference.
fn wide_gt(a: u128, ka: u8, b: u128, kb: u8) -> bool {
    fn mul(x: u128, k: u8) -> (u128, u128) {
        // (hi, lo) of x·k: x = xh·2⁶⁴ + xl, and xh·k, xl·k < 2⁶⁶ fit.
        let k = u128::from(k);
        let (high, low) = ((x >> 64) * k, (x & u128::from(u64::MAX)) * k);
        let (lo, carry) = (high << 64).overflowing_add(low);
        ((high >> 64) + u128::from(carry), lo)
    }
    let (ah, al) = mul(a, ka);
    let (bh, bl) = mul(b, kb);
    (ah, al) > (bh, bl)
}

proptest! {
    #[test]
    fn thresholds_are_exact(total in any::<u128>()) {
        let o = overturn_threshold(total);
        prop_assert!(wide_gt(o, 3, total, 2), "{o} is not above 2/3 of {total}");
        prop_assert!(o == 0 || !wide_gt(o - 1, 3, total, 2), "{o} is not the smallest");
        let u = uphold_threshold(total);
        prop_assert!(!wide_gt(total, 1, u, 3), "{u} is below 1/3 of {total}");
        prop_assert!(u == 0 || wide_gt(total, 1, u - 1, 3), "{u} is not the smallest");
    }

    /// Whatever a lying share below 1/3 votes, it cannot overturn alone; and the honest rest,
    /// voting together, always decides (overturn if they overturn, uphold if they uphold).
    #[test]
    fn a_lying_third_neither_overturns_nor_stalls(
        total in 3u128..=u128::MAX / 2,
        liar_share in 0u32..333_333,
        honest_overturn in any::<bool>(),
    ) {
        let liars = total / 1_000_000 * u128::from(liar_share);
        prop_assert!(liars * 3 < total);
        prop_assert_ne!(
            escalation_verdict(liars, 0, total),
            Ok(EscalationVerdict::Overturn)
        );
        let honest = total - liars;
        let verdict = if honest_overturn {
            escalation_verdict(honest, liars, total)
        } else {
            escalation_verdict(liars, honest, total)
        };
        let expected = if honest_overturn {
            EscalationVerdict::Overturn
        } else {
            EscalationVerdict::Uphold
        };
        prop_assert_eq!(verdict, Ok(expected));
    }

    /// Never both thresholds: whatever is cast, at most one side reached its own.
    #[test]
    fn never_both(total in 1u128..=u128::MAX, a in any::<u128>(), b in any::<u128>()) {
        let overturn = a % (total + 1);
        let uphold = b % (total - overturn + 1);
        let both = overturn >= overturn_threshold(total) && uphold >= uphold_threshold(total);
        prop_assert!(!both);
        prop_assert!(escalation_verdict(overturn, uphold, total).is_ok());
    }
}
