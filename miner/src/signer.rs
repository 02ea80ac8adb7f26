//! Signed answers: the miner signs its answer to every request that carries
//! [`ChallengeTerms`], and signs each challenge once (`mindos_primitives::evidence`, "The
//! signer's rule: sign once, re-send").
//!
//! - [`Signer::begin`] runs on the dispatcher before the request is queued: it checks the
//!   terms against this miner (hotkey, model digest, uid, deadline; not synced yet is `busy`)
//!   and looks the challenge up in the [`AnswerStore`]. A challenge seen before is re-sent as
//!   stored, without running the model; the same key with other terms is refused; a new one
//!   is reserved ([`Ticket`]), so a copy sent while the first still runs is refused `busy`
//!   instead of being computed and signed a second time. Building the challenge hashes the
//!   payload (BLAKE2b, about 1 GB/s: at most about 100 µs for the largest text request, on the
//!   same task that already scanned those bytes as JSON).
//! - [`Ticket::sign`] runs on the inference worker that computed the output (it answers from
//!   there): hash of the canonical output, Ed25519 signature by the mesh identity (about
//!   20 µs), then the answer is stored before it leaves. A ticket dropped unsigned (the model
//!   failed, the caller left) releases its reservation.
//! - On a private mesh (`--no-chain`) there is no chain to bind, no hotkey and no block: the
//!   miner signs with a zero genesis hash and block `0` (hash zero), which no chain accepts as
//!   evidence, and checks only the model digest. So a private validator can still check that
//!   an answer is this peer's, and the tests and benchmark measure the real path.
//!
//! The store is bounded by `--signed-answers-bytes` (module docs of [`AnswerStore`]).

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    hash::{BuildHasher, RandomState},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Instant,
};

use mindos_mesh::{
    receipt::{sign_answer, AnswerChallenge},
    wire::ChallengeTerms,
    InferRequest, InferResponse, Keypair,
};
use mindos_primitives::evidence::SeenBlock;
use mindos_subnets::{Output, SubnetEngine};

use crate::{metrics::Metrics, serve::ServeError, status::LiveState};

/// Why a request with terms was refused unsigned, as counted in
/// `mindos_miner_terms_refused_total{reason}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The terms name another hotkey.
    Hotkey,
    /// The terms name another model.
    ModelDigest,
    /// The terms name another uid.
    Uid,
    /// The deadline is before the newest finalized block.
    Deadline,
    /// No finalized block seen yet.
    NotSynced,
    /// The challenge's key was answered under other terms.
    OtherTerms,
    /// The challenge was answered, and its answer evicted from the store since.
    Forgotten,
    /// The same challenge is being answered.
    InFlight,
    /// The key could not sign.
    Signing,
}

impl Refusal {
    pub(crate) const ALL: [Refusal; 9] = [
        Refusal::Hotkey,
        Refusal::ModelDigest,
        Refusal::Uid,
        Refusal::Deadline,
        Refusal::NotSynced,
        Refusal::OtherTerms,
        Refusal::Forgotten,
        Refusal::InFlight,
        Refusal::Signing,
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Refusal::Hotkey => "hotkey",
            Refusal::ModelDigest => "model_digest",
            Refusal::Uid => "uid",
            Refusal::Deadline => "deadline",
            Refusal::NotSynced => "not_synced",
            Refusal::OtherTerms => "other_terms",
            Refusal::Forgotten => "forgotten",
            Refusal::InFlight => "in_flight",
            Refusal::Signing => "signing",
        }
    }
}

/// What the signatures bind besides the challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// A chain: its genesis hash and this miner's hotkey; the seen block is the newest
    /// finalized one.
    Chain {
        /// The chain's genesis block hash.
        genesis: [u8; 32],
        /// This miner's hotkey, as terms name it.
        hotkey: [u8; 32],
    },
    /// A private mesh: zero genesis, block 0 (module docs).
    Private,
}

/// The rule's key: one signed answer per `(netuid, hotkey, epoch, nonce)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    netuid: u16,
    hotkey: [u8; 32],
    epoch: u64,
    nonce: u64,
}

