//! A minimal runtime for the subnets pallet's tests and benchmarks.

use crate as pallet_subnets;
use frame_support::{derive_impl, parameter_types};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub(crate) type AccountId = u64;
pub(crate) type Balance = u64;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Subnets: pallet_subnets,
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

#[derive_impl(pallet_subnets::config_preludes::TestDefaultConfig)]
impl pallet_subnets::Config for Test {
    type Currency = Balances;
    type OnDissolve = DissolveRecorder;
}

parameter_types! {
    /// Subnets whose dissolution hook ran, in order.
    pub static Dissolved: Vec<mindos_primitives::NetUid> = Vec::new();
}

/// Records hook calls so tests can see dissolution reached the other pallets.
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct DissolveRecorder;
impl mindos_primitives::OnSubnetDissolved for DissolveRecorder {
    fn on_subnet_dissolved(netuid: mindos_primitives::NetUid) -> frame_support::weights::Weight {
        Dissolved::mutate(|d| d.push(netuid));
        frame_support::weights::Weight::zero()
    }

    fn max_weight() -> frame_support::weights::Weight {
        frame_support::weights::Weight::zero()
    }
}

pub(crate) const ALICE: AccountId = 1;
pub(crate) const BOB: AccountId = 2;
pub(crate) const POOR: AccountId = 3;
pub(crate) const ENDOWMENT: Balance = 10_000;

pub(crate) use crate::testing::{bounds, hyperparameters, task};

/// Builds the test chain: [`ALICE`] and [`BOB`] with [`ENDOWMENT`], [`POOR`] with 50, the
/// [`bounds`] in place, at block 1.
#[derive(Default)]
pub(crate) struct ExtBuilder {
    genesis_subnets: Vec<pallet_subnets::GenesisSubnet<Test>>,
    skip_try_state: bool,
}

impl ExtBuilder {
    /// Subnets the genesis config creates (without a deposit).
    pub(crate) fn genesis_subnets(
        mut self,
        subnets: Vec<pallet_subnets::GenesisSubnet<Test>>,
    ) -> Self {
        self.genesis_subnets = subnets;
        self
    }

    /// Skips the invariant check after the test: only for a test that breaks an invariant on
    /// purpose.
    #[allow(dead_code)] // no subnets test breaks an invariant yet
    pub(crate) fn skip_try_state(mut self) -> Self {
        self.skip_try_state = true;
        self
    }

    pub(crate) fn build(self) -> sp_io::TestExternalities {
        let mut storage = frame_system::GenesisConfig::<Test>::default()
            .build_storage()
            .unwrap();
        pallet_balances::GenesisConfig::<Test> {
            balances: vec![(ALICE, ENDOWMENT), (BOB, ENDOWMENT), (POOR, 50)],
            ..Default::default()
        }
        .assimilate_storage(&mut storage)
        .unwrap();
        pallet_subnets::GenesisConfig::<Test> {
            bounds: Some(bounds()),
            subnets: self.genesis_subnets,
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
    Subnets::do_try_state().expect("subnets invariants hold");
}

/// A fresh test chain (for the benchmarks' test suite).
#[cfg(feature = "runtime-benchmarks")]
pub(crate) fn new_test_ext() -> sp_io::TestExternalities {
    ExtBuilder::default().build()
}
