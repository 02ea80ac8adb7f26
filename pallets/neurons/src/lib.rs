//! # Neurons pallet
//!
//! Registration of hotkeys into the uid slots of a subnet, and what registered neurons
//! publish about themselves.
//!
//! ## Overview
//!
//! - [`Pallet::register`]: a coldkey registers one of its hotkeys on a subnet by **burning**
//!   the subnet's current registration price. The price rises by
//!   [`Config::BurnIncreaseFactor`] with every registration and decays back toward
//!   [`Config::BurnFloor`] with [`Config::BurnHalfLife`] ([`burn`] has the formula), so
//!   demand, not a fixed fee, sets the cost of a slot. The first registration of a hotkey
//!   binds it to the coldkey for good ([`HotkeyOwner`]), and only with the hotkey's consent:
//!   its signature of [`mindos_primitives::hotkey_consent_message`] (genesis hash, coldkey).
//!   Otherwise anyone who saw a fresh hotkey's registration in the pool could register it
//!   first under their own coldkey and collect what it earns.
//! - When a subnet is full, registering **prunes** the weakest neuron that is past its
//!   immunity period: lowest emission, then oldest registration, then lowest uid. New
//!   neurons are immune for the subnet's `immunity_period` blocks, so they get a chance to
//!   earn before they can be displaced.
//! - [`Pallet::serve`]: the hotkey publishes its mesh [`Endpoint`] (libp2p PeerId and
//!   multiaddrs) and [`DeviceProfile`], at most once per [`Config::ServeRateLimit`] blocks.
//!   The endpoint is bound to its key: the PeerId must name an Ed25519 key, which signs a
//!   [`ServeProof`] of [`mindos_primitives::serve_proof_message`] (genesis hash, subnet,
//!   hotkey, PeerId, a recent block), and a PeerId is served by at most one hotkey per
//!   subnet ([`PeerIdOwner`]). So no hotkey can publish another miner's PeerId and be scored
//!   for that miner's answers, and the key a served PeerId names
//!   ([`mindos_primitives::ed25519_key_of`]) is the one to check the neuron's mesh
//!   signatures with.
//!   Serving a new PeerId reports its key to [`Config::EndpointObserver`] (the sentinels
//!   pallet, which keeps the keys sentinel evidence is verified with) and is refused
//!   ([`Error::KeyBindingRefused`]) when the observer cannot record it. The observer is told
//!   too when a hotkey leaves (deregistered or pruned).
//! - [`Pallet::deregister`]: the owner frees the slot; the uid is reused by a later
//!   registration. Another pallet may free a slot by force through
//!   [`mindos_primitives::NeuronDeregistration`] (the sentinels pallet, after repeated
//!   offences), exactly as the owner's call does.
//!
//! ## Terminology
//!
//! - *coldkey*: the account that pays, owns hotkeys and receives their stake's attribution.
//! - *hotkey*: the account a neuron signs with (`serve`, weights).
//! - *uid*: a neuron's slot on its subnet, `0 .. max_neurons`.
//!
//! ## Storage layout
//!
//! Per-subnet data indexed by uid lives in vectors ([`RegisteredAt`], [`Emission`]), so the
//! pruning scan reads two values instead of one entry per neuron. Vectors never shrink while a
//! subnet lives: freed uids go to [`FreeUids`] and are reused first. [`PeerIdOwner`] is the
//! inverse of the PeerIds in [`Axons`]; whatever removes an endpoint (a new `serve`,
//! deregistration, pruning, dissolution) frees its PeerId.
//!
//! [`PeerIdOwner`], the serve proof and the hotkey consent are new in storage version 1
//! without a migration: no network holds state yet.
//!
//! ## Read side
//!
//! [`Pallet::metagraph`] and [`Pallet::burn_price`] serve runtime APIs;
//! [`mindos_primitives::NeuronsInfo`] serves other pallets. The consensus pallet records
//! emission with [`Pallet::note_emission`] / [`Pallet::note_emissions`]. Dissolving a subnet
//! clears its neurons through [`mindos_primitives::OnSubnetDissolved`]; hotkey ownership
//! survives so stake stays attributable.

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
// Unwrap, expect and indexing in tests: see clippy.toml.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod burn;
mod impls;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use mindos_primitives::{DeviceProfile, Endpoint, NetUid, NeuronView};
#[cfg(feature = "runtime-benchmarks")]
pub use types::{BenchmarkHelper, BenchmarkSignature, SubnetsBenchmarkHelper, BENCHMARK_KEY_TYPE};
pub use types::{BurnState, MaxNeurons, ServeInfo, ServeProof};
pub use weights::WeightInfo;

