//! Resource exhaustion: hostile peers on real meshes on 127.0.0.1. A caller that floods
//! frames and never reads its answers, one that makes the server answer more than it takes,
//! peers that are not admitted, and a thousand throwaway identities against one admitted
//! caller.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    missing_docs
)]

use std::{
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use mindos_mesh::{
    libp2p::{multiaddr::Protocol, noise, tcp, yamux, Stream, SwarmBuilder},
    Admission, ErrorCode, InferRequest, InferResponse, Keypair, Mesh, MeshClient, MeshConfig,
    MeshEvent, Multiaddr, NetUid, PeerId, Responder, INFER_PROTOCOL,
};
use serde_json::json;
use tokio::sync::oneshot;

const TEST_DEADLINE: Duration = Duration::from_secs(120);

/// A mesh node whose inbound requests go to a handler.
struct Node {
    client: MeshClient,
    stop: Option<oneshot::Sender<()>>,
}

impl Node {
    fn start(
        config: MeshConfig,
        handler: impl Fn(InferRequest, Responder) + Send + 'static,
    ) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let (client, mut events, event_loop) = Mesh::new(config).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(event_loop.run(async move {
            let _ = stopped.await;
        }));
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let MeshEvent::InboundRequest {
                    request, responder, ..
                } = event
                {
                    handler(request, responder);
                }
            }
        });
        Self {
            client,
            stop: Some(stop),
        }
    }

    async fn addr(&self) -> Multiaddr {
        let addrs = self.client.listen_addrs().await.unwrap();
        addrs[0].clone().with(Protocol::P2p(self.client.peer_id()))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn echo(request: InferRequest, responder: Responder) {
    responder.respond(InferResponse::ok_raw(request.payload));
}

fn request(id: u64, payload: serde_json::Value) -> InferRequest {
    InferRequest::encode(NetUid(1), id, &payload).unwrap()
}

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_DEADLINE, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish in {TEST_DEADLINE:?}"))
}

/// Polls `check` every 50 ms until it holds, for at most `limit`.
async fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A bare libp2p peer with a fresh identity (TCP, noise, yamux, raw streams) connected to
/// `server`: it writes whatever it likes on `/mindos/infer/1` links.
async fn raw_peer(server: &Multiaddr) -> mindos_mesh::libp2p::Swarm<libp2p_stream::Behaviour> {
    let mut swarm = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::new(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| libp2p_stream::Behaviour::new())
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    swarm.dial(server.clone()).unwrap();
    swarm
}

/// Runs `swarm` in the background and opens a link to `server` through it.
async fn open_link(
    swarm: mindos_mesh::libp2p::Swarm<libp2p_stream::Behaviour>,
    server: PeerId,
) -> Stream {
    let mut control = swarm.behaviour().new_control();
    let mut swarm = swarm;
    tokio::spawn(async move { while swarm.next().await.is_some() {} });
    control.open_stream(server, INFER_PROTOCOL).await.unwrap()
}

fn header(tag: u64, len: u32) -> Vec<u8> {
    let mut wire = tag.to_be_bytes().to_vec();
    wire.extend_from_slice(&len.to_be_bytes());
    wire
}

fn frame(tag: u64, request: &InferRequest) -> Vec<u8> {
    let body = serde_json::to_vec(request).unwrap();
    let mut wire = header(tag, u32::try_from(body.len()).unwrap());
    wire.extend(body);
    wire
}

/// Writes `chunk` until `limit` bytes are sent, a write stalls for `stall`, or the link
/// fails. Returns the bytes sent and whether it stalled.
async fn flood(link: &mut Stream, chunk: &[u8], limit: usize, stall: Duration) -> (usize, bool) {
    let mut sent = 0;
    while sent < limit {
        match tokio::time::timeout(stall, link.write_all(chunk)).await {
            Ok(Ok(())) => sent += chunk.len(),
            Ok(Err(_)) => return (sent, false),
            Err(_) => return (sent, true),
        }
    }
    (sent, false)
}

/// Reads the link to its end (a clean close or a reset) and returns the bytes read; panics
/// if it stays open for `limit`.
async fn read_to_close(link: &mut Stream, limit: Duration) -> usize {
    let mut read = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, link.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return read,
            Ok(Ok(n)) => read += n,
            Err(_) => panic!("the server kept the link open for {limit:?} ({read} bytes read)"),
        }
    }
}

