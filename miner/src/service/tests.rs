//! The queue and its workers with the digits model, mostly behind a gate the test opens:
//! batching, refusals, fair queuing and each caller's places, skipped jobs, a failing model.

use mindos_subnets::SubnetEngine;

use super::*;

/// A gate the fake model waits at until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
    }
    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
}

fn digits() -> Arc<dyn SubnetEngine> {
    mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).expect(
        "the digits model is built in; the ONNX Runtime library comes from scripts/setup.sh",
    )
}

/// The digits model behind `gate`.
fn gated(gate: &Gate) -> Model {
    let (engine, gate) = (digits(), gate.clone());
    let model = Model::of(&engine);
    Model {
        infer: Arc::new(move |inputs| {
            gate.wait();
            engine.infer_prepared(inputs)
        }),
        ..model
    }
}

/// The body of a valid digits request.
fn pixels() -> Vec<u8> {
    let engine = digits();
    let input = engine.challenge(0).expect("a validation sample").input;
    engine.encode_input(&input).unwrap()
}

fn start(model: Model, max_batch: usize, queue_capacity: usize) -> Service {
    let limits = ServiceLimits {
        workers: 1,
        max_batch,
        max_wait: Duration::ZERO,
        queue_capacity,
    };
    Service::start(model, limits, Arc::new(Metrics::new().unwrap())).unwrap()
}

