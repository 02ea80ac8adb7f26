//! The digits subnet against onnxruntime's Python API and its documented accuracy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::{engine, fixture, floats};
use mindos_primitives::{Modality, ScoringRule, TaskSpec};
use mindos_subnets::{
    digits::{self, DigitsInput, DigitsOutput},
    load, load_for_task, model_digest, text_embedding, Digits, EngineConfig, Input, Output, Subnet,
    SubnetError,
};

fn pixels_json(pixels: &str) -> Vec<u8> {
    format!(r#"{{"pixels": [{pixels}]}}"#).into_bytes()
}

fn valid_pixels() -> Vec<f32> {
    (0..64).map(|i| (i % 17) as f32).collect()
}

fn digits_input(pixels: Vec<f32>) -> Input {
    Input::Digits(DigitsInput { pixels })
}

fn genesis_spec() -> TaskSpec {
    TaskSpec {
        modality: Modality::Image,
        model_digest: digits::MODEL_DIGEST,
        input_schema: 2,
        output_schema: 2,
        scoring_rule: ScoringRule::Correctness,
    }
}

#[test]
fn heldout_accuracy_is_349_of_360() {
    let engine = engine("digits");
    assert_eq!(engine.validation_len(), digits::HELDOUT_LEN);
    let challenges: Vec<_> = (0..engine.validation_len())
        .map(|i| engine.challenge(i).unwrap())
        .collect();
    let outputs = engine
        .infer_batch(challenges.iter().map(|c| c.input.clone()).collect())
        .unwrap();
    assert_eq!(outputs.len(), 360);
    let correct = outputs
        .iter()
        .zip(&challenges)
        .filter(|(o, c)| engine.score(o, &c.reference) == 1.0)
        .count();
    assert_eq!(correct, digits::HELDOUT_CORRECT);
    assert_eq!(correct, 349);

    // Batching must not change any answer: the same samples in batches of 7 and of 1.
    for chunk in [7, 1] {
        let mut again = Vec::new();
        for part in challenges.chunks(chunk) {
            again.extend(
                engine
                    .infer_batch(part.iter().map(|c| c.input.clone()).collect())
                    .unwrap(),
            );
        }
        for (a, b) in outputs.iter().zip(&again) {
            let (Output::Digits(a), Output::Digits(b)) = (a, b) else {
                panic!("not digits")
            };
            assert_eq!(a.label, b.label);
            for (x, y) in a.probabilities.iter().zip(&b.probabilities) {
                assert!((x - y).abs() <= 1e-6, "batch {chunk}: {x} vs {y}");
            }
        }
    }
}

#[test]
fn labels_match_onnxruntime_python() {
    let reference = fixture("tests/fixtures/digits_reference.json");
    assert_eq!(
        reference["model_blake2b_256"],
        mindos_subnets::to_hex(&digits::MODEL_DIGEST)
    );
    let heldout = digits::heldout().unwrap();
    let indices: Vec<usize> = reference["indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(indices.len(), 50);
    let outputs = engine("digits")
        .infer_batch(
            indices
                .iter()
                .map(|&i| digits_input(heldout[i].0.pixels.clone()))
                .collect(),
        )
        .unwrap();
    for (k, output) in outputs.iter().enumerate() {
        let Output::Digits(out) = output else {
            panic!("not digits")
        };
        assert_eq!(
            u64::from(out.label),
            reference["labels"][k].as_u64().unwrap(),
            "sample {}",
            indices[k]
        );
        let expected = floats(&reference["probabilities"][k]);
        for (x, y) in out.probabilities.iter().zip(&expected) {
            assert!((x - y).abs() <= 1e-5, "sample {}: {x} vs {y}", indices[k]);
        }
    }
}

#[test]
fn wrong_length_is_rejected() {
    let engine = engine("digits");
    let short: Vec<f32> = vec![0.0; 63];
    let err = engine.infer_batch(vec![digits_input(short)]).unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::WrongLength {
                what: "pixels",
                expected: 64,
                got: 63
            }
        ),
        "{err}"
    );
    let err = engine
        .decode_input(&pixels_json(&vec!["1"; 65].join(",")))
        .unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::WrongLength {
                expected: 64,
                got: 65,
                ..
            }
        ),
        "{err}"
    );
    let err = engine.decode_input(br#"{"pixels": []}"#).unwrap_err();
    assert!(
        matches!(err, SubnetError::WrongLength { got: 0, .. }),
        "{err}"
    );
    assert!(err.is_bad_input());
}

