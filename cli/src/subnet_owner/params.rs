//! What a subnet owner types, as the chain takes it: the task (built-in, a JSON file or
//! flags) and the hyperparameters (defaults, flags, the governed bounds they must keep), and
//! their conversions to the metadata's types.

use std::path::Path;

use anyhow::{bail, Context as _};
use mindos_chain_client::runtime::runtime_types::mindos_primitives as chain;
use mindos_primitives::{
    HyperparameterBounds, HyperparameterError, Hyperparameters, Modality, ModelDigest, Range,
    ScoringRule, TaskSpec, DIGITS_MODEL_DIGEST, MAX_NEURONS_PER_SUBNET, MIND,
    TEXT_EMBEDDING_MODEL_DIGEST,
};

use crate::{
    address::decode_hex,
    amount::{format_mind, parse_mind},
    cli::{HyperparameterArgs, ModalityArg, ScoringRuleArg, TaskArgs},
};

/// `demo_subnets`), each under the name `mindos-miner` and `mindos-validator` load its
/// implementation by.
pub fn builtin_tasks() -> [(&'static str, TaskSpec); 2] {
    [
        (
            "digits",
            TaskSpec {
                modality: Modality::Image,
                model_digest: DIGITS_MODEL_DIGEST,
                input_schema: 2,
                output_schema: 2,
                scoring_rule: ScoringRule::Correctness,
            },
        ),
        (
            "text-embedding",
            TaskSpec {
                modality: Modality::Text,
                model_digest: TEXT_EMBEDDING_MODEL_DIGEST,
                input_schema: 1,
                output_schema: 1,
                scoring_rule: ScoringRule::CosineSimilarity,
            },
        ),
    ]
}

/// The hyperparameters `subnet create` starts from: the dev chain's demo subnets'.
pub fn default_hyperparameters() -> Hyperparameters<u128> {
    Hyperparameters {
        tempo: 20,
        max_neurons: 256,
        max_validators: 8,
        immunity_period: 200,
        min_validator_stake: 100 * MIND,
        commit_reveal: true,
    }
}

fn modality(arg: ModalityArg) -> Modality {
    match arg {
        ModalityArg::Text => Modality::Text,
        ModalityArg::Image => Modality::Image,
        ModalityArg::Audio => Modality::Audio,
        ModalityArg::Sensor => Modality::Sensor,
        ModalityArg::Bytes => Modality::Bytes,
    }
}

fn scoring_rule(arg: ScoringRuleArg) -> ScoringRule {
    match arg {
        ScoringRuleArg::CosineSimilarity => ScoringRule::CosineSimilarity,
        ScoringRuleArg::Correctness => ScoringRule::Correctness,
    }
}

/// `0x` and 64 hex digits as a model digest.
pub fn parse_digest(text: &str) -> anyhow::Result<ModelDigest> {
    text.strip_prefix("0x")
        .and_then(decode_hex)
        .and_then(|bytes| ModelDigest::try_from(bytes).ok())
        .ok_or_else(|| {
            anyhow::anyhow!("--model-digest `{text}` is not 0x and 64 hex digits (BLAKE2b-256)")
        })
}

/// The task the flags describe, and the built-in task's name if one was named. Flags
/// override `--task`'s fields; without `--task` every field needs its flag.
pub fn task_from(flags: &TaskArgs) -> anyhow::Result<(TaskSpec, Option<&'static str>)> {
    let (base, builtin) = match flags.task.as_deref() {
        None => (None, None),
        Some(name) => match builtin_tasks().into_iter().find(|(n, _)| *n == name) {
            Some((name, task)) => (Some(task), Some(name)),
            None => {
                let path = Path::new(name);
                if !path.is_file() {
                    bail!(
                        "--task `{name}` is neither a built-in task (digits, text-embedding) \
                         nor a file"
                    );
                }
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let task: TaskSpec = serde_json::from_str(&text).with_context(|| {
                    format!(
                        "{} is not a task: {{\"modality\": \"Image\", \"model_digest\": \
                         \"0x…\", \"input_schema\": 2, \"output_schema\": 2, \"scoring_rule\": \
                         \"Correctness\"}}",
                        path.display()
                    )
                })?;
                (Some(task), None)
            }
        },
    };
    let digest = match (&flags.model_digest, &flags.model) {
        (Some(text), _) => Some(parse_digest(text)?),
        (None, Some(file)) => {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            Some(sp_crypto_hashing::blake2_256(&bytes))
        }
        (None, None) => None,
    };
    let modality = flags.modality.map(modality);
    let scoring = flags.scoring_rule.map(scoring_rule);
    let task = match base {
        Some(base) => TaskSpec {
            modality: modality.unwrap_or(base.modality),
            model_digest: digest.unwrap_or(base.model_digest),
            input_schema: flags.input_schema.unwrap_or(base.input_schema),
            output_schema: flags.output_schema.unwrap_or(base.output_schema),
            scoring_rule: scoring.unwrap_or(base.scoring_rule),
        },
        None => match (
            modality,
            digest,
            flags.input_schema,
            flags.output_schema,
            scoring,
        ) {
            (Some(modality), Some(model_digest), Some(input), Some(output), Some(rule)) => {
                TaskSpec {
                    modality,
                    model_digest,
                    input_schema: input,
                    output_schema: output,
                    scoring_rule: rule,
                }
            }
            _ => {
                let missing: Vec<&str> = [
                    (modality.is_none(), "--modality"),
                    (digest.is_none(), "--model-digest (or --model)"),
                    (flags.input_schema.is_none(), "--input-schema"),
                    (flags.output_schema.is_none(), "--output-schema"),
                    (scoring.is_none(), "--scoring-rule"),
                ]
                .into_iter()
                .filter_map(|(missing, flag)| missing.then_some(flag))
                .collect();
                bail!(
                    "the task needs {} (or --task digits|text-embedding|FILE)",
                    missing.join(", ")
                );
            }
        },
    };
    Ok((task, builtin))
}

/// Whether no hyperparameter flag was given.
pub fn no_values(args: &HyperparameterArgs) -> bool {
    args.tempo.is_none()
        && args.max_neurons.is_none()
        && args.max_validators.is_none()
        && args.immunity_period.is_none()
        && args.min_validator_stake.is_none()
        && args.commit_reveal.is_none()
}

/// `base` with the values the flags give.
pub fn apply(
    base: &Hyperparameters<u128>,
    args: &HyperparameterArgs,
) -> anyhow::Result<Hyperparameters<u128>> {
    Ok(Hyperparameters {
        tempo: args.tempo.unwrap_or(base.tempo),
        max_neurons: args.max_neurons.unwrap_or(base.max_neurons),
        max_validators: args.max_validators.unwrap_or(base.max_validators),
        immunity_period: args.immunity_period.unwrap_or(base.immunity_period),
        min_validator_stake: match &args.min_validator_stake {
            Some(text) => parse_mind(text).context("--min-validator-stake")?,
            None => base.min_validator_stake,
        },
        commit_reveal: args.commit_reveal.unwrap_or(base.commit_reveal),
    })
}

/// Refuses hyperparameters the governed bounds do not allow, naming the value and the bound
/// it breaks (the check the subnets pallet makes, `HyperparameterBounds::check`).
pub fn check_bounds(
    bounds: &HyperparameterBounds<u128>,
    params: &Hyperparameters<u128>,
) -> anyhow::Result<()> {
    fn range<T: std::fmt::Display>(range: &Range<T>) -> String {
        format!("{} to {}", range.min, range.max)
    }
    let Err(broken) = bounds.check(params) else {
        return Ok(());
    };
    let what = match broken {
        HyperparameterError::Tempo => format!(
            "tempo {} is outside the governed bounds: {} blocks",
            params.tempo,
            range(&bounds.tempo)
        ),
        HyperparameterError::MaxNeurons => format!(
            "max-neurons {} is outside the governed bounds: {} (and at most {})",
            params.max_neurons,
            range(&bounds.max_neurons),
            MAX_NEURONS_PER_SUBNET
        ),
        HyperparameterError::MaxValidators if params.max_validators > params.max_neurons => {
            format!(
                "max-validators {} is above max-neurons {}",
                params.max_validators, params.max_neurons
            )
        }
        HyperparameterError::MaxValidators => format!(
            "max-validators {} is outside the governed bounds: {}",
            params.max_validators,
            range(&bounds.max_validators)
        ),
        HyperparameterError::ImmunityPeriod => format!(
            "immunity-period {} is outside the governed bounds: {} blocks",
            params.immunity_period,
            range(&bounds.immunity_period)
        ),
        HyperparameterError::MinValidatorStake => format!(
            "min-validator-stake {} MIND is outside the governed bounds: {} to {} MIND",
            format_mind(params.min_validator_stake),
            format_mind(bounds.min_validator_stake.min),
            format_mind(bounds.min_validator_stake.max)
        ),
    };
    bail!("{what} (`mindos subnet hyperparameters` shows a subnet's values); nothing was sent")
}

pub(super) fn hyperparameters_text(h: &Hyperparameters<u128>) -> String {
    format!(
        "tempo {} blocks, {} neurons, {} validators, immunity {} blocks, validator stake {} \
         MIND, commit-reveal {}",
        h.tempo,
        h.max_neurons,
        h.max_validators,
        h.immunity_period,
        format_mind(h.min_validator_stake),
        if h.commit_reveal { "on" } else { "off" }
    )
}

/// What changes from `old` to `new`, as `tempo 20 → 30, …`.
pub fn changes(old: &Hyperparameters<u128>, new: &Hyperparameters<u128>) -> String {
    let mut out = Vec::new();
    let mut push = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name} {a} → {b}"));
        }
    };
    push("tempo", old.tempo.to_string(), new.tempo.to_string());
    push(
        "max-neurons",
        old.max_neurons.to_string(),
        new.max_neurons.to_string(),
    );
    push(
        "max-validators",
        old.max_validators.to_string(),
        new.max_validators.to_string(),
    );
    push(
        "immunity-period",
        old.immunity_period.to_string(),
        new.immunity_period.to_string(),
    );
    push(
        "min-validator-stake",
        format!("{} MIND", format_mind(old.min_validator_stake)),
        format!("{} MIND", format_mind(new.min_validator_stake)),
    );
    push(
        "commit-reveal",
        old.commit_reveal.to_string(),
        new.commit_reveal.to_string(),
    );
    out.join(", ")
}