const LOG_TARGET: &str = "runtime::neurons";

// FRAME's pallet macros expand to `expect` and `unreachable!` on values they guarantee
// themselves (e.g. storage prefixes); the hand-written logic lives in `impls.rs`, where the
// lints hold.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use frame_support::{
        pallet_prelude::*,
        traits::fungible::{Inspect, Mutate},
    };
    use frame_system::pallet_prelude::*;
    use mindos_primitives::PeerIdBytes;
    use sp_runtime::{
        traits::{IdentifyAccount, Verify},
        FixedU128,
    };

    /// Balance type of the currency the registration burn is paid in.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// What a served neuron stores.
    pub type ServeInfoOf<T> = ServeInfo<BlockNumberFor<T>>;

    /// The proof a `serve` carries.
    pub type ServeProofOf<T> = ServeProof<BlockNumberFor<T>>;

    /// A subnet's stored burn state.
    pub type BurnStateOf<T> = BurnState<BalanceOf<T>, BlockNumberFor<T>>;

    /// One metagraph row.
    pub type NeuronViewOf<T> =
        NeuronView<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

    pub(crate) const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The currency the registration price is burned from.
        type Currency: Mutate<Self::AccountId>;

        /// The subnet registry: existence, hyperparameters and allow-lists.
        type Subnets: mindos_primitives::SubnetsInfo<Self::AccountId, BalanceOf<Self>>;

        /// Stake per hotkey and validator permits, for the metagraph.
        type Stake: mindos_primitives::StakeInfo<Self::AccountId, BalanceOf<Self>>;

        /// The lowest registration price: it never decays below, and a fresh subnet starts
        /// there. Keep it above zero, or a subnet's price stays zero forever.
        // Not a `pallet::constant`: a runtime may govern it from storage (MindOS reads it
        // from the directives registry), and metadata cannot read storage.
        type BurnFloor: Get<BalanceOf<Self>>;

        /// What each registration multiplies the price by; must exceed one.
        // Not a `pallet::constant`: a runtime may govern it from storage (MindOS reads it
        // from the directives registry), and metadata cannot read storage.
        type BurnIncreaseFactor: Get<FixedU128>;

        /// Blocks in which the excess of the price over the floor halves; must be positive.
        // Not a `pallet::constant`: a runtime may govern it from storage (MindOS reads it
        // from the directives registry), and metadata cannot read storage.
        type BurnHalfLife: Get<BlockNumberFor<Self>>;

        /// Blocks between two `serve` calls of one hotkey on one subnet.
        #[pallet::constant]
        type ServeRateLimit: Get<BlockNumberFor<Self>>;

        /// Blocks a [`ServeProof`] stays valid after the block it names: an older proof is
        /// refused, so one that leaks (it is public once submitted) soon stops being usable.
        #[pallet::constant]
        type ServeProofValidity: Get<BlockNumberFor<Self>>;

        /// A hotkey's signature: its consent to the coldkey at its first registration.
        type Signature: Verify<Signer = Self::Signer> + Parameter;

        /// The public key behind a [`Config::Signature`], naming an account.
        type Signer: IdentifyAccount<AccountId = Self::AccountId>;

        /// Told of every Ed25519 key a neuron binds by serving a new PeerId (the sentinels
        /// pallet keeps the recent keys of each hotkey to verify evidence with); a `false`
        /// refuses the binding ([`Error::KeyBindingRefused`]). Told too of every hotkey that
        /// leaves a subnet (deregistered or pruned), so it can forget the hotkey's keys once
        /// too old. `()` accepts every key.
        type EndpointObserver: mindos_primitives::EndpointObserver<Self::AccountId>;

        /// Weights of this pallet's calls, from its benchmarks.
        type WeightInfo: WeightInfo;

        /// Creates subnets for the benchmarks ([`SubnetsBenchmarkHelper`] does it through the
        /// subnets pallet).
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
    }

    /// The coldkey that owns each hotkey ever registered.
    ///
    /// Set at the hotkey's first registration and kept after deregistration or pruning, so
    /// stake on the hotkey stays attributable and no other coldkey can take the hotkey over.
    #[pallet::storage]
    pub type HotkeyOwner<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId, OptionQuery>;

    /// The hotkey in each uid slot of a subnet.
    ///
    /// TWOX-NOTE: safe, subnet ids and uids are assigned by the chain, not chosen by users.
    #[pallet::storage]
    pub type Keys<T: Config> =
        StorageDoubleMap<_, Twox64Concat, NetUid, Twox64Concat, u16, T::AccountId, OptionQuery>;

    /// The uid of each hotkey registered on a subnet (the inverse of [`Keys`]).
    ///
    /// TWOX-NOTE: as for [`Keys`]; hotkeys, which users choose, are hashed with Blake2.
    #[pallet::storage]
    pub type Uids<T: Config> =
        StorageDoubleMap<_, Twox64Concat, NetUid, Blake2_128Concat, T::AccountId, u16, OptionQuery>;

    /// How many neurons a subnet has registered.
    ///
    /// TWOX-NOTE: as for [`Keys`].
    #[pallet::storage]
    pub type NeuronCount<T: Config> = StorageMap<_, Twox64Concat, NetUid, u16, ValueQuery>;

    /// Block of registration per uid; the slot of a freed uid holds zero.
    ///
    /// Its length is the number of uids the subnet has ever allocated (registered plus free).
    ///
    /// TWOX-NOTE: as for [`Keys`].
    #[pallet::storage]
    pub type RegisteredAt<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, BoundedVec<BlockNumberFor<T>, MaxNeurons>, ValueQuery>;

    /// Emission of each uid in the last epoch, written by the consensus pallet through
    /// [`Pallet::note_emission`]; pruning removes the lowest. Same length as
    /// [`RegisteredAt`].
    ///
    /// TWOX-NOTE: as for [`Keys`].
    #[pallet::storage]
    pub type Emission<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, BoundedVec<BalanceOf<T>, MaxNeurons>, ValueQuery>;

    /// Freed uids of a subnet, reused by the next registrations (last freed first).
    ///
    /// TWOX-NOTE: as for [`Keys`].
    #[pallet::storage]
    pub type FreeUids<T: Config> =
        StorageMap<_, Twox64Concat, NetUid, BoundedVec<u16, MaxNeurons>, ValueQuery>;

    /// What each registered hotkey last published with `serve`.
    ///
    /// TWOX-NOTE: as for [`Uids`].
    #[pallet::storage]
    pub type Axons<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Blake2_128Concat,
        T::AccountId,
        ServeInfoOf<T>,
        OptionQuery,
    >;

    /// The hotkey serving each PeerId on a subnet: one hotkey per PeerId, so no hotkey can
    /// publish another neuron's endpoint. Exactly the PeerIds in [`Axons`], inverted.
    ///
    /// TWOX-NOTE: as for [`Keys`]; PeerIds, which users choose, are hashed with Blake2.
    #[pallet::storage]
    pub type PeerIdOwner<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        NetUid,
        Blake2_128Concat,
        PeerIdBytes,
        T::AccountId,
        OptionQuery,
    >;

    /// A subnet's registration price as of its last registration; absent means the floor.
    ///
    /// TWOX-NOTE: as for [`Keys`].
    #[pallet::storage]
    pub type BurnOf<T: Config> = StorageMap<_, Twox64Concat, NetUid, BurnStateOf<T>, OptionQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A hotkey was registered on a subnet and the price burned.
        NeuronRegistered {
            /// The subnet.
            netuid: NetUid,
            /// The slot the hotkey got.
            uid: u16,
            /// The registered hotkey.
            hotkey: T::AccountId,
            /// The coldkey that paid and owns the hotkey.
            coldkey: T::AccountId,
            /// The amount burned.
            burned: BalanceOf<T>,
        },
        /// A neuron was removed to make room for a registration.
        NeuronPruned {
            /// The subnet.
            netuid: NetUid,
            /// The slot it held, now taken by the new neuron.
            uid: u16,
            /// The removed hotkey (it keeps its owner).
            hotkey: T::AccountId,
        },
        /// A neuron published its endpoint and device.
        NeuronServed {
            /// The subnet.
            netuid: NetUid,
            /// The neuron's slot.
            uid: u16,
            /// The neuron's hotkey.
            hotkey: T::AccountId,
        },
        /// A neuron was deregistered by its owner and its uid freed.
        NeuronDeregistered {
            /// The subnet.
            netuid: NetUid,
            /// The freed slot.
            uid: u16,
            /// The deregistered hotkey (it keeps its owner).
            hotkey: T::AccountId,
        },
        /// A neuron was deregistered by another pallet
        /// ([`mindos_primitives::NeuronDeregistration`]: the sentinels pallet, after repeated
        /// offences) and its uid freed, as its owner's `deregister` frees it.
        NeuronForceDeregistered {
            /// The subnet.
            netuid: NetUid,
            /// The freed slot.
            uid: u16,
            /// The deregistered hotkey (it keeps its owner).
            hotkey: T::AccountId,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// No live subnet has this id.
        UnknownSubnet,
        /// The subnet is permissioned and the hotkey is not on its allow-list.
        NotOnAllowList,
        /// The hotkey is already registered on this subnet.
        AlreadyRegistered,
        /// The hotkey belongs to another coldkey.
        HotkeyOwnedByAnother,
        /// The current registration price exceeds the caller's `max_burn`.
        BurnAboveMax,
        /// The coldkey cannot pay the price and keep its account alive.
        InsufficientBalance,
        /// The subnet is full and every neuron is still immune, so none can be pruned.
        SubnetFullAllImmune,
        /// The subnet has used all `MAX_NEURONS_PER_SUBNET` uids.
        UidsExhausted,
        /// The PeerId is longer than `MAX_PEER_ID_LEN` bytes.
        PeerIdTooLong,
        /// The PeerId is empty.
        EmptyPeerId,
        /// More than `MAX_MULTIADDRS` multiaddrs.
        TooManyMultiaddrs,
        /// A multiaddr is longer than `MAX_MULTIADDR_LEN` bytes.
        MultiaddrTooLong,
        /// No multiaddr was given.
        NoMultiaddrs,
        /// The device region is not two ASCII capital letters.
        InvalidRegion,
        /// The hotkey (or uid) is not registered on this subnet.
        NotRegistered,
        /// The hotkey served on this subnet less than `ServeRateLimit` blocks ago.
        ServeRateLimited,
        /// The caller is not the coldkey that owns the hotkey.
        NotHotkeyOwner,
        /// The pallet's per-subnet records disagree with each other (a bug; `try_state`
        /// names it).
        InconsistentState,
        /// The PeerId does not name an Ed25519 key (it names another key type or hashes the
        /// key), so the chain cannot check the serve proof.
        PeerIdNotEd25519,
        /// The serve proof is not a signature, by the key the PeerId names, of this serve
        /// (genesis hash, subnet, hotkey, PeerId, the proof's block).
        BadEndpointProof,
        /// The serve proof names a future block, or one more than `ServeProofValidity`
        /// blocks ago.
        StaleEndpointProof,
        /// Another hotkey serves this PeerId on this subnet.
        PeerIdTaken,
        /// The hotkey has no owner yet: its first registration needs its consent.
        MissingHotkeyConsent,
        /// The endpoint observer refused the Ed25519 key of the new PeerId: the hotkey rotated
        /// its key so often that recording this one would forget a key still usable as
        /// sentinel evidence. Serve the previous PeerId again, or wait some epochs.
        KeyBindingRefused,
        /// The consent is not the hotkey's signature of its owner (genesis hash, coldkey).
        BadHotkeyConsent,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn integrity_test() {
            assert!(
                T::BurnIncreaseFactor::get() > FixedU128::one(),
                "BurnIncreaseFactor must exceed one"
            );
            assert!(
                !T::BurnHalfLife::get().is_zero(),
                "BurnHalfLife must be positive"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call(weight(<T as Config>::WeightInfo))]
    impl<T: Config> Pallet<T> {
        /// Register `hotkey` on a subnet, burning the current registration price.
        ///
        /// - `origin`: `Signed` by the coldkey that pays and owns `hotkey`. A hotkey's first
        ///   registration binds it to this coldkey for good.
        /// - `netuid`: a live subnet whose visibility admits `hotkey`.
        /// - `hotkey`: not yet registered on `netuid`.
        /// - `max_burn`: the most the caller will burn ([`Pallet::burn_price`] quotes the
        ///   price), so a price rise between quote and inclusion cannot overcharge.
        /// - `hotkey_consent`: required when `hotkey` has no owner yet (its first
        ///   registration), ignored after: the hotkey's signature of
        ///   [`mindos_primitives::hotkey_consent_message`] over the genesis hash and this
        ///   coldkey ([`Pallet::hotkey_consent_payload`] builds it), so nobody can register a
        ///   hotkey under a coldkey its holder did not choose.
        ///
        /// The hotkey gets a freed uid, else the next uid while the subnet has room, else the
        /// uid of the pruned neuron: the non-immune one with the lowest emission, then the
        /// oldest registration, then the lowest uid ([`Event::NeuronPruned`]). The price then
        /// rises by `BurnIncreaseFactor`. The weight scales with the subnet's size.
        ///
        /// Emits [`Event::NeuronRegistered`]. Fails with [`Error::UnknownSubnet`],
        /// [`Error::NotOnAllowList`], [`Error::AlreadyRegistered`],
        /// [`Error::HotkeyOwnedByAnother`], [`Error::MissingHotkeyConsent`],
        /// [`Error::BadHotkeyConsent`], [`Error::BurnAboveMax`],
        /// [`Error::SubnetFullAllImmune`] or [`Error::InsufficientBalance`].
        #[pallet::call_index(0)]
        #[pallet::weight(Pallet::<T>::register_weight(*netuid))]
        pub fn register(
            origin: OriginFor<T>,
            netuid: NetUid,
            hotkey: T::AccountId,
            max_burn: BalanceOf<T>,
            hotkey_consent: Option<T::Signature>,
        ) -> DispatchResult {
            let coldkey = ensure_signed(origin)?;
            Self::do_register(coldkey, netuid, hotkey, max_burn, hotkey_consent)
        }

        /// Publish the caller's mesh endpoint and device profile on a subnet.
        ///
        /// - `origin`: `Signed` by a hotkey registered on `netuid`.
        /// - `netuid`: the subnet.
        /// - `peer_id`: the node's libp2p PeerId (binary): an Ed25519 identity PeerId (38
        ///   bytes, [`mindos_primitives::ed25519_key_of`] reads its key), served by no other
        ///   hotkey on `netuid`.
        /// - `multiaddrs`: 1 to `MAX_MULTIADDRS` binary multiaddrs of at most
        ///   `MAX_MULTIADDR_LEN` bytes each.
        /// - `device`: the declared device; its region must be two ASCII capitals.
        /// - `proof`: the signature, by the PeerId's key, of
        ///   [`mindos_primitives::serve_proof_message`] over the genesis hash, `netuid`, the
        ///   hotkey, `peer_id` and `proof.signed_at` ([`Pallet::serve_proof_payload`] builds
        ///   it); `signed_at` is at most `ServeProofValidity` blocks old and not in the future.
        ///
        /// Replaces what the hotkey served before and frees its previous PeerId. The first
        /// `serve` after registering is always allowed; later ones need `ServeRateLimit`
        /// blocks in between.
        ///
        /// Emits [`Event::NeuronServed`]. Fails with [`Error::EmptyPeerId`],
        /// [`Error::PeerIdTooLong`], [`Error::PeerIdNotEd25519`], [`Error::NoMultiaddrs`],
        /// [`Error::TooManyMultiaddrs`], [`Error::MultiaddrTooLong`],
        /// [`Error::InvalidRegion`], [`Error::NotRegistered`], [`Error::ServeRateLimited`],
        /// [`Error::StaleEndpointProof`], [`Error::PeerIdTaken`],
        /// [`Error::BadEndpointProof`] or [`Error::KeyBindingRefused`].
        ///
        /// A new PeerId (one the hotkey did not serve just before) reports its key to
        /// [`Config::EndpointObserver`], whose weight is charged on top.
        #[pallet::call_index(1)]
        #[pallet::weight(Pallet::<T>::serve_weight())]
        pub fn serve(
            origin: OriginFor<T>,
            netuid: NetUid,
            peer_id: Vec<u8>,
            multiaddrs: Vec<Vec<u8>>,
            device: DeviceProfile,
            proof: ServeProofOf<T>,
        ) -> DispatchResult {
            let hotkey = ensure_signed(origin)?;
            Self::do_serve(hotkey, netuid, peer_id, multiaddrs, device, proof)
        }

        /// Deregister a hotkey from a subnet and free its uid. Nothing is refunded; the
        /// hotkey keeps its owner and may register again.
        ///
        /// - `origin`: `Signed` by the coldkey that owns `hotkey`.
        /// - `netuid`: the subnet.
        /// - `hotkey`: the neuron to remove. It is a parameter (the issue sketched
        ///   `deregister(netuid)`) because one coldkey may own several hotkeys on a subnet.
        ///
        /// Emits [`Event::NeuronDeregistered`]. Fails with [`Error::NotRegistered`] or
        /// [`Error::NotHotkeyOwner`].
        #[pallet::call_index(2)]
        #[pallet::weight(Pallet::<T>::deregister_weight())]
        pub fn deregister(
            origin: OriginFor<T>,
            netuid: NetUid,
            hotkey: T::AccountId,
        ) -> DispatchResult {
            let coldkey = ensure_signed(origin)?;
            Self::do_deregister(coldkey, netuid, hotkey)
        }
    }
}
