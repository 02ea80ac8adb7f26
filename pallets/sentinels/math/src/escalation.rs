//! The decision of an escalation: when the audit committee overturns the case committee's
//! verdict, the two committees disagree, and every validator-permit holder of the subnet votes,
//! weighted by stake (`../shared/sentinels.md`, "Audit layer"; Polkadot disputes escalate an
//! approval checker's disagreement to all validators the same way).
//!
//! # Why these thresholds
//!
//! Stake, not seats, decides here: the electorate is everyone with a permit, so there is no drawn
//! committee whose size bounds the liars, only the assumption that less than a third of the
//! subnet's validator stake lies (the same one the committee draw's capture bound rests on).
//!
//! - **Overturn** at strictly more than 2/3 of the electorate's stake: that much includes more
//!   than a third honest stake beyond any lying third, so liars alone can never overturn an honest
//!   verdict and slash the sentinels who gave it.
//! - **Uphold** at 1/3 or more against: the overturn can then no longer reach its supermajority,
//!   so the vote ends early. Liars holding a third can therefore block an overturn; that is the
//!   safe side to fail on (the verdict, reached by `2f + 1` of a committee, stands).
//! - Both at once is impossible: `o > 2T/3` and `u ≥ T/3` would need `o + u > T`.
//! - Undecided at expiry, the verdict stands (the pallet's business, not this function's).
//!
//! The comparisons are exact in integers for every `u128` stake: `3o > 2T` is evaluated as
//! `o ≥ 2q + ⌊2r/3⌋ + 1` with `T = 3q + r`, which never overflows.

/// The state of an escalation after a vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EscalationVerdict {
    /// Neither threshold reached yet.
    Open,
    /// More than 2/3 of the electorate's stake voted to overturn: the audit's overturn stands.
    Overturn,
    /// At least 1/3 voted to uphold: the verdict stands.
    Uphold,
}

/// Why an escalation's tally cannot be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EscalationError {
    /// The votes cast hold more stake than the electorate.
    MoreVotesThanStake,
    /// The electorate holds no stake: nothing can decide (the pallet does not escalate then).
    NoStake,
}

impl core::fmt::Display for EscalationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::MoreVotesThanStake => "the votes hold more stake than the electorate",
            Self::NoStake => "the electorate holds no stake",
        })
    }
}

/// The smallest stake strictly above 2/3 of `total`.
pub fn overturn_threshold(total: u128) -> u128 {
    let (q, r) = (total / 3, total % 3);
    // 3o > 2T  ⇔  3(o − 2q) > 2r  ⇔  o − 2q ≥ ⌊2r/3⌋ + 1; 2q ≤ 2T/3 cannot overflow.
    q.saturating_mul(2)
        .saturating_add(u128::from(r == 2))
        .saturating_add(1)
}

/// The smallest stake of at least 1/3 of `total` (`⌈T/3⌉`).
pub fn uphold_threshold(total: u128) -> u128 {
    (total / 3).saturating_add(u128::from(!total.is_multiple_of(3)))
}

/// The escalation's state with `overturn` and `uphold` stake voted out of the electorate's
/// `total`. Overturn is checked first, though both cannot hold at once (module docs).
pub fn escalation_verdict(
    overturn: u128,
    uphold: u128,
    total: u128,
) -> Result<EscalationVerdict, EscalationError> {
    if total == 0 {
        return Err(EscalationError::NoStake);
    }
    if overturn.checked_add(uphold).is_none_or(|cast| cast > total) {
        return Err(EscalationError::MoreVotesThanStake);
    }
    Ok(if overturn >= overturn_threshold(total) {
        EscalationVerdict::Overturn
    } else if uphold >= uphold_threshold(total) {
        EscalationVerdict::Uphold
    } else {
        EscalationVerdict::Open
    })
}
