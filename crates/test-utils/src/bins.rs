//! Where the binaries under test are.

use std::path::PathBuf;

/// `$ENV` if set and not empty, otherwise `NAME` in the directory above the running test
/// binary (tests run from `$CARGO_TARGET_DIR/<profile>/deps/`, binaries live in
/// `<profile>/`). Panics with `how_to_build` if the file is missing.
pub fn target_bin(name: &str, env: &str, how_to_build: &str) -> PathBuf {
    let bin = match std::env::var_os(env).filter(|bin| !bin.is_empty()) {
        Some(bin) => PathBuf::from(bin),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join(name)))
            .unwrap_or_else(|| panic!("cannot locate {name}: set {env}")),
    };
    assert!(
        bin.is_file(),
        "{} is missing: {how_to_build}, or set {env}",
        bin.display()
    );
    bin
}

/// The `mindos-node` built with one-second blocks: `MINDOS_NODE_BIN` or
/// `$CARGO_TARGET_DIR/debug/mindos-node`.
pub fn node_bin() -> PathBuf {
    target_bin(
        "mindos-node",
        "MINDOS_NODE_BIN",
        "build it with `cargo build -p mindos-node --features fast-blocks` (scripts/test.sh does)",
    )
}

/// The `mindos-miner` built with fault injection (for tests with misbehaving miners):
/// `MINDOS_MINER_BIN` or `$CARGO_TARGET_DIR/debug/mindos-miner`.
pub fn miner_bin() -> PathBuf {
    target_bin(
        "mindos-miner",
        "MINDOS_MINER_BIN",
        "build it with `cargo build -p mindos-miner --features fault-injection`",
    )
}

/// The `mindos-validator` binary, for tests outside the validator's own crate (which run the
/// one cargo built for them, with its test-only features): `MINDOS_VALIDATOR_BIN` or
/// `$CARGO_TARGET_DIR/debug/mindos-validator`.
pub fn validator_bin() -> PathBuf {
    target_bin(
        "mindos-validator",
        "MINDOS_VALIDATOR_BIN",
        "build it with `cargo build -p mindos-validator`",
    )
}
