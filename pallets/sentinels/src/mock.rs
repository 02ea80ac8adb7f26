//! A minimal runtime for the sentinels pallet's tests: balances for bonds and rewards, and
//! in-memory fakes of the subnets, neurons, stake, reputation, deregistration and
//! governed-parameter interfaces, which the tests change between calls.
//!
//! The test subnet [`NET`] reaches an epoch boundary every [`Tempo`] blocks (10). Nine
//! validators ([`VALIDATORS`], uids 0..=8) hold permits and 1,000 stake each; two miners
//! ([`MINER_A`] at uid 10 and [`MINER_B`] at uid 11) served Ed25519 keys ([`miner_pair`],
//! reported to the pallet as the neurons pallet will: [`bind_key`]) before epoch 0. Every
//! hotkey `h` is owned by the coldkey `h + 100`.

use crate as pallet_sentinels;
use alloc::collections::BTreeMap;
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64},
    weights::Weight,
};
use mindos_primitives::{
    EndpointObserver, Hyperparameters, Modality, NetUid, NeuronDeregistration, NeuronsInfo,
    Perbill, ReputationInfo, ScoringRule, SentinelParameters, SlashRates, StakeInfo, SubnetsInfo,
    TaskSpec,
};
use sp_core::{ed25519, Pair};

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Sentinels: pallet_sentinels,
    }
);

pallet_mindos_subnets::test_system_config!();
pallet_mindos_subnets::test_balances_config!();

/// The test subnet.
pub(crate) const NET: NetUid = NetUid(1);
/// A second live subnet, with nobody on it.
pub(crate) const OTHER_NET: NetUid = NetUid(2);
/// Validator hotkeys, at uids 0..=8 of [`NET`].
pub(crate) const VALIDATORS: [AccountId; 9] = [11, 12, 13, 14, 15, 16, 17, 18, 19];
/// A miner at uid [`UID_A`].
pub(crate) const MINER_A: AccountId = 21;
/// A miner at uid [`UID_B`].
pub(crate) const MINER_B: AccountId = 22;
/// [`MINER_A`]'s uid.
pub(crate) const UID_A: u16 = 10;
/// [`MINER_B`]'s uid.
pub(crate) const UID_B: u16 = 11;
/// A funded account with no permit and no neuron.
pub(crate) const OUTSIDER: AccountId = 99;
/// The model every test subnet pins (what [`crate::tests::challenge`] names).
pub(crate) const MODEL: [u8; 32] = [7; 32];

/// A subnet's task: [`MODEL`], scored by `scoring_rule`.
pub(crate) fn task(scoring_rule: ScoringRule) -> TaskSpec {
    TaskSpec {
        modality: Modality::Bytes,
        model_digest: MODEL,
        input_schema: 1,
        output_schema: 1,
        scoring_rule,
    }
}

/// Free balance of every hotkey and coldkey at genesis.
pub(crate) const ENDOWMENT: Balance = 10_000;
/// Stake of every validator at genesis.
pub(crate) const VALIDATOR_STAKE: Balance = 1_000;
/// Stake of every miner at genesis.
pub(crate) const MINER_STAKE: Balance = 1_000_000;
/// `ReportBond`.
pub(crate) const BOND: Balance = 100;
/// `CaseDuration`.
pub(crate) const CASE_DURATION: u64 = 15;
/// `CanaryDeposit`.
pub(crate) const CANARY_DEPOSIT: Balance = 40;
/// The appeal deposit.
pub(crate) const APPEAL_DEPOSIT: Balance = 300;
/// Blocks an audit takes votes for.
pub(crate) const AUDIT_DURATION: u64 = 12;
/// Blocks an escalation takes votes for.
pub(crate) const ESCALATION_DURATION: u64 = 45;

/// The coldkey owning hotkey `hotkey`.
pub(crate) fn owner(hotkey: AccountId) -> AccountId {
    hotkey + 100
}

/// The Ed25519 mesh key of the miner at `uid`.
pub(crate) fn miner_pair(uid: u16) -> ed25519::Pair {
    ed25519::Pair::from_seed(&[u8::try_from(uid).unwrap(); 32])
}

