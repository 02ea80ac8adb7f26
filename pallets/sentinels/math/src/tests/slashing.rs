//! Slash amounts by hand, and exact conservation of every unit.

use proptest::prelude::*;

use super::*;
use crate::{correlated, refund, settle, slash_rate, CommitteeSize, Offence, SlashRates};

#[test]
fn default_amounts_by_hand() {
    let r = SlashRates::default();
    let bonded = 1_000_000_000u128;
    let s = settle(&r, Offence::MinerSelfVerifying, bonded, true);
    assert_eq!(
        (s.slashed, s.reporter_reward, s.burned),
        (50_000_000, 5_000_000, 45_000_000)
    );
    let s = settle(&r, Offence::MinerJudged, bonded, true);
    assert_eq!(
        (s.slashed, s.reporter_reward, s.burned),
        (100_000, 10_000, 90_000)
    );
    let s = settle(&r, Offence::MinerJudged, bonded, false);
    assert_eq!(
        (s.slashed, s.reporter_reward, s.burned),
        (100_000, 0, 100_000)
    );
    let s = settle(
        &r,
        Offence::OverturnedSentinel { correlated: false },
        bonded,
        true,
    );
    assert_eq!((s.slashed, s.reporter_reward), (1_000_000, 0));
    let s = settle(
        &r,
        Offence::OverturnedSentinel { correlated: true },
        bonded,
        true,
    );
    assert_eq!(s.slashed, 3_000_000);
    let s = settle(
        &r,
        Offence::ClearedBadMiner { correlated: false },
        bonded,
        false,
    );
    assert_eq!(s.slashed, 20_000_000);
    let s = settle(
        &r,
        Offence::ClearedBadMiner { correlated: true },
        bonded,
        false,
    );
    assert_eq!(s.slashed, 60_000_000);
    // The correlation factor saturates at 100%.
    let heavy = SlashRates {
        cleared_bad_miner: Perbill::from_percent(40),
        ..r
    };
    assert_eq!(
        slash_rate(&heavy, Offence::ClearedBadMiner { correlated: true }),
        Perbill::one()
    );
    // Rounds down: 5% of 19 is 0.95.
    assert_eq!(settle(&r, Offence::MinerSelfVerifying, 19, true).slashed, 0);
    // ≥ f + 1 of a committee of 7 overturned together: 3.
    assert!(!correlated(CommitteeSize::default(), 2));
    assert!(correlated(CommitteeSize::default(), 3));
    // Refund of a miner slash with a reporter.
    let s = settle(&r, Offence::MinerSelfVerifying, bonded, true);
    let back = refund(&s);
    assert_eq!(
        (back.returned, back.from_reporter, back.reminted),
        (50_000_000, 5_000_000, 45_000_000)
    );
}

fn perbill() -> impl Strategy<Value = Perbill> {
    prop_oneof![
        (0u32..=1_000_000_000).prop_map(Perbill::from_parts),
        Just(Perbill::one()),
        Just(Perbill::zero()),
        // Decoded Perbills are not guaranteed to be ≤ 1.
        any::<u32>().prop_map(Perbill::from_parts),
    ]
}

fn rates() -> impl Strategy<Value = SlashRates> {
    prop_oneof![
        Just(SlashRates::default()),
        (
            perbill(),
            perbill(),
            perbill(),
            perbill(),
            any::<u32>(),
            perbill()
        )
            .prop_map(|(a, b, c, d, k, e)| SlashRates {
                miner_self_verifying: a,
                miner_judged: b,
                overturned_sentinel: c,
                cleared_bad_miner: d,
                correlation_factor: k,
                reporter_reward: e,
            }),
    ]
}

fn offence() -> impl Strategy<Value = Offence> {
    prop_oneof![
        Just(Offence::MinerSelfVerifying),
        Just(Offence::MinerJudged),
        any::<bool>().prop_map(|correlated| Offence::OverturnedSentinel { correlated }),
        any::<bool>().prop_map(|correlated| Offence::ClearedBadMiner { correlated }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_048, ..ProptestConfig::default() })]

    /// Money is conserved: slashed == reporter_reward + burned, never more than bonded, equal to
    /// ⌊rate · bonded⌋; only miners' slashes pay a reporter; a refund returns exactly what was
    /// slashed, from exactly the reward and the burn.
    #[test]
    fn settlements_conserve_every_unit(
        r in rates(),
        o in offence(),
        bonded in prop_oneof![any::<u128>(), 0u128..1_000_000, Just(u128::MAX)],
        has_reporter: bool,
    ) {
        let s = settle(&r, o, bonded, has_reporter);
        prop_assert_eq!(s.slashed, s.reporter_reward.checked_add(s.burned).unwrap());
        prop_assert!(s.slashed <= bonded);
        let rate = slash_rate(&r, o);
        prop_assert!(rate.deconstruct() <= 1_000_000_000);
        // ⌊parts · bonded / 10⁹⌋ computed independently in 256 bits.
        let want = sp_arithmetic::helpers_128bit::multiply_by_rational_with_rounding(
            bonded, u128::from(rate.deconstruct()), 1_000_000_000, sp_arithmetic::Rounding::Down,
        ).unwrap();
        prop_assert_eq!(s.slashed, want);
        if !(has_reporter && o.is_miner()) {
            prop_assert_eq!(s.reporter_reward, 0);
        }
        let back = refund(&s);
        prop_assert_eq!(back.returned, s.slashed);
        prop_assert_eq!(back.from_reporter, s.reporter_reward);
        prop_assert_eq!(back.reminted, s.burned);
        prop_assert_eq!(back.returned, back.from_reporter + back.reminted);
    }

    /// Over a whole epoch of settlements the totals balance too (no rounding drifts into or out
    /// of the books).
    #[test]
    fn epoch_totals_balance(
        r in rates(),
        cases in prop::collection::vec((offence(), 0u128..u128::from(u64::MAX), any::<bool>()), 0..64),
    ) {
        let (mut slashed, mut paid, mut burned) = (0u128, 0u128, 0u128);
        for (o, bonded, reporter) in cases {
            let s = settle(&r, o, bonded, reporter);
            slashed += s.slashed;
            paid += s.reporter_reward;
            burned += s.burned;
        }
        prop_assert_eq!(slashed, paid + burned);
    }
}
