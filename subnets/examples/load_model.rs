//! The memory floor of serving a subnet: a process that only loads the subnet's model
//! through this crate (one session, one intra-op thread: what `mindos-miner` loads) and
//! runs it when told. `miner/benches/footprint.rs` measures its resident memory from
//! outside, as it measures the miner's.
//!
//!   load_model SUBNET [--low-memory]
//!
//! Prints `ready N` once loaded (N: the subnet's validation inputs, which the runs cycle
//! through), then reads commands from stdin, one a line:
//!
//! - `run COUNT BATCH`: runs COUNT inferences in batches of at most BATCH, prints
//!   `done MILLISECONDS VmRSS_KIB VmHWM_KIB` (the peak of this run: `VmHWM` is reset first);
//! - end of input: exits.
//!
//! `--low-memory` loads with [`EngineConfig::low_memory`]. Needs `scripts/setup.sh`'s
//! library and models (or `ORT_DYLIB_PATH` and `MINDOS_MODELS_DIR`).

use std::{error::Error, io::BufRead, time::Instant};

use mindos_subnets::{EngineConfig, Input};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let subnet = args
        .next()
        .ok_or("usage: load_model SUBNET [--low-memory]")?;
    let mut config = EngineConfig::default();
    for arg in args {
        match arg.as_str() {
            "--low-memory" => config.low_memory = true,
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let engine = mindos_subnets::load(&subnet, &config)?;
    let inputs: Vec<Input> = (0..engine.validation_len())
        .filter_map(|i| engine.challenge(i).map(|c| c.input))
        .collect();
    if inputs.is_empty() {
        return Err(format!("subnet `{subnet}` has no validation inputs to run").into());
    }
    println!("ready {}", inputs.len());

    let mut next = inputs.iter().cycle();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let ["run", count, batch] = words.as_slice() else {
            return Err(format!("unknown command `{line}`: expected `run COUNT BATCH`").into());
        };
        let mut left: usize = count.parse()?;
        let batch: usize = batch.parse::<usize>()?.max(1);
        // The peak printed is this run's: `VmHWM` back to `VmRSS` first (Linux 4.0 and later;
        // elsewhere it stays the process's peak).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let started = Instant::now();
        while left > 0 {
            let size = batch.min(left);
            engine.infer_batch(next.by_ref().take(size).cloned().collect())?;
            left = left.saturating_sub(size);
        }
        println!(
            "done {} {} {}",
            started.elapsed().as_millis(),
            status_kib("VmRSS:"),
            status_kib("VmHWM:")
        );
    }
    Ok(())
}

/// A field of this process's `/proc/self/status` in KiB (0 where there is none).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
