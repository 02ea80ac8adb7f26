//! Sending one request to ranked candidates until one answers: failover, and hedging as an
//! option of the same loop, so there is one failover policy.
//!
//! [`request_with_policy`] keeps the attempts in flight in a `FuturesUnordered`. It starts
//! with the first candidate; when an attempt fails it sends to the next one; when
//! [`FailoverPolicy::hedge_after`] passes with no answer it sends to the next one once more
//! without cancelling the first, and the first useful answer wins. A [`Judge`] says what a
//! useful answer is, and may make each peer its own request ([`Judge::request_for`]); every
//! attempt's timeout is capped by the policy's deadline.

use std::{future::Future, time::Duration};

use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};
use libp2p::PeerId;
use tokio::time::Instant;

use crate::{
    wire::{ErrorCode, InferRequest, InferResponse},
    MeshClient, MeshError,
};

/// Something that can carry an [`InferRequest`] to a peer: the [`MeshClient`], or a fake in
/// tests. [`request_with_policy`] is written against it.
pub trait InferTransport: Sync {
    /// Sends `request` to `peer` and waits at most `timeout` for the answer.
    fn send(
        &self,
        peer: PeerId,
        request: InferRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<InferResponse, MeshError>> + Send;
}

impl InferTransport for MeshClient {
    fn send(
        &self,
        peer: PeerId,
        request: InferRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<InferResponse, MeshError>> + Send {
        self.request(peer, request, timeout)
    }
}

/// Why one attempt did not count as served.
#[derive(Debug)]
#[non_exhaustive]
pub enum AttemptError {
    /// No answer: timeout, unreachable peer, broken stream, …
    Mesh(MeshError),
    /// The peer answered with an error code the judge retries elsewhere (with
    /// [`DefaultJudge`]: a retryable one, such as busy or internal).
    Refused {
        /// The code.
        code: ErrorCode,
        /// The peer's message.
        message: String,
    },
    /// The peer answered, but the judge could not use the answer (it does not decode, …).
    Unusable {
        /// What is wrong with it.
        reason: String,
    },
}

/// One failed attempt.
#[derive(Debug)]
pub struct FailedAttempt {
    /// The peer tried.
    pub peer: PeerId,
    /// What went wrong.
    pub error: AttemptError,
}

/// The outcome of [`request_with_policy`] when some peer answered.
#[derive(Debug)]
pub struct Served<R = InferResponse> {
    /// The peer whose answer this is.
    pub peer: PeerId,
    /// Its answer as the judge made it. With [`DefaultJudge`] that is the peer's response: a
    /// payload, or an error that retrying elsewhere would not fix
    /// ([`ErrorCode::is_retryable`] is false).
    pub response: R,
    /// From sending to this peer until its answer arrived (tokio's clock).
    pub latency: Duration,
    /// The attempts that failed before, in the order their failures arrived (feed them to
    /// scoring).
    pub failed: Vec<FailedAttempt>,
}

/// Why [`request_with_policy`] produced no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FailoverError {
    /// The candidate list was empty.
    #[error("no candidate peers")]
    NoCandidates,
    /// Every candidate failed.
    #[error("all {} candidates failed", attempts.len())]
    Exhausted {
        /// Every attempt, in order.
        attempts: Vec<FailedAttempt>,
    },
    /// A failure that no other peer would avoid (the request is too large, the mesh is shut
    /// down); the remaining candidates were not tried.
    #[error("request failed at {peer}: {error}")]
    Fatal {
        /// The peer being tried.
        peer: PeerId,
        /// The error.
        error: MeshError,
        /// Earlier failed attempts.
        attempts: Vec<FailedAttempt>,
    },
    /// [`FailoverPolicy::deadline`] passed before any peer answered; attempts still in
    /// flight were dropped.
    #[error("no answer before the deadline ({} attempts failed)", attempts.len())]
    Deadline {
        /// The attempts that failed before the deadline, in order.
        attempts: Vec<FailedAttempt>,
    },
}

impl FailoverError {
    /// Whether the request ran out of time: the deadline passed, or the candidates ran out
    /// and at least one of them had timed out (with more time it might have answered).
    pub fn timed_out(&self) -> bool {
        match self {
            Self::Deadline { .. } => true,
            Self::Exhausted { attempts } => attempts
                .iter()
                .any(|a| matches!(a.error, AttemptError::Mesh(MeshError::Timeout))),
            Self::NoCandidates | Self::Fatal { .. } => false,
        }
    }
}

/// Why an attempt was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryKind {
    /// The first candidate.
    Primary,
    /// The next candidate, because the attempts in flight were slow.
    Hedge,
    /// The next candidate, because an attempt failed.
    Failover,
}