/// C2: zero-length frames are malformed requests, each answered `invalid_input` by the mesh
/// itself (no authorization involved). A caller that sends them and never reads must not
/// grow the server's memory: the server stops reading once a few answers wait, keeps its
/// queued answer bytes under a small fixed budget, and closes the link after its write
/// timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooder_that_never_reads_is_stopped_bounded_and_disconnected() {
    within("test", async {
        let mut config = MeshConfig::local(Keypair::generate_ed25519());
        config.answer_write_timeout = Duration::from_secs(1);
        let budget = u64::from(config.max_queued_answer_bytes);
        let server = Node::start(config, echo);
        let server_id = server.client.peer_id();
        let mut link = open_link(raw_peer(&server.addr().await).await, server_id).await;

        // 1,000 zero-length frames per write; 8 MiB would be 700,000 answers.
        let chunk = header(0, 0).repeat(1000);
        let (sent, stalled) = flood(&mut link, &chunk, 8 << 20, Duration::from_secs(3)).await;
        // What the server may take before it stops reading: its yamux receive window, the
        // frames whose answers filled the flooder's window, a few answers' worth more.
        assert!(
            sent < 2 << 20,
            "the server kept reading a caller that never reads: {sent} bytes taken"
        );
        eventually(
            "the server closes the link",
            Duration::from_secs(10),
            || server.client.inbound_stats().links_closed_backlogged == 1,
        )
        .await;
        let stats = server.client.inbound_stats();
        // 32 refusals of ~100 bytes at most wait at once.
        assert!(
            stats.peak_queued_bytes <= 64 * 1024 && stats.peak_queued_bytes <= budget,
            "{stats:?}"
        );
        // The flooder sees the close once it reads what the server had managed to write.
        let read = read_to_close(&mut link, Duration::from_secs(10)).await;
        assert!(read < 2 << 20, "{read} bytes of answers");
        eprintln!(
            "flooder: {sent} bytes sent (stalled: {stalled}), {read} bytes of answers; {stats:?}"
        );

        // The server still serves others.
        let client = Node::start(MeshConfig::local(Keypair::generate_ed25519()), echo);
        client.client.dial(server.addr().await).await.unwrap();
        let answer = client
            .client
            .request(server_id, request(1, json!("ok")), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(answer, InferResponse::encode_ok(&json!("ok")).unwrap());
    })
    .await;
}

/// C2, answers the application makes: a caller that pipelines requests with large answers
/// and never reads loses the link as soon as the answers waiting would pass the byte budget,
/// and the server never holds more than the budget for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_past_the_byte_budget_close_the_link() {
    within("test", async {
        let mut config = MeshConfig::local(Keypair::generate_ed25519());
        config.max_response_size = 64 * 1024;
        config.max_queued_answer_bytes = 256 * 1024;
        // Long enough that the budget, not the timeout, closes the link.
        config.answer_write_timeout = Duration::from_secs(60);
        let server = Node::start(config, |request, responder| {
            responder.respond(
                InferResponse::encode_ok(&json!(
                    "x".repeat(60_000 + request.request_id as usize % 7)
                ))
                .unwrap(),
            )
        });
        let server_id = server.client.peer_id();
        let mut link = open_link(raw_peer(&server.addr().await).await, server_id).await;

        let mut wire = Vec::new();
        for tag in 0..100 {
            wire.extend(frame(tag, &request(tag, json!(tag))));
        }
        let _ = flood(&mut link, &wire, wire.len(), Duration::from_secs(3)).await;
        eventually(
            "the server closes the link",
            Duration::from_secs(10),
            || server.client.inbound_stats().links_closed_backlogged == 1,
        )
        .await;
        let stats = server.client.inbound_stats();
        assert!(stats.peak_queued_bytes <= 256 * 1024, "{stats:?}");
        // 100 answers of 60 KB are 6 MB; the flooder gets what fit in its window, then the
        // close.
        let read = read_to_close(&mut link, Duration::from_secs(10)).await;
        assert!(read < 6_000_000, "{read} bytes of answers");
    })
    .await;
}

