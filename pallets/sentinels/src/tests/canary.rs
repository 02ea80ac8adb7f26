//! `commit_canary` and `submit_canary_failure`: a hidden canary committed before a challenge,
//! opened to prove a miner's wrong answer; its lifetime.

use super::*;
use crate::{canary_commitment, Canary, OffenceKind, SeenBlock};
use frame_support::{assert_noop, traits::fungible::Mutate};
use mindos_primitives::QuarantineInfo;

/// The input of the test canary, its right output and its salt.
const INPUT: u8 = 50;
const EXPECTED: u8 = 60;
const SALT: [u8; 32] = [70; 32];

fn commitment() -> [u8; 32] {
    canary_commitment(NET, &[INPUT; 32], &[EXPECTED; 32], &SALT)
}

fn commit() {
    assert_ok!(Sentinels::commit_canary(
        RuntimeOrigin::signed(VALIDATORS[0]),
        NET,
        commitment()
    ));
}

/// `response` signed by its miner's key as it stands.
fn answer_as_is(response: crate::Response<AccountId>) -> SignedResponse<AccountId> {
    sign_with(&miner_pair(response.challenge.uid), response)
}

/// The miner at `uid` answers the canary's input with `output` in `epoch`.
fn canary_answer(uid: u16, epoch: u64, output: u8) -> SignedResponse<AccountId> {
    answer(challenge(uid, epoch, 9, INPUT), output)
}

fn prove(response: SignedResponse<AccountId>) -> frame_support::dispatch::DispatchResult {
    Sentinels::submit_canary_failure(
        RuntimeOrigin::signed(VALIDATORS[1]),
        NET,
        UID_A,
        response,
        [EXPECTED; 32],
        SALT,
    )
}

#[test]
fn commit_canary_stores_the_hidden_commitment() {
    build_and_execute(|| {
        run_to_epoch(1);
        commit();
        System::assert_last_event(
            Event::CanaryCommitted {
                netuid: NET,
                commitment: commitment(),
                committer: VALIDATORS[0],
                deposit: CANARY_DEPOSIT,
            }
            .into(),
        );
        assert_eq!(
            Canaries::<Test>::get(NET).into_inner(),
            vec![Canary {
                commitment: commitment(),
                committer: VALIDATORS[0],
                deposit: CANARY_DEPOSIT,
                epoch: 1,
                committed_at_block: 10
            }]
        );
        // The input hash itself is nowhere on chain: a miner cannot spot the canary.
        assert_ne!(commitment(), [INPUT; 32]);
    });
}

#[test]
fn commit_canary_failures_change_nothing() {
    build_and_execute(|| {
        assert_noop!(
            Sentinels::commit_canary(RuntimeOrigin::signed(OUTSIDER), NET, commitment()),
            Error::<Test>::NoValidatorPermit
        );
        assert_noop!(
            Sentinels::commit_canary(RuntimeOrigin::signed(VALIDATORS[0]), NetUid(9), [1; 32]),
            Error::<Test>::UnknownSubnet
        );
        commit();
        assert_noop!(
            Sentinels::commit_canary(RuntimeOrigin::signed(VALIDATORS[2]), NET, commitment()),
            Error::<Test>::CanaryAlreadyCommitted
        );
        // A committer that cannot hold the deposit.
        Balances::set_balance(&VALIDATORS[3], CANARY_DEPOSIT);
        assert_noop!(
            Sentinels::commit_canary(RuntimeOrigin::signed(VALIDATORS[3]), NET, [1; 32]),
            Error::<Test>::InsufficientCanaryDeposit
        );
        // Two committers fill the subnet (MaxCanariesPerCommitter = 2).
        for (committer, c) in [(VALIDATORS[0], 1u8), (VALIDATORS[1], 2)] {
            assert_ok!(Sentinels::commit_canary(
                RuntimeOrigin::signed(committer),
                NET,
                [c; 32]
            ));
        }
        // MaxCanariesPerSubnet = 3.
        assert_noop!(
            Sentinels::commit_canary(RuntimeOrigin::signed(VALIDATORS[1]), NET, [3; 32]),
            Error::<Test>::TooManyCanaries
        );
    });
}

#[test]
fn a_wrong_answer_to_a_committed_canary_quarantines_at_once() {
    build_and_execute(|| {
        run_to_epoch(1);
        commit();
        run_to_epoch(2);
        assert_ok!(prove(canary_answer(UID_A, 2, 61)));
        let evs = events();
        let proven = Event::CanaryFailureProven {
            netuid: NET,
            uid: UID_A,
            hotkey: MINER_A,
            reporter: VALIDATORS[1],
            committer: VALIDATORS[0],
            commitment: commitment(),
        };
        let at = evs.iter().position(|e| *e == proven).expect("proven");
        assert!(matches!(
            evs.get(at + 1),
            Some(Event::MinerQuarantined {
                offence: OffenceKind::CanaryFailure,
                until_epoch: 4,
                ..
            })
        ));
        assert!(Sentinels::is_quarantined(NET, UID_A));
        assert!(
            Canaries::<Test>::get(NET).is_empty(),
            "an opened canary is public and dropped"
        );
    });
}