/// Waits until the worker has taken everything queued (it is then blocked at the gate).
async fn until_taken(service: &Service) {
    while service.queue_depth() > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A service running `model` whose one worker has taken a first request and is held at
/// its gate: whatever is submitted next queues.
async fn held(
    model: Model,
    max_batch: usize,
    queue_capacity: usize,
) -> (Service, oneshot::Receiver<JobResult>) {
    let service = start(model, max_batch, queue_capacity);
    let first = service.submit(pixels(), Caller::local()).unwrap();
    until_taken(&service).await;
    (service, first)
}

/// Closes `service` and waits for its worker to finish.
async fn close(service: Service) {
    tokio::task::spawn_blocking(move || service.close_and_join())
        .await
        .unwrap();
}

#[tokio::test]
async fn requests_queued_behind_a_busy_worker_run_as_one_batch() {
    let gate = Gate::default();
    let (service, first) = held(gated(&gate), 8, 64).await;
    let rest: Vec<_> = (0..7)
        .map(|_| service.submit(pixels(), Caller::local()).unwrap())
        .collect();
    gate.open();
    first.await.unwrap().unwrap();
    for answer in rest {
        answer.await.unwrap().unwrap();
    }
    assert_eq!(
        service.batches(),
        2,
        "1 request, then the 7 that queued behind it"
    );
    close(service).await;
}

#[tokio::test]
async fn a_request_that_fails_to_decode_fails_alone_and_its_batch_runs() {
    let gate = Gate::default();
    let (service, first) = held(gated(&gate), 8, 64).await;
    let good = service.submit(pixels(), Caller::local()).unwrap();
    let out_of_range = service
        .submit(br#"{"pixels": [99]}"#.to_vec(), Caller::local())
        .unwrap();
    let also_good = service.submit(pixels(), Caller::local()).unwrap();
    gate.open();
    first.await.unwrap().unwrap();
    match out_of_range.await.unwrap() {
        Err(JobError::Failed(failed)) => {
            assert!(failed.bad_input, "{}", failed.message);
            assert!(failed.message.contains("pixels"), "{}", failed.message);
        }
        other => panic!("expected the input to be refused, got {other:?}"),
    }
    good.await.unwrap().unwrap();
    also_good.await.unwrap().unwrap();
    assert_eq!(
        service.batches(),
        2,
        "the two good requests ran as one batch"
    );
    close(service).await;
}

#[tokio::test]
async fn max_wait_collects_a_batch() {
    let limits = ServiceLimits {
        workers: 1,
        max_batch: 4,
        max_wait: Duration::from_secs(5),
        queue_capacity: 64,
    };
    let service = Service::start(
        Model::of(&digits()),
        limits,
        Arc::new(Metrics::new().unwrap()),
    )
    .unwrap();
    let started = Instant::now();
    let answers: Vec<_> = (0..4)
        .map(|_| service.submit(pixels(), Caller::local()).unwrap())
        .collect();
    for answer in answers {
        answer.await.unwrap().unwrap();
    }
    assert_eq!(service.batches(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a full batch leaves without waiting"
    );
    close(service).await;
}

#[tokio::test]
async fn a_full_queue_refuses_and_a_closed_one_drains() {
    let gate = Gate::default();
    let (service, first) = held(gated(&gate), 1, 2).await;
    // A caller's own places, past the capacity (nobody else is queued), then `busy`.
    let queued: Vec<_> = (0..GUARANTEED_QUEUE_PLACES)
        .map(|_| service.submit(pixels(), Caller::local()).unwrap())
        .collect();
    assert_eq!(
        service.submit(pixels(), Caller::local()).unwrap_err(),
        SubmitError::Full { capacity: 2 }
    );
    // A refused job's callback hears why, before `submit_with` returns.
    let (heard, hearing) = std::sync::mpsc::channel();
    let reply: Reply = Box::new(move |result| heard.send(result).unwrap());
    assert_eq!(
        service
            .submit_with(pixels(), Caller::local(), reply)
            .unwrap_err(),
        SubmitError::Full { capacity: 2 }
    );
    assert_eq!(
        hearing.try_recv().unwrap().unwrap_err(),
        JobError::Refused(SubmitError::Full { capacity: 2 })
    );
    service.close();
    assert_eq!(
        service.submit(pixels(), Caller::local()).unwrap_err(),
        SubmitError::Closed
    );
    gate.open();
    first.await.unwrap().unwrap();
    for answer in queued {
        answer.await.unwrap().unwrap();
    }
    close(service).await;
}

/// Caller `n` with `weight`.
fn caller(n: u8, weight: u64) -> Caller {
    let peer = mindos_mesh::Keypair::ed25519_from_bytes([n; 32])
        .unwrap()
        .public()
        .to_peer_id();
    Caller {
        peer: Some(peer),
        weight,
    }
}

/// Queues a request of `caller` whose answer appends `label` to `order`.
fn submit_labelled(
    service: &Service,
    caller: Caller,
    label: char,
    order: &Arc<Mutex<String>>,
) -> Result<(), SubmitError> {
    let order = order.clone();
    let reply: Reply = Box::new(move |result: JobResult| {
        if result.is_ok() {
            order.lock().unwrap().push(label);
        }
    });
    service.submit_with(pixels(), caller, reply)
}

#[tokio::test]
async fn a_second_caller_gets_its_share_while_a_first_floods() {
    let gate = Gate::default();
    // 40 places, 10 of them kept from any one caller.
    let (service, first) = held(gated(&gate), 1, 40).await;
    let order = Arc::new(Mutex::new(String::new()));
    // A (stake 1000) floods: it gets 30 places, then `busy`.
    let flooder = caller(1, 1000);
    let mut queued = 0;
    while submit_labelled(&service, flooder, 'a', &order).is_ok() {
        queued += 1;
        assert!(queued <= 40, "the flood was never refused");
    }
    assert_eq!(queued, 30);
    // B (stake 1, a validator whose challenges must get through) still gets in.
    let other = caller(2, 1);
    submit_labelled(&service, other, 'b', &order).unwrap();
    assert_eq!(
        submit_labelled(&service, flooder, 'a', &order).unwrap_err(),
        SubmitError::Full { capacity: 40 }
    );
    gate.open();
    first.await.unwrap().unwrap();
    close(service).await;
    // B did not wait behind A's thirty: lanes alternate from the same start.
    let order = order.lock().unwrap().clone();
    assert_eq!(order.len(), 31, "{order}");
    assert!(order.find('b').unwrap() <= 1, "{order}");
}

#[tokio::test]
async fn each_caller_keeps_its_places_when_others_have_filled_the_queue() {
    let gate = Gate::default();
    let (service, first) = held(gated(&gate), 1, 8).await;
    let order = Arc::new(Mutex::new(String::new()));
    // Two heavy validators flood a queue of 8 until each is refused.
    for (n, label) in [(1, 'a'), (2, 'c')] {
        let mut queued = 0;
        while submit_labelled(&service, caller(n, 1000), label, &order).is_ok() {
            queued += 1;
            assert!(queued <= 64, "the flood was never refused");
        }
    }
    assert!(service.queue_depth() >= 8);
    // A light validator still queues its first places (its challenges), no more.
    let light = caller(3, 1);
    for _ in 0..GUARANTEED_QUEUE_PLACES {
        submit_labelled(&service, light, 'b', &order).unwrap();
    }
    assert_eq!(
        submit_labelled(&service, light, 'b', &order).unwrap_err(),
        SubmitError::Full { capacity: 8 }
    );
    // Bounded: the capacity plus each caller's own places.
    assert!(service.queue_depth() <= 8 + 3 * GUARANTEED_QUEUE_PLACES);
    gate.open();
    first.await.unwrap().unwrap();
    close(service).await;
    let order = order.lock().unwrap().clone();
    assert_eq!(
        order.chars().filter(|c| *c == 'b').count(),
        GUARANTEED_QUEUE_PLACES,
        "{order}"
    );
}

#[tokio::test]
async fn callers_are_served_in_proportion_to_their_stake() {
    let gate = Gate::default();
    let (service, first) = held(gated(&gate), 1, 64).await;
    let order = Arc::new(Mutex::new(String::new()));
    let (heavy, light) = (caller(1, 3), caller(2, 1));
    for _ in 0..12 {
        submit_labelled(&service, heavy, 'h', &order).unwrap();
    }
    for _ in 0..12 {
        submit_labelled(&service, light, 'l', &order).unwrap();
    }
    gate.open();
    first.await.unwrap().unwrap();
    close(service).await;
    let order = order.lock().unwrap().clone();
    assert_eq!(order.len(), 24, "{order}");
    // While both wait, 3 of every 4 go to the caller with three times the stake.
    let light_in_first_8 = order.chars().take(8).filter(|c| *c == 'l').count();
    assert!((2..=3).contains(&light_in_first_8), "{order}");
    assert!(order[..16].contains("hhh"), "{order}");
}

#[tokio::test]
async fn a_queued_job_whose_caller_is_gone_is_skipped() {
    let gate = Gate::default();
    let (service, first) = held(gated(&gate), 8, 64).await;
    let gone = [
        service.submit(pixels(), Caller::local()).unwrap(),
        service.submit(pixels(), Caller::local()).unwrap(),
    ];
    let waiting = service.submit(pixels(), Caller::local()).unwrap();
    drop(gone);
    gate.open();
    first.await.unwrap().unwrap();
    waiting.await.unwrap().unwrap();
    assert_eq!(service.skipped(), 2);
    assert_eq!(
        service.batches(),
        2,
        "the held request, then the one still wanted"
    );
    close(service).await;
}

/// Wanted by nobody: says so on `seen` each time a worker asks.
struct Gone(std::sync::mpsc::Sender<()>);

impl ReplyTo for Gone {
    fn wanted(&self) -> bool {
        let _ = self.0.send(());
        false
    }

    fn send(self: Box<Self>, _result: JobResult) {}
}

#[test]
fn rounds_of_only_skipped_jobs_do_not_grow_the_worker_stack() {
    // A caller that sends one request and closes its link, again and again: each round
    // the worker wakes, skips the only job and waits again. A worker that retried by
    // recursion overflowed this small stack (and aborted the process) long before the
    // last round.
    const ROUNDS: u64 = 20_000;
    let limits = ServiceLimits {
        workers: 1,
        max_batch: 1,
        max_wait: Duration::ZERO,
        queue_capacity: 8,
    };
    let service = Service::start_with_stack(
        Model::of(&digits()),
        limits,
        Arc::new(Metrics::new().unwrap()),
        Some(128 * 1024),
    )
    .unwrap();
    let (seen, seeing) = std::sync::mpsc::channel();
    for _ in 0..ROUNDS {
        service
            .submit_with(Vec::new(), Caller::local(), Box::new(Gone(seen.clone())))
            .unwrap();
        // The next job is queued only once the worker has taken this one, so every job
        // is a round of its own.
        seeing.recv().unwrap();
    }
    service.close_and_join();
    assert_eq!(service.skipped(), ROUNDS);
    assert_eq!(service.batches(), 0);
}

#[tokio::test]
async fn a_failing_or_panicking_model_fails_its_batch_only() {
    let engine = digits();
    let infer: InferFn = Arc::new(move |inputs: Vec<PreparedInput>| {
        if inputs.len() == 2 {
            panic!("fake model panic");
        }
        engine.infer_prepared(inputs)
    });
    let gate = Gate::default();
    let gated = Model {
        infer: {
            let gate = gate.clone();
            Arc::new(move |inputs| {
                gate.wait();
                infer(inputs)
            })
        },
        ..Model::of(&digits())
    };
    let (service, first) = held(gated, 2, 8).await;
    let pair = [
        service.submit(pixels(), Caller::local()).unwrap(),
        service.submit(pixels(), Caller::local()).unwrap(),
    ];
    gate.open();
    first.await.unwrap().unwrap();
    for answer in pair {
        match answer.await.unwrap() {
            Err(JobError::Failed(failed)) => assert!(!failed.bad_input),
            other => panic!("expected a failed batch, got {other:?}"),
        }
    }
    // The worker survived the panic.
    service
        .submit(pixels(), Caller::local())
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    close(service).await;
}
