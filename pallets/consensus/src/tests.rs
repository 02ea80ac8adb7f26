//! Tests of every call (a success and the failures, state untouched on error), the epoch and
//! its payouts against the real subnets, neurons and stake pallets, and the read side. Every
//! test runs in [`ExtBuilder::build_and_execute`], which checks the `try_state` invariants
//! afterwards.

use crate::{mock::*, pallet::*, Event, MinerPayouts, WeightInfo};
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo};
use mindos_primitives::{NetUid, Perbill, StakeInfo};
use pallet_mindos_subnets::Visibility;
use sp_core::H256;

const SALT: [u8; 32] = [42; 32];
/// Validators V0, V1, V2 are uids 0..3 with stake 1,000, 2,000 and 3,000; miners are uids 3..6.
const VALIDATORS: [u64; 3] = [0, 1, 2];

fn create_subnet() -> NetUid {
    let netuid = pallet_mindos_subnets::NextNetUid::<Test>::get();
    assert_ok!(Subnets::create_subnet(
        RuntimeOrigin::signed(OWNER),
        b"s".to_vec().try_into().unwrap(),
        task(),
        hyperparameters(),
        Visibility::Public,
    ));
    netuid
}

/// Registers neuron `i` (`coldkey(i)`'s `hotkey(i)`) on `netuid`.
fn register(netuid: NetUid, i: u64) {
    assert_ok!(Neurons::register(
        RuntimeOrigin::signed(coldkey(i)),
        netuid,
        hotkey(i),
        1_000,
        consent(i)
    ));
}

/// Subnet 0 with three staked validators and three miners, run to its first epoch (block 9),
/// which gives the permits and starts the subnet's accrual.
fn setup() -> NetUid {
    let netuid = create_subnet();
    for i in 0..6 {
        register(netuid, i);
    }
    for i in VALIDATORS {
        assert_ok!(Stake::add_stake(
            RuntimeOrigin::signed(coldkey(i)),
            hotkey(i),
            1_000 * (i + 1)
        ));
    }
    run_to(9);
    assert_eq!(EpochIndex::<Test>::get(netuid), 1);
    netuid
}

/// Switches commit-reveal at once, as governance does (an owner's change waits for the
/// subnet's next epoch boundary).
fn set_commit_reveal(netuid: NetUid, enabled: bool) {
    let mut params = hyperparameters();
    params.commit_reveal = enabled;
    assert_ok!(Subnets::apply_hyperparameters(netuid, params));
}

fn commit(netuid: NetUid, i: u64, uids: &[u16], weights: &[u16]) {
    let hash = Consensus::commit_hash(&hotkey(i), netuid, uids, weights, &SALT);
    assert_ok!(Consensus::commit_weights(
        RuntimeOrigin::signed(hotkey(i)),
        netuid,
        hash
    ));
}

fn reveal(netuid: NetUid, i: u64, uids: &[u16], weights: &[u16]) -> sp_runtime::DispatchResult {
    Consensus::reveal_weights(
        RuntimeOrigin::signed(hotkey(i)),
        netuid,
        uids.to_vec(),
        weights.to_vec(),
        SALT,
    )
}

/// Every validator commits `weights[i]` now and reveals it after the next epoch boundary.
fn commit_and_reveal_all(netuid: NetUid, weights: &[(&[u16], &[u16])], reveal_at: u64) {
    for (i, (uids, w)) in VALIDATORS.iter().zip(weights) {
        commit(netuid, *i, uids, w);
    }
    run_to(reveal_at);
    for (i, (uids, w)) in VALIDATORS.iter().zip(weights) {
        assert_ok!(reveal(netuid, *i, uids, w));
    }
}

fn last_epoch_event() -> Event<Test> {
    System::events()
        .into_iter()
        .rev()
        .find_map(|r| match r.event {
            RuntimeEvent::Consensus(e @ Event::EpochRun { .. }) => Some(e),
            _ => None,
        })
        .expect("an epoch ran")
}

// ---------------------------------------------------------------- commit_weights

#[test]
fn commit_weights_stores_one_commit_per_epoch() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let hash = H256::repeat_byte(1);
        assert_ok!(Consensus::commit_weights(
            RuntimeOrigin::signed(hotkey(0)),
            netuid,
            hash
        ));
        let stored = Commits::<Test>::get(netuid, hotkey(0)).unwrap();
        assert_eq!((stored.hash, stored.epoch), (hash, 1));
        System::assert_last_event(
            Event::WeightsCommitted {
                netuid,
                hotkey: hotkey(0),
                epoch: 1,
            }
            .into(),
        );
        assert_noop!(
            Consensus::commit_weights(RuntimeOrigin::signed(hotkey(0)), netuid, hash),
            Error::<Test>::AlreadyCommitted
        );
        // The next epoch allows a new commit, which replaces the old.
        run_to(19);
        let newer = H256::repeat_byte(2);
        assert_ok!(Consensus::commit_weights(
            RuntimeOrigin::signed(hotkey(0)),
            netuid,
            newer
        ));
        assert_eq!(Commits::<Test>::get(netuid, hotkey(0)).unwrap().epoch, 2);
    });
}

