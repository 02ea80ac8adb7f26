//! Tests of the registry: launch values, every rule by name, the slash-rate ranges and the
//! audit-window rule, and the SCALE and JSON shapes pinned.

use super::*;

type Params = GovernedParameters<u128, u32>;

/// No audit window, so the voting period is the unbonding period's binding rule.
const LIMITS: ParameterLimits<u32> = ParameterLimits {
    voting_period: 100,
    max_committee_size: 64,
    audit_window_epochs: 0,
    audit_window_blocks: 0,
};

/// The runtime's audit window: a slash waits at most 3 epochs and 1,200 blocks.
const AUDITED: ParameterLimits<u32> = ParameterLimits {
    audit_window_epochs: 3,
    audit_window_blocks: 1_200,
    ..LIMITS
};

fn with(value: ParameterValue<u128, u32>) -> Result<Params, ParameterError> {
    let mut p = Params::default();
    value.apply_to(&mut p)?;
    p.validate(&LIMITS).map(|_| p)
}

#[test]
fn defaults_are_valid_and_match_the_launch_economy() {
    let p = Params::default();
    assert_eq!(p.validate(&LIMITS), Ok(()));
    assert_eq!(p.emission_split, EmissionSplit::default());
    assert_eq!(p.block_emission, MIND);
    assert_eq!(p.halving_interval, 10_512_000);
    assert_eq!(p.burn_increase_factor, FixedU128::from_rational(12, 10));
    assert_eq!(p.unbonding_period, 100_800);
    assert_eq!((p.sentinel_committee_size, p.sentinel_threshold), (7, 5));
    assert_eq!(p.sentinel_quarantine_epochs, 2);
    assert_eq!(p.sentinel_slash_rates(), SlashRates::default());
    assert_eq!(p.validate(&AUDITED), Ok(()));
}

#[test]
fn each_nonsense_value_is_named() {
    use ParameterError::*;
    use ParameterValue as V;
    let bad_split = EmissionSplit {
        owner: Perbill::from_percent(20),
        miners: Perbill::from_percent(41),
        validators: Perbill::from_percent(41),
    };
    let mut empty_bounds = Params::default().hyperparameter_bounds;
    empty_bounds.tempo = Range { min: 10, max: 9 };
    let cases: &[(V<u128, u32>, ParameterError)] = &[
        (V::EmissionSplit(bad_split), EmissionSplitNotHundredPercent),
        (V::HalvingInterval(0), ZeroHalvingInterval),
        (
            V::BurnIncreaseFactor(FixedU128::one()),
            BurnIncreaseNotAboveOne,
        ),
        (V::BurnHalfLife(0), ZeroBurnHalfLife),
        (V::BurnFloor(0), ZeroBurnFloor),
        (V::SubnetLockBase(0), ZeroSubnetLockBase),
        (V::UnbondingPeriod(0), UnbondingNotLongerThanVoting),
        (V::UnbondingPeriod(100), UnbondingNotLongerThanVoting),
        (
            V::HyperparameterBounds(empty_bounds),
            InvalidHyperparameterBounds,
        ),
        (
            V::SentinelCommittee {
                size: 3,
                threshold: 3,
            },
            CommitteeTooSmall,
        ),
        (
            V::SentinelCommittee {
                size: 65,
                threshold: 65,
            },
            CommitteeTooLarge,
        ),
        (
            V::SentinelCommittee {
                size: 6,
                threshold: 4,
            },
            ThresholdNotSupermajority,
        ),
        (
            V::SentinelCommittee {
                size: 6,
                threshold: 7,
            },
            ThresholdAboveCommittee,
        ),
        (V::SentinelQuarantineEpochs(0), ZeroQuarantineEpochs),
    ];
    for (value, expected) in cases {
        assert_eq!(with(value.clone()), Err(*expected), "{value:?}");
    }
    let params = Hyperparameters {
        tempo: 100,
        max_neurons: 8,
        max_validators: 2,
        immunity_period: 0,
        min_validator_stake: 0u128,
        commit_reveal: true,
    };
    assert_eq!(
        with(V::SubnetHyperparameters(params)),
        Err(NotANetworkParameter)
    );
}

