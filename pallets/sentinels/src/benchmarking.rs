//! Benchmarks of the sentinels pallet's calls and hooks, one per [`WeightInfo`] function, each
//! in the worst case of what it is charged for: bounded lists at their bounds, every key a miner
//! may have bound checked against a real Ed25519 signature (generated and signed through the
//! keystore), committees of the largest size (13 seats, [`MAX_COMMITTEE_SIZE`]), histories and
//! pending slashes full, and the draws over candidates read from a subnet of 4,096 uids.
//!
//! The other pallets' state (subnets, neurons, stake, reputation, the governed committee size)
//! comes from [`Config::BenchmarkHelper`]; this pallet's own state is written directly.

// Benchmark setup may panic and does arithmetic on small component ranges: a failed setup is
// a broken benchmark, not a runtime path.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::*;
use crate::types::{
    Audit, Canary, Case, Challenge, CommitteeRecord, Elector, JudgedOffence, Judgment, KeyBinding,
    OffenceKind, OpenCase, PendingSlash, Quarantine, Response, SeenBlock, SignedResponse,
    SnapshotCandidate,
};
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{
        fungible::{Inspect, Mutate, MutateHold},
        Get,
    },
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use mindos_primitives::{EndpointObserver, NeuronsInfo, SubnetsInfo, MAX_NEURONS_PER_SUBNET};
use mindos_sentinels_math::{
    slash_rate, AuditReason, CommitteeSize, Offence as SlashOffence, MAX_COMMITTEE_SIZE,
};
use sp_core::ed25519;
use sp_runtime::{
    traits::{Hash, Saturating, Zero},
    Perbill,
};

/// Seats of the committees the benchmarks use: the largest the pallet allows.
const SEATS: u32 = MAX_COMMITTEE_SIZE as u32;
/// The governed threshold of a 13-seat committee: `2f + 1`.
const SEATS_THRESHOLD: u32 = 9;
/// Uids of the subnets the draws read their candidates from: a full subnet, because a
/// candidate's reputation is read from per-uid records as long as the subnet.
const NEURONS: u32 = MAX_NEURONS_PER_SUBNET as u32;
/// The sentinel epoch the benchmarks run in: offences in epochs `1..=MaxOffenceHistory` are
/// outside the 30-epoch window, so a full history is read whole and still only quarantines.
const EPOCH: u64 = 100;
/// The block the benchmarks run in (after the setup's registrations in block 1).
const NOW: u32 = 10;

fn max_keys() -> u32 {
    <MaxBoundKeys as Get<u32>>::get()
}

fn max_history() -> u32 {
    <MaxOffenceHistory as Get<u32>>::get()
}

fn seats() -> CommitteeSize {
    CommitteeSize::new(MAX_COMMITTEE_SIZE).expect("13 seats is a committee size")
}

/// A bitmap of seats `from..to`.
fn seat_bits(from: u32, to: u32) -> u16 {
    (from..to).fold(0u16, |bits, seat| bits | (1 << seat))
}

/// A subnet in sentinel epoch [`EPOCH`] at block [`NOW`] with `neurons` uids of which the
/// first `validators` hold permits, and a governed committee of 13. Returns its hotkeys in uid
/// order.
fn subnet<T: Config>(neurons: u32, validators: u32) -> (NetUid, Vec<T::AccountId>) {
    frame_system::Pallet::<T>::set_block_number(1u32.into());
    T::BenchmarkHelper::set_committee(SEATS, SEATS_THRESHOLD);
    let (netuid, hotkeys) = T::BenchmarkHelper::subnet(neurons, validators);
    SubnetEpoch::<T>::insert(netuid, EPOCH);
    frame_system::Pallet::<T>::set_block_number(NOW.into());
    (netuid, hotkeys)
}

/// Gives `who` enough to hold every bond and deposit the benchmarks ask of it.
fn fund<T: Config>(who: &T::AccountId) {
    let need = T::ReportBond::get()
        .saturating_add(T::AppealDeposit::get())
        .saturating_add(T::CanaryDeposit::get())
        .saturating_mul(max_history().saturating_add(2).into())
        .saturating_add(T::Currency::minimum_balance());
    T::Currency::set_balance(who, need.saturating_mul(10u32.into()));
}

/// Funds `who` and holds `amount` from it for `reason`.
fn hold<T: Config>(who: &T::AccountId, reason: HoldReason, amount: BalanceOf<T>) {
    fund::<T>(who);
    T::Currency::hold(&reason.into(), who, amount).expect("funded");
}

/// Binds `MaxBoundKeys` fresh Ed25519 keys to `hotkey` in the current epoch, so that every one
/// of them verifies a challenge of it; returns the last bound, which a signature is checked
/// against last.
fn bind_keys<T: Config>(netuid: NetUid, hotkey: &T::AccountId) -> ed25519::Public {
    let mut last = None;
    for _ in 0..max_keys() {
        let public = sp_io::crypto::ed25519_generate(BENCHMARK_KEY_TYPE, None);
        assert!(<Pallet<T> as EndpointObserver<T::AccountId>>::on_key_bound(
            netuid, hotkey, public.0
        ));
        last = Some(public);
    }
    last.expect("MaxBoundKeys is positive")
}

/// A challenge of epoch [`EPOCH`] to `hotkey` at `uid`, naming the subnet's model.
fn challenge<T: Config>(
    netuid: NetUid,
    uid: u16,
    hotkey: &T::AccountId,
) -> Challenge<T::AccountId> {
    Challenge {
        netuid,
        uid,
        hotkey: hotkey.clone(),
        epoch: EPOCH,
        nonce: 7,
        input_hash: [1; 32],
        model_digest: T::Subnets::task(netuid).expect("live subnet").model_digest,
        deadline: 1_000,
    }
}

/// `response` signed by `key` through the keystore.
fn sign<T: Config>(
    key: &ed25519::Public,
    response: Response<T::AccountId>,
) -> SignedResponse<T::AccountId> {
    let message = response_message(Pallet::<T>::genesis_hash().as_ref(), &response);
    let signature = sp_io::crypto::ed25519_sign(BENCHMARK_KEY_TYPE, key, &message)
        .expect("the keystore signs with the key it generated");
    SignedResponse {
        response,
        signature: signature.0,
    }
}

