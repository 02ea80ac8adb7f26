//! Verdicts by hand, the quorum's safety and liveness over random epochs, split votes and the
//! random audit rate.

use proptest::prelude::*;

use super::*;
use crate::{
    audit_reason, case_verdict, is_split, randomly_audited, verdict, AuditReason, CaseVerdict,
    CommitteeSize, Tally, Verdict, Vote, VoteError, DEFAULT_AUDIT_RATE,
};

fn tally(guilty: u8, not_guilty: u8) -> Tally {
    Tally { guilty, not_guilty }
}

#[test]
fn verdicts_by_hand() {
    let seven = CommitteeSize::default();
    let v = |g, ng, expired| verdict(seven, tally(g, ng), expired);
    assert_eq!(v(5, 0, false), Ok(Verdict::Quarantine));
    assert_eq!(v(5, 2, true), Ok(Verdict::Quarantine));
    assert_eq!(v(4, 2, false), Ok(Verdict::Open));
    assert_eq!(v(4, 3, false), Ok(Verdict::Dismissed));
    assert_eq!(v(0, 3, false), Ok(Verdict::Dismissed));
    assert_eq!(v(4, 0, true), Ok(Verdict::Dismissed));
    assert_eq!(v(0, 0, false), Ok(Verdict::Open));
    assert_eq!(v(5, 3, false), Err(VoteError::TooManyVotes));
    let four = CommitteeSize::new(4).unwrap();
    assert_eq!(verdict(four, tally(3, 0), false), Ok(Verdict::Quarantine));
    assert_eq!(verdict(four, tally(2, 1), false), Ok(Verdict::Open));
    assert_eq!(verdict(four, tally(2, 2), false), Ok(Verdict::Dismissed));
    // n = 8 > 3f + 1: both thresholds at once; the quarantine stands and the vote is split.
    let eight = CommitteeSize::new(8).unwrap();
    assert_eq!(verdict(eight, tally(5, 3), false), Ok(Verdict::Quarantine));
    assert!(is_split(eight, tally(5, 3), Verdict::Quarantine));

    assert!(!is_split(seven, tally(5, 2), Verdict::Quarantine));
    assert!(is_split(seven, tally(3, 3), Verdict::Dismissed));
    assert!(!is_split(seven, tally(2, 3), Verdict::Dismissed));
    assert!(!is_split(seven, tally(4, 2), Verdict::Open));

    let mut t = Tally::default();
    t.record(Vote::Guilty);
    t.record(Vote::NotGuilty);
    t.record(Vote::Guilty);
    assert_eq!((t, t.cast()), (tally(2, 1), 3));

    let s = seed(0);
    let r = DEFAULT_AUDIT_RATE;
    assert_eq!(
        audit_reason(seven, tally(5, 0), Verdict::Quarantine, true, &s, 0, r),
        Some(AuditReason::Appeal)
    );
    assert_eq!(
        audit_reason(seven, tally(3, 3), Verdict::Dismissed, false, &s, 0, r),
        Some(AuditReason::SplitVote)
    );
    assert_eq!(
        audit_reason(seven, tally(2, 0), Verdict::Open, true, &s, 0, r),
        None
    );
    // Random audits pick judged quarantines only.
    assert_eq!(
        audit_reason(
            seven,
            tally(5, 0),
            Verdict::Quarantine,
            false,
            &s,
            0,
            Perbill::one()
        ),
        Some(AuditReason::Random)
    );
    assert_eq!(
        audit_reason(
            seven,
            tally(0, 3),
            Verdict::Dismissed,
            false,
            &s,
            0,
            Perbill::one()
        ),
        None
    );
    assert!(!randomly_audited(&s, 0, Perbill::zero()));
}

/// A committee of random size with some liars and some silent members, each vote arriving in a
/// random order; the pallet re-tallies after every vote and closes at the first non-open
/// verdict, or at expiry.
struct Epoch {
    size: CommitteeSize,
    /// Votes in arrival order (silent members absent).
    votes: Vec<Vote>,
}

