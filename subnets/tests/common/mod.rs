//! Shared helpers: load each subnet once per test binary, failing loudly (with the
//! error's advice to run scripts/setup.sh) if models or the ONNX Runtime library are missing.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::{
    path::PathBuf,
    sync::{Arc, OnceLock},
};

use mindos_subnets::{load, EngineConfig, SubnetEngine};

/// The subnet `name` with the default configuration (environment, else the cache).
pub(crate) fn engine(name: &str) -> Arc<dyn SubnetEngine> {
    static TEXT: OnceLock<Arc<dyn SubnetEngine>> = OnceLock::new();
    static DIGITS: OnceLock<Arc<dyn SubnetEngine>> = OnceLock::new();
    let cell = match name {
        "text-embedding" => &TEXT,
        "digits" => &DIGITS,
        other => panic!("no such subnet in tests: {other}"),
    };
    cell.get_or_init(|| {
        load(name, &EngineConfig::default())
            .unwrap_or_else(|e| panic!("cannot load subnet `{name}`: {e}"))
    })
    .clone()
}

/// A file of this crate, e.g. `tests/fixtures/minilm_reference.json`.
///
/// Where `cargo test` says the crate is now: cargo reuses test binaries when a workspace
/// moves (a clean clone elsewhere sharing the target dir), so the compile-time path can be
/// stale.
pub(crate) fn crate_file(relative: &str) -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join(relative)
}

/// A JSON fixture, parsed.
pub(crate) fn fixture(relative: &str) -> serde_json::Value {
    let path = crate_file(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A JSON array of numbers as f32.
pub(crate) fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}
