//! ONNX Runtime: the process's one environment, asset locations and session pools.

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex, MutexGuard, PoisonError,
    },
};

use mindos_primitives::ModelDigest;
use ort::{
    environment::Environment,
    ep,
    session::{builder::GraphOptimizationLevel, Session},
};

use crate::SubnetError;

/// Environment variable naming the ONNX Runtime shared library (`libonnxruntime.so.1.31.1`).
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";
/// Environment variable naming the directory with one folder per subnet model.
pub const MODELS_DIR_ENV: &str = "MINDOS_MODELS_DIR";
/// Environment variable naming the cache `scripts/fetch-models.sh` fills.
pub const CACHE_DIR_ENV: &str = "MINDOS_CACHE_DIR";
/// The ONNX Runtime version this crate is built and tested against.
pub const ORT_VERSION: &str = "1.31.1";

/// How to load a subnet. `Default` reads the environment and uses one session with one
/// intra-op thread.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// The ONNX Runtime library. `None`: `$ORT_DYLIB_PATH`, else the cache
    /// (`$MINDOS_CACHE_DIR` or `~/.cache/mindos`)`/onnxruntime-1.31.1/libonnxruntime.so.1.31.1`.
    /// Only the first successful load in a process counts; later paths are ignored.
    pub ort_dylib_path: Option<PathBuf>,
    /// Directory with one folder per subnet (`text-embedding/model.onnx`, ...). `None`:
    /// `$MINDOS_MODELS_DIR`, else the cache's `models/`.
    pub models_dir: Option<PathBuf>,
    /// A model file to load instead of the subnet's default one (the digits model is
    /// built into the crate; this overrides it too).
    pub model_path: Option<PathBuf>,
    /// A `tokenizer.json` to load instead of the one in the models directory (text subnets;
    /// digits has no tokenizer). Its digest must still be the pinned one.
    pub tokenizer_path: Option<PathBuf>,
    /// The digest the model file must have, e.g. the chain's `TaskSpec::model_digest`.
    /// `None`: the digest this crate pins for the subnet.
    pub expected_digest: Option<ModelDigest>,
    /// Threads ONNX Runtime may use inside one operator (at least 1).
    pub intra_threads: usize,
    /// Sessions kept per subnet, i.e. batches that can run at the same time (at least 1).
    pub sessions: usize,
    /// Largest batch `infer_batch` accepts. `None`: the subnet's default.
    pub max_batch: Option<usize>,
    /// Lower resident memory under load: ONNX Runtime's memory patterns off, so activations
    /// are freed as each run goes instead of kept as one block per input shape seen. The
    /// outputs are the same.
    pub low_memory: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            ort_dylib_path: None,
            models_dir: None,
            model_path: None,
            tokenizer_path: None,
            expected_digest: None,
            intra_threads: 1,
            sessions: 1,
            max_batch: None,
            low_memory: false,
        }
    }
}

impl EngineConfig {
    /// The ONNX Runtime library this configuration points at.
    pub fn ort_dylib_path(&self) -> PathBuf {
        self.ort_dylib_path.clone().unwrap_or_else(|| {
            env_path(ORT_DYLIB_ENV).unwrap_or_else(|| {
                cache_dir()
                    .join(format!("onnxruntime-{ORT_VERSION}"))
                    .join(format!("libonnxruntime.so.{ORT_VERSION}"))
            })
        })
    }

