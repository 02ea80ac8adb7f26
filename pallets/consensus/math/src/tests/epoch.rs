//! Hand-computed epochs.

use super::*;

/// Three validators × three miners, kappa 50%, no previous bonds, alpha 10%.
///
/// Stakes 50, 30, 20 (S = 100, quorum 50). Raw weights → normalised (parts):
///   V0: 6, 3, 1 → 600M, 300M, 100M
///   V1: 5, 5, – → 500M, 500M, 0
///   V2: –, 2, 8 → 0,    200M, 800M
/// Consensus (weights descending, running stake, first to reach 50):
///   uid 0: 600M (50) → C = 600M
///   uid 1: 500M (30), 300M (80) → C = 300M
///   uid 2: 800M (20), 100M (70) → C = 100M
/// Clipped rows: V0 600M 300M 100M (VT 1e9), V1 500M 300M 0 (VT 800M), V2 0 200M 100M (VT 300M).
/// Ranks (stake · clipped): R = 45e9, 28e9, 7e9; Σ = 80e9 → I = 562.5M, 350M, 87.5M.
/// Unclipped: U = 45e9, 34e9, 21e9 → T = 1e9, ⌊28/34⌋ = 823_529_411, ⌊7/21⌋ = 333_333_333.
/// ΔB (stake · clipped / R, floored):
///   uid 0: 30/45 → 666_666_666, 15/45 → 333_333_333
///   uid 1: 15/28 → 535_714_285, 9/28 → 321_428_571, 4/28 → 142_857_142
///   uid 2: 5/7 → 714_285_714, 2/7 → 285_714_285
/// EMA = 10% · ΔB; column sums 999_999_999, 999_999_998, 999_999_999 (× 10⁸); normalising
/// ⌊ΔB · 10⁹ / column⌋ lifts uid 1's V0 entry to 535_714_286 and leaves the others.
/// Dividends D_i = Σ_j B'_ij I_j:
///   D0 = 666_666_666·562.5M + 535_714_286·350M + 714_285_714·87.5M = 624_999_999_700_000_000
///   D1 = 333_333_333·562.5M + 321_428_571·350M                       = 299_999_999_662_500_000
///   D2 = 142_857_142·350M + 285_714_285·87.5M                        =  74_999_999_637_500_000
///   Σ = 999_999_999_000_000_000 → 625_000_000, 299_999_999, 74_999_999.
/// Reputation from 0: ⌊10% · max(C, VT)⌋ (each uid here is both weighted and a validator) =
/// ⌊10% · max(600M, 1e9)⌋, ⌊10% · max(300M, 800M)⌋, ⌊10% · max(100M, 300M)⌋ = 100M, 80M, 30M.
#[test]
fn three_by_three_by_hand() {
    let epoch = Epoch::new(
        3,
        vec![
            Validator::new(0, 50, &[(0, 6), (1, 3), (2, 1)]),
            Validator::new(1, 30, &[(0, 5), (1, 5)]),
            Validator::new(2, 20, &[(1, 2), (2, 8)]),
        ],
    );
    let out = epoch.run();
    assert_eq!(
        parts(&out.consensus),
        [600_000_000, 300_000_000, 100_000_000]
    );
    assert_eq!(parts(&out.validator_trust), [ONE, 800_000_000, 300_000_000]);
    assert_eq!(out.rank, [45_000_000_000, 28_000_000_000, 7_000_000_000]);
    assert_eq!(
        parts(&out.incentive),
        [562_500_000, 350_000_000, 87_500_000]
    );
    assert_eq!(parts(&out.trust), [ONE, 823_529_411, 333_333_333]);
    assert_eq!(
        out.bonds,
        [
            vec![(0, 666_666_666), (1, 535_714_286), (2, 714_285_714)],
            vec![(0, 333_333_333), (1, 321_428_571)],
            vec![(1, 142_857_142), (2, 285_714_285)],
        ]
    );
    assert_eq!(
        out.dividend_shares,
        [
            624_999_999_700_000_000,
            299_999_999_662_500_000,
            74_999_999_637_500_000
        ]
    );
    assert_eq!(
        parts(&out.dividends),
        [625_000_000, 299_999_999, 74_999_999]
    );
    assert_eq!(
        parts(&out.reputation),
        [100_000_000, 80_000_000, 30_000_000]
    );
    assert_eq!(epoch.run_dense(), Some(out));
}

