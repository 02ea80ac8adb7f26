//! Running the `mindos` binary as a user would: arguments, stdin, environment; the output
//! parsed.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
};

pub const MINDOS_BIN: &str = env!("CARGO_BIN_EXE_mindos");

/// What one `mindos` run did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON (the command ran with `--json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Panics unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }
}

/// Runs `mindos ARGS --wallet-dir WALLETS` with `stdin` and the password in
/// `MINDOS_PASSWORD` (when given).
pub fn mindos(wallets: &Path, args: &[&str], stdin: &str, password: Option<&str>) -> Run {
    let mut command = Command::new(MINDOS_BIN);
    command
        .args(args)
        .arg("--wallet-dir")
        .arg(wallets)
        .env_remove("MINDOS_PASSWORD")
        .env_remove("MINDOS_NETWORK")
        .env_remove("MINDOS_WALLET_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("MINDOS_PASSWORD", password);
    }
    let mut child = command.spawn().expect("start mindos");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}