#[test]
fn sensible_values_are_accepted_and_written() {
    use ParameterValue as V;
    let split = EmissionSplit {
        owner: Perbill::from_percent(10),
        miners: Perbill::from_percent(45),
        validators: Perbill::from_percent(45),
    };
    assert_eq!(with(V::EmissionSplit(split)).unwrap().emission_split, split);
    assert_eq!(with(V::UnbondingPeriod(101)).unwrap().unbonding_period, 101);
    // The smallest committee: 3 of 4 is above two thirds (9 > 8), 2 of 4 is not.
    assert!(with(V::SentinelCommittee {
        size: 4,
        threshold: 3
    })
    .is_ok());
    assert_eq!(
        with(V::SentinelCommittee {
            size: 4,
            threshold: 2
        }),
        Err(ParameterError::ThresholdNotSupermajority)
    );
    let p = with(V::SentinelCommittee {
        size: 10,
        threshold: 7,
    })
    .unwrap();
    assert_eq!((p.sentinel_committee_size, p.sentinel_threshold), (10, 7));
    assert_eq!(
        with(V::SentinelReporterShare(Perbill::zero()))
            .unwrap()
            .sentinel_reporter_share,
        Perbill::zero()
    );
}

#[test]
fn sentinel_threshold_is_strictly_above_two_thirds() {
    // 7 members: 5 is the smallest threshold (15 > 14), 4 is not (12 > 14 fails).
    assert_eq!(check_sentinel_threshold(7, 5), Ok(()));
    assert_eq!(
        check_sentinel_threshold(7, 4),
        Err(ParameterError::ThresholdNotSupermajority)
    );
    // 6 members: exactly two thirds (4) is not enough.
    assert_eq!(
        check_sentinel_threshold(6, 4),
        Err(ParameterError::ThresholdNotSupermajority)
    );
    assert_eq!(check_sentinel_threshold(6, 5), Ok(()));
    assert_eq!(check_sentinel_threshold(u32::MAX, u32::MAX), Ok(()));
}

#[test]
fn block_emission_halves_per_interval_and_reaches_zero() {
    let mut p = Params {
        halving_interval: 10,
        ..Default::default()
    };
    assert_eq!(p.block_emission_at(0), MIND);
    assert_eq!(p.block_emission_at(9), MIND);
    assert_eq!(p.block_emission_at(10), MIND / 2);
    assert_eq!(p.block_emission_at(35), MIND / 8);
    assert_eq!(p.block_emission_at(10 * 200), 0);
    assert_eq!(p.block_emission_at(u64::MAX), 0);
    p.halving_interval = 0;
    assert_eq!(p.block_emission_at(1_000), MIND, "no interval, no halving");
}

#[test]
fn registry_json_round_trips() {
    let p = Params::default();
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["emissionSplit"]["owner"], 180_000_000);
    assert_eq!(json["sentinelCommitteeSize"], 7);
    let back: Params = serde_json::from_value(json).unwrap();
    assert_eq!(back, p);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One value of every `ParameterValue` variant, in declaration order, none of them a
/// default, so that each field's encoding shows.
fn one_of_each() -> Vec<ParameterValue<u128, u32>> {
    use ParameterValue as V;
    let mut bounds = Params::default().hyperparameter_bounds;
    bounds.tempo = Range { min: 11, max: 12 };
    bounds.min_validator_stake = Range {
        min: 3,
        max: ABOVE_2_53,
    };
    vec![
        V::EmissionSplit(EmissionSplit {
            owner: Perbill::from_percent(10),
            miners: Perbill::from_percent(45),
            validators: Perbill::from_percent(45),
        }),
        V::BlockEmission(ABOVE_2_53),
        V::HalvingInterval(7),
        V::BurnIncreaseFactor(FixedU128::from_rational(3, 2)),
        V::BurnHalfLife(9),
        V::BurnFloor(u128::MAX),
        V::SubnetLockBase(5),
        V::SubnetLockPerSubnet(6),
        V::UnbondingPeriod(101),
        V::HyperparameterBounds(bounds),
        V::SentinelCommittee {
            size: 10,
            threshold: 7,
        },
        V::SentinelQuarantineEpochs(4),
        V::SentinelReporterShare(Perbill::from_percent(25)),
        V::SubnetHyperparameters(Hyperparameters {
            tempo: 100,
            max_neurons: 8,
            max_validators: 2,
            immunity_period: 1,
            min_validator_stake: 12,
            commit_reveal: true,
        }),
        V::Kappa(Perbill::from_percent(60)),
        V::ActivityCutoff(9),
        V::SentinelProvenSlash(Perbill::from_percent(7)),
        V::SentinelJudgedSlash(Perbill::from_parts(200_000)),
        V::SentinelOverturnedSlash(Perbill::from_percent(1)),
        V::SentinelClearedSlash(Perbill::from_percent(4)),
        V::SentinelCorrelationFactor(2),
    ]
}