#[test]
fn commit_weights_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let hash = H256::repeat_byte(1);
        assert_noop!(
            Consensus::commit_weights(RuntimeOrigin::signed(hotkey(0)), NetUid(9), hash),
            Error::<Test>::UnknownSubnet
        );
        assert_noop!(
            Consensus::commit_weights(RuntimeOrigin::signed(999), netuid, hash),
            Error::<Test>::NotRegistered
        );
        // A miner: registered, no permit.
        assert_noop!(
            Consensus::commit_weights(RuntimeOrigin::signed(hotkey(3)), netuid, hash),
            Error::<Test>::NoValidatorPermit
        );
        set_commit_reveal(netuid, false);
        assert_noop!(
            Consensus::commit_weights(RuntimeOrigin::signed(hotkey(0)), netuid, hash),
            Error::<Test>::CommitRevealDisabled
        );
    });
}

// ---------------------------------------------------------------- reveal_weights

#[test]
fn reveal_in_the_next_epoch_sets_weights_that_count_from_the_epoch_after() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        // V2 holds half the stake: alone it reaches kappa (50%).
        commit(netuid, 2, &[3, 4], &[1, 3]);
        run_to(19);
        assert_ok!(reveal(netuid, 2, &[3, 4], &[1, 3]));
        let row = Weights::<Test>::get(netuid, 2).unwrap();
        assert_eq!(row.entries.into_inner(), vec![(3, 1), (4, 3)]);
        assert_eq!(row.set_at, 19);
        assert!(Commits::<Test>::get(netuid, hotkey(2)).is_none());
        System::assert_last_event(
            Event::WeightsRevealed {
                netuid,
                uid: 2,
                count: 2,
            }
            .into(),
        );
        // The epoch at block 19 ran before the reveal: nothing yet.
        assert_eq!(Metrics::<Test>::get(netuid)[4].incentive, Perbill::zero());
        // The epoch at block 29 uses them.
        run_to(29);
        let metrics = Metrics::<Test>::get(netuid);
        assert!(metrics[4].incentive > metrics[3].incentive);
        assert!(metrics[3].incentive > Perbill::zero());
        assert_eq!(metrics[5].incentive, Perbill::zero());
    });
}

#[test]
fn reveal_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        assert_noop!(reveal(netuid, 0, &[3], &[1]), Error::<Test>::NoCommit);
        commit(netuid, 0, &[3], &[1]);
        assert_noop!(reveal(netuid, 0, &[3], &[1]), Error::<Test>::RevealTooEarly);
        run_to(19);
        assert_noop!(reveal(netuid, 0, &[3], &[2]), Error::<Test>::CommitMismatch);
        assert_noop!(
            Consensus::reveal_weights(
                RuntimeOrigin::signed(hotkey(0)),
                netuid,
                vec![3],
                vec![1],
                [0; 32]
            ),
            Error::<Test>::CommitMismatch
        );
        assert_noop!(
            Consensus::reveal_weights(
                RuntimeOrigin::signed(hotkey(0)),
                NetUid(9),
                vec![3],
                vec![1],
                SALT
            ),
            Error::<Test>::UnknownSubnet
        );
        run_to(29);
        assert_noop!(reveal(netuid, 0, &[3], &[1]), Error::<Test>::RevealTooLate);
        assert!(Weights::<Test>::get(netuid, 0).is_none());
    });
}

#[test]
fn a_uid_freed_or_retaken_after_the_commit_is_dropped_from_the_reveal() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        // Validator 1 weights miners 3, 4 and 5; then 4 is deregistered and 5's slot is
        // freed and taken by a newcomer before the reveal.
        commit(netuid, 1, &[3, 4, 5], &[10, 20, 30]);
        run_to(12);
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(coldkey(4)),
            netuid,
            hotkey(4)
        ));
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(coldkey(5)),
            netuid,
            hotkey(5)
        ));
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(coldkey(6)),
            netuid,
            hotkey(6),
            1_000,
            consent(6)
        ));
        run_to(19);
        assert_ok!(reveal(netuid, 1, &[3, 4, 5], &[10, 20, 30]));
        let row = Weights::<Test>::get(netuid, 1).expect("revealed");
        assert_eq!(row.entries.to_vec(), vec![(3, 10)]);
        assert!(Commits::<Test>::get(netuid, hotkey(1)).is_none());
    });
}

#[test]
fn revealed_weights_are_validated() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let bad: [(&[u16], &[u16], Error<Test>); 7] = [
            (&[3, 4], &[1], Error::<Test>::LengthMismatch),
            (&[], &[], Error::<Test>::NoWeights),
            (&[4, 3], &[1, 1], Error::<Test>::UidsNotSorted),
            (&[3, 3], &[1, 1], Error::<Test>::UidsNotSorted),
            (&[3, 9], &[1, 1], Error::<Test>::UnknownUid),
            (&[1, 3], &[1, 1], Error::<Test>::SelfWeight),
            (&[3, 4], &[0, 0], Error::<Test>::AllZeroWeights),
        ];
        let too_many: Vec<u16> = (0..7).collect();
        // Each bad vector is committed in its own epoch and revealed (hash matches) in the next.
        let mut cases: Vec<(Vec<u16>, Vec<u16>, Error<Test>)> = bad
            .into_iter()
            .map(|(u, w, e)| (u.to_vec(), w.to_vec(), e))
            .collect();
        cases.push((too_many, vec![1; 7], Error::<Test>::TooManyWeights));
        let mut block = 9;
        for (uids, weights, error) in cases {
            commit(netuid, 1, &uids, &weights);
            block += 10;
            run_to(block);
            assert_noop!(reveal(netuid, 1, &uids, &weights), error);
        }
        assert!(Weights::<Test>::get(netuid, 1).is_none());
    });
}

