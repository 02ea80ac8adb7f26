//! Clearing state: a dissolved subnet (every hold returned, its bounded state at once, its
//! per-hotkey maps over blocks, other subnets untouched, a re-created id clean) and hotkeys
//! that left a subnet (what stays, what is pruned and when, bounded per boundary).

use super::*;
use crate::{canary_commitment, picked_at_random, CaseId, JudgedOffence, PendingSlashOf};
use codec::Encode;
use frame_support::{assert_noop, traits::fungible::InspectHold, BoundedVec};
use mindos_primitives::{EndpointObserver, OnSubnetDissolved, QuarantineInfo};

/// A third miner, for a case left open.
const MINER_C: AccountId = 23;
const UID_C: u16 = 12;

/// The canary opened against [`MINER_B`], and the one left live.
const OPENED: u8 = 50;
const LIVE: u8 = 51;
const EXPECTED: u8 = 60;
const SALT: [u8; 32] = [70; 32];

fn commitment(input: u8) -> [u8; 32] {
    canary_commitment(NET, &[input; 32], &[EXPECTED; 32], &SALT)
}

/// Dissolves `netuid` as the runtime does: the subnet goes, the neurons and stake pallets drop
/// its neurons and permits, then this pallet's hook runs.
pub(super) fn dissolve(netuid: NetUid) -> frame_support::weights::Weight {
    LiveSubnets::mutate(|live| live.retain(|n| *n != netuid));
    Slots::mutate(|s| s.retain(|(n, _), _| *n != netuid));
    Permits::mutate(|p| p.retain(|(n, _)| *n != netuid));
    <Sentinels as OnSubnetDissolved>::on_subnet_dissolved(netuid)
}

/// Everything this pallet keeps for `netuid`, encoded: per-subnet items, per-hotkey maps, and
/// the cases, judgments and audits naming it.
fn state_of(netuid: NetUid) -> Vec<Vec<u8>> {
    let mut state: Vec<Vec<u8>> = Vec::new();
    state.extend(
        SubnetEpoch::<Test>::try_get(netuid)
            .ok()
            .map(|e| e.encode()),
    );
    state.extend(Mix::<Test>::try_get(netuid).ok().map(|m| m.encode()));
    state.extend(CompletedMix::<Test>::get(netuid).map(|m| m.encode()));
    state.extend(Candidates::<Test>::get(netuid).map(|c| c.encode()));
    state.extend(OpenCases::<Test>::try_get(netuid).ok().map(|c| c.encode()));
    state.extend(Canaries::<Test>::try_get(netuid).ok().map(|c| c.encode()));
    state.extend(OpenAudits::<Test>::try_get(netuid).ok().map(|a| a.encode()));
    state.extend(
        SlashQueueBounds::<Test>::try_get(netuid)
            .ok()
            .map(|b| b.encode()),
    );
    state.extend(
        DepartureQueueBounds::<Test>::try_get(netuid)
            .ok()
            .map(|b| b.encode()),
    );
    state.extend(Committees::<Test>::iter_prefix(netuid).map(|e| e.encode()));
    state.extend(Quarantines::<Test>::iter_prefix(netuid).map(|e| e.encode()));
    state.extend(OffenceHistory::<Test>::iter_prefix(netuid).map(|e| e.encode()));
    state.extend(KeyHistory::<Test>::iter_prefix(netuid).map(|e| e.encode()));
    state.extend(PendingSlashes::<Test>::iter_prefix(netuid).map(|e| e.encode()));
    state.extend(SlashQueue::<Test>::iter_prefix(netuid).map(|e| e.encode()));
    state.extend(DepartedAt::<Test>::iter_prefix(netuid).map(|e| e.encode()));
    state.extend(DepartureQueue::<Test>::iter_prefix(netuid).map(|e| e.encode()));
    state.extend(
        Cases::<Test>::iter_values()
            .filter(|c| c.netuid == netuid)
            .map(|c| c.encode()),
    );
    state.extend(
        Judgments::<Test>::iter_values()
            .filter(|j| j.netuid == netuid)
            .map(|j| j.encode()),
    );
    state.extend(
        Audits::<Test>::iter_values()
            .filter(|a| a.netuid == netuid)
            .map(|a| a.encode()),
    );
    if PendingBoundaries::<Test>::get().contains(&netuid) {
        state.push(1u8.encode());
    }
    if SlashesDue::<Test>::get().contains(&netuid) {
        state.push(2u8.encode());
    }
    state
}

