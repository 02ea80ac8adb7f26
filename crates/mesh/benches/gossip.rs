//! Gossip convergence in an in-process mesh: 100 nodes on 127.0.0.1 (TCP, noise, yamux,
//! gossipsub with the production [`GossipConfig`]), each dialling 4 others at random. One node
//! at a time publishes a capacity beat; the time until every other node has delivered it is
//! its convergence time. Bytes per node come from libp2p's bandwidth counters
//! ([`Mesh::with_bandwidth_metrics`]), during the messages and during as long a quiet spell.
//!
//! The physical comparison: a beat cannot reach the farthest node sooner than one hop per
//! connection on the shortest path (the publisher's eccentricity in the connection graph)
//! times the time one hop takes, measured here on a mesh of two nodes in the same process.
//! The ratio printed last is the median over messages of convergence / (hops × one-hop time).
//!
//! ```text
//! cargo bench -p mindos-mesh --features bandwidth-metrics --bench gossip -- [--quick] [--out FILE]
//! ```
//!
//! `--quick`: 30 nodes and 5 messages, for CI.

// A benchmark harness: plain arithmetic, indexing and panics keep it short.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    missing_docs
)]

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

use mindos_mesh::{
    libp2p::{metrics::Registry, multiaddr::Protocol},
    wire::unix_time_ms,
    CapacityBeat, GossipConfig, Keypair, Mesh, MeshClient, MeshConfig, MeshError, MeshEvent,
    Multiaddr, NetUid, PeerId, PowerSource, PowerStatus,
};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

const NETUID: NetUid = NetUid(1);
/// Connections each node opens (so about twice as many per node).
const DIALS_PER_NODE: usize = 4;
/// The longest any message may take to reach every node before the run fails.
const CONVERGENCE_LIMIT: Duration = Duration::from_secs(10);
/// Pause between messages, so that each converges on a quiet mesh.
const GAP: Duration = Duration::from_millis(300);
/// Gossipsub keeps advertising a message (IHAVE) for 3 heartbeats; the byte window
/// includes them.
const TAIL: Duration = Duration::from_secs(3);

struct Node {
    client: MeshClient,
    registry: Registry,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// A delivered beat: (message id, receiving node, when).
type Delivery = (u32, usize, Instant);

fn config() -> MeshConfig {
    let mut config = MeshConfig::local(Keypair::generate_ed25519());
    // Production gossip (mesh of 6, 1 s heartbeat, flood publish), except that a publisher
    // may beat as often as the benchmark likes (the single-link measurement uses one).
    let mut gossip = GossipConfig::default();
    gossip.min_beat_interval = Duration::from_millis(1);
    config.gossip = gossip;
    // Production pings (every 15 s), not the local 1 s, so the quiet traffic is realistic.
    config.ping_interval = MeshConfig::new(Keypair::generate_ed25519()).ping_interval;
    // Every node is on 127.0.0.1: the per-IP caps would refuse a hub's connections.
    config.limits.max_incoming_per_ip = 256;
    config.limits.max_dials_per_ip = 256;
    config.serve_inference = false;
    config
}

/// Starts `count` nodes; each forwards the beats it delivers to `deliveries`.
async fn start(count: usize, deliveries: &mpsc::UnboundedSender<Delivery>) -> Vec<Node> {
    let mut nodes = Vec::with_capacity(count);
    for index in 0..count {
        let mut registry = Registry::default();
        let (client, mut events, event_loop) =
            Mesh::with_bandwidth_metrics(config(), &mut registry).expect("mesh starts");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(event_loop.run(async move {
            let _ = stopped.await;
        }));
        let deliveries = deliveries.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let MeshEvent::CapacityBeat { beat, .. } = event {
                    let _ = deliveries.send((beat.queue_depth, index, Instant::now()));
                }
            }
        });
        nodes.push(Node {
            client,
            registry,
            stop,
            task,
        });
    }
    let peers: Vec<PeerId> = nodes.iter().map(|n| n.client.peer_id()).collect();
    for node in &nodes {
        node.client.subscribe(NETUID).await.unwrap();
        node.client
            .set_beat_publishers(NETUID, peers.iter().copied())
            .await
            .unwrap();
    }
    nodes
}

async fn stop(nodes: Vec<Node>) {
    for node in nodes {
        let _ = node.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), node.task)
            .await
            .expect("event loop did not stop")
            .unwrap();
    }
}

async fn addr(client: &MeshClient) -> Multiaddr {
    let addrs = client.listen_addrs().await.unwrap();
    addrs[0].clone().with(Protocol::P2p(client.peer_id()))
}

