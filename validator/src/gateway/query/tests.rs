//! The slot adapter on a scripted transport and tokio's paused clock: the uid, decoded
//! output and latency it reports, the attempt metrics it counts, and how it tells a timeout
//! from exhausted spares; and what one query may cost the miners: at most `2 × redundancy`
//! requests, within the gateway's budget, no failover on a refusal of the request itself.
//! The policy itself is tested in `mindos-mesh` (`tests/failover.rs`).

use super::super::limits::MINER_IN_FLIGHT;
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
            quarantined: false,
        },
    )
}

fn digits_subnet() -> SubnetState {
    let engine = mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
    SubnetState::new(
        &crate::metagraph::ChainSubnet {
            netuid: NetUid(1),
            name: "digits".into(),
            task: None,
            tempo: 0,
            commit_reveal: false,
        },
        engine,
        crate::scoring::Scoreboard::new(0.1, Duration::from_millis(100)),
    )
}

/// Requests as on a private mesh: no terms, answers used unsigned.
fn private(metrics: &Arc<Metrics>) -> Answers {
    Answers::new(None, metrics.clone(), Arc::new(crate::transcript::Discard))
}

async fn run_slot(
    script: &[(Duration, Option<u8>)],
    hedge: Duration,
    budget: Duration,
) -> (Result<Answer, SlotError>, Arc<Metrics>) {
    let subnet = digits_subnet();
    let peers: Vec<PeerId> = script.iter().map(|_| PeerId::random()).collect();
    let transport = scripted(peers.iter().copied().zip(script.iter().copied()));
    let mut queue: VecDeque<(PeerId, Neuron)> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| neuron(Uid(u16::try_from(i).unwrap()), *p))
        .collect();
    let first = queue.pop_front();
    let metrics = Arc::new(Metrics::new().unwrap());
    let request = InferRequest::encode(NetUid(1), 1, &serde_json::Value::Null).unwrap();
    let deadline = tokio::time::Instant::now() + budget;
    let miner_budget = MinerBudget::new(1000);
    let result = slot(
        &transport,
        &metrics,
        &private(&metrics),
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
    let Answer {
        uid,
        output,
        latency,
        ..
    } = result.ok().unwrap();
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
    assert_eq!(result.ok().unwrap().uid, Uid(0));
    assert_eq!(attempts(&metrics, "hedge"), 0);
}

#[tokio::test(start_paused = true)]
async fn failures_fail_over_and_the_budget_bounds_the_slot() {
    let ms = Duration::from_millis;
    // A refusal, then an answer.
    let (result, metrics) =
        run_slot(&[(ms(1), None), (ms(1), Some(7))], ms(1000), ms(10_000)).await;
    assert_eq!(result.ok().unwrap().uid, Uid(1));
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

/// A transport on which every miner answers `code` after a millisecond.
struct Refusing(mindos_mesh::ErrorCode);

impl InferTransport for Refusing {
    fn send(
        &self,
        _peer: PeerId,
        _request: InferRequest,
        _timeout: Duration,
    ) -> impl std::future::Future<Output = Result<InferResponse, MeshError>> + Send {
        let code = self.0;
        async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok(InferResponse::error(code, "refused"))
        }
    }
}

/// Runs one query over ten miners that all answer `code` after 1 ms, hedging after
/// `hedge`: (slot results, requests sent).
async fn query_refused_by_all(
    code: mindos_mesh::ErrorCode,
    redundancy: u32,
    budget: &MinerBudget,
    hedge: Option<Duration>,
) -> (
    Result<Vec<Result<Answer, SlotError>>, ErrorObjectOwned>,
    u64,
) {
    let miners = (0..10).map(|_| PeerId::random()).collect();
    query_over(&Refusing(code), miners, redundancy, budget, hedge).await
}

