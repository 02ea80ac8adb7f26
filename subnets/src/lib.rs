//! What MindOS subnets compute.
//!
//! A subnet is a task with one ONNX model, a wire format, a scoring rule and a robust
//! aggregation rule. Miners run the model; validators challenge miners with fresh inputs
//! ([`SubnetEngine::fresh_input`]), check the answers against their own run of the pinned
//! model ([`SubnetEngine::agrees`]), score them and aggregate the answers of `k` miners for
//! users.
//!
//! # Overview
//!
//! - [`Subnet`]: the typed trait one module per task implements: decode and validate
//!   input, run the model on a batch, score a response against a reference, aggregate.
//! - [`SubnetEngine`]: the object-safe face of a subnet. [`load`] looks a subnet up by its
//!   on-chain name and returns an `Arc<dyn SubnetEngine>` that takes and returns bytes
//!   (JSON) or the [`Input`]/[`Output`] enums.
//! - Subnets: [`text_embedding`] (all-MiniLM-L6-v2 int8, 384-d) and [`digits`] (8×8 digit
//!   classifier). Wire formats, scoring and aggregation are documented on each module and
//!   in `subnets/README.md`. Each is one module plus its line in the `subnets!` list below,
//!   the one place that names every subnet.
//! - [`Disagreement`]: why an answer is not the pinned model's (re-execution).
//! - [`model_digest`]: the BLAKE2b-256 the chain pins in `TaskSpec::model_digest`.
//!
//! ```no_run
//! # fn main() -> Result<(), mindos_subnets::SubnetError> {
//! use mindos_subnets::{load, EngineConfig};
//!
//! let engine = load("digits", &EngineConfig::default())?;
//! let request = engine.decode_input(br#"{"pixels": [0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]}"#)?;
//! let answer = engine.infer_batch(vec![request])?; // blocking: run on a blocking thread
//! let bytes = engine.encode_output(&answer[0])?; // {"label":0,"probabilities":[...]}
//! # let _ = bytes; Ok(()) }
//! ```
//!
//! # Assets and the runtime
//!
//! ONNX Runtime is loaded at run time from `libonnxruntime.so.1.31.1`
//! ([`EngineConfig::ort_dylib_path`], `$ORT_DYLIB_PATH`); the MiniLM model and tokenizer
//! are read from `$MINDOS_MODELS_DIR/text-embedding/`. `scripts/setup.sh` fetches both into
//! `~/.cache/mindos` (`scripts/fetch-models.sh`, pinned sha256) and `scripts/lib/env.sh`
//! exports the variables. A missing file is [`SubnetError::AssetMissing`], whose message
//! names `scripts/setup.sh`. The digits model is built into the crate.
//!
//! This crate owns the process's one ONNX Runtime environment (`ort` allows one).
//! Sessions need exclusive access to run, so each subnet keeps a small pool
//! ([`EngineConfig::sessions`], default 1) with [`EngineConfig::intra_threads`] threads
//! each (default 1).
//!
//! # Errors
//!
//! Everything fails with [`SubnetError`]; nothing panics on any input.
//! [`SubnetError::is_bad_input`] separates the caller's mistakes from local faults.

#[macro_use]
mod registry;

mod digest;
pub mod digits;
mod engine;
mod error;
mod fresh;
mod graph;
pub mod math;
mod runtime;
pub mod text_embedding;

use std::sync::Arc;

use mindos_primitives::TaskSpec;

pub use crate::{
    digest::{model_digest, to_hex},
    engine::{Aggregate, Challenge, PreparedInput, Subnet, SubnetEngine, SubnetInfo, Variant},
    error::SubnetError,
    fresh::Disagreement,
    runtime::{EngineConfig, CACHE_DIR_ENV, MODELS_DIR_ENV, ORT_DYLIB_ENV, ORT_VERSION},
};
pub use mindos_primitives::ModelDigest;

// The one list of subnets. Each line re-exports the subnet's type and gives it a variant in
// `Input`, `Output` and the prepared inputs, with the JSON keys that tell its values apart
// from the other subnets'; the list also makes `SUBNETS` and `load` (see `registry.rs`).
// Adding a subnet is its module (declared above, outside the macro, so that `cargo fmt`
// still reaches the file) plus one line here.
subnets! {
    TextEmbedding(text_embedding::TextEmbedding) { input_key: "text",   output_key: "embedding" },
    Digits(digits::Digits)                       { input_key: "pixels", output_key: "label" },
}

/// Loads the subnet for an on-chain subnet: requires the model file to have the chain's
/// `spec.model_digest`, and the spec's modality, scoring rule and schemas to match.
pub fn load_for_task(
    name: &str,
    spec: &TaskSpec,
    config: &EngineConfig,
) -> Result<Arc<dyn SubnetEngine>, SubnetError> {
    let config = EngineConfig {
        expected_digest: Some(spec.model_digest),
        ..config.clone()
    };
    let engine = load(name, &config)?;
    engine.check_task(spec)?;
    Ok(engine)
}
