//! The sentinels pallet wired into the real runtime: a miner that signs two different outputs
//! for one challenge with the Ed25519 key it served is quarantined by a validator-permit
//! holder's `submit_equivocation`, earns no emission in the next epoch, and is released by
//! `unquarantine` once its quarantine is over; an audit that overturns a judged conviction
//! slashes the guilty voters, halves their reputation in the consensus pallet and burns the
//! reporter's bond; validators that weigh only miners earn the reputation a committee is drawn
//! by; dissolving a subnet returns
//! what the pallet held for it. And the read side: the `SentinelsApi` runtime API and the
//! metagraph's quarantine flag.

use crate::{
    genesis_config_presets, AccountId, AllPalletsWithSystem, Balance, Consensus, Neurons, Runtime,
    RuntimeOrigin, Sentinels, Stake, Subnets, System, MIND,
};
use frame_support::{assert_noop, assert_ok, traits::OnInitialize};
use mindos_primitives::{
    DeviceClass, DeviceProfile, Hyperparameters, Modality, NetUid, Perbill, PowerSource,
    QuarantineInfo, ReputationInfo, ScoringRule, TaskSpec,
};
use pallet_mindos_sentinels::{
    picked_at_random, response_message, Challenge, Error as SentinelError, Event as SentinelEvent,
    JudgedOffence, OffenceKind, Response, SeenBlock, SignedResponse, REPUTATION_CUT,
};
use sp_core::{ed25519, Pair};
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

const MODEL: [u8; 32] = [3; 32];

/// The owner, the validator's coldkey and the miners' coldkey.
fn coldkey(i: usize) -> AccountId {
    [
        Sr25519Keyring::Bob,
        Sr25519Keyring::Charlie,
        Sr25519Keyring::Dave,
    ][i]
        .to_account_id()
}

fn hotkey_pair(i: u8) -> sp_core::sr25519::Pair {
    sp_core::sr25519::Pair::from_seed(&[0xb0 + i; 32])
}

fn hotkey(i: u8) -> AccountId {
    hotkey_pair(i).public().into()
}

/// The Ed25519 key of the miner's libp2p identity.
fn node_key() -> ed25519::Pair {
    ed25519::Pair::from_seed(&[7; 32])
}

fn ext() -> sp_io::TestExternalities {
    let mut config = crate::RuntimeGenesisConfig::default();
    config.balances.balances = (0..3)
        .map(|i| (coldkey(i), genesis_config_presets::DEV_ENDOWMENT))
        .collect();
    config.subnets.bounds = Some(genesis_config_presets::default_hyperparameter_bounds());
    let mut ext = sp_io::TestExternalities::new(config.build_storage().unwrap());
    ext.execute_with(|| System::set_block_number(1));
    ext
}

fn run_to(block: crate::BlockNumber) {
    while System::block_number() < block {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        AllPalletsWithSystem::on_initialize(next);
    }
}

fn register(coldkey: &AccountId, i: u8) -> u16 {
    let message = Neurons::hotkey_consent_payload(coldkey);
    let consent: crate::Signature = hotkey_pair(i).sign(&message).into();
    assert_ok!(Neurons::register(
        RuntimeOrigin::signed(coldkey.clone()),
        NetUid(0),
        hotkey(i),
        1_000 * MIND,
        Some(consent),
    ));
    pallet_mindos_neurons::Uids::<Runtime>::get(NetUid(0), hotkey(i)).expect("registered")
}

/// `hotkey` serves the PeerId of [`node_key`], binding its Ed25519 key.
fn serve(hotkey: &AccountId) {
    let key = node_key();
    let mut peer_id = mindos_primitives::proofs::ED25519_PEER_ID_PREFIX.to_vec();
    peer_id.extend_from_slice(&key.public().0);
    let signed_at = System::block_number();
    let message = Neurons::serve_proof_payload(NetUid(0), hotkey, &peer_id, signed_at);
    assert_ok!(Neurons::serve(
        RuntimeOrigin::signed(hotkey.clone()),
        NetUid(0),
        peer_id,
        vec![b"/ip4/127.0.0.1/udp/4001/quic-v1".to_vec()],
        DeviceProfile {
            class: DeviceClass::Laptop,
            compute_score: 1,
            power: PowerSource::Mains,
            region: *b"DE",
        },
        pallet_mindos_neurons::ServeProof {
            signed_at,
            signature: key.sign(&message).0,
        },
    ));
}

