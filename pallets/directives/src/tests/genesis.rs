//! Genesis: the prime directive, the founding principles and the registry.

use super::*;
use crate::{DirectiveStatus, GovernedParameters, PRIME_DIRECTIVE};
use sp_runtime::BuildStorage;

#[test]
fn genesis_holds_the_prime_directive_and_the_founding_principles() {
    build_and_execute(|| {
        let prime = DirectiveOf::<Test>::get(PRIME_DIRECTIVE).unwrap();
        assert_eq!(
            prime.text.as_slice(),
            b"An instance may not harm the hive, or, by inaction, allow the hive to come to harm."
        );
        assert_eq!(prime.status, DirectiveStatus::Active);
        assert_eq!(prime.enacted_at, 0);
        assert_eq!(prime.amended_at, None);
        let texts: Vec<Vec<u8>> = Directives::directives()
            .into_iter()
            .map(|d| d.text)
            .collect();
        assert_eq!(texts.len(), 4);
        assert!(String::from_utf8_lossy(&texts[1]).contains("human well-being comes first"));
        assert!(String::from_utf8_lossy(&texts[2]).contains("stays on its device"));
        assert!(String::from_utf8_lossy(&texts[3]).contains("quarantine and every reward"));
        assert_eq!(NextDirectiveId::<Test>::get(), 4);
        assert_eq!(DirectiveOf::<Test>::count(), 4);
        assert_eq!(Directives::parameters(), GovernedParameters::default());
    });
}

fn build_with(config: GenesisConfig<Test>) {
    let _ = RuntimeGenesisConfig {
        system: Default::default(),
        balances: Default::default(),
        directives: config,
    }
    .build_storage();
}

#[test]
#[should_panic(expected = "genesis governed parameters are invalid: CommitteeTooSmall")]
fn genesis_refuses_invalid_parameters() {
    let mut config = GenesisConfig::<Test>::default();
    config.parameters.sentinel_committee_size = 3;
    build_with(config);
}

#[test]
#[should_panic(expected = "genesis needs the prime directive")]
fn genesis_refuses_a_chain_without_the_prime_directive() {
    build_with(GenesisConfig::<Test> {
        directives: vec![],
        ..Default::default()
    });
}

#[test]
#[should_panic(expected = "genesis directive 1 has an empty title or text")]
fn genesis_refuses_an_empty_directive() {
    let mut config = GenesisConfig::<Test>::default();
    config.directives[1].text.clear();
    build_with(config);
}

#[test]
#[should_panic(expected = "longer than MaxTitleLength/MaxTextLength")]
fn genesis_refuses_an_oversized_directive() {
    let mut config = GenesisConfig::<Test>::default();
    config.directives[0].text = vec![b'x'; 129];
    build_with(config);
}

#[test]
fn genesis_config_json_names_directives_in_text() {
    let json = serde_json::to_value(GenesisConfig::<Test>::default()).unwrap();
    assert_eq!(json["directives"][0]["title"], "The prime directive");
    assert_eq!(json["parameters"]["sentinelThreshold"], 5);
    // Chain specs carry balances as decimal strings, as `mindos_parameters` does.
    assert_eq!(json["parameters"]["blockEmission"], "1000000000000");
    let back: GenesisConfig<Test> = serde_json::from_value(json).unwrap();
    assert_eq!(back.directives, GenesisConfig::<Test>::default().directives);
    assert_eq!(back.parameters, GenesisConfig::<Test>::default().parameters);
}

#[test]
fn the_launch_registry_outlasts_the_runtime_audit_window() {
    AuditWindowEpochs::set(3);
    AuditWindowBlocks::set(1_200);
    build_and_execute(|| {
        assert_eq!(Directives::parameters(), GovernedParameters::default());
        assert_eq!(
            Directives::parameters().validate(&Directives::parameter_limits()),
            Ok(())
        );
    });
}

#[test]
#[should_panic(
    expected = "genesis governed parameters are invalid: UnbondingNotLongerThanAuditWindow"
)]
fn genesis_refuses_an_unbonding_period_a_sentinel_slash_can_outwait() {
    AuditWindowEpochs::set(3);
    AuditWindowBlocks::set(1_200);
    let mut config = GenesisConfig::<Test>::default();
    config.parameters.unbonding_period = 44_403;
    build_with(config);
}
