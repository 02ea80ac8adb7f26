//! Weights for `pallet_mindos_sentinels`: **hand estimates made before the benchmarks ran**.
//! `src/benchmarking.rs` measures each function below in its worst case; `scripts/benchmark.sh
//! sentinels` replaces this file with their output (from `scripts/templates/pallet-weights.hbs`).
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
//! - [`PER_ITEM`]: 2 µs per element a loop touches besides its storage, and per element of a
//!   bounded vector read whole (decoding it): a list of `MaxX` items is charged `MaxX` items
//!   whatever it holds, as its length is what the caller can bound.
//!
//! Proof size is not estimated (zero): MindOS is a solo chain, whose blocks carry no storage
//! proof; the benchmarks will fill it in. Reads of other pallets' storage through the
//! `mindos_primitives` traits are counted as one read per call of a trait method, except where
//! the trait's implementation is known to read more (noted below); governed parameters
//! ([`mindos_primitives::SentinelParameters`]) count one read per parameter read.
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

/// Weight functions needed by `pallet_mindos_sentinels`.
pub trait WeightInfo {
    /// `submit_equivocation`, its sanction's bookkeeping included (the call runs it), a
    /// deregistration not ([`mindos_primitives::NeuronDeregistration::max_weight`]).
    fn submit_equivocation() -> Weight;
    /// `commit_canary` on a subnet holding at most `q` canaries (`MaxCanariesPerSubnet`).
    fn commit_canary(q: u32) -> Weight;
    /// `submit_canary_failure` with at most `q` canaries, its sanction's bookkeeping included,
    /// a deregistration not.
    fn submit_canary_failure(q: u32) -> Weight;
    /// `report` on a subnet with at most `k` open cases (`MaxOpenCasesPerSubnet`).
    fn report(k: u32) -> Weight;
    /// `vote`, without the closing of the case ([`WeightInfo::close_case`]) or a sanction.
    fn vote() -> Weight;
    /// `close_case`: closing one case of a subnet with at most `k` open cases and releasing its
    /// bond.
    fn close_case(k: u32) -> Weight;
    /// `unquarantine`.
    fn unquarantine() -> Weight;
    /// The bookkeeping of one sanction: history, quarantine, the pending slash and its queue
    /// entry. Without the deregistration itself.
    fn sanction() -> Weight;
    /// `on_initialize` with nothing due, with at most `s` subnets (`MaxSubnets`) in each of the
    /// due list and the two queues it reads.
    fn on_initialize_base(s: u32) -> Weight;
    /// Advancing one due subnet's epoch, completing its mix and snapshotting `c` candidates of
    /// the next draw.
    fn advance_epoch(c: u32) -> Weight;
    /// The boundary work of one subnet: a draw among `c` candidates, `k` open cases examined
    /// and `q` canaries, without closing any case ([`WeightInfo::close_case`] each) or releasing
    /// any deposit ([`WeightInfo::release_canary_deposit`] each).
    fn boundary(c: u32, k: u32, q: u32) -> Weight;
    /// Taking one entry of a settlement queue and settling its slash, without
    /// `StakeInfo::slash` itself (`Config::SlashWeight`) or the canary deposits it releases
    /// ([`WeightInfo::release_canary_deposit`] each). Also charged for an entry dropped unsettled.
    fn settle_slash() -> Weight;
    /// Releasing one canary deposit (of an expired canary, or held by a settled slash).
    fn release_canary_deposit() -> Weight;
    /// Recording one key binding ([`mindos_primitives::EndpointObserver::on_key_bound`]).
    fn on_key_bound() -> Weight;
    /// Drawing an audit committee among at most `c` candidates (`MaxCandidates`) and opening
    /// the audit on a subnet with at most `a` open audits (`MaxOpenAuditsPerSubnet`): charged
    /// to `appeal`, and to a verdict that opens a random or split-vote audit.
    fn open_audit(c: u32, a: u32) -> Weight;
    /// `appeal`, the audit's opening ([`WeightInfo::open_audit`]) included.
    fn appeal(c: u32, a: u32) -> Weight;
    /// `audit_vote`, without the decision ([`WeightInfo::close_audit`],
    /// [`WeightInfo::overturn`]).
    fn audit_vote() -> Weight;
    /// Closing one audit of a subnet with at most `a` open audits, and its deposit.
    fn close_audit(a: u32) -> Weight;
    /// Undoing an overturned conviction (quarantine, pending slash, bond, canary deposit) and
    /// the bookkeeping of slashing each of the case committee's members, without
    /// `StakeInfo::slash` itself (`Config::SlashWeight` each).
    fn overturn() -> Weight;
    /// Opening an escalation: reading the subnet's validators, at most `c` (`MaxCandidates`),
    /// their uids, quarantines, owners and stakes, and writing the electorate. Charged to the
    /// audit vote that overturns.
    fn open_escalation(c: u32) -> Weight;
    /// `escalation_vote` in an electorate of at most `c` (`MaxCandidates`), without the
    /// decision ([`WeightInfo::close_audit`], [`WeightInfo::overturn`]).
    fn escalation_vote(c: u32) -> Weight;
    /// The bounded part of a subnet's dissolution
    /// ([`mindos_primitives::OnSubnetDissolved::on_subnet_dissolved`]): dropping `k` open
    /// cases, `q` canaries and `a` open audits and returning what they hold, removing the
    /// per-subnet items and taking the subnet off the queues.
    fn on_subnet_dissolved(k: u32, q: u32, a: u32) -> Weight;
    /// One block's clearing of a dissolved subnet: finding it and removing `e` per-hotkey
    /// entries, without the pending slashes dropped ([`WeightInfo::drop_slash`] each).
    fn clear_dissolved(e: u32) -> Weight;
    /// Dropping one pending slash of a dissolved subnet: returning the canary deposits and
    /// report bonds it holds (at most `MaxOffenceHistory` each) and forgetting its judgments.
    fn drop_slash() -> Weight;
    /// Noting a hotkey's departure
    /// ([`mindos_primitives::EndpointObserver::on_neuron_left`]).
    fn on_neuron_left() -> Weight;
    /// Examining one entry of a departure queue: pruning the hotkey's key history, offence
    /// history and ended quarantine, or putting it back.
    fn prune_departure() -> Weight;
}

