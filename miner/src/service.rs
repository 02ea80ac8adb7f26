//! The inference service: a bounded queue of request bodies and worker threads that prepare
//! them (decode, check, tokenize) and run them in dynamic batches, off the async executor.
//!
//! - [`Service::submit_with`] queues one request body of a [`Caller`] with the [`ReplyTo`]
//!   that takes its result, or refuses at once when the queue is full
//!   ([`SubmitError::Full`], answered `busy`) — the queue never grows past its capacity. The
//!   worker replies itself, so a mesh answer leaves from the thread that computed it,
//!   without waking a task in between. [`Service::submit`] is the same with a channel for
//!   callers that await the result.
//! - The queue is fair between callers (validators, weighted by their stake): each caller
//!   has its own FIFO, and workers take from the caller that has been served least for its
//!   weight (start-time fair queuing). No caller may hold more than `capacity − reserved`
//!   places ([`RESERVED_PERCENT`]), and the reserve goes only to callers under their
//!   weighted share of the queue — so one validator flooding a miner (with its gateway's
//!   user queries) cannot make it answer another validator's challenges `busy`.
//! - Each caller may always queue its first [`GUARANTEED_QUEUE_PLACES`] jobs, even past
//!   `capacity` when others have filled the queue: so each permitted validator's challenges
//!   find a place whatever the other callers send (and a validator's gateway leaves its own
//!   challenges room in these places). Challenges are not marked (a miner that could tell
//!   them from queries could answer only them honestly), so the places are per caller. The
//!   queue holds at most `capacity + GUARANTEED_QUEUE_PLACES × callers`; callers are the
//!   subnet's permitted validators, the allow-list and the owner's RPC.
//! - A queued job whose caller is gone (its link closed, its request timed out, its
//!   receiver dropped) is skipped, not run ([`ReplyTo::wanted`]).
//! - Each worker is a dedicated OS thread (ONNX Runtime's `run` blocks) owning one ONNX
//!   session in turn. A free worker takes up to `max_batch` queued requests; if the batch is
//!   not full it may wait up to `max_wait` after the first one's arrival for more. So batches
//!   form from requests that queue while workers are busy, and a lone request is not delayed
//!   unless `max_wait` says so.
//! - The worker prepares each request before the batch runs: preparing is CPU work too
//!   (tokenizing a 16 KiB text takes milliseconds) and must not stall the async tasks that
//!   receive requests. A request that fails to prepare is answered at once with its own
//!   error; the rest of the batch runs.
//! - The power policy lowers `max_batch` and the number of active workers at run time
//!   ([`Service::set_limits`]).
//! - [`Service::close`] refuses new inputs; workers finish everything queued, then exit.

use std::{
    collections::{HashMap, VecDeque},
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Condvar, Mutex, MutexGuard, PoisonError,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use mindos_mesh::{PeerId, GUARANTEED_QUEUE_PLACES};
use mindos_subnets::{Output, PreparedInput, SubnetEngine, SubnetError};
use tokio::sync::oneshot;

use crate::metrics::Metrics;

/// Why an input was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SubmitError {
    /// The queue holds `capacity` inputs already.
    #[error("the queue is full ({capacity} requests waiting)")]
    Full {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The service is shutting down.
    #[error("the miner is shutting down")]
    Closed,
}

/// Why a request got no output from the model: its input was refused, or its batch failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JobFailed {
    /// Whether the subnet blamed the input.
    pub(crate) bad_input: bool,
    /// The subnet's message.
    pub(crate) message: String,
}

/// Why a job produced no output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JobError {
    /// The job was never queued.
    Refused(SubmitError),
    /// Its input could not be prepared, or its batch failed.
    Failed(JobFailed),
}

/// What a queued input gets back.
pub(crate) type JobResult = Result<Output, JobError>;

/// Takes a job's result: exactly once, on the worker thread that ran the batch, or at once by
/// [`Service::submit_with`] when the job is refused — unless the job is skipped because
/// nobody wants it any more. It must not block.
pub(crate) trait ReplyTo: Send + 'static {
    /// Whether the caller still waits for the result; a queued job whose caller is gone is
    /// dropped without running.
    fn wanted(&self) -> bool {
        true
    }

    /// Takes the result.
    fn send(self: Box<Self>, result: JobResult);
}

