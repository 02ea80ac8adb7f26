//! Weights for `pallet_mindos_sentinels`: **hand estimates made before any benchmark**, to be
//! replaced by `frame-benchmarking` output (`scripts/benchmark.sh`) in part 2.
//!
//! Each weight is the storage operations the code performs, counted from the code and rounded
//! up, priced at the runtime's `DbWeight`, plus a stated compute term. The compute terms are
//! deliberately generous:
//!
//! - [`ED25519_VERIFY`]: 100 µs per signature check (the host function measures about 50 µs
//!   on the reference machine);
//! - [`HASH`]: 5 µs per BLAKE2b-256 of a short message hashed inside the Wasm runtime (the
//!   committee draw's coins and the canary commitment);
//! - [`CALL_BASE`]: 20 µs for decoding, SCALE work and bookkeeping of any call;
//! - [`PER_ITEM`]: 2 µs per element a loop touches besides its storage.
//!
//! Proof size is not estimated (zero): MindOS is a solo chain, whose blocks carry no storage
//! proof; the benchmarks will fill it in. Reads of other pallets' storage through the
//! `mindos_primitives` traits are counted as one read per call of a trait method, except where
//! the trait's implementation is known to read more (noted below).
//!
//! The costs a runtime knows better than this pallet come from elsewhere:
//! [`mindos_primitives::NeuronDeregistration::max_weight`] for a deregistration and
//! `Config::SlashWeight` for one `StakeInfo::slash`.

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, RuntimeDbWeight, Weight},
};

/// One Ed25519 signature check, in picoseconds (see the module docs).
pub const ED25519_VERIFY: u64 = 100_000_000;
/// One BLAKE2b-256 of a short message inside the runtime, in picoseconds.
pub const HASH: u64 = 5_000_000;
/// The fixed compute of any call, in picoseconds.
pub const CALL_BASE: u64 = 20_000_000;
/// The compute per element a loop touches, in picoseconds.
pub const PER_ITEM: u64 = 2_000_000;
/// Keys kept per miner ([`crate::MaxBoundKeys`]): the signature checks of one response at most.
fn max_keys() -> u64 {
    u64::from(<crate::MaxBoundKeys as Get<u32>>::get())
}

/// Weight functions needed by `pallet_mindos_sentinels`.
pub trait WeightInfo {
    /// `submit_equivocation`, without the sanction ([`WeightInfo::sanction`]).
    fn submit_equivocation() -> Weight;
    /// `commit_canary`.
    fn commit_canary() -> Weight;
    /// `submit_canary_failure`, without the sanction.
    fn submit_canary_failure() -> Weight;
    /// `report`.
    fn report() -> Weight;
    /// `vote`, without the closing of the case ([`WeightInfo::close_case`]) or a sanction.
    fn vote() -> Weight;
    /// `close_case`: closing one case and releasing its bond.
    fn close_case() -> Weight;
    /// `unquarantine`.
    fn unquarantine() -> Weight;
    /// The bookkeeping of one sanction: history, quarantine, slash queue. Without the
    /// deregistration itself or a slash settled at once.
    fn sanction() -> Weight;
    /// `on_initialize` with nothing due: the due subnets and the queues.
    fn on_initialize_base() -> Weight;
    /// Advancing one due subnet's epoch, completing its mix and snapshotting `c` candidates of
    /// the next draw.
    fn advance_epoch(c: u32) -> Weight;
    /// The boundary work of one subnet: a draw among `c` candidates and `k` open cases
    /// examined, without closing any ([`WeightInfo::close_case`] each).
    fn boundary(c: u32, k: u32) -> Weight;
    /// Settling one slash, without `StakeInfo::slash` itself.
    fn settle_slash() -> Weight;
    /// Releasing the deposit of one expired canary.
    fn expire_canary() -> Weight;
    /// Recording one key binding ([`mindos_primitives::EndpointObserver::on_key_bound`]).
    fn on_key_bound() -> Weight;
}