/// H1: a link from a peer the admission policy does not admit is refused from its first
/// header: the request's body is never read (here it is never even sent), the application
/// never sees it, and the link is closed. Admitting the peer at run time lets it in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_is_not_admitted_is_refused_before_its_body_is_read() {
    within("test", async {
        let seen = Arc::new(AtomicUsize::new(0));
        let mut config = MeshConfig::local(Keypair::generate_ed25519());
        let admission = Admission::only([]);
        config.admission = admission.clone();
        let counted = seen.clone();
        let server = Node::start(config, move |request, responder| {
            counted.fetch_add(1, Ordering::SeqCst);
            echo(request, responder)
        });
        let server_id = server.client.peer_id();
        let addr = server.addr().await;

        // A header announcing a 100 KiB body, and no body.
        let mut link = open_link(raw_peer(&addr).await, server_id).await;
        link.write_all(&header(42, 100 * 1024)).await.unwrap();
        link.flush().await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), link.read_to_end(&mut answer))
            .await
            .expect("the refusal did not wait for the body")
            .unwrap();
        assert_eq!(
            answer[..8],
            42u64.to_be_bytes(),
            "the refusal carries the tag"
        );
        let refusal: InferResponse = serde_json::from_slice(&answer[12..]).unwrap();
        assert_eq!(
            refusal.error_code(),
            Some(ErrorCode::Unauthorized),
            "{refusal:?}"
        );

        // Through the mesh's own client, the same.
        let caller = Node::start(MeshConfig::local(Keypair::generate_ed25519()), echo);
        caller.client.dial(addr).await.unwrap();
        let answer = caller
            .client
            .request(server_id, request(1, json!(1)), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(
            answer.error_code(),
            Some(ErrorCode::Unauthorized),
            "{answer:?}"
        );
        let stats = server.client.inbound_stats();
        assert_eq!(
            (stats.links_served, seen.load(Ordering::SeqCst)),
            (0, 0),
            "{stats:?}"
        );
        assert!(stats.links_refused >= 2, "{stats:?}");

        // Admitted at run time, it is served.
        assert!(admission.set_admitted([caller.client.peer_id()].into()));
        let answer = caller
            .client
            .request(server_id, request(2, json!(2)), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(answer, InferResponse::encode_ok(&json!(2)).unwrap());
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    })
    .await;
}

