//! The cost of one epoch against the number of uids `n` and of validators `v`: sparse
//! [`run_epoch`] against the dense reference ([`run_epoch_dense`]), on the same inputs, with
//! their outputs checked equal wherever both run. Prints a line per size, then the ratio
//! dense / sparse at the largest size both ran, last; writes the figures as JSON for
//! `bench-report` (`scripts/bench.sh`).
//!
//! ```text
//! cargo bench -p mindos-consensus-math --features reference --bench epoch -- [--quick] [--out FILE]
//! ```
//!
//! - `--quick`: a small grid (n ≤ 1,024, v ≤ 64) and fewer repetitions, for CI.
//! - `--out FILE`: where the JSON goes (default: none).
//! - `--dense-max-mib N`: the dense reference runs only where its three `n × n` matrices
//!   (16 bytes a cell: 4 GiB at n = 16,384) fit in N MiB and in half the available memory
//!   (default 4,096).
//!
//! Inputs: each validator weights `n / 4` uids (three quarters from a shared set of `n / 4`
//! "good" uids, so consensus forms, the rest at random), with ±20 % noise around a per-uid
//! quality, stakes from 1 k to 1 M tokens, and the bonds of 5 warm-up epochs.

// A benchmark harness, not runtime code: plain arithmetic and indexing keep the set-up short.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::unwrap_used,
    missing_docs
)]

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use mindos_consensus_math::{
    reference::run_epoch_dense, run_epoch, EpochInput, EpochOutput, EpochParams, Perbill,
    ValidatorInput,
};
use serde_json::{json, Value};

const WARM_UP_EPOCHS: usize = 5;
const SEED: u64 = 0x4d49_4e44_4f53;
/// Bytes per cell of the dense reference: two `u32` matrices and one `u64` matrix.
const DENSE_BYTES_PER_CELL: u64 = 16;

/// Knuth's MMIX LCG; the high bits are good enough for test data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Partial Fisher–Yates: the first `k` slots become a uniform random subset.
fn shuffle_prefix(rng: &mut Lcg, xs: &mut [u16], k: usize) {
    for i in 0..k.min(xs.len()) {
        let pick = i + rng.below((xs.len() - i) as u64) as usize;
        xs.swap(i, pick);
    }
}

/// The owned inputs of one epoch.
struct Subnet {
    n: u16,
    stakes: Vec<u128>,
    weights: Vec<Vec<(u16, u16)>>,
    bonds: Vec<Vec<(u16, u32)>>,
    reputation: Vec<Perbill>,
}

impl Subnet {
    /// `v` validators (uids `0..v`) on `n` uids, each weighting `per_validator` of them.
    fn new(seed: u64, n: u16, v: usize, per_validator: usize) -> Self {
        assert!(v <= usize::from(n) && per_validator <= usize::from(n) / 2);
        let mut rng = Lcg(seed);
        // Validators mostly agree: three quarters of each row come from a shared set of
        // `per_validator` "good" uids (so those get a majority behind them and a non-zero
        // consensus), the rest from the other uids. Weights are a shared per-uid quality with
        // ±20% noise per validator, so clipping has work to do.
        let mut uids: Vec<u16> = (0..n).collect();
        shuffle_prefix(&mut rng, &mut uids, usize::from(n));
        let (good, rest) = uids.split_at_mut(per_validator);
        let quality: Vec<u64> = (0..n).map(|_| 1_000 + rng.below(50_000)).collect();
        let from_good = per_validator * 3 / 4;
        let weights = (0..v)
            .map(|_| {
                shuffle_prefix(&mut rng, good, from_good);
                shuffle_prefix(&mut rng, rest, per_validator - from_good);
                let mut row: Vec<(u16, u16)> = good[..from_good]
                    .iter()
                    .chain(&rest[..per_validator - from_good])
                    .map(|&uid| {
                        let noisy = quality[usize::from(uid)] * (80 + rng.below(41)) / 100;
                        (uid, noisy as u16)
                    })
                    .collect();
                row.sort_unstable_by_key(|e| e.0);
                row
            })
            .collect();
        // Stakes from 1k to 1M tokens at 18 decimals.
        let stakes = (0..v)
            .map(|_| u128::from(1_000 + rng.below(999_000)) * 1_000_000_000_000_000_000)
            .collect();
        let mut subnet = Self {
            n,
            stakes,
            weights,
            bonds: vec![Vec::new(); v],
            reputation: Vec::new(),
        };
        for _ in 0..WARM_UP_EPOCHS {
            let out = subnet.sparse();
            subnet.bonds = out.bonds;
            subnet.reputation = out.reputation;
        }
        subnet
    }