/// The estimates priced at `db`.
fn estimates(db: RuntimeDbWeight) -> Estimates {
    Estimates { db }
}

/// The formulas, over a database weight.
struct Estimates {
    db: RuntimeDbWeight,
}

impl Estimates {
    fn of(&self, reads: u64, writes: u64, compute: u64) -> Weight {
        Weight::from_parts(compute, 0).saturating_add(self.db.reads_writes(reads, writes))
    }

    // Reads: subnet task, permit, epoch, slot's hotkey, quarantine record, offence history,
    // key history, genesis hash. Each of the two signatures is checked against at most
    // `MaxBoundKeys` keys (those bound in the challenge's epoch).
    fn submit_equivocation(&self) -> Weight {
        let compute =
            CALL_BASE.saturating_add(ED25519_VERIFY.saturating_mul(max_keys().saturating_mul(2)));
        self.of(8, 0, compute)
    }

    // Reads: subnet exists, permit, epoch, canaries, account and holds (the hold). Writes:
    // canaries, account, holds.
    fn commit_canary(&self) -> Weight {
        self.of(6, 3, CALL_BASE)
    }

    // As equivocation plus the canaries (read and write) and the seen block's hash; one
    // signature checked against at most `MaxBoundKeys` keys, one hash.
    fn submit_canary_failure(&self) -> Weight {
        let compute = CALL_BASE
            .saturating_add(ED25519_VERIFY.saturating_mul(max_keys()))
            .saturating_add(HASH);
        self.of(10, 1, compute)
    }

    // Reads: epoch, key history. Writes: key history. Pruning touches at most `MaxBoundKeys`.
    fn on_key_bound(&self) -> Weight {
        self.of(
            2,
            1,
            CALL_BASE.saturating_add(PER_ITEM.saturating_mul(max_keys())),
        )
    }

    // Reads: subnet exists, epoch, committee, slot's hotkey, two owners, quarantine record,
    // open cases, next id, account and holds (the hold). Writes: next id, case, open cases,
    // account, holds.
    fn report(&self) -> Weight {
        self.of(11, 5, CALL_BASE)
    }

    // Reads: case, two owners. Writes: case.
    fn vote(&self) -> Weight {
        self.of(3, 1, CALL_BASE)
    }

    // Reads: case, open cases, slot's hotkey and quarantine record (on a guilty verdict),
    // account and holds. Writes: open cases, case, account, holds.
    fn close_case(&self) -> Weight {
        self.of(6, 4, CALL_BASE)
    }

    // Reads: quarantine record, owner, epoch. Writes: quarantine record.
    fn unquarantine(&self) -> Weight {
        self.of(3, 1, CALL_BASE)
    }

    // Reads: epoch, history, the hotkey's uid, pending slash, queue bounds. Writes: history,
    // quarantine record, pending slash, queue entry, queue bounds.
    fn sanction(&self) -> Weight {
        self.of(5, 5, CALL_BASE)
    }

    // Reads: due subnets, boundary queue, slash queue.
    fn on_initialize_base(&self) -> Weight {
        self.of(3, 0, PER_ITEM)
    }

    // Reads: epoch, mix, validators. Writes: epoch, completed mix, snapshot, boundary queue.
    // Per candidate: uid, stake, reputation, quarantine record (4 reads), and its encoding.
    fn advance_epoch(&self, c: u32) -> Weight {
        let c = u64::from(c);
        self.of(
            3u64.saturating_add(c.saturating_mul(4)),
            4,
            PER_ITEM.saturating_add(PER_ITEM.saturating_mul(c)),
        )
    }

    // Fixed: subnet exists, epoch, committees of the subnet (at most three kept: 3 reads and 2
    // removals), completed mix, the candidate snapshot, parameters; writes the committee, the
    // snapshot (taken), the open cases (expiries), the canaries (expiries), the slash-due
    // queue. Per candidate: decoding it and the draw's hashing (at most `(c − 1)(13 + 1) / 4`
    // hashes: about 3.5 per candidate, counted as 4). Per case: its record.
    fn boundary(&self, c: u32, k: u32) -> Weight {
        let c = u64::from(c);
        let k = u64::from(k);
        let per_candidate = HASH.saturating_mul(4).saturating_add(PER_ITEM);
        let compute = CALL_BASE
            .saturating_add(per_candidate.saturating_mul(c))
            .saturating_add(PER_ITEM.saturating_mul(k));
        self.of(10u64.saturating_add(k), 7, compute)
    }