parameter_types! {
    /// Owners other than the default `hotkey + 100`.
    pub static OwnerOverrides: BTreeMap<AccountId, AccountId> = BTreeMap::new();
    /// Live subnets.
    pub static LiveSubnets: Vec<NetUid> = Vec::new();
    /// The subnets pallet's `MaxSubnets`.
    pub static SubnetsCap: u32 = 8;
    /// Each live subnet's task (exact scoring, [`MODEL`], when absent).
    pub static Tasks: BTreeMap<NetUid, TaskSpec> = BTreeMap::new();
    /// Blocks from one epoch boundary to the next, for every subnet.
    pub static Tempo: u64 = 10;
    /// The hotkey in each `(netuid, uid)` slot.
    pub static Slots: BTreeMap<(NetUid, u16), AccountId> = BTreeMap::new();
    /// Active stake per hotkey.
    pub static StakeOf: BTreeMap<AccountId, Balance> = BTreeMap::new();
    /// `(netuid, hotkey)` pairs holding a validator permit.
    pub static Permits: Vec<(NetUid, AccountId)> = Vec::new();
    /// Reputation per slot (full when absent).
    pub static Reputations: BTreeMap<(NetUid, u16), Perbill> = BTreeMap::new();
    /// Slots freed by force, in order.
    pub static Deregistered: Vec<(NetUid, u16)> = Vec::new();
    /// Makes forced deregistration fail.
    pub static RefuseDeregistration: bool = false;
    /// `(hotkey, share, burned)` of every slash, in order.
    pub static Slashes: Vec<(AccountId, Perbill, Balance)> = Vec::new();
    /// Makes a slash also burn what it takes from the hotkey's free balance (as the stake
    /// pallet burns held stake), so issuance falls as on the real chain.
    pub static BurnFromBalances: bool = false;
    /// Governed committee size.
    pub static CommitteeSizeParam: u32 = 7;
    /// Governed threshold.
    pub static ThresholdParam: u32 = 5;
    /// Governed first quarantine length.
    pub static QuarantineEpochsParam: u32 = 2;
    /// Governed slash rates.
    pub static SlashRatesParam: SlashRates = SlashRates::default();
    /// `MaxBoundariesPerBlock`.
    pub static MaxBoundaries: u32 = 4;
    pub static MaxSnapshots: u32 = 8;
    /// `SlashWeight`.
    pub static SlashWeight: Weight = Weight::from_parts(1_000_000_000, 0);
    /// `AuditWindowEpochs`.
    pub static AuditWindow: u32 = 2;
    /// `(netuid, hotkey, share)` of every reputation cut, in order.
    pub static ReputationCuts: Vec<(NetUid, AccountId, Perbill)> = Vec::new();
    /// `MaxClearedPerBlock`.
    pub static ClearedPerBlock: u32 = 64;
    /// `MaxDeparturesPerBoundary`.
    pub static DeparturesPerBoundary: u32 = 4;
}

/// Subnets from [`LiveSubnets`], each at a boundary every [`Tempo`] blocks.
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeSubnets;
impl SubnetsInfo<AccountId, Balance> for FakeSubnets {
    fn exists(netuid: NetUid) -> bool {
        LiveSubnets::get().contains(&netuid)
    }

    fn owner(_netuid: NetUid) -> Option<AccountId> {
        None
    }

    fn hyperparameters(netuid: NetUid) -> Option<Hyperparameters<Balance>> {
        Self::exists(netuid).then(pallet_mindos_subnets::testing::hyperparameters)
    }

    fn allows_registration(netuid: NetUid, _hotkey: &AccountId) -> bool {
        Self::exists(netuid)
    }

    fn netuids() -> Vec<NetUid> {
        LiveSubnets::get()
    }

    fn epochs_due(block: u64) -> Vec<NetUid> {
        if block == 0 || !block.is_multiple_of(Tempo::get()) {
            return Vec::new();
        }
        LiveSubnets::get()
    }

    fn max_subnets() -> u32 {
        SubnetsCap::get()
    }

    fn task(netuid: NetUid) -> Option<TaskSpec> {
        Self::exists(netuid).then(|| {
            Tasks::get()
                .get(&netuid)
                .cloned()
                .unwrap_or(task(ScoringRule::Correctness))
        })
    }
}