/// Every account the tests give funds to.
fn accounts() -> Vec<AccountId> {
    let mut all: Vec<AccountId> = VALIDATORS.to_vec();
    all.extend([MINER_A, MINER_B, MINER_C, OUTSIDER]);
    let owners: Vec<AccountId> = all.iter().map(|h| owner(*h)).collect();
    all.extend(owners);
    all
}

/// What the pallet holds from anyone, for any reason.
fn held_by_sentinels() -> Balance {
    accounts()
        .into_iter()
        .map(|who| Balances::total_balance_on_hold(&who))
        .sum()
}

/// On [`NET`], with committees of 4 from epoch 2: a canary opened against [`MINER_B`] (its
/// deposit held by the pending slash), a live canary, [`MINER_A`] convicted by a case and
/// appealed (audit open), a case left open against [`MINER_C`]; on [`OTHER_NET`], a miner with
/// a bound key. Returns the convicting case and the open case.
fn populate() -> (CaseId, CaseId) {
    Slots::mutate(|s| {
        s.insert((NET, UID_C), MINER_C);
        s.insert((OTHER_NET, 0), MINER_C);
    });
    StakeOf::mutate(|s| {
        s.insert(MINER_C, MINER_STAKE);
    });
    bind_key(OTHER_NET, 0, miner_pair(UID_C).public().0);
    assert_ok!(Sentinels::commit_canary(
        RuntimeOrigin::signed(VALIDATORS[0]),
        NET,
        commitment(OPENED)
    ));
    CommitteeSizeParam::set(4);
    ThresholdParam::set(3);
    run_to_epoch(2);
    let members = sitting();
    assert_eq!(members.len(), 4);
    // The canary: MINER_B answers it wrongly.
    let wrong = answer(challenge(UID_B, 2, 9, OPENED), 61);
    assert_ok!(Sentinels::submit_canary_failure(
        RuntimeOrigin::signed(VALIDATORS[1]),
        NET,
        UID_B,
        wrong,
        [EXPECTED; 32],
        SALT
    ));
    assert_ok!(Sentinels::commit_canary(
        RuntimeOrigin::signed(VALIDATORS[0]),
        NET,
        commitment(LIVE)
    ));
    // The conviction of MINER_A, appealed.
    let convicting = NextCaseId::<Test>::get();
    // A mix under which the conviction is not audited at random: the appeal opens the audit.
    let mix = (0u8..=255)
        .map(|i| [i; 32])
        .find(|mix| !picked_at_random(mix, convicting))
        .expect("some accumulator does not pick");
    Mix::<Test>::insert(NET, mix);
    assert_ok!(Sentinels::report(
        RuntimeOrigin::signed(members[0]),
        NET,
        UID_A,
        JudgedOffence::WrongOutput,
        [3; 32]
    ));
    for voter in &members[1..3] {
        assert_ok!(Sentinels::vote(
            RuntimeOrigin::signed(*voter),
            convicting,
            true
        ));
    }
    assert!(Sentinels::is_quarantined(NET, UID_A));
    assert_ok!(Sentinels::appeal(
        RuntimeOrigin::signed(owner(MINER_A)),
        convicting
    ));
    // A case left open.
    let open = NextCaseId::<Test>::get();
    assert_ok!(Sentinels::report(
        RuntimeOrigin::signed(members[3]),
        NET,
        UID_C,
        JudgedOffence::Timeout,
        [4; 32]
    ));
    (convicting, open)
}

