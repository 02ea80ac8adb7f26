//! Benchmarks of every call and of the enactment hook in their worst case (the weights in
//! `weights.rs` come from here).

// A setup step that fails is a bug in the benchmark itself; stop with its message.
#![allow(clippy::expect_used)]

use super::*;
use crate::pallet::{
    BalanceOf, EnactmentQueue, NextProposalIndex, Parameters, ProposalActionOf, ProposalOf,
    Proposals, TextOf, TitleOf, VoteListOf, VotesOf,
};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{
        fungible::{Inspect, Mutate},
        Get,
    },
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use mindos_primitives::Hyperparameters;
use sp_runtime::traits::{One, Saturating, Zero};

/// An account that can hold the deposits of as many proposals as it may make, each at the
/// deposit of a full table.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    let who: T::AccountId = account(name, index, 0);
    let funds = Pallet::<T>::deposit_with_live(T::MaxActiveProposals::get())
        .saturating_mul(T::MaxProposalsPerAccount::get().saturating_add(1).into())
        .saturating_add(T::Currency::minimum_balance().saturating_mul(100u32.into()));
    T::Currency::set_balance(&who, funds);
    who
}

/// Voting stake comfortably above `MinVotingStake`.
fn stake_amount<T: Config>() -> BalanceOf<T> {
    T::MinVotingStake::get()
        .saturating_mul(10u32.into())
        .max(1_000u32.into())
}

fn longest_title<T: Config>() -> TitleOf<T> {
    BoundedVec::truncate_from(vec![b't'; T::MaxTitleLength::get() as usize])
}

fn longest_text<T: Config>() -> TextOf<T> {
    BoundedVec::truncate_from(vec![b'x'; T::MaxTextLength::get() as usize])
}

/// Hyperparameters inside the governed bounds.
fn subnet_params<T: Config>() -> Hyperparameters<BalanceOf<T>> {
    let bounds = Parameters::<T>::get().hyperparameter_bounds;
    Hyperparameters {
        tempo: bounds.tempo.min,
        max_neurons: bounds.max_neurons.max,
        max_validators: bounds.max_validators.min,
        immunity_period: bounds.immunity_period.min,
        min_validator_stake: bounds.min_validator_stake.min,
        commit_reveal: true,
    }
}

/// Events of block zero are dropped; the benchmarks run from block one on.
fn start<T: Config>() -> BlockNumberFor<T> {
    let now = frame_system::Pallet::<T>::block_number().max(One::one());
    frame_system::Pallet::<T>::set_block_number(now);
    now
}

/// A live subnet with a voting proposal on its hyperparameters; returns both.
fn subnet_proposal<T: Config>() -> (NetUid, ProposalIndex) {
    let netuid = T::BenchmarkHelper::create_subnet().expect("the helper creates a subnet");
    let index = NextProposalIndex::<T>::get();
    Pallet::<T>::propose(
        RawOrigin::Signed(funded::<T>("proposer", 0)).into(),
        ProposalAction::SetParameter(ParameterValue::SubnetHyperparameters(subnet_params::<T>())),
        Scope::Subnet(netuid),
    )
    .expect("a valid subnet proposal");
    (netuid, index)
}