    fn run<R>(&self, f: impl FnOnce(&EpochInput) -> R) -> R {
        let validators: Vec<ValidatorInput> = (0..self.stakes.len())
            .map(|i| ValidatorInput {
                uid: i as u16,
                stake: self.stakes[i],
                weights: &self.weights[i],
                bonds: &self.bonds[i],
            })
            .collect();
        f(&EpochInput {
            n: self.n,
            validators: &validators,
            reputation: &self.reputation,
            params: EpochParams::default(),
        })
    }

    fn sparse(&self) -> EpochOutput {
        self.run(run_epoch)
    }

    fn dense(&self) -> EpochOutput {
        self.run(run_epoch_dense)
            .expect("validator uids are distinct and below n")
    }

    fn nnz(&self) -> usize {
        self.weights.iter().map(Vec::len).sum()
    }

    fn bonds_nnz(&self) -> usize {
        self.bonds.iter().map(Vec::len).sum()
    }
}

/// Timing of one function at one size, in CPU seconds of the calling thread.
#[derive(Clone, Copy)]
struct Timing {
    /// Median seconds per call over the samples.
    median: f64,
    min: f64,
    max: f64,
}

/// CPU time this thread has used. The machine is shared: wall-clock time would count the
/// time the thread waits for a core, CPU time does not.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU seconds per call of `f`: `samples` batches, each of enough calls to last `batch`,
/// after one untimed call; if one call alone takes longer than `batch`, that first call is
/// the first sample (a warm-up is noise against seconds) and each batch is one call.
fn time<R>(samples: usize, batch: Duration, mut f: impl FnMut() -> R) -> Timing {
    let start = thread_cpu();
    black_box(f());
    let once = (thread_cpu() - start).max(Duration::from_nanos(1));
    let calls = (batch.as_secs_f64() / once.as_secs_f64()).ceil().max(1.0) as u32;
    let first = (once >= batch).then_some(once.as_secs_f64());
    let mut per_call: Vec<f64> = first
        .into_iter()
        .chain((first.iter().count()..samples).map(|_| {
            let start = thread_cpu();
            for _ in 0..calls {
                black_box(f());
            }
            (thread_cpu() - start).as_secs_f64() / f64::from(calls)
        }))
        .collect();
    per_call.sort_by(f64::total_cmp);
    Timing {
        median: per_call[per_call.len() / 2],
        min: per_call[0],
        max: per_call[per_call.len() - 1],
    }
}

struct Args {
    quick: bool,
    out: Option<String>,
    dense_max_mib: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        quick: false,
        out: None,
        dense_max_mib: 4096,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every harness.
            "--bench" => {}
            "--quick" => args.quick = true,
            "--out" => args.out = Some(it.next().expect("--out needs a file")),
            "--dense-max-mib" => {
                args.dense_max_mib = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--dense-max-mib needs a number")
            }
            other => panic!(
                "unknown argument {other:?} (expected --quick, --out FILE, --dense-max-mib N)"
            ),
        }
    }
    args
}

