//! A minimal runtime for the directives pallet's tests and benchmarks: balances for deposits,
//! an in-memory stake table the tests move stake in mid-vote, and fake subnets.

use crate as pallet_directives;
use alloc::collections::{BTreeMap, BTreeSet};
use core::marker::PhantomData;
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, Get},
};
use mindos_primitives::{HyperparameterBounds, Hyperparameters, NetUid};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Directives: pallet_directives,
    }
);

pallet_mindos_subnets::test_system_config!();
pallet_mindos_subnets::test_balances_config!();

parameter_types! {
    /// MindOS at launch: the mock counts 6 s blocks, like the registry's default.
    pub LaunchParameters: pallet_directives::GovernedParameters<Balance, u64> = Default::default();
    /// Active stake: (coldkey, hotkey) -> amount.
    pub static StakeTable: BTreeMap<(AccountId, AccountId), Balance> = BTreeMap::new();
    /// The subnets each hotkey is registered on.
    pub static Registrations: BTreeMap<AccountId, BTreeSet<NetUid>> = BTreeMap::new();
    /// Live subnets.
    pub static LiveSubnets: BTreeSet<NetUid> = BTreeSet::new();
    /// The bounds the fake subnets pallet holds owners to.
    pub static SubnetBounds: Option<HyperparameterBounds<Balance>> = None;
    /// Makes the fake subnets pallet refuse every bounds change.
    pub static RefuseBounds: bool = false;
    /// Hyperparameters governance set on each subnet.
    pub static SubnetHyperparameters: BTreeMap<NetUid, Hyperparameters<Balance>> =
        BTreeMap::new();
    /// `MaxVotesPerProposal`: 5 keeps the list-full cases short; the dust test sets the
    /// runtime's 1,024.
    pub static MaxVotes: u32 = 5;
    /// The sentinel audit window: none by default (so the voting period alone bounds the
    /// unbonding period); the audit-window tests set one.
    pub static AuditWindowEpochs: u32 = 0;
    pub static AuditWindowBlocks: u64 = 0;
    pub const ProposalDeposit: Balance = 100;
    pub const MinVotingStake: Balance = 10;
    pub const VotingPeriod: u64 = 10;
    pub const EnactmentDelay: u64 = 5;
    pub const PrimeEnactmentDelay: u64 = 20;
    pub const ApprovalThreshold: Perbill = Perbill::from_percent(50);
    pub PrimeApprovalThreshold: Perbill = Perbill::from_rational(2u32, 3u32);
    pub const Quorum: Perbill = Perbill::from_percent(20);
    pub const DepositBurnThreshold: Perbill = Perbill::from_percent(5);
}

/// The audit window of [`AuditWindowEpochs`] and [`AuditWindowBlocks`].
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct MockAuditWindow;
impl mindos_primitives::AuditWindow for MockAuditWindow {
    fn epochs() -> u32 {
        AuditWindowEpochs::get()
    }

    fn extra_blocks() -> u64 {
        AuditWindowBlocks::get()
    }
}

/// Voting stake from [`StakeTable`] and [`Registrations`].
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct MockVotingStake;
impl pallet_directives::VotingStake<AccountId, Balance> for MockVotingStake {
    fn network_stake(coldkey: &AccountId) -> Balance {
        StakeTable::get()
            .iter()
            .filter(|((c, _), _)| c == coldkey)
            .map(|(_, amount)| amount)
            .sum()
    }
    fn subnet_stake(netuid: NetUid, coldkey: &AccountId) -> Balance {
        StakeTable::get()
            .iter()
            .filter(|((c, h), _)| c == coldkey && on_subnet(netuid, h))
            .map(|(_, amount)| amount)
            .sum()
    }
    fn total_network_stake() -> Balance {
        StakeTable::get().values().sum()
    }
    fn total_subnet_stake(netuid: NetUid) -> Balance {
        StakeTable::get()
            .iter()
            .filter(|((_, h), _)| on_subnet(netuid, h))
            .map(|(_, amount)| amount)
            .sum()
    }
}

fn on_subnet(netuid: NetUid, hotkey: &AccountId) -> bool {
    Registrations::get()
        .get(hotkey)
        .is_some_and(|subnets| subnets.contains(&netuid))
}

/// Subnets in memory, holding hyperparameters to [`SubnetBounds`] like the real pallet.
#[allow(unreachable_pub)]
pub struct MockSubnets;
impl pallet_directives::SubnetsGovernance<Balance> for MockSubnets {
    fn exists(netuid: NetUid) -> bool {
        LiveSubnets::get().contains(&netuid)
    }
    fn set_bounds(bounds: HyperparameterBounds<Balance>) -> DispatchResult {
        if RefuseBounds::get() || !bounds.is_valid() {
            return Err(DispatchError::Other("bounds refused"));
        }
        SubnetBounds::set(Some(bounds));
        Ok(())
    }
    fn set_hyperparameters(netuid: NetUid, params: Hyperparameters<Balance>) -> DispatchResult {
        if !Self::exists(netuid) {
            return Err(DispatchError::Other("unknown subnet"));
        }
        let bounds = SubnetBounds::get().ok_or(DispatchError::Other("no bounds"))?;
        bounds
            .check(&params)
            .map_err(|_| DispatchError::Other("out of bounds"))?;
        SubnetHyperparameters::mutate(|all| all.insert(netuid, params));
        Ok(())
    }
}

