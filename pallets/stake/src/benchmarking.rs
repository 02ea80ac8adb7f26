//! Benchmarks of every call and hook in its worst case (the weights in `weights.rs` come
//! from here).

// A setup step that fails is a bug in the benchmark itself; stop with its message.
#![allow(clippy::expect_used)]

use super::*;
use crate::pallet::{
    BalanceOf, CountedStake, CountedSumOf, HotkeyStake, NominatorCount, PendingPermitUpdates,
    PendingTake, StakeOf, TakeIncreasedAt, TakeOf, TotalStake, TotalUnbonding, Unbonding,
    UnbondingChunkOf, UnbondingOf, ValidatorPermits,
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
use mindos_primitives::{OnSubnetDissolved, SubnetsInfo, MAX_NEURONS_PER_SUBNET};
use sp_runtime::{
    traits::{Bounded, CheckedDiv, Saturating, Zero},
    Perbill, SaturatedConversion,
};

const MAX_NEURONS: u32 = MAX_NEURONS_PER_SUBNET as u32;

fn subnet<T: Config>() -> NetUid {
    T::BenchmarkHelper::create_subnet(account("subnet-owner", 0, 0))
        .expect("the benchmark helper creates a subnet")
}

/// A coldkey with plenty to stake.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    let who: T::AccountId = account(name, index, 0);
    // A thousandth of the type's range: room for every stake without overflowing issuance.
    let plenty = BalanceOf::<T>::max_value()
        .checked_div(&1_000u32.into())
        .unwrap_or_else(BalanceOf::<T>::max_value);
    T::Currency::set_balance(&who, plenty);
    who
}

fn registered_hotkey<T: Config>(netuid: NetUid, index: u32) -> (T::AccountId, T::AccountId) {
    let coldkey = funded::<T>("owner", index);
    let hotkey: T::AccountId = account("hotkey", index, 0);
    T::BenchmarkHelper::register_hotkey(netuid, coldkey.clone(), hotkey.clone())
        .expect("the benchmark helper registers a hotkey");
    (coldkey, hotkey)
}

fn stake_amount<T: Config>() -> BalanceOf<T> {
    T::MinStake::get()
        .saturating_mul(100u32.into())
        .saturating_add(T::Currency::minimum_balance())
}

/// The first block after the current one at which `netuid` reaches an epoch boundary.
fn next_boundary<T: Config>(netuid: NetUid) -> BlockNumberFor<T> {
    let now: u64 = frame_system::Pallet::<T>::block_number().saturated_into();
    let block = (now.saturating_add(1)..now.saturating_add(70_000))
        .find(|b| T::Subnets::epochs_due(*b).contains(&netuid))
        .expect("every subnet has an epoch boundary within u16::MAX blocks");
    block.saturated_into()
}