/// H1: the subnet's own request limit is applied on the link, before the payload is copied
/// or the application sees the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_their_subnets_limit_are_refused_on_the_link() {
    within("test", async {
        let seen = Arc::new(AtomicUsize::new(0));
        let config = MeshConfig::local(Keypair::generate_ed25519());
        config.admission.set_request_limit(NetUid(1), 1024);
        let counted = seen.clone();
        let server = Node::start(config, move |request, responder| {
            counted.fetch_add(1, Ordering::SeqCst);
            echo(request, responder)
        });
        let caller = Node::start(MeshConfig::local(Keypair::generate_ed25519()), echo);
        caller.client.dial(server.addr().await).await.unwrap();
        let server_id = server.client.peer_id();
        let big = request(1, json!({"pixels": vec![16; 600]}));
        let answer = caller
            .client
            .request(server_id, big, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(answer.error_code(), Some(ErrorCode::TooLarge), "{answer:?}");
        assert_eq!(seen.load(Ordering::SeqCst), 0);
        let mut other_subnet = request(2, json!({"pixels": vec![16; 600]}));
        other_subnet.netuid = NetUid(2);
        let answer = caller
            .client
            .request(server_id, other_subnet, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(matches!(answer, InferResponse::Ok { .. }), "{answer:?}");
    })
    .await;
}

/// Throwaway identities attacking one server: each dials from this process, opens up to
/// `LINKS` links and announces a 200 KiB request on each, then holds everything open until
/// aborted.
struct Sybils {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Sybils whose link attempts are all over (opened or failed).
    done: Arc<AtomicUsize>,
    /// Links the server let a sybil open.
    links: Arc<AtomicUsize>,
}

impl Sybils {
    const LINKS: u64 = 4;

    async fn start(count: usize, server: &Multiaddr, server_id: PeerId) -> Self {
        let done = Arc::new(AtomicUsize::new(0));
        let links = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::with_capacity(count);
        for _ in 0..count {
            let mut swarm = raw_peer(server).await;
            let mut control = swarm.behaviour().new_control();
            let (done, links) = (done.clone(), links.clone());
            tasks.push(tokio::spawn(async move {
                let drive = async move { while swarm.next().await.is_some() {} };
                let attack = async move {
                    let mut held = Vec::new();
                    for tag in 0..Self::LINKS {
                        if let Ok(mut link) = control.open_stream(server_id, INFER_PROTOCOL).await {
                            let mut wire = header(tag, 200 * 1024);
                            wire.extend(vec![b' '; 16 * 1024]);
                            let _ = link.write_all(&wire).await;
                            links.fetch_add(1, Ordering::SeqCst);
                            held.push(link);
                        }
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                    // Hold the links (and the connection) until aborted.
                    std::future::pending::<()>().await;
                };
                futures::join!(drive, attack);
            }));
        }
        Self { tasks, done, links }
    }

    fn all_done(&self) -> bool {
        self.done.load(Ordering::SeqCst) == self.tasks.len()
    }
}

impl Drop for Sybils {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A server on `127.0.0.1` and `::1` admitting only a validator, which calls it on `::1`:
/// another address than the sybils', who use `127.0.0.1`.
async fn admitting_server(
    limits: impl FnOnce(&mut MeshConfig),
) -> (Node, Node, PeerId, Multiaddr, Multiaddr) {
    let mut config = MeshConfig::local(Keypair::generate_ed25519());
    config.listen_addrs =
        vec![Multiaddr::from(std::net::Ipv6Addr::LOCALHOST).with(Protocol::Tcp(0))];
    let validator = Node::start(config, echo);
    let mut config = MeshConfig::local(Keypair::generate_ed25519());
    config
        .listen_addrs
        .push(Multiaddr::from(std::net::Ipv6Addr::LOCALHOST).with(Protocol::Tcp(0)));
    config.admission = Admission::only([validator.client.peer_id()]);
    limits(&mut config);
    let server = Node::start(config, echo);
    let server_id = server.client.peer_id();
    let addrs = server.client.listen_addrs().await.unwrap();
    let on = |v6: bool| {
        addrs
            .iter()
            .find(|a| matches!(a.iter().next(), Some(Protocol::Ip6(_))) == v6)
            .unwrap()
            .clone()
            .with(Protocol::P2p(server_id))
    };
    let (v4, v6) = (on(false), on(true));
    (validator, server, server_id, v4, v6)
}

/// The validator's requests, each answered within 5 s; returns the slowest.
async fn served_in_time(validator: &Node, server: PeerId, ids: std::ops::Range<u64>) -> Duration {
    let mut slowest = Duration::ZERO;
    for id in ids {
        let asked = Instant::now();
        let answer = validator
            .client
            .request(server, request(id, json!(id)), Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("request {id} failed after {:?}: {e}", asked.elapsed()));
        assert_eq!(answer, InferResponse::encode_ok(&json!(id)).unwrap());
        slowest = slowest.max(asked.elapsed());
    }
    slowest
}

/// H1: 1,000 throwaway PeerIds from one address (this process, `127.0.0.1`), each trying 4
/// links with a 200 KiB request announced, do not stop an admitted caller (a permitted
/// validator) on another address from connecting during the flood and being served in time.
/// The per-IP cap takes the sybils' connections before their handshakes: 16 get through,
/// and none of their links is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sybils_from_one_address_do_not_starve_an_admitted_validator() {
    within("test", async {
        const SYBILS: usize = 1000;
        let (validator, server, server_id, v4, v6) = admitting_server(|_| {}).await;
        let per_ip = MeshConfig::local(Keypair::generate_ed25519())
            .limits
            .max_incoming_per_ip as usize;

        let started = Instant::now();
        let sybils = Sybils::start(SYBILS, &v4, server_id).await;
        validator.client.dial(v6).await.unwrap();
        let mut slowest = served_in_time(&validator, server_id, 0..10).await;
        eventually("every sybil has tried", Duration::from_secs(20), || {
            sybils.all_done()
        })
        .await;
        slowest = slowest.max(served_in_time(&validator, server_id, 10..20).await);

        let links = sybils.links.load(Ordering::SeqCst);
        let stats = server.client.inbound_stats();
        assert!(links <= per_ip * 4, "{links} sybil links opened");
        assert_eq!(
            stats.links_served, 1,
            "only the validator's link: {stats:?}"
        );
        eprintln!(
            "{SYBILS} sybils from one address: {links} links opened; slowest validator request \
             {slowest:?}, {:?} in all; {stats:?}",
            started.elapsed()
        );
    })
    .await;
}

/// H1, sybils on many addresses: the per-IP cap raised so that it catches none of them (as if
/// each had an address of its own), 1,000 throwaway PeerIds take every established-connection
/// slot the server has for strangers and hold it. A stranger arriving then is refused, but an
/// admitted validator connecting then is served in time: the slots of peers the admission
/// policy names are not theirs to take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sybils_on_many_addresses_do_not_lock_out_an_admitted_validator() {
    within("test", async {
        const SYBILS: usize = 1000;
        let (validator, server, server_id, v4, v6) =
            admitting_server(|config| config.limits.max_incoming_per_ip = u32::MAX).await;
        let cap = MeshConfig::local(Keypair::generate_ed25519())
            .limits
            .max_established_incoming as usize;

        let started = Instant::now();
        let sybils = Sybils::start(SYBILS, &v4, server_id).await;
        eventually("every sybil has tried", Duration::from_secs(25), || {
            sybils.all_done()
        })
        .await;
        let flood = started.elapsed();
        let links = sybils.links.load(Ordering::SeqCst);
        assert!(
            links >= cap * 3,
            "the sybils should fill the server's {cap} slots: {links} links opened"
        );

        let stranger = Node::start(MeshConfig::local(Keypair::generate_ed25519()), echo);
        let refused = match stranger.client.dial(v6.clone()).await {
            Ok(peer) => stranger
                .client
                .request(peer, request(0, json!(0)), Duration::from_secs(5))
                .await
                .is_err(),
            Err(_) => true,
        };
        assert!(refused, "a stranger got a connection past the full slots");

        validator.client.dial(v6).await.unwrap();
        let slowest = served_in_time(&validator, server_id, 0..20).await;
        let stats = server.client.inbound_stats();
        assert_eq!(
            stats.links_served, 1,
            "only the validator's link: {stats:?}"
        );
        eprintln!(
            "{SYBILS} sybils on many addresses: {links} links opened in {flood:?}; slowest \
             validator request {slowest:?}; {stats:?}"
        );
    })
    .await;
}

/// A link is bounded in time as well as in size. A caller that sends half a header and
/// stalls loses the link once the frame has taken longer than `request_timeout` (pings keep
/// the connection alive, so only the link's own timeouts can end it); one that sends nothing
/// loses it after `idle_connection_timeout`. A caller that keeps sending, or waits for a slow
/// answer, keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_stalls_loses_its_link() {
    within("test", async {
        // Idle links live long here: only the frame timeout can close the first link.
        let mut config = MeshConfig::local(Keypair::generate_ed25519());
        config.request_timeout = Duration::from_millis(500);
        let server = Node::start(config, echo);
        let server_id = server.client.peer_id();
        let swarm = raw_peer(&server.addr().await).await;
        let mut link = open_link(swarm, server_id).await;
        link.write_all(&header(1, 100)[..6]).await.unwrap();
        link.flush().await.unwrap();
        let started = Instant::now();
        read_to_close(&mut link, Duration::from_secs(8)).await;
        eprintln!("half a header: link closed after {:?}", started.elapsed());

        // A short idle timeout: a link that never sends is closed after it; one in use, or
        // waiting for an answer that takes longer than the idle timeout, is not.
        let mut config = MeshConfig::local(Keypair::generate_ed25519());
        config.idle_connection_timeout = Duration::from_millis(500);
        let server = Node::start(config, |request, responder| {
            if request.payload.get() == r#""slow""# {
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    echo(request, responder);
                });
            } else {
                echo(request, responder);
            }
        });
        let server_id = server.client.peer_id();
        let addr = server.addr().await;
        let mut silent = open_link(raw_peer(&addr).await, server_id).await;
        let started = Instant::now();
        read_to_close(&mut silent, Duration::from_secs(8)).await;
        eprintln!("no request: link closed after {:?}", started.elapsed());

        let mut link = open_link(raw_peer(&addr).await, server_id).await;
        for tag in 0..8 {
            link.write_all(&frame(tag, &request(tag, json!(tag))))
                .await
                .unwrap();
            link.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        link.write_all(&frame(8, &request(8, json!("slow"))))
            .await
            .unwrap();
        link.flush().await.unwrap();
        // Nine answers, the last 1.5 s after its request (three idle timeouts), then the
        // close once the link has been idle after that.
        let mut answers = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), link.read_to_end(&mut answers))
            .await
            .expect("the link was not closed once idle");
        assert!(read.is_ok() || !answers.is_empty(), "{read:?}");
        let mut tags = Vec::new();
        let mut rest = &answers[..];
        while rest.len() >= 12 {
            let len = u32::from_be_bytes(rest[8..12].try_into().unwrap()) as usize;
            tags.push(u64::from_be_bytes(rest[..8].try_into().unwrap()));
            rest = &rest[(12 + len).min(rest.len())..];
        }
        assert_eq!(tags, (0..9).collect::<Vec<_>>(), "every request answered");
        assert_eq!(server.client.inbound_stats().links_served, 2);
    })
    .await;
}