impl<F: FnOnce(JobResult) + Send + 'static> ReplyTo for F {
    fn send(self: Box<Self>, result: JobResult) {
        self(result);
    }
}

/// A job's [`ReplyTo`].
pub(crate) type Reply = Box<dyn ReplyTo>;

/// The result goes to a channel; wanted while its receiver is alive.
struct ToChannel(oneshot::Sender<JobResult>);

impl ReplyTo for ToChannel {
    fn wanted(&self) -> bool {
        !self.0.is_closed()
    }

    fn send(self: Box<Self>, result: JobResult) {
        // The caller may have given up; nothing to do then.
        let _ = self.0.send(result);
    }
}

/// Share of the queue, in percent, that no single caller may fill: kept for the others
/// (another validator's challenges), and given only to callers under their weighted share.
pub(crate) const RESERVED_PERCENT: usize = 25;

/// Who queued a job, for fair queuing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The mesh peer, or `None` for the owner's RPC.
    pub(crate) peer: Option<PeerId>,
    /// Its share relative to other callers (its stake in whole MIND, at least 1).
    pub(crate) weight: u64,
}

impl Caller {
    /// The owner, through the local RPC.
    pub(crate) fn local() -> Self {
        Self {
            peer: None,
            weight: 1,
        }
    }
}

/// Runs one batch: the subnet's blocking `infer_prepared` (a fake in tests).
pub(crate) type InferFn =
    Arc<dyn Fn(Vec<PreparedInput>) -> Result<Vec<Output>, SubnetError> + Send + Sync>;

/// Prepares one request body: the subnet's `prepare_input`.
pub(crate) type PrepareFn = Arc<dyn Fn(&[u8]) -> Result<PreparedInput, SubnetError> + Send + Sync>;

/// What the workers run.
#[derive(Clone)]
pub(crate) struct Model {
    pub(crate) prepare: PrepareFn,
    pub(crate) infer: InferFn,
}

impl Model {
    /// The subnet `engine`'s preparation and batch inference.
    pub(crate) fn of(engine: &Arc<dyn SubnetEngine>) -> Self {
        let (for_prepare, for_infer) = (engine.clone(), engine.clone());
        Self {
            prepare: Arc::new(move |bytes| for_prepare.prepare_input(bytes)),
            infer: Arc::new(move |inputs| for_infer.infer_prepared(inputs)),
        }
    }
}

struct Job {
    request: Vec<u8>,
    reply: Reply,
    queued_at: Instant,
}

/// One caller's jobs and its place in the fair order.
struct Lane {
    jobs: VecDeque<Job>,
    weight: f64,
    /// Virtual time at which its next job starts: grows by `1 / weight` per job served.
    start: f64,
}

/// The queue: one FIFO lane per caller with jobs waiting (empty lanes are removed, so the
/// map never holds more lanes than jobs).
struct Queue {
    lanes: HashMap<Option<PeerId>, Lane>,
    len: usize,
    /// Virtual time of the last job taken; a lane that (re)starts does so from here, so
    /// idling earns no credit.
    now: f64,
}