/// The estimates priced at `db`.
fn estimates(db: RuntimeDbWeight) -> Estimates {
    Estimates { db }
}

/// Members of a committee at most ([`crate::MaxCommitteeMembers`]).
fn max_members() -> u64 {
    u64::from(<crate::MaxCommitteeMembers as Get<u32>>::get())
}

/// Offence epochs kept per miner, and canary deposits per pending slash
/// ([`crate::MaxOffenceHistory`]).
fn max_history() -> u64 {
    u64::from(<crate::MaxOffenceHistory as Get<u32>>::get())
}

/// Keys kept per miner ([`crate::MaxBoundKeys`]): the signature checks of one response at most.
fn max_keys() -> u64 {
    u64::from(<crate::MaxBoundKeys as Get<u32>>::get())
}

/// `PER_ITEM` for each of `items`.
fn items(items: u64) -> u64 {
    PER_ITEM.saturating_mul(items)
}

/// The formulas, over a database weight.
struct Estimates {
    db: RuntimeDbWeight,
}

impl Estimates {
    fn of(&self, reads: u64, writes: u64, compute: u64) -> Weight {
        Weight::from_parts(compute, 0).saturating_add(self.db.reads_writes(reads, writes))
    }

    // Reads: subnet task, permit, epoch, the hotkey's uid, quarantine record, offence history,
    // key history, genesis hash (8). Each of the two signatures is checked against at most
    // `MaxBoundKeys` keys (those bound in the challenge's epoch). Decoding: the offence history
    // and the key history.
    fn submit_equivocation(&self) -> Weight {
        let compute = CALL_BASE
            .saturating_add(ED25519_VERIFY.saturating_mul(max_keys().saturating_mul(2)))
            .saturating_add(items(max_history().saturating_add(max_keys())));
        self.of(8, 0, compute).saturating_add(self.sanction())
    }

