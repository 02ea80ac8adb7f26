//! Running the `mindos` binary as a user would: arguments, stdin, environment; the output
//! parsed.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

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
        .env_remove("MINDOS_CONFIG")
        .env_remove("MINDOS_YES")
        // Not the developer's own ~/.mindos/config.toml.
        .env("HOME", wallets)
        .env_remove("MINDOS_GATEWAY")
        .env_remove("MINDOS_GATEWAY_API_KEY")
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

/// The README's documented `--json` shape of `command` (section "JSON output"), parsed.
pub fn documented_shape(command: &str) -> Shape {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("read cli/README.md");
    let prefix = format!("{command}:");
    let lines: Vec<&str> = readme
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "README documents `{command}` {} times",
        lines.len()
    );
    let text = lines[0][prefix.len()..].trim();
    let mut parser = Parser {
        text: text.as_bytes(),
        at: 0,
    };
    let shape = parser.value();
    parser.space();
    assert_eq!(
        parser.at,
        text.len(),
        "trailing text in the shape of `{command}`"
    );
    shape
}

/// A JSON document's documented shape: objects with their keys (and the shape of the keys'
/// values where the README gives one), arrays of rows, or a leaf.
#[derive(Debug, Clone)]
pub enum Shape {
    Leaf,
    Object(Vec<(String, Shape)>),
    Array(Box<Shape>),
}

/// A README shape: `{"key", "key": SHAPE, "rows": [SHAPE]}`; `AMOUNT` is `{"planck", "mind"}`.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.at < self.text.len() && self.text[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.space();
        if self.text.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Shape {
        self.space();
        if self.eat(b'[') {
            let row = self.value();
            assert!(self.eat(b']'), "unclosed [ at {}", self.at);
            return Shape::Array(Box::new(row));
        }
        if self.text[self.at..].starts_with(b"AMOUNT") {
            self.at += 6;
            return Shape::Object(vec![
                ("planck".into(), Shape::Leaf),
                ("mind".into(), Shape::Leaf),
            ]);
        }
        assert!(self.eat(b'{'), "expected {{ at {}", self.at);
        let mut keys = Vec::new();
        loop {
            assert!(self.eat(b'"'), "expected a key at {}", self.at);
            let start = self.at;
            while self.text[self.at] != b'"' {
                self.at += 1;
            }
            let key = String::from_utf8(self.text[start..self.at].to_vec()).unwrap();
            self.at += 1;
            let value = if self.eat(b':') {
                self.value()
            } else {
                Shape::Leaf
            };
            keys.push((key, value));
            if self.eat(b'}') {
                return Shape::Object(keys);
            }
            assert!(self.eat(b','), "expected , or }} at {}", self.at);
        }
    }
}

/// Panics unless `value` has exactly the keys `shape` documents, recursively (a `null`
/// where an object is documented, e.g. an endpoint not served yet, passes).
pub fn assert_shape(command: &str, value: &serde_json::Value) {
    check(command, &documented_shape(command), value, command);
}

fn check(command: &str, shape: &Shape, value: &serde_json::Value, path: &str) {
    match (shape, value) {
        (_, serde_json::Value::Null) | (Shape::Leaf, _) => {}
        (Shape::Array(row), serde_json::Value::Array(rows)) => {
            for (i, item) in rows.iter().enumerate() {
                check(command, row, item, &format!("{path}[{i}]"));
            }
        }
        (Shape::Object(keys), serde_json::Value::Object(map)) => {
            let documented: std::collections::BTreeSet<&str> =
                keys.iter().map(|(k, _)| k.as_str()).collect();
            let actual: std::collections::BTreeSet<&str> = map.keys().map(String::as_str).collect();
            assert_eq!(
                documented, actual,
                "`{command}` --json at {path}: the README's keys (left) differ from the output's"
            );
            for (key, sub) in keys {
                check(command, sub, &map[key], &format!("{path}.{key}"));
            }
        }
        (shape, value) => panic!("`{command}` --json at {path}: {value} is not {shape:?}"),
    }
}

/// The shell commands of a user journey in the root README: the ```sh block that follows
/// the marker `<!-- journey: NAME -->`. The README walks each journey with these exact
/// commands, and the dev-node test runs them, so the two cannot drift apart.
pub fn readme_journey(name: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("read README.md");
    let marker = format!("<!-- journey: {name} -->");
    let mut parts = readme.split(marker.as_str());
    let after = parts
        .nth(1)
        .unwrap_or_else(|| panic!("README.md has no `{marker}`"));
    assert!(parts.next().is_none(), "README.md has `{marker}` twice");
    let block = after
        .trim_start()
        .strip_prefix("```sh\n")
        .unwrap_or_else(|| panic!("`{marker}` is not followed by a ```sh block"));
    let end = block
        .find("\n```")
        .unwrap_or_else(|| panic!("the block after `{marker}` is not closed"));
    block[..end].to_owned()
}

/// Runs the README journey `name` with bash (`set -euo pipefail`: the first failing command
/// fails the journey), `mindos` and the other binaries of this build first on PATH, HOME a
/// test directory, and `env` (the network, wallet directory, password, MINDOS_YES) set as a
/// user's shell would have them. Prints each command as it runs (`set -x`).
pub fn run_readme_journey(name: &str, home: &Path, env: &[(&str, &str)]) -> Run {
    let script = readme_journey(name);
    let bin_dir = Path::new(MINDOS_BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!("set -euxo pipefail\n{script}\n"))
        .env("PATH", path)
        .env("HOME", home)
        // Files a journey writes land in the user's home, not in the source tree.
        .current_dir(home)
        .env_remove("MINDOS_PASSWORD")
        .env_remove("MINDOS_NETWORK")
        .env_remove("MINDOS_WALLET_DIR")
        .env_remove("MINDOS_CONFIG")
        .env_remove("MINDOS_YES")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run bash");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}
