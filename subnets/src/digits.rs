//! Subnet `digits`: a small MLP classifying 8×8 handwritten digits (scikit-learn's
//! `load_digits`), built into the crate with its held-out set (`models/digits/`).
//!
//! - Input `{"pixels": [64 numbers]}`: row-major grey levels, each finite and in 0..=16.
//! - Output `{"label": 0..=9, "probabilities": [10 numbers]}`: the model's class and its
//!   softmax; `probabilities[i]` is digit `i`.
//! - Score: correctness, 1 if the label equals the reference label, else 0.
//! - Aggregate: majority vote on the label; ties go to the label with the larger total
//!   probability over the valid responses, then to the smaller label. The aggregate's
//!   probabilities are the coordinate-wise median of the winning voters', renormalised.
//!   Agreement is the winner's share of all responses.
//!
//! The validation set is the 360-sample held-out split (`models/digits/heldout.json`);
//! the model gets 349 of them right (0.9694). A reference output there is the true label
//! with a one-hot `probabilities`.
//!
//! Fresh challenges ([`Subnet::fresh_input`]) are held-out images augmented at random: a
//! shift of up to one pixel each way, a brightness scale of 70–130 %, a stroke of 2–4
//! pixels with probability ½, and noise of ±1..=4 grey levels on 2–8 pixels; integer grey
//! levels in 0..=16 like the UCI images, never equal to a held-out sample. The reference is
//! the model's own answer on the image, and an answer agrees with it when the labels (the
//! canonical output) are equal: the MLP runs in float32 with a margin that makes the argmax
//! the same on every honest machine (`subnets/README.md`).

use mindos_primitives::{Modality, ModelDigest, ScoringRule};
use ndarray::Array2;
use ort::value::Tensor;
use serde::{Deserialize, Serialize};

use crate::{
    digest,
    engine::{Aggregate, Subnet, SubnetInfo},
    fresh::{Disagreement, SplitMix64},
    math,
    runtime::{read_asset, EngineConfig, SessionPool, MODELS_DIR_ENV},
    SubnetError,
};

/// The on-chain subnet name.
pub const NAME: &str = "digits";
/// Pixels per image (8×8).
pub const PIXELS: usize = 64;
/// Classes (digits 0–9).
pub const CLASSES: usize = 10;
/// Largest pixel value; the smallest is 0.
pub const MAX_PIXEL: f32 = 16.0;
/// Default largest batch.
pub const DEFAULT_MAX_BATCH: usize = 1024;
/// Largest request body: 64 pixels in their shortest spelling make a request under 1 KiB;
/// twice that leaves room for the long decimals (`0.30000000000000004`) a gateway may pass
/// on as its client wrote them.
pub const MAX_REQUEST_BYTES: u32 = 2 * 1024;
/// Largest answer body: a label and 10 probabilities make under 256 bytes even with every
/// number in its longest spelling (24 characters, `-2.2250738585072014e-308`); 1 KiB leaves
/// room for a refusal's message.
pub const MAX_RESPONSE_BYTES: u32 = 1024;
/// `TaskSpec::input_schema` of this subnet.
pub const INPUT_SCHEMA: u32 = 2;
/// `TaskSpec::output_schema` of this subnet.
pub const OUTPUT_SCHEMA: u32 = 2;
/// BLAKE2b-256 of `models/digits/model.onnx`; the dev genesis pins the same value
/// ([`mindos_primitives::DIGITS_MODEL_DIGEST`]).
pub const MODEL_DIGEST: ModelDigest = mindos_primitives::DIGITS_MODEL_DIGEST;
/// The model file, built in (10,713 bytes).
pub const MODEL_ONNX: &[u8] = include_bytes!("../models/digits/model.onnx");
/// Held-out samples the model reaches [`HELDOUT_CORRECT`] on.
pub const HELDOUT_LEN: usize = 360;
/// Held-out samples the model classifies correctly (0.9694).
pub const HELDOUT_CORRECT: usize = 349;

const HELDOUT_JSON: &str = include_str!("../models/digits/heldout.json");

/// One request: `{"pixels": [64 numbers in 0..=16]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitsInput {
    /// Row-major 8×8 grey levels.
    pub pixels: Vec<f32>,
}

/// One answer: `{"label": 0..=9, "probabilities": [10 numbers]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitsOutput {
    /// The predicted digit.
    pub label: u8,
    /// Class probabilities; index `i` is digit `i`.
    pub probabilities: Vec<f32>,
}