    // Reads: subnet task, permit, canaries, epoch, block number, account and holds (the hold)
    // (7). Writes: canaries, account, holds (3). Decoding and two scans of the canaries.
    fn commit_canary(&self, q: u32) -> Weight {
        let compute = CALL_BASE.saturating_add(items(u64::from(q).saturating_mul(2)));
        self.of(7, 3, compute)
    }

    // Reads: subnet task, permit, canaries, block number, the seen block's hash, epoch, the
    // hotkey's uid, quarantine record, offence history, pending slash (room for the deposit),
    // key history, genesis hash, the pending slash again (room for the judgment), next case id
    // (14). Writes: canaries, next case id, the judgment (3). One signature checked against at
    // most `MaxBoundKeys` keys, one hash. Decoding: the canaries, the offence history, the
    // pending slash's deposits and cases, the key history.
    fn submit_canary_failure(&self, q: u32) -> Weight {
        let decoded = u64::from(q)
            .saturating_add(max_history().saturating_mul(3))
            .saturating_add(max_keys());
        let compute = CALL_BASE
            .saturating_add(ED25519_VERIFY.saturating_mul(max_keys()))
            .saturating_add(HASH)
            .saturating_add(items(decoded));
        self.of(14, 3, compute).saturating_add(self.sanction())
    }

    // Reads: subnet exists, epoch, committee, slot's hotkey, the reporter's conflict check (the
    // accused's and the reporter's owners: 2), the impartial committee (the accused's owner and
    // each member's: 1 + `MaxCommitteeMembers`), quarantine record, open cases, next id, the
    // governed size and threshold (2), block number, account and holds (the hold) (2): 15 +
    // members. Writes: next id, case, open cases, account, holds (5). Decoding: the committee,
    // the open cases (twice scanned), the case written.
    fn report(&self, k: u32) -> Weight {
        let decoded = max_members()
            .saturating_mul(2)
            .saturating_add(u64::from(k).saturating_mul(2));
        self.of(
            15u64.saturating_add(max_members()),
            5,
            CALL_BASE.saturating_add(items(decoded)),
        )
    }

    // Reads: case, block number, the voter's and the accused's owners (4). Writes: case.
    // Decoding: the case's members.
    fn vote(&self) -> Weight {
        self.of(4, 1, CALL_BASE.saturating_add(items(max_members())))
    }

    // Reads: case, block number, account and holds (the release), open cases (5). Writes: open
    // cases, case, account, holds (4). Decoding: the open cases and the case's members.
    fn close_case(&self, k: u32) -> Weight {
        let decoded = u64::from(k).saturating_add(max_members());
        self.of(5, 4, CALL_BASE.saturating_add(items(decoded)))
    }

    // Reads: slot's hotkey, quarantine record, owner, epoch (4). Writes: quarantine record.
    fn unquarantine(&self) -> Weight {
        self.of(4, 1, CALL_BASE)
    }

    // Reads: epoch (twice), the governed first quarantine length, offence history, the
    // hotkey's uid, block number, pending slash, queue bounds (8). Writes: offence history,
    // quarantine record, pending slash, queue entry, queue bounds (5). Decoding: the offence
    // history and the pending slash's deposits. A judged conviction's judgment is charged to
    // the verdict's audit opening ([`WeightInfo::open_audit`] writes it).
    fn sanction(&self) -> Weight {
        let compute = CALL_BASE.saturating_add(items(max_history().saturating_mul(2)));
        self.of(8, 5, compute)
    }

