//! Built-in chain specifications: `dev` (one authority), `local` (three authorities) and
//! `production` (the template of a real network, completed by its operators).

use mindos_runtime::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY};
use sc_service::{ChainType, Properties};

/// The chain specification type of MindOS chains.
pub(crate) type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol, decimals and address prefix, for wallets and explorers.
fn properties() -> Properties {
    let mut properties = Properties::new();
    properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
    properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
    properties.insert("ss58Format".into(), SS58_PREFIX.into());
    properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
    WASM_BINARY.ok_or_else(|| {
        "this node was built without the Wasm runtime (SKIP_WASM_BUILD was set); rebuild without it"
            .to_string()
    })
}

/// Single-authority development chain (Alice authors and finalizes).
pub(crate) fn development_chain_spec() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm_binary()?, None)
        .with_name("MindOS Development")
        .with_id("mindos_dev")
        .with_chain_type(ChainType::Development)
        .with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
        .with_properties(properties())
        .build())
}

/// A real network's template: no dev accounts, no sudo key, no authorities yet. Its operators
/// export it (`build-spec --chain production`), add the launch's Aura and GRANDPA keys and
/// genesis balances, and start every node with the completed file.
pub(crate) fn production_chain_spec_template() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm_binary()?, None)
        .with_name("MindOS")
        .with_id("mindos")
        .with_chain_type(ChainType::Live)
        .with_genesis_config_preset_name(
            mindos_runtime::genesis_config_presets::PRODUCTION_RUNTIME_PRESET,
        )
        .with_properties(properties())
        .build())
}

/// Three-authority local testnet (Alice, Bob, Charlie).
pub(crate) fn local_chain_spec() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm_binary()?, None)
        .with_name("MindOS Local Testnet")
        .with_id("mindos_local")
        .with_chain_type(ChainType::Local)
        .with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
        .with_properties(properties())
        .build())
}
