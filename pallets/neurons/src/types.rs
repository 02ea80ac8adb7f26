//! Storage types of the neurons pallet, and the benchmark helper other runtimes implement.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::traits::ConstU32;
use mindos_primitives::{DeviceProfile, Endpoint, MAX_NEURONS_PER_SUBNET};
use scale_info::TypeInfo;

/// The bound of every per-subnet vector indexed by uid (and of the free-uid list):
/// [`MAX_NEURONS_PER_SUBNET`]. Shrinking it needs a migration that truncates the vectors and
/// deregisters the neurons above the new bound.
pub type MaxNeurons = ConstU32<{ MAX_NEURONS_PER_SUBNET as u32 }>;

/// What a neuron last published with `serve`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ServeInfo<BlockNumber> {
    /// How to reach the neuron on the mesh.
    pub endpoint: Endpoint,
    /// The device it declares.
    pub device: DeviceProfile,
    /// Block of the last `serve`; the next one is allowed `ServeRateLimit` blocks later.
    pub served_at: BlockNumber,
}

/// The proof that the libp2p identity of a served endpoint agreed to be served by this
/// hotkey on this subnet: an ed25519 signature, by the key the PeerId names, of
/// [`mindos_primitives::serve_proof_message`] for `(genesis hash, netuid, hotkey, PeerId,
/// signed_at)`.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ServeProof<BlockNumber> {
    /// The block the proof names: not in the future, and at most `ServeProofValidity`
    /// blocks before the block that includes `serve`.
    pub signed_at: BlockNumber,
    /// The ed25519 signature of the message.
    pub signature: [u8; 64],
}

/// The registration burn of a subnet when it last changed.
///
/// The price to pay now is derived from it with [`crate::burn::decayed_price`]; a subnet
/// without a stored state costs the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct BurnState<Balance, BlockNumber> {
    /// The price right after the last registration (already raised by the increase factor).
    pub price: Balance,
    /// Block of the last registration; the excess over the floor decays from here.
    pub updated_at: BlockNumber,
}

#[cfg(feature = "runtime-benchmarks")]
pub use bench::{BenchmarkHelper, BenchmarkSignature, SubnetsBenchmarkHelper, BENCHMARK_KEY_TYPE};

#[cfg(feature = "runtime-benchmarks")]
mod bench {
    use core::marker::PhantomData;
    use frame_support::{
        traits::{
            fungible::{Inspect, Mutate},
            Get,
        },
        BoundedVec,
    };
    use mindos_primitives::{
        HyperparameterBounds, Hyperparameters, Modality, NetUid, Range, ScoringRule, TaskSpec,
        MAX_NEURONS_PER_SUBNET,
    };
    use pallet_mindos_subnets::{self as subnets, BalanceOf, Visibility};
    use sp_core::crypto::KeyTypeId;
    use sp_runtime::{
        traits::{Bounded, IdentifyAccount, One, Saturating},
        AccountId32, DispatchError, MultiSignature, MultiSigner,
    };

    /// The keystore key type the benchmarks generate their keys under (hotkeys, libp2p
    /// identities). A node's benchmark command provides a keystore; the mock's benchmark
    /// tests register one.
    pub const BENCHMARK_KEY_TYPE: KeyTypeId = KeyTypeId(*b"mnds");

    /// A signature type the benchmarks can produce: a fresh hotkey and its signature of
    /// `message`, so `register` is measured with the consent check a first registration
    /// makes. Implemented for `MultiSignature` (the MindOS runtime; sr25519 through the
    /// keystore) and, with `std`, for the mocks' `TestSignature`.
    pub trait BenchmarkSignature<AccountId>: Sized {
        /// A new hotkey and its signature of `message`.
        fn sign_as_new_hotkey(message: &[u8]) -> (AccountId, Self);
    }