    // Reads: the due subnets (the subnets pallet's schedule), the boundary queue, the slash-due
    // list (3). Writes: the boundary queue. Decoding: each of the three lists, at most `s`
    // subnets.
    fn on_initialize_base(&self, s: u32) -> Weight {
        let compute = PER_ITEM.saturating_add(items(u64::from(s).saturating_mul(3)));
        self.of(3, 1, compute)
    }

    // Reads: epoch, mix, validators (3). Writes: epoch, completed mix, snapshot (3). Per
    // candidate: uid, stake, reputation, quarantine record (4 reads), and its encoding.
    fn advance_epoch(&self, c: u32) -> Weight {
        let c = u64::from(c);
        self.of(
            3u64.saturating_add(c.saturating_mul(4)),
            3,
            PER_ITEM.saturating_add(items(c)),
        )
    }

    // Reads: subnet exists, epoch, committees of the subnet (at most three kept: 3 keys),
    // snapshot, completed mix, governed size, open cases, canaries, queue bounds, queue head,
    // slash-due list (13); per case examined its record. Writes: past committees (at most 2),
    // the next committee (removed, then written: 2), snapshot (taken), canaries, slash-due
    // list (7). Compute: per candidate its decoding and the draw's hashing (at most
    // `(c − 1)(13 + 1) / 4` hashes: about 3.5 per candidate, counted as 4); decoding the open
    // cases, the canaries and the committee written.
    fn boundary(&self, c: u32, k: u32, q: u32) -> Weight {
        let c = u64::from(c);
        let k = u64::from(k);
        let per_candidate = HASH.saturating_mul(4).saturating_add(PER_ITEM);
        let compute = CALL_BASE
            .saturating_add(per_candidate.saturating_mul(c))
            .saturating_add(items(
                k.saturating_add(u64::from(q)).saturating_add(max_members()),
            ));
        self.of(13u64.saturating_add(k), 7, compute)
    }

    // Reads: epoch, queue bounds, queue entry, pending slash, the reporter's account (the
    // mint), total issuance, the governed reporter share, the open audit of each judgment it
    // carries (7 + `MaxOffenceHistory`).
    // Writes: queue entry, pending slash, queue bounds, account, total issuance, slash-due list
    // (6). Per judgment carried: the judgment read and removed, its bond released (account and
    // holds): 3 reads, 3 writes. Decoding: the pending slash's deposits and cases.
    fn settle_slash(&self) -> Weight {
        let h = max_history();
        self.of(
            7u64.saturating_add(h.saturating_mul(4)),
            6u64.saturating_add(h.saturating_mul(3)),
            CALL_BASE.saturating_add(items(h.saturating_mul(2))),
        )
    }

    // Reads: account and holds. Writes: account and holds.
    fn release_canary_deposit(&self) -> Weight {
        self.of(2, 2, PER_ITEM)
    }

    // Reads: epoch, key history. Writes: key history. Pruning touches at most `MaxBoundKeys`.
    fn on_key_bound(&self) -> Weight {
        self.of(2, 1, CALL_BASE.saturating_add(items(max_keys())))
    }

    // Reads: completed mix, validators, the governed size, the accused's owner, open audits,
    // block number (6); per candidate: uid, stake, reputation, quarantine record, owner (5).
    // Writes: judgment, audit, open audits (3). Compute: per candidate its decoding and the
    // draw's hashing (counted as 4 hashes, as for the boundary draw), the case committee barred.
    fn open_audit(&self, c: u32, a: u32) -> Weight {
        let c = u64::from(c);
        let per_candidate = HASH.saturating_mul(4).saturating_add(PER_ITEM);
        let compute = CALL_BASE
            .saturating_add(HASH)
            .saturating_add(per_candidate.saturating_mul(c))
            .saturating_add(items(u64::from(a).saturating_add(max_members())));
        self.of(6u64.saturating_add(c.saturating_mul(5)), 3, compute)
    }