#[test]
fn kappa_keeps_the_majority_guarantee_and_the_cutoff_forgives_a_missed_epoch() {
    use ParameterValue as V;
    let refused = |v| with(v).err();
    assert_eq!(
        refused(V::Kappa(Perbill::from_percent(49))),
        Some(ParameterError::KappaOutOfRange)
    );
    assert_eq!(
        refused(V::Kappa(Perbill::from_percent(67))),
        Some(ParameterError::KappaOutOfRange)
    );
    assert_eq!(refused(V::Kappa(KAPPA_RANGE.min)), None);
    assert_eq!(refused(V::Kappa(KAPPA_RANGE.max)), None);
    assert_eq!(
        refused(V::ActivityCutoff(MIN_ACTIVITY_CUTOFF - 1)),
        Some(ParameterError::ActivityCutoffTooShort)
    );
    assert_eq!(refused(V::ActivityCutoff(MIN_ACTIVITY_CUTOFF)), None);
}

/// The SCALE bytes storage holds and the chain client decodes, pinned: reordering,
/// removing or retyping an entry of the table fails here.
#[test]
fn scale_encoding_is_pinned() {
    use codec::Encode;
    let registry = [
        "0095ba0a801a7018801a70180010a5d4e800000000000000000000008066a00000007862a441a710",
        "0000000000000000403800000010a5d4e8000000000000000000000000407a10f35a000000000000",
        "0000000000a0724e180900000000000000000000c08901000a004038010000100100400000000000",
        "c08901000010a5d4e80000000000000000000000000064a7b3b6e00d000000000000000007000000",
        "050000000200000000e1f5050065cd1d0400000080f0fa02a086010040420f00002d3101",
        "03000000",
    ]
    .concat();
    assert_eq!(hex(&Params::default().encode()), registry);
    let values = [
        "0000e1f5058074d21a8074d21a",
        "0101000000000020000000000000000000",
        "0207000000",
        "030000167b0d12d1140000000000000000",
        "0409000000",
        "05ffffffffffffffffffffffffffffffff",
        "0605000000000000000000000000000000",
        "0706000000000000000000000000000000",
        "0865000000",
        concat!(
            "090b000c00010000100100400000000000c0890100030000000000000000000000000000000100",
            "0000000020000000000000000000",
        ),
        "0a0a00000007000000",
        "0b04000000",
        "0c80b2e60e",
        "0d640008000200010000000c00000000000000000000000000000001",
        "0e0046c323",
        "0f09000000",
        "10801d2c04",
        "11400d0300",
        "1280969800",
        "13005a6202",
        "1402000000",
    ];
    let all = one_of_each();
    assert_eq!(all.len(), values.len());
    for (index, (value, bytes)) in all.iter().zip(values).enumerate() {
        assert_eq!(hex(&value.encode()), bytes, "{value:?}");
        assert_eq!(value.parameter().encode(), [index as u8], "{value:?}");
    }
    // The pallet reports these inside `Error::InvalidParameter`; the chain client decodes
    // them by position too.
    assert_eq!(ParameterError::EmissionSplitNotHundredPercent.encode(), [0]);
    assert_eq!(ParameterError::NotANetworkParameter.encode(), [13]);
}

