//! The request path shared by the mesh and the owner RPC: who may call, which subnet,
//! queueing, answering (signed, for a request with challenge terms: [`crate::signer`]) — and
//! the outcome counted in the metrics.

use mindos_primitives::NetUid;
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, PoisonError, RwLock,
    },
    time::Instant,
};

use mindos_mesh::{Admission, ErrorCode, InferRequest, InferResponse, PeerId, Responder};
use mindos_subnets::{Output, SubnetEngine};

use crate::{
    metrics::Metrics,
    service::{Caller, JobError, JobResult, ReplyTo, Service},
    signer::{Begin, Signer, Ticket},
};

/// How a request ended, as counted in `mindos_miner_requests_total{outcome}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Outcome {
    Ok,
    Unauthorized,
    UnknownSubnet,
    InvalidInput,
    Busy,
    Internal,
}

impl Outcome {
    pub(crate) const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::Unauthorized,
        Outcome::UnknownSubnet,
        Outcome::InvalidInput,
        Outcome::Busy,
        Outcome::Internal,
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Unauthorized => "unauthorized",
            Outcome::UnknownSubnet => "unknown_subnet",
            Outcome::InvalidInput => "invalid_input",
            Outcome::Busy => "busy",
            Outcome::Internal => "internal",
        }
    }
}

/// Why a request got no output. Each maps to one mesh [`ErrorCode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The caller is neither a permitted validator of the subnet nor allow-listed.
    #[error("{0}")]
    Unauthorized(String),
    /// The request names another subnet.
    #[error("{0}")]
    UnknownSubnet(String),
    /// The input does not fit the subnet's schema; the subnet's own message.
    #[error("{0}")]
    InvalidInput(String),
    /// The queue is full or the miner is shutting down; try another miner.
    #[error("{0}")]
    Busy(String),
    /// The model failed.
    #[error("{0}")]
    Internal(String),
}

impl ServeError {
    /// The mesh error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::UnknownSubnet(_) => ErrorCode::UnknownSubnet,
            Self::InvalidInput(_) => ErrorCode::InvalidInput,
            Self::Busy(_) => ErrorCode::Busy,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            Self::Unauthorized(_) => Outcome::Unauthorized,
            Self::UnknownSubnet(_) => Outcome::UnknownSubnet,
            Self::InvalidInput(_) => Outcome::InvalidInput,
            Self::Busy(_) => Outcome::Busy,
            Self::Internal(_) => Outcome::Internal,
        }
    }
}

/// Who may call: a fixed allow-list plus the subnet's permitted validators' PeerIds as last
/// read from the chain, each with its stake in whole MIND (its weight in the queue). The mesh
/// applies the same policy when a link is opened, so other peers are dropped before their
/// requests are read; the check per request covers a validator that lost its permit while its
/// link was open.
#[derive(Debug)]
pub(crate) struct Authorizer {
    admission: Admission,
    stakes: RwLock<Arc<HashMap<PeerId, u64>>>,
}

impl Authorizer {
    pub(crate) fn new(allow: impl IntoIterator<Item = PeerId>) -> Self {
        Self {
            admission: Admission::only(allow),
            stakes: RwLock::default(),
        }
    }

    /// The policy to give the mesh (`MeshConfig::admission`); it follows this authorizer.
    pub(crate) fn admission(&self) -> Admission {
        self.admission.clone()
    }

    pub(crate) fn is_allowed(&self, peer: &PeerId) -> bool {
        self.admission.admits(peer)
    }

    /// `peer` as a caller in the queue: weighted by its stake (allow-listed peers, which
    /// have none on record, weigh 1).
    pub(crate) fn caller(&self, peer: &PeerId) -> Caller {
        let stake = self
            .stakes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(peer)
            .copied()
            .unwrap_or(1);
        Caller {
            peer: Some(*peer),
            weight: stake.max(1),
        }
    }

    /// Replaces the validators' PeerIds and stakes (whole MIND); returns whether they
    /// changed.
    pub(crate) fn set_validators(&self, peers: HashMap<PeerId, u64>) -> bool {
        let admitted_changed = self.admission.set_admitted(peers.keys().copied().collect());
        let mut current = self.stakes.write().unwrap_or_else(PoisonError::into_inner);
        if **current == peers {
            return admitted_changed;
        }
        *current = Arc::new(peers);
        true
    }

    pub(crate) fn validator_count(&self) -> usize {
        self.admission.admitted_count()
    }
}

/// Answers requests: see the module docs.
pub(crate) struct Server {
    pub(crate) netuid: NetUid,
    pub(crate) engine: Arc<dyn SubnetEngine>,
    pub(crate) service: Service,
    pub(crate) auth: Authorizer,
    pub(crate) metrics: Arc<Metrics>,
    /// Signs answers to requests with challenge terms.
    pub(crate) signer: Arc<Signer>,
    accepting: AtomicBool,
}

impl Server {
    pub(crate) fn new(
        netuid: NetUid,
        engine: Arc<dyn SubnetEngine>,
        service: Service,
        auth: Authorizer,
        metrics: Arc<Metrics>,
        signer: Arc<Signer>,
    ) -> Self {
        Self {
            netuid,
            engine,
            service,
            auth,
            metrics,
            signer,
            accepting: AtomicBool::new(true),
        }
    }

