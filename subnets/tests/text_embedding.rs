//! The text-embedding subnet against onnxruntime's Python API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::sync::OnceLock;

use common::{engine, fixture, floats};
use mindos_primitives::{Modality, ScoringRule, TaskSpec};
use mindos_subnets::{
    digits, load, load_for_task,
    math::cosine,
    text_embedding::{self, Embedding, TextInput, MAX_TOKENS},
    EngineConfig, Input, Output, SubnetError, TextEmbedding,
};

/// Cosine every Rust embedding must reach against onnxruntime's Python output.
const PARITY: f32 = 0.9999;

fn typed() -> &'static TextEmbedding {
    static SUBNET: OnceLock<TextEmbedding> = OnceLock::new();
    SUBNET.get_or_init(|| {
        TextEmbedding::load(&EngineConfig::default())
            .unwrap_or_else(|e| panic!("cannot load text-embedding: {e}"))
    })
}

fn text(t: &str) -> Input {
    Input::TextEmbedding(TextInput { text: t.to_owned() })
}

fn embedding(o: &Output) -> &[f32] {
    match o {
        Output::TextEmbedding(e) => &e.embedding,
        other => panic!("not an embedding: {other:?}"),
    }
}

struct Reference {
    texts: Vec<String>,
    counts: Vec<usize>,
    ids: Vec<Vec<u32>>,
    embeddings: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let f = fixture("tests/fixtures/minilm_reference.json");
    assert_eq!(
        f["model_blake2b_256"],
        mindos_subnets::to_hex(&text_embedding::MODEL_DIGEST)
    );
    let texts: Vec<String> = f["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    let counts = f["token_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as usize)
        .collect();
    let ids = f["input_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_u64().unwrap() as u32)
                .collect()
        })
        .collect();
    let embeddings = f["embeddings"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    assert_eq!(texts.len(), 8);
    Reference {
        texts,
        counts,
        ids,
        embeddings,
    }
}

#[test]
fn token_ids_match_python_tokenizers() {
    let r = reference();
    for (i, t) in r.texts.iter().enumerate() {
        let ids = typed().token_ids(t).unwrap();
        assert_eq!(ids, r.ids[i], "text {i}: {t:?}");
        assert_eq!(ids.len(), r.counts[i]);
    }
    // The fixture's last text is the longest accepted: exactly the limit.
    assert_eq!(r.counts[7], MAX_TOKENS);
}

#[test]
fn batched_embeddings_match_onnxruntime_python() {
    let r = reference();
    let engine = engine("text-embedding");
    let outputs = engine
        .infer_batch(r.texts.iter().map(|t| text(t)).collect())
        .unwrap();
    assert_eq!(outputs.len(), r.texts.len());
    for (i, (out, want)) in outputs.iter().zip(&r.embeddings).enumerate() {
        let got = embedding(out);
        assert_eq!(got.len(), 384);
        let cos = cosine(got, want).unwrap();
        assert!(cos >= PARITY, "text {i} {:?}: cosine {cos}", r.texts[i]);
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
}

#[test]
fn single_embeddings_match_onnxruntime_python() {
    // Batch of one: no padding at all, which must not change the result.
    let r = reference();
    let engine = engine("text-embedding");
    for (i, t) in r.texts.iter().enumerate() {
        let out = engine.infer_batch(vec![text(t)]).unwrap();
        let cos = cosine(embedding(&out[0]), &r.embeddings[i]).unwrap();
        assert!(cos >= PARITY, "text {i} {t:?}: cosine {cos}");
    }
}

#[test]
fn validation_set_is_answered_by_the_model() {
    let engine = engine("text-embedding");
    assert!(engine.validation_len() >= 20);
    let challenges: Vec<_> = (0..engine.validation_len())
        .map(|i| engine.challenge(i).unwrap())
        .collect();
    assert!(engine.challenge(engine.validation_len()).is_none());
    let outputs = engine
        .infer_batch(challenges.iter().map(|c| c.input.clone()).collect())
        .unwrap();
    for (c, out) in challenges.iter().zip(&outputs) {
        let score = engine.score(out, &c.reference);
        assert!(score >= PARITY, "challenge {}: score {score}", c.index);
    }
}

#[test]
fn paraphrases_are_closer_than_unrelated_texts() {
    let r = reference();
    let outputs = engine("text-embedding")
        .infer_batch(r.texts[..3].iter().map(|t| text(t)).collect())
        .unwrap();
    let para = cosine(embedding(&outputs[0]), embedding(&outputs[1])).unwrap();
    let unrelated = cosine(embedding(&outputs[0]), embedding(&outputs[2])).unwrap();
    assert!(
        para > 0.5 && unrelated < 0.3 && para > unrelated + 0.3,
        "{para} vs {unrelated}"
    );
}

#[test]
fn text_beyond_128_tokens_is_rejected_not_truncated() {
    let r = reference();
    let longest = &r.texts[7];
    let engine = engine("text-embedding");
    assert!(engine.validate_input(&text(longest)).is_ok());
    let too_long = format!("{longest} dog");
    let err = engine.validate_input(&text(&too_long)).unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::TextTooLong {
                tokens: 129,
                max: 128
            }
        ),
        "{err}"
    );
    assert!(err.is_bad_input());
    // Through the wire, and inside a batch (which fails as a whole).
    let body = serde_json::to_vec(&serde_json::json!({ "text": too_long })).unwrap();
    let err = engine.decode_input(&body).unwrap_err();
    assert!(
        matches!(err, SubnetError::TextTooLong { tokens: 129, .. }),
        "{err}"
    );
    let err = engine
        .infer_batch(vec![text("fine"), text(&too_long)])
        .unwrap_err();
    assert!(
        matches!(err, SubnetError::TextTooLong { tokens: 129, .. }),
        "{err}"
    );
    // Far too long: refused by size before tokenizing.
    let huge = "word ".repeat(10_000);
    let err = engine.validate_input(&text(&huge)).unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::TextTooLarge {
                bytes: 50_000,
                max: 16_384
            }
        ),
        "{err}"
    );
    // Under the byte limit but over the token limit.
    let err = engine
        .validate_input(&text(&"word ".repeat(1000)))
        .unwrap_err();
    assert!(
        matches!(err, SubnetError::TextTooLong { tokens: 1002, .. }),
        "{err}"
    );
}