// ---------------------------------------------------------------- set_weights

#[test]
fn set_weights_without_commit_reveal_is_rate_limited() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        set_commit_reveal(netuid, false);
        assert_ok!(Consensus::set_weights(
            RuntimeOrigin::signed(hotkey(2)),
            netuid,
            vec![3, 5],
            vec![10, 20]
        ));
        assert_eq!(
            Weights::<Test>::get(netuid, 2)
                .unwrap()
                .entries
                .into_inner(),
            vec![(3, 10), (5, 20)]
        );
        System::assert_last_event(
            Event::WeightsSet {
                netuid,
                uid: 2,
                count: 2,
            }
            .into(),
        );
        assert_noop!(
            Consensus::set_weights(RuntimeOrigin::signed(hotkey(2)), netuid, vec![3], vec![1]),
            Error::<Test>::RateLimited
        );
        run_to(System::block_number() + 5);
        assert_ok!(Consensus::set_weights(
            RuntimeOrigin::signed(hotkey(2)),
            netuid,
            vec![3],
            vec![1]
        ));
    });
}

#[test]
fn set_weights_failures_change_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        assert_noop!(
            Consensus::set_weights(RuntimeOrigin::signed(hotkey(0)), netuid, vec![3], vec![1]),
            Error::<Test>::CommitRevealEnabled
        );
        set_commit_reveal(netuid, false);
        assert_noop!(
            Consensus::set_weights(
                RuntimeOrigin::signed(hotkey(0)),
                NetUid(9),
                vec![3],
                vec![1]
            ),
            Error::<Test>::UnknownSubnet
        );
        assert_noop!(
            Consensus::set_weights(RuntimeOrigin::signed(hotkey(4)), netuid, vec![3], vec![1]),
            Error::<Test>::NoValidatorPermit
        );
        assert_noop!(
            Consensus::set_weights(RuntimeOrigin::signed(hotkey(0)), netuid, vec![0], vec![1]),
            Error::<Test>::SelfWeight
        );
    });
}

// ---------------------------------------------------------------- epochs and emission

#[test]
fn an_epoch_pays_owner_miners_and_validators_exactly_what_accrued() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let honest: (&[u16], &[u16]) = (&[3, 4, 5], &[1, 2, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        // Epoch at 19: no weights counted yet, so no miner pool is paid and the owner's cut
        // carries with the pools (review C1: before, the owner was paid 1,800 for no work).
        let event = last_epoch_event();
        let Event::EpochRun {
            accrued,
            to_owner,
            to_miners,
            to_validators,
            carried,
            ..
        } = event
        else {
            unreachable!()
        };
        assert_eq!(accrued, 10_000, "blocks 10..=19 at 1,000 each");
        assert_eq!(to_owner, 0);
        assert_eq!((to_miners, to_validators), (0, 0));
        assert_eq!(carried, 10_000);

        let issuance = Balances::total_issuance();
        let owner = Balances::free_balance(OWNER);
        let miners: Vec<Balance> = (3..6).map(|i| Balances::free_balance(coldkey(i))).collect();
        run_to(29);
        let Event::EpochRun {
            epoch,
            validators,
            accrued,
            to_owner,
            to_miners,
            to_validators,
            carried,
            ..
        } = last_epoch_event()
        else {
            unreachable!()
        };
        assert_eq!((epoch, validators), (3, 3));
        assert_eq!(accrued, 10_000 + 10_000);
        assert_eq!(to_owner, 3_600, "18%");
        assert_eq!(carried, 0);
        assert_eq!(to_owner + to_miners + to_validators + carried, accrued);
        assert_eq!(Balances::free_balance(OWNER), owner + to_owner);
        // Miner payouts are minted two per block, from the epoch's own block on.
        assert_eq!(PayoutsOf::<Test>::get(netuid).unwrap().entries.len(), 1);
        run_to(30);
        assert!(PayoutsOf::<Test>::get(netuid).is_none());
        assert!(PayoutQueue::<Test>::get().is_empty());
        let earned: Vec<Balance> = (3..6)
            .map(|i| Balances::free_balance(coldkey(i)) - miners[(i - 3) as usize])
            .collect();
        assert_eq!(earned.iter().sum::<Balance>(), to_miners);
        // By weight 1:2:1; largest-remainder rounding gives a leftover unit to one of the
        // equal shares.
        assert!(
            earned[1] > earned[0] + earned[0] / 2,
            "by weight 1:2:1: {earned:?}"
        );
        assert!(
            earned[0].abs_diff(earned[2]) <= 1,
            "equal weights: {earned:?}"
        );
        // Validators: the take went to their owners at once; the rest waits for claims.
        let mut claimed = 0;
        for i in VALIDATORS {
            let before = Balances::free_balance(coldkey(i));
            let _ = Stake::claim_rewards(RuntimeOrigin::signed(coldkey(i)), hotkey(i));
            claimed += Balances::free_balance(coldkey(i)) - before;
        }
        let minted = Balances::total_issuance() - issuance;
        assert!(minted <= accrued, "never more than accrued");
        // Rounding keeps back at most a unit per nominator and per reward.
        assert!(accrued - minted <= 6, "accrued {accrued}, minted {minted}");
        assert!(claimed > 0);
    });
}

