//! The logic behind the calls and hooks, and the [`StakeInfo`] view other pallets use.
//!
//! Every `do_*` checks everything first and writes storage last, so a failed call changes
//! nothing. Totals are kept next to the per-account entries so reads never iterate; the
//! `try_state` checks hold them equal.

use crate::{pallet::*, HoldReason, UnbondingChunk, WeightInfo, LOG_TARGET};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Mutate, MutateHold},
        tokens::{Fortitude, Precision},
    },
    BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{NetUid, NeuronsInfo, OnSubnetDissolved, StakeInfo, SubnetsInfo};
use sp_runtime::{
    traits::{CheckedAdd, Saturating, Zero},
    FixedPointNumber, FixedU128, Perbill, SaturatedConversion,
};

impl<T: Config> Pallet<T> {
    /// All active stake of `coldkey`. One read.
    pub fn coldkey_stake(coldkey: &T::AccountId) -> BalanceOf<T> {
        ColdkeyStake::<T>::get(coldkey)
    }

    /// Active stake of `coldkey` on hotkeys registered on `netuid` now. At most
    /// `1 + 2 · MaxStakedHotkeys` reads.
    pub fn coldkey_stake_on_subnet(netuid: NetUid, coldkey: &T::AccountId) -> BalanceOf<T> {
        StakedHotkeys::<T>::get(coldkey)
            .iter()
            .filter(|hotkey| T::Neurons::uid(netuid, hotkey).is_some())
            .fold(Zero::zero(), |sum: BalanceOf<T>, hotkey| {
                sum.saturating_add(StakeOf::<T>::get(hotkey, coldkey))
            })
    }

    /// The least a coldkey not yet nominating `hotkey` may stake on it (what
    /// [`Error::NominationBelowMinimum`] refers to). One read.
    pub fn new_nomination_minimum(hotkey: &T::AccountId) -> BalanceOf<T> {
        Self::nomination_minimum(NominatorCount::<T>::get(hotkey))
    }

    /// `MinStake`, doubled for every eighth of `MaxNominators` already taken: 1× for the first
    /// eighth, 128× for the last. Filling all 512 slots of a hotkey at the launch values takes
    /// about 23,500 MIND at stake instead of 512.
    fn nomination_minimum(nominators: u32) -> BalanceOf<T> {
        let step = T::MaxNominators::get().checked_div(8).unwrap_or(0).max(1);
        let doublings = nominators.checked_div(step).unwrap_or(0).min(7);
        T::MinStake::get().saturating_mul(BalanceOf::<T>::from(1u32 << doublings))
    }

    /// All active stake.
    pub fn total_stake() -> BalanceOf<T> {
        TotalStake::<T>::get()
    }

    /// Active stake on `netuid`'s hotkeys as of its last epoch boundary ([`SubnetStake`]).
    pub fn subnet_stake(netuid: NetUid) -> BalanceOf<T> {
        SubnetStake::<T>::get(netuid)
    }

    fn is_nominator(hotkey: &T::AccountId, coldkey: &T::AccountId) -> bool {
        !StakeOf::<T>::get(hotkey, coldkey).is_zero()
            || !UnbondingOf::<T>::get(hotkey, coldkey).is_zero()
    }

    /// Writes `value` or removes the entry when it is zero (no zero entries are stored).
    fn put_stake(hotkey: &T::AccountId, coldkey: &T::AccountId, value: BalanceOf<T>) {
        if value.is_zero() {
            StakeOf::<T>::remove(hotkey, coldkey);
        } else {
            StakeOf::<T>::insert(hotkey, coldkey, value);
        }
    }

