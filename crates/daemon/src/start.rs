//! What can stop a binary from starting, whichever binary it is ([`StartError`]), and the
//! pieces of start-up both binaries run the same way ([`blocking`]).
//!
//! Each binary wraps [`StartError`] in its own error beside the failures only it has (a model
//! that does not match the chain, a hotkey that is not registered). The chain client, the
//! mesh and the key files are libraries that depend on this crate, so their errors are held
//! as boxed sources here; [`start_error_from!`](crate::start_error_from) writes the `From`
//! conversions that let `?` use them.

use std::net::SocketAddr;

use crate::config::ConfigError;

/// A boxed error from a library this crate cannot name.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a binary could not start: failures both binaries share.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A setting is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A hotkey, coldkey or node key file.
    #[error(transparent)]
    Key(BoxError),
    /// Talking to the chain failed.
    #[error("chain: {0}")]
    Chain(#[source] BoxError),
    /// The mesh failed.
    #[error("mesh: {0}")]
    Mesh(#[source] BoxError),
    /// A local endpoint could not bind its address.
    #[error("cannot listen for {what} on {addr}: {source}")]
    Bind {
        /// Which endpoint.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Metrics could not be set up.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// Starting or running a worker thread or task failed.
    #[error("{what}: {source}")]
    Runtime {
        /// What was being done.
        what: &'static str,
        /// The error (a panicked or cancelled task, a failed thread spawn).
        #[source]
        source: BoxError,
    },
}

impl StartError {
    /// An invalid setting.
    pub fn config(e: ConfigError) -> Self {
        Self::Config(e)
    }

    /// A failure setting up metrics.
    pub fn metrics(e: prometheus::Error) -> Self {
        Self::Metrics(e)
    }

    /// A key file failure.
    pub fn key(e: impl Into<BoxError>) -> Self {
        Self::Key(e.into())
    }

    /// A chain failure.
    pub fn chain(e: impl Into<BoxError>) -> Self {
        Self::Chain(e.into())
    }

    /// A mesh failure.
    pub fn mesh(e: impl Into<BoxError>) -> Self {
        Self::Mesh(e.into())
    }

    /// A failure while `what` was being done on a worker thread or task.
    pub fn runtime(what: &'static str, e: impl Into<BoxError>) -> Self {
        Self::Runtime {
            what,
            source: e.into(),
        }
    }
}

/// `From` conversions into a binary's error (which wraps [`StartError`] with
/// `#[from]`) for the library errors [`StartError`] holds boxed, so `?` works on them:
///
/// ```text
/// mindos_daemon::start_error_from!(MinerError { KeyError => key, ChainError => chain, MeshError => mesh });
/// ```
#[macro_export]
macro_rules! start_error_from {
    ($target:ty { $($source:ty => $constructor:ident),* $(,)? }) => {
        $(
            impl From<$source> for $target {
                fn from(e: $source) -> Self {
                    Self::from($crate::start::StartError::$constructor(e))
                }
            }
        )*
    };
}

/// Runs blocking `work` (file reads, hashing, model set-up) off the executor; its result, or
/// a [`StartError::Runtime`] naming `what` if it panicked.
pub async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StartError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StartError::runtime(what, e))
}

/// The tasks a binary runs until shutdown, in one tracker with one cancellation token.
#[derive(Clone, Debug, Default)]
pub struct Tasks {
    tracker: tokio_util::task::TaskTracker,
    cancel: tokio_util::sync::CancellationToken,
}

impl Tasks {
    /// No tasks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token that fires when shutdown starts; tasks spawned with [`Tasks::spawn`] watch it.
    pub fn cancel_token(&self) -> tokio_util::sync::CancellationToken {
        self.cancel.clone()
    }

    /// Spawns `task`, which watches [`Tasks::cancel_token`] and returns soon after it fires.
    pub fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tracker.spawn(task);
    }

    /// Spawns `task`, dropped where it stands when shutdown starts: work in flight (a
    /// transaction awaiting finalization) is abandoned rather than waited for.
    pub fn spawn_abandoned_at_shutdown(
        &self,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = task => {}
            }
        });
    }

    /// Serves `registry` at `addr` (when metrics are on) until shutdown; returns where.
    pub async fn serve_metrics(
        &self,
        addr: Option<SocketAddr>,
        registry: prometheus::Registry,
    ) -> Result<Option<SocketAddr>, StartError> {
        let Some(addr) = addr else {
            return Ok(None);
        };
        let (bound, task) = crate::metrics::start(addr, registry, self.cancel_token())
            .await
            .map_err(|source| StartError::Bind {
                what: "metrics",
                addr,
                source,
            })?;
        self.spawn(async move {
            let _ = task.await;
        });
        Ok(Some(bound))
    }

    /// Fires the token and waits for every task to return.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

/// A task that runs until [`StoppableTask::stop`] or until it is dropped (so an error
/// return during start-up stops it too): the mesh's event loop, which must outlive the
/// tasks that use the mesh.
#[derive(Debug)]
pub struct StoppableTask {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl StoppableTask {
    /// Spawns `run(stopped)`, where `stopped` completes on [`StoppableTask::stop`] or drop.
    pub fn spawn<F, Fut>(run: F) -> Self
    where
        F: FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(run(Box::pin(async move {
            let _ = stopped.await;
        })));
        Self { stop, task }
    }

    /// Tells the task to stop and waits until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