/// Stores `action` as approved and due at `now`, behind a queue filled with later entries
/// (so the queue rewritten is as long as it gets). Returns its index.
fn approved<T: Config>(
    action: ProposalActionOf<T>,
    scope: Scope,
    now: BlockNumberFor<T>,
) -> ProposalIndex {
    let index = NextProposalIndex::<T>::get();
    let proposal: ProposalOf<T> = Proposal {
        proposer: account("proposer", 0, 0),
        action,
        scope,
        deposit: Zero::zero(),
        surcharge: Zero::zero(),
        submitted_at: Zero::zero(),
        voting_ends: now,
        tally: Tally::default(),
        status: ProposalStatus::Approved { enact_at: now },
    };
    Proposals::<T>::insert(index, proposal);
    NextProposalIndex::<T>::put(index.saturating_add(1));
    let later = now.saturating_add(T::VotingPeriod::get());
    let mut queue: Vec<(BlockNumberFor<T>, ProposalIndex)> = vec![(now, index)];
    queue.extend((1..T::MaxActiveProposals::get()).map(|i| (later, index.saturating_add(i))));
    EnactmentQueue::<T>::put(BoundedVec::truncate_from(queue));
    index
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// The largest action, the prime directive amended with the longest title and text, into
    /// a table one short of full (the largest deposit), by a proposer one short of its limit.
    #[benchmark]
    fn propose() {
        start::<T>();
        let who = funded::<T>("proposer", 0);
        let filler = |who: &T::AccountId| {
            Pallet::<T>::propose(
                RawOrigin::Signed(who.clone()).into(),
                ProposalAction::AddDirective {
                    title: longest_title::<T>(),
                    text: longest_text::<T>(),
                },
                Scope::Network,
            )
            .expect("a valid proposal with room for it");
        };
        let own = T::MaxProposalsPerAccount::get().saturating_sub(1);
        for _ in 0..own {
            filler(&who);
        }
        let others = T::MaxActiveProposals::get()
            .saturating_sub(1)
            .saturating_sub(own);
        for i in 0..others {
            filler(&funded::<T>("filler", i));
        }
        let live = T::MaxActiveProposals::get().saturating_sub(1);
        assert_eq!(Proposals::<T>::count(), live);
        let action = ProposalAction::AmendDirective {
            id: PRIME_DIRECTIVE,
            title: longest_title::<T>(),
            text: longest_text::<T>(),
        };

        #[extrinsic_call]
        _(RawOrigin::Signed(who), action, Scope::Network);

        assert_eq!(Proposals::<T>::count(), live.saturating_add(1));
    }

    /// A first vote on a subnet proposal (subnet stake is the dearer stake to read) whose
    /// vote list is full of smaller votes: the caller is looked for in the whole list, the
    /// smallest vote is evicted and the new one goes last.
    #[benchmark]
    fn vote() {
        start::<T>();
        let (netuid, index) = subnet_proposal::<T>();
        let smallest = T::MinVotingStake::get().max(One::one());
        let full: Vec<_> = (0..T::MaxVotesPerProposal::get())
            .map(|i| {
                let voter: T::AccountId = account("recorded-voter", i, 0);
                (
                    voter,
                    Vote {
                        aye: false,
                        weight: smallest,
                    },
                )
            })
            .collect();
        let recorded = T::MaxVotesPerProposal::get();
        VotesOf::<T>::insert(index, VoteListOf::<T>::truncate_from(full));
        Proposals::<T>::mutate(index, |proposal| {
            if let Some(proposal) = proposal {
                proposal.tally = Tally {
                    ayes: Zero::zero(),
                    nays: smallest.saturating_mul(recorded.into()),
                    voters: recorded,
                };
            }
        });
        let voter: T::AccountId = account("voter", 0, 0);
        T::BenchmarkHelper::add_stake(netuid, &voter, stake_amount::<T>())
            .expect("the helper stakes");

        #[extrinsic_call]
        _(RawOrigin::Signed(voter.clone()), index, true);

        let votes = VotesOf::<T>::get(index);
        assert_eq!(votes.len() as u32, recorded);
        assert!(matches!(votes.last(), Some((last, _)) if *last == voter));
    }

    /// A subnet proposal with `v` votes, each voter's stake read again; it passes and is
    /// queued, the votes are cleared and the deposit released.
    #[benchmark]
    fn close(v: Linear<1, { T::MaxVotesPerProposal::get() }>) {
        start::<T>();
        let (netuid, index) = subnet_proposal::<T>();
        for i in 0..v {
            let voter: T::AccountId = account("voter", i, 0);
            T::BenchmarkHelper::add_stake(netuid, &voter, stake_amount::<T>())
                .expect("the helper stakes");
            Pallet::<T>::vote(RawOrigin::Signed(voter).into(), index, true).expect("vote");
        }
        let ends = Proposals::<T>::get(index)
            .expect("the proposal is stored")
            .voting_ends;
        frame_system::Pallet::<T>::set_block_number(ends);
        let closer: T::AccountId = account("closer", 0, 0);

        #[extrinsic_call]
        _(RawOrigin::Signed(closer), index);

        assert!(matches!(
            Proposals::<T>::get(index).map(|p| p.status),
            Some(ProposalStatus::Approved { .. })
        ));
    }

    /// A block with a full queue and nothing due: the queue is read.
    #[benchmark]
    fn on_initialize_base() {
        let now = start::<T>();
        let later = now.saturating_add(T::VotingPeriod::get());
        let queue: Vec<(BlockNumberFor<T>, ProposalIndex)> = (0..T::MaxActiveProposals::get())
            .map(|i| (later, i))
            .collect();
        EnactmentQueue::<T>::put(BoundedVec::truncate_from(queue));

        #[block]
        {
            Pallet::<T>::enact_due(now);
        }

        assert_eq!(
            EnactmentQueue::<T>::get().len() as u32,
            T::MaxActiveProposals::get()
        );
    }

    /// The prime directive amended with the longest title and text.
    #[benchmark]
    fn enact_directive() {
        let now = start::<T>();
        let index = approved::<T>(
            ProposalAction::AmendDirective {
                id: PRIME_DIRECTIVE,
                title: longest_title::<T>(),
                text: longest_text::<T>(),
            },
            Scope::Network,
            now,
        );

        #[block]
        {
            Pallet::<T>::enact_due(now);
        }

        frame_system::Pallet::<T>::assert_last_event(Event::<T>::ProposalEnacted { index }.into());
    }

    /// New hyperparameter bounds: the registry validated and written, the bounds set in the
    /// subnets pallet.
    #[benchmark]
    fn enact_parameter() {
        let now = start::<T>();
        let bounds = Parameters::<T>::get().hyperparameter_bounds;
        let index = approved::<T>(
            ProposalAction::SetParameter(ParameterValue::HyperparameterBounds(bounds)),
            Scope::Network,
            now,
        );

        #[block]
        {
            Pallet::<T>::enact_due(now);
        }

        frame_system::Pallet::<T>::assert_last_event(Event::<T>::ProposalEnacted { index }.into());
    }

    /// A subnet's hyperparameters set through the subnets pallet.
    #[benchmark]
    fn enact_subnet_parameter() {
        let now = start::<T>();
        let netuid = T::BenchmarkHelper::create_subnet().expect("the helper creates a subnet");
        // The subnets pallet checks against its own copy of the bounds: make it the
        // registry's, so the hyperparameters pass there too.
        T::Subnets::set_bounds(Parameters::<T>::get().hyperparameter_bounds)
            .expect("the registry's bounds are valid");
        let index = approved::<T>(
            ProposalAction::SetParameter(ParameterValue::SubnetHyperparameters(
                subnet_params::<T>(),
            )),
            Scope::Subnet(netuid),
            now,
        );

        #[block]
        {
            Pallet::<T>::enact_due(now);
        }

        frame_system::Pallet::<T>::assert_last_event(Event::<T>::ProposalEnacted { index }.into());
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