impl Queue {
    fn new() -> Self {
        Self {
            lanes: HashMap::new(),
            len: 0,
            now: 0.0,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Why `caller` may not queue one more job in a queue of `capacity`, if it may not.
    fn refuse(&self, caller: &Caller, capacity: usize) -> Option<SubmitError> {
        let full = SubmitError::Full { capacity };
        let held = self.lanes.get(&caller.peer).map_or(0, |l| l.jobs.len());
        if held < GUARANTEED_QUEUE_PLACES {
            // Its own places: whatever the others hold.
            return None;
        }
        if self.len >= capacity {
            return Some(full);
        }
        let reserved = capacity.saturating_mul(RESERVED_PERCENT) / 100;
        let open = capacity.saturating_sub(reserved).max(1);
        if held >= open {
            return Some(full);
        }
        if self.len >= open {
            // Into the reserve: only below the caller's weighted share of the whole queue.
            let others: f64 = self
                .lanes
                .iter()
                .filter(|(peer, _)| **peer != caller.peer)
                .map(|(_, lane)| lane.weight)
                .sum();
            let weight = weight_of(caller);
            let share = (capacity as f64 * weight / (weight + others)).max(1.0);
            if held as f64 >= share {
                return Some(full);
            }
        }
        None
    }

    fn push(&mut self, caller: &Caller, job: Job) {
        let now = self.now;
        let lane = self.lanes.entry(caller.peer).or_insert_with(|| Lane {
            jobs: VecDeque::new(),
            weight: weight_of(caller),
            start: now,
        });
        lane.weight = weight_of(caller);
        lane.jobs.push_back(job);
        self.len = self.len.saturating_add(1);
    }

    /// The next job in fair order: the front of the lane that starts soonest.
    fn pop(&mut self) -> Option<Job> {
        let key = self
            .lanes
            .iter()
            .min_by(|a, b| a.1.start.total_cmp(&b.1.start))
            .map(|(key, _)| *key)?;
        let lane = self.lanes.get_mut(&key)?;
        let job = lane.jobs.pop_front()?;
        self.now = lane.start;
        lane.start += 1.0 / lane.weight;
        if lane.jobs.is_empty() {
            self.lanes.remove(&key);
        }
        self.len = self.len.saturating_sub(1);
        Some(job)
    }
}

/// A caller's weight as a positive float.
fn weight_of(caller: &Caller) -> f64 {
    caller.weight.max(1) as f64
}

struct State {
    queue: Queue,
    closed: bool,
}

struct Shared {
    model: Model,
    state: Mutex<State>,
    /// Signalled when work arrives, limits change or the service closes.
    work: Condvar,
    capacity: usize,
    max_wait: Duration,
    max_batch: AtomicUsize,
    active_workers: AtomicUsize,
    busy_workers: AtomicUsize,
    busy_nanos: AtomicU64,
    batches: AtomicU64,
    /// Queued jobs dropped because their caller was gone.
    skipped: AtomicU64,
    metrics: Arc<Metrics>,
}

/// The queue and its workers. See the module docs.
pub(crate) struct Service {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    workers: usize,
}

/// Limits the service starts with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ServiceLimits {
    pub(crate) workers: usize,
    pub(crate) max_batch: usize,
    pub(crate) max_wait: Duration,
    pub(crate) queue_capacity: usize,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A worker that panicked held no invariant across the lock; carry on.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Service {
    /// Starts `limits.workers` worker threads that prepare requests and run batches with
    /// `model`.
    pub(crate) fn start(
        model: Model,
        limits: ServiceLimits,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        Self::start_with_stack(model, limits, metrics, None)
    }

    /// [`Self::start`] with workers of `stack_size` bytes of stack (the platform's default
    /// if `None`).
    fn start_with_stack(
        model: Model,
        limits: ServiceLimits,
        metrics: Arc<Metrics>,
        stack_size: Option<usize>,
    ) -> std::io::Result<Self> {
        let workers = limits.workers.max(1);
        let shared = Arc::new(Shared {
            model,
            state: Mutex::new(State {
                queue: Queue::new(),
                closed: false,
            }),
            work: Condvar::new(),
            capacity: limits.queue_capacity.max(1),
            max_wait: limits.max_wait,
            max_batch: AtomicUsize::new(limits.max_batch.max(1)),
            active_workers: AtomicUsize::new(workers),
            busy_workers: AtomicUsize::new(0),
            busy_nanos: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            metrics,
        });
        let mut threads = Vec::with_capacity(workers);
        for index in 0..workers {
            let worker = shared.clone();
            let mut builder = std::thread::Builder::new().name(format!("mindos-infer-{index}"));
            if let Some(size) = stack_size {
                builder = builder.stack_size(size);
            }
            let spawned = builder.spawn(move || worker.work_loop(index));
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    shared.close();
                    return Err(e);
                }
            }
        }
        Ok(Self {
            shared,
            threads: Mutex::new(threads),
            workers,
        })
    }