    /// Lowers `coldkey`'s active total by `amount` and, when nothing is left on `hotkey`,
    /// drops `hotkey` from its staked hotkeys. Call it after [`Self::put_stake`].
    fn reduce_coldkey_stake(coldkey: &T::AccountId, hotkey: &T::AccountId, amount: BalanceOf<T>) {
        ColdkeyStake::<T>::mutate_exists(coldkey, |stake| {
            let left = stake.unwrap_or_default().saturating_sub(amount);
            *stake = (!left.is_zero()).then_some(left);
        });
        if StakeOf::<T>::get(hotkey, coldkey).is_zero() {
            StakedHotkeys::<T>::mutate_exists(coldkey, |hotkeys| {
                if let Some(list) = hotkeys {
                    list.retain(|h| h != hotkey);
                    if list.is_empty() {
                        *hotkeys = None;
                    }
                }
            });
        }
    }

    fn put_hotkey_stake(hotkey: &T::AccountId, value: BalanceOf<T>) {
        if value.is_zero() {
            HotkeyStake::<T>::remove(hotkey);
        } else {
            HotkeyStake::<T>::insert(hotkey, value);
        }
    }

    fn put_unbonding_of(hotkey: &T::AccountId, coldkey: &T::AccountId, value: BalanceOf<T>) {
        if value.is_zero() {
            UnbondingOf::<T>::remove(hotkey, coldkey);
        } else {
            UnbondingOf::<T>::insert(hotkey, coldkey, value);
        }
    }

    /// Pays `coldkey` the dividends its active stake on `hotkey` earned since its last
    /// payment (minted as free balance) and moves its snapshot to the current index. Call it
    /// before the stake changes; [`Self::mark_paid`] after. Returns the amount paid.
    pub(crate) fn settle_rewards(
        hotkey: &T::AccountId,
        coldkey: &T::AccountId,
    ) -> Result<BalanceOf<T>, DispatchError> {
        let index = RewardIndex::<T>::get(hotkey);
        let stake = StakeOf::<T>::get(hotkey, coldkey);
        // Rounds down: the chain never pays more than it attributed.
        let owed = index
            .saturating_sub(RewardSnapshot::<T>::get(hotkey, coldkey))
            .saturating_mul_int(stake);
        Self::mark_paid(hotkey, coldkey);
        if !owed.is_zero() {
            T::Currency::mint_into(coldkey, owed)?;
            Self::deposit_event(Event::RewardsPaid {
                coldkey: coldkey.clone(),
                hotkey: hotkey.clone(),
                amount: owed,
            });
        }
        Ok(owed)
    }

    /// Sets `coldkey`'s snapshot on `hotkey` to the current index, or removes it when the
    /// coldkey has no active stake there (nothing accrues to zero stake).
    fn mark_paid(hotkey: &T::AccountId, coldkey: &T::AccountId) {
        if StakeOf::<T>::get(hotkey, coldkey).is_zero() {
            RewardSnapshot::<T>::remove(hotkey, coldkey);
        } else {
            RewardSnapshot::<T>::insert(hotkey, coldkey, RewardIndex::<T>::get(hotkey));
        }
    }

    /// After a decrease: if `coldkey` has nothing left on `hotkey`, it stops counting as a
    /// nominator.
    fn forget_nominator_if_gone(hotkey: &T::AccountId, coldkey: &T::AccountId) {
        if !Self::is_nominator(hotkey, coldkey) {
            NominatorCount::<T>::mutate_exists(hotkey, |count| {
                let left = count.unwrap_or_default().saturating_sub(1);
                *count = (left > 0).then_some(left);
            });
        }
    }

