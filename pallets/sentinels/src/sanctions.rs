//! Sanctions and slashes: recording an offence, quarantining (doubling) or deregistering,
//! queueing the slash until the audit window has passed, and settling it.

use crate::{
    pallet::*,
    types::{OffenceKind, PendingSlash, Quarantine},
    LOG_TARGET,
};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Mutate, MutateHold},
        tokens::Precision,
    },
};
use mindos_primitives::{NetUid, NeuronDeregistration, NeuronsInfo, StakeInfo};
use mindos_sentinels_math::{sanction, slash_rate, Sanction};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
    /// Sanctions `hotkey` for `offence` named at `uid` (the challenge's or the case's uid; the
    /// hotkey may hold another uid now, or none): records the offence, quarantines the hotkey
    /// for the doubling length (or deregisters it from its current uid at its third offence in
    /// the window; a hotkey not registered cannot be, and is quarantined for the longest)
    /// and queues its slash after the audit window, with the canary deposit held from
    /// `reporter` (zero for offences without a canary). Returns whether the slash was settled
    /// at once because the subnet's queue was full.
    pub(crate) fn apply_sanction(
        netuid: NetUid,
        uid: u16,
        hotkey: T::AccountId,
        offence: OffenceKind,
        reporter: T::AccountId,
        canary_deposit: BalanceOf<T>,
    ) -> bool {
        let epoch = Self::epoch(netuid);
        let params = Self::quarantine_params();
        let mut history = OffenceHistory::<T>::get(netuid, &hotkey);
        history.retain(|e| *e <= epoch && epoch.saturating_sub(*e) < params.window_epochs);
        let outcome = sanction(&params, epoch, &history);
        if history.is_full() {
            history.remove(0);
        }
        if history.try_push(epoch).is_err() {
            log::error!(target: LOG_TARGET, "offence history full after making room");
        }
        let offences = u32::try_from(history.len()).unwrap_or(u32::MAX);
        OffenceHistory::<T>::insert(netuid, &hotkey, history);

        let current = T::Neurons::uid(netuid, &hotkey);
        match (outcome, current) {
            (Sanction::Deregister, Some(current))
                if T::Deregistration::deregister(netuid, current) =>
            {
                Quarantines::<T>::remove(netuid, &hotkey);
                Self::deposit_event(Event::MinerDeregistered {
                    netuid,
                    uid: current,
                    hotkey: hotkey.clone(),
                    offence,
                });
            }
            (Sanction::Deregister, _) => {
                log::warn!(
                    target: LOG_TARGET,
                    "a miner of subnet {netuid} not deregistered; quarantined for the longest"
                );
                let until = epoch.saturating_add(u64::from(params.max_epochs));
                Self::quarantine(netuid, uid, &hotkey, offence, until, offences);
            }
            (Sanction::Quarantine { until }, _) => {
                Self::quarantine(netuid, uid, &hotkey, offence, until, offences);
            }
        }
        Self::schedule_slash(
            netuid,
            uid,
            hotkey,
            offence,
            (reporter, canary_deposit),
            epoch,
        )
    }

    fn quarantine(
        netuid: NetUid,
        uid: u16,
        hotkey: &T::AccountId,
        offence: OffenceKind,
        until_epoch: u64,
        offences: u32,
    ) {
        Quarantines::<T>::insert(
            netuid,
            hotkey,
            Quarantine {
                uid,
                offence,
                since_epoch: Self::epoch(netuid),
                since_block: frame_system::Pallet::<T>::block_number(),
                until_epoch,
                offences,
            },
        );
        Self::deposit_event(Event::MinerQuarantined {
            netuid,
            uid,
            hotkey: hotkey.clone(),
            offence,
            until_epoch,
            offences,
        });
    }

    /// Queues the slash of `offence` until the audit window has passed; if the subnet's queue
    /// is full, settles it now and returns true.
    fn schedule_slash(
        netuid: NetUid,
        uid: u16,
        hotkey: T::AccountId,
        offence: OffenceKind,
        (reporter, canary_deposit): (T::AccountId, BalanceOf<T>),
        epoch: u64,
    ) -> bool {
        let rate = slash_rate(&Self::slash_rates(), offence.slash_class());
        let due_epoch = epoch.saturating_add(u64::from(T::AuditWindowEpochs::get()));
        let slash = PendingSlash {
            hotkey: hotkey.clone(),
            uid,
            offence,
            rate,
            reporter,
            canary_deposit,
            due_epoch,
        };
        let mut queue = PendingSlashes::<T>::get(netuid);
        match queue.try_push(slash) {
            Ok(()) => {
                PendingSlashes::<T>::insert(netuid, queue);
                Self::deposit_event(Event::SlashScheduled {
                    netuid,
                    hotkey,
                    rate,
                    due_epoch,
                });
                false
            }
            Err(slash) => {
                log::warn!(
                    target: LOG_TARGET,
                    "slash queue of subnet {netuid} full; slashing without an audit window"
                );
                Self::settle(netuid, slash);
                true
            }
        }
    }

    /// Burns the slash from the miner's stake and mints the reporter's share: issuance falls
    /// by exactly `slashed − reward`. Releases the canary deposit the slash held.
    fn settle(netuid: NetUid, slash: PendingSlashOf<T>) {
        if !slash.canary_deposit.is_zero() {
            Self::release_canary_deposit(&slash.reporter, slash.canary_deposit);
        }
        let slashed = T::Stake::slash(&slash.hotkey, slash.rate);
        let reward = Self::slash_rates().reporter_reward.mul_floor(slashed);
        let reward = if reward.is_zero() {
            reward
        } else {
            T::Currency::mint_into(&slash.reporter, reward).unwrap_or_else(|e| {
                log::warn!(target: LOG_TARGET, "reporter reward not minted: {e:?}");
                Zero::zero()
            })
        };
        Self::deposit_event(Event::MinerSlashed {
            netuid,
            hotkey: slash.hotkey,
            slashed,
            reporter: slash.reporter,
            reward,
        });
    }

    /// Releases `amount` of `committer`'s canary deposits.
    pub(crate) fn release_canary_deposit(committer: &T::AccountId, amount: BalanceOf<T>) {
        if let Err(e) = T::Currency::release(
            &HoldReason::CanaryDeposit.into(),
            committer,
            amount,
            Precision::BestEffort,
        ) {
            log::error!(target: LOG_TARGET, "canary deposit not released: {e:?}");
        }
    }

    /// Settles at most `budget` slashes past their audit window, oldest subnet first. Returns
    /// how many.
    pub(crate) fn settle_due_slashes(budget: u32) -> u32 {
        let mut due = SlashesDue::<T>::get();
        if due.is_empty() {
            return 0;
        }
        let mut settled = 0u32;
        let mut done: Vec<NetUid> = Vec::new();
        for &netuid in due.iter() {
            if settled >= budget {
                break;
            }
            let epoch = Self::epoch(netuid);
            let mut still_due = false;
            let mut kept = Vec::new();
            for slash in PendingSlashes::<T>::get(netuid) {
                if slash.due_epoch > epoch {
                    kept.push(slash);
                } else if settled < budget {
                    Self::settle(netuid, slash);
                    settled = settled.saturating_add(1);
                } else {
                    still_due = true;
                    kept.push(slash);
                }
            }
            if kept.is_empty() {
                PendingSlashes::<T>::remove(netuid);
            } else {
                PendingSlashes::<T>::insert(netuid, BoundedVec::truncate_from(kept));
            }
            if !still_due {
                done.push(netuid);
            }
        }
        due.retain(|netuid| !done.contains(netuid));
        SlashesDue::<T>::put(due);
        settled
    }
}
