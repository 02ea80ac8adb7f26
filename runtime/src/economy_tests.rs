//! The economy pallets together in the real runtime: random histories of registrations,
//! stake moves, take changes, weights, epochs with their emission and payouts, reward claims,
//! slashes, dissolutions and governance (propose, vote, close, enact). After every op and every
//! block that runs:
//!
//! - every MindOS pallet's `try_state` holds and the stake books match the balance held;
//! - total issuance = genesis supply − everything burned (registration and creation burns,
//!   slashes, burned deposits) + everything minted, counted from the balances pallet's events;
//! - what was minted, plus what is accrued or attributed and not minted yet, never exceeds the
//!   block emission of the blocks whose hooks ran. This is cumulative, not per block, on
//!   purpose: a claim or a page of miner payouts mints in one block what accrued over earlier
//!   ones, but nothing is ever minted, or owed, that was not emitted.

use crate::{
    configs::EnactmentDelay, genesis_config_presets, AccountId, AllPalletsWithSystem, Balance,
    Balances, Consensus, Directives, Neurons, Runtime, RuntimeEvent, RuntimeHoldReason,
    RuntimeOrigin, Stake, Subnets, System, MIND,
};
use frame_support::traits::{fungible::InspectHold, Get, OnInitialize};
use mindos_primitives::{
    ConsensusParameters, Hyperparameters, Modality, NetUid, Perbill, ScoringRule, StakeInfo,
    TaskSpec,
};
use pallet_mindos_directives::{ParameterValue, ProposalAction, Scope};
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
    SetWeights {
        netuid: u16,
        hotkey: u8,
        target: u16,
    },
    SetTake {
        coldkey: u8,
        hotkey: u8,
        percent: u8,
    },
    Claim {
        coldkey: u8,
        hotkey: u8,
    },
    Propose {
        coldkey: u8,
        floor: u8,
    },
    Vote {
        coldkey: u8,
        aye: bool,
    },
    /// Jumps to the end of the latest proposal's vote, closes it and, if it passed, runs the
    /// block that enacts it.
    CloseLatest,
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
        (0u16..4, 0u8..6, 0u16..3).prop_map(|(netuid, hotkey, target)| Op::SetWeights {
            netuid,
            hotkey,
            target
        }),
        (0u8..3, 0u8..6, 0u8..20).prop_map(|(coldkey, hotkey, percent)| Op::SetTake {
            coldkey,
            hotkey,
            percent
        }),
        (0u8..3, 0u8..6).prop_map(|(coldkey, hotkey)| Op::Claim { coldkey, hotkey }),
        (0u8..3, 0u8..4).prop_map(|(coldkey, floor)| Op::Propose { coldkey, floor }),
        (0u8..3, any::<bool>()).prop_map(|(coldkey, aye)| Op::Vote { coldkey, aye }),
        Just(Op::CloseLatest),
        // Epochs come every 11 blocks: a few dozen blocks run several of them.
        (1u32..40).prop_map(|blocks| Op::Advance { blocks }),
    ]
}

fn params() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 10,
        max_neurons: 3,
        max_validators: 2,
        immunity_period: 5,
        min_validator_stake: MIND,
        // `set_weights` (commit-reveal has its own tests): every history can pay epochs.
        commit_reveal: false,
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

/// What the history minted, burned and emitted so far, from the balances pallet's events and
/// the governed emission of each block that ran.
struct Books {
    start: Balance,
    minted: Balance,
    burned: Balance,
    emitted: Balance,
}

impl Books {
    fn new() -> Self {
        System::reset_events();
        Self {
            start: Balances::total_issuance(),
            minted: 0,
            burned: 0,
            emitted: 0,
        }
    }

    /// Counts the mints and burns since the last call.
    fn settle(&mut self) {
        for record in System::events() {
            match record.event {
                RuntimeEvent::Balances(pallet_balances::Event::Minted { amount, .. })
                | RuntimeEvent::Balances(pallet_balances::Event::MintedCredit { amount })
                | RuntimeEvent::Balances(pallet_balances::Event::Issued { amount }) => {
                    self.minted += amount
                }
                RuntimeEvent::Balances(pallet_balances::Event::Burned { amount, .. })
                | RuntimeEvent::Balances(pallet_balances::Event::BurnedHeld { amount, .. })
                | RuntimeEvent::Balances(pallet_balances::Event::BurnedDebt { amount })
                | RuntimeEvent::Balances(pallet_balances::Event::Rescinded { amount })
                | RuntimeEvent::Balances(pallet_balances::Event::DustLost { amount, .. }) => {
                    self.burned += amount
                }
                _ => {}
            }
        }
        System::reset_events();
    }

