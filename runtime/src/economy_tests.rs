//! The economy pallets together in the real runtime: random sequences of registrations,
//! stake moves, slashes and dissolutions never mint or lose tokens, and stake bookkeeping
//! always matches the balance held for it.

use crate::{
    genesis_config_presets, AccountId, Balance, Balances, Neurons, Runtime, RuntimeHoldReason,
    RuntimeOrigin, Stake, Subnets, System, MIND,
};
use frame_support::traits::{fungible::InspectHold, Get, Hooks};
use mindos_primitives::{
    Hyperparameters, Modality, NetUid, Perbill, ScoringRule, StakeInfo, TaskSpec,
};
use proptest::prelude::*;
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

const COLDKEYS: [Sr25519Keyring; 3] = [
    Sr25519Keyring::Bob,
    Sr25519Keyring::Charlie,
    Sr25519Keyring::Dave,
];

/// The key pair of [`hotkey`] `i`: a hotkey signs its consent to its coldkey.
fn hotkey_pair(i: u8) -> sp_core::sr25519::Pair {
    sp_core::Pair::from_seed(&[0xa0u8.wrapping_add(i); 32])
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

fn coldkey(i: u8) -> AccountId {
    COLDKEYS[usize::from(i) % COLDKEYS.len()].to_account_id()
}

/// One step of a random economy history.
#[derive(Clone, Debug)]
enum Op {
    CreateSubnet {
        owner: u8,
    },
    Register {
        netuid: u16,
        coldkey: u8,
        hotkey: u8,
    },
    Deregister {
        netuid: u16,
        coldkey: u8,
        hotkey: u8,
    },
    AddStake {
        coldkey: u8,
        hotkey: u8,
        amount: u32,
    },
    RemoveStake {
        coldkey: u8,
        hotkey: u8,
        amount: u32,
    },
    Withdraw {
        coldkey: u8,
    },
    Slash {
        hotkey: u8,
        percent: u8,
    },
    Dissolve {
        netuid: u16,
        owner: u8,
    },
    Advance {
        blocks: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..3).prop_map(|owner| Op::CreateSubnet { owner }),
        (0u16..4, 0u8..3, 0u8..6).prop_map(|(netuid, coldkey, hotkey)| Op::Register {
            netuid,
            coldkey,
            hotkey
        }),
        (0u16..4, 0u8..3, 0u8..6).prop_map(|(netuid, coldkey, hotkey)| Op::Deregister {
            netuid,
            coldkey,
            hotkey
        }),
        (0u8..3, 0u8..6, 0u32..5_000).prop_map(|(coldkey, hotkey, amount)| Op::AddStake {
            coldkey,
            hotkey,
            amount
        }),
        (0u8..3, 0u8..6, 0u32..5_000).prop_map(|(coldkey, hotkey, amount)| Op::RemoveStake {
            coldkey,
            hotkey,
            amount
        }),
        (0u8..3).prop_map(|coldkey| Op::Withdraw { coldkey }),
        (0u8..6, 0u8..=100).prop_map(|(hotkey, percent)| Op::Slash { hotkey, percent }),
        (0u16..4, 0u8..3).prop_map(|(netuid, owner)| Op::Dissolve { netuid, owner }),
        (1u32..200_000).prop_map(|blocks| Op::Advance { blocks }),
    ]
}

fn params() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 10,
        max_neurons: 3,
        max_validators: 2,
        immunity_period: 5,
        min_validator_stake: MIND,
        commit_reveal: true,
    }
}

fn task() -> TaskSpec {
    TaskSpec {
        modality: Modality::Text,
        model_digest: [3; 32],
        input_schema: 1,
        output_schema: 1,
        scoring_rule: ScoringRule::CosineSimilarity,
    }
}

fn staked(who: &AccountId) -> Balance {
    Balances::balance_on_hold(
        &RuntimeHoldReason::Stake(pallet_mindos_stake::HoldReason::Staked),
        who,
    )
}

/// Stake bookkeeping equals what is held, per coldkey and in total.
fn check_stake_books() {
    let active: Balance = pallet_mindos_stake::StakeOf::<Runtime>::iter_values().sum();
    assert_eq!(active, pallet_mindos_stake::TotalStake::<Runtime>::get());
    let per_hotkey: Balance = pallet_mindos_stake::HotkeyStake::<Runtime>::iter_values().sum();
    assert_eq!(active, per_hotkey);
    let unbonding = pallet_mindos_stake::TotalUnbonding::<Runtime>::get();
    let held: Balance = (0..3).map(|i| staked(&coldkey(i))).sum();
    assert_eq!(held, active + unbonding, "held == active + unbonding");
}

