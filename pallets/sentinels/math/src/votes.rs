//! Tallies of a judged case (offence class (c)) and the choice of cases to audit.
//!
//! # Why these thresholds
//!
//! With at most `f` liars among `n ≥ 3f + 1` members:
//!
//! - **Safety**: `2f + 1` guilty votes include at least `f + 1` honest ones, so liars alone can
//!   never quarantine an honest miner.
//! - **Liveness**: the honest members are at least `2f + 1`, so a guilty miner is quarantined even
//!   if `f` members stay silent or vote not guilty.
//! - **Dismissal** at `f + 1` not-guilty votes ([`verdict`], the audit committee's rule): that
//!   many include an honest member, so the verdict is at least disputed among honest members.
//!   Expiry dismisses too (nothing stays open forever).
//!
//! A judged *case* ([`case_verdict`]) also asks whether the report was false: `2f + 1`
//! not-guilty votes include at least `f + 1` honest members who re-executed the input and found
//! the miner right, so the case is **refuted** and the reporter forfeits its bond (Polkadot's
//! disputes conclude the same way, at a supermajority either side). To give the honest members
//! the chance to refute, a case stays open after `f + 1` not-guilty votes while a refutation is
//! still reachable; it is dismissed (bond returned) only when neither side can reach its
//! threshold, or at expiry. A blocking coalition therefore no longer closes a case before the
//! honest members vote: their guilty votes make the dismissal split, and the audit sees it.
//!
//! A vote is **split** when at least `f + 1` members voted against its outcome: more dissent than
//! liars alone explain, so honest members disagree and the audit committee looks at it.
//!
//! # Random audits
//!
//! Besides appeals and split votes, a random share (default 10%) of judged quarantines is
//! audited, picked by the seed so nobody knows in advance which: a captured committee risks being
//! overturned (and slashed) on any case it forces.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_arithmetic::Perbill;

use crate::{
    committee::CommitteeSize,
    seed::{hash_concat, Seed, AUDIT_PICK_DOMAIN},
};

/// Default share of judged quarantines audited at random.
pub const DEFAULT_AUDIT_RATE: Perbill = Perbill::from_percent(10);

/// One member's vote on a judged case. Members that do not vote are silent.
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
pub enum Vote {
    /// The miner misbehaved.
    Guilty,
    /// The miner answered correctly.
    NotGuilty,
}

/// Votes cast so far on one case.
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
pub struct Tally {
    /// Guilty votes.
    pub guilty: u8,
    /// Not-guilty votes.
    pub not_guilty: u8,
}

impl Tally {
    /// Counts one vote (saturating; the pallet lets each member vote once).
    pub fn record(&mut self, vote: Vote) {
        match vote {
            Vote::Guilty => self.guilty = self.guilty.saturating_add(1),
            Vote::NotGuilty => self.not_guilty = self.not_guilty.saturating_add(1),
        }
    }

    /// Votes cast.
    pub fn cast(&self) -> u16 {
        u16::from(self.guilty).saturating_add(u16::from(self.not_guilty))
    }
}

/// The state of a judged case.
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
pub enum Verdict {
    /// Neither threshold is reached and the case has not expired.
    Open,
    /// `2f + 1` guilty votes: quarantine the miner.
    Quarantine,
    /// `f + 1` not-guilty votes, or expiry without a quarantine.
    Dismissed,
}

/// Why a tally cannot be judged.
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
pub enum VoteError {
    /// More votes than seats.
    TooManyVotes,
}

impl core::fmt::Display for VoteError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("more votes than committee seats")
    }
}

/// The verdict on `tally` for a committee of `size`, `expired` once the deadline passed: the
/// audit committee's rule, where a guilty vote is one to overturn (judged cases use
/// [`case_verdict`], which can also refute a report).
///
/// Guilty `≥ 2f + 1` → [`Verdict::Quarantine`]; else not guilty `≥ f + 1` → [`Verdict::Dismissed`];
/// else expired → [`Verdict::Dismissed`]; else [`Verdict::Open`]. The pallet re-evaluates after
/// every vote and closes at the first non-open verdict. Both thresholds at once is only
/// possible when `n > 3f + 1`; the quarantine then stands, because `2f + 1` guilty votes hold an
/// honest majority of the guilty side, and the vote is split so it is audited.
pub fn verdict(size: CommitteeSize, tally: Tally, expired: bool) -> Result<Verdict, VoteError> {
    if tally.cast() > u16::from(size.n()) {
        return Err(VoteError::TooManyVotes);
    }
    Ok(if tally.guilty >= size.threshold() {
        Verdict::Quarantine
    } else if tally.not_guilty >= size.blocking() || expired {
        Verdict::Dismissed
    } else {
        Verdict::Open
    })
}

/// Whether at least `f + 1` members voted against `verdict` (a split vote, audited). An open case
/// is never split.
pub fn is_split(size: CommitteeSize, tally: Tally, verdict: Verdict) -> bool {
    let dissent = match verdict {
        Verdict::Open => return false,
        Verdict::Quarantine => tally.not_guilty,
        Verdict::Dismissed => tally.guilty,
    };
    dissent >= size.blocking()
}