/// Registrations from [`Slots`]; hotkey `h` is owned by `h + 100` unless [`OwnerOverrides`]
/// says otherwise.
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeNeurons;
impl NeuronsInfo<AccountId> for FakeNeurons {
    fn hotkey_owner(hotkey: &AccountId) -> Option<AccountId> {
        Some(
            OwnerOverrides::get()
                .get(hotkey)
                .copied()
                .unwrap_or(owner(*hotkey)),
        )
    }

    fn neurons(netuid: NetUid) -> Vec<(u16, AccountId)> {
        Slots::get()
            .into_iter()
            .filter(|((n, _), _)| *n == netuid)
            .map(|((_, uid), hotkey)| (uid, hotkey))
            .collect()
    }

    fn uid(netuid: NetUid, hotkey: &AccountId) -> Option<u16> {
        Self::neurons(netuid)
            .into_iter()
            .find(|(_, h)| h == hotkey)
            .map(|(uid, _)| uid)
    }

    fn hotkey(netuid: NetUid, uid: u16) -> Option<AccountId> {
        Slots::get().get(&(netuid, uid)).copied()
    }

    fn registered_at(_netuid: NetUid) -> Vec<u64> {
        Vec::new()
    }
}

/// Stake from [`StakeOf`] and [`Permits`]; slashes burn from [`StakeOf`] and are recorded in
/// [`Slashes`].
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeStake;
impl StakeInfo<AccountId, Balance> for FakeStake {
    fn hotkey_stake(hotkey: &AccountId) -> Balance {
        StakeOf::get().get(hotkey).copied().unwrap_or(0)
    }

    fn counted_stakes() -> Vec<(NetUid, Balance)> {
        Vec::new()
    }

    fn stake_weights(netuid: NetUid) -> Vec<(u16, Balance)> {
        FakeNeurons::neurons(netuid)
            .into_iter()
            .map(|(uid, hotkey)| (uid, Self::hotkey_stake(&hotkey)))
            .collect()
    }

    fn has_validator_permit(netuid: NetUid, hotkey: &AccountId) -> bool {
        Permits::get().contains(&(netuid, *hotkey))
    }

    fn slash(hotkey: &AccountId, share: Perbill) -> Balance {
        let stake = Self::hotkey_stake(hotkey);
        let burned = share.mul_floor(stake);
        StakeOf::mutate(|s| {
            s.insert(*hotkey, stake - burned);
        });
        if BurnFromBalances::get() {
            use frame_support::traits::{
                fungible::Mutate,
                tokens::{Fortitude, Precision, Preservation},
            };
            Balances::burn_from(
                hotkey,
                burned,
                Preservation::Expendable,
                Precision::Exact,
                Fortitude::Force,
            )
            .expect("the test gave the hotkey its stake as free balance");
        }
        Slashes::mutate(|s| s.push((*hotkey, share, burned)));
        burned
    }

    /// Highest stake first, as the stake pallet lists them.
    fn validators(netuid: NetUid) -> Vec<AccountId> {
        let mut validators: Vec<AccountId> = Permits::get()
            .into_iter()
            .filter(|(n, _)| *n == netuid)
            .map(|(_, hotkey)| hotkey)
            .collect();
        validators.sort_by_key(|h| core::cmp::Reverse(Self::hotkey_stake(h)));
        validators
    }

    fn reward(_hotkey: &AccountId, amount: Balance) -> Balance {
        amount
    }
}

/// Records every reputation cut in [`ReputationCuts`].
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeReputationSink;
impl crate::ReputationSink<AccountId> for FakeReputationSink {
    fn cut(netuid: NetUid, hotkey: &AccountId, share: Perbill) {
        ReputationCuts::mutate(|c| c.push((netuid, *hotkey, share)));
    }
}

/// Reputation from [`Reputations`].
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeReputation;
impl ReputationInfo for FakeReputation {
    fn reputation(netuid: NetUid, uid: u16) -> Perbill {
        Reputations::get()
            .get(&(netuid, uid))
            .copied()
            .unwrap_or(Perbill::one())
    }
}

