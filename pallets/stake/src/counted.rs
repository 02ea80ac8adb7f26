//! Counted stake: the part of each hotkey's stake that splits block emission between subnets
//! (see the crate docs, *Each unit of stake counts once*). Entries are raised only at a
//! subnet's permit refresh, into the headroom the hotkey's other entries leave, and lowered at
//! once by anything that lowers what a hotkey may count, so their sum never exceeds its stake.

use crate::{pallet::*, LOG_TARGET};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, BoundedVec};
use mindos_primitives::NetUid;
use sp_runtime::traits::{CheckedDiv, Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// What lowering a hotkey's counted stake on `subnets` subnets weighs: its entries and
    /// the two totals, each read and written once. Plain storage work, so it is priced by the
    /// runtime's database weights rather than benchmarked.
    pub(crate) fn lower_counted_weight(subnets: u32) -> Weight {
        let ops = u64::from(subnets).saturating_add(2);
        T::DbWeight::get().reads_writes(ops, ops)
    }

    /// After `hotkey`'s active stake fell: caps each of its counted entries at
    /// `stake / permits`, so they again add up to at most its stake. Returns the number of
    /// entries visited.
    pub(crate) fn lower_counted(hotkey: &T::AccountId) -> u32 {
        let Some(mut sum) = CountedSumOf::<T>::get(hotkey) else {
            return 0;
        };
        let stake = HotkeyStake::<T>::get(hotkey);
        if sum.total <= stake {
            return 0;
        }
        let cap = Self::equal_share(stake, sum.subnets);
        let mut totals = SubnetCountedStake::<T>::get();
        let mut visited = 0u32;
        let mut new_total = BalanceOf::<T>::zero();
        let entries: Vec<(NetUid, BalanceOf<T>)> = CountedStake::<T>::iter_prefix(hotkey).collect();
        for (netuid, value) in entries {
            visited = visited.saturating_add(1);
            if value > cap {
                CountedStake::<T>::insert(hotkey, netuid, cap);
                Self::adjust_subnet_total(&mut totals, netuid, value, cap);
            }
            new_total = new_total.saturating_add(value.min(cap));
        }
        sum.total = new_total;
        CountedSumOf::<T>::insert(hotkey, sum);
        SubnetCountedStake::<T>::put(totals);
        visited
    }

    /// `stake` divided equally over `subnets` (rounded down; all of it for zero subnets).
    fn equal_share(stake: BalanceOf<T>, subnets: u32) -> BalanceOf<T> {
        stake
            .checked_div(&BalanceOf::<T>::from(subnets.max(1)))
            .unwrap_or(stake)
    }

    /// Replaces `old` by `new` in `netuid`'s total (creating or dropping its entry).
    fn adjust_subnet_total(
        totals: &mut BoundedVec<(NetUid, BalanceOf<T>), T::MaxSubnets>,
        netuid: NetUid,
        old: BalanceOf<T>,
        new: BalanceOf<T>,
    ) {
        match totals.binary_search_by_key(&netuid, |(id, _)| *id) {
            Ok(i) => {
                if let Some((_, total)) = totals.get_mut(i) {
                    *total = total.saturating_sub(old).saturating_add(new);
                }
            }
            Err(i) => {
                if totals.try_insert(i, (netuid, new)).is_err() {
                    // Cannot happen: one entry per live subnet, at most `MaxSubnets`.
                    log::warn!(target: LOG_TARGET, "counted stake table full; {netuid:?} left out");
                }
            }
        }
    }

    /// Sets `hotkey`'s counted stake on `netuid`, where it (now) holds a permit, to its
    /// equal share over its permits, but never above what its other entries leave of its
    /// `stake`. Returns the new entry.
    pub(crate) fn refresh_counted(
        netuid: NetUid,
        hotkey: &T::AccountId,
        stake: BalanceOf<T>,
    ) -> BalanceOf<T> {
        let old = CountedStake::<T>::get(hotkey, netuid);
        let mut sum = CountedSumOf::<T>::get(hotkey).unwrap_or_default();
        if old.is_none() {
            sum.subnets = sum.subnets.saturating_add(1);
        }
        let others = sum.total.saturating_sub(old.unwrap_or_default());
        let value = Self::equal_share(stake, sum.subnets).min(stake.saturating_sub(others));
        sum.total = others.saturating_add(value);
        CountedStake::<T>::insert(hotkey, netuid, value);
        CountedSumOf::<T>::insert(hotkey, sum);
        value
    }

    /// Drops `hotkey`'s counted stake on `netuid` (its permit there is gone). Returns the
    /// entry it had.
    pub(crate) fn remove_counted(netuid: NetUid, hotkey: &T::AccountId) -> BalanceOf<T> {
        let Some(old) = CountedStake::<T>::take(hotkey, netuid) else {
            return Zero::zero();
        };
        CountedSumOf::<T>::mutate_exists(hotkey, |sum| {
            if let Some(s) = sum {
                s.total = s.total.saturating_sub(old);
                s.subnets = s.subnets.saturating_sub(1);
                if s.subnets == 0 {
                    *sum = None;
                }
            }
        });
        old
    }

    /// Sets `netuid`'s total to `total`, dropping its entry when it has no permits left.
    pub(crate) fn put_subnet_total(netuid: NetUid, total: Option<BalanceOf<T>>) {
        SubnetCountedStake::<T>::mutate(|totals| {
            match (totals.binary_search_by_key(&netuid, |(id, _)| *id), total) {
                (Ok(i), Some(total)) => {
                    if let Some(entry) = totals.get_mut(i) {
                        entry.1 = total;
                    }
                }
                (Ok(i), None) => {
                    totals.remove(i);
                }
                (Err(i), Some(total)) => {
                    if totals.try_insert(i, (netuid, total)).is_err() {
                        log::warn!(target: LOG_TARGET, "counted stake table full; {netuid:?} left out");
                    }
                }
                (Err(_), None) => {}
            }
        });
    }

    /// Gives each of `netuids` a counted stake (distinct, non-zero) without permits, so other
    /// pallets' benchmarks can split emission without setting up validators on every subnet.
    #[cfg(feature = "runtime-benchmarks")]
    pub fn set_counted_stakes_for_benchmarks(netuids: &[NetUid]) {
        let mut entries: Vec<(NetUid, BalanceOf<T>)> = netuids
            .iter()
            .zip(1_000u32..)
            .map(|(netuid, stake)| (*netuid, stake.into()))
            .collect();
        entries.sort_unstable_by_key(|(netuid, _)| *netuid);
        SubnetCountedStake::<T>::put(BoundedVec::truncate_from(entries));
    }
}
