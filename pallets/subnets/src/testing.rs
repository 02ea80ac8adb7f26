//! Fixtures the test runtimes of this and the other MindOS pallets share: governed bounds, a
//! subnet's hyperparameters and task. Compiled for this crate's tests and, through the
//! `testing` feature, for other crates' tests; never in a runtime.

use mindos_primitives::{
    HyperparameterBounds, Hyperparameters, Modality, Perbill, Range, ScoringRule, TaskSpec,
    MAX_NEURONS_PER_SUBNET,
};

/// Bounds wide enough for every test subnet: tempo 10 to 1,000, up to the hard neuron cap, up
/// to 64 validators, immunity up to 10,000 blocks, kappa 10% to 90%, a validator stake of at
/// most 1,000,000.
pub fn bounds<Balance: From<u32>>() -> HyperparameterBounds<Balance> {
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
        kappa: Range {
            min: Perbill::from_percent(10),
            max: Perbill::from_percent(90),
        },
        min_validator_stake: Range {
            min: 0.into(),
            max: 1_000_000.into(),
        },
    }
}

/// Hyperparameters inside [`bounds`]: tempo 100, 256 neurons of which 16 validators, immunity
/// 500 blocks, kappa 50%, a validator stake of 1,000, commit-reveal on.
pub fn hyperparameters<Balance: From<u32>>() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 100,
        max_neurons: 256,
        max_validators: 16,
        immunity_period: 500,
        kappa: Perbill::from_percent(50),
        min_validator_stake: 1_000.into(),
        commit_reveal: true,
    }
}

/// A text-embedding task with a dummy model digest.
pub fn task() -> TaskSpec {
    TaskSpec {
        modality: Modality::Text,
        model_digest: [7u8; 32],
        input_schema: 1,
        output_schema: 2,
        scoring_rule: ScoringRule::CosineSimilarity,
    }
}
