//! `submit_equivocation`: two different outputs signed by the miner's bound key for one
//! challenge quarantine it in the same block, without a vote; anything less changes nothing.

use super::*;
use crate::{OffenceKind, Quarantine};
use frame_support::assert_noop;
use mindos_primitives::{Perbill, QuarantineInfo};

fn submit(
    first: SignedResponse<AccountId>,
    second: SignedResponse<AccountId>,
) -> frame_support::dispatch::DispatchResult {
    Sentinels::submit_equivocation(
        RuntimeOrigin::signed(VALIDATORS[0]),
        NET,
        UID_A,
        first,
        second,
    )
}

#[test]
fn equivocation_quarantines_in_the_same_block_without_a_committee() {
    build_and_execute(|| {
        // Epoch 0: no committee exists, yet proven evidence works.
        assert!(Sentinels::current_committee(NET).is_none());
        let (first, second) = equivocation(UID_A, 42);
        assert_ok!(Sentinels::submit_equivocation(
            RuntimeOrigin::signed(VALIDATORS[3]),
            NET,
            UID_A,
            first,
            second
        ));
        assert_eq!(
            events(),
            vec![
                Event::EquivocationProven {
                    netuid: NET,
                    uid: UID_A,
                    hotkey: MINER_A,
                    reporter: VALIDATORS[3],
                    nonce: 42
                },
                Event::MinerQuarantined {
                    netuid: NET,
                    uid: UID_A,
                    hotkey: MINER_A,
                    offence: OffenceKind::Equivocation,
                    until_epoch: 2,
                    offences: 1
                },
                Event::SlashScheduled {
                    netuid: NET,
                    hotkey: MINER_A,
                    rate: Perbill::from_percent(5),
                    due_epoch: 2
                },
            ]
        );
        assert_eq!(
            Quarantines::<Test>::get(NET, MINER_A),
            Some(Quarantine {
                uid: UID_A,
                offence: OffenceKind::Equivocation,
                since_epoch: 0,
                since_block: 1,
                until_epoch: 2,
                offences: 1
            })
        );
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert_eq!(Sentinels::quarantined(NET), vec![UID_A]);
        assert!(!Sentinels::is_quarantined(NET, UID_B));
        assert_eq!(
            OffenceHistory::<Test>::get(NET, MINER_A).into_inner(),
            vec![0]
        );
    });
}

#[test]
fn identical_outputs_are_no_equivocation() {
    build_and_execute(|| {
        let c = challenge(UID_A, 0, 1, 1);
        assert_noop!(
            submit(answer(c.clone(), 3), answer(c, 3)),
            Error::<Test>::SameOutput
        );
    });
}

#[test]
fn answers_to_different_challenges_are_no_equivocation() {
    build_and_execute(|| {
        // Same nonce, different input: an honest miner answers both differently.
        let a = answer(challenge(UID_A, 0, 1, 1), 1);
        let b = answer(challenge(UID_A, 0, 1, 2), 2);
        assert_noop!(submit(a, b), Error::<Test>::ChallengesDiffer);
        let a = answer(challenge(UID_A, 0, 1, 1), 1);
        let b = answer(challenge(UID_A, 0, 2, 1), 2);
        assert_noop!(submit(a, b), Error::<Test>::ChallengesDiffer);
    });
}

#[test]
fn bad_signatures_are_refused_and_change_nothing() {
    build_and_execute(|| {
        let c = challenge(UID_A, 0, 1, 1);
        let good = answer(c.clone(), 1);
        let response = |output: u8| Response {
            challenge: c.clone(),
            seen_block: seen_block(),
            output_hash: [output; 32],
            latency_ms: 12,
        };
        // Signed by another key (the other miner's).
        let forged = sign_with(&miner_pair(UID_B), response(2));
        assert_noop!(submit(good.clone(), forged), Error::<Test>::BadSignature);
        // A valid signature moved onto another output.
        let mut moved = answer(c.clone(), 1);
        moved.response.output_hash = [2; 32];
        assert_noop!(submit(good.clone(), moved), Error::<Test>::BadSignature);
        // Signed for another chain (genesis hash).
        let message = crate::response_message(&[9u8; 32], &response(2));
        let other_chain = SignedResponse {
            signature: miner_pair(UID_A).sign(&message).0,
            response: response(2),
        };
        assert_noop!(submit(other_chain, good), Error::<Test>::BadSignature);
    });
}