/// The miner's answer to `challenge` with `output`, signed with [`node_key`].
fn answer(challenge: &Challenge<AccountId>, output: u8) -> SignedResponse<AccountId> {
    let response = Response {
        challenge: challenge.clone(),
        seen_block: SeenBlock {
            number: 1,
            hash: [1; 32],
        },
        output_hash: [output; 32],
        latency_ms: 40,
    };
    let message = response_message(Sentinels::genesis_hash().as_ref(), &response);
    SignedResponse {
        signature: node_key().sign(&message).0,
        response,
    }
}

fn emission(uid: u16) -> Balance {
    pallet_mindos_neurons::Emission::<Runtime>::get(NetUid(0))[usize::from(uid)]
}

/// The block of the subnet's next epoch boundary after the current block.
fn next_boundary() -> crate::BlockNumber {
    let now = System::block_number();
    (now + 1..now + 100)
        .find(|b| {
            <Subnets as mindos_primitives::SubnetsInfo<AccountId, Balance>>::epochs_due(u64::from(
                *b,
            ))
            .contains(&NetUid(0))
        })
        .expect("a boundary within 100 blocks")
}

/// Subnet 0, owned by coldkey 0, with `max_neurons` slots and `max_validators` permits.
fn create_subnet(max_neurons: u16, max_validators: u16) {
    create_subnet_scored(max_neurons, max_validators, ScoringRule::CosineSimilarity);
}

/// [`create_subnet`], scored by `scoring_rule` (exactly scored subnets take canaries).
fn create_subnet_scored(max_neurons: u16, max_validators: u16, scoring_rule: ScoringRule) {
    assert_ok!(Subnets::create_subnet(
        RuntimeOrigin::signed(coldkey(0)),
        b"sentinels".to_vec().try_into().unwrap(),
        TaskSpec {
            modality: Modality::Text,
            model_digest: MODEL,
            input_schema: 1,
            output_schema: 1,
            scoring_rule,
        },
        Hyperparameters {
            // Long enough that a validator can set weights (every 50 blocks at most) within
            // the activity cutoff (4 epochs).
            tempo: 20,
            max_neurons,
            max_validators,
            immunity_period: 100,
            min_validator_stake: MIND,
            commit_reveal: false,
        },
        pallet_mindos_subnets::Visibility::Public,
    ));
}

/// Two different signed answers of the miner `hotkey` at `uid` to one challenge of the
/// current sentinel epoch.
fn equivocation(
    hotkey: &AccountId,
    uid: u16,
) -> (SignedResponse<AccountId>, SignedResponse<AccountId>) {
    let challenge = Challenge {
        netuid: NetUid(0),
        uid,
        hotkey: hotkey.clone(),
        epoch: Sentinels::epoch(NetUid(0)),
        nonce: 42,
        input_hash: [9; 32],
        model_digest: MODEL,
        deadline: u64::from(System::block_number()) + 10,
    };
    (answer(&challenge, 1), answer(&challenge, 2))
}