    /// From now on every request is answered `busy` (shutdown).
    pub(crate) fn stop_accepting(&self) {
        self.accepting.store(false, Ordering::SeqCst);
    }

    /// Answers one `/mindos/infer/1` request from `peer` through `responder`. Refusals are
    /// answered at once; an output is answered by the inference worker that computed it, so
    /// no task has to wake in between (the mesh's dispatcher calls this for every request).
    /// The payload reaches the worker as the JSON text the mesh checked, and the subnet
    /// decodes it typed there. A request with challenge terms is checked and looked up by the
    /// [`Signer`] first; its output is signed on the worker.
    pub(crate) fn answer_to(&self, peer: PeerId, request: InferRequest, responder: Responder) {
        self.answer_with(peer, request, Respond::Mesh(responder));
    }

    fn answer_with(&self, peer: PeerId, request: InferRequest, respond: Respond) {
        let arrived = Instant::now();
        let mut answer = Answer {
            respond,
            metrics: self.metrics.clone(),
            engine: self.engine.clone(),
            started: arrived,
            peer,
            request_id: request.request_id,
            ticket: None,
        };
        if let Err(e) = self
            .admit(&peer, request.netuid)
            .and_then(|()| self.check_accepting())
        {
            return answer.finish(Err(e));
        }
        if let Some(terms) = &request.challenge {
            match self.signer.begin(&request, terms, arrived) {
                Ok(Begin::Run(ticket)) => answer.ticket = Some(ticket),
                Ok(Begin::Resend(response)) => return answer.resend(response),
                Err(e) => return answer.finish(Err(e)),
            }
        }
        // A refusal (queue full, shutting down) reaches the answer as `busy`.
        let _ = self.service.submit_with(
            request.into_payload_bytes(),
            self.auth.caller(&peer),
            Box::new(answer),
        );
    }

    /// [`Server::answer_to`], awaited: the response instead of a responder (for a faulty
    /// miner that alters it, and tests).
    #[cfg(any(test, feature = "fault-injection"))]
    pub(crate) async fn answer(&self, peer: PeerId, request: InferRequest) -> InferResponse {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.answer_with(peer, request, Respond::Channel(sender));
        receiver.await.unwrap_or_else(|_| {
            InferResponse::error(ErrorCode::Internal, "the inference worker stopped")
        })
    }

    /// Runs `input` for the owner (RPC): the same validation and queue, no caller check.
    pub(crate) async fn answer_local(
        &self,
        input: &serde_json::Value,
    ) -> Result<serde_json::Value, ServeError> {
        let started = Instant::now();
        let result = match serde_json::to_vec(input) {
            Ok(bytes) => self.infer(bytes, Caller::local()).await,
            Err(e) => Err(ServeError::InvalidInput(e.to_string())),
        };
        count(&self.metrics, &result, started);
        result.and_then(|output| {
            serde_json::to_value(&output).map_err(|e| ServeError::Internal(e.to_string()))
        })
    }

    /// Checks the caller and the subnet, in that order (an unknown caller learns nothing).
    pub(crate) fn admit(&self, peer: &PeerId, netuid: NetUid) -> Result<(), ServeError> {
        if !self.auth.is_allowed(peer) {
            return Err(ServeError::Unauthorized(format!(
                "peer {peer} is not a permitted validator of subnet {} nor allow-listed",
                self.netuid
            )));
        }
        if netuid != self.netuid {
            return Err(ServeError::UnknownSubnet(format!(
                "this miner serves subnet {} only, not {netuid}",
                self.netuid
            )));
        }
        Ok(())
    }

    /// Queues and runs one input (its JSON text); `busy` once shutdown has begun.
    async fn infer(&self, payload: Vec<u8>, caller: Caller) -> Result<Output, ServeError> {
        self.check_accepting()?;
        let answer = self
            .service
            .submit(payload, caller)
            .map_err(|e| ServeError::Busy(e.to_string()))?;
        let job = answer
            .await
            .map_err(|_| ServeError::Internal("the inference worker stopped".into()))?;
        job_output(job)
    }

    /// `busy` once shutdown has begun. The inference worker decodes and checks the payload
    /// with the subnet (off the async executor: tokenizing can take milliseconds).
    fn check_accepting(&self) -> Result<(), ServeError> {
        if !self.accepting.load(Ordering::SeqCst) {
            return Err(ServeError::Busy("the miner is shutting down".into()));
        }
        Ok(())
    }
}

/// Where an answer goes.
enum Respond {
    /// Back over the mesh.
    Mesh(Responder),
    /// To a task awaiting it ([`Server::answer`]).
    #[cfg(any(test, feature = "fault-injection"))]
    Channel(tokio::sync::oneshot::Sender<InferResponse>),
}

impl Respond {
    fn is_open(&self) -> bool {
        match self {
            Self::Mesh(responder) => responder.is_open(),
            #[cfg(any(test, feature = "fault-injection"))]
            Self::Channel(sender) => !sender.is_closed(),
        }
    }

