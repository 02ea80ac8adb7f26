//! The size rule, exclusion, disjointness and bounded work of the draw.

use proptest::prelude::*;

use super::*;
use crate::{
    committee::{draw, draw_audit_with_cost},
    draw_audit_committee, draw_committee, max_hash_calls, CommitteeError, CommitteeSize,
    MAX_CANDIDATES,
};

fn size(requested: u8, eligible: usize) -> Option<u8> {
    CommitteeSize::for_eligible(requested, eligible)
        .ok()
        .map(|s| s.n())
}

#[test]
fn size_rule_by_hand() {
    // Default 7: 7 when 7 eligible, 4 from 4 to 6, none below 4.
    for (eligible, n) in [
        (64, Some(7)),
        (7, Some(7)),
        (6, Some(4)),
        (4, Some(4)),
        (3, None),
    ] {
        assert_eq!(size(7, eligible), n, "eligible {eligible}");
    }
    assert_eq!(size(0, 0), None);
    // Requests are clamped to 4..=13.
    assert_eq!(size(0, 100), Some(4));
    assert_eq!(size(200, 100), Some(13));
    // A governed 13 steps down through 10 and 7 before 4.
    assert_eq!(size(13, 12), Some(10));
    assert_eq!(size(13, 9), Some(7));
    assert_eq!(size(13, 5), Some(4));
    let s = CommitteeSize::default();
    assert_eq!((s.n(), s.f(), s.threshold(), s.blocking()), (7, 2, 5, 3));
    let s = CommitteeSize::new(13).unwrap();
    assert_eq!((s.f(), s.threshold(), s.blocking()), (4, 9, 5));
    let s = CommitteeSize::new(4).unwrap();
    assert_eq!((s.f(), s.threshold(), s.blocking()), (1, 3, 2));
    assert_eq!(CommitteeSize::new(3), None);
    assert_eq!(CommitteeSize::new(14), None);
}

#[test]
fn draw_errors() {
    let mut c = equal(10);
    c[3].uid = c[4].uid;
    assert_eq!(
        draw_committee(&c, 7, &seed(0)),
        Err(CommitteeError::DuplicateUid)
    );
    let many: Vec<_> = (0..=MAX_CANDIDATES as u16).map(|u| cand(u, 1, 1)).collect();
    assert_eq!(
        draw_committee(&many, 7, &seed(0)),
        Err(CommitteeError::TooManyCandidates)
    );
    // Three eligible: excluded and zero-weight candidates do not count.
    let mut c = equal(6);
    c[0].excluded = true;
    c[1].stake = 0;
    c[2].reputation = Perbill::zero();
    assert_eq!(
        draw_committee(&c, 7, &seed(0)),
        Err(CommitteeError::NotEnoughEligible)
    );
    // Seven eligible: a sentinel committee of 7 leaves nobody for the audit.
    let c = equal(7);
    let sentinels = draw_committee(&c, 7, &seed(0)).unwrap();
    assert_eq!(sentinels.members, (0..7).collect::<Vec<u16>>());
    assert_eq!(
        draw_audit_committee(&c, &sentinels, 7, &seed(0)),
        Err(CommitteeError::NotEnoughEligible)
    );
    // Eleven: 7 sentinels, 4 auditors.
    let c = equal(11);
    let sentinels = draw_committee(&c, 7, &seed(0)).unwrap();
    let audit = draw_audit_committee(&c, &sentinels, 7, &seed(0)).unwrap();
    assert_eq!(audit.size.n(), 4);
}