#[test]
fn a_minority_validator_cannot_give_its_miner_consensus_or_incentive() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        // V0 (1/6 of the stake) puts everything on uid 5; V1 and V2 weight uids 3 and 4.
        let colluding: (&[u16], &[u16]) = (&[5], &[1]);
        let honest: (&[u16], &[u16]) = (&[3, 4], &[1, 1]);
        commit_and_reveal_all(netuid, &[colluding, honest, honest], 19);
        run_to(31);
        let metrics = Metrics::<Test>::get(netuid);
        assert_eq!(metrics[5].consensus, Perbill::zero());
        assert_eq!(metrics[5].incentive, Perbill::zero());
        assert_eq!(metrics[3].incentive, metrics[4].incentive);
        // Its weights were all clipped away; the honest validators' survived.
        assert_eq!(metrics[0].validator_trust, Perbill::zero());
        assert!(metrics[1].validator_trust > Perbill::from_percent(99));
        assert_eq!(metrics[0].dividends, Perbill::zero());
        assert!(
            pallet_mindos_neurons::Emission::<Test>::get(netuid)[5] == 0,
            "pruning sees the colluder's miner earned nothing"
        );
    });
}

/// A new subnet (its boundaries at 8, 18, …) with validator 6 (3,000 staked) and miner 7.
fn subnet_with_a_validator_of_3000() -> NetUid {
    let netuid = create_subnet();
    for i in 6..8 {
        register(netuid, i);
    }
    assert_ok!(Stake::add_stake(
        RuntimeOrigin::signed(coldkey(6)),
        hotkey(6),
        3_000
    ));
    netuid
}

/// What `netuid` has accrued since its last epoch (zero before its first).
fn pending(netuid: NetUid) -> Balance {
    Accrual::<Test>::get()
        .iter()
        .find(|x| x.netuid == netuid)
        .map_or(0, |x| x.pending)
}

#[test]
fn accrual_follows_validator_stake_across_subnets() {
    ExtBuilder::default().build_and_execute(|| {
        let a = setup();
        // Subnet 1's validator (3,000 stake against subnet 0's 6,000).
        let b = subnet_with_a_validator_of_3000();
        run_to(18); // subnet 1's first epoch: permits, stake snapshot, accrual entry
        assert_eq!(pending(b), 0);
        run_to(20);
        let a_at_20 = pending(a);
        run_to(27);
        let stakes = <Stake as StakeInfo<_, _>>::counted_stakes();
        assert_eq!(stakes, vec![(a, 6_000), (b, 3_000)]);
        assert_eq!(
            pending(a) - a_at_20,
            666 * 7,
            "blocks 21..=27: 1,000 × 6/9, rounded down"
        );
        assert_eq!(
            pending(b),
            333 * 9,
            "blocks 19..=27: 1,000 × 3/9, rounded down"
        );
    });
}

#[test]
fn an_epoch_merges_an_unpaid_backlog_instead_of_minting_it_uncharged() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let honest: (&[u16], &[u16]) = (&[3, 4, 5], &[1, 2, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        run_to(28);
        // A backlog from the previous epoch, as a tempo shorter than its pages leaves one.
        PayoutsOf::<Test>::insert(
            netuid,
            MinerPayouts {
                epoch_block: 19,
                entries: frame_support::BoundedVec::truncate_from(vec![
                    (3, 100),
                    (4, 200),
                    (5, 300),
                ]),
            },
        );
        PayoutQueue::<Test>::put(frame_support::BoundedVec::truncate_from(vec![netuid]));
        let before: Vec<Balance> = (3..6).map(|i| Balances::free_balance(coldkey(i))).collect();
        System::reset_events();
        run_to(29);
        let Event::EpochRun { to_miners, .. } = last_epoch_event() else {
            unreachable!()
        };
        // The epoch block mints one charged page (two payouts), not the backlog on top.
        let minted_now: u32 = System::events()
            .into_iter()
            .filter_map(|r| match r.event {
                RuntimeEvent::Consensus(Event::MinersPaid { paid, .. }) => Some(paid),
                _ => None,
            })
            .sum();
        assert_eq!(minted_now, 2, "the backlog was minted inside the epoch");
        let queued = PayoutsOf::<Test>::get(netuid).unwrap().entries;
        assert!(
            queued.windows(2).all(|w| w[0].0 < w[1].0),
            "one entry per uid"
        );
        run_to(31);
        let earned: Balance = (3..6)
            .map(|i| Balances::free_balance(coldkey(i)) - before[(i - 3) as usize])
            .sum();
        assert_eq!(
            earned,
            to_miners + 600,
            "this epoch's pool and the whole backlog"
        );
    });
}

#[test]
fn a_validator_that_stopped_setting_weights_stops_counting_after_the_activity_cutoff() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        set_commit_reveal(netuid, false);
        let set = |i: u64, uid: u16| {
            assert_ok!(Consensus::set_weights(
                RuntimeOrigin::signed(hotkey(i)),
                netuid,
                vec![uid],
                vec![1]
            ));
        };
        // V2 (half the stake: exactly kappa) backs miner 5 once, at block 10, and leaves;
        // V0 and V1 back miner 3 every epoch.
        run_to(10);
        set(2, 5);
        for block in [10, 20, 30, 40, 50] {
            run_to(block);
            set(0, 3);
            set(1, 3);
        }
        run_to(29);
        let metrics = Metrics::<Test>::get(netuid);
        assert!(metrics[5].incentive > Perbill::zero(), "V2 still active");
        // The cutoff is 4 epochs of 10 blocks: at block 59 its row (block 10) is too old.
        run_to(59);
        let metrics = Metrics::<Test>::get(netuid);
        assert_eq!(
            metrics[5].incentive,
            Perbill::zero(),
            "a stale row kept miner 5 paid"
        );
        assert_eq!(metrics[3].incentive, Perbill::one());
        assert_eq!(metrics[2].validator_trust, Perbill::zero());
        assert_eq!(metrics[2].dividends, Perbill::zero());
    });
}