/// The JSON the node RPC (`mindos_parameters`) and chain specs show, pinned.
#[test]
fn json_shape_is_pinned() {
    assert_eq!(
        serde_json::to_string(&Params::default()).unwrap(),
        concat!(
            r#"{"emissionSplit":{"owner":180000000,"miners":410000000,"#,
            r#""validators":410000000},"blockEmission":"1000000000000","#,
            r#""halvingInterval":10512000,"burnIncreaseFactor":"1200000000000000000","#,
            r#""burnHalfLife":14400,"burnFloor":"1000000000000","#,
            r#""subnetLockBase":"100000000000000","#,
            r#""subnetLockPerSubnet":"10000000000000","unbondingPeriod":100800,"#,
            r#""hyperparameterBounds":{"tempo":{"min":10,"max":14400},"#,
            r#""max_neurons":{"min":1,"max":4096},"max_validators":{"min":1,"max":64},"#,
            r#""immunity_period":{"min":0,"max":100800},"#,
            r#""min_validator_stake":{"min":"1000000000000","#,
            r#""max":"1000000000000000000"}},"sentinelCommitteeSize":7,"#,
            r#""sentinelThreshold":5,"sentinelQuarantineEpochs":2,"#,
            r#""sentinelReporterShare":100000000,"kappa":500000000,"activityCutoff":4,"#,
            r#""sentinelProvenSlash":50000000,"sentinelJudgedSlash":100000,"#,
            r#""sentinelOverturnedSlash":1000000,"sentinelClearedSlash":20000000,"#,
            r#""sentinelCorrelationFactor":3}"#,
        )
    );
    let values = [
        r#"{"emissionSplit":{"owner":100000000,"miners":450000000,"validators":450000000}}"#,
        r#"{"blockEmission":"9007199254740993"}"#,
        r#"{"halvingInterval":7}"#,
        r#"{"burnIncreaseFactor":"1500000000000000000"}"#,
        r#"{"burnHalfLife":9}"#,
        r#"{"burnFloor":"340282366920938463463374607431768211455"}"#,
        r#"{"subnetLockBase":"5"}"#,
        r#"{"subnetLockPerSubnet":"6"}"#,
        r#"{"unbondingPeriod":101}"#,
        concat!(
            r#"{"hyperparameterBounds":{"tempo":{"min":11,"max":12},"#,
            r#""max_neurons":{"min":1,"max":4096},"max_validators":{"min":1,"max":64},"#,
            r#""immunity_period":{"min":0,"max":100800},"#,
            r#""min_validator_stake":{"min":"3","max":"9007199254740993"}}}"#,
        ),
        r#"{"sentinelCommittee":{"size":10,"threshold":7}}"#,
        r#"{"sentinelQuarantineEpochs":4}"#,
        r#"{"sentinelReporterShare":250000000}"#,
        concat!(
            r#"{"subnetHyperparameters":{"tempo":100,"max_neurons":8,"max_validators":2,"#,
            r#""immunity_period":1,"min_validator_stake":"12","#,
            r#""commit_reveal":true}}"#,
        ),
        r#"{"kappa":600000000}"#,
        r#"{"activityCutoff":9}"#,
        r#"{"sentinelProvenSlash":70000000}"#,
        r#"{"sentinelJudgedSlash":200000}"#,
        r#"{"sentinelOverturnedSlash":10000000}"#,
        r#"{"sentinelClearedSlash":40000000}"#,
        r#"{"sentinelCorrelationFactor":2}"#,
    ];
    let all = one_of_each();
    assert_eq!(all.len(), values.len());
    for (value, json) in all.iter().zip(values) {
        assert_eq!(serde_json::to_string(value).unwrap(), json);
        assert_eq!(
            &serde_json::from_str::<ParameterValue<u128, u32>>(json).unwrap(),
            value
        );
    }
}

/// 2^53 + 1 planck: the first integer a JavaScript number cannot hold exactly.
const ABOVE_2_53: u128 = 9_007_199_254_740_993;

