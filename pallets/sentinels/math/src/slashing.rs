//! Slash amounts and their exact settlement.
//!
//! # Why these rates
//!
//! Every rate is a governed parameter: the directives registry holds them (each validated in
//! a stated range, the correlated worst case at most 100%) and the sentinels pallet reads them
//! as a [`SlashRates`]; the functions here take them as input and stay exact for any rates.
//! [`SlashRates::default`] is the launch value, each default anchored in a running system (see
//! `shared/sentinels.md`):
//!
//! | offence | default | anchor |
//! |---|---|---|
//! | miner, self-verifying evidence (a), (b) | 5% | Cosmos double-sign slash |
//! | miner, judged (c) | 0.01% (plus the quarantine) | Cosmos downtime slash |
//! | sentinel who voted for a quarantine the audit overturns | 0.1% | Polkadot `AgainstValid` |
//! | sentinel who cleared a miner later proven bad | 2% | Polkadot `ForInvalidApproved` |
//! | ≥ f + 1 of one committee overturned together | ×3, at most 100% | Ethereum correlation penalty |
//! | reporter reward | 10% of the miner's slash | Polkadot `slashRewardFraction` |
//!
//! Proven offences are slashed hard because the evidence cannot be wrong; judged ones lightly
//! because a committee can be. A sentinel that clears a bad miner is slashed 20× more than one
//! that accuses wrongly: covering for a miner is the profitable lie. Correlated errors are tripled
//! because one honest mistake is individual, while `f + 1` members wrong together is more than
//! the tolerated liars and looks like collusion.
//!
//! # Exactness
//!
//! Amounts round **down** (`Perbill::mul_floor`), so nobody is slashed more than the rate says.
//! Every [`Settlement`] satisfies `slashed == reporter_reward + burned` exactly, and a [`Refund`]
//! of an overturned slash returns exactly `slashed`: no unit is created or lost.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_arithmetic::{PerThing, Perbill};

use crate::committee::CommitteeSize;

/// The slash rates, as governed (the directives registry's `sentinel_*_slash`,
/// `sentinel_correlation_factor` and `sentinel_reporter_share`); `Default` is the launch value.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct SlashRates {
    /// Miner caught by self-verifying evidence (equivocation, canary). Default 5%.
    pub miner_self_verifying: Perbill,
    /// Miner quarantined by a judged vote. Default 0.01%.
    pub miner_judged: Perbill,
    /// Sentinel that voted for a quarantine the audit overturned. Default 0.1%.
    pub overturned_sentinel: Perbill,
    /// Sentinel that cleared a miner later proven bad. Default 2%.
    pub cleared_bad_miner: Perbill,
    /// Multiplier on sentinel rates when at least `f + 1` of one committee are overturned
    /// together (saturating at 100%). Default 3.
    pub correlation_factor: u32,
    /// Share of a miner's slash paid to the reporter. Default 10%.
    pub reporter_reward: Perbill,
}

impl Default for SlashRates {
    fn default() -> Self {
        Self {
            miner_self_verifying: Perbill::from_percent(5),
            miner_judged: Perbill::from_parts(100_000),
            overturned_sentinel: Perbill::from_parts(1_000_000),
            cleared_bad_miner: Perbill::from_percent(2),
            correlation_factor: 3,
            reporter_reward: Perbill::from_percent(10),
        }
    }
}

/// What is slashed.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum Offence {
    /// Miner, equivocation or canary failure.
    MinerSelfVerifying,
    /// Miner, quarantined by a judged vote.
    MinerJudged,
    /// Sentinel whose guilty vote the audit overturned.
    OverturnedSentinel {
        /// At least `f + 1` of its committee overturned together ([`correlated`]).
        correlated: bool,
    },
    /// Sentinel that voted not guilty on a miner later proven bad.
    ClearedBadMiner {
        /// At least `f + 1` of its committee cleared it together ([`correlated`]).
        correlated: bool,
    },
}

impl Offence {
    /// Whether the offender is a miner (whose slash pays a reporter).
    pub fn is_miner(&self) -> bool {
        matches!(self, Self::MinerSelfVerifying | Self::MinerJudged)
    }
}

/// Whether `overturned` members of one committee of `size` erred together enough to triple their
/// slash: at least `f + 1`.
pub fn correlated(size: CommitteeSize, overturned: u8) -> bool {
    overturned >= size.blocking()
}

/// The rate applied to `offence`: the base rate, times `correlation_factor` for a correlated
/// sentinel offence, at most 100%.
pub fn slash_rate(rates: &SlashRates, offence: Offence) -> Perbill {
    let (base, correlated) = match offence {
        Offence::MinerSelfVerifying => (rates.miner_self_verifying, false),
        Offence::MinerJudged => (rates.miner_judged, false),
        Offence::OverturnedSentinel { correlated } => (rates.overturned_sentinel, correlated),
        Offence::ClearedBadMiner { correlated } => (rates.cleared_bad_miner, correlated),
    };
    if !correlated {
        return base;
    }
    let parts = base
        .deconstruct()
        .saturating_mul(rates.correlation_factor)
        .min(Perbill::ACCURACY);
    Perbill::from_parts(parts)
}

/// How one slash is paid out.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct Settlement {
    /// Taken from the offender's bonded stake.
    pub slashed: u128,
    /// Paid to the reporter (miner offences with a reporter only).
    pub reporter_reward: u128,
    /// Burned: `slashed − reporter_reward`.
    pub burned: u128,
}

/// The settlement of `offence` against `bonded` stake; `has_reporter` when someone reported a
/// miner offence and is paid from it (ignored for sentinel offences, which are all burned).
///
/// `slashed = ⌊rate · bonded⌋`, `reporter_reward = ⌊reporter_rate · slashed⌋`,
/// `burned = slashed − reporter_reward`.
pub fn settle(
    rates: &SlashRates,
    offence: Offence,
    bonded: u128,
    has_reporter: bool,
) -> Settlement {
    let slashed = slash_rate(rates, offence).mul_floor(bonded);
    let reporter_reward = if has_reporter && offence.is_miner() {
        rates.reporter_reward.mul_floor(slashed)
    } else {
        0
    };
    Settlement {
        slashed,
        reporter_reward,
        // Perbill ≤ 1, so reporter_reward ≤ slashed and this is exact.
        burned: slashed.saturating_sub(reporter_reward),
    }
}

/// Undoing a settlement whose verdict the audit overturned.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct Refund {
    /// Returned to the offender: exactly what was slashed.
    pub returned: u128,
    /// Taken back from the reporter (from its reward or its bond).
    pub from_reporter: u128,
    /// Re-minted: exactly what was burned.
    pub reminted: u128,
}

/// The refund of `settlement`: `returned == settlement.slashed == from_reporter + reminted`.
pub fn refund(settlement: &Settlement) -> Refund {
    Refund {
        returned: settlement.reporter_reward.saturating_add(settlement.burned),
        from_reporter: settlement.reporter_reward,
        reminted: settlement.burned,
    }
}