#[test]
fn dissolution_returns_every_hold_and_clears_the_subnet_leaving_others_untouched() {
    build_and_execute(|| {
        let (convicting, open) = populate();
        // What there is to clear.
        assert!(Cases::<Test>::contains_key(open));
        assert!(Audits::<Test>::contains_key(convicting));
        assert_eq!(Canaries::<Test>::get(NET).len(), 1);
        assert!(PendingSlashes::<Test>::get(NET, MINER_A).is_some());
        let slash_b: PendingSlashOf<Test> = PendingSlashes::<Test>::get(NET, MINER_B).unwrap();
        assert_eq!(slash_b.canary_deposits.len(), 1);
        assert!(Quarantines::<Test>::contains_key(NET, MINER_A));
        assert!(held_by_sentinels() > 0);
        let other = state_of(OTHER_NET);
        assert!(!other.is_empty());
        let issuance = Balances::total_issuance();
        let free: Vec<Balance> = accounts()
            .into_iter()
            .map(|who| Balances::free_balance(who) + Balances::total_balance_on_hold(&who))
            .collect();
        // No boundary while it is cleared, so OTHER_NET stays as it is.
        Tempo::set(1_000);
        ClearedPerBlock::set(2);

        let weight = dissolve(NET);
        assert_eq!(
            weight,
            <() as crate::WeightInfo>::on_subnet_dissolved(1, 1, 1),
            "one open case, one live canary, one audit"
        );
        System::assert_last_event(
            Event::SubnetStateReleased {
                netuid: NET,
                cases: 1,
                bonds_returned: BOND,
                canaries: 1,
                canary_deposits_returned: CANARY_DEPOSIT,
                audits: 1,
                appeal_deposits_returned: APPEAL_DEPOSIT,
            }
            .into(),
        );
        assert!(Dissolved::<Test>::contains_key(NET));
        assert!(!Cases::<Test>::contains_key(open));
        assert!(!Audits::<Test>::contains_key(convicting));
        assert_eq!(Sentinels::epoch(NET), 0);
        // The per-hotkey maps go over the next blocks, two entries a block.
        let mut blocks = 0;
        while Dissolved::<Test>::contains_key(NET) {
            run_to(System::block_number() + 1);
            Sentinels::do_try_state().expect("invariants hold while clearing");
            blocks += 1;
            assert!(blocks < 20, "clearing ends");
        }
        assert!(blocks > 1, "cleared over several blocks");
        let evs = events();
        for hotkey in [MINER_A, MINER_B] {
            assert!(evs.iter().any(|e| matches!(
                e,
                Event::PendingSlashDropped { netuid: NET, hotkey: h, .. } if *h == hotkey
            )));
        }
        System::assert_last_event(Event::SubnetStateCleared { netuid: NET }.into());

        assert_eq!(state_of(NET), Vec::<Vec<u8>>::new(), "nothing left of NET");
        assert_eq!(held_by_sentinels(), 0, "every bond and deposit returned");
        assert_eq!(
            Balances::total_issuance(),
            issuance,
            "nothing burned or minted"
        );
        let after: Vec<Balance> = accounts().into_iter().map(Balances::free_balance).collect();
        assert_eq!(after, free, "each got back what it had put in");
        assert!(
            Slashes::get().is_empty(),
            "the pending slashes were dropped"
        );
        assert_eq!(state_of(OTHER_NET), other, "OTHER_NET untouched");
        // Nothing more to do.
        let before = System::events().len();
        run_to(System::block_number() + 3);
        assert_eq!(System::events().len(), before);
    });
}

#[test]
fn a_dissolved_subnets_convictions_cannot_be_appealed_while_it_is_cleared() {
    build_and_execute(|| {
        let (convicting, _) = populate();
        // A conviction nobody appealed yet: MINER_B's canary conviction.
        let canary_case = PendingSlashes::<Test>::get(NET, MINER_B).unwrap().cases[0];
        assert!(!Audits::<Test>::contains_key(canary_case));
        dissolve(NET);
        assert!(
            Judgments::<Test>::contains_key(canary_case),
            "cleared later"
        );
        assert_noop!(
            Sentinels::appeal(RuntimeOrigin::signed(owner(MINER_B)), canary_case),
            Error::<Test>::UnknownSubnet
        );
        assert_noop!(
            Sentinels::close_audit(RuntimeOrigin::signed(OUTSIDER), convicting),
            Error::<Test>::UnknownAudit
        );
        // Its neurons are gone, so no quarantine of it can be released.
        assert_noop!(
            Sentinels::unquarantine(RuntimeOrigin::signed(MINER_A), NET, UID_A),
            Error::<Test>::NotQuarantined
        );
    });
}

