//! Sentinel evidence: what a miner signs when it answers a challenge, and what a validator
//! commits for a canary. The sentinels pallet verifies these bytes; miners and validators build
//! them off chain from the same definitions, so both sides agree by construction.
//!
//! # The signed response (for the miner's signer)
//!
//! A sentinel challenges a miner with a [`Challenge`]; the miner answers with a [`Response`]
//! that repeats the challenge in full and signs, with the Ed25519 key its served PeerId names
//! (its *bound key*, [`crate::ed25519_key_of`]), the bytes of [`response_message`]:
//!
//! ```text
//! b"mindos/sentinel/response/v1" ‖ SCALE((genesis_hash: Vec<u8>, response: Response))
//! ```
//!
//! where `genesis_hash` is the chain's genesis block hash as a SCALE `Vec<u8>` (a compact length,
//! then its 32 bytes) and [`Response`] is SCALE-encoded field by field, in declaration order:
//!
//! | field | type | SCALE |
//! |---|---|---|
//! | `challenge.netuid` | `NetUid` | u16 LE |
//! | `challenge.uid` | `u16` | u16 LE |
//! | `challenge.hotkey` | `AccountId` | the miner's hotkey, 32 bytes (the runtime's `AccountId32`) |
//! | `challenge.epoch` | `u64` | u64 LE, the subnet's *sentinel* epoch (the sentinels pallet's `SubnetEpoch`) |
//! | `challenge.nonce` | `u64` | u64 LE, chosen by the sentinel |
//! | `challenge.input_hash` | `[u8; 32]` | 32 bytes, [`input_hash`] of the request |
//! | `challenge.model_digest` | `[u8; 32]` | 32 bytes, the subnet's pinned model |
//! | `challenge.deadline` | `u64` | u64 LE, block number the answer is due by |
//! | `seen_block.number` | `u64` | u64 LE, the miner's best block when it answered |
//! | `seen_block.hash` | `[u8; 32]` | 32 bytes, that block's hash |
//! | `output_hash` | `[u8; 32]` | 32 bytes, [`output_hash`] of the answer |
//! | `latency_ms` | `u32` | u32 LE |
//!
//! ## What is hashed
//!
//! - **The input**: [`input_hash`] is BLAKE2b-256 of the request's payload, the exact JSON text
//!   the miner received (the mesh carries it byte for byte).
//! - **The output**: [`output_hash`] is BLAKE2b-256 of the answer's *canonical bytes*, which
//!   each subnet defines (`mindos_subnets::SubnetEngine::canonical_output`): what the answer
//!   means, not how its JSON is spelled, so two answers hash alike exactly when they say the
//!   same thing. The digits subnet's is its label (one byte): its probabilities are floats
//!   whose last bits differ between honest machines, and a label is what it is scored on. The
//!   text-embedding subnet's is the embedding's `f32`s, little-endian.
//!
//! The domain tag keeps the signature from meaning anything else; the genesis hash keeps it on
//! one chain; the challenge in full binds the answer to one input, one model and one miner.
//!
//! ## Which key verifies
//!
//! The chain verifies a response with a key the challenged *hotkey* had bound on the subnet in
//! the challenge's sentinel epoch, not with the key it serves when the evidence lands: the
//! neurons pallet reports every key bound ([`crate::EndpointObserver`]) and this
//! pallet keeps the last [`MaxBoundKeys`] of each `(netuid, hotkey)` with the epoch each was
//! bound in (the sentinels pallet's `KeyHistory`). So serving a new PeerId after answering does not escape
//! the evidence. A key replaced during epoch `e` still verifies challenges of `e`.
//! An honest miner signs at most one response per challenge: two signed responses to the same
//! challenge with different output hashes are *equivocation*, which the chain punishes without a
//! vote (the sentinels pallet's `submit_equivocation`). Because the whole challenge must match, a
//! sentinel cannot frame a deterministic miner by sending it two different inputs under one
//! nonce, nor one input under another model (the challenge must name the subnet's pinned model
//! digest).
//!
//! ## The signer's rule: sign once, re-send
//!
//! A miner whose output is not bit-for-bit deterministic (float kernels, batching, another
//! GPU) would compute two different outputs if asked the same challenge twice, and a sentinel
//! can always re-send a challenge. So **a miner's signer must keep the one response it signed
//! for each `(netuid, hotkey, epoch, nonce)` and re-send that response, byte for byte, when the
//! same challenge comes again, never compute and sign a second one**; a challenge that repeats
//! `(netuid, hotkey, epoch, nonce)` with other fields is refused unsigned. It needs to keep them
//! only while evidence is usable (`MaxEvidenceAgeEpochs` sentinel epochs). The chain cannot tell
//! a re-signed honest answer from a lie, so this rule, implemented by the miner's client (issue
//! 20), is what keeps an honest non-deterministic miner from being framed.
//!
//! ## The seen block
//!
//! The miner's signer fills `seen_block` from **its own best block** when it answers, never from
//! anything the challenger sent: the challenge's `epoch` is chosen by the challenger, so it cannot
//! prove *when* the miner answered, while a block hash cannot be known before the block exists.
//! A canary failure counts only if the canary was committed in a block before `seen_block`, and
//! the chain checks that `seen_block.hash` is the hash of block `seen_block.number`
//! (`frame_system::block_hash`): so a sentinel cannot first ask a miner and then commit a
//! "canary" for the answer it got. The chain keeps only the last `BlockHashCount` block hashes, so
//! a canary failure must be submitted within that many blocks of the answer
//! (`SeenBlockTooOld`). Equivocation evidence does not read the seen block.
//!
//! # Canary commitments
//!
//! A canary is an input whose right answer a validator knows in advance. What it commits is
//! [`canary_commitment`]: `blake2_256(b"mindos/sentinel/canary/v1" ‖ SCALE((netuid, input_hash,
//! expected_output_hash, salt)))`. The input hash is hidden behind the salt on purpose: were
//! `H(input)` on chain, a miner could hash every input it gets, recognise canaries and answer
//! only those honestly. The commitment is opened by the sentinels pallet's `submit_canary_failure`.
//!
//! A canary failure is self-verifying only *given an honest commitment*: the chain checks that
//! the miner's signed output differs from the committed one, not that the committed one is the
//! model's right output; the committer alone chooses it. So a canary holds the committer's
//! deposit until it expires or the slash it caused settles (part 2's audit re-executes the opened
//! canary on appeal and forfeits the deposit of a wrong one), and canaries are taken only on
//! subnets that score exactly (`ScoringRule::Correctness`): a float subnet compares outputs
//! within a tolerance, and an honest miner's output may differ from the committer's in its last
//! bits, which an exact hash would call a failure. Both kinds of evidence must name the model
//! the subnet pins (`TaskSpec::model_digest`).

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::NetUid;