/// Runs one query over `miners` (in rank order) on `transport`, hedging after `hedge`, with
/// 10 s to answer: (slot results, requests sent).
async fn query_over(
    transport: &impl InferTransport,
    miners: Vec<PeerId>,
    redundancy: u32,
    budget: &MinerBudget,
    hedge: Option<Duration>,
) -> (
    Result<Vec<Result<Answer, SlotError>>, ErrorObjectOwned>,
    u64,
) {
    let subnet = digits_subnet();
    let metrics = Arc::new(Metrics::new().unwrap());
    let miners: VecDeque<(PeerId, Neuron)> = miners
        .into_iter()
        .enumerate()
        .map(|(i, peer)| neuron(Uid(u16::try_from(i).unwrap()), peer))
        .collect();
    let spares = Spares::new(miners, redundancy, budget);
    let request = InferRequest::encode(NetUid(1), 1, &serde_json::Value::Null).unwrap();
    let timing = Timing {
        deadline: tokio::time::Instant::now() + Duration::from_secs(10),
        hedge_delay: hedge,
    };
    let k = usize::try_from(redundancy).unwrap();
    let answers = private(&metrics);
    let result = ask(
        transport, &metrics, &answers, &subnet, &request, k, &spares, timing,
    )
    .await;
    let sent = attempts(&metrics, "primary")
        + attempts(&metrics, "hedge")
        + attempts(&metrics, "failover");
    (result, sent)
}

#[tokio::test(start_paused = true)]
async fn one_query_never_sends_more_than_twice_its_redundancy() {
    let budget = MinerBudget::new(10_000);
    for redundancy in 1..=4 {
        // Hedges as early as the answers come: they count against the same allowance.
        let hedge = Some(Duration::from_millis(1));
        let (result, sent) =
            query_refused_by_all(mindos_mesh::ErrorCode::Busy, redundancy, &budget, hedge).await;
        let slots = result.unwrap();
        assert_eq!(slots.len(), usize::try_from(redundancy).unwrap());
        assert!(slots.iter().all(|s| matches!(s, Err(SlotError::Exhausted))));
        assert_eq!(sent, 2 * u64::from(redundancy), "redundancy {redundancy}");
    }
}