#[test]
fn a_validator_joining_another_subnet_does_not_raise_their_emission_share() {
    ExtBuilder::default().build_and_execute(|| {
        // Subnet a: validators of 1,000, 2,000 and 3,000 (hotkeys 0..3); subnet b: an
        // unrelated validator of 3,000. Boundaries: a at 9, 19, …; b at 8, 18, …
        let a = setup();
        // Subnet b.
        subnet_with_a_validator_of_3000();
        // Emission of one block without epochs (1,000 per block) to the given subnets.
        let one_block = |subnets: &[NetUid], from: u64| {
            run_to(from);
            let before: Balance = subnets.iter().map(|n| pending(*n)).sum();
            run_to(from + 1);
            subnets.iter().map(|n| pending(*n)).sum::<Balance>() - before
        };
        assert_eq!(one_block(&[a], 20), 666, "6,000 of 9,000 counted stake");

        // The largest validator of a creates subnet c (boundaries 7, 17, …) and validates
        // there too, with a miner of its own.
        let c = create_subnet();
        for i in [2, 7] {
            register(c, i);
        }
        run_to(40); // every subnet refreshed twice since
        assert!(<Stake as StakeInfo<_, _>>::has_validator_permit(
            c,
            &hotkey(2)
        ));
        // Its stake now counts half on a and half on c: together still 6,000 of 9,000.
        // (Before this fix each subnet counted it whole: 9,000 of 12,000 = 750.)
        assert!(
            one_block(&[a, c], 41) <= 666,
            "joining c raised a and c's share"
        );
        let counted: Balance = <Stake as StakeInfo<_, _>>::counted_stakes()
            .iter()
            .map(|(_, stake)| stake)
            .sum();
        assert!(counted <= pallet_mindos_stake::Pallet::<Test>::total_stake());
    });
}

#[test]
fn governed_emission_changes_what_accrues() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        BlockEmission::set(0);
        run_to(19);
        let Event::EpochRun { accrued, .. } = last_epoch_event() else {
            unreachable!()
        };
        assert_eq!(accrued, 0);
        BlockEmission::set(50);
        run_to(29);
        let Event::EpochRun { accrued, .. } = last_epoch_event() else {
            unreachable!()
        };
        assert_eq!(accrued, 500);
        let _ = netuid;
    });
}

#[test]
fn weights_and_payouts_of_a_replaced_neuron_do_not_pass_to_its_successor() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let on_five: (&[u16], &[u16]) = (&[4, 5], &[1, 1]);
        commit_and_reveal_all(netuid, &[on_five, on_five, on_five], 19);
        PayoutsPerBlock::set(0);
        run_to(29);
        assert_eq!(PayoutsOf::<Test>::get(netuid).unwrap().entries.len(), 2);
        PayoutsPerBlock::set(2);
        // Miner uid 5 leaves before its payout is minted; a newcomer takes the slot.
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(coldkey(5)),
            netuid,
            hotkey(5)
        ));
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(coldkey(8)),
            netuid,
            hotkey(8),
            1_000,
            consent(8)
        ));
        let newcomer = Balances::free_balance(coldkey(8));
        run_to(31);
        assert_eq!(
            Balances::free_balance(coldkey(8)),
            newcomer,
            "not the newcomer's payout"
        );
        assert!(System::events().iter().any(|r| matches!(
            r.event,
            RuntimeEvent::Consensus(Event::MinersPaid { forfeited, .. }) if forfeited > 0
        )));
        // The next epoch ignores the validators' old weights on uid 5.
        run_to(39);
        let metrics = Metrics::<Test>::get(netuid);
        assert_eq!(metrics[5].consensus, Perbill::zero());
        assert!(metrics[4].consensus > Perbill::zero());
    });
}

// ---------------------------------------------------------------- read side

#[test]
fn metagraph_and_contributions_show_the_last_epochs() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let honest: (&[u16], &[u16]) = (&[3, 4], &[1, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        run_to(59);
        let mut rows = Neurons::metagraph(netuid, 0, u16::MAX).unwrap();
        Consensus::decorate_metagraph(netuid, &mut rows);
        assert!(rows[3].incentive > Perbill::zero());
        assert!(rows[3].reputation > Perbill::zero());
        assert!(rows[0].dividends > Perbill::zero());
        assert_eq!(rows[0].last_update, Some(19));
        assert_eq!(rows[3].last_update, None);
        assert!(rows[3].emission > 0);
        // History keeps the last four epochs (depth 4): 3, 4, 5 and 6.
        let contributions = Consensus::contributions(netuid, 3, rows[3].registered_at);
        let epochs: Vec<u64> = contributions.iter().map(|c| c.epoch).collect();
        assert_eq!(epochs, vec![3, 4, 5, 6]);
        assert!(contributions.iter().all(|c| c.emission > 0));
        // Reputation is an average: it grows while the miner keeps consensus.
    });
}

