//! Directive governance in the real runtime: the stake pallet supplies voting weight, the
//! subnets, neurons, stake and consensus pallets read the governed parameters, and a passed
//! proposal changes what they do — after the enactment delay, not before.

use crate::{
    configs::{EnactmentDelay, ProposalDeposit, VotingPeriod},
    genesis_config_presets, AccountId, Balance, Balances, BlockNumber, Directives, Neurons,
    Runtime, RuntimeHoldReason, RuntimeOrigin, Stake, Subnets, System, MIND,
};
use frame_support::{
    assert_noop, assert_ok,
    traits::{fungible::InspectHold, Get, Hooks},
};
use mindos_primitives::ConsensusParameters;
use mindos_primitives::NetUid;
use pallet_mindos_consensus::EmissionSplit;
use pallet_mindos_directives::{
    Event as DirectivesEvent, HoldReason, ParameterError, ParameterValue, ProposalAction,
    ProposalIndex, Scope,
};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{BuildStorage, DispatchError, Perbill};

/// Subnet 1 of the development preset (digits); its hotkeys vote in its subnet scope.
const DIGITS: NetUid = NetUid(1);
/// Subnet 0 of the development preset (text embedding).
const TEXT: NetUid = NetUid(0);

fn account(who: Sr25519Keyring) -> AccountId {
    who.to_account_id()
}

/// The key pair of [`hotkey`] `i`: a hotkey signs its consent to its coldkey.
fn hotkey_pair(i: u8) -> sp_core::sr25519::Pair {
    sp_core::Pair::from_seed(&[0xb0u8.wrapping_add(i); 32])
}

fn hotkey(i: u8) -> AccountId {
    sp_core::Pair::public(&hotkey_pair(i)).into()
}

/// The consent of `hotkey` (one of [`hotkey`]'s) to `coldkey` owning it, which its first
/// registration needs.
fn consent(coldkey: &AccountId, hotkey: &AccountId) -> Option<crate::Signature> {
    let pair = (0..=u8::MAX)
        .map(hotkey_pair)
        .find(|pair| AccountId::from(sp_core::Pair::public(pair)) == *hotkey)?;
    let message = Neurons::hotkey_consent_payload(coldkey);
    Some(sp_core::Pair::sign(&pair, &message).into())
}

/// The development preset: dev accounts funded, Alice owns the two demo subnets.
fn ext() -> sp_io::TestExternalities {
    let mut config = crate::RuntimeGenesisConfig::default();
    config.balances.balances = Sr25519Keyring::iter()
        .map(|k| (k.to_account_id(), genesis_config_presets::DEV_ENDOWMENT))
        .collect();
    config.subnets.bounds = Some(genesis_config_presets::default_hyperparameter_bounds());
    let mut ext = sp_io::TestExternalities::new(config.build_storage().unwrap());
    ext.execute_with(|| {
        System::set_block_number(1);
        // Two subnets to vote about (the development preset's, made here so the test does
        // not depend on its task specs).
        for name in [&b"text"[..], &b"digits"[..]] {
            // Both in this block: lift the one-creation-an-hour limit (tested in the pallet).
            pallet_mindos_subnets::LastSubnetCreatedAt::<Runtime>::kill();
            assert_ok!(Subnets::create_subnet(
                RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
                name.to_vec().try_into().unwrap(),
                mindos_primitives::TaskSpec {
                    modality: mindos_primitives::Modality::Text,
                    model_digest: [7; 32],
                    input_schema: 1,
                    output_schema: 1,
                    scoring_rule: mindos_primitives::ScoringRule::Correctness,
                },
                mindos_primitives::Hyperparameters {
                    tempo: 10,
                    max_neurons: 16,
                    max_validators: 4,
                    immunity_period: 5,
                    min_validator_stake: MIND,
                    commit_reveal: true,
                },
                pallet_mindos_subnets::Visibility::Public,
            ));
        }
    });
    ext
}

/// Registers `hotkey` for `coldkey` on `netuid` (paying the burn) and stakes `amount` on it.
fn staked(coldkey: Sr25519Keyring, netuid: NetUid, hotkey: &AccountId, amount: Balance) {
    assert_ok!(Neurons::register(
        RuntimeOrigin::signed(account(coldkey)),
        netuid,
        hotkey.clone(),
        1_000 * MIND,
        consent(&account(coldkey), hotkey)
    ));
    assert_ok!(Stake::add_stake(
        RuntimeOrigin::signed(account(coldkey)),
        hotkey.clone(),
        amount
    ));
}