    pub(crate) fn do_add_stake(
        coldkey: T::AccountId,
        hotkey: T::AccountId,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        ensure!(amount >= T::MinStake::get(), Error::<T>::AmountBelowMinimum);
        ensure!(
            T::Neurons::hotkey_owner(&hotkey).is_some(),
            Error::<T>::HotkeyNotRegistered
        );
        let count = NominatorCount::<T>::get(&hotkey);
        let new_count = if Self::is_nominator(&hotkey, &coldkey) {
            count
        } else {
            ensure!(
                count < T::MaxNominators::get(),
                Error::<T>::TooManyNominators
            );
            ensure!(
                amount >= Self::nomination_minimum(count),
                Error::<T>::NominationBelowMinimum
            );
            count.checked_add(1).ok_or(Error::<T>::Overflow)?
        };
        let stake = StakeOf::<T>::get(&hotkey, &coldkey)
            .checked_add(&amount)
            .ok_or(Error::<T>::Overflow)?;
        let hotkey_stake = HotkeyStake::<T>::get(&hotkey)
            .checked_add(&amount)
            .ok_or(Error::<T>::Overflow)?;
        let total = TotalStake::<T>::get()
            .checked_add(&amount)
            .ok_or(Error::<T>::Overflow)?;
        let coldkey_stake = ColdkeyStake::<T>::get(&coldkey)
            .checked_add(&amount)
            .ok_or(Error::<T>::Overflow)?;
        let mut staked_hotkeys = StakedHotkeys::<T>::get(&coldkey);
        if !staked_hotkeys.contains(&hotkey) {
            staked_hotkeys
                .try_push(hotkey.clone())
                .map_err(|_| Error::<T>::TooManyStakedHotkeys)?;
        }
        // Hold first: if the coldkey cannot afford it, nothing has been written.
        T::Currency::hold(&HoldReason::Staked.into(), &coldkey, amount)
            .map_err(|_| Error::<T>::InsufficientBalance)?;
        // Dividends earned by the old stake are paid before the new stake starts earning.
        Self::settle_rewards(&hotkey, &coldkey)?;
        StakeOf::<T>::insert(&hotkey, &coldkey, stake);
        Self::mark_paid(&hotkey, &coldkey);
        HotkeyStake::<T>::insert(&hotkey, hotkey_stake);
        TotalStake::<T>::put(total);
        ColdkeyStake::<T>::insert(&coldkey, coldkey_stake);
        StakedHotkeys::<T>::insert(&coldkey, staked_hotkeys);
        NominatorCount::<T>::insert(&hotkey, new_count);
        Self::deposit_event(Event::StakeAdded {
            coldkey,
            hotkey,
            amount,
        });
        Ok(())
    }

    /// Starts unbonding; returns how many counted-stake entries of the hotkey it visited
    /// (what the refunded weight scales with).
    pub(crate) fn do_remove_stake(
        coldkey: T::AccountId,
        hotkey: T::AccountId,
        amount: BalanceOf<T>,
    ) -> Result<u32, DispatchError> {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        let active = StakeOf::<T>::get(&hotkey, &coldkey);
        ensure!(active >= amount, Error::<T>::NotEnoughStake);
        let remaining = active.saturating_sub(amount);
        // A remainder below the minimum would be dust nobody can add to or act on.
        let unbond = if !remaining.is_zero() && remaining < T::MinStake::get() {
            active
        } else {
            amount
        };
        let remaining = active.saturating_sub(unbond);
        let unlock_at =
            frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
        let mut chunks = Unbonding::<T>::get(&coldkey);
        if let Some(chunk) = chunks
            .iter_mut()
            .find(|c| c.hotkey == hotkey && c.unlock_at == unlock_at)
        {
            chunk.amount = chunk
                .amount
                .checked_add(&unbond)
                .ok_or(Error::<T>::Overflow)?;
        } else {
            chunks
                .try_push(UnbondingChunk {
                    hotkey: hotkey.clone(),
                    amount: unbond,
                    unlock_at,
                })
                .map_err(|_| Error::<T>::TooManyUnbondingChunks)?;
        }
        let unbonding_of = UnbondingOf::<T>::get(&hotkey, &coldkey)
            .checked_add(&unbond)
            .ok_or(Error::<T>::Overflow)?;
        let total_unbonding = TotalUnbonding::<T>::get()
            .checked_add(&unbond)
            .ok_or(Error::<T>::Overflow)?;

        Self::settle_rewards(&hotkey, &coldkey)?;
        Self::put_stake(&hotkey, &coldkey, remaining);
        Self::reduce_coldkey_stake(&coldkey, &hotkey, unbond);
        Self::mark_paid(&hotkey, &coldkey);
        Self::put_hotkey_stake(
            &hotkey,
            HotkeyStake::<T>::get(&hotkey).saturating_sub(unbond),
        );
        TotalStake::<T>::mutate(|total| *total = total.saturating_sub(unbond));
        Unbonding::<T>::insert(&coldkey, chunks);
        UnbondingOf::<T>::insert(&hotkey, &coldkey, unbonding_of);
        TotalUnbonding::<T>::put(total_unbonding);
        let visited = Self::lower_counted(&hotkey);
        Self::deposit_event(Event::StakeUnbonding {
            coldkey,
            hotkey,
            amount: unbond,
            unlock_at,
        });
        Ok(visited)
    }

