//! Configuration of each pallet in the runtime.

use frame_support::{
    derive_impl,
    dispatch::DispatchClass,
    parameter_types,
    traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
    weights::{
        constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
        ConstantMultiplier, IdentityFee, Weight,
    },
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
    traits::{Bounded, One},
    FixedPointNumber, Perbill, Perquintill,
};
use sp_version::RuntimeVersion;

use super::{
    AccountId, Aura, Balance, Balances, Block, BlockNumber, Consensus, Directives, Hash, Neurons,
    Nonce, PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
    RuntimeOrigin, RuntimeTask, Sentinels, Stake, Subnets, System, DAYS, EXISTENTIAL_DEPOSIT,
    HOURS, MICRO_MIND, MIND, SLOT_DURATION, SS58_PREFIX, VERSION,
};

/// Share of a block's weight and length that ordinary transactions may use; the rest is kept
/// for operational ones (e.g. governance and sentinel calls in later releases).
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// At most 5 MiB of extrinsics per block.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

parameter_types! {
    /// How many recent block hashes the chain keeps (mortal transactions need them).
    pub const BlockHashCount: BlockNumber = 2400;
    /// The runtime version, as `frame_system` reports it.
    pub const Version: RuntimeVersion = VERSION;

    /// Two seconds of compute per block: a third of the 6 s block time, leaving the rest for
    /// propagation and import on modest hardware.
    pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
        Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
        NORMAL_DISPATCH_RATIO,
    );
    /// Block length limit; ordinary transactions get [`NORMAL_DISPATCH_RATIO`] of it.
    pub RuntimeBlockLength: BlockLength = BlockLength::builder()
        .max_length(MAX_BLOCK_LENGTH)
        .modify_max_length_for_class(DispatchClass::Normal, |max| {
            *max = NORMAL_DISPATCH_RATIO.mul_floor(*max)
        })
        .build();
    /// See [`SS58_PREFIX`].
    pub const SS58Prefix: u16 = SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
    type Block = Block;
    type BlockWeights = RuntimeBlockWeights;
    type BlockLength = RuntimeBlockLength;
    type AccountId = AccountId;
    type Nonce = Nonce;
    type Hash = Hash;
    type BlockHashCount = BlockHashCount;
    /// The node stores state in ParityDB (no RocksDB build), so weights use its costs.
    type DbWeight = ParityDbWeight;
    type Version = Version;
    type AccountData = pallet_balances::AccountData<Balance>;
    type SS58Prefix = SS58Prefix;
    type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
    type AuthorityId = AuraId;
    type DisabledValidators = ();
    type MaxAuthorities = ConstU32<32>;
    type AllowMultipleBlocksPerSlot = ConstBool<false>;
    type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = ();
    type MaxAuthorities = ConstU32<32>;
    type MaxNominators = ConstU32<0>;
    type MaxSetIdSessionEntries = ConstU64<0>;
    // No session pallet yet, so equivocations cannot be proven against a key owner.
    type KeyOwnerProof = sp_core::Void;
    type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
    /// Milliseconds since the Unix epoch.
    type Moment = u64;
    type OnTimestampSet = Aura;
    type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
    type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
    type MaxLocks = ConstU32<50>;
    type MaxReserves = ();
    type ReserveIdentifier = [u8; 8];
    type Balance = Balance;
    type RuntimeEvent = RuntimeEvent;
    type DustRemoval = ();
    type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
    type AccountStore = System;
    type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
    type FreezeIdentifier = RuntimeFreezeReason;
    type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RuntimeFreezeReason = RuntimeFreezeReason;
    type DoneSlashHandler = ();
}