/// `hotkey` was sanctioned `MaxOffenceHistory` times long ago: the history is read whole and
/// the next offence quarantines (a deregistration is charged apart, at its own worst).
fn old_offences<T: Config>(netuid: NetUid, hotkey: &T::AccountId) {
    let epochs: Vec<u64> = (1..=u64::from(max_history())).collect();
    OffenceHistory::<T>::insert(netuid, hotkey, BoundedVec::truncate_from(epochs));
}

/// A pending judged slash of `hotkey` (the lower rate: a proven offence raises it and queues
/// it again) carrying `deposits` canary deposits and `cases` judgments.
fn pending_judged_slash<T: Config>(
    netuid: NetUid,
    hotkey: &T::AccountId,
    reporter: &T::AccountId,
    deposits: u32,
    cases: u32,
) {
    let deposits: Vec<_> = (0..deposits)
        .map(|_| (reporter.clone(), T::CanaryDeposit::get()))
        .collect();
    let cases: Vec<CaseId> = (0..cases).map(|i| 1_000_000 + u64::from(i)).collect();
    PendingSlashes::<T>::insert(
        netuid,
        hotkey,
        PendingSlash {
            uid: 0,
            offence: OffenceKind::Judged(JudgedOffence::Timeout),
            rate: slash_rate(&Pallet::<T>::slash_rates(), SlashOffence::MinerJudged),
            reporter: reporter.clone(),
            canary_deposits: BoundedVec::truncate_from(deposits),
            cases: BoundedVec::truncate_from(cases),
            offences: max_history(),
            due_epoch: EPOCH.saturating_add(u64::from(T::AuditWindowEpochs::get())),
        },
    );
    SlashQueue::<T>::insert(netuid, 0, (hotkey.clone(), EPOCH.saturating_add(1)));
    SlashQueueBounds::<T>::insert(netuid, (0, 1));
}

/// A committee record of `members` (uids and hotkeys).
fn committee<T: Config>(members: &[(u16, T::AccountId)]) -> CommitteeOf<T> {
    CommitteeRecord {
        size: seats(),
        members: BoundedVec::truncate_from(members.to_vec()),
        drawn_at: 1u32.into(),
    }
}

/// An open case on `uid` (`accused`) judged by `members`, reported by `reporter` with its bond,
/// open until `expires_at`.
fn case<T: Config>(
    netuid: NetUid,
    uid: u16,
    accused: &T::AccountId,
    reporter: &T::AccountId,
    members: Vec<T::AccountId>,
    expires_at: BlockNumberFor<T>,
) -> CaseOf<T> {
    Case {
        netuid,
        uid,
        accused: accused.clone(),
        offence: JudgedOffence::WrongOutput,
        evidence_hash: [5; 32],
        reporter: reporter.clone(),
        bond: T::ReportBond::get(),
        epoch: EPOCH,
        size: seats(),
        threshold: SEATS_THRESHOLD as u8,
        members: BoundedVec::truncate_from(members),
        guilty: 1,
        not_guilty: 0,
        opened_at: 1u32.into(),
        expires_at,
    }
}

/// `count` accounts that are neither registered nor funded.
fn accounts<T: Config>(name: &'static str, count: u32) -> Vec<T::AccountId> {
    (0..count).map(|i| account(name, i, 0)).collect()
}

/// A conviction of `accused` by a 13-seat committee of `members` (all guilty), reported by
/// `reporter`, whose slash falls due after the audit window.
fn conviction<T: Config>(
    netuid: NetUid,
    accused: &T::AccountId,
    reporter: &T::AccountId,
    members: Vec<T::AccountId>,
) -> JudgmentOf<T> {
    Judgment {
        netuid,
        uid: 0,
        accused: accused.clone(),
        offence: OffenceKind::Judged(JudgedOffence::WrongOutput),
        convicted: true,
        reporter: reporter.clone(),
        bond: T::ReportBond::get(),
        canary: None,
        size: Some(seats()),
        members: BoundedVec::truncate_from(members),
        guilty: seat_bits(0, SEATS),
        not_guilty: 0,
        epoch: EPOCH,
        due_epoch: EPOCH.saturating_add(u64::from(T::AuditWindowEpochs::get())),
        audited: false,
    }
}

/// An open audit by `members`, voting until `expires_at`, with `appellant`'s deposit held.
fn audit<T: Config>(
    netuid: NetUid,
    members: Vec<T::AccountId>,
    appellant: Option<T::AccountId>,
    expires_at: BlockNumberFor<T>,
) -> AuditOf<T> {
    Audit {
        netuid,
        reason: AuditReason::Appeal,
        appellant: appellant.map(|a| (a, T::AppealDeposit::get())),
        size: seats(),
        members: BoundedVec::truncate_from(members),
        uphold: 0,
        overturn: 0,
        expires_at,
    }
}

/// `a` open audits on `netuid` (case ids `2_000_000..`), each with its record, not expired.
fn open_audits<T: Config>(netuid: NetUid, a: u32) {
    let members = accounts::<T>("auditor", SEATS);
    let ids: Vec<CaseId> = (0..a).map(|i| 2_000_000 + u64::from(i)).collect();
    for id in &ids {
        Audits::<T>::insert(
            id,
            audit::<T>(netuid, members.clone(), None, 100_000u32.into()),
        );
    }
    OpenAudits::<T>::insert(netuid, BoundedVec::truncate_from(ids));
}

