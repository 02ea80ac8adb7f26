//! Configuration from flags and a TOML file: defaults, precedence, and bad values refused
//! with an error that names the setting.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use clap::{CommandFactory, Parser};
use mindos_miner::{
    config::{ChainMode, PLANCK_PER_MIND},
    Cli, Config, ConfigError,
};

const PEER: &str = "12D3KooWGzHhwGGbP6dVmDT2pWh2Xz4ZZZqP5RhfH2ZTNfyvHFBU";

fn parse(args: &[&str]) -> Result<Config, ConfigError> {
    let cli = Cli::try_parse_from(std::iter::once("mindos-miner").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("clap refused {args:?}: {e}"));
    Config::try_from(cli)
}

/// Fails unless `args` are refused because of `field`, with the flag in the message.
fn refused(args: &[&str], field: &str) -> String {
    let err = parse(args).expect_err("should be refused");
    assert_eq!(err.field(), Some(field), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("--{}", field.replace('_', "-"))),
        "{message}"
    );
    message
}

#[test]
fn defaults_fill_in_around_the_netuid() {
    let config = parse(&["--netuid", "1", "--base-path", "/tmp/m"]).unwrap();
    assert_eq!(config.netuid, mindos_primitives::NetUid(1));
    let ChainMode::Chain(chain) = &config.chain else {
        panic!("chain mode by default");
    };
    assert_eq!(chain.rpc_url, "ws://127.0.0.1:9944");
    assert_eq!(chain.hotkey_file, std::path::Path::new("/tmp/m/hotkey"));
    assert_eq!(chain.max_burn, 10 * PLANCK_PER_MIND);
    assert_eq!(
        config.mesh.node_key_file,
        std::path::Path::new("/tmp/m/node.key")
    );
    assert_eq!(config.mesh.listen.len(), 2);
    // mDNS and private addresses are for dev networks only.
    assert!(!config.mesh.mdns);
    assert!(!config.mesh.allow_private_addrs);
    let dev = parse(&["--netuid", "1", "--mdns", "--allow-private-addrs"]).unwrap();
    assert!(dev.mesh.mdns && dev.mesh.allow_private_addrs);
    refused(&["--netuid", "1", "--mdns"], "mdns");
    assert_eq!(config.batching.max_batch, 16);
    assert_eq!(config.batching.workers, 1);
    assert_eq!(config.batching.queue_capacity, 64);
    assert!(config.batching.max_wait.is_zero());
    assert_eq!(config.power.low_power_max_batch, 4);
    assert_eq!(config.device.region, *b"ZZ");
    assert_eq!(config.rpc_addr.unwrap().to_string(), "127.0.0.1:9955");
    assert_eq!(config.metrics_addr.unwrap().to_string(), "127.0.0.1:9616");
    assert_eq!(config.signed_answers_bytes, 32 * 1024 * 1024);
    assert!(!config.model.low_memory);
    let engine = config.engine_config();
    assert!(!engine.low_memory);
    assert_eq!((engine.sessions, engine.intra_threads), (1, 1));
}

#[test]
fn low_memory_reaches_the_engine_from_the_flag_and_the_file() {
    let config = parse(&["--netuid", "1", "--low-memory"]).unwrap();
    assert!(config.model.low_memory);
    assert!(config.engine_config().low_memory);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("miner.toml");
    std::fs::write(&file, "[subnet]\nnetuid = 1\n[model]\nlow_memory = true\n").unwrap();
    let config = parse(&["--config", file.to_str().unwrap()]).unwrap();
    assert!(config.engine_config().low_memory, "the file's key");

    // The other model and batching settings reach the engine alongside it.
    let config = parse(&[
        "--netuid",
        "1",
        "--low-memory",
        "--workers",
        "2",
        "--intra-threads",
        "3",
        "--model",
        "/models/m.onnx",
    ])
    .unwrap();
    let engine = config.engine_config();
    assert!(engine.low_memory);
    assert_eq!((engine.sessions, engine.intra_threads), (2, 3));
    assert_eq!(
        engine.model_path.as_deref(),
        Some(std::path::Path::new("/models/m.onnx"))
    );
}

