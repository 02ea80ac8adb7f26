//! What the miner costs in memory beyond its model: the resident memory (RSS) of the
//! `mindos-miner` binary against the floor, a process that only loads the same model with
//! ONNX Runtime through `mindos-subnets` with the same session settings
//! (`subnets/examples/load_model.rs`), on each subnet, in the default and the `--low-memory`
//! profile. Prints a table per subnet and, last, the ratio miner / floor. Asserts nothing.
//!
//! Each process runs alone (the floor, then the miner) and is read from outside, from
//! `/proc/<pid>/status`, the same way:
//!
//! - idle: `VmRSS` once loaded (the miner: listening, the caller connected), steady value =
//!   the median of 5 readings 200 ms apart;
//! - the loading peak: `VmHWM` then;
//! - the peak at concurrency 1: `VmHWM` after `VmHWM` was reset to `VmRSS`
//!   (`/proc/<pid>/clear_refs`) and REQUESTS inferences ran one at a time — over the mesh
//!   from this process's caller for the miner, `infer_batch([x])` in-process for the floor;
//! - the peak at concurrency 32: the same after REQUESTS requests from 32 callers' tasks at
//!   once; the floor runs them in batches of the miner's largest batch (16; the miner runs
//!   no larger one), the same model work;
//! - idle after the load: steady `VmRSS` again.
//!
//! The miner's own share is miner − floor: its binary, the mesh, tokio, the queue and its
//! buffers. Both sides cycle through the subnet's validation inputs; the timings printed
//! beside the peaks are the requests per second of each run, for the cost of the
//! low-memory profile.
//!
//! Run it with `miner/footprint.sh [--quick]`: it builds the floor example and this bench
//! (release). `--quick`: 256 requests per run instead of 2,048. The floor binary is found
//! next to this bench's profile directory (`examples/load_model`), or at
//! `$FOOTPRINT_FLOOR_BIN`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
    time::{Duration, Instant},
};

use common::{caller, connect, reset_hwm, spawn_load, status_kib, steady_rss_kib, MinerProcess};
use mindos_mesh::{Keypair, MeshClient, NetUid, PeerId};
use mindos_subnets::EngineConfig;

/// Callers in flight in the loaded run.
const CONCURRENCY: usize = 32;
/// The miner's largest batch (`--max-batch`'s default), the floor's batch at concurrency 32.
const MAX_BATCH: usize = 16;
const SUBNETS: [(&str, u16); 2] = [("text-embedding", 0), ("digits", 1)];

/// A way to run the miner, and the floor with the same session settings.
struct Profile {
    name: &'static str,
    miner_args: &'static [&'static str],
    floor_args: &'static [&'static str],
}

const PROFILES: [Profile; 2] = [
    Profile {
        name: "default",
        miner_args: &[],
        floor_args: &[],
    },
    Profile {
        name: "--low-memory",
        miner_args: &["--low-memory"],
        floor_args: &["--low-memory"],
    },
];

/// One process's readings, in KiB, and the request rates of its two runs.
#[derive(Clone, Copy, Default)]
struct Readings {
    idle: u64,
    load_peak: u64,
    peak_c1: u64,
    peak_c32: u64,
    idle_after: u64,
    /// The idle RSS split: anonymous memory (heaps, stacks) and mapped files (code).
    idle_anon: u64,
    idle_file: u64,
    threads: u64,
    rate_c1: f64,
    rate_c32: f64,
}

fn main() {
    // `cargo bench` passes `--bench`; the only flag of ours is `--quick`.
    let quick = std::env::args().any(|a| a == "--quick");
    let requests = if quick { 256 } else { 2048 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut ratios = Vec::new();
    for (subnet, netuid) in SUBNETS {
        let mut rows = Vec::new();
        for profile in &PROFILES {
            let floor = runtime.block_on(measure_floor(subnet, profile, requests));
            let miner = runtime.block_on(measure_miner(subnet, NetUid(netuid), profile, requests));
            rows.push((profile.name, floor, miner));
        }
        print_table(subnet, requests, &rows);
        ratios.push((subnet, rows));
    }
    let ratio = |(floor, miner): (&Readings, &Readings)| {
        format!(
            "idle {:.2}x, concurrency 32 {:.2}x",
            miner.idle as f64 / floor.idle as f64,
            miner.peak_c32 as f64 / floor.peak_c32 as f64
        )
    };
    let summary: Vec<String> = ratios
        .iter()
        .map(|(subnet, rows)| {
            let per_profile: Vec<String> = rows
                .iter()
                .map(|(name, floor, miner)| format!("{name}: {}", ratio((floor, miner))))
                .collect();
            format!("{subnet} ({})", per_profile.join("; "))
        })
        .collect();
    println!("miner / floor RSS: {}", summary.join(" | "));
}

fn print_table(subnet: &str, requests: usize, rows: &[(&str, Readings, Readings)]) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "\n{subnet}: resident memory in MiB, {requests} requests per run, floor = the model \
         loaded alone (subnets/examples/load_model.rs)"
    );
    println!(
        "{:<30} {:>9} {:>9} {:>12} {:>12} {:>22}",
        "", "floor", "miner", "miner-floor", "miner/floor", "req/s floor / miner"
    );
    for (name, floor, miner) in rows {
        println!("{name}");
        let line = |what: &str, f: u64, m: u64, rates: Option<(f64, f64)>| {
            println!(
                "  {what:<28} {:>9.1} {:>9.1} {:>12.1} {:>11.2}x {:>22}",
                mib(f),
                mib(m),
                mib(m) - mib(f),
                m as f64 / f as f64,
                rates.map_or(String::new(), |(f, m)| format!("{f:.0} / {m:.0}")),
            );
        };
        line("idle after load", floor.idle, miner.idle, None);
        line("  of it anonymous", floor.idle_anon, miner.idle_anon, None);
        line(
            "  of it mapped files",
            floor.idle_file,
            miner.idle_file,
            None,
        );
        line("peak while loading", floor.load_peak, miner.load_peak, None);
        line(
            "peak at concurrency 1",
            floor.peak_c1,
            miner.peak_c1,
            Some((floor.rate_c1, miner.rate_c1)),
        );
        line(
            "peak at concurrency 32",
            floor.peak_c32,
            miner.peak_c32,
            Some((floor.rate_c32, miner.rate_c32)),
        );
        line(
            "idle after the runs",
            floor.idle_after,
            miner.idle_after,
            None,
        );
        println!(
            "  {:<28} {:>9} {:>9}",
            "threads", floor.threads, miner.threads
        );
    }
}