    /// Every invariant of the module docs.
    fn check(&mut self, after: &dyn core::fmt::Debug) {
        self.settle();
        assert_eq!(
            Balances::total_issuance(),
            self.start + self.minted - self.burned,
            "issuance = genesis - burned + minted after {after:?}"
        );
        let owed = still_owed();
        assert!(
            self.minted + owed <= self.emitted,
            "minted {} and owed {owed} of {} emitted after {after:?}",
            self.minted,
            self.emitted
        );
        check_stake_books();
        check_try_state(after);
    }

    /// Runs the next block's hooks, counts its emission and checks everything. A block
    /// emits only when some subnet accrues (one that ran an epoch and has counted stake);
    /// otherwise its emission is never created, and counting it would hide an overpayment.
    /// What the accrual saw: the subnets with an accrual entry before the block (an epoch in
    /// the block may add one after the accrual) and the counted stake after it (the stake
    /// pallet's permit refresh runs before the consensus pallet's hook; nothing after it
    /// changes the counted stake).
    fn run_block(&mut self) {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        let accruals: Vec<NetUid> = pallet_mindos_consensus::Accrual::<Runtime>::get()
            .iter()
            .map(|a| a.netuid)
            .collect();
        AllPalletsWithSystem::on_initialize(next);
        let counted = <Stake as StakeInfo<_, _>>::counted_stakes();
        let accrued = accruals.iter().any(|n| {
            counted
                .iter()
                .any(|(netuid, stake)| netuid == n && *stake > 0)
        });
        if accrued {
            self.emitted +=
                <Directives as ConsensusParameters<Balance>>::block_emission(u64::from(next));
        }
        self.check(&format_args!("block {next}"));
    }

    fn advance(&mut self, blocks: u32) {
        for _ in 0..blocks {
            self.run_block();
        }
    }

    /// Moves to block `to` without running the blocks in between (they emit nothing), then
    /// runs block `to`.
    fn jump_to(&mut self, to: crate::BlockNumber) {
        if System::block_number() + 1 < to {
            System::set_block_number(to - 1);
        }
        self.run_block();
    }
}

/// Emission accrued or attributed but not minted yet: subnets' accruals, queued miner
/// payouts and nominators' unclaimed dividends (as `claim_rewards` computes them). Minted plus
/// this never exceeds what was emitted; rounding and forfeits only make it smaller.
fn still_owed() -> Balance {
    use sp_runtime::{traits::Saturating, FixedPointNumber};
    let accrued: Balance = pallet_mindos_consensus::Accrual::<Runtime>::get()
        .iter()
        .map(|a| a.pending)
        .sum();
    let queued: Balance = pallet_mindos_consensus::PayoutsOf::<Runtime>::iter_values()
        .flat_map(|payouts| payouts.entries.into_iter().map(|(_, amount)| amount))
        .sum();
    let dividends: Balance = pallet_mindos_stake::StakeOf::<Runtime>::iter()
        .map(|(hotkey, coldkey, stake)| {
            pallet_mindos_stake::RewardIndex::<Runtime>::get(&hotkey)
                .saturating_sub(pallet_mindos_stake::RewardSnapshot::<Runtime>::get(
                    &hotkey, &coldkey,
                ))
                .saturating_mul_int(stake)
        })
        .sum();
    accrued + queued + dividends
}

/// Every MindOS pallet's invariants.
fn check_try_state(after: &dyn core::fmt::Debug) {
    let checks = [
        (
            "subnets",
            pallet_mindos_subnets::Pallet::<Runtime>::do_try_state(),
        ),
        (
            "neurons",
            pallet_mindos_neurons::Pallet::<Runtime>::do_try_state(),
        ),
        (
            "stake",
            pallet_mindos_stake::Pallet::<Runtime>::do_try_state(),
        ),
        (
            "consensus",
            pallet_mindos_consensus::Pallet::<Runtime>::do_try_state(),
        ),
        (
            "directives",
            pallet_mindos_directives::Pallet::<Runtime>::do_try_state(),
        ),
        (
            "sentinels",
            pallet_mindos_sentinels::Pallet::<Runtime>::do_try_state(),
        ),
    ];
    for (pallet, result) in checks {
        assert_eq!(result, Ok(()), "{pallet} try_state after {after:?}");
    }
}