impl TryKind {
    /// `primary`, `hedge` or `failover` (a metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Hedge => "hedge",
            Self::Failover => "failover",
        }
    }
}

/// What a [`Judge`] makes of one answer.
#[derive(Debug)]
pub enum Verdict<O> {
    /// A useful answer: [`request_with_policy`] returns it.
    Served(O),
    /// Try the next candidate.
    FailOver(AttemptError),
    /// No other peer would do better: stop with [`FailoverError::Fatal`].
    Stop(MeshError),
}

/// The caller's side of [`request_with_policy`]: what each peer is sent, what counts as an
/// answer, and what to note as attempts go out and come back (metrics, peer health). Called on
/// the request's task, as each event happens.
pub trait Judge {
    /// What a served answer becomes.
    type Output;

    /// The request to send `peer`, about to be sent for the reason `kind`: by default
    /// `request` itself. A caller whose request names the peer it goes to makes it here (a
    /// validator puts the miner's uid and hotkey in the
    /// [`ChallengeTerms`](crate::wire::ChallengeTerms) and draws a fresh request id for every
    /// send); [`Judge::judge`] is handed back what this returned with the peer's answer.
    fn request_for(&mut self, peer: PeerId, kind: TryKind, request: &InferRequest) -> InferRequest {
        let _ = (peer, kind);
        request.clone()
    }

    /// `peer` is being sent the request, for the reason `kind`.
    fn sent(&mut self, peer: PeerId, kind: TryKind) {
        let _ = (peer, kind);
    }

    /// Judges `peer`'s `answer` to `request` (as [`Judge::request_for`] made it), which came
    /// `latency` after sending.
    fn judge(
        &mut self,
        peer: PeerId,
        latency: Duration,
        request: &InferRequest,
        answer: Result<InferResponse, MeshError>,
    ) -> Verdict<Self::Output>;
}

/// The judgement of [`request_with_failover`]: any response is served unless its error code
/// is retryable ([`ErrorCode::is_retryable`]); a retryable [`MeshError`]
/// ([`MeshError::is_retryable`]) fails over, any other stops.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultJudge;

impl Judge for DefaultJudge {
    type Output = InferResponse;

    fn judge(
        &mut self,
        peer: PeerId,
        _latency: Duration,
        _request: &InferRequest,
        answer: Result<InferResponse, MeshError>,
    ) -> Verdict<InferResponse> {
        match answer {
            Ok(InferResponse::Err { code, message }) if code.is_retryable() => {
                tracing::debug!(%peer, ?code, %message, "peer refused; failing over");
                Verdict::FailOver(AttemptError::Refused { code, message })
            }
            Ok(response) => Verdict::Served(response),
            Err(error) if error.is_retryable() => {
                tracing::debug!(%peer, %error, "request failed; failing over");
                Verdict::FailOver(AttemptError::Mesh(error))
            }
            Err(error) => Verdict::Stop(error),
        }
    }
}

/// How [`request_with_policy`] spends time on candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailoverPolicy {
    /// Longest wait for one attempt (shortened to what is left before the deadline).
    pub per_try_timeout: Duration,
    /// When to give up on every attempt ([`FailoverError::Deadline`]); `None`: only the
    /// per-try timeouts bound the request.
    pub deadline: Option<Instant>,
    /// Send to the next candidate as well, once, if no answer has come this long after the
    /// start; `None`: one attempt at a time.
    pub hedge_after: Option<Duration>,
}