#[test]
fn invalid_utf8_and_malformed_json_are_rejected() {
    let engine = engine("text-embedding");
    let err = engine.decode_input(b"{\"text\": \"caf\xc3\"}").unwrap_err();
    assert!(
        matches!(err, SubnetError::InvalidUtf8 { valid_up_to: 13 }),
        "{err}"
    );
    let err = engine.decode_input(b"\xff").unwrap_err();
    assert!(
        matches!(err, SubnetError::InvalidUtf8 { valid_up_to: 0 }),
        "{err}"
    );
    for body in [
        &br#"{"txt": "a"}"#[..],
        br#"{"text": 5}"#,
        br#"["a"]"#,
        br#"{"text": "a"#,
    ] {
        let err = engine.decode_input(body).unwrap_err();
        assert!(matches!(err, SubnetError::MalformedJson { .. }), "{err}");
    }
    let ok = engine
        .decode_input("{\"text\": \"caf\u{e9} \\u00e9\"}".as_bytes())
        .unwrap();
    assert_eq!(ok, text("café é"));
}

#[test]
fn batch_limits_and_wrong_subnet() {
    let engine = engine("text-embedding");
    let err = engine.infer_batch(vec![]).unwrap_err();
    assert!(matches!(err, SubnetError::EmptyBatch), "{err}");
    let err = engine.infer_batch(vec![text("a"); 65]).unwrap_err();
    assert!(
        matches!(err, SubnetError::BatchTooLarge { len: 65, max: 64 }),
        "{err}"
    );
    let err = engine
        .infer_batch(vec![Input::Digits(digits::DigitsInput {
            pixels: vec![0.0; 64],
        })])
        .unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::WrongSubnet {
                kind: "input",
                expected: "text-embedding",
                got: "digits"
            }
        ),
        "{err}"
    );
}

#[test]
fn digests_and_task_spec_are_checked() {
    assert_eq!(
        engine("text-embedding").model_digest(),
        text_embedding::MODEL_DIGEST
    );
    let mut config = EngineConfig::default();
    config.expected_digest = Some(digits::MODEL_DIGEST);
    let err = load("text-embedding", &config).err().unwrap();
    let SubnetError::DigestMismatch {
        file,
        expected,
        actual,
    } = &err
    else {
        panic!("{err}")
    };
    assert!(file.ends_with("text-embedding/model.onnx"), "{file}");
    assert_eq!(expected, &mindos_subnets::to_hex(&digits::MODEL_DIGEST));
    assert_eq!(
        actual,
        &mindos_subnets::to_hex(&text_embedding::MODEL_DIGEST)
    );

    let spec = TaskSpec {
        modality: Modality::Text,
        model_digest: text_embedding::MODEL_DIGEST,
        input_schema: 1,
        output_schema: 1,
        scoring_rule: ScoringRule::CosineSimilarity,
    };
    let engine = load_for_task("text-embedding", &spec, &EngineConfig::default()).unwrap();
    assert_eq!(engine.name(), "text-embedding");
    let mut wrong = spec.clone();
    wrong.modality = Modality::Image;
    let err = engine.check_task(&wrong).unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::TaskSpecMismatch {
                field: "modality",
                ..
            }
        ),
        "{err}"
    );
    let mut wrong = spec;
    wrong.model_digest = [0; 32];
    let err = load_for_task("text-embedding", &wrong, &EngineConfig::default())
        .err()
        .unwrap();
    assert!(matches!(err, SubnetError::DigestMismatch { .. }), "{err}");
}