    /// `remove_stake`'s weight when the hotkey has counted stake on `subnets` subnets.
    pub fn remove_stake_weight(subnets: u32) -> Weight {
        T::WeightInfo::remove_stake().saturating_add(Self::lower_counted_weight(subnets))
    }

    pub(crate) fn do_withdraw_unbonded(coldkey: T::AccountId) -> DispatchResult {
        let now = frame_system::Pallet::<T>::block_number();
        let (matured, pending): (Vec<_>, Vec<_>) = Unbonding::<T>::get(&coldkey)
            .into_iter()
            .partition(|chunk| chunk.unlock_at <= now);
        ensure!(!matured.is_empty(), Error::<T>::NothingToWithdraw);
        let amount = matured.iter().fold(BalanceOf::<T>::zero(), |sum, chunk| {
            sum.saturating_add(chunk.amount)
        });
        // Release first: if it fails, nothing has been written. `BestEffort` because the
        // hold always covers the chunks (try_state checks it); an exact release would turn a
        // bookkeeping bug into stuck funds.
        let released = T::Currency::release(
            &HoldReason::Staked.into(),
            &coldkey,
            amount,
            Precision::BestEffort,
        )?;
        for chunk in &matured {
            Self::put_unbonding_of(
                &chunk.hotkey,
                &coldkey,
                UnbondingOf::<T>::get(&chunk.hotkey, &coldkey).saturating_sub(chunk.amount),
            );
            Self::forget_nominator_if_gone(&chunk.hotkey, &coldkey);
        }
        TotalUnbonding::<T>::mutate(|total| *total = total.saturating_sub(amount));
        if pending.is_empty() {
            Unbonding::<T>::remove(&coldkey);
        } else {
            // `pending` is a subset of a bounded list, so it fits.
            Unbonding::<T>::insert(&coldkey, BoundedVec::truncate_from(pending));
        }
        log::debug!(target: LOG_TARGET, "withdrew {released:?} of {amount:?} unbonded stake");
        Self::deposit_event(Event::StakeWithdrawn {
            coldkey,
            amount: released,
        });
        Ok(())
    }