pub(super) fn chain_hyperparameters(h: &Hyperparameters<u128>) -> chain::Hyperparameters<u128> {
    chain::Hyperparameters {
        tempo: h.tempo,
        max_neurons: h.max_neurons,
        max_validators: h.max_validators,
        immunity_period: h.immunity_period,
        min_validator_stake: h.min_validator_stake,
        commit_reveal: h.commit_reveal,
    }
}

pub(super) fn from_chain_hyperparameters(h: chain::Hyperparameters<u128>) -> Hyperparameters<u128> {
    Hyperparameters {
        tempo: h.tempo,
        max_neurons: h.max_neurons,
        max_validators: h.max_validators,
        immunity_period: h.immunity_period,
        min_validator_stake: h.min_validator_stake,
        commit_reveal: h.commit_reveal,
    }
}

pub(super) fn chain_task(task: &TaskSpec) -> chain::TaskSpec {
    chain::TaskSpec {
        modality: match task.modality {
            Modality::Text => chain::Modality::Text,
            Modality::Image => chain::Modality::Image,
            Modality::Audio => chain::Modality::Audio,
            Modality::Sensor => chain::Modality::Sensor,
            Modality::Bytes => chain::Modality::Bytes,
        },
        model_digest: task.model_digest,
        input_schema: task.input_schema,
        output_schema: task.output_schema,
        scoring_rule: match task.scoring_rule {
            ScoringRule::CosineSimilarity => chain::ScoringRule::CosineSimilarity,
            ScoringRule::Correctness => chain::ScoringRule::Correctness,
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn bounds() -> HyperparameterBounds<u128> {
        HyperparameterBounds {
            tempo: Range {
                min: 10,
                max: 14_400,
            },
            max_neurons: Range {
                min: 1,
                max: MAX_NEURONS_PER_SUBNET,
            },
            max_validators: Range { min: 1, max: 64 },
            immunity_period: Range {
                min: 0,
                max: 100_800,
            },
            min_validator_stake: Range {
                min: MIND,
                max: 1_000_000 * MIND,
            },
        }
    }

    fn refusal(params: Hyperparameters<u128>) -> String {
        let e = check_bounds(&bounds(), &params).unwrap_err().to_string();
        assert!(e.contains("nothing was sent"), "{e}");
        e
    }

    #[test]
    fn the_defaults_fit_the_launch_bounds_and_the_help_states_them() {
        let d = default_hyperparameters();
        check_bounds(&bounds(), &d).unwrap();
        use clap::CommandFactory;
        let mut cli = crate::Cli::command();
        let help = cli
            .find_subcommand_mut("subnet")
            .and_then(|s| s.find_subcommand_mut("create"))
            .unwrap()
            .render_long_help()
            .to_string();
        let stated = format!(
            "tempo {}, {} neurons, {} validators, immunity {} blocks, {} MIND validator stake, \
             commit-reveal {}",
            d.tempo,
            d.max_neurons,
            d.max_validators,
            d.immunity_period,
            format_mind(d.min_validator_stake),
            if d.commit_reveal { "on" } else { "off" }
        );
        // clap wraps the help at the terminal's width: compare the words, not the lines.
        let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains(&stated), "{stated}\n{help}");
    }

    #[test]
    fn each_broken_bound_is_named_with_its_range() {
        let base = default_hyperparameters();
        let e = refusal(Hyperparameters {
            tempo: 5,
            ..base.clone()
        });
        assert!(
            e.contains("tempo 5 is outside the governed bounds: 10 to 14400 blocks"),
            "{e}"
        );
        let e = refusal(Hyperparameters {
            max_neurons: 5000,
            ..base.clone()
        });
        assert!(e.contains("max-neurons 5000"), "{e}");
        let e = refusal(Hyperparameters {
            max_validators: 65,
            ..base.clone()
        });
        assert!(e.contains("max-validators 65 is outside"), "{e}");
        let e = refusal(Hyperparameters {
            max_neurons: 4,
            max_validators: 8,
            ..base.clone()
        });
        assert!(e.contains("max-validators 8 is above max-neurons 4"), "{e}");
        let e = refusal(Hyperparameters {
            immunity_period: 100_801,
            ..base.clone()
        });
        assert!(e.contains("immunity-period 100801"), "{e}");
        let e = refusal(Hyperparameters {
            min_validator_stake: MIND / 2,
            ..base
        });
        assert!(
            e.contains(
                "min-validator-stake 0.5 MIND is outside the governed bounds: 1 to 1000000 MIND"
            ),
            "{e}"
        );
    }

    #[test]
    fn flags_override_only_what_they_name() {
        let base = default_hyperparameters();
        let args = HyperparameterArgs {
            tempo: Some(30),
            min_validator_stake: Some("2.5".into()),
            commit_reveal: Some(false),
            ..HyperparameterArgs::default()
        };
        assert!(!no_values(&args));
        assert!(no_values(&HyperparameterArgs::default()));
        let new = apply(&base, &args).unwrap();
        assert_eq!(new.tempo, 30);
        assert_eq!(new.min_validator_stake, 5 * MIND / 2);
        assert!(!new.commit_reveal);
        assert_eq!(new.max_neurons, base.max_neurons);
        assert_eq!(
            changes(&base, &new),
            "tempo 20 → 30, min-validator-stake 100 MIND → 2.5 MIND, commit-reveal true → false"
        );
        let bad = HyperparameterArgs {
            min_validator_stake: Some("1.0000000000001".into()),
            ..HyperparameterArgs::default()
        };
        assert!(apply(&base, &bad).is_err());
    }

    #[test]
    fn a_task_comes_from_a_builtin_a_file_or_flags() {
        let digits = TaskArgs {
            task: Some("digits".into()),
            ..TaskArgs::default()
        };
        let (task, name) = task_from(&digits).unwrap();
        assert_eq!(name, Some("digits"));
        assert_eq!(task.model_digest, DIGITS_MODEL_DIGEST);
        assert_eq!((task.input_schema, task.output_schema), (2, 2));

        // A flag overrides the built-in task's field.
        let other = TaskArgs {
            model_digest: Some(format!("0x{}", "ab".repeat(32))),
            ..digits.clone()
        };
        assert_eq!(task_from(&other).unwrap().0.model_digest, [0xab; 32]);

        // A file in the node's shape, as `mindos_subnet`'s `task` prints it.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("task.json");
        std::fs::write(&file, serde_json::to_string(&task).unwrap()).unwrap();
        let from_file = TaskArgs {
            task: Some(file.display().to_string()),
            ..TaskArgs::default()
        };
        assert_eq!(task_from(&from_file).unwrap(), (task.clone(), None));

        // A model file's BLAKE2b-256 is the digest.
        let model = dir.path().join("model.onnx");
        std::fs::write(&model, b"not really onnx").unwrap();
        let hashed = TaskArgs {
            model: Some(model),
            ..digits
        };
        assert_eq!(
            task_from(&hashed).unwrap().0.model_digest,
            sp_crypto_hashing::blake2_256(b"not really onnx")
        );

        // Without --task every field needs its flag, and the error names the missing ones.
        let partial = TaskArgs {
            modality: Some(ModalityArg::Image),
            input_schema: Some(2),
            ..TaskArgs::default()
        };
        let e = task_from(&partial).unwrap_err().to_string();
        assert!(e.contains("--model-digest (or --model)"), "{e}");
        assert!(e.contains("--output-schema, --scoring-rule"), "{e}");
        assert!(!e.contains("--modality"), "{e}");

        let unknown = TaskArgs {
            task: Some("no-such-task".into()),
            ..TaskArgs::default()
        };
        assert!(task_from(&unknown)
            .unwrap_err()
            .to_string()
            .contains("neither"));
        assert!(parse_digest("0x12").is_err());
        assert!(parse_digest(&"ab".repeat(32)).is_err());
    }
}