#[derive(Deserialize)]
struct HeldoutFile {
    inputs: Vec<Vec<f32>>,
    labels: Vec<u8>,
}

/// The digits subnet with its model loaded.
pub struct Digits {
    info: SubnetInfo,
    pool: SessionPool,
    heldout: Vec<(DigitsInput, u8)>,
}

impl Digits {
    /// Loads the built-in model (or `config.model_path`) and checks its digest.
    pub fn load(config: &EngineConfig) -> Result<Self, SubnetError> {
        let expected = config.expected_digest.unwrap_or(MODEL_DIGEST);
        let (model, file) = match &config.model_path {
            Some(path) => (
                read_asset("digits model", path, MODELS_DIR_ENV)?,
                path.display().to_string(),
            ),
            None => (
                MODEL_ONNX.to_vec(),
                "digits/model.onnx (built in)".to_owned(),
            ),
        };
        let model_digest = digest::check(&file, &model, &expected)?;
        let pool = SessionPool::new(model, config)?;
        Ok(Self {
            info: SubnetInfo {
                name: NAME,
                modality: Modality::Image,
                scoring_rule: ScoringRule::Correctness,
                input_schema: INPUT_SCHEMA,
                output_schema: OUTPUT_SCHEMA,
                model_digest,
                max_batch: config.max_batch.unwrap_or(DEFAULT_MAX_BATCH),
                max_request_bytes: MAX_REQUEST_BYTES,
                max_response_bytes: MAX_RESPONSE_BYTES,
            },
            pool,
            heldout: heldout()?,
        })
    }
}

/// The held-out set: inputs with their true labels.
pub fn heldout() -> Result<Vec<(DigitsInput, u8)>, SubnetError> {
    let bad = |message: String| SubnetError::ValidationData {
        subnet: NAME,
        message,
    };
    let file: HeldoutFile = serde_json::from_str(HELDOUT_JSON).map_err(|e| bad(e.to_string()))?;
    if file.inputs.len() != file.labels.len() {
        return Err(bad(format!(
            "{} inputs but {} labels",
            file.inputs.len(),
            file.labels.len()
        )));
    }
    file.inputs
        .into_iter()
        .zip(file.labels)
        .map(|(pixels, label)| {
            let input = DigitsInput { pixels };
            check_input(&input).map_err(|e| bad(e.to_string()))?;
            if usize::from(label) >= CLASSES {
                return Err(bad(format!("label {label}")));
            }
            Ok((input, label))
        })
        .collect()
}

fn check_input(input: &DigitsInput) -> Result<(), SubnetError> {
    check_vector("pixels", &input.pixels, PIXELS, MAX_PIXEL)
}

fn check_output(output: &DigitsOutput) -> Result<(), SubnetError> {
    if usize::from(output.label) >= CLASSES {
        return Err(SubnetError::OutOfRange {
            what: "label",
            index: 0,
            value: f64::from(output.label),
            min: 0.0,
            max: 9.0,
        });
    }
    check_vector("probabilities", &output.probabilities, CLASSES, 1.0)
}

/// `len` finite values in `0..=max`.
fn check_vector(what: &'static str, v: &[f32], len: usize, max: f32) -> Result<(), SubnetError> {
    if v.len() != len {
        return Err(SubnetError::WrongLength {
            what,
            expected: len,
            got: v.len(),
        });
    }
    for (index, &x) in v.iter().enumerate() {
        if !x.is_finite() {
            return Err(SubnetError::NonFinite { what, index });
        }
        if !(0.0..=max).contains(&x) {
            return Err(SubnetError::OutOfRange {
                what,
                index,
                value: f64::from(x),
                min: 0.0,
                max: f64::from(max),
            });
        }
    }
    Ok(())
}

fn one_hot(label: u8) -> Vec<f32> {
    (0..CLASSES)
        .map(|i| if i == usize::from(label) { 1.0 } else { 0.0 })
        .collect()
}

impl Subnet for Digits {
    type Input = DigitsInput;
    type Output = DigitsOutput;
    /// Checking pixels produces nothing new: the prepared input is the input.
    type Prepared = DigitsInput;

    fn info(&self) -> &SubnetInfo {
        &self.info
    }

    fn prepare(&self, input: &DigitsInput) -> Result<DigitsInput, SubnetError> {
        check_input(input)?;
        Ok(input.clone())
    }