#[tokio::test(start_paused = true)]
async fn slow_silent_and_unreachable_miners_cost_at_most_twice_the_redundancy() {
    let budget = MinerBudget::new(10_000);
    for redundancy in 1..=4 {
        // Twelve miners in rank order, cycling through three failures a failover is meant
        // for: an answer after the deadline (a timeout), no route at all (not in the
        // script: unreachable at once), and a busy answer after half a second.
        let miners: Vec<PeerId> = (0..12).map(|_| PeerId::random()).collect();
        let script = miners
            .iter()
            .enumerate()
            .filter_map(|(i, peer)| match i % 3 {
                0 => Some((*peer, (Duration::from_secs(60), Some(1)))),
                1 => None,
                _ => Some((*peer, (Duration::from_millis(500), None))),
            });
        let transport = scripted(script);
        let hedge = Some(Duration::from_millis(1));
        let (result, sent) = query_over(&transport, miners, redundancy, &budget, hedge).await;
        let slots = result.unwrap();
        assert_eq!(slots.len(), usize::try_from(redundancy).unwrap());
        assert!(slots.iter().all(Result::is_err), "redundancy {redundancy}");
        assert!(
            (u64::from(redundancy)..=2 * u64::from(redundancy)).contains(&sent),
            "redundancy {redundancy}: {sent} miner requests"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_refusal_of_the_request_itself_is_not_failed_over() {
    let budget = MinerBudget::new(10_000);
    for code in [
        mindos_mesh::ErrorCode::InvalidInput,
        mindos_mesh::ErrorCode::TooLarge,
    ] {
        // No hedge: one sent before the refusal arrives would be a second request, but not
        // a failover.
        let (result, sent) = query_refused_by_all(code, 1, &budget, None).await;
        assert!(matches!(result.unwrap()[..], [Err(SlotError::Exhausted)]));
        assert_eq!(sent, 1, "{code:?}: one miner asked");
    }
}

#[tokio::test(start_paused = true)]
async fn the_gateway_budget_bounds_every_query_together() {
    // 1 request per second, bursts of 2: a query at redundancy 3 starts 2 slots and has
    // nothing left to fail over with; the next query is refused until the budget refills.
    let budget = MinerBudget::new(1);
    let (result, sent) = query_refused_by_all(mindos_mesh::ErrorCode::Busy, 3, &budget, None).await;
    assert_eq!(result.unwrap().len(), 2);
    assert_eq!(sent, 2);
    let (result, sent) = query_refused_by_all(mindos_mesh::ErrorCode::Busy, 3, &budget, None).await;
    assert_eq!(result.unwrap_err().code(), RATE_LIMITED);
    assert_eq!(sent, 0);
}

#[test]
fn a_subnet_is_saturated_when_half_its_beats_say_so() {
    assert!(!is_saturated(&[]), "nothing known");
    assert!(!is_saturated(&[0.1, 0.95, 0.2]));
    assert!(is_saturated(&[0.1, 0.95]));
    assert!(is_saturated(&[1.0, 0.9, 0.3]));
}

/// Runs a query of a client (`authenticated` or not) with `options` on a digits subnet
/// whose miners answer as `script` says, as [`Gateway::query`] does after ranking: check
/// the options, ask, aggregate.
async fn query_scripted(
    options: QueryOptions,
    authenticated: bool,
    script: &[(Duration, Option<u8>)],
) -> RpcResult<QueryResult> {
    let checked = options.check(Duration::from_secs(5), authenticated, 0.51)?;
    let subnet = digits_subnet();
    let peers: Vec<PeerId> = script.iter().map(|_| PeerId::random()).collect();
    let transport = scripted(peers.iter().copied().zip(script.iter().copied()));
    let miners: VecDeque<(PeerId, Neuron)> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| neuron(Uid(u16::try_from(i).unwrap()), *p))
        .collect();
    let k = usize::try_from(checked.redundancy)
        .unwrap()
        .min(miners.len());
    let budget = MinerBudget::new(10_000);
    let spares = Spares::new(miners, checked.redundancy, &budget);
    let request = InferRequest::new(NetUid(1), 1, b"null").unwrap();
    let timing = Timing {
        deadline: tokio::time::Instant::now() + checked.timeout,
        hedge_delay: None,
    };
    let metrics = Arc::new(Metrics::new().unwrap());
    let answers = private(&metrics);
    let answers = ask(
        &transport, &metrics, &answers, &subnet, &request, k, &spares, timing,
    )
    .await?;
    aggregate(&subnet, answers, &checked)
}

#[tokio::test(start_paused = true)]
async fn a_public_answer_needs_a_second_miner_to_agree() {
    let ms = Duration::from_millis;
    let redundancy = |n| QueryOptions {
        redundancy: Some(n),
        ..QueryOptions::default()
    };
    // A public client cannot ask for one unchecked answer; with an API key it can.
    let one = [(ms(1), Some(3))];
    let refused = query_scripted(redundancy(1), false, &one)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), INVALID_INPUT);
    assert!(refused.message().contains("2..=3"), "{}", refused.message());
    let answer = query_scripted(redundancy(1), true, &one).await.unwrap();
    assert_eq!(answer.agreement, 1.0);
    // Two asked, one answered (the other busy, no spare): the lone answer agrees ½, under
    // the public floor of 0.51 — whether the subnet has one miner or the second failed.
    let lone = [(ms(1), Some(3)), (ms(1), None)];
    let low = query_scripted(QueryOptions::default(), false, &lone)
        .await
        .unwrap_err();
    assert_eq!(low.code(), LOW_AGREEMENT, "{}", low.message());
    let low = query_scripted(redundancy(2), false, &one)
        .await
        .unwrap_err();
    assert_eq!(low.code(), LOW_AGREEMENT, "{}", low.message());
    // Two that agree pass; two of three agreeing pass; one of three does not.
    let answer = query_scripted(redundancy(2), false, &[(ms(1), Some(3)), (ms(2), Some(3))])
        .await
        .unwrap();
    assert_eq!((answer.agreement, answer.served_by.len()), (1.0, 2));
    let answer = query_scripted(
        redundancy(3),
        false,
        &[(ms(1), Some(3)), (ms(2), Some(3)), (ms(3), None)],
    )
    .await
    .unwrap();
    assert!(
        (answer.agreement - 2.0 / 3.0).abs() < 1e-9,
        "{}",
        answer.agreement
    );
    let low = query_scripted(
        redundancy(3),
        false,
        &[(ms(1), Some(3)), (ms(2), None), (ms(3), None)],
    )
    .await
    .unwrap_err();
    assert_eq!(low.code(), LOW_AGREEMENT);
}

