//! Tests of the directives pallet, by topic: genesis, each call (a success and its failures,
//! state untouched on error), the anti-double-count rule, enactment of every action kind, the
//! consumers of the registry, and the read side. Every test ends with the `try_state`
//! invariants.

mod close;
mod enactment;
mod genesis;
mod propose;
mod read;
mod vote;

use crate::{
    mock::*, pallet::*, Event, HoldReason, ParameterValue, ProposalAction, ProposalIndex,
    ProposalStatus, Scope,
};
use frame_support::{assert_ok, traits::fungible::InspectHold, traits::Hooks, BoundedVec};
use mindos_primitives::{Hyperparameters, Perbill};

/// Runs `test` on a fresh chain and checks the invariants afterwards: shorthand for
/// [`ExtBuilder::build_and_execute`] with the default chain, which every test here uses.
pub(crate) fn build_and_execute(test: impl FnOnce()) {
    ExtBuilder::default().build_and_execute(test);
}

/// What `who` holds as proposal deposits.
pub(crate) fn held(who: AccountId) -> Balance {
    Balances::balance_on_hold(
        &RuntimeHoldReason::Directives(HoldReason::ProposalDeposit),
        &who,
    )
}

/// Runs blocks (with the pallet's `on_initialize`) up to and including `block`.
pub(crate) fn run_to(block: u64) {
    while System::block_number() < block {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Directives::on_initialize(next);
    }
}

/// This pallet's events so far, oldest first.
pub(crate) fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|record| record.event.try_into().ok())
        .collect()
}

pub(crate) fn title(text: &str) -> TitleOf<Test> {
    BoundedVec::try_from(text.as_bytes().to_vec()).unwrap()
}

pub(crate) fn text(text: &str) -> TextOf<Test> {
    BoundedVec::try_from(text.as_bytes().to_vec()).unwrap()
}

pub(crate) fn add(t: &str) -> ProposalActionOf<Test> {
    ProposalAction::AddDirective {
        title: title(t),
        text: text("Text of a new directive."),
    }
}

pub(crate) fn set(value: ParameterValueOf<Test>) -> ProposalActionOf<Test> {
    ProposalAction::SetParameter(value)
}

/// Hyperparameters inside the default bounds.
pub(crate) fn subnet_params() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 100,
        max_neurons: 64,
        max_validators: 8,
        immunity_period: 100,
        min_validator_stake: 1_000_000_000_000,
        commit_reveal: true,
    }
}

pub(crate) fn subnet_action() -> ProposalActionOf<Test> {
    set(ParameterValue::SubnetHyperparameters(subnet_params()))
}

/// Proposes `action` as `who` and returns its index.
pub(crate) fn propose(
    who: AccountId,
    action: ProposalActionOf<Test>,
    scope: Scope,
) -> ProposalIndex {
    let index = NextProposalIndex::<Test>::get();
    assert_ok!(Directives::propose(
        RuntimeOrigin::signed(who),
        action,
        scope
    ));
    index
}

/// Active stake: Alice 400 on HOT_A, Bob 300 on HOT_B, Charlie 200 on HOT_C, Dave 100 on
/// HOT_D (1,000 in all). HOT_A and HOT_B are on [`SUBNET`] (700 there).
pub(crate) fn stakes() {
    stake(ALICE, HOT_A, 400);
    stake(BOB, HOT_B, 300);
    stake(CHARLIE, HOT_C, 200);
    stake(DAVE, HOT_D, 100);
    register(SUBNET, HOT_A);
    register(SUBNET, HOT_B);
}

pub(crate) fn vote(who: AccountId, index: ProposalIndex, aye: bool) {
    assert_ok!(Directives::vote(RuntimeOrigin::signed(who), index, aye));
}

/// Runs to the end of `index`'s voting period and closes it.
pub(crate) fn close(index: ProposalIndex) {
    let ends = Proposals::<Test>::get(index).unwrap().voting_ends;
    run_to(ends);
    assert_ok!(Directives::close(RuntimeOrigin::signed(EVE), index));
}

/// Proposes `action` as Alice, votes it through with Alice and Bob (700 of 1,000) and
/// closes it; returns its index and enactment block.
pub(crate) fn pass(action: ProposalActionOf<Test>, scope: Scope) -> (ProposalIndex, u64) {
    let index = propose(ALICE, action, scope);
    vote(ALICE, index, true);
    vote(BOB, index, true);
    close(index);
    match Proposals::<Test>::get(index).map(|p| p.status) {
        Some(ProposalStatus::Approved { enact_at }) => (index, enact_at),
        other => panic!("proposal {index} did not pass: {other:?}"),
    }
}

#[test]
fn calls_are_charged_their_benchmarked_weights() {
    use crate::WeightInfo;
    use frame_support::{dispatch::GetDispatchInfo, traits::Get};
    let weight = |call: crate::Call<Test>| call.get_dispatch_info().call_weight;
    let db: frame_support::weights::RuntimeDbWeight =
        <Test as frame_system::Config>::DbWeight::get();
    assert_eq!(
        weight(crate::Call::propose {
            action: add("t"),
            scope: Scope::Network
        }),
        <() as WeightInfo>::propose()
    );
    // The benchmark's vote list holds the votes the call reads and writes.
    assert_eq!(
        weight(crate::Call::vote {
            index: 0,
            aye: true
        }),
        <() as WeightInfo>::vote()
    );
    assert_eq!(
        weight(crate::Call::close { index: 0 }),
        <() as WeightInfo>::close(5).saturating_add(db.reads_writes(1, 1)),
        "close is charged for MaxVotesPerProposal votes up front, and a surcharge burn"
    );
}

#[test]
fn close_refunds_down_to_the_votes_counted() {
    use crate::WeightInfo;
    use frame_support::traits::Get;
    build_and_execute(|| {
        stakes();
        let index = propose(ALICE, add("t"), Scope::Network);
        vote(ALICE, index, true);
        vote(BOB, index, true);
        run_to(11);
        let post = Directives::close(RuntimeOrigin::signed(EVE), index).unwrap();
        let db: frame_support::weights::RuntimeDbWeight =
            <Test as frame_system::Config>::DbWeight::get();
        assert_eq!(
            post.actual_weight,
            Some(<() as WeightInfo>::close(2).saturating_add(db.reads_writes(1, 1)))
        );
    });
}

#[test]
fn on_initialize_charges_the_queue_read_and_each_enactment() {
    use crate::WeightInfo;
    build_and_execute(|| {
        stakes();
        assert_eq!(
            Directives::on_initialize(1),
            <() as WeightInfo>::on_initialize_base()
        );
        let (_, enact_at) = pass(set(ParameterValue::BurnFloor(5)), Scope::Network);
        System::set_block_number(enact_at);
        assert_eq!(
            Directives::on_initialize(enact_at),
            <() as WeightInfo>::on_initialize_base()
                .saturating_add(<() as WeightInfo>::enact_parameter())
        );
    });
}

#[test]
fn integrity_test_passes_for_the_mock() {
    build_and_execute(|| {
        <Directives as Hooks<u64>>::integrity_test();
    });
}
