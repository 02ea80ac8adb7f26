//! NOT YET GENERATED. Zero weights, used only by this crate's mock runtime while the pallet is
//! outside `mindos-runtime`. The runtime must not include the pallet before `benchmark pallet`
//! (template: `scripts/templates/pallet-weights.hbs`) has replaced this file.
#![allow(unused_parens, unused_imports, missing_docs)]
use core::marker::PhantomData;
use frame_support::weights::Weight;

/// Weight functions of `pallet_mindos_subnets`.
pub trait WeightInfo {
    fn create_subnet() -> Weight;
    fn set_hyperparameters() -> Weight;
    fn set_visibility() -> Weight;
    fn dissolve_subnet() -> Weight;
    fn set_hyperparameter_bounds() -> Weight;
}

impl WeightInfo for () {
    fn create_subnet() -> Weight {
        Weight::zero()
    }
    fn set_hyperparameters() -> Weight {
        Weight::zero()
    }
    fn set_visibility() -> Weight {
        Weight::zero()
    }
    fn dissolve_subnet() -> Weight {
        Weight::zero()
    }
    fn set_hyperparameter_bounds() -> Weight {
        Weight::zero()
    }
}