#[tokio::test(start_paused = true)]
async fn the_gateway_keeps_room_for_its_own_challenges_at_each_miner() {
    let ms = Duration::from_millis;
    let (busy_miner, other) = (PeerId::random(), PeerId::random());
    let transport = scripted([(busy_miner, (ms(1000), Some(3))), (other, (ms(1), Some(4)))]);
    let in_flight = MinerInFlight::default();
    let capped = Capped {
        inner: &transport,
        in_flight: &in_flight,
    };
    let request = InferRequest::new(NetUid(1), 1, b"null").unwrap();
    // A flood of user queries at one miner: the gateway sends it no more than its cap, fewer
    // than the places the miner keeps for this validator, so its challenges still get in.
    const { assert!(MINER_IN_FLIGHT < mindos_mesh::GUARANTEED_QUEUE_PLACES) };
    let flood: Vec<_> = (0..MINER_IN_FLIGHT + 3)
        .map(|_| capped.send(busy_miner, request.clone(), ms(5000)))
        .collect();
    let answers = futures::future::join_all(flood);
    let watch = async {
        tokio::time::sleep(ms(10)).await;
        assert_eq!(in_flight.count(&busy_miner), MINER_IN_FLIGHT);
        assert!(in_flight.is_full(&busy_miner));
        // Another miner is not held up.
        let answer = capped.send(other, request.clone(), ms(5000)).await.unwrap();
        assert!(matches!(answer, InferResponse::Ok { .. }));
    };
    let (answers, ()) = tokio::join!(answers, watch);
    let refused = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Ok(InferResponse::Err {
                    code: mindos_mesh::ErrorCode::Busy,
                    ..
                })
            )
        })
        .count();
    assert_eq!(refused, 3, "only the requests past the cap are refused");
    assert_eq!(in_flight.count(&busy_miner), 0, "places are given back");
    assert!(!in_flight.is_full(&busy_miner));
}

/// The miners in `script` (each a neuron with uid its place, best first) as a digits subnet on
/// a chain ranks them, and the answers the gateway makes on that chain.
struct SignedRun {
    transport: crate::answers::testing::SigningMiners,
    miners: VecDeque<(PeerId, Neuron)>,
    subnet: SubnetState,
    metrics: Arc<Metrics>,
    answers: Answers,
    sink: Arc<crate::answers::testing::Recording>,
}

fn signed_run(script: Vec<crate::answers::testing::Miner>) -> SignedRun {
    let miners = script
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let uid = u16::try_from(i).unwrap();
            (m.peer(), crate::answers::testing::neuron(uid, m.peer()))
        })
        .collect();
    let metrics = Arc::new(Metrics::new().unwrap());
    let (answers, sink) = crate::answers::testing::on_chain(metrics.clone());
    SignedRun {
        transport: crate::answers::testing::SigningMiners::new(script),
        miners,
        subnet: crate::answers::testing::digits_on_chain(),
        metrics,
        answers,
        sink,
    }
}