/// Two validators × two miners with previous bonds and reputation.
///
/// Stakes 3, 1 (quorum 2). V0 weights uid 0 only (1e9); V1 splits 500M / 500M.
/// uid 0: 1e9 (3) → C = 1e9. uid 1: 500M (1) never reaches 2 → C = 0.
/// R = 3.5e9, 0 → I = 1e9, 0; T = 1e9, 0 (V1's weight on uid 1 is clipped away).
/// ΔB on uid 0: 3/3.5 → 857_142_857, 0.5/3.5 → 142_857_142.
/// Old bonds: V0 (0: 400M, 1: 600M); V1 (0: 600M, 1: 400M, 7: ignored as 7 ≥ n).
/// EMA (parts²): uid 0: 10%·857_142_857 + 90%·400M = 445_714_285_700_000_000,
///                     10%·142_857_142 + 90%·600M = 554_285_714_200_000_000,
///               column 999_999_999_900_000_000 → 445_714_285, 554_285_714;
///               uid 1: 90%·600M, 90%·400M, column 9e17 → 600M, 400M (no ΔB: renormalised back).
/// D = 445_714_285·1e9, 554_285_714·1e9 → dividends ⌊D·1e9/ΣD⌋ = 445_714_285, 554_285_714.
/// Reputation from (50%, 100%), each uid's input max(C, VT): uid 0 max(1e9, 1e9),
/// ⌊10%·1e9 + 90%·500M⌋ = 550M; uid 1 max(0, 500M), ⌊10%·500M + 90%·1e9⌋ = 950M.
#[test]
fn bond_ema_with_previous_bonds_by_hand() {
    let mut epoch = Epoch::new(
        2,
        vec![
            Validator::new(0, 3, &[(0, 1)]).with_bonds(&[(0, 400_000_000), (1, 600_000_000)]),
            Validator::new(1, 1, &[(0, 1), (1, 1)]).with_bonds(&[
                (0, 600_000_000),
                (1, 400_000_000),
                (7, 5),
            ]),
        ],
    );
    epoch.reputation = vec![Perbill::from_percent(50), Perbill::one()];
    let out = epoch.run();
    assert_eq!(parts(&out.consensus), [ONE, 0]);
    assert_eq!(out.rank, [3_500_000_000, 0]);
    assert_eq!(parts(&out.incentive), [ONE, 0]);
    assert_eq!(parts(&out.trust), [ONE, 0]);
    assert_eq!(parts(&out.validator_trust), [ONE, 500_000_000]);
    assert_eq!(
        out.bonds,
        [
            vec![(0, 445_714_285), (1, 600_000_000)],
            vec![(0, 554_285_714), (1, 400_000_000)]
        ]
    );
    assert_eq!(
        out.dividend_shares,
        [445_714_285 * 1_000_000_000, 554_285_714 * 1_000_000_000]
    );
    assert_eq!(parts(&out.dividends), [445_714_285, 554_285_714]);
    assert_eq!(parts(&out.reputation), [550_000_000, 950_000_000]);
    assert_eq!(epoch.run_dense(), Some(out.clone()));

    // A floor of 500M drops every bond below it, and dividends follow the surviving bonds.
    epoch.params.bond_floor = 500_000_000;
    let floored = epoch.run();
    assert_eq!(
        floored.bonds,
        [vec![(1, 600_000_000)], vec![(0, 554_285_714)]]
    );
    assert_eq!(floored.dividend_shares, [0, 554_285_714 * 1_000_000_000]);
    assert_eq!(parts(&floored.dividends), [0, ONE]);
    assert_eq!(epoch.run_dense(), Some(floored));
}

