//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong when loading a subnet or serving a request.
///
/// Input problems ([`SubnetError::is_bad_input`]) are the caller's fault and say exactly
/// what was wrong; the rest are local faults (missing assets, a bad model, ONNX Runtime).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubnetError {
    /// No subnet of this name is implemented here.
    #[error("unknown subnet `{name}` (this build knows: {known})")]
    UnknownSubnet {
        /// The name asked for.
        name: String,
        /// The names this crate implements, comma-separated.
        known: String,
    },
    /// The bytes are not valid UTF-8 (JSON must be).
    #[error("input is not valid UTF-8 (first invalid byte at offset {valid_up_to})")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// The bytes are UTF-8 but not the expected JSON document.
    #[error("malformed {what} JSON: {message}")]
    MalformedJson {
        /// What was being decoded, e.g. `digits input`.
        what: &'static str,
        /// serde_json's description, with line and column.
        message: String,
    },
    /// A vector has the wrong number of elements.
    #[error("{what} has {got} elements, expected {expected}")]
    WrongLength {
        /// Which vector, e.g. `pixels`.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// A model output does not have the shape the subnet expects (a wrong model file).
    #[error("model output `{output}` has shape {got:?}, expected {expected}")]
    WrongShape {
        /// Output tensor name.
        output: &'static str,
        /// Expected shape, in words, e.g. `[N, 10]`.
        expected: String,
        /// Shape ONNX Runtime returned.
        got: Vec<usize>,
    },
    /// A value is outside its allowed range.
    #[error("{what}[{index}] = {value} is outside {min}..={max}")]
    OutOfRange {
        /// Which vector, e.g. `pixels`.
        what: &'static str,
        /// Position in the vector.
        index: usize,
        /// The value received.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A value is NaN or infinite.
    #[error("{what}[{index}] is not a finite number")]
    NonFinite {
        /// Which vector, e.g. `pixels`.
        what: &'static str,
        /// Position in the vector.
        index: usize,
    },
    /// The text tokenizes to more tokens than the model takes. Never truncated silently.
    #[error(
        "text has at least {tokens} tokens (special tokens included), more than the limit of {max}"
    )]
    TextTooLong {
        /// Tokens the text needs, `[CLS]` and `[SEP]` included: the exact count, or a lower
        /// bound when the text was refused without tokenizing it
        /// ([`crate::text_embedding::min_tokens`]).
        tokens: usize,
        /// The limit.
        max: usize,
    },
    /// The text is longer in bytes than any request may be (checked before tokenizing).
    #[error("text is {bytes} bytes, more than the limit of {max}")]
    TextTooLarge {
        /// Bytes received.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// `infer_batch` (or `aggregate`) was given nothing.
    #[error("empty batch")]
    EmptyBatch,
    /// More inputs than the subnet runs in one batch.
    #[error("batch of {len} inputs exceeds the limit of {max}")]
    BatchTooLarge {
        /// Inputs received.
        len: usize,
        /// The subnet's limit.
        max: usize,
    },
    /// A value of one subnet was given to another.
    #[error("{kind} of subnet `{got}` given to subnet `{expected}`")]
    WrongSubnet {
        /// `input` or `output`.
        kind: &'static str,
        /// The subnet called.
        expected: &'static str,
        /// The subnet the value belongs to.
        got: &'static str,
    },
    /// A response that cannot be a valid output (wrong size, NaN, label out of range).
    #[error("invalid {what}: {reason}")]
    InvalidOutput {
        /// Which output, e.g. `embedding`.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// None of the responses given to `aggregate` is a valid output.
    #[error("none of the {responses} responses is a valid output")]
    NoValidResponses {
        /// Responses received.
        responses: usize,
    },
    /// A model file, tokenizer or the ONNX Runtime library is not where it should be.
    #[error(
        "{what} not found at {}: run scripts/setup.sh (it fetches models and the ONNX Runtime \
         library into ~/.cache/mindos), or set {env}",
        path.display()
    )]
    AssetMissing {
        /// What is missing, e.g. `ONNX Runtime library`.
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// The environment variable that overrides the location.
        env: &'static str,
    },
    /// The ONNX Runtime library exists but could not be loaded (wrong file or version).
    #[error(
        "cannot load the ONNX Runtime library {}: {message}; run scripts/setup.sh to fetch \
         onnxruntime 1.31.1, or point ORT_DYLIB_PATH at it",
        path.display()
    )]
    RuntimeLoad {
        /// The library path tried.
        path: PathBuf,
        /// The loader's error.
        message: String,
    },
    /// A file's BLAKE2b-256 differs from the pinned or on-chain digest.
    #[error("{file} has BLAKE2b-256 {actual}, expected {expected}")]
    DigestMismatch {
        /// The file (path, or `digits/model.onnx (built in)`).
        file: String,
        /// The digest required, hex.
        expected: String,
        /// The file's digest, hex.
        actual: String,
    },
    /// The on-chain task spec does not describe this subnet.
    #[error("task spec {field} is {chain}, but this subnet's is {local}")]
    TaskSpecMismatch {
        /// The differing field.
        field: &'static str,
        /// The chain's value.
        chain: String,
        /// This crate's value.
        local: String,
    },
    /// Reading a file failed.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The tokenizer failed to load or to encode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// ONNX Runtime failed (creating the environment or a session, or running it).
    #[error("onnx runtime, {context}: {message}")]
    Ort {
        /// What was being done.
        context: &'static str,
        /// ONNX Runtime's message.
        message: String,
    },
    /// A built-in validation set could not be parsed (a build defect).
    #[error("validation data of `{subnet}`: {message}")]
    ValidationData {
        /// The subnet.
        subnet: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl SubnetError {
    /// Whether the request was at fault (answer "bad request"), as opposed to this node.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::InvalidUtf8 { .. }
                | Self::MalformedJson { .. }
                | Self::WrongLength { .. }
                | Self::OutOfRange { .. }
                | Self::NonFinite { .. }
                | Self::TextTooLong { .. }
                | Self::TextTooLarge { .. }
                | Self::EmptyBatch
                | Self::BatchTooLarge { .. }
                | Self::WrongSubnet { .. }
                | Self::InvalidOutput { .. }
                | Self::NoValidResponses { .. }
        )
    }

    pub(crate) fn ort(context: &'static str, err: impl std::fmt::Display) -> Self {
        Self::Ort {
            context,
            message: err.to_string(),
        }
    }
}
