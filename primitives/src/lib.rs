//! Types shared by the MindOS runtime, its pallets and the off-chain binaries.
//!
//! `no_std` with a `std` feature; `serde` (for genesis configs and JSON-RPC) is optional.
//! Everything here is plain data plus validation, so it can be tested without a runtime, plus
//! the traits through which the pallets read each other ([`SubnetsInfo`], [`StakeInfo`], …)
//! and the constants every crate shares ([`MIND`], [`DAYS`], the pinned model digests), and
//! the messages keys sign to prove possession or consent ([`proofs`]: what `serve` and
//! `register` check on chain and the binaries sign).
//!
//! Feature flags: `std` (default), `serde` (genesis configs and JSON-RPC) and `fast-blocks`
//! (1 s blocks for dev networks: changes [`MILLI_SECS_PER_BLOCK`] and the block counts built
//! on it; the runtime's `fast-blocks` turns it on).

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

mod constants;
pub mod evidence;
#[macro_use]
mod ids;
mod neuron;
pub mod proofs;
pub mod rpc_errors;
mod sentinels;
#[cfg(feature = "serde")]
pub mod serde_helpers;
mod traits;

pub use constants::{
    DAYS, DAY_OF_6S_BLOCKS, DIGITS_MODEL_DIGEST, HOURS, LAUNCH_ACTIVITY_CUTOFF, MICRO_MIND,
    MILLI_MIND, MILLI_SECS_PER_BLOCK, MIND, MINUTES, TEXT_EMBEDDING_MODEL_DIGEST,
    TEXT_EMBEDDING_TOKENIZER_DIGEST, TOKEN_DECIMALS, TOKEN_SYMBOL,
};
pub use mindos_sentinels_math::SlashRates;
pub use neuron::{
    is_epoch_boundary, Contribution, DeviceClass, DeviceProfile, Endpoint, MultiaddrBytes,
    NeuronDetail, NeuronView, PeerIdBytes, PowerSource, SubnetView, MAX_MULTIADDRS,
    MAX_MULTIADDR_LEN, MAX_PEER_ID_LEN,
};
pub use proofs::{ed25519_key_of, hotkey_consent_message, serve_proof_message};
pub use sentinels::{
    AuditKind, AuditView, CaseView, CasesView, CommitteeDuty, CommitteeMember, CommitteeQueryError,
    CommitteeView, ElectorView, EscalationView, QuarantineView, SentinelOffence, VoteStatus,
};
pub use traits::{
    AuditWindow, ConsensusParameters, EmissionRecorder, EndpointObserver, NeuronDeregistration,
    NeuronsInfo, OnSubnetDissolved, QuarantineInfo, ReputationInfo, ReputationSink, SaltSink,
    SentinelParameters, StakeInfo, SubnetsInfo,
};

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
pub use sp_arithmetic::Perbill;

/// The most neurons (uid slots) any subnet can have. The consensus epoch is designed for this
/// size (O(nnz · log v)); raising it needs a new benchmark of the epoch.
pub const MAX_NEURONS_PER_SUBNET: u16 = 4096;

id_type! {
    /// Identifies a subnet.
    NetUid;
    /// A neuron's slot on its subnet, `0 .. max_neurons`. The pallets index neurons by a
    /// plain `u16`; off chain every uid is a `Uid` (see the `ids` module).
    Uid;
}

impl NetUid {
    /// The id after this one, or `None` when ids are exhausted.
    pub fn next(self) -> Option<Self> {
        self.0.checked_add(1).map(NetUid)
    }
}

/// The kind of data a subnet's task consumes.
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Modality {
    /// Natural-language text.
    Text,
    /// Images.
    Image,
    /// Audio.
    Audio,
    /// Sensor or tabular readings.
    Sensor,
    /// Raw bytes (e.g. file-type detection).
    Bytes,
}

/// How validators score a miner's response against the reference answer.
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ScoringRule {
    /// Cosine similarity of vectors (embeddings); aggregated by coordinate-wise median.
    CosineSimilarity,
    /// Exact class match; aggregated by majority vote.
    Correctness,
}