/// Exactly kappa of the stake is enough; one part more is not.
#[test]
fn kappa_boundary_is_exact() {
    let mut epoch = Epoch::new(
        2,
        vec![
            Validator::new(0, 1, &[(0, 1)]),
            Validator::new(1, 1, &[(0, 1), (1, 1)]),
        ],
    );
    assert_eq!(parts(&epoch.run().consensus), [ONE, 500_000_000]);
    // One part more: uid 0 needs both validators; uid 1 has only V1's half behind it.
    epoch.params.kappa = Perbill::from_parts(500_000_001);
    assert_eq!(parts(&epoch.run().consensus), [500_000_000, 0]);
    epoch.params.kappa = Perbill::one();
    assert_eq!(parts(&epoch.run().consensus), [500_000_000, 0]);
    epoch.params.kappa = Perbill::zero();
    assert_eq!(parts(&epoch.run().consensus), [ONE, 500_000_000]);
}

/// A third of the stake colluding on one miner moves nothing.
#[test]
fn colluding_third_is_clipped() {
    let honest = [(0, 1), (1, 1), (2, 1)];
    let epoch = Epoch::new(
        4,
        vec![
            Validator::new(0, 1, &honest),
            Validator::new(1, 1, &honest),
            Validator::new(2, 1, &[(3, 1)]),
        ],
    );
    let out = epoch.run();
    assert_eq!(
        parts(&out.consensus),
        [333_333_333, 333_333_333, 333_333_333, 0]
    );
    assert_eq!(out.rank[3], 0);
    assert_eq!(
        parts(&out.incentive),
        [333_333_333; 3].into_iter().chain([0]).collect::<Vec<_>>()
    );
    assert_eq!(parts(&out.validator_trust), [999_999_999, 999_999_999, 0]);
    assert_eq!(out.dividend_shares[2], 0);
    assert!(out.bonds[2].is_empty());
}

/// Equal weights everywhere: consensus is the common weight and nothing is clipped.
#[test]
fn all_equal_weights() {
    let row = [(0, 7), (1, 7), (2, 7), (3, 7)];
    let epoch = Epoch::new(
        4,
        vec![
            Validator::new(0, 5, &row),
            Validator::new(1, 9, &row),
            Validator::new(2, 2, &row),
        ],
    );
    let out = epoch.run();
    assert_eq!(parts(&out.consensus), [250_000_000; 4]);
    assert_eq!(parts(&out.trust), [ONE; 4]);
    assert_eq!(parts(&out.incentive), [250_000_000; 4]);
    assert_eq!(parts(&out.validator_trust), [ONE; 3]);
    // Dividends are proportional to stake: 5/16, 9/16, 2/16.
    assert_eq!(
        parts(&out.dividends),
        [312_500_000, 562_500_000, 125_000_000]
    );
}

#[test]
fn empty_inputs() {
    let out = Epoch::new(0, Vec::new()).run();
    assert_eq!(out, EpochOutput::default());

    let out = Epoch::new(3, Vec::new()).run();
    assert_eq!(out.consensus, [Perbill::zero(); 3]);
    assert_eq!(out.rank, [0; 3]);
    assert!(out.dividends.is_empty());

    // Validators with no stake or no weights produce all-zero outputs.
    let out = Epoch::new(
        2,
        vec![
            Validator::new(0, 0, &[(0, 1)]),
            Validator::new(1, 10, &[(0, 0), (1, 0)]),
        ],
    )
    .run();
    assert_eq!(out.rank, [0, 0]);
    assert_eq!(parts(&out.incentive), [0, 0]);
    assert_eq!(parts(&out.dividends), [0, 0]);
    assert_eq!(out.bonds, [vec![], vec![]]);
    // The stakeless validator's weight would have been consensus; it still gets its trust
    // measured against the (zero) consensus.
    assert_eq!(parts(&out.validator_trust), [0, 0]);
}

/// Out-of-range, unsorted and duplicate entries are dropped by the documented rule.
#[test]
fn contract_breaking_rows_are_sanitised() {
    let garbage = Epoch::new(
        3,
        vec![
            Validator::new(0, 1, &[(1, 2), (0, 9), (1, 4), (2, 2), (9, 100)]).with_bonds(&[
                (2, u32::MAX),
                (2, 5),
                (0, 5),
            ]),
        ],
    );
    let clean = Epoch::new(
        3,
        vec![Validator::new(0, 1, &[(1, 2), (2, 2)]).with_bonds(&[(2, ONE)])],
    );
    assert_eq!(garbage.run(), clean.run());
    assert_eq!(garbage.run_dense(), Some(clean.run()));
}