#[test]
fn an_equivocating_miner_is_quarantined_earns_nothing_and_is_released_after_expiry() {
    ext().execute_with(|| {
        let (validator_owner, miner_owner) = (coldkey(1), coldkey(2));
        create_subnet(4, 1);
        let netuid = NetUid(0);
        let (validator, miner, honest) = (hotkey(0), hotkey(1), hotkey(2));
        register(&validator_owner, 0);
        let m = register(&miner_owner, 1);
        let h = register(&miner_owner, 2);
        assert_ok!(Stake::add_stake(
            RuntimeOrigin::signed(validator_owner),
            validator.clone(),
            1_000 * MIND
        ));
        serve(&miner);
        // The permit comes at the subnet's boundary.
        run_to(next_boundary());
        run_to(next_boundary());
        assert!(
            <Stake as mindos_primitives::StakeInfo<_, _>>::has_validator_permit(netuid, &validator)
        );
        let set_weights = || {
            assert_ok!(Consensus::set_weights(
                RuntimeOrigin::signed(validator.clone()),
                netuid,
                vec![m, h],
                vec![1, 1]
            ));
        };
        set_weights();
        let weights_set_at = System::block_number();
        // Both miners earn while the miner behaves.
        run_to(next_boundary());
        run_to(next_boundary() + 1);
        assert!(emission(m) > 0, "the miner earns before its offence");
        assert!(emission(h) > 0);

        // It answers one challenge twice, differently, with the key it served.
        let (first, second) = equivocation(&miner, m);
        // Only a validator-permit holder may submit the evidence.
        assert_noop!(
            Sentinels::submit_equivocation(
                RuntimeOrigin::signed(honest.clone()),
                netuid,
                m,
                first.clone(),
                second.clone()
            ),
            SentinelError::<Runtime>::NoValidatorPermit
        );
        assert_ok!(Sentinels::submit_equivocation(
            RuntimeOrigin::signed(validator.clone()),
            netuid,
            m,
            first,
            second
        ));
        let until_epoch = System::events()
            .into_iter()
            .find_map(|r| match r.event {
                crate::RuntimeEvent::Sentinels(SentinelEvent::MinerQuarantined {
                    uid,
                    offence,
                    until_epoch,
                    ..
                }) if uid == m => {
                    assert_eq!(offence, OffenceKind::Equivocation);
                    Some(until_epoch)
                }
                _ => None,
            })
            .expect("the miner is quarantined in the evidence's block");
        assert!(<Sentinels as QuarantineInfo>::is_quarantined(netuid, m));
        assert!(!<Sentinels as QuarantineInfo>::is_quarantined(netuid, h));

        // The next epoch pays the honest miner only.
        run_to(next_boundary());
        assert_eq!(emission(m), 0, "a quarantined miner earns nothing");
        assert!(emission(h) > 0);
        assert_noop!(
            Sentinels::unquarantine(RuntimeOrigin::signed(miner.clone()), netuid, m),
            SentinelError::<Runtime>::QuarantineNotOver
        );

        // After expiry its owner releases it, and it earns again.
        while Sentinels::epoch(netuid) < until_epoch {
            run_to(next_boundary());
        }
        assert_ok!(Sentinels::unquarantine(
            RuntimeOrigin::signed(miner_owner),
            netuid,
            m
        ));
        assert!(!<Sentinels as QuarantineInfo>::is_quarantined(netuid, m));
        // The validator renews its weights to stay active (the activity cutoff).
        run_to(System::block_number().max(weights_set_at + 50));
        set_weights();
        run_to(next_boundary());
        assert!(emission(m) > 0, "released, it earns again");
    });
}

