//! The governed parameters: one typed registry ([`GovernedParameters`]), the single change a
//! `SetParameter` proposal makes to it ([`ParameterValue`]), and the checks that keep it
//! sensible ([`GovernedParameters::validate`]). Storage-free, so it is tested without a
//! runtime.
//!
//! Each parameter is declared once, in the `governed_parameters!` table below: its field, launch
//! value, variant and `Get` adapter (`table.rs` generates the rest). Every rule lives in
//! [`GovernedParameters::validate`], and a proposal is checked by applying its change to a copy
//! of the registry and validating the copy: the same code runs at `propose` (so nonsense is
//! refused before anyone votes on it) and again at enactment.
//!
//! Adding a parameter: an entry at the end of the table, a rule in `validate` (and a
//! [`ParameterError`] variant, appended) if it has one, and the runtime wiring of its adapter.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::marker::PhantomData;
use frame_support::traits::Get;
use mindos_consensus_math::EmissionSplit;
use mindos_primitives::{
    HyperparameterBounds, Hyperparameters, Range, DAY_OF_6S_BLOCKS, MAX_NEURONS_PER_SUBNET, MIND,
};
use mindos_sentinels_math::SlashRates;
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::{
    traits::{AtLeast32BitUnsigned, One, Zero},
    FixedU128, PerThing, Perbill, SaturatedConversion,
};

mod table;
use table::governed_parameters;

/// The smallest sentinel committee governance may set: with fewer than four members a
/// two-thirds threshold cannot tolerate a single faulty member (`n ≥ 3f + 1`).
pub const MIN_COMMITTEE_SIZE: u32 = 4;

/// The kappa governance may set. At 50 % no stake minority can move a miner's consensus out
/// of the range the majority's weights span, in either direction (the consensus math's
/// property tests); above it, withholding weights from a miner needs only `1 − kappa` of the
/// stake, so the range stops at two thirds: zeroing a miner always takes more than a third.
/// Kappa is not a subnet hyperparameter because an owner could otherwise bend it for its own
/// miners (at 25 % a 30 % stake minority lifted its miner's consensus 40-fold).
pub const KAPPA_RANGE: Range<Perbill> = Range {
    min: Perbill::from_percent(50),
    max: Perbill::from_parts(666_666_667),
};

/// The share of a miner's stake a proven offence may cost. Evidence that proves itself cannot
/// be wrong, so up to all of it; at least 1 %, or equivocating would cost little more than the
/// quarantine.
pub const PROVEN_SLASH_RANGE: Range<Perbill> = Range {
    min: Perbill::from_percent(1),
    max: Perbill::from_percent(100),
};

/// The share of a miner's stake a judged conviction may cost: at most 1 %, as a committee can
/// be captured (≈ 0.5 % of committees of 7 at 20 % adversarial weight, `shared/sentinels.md`)
/// and its verdict be wrong; zero leaves the quarantine as the whole penalty.
pub const JUDGED_SLASH_RANGE: Range<Perbill> = Range {
    min: Perbill::from_percent(0),
    max: Perbill::from_percent(1),
};

/// The share of a sentinel's stake one wrong vote may cost before correlation: at most half.
pub const SENTINEL_SLASH_RANGE: Range<Perbill> = Range {
    min: Perbill::from_percent(0),
    max: Perbill::from_percent(50),
};

/// The correlation multiplier: at least 1 (correlated errors never cost less than one) and at
/// most 10, a multiplier of the base rate rather than a penalty of its own. The product with
/// each sentinel rate must also stay at most 100 %
/// ([`ParameterError::CorrelatedSlashAboveWholeStake`]).
pub const CORRELATION_FACTOR_RANGE: Range<u32> = Range { min: 1, max: 10 };

/// The reporter's share of a miner's slash: at most half, so a validator reporting its own
/// (or a colluding) miner always loses at least half of what is slashed.
pub const REPORTER_SHARE_RANGE: Range<Perbill> = Range {
    min: Perbill::from_percent(0),
    max: Perbill::from_percent(50),
};

/// The shortest activity cutoff: a validator committing every epoch reveals up to two tempos
/// before the epoch that reads its weights.
pub const MIN_ACTIVITY_CUTOFF: u32 = 2;

/// The defaults below count days of 6 s blocks, whatever the build's block time.
const DAY: u32 = DAY_OF_6S_BLOCKS;

/// The `serde` shape of [`EmissionSplit`] (the math crate has no `serde`): three Perbills.
#[derive(Serialize, Deserialize)]
#[serde(remote = "EmissionSplit")]
struct EmissionSplitDef {
    owner: Perbill,
    miners: Perbill,
    validators: Perbill,
}

