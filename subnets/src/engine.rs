//! The [`Subnet`] trait (typed, one implementation per task) and [`SubnetEngine`] (the
//! object-safe face miners and validators hold as `Arc<dyn SubnetEngine>`).

use std::fmt::Debug;

use mindos_primitives::{Modality, ModelDigest, ScoringRule, TaskSpec};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{digest::to_hex, fresh::Disagreement, Input, Output, Prepared, SubnetError};

/// What a subnet is, as the chain's `TaskSpec` describes it, plus local limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetInfo {
    /// The on-chain subnet name, e.g. `text-embedding`.
    pub name: &'static str,
    /// Kind of input.
    pub modality: Modality,
    /// How responses are scored (and aggregated).
    pub scoring_rule: ScoringRule,
    /// `TaskSpec::input_schema`: version of the input wire format.
    pub input_schema: u32,
    /// `TaskSpec::output_schema`: version of the output wire format.
    pub output_schema: u32,
    /// BLAKE2b-256 of the model file loaded (checked at load).
    pub model_digest: ModelDigest,
    /// Largest batch `infer_batch` accepts.
    pub max_batch: usize,
    /// Largest `/mindos/infer/1` request body for this subnet (its JSON, envelope included);
    /// a miner refuses larger ones before parsing them.
    pub max_request_bytes: u32,
    /// Largest `/mindos/infer/1` answer body for this subnet (its JSON, envelope included);
    /// a validator refuses larger ones as `too_large` without keeping them.
    pub max_response_bytes: u32,
}

impl SubnetInfo {
    /// Fails unless `spec` describes this subnet and this exact model file.
    pub fn check_task(&self, spec: &TaskSpec) -> Result<(), SubnetError> {
        if spec.model_digest != self.model_digest {
            return Err(SubnetError::DigestMismatch {
                file: format!("the `{}` model", self.name),
                expected: to_hex(&spec.model_digest),
                actual: to_hex(&self.model_digest),
            });
        }
        let mismatch =
            |field, chain: &dyn Debug, local: &dyn Debug| SubnetError::TaskSpecMismatch {
                field,
                chain: format!("{chain:?}"),
                local: format!("{local:?}"),
            };
        if spec.modality != self.modality {
            return Err(mismatch("modality", &spec.modality, &self.modality));
        }
        if spec.scoring_rule != self.scoring_rule {
            return Err(mismatch(
                "scoring_rule",
                &spec.scoring_rule,
                &self.scoring_rule,
            ));
        }
        if spec.input_schema != self.input_schema {
            return Err(mismatch(
                "input_schema",
                &spec.input_schema,
                &self.input_schema,
            ));
        }
        if spec.output_schema != self.output_schema {
            return Err(mismatch(
                "output_schema",
                &spec.output_schema,
                &self.output_schema,
            ));
        }
        Ok(())
    }
}

/// An input decoded, checked and made ready for the model (text already tokenized), from
/// [`SubnetEngine::prepare_input`]. [`SubnetEngine::infer_prepared`] runs it without
/// repeating the work the check did. Opaque; it belongs to the subnet that prepared it.
pub struct PreparedInput(Prepared);

impl PreparedInput {
    /// The subnet this input belongs to.
    pub fn subnet(&self) -> &'static str {
        self.0.subnet()
    }
}

impl Debug for PreparedInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedInput")
            .field("subnet", &self.subnet())
            .finish_non_exhaustive()
    }
}

/// A type that is one variant of an enum `E` of all subnets ([`Input`], [`Output`]): how
/// the generic adapter from [`Subnet`] to [`SubnetEngine`] moves typed values in and out of
/// the enums. The registry in `lib.rs` implements it for each subnet's types.
pub trait Variant<E>: Sized {
    /// Wraps `self` into the enum.
    fn wrap(self) -> E;
    /// The variant's value, or `None` if `e` belongs to another subnet.
    fn peek(e: &E) -> Option<&Self>;
    /// The variant's value, or `e` back if it belongs to another subnet.
    fn unwrap(e: E) -> Result<Self, E>;
}

