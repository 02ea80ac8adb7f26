//! Storage types of the subnets pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
    pallet_prelude::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use mindos_primitives::{Hyperparameters, TaskSpec};
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
