//! MindOS epoch math: a sparse, fixed-point Yuma consensus for one subnet.
//!
//! Storage-free and `no_std` (with `alloc`), so the consensus pallet can call it from the runtime
//! and it can be property-tested without a mock runtime.
//!
//! # Overview
//!
//! [`run_epoch`] takes each validator's stake, weights and previous bonds and computes, for every
//! uid, the stake-weighted kappa-median **consensus**, the clipped **rank**, **incentive** and
//! **trust**; for every validator its **validator trust**, new **bonds** and **dividends**; and every
//! uid's **reputation** EMA (of the consensus it receives as a miner, or of its validator trust as
//! a validator). [`split_emission`] then pays an epoch's accrued emission out to the
//! subnet owner, the miners (by rank) and the validators (by dividend shares), exactly.
//!
//! Steps of an epoch (`s_i` = validator stake, `w_ij` = validator `i`'s normalised weight on uid
//! `j`, `S = Σ s_i`):
//!
//! 1. Consensus `C_j` = the largest submitted `w_ij` such that the validators with `w ≥ C_j`
//!    hold at least `kappa · S`; 0 if no submitted value qualifies.
//! 2. Clipping `W̄_ij = min(w_ij, C_j)`; validator trust `VT_i = Σ_j W̄_ij`.
//! 3. Rank `R_j = Σ_i s_i · W̄_ij`, incentive `I_j = R_j / Σ R`, trust
//!    `T_j = R_j / Σ_i s_i · w_ij`.
//! 4. Bonds: `ΔB_ij = s_i · W̄_ij / R_j`, EMA `alpha · ΔB + (1 − alpha) · B`, column-normalised,
//!    entries below `bond_floor` dropped.
//! 5. Dividends `D_i = Σ_j B'_ij · I_j`.
//! 6. Reputation `rep'_j = alpha · X_j + (1 − alpha) · rep_j`, where `X_j` is the largest of
//!    `C_j` and the `VT_i` of every validator `i` with effective stake whose `uid` is `j`. A uid is
//!    measured in the role it plays: a miner by the consensus it receives, a validator by how
//!    far its weights agree with consensus. Validators weigh only miners, so without `VT` no
//!    validator would ever earn reputation (and the sentinels pallet, which seats committees by
//!    stake × reputation, could never seat one). A zero-stake validator earns none.
//!
//! # Cost
//!
//! `O(nnz · log v + n + bonds_nnz)` time and `O(nnz + n + bonds_nnz)` memory, for `nnz` weight
//! entries, `v` validators with stake, `n` uids and `bonds_nnz` previous bond entries. Weights are
//! bucketed by uid with a counting sort and each column (at most `v` entries) is sorted once; no
//! step touches a dense `v × n` or `n × n` matrix. The dense `O(n²)` oracle
//! `reference::run_epoch_dense` (feature `reference`) computes the same outputs bit for bit.
//!
//! # Fixed point
//!
//! There are no floats. Fractions are Perbill parts (`1 = 10⁹ parts`), products are exact `u128`
//! and ratios are computed with a 256-bit intermediate where they could overflow.
//!
//! - **Effective stake.** Stakes are used exactly as given while `max_stake · k < 2⁹⁸` (`k` = the
//!   number of validators with stake). Beyond that (only reachable with absurd balances) every
//!   stake is shifted right by the same number of bits so the total stays below `2⁹⁸`; this keeps
//!   `stake · 10⁹` and every rank inside `u128`. A validator whose effective stake is zero is
//!   treated exactly like a zero-stake one.
//! - **Consensus and clipping are exact** on the normalised weights: the kappa test compares
//!   `10⁹ · stake_above ≥ kappa_parts · S` in integers, and `C_j` is always a submitted value, so
//!   with kappa at 50% a stake minority can never move `C_j` outside the range of the values the
//!   majority submitted.
//! - **Rank and dividend shares are exact** integer sums of products; they are the shares
//!   [`split_emission`] pays by.
//!
//! # Rounding
//!
//! Every division rounds **down**, so no computed fraction exceeds its exact value given its
//! (already rounded) inputs, and every single rounding loses less than one part (10⁻⁹):
//!
//! - weights: `w_ij = ⌊raw · 10⁹ / Σ raw⌋`, so a row sums to `(10⁹ − k, 10⁹]` parts for `k`
//!   non-zero raw entries (or is empty); validator trust is an exact sum of clipped weights;
//! - incentive and dividends: each `⌊x · 10⁹ / Σ x⌋`, so each vector sums to `(10⁹ − m, 10⁹]`
//!   parts for `m` non-zero entries (or is all zero);
//! - trust: one floor, `< 1` part;
//! - bonds: `ΔB_ij = ⌊s_i · W̄_ij · 10⁹ / R_j⌋` (`< 1` part), the EMA numerator
//!   `alpha · ΔB + (1 − alpha) · B` is exact (parts²), and the column normalisation floors once
//!   more (`< 1` part), so a bond column sums to at most 10⁹ parts, and to more than `10⁹ − m`
//!   for `m` entries before the floor drops any;
//! - reputation: one floor per epoch, so with a constant input (`X_j` above) it settles at most
//!   `1 / alpha` parts below it (10 parts for the default alpha of 10%).
//!
//! Payouts never round: [`pro_rata`] distributes the floored remainder by largest remainder, and
//! [`split_emission`] carries any dust over, so every unit accrued is accounted for.
//!
//! # Inputs that break the contract
//!
//! The functions never panic. Weight and bond entries with `uid >= n` are ignored, and so is any
//! entry whose uid is not strictly greater than the previous kept entry's (unsorted or duplicate
//! entries); bond values above 10⁹ parts count as 10⁹.
//!
//! # Feature flags
//!
//! - `std` (default): std support for the codec dependencies.
//! - `reference`: the dense `O(n²)` implementation `reference::run_epoch_dense`, a test oracle
//!   and benchmark baseline. Never enable it in the runtime.

