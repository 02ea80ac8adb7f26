//! Verdicts by hand, the quorum's safety and liveness over random epochs, split votes and the
//! random audit rate.

use proptest::prelude::*;

use super::*;
use crate::{
    audit_reason, is_split, randomly_audited, verdict, AuditReason, CommitteeSize, Tally, Verdict,
    Vote, VoteError, DEFAULT_AUDIT_RATE,
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