/// Candidates over random uids with stakes from dust to absurd, reputations from zero to one and
/// random exclusion.
fn candidates(max: usize) -> impl Strategy<Value = Vec<Candidate>> {
    let stake = prop_oneof![
        1 => Just(0u128),
        4 => 1u128..1_000_000,
        2 => any::<u64>().prop_map(u128::from),
        1 => any::<u128>(),
    ];
    let rep = prop_oneof![
        1 => Just(0u32),
        4 => 0u32..=1_000_000_000,
        2 => Just(1_000_000_000u32),
        1 => any::<u32>(),
    ];
    (
        prop::sample::subsequence((0..400u16).collect::<Vec<_>>(), 0..=max).prop_shuffle(),
        prop::collection::vec((stake, rep, prop::bool::weighted(0.2)), max),
    )
        .prop_map(|(uids, attrs)| {
            uids.into_iter()
                .zip(attrs)
                .map(|(uid, (stake, rep, excluded))| Candidate {
                    uid,
                    stake,
                    reputation: Perbill::from_parts(rep),
                    excluded,
                })
                .collect()
        })
}

/// The weight the crate computes, written out again: eligible iff not excluded and
/// `(stake >> shift) · min(rep, 10⁹) > 0`.
fn eligible_uids(c: &[Candidate], barred: &[u16]) -> Vec<u16> {
    let max = c.iter().map(|c| c.stake).max().unwrap_or(0);
    let shift = (128 - max.leading_zeros()).saturating_sub(98);
    c.iter()
        .filter(|c| !c.excluded && !barred.contains(&c.uid))
        .filter(|c| (c.stake >> shift) > 0 && c.reputation.deconstruct() > 0)
        .map(|c| c.uid)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The size rule: at least 4, at most the clamped request and the eligible count, equal to
    /// the request when enough are eligible, of the form 3f + 1 when it falls back.
    #[test]
    fn size_rule(requested in any::<u8>(), eligible in 0usize..300) {
        let want = requested.clamp(4, 13);
        match CommitteeSize::for_eligible(requested, eligible) {
            Err(e) => {
                prop_assert_eq!(e, CommitteeError::NotEnoughEligible);
                prop_assert!(eligible < 4);
            }
            Ok(s) => {
                prop_assert!(eligible >= 4);
                prop_assert!((4..=want).contains(&s.n()));
                prop_assert!(usize::from(s.n()) <= eligible);
                if eligible >= usize::from(want) {
                    prop_assert_eq!(s.n(), want);
                } else {
                    prop_assert_eq!(s.n() % 3, 1);
                    // The largest such size: one more 3 would not fit.
                    prop_assert!(usize::from(s.n()) + 3 > eligible);
                }
                prop_assert_eq!(s.threshold(), 2 * s.f() + 1);
                prop_assert!(3 * s.f() < s.n());
            }
        }
    }

    /// Committees: sorted, distinct, only eligible members, the size rule, within the hash
    /// bound; the audit committee disjoint from the sentinels with the same guarantees.
    #[test]
    fn committees_are_well_formed(
        c in candidates(40),
        requested in prop_oneof![Just(7u8), any::<u8>()],
        audit_requested in prop_oneof![Just(7u8), any::<u8>()],
        s in any::<u64>(),
    ) {
        let seed = seed(s);
        let eligible = eligible_uids(&c, &[]);
        let result = draw(&c, requested, &seed, &[]);
        let expected_size = CommitteeSize::for_eligible(requested, eligible.len());
        let (sentinels, hashes) = match (result, expected_size) {
            (Err(e), Err(want)) => {
                prop_assert_eq!(e, want);
                return Ok(());
            }
            (Ok(r), Ok(size)) => {
                prop_assert_eq!(r.0.size, size);
                r
            }
            (r, size) => {
                prop_assert!(false, "draw {:?} but size rule {:?}", r, size);
                unreachable!()
            }
        };
        let m = &sentinels.members;
        prop_assert_eq!(m.len(), usize::from(sentinels.size.n()));
        prop_assert!(m.windows(2).all(|w| w[0] < w[1]), "sorted, distinct: {:?}", m);
        for uid in m {
            prop_assert!(eligible.contains(uid), "uid {} is not eligible", uid);
        }
        prop_assert!(hashes <= max_hash_calls(eligible.len(), sentinels.size.n()));
        // Deterministic.
        prop_assert_eq!(draw_committee(&c, requested, &seed), Ok(sentinels.clone()));

        let audit_eligible = eligible_uids(&c, m);
        match draw_audit_with_cost(&c, &sentinels, audit_requested, &seed) {
            Err(e) => {
                prop_assert_eq!(e, CommitteeError::NotEnoughEligible);
                prop_assert!(audit_eligible.len() < 4);
            }
            Ok((audit, hashes)) => {
                prop_assert_eq!(
                    Ok(audit.size),
                    CommitteeSize::for_eligible(audit_requested, audit_eligible.len())
                );
                prop_assert_eq!(audit.members.len(), usize::from(audit.size.n()));
                prop_assert!(audit.members.windows(2).all(|w| w[0] < w[1]));
                for uid in &audit.members {
                    prop_assert!(!sentinels.contains(*uid), "uid {} sits on both", uid);
                    prop_assert!(audit_eligible.contains(uid), "uid {} is not eligible", uid);
                }
                prop_assert!(hashes <= max_hash_calls(audit_eligible.len(), audit.size.n()));
            }
        }
    }
}