#[test]
fn registry_balances_are_decimal_strings() {
    let p = Params::default();
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["blockEmission"], "1000000000000");
    assert_eq!(json["burnFloor"], "1000000000000");
    assert_eq!(json["subnetLockBase"], "100000000000000");
    assert_eq!(json["subnetLockPerSubnet"], "10000000000000");
    assert_eq!(
        json["hyperparameterBounds"]["min_validator_stake"],
        serde_json::json!({"min": "1000000000000", "max": "1000000000000000000"})
    );
    // Block numbers, counts and ranges of small integers stay JSON numbers.
    assert_eq!(json["halvingInterval"], 10_512_000);
    assert_eq!(json["unbondingPeriod"], 100_800);
    assert_eq!(json["hyperparameterBounds"]["tempo"]["max"], 14_400);
    assert_eq!(serde_json::from_value::<Params>(json).unwrap(), p);

    // Amounts a JavaScript number would round keep every digit.
    let big = Params {
        block_emission: ABOVE_2_53,
        burn_floor: u128::MAX,
        ..Params::default()
    };
    let text = serde_json::to_string(&big).unwrap();
    assert!(
        text.contains("\"blockEmission\":\"9007199254740993\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("\"burnFloor\":\"{}\"", u128::MAX)),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<Params>(&text).unwrap(), big);
}

#[test]
fn parameter_value_balances_are_decimal_strings() {
    use ParameterValue as V;
    let value: V<u128, u32> = V::BlockEmission(ABOVE_2_53);
    let json = serde_json::to_value(&value).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"blockEmission": "9007199254740993"})
    );
    assert_eq!(serde_json::from_value::<V<u128, u32>>(json).unwrap(), value);

    let cases: &[(V<u128, u32>, serde_json::Value)] = &[
        (
            V::BurnFloor(u128::MAX),
            serde_json::json!({"burnFloor": u128::MAX.to_string()}),
        ),
        (
            V::SubnetLockBase(ABOVE_2_53),
            serde_json::json!({"subnetLockBase": "9007199254740993"}),
        ),
        (
            V::SubnetLockPerSubnet(1),
            serde_json::json!({"subnetLockPerSubnet": "1"}),
        ),
        (
            V::HalvingInterval(7),
            serde_json::json!({"halvingInterval": 7}),
        ),
        (
            V::SubnetHyperparameters(Hyperparameters {
                tempo: 100,
                max_neurons: 8,
                max_validators: 2,
                immunity_period: 0,
                min_validator_stake: ABOVE_2_53,
                commit_reveal: true,
            }),
            serde_json::json!({"subnetHyperparameters": {
                "tempo": 100,
                "max_neurons": 8,
                "max_validators": 2,
                "immunity_period": 0,
                "min_validator_stake": "9007199254740993",
                "commit_reveal": true
            }}),
        ),
        (
            V::HyperparameterBounds(Params::default().hyperparameter_bounds),
            serde_json::json!({"hyperparameterBounds": {
                "tempo": {"min": 10, "max": 14_400},
                "max_neurons": {"min": 1, "max": 4096},
                "max_validators": {"min": 1, "max": 64},
                "immunity_period": {"min": 0, "max": 100_800},
                "min_validator_stake": {"min": "1000000000000", "max": "1000000000000000000"}
            }}),
        ),
    ];
    for (value, expected) in cases {
        let json = serde_json::to_value(value).unwrap();
        assert_eq!(&json, expected, "{value:?}");
        assert_eq!(
            &serde_json::from_value::<V<u128, u32>>(json).unwrap(),
            value
        );
    }
    // Plain JSON numbers (hand-written chain specs) still parse.
    assert_eq!(
        serde_json::from_value::<V<u128, u32>>(serde_json::json!({"burnFloor": 5})).unwrap(),
        V::BurnFloor(5)
    );
}