impl Epoch {
    fn new(size: CommitteeSize, mut votes: Vec<Vote>, rng: &mut SplitMix) -> Self {
        for i in (1..votes.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            votes.swap(i, j);
        }
        Self { size, votes }
    }

    /// The verdict the case closes with.
    fn close(&self) -> Verdict {
        let mut t = Tally::default();
        for &v in &self.votes {
            t.record(v);
            let now = verdict(self.size, t, false).unwrap();
            if now != Verdict::Open {
                return now;
            }
        }
        verdict(self.size, t, true).unwrap()
    }
}

fn random_size(rng: &mut SplitMix) -> CommitteeSize {
    CommitteeSize::new(4 + rng.below(10) as u8).unwrap()
}

/// Safety: over 1,000 random epochs, with up to f liars voting guilty on an honest miner and the
/// honest members voting not guilty or staying silent, the miner is never quarantined.
#[test]
fn liars_never_quarantine_an_honest_miner() {
    let mut rng = SplitMix(1);
    let mut dismissed = 0;
    for epoch in 0..1_000 {
        let size = random_size(&mut rng);
        let f = size.f();
        let liars = if epoch % 2 == 0 {
            f
        } else {
            rng.below(u64::from(f) + 1) as u8
        };
        let honest = size.n() - liars;
        let voting = rng.below(u64::from(honest) + 1) as u8;
        let mut votes = vec![Vote::Guilty; usize::from(liars)];
        votes.extend(vec![Vote::NotGuilty; usize::from(voting)]);
        let e = Epoch::new(size, votes, &mut rng);
        let v = e.close();
        assert_ne!(
            v,
            Verdict::Quarantine,
            "epoch {epoch}: n {} with {liars} liars quarantined an honest miner",
            size.n()
        );
        if v == Verdict::Dismissed {
            dismissed += 1;
        }
    }
    assert_eq!(dismissed, 1_000);
}

/// Liveness: over 1,000 random epochs, with up to f members faulty (silent, or voting not guilty)
/// and every honest member voting guilty, the guilty miner is quarantined before expiry.
#[test]
fn honest_majority_always_quarantines_a_guilty_miner() {
    let mut rng = SplitMix(2);
    for epoch in 0..1_000 {
        let size = random_size(&mut rng);
        let f = size.f();
        let faulty = if epoch % 2 == 0 {
            f
        } else {
            rng.below(u64::from(f) + 1) as u8
        };
        let lying = rng.below(u64::from(faulty) + 1) as u8;
        let honest = size.n() - faulty;
        let mut votes = vec![Vote::Guilty; usize::from(honest)];
        votes.extend(vec![Vote::NotGuilty; usize::from(lying)]);
        let e = Epoch::new(size, votes, &mut rng);
        assert_eq!(
            e.close(),
            Verdict::Quarantine,
            "epoch {epoch}: n {} with {faulty} faulty ({lying} lying) did not quarantine",
            size.n()
        );
    }
}