#[test]
fn evidence_must_name_the_accused_slot() {
    build_and_execute(|| {
        let (first, second) = equivocation(UID_B, 1);
        assert_noop!(submit(first, second), Error::<Test>::WrongSubject);
        let mut c = challenge(UID_A, 0, 1, 1);
        c.netuid = OTHER_NET;
        assert_noop!(
            submit(answer(c.clone(), 1), answer(c, 2)),
            Error::<Test>::WrongSubject
        );
    });
}

#[test]
fn evidence_must_be_recent_and_not_from_the_future() {
    build_and_execute(|| {
        let future = challenge(UID_A, 1, 1, 1);
        assert_noop!(
            submit(answer(future.clone(), 1), answer(future, 2)),
            Error::<Test>::EvidenceFromFuture
        );
        run_to_epoch(3);
        // MaxEvidenceAgeEpochs = 2: epoch 1 is still usable at 3, epoch 0 is not.
        let old = challenge(UID_A, 0, 1, 1);
        assert_noop!(
            submit(answer(old.clone(), 1), answer(old, 2)),
            Error::<Test>::EvidenceTooOld
        );
        let recent = challenge(UID_A, 1, 1, 1);
        assert_ok!(submit(answer(recent.clone(), 1), answer(recent, 2)));
    });
}

#[test]
fn replayed_evidence_is_refused_after_release() {
    build_and_execute(|| {
        run_to_epoch(1);
        let (first, second) = equivocation(UID_A, 1);
        assert_ok!(submit(first.clone(), second.clone()));
        assert_noop!(
            submit(first.clone(), second.clone()),
            Error::<Test>::AlreadyQuarantined
        );
        run_to_epoch(3);
        assert_ok!(Sentinels::unquarantine(
            RuntimeOrigin::signed(MINER_A),
            NET,
            UID_A
        ));
        // Still recent enough, but the offence was sanctioned already.
        assert_noop!(
            submit(first, second),
            Error::<Test>::EvidenceAlreadySanctioned
        );
    });
}

#[test]
fn only_permit_holders_submit_about_live_neurons_with_keys() {
    build_and_execute(|| {
        let (first, second) = equivocation(UID_A, 1);
        assert_noop!(
            Sentinels::submit_equivocation(
                RuntimeOrigin::signed(OUTSIDER),
                NET,
                UID_A,
                first.clone(),
                second.clone()
            ),
            Error::<Test>::NoValidatorPermit
        );
        assert_noop!(
            Sentinels::submit_equivocation(
                RuntimeOrigin::signed(VALIDATORS[0]),
                NetUid(9),
                UID_A,
                first.clone(),
                second.clone()
            ),
            Error::<Test>::UnknownSubnet
        );
        assert_noop!(
            Sentinels::submit_equivocation(
                RuntimeOrigin::none(),
                NET,
                UID_A,
                first.clone(),
                second.clone()
            ),
            sp_runtime::DispatchError::BadOrigin
        );
        // The slot was freed.
        Slots::mutate(|s| s.remove(&(NET, UID_A)));
        assert_noop!(
            submit(first.clone(), second.clone()),
            Error::<Test>::UnknownNeuron
        );
        // The slot is held again, but the hotkey never served an Ed25519 key.
        Slots::mutate(|s| s.insert((NET, UID_A), MINER_A));
        KeyHistory::<Test>::remove(NET, MINER_A);
        assert_noop!(submit(first, second), Error::<Test>::NoBoundKey);
    });
}

#[test]
fn equivocation_must_name_the_pinned_model() {
    build_and_execute(|| {
        let mut c = challenge(UID_A, 0, 1, 1);
        c.model_digest = [8; 32];
        // A challenge under another model is not the subnet's task.
        assert_noop!(
            submit(answer(c.clone(), 1), answer(c, 2)),
            Error::<Test>::WrongModel
        );
    });
}

#[test]
fn rotating_the_peer_id_before_the_evidence_lands_does_not_escape_it() {
    build_and_execute(|| {
        run_to_epoch(1);
        let (first, second) = equivocation(UID_A, 1);
        // The miner serves a new PeerId (another Ed25519 key) before anyone submits.
        let rotated = ed25519::Pair::from_seed(&[200; 32]);
        bind_key(NET, UID_A, rotated.public().0);
        run_to(15);
        assert_ok!(submit(first, second));
        assert!(Sentinels::is_quarantined(NET, UID_A));
    });
}