/// BLAKE2-256 digest of a subnet's ONNX model file; miners check their model against it.
pub type ModelDigest = [u8; 32];

/// What a subnet computes.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TaskSpec {
    /// Kind of input.
    pub modality: Modality,
    /// BLAKE2-256 of the ONNX model file.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex"))]
    pub model_digest: ModelDigest,
    /// Identifies the input encoding the off-chain `subnets` crate decodes.
    pub input_schema: u32,
    /// Identifies the output encoding.
    pub output_schema: u32,
    /// How responses are scored.
    pub scoring_rule: ScoringRule,
}

/// A subnet's tunable parameters. Owners set them within [`HyperparameterBounds`].
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "Balance: Copy + TryInto<u128>",
        deserialize = "Balance: TryFrom<u128>"
    ))
)]
pub struct Hyperparameters<Balance> {
    /// Blocks between two consensus epochs.
    pub tempo: u16,
    /// Uid slots; when full, registering prunes the weakest non-immune neuron.
    pub max_neurons: u16,
    /// How many of the top-staked neurons hold a validator permit.
    pub max_validators: u16,
    /// Blocks a new neuron cannot be pruned.
    pub immunity_period: u32,
    /// Stake a hotkey needs to be considered for a validator permit. A decimal string in
    /// JSON ([`serde_helpers::balance`]).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::balance"))]
    pub min_validator_stake: Balance,
    /// Validators commit weights before revealing them (copying protection).
    pub commit_reveal: bool,
}

/// An inclusive range a governed value must fall in.
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Range<T> {
    /// Smallest allowed value.
    pub min: T,
    /// Largest allowed value.
    pub max: T,
}

impl<T: PartialOrd> Range<T> {
    /// Whether `value` lies in the range.
    pub fn contains(&self, value: &T) -> bool {
        self.min <= *value && *value <= self.max
    }

    /// Whether the range is non-empty.
    pub fn is_valid(&self) -> bool {
        self.min <= self.max
    }
}

/// Which hyperparameter is out of bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HyperparameterError {
    /// `tempo` outside its bounds.
    Tempo,
    /// `max_neurons` outside its bounds (never above [`MAX_NEURONS_PER_SUBNET`]).
    MaxNeurons,
    /// `max_validators` outside its bounds or above `max_neurons`.
    MaxValidators,
    /// `immunity_period` outside its bounds.
    ImmunityPeriod,
    /// `min_validator_stake` outside its bounds.
    MinValidatorStake,
}

/// The bounds subnet owners must respect. Kept in one place so governance can own them.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "Balance: Copy + TryInto<u128>",
        deserialize = "Balance: TryFrom<u128>"
    ))
)]
pub struct HyperparameterBounds<Balance> {
    /// Allowed `tempo`.
    pub tempo: Range<u16>,
    /// Allowed `max_neurons`.
    pub max_neurons: Range<u16>,
    /// Allowed `max_validators`.
    pub max_validators: Range<u16>,
    /// Allowed `immunity_period`.
    pub immunity_period: Range<u32>,
    /// Allowed `min_validator_stake`; its bounds are decimal strings in JSON
    /// ([`serde_helpers::balance_range`]).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::balance_range"))]
    pub min_validator_stake: Range<Balance>,
}

impl<Balance: PartialOrd + sp_arithmetic::traits::Zero> HyperparameterBounds<Balance> {
    /// Whether every range is non-empty, `max_neurons` stays within
    /// [`MAX_NEURONS_PER_SUBNET`] and a validator permit always needs some stake (a permit is
    /// the right to use a subnet's miners: at zero stake anyone registered would have it).
    pub fn is_valid(&self) -> bool {
        self.tempo.is_valid()
            && self.tempo.min > 0
            && self.max_neurons.is_valid()
            && self.max_neurons.min > 0
            && self.max_neurons.max <= MAX_NEURONS_PER_SUBNET
            && self.max_validators.is_valid()
            && self.immunity_period.is_valid()
            && self.min_validator_stake.is_valid()
            && !self.min_validator_stake.min.is_zero()
    }

