//! A minimal runtime for the stake pallet's tests and benchmarks: the real subnets pallet and
//! a fake neurons registry that tests fill directly.

use crate as pallet_stake;
use alloc::collections::BTreeMap;
use frame_support::{
    derive_impl, parameter_types,
    traits::{fungible::InspectHold, ConstU32},
};
use mindos_primitives::{HyperparameterBounds, Hyperparameters, NetUid, NeuronsInfo, Perbill};
use sp_runtime::BuildStorage;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Subnets: pallet_mindos_subnets,
        Stake: pallet_stake,
    }
);

pallet_mindos_subnets::test_system_config!();
pallet_mindos_subnets::test_balances_config!();

#[derive_impl(pallet_mindos_subnets::config_preludes::TestDefaultConfig)]
impl pallet_mindos_subnets::Config for Test {
    type Currency = Balances;
    type MaxSubnets = ConstU32<8>;
    type OnDissolve = Stake;
}

parameter_types! {
    /// The fake registry: hotkey -> owning coldkey.
    pub static HotkeyOwners: BTreeMap<AccountId, AccountId> = BTreeMap::new();
    /// The fake registry: netuid -> (uid, hotkey) in uid order.
    pub static Registered: BTreeMap<NetUid, Vec<(u16, AccountId)>> = BTreeMap::new();
    pub const UnbondingPeriod: u64 = 10;
    pub const MinStake: Balance = 10;
    pub const DefaultTake: Perbill = Perbill::from_percent(18);
    pub const MaxTake: Perbill = Perbill::from_percent(18);
    pub const TakeIncreaseRateLimit: u64 = 100;
}

/// Neurons as the tests set them up.
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeNeurons;
impl NeuronsInfo<AccountId> for FakeNeurons {
    fn hotkey_owner(hotkey: &AccountId) -> Option<AccountId> {
        HotkeyOwners::get().get(hotkey).copied()
    }
    fn neurons(netuid: NetUid) -> Vec<(u16, AccountId)> {
        Registered::get().get(&netuid).cloned().unwrap_or_default()
    }
    fn uid(netuid: NetUid, hotkey: &AccountId) -> Option<u16> {
        Self::neurons(netuid)
            .into_iter()
            .find(|(_, h)| h == hotkey)
            .map(|(uid, _)| uid)
    }
    fn hotkey(netuid: NetUid, uid: u16) -> Option<AccountId> {
        Self::neurons(netuid)
            .into_iter()
            .find(|(u, _)| *u == uid)
            .map(|(_, hotkey)| hotkey)
    }
    fn registered_at(netuid: NetUid) -> Vec<u64> {
        alloc::vec![0; Self::neurons(netuid).len()]
    }
}

/// Registers `hotkey` (owned by `coldkey`) on `netuid` in the fake registry.
pub(crate) fn register(netuid: NetUid, coldkey: AccountId, hotkey: AccountId) {
    HotkeyOwners::mutate(|owners| {
        owners.insert(hotkey, coldkey);
    });
    Registered::mutate(|registered| {
        let list = registered.entry(netuid).or_default();
        let uid = list.len() as u16;
        list.push((uid, hotkey));
    });
}

impl pallet_stake::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Subnets = Subnets;
    type Neurons = FakeNeurons;
    type UnbondingPeriod = UnbondingPeriod;
    type MaxUnbondingChunks = ConstU32<4>;
    type MaxNominators = ConstU32<3>;
    type MaxStakedHotkeys = ConstU32<3>;
    type MinStake = MinStake;
    type DefaultTake = DefaultTake;
    type MaxTake = MaxTake;
    type TakeIncreaseRateLimit = TakeIncreaseRateLimit;
    type MaxValidatorsPerSubnet = ConstU32<4>;
    type MaxPermitUpdatesPerBlock = ConstU32<1>;
    type MaxPendingPermitUpdates = ConstU32<8>;
    type MaxSubnets = ConstU32<8>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockBenchmarkHelper;
}

