//! [`PermittedWeightsFirst`]: permitted validators' weight transactions go before every other
//! transaction (review finding M10).
//!
//! A reveal must land within one epoch, which can be as short as ten blocks. With fees alone
//! deciding what enters a block, anyone willing to fill blocks with higher-tipping transactions
//! for that long could censor every validator's reveal (and with it the epoch's weights). This
//! extension gives a `commit_weights`, `reveal_weights` or `set_weights` signed by a hotkey that
//! holds a validator permit on the call's subnet a priority no tip reaches, so block authors
//! include it first. Weight calls from anyone else get no boost (they still pay and fail with
//! `NoValidatorPermit`, as before), so the boost cannot be bought.
//!
//! It adds no bytes to a transaction (an empty extension), so clients that do not know it —
//! subxt, polkadot-js — sign transactions exactly as before.

use crate::{Call, Config};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
    pallet_prelude::{TransactionSource, Weight},
    traits::{Get, IsSubType, OriginTrait},
    DefaultNoBound,
};
use mindos_primitives::{NetUid, StakeInfo};
use scale_info::TypeInfo;
use sp_runtime::{
    impl_tx_ext_default,
    traits::{DispatchInfoOf, TransactionExtension, ValidateResult},
    transaction_validity::{TransactionPriority, ValidTransaction},
};

/// The priority of a permitted validator's weight transaction: half the range, above any
/// priority a tip can buy (tips map to priorities far below it) and still leaving room for
/// operational transactions to sum above it.
pub const PERMITTED_WEIGHTS_PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

/// Gives permitted validators' weight transactions [`PERMITTED_WEIGHTS_PRIORITY`]; see the
/// module docs.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct PermittedWeightsFirst<T>(PhantomData<T>);

impl<T> core::fmt::Debug for PermittedWeightsFirst<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(f, "PermittedWeightsFirst")
    }
}

impl<T: Config + Send + Sync> PermittedWeightsFirst<T> {
    /// The extension (it carries no data).
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

/// The subnet a weights call is for, or `None` for any other call.
fn weights_netuid<T: Config>(call: &<T as frame_system::Config>::RuntimeCall) -> Option<NetUid>
where
    <T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
    match call.is_sub_type()? {
        Call::commit_weights { netuid, .. }
        | Call::reveal_weights { netuid, .. }
        | Call::set_weights { netuid, .. } => Some(*netuid),
        _ => None,
    }
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
    for PermittedWeightsFirst<T>
where
    <T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
    const IDENTIFIER: &'static str = "PermittedWeightsFirst";
    type Implicit = ();
    type Val = ();
    type Pre = ();

    /// The permit check reads the subnet's permits and the hotkey's registration.
    fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
        if weights_netuid::<T>(call).is_some() {
            T::DbWeight::get().reads(2)
        } else {
            Weight::zero()
        }
    }

    fn validate(
        &self,
        origin: <T as frame_system::Config>::RuntimeOrigin,
        call: &<T as frame_system::Config>::RuntimeCall,
        _info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
        _len: usize,
        _self_implicit: Self::Implicit,
        _inherited_implication: &impl Encode,
        _source: TransactionSource,
    ) -> ValidateResult<Self::Val, <T as frame_system::Config>::RuntimeCall> {
        let permitted = weights_netuid::<T>(call).is_some_and(|netuid| {
            origin
                .as_signer()
                .is_some_and(|hotkey| T::Stake::has_validator_permit(netuid, hotkey))
        });
        let validity = if permitted {
            ValidTransaction {
                priority: PERMITTED_WEIGHTS_PRIORITY,
                ..Default::default()
            }
        } else {
            ValidTransaction::default()
        };
        Ok((validity, (), origin))
    }

    impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