    // Reads: judgment, the accused's owner, epoch, account and holds (the hold) (5). Writes:
    // account, holds (2). Plus the audit's opening.
    fn appeal(&self, c: u32, a: u32) -> Weight {
        self.of(5, 2, CALL_BASE)
            .saturating_add(self.open_audit(c, a))
    }

    // Reads: audit, escalation, block number (3). Writes: audit. Decoding: the audit's members.
    fn audit_vote(&self) -> Weight {
        self.of(3, 1, CALL_BASE.saturating_add(items(max_members())))
    }

    // Reads: audit, judgment, block number, open audits, account and holds (the deposit) (6).
    // Writes: audit, escalation, judgment, open audits, account, holds, total issuance (7).
    // Decoding: the open audits and the case's members.
    fn close_audit(&self, a: u32) -> Weight {
        let decoded = u64::from(a).saturating_add(max_members());
        self.of(6, 7, CALL_BASE.saturating_add(items(decoded)))
    }

    // Reads: quarantine, offence history, pending slash, the reporter's and the committer's
    // account and holds (4), total issuance, the governed slash rates (9). Writes: the same
    // but the rates (8). Per member: its
    // reputation cut's event and bookkeeping (the slash itself is `SlashWeight`). Decoding: the
    // pending slash's deposits and cases, the offence history.
    fn overturn(&self) -> Weight {
        let compute = CALL_BASE
            .saturating_add(items(max_history().saturating_mul(3)))
            .saturating_add(items(max_members()));
        self.of(9, 8, compute)
    }

    // Reads: judgment, the accused's owner, the validators list, block number (4); per
    // candidate its uid, quarantine, owner and stake (4). Writes: audit, escalation (2).
    // Decoding and encoding the electorate.
    fn open_escalation(&self, c: u32) -> Weight {
        let c = u64::from(c);
        self.of(
            4u64.saturating_add(c.saturating_mul(4)),
            2,
            CALL_BASE.saturating_add(items(c.saturating_mul(2))),
        )
    }

    // Reads: escalation, block number (2). Writes: escalation. Decoding and encoding the
    // electorate.
    fn escalation_vote(&self, c: u32) -> Weight {
        self.of(
            2,
            1,
            CALL_BASE.saturating_add(items(u64::from(c).saturating_mul(2))),
        )
    }

    // Reads: open cases, canaries, open audits, the boundary queue, the slash-due list (5).
    // Writes: those five, epoch, mix, completed mix, snapshot, the two queue bounds, the
    // dissolved set (12). Per case: the case, the reporter's account and holds (3 reads, 3
    // writes). Per canary: the committer's account and holds (2, 2). Per audit: the audit, its
    // judgment, the appellant's account and holds (4 reads), and those and its escalation (5
    // writes). Decoding: the three lists, each case's and audit's members.
    fn on_subnet_dissolved(&self, k: u32, q: u32, a: u32) -> Weight {
        let (k, q, a) = (u64::from(k), u64::from(q), u64::from(a));
        let per_item = k.saturating_mul(3).saturating_add(q.saturating_mul(2));
        let decoded = k
            .saturating_add(a)
            .saturating_mul(max_members().saturating_add(1))
            .saturating_add(q);
        self.of(
            5u64.saturating_add(per_item)
                .saturating_add(a.saturating_mul(4)),
            12u64
                .saturating_add(per_item)
                .saturating_add(a.saturating_mul(5)),
            CALL_BASE.saturating_add(items(decoded)),
        )
    }

    // Reads: the first dissolved subnet, and the start of each of the 8 maps cleared (9); per
    // entry its key (1). Writes: per entry its removal (1), and the dissolved set.
    fn clear_dissolved(&self, e: u32) -> Weight {
        let e = u64::from(e);
        self.of(
            9u64.saturating_add(e),
            1u64.saturating_add(e),
            PER_ITEM.saturating_add(items(e)),
        )
    }

