//! Starting the off-chain binaries, `mindos-miner` and `mindos-validator`, as processes on
//! loopback.

use std::path::{Path, PathBuf};

use crate::{write_node_key, Proc};

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