// MindOS at launch (6 s blocks, 12 decimals): emission 18/41/41, 1 MIND per block halving
// every 10,512,000 blocks (two years), registration burn ×1.2 per registration decaying to a
// 1 MIND floor with a one-day half-life, subnet locks of 100 MIND plus 10 MIND per live subnet,
// a seven-day unbonding period, and sentinel committees of 7 with a threshold of 5, two
// quarantine epochs and the sentinel slash rates of `mindos-sentinels-math` (5 % proven,
// 0.01 % judged, 0.1 % and 2 % for sentinels proven wrong, ×3 correlated, 10 % to the
// reporter).
//
// Append only: SCALE encodes the fields and variants by position (see `table.rs`).
governed_parameters! {
    /// Owner / miners / validators split of each epoch's emission; sums to exactly 100%.
    #[serde(with = "EmissionSplitDef")]
    emission_split: EmissionSplit = EmissionSplit::default() => EmissionSplit as EmissionSplitOf;
    /// New issuance per block before any halving.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    block_emission: Balance = mind(1) => BlockEmission as BlockEmission;
    /// Blocks between two halvings of the block emission (counted from genesis); positive.
    halving_interval: BlockNumber = BlockNumber::from(10_512_000u32)
        => HalvingInterval as HalvingInterval;
    /// What each registration multiplies a subnet's registration burn by; above one.
    burn_increase_factor: FixedU128 = FixedU128::from_rational(6, 5)
        => BurnIncreaseFactor as BurnIncreaseFactor;
    /// Blocks in which the burn's excess over the floor halves; positive.
    burn_half_life: BlockNumber = BlockNumber::from(DAY) => BurnHalfLife as BurnHalfLife;
    /// The lowest registration burn; positive, or a subnet's price could stay zero forever.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    burn_floor: Balance = mind(1) => BurnFloor as BurnFloor;
    /// Lock deposit of the first live subnet; positive, or subnets cost nothing to spam.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    subnet_lock_base: Balance = mind(100) => SubnetLockBase as SubnetLockBase;
    /// Extra lock deposit for every subnet already live.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    subnet_lock_per_subnet: Balance = mind(10) => SubnetLockPerSubnet as SubnetLockPerSubnet;
    /// Blocks unbonding stake stays held; longer than the voting period (see the crate docs:
    /// stake that voted must not be spendable elsewhere before the vote closes).
    unbonding_period: BlockNumber = BlockNumber::from(DAY.saturating_mul(7))
        => UnbondingPeriod as UnbondingPeriod;
    /// The ranges subnet owners must keep their hyperparameters in: non-empty and within hard
    /// limits. Enacting them also sets them in the subnets pallet, which holds owners to them.
    hyperparameter_bounds: HyperparameterBounds<Balance> = launch_hyperparameter_bounds()
        => HyperparameterBounds as HyperparameterBoundsOf;
    /// Sentinel committee size and threshold, set together (each constrains the other).
    SentinelCommittee {
        /// Members of a sentinel committee; at least [`MIN_COMMITTEE_SIZE`].
        sentinel_committee_size: u32 = 7 => size as SentinelCommitteeSize;
        /// Members that must agree before a sentinel verdict stands: more than two thirds of
        /// the committee (`3 · threshold > 2 · size`) and at most all of it.
        sentinel_threshold: u32 = 5 => threshold as SentinelThreshold;
    }
    /// Epochs a first offence's quarantine lasts (a second within 30 epochs doubles it); at
    /// least one. 2, issue 19's target: a garbage miner is out within 2 epochs.
    sentinel_quarantine_epochs: u32 = 2 => SentinelQuarantineEpochs as SentinelQuarantineEpochs;
    /// Share of a miner's sentinel slash paid to whoever reported it (a canary's committer);
    /// within [`REPORTER_SHARE_RANGE`]. 10 %, Polkadot's `slashRewardFraction`.
    sentinel_reporter_share: Perbill = SlashRates::default().reporter_reward
        => SentinelReporterShare as SentinelReporterShare;
    /// A subnet's hyperparameters, within the governed bounds; only in `Subnet` scope.
    SubnetHyperparameters(Hyperparameters<Balance>) outside the registry;
    /// Share of validator stake that must back a weight for it to count in consensus, the same
    /// on every subnet: from [`KAPPA_RANGE`]'s 50 % (below it a stake minority lifts its own
    /// miners) to its two thirds (above, a third of stake zeroes any miner by withholding).
    kappa: Perbill = Perbill::from_percent(50) => Kappa as Kappa;
    /// Epochs a validator's last weights count for; an inactive validator's stake and weights
    /// leave the epoch and its bonds decay. At least [`MIN_ACTIVITY_CUTOFF`].
    activity_cutoff: u32 = mindos_primitives::LAUNCH_ACTIVITY_CUTOFF
        => ActivityCutoff as ActivityCutoff;
    /// Share of a miner's stake slashed for an offence that proves itself (equivocation, a
    /// canary failure); within [`PROVEN_SLASH_RANGE`]. 5 %, the Cosmos double-sign slash.
    sentinel_proven_slash: Perbill = SlashRates::default().miner_self_verifying
        => SentinelProvenSlash as SentinelProvenSlash;
    /// Share of a miner's stake slashed for a judged offence (a committee's `2f + 1` guilty
    /// votes), on top of the quarantine; within [`JUDGED_SLASH_RANGE`]. 0.01 %, the Cosmos
    /// downtime slash.
    sentinel_judged_slash: Perbill = SlashRates::default().miner_judged
        => SentinelJudgedSlash as SentinelJudgedSlash;
    /// Share of a sentinel's stake slashed when an audit overturns the conviction it voted
    /// for; within [`SENTINEL_SLASH_RANGE`]. 0.1 %, Polkadot's former `AgainstValid`.
    sentinel_overturned_slash: Perbill = SlashRates::default().overturned_sentinel
        => SentinelOverturnedSlash as SentinelOverturnedSlash;
    /// Share of a sentinel's stake slashed when an audit convicts a miner it voted to clear;
    /// within [`SENTINEL_SLASH_RANGE`]. 2 %, Polkadot's `ForInvalidApproved`: covering for a
    /// miner is the profitable lie, so it costs 20 times a wrong accusation.
    sentinel_cleared_slash: Perbill = SlashRates::default().cleared_bad_miner
        => SentinelClearedSlash as SentinelClearedSlash;
    /// What the two sentinel rates are multiplied by when at least `f + 1` members of one
    /// committee are proven wrong together; within [`CORRELATION_FACTOR_RANGE`], and the
    /// product stays at most 100 %. 3, Ethereum's correlation penalty.
    sentinel_correlation_factor: u32 = SlashRates::default().correlation_factor
        => SentinelCorrelationFactor as SentinelCorrelationFactor;
}