/// Benchmark setup through the real subnets pallet and the fake registry.
#[cfg(feature = "runtime-benchmarks")]
#[allow(unreachable_pub)]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
    fn create_subnet(owner: AccountId) -> Result<NetUid, sp_runtime::DispatchError> {
        use frame_support::traits::fungible::Mutate;
        Balances::set_balance(&owner, 1_000_000);
        let netuid = pallet_mindos_subnets::NextNetUid::<Test>::get();
        let mut params = hyperparameters();
        params.max_neurons = mindos_primitives::MAX_NEURONS_PER_SUBNET;
        params.max_validators = 64;
        params.min_validator_stake = 1;
        Subnets::create_subnet(
            RuntimeOrigin::signed(owner),
            b"bench".to_vec().try_into().unwrap_or_default(),
            task(),
            params,
            pallet_mindos_subnets::Visibility::Public,
        )?;
        Ok(netuid)
    }
    fn register_hotkey(
        netuid: NetUid,
        coldkey: AccountId,
        hotkey: AccountId,
    ) -> Result<(), sp_runtime::DispatchError> {
        register(netuid, coldkey, hotkey);
        Ok(())
    }
}

pub(crate) const ALICE: AccountId = 1;
pub(crate) const BOB: AccountId = 2;
pub(crate) const CHARLIE: AccountId = 3;
pub(crate) const DAVE: AccountId = 4;
pub(crate) const POOR: AccountId = 5;
/// Hotkeys live in their own range so they never collide with coldkeys.
pub(crate) const HOT_A: AccountId = 101;
pub(crate) const HOT_B: AccountId = 102;
pub(crate) const HOT_C: AccountId = 103;
pub(crate) const ENDOWMENT: Balance = 100_000;

pub(crate) use pallet_mindos_subnets::testing::task;

/// The shared bounds, with tempos from 1 so the test subnets' epochs come every 10 blocks.
pub(crate) fn bounds() -> HyperparameterBounds<Balance> {
    let mut bounds = pallet_mindos_subnets::testing::bounds();
    bounds.tempo.min = 1;
    bounds
}

/// Tempo 9, 16 neurons of which 2 validators needing a stake of 50, immunity 5 blocks.
pub(crate) fn hyperparameters() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 9,
        max_neurons: 16,
        max_validators: 2,
        immunity_period: 5,
        min_validator_stake: 50,
        ..pallet_mindos_subnets::testing::hyperparameters()
    }
}

/// What `who` holds as stake (active and unbonding).
pub(crate) fn held(who: AccountId) -> Balance {
    Balances::balance_on_hold(&RuntimeHoldReason::Stake(crate::HoldReason::Staked), &who)
}

/// Builds the test chain: the coldkeys with [`ENDOWMENT`] ([`POOR`] with 20), the subnet
/// [`bounds`] in place, an empty fake registry, at block 1.
#[derive(Default)]
pub(crate) struct ExtBuilder {
    skip_try_state: bool,
}

impl ExtBuilder {
    pub(crate) fn build(self) -> sp_io::TestExternalities {
        HotkeyOwners::set(BTreeMap::new());
        Registered::set(BTreeMap::new());
        let mut storage = genesis_with_balances(vec![
            (ALICE, ENDOWMENT),
            (BOB, ENDOWMENT),
            (CHARLIE, ENDOWMENT),
            (DAVE, ENDOWMENT),
            (POOR, 20),
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
    Stake::do_try_state().expect("stake invariants hold");
    assert_holds_match_stake();
});

/// What `try_state` cannot check by itself: no account the tests use keeps a stake hold
/// without stake entries to show for it.
fn assert_holds_match_stake() {
    for who in [ALICE, BOB, CHARLIE, DAVE, POOR] {
        let active: Balance = crate::StakeOf::<Test>::iter()
            .filter(|(_, coldkey, _)| *coldkey == who)
            .map(|(_, _, stake)| stake)
            .sum();
        let unbonding: Balance = crate::Unbonding::<Test>::get(who)
            .iter()
            .map(|c| c.amount)
            .sum();
        assert_eq!(
            held(who),
            active + unbonding,
            "hold of {who} matches its stake"
        );
    }
}