    fn validate_output(&self, output: &DigitsOutput) -> Result<(), SubnetError> {
        check_output(output)
    }

    fn run(&self, inputs: &[DigitsInput]) -> Result<Vec<DigitsOutput>, SubnetError> {
        let rows = inputs.len();
        let flat: Vec<f32> = inputs
            .iter()
            .flat_map(|i| i.pixels.iter().copied())
            .collect();
        let x =
            Array2::from_shape_vec((rows, PIXELS), flat).map_err(|_| SubnetError::WrongLength {
                what: "pixels",
                expected: PIXELS,
                got: 0,
            })?;
        let x = Tensor::from_array(x).map_err(|e| SubnetError::ort("building inputs", e))?;
        let mut session = self.pool.get()?;
        let outputs = session
            .run(ort::inputs!["input" => x])
            .map_err(|e| SubnetError::ort("running digits", e))?;
        let get = |name: &'static str| {
            outputs
                .get(name)
                .ok_or_else(|| SubnetError::ort("running digits", format!("no output `{name}`")))
        };
        let labels = get("label")?
            .try_extract_array::<i64>()
            .map_err(|e| SubnetError::ort("reading label", e))?;
        let probabilities = get("probabilities")?
            .try_extract_array::<f32>()
            .map_err(|e| SubnetError::ort("reading probabilities", e))?;
        if labels.shape() != [rows] {
            return Err(SubnetError::WrongShape {
                output: "label",
                expected: format!("[{rows}]"),
                got: labels.shape().to_vec(),
            });
        }
        if probabilities.shape() != [rows, CLASSES] {
            return Err(SubnetError::WrongShape {
                output: "probabilities",
                expected: format!("[{rows}, {CLASSES}]"),
                got: probabilities.shape().to_vec(),
            });
        }
        labels
            .iter()
            .zip(probabilities.rows())
            .map(|(&label, probs)| {
                let output = DigitsOutput {
                    label: u8::try_from(label).map_err(|_| SubnetError::InvalidOutput {
                        what: "label",
                        reason: format!("model returned {label}"),
                    })?,
                    probabilities: probs.to_vec(),
                };
                check_output(&output)?;
                Ok(output)
            })
            .collect()
    }

    fn score(&self, response: &DigitsOutput, reference: &DigitsOutput) -> f32 {
        score_label(response, reference.label)
    }

    /// The label, one byte: it is what an answer is scored on, and the probabilities are
    /// floats whose last bits differ between honest machines.
    fn canonical_output(&self, output: &DigitsOutput) -> Vec<u8> {
        vec![output.label]
    }

    /// Equal labels (the canonical output); an invalid response disagrees.
    fn agrees(
        &self,
        response: &DigitsOutput,
        reference: &DigitsOutput,
    ) -> Result<(), Disagreement> {
        check_output(response).map_err(|e| Disagreement::Invalid {
            reason: e.to_string(),
        })?;
        if response.label == reference.label {
            Ok(())
        } else {
            Err(Disagreement::Canonical {
                got: format!("label {}", response.label),
                expected: format!("label {}", reference.label),
            })
        }
    }

    fn fresh_input(&self, seed: u64) -> DigitsInput {
        fresh_image(&self.heldout, seed)
    }

    fn aggregate(
        &self,
        responses: &[DigitsOutput],
    ) -> Result<Aggregate<DigitsOutput>, SubnetError> {
        aggregate_votes(responses)
    }

    fn validation_len(&self) -> usize {
        self.heldout.len()
    }

    fn validation_sample(&self, index: usize) -> Option<(DigitsInput, DigitsOutput)> {
        self.heldout.get(index).map(|(input, label)| {
            (
                input.clone(),
                DigitsOutput {
                    label: *label,
                    probabilities: one_hot(*label),
                },
            )
        })
    }
}

/// Side of the image, in pixels.
const SIDE: usize = 8;
/// Grey levels, as integers: the UCI images' and the fresh ones'.
const LEVELS: u8 = 16;