#[test]
fn dissolution_clears_everything_of_the_subnet() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let honest: (&[u16], &[u16]) = (&[3, 4], &[1, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        commit(netuid, 0, &[3], &[1]);
        run_to(29);
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(OWNER),
            netuid
        ));
        assert_eq!(Weights::<Test>::iter_prefix(netuid).count(), 0);
        assert_eq!(Bonds::<Test>::iter_prefix(netuid).count(), 0);
        assert_eq!(Commits::<Test>::iter_prefix(netuid).count(), 0);
        assert_eq!(History::<Test>::iter_prefix(netuid).count(), 0);
        assert!(Metrics::<Test>::get(netuid).is_empty());
        assert!(Accrual::<Test>::get().is_empty());
        assert!(PayoutsOf::<Test>::get(netuid).is_none());
        assert!(PayoutQueue::<Test>::get().is_empty());
        run_to(40);
    });
}

// ---------------------------------------------------------------- weights

#[test]
fn calls_and_hooks_are_charged_their_benchmarked_weights() {
    ExtBuilder::default().build_and_execute(|| {
        let weight = |call: crate::Call<Test>| call.get_dispatch_info().call_weight;
        assert_eq!(
            weight(crate::Call::commit_weights {
                netuid: NetUid(0),
                commit_hash: H256::zero()
            }),
            <() as WeightInfo>::commit_weights()
        );
        assert_eq!(
            weight(crate::Call::reveal_weights {
                netuid: NetUid(0),
                uids: vec![1, 2, 3],
                weights: vec![1, 1, 1],
                salt: SALT
            }),
            <() as WeightInfo>::reveal_weights(3)
        );
        assert_eq!(
            weight(crate::Call::set_weights {
                netuid: NetUid(0),
                uids: vec![1; 5],
                weights: vec![1; 5]
            }),
            <() as WeightInfo>::set_weights(5)
        );
        let netuid = setup();
        // A quiet block: accrual over one subnet plus an empty payout page.
        let quiet = Consensus::on_block(10);
        assert_eq!(
            quiet,
            <() as WeightInfo>::accrue(1).saturating_add(<() as WeightInfo>::pay_miners(0))
        );
        // An epoch block is charged the epoch for its size: 6 uids, 3 validators.
        let epoch = Consensus::on_block(19);
        assert!(epoch.all_gte(<() as WeightInfo>::epoch(6, 3, 0)));
        let _ = netuid;
    });
}

// ---------------------------------------------------------------- copying does not pay

#[test]
fn a_validator_copying_the_public_consensus_earns_less_per_stake_than_honest_ones() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        // Miners' true quality rotates every epoch; V1 and V2 measure it, V0 (the copier)
        // can only see the consensus the chain published, since commitments hide weights.
        let quality = |epoch: u64| -> Vec<u16> {
            let mut q = vec![1u16, 2, 6];
            q.rotate_left((epoch % 3) as usize);
            q
        };
        let uids: [u16; 3] = [3, 4, 5];
        let mut pending: Vec<Option<Vec<u16>>> = vec![None, None, None];
        let mut dividends = [0u64; 3];
        for round in 0..9u64 {
            let block = 10 + 10 * round;
            run_to(block);
            let published = Metrics::<Test>::get(netuid);
            for i in VALIDATORS {
                if let Some(weights) = pending[i as usize].take() {
                    assert_ok!(reveal(netuid, i, &uids, &weights));
                }
                let weights = if i == 0 {
                    let copied: Vec<u16> = uids
                        .iter()
                        .map(|u| (published[*u as usize].consensus.deconstruct() / 1_000) as u16)
                        .collect();
                    if copied.iter().all(|w| *w == 0) {
                        vec![1, 1, 1]
                    } else {
                        copied
                    }
                } else {
                    quality(round)
                };
                commit(netuid, i, &uids, &weights);
                pending[i as usize] = Some(weights);
            }
            if round >= 3 {
                let m = Metrics::<Test>::get(netuid);
                for i in VALIDATORS {
                    dividends[i as usize] += u64::from(m[i as usize].dividends.deconstruct());
                }
            }
        }
        let per_stake = |i: usize| dividends[i] as f64 / (1_000.0 * (i as f64 + 1.0));
        // Measured: the copier gets about 0.82 of an honest validator's dividends per unit of
        // stake; a validator submitting the honest weights gets the same as the others to
        // within rounding (1 part in 10⁸), so the margin below is the copying's doing.
        let honest = per_stake(1).min(per_stake(2));
        assert!(
            per_stake(0) < 0.95 * honest,
            "copier {} vs honest {} and {} (dividend parts per unit of stake)",
            per_stake(0),
            per_stake(1),
            per_stake(2)
        );
    });
}

// ---------------------------------------------------------------- transaction priority