    pub(crate) fn do_set_take(
        coldkey: T::AccountId,
        hotkey: T::AccountId,
        take: Perbill,
    ) -> DispatchResult {
        ensure!(
            T::Neurons::hotkey_owner(&hotkey).as_ref() == Some(&coldkey),
            Error::<T>::NotHotkeyOwner
        );
        ensure!(take <= T::MaxTake::get(), Error::<T>::TakeTooHigh);
        let now = frame_system::Pallet::<T>::block_number();
        let current = Self::take_of(&hotkey);
        let pending = PendingTake::<T>::get(&hotkey).filter(|(_, at)| now < *at);
        if let Some((_, at)) = pending.filter(|(raised, _)| current < take && take <= *raised) {
            // Less of a raise already announced: the same date, no new rate-limit period.
            PendingTake::<T>::insert(&hotkey, (take, at));
            Self::deposit_event(Event::TakeIncreaseScheduled { hotkey, take, at });
        } else if take > current {
            if let Some(at) = TakeIncreasedAt::<T>::get(&hotkey) {
                ensure!(
                    now >= at.saturating_add(T::TakeIncreaseRateLimit::get()),
                    Error::<T>::TakeRateLimited
                );
            }
            let at = now.saturating_add(T::UnbondingPeriod::get());
            // What applies until the raise does: a raise that came due already counts.
            TakeOf::<T>::insert(&hotkey, current);
            TakeIncreasedAt::<T>::insert(&hotkey, now);
            PendingTake::<T>::insert(&hotkey, (take, at));
            Self::deposit_event(Event::TakeIncreaseScheduled { hotkey, take, at });
        } else {
            PendingTake::<T>::remove(&hotkey);
            TakeOf::<T>::insert(&hotkey, take);
            Self::deposit_event(Event::TakeSet { hotkey, take });
        }
        Ok(())
    }

    /// The take that applies to `hotkey`'s dividends now: a scheduled raise once it is due,
    /// else the stored take. At most two reads.
    pub fn take_of(hotkey: &T::AccountId) -> Perbill {
        match PendingTake::<T>::get(hotkey) {
            Some((take, at)) if frame_system::Pallet::<T>::block_number() >= at => take,
            _ => TakeOf::<T>::get(hotkey),
        }
    }

    /// Queues the subnets whose epoch boundary is `now` and recomputes the permits of at most
    /// `MaxPermitUpdatesPerBlock` queued subnets. Returns the weight used.
    pub(crate) fn update_permits_at(now: BlockNumberFor<T>) -> Weight {
        let due = T::Subnets::epochs_due(now.saturated_into::<u64>());
        let mut pending = PendingPermitUpdates::<T>::get();
        if due.is_empty() && pending.is_empty() {
            return T::WeightInfo::on_initialize_base();
        }
        for netuid in due {
            if !pending.contains(&netuid) && pending.try_push(netuid).is_err() {
                // It comes round again at its next epoch; permits stay as they were.
                log::warn!(target: LOG_TARGET, "permit queue full; {netuid:?} skipped this epoch");
            }
        }
        let batch = (T::MaxPermitUpdatesPerBlock::get() as usize).min(pending.len());
        let mut queue = pending.into_inner();
        let rest = queue.split_off(batch);
        PendingPermitUpdates::<T>::put(BoundedVec::truncate_from(rest));
        let mut weight = T::WeightInfo::on_initialize_base();
        for netuid in queue {
            let neurons = Self::update_validator_permits(netuid);
            weight = weight.saturating_add(T::WeightInfo::update_validator_permits(neurons));
        }
        weight
    }

    /// Recomputes `netuid`'s permits now, for other pallets' benchmarks that need validators
    /// without waiting for an epoch boundary.
    #[cfg(feature = "runtime-benchmarks")]
    pub fn refresh_validator_permits(netuid: NetUid) {
        Self::update_validator_permits(netuid);
    }