parameter_types! {
    /// Fees float with congestion (review M10): the multiplier rises while blocks are fuller
    /// than a quarter and falls back while they are emptier, never below one (the quiet-chain
    /// fees the tests pin). A block stuffed to the normal-class limit raises it by about
    /// 0.05 %: ×1.35 over an hour of such 6 s blocks, ×1,300 over a day, so sustained stuffing
    /// prices itself out while a burst costs what it always did. Validators' weights do not
    /// compete in that market at all: see `pallet_mindos_consensus::PermittedWeightsFirst`.
    pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
    pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(1, 1_000);
    pub MinimumMultiplier: Multiplier = Multiplier::one();
    pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

impl pallet_transaction_payment::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    /// Fees are withdrawn from the signer and burned (no treasury yet).
    type OnChargeTransaction = FungibleAdapter<Balances, ()>;
    type OperationalFeeMultiplier = ConstU8<5>;
    /// One planck per unit of `ref_time`. With `LengthToFee` below, a balance transfer costs
    /// under a thousandth of a MIND; the test `signed_transfer_pays_the_computed_fee` holds it
    /// there.
    type WeightToFee = IdentityFee<Balance>;
    /// One micro-MIND per byte, so large payloads pay for the block space they take.
    type LengthToFee = ConstantMultiplier<Balance, ConstU128<MICRO_MIND>>;
    type FeeMultiplierUpdate = TargetedFeeAdjustment<
        Self,
        TargetBlockFullness,
        AdjustmentVariable,
        MinimumMultiplier,
        MaximumMultiplier,
    >;
    type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// What creating a subnet burns: as much as the first subnet's lock deposit.
    pub const SubnetCreationBurn: Balance = 100 * MIND;
}

impl pallet_mindos_subnets::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    /// Governed: 100 MIND for the first live subnet at launch ...
    type BaseLockDeposit = pallet_mindos_directives::SubnetLockBase<Runtime>;
    /// ... plus 10 MIND per live subnet.
    type LockDepositPerLiveSubnet = pallet_mindos_directives::SubnetLockPerSubnet<Runtime>;
    /// Burned at every creation, never refunded. With at most one creation an hour, using
    /// up the 65,535 subnet ids would take 7.5 years and burn 6,553,500 MIND (31 % of all
    /// MIND there will ever be); see the subnets pallet's docs.
    type CreationBurn = SubnetCreationBurn;
    /// At most one subnet created per hour, network-wide.
    type SubnetCreationInterval = ConstU32<HOURS>;
    /// An owner changes a subnet's hyperparameters at most once per two of its epochs.
    type HyperparametersRateLimit = ConstU32<2>;
    /// Hyperparameters set by a passed proposal bind the owner for two weeks.
    type GovernanceCooldown = ConstU32<{ 14 * DAYS }>;
    /// With the launch increment the 128th subnet locks 1,370 MIND.
    type MaxSubnets = ConstU32<128>;
    type MaxNameLength = ConstU32<64>;
    type MaxAllowList = ConstU32<256>;
    /// No origin: the bounds change only through a directives `SetParameter` proposal
    /// (see [`SubnetsGovernanceAdapter`]), so the registry and the subnets pallet never
    /// disagree. (This closes one call to Root; on dev and test chains the sudo key can still
    /// write any storage, governed values included — see the node README.)
    type BoundsOrigin = frame_system::EnsureNever<()>;
    /// Dissolving a subnet removes its neurons, its validator permits and its consensus
    /// state (weights, bonds, records, unpaid accrual); stake stays with the stakers (it is on
    /// hotkeys, not subnets). The sentinels pallet returns every bond and deposit it held for
    /// the subnet, drops its pending slashes and clears the rest over the next blocks.
    type OnDissolve = (((Neurons, Stake), Consensus), Sentinels);
    type WeightInfo = pallet_mindos_subnets::weights::SubstrateWeight<Runtime>;
}

impl pallet_mindos_neurons::Config for Runtime {
    type Currency = Balances;
    type Subnets = Subnets;
    type Stake = Stake;
    /// Governed: registering never costs less than 1 MIND (burned) at launch ...
    type BurnFloor = pallet_mindos_directives::BurnFloor<Runtime>;
    /// ... each registration raises a subnet's burn price by 20 % ...
    type BurnIncreaseFactor = pallet_mindos_directives::BurnIncreaseFactor<Runtime>;
    /// ... and the excess over the floor halves every day without registrations.
    type BurnHalfLife = pallet_mindos_directives::BurnHalfLife<Runtime>;
    /// A neuron may re-announce its endpoint every 10 blocks (a minute at 6 s blocks).
    type ServeRateLimit = ConstU32<10>;
    /// A `serve`'s proof of its PeerId's key names a block at most 600 blocks old (an hour at
    /// 6 s blocks): ample for a transaction signed at a finalized block to land, short for a
    /// proof that leaked.
    type ServeProofValidity = ConstU32<600>;
    /// Hotkeys consent to their coldkey with the chain's own signatures (sr25519, ed25519 or
    /// ECDSA, like any account).
    type Signature = crate::Signature;
    type Signer = <crate::Signature as sp_runtime::traits::Verify>::Signer;
    /// Every key a neuron binds by serving a new PeerId is recorded by the sentinels pallet,
    /// which verifies evidence with the key a miner had when it answered, and refuses a
    /// rotation that would forget a key still usable as evidence.
    type EndpointObserver = Sentinels;
    type WeightInfo = pallet_mindos_neurons::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = pallet_mindos_neurons::SubnetsBenchmarkHelper<Runtime>;
}

