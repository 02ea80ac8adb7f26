//! The decision of an escalation: when the audit committee overturns the case committee's
//! verdict, the two committees disagree, and every validator-permit holder of the subnet votes,
//! weighted by stake (`../shared/sentinels.md`, "Audit layer"; Polkadot disputes escalate an
//! approval checker's disagreement to all validators the same way).
//!
//! # Why these thresholds
//!
//! Stake, not seats, decides here: the electorate is everyone with a permit, so there is no drawn
//! committee whose size bounds the liars, only the assumption that less than a third of the
//! electorate's stake lies.
//!
//! - **Either side** needs strictly more than 2/3 of the electorate's stake (not of the votes
//!   cast): that much includes more than a third honest stake beyond any lying third, so liars
//!   alone can never overturn an honest verdict (and slash the sentinels who gave it), nor
//!   uphold a false one and burn the appellant's deposit. Honest stake above 2/3, voting
//!   together, always decides, whatever the liars do.
//! - **Deadlocked** once neither side can reach 2/3 any more (each has more than a third
//!   against it): the vote ends early, and the verdict stands as at expiry.
//! - **Undecided** at expiry (the pallet's business): the verdict stands. Abstaining therefore
//!   counts for the status quo, as a Polkadot dispute that does not conclude changes nothing;
//!   validators vote as part of their sentinel duty.
//! - Both sides at once is impossible: two shares above 2/3 would exceed the whole.
//!
//! The comparison `3s > 2T` is exact in integers for every `u128` stake: it is evaluated as
//! `s ≥ 2q + ⌊2r/3⌋ + 1` with `T = 3q + r`, which never overflows.

/// The state of an escalation after a vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EscalationVerdict {
    /// Neither side has more than 2/3, and either still can.
    Open,
    /// More than 2/3 of the electorate's stake voted to overturn: the audit's overturn stands.
    Overturn,
    /// More than 2/3 voted to uphold: the verdict stands and the appeal lost.
    Uphold,
    /// Neither side can reach 2/3 any more: the verdict stands, as at expiry.
    Deadlocked,
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

/// The smallest stake strictly above 2/3 of `total`: what either side of an escalation needs.
pub fn supermajority(total: u128) -> u128 {
    let (q, r) = (total / 3, total % 3);
    // 3o > 2T  ⇔  3(o − 2q) > 2r  ⇔  o − 2q ≥ ⌊2r/3⌋ + 1; 2q ≤ 2T/3 cannot overflow.
    q.saturating_mul(2)
        .saturating_add(u128::from(r == 2))
        .saturating_add(1)
}

/// The escalation's state with `overturn` and `uphold` stake voted out of the electorate's
/// `total` (module docs).
pub fn escalation_verdict(
    overturn: u128,
    uphold: u128,
    total: u128,
) -> Result<EscalationVerdict, EscalationError> {
    if total == 0 {
        return Err(EscalationError::NoStake);
    }
    let cast = overturn
        .checked_add(uphold)
        .filter(|cast| *cast <= total)
        .ok_or(EscalationError::MoreVotesThanStake)?;
    let threshold = supermajority(total);
    // What either side could still reach: its votes and everything not cast.
    let open = total.saturating_sub(cast);
    Ok(if overturn >= threshold {
        EscalationVerdict::Overturn
    } else if uphold >= threshold {
        EscalationVerdict::Uphold
    } else if overturn.saturating_add(open) < threshold && uphold.saturating_add(open) < threshold {
        EscalationVerdict::Deadlocked
    } else {
        EscalationVerdict::Open
    })
}