#[test]
fn canary_failure_proofs_that_do_not_hold_change_nothing() {
    build_and_execute(|| {
        run_to_epoch(1);
        commit();
        // A challenge in the commitment's own epoch: the canary was not committed before it.
        assert_noop!(
            prove(canary_answer(UID_A, 1, 61)),
            Error::<Test>::CanaryNotBeforeChallenge
        );
        run_to_epoch(2);
        // The right answer.
        assert_noop!(
            prove(canary_answer(UID_A, 2, EXPECTED)),
            Error::<Test>::CanaryAnsweredCorrectly
        );
        // A wrong opening (salt), or a challenge on another input.
        assert_noop!(
            Sentinels::submit_canary_failure(
                RuntimeOrigin::signed(VALIDATORS[1]),
                NET,
                UID_A,
                canary_answer(UID_A, 2, 61),
                [EXPECTED; 32],
                [71; 32],
            ),
            Error::<Test>::UnknownCanary
        );
        assert_noop!(
            prove(answer(challenge(UID_A, 2, 9, INPUT + 1), 61)),
            Error::<Test>::UnknownCanary
        );
        // Another miner's answer, or one from the future.
        assert_noop!(
            prove(canary_answer(UID_B, 2, 61)),
            Error::<Test>::WrongSubject
        );
        assert_noop!(
            prove(canary_answer(UID_A, 3, 61)),
            Error::<Test>::EvidenceFromFuture
        );
        // Not signed by the miner's key.
        let forged = sign_with(&miner_pair(UID_B), canary_answer(UID_A, 2, 61).response);
        assert_noop!(prove(forged), Error::<Test>::BadSignature);
        assert_noop!(
            Sentinels::submit_canary_failure(
                RuntimeOrigin::signed(OUTSIDER),
                NET,
                UID_A,
                canary_answer(UID_A, 2, 61),
                [EXPECTED; 32],
                SALT,
            ),
            Error::<Test>::NoValidatorPermit
        );
        // Already quarantined for something else.
        equivocate(UID_A);
        assert_noop!(
            prove(canary_answer(UID_A, 2, 61)),
            Error::<Test>::AlreadyQuarantined
        );
    });
}

#[test]
fn canaries_expire_after_their_lifetime() {
    build_and_execute(|| {
        run_to_epoch(1);
        commit();
        run_to_epoch(4);
        assert_eq!(Canaries::<Test>::get(NET).len(), 1);
        // CanaryLifetimeEpochs = 4: committed in epoch 1, dropped entering epoch 5.
        run_to_epoch(5);
        assert!(Canaries::<Test>::get(NET).is_empty());
        assert!(events().contains(&Event::CanariesExpired {
            netuid: NET,
            count: 1
        }));
        assert_noop!(
            prove(canary_answer(UID_A, 5, 61)),
            Error::<Test>::UnknownCanary
        );
    });
}

#[test]
fn a_canary_committed_after_the_miners_answer_proves_nothing() {
    build_and_execute(|| {
        run_to_epoch(1);
        // The sentinel asks the miner at block 12, naming a later epoch of its choice...
        run_to(12);
        let framed = canary_answer(UID_A, 2, 61);
        // ...and only then commits the "expected" output of the input it sent.
        run_to(15);
        commit();
        run_to_epoch(2);
        assert_noop!(prove(framed), Error::<Test>::CanaryNotBeforeSeenBlock);
    });
}

#[test]
fn the_seen_block_must_be_a_block_of_this_chain_whose_hash_is_kept() {
    build_and_execute(|| {
        run_to_epoch(1);
        commit();
        run_to(21);
        let honest = canary_answer(UID_A, 2, 61);
        let with_seen = |number: u64, hash: [u8; 32]| {
            let mut response = honest.response.clone();
            response.seen_block = SeenBlock { number, hash };
            answer_as_is(response)
        };
        // A hash that is not the block's, a zero hash, a block not sealed yet.
        assert_noop!(
            prove(with_seen(19, [1; 32])),
            Error::<Test>::UnknownSeenBlock
        );
        assert_noop!(
            prove(with_seen(19, [0; 32])),
            Error::<Test>::UnknownSeenBlock
        );
        assert_noop!(
            prove(with_seen(21, hash_of(21).0)),
            Error::<Test>::UnknownSeenBlock
        );
        // The seen block is the canary's own block: not after it.
        assert_noop!(
            prove(with_seen(10, hash_of(10).0)),
            Error::<Test>::CanaryNotBeforeSeenBlock
        );
        // BlockHashCount = 10: in block 26 the chain keeps the hashes of blocks 15..=25 only.
        let late = with_seen(14, hash_of(14).0);
        run_to(26);
        assert_noop!(prove(late), Error::<Test>::SeenBlockTooOld);
        assert_ok!(prove(with_seen(20, hash_of(20).0)));
    });
}