parameter_types! {
    /// The smallest stake, and the smallest nomination left after a partial unstake.
    pub const MinStake: Balance = MIND;
    /// What a hotkey keeps of its nominators' dividends unless its owner lowers it; also the
    /// most it may set.
    pub const MaxTake: Perbill = Perbill::from_percent(18);
    /// Takes may rise once a day; they may fall at any time.
    pub const TakeIncreaseRateLimit: BlockNumber = DAYS;
}

impl pallet_mindos_stake::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Subnets = Subnets;
    type Neurons = Neurons;
    /// Governed: a week at launch, always longer than a vote (see the directives pallet).
    type UnbondingPeriod = pallet_mindos_directives::UnbondingPeriod<Runtime>;
    type MaxUnbondingChunks = ConstU32<32>;
    type MaxNominators = ConstU32<512>;
    /// Reading a voter's stake on a subnet touches at most 16 hotkeys.
    type MaxStakedHotkeys = ConstU32<16>;
    type MinStake = MinStake;
    type DefaultTake = MaxTake;
    type MaxTake = MaxTake;
    type TakeIncreaseRateLimit = TakeIncreaseRateLimit;
    type MaxValidatorsPerSubnet = ConstU32<MAX_VALIDATORS_PER_SUBNET>;
    /// One subnet's permit recomputation per block; others due in the same block wait.
    type MaxPermitUpdatesPerBlock = ConstU32<1>;
    /// One pending update per possible subnet.
    type MaxPendingPermitUpdates = ConstU32<128>;
    type MaxSubnets = ConstU32<128>;
    type WeightInfo = pallet_mindos_stake::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = StakeBenchmarkHelper;
}

/// Sets up the stake benchmarks in this runtime: a subnet with 4,096 slots and 64
/// validator seats (the worst case for permits), and registrations without a burn (a real one
/// would move the price; the stake benchmarks only need the hotkey to be known and on the
/// subnet).
#[cfg(feature = "runtime-benchmarks")]
pub struct StakeBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_mindos_stake::BenchmarkHelper<AccountId> for StakeBenchmarkHelper {
    fn create_subnet(
        owner: AccountId,
    ) -> Result<mindos_primitives::NetUid, sp_runtime::DispatchError> {
        use pallet_mindos_neurons::BenchmarkHelper as _;
        let netuid = pallet_mindos_neurons::SubnetsBenchmarkHelper::<Runtime>::create_subnet(
            owner,
            mindos_primitives::MAX_NEURONS_PER_SUBNET,
            0,
        )?;
        pallet_mindos_subnets::SubnetInfoOf::<Runtime>::mutate(netuid, |subnet| {
            if let Some(subnet) = subnet {
                subnet.hyperparameters.max_validators = 64;
            }
        });
        Ok(netuid)
    }

    fn register_hotkey(
        netuid: mindos_primitives::NetUid,
        coldkey: AccountId,
        hotkey: AccountId,
    ) -> Result<(), sp_runtime::DispatchError> {
        Neurons::register_for_benchmarks(netuid, coldkey, hotkey)
    }
}

impl pallet_mindos_consensus::Config for Runtime {
    type Currency = Balances;
    type Subnets = Subnets;
    type Neurons = Neurons;
    type Stake = Stake;
    type Emissions = Neurons;
    /// Governed: block emission, its halving interval and the owner/miners/validators split
    /// (1 MIND per block halving every 10,512,000 blocks, 18/41/41, at launch).
    type Parameters = Directives;
    /// Revealed salts seed the sentinel committees (the sentinels pallet's RANDAO mix) ...
    type SaltSink = Sentinels;
    /// ... and quarantined miners earn nothing in an epoch.
    type Quarantine = Sentinels;
    /// Direct weights (subnets with commit-reveal off) at most every 50 blocks.
    type WeightsRateLimit = ConstU32<50>;
    /// Epochs are staggered by netuid; a second one due in the same block waits a block.
    type MaxEpochsPerBlock = ConstU32<1>;
    /// A full subnet's miners are paid within 16 blocks of its epoch.
    type MaxPayoutsPerBlock = ConstU32<256>;
    /// Sixteen epochs of contributions per neuron.
    type HistoryDepth = ConstU32<16>;
    type MaxSubnets = ConstU32<128>;
    type WeightInfo = pallet_mindos_consensus::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = ConsensusBenchmarkHelper;
}

