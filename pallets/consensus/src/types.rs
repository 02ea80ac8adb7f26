//! Stored records of the consensus pallet and the parameters it reads.

use codec::{Decode, Encode, MaxEncodedLen};
use core::marker::PhantomData;
use frame_support::{traits::Get, BoundedVec};
use mindos_consensus_math::{EmissionSplit, EpochParams};
use mindos_primitives::{ConsensusParameters, NetUid, Perbill, MAX_NEURONS_PER_SUBNET};
use scale_info::TypeInfo;
use sp_core::{ConstU32, H256};
use sp_runtime::traits::{AtLeast32BitUnsigned, Zero};

/// Most uids of a subnet, and so most entries of any per-uid vector.
pub type MaxNeurons = ConstU32<{ MAX_NEURONS_PER_SUBNET as u32 }>;

/// A validator's weights: `(uid, weight)` sorted by uid, normalised by the epoch.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct WeightRow<BlockNumber> {
    /// When they were set (or revealed). Weights on a uid registered later are ignored: they
    /// were meant for the neuron that held the slot before.
    pub set_at: BlockNumber,
    /// The weights.
    pub entries: BoundedVec<(u16, u16), MaxNeurons>,
}

/// A validator's bonds to miners: `(uid, bond in parts per billion)` sorted by uid.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct BondRow<BlockNumber> {
    /// The epoch block that wrote them. Bonds to a uid registered later are dropped.
    pub at: BlockNumber,
    /// The bonds.
    pub entries: BoundedVec<(u16, u32), MaxNeurons>,
}

/// A committed, not yet revealed, weight vector.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct WeightCommit<BlockNumber> {
    /// [`crate::Pallet::commit_hash`] of what will be revealed.
    pub hash: H256,
    /// The subnet's epoch counter at commit time; the reveal must come when it is one higher.
    pub epoch: u64,
    /// Block of the commit.
    pub committed_at: BlockNumber,
}

/// What the last epoch computed for one uid (emission lives in the neurons pallet, which
/// prunes by it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct UidMetrics {
    /// Stake-weighted kappa-median of the weights it received.
    pub consensus: Perbill,
    /// Its share of the miners' emission.
    pub incentive: Perbill,
    /// Its share of the validators' emission.
    pub dividends: Perbill,
    /// Clipped over unclipped weighted support (miners).
    pub trust: Perbill,
    /// Sum of its weights that survived clipping (validators).
    pub validator_trust: Perbill,
    /// Moving average of the consensus it received (miners) or, for a validator with stake in
    /// the epoch, of its validator trust if that is larger.
    pub reputation: Perbill,
}

/// One uid's line in an [`EpochRecord`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ContributionEntry<Balance> {
    /// Share of the miners' emission.
    pub incentive: Perbill,
    /// Share of the validators' emission.
    pub dividend: Perbill,
    /// Consensus weight.
    pub consensus: Perbill,
    /// What it earned.
    pub emission: Balance,
}

/// One epoch of a subnet, per uid. The last `HistoryDepth` epochs are kept in a ring, so each
/// neuron's recent contributions cost one write per epoch for the whole subnet rather than
/// one per neuron.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct EpochRecord<Balance, BlockNumber> {
    /// The subnet's epoch counter.
    pub epoch: u64,
    /// Block the epoch ran in.
    pub block: BlockNumber,
    /// Indexed by uid.
    pub entries: BoundedVec<ContributionEntry<Balance>, MaxNeurons>,
}

/// Emission accruing to a subnet between its epochs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct SubnetAccrual<Balance> {
    /// The subnet.
    pub netuid: NetUid,
    /// Accrued since its last epoch, paid at the next.
    pub pending: Balance,
}

/// Miner payouts of an epoch, minted a page per block.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct MinerPayouts<Balance, BlockNumber> {
    /// Block of the epoch; a uid re-registered since then forfeits (its earner is gone).
    pub epoch_block: BlockNumber,
    /// `(uid, amount)` still to pay.
    pub entries: BoundedVec<(u16, Balance), MaxNeurons>,
}

/// A fixed supply schedule: `Initial` per block, halving every `Interval` blocks (Bitcoin's
/// shape: supply converges to `2 × Initial × Interval`), default split 18/41/41.
pub struct HalvingSchedule<Initial, Interval>(PhantomData<(Initial, Interval)>);

impl<Balance, Initial, Interval> ConsensusParameters<Balance> for HalvingSchedule<Initial, Interval>
where
    Balance: AtLeast32BitUnsigned + Copy,
    Initial: Get<Balance>,
    Interval: Get<u64>,
{
    fn block_emission(block: u64) -> Balance {
        let halvings = block.checked_div(Interval::get()).unwrap_or(0);
        let mut emission = Initial::get();
        // 128 halvings take any u128 to zero.
        for _ in 0..halvings.min(128) {
            emission = emission
                .checked_div(&Balance::from(2u32))
                .unwrap_or_else(Zero::zero);
        }
        emission
    }

    fn emission_split() -> EmissionSplit {
        EmissionSplit::default()
    }

    fn epoch_params() -> EpochParams {
        EpochParams::default()
    }

    fn activity_cutoff() -> u32 {
        mindos_primitives::LAUNCH_ACTIVITY_CUTOFF
    }
}

/// Builds what the benchmarks need through the other pallets.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
    /// A live subnet with `neurons` registered hotkeys (uids `0..neurons`, in order) of which
    /// the first `validators` are staked and hold validator permits. Returns the netuid and
    /// the hotkeys in uid order.
    fn subnet_with_neurons(neurons: u32, validators: u32) -> (NetUid, alloc::vec::Vec<AccountId>);
    /// Turns commit-reveal on or off for `netuid`.
    fn set_commit_reveal(netuid: NetUid, enabled: bool);
    /// Gives each of `netuids` a non-zero counted stake ([`StakeInfo::counted_stakes`]), so
    /// that every subnet's accrual does real work.
    ///
    /// [`StakeInfo::counted_stakes`]: mindos_primitives::StakeInfo::counted_stakes
    fn set_counted_stakes(netuids: &[NetUid]);
}

/// The salt of a weight commit.
pub type Salt = [u8; 32];