/// The same over many seeds on one realistic pool: 64 permit holders, a quarter excluded, the
/// audit never meets the sentinels, and a different seed gives a different committee.
#[test]
fn exclusion_and_disjointness_over_seeds() {
    let mut rng = SplitMix(19);
    let c: Vec<Candidate> = (0..64u16)
        .map(|uid| Candidate {
            uid,
            stake: 1 + u128::from(rng.below(1_000_000)),
            reputation: Perbill::from_parts(rng.below(1_000_000_001) as u32),
            excluded: uid % 4 == 1,
        })
        .collect();
    let mut distinct = std::collections::BTreeSet::new();
    for i in 0..2_000 {
        let s = draw_committee(&c, 7, &seed(i)).unwrap();
        let a = draw_audit_committee(&c, &s, 7, &seed(i)).unwrap();
        assert_eq!((s.members.len(), a.members.len()), (7, 7));
        for uid in s.members.iter().chain(&a.members) {
            assert!(uid % 4 != 1, "excluded uid {uid} sits (seed {i})");
        }
        for uid in &a.members {
            assert!(!s.contains(*uid), "uid {uid} on both committees (seed {i})");
        }
        distinct.insert(s.members);
    }
    assert!(
        distinct.len() > 1_900,
        "{} distinct committees",
        distinct.len()
    );
}

/// The worst case for the work bound: 13 weight levels 16× apart above a mass of light
/// candidates that still draw a coin (weight 2⁻⁶⁴ of the heaviest), at the largest pool and
/// committee. Each pass then seats about one member and spends a word on nearly every candidate,
/// so the draw comes close to the bound but stays within it.
#[test]
fn work_is_bounded_for_skewed_weights() {
    for len in [64u16, 4096] {
        let mut c: Vec<Candidate> = (0..len)
            .map(|uid| cand(uid, 1 << 32, 1_000_000_000))
            .collect();
        for k in 0..13u16 {
            c[usize::from(k * 3)].stake = 1 << (96 - 4 * k);
        }
        let bound = max_hash_calls(usize::from(len), 13);
        let mut worst = 0;
        for i in 0..if len == 64 { 200 } else { 3 } {
            let (committee, hashes) = draw(&c, 13, &seed(i), &[]).unwrap();
            assert_eq!(committee.members.len(), 13);
            assert!(committee.contains(0));
            assert!(hashes <= bound, "{hashes} hashes > bound {bound} at {len}");
            worst = worst.max(hashes);
        }
        // The bound is tight: this input reaches 85% of it.
        assert!(
            worst * 100 >= bound * 85,
            "worst {worst} far below bound {bound} at {len}"
        );
        println!("len {len}: worst {worst} hashes, bound {bound}");
    }
    // Equal weights need no coin words at all: only the shuffle.
    let (_, hashes) = draw(&equal(64), 13, &seed(0), &[]).unwrap();
    assert!(hashes <= 4, "{hashes}");
}