/// Applies one op. Failing calls are fine: the point is that nothing leaks whatever happens.
fn apply(op: &Op, books: &mut Books) {
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
        Op::SetWeights {
            netuid,
            hotkey: h,
            target,
        } => {
            let _ = Consensus::set_weights(
                RuntimeOrigin::signed(hotkey(h)),
                NetUid(netuid),
                vec![target],
                vec![1],
            );
        }
        Op::SetTake {
            coldkey: c,
            hotkey: h,
            percent,
        } => {
            let _ = Stake::set_take(
                RuntimeOrigin::signed(coldkey(c)),
                hotkey(h),
                Perbill::from_percent(u32::from(percent)),
            );
        }
        Op::Claim {
            coldkey: c,
            hotkey: h,
        } => {
            let _ = Stake::claim_rewards(RuntimeOrigin::signed(coldkey(c)), hotkey(h));
        }
        Op::Propose { coldkey: c, floor } => {
            let _ = Directives::propose(
                RuntimeOrigin::signed(coldkey(c)),
                ProposalAction::SetParameter(ParameterValue::BurnFloor(
                    MIND * Balance::from(floor + 1),
                )),
                Scope::Network,
            );
        }
        Op::Vote { coldkey: c, aye } => {
            if let Some(index) = latest_proposal() {
                let _ = Directives::vote(RuntimeOrigin::signed(coldkey(c)), index, aye);
            }
        }
        Op::CloseLatest => {
            let Some(index) = latest_proposal() else {
                return;
            };
            let Some(proposal) = pallet_mindos_directives::Proposals::<Runtime>::get(index) else {
                return;
            };
            books.jump_to(proposal.voting_ends.max(System::block_number() + 1));
            if Directives::close(RuntimeOrigin::signed(coldkey(0)), index).is_ok() {
                books.check(op);
                if let Some(pallet_mindos_directives::ProposalStatus::Approved { enact_at }) =
                    pallet_mindos_directives::Proposals::<Runtime>::get(index).map(|p| p.status)
                {
                    assert!(enact_at <= System::block_number() + EnactmentDelay::get());
                    books.jump_to(enact_at);
                }
            }
        }
        Op::Advance { blocks } => books.advance(blocks),
    }
}

/// The latest proposal, if any was made.
fn latest_proposal() -> Option<pallet_mindos_directives::ProposalIndex> {
    pallet_mindos_directives::NextProposalIndex::<Runtime>::get().checked_sub(1)
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
            let mut books = Books::new();
            for op in &ops {
                apply(op, &mut books);
                books.check(op);
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
            let unbonded = System::block_number()
                + <Runtime as pallet_mindos_stake::Config>::UnbondingPeriod::get();
            books.jump_to(unbonded);
            for c in 0..3u8 {
                let _ = Stake::withdraw_unbonded(RuntimeOrigin::signed(coldkey(c)));
                assert_eq!(staked(&coldkey(c)), 0, "all stake released");
            }
            books.check(&"the exit");
            assert_eq!(pallet_mindos_stake::TotalStake::<Runtime>::get(), 0);
        });
    }
}

/// The machinery the random histories rely on, on one fixed history: a validator weights a
/// miner, epochs pay owner, validator and miner, the nominator claims, and every invariant
/// holds after every block with something actually minted.
#[test]
fn a_fixed_history_mints_emission_and_keeps_the_books() {
    ext().execute_with(|| {
        let mut books = Books::new();
        let ops = [
            Op::CreateSubnet { owner: 0 },
            Op::Register {
                netuid: 0,
                coldkey: 1,
                hotkey: 0,
            },
            Op::Register {
                netuid: 0,
                coldkey: 2,
                hotkey: 1,
            },
            Op::AddStake {
                coldkey: 1,
                hotkey: 0,
                amount: 1_000,
            },
            Op::AddStake {
                coldkey: 2,
                hotkey: 0,
                amount: 500,
            },
            Op::Advance { blocks: 12 },
            Op::SetWeights {
                netuid: 0,
                hotkey: 0,
                target: 1,
            },
            Op::Advance { blocks: 30 },
            Op::Claim {
                coldkey: 2,
                hotkey: 0,
            },
            Op::Propose {
                coldkey: 1,
                floor: 2,
            },
            Op::Vote {
                coldkey: 1,
                aye: true,
            },
            Op::CloseLatest,
            Op::Advance { blocks: 3 },
        ];
        for op in &ops {
            apply(op, &mut books);
            books.check(op);
        }
        assert!(books.minted > 0, "epochs paid something");
        assert!(
            books.burned > 0,
            "registrations and the creation burned something"
        );
        assert_eq!(
            Directives::parameters().burn_floor,
            3 * MIND,
            "the proposal passed and was enacted"
        );
    });
}

