//! Genesis presets: `development` (one authority) and `local_testnet` (three authorities).
//!
//! Both prefund the well-known dev accounts (Alice … Ferdie and their stashes) and make Alice
//! the sudo key. They are for dev and test chains only: the keys are public.

use crate::{AccountId, Balance, BalancesConfig, RuntimeGenesisConfig, SudoConfig, MIND};
use alloc::{string::String, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::PresetId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each prefunded dev account starts with.
pub const DEV_ENDOWMENT: Balance = 1_000_000 * MIND;

/// The genesis patch shared by the presets.
fn testnet_genesis(
    initial_authorities: Vec<(AuraId, GrandpaId)>,
    endowed_accounts: Vec<AccountId>,
    root: AccountId,
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
    )
}

/// The JSON genesis patch of preset `id`, or `None` for an unknown preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_config_genesis(),
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
    ]
}