#[test]
fn bad_values_are_refused_naming_the_setting() {
    let base = ["--netuid", "1", "--base-path", "/tmp/m"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };

    refused(&["--base-path", "/tmp/m"], "netuid");
    refused(&with(&["--max-batch", "0"]), "max_batch");
    refused(&with(&["--max-batch", "5000"]), "max_batch");
    refused(&with(&["--workers", "0"]), "workers");
    refused(&with(&["--queue-capacity", "0"]), "queue_capacity");
    refused(&with(&["--max-wait-ms", "5000"]), "max_wait_ms");
    refused(&with(&["--intra-threads", "0"]), "intra_threads");
    refused(&with(&["--max-request-bytes", "10"]), "max_request_bytes");
    refused(&with(&["--beat-interval-secs", "0"]), "beat_interval_secs");
    refused(&with(&["--listen", "not-an-address"]), "listen");
    refused(
        &with(&["--public-addr", "/ip4/1.2.3.4/tcp/x"]),
        "public_addr",
    );
    refused(&with(&["--bootstrap", "/ip4/10.0.0.1/tcp/1"]), "bootstrap");
    refused(&with(&["--allow-peer", "not-a-peer"]), "allow_peer");
    refused(&with(&["--subnet", "chess"]), "subnet");
    refused(
        &with(&["--chain-rpc", "http://127.0.0.1:9944"]),
        "chain_rpc",
    );
    refused(&with(&["--max-burn=-1"]), "max_burn");
    refused(&with(&["--max-burn", "ten"]), "max_burn");
    refused(&with(&["--max-burn", "0.0000000000001"]), "max_burn");
    refused(&with(&["--fund-hotkey", "1"]), "fund_hotkey");
    refused(&with(&["--region", "de"]), "region");
    refused(
        &with(&["--signed-answers-bytes", "1000"]),
        "signed_answers_bytes",
    );
    refused(&with(&["--rpc-addr", "0.0.0.0:9955"]), "rpc_addr");
    refused(&with(&["--metrics-addr", "localhost"]), "metrics_addr");
    refused(&with(&["--battery-percent", "101"]), "battery_percent");
    refused(
        &with(&["--low-battery-percent", "101"]),
        "low_battery_percent",
    );
    refused(&with(&["--hot-celsius", "39"]), "hot_celsius");
    refused(&with(&["--hot-celsius", "111"]), "hot_celsius");
    refused(
        &with(&["--max-batch", "8", "--low-power-max-batch", "9"]),
        "low_power_max_batch",
    );
    refused(
        &with(&["--workers", "2", "--low-power-workers", "3"]),
        "low_power_workers",
    );
    let message = refused(&with(&["--no-chain", "--allow-peer", PEER]), "subnet");
    assert!(message.contains("--no-chain"), "{message}");
    refused(&with(&["--no-chain", "--subnet", "digits"]), "allow_peer");
    assert!(parse(&with(&[
        "--no-chain",
        "--subnet",
        "digits",
        "--allow-peer",
        PEER
    ]))
    .is_ok());
}