/// Issue 19, part 2: dissolving a subnet through the subnets pallet returns what the sentinels
/// pallet held for it (here a canary deposit), drops the pending slash of a quarantined miner
/// that had left it (stake stays with its staker) and clears everything else over the next
/// blocks; a hotkey that leaves is noted for pruning.
#[test]
fn dissolving_a_subnet_returns_sentinel_deposits_and_clears_its_state() {
    use frame_support::traits::{fungible::InspectHold, Get};
    ext().execute_with(|| {
        let (owner, validator_owner, miner_owner) = (coldkey(0), coldkey(1), coldkey(2));
        // Exactly scored, so that it takes canaries.
        create_subnet_scored(4, 1, ScoringRule::Correctness);
        let netuid = NetUid(0);
        let (validator, miner) = (hotkey(0), hotkey(1));
        register(&validator_owner, 0);
        let m = register(&miner_owner, 1);
        assert_ok!(Stake::add_stake(
            RuntimeOrigin::signed(validator_owner.clone()),
            validator.clone(),
            1_000 * MIND
        ));
        // The validator's hotkey pays its canary deposits.
        assert_ok!(crate::Balances::transfer_keep_alive(
            RuntimeOrigin::signed(validator_owner),
            validator.clone().into(),
            100 * MIND
        ));
        assert_ok!(Stake::add_stake(
            RuntimeOrigin::signed(miner_owner.clone()),
            miner.clone(),
            100 * MIND
        ));
        serve(&miner);
        run_to(next_boundary());
        run_to(next_boundary());
        assert!(
            <Stake as mindos_primitives::StakeInfo<_, _>>::has_validator_permit(netuid, &validator)
        );
        // The validator commits a canary; the miner equivocates and is quarantined, with a
        // slash pending; then its owner deregisters it.
        assert_ok!(Sentinels::commit_canary(
            RuntimeOrigin::signed(validator.clone()),
            netuid,
            [5; 32]
        ));
        let canary_reason =
            crate::RuntimeHoldReason::Sentinels(pallet_mindos_sentinels::HoldReason::CanaryDeposit);
        let deposit = <Runtime as pallet_mindos_sentinels::Config>::CanaryDeposit::get();
        assert_eq!(
            crate::Balances::balance_on_hold(&canary_reason, &validator),
            deposit
        );
        let (first, second) = equivocation(&miner, m);
        assert_ok!(Sentinels::submit_equivocation(
            RuntimeOrigin::signed(validator.clone()),
            netuid,
            m,
            first,
            second
        ));
        assert!(pallet_mindos_sentinels::PendingSlashes::<Runtime>::contains_key(netuid, &miner));
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(miner_owner),
            netuid,
            miner.clone()
        ));
        assert!(
            pallet_mindos_sentinels::DepartedAt::<Runtime>::contains_key(netuid, &miner),
            "the neurons pallet reports the departure"
        );
        assert!(
            pallet_mindos_sentinels::Quarantines::<Runtime>::contains_key(netuid, &miner),
            "leaving does not lift the quarantine"
        );
        let stake = <Stake as mindos_primitives::StakeInfo<_, _>>::hotkey_stake(&miner);
        let issuance = crate::Balances::total_issuance();

        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(owner),
            netuid
        ));
        assert_eq!(
            crate::Balances::balance_on_hold(&canary_reason, &validator),
            0,
            "the canary deposit is returned at once"
        );
        assert!(pallet_mindos_sentinels::Dissolved::<Runtime>::contains_key(
            netuid
        ));
        run_to(System::block_number() + 1);
        assert!(!pallet_mindos_sentinels::Dissolved::<Runtime>::contains_key(netuid));
        assert!(System::events().iter().any(|r| matches!(
            &r.event,
            crate::RuntimeEvent::Sentinels(SentinelEvent::PendingSlashDropped { hotkey, .. })
                if *hotkey == miner
        )));
        assert_eq!(
            <Stake as mindos_primitives::StakeInfo<_, _>>::hotkey_stake(&miner),
            stake,
            "the dropped slash burned nothing"
        );
        assert_eq!(crate::Balances::total_issuance(), issuance);
        for key in [
            pallet_mindos_sentinels::Quarantines::<Runtime>::iter_keys().count(),
            pallet_mindos_sentinels::OffenceHistory::<Runtime>::iter_keys().count(),
            pallet_mindos_sentinels::KeyHistory::<Runtime>::iter_keys().count(),
            pallet_mindos_sentinels::PendingSlashes::<Runtime>::iter_keys().count(),
            pallet_mindos_sentinels::SlashQueue::<Runtime>::iter_keys().count(),
            pallet_mindos_sentinels::DepartedAt::<Runtime>::iter_keys().count(),
            pallet_mindos_sentinels::Committees::<Runtime>::iter_keys().count(),
            pallet_mindos_sentinels::Canaries::<Runtime>::iter_keys().count(),
        ] {
            assert_eq!(key, 0, "nothing of the subnet is left");
        }
        assert!(!pallet_mindos_sentinels::SubnetEpoch::<Runtime>::contains_key(netuid));
        Sentinels::do_try_state().expect("sentinel invariants hold");
    });
}