    /// The models directory this configuration points at.
    pub fn models_dir(&self) -> PathBuf {
        self.models_dir.clone().unwrap_or_else(|| {
            env_path(MODELS_DIR_ENV).unwrap_or_else(|| cache_dir().join("models"))
        })
    }
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn cache_dir() -> PathBuf {
    env_path(CACHE_DIR_ENV).unwrap_or_else(|| {
        env_path("HOME")
            .unwrap_or_else(|| PathBuf::from("/"))
            .join(".cache")
            .join("mindos")
    })
}

/// Reads an asset, reporting a missing file as [`SubnetError::AssetMissing`].
pub(crate) fn read_asset(
    what: &'static str,
    path: &Path,
    env: &'static str,
) -> Result<Vec<u8>, SubnetError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SubnetError::AssetMissing {
            what,
            path: path.to_path_buf(),
            env,
        }),
        Err(source) => Err(SubnetError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

static ENVIRONMENT: Mutex<Option<Environment>> = Mutex::new(None);

/// The process's ONNX Runtime environment, created on first use from the library
/// `config` names. `ort` allows one environment per process and this crate owns it;
/// other code in the process must create sessions through this crate.
pub(crate) fn environment(config: &EngineConfig) -> Result<Environment, SubnetError> {
    let mut slot = ENVIRONMENT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(env) = slot.as_ref() {
        return Ok(env.clone());
    }
    let path = config.ort_dylib_path();
    if !path.is_file() {
        return Err(SubnetError::AssetMissing {
            what: "ONNX Runtime library",
            path,
            env: ORT_DYLIB_ENV,
        });
    }
    // ort resolves a relative path against the executable and panics if it cannot find
    // it; an absolute path avoids that branch.
    let path = std::path::absolute(&path).map_err(|source| SubnetError::Io {
        path: path.clone(),
        source,
    })?;
    let builder = ort::init_from(&path).map_err(|e| SubnetError::RuntimeLoad {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let env = builder
        .with_name("mindos")
        .with_telemetry(false)
        .build()
        .map_err(|e| SubnetError::ort("creating the environment", e))?;
    *slot = Some(env.clone());
    Ok(env)
}

fn build_session(env: &Environment, model: &[u8], config: &EngineConfig) -> ort::Result<Session> {
    Session::builder(env)?
        .with_optimization_level(GraphOptimizationLevel::All)?
        .with_intra_threads(config.intra_threads.max(1))?
        // Memory patterns: for each input shape seen, ONNX Runtime plans the activations as
        // one block and keeps the plan and its block for the next run of that shape. Off, each
        // activation is allocated and freed as it goes: 20 MiB less at the peak of MiniLM
        // batches of 16, at no speed cost we could measure (`miner/benches/footprint.rs`).
        // Weight prepacking off was measured too and is not used: more memory after the same
        // runs (+18 MiB at batches of 16), 2.3x slower at batch 1.
        .with_memory_pattern(!config.low_memory)?
        // ONNX Runtime's CPU arena keeps every block it ever grew to, so one large batch
        // (64 texts of 128 tokens: +787 MiB on MiniLM) stays resident for the life of the
        // process. Without it activations go back to malloc after each run, at no
        // measurable cost in latency (`subnets/examples/session_memory.rs`).
        .with_execution_providers([ep::CPU::default().with_arena_allocator(false).build()])?
        .commit_from_memory(model)
}

/// Returns the heap pages freed after loading to the operating system.
///
/// Building a session copies and rewrites the graph (MiniLM's int8 weights are folded into
/// float32 ones); the copies are freed but glibc keeps the pages (about 60 MiB for MiniLM)
/// until asked. Elsewhere this is a no-op.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only hands free pages of glibc's heaps back to the kernel; it
    // does not touch allocated memory and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A few sessions of one model. `Session::run` needs `&mut`, so each sits behind a
/// mutex; `get` prefers an idle one and otherwise waits on the next in turn.
pub(crate) struct SessionPool {
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
}

impl SessionPool {
    /// Sessions of `model` (whose digest the caller has checked). Takes the bytes so that
    /// they are freed as soon as ONNX Runtime no longer needs them.
    pub(crate) fn new(model: Vec<u8>, config: &EngineConfig) -> Result<Self, SubnetError> {
        let env = environment(config)?;
        let build = |model: &[u8]| {
            (0..config.sessions.max(1))
                .map(|_| build_session(&env, model, config).map(Mutex::new))
                .collect::<ort::Result<Vec<_>>>()
        };
        // ONNX Runtime gets an equivalent graph that needs less memory when there is one;
        // should it refuse that graph, the file as it is still serves.
        let sessions = match crate::graph::gather_before_dequantize(&model) {
            Some(rewritten) => build(&rewritten).or_else(|_| build(&model)),
            None => build(&model),
        }
        .map_err(|e| SubnetError::ort("loading the model", e))?;
        drop(model);
        release_free_memory();
        Ok(Self {
            sessions,
            next: AtomicUsize::new(0),
        })
    }

    /// Exclusive use of one session until the guard drops.
    pub(crate) fn get(&self) -> Result<MutexGuard<'_, Session>, SubnetError> {
        let len = self.sessions.len();
        let start = self
            .next
            .fetch_add(1, Ordering::Relaxed)
            .checked_rem(len)
            .unwrap_or(0);
        for offset in 0..len {
            let i = start.wrapping_add(offset).checked_rem(len).unwrap_or(0);
            if let Some(Ok(guard)) = self.sessions.get(i).map(Mutex::try_lock) {
                return Ok(guard);
            }
        }
        // All busy: wait for the one in turn. A poisoned mutex only means another thread
        // panicked mid-run; the session itself holds no Rust state to corrupt.
        self.sessions
            .get(start)
            .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner))
            .ok_or(SubnetError::Ort {
                context: "session pool",
                message: "no sessions".to_owned(),
            })
    }
}