#[test]
fn permitted_validators_weight_transactions_go_first_and_nobody_else_can_buy_that() {
    use crate::{PermittedWeightsFirst, PERMITTED_WEIGHTS_PRIORITY};
    use sp_runtime::{
        traits::DispatchTransaction, transaction_validity::TransactionSource::External,
    };
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let priority = |who: u64, call: RuntimeCall| {
            let info = call.get_dispatch_info();
            PermittedWeightsFirst::<Test>::new()
                .validate_only(RuntimeOrigin::signed(who), &call, &info, 0, External, 0)
                .map(|(valid, _, _)| valid.priority)
                .unwrap()
        };
        let commit = RuntimeCall::Consensus(crate::Call::commit_weights {
            netuid,
            commit_hash: H256::repeat_byte(1),
        });
        let reveal = RuntimeCall::Consensus(crate::Call::reveal_weights {
            netuid,
            uids: vec![3],
            weights: vec![1],
            salt: SALT,
        });
        let set = RuntimeCall::Consensus(crate::Call::set_weights {
            netuid,
            uids: vec![3],
            weights: vec![1],
        });
        for call in [commit.clone(), reveal, set] {
            assert_eq!(priority(hotkey(0), call), PERMITTED_WEIGHTS_PRIORITY);
        }
        // A miner's hotkey (no permit), a permit holder on another subnet, another call.
        assert_eq!(priority(hotkey(4), commit.clone()), 0);
        let elsewhere = RuntimeCall::Consensus(crate::Call::commit_weights {
            netuid: NetUid(9),
            commit_hash: H256::repeat_byte(1),
        });
        assert_eq!(priority(hotkey(0), elsewhere), 0);
        let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
            dest: 1,
            value: 1,
        });
        assert_eq!(priority(hotkey(0), transfer), 0);
    });
}

// ---------------------------------------------------------------- sentinels

#[test]
fn a_successful_reveal_sends_its_salt_hash_to_the_sink_and_a_failed_one_nothing() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        commit(netuid, 0, &[3], &[1]);
        run_to(19);
        assert_noop!(reveal(netuid, 0, &[3], &[2]), Error::<Test>::CommitMismatch);
        assert!(RevealedSalts::get().is_empty());
        assert_ok!(reveal(netuid, 0, &[3], &[1]));
        assert_eq!(
            RevealedSalts::get(),
            vec![(netuid, 2, sp_io::hashing::blake2_256(&SALT))]
        );
    });
}

#[test]
fn a_quarantined_miner_earns_nothing_in_an_epoch_where_it_otherwise_would() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let honest: (&[u16], &[u16]) = (&[3, 4, 5], &[1, 2, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        QuarantinedUids::set(vec![(netuid, 4)]);
        let before: Vec<Balance> = (3..6).map(|i| Balances::free_balance(coldkey(i))).collect();
        run_to(30);
        let Event::EpochRun {
            accrued,
            to_owner,
            to_miners,
            to_validators,
            carried,
            ..
        } = last_epoch_event()
        else {
            unreachable!()
        };
        assert_eq!(to_owner + to_miners + to_validators + carried, accrued);
        assert!(to_miners > 0, "the other miners are paid");
        let metrics = Metrics::<Test>::get(netuid);
        assert_eq!(metrics[4].consensus, Perbill::zero());
        assert_eq!(metrics[4].incentive, Perbill::zero());
        assert!(metrics[3].incentive > Perbill::zero());
        let earned: Vec<Balance> = (3..6)
            .map(|i| Balances::free_balance(coldkey(i)) - before[(i - 3) as usize])
            .collect();
        assert_eq!(earned[1], 0, "the quarantined miner: {earned:?}");
        assert_eq!(earned[0] + earned[2], to_miners);
        assert_eq!(pallet_mindos_neurons::Emission::<Test>::get(netuid)[4], 0);
        // Released, it earns again from the next epoch (the validators' weights on it stayed).
        QuarantinedUids::set(vec![]);
        run_to(39);
        assert!(Metrics::<Test>::get(netuid)[4].incentive > Perbill::zero());
    });
}

#[test]
fn a_quarantined_validator_gets_no_dividends() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let honest: (&[u16], &[u16]) = (&[3, 4, 5], &[1, 2, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        run_to(29);
        assert!(Metrics::<Test>::get(netuid)[2].dividends > Perbill::zero());
        QuarantinedUids::set(vec![(netuid, 2)]);
        run_to(39);
        let metrics = Metrics::<Test>::get(netuid);
        assert_eq!(metrics[2].dividends, Perbill::zero());
        assert!(metrics[0].dividends > Perbill::zero());
        assert!(
            metrics[4].incentive > Perbill::zero(),
            "the others' weights count"
        );
        assert!(
            Bonds::<Test>::get(netuid, 2).is_none(),
            "its bonds are not carried"
        );
    });
}

#[test]
fn reputation_info_reads_the_last_epoch_and_ignores_a_predecessor() {
    use mindos_primitives::ReputationInfo;
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let honest: (&[u16], &[u16]) = (&[3, 4, 5], &[1, 2, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        run_to(29);
        let stored = Metrics::<Test>::get(netuid)[4].reputation;
        assert!(stored > Perbill::zero());
        assert_eq!(Consensus::reputation(netuid, 4), stored);
        assert_eq!(Consensus::reputation(netuid, 60), Perbill::zero());
        assert_eq!(Consensus::reputation(NetUid(9), 4), Perbill::zero());
        // Read together (one decode of the subnet's records), each is what it is alone.
        let uids = [5, 60, 4, 0, 3];
        let alone = |netuid| -> Vec<Perbill> {
            uids.iter()
                .map(|u| Consensus::reputation(netuid, *u))
                .collect()
        };
        assert_eq!(Consensus::reputations(netuid, &uids), alone(netuid));
        assert_eq!(Consensus::reputations(NetUid(9), &uids), alone(NetUid(9)));
        // A newcomer in uid 4's slot has no reputation of its own yet.
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(coldkey(4)),
            netuid,
            hotkey(4)
        ));
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(coldkey(8)),
            netuid,
            hotkey(8),
            1_000,
            consent(8)
        ));
        assert_eq!(Consensus::reputation(netuid, 4), Perbill::zero());
        assert_eq!(Consensus::reputations(netuid, &uids), alone(netuid));
        assert_eq!(Consensus::reputations(netuid, &[4])[0], Perbill::zero());
    });
}