#[test]
fn dissolving_an_unknown_subnet_is_harmless() {
    build_and_execute(|| {
        populate();
        let (net, other) = (state_of(NET), state_of(OTHER_NET));
        let held = held_by_sentinels();
        let unknown = NetUid(7);
        assert_eq!(
            dissolve(unknown),
            <() as crate::WeightInfo>::on_subnet_dissolved(0, 0, 0)
        );
        run_to(System::block_number() + 1);
        System::assert_last_event(Event::SubnetStateCleared { netuid: unknown }.into());
        assert!(!Dissolved::<Test>::contains_key(unknown));
        assert_eq!(state_of(unknown), Vec::<Vec<u8>>::new());
        assert_eq!(held_by_sentinels(), held);
        assert_eq!(state_of(NET), net);
        assert_eq!(state_of(OTHER_NET), other);
    });
}

#[test]
fn a_recreated_netuid_starts_clean() {
    build_and_execute(|| {
        populate();
        Tempo::set(1_000);
        dissolve(NET);
        run_to(System::block_number() + 1);
        assert!(!Dissolved::<Test>::contains_key(NET));
        // The id comes back (the subnets pallet never does this; the mock can), and the same
        // hotkeys register in the same slots.
        LiveSubnets::mutate(|live| live.push(NET));
        Slots::mutate(|s| {
            s.insert((NET, UID_A), MINER_A);
        });
        Permits::mutate(|p| p.push((NET, VALIDATORS[0])));
        assert_eq!(Sentinels::epoch(NET), 0);
        assert!(!Sentinels::is_quarantined(NET, UID_A));
        assert!(Sentinels::quarantined(NET).is_empty());
        assert!(Sentinels::current_committee(NET).is_none());
        assert!(KeyHistory::<Test>::get(NET, MINER_A).is_empty());
        assert!(OffenceHistory::<Test>::get(NET, MINER_A).is_empty());
        // A new offence is a first offence.
        bind_key(NET, UID_A, miner_pair(UID_A).public().0);
        run_to(System::block_number() + 1);
        equivocate(UID_A);
        assert_eq!(OffenceHistory::<Test>::get(NET, MINER_A).len(), 1);
        assert_eq!(Quarantines::<Test>::get(NET, MINER_A).unwrap().offences, 1);
    });
}

#[test]
fn the_subnets_hook_charges_the_largest_dissolution() {
    build_and_execute(|| {
        // The mock: MaxOpenCasesPerSubnet = 4, MaxCanariesPerSubnet = 3,
        // MaxOpenAuditsPerSubnet = 2.
        assert_eq!(
            <Sentinels as OnSubnetDissolved>::max_weight(),
            <() as crate::WeightInfo>::on_subnet_dissolved(4, 3, 2)
        );
        assert!(Sentinels::max_clear_weight().all_gte(
            <() as crate::WeightInfo>::drop_slash()
                .saturating_mul(u64::from(ClearedPerBlock::get()))
        ));
    });
}