impl Key {
    fn of(challenge: &AnswerChallenge) -> Self {
        Self {
            netuid: challenge.netuid.0,
            hotkey: challenge.hotkey,
            epoch: challenge.epoch,
            nonce: challenge.nonce,
        }
    }
}

/// What a stored entry is counted at beyond its payload text: the key, the challenge and the
/// receipt in the map's entry (328 bytes), the entry in the eviction order and the
/// payload's allocation (a unit test checks they fit). The map's spare capacity comes on top:
/// up to as much again right after it grows.
pub(crate) const ENTRY_OVERHEAD: usize = 512;

/// What each forgotten key's fingerprint is counted at: 8 bytes in a set and 8 in a queue,
/// with the set's control bytes and spare capacity.
pub(crate) const FINGERPRINT_COST: usize = 32;

/// One challenge in the store.
enum Slot {
    /// Being answered (the model runs); not counted in the bytes: there are at most as many
    /// as requests queued or running.
    Pending(AnswerChallenge),
    /// Answered: re-sent as it is.
    Signed {
        challenge: AnswerChallenge,
        response: InferResponse,
        cost: usize,
    },
}

/// What the store says about a challenge.
#[derive(Debug, PartialEq)]
enum Lookup {
    /// Not seen: now reserved, answer it.
    Fresh,
    /// Answered before: re-send this.
    Stored(InferResponse),
    /// Refused.
    Refused(Refusal),
}

/// The signed answers kept to re-send, bounded by a byte budget.
///
/// - An entry is counted at its answer's payload text plus [`ENTRY_OVERHEAD`]: about
///   0.7 KiB for a digits answer (a label and ten probabilities), about 5.1 KiB for a
///   text-embedding one (384 coordinates as JSON). Three quarters of the budget hold entries;
///   at the default 32 MiB that is about 37,000 digits or 4,800 text answers.
/// - Past the budget the oldest entries are evicted first. An evicted key is not forgotten:
///   its fingerprint (a salted 64-bit hash, [`FINGERPRINT_COST`] bytes) is kept in the last
///   quarter of the budget (about 260,000 at the default), and a challenge with that key is
///   refused (`forgotten`) instead of being computed and signed again — a float subnet's
///   output can differ in its last bits between two runs (another batch), and two signatures
///   of one challenge with different outputs are equivocation. Only once its fingerprint is
///   evicted too is a key new again. A salted hash that collides refuses a new challenge,
///   never signs one twice.
pub(crate) struct AnswerStore {
    slots: HashMap<Key, Slot>,
    /// Signed entries, oldest first.
    order: BTreeMap<u64, Key>,
    next_seq: u64,
    bytes: usize,
    /// Most bytes the signed entries may be counted at.
    budget: usize,
    forgotten: HashSet<u64>,
    forgotten_order: VecDeque<u64>,
    /// Most fingerprints kept.
    forgotten_cap: usize,
    salt: RandomState,
}

impl AnswerStore {
    /// A store within `total` bytes: three quarters for entries, a quarter for the
    /// fingerprints of evicted keys.
    pub(crate) fn new(total: usize) -> Self {
        let quarter = total / 4;
        Self {
            slots: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            bytes: 0,
            budget: total.saturating_sub(quarter),
            forgotten: HashSet::new(),
            forgotten_order: VecDeque::new(),
            forgotten_cap: quarter / FINGERPRINT_COST,
            salt: RandomState::new(),
        }
    }

    fn fingerprint(&self, key: &Key) -> u64 {
        self.salt.hash_one(key)
    }

    /// Looks `challenge` up under `key`, reserving it if new.
    fn begin(&mut self, key: Key, challenge: &AnswerChallenge) -> Lookup {
        match self.slots.get(&key) {
            Some(Slot::Signed {
                challenge: stored,
                response,
                ..
            }) if stored == challenge => Lookup::Stored(response.clone()),
            Some(Slot::Pending(stored)) if stored == challenge => {
                Lookup::Refused(Refusal::InFlight)
            }
            Some(_) => Lookup::Refused(Refusal::OtherTerms),
            None if self.forgotten.contains(&self.fingerprint(&key)) => {
                Lookup::Refused(Refusal::Forgotten)
            }
            None => {
                self.slots.insert(key, Slot::Pending(challenge.clone()));
                Lookup::Fresh
            }
        }
    }