    /// Queues the request body `request` of `caller`; the receiver gets its output once its
    /// batch has run. Dropping the receiver before then skips the job.
    pub(crate) fn submit(
        &self,
        request: Vec<u8>,
        caller: Caller,
    ) -> Result<oneshot::Receiver<JobResult>, SubmitError> {
        let (sender, answer) = oneshot::channel();
        self.submit_with(request, caller, Box::new(ToChannel(sender)))?;
        Ok(answer)
    }

    /// Queues the request body `request` of `caller`; `reply` takes its result once it has
    /// run (or failed to prepare). A refused request's `reply` gets [`JobError::Refused`]
    /// before this returns the same error.
    pub(crate) fn submit_with(
        &self,
        request: Vec<u8>,
        caller: Caller,
        reply: Reply,
    ) -> Result<(), SubmitError> {
        let mut state = lock(&self.shared.state);
        let refused = if state.closed {
            Some(SubmitError::Closed)
        } else {
            state.queue.refuse(&caller, self.shared.capacity)
        };
        if let Some(error) = refused {
            drop(state);
            reply.send(Err(JobError::Refused(error)));
            return Err(error);
        }
        state.queue.push(
            &caller,
            Job {
                request,
                reply,
                queued_at: Instant::now(),
            },
        );
        self.shared.metrics.set_queue_depth(state.queue.len());
        drop(state);
        // Every waiting worker: the one woken may be above the active limit, or be collecting
        // a batch. There are only a few.
        self.shared.work.notify_all();
        Ok(())
    }

    /// Sets the largest batch and how many workers may run batches (at least 1 each, at most
    /// the workers started).
    pub(crate) fn set_limits(&self, max_batch: usize, workers: usize) {
        self.shared
            .max_batch
            .store(max_batch.max(1), Ordering::Relaxed);
        self.shared
            .active_workers
            .store(workers.clamp(1, self.workers), Ordering::Relaxed);
        self.shared.work.notify_all();
    }

    /// Current largest batch.
    pub(crate) fn max_batch(&self) -> usize {
        self.shared.max_batch.load(Ordering::Relaxed)
    }

    /// Current number of workers allowed to run batches.
    pub(crate) fn active_workers(&self) -> usize {
        self.shared.active_workers.load(Ordering::Relaxed)
    }

    /// Inputs waiting for a worker.
    pub(crate) fn queue_depth(&self) -> usize {
        lock(&self.shared.state).queue.len()
    }

    /// Total time workers have spent running batches, in nanoseconds.
    pub(crate) fn busy_nanos(&self) -> u64 {
        self.shared.busy_nanos.load(Ordering::Relaxed)
    }

    /// Batches run so far.
    pub(crate) fn batches(&self) -> u64 {
        self.shared.batches.load(Ordering::Relaxed)
    }

    /// Queued jobs skipped so far because their caller was gone.
    #[cfg(test)]
    pub(crate) fn skipped(&self) -> u64 {
        self.shared.skipped.load(Ordering::Relaxed)
    }

    /// Refuses new inputs; queued ones still run.
    #[cfg(test)]
    pub(crate) fn close(&self) {
        self.shared.close();
    }

    /// Closes the service and waits until the workers have run everything queued and exited.
    /// Blocks: call it from a blocking thread.
    pub(crate) fn close_and_join(&self) {
        self.shared.close();
        let threads =
            std::mem::take(&mut *self.threads.lock().unwrap_or_else(PoisonError::into_inner));
        for thread in threads {
            if thread.join().is_err() {
                tracing::error!("an inference worker panicked");
            }
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // Workers exit once the queue is empty; nobody waits for them here.
        self.shared.close();
    }
}

impl Shared {
    fn close(&self) {
        lock(&self.state).closed = true;
        self.work.notify_all();
    }

    fn work_loop(&self, index: usize) {
        while let Some(batch) = self.next_batch(index) {
            self.run(batch);
        }
    }