/// A subnet of nine validators (hotkeys 0..=8, owned by coldkey 1) and one miner (hotkey 9,
/// owned by coldkey 2), committees of 4 (`f = 1`): a case committee and a disjoint audit
/// committee of 4 fit. Returns the validators' uids and the miner's.
fn nine_validators_and_a_miner() -> (Vec<u16>, u16) {
    create_subnet(10, 9);
    // As an enacted `SentinelCommittee { size: 4, threshold: 3 }` proposal would.
    pallet_mindos_directives::Parameters::<Runtime>::mutate(|p| {
        p.sentinel_committee_size = 4;
        p.sentinel_threshold = 3;
    });
    let validators: Vec<u16> = (0..9).map(|i| register(&coldkey(1), i)).collect();
    let miner = register(&coldkey(2), 9);
    for i in 0..9u8 {
        assert_ok!(Stake::add_stake(
            RuntimeOrigin::signed(coldkey(1)),
            hotkey(i),
            1_000 * MIND + Balance::from(i) * MIND
        ));
        // A report holds its bond on the reporter's hotkey.
        assert_ok!(
            <crate::Balances as frame_support::traits::fungible::Mutate<_>>::mint_into(
                &hotkey(i),
                100 * MIND
            )
        );
    }
    (validators, miner)
}

/// What a live chain does: validators weigh only miners, so none of them receives consensus;
/// their reputation is earned by validator trust (weights that agree with consensus), and the
/// committee is drawn from it. Reputation is never seeded by hand here.
#[test]
fn validators_weighting_only_miners_earn_reputation_and_a_committee_is_drawn() {
    ext().execute_with(|| {
        let netuid = NetUid(0);
        let (validators, miner) = nine_validators_and_a_miner();
        run_to(next_boundary());
        run_to(next_boundary());
        for i in 0..9u8 {
            assert_ok!(Consensus::set_weights(
                RuntimeOrigin::signed(hotkey(i)),
                netuid,
                vec![miner],
                vec![1]
            ));
        }
        for _ in 0..4 {
            run_to(next_boundary());
        }
        let metrics = pallet_mindos_consensus::Metrics::<Runtime>::get(netuid);
        for uid in &validators {
            let m = metrics[usize::from(*uid)];
            assert!(m.consensus.is_zero(), "uid {uid} is weighted by nobody");
            assert_eq!(m.validator_trust, Perbill::one(), "uid {uid} agrees");
            assert!(m.reputation > Perbill::zero(), "uid {uid}: {m:?}");
        }
        let committee = Sentinels::current_committee(netuid).expect("a committee sits");
        let members: Vec<(u16, AccountId)> = committee.members.into_inner();
        assert_eq!(members.len(), 4);
        for (uid, key) in &members {
            let i = validators
                .iter()
                .position(|v| v == uid)
                .expect("every seat is a validator's");
            assert_eq!(*key, hotkey(i as u8), "seat {uid} is its hotkey's");
            assert!(<Consensus as ReputationInfo>::reputation(netuid, *uid) > Perbill::zero());
        }
    });
}

