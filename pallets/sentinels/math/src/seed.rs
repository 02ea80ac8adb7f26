//! Committee seeds: a RANDAO-style accumulator of the salts validators already reveal.
//!
//! # Why RANDAO
//!
//! Aura has no VRF, and the chain must not depend on an outside beacon to draw a committee. The
//! validators already commit to a salt with their weights and reveal it later; folding each
//! revealed salt into a running hash ([`mix_next`]) gives a seed nobody fixed alone, at no extra
//! transaction.
//!
//! # The bias a last revealer has
//!
//! A salt is committed before the mix it lands in is known, so a revealer cannot pick its salt
//! after the fact; its only choice is to reveal or to withhold. The last revealer of an epoch
//! sees the mix with and without its salt and can keep the one whose committee it prefers: it
//! chooses between **two** seeds (one bit of bias), and `k` colluding last revealers between
//! `2^k`. Withholding costs the validator that epoch's dividends (its weights count only when
//! revealed), so the bias is paid for. Against a capture probability `q` per seed, one bit raises
//! the adversary's chance to at most `1 − (1 − q)² ≤ 2q`: it doubles the table in
//! `shared/sentinels.md` at worst, which is why committees are sized from that table with room.
//!
//! # Look-ahead
//!
//! The committee of epoch `e + 1` is drawn from `mix_{e−1}`, the mix completed at the end of
//! epoch `e − 1` ([`SEED_LOOKAHEAD_EPOCHS`] = 2), as Ethereum's `get_seed` looks ahead one
//! epoch: the mix is final before anyone can react to it, and members know a whole epoch ahead
//! that they will sit.
//!
//! [`RandomnessSource`] hides where the randomness comes from, so a drand beacon can replace or
//! join RANDAO later without touching the sampling.

use alloc::vec::Vec;

use sp_crypto_hashing::blake2_256;

/// A 32-byte seed, mix or salt hash.
pub type Seed = [u8; 32];

/// Domain tag of the sentinel committee seed.
pub const SENTINEL_DOMAIN: &[u8] = b"mindos/sentinel";
/// Domain tag of the audit committee seed, derived from the sentinel seed so both are known at
/// the same time but the two draws are independent.
pub const AUDIT_DOMAIN: &[u8] = b"mindos/sentinel/audit";
/// Domain tag of the random audit pick of judged quarantines.
pub const AUDIT_PICK_DOMAIN: &[u8] = b"mindos/sentinel/audit-pick";

/// The committee of epoch `e` is drawn from the mix completed at the end of epoch
/// `e − SEED_LOOKAHEAD_EPOCHS`.
pub const SEED_LOOKAHEAD_EPOCHS: u64 = 2;

/// BLAKE2b-256 of the concatenation of `parts`.
pub(crate) fn hash_concat(parts: &[&[u8]]) -> Seed {
    let len = parts
        .iter()
        .fold(0usize, |acc, p| acc.saturating_add(p.len()));
    let mut buf = Vec::with_capacity(len);
    for part in parts {
        buf.extend_from_slice(part);
    }
    blake2_256(&buf)
}

/// Folds one revealed salt into the RANDAO mix: `blake2_256(mix ‖ salt_hash)`.
///
/// The pallet calls it once per reveal, in block order, so the mix depends on every reveal and on
/// their order; a validator cannot cancel another's contribution.
pub fn mix_next(mix: &Seed, salt_hash: &Seed) -> Seed {
    hash_concat(&[mix, salt_hash])
}

/// The sentinel committee seed of `netuid` for `epoch`:
/// `blake2_256("mindos/sentinel" ‖ netuid (u16 LE) ‖ epoch (u64 LE) ‖ mix)`.
///
/// `mix` must be `mix_{epoch − 2}` ([`SEED_LOOKAHEAD_EPOCHS`]). The subnet and the epoch are
/// hashed in so that one mix never draws the same committee twice.
pub fn committee_seed(netuid: u16, epoch: u64, mix: &Seed) -> Seed {
    hash_concat(&[
        SENTINEL_DOMAIN,
        &netuid.to_le_bytes(),
        &epoch.to_le_bytes(),
        mix,
    ])
}

/// The audit committee seed for a sentinel committee seed:
/// `blake2_256("mindos/sentinel/audit" ‖ seed)`. A different domain makes the two draws
/// independent; [`crate::draw_audit_committee`] applies it itself so that a caller cannot pass
/// the sentinel seed by mistake.
pub fn audit_seed(seed: &Seed) -> Seed {
    hash_concat(&[AUDIT_DOMAIN, seed])
}

/// Where committee seeds come from. The pallet implements it over its stored mixes; a drand
/// beacon can implement it later (hashing its round output in the same way) without any change
/// to the sampling.
pub trait RandomnessSource {
    /// The sentinel committee seed of `netuid` for `epoch`, or `None` when the randomness for
    /// that epoch is not final yet (or no longer kept).
    fn committee_seed(&self, netuid: u16, epoch: u64) -> Option<Seed>;
}

/// RANDAO as a [`RandomnessSource`]: the mix completed at the end of `mix_epoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandaoMix {
    /// The completed mix.
    pub mix: Seed,
    /// The epoch whose reveals it folds.
    pub mix_epoch: u64,
}

impl RandomnessSource for RandaoMix {
    /// Only for `epoch == mix_epoch + 2`: an older mix would let a committee be known too long in
    /// advance, a newer one is not final.
    fn committee_seed(&self, netuid: u16, epoch: u64) -> Option<Seed> {
        (self.mix_epoch.checked_add(SEED_LOOKAHEAD_EPOCHS) == Some(epoch))
            .then(|| committee_seed(netuid, epoch, &self.mix))
    }
}

/// A stream of uniform 64-bit words from a seed: word `i` is bytes `8(i mod 4)..` of
/// `blake2_256(seed ‖ ⌊i / 4⌋ (u64 LE))`. Counts the hashes it computes, the unit the pallet's
/// weight is charged in.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    seed: Seed,
    block: u64,
    words: [u64; 4],
    next: usize,
    hashes: u32,
}

impl Stream {
    pub(crate) fn new(seed: &Seed) -> Self {
        Self {
            seed: *seed,
            block: 0,
            words: [0; 4],
            next: 4,
            hashes: 0,
        }
    }

    /// The next uniform word.
    pub(crate) fn next_u64(&mut self) -> u64 {
        if self.next >= self.words.len() {
            let block = hash_concat(&[&self.seed, &self.block.to_le_bytes()]);
            for (word, bytes) in self.words.iter_mut().zip(block.chunks_exact(8)) {
                *word = u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
            }
            self.block = self.block.wrapping_add(1);
            self.hashes = self.hashes.saturating_add(1);
            self.next = 0;
        }
        let word = self.words.get(self.next).copied().unwrap_or(0);
        self.next = self.next.saturating_add(1);
        word
    }

    /// A uniform value in `0..bound` (0 when `bound == 0`), by the multiply-high reduction
    /// `⌊r · bound / 2⁶⁴⌋`. No rejection loop, so the work is fixed; the bias is below
    /// `bound / 2⁶⁴` (under 2⁻⁵² for the 4,096 candidates a draw accepts).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        let wide = u128::from(self.next_u64()).saturating_mul(u128::from(bound));
        u64::try_from(wide.checked_shr(64).unwrap_or(0)).unwrap_or(0)
    }

    /// Number of BLAKE2b-256 calls so far.
    pub(crate) fn hashes(&self) -> u32 {
        self.hashes
    }
}
