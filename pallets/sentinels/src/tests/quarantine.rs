//! Quarantines: lengths doubling on repeats, explicit release after expiry, deregistration at
//! the third offence within 30 epochs, and what the consensus pallet reads.

use super::*;
use crate::OffenceKind;
use frame_support::assert_noop;
use mindos_primitives::QuarantineInfo;

fn release(who: AccountId) -> frame_support::dispatch::DispatchResult {
    Sentinels::unquarantine(RuntimeOrigin::signed(who), NET, UID_A)
}

fn until() -> u64 {
    Quarantines::<Test>::get(NET, MINER_A).unwrap().until_epoch
}

#[test]
fn unquarantine_before_expiry_fails_and_after_it_releases() {
    build_and_execute(|| {
        run_to_epoch(1);
        equivocate(UID_A);
        assert_eq!(until(), 3);
        run_to_epoch(2);
        assert_noop!(release(MINER_A), Error::<Test>::QuarantineNotOver);
        run_to_epoch(3);
        assert_noop!(release(OUTSIDER), Error::<Test>::NotMinerOwner);
        assert_noop!(release(VALIDATORS[0]), Error::<Test>::NotMinerOwner);
        // The quarantine lasts until released: expiry alone does not release.
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert_ok!(release(MINER_A));
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        System::assert_last_event(
            Event::MinerReleased {
                netuid: NET,
                uid: UID_A,
                hotkey: MINER_A,
            }
            .into(),
        );
        assert_noop!(release(MINER_A), Error::<Test>::NotQuarantined);
    });
}

#[test]
fn the_owning_coldkey_may_release_too() {
    build_and_execute(|| {
        equivocate(UID_A);
        run_to_epoch(2);
        assert_ok!(release(owner(MINER_A)));
        assert!(Quarantines::<Test>::get(NET, MINER_A).is_none());
    });
}

#[test]
fn repeat_offences_double_the_quarantine() {
    build_and_execute(|| {
        run_to_epoch(1);
        equivocate(UID_A);
        assert_eq!(until(), 1 + 2);
        run_to_epoch(3);
        assert_ok!(release(MINER_A));
        equivocate(UID_A);
        assert_eq!(until(), 3 + 4, "the second offence doubles");
        assert_eq!(Quarantines::<Test>::get(NET, MINER_A).unwrap().offences, 2);
    });
}

#[test]
fn the_governed_length_sets_the_first_quarantine() {
    build_and_execute(|| {
        QuarantineEpochsParam::set(3);
        equivocate(UID_A);
        assert_eq!(until(), 3);
    });
}

#[test]
fn the_third_offence_within_thirty_epochs_deregisters() {
    build_and_execute(|| {
        run_to_epoch(1);
        equivocate(UID_A);
        run_to_epoch(3);
        assert_ok!(release(MINER_A));
        equivocate(UID_A);
        run_to_epoch(7);
        assert_ok!(release(MINER_A));
        equivocate(UID_A);
        assert_eq!(Deregistered::get(), vec![(NET, UID_A)]);
        assert!(Quarantines::<Test>::get(NET, MINER_A).is_none());
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert!(events().contains(&Event::MinerDeregistered {
            netuid: NET,
            uid: UID_A,
            hotkey: MINER_A,
            offence: OffenceKind::Equivocation,
        }));
        assert_eq!(
            OffenceHistory::<Test>::get(NET, MINER_A).into_inner(),
            vec![1, 3, 7],
            "the history stays with the hotkey"
        );
    });
}

#[test]
fn offences_thirty_epochs_apart_do_not_add_up() {
    build_and_execute(|| {
        run_to_epoch(1);
        equivocate(UID_A);
        run_to_epoch(3);
        assert_ok!(release(MINER_A));
        equivocate(UID_A);
        // The first offence (epoch 1) leaves the window at epoch 31.
        run_to_epoch(31);
        assert_ok!(release(MINER_A));
        equivocate(UID_A);
        assert!(Deregistered::get().is_empty());
        assert_eq!(Quarantines::<Test>::get(NET, MINER_A).unwrap().offences, 2);
        assert_eq!(
            until(),
            31 + 4,
            "one prior offence in the window doubles once"
        );
        assert_eq!(
            OffenceHistory::<Test>::get(NET, MINER_A).into_inner(),
            vec![3, 31]
        );
    });
}

#[test]
fn a_refused_deregistration_quarantines_for_the_longest() {
    build_and_execute(|| {
        RefuseDeregistration::set(true);
        run_to_epoch(1);
        equivocate(UID_A);
        run_to_epoch(3);
        assert_ok!(release(MINER_A));
        equivocate(UID_A);
        run_to_epoch(7);
        assert_ok!(release(MINER_A));
        equivocate(UID_A);
        assert_eq!(until(), 7 + 64);
        assert!(Sentinels::is_quarantined(NET, UID_A));
    });
}

#[test]
fn a_slot_taken_by_a_new_hotkey_is_not_quarantined() {
    build_and_execute(|| {
        equivocate(UID_A);
        equivocate(UID_B);
        assert_eq!(Sentinels::quarantined(NET), vec![UID_A, UID_B]);
        // Miner A leaves; someone else registers into its slot.
        Slots::mutate(|s| s.insert((NET, UID_A), 31));
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(Sentinels::quarantined(NET), vec![UID_B]);
        assert_eq!(Sentinels::quarantined(OTHER_NET), Vec::<u16>::new());
    });
}

/// The hotkey `hotkey` leaves its uid on [`NET`], and `newcomer` registers into it.
fn slot_changes_hands(uid: u16, newcomer: AccountId) {
    Slots::mutate(|s| {
        s.insert((NET, uid), newcomer);
    });
}

#[test]
fn changing_uid_does_not_escape_quarantine() {
    build_and_execute(|| {
        equivocate(UID_A);
        // Miner A deregisters and a throwaway takes its uid: A is gone, the throwaway clean.
        slot_changes_hands(UID_A, 31);
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(Sentinels::quarantined(NET), Vec::<u16>::new());
        // A re-registers into another uid: still quarantined there.
        Slots::mutate(|s| {
            s.insert((NET, 12), MINER_A);
        });
        assert!(Sentinels::is_quarantined(NET, 12));
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(Sentinels::quarantined(NET), vec![12]);
    });
}