fn propose(
    action: pallet_mindos_directives::ProposalActionOf<Runtime>,
    scope: Scope,
) -> ProposalIndex {
    let index = pallet_mindos_directives::NextProposalIndex::<Runtime>::get();
    assert_ok!(Directives::propose(
        RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
        action,
        scope
    ));
    index
}

fn vote(who: Sr25519Keyring, index: ProposalIndex, aye: bool) {
    assert_ok!(Directives::vote(
        RuntimeOrigin::signed(account(who)),
        index,
        aye
    ));
}

/// Moves to block `to`, running the hooks that act on it (directive enactment, permits).
fn jump_to(to: BlockNumber) {
    System::set_block_number(to);
    Stake::on_initialize(to);
    Directives::on_initialize(to);
}

/// Proposes `action`, has Bob (who must have stake in `scope`) vote aye, closes the vote and
/// moves to the enactment block.
fn pass_with_bobs_vote(action: pallet_mindos_directives::ProposalActionOf<Runtime>, scope: Scope) {
    let index = propose(action, scope);
    let ends = close_with_bobs_vote(index);
    assert!(counted(index).2, "the proposal passed");
    jump_to(ends + EnactmentDelay::get());
}

/// Bob votes aye on proposal `index`, which is closed at the end of its vote; returns that
/// block.
fn close_with_bobs_vote(index: ProposalIndex) -> BlockNumber {
    let ends = voting_ends();
    vote(Sr25519Keyring::Bob, index, true);
    jump_to(ends);
    assert_ok!(Directives::close(
        RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
        index
    ));
    ends
}

fn voting_ends() -> BlockNumber {
    System::block_number() + VotingPeriod::get()
}

fn directive_events() -> Vec<DirectivesEvent<Runtime>> {
    System::events()
        .into_iter()
        .filter_map(|record| record.event.try_into().ok())
        .collect()
}

/// `(ayes, nays)` counted when proposal `index` was approved or rejected.
fn counted(index: ProposalIndex) -> (Balance, Balance, bool) {
    directive_events()
        .into_iter()
        .find_map(|event| match event {
            DirectivesEvent::ProposalApproved {
                index: i,
                ayes,
                nays,
                ..
            } if i == index => Some((ayes, nays, true)),
            DirectivesEvent::ProposalRejected {
                index: i,
                ayes,
                nays,
                ..
            } if i == index => Some((ayes, nays, false)),
            _ => None,
        })
        .expect("the proposal was closed")
}

fn deposit_held(who: Sr25519Keyring) -> Balance {
    Balances::balance_on_hold(
        &RuntimeHoldReason::Directives(HoldReason::ProposalDeposit),
        &account(who),
    )
}

#[test]
fn genesis_registry_matches_the_subnets_bounds_and_holds_the_prime_directive() {
    ext().execute_with(|| {
        let params = Directives::parameters();
        assert_eq!(
            Some(params.hyperparameter_bounds.clone()),
            pallet_mindos_subnets::HyperparameterBoundsOf::<Runtime>::get()
        );
        assert!(
            params.unbonding_period > VotingPeriod::get(),
            "stake that voted must stay unspendable until the vote closes"
        );
        let directives = Directives::directives();
        assert!(
            directives.len() >= 4,
            "the prime directive and the principles"
        );
        assert!(String::from_utf8_lossy(&directives[0].text).contains("may not harm the hive"));
        // The consuming pallets read the registry.
        assert_eq!(
            <Runtime as pallet_mindos_stake::Config>::UnbondingPeriod::get(),
            params.unbonding_period
        );
        assert_eq!(
            <Directives as ConsensusParameters<Balance>>::emission_split(),
            params.emission_split
        );
    });
}