/// Sets up the consensus benchmarks: a subnet with 4,096 slots and 64 validator seats,
/// registrations without a burn, stake on the validators and permits computed at once.
#[cfg(feature = "runtime-benchmarks")]
pub struct ConsensusBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
// Benchmark setup only: a failed step is a broken benchmark, and the trait returns no `Result`.
#[allow(clippy::expect_used)]
impl pallet_mindos_consensus::BenchmarkHelper<AccountId> for ConsensusBenchmarkHelper {
    fn subnet_with_neurons(
        neurons: u32,
        validators: u32,
    ) -> (mindos_primitives::NetUid, alloc::vec::Vec<AccountId>) {
        use frame_support::traits::fungible::Mutate;
        use pallet_mindos_stake::BenchmarkHelper as _;
        let owner: AccountId = frame_benchmarking::account("subnet-owner", 0, 0);
        let netuid = StakeBenchmarkHelper::create_subnet(owner).expect("benchmark subnet");
        pallet_mindos_subnets::SubnetInfoOf::<Runtime>::mutate(netuid, |subnet| {
            if let Some(subnet) = subnet {
                // Unstaked neurons must not take seats: the benchmark picks the validators.
                subnet.hyperparameters.min_validator_stake = 1;
            }
        });
        let mut hotkeys = alloc::vec::Vec::new();
        for i in 0..neurons {
            let coldkey: AccountId = frame_benchmarking::account("coldkey", i, 0);
            let hotkey: AccountId = frame_benchmarking::account("hotkey", i, 0);
            Neurons::register_for_benchmarks(netuid, coldkey.clone(), hotkey.clone())
                .expect("registers");
            Balances::set_balance(&coldkey, 1_000 * MIND);
            if i < validators {
                Stake::add_stake(
                    RuntimeOrigin::signed(coldkey),
                    hotkey.clone(),
                    MIND.saturating_mul(u128::from(i).saturating_add(100)),
                )
                .expect("stakes");
            }
            hotkeys.push(hotkey);
        }
        pallet_mindos_stake::Pallet::<Runtime>::refresh_validator_permits(netuid);
        (netuid, hotkeys)
    }

    fn set_commit_reveal(netuid: mindos_primitives::NetUid, enabled: bool) {
        pallet_mindos_subnets::SubnetInfoOf::<Runtime>::mutate(netuid, |subnet| {
            if let Some(subnet) = subnet {
                subnet.hyperparameters.commit_reveal = enabled;
            }
        });
    }
    fn set_counted_stakes(netuids: &[mindos_primitives::NetUid]) {
        pallet_mindos_stake::Pallet::<Runtime>::set_counted_stakes_for_benchmarks(netuids);
    }
}

parameter_types! {
    /// A proposal puts 100 MIND on hold until it closes while fewer than four are live ...
    pub const ProposalDeposit: Balance = 100 * MIND;
    /// ... doubling with every four live proposals (12,800 MIND for the last of 32); the
    /// part above 100 MIND is burned unless the proposal passes ...
    pub const ProposalDepositDoublesEvery: u32 = 4;
    /// ... one account has at most four proposals voting ...
    pub const MaxProposalsPerAccount: u32 = 4;
    /// ... and a vote needs 10 MIND of stake behind it.
    pub const MinVotingStake: Balance = 10 * MIND;
    /// Proposals are open for three days ...
    pub const VotingPeriod: BlockNumber = 3 * DAYS;
    /// ... and enacted a day after passing ...
    pub const EnactmentDelay: BlockNumber = DAYS;
    /// ... or a week for the prime directive.
    pub const PrimeEnactmentDelay: BlockNumber = 7 * DAYS;
    /// More than half of the votes cast must be ayes ...
    pub const ApprovalThreshold: Perbill = Perbill::from_percent(50);
    /// ... two thirds for the prime directive (rounded down: exactly two thirds passes) ...
    pub PrimeApprovalThreshold: Perbill = Perbill::from_rational(2u32, 3u32);
    /// ... and more than a fifth of the scope's active stake must vote.
    pub const Quorum: Perbill = Perbill::from_percent(20);
    /// A failed proposal whose ayes stay below 1 % of the scope's stake loses its deposit.
    pub const DepositBurnThreshold: Perbill = Perbill::from_percent(1);
    /// MindOS at launch, in this build's blocks.
    pub LaunchParameters: pallet_mindos_directives::GovernedParameters<Balance, BlockNumber> =
        crate::genesis_config_presets::launch_parameters();
}