#[test]
fn wire_format_scoring_and_aggregation() {
    let engine = engine("text-embedding");
    let bytes = engine
        .infer_json(br#"{"text": "A man is playing a guitar on stage."}"#)
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 1);
    assert_eq!(json["embedding"].as_array().unwrap().len(), 384);
    let honest = engine.decode_output(&bytes).unwrap();
    let r = reference();
    assert!(cosine(embedding(&honest), &r.embeddings[0]).unwrap() >= PARITY);

    let err = engine
        .decode_output(br#"{"embedding": [1, 2, 3]}"#)
        .unwrap_err();
    assert!(
        matches!(
            err,
            SubnetError::WrongLength {
                what: "embedding",
                expected: 384,
                got: 3
            }
        ),
        "{err}"
    );

    // Two honest miners (one answered a paraphrase-free near copy) and one adversary.
    let other = engine
        .infer_batch(vec![text("A man is playing a guitar on stage!")])
        .unwrap()
        .remove(0);
    let garbage = Output::TextEmbedding(Embedding {
        embedding: embedding(&honest).iter().map(|x| -x).collect(),
    });
    assert_eq!(engine.score(&garbage, &honest), 0.0);
    assert!(engine.score(&honest, &honest) > 0.9999);
    let agg = engine
        .aggregate(&[honest.clone(), garbage, other.clone()])
        .unwrap();
    assert!(cosine(embedding(&agg.value), embedding(&honest)).unwrap() > 0.98);
    assert_eq!(agg.scores[1], 0.0);
    assert_eq!(agg.valid, 3);
    let agreeing = agg
        .scores
        .iter()
        .filter(|&&s| s >= text_embedding::AGREEMENT_COSINE)
        .count();
    assert_eq!(agg.agreement, agreeing as f32 / 3.0);
    assert!(agreeing <= 2);
}

/// The shipped tokenizer with padding and truncation off: the exact token count of any text,
/// with no limit applied.
fn raw_tokenizer() -> tokenizers::Tokenizer {
    let path = EngineConfig::default()
        .models_dir()
        .join("text-embedding/tokenizer.json");
    let mut tokenizer = tokenizers::Tokenizer::from_file(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    tokenizer.with_padding(None);
    tokenizer.with_truncation(None).unwrap();
    tokenizer
}

#[test]
fn the_token_lower_bound_never_exceeds_the_real_count() {
    let tokenizer = raw_tokenizer();
    let count = |s: &str| tokenizer.encode_fast(s, true).unwrap().len();
    // Pieces that exercise each rule of the BERT normalizer and pre-tokenizer: separators
    // the bound knows and ones it does not, characters normalization drops, CJK, accents
    // NFD splits off, characters whose lowercase or decomposition is longer or is ASCII.
    let pieces = [
        "a",
        "Z",
        "7",
        "word",
        "Über",
        "naïve",
        "café",
        "İstanbul",
        "ß",
        "ﬁ",
        "Ａ",
        "１",
        "!",
        "?",
        ".",
        "-",
        "'",
        "`",
        "~",
        "(",
        "]",
        "¿",
        "«",
        "—",
        "、",
        "。",
        "\u{37e}",
        " ",
        "  ",
        "\t",
        "\n",
        "\r",
        "\u{b}",
        "\u{c}",
        "\u{85}",
        "\u{a0}",
        "\u{2003}",
        "\u{3000}",
        "\u{0}",
        "\u{7f}",
        "\u{200b}",
        "\u{feff}",
        "\u{fffd}",
        "\u{301}",
        "\u{e000}",
        "\u{378}",
        "漢",
        "字",
        "\u{f900}",
        "\u{20000}",
        "\u{3400}",
        "ｶ",
        "한국",
        "ไทย",
        "नमस्ते",
        "🙂",
        "👍🏽",
        "x".repeat(150).leak(),
        "ab1-cd2",
        "e.g.",
        "U.S.A.",
        "don't",
        "http://x.io/a?b=c",
        "#tag",
        "@user",
        "$5.00",
        "3.14",
    ];
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    for _ in 0..4000 {
        let len = next(40);
        let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
        let (bound, exact) = (text_embedding::min_tokens(&text), count(&text));
        assert!(
            bound <= exact,
            "bound {bound} > {exact} tokens for {text:?}"
        );
    }
    // Plain words: the bound is exact, so texts over the limit are refused without
    // tokenizing them, with the true count.
    for text in ["", "hello world", &"word ".repeat(1000), "a, b. c!"] {
        assert_eq!(text_embedding::min_tokens(text), count(text), "{text:?}");
    }
}

#[test]
fn texts_surely_over_the_limit_are_refused_with_their_lower_bound() {
    let engine = engine("text-embedding");
    // 16 KiB of punctuation: 16,380 words; refused from the scan.
    let punctuation = "!".repeat(16 * 1024 - 4);
    match engine.validate_input(&text(&punctuation)).unwrap_err() {
        SubnetError::TextTooLong { tokens, max } => {
            assert_eq!((tokens, max), (16 * 1024 - 2, MAX_TOKENS));
        }
        other => panic!("expected TextTooLong, got {other}"),
    }
    // Texts the scan cannot judge are still tokenized: 200 CJK ideographs of a block the
    // bound leaves out (Extension C) are over the limit all the same.
    let cjk = "\u{2a700}".repeat(200);
    assert_eq!(text_embedding::min_tokens(&cjk), 2);
    assert!(matches!(
        engine.validate_input(&text(&cjk)).unwrap_err(),
        SubnetError::TextTooLong { tokens: 202, .. }
    ));
}

#[test]
fn model_and_tokenizer_load_from_paths_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = EngineConfig::default()
        .models_dir()
        .join(text_embedding::NAME);
    let (model, tokenizer) = (
        dir.path().join("minilm.onnx"),
        dir.path().join("vocab.json"),
    );
    std::fs::copy(shipped.join("model.onnx"), &model).unwrap();
    std::fs::copy(shipped.join("tokenizer.json"), &tokenizer).unwrap();
    let mut config = EngineConfig::default();
    config.models_dir = Some(dir.path().join("empty"));
    config.model_path = Some(model);
    config.tokenizer_path = Some(tokenizer.clone());
    let moved = load(text_embedding::NAME, &config).unwrap();
    let input = text("A man is playing a guitar.");
    assert_eq!(
        moved.infer_batch(vec![input.clone()]).unwrap(),
        engine(text_embedding::NAME)
            .infer_batch(vec![input])
            .unwrap()
    );

    // Without the override the tokenizer is looked for in the (empty) models directory.
    config.tokenizer_path = None;
    match load(text_embedding::NAME, &config).err().unwrap() {
        SubnetError::AssetMissing { path, .. } => {
            assert!(
                path.ends_with("empty/text-embedding/tokenizer.json"),
                "{path:?}"
            )
        }
        other => panic!("expected AssetMissing, got {other}"),
    }
    // Another tokenizer file is refused by its digest, and named.
    std::fs::write(&tokenizer, b"{}").unwrap();
    config.tokenizer_path = Some(tokenizer);
    match load(text_embedding::NAME, &config).err().unwrap() {
        SubnetError::DigestMismatch { file, .. } => assert!(file.ends_with("vocab.json"), "{file}"),
        other => panic!("expected DigestMismatch, got {other}"),
    }
}

#[test]
fn an_answer_is_signed_by_its_coordinates_as_little_endian_f32() {
    let engine = engine("text-embedding");
    let mut coordinates = vec![0.0_f32; 384];
    coordinates[0] = 1.0;
    coordinates[1] = -0.5;
    let output = Output::TextEmbedding(Embedding {
        embedding: coordinates.clone(),
    });
    let bytes = engine.canonical_output(&output).unwrap();
    assert_eq!(bytes.len(), 384 * 4);
    assert_eq!(&bytes[..8], &[0, 0, 0x80, 0x3f, 0, 0, 0, 0xbf]);
    // One coordinate's last bit changes the hash: float answers are compared within a
    // tolerance by re-execution, never by their hash.
    coordinates[2] = f32::from_bits(1);
    let nudged = Output::TextEmbedding(Embedding {
        embedding: coordinates,
    });
    assert_ne!(
        engine.output_hash(&output).unwrap(),
        engine.output_hash(&nudged).unwrap()
    );
}