/// A held-out image augmented as the [module docs](self) say, drawn from `seed`. With an
/// empty held-out set (which [`heldout`] refuses) the base is a blank image.
pub fn fresh_image(heldout: &[(DigitsInput, u8)], seed: u64) -> DigitsInput {
    let mut rng = SplitMix64::new(seed);
    let mut image = [0u8; PIXELS];
    if let Some((base, _)) = heldout.get(rng.below(heldout.len())) {
        let (dx, dy) = (rng.below(3), rng.below(3));
        // Brightness in percent.
        let scale = rng.between(70, 130);
        for (i, &p) in base.pixels.iter().enumerate().take(PIXELS) {
            // Shift by dx − 1, dy − 1: the pixel at (x, y) moves to (x + dx − 1, y + dy − 1).
            let (x, y) = ((i % SIDE).saturating_add(dx), (i / SIDE).saturating_add(dy));
            if (1..=SIDE).contains(&x) && (1..=SIDE).contains(&y) {
                let level = (f64::from(p) * scale as f64 / 100.0).round();
                // In range: 1 ≤ x, y ≤ SIDE.
                let to = (y.wrapping_sub(1))
                    .wrapping_mul(SIDE)
                    .wrapping_add(x.wrapping_sub(1));
                if let Some(slot) = image.get_mut(to) {
                    *slot = level.clamp(0.0, f64::from(LEVELS)) as u8;
                }
            }
        }
    }
    if rng.one_in(2) {
        stroke(&mut image, &mut rng);
    }
    for _ in 0..rng.between(2, 8) {
        nudge(&mut image, &mut rng);
    }
    // Equal to a held-out image only by a rare accident; each nudge changes one pixel, so
    // a few make it new (bounded: the set has HELDOUT_LEN images).
    for _ in 0..=heldout.len() {
        if !heldout.iter().any(|(h, _)| same_image(h, &image)) {
            break;
        }
        nudge(&mut image, &mut rng);
    }
    DigitsInput {
        pixels: image.iter().map(|&p| f32::from(p)).collect(),
    }
}

/// A straight stroke of 2–4 pixels in one of 8 directions, at grey level 8–16.
fn stroke(image: &mut [u8; PIXELS], rng: &mut SplitMix64) {
    const DIRECTIONS: [(isize, isize); 8] = [
        (1, 0),
        (-1, 0),
        (0, 1),
        (0, -1),
        (1, 1),
        (1, -1),
        (-1, 1),
        (-1, -1),
    ];
    let (dx, dy) = DIRECTIONS
        .get(rng.below(DIRECTIONS.len()))
        .copied()
        .unwrap_or((1, 0));
    let level = u8::try_from(rng.between(8, usize::from(LEVELS))).unwrap_or(LEVELS);
    let side = SIDE as isize;
    let (mut x, mut y) = (rng.below(SIDE) as isize, rng.below(SIDE) as isize);
    for _ in 0..rng.between(2, 4) {
        if !(0..side).contains(&x) || !(0..side).contains(&y) {
            break;
        }
        if let Some(p) = usize::try_from(y.wrapping_mul(side).wrapping_add(x))
            .ok()
            .and_then(|i| image.get_mut(i))
        {
            *p = (*p).max(level);
        }
        // Within a few pixels of the image: no overflow.
        (x, y) = (x.wrapping_add(dx), y.wrapping_add(dy));
    }
}

/// One pixel moved by 1–4 grey levels, up or down, kept in 0..=16 (towards the side with
/// room, so the pixel always changes).
fn nudge(image: &mut [u8; PIXELS], rng: &mut SplitMix64) {
    let delta = u8::try_from(rng.between(1, 4)).unwrap_or(1);
    let up = rng.one_in(2);
    if let Some(p) = image.get_mut(rng.below(PIXELS)) {
        *p = if (up && *p < LEVELS) || *p == 0 {
            p.saturating_add(delta).min(LEVELS)
        } else {
            p.saturating_sub(delta)
        };
    }
}

fn same_image(input: &DigitsInput, image: &[u8; PIXELS]) -> bool {
    input.pixels.len() == PIXELS
        && input
            .pixels
            .iter()
            .zip(image)
            .all(|(&a, &b)| a == f32::from(b))
}

fn score_label(response: &DigitsOutput, label: u8) -> f32 {
    if check_output(response).is_ok() && response.label == label {
        1.0
    } else {
        0.0
    }
}