#[test]
fn evidence_is_held_against_the_challenged_hotkey_and_must_carry_its_signature() {
    build_and_execute(|| {
        // Miner A's signatures on a challenge naming miner B convict nobody: B did not sign.
        let mut c = challenge(UID_A, 0, 1, 1);
        c.hotkey = MINER_B;
        assert_noop!(
            submit(answer(c.clone(), 1), answer(c, 2)),
            Error::<Test>::BadSignature
        );
        // Nor does evidence against a hotkey not registered on the subnet.
        let mut c = challenge(UID_A, 0, 1, 1);
        c.hotkey = OUTSIDER;
        assert_noop!(
            submit(answer(c.clone(), 1), answer(c, 2)),
            Error::<Test>::UnknownNeuron
        );
    });
}

#[test]
fn evidence_verifies_with_the_key_bound_in_the_challenges_epoch_only() {
    build_and_execute(|| {
        let rotated = ed25519::Pair::from_seed(&[200; 32]);
        let by = |pair: &ed25519::Pair, epoch: u64| {
            let c = challenge(UID_A, epoch, 1, 1);
            let response = |output: u8| Response {
                challenge: c.clone(),
                seen_block: seen_block(),
                output_hash: [output; 32],
                latency_ms: 12,
            };
            (sign_with(pair, response(1)), sign_with(pair, response(2)))
        };
        run_to_epoch(1);
        // Rotated during epoch 1: both keys verify epoch 1, only the old one epoch 0.
        bind_key(NET, UID_A, rotated.public().0);
        assert_eq!(
            Sentinels::keys_at(NET, &MINER_A, 1),
            vec![miner_pair(UID_A).public().0, rotated.public().0]
        );
        let (a, b) = by(&rotated, 0);
        assert_noop!(submit(a, b), Error::<Test>::BadSignature);
        run_to_epoch(2);
        assert_eq!(
            Sentinels::keys_at(NET, &MINER_A, 2),
            vec![rotated.public().0]
        );
        let (a, b) = by(&miner_pair(UID_A), 2);
        assert_noop!(submit(a, b), Error::<Test>::BadSignature);
        let (a, b) = by(&rotated, 1);
        assert_ok!(submit(a, b));
    });
}

#[test]
fn a_rotation_that_would_forget_a_recent_key_is_refused() {
    use mindos_primitives::EndpointObserver;
    build_and_execute(|| {
        let key = |seed: u8| ed25519::Pair::from_seed(&[seed; 32]).public().0;
        let bind = |seed: u8| {
            <Sentinels as EndpointObserver<AccountId>>::on_key_bound(NET, &MINER_A, key(seed))
        };
        // Genesis bound one key; three more fill MaxBoundKeys = 4.
        for seed in [201, 202, 203] {
            assert!(bind(seed));
        }
        // Serving the same key again records nothing.
        assert!(bind(203));
        assert_eq!(KeyHistory::<Test>::get(NET, MINER_A).len(), 4);
        assert!(!bind(204), "the genesis key still verifies usable evidence");
        // MaxEvidenceAgeEpochs = 2: at epoch 3, epoch 0's bindings verify nothing usable.
        run_to_epoch(2);
        assert!(!bind(204));
        run_to_epoch(3);
        assert!(bind(204));
        let history = KeyHistory::<Test>::get(NET, MINER_A);
        assert_eq!(
            history
                .iter()
                .map(|b| (b.key, b.from_epoch))
                .collect::<Vec<_>>(),
            vec![(key(203), 0), (key(204), 3)],
            "the bindings that verify no usable epoch were pruned"
        );
    });
}

#[test]
fn evidence_follows_the_hotkey_into_its_new_uid() {
    build_and_execute(|| {
        run_to_epoch(1);
        let (first, second) = equivocation(UID_A, 1);
        // Miner A moves from uid 10 to uid 12 before the evidence lands; a throwaway takes 10.
        Slots::mutate(|s| {
            s.insert((NET, UID_A), 31);
            s.insert((NET, 12), MINER_A);
        });
        assert_ok!(submit(first, second));
        assert!(Sentinels::is_quarantined(NET, 12));
        assert!(
            !Sentinels::is_quarantined(NET, UID_A),
            "the throwaway is clean"
        );
    });
}