/// The robust aggregate of `k` responses to one input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregate<O> {
    /// The aggregated answer.
    pub value: O,
    /// Share of all `k` responses that agree with `value` (0..=1); invalid responses count
    /// as disagreeing. For embeddings: cosine to `value` at least
    /// [`AGREEMENT_COSINE`](crate::text_embedding::AGREEMENT_COSINE); for classes: same label.
    pub agreement: f32,
    /// Each response's score against `value`, in input order (0 for invalid ones).
    pub scores: Vec<f32>,
    /// How many responses were valid outputs and took part.
    pub valid: usize,
}

/// A validation sample: an input and the answer it must get. The validation sets are the
/// subnets' accuracy tests (and a miner's warm-up input); validators challenge miners with
/// [`SubnetEngine::fresh_input`] instead, which nobody can have seen before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Challenge {
    /// Position in the subnet's validation set.
    pub index: usize,
    /// What to send to a miner.
    pub input: Input,
    /// What to score its response against with [`SubnetEngine::score`].
    pub reference: Output,
}

/// What a subnet computes, with its own input and output types. One implementation per
/// task; miners and validators use it through [`SubnetEngine`]. An implementation is
/// registered by its line in the `subnets!` list in `lib.rs`, which gives its `Input` and
/// `Output` their variants in [`Input`] and [`Output`].
///
/// Implementations never panic, whatever the input.
pub trait Subnet: Send + Sync + 'static {
    /// One request, e.g. [`TextInput`](crate::text_embedding::TextInput).
    type Input: Variant<Input> + Clone + Debug + Serialize + DeserializeOwned + Send + Sync;
    /// One answer, e.g. [`Embedding`](crate::text_embedding::Embedding).
    type Output: Variant<Output> + Clone + Debug + Serialize + DeserializeOwned + Send + Sync;

    /// An input checked and ready for the model, e.g. its tokens: checking a text means
    /// tokenizing it, and a miner checks each request before it joins a batch, so the batch
    /// runs on what the check produced instead of tokenizing twice.
    type Prepared: Send + 'static;

    /// Name, task spec fields, model digest and limits.
    fn info(&self) -> &SubnetInfo;

    /// Checks an input the way the model needs it (length, range, token limit) and prepares
    /// it for [`Subnet::run`].
    fn prepare(&self, input: &Self::Input) -> Result<Self::Prepared, SubnetError>;

    /// Checks an input without keeping what [`Subnet::prepare`] made of it.
    fn validate_input(&self, input: &Self::Input) -> Result<(), SubnetError> {
        self.prepare(input).map(drop)
    }

    /// Checks that `output` could be an answer (size, finiteness, label range).
    fn validate_output(&self, output: &Self::Output) -> Result<(), SubnetError>;

    /// Runs the model on all `inputs` as one batch. Callers go through [`Subnet::infer`] or
    /// [`SubnetEngine::infer_prepared`], which check the batch size first.
    fn run(&self, inputs: &[Self::Prepared]) -> Result<Vec<Self::Output>, SubnetError>;

    /// How good `response` is against `reference`, in 0..=1; 0 for an invalid response.
    fn score(&self, response: &Self::Output, reference: &Self::Output) -> f32;

    /// What an answer means, as bytes: a miner signs their hash
    /// ([`mindos_primitives::evidence::output_hash`]), so two answers that say the same thing
    /// hash alike however their JSON is spelled, and two that differ never do. State it in the
    /// subnet's docs; it is part of the evidence format.
    fn canonical_output(&self, output: &Self::Output) -> Vec<u8>;

    /// Whether `response` is what the pinned model answers, `reference` being the
    /// validator's own run of it on the same input (re-execution). Exact where the model's
    /// answer is exact (a class: equal canonical outputs), within a per-subnet tolerance
    /// where floats differ between honest machines. State the rule and its tolerance in the
    /// subnet's docs.
    fn agrees(&self, response: &Self::Output, reference: &Self::Output)
        -> Result<(), Disagreement>;

    /// A challenge input nobody has seen before, drawn from `seed`: valid, the same for the
    /// same seed (so tests and audits can regenerate it), and never one of the subnet's
    /// validation samples. Its reference answer is the pinned model's output on it.
    fn fresh_input(&self, seed: u64) -> Self::Input;

    /// Robust aggregate of `k` responses to the same input.
    fn aggregate(&self, responses: &[Self::Output])
        -> Result<Aggregate<Self::Output>, SubnetError>;

    /// Size of the validation set (accuracy tests; not used for challenges).
    fn validation_len(&self) -> usize;

    /// Validation sample `index`: input and reference answer.
    fn validation_sample(&self, index: usize) -> Option<(Self::Input, Self::Output)>;

    /// Runs a batch: fails on an empty or too large batch, or any invalid input.
    fn infer(&self, inputs: &[Self::Input]) -> Result<Vec<Self::Output>, SubnetError> {
        check_batch(inputs.len(), self.info().max_batch)?;
        let prepared = inputs
            .iter()
            .map(|input| self.prepare(input))
            .collect::<Result<Vec<_>, _>>()?;
        self.run(&prepared)
    }

    /// Decodes and validates one input from its JSON bytes.
    fn decode_input(&self, bytes: &[u8]) -> Result<Self::Input, SubnetError> {
        let input = decode_json(bytes, "input")?;
        self.validate_input(&input)?;
        Ok(input)
    }

    /// The wire bytes of an input (what a validator sends).
    fn encode_input(&self, input: &Self::Input) -> Result<Vec<u8>, SubnetError> {
        encode_json(input, "input")
    }

    /// The wire bytes of an output (what a miner answers).
    fn encode_output(&self, output: &Self::Output) -> Result<Vec<u8>, SubnetError> {
        encode_json(output, "output")
    }

    /// Decodes and validates one output (a miner's response) from its JSON bytes.
    fn decode_output(&self, bytes: &[u8]) -> Result<Self::Output, SubnetError> {
        let output = decode_json(bytes, "output")?;
        self.validate_output(&output)?;
        Ok(output)
    }
}

