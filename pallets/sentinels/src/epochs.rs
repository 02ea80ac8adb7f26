//! Epochs: advancing each subnet's sentinel epoch at its boundary, the queued boundary work
//! (the next committee's draw, expiries), and the RANDAO source the draw reads.

use crate::{
    pallet::*,
    types::{
        CandidateSnapshot, CaseOutcome, CommitteeRecord, MaxCommitteeMembers, SnapshotCandidate,
    },
    weights::WeightInfo,
    LOG_TARGET,
};
use alloc::vec::Vec;
use core::marker::PhantomData;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{
    NetUid, NeuronsInfo, ReputationInfo, SentinelParameters, StakeInfo, SubnetsInfo,
};
use mindos_sentinels_math::{
    draw_committee, Candidate, CommitteeError, RandaoMix, RandomnessSource, Seed,
};
use sp_runtime::SaturatedConversion;

/// RANDAO over the mixes this pallet stores, as the math crate's [`RandomnessSource`]: the
/// committee of a subnet's epoch `e` comes from the mix completed at the end of epoch `e − 2`
/// ([`CompletedMix`]). A drand beacon can replace it behind the same trait.
pub struct Randao<T>(PhantomData<T>);

impl<T> Default for Randao<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T: Config> RandomnessSource for Randao<T> {
    fn committee_seed(&self, netuid: u16, epoch: u64) -> Option<Seed> {
        let (mix_epoch, mix) = CompletedMix::<T>::get(NetUid(netuid))?;
        RandaoMix { mix, mix_epoch }.committee_seed(netuid, epoch)
    }
}