/// Whether case `case` is among the `rate` share of judged quarantines audited at random:
/// `r < rate · 2⁶⁴` for the word `r` of `blake2_256("mindos/sentinel/audit-pick" ‖ seed ‖ case)`.
/// `seed` should not be known when the committee votes (e.g. the committee seed of a later
/// epoch), so members cannot tell which cases will be audited.
pub fn randomly_audited(seed: &Seed, case: u64, rate: Perbill) -> bool {
    let digest = hash_concat(&[AUDIT_PICK_DOMAIN, seed, &case.to_le_bytes()]);
    let mut word = [0u8; 8];
    for (w, d) in word.iter_mut().zip(digest.iter()) {
        *w = *d;
    }
    let r = u128::from(u64::from_le_bytes(word));
    // rate · 2⁶⁴ = parts · 2⁶⁴ / 10⁹; exact comparison r · 10⁹ < parts · 2⁶⁴.
    let parts = u128::from(rate.deconstruct()).min(1_000_000_000);
    r.saturating_mul(1_000_000_000) < parts.saturating_mul(1 << 64)
}

/// Where a judged case stands after a vote ([`case_verdict`]).
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
pub enum CaseVerdict {
    /// A threshold is still within reach and the case has not expired.
    Open,
    /// The case's threshold of guilty votes: quarantine the miner.
    Quarantine,
    /// `2f + 1` not-guilty votes: the report was false and its bond is forfeited.
    Refuted,
    /// Neither side can reach its threshold any more, or the case expired: the bond is returned.
    Dismissed,
}

impl CaseVerdict {
    /// The outcome in the terms of [`verdict`] (for [`is_split`] and [`audit_reason`]): a
    /// refutation is a dismissal.
    pub fn as_verdict(self) -> Verdict {
        match self {
            CaseVerdict::Open => Verdict::Open,
            CaseVerdict::Quarantine => Verdict::Quarantine,
            CaseVerdict::Refuted | CaseVerdict::Dismissed => Verdict::Dismissed,
        }
    }
}

/// The state of a judged case on a committee of `size` whose guilty threshold is `threshold`
/// (clamped to `2f + 1 ..= n`; the governed threshold may exceed `2f + 1`), `expired` once its
/// voting period ended.
///
/// Guilty `≥ threshold` → [`CaseVerdict::Quarantine`]; else not guilty `≥ 2f + 1` →
/// [`CaseVerdict::Refuted`]; else expired, or both out of reach with the seats still to vote →
/// [`CaseVerdict::Dismissed`]; else [`CaseVerdict::Open`]. The pallet re-evaluates after every
/// vote and closes the case at the first non-open state. A refutation needs `2f + 1`, not the
/// governed threshold: that already takes `f + 1` honest members, and a higher bar would let
/// a false reporter keep its bond more often without making an honest one safer.
pub fn case_verdict(
    size: CommitteeSize,
    threshold: u8,
    tally: Tally,
    expired: bool,
) -> Result<CaseVerdict, VoteError> {
    let n = u16::from(size.n());
    let cast = tally.cast();
    if cast > n {
        return Err(VoteError::TooManyVotes);
    }
    let convict = u16::from(threshold.clamp(size.threshold(), size.n()));
    let refute = u16::from(size.threshold());
    let remaining = n.saturating_sub(cast);
    let guilty = u16::from(tally.guilty);
    let not_guilty = u16::from(tally.not_guilty);
    Ok(if guilty >= convict {
        CaseVerdict::Quarantine
    } else if not_guilty >= refute {
        CaseVerdict::Refuted
    } else if expired
        || (guilty.saturating_add(remaining) < convict
            && not_guilty.saturating_add(remaining) < refute)
    {
        CaseVerdict::Dismissed
    } else {
        CaseVerdict::Open
    })
}

/// Why a case goes to the audit committee.
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
pub enum AuditReason {
    /// The miner (or a member) appealed.
    Appeal,
    /// At least `f + 1` members dissented from the outcome.
    SplitVote,
    /// A judged quarantine picked at random.
    Random,
}

/// Whether a closed case is audited, and why (appeal first, then split vote, then the random
/// pick, which applies to judged quarantines only). `None` for open cases and cases not picked.
pub fn audit_reason(
    size: CommitteeSize,
    tally: Tally,
    verdict: Verdict,
    appealed: bool,
    audit_seed: &Seed,
    case: u64,
    rate: Perbill,
) -> Option<AuditReason> {
    match verdict {
        Verdict::Open => None,
        _ if appealed => Some(AuditReason::Appeal),
        _ if is_split(size, tally, verdict) => Some(AuditReason::SplitVote),
        Verdict::Quarantine if randomly_audited(audit_seed, case, rate) => {
            Some(AuditReason::Random)
        }
        _ => None,
    }
}
