//! End-to-end tests: real meshes on 127.0.0.1 (TCP, random ports, mDNS off).

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    missing_docs
)]

use std::{
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use mindos_mesh::{
    libp2p::multiaddr::Protocol,
    route::{request_with_failover, AttemptError},
    wire::{unix_time_ms, LOAD_FULL},
    CapacityBeat, ErrorCode, InferRequest, InferResponse, Keypair, Mesh, MeshClient, MeshConfig,
    MeshError, MeshEvent, Multiaddr, NetUid, PeerId, PowerSource, PowerStatus, Responder,
};
use serde_json::json;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

/// Upper bound for every test; they normally take well under a second or two.
const TEST_DEADLINE: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

struct Node {
    client: MeshClient,
    events: Option<mpsc::Receiver<MeshEvent>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Node {
    fn start(config: MeshConfig) -> Self {
        // `RUST_LOG=mindos_mesh=debug cargo test -p mindos-mesh` shows what the meshes do.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let (client, events, event_loop) = Mesh::new(config).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(event_loop.run(async move {
            let _ = stopped.await;
        }));
        Self {
            client,
            events: Some(events),
            stop: Some(stop),
            task,
        }
    }

    fn local() -> Self {
        Self::start(MeshConfig::local(Keypair::generate_ed25519()))
    }

    fn peer_id(&self) -> PeerId {
        self.client.peer_id()
    }

    /// A listen address with `/p2p/<id>`.
    async fn addr(&self) -> Multiaddr {
        let addrs = self.client.listen_addrs().await.unwrap();
        assert!(!addrs.is_empty());
        addrs[0].clone().with(Protocol::P2p(self.peer_id()))
    }

    /// Answers every inbound request with `handler`.
    fn serve(&mut self, handler: impl Fn(InferRequest, Responder) + Send + 'static) {
        let mut events = self.events.take().expect("events already taken");
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
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("event loop did not stop")
            .unwrap();
    }
}