#[test]
fn an_overturned_conviction_slashes_the_guilty_voters_and_halves_their_reputation() {
    ext().execute_with(|| {
        let netuid = NetUid(0);
        let (validators, miner) = nine_validators_and_a_miner();
        // Permits come at the subnet's boundary; then every validator weights every other uid,
        // so each validator's uid gains consensus and, through its moving average, reputation.
        run_to(next_boundary());
        run_to(next_boundary());
        let mut everyone = validators.clone();
        everyone.push(miner);
        for (i, own) in (0..9u8).zip(&validators) {
            let others: Vec<u16> = everyone.iter().copied().filter(|u| u != own).collect();
            assert_ok!(Consensus::set_weights(
                RuntimeOrigin::signed(hotkey(i)),
                netuid,
                others.clone(),
                vec![1; others.len()]
            ));
        }
        // Reputation before the candidates' snapshot, and the committee drawn from it sitting.
        for _ in 0..4 {
            run_to(next_boundary());
        }
        let committee = Sentinels::current_committee(netuid).expect("a committee sits");
        let members: Vec<(u16, AccountId)> = committee.members.into_inner();
        assert_eq!(members.len(), 4);
        let reputation = |uid: u16| <Consensus as ReputationInfo>::reputation(netuid, uid);
        let before: Vec<Perbill> = members.iter().map(|(uid, _)| reputation(*uid)).collect();
        assert!(before.iter().all(|r| *r > Perbill::zero()), "{before:?}");

        // Three of the four convict the miner (the report is the reporter's guilty vote); the
        // random audit does not pick the case, its coldkey appeals.
        let case = pallet_mindos_sentinels::NextCaseId::<Runtime>::get();
        assert_ok!(Sentinels::report(
            RuntimeOrigin::signed(members[0].1.clone()),
            netuid,
            miner,
            JudgedOffence::WrongOutput,
            [3; 32]
        ));
        let unpicked = (0u8..=255)
            .map(|i| [i; 32])
            .find(|mix| !picked_at_random(mix, case))
            .expect("some accumulator does not pick the case");
        pallet_mindos_sentinels::Mix::<Runtime>::insert(netuid, unpicked);
        for (_, voter) in &members[1..3] {
            assert_ok!(Sentinels::vote(
                RuntimeOrigin::signed(voter.clone()),
                case,
                true
            ));
        }
        assert!(<Sentinels as QuarantineInfo>::is_quarantined(netuid, miner));
        let stake_of = |hotkey: &AccountId| {
            <Stake as mindos_primitives::StakeInfo<AccountId, Balance>>::hotkey_stake(hotkey)
        };
        let stakes: Vec<Balance> = members.iter().map(|(_, key)| stake_of(key)).collect();
        let bond_held = |who: &AccountId| {
            <crate::Balances as frame_support::traits::fungible::InspectHold<_>>::balance_on_hold(
                &crate::RuntimeHoldReason::Sentinels(
                    pallet_mindos_sentinels::HoldReason::ReportBond,
                ),
                who,
            )
        };
        let reporter_bond = bond_held(&members[0].1);
        assert!(
            reporter_bond > 0,
            "a conviction holds the bond until its slash settles"
        );
        assert_ok!(Sentinels::appeal(RuntimeOrigin::signed(coldkey(2)), case));

        // The audit committee, disjoint from the case's, overturns the conviction.
        let auditors = pallet_mindos_sentinels::Audits::<Runtime>::get(case)
            .expect("the appeal opened an audit")
            .members
            .into_inner();
        assert!(auditors.iter().all(|a| members.iter().all(|(_, m)| m != a)));
        for auditor in &auditors[..3] {
            assert_ok!(Sentinels::audit_vote(
                RuntimeOrigin::signed(auditor.clone()),
                case,
                false
            ));
        }
        // The committees disagree: the subnet's permit holders confirm the overturn, deciding
        // once more than 2/3 of their stake voted.
        assert!(<Sentinels as QuarantineInfo>::is_quarantined(netuid, miner));
        let escalation = pallet_mindos_sentinels::Escalations::<Runtime>::get(case)
            .expect("the overturn escalated");
        assert_eq!(escalation.electorate.len(), 9);
        let mut voted = 0u128;
        for elector in escalation.electorate.iter() {
            if !pallet_mindos_sentinels::Escalations::<Runtime>::contains_key(case) {
                break;
            }
            assert_ok!(Sentinels::escalation_vote(
                RuntimeOrigin::signed(elector.hotkey.clone()),
                case,
                true
            ));
            voted += elector.stake;
        }
        assert!(
            voted * 3 > escalation.total * 2,
            "decided at the supermajority"
        );
        assert!(!<Sentinels as QuarantineInfo>::is_quarantined(
            netuid, miner
        ));

        // The three guilty voters' reputation is halved; the fourth member's is untouched.
        assert_eq!(REPUTATION_CUT, Perbill::from_percent(50));
        for (seat, (uid, _)) in members.iter().enumerate() {
            let expected = if seat < 3 {
                // Halved, rounded down.
                Perbill::from_parts(before[seat].deconstruct() / 2)
            } else {
                before[seat]
            };
            assert_eq!(reputation(*uid), expected, "seat {seat}");
        }
        assert!(reputation(members[0].0) < before[0]);

        // And their stake is slashed: 0.1 % for a guilty vote the audit overturned, ×3 because
        // f + 1 = 2 or more of one committee were wrong together; the reporter's bond burned.
        let rate = Perbill::from_parts(3 * 1_000_000);
        for (seat, (_, key)) in members.iter().enumerate() {
            let expected = if seat < 3 {
                stakes[seat] - rate * stakes[seat]
            } else {
                stakes[seat]
            };
            assert_eq!(stake_of(key), expected, "seat {seat}");
        }
        assert_eq!(bond_held(&members[0].1), 0);
        assert!(System::events().iter().any(|r| matches!(
            &r.event,
            crate::RuntimeEvent::Sentinels(SentinelEvent::ConvictionOverturned {
                bond_forfeited,
                ..
            }) if *bond_forfeited == reporter_bond
        )));
    });
}

