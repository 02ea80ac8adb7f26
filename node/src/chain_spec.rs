//! Built-in chain specifications: `dev` (one authority) and `local` (three authorities).

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