    /// Drops the reservation of `key` (its answer was not signed).
    fn release(&mut self, key: &Key) {
        if matches!(self.slots.get(key), Some(Slot::Pending(_))) {
            self.slots.remove(key);
        }
    }

    /// Stores the signed `response` to `challenge` under `key`, then evicts the oldest entries
    /// past the budget. Returns how many were evicted.
    fn complete(&mut self, key: Key, challenge: AnswerChallenge, response: InferResponse) -> u64 {
        let cost = response
            .payload_bytes()
            .map_or(0, <[u8]>::len)
            .saturating_add(ENTRY_OVERHEAD);
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        self.slots.insert(
            key,
            Slot::Signed {
                challenge,
                response,
                cost,
            },
        );
        self.order.insert(seq, key);
        self.bytes = self.bytes.saturating_add(cost);
        let mut evicted = 0u64;
        while self.bytes > self.budget {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(Slot::Signed { cost, .. }) = self.slots.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(cost);
            }
            self.forget(&oldest);
            evicted = evicted.saturating_add(1);
        }
        evicted
    }

    /// Remembers that `key` was answered, within the fingerprints' cap (oldest go first).
    fn forget(&mut self, key: &Key) {
        if self.forgotten_cap == 0 {
            return;
        }
        let print = self.fingerprint(key);
        if self.forgotten.insert(print) {
            self.forgotten_order.push_back(print);
        }
        while self.forgotten_order.len() > self.forgotten_cap {
            if let Some(old) = self.forgotten_order.pop_front() {
                self.forgotten.remove(&old);
            }
        }
    }

    /// Signed entries kept.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Bytes the signed entries are counted at.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The signed answer stored for `challenge`, if this exact challenge was answered.
    #[cfg(feature = "fault-injection")]
    fn stored(&self, challenge: &AnswerChallenge) -> Option<InferResponse> {
        match self.slots.get(&Key::of(challenge)) {
            Some(Slot::Signed {
                challenge: stored,
                response,
                ..
            }) if stored == challenge => Some(response.clone()),
            _ => None,
        }
    }
}

/// Signs answers: see the module docs.
pub(crate) struct Signer {
    keypair: Keypair,
    anchor: Anchor,
    model_digest: [u8; 32],
    live: Arc<LiveState>,
    store: Mutex<AnswerStore>,
    metrics: Arc<Metrics>,
    /// The `garbage` and `lookup-table` faults: which requests get a wrong output signed
    /// (and stored) instead of the model's.
    #[cfg(feature = "fault-injection")]
    garbage: std::sync::OnceLock<GarbageRule>,
}

/// Whether the answer to a request is garbled before it is signed (fault injection).
#[cfg(feature = "fault-injection")]
pub(crate) type GarbageRule = Arc<dyn Fn(&InferRequest) -> bool + Send + Sync>;

/// What to do with a request that carries terms.
pub(crate) enum Begin {
    /// Run the model, then sign the output with the ticket.
    Run(Ticket),
    /// Re-send this answer, signed before (the model does not run).
    Resend(InferResponse),
}

