//! What only the validator's end-to-end tests need on top of `mindos-test-utils`: the
//! validator binary, the reference answers of this process's own models, gateway queries and
//! raw HTTP to the gateway. Chain miners and staked validators come from `mindos-test-utils`
//! (re-exported here), which the CLI's tests share.
//!
//! The miner binary must be built with the `fault-injection` feature
//! (`cargo build -p mindos-miner --features fault-injection`); the node with `fast-blocks`
//! (`cargo build -p mindos-node --features fast-blocks`). See `mindos_test_utils::miner_bin`
//! and `node_bin` for where they are looked up.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mindos_primitives::NetUid;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use jsonrpsee::{
    core::client::{ClientT, Error as ClientError},
    http_client::HttpClient,
    rpc_params,
};
use mindos_chain_client::{sentinels::Quarantine, ChainClient};
use mindos_subnets::{Input, Output, SubnetEngine};
// Re-exported for the tests that start them; like the rest of this module, not every test does.
#[allow(unused_imports)]
pub use mindos_test_utils::{chain_miner, StakedValidator};
use mindos_test_utils::{miner_bin, wait_for, DevNode, MinerSpec, NodeArgs, Proc};
use serde_json::Value;

pub const VALIDATOR_BIN: &str = env!("CARGO_BIN_EXE_mindos-validator");

/// What the dashboard's browser checks need: Debian's `chromium`, `node`, and
/// `tests/dashboard/` with its `node_modules` (`scripts/setup.sh` installs all three).
pub struct Browser {
    chromium: PathBuf,
    script_dir: PathBuf,
}

impl Browser {
    /// The browser, or `None` (saying why `what` is skipped) without one, unless
    /// `MINDOS_REQUIRE_CHROMIUM` is set (as `scripts/test.sh` sets it, where setup ran): then
    /// the test fails.
    pub fn find(what: &str) -> Option<Browser> {
        match Self::why_not() {
            Ok(browser) => Some(browser),
            Err(why) if std::env::var_os("MINDOS_REQUIRE_CHROMIUM").is_none() => {
                eprintln!("skipping {what}: {why}");
                None
            }
            Err(why) => panic!("MINDOS_REQUIRE_CHROMIUM is set, but {why}"),
        }
    }

    fn why_not() -> Result<Browser, String> {
        let chromium = std::env::var_os("MINDOS_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| {
                ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                    .iter()
                    .map(PathBuf::from)
                    .find(|p| p.is_file())
            })
            .ok_or("no chromium (Debian's `chromium` package; scripts/setup.sh installs it)")?;
        let node = std::process::Command::new("node").arg("--version").output();
        if !node.is_ok_and(|o| o.status.success()) {
            return Err("no node (scripts/setup.sh installs nodejs)".into());
        }
        let script_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dashboard");
        if !script_dir.join("node_modules/puppeteer-core").is_dir() {
            return Err(format!(
                "{} has no node_modules (run scripts/setup.sh, or `npm ci` there)",
                script_dir.display()
            ));
        }
        Ok(Browser {
            chromium,
            script_dir,
        })
    }

    /// Runs `tests/dashboard/dashboard.mjs` with `args` (its JSON argument, `chromium` added)
    /// and returns what it saw (its last line). Each step it asks for on the way (a line
    /// `{"step": …}`) is done by `step`, whose outcome is its answer. Fails the test, with
    /// the script's output, if the script fails.
    pub async fn run(
        &self,
        mut args: Value,
        mut step: impl AsyncFnMut(&Value) -> Result<(), String>,
    ) -> Value {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
        args["chromium"] = Value::from(self.chromium.display().to_string());
        let mut child = tokio::process::Command::new("node")
            .arg(self.script_dir.join("dashboard.mjs"))
            .arg(args.to_string())
            .current_dir(&self.script_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let errors = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let asked: Option<Value> = serde_json::from_str(&line).ok();
            if let Some(asked) = asked.filter(|v| v.get("step").is_some()) {
                let answer = match step(&asked).await {
                    Ok(()) => serde_json::json!({ "done": true }),
                    Err(error) => serde_json::json!({ "error": error }),
                };
                eprintln!("browser step {asked}: {answer}");
                stdin
                    .write_all(format!("{answer}\n").as_bytes())
                    .await
                    .unwrap();
            }
            printed.push(line);
        }
        let status = child.wait().await.unwrap();
        let errors = errors.await.unwrap();
        let printed = printed.join("\n");
        assert!(
            status.success(),
            "the browser test failed ({status}):\n{errors}\n{printed}"
        );
        serde_json::from_str(printed.lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("the browser test's result: {e}: {printed}"))
    }
}

/// The label this process's digits model gives `input` — what honest miners, which run the
/// same model, must answer.
pub fn local_digits_label(engine: &dyn SubnetEngine, input: &Input) -> u8 {
    let Output::Digits(local) = engine.infer_batch(vec![input.clone()]).unwrap().remove(0) else {
        panic!("a digits output");
    };
    local.label
}