impl SignedRun {
    /// One query slot over the miners, hedging after `hedge`, with 10 s to answer.
    async fn slot(&self, hedge: Option<Duration>) -> Result<Answer, SlotError> {
        let mut queue = self.miners.clone();
        let first = queue.pop_front();
        let budget = MinerBudget::new(1000);
        let request = InferRequest::new(NetUid(1), 0, br#"{"pixels":[0]}"#).unwrap();
        slot(
            &self.transport,
            &self.metrics,
            &self.answers,
            &self.subnet,
            &request,
            first,
            &Spares::new(queue, 1, &budget),
            Timing {
                deadline: tokio::time::Instant::now() + Duration::from_secs(10),
                hedge_delay: hedge,
            },
        )
        .await
    }

    /// What each miner asked received, in order.
    fn received(&self) -> Vec<(PeerId, InferRequest)> {
        self.transport.received.lock().unwrap().clone()
    }

    fn unsigned(&self, reason: &str) -> u64 {
        self.metrics
            .unsigned_answers
            .with_label_values(&["1", reason])
            .get()
    }
}

#[tokio::test(start_paused = true)]
async fn a_query_uses_only_answers_its_miner_signed_for_its_request() {
    use crate::answers::testing::{Miner, Signing};
    let ms = Duration::from_millis;
    for (signing, reason) in [
        (Signing::Unsigned, "missing"),
        (Signing::OtherKey, "bad_signature"),
        (Signing::OtherRequest, "bad_signature"),
        (Signing::OtherOutput, "bad_signature"),
    ] {
        // The best miner answers at once, wrongly signed; the next one honestly.
        let run = signed_run(vec![
            Miner::new(ms(1), Some(5), signing),
            Miner::new(ms(2), Some(3), Signing::Honest),
        ]);
        let Answer { uid, output, .. } = run.slot(None).await.unwrap();
        assert_eq!(uid, Uid(1), "{signing:?}: served by the honest miner");
        assert!(matches!(output, Output::Digits(ref d) if d.label == 3));
        assert_eq!(attempts(&run.metrics, "failover"), 1, "{signing:?}");
        assert_eq!(run.unsigned(reason), 1, "{signing:?}");
        // Only the verified answer is evidence.
        let kept = run.sink.taken();
        assert_eq!(kept.len(), 1, "{signing:?}");
        let honest = run.miners[1].0;
        let (_, sent) = run.received().pop().unwrap();
        assert_eq!(
            (kept[0].peer, kept[0].uid(), kept[0].kind),
            (honest, Uid(1), RequestKind::Query)
        );
        assert_eq!(
            kept[0].evidence.response.challenge,
            sent.evidence_challenge().unwrap()
        );
        assert_eq!(kept[0].input.get(), r#"{"pixels":[0]}"#);
    }
    // A signed answer from a miner whose id names no key to check it with.
    let run = signed_run(vec![Miner::new(ms(1), Some(3), Signing::Honest)]);
    let mut miners = run.miners.clone();
    let stranger = PeerId::random();
    miners[0] = (stranger, crate::answers::testing::neuron(0, stranger));
    let run = SignedRun {
        transport: crate::answers::testing::SigningMiners {
            miners: run
                .transport
                .miners
                .into_values()
                .map(|m| (stranger, m))
                .collect(),
            ..Default::default()
        },
        miners,
        ..run
    };
    assert!(matches!(run.slot(None).await, Err(SlotError::Exhausted)));
    assert_eq!(run.unsigned("not_ed25519"), 1);
    assert!(run.sink.taken().is_empty());
}

#[tokio::test(start_paused = true)]
async fn every_send_of_a_hedged_query_names_its_own_miner_and_nonce() {
    use crate::answers::testing::{Miner, Signing, BASIS};
    let ms = Duration::from_millis;
    let run = signed_run(vec![
        Miner::new(ms(5000), Some(3), Signing::Honest),
        Miner::new(ms(10), Some(3), Signing::Honest),
    ]);
    let uid = run.slot(Some(ms(50))).await.unwrap().uid;
    assert_eq!(uid, Uid(1));
    assert_eq!(attempts(&run.metrics, "hedge"), 1);
    let received = run.received();
    assert_eq!(received.len(), 2);
    for (i, (peer, request)) in received.iter().enumerate() {
        let (expected_peer, miner) = &run.miners[i];
        assert_eq!(peer, expected_peer);
        let terms = request.challenge.as_ref().unwrap();
        assert_eq!((terms.uid, terms.hotkey), (miner.uid, miner.hotkey));
        assert_eq!(
            (terms.epoch, terms.model_digest),
            (BASIS.epoch, BASIS.model_digest)
        );
        assert_eq!(request.payload.get(), r#"{"pixels":[0]}"#);
    }
    assert_ne!(received[0].1.request_id, received[1].1.request_id);
    assert_ne!(received[0].1.request_id, 0, "not the template's id");
    assert_eq!(run.sink.taken().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unsigned_answer_is_not_aggregated() {
    use crate::answers::testing::{Miner, Signing};
    let ms = Duration::from_millis;
    // Two miners asked, no spare: one says 3 signed, the other 5 unsigned.
    let run = signed_run(vec![
        Miner::new(ms(1), Some(3), Signing::Honest),
        Miner::new(ms(1), Some(5), Signing::Unsigned),
    ]);
    let checked = QueryOptions {
        redundancy: Some(2),
        ..QueryOptions::default()
    }
    .check(Duration::from_secs(5), true, 0.51)
    .unwrap();
    let budget = MinerBudget::new(10_000);
    let spares = Spares::new(run.miners.clone(), checked.redundancy, &budget);
    let request = InferRequest::new(NetUid(1), 0, b"null").unwrap();
    let timing = Timing {
        deadline: tokio::time::Instant::now() + checked.timeout,
        hedge_delay: None,
    };
    let answers = ask(
        &run.transport,
        &run.metrics,
        &run.answers,
        &run.subnet,
        &request,
        2,
        &spares,
        timing,
    )
    .await
    .unwrap();
    let result = aggregate(&run.subnet, answers, &checked).unwrap();
    assert_eq!(result.output["label"], 3);
    assert_eq!(result.served_by.len(), 1);
    assert_eq!(result.served_by[0].uid, Uid(0));
    assert_eq!(result.agreement, 0.5, "one of the two answers asked for");
    assert_eq!(run.unsigned("missing"), 1);
}
