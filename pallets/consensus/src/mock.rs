//! A runtime for the consensus pallet's tests and benchmarks with the real subnets, neurons
//! and stake pallets, so epochs run against real registrations, stake and permits.

use crate as pallet_consensus;
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64, OnInitialize},
};
use mindos_primitives::{HyperparameterBounds, Hyperparameters, Perbill};
use sp_runtime::{BuildStorage, FixedU128};

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Subnets: pallet_mindos_subnets,
        Neurons: pallet_mindos_neurons,
        Stake: pallet_mindos_stake,
        Consensus: pallet_consensus,
    }
);

pallet_mindos_subnets::test_system_config!();
pallet_mindos_subnets::test_balances_config!();

#[derive_impl(pallet_mindos_subnets::config_preludes::TestDefaultConfig)]
impl pallet_mindos_subnets::Config for Test {
    type Currency = Balances;
    type OnDissolve = ((Neurons, Stake), Consensus);
}

parameter_types! {
    pub const BurnFloor: Balance = 1;
    pub BurnIncreaseFactor: FixedU128 = FixedU128::from_rational(11, 10);
}

impl pallet_mindos_neurons::Config for Test {
    type Currency = Balances;
    type Subnets = Subnets;
    type Stake = Stake;
    type BurnFloor = BurnFloor;
    type BurnIncreaseFactor = BurnIncreaseFactor;
    type BurnHalfLife = ConstU64<100>;
    type ServeRateLimit = ConstU64<10>;
    type ServeProofValidity = ConstU64<20>;
    type Signature = sp_runtime::testing::TestSignature;
    type Signer = sp_runtime::testing::UintAuthorityId;
    type EndpointObserver = ();
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = pallet_mindos_neurons::SubnetsBenchmarkHelper<Test>;
}

parameter_types! {
    pub const DefaultTake: Perbill = Perbill::from_percent(10);
    pub const MaxTake: Perbill = Perbill::from_percent(18);
}

impl pallet_mindos_stake::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Subnets = Subnets;
    type Neurons = Neurons;
    type UnbondingPeriod = ConstU64<10>;
    type MaxUnbondingChunks = ConstU32<4>;
    type MaxNominators = ConstU32<8>;
    type MaxStakedHotkeys = ConstU32<8>;
    type MinStake = ConstU64<10>;
    type DefaultTake = DefaultTake;
    type MaxTake = MaxTake;
    type TakeIncreaseRateLimit = ConstU64<100>;
    type MaxValidatorsPerSubnet = ConstU32<64>;
    type MaxPermitUpdatesPerBlock = ConstU32<4>;
    type MaxPendingPermitUpdates = ConstU32<8>;
    type MaxSubnets = ConstU32<8>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockBenchmarkHelper;
}

parameter_types! {
    /// Emission per block; a static so tests can change the governed value.
    pub static BlockEmission: Balance = 1_000;
    pub const HalvingInterval: u64 = 1_000_000;
    /// Payouts minted per block; small so tests see paging.
    pub static PayoutsPerBlock: u32 = 2;
    /// `(netuid, uid)` pairs the fake quarantine reports.
    pub static QuarantinedUids: Vec<(mindos_primitives::NetUid, u16)> = Vec::new();
    /// Every `(netuid, epoch, salt hash)` the fake salt sink received, in order.
    pub static RevealedSalts: Vec<(mindos_primitives::NetUid, u64, [u8; 32])> = Vec::new();
}

/// Quarantines the uids in [`QuarantinedUids`], as the sentinels pallet would.
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeQuarantine;
impl mindos_primitives::QuarantineInfo for FakeQuarantine {
    fn is_quarantined(netuid: mindos_primitives::NetUid, uid: u16) -> bool {
        QuarantinedUids::get().contains(&(netuid, uid))
    }

    fn quarantined(netuid: mindos_primitives::NetUid) -> Vec<u16> {
        let mut uids: Vec<u16> = QuarantinedUids::get()
            .into_iter()
            .filter(|(n, _)| *n == netuid)
            .map(|(_, uid)| uid)
            .collect();
        uids.sort_unstable();
        uids
    }
}

/// Records every salt hash in [`RevealedSalts`].
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeSaltSink;
impl mindos_primitives::SaltSink for FakeSaltSink {
    fn on_reveal(netuid: mindos_primitives::NetUid, epoch: u64, salt_hash: [u8; 32]) {
        RevealedSalts::mutate(|salts| salts.push((netuid, epoch, salt_hash)));
    }
}

impl pallet_consensus::Config for Test {
    type Currency = Balances;
    type Subnets = Subnets;
    type Neurons = Neurons;
    type Stake = Stake;
    type Emissions = Neurons;
    type Parameters = pallet_consensus::HalvingSchedule<BlockEmission, HalvingInterval>;
    type SaltSink = FakeSaltSink;
    type Quarantine = FakeQuarantine;
    type WeightsRateLimit = ConstU64<5>;
    type MaxEpochsPerBlock = ConstU32<1>;
    type MaxPayoutsPerBlock = PayoutsPerBlock;
    type HistoryDepth = ConstU32<4>;
    type MaxSubnets = ConstU32<4>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockBenchmarkHelper;
}

