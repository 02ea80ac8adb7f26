//! Hedging and failover through the public API, on a scripted transport and tokio's paused
//! clock: `request_with_policy` with a deadline and a hedge delay, as the validator gateway
//! uses it.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    missing_docs
)]

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::Duration,
};

use mindos_mesh::{
    route::{
        request_with_policy, DefaultJudge, FailoverError, FailoverPolicy, Judge, ScriptedTransport,
        Served, TryKind, Verdict,
    },
    InferRequest, InferResponse, MeshError, NetUid, PeerId,
};
use serde_json::json;

/// A transport that answers each peer's script: after the delay, `{"label": n}` or `busy`.
fn scripted<'a>(
    script: impl IntoIterator<Item = (PeerId, &'a (Duration, Option<u8>))>,
) -> ScriptedTransport {
    ScriptedTransport(
        script
            .into_iter()
            .map(|(peer, (delay, label))| (peer, (*delay, label.map(|l| json!({ "label": l })))))
            .collect(),
    )
}

/// [`DefaultJudge`], noting every attempt sent.
struct Counting<'a> {
    sent: &'a Mutex<Vec<(PeerId, TryKind)>>,
}

impl Judge for Counting<'_> {
    type Output = InferResponse;

    fn sent(&mut self, peer: PeerId, kind: TryKind) {
        self.sent.lock().unwrap().push((peer, kind));
    }

    fn judge(
        &mut self,
        peer: PeerId,
        latency: Duration,
        request: &InferRequest,
        answer: Result<InferResponse, MeshError>,
    ) -> Verdict<InferResponse> {
        DefaultJudge.judge(peer, latency, request, answer)
    }
}

struct Run {
    peers: Vec<PeerId>,
    result: Result<Served, FailoverError>,
    sent: Vec<(PeerId, TryKind)>,
}

impl Run {
    /// The index in the script of the peer that served.
    fn served_by(&self) -> usize {
        let served = self.result.as_ref().unwrap();
        self.peers.iter().position(|p| *p == served.peer).unwrap()
    }

    fn sent(&self, kind: TryKind) -> usize {
        self.sent.iter().filter(|(_, k)| *k == kind).count()
    }
}

fn request() -> InferRequest {
    InferRequest::encode(NetUid(1), 1, &json!(null)).unwrap()
}

/// Runs one request over peers scripted in order, hedging after `hedge`, within `budget`.
async fn run(script: &[(Duration, Option<u8>)], hedge: Duration, budget: Duration) -> Run {
    let peers: Vec<PeerId> = script.iter().map(|_| PeerId::random()).collect();
    let transport = scripted(peers.iter().copied().zip(script));
    let sent = Mutex::default();
    let policy = FailoverPolicy::sequential(budget)
        .with_deadline(tokio::time::Instant::now() + budget)
        .with_hedge_after(hedge);
    let result = request_with_policy(
        &transport,
        peers.iter().copied(),
        &request(),
        policy,
        Counting { sent: &sent },
    )
    .await;
    Run {
        peers,
        result,
        sent: sent.into_inner().unwrap(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_request_is_hedged_and_the_faster_answer_wins() {
    let ms = Duration::from_millis;
    let outcome = run(
        &[(ms(5000), Some(3)), (ms(10), Some(4))],
        ms(50),
        ms(10_000),
    )
    .await;
    assert_eq!(outcome.served_by(), 1);
    let served = outcome.result.as_ref().unwrap();
    assert_eq!(
        served.response,
        InferResponse::encode_ok(&json!({ "label": 4 })).unwrap()
    );
    assert_eq!(served.latency, ms(10));
    assert_eq!(
        (outcome.sent(TryKind::Primary), outcome.sent(TryKind::Hedge)),
        (1, 1)
    );
    // A fast primary is not hedged.
    let outcome = run(&[(ms(10), Some(3)), (ms(10), Some(4))], ms(50), ms(10_000)).await;
    assert_eq!(outcome.served_by(), 0);
    assert_eq!(outcome.sent(TryKind::Hedge), 0);
}

#[tokio::test(start_paused = true)]
async fn failures_fail_over_and_the_deadline_bounds_the_request() {
    let ms = Duration::from_millis;
    // A refusal, then an answer.
    let outcome = run(&[(ms(1), None), (ms(1), Some(7))], ms(1000), ms(10_000)).await;
    assert_eq!(outcome.served_by(), 1);
    assert_eq!(outcome.sent(TryKind::Failover), 1);
    assert_eq!(outcome.result.as_ref().unwrap().failed.len(), 1);
    // Everyone refuses: exhausted, not a timeout.
    let outcome = run(&[(ms(1), None), (ms(1), None)], ms(1000), ms(10_000)).await;
    let err = outcome.result.unwrap_err();
    assert!(
        matches!(err, FailoverError::Exhausted { ref attempts } if attempts.len() == 2),
        "{err:?}"
    );
    assert!(!err.timed_out());
    // Nobody answers in time: the deadline passes, or the last try's timeout races it.
    let outcome = run(
        &[(ms(60_000), Some(1)), (ms(60_000), Some(1))],
        ms(10),
        ms(500),
    )
    .await;
    assert_eq!(
        (outcome.sent(TryKind::Primary), outcome.sent(TryKind::Hedge)),
        (1, 1)
    );
    let err = outcome.result.unwrap_err();
    assert!(err.timed_out(), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn requests_sharing_spares_never_ask_a_peer_twice() {
    let ms = Duration::from_millis;
    // Two requests, one spare: the first request's primary refuses and takes the spare; the
    // second's primary answers slowly and finds no spare to hedge to.
    let script = [(ms(1), None), (ms(100), Some(2)), (ms(1), Some(3))];
    let peers: Vec<PeerId> = script.iter().map(|_| PeerId::random()).collect();
    let transport = scripted(peers.iter().copied().zip(&script));
    let spares = &Mutex::new(VecDeque::from([peers[2]]));
    let sent = Mutex::default();
    let from_pool = move |first: PeerId| {
        std::iter::once(first).chain(std::iter::from_fn(move || {
            spares.lock().unwrap().pop_front()
        }))
    };
    let policy = FailoverPolicy::sequential(ms(10_000)).with_hedge_after(ms(20));
    let request = request();
    let (a, b) = futures::join!(
        request_with_policy(
            &transport,
            from_pool(peers[0]),
            &request,
            policy,
            Counting { sent: &sent }
        ),
        request_with_policy(
            &transport,
            from_pool(peers[1]),
            &request,
            policy,
            Counting { sent: &sent }
        ),
    );
    assert_eq!(a.unwrap().peer, peers[2]);
    assert_eq!(b.unwrap().peer, peers[1]);
    let sent = sent.into_inner().unwrap();
    assert_eq!(
        sent,
        vec![
            (peers[0], TryKind::Primary),
            (peers[1], TryKind::Primary),
            (peers[2], TryKind::Failover),
        ]
    );
}

#[tokio::test]
async fn without_candidates_nothing_is_sent() {
    let sent = Mutex::default();
    let result = request_with_policy(
        &ScriptedTransport(HashMap::new()),
        std::iter::empty(),
        &request(),
        FailoverPolicy::sequential(Duration::from_secs(1)),
        Counting { sent: &sent },
    )
    .await;
    assert!(matches!(result, Err(FailoverError::NoCandidates)));
    assert!(sent.into_inner().unwrap().is_empty());
}