#[test]
fn a_passed_burn_floor_raises_the_registration_burn_after_the_delay_only() {
    ext().execute_with(|| {
        staked(Sr25519Keyring::Bob, DIGITS, &hotkey(1), 1_000 * MIND);
        staked(Sr25519Keyring::Charlie, DIGITS, &hotkey(2), 500 * MIND);
        let index = propose(
            ProposalAction::SetParameter(ParameterValue::BurnFloor(50 * MIND)),
            Scope::Network,
        );
        assert_eq!(deposit_held(Sr25519Keyring::Alice), ProposalDeposit::get());
        let ends = voting_ends();
        vote(Sr25519Keyring::Bob, index, true);
        vote(Sr25519Keyring::Charlie, index, false);
        assert_noop!(
            Directives::close(RuntimeOrigin::signed(account(Sr25519Keyring::Dave)), index),
            pallet_mindos_directives::Error::<Runtime>::VotingNotOver
        );

        jump_to(ends);
        assert_ok!(Directives::close(
            RuntimeOrigin::signed(account(Sr25519Keyring::Dave)),
            index
        ));
        assert_eq!(counted(index), (1_000 * MIND, 500 * MIND, true));
        assert_eq!(deposit_held(Sr25519Keyring::Alice), 0, "deposit returned");

        // Not yet: a registration one block before enactment still burns near the old floor.
        let enact_at = ends + EnactmentDelay::get();
        jump_to(enact_at - 1);
        let before = Neurons::burn_price(TEXT).unwrap();
        assert!(before < 50 * MIND, "old floor still applies: {before}");
        jump_to(enact_at);
        assert_eq!(Directives::parameters().burn_floor, 50 * MIND);
        let after = Neurons::burn_price(TEXT).unwrap();
        assert_eq!(
            after,
            50 * MIND,
            "the registration burn never goes below the new floor"
        );
        let free = Balances::free_balance(account(Sr25519Keyring::Eve));
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(account(Sr25519Keyring::Eve)),
            TEXT,
            hotkey(9),
            1_000 * MIND,
            consent(&account(Sr25519Keyring::Eve), &hotkey(9))
        ));
        assert_eq!(
            free - Balances::free_balance(account(Sr25519Keyring::Eve)),
            50 * MIND
        );
    });
}

#[test]
fn a_passed_emission_split_is_what_the_consensus_pallet_pays_with() {
    ext().execute_with(|| {
        staked(Sr25519Keyring::Bob, DIGITS, &hotkey(1), 1_000 * MIND);
        let split = EmissionSplit {
            owner: Perbill::from_percent(10),
            miners: Perbill::from_percent(45),
            validators: Perbill::from_percent(45),
        };
        pass_with_bobs_vote(
            ProposalAction::SetParameter(ParameterValue::EmissionSplit(split)),
            Scope::Network,
        );
        assert_eq!(
            <Runtime as pallet_mindos_consensus::Config>::Parameters::emission_split(),
            split
        );
    });
}

#[test]
fn stake_moved_during_a_vote_does_not_count_twice() {
    ext().execute_with(|| {
        staked(Sr25519Keyring::Bob, DIGITS, &hotkey(1), 1_000 * MIND);
        staked(Sr25519Keyring::Charlie, TEXT, &hotkey(2), 1_000 * MIND);
        let index = propose(
            ProposalAction::SetParameter(ParameterValue::BurnFloor(2 * MIND)),
            Scope::Network,
        );
        let ends = voting_ends();
        vote(Sr25519Keyring::Bob, index, true);
        vote(Sr25519Keyring::Charlie, index, false);
        // Bob moves his stake to Charlie's hotkey and votes again: still 1,000, not 2,000.
        assert_ok!(Stake::remove_stake(
            RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
            hotkey(1),
            1_000 * MIND
        ));
        assert_ok!(Stake::add_stake(
            RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
            hotkey(2),
            1_000 * MIND
        ));
        vote(Sr25519Keyring::Bob, index, true);
        // The unbonding 1,000 cannot reach another coldkey before the vote closes.
        assert_noop!(
            Stake::withdraw_unbonded(RuntimeOrigin::signed(account(Sr25519Keyring::Bob))),
            pallet_mindos_stake::Error::<Runtime>::NothingToWithdraw
        );
        // Charlie unstakes after voting: his nay no longer counts.
        assert_ok!(Stake::remove_stake(
            RuntimeOrigin::signed(account(Sr25519Keyring::Charlie)),
            hotkey(2),
            1_000 * MIND
        ));
        jump_to(ends);
        assert_ok!(Directives::close(
            RuntimeOrigin::signed(account(Sr25519Keyring::Dave)),
            index
        ));
        assert_eq!(counted(index), (1_000 * MIND, 0, true));
    });
}

