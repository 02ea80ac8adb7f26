//! Committees: drawn at each boundary for the next epoch, from the completed RANDAO mix, among
//! permit holders by stake × reputation, quarantined validators excluded; the size rule; the
//! bounded boundary queue.

use super::*;
use mindos_primitives::{Perbill, SaltSink};
use mindos_sentinels_math::{
    committee_seed, draw_committee, mix_next, Candidate, RandomnessSource,
};

#[test]
fn committees_are_drawn_one_epoch_ahead_at_each_boundary() {
    build_and_execute(|| {
        run_to(9);
        assert_eq!(Sentinels::epoch(NET), 0);
        assert_eq!(Committees::<Test>::iter().count(), 0);

        run_to(10);
        assert_eq!(Sentinels::epoch(NET), 1);
        // Epoch 1 has no committee (no mix was complete before it); epoch 2's is known now.
        assert!(Sentinels::current_committee(NET).is_none());
        let next = Committees::<Test>::get(NET, 2).expect("drawn for epoch 2");
        assert_eq!(next.members.len(), 7);
        assert_eq!(next.size.n(), 7);
        assert_eq!(next.drawn_at, 10);
        assert!(next.members.iter().all(|(_, h)| VALIDATORS.contains(h)));
        let uids: Vec<u16> = next.members.iter().map(|(uid, _)| *uid).collect();
        assert!(
            events().contains(&Event::CommitteeDrawn {
                netuid: NET,
                epoch: 2,
                members: uids.clone().try_into().unwrap(),
            }),
            "the draw is announced"
        );
        // OTHER_NET has no validators: nothing to draw.
        assert!(events().contains(&Event::CommitteeNotDrawn {
            netuid: OTHER_NET,
            epoch: 2
        }));

        run_to(20);
        assert_eq!(Sentinels::current_committee(NET), Some(next.clone()));
        assert!(Committees::<Test>::get(NET, 3).is_some());

        run_to(30);
        assert!(
            Committees::<Test>::get(NET, 2).is_none(),
            "past committees are dropped"
        );
        assert_eq!(
            Committees::<Test>::iter_key_prefix(NET).count(),
            2,
            "only the current and the next committee are kept"
        );
    });
}

#[test]
fn the_committee_comes_from_the_mix_completed_two_epochs_before() {
    build_and_execute(|| {
        run_to_epoch(1);
        // Reveals during epoch 1 fold into the mix that epoch 3's committee is drawn from.
        Sentinels::on_reveal(NET, 5, [1; 32]);
        Sentinels::on_reveal(NET, 5, [2; 32]);
        let mix = mix_next(&mix_next(&[0; 32], &[1; 32]), &[2; 32]);
        assert_eq!(Mix::<Test>::get(NET), mix);
        assert_eq!(Mix::<Test>::get(OTHER_NET), [0; 32], "mixes are per subnet");

        run_to_epoch(2);
        assert_eq!(CompletedMix::<Test>::get(NET), Some((1, mix)));
        let candidates: Vec<Candidate> = (0u16..9)
            .map(|uid| Candidate {
                uid,
                stake: u128::from(VALIDATOR_STAKE),
                reputation: Perbill::one(),
                excluded: false,
            })
            .collect();
        let expected = draw_committee(&candidates, 7, &committee_seed(NET.0, 3, &mix)).unwrap();
        let drawn: Vec<u16> = Committees::<Test>::get(NET, 3)
            .unwrap()
            .members
            .iter()
            .map(|(uid, _)| *uid)
            .collect();
        assert_eq!(drawn, expected.members);
    });
}

#[test]
fn different_salts_draw_different_committees() {
    let draw_after = |salt: u8| {
        let mut members = Vec::new();
        ExtBuilder::default().build_and_execute(|| {
            run_to_epoch(1);
            Sentinels::on_reveal(NET, 1, [salt; 32]);
            run_to_epoch(2);
            members = committee(NET, 3);
        });
        members
    };
    let first = draw_after(1);
    assert_eq!(first, draw_after(1), "the draw is deterministic");
    assert!(
        (2..6).any(|salt| draw_after(salt) != first),
        "the salts decide the committee"
    );
}