#[test]
fn case_verdicts_by_hand() {
    let four = CommitteeSize::new(4).unwrap();
    let c4 = |g, ng, expired| case_verdict(four, 3, tally(g, ng), expired);
    assert_eq!(c4(3, 0, false), Ok(CaseVerdict::Quarantine));
    // A false report (the reporter's guilty vote) against two not-guilty votes: conviction is
    // out of reach, refutation is not, so the last member's vote is awaited.
    assert_eq!(c4(1, 2, false), Ok(CaseVerdict::Open));
    assert_eq!(c4(1, 3, false), Ok(CaseVerdict::Refuted));
    assert_eq!(c4(2, 2, false), Ok(CaseVerdict::Dismissed));
    assert_eq!(c4(1, 2, true), Ok(CaseVerdict::Dismissed));
    assert_eq!(c4(2, 1, false), Ok(CaseVerdict::Open));
    assert_eq!(c4(3, 2, false), Err(VoteError::TooManyVotes));

    let seven = CommitteeSize::default();
    let c7 = |threshold, g, ng| case_verdict(seven, threshold, tally(g, ng), false);
    assert_eq!(c7(5, 1, 3), Ok(CaseVerdict::Open));
    assert_eq!(c7(5, 1, 5), Ok(CaseVerdict::Refuted));
    // Three guilty, three not guilty, one seat left: neither side reaches five.
    assert_eq!(c7(5, 3, 3), Ok(CaseVerdict::Dismissed));
    // A governed threshold of 6 convicts at 6; refuting still takes 2f + 1 = 5.
    assert_eq!(c7(6, 5, 0), Ok(CaseVerdict::Open));
    assert_eq!(c7(6, 6, 0), Ok(CaseVerdict::Quarantine));
    assert_eq!(c7(6, 2, 5), Ok(CaseVerdict::Refuted));
    assert_eq!(c7(6, 2, 4), Ok(CaseVerdict::Open));
    assert_eq!(c7(6, 3, 3), Ok(CaseVerdict::Dismissed));
    // Out of range thresholds are clamped to 2f + 1 ..= n.
    assert_eq!(c7(1, 5, 0), Ok(CaseVerdict::Quarantine));
    assert_eq!(c7(1, 4, 0), Ok(CaseVerdict::Open));
    assert_eq!(c7(9, 7, 0), Ok(CaseVerdict::Quarantine));

    assert_eq!(CaseVerdict::Refuted.as_verdict(), Verdict::Dismissed);
    assert_eq!(CaseVerdict::Quarantine.as_verdict(), Verdict::Quarantine);
}

/// [`Epoch`] for a judged case: closes at the first non-open [`case_verdict`] with the
/// committee's `2f + 1` threshold, or at expiry.
fn close_case(e: &Epoch) -> CaseVerdict {
    let threshold = e.size.threshold();
    let mut t = Tally::default();
    for &v in &e.votes {
        t.record(v);
        let now = case_verdict(e.size, threshold, t, false).unwrap();
        if now != CaseVerdict::Open {
            return now;
        }
    }
    case_verdict(e.size, threshold, t, true).unwrap()
}

/// A false report is refuted: over 1,000 random epochs, a lying reporter and up to `f − 1`
/// more liars vote guilty (or stay silent) on an honest miner and every honest member votes
/// not guilty, in any order. The case is refuted, so the reporter loses its bond; it is never
/// a quarantine, and never merely dismissed while honest votes are still to come.
#[test]
fn honest_members_refute_a_false_report() {
    let mut rng = SplitMix(4);
    for epoch in 0..1_000 {
        let size = random_size(&mut rng);
        let f = size.f();
        let liars = 1 + rng.below(u64::from(f)) as u8;
        let voting_liars = 1 + rng.below(u64::from(liars)) as u8;
        let honest = size.n() - liars;
        let mut votes = vec![Vote::Guilty; usize::from(voting_liars)];
        votes.extend(vec![Vote::NotGuilty; usize::from(honest)]);
        let e = Epoch::new(size, votes, &mut rng);
        assert_eq!(
            close_case(&e),
            CaseVerdict::Refuted,
            "epoch {epoch}: n {} with {liars} liars ({voting_liars} voting)",
            size.n()
        );
    }
}