    fn send(self, response: InferResponse) {
        match self {
            Self::Mesh(responder) => responder.respond(response),
            #[cfg(any(test, feature = "fault-injection"))]
            Self::Channel(sender) => {
                // The caller may have given up; nothing to do then.
                let _ = sender.send(response);
            }
        }
    }
}

/// A request's way back: signs its output if it carries terms, counts its outcome and
/// answers.
struct Answer {
    respond: Respond,
    metrics: Arc<Metrics>,
    engine: Arc<dyn SubnetEngine>,
    started: Instant,
    peer: PeerId,
    request_id: u64,
    /// The reserved challenge, for a request with terms; dropped unsigned on a failure, which
    /// releases it.
    ticket: Option<Ticket>,
}

impl Answer {
    fn finish(mut self, result: Result<Output, ServeError>) {
        let response = match (result, self.ticket.take()) {
            (Ok(output), Some(ticket)) => ticket.sign(&*self.engine, &output),
            (result, _) => result.and_then(encode),
        };
        count(&self.metrics, &response, self.started);
        let response = response.unwrap_or_else(|e| {
            let (peer, request_id) = (self.peer, self.request_id);
            tracing::debug!(%peer, request_id, code = ?e.code(), error = %e, "request refused");
            InferResponse::error(e.code(), e.to_string())
        });
        self.respond.send(response);
    }

    /// Re-sends an answer signed before, as it is.
    fn resend(self, response: InferResponse) {
        count::<()>(&self.metrics, &Ok(()), self.started);
        self.respond.send(response);
    }
}

impl ReplyTo for Answer {
    /// The link is open and the request has not timed out: someone reads the answer.
    fn wanted(&self) -> bool {
        self.respond.is_open()
    }

    fn send(self: Box<Self>, job: JobResult) {
        self.finish(job_output(job));
    }
}

/// A job's output, or why there is none.
fn job_output(job: JobResult) -> Result<Output, ServeError> {
    match job {
        Ok(output) => Ok(output),
        Err(JobError::Refused(e)) => Err(ServeError::Busy(e.to_string())),
        Err(JobError::Failed(failed)) if failed.bad_input => {
            Err(ServeError::InvalidInput(failed.message))
        }
        Err(JobError::Failed(failed)) => Err(ServeError::Internal(failed.message)),
    }
}

/// The answer: the output serialised straight to its JSON text (no tree).
fn encode(output: Output) -> Result<InferResponse, ServeError> {
    InferResponse::encode_ok(&output).map_err(|e| ServeError::Internal(e.to_string()))
}

fn count<T>(metrics: &Metrics, result: &Result<T, ServeError>, started: Instant) {
    let outcome = result
        .as_ref()
        .map_or_else(ServeError::outcome, |_| Outcome::Ok);
    metrics.answered(outcome, started.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorizer_combines_allow_list_and_validators() {
        let (a, b, c) = (PeerId::random(), PeerId::random(), PeerId::random());
        let auth = Authorizer::new([a]);
        assert!(auth.is_allowed(&a));
        assert!(!auth.is_allowed(&b));
        assert!(auth.set_validators([(b, 5)].into()));
        assert!(!auth.set_validators([(b, 5)].into()), "unchanged");
        assert_eq!(auth.caller(&b).weight, 5);
        assert_eq!(
            auth.caller(&a).weight,
            1,
            "allow-listed: no stake on record"
        );
        assert!(auth.is_allowed(&b));
        assert!(!auth.is_allowed(&c));
        assert_eq!(auth.validator_count(), 1);
        // The mesh's policy is the same one, updated with it.
        let admission = auth.admission();
        assert!(admission.admits(&a) && admission.admits(&b) && !admission.admits(&c));
        assert!(auth.set_validators([(c, 1)].into()));
        assert!(admission.admits(&c) && !admission.admits(&b));
    }

    #[tokio::test]
    async fn bytes_that_are_not_utf8_are_invalid_input_and_the_miner_keeps_serving() {
        let engine =
            mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
        let metrics = Arc::new(Metrics::new().unwrap());
        let limits = crate::service::ServiceLimits {
            workers: 1,
            max_batch: 4,
            max_wait: std::time::Duration::ZERO,
            queue_capacity: 4,
        };
        let service =
            Service::start(crate::service::Model::of(&engine), limits, metrics.clone()).unwrap();
        let sample = engine.challenge(0).unwrap().input;
        let good = engine.encode_input(&sample).unwrap();
        let bad = service
            .submit(b"{\"pixels\": [\xff\xfe]}".to_vec(), Caller::local())
            .unwrap();
        let fine = service.submit(good, Caller::local()).unwrap();
        match job_output(bad.await.unwrap()) {
            Err(ServeError::InvalidInput(message)) => {
                assert!(message.contains("UTF-8"), "{message}")
            }
            other => panic!("expected invalid input, got {other:?}"),
        }
        assert!(job_output(fine.await.unwrap()).is_ok());
        tokio::task::spawn_blocking(move || service.close_and_join())
            .await
            .unwrap();
    }
}