/// `n` MIND in planck.
fn mind<Balance: AtLeast32BitUnsigned>(n: u128) -> Balance {
    Balance::saturated_from(n.saturating_mul(MIND))
}

/// The launch ranges for subnet hyperparameters (the registry's default, and the subnets
/// pallet's genesis bounds in the runtime).
pub fn launch_hyperparameter_bounds<Balance: AtLeast32BitUnsigned>() -> HyperparameterBounds<Balance>
{
    HyperparameterBounds {
        // From 10 blocks (a minute) to a day.
        tempo: Range {
            min: 10,
            max: 14_400,
        },
        max_neurons: Range {
            min: 1,
            max: MAX_NEURONS_PER_SUBNET,
        },
        max_validators: Range { min: 1, max: 64 },
        // Up to a week of immunity.
        immunity_period: Range {
            min: 0,
            max: DAY.saturating_mul(7),
        },
        // A permit always needs stake (review M11): at least 1 MIND.
        min_validator_stake: Range {
            min: mind(1),
            max: mind(1_000_000),
        },
    }
}

/// Where the `Get` adapters (e.g. [`BurnFloor`]) read the registry: the pallet implements it
/// for every runtime, reading its storage, so `BurnFloor<Runtime>` is a `Get<Balance>`.
pub trait ParameterSource {
    /// The registry's balance type.
    type Balance;
    /// The registry's block number type.
    type BlockNumber;
    /// The registry as it is now.
    fn parameters() -> GovernedParameters<Self::Balance, Self::BlockNumber>;
}