/// A `mindos-miner` (built with fault injection) named `name` in `dir`, serving `netuid`
/// with node key `[key; 32]`, misbehaving as `fault` says.
pub fn miner<'a>(
    dir: &'a std::path::Path,
    name: &'a str,
    netuid: NetUid,
    key: u8,
    fault: Option<&'a str>,
) -> MinerSpec<'a> {
    MinerSpec {
        bin: miner_bin(),
        dir,
        name,
        netuid,
        key,
        fault,
    }
}

/// The processes a dev-chain scenario started, by name; their log tails are printed when the
/// scenario fails.
pub type Procs = Vec<(String, Proc)>;

/// Runs `scenario` against a fresh `mindos-node --dev` (finalized past block 1) in a temporary
/// directory, and fails the test if it panics or is not done within `limit`, printing the
/// node's last 20 log lines and the last `tail` lines of every process in its [`Procs`].
/// With `E2E_KEEP` set, the directory (chain and logs) is kept, also when a wait panics.
pub async fn run_on_dev_chain(
    limit: Duration,
    tail: usize,
    scenario: impl AsyncFnOnce(&Path, &DevNode, &mut Procs),
) {
    mindos_test_utils::init_tracing();
    let tmp = tempfile::tempdir().unwrap();
    let (_guard, dir) = if std::env::var_os("E2E_KEEP").is_some() {
        let dir = tmp.keep();
        eprintln!("logs kept in {}", dir.display());
        (None, dir)
    } else {
        let dir = tmp.path().to_owned();
        (Some(tmp), dir)
    };
    let node = DevNode::start(NodeArgs::dev(dir.join("chain"), dir.join("node.log"))).await;
    node.wait_for_finalized(1).await;
    let mut procs = Procs::new();
    let result = tokio::time::timeout(limit, scenario(&dir, &node, &mut procs)).await;
    if !matches!(result, Ok(())) {
        node.proc().print_tail(20);
        for (_, proc) in &procs {
            proc.print_tail(tail);
        }
        panic!("scenario failed or timed out");
    }
}

/// The account (public key) of the sr25519 key at secret URI `uri`.
pub fn account_of(uri: &str) -> [u8; 32] {
    mindos_test_utils::key(uri).public_key().0
}

/// Fails the test, saying how to fix it, unless `miner` (a `--features fault-injection`
/// build, told to misbehave) logged that it injects a fault.
pub fn assert_fault_injected(miner: &Proc, what: &str) {
    assert!(
        miner.log_text().contains("FAULT INJECTION"),
        "the {what} runs without fault injection: build the miner with \
         `cargo build -p mindos-miner --features fault-injection`"
    );
}

/// Waits up to `limit` until `culprit` is quarantined on `netuid` (read at the best block)
/// and returns its row; fails the test as soon as `honest` is seen quarantined.
pub async fn wait_for_quarantine(
    chain: &ChainClient,
    netuid: NetUid,
    culprit: [u8; 32],
    honest: [u8; 32],
    what: &str,
    limit: Duration,
) -> Quarantine {
    wait_for(what, limit, || async {
        let rows = chain.sentinels().quarantines(Some(netuid)).await.ok()?;
        assert!(
            rows.iter().all(|q| q.hotkey.0 != honest),
            "the honest miner was quarantined: {rows:?}"
        );
        rows.into_iter().find(|q| q.hotkey.0 == culprit)
    })
    .await
}

/// Fails the test if `honest` is quarantined on `netuid` now.
pub async fn assert_not_quarantined(chain: &ChainClient, netuid: NetUid, honest: [u8; 32]) {
    let rows = chain.sentinels().quarantines(Some(netuid)).await.unwrap();
    assert!(rows.iter().all(|q| q.hotkey.0 != honest), "{rows:?}");
}

/// The sum of the samples in the Prometheus exposition `text` whose line starts with
/// `prefix` (a metric's name and the start of its labels) and contains every one of
/// `labels` (e.g. `event="opened"`).
pub fn sum_of_samples(text: &str, prefix: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum()
}

/// The JSON-RPC error code of a failed call; panics on success or a transport error.
pub fn code_of<T: std::fmt::Debug>(result: Result<T, ClientError>) -> i32 {
    match result {
        Err(ClientError::Call(e)) => e.code(),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

/// Posts raw `body` to the gateway; returns (HTTP status, parsed JSON body if any).
pub async fn post_raw(addr: SocketAddr, body: &[u8]) -> (u16, Option<Value>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may close before reading an oversized body; that is its answer.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body.trim()).ok());
    (status, json)
}

/// A digits query for held-out sample `pixels`.
pub async fn query(
    client: &HttpClient,
    netuid: NetUid,
    input: Value,
    options: Value,
) -> Result<Value, ClientError> {
    client
        .request("subnet_query", rpc_params![netuid, input, options])
        .await
}

pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

pub fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}