/// Fails on an empty batch or one larger than `max`.
pub(crate) fn check_batch(len: usize, max: usize) -> Result<(), SubnetError> {
    if len == 0 {
        Err(SubnetError::EmptyBatch)
    } else if len > max {
        Err(SubnetError::BatchTooLarge { len, max })
    } else {
        Ok(())
    }
}

fn decode_json<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, SubnetError> {
    let text = std::str::from_utf8(bytes).map_err(|e| SubnetError::InvalidUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    // serde would also accept a struct written as an array (`["..."]`); the wire
    // format is an object, nothing else.
    if !text.trim_start().starts_with('{') {
        return Err(SubnetError::MalformedJson {
            what,
            message: "expected a JSON object".to_owned(),
        });
    }
    serde_json::from_str(text).map_err(|e| SubnetError::MalformedJson {
        what,
        message: e.to_string(),
    })
}

fn encode_json<T: Serialize>(value: &T, what: &'static str) -> Result<Vec<u8>, SubnetError> {
    serde_json::to_vec(value).map_err(|e| SubnetError::MalformedJson {
        what,
        message: e.to_string(),
    })
}

/// A subnet behind a trait object: look it up by name with [`crate::load`] and call it
/// with bytes or the [`Input`]/[`Output`] enums, without knowing its type.
///
/// Inference is blocking CPU work: call [`SubnetEngine::infer_batch`] from a blocking
/// thread (`tokio::task::spawn_blocking`), never on an async executor.
pub trait SubnetEngine: Send + Sync {
    /// Name, task spec fields, model digest and limits.
    fn info(&self) -> &SubnetInfo;

    /// The subnet's name, e.g. `digits`.
    fn name(&self) -> &'static str {
        self.info().name
    }

    /// BLAKE2b-256 of the loaded model file, to compare with `TaskSpec::model_digest`.
    fn model_digest(&self) -> ModelDigest {
        self.info().model_digest
    }

    /// Fails unless the chain's `spec` describes this subnet and this model file.
    fn check_task(&self, spec: &TaskSpec) -> Result<(), SubnetError> {
        self.info().check_task(spec)
    }

    /// Decodes and validates one request body. Decode each request before batching, so
    /// one bad request cannot fail a batch.
    fn decode_input(&self, bytes: &[u8]) -> Result<Input, SubnetError>;

    /// Validates an input (e.g. one built in code, or deserialized elsewhere).
    fn validate_input(&self, input: &Input) -> Result<(), SubnetError>;

    /// Runs `inputs` as one batch, in order. Fails as a whole on an empty or too large
    /// batch, an input of another subnet, an invalid input or an ONNX Runtime error.
    fn infer_batch(&self, inputs: Vec<Input>) -> Result<Vec<Output>, SubnetError>;

    /// Decodes, validates and prepares one request body (text is tokenized once, here), for
    /// [`SubnetEngine::infer_prepared`]. Fails like [`SubnetEngine::decode_input`].
    fn prepare_input(&self, bytes: &[u8]) -> Result<PreparedInput, SubnetError>;

    /// Runs prepared inputs as one batch, in order. Fails as a whole on an empty or too
    /// large batch, an input another subnet prepared or an ONNX Runtime error.
    fn infer_prepared(&self, inputs: Vec<PreparedInput>) -> Result<Vec<Output>, SubnetError>;

    /// Decodes and validates a response body.
    fn decode_output(&self, bytes: &[u8]) -> Result<Output, SubnetError>;

    /// The wire bytes of an input (what a validator sends).
    fn encode_input(&self, input: &Input) -> Result<Vec<u8>, SubnetError> {
        encode_json(input, "input")
    }

    /// The wire bytes of an output (what a miner answers).
    fn encode_output(&self, output: &Output) -> Result<Vec<u8>, SubnetError> {
        encode_json(output, "output")
    }

    /// Decode, run and encode one request: bytes in, bytes out.
    fn infer_json(&self, request: &[u8]) -> Result<Vec<u8>, SubnetError> {
        let input = self.decode_input(request)?;
        let output = self
            .infer_batch(vec![input])?
            .into_iter()
            .next()
            .ok_or(SubnetError::EmptyBatch)?;
        self.encode_output(&output)
    }

    /// `response` scored against `reference`, in 0..=1; 0 if either is invalid or of
    /// another subnet.
    fn score(&self, response: &Output, reference: &Output) -> f32;

    /// The answer's canonical bytes ([`Subnet::canonical_output`]); fails on an output of
    /// another subnet.
    fn canonical_output(&self, output: &Output) -> Result<Vec<u8>, SubnetError>;

    /// The hash a miner signs for `output`: [`mindos_primitives::evidence::output_hash`] of its
    /// canonical bytes. Fails on an output of another subnet.
    fn output_hash(&self, output: &Output) -> Result<[u8; 32], SubnetError> {
        self.canonical_output(output)
            .map(|bytes| mindos_primitives::evidence::output_hash(&bytes))
    }

    /// Whether `response` agrees with `reference`, the validator's own run of the pinned
    /// model on the same input ([`Subnet::agrees`]); a response or reference of another
    /// subnet disagrees.
    fn agrees(&self, response: &Output, reference: &Output) -> Result<(), Disagreement>;

    /// A fresh challenge input drawn from `seed` ([`Subnet::fresh_input`]): cheap to make
    /// (a text is tokenized once to check its length), deterministic per seed, never a
    /// validation sample. Its reference is [`SubnetEngine::infer_batch`] on it.
    fn fresh_input(&self, seed: u64) -> Input;

    /// Robust aggregate of `k` responses to one input. Fails on no responses, a response of
    /// another subnet, or no valid response.
    fn aggregate(&self, responses: &[Output]) -> Result<Aggregate<Output>, SubnetError>;

    /// Size of the validation set: the subnet's accuracy tests and warm-up inputs.
    /// Validators do not challenge with it ([`SubnetEngine::fresh_input`]).
    fn validation_len(&self) -> usize;

    /// Validation sample `index` (`None` past the end).
    fn challenge(&self, index: usize) -> Option<Challenge>;
}

