//! Starting the off-chain binaries, `mindos-miner` and `mindos-validator`, as processes on
//! loopback.

use std::path::{Path, PathBuf};

use mindos_mesh::NetUid;

use crate::{miner_bin, write_key, write_node_key, Proc};

/// A `mindos-miner` process for subnet `netuid`, named `name`: base path `dir/name`, node
/// key `[key; 32]`, log `dir/name.log`.
///
/// It listens on the mesh at `127.0.0.1` on a port of its own choice (read it back with
/// `proc.multiaddr(AddrLine::MESH)`), without mDNS, owner RPC or metrics, with an empty
/// power-supply directory (the host's battery does not change its limits) and one-second
/// beats.
#[derive(Clone, Debug)]
pub struct MinerSpec<'a> {
    /// The binary: [`crate::miner_bin`], or the one cargo built for the miner's own tests.
    pub bin: PathBuf,
    /// The directory that holds this miner's directory and log.
    pub dir: &'a Path,
    /// The miner's name: its directory and log file.
    pub name: &'a str,
    /// The subnet it serves.
    pub netuid: mindos_mesh::NetUid,
    /// Its libp2p node key is `[key; 32]`.
    pub key: u8,
    /// `MINDOS_MINER_FAULT` (`garbage`, `copy:ADDR`, `slow:MS`, `drop`): the binary must be
    /// built with the `fault-injection` feature.
    pub fault: Option<&'a str>,
}

impl MinerSpec<'_> {
    /// This miner's own directory, `dir/name`.
    pub fn home(&self) -> PathBuf {
        self.dir.join(self.name)
    }

    /// The flags that make it a loopback test miner, then `extra`; writes its node key.
    fn args(&self, extra: &[String]) -> Vec<String> {
        let home = self.home();
        let power = home.join("power_supply");
        std::fs::create_dir_all(&power)
            .unwrap_or_else(|e| panic!("create {}: {e}", power.display()));
        write_node_key(&home.join("node.key"), self.key);
        let mut args: Vec<String> = vec![
            "--netuid".into(),
            self.netuid.to_string(),
            "--base-path".into(),
            home.display().to_string(),
            "--listen".into(),
            "/ip4/127.0.0.1/tcp/0".into(),
            "--no-mdns".into(),
            "--allow-private-addrs".into(),
            "--no-rpc".into(),
            "--no-metrics".into(),
            "--power-supply-dir".into(),
            power.display().to_string(),
            "--beat-interval-secs".into(),
            "1".into(),
        ];
        args.extend_from_slice(extra);
        args
    }

    /// Starts the miner: the loopback test flags described above, then `extra`.
    pub fn spawn(&self, extra: &[String]) -> Proc {
        let envs: Vec<(&str, &str)> = self
            .fault
            .map(|fault| vec![("MINDOS_MINER_FAULT", fault)])
            .unwrap_or_default();
        Proc::spawn(
            &self.bin,
            self.args(extra),
            &envs,
            &self.dir.join(format!("{}.log", self.name)),
        )
    }
}

/// Starts a `mindos-validator` (`bin`) with base path `base_path`, its mesh and its
/// gateway on `127.0.0.1` ports of its own choice (read them back with
/// `proc.multiaddr(AddrLine::MESH)` and `proc.socket_addr(AddrLine::GATEWAY)`), without
/// mDNS, then `extra` flags (chain or `--no-chain`, subnets, metrics), logging to `log`.
pub fn spawn_validator(bin: &Path, base_path: &Path, extra: &[String], log: &Path) -> Proc {
    spawn_validator_with_env(bin, base_path, extra, &[], log)
}

/// [`spawn_validator`] with environment variables `envs` set for the process.
pub fn spawn_validator_with_env(
    bin: &Path,
    base_path: &Path,
    extra: &[String],
    envs: &[(&str, &str)],
    log: &Path,
) -> Proc {
    let mut args: Vec<String> = vec![
        "--base-path".into(),
        base_path.display().to_string(),
        "--listen".into(),
        "/ip4/127.0.0.1/tcp/0".into(),
        "--no-mdns".into(),
        "--allow-private-addrs".into(),
        "--gateway-addr".into(),
        "127.0.0.1:0".into(),
    ];
    args.extend_from_slice(extra);
    Proc::spawn(bin, args, envs, log)
}

