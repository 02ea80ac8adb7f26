//! The stake pallet's invariants (`try_state`): the books, the permits and the counted stake.
//! Built with `std` too, so the runtime's random-history test checks them after every block.
#![cfg(any(feature = "try-runtime", feature = "std", test))]

use crate::pallet::*;
use frame_support::pallet_prelude::*;
use mindos_primitives::{NetUid, SubnetsInfo};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants: totals equal the sums of their entries; every coldkey's hold equals its
    /// active plus unbonding stake; nominator counts match; no zero entries; bounds hold.
    ///
    /// Built with `std` too (not only `try-runtime`), so that the runtime's random-history
    /// test checks it after every block.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use alloc::collections::BTreeMap;
        use frame_support::traits::fungible::InspectHold;
        let mut owed: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut per_hotkey: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut nominators: BTreeMap<T::AccountId, alloc::collections::BTreeSet<T::AccountId>> =
            BTreeMap::new();
        let mut coldkey_totals: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut coldkey_hotkeys: BTreeMap<
            T::AccountId,
            alloc::collections::BTreeSet<T::AccountId>,
        > = BTreeMap::new();
        let mut active = BalanceOf::<T>::zero();
        for (hotkey, coldkey, stake) in StakeOf::<T>::iter() {
            ensure!(!stake.is_zero(), "zero StakeOf entry");
            active = active.saturating_add(stake);
            let c = coldkey_totals.entry(coldkey.clone()).or_default();
            *c = c.saturating_add(stake);
            coldkey_hotkeys
                .entry(coldkey.clone())
                .or_default()
                .insert(hotkey.clone());
            let o = owed.entry(coldkey.clone()).or_default();
            *o = o.saturating_add(stake);
            let h = per_hotkey.entry(hotkey.clone()).or_default();
            *h = h.saturating_add(stake);
            nominators.entry(hotkey).or_default().insert(coldkey);
        }
        ensure!(
            active == TotalStake::<T>::get(),
            "TotalStake != sum of StakeOf"
        );
        let mut hotkey_sum = BalanceOf::<T>::zero();
        for (hotkey, stake) in HotkeyStake::<T>::iter() {
            ensure!(!stake.is_zero(), "zero HotkeyStake entry");
            ensure!(
                per_hotkey.get(&hotkey) == Some(&stake),
                "HotkeyStake != sum of its StakeOf"
            );
            hotkey_sum = hotkey_sum.saturating_add(stake);
        }
        ensure!(hotkey_sum == active, "sum of HotkeyStake != TotalStake");
        for (coldkey, stake) in ColdkeyStake::<T>::iter() {
            ensure!(
                coldkey_totals.get(&coldkey) == Some(&stake),
                "ColdkeyStake != sum of its StakeOf"
            );
        }
        ensure!(
            ColdkeyStake::<T>::iter().count() == coldkey_totals.len(),
            "a coldkey with active stake has no ColdkeyStake"
        );
        for (coldkey, hotkeys) in StakedHotkeys::<T>::iter() {
            let listed: alloc::collections::BTreeSet<T::AccountId> =
                hotkeys.iter().cloned().collect();
            ensure!(
                listed.len() == hotkeys.len(),
                "StakedHotkeys lists a hotkey twice"
            );
            ensure!(
                coldkey_hotkeys.get(&coldkey) == Some(&listed),
                "StakedHotkeys != the hotkeys its StakeOf entries name"
            );
        }
        ensure!(
            StakedHotkeys::<T>::iter().count() == coldkey_hotkeys.len(),
            "a coldkey with active stake has no StakedHotkeys"
        );
        for (hotkey, coldkey, snapshot) in RewardSnapshot::<T>::iter() {
            ensure!(
                !StakeOf::<T>::get(&hotkey, &coldkey).is_zero(),
                "RewardSnapshot without active stake"
            );
            ensure!(
                snapshot <= RewardIndex::<T>::get(&hotkey),
                "RewardSnapshot above its RewardIndex"
            );
        }

        let mut unbonding = BalanceOf::<T>::zero();
        let mut chunk_sums: BTreeMap<(T::AccountId, T::AccountId), BalanceOf<T>> = BTreeMap::new();
        for (coldkey, chunks) in Unbonding::<T>::iter() {
            ensure!(!chunks.is_empty(), "empty Unbonding entry");
            for chunk in chunks {
                ensure!(!chunk.amount.is_zero(), "zero unbonding chunk");
                unbonding = unbonding.saturating_add(chunk.amount);
                let o = owed.entry(coldkey.clone()).or_default();
                *o = o.saturating_add(chunk.amount);
                let s = chunk_sums
                    .entry((chunk.hotkey.clone(), coldkey.clone()))
                    .or_default();
                *s = s.saturating_add(chunk.amount);
            }
        }
        ensure!(
            unbonding == TotalUnbonding::<T>::get(),
            "TotalUnbonding != sum of chunks"
        );
        let mut unbonding_of_entries = 0usize;
        for (hotkey, coldkey, amount) in UnbondingOf::<T>::iter() {
            unbonding_of_entries = unbonding_of_entries.saturating_add(1);
            ensure!(
                chunk_sums.get(&(hotkey.clone(), coldkey.clone())) == Some(&amount),
                "UnbondingOf != sum of that coldkey's chunks for the hotkey"
            );
            nominators.entry(hotkey).or_default().insert(coldkey);
        }
        ensure!(
            unbonding_of_entries == chunk_sums.len(),
            "chunks without an UnbondingOf entry"
        );
        for (coldkey, owed) in owed {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::Staked.into(), &coldkey) == owed,
                "held stake != active + unbonding of the coldkey"
            );
        }
        let mut counted = 0usize;
        for (hotkey, count) in NominatorCount::<T>::iter() {
            counted = counted.saturating_add(1);
            ensure!(count > 0, "zero NominatorCount entry");
            let actual = nominators.get(&hotkey).map_or(0, |n| n.len());
            ensure!(count as usize == actual, "NominatorCount wrong");
            ensure!(count <= T::MaxNominators::get(), "more than MaxNominators");
        }
        ensure!(
            counted == nominators.len(),
            "nominated hotkey without a count"
        );
        for (_, take) in TakeOf::<T>::iter() {
            ensure!(take <= T::MaxTake::get(), "take above MaxTake");
        }
        for (_, (take, _)) in PendingTake::<T>::iter() {
            ensure!(take <= T::MaxTake::get(), "pending take above MaxTake");
        }
        let pending = PendingPermitUpdates::<T>::get();
        ensure!(
            pending.iter().enumerate().all(|(i, id)| !pending
                .iter()
                .skip(i.saturating_add(1))
                .any(|other| other == id)),
            "a subnet queued twice for a permit update"
        );
        // A permit may outlive its hotkey's registration until the next epoch boundary
        // (`has_validator_permit` checks registration); it may not outlive its subnet.
        for (netuid, permits) in ValidatorPermits::<T>::iter() {
            ensure!(T::Subnets::exists(netuid), "permits of a dissolved subnet");
            ensure!(!permits.is_empty(), "empty ValidatorPermits entry");
            ensure!(
                permits.len() <= T::MaxValidatorsPerSubnet::get() as usize,
                "more permits than MaxValidatorsPerSubnet"
            );
        }
        Self::counted_try_state()
    }

    /// Counted stake: an entry exactly per permit; per hotkey the kept sum and count match
    /// its entries and the sum never exceeds its active stake; per subnet the total matches
    /// its entries; so the totals over subnets never exceed the total active stake.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub(crate) fn counted_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use alloc::collections::BTreeMap;
        let mut per_hotkey: BTreeMap<T::AccountId, crate::CountedSum<BalanceOf<T>>> =
            BTreeMap::new();
        let mut per_subnet: BTreeMap<NetUid, BalanceOf<T>> = BTreeMap::new();
        for (hotkey, netuid, value) in CountedStake::<T>::iter() {
            ensure!(
                ValidatorPermits::<T>::get(netuid).contains(&hotkey),
                "counted stake without a permit"
            );
            let sum = per_hotkey.entry(hotkey).or_default();
            sum.total = sum.total.saturating_add(value);
            sum.subnets = sum.subnets.saturating_add(1);
            let total = per_subnet.entry(netuid).or_default();
            *total = total.saturating_add(value);
        }
        for (netuid, permits) in ValidatorPermits::<T>::iter() {
            for hotkey in permits {
                ensure!(
                    CountedStake::<T>::contains_key(&hotkey, netuid),
                    "a permit without counted stake"
                );
            }
        }
        let kept: BTreeMap<T::AccountId, crate::CountedSum<BalanceOf<T>>> =
            CountedSumOf::<T>::iter().collect();
        ensure!(kept == per_hotkey, "CountedSumOf differs from the entries");
        for (hotkey, sum) in &kept {
            ensure!(
                sum.total <= HotkeyStake::<T>::get(hotkey),
                "a hotkey counts more than its active stake"
            );
        }
        let totals = SubnetCountedStake::<T>::get();
        ensure!(
            totals.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)),
            "SubnetCountedStake not sorted by netuid"
        );
        let totals: BTreeMap<NetUid, BalanceOf<T>> = totals.into_iter().collect();
        ensure!(
            totals == per_subnet,
            "SubnetCountedStake differs from the entries"
        );
        let counted = totals
            .values()
            .fold(BalanceOf::<T>::zero(), |sum, v| sum.saturating_add(*v));
        ensure!(
            counted <= TotalStake::<T>::get(),
            "counted stake above the total active stake"
        );
        Ok(())
    }
}