/// Why a registry (or the change a proposal would make to it) is refused; the pallet reports
/// it as `Error::InvalidParameter`. Append only: the chain client decodes it by position.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    frame_support::PalletError,
)]
pub enum ParameterError {
    /// The emission split does not sum to exactly 100%.
    EmissionSplitNotHundredPercent,
    /// The halving interval is zero.
    ZeroHalvingInterval,
    /// The burn increase factor is not above one.
    BurnIncreaseNotAboveOne,
    /// The burn half-life is zero.
    ZeroBurnHalfLife,
    /// The burn floor is zero.
    ZeroBurnFloor,
    /// The base subnet lock deposit is zero.
    ZeroSubnetLockBase,
    /// The unbonding period is not longer than the voting period.
    UnbondingNotLongerThanVoting,
    /// A hyperparameter range is empty or beyond a hard limit.
    InvalidHyperparameterBounds,
    /// The sentinel committee has fewer than [`MIN_COMMITTEE_SIZE`] members.
    CommitteeTooSmall,
    /// The sentinel committee has more members than the runtime allows.
    CommitteeTooLarge,
    /// The sentinel threshold is not above two thirds of the committee.
    ThresholdNotSupermajority,
    /// The sentinel threshold exceeds the committee size.
    ThresholdAboveCommittee,
    /// Quarantine lasts zero epochs.
    ZeroQuarantineEpochs,
    /// Subnet hyperparameters are set on a subnet, not in the network registry.
    NotANetworkParameter,
    /// Kappa is outside [`KAPPA_RANGE`] (50 % to two thirds).
    KappaOutOfRange,
    /// The activity cutoff is shorter than [`MIN_ACTIVITY_CUTOFF`] epochs.
    ActivityCutoffTooShort,
    /// The unbonding period does not outlast the longest wait of a sentinel slash (the audit
    /// window at the slowest tempo the hyperparameter bounds allow): an offender could
    /// withdraw its stake before its slash settles.
    UnbondingNotLongerThanAuditWindow,
    /// The proven-offence slash is outside [`PROVEN_SLASH_RANGE`] (1 % to 100 %).
    ProvenSlashOutOfRange,
    /// The judged-offence slash is outside [`JUDGED_SLASH_RANGE`] (0 to 1 %).
    JudgedSlashOutOfRange,
    /// A sentinel slash (overturned or cleared) is outside [`SENTINEL_SLASH_RANGE`] (0 to
    /// 50 %).
    SentinelSlashOutOfRange,
    /// The correlation factor is outside [`CORRELATION_FACTOR_RANGE`] (1 to 10).
    CorrelationFactorOutOfRange,
    /// A sentinel slash times the correlation factor is above 100 % of the stake.
    CorrelatedSlashAboveWholeStake,
    /// The reporter's share is outside [`REPORTER_SHARE_RANGE`] (0 to 50 %).
    ReporterShareOutOfRange,
}

/// Limits of a registry that come from the runtime, not from governance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParameterLimits<BlockNumber> {
    /// The voting period; the unbonding period must be longer.
    pub voting_period: BlockNumber,
    /// The largest sentinel committee the runtime's storage bounds allow.
    pub max_committee_size: u32,
    /// Subnet epochs a sentinel slash can wait after its sanction, at most
    /// ([`mindos_primitives::AuditWindow::epochs`]).
    pub audit_window_epochs: u32,
    /// Blocks it can wait on top ([`mindos_primitives::AuditWindow::extra_blocks`]).
    pub audit_window_blocks: u64,
}

impl<BlockNumber> ParameterLimits<BlockNumber> {
    /// The most blocks a sentinel slash can wait after its sanction when no subnet's tempo
    /// exceeds `max_tempo`: an epoch is at most `tempo + 1` blocks
    /// ([`mindos_primitives::is_epoch_boundary`]). Saturates (a window that large fails the
    /// unbonding rule anyway).
    pub fn audit_window_at(&self, max_tempo: u16) -> u64 {
        u64::from(self.audit_window_epochs)
            .saturating_mul(u64::from(max_tempo).saturating_add(1))
            .saturating_add(self.audit_window_blocks)
    }
}

/// Whether `threshold` of `size` members is a valid sentinel threshold: more than two thirds
/// (`3 · threshold > 2 · size`) and at most `size`.
pub fn check_sentinel_threshold(size: u32, threshold: u32) -> Result<(), ParameterError> {
    // u32 × 3 fits in u64, so the products are exact.
    if u64::from(threshold).saturating_mul(3) <= u64::from(size).saturating_mul(2) {
        return Err(ParameterError::ThresholdNotSupermajority);
    }
    if threshold > size {
        return Err(ParameterError::ThresholdAboveCommittee);
    }
    Ok(())
}