/// The candidates of a subnet of [`NEURONS`] uids whose first `c` uids are validators, with
/// seat weights spread over 13 levels (each a quarter of the one above, the rest at the lowest)
/// so that a draw rejects many before it fills its seats, and a completed mix seeding the
/// committee of epoch `EPOCH + 1`. Returns the subnet's hotkeys.
fn draw_subnet<T: Config>(c: u32) -> (NetUid, Vec<T::AccountId>) {
    let (netuid, hotkeys) = subnet::<T>(NEURONS, c);
    for uid in 0..c {
        let level = uid.min(SEATS);
        let parts = 1_000_000_000u32 >> (2 * level);
        T::BenchmarkHelper::set_reputation(netuid, uid as u16, Perbill::from_parts(parts.max(1)));
    }
    CompletedMix::<T>::insert(netuid, (EPOCH - 1, [7u8; 32]));
    (netuid, hotkeys)
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// Equivocation with both signatures checked against `MaxBoundKeys` keys (the signing key
    /// bound last), the miner's offence history full, and its sanction merged into a pending
    /// slash with full lists, raising its rate and queueing it again. A deregistration is not
    /// measured: the call charges `NeuronDeregistration::max_weight` for it.
    #[benchmark]
    fn submit_equivocation() {
        let (netuid, hotkeys) = subnet::<T>(2, 1);
        let (reporter, miner) = (hotkeys[0].clone(), hotkeys[1].clone());
        let key = bind_keys::<T>(netuid, &miner);
        old_offences::<T>(netuid, &miner);
        pending_judged_slash::<T>(netuid, &miner, &reporter, max_history(), max_history());
        let challenge = challenge::<T>(netuid, 1, &miner);
        let response = |output_hash| Response {
            challenge: challenge.clone(),
            seen_block: SeenBlock {
                number: 1,
                hash: [9; 32],
            },
            output_hash,
            latency_ms: 10,
        };
        let first = sign::<T>(&key, response([2; 32]));
        let second = sign::<T>(&key, response([3; 32]));

        #[extrinsic_call]
        _(RawOrigin::Signed(reporter), netuid, 1, first, second);

        assert!(Quarantines::<T>::contains_key(netuid, &miner));
    }

    /// Committing a canary on a subnet holding `q` others, the committer's own at its bound
    /// less one among them.
    #[benchmark]
    fn commit_canary(q: Linear<0, { T::MaxCanariesPerSubnet::get() - 1 }>) {
        let (netuid, hotkeys) = subnet::<T>(1, 1);
        let committer = hotkeys[0].clone();
        fund::<T>(&committer);
        let own = T::MaxCanariesPerCommitter::get().saturating_sub(1).min(q);
        let canaries: Vec<CanaryOf<T>> = (0..q)
            .map(|i| Canary {
                commitment: sp_io::hashing::blake2_256(&i.to_le_bytes()),
                committer: if i < own {
                    committer.clone()
                } else {
                    account("committer", i, 0)
                },
                deposit: T::CanaryDeposit::get(),
                epoch: EPOCH,
                committed_at_block: 1u32.into(),
            })
            .collect();
        Canaries::<T>::insert(netuid, BoundedVec::truncate_from(canaries));

        #[extrinsic_call]
        _(RawOrigin::Signed(committer), netuid, [0xAA; 32]);

        assert_eq!(Canaries::<T>::get(netuid).len() as u32, q + 1);
    }

    /// A canary failure opening the last of `q` canaries, its signature checked against
    /// `MaxBoundKeys` keys, the miner's history full and its sanction merged into a pending
    /// slash with room for one more deposit and judgment. A deregistration is not measured (as
    /// for `submit_equivocation`).
    #[benchmark]
    fn submit_canary_failure(q: Linear<1, { T::MaxCanariesPerSubnet::get() }>) {
        let (netuid, hotkeys) = subnet::<T>(2, 1);
        let (reporter, miner) = (hotkeys[0].clone(), hotkeys[1].clone());
        let committer: T::AccountId = account("committer", 0, 0);
        hold::<T>(
            &committer,
            HoldReason::CanaryDeposit,
            T::CanaryDeposit::get(),
        );
        let key = bind_keys::<T>(netuid, &miner);
        old_offences::<T>(netuid, &miner);
        let room = max_history() - 1;
        pending_judged_slash::<T>(netuid, &miner, &reporter, room, room);
        // Committed in block 1 (an epoch before the challenge); the miner saw block 2.
        let seen_number: BlockNumberFor<T> = 2u32.into();
        let seen_hash = T::Hashing::hash(b"seen");
        frame_system::BlockHash::<T>::insert(seen_number, seen_hash);
        let (expected, salt) = ([4u8; 32], [6u8; 32]);
        let challenge = challenge::<T>(netuid, 1, &miner);
        let commitment = canary_commitment(netuid, &challenge.input_hash, &expected, &salt);
        let mut canaries: Vec<CanaryOf<T>> = (1..q)
            .map(|i| Canary {
                commitment: sp_io::hashing::blake2_256(&i.to_le_bytes()),
                committer: account("committer", i, 0),
                deposit: T::CanaryDeposit::get(),
                epoch: EPOCH - 1,
                committed_at_block: 1u32.into(),
            })
            .collect();
        canaries.push(Canary {
            commitment,
            committer,
            deposit: T::CanaryDeposit::get(),
            epoch: EPOCH - 1,
            committed_at_block: 1u32.into(),
        });
        Canaries::<T>::insert(netuid, BoundedVec::truncate_from(canaries));
        let signed = sign::<T>(
            &key,
            Response {
                challenge,
                seen_block: SeenBlock {
                    number: 2,
                    hash: seen_hash.as_ref().try_into().expect("32-byte block hashes"),
                },
                output_hash: [3; 32],
                latency_ms: 10,
            },
        );

        #[extrinsic_call]
        _(
            RawOrigin::Signed(reporter),
            netuid,
            1,
            signed,
            expected,
            salt,
        );

        assert!(Quarantines::<T>::contains_key(netuid, &miner));
        assert_eq!(Canaries::<T>::get(netuid).len() as u32, q - 1);
    }

    /// A report by the last seat of a 13-seat committee (each member's coldkey read for the
    /// impartiality check) on a subnet with `k` open cases, the reporter's own at its bound less
    /// one among them.
    #[benchmark]
    fn report(k: Linear<0, { T::MaxOpenCasesPerSubnet::get() - 1 }>) {
        let (netuid, hotkeys) = subnet::<T>(SEATS + 1, SEATS);
        let members: Vec<(u16, T::AccountId)> = (0u16..)
            .zip(hotkeys[..SEATS as usize].iter().cloned())
            .collect();
        Committees::<T>::insert(netuid, EPOCH, committee::<T>(&members));
        let reporter = hotkeys[SEATS as usize - 1].clone();
        fund::<T>(&reporter);
        let own = T::MaxOpenReportsPerReporter::get().saturating_sub(1).min(k);
        let other: T::AccountId = account("reporter", 0, 0);
        let open: Vec<OpenCase<T::AccountId>> = (0..k)
            .map(|i| OpenCase {
                id: u64::from(i),
                uid: 1_000 + i as u16,
                reporter: if i < own {
                    reporter.clone()
                } else {
                    other.clone()
                },
            })
            .collect();
        OpenCases::<T>::insert(netuid, BoundedVec::truncate_from(open));
        NextCaseId::<T>::put(u64::from(k));

        #[extrinsic_call]
        _(
            RawOrigin::Signed(reporter),
            netuid,
            SEATS as u16,
            JudgedOffence::WrongOutput,
            [5; 32],
        );

        assert_eq!(OpenCases::<T>::get(netuid).len() as u32, k + 1);
    }

    /// A vote by the last seat of a 13-seat case that leaves it open (8 guilty of the 9
    /// needed): the closing and a sanction are charged apart.
    #[benchmark]
    fn vote() {
        let (netuid, hotkeys) = subnet::<T>(SEATS + 1, SEATS);
        let accused = hotkeys[SEATS as usize].clone();
        let members = hotkeys[..SEATS as usize].to_vec();
        let voter = members[SEATS as usize - 1].clone();
        let mut open_case = case::<T>(
            netuid,
            SEATS as u16,
            &accused,
            &members[0],
            members.clone(),
            1_000u32.into(),
        );
        open_case.guilty = seat_bits(0, SEATS_THRESHOLD - 2);
        Cases::<T>::insert(0, open_case);
        OpenCases::<T>::insert(
            netuid,
            BoundedVec::truncate_from(alloc::vec![OpenCase {
                id: 0,
                uid: SEATS as u16,
                reporter: members[0].clone(),
            }]),
        );

        #[extrinsic_call]
        _(RawOrigin::Signed(voter), 0, true);

        assert_eq!(
            Cases::<T>::get(0).unwrap().tally().guilty as u32,
            SEATS_THRESHOLD - 1
        );
    }

    /// Dismissing the last of `k` open cases after its expiry, releasing its bond.
    #[benchmark]
    fn close_case(k: Linear<1, { T::MaxOpenCasesPerSubnet::get() }>) {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let accused = hotkeys[0].clone();
        let reporter: T::AccountId = account("reporter", 0, 0);
        hold::<T>(&reporter, HoldReason::ReportBond, T::ReportBond::get());
        let open: Vec<OpenCase<T::AccountId>> = (0..k)
            .map(|i| OpenCase {
                id: u64::from(i),
                uid: i as u16,
                reporter: reporter.clone(),
            })
            .collect();
        OpenCases::<T>::insert(netuid, BoundedVec::truncate_from(open));
        let id = u64::from(k - 1);
        Cases::<T>::insert(
            id,
            case::<T>(
                netuid,
                0,
                &accused,
                &reporter,
                accounts::<T>("member", SEATS),
                1u32.into(),
            ),
        );
        let caller: T::AccountId = account("caller", 0, 0);

        #[extrinsic_call]
        _(RawOrigin::Signed(caller), id);

        assert!(!Cases::<T>::contains_key(id));
    }

    /// Releasing a quarantine that has ended, by the miner's coldkey.
    #[benchmark]
    fn unquarantine() {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let miner = hotkeys[0].clone();
        let owner = T::Neurons::hotkey_owner(&miner).expect("registered");
        Quarantines::<T>::insert(
            netuid,
            &miner,
            Quarantine {
                uid: 0,
                offence: OffenceKind::Equivocation,
                since_epoch: EPOCH - 2,
                since_block: 1u32.into(),
                until_epoch: EPOCH,
                offences: 1,
            },
        );

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), netuid, 0);

        assert!(!Quarantines::<T>::contains_key(netuid, &miner));
    }

    /// The bookkeeping of one sanction: a full offence history read, a quarantine, and the
    /// slash merged into a pending one with room for one more deposit and judgment, raising its
    /// rate and queueing it again.
    #[benchmark]
    fn sanction() {
        let (netuid, hotkeys) = subnet::<T>(2, 1);
        let (reporter, miner) = (hotkeys[0].clone(), hotkeys[1].clone());
        old_offences::<T>(netuid, &miner);
        let room = max_history() - 1;
        pending_judged_slash::<T>(netuid, &miner, &reporter, room, room);

        #[block]
        {
            Pallet::<T>::apply_sanction(
                netuid,
                1,
                miner.clone(),
                OffenceKind::CanaryFailure,
                reporter.clone(),
                T::CanaryDeposit::get(),
                Some(3_000_000),
            );
        }

        assert!(Quarantines::<T>::contains_key(netuid, &miner));
    }

    /// A block with no boundary due: the subnets pallet's schedule of at least `s` subnets
    /// read, no boundary queued, and `s` subnets marked for settlement whose queue heads are
    /// not due yet (each queue head read, and each subnet taken off the due list).
    #[benchmark]
    fn on_initialize_base(s: Linear<0, { T::MaxSubnets::get() }>) {
        frame_system::Pallet::<T>::set_block_number(1u32.into());
        while (T::Subnets::netuids().len() as u32) < s {
            T::BenchmarkHelper::subnet(0, 0);
        }
        let netuids: Vec<NetUid> = (0..s).map(|i| NetUid(10_000 + i as u16)).collect();
        let hotkey: T::AccountId = account("miner", 0, 0);
        for netuid in &netuids {
            SubnetEpoch::<T>::insert(netuid, EPOCH);
            SlashQueue::<T>::insert(netuid, 0, (hotkey.clone(), EPOCH + 1));
            SlashQueueBounds::<T>::insert(netuid, (0, 1));
        }
        SlashesDue::<T>::put(BoundedVec::truncate_from(netuids));
        let now = (NOW..NOW + 10_000)
            .find(|b| T::Subnets::epochs_due(u64::from(*b)).is_empty())
            .expect("a block without boundaries");
        let now: BlockNumberFor<T> = now.into();
        frame_system::Pallet::<T>::set_block_number(now);

        #[block]
        {
            Pallet::<T>::on_block(now);
        }

        // Each queue was read, found not due and left as it is; the due list emptied.
        assert!(SlashesDue::<T>::get().is_empty());
    }

    /// One subnet's boundary: its epoch advanced, its mix completed and `c` candidates
    /// snapshotted from a subnet of 4,096 uids (stake, reputation and quarantine of each).
    #[benchmark]
    fn advance_epoch(c: Linear<0, { T::MaxCandidates::get() }>) {
        let (netuid, _) = draw_subnet::<T>(c);
        let now = frame_system::Pallet::<T>::block_number();

        #[block]
        {
            Pallet::<T>::advance_epoch(netuid, now, true);
        }

        assert_eq!(
            Candidates::<T>::get(netuid).unwrap().candidates.len() as u32,
            c
        );
    }

    /// One subnet's queued boundary work: the past committee dropped, a 13-seat committee drawn
    /// among `c` snapshotted candidates (seat weights spread so that many are rejected), `k`
    /// open cases and `q` canaries examined (none expired: closing and releasing are charged
    /// apart), `MaxOpenAuditsPerSubnet` open audits examined, and its settlement queue marked
    /// due behind every other subnet.
    #[benchmark]
    fn boundary(
        c: Linear<0, { T::MaxCandidates::get() }>,
        k: Linear<0, { T::MaxOpenCasesPerSubnet::get() }>,
        q: Linear<0, { T::MaxCanariesPerSubnet::get() }>,
    ) {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let candidates: Vec<SnapshotCandidate<T::AccountId>> = (0..c)
            .map(|i| {
                // 13 levels of stake, each 1/128 of the one above; the rest at the lowest.
                let level = SEATS.saturating_sub(i.min(SEATS));
                SnapshotCandidate {
                    uid: i as u16,
                    hotkey: account("candidate", i, 0),
                    stake: 1u128 << (21 + 7 * level),
                    reputation: Perbill::one(),
                    excluded: false,
                }
            })
            .collect();
        Candidates::<T>::insert(
            netuid,
            CandidateSnapshot {
                epoch: EPOCH + 1,
                taken_at: 1u32.into(),
                candidates: BoundedVec::truncate_from(candidates),
            },
        );
        CompletedMix::<T>::insert(netuid, (EPOCH - 1, [7u8; 32]));
        let members: Vec<(u16, T::AccountId)> =
            (0u16..).zip(accounts::<T>("member", SEATS)).collect();
        for epoch in [EPOCH - 1, EPOCH, EPOCH + 1] {
            Committees::<T>::insert(netuid, epoch, committee::<T>(&members));
        }
        let reporter: T::AccountId = account("reporter", 0, 0);
        let member_keys: Vec<T::AccountId> = members.iter().map(|(_, h)| h.clone()).collect();
        let open: Vec<OpenCase<T::AccountId>> = (0..k)
            .map(|i| {
                let id = u64::from(i);
                Cases::<T>::insert(
                    id,
                    case::<T>(
                        netuid,
                        i as u16,
                        &hotkeys[0],
                        &reporter,
                        member_keys.clone(),
                        100_000u32.into(),
                    ),
                );
                OpenCase {
                    id,
                    uid: i as u16,
                    reporter: reporter.clone(),
                }
            })
            .collect();
        OpenCases::<T>::insert(netuid, BoundedVec::truncate_from(open));
        let canaries: Vec<CanaryOf<T>> = (0..q)
            .map(|i| Canary {
                commitment: sp_io::hashing::blake2_256(&i.to_le_bytes()),
                committer: account("committer", i, 0),
                deposit: T::CanaryDeposit::get(),
                epoch: EPOCH,
                committed_at_block: 1u32.into(),
            })
            .collect();
        Canaries::<T>::insert(netuid, BoundedVec::truncate_from(canaries));
        open_audits::<T>(netuid, T::MaxOpenAuditsPerSubnet::get());
        SlashQueue::<T>::insert(netuid, 0, (hotkeys[0].clone(), EPOCH));
        SlashQueueBounds::<T>::insert(netuid, (0, 1));
        let others: Vec<NetUid> = (1..T::MaxSubnets::get())
            .map(|i| NetUid(10_000 + i as u16))
            .collect();
        SlashesDue::<T>::put(BoundedVec::truncate_from(others));
        let now = frame_system::Pallet::<T>::block_number();

        #[block]
        {
            Pallet::<T>::process_boundary(netuid, now);
        }

        assert!(!Committees::<T>::contains_key(netuid, EPOCH - 1));
        assert_eq!(c >= 4, Committees::<T>::contains_key(netuid, EPOCH + 1));
        assert!(SlashesDue::<T>::get().contains(&netuid));
    }

    /// Settling one slash past its audit window that carries `MaxOffenceHistory` judgments
    /// (each checked for an audit, removed, its bond released) and paying the reporter. The
    /// stake pallet's slash runs too (of a hotkey with one staker): it is charged apart as
    /// `SlashWeight`, so this slightly overcounts; the canary deposits a slash may hold are
    /// charged apart as `release_canary_deposit` each and left out here.
    #[benchmark]
    fn settle_slash() {
        let (netuid, hotkeys) = subnet::<T>(1, 1);
        let miner = hotkeys[0].clone();
        let reporter: T::AccountId = account("reporter", 0, 0);
        hold::<T>(
            &reporter,
            HoldReason::ReportBond,
            T::ReportBond::get().saturating_mul(max_history().into()),
        );
        let members = accounts::<T>("member", SEATS);
        let cases: Vec<CaseId> = (0..u64::from(max_history())).collect();
        for id in &cases {
            Judgments::<T>::insert(
                id,
                conviction::<T>(netuid, &miner, &reporter, members.clone()),
            );
        }
        PendingSlashes::<T>::insert(
            netuid,
            &miner,
            PendingSlash {
                uid: 0,
                offence: OffenceKind::Equivocation,
                rate: slash_rate(
                    &Pallet::<T>::slash_rates(),
                    SlashOffence::MinerSelfVerifying,
                ),
                reporter: reporter.clone(),
                canary_deposits: BoundedVec::new(),
                cases: BoundedVec::truncate_from(cases),
                offences: max_history(),
                due_epoch: EPOCH,
            },
        );
        SlashQueue::<T>::insert(netuid, 0, (miner.clone(), EPOCH));
        SlashQueueBounds::<T>::insert(netuid, (0, 1));
        SlashesDue::<T>::put(BoundedVec::truncate_from(alloc::vec![netuid]));

        #[block]
        {
            Pallet::<T>::settle_due_slashes(1);
        }

        assert!(!PendingSlashes::<T>::contains_key(netuid, &miner));
        assert_eq!(Judgments::<T>::iter().count(), 0);
    }

    /// Releasing one canary deposit.
    #[benchmark]
    fn release_canary_deposit() {
        let committer: T::AccountId = account("committer", 0, 0);
        hold::<T>(
            &committer,
            HoldReason::CanaryDeposit,
            T::CanaryDeposit::get(),
        );

        #[block]
        {
            Pallet::<T>::release_canary_deposit(&committer, T::CanaryDeposit::get());
        }

        let reason = HoldReason::CanaryDeposit.into();
        assert!(
            <T::Currency as frame_support::traits::fungible::InspectHold<_>>::balance_on_hold(
                &reason, &committer
            )
            .is_zero()
        );
    }

    /// Recording a key binding on a full key history: a stale binding pruned, the rest kept and
    /// the new one appended.
    #[benchmark]
    fn on_key_bound() {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let hotkey = hotkeys[0].clone();
        let history: Vec<KeyBinding> = (0..max_keys())
            .map(|i| KeyBinding {
                key: [i as u8 + 1; 32],
                from_epoch: if i < 2 { u64::from(i) + 1 } else { EPOCH - 1 },
            })
            .collect();
        KeyHistory::<T>::insert(netuid, &hotkey, BoundedVec::truncate_from(history));
        let bound;

        #[block]
        {
            bound = <Pallet<T> as EndpointObserver<T::AccountId>>::on_key_bound(
                netuid, &hotkey, [0xEE; 32],
            );
        }

        assert!(bound);
        assert_eq!(
            KeyHistory::<T>::get(netuid, &hotkey).len() as u32,
            max_keys()
        );
    }

    /// A verdict's audit: recording a conviction picked for the random audit (its pending
    /// slash and the running mix read, the judgment written), an audit committee of 13 drawn
    /// among `c` validators of a subnet of 4,096 uids (the case committee's 13 members barred,
    /// seat weights spread) and the audit opened on a subnet with `a` open audits.
    #[benchmark]
    fn open_audit(
        c: Linear<4, { T::MaxCandidates::get() }>,
        a: Linear<0, { T::MaxOpenAuditsPerSubnet::get() - 1 }>,
    ) {
        let (netuid, hotkeys) = draw_subnet::<T>(c);
        let c = c as usize;
        let accused = hotkeys[c].clone();
        let members = hotkeys[c + 1..c + 1 + SEATS as usize].to_vec();
        let reporter = members[0].clone();
        open_audits::<T>(netuid, a);
        pending_judged_slash::<T>(netuid, &accused, &reporter, 0, 1);
        let id: CaseId = 0;
        // A running mix that picks this case for the random audit (one in ten do).
        let mix = (0u32..1_000)
            .map(|i| sp_io::hashing::blake2_256(&i.to_le_bytes()))
            .find(|mix| picked_at_random(mix, id))
            .expect("a tenth of the mixes pick a case");
        Mix::<T>::insert(netuid, mix);
        let mut convicted = case::<T>(
            netuid,
            c as u16,
            &accused,
            &reporter,
            members,
            1_000u32.into(),
        );
        convicted.guilty = seat_bits(0, SEATS);

        #[block]
        {
            Pallet::<T>::record_conviction(id, &convicted);
        }

        assert!(Audits::<T>::contains_key(id));
        assert!(Judgments::<T>::get(id).unwrap().audited);
        assert_eq!(OpenAudits::<T>::get(netuid).len() as u32, a + 1);
    }

    /// An appeal by the convicted miner's coldkey, the audit committee drawn as in
    /// `open_audit`.
    #[benchmark]
    fn appeal(
        c: Linear<4, { T::MaxCandidates::get() }>,
        a: Linear<0, { T::MaxOpenAuditsPerSubnet::get() - 1 }>,
    ) {
        let (netuid, hotkeys) = draw_subnet::<T>(c);
        let c = c as usize;
        let accused = hotkeys[c].clone();
        let owner = T::Neurons::hotkey_owner(&accused).expect("registered");
        fund::<T>(&owner);
        let members = hotkeys[c + 1..c + 1 + SEATS as usize].to_vec();
        let reporter = members[0].clone();
        open_audits::<T>(netuid, a);
        Judgments::<T>::insert(0, conviction::<T>(netuid, &accused, &reporter, members));

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), 0);

        assert!(Audits::<T>::contains_key(0));
    }

    /// A vote by the last seat of a 13-seat audit that leaves it undecided (8 of the 9 votes
    /// that overturn, 3 of the 5 that uphold): the decision is charged apart.
    #[benchmark]
    fn audit_vote() {
        let (netuid, _) = subnet::<T>(1, 0);
        let members = accounts::<T>("auditor", SEATS);
        let voter = members[SEATS as usize - 1].clone();
        let mut open = audit::<T>(netuid, members, None, 1_000u32.into());
        open.uphold = seat_bits(0, 3);
        open.overturn = seat_bits(3, 3 + SEATS_THRESHOLD - 2);
        Audits::<T>::insert(0, open);
        OpenAudits::<T>::insert(netuid, BoundedVec::truncate_from(alloc::vec![0]));

        #[extrinsic_call]
        _(RawOrigin::Signed(voter), 0, false);

        assert_eq!(
            Audits::<T>::get(0).unwrap().tally().guilty as u32,
            SEATS_THRESHOLD - 1
        );
    }

    /// Closing the last of `a` open audits after its expiry: the appeal deposit released, the
    /// conviction left standing.
    #[benchmark]
    fn close_audit(a: Linear<1, { T::MaxOpenAuditsPerSubnet::get() }>) {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let accused = hotkeys[0].clone();
        let appellant: T::AccountId = account("appellant", 0, 0);
        hold::<T>(
            &appellant,
            HoldReason::AppealDeposit,
            T::AppealDeposit::get(),
        );
        open_audits::<T>(netuid, a);
        let id = 2_000_000 + u64::from(a - 1);
        let members = accounts::<T>("auditor", SEATS);
        Audits::<T>::insert(
            id,
            audit::<T>(netuid, members.clone(), Some(appellant), 1u32.into()),
        );
        let reporter: T::AccountId = account("reporter", 0, 0);
        let mut judgment = conviction::<T>(netuid, &accused, &reporter, members);
        judgment.audited = true;
        Judgments::<T>::insert(id, judgment);
        let caller: T::AccountId = account("caller", 0, 0);

        #[extrinsic_call]
        _(RawOrigin::Signed(caller), id);

        assert!(!Audits::<T>::contains_key(id));
        assert!(Judgments::<T>::contains_key(id));
    }

    /// Undoing an overturned conviction at its dearest (a canary conviction's deposit and a
    /// reporter's bond both burned, the quarantine lifted, a full offence history and a pending
    /// slash with full lists rewritten) and slashing the 13 guilty voters, who hold no stake:
    /// each member's `StakeInfo::slash` is charged apart as `SlashWeight`.
    #[benchmark]
    fn overturn() {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let miner = hotkeys[0].clone();
        let reporter: T::AccountId = account("reporter", 0, 0);
        hold::<T>(&reporter, HoldReason::ReportBond, T::ReportBond::get());
        let committer: T::AccountId = account("committer", 0, 0);
        hold::<T>(
            &committer,
            HoldReason::CanaryDeposit,
            T::CanaryDeposit::get(),
        );
        let id: CaseId = 1_000_000;
        let mut judgment =
            conviction::<T>(netuid, &miner, &reporter, accounts::<T>("member", SEATS));
        judgment.canary = Some((committer.clone(), T::CanaryDeposit::get()));
        judgment.audited = true;
        Quarantines::<T>::insert(
            netuid,
            &miner,
            Quarantine {
                uid: 0,
                offence: judgment.offence,
                since_epoch: EPOCH,
                since_block: 1u32.into(),
                until_epoch: EPOCH + 2,
                offences: 1,
            },
        );
        let mut history: Vec<u64> = (1..u64::from(max_history())).collect();
        history.push(EPOCH);
        OffenceHistory::<T>::insert(netuid, &miner, BoundedVec::truncate_from(history));
        pending_judged_slash::<T>(netuid, &miner, &reporter, 0, max_history());
        PendingSlashes::<T>::mutate(netuid, &miner, |slash| {
            let slash = slash.as_mut().expect("just written");
            slash.canary_deposits = BoundedVec::truncate_from(
                (0..max_history())
                    .map(|_| (committer.clone(), T::CanaryDeposit::get()))
                    .collect(),
            );
        });

        #[block]
        {
            Pallet::<T>::overturn_conviction(id, judgment);
        }

        assert!(!Quarantines::<T>::contains_key(netuid, &miner));
    }

    /// Opening an escalation at the deciding overturn vote: the electorate read from `c`
    /// staked validators (uid, quarantine, owner and stake each) and written with the audit.
    #[benchmark]
    fn open_escalation(c: Linear<1, { T::MaxCandidates::get() }>) {
        let (netuid, hotkeys) = subnet::<T>(c + 1, c);
        let accused = hotkeys[c as usize].clone();
        let reporter: T::AccountId = account("reporter", 0, 0);
        let mut judgment =
            conviction::<T>(netuid, &accused, &reporter, accounts::<T>("member", SEATS));
        judgment.audited = true;
        Judgments::<T>::insert(0, judgment);
        let mut open = audit::<T>(
            netuid,
            accounts::<T>("auditor", SEATS),
            None,
            1_000u32.into(),
        );
        open.overturn = seat_bits(0, SEATS_THRESHOLD);
        OpenAudits::<T>::insert(netuid, BoundedVec::truncate_from(alloc::vec![0]));

        #[block]
        {
            assert!(Pallet::<T>::escalate(0, &mut open));
        }

        assert_eq!(Escalations::<T>::get(0).unwrap().electorate.len() as u32, c);
    }

    /// A vote by the last of `c` electors that leaves the escalation open (nobody else voted,
    /// equal stakes): the decision is charged apart.
    #[benchmark]
    fn escalation_vote(c: Linear<4, { T::MaxCandidates::get() }>) {
        let (netuid, _) = subnet::<T>(1, 0);
        let electors = accounts::<T>("elector", c);
        let stake: BalanceOf<T> = 1_000u32.into();
        let voter = electors[c as usize - 1].clone();
        Escalations::<T>::insert(
            0,
            EscalationOf::<T> {
                netuid,
                electorate: BoundedVec::truncate_from(
                    electors
                        .into_iter()
                        .map(|hotkey| Elector {
                            hotkey,
                            stake,
                            vote: None,
                        })
                        .collect(),
                ),
                total: stake.saturating_mul(c.into()),
                overturn: Zero::zero(),
                uphold: Zero::zero(),
                expires_at: 1_000u32.into(),
            },
        );

        #[extrinsic_call]
        _(RawOrigin::Signed(voter), 0, true);

        assert_eq!(Escalations::<T>::get(0).unwrap().overturn, stake);
    }

    /// The bounded part of a dissolution with `k` open cases (each bond held by its own
    /// reporter), `q` canaries (each deposit its own committer's) and `a` open appeal audits of
    /// dismissals (deposit returned, judgment and escalation removed).
    #[benchmark]
    fn on_subnet_dissolved(
        k: Linear<0, { T::MaxOpenCasesPerSubnet::get() }>,
        q: Linear<0, { T::MaxCanariesPerSubnet::get() }>,
        a: Linear<0, { T::MaxOpenAuditsPerSubnet::get() }>,
    ) {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let accused = hotkeys[0].clone();
        let members = accounts::<T>("member", SEATS);
        let mut open = Vec::new();
        for i in 0..k {
            let reporter: T::AccountId = account("reporter", i, 0);
            hold::<T>(&reporter, HoldReason::ReportBond, T::ReportBond::get());
            let id = u64::from(i);
            Cases::<T>::insert(
                id,
                case::<T>(
                    netuid,
                    0,
                    &accused,
                    &reporter,
                    members.clone(),
                    1_000u32.into(),
                ),
            );
            open.push(OpenCase {
                id,
                uid: 0,
                reporter,
            });
        }
        OpenCases::<T>::insert(netuid, BoundedVec::truncate_from(open));
        let canaries: Vec<CanaryOf<T>> = (0..q)
            .map(|i| {
                let committer: T::AccountId = account("committer", i, 0);
                hold::<T>(
                    &committer,
                    HoldReason::CanaryDeposit,
                    T::CanaryDeposit::get(),
                );
                Canary {
                    commitment: sp_io::hashing::blake2_256(&i.to_le_bytes()),
                    committer,
                    deposit: T::CanaryDeposit::get(),
                    epoch: EPOCH,
                    committed_at_block: 1u32.into(),
                }
            })
            .collect();
        Canaries::<T>::insert(netuid, BoundedVec::truncate_from(canaries));
        let mut ids = Vec::new();
        for i in 0..a {
            let id = 2_000_000 + u64::from(i);
            let appellant: T::AccountId = account("appellant", i, 0);
            hold::<T>(
                &appellant,
                HoldReason::AppealDeposit,
                T::AppealDeposit::get(),
            );
            Audits::<T>::insert(
                id,
                audit::<T>(netuid, members.clone(), Some(appellant), 1_000u32.into()),
            );
            let reporter: T::AccountId = account("reporter", 0, 0);
            let mut judgment = conviction::<T>(netuid, &accused, &reporter, members.clone());
            judgment.convicted = false;
            judgment.audited = true;
            Judgments::<T>::insert(id, judgment);
            ids.push(id);
        }
        OpenAudits::<T>::insert(netuid, BoundedVec::truncate_from(ids));

        #[block]
        {
            <Pallet<T> as mindos_primitives::OnSubnetDissolved>::on_subnet_dissolved(netuid);
        }

        assert!(Dissolved::<T>::contains_key(netuid));
        assert!(OpenCases::<T>::get(netuid).is_empty());
    }

    /// One block's clearing of a dissolved subnet without pending slashes, `e` per-hotkey
    /// entries spread over the maps it clears (quarantines, offence and key histories,
    /// departures, committees).
    #[benchmark]
    fn clear_dissolved(e: Linear<0, { T::MaxClearedPerBlock::get() }>) {
        let (netuid, _) = subnet::<T>(1, 0);
        Dissolved::<T>::insert(netuid, ());
        for i in 0..e {
            let hotkey: T::AccountId = account("departed", i, 0);
            match i % 5 {
                0 => Quarantines::<T>::insert(
                    netuid,
                    &hotkey,
                    Quarantine {
                        uid: 0,
                        offence: OffenceKind::Equivocation,
                        since_epoch: EPOCH,
                        since_block: 1u32.into(),
                        until_epoch: EPOCH + 2,
                        offences: 1,
                    },
                ),
                1 => OffenceHistory::<T>::insert(
                    netuid,
                    &hotkey,
                    BoundedVec::truncate_from(alloc::vec![EPOCH]),
                ),
                2 => KeyHistory::<T>::insert(
                    netuid,
                    &hotkey,
                    BoundedVec::truncate_from(alloc::vec![KeyBinding {
                        key: [i as u8; 32],
                        from_epoch: EPOCH,
                    }]),
                ),
                3 => DepartedAt::<T>::insert(netuid, &hotkey, EPOCH),
                _ => Committees::<T>::insert(
                    netuid,
                    u64::from(i),
                    committee::<T>(&[(0, hotkey.clone())]),
                ),
            }
        }

        #[block]
        {
            Pallet::<T>::clear_dissolved(e.max(1));
        }

        assert!(Quarantines::<T>::iter_prefix(netuid).next().is_none());
    }

    /// Dropping one pending slash of a dissolved subnet that holds `MaxOffenceHistory` canary
    /// deposits (different committers) and as many judgments, each with a reporter's bond
    /// held (different reporters): measured as a clearing of that one slash, so
    /// `clear_dissolved(0)` is inside it.
    #[benchmark]
    fn drop_slash() {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let miner = hotkeys[0].clone();
        Dissolved::<T>::insert(netuid, ());
        let reporter: T::AccountId = account("reporter", 0, 0);
        pending_judged_slash::<T>(netuid, &miner, &reporter, 0, max_history());
        let members = accounts::<T>("member", SEATS);
        PendingSlashes::<T>::mutate(netuid, &miner, |slash| {
            let slash = slash.as_mut().expect("just written");
            slash.canary_deposits = BoundedVec::truncate_from(
                (0..max_history())
                    .map(|i| {
                        let committer: T::AccountId = account("committer", i, 0);
                        hold::<T>(
                            &committer,
                            HoldReason::CanaryDeposit,
                            T::CanaryDeposit::get(),
                        );
                        (committer, T::CanaryDeposit::get())
                    })
                    .collect(),
            );
            for (i, id) in slash.cases.iter().enumerate() {
                let reporter: T::AccountId = account("case-reporter", i as u32, 0);
                hold::<T>(&reporter, HoldReason::ReportBond, T::ReportBond::get());
                Judgments::<T>::insert(
                    id,
                    conviction::<T>(netuid, &miner, &reporter, members.clone()),
                );
            }
        });
        SlashQueue::<T>::remove(netuid, 0);
        SlashQueueBounds::<T>::remove(netuid);

        #[block]
        {
            Pallet::<T>::clear_dissolved(1);
        }

        assert!(!PendingSlashes::<T>::contains_key(netuid, &miner));
    }

    /// Noting the departure of a hotkey with no earlier one: a record and a queue entry.
    #[benchmark]
    fn on_neuron_left() {
        let (netuid, hotkeys) = subnet::<T>(1, 0);
        let hotkey = hotkeys[0].clone();

        #[block]
        {
            <Pallet<T> as EndpointObserver<T::AccountId>>::on_neuron_left(netuid, &hotkey);
        }

        assert!(DepartedAt::<T>::contains_key(netuid, &hotkey));
    }

    /// Examining one departed hotkey at its time: not registered, a full key history pruned, a
    /// full offence history with one offence still in the window (so it is put back at the
    /// tail) and a quarantine still running.
    #[benchmark]
    fn prune_departure() {
        let (netuid, _) = subnet::<T>(1, 0);
        let hotkey: T::AccountId = account("departed", 0, 0);
        let horizon = Pallet::<T>::departure_horizon();
        let left = EPOCH - horizon - 1;
        DepartedAt::<T>::insert(netuid, &hotkey, left);
        DepartureQueue::<T>::insert(netuid, 0, (hotkey.clone(), left + horizon + 1));
        DepartureQueueBounds::<T>::insert(netuid, (0, 1));
        KeyHistory::<T>::insert(
            netuid,
            &hotkey,
            BoundedVec::truncate_from(
                (0..max_keys())
                    .map(|i| KeyBinding {
                        key: [i as u8; 32],
                        from_epoch: left,
                    })
                    .collect(),
            ),
        );
        let mut history: Vec<u64> = (1..u64::from(max_history())).collect();
        history.push(EPOCH);
        OffenceHistory::<T>::insert(netuid, &hotkey, BoundedVec::truncate_from(history));
        Quarantines::<T>::insert(
            netuid,
            &hotkey,
            Quarantine {
                uid: 0,
                offence: OffenceKind::Equivocation,
                since_epoch: EPOCH,
                since_block: 1u32.into(),
                until_epoch: EPOCH + 2,
                offences: 1,
            },
        );

        #[block]
        {
            assert_eq!(Pallet::<T>::prune_departures(netuid, EPOCH), 1);
        }

        assert!(!KeyHistory::<T>::contains_key(netuid, &hotkey));
        assert!(Quarantines::<T>::contains_key(netuid, &hotkey));
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
