//! Each governed parameter's value parsed in its units, refused when malformed, printed back
//! the way it is parsed, and encoded as the runtime's metadata expects.

use super::*;
use mindos_primitives::MIND;

/// The dev chain's registry as `mindos_parameters` returned it.
fn registry() -> Value {
    json!({
        "emissionSplit": {"owner": 180_000_000, "miners": 410_000_000, "validators": 410_000_000},
        "blockEmission": "1000000000000",
        "halvingInterval": 10_512_000,
        "burnIncreaseFactor": "1200000000000000000",
        "burnHalfLife": 86_400,
        "burnFloor": "1000000000000",
        "subnetLockBase": "100000000000000",
        "subnetLockPerSubnet": "10000000000000",
        "unbondingPeriod": 604_800,
        "hyperparameterBounds": {
            "tempo": {"min": 10, "max": 14_400},
            "max_neurons": {"min": 1, "max": 4096},
            "max_validators": {"min": 1, "max": 64},
            "immunity_period": {"min": 0, "max": 100_800},
            "min_validator_stake": {"min": "1000000000000", "max": "1000000000000000000"}
        },
        "sentinelCommitteeSize": 7,
        "sentinelThreshold": 5,
        "sentinelQuarantineEpochs": 2,
        "sentinelReporterShare": 100_000_000,
        "kappa": 500_000_000,
        "activityCutoff": 4,
        "sentinelProvenSlash": 50_000_000,
        "sentinelJudgedSlash": 100_000,
        "sentinelOverturnedSlash": 1_000_000,
        "sentinelClearedSlash": 20_000_000,
        "sentinelCorrelationFactor": 3
    })
}

fn set(name: &str, text: &str) -> anyhow::Result<Value> {
    let parameter = find(name)?;
    parse(parameter, text, &current(parameter, &registry())?)
}

#[test]
fn names_are_found_in_any_spelling_and_unknown_ones_list_the_valid_ones() {
    assert_eq!(find("unbonding-period").unwrap().key, "unbondingPeriod");
    assert_eq!(find("unbonding_period").unwrap().key, "unbondingPeriod");
    assert_eq!(find("UnbondingPeriod").unwrap().key, "unbondingPeriod");
    let unknown = find("voting-period").unwrap_err().to_string();
    assert!(
        unknown.contains("unknown parameter `voting-period`"),
        "{unknown}"
    );
    for parameter in &PARAMETERS {
        assert!(unknown.contains(parameter.name), "{unknown}");
    }
    let subnet = find("subnet-hyperparameters").unwrap_err().to_string();
    assert!(subnet.contains("set-hyperparameters NETUID"), "{subnet}");
}

#[test]
fn every_parameter_is_in_the_registry_and_round_trips_through_its_own_text() {
    for parameter in &PARAMETERS {
        let value = current(parameter, &registry()).unwrap();
        let text = format(parameter, &value);
        assert_eq!(
            parse(parameter, &text, &value).unwrap(),
            value,
            "{} `{text}`",
            parameter.name
        );
        to_call(parameter, &value).unwrap();
    }
}

#[test]
fn mind_amounts_take_decimals_exactly() {
    assert_eq!(
        set("burn-floor", "2.5").unwrap(),
        json!((5 * MIND / 2).to_string())
    );
    assert_eq!(set("block-emission", "0.000000000001").unwrap(), json!("1"));
    let err = set("burn-floor", "0.0000000000001")
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 12 decimals"), "{err}");
    assert!(set("subnet-lock-base", "-1").is_err());
    assert_eq!(
        format(find("burn-floor").unwrap(), &json!("2500000000000")),
        "2.5"
    );
}

#[test]
fn block_counts_and_epochs_are_whole_numbers_of_the_chains_width() {
    assert_eq!(set("unbonding-period", "700_000").unwrap(), json!(700_000));
    assert_eq!(set("activity-cutoff", "3").unwrap(), json!(3));
    for bad in ["1.5", "-3", "", "1e6", "7d", "_1"] {
        assert!(set("unbonding-period", bad).is_err(), "{bad:?}");
    }
    // BlockNumber is u32.
    let err = set("halving-interval", "4294967296")
        .unwrap_err()
        .to_string();
    assert!(err.contains("too large"), "{err}");
    assert_eq!(
        set("halving-interval", "4294967295").unwrap(),
        json!(u32::MAX)
    );
    let text = describe(find("unbonding-period").unwrap(), &json!(86_400), 1_000);
    assert_eq!(text, "86400 blocks (about 24 h 0 min)");
}

#[test]
fn shares_are_percentages_in_parts_per_billion() {
    assert_eq!(set("kappa", "60").unwrap(), json!(600_000_000));
    assert_eq!(set("kappa", "60 %").unwrap(), json!(600_000_000));
    assert_eq!(set("kappa", "66.6666667").unwrap(), json!(666_666_667));
    assert_eq!(
        set("sentinel-judged-slash", "0.01").unwrap(),
        json!(100_000)
    );
    assert!(set("kappa", "66.66666667").is_err(), "8 decimals");
    assert!(set("kappa", "101").is_err());
    assert!(set("kappa", "0.5ppb").is_err());
    assert_eq!(
        format(find("kappa").unwrap(), &json!(666_666_667)),
        "66.6666667"
    );
}