impl FailoverPolicy {
    /// One attempt at a time, each waiting at most `per_try_timeout`; no deadline, no hedging.
    pub fn sequential(per_try_timeout: Duration) -> Self {
        Self {
            per_try_timeout,
            deadline: None,
            hedge_after: None,
        }
    }

    /// The same, giving up at `deadline`.
    pub fn with_deadline(self, deadline: Instant) -> Self {
        Self {
            deadline: Some(deadline),
            ..self
        }
    }

    /// The same, hedging to the next candidate after `delay` without an answer.
    pub fn with_hedge_after(self, delay: Duration) -> Self {
        Self {
            hedge_after: Some(delay),
            ..self
        }
    }

    /// The timeout of an attempt sent at `now`.
    fn try_timeout(&self, now: Instant) -> Duration {
        match self.deadline {
            Some(deadline) => self
                .per_try_timeout
                .min(deadline.saturating_duration_since(now)),
            None => self.per_try_timeout,
        }
    }
}

/// An attempt's peer, when it was first polled, the request it was sent and its answer.
type Attempt = (
    PeerId,
    Instant,
    InferRequest,
    Result<InferResponse, MeshError>,
);

fn attempt<'a, T: InferTransport + ?Sized>(
    transport: &'a T,
    peer: PeerId,
    request: InferRequest,
    timeout: Duration,
) -> BoxFuture<'a, Attempt> {
    let answer = transport.send(peer, request.clone(), timeout);
    async move {
        // tokio's clock, so tests with paused time measure latency as the runtime sees it.
        let started = Instant::now();
        let answer = answer.await;
        (peer, started, request, answer)
    }
    .boxed()
}

/// Sends `request` to `candidates`, best first, as `policy` says, and returns the first
/// answer `judge` serves; see the [module docs](super).
///
/// Candidates are drawn from the iterator only when needed (first, hedge, failover), so
/// several requests may share one pool of spares through it. The attempts that failed are
/// in [`Served::failed`] or in the error. Pass candidates ranked by [`Router::select`] or
/// [`Router::rank`].
///
/// [`Router::select`]: super::Router::select
/// [`Router::rank`]: super::Router::rank
pub async fn request_with_policy<T, J>(
    transport: &T,
    candidates: impl IntoIterator<Item = PeerId>,
    request: &InferRequest,
    policy: FailoverPolicy,
    mut judge: J,
) -> Result<Served<J::Output>, FailoverError>
where
    T: InferTransport + ?Sized,
    J: Judge,
{
    let mut candidates = candidates.into_iter();
    let launch = |peer: PeerId, kind: TryKind, judge: &mut J| {
        let request = judge.request_for(peer, kind, request);
        judge.sent(peer, kind);
        attempt(transport, peer, request, policy.try_timeout(Instant::now()))
    };
    let Some(first) = candidates.next() else {
        return Err(FailoverError::NoCandidates);
    };
    let mut inflight: FuturesUnordered<BoxFuture<'_, Attempt>> = FuturesUnordered::new();
    inflight.push(launch(first, TryKind::Primary, &mut judge));
    // Disabled branches still need a timer; a hedge or deadline that is not set never fires.
    let mut hedged = policy.hedge_after.is_none();
    let hedge = tokio::time::sleep(policy.hedge_after.unwrap_or_default());
    tokio::pin!(hedge);
    let expiry = tokio::time::sleep_until(policy.deadline.unwrap_or_else(Instant::now));
    tokio::pin!(expiry);
    let mut failed = Vec::new();
    loop {
        tokio::select! {
            next = inflight.next() => {
                let Some((peer, started, sent, answer)) = next else {
                    return Err(FailoverError::Exhausted { attempts: failed });
                };
                let latency = started.elapsed();
                match judge.judge(peer, latency, &sent, answer) {
                    Verdict::Served(response) => {
                        return Ok(Served {
                            peer,
                            response,
                            latency,
                            failed,
                        })
                    }
                    Verdict::FailOver(error) => {
                        failed.push(FailedAttempt { peer, error });
                        if let Some(next) = candidates.next() {
                            inflight.push(launch(next, TryKind::Failover, &mut judge));
                        } else if inflight.is_empty() {
                            return Err(FailoverError::Exhausted { attempts: failed });
                        }
                    }
                    Verdict::Stop(error) => {
                        return Err(FailoverError::Fatal {
                            peer,
                            error,
                            attempts: failed,
                        })
                    }
                }
            }
            () = &mut hedge, if !hedged => {
                hedged = true;
                if let Some(next) = candidates.next() {
                    inflight.push(launch(next, TryKind::Hedge, &mut judge));
                }
            }
            () = &mut expiry, if policy.deadline.is_some() => {
                return Err(FailoverError::Deadline { attempts: failed });
            }
        }
    }
}