#[test]
fn out_of_range_pixels_are_rejected() {
    let engine = engine("digits");
    for (index, value) in [(0usize, -1.0f32), (63, 16.5), (10, 255.0)] {
        let mut pixels = valid_pixels();
        pixels[index] = value;
        let err = engine
            .validate_input(&digits_input(pixels.clone()))
            .unwrap_err();
        assert!(
            matches!(err, SubnetError::OutOfRange { what: "pixels", index: i, value: v, .. } if i == index && v == f64::from(value)),
            "{err}"
        );
        // A batch with one bad input fails as a whole, with the same error.
        let err = engine
            .infer_batch(vec![digits_input(valid_pixels()), digits_input(pixels)])
            .unwrap_err();
        assert!(matches!(err, SubnetError::OutOfRange { .. }), "{err}");
    }
    // The bounds themselves are fine.
    let mut edge = vec![0.0; 64];
    edge[5] = 16.0;
    assert!(engine.validate_input(&digits_input(edge)).is_ok());
}

#[test]
fn non_finite_pixels_are_rejected() {
    let engine = engine("digits");
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut pixels = valid_pixels();
        pixels[7] = bad;
        let err = engine.infer_batch(vec![digits_input(pixels)]).unwrap_err();
        assert!(
            matches!(
                err,
                SubnetError::NonFinite {
                    what: "pixels",
                    index: 7
                }
            ),
            "{err}"
        );
    }
    // 1e39 is a valid JSON number but overflows f32 to infinity.
    let mut text: Vec<String> = valid_pixels().iter().map(|p| p.to_string()).collect();
    text[3] = "1e39".to_owned();
    let err = engine
        .decode_input(&pixels_json(&text.join(",")))
        .unwrap_err();
    assert!(
        matches!(err, SubnetError::NonFinite { index: 3, .. }),
        "{err}"
    );
    // NaN is not JSON at all.
    text[3] = "NaN".to_owned();
    let err = engine
        .decode_input(&pixels_json(&text.join(",")))
        .unwrap_err();
    assert!(matches!(err, SubnetError::MalformedJson { .. }), "{err}");
}

#[test]
fn malformed_requests_are_rejected() {
    let engine = engine("digits");
    let err = engine
        .decode_input(b"{\"pixels\": [1, 2, \xff]}")
        .unwrap_err();
    assert!(
        matches!(err, SubnetError::InvalidUtf8 { valid_up_to: 18 }),
        "{err}"
    );
    for body in [
        &br#"{"pixel": []}"#[..],
        br#"{"pixels": "abc"}"#,
        b"",
        br#"{"pixels": [1], "extra": 1}"#,
    ] {
        let err = engine.decode_input(body).unwrap_err();
        assert!(matches!(err, SubnetError::MalformedJson { .. }), "{err}");
    }
    let err = engine
        .infer_batch(vec![Input::TextEmbedding(text_embedding::TextInput {
            text: "hi".into(),
        })])
        .unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::WrongSubnet {
                kind: "input",
                expected: "digits",
                got: "text-embedding"
            }
        ),
        "{err}"
    );
}

#[test]
fn batch_limits() {
    let err = engine("digits").infer_batch(vec![]).unwrap_err();
    assert!(matches!(err, SubnetError::EmptyBatch), "{err}");
    let mut config = EngineConfig::default();
    config.max_batch = Some(4);
    let small = load("digits", &config).unwrap();
    let five = vec![digits_input(valid_pixels()); 5];
    let err = small.infer_batch(five.clone()).unwrap_err();
    assert!(
        matches!(err, SubnetError::BatchTooLarge { len: 5, max: 4 }),
        "{err}"
    );
    assert_eq!(small.infer_batch(five[..4].to_vec()).unwrap().len(), 4);
    let err = Digits::load(&config).unwrap().infer(&[]).unwrap_err();
    assert!(matches!(err, SubnetError::EmptyBatch), "{err}");
}

