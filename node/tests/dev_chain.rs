//! End-to-end: the real `mindos-node --dev` binary on loopback ports with a temporary base
//! path. Blocks and finality over JSON-RPC, a signed transfer through the chain client,
//! bad input rejected, and chain data kept across a restart.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{bail, Context, Result};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use mindos_chain_client::{runtime, ChainClient, MindConfig};
use subxt::{
    tx::{DefaultParams, Signer},
    utils::AccountId32,
};
use subxt_signer::{sr25519::dev, sr25519::Keypair, SecretUri};
use tokio::{process::Child, time::Instant};

/// Upper bound for any single wait: a debug node compiles the Wasm runtime at start.
const WAIT: Duration = Duration::from_secs(180);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A running node and the ports it listens on.
struct Node {
    child: Child,
    rpc_port: u16,
    prometheus_port: u16,
}

impl Node {
    fn start(base_path: &Path, log: &Path) -> Result<Self> {
        let (rpc_port, p2p_port, prometheus_port) = (free_port(), free_port(), free_port());
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mindos-node"))
            .args(["--dev", "--no-telemetry", "--no-mdns", "--base-path"])
            .arg(base_path)
            .args(["--rpc-port", &rpc_port.to_string()])
            .args(["--port", &p2p_port.to_string()])
            .args(["--prometheus-port", &prometheus_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true)
            .spawn()
            .context("spawn mindos-node")?;
        Ok(Self { child, rpc_port, prometheus_port })
    }

    fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.rpc_port)
    }

    fn http(&self) -> HttpClient {
        HttpClientBuilder::default()
            .build(format!("http://127.0.0.1:{}", self.rpc_port))
            .expect("http client")
    }

    /// Waits until the RPC answers and the chain client connects.
    async fn connect(&mut self) -> Result<ChainClient> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("mindos-node exited early with {status}");
            }
            match ChainClient::connect(&self.ws_url()).await {
                Ok(client) => return Ok(client),
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                },
                Err(e) => bail!("node RPC never came up: {e}"),
            }
        }
    }

    /// Stops the node as an operator would (SIGTERM) and waits for it to exit.
    async fn stop(mut self) -> Result<()> {
        let pid = self.child.id().context("node already exited")?;
        let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status()?;
        assert!(status.success(), "kill -TERM failed");
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .context("node did not stop within 60 s of SIGTERM")??;
        Ok(())
    }
}

async fn header_number(http: &HttpClient, hash: Option<String>) -> Result<u64> {
    let header: serde_json::Value = match hash {
        Some(hash) => http.request("chain_getHeader", rpc_params![hash]).await?,
        None => http.request("chain_getHeader", rpc_params![]).await?,
    };
    let number = header["number"].as_str().context("header has a number")?;
    Ok(u64::from_str_radix(number.trim_start_matches("0x"), 16)?)
}

async fn best_number(http: &HttpClient) -> Result<u64> {
    header_number(http, None).await
}

async fn finalized_number(http: &HttpClient) -> Result<u64> {
    let hash: String = http.request("chain_getFinalizedHead", rpc_params![]).await?;
    header_number(http, Some(hash)).await
}

