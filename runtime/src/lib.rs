//! The MindOS runtime.
//!
//! A FRAME runtime for the MindOS chain. It composes the chain's foundation — accounts and
//! the MIND token (`Balances`), fees (`TransactionPayment`), block authoring (`Aura`),
//! finality (`Grandpa`), time (`Timestamp`) and a bootstrap key for dev/test chains (`Sudo`;
//! the `production` preset sets no key, node/README.md says what a key can do) — with the
//! MindOS pallets: `Subnets` (the subnet registry), `Neurons` (registration and
//! endpoints), `Stake` (held stake, delegation, permits, slashing), `Consensus` (weights,
//! epochs, emission) and `Directives` (directives and the governed parameters). Each pallet's
//! crate docs describe it; `configs/` wires them together and explains every constant.
//!
//! # The MIND token
//! - **Decimals: 12.** One MIND is `10^12` planck (the smallest unit), the same precision as
//!   Kusama: small enough for per-inference micro-rewards, and `u128` balances leave room for
//!   any plausible supply.
//! - **SS58 prefix: 2424.** Free in the SS58 registry at the time of writing; addresses
//!   rendered for MindOS use it. Tools that ignore the prefix still work: the account bytes are
//!   the same as on any Substrate chain.

#![cfg_attr(not(feature = "std"), no_std)]
// Code that runs in blocks must not abort them (review L15): panics only in tests, and in
// genesis building where FRAME expects them.
#![cfg_attr(
    not(test),
    deny(
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
// `construct_runtime` needs a deep recursion limit for its generated code.
#![recursion_limit = "256"]
// `#[frame_support::runtime]` generates public items (the `Runtime*` enums and their variants)
// without docs, outside any scope an `allow` could be put on. Hand-written items are documented.
#![allow(missing_docs)]
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

/// The Wasm runtime blob built by `build.rs` (`None` when built with `SKIP_WASM_BUILD`).
#[cfg(feature = "std")]
#[allow(missing_docs)]
mod wasm_binary {
    include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));
}
#[cfg(feature = "std")]
pub use wasm_binary::{WASM_BINARY, WASM_BINARY_BLOATY, WASM_BINARY_PATH};

extern crate alloc;

use alloc::vec::Vec;

// `#[macro_use]` and before `apis`: `define_benchmarks!` makes local macros that `apis` uses.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
#[cfg(test)]
mod economy_tests;
pub mod genesis_config_presets;
#[cfg(test)]
mod governance_tests;
#[cfg(test)]
mod sentinel_tests;
#[cfg(test)]
mod tests;

use sp_runtime::{
    generic, impl_opaque_keys,
    traits::{BlakeTwo256, IdentifyAccount, Verify},
    MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Types the node needs without knowing the runtime's extrinsic format, so it keeps syncing
/// across runtime upgrades that change that format.
pub mod opaque {
    use super::*;
    use sp_runtime::traits::Hash as HashT;

    pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

    /// Opaque block header type.
    pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
    /// Opaque block type.
    pub type Block = generic::Block<Header, UncheckedExtrinsic>;
    /// Opaque block hash type.
    pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
    /// The session keys of a block-producing authority: Aura for authoring, GRANDPA for finality.
    pub struct SessionKeys {
        /// Block authoring key.
        pub aura: Aura,
        /// Finality voting key.
        pub grandpa: Grandpa,
    }
}

/// The runtime's version. Bump `spec_version` with every change to runtime logic and
/// `transaction_version` whenever call indices or extrinsic encoding change.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
    spec_name: alloc::borrow::Cow::Borrowed("mindos"),
    impl_name: alloc::borrow::Cow::Borrowed("mindos-node"),
    authoring_version: 1,
    spec_version: 102,
    impl_version: 1,
    apis: apis::RUNTIME_API_VERSIONS,
    transaction_version: 1,
    system_version: 1,
};

// The token's unit and the block time are shared with the pallets and the off-chain crates,
// so they are defined once, in `mindos-primitives` (its `fast-blocks` follows this crate's).
pub use mindos_primitives::{
    DAYS, HOURS, MICRO_MIND, MILLI_MIND, MILLI_SECS_PER_BLOCK, MIND, MINUTES, TOKEN_DECIMALS,
    TOKEN_SYMBOL,
};