/// An honest report is never refuted and a guilty miner is convicted: over 1,000 random
/// epochs, up to `f` members lie (vote not guilty) or stay silent and the honest members vote
/// guilty. With the honest ones voting the case is a quarantine; with only some voting it is
/// never refuted (the reporter keeps its bond).
#[test]
fn an_honest_report_is_never_refuted() {
    let mut rng = SplitMix(5);
    for epoch in 0..1_000 {
        let size = random_size(&mut rng);
        let f = size.f();
        let faulty = rng.below(u64::from(f) + 1) as u8;
        let lying = rng.below(u64::from(faulty) + 1) as u8;
        let honest = size.n() - faulty;
        let all_vote = epoch % 2 == 0;
        let voting = if all_vote {
            honest
        } else {
            1 + rng.below(u64::from(honest)) as u8
        };
        let mut votes = vec![Vote::Guilty; usize::from(voting)];
        votes.extend(vec![Vote::NotGuilty; usize::from(lying)]);
        let e = Epoch::new(size, votes, &mut rng);
        let closed = close_case(&e);
        assert_ne!(
            closed,
            CaseVerdict::Refuted,
            "epoch {epoch}: n {}",
            size.n()
        );
        if all_vote {
            assert_eq!(
                closed,
                CaseVerdict::Quarantine,
                "epoch {epoch}: n {}",
                size.n()
            );
        }
    }
}

/// About 10% of cases are picked for a random audit: over 100,000 cases within 5σ.
#[test]
fn random_audit_rate() {
    const CASES: u64 = 100_000;
    let s = seed(3);
    let picked = (0..CASES)
        .filter(|&case| randomly_audited(&s, case, DEFAULT_AUDIT_RATE))
        .count() as f64
        / CASES as f64;
    assert!((picked - 0.1).abs() <= 5.0 * sigma(0.1, CASES), "{picked}");
}

proptest! {
    /// Any tally and threshold: each state is exactly its rule, and a dismissal before expiry
    /// means no remaining seats could reach either threshold.
    #[test]
    fn case_verdict_follows_its_rule(
        n in 4u8..=13,
        threshold in 0u8..=14,
        g in 0u8..=14,
        ng in 0u8..=14,
        expired: bool,
    ) {
        let size = CommitteeSize::new(n).unwrap();
        let t = tally(g, ng);
        let f = (n - 1) / 3;
        let convict = threshold.clamp(2 * f + 1, n);
        match case_verdict(size, threshold, t, expired) {
            Err(VoteError::TooManyVotes) => prop_assert!(u16::from(g) + u16::from(ng) > u16::from(n)),
            Ok(v) => {
                let remaining = n - g - ng;
                let want = if g >= convict {
                    CaseVerdict::Quarantine
                } else if ng > 2 * f {
                    CaseVerdict::Refuted
                } else if expired || (g + remaining < convict && ng + remaining <= 2 * f) {
                    CaseVerdict::Dismissed
                } else {
                    CaseVerdict::Open
                };
                prop_assert_eq!(v, want);
                // More votes never reopen a closed case.
                if v != CaseVerdict::Open && remaining > 0 {
                    let more = case_verdict(size, threshold, tally(g, ng + 1), expired).unwrap();
                    prop_assert_ne!(more, CaseVerdict::Open);
                    let more = case_verdict(size, threshold, tally(g + 1, ng), expired).unwrap();
                    prop_assert_ne!(more, CaseVerdict::Open);
                }
            }
        }
    }

    /// Any tally: the verdict follows the thresholds, a split is exactly f + 1 dissent, and a
    /// tally with more votes than seats is refused.
    #[test]
    fn verdict_follows_thresholds(n in 4u8..=13, g in 0u8..=14, ng in 0u8..=14, expired: bool) {
        let size = CommitteeSize::new(n).unwrap();
        let t = tally(g, ng);
        let f = (n - 1) / 3;
        match verdict(size, t, expired) {
            Err(VoteError::TooManyVotes) => prop_assert!(u16::from(g) + u16::from(ng) > u16::from(n)),
            Ok(v) => {
                prop_assert!(u16::from(g) + u16::from(ng) <= u16::from(n));
                let want = if g > 2 * f {
                    Verdict::Quarantine
                } else if ng > f || expired {
                    Verdict::Dismissed
                } else {
                    Verdict::Open
                };
                prop_assert_eq!(v, want);
                let dissent = match v {
                    Verdict::Quarantine => ng,
                    Verdict::Dismissed => g,
                    Verdict::Open => 0,
                };
                prop_assert_eq!(is_split(size, t, v), dissent > f);
            }
        }
    }
}
