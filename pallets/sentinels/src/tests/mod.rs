//! Tests of the sentinels pallet, by topic: committees and the RANDAO mix, each call (a success,
//! every failure with state untouched), quarantines and deregistration, delayed slashing. Every
//! test ends with the `try_state` invariants.

mod audit;
mod canary;
mod cases;
mod cleanup;
mod committee;
mod equivocation;
mod escalation;
mod quarantine;
mod slashing;

use crate::{
    mock::*, pallet::*, response_message, Challenge, Event, HoldReason, NetUid, Response,
    SeenBlock, SignedResponse,
};
use frame_support::{assert_ok, traits::fungible::InspectHold, traits::Hooks};
use sp_core::{ed25519, Pair};

/// Runs `test` on a fresh chain and checks the invariants afterwards.
pub(crate) fn build_and_execute(test: impl FnOnce()) {
    ExtBuilder::default().build_and_execute(test);
}

/// The hash the test chain gives block `number` (genesis keeps frame-system's).
pub(crate) fn hash_of(number: u64) -> sp_core::H256 {
    sp_core::H256(sp_io::hashing::blake2_256(&number.to_le_bytes()))
}

/// Runs blocks (with the pallet's `on_initialize`) up to and including `block`. Keeps block
/// hashes as frame-system does: each block's is stored when the next begins, and only the last
/// `BlockHashCount` (10 in the mock) besides genesis.
pub(crate) fn run_to(block: u64) {
    use frame_support::traits::Get;
    while System::block_number() < block {
        let parent = System::block_number();
        if parent > 0 {
            frame_system::BlockHash::<Test>::insert(parent, hash_of(parent));
        }
        let count: u64 = <Test as frame_system::Config>::BlockHashCount::get();
        let pruned = parent.saturating_sub(count).saturating_sub(1);
        if pruned > 0 {
            frame_system::BlockHash::<Test>::remove(pruned);
        }
        let next = parent + 1;
        System::set_block_number(next);
        Sentinels::on_initialize(next);
    }
}

/// The block before the current one, as a miner's signer names it in its answer.
pub(crate) fn seen_block() -> SeenBlock {
    let number = System::block_number() - 1;
    SeenBlock {
        number,
        hash: System::block_hash(number).0,
    }
}

/// Runs to the boundary that starts sentinel epoch `epoch` of the test subnets.
pub(crate) fn run_to_epoch(epoch: u64) {
    run_to(epoch * Tempo::get());
    assert_eq!(Sentinels::epoch(NET), epoch);
}

/// This pallet's events so far, oldest first.
pub(crate) fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|record| record.event.try_into().ok())
        .collect()
}

/// What `who` holds as report bonds.
pub(crate) fn held(who: AccountId) -> Balance {
    Balances::balance_on_hold(&RuntimeHoldReason::Sentinels(HoldReason::ReportBond), &who)
}

/// A challenge to the miner at `uid` of [`NET`] (the hotkey holding it now) in `epoch`, with
/// input `[input; 32]`, under the pinned model.
pub(crate) fn challenge(uid: u16, epoch: u64, nonce: u64, input: u8) -> Challenge<AccountId> {
    Challenge {
        netuid: NET,
        uid,
        hotkey: Slots::get().get(&(NET, uid)).copied().unwrap_or(OUTSIDER),
        epoch,
        nonce,
        input_hash: [input; 32],
        model_digest: [7; 32],
        deadline: 1_000,
    }
}

/// `response` signed by `pair` for this chain.
pub(crate) fn sign_with(
    pair: &ed25519::Pair,
    response: Response<AccountId>,
) -> SignedResponse<AccountId> {
    let message = response_message(Sentinels::genesis_hash().as_ref(), &response);
    SignedResponse {
        signature: pair.sign(&message).0,
        response,
    }
}

/// The miner's own signed answer `[output; 32]` to `challenge`.
pub(crate) fn answer(challenge: Challenge<AccountId>, output: u8) -> SignedResponse<AccountId> {
    let pair = miner_pair(challenge.uid);
    sign_with(
        &pair,
        Response {
            challenge,
            seen_block: seen_block(),
            output_hash: [output; 32],
            latency_ms: 12,
        },
    )
}