/// A field of /proc/meminfo (`MemTotal`, `MemAvailable`), in bytes (`None` off Linux).
fn meminfo(field: &str) -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo
        .lines()
        .find(|l| l.split(':').next() == Some(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// One measured size.
#[derive(Clone, Copy)]
struct Point {
    n: u16,
    v: usize,
    nnz: usize,
    bonds_nnz: usize,
    sparse: Timing,
    /// `None` where the dense matrices do not fit the budget.
    dense: Option<Timing>,
}

fn measure(n: u16, v: usize, quick: bool, dense_budget: u64) -> Point {
    let subnet = Subnet::new(
        SEED ^ (u64::from(n) << 16) ^ v as u64,
        n,
        v,
        usize::from(n) / 4,
    );
    let (samples, batch) = if quick {
        (3, Duration::from_millis(5))
    } else {
        (7, Duration::from_millis(100))
    };
    let sparse_out = subnet.sparse();
    assert!(
        subnet.bonds_nnz() > 0,
        "the warm-up epochs should leave bonds"
    );
    assert!(
        sparse_out.consensus.iter().any(|c| !c.is_zero()),
        "consensus should form on the shared uids"
    );
    let sparse = time(samples, batch, || subnet.sparse());
    let dense_bytes = DENSE_BYTES_PER_CELL * u64::from(n) * u64::from(n);
    let dense = (dense_bytes <= dense_budget).then(|| {
        assert_eq!(
            sparse_out,
            subnet.dense(),
            "sparse and dense epochs disagree at n = {n}, v = {v}"
        );
        // Dense calls take from milliseconds to tens of seconds: at most 3 samples.
        time(samples.min(3), batch, || subnet.dense())
    });
    let point = Point {
        n,
        v,
        nnz: subnet.nnz(),
        bonds_nnz: subnet.bonds_nnz(),
        sparse,
        dense,
    };
    println!(
        "n = {n:>6}, v = {v:>3}, nnz = {:>8}, bonds_nnz = {:>8}: sparse {:>10}, dense {:>10}{}",
        point.nnz,
        point.bonds_nnz,
        ms(point.sparse.median),
        point.dense.map_or_else(
            || format!("skipped ({} MiB > budget)", dense_bytes >> 20),
            |d| ms(d.median)
        ),
        point.dense.map_or(String::new(), |d| format!(
            ", ratio {:.0}",
            d.median / point.sparse.median
        )),
    );
    point
}

fn ms(secs: f64) -> String {
    if secs < 1e-2 {
        format!("{:.3} ms", secs * 1e3)
    } else {
        format!("{:.1} ms", secs * 1e3)
    }
}

fn row(p: &Point) -> Value {
    let range = |t: Timing| format!("{} ({} – {})", ms(t.median), ms(t.min), ms(t.max));
    json!([
        p.n.to_string(),
        p.v.to_string(),
        p.nnz.to_string(),
        p.bonds_nnz.to_string(),
        range(p.sparse),
        p.dense.map_or("not run (memory)".into(), range),
        p.dense.map_or("–".into(), |d| format!(
            "{:.0}",
            d.median / p.sparse.median
        )),
    ])
}

fn series(points: &[&Point], x: impl Fn(&Point) -> f64) -> Value {
    json!([
        {
            "name": "sparse run_epoch",
            "points": points.iter().map(|p| json!([x(p), p.sparse.median * 1e3])).collect::<Vec<_>>(),
        },
        {
            "name": "dense reference",
            "points": points
                .iter()
                .filter_map(|p| p.dense.map(|d| json!([x(p), d.median * 1e3])))
                .collect::<Vec<_>>(),
        },
    ])
}

fn main() {
    let started = Instant::now();
    let args = parse_args();
    let available = meminfo("MemAvailable").unwrap_or(u64::MAX);
    let dense_budget = (args.dense_max_mib << 20).min(available / 2);
    let (ns, vs, v_at, n_at): (&[u16], &[usize], usize, u16) = if args.quick {
        (&[256, 512, 1024], &[8, 32, 64], 32, 512)
    } else {
        (
            &[256, 512, 1024, 2048, 4096, 8192, 16_384],
            &[8, 16, 32, 64, 128, 256],
            64,
            4096,
        )
    };
    println!(
        "epoch: sparse run_epoch against the dense reference; dense budget {} MiB \
         (--dense-max-mib {}, half of {} MiB available)",
        dense_budget >> 20,
        args.dense_max_mib,
        available >> 20
    );
    let by_n: Vec<Point> = ns
        .iter()
        .map(|&n| measure(n, v_at, args.quick, dense_budget))
        .collect();
    let by_v: Vec<Point> = vs
        .iter()
        .map(|&v| {
            // The n sweep already measured (n_at, v_at).
            match by_n.iter().find(|p| p.n == n_at && p.v == v) {
                Some(p) => *p,
                None => measure(n_at, v, args.quick, dense_budget),
            }
        })
        .collect();

    // The headline: the largest n both ran at v_at.
    let both = by_n
        .iter()
        .rev()
        .find_map(|p| p.dense.map(|d| (p, d)))
        .expect("the dense reference ran at no size");
    let ratio = both.1.median / both.0.sparse.median;
    let infeasible = by_n.iter().find(|p| p.dense.is_none()).map(|p| p.n);
    let seconds = started.elapsed().as_secs_f64();
    let what = format!("dense / sparse epoch time at n = {}, v = {v_at}", both.0.n);
    // Where dense stops: its matrices take 16 bytes a cell, so memory decides, and its time
    // grows as n² (projected from the largest size it ran, as a projection).
    let ram = meminfo("MemTotal").unwrap_or(u64::MAX);
    let n_ram = ((ram / DENSE_BYTES_PER_CELL) as f64).sqrt();
    let projected_secs = both.1.median * (65_535.0 / f64::from(both.0.n)).powi(2);
    let dense_note = format!(
        "{} The dense reference's three n × n matrices take 16 bytes a cell ({} MiB at \
         n = {}), so it cannot run on this machine ({:.1} GiB of RAM) from n ≈ {n_ram:.0}, \
         and at the u16 limit n = 65,535 it would need 64 GiB; its time grows as n² (O(n² · v) \
         in the consensus step at worst), which projects {projected_secs:.0} s per epoch at \
         n = 65,535 from the largest size it ran.",
        match infeasible {
            Some(n) => format!(
                "The dense reference was not run from n = {n}: over this run's memory budget \
                 of {} MiB (`--dense-max-mib`, at most half the available memory).",
                dense_budget >> 20
            ),
            None => format!(
                "The dense reference ran at every size (memory budget {} MiB).",
                dense_budget >> 20
            ),
        },
        (DENSE_BYTES_PER_CELL * u64::from(both.0.n) * u64::from(both.0.n)) >> 20,
        both.0.n,
        ram as f64 / f64::from(1u32 << 30),
    );
    let summary = format!(
        "One epoch of the consensus pallet's math: sparse `run_epoch` (O(nnz · log v + n + \
         bonds_nnz)) against the dense O(n²) reference `reference::run_epoch_dense` on the same \
         inputs, whose outputs are checked equal wherever both run. Each validator weights \
         n / 4 uids (three quarters from a shared set, so consensus forms) with ±20 % noise; \
         bonds come from 5 warm-up epochs. Times are the median CPU time per call of the \
         benchmark's one thread (`CLOCK_THREAD_CPUTIME_ID`, so time spent waiting for a core \
         on this shared machine is not counted) over {} batches of at least {} ms each, with \
         the range in brackets. {dense_note}",
        if args.quick { 3 } else { 7 },
        if args.quick { 5 } else { 100 },
    );
    let columns = json!([
        "n",
        "v",
        "weights (nnz)",
        "bonds",
        "sparse",
        "dense",
        "dense / sparse"
    ]);
    let result = json!({
        "schema": 1,
        "name": "epoch",
        "title": "Consensus epoch: sparse against the dense reference",
        "command": format!(
            "cargo bench -p mindos-consensus-math --features reference --bench epoch{}",
            if args.quick { " -- --quick" } else { "" }
        ),
        "quick": args.quick,
        "seconds": seconds,
        "summary": summary,
        "ratio": { "what": what, "value": ratio },
        "tables": [
            {
                "caption": format!("Against n, v = {v_at}"),
                "columns": columns,
                "rows": by_n.iter().map(row).collect::<Vec<_>>(),
            },
            {
                "caption": format!("Against v, n = {n_at}"),
                "columns": columns,
                "rows": by_v.iter().map(row).collect::<Vec<_>>(),
            },
        ],
        "plots": [
            {
                "id": "epoch-by-n",
                "title": format!("Epoch time against n (v = {v_at}, nnz = v · n / 4)"),
                "x_label": "uids n",
                "y_label": "ms per epoch",
                "log_x": true,
                "log_y": true,
                "x_log_base": 2,
                "series": series(&by_n.iter().collect::<Vec<_>>(), |p| f64::from(p.n)),
            },
            {
                "id": "epoch-by-v",
                "title": format!("Epoch time against v (n = {n_at}, nnz = v · n / 4)"),
                "x_label": "validators v",
                "y_label": "ms per epoch",
                "log_x": true,
                "log_y": true,
                "x_log_base": 2,
                "series": series(&by_v.iter().collect::<Vec<_>>(), |p| p.v as f64),
            },
        ],
    });
    if let Some(out) = &args.out {
        std::fs::write(out, serde_json::to_string_pretty(&result).unwrap())
            .unwrap_or_else(|e| panic!("cannot write {out}: {e}"));
        println!("wrote {out} ({seconds:.0} s)");
    }
    if let Some(n) = infeasible {
        println!("dense reference not run from n = {n} (memory budget)");
    }
    println!(
        "dense reference: beyond this machine's RAM from n ≈ {n_ram:.0}; projected \
         {projected_secs:.0} s per epoch at n = 65,535"
    );
    println!("ratio: {what} = {ratio:.0}");
}