#[test]
fn the_burn_factor_is_a_decimal_with_up_to_18_places() {
    assert_eq!(
        set("burn-increase-factor", "1.25").unwrap(),
        json!("1250000000000000000")
    );
    assert_eq!(
        set("burn-increase-factor", "2").unwrap(),
        json!("2000000000000000000")
    );
    assert!(set("burn-increase-factor", "1.0000000000000000001").is_err());
    assert!(set("burn-increase-factor", "x").is_err());
    assert_eq!(format_factor(1_200_000_000_000_000_000), "1.2");
    let call = to_call(
        find("burn-increase-factor").unwrap(),
        &json!("1250000000000000000"),
    );
    assert!(matches!(
        call.unwrap(),
        ParameterValue::BurnIncreaseFactor(FixedU128(1_250_000_000_000_000_000))
    ));
}

#[test]
fn grouped_values_change_only_the_keys_given() {
    let split = set("emission-split", "owner=20,miners=40")
        .unwrap_err()
        .to_string();
    assert!(split.contains("is 101 %"), "validators stay 41 %: {split}");
    let err = set("emission-split", "owner=20,miners=41")
        .unwrap_err()
        .to_string();
    assert!(err.contains("sum to 100 %"), "{err}");
    assert!(err.contains("is 102 %"), "{err}");
    let ok = set("emission-split", "owner=20,miners=40,validators=40").unwrap();
    assert_eq!(
        ok,
        json!({"owner": 200_000_000, "miners": 400_000_000, "validators": 400_000_000})
    );

    let committee = set("sentinel-committee", "size=9, threshold=7").unwrap();
    assert_eq!(committee, json!({"size": 9, "threshold": 7}));
    assert!(matches!(
        to_call(find("sentinel-committee").unwrap(), &committee).unwrap(),
        ParameterValue::SentinelCommittee {
            size: 9,
            threshold: 7
        }
    ));

    let bounds = set(
        "hyperparameter-bounds",
        "tempo=20..7200,min-validator-stake=0.5..10",
    )
    .unwrap();
    assert_eq!(bounds["tempo"], json!({"min": 20, "max": 7200}));
    assert_eq!(
        bounds["min_validator_stake"],
        json!({"min": (MIND / 2).to_string(), "max": (10 * MIND).to_string()})
    );
    assert_eq!(bounds["max_neurons"], json!({"min": 1, "max": 4096}));
    assert!(
        set("hyperparameter-bounds", "tempo=100..10").is_err(),
        "empty range"
    );
    assert!(
        set("hyperparameter-bounds", "tempo=10..70000").is_err(),
        "u16"
    );
    assert!(
        set("hyperparameter-bounds", "tempo=10").is_err(),
        "not a range"
    );
    let unknown = set("hyperparameter-bounds", "epoch=1..2")
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("unknown key `epoch`"), "{unknown}");
    assert!(unknown.contains("min-validator-stake"), "{unknown}");
    assert!(set("sentinel-committee", "size=9,size=9").is_err(), "twice");
    assert!(set("sentinel-committee", "").is_err(), "nothing");
    assert!(set("sentinel-committee", "9").is_err(), "no key");
}

#[test]
fn calls_encode_what_was_parsed() {
    let kappa = to_call(find("kappa").unwrap(), &json!(600_000_000)).unwrap();
    assert!(matches!(kappa, ParameterValue::Kappa(Perbill(600_000_000))));
    let floor = to_call(find("burn-floor").unwrap(), &json!("2500000000000")).unwrap();
    assert!(matches!(
        floor,
        ParameterValue::BurnFloor(2_500_000_000_000)
    ));
    let period = to_call(find("unbonding-period").unwrap(), &json!(700_000)).unwrap();
    assert!(matches!(period, ParameterValue::UnbondingPeriod(700_000)));
    // Encoded as the runtime's metadata describes `propose`'s action: `SetParameter` is
    // variant 3, and a parameter's variant is its position in the pallet's table (append
    // only: unbonding period the ninth, kappa the fifteenth, after SubnetHyperparameters).
    assert_eq!(encoded(period), [3, 8, 0x60, 0xae, 0x0a, 0x00]);
    assert_eq!(encoded(kappa), [3, 14, 0x00, 0x46, 0xc3, 0x23]);
}

fn encoded(value: ParameterValue<u128, u32>) -> Vec<u8> {
    use mindos_chain_client::runtime::directives::calls::propose::Action;
    use subxt::ext::scale_encode::EncodeAsType;
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/chain-client/artifacts/metadata.scale"
    ))
    .unwrap();
    let metadata = <subxt::Metadata as codec::Decode>::decode(&mut &bytes[..]).unwrap();
    let propose = metadata
        .pallet_by_name("Directives")
        .unwrap()
        .call_variant_by_name("propose")
        .unwrap();
    let action = propose.fields.first().unwrap().ty.id;
    Action::SetParameter(value)
        .encode_as_type(action, metadata.types())
        .unwrap()
}