    /// Gives the permits of `netuid` to its top `max_validators` (at most
    /// `MaxValidatorsPerSubnet`) registered hotkeys by active stake, counting only those with
    /// at least the subnet's `min_validator_stake`. Ties go to the lower uid. An unknown or
    /// dissolved subnet is skipped (dissolution already cleared its permits). Returns the
    /// number of neurons looked at, which is what the weight scales with.
    pub(crate) fn update_validator_permits(netuid: NetUid) -> u32 {
        let Some(params) = T::Subnets::hyperparameters(netuid) else {
            log::debug!(target: LOG_TARGET, "permits of unknown subnet {netuid:?} skipped");
            return 0;
        };
        let neurons = T::Neurons::neurons(netuid);
        let looked_at = u32::try_from(neurons.len()).unwrap_or(u32::MAX);
        let staked: Vec<(BalanceOf<T>, u16, T::AccountId)> = neurons
            .into_iter()
            .map(|(uid, hotkey)| (HotkeyStake::<T>::get(&hotkey), uid, hotkey))
            .collect();
        // The stakes are read here anyway: keep their sum for subnet-scoped quorums.
        let subnet_stake = staked
            .iter()
            .fold(BalanceOf::<T>::zero(), |sum, (stake, _, _)| {
                sum.saturating_add(*stake)
            });
        if subnet_stake.is_zero() {
            SubnetStake::<T>::remove(netuid);
        } else {
            SubnetStake::<T>::insert(netuid, subnet_stake);
        }
        // A permit is the right to use the subnet's miners: never without stake (M11).
        let mut candidates: Vec<(BalanceOf<T>, u16, T::AccountId)> = staked
            .into_iter()
            .filter(|(stake, _, _)| !stake.is_zero() && *stake >= params.min_validator_stake)
            .collect();
        // Highest stake first, then lowest uid; uids are unique, so the order is total.
        candidates.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let seats = u32::from(params.max_validators).min(T::MaxValidatorsPerSubnet::get());
        candidates.truncate(seats as usize);
        // Counted stake: holders that lost their permit drop their entry first, so that the
        // headroom the new holders see is already free.
        for hotkey in ValidatorPermits::<T>::get(netuid) {
            if !candidates.iter().any(|(_, _, h)| *h == hotkey) {
                Self::remove_counted(netuid, &hotkey);
            }
        }
        let counted = candidates
            .iter()
            .fold(BalanceOf::<T>::zero(), |sum, (stake, _, hotkey)| {
                sum.saturating_add(Self::refresh_counted(netuid, hotkey, *stake))
            });
        Self::put_subnet_total(netuid, (!candidates.is_empty()).then_some(counted));
        let permits = BoundedVec::<T::AccountId, T::MaxValidatorsPerSubnet>::truncate_from(
            candidates
                .into_iter()
                .map(|(_, _, hotkey)| hotkey)
                .collect(),
        );
        let validators = u32::try_from(permits.len()).unwrap_or(u32::MAX);
        if permits.is_empty() {
            ValidatorPermits::<T>::remove(netuid);
        } else {
            ValidatorPermits::<T>::insert(netuid, permits);
        }
        Self::deposit_event(Event::ValidatorPermitsUpdated { netuid, validators });
        looked_at
    }

    /// The most a [`StakeInfo::slash`] can weigh (a hotkey with `MaxNominators`
    /// nominators); pallets that slash charge it.
    pub fn slash_weight() -> Weight {
        T::WeightInfo::slash(T::MaxNominators::get())
            .saturating_add(Self::lower_counted_weight(T::MaxSubnets::get()))
    }

    /// Burns `cut` from what `coldkey` holds for stake; returns what was burned.
    fn burn_staked(coldkey: &T::AccountId, cut: BalanceOf<T>) -> BalanceOf<T> {
        if cut.is_zero() {
            return cut;
        }
        T::Currency::burn_held(
            &HoldReason::Staked.into(),
            coldkey,
            cut,
            Precision::BestEffort,
            Fortitude::Force,
        )
        .unwrap_or_else(|e| {
            log::error!(target: LOG_TARGET, "burning held stake failed: {e:?}");
            Zero::zero()
        })
    }

    /// Takes `amount` out of `coldkey`'s chunks for `hotkey`, latest unlock first (the stake
    /// that would have stayed at risk longest pays first). Empty chunks are dropped.
    fn reduce_chunks(coldkey: &T::AccountId, hotkey: &T::AccountId, amount: BalanceOf<T>) {
        let mut left = amount;
        let mut chunks = Unbonding::<T>::get(coldkey).into_inner();
        let mut order: Vec<usize> = (0..chunks.len()).collect();
        order.sort_by_key(|i| core::cmp::Reverse(chunks.get(*i).map(|c| c.unlock_at)));
        for i in order {
            if left.is_zero() {
                break;
            }
            if let Some(chunk) = chunks.get_mut(i).filter(|c| c.hotkey == *hotkey) {
                let cut = left.min(chunk.amount);
                chunk.amount = chunk.amount.saturating_sub(cut);
                left = left.saturating_sub(cut);
            }
        }
        chunks.retain(|c| !c.amount.is_zero());
        if chunks.is_empty() {
            Unbonding::<T>::remove(coldkey);
        } else {
            Unbonding::<T>::insert(coldkey, BoundedVec::truncate_from(chunks));
        }
    }
}

