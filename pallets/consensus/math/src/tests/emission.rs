//! Hand-computed payouts.

use crate::{pro_rata, split_emission, EmissionSplit, Perbill, SplitError};

#[test]
fn default_split_is_valid() {
    let split = EmissionSplit::default();
    assert_eq!(split.owner, Perbill::from_percent(18));
    assert_eq!(split.miners, Perbill::from_percent(41));
    assert_eq!(split.validators, Perbill::from_percent(41));
    assert_eq!(split.validate(), Ok(()));
}

#[test]
fn split_not_summing_to_one_is_rejected() {
    let short = EmissionSplit {
        validators: Perbill::from_percent(40),
        ..Default::default()
    };
    assert_eq!(short.validate(), Err(SplitError::NotHundredPercent));
    let over = EmissionSplit {
        validators: Perbill::from_percent(42),
        ..Default::default()
    };
    assert_eq!(over.validate(), Err(SplitError::NotHundredPercent));
}

#[test]
fn pro_rata_by_largest_remainder() {
    // 10 / 3 = 3 rem 1 each: the single leftover unit goes to the lowest index.
    assert_eq!(pro_rata(10, &[1, 1, 1]), [4, 3, 3]);
    // 10 · (1, 2, 4) / 7 = 1.43, 2.86, 5.71: floors 1, 2, 5, two left over, to 2.86 and 5.71.
    assert_eq!(pro_rata(10, &[1, 2, 4]), [1, 3, 6]);
    assert_eq!(pro_rata(10, &[0, 0]), [0, 0]);
    assert_eq!(pro_rata(10, &[]), Vec::<u128>::new());
    assert_eq!(pro_rata(0, &[5, 5]), [0, 0]);
    assert_eq!(
        pro_rata(u128::MAX, &[1, 1]),
        [u128::MAX / 2 + 1, u128::MAX / 2]
    );
    // Σ shares overflows: shares are shifted by 2 bits first (3, 1 → …), still exact.
    let paid = pro_rata(1_000, &[u128::MAX, u128::MAX / 3]);
    assert_eq!(paid, [750, 250]);
}

#[test]
fn split_emission_by_hand() {
    let split = EmissionSplit::default();
    let payout = split_emission(1_000, &split, &[1, 3], &[2, 0, 2]);
    assert_eq!(payout.owner, 180);
    // 410 · ¼ = 102.5, 410 · ¾ = 307.5: equal remainders, the unit goes to the larger share.
    assert_eq!(payout.miners, [102, 308]);
    assert_eq!(payout.validators, [205, 0, 205]);
    assert_eq!(payout.carried, 0);

    // Dust from the floored cuts is carried: 18%/41%/41% of 7 = 1.26, 2.87, 2.87 → 1, 2, 2.
    let payout = split_emission(7, &split, &[1], &[1]);
    assert_eq!(
        (payout.owner, payout.miners[0], payout.validators[0]),
        (1, 2, 2)
    );
    assert_eq!(payout.carried, 2);
}

#[test]
fn pools_without_shares_are_carried() {
    let split = EmissionSplit::default();
    let payout = split_emission(1_000, &split, &[0, 0], &[3]);
    assert_eq!(payout.miners, [0, 0]);
    assert_eq!(payout.validators, [410]);
    assert_eq!(payout.carried, 410);
    let payout = split_emission(1_000, &split, &[], &[]);
    assert_eq!(payout.owner, 180);
    assert_eq!(payout.carried, 820);
}

#[test]
fn invalid_split_never_overpays() {
    let greedy = EmissionSplit {
        owner: Perbill::one(),
        miners: Perbill::one(),
        validators: Perbill::one(),
    };
    let payout = split_emission(u128::MAX, &greedy, &[1], &[1]);
    assert_eq!(payout.owner, u128::MAX);
    assert_eq!(payout.miners, [0]);
    assert_eq!(payout.validators, [0]);
    assert_eq!(payout.carried, 0);
}