/// Everything `who` has on hold, whatever the reason.
fn on_hold(who: AccountId) -> Balance {
    use frame_support::traits::fungible::InspectHold;
    Balances::total_balance_on_hold(&who)
}

#[test]
fn a_canary_holds_a_deposit_until_it_expires_unused() {
    build_and_execute(|| {
        run_to_epoch(1);
        let free = Balances::free_balance(VALIDATORS[0]);
        commit();
        assert_eq!(on_hold(VALIDATORS[0]), CANARY_DEPOSIT);
        assert_eq!(Balances::free_balance(VALIDATORS[0]), free - CANARY_DEPOSIT);
        run_to_epoch(5);
        assert!(Canaries::<Test>::get(NET).is_empty());
        assert_eq!(
            on_hold(VALIDATORS[0]),
            0,
            "released when the canary expires"
        );
        assert_eq!(Balances::free_balance(VALIDATORS[0]), free);
    });
}

#[test]
fn one_committer_holds_at_most_max_canaries_per_committer() {
    build_and_execute(|| {
        // MaxCanariesPerCommitter = 2, MaxCanariesPerSubnet = 3.
        for c in [1u8, 2] {
            assert_ok!(Sentinels::commit_canary(
                RuntimeOrigin::signed(VALIDATORS[0]),
                NET,
                [c; 32]
            ));
        }
        assert_noop!(
            Sentinels::commit_canary(RuntimeOrigin::signed(VALIDATORS[0]), NET, [3; 32]),
            Error::<Test>::TooManyCanariesOfCommitter
        );
        assert_ok!(Sentinels::commit_canary(
            RuntimeOrigin::signed(VALIDATORS[1]),
            NET,
            [3; 32]
        ));
    });
}

#[test]
fn a_canary_failure_pays_the_committer_and_releases_its_deposit_after_the_audit_window() {
    build_and_execute(|| {
        run_to_epoch(1);
        commit();
        run_to_epoch(2);
        // VALIDATORS[1] submits; VALIDATORS[0] committed the canary and answers for it.
        assert_ok!(prove(canary_answer(UID_A, 2, 61)));
        assert_eq!(
            on_hold(VALIDATORS[0]),
            CANARY_DEPOSIT,
            "held through the audit window"
        );
        let committer = Balances::free_balance(VALIDATORS[0]);
        let submitter = Balances::free_balance(VALIDATORS[1]);
        run_to_epoch(4);
        let slashed = MINER_STAKE / 20;
        assert_eq!(Slashes::get().len(), 1);
        assert_eq!(on_hold(VALIDATORS[0]), 0, "released when the slash settles");
        assert_eq!(
            Balances::free_balance(VALIDATORS[0]),
            committer + CANARY_DEPOSIT + slashed / 10,
            "the committer is rewarded"
        );
        assert_eq!(
            Balances::free_balance(VALIDATORS[1]),
            submitter,
            "whoever submits the opening earns nothing: front-running it pays nothing"
        );
    });
}

#[test]
fn canaries_need_exactly_scored_subnets() {
    build_and_execute(|| {
        // A float subnet is judged within a tolerance: an exact hash cannot judge it.
        Tasks::mutate(|t| {
            t.insert(NET, task(mindos_primitives::ScoringRule::CosineSimilarity));
        });
        assert_noop!(
            Sentinels::commit_canary(RuntimeOrigin::signed(VALIDATORS[0]), NET, commitment()),
            Error::<Test>::InexactScoring
        );
        // Nor is a canary committed before proof against a float subnet's miner.
        Tasks::set(Default::default());
        commit();
        run_to_epoch(1);
        Tasks::mutate(|t| {
            t.insert(NET, task(mindos_primitives::ScoringRule::CosineSimilarity));
        });
        assert_noop!(
            prove(canary_answer(UID_A, 1, 61)),
            Error::<Test>::InexactScoring
        );
    });
}

#[test]
fn a_canary_failure_must_name_the_pinned_model() {
    build_and_execute(|| {
        run_to_epoch(1);
        commit();
        run_to_epoch(2);
        let mut c = challenge(UID_A, 2, 9, INPUT);
        c.model_digest = [8; 32];
        // An answer computed with another model proves nothing about this subnet.
        assert_noop!(prove(answer(c, 61)), Error::<Test>::WrongModel);
    });
}