impl pallet_mindos_directives::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type VotingStake = StakeVotingAdapter;
    type Subnets = SubnetsGovernanceAdapter;
    type ProposalDeposit = ProposalDeposit;
    type ProposalDepositDoublesEvery = ProposalDepositDoublesEvery;
    type MaxProposalsPerAccount = MaxProposalsPerAccount;
    type MinVotingStake = MinVotingStake;
    type VotingPeriod = VotingPeriod;
    type EnactmentDelay = EnactmentDelay;
    type PrimeEnactmentDelay = PrimeEnactmentDelay;
    type ApprovalThreshold = ApprovalThreshold;
    type PrimeApprovalThreshold = PrimeApprovalThreshold;
    type Quorum = Quorum;
    type DepositBurnThreshold = DepositBurnThreshold;
    type MaxActiveProposals = ConstU32<32>;
    /// The 1,024 largest votes count; a coldkey with more than 0.1 % of the scope's stake
    /// always gets in (a full list evicts its smallest vote).
    type MaxVotesPerProposal = ConstU32<1024>;
    type MaxEnactmentsPerBlock = ConstU32<4>;
    type MaxDirectives = ConstU32<256>;
    type MaxTitleLength = ConstU32<128>;
    type MaxTextLength = ConstU32<4096>;
    /// The sentinel committee the next wave stores is at most 64 validators.
    type MaxCommitteeSize = ConstU32<64>;
    /// A sentinel slash waits at most 3 epochs (the 2-epoch audit window and the boundary that
    /// expires a late appeal's audit) and 2,400 blocks (that audit and the escalation its last
    /// vote may open): at the launch bounds' slowest tempo (14,400) 3 · 14,401 + 2,400 = 45,603
    /// blocks, which the registry keeps below the unbonding period (7 days: 100,800 blocks of
    /// 6 s); with 6 s blocks, raising the slowest tempo past 32,798 would need a longer
    /// unbonding period first.
    type AuditWindow = Sentinels;
    type LaunchParameters = LaunchParameters;
    type WeightInfo = pallet_mindos_directives::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = DirectivesBenchmarkHelper;
}

/// Voting stake from the stake pallet: a coldkey's active stake (unbonding stake votes
/// nowhere), on a subnet only what sits on hotkeys registered there now; the subnet quorum
/// counts the stake on the subnet at its last epoch boundary.
pub struct StakeVotingAdapter;

impl pallet_mindos_directives::VotingStake<AccountId, Balance> for StakeVotingAdapter {
    fn network_stake(coldkey: &AccountId) -> Balance {
        Stake::coldkey_stake(coldkey)
    }
    fn subnet_stake(netuid: mindos_primitives::NetUid, coldkey: &AccountId) -> Balance {
        Stake::coldkey_stake_on_subnet(netuid, coldkey)
    }
    fn total_network_stake() -> Balance {
        Stake::total_stake()
    }
    fn total_subnet_stake(netuid: mindos_primitives::NetUid) -> Balance {
        Stake::subnet_stake(netuid)
    }
}

/// What governance changes in the subnets pallet: the bounds (the only way they change) and a
/// subnet's hyperparameters within them, as its owner could.
pub struct SubnetsGovernanceAdapter;