    /// Checks `params` against these bounds, naming the first parameter out of bounds.
    pub fn check(&self, params: &Hyperparameters<Balance>) -> Result<(), HyperparameterError> {
        if !self.tempo.contains(&params.tempo) {
            return Err(HyperparameterError::Tempo);
        }
        if !self.max_neurons.contains(&params.max_neurons)
            || params.max_neurons > MAX_NEURONS_PER_SUBNET
        {
            return Err(HyperparameterError::MaxNeurons);
        }
        if !self.max_validators.contains(&params.max_validators)
            || params.max_validators > params.max_neurons
        {
            return Err(HyperparameterError::MaxValidators);
        }
        if !self.immunity_period.contains(&params.immunity_period) {
            return Err(HyperparameterError::ImmunityPeriod);
        }
        if !self
            .min_validator_stake
            .contains(&params.min_validator_stake)
        {
            return Err(HyperparameterError::MinValidatorStake);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> HyperparameterBounds<u128> {
        HyperparameterBounds {
            tempo: Range {
                min: 10,
                max: 1_000,
            },
            max_neurons: Range {
                min: 1,
                max: MAX_NEURONS_PER_SUBNET,
            },
            max_validators: Range { min: 1, max: 64 },
            immunity_period: Range {
                min: 0,
                max: 10_000,
            },
            min_validator_stake: Range {
                min: 1,
                max: 1_000_000,
            },
        }
    }

    fn params() -> Hyperparameters<u128> {
        Hyperparameters {
            tempo: 100,
            max_neurons: 256,
            max_validators: 16,
            immunity_period: 500,
            min_validator_stake: 1_000,
            commit_reveal: true,
        }
    }

    #[test]
    fn in_bounds_parameters_pass() {
        assert!(bounds().is_valid());
        assert_eq!(bounds().check(&params()), Ok(()));
    }

    #[test]
    fn each_out_of_bounds_parameter_is_named() {
        let b = bounds();
        type Case = (fn(&mut Hyperparameters<u128>), HyperparameterError);
        let cases: [Case; 6] = [
            (|p| p.tempo = 5, HyperparameterError::Tempo),
            (
                |p| p.max_neurons = MAX_NEURONS_PER_SUBNET + 1,
                HyperparameterError::MaxNeurons,
            ),
            (
                |p| p.max_validators = 65,
                HyperparameterError::MaxValidators,
            ),
            (
                |p| p.max_validators = 300,
                HyperparameterError::MaxValidators,
            ),
            (
                |p| p.immunity_period = 10_001,
                HyperparameterError::ImmunityPeriod,
            ),
            (
                |p| p.min_validator_stake = 2_000_000,
                HyperparameterError::MinValidatorStake,
            ),
        ];
        for (mutate, expected) in cases {
            let mut p = params();
            mutate(&mut p);
            assert_eq!(b.check(&p), Err(expected));
        }
    }

    #[test]
    fn validators_cannot_outnumber_neurons() {
        let mut p = params();
        p.max_neurons = 8;
        p.max_validators = 9;
        assert_eq!(bounds().check(&p), Err(HyperparameterError::MaxValidators));
    }

    #[test]
    fn bounds_beyond_the_hard_cap_or_empty_are_invalid() {
        let mut b = bounds();
        b.max_neurons.max = MAX_NEURONS_PER_SUBNET + 1;
        assert!(!b.is_valid());
        let mut b = bounds();
        b.tempo = Range { min: 10, max: 9 };
        assert!(!b.is_valid());
        let mut b = bounds();
        b.tempo.min = 0;
        assert!(!b.is_valid());
    }

    #[test]
    fn a_validator_permit_never_comes_without_stake() {
        // Review M11: a zero floor let any registered, unstaked hotkey hold a permit.
        let mut b = bounds();
        b.min_validator_stake.min = 0;
        assert!(!b.is_valid());
    }

    #[test]
    fn net_uid_next_stops_at_the_end() {
        assert_eq!(NetUid(1).next(), Some(NetUid(2)));
        assert_eq!(NetUid(u16::MAX).next(), None);
    }
}