    impl BenchmarkSignature<AccountId32> for MultiSignature {
        // A keystore that cannot sign with the key it just generated is a broken bench setup.
        #[allow(clippy::expect_used)]
        fn sign_as_new_hotkey(message: &[u8]) -> (AccountId32, Self) {
            let public = sp_io::crypto::sr25519_generate(BENCHMARK_KEY_TYPE, None);
            let signature = sp_io::crypto::sr25519_sign(BENCHMARK_KEY_TYPE, &public, message)
                .expect("the keystore signs with the key it generated");
            (MultiSigner::from(public).into_account(), signature.into())
        }
    }

    #[cfg(feature = "std")]
    impl BenchmarkSignature<u64> for sp_runtime::testing::TestSignature {
        fn sign_as_new_hotkey(message: &[u8]) -> (u64, Self) {
            // Fixed: `account(..)` derives this u64 too with odds of 2^-64.
            const HOTKEY: u64 = u64::MAX - 7;
            (
                HOTKEY,
                sp_runtime::testing::TestSignature(HOTKEY, message.to_vec()),
            )
        }
    }

    /// Sets up what the neurons benchmarks need from outside this pallet.
    pub trait BenchmarkHelper<AccountId> {
        /// Creates a public subnet owned by `owner` with `max_neurons` uid slots, in which a
        /// neuron is immune for `immunity_period` blocks after it registers. Returns its id.
        fn create_subnet(
            owner: AccountId,
            max_neurons: u16,
            immunity_period: u32,
        ) -> Result<NetUid, DispatchError>;
    }

    /// [`BenchmarkHelper`] through the real subnets pallet: widens the hyperparameter bounds,
    /// funds the owner's lock deposit and dispatches `create_subnet`. Use it in any runtime
    /// (and mock) that contains `pallet_mindos_subnets`.
    pub struct SubnetsBenchmarkHelper<T>(PhantomData<T>);

    impl<T: subnets::Config> BenchmarkHelper<T::AccountId> for SubnetsBenchmarkHelper<T> {
        fn create_subnet(
            owner: T::AccountId,
            max_neurons: u16,
            immunity_period: u32,
        ) -> Result<NetUid, DispatchError> {
            subnets::HyperparameterBoundsOf::<T>::put(HyperparameterBounds {
                tempo: Range {
                    min: 1,
                    max: u16::MAX,
                },
                max_neurons: Range {
                    min: 1,
                    max: MAX_NEURONS_PER_SUBNET,
                },
                max_validators: Range {
                    min: 1,
                    max: MAX_NEURONS_PER_SUBNET,
                },
                immunity_period: Range {
                    min: 0,
                    max: u32::MAX,
                },
                min_validator_stake: Range {
                    min: One::one(),
                    max: BalanceOf::<T>::max_value(),
                },
            });
            let funds = subnets::Pallet::<T>::lock_deposit()
                .saturating_add(T::CreationBurn::get())
                .saturating_mul(2u32.into())
                .saturating_add(T::Currency::minimum_balance().saturating_mul(10u32.into()));
            T::Currency::set_balance(&owner, T::Currency::balance(&owner).saturating_add(funds));
            // A setup may create several subnets; the creation rate limit is not what it
            // measures.
            subnets::LastSubnetCreatedAt::<T>::kill();
            let netuid = subnets::NextNetUid::<T>::get();
            subnets::Pallet::<T>::create_subnet(
                frame_system::RawOrigin::Signed(owner).into(),
                BoundedVec::truncate_from(b"bench".to_vec()),
                TaskSpec {
                    modality: Modality::Text,
                    model_digest: [1u8; 32],
                    input_schema: 1,
                    output_schema: 1,
                    scoring_rule: ScoringRule::CosineSimilarity,
                },
                Hyperparameters {
                    tempo: 360,
                    max_neurons,
                    max_validators: 1,
                    immunity_period,
                    min_validator_stake: One::one(),
                    commit_reveal: true,
                },
                Visibility::Public,
            )?;
            Ok(netuid)
        }
    }
}