impl pallet_mindos_directives::SubnetsGovernance<Balance> for SubnetsGovernanceAdapter {
    fn exists(netuid: mindos_primitives::NetUid) -> bool {
        pallet_mindos_subnets::SubnetInfoOf::<Runtime>::contains_key(netuid)
    }
    fn set_bounds(
        bounds: mindos_primitives::HyperparameterBounds<Balance>,
    ) -> sp_runtime::DispatchResult {
        Subnets::apply_bounds(bounds)
    }
    fn set_hyperparameters(
        netuid: mindos_primitives::NetUid,
        params: mindos_primitives::Hyperparameters<Balance>,
    ) -> sp_runtime::DispatchResult {
        Subnets::apply_hyperparameters(netuid, params)
    }
}

/// Sets up the directives benchmarks: a subnet through the real pallets, and voters whose
/// stake on it is as dear to read as it gets — each on `MaxStakedHotkeys` hotkeys registered
/// on the subnet (its own plus hotkeys of a shared pool, filled to `MaxNominators` each).
#[cfg(feature = "runtime-benchmarks")]
pub struct DirectivesBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_mindos_directives::BenchmarkHelper<AccountId, Balance> for DirectivesBenchmarkHelper {
    fn create_subnet() -> Result<mindos_primitives::NetUid, sp_runtime::DispatchError> {
        use pallet_mindos_neurons::BenchmarkHelper as _;
        let owner: AccountId = frame_benchmarking::account("subnet-owner", 0, 0);
        pallet_mindos_neurons::SubnetsBenchmarkHelper::<Runtime>::create_subnet(
            owner,
            mindos_primitives::MAX_NEURONS_PER_SUBNET,
            0,
        )
    }

    fn add_stake(
        netuid: mindos_primitives::NetUid,
        coldkey: &AccountId,
        amount: Balance,
    ) -> sp_runtime::DispatchResult {
        use frame_support::traits::{fungible::Mutate, Get};
        let amount = amount.max(MinStake::get());
        let slots = <Runtime as pallet_mindos_stake::Config>::MaxStakedHotkeys::get();
        let nominators = <Runtime as pallet_mindos_stake::Config>::MaxNominators::get();
        // A new nomination on a busy pool hotkey needs up to 128 × `MinStake`.
        Balances::set_balance(
            coldkey,
            amount
                .saturating_mul(128)
                .saturating_mul(u128::from(slots).saturating_add(1))
                .saturating_add(EXISTENTIAL_DEPOSIT),
        );
        // The coldkey's own hotkey: fresh, since the benchmarks call this once per coldkey.
        let index = u32::from(pallet_mindos_neurons::NeuronCount::<Runtime>::get(netuid));
        let own: AccountId =
            frame_benchmarking::account("voter-hotkey", index, u32::from(netuid.0));
        Neurons::register_for_benchmarks(netuid, coldkey.clone(), own.clone())?;
        Stake::add_stake(RuntimeOrigin::signed(coldkey.clone()), own, amount)?;
        // The rest of its hotkey slots on pool hotkeys of the subnet with room for a nominator.
        let pool_owner: AccountId = frame_benchmarking::account("pool-owner", 0, 0);
        let mut staked: u32 = 1;
        let mut j = 0u32;
        while staked < slots {
            let hotkey: AccountId =
                frame_benchmarking::account("pool-hotkey", j, u32::from(netuid.0));
            j = j
                .checked_add(1)
                .ok_or(sp_runtime::DispatchError::Other("pool exhausted"))?;
            if <Neurons as mindos_primitives::NeuronsInfo<AccountId>>::uid(netuid, &hotkey)
                .is_none()
            {
                Neurons::register_for_benchmarks(netuid, pool_owner.clone(), hotkey.clone())?;
            }
            if pallet_mindos_stake::NominatorCount::<Runtime>::get(&hotkey) >= nominators {
                continue;
            }
            let nomination = amount.max(Stake::new_nomination_minimum(&hotkey));
            Stake::add_stake(RuntimeOrigin::signed(coldkey.clone()), hotkey, nomination)?;
            staked = staked.saturating_add(1);
        }
        Ok(())
    }
}

parameter_types! {
    /// The worst settled slash: the stake pallet's `slash` over `MaxNominators` (512).
    pub SentinelSlashWeight: Weight =
        <pallet_mindos_stake::weights::SubstrateWeight<Runtime> as pallet_mindos_stake::WeightInfo>::slash(512);
}

/// The stake pallet's `MaxValidatorsPerSubnet`: no subnet has more validator-permit holders,
/// so no more can be sentinel candidates.
const MAX_VALIDATORS_PER_SUBNET: u32 = 64;

