//! MindOS sentinel quorums: the math under the sentinels pallet.
//!
//! Sentinels are validators drawn into small committees, per subnet and epoch, that catch
//! misbehaving miners and quarantine them; a disjoint audit committee can overturn a wrong verdict
//! (design: `shared/sentinels.md`, issue 19). This crate is storage-free and `no_std` (with
//! `alloc`), so the pallet calls it from the runtime and its statistics can be tested without a
//! mock runtime.
//!
//! # Modules, one concern each
//!
//! - [`seed`]: the RANDAO mix of revealed salts and the domain-separated committee seeds, behind
//!   [`RandomnessSource`] so a drand beacon can replace it.
//! - [`committee`]: stake × reputation sampling without replacement (Ethereum sync-committee
//!   style), the size rule (7, falling back to 4, none below 4, at most 13) and the disjoint audit
//!   committee, in bounded work.
//! - [`votes`]: the state of a judged case (`2f + 1` guilty quarantine, `2f + 1` not guilty
//!   refute the report, dismissed when neither is reachable), an audit's verdict (`2f + 1`
//!   overturn, `f + 1` uphold), split votes and the random 10% audit.
//! - [`quarantine`]: doubling quarantine lengths and "3 offences in 30 epochs → deregister".
//! - [`slashing`]: Perbill slash rates and settlements that conserve every unit.
//!
//! # Why committees of 7 with `2f + 1`
//!
//! An adversary with a share `p` of the seat weight captures a committee (`≥ 2f + 1` seats, a
//! false quarantine) with probability about `P[Bin(n, p) ≥ 2f + 1]`: 4.7e-3 at `p = 0.2`,
//! `n = 7`; sampling without replacement only lowers it (hypergeometric). Blocking (`≥ f + 1`) is
//! likely near `p = 1/3` at any size, so offences that prove themselves bypass the vote entirely
//! and only the rest is judged.
//!
//! # Fixed point, no panics
//!
//! No floats outside tests: fractions are [`Perbill`]s, weights exact `u128` products, random
//! draws 64-bit words compared against exact thresholds. Every function is total: arithmetic is
//! checked or saturating, no indexing can go out of bounds, and bad input gives an error value.
//!
//! # Feature flags
//!
//! - `std` (default): std support for the codec and hashing dependencies.

#![cfg_attr(not(feature = "std"), no_std)]
// Code that runs in blocks must not abort them (review L15): panics only in tests.
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

pub mod committee;
pub mod escalation;
pub mod quarantine;
pub mod seed;
pub mod slashing;
#[cfg(test)]
mod tests;
pub mod votes;

pub use committee::{
    draw_audit_committee, draw_committee, max_hash_calls, Candidate, Committee, CommitteeError,
    CommitteeSize, DEFAULT_COMMITTEE_SIZE, MAX_CANDIDATES, MAX_COMMITTEE_SIZE, MIN_COMMITTEE_SIZE,
};
pub use escalation::{escalation_verdict, supermajority, EscalationError, EscalationVerdict};
pub use quarantine::{
    may_release, quarantine_epochs, sanction, QuarantineParams, Sanction, MAX_OFFENCE_HISTORY,
};
pub use seed::{
    audit_seed, committee_seed, mix_next, RandaoMix, RandomnessSource, Seed, SEED_LOOKAHEAD_EPOCHS,
};
pub use slashing::{
    correlated, refund, settle, slash_rate, Offence, Refund, Settlement, SlashRates,
};
pub use sp_arithmetic::Perbill;
pub use votes::{
    audit_reason, case_verdict, is_split, randomly_audited, verdict, AuditReason, CaseVerdict,
    Tally, Verdict, Vote, VoteError, DEFAULT_AUDIT_RATE,
};
