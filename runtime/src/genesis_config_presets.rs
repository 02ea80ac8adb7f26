//! Genesis presets: `development` (one authority), `local_testnet` (three authorities) and
//! `production` (a template for a real network).
//!
//! `development` and `local_testnet` prefund the well-known dev accounts (Alice … Ferdie and
//! their stashes) and make Alice the sudo key. They are for dev and test chains only: the
//! keys are public, and the sudo key can do anything Root can (see the node README).
//!
//! `production` holds no account anyone else has a key to: no dev accounts, no sudo key, no
//! demo subnets. Without a key the sudo pallet is inert, and only a key could set one, so no
//! account can act as Root. Its operators add the launch's authorities and genesis balances.

use crate::{
    AccountId, Balance, BalancesConfig, BlockNumber, RuntimeGenesisConfig, SubnetsConfig,
    SudoConfig, DAYS, MIND,
};
use alloc::{string::String, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use mindos_primitives::{
    HyperparameterBounds, Hyperparameters, Modality, ScoringRule, TaskSpec, DIGITS_MODEL_DIGEST,
    TEXT_EMBEDDING_MODEL_DIGEST,
};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::PresetId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each prefunded dev account starts with.
pub const DEV_ENDOWMENT: Balance = 1_000_000 * MIND;

/// The bounds subnet owners tune hyperparameters within, until governance changes them: the
/// governed registry's launch bounds, so the subnets pallet and the registry start equal.
pub fn default_hyperparameter_bounds() -> HyperparameterBounds<Balance> {
    pallet_mindos_directives::launch_hyperparameter_bounds()
}

/// The governed parameters at genesis: MindOS at launch
/// ([`pallet_mindos_directives::GovernedParameters::default`]) with its periods in this
/// runtime's blocks (the default counts 6 s blocks; `fast-blocks` builds make a day 86,400
/// blocks, and the unbonding period must stay longer than the voting period) and the same
/// hyperparameter bounds the subnets pallet starts with.
pub fn launch_parameters() -> pallet_mindos_directives::GovernedParameters<Balance, BlockNumber> {
    pallet_mindos_directives::GovernedParameters {
        burn_half_life: DAYS,
        unbonding_period: 7 * DAYS,
        hyperparameter_bounds: default_hyperparameter_bounds(),
        ..Default::default()
    }
}

/// Hyperparameters of the demo subnets: short epochs so a local network shows results fast.
fn demo_hyperparameters() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 20,
        max_neurons: 256,
        max_validators: 8,
        immunity_period: 200,
        min_validator_stake: 100 * MIND,
        commit_reveal: true,
    }
}

/// The two subnets the development chain starts with, owned by `owner`: text embedding
/// (netuid 0) and digit classification (netuid 1).
fn demo_subnets(
    owner: &AccountId,
) -> Vec<(AccountId, Vec<u8>, TaskSpec, Hyperparameters<Balance>)> {
    vec![
        (
            owner.clone(),
            b"text-embedding".to_vec(),
            TaskSpec {
                modality: Modality::Text,
                model_digest: TEXT_EMBEDDING_MODEL_DIGEST,
                input_schema: 1,
                output_schema: 1,
                scoring_rule: ScoringRule::CosineSimilarity,
            },
            demo_hyperparameters(),
        ),
        (
            owner.clone(),
            b"digits".to_vec(),
            TaskSpec {
                modality: Modality::Image,
                model_digest: DIGITS_MODEL_DIGEST,
                input_schema: 2,
                output_schema: 2,
                scoring_rule: ScoringRule::Correctness,
            },
            demo_hyperparameters(),
        ),
    ]
}

/// The genesis patch shared by the presets.
fn testnet_genesis(
    initial_authorities: Vec<(AuraId, GrandpaId)>,
    endowed_accounts: Vec<AccountId>,
    root: AccountId,
    subnets: Vec<(AccountId, Vec<u8>, TaskSpec, Hyperparameters<Balance>)>,
) -> Value {
    build_struct_json_patch!(RuntimeGenesisConfig {
        balances: BalancesConfig {
            balances: endowed_accounts
                .into_iter()
                .map(|account| (account, DEV_ENDOWMENT))
                .collect::<Vec<_>>(),
        },
        aura: pallet_aura::GenesisConfig {
            authorities: initial_authorities
                .iter()
                .map(|x| x.0.clone())
                .collect::<Vec<_>>(),
        },
        grandpa: pallet_grandpa::GenesisConfig {
            authorities: initial_authorities
                .iter()
                .map(|x| (x.1.clone(), 1))
                .collect::<Vec<_>>(),
        },
        sudo: SudoConfig { key: Some(root) },
        subnets: SubnetsConfig {
            bounds: Some(default_hyperparameter_bounds()),
            subnets,
        },
    })
}

/// The Aura and GRANDPA keys of a dev keyring member.
fn authority_keys(who: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId) {
    (who.public().into(), grandpa.public().into())
}

/// Alice … Ferdie and their stashes: the accounts dev tools know by name.
fn dev_accounts() -> Vec<AccountId> {
    Sr25519Keyring::iter()
        .filter(|k| *k != Sr25519Keyring::One && *k != Sr25519Keyring::Two)
        .map(|k| k.to_account_id())
        .collect()
}

/// One authority (Alice): a single node authors and finalizes alone.
pub fn development_config_genesis() -> Value {
    testnet_genesis(
        vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
        dev_accounts(),
        Sr25519Keyring::Alice.to_account_id(),
        demo_subnets(&Sr25519Keyring::Alice.to_account_id()),
    )
}

/// Three authorities (Alice, Bob, Charlie): GRANDPA needs two of them online to finalize.
pub fn local_testnet_config_genesis() -> Value {
    testnet_genesis(
        vec![
            authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
            authority_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
            authority_keys(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
        ],
        dev_accounts(),
        Sr25519Keyring::Alice.to_account_id(),
        Vec::new(),
    )
}

/// Name of the preset for a real network.
pub const PRODUCTION_RUNTIME_PRESET: &str = "production";

/// A real network's genesis, to be completed by its operators: no dev accounts, no sudo key,
/// no subnets, and no authorities — the launch's Aura and GRANDPA keys and its genesis
/// balances go in with `chain-spec-builder` or by editing the spec (node README). The governed
/// parameters and hyperparameter bounds are the launch values.
pub fn production_config_genesis() -> Value {
    build_struct_json_patch!(RuntimeGenesisConfig {
        sudo: SudoConfig { key: None },
        subnets: SubnetsConfig {
            bounds: Some(default_hyperparameter_bounds()),
            subnets: Vec::new(),
        },
    })
}

/// The JSON genesis patch of preset `id`, or `None` for an unknown preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_config_genesis(),
        PRODUCTION_RUNTIME_PRESET => production_config_genesis(),
        _ => return None,
    };
    // Serialising a `serde_json::Value` to a string cannot fail; `None` keeps the runtime
    // panic-free all the same.
    serde_json::to_string(&patch).ok().map(String::into_bytes)
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
    vec![
        PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
        PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
        PresetId::from(PRODUCTION_RUNTIME_PRESET),
    ]
}