impl pallet_mindos_sentinels::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Subnets = Subnets;
    type Neurons = Neurons;
    type Stake = Stake;
    /// Seats are drawn by stake × the reputation consensus gave the validator's uid.
    type Reputation = Consensus;
    /// An overturned guilty vote halves the sentinel's reputation in the consensus pallet (the
    /// last epoch's value: the next draw weighs it at once, the next epoch averages on from it).
    type ReputationSink = Consensus;
    /// The third offence in 30 epochs frees the miner's uid in the neurons pallet.
    type Deregistration = Neurons;
    /// Governed: committees of 7 with a threshold of 5, a first quarantine of 2 epochs (the
    /// directives registry validates size ≥ 4, size ≤ its `MaxCommitteeSize`, 3·threshold >
    /// 2·size and threshold ≤ size; the sentinels pallet caps committees at 13 on top), and the
    /// slash rates (5 % proven, 0.01 % judged, 0.1 % overturned, 2 % cleared, ×3 correlated,
    /// 10 % to the reporter; each validated within its range).
    type Parameters = Directives;
    /// A report holds 10 MIND (ten registration burns at the floor) until its case closes:
    /// with at most two open reports per reporter, spam costs more than it can block.
    type ReportBond = ConstU128<{ 10 * MIND }>;
    /// Votes are taken for an hour (600 blocks): about a tempo of the busier subnets, ample
    /// for a member to re-execute the challenged input and vote.
    type CaseDuration = ConstU32<600>;
    /// An appeal holds 5 MIND from the miner's coldkey: returned when the verdict is
    /// overturned or the audit expires undecided, burned when it is upheld — dearer than a
    /// reflex appeal, cheap against the 5 % of stake a proven offence costs.
    type AppealDeposit = ConstU128<{ 5 * MIND }>;
    /// Audits take votes for two hours (1,200 blocks): the audit committee re-executes the
    /// stored transcripts; the convicted miner's slash waits for the audit to close.
    type AuditDuration = ConstU32<1200>;
    /// An overturn the audit committee votes is put to every permit holder of the subnet for
    /// two hours (1,200 blocks) too: time for each to re-execute the transcript; the slash
    /// keeps waiting meanwhile.
    type EscalationDuration = ConstU32<1200>;
    /// At most 8 audits open per subnet; random and split-vote audits past it are skipped
    /// (and say so in an event), appeals past it are refused until one closes.
    type MaxOpenAuditsPerSubnet = ConstU32<8>;
    /// A sanction's slash settles two sentinel epochs later (an appeal can hold it longer:
    /// the directives pallet's `AuditWindow` above counts that). The directives registry keeps
    /// the unbonding period longer than that at the slowest tempo its bounds allow, so a miner
    /// cannot unbond and withdraw before its slash (a runtime test checks the launch values).
    type AuditWindowEpochs = ConstU32<2>;
    /// A signed response is usable as evidence for 4 sentinel epochs; the neurons pallet
    /// refuses a key rotation that would forget a key still usable within them.
    type MaxEvidenceAgeEpochs = ConstU32<4>;
    /// A canary commitment stays usable for 8 sentinel epochs, then its deposit is released.
    type CanaryLifetimeEpochs = ConstU32<8>;
    /// Each canary holds 10 MIND: its committer alone chooses the expected output.
    type CanaryDeposit = ConstU128<{ 10 * MIND }>;
    /// A validator may have 8 canaries pending per subnet ...
    type MaxCanariesPerCommitter = ConstU32<8>;
    /// ... and a subnet 64 (so at least eight committers fill it).
    type MaxCanariesPerSubnet = ConstU32<64>;
    /// 16 judged cases open per subnet at once (a committee of 7 rarely needs more within
    /// one case duration) ...
    type MaxOpenCasesPerSubnet = ConstU32<16>;
    /// ... at most two of them from one reporter.
    type MaxOpenReportsPerReporter = ConstU32<2>;
    /// Every validator-permit holder is a candidate: the stake pallet grants at most 64
    /// permits per subnet, so 64 candidates never leave one out. (The draw's snapshot and
    /// hashing scale with this bound, so it is not the subnets' 4,096 neuron slots: only
    /// permit holders can sit on a committee.)
    type MaxCandidates = ConstU32<MAX_VALIDATORS_PER_SUBNET>;
    type SlashWeight = SentinelSlashWeight;
    /// One slash per block: a slash over 512 nominators weighs about 14 % of a block, so
    /// more would not leave the other hooks room (`the_heaviest_hook_block_stays_under_half_
    /// the_block`); slashes due together settle in consecutive blocks, never early.
    type MaxSlashesPerBlock = ConstU32<1>;
    /// The subnets pallet staggers epoch boundaries by netuid: at the shortest tempo (10) at
    /// most ⌈128 / 11⌉ = 12 subnets share a boundary block, and two per block clear them in
    /// 6 blocks, within that tempo (the pallet docs: a subnet still queued at its next
    /// boundary loses a draw).
    type MaxBoundariesPerBlock = ConstU32<2>;
    /// At most 32 subnets snapshot their next draw's candidates in one block (64 reads each):
    /// more boundaries in one block need 33 owners to align tempos and creation blocks, and
    /// the overflow only goes without a committee for an epoch. With all 128 snapshotting,
    /// the hooks alone could outgrow half a block (`the_heaviest_hook_block_stays_under_half_the_block`).
    type MaxSnapshotsPerBlock = ConstU32<32>;
    /// The subnets pallet's `MaxSubnets` (`integrity_test` checks it is not smaller).
    type MaxSubnets = ConstU32<128>;
    /// A dissolved subnet's per-hotkey state goes 16 entries a block (at worst 16 pending
    /// slashes, each returning up to 8 deposits and 8 bonds: about 2 % of a block): a full
    /// subnet's few thousand entries clear within an hour, and nothing live reads them.
    type MaxClearedPerBlock = ConstU32<16>;
    /// Each boundary examines at most 16 hotkeys that left the subnet: registration burns
    /// make more departures per epoch than that costly, and a longer queue only waits.
    type MaxDeparturesPerBoundary = ConstU32<16>;
    /// Generated by `scripts/benchmark.sh` from the pallet's benchmarks.
    type WeightInfo = pallet_mindos_sentinels::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = SentinelsBenchmarkHelper;
}

