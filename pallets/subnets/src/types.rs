//! Storage types of the subnets pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
    pallet_prelude::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use mindos_primitives::{Hyperparameters, NetUid, TaskSpec};
use scale_info::TypeInfo;

/// Who may register hotkeys on a subnet.
#[derive(
    CloneNoBound,
    DebugNoBound,
    PartialEqNoBound,
    EqNoBound,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[scale_info(skip_type_params(MaxAllowList))]
#[codec(mel_bound(AccountId: MaxEncodedLen))]
pub enum Visibility<AccountId: Clone + PartialEq + Eq + core::fmt::Debug, MaxAllowList: Get<u32>> {
    /// Anyone.
    Public,
    /// Only the listed hotkeys: a private data domain.
    Permissioned(BoundedVec<AccountId, MaxAllowList>),
}

impl<AccountId: Clone + PartialEq + Eq + core::fmt::Debug, MaxAllowList: Get<u32>>
    Visibility<AccountId, MaxAllowList>
{
    /// Whether `hotkey` may register.
    pub fn allows(&self, hotkey: &AccountId) -> bool {
        match self {
            Visibility::Public => true,
            Visibility::Permissioned(list) => list.contains(hotkey),
        }
    }

    /// Whether this is a permissioned subnet.
    pub fn is_permissioned(&self) -> bool {
        matches!(self, Visibility::Permissioned(_))
    }
}

/// One subnet as stored on chain.
#[derive(
    CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxName, MaxAllowList))]
#[codec(mel_bound(AccountId: MaxEncodedLen, Balance: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct SubnetInfo<
    AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
    Balance: Clone + PartialEq + Eq + core::fmt::Debug,
    BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
    MaxName: Get<u32>,
    MaxAllowList: Get<u32>,
> {
    /// The account that created the subnet and tunes it.
    pub owner: AccountId,
    /// Human-readable name (UTF-8 by convention; not checked on chain).
    pub name: BoundedVec<u8, MaxName>,
    /// What the subnet computes.
    pub task: TaskSpec,
    /// Current hyperparameters.
    pub hyperparameters: Hyperparameters<Balance>,
    /// Who may register.
    pub visibility: Visibility<AccountId, MaxAllowList>,
    /// Deposit held from the owner; released on dissolution.
    pub deposit: Balance,
    /// Block of creation.
    pub created_at: BlockNumber,
}

/// When a subnet's epochs come: at `anchor` and every `tempo + 1` blocks after it.
///
/// A new subnet's anchor is the first block of the staggered rule
/// [`mindos_primitives::is_epoch_boundary`] (so subnets with one tempo never share an epoch
/// block); a tempo change moves the anchor to the boundary it takes effect at, so it changes
/// the periods after that boundary and never the boundary itself.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct EpochTiming {
    /// Blocks between two epochs, minus one (the subnet's `tempo`).
    pub tempo: u16,
    /// A boundary block; the schedule repeats from it.
    pub anchor: u64,
}

impl EpochTiming {
    /// The staggered schedule of a new subnet `netuid` with `tempo`: the same blocks as
    /// [`mindos_primitives::is_epoch_boundary`], anchored at the first of them.
    pub fn staggered(netuid: NetUid, tempo: u16) -> Self {
        let period = Self::period_of(tempo);
        // Boundaries are the blocks `b` with `(b + netuid + 1) % period == 0`.
        let shift = u64::from(netuid.0)
            .saturating_add(1)
            .checked_rem(period)
            .unwrap_or(0);
        let anchor = period
            .saturating_sub(shift)
            .checked_rem(period)
            .unwrap_or(0);
        Self { tempo, anchor }
    }

    fn period_of(tempo: u16) -> u64 {
        u64::from(tempo).saturating_add(1)
    }

    /// Blocks from one epoch to the next.
    pub fn period(&self) -> u64 {
        Self::period_of(self.tempo)
    }

    /// Whether `block` is an epoch boundary.
    pub fn is_boundary(&self, block: u64) -> bool {
        block
            .checked_sub(self.anchor)
            .and_then(|since| since.checked_rem(self.period()))
            == Some(0)
    }

    /// The first boundary at or after `block`.
    pub fn next_boundary(&self, block: u64) -> u64 {
        let Some(since) = block.checked_sub(self.anchor) else {
            return self.anchor;
        };
        let period = self.period();
        let into_period = since.checked_rem(period).unwrap_or(0);
        if into_period == 0 {
            block
        } else {
            block.saturating_add(period.saturating_sub(into_period))
        }
    }

    /// This schedule with `tempo` from the first boundary at or after `from` on: that
    /// boundary stays where it is, and the periods after it are the new tempo's.
    pub fn with_tempo(&self, tempo: u16, from: u64) -> Self {
        Self {
            tempo,
            anchor: self.next_boundary(from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staggered_schedule_matches_the_primitive_rule() {
        for netuid in [0u16, 1, 7, 99, 100, 101, 500] {
            for tempo in [1u16, 9, 100, 360] {
                let timing = EpochTiming::staggered(NetUid(netuid), tempo);
                for block in 0..1_000u64 {
                    assert_eq!(
                        timing.is_boundary(block),
                        mindos_primitives::is_epoch_boundary(NetUid(netuid), tempo, block),
                        "netuid {netuid} tempo {tempo} block {block}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_tempo_change_keeps_the_next_boundary_and_changes_the_periods_after_it() {
        // Boundaries 100, 201, 302, …
        let timing = EpochTiming::staggered(NetUid(0), 100);
        assert_eq!(timing.next_boundary(0), 100);
        assert_eq!(timing.next_boundary(100), 100);
        assert_eq!(timing.next_boundary(101), 201);
        let shorter = timing.with_tempo(10, 150);
        assert_eq!(shorter.anchor, 201);
        let due: Vec<u64> = (101..240).filter(|b| shorter.is_boundary(*b)).collect();
        assert_eq!(due, vec![201, 212, 223, 234]);
        // At a boundary itself, that boundary is the anchor.
        assert_eq!(timing.with_tempo(10, 201).anchor, 201);
    }
}