    // Reads: the pending slash (1). Writes: its removal (1). Per canary deposit: the
    // committer's account and holds (2 reads, 2 writes); per judgment: the judgment, the
    // reporter's account and holds (3, 3); at most `MaxOffenceHistory` each. Decoding: the
    // deposits and the cases.
    fn drop_slash(&self) -> Weight {
        let h = max_history();
        let per = h.saturating_mul(5);
        self.of(
            1u64.saturating_add(per),
            1u64.saturating_add(per),
            CALL_BASE.saturating_add(items(h.saturating_mul(2))),
        )
    }

    // Reads: epoch, the departure record, the queue bounds (3). Writes: the departure record,
    // a queue entry, the queue bounds (3).
    fn on_neuron_left(&self) -> Weight {
        self.of(3, 3, CALL_BASE)
    }

    // Reads: the queue entry, the departure record, the hotkey's uid, key history, offence
    // history, quarantine, the governed first quarantine length (7). Writes: the queue entry,
    // the departure record, key history, offence history, quarantine, and putting it back (a
    // queue entry, the bounds) (7). Decoding: the offence and key histories.
    fn prune_departure(&self) -> Weight {
        let compute = PER_ITEM.saturating_add(items(max_history().saturating_add(max_keys())));
        self.of(7, 7, compute)
    }
}

/// The estimates priced at the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn submit_equivocation() -> Weight {
        estimates(T::DbWeight::get()).submit_equivocation()
    }
    fn commit_canary(q: u32) -> Weight {
        estimates(T::DbWeight::get()).commit_canary(q)
    }
    fn submit_canary_failure(q: u32) -> Weight {
        estimates(T::DbWeight::get()).submit_canary_failure(q)
    }
    fn report(k: u32) -> Weight {
        estimates(T::DbWeight::get()).report(k)
    }
    fn vote() -> Weight {
        estimates(T::DbWeight::get()).vote()
    }
    fn close_case(k: u32) -> Weight {
        estimates(T::DbWeight::get()).close_case(k)
    }
    fn unquarantine() -> Weight {
        estimates(T::DbWeight::get()).unquarantine()
    }
    fn sanction() -> Weight {
        estimates(T::DbWeight::get()).sanction()
    }
    fn on_initialize_base(s: u32) -> Weight {
        estimates(T::DbWeight::get()).on_initialize_base(s)
    }
    fn advance_epoch(c: u32) -> Weight {
        estimates(T::DbWeight::get()).advance_epoch(c)
    }
    fn boundary(c: u32, k: u32, q: u32) -> Weight {
        estimates(T::DbWeight::get()).boundary(c, k, q)
    }
    fn settle_slash() -> Weight {
        estimates(T::DbWeight::get()).settle_slash()
    }
    fn release_canary_deposit() -> Weight {
        estimates(T::DbWeight::get()).release_canary_deposit()
    }
    fn on_key_bound() -> Weight {
        estimates(T::DbWeight::get()).on_key_bound()
    }
    fn open_audit(c: u32, a: u32) -> Weight {
        estimates(T::DbWeight::get()).open_audit(c, a)
    }
    fn appeal(c: u32, a: u32) -> Weight {
        estimates(T::DbWeight::get()).appeal(c, a)
    }
    fn audit_vote() -> Weight {
        estimates(T::DbWeight::get()).audit_vote()
    }
    fn close_audit(a: u32) -> Weight {
        estimates(T::DbWeight::get()).close_audit(a)
    }
    fn overturn() -> Weight {
        estimates(T::DbWeight::get()).overturn()
    }
    fn open_escalation(c: u32) -> Weight {
        estimates(T::DbWeight::get()).open_escalation(c)
    }
    fn escalation_vote(c: u32) -> Weight {
        estimates(T::DbWeight::get()).escalation_vote(c)
    }
    fn on_subnet_dissolved(k: u32, q: u32, a: u32) -> Weight {
        estimates(T::DbWeight::get()).on_subnet_dissolved(k, q, a)
    }
    fn clear_dissolved(e: u32) -> Weight {
        estimates(T::DbWeight::get()).clear_dissolved(e)
    }
    fn drop_slash() -> Weight {
        estimates(T::DbWeight::get()).drop_slash()
    }
    fn on_neuron_left() -> Weight {
        estimates(T::DbWeight::get()).on_neuron_left()
    }
    fn prune_departure() -> Weight {
        estimates(T::DbWeight::get()).prune_departure()
    }
}