impl pallet_directives::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type VotingStake = MockVotingStake;
    type Subnets = MockSubnets;
    type ProposalDeposit = ProposalDeposit;
    type ProposalDepositDoublesEvery = ConstU32<2>;
    type MaxProposalsPerAccount = ConstU32<2>;
    type MinVotingStake = MinVotingStake;
    type VotingPeriod = VotingPeriod;
    type EnactmentDelay = EnactmentDelay;
    type PrimeEnactmentDelay = PrimeEnactmentDelay;
    type ApprovalThreshold = ApprovalThreshold;
    type PrimeApprovalThreshold = PrimeApprovalThreshold;
    type Quorum = Quorum;
    type DepositBurnThreshold = DepositBurnThreshold;
    type MaxActiveProposals = ConstU32<4>;
    type MaxVotesPerProposal = MaxVotes;
    type MaxEnactmentsPerBlock = ConstU32<2>;
    type MaxDirectives = ConstU32<6>;
    type MaxTitleLength = ConstU32<32>;
    type MaxTextLength = ConstU32<128>;
    type MaxCommitteeSize = ConstU32<16>;
    type AuditWindow = MockAuditWindow;
    type LaunchParameters = LaunchParameters;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockBenchmarkHelper;
}

/// Benchmark setup in the fake tables.
#[cfg(feature = "runtime-benchmarks")]
#[allow(unreachable_pub)]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, Balance> for MockBenchmarkHelper {
    fn create_subnet() -> Result<NetUid, DispatchError> {
        let netuid = NetUid(LiveSubnets::get().len() as u16);
        LiveSubnets::mutate(|live| live.insert(netuid));
        Ok(netuid)
    }
    fn add_stake(netuid: NetUid, coldkey: &AccountId, amount: Balance) -> DispatchResult {
        // A hotkey of its own for each coldkey, as the trait asks.
        let hotkey = coldkey.wrapping_add(1 << 32);
        register(netuid, hotkey);
        stake(*coldkey, hotkey, amount);
        Ok(())
    }
}

/// A pallet that reads a governed value through its config, as the neurons pallet reads its
/// burn floor: `F` is `BurnFloor<Test>` in the tests.
pub(crate) struct RegistrationPrice<F>(PhantomData<F>);
impl<F: Get<Balance>> RegistrationPrice<F> {
    /// The price of a registration on an idle subnet: the floor.
    pub(crate) fn idle_price() -> Balance {
        F::get()
    }
}

/// Sets `coldkey`'s active stake on `hotkey` (zero removes it).
pub(crate) fn stake(coldkey: AccountId, hotkey: AccountId, amount: Balance) {
    StakeTable::mutate(|table| {
        if amount == 0 {
            table.remove(&(coldkey, hotkey));
        } else {
            table.insert((coldkey, hotkey), amount);
        }
    });
}

/// Registers `hotkey` on `netuid`.
pub(crate) fn register(netuid: NetUid, hotkey: AccountId) {
    Registrations::mutate(|all| {
        all.entry(hotkey).or_default().insert(netuid);
    });
}

/// Deregisters `hotkey` from `netuid`.
pub(crate) fn deregister(netuid: NetUid, hotkey: AccountId) {
    Registrations::mutate(|all| {
        if let Some(subnets) = all.get_mut(&hotkey) {
            subnets.remove(&netuid);
        }
    });
}

pub(crate) const ALICE: AccountId = 1;
pub(crate) const BOB: AccountId = 2;
pub(crate) const CHARLIE: AccountId = 3;
pub(crate) const DAVE: AccountId = 4;
pub(crate) const EVE: AccountId = 5;
pub(crate) const POOR: AccountId = 6;
/// Hotkeys live in their own range so they never collide with coldkeys.
pub(crate) const HOT_A: AccountId = 101;
pub(crate) const HOT_B: AccountId = 102;
pub(crate) const HOT_C: AccountId = 103;
pub(crate) const HOT_D: AccountId = 104;
pub(crate) const ENDOWMENT: Balance = 10_000;
/// The subnet the tests vote on.
pub(crate) const SUBNET: NetUid = NetUid(1);

/// Builds the test chain: the coldkeys with [`ENDOWMENT`] ([`POOR`] with 50), the directives
/// genesis, [`SUBNET`] live and held to the launch bounds, empty stake tables, at block 1.
#[derive(Default)]
pub(crate) struct ExtBuilder {
    skip_try_state: bool,
}

impl ExtBuilder {
    pub(crate) fn build(self) -> sp_io::TestExternalities {
        StakeTable::set(BTreeMap::new());
        Registrations::set(BTreeMap::new());
        LiveSubnets::set(BTreeSet::from([SUBNET]));
        SubnetBounds::set(None);
        RefuseBounds::set(false);
        SubnetHyperparameters::set(BTreeMap::new());
        MaxVotes::set(5);
        let mut storage = genesis_with_balances(vec![
            (ALICE, ENDOWMENT),
            (BOB, ENDOWMENT),
            (CHARLIE, ENDOWMENT),
            (DAVE, ENDOWMENT),
            (EVE, ENDOWMENT),
            (POOR, 50),
        ]);
        pallet_directives::GenesisConfig::<Test>::default()
            .assimilate_storage(&mut storage)
            .unwrap();
        let mut ext = at_block_one(storage);
        ext.execute_with(|| {
            SubnetBounds::set(Some(Directives::parameters().hyperparameter_bounds));
        });
        ext
    }
}

pallet_mindos_subnets::test_externalities!({
    Directives::do_try_state().expect("directives invariants hold");
});