/// Makes `coldkey` a nominator of `hotkey` with `amount` active and a full unbonding list
/// (`MaxUnbondingChunks` chunks of `amount` from `hotkey`, unlocking at different blocks):
/// the most a slash reads and rewrites for one nominator. Written directly, keeping every
/// total and the hold consistent, because the calls would need a block per chunk.
fn full_nominator<T: Config>(hotkey: &T::AccountId, coldkey: &T::AccountId, amount: BalanceOf<T>) {
    let chunks = T::MaxUnbondingChunks::get();
    let unbonding = amount.saturating_mul(chunks.into());
    T::Currency::hold(
        &HoldReason::Staked.into(),
        coldkey,
        amount.saturating_add(unbonding),
    )
    .expect("the nominator is funded");
    StakeOf::<T>::insert(hotkey, coldkey, amount);
    HotkeyStake::<T>::mutate(hotkey, |stake| *stake = stake.saturating_add(amount));
    TotalStake::<T>::mutate(|total| *total = total.saturating_add(amount));
    ColdkeyStake::<T>::mutate(coldkey, |stake| *stake = stake.saturating_add(amount));
    StakedHotkeys::<T>::mutate(coldkey, |hotkeys| {
        if !hotkeys.contains(hotkey) {
            hotkeys.try_push(hotkey.clone()).expect("a fresh nominator");
        }
    });
    let list: Vec<UnbondingChunkOf<T>> = (0..chunks)
        .map(|i| UnbondingChunk {
            hotkey: hotkey.clone(),
            amount,
            unlock_at: BlockNumberFor::<T>::from(i.saturating_add(1)),
        })
        .collect();
    Unbonding::<T>::insert(coldkey, BoundedVec::truncate_from(list));
    UnbondingOf::<T>::insert(hotkey, coldkey, unbonding);
    TotalUnbonding::<T>::mutate(|total| *total = total.saturating_add(unbonding));
    NominatorCount::<T>::mutate(hotkey, |count| *count = count.saturating_add(1));
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// A new nominator on a hotkey that already has others.
    #[benchmark]
    fn add_stake() {
        let netuid = subnet::<T>();
        let (owner, hotkey) = registered_hotkey::<T>(netuid, 0);
        Pallet::<T>::add_stake(
            RawOrigin::Signed(owner).into(),
            hotkey.clone(),
            stake_amount::<T>(),
        )
        .expect("owner stakes");
        let coldkey = funded::<T>("nominator", 0);
        let amount = stake_amount::<T>();

        #[extrinsic_call]
        _(RawOrigin::Signed(coldkey.clone()), hotkey.clone(), amount);

        assert_eq!(StakeOf::<T>::get(&hotkey, &coldkey), amount);
    }

    /// `MaxUnbondingChunks - 1` chunks already there (each scanned), a new one pushed.
    #[benchmark]
    fn remove_stake() {
        let netuid = subnet::<T>();
        let (_, hotkey) = registered_hotkey::<T>(netuid, 0);
        let coldkey = funded::<T>("nominator", 0);
        let unit = T::MinStake::get();
        let chunks = T::MaxUnbondingChunks::get().saturating_sub(1);
        let total = stake_amount::<T>().saturating_mul(chunks.saturating_add(2).into());
        Pallet::<T>::add_stake(
            RawOrigin::Signed(coldkey.clone()).into(),
            hotkey.clone(),
            total,
        )
        .expect("stake");
        for block in 0..chunks {
            frame_system::Pallet::<T>::set_block_number(block.saturating_add(1).into());
            Pallet::<T>::remove_stake(
                RawOrigin::Signed(coldkey.clone()).into(),
                hotkey.clone(),
                unit,
            )
            .expect("unbond");
        }
        frame_system::Pallet::<T>::set_block_number(chunks.saturating_add(1).into());

        #[extrinsic_call]
        _(RawOrigin::Signed(coldkey.clone()), hotkey.clone(), unit);

        assert_eq!(
            Unbonding::<T>::get(&coldkey).len() as u32,
            T::MaxUnbondingChunks::get()
        );
    }

    /// `MaxUnbondingChunks` matured chunks, each from a different hotkey.
    #[benchmark]
    fn withdraw_unbonded() {
        let netuid = subnet::<T>();
        let coldkey = funded::<T>("nominator", 0);
        let unit = T::MinStake::get();
        let chunks = T::MaxUnbondingChunks::get();
        for i in 0..chunks {
            let (_, hotkey) = registered_hotkey::<T>(netuid, i);
            Pallet::<T>::add_stake(
                RawOrigin::Signed(coldkey.clone()).into(),
                hotkey.clone(),
                unit,
            )
            .expect("stake");
            Pallet::<T>::remove_stake(RawOrigin::Signed(coldkey.clone()).into(), hotkey, unit)
                .expect("unbond");
        }
        let later = frame_system::Pallet::<T>::block_number()
            .saturating_add(T::UnbondingPeriod::get())
            .saturating_add(1u32.into());
        frame_system::Pallet::<T>::set_block_number(later);

        #[extrinsic_call]
        _(RawOrigin::Signed(coldkey.clone()));

        assert!(Unbonding::<T>::get(&coldkey).is_empty());
    }

    /// A raise after an earlier raise that came due (the rate-limit entry, the stored and the
    /// pending take all read and written).
    #[benchmark]
    fn set_take() {
        let netuid = subnet::<T>();
        let (owner, hotkey) = registered_hotkey::<T>(netuid, 0);
        TakeOf::<T>::insert(&hotkey, Perbill::zero());
        TakeIncreasedAt::<T>::insert(&hotkey, BlockNumberFor::<T>::from(1u32));
        PendingTake::<T>::insert(
            &hotkey,
            (Perbill::from_percent(1), BlockNumberFor::<T>::from(2u32)),
        );
        let later = T::TakeIncreaseRateLimit::get().saturating_add(2u32.into());
        frame_system::Pallet::<T>::set_block_number(later);
        let take = T::MaxTake::get();

        #[extrinsic_call]
        _(RawOrigin::Signed(owner), hotkey.clone(), take);

        assert_eq!(PendingTake::<T>::get(&hotkey).map(|(t, _)| t), Some(take));
    }

    /// A nominator with dividends waiting: its share minted, its snapshot moved.
    #[benchmark]
    fn claim_rewards() {
        let netuid = subnet::<T>();
        let (_, hotkey) = registered_hotkey::<T>(netuid, 0);
        let coldkey = funded::<T>("nominator", 0);
        let amount = stake_amount::<T>();
        Pallet::<T>::add_stake(
            RawOrigin::Signed(coldkey.clone()).into(),
            hotkey.clone(),
            amount,
        )
        .expect("nominator stakes");
        assert!(sp_runtime::traits::Zero::is_zero(
            &<Pallet<T> as StakeInfo<_, _>>::reward(&hotkey, amount)
        ));

        #[extrinsic_call]
        _(RawOrigin::Signed(coldkey.clone()), hotkey.clone());

        assert_eq!(
            RewardSnapshot::<T>::get(&hotkey, &coldkey),
            RewardIndex::<T>::get(&hotkey)
        );
    }

    /// A block with nothing due and nothing queued: the schedule and the queue are read.
    #[benchmark]
    fn on_initialize_base() {
        let netuid = subnet::<T>();
        let boundary = next_boundary::<T>(netuid);
        let quiet = boundary.saturating_add(1u32.into());

        #[block]
        {
            Pallet::<T>::update_permits_at(quiet);
        }

        assert!(ValidatorPermits::<T>::get(netuid).is_empty());
    }

    /// A subnet of `n` staked neurons reaching its epoch boundary: queued, then its permits
    /// recomputed (every neuron's stake read, sorted, the top written).
    #[benchmark]
    fn update_validator_permits(n: Linear<1, MAX_NEURONS>) {
        let netuid = subnet::<T>();
        for i in 0..n {
            let (_, hotkey) = registered_hotkey::<T>(netuid, i);
            // Distinct stakes so the sort does real work; written directly because only
            // `HotkeyStake` is read here and holds would dominate the setup time.
            let stake = stake_amount::<T>().saturating_add(i.into());
            HotkeyStake::<T>::insert(&hotkey, stake);
        }
        // Worst case for counted stake: a full list of former holders, each dropping its
        // entry before the new holders take theirs.
        let former: Vec<T::AccountId> = (0..T::MaxValidatorsPerSubnet::get())
            .map(|i| account("former", i, 0))
            .collect();
        for hotkey in &former {
            CountedStake::<T>::insert(hotkey, netuid, BalanceOf::<T>::zero());
            let sum = crate::CountedSum {
                total: BalanceOf::<T>::zero(),
                subnets: 1,
            };
            CountedSumOf::<T>::insert(hotkey, sum);
        }
        ValidatorPermits::<T>::insert(netuid, BoundedVec::truncate_from(former));
        let boundary = next_boundary::<T>(netuid);

        #[block]
        {
            Pallet::<T>::update_permits_at(boundary);
        }

        assert!(!ValidatorPermits::<T>::get(netuid).is_empty());
    }

    /// `n` nominators, each with active stake and a full list of unbonding chunks on the
    /// hotkey (every chunk read, the latest ones cut).
    #[benchmark]
    fn slash(n: Linear<1, { T::MaxNominators::get() }>) {
        let netuid = subnet::<T>();
        let (_, hotkey) = registered_hotkey::<T>(netuid, 0);
        let amount = stake_amount::<T>();
        for i in 0..n {
            full_nominator::<T>(&hotkey, &funded::<T>("nominator", i), amount);
        }

        #[block]
        {
            <Pallet<T> as StakeInfo<_, _>>::slash(&hotkey, Perbill::from_percent(50));
        }

        assert_eq!(UnbondingOf::<T>::iter_prefix(&hotkey).count() as u32, n);
        #[cfg(test)]
        Pallet::<T>::do_try_state().expect("books stay consistent");
    }

    /// A dissolved subnet with a full permit list and a full queue.
    #[benchmark]
    fn on_subnet_dissolved() {
        let netuid = subnet::<T>();
        let permits: Vec<T::AccountId> = (0..T::MaxValidatorsPerSubnet::get())
            .map(|i| account("validator", i, 0))
            .collect();
        ValidatorPermits::<T>::insert(netuid, BoundedVec::truncate_from(permits));
        let queue: Vec<NetUid> = (0..T::MaxPendingPermitUpdates::get())
            .map(|i| NetUid(u16::try_from(i).unwrap_or(u16::MAX)))
            .collect();
        PendingPermitUpdates::<T>::put(BoundedVec::truncate_from(queue));

        #[block]
        {
            <Pallet<T> as OnSubnetDissolved>::on_subnet_dissolved(netuid);
        }

        assert!(ValidatorPermits::<T>::get(netuid).is_empty());
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