    // Reads: slash queue, epoch, the reporter's account and holds (a canary deposit's
    // release). Writes: slash queue, the reporter's account (the mint) and holds.
    fn settle_slash(&self) -> Weight {
        self.of(4, 3, CALL_BASE)
    }

    // Reads: account and holds. Writes: account and holds.
    fn expire_canary(&self) -> Weight {
        self.of(2, 2, PER_ITEM)
    }
}

/// The estimates priced at the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn submit_equivocation() -> Weight {
        estimates(T::DbWeight::get()).submit_equivocation()
    }
    fn commit_canary() -> Weight {
        estimates(T::DbWeight::get()).commit_canary()
    }
    fn submit_canary_failure() -> Weight {
        estimates(T::DbWeight::get()).submit_canary_failure()
    }
    fn report() -> Weight {
        estimates(T::DbWeight::get()).report()
    }
    fn vote() -> Weight {
        estimates(T::DbWeight::get()).vote()
    }
    fn close_case() -> Weight {
        estimates(T::DbWeight::get()).close_case()
    }
    fn unquarantine() -> Weight {
        estimates(T::DbWeight::get()).unquarantine()
    }
    fn sanction() -> Weight {
        estimates(T::DbWeight::get()).sanction()
    }
    fn on_initialize_base() -> Weight {
        estimates(T::DbWeight::get()).on_initialize_base()
    }
    fn advance_epoch(c: u32) -> Weight {
        estimates(T::DbWeight::get()).advance_epoch(c)
    }
    fn boundary(c: u32, k: u32) -> Weight {
        estimates(T::DbWeight::get()).boundary(c, k)
    }
    fn settle_slash() -> Weight {
        estimates(T::DbWeight::get()).settle_slash()
    }
    fn expire_canary() -> Weight {
        estimates(T::DbWeight::get()).expire_canary()
    }
    fn on_key_bound() -> Weight {
        estimates(T::DbWeight::get()).on_key_bound()
    }
}

/// The estimates priced at RocksDB's weights, for tests.
impl WeightInfo for () {
    fn submit_equivocation() -> Weight {
        estimates(RocksDbWeight::get()).submit_equivocation()
    }
    fn commit_canary() -> Weight {
        estimates(RocksDbWeight::get()).commit_canary()
    }
    fn submit_canary_failure() -> Weight {
        estimates(RocksDbWeight::get()).submit_canary_failure()
    }
    fn report() -> Weight {
        estimates(RocksDbWeight::get()).report()
    }
    fn vote() -> Weight {
        estimates(RocksDbWeight::get()).vote()
    }
    fn close_case() -> Weight {
        estimates(RocksDbWeight::get()).close_case()
    }
    fn unquarantine() -> Weight {
        estimates(RocksDbWeight::get()).unquarantine()
    }
    fn sanction() -> Weight {
        estimates(RocksDbWeight::get()).sanction()
    }
    fn on_initialize_base() -> Weight {
        estimates(RocksDbWeight::get()).on_initialize_base()
    }
    fn advance_epoch(c: u32) -> Weight {
        estimates(RocksDbWeight::get()).advance_epoch(c)
    }
    fn boundary(c: u32, k: u32) -> Weight {
        estimates(RocksDbWeight::get()).boundary(c, k)
    }
    fn settle_slash() -> Weight {
        estimates(RocksDbWeight::get()).settle_slash()
    }
    fn expire_canary() -> Weight {
        estimates(RocksDbWeight::get()).expire_canary()
    }
    fn on_key_bound() -> Weight {
        estimates(RocksDbWeight::get()).on_key_bound()
    }
}
