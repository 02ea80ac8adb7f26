//! Builds the Wasm runtime blob that the node executes and puts on chain at genesis.

#[cfg(feature = "std")]
fn main() {
    substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// The Wasm build compiles this crate again without `std`; it needs no nested build.
#[cfg(not(feature = "std"))]
fn main() {}