#[test]
fn try_state_catches_state_of_a_subnet_that_does_not_exist() {
    build_and_execute(|| {
        SubnetEpoch::<Test>::insert(NetUid(7), 3);
        assert!(Sentinels::do_try_state().is_err());
        // Queued for clearing, its per-hotkey leftovers are fine, but not what the
        // dissolution releases at once.
        Dissolved::<Test>::insert(NetUid(7), ());
        assert!(Sentinels::do_try_state().is_err());
        SubnetEpoch::<Test>::remove(NetUid(7));
        KeyHistory::<Test>::insert(NetUid(7), MINER_A, BoundedVec::truncate_from(vec![]));
        assert_ok!(Sentinels::do_try_state());
        // A live subnet is never being cleared.
        Dissolved::<Test>::insert(NET, ());
        assert!(Sentinels::do_try_state().is_err());
        Dissolved::<Test>::remove(NET);
        KeyHistory::<Test>::remove(NetUid(7), MINER_A);
        Dissolved::<Test>::remove(NetUid(7));
        // A departure must wait in its queue.
        DepartedAt::<Test>::insert(NET, MINER_A, 0);
        assert!(Sentinels::do_try_state().is_err());
        DepartedAt::<Test>::remove(NET, MINER_A);
    });
}

// ----- departures -----

/// The miner at `uid` of [`NET`] leaves it, as the neurons pallet reports it.
fn leave(uid: u16) -> AccountId {
    let hotkey = Slots::mutate(|s| s.remove(&(NET, uid))).expect("registered");
    <Sentinels as EndpointObserver<AccountId>>::on_neuron_left(NET, &hotkey);
    hotkey
}

/// Every block a boundary of both test subnets.
fn fast_epochs() {
    Tempo::set(1);
}

/// Runs blocks until [`NET`] enters sentinel epoch `epoch` (one a block after
/// [`fast_epochs`]).
fn run_to_epoch_fast(epoch: u64) {
    while Sentinels::epoch(NET) < epoch {
        run_to(System::block_number() + 1);
    }
    assert_eq!(Sentinels::epoch(NET), epoch);
}

#[test]
fn a_departed_miner_keeps_its_quarantine_and_offences_and_its_slash_lands() {
    build_and_execute(|| {
        fast_epochs();
        QuarantineEpochsParam::set(10);
        run_to_epoch_fast(1);
        equivocate(UID_A);
        let until = Quarantines::<Test>::get(NET, MINER_A).unwrap().until_epoch;
        leave(UID_A);
        assert_eq!(DepartedAt::<Test>::get(NET, MINER_A), Some(1));
        // Its slash lands after the audit window though it left.
        run_to_epoch_fast(1 + u64::from(AuditWindow::get()));
        assert_eq!(Slashes::get().len(), 1);
        assert_eq!(Slashes::get()[0].0, MINER_A);
        // Back in another slot before its quarantine ends: still quarantined, offence counted.
        assert!(Sentinels::epoch(NET) < until);
        Slots::mutate(|s| {
            s.insert((NET, 15), MINER_A);
        });
        assert!(Sentinels::is_quarantined(NET, 15));
        assert_eq!(OffenceHistory::<Test>::get(NET, MINER_A).len(), 1);
        // Found registered when examined: its state is live again, the departure forgotten.
        run_to_epoch_fast(1 + Sentinels::departure_horizon() + 1);
        assert_eq!(DepartedAt::<Test>::get(NET, MINER_A), None);
        assert!(!DepartureQueueBounds::<Test>::contains_key(NET));
        assert!(
            Quarantines::<Test>::contains_key(NET, MINER_A),
            "release is explicit"
        );
        assert!(!KeyHistory::<Test>::get(NET, MINER_A).is_empty());
    });
}

#[test]
fn evidence_from_before_a_departure_still_lands_when_the_miner_comes_back() {
    build_and_execute(|| {
        fast_epochs();
        run_to_epoch_fast(1);
        let (first, second) = equivocation(UID_A, 1);
        leave(UID_A);
        run_to_epoch_fast(2);
        Slots::mutate(|s| {
            s.insert((NET, UID_A), MINER_A);
        });
        assert_ok!(Sentinels::submit_equivocation(
            RuntimeOrigin::signed(VALIDATORS[0]),
            NET,
            UID_A,
            first,
            second
        ));
    });
}