impl Signer {
    /// A signer with the mesh identity `keypair`, for the model `model_digest`, reading the
    /// uid and newest finalized block from `live`, keeping answers within `store_bytes`.
    pub(crate) fn new(
        keypair: Keypair,
        anchor: Anchor,
        model_digest: [u8; 32],
        live: Arc<LiveState>,
        store_bytes: usize,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            keypair,
            anchor,
            model_digest,
            live,
            store: Mutex::new(AnswerStore::new(store_bytes)),
            metrics,
            #[cfg(feature = "fault-injection")]
            garbage: std::sync::OnceLock::new(),
        }
    }

    /// From now on, sign a wrong output in place of each one the model computes (the
    /// `garbage` fault: a consistent liar, whose lies are evidence).
    #[cfg(feature = "fault-injection")]
    pub(crate) fn sign_garbage(&self) {
        self.sign_garbage_when(Arc::new(|_| true));
    }

    /// From now on, sign a wrong output in place of the model's for each request `rule`
    /// picks when it arrives (the `lookup-table` fault: garbage for inputs it has not seen).
    /// The first rule set stays.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn sign_garbage_when(&self, rule: GarbageRule) {
        let _ = self.garbage.set(rule);
    }

    fn store(&self) -> MutexGuard<'_, AnswerStore> {
        // Every change to the store is complete before its lock is released.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks `request`'s `terms` against this miner, then looks its challenge up: a new one
    /// is reserved ([`Begin::Run`]), one answered before is re-sent ([`Begin::Resend`]).
    /// `arrived` is when the request arrived (the signed latency counts from it).
    pub(crate) fn begin(
        self: &Arc<Self>,
        request: &InferRequest,
        terms: &ChallengeTerms,
        arrived: Instant,
    ) -> Result<Begin, ServeError> {
        self.check(terms)
            .map_err(|(reason, e)| self.refused(reason, e))?;
        let challenge =
            terms.challenge(request.netuid, request.request_id, request.payload_bytes());
        let key = Key::of(&challenge);
        let lookup = self.store().begin(key, &challenge);
        match lookup {
            Lookup::Fresh => Ok(Begin::Run(Ticket {
                signer: self.clone(),
                key,
                challenge: Some(challenge),
                arrived,
                #[cfg(feature = "fault-injection")]
                garble: self.garbage.get().is_some_and(|rule| rule(request)),
            })),
            Lookup::Stored(response) => {
                self.metrics.resent();
                Ok(Begin::Resend(response))
            }
            Lookup::Refused(reason) => {
                let e = match reason {
                    Refusal::InFlight => ServeError::Busy(
                        "the same challenge is being answered; ask again for its signed answer"
                            .into(),
                    ),
                    Refusal::Forgotten => ServeError::InvalidInput(
                        "challenge already answered; its signed answer is no longer stored and \
                         is not signed again"
                            .into(),
                    ),
                    _ => ServeError::InvalidInput(
                        "challenge already answered with other terms".into(),
                    ),
                };
                Err(self.refused(reason, e))
            }
        }
    }

    fn refused(&self, reason: Refusal, e: ServeError) -> ServeError {
        self.metrics.terms_refused(reason);
        e
    }

    /// Whether `terms` fit this miner: its hotkey, its model, its uid (when known), a deadline
    /// not yet past.
    fn check(&self, terms: &ChallengeTerms) -> Result<(), (Refusal, ServeError)> {
        let invalid = |reason, message: String| (reason, ServeError::InvalidInput(message));
        if let Anchor::Chain { hotkey, .. } = self.anchor {
            if terms.hotkey != hotkey {
                return Err(invalid(
                    Refusal::Hotkey,
                    format!(
                        "the terms name hotkey 0x{}, not this miner's 0x{}",
                        mindos_subnets::to_hex(&terms.hotkey),
                        mindos_subnets::to_hex(&hotkey)
                    ),
                ));
            }
        }
        if terms.model_digest != self.model_digest {
            return Err(invalid(
                Refusal::ModelDigest,
                format!(
                    "the terms name model 0x{}, not the loaded model 0x{}",
                    mindos_subnets::to_hex(&terms.model_digest),
                    mindos_subnets::to_hex(&self.model_digest)
                ),
            ));
        }
        if let Some(uid) = self.live.uid() {
            if terms.uid != uid {
                return Err(invalid(
                    Refusal::Uid,
                    format!(
                        "the terms name uid {}, not this miner's uid {uid}",
                        terms.uid
                    ),
                ));
            }
        }
        let head = self.seen().map_err(|e| (Refusal::NotSynced, e))?;
        if terms.deadline < head.number {
            return Err(invalid(
                Refusal::Deadline,
                format!(
                    "the deadline, block {}, is past this miner's latest finalized block {}",
                    terms.deadline, head.number
                ),
            ));
        }
        Ok(())
    }

    /// The block an answer names: the newest finalized one (block 0 on a private mesh).
    fn seen(&self) -> Result<SeenBlock, ServeError> {
        match self.anchor {
            Anchor::Chain { .. } => self
                .live
                .head()
                .ok_or_else(|| ServeError::Busy("not synced: no finalized block seen yet".into())),
            Anchor::Private => Ok(SeenBlock {
                number: 0,
                hash: [0; 32],
            }),
        }
    }

    fn genesis(&self) -> [u8; 32] {
        match self.anchor {
            Anchor::Chain { genesis, .. } => genesis,
            Anchor::Private => [0; 32],
        }
    }

    /// Signs `output_hash` as the answer to `challenge`, `latency_ms` after its arrival.
    fn sign(
        &self,
        challenge: AnswerChallenge,
        output_hash: [u8; 32],
        latency_ms: u32,
    ) -> Result<mindos_mesh::wire::Receipt, ServeError> {
        let seen = self.seen()?;
        let (_, receipt) = sign_answer(
            &self.keypair,
            &self.genesis(),
            challenge,
            seen,
            output_hash,
            latency_ms,
        )
        .map_err(|e| {
            self.metrics.terms_refused(Refusal::Signing);
            ServeError::Internal(e.to_string())
        })?;
        Ok(receipt)
    }

    /// The challenge `request` stands for and the answer stored for it, if this exact
    /// challenge was answered (for the equivocating fault, which ignores the rule).
    #[cfg(feature = "fault-injection")]
    pub(crate) fn stored(
        &self,
        request: &InferRequest,
    ) -> Option<(AnswerChallenge, InferResponse)> {
        let challenge = request.evidence_challenge()?;
        let stored = self.store().stored(&challenge)?;
        Some((challenge, stored))
    }

    /// Signs `output_hash` for `challenge` whatever the store holds: what an equivocating
    /// miner does.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn sign_again(
        &self,
        challenge: AnswerChallenge,
        output_hash: [u8; 32],
        arrived: Instant,
    ) -> Result<mindos_mesh::wire::Receipt, ServeError> {
        self.sign(challenge, output_hash, latency_since(arrived))
    }
}