    /// Waits for work this worker may take; `None` once closed and drained.
    fn next_batch(&self, index: usize) -> Option<Vec<Job>> {
        let mut state = lock(&self.state);
        // A loop, not a retry by recursion: every job taken may have been skipped (its
        // caller gone), round after round — a caller that sends one request and closes its
        // link, again and again, must not grow this thread's stack.
        loop {
            loop {
                // Worker 0 is always active, so a closed queue always drains.
                let active = index < self.active_workers.load(Ordering::Relaxed);
                if active && !state.queue.is_empty() {
                    break;
                }
                if state.closed && state.queue.is_empty() {
                    return None;
                }
                state = self
                    .work
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            let max = self.max_batch.load(Ordering::Relaxed).max(1);
            let mut batch = Vec::with_capacity(max.min(state.queue.len()));
            self.take(&mut state.queue, &mut batch, max);
            let deadline = batch
                .first()
                .and_then(|first| first.queued_at.checked_add(self.max_wait));
            if let Some(deadline) = deadline.filter(|_| !self.max_wait.is_zero()) {
                while batch.len() < max && !state.closed {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    state = self
                        .work
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    self.take(&mut state.queue, &mut batch, max);
                }
            }
            self.metrics.set_queue_depth(state.queue.len());
            // Every queued job may have been skipped; wait for more then.
            if !batch.is_empty() {
                return Some(batch);
            }
        }
    }

    /// Moves jobs from `queue` to `batch` in fair order until it holds `max`, skipping the
    /// jobs nobody waits for any more.
    fn take(&self, queue: &mut Queue, batch: &mut Vec<Job>, max: usize) {
        while batch.len() < max {
            let Some(job) = queue.pop() else {
                return;
            };
            if job.reply.wanted() {
                batch.push(job);
            } else {
                self.skipped.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("skipping a queued request: its caller is gone");
            }
        }
    }

    fn run(&self, batch: Vec<Job>) {
        self.busy_workers.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let (inputs, replies) = self.prepare(batch);
        let size = inputs.len();
        let result =
            (size > 0).then(|| catch_unwind(AssertUnwindSafe(|| (self.model.infer)(inputs))));
        let took = started.elapsed();
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.busy_workers.fetch_sub(1, Ordering::Relaxed);
        let Some(result) = result else {
            return;
        };
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.metrics.batch(size, took);
        match result {
            Ok(Ok(outputs)) if outputs.len() == size => {
                for (reply, output) in replies.into_iter().zip(outputs) {
                    reply.send(Ok(output));
                }
            }
            Ok(Ok(outputs)) => {
                let message = format!(
                    "the model returned {} outputs for {size} inputs",
                    outputs.len()
                );
                tracing::error!(%message);
                for reply in replies {
                    reply.send(failed(false, message.clone()));
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, size, "batch failed");
                for reply in replies {
                    reply.send(failed(e.is_bad_input(), e.to_string()));
                }
            }
            Err(_panic) => {
                tracing::error!(size, "the model panicked on a batch");
                for reply in replies {
                    reply.send(failed(false, "the model failed".to_owned()));
                }
            }
        }
    }

    /// The prepared inputs of `batch` with their replies; a request that fails to prepare is
    /// answered here with its own error.
    fn prepare(&self, batch: Vec<Job>) -> (Vec<PreparedInput>, Vec<Reply>) {
        let mut inputs = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        for job in batch {
            match catch_unwind(AssertUnwindSafe(|| (self.model.prepare)(&job.request))) {
                Ok(Ok(input)) => {
                    inputs.push(input);
                    replies.push(job.reply);
                }
                Ok(Err(e)) => job.reply.send(failed(e.is_bad_input(), e.to_string())),
                Err(_panic) => {
                    tracing::error!("the subnet panicked preparing a request");
                    job.reply.send(failed(false, "the model failed".to_owned()));
                }
            }
        }
        (inputs, replies)
    }
}

fn failed(bad_input: bool, message: String) -> JobResult {
    Err(JobError::Failed(JobFailed { bad_input, message }))
}

#[cfg(test)]
mod tests;