/// Two different signed outputs of the miner at `uid` for one challenge of the current epoch.
pub(crate) fn equivocation(
    uid: u16,
    nonce: u64,
) -> (SignedResponse<AccountId>, SignedResponse<AccountId>) {
    let c = challenge(uid, Sentinels::epoch(NET), nonce, 1);
    (answer(c.clone(), 1), answer(c, 2))
}

/// Proves an equivocation of the miner at `uid` in the current epoch, as [`VALIDATORS`]`[0]`.
pub(crate) fn equivocate(uid: u16) {
    let (first, second) = equivocation(uid, 1);
    assert_ok!(Sentinels::submit_equivocation(
        RuntimeOrigin::signed(VALIDATORS[0]),
        NET,
        uid,
        first,
        second
    ));
}

/// The hotkeys on `netuid`'s committee of `epoch`.
pub(crate) fn committee(netuid: NetUid, epoch: u64) -> Vec<AccountId> {
    Committees::<Test>::get(netuid, epoch)
        .map(|c| c.members.iter().map(|(_, h)| *h).collect())
        .unwrap_or_default()
}

/// The hotkeys on [`NET`]'s committee of the current epoch.
pub(crate) fn sitting() -> Vec<AccountId> {
    committee(NET, Sentinels::epoch(NET))
}

/// Validators not on [`NET`]'s current committee.
pub(crate) fn not_sitting() -> Vec<AccountId> {
    let members = sitting();
    VALIDATORS
        .into_iter()
        .filter(|v| !members.contains(v))
        .collect()
}

/// The worst forced deregistration, as the mock charges it.
pub(crate) fn deregistration_weight() -> frame_support::weights::Weight {
    <FakeDeregistration as mindos_primitives::NeuronDeregistration>::max_weight()
}

#[test]
fn calls_are_charged_their_estimated_weights() {
    use crate::WeightInfo;
    use frame_support::dispatch::GetDispatchInfo;
    build_and_execute(|| {
        // The mock: MaxCanariesPerSubnet = 3, MaxOpenCasesPerSubnet = 4, MaxSubnets = 8.
        let weight = |call: crate::Call<Test>| call.get_dispatch_info().call_weight;
        let (first, second) = equivocation(UID_A, 1);
        // A sanction only schedules its slash: its bookkeeping and the worst deregistration.
        let worst_sanction = <() as WeightInfo>::sanction() + deregistration_weight();
        // The evidence calls always sanction, so their benchmarks measure the sanction's
        // bookkeeping with the call; only the deregistration it may cause is added.
        assert_eq!(
            weight(crate::Call::submit_equivocation {
                netuid: NET,
                uid: UID_A,
                first: first.clone(),
                second
            }),
            <() as WeightInfo>::submit_equivocation() + deregistration_weight(),
            "charged for the deregistration it may cause"
        );
        assert_eq!(
            weight(crate::Call::submit_canary_failure {
                netuid: NET,
                uid: UID_A,
                response: first,
                expected_output_hash: [0; 32],
                salt: [0; 32],
            }),
            <() as WeightInfo>::submit_canary_failure(3) + deregistration_weight()
        );
        assert!(
            <() as WeightInfo>::submit_equivocation().all_gte(<() as WeightInfo>::sanction()),
            "the evidence calls' weights include their sanction's bookkeeping"
        );
        assert_eq!(
            weight(crate::Call::vote {
                case: 0,
                guilty: true
            }),
            <() as WeightInfo>::vote()
                + <() as WeightInfo>::close_case(4)
                + <() as WeightInfo>::open_audit(64, 2)
                + worst_sanction,
            "charged for the audit a verdict may open"
        );
        assert_eq!(
            weight(crate::Call::appeal { case: 0 }),
            <() as WeightInfo>::appeal(64, 2)
        );
        assert_eq!(
            weight(crate::Call::close_audit { case: 0 }),
            <() as WeightInfo>::close_audit(2)
        );
        // An audit vote that decides: at worst every case member slashed (and its reputation
        // cut, free in the mock), or a sanction, whichever is heavier.
        let members = 13u64;
        let per_member = SlashWeight::get();
        let decision = <() as WeightInfo>::close_audit(2)
            + (<() as WeightInfo>::overturn() + per_member * members)
                .max(worst_sanction + per_member * members);
        // ... after opening the escalation among 64 candidates (an overturn whose electorate
        // holds no stake reads it and then takes effect).
        assert_eq!(
            weight(crate::Call::audit_vote {
                case: 0,
                uphold: false
            }),
            <() as WeightInfo>::audit_vote() + <() as WeightInfo>::open_escalation(64) + decision
        );
        // An escalation vote that decides: the same decision, after the vote in an electorate
        // of 64.
        assert_eq!(
            weight(crate::Call::escalation_vote {
                case: 0,
                overturn: true
            }),
            <() as WeightInfo>::escalation_vote(64) + decision
        );
        assert!(
            <() as WeightInfo>::appeal(0, 0).ref_time()
                > <() as WeightInfo>::open_audit(0, 0).ref_time()
        );
        assert_eq!(
            weight(crate::Call::commit_canary {
                netuid: NET,
                commitment: [0; 32]
            }),
            <() as WeightInfo>::commit_canary(3)
        );
        assert_eq!(
            weight(crate::Call::report {
                netuid: NET,
                uid: UID_A,
                offence: crate::JudgedOffence::Timeout,
                evidence_hash: [0; 32]
            }),
            <() as WeightInfo>::report(4)
        );
        assert_eq!(
            weight(crate::Call::close_case { case: 0 }),
            <() as WeightInfo>::close_case(4)
        );
        assert_eq!(
            weight(crate::Call::unquarantine {
                netuid: NET,
                uid: UID_A
            }),
            <() as WeightInfo>::unquarantine()
        );
        // Every estimate costs something: a zero would let a call be spammed for free.
        for w in [
            <() as WeightInfo>::submit_equivocation(),
            <() as WeightInfo>::commit_canary(0),
            <() as WeightInfo>::report(0),
            <() as WeightInfo>::vote(),
            <() as WeightInfo>::unquarantine(),
            <() as WeightInfo>::boundary(0, 0, 0),
            <() as WeightInfo>::audit_vote(),
            <() as WeightInfo>::close_audit(0),
            <() as WeightInfo>::overturn(),
            <() as WeightInfo>::open_escalation(0),
            <() as WeightInfo>::escalation_vote(0),
        ] {
            assert!(w.ref_time() > 0);
        }
    });
}