/// A chain miner named `name` in `dir` ([`miner_bin`]): its hotkey `hotkey_uri`, registered on
/// `netuid` and funded by the dev `coldkey` through the node at `chain_ws`, node key
/// `[key; 32]`, misbehaving as `fault` says. It registers with a burn of at most 100 and
/// moves 1 MIND to its hotkey.
#[allow(clippy::too_many_arguments)]
pub fn chain_miner(
    dir: &Path,
    chain_ws: String,
    name: &str,
    hotkey_uri: &str,
    netuid: NetUid,
    key: u8,
    coldkey: &str,
    fault: Option<&str>,
) -> Proc {
    let miner_dir = dir.join(name);
    std::fs::create_dir_all(&miner_dir)
        .unwrap_or_else(|e| panic!("create {}: {e}", miner_dir.display()));
    write_key(&miner_dir.join("hotkey"), hotkey_uri);
    write_key(&miner_dir.join("coldkey"), coldkey);
    let spec = MinerSpec {
        bin: miner_bin(),
        dir,
        name,
        netuid,
        key,
        fault,
    };
    spec.spawn(&[
        "--chain-rpc".into(),
        chain_ws,
        "--hotkey-file".into(),
        miner_dir.join("hotkey").display().to_string(),
        "--coldkey-file".into(),
        miner_dir.join("coldkey").display().to_string(),
        "--max-burn".into(),
        "100".into(),
        "--fund-hotkey".into(),
        "1".into(),
        "--device-class".into(),
        "server".into(),
    ])
}

/// A staked validator for a dev chain: the binary `bin` ([`crate::validator_bin`], or the one
/// cargo built for the validator's own tests), its files in `dir/name` (hotkey `hotkey_uri`,
/// funded and staked by the dev `coldkey`, libp2p node key `[node_key; 32]`), its log
/// `dir/name.log`. It registers with a burn of at most 100, moves `fund_hotkey` MIND to its
/// hotkey, stakes 200 (a validator permit), challenges every `challenge_interval_ms` and
/// serves metrics on a free port; `extra_args` add to or refine that.
pub struct StakedValidator<'a> {
    /// The `mindos-validator` binary.
    pub bin: &'a Path,
    /// The directory that holds this validator's directory and log.
    pub dir: &'a Path,
    /// Its name: its directory and log file.
    pub name: &'a str,
    /// Its hotkey's secret URI.
    pub hotkey_uri: &'a str,
    /// The dev coldkey that pays its registration, funding and stake.
    pub coldkey: &'a str,
    /// Its libp2p node key is `[node_key; 32]`.
    pub node_key: u8,
    /// The node's WebSocket URL.
    pub chain_rpc: String,
    /// The subnets it validates (`--netuid`); empty: every subnet the build knows.
    pub netuids: &'a [NetUid],
    /// MIND moved to its hotkey for fees and deposits.
    pub fund_hotkey: u32,
    /// Time between challenge rounds.
    pub challenge_interval_ms: u32,
    /// More flags, after the others.
    pub extra_args: &'a [&'a str],
}

impl StakedValidator<'_> {
    /// Writes its key files and starts it; returns the process and its log's path.
    pub fn spawn(&self) -> (Proc, PathBuf) {
        let log = self.dir.join(format!("{}.log", self.name));
        (self.spawn_logging_to(&log), log)
    }

    /// [`Self::spawn`] with environment variables `envs` (e.g. `MINDOS_VALIDATOR_FAULT`).
    pub fn spawn_with_env(&self, envs: &[(&str, &str)]) -> (Proc, PathBuf) {
        let log = self.dir.join(format!("{}.log", self.name));
        (self.spawn_process(&log, envs), log)
    }

    /// [`Self::spawn`] with its log at `log` (a restarted validator's, beside the first's).
    pub fn spawn_logging_to(&self, log: &Path) -> Proc {
        self.spawn_process(log, &[])
    }

    fn spawn_process(&self, log: &Path, envs: &[(&str, &str)]) -> Proc {
        let validator_dir = self.dir.join(self.name);
        std::fs::create_dir_all(&validator_dir)
            .unwrap_or_else(|e| panic!("create {}: {e}", validator_dir.display()));
        write_key(&validator_dir.join("hotkey"), self.hotkey_uri);
        write_key(&validator_dir.join("coldkey"), self.coldkey);
        write_node_key(&validator_dir.join("node.key"), self.node_key);
        let mut args: Vec<String> = vec![
            "--chain-rpc".into(),
            self.chain_rpc.clone(),
            "--coldkey-file".into(),
            validator_dir.join("coldkey").display().to_string(),
            "--max-burn".into(),
            "100".into(),
            "--fund-hotkey".into(),
            self.fund_hotkey.to_string(),
            "--stake".into(),
            "200".into(),
            "--metrics-addr".into(),
            "127.0.0.1:0".into(),
            "--challenge-interval-ms".into(),
            self.challenge_interval_ms.to_string(),
        ];
        for netuid in self.netuids {
            args.extend(["--netuid".into(), netuid.0.to_string()]);
        }
        args.extend(self.extra_args.iter().map(|s| (*s).to_owned()));
        spawn_validator_with_env(self.bin, &validator_dir, &args, envs, log)
    }
}
