//! The low-memory profile (`EngineConfig::low_memory`) changes how ONNX Runtime holds its
//! buffers, not what the model computes: a low-memory engine answers every validation input
//! exactly as the default one does, one at a time and in batches.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use mindos_subnets::{load, EngineConfig, Input, Output, SubnetEngine};

fn engines(
    subnet: &str,
) -> (
    std::sync::Arc<dyn SubnetEngine>,
    std::sync::Arc<dyn SubnetEngine>,
) {
    let default = load(subnet, &EngineConfig::default()).unwrap();
    let mut config = EngineConfig::default();
    config.low_memory = true;
    let low = load(subnet, &config).unwrap();
    (default, low)
}

fn inputs(engine: &dyn SubnetEngine) -> Vec<Input> {
    (0..engine.validation_len())
        .filter_map(|i| engine.challenge(i).map(|c| c.input))
        .collect()
}

/// Outputs one input at a time, then in batches of `batch`.
fn outputs(engine: &dyn SubnetEngine, inputs: &[Input], batch: usize) -> Vec<Vec<Output>> {
    let single = inputs
        .iter()
        .flat_map(|i| engine.infer_batch(vec![i.clone()]).unwrap())
        .collect();
    let batched = inputs
        .chunks(batch)
        .flat_map(|c| engine.infer_batch(c.to_vec()).unwrap())
        .collect();
    vec![single, batched]
}

fn assert_same_answers(subnet: &str, batch: usize) {
    let (default, low) = engines(subnet);
    let inputs = inputs(default.as_ref());
    assert!(!inputs.is_empty(), "{subnet} has validation inputs");
    assert_eq!(
        outputs(low.as_ref(), &inputs, batch),
        outputs(default.as_ref(), &inputs, batch),
        "{subnet}: the low-memory engine answered differently"
    );
}

#[test]
fn low_memory_digits_answer_the_same_labels() {
    assert_same_answers("digits", 16);
}

#[test]
fn low_memory_embeddings_are_the_same_to_the_last_bit() {
    assert_same_answers("text-embedding", 8);
}