/// The runtime APIs as the node calls them, without the node.
mod api {
    use crate::{AccountId, Balance, Block, BlockNumber, Runtime};
    use mindos_primitives::{
        CasesView, CommitteeQueryError, CommitteeView, NetUid, NeuronDetail, NeuronView,
        QuarantineView,
    };
    use mindos_runtime_api::runtime_decl_for_mindos_api::MindosApiV1;
    use mindos_runtime_api::runtime_decl_for_sentinels_api::SentinelsApiV1;

    pub(super) fn committee(
        netuid: NetUid,
        epoch: Option<u64>,
    ) -> Result<CommitteeView<AccountId, BlockNumber>, CommitteeQueryError> {
        <Runtime as SentinelsApiV1<Block, AccountId, Balance, BlockNumber>>::committee(
            netuid, epoch,
        )
    }

    pub(super) fn cases(
        netuid: Option<NetUid>,
    ) -> Option<CasesView<AccountId, Balance, BlockNumber>> {
        <Runtime as SentinelsApiV1<Block, AccountId, Balance, BlockNumber>>::cases(netuid)
    }

    pub(super) fn quarantines(
        netuid: Option<NetUid>,
    ) -> Option<Vec<QuarantineView<AccountId, BlockNumber>>> {
        <Runtime as SentinelsApiV1<Block, AccountId, Balance, BlockNumber>>::quarantines(netuid)
    }

    pub(super) fn metagraph(
        netuid: NetUid,
        offset: u16,
        limit: u16,
    ) -> Option<Vec<NeuronView<AccountId, Balance, BlockNumber>>> {
        <Runtime as MindosApiV1<Block, AccountId, Balance, BlockNumber>>::metagraph(
            netuid, offset, limit,
        )
    }

    pub(super) fn neuron(
        netuid: NetUid,
        uid: u16,
    ) -> Option<NeuronDetail<AccountId, Balance, BlockNumber>> {
        <Runtime as MindosApiV1<Block, AccountId, Balance, BlockNumber>>::neuron(netuid, uid)
    }
}

