//! Benchmarks of the consensus pallet's calls and hooks. Each measures its worst case for the
//! components it is charged by.

// Benchmark setup may panic and does arithmetic on small component ranges: a failed setup is
// a broken benchmark, not a runtime path.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::*;
use crate::pallet::{
    Accrual, BalanceOf, Bonds, Commits, EpochIndex, Metrics, PayoutQueue, PayoutsOf, Weights,
};
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{traits::Get, BoundedVec};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use mindos_primitives::{
    NetUid, OnSubnetDissolved, Perbill, ReputationSink, MAX_NEURONS_PER_SUBNET,
};
use sp_core::H256;
use sp_runtime::traits::Saturating;

const MAX_NEURONS: u32 = MAX_NEURONS_PER_SUBNET as u32;
/// Validators per subnet at most (the runtime's `MaxValidatorsPerSubnet`).
const MAX_VALIDATORS: u32 = 64;
/// Weight entries per subnet at most that the benchmarks cover: 64 validators × 1,024.
const MAX_ENTRIES: u32 = 65_536;

/// `count` distinct miner uids spread over `v..n` (validators are uids `0..v`), sorted.
fn miner_uids(n: u32, v: u32, count: u32, seed: u32) -> Vec<u16> {
    let miners = n.saturating_sub(v).max(1);
    let count = count.min(miners);
    let mut uids: Vec<u16> = (0..count)
        .map(|i| (v + (i.wrapping_mul(7_919).wrapping_add(seed) % miners)) as u16)
        .collect();
    uids.sort_unstable();
    uids.dedup();
    uids
}

