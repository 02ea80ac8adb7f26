//! The logic behind the calls and hooks, the epoch, emission, and the read side.
//!
//! Every `do_*` checks everything first and writes storage last, so a failed call changes
//! nothing.

use crate::{
    pallet::*, BondRow, ConsensusParameters, ContributionEntry, EpochRecord, Salt, SubnetAccrual,
    UidMetrics, WeightCommit, WeightInfo, WeightRow, LOG_TARGET,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_consensus_math::{run_epoch, split_emission, EpochInput, ValidatorInput};
use mindos_primitives::{
    Contribution, EmissionRecorder, NetUid, NeuronView, NeuronsInfo, OnSubnetDissolved, Perbill,
    QuarantineInfo, ReputationInfo, ReputationSink, SaltSink, StakeInfo, SubnetsInfo,
    MAX_NEURONS_PER_SUBNET,
};
use sp_core::H256;
use sp_runtime::{
    helpers_128bit::multiply_by_rational_with_rounding,
    traits::{BlakeTwo256, Hash, Saturating, Zero},
    PerThing, Rounding, SaturatedConversion,
};

/// One validator as the epoch reads it.
struct ValidatorRow<AccountId> {
    uid: u16,
    hotkey: AccountId,
    stake: u128,
    weights: Vec<(u16, u16)>,
    bonds: Vec<(u16, u32)>,
}

impl<T: Config> Pallet<T> {
    /// The hash a validator commits: BLAKE2b-256 of the SCALE encoding of
    /// `(hotkey, netuid, uids, weights, salt)`. The hotkey and netuid are in it so a commit
    /// cannot be replayed by another validator or on another subnet.
    pub fn commit_hash(
        hotkey: &T::AccountId,
        netuid: NetUid,
        uids: &[u16],
        weights: &[u16],
        salt: &Salt,
    ) -> H256 {
        BlakeTwo256::hash(&(hotkey, netuid, uids, weights, salt).encode())
    }

    /// The length the weight of a weights call scales with (capped at the most uids).
    pub fn weight_len(uids: &[u16]) -> u32 {
        u32::try_from(uids.len())
            .unwrap_or(u32::MAX)
            .min(u32::from(MAX_NEURONS_PER_SUBNET))
    }

    /// The caller's uid, if it is a registered validator with a permit on a live subnet.
    fn validator_uid(hotkey: &T::AccountId, netuid: NetUid) -> Result<u16, Error<T>> {
        let uid = T::Neurons::uid(netuid, hotkey).ok_or(Error::<T>::NotRegistered)?;
        ensure!(
            T::Stake::has_validator_permit(netuid, hotkey),
            Error::<T>::NoValidatorPermit
        );
        Ok(uid)
    }

    /// Checks a weight vector against the subnet's registered uids and turns it into a row.
    ///
    /// `committed_at`: the block of the commit a reveal opens. A slot freed since then, or
    /// taken by a neuron registered after it, no longer holds the neuron the validator
    /// weighted: its entry is dropped instead of voiding the whole reveal (a deregistration
    /// between commit and reveal must not cost the validator its epoch). A uid that was never
    /// a slot of the subnet is still refused.
    fn weight_row(
        netuid: NetUid,
        own_uid: u16,
        uids: Vec<u16>,
        weights: Vec<u16>,
        committed_at: Option<BlockNumberFor<T>>,
    ) -> Result<WeightRow<BlockNumberFor<T>>, Error<T>> {
        ensure!(uids.len() == weights.len(), Error::<T>::LengthMismatch);
        ensure!(!uids.is_empty(), Error::<T>::NoWeights);
        let registered_at = T::Neurons::registered_at(netuid);
        ensure!(
            uids.len() <= registered_at.len(),
            Error::<T>::TooManyWeights
        );
        ensure!(
            uids.windows(2).all(|pair| matches!(pair, [a, b] if a < b)),
            Error::<T>::UidsNotSorted
        );
        let committed_at = committed_at.map(|block| block.saturated_into::<u64>());
        let mut entries: Vec<(u16, u16)> = Vec::with_capacity(uids.len());
        for (uid, weight) in uids.into_iter().zip(weights) {
            ensure!(uid != own_uid, Error::<T>::SelfWeight);
            // A freed slot records registration block zero.
            let slot = registered_at.get(usize::from(uid)).copied();
            match (slot, committed_at) {
                (Some(at), Some(committed_at)) if at == 0 || at > committed_at => continue,
                (Some(at), _) if at != 0 => entries.push((uid, weight)),
                _ => return Err(Error::<T>::UnknownUid),
            }
        }
        ensure!(!entries.is_empty(), Error::<T>::NoWeights);
        ensure!(
            entries.iter().any(|(_, w)| *w != 0),
            Error::<T>::AllZeroWeights
        );
        Ok(WeightRow {
            set_at: frame_system::Pallet::<T>::block_number(),
            entries: BoundedVec::try_from(entries).map_err(|_| Error::<T>::TooManyWeights)?,
        })
    }

    pub(crate) fn do_commit_weights(
        hotkey: T::AccountId,
        netuid: NetUid,
        hash: H256,
    ) -> DispatchResult {
        let params = T::Subnets::hyperparameters(netuid).ok_or(Error::<T>::UnknownSubnet)?;
        ensure!(params.commit_reveal, Error::<T>::CommitRevealDisabled);
        Self::validator_uid(&hotkey, netuid)?;
        let epoch = EpochIndex::<T>::get(netuid);
        if let Some(previous) = Commits::<T>::get(netuid, &hotkey) {
            ensure!(previous.epoch != epoch, Error::<T>::AlreadyCommitted);
        }
        Commits::<T>::insert(
            netuid,
            &hotkey,
            WeightCommit {
                hash,
                epoch,
                committed_at: frame_system::Pallet::<T>::block_number(),
            },
        );
        Self::deposit_event(Event::WeightsCommitted {
            netuid,
            hotkey,
            epoch,
        });
        Ok(())
    }

    pub(crate) fn do_reveal_weights(
        hotkey: T::AccountId,
        netuid: NetUid,
        uids: Vec<u16>,
        weights: Vec<u16>,
        salt: Salt,
    ) -> DispatchResult {
        ensure!(T::Subnets::exists(netuid), Error::<T>::UnknownSubnet);
        let commit = Commits::<T>::get(netuid, &hotkey).ok_or(Error::<T>::NoCommit)?;
        let epoch = EpochIndex::<T>::get(netuid);
        let window = commit.epoch.saturating_add(1);
        ensure!(epoch >= window, Error::<T>::RevealTooEarly);
        ensure!(epoch == window, Error::<T>::RevealTooLate);
        ensure!(
            Self::commit_hash(&hotkey, netuid, &uids, &weights, &salt) == commit.hash,
            Error::<T>::CommitMismatch
        );
        let uid = Self::validator_uid(&hotkey, netuid)?;
        let row = Self::weight_row(netuid, uid, uids, weights, Some(commit.committed_at))?;
        let count = u32::try_from(row.entries.len()).unwrap_or(u32::MAX);
        Commits::<T>::remove(netuid, &hotkey);
        Weights::<T>::insert(netuid, uid, row);
        // BLAKE2b-256 of the raw salt bytes.
        T::SaltSink::on_reveal(netuid, epoch, BlakeTwo256::hash(&salt[..]).0);
        Self::deposit_event(Event::WeightsRevealed { netuid, uid, count });
        Ok(())
    }

    pub(crate) fn do_set_weights(
        hotkey: T::AccountId,
        netuid: NetUid,
        uids: Vec<u16>,
        weights: Vec<u16>,
    ) -> DispatchResult {
        let params = T::Subnets::hyperparameters(netuid).ok_or(Error::<T>::UnknownSubnet)?;
        ensure!(!params.commit_reveal, Error::<T>::CommitRevealEnabled);
        let uid = Self::validator_uid(&hotkey, netuid)?;
        let now = frame_system::Pallet::<T>::block_number();
        if let Some(previous) = Weights::<T>::get(netuid, uid) {
            // Only the same neuron's earlier weights rate-limit it, not its slot's previous
            // holder's.
            let registered = T::Neurons::registered_at(netuid)
                .get(usize::from(uid))
                .copied()
                .unwrap_or_default();
            if previous.set_at.saturated_into::<u64>() >= registered {
                ensure!(
                    now >= previous.set_at.saturating_add(T::WeightsRateLimit::get()),
                    Error::<T>::RateLimited
                );
            }
        }
        let row = Self::weight_row(netuid, uid, uids, weights, None)?;
        let count = u32::try_from(row.entries.len()).unwrap_or(u32::MAX);
        Weights::<T>::insert(netuid, uid, row);
        Self::deposit_event(Event::WeightsSet { netuid, uid, count });
        Ok(())
    }

    /// Everything `on_initialize` does: accrue this block's emission, queue and run due
    /// epochs, mint a page of miner payouts. Returns the weight used.
    pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
        let mut weight = Self::accrue(now);
        weight.saturating_accrue(Self::queue_and_run_epochs(now));
        let (paid, _) = Self::pay_miners(T::MaxPayoutsPerBlock::get());
        weight.saturating_accrue(T::WeightInfo::pay_miners(paid));
        weight
    }

    /// Adds this block's emission to the subnets' accruals in proportion to their counted
    /// stake ([`StakeInfo::counted_stakes`]: each hotkey's stake divided over the subnets it
    /// validates on, so no stake counts twice), rounding each share down (at most one unit
    /// per subnet per block is never minted). With no counted stake, nothing accrues.
    pub(crate) fn accrue(now: BlockNumberFor<T>) -> Weight {
        let emission: u128 =
            T::Parameters::block_emission(now.saturated_into::<u64>()).saturated_into::<u128>();
        let mut accruals = Accrual::<T>::get();
        let subnets = u32::try_from(accruals.len()).unwrap_or(u32::MAX);
        if emission == 0 || accruals.is_empty() {
            return T::WeightInfo::accrue(subnets);
        }
        let counted = T::Stake::counted_stakes();
        let stake_of = |netuid: NetUid| -> u128 {
            counted
                .binary_search_by_key(&netuid, |(id, _)| *id)
                .ok()
                .and_then(|i| counted.get(i))
                .map_or(0, |(_, stake)| (*stake).saturated_into::<u128>())
        };
        let total: u128 = accruals
            .iter()
            .map(|a| stake_of(a.netuid))
            .fold(0u128, |sum, s| sum.saturating_add(s));
        if total == 0 {
            return T::WeightInfo::accrue(subnets);
        }
        for accrual in accruals.iter_mut() {
            let share = multiply_by_rational_with_rounding(
                emission,
                stake_of(accrual.netuid),
                total,
                Rounding::Down,
            )
            .unwrap_or(0);
            accrual.pending = accrual
                .pending
                .saturating_add(share.saturated_into::<BalanceOf<T>>());
        }
        Accrual::<T>::put(accruals);
        T::WeightInfo::accrue(subnets)
    }

    /// Queues the subnets whose boundary is `now` and runs up to `MaxEpochsPerBlock` queued
    /// epochs, oldest first.
    fn queue_and_run_epochs(now: BlockNumberFor<T>) -> Weight {
        let due = T::Subnets::epochs_due(now.saturated_into::<u64>());
        let mut pending = PendingEpochs::<T>::get();
        if due.is_empty() && pending.is_empty() {
            return Weight::zero();
        }
        for netuid in due {
            if !pending.contains(&netuid) && pending.try_push(netuid).is_err() {
                // Cannot happen while the queue holds `MaxSubnets`: a subnet is queued once.
                log::warn!(target: LOG_TARGET, "epoch queue full; {netuid:?} skipped");
            }
        }
        let batch = (T::MaxEpochsPerBlock::get() as usize).min(pending.len());
        let mut queue = pending.into_inner();
        let rest = queue.split_off(batch);
        PendingEpochs::<T>::put(BoundedVec::truncate_from(rest));
        let mut weight = Weight::zero();
        for netuid in queue {
            weight.saturating_accrue(Self::run_subnet_epoch(netuid, now));
        }
        weight
    }

    /// Runs one subnet's epoch and pays what it accrued. Returns its weight.
    pub(crate) fn run_subnet_epoch(netuid: NetUid, now: BlockNumberFor<T>) -> Weight {
        let Some(params) = T::Subnets::hyperparameters(netuid) else {
            // Dissolved while queued; dissolution cleared its state.
            return T::WeightInfo::epoch(0, 0, 0);
        };
        let registered_at = T::Neurons::registered_at(netuid);
        let n = u16::try_from(registered_at.len()).unwrap_or(MAX_NEURONS_PER_SUBNET);
        let last_epoch = LastEpochAt::<T>::get(netuid)
            .map(|b| b.saturated_into::<u64>())
            .unwrap_or(0);
        // Whether `uid`'s current holder registered before block `at`. Hooks run before
        // extrinsics, so a neuron registered in an epoch's block came after that epoch, and
        // records written at or before its registration belong to the slot's previous holder.
        let held_since = |uid: u16, at: u64| {
            registered_at
                .get(usize::from(uid))
                .is_some_and(|r| *r != 0 && *r < at)
        };
        // A validator's own weights are its own if set in its registration block or later.
        let own_row = |uid: u16, at: u64| {
            registered_at
                .get(usize::from(uid))
                .is_some_and(|r| *r != 0 && *r <= at)
        };

        // A validator that set no weights for `activity_cutoff` epochs is inactive: its stale
        // row would otherwise steer consensus and grow its bonds for ever. Like subtensor's
        // `activity_cutoff`, its stake and weights leave the epoch and its bonds decay.
        let cutoff = u64::from(T::Parameters::activity_cutoff())
            .saturating_mul(u64::from(params.tempo).saturating_add(1));
        let active_since = now.saturated_into::<u64>().saturating_sub(cutoff);
        // Quarantined uids earn nothing: their column is zeroed here, before the math, and a
        // quarantined validator counts as inactive (see the crate docs).
        let quarantined = T::Quarantine::quarantined(netuid);
        let is_quarantined = |uid: u16| quarantined.binary_search(&uid).is_ok();

        let mut rows: Vec<ValidatorRow<T::AccountId>> = Vec::new();
        let mut entries: u32 = 0;
        for hotkey in T::Stake::validators(netuid) {
            let Some(uid) = T::Neurons::uid(netuid, &hotkey) else {
                continue;
            };
            let row = Weights::<T>::get(netuid, uid)
                .filter(|row| own_row(uid, row.set_at.saturated_into::<u64>()));
            // Last sign of life: its weights, or its registration if it set none yet.
            let last_active = row.as_ref().map_or_else(
                || {
                    registered_at
                        .get(usize::from(uid))
                        .copied()
                        .unwrap_or_default()
                },
                |row| row.set_at.saturated_into::<u64>(),
            );
            let active = last_active >= active_since && !is_quarantined(uid);
            let stake = if active {
                T::Stake::hotkey_stake(&hotkey).saturated_into::<u128>()
            } else {
                0
            };
            let weights = row
                .filter(|_| active)
                .map(|row| {
                    let at = row.set_at.saturated_into::<u64>();
                    row.entries
                        .into_iter()
                        .filter(|(j, _)| held_since(*j, at) && !is_quarantined(*j))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let bonds = Bonds::<T>::get(netuid, uid)
                .filter(|row| held_since(uid, row.at.saturated_into::<u64>()))
                .map(|row| {
                    let at = row.at.saturated_into::<u64>();
                    row.entries
                        .into_iter()
                        .filter(|(j, _)| held_since(*j, at))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let row_len = u32::try_from(weights.len().max(bonds.len())).unwrap_or(u32::MAX);
            entries = entries.saturating_add(row_len);
            rows.push(ValidatorRow {
                uid,
                hotkey,
                stake,
                weights,
                bonds,
            });
        }

        let old_metrics = Metrics::<T>::get(netuid);
        let reputation: Vec<Perbill> = (0..n)
            .map(|uid| {
                // A neuron registered since the last epoch starts from zero.
                let fresh = !held_since(uid, last_epoch);
                old_metrics
                    .get(usize::from(uid))
                    .filter(|_| !fresh)
                    .map(|m| m.reputation)
                    .unwrap_or_default()
            })
            .collect();
        let epoch_params = T::Parameters::epoch_params();
        let inputs: Vec<ValidatorInput> = rows
            .iter()
            .map(|row| ValidatorInput {
                uid: row.uid,
                stake: row.stake,
                weights: &row.weights,
                bonds: &row.bonds,
            })
            .collect();
        let output = run_epoch(&EpochInput {
            n,
            validators: &inputs,
            reputation: &reputation,
            params: epoch_params,
        });

        let accrued = Self::take_accrual(netuid);
        let payout = split_emission(
            accrued.saturated_into::<u128>(),
            &T::Parameters::emission_split(),
            &output.rank,
            &output.dividend_shares,
        );
        let mut carried: u128 = payout.carried;
        let mut per_uid: Vec<u128> = alloc::vec![0; usize::from(n)];

        // The owner is paid for a subnet that did work: in an epoch where no miner pool is
        // paid, its cut is carried with the pools (review finding C1).
        let miners_paid = payout.miners.iter().any(|amount| *amount != 0);
        let to_owner = if miners_paid { payout.owner } else { 0 };
        carried = carried.saturating_add(payout.owner.saturating_sub(to_owner));
        if to_owner != 0 {
            let minted = T::Subnets::owner(netuid).is_some_and(|owner| {
                T::Currency::mint_into(&owner, to_owner.saturated_into()).is_ok()
            });
            if !minted {
                carried = carried.saturating_add(to_owner);
            }
        }
        let mut to_validators: u128 = 0;
        for (row, amount) in rows.iter().zip(payout.validators.iter().copied()) {
            if amount == 0 {
                continue;
            }
            let unpaid =
                T::Stake::reward(&row.hotkey, amount.saturated_into()).saturated_into::<u128>();
            carried = carried.saturating_add(unpaid);
            let paid = amount.saturating_sub(unpaid);
            to_validators = to_validators.saturating_add(paid);
            if let Some(slot) = per_uid.get_mut(usize::from(row.uid)) {
                *slot = slot.saturating_add(paid);
            }
        }
        let mut miner_entries: Vec<(u16, BalanceOf<T>)> = Vec::new();
        let mut to_miners: u128 = 0;
        for (uid, amount) in payout.miners.iter().copied().enumerate() {
            if amount == 0 {
                continue;
            }
            let Ok(uid) = u16::try_from(uid) else {
                continue;
            };
            miner_entries.push((uid, amount.saturated_into()));
            to_miners = to_miners.saturating_add(amount);
            if let Some(slot) = per_uid.get_mut(usize::from(uid)) {
                *slot = slot.saturating_add(amount);
            }
        }
        if !miner_entries.is_empty() {
            Self::queue_miner_payouts(netuid, now, miner_entries);
        }
        if carried != 0 {
            Self::return_to_accrual(netuid, carried.saturated_into());
        }

        // Records.
        let epoch = EpochIndex::<T>::get(netuid).saturating_add(1);
        let value = |v: &Vec<Perbill>, i: usize| v.get(i).copied().unwrap_or_default();
        let mut validator_trust = alloc::vec![Perbill::zero(); usize::from(n)];
        let mut dividends = alloc::vec![Perbill::zero(); usize::from(n)];
        for (i, row) in rows.iter().enumerate() {
            if let Some(slot) = validator_trust.get_mut(usize::from(row.uid)) {
                *slot = value(&output.validator_trust, i);
            }
            if let Some(slot) = dividends.get_mut(usize::from(row.uid)) {
                *slot = value(&output.dividends, i);
            }
        }
        let metrics: Vec<UidMetrics> = (0..usize::from(n))
            .map(|i| UidMetrics {
                consensus: value(&output.consensus, i),
                incentive: value(&output.incentive, i),
                dividends: value(&dividends, i),
                trust: value(&output.trust, i),
                validator_trust: value(&validator_trust, i),
                reputation: value(&output.reputation, i),
            })
            .collect();
        let contributions: Vec<ContributionEntry<BalanceOf<T>>> = metrics
            .iter()
            .zip(per_uid.iter())
            .map(|(m, emission)| ContributionEntry {
                incentive: m.incentive,
                dividend: m.dividends,
                consensus: m.consensus,
                emission: (*emission).saturated_into(),
            })
            .collect();
        let emissions: Vec<BalanceOf<T>> = per_uid.iter().map(|e| (*e).saturated_into()).collect();
        T::Emissions::record_emissions(netuid, &emissions);
        Metrics::<T>::insert(netuid, BoundedVec::truncate_from(metrics));
        History::<T>::insert(
            netuid,
            Self::history_slot(epoch),
            EpochRecord {
                epoch,
                block: now,
                entries: BoundedVec::truncate_from(contributions),
            },
        );
        for (row, bonds) in rows.iter().zip(output.bonds) {
            if bonds.is_empty() {
                Bonds::<T>::remove(netuid, row.uid);
            } else {
                Bonds::<T>::insert(
                    netuid,
                    row.uid,
                    BondRow {
                        at: now,
                        entries: BoundedVec::truncate_from(bonds),
                    },
                );
            }
        }
        EpochIndex::<T>::insert(netuid, epoch);
        LastEpochAt::<T>::insert(netuid, now);
        let validators = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        Self::deposit_event(Event::EpochRun {
            netuid,
            epoch,
            validators,
            accrued,
            to_owner: to_owner.saturated_into(),
            to_miners: to_miners.saturated_into(),
            to_validators: to_validators.saturated_into(),
            carried: carried.saturated_into(),
        });
        // The quarantine query: a prefix scan and a uid lookup per quarantined hotkey.
        let quarantine_reads = u64::try_from(quarantined.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(2)
            .saturating_add(1);
        T::WeightInfo::epoch(u32::from(n), validators, entries)
            .saturating_add(T::DbWeight::get().reads(quarantine_reads))
    }

    fn history_slot(epoch: u64) -> u32 {
        let depth = u64::from(T::HistoryDepth::get().max(1));
        u32::try_from(epoch.checked_rem(depth).unwrap_or(0)).unwrap_or(0)
    }

    /// Takes what `netuid` accrued (creating its entry at its first epoch: a subnet accrues
    /// from its first epoch on).
    fn take_accrual(netuid: NetUid) -> BalanceOf<T> {
        let mut accruals = Accrual::<T>::get();
        let accrued = match accruals.binary_search_by_key(&netuid, |a| a.netuid) {
            Ok(i) => accruals
                .get_mut(i)
                .map_or(Zero::zero(), |a| core::mem::take(&mut a.pending)),
            Err(i) => {
                let entry = SubnetAccrual {
                    netuid,
                    pending: Zero::zero(),
                };
                if accruals.try_insert(i, entry).is_err() {
                    log::warn!(target: LOG_TARGET, "accrual table full; {netuid:?} earns nothing");
                }
                Zero::zero()
            }
        };
        Accrual::<T>::put(accruals);
        accrued
    }

    /// Puts `amount` back into `netuid`'s accrual (paid at its next epoch).
    fn return_to_accrual(netuid: NetUid, amount: BalanceOf<T>) {
        Accrual::<T>::mutate(|accruals| {
            if let Some(a) = accruals.iter_mut().find(|a| a.netuid == netuid) {
                a.pending = a.pending.saturating_add(amount);
            }
        });
    }

    /// Fills the consensus fields of a metagraph from the last epoch.
    pub fn decorate_metagraph(
        netuid: NetUid,
        rows: &mut [NeuronView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>],
    ) {
        let metrics = Metrics::<T>::get(netuid);
        let last_epoch = LastEpochAt::<T>::get(netuid);
        for row in rows.iter_mut() {
            let registered = row.registered_at;
            if let Some(m) = metrics.get(usize::from(row.uid)) {
                // Results computed for the slot's previous holder are not this neuron's.
                if last_epoch.is_some_and(|at| at > registered) {
                    row.consensus = m.consensus;
                    row.incentive = m.incentive;
                    row.dividends = m.dividends;
                    row.trust = m.trust;
                    row.validator_trust = m.validator_trust;
                    row.reputation = m.reputation;
                }
            }
            row.last_update = Weights::<T>::get(netuid, row.uid)
                .map(|w| w.set_at)
                .filter(|at| *at >= registered);
        }
    }

    /// The neuron's contributions in the kept epochs since it registered, oldest first.
    pub fn contributions(
        netuid: NetUid,
        uid: u16,
        registered_at: BlockNumberFor<T>,
    ) -> Vec<Contribution<BalanceOf<T>, BlockNumberFor<T>>> {
        let mut out: Vec<Contribution<BalanceOf<T>, BlockNumberFor<T>>> =
            History::<T>::iter_prefix_values(netuid)
                .filter(|record| record.block > registered_at)
                .filter_map(|record| {
                    let entry = record.entries.get(usize::from(uid))?;
                    Some(Contribution {
                        epoch: record.epoch,
                        block: record.block,
                        incentive: entry.incentive,
                        dividend: entry.dividend,
                        consensus: entry.consensus,
                        emission: entry.emission,
                    })
                })
                .collect();
        out.sort_by_key(|c| c.epoch);
        out
    }

    /// Invariants: per-subnet state only for live subnets; weight and bond rows sorted and
    /// within their subnet's uids; the accrual table sorted by netuid; the payout queue and
    /// the stored payouts agree.
    ///
    /// Built with `std` too (not only `try-runtime`), so that the runtime's random-history
    /// test checks it after every block.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        let accruals = Accrual::<T>::get();
        ensure!(
            accruals
                .windows(2)
                .all(|p| matches!(p, [a, b] if a.netuid < b.netuid)),
            "Accrual not sorted by netuid"
        );
        for a in accruals.iter() {
            ensure!(T::Subnets::exists(a.netuid), "Accrual of a dead subnet");
        }
        for (netuid, uid, row) in Weights::<T>::iter() {
            ensure!(T::Subnets::exists(netuid), "Weights of a dead subnet");
            let n = T::Neurons::registered_at(netuid).len();
            ensure!(usize::from(uid) < n, "Weights row of an unallocated uid");
            ensure!(
                row.entries
                    .windows(2)
                    .all(|p| matches!(p, [a, b] if a.0 < b.0)),
                "Weights row not sorted"
            );
            ensure!(
                row.entries.iter().all(|(j, _)| usize::from(*j) < n),
                "weight on an unallocated uid"
            );
        }
        for (netuid, _, row) in Bonds::<T>::iter() {
            ensure!(T::Subnets::exists(netuid), "Bonds of a dead subnet");
            ensure!(
                row.entries
                    .windows(2)
                    .all(|p| matches!(p, [a, b] if a.0 < b.0)),
                "Bonds row not sorted"
            );
        }
        for netuid in PayoutQueue::<T>::get().iter() {
            ensure!(
                PayoutsOf::<T>::contains_key(netuid),
                "queued payouts missing"
            );
        }
        for (netuid, _) in PayoutsOf::<T>::iter() {
            ensure!(
                PayoutQueue::<T>::get().contains(&netuid),
                "stored payouts not queued"
            );
        }
        for (netuid, metrics) in Metrics::<T>::iter() {
            ensure!(T::Subnets::exists(netuid), "Metrics of a dead subnet");
            ensure!(
                metrics.len() <= T::Neurons::registered_at(netuid).len(),
                "Metrics longer than the subnet"
            );
        }
        Ok(())
    }
}

impl<T: Config> Pallet<T> {
    /// Whether `uid`'s row of [`Metrics`] is its current neuron's: the neuron registered before
    /// the last epoch's block. A newer one has no results yet (the row is its predecessor's),
    /// and the next epoch starts it from zero. Two storage reads.
    fn metrics_are_current(netuid: NetUid, uid: u16) -> bool {
        let last_epoch = LastEpochAt::<T>::get(netuid)
            .map(|b| b.saturated_into::<u64>())
            .unwrap_or(0);
        T::Neurons::registered_at(netuid)
            .get(usize::from(uid))
            .is_some_and(|r| *r != 0 && *r < last_epoch)
    }
}

/// The reputation of the last epoch ([`Metrics`]): the sentinels pallet weighs committee seats
/// by stake × reputation. A validator's reputation is the moving average of its validator trust
/// (how much of its weight survives clipping to consensus), a miner's of the consensus it
/// receives (`mindos-consensus-math`, step 6), so a validator whose weights agree with
/// consensus earns its seat weight. A uid whose current neuron registered at or after that epoch's block
/// has none yet (the stored value is its predecessor's), as the next epoch will treat it. Two
/// storage reads of per-subnet vectors and one of the epoch's block.
impl<T: Config> ReputationInfo for Pallet<T> {
    fn reputation(netuid: NetUid, uid: u16) -> Perbill {
        if !Self::metrics_are_current(netuid, uid) {
            return Perbill::zero();
        }
        Metrics::<T>::get(netuid)
            .get(usize::from(uid))
            .map(|m| m.reputation)
            .unwrap_or_default()
    }

    /// The same three storage reads for any number of uids (each per-subnet vector decoded
    /// once).
    fn reputations(netuid: NetUid, uids: &[u16]) -> Vec<Perbill> {
        if uids.is_empty() {
            return Vec::new();
        }
        let last_epoch = LastEpochAt::<T>::get(netuid)
            .map(|b| b.saturated_into::<u64>())
            .unwrap_or(0);
        let registered = T::Neurons::registered_at(netuid);
        let metrics = Metrics::<T>::get(netuid);
        uids.iter()
            .map(|uid| {
                let uid = usize::from(*uid);
                let current = registered
                    .get(uid)
                    .is_some_and(|r| *r != 0 && *r < last_epoch);
                current
                    .then(|| metrics.get(uid).map(|m| m.reputation))
                    .flatten()
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// The sentinels pallet cuts a sentinel's reputation when an audit overturns its guilty vote
/// (by half). The cut applies to the last epoch's value in [`Metrics`], so the next committee
/// draw weighs it at once and the next epoch averages on from it (the moving average has to
/// earn it back). A hotkey not registered on `netuid`, and one registered since the last
/// epoch (its row is still its predecessor's), are left alone: nothing is written.
impl<T: Config> ReputationSink<T::AccountId> for Pallet<T> {
    fn cut(netuid: NetUid, hotkey: &T::AccountId, share: Perbill) {
        let Some(uid) = T::Neurons::uid(netuid, hotkey) else {
            return;
        };
        if !Self::metrics_are_current(netuid, uid) {
            return;
        }
        let mut metrics = Metrics::<T>::get(netuid);
        let Some(row) = metrics.get_mut(usize::from(uid)) else {
            return;
        };
        // What is kept rounds down: the cut is never less than `share`.
        row.reputation = row.reputation.saturating_mul(share.left_from_one());
        Metrics::<T>::insert(netuid, metrics);
    }

    /// The benchmarked cut of a full subnet's row ([`WeightInfo::cut_reputation`]).
    fn cut_weight() -> Weight {
        T::WeightInfo::cut_reputation()
    }
}

impl<T: Config> OnSubnetDissolved for Pallet<T> {
    /// Clears the subnet's weights, bonds, commits, records, accrual (forfeited: never
    /// minted) and queued payouts (forfeited too).
    fn on_subnet_dissolved(netuid: NetUid) -> Weight {
        let limit = u32::from(MAX_NEURONS_PER_SUBNET);
        let rows = Weights::<T>::clear_prefix(netuid, limit, None).unique;
        let bonds = Bonds::<T>::clear_prefix(netuid, limit, None).unique;
        let commits = Commits::<T>::clear_prefix(netuid, limit, None).unique;
        let _ = History::<T>::clear_prefix(netuid, T::HistoryDepth::get(), None);
        EpochIndex::<T>::remove(netuid);
        LastEpochAt::<T>::remove(netuid);
        Metrics::<T>::remove(netuid);
        PayoutsOf::<T>::remove(netuid);
        PayoutQueue::<T>::mutate(|queue| queue.retain(|id| *id != netuid));
        PendingEpochs::<T>::mutate(|queue| queue.retain(|id| *id != netuid));
        Accrual::<T>::mutate(|accruals| accruals.retain(|a| a.netuid != netuid));
        T::WeightInfo::on_subnet_dissolved(rows.saturating_add(bonds).saturating_add(commits))
    }

    fn max_weight() -> Weight {
        T::WeightInfo::on_subnet_dissolved(u32::from(MAX_NEURONS_PER_SUBNET).saturating_mul(3))
    }
}