/// The per-peer cap of 4 links counts a link until all of it is gone. A caller that sends a
/// request and half-closes its link ends the link's reader, but the writer and the request
/// waiting for its answer live on; it must not open a fifth link in their place. Once the
/// answers are written, the links are gone and new ones are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_closed_links_with_answers_pending_still_count_against_the_cap() {
    within("test", async {
        let held: Arc<std::sync::Mutex<Vec<Responder>>> = Arc::default();
        let keep = held.clone();
        let server = Node::start(
            MeshConfig::local(Keypair::generate_ed25519()),
            move |_, responder| keep.lock().unwrap().push(responder),
        );
        let server_id = server.client.peer_id();
        let swarm = raw_peer(&server.addr().await).await;
        let mut control = swarm.behaviour().new_control();
        let mut swarm = swarm;
        tokio::spawn(async move { while swarm.next().await.is_some() {} });
        let stats = || server.client.inbound_stats();

        let mut links = Vec::new();
        for tag in 0..8u64 {
            let mut link = control
                .open_stream(server_id, INFER_PROTOCOL)
                .await
                .unwrap();
            eventually(
                "the link is served or refused",
                Duration::from_secs(10),
                || {
                    let s = stats();
                    s.links_served + s.links_refused == tag + 1
                },
            )
            .await;
            let _ = link.write_all(&frame(tag, &request(tag, json!(tag)))).await;
            let _ = link.flush().await;
            if stats().links_served == tag + 1 {
                eventually("the request is held", Duration::from_secs(10), || {
                    held.lock().unwrap().len() == tag as usize + 1
                })
                .await;
            }
            // Half-close: the server's reader sees the end of the requests.
            let _ = link.close().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            links.push(link);
        }
        let s = stats();
        assert_eq!(
            (s.links_served, s.links_refused, held.lock().unwrap().len()),
            (4, 4, 4),
            "{s:?}"
        );

        // The answers go out on the half-closed links, which then end and free their slots.
        for responder in held.lock().unwrap().drain(..) {
            responder.respond(InferResponse::encode_ok(&json!("late")).unwrap());
        }
        for link in links.iter_mut().take(4) {
            let read = read_to_close(link, Duration::from_secs(10)).await;
            assert!(read > 12, "the answer reached the half-closed link");
        }
        let mut link = control
            .open_stream(server_id, INFER_PROTOCOL)
            .await
            .unwrap();
        link.write_all(&frame(9, &request(9, json!(9))))
            .await
            .unwrap();
        link.flush().await.unwrap();
        eventually("a new link is served", Duration::from_secs(10), || {
            held.lock().unwrap().len() == 1
        })
        .await;
        assert_eq!(stats().links_served, 5);
    })
    .await;
}