#[test]
fn what_a_departed_miner_left_is_pruned_once_nothing_can_need_it() {
    build_and_execute(|| {
        fast_epochs();
        run_to_epoch_fast(1);
        equivocate(UID_A);
        leave(UID_A);
        // MINER_B leaves without any sanction.
        leave(UID_B);
        let horizon = Sentinels::departure_horizon();
        assert_eq!(
            horizon, 30,
            "the quarantine window outlasts the evidence age"
        );
        // Before the horizon, nothing goes: evidence and offences could still matter.
        run_to_epoch_fast(1 + horizon);
        assert!(!KeyHistory::<Test>::get(NET, MINER_A).is_empty());
        assert!(!OffenceHistory::<Test>::get(NET, MINER_A).is_empty());
        assert!(Quarantines::<Test>::contains_key(NET, MINER_A));
        assert!(DepartedAt::<Test>::contains_key(NET, MINER_B));
        run_to_epoch_fast(2 + horizon);
        for hotkey in [MINER_A, MINER_B] {
            assert!(KeyHistory::<Test>::get(NET, hotkey).is_empty());
            assert!(OffenceHistory::<Test>::get(NET, hotkey).is_empty());
            assert!(!Quarantines::<Test>::contains_key(NET, hotkey));
            assert!(!DepartedAt::<Test>::contains_key(NET, hotkey));
        }
        assert_eq!(DepartureQueue::<Test>::iter_prefix(NET).count(), 0);
        assert!(!DepartureQueueBounds::<Test>::contains_key(NET));
    });
}

#[test]
fn a_running_quarantine_outlives_the_horizon_and_is_pruned_when_it_ends() {
    build_and_execute(|| {
        fast_epochs();
        QuarantineEpochsParam::set(40);
        run_to_epoch_fast(1);
        equivocate(UID_A);
        let until = Quarantines::<Test>::get(NET, MINER_A).unwrap().until_epoch;
        assert_eq!(until, 41);
        leave(UID_A);
        let horizon = Sentinels::departure_horizon();
        run_to_epoch_fast(2 + horizon);
        assert!(
            Quarantines::<Test>::contains_key(NET, MINER_A),
            "a running quarantine stays: coming back does not escape it"
        );
        assert!(KeyHistory::<Test>::get(NET, MINER_A).is_empty());
        assert!(
            OffenceHistory::<Test>::get(NET, MINER_A).is_empty(),
            "the offence is out of the window"
        );
        assert!(
            DepartedAt::<Test>::contains_key(NET, MINER_A),
            "examined again later"
        );
        run_to_epoch_fast(3 + 2 * horizon);
        assert!(!Quarantines::<Test>::contains_key(NET, MINER_A));
        assert!(!DepartedAt::<Test>::contains_key(NET, MINER_A));
    });
}

#[test]
fn departures_are_examined_at_most_max_departures_per_boundary() {
    build_and_execute(|| {
        fast_epochs();
        DeparturesPerBoundary::set(1);
        run_to_epoch_fast(1);
        leave(UID_A);
        leave(UID_B);
        // Leaving twice (back, then away again) keeps one place in the queue.
        Slots::mutate(|s| {
            s.insert((NET, UID_A), MINER_A);
        });
        leave(UID_A);
        assert_eq!(DepartureQueue::<Test>::iter_prefix(NET).count(), 2);
        let horizon = Sentinels::departure_horizon();
        run_to_epoch_fast(2 + horizon);
        assert_eq!(
            DepartureQueue::<Test>::iter_prefix(NET).count(),
            1,
            "one a boundary"
        );
        run_to_epoch_fast(3 + horizon);
        assert_eq!(DepartureQueue::<Test>::iter_prefix(NET).count(), 0);
        assert!(KeyHistory::<Test>::get(NET, MINER_A).is_empty());
        assert!(KeyHistory::<Test>::get(NET, MINER_B).is_empty());
    });
}

#[test]
fn the_observer_charges_the_heavier_of_its_hooks() {
    build_and_execute(|| {
        assert_eq!(
            <Sentinels as EndpointObserver<AccountId>>::max_weight(),
            <() as crate::WeightInfo>::on_key_bound()
                .max(<() as crate::WeightInfo>::on_neuron_left())
        );
    });
}
