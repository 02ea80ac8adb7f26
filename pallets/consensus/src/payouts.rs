//! Miner payouts: each epoch queues its miners' shares ([`MinerPayouts`]); blocks mint them a
//! page of `MaxPayoutsPerBlock` at a time. A backlog still queued when the next epoch comes is
//! merged into that epoch's payouts, never minted inside the epoch (review M2).

use crate::{pallet::*, MinerPayouts, LOG_TARGET};
use alloc::vec::Vec;
use frame_support::traits::fungible::Mutate;
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{NetUid, NeuronsInfo};
use sp_runtime::{
    traits::{Saturating, Zero},
    BoundedVec, SaturatedConversion,
};

impl<T: Config> Pallet<T> {
    /// Stores an epoch's miner payouts. Payouts of the subnet's previous epoch still unpaid
    /// (a tempo shorter than the pages the queue needs) are merged in, never minted here:
    /// minting them inside the epoch would be up to 4,095 uncharged mints (review M2). An
    /// entry whose uid changed holder since its own epoch is forfeited at the merge, as
    /// paying it would; the rest sum per uid, so the queue keeps one entry per uid.
    pub(crate) fn queue_miner_payouts(
        netuid: NetUid,
        epoch_block: BlockNumberFor<T>,
        mut entries: Vec<(u16, BalanceOf<T>)>,
    ) {
        if let Some(backlog) = PayoutsOf::<T>::take(netuid) {
            let registered_at = T::Neurons::registered_at(netuid);
            let backlog_block = backlog.epoch_block.saturated_into::<u64>();
            let mut forfeited = BalanceOf::<T>::zero();
            let mut kept: Vec<(u16, BalanceOf<T>)> = Vec::with_capacity(backlog.entries.len());
            for (uid, value) in backlog.entries {
                let same_holder = registered_at
                    .get(usize::from(uid))
                    .is_some_and(|at| *at != 0 && *at < backlog_block);
                if same_holder {
                    kept.push((uid, value));
                } else {
                    forfeited = forfeited.saturating_add(value);
                }
            }
            entries = merge_by_uid(kept, entries);
            if !forfeited.is_zero() {
                Self::deposit_event(Event::MinersPaid {
                    netuid,
                    paid: 0,
                    amount: Zero::zero(),
                    forfeited,
                });
            }
        }
        PayoutsOf::<T>::insert(
            netuid,
            MinerPayouts {
                epoch_block,
                entries: BoundedVec::truncate_from(entries),
            },
        );
        PayoutQueue::<T>::mutate(|queue| {
            if !queue.contains(&netuid) && queue.try_push(netuid).is_err() {
                log::warn!(target: LOG_TARGET, "payout queue full; {netuid:?} waits");
            }
        });
    }

    /// Mints up to `budget` queued miner payouts, oldest subnet first. Returns how many were
    /// processed and how many are left in the first subnet processed.
    pub(crate) fn pay_miners(budget: u32) -> (u32, u32) {
        let mut done = 0u32;
        let mut left = 0u32;
        while done < budget {
            let Some(netuid) = PayoutQueue::<T>::get().first().copied() else {
                break;
            };
            let (paid, remaining) = Self::pay_subnet_miners(netuid, budget.saturating_sub(done));
            done = done.saturating_add(paid.max(1));
            left = remaining;
            if remaining > 0 {
                break;
            }
        }
        (done, left)
    }

    /// Mints up to `budget` of `netuid`'s payouts; dequeues the subnet when done. Returns
    /// (processed, remaining).
    fn pay_subnet_miners(netuid: NetUid, budget: u32) -> (u32, u32) {
        let Some(mut payouts) = PayoutsOf::<T>::get(netuid) else {
            PayoutQueue::<T>::mutate(|queue| queue.retain(|id| *id != netuid));
            return (0, 0);
        };
        let registered_at = T::Neurons::registered_at(netuid);
        let epoch_block = payouts.epoch_block.saturated_into::<u64>();
        let take = (budget as usize).min(payouts.entries.len());
        let split_at = payouts.entries.len().saturating_sub(take);
        let page: Vec<(u16, BalanceOf<T>)> = payouts.entries.drain(split_at..).collect();
        let mut amount = BalanceOf::<T>::zero();
        let mut forfeited = BalanceOf::<T>::zero();
        for (uid, value) in page.iter().copied() {
            let same_holder = registered_at
                .get(usize::from(uid))
                .is_some_and(|at| *at != 0 && *at < epoch_block);
            let minted = same_holder
                && T::Neurons::hotkey(netuid, uid)
                    .and_then(|hotkey| T::Neurons::hotkey_owner(&hotkey))
                    .is_some_and(|coldkey| T::Currency::mint_into(&coldkey, value).is_ok());
            if minted {
                amount = amount.saturating_add(value);
            } else {
                forfeited = forfeited.saturating_add(value);
            }
        }
        let remaining = u32::try_from(payouts.entries.len()).unwrap_or(u32::MAX);
        if payouts.entries.is_empty() {
            PayoutsOf::<T>::remove(netuid);
            PayoutQueue::<T>::mutate(|queue| queue.retain(|id| *id != netuid));
        } else {
            PayoutsOf::<T>::insert(netuid, payouts);
        }
        let paid = u32::try_from(page.len()).unwrap_or(u32::MAX);
        Self::deposit_event(Event::MinersPaid {
            netuid,
            paid,
            amount,
            forfeited,
        });
        (paid, remaining)
    }
}

/// Merges two lists of `(uid, amount)` sorted by uid into one sorted list with one entry per
/// uid, summing the amounts of a uid in both. Linear: both lists come sorted.
fn merge_by_uid<Balance: Saturating + Copy>(
    a: Vec<(u16, Balance)>,
    b: Vec<(u16, Balance)>,
) -> Vec<(u16, Balance)> {
    let mut merged = Vec::with_capacity(a.len().saturating_add(b.len()));
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                let uid = x.0;
                let sum = x.1.saturating_add(y.1);
                a.next();
                b.next();
                (uid, sum)
            }
            (Some(x), Some(y)) if x.0 < y.0 => match a.next() {
                Some(entry) => entry,
                None => break,
            },
            (_, Some(_)) => match b.next() {
                Some(entry) => entry,
                None => break,
            },
            (Some(_), None) => match a.next() {
                Some(entry) => entry,
                None => break,
            },
            (None, None) => break,
        };
        merged.push(next);
    }
    merged
}
