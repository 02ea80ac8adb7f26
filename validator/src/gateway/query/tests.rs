//! The slot adapter on a scripted transport and tokio's paused clock: the uid, decoded
//! output and latency it reports, the attempt metrics it counts, and how it tells a timeout
//! from exhausted spares. The policy itself is tested in `mindos-mesh` (`tests/failover.rs`).

use super::*;
use mindos_primitives::{NetUid, Uid};

/// A transport that answers each peer's script like a digits miner: after the delay, the
/// label with flat probabilities, or `busy`.
fn scripted(
    script: impl IntoIterator<Item = (PeerId, (Duration, Option<u8>))>,
) -> mindos_mesh::route::ScriptedTransport {
    mindos_mesh::route::ScriptedTransport(
        script
            .into_iter()
            .map(|(peer, (delay, label))| {
                let answer = label.map(|label| {
                    serde_json::json!({
                        "label": label,
                        "probabilities": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
                    })
                });
                (peer, (delay, answer))
            })
            .collect(),
    )
}

fn neuron(uid: Uid, peer: PeerId) -> (PeerId, Neuron) {
    (
        peer,
        Neuron {
            uid,
            hotkey: [0; 32],
            peer: Some(peer),
            addrs: Vec::new(),
            validator_permit: false,
            stake: 0,
            reputation: 0.0,
            incentive: 0,
            emission: 0,
        },
    )
}

async fn run_slot(
    script: &[(Duration, Option<u8>)],
    hedge: Duration,
    budget: Duration,
) -> (Result<(Uid, Output, Duration), SlotError>, Metrics) {
    let engine = mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
    let subnet = SubnetState::new(
        &crate::metagraph::ChainSubnet {
            netuid: NetUid(1),
            name: "digits".into(),
            task: None,
            tempo: 0,
            commit_reveal: false,
        },
        engine,
        crate::scoring::Scoreboard::new(0.1, Duration::from_millis(100)),
    );
    let peers: Vec<PeerId> = script.iter().map(|_| PeerId::random()).collect();
    let transport = scripted(peers.iter().copied().zip(script.iter().copied()));
    let mut queue: VecDeque<(PeerId, Neuron)> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| neuron(Uid(u16::try_from(i).unwrap()), *p))
        .collect();
    let first = queue.pop_front();
    let metrics = Metrics::new().unwrap();
    let request = InferRequest {
        netuid: NetUid(1),
        request_id: 1,
        payload: serde_json::Value::Null,
    };
    let deadline = tokio::time::Instant::now() + budget;
    let miner_budget = MinerBudget::new(1000);
    let result = slot(
        &transport,
        &metrics,
        &subnet,
        &request,
        first,
        &Spares::new(queue, 1, &miner_budget),
        Timing {
            deadline,
            hedge_delay: Some(hedge),
        },
    )
    .await;
    (result, metrics)
}

fn attempts(metrics: &Metrics, kind: &str) -> u64 {
    metrics.query_attempts.with_label_values(&["1", kind]).get()
}

#[tokio::test(start_paused = true)]
async fn a_slow_request_is_hedged_and_the_faster_answer_wins() {
    let ms = Duration::from_millis;
    let (result, metrics) = run_slot(
        &[(ms(5000), Some(3)), (ms(10), Some(4))],
        ms(50),
        ms(10_000),
    )
    .await;
    let (uid, output, latency) = result.ok().unwrap();
    assert_eq!(uid, Uid(1));
    assert!(matches!(output, Output::Digits(ref d) if d.label == 4));
    assert_eq!(latency, ms(10));
    assert_eq!(
        (attempts(&metrics, "primary"), attempts(&metrics, "hedge")),
        (1, 1)
    );
    // A fast primary is not hedged.
    let (result, metrics) =
        run_slot(&[(ms(10), Some(3)), (ms(10), Some(4))], ms(50), ms(10_000)).await;
    assert_eq!(result.ok().unwrap().0, Uid(0));
    assert_eq!(attempts(&metrics, "hedge"), 0);
}

#[tokio::test(start_paused = true)]
async fn failures_fail_over_and_the_budget_bounds_the_slot() {
    let ms = Duration::from_millis;
    // A refusal, then an answer.
    let (result, metrics) =
        run_slot(&[(ms(1), None), (ms(1), Some(7))], ms(1000), ms(10_000)).await;
    assert_eq!(result.ok().unwrap().0, Uid(1));
    assert_eq!(attempts(&metrics, "failover"), 1);
    // Everyone refuses.
    let (result, _) = run_slot(&[(ms(1), None), (ms(1), None)], ms(1000), ms(10_000)).await;
    assert!(matches!(result, Err(SlotError::Exhausted)));
    // Nobody answers in time.
    let (result, _) = run_slot(
        &[(ms(60_000), Some(1)), (ms(60_000), Some(1))],
        ms(10),
        ms(500),
    )
    .await;
    assert!(matches!(result, Err(SlotError::Timeout)));
}

#[tokio::test(start_paused = true)]
async fn a_slot_asks_at_most_two_miners_however_many_refuse() {
    let ms = Duration::from_millis;
    // Ten busy miners: the slot's own and one more, then it gives up.
    let (result, metrics) = run_slot(&[(ms(1), None); 10], ms(1000), ms(10_000)).await;
    assert!(matches!(result, Err(SlotError::Exhausted)));
    let sent = attempts(&metrics, "primary")
        + attempts(&metrics, "hedge")
        + attempts(&metrics, "failover");
    assert_eq!(sent, 2, "one query slot, at most 2 miner requests");
}
