//! Two private digits miners and a caller on loopback: requests are answered; one miner shuts
//! down gracefully (finishing the request it holds) and the caller's next request fails over
//! to the other.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use mindos_primitives::NetUid;
use std::time::Duration;

use common::{bounded, digit_zero, label, private_settings, Caller, RunningMiner, DEADLINE};
use mindos_mesh::{
    route::{request_with_failover, AttemptError},
    InferRequest,
};

const DIGITS: NetUid = NetUid(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_request_fails_over_when_a_miner_shuts_down() {
    bounded(DEADLINE, async {
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let caller = Caller::start();
        // Miner A holds each batch open for 500 ms, so a request is in flight when it stops.
        let mut settings_a = private_settings(dir_a.path(), "digits", DIGITS, &[caller.peer_id()]);
        settings_a.batching.max_wait_ms = Some(500);
        let mut a = RunningMiner::start(settings_a).await;
        let mut b = RunningMiner::start(private_settings(
            dir_b.path(),
            "digits",
            DIGITS,
            &[caller.peer_id()],
        ))
        .await;
        caller.connect(&a).await;
        caller.connect(&b).await;
        let candidates = [a.peer_id, b.peer_id];
        let request = InferRequest::encode(DIGITS, 7, &digit_zero()).unwrap();
        let per_try = Duration::from_secs(5);

        let served = request_with_failover(&caller.client, &candidates, &request, per_try)
            .await
            .unwrap();
        assert_eq!(served.peer, a.peer_id, "the first candidate answers");
        assert!(served.failed.is_empty());
        assert_eq!(label(&served.response), 0);

        // A request in flight at A when A is told to stop is still answered.
        let in_flight = tokio::spawn({
            let client = caller.client.clone();
            let request = request.clone();
            let peer = a.peer_id;
            async move { client.request(peer, request, Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        a.shutdown().await;
        assert_eq!(
            label(&in_flight.await.unwrap().expect("answered before A stopped")),
            0
        );

        let served = request_with_failover(&caller.client, &candidates, &request, per_try)
            .await
            .unwrap();
        assert_eq!(served.peer, b.peer_id, "B serves once A is gone");
        assert_eq!(label(&served.response), 0);
        assert_eq!(served.failed.len(), 1);
        assert_eq!(served.failed[0].peer, a.peer_id);
        assert!(
            matches!(served.failed[0].error, AttemptError::Mesh(_)),
            "{:?}",
            served.failed[0].error
        );
        assert_eq!(b.status().await.served, 1);
        b.shutdown().await;
    })
    .await;
}