#[test]
fn subnet_votes_weigh_only_stake_on_the_subnet_and_follow_it_when_it_moves() {
    ext().execute_with(|| {
        staked(Sr25519Keyring::Bob, DIGITS, &hotkey(1), 1_000 * MIND);
        staked(Sr25519Keyring::Charlie, TEXT, &hotkey(2), 5_000 * MIND);
        // The subnet's stake is counted at its epoch boundary (tempo 10).
        let boundary = (System::block_number()..100)
            .find(|b| {
                jump_to(*b);
                Stake::subnet_stake(DIGITS) > 0
            })
            .expect("an epoch boundary within 100 blocks");
        assert_eq!(
            Stake::subnet_stake(DIGITS),
            1_000 * MIND,
            "at block {boundary}"
        );
        let mut params = pallet_mindos_subnets::SubnetInfoOf::<Runtime>::get(DIGITS)
            .unwrap()
            .hyperparameters;
        params.tempo = 50;
        let index = propose(
            ProposalAction::SetParameter(ParameterValue::SubnetHyperparameters(params.clone())),
            Scope::Subnet(DIGITS),
        );
        // Charlie's stake is all on subnet 0: he has no vote on subnet 1.
        assert_noop!(
            Directives::vote(
                RuntimeOrigin::signed(account(Sr25519Keyring::Charlie)),
                index,
                false
            ),
            pallet_mindos_directives::Error::<Runtime>::InsufficientVotingStake
        );
        let ends = close_with_bobs_vote(index);
        assert_eq!(counted(index), (1_000 * MIND, 0, true));
        jump_to(ends + EnactmentDelay::get());
        assert_eq!(
            pallet_mindos_subnets::SubnetInfoOf::<Runtime>::get(DIGITS)
                .unwrap()
                .hyperparameters,
            params,
            "governance set the subnet's hyperparameters"
        );

        // A second vote: Bob moves his stake off the subnet after voting, so it counts nothing.
        params.tempo = 60;
        let index = propose(
            ProposalAction::SetParameter(ParameterValue::SubnetHyperparameters(params)),
            Scope::Subnet(DIGITS),
        );
        let ends = voting_ends();
        vote(Sr25519Keyring::Bob, index, true);
        assert_ok!(Stake::remove_stake(
            RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
            hotkey(1),
            1_000 * MIND
        ));
        assert_ok!(Stake::add_stake(
            RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
            hotkey(2),
            1_000 * MIND
        ));
        jump_to(ends);
        assert_ok!(Directives::close(
            RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
            index
        ));
        let (ayes, _, passed) = counted(index);
        assert_eq!(ayes, 0);
        assert!(!passed);
    });
}

#[test]
fn the_bounds_change_only_through_governance() {
    ext().execute_with(|| {
        let mut bounds = genesis_config_presets::default_hyperparameter_bounds();
        bounds.tempo.min = 20;
        // Not even root (the dev chain's sudo key) bypasses the vote.
        assert_noop!(
            Subnets::set_hyperparameter_bounds(RuntimeOrigin::root(), bounds.clone()),
            DispatchError::BadOrigin
        );
        staked(Sr25519Keyring::Bob, DIGITS, &hotkey(1), 1_000 * MIND);
        pass_with_bobs_vote(
            ProposalAction::SetParameter(ParameterValue::HyperparameterBounds(bounds.clone())),
            Scope::Network,
        );
        assert_eq!(
            pallet_mindos_subnets::HyperparameterBoundsOf::<Runtime>::get(),
            Some(bounds.clone())
        );
        assert_eq!(Directives::parameters().hyperparameter_bounds, bounds);
        // The owner is now held to them.
        let mut params = pallet_mindos_subnets::SubnetInfoOf::<Runtime>::get(DIGITS)
            .unwrap()
            .hyperparameters;
        params.tempo = 15;
        assert_noop!(
            Subnets::set_hyperparameters(
                RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
                DIGITS,
                params
            ),
            pallet_mindos_subnets::Error::<Runtime>::TempoOutOfBounds
        );
    });
}

#[test]
fn invalid_parameters_are_refused_at_propose() {
    ext().execute_with(|| {
        let free = Balances::free_balance(account(Sr25519Keyring::Alice));
        for (value, error) in [
            (
                ParameterValue::UnbondingPeriod(VotingPeriod::get()),
                pallet_mindos_directives::Error::<Runtime>::InvalidParameter(
                    ParameterError::UnbondingNotLongerThanVoting,
                ),
            ),
            (
                ParameterValue::BurnFloor(0),
                pallet_mindos_directives::Error::<Runtime>::InvalidParameter(
                    ParameterError::ZeroBurnFloor,
                ),
            ),
            (
                ParameterValue::EmissionSplit(EmissionSplit {
                    owner: Perbill::from_percent(20),
                    miners: Perbill::from_percent(41),
                    validators: Perbill::from_percent(41),
                }),
                pallet_mindos_directives::Error::<Runtime>::InvalidParameter(
                    ParameterError::EmissionSplitNotHundredPercent,
                ),
            ),
        ] {
            assert_noop!(
                Directives::propose(
                    RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
                    ProposalAction::SetParameter(value),
                    Scope::Network
                ),
                error
            );
        }
        assert_eq!(Balances::free_balance(account(Sr25519Keyring::Alice)), free);
        // Stake is what votes: an unstaked coldkey has no say.
        let index = propose(
            ProposalAction::SetParameter(ParameterValue::BurnFloor(2 * MIND)),
            Scope::Network,
        );
        assert_noop!(
            Directives::vote(
                RuntimeOrigin::signed(account(Sr25519Keyring::Ferdie)),
                index,
                true
            ),
            pallet_mindos_directives::Error::<Runtime>::InsufficientVotingStake
        );
    });
}

