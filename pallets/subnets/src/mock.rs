//! A minimal runtime for the subnets pallet's tests and benchmarks.

use crate as pallet_subnets;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use mindos_primitives::{
    HyperparameterBounds, Hyperparameters, Modality, Perbill, Range, ScoringRule, TaskSpec,
    MAX_NEURONS_PER_SUBNET,
};
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

parameter_types! {
    pub const BaseLockDeposit: Balance = 100;
    pub const LockDepositPerLiveSubnet: Balance = 10;
}

impl pallet_subnets::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type BaseLockDeposit = BaseLockDeposit;
    type LockDepositPerLiveSubnet = LockDepositPerLiveSubnet;
    type MaxSubnets = ConstU32<4>;
    type MaxNameLength = ConstU32<32>;
    type MaxAllowList = ConstU32<8>;
    type BoundsOrigin = frame_system::EnsureRoot<AccountId>;
    type OnDissolve = DissolveRecorder;
    type WeightInfo = ();
}

parameter_types! {
    /// Subnets whose dissolution hook ran, in order.
    pub static Dissolved: Vec<mindos_primitives::NetUid> = Vec::new();
}

/// Records hook calls so tests can see dissolution reached the other pallets.
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct DissolveRecorder;
impl crate::OnSubnetDissolved for DissolveRecorder {
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

pub(crate) fn bounds() -> HyperparameterBounds<Balance> {
    HyperparameterBounds {
        tempo: Range {
            min: 10,
            max: 1_000,
        },
        max_neurons: Range {
            min: 1,
            max: MAX_NEURONS_PER_SUBNET,
        },
        max_validators: Range { min: 1, max: 64 },
        immunity_period: Range {
            min: 0,
            max: 10_000,
        },
        kappa: Range {
            min: Perbill::from_percent(10),
            max: Perbill::from_percent(90),
        },
        min_validator_stake: Range {
            min: 0,
            max: 1_000_000,
        },
    }
}

pub(crate) fn hyperparameters() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 100,
        max_neurons: 256,
        max_validators: 16,
        immunity_period: 500,
        kappa: Perbill::from_percent(50),
        min_validator_stake: 1_000,
        commit_reveal: true,
    }
}

pub(crate) fn task() -> TaskSpec {
    TaskSpec {
        modality: Modality::Text,
        model_digest: [7u8; 32],
        input_schema: 1,
        output_schema: 2,
        scoring_rule: ScoringRule::CosineSimilarity,
    }
}

pub(crate) fn new_test_ext() -> sp_io::TestExternalities {
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
        subnets: vec![],
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