/// The floor process: `load_model SUBNET`, driven over its stdin.
struct Floor {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Floor {
    fn spawn(subnet: &str, args: &[&str]) -> Self {
        let bin = floor_bin();
        let mut child = Command::new(&bin)
            .arg(subnet)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; build it with `cargo build -p mindos-subnets --example load_model` \
                     in this bench's profile (miner/footprint.sh does), or set FOOTPRINT_FLOOR_BIN",
                    bin.display()
                )
            });
        let stdin = child.stdin.take().unwrap();
        let mut floor = Self {
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            stdin,
        };
        let ready = floor.line();
        assert!(ready.starts_with("ready "), "floor: {ready}");
        floor
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the floor process exited");
        line.trim().to_owned()
    }

    /// Runs `count` inferences in batches of `batch`; returns inferences per second.
    fn run(&mut self, count: usize, batch: usize) -> f64 {
        let started = Instant::now();
        writeln!(self.stdin, "run {count} {batch}").unwrap();
        let done = self.line();
        assert!(done.starts_with("done "), "floor: {done}");
        count as f64 / started.elapsed().as_secs_f64()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn floor_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("FOOTPRINT_FLOOR_BIN") {
        return PathBuf::from(path);
    }
    // This bench runs from <profile dir>/deps/; examples are built into <profile dir>/examples/.
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("the bench's profile directory")
        .join("examples")
        .join("load_model")
}

fn hwm(pid: u32) -> u64 {
    status_kib(&pid.to_string(), "VmHWM:")
}

/// Fills in the split of the idle RSS and the thread count, read now.
fn split(pid: u32, r: &mut Readings) {
    let pid = pid.to_string();
    r.idle_anon = status_kib(&pid, "RssAnon:");
    r.idle_file = status_kib(&pid, "RssFile:");
    // `Threads:` has no unit; `status_kib` reads the number all the same.
    r.threads = status_kib(&pid, "Threads:");
}

/// Runs on `main`'s thread (`block_on`), so the floor's blocking pipe reads stall no task.
async fn measure_floor(subnet: &str, profile: &Profile, requests: usize) -> Readings {
    let mut floor = Floor::spawn(subnet, profile.floor_args);
    let pid = floor.pid();
    let mut r = Readings {
        idle: steady_rss_kib(pid).await,
        load_peak: hwm(pid),
        ..Readings::default()
    };
    split(pid, &mut r);
    reset_hwm(pid);
    r.rate_c1 = floor.run(requests, 1);
    r.peak_c1 = hwm(pid);
    reset_hwm(pid);
    r.rate_c32 = floor.run(requests, MAX_BATCH);
    r.peak_c32 = hwm(pid);
    r.idle_after = steady_rss_kib(pid).await;
    r
}

async fn measure_miner(
    subnet: &str,
    netuid: NetUid,
    profile: &Profile,
    requests: usize,
) -> Readings {
    // The same inputs the floor cycles through, as the JSON a validator sends.
    let payloads: Vec<serde_json::Value> = {
        let engine = mindos_subnets::load(subnet, &EngineConfig::default())
            .expect("the ONNX Runtime library and models: run scripts/setup.sh");
        (0..engine.validation_len())
            .filter_map(|i| engine.challenge(i))
            .map(|c| serde_json::to_value(c.input).unwrap())
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let key = Keypair::generate_ed25519();
    let caller_id = key.public().to_peer_id();
    let args: Vec<String> = profile.miner_args.iter().map(|a| (*a).to_owned()).collect();
    let miner = MinerProcess::spawn(dir.path(), subnet, netuid, caller_id, &args).await;
    let caller = caller(key);
    let peer = connect(&caller, &miner.addr).await;
    let pid = miner.pid();
    let mut r = Readings {
        idle: steady_rss_kib(pid).await,
        load_peak: hwm(pid),
        ..Readings::default()
    };
    split(pid, &mut r);
    reset_hwm(pid);
    r.rate_c1 = load(&caller, peer, netuid, &payloads, requests, 1).await;
    r.peak_c1 = hwm(pid);
    reset_hwm(pid);
    r.rate_c32 = load(&caller, peer, netuid, &payloads, requests, CONCURRENCY).await;
    r.peak_c32 = hwm(pid);
    r.idle_after = steady_rss_kib(pid).await;
    miner.stop().await;
    r
}

/// Sends `requests` requests from `concurrency` tasks, each in turn; returns requests per
/// second.
async fn load(
    caller: &MeshClient,
    peer: PeerId,
    netuid: NetUid,
    payloads: &[serde_json::Value],
    requests: usize,
    concurrency: usize,
) -> f64 {
    let started = Instant::now();
    let (tasks, sent) = spawn_load(caller, peer, netuid, payloads, requests, concurrency);
    for task in futures::future::join_all(tasks).await {
        task.unwrap();
    }
    let took = started.elapsed().max(Duration::from_micros(1));
    sent as f64 / took.as_secs_f64()
}