#[test]
fn fewer_than_seven_eligible_draw_four_and_fewer_than_four_none() {
    build_and_execute(|| {
        Permits::mutate(|p| p.truncate(5));
        run_to_epoch(1);
        let next = Committees::<Test>::get(NET, 2).unwrap();
        assert_eq!((next.size.n(), next.members.len()), (4, 4));

        Permits::mutate(|p| p.truncate(3));
        run_to_epoch(2);
        assert!(Committees::<Test>::get(NET, 3).is_none());
        assert!(events().contains(&Event::CommitteeNotDrawn {
            netuid: NET,
            epoch: 3
        }));
    });
}

#[test]
fn the_governed_size_is_drawn_and_steps_down_when_too_few_are_eligible() {
    build_and_execute(|| {
        CommitteeSizeParam::set(4);
        run_to_epoch(1);
        assert_eq!(committee(NET, 2).len(), 4);
        // 13 asked, 9 eligible: the largest 3f + 1 they fill.
        CommitteeSizeParam::set(13);
        run_to_epoch(2);
        assert_eq!(committee(NET, 3).len(), 7);
    });
}

#[test]
fn quarantined_and_weightless_validators_never_sit() {
    build_and_execute(|| {
        // The validator at uid 8 serves a key and equivocates; the one at uid 7 has no
        // reputation.
        bind_key(NET, 8, miner_pair(8).public().0);
        Reputations::mutate(|r| {
            r.insert((NET, 7), Perbill::zero());
        });
        run_to_epoch(1);
        equivocate(8);
        for epoch in 2..8 {
            run_to_epoch(epoch);
            let next = committee(NET, epoch + 1);
            assert_eq!(next.len(), 7, "seven of the seven eligible");
            assert!(!next.contains(&VALIDATORS[8]), "quarantined");
            assert!(!next.contains(&VALIDATORS[7]), "zero reputation");
        }
    });
}

#[test]
fn heavier_validators_sit_more_often() {
    build_and_execute(|| {
        // Four seats; uid 0 has 100× the stake of each other validator.
        CommitteeSizeParam::set(4);
        StakeOf::mutate(|s| {
            s.insert(VALIDATORS[0], 100 * VALIDATOR_STAKE);
        });
        let mut heavy = 0;
        let mut light = 0;
        for epoch in 1..41 {
            Sentinels::on_reveal(NET, epoch, [u8::try_from(epoch).unwrap(); 32]);
            run_to_epoch(epoch);
            let next = committee(NET, epoch + 1);
            heavy += usize::from(next.contains(&VALIDATORS[0]));
            light += usize::from(next.contains(&VALIDATORS[1]));
        }
        assert_eq!(heavy, 40, "the heaviest candidate is always accepted");
        assert!(light < 40);
    });
}

#[test]
fn boundary_work_waits_for_a_block_with_room() {
    build_and_execute(|| {
        MaxBoundaries::set(1);
        run_to(10);
        // Both subnets entered epoch 1 at the boundary; only the first was processed.
        assert_eq!(Sentinels::epoch(NET), 1);
        assert_eq!(Sentinels::epoch(OTHER_NET), 1);
        assert_eq!(
            PendingBoundaries::<Test>::get().into_inner(),
            vec![OTHER_NET]
        );
        assert!(Committees::<Test>::get(NET, 2).is_some());
        run_to(11);
        assert!(PendingBoundaries::<Test>::get().is_empty());
        assert_eq!(
            events().last(),
            Some(&Event::CommitteeNotDrawn {
                netuid: OTHER_NET,
                epoch: 2
            })
        );
    });
}

#[test]
fn stake_added_after_the_seed_is_public_does_not_steer_a_queued_draw() {
    build_and_execute(|| {
        // NET's boundary work waits a block behind OTHER_NET's.
        LiveSubnets::set(vec![OTHER_NET, NET]);
        MaxBoundaries::set(1);
        CommitteeSizeParam::set(4);
        run_to_epoch(1);
        assert_eq!(PendingBoundaries::<Test>::get().into_inner(), vec![NET]);
        // The mix is public now: what an equal-stake draw gives is known.
        let (mix_epoch, mix) = CompletedMix::<Test>::get(NET).unwrap();
        let candidates: Vec<Candidate> = (0u16..9)
            .map(|uid| Candidate {
                uid,
                stake: u128::from(VALIDATOR_STAKE),
                reputation: Perbill::one(),
                excluded: false,
            })
            .collect();
        let seed = mindos_sentinels_math::RandaoMix { mix, mix_epoch }
            .committee_seed(NET.0, 2)
            .unwrap();
        let expected = draw_committee(&candidates, 4, &seed).unwrap().members;
        // A validator left out stakes heavily before the queued draw runs.
        let outsider = (0u16..9).find(|uid| !expected.contains(uid)).unwrap();
        StakeOf::mutate(|s| {
            s.insert(VALIDATORS[usize::from(outsider)], 1_000 * VALIDATOR_STAKE);
        });
        run_to(11);
        let drawn: Vec<u16> = Committees::<Test>::get(NET, 2)
            .unwrap()
            .members
            .iter()
            .map(|(uid, _)| *uid)
            .collect();
        assert_eq!(drawn, expected, "drawn from the stake at the boundary");
    });
}