/// Issue 17 (H5) on the real pallets: 2,000 coldkeys stake the least a vote needs (10 MIND)
/// and vote nay on a proposal as soon as it is up, more than its 1,024 votes. Bob, with 22 %
/// of all stake, votes aye afterwards: his vote evicts a dust vote and the proposal passes.
#[test]
fn dust_voters_cannot_keep_a_large_holder_out_of_a_vote() {
    use frame_support::traits::fungible::Mutate;
    ext().execute_with(|| {
        const DUST: u32 = 2_000;
        let dust_stake = crate::configs::MinVotingStake::get();
        // Charlie's hotkeys carry the dust, 143 nominators each: past a quarter of a hotkey's
        // 512 slots a new nomination needs more than the 10 MIND a vote needs (stake L2).
        let carriers: Vec<AccountId> = (0..14).map(|i| hotkey(100 + i)).collect();
        for carrier in &carriers {
            staked(Sr25519Keyring::Charlie, TEXT, carrier, MIND);
        }
        staked(Sr25519Keyring::Alice, TEXT, &hotkey(1), 50_000 * MIND);
        staked(Sr25519Keyring::Bob, TEXT, &hotkey(2), 20_000 * MIND);
        let dust = |i: u32| {
            let mut raw = [0xd5u8; 32];
            raw[..4].copy_from_slice(&i.to_le_bytes());
            AccountId::new(raw)
        };
        for i in 0..DUST {
            Balances::set_balance(&dust(i), dust_stake + MIND);
            assert_ok!(Stake::add_stake(
                RuntimeOrigin::signed(dust(i)),
                carriers[(i / 143) as usize].clone(),
                dust_stake
            ));
        }
        let index = propose(
            ProposalAction::SetParameter(ParameterValue::BurnFloor(2 * MIND)),
            Scope::Network,
        );
        let ends = voting_ends();
        for i in 0..DUST {
            let voted = Directives::vote(RuntimeOrigin::signed(dust(i)), index, false);
            if i < 1_024 {
                assert_ok!(voted);
            } else {
                assert_eq!(
                    voted,
                    Err(
                        pallet_mindos_directives::Error::<Runtime>::StakeNotAboveSmallestVote
                            .into()
                    )
                );
            }
        }
        vote(Sr25519Keyring::Bob, index, true);
        assert!(directive_events().contains(&DirectivesEvent::VoteEvicted {
            index,
            voter: dust(1_023),
            weight: dust_stake
        }));
        jump_to(ends);
        assert_ok!(Directives::close(
            RuntimeOrigin::signed(account(Sr25519Keyring::Dave)),
            index
        ));
        assert_eq!(
            counted(index),
            (20_000 * MIND, 1_023 * dust_stake, true),
            "Bob's 20,000 against the 1,023 dust votes left"
        );
    });
}

/// The deposit doubles with every four live proposals, and one account has at most four
/// voting.
#[test]
fn the_proposal_deposit_grows_with_the_table_and_each_account_is_limited() {
    ext().execute_with(|| {
        let action = || ProposalAction::SetParameter(ParameterValue::BurnFloor(2 * MIND));
        for _ in 0..4 {
            propose(action(), Scope::Network);
        }
        assert_eq!(
            deposit_held(Sr25519Keyring::Alice),
            4 * ProposalDeposit::get()
        );
        assert_noop!(
            Directives::propose(
                RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
                action(),
                Scope::Network
            ),
            pallet_mindos_directives::Error::<Runtime>::TooManyProposalsFromAccount
        );
        assert_eq!(Directives::next_deposit(), 2 * ProposalDeposit::get());
        assert_ok!(Directives::propose(
            RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
            action(),
            Scope::Network
        ));
        assert_eq!(deposit_held(Sr25519Keyring::Bob), 200 * MIND);
        // The last of 32 would hold 128 times the base.
        assert_eq!(Directives::deposit_with_live(31), 12_800 * MIND);
    });
}