/// Sends `request` to `candidates` in order, moving to the next one on a transport error,
/// a timeout (`per_try_timeout` each) or a retryable error code, and reports who served:
/// [`request_with_policy`] with [`FailoverPolicy::sequential`] and [`DefaultJudge`].
///
/// Pass candidates ranked by [`Router::select`] or [`Router::rank`].
///
/// [`Router::select`]: super::Router::select
/// [`Router::rank`]: super::Router::rank
pub async fn request_with_failover<T: InferTransport + ?Sized>(
    transport: &T,
    candidates: &[PeerId],
    request: &InferRequest,
    per_try_timeout: Duration,
) -> Result<Served, FailoverError> {
    request_with_policy(
        transport,
        candidates.iter().copied(),
        request,
        FailoverPolicy::sequential(per_try_timeout),
        DefaultJudge,
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex},
    };

    use super::*;
    use crate::NetUid;

    fn peer(n: u8) -> PeerId {
        crate::keys::keypair_from_secret([n; 32])
            .unwrap()
            .public()
            .to_peer_id()
    }

    /// A scripted answer: a response, or a maker of the error.
    type Script = Result<InferResponse, fn() -> MeshError>;

    /// A transport that answers from a script and records who was asked.
    struct Scripted {
        answers: HashMap<PeerId, Script>,
        asked: Arc<Mutex<Vec<PeerId>>>,
    }

    impl InferTransport for Scripted {
        fn send(
            &self,
            peer: PeerId,
            _request: InferRequest,
            _timeout: Duration,
        ) -> impl Future<Output = Result<InferResponse, MeshError>> + Send {
            self.asked.lock().unwrap().push(peer);
            let answer = match self.answers.get(&peer) {
                Some(Ok(r)) => Ok(r.clone()),
                Some(Err(make)) => Err(make()),
                None => Err(MeshError::Unreachable(peer)),
            };
            async move { answer }
        }
    }

    fn request() -> InferRequest {
        InferRequest::encode(NetUid(1), 1, &serde_json::json!(null)).unwrap()
    }

    #[tokio::test]
    async fn failover_skips_failures_and_reports_the_server() {
        let (a, b, c) = (peer(1), peer(2), peer(3));
        let ok = InferResponse::encode_ok(&serde_json::json!("done")).unwrap();
        let t = Scripted {
            answers: HashMap::from([
                (a, Err((|| MeshError::Timeout) as fn() -> MeshError)),
                (b, Ok(InferResponse::error(ErrorCode::Busy, "hot"))),
                (c, Ok(ok.clone())),
            ]),
            asked: Arc::default(),
        };
        let served = request_with_failover(&t, &[a, b, c], &request(), Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(served.peer, c);
        assert_eq!(served.response, ok);
        assert_eq!(served.failed.len(), 2);
        assert!(matches!(
            served.failed[1].error,
            AttemptError::Refused {
                code: ErrorCode::Busy,
                ..
            }
        ));
    }

    /// Answers `busy` to every peer but the last, recording every request it carries.
    struct Recording {
        last: PeerId,
        carried: Mutex<Vec<(PeerId, InferRequest)>>,
    }

    impl InferTransport for Recording {
        fn send(
            &self,
            peer: PeerId,
            request: InferRequest,
            _timeout: Duration,
        ) -> impl Future<Output = Result<InferResponse, MeshError>> + Send {
            self.carried.lock().unwrap().push((peer, request));
            let answer = if peer == self.last {
                InferResponse::encode_ok(&serde_json::json!("done")).unwrap()
            } else {
                InferResponse::error(ErrorCode::Busy, "hot")
            };
            async move { Ok(answer) }
        }
    }

    /// Gives each peer its own request id (100, 101, … in the order they are sent) and notes
    /// the id it is handed back with each answer.
    struct PerPeer<'a> {
        made: &'a Mutex<Vec<(PeerId, TryKind, u64)>>,
        judged: &'a Mutex<Vec<(PeerId, u64)>>,
    }

    impl Judge for PerPeer<'_> {
        type Output = InferResponse;

        fn request_for(
            &mut self,
            peer: PeerId,
            kind: TryKind,
            request: &InferRequest,
        ) -> InferRequest {
            let mut made = self.made.lock().unwrap();
            let mut own = request.clone();
            own.request_id = 100 + made.len() as u64;
            made.push((peer, kind, own.request_id));
            own
        }

        fn judge(
            &mut self,
            peer: PeerId,
            latency: Duration,
            request: &InferRequest,
            answer: Result<InferResponse, MeshError>,
        ) -> Verdict<InferResponse> {
            self.judged.lock().unwrap().push((peer, request.request_id));
            DefaultJudge.judge(peer, latency, request, answer)
        }
    }

    #[tokio::test]
    async fn each_peer_gets_the_request_its_judge_made_and_the_judge_gets_it_back() {
        let (a, b, c) = (peer(1), peer(2), peer(3));
        let t = Recording {
            last: c,
            carried: Mutex::default(),
        };
        let (made, judged) = (Mutex::default(), Mutex::default());
        let judge = PerPeer {
            made: &made,
            judged: &judged,
        };
        let policy = FailoverPolicy::sequential(Duration::from_secs(1));
        let served = request_with_policy(&t, [a, b, c], &request(), policy, judge)
            .await
            .unwrap();
        assert_eq!(served.peer, c);
        let carried: Vec<(PeerId, u64)> = t
            .carried
            .lock()
            .unwrap()
            .iter()
            .map(|(p, r)| (*p, r.request_id))
            .collect();
        assert_eq!(carried, vec![(a, 100), (b, 101), (c, 102)]);
        assert_eq!(*judged.lock().unwrap(), carried);
        assert_eq!(
            *made.lock().unwrap(),
            vec![
                (a, TryKind::Primary, 100),
                (b, TryKind::Failover, 101),
                (c, TryKind::Failover, 102)
            ]
        );
    }

    #[tokio::test]
    async fn failover_stops_on_non_retryable_outcomes() {
        let (a, b) = (peer(1), peer(2));
        let invalid = InferResponse::error(ErrorCode::InvalidInput, "bad");
        let t = Scripted {
            answers: HashMap::from([(a, Ok(invalid.clone())), (b, Ok(invalid.clone()))]),
            asked: Arc::default(),
        };
        let served = request_with_failover(&t, &[a, b], &request(), Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!((served.peer, served.response), (a, invalid));
        assert_eq!(*t.asked.lock().unwrap(), vec![a]);

        let t = Scripted {
            answers: HashMap::from([(
                a,
                Err((|| MeshError::RequestTooLarge { size: 9, limit: 1 }) as fn() -> MeshError),
            )]),
            asked: Arc::default(),
        };
        let err = request_with_failover(&t, &[a, b], &request(), Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, FailoverError::Fatal { peer, .. } if peer == a));

        let t = Scripted {
            answers: HashMap::new(),
            asked: Arc::default(),
        };
        let err = request_with_failover(&t, &[a, b], &request(), Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, FailoverError::Exhausted { attempts } if attempts.len() == 2));
        assert!(matches!(
            request_with_failover(&t, &[], &request(), Duration::from_secs(1)).await,
            Err(FailoverError::NoCandidates)
        ));
    }
}
