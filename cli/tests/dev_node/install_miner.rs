//! The miner installer, `scripts/install-miner.sh`, as a person runs it on a device, on the
//! shared dev node: with a fresh HOME holding only a `mindos` wallet, it installs the
//! binaries (from a directory, as an unpacked release archive holds them), finds ONNX Runtime
//! and the models, writes the settings and a systemd user unit (checked with `systemd-analyze
//! verify` where it exists), and starts the miner once, which creates its hotkey and stops, not
//! registered. The commands the installer prints are then run as printed; the installer run
//! again keeps the hotkey and the settings and sees the miner serve. Bad input is refused
//! before anything is written.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use crate::{common, common::Run, PASSWORD};

/// The installer, from this checkout.
fn installer() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install-miner.sh")
}

/// Where `scripts/fetch-models.sh` keeps ONNX Runtime and the models for this machine's user
/// (the test's HOME is not that user's).
fn cache_dir() -> String {
    std::env::var("MINDOS_CACHE_DIR").unwrap_or_else(|_| {
        format!(
            "{}/.cache/mindos",
            std::env::var("HOME").expect("HOME is set")
        )
    })
}

/// Runs `script` with bash as the device's user: `home` for HOME, its `~/.local/bin` first
/// on PATH, the wallet password in the environment.
async fn as_user(home: &Path, script: String) -> Run {
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let path = format!(
            "{}:{}",
            home.join(".local/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail\n{script}\n"))
            .env("HOME", &home)
            .env("PATH", path)
            .env("MINDOS_CACHE_DIR", cache_dir())
            .env("MINDOS_PASSWORD", PASSWORD)
            .env("MINDOS_YES", "1")
            .env_remove("MINDOS_NETWORK")
            .env_remove("MINDOS_WALLET_DIR")
            .env_remove("XDG_CONFIG_HOME")
            .current_dir(&home)
            .stdin(Stdio::null())
            .output()
            .expect("run bash");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

/// The installer on `dir/install`, registering with a wallet funded from `wallets`' alice.
pub(crate) async fn install_a_miner(dir: &Path, net: &str, wallets: &Path) {
    let started = std::time::Instant::now();
    let dir = dir.join("install");
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    // What an unpacked release archive holds: the two binaries side by side.
    let release = dir.join("release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(mindos_test_utils::miner_bin(), release.join("mindos-miner")).unwrap();
    std::fs::copy(common::MINDOS_BIN, release.join("mindos")).unwrap();
    let port = mindos_test_utils::free_port();
    let install = |extra: &str| {
        format!(
            "{} --netuid 1 --from {} --chain-rpc {net} --allow-private-addrs --no-systemd \
             --port {port} {extra}",
            installer().display(),
            release.display()
        )
    };

    // Refused before anything is written: a bad subnet, no owner, a wallet that is not there.
    for (args, says) in [
        (
            "--wallet pi --netuid x1",
            "--netuid must be a subnet number",
        ),
        ("", "name the wallet that owns the miner"),
        ("--wallet pi", "no wallet 'pi' in mindos on this device"),
        ("--coldkey-address 5Gnot", "is neither an SS58 address"),
    ] {
        let run = as_user(&home, install(args)).await;
        assert_ne!(run.code, 0, "{args}: {run:#?}");
        assert!(run.stderr.contains(says), "{args}: {run:#?}");
        assert!(
            !home.join(".local").exists(),
            "{args} wrote files: {run:#?}"
        );
        assert!(
            !home.join(".config").exists(),
            "{args} wrote files: {run:#?}"
        );
    }

    // The owner's wallet on the device, funded from alice.
    let created = as_user(
        &home,
        format!("{} --json wallet create pi", common::MINDOS_BIN),
    )
    .await
    .expect_code(0);
    let pi = created.json()["address"].as_str().unwrap().to_owned();
    crate::mindos(
        wallets,
        &[
            "--yes",
            "--network",
            net,
            "wallet",
            "transfer",
            "alice",
            &pi,
            "30",
        ],
        "",
        Some(PASSWORD),
    )
    .await
    .expect_code(0);

    let first = as_user(&home, install("--wallet pi")).await.expect_code(0);
    let hotkey_file = home.join(".local/share/mindos-miner/hotkey");
    let hotkey = std::fs::read(&hotkey_file).expect("the first start created the hotkey");
    assert!(
        first
            .stdout
            .contains("the miner is installed and its hotkey is ready"),
        "{first:#?}"
    );
    for bin in ["mindos-miner", "mindos"] {
        assert!(home.join(".local/bin").join(bin).is_file(), "{bin}");
    }
    let config = std::fs::read_to_string(home.join(".config/mindos/miner.toml")).unwrap();
    assert!(
        config.contains(&format!("coldkey_address = \"{pi}\"")),
        "{config}"
    );
    assert!(config.contains(&format!("rpc = \"{net}\"")), "{config}");
    let unit = home.join(".config/systemd/user/mindos-miner.service");
    let unit_text = std::fs::read_to_string(&unit).unwrap();
    assert!(
        unit_text.contains(&format!(
            "ExecStart=\"{}\" --config \"{}\"",
            home.join(".local/bin/mindos-miner").display(),
            home.join(".config/mindos/miner.toml").display()
        )),
        "{unit_text}"
    );
    verify_unit(&home, &unit).await;

    // The printed commands, as printed (less their comments): the burn, the registration, the
    // hotkey's fee money.
    let commands: Vec<&str> = first
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("mindos "))
        .map(|l| l.split('#').next().unwrap().trim())
        .collect();
    assert_eq!(commands.len(), 3, "{first:#?}");
    assert!(commands[1].starts_with("mindos neuron register 1 --wallet pi"));
    let registered = as_user(&home, commands.join("\n")).await.expect_code(0);
    assert!(registered.stdout.contains("registered"), "{registered:#?}");

    // Again: the same hotkey and settings, and now the miner serves.
    let second = as_user(&home, install("--wallet pi")).await.expect_code(0);
    assert!(
        second.stdout.contains("the miner is registered and serves"),
        "{second:#?}"
    );
    assert_eq!(std::fs::read(&hotkey_file).unwrap(), hotkey);
    assert!(!home.join(".config/mindos/miner.toml.new").exists());
    println!(
        "install-miner journey: {:.0?}",
        std::time::Instant::now() - started
    );
}

/// `systemd-analyze verify` on the unit, as the user's manager would load it, where systemd
/// is installed (it is on Debian; skipped elsewhere).
async fn verify_unit(home: &Path, unit: &Path) {
    let runtime = home.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let script = format!(
        "command -v systemd-analyze >/dev/null || {{ echo 'no systemd-analyze: unit not \
         verified'; exit 0; }}\nXDG_RUNTIME_DIR={} systemd-analyze --user verify {}",
        runtime.display(),
        unit.display()
    );
    let run = as_user(home, script).await;
    assert_eq!(run.code, 0, "the unit does not verify: {run:#?}");
    std::fs::remove_dir_all(&runtime).unwrap();
}
