//! What only the miner's integration tests need on top of `mindos-test-utils`: miners
//! running in this process on loopback with random ports, callers (plain mesh nodes), digits
//! inputs and answers, time bounds.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mindos_primitives::NetUid;
use std::{future::Future, net::SocketAddr, path::Path, time::Duration};

use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use mindos_mesh::{
    libp2p::multiaddr::Protocol, InferRequest, InferResponse, Keypair, Mesh, MeshClient,
    MeshConfig, MeshError, Multiaddr, PeerId,
};
use mindos_miner::{Config, Miner, MinerStatus, Settings};
use mindos_test_utils::{http_client, init_tracing, metrics};
use serde_json::{json, Value};
use tokio::{sync::oneshot, task::JoinHandle};

/// Upper bound for one test without a chain; they take a few seconds.
pub const DEADLINE: Duration = Duration::from_secs(120);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `test` with a deadline, so a hang fails instead of blocking CI.
pub async fn bounded<F: Future<Output = ()>>(limit: Duration, test: F) {
    init_tracing();
    tokio::time::timeout(limit, test)
        .await
        .expect("test exceeded its deadline");
}

/// Settings for a private (`--no-chain`) miner of `subnet` on loopback that serves `allow`,
/// with every port random and the key files in `dir`. The power-supply directory is an empty
/// folder so the host's battery does not change the limits.
pub fn private_settings(dir: &Path, subnet: &str, netuid: NetUid, allow: &[PeerId]) -> Settings {
    let power_dir = dir.join("power_supply");
    std::fs::create_dir_all(&power_dir).unwrap();
    let mut settings = Settings::default();
    settings.subnet.netuid = Some(netuid);
    settings.subnet.subnet = Some(subnet.to_owned());
    settings.chain.no_chain = true;
    settings.keys.base_path = Some(dir.to_owned());
    settings.mesh.listen = vec!["/ip4/127.0.0.1/tcp/0".to_owned()];
    settings.mesh.no_mdns = true;
    settings.mesh.allow_private_addrs = true;
    settings.peers.allow_peer = allow.iter().map(ToString::to_string).collect();
    settings.rpc.addr = Some("127.0.0.1:0".to_owned());
    settings.metrics.addr = Some("127.0.0.1:0".to_owned());
    settings.power.supply_dir = Some(power_dir);
    settings.peers.beat_interval_secs = Some(1);
    settings
}

/// A miner running in this process.
pub struct RunningMiner {
    pub peer_id: PeerId,
    pub addr: Multiaddr,
    pub rpc: HttpClient,
    pub rpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), mindos_miner::MinerError>>>,
}

impl RunningMiner {
    pub async fn start(settings: Settings) -> Self {
        let config = Config::from_settings(settings).expect("valid settings");
        let miner = Miner::start(config).await.expect("miner starts");
        let peer_id = miner.peer_id();
        let addr = miner.listen_addrs()[0].clone().with(Protocol::P2p(peer_id));
        let rpc_addr = miner.rpc_addr().expect("rpc enabled");
        let rpc = http_client(rpc_addr);
        let metrics_addr = miner.metrics_addr().expect("metrics enabled");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(miner.run(async move {
            let _ = stopped.await;
        }));
        Self {
            peer_id,
            addr,
            rpc,
            rpc_addr,
            metrics_addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Signals shutdown and waits until the miner has stopped.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("miner stops within 30 s")
                .expect("miner task")
                .expect("clean shutdown");
        }
    }

    pub async fn status(&self) -> MinerStatus {
        self.rpc
            .request("miner_status", rpc_params![])
            .await
            .expect("miner_status")
    }

    pub async fn metrics(&self) -> String {
        metrics::scrape(self.metrics_addr).await
    }
}

/// A plain mesh node that sends requests.
pub struct Caller {
    pub client: MeshClient,
    /// The caller's libp2p identity (it signs the proof of a `serve` of its PeerId).
    pub key: Keypair,
    stop: Option<oneshot::Sender<()>>,
}

impl Caller {
    pub fn start() -> Self {
        Self::with_config(MeshConfig::local(Keypair::generate_ed25519()))
    }

    pub fn with_config(config: MeshConfig) -> Self {
        let key = config.keypair.clone();
        let (client, mut events, event_loop) = Mesh::new(config).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(event_loop.run(async move {
            let _ = stopped.await;
        }));
        // Drain events so the loop never drops anything.
        tokio::spawn(async move { while events.recv().await.is_some() {} });
        Self {
            client,
            key,
            stop: Some(stop),
        }
    }

    pub fn peer_id(&self) -> PeerId {
        self.client.peer_id()
    }

    pub async fn connect(&self, miner: &RunningMiner) {
        let peer = self
            .client
            .dial(miner.addr.clone())
            .await
            .expect("dial miner");
        assert_eq!(peer, miner.peer_id);
    }

    pub async fn ask(
        &self,
        miner: PeerId,
        netuid: NetUid,
        payload: Value,
    ) -> Result<InferResponse, MeshError> {
        let request = InferRequest::encode(netuid, 1, &payload).unwrap();
        self.client.request(miner, request, REQUEST_TIMEOUT).await
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A digits input (a held-out sample whose label is 0).
pub fn digit_zero() -> Value {
    json!({"pixels": [0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]})
}

/// The label of an ok digits answer; panics with the response otherwise.
pub fn label(response: &InferResponse) -> u64 {
    match response {
        InferResponse::Ok { payload, .. } => serde_json::from_str::<Value>(payload.get())
            .expect("JSON")["label"]
            .as_u64()
            .expect("a label"),
        other => panic!("expected an answer, got {other:?}"),
    }
}

/// The error code and message of a refusal; panics on an answer.
pub fn refusal(response: InferResponse) -> (mindos_mesh::ErrorCode, String) {
    match response {
        InferResponse::Err { code, message } => (code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