/// Domain tag of the message a miner signs for a [`Response`].
pub const RESPONSE_DOMAIN: &[u8] = b"mindos/sentinel/response/v1";

/// Domain tag of a [`canary_commitment`].
pub const CANARY_DOMAIN: &[u8] = b"mindos/sentinel/canary/v1";

/// A 32-byte BLAKE2b-256 hash.
pub type Hash32 = [u8; 32];

/// A sentinel's challenge to a miner, as the miner's [`Response`] repeats it.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Challenge<AccountId> {
    /// The subnet.
    pub netuid: NetUid,
    /// The challenged miner's uid.
    pub uid: u16,
    /// The challenged miner's hotkey: evidence is held against it (and verified with the key it
    /// had bound in `epoch`), whatever it serves or whichever uid it holds later.
    pub hotkey: AccountId,
    /// The subnet's sentinel epoch the challenge was sent in (the sentinels pallet's `SubnetEpoch`).
    pub epoch: u64,
    /// Chosen by the sentinel; names the challenge.
    pub nonce: u64,
    /// [`input_hash`] of the request's payload.
    pub input_hash: Hash32,
    /// The digest of the model the subnet pins.
    pub model_digest: Hash32,
    /// Block number the answer is due by.
    pub deadline: u64,
}

/// A block of this chain as the miner saw it when it answered: its number and hash.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct SeenBlock {
    /// The block's number.
    pub number: u64,
    /// Its hash (never zero).
    pub hash: Hash32,
}

/// A miner's answer to a [`Challenge`].
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Response<AccountId> {
    /// The challenge answered, in full.
    pub challenge: Challenge<AccountId>,
    /// The miner's best block when it answered, filled in by the miner's signer (never by the
    /// challenger): the answer cannot predate it, which is what dates a canary failure
    /// (the sentinels pallet's `submit_canary_failure`).
    pub seen_block: SeenBlock,
    /// [`output_hash`] of the answer's canonical bytes.
    pub output_hash: Hash32,
    /// How long the miner says it took.
    pub latency_ms: u32,
}

/// A [`Response`] with the miner's Ed25519 signature of [`response_message`].
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SignedResponse<AccountId> {
    /// What was signed.
    pub response: Response<AccountId>,
    /// Signature by the miner's bound key.
    pub signature: [u8; 64],
}

/// The bytes a miner's bound key signs for `response` on the chain with `genesis_hash`:
/// [`RESPONSE_DOMAIN`] followed by the SCALE encoding of `(genesis_hash, response)` (module docs).
pub fn response_message<AccountId: Encode>(
    genesis_hash: &[u8],
    response: &Response<AccountId>,
) -> Vec<u8> {
    let mut message = RESPONSE_DOMAIN.to_vec();
    (genesis_hash, response).encode_to(&mut message);
    message
}

/// What a validator commits for a canary: `blake2_256(CANARY_DOMAIN ‖ SCALE((netuid,
/// input_hash, expected_output_hash, salt)))` (module docs).
pub fn canary_commitment(
    netuid: NetUid,
    input_hash: &Hash32,
    expected_output_hash: &Hash32,
    salt: &Hash32,
) -> Hash32 {
    let mut preimage = CANARY_DOMAIN.to_vec();
    (netuid, input_hash, expected_output_hash, salt).encode_to(&mut preimage);
    sp_crypto_hashing::blake2_256(&preimage)
}

/// BLAKE2b-256 of a request's payload, the JSON text exactly as sent (module docs).
pub fn input_hash(payload: &[u8]) -> Hash32 {
    sp_crypto_hashing::blake2_256(payload)
}

/// BLAKE2b-256 of an answer's canonical bytes, as its subnet defines them (module docs).
pub fn output_hash(canonical_output: &[u8]) -> Hash32 {
    sp_crypto_hashing::blake2_256(canonical_output)
}