/// Weights set at block 2, after the setup's registrations (block 1): weights only count on
/// miners registered before them.
fn weight_row<T: Config>(uids: &[u16]) -> WeightRow<BlockNumberFor<T>> {
    WeightRow {
        set_at: 2u32.into(),
        entries: BoundedVec::truncate_from(uids.iter().map(|u| (*u, 1 + (*u % 97))).collect()),
    }
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// A validator replacing a commit from an earlier epoch.
    #[benchmark]
    fn commit_weights() {
        let (netuid, hotkeys) = T::BenchmarkHelper::subnet_with_neurons(2, 1);
        let validator = hotkeys[0].clone();
        Commits::<T>::insert(
            netuid,
            &validator,
            WeightCommit {
                hash: H256::zero(),
                epoch: 0,
                committed_at: 1u32.into(),
            },
        );
        EpochIndex::<T>::insert(netuid, 1);
        let hash = H256::repeat_byte(7);

        #[extrinsic_call]
        _(RawOrigin::Signed(validator.clone()), netuid, hash);

        assert_eq!(Commits::<T>::get(netuid, &validator).unwrap().hash, hash);
    }

    /// A reveal of `k` weights (the subnet has `k + 1` uids).
    #[benchmark]
    fn reveal_weights(k: Linear<1, { MAX_NEURONS - 1 }>) {
        let (netuid, hotkeys) = T::BenchmarkHelper::subnet_with_neurons(k + 1, 1);
        let validator = hotkeys[0].clone();
        let uids: Vec<u16> = (1..=k).map(|u| u as u16).collect();
        let weights: Vec<u16> = uids.iter().map(|u| 1 + (*u % 97)).collect();
        let salt = [3u8; 32];
        let hash = Pallet::<T>::commit_hash(&validator, netuid, &uids, &weights, &salt);
        // Committed after the setup's registrations (block 1), so every weighted uid still
        // holds the neuron the commit meant and none is dropped.
        frame_system::Pallet::<T>::set_block_number(2u32.into());
        Pallet::<T>::commit_weights(RawOrigin::Signed(validator.clone()).into(), netuid, hash)
            .expect("commits");
        EpochIndex::<T>::insert(netuid, 1);

        #[extrinsic_call]
        _(RawOrigin::Signed(validator), netuid, uids, weights, salt);

        assert_eq!(
            Weights::<T>::get(netuid, 0).unwrap().entries.len() as u32,
            k
        );
    }

    /// Setting `k` weights on a subnet with commit-reveal off.
    #[benchmark]
    fn set_weights(k: Linear<1, { MAX_NEURONS - 1 }>) {
        let (netuid, hotkeys) = T::BenchmarkHelper::subnet_with_neurons(k + 1, 1);
        T::BenchmarkHelper::set_commit_reveal(netuid, false);
        let validator = hotkeys[0].clone();
        let uids: Vec<u16> = (1..=k).map(|u| u as u16).collect();
        let weights: Vec<u16> = uids.iter().map(|u| 1 + (*u % 97)).collect();
        // An earlier row of the same neuron: the rate limit is read and passes.
        Weights::<T>::insert(netuid, 0, weight_row::<T>(&[1]));
        let later = T::WeightsRateLimit::get().saturating_add(10u32.into());
        frame_system::Pallet::<T>::set_block_number(later);

        #[extrinsic_call]
        _(RawOrigin::Signed(validator), netuid, uids, weights);

        assert_eq!(
            Weights::<T>::get(netuid, 0).unwrap().entries.len() as u32,
            k
        );
    }

    /// One block's accrual over `s` subnets.
    #[benchmark]
    fn accrue(s: Linear<0, { T::MaxSubnets::get() }>) {
        let entries: Vec<SubnetAccrual<BalanceOf<T>>> = (0..s)
            .map(|i| SubnetAccrual {
                netuid: NetUid(i as u16),
                pending: 0u32.into(),
            })
            .collect();
        let netuids: Vec<NetUid> = entries.iter().map(|a| a.netuid).collect();
        T::BenchmarkHelper::set_counted_stakes(&netuids);
        Accrual::<T>::put(BoundedVec::truncate_from(entries));
        let now: BlockNumberFor<T> = 5u32.into();

        #[block]
        {
            Pallet::<T>::accrue(now);
        }

        let emission = T::Parameters::block_emission(5);
        if s > 0 && emission > 0u32.into() {
            assert!(Accrual::<T>::get().iter().any(|a| a.pending > 0u32.into()));
        }
    }

    /// One epoch of a subnet with `n` uids, `v` validators and `w` weight entries in all
    /// (split evenly over the validators, as many bonds as weights), paying a full accrual.
    /// All validators weight the same miners, so every weighted miner reaches consensus and
    /// is queued a payout: the most storage an epoch writes. The previous epoch's payouts are
    /// still queued for every uid (a tempo shorter than its pages), so the merge of the
    /// backlog is measured too.
    #[benchmark]
    fn epoch(
        n: Linear<{ MAX_VALIDATORS + 1 }, MAX_NEURONS>,
        v: Linear<1, MAX_VALIDATORS>,
        w: Linear<0, MAX_ENTRIES>,
    ) {
        frame_system::Pallet::<T>::set_block_number(1u32.into());
        let (netuid, _) = T::BenchmarkHelper::subnet_with_neurons(n, v);
        let per_validator = w / v;
        for validator in 0..v {
            let uids = miner_uids(n, v, per_validator, 0);
            Weights::<T>::insert(netuid, validator as u16, weight_row::<T>(&uids));
            let bonds = BondRow {
                at: 2u32.into(),
                entries: BoundedVec::truncate_from(
                    uids.iter().map(|u| (*u, 1_000_000u32)).collect(),
                ),
            };
            Bonds::<T>::insert(netuid, validator as u16, bonds);
        }
        Metrics::<T>::insert(
            netuid,
            BoundedVec::truncate_from(
                (0..n)
                    .map(|_| UidMetrics {
                        reputation: Perbill::from_percent(50),
                        ..Default::default()
                    })
                    .collect(),
            ),
        );
        Accrual::<T>::put(BoundedVec::truncate_from(alloc::vec![SubnetAccrual {
            netuid,
            pending: 1_000_000_000u32.into(),
        }]));
        PayoutsOf::<T>::insert(
            netuid,
            MinerPayouts {
                epoch_block: 2u32.into(),
                entries: BoundedVec::truncate_from(
                    (0..n).map(|uid| (uid as u16, 1u32.into())).collect(),
                ),
            },
        );
        let now: BlockNumberFor<T> = 3u32.into();
        frame_system::Pallet::<T>::set_block_number(now);

        #[block]
        {
            Pallet::<T>::run_subnet_epoch(netuid, now);
        }

        assert_eq!(EpochIndex::<T>::get(netuid), 1);
        if w >= v {
            assert!(
                PayoutsOf::<T>::get(netuid).is_some(),
                "weighted miners are paid"
            );
        }
    }

    /// Minting `k` miner payouts (one page).
    #[benchmark]
    fn pay_miners(k: Linear<0, { T::MaxPayoutsPerBlock::get() }>) {
        let (netuid, _) = T::BenchmarkHelper::subnet_with_neurons(k.max(1), 0);
        let now: BlockNumberFor<T> = 2u32.into();
        frame_system::Pallet::<T>::set_block_number(now);
        let entries: Vec<(u16, BalanceOf<T>)> = (0..k)
            .map(|uid| (uid as u16, 1_000_000_000u32.into()))
            .collect();
        PayoutsOf::<T>::insert(
            netuid,
            MinerPayouts {
                epoch_block: now,
                entries: BoundedVec::truncate_from(entries),
            },
        );
        PayoutQueue::<T>::put(BoundedVec::truncate_from(alloc::vec![netuid]));

        #[block]
        {
            Pallet::<T>::pay_miners(k);
        }

        if k > 0 {
            assert!(PayoutsOf::<T>::get(netuid).is_none());
        }
    }

    /// Dissolving a subnet with `r` weight rows (bond rows and commits clear the same way).
    #[benchmark]
    fn on_subnet_dissolved(r: Linear<0, MAX_NEURONS>) {
        let (netuid, _) = T::BenchmarkHelper::subnet_with_neurons(1, 1);
        for uid in 0..r {
            Weights::<T>::insert(netuid, uid as u16, weight_row::<T>(&[1, 2, 3]));
        }
        EpochIndex::<T>::insert(netuid, 3);

        #[block]
        {
            <Pallet<T> as OnSubnetDissolved>::on_subnet_dissolved(netuid);
        }

        assert_eq!(Weights::<T>::iter_prefix(netuid).count(), 0);
    }

    /// Halving a sentinel's reputation on a full subnet: the whole [`Metrics`] row of
    /// `MAX_NEURONS` uids is read and written (the cut does not depend on anything else).
    #[benchmark]
    fn cut_reputation() {
        frame_system::Pallet::<T>::set_block_number(1u32.into());
        let (netuid, hotkeys) = T::BenchmarkHelper::subnet_with_neurons(MAX_NEURONS, 1);
        let hotkey = hotkeys.last().cloned().expect("a neuron registered");
        LastEpochAt::<T>::insert(netuid, BlockNumberFor::<T>::from(2u32));
        Metrics::<T>::insert(
            netuid,
            BoundedVec::truncate_from(
                (0..MAX_NEURONS)
                    .map(|_| UidMetrics {
                        reputation: Perbill::from_percent(50),
                        ..Default::default()
                    })
                    .collect(),
            ),
        );

        #[block]
        {
            <Pallet<T> as ReputationSink<T::AccountId>>::cut(
                netuid,
                &hotkey,
                Perbill::from_percent(50),
            );
        }

        let last = Metrics::<T>::get(netuid).last().map(|m| m.reputation);
        assert_eq!(last, Some(Perbill::from_percent(25)));
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
