//! Resident memory and speed of one MiniLM session under ONNX Runtime's session options —
//! how `mindos-subnets` chose its own (`src/runtime.rs`). Prints the process's RSS after
//! loading the library, after building the session (and returning glibc's free pages, as
//! the crate does) and after runs of growing batches.
//!
//!   cargo run --release -p mindos-subnets --example session_memory -- [OPT] [ARENA] [MEMPAT]
//!
//! OPT: `disable`, `basic`, `extended` or `all` (default); ARENA (the CPU arena) and
//! MEMPAT (memory patterns): `1` (ONNX Runtime's default) or `0`. The model is the file as
//! fetched, without the crate's embedding rewrite (`src/graph.rs`), so only the options
//! differ between runs. Needs `scripts/setup.sh`'s library and models.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use mindos_subnets::EngineConfig;
use ndarray::Array2;
use ort::{
    ep,
    session::{builder::GraphOptimizationLevel, Session},
    value::Tensor,
};

extern "C" {
    fn malloc_trim(pad: usize) -> i32;
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

fn run(session: &mut Session, rows: usize, seq: usize) {
    let ids = Array2::from_elem((rows, seq), 1000i64);
    let mask = Array2::from_elem((rows, seq), 1i64);
    let types = Array2::<i64>::zeros((rows, seq));
    session
        .run(ort::inputs![
            "input_ids" => Tensor::from_array(ids).unwrap(),
            "attention_mask" => Tensor::from_array(mask).unwrap(),
            "token_type_ids" => Tensor::from_array(types).unwrap(),
        ])
        .unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).map_or(default, String::as_str).to_owned();
    let opt = arg(0, "all");
    let level = match opt.as_str() {
        "disable" => GraphOptimizationLevel::Disable,
        "basic" => GraphOptimizationLevel::Level1,
        "extended" => GraphOptimizationLevel::Level2,
        _ => GraphOptimizationLevel::All,
    };
    let arena = arg(1, "1") == "1";
    let mempat = arg(2, "1") == "1";

    let config = EngineConfig::default();
    let start = rss_mib();
    let env = ort::init_from(config.ort_dylib_path())
        .expect("the ONNX Runtime library (scripts/setup.sh)")
        .with_name("session_memory")
        .build()
        .unwrap();
    let library = rss_mib();
    let model = std::fs::read(config.models_dir().join("text-embedding/model.onnx"))
        .expect("MiniLM (scripts/setup.sh)");
    let mut session = Session::builder(&env)
        .unwrap()
        .with_optimization_level(level)
        .unwrap()
        .with_intra_threads(1)
        .unwrap()
        .with_memory_pattern(mempat)
        .unwrap()
        .with_execution_providers([ep::CPU::default().with_arena_allocator(arena).build()])
        .unwrap()
        .commit_from_memory(&model)
        .unwrap();
    drop(model);
    // SAFETY: glibc's malloc_trim only returns free heap pages to the kernel.
    unsafe { malloc_trim(0) };
    let loaded = rss_mib();

    let started = std::time::Instant::now();
    for _ in 0..50 {
        run(&mut session, 1, 12);
    }
    let per_run = started.elapsed().as_secs_f64() * 1000.0 / 50.0;
    let single = rss_mib();
    for _ in 0..5 {
        run(&mut session, 8, 24);
    }
    let batch8 = rss_mib();
    for _ in 0..2 {
        run(&mut session, 64, 128);
    }
    let batch64 = rss_mib();
    println!(
        "opt={opt} arena={arena} mempat={mempat}: start {start:.1} MiB, library +{:.1}, \
         session +{:.1}, 1x12 tokens +{:.1} ({per_run:.2} ms/run), 8x24 +{:.1}, 64x128 +{:.1} \
         = {batch64:.1} MiB",
        library - start,
        loaded - library,
        single - loaded,
        batch8 - single,
        batch64 - batch8,
    );
}