/// The hotkey in `uid`'s slot of `netuid` serves a PeerId naming `key`: what the neurons
/// pallet's `serve` reports to the sentinels pallet. Panics if the pallet refuses the binding.
pub(crate) fn bind_key(netuid: NetUid, uid: u16, key: [u8; 32]) {
    let hotkey = FakeNeurons::hotkey(netuid, uid).expect("a neuron serves");
    assert!(
        <Sentinels as EndpointObserver<AccountId>>::on_key_bound(netuid, &hotkey, key),
        "binding refused"
    );
}

/// Frees a slot of [`Slots`], unless [`RefuseDeregistration`].
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeDeregistration;
impl NeuronDeregistration for FakeDeregistration {
    fn deregister(netuid: NetUid, uid: u16) -> bool {
        if RefuseDeregistration::get() || Slots::mutate(|s| s.remove(&(netuid, uid))).is_none() {
            return false;
        }
        Deregistered::mutate(|d| d.push((netuid, uid)));
        true
    }

    fn max_weight() -> Weight {
        Weight::from_parts(50_000_000, 0)
    }
}

/// Governed parameters from their statics.
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct FakeParameters;
impl SentinelParameters for FakeParameters {
    fn committee_size() -> u32 {
        CommitteeSizeParam::get()
    }

    fn threshold() -> u32 {
        ThresholdParam::get()
    }

    fn quarantine_epochs() -> u32 {
        QuarantineEpochsParam::get()
    }

    fn slash_rates() -> SlashRates {
        SlashRatesParam::get()
    }
}

impl pallet_sentinels::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Subnets = FakeSubnets;
    type Neurons = FakeNeurons;
    type Stake = FakeStake;
    type Reputation = FakeReputation;
    type ReputationSink = FakeReputationSink;
    type Deregistration = FakeDeregistration;
    type Parameters = FakeParameters;
    type ReportBond = ConstU64<BOND>;
    type AppealDeposit = ConstU64<APPEAL_DEPOSIT>;
    type AuditDuration = ConstU64<AUDIT_DURATION>;
    type EscalationDuration = ConstU64<ESCALATION_DURATION>;
    type MaxOpenAuditsPerSubnet = ConstU32<2>;
    type CaseDuration = ConstU64<CASE_DURATION>;
    type AuditWindowEpochs = AuditWindow;
    type MaxEvidenceAgeEpochs = ConstU32<2>;
    type CanaryLifetimeEpochs = ConstU32<4>;
    type CanaryDeposit = ConstU64<CANARY_DEPOSIT>;
    type MaxCanariesPerCommitter = ConstU32<2>;
    type MaxCanariesPerSubnet = ConstU32<3>;
    type MaxOpenCasesPerSubnet = ConstU32<4>;
    type MaxOpenReportsPerReporter = ConstU32<2>;
    type SlashWeight = SlashWeight;
    type MaxSlashesPerBlock = ConstU32<2>;
    type MaxCandidates = ConstU32<64>;
    type MaxBoundariesPerBlock = MaxBoundaries;
    type MaxSnapshotsPerBlock = MaxSnapshots;
    type MaxSubnets = ConstU32<8>;
    type MaxClearedPerBlock = ClearedPerBlock;
    type MaxDeparturesPerBoundary = DeparturesPerBoundary;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockBenchmarkHelper;
}