/// Aura slot duration. It cannot change after genesis without halting block production.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// The SS58 address prefix of MindOS accounts.
pub const SS58_PREFIX: u16 = 2424;

/// The smallest balance an account may hold; below it the account is reaped. Kept tiny so a
/// device that earns micro-rewards is not reaped, large enough to make state spam cost.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_MIND;

/// Transaction signature: sr25519 (the default for wallets), ed25519 or ecdsa.
pub type Signature = MultiSignature;

/// An account on chain: the public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// A balance of MIND, in planck.
pub type Balance = u128;

/// Transaction counter of an account.
pub type Nonce = u32;

/// Hash of blocks, extrinsics and state.
pub type Hash = sp_core::H256;

/// Block height.
pub type BlockNumber = u32;

/// How an account is addressed in calls.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The checks every signed transaction passes, in order. `PermittedWeightsFirst` carries no
/// data; it gives permitted validators' weight transactions priority (review M10).
pub type TxExtension = (
    frame_system::CheckNonZeroSender<Runtime>,
    frame_system::CheckSpecVersion<Runtime>,
    frame_system::CheckTxVersion<Runtime>,
    frame_system::CheckGenesis<Runtime>,
    frame_system::CheckEra<Runtime>,
    frame_system::CheckNonce<Runtime>,
    frame_system::CheckWeight<Runtime>,
    pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
    pallet_mindos_consensus::PermittedWeightsFirst<Runtime>,
    frame_system::WeightReclaim<Runtime>,
);

/// An extrinsic as the runtime decodes it.
pub type UncheckedExtrinsic =
    generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload a transaction's signature covers.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Runtime migrations beyond the pallets' own. None yet.
type Migrations = ();

/// Dispatches blocks and extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
    Runtime,
    Block,
    frame_system::ChainContext<Runtime>,
    Runtime,
    AllPalletsWithSystem,
    Migrations,
>;

#[frame_support::runtime]
mod runtime {
    /// The MindOS runtime.
    #[runtime::runtime]
    #[runtime::derive(
        RuntimeCall,
        RuntimeEvent,
        RuntimeError,
        RuntimeOrigin,
        RuntimeFreezeReason,
        RuntimeHoldReason,
        RuntimeSlashReason,
        RuntimeLockId,
        RuntimeTask,
        RuntimeViewFunction
    )]
    pub struct Runtime;

    /// Accounts, blocks, events.
    #[runtime::pallet_index(0)]
    pub type System = frame_system;

    /// Block timestamps.
    #[runtime::pallet_index(1)]
    pub type Timestamp = pallet_timestamp;

    /// Round-robin block authoring.
    #[runtime::pallet_index(2)]
    pub type Aura = pallet_aura;

    /// Block finality.
    #[runtime::pallet_index(3)]
    pub type Grandpa = pallet_grandpa;

    /// MIND balances.
    #[runtime::pallet_index(4)]
    pub type Balances = pallet_balances;

    /// Transaction fees.
    #[runtime::pallet_index(5)]
    pub type TransactionPayment = pallet_transaction_payment;

    /// Bootstrap key for dev and test chains.
    #[runtime::pallet_index(6)]
    pub type Sudo = pallet_sudo;

    /// The subnet registry: owners, tasks, hyperparameters, lock deposits.
    #[runtime::pallet_index(10)]
    pub type Subnets = pallet_mindos_subnets;

    /// Neuron registration into subnet uid slots, burns, pruning, endpoints.
    #[runtime::pallet_index(11)]
    pub type Neurons = pallet_mindos_neurons;

    /// Stake and delegation on hotkeys, unbonding, validator permits, slashing.
    #[runtime::pallet_index(12)]
    pub type Stake = pallet_mindos_stake;

    /// Weights (commit-reveal), the per-subnet epoch, emission, contributions, reputation.
    #[runtime::pallet_index(13)]
    pub type Consensus = pallet_mindos_consensus;

    /// Directive governance: the prime directive and principles, the governed parameters the
    /// other pallets read, stake-weighted proposals and votes.
    #[runtime::pallet_index(14)]
    pub type Directives = pallet_mindos_directives;

    /// Sentinel committees: evidence against miners, quarantine, judged cases, slashes after
    /// an audit window.
    #[runtime::pallet_index(15)]
    pub type Sentinels = pallet_mindos_sentinels;
}