/// Majority vote over the valid responses. See the [module docs](self) and [`Aggregate`].
pub fn aggregate_votes(responses: &[DigitsOutput]) -> Result<Aggregate<DigitsOutput>, SubnetError> {
    if responses.is_empty() {
        return Err(SubnetError::EmptyBatch);
    }
    let valid: Vec<&DigitsOutput> = responses
        .iter()
        .filter(|r| check_output(r).is_ok())
        .collect();
    let votes: Vec<u8> = valid.iter().map(|r| r.label).collect();
    let mut column = Vec::with_capacity(valid.len());
    let (label, count) = math::majority_vote(&votes, |class| {
        column.clear();
        column.extend(
            valid
                .iter()
                .filter_map(|r| r.probabilities.get(usize::from(class))),
        );
        math::order_independent_sum(&mut column)
    })
    .ok_or(SubnetError::NoValidResponses {
        responses: responses.len(),
    })?;
    let winners: Vec<&[f32]> = valid
        .iter()
        .filter(|r| r.label == label)
        .map(|r| r.probabilities.as_slice())
        .collect();
    let mut probabilities = math::coordinate_median(&winners).unwrap_or_else(|| one_hot(label));
    let total: f32 = probabilities.iter().sum();
    if total > 0.0 && total.is_finite() {
        probabilities.iter_mut().for_each(|p| *p /= total);
    }
    let value = DigitsOutput {
        label,
        probabilities,
    };
    Ok(Aggregate {
        scores: responses.iter().map(|r| score_label(r, label)).collect(),
        agreement: count as f32 / responses.len() as f32,
        valid: valid.len(),
        value,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]
    use super::*;

    fn out(label: u8, p: f32) -> DigitsOutput {
        let mut probabilities = vec![(1.0 - p) / 9.0; CLASSES];
        probabilities[usize::from(label)] = p;
        DigitsOutput {
            label,
            probabilities,
        }
    }

    #[test]
    fn majority_wins_with_agreement_ratio() {
        let agg = aggregate_votes(&[out(3, 0.9), out(3, 0.8), out(5, 0.99), out(3, 0.7)]).unwrap();
        assert_eq!(agg.value.label, 3);
        assert_eq!(agg.agreement, 0.75);
        assert_eq!(agg.scores, vec![1.0, 1.0, 0.0, 1.0]);
        assert_eq!(agg.valid, 4);
        let sum: f32 = agg.value.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-6);
        // Median of the winners' p(3): 0.8.
        assert!((agg.value.probabilities[3] - 0.8).abs() < 1e-6);
    }

    #[test]
    fn ties_are_broken_by_probability_mass_then_smaller_label_in_any_order() {
        let a = out(2, 0.6);
        let b = out(8, 0.9);
        assert_eq!(
            aggregate_votes(&[a.clone(), b.clone()])
                .unwrap()
                .value
                .label,
            8
        );
        assert_eq!(aggregate_votes(&[b, a]).unwrap().value.label, 8);
        // Same mass for 1 and 4 (0.5 + 0.3 each): the smaller label, in either order.
        let mixed = |label: u8, other: u8| {
            let mut probabilities = vec![0.025; CLASSES];
            probabilities[usize::from(label)] = 0.5;
            probabilities[usize::from(other)] = 0.3;
            DigitsOutput {
                label,
                probabilities,
            }
        };
        let (x, y) = (mixed(1, 4), mixed(4, 1));
        for pair in [[x.clone(), y.clone()], [y, x]] {
            let agg = aggregate_votes(&pair).unwrap();
            assert_eq!(agg.value.label, 1);
            assert_eq!(agg.agreement, 0.5);
        }
    }

    #[test]
    fn invalid_responses_cannot_vote_and_count_as_disagreeing() {
        let mut bad_label = out(3, 0.9);
        bad_label.label = 12;
        let mut nan = out(7, 0.9);
        nan.probabilities[0] = f32::NAN;
        let agg = aggregate_votes(&[bad_label.clone(), nan, out(7, 0.6), bad_label]).unwrap();
        assert_eq!(agg.value.label, 7);
        assert_eq!(agg.valid, 1);
        assert_eq!(agg.agreement, 0.25);
        assert_eq!(agg.scores, vec![0.0, 0.0, 1.0, 0.0]);
        let mut only_bad = out(1, 0.5);
        only_bad.probabilities.pop();
        assert!(matches!(
            aggregate_votes(&[only_bad]),
            Err(SubnetError::NoValidResponses { responses: 1 })
        ));
        assert!(matches!(aggregate_votes(&[]), Err(SubnetError::EmptyBatch)));
    }

    #[test]
    fn heldout_parses() {
        let set = heldout().unwrap();
        assert_eq!(set.len(), HELDOUT_LEN);
    }
}