#[test]
fn each_slash_rate_outside_its_range_is_named() {
    use ParameterError::*;
    use ParameterValue as V;
    let cases: &[(V<u128, u32>, ParameterError)] = &[
        (
            V::SentinelProvenSlash(Perbill::from_parts(9_999_999)),
            ProvenSlashOutOfRange,
        ),
        (
            V::SentinelJudgedSlash(Perbill::from_parts(10_000_001)),
            JudgedSlashOutOfRange,
        ),
        (
            V::SentinelOverturnedSlash(Perbill::from_parts(500_000_001)),
            SentinelSlashOutOfRange,
        ),
        (
            V::SentinelClearedSlash(Perbill::from_percent(51)),
            SentinelSlashOutOfRange,
        ),
        (V::SentinelCorrelationFactor(0), CorrelationFactorOutOfRange),
        (
            V::SentinelCorrelationFactor(11),
            CorrelationFactorOutOfRange,
        ),
        // 2 % × 10 is fine, 40 % × 3 is not.
        (
            V::SentinelClearedSlash(Perbill::from_percent(40)),
            CorrelatedSlashAboveWholeStake,
        ),
        (
            V::SentinelReporterShare(Perbill::from_parts(500_000_001)),
            ReporterShareOutOfRange,
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(with(value.clone()), Err(*expected), "{value:?}");
    }
    // The bounds themselves are accepted.
    let accepted = [
        V::SentinelProvenSlash(PROVEN_SLASH_RANGE.min),
        V::SentinelProvenSlash(PROVEN_SLASH_RANGE.max),
        V::SentinelJudgedSlash(JUDGED_SLASH_RANGE.min),
        V::SentinelJudgedSlash(JUDGED_SLASH_RANGE.max),
        V::SentinelCorrelationFactor(CORRELATION_FACTOR_RANGE.min),
        V::SentinelCorrelationFactor(CORRELATION_FACTOR_RANGE.max),
        V::SentinelReporterShare(REPORTER_SHARE_RANGE.max),
    ];
    for value in accepted {
        assert!(with(value.clone()).is_ok(), "{value:?}");
    }
    // A correlated slash of exactly 100 %: 50 % × 2.
    let mut p = Params {
        sentinel_overturned_slash: Perbill::from_percent(50),
        sentinel_correlation_factor: 2,
        ..Params::default()
    };
    assert_eq!(p.validate(&LIMITS), Ok(()));
    p.sentinel_correlation_factor = 3;
    assert_eq!(p.validate(&LIMITS), Err(CorrelatedSlashAboveWholeStake));
}

#[test]
fn the_slash_rates_the_sentinels_pallet_reads_are_the_governed_ones() {
    let p = with(ParameterValue::SentinelCorrelationFactor(1)).unwrap();
    let p = Params {
        sentinel_judged_slash: Perbill::from_percent(1),
        ..p
    };
    let rates = p.sentinel_slash_rates();
    assert_eq!(rates.correlation_factor, 1);
    assert_eq!(rates.miner_judged, Perbill::from_percent(1));
    assert_eq!(
        rates,
        SlashRates {
            correlation_factor: 1,
            miner_judged: Perbill::from_percent(1),
            ..SlashRates::default()
        }
    );
}

#[test]
fn the_unbonding_period_outlasts_the_audit_window_at_the_slowest_tempo() {
    use ParameterValue as V;
    let with_audit = |value: V<u128, u32>| {
        let mut p = Params::default();
        value.apply_to(&mut p)?;
        p.validate(&AUDITED)
    };
    // 3 epochs of 14,401 blocks and 1,200 blocks: 44,403.
    assert_eq!(AUDITED.audit_window_at(14_400), 44_403);
    assert_eq!(Params::default().validate(&AUDITED), Ok(()));
    assert_eq!(
        with_audit(V::UnbondingPeriod(44_403)),
        Err(ParameterError::UnbondingNotLongerThanAuditWindow)
    );
    assert_eq!(with_audit(V::UnbondingPeriod(44_404)), Ok(()));
    // Raising the slowest tempo lengthens the window to the launch unbonding period
    // (100,800 blocks): 3 · (33,199 + 1) + 1,200 = 100,800.
    let mut bounds = Params::default().hyperparameter_bounds;
    bounds.tempo.max = 33_199;
    assert_eq!(
        with_audit(V::HyperparameterBounds(bounds.clone())),
        Err(ParameterError::UnbondingNotLongerThanAuditWindow)
    );
    bounds.tempo.max = 33_198;
    assert_eq!(with_audit(V::HyperparameterBounds(bounds)), Ok(()));
    // The largest window saturates instead of wrapping.
    let huge = ParameterLimits::<u32> {
        audit_window_epochs: u32::MAX,
        audit_window_blocks: u64::MAX,
        ..LIMITS
    };
    assert_eq!(huge.audit_window_at(u16::MAX), u64::MAX);
}