/// The estimates priced at RocksDB's weights, for tests.
impl WeightInfo for () {
    fn submit_equivocation() -> Weight {
        estimates(RocksDbWeight::get()).submit_equivocation()
    }
    fn commit_canary(q: u32) -> Weight {
        estimates(RocksDbWeight::get()).commit_canary(q)
    }
    fn submit_canary_failure(q: u32) -> Weight {
        estimates(RocksDbWeight::get()).submit_canary_failure(q)
    }
    fn report(k: u32) -> Weight {
        estimates(RocksDbWeight::get()).report(k)
    }
    fn vote() -> Weight {
        estimates(RocksDbWeight::get()).vote()
    }
    fn close_case(k: u32) -> Weight {
        estimates(RocksDbWeight::get()).close_case(k)
    }
    fn unquarantine() -> Weight {
        estimates(RocksDbWeight::get()).unquarantine()
    }
    fn sanction() -> Weight {
        estimates(RocksDbWeight::get()).sanction()
    }
    fn on_initialize_base(s: u32) -> Weight {
        estimates(RocksDbWeight::get()).on_initialize_base(s)
    }
    fn advance_epoch(c: u32) -> Weight {
        estimates(RocksDbWeight::get()).advance_epoch(c)
    }
    fn boundary(c: u32, k: u32, q: u32) -> Weight {
        estimates(RocksDbWeight::get()).boundary(c, k, q)
    }
    fn settle_slash() -> Weight {
        estimates(RocksDbWeight::get()).settle_slash()
    }
    fn release_canary_deposit() -> Weight {
        estimates(RocksDbWeight::get()).release_canary_deposit()
    }
    fn on_key_bound() -> Weight {
        estimates(RocksDbWeight::get()).on_key_bound()
    }
    fn open_audit(c: u32, a: u32) -> Weight {
        estimates(RocksDbWeight::get()).open_audit(c, a)
    }
    fn appeal(c: u32, a: u32) -> Weight {
        estimates(RocksDbWeight::get()).appeal(c, a)
    }
    fn audit_vote() -> Weight {
        estimates(RocksDbWeight::get()).audit_vote()
    }
    fn close_audit(a: u32) -> Weight {
        estimates(RocksDbWeight::get()).close_audit(a)
    }
    fn overturn() -> Weight {
        estimates(RocksDbWeight::get()).overturn()
    }
    fn open_escalation(c: u32) -> Weight {
        estimates(RocksDbWeight::get()).open_escalation(c)
    }
    fn escalation_vote(c: u32) -> Weight {
        estimates(RocksDbWeight::get()).escalation_vote(c)
    }
    fn on_subnet_dissolved(k: u32, q: u32, a: u32) -> Weight {
        estimates(RocksDbWeight::get()).on_subnet_dissolved(k, q, a)
    }
    fn clear_dissolved(e: u32) -> Weight {
        estimates(RocksDbWeight::get()).clear_dissolved(e)
    }
    fn drop_slash() -> Weight {
        estimates(RocksDbWeight::get()).drop_slash()
    }
    fn on_neuron_left() -> Weight {
        estimates(RocksDbWeight::get()).on_neuron_left()
    }
    fn prune_departure() -> Weight {
        estimates(RocksDbWeight::get()).prune_departure()
    }
}