/// Sets up the sentinels benchmarks: the consensus benchmarks' subnet (4,096 slots, 64
/// validator seats, registrations without a burn, staked validators with permits) scoring
/// exactly, with a reputation for every uid (its last consensus epoch after the
/// registrations), so a candidate's reputation is read as on a live subnet.
#[cfg(feature = "runtime-benchmarks")]
pub struct SentinelsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_mindos_sentinels::BenchmarkHelper<AccountId> for SentinelsBenchmarkHelper {
    fn subnet(
        neurons: u32,
        validators: u32,
    ) -> (mindos_primitives::NetUid, alloc::vec::Vec<AccountId>) {
        use pallet_mindos_consensus::BenchmarkHelper as _;
        let (netuid, hotkeys) = ConsensusBenchmarkHelper::subnet_with_neurons(neurons, validators);
        pallet_mindos_subnets::SubnetInfoOf::<Runtime>::mutate(netuid, |subnet| {
            if let Some(subnet) = subnet {
                // Canaries need exact scoring.
                subnet.task.scoring_rule = mindos_primitives::ScoringRule::Correctness;
            }
        });
        // Reputation counts for uids registered before the subnet's last epoch.
        pallet_mindos_consensus::LastEpochAt::<Runtime>::insert(
            netuid,
            System::block_number().saturating_add(1),
        );
        let metrics = pallet_mindos_consensus::UidMetrics {
            reputation: Perbill::one(),
            ..Default::default()
        };
        pallet_mindos_consensus::Metrics::<Runtime>::insert(
            netuid,
            frame_support::BoundedVec::truncate_from(alloc::vec![metrics; neurons as usize]),
        );
        (netuid, hotkeys)
    }

    fn set_reputation(netuid: mindos_primitives::NetUid, uid: u16, reputation: Perbill) {
        pallet_mindos_consensus::Metrics::<Runtime>::mutate(netuid, |metrics| {
            if let Some(m) = metrics.get_mut(usize::from(uid)) {
                m.reputation = reputation;
            }
        });
    }

    fn set_committee(size: u32, threshold: u32) {
        pallet_mindos_directives::Parameters::<Runtime>::mutate(|p| {
            p.sentinel_committee_size = size;
            p.sentinel_threshold = threshold;
        });
    }
}
