//! A minimal runtime for the neurons pallet's tests and benchmarks: the real subnets pallet,
//! balances, and a fake stake pallet.

use crate as pallet_neurons;
use alloc::collections::BTreeMap;
use frame_support::{derive_impl, parameter_types};
use mindos_primitives::{Hyperparameters, NetUid, Perbill, StakeInfo};
use sp_runtime::{BuildStorage, FixedU128};

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Subnets: pallet_mindos_subnets,
        Neurons: pallet_neurons,
    }
);

pallet_mindos_subnets::test_system_config!();
pallet_mindos_subnets::test_balances_config!();

#[derive_impl(pallet_mindos_subnets::config_preludes::TestDefaultConfig)]
impl pallet_mindos_subnets::Config for Test {
    type Currency = Balances;
    type OnDissolve = Neurons;
}

parameter_types! {
    /// Registration floor; a static so tests can move it.
    pub static BurnFloor: Balance = 100;
    pub BurnIncreaseFactor: FixedU128 = FixedU128::from_u32(2);
    pub const BurnHalfLife: u64 = 100;
    pub const ServeRateLimit: u64 = 10;
    pub const ServeProofValidity: u64 = 20;
    /// Active stake per hotkey, as the fake stake pallet reports it.
    pub static StakeOf: BTreeMap<AccountId, Balance> = BTreeMap::new();
    /// `(netuid, hotkey)` pairs holding a validator permit.
    pub static Permits: Vec<(NetUid, AccountId)> = Vec::new();
    /// Every key reported to the fake endpoint observer, in order.
    pub static BoundKeys: Vec<(NetUid, AccountId, [u8; 32])> = Vec::new();
    /// Whether the fake endpoint observer refuses every new key.
    pub static RefuseKeys: bool = false;
    /// Every departure reported to the fake endpoint observer, in order.
    pub static Departures: Vec<(NetUid, AccountId)> = Vec::new();
}

/// Records the keys [`BoundKeys`] and refuses them while [`RefuseKeys`] is set, as the
/// sentinels pallet refuses a rotation that would forget a key still usable as evidence.
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeObserver;
impl mindos_primitives::EndpointObserver<AccountId> for FakeObserver {
    fn on_key_bound(netuid: NetUid, hotkey: &AccountId, key: [u8; 32]) -> bool {
        if RefuseKeys::get() {
            return false;
        }
        BoundKeys::mutate(|keys| keys.push((netuid, *hotkey, key)));
        true
    }

    fn on_neuron_left(netuid: NetUid, hotkey: &AccountId) {
        Departures::mutate(|left| left.push((netuid, *hotkey)));
    }

    fn max_weight() -> frame_support::weights::Weight {
        frame_support::weights::Weight::from_parts(1_000, 10)
    }
}

/// Answers stake questions from [`StakeOf`] and [`Permits`].
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeStake;
impl StakeInfo<AccountId, Balance> for FakeStake {
    fn hotkey_stake(hotkey: &AccountId) -> Balance {
        StakeOf::get().get(hotkey).copied().unwrap_or(0)
    }

    fn stake_weights(netuid: NetUid) -> Vec<(u16, Balance)> {
        use mindos_primitives::NeuronsInfo;
        Neurons::neurons(netuid)
            .into_iter()
            .map(|(uid, hotkey)| (uid, Self::hotkey_stake(&hotkey)))
            .collect()
    }

    fn has_validator_permit(netuid: NetUid, hotkey: &AccountId) -> bool {
        Permits::get().contains(&(netuid, *hotkey))
    }

    fn slash(_hotkey: &AccountId, _share: Perbill) -> Balance {
        0
    }

    /// The neurons pallet never splits emission.
    fn counted_stakes() -> Vec<(NetUid, Balance)> {
        Vec::new()
    }

    fn validators(netuid: NetUid) -> Vec<AccountId> {
        Permits::get()
            .into_iter()
            .filter(|(n, _)| *n == netuid)
            .map(|(_, hotkey)| hotkey)
            .collect()
    }

    fn reward(_hotkey: &AccountId, amount: Balance) -> Balance {
        amount
    }
}

impl pallet_neurons::Config for Test {
    type Currency = Balances;
    type Subnets = Subnets;
    type Stake = FakeStake;
    type BurnFloor = BurnFloor;
    type BurnIncreaseFactor = BurnIncreaseFactor;
    type BurnHalfLife = BurnHalfLife;
    type ServeRateLimit = ServeRateLimit;
    type ServeProofValidity = ServeProofValidity;
    /// A hotkey `h` signs `m` as `TestSignature(h, m)`.
    type Signature = sp_runtime::testing::TestSignature;
    type Signer = sp_runtime::testing::UintAuthorityId;
    type EndpointObserver = FakeObserver;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = pallet_neurons::SubnetsBenchmarkHelper<Test>;
}

/// Owns the test subnets.
pub(crate) const OWNER: AccountId = 1;
/// Coldkeys with funds.
pub(crate) const ALICE: AccountId = 2;
pub(crate) const BOB: AccountId = 3;
/// A coldkey that can pay the floor exactly, which leaves nothing to keep the account alive.
pub(crate) const POOR: AccountId = 4;
pub(crate) const ENDOWMENT: Balance = 1_000_000;

pub(crate) use pallet_mindos_subnets::testing::{bounds, task};

/// Hyperparameters of a test subnet with `max_neurons` slots and the given immunity.
pub(crate) fn hyperparameters(max_neurons: u16, immunity_period: u32) -> Hyperparameters<Balance> {
    Hyperparameters {
        max_neurons,
        max_validators: 1,
        immunity_period,
        min_validator_stake: 1,
        ..pallet_mindos_subnets::testing::hyperparameters()
    }
}

/// Builds the test chain: [`OWNER`], [`ALICE`] and [`BOB`] with [`ENDOWMENT`], [`POOR`] with
/// 100, the subnet [`bounds`] in place, at block 1.
#[derive(Default)]
pub(crate) struct ExtBuilder {
    skip_try_state: bool,
}

impl ExtBuilder {
    pub(crate) fn build(self) -> sp_io::TestExternalities {
        let mut storage = genesis_with_balances(vec![
            (OWNER, ENDOWMENT),
            (ALICE, ENDOWMENT),
            (BOB, ENDOWMENT),
            (POOR, 100),
        ]);
        pallet_mindos_subnets::GenesisConfig::<Test> {
            bounds: Some(bounds()),
            subnets: vec![],
        }
        .assimilate_storage(&mut storage)
        .unwrap();
        at_block_one(storage)
    }
}

pallet_mindos_subnets::test_externalities!({
    Neurons::do_try_state().expect("neurons invariants hold");
});

/// The benchmarks' chain: [`new_test_ext`] with an in-memory keystore, in which the
/// benchmarks generate and sign with their keys (a node's benchmark command has one too).
#[cfg(feature = "runtime-benchmarks")]
pub(crate) fn new_bench_ext() -> sp_io::TestExternalities {
    let mut ext = new_test_ext();
    ext.register_extension(sp_keystore::KeystoreExt::new(
        sp_keystore::testing::MemoryKeystore::new(),
    ));
    ext
}