/// Knuth's MMIX LCG, for a reproducible topology.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

/// Each node dials `DIALS_PER_NODE` distinct others at random; returns once all dials are
/// answered.
async fn connect(nodes: &[Node]) {
    let mut addrs = Vec::with_capacity(nodes.len());
    for node in nodes {
        addrs.push(addr(&node.client).await);
    }
    let mut rng = Lcg(0x6d65_7368);
    let mut dials = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let mut targets = Vec::new();
        while targets.len() < DIALS_PER_NODE.min(nodes.len() - 1) {
            let t = rng.below(nodes.len());
            if t != i && !targets.contains(&t) {
                targets.push(t);
            }
        }
        for t in targets {
            let client = node.client.clone();
            let addr = addrs[t].clone();
            let target = nodes[t].client.peer_id();
            dials.push(tokio::spawn(async move {
                dial_until_linked(&client, addr, target).await
            }));
        }
    }
    for dial in dials {
        dial.await.unwrap();
    }
}

/// Dials `addr` until `client` is linked to `target`. Two nodes that dial each other at the
/// same moment can both fail the handshake (libp2p's simultaneous open); the link then comes
/// from a second try, or already exists from the other side's dial.
async fn dial_until_linked(client: &MeshClient, addr: Multiaddr, target: PeerId) {
    let mut last = None;
    for attempt in 0..5u64 {
        match client.dial(addr.clone()).await {
            Ok(_) => return,
            Err(e) => last = Some(e),
        }
        let peers = client.peers().await.unwrap();
        if peers.iter().any(|p| p.peer_id == target && p.connected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
    }
    panic!("dial {addr} failed 5 times: {last:?}");
}

/// The connection graph as adjacency lists of node indices.
async fn graph(nodes: &[Node]) -> Vec<Vec<usize>> {
    let index: HashMap<PeerId, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.client.peer_id(), i))
        .collect();
    let mut adjacency = Vec::with_capacity(nodes.len());
    for node in nodes {
        let peers = node.client.peers().await.unwrap();
        adjacency.push(
            peers
                .iter()
                .filter(|p| p.connected)
                .filter_map(|p| index.get(&p.peer_id).copied())
                .collect(),
        );
    }
    adjacency
}

/// Hops from `from` to the farthest node; panics if some node is unreachable.
fn eccentricity(adjacency: &[Vec<usize>], from: usize) -> usize {
    let mut hops = vec![usize::MAX; adjacency.len()];
    hops[from] = 0;
    let mut queue = VecDeque::from([from]);
    while let Some(at) = queue.pop_front() {
        for &next in &adjacency[at] {
            if hops[next] == usize::MAX {
                hops[next] = hops[at] + 1;
                queue.push_back(next);
            }
        }
    }
    assert!(
        hops.iter().all(|&h| h != usize::MAX),
        "the connection graph is not connected"
    );
    hops.into_iter().max().unwrap_or(0)
}

/// Sums `libp2p_bandwidth_bytes_total` over protocol stacks: (inbound, outbound).
fn bandwidth(registry: &Registry) -> (u64, u64) {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    let (mut inbound, mut outbound, mut seen) = (0, 0, false);
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("libp2p_bandwidth_bytes_total{") else {
            continue;
        };
        let (labels, value) = rest.rsplit_once("} ").expect("a sample line");
        let value: u64 = value.trim().parse().expect("an integer counter");
        let labels = labels.to_ascii_lowercase();
        if labels.contains("direction=\"inbound\"") {
            inbound += value;
        } else if labels.contains("direction=\"outbound\"") {
            outbound += value;
        } else {
            panic!("unexpected bandwidth labels: {labels}");
        }
        seen = true;
    }
    assert!(seen, "no bandwidth counters in the registry:\n{text}");
    (inbound, outbound)
}

