//! Sanctions and slashes: recording an offence, quarantining (doubling) or deregistering,
//! queueing the slash until the audit window has passed, and settling it.

use crate::{
    pallet::*,
    types::{CaseId, OffenceKind, PendingSlash, Quarantine},
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
    /// and schedules its slash after the audit window, with the canary deposit held from
    /// `reporter` (zero for offences without a canary).
    pub(crate) fn apply_sanction(
        netuid: NetUid,
        uid: u16,
        hotkey: T::AccountId,
        offence: OffenceKind,
        reporter: T::AccountId,
        canary_deposit: BalanceOf<T>,
        case: Option<CaseId>,
    ) {
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
            case,
        );
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

    /// Schedules the slash of `offence` after the audit window, merged into the hotkey's
    /// pending slash if it has one ([`PendingSlashes`]): the merged slash keeps the larger rate,
    /// with that offence's reporter and due epoch (a repeat at no higher rate neither postpones
    /// nor changes it), and holds every canary deposit until it settles. Never settles early.
    fn schedule_slash(
        netuid: NetUid,
        uid: u16,
        hotkey: T::AccountId,
        offence: OffenceKind,
        (reporter, canary_deposit): (T::AccountId, BalanceOf<T>),
        epoch: u64,
        case: Option<CaseId>,
    ) {
        let rate = slash_rate(&Self::slash_rates(), offence.slash_class());
        let due_epoch = epoch.saturating_add(u64::from(T::AuditWindowEpochs::get()));
        let (mut slash, enqueue) = match PendingSlashes::<T>::get(netuid, &hotkey) {
            None => (
                PendingSlash {
                    uid,
                    offence,
                    rate,
                    reporter: reporter.clone(),
                    canary_deposits: BoundedVec::new(),
                    cases: BoundedVec::new(),
                    due_epoch,
                    offences: 1,
                },
                true,
            ),
            Some(mut slash) => {
                slash.offences = slash.offences.saturating_add(1);
                let raised = rate > slash.rate;
                if raised {
                    slash.uid = uid;
                    slash.offence = offence;
                    slash.rate = rate;
                    slash.reporter = reporter.clone();
                    slash.due_epoch = due_epoch;
                }
                (slash, raised)
            }
        };
        if !canary_deposit.is_zero()
            && slash
                .canary_deposits
                .try_push((reporter, canary_deposit))
                .is_err()
        {
            // Refused before any write by `ensure_canary_deposit_room`.
            log::error!(target: LOG_TARGET, "canary deposits of a pending slash full");
        }
        if let Some(case) = case {
            if slash.cases.try_push(case).is_err() {
                // Refused before by `judgment_room`.
                log::error!(target: LOG_TARGET, "judgments of a pending slash full");
            }
        }
        if enqueue {
            Self::enqueue_slash(netuid, &hotkey, slash.due_epoch);
        }
        Self::deposit_event(Event::SlashScheduled {
            netuid,
            hotkey: hotkey.clone(),
            rate: slash.rate,
            due_epoch: slash.due_epoch,
        });
        PendingSlashes::<T>::insert(netuid, &hotkey, slash);
    }

    /// Whether a canary failure of `hotkey` can still merge its deposit into the hotkey's
    /// pending slash (at most [`crate::MaxOffenceHistory`] deposits wait in one).
    pub(crate) fn ensure_canary_deposit_room(
        netuid: NetUid,
        hotkey: &T::AccountId,
    ) -> Result<(), Error<T>> {
        ensure!(
            PendingSlashes::<T>::get(netuid, hotkey).is_none_or(|s| !s.canary_deposits.is_full()),
            Error::<T>::TooManyPendingCanaryDeposits
        );
        Ok(())
    }

    /// Appends `(hotkey, due_epoch)` to `netuid`'s settlement queue.
    fn enqueue_slash(netuid: NetUid, hotkey: &T::AccountId, due_epoch: u64) {
        SlashQueueBounds::<T>::mutate(netuid, |(_, tail)| {
            SlashQueue::<T>::insert(netuid, *tail, (hotkey.clone(), due_epoch));
            *tail = tail.saturating_add(1);
        });
    }

    /// Burns the slash from the miner's stake and mints the reporter's share: issuance falls
    /// by exactly `slashed − reward`. Releases the canary deposits the slash held; returns how
    /// many.
    fn settle(netuid: NetUid, hotkey: T::AccountId, slash: PendingSlashOf<T>) -> u32 {
        let released = u32::try_from(slash.canary_deposits.len()).unwrap_or(u32::MAX);
        Self::settle_judgments(&slash.cases);
        for (committer, deposit) in slash.canary_deposits.iter() {
            Self::release_canary_deposit(committer, *deposit);
        }
        let slashed = T::Stake::slash(&hotkey, slash.rate);
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
            hotkey,
            slashed,
            reporter: slash.reporter,
            reward,
        });
        released
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

    /// Works through the settlement queues of the subnets in [`SlashesDue`], oldest subnet
    /// first and each queue in order, taking at most `budget` entries; an entry whose due epoch
    /// has come settles its hotkey's pending slash, unless that slash was postponed by a
    /// higher-rate repeat (then a later entry settles it and this one is dropped). Returns the
    /// slashes settled, the entries dropped and the canary deposits released.
    pub(crate) fn settle_due_slashes(budget: u32) -> (u32, u32, u32) {
        let mut due = SlashesDue::<T>::get();
        if due.is_empty() {
            return (0, 0, 0);
        }
        let (mut settled, mut dropped, mut released) = (0u32, 0u32, 0u32);
        let mut done: Vec<NetUid> = Vec::new();
        for &netuid in due.iter() {
            let epoch = Self::epoch(netuid);
            let (mut head, tail) = SlashQueueBounds::<T>::get(netuid);
            let mut finished = false;
            // A head whose conviction is under audit waits for the audit: the subnet stays due.
            let mut waiting = false;
            while settled.saturating_add(dropped) < budget {
                let Some((hotkey, due_epoch)) = (head < tail)
                    .then(|| SlashQueue::<T>::get(netuid, head))
                    .flatten()
                else {
                    finished = true;
                    break;
                };
                if due_epoch > epoch {
                    finished = true;
                    break;
                }
                let pending = PendingSlashes::<T>::get(netuid, &hotkey);
                if pending
                    .as_ref()
                    .is_some_and(|s| s.due_epoch == due_epoch && Self::under_audit(&s.cases))
                {
                    waiting = true;
                    break;
                }
                SlashQueue::<T>::remove(netuid, head);
                head = head.saturating_add(1);
                match pending {
                    Some(slash) if slash.due_epoch == due_epoch => {
                        PendingSlashes::<T>::remove(netuid, &hotkey);
                        let deposits = Self::settle(netuid, hotkey, slash);
                        released = released.saturating_add(deposits);
                        settled = settled.saturating_add(1);
                    }
                    _ => dropped = dropped.saturating_add(1),
                }
            }
            if head >= tail {
                SlashQueueBounds::<T>::remove(netuid);
            } else {
                SlashQueueBounds::<T>::insert(netuid, (head, tail));
            }
            if finished {
                done.push(netuid);
            } else if !waiting {
                break;
            }
        }
        due.retain(|netuid| !done.contains(netuid));
        SlashesDue::<T>::put(due);
        (settled, dropped, released)
    }
}