/// Stakes too large for exact sums are shifted, consistently.
#[test]
fn huge_stakes_are_shifted() {
    let epoch = Epoch::new(
        2,
        vec![
            Validator::new(0, u128::MAX, &[(0, 1)]),
            Validator::new(1, u128::MAX / 3, &[(1, 1)]),
            Validator::new(1, 1, &[(1, 1)]),
        ],
    );
    let out = epoch.run();
    assert_eq!(parts(&out.consensus), [ONE, 0]);
    assert_eq!(parts(&out.incentive), [ONE, 0]);
    assert_eq!(parts(&out.dividends), [ONE, 0, 0]);
    // The stake of 1 vanishes under the shift, so it is treated as stakeless: no bonds.
    assert!(out.bonds[2].is_empty());
}

/// Reputation measures a validator by its validator trust. Validators (uids 0, 1, 2; stakes 40,
/// 30, 30) weigh only miners (uids 3, 4, 5), so no validator receives consensus:
///   V0, V1: 1:1 on uids 3 and 4 → 500M each;
///   V2: 1:3 on uids 4 and 5 → 250M, 750M.
/// Consensus: uid 3 500M (70 ≥ 50); uid 4 500M (V0 + V1 = 70); uid 5 750M (30) never reaches 50
/// → 0. VT: V0 = V1 = 1e9 (agree with consensus), V2 = 250M (its weight on uid 5 is clipped).
/// Reputation from 0 (10%): validators 100M, 100M, 25M; miners 50M, 50M, 0 (consensus alone).
#[test]
fn validator_reputation_is_its_validator_trust() {
    let mut epoch = Epoch::new(
        6,
        vec![
            Validator::new(0, 40, &[(3, 1), (4, 1)]),
            Validator::new(1, 30, &[(3, 1), (4, 1)]),
            Validator::new(2, 30, &[(4, 1), (5, 3)]),
        ],
    );
    let out = epoch.run();
    assert_eq!(
        parts(&out.consensus),
        [0, 0, 0, 500_000_000, 500_000_000, 0]
    );
    assert_eq!(parts(&out.validator_trust), [ONE, ONE, 250_000_000]);
    assert_eq!(
        parts(&out.reputation),
        [
            100_000_000,
            100_000_000,
            25_000_000,
            50_000_000,
            50_000_000,
            0
        ]
    );
    assert_eq!(epoch.run_dense(), Some(out.clone()));

    // Epoch after epoch the agreeing validators' reputation climbs towards their trust and the
    // clipped one's stays at a quarter of theirs (within rounding).
    for _ in 0..30 {
        epoch.reputation = epoch.run().reputation;
    }
    let out = epoch.run();
    let rep = parts(&out.reputation);
    assert!(rep[0] > 950_000_000 && rep[0] == rep[1], "{rep:?}");
    assert!(rep[2] > 237_000_000 && rep[2] <= 250_000_000, "{rep:?}");
    assert!(rep[3] > 475_000_000 && rep[3] <= 500_000_000, "{rep:?}");
    assert_eq!(epoch.run_dense(), Some(out));
}

/// A validator without stake (inactive or quarantined) earns no reputation, whatever it weighs;
/// one whose uid is out of range changes nothing.
#[test]
fn zero_stake_or_out_of_range_validators_earn_no_reputation() {
    let epoch = Epoch::new(
        3,
        vec![
            Validator::new(0, 10, &[(2, 1)]),
            Validator::new(1, 0, &[(2, 1)]),
            Validator::new(7, 10, &[(2, 1)]),
        ],
    );
    let out = epoch.run();
    assert_eq!(parts(&out.validator_trust), [ONE, ONE, ONE]);
    assert_eq!(parts(&out.reputation), [100_000_000, 0, 100_000_000]);
}