impl<Balance, BlockNumber> GovernedParameters<Balance, BlockNumber>
where
    Balance: AtLeast32BitUnsigned,
    BlockNumber: AtLeast32BitUnsigned,
{
    /// Checks every rule, naming the first one broken.
    pub fn validate(&self, limits: &ParameterLimits<BlockNumber>) -> Result<(), ParameterError> {
        use ParameterError::*;
        self.emission_split
            .validate()
            .map_err(|_| EmissionSplitNotHundredPercent)?;
        if self.halving_interval.is_zero() {
            return Err(ZeroHalvingInterval);
        }
        if self.burn_increase_factor <= FixedU128::one() {
            return Err(BurnIncreaseNotAboveOne);
        }
        if self.burn_half_life.is_zero() {
            return Err(ZeroBurnHalfLife);
        }
        if self.burn_floor.is_zero() {
            return Err(ZeroBurnFloor);
        }
        if self.subnet_lock_base.is_zero() {
            return Err(ZeroSubnetLockBase);
        }
        if self.unbonding_period <= limits.voting_period {
            return Err(UnbondingNotLongerThanVoting);
        }
        if !self.hyperparameter_bounds.is_valid() {
            return Err(InvalidHyperparameterBounds);
        }
        // Checked against the whole registry, so a proposal that raises the slowest tempo past
        // the unbonding period is refused as well as one that shortens the period.
        let audit_window = limits.audit_window_at(self.hyperparameter_bounds.tempo.max);
        if self.unbonding_period.clone().saturated_into::<u64>() <= audit_window {
            return Err(UnbondingNotLongerThanAuditWindow);
        }
        if self.sentinel_committee_size < MIN_COMMITTEE_SIZE {
            return Err(CommitteeTooSmall);
        }
        if self.sentinel_committee_size > limits.max_committee_size {
            return Err(CommitteeTooLarge);
        }
        check_sentinel_threshold(self.sentinel_committee_size, self.sentinel_threshold)?;
        if self.sentinel_quarantine_epochs == 0 {
            return Err(ZeroQuarantineEpochs);
        }
        if !KAPPA_RANGE.contains(&self.kappa) {
            return Err(KappaOutOfRange);
        }
        if self.activity_cutoff < MIN_ACTIVITY_CUTOFF {
            return Err(ActivityCutoffTooShort);
        }
        self.validate_slash_rates()
    }

    /// The sentinel slash rules: each rate in its range, the factor in its range, and the
    /// worst single slash (a sentinel rate times the factor) at most 100 % of the stake.
    fn validate_slash_rates(&self) -> Result<(), ParameterError> {
        use ParameterError::*;
        if !PROVEN_SLASH_RANGE.contains(&self.sentinel_proven_slash) {
            return Err(ProvenSlashOutOfRange);
        }
        if !JUDGED_SLASH_RANGE.contains(&self.sentinel_judged_slash) {
            return Err(JudgedSlashOutOfRange);
        }
        let sentinel_rates = [self.sentinel_overturned_slash, self.sentinel_cleared_slash];
        if !sentinel_rates
            .iter()
            .all(|r| SENTINEL_SLASH_RANGE.contains(r))
        {
            return Err(SentinelSlashOutOfRange);
        }
        if !CORRELATION_FACTOR_RANGE.contains(&self.sentinel_correlation_factor) {
            return Err(CorrelationFactorOutOfRange);
        }
        // Exact in u64 (at most 5·10⁸ parts × 10 once the ranges hold), and compared before any
        // clamping: the math crate's `slash_rate` would clamp an excess to 100 % silently.
        let factor = u64::from(self.sentinel_correlation_factor);
        let whole = u64::from(Perbill::ACCURACY);
        if sentinel_rates
            .iter()
            .any(|r| u64::from(r.deconstruct()).saturating_mul(factor) > whole)
        {
            return Err(CorrelatedSlashAboveWholeStake);
        }
        if !REPORTER_SHARE_RANGE.contains(&self.sentinel_reporter_share) {
            return Err(ReporterShareOutOfRange);
        }
        Ok(())
    }

    /// The sentinel slash rates, as the sentinels pallet applies them.
    pub fn sentinel_slash_rates(&self) -> SlashRates {
        SlashRates {
            miner_self_verifying: self.sentinel_proven_slash,
            miner_judged: self.sentinel_judged_slash,
            overturned_sentinel: self.sentinel_overturned_slash,
            cleared_bad_miner: self.sentinel_cleared_slash,
            correlation_factor: self.sentinel_correlation_factor,
            reporter_reward: self.sentinel_reporter_share,
        }
    }

    /// New issuance at `block`: the block emission halved once per elapsed halving interval.
    pub fn block_emission_at(&self, block: u64) -> Balance {
        let interval: u64 = self.halving_interval.clone().saturated_into();
        let halvings = block.checked_div(interval).unwrap_or(0);
        // 128 halvings take any u128 to zero.
        if halvings >= 128 {
            return Balance::zero();
        }
        let mut emission = self.block_emission.clone();
        for _ in 0..halvings {
            emission = emission
                .checked_div(&Balance::from(2u32))
                .unwrap_or_else(Zero::zero);
        }
        emission
    }
}

#[cfg(test)]
mod tests;
