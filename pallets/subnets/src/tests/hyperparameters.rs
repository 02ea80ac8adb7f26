//! Issue 17, M1: an owner's hyperparameter change is queued and takes effect at the subnet's
//! next epoch boundary, at most once per `HyperparametersRateLimit` epochs; a tempo change
//! never moves the next boundary; governance's changes take effect at once (the tempo from
//! the next boundary on) and lock the owner out for `GovernanceCooldown` blocks.
//!
//! The mock's subnet 0 has tempo 100 (period 101): boundaries at 100, 201, 302, ….

use super::*;
use frame_support::traits::Hooks;
use mindos_primitives::{Hyperparameters, SubnetsInfo};

/// Runs the pallet's hook for every block up to and including `n`.
pub(super) fn run_to(n: u64) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        <Subnets as Hooks<u64>>::on_initialize(next);
    }
}

fn params_of(netuid: NetUid) -> Hyperparameters<Balance> {
    SubnetInfoOf::<Test>::get(netuid).unwrap().hyperparameters
}

fn due_between(netuid: NetUid, blocks: core::ops::Range<u64>) -> Vec<u64> {
    blocks
        .filter(|b| Subnets::epochs_due(*b).contains(&netuid))
        .collect()
}

#[test]
fn owner_changes_wait_for_the_next_epoch_boundary() {
    // Before the fix the change applied at once (this test saw `commit_reveal: false`
    // immediately).
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let mut p = hyperparameters();
        p.commit_reveal = false;
        p.max_validators = 8;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            p.clone()
        ));
        assert_eq!(params_of(netuid), hyperparameters(), "nothing changes yet");
        run_to(99);
        assert_eq!(params_of(netuid), hyperparameters());
        run_to(100);
        assert_eq!(params_of(netuid), p, "in effect at the boundary");
        assert_eq!(PendingHyperparameters::<Test>::get(netuid), None);
        System::assert_last_event(
            Event::HyperparametersSet {
                netuid,
                hyperparameters: p.clone(),
            }
            .into(),
        );
        // Other pallets' hooks of the boundary block (permits, the epoch) already see it.
        assert_eq!(
            <Subnets as SubnetsInfo<_, _>>::hyperparameters(netuid),
            Some(p)
        );
        assert_eq!(Subnets::epochs_due(100), vec![netuid]);
    });
}

#[test]
fn a_queued_change_is_replaced_by_a_newer_one() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let mut first = hyperparameters();
        first.max_validators = 8;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            first
        ));
        run_to(50);
        let mut second = hyperparameters();
        second.max_validators = 4;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            second.clone()
        ));
        run_to(100);
        assert_eq!(params_of(netuid), second);
    });
}

#[test]
fn a_tempo_change_cannot_bring_the_next_epoch_closer() {
    // Before the fix the boundary was `(block + netuid + 1) % (tempo + 1) == 0` with the new
    // tempo at once: this test saw epochs at 21, 32, …, 98 instead of the scheduled 100.
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        run_to(10);
        let mut p = hyperparameters();
        p.tempo = 10;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            p
        ));
        assert_eq!(due_between(netuid, 11..100), Vec::<u64>::new());
        run_to(100);
        // The scheduled boundary stays; the shorter periods count from it.
        assert_eq!(due_between(netuid, 11..135), vec![100, 111, 122, 133]);
        assert_eq!(Subnets::epoch_timing(netuid).map(|t| t.anchor), Some(100));
    });
}

#[test]
fn a_longer_tempo_counts_from_the_boundary_it_takes_effect_at() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let mut p = hyperparameters();
        p.tempo = 200;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            p
        ));
        run_to(100);
        assert_eq!(due_between(netuid, 1..400), vec![100, 301]);
    });
}

#[test]
fn a_second_owner_change_within_the_rate_limit_is_refused() {
    // Before the fix every change went through (this test saw the second change accepted
    // one block after the first applied).
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let queued_at = System::block_number();
        let mut p = hyperparameters();
        p.max_validators = 8;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            p.clone()
        ));
        run_to(101);
        p.max_validators = 4;
        let again = |p: &Hyperparameters<Balance>| {
            Subnets::set_hyperparameters(RuntimeOrigin::signed(ALICE), netuid, p.clone())
        };
        assert_noop!(again(&p), Error::<Test>::HyperparametersRateLimited);
        // Two epochs of the subnet's tempo (2 × 101 blocks) after the first was queued.
        let allowed = queued_at + 2 * 101;
        run_to(allowed - 1);
        assert_noop!(again(&p), Error::<Test>::HyperparametersRateLimited);
        run_to(allowed);
        assert_ok!(again(&p));
    });
}

