//! Timings, not assertions: `cargo test -p mindos-subnets --release --test latency -- --ignored --nocapture`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::time::{Duration, Instant};

use mindos_subnets::{digits, load, model_digest, EngineConfig, Input, SubnetEngine};

fn time<T>(label: &str, runs: u32, mut f: impl FnMut() -> T) -> Duration {
    for _ in 0..runs.min(10) {
        f();
    }
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2];
    eprintln!(
        "{label}: median {median:?} (min {:?}, {runs} runs)",
        samples[0]
    );
    median
}

fn text(t: &str) -> Input {
    Input::TextEmbedding(mindos_subnets::text_embedding::TextInput { text: t.to_owned() })
}

#[test]
#[ignore = "timings only; run with --ignored --nocapture"]
fn latency() {
    let config = EngineConfig::default();
    let model = std::fs::read(config.models_dir().join("text-embedding/model.onnx")).unwrap();
    time("BLAKE2b-256 of MiniLM model.onnx (22.9 MB)", 5, || {
        model_digest(&model)
    });

    let start = Instant::now();
    let te = load("text-embedding", &config).unwrap();
    eprintln!("load text-embedding: {:?}", start.elapsed());
    let start = Instant::now();
    let dg = load("digits", &config).unwrap();
    eprintln!("load digits: {:?}", start.elapsed());

    let sentence = "A man is playing a guitar on stage.";
    time(
        "text-embedding batch 1 (decode + tokenize + run + pool)",
        200,
        || {
            let input = te
                .decode_input(br#"{"text": "A man is playing a guitar on stage."}"#)
                .unwrap();
            te.infer_batch(vec![input]).unwrap()
        },
    );
    time("text-embedding batch 1 (infer_batch only)", 200, || {
        te.infer_batch(vec![text(sentence)]).unwrap()
    });
    let batch: Vec<Input> = (0..te.validation_len().min(32))
        .map(|i| te.challenge(i).unwrap().input)
        .collect();
    let mut batch32 = batch.clone();
    while batch32.len() < 32 {
        batch32.extend(batch.iter().take(32 - batch32.len()).cloned());
    }
    let b32 = time("text-embedding batch 32", 20, || {
        te.infer_batch(batch32.clone()).unwrap()
    });
    eprintln!("  = {:?} per text", b32 / 32);

    let all: Vec<Input> = (0..dg.validation_len())
        .map(|i| dg.challenge(i).unwrap().input)
        .collect();
    let d360 = time("digits batch 360", 200, || {
        dg.infer_batch(all.clone()).unwrap()
    });
    eprintln!("  = {:?} per row", d360 / 360);
    time("digits batch 1", 1000, || {
        dg.infer_batch(vec![all[0].clone()]).unwrap()
    });
    let _ = digits::PIXELS;
    let _: &dyn SubnetEngine = &*te;
}