#[test]
fn on_initialize_charges_the_base_each_boundary_and_each_slash() {
    use crate::WeightInfo;
    build_and_execute(|| {
        // Every block also looks for a dissolved subnet to clear (none here).
        let look = <() as WeightInfo>::clear_dissolved(0);
        assert_eq!(
            Sentinels::on_initialize(2),
            <() as WeightInfo>::on_initialize_base(8) + look
        );
        System::set_block_number(10);
        // Two live subnets at their boundary: two epochs advanced with their candidates
        // snapshotted, two draws (nine candidates on NET, none on OTHER_NET), no case.
        assert_eq!(
            Sentinels::on_initialize(10),
            <() as WeightInfo>::on_initialize_base(8)
                + <() as WeightInfo>::advance_epoch(9)
                + <() as WeightInfo>::advance_epoch(0)
                + <() as WeightInfo>::boundary(9, 0, 0)
                + <() as WeightInfo>::boundary(0, 0, 0)
                + look
        );
    });
}

#[test]
fn integrity_test_passes_for_the_mock() {
    build_and_execute(|| {
        <Sentinels as Hooks<u64>>::integrity_test();
    });
}

#[test]
#[should_panic(expected = "on_initialize")]
fn integrity_test_refuses_an_on_initialize_that_cannot_fit_the_block() {
    use frame_support::traits::Get;
    build_and_execute(|| {
        // Two slashes a block (MaxSlashesPerBlock) of half a block each leave no room.
        let limits: frame_system::limits::BlockWeights =
            <Test as frame_system::Config>::BlockWeights::get();
        let max_block = limits.max_block;
        SlashWeight::set(max_block / 2);
        <Sentinels as Hooks<u64>>::integrity_test();
    });
}

#[test]
#[should_panic(expected = "AuditWindowEpochs")]
fn integrity_test_refuses_a_zero_audit_window() {
    build_and_execute(|| {
        AuditWindow::set(0);
        <Sentinels as Hooks<u64>>::integrity_test();
    });
}

#[test]
#[should_panic(expected = "MaxSubnets")]
fn integrity_test_refuses_fewer_subnet_slots_than_the_subnets_pallet_allows() {
    build_and_execute(|| {
        // The subnets pallet allows 9 live subnets; this pallet's queues hold 8.
        SubnetsCap::set(9);
        <Sentinels as Hooks<u64>>::integrity_test();
    });
}