#[test]
fn owner_changes_are_checked_against_the_bounds_again_at_the_boundary() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let mut p = hyperparameters();
        p.tempo = 500;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            p.clone()
        ));
        let mut tighter = bounds();
        tighter.tempo = Range { min: 10, max: 200 };
        assert_ok!(Subnets::apply_bounds(tighter));
        run_to(100);
        assert_eq!(params_of(netuid), hyperparameters());
        System::assert_last_event(
            Event::PendingHyperparametersDropped {
                netuid,
                hyperparameters: p,
            }
            .into(),
        );
    });
}

#[test]
fn governance_changes_win_over_the_owner_for_a_cooldown() {
    // Before the fix the owner could override an enacted proposal at once (this test saw
    // the owner's change accepted right after governance's).
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        let mut owners = hyperparameters();
        owners.max_validators = 4;
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            netuid,
            owners.clone()
        ));
        run_to(20);
        let mut governed = hyperparameters();
        governed.max_validators = 8;
        assert_ok!(Subnets::apply_hyperparameters(netuid, governed.clone()));
        // In effect at once, and the owner's queued change is gone.
        assert_eq!(params_of(netuid), governed);
        assert_eq!(PendingHyperparameters::<Test>::get(netuid), None);
        let events = System::events();
        assert!(events.iter().any(|e| e.event
            == Event::PendingHyperparametersDropped {
                netuid,
                hyperparameters: owners.clone(),
            }
            .into()));
        System::assert_last_event(
            Event::HyperparametersSetByGovernance {
                netuid,
                hyperparameters: governed.clone(),
                owner_locked_until: 20 + GOVERNANCE_COOLDOWN,
            }
            .into(),
        );
        // The owner is locked out for the cooldown.
        let change =
            || Subnets::set_hyperparameters(RuntimeOrigin::signed(ALICE), netuid, owners.clone());
        assert_noop!(change(), Error::<Test>::HyperparametersGoverned);
        run_to(20 + GOVERNANCE_COOLDOWN - 1);
        assert_noop!(change(), Error::<Test>::HyperparametersGoverned);
        run_to(100);
        assert_eq!(
            params_of(netuid),
            governed,
            "the dropped change never applies"
        );
        // After the cooldown only the owner's own rate limit (from its change at block 1)
        // is left.
        assert_noop!(change(), Error::<Test>::HyperparametersRateLimited);
        run_to(1 + 2 * 101);
        assert_ok!(change());
    });
}

#[test]
fn a_governance_tempo_change_keeps_the_scheduled_epoch() {
    // Before the fix this test saw epochs at 21, 32, …, 98 instead of the scheduled 100.
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create(ALICE);
        run_to(10);
        let mut p = hyperparameters();
        p.tempo = 10;
        assert_ok!(Subnets::apply_hyperparameters(netuid, p.clone()));
        assert_eq!(params_of(netuid), p);
        assert_eq!(due_between(netuid, 11..125), vec![100, 111, 122]);
        // At a boundary block itself (after its epoch ran) the next boundary is kept too.
        run_to(100);
        p.tempo = 100;
        assert_ok!(Subnets::apply_hyperparameters(netuid, p));
        assert_eq!(due_between(netuid, 101..300), vec![111, 212]);
    });
}

#[test]
fn dissolving_clears_a_queued_change_and_its_limits() {
    ExtBuilder::default().build_and_execute(|| {
        let queued = create(ALICE);
        assert_ok!(Subnets::set_hyperparameters(
            RuntimeOrigin::signed(ALICE),
            queued,
            hyperparameters()
        ));
        let governed = create(BOB);
        assert_ok!(Subnets::apply_hyperparameters(governed, hyperparameters()));
        assert!(PendingHyperparameters::<Test>::contains_key(queued));
        assert!(HyperparametersQueuedAt::<Test>::contains_key(queued));
        assert!(GovernedUntil::<Test>::contains_key(governed));
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(ALICE),
            queued
        ));
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(BOB),
            governed
        ));
        assert_eq!(PendingHyperparameters::<Test>::iter().count(), 0);
        assert_eq!(HyperparametersQueuedAt::<Test>::iter().count(), 0);
        assert_eq!(GovernedUntil::<Test>::iter().count(), 0);
    });
}
