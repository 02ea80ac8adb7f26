//! The escalation's stake thresholds: by hand, exhaustively over small electorates against a
//! direct reading of the rule, exactly against 256-bit products over all of `u128`, and its
//! safety and liveness (a lying third never wins, honest stake above 2/3 always does) over random
//! stakes.

use proptest::prelude::*;

use crate::{escalation_verdict, supermajority, EscalationError, EscalationVerdict};

use EscalationVerdict::*;

#[test]
fn verdicts_by_hand() {
    assert_eq!(escalation_verdict(7, 0, 10), Ok(Overturn));
    assert_eq!(escalation_verdict(0, 7, 10), Ok(Uphold));
    assert_eq!(
        escalation_verdict(6, 0, 9),
        Ok(Open),
        "exactly 2/3 is not more"
    );
    assert_eq!(escalation_verdict(7, 0, 9), Ok(Overturn));
    assert_eq!(escalation_verdict(0, 7, 9), Ok(Uphold));
    // A third upholding alone decides nothing: it only keeps the overturn from 2/3.
    assert_eq!(escalation_verdict(0, 3, 9), Ok(Open));
    assert_eq!(escalation_verdict(6, 3, 9), Ok(Deadlocked));
    assert_eq!(escalation_verdict(4, 4, 9), Ok(Deadlocked));
    assert_eq!(
        escalation_verdict(4, 3, 9),
        Ok(Deadlocked),
        "with the 2 uncast, 6 and 5 < 7"
    );
    assert_eq!(
        escalation_verdict(3, 2, 9),
        Ok(Open),
        "the 4 uncast could still overturn"
    );
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
    // At the top of the range the threshold stays exact: 2^128 - 1 is a multiple of 3.
    assert_eq!(supermajority(u128::MAX), u128::MAX / 3 * 2 + 1);
}

/// The rule read directly: a side wins with `3s > 2T`; deadlocked when neither side with every
/// uncast vote would.
fn reference(overturn: u128, uphold: u128, total: u128) -> EscalationVerdict {
    let wins = |s: u128| 3 * s > 2 * total;
    let open = total - overturn - uphold;
    if wins(overturn) {
        Overturn
    } else if wins(uphold) {
        Uphold
    } else if !wins(overturn + open) && !wins(uphold + open) {
        Deadlocked
    } else {
        Open
    }
}

#[test]
fn every_small_electorate_matches_the_rule() {
    for total in 1u128..=60 {
        for overturn in 0..=total {
            for uphold in 0..=total - overturn {
                assert_eq!(
                    escalation_verdict(overturn, uphold, total),
                    Ok(reference(overturn, uphold, total)),
                    "{overturn} overturn, {uphold} uphold of {total}"
                );
            }
        }
    }
}

/// `a·ka > b·kb` with 256-bit products, as the reference for large stakes.
fn wide_gt(a: u128, ka: u8, b: u128, kb: u8) -> bool {
    fn mul(x: u128, k: u8) -> (u128, u128) {
        // (hi, lo) of x·k: x = xh·2⁶⁴ + xl, and xh·k, xl·k < 2⁷² fit.
        let k = u128::from(k);
        let (high, low) = ((x >> 64) * k, (x & u128::from(u64::MAX)) * k);
        let (lo, carry) = (high << 64).overflowing_add(low);
        ((high >> 64) + u128::from(carry), lo)
    }
    mul(a, ka) > mul(b, kb)
}

proptest! {
    #[test]
    fn the_supermajority_is_exact(total in any::<u128>()) {
        let s = supermajority(total);
        prop_assert!(wide_gt(s, 3, total, 2), "{s} is not above 2/3 of {total}");
        prop_assert!(s == 0 || !wide_gt(s - 1, 3, total, 2), "{s} is not the smallest");
    }

    /// Liars below a third of the stake never win their side, whatever they and any part of the
    /// honest stake vote; honest stake above 2/3 voting together always wins, whatever the liars
    /// vote.
    #[test]
    fn a_lying_third_never_wins_and_an_honest_two_thirds_always_does(
        total in 3u128..u128::MAX / 2,
        liar_millionths in 0u128..333_333,
        honest_cast_millionths in 0u128..=1_000_000,
        liars_overturn in any::<bool>(),
        liars_cast in any::<bool>(),
    ) {
        let liars = total / 1_000_000 * liar_millionths;
        let honest = total - liars;
        let cast = honest / 1_000_000 * honest_cast_millionths;
        let lying_vote = if liars_cast { liars } else { 0 };
        let (overturn, uphold) = if liars_overturn {
            (lying_vote, cast)
        } else {
            (cast, lying_vote)
        };
        let verdict = escalation_verdict(overturn, uphold, total);
        let liars_side = if liars_overturn { Overturn } else { Uphold };
        prop_assert_ne!(verdict, Ok(liars_side));
        if wide_gt(cast, 3, total, 2) {
            let honest_side = if liars_overturn { Uphold } else { Overturn };
            prop_assert_eq!(verdict, Ok(honest_side));
        }
    }

    /// Never both sides; a verdict reached stays reached as more votes come in for it.
    #[test]
    fn never_both_and_monotone(total in 1u128..u128::MAX, a in any::<u128>(), b in any::<u128>()) {
        let overturn = a % total;
        let uphold = b % (total - overturn);
        let threshold = supermajority(total);
        prop_assert!(!(overturn >= threshold && uphold >= threshold));
        let verdict = escalation_verdict(overturn, uphold, total);
        prop_assert!(verdict.is_ok());
        if verdict == Ok(Overturn) && overturn < total - uphold {
            prop_assert_eq!(escalation_verdict(overturn + 1, uphold, total), Ok(Overturn));
        }
    }
}
