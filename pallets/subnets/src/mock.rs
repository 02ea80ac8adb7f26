//! A minimal runtime for the subnets pallet's tests and benchmarks.

use crate as pallet_subnets;
use frame_support::{derive_impl, parameter_types, traits::ConstU64};
use sp_runtime::BuildStorage;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Subnets: pallet_subnets,
    }
);

crate::test_system_config!();
crate::test_balances_config!();

#[derive_impl(pallet_subnets::config_preludes::TestDefaultConfig)]
impl pallet_subnets::Config for Test {
    type Currency = Balances;
    type OnDissolve = DissolveRecorder;
    type CreationBurn = ConstU64<CREATION_BURN>;
    type SubnetCreationInterval = ConstU64<CREATION_INTERVAL>;
    type GovernanceCooldown = ConstU64<GOVERNANCE_COOLDOWN>;
}

/// Burned at each creation.
pub(crate) const CREATION_BURN: Balance = 5;
/// Blocks between two creations.
pub(crate) const CREATION_INTERVAL: u64 = 10;
/// Blocks a governance change binds the owner.
pub(crate) const GOVERNANCE_COOLDOWN: u64 = 50;

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

    pub(crate) fn build(self) -> sp_io::TestExternalities {
        let mut storage =
            genesis_with_balances(vec![(ALICE, ENDOWMENT), (BOB, ENDOWMENT), (POOR, 50)]);
        pallet_subnets::GenesisConfig::<Test> {
            bounds: Some(bounds()),
            subnets: self.genesis_subnets,
        }
        .assimilate_storage(&mut storage)
        .unwrap();
        at_block_one(storage)
    }
}

crate::test_externalities!({
    Subnets::do_try_state().expect("subnets invariants hold");
});