impl<T: Config> Pallet<T> {
    /// Everything `on_initialize` does: advance the epoch of the subnets at a boundary, run
    /// the boundary work of up to `MaxBoundariesPerBlock` queued subnets, settle up to
    /// `MaxSlashesPerBlock` slashes, clear up to `MaxClearedPerBlock` entries a dissolved
    /// subnet left. Returns the weight used.
    pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
        let mut weight = T::WeightInfo::on_initialize_base(T::MaxSubnets::get());
        let due = T::Subnets::epochs_due(now.saturated_into::<u64>());
        let mut pending = PendingBoundaries::<T>::get();
        if !due.is_empty() || !pending.is_empty() {
            // When more are due than may snapshot, which come first is drawn from the block
            // number's hash: boundaries often fall on blocks of one residue, so the block
            // number itself would favour the same subnets every time.
            let len = u64::try_from(due.len().max(1)).unwrap_or(1);
            let hash = sp_io::hashing::blake2_256(&now.saturated_into::<u64>().to_le_bytes());
            let mut word = [0u8; 8];
            word.copy_from_slice(hash.get(..8).unwrap_or(&[0; 8]));
            let start = u64::from_le_bytes(word)
                .checked_rem(len)
                .and_then(|s| usize::try_from(s).ok())
                .unwrap_or(0);
            let mut first = due.clone();
            first.rotate_left(start);
            first.truncate(T::MaxSnapshotsPerBlock::get() as usize);
            // The boundary queue keeps the subnets' own order.
            for netuid in due {
                let snapshot = first.contains(&netuid);
                let candidates = Self::advance_epoch(netuid, now, snapshot);
                weight.saturating_accrue(T::WeightInfo::advance_epoch(candidates));
                if !pending.contains(&netuid) && pending.try_push(netuid).is_err() {
                    // Cannot happen while the queue holds `MaxSubnets`: a subnet is queued once.
                    log::warn!(target: LOG_TARGET, "boundary queue full; {netuid:?} skipped");
                }
            }
            let batch = (T::MaxBoundariesPerBlock::get() as usize).min(pending.len());
            let mut queue = pending.into_inner();
            let rest = queue.split_off(batch);
            PendingBoundaries::<T>::put(BoundedVec::truncate_from(rest));
            for netuid in queue {
                weight.saturating_accrue(Self::process_boundary(netuid, now));
            }
        }
        let (settled, dropped, released) = Self::settle_due_slashes(T::MaxSlashesPerBlock::get());
        let per_slash = T::WeightInfo::settle_slash().saturating_add(T::SlashWeight::get());
        weight.saturating_accrue(per_slash.saturating_mul(u64::from(settled)));
        weight.saturating_accrue(T::WeightInfo::settle_slash().saturating_mul(u64::from(dropped)));
        weight.saturating_accrue(
            T::WeightInfo::release_canary_deposit().saturating_mul(u64::from(released)),
        );
        weight.saturating_accrue(Self::clear_dissolved(T::MaxClearedPerBlock::get()));
        weight
    }

    /// Enters `netuid`'s next epoch, completes the mix of the one that ended, and, if
    /// `snapshot`, snapshots the candidates of the next epoch's draw (else that epoch gets no
    /// committee). Returns the candidates read.
    ///
    /// The snapshot is taken here, in the block the mix completes and before any extrinsic of
    /// it, because the mix makes the draw's seed public: a draw that read stake when it ran
    /// (it may wait in [`PendingBoundaries`]) could be steered by staking in between.
    pub(crate) fn advance_epoch(netuid: NetUid, now: BlockNumberFor<T>, snapshot: bool) -> u32 {
        let ended = Self::epoch(netuid);
        let entered = ended.saturating_add(1);
        SubnetEpoch::<T>::insert(netuid, entered);
        CompletedMix::<T>::insert(netuid, (ended, Mix::<T>::get(netuid)));
        let epoch = entered.saturating_add(1);
        if !snapshot {
            // A snapshot from an earlier boundary must not stand in for this one.
            Candidates::<T>::remove(netuid);
            log::warn!(target: LOG_TARGET, "too many boundaries in one block: subnet {netuid} epoch {epoch} gets no committee");
            Self::deposit_event(Event::CandidatesNotSnapshotted { netuid, epoch });
            return 0;
        }
        Self::snapshot_candidates(netuid, epoch, now)
    }

    /// Records the candidates for `netuid`'s committee of `epoch`: at most `MaxCandidates`
    /// validators (the heaviest by stake), with stake, reputation and whether they are
    /// quarantined, in uid order. Returns how many.
    fn snapshot_candidates(netuid: NetUid, epoch: u64, now: BlockNumberFor<T>) -> u32 {
        let registered: Vec<(u16, T::AccountId)> = T::Stake::validators(netuid)
            .into_iter()
            .take(T::MaxCandidates::get() as usize)
            .filter_map(|hotkey| Some((T::Neurons::uid(netuid, &hotkey)?, hotkey)))
            .collect();
        let uids: Vec<u16> = registered.iter().map(|(uid, _)| *uid).collect();
        let reputations = T::Reputation::reputations(netuid, &uids);
        let mut candidates: Vec<SnapshotCandidate<T::AccountId>> = registered
            .into_iter()
            .zip(reputations)
            .map(|((uid, hotkey), reputation)| SnapshotCandidate {
                uid,
                stake: T::Stake::hotkey_stake(&hotkey).saturated_into::<u128>(),
                reputation,
                excluded: Quarantines::<T>::contains_key(netuid, &hotkey),
                hotkey,
            })
            .collect();
        candidates.sort_by_key(|c| c.uid);
        let read = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
        Candidates::<T>::insert(
            netuid,
            CandidateSnapshot {
                epoch,
                taken_at: now,
                candidates: BoundedVec::truncate_from(candidates),
            },
        );
        read
    }

    /// A subnet's boundary work: drop the committees of past epochs, draw the next epoch's,
    /// dismiss expired cases, drop expired canaries, mark due slashes, prune what departed
    /// hotkeys left. Returns its weight.
    pub(crate) fn process_boundary(netuid: NetUid, now: BlockNumberFor<T>) -> Weight {
        if !T::Subnets::exists(netuid) {
            // Cannot happen: a dissolution takes the subnet off the queue and clears its state
            // (`OnSubnetDissolved`). Defensive, for a runtime that does not wire the hook.
            Candidates::<T>::remove(netuid);
            return T::WeightInfo::boundary(0, 0, 0);
        }
        let epoch = Self::epoch(netuid);
        let past: Vec<u64> = Committees::<T>::iter_key_prefix(netuid)
            .filter(|e| *e < epoch)
            .collect();
        for e in past {
            Committees::<T>::remove(netuid, e);
        }
        let candidates = Self::draw(netuid, epoch.saturating_add(1));
        let (examined, closed) = Self::expire_cases(netuid, now);
        let (canaries, expired) = Self::expire_canaries(netuid, epoch);
        let (audits, audits_closed) = Self::expire_audits(netuid, now);
        Self::mark_slashes_due(netuid, epoch);
        let departures = Self::prune_departures(netuid, epoch);
        let close = T::WeightInfo::close_case(examined);
        let close_audit = T::WeightInfo::close_audit(audits);
        T::WeightInfo::boundary(candidates, examined, canaries)
            .saturating_add(close.saturating_mul(u64::from(closed)))
            .saturating_add(
                T::WeightInfo::release_canary_deposit().saturating_mul(u64::from(expired)),
            )
            .saturating_add(close_audit.saturating_mul(u64::from(audits_closed)))
            .saturating_add(T::WeightInfo::prune_departure().saturating_mul(u64::from(departures)))
    }

    /// Draws `netuid`'s committee for `epoch` from the completed mix and the candidates
    /// snapshotted at the boundary ([`Candidates`], taken and removed here). Returns the
    /// candidates read.
    fn draw(netuid: NetUid, epoch: u64) -> u32 {
        Committees::<T>::remove(netuid, epoch);
        let snapshot = Candidates::<T>::take(netuid).filter(|s| s.epoch == epoch);
        let seed = Randao::<T>::default().committee_seed(netuid.0, epoch);
        let (Some(snapshot), Some(seed)) = (snapshot, seed) else {
            log::warn!(target: LOG_TARGET, "no seed or candidates for subnet {netuid} epoch {epoch}");
            Self::deposit_event(Event::CommitteeNotDrawn { netuid, epoch });
            return 0;
        };
        let seats = snapshot.candidates;
        let read = u32::try_from(seats.len()).unwrap_or(u32::MAX);
        let candidates: Vec<Candidate> = seats
            .iter()
            .map(|c| Candidate {
                uid: c.uid,
                stake: c.stake,
                reputation: c.reputation,
                excluded: c.excluded,
            })
            .collect();
        let requested = u8::try_from(T::Parameters::committee_size()).unwrap_or(u8::MAX);
        match draw_committee(&candidates, requested, &seed) {
            Ok(committee) => {
                let members: Vec<(u16, T::AccountId)> = committee
                    .members
                    .iter()
                    .filter_map(|uid| {
                        seats
                            .binary_search_by_key(uid, |c| c.uid)
                            .ok()
                            .and_then(|i| seats.get(i))
                            .map(|c| (c.uid, c.hotkey.clone()))
                    })
                    .collect();
                let uids: BoundedVec<u16, MaxCommitteeMembers> =
                    BoundedVec::truncate_from(committee.members);
                Committees::<T>::insert(
                    netuid,
                    epoch,
                    CommitteeRecord {
                        size: committee.size,
                        members: BoundedVec::truncate_from(members),
                        drawn_at: snapshot.taken_at,
                    },
                );
                Self::deposit_event(Event::CommitteeDrawn {
                    netuid,
                    epoch,
                    members: uids,
                });
            }
            Err(error) => {
                if error != CommitteeError::NotEnoughEligible {
                    log::error!(target: LOG_TARGET, "committee draw of subnet {netuid} failed: {error}");
                }
                Self::deposit_event(Event::CommitteeNotDrawn { netuid, epoch });
            }
        }
        read
    }

    /// Dismisses `netuid`'s cases whose voting period is over. Returns the cases examined and
    /// those closed.
    fn expire_cases(netuid: NetUid, now: BlockNumberFor<T>) -> (u32, u32) {
        let open = OpenCases::<T>::get(netuid);
        let mut closed = 0u32;
        for entry in open.iter() {
            if let Some(case) = Cases::<T>::get(entry.id) {
                if now > case.expires_at {
                    Self::close(entry.id, case, CaseOutcome::Expired);
                    closed = closed.saturating_add(1);
                }
            }
        }
        (u32::try_from(open.len()).unwrap_or(u32::MAX), closed)
    }

    /// Drops `netuid`'s canaries older than `CanaryLifetimeEpochs` and releases their
    /// deposits: unused, they proved nothing wrong. Returns the canaries read and those
    /// expired.
    fn expire_canaries(netuid: NetUid, epoch: u64) -> (u32, u32) {
        let lifetime = u64::from(T::CanaryLifetimeEpochs::get());
        let all = Canaries::<T>::get(netuid);
        let read = u32::try_from(all.len()).unwrap_or(u32::MAX);
        let (canaries, expired): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|c| c.epoch.saturating_add(lifetime) > epoch);
        if expired.is_empty() {
            return (read, 0);
        }
        for canary in &expired {
            Self::release_canary_deposit(&canary.committer, canary.deposit);
        }
        let expired = u32::try_from(expired.len()).unwrap_or(u32::MAX);
        let canaries = BoundedVec::<_, T::MaxCanariesPerSubnet>::truncate_from(canaries);
        if canaries.is_empty() {
            Canaries::<T>::remove(netuid);
        } else {
            Canaries::<T>::insert(netuid, canaries);
        }
        Self::deposit_event(Event::CanariesExpired {
            netuid,
            count: expired,
        });
        (read, expired)
    }

    /// Queues `netuid` for settlement if one of its slashes is past its audit window.
    fn mark_slashes_due(netuid: NetUid, epoch: u64) {
        let (head, tail) = SlashQueueBounds::<T>::get(netuid);
        let head_due = (head < tail)
            .then(|| SlashQueue::<T>::get(netuid, head))
            .flatten()
            .is_some_and(|(_, due_epoch)| due_epoch <= epoch);
        if !head_due {
            return;
        }
        SlashesDue::<T>::mutate(|due| {
            if !due.contains(&netuid) && due.try_push(netuid).is_err() {
                log::warn!(target: LOG_TARGET, "slash queue full; {netuid:?} waits a boundary");
            }
        });
    }
}
