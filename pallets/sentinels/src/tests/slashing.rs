//! Slashes wait for the audit window, then burn at the math crate's rates and pay the reporter
//! 10%; a full queue slashes at once; settlement is bounded per block.

use super::*;
use crate::JudgedOffence;
use mindos_primitives::Perbill;

#[test]
fn a_proven_offence_is_slashed_five_percent_after_the_audit_window() {
    build_and_execute(|| {
        run_to_epoch(1);
        equivocate(UID_A);
        assert_eq!(PendingSlashes::<Test>::get(NET).len(), 1);
        run_to_epoch(2);
        assert!(Slashes::get().is_empty(), "still in the audit window");
        let issuance = Balances::total_issuance();
        let free = Balances::free_balance(VALIDATORS[0]);
        run_to_epoch(3);
        let slashed = MINER_STAKE / 20;
        assert_eq!(
            Slashes::get(),
            vec![(MINER_A, Perbill::from_percent(5), slashed)]
        );
        // The reporter's 10% is minted (the fake stake pallet burns nothing from balances).
        assert_eq!(Balances::free_balance(VALIDATORS[0]), free + slashed / 10);
        assert_eq!(Balances::total_issuance(), issuance + slashed / 10);
        assert!(events().contains(&Event::MinerSlashed {
            netuid: NET,
            hotkey: MINER_A,
            slashed,
            reporter: VALIDATORS[0],
            reward: slashed / 10,
        }));
        assert!(PendingSlashes::<Test>::get(NET).is_empty());
        assert!(SlashesDue::<Test>::get().is_empty());
    });
}

#[test]
fn a_judged_offence_is_slashed_a_hundredth_of_a_percent() {
    build_and_execute(|| {
        run_to_epoch(2);
        let members = sitting();
        assert_ok!(Sentinels::report(
            RuntimeOrigin::signed(members[0]),
            NET,
            UID_A,
            JudgedOffence::Timeout,
            [1; 32]
        ));
        for voter in &members[1..5] {
            assert_ok!(Sentinels::vote(RuntimeOrigin::signed(*voter), 0, true));
        }
        run_to_epoch(4);
        assert_eq!(
            Slashes::get(),
            vec![(MINER_A, Perbill::from_parts(100_000), 100)]
        );
        assert!(events().contains(&Event::MinerSlashed {
            netuid: NET,
            hotkey: MINER_A,
            slashed: 100,
            reporter: members[0],
            reward: 10,
        }));
    });
}

#[test]
fn a_full_queue_slashes_at_once() {
    build_and_execute(|| {
        MaxPendingSlashes::set(1);
        equivocate(UID_A);
        assert!(Slashes::get().is_empty());
        let (first, second) = equivocation(UID_B, 1);
        let post = Sentinels::submit_equivocation(
            RuntimeOrigin::signed(VALIDATORS[0]),
            NET,
            UID_B,
            first,
            second,
        )
        .unwrap();
        assert_eq!(Slashes::get().len(), 1);
        assert_eq!(Slashes::get()[0].0, MINER_B);
        // Charged for the slash it settled.
        use crate::WeightInfo;
        assert_eq!(
            post.actual_weight,
            Some(
                <() as WeightInfo>::submit_equivocation()
                    + <() as WeightInfo>::sanction()
                    + deregistration_weight()
                    + <() as WeightInfo>::settle_slash()
                    + SlashWeight::get()
            )
        );
    });
}

#[test]
fn settlement_is_bounded_per_block() {
    build_and_execute(|| {
        // Three miners offend in epoch 0 (MaxSlashesPerBlock = 2).
        bind_key(NET, 8, miner_pair(8).public().0);
        equivocate(UID_A);
        equivocate(UID_B);
        equivocate(8);
        run_to_epoch(2);
        assert_eq!(Slashes::get().len(), 2);
        assert_eq!(SlashesDue::<Test>::get().into_inner(), vec![NET]);
        run_to(21);
        assert_eq!(Slashes::get().len(), 3);
        assert!(SlashesDue::<Test>::get().is_empty());
        assert_eq!(
            Slashes::get().iter().map(|s| s.0).collect::<Vec<_>>(),
            vec![MINER_A, MINER_B, VALIDATORS[8]],
            "oldest first"
        );
    });
}
