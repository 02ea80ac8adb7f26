//! A private miner on loopback answers its callers, refuses strangers and bad input with
//! typed errors, and keeps serving; batching, the bounded queue, the owner RPC and metrics.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use common::{
    bounded, digit_zero, label, private_settings, refusal, Caller, RunningMiner, DEADLINE,
};
use jsonrpsee::{core::client::ClientT, rpc_params};
use mindos_mesh::{ErrorCode, InferResponse, MeshConfig};
use mindos_primitives::NetUid;
use mindos_test_utils::{metrics::sample, raw_http};
use serde_json::json;

const DIGITS: NetUid = NetUid(1);
const TEXT: NetUid = NetUid(0);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_typed_errors_and_the_miner_keeps_serving() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let caller = Caller::start();
        let mut settings = private_settings(dir.path(), "digits", DIGITS, &[caller.peer_id()]);
        settings.peers.max_request_bytes = Some(2048);
        let mut miner = RunningMiner::start(settings).await;
        caller.connect(&miner).await;

        assert_eq!(
            label(
                &caller
                    .ask(miner.peer_id, DIGITS, digit_zero())
                    .await
                    .unwrap()
            ),
            0
        );

        let mut short = digit_zero();
        short["pixels"].as_array_mut().unwrap().pop();
        let cases = [
            (
                "wrong tensor shape",
                short,
                "pixels has 63 elements, expected 64",
            ),
            (
                "empty input",
                json!({"pixels": []}),
                "pixels has 0 elements, expected 64",
            ),
            ("empty batch", json!([]), "expected a JSON object"),
            (
                "pixel out of range",
                json!({"pixels": vec![17; 64]}),
                "outside 0..=16",
            ),
            (
                "another subnet's input",
                json!({"text": "hello"}),
                "malformed input JSON",
            ),
        ];
        for (what, payload, expected) in cases {
            let (code, message) =
                refusal(caller.ask(miner.peer_id, DIGITS, payload).await.unwrap());
            assert_eq!(code, ErrorCode::InvalidInput, "{what}: {message}");
            assert!(message.contains(expected), "{what}: {message}");
            // Still serving.
            assert_eq!(
                label(
                    &caller
                        .ask(miner.peer_id, DIGITS, digit_zero())
                        .await
                        .unwrap()
                ),
                0,
                "after {what}"
            );
        }

        let (code, message) = refusal(
            caller
                .ask(miner.peer_id, NetUid(7), digit_zero())
                .await
                .unwrap(),
        );
        assert_eq!(code, ErrorCode::UnknownSubnet, "{message}");
        assert!(message.contains("subnet 1 only"), "{message}");

        // Larger than the miner's 2 KiB limit (the caller's own limit is 1 MiB).
        let big = json!({"pixels": vec![1; 1500]});
        let (code, message) = refusal(caller.ask(miner.peer_id, DIGITS, big).await.unwrap());
        assert_eq!(code, ErrorCode::TooLarge, "{message}");
        assert_eq!(
            label(
                &caller
                    .ask(miner.peer_id, DIGITS, digit_zero())
                    .await
                    .unwrap()
            ),
            0,
            "after too large"
        );

        let status = miner.status().await;
        assert_eq!(status.served, 7);
        assert_eq!(
            status.failed, 6,
            "5 invalid inputs and 1 unknown subnet; too_large never reaches the miner"
        );
        let metrics = miner.metrics().await;
        assert_eq!(
            sample(
                &metrics,
                "mindos_miner_requests_total{outcome=\"invalid_input\"}"
            ),
            5.0
        );
        assert_eq!(
            sample(
                &metrics,
                "mindos_miner_requests_total{outcome=\"unknown_subnet\"}"
            ),
            1.0
        );
        assert_eq!(
            sample(&metrics, "mindos_miner_requests_total{outcome=\"ok\"}"),
            7.0
        );
        assert_eq!(
            sample(&metrics, "mindos_miner_request_duration_seconds_count"),
            7.0
        );
        miner.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_beyond_the_token_limit_is_refused_with_the_subnets_message() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let caller = Caller::start();
        let mut miner = RunningMiner::start(private_settings(
            dir.path(),
            "text-embedding",
            TEXT,
            &[caller.peer_id()],
        ))
        .await;
        caller.connect(&miner).await;

        let long = "word ".repeat(200);
        let (code, message) = refusal(
            caller
                .ask(miner.peer_id, TEXT, json!({ "text": long }))
                .await
                .unwrap(),
        );
        assert_eq!(code, ErrorCode::InvalidInput, "{message}");
        assert!(
            message.contains("tokens") && message.contains("limit of 128"),
            "{message}"
        );
        let huge = "x".repeat(17 * 1024);
        let (code, message) = refusal(
            caller
                .ask(miner.peer_id, TEXT, json!({ "text": huge }))
                .await
                .unwrap(),
        );
        assert_eq!(code, ErrorCode::InvalidInput, "{message}");
        assert!(message.contains("bytes"), "{message}");

        match caller
            .ask(
                miner.peer_id,
                TEXT,
                json!({"text": "A man is playing a guitar."}),
            )
            .await
            .unwrap()
        {
            InferResponse::Ok { payload, .. } => {
                let payload: serde_json::Value = serde_json::from_str(payload.get()).unwrap();
                assert_eq!(payload["embedding"].as_array().unwrap().len(), 384)
            }
            other => panic!("expected an embedding, got {other:?}"),
        }
        miner.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_outside_the_allow_list_are_refused_on_the_link() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let (friend, stranger) = (Caller::start(), Caller::start());
        let mut miner = RunningMiner::start(private_settings(
            dir.path(),
            "digits",
            DIGITS,
            &[friend.peer_id()],
        ))
        .await;
        friend.connect(&miner).await;
        stranger.connect(&miner).await;

        let (code, message) = refusal(
            stranger
                .ask(miner.peer_id, DIGITS, digit_zero())
                .await
                .unwrap(),
        );
        assert_eq!(code, ErrorCode::Unauthorized, "{message}");
        assert!(
            message.contains(&stranger.peer_id().to_string()),
            "{message}"
        );
        // A stranger learns nothing about the subnet either.
        let (code, _) = refusal(
            stranger
                .ask(miner.peer_id, NetUid(9), digit_zero())
                .await
                .unwrap(),
        );
        assert_eq!(code, ErrorCode::Unauthorized);
        assert_eq!(
            label(
                &friend
                    .ask(miner.peer_id, DIGITS, digit_zero())
                    .await
                    .unwrap()
            ),
            0
        );

        // The mesh refused the stranger's links from their first header, by the miner's
        // policy: its requests never reached the miner (before, both were read, parsed and
        // refused by it).
        let metrics = miner.metrics().await;
        assert_eq!(
            sample(
                &metrics,
                "mindos_miner_requests_total{outcome=\"unauthorized\"}"
            ),
            0.0
        );
        assert_eq!(
            sample(&metrics, "mindos_miner_requests_total{outcome=\"ok\"}"),
            1.0
        );
        miner.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_the_subnets_size_limit_are_refused_by_the_mesh() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let friend = Caller::start();
        let mut miner = RunningMiner::start(private_settings(
            dir.path(),
            "digits",
            DIGITS,
            &[friend.peer_id()],
        ))
        .await;
        friend.connect(&miner).await;
        // Well under the miner's `max_request_bytes` (256 KiB), over digits' 2 KiB.
        let (code, message) = refusal(
            friend
                .ask(
                    miner.peer_id,
                    DIGITS,
                    serde_json::json!({"pixels": vec![16; 1000]}),
                )
                .await
                .unwrap(),
        );
        assert_eq!(code, ErrorCode::TooLarge, "{message}");
        assert!(message.contains("2048-byte limit"), "{message}");
        assert_eq!(
            label(
                &friend
                    .ask(miner.peer_id, DIGITS, digit_zero())
                    .await
                    .unwrap()
            ),
            0
        );
        // Refused before the miner saw it: nothing counted as invalid input.
        let metrics = miner.metrics().await;
        assert_eq!(
            sample(
                &metrics,
                "mindos_miner_requests_total{outcome=\"invalid_input\"}"
            ),
            0.0
        );
        miner.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_batched() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let caller = Caller::start();
        let mut settings = private_settings(dir.path(), "digits", DIGITS, &[caller.peer_id()]);
        settings.batching.max_batch = Some(8);
        settings.batching.max_wait_ms = Some(200);
        let mut miner = RunningMiner::start(settings).await;
        caller.connect(&miner).await;

        let answers = futures::future::join_all(
            (0..8).map(|_| caller.ask(miner.peer_id, DIGITS, digit_zero())),
        )
        .await;
        for answer in answers {
            assert_eq!(label(&answer.unwrap()), 0);
        }
        let status = miner.status().await;
        assert_eq!(status.served, 8);
        assert!(
            status.batches < 8,
            "8 concurrent requests ran in {} batches",
            status.batches
        );
        let metrics = miner.metrics().await;
        assert_eq!(
            sample(&metrics, "mindos_miner_batch_size_count"),
            status.batches as f64
        );
        assert_eq!(sample(&metrics, "mindos_miner_batch_size_sum"), 8.0);
        miner.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_busy_instead_of_growing() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let caller = Caller::start();
        // MiniLM takes milliseconds per text: one worker, batches of one, room for one waiting.
        let mut settings =
            private_settings(dir.path(), "text-embedding", TEXT, &[caller.peer_id()]);
        settings.batching.max_batch = Some(1);
        settings.batching.queue_capacity = Some(1);
        let mut miner = RunningMiner::start(settings).await;
        caller.connect(&miner).await;

        let text = "the quick brown fox jumps over the lazy dog ".repeat(10);
        let answers = futures::future::join_all(
            (0..24).map(|_| caller.ask(miner.peer_id, TEXT, json!({ "text": text.clone() }))),
        )
        .await;
        let (mut ok, mut busy) = (0, 0);
        for answer in answers {
            match answer.unwrap() {
                InferResponse::Ok { .. } => ok += 1,
                InferResponse::Err {
                    code: ErrorCode::Busy,
                    message,
                } => {
                    assert!(message.contains("queue is full"), "{message}");
                    busy += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(ok >= 1 && busy >= 1, "ok {ok}, busy {busy}");
        let status = miner.status().await;
        assert_eq!((status.served, status.failed), (ok, busy));
        assert_eq!(status.queue_depth, 0);
        // Not broken by the overload.
        assert!(matches!(
            caller
                .ask(miner.peer_id, TEXT, json!({"text": "still here"}))
                .await
                .unwrap(),
            InferResponse::Ok { .. }
        ));
        miner.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_rpc_reports_status_and_runs_the_model() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let caller = Caller::start();
        let mut miner = RunningMiner::start(private_settings(dir.path(), "digits", DIGITS, &[caller.peer_id()])).await;

        let status = miner.status().await;
        assert_eq!(status.peer_id, miner.peer_id.to_string());
        assert_eq!((status.netuid, status.subnet.as_str()), (DIGITS, "digits"));
        assert_eq!((status.uid, status.hotkey, status.finalized_block), (None, None, None));
        assert_eq!(
            status.model_digest,
            "0xc8699f306b3e2ce667e7bc9e284d080bc066d34ccbf2e2250d739192df5eb0ec"
        );
        assert_eq!((status.served, status.failed, status.queue_depth), (0, 0, 0));
        assert_eq!(status.power.source, mindos_mesh::PowerSource::Unknown);

        let answer: serde_json::Value = miner.rpc.request("miner_infer", rpc_params![digit_zero()]).await.unwrap();
        assert_eq!(answer["label"], 0);
        assert_eq!(answer["probabilities"].as_array().unwrap().len(), 10);

        match miner
            .rpc
            .request::<serde_json::Value, _>("miner_infer", rpc_params![json!({"pixels": [1, 2]})])
            .await
        {
            Err(jsonrpsee::core::client::Error::Call(e)) => {
                assert_eq!(e.code(), mindos_miner::RPC_INVALID_INPUT);
                assert!(e.message().contains("pixels has 2 elements"), "{}", e.message());
            }
            other => panic!("expected invalid input, got {other:?}"),
        }

        // Bytes that are not UTF-8 never reach the model: the JSON-RPC layer refuses them.
        let body: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"miner_infer\",\"params\":[{\"pixels\":\"\xff\xfe\"}]}";
        let mut request = format!(
            "POST / HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let reply: serde_json::Value = serde_json::from_str(&raw_http(miner.rpc_addr, &request).await).unwrap();
        let code = reply["error"]["code"].as_i64();
        assert!(matches!(code, Some(-32700 | -32600)), "a JSON-RPC parse error: {reply}");

        let status = miner.status().await;
        assert_eq!((status.served, status.failed), (1, 1));
        let answer: serde_json::Value = miner.rpc.request("miner_infer", rpc_params![digit_zero()]).await.unwrap();
        assert_eq!(answer["label"], 0);
        miner.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_battery_lowers_limits_and_is_gossiped() {
    bounded(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        // The listener subscribes to the subnet's capacity topic and reports beats.
        let mut listener_config = MeshConfig::local(mindos_mesh::Keypair::generate_ed25519());
        listener_config.event_buffer = 64;
        let (client, mut events, event_loop) = mindos_mesh::Mesh::new(listener_config).unwrap();
        let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(event_loop.run(async move {
            let _ = stopped.await;
        }));
        client.subscribe(DIGITS).await.unwrap();

        let status_file = dir.path().join("power-status");
        std::fs::write(&status_file, "battery 12\n").unwrap();
        let mut settings = private_settings(dir.path(), "digits", DIGITS, &[client.peer_id()]);
        settings.batching.max_batch = Some(16);
        settings.batching.workers = Some(2);
        settings.power.status_file = Some(status_file.clone());
        let mut miner = RunningMiner::start(settings).await;
        // The listener plays a validator that read the miner's PeerId from the chain: the
        // mesh accepts beats only from bound publishers.
        client
            .set_beat_publishers(DIGITS, [miner.peer_id])
            .await
            .unwrap();
        client.dial(miner.addr.clone()).await.unwrap();

        let status = miner.status().await;
        assert!(status.power.low_power);
        assert_eq!(
            (status.max_batch, status.workers),
            (4, 1),
            "a quarter of the batch, one worker"
        );
        let beat = loop {
            match events.recv().await.expect("mesh events") {
                mindos_mesh::MeshEvent::CapacityBeat { peer, beat } if peer == miner.peer_id => {
                    break beat
                }
                _ => {}
            }
        };
        assert_eq!(beat.netuid, DIGITS);
        assert_eq!(beat.max_batch, 4);
        assert_eq!(beat.power.source, mindos_mesh::PowerSource::Battery);
        assert_eq!(beat.power.battery_percent, Some(12));
        assert!(beat.power.low_power);

        // Plugged in: the next beat restores the limits.
        std::fs::write(&status_file, "mains\n").unwrap();
        let beat = loop {
            match events.recv().await.expect("mesh events") {
                mindos_mesh::MeshEvent::CapacityBeat { peer, beat }
                    if peer == miner.peer_id && !beat.power.low_power =>
                {
                    break beat
                }
                _ => {}
            }
        };
        assert_eq!(beat.max_batch, 16);
        assert_eq!(beat.power.source, mindos_mesh::PowerSource::Mains);
        let status = miner.status().await;
        assert_eq!(
            (status.max_batch, status.workers, status.power.low_power),
            (16, 2, false)
        );
        miner.shutdown().await;
    })
    .await;
}
