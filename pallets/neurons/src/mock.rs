//! A minimal runtime for the neurons pallet's tests and benchmarks: the real subnets pallet,
//! balances, and a fake stake pallet.

use crate as pallet_neurons;
use alloc::collections::BTreeMap;
use frame_support::{derive_impl, parameter_types};
use mindos_primitives::{Hyperparameters, NetUid, Perbill, StakeInfo};
use sp_runtime::{BuildStorage, FixedU128};

type Block = frame_system::mocking::MockBlock<Test>;
pub(crate) type AccountId = u64;
pub(crate) type Balance = u64;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Subnets: pallet_mindos_subnets,
        Neurons: pallet_neurons,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

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
    /// Active stake per hotkey, as the fake stake pallet reports it.
    pub static StakeOf: BTreeMap<AccountId, Balance> = BTreeMap::new();
    /// `(netuid, hotkey)` pairs holding a validator permit.
    pub static Permits: Vec<(NetUid, AccountId)> = Vec::new();
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
        min_validator_stake: 0,
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
    /// Skips the invariant check after the test: only for a test that breaks an invariant on
    /// purpose.
    #[allow(dead_code)] // no neurons test breaks an invariant yet
    pub(crate) fn skip_try_state(mut self) -> Self {
        self.skip_try_state = true;
        self
    }

    pub(crate) fn build(self) -> sp_io::TestExternalities {
        let mut storage = frame_system::GenesisConfig::<Test>::default()
            .build_storage()
            .unwrap();
        pallet_balances::GenesisConfig::<Test> {
            balances: vec![
                (OWNER, ENDOWMENT),
                (ALICE, ENDOWMENT),
                (BOB, ENDOWMENT),
                (POOR, 100),
            ],
            ..Default::default()
        }
        .assimilate_storage(&mut storage)
        .unwrap();
        pallet_mindos_subnets::GenesisConfig::<Test> {
            bounds: Some(bounds()),
            subnets: vec![],
        }
        .assimilate_storage(&mut storage)
        .unwrap();
        let mut ext = sp_io::TestExternalities::new(storage);
        ext.execute_with(|| System::set_block_number(1));
        ext
    }

    /// Runs `test` on the built chain, then checks the pallet's invariants (`try_state`)
    /// unless [`Self::skip_try_state`] was asked for.
    pub(crate) fn build_and_execute(self, test: impl FnOnce()) {
        let skip_try_state = self.skip_try_state;
        let mut ext = self.build();
        ext.execute_with(test);
        if !skip_try_state {
            ext.execute_with(assert_invariants);
        }
    }
}

/// The pallet's invariants (its `try_state`), for a check in the middle of a test too.
pub(crate) fn assert_invariants() {
    Neurons::do_try_state().expect("neurons invariants hold");
}

/// A fresh test chain (for the benchmarks' test suite).
#[cfg(feature = "runtime-benchmarks")]
pub(crate) fn new_test_ext() -> sp_io::TestExternalities {
    ExtBuilder::default().build()
}
