//! Tests: hand-computed cases, the dense oracle and properties.

mod emission;
mod epoch;
mod properties;

use alloc::vec::Vec;

use proptest::prelude::*;

use crate::{
    reference::run_epoch_dense, run_epoch, EpochInput, EpochOutput, EpochParams, Perbill,
    ValidatorInput,
};

/// One in Perbill parts.
const ONE: u32 = 1_000_000_000;

/// An owned validator row (the API borrows).
#[derive(Clone, Debug)]
struct Validator {
    uid: u16,
    stake: u128,
    weights: Vec<(u16, u16)>,
    bonds: Vec<(u16, u32)>,
}

impl Validator {
    fn new(uid: u16, stake: u128, weights: &[(u16, u16)]) -> Self {
        Self {
            uid,
            stake,
            weights: weights.to_vec(),
            bonds: Vec::new(),
        }
    }

    fn with_bonds(mut self, bonds: &[(u16, u32)]) -> Self {
        self.bonds = bonds.to_vec();
        self
    }
}

/// An owned epoch input.
#[derive(Clone, Debug)]
struct Epoch {
    n: u16,
    validators: Vec<Validator>,
    reputation: Vec<Perbill>,
    params: EpochParams,
}

impl Epoch {
    fn new(n: u16, validators: Vec<Validator>) -> Self {
        Self {
            n,
            validators,
            reputation: Vec::new(),
            params: EpochParams::default(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&EpochInput) -> R) -> R {
        let rows: Vec<ValidatorInput> = self
            .validators
            .iter()
            .map(|v| ValidatorInput {
                uid: v.uid,
                stake: v.stake,
                weights: &v.weights,
                bonds: &v.bonds,
            })
            .collect();
        f(&EpochInput {
            n: self.n,
            validators: &rows,
            reputation: &self.reputation,
            params: self.params,
        })
    }

    fn run(&self) -> EpochOutput {
        self.with(run_epoch)
    }

    fn run_dense(&self) -> Option<EpochOutput> {
        self.with(run_epoch_dense)
    }
}

fn parts(p: &[Perbill]) -> Vec<u32> {
    p.iter().map(|x| x.deconstruct()).collect()
}

/// The spec's row normalisation, written out densely for the tests: `⌊raw · 10⁹ / Σ raw⌋` over
/// the valid (sorted, unique, in range) entries.
fn normalised_dense(weights: &[(u16, u16)], n: u16) -> Vec<u32> {
    let mut dense = vec![0u64; usize::from(n)];
    for &(uid, w) in weights {
        if uid < n {
            dense[usize::from(uid)] = u64::from(w);
        }
    }
    let sum: u64 = dense.iter().sum();
    dense
        .iter()
        .map(|&w| (w * u64::from(ONE)).checked_div(sum).unwrap_or(0) as u32)
        .collect()
}

/// A sparse weight row over `0..n`: sorted and unique, or (with `garbage`) possibly unsorted,
/// duplicated and out of range.
fn weight_row(n: u16, garbage: bool) -> impl Strategy<Value = Vec<(u16, u16)>> {
    let raw = prop_oneof![3 => any::<u16>(), 1 => Just(0u16), 1 => 0u16..4];
    sparse_row(n, garbage, raw)
}

/// A sparse bond row over `0..n`, like [`weight_row`]; with `garbage`, values may exceed one.
fn bond_row(n: u16, garbage: bool) -> impl Strategy<Value = Vec<(u16, u32)>> {
    let value = if garbage {
        (0u32..=u32::MAX).boxed()
    } else {
        (0u32..=ONE).boxed()
    };
    sparse_row(n, garbage, value)
}

/// The shape both rows share: entries over `0..n` with values from `value`, sorted and
/// deduplicated by column; with `garbage`, columns may also be out of range, unsorted and
/// duplicated.
fn sparse_row<V: Clone + core::fmt::Debug>(
    n: u16,
    garbage: bool,
    value: impl Strategy<Value = V>,
) -> impl Strategy<Value = Vec<(u16, V)>> {
    let hi = if garbage { n.saturating_add(3) } else { n };
    (
        prop::collection::vec((0..hi.max(1), value), 0..=usize::from(hi)),
        any::<bool>(),
    )
        .prop_map(move |(mut row, keep_order)| {
            if !(garbage && keep_order) {
                row.sort_by_key(|e| e.0);
                row.dedup_by_key(|e| e.0);
            }
            row.retain(|e| garbage || e.0 < n);
            row
        })
}

fn stake() -> impl Strategy<Value = u128> {
    prop_oneof![
        1 => Just(0u128),
        4 => 1u128..1_000,
        2 => any::<u64>().prop_map(u128::from),
        1 => any::<u128>(),
        1 => Just(u128::MAX),
    ]
}

fn perbill() -> impl Strategy<Value = Perbill> {
    prop_oneof![
        (0..=ONE).prop_map(Perbill::from_parts),
        Just(Perbill::zero()),
        Just(Perbill::one()),
        Just(Perbill::from_percent(50)),
    ]
}

fn params() -> impl Strategy<Value = EpochParams> {
    prop_oneof![
        Just(EpochParams::default()),
        (
            perbill(),
            perbill(),
            prop_oneof![0u32..2_000_000, any::<u32>()],
            perbill()
        )
            .prop_map(
                |(kappa, bonds_alpha, bond_floor, reputation_alpha)| EpochParams {
                    kappa,
                    bonds_alpha,
                    bond_floor,
                    reputation_alpha,
                }
            ),
    ]
}

/// An epoch over `1..=max_n` uids whose validators have distinct uids `< n` (so the dense
/// reference accepts it); with `garbage`, rows may break the input contract.
fn epoch(max_n: u16, max_v: usize, garbage: bool) -> impl Strategy<Value = Epoch> {
    (1..=max_n)
        .prop_flat_map(move |n| {
            let uids = prop::sample::subsequence(
                (0..n).collect::<Vec<_>>(),
                0..=usize::from(n).min(max_v),
            )
            .prop_shuffle();
            let reputation = prop::collection::vec(perbill(), 0..=usize::from(n) + 2);
            (Just(n), uids, reputation, params())
        })
        .prop_flat_map(move |(n, uids, reputation, params)| {
            let validators: Vec<_> = uids
                .into_iter()
                .map(|uid| {
                    (stake(), weight_row(n, garbage), bond_row(n, garbage)).prop_map(
                        move |(stake, weights, bonds)| Validator {
                            uid,
                            stake,
                            weights,
                            bonds,
                        },
                    )
                })
                .collect();
            (validators, Just((n, reputation, params)))
        })
        .prop_map(|(validators, (n, reputation, params))| Epoch {
            n,
            validators,
            reputation,
            params,
        })
}
