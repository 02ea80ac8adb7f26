//! The sentinels pallet wired into the real runtime: a miner that signs two different outputs
//! for one challenge with the Ed25519 key it served is quarantined by a validator-permit
//! holder's `submit_equivocation`, earns no emission in the next epoch, and is released by
//! `unquarantine` once its quarantine is over.

use crate::{
    genesis_config_presets, AccountId, AllPalletsWithSystem, Balance, Consensus, Neurons, Runtime,
    RuntimeOrigin, Sentinels, Stake, Subnets, System, MIND,
};
use frame_support::{assert_noop, assert_ok, traits::OnInitialize};
use mindos_primitives::{
    DeviceClass, DeviceProfile, Hyperparameters, Modality, NetUid, PowerSource, QuarantineInfo,
    ScoringRule, TaskSpec,
};
use pallet_mindos_sentinels::{
    response_message, Challenge, Error as SentinelError, Event as SentinelEvent, OffenceKind,
    Response, SeenBlock, SignedResponse,
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

#[test]
fn an_equivocating_miner_is_quarantined_earns_nothing_and_is_released_after_expiry() {
    ext().execute_with(|| {
        let (owner, validator_owner, miner_owner) = (coldkey(0), coldkey(1), coldkey(2));
        assert_ok!(Subnets::create_subnet(
            RuntimeOrigin::signed(owner),
            b"sentinels".to_vec().try_into().unwrap(),
            TaskSpec {
                modality: Modality::Text,
                model_digest: MODEL,
                input_schema: 1,
                output_schema: 1,
                scoring_rule: ScoringRule::CosineSimilarity,
            },
            Hyperparameters {
                // Long enough that a validator can set weights (every 50 blocks at most) within
                // the activity cutoff (4 epochs).
                tempo: 20,
                max_neurons: 4,
                max_validators: 1,
                immunity_period: 100,
                min_validator_stake: MIND,
                commit_reveal: false,
            },
            pallet_mindos_subnets::Visibility::Public,
        ));
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
        let challenge = Challenge {
            netuid,
            uid: m,
            hotkey: miner.clone(),
            epoch: Sentinels::epoch(netuid),
            nonce: 42,
            input_hash: [9; 32],
            model_digest: MODEL,
            deadline: u64::from(System::block_number()) + 10,
        };
        let (first, second) = (answer(&challenge, 1), answer(&challenge, 2));
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
        assert_ok!(Subnets::create_subnet(
            RuntimeOrigin::signed(owner.clone()),
            b"sentinels".to_vec().try_into().unwrap(),
            TaskSpec {
                modality: Modality::Text,
                model_digest: MODEL,
                input_schema: 1,
                output_schema: 1,
                // Exactly scored, so that it takes canaries.
                scoring_rule: ScoringRule::Correctness,
            },
            Hyperparameters {
                tempo: 20,
                max_neurons: 4,
                max_validators: 1,
                immunity_period: 100,
                min_validator_stake: MIND,
                commit_reveal: false,
            },
            pallet_mindos_subnets::Visibility::Public,
        ));
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
        let challenge = Challenge {
            netuid,
            uid: m,
            hotkey: miner.clone(),
            epoch: Sentinels::epoch(netuid),
            nonce: 42,
            input_hash: [9; 32],
            model_digest: MODEL,
            deadline: u64::from(System::block_number()) + 10,
        };
        assert_ok!(Sentinels::submit_equivocation(
            RuntimeOrigin::signed(validator.clone()),
            netuid,
            m,
            answer(&challenge, 1),
            answer(&challenge, 2)
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