fn echo(name: &'static str) -> impl Fn(InferRequest, Responder) + Send + 'static {
    move |request, responder| {
        responder.respond(
            InferResponse::encode_ok(
                &json!({ "server": name, "echo": request.payload, "id": request.request_id }),
            )
            .unwrap(),
        )
    }
}

fn request(id: u64, payload: serde_json::Value) -> InferRequest {
    InferRequest::encode(NetUid(1), id, &payload).unwrap()
}

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_DEADLINE, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish in {TEST_DEADLINE:?}"))
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `limit`.
async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_is_answered_and_rtt_is_measured() {
    within("test", async {
        let mut server = Node::local();
        server.serve(echo("a"));
        let client = Node::local();

        let reached = client.client.dial(server.addr().await).await.unwrap();
        assert_eq!(reached, server.peer_id());

        let answer = client
            .client
            .request(
                server.peer_id(),
                request(42, json!({"x": [1, 2, 3]})),
                REQUEST_TIMEOUT,
            )
            .await
            .unwrap();
        assert_eq!(
            answer,
            InferResponse::encode_ok(&json!({"server": "a", "echo": {"x": [1, 2, 3]}, "id": 42}))
                .unwrap()
        );

        let server_id = server.peer_id();
        let rtt = eventually("ping", Duration::from_secs(10), || async {
            let peers = client.client.peers().await.unwrap();
            let info = peers.into_iter().find(|p| p.peer_id == server_id)?;
            assert!(info.connected);
            info.rtt
        })
        .await;
        assert!(rtt < Duration::from_secs(1), "loopback rtt {rtt:?}");

        client.stop().await;
        server.stop().await;
    })
    .await;
}

/// A libp2p node that speaks noise, yamux and ping but not `/mindos/infer/1`.
async fn foreign_node() -> Multiaddr {
    use mindos_mesh::libp2p::{futures::StreamExt, noise, ping, swarm::SwarmEvent, tcp, yamux};
    let mut swarm = mindos_mesh::libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::new(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| ping::Behaviour::default())
        .unwrap()
        .build();
    let peer = *swarm.local_peer_id();
    swarm
        .listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap())
        .unwrap();
    let addr = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = swarm.select_next_some().await {
            break address;
        }
    };
    tokio::spawn(async move { while swarm.next().await.is_some() {} });
    addr.with(Protocol::P2p(peer))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_without_the_protocol_is_reported_as_such() {
    within("test", async {
        let client = Node::local();
        let foreign = client.client.dial(foreign_node().await).await.unwrap();
        let error = client
            .client
            .request(foreign, request(1, json!({"x": 1})), REQUEST_TIMEOUT)
            .await
            .unwrap_err();
        assert!(
            matches!(error, MeshError::UnsupportedProtocol),
            "expected unsupported protocol, got {error:?}"
        );
        client.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_are_refused_and_the_peer_stays_usable() {
    within("test", async {
        // The server accepts at most 32 KiB; the client would send up to 1 MiB.
        let mut server_config = MeshConfig::local(Keypair::generate_ed25519());
        server_config.max_request_size = 32 * 1024;
        let mut server = Node::start(server_config);
        server.serve(echo("a"));
        let client = Node::local();
        client.client.dial(server.addr().await).await.unwrap();
        let server_id = server.peer_id();

        // Over the client's own limit: refused before anything is sent.
        let huge = request(1, json!("x".repeat(2 * 1024 * 1024)));
        let err = client
            .client
            .request(server_id, huge, REQUEST_TIMEOUT)
            .await
            .unwrap_err();
        assert!(
            matches!(err, MeshError::RequestTooLarge { limit, .. } if limit == 1024 * 1024),
            "{err:?}"
        );

        // Over the server's limit (and over yamux's 256 KiB window): the server discards it
        // without buffering and answers with a typed error.
        let big = request(2, json!("x".repeat(400 * 1024)));
        let answer = client
            .client
            .request(server_id, big, REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(answer.error_code(), Some(ErrorCode::TooLarge), "{answer:?}");

        // Far over the server's limit: the server does not read it, answers at once and
        // closes the link (the caller is still blocked writing it).
        let started = tokio::time::Instant::now();
        let huge = request(3, json!("x".repeat(900 * 1024)));
        let answer = client
            .client
            .request(server_id, huge, REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(answer.error_code(), Some(ErrorCode::TooLarge), "{answer:?}");
        assert!(started.elapsed() < Duration::from_secs(5));

        // The same peer still serves normal requests, on a new link.
        let answer = client
            .client
            .request(server_id, request(4, json!("small")), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert!(matches!(answer, InferResponse::Ok { .. }), "{answer:?}");

        client.stop().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_responses_are_refused_and_the_peer_stays_usable() {
    within("test", async {
        let big_answer = |request: InferRequest, responder: Responder| {
            let size: usize = serde_json::from_str(request.payload.get()).unwrap_or(0);
            responder.respond(InferResponse::encode_ok(&json!("y".repeat(size))).unwrap());
        };
        // The server sends at most 256 KiB; the client reads at most 64 KiB.
        let mut server_config = MeshConfig::local(Keypair::generate_ed25519());
        server_config.max_response_size = 256 * 1024;
        let mut server = Node::start(server_config);
        server.serve(big_answer);
        let mut client_config = MeshConfig::local(Keypair::generate_ed25519());
        client_config.max_response_size = 64 * 1024;
        let client = Node::start(client_config);
        client.client.dial(server.addr().await).await.unwrap();
        let server_id = server.peer_id();

        // Over the client's limit: not read, typed error at the caller.
        let err = client
            .client
            .request(server_id, request(1, json!(128 * 1024)), REQUEST_TIMEOUT)
            .await
            .unwrap_err();
        assert!(
            matches!(err, MeshError::ResponseTooLarge { size, limit: 65_536 } if size > 128 * 1024),
            "{err:?}"
        );

        // Over the server's limit: the server substitutes a `too_large` error.
        let answer = client
            .client
            .request(server_id, request(2, json!(512 * 1024)), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(answer.error_code(), Some(ErrorCode::TooLarge), "{answer:?}");

        // And the peer is still usable.
        let answer = client
            .client
            .request(server_id, request(3, json!(10)), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(
            answer,
            InferResponse::encode_ok(&json!("y".repeat(10))).unwrap()
        );

        client.stop().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_beats_reach_subscribers() {
    within("test", async {
        let miner = Node::local();
        let mut validator = Node::local();
        let mut beats = validator.events.take().unwrap();
        validator.client.dial(miner.addr().await).await.unwrap();
        // Beats count only from peers bound to the subnet (the chain says which).
        validator
            .client
            .set_beat_publishers(NetUid(7), [miner.peer_id()])
            .await
            .unwrap();
        validator.client.subscribe(NetUid(7)).await.unwrap();
        miner.client.subscribe(NetUid(7)).await.unwrap();

        let beat = CapacityBeat {
            netuid: NetUid(7),
            load: LOAD_FULL / 4,
            queue_depth: 3,
            max_batch: 8,
            power: PowerStatus {
                source: PowerSource::Battery,
                battery_percent: Some(64),
                low_power: false,
            },
            sent_at_ms: unix_time_ms(),
        };

        // An invalid beat is refused before it leaves the node.
        let mut bad = beat.clone();
        bad.load = LOAD_FULL + 1;
        assert!(matches!(
            miner.client.publish_capacity(bad).await,
            Err(MeshError::InvalidBeat(_))
        ));

        // Subscriptions take a moment to propagate: publish until the validator hears one.
        let miner_id = miner.peer_id();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let received = 'delivery: loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no capacity beat arrived within 20 s"
            );
            let mut fresh = beat.clone();
            fresh.sent_at_ms = unix_time_ms();
            match miner.client.publish_capacity(fresh).await {
                Ok(()) | Err(MeshError::NoSubscribers { .. }) => {}
                Err(e) => panic!("publish failed: {e}"),
            }
            let wait = tokio::time::sleep(Duration::from_millis(200));
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    () = &mut wait => break,
                    event = beats.recv() => match event.expect("event stream ended") {
                        MeshEvent::CapacityBeat { peer, beat } => break 'delivery (peer, beat),
                        _ => continue,
                    },
                }
            }
        };
        assert_eq!(received.0, miner_id);
        assert_eq!(received.1.netuid, NetUid(7));
        assert_eq!(received.1.queue_depth, 3);
        assert_eq!(received.1.power.battery_percent, Some(64));

        let peers = validator.client.peers().await.unwrap();
        let info = peers.iter().find(|p| p.peer_id == miner_id).unwrap();
        assert_eq!(info.last_beat.as_ref().map(|b| b.netuid), Some(NetUid(7)));

        validator.stop().await;
        miner.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_requests_time_out_and_dropped_ones_fail_internal() {
    within("test", async {
        let held: Arc<Mutex<Vec<Responder>>> = Arc::default();
        let mut server = Node::local();
        let keep = held.clone();
        server.serve(move |request, responder| match request.request_id {
            1 => keep.lock().unwrap().push(responder),
            2 => drop(responder),
            _ => responder.respond(InferResponse::encode_ok(&json!(null)).unwrap()),
        });
        let client = Node::local();
        client.client.dial(server.addr().await).await.unwrap();
        let server_id = server.peer_id();

        let started = tokio::time::Instant::now();
        let err = client
            .client
            .request(
                server_id,
                request(1, json!(null)),
                Duration::from_millis(500),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, MeshError::Timeout), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(held.lock().unwrap().len(), 1);

        let answer = client
            .client
            .request(server_id, request(2, json!(null)), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(answer.error_code(), Some(ErrorCode::Internal), "{answer:?}");

        let answer = client
            .client
            .request(server_id, request(3, json!(null)), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert!(matches!(answer, InferResponse::Ok { .. }));

        client.stop().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_moves_to_the_next_server_when_one_shuts_down() {
    within("test", async {
        let mut first = Node::local();
        first.serve(echo("first"));
        let mut second = Node::local();
        second.serve(echo("second"));
        let caller = Node::local();
        let first_addr = first.addr().await;
        caller.client.dial(first_addr.clone()).await.unwrap();
        caller.client.dial(second.addr().await).await.unwrap();
        let (first_id, second_id) = (first.peer_id(), second.peer_id());
        let order = [first_id, second_id];
        let per_try = Duration::from_secs(5);

        let served = request_with_failover(&caller.client, &order, &request(1, json!(1)), per_try)
            .await
            .unwrap();
        assert_eq!(served.peer, first_id);
        assert!(served.failed.is_empty());
        let served =
            request_with_failover(&caller.client, &[second_id], &request(2, json!(2)), per_try)
                .await
                .unwrap();
        assert_eq!(served.peer, second_id);

        first.stop().await;

        let served = request_with_failover(&caller.client, &order, &request(3, json!(3)), per_try)
            .await
            .unwrap();
        assert_eq!(served.peer, second_id);
        assert_eq!(
            served.response,
            InferResponse::encode_ok(&json!({"server": "second", "echo": 3, "id": 3})).unwrap()
        );
        assert_eq!(served.failed.len(), 1);
        assert_eq!(served.failed[0].peer, first_id);
        assert!(matches!(served.failed[0].error, AttemptError::Mesh(_)));

        // The stopped node closed its listener.
        assert!(caller.client.dial(first_addr).await.is_err());

        caller.stop().await;
        second.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_loop_stops_when_everything_is_dropped() {
    within("test", async {
        let (client, events, event_loop) =
            Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
        let task = tokio::spawn(event_loop.run(std::future::pending()));
        assert!(!client.listen_addrs().await.unwrap().is_empty());
        drop(client);
        drop(events);
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("event loop kept running")
            .unwrap();
    })
    .await;
}

/// An application's dispatcher holds a client (to answer, or to beat) and stops when the
/// events end: they must end when the mesh stops, whoever still holds a client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_end_when_the_mesh_stops_while_a_client_is_held() {
    within("test", async {
        let (client, mut events, event_loop) =
            Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(event_loop.run(async move {
            let _ = stopped.await;
        }));
        assert!(!client.listen_addrs().await.unwrap().is_empty());
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("event loop kept running")
            .unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            while events.recv().await.is_some() {}
        })
        .await;
        assert!(
            ended.is_ok(),
            "the events stayed open while a client was held"
        );
        drop(client);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_also_travel_over_quic() {
    within("test", async {
        let quic: Multiaddr = "/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap();
        let mut server_config = MeshConfig::local(Keypair::generate_ed25519());
        server_config.listen_addrs = vec![quic.clone()];
        let mut server = Node::start(server_config);
        server.serve(echo("quic"));
        let mut client_config = MeshConfig::local(Keypair::generate_ed25519());
        client_config.listen_addrs = vec![quic];
        let client = Node::start(client_config);

        let addr = server.addr().await;
        assert!(addr.iter().any(|p| matches!(p, Protocol::QuicV1)), "{addr}");
        client.client.dial(addr).await.unwrap();
        let answer = client
            .client
            .request(server.peer_id(), request(1, json!("hi")), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(
            answer,
            InferResponse::encode_ok(&json!({"server": "quic", "echo": "hi", "id": 1})).unwrap()
        );

        client.stop().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_a_link_and_get_their_own_answers() {
    within("test", async {
        // Requests 0..8 are held and answered in reverse order; request 100 is answered
        // only after its caller gave up.
        let held: Arc<Mutex<Vec<(u64, Responder)>>> = Arc::default();
        let late: Arc<Mutex<Option<Responder>>> = Arc::default();
        let mut server = Node::local();
        let (keep, keep_late) = (held.clone(), late.clone());
        server.serve(move |request, responder| {
            let id = request.request_id;
            if id == 100 {
                *keep_late.lock().unwrap() = Some(responder);
                return;
            }
            if id >= 8 {
                return echo("a")(request, responder);
            }
            let mut held = keep.lock().unwrap();
            held.push((id, responder));
            if held.len() == 8 {
                held.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
                for (id, responder) in held.drain(..) {
                    responder
                        .respond(InferResponse::encode_ok(&json!({ "answer_to": id })).unwrap());
                }
            }
        });
        let client = Node::local();
        client.client.dial(server.addr().await).await.unwrap();
        let server_id = server.peer_id();

        let asks: Vec<_> = (0..8)
            .map(|id| {
                let client = client.client.clone();
                tokio::spawn(async move {
                    client
                        .request(server_id, request(id, json!(id)), REQUEST_TIMEOUT)
                        .await
                })
            })
            .collect();
        for (id, ask) in asks.into_iter().enumerate() {
            let answer = ask.await.unwrap().unwrap();
            assert_eq!(
                answer,
                InferResponse::encode_ok(&json!({ "answer_to": id })).unwrap()
            );
        }

        // An answer that comes after its request timed out is not taken for the next one's.
        let err = client
            .client
            .request(
                server_id,
                request(100, json!(null)),
                Duration::from_millis(300),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, MeshError::Timeout), "{err:?}");
        late.lock()
            .unwrap()
            .take()
            .unwrap()
            .respond(InferResponse::encode_ok(&json!("late")).unwrap());
        let answer = client
            .client
            .request(server_id, request(9, json!(9)), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(
            answer,
            InferResponse::encode_ok(&json!({"server": "a", "echo": 9, "id": 9})).unwrap()
        );

        client.stop().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_over_its_in_flight_allowance_is_answered_busy() {
    within("test", async {
        let held: Arc<Mutex<Vec<Responder>>> = Arc::default();
        let mut config = MeshConfig::local(Keypair::generate_ed25519());
        config.max_in_flight_per_link = 1;
        let mut server = Node::start(config);
        let keep = held.clone();
        server.serve(move |request, responder| match request.request_id {
            1 => keep.lock().unwrap().push(responder),
            _ => echo("a")(request, responder),
        });
        let client = Node::local();
        client.client.dial(server.addr().await).await.unwrap();
        let server_id = server.peer_id();

        let first = {
            let client = client.client.clone();
            tokio::spawn(async move {
                client
                    .request(server_id, request(1, json!(1)), REQUEST_TIMEOUT)
                    .await
            })
        };
        eventually(
            "the first request is held",
            Duration::from_secs(10),
            || async { (!held.lock().unwrap().is_empty()).then_some(()) },
        )
        .await;
        let answer = client
            .client
            .request(server_id, request(2, json!(2)), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(answer.error_code(), Some(ErrorCode::Busy), "{answer:?}");

        // Once the first is answered there is room again.
        held.lock()
            .unwrap()
            .pop()
            .unwrap()
            .respond(InferResponse::encode_ok(&json!("first")).unwrap());
        let answer = first.await.unwrap().unwrap();
        assert_eq!(answer, InferResponse::encode_ok(&json!("first")).unwrap());
        let answer = client
            .client
            .request(server_id, request(3, json!(3)), REQUEST_TIMEOUT)
            .await
            .unwrap();
        assert!(matches!(answer, InferResponse::Ok { .. }), "{answer:?}");

        client.stop().await;
        server.stop().await;
    })
    .await;
}