fn advance(blocks: u32) {
    let now = System::block_number();
    // Jump most of the way, then run the hooks of the last few blocks so epoch work happens.
    let target = now.saturating_add(blocks);
    System::set_block_number(target.saturating_sub(3).max(now));
    while System::block_number() < target {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Stake::on_initialize(next);
    }
}

/// Applies one op; returns what it burned (registration burns and slashes). Failing calls
/// are fine: the point is that nothing leaks whatever happens.
fn apply(op: &Op) -> Balance {
    let issuance = Balances::total_issuance();
    match *op {
        Op::CreateSubnet { owner } => {
            // Histories need several subnets: lift the one-creation-an-hour limit (tested in
            // the pallet). The creation burn counts as burned below like any other.
            pallet_mindos_subnets::LastSubnetCreatedAt::<Runtime>::kill();
            let _ = Subnets::create_subnet(
                RuntimeOrigin::signed(coldkey(owner)),
                b"prop".to_vec().try_into().unwrap(),
                task(),
                params(),
                pallet_mindos_subnets::Visibility::Public,
            );
        }
        Op::Register {
            netuid,
            coldkey: c,
            hotkey: h,
        } => {
            let _ = Neurons::register(
                RuntimeOrigin::signed(coldkey(c)),
                NetUid(netuid),
                hotkey(h),
                1_000 * MIND,
                consent(&coldkey(c), &hotkey(h)),
            );
        }
        Op::Deregister {
            netuid,
            coldkey: c,
            hotkey: h,
        } => {
            let _ =
                Neurons::deregister(RuntimeOrigin::signed(coldkey(c)), NetUid(netuid), hotkey(h));
        }
        Op::AddStake {
            coldkey: c,
            hotkey: h,
            amount,
        } => {
            let _ = Stake::add_stake(
                RuntimeOrigin::signed(coldkey(c)),
                hotkey(h),
                Balance::from(amount) * MIND / 10,
            );
        }
        Op::RemoveStake {
            coldkey: c,
            hotkey: h,
            amount,
        } => {
            let _ = Stake::remove_stake(
                RuntimeOrigin::signed(coldkey(c)),
                hotkey(h),
                Balance::from(amount) * MIND / 10,
            );
        }
        Op::Withdraw { coldkey: c } => {
            let _ = Stake::withdraw_unbonded(RuntimeOrigin::signed(coldkey(c)));
        }
        Op::Slash { hotkey: h, percent } => {
            let burned = <Stake as StakeInfo<_, _>>::slash(
                &hotkey(h),
                Perbill::from_percent(u32::from(percent)),
            );
            assert_eq!(
                Balances::total_issuance(),
                issuance - burned,
                "a slash burns exactly what it reports"
            );
        }
        Op::Dissolve { netuid, owner } => {
            let _ = Subnets::dissolve_subnet(RuntimeOrigin::signed(coldkey(owner)), NetUid(netuid));
        }
        Op::Advance { blocks } => advance(blocks),
    }
    issuance - Balances::total_issuance()
}

fn ext() -> sp_io::TestExternalities {
    let mut config = crate::RuntimeGenesisConfig::default();
    config.balances.balances = COLDKEYS
        .iter()
        .map(|k| (k.to_account_id(), genesis_config_presets::DEV_ENDOWMENT))
        .collect();
    config.subnets.bounds = Some(genesis_config_presets::default_hyperparameter_bounds());
    let mut ext = sp_io::TestExternalities::new(config.build_storage().unwrap());
    ext.execute_with(|| System::set_block_number(1));
    ext
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_economy_histories_keep_the_books(ops in proptest::collection::vec(op(), 1..40)) {
        ext().execute_with(|| {
            let start = Balances::total_issuance();
            let mut burned: Balance = 0;
            for op in &ops {
                burned += apply(op);
                check_stake_books();
                // Only burns (registration, slashes) change the supply; nothing is minted.
                assert_eq!(Balances::total_issuance(), start - burned, "after {op:?}");
            }
            // Everyone can always get everything out again: unbond all, wait, withdraw.
            for c in 0..3u8 {
                let who = coldkey(c);
                for h in 0..6u8 {
                    let active = pallet_mindos_stake::StakeOf::<Runtime>::get(hotkey(h), &who);
                    if active > 0 {
                        Stake::remove_stake(RuntimeOrigin::signed(who.clone()), hotkey(h), active)
                            .expect("unbonding all is always possible");
                    }
                }
            }
            advance(<Runtime as pallet_mindos_stake::Config>::UnbondingPeriod::get() + 1);
            for c in 0..3u8 {
                let _ = Stake::withdraw_unbonded(RuntimeOrigin::signed(coldkey(c)));
                assert_eq!(staked(&coldkey(c)), 0, "all stake released");
            }
            check_stake_books();
            assert_eq!(pallet_mindos_stake::TotalStake::<Runtime>::get(), 0);
        });
    }
}