/// Waits until `read` reports at least `target`.
async fn wait_until_at_least<F, Fut>(what: &str, target: u64, mut read: F) -> Result<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        let now = read().await.unwrap_or(0);
        if now >= target {
            return Ok(now);
        }
        if Instant::now() > deadline {
            bail!("{what} stuck at {now}, expected {target}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Fetches the Prometheus endpoint over plain HTTP/1.0.
async fn prometheus_metrics(port: u16) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n").await?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await?;
    Ok(body)
}

fn recipient() -> Keypair {
    let uri: SecretUri = "//MindosEndToEndRecipient".parse().expect("valid uri");
    Keypair::from_uri(&uri).expect("derive recipient")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_chain_produces_finalizes_transfers_rejects_bad_input_and_survives_restart() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let base_path: PathBuf = dir.path().join("chain");
    let log = dir.path().join("node.log");
    let result = scenario(&base_path, &log).await;
    if result.is_err() {
        // Keep the node's own words next to the failure.
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        eprintln!("--- mindos-node log (last 40 lines) ---");
        for line in tail.into_iter().rev() {
            eprintln!("{line}");
        }
    }
    result
}

async fn scenario(base_path: &Path, log: &Path) -> Result<()> {
    // --- first run: blocks, finality, standard RPC, metrics ---
    let mut node = Node::start(base_path, log)?;
    let client = node.connect().await?;
    let http = node.http();

    let methods: serde_json::Value = http.request("rpc_methods", rpc_params![]).await?;
    let methods: Vec<&str> =
        methods["methods"].as_array().context("methods")?.iter().filter_map(|m| m.as_str()).collect();
    for expected in [
        "system_health",
        "chain_getFinalizedHead",
        "state_getMetadata",
        "author_submitExtrinsic",
        "system_accountNextIndex",
        "payment_queryInfo",
    ] {
        assert!(methods.contains(&expected), "rpc_methods lacks {expected}");
    }
    let chain: String = http.request("system_chain", rpc_params![]).await?;
    assert_eq!(chain, "MindOS Development");
    let properties: serde_json::Value = http.request("system_properties", rpc_params![]).await?;
    assert_eq!(properties["tokenSymbol"], "MIND");
    assert_eq!(properties["tokenDecimals"], 12);
    assert_eq!(properties["ss58Format"], 2424);

    wait_until_at_least("best block", 3, || best_number(&http)).await?;
    wait_until_at_least("finalized block", 2, || finalized_number(&http)).await?;

    let metrics = prometheus_metrics(node.prometheus_port).await?;
    assert!(metrics.contains("substrate_block_height"), "prometheus exposes block height");

    // --- a signed transfer, built and signed by the chain client, finalized ---
    let alice = dev::alice();
    let dest: AccountId32 = recipient().public_key().into();
    let amount = 25 * 1_000_000_000_000u128; // 25 MIND
    let alice_before = client.free_balance(&alice.account_id()).await?;
    assert_eq!(client.free_balance(&dest).await?, 0, "recipient starts empty");
    let finalized = client.transfer_keep_alive(&alice, dest.clone(), amount).await?;
    let block_number = header_number(&http, Some(format!("{:?}", finalized.block_hash))).await?;
    assert!(block_number >= 1);
    assert!(finalized_number(&http).await? >= block_number, "the block is finalized");
    assert_eq!(client.free_balance(&dest).await?, amount);
    let alice_after = client.free_balance(&alice.account_id()).await?;
    assert!(alice_after < alice_before - amount, "Alice paid the amount and a fee");

    // --- bad input: garbage bytes and a transfer signed by the wrong key ---
    let garbage = http
        .request::<String, _>("author_submitExtrinsic", rpc_params!["0xdeadbeef"])
        .await;
    let garbage_err = garbage.expect_err("garbage bytes are rejected").to_string();
    assert!(
        garbage_err.to_lowercase().contains("decode") || garbage_err.contains("1002"),
        "garbage gets a decode error, got: {garbage_err}"
    );
    let not_hex = http
        .request::<String, _>("author_submitExtrinsic", rpc_params!["not hex at all"])
        .await;
    assert!(not_hex.is_err(), "non-hex input is rejected");

    let bob = dev::bob();
    let call = runtime::transactions().balances().transfer_keep_alive(dest.clone().into(), 1_000_000);
    let at = client.api().at_current_block().await?;
    let txs = at.transactions();
    let mut signable = txs
        .create_signable(&call, &alice.account_id(), DefaultParams::default_params())
        .await?;
    let payload = signable.signer_payload()?;
    let wrong_signature = <Keypair as Signer<MindConfig>>::sign(&bob, &payload);
    let forged = signable.sign_with_account_and_signature(&alice.account_id(), &wrong_signature)?;
    let forged_err = forged.submit().await.expect_err("wrong signature is rejected").to_string();
    assert!(
        forged_err.contains("bad signature") || forged_err.contains("BadProof") || forged_err.contains("1010"),
        "forged transfer gets an invalid-transaction error, got: {forged_err}"
    );
    assert_eq!(client.free_balance(&dest).await?, amount, "nothing moved");

    // The chain keeps producing and finalizing after the bad input.
    let best_now = best_number(&http).await?;
    wait_until_at_least("best block after bad input", best_now + 2, || best_number(&http)).await?;
    let finalized_before_restart =
        wait_until_at_least("finalized after bad input", block_number + 1, || finalized_number(&http)).await?;

    // --- restart on the same base path: state is kept ---
    drop(client);
    node.stop().await?;
    let mut node = Node::start(base_path, log)?;
    let client = node.connect().await?;
    let http = node.http();
    assert!(
        finalized_number(&http).await? >= finalized_before_restart,
        "finalized chain survives the restart"
    );
    assert_eq!(client.free_balance(&dest).await?, amount, "balance survives the restart");
    let best_now = best_number(&http).await?;
    wait_until_at_least("best block after restart", best_now + 2, || best_number(&http)).await?;
    node.stop().await?;
    Ok(())
}