/// Benchmark setup on the fakes: a new live subnet whose hotkeys are `1_000_000 · netuid + uid`
/// (so each is owned by a coldkey of its own, `hotkey + 100`), the first `validators` staked
/// and holding permits.
#[cfg(feature = "runtime-benchmarks")]
#[allow(unreachable_pub)] // named in the public `Config` impl of the mock runtime
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
    fn subnet(neurons: u32, validators: u32) -> (NetUid, Vec<AccountId>) {
        let netuid = NetUid(LiveSubnets::get().iter().map(|n| n.0).max().unwrap_or(0) + 1);
        LiveSubnets::mutate(|live| live.push(netuid));
        let base = 1_000_000 * u64::from(netuid.0);
        let hotkeys: Vec<AccountId> = (0..u64::from(neurons)).map(|uid| base + uid).collect();
        Slots::mutate(|slots| {
            for (uid, hotkey) in (0u16..).zip(&hotkeys) {
                slots.insert((netuid, uid), *hotkey);
            }
        });
        let validators = &hotkeys[..validators as usize];
        StakeOf::mutate(|stake| {
            for (extra, hotkey) in (0..).zip(validators) {
                stake.insert(*hotkey, VALIDATOR_STAKE + extra);
            }
        });
        Permits::mutate(|permits| permits.extend(validators.iter().map(|h| (netuid, *h))));
        (netuid, hotkeys)
    }

    fn set_reputation(netuid: NetUid, uid: u16, reputation: Perbill) {
        Reputations::mutate(|r| {
            r.insert((netuid, uid), reputation);
        });
    }

    fn set_committee(size: u32, threshold: u32) {
        CommitteeSizeParam::set(size);
        ThresholdParam::set(threshold);
    }
}

/// Builds the test chain described in the module docs, at block 1 (sentinel epoch 0, no
/// committee yet).
#[derive(Default)]
pub(crate) struct ExtBuilder {
    skip_try_state: bool,
}

impl ExtBuilder {
    pub(crate) fn build(self) -> sp_io::TestExternalities {
        // The fakes keep their state in thread-locals: start every test from the same.
        LiveSubnets::set(vec![NET, OTHER_NET]);
        Tasks::set(BTreeMap::new());
        SubnetsCap::set(8);
        Tempo::set(10);
        let mut slots = BTreeMap::new();
        let mut stake = BTreeMap::new();
        let mut permits = Vec::new();
        for (uid, hotkey) in (0u16..).zip(VALIDATORS) {
            slots.insert((NET, uid), hotkey);
            stake.insert(hotkey, VALIDATOR_STAKE);
            permits.push((NET, hotkey));
        }
        for (uid, hotkey) in [(UID_A, MINER_A), (UID_B, MINER_B)] {
            slots.insert((NET, uid), hotkey);
            stake.insert(hotkey, MINER_STAKE);
        }
        Slots::set(slots);
        OwnerOverrides::set(BTreeMap::new());
        StakeOf::set(stake);
        Permits::set(permits);
        Reputations::set(BTreeMap::new());
        Deregistered::set(Vec::new());
        RefuseDeregistration::set(false);
        Slashes::set(Vec::new());
        BurnFromBalances::set(false);
        CommitteeSizeParam::set(7);
        ThresholdParam::set(5);
        QuarantineEpochsParam::set(2);
        SlashRatesParam::set(SlashRates::default());
        MaxBoundaries::set(4);
        MaxSnapshots::set(8);
        SlashWeight::set(Weight::from_parts(1_000_000_000, 0));
        AuditWindow::set(2);
        ReputationCuts::set(Vec::new());
        ClearedPerBlock::set(64);
        DeparturesPerBoundary::set(4);

        let mut accounts: Vec<AccountId> = VALIDATORS.to_vec();
        accounts.extend([MINER_A, MINER_B, OUTSIDER]);
        let coldkeys: Vec<AccountId> = accounts.iter().map(|h| owner(*h)).collect();
        accounts.extend(coldkeys);
        let balances = accounts.into_iter().map(|a| (a, ENDOWMENT)).collect();
        let mut ext = at_block_one(genesis_with_balances(balances));
        // The miners served their keys before the chain's first sentinel epoch.
        ext.execute_with(|| {
            for uid in [UID_A, UID_B] {
                bind_key(NET, uid, miner_pair(uid).public().0);
            }
        });
        ext
    }
}

pallet_mindos_subnets::test_externalities!({
    Sentinels::do_try_state().expect("sentinel invariants hold");
});

/// The benchmarks' chain: [`new_test_ext`] with an in-memory keystore, in which the benchmarks
/// generate the miners' Ed25519 keys and sign their responses (a node's benchmark command has
/// one too).
#[cfg(feature = "runtime-benchmarks")]
pub(crate) fn new_bench_ext() -> sp_io::TestExternalities {
    let mut ext = new_test_ext();
    ext.register_extension(sp_keystore::KeystoreExt::new(
        sp_keystore::testing::MemoryKeystore::new(),
    ));
    ext
}
