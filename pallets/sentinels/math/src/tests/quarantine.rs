//! Quarantine lengths and deregistration.

use proptest::prelude::*;

use crate::{may_release, quarantine_epochs, sanction, QuarantineParams, Sanction};

#[test]
fn lengths_and_deregistration_by_hand() {
    let p = QuarantineParams::default();
    let lengths: Vec<u32> = (0..8).map(|k| quarantine_epochs(&p, k)).collect();
    assert_eq!(lengths, vec![2, 4, 8, 16, 32, 64, 64, 64]);
    assert_eq!(quarantine_epochs(&p, u32::MAX), 64);
    // First offence at epoch 100: quarantined for 2, release from epoch 102.
    assert_eq!(sanction(&p, 100, &[]), Sanction::Quarantine { until: 102 });
    assert!(!may_release(101, 102));
    assert!(may_release(102, 102));
    // Second within the window: 4 epochs.
    assert_eq!(
        sanction(&p, 110, &[100]),
        Sanction::Quarantine { until: 114 }
    );
    // Third within 30 epochs (100, 110, 129): deregistered.
    assert_eq!(sanction(&p, 129, &[100, 110]), Sanction::Deregister);
    // At 130 the first fell out of the window: doubled twice instead.
    assert_eq!(
        sanction(&p, 130, &[100, 110]),
        Sanction::Quarantine { until: 138 }
    );
    // Future entries are ignored.
    assert_eq!(
        sanction(&p, 100, &[150, 160]),
        Sanction::Quarantine { until: 102 }
    );
    // Saturation at the end of time.
    assert_eq!(
        sanction(&p, u64::MAX, &[]),
        Sanction::Quarantine { until: u64::MAX }
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_096, ..ProptestConfig::default() })]

    /// Lengths are at least 1 and at most the cap, never shrink with more priors, and double
    /// exactly until the cap. Deregistration happens exactly when `deregister_after` offences
    /// (this one included) fall within the window.
    #[test]
    fn sanction_follows_the_policy(
        base in 0u32..100,
        max in 0u32..10_000,
        after in 0u32..6,
        window in prop_oneof![3 => 0u64..40, 1 => any::<u64>()],
        now in prop_oneof![3 => 0u64..200, 1 => any::<u64>()],
        // Past offences as distances back from `now` (often right at the window's edge), and
        // some after `now`, which must be ignored.
        back in prop::collection::vec(0u64..60, 0..8),
        ahead in prop::collection::vec(1u64..10, 0..2),
        prior in 0u32..40,
    ) {
        let mut past: Vec<u64> = back.iter().map(|&d| now.saturating_sub(d)).collect();
        past.extend(ahead.iter().filter_map(|&d| now.checked_add(d)));
        let p = QuarantineParams { base_epochs: base, max_epochs: max, deregister_after: after, window_epochs: window };
        let len = quarantine_epochs(&p, prior);
        prop_assert!(len >= 1 && (len <= max || max == 0));
        prop_assert!(quarantine_epochs(&p, prior + 1) >= len);
        let exact = u64::from(base) << prior.min(32);
        if exact <= u64::from(max) && exact >= 1 {
            prop_assert_eq!(u64::from(len), exact);
        }
        let in_window = past.iter().filter(|&&e| e <= now && now - e < window).count() as u32;
        match sanction(&p, now, &past) {
            Sanction::Deregister => prop_assert!(in_window + 1 >= after.max(1)),
            Sanction::Quarantine { until } => {
                prop_assert!(in_window + 1 < after.max(1));
                let prior = past.iter().filter(|&&e| e <= now).count() as u32;
                prop_assert_eq!(until, now.saturating_add(u64::from(quarantine_epochs(&p, prior))));
            }
        }
    }
}