/// Review C1 on the real runtime: registering a hotkey that validates on some subnets on one
/// more subnet never raises the share of block emission that this set of subnets (the old
/// ones and the new one) accrues. The hotkey's stake is divided over its permits instead of
/// counting again, and whoever it displaces only leaves the set or the count. That the counted
/// stake never exceeds the total stake is the stake pallet's `try_state`, which
/// [`Books::run_block`] checks after every block.
fn counted_share(subnets: &[NetUid]) -> (Balance, Balance) {
    let accruing: Vec<NetUid> = pallet_mindos_consensus::Accrual::<Runtime>::get()
        .iter()
        .map(|a| a.netuid)
        .collect();
    let counted = <Stake as StakeInfo<_, _>>::counted_stakes();
    let of = |netuid: &NetUid| {
        counted
            .iter()
            .find(|(id, _)| id == netuid)
            .map_or(0, |(_, stake)| *stake)
    };
    let total = accruing.iter().map(of).sum();
    let part = subnets
        .iter()
        .filter(|netuid| accruing.contains(netuid))
        .map(of)
        .sum();
    (part, total)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn joining_another_subnet_never_raises_the_emission_share_of_ones_subnets(
        stakes in proptest::collection::vec((0u8..6, 0u16..3, 1u32..2_000), 3..12),
        joiner in 0u8..6,
        target in 0u16..3,
    ) {
        ext().execute_with(|| -> Result<(), TestCaseError> {
            let mut books = Books::new();
            for owner in 0..3u8 {
                pallet_mindos_subnets::LastSubnetCreatedAt::<Runtime>::kill();
                Subnets::create_subnet(
                    RuntimeOrigin::signed(coldkey(owner)),
                    b"share".to_vec().try_into().unwrap(),
                    task(),
                    Hyperparameters { max_neurons: 8, ..params() },
                    pallet_mindos_subnets::Visibility::Public,
                )
                .expect("three subnets");
            }
            // Each hotkey belongs to one coldkey; it registers where the history says and
            // its coldkey stakes on it.
            let owner = |h: u8| coldkey(h % 3);
            for (h, netuid, amount) in &stakes {
                let _ = Neurons::register(
                    RuntimeOrigin::signed(owner(*h)),
                    NetUid(*netuid),
                    hotkey(*h),
                    1_000 * MIND,
                    consent(&owner(*h), &hotkey(*h)),
                );
                let _ = Stake::add_stake(
                    RuntimeOrigin::signed(owner(*h)),
                    hotkey(*h),
                    Balance::from(*amount) * MIND,
                );
            }
            books.advance(35); // every subnet refreshes its permits three times
            let on: Vec<NetUid> = (0..3u16)
                .map(NetUid)
                .filter(|netuid| <Stake as StakeInfo<_, _>>::has_validator_permit(*netuid, &hotkey(joiner)))
                .collect();
            let target = NetUid(target);
            prop_assume!(!on.is_empty());
            prop_assume!(pallet_mindos_neurons::Uids::<Runtime>::get(target, hotkey(joiner)).is_none());
            let mut set = on.clone();
            set.push(target);
            let (before, total_before) = counted_share(&set);

            Neurons::register(
                RuntimeOrigin::signed(owner(joiner)),
                target,
                hotkey(joiner),
                1_000 * MIND,
                None,
            )
            .expect("the owner registers its hotkey on one more subnet");
            books.advance(35);
            let (after, total_after) = counted_share(&set);
            // after / total_after <= before / total_before, without division.
            prop_assert!(
                after * total_before <= before * total_after,
                "the share of {set:?} rose from {before}/{total_before} to {after}/{total_after}"
            );
            Ok(())
        })?;
    }
}
