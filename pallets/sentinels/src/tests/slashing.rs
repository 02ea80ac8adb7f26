//! Slashes wait for the audit window, then burn at the math crate's rates and pay the reporter
//! 10%; however many are pending, none settles early; repeats of one hotkey merge; settlement
//! is bounded per block.

use super::*;
use crate::JudgedOffence;
use mindos_primitives::{Perbill, SlashRates};

#[test]
fn a_proven_offence_is_slashed_five_percent_after_the_audit_window() {
    build_and_execute(|| {
        run_to_epoch(1);
        equivocate(UID_A);
        assert_eq!(PendingSlashes::<Test>::iter_prefix(NET).count(), 1);
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
        assert_eq!(PendingSlashes::<Test>::iter_prefix(NET).count(), 0);
        assert_eq!(SlashQueue::<Test>::iter_prefix(NET).count(), 0);
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

#[test]
fn many_sanctions_never_skip_the_audit_window() {
    build_and_execute(|| {
        // More sanctions in one epoch than the old per-subnet queue (of 1 here) held.
        bind_key(NET, 8, miner_pair(8).public().0);
        equivocate(UID_A);
        equivocate(UID_B);
        equivocate(8);
        run_to_epoch(1);
        assert!(
            Slashes::get().is_empty(),
            "nothing slashed inside the window"
        );
        run_to(21);
        assert_eq!(Slashes::get().len(), 3);
    });
}

#[test]
fn repeat_sanctions_of_one_hotkey_merge_into_one_slash_at_the_larger_rate() {
    build_and_execute(|| {
        // One-epoch quarantines let the miner offend again within the audit window (2).
        QuarantineEpochsParam::set(1);
        run_to_epoch(1);
        equivocate(UID_A);
        run_to_epoch(2);
        assert_ok!(Sentinels::unquarantine(
            RuntimeOrigin::signed(MINER_A),
            NET,
            UID_A
        ));
        equivocate(UID_A);
        // Same rate: one 5% slash, due when the first was (the repeat does not postpone it).
        run_to_epoch(3);
        assert_eq!(
            Slashes::get(),
            vec![(MINER_A, Perbill::from_percent(5), MINER_STAKE / 20)]
        );
        run_to_epoch(6);
        assert_eq!(Slashes::get().len(), 1, "merged: slashed once");
    });
}

#[test]
fn a_proven_repeat_after_a_judged_offence_raises_the_rate_and_gets_its_own_window() {
    build_and_execute(|| {
        QuarantineEpochsParam::set(1);
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
        assert_eq!(
            PendingSlashes::<Test>::get(NET, MINER_A).map(|s| (s.rate, s.due_epoch)),
            Some((Perbill::from_parts(100_000), 4))
        );
        run_to_epoch(3);
        assert_ok!(Sentinels::unquarantine(
            RuntimeOrigin::signed(MINER_A),
            NET,
            UID_A
        ));
        equivocate(UID_A);
        let merged = PendingSlashes::<Test>::get(NET, MINER_A).unwrap();
        assert_eq!(
            (
                merged.rate,
                merged.due_epoch,
                merged.reporter,
                merged.offences
            ),
            (Perbill::from_percent(5), 5, VALIDATORS[0], 2),
            "the larger rate, with its reporter and its own audit window"
        );
        run_to_epoch(4);
        assert!(Slashes::get().is_empty(), "the 5% is still in its window");
        assert_eq!(
            SlashQueue::<Test>::iter_prefix(NET).count(),
            1,
            "the judged offence's queue entry was dropped"
        );
        run_to_epoch(5);
        assert_eq!(
            Slashes::get(),
            vec![(MINER_A, Perbill::from_percent(5), MINER_STAKE / 20)]
        );
    });
}

#[test]
fn issuance_falls_by_exactly_the_burned_part_when_the_slash_really_burns() {
    use mindos_sentinels_math::{settle, Offence};
    build_and_execute(|| {
        // Miner A's stake is its free balance here, and a slash burns it from Balances.
        BurnFromBalances::set(true);
        StakeOf::mutate(|s| {
            s.insert(MINER_A, ENDOWMENT);
        });
        run_to_epoch(1);
        equivocate(UID_A);
        let issuance = Balances::total_issuance();
        let free = Balances::free_balance(VALIDATORS[0]);
        run_to_epoch(3);
        let expected = settle(
            &Sentinels::slash_rates(),
            Offence::MinerSelfVerifying,
            u128::from(ENDOWMENT),
            true,
        );
        let reward = Balance::try_from(expected.reporter_reward).unwrap();
        let burned = Balance::try_from(expected.burned).unwrap();
        assert!(reward > 0 && burned > 0);
        assert_eq!(Balances::free_balance(VALIDATORS[0]), free + reward);
        assert_eq!(
            Balances::total_issuance(),
            issuance - burned,
            "no unit created or lost: slashed − reward leaves the supply"
        );
    });
}

#[test]
fn a_reward_that_cannot_be_minted_still_settles_the_slash() {
    build_and_execute(|| {
        run_to_epoch(1);
        equivocate(UID_A);
        // Issuance at its ceiling: minting the reporter's share overflows.
        pallet_balances::TotalIssuance::<Test>::put(Balance::MAX);
        let free = Balances::free_balance(VALIDATORS[0]);
        run_to_epoch(3);
        let slashed = MINER_STAKE / 20;
        assert_eq!(
            Slashes::get(),
            vec![(MINER_A, Perbill::from_percent(5), slashed)]
        );
        assert!(events().contains(&Event::MinerSlashed {
            netuid: NET,
            hotkey: MINER_A,
            slashed,
            reporter: VALIDATORS[0],
            reward: 0,
        }));
        assert_eq!(Balances::free_balance(VALIDATORS[0]), free);
        assert_eq!(Balances::total_issuance(), Balance::MAX);
        assert_eq!(PendingSlashes::<Test>::iter_prefix(NET).count(), 0);
    });
}

#[test]
fn slashes_settle_at_the_governed_rates() {
    build_and_execute(|| {
        // Governance set 7 % for proven offences and 20 % to the reporter.
        SlashRatesParam::set(SlashRates {
            miner_self_verifying: Perbill::from_percent(7),
            reporter_reward: Perbill::from_percent(20),
            ..SlashRates::default()
        });
        run_to_epoch(1);
        equivocate(UID_A);
        let free = Balances::free_balance(VALIDATORS[0]);
        run_to_epoch(3);
        let slashed = MINER_STAKE * 7 / 100;
        assert_eq!(
            Slashes::get(),
            vec![(MINER_A, Perbill::from_percent(7), slashed)]
        );
        assert_eq!(Balances::free_balance(VALIDATORS[0]), free + slashed / 5);
    });
}

#[test]
fn the_audit_window_counts_the_appeal_after_the_due_epoch() {
    build_and_execute(|| {
        // Due 2 epochs after the sanction, then an audit, its escalation and the boundary that
        // expires it.
        assert_eq!(<Sentinels as mindos_primitives::AuditWindow>::epochs(), 3);
        assert_eq!(
            <Sentinels as mindos_primitives::AuditWindow>::extra_blocks(),
            AUDIT_DURATION + ESCALATION_DURATION
        );
    });
}
