//! The epoch at full size: n = 4,096 uids, v = 64 validators, each weighting 1,024 uids, with
//! steady-state bonds; sparse [`run_epoch`] against the dense reference, then their ratio.
//!
//! `cargo bench -p mindos-consensus-math --features reference --bench epoch`

// A benchmark harness, not runtime code: plain arithmetic and indexing keep the set-up short.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::expect_used
)]

use std::{hint::black_box, time::Instant};

use criterion::Criterion;
use mindos_consensus_math::{
    reference::run_epoch_dense, run_epoch, EpochInput, EpochOutput, EpochParams, Perbill,
    ValidatorInput,
};

const N: u16 = 4_096;
const VALIDATORS: usize = 64;
const WEIGHTS_PER_VALIDATOR: usize = 1_024;
const WARM_UP_EPOCHS: usize = 5;

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
    stakes: Vec<u128>,
    weights: Vec<Vec<(u16, u16)>>,
    bonds: Vec<Vec<(u16, u32)>>,
    reputation: Vec<Perbill>,
}

impl Subnet {
    fn new(seed: u64) -> Self {
        let mut rng = Lcg(seed);
        // Validators mostly agree: three quarters of each row come from a shared set of 1,024
        // "good" uids (so those get a majority behind them and a non-zero consensus), the rest
        // from the other 3,072. Weights are a shared per-uid quality with ±20% noise per
        // validator, so clipping has work to do.
        let mut uids: Vec<u16> = (0..N).collect();
        shuffle_prefix(&mut rng, &mut uids, usize::from(N));
        let (good, rest) = uids.split_at_mut(WEIGHTS_PER_VALIDATOR);
        let quality: Vec<u64> = (0..N).map(|_| 1_000 + rng.below(50_000)).collect();
        let from_good = WEIGHTS_PER_VALIDATOR * 3 / 4;
        let weights = (0..VALIDATORS)
            .map(|_| {
                shuffle_prefix(&mut rng, good, from_good);
                shuffle_prefix(&mut rng, rest, WEIGHTS_PER_VALIDATOR - from_good);
                let mut row: Vec<(u16, u16)> = good[..from_good]
                    .iter()
                    .chain(&rest[..WEIGHTS_PER_VALIDATOR - from_good])
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
        let stakes = (0..VALIDATORS)
            .map(|_| u128::from(1_000 + rng.below(999_000)) * 1_000_000_000_000_000_000)
            .collect();
        let mut subnet = Self {
            stakes,
            weights,
            bonds: vec![Vec::new(); VALIDATORS],
            reputation: Vec::new(),
        };
        for _ in 0..WARM_UP_EPOCHS {
            let out = subnet.run(run_epoch);
            subnet.bonds = out.bonds;
            subnet.reputation = out.reputation;
        }
        subnet
    }

    fn run<R>(&self, f: impl FnOnce(&EpochInput) -> R) -> R {
        let validators: Vec<ValidatorInput> = (0..VALIDATORS)
            .map(|i| ValidatorInput {
                uid: i as u16,
                stake: self.stakes[i],
                weights: &self.weights[i],
                bonds: &self.bonds[i],
            })
            .collect();
        f(&EpochInput {
            n: N,
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
}

fn bench(c: &mut Criterion, subnet: &Subnet) {
    let mut group = c.benchmark_group("epoch_n4096_v64_nnz65536");
    group.sample_size(10);
    group.bench_function("sparse", |b| b.iter(|| black_box(subnet.sparse())));
    group.bench_function("dense_reference", |b| b.iter(|| black_box(subnet.dense())));
    group.finish();
}

/// Mean seconds per call over `iterations` calls.
fn mean_secs<R>(iterations: u32, mut f: impl FnMut() -> R) -> f64 {
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(f());
    }
    start.elapsed().as_secs_f64() / f64::from(iterations)
}

fn main() {
    let subnet = Subnet::new(0x4d49_4e44_4f53);
    let bonds_nnz: usize = subnet.bonds.iter().map(Vec::len).sum();
    assert!(bonds_nnz > 0, "the warm-up epochs should leave bonds");
    let out = subnet.sparse();
    assert_eq!(out, subnet.dense(), "sparse and dense epochs disagree");
    let in_consensus = out.consensus.iter().filter(|c| !c.is_zero()).count();

    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &subnet);
    c.final_summary();

    let sparse = mean_secs(20, || subnet.sparse());
    let dense = mean_secs(3, || subnet.dense());
    println!(
        "n = {N}, v = {VALIDATORS}, nnz = {}, bonds_nnz = {bonds_nnz}, uids with consensus > 0 = \
         {in_consensus}: sparse {:.3} ms, dense {:.1} ms, ratio (dense / sparse) = {:.0}",
        VALIDATORS * WEIGHTS_PER_VALIDATOR,
        sparse * 1e3,
        dense * 1e3,
        dense / sparse
    );
}