fn latency_since(arrived: Instant) -> u32 {
    u32::try_from(arrived.elapsed().as_millis()).unwrap_or(u32::MAX)
}

/// A reserved challenge, to be signed once its output exists; dropped unsigned, it releases
/// the reservation.
pub(crate) struct Ticket {
    signer: Arc<Signer>,
    key: Key,
    /// `None` once signed.
    challenge: Option<AnswerChallenge>,
    arrived: Instant,
    /// Sign a wrong output instead of the model's (fault injection).
    #[cfg(feature = "fault-injection")]
    garble: bool,
}

impl Ticket {
    /// The answer `output`, signed and stored. Runs on the inference worker.
    pub(crate) fn sign(
        mut self,
        engine: &dyn SubnetEngine,
        output: &Output,
    ) -> Result<InferResponse, ServeError> {
        let latency_ms = latency_since(self.arrived);
        #[cfg(feature = "fault-injection")]
        let garbled;
        #[cfg(feature = "fault-injection")]
        let output = if self.garble {
            garbled = crate::fault::garble_output(engine, output)?;
            &garbled
        } else {
            output
        };
        let output_hash = engine
            .output_hash(output)
            .map_err(|e| ServeError::Internal(e.to_string()))?;
        let response =
            InferResponse::encode_ok(output).map_err(|e| ServeError::Internal(e.to_string()))?;
        let Some(challenge) = self.challenge.take() else {
            return Err(ServeError::Internal("answer signed twice".into()));
        };
        let signer = self.signer.clone();
        let receipt = match signer.sign(challenge.clone(), output_hash, latency_ms) {
            Ok(receipt) => receipt,
            Err(e) => {
                signer.store().release(&self.key);
                return Err(e);
            }
        };
        let response = response.with_receipt(receipt);
        let (evicted, entries, bytes) = {
            let mut store = signer.store();
            let evicted = store.complete(self.key, challenge, response.clone());
            (evicted, store.len(), store.bytes())
        };
        signer.metrics.signed();
        signer.metrics.store(entries, bytes, evicted);
        Ok(response)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.challenge.is_some() {
            self.signer.store().release(&self.key);
        }
    }
}

#[cfg(test)]
mod tests;