#[test]
fn the_sentinels_api_shows_the_committee_an_open_case_and_a_quarantine() {
    use mindos_primitives::{CommitteeDuty, CommitteeQueryError, SentinelOffence, VoteStatus};

    ext().execute_with(|| {
        let (validator_owner, miner_owner) = (coldkey(1), coldkey(2));
        create_subnet(8, 4);
        let netuid = NetUid(0);
        let validators: Vec<(u16, AccountId)> = (0..4)
            .map(|i| (register(&validator_owner, i), hotkey(i)))
            .collect();
        let (cheat, accused) = (hotkey(4), hotkey(5));
        let c = register(&miner_owner, 4);
        let a = register(&miner_owner, 5);
        serve(&cheat);
        // A permit for the first validator, to submit the equivocation.
        assert_ok!(Stake::add_stake(
            RuntimeOrigin::signed(validator_owner.clone()),
            validators[0].1.clone(),
            1_000 * MIND
        ));
        run_to(next_boundary());
        run_to(next_boundary());
        run_to(System::block_number() + 2);
        let (first, second) = equivocation(&cheat, c);
        assert_ok!(Sentinels::submit_equivocation(
            RuntimeOrigin::signed(validators[0].1.clone()),
            netuid,
            c,
            first,
            second
        ));
        let until = pallet_mindos_sentinels::Quarantines::<Runtime>::get(netuid, &cheat)
            .expect("quarantined")
            .until_epoch;

        // Seats weigh stake × reputation, and reputation takes epochs of weights to build:
        // seat the four validators directly (the pallet's tests cover the draw).
        let epoch = Sentinels::epoch(netuid);
        let size = codec::Decode::decode(&mut &[4u8][..]).expect("a committee size is a u8");
        pallet_mindos_sentinels::Committees::<Runtime>::insert(
            netuid,
            epoch,
            pallet_mindos_sentinels::CommitteeRecord {
                size,
                members: validators.clone().try_into().unwrap(),
                drawn_at: System::block_number(),
            },
        );
        // The reporter's hotkey holds the bond.
        assert_ok!(crate::Balances::transfer_keep_alive(
            RuntimeOrigin::signed(validator_owner),
            validators[0].1.clone().into(),
            100 * MIND
        ));
        assert_ok!(Sentinels::report(
            RuntimeOrigin::signed(validators[0].1.clone()),
            netuid,
            a,
            pallet_mindos_sentinels::JudgedOffence::WrongOutput,
            [6; 32]
        ));
        assert_ok!(Sentinels::vote(
            RuntimeOrigin::signed(validators[1].1.clone()),
            0,
            false
        ));

        let committee = api::committee(netuid, None).expect("the current committee");
        assert_eq!(committee.epoch, epoch);
        assert_eq!(committee.duty, CommitteeDuty::Current);
        assert_eq!((committee.size, committee.threshold), (4, 3));
        assert_eq!(
            committee
                .members
                .iter()
                .map(|m| (m.uid, m.hotkey.clone()))
                .collect::<Vec<_>>(),
            validators
        );
        assert_eq!(
            api::committee(netuid, Some(epoch + 1)),
            Err(CommitteeQueryError::NotStored {
                requested: epoch + 1,
                current: epoch,
                stored: vec![epoch]
            }),
            "no validator has reputation yet, so no next committee was drawn"
        );
        assert_eq!(
            api::committee(NetUid(9), None),
            Err(CommitteeQueryError::UnknownSubnet)
        );

        let cases = api::cases(Some(netuid)).expect("a live subnet");
        let [case] = cases.cases.as_slice() else {
            panic!("one open case: {cases:?}")
        };
        assert_eq!((case.id, case.uid, &case.accused), (0, a, &accused));
        assert_eq!(case.offence, SentinelOffence::WrongOutput);
        assert_eq!(case.bond, 10 * MIND);
        assert_eq!(case.guilty, vec![validators[0].1.clone()]);
        assert_eq!(case.not_guilty, vec![validators[1].1.clone()]);
        assert_eq!(case.status, VoteStatus::Voting);
        assert!(cases.audits.is_empty());
        assert_eq!(api::cases(None), Some(cases));
        assert_eq!(api::cases(Some(NetUid(9))), None);

        let quarantines = api::quarantines(Some(netuid)).expect("a live subnet");
        let [q] = quarantines.as_slice() else {
            panic!("one quarantine: {quarantines:?}")
        };
        assert_eq!((&q.hotkey, q.uid), (&cheat, Some(c)));
        assert_eq!(q.offence, SentinelOffence::Equivocation);
        assert_eq!(q.until_epoch, until);
        assert!(!q.releasable);
        assert_eq!(api::quarantines(Some(NetUid(9))), None);

        // The metagraph flags the quarantined miner only, by the epoch it may be released in.
        let rows = api::metagraph(netuid, 0, u16::MAX).expect("a live subnet");
        for row in &rows {
            let expected = (row.uid == c).then_some(until);
            assert_eq!(row.quarantined_until, expected, "uid {}", row.uid);
        }
        assert_eq!(rows.len(), 6);
        let detail = api::neuron(netuid, c).expect("registered");
        assert_eq!(detail.neuron.quarantined_until, Some(until));
    });
}