#![cfg_attr(not(feature = "std"), no_std)]
// Code that runs in blocks must not abort them (review L15): panics only in tests, and in
// genesis building where FRAME expects them.
#![cfg_attr(
    not(test),
    deny(
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

extern crate alloc;

mod emission;
mod epoch;
mod fixed;
#[cfg(any(test, feature = "reference"))]
pub mod reference;
#[cfg(test)]
mod tests;

pub use emission::{pro_rata, split_emission, EmissionSplit, Payout, SplitError};
pub use epoch::run_epoch;
pub use sp_arithmetic::Perbill;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// One validator's input row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatorInput<'a> {
    /// The validator's own uid: its validator trust feeds this uid's reputation (ignored when
    /// `uid >= n`). Every other output matches rows by position; the dense reference epoch also
    /// uses it as the matrix row.
    pub uid: u16,
    /// Raw active stake (balance units). Zero-stake validators change nothing: they get no
    /// dividends and no bonds, and their weights and previous bonds are ignored (except for their
    /// own validator trust).
    pub stake: u128,
    /// `(miner uid, raw u16 weight)`, sorted by uid, unique. Normalised by the math to sum 1 per
    /// row; an all-zero row means no weights. Entries with `uid >= n` are ignored.
    pub weights: &'a [(u16, u16)],
    /// Previous bonds `(uid, Perbill parts)`, sorted by uid, unique. Entries with `uid >= n` are
    /// ignored.
    pub bonds: &'a [(u16, u32)],
}

/// Consensus parameters of one subnet.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct EpochParams {
    /// Consensus quorum: `C_j` is the largest weight on `j` backed by at least `kappa` of the
    /// total stake. Default 50%.
    pub kappa: Perbill,
    /// Bond EMA rate: `B' = alpha · ΔB + (1 − alpha) · B`. Default 10%.
    pub bonds_alpha: Perbill,
    /// Perbill parts; new bonds below this are dropped. Default 1,000 (10⁻⁶).
    pub bond_floor: u32,
    /// Reputation EMA rate: `rep' = alpha · max(C, VT) + (1 − alpha) · rep` (`VT` only for a staked
    /// validator's own uid). Default 10%.
    pub reputation_alpha: Perbill,
}

impl Default for EpochParams {
    fn default() -> Self {
        Self {
            kappa: Perbill::from_percent(50),
            bonds_alpha: Perbill::from_percent(10),
            bond_floor: 1_000,
            reputation_alpha: Perbill::from_percent(10),
        }
    }
}

/// Everything one epoch reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochInput<'a> {
    /// Number of uid slots; every per-uid output has this length.
    pub n: u16,
    /// The validators, in the order the per-validator outputs use.
    pub validators: &'a [ValidatorInput<'a>],
    /// Previous reputation by uid (length `n`; missing entries count as 0, extra ones are ignored).
    pub reputation: &'a [Perbill],
    /// Consensus parameters.
    pub params: EpochParams,
}

/// Everything one epoch computes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochOutput {
    /// Per uid: stake-weighted kappa-median of the normalised weights.
    pub consensus: Vec<Perbill>,
    /// Per uid: normalised rank (sums to 1 within rounding, or all zero).
    pub incentive: Vec<Perbill>,
    /// Per uid: clipped rank / unclipped rank (0 where nobody weights the uid).
    pub trust: Vec<Perbill>,
    /// Per uid: raw clipped rank `Σ_i s_i · W̄_ij`, the exact shares miners are paid by.
    pub rank: Vec<u128>,
    /// Per validator, input order: the sum of its clipped normalised weights.
    pub validator_trust: Vec<Perbill>,
    /// Per validator, input order: normalised dividends (sum to 1 within rounding, or all zero).
    pub dividends: Vec<Perbill>,
    /// Per validator, input order: raw dividends `Σ_j B'_ij · I_j`, the exact shares validators
    /// are paid by.
    pub dividend_shares: Vec<u128>,
    /// Per validator, input order: new bonds `(uid, Perbill parts)`, sorted by uid, without
    /// entries below the bond floor. Empty for zero-stake validators.
    pub bonds: Vec<Vec<(u16, u32)>>,
    /// Per uid: new reputation, the moving average of the consensus it received or, for a staked
    /// validator's uid, of its validator trust if that is larger.
    pub reputation: Vec<Perbill>,
}
