//! The README documents the `--json` shape of every read command (`READ_COMMANDS`), each once
//! and parseable; the dev-node test (`tests/dev_node.rs`) checks each shape against the
//! command's real output, so README and code cannot drift apart.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

#[test]
fn every_read_command_has_a_documented_json_shape() {
    for command in mindos_cli::cli::READ_COMMANDS {
        let shape = common::documented_shape(command);
        assert!(
            matches!(shape, common::Shape::Object(_)),
            "`{command}`: {shape:?}"
        );
    }
    // The checker is not vacuous: a document with an undocumented key fails it.
    let extra = serde_json::json!({"block": 1, "netuid": 1, "burn": {"planck": "1", "mind": "0.000000000001"}, "extra": 0});
    assert!(std::panic::catch_unwind(|| common::assert_shape("subnet burn-cost", &extra)).is_err());
    let missing = serde_json::json!({"block": 1, "netuid": 1, "burn": {"planck": "1"}});
    assert!(
        std::panic::catch_unwind(|| common::assert_shape("subnet burn-cost", &missing)).is_err()
    );
    let right = serde_json::json!({"block": 1, "netuid": 1, "burn": {"planck": "1", "mind": "0.000000000001"}});
    common::assert_shape("subnet burn-cost", &right);
}