/// Adapts a [`Subnet`] to [`SubnetEngine`].
pub(crate) struct Engine<S>(pub(crate) S);

impl<S: Subnet> Engine<S> {
    fn typed_input(&self, input: Input) -> Result<S::Input, SubnetError> {
        S::Input::unwrap(input).map_err(|other| SubnetError::WrongSubnet {
            kind: "input",
            expected: self.0.info().name,
            got: other.subnet(),
        })
    }
}

// `Prepared` is private, so its bound sits here rather than on `Subnet::Prepared`.
impl<S: Subnet> SubnetEngine for Engine<S>
where
    S::Prepared: Variant<Prepared>,
{
    fn info(&self) -> &SubnetInfo {
        self.0.info()
    }

    fn decode_input(&self, bytes: &[u8]) -> Result<Input, SubnetError> {
        self.0.decode_input(bytes).map(Variant::wrap)
    }

    fn validate_input(&self, input: &Input) -> Result<(), SubnetError> {
        match S::Input::peek(input) {
            Some(typed) => self.0.validate_input(typed),
            None => Err(SubnetError::WrongSubnet {
                kind: "input",
                expected: self.0.info().name,
                got: input.subnet(),
            }),
        }
    }

    fn infer_batch(&self, inputs: Vec<Input>) -> Result<Vec<Output>, SubnetError> {
        check_batch(inputs.len(), self.0.info().max_batch)?;
        let typed = inputs
            .into_iter()
            .map(|i| self.typed_input(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self
            .0
            .infer(&typed)?
            .into_iter()
            .map(Variant::wrap)
            .collect())
    }

    fn prepare_input(&self, bytes: &[u8]) -> Result<PreparedInput, SubnetError> {
        let input = decode_json::<S::Input>(bytes, "input")?;
        Ok(PreparedInput(self.0.prepare(&input)?.wrap()))
    }

    fn infer_prepared(&self, inputs: Vec<PreparedInput>) -> Result<Vec<Output>, SubnetError> {
        check_batch(inputs.len(), self.0.info().max_batch)?;
        let typed = inputs
            .into_iter()
            .map(|input| {
                S::Prepared::unwrap(input.0).map_err(|other| SubnetError::WrongSubnet {
                    kind: "input",
                    expected: self.0.info().name,
                    got: other.subnet(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.0.run(&typed)?.into_iter().map(Variant::wrap).collect())
    }

    fn decode_output(&self, bytes: &[u8]) -> Result<Output, SubnetError> {
        self.0.decode_output(bytes).map(Variant::wrap)
    }

    fn score(&self, response: &Output, reference: &Output) -> f32 {
        match (S::Output::peek(response), S::Output::peek(reference)) {
            (Some(response), Some(reference)) => self.0.score(response, reference),
            _ => 0.0,
        }
    }

    fn canonical_output(&self, output: &Output) -> Result<Vec<u8>, SubnetError> {
        S::Output::peek(output)
            .map(|typed| self.0.canonical_output(typed))
            .ok_or(SubnetError::WrongSubnet {
                kind: "output",
                expected: self.0.info().name,
                got: output.subnet(),
            })
    }

    fn agrees(&self, response: &Output, reference: &Output) -> Result<(), Disagreement> {
        fn typed<O: Variant<Output>>(output: &Output) -> Result<&O, Disagreement> {
            O::peek(output).ok_or(Disagreement::WrongSubnet {
                got: output.subnet(),
            })
        }
        self.0.agrees(
            typed::<S::Output>(response)?,
            typed::<S::Output>(reference)?,
        )
    }

    fn fresh_input(&self, seed: u64) -> Input {
        self.0.fresh_input(seed).wrap()
    }

    fn aggregate(&self, responses: &[Output]) -> Result<Aggregate<Output>, SubnetError> {
        let typed = responses
            .iter()
            .map(|r| {
                S::Output::peek(r).cloned().ok_or(SubnetError::WrongSubnet {
                    kind: "output",
                    expected: self.0.info().name,
                    got: r.subnet(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let agg = self.0.aggregate(&typed)?;
        Ok(Aggregate {
            value: agg.value.wrap(),
            agreement: agg.agreement,
            scores: agg.scores,
            valid: agg.valid,
        })
    }

    fn validation_len(&self) -> usize {
        self.0.validation_len()
    }

    fn challenge(&self, index: usize) -> Option<Challenge> {
        self.0
            .validation_sample(index)
            .map(|(input, reference)| Challenge {
                index,
                input: input.wrap(),
                reference: reference.wrap(),
            })
    }
}