#[test]
fn a_subnet_dissolved_while_its_boundary_work_waits_is_skipped() {
    build_and_execute(|| {
        LiveSubnets::set(vec![OTHER_NET, NET]);
        MaxBoundaries::set(1);
        run_to(10);
        assert_eq!(PendingBoundaries::<Test>::get().into_inner(), vec![NET]);
        assert!(Candidates::<Test>::get(NET).is_some());
        // NET is dissolved before its draw runs, as the subnets pallet does it.
        LiveSubnets::set(vec![OTHER_NET]);
        <Sentinels as mindos_primitives::OnSubnetDissolved>::on_subnet_dissolved(NET);
        run_to(11);
        assert!(PendingBoundaries::<Test>::get().is_empty());
        assert!(
            Candidates::<Test>::get(NET).is_none(),
            "its snapshot is dropped"
        );
        assert!(Committees::<Test>::get(NET, 2).is_none(), "nothing drawn");
        // Its later blocks do nothing for it, and its epoch is forgotten with the rest.
        run_to(30);
        assert_eq!(Sentinels::epoch(NET), 0);
        assert_eq!(Committees::<Test>::iter_prefix(NET).count(), 0);
    });
}

/// A subnet whose queued boundary work waits past its next boundary (more subnets due at once
/// than `MaxBoundariesPerBlock` clears in a tempo) loses the draw of the epoch in between: the
/// snapshot and the mix of the older boundary are overwritten, and the draw, when it runs, is
/// for the epoch after the subnet's current one. That epoch has no committee (only
/// self-verifying evidence then); the next is drawn as usual. Documented in the crate docs.
#[test]
fn two_boundaries_before_a_queued_draw_leave_the_epoch_in_between_without_a_committee() {
    build_and_execute(|| {
        // Every block is a boundary of both subnets; one boundary work a block.
        Tempo::set(1);
        LiveSubnets::set(vec![OTHER_NET, NET]);
        MaxBoundaries::set(1);
        run_to(2);
        // Both entered epoch 1; OTHER_NET's work ran, NET's waits.
        assert_eq!(Sentinels::epoch(NET), 1);
        assert_eq!(PendingBoundaries::<Test>::get().into_inner(), vec![NET]);
        run_to(3);
        // NET entered epoch 2 before its work ran: the draw is for epoch 3.
        assert_eq!(Sentinels::epoch(NET), 2);
        assert!(
            Committees::<Test>::get(NET, 2).is_none(),
            "the skipped epoch"
        );
        assert_eq!(committee(NET, 3).len(), 7, "the next one is drawn");
        run_to(4);
        assert_eq!(
            Sentinels::current_committee(NET).map(|c| c.members.len()),
            Some(7)
        );
    });
}

#[test]
fn more_boundaries_than_snapshots_leave_the_overflow_without_a_committee_and_rotate() {
    build_and_execute(|| {
        MaxSnapshots::set(1);
        // Both subnets reach every boundary together; one snapshot a block.
        let mut skipped = Vec::new();
        for epoch in 1..=8u64 {
            run_to_epoch(epoch);
            let missed: Vec<NetUid> = events()
                .into_iter()
                .filter_map(|e| match e {
                    Event::CandidatesNotSnapshotted { netuid, epoch: e } if e == epoch + 1 => {
                        Some(netuid)
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                missed.len(),
                1,
                "exactly one subnet over the limit at epoch {epoch}"
            );
            skipped.push(missed[0]);
            if missed[0] == NET {
                assert!(
                    Committees::<Test>::get(NET, epoch + 1).is_none(),
                    "no committee without a snapshot"
                );
            } else {
                assert!(Committees::<Test>::get(NET, epoch + 1).is_some());
            }
        }
        // The order is drawn per block: neither subnet is always the one left out.
        assert!(
            skipped.contains(&NET) && skipped.contains(&OTHER_NET),
            "{skipped:?}"
        );
    });
}