#[test]
fn a_reputation_cut_halves_the_hotkeys_last_epoch_reputation() {
    use mindos_primitives::{ReputationInfo, ReputationSink};
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        let honest: (&[u16], &[u16]) = (&[3, 4, 5], &[1, 2, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        run_to(29);
        let before = Metrics::<Test>::get(netuid);
        let reputation = before[4].reputation;
        assert!(reputation > Perbill::zero());
        Consensus::cut(netuid, &hotkey(4), Perbill::from_percent(50));
        let after = Metrics::<Test>::get(netuid);
        let halved = Perbill::from_parts(reputation.deconstruct() / 2);
        assert_eq!(after[4].reputation, halved);
        assert_eq!(Consensus::reputation(netuid, 4), halved);
        // Only its reputation changed.
        let mut expected = before.clone();
        expected[4].reputation = halved;
        assert_eq!(after, expected);
        // Twice: a quarter.
        Consensus::cut(netuid, &hotkey(4), Perbill::from_percent(50));
        assert_eq!(
            Consensus::reputation(netuid, 4),
            Perbill::from_parts(halved.deconstruct() / 2)
        );
    });
}

#[test]
fn a_validator_earns_reputation_by_agreeing_with_consensus_and_can_have_it_cut() {
    use mindos_primitives::{ReputationInfo, ReputationSink};
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        // Validators (uids 0, 1, 2; stakes 1k, 2k, 3k) weigh only miners, so they receive no
        // consensus. Validators 1 and 2 agree; validator 0 puts everything on uid 5, of which
        // consensus keeps a quarter (its validator trust is 25%, theirs 100%).
        let honest: (&[u16], &[u16]) = (&[3, 4, 5], &[1, 2, 1]);
        let lone: (&[u16], &[u16]) = (&[5], &[1]);
        commit_and_reveal_all(netuid, &[lone, honest, honest], 19);
        run_to(29);
        let metrics = Metrics::<Test>::get(netuid);
        assert!(metrics[..3].iter().all(|m| m.consensus.is_zero()));
        assert_eq!(metrics[1].validator_trust, Perbill::one());
        assert_eq!(metrics[0].validator_trust, Perbill::from_percent(25));
        let reputation = |uid| Consensus::reputation(netuid, uid);
        assert!(reputation(1) > Perbill::zero());
        assert_eq!(reputation(1), reputation(2));
        assert!(reputation(0) > Perbill::zero());
        // A quarter of the agreeing validators' reputation, within a part of rounding.
        assert!(
            reputation(0)
                .deconstruct()
                .abs_diff(reputation(1).deconstruct() / 4)
                <= 1,
            "{:?} vs {:?}",
            reputation(0),
            reputation(1)
        );
        // A miner's reputation is still the average of its consensus.
        assert_eq!(metrics[4].consensus, Perbill::from_percent(50));
        assert!(reputation(4) > Perbill::zero());

        // An overturned guilty vote halves a validator's reputation (the sentinels' cut).
        let earned = reputation(1);
        Consensus::cut(netuid, &hotkey(1), Perbill::from_percent(50));
        assert_eq!(reputation(1), Perbill::from_parts(earned.deconstruct() / 2));
    });
}

#[test]
fn a_reputation_cut_of_an_unknown_hotkey_or_subnet_changes_nothing() {
    use mindos_primitives::ReputationSink;
    ExtBuilder::default().build_and_execute(|| {
        let netuid = setup();
        // No reputation earned yet: nothing changes.
        let initial: Vec<_> = Metrics::<Test>::iter().collect();
        Consensus::cut(netuid, &hotkey(4), Perbill::from_percent(50));
        assert_eq!(Metrics::<Test>::iter().collect::<Vec<_>>(), initial);
        let honest: (&[u16], &[u16]) = (&[3, 4, 5], &[1, 2, 1]);
        commit_and_reveal_all(netuid, &[honest, honest, honest], 19);
        run_to(29);
        let before = Metrics::<Test>::get(netuid);
        // A hotkey never registered, a subnet that does not exist.
        Consensus::cut(netuid, &hotkey(60), Perbill::from_percent(50));
        Consensus::cut(NetUid(9), &hotkey(4), Perbill::from_percent(50));
        assert!(!Metrics::<Test>::contains_key(NetUid(9)));
        assert_eq!(Metrics::<Test>::get(netuid), before);
        // A newcomer in uid 4's slot: the row is its predecessor's, left for the next epoch.
        assert_ok!(Neurons::deregister(
            RuntimeOrigin::signed(coldkey(4)),
            netuid,
            hotkey(4)
        ));
        assert_ok!(Neurons::register(
            RuntimeOrigin::signed(coldkey(8)),
            netuid,
            hotkey(8),
            1_000,
            consent(8)
        ));
        Consensus::cut(netuid, &hotkey(8), Perbill::from_percent(50));
        assert_eq!(Metrics::<Test>::get(netuid), before);
    });
}

#[test]
fn a_reputation_cut_is_charged_its_weight() {
    use mindos_primitives::ReputationSink;
    assert_eq!(
        <Consensus as ReputationSink<AccountId>>::cut_weight(),
        <() as WeightInfo>::cut_reputation()
    );
    assert!(<Consensus as ReputationSink<AccountId>>::cut_weight().ref_time() > 0);
}