impl<T: Config> StakeInfo<T::AccountId, BalanceOf<T>> for Pallet<T> {
    fn validators(netuid: NetUid) -> Vec<T::AccountId> {
        ValidatorPermits::<T>::get(netuid)
            .into_iter()
            .filter(|hotkey| T::Neurons::uid(netuid, hotkey).is_some())
            .collect()
    }

    /// The take (rounded down) is minted to the owner; the rest raises [`RewardIndex`] by
    /// `rest / active stake`, rounded down (at most one unit in 10¹⁸ per unit of stake is
    /// never minted: rounding only ever keeps back). A hotkey nobody stakes on pays its owner
    /// all.
    fn reward(hotkey: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
        if amount.is_zero() {
            return amount;
        }
        let Some(owner) = T::Neurons::hotkey_owner(hotkey) else {
            return amount;
        };
        let stake = HotkeyStake::<T>::get(hotkey);
        let take = Self::take_of(hotkey).mul_floor(amount);
        let rest = amount.saturating_sub(take);
        let delta = if stake.is_zero() {
            None
        } else {
            FixedU128::checked_from_rational(rest, stake)
        };
        let (to_owner, to_nominators) = match delta {
            Some(_) => (take, rest),
            None => (amount, Zero::zero()),
        };
        if !to_owner.is_zero() {
            if let Err(e) = T::Currency::mint_into(&owner, to_owner) {
                log::warn!(target: LOG_TARGET, "take of {hotkey:?} not minted: {e:?}");
                return to_owner;
            }
        }
        if let Some(delta) = delta {
            RewardIndex::<T>::mutate(hotkey, |index| *index = index.saturating_add(delta));
        }
        Self::deposit_event(Event::ValidatorRewarded {
            hotkey: hotkey.clone(),
            to_owner,
            to_nominators,
        });
        Zero::zero()
    }

    fn hotkey_stake(hotkey: &T::AccountId) -> BalanceOf<T> {
        HotkeyStake::<T>::get(hotkey)
    }

    fn counted_stakes() -> Vec<(NetUid, BalanceOf<T>)> {
        SubnetCountedStake::<T>::get().into_inner()
    }

    fn stake_weights(netuid: NetUid) -> Vec<(u16, BalanceOf<T>)> {
        T::Neurons::neurons(netuid)
            .into_iter()
            .map(|(uid, hotkey)| (uid, HotkeyStake::<T>::get(&hotkey)))
            .collect()
    }

    /// A permit counts only while the hotkey is still registered: one deregistered or
    /// pruned since the last epoch boundary has lost it already.
    fn has_validator_permit(netuid: NetUid, hotkey: &T::AccountId) -> bool {
        ValidatorPermits::<T>::get(netuid).contains(hotkey)
            && T::Neurons::uid(netuid, hotkey).is_some()
    }