#[test]
fn the_file_fills_in_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("miner.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[subnet]
netuid = 1
subnet = "digits"

[chain]
no_chain = true

[peers]
allow_peer = ["{PEER}"]

[batching]
max_batch = 32
workers = 2

[mesh]
listen = ["/ip4/127.0.0.1/tcp/0"]

[device]
region = "DE"
class = "server"

[model]
model = "/models/minilm.onnx"
tokenizer = "/models/minilm-tokenizer.json"

[signing]
signed_answers_bytes = 2097152
"#
        ),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let config = parse(&[
        "--config",
        path,
        "--max-batch",
        "8",
        "--base-path",
        "/tmp/m",
        "--tokenizer",
        "/elsewhere/tokenizer.json",
    ])
    .unwrap();
    assert_eq!(config.chain, ChainMode::Private);
    assert_eq!(
        config.model.model.as_deref(),
        Some(std::path::Path::new("/models/minilm.onnx"))
    );
    assert_eq!(
        config.model.tokenizer.as_deref(),
        Some(std::path::Path::new("/elsewhere/tokenizer.json")),
        "the flag wins"
    );
    assert_eq!(config.batching.max_batch, 8, "the flag wins");
    assert_eq!(config.batching.workers, 2, "the file fills in");
    assert_eq!(
        config.signed_answers_bytes,
        2 * 1024 * 1024,
        "the file fills in"
    );
    assert_eq!(config.mesh.allow_peers.len(), 1);
    assert_eq!(config.device.region, *b"DE");
    assert_eq!(
        config.device.class,
        Some(mindos_miner::config::DeviceClass::Server)
    );

    std::fs::write(&file, "[subnet]\nnetuid = 1\n[batching]\nmax_bacth = 8\n").unwrap();
    let err = parse(&["--config", path]).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
    assert!(
        err.to_string().contains("max_bacth"),
        "the unknown key is named: {err}"
    );

    std::fs::write(&file, "[subnet]\nnetuid = \"one\"\n").unwrap();
    let err = parse(&["--config", path]).unwrap_err();
    assert!(err.to_string().contains("netuid"), "{err}");

    let err = parse(&["--config", "/nonexistent/miner.toml"]).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }), "{err}");

    // The flat keys of before the sections are refused, naming where they went.
    for (old, new) in [
        ("netuid = 1", "`netuid` under `[subnet]`"),
        ("max_batch = 8", "`max_batch` under `[batching]`"),
        ("chain_rpc = \"ws://x\"", "`rpc` under `[chain]`"),
        ("power_supply_dir = \"/x\"", "`supply_dir` under `[power]`"),
        ("device_class = \"server\"", "`class` under `[device]`"),
        ("rpc_addr = \"127.0.0.1:1\"", "`addr` under `[rpc]`"),
    ] {
        std::fs::write(&file, format!("{old}\n")).unwrap();
        let err = parse(&["--config", path]).unwrap_err();
        assert!(
            matches!(err, ConfigError::Moved { .. }) && err.to_string().contains(new),
            "{old}: {err}"
        );
    }
}

#[test]
fn help_explains_every_setting() {
    let help = Cli::command().render_long_help().to_string();
    for flag in [
        "--config",
        "--netuid",
        "--subnet",
        "--chain-rpc",
        "--no-chain",
        "--max-burn",
        "--fund-hotkey",
        "--base-path",
        "--hotkey-file",
        "--coldkey-file",
        "--coldkey-address",
        "--node-key-file",
        "--ort-dylib",
        "--models-dir",
        "--model",
        "--tokenizer",
        "--intra-threads",
        "--low-memory",
        "--listen",
        "--public-addr",
        "--bootstrap",
        "--no-mdns",
        "--mdns",
        "--allow-private-addrs",
        "--allow-peer",
        "--max-request-bytes",
        "--beat-interval-secs",
        "--max-batch",
        "--max-wait-ms",
        "--workers",
        "--queue-capacity",
        "--power-supply-dir",
        "--power-status-file",
        "--on-battery",
        "--battery-percent",
        "--low-battery-percent",
        "--low-power-max-batch",
        "--low-power-workers",
        "--device-class",
        "--compute-score",
        "--region",
        "--signed-answers-bytes",
        "--rpc-addr",
        "--no-rpc",
        "--metrics-addr",
        "--no-metrics",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
    assert!(help.contains("validator permit"), "{help}");
    Cli::command().debug_assert();
}