/// Benchmark setup through the real pallets.
#[cfg(feature = "runtime-benchmarks")]
#[allow(unreachable_pub)]
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
use mindos_primitives::NetUid;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_mindos_stake::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
    fn create_subnet(owner: AccountId) -> Result<NetUid, sp_runtime::DispatchError> {
        use frame_support::traits::fungible::Mutate;
        Balances::set_balance(&owner, 1_000_000);
        let netuid = pallet_mindos_subnets::NextNetUid::<Test>::get();
        let mut params = hyperparameters();
        params.max_neurons = mindos_primitives::MAX_NEURONS_PER_SUBNET;
        params.max_validators = 64;
        // Unstaked neurons must not take permits: benchmarks choose the validator count.
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
        Neurons::register_for_benchmarks(netuid, coldkey, hotkey)
    }
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
    fn subnet_with_neurons(neurons: u32, validators: u32) -> (NetUid, Vec<AccountId>) {
        use frame_support::traits::fungible::Mutate;
        let owner = 9_999_999;
        let netuid = <Self as pallet_mindos_stake::BenchmarkHelper<_>>::create_subnet(owner)
            .expect("bench subnet");
        let mut hotkeys = Vec::new();
        for i in 0..u64::from(neurons) {
            let (coldkey, hotkey) = (1_000_000 + i, 2_000_000 + i);
            Neurons::register_for_benchmarks(netuid, coldkey, hotkey).expect("registers");
            if i < u64::from(validators) {
                Balances::set_balance(&coldkey, 1_000_000);
                Stake::add_stake(RuntimeOrigin::signed(coldkey), hotkey, 1_000 + i)
                    .expect("stakes");
            }
            hotkeys.push(hotkey);
        }
        pallet_mindos_stake::Pallet::<Test>::refresh_validator_permits(netuid);
        (netuid, hotkeys)
    }
    fn set_commit_reveal(netuid: NetUid, enabled: bool) {
        use mindos_primitives::SubnetsInfo;
        let mut params = <Subnets as SubnetsInfo<AccountId, Balance>>::hyperparameters(netuid)
            .expect("live subnet");
        params.commit_reveal = enabled;
        // At once, as governance does (an owner's change waits for the next boundary).
        Subnets::apply_hyperparameters(netuid, params).expect("within the bounds");
    }
    fn set_counted_stakes(netuids: &[NetUid]) {
        pallet_mindos_stake::Pallet::<Test>::set_counted_stakes_for_benchmarks(netuids);
    }
}

/// Owns the test subnets.
pub(crate) const OWNER: AccountId = 1;
/// Coldkeys of validators and miners (10 + i) and their hotkeys (100 + i).
pub(crate) const fn coldkey(i: u64) -> AccountId {
    10 + i
}
pub(crate) const fn hotkey(i: u64) -> AccountId {
    100 + i
}
/// `hotkey(i)`'s consent to `coldkey(i)` owning it, which its first registration needs (a
/// hotkey `h` signs `m` as `TestSignature(h, m)` here).
pub(crate) fn consent(i: u64) -> Option<sp_runtime::testing::TestSignature> {
    Some(sp_runtime::testing::TestSignature(
        hotkey(i),
        Neurons::hotkey_consent_payload(&coldkey(i)),
    ))
}
pub(crate) const ENDOWMENT: Balance = 1_000_000;

pub(crate) use pallet_mindos_subnets::testing::task;

/// The shared bounds, with tempos from 1 so the test subnets' epochs come every 10 blocks.
pub(crate) fn bounds() -> HyperparameterBounds<Balance> {
    let mut bounds = pallet_mindos_subnets::testing::bounds();
    bounds.tempo.min = 1;
    bounds
}

/// Tempo 9: subnet 0's epochs run at blocks 9, 19, 29, …; subnet 1's at 8, 18, 28, ….
pub(crate) fn hyperparameters() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 9,
        max_neurons: 16,
        max_validators: 4,
        immunity_period: 0,
        min_validator_stake: 100,
        ..pallet_mindos_subnets::testing::hyperparameters()
    }
}

/// Builds the test chain: [`OWNER`] and 16 coldkeys with [`ENDOWMENT`], the subnet [`bounds`]
/// in place, an emission of 1,000 per block paid 2 payouts a block, at block 1.
#[derive(Default)]
pub(crate) struct ExtBuilder {
    skip_try_state: bool,
}

impl ExtBuilder {
    pub(crate) fn build(self) -> sp_io::TestExternalities {
        BlockEmission::set(1_000);
        PayoutsPerBlock::set(2);
        let mut balances = vec![(OWNER, ENDOWMENT)];
        balances.extend((0..16).map(|i| (coldkey(i), ENDOWMENT)));
        let mut storage = genesis_with_balances(balances);
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
    Consensus::do_try_state().expect("consensus invariants hold");
});

/// Runs the hooks of every block up to `block`.
pub(crate) fn run_to(block: u64) {
    while System::block_number() < block {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        AllPalletsWithSystem::on_initialize(next);
    }
}