    /// Bounded: both prefixes hold at most `MaxNominators` coldkeys, each with at most
    /// `MaxUnbondingChunks` chunks; [`Pallet::slash_weight`] is what callers should charge.
    /// Each nominator loses `share` (rounded down) of its active and of its unbonding stake
    /// on `hotkey`; the burned funds leave the total issuance. Unclaimed dividends shrink by
    /// the same share: they are owed in proportion to the (now smaller) active stake.
    fn slash(hotkey: &T::AccountId, share: Perbill) -> BalanceOf<T> {
        if share.is_zero() {
            return Zero::zero();
        }
        let mut burned = BalanceOf::<T>::zero();
        let mut burned_active = BalanceOf::<T>::zero();
        let active: Vec<(T::AccountId, BalanceOf<T>)> = StakeOf::<T>::iter_prefix(hotkey).collect();
        for (coldkey, stake) in active {
            let cut = Self::burn_staked(&coldkey, share.mul_floor(stake));
            if cut.is_zero() {
                continue;
            }
            Self::put_stake(hotkey, &coldkey, stake.saturating_sub(cut));
            Self::reduce_coldkey_stake(&coldkey, hotkey, cut);
            if StakeOf::<T>::get(hotkey, &coldkey).is_zero() {
                RewardSnapshot::<T>::remove(hotkey, &coldkey);
            }
            burned_active = burned_active.saturating_add(cut);
        }
        if !burned_active.is_zero() {
            Self::put_hotkey_stake(
                hotkey,
                HotkeyStake::<T>::get(hotkey).saturating_sub(burned_active),
            );
            TotalStake::<T>::mutate(|total| *total = total.saturating_sub(burned_active));
            Self::lower_counted(hotkey);
            burned = burned_active;
        }
        let mut burned_unbonding = BalanceOf::<T>::zero();
        let unbonding: Vec<(T::AccountId, BalanceOf<T>)> =
            UnbondingOf::<T>::iter_prefix(hotkey).collect();
        for (coldkey, amount) in unbonding {
            let cut = Self::burn_staked(&coldkey, share.mul_floor(amount));
            if cut.is_zero() {
                continue;
            }
            Self::reduce_chunks(&coldkey, hotkey, cut);
            Self::put_unbonding_of(hotkey, &coldkey, amount.saturating_sub(cut));
            burned_unbonding = burned_unbonding.saturating_add(cut);
        }
        if !burned_unbonding.is_zero() {
            TotalUnbonding::<T>::mutate(|total| *total = total.saturating_sub(burned_unbonding));
            burned = burned.saturating_add(burned_unbonding);
        }
        if burned.is_zero() {
            return burned;
        }
        // Recount: a nominator slashed to nothing no longer counts.
        let count = u32::try_from(
            StakeOf::<T>::iter_key_prefix(hotkey)
                .chain(UnbondingOf::<T>::iter_key_prefix(hotkey))
                .collect::<alloc::collections::BTreeSet<_>>()
                .len(),
        )
        .unwrap_or(u32::MAX);
        if count == 0 {
            NominatorCount::<T>::remove(hotkey);
        } else {
            NominatorCount::<T>::insert(hotkey, count);
        }
        log::info!(target: LOG_TARGET, "slashed {burned:?} ({share:?}) of a hotkey's stake");
        Self::deposit_event(Event::StakeSlashed {
            hotkey: hotkey.clone(),
            amount: burned,
        });
        burned
    }
}

impl<T: Config> OnSubnetDissolved for Pallet<T> {
    /// Permits of the subnet go; stake stays where it is (on hotkeys, with the stakers).
    fn on_subnet_dissolved(netuid: NetUid) -> Weight {
        let holders = ValidatorPermits::<T>::take(netuid);
        let count = u32::try_from(holders.len()).unwrap_or(u32::MAX);
        for hotkey in holders {
            Self::remove_counted(netuid, &hotkey);
        }
        Self::put_subnet_total(netuid, None);
        SubnetStake::<T>::remove(netuid);
        PendingPermitUpdates::<T>::mutate(|queue| queue.retain(|id| *id != netuid));
        T::WeightInfo::on_subnet_dissolved().saturating_add(Self::lower_counted_weight(count))
    }

    fn max_weight() -> Weight {
        T::WeightInfo::on_subnet_dissolved()
            .saturating_add(Self::lower_counted_weight(T::MaxValidatorsPerSubnet::get()))
    }
}