#[test]
fn digest_is_checked() {
    let built_in = std::fs::read(common::crate_file("models/digits/model.onnx")).unwrap();
    assert_eq!(model_digest(&built_in), digits::MODEL_DIGEST);
    assert_eq!(engine("digits").model_digest(), digits::MODEL_DIGEST);

    let mut config = EngineConfig::default();
    config.expected_digest = Some(text_embedding::MODEL_DIGEST);
    let err = load("digits", &config).err().unwrap();
    assert!(matches!(err, SubnetError::DigestMismatch { .. }), "{err}");

    // A model file that differs by one byte.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.onnx");
    let mut tampered = built_in.clone();
    tampered.push(0);
    std::fs::write(&path, &tampered).unwrap();
    let mut config = EngineConfig::default();
    config.model_path = Some(path);
    let Err(SubnetError::DigestMismatch {
        expected, actual, ..
    }) = Digits::load(&config)
    else {
        panic!("tampered model loaded")
    };
    assert_eq!(expected, mindos_subnets::to_hex(&digits::MODEL_DIGEST));
    assert_eq!(actual, mindos_subnets::to_hex(&model_digest(&tampered)));

    // The chain's task spec.
    assert!(load_for_task("digits", &genesis_spec(), &EngineConfig::default()).is_ok());
    let mut wrong = genesis_spec();
    wrong.model_digest[0] ^= 1;
    let err = load_for_task("digits", &wrong, &EngineConfig::default())
        .err()
        .unwrap();
    assert!(matches!(err, SubnetError::DigestMismatch { .. }), "{err}");
    let mut wrong = genesis_spec();
    wrong.scoring_rule = ScoringRule::CosineSimilarity;
    let err = engine("digits").check_task(&wrong).unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::TaskSpecMismatch {
                field: "scoring_rule",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn responses_are_validated_scored_and_aggregated() {
    let engine = engine("digits");
    let challenge = engine.challenge(0).unwrap();
    let answer = engine
        .infer_batch(vec![challenge.input.clone()])
        .unwrap()
        .remove(0);
    let bytes = engine.encode_output(&answer).unwrap();
    assert_eq!(engine.decode_output(&bytes).unwrap(), answer);
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(json["label"].as_u64().unwrap() <= 9);
    assert_eq!(json["probabilities"].as_array().unwrap().len(), 10);
    assert_eq!(engine.score(&answer, &challenge.reference), 1.0);

    let err = engine
        .decode_output(br#"{"label": 10, "probabilities": [0,0,0,0,0,0,0,0,0,1]}"#)
        .unwrap_err();
    assert!(
        matches!(err, SubnetError::OutOfRange { what: "label", .. }),
        "{err}"
    );
    let err = engine
        .decode_output(br#"{"label": 1, "probabilities": [0,1]}"#)
        .unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::WrongLength {
                what: "probabilities",
                ..
            }
        ),
        "{err}"
    );

    let Output::Digits(good) = answer.clone() else {
        panic!("not digits")
    };
    let wrong = Output::Digits(DigitsOutput {
        label: (good.label + 1) % 10,
        probabilities: good.probabilities.clone(),
    });
    assert_eq!(engine.score(&wrong, &challenge.reference), 0.0);
    let agg = engine
        .aggregate(&[answer.clone(), wrong.clone(), answer.clone()])
        .unwrap();
    assert_eq!(agg.value, answer);
    assert!((agg.agreement - 2.0 / 3.0).abs() < 1e-6);
    assert_eq!(agg.scores, vec![1.0, 0.0, 1.0]);

    let text = Output::TextEmbedding(text_embedding::Embedding {
        embedding: vec![1.0; 384],
    });
    assert_eq!(engine.score(&text, &challenge.reference), 0.0);
    let err = engine.aggregate(&[answer, text]).unwrap_err();
    assert!(
        matches!(err, SubnetError::WrongSubnet { kind: "output", .. }),
        "{err}"
    );
    let err = engine.aggregate(&[]).unwrap_err();
    assert!(matches!(err, SubnetError::EmptyBatch), "{err}");
}

#[test]
fn a_model_with_the_wrong_output_shape_is_an_error() {
    // tests/fixtures/wrong_shape.onnx: same input, but `probabilities` is [N, 5].
    let path = common::crate_file("tests/fixtures/wrong_shape.onnx");
    let mut config = EngineConfig::default();
    config.model_path = Some(path.clone());
    let err = Digits::load(&config).err().unwrap();
    assert!(matches!(err, SubnetError::DigestMismatch { .. }), "{err}");
    config.expected_digest = Some(model_digest(&std::fs::read(&path).unwrap()));
    let wrong = Digits::load(&config).unwrap();
    let input = DigitsInput {
        pixels: valid_pixels(),
    };
    let err = wrong.infer(&[input.clone(), input]).unwrap_err();
    assert!(
        matches!(&err, SubnetError::WrongShape { output: "probabilities", expected, got } if expected == "[2, 10]" && got == &[2, 5]),
        "{err}"
    );
    assert!(!err.is_bad_input());
}

#[test]
fn an_answer_is_signed_by_its_label_alone() {
    let engine = engine("digits");
    let answer = |label: u8, first: f32| {
        let mut probabilities = vec![0.0; 10];
        probabilities[0] = first;
        probabilities[usize::from(label)] += 1.0 - first;
        Output::Digits(DigitsOutput {
            label,
            probabilities,
        })
    };
    assert_eq!(engine.canonical_output(&answer(3, 0.0)).unwrap(), vec![3]);
    // Probabilities that differ in their last bits (as between honest machines) hash alike.
    assert_eq!(
        engine.output_hash(&answer(3, 0.0)).unwrap(),
        engine.output_hash(&answer(3, 1e-7)).unwrap()
    );
    assert_eq!(
        engine.output_hash(&answer(3, 0.0)).unwrap(),
        mindos_primitives::evidence::output_hash(&[3])
    );
    assert_ne!(
        engine.output_hash(&answer(3, 0.0)).unwrap(),
        engine.output_hash(&answer(4, 0.0)).unwrap()
    );
    let other = Output::TextEmbedding(text_embedding::Embedding {
        embedding: vec![1.0; 384],
    });
    assert!(matches!(
        engine.canonical_output(&other),
        Err(SubnetError::WrongSubnet { .. })
    ));
}