/// CPU time (user and system) this process has used: every node's share of it.
fn process_cpu() -> Duration {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Bytes every node received and sent in total.
fn total_bandwidth(nodes: &[Node]) -> (u64, u64) {
    nodes
        .iter()
        .map(|n| bandwidth(&n.registry))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

fn beat(id: u32) -> CapacityBeat {
    CapacityBeat {
        netuid: NETUID,
        load: 250_000_000,
        queue_depth: id,
        max_batch: 8,
        power: PowerStatus {
            source: PowerSource::Mains,
            battery_percent: None,
            low_power: false,
        },
        sent_at_ms: unix_time_ms(),
    }
}

/// Publishes beat `id` from `publisher` and returns, per other node, the time until it
/// delivered the beat. Fails if any node has not within [`CONVERGENCE_LIMIT`]. Ids must
/// grow from call to call.
async fn broadcast(
    nodes: &[Node],
    publisher: usize,
    id: u32,
    deliveries: &mut mpsc::UnboundedReceiver<Delivery>,
) -> Vec<Duration> {
    // Right after connecting, peers' subscriptions may not have arrived yet.
    let deadline = tokio::time::Instant::now() + CONVERGENCE_LIMIT;
    let sent = loop {
        let sent = Instant::now();
        match nodes[publisher].client.publish_capacity(beat(id)).await {
            Ok(()) => break sent,
            Err(MeshError::NoSubscribers { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("publish: {e}"),
        }
    };
    let mut seen: HashMap<usize, Duration> = HashMap::new();
    let deadline = tokio::time::Instant::now() + CONVERGENCE_LIMIT;
    while seen.len() < nodes.len() - 1 {
        let (msg, node, at) = tokio::time::timeout_at(deadline, deliveries.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "message {id} reached {} of {} nodes within {CONVERGENCE_LIMIT:?}",
                    seen.len(),
                    nodes.len() - 1
                )
            })
            .expect("delivery channel open");
        assert_ne!(node, publisher, "a publisher delivered its own beat");
        if msg == id {
            seen.entry(node).or_insert(at - sent);
        } else {
            assert!(msg < id, "a beat from the future: {msg} during {id}");
        }
    }
    seen.into_values().collect()
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The one-hop time: a beat from one node to the other, on a mesh of two, `samples` times.
async fn one_hop(samples: u32) -> Vec<f64> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let nodes = start(2, &tx).await;
    connect(&nodes).await;
    let mut hops = Vec::new();
    // The first beats wait for the gossipsub mesh (a heartbeat); they are warm-up.
    for id in 0..samples + 3 {
        let times = broadcast(&nodes, (id % 2) as usize, id, &mut rx).await;
        if id >= 3 {
            hops.push(ms(times[0]));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop(nodes).await;
    hops
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let mut quick = false;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--quick" => quick = true,
            "--out" => out = Some(args.next().expect("--out needs a file")),
            other => panic!("unknown argument {other:?} (expected --quick, --out FILE)"),
        }
    }
    let (count, messages) = if quick { (30, 5) } else { (100, 20) };

    let mut hop_times = one_hop(if quick { 10 } else { 30 }).await;
    let hop = median(&mut hop_times);
    println!(
        "one hop (2-node mesh, {} beats): median {hop:.2} ms",
        hop_times.len()
    );

    let (tx, mut rx) = mpsc::unbounded_channel();
    let setup = Instant::now();
    let nodes = start(count, &tx).await;
    connect(&nodes).await;
    let adjacency = graph(&nodes).await;
    let degrees: Vec<usize> = adjacency.iter().map(Vec::len).collect();
    let mean_degree = degrees.iter().sum::<usize>() as f64 / count as f64;
    // Subscriptions travel and meshes are grafted on heartbeats (1 s): a warm-up beat from
    // every 10th node must reach everyone before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut next_id = 0;
    for publisher in (0..count).step_by(10) {
        broadcast(&nodes, publisher, next_id, &mut rx).await;
        next_id += 1;
    }
    println!(
        "{count} nodes connected in {:.1} s, mean degree {mean_degree:.1}, max degree {}",
        setup.elapsed().as_secs_f64(),
        degrees.iter().max().unwrap()
    );

    // Quiet traffic: pings, heartbeats, identify; as long as the message window below.
    let window = (GAP * messages) + TAIL;
    tokio::time::sleep(TAIL).await;
    let before_quiet = total_bandwidth(&nodes);
    let cpu_before_quiet = process_cpu();
    tokio::time::sleep(window).await;
    let after_quiet = total_bandwidth(&nodes);
    let cpu_quiet = process_cpu() - cpu_before_quiet;

    // The messages, each from a different node.
    let before = total_bandwidth(&nodes);
    let cpu_before = process_cpu();
    let window_start = Instant::now();
    let mut convergence = Vec::new();
    let mut node_median = Vec::new();
    let mut ratios = Vec::new();
    let mut hops_of = Vec::new();
    let mut every_node = Vec::new();
    for k in 0..messages {
        let publisher = (k as usize * 37 + 5) % count;
        let mut times: Vec<f64> = broadcast(&nodes, publisher, next_id + k, &mut rx)
            .await
            .into_iter()
            .map(ms)
            .collect();
        every_node.extend_from_slice(&times);
        let hops = eccentricity(&adjacency, publisher);
        let last = times.iter().copied().fold(0.0, f64::max);
        convergence.push(last);
        node_median.push(median(&mut times));
        ratios.push(last / (hops as f64 * hop));
        hops_of.push(hops as f64);
        tokio::time::sleep(GAP).await;
    }
    tokio::time::sleep(TAIL).await;
    let after = total_bandwidth(&nodes);
    let cpu_busy = process_cpu() - cpu_before;
    let window_secs = window_start.elapsed().as_secs_f64();
    stop(nodes).await;

    let quiet_secs = window.as_secs_f64();
    let per_node = |b: u64| b as f64 / count as f64;
    let quiet_in = per_node(after_quiet.0 - before_quiet.0) / quiet_secs;
    let quiet_out = per_node(after_quiet.1 - before_quiet.1) / quiet_secs;
    let busy_in = per_node(after.0 - before.0);
    let busy_out = per_node(after.1 - before.1);
    // Bytes the messages cost: the window's bytes less the quiet rate over the window.
    let msg_in = (busy_in - quiet_in * window_secs) / f64::from(messages);
    let msg_out = (busy_out - quiet_out * window_secs) / f64::from(messages);
    let payload = serde_json::to_vec(&beat(0)).unwrap().len();
    // CPU the messages cost, all nodes together, and the convergence that alone allows on
    // this machine's cores (every node shares them).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu_per_msg = (cpu_busy.as_secs_f64() - cpu_quiet.as_secs_f64() / quiet_secs * window_secs)
        / f64::from(messages)
        * 1e3;
    let cpu_floor = cpu_per_msg / cores as f64;

    let median_convergence = median(&mut convergence.clone());
    let max_convergence = convergence.iter().copied().fold(0.0, f64::max);
    let median_node = median(&mut node_median.clone());
    let median_hops = median(&mut hops_of.clone());
    let ratio = median(&mut ratios.clone());
    // Share of (message, node) deliveries within a time: every 2nd percentile.
    every_node.sort_by(f64::total_cmp);
    let cdf: Vec<_> = (0..=50)
        .map(|k| {
            let share = f64::from(k) / 50.0;
            let at = ((every_node.len() - 1) as f64 * share).round() as usize;
            json!([every_node[at], share * 100.0])
        })
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{messages} messages: convergence median {median_convergence:.1} ms, max \
         {max_convergence:.1} ms; median node {median_node:.1} ms; publisher eccentricity \
         median {median_hops} hops"
    );
    println!(
        "process CPU per message (all nodes, less the quiet rate): {cpu_per_msg:.1} ms, \
         {cpu_floor:.1} ms on {cores} cores"
    );
    println!(
        "bytes per node: quiet {quiet_in:.0} B/s in, {quiet_out:.0} B/s out; per message \
         {msg_in:.0} B in, {msg_out:.0} B out (beat payload {payload} B)"
    );

    let what = format!(
        "convergence / (hops × one-hop time), median over {messages} messages on {count} nodes"
    );
    if let Some(out) = &out {
        let result = json!({
            "schema": 1,
            "name": "mesh",
            "title": format!("Mesh: gossip convergence on {count} nodes in one process"),
            "command": format!(
                "cargo bench -p mindos-mesh --features bandwidth-metrics --bench gossip{}",
                if quick { " -- --quick" } else { "" }
            ),
            "quick": quick,
            "seconds": seconds,
            "summary": format!(
                "{count} `mindos-mesh` nodes in one process (Tokio, {} worker threads) on \
                 127.0.0.1 over TCP + noise + yamux, with the production gossip parameters (mesh \
                 of 6, 1 s heartbeat, flood publish, signed and validated beats), each dialling \
                 {DIALS_PER_NODE} others at random (mean degree {mean_degree:.1}). {messages} \
                 capacity beats, each from a different node {} ms apart; convergence is the time \
                 from `publish_capacity` until the last other node delivered the beat \
                 (`MeshEvent::CapacityBeat`). The lower bound is the publisher's eccentricity in \
                 the connection graph (a beat travels at least one connection per hop) times the \
                 median one-hop time, measured the same way on a mesh of two nodes in this \
                 process ({} beats). Bytes come from libp2p's bandwidth counters \
                 (`libp2p_bandwidth_bytes_total`, `Mesh::with_bandwidth_metrics`): bytes on the \
                 connections' substreams after decryption and demultiplexing, so noise, yamux \
                 and TCP/IP overhead is not counted. The bytes a message costs are the window's \
                 bytes (the messages plus {} s of IHAVE gossip after the last) less the quiet \
                 rate (pings, heartbeats) measured over as long a window just before. All \
                 nodes share this process's cores, so a beat's convergence also waits for the \
                 CPU every node spends on it (signature checks, noise, yamux, validation): the \
                 process's CPU time per message (getrusage, less the quiet rate) divided by \
                 the cores is the floor that sets, shown beside the hop bound.",
                cores,
                GAP.as_millis(),
                hop_times.len(),
                TAIL.as_secs(),
            ),
            "ratio": { "what": what, "value": ratio },
            "tables": [
                {
                    "caption": "Convergence",
                    "columns": ["figure", "value"],
                    "rows": [
                        ["nodes", count.to_string()],
                        ["connections per node (mean / max)", format!("{mean_degree:.1} / {}", degrees.iter().max().unwrap())],
                        ["messages", messages.to_string()],
                        ["convergence, median over messages", format!("{median_convergence:.1} ms")],
                        ["convergence, max over messages", format!("{max_convergence:.1} ms")],
                        ["time to reach a node, median", format!("{median_node:.1} ms")],
                        ["publisher eccentricity (hops), median", format!("{median_hops}")],
                        ["one hop on a 2-node mesh, median", format!("{hop:.2} ms")],
                        ["lower bound (hops × one hop), median", format!("{:.2} ms", median_hops * hop)],
                        ["convergence / lower bound, median", format!("{ratio:.1}")],
                        ["process CPU per message, all nodes", format!("{cpu_per_msg:.1} ms")],
                        [format!("… divided by {cores} cores: the CPU floor"), format!("{cpu_floor:.1} ms")],
                        ["convergence / CPU floor, medians", format!("{:.1}", median_convergence / cpu_floor)],
                    ],
                },
                {
                    "caption": "Bytes per node, mean (libp2p bandwidth counters: substream bytes; in one process every byte a node sends another receives, so the means are equal)",
                    "columns": ["figure", "received", "sent"],
                    "rows": [
                        ["quiet mesh, per second", format!("{quiet_in:.0} B"), format!("{quiet_out:.0} B")],
                        [format!("{:.1} s window with {messages} messages", window_secs), format!("{busy_in:.0} B"), format!("{busy_out:.0} B")],
                        ["per message (window less quiet rate)", format!("{msg_in:.0} B"), format!("{msg_out:.0} B")],
                        ["per message ÷ beat payload (JSON)", format!("{:.1} × {payload} B", msg_in / payload as f64), format!("{:.1} × {payload} B", msg_out / payload as f64)],
                    ],
                },
            ],
            "plots": [
                {
                    "id": "mesh-reach",
                    "title": format!("Share of nodes reached against time ({count} nodes, {messages} messages)"),
                    "x_label": "ms after publish",
                    "y_label": "% of (message, node) deliveries",
                    "log_x": false,
                    "log_y": false,
                    "series": [
                        { "name": "deliveries", "points": cdf },
                        { "name": "lower bound for the farthest node, median", "points": [[median_hops * hop, 0.0], [median_hops * hop, 100.0]] },
                        { "name": "CPU floor (process CPU per message ÷ cores, mean)", "points": [[cpu_floor, 0.0], [cpu_floor, 100.0]] },
                    ],
                },
                {
                    "id": "mesh-convergence",
                    "title": format!("Gossip convergence per message ({count} nodes)"),
                    "x_label": "message",
                    "y_label": "ms",
                    "log_x": false,
                    "log_y": false,
                    "series": [
                        { "name": "last node", "points": convergence.iter().enumerate().map(|(i, y)| json!([i as f64, y])).collect::<Vec<_>>() },
                        { "name": "median node", "points": node_median.iter().enumerate().map(|(i, y)| json!([i as f64, y])).collect::<Vec<_>>() },
                        { "name": "lower bound (hops × one hop)", "points": hops_of.iter().enumerate().map(|(i, h)| json!([i as f64, h * hop])).collect::<Vec<_>>() },
                        { "name": "CPU floor (process CPU per message ÷ cores, mean)", "points": [[0.0, cpu_floor], [f64::from(messages - 1), cpu_floor]] },
                    ],
                },
            ],
        });
        std::fs::write(out, serde_json::to_string_pretty(&result).unwrap())
            .unwrap_or_else(|e| panic!("cannot write {out}: {e}"));
        println!("wrote {out} ({seconds:.0} s)");
    }
    println!("ratio: {what} = {ratio:.1}");
}
