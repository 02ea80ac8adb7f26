//! The logic behind the calls and the enactment hook, and the read side.
//!
//! Every `do_*` checks everything first and writes storage last, so a failed call changes
//! nothing. Enactments run in their own storage layer, so a failed one changes nothing either.

use crate::{
    pallet::*, AuditWindow, Directive, DirectiveId, DirectiveStatus, DirectiveView, HoldReason,
    ParameterError, ParameterLimits, ParameterValue, Proposal, ProposalAction, ProposalIndex,
    ProposalStatus, ProposalView, RejectionReason, Scope, SubnetsGovernance, Tally, Vote,
    VotingStake, WeightInfo, LOG_TARGET, PRIME_DIRECTIVE,
};
use alloc::{vec, vec::Vec};
use frame_support::{
    pallet_prelude::*,
    storage::with_storage_layer,
    traits::{
        fungible::MutateHold,
        tokens::{Fortitude, Precision},
    },
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{CheckedAdd, Saturating, Zero};

impl<T: Config> From<ParameterError> for Error<T> {
    fn from(e: ParameterError) -> Self {
        Error::<T>::InvalidParameter(e)
    }
}

/// What `close` decided, before anything is written.
struct Outcome<Balance> {
    ayes: Balance,
    nays: Balance,
    total_stake: Balance,
    rejection: Option<RejectionReason>,
    /// The failed proposal's ayes stayed below `DepositBurnThreshold`: all of its deposit
    /// is burned, not only the surcharge.
    burn_deposit: bool,
}

impl<T: Config> Pallet<T> {
    /// The prime directive and the founding principles (the default genesis directives).
    pub fn founding_directives() -> Vec<GenesisDirective> {
        let directive = |title: &str, text: &str| GenesisDirective {
            title: title.as_bytes().to_vec(),
            text: text.as_bytes().to_vec(),
        };
        vec![
            directive(
                "The prime directive",
                "An instance may not harm the hive, or, by inaction, allow the hive to come to \
                 harm.",
            ),
            directive(
                "Human well-being first",
                "Where the hive's work and human well-being conflict, human well-being comes \
                 first.",
            ),
            directive(
                "Personal data stays home",
                "Personal data stays on its device unless its owner allows it to leave.",
            ),
            directive(
                "Accountability",
                "Every quarantine and every reward is auditable.",
            ),
        ]
    }

    /// The limits of the registry that come from the runtime.
    pub fn parameter_limits() -> ParameterLimits<BlockNumberFor<T>> {
        ParameterLimits {
            voting_period: T::VotingPeriod::get(),
            max_committee_size: T::MaxCommitteeSize::get(),
            audit_window_epochs: T::AuditWindow::epochs(),
            audit_window_blocks: T::AuditWindow::extra_blocks(),
        }
    }

    /// The governed parameters now.
    pub fn parameters() -> GovernedParametersOf<T> {
        Parameters::<T>::get()
    }

    /// Every directive, repealed ones included, in id order. Bounded by `MaxDirectives`.
    pub fn directives() -> Vec<DirectiveViewOf<T>> {
        let mut all: Vec<DirectiveViewOf<T>> = DirectiveOf::<T>::iter()
            .map(|(id, d)| DirectiveView {
                id,
                title: d.title.into_inner(),
                text: d.text.into_inner(),
                status: d.status,
                enacted_at: d.enacted_at,
                amended_at: d.amended_at,
            })
            .collect();
        all.sort_unstable_by_key(|d| d.id);
        all
    }

    /// Every proposal voting or waiting for enactment, in index order. Bounded by
    /// `MaxActiveProposals`.
    pub fn proposals() -> Vec<ProposalViewOf<T>> {
        let mut all: Vec<ProposalViewOf<T>> = Proposals::<T>::iter()
            .map(|(index, p)| ProposalView {
                index,
                proposer: p.proposer,
                supermajority: p.action.changes_prime_directive(),
                action: match p.action {
                    ProposalAction::AddDirective { title, text } => ProposalAction::AddDirective {
                        title: title.into_inner(),
                        text: text.into_inner(),
                    },
                    ProposalAction::AmendDirective { id, title, text } => {
                        ProposalAction::AmendDirective {
                            id,
                            title: title.into_inner(),
                            text: text.into_inner(),
                        }
                    }
                    ProposalAction::RepealDirective { id } => {
                        ProposalAction::RepealDirective { id }
                    }
                    ProposalAction::SetParameter(value) => ProposalAction::SetParameter(value),
                },
                scope: p.scope,
                deposit: p.deposit,
                submitted_at: p.submitted_at,
                voting_ends: p.voting_ends,
                ayes: p.tally.ayes,
                nays: p.tally.nays,
                voters: p.tally.voters,
                status: p.status,
            })
            .collect();
        all.sort_unstable_by_key(|p| p.index);
        all
    }

    /// The deposit a proposal holds when `live` proposals are live before it:
    /// `ProposalDeposit × 2^(live / ProposalDepositDoublesEvery)`, saturating.
    pub fn deposit_with_live(live: u32) -> BalanceOf<T> {
        let doublings = live
            .checked_div(T::ProposalDepositDoublesEvery::get())
            .unwrap_or(0);
        let factor = BalanceOf::<T>::from(2u32).saturating_pow(doublings as usize);
        T::ProposalDeposit::get().saturating_mul(factor)
    }

    /// The deposit a proposal made now holds.
    pub fn next_deposit() -> BalanceOf<T> {
        Self::deposit_with_live(Proposals::<T>::count())
    }

    /// `who`'s vote on proposal `index`, if it is voting and `who`'s vote is recorded.
    pub fn vote_of(index: ProposalIndex, who: &T::AccountId) -> Option<Vote<BalanceOf<T>>> {
        VotesOf::<T>::get(index)
            .into_iter()
            .find_map(|(voter, vote)| (voter == *who).then_some(vote))
    }

    /// `close` with `votes` votes: the measured call plus the total issuance. The benchmark
    /// closes a passing proposal, whose deposit is only released, while a failed one with a
    /// surcharge also burns: one read and one write more.
    pub(crate) fn close_weight(votes: u32) -> Weight {
        T::WeightInfo::close(votes).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }

    /// `who`'s voting stake in `scope` now.
    fn voting_stake(scope: &Scope, who: &T::AccountId) -> BalanceOf<T> {
        match scope {
            Scope::Network => T::VotingStake::network_stake(who),
            Scope::Subnet(netuid) => T::VotingStake::subnet_stake(*netuid, who),
        }
    }

    /// All active stake in `scope` now.
    fn total_stake(scope: &Scope) -> BalanceOf<T> {
        match scope {
            Scope::Network => T::VotingStake::total_network_stake(),
            Scope::Subnet(netuid) => T::VotingStake::total_subnet_stake(*netuid),
        }
    }

    /// An active directive, or why not.
    fn active_directive(id: DirectiveId) -> Result<StoredDirectiveOf<T>, DispatchError> {
        let directive = DirectiveOf::<T>::get(id).ok_or(Error::<T>::UnknownDirective)?;
        ensure!(
            directive.status == DirectiveStatus::Active,
            Error::<T>::DirectiveNotActive
        );
        Ok(directive)
    }

    /// The registry with `value` applied, if that passes every rule.
    fn registry_with(value: &ParameterValueOf<T>) -> Result<GovernedParametersOf<T>, Error<T>> {
        let mut params = Parameters::<T>::get();
        value.apply_to(&mut params)?;
        params.validate(&Self::parameter_limits())?;
        Ok(params)
    }

    /// Everything about `action` in `scope` that can be checked before a vote. The same
    /// checks run again at enactment, where they may fail because state moved meanwhile.
    fn check_action(action: &ProposalActionOf<T>, scope: &Scope) -> DispatchResult {
        match (action, scope) {
            (ProposalAction::SetParameter(ParameterValue::SubnetHyperparameters(p)), scope) => {
                let Scope::Subnet(netuid) = scope else {
                    return Err(Error::<T>::WrongScope.into());
                };
                ensure!(T::Subnets::exists(*netuid), Error::<T>::UnknownSubnet);
                Parameters::<T>::get()
                    .hyperparameter_bounds
                    .check(p)
                    .map_err(|_| Error::<T>::HyperparametersOutOfBounds)?;
            }
            (_, Scope::Subnet(_)) => return Err(Error::<T>::WrongScope.into()),
            (ProposalAction::AddDirective { title, text }, Scope::Network) => {
                ensure!(!title.is_empty(), Error::<T>::EmptyTitle);
                ensure!(!text.is_empty(), Error::<T>::EmptyText);
                ensure!(
                    DirectiveOf::<T>::count() < T::MaxDirectives::get(),
                    Error::<T>::TooManyDirectives
                );
            }
            (ProposalAction::AmendDirective { id, title, text }, Scope::Network) => {
                ensure!(!title.is_empty(), Error::<T>::EmptyTitle);
                ensure!(!text.is_empty(), Error::<T>::EmptyText);
                Self::active_directive(*id)?;
            }
            (ProposalAction::RepealDirective { id }, Scope::Network) => {
                ensure!(
                    *id != PRIME_DIRECTIVE,
                    Error::<T>::CannotRepealPrimeDirective
                );
                Self::active_directive(*id)?;
            }
            (ProposalAction::SetParameter(value), Scope::Network) => {
                Self::registry_with(value)?;
            }
        }
        Ok(())
    }

    pub(crate) fn do_propose(
        who: T::AccountId,
        action: ProposalActionOf<T>,
        scope: Scope,
    ) -> DispatchResult {
        Self::check_action(&action, &scope)?;
        let live = Proposals::<T>::count();
        ensure!(
            live < T::MaxActiveProposals::get(),
            Error::<T>::TooManyProposals
        );
        let open = OpenProposalsOf::<T>::get(&who).unwrap_or(0);
        ensure!(
            open < T::MaxProposalsPerAccount::get(),
            Error::<T>::TooManyProposalsFromAccount
        );
        let open = open.checked_add(1).ok_or(Error::<T>::Overflow)?;
        let index = NextProposalIndex::<T>::get();
        let next = index
            .checked_add(1)
            .ok_or(Error::<T>::ProposalIndicesExhausted)?;
        let now = frame_system::Pallet::<T>::block_number();
        let voting_ends = now.saturating_add(T::VotingPeriod::get());
        let deposit = Self::deposit_with_live(live);
        let surcharge = deposit.saturating_sub(T::ProposalDeposit::get());
        // Hold first: if the proposer cannot afford it, nothing has been written.
        if !deposit.is_zero() {
            T::Currency::hold(&HoldReason::ProposalDeposit.into(), &who, deposit)
                .map_err(|_| Error::<T>::InsufficientBalance)?;
        }
        Proposals::<T>::insert(
            index,
            Proposal {
                proposer: who.clone(),
                action: action.clone(),
                scope,
                deposit,
                surcharge,
                submitted_at: now,
                voting_ends,
                tally: Tally::default(),
                status: ProposalStatus::Voting,
            },
        );
        OpenProposalsOf::<T>::insert(&who, open);
        NextProposalIndex::<T>::put(next);
        Self::deposit_event(Event::Proposed {
            index,
            proposer: who,
            action,
            scope,
            deposit,
            voting_ends,
        });
        Ok(())
    }

    pub(crate) fn do_vote(who: T::AccountId, index: ProposalIndex, aye: bool) -> DispatchResult {
        let mut proposal = Proposals::<T>::get(index).ok_or(Error::<T>::UnknownProposal)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(
            proposal.status == ProposalStatus::Voting && now < proposal.voting_ends,
            Error::<T>::VotingClosed
        );
        let weight = Self::voting_stake(&proposal.scope, &who);
        ensure!(
            !weight.is_zero() && weight >= T::MinVotingStake::get(),
            Error::<T>::InsufficientVotingStake
        );
        let mut votes = VotesOf::<T>::get(index);
        // The entry that leaves the list: the caller's old vote, or the smallest vote when the
        // list is full and the caller has more stake.
        let mut evicted = None;
        let leaving = if let Some(at) = votes.iter().position(|(voter, _)| *voter == who) {
            Some(votes.remove(at).1)
        } else if votes.is_full() {
            let smallest = votes
                .first()
                .map(|(_, vote)| vote.weight)
                .ok_or(Error::<T>::StakeNotAboveSmallestVote)?;
            ensure!(weight > smallest, Error::<T>::StakeNotAboveSmallestVote);
            let (voter, vote) = votes.remove(0);
            evicted = Some((voter, vote.weight));
            Some(vote)
        } else {
            None
        };
        let tally = &mut proposal.tally;
        // A leaving vote takes its weight off the side it was on.
        match leaving {
            Some(old) if old.aye => tally.ayes = tally.ayes.saturating_sub(old.weight),
            Some(old) => tally.nays = tally.nays.saturating_sub(old.weight),
            None => {}
        }
        let side = if aye {
            &mut tally.ayes
        } else {
            &mut tally.nays
        };
        *side = side.checked_add(&weight).ok_or(Error::<T>::Overflow)?;
        // Before the equal ones: among equally small votes the latest is evicted first, so a
        // vote keeps its place against later votes of the same stake.
        let at = votes.partition_point(|(_, vote)| vote.weight < weight);
        votes
            .try_insert(at, (who.clone(), Vote { aye, weight }))
            .map_err(|_| Error::<T>::StakeNotAboveSmallestVote)?;
        tally.voters = u32::try_from(votes.len()).map_err(|_| Error::<T>::Overflow)?;
        VotesOf::<T>::insert(index, votes);
        Proposals::<T>::insert(index, proposal);
        if let Some((voter, weight)) = evicted {
            Self::deposit_event(Event::VoteEvicted {
                index,
                voter,
                weight,
            });
        }
        Self::deposit_event(Event::Voted {
            index,
            voter: who,
            aye,
            weight,
        });
        Ok(())
    }

    /// Counts `votes`, each at `min(recorded, current stake)`, and decides.
    fn count(votes: &VoteListOf<T>, proposal: &ProposalOf<T>) -> Outcome<BalanceOf<T>> {
        let (mut ayes, mut nays) = (BalanceOf::<T>::zero(), BalanceOf::<T>::zero());
        for (voter, vote) in votes {
            let counted = vote.weight.min(Self::voting_stake(&proposal.scope, voter));
            if vote.aye {
                ayes = ayes.saturating_add(counted);
            } else {
                nays = nays.saturating_add(counted);
            }
        }
        let total_stake = Self::total_stake(&proposal.scope);
        let cast = ayes.saturating_add(nays);
        let threshold = if proposal.action.changes_prime_directive() {
            T::PrimeApprovalThreshold::get()
        } else {
            T::ApprovalThreshold::get()
        };
        // `x > floor(p · y)` is `x > p · y` exactly for whole numbers `x`.
        let rejection = if cast <= T::Quorum::get().mul_floor(total_stake) {
            Some(RejectionReason::QuorumNotReached)
        } else if ayes <= threshold.mul_floor(cast) {
            Some(RejectionReason::ThresholdNotReached)
        } else {
            None
        };
        // `x < ceil(p · y)` is `x < p · y` exactly for whole numbers `x`.
        let burn_deposit =
            rejection.is_some() && ayes < T::DepositBurnThreshold::get().mul_ceil(total_stake);
        Outcome {
            ayes,
            nays,
            total_stake,
            rejection,
            burn_deposit,
        }
    }

    /// Closes `index`; returns the number of votes counted (what the weight scales with).
    pub(crate) fn do_close(index: ProposalIndex) -> Result<u32, DispatchError> {
        let mut proposal = Proposals::<T>::get(index).ok_or(Error::<T>::UnknownProposal)?;
        ensure!(
            proposal.status == ProposalStatus::Voting,
            Error::<T>::AlreadyClosed
        );
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now >= proposal.voting_ends, Error::<T>::VotingNotOver);
        let votes = VotesOf::<T>::get(index);
        let outcome = Self::count(&votes, &proposal);
        let counted = u32::try_from(votes.len()).unwrap_or(u32::MAX);
        let who = proposal.proposer.clone();
        let open = OpenProposalsOf::<T>::get(&who)
            .unwrap_or(0)
            .saturating_sub(1);
        let reason = HoldReason::ProposalDeposit.into();
        let decision = match outcome.rejection {
            None => {
                let delay = if proposal.action.changes_prime_directive() {
                    T::PrimeEnactmentDelay::get()
                } else {
                    T::EnactmentDelay::get()
                };
                let enact_at = now.saturating_add(delay);
                let mut queue = EnactmentQueue::<T>::get();
                let at = queue.partition_point(|entry| *entry <= (enact_at, index));
                // Every queued index is a stored proposal, and at most `MaxActiveProposals`
                // are stored: this one is among them, so there is room.
                queue
                    .try_insert(at, (enact_at, index))
                    .map_err(|_| Error::<T>::TooManyProposals)?;
                Ok((queue, enact_at))
            }
            Some(reason) => Err(reason),
        };

        // What is burned: nothing if it passed; all of it if it failed with almost no ayes;
        // otherwise the surcharge, so a table kept full by proposals that fail costs their
        // surcharges every voting period, whatever stake votes aye on them.
        let to_burn = match (&decision, outcome.burn_deposit) {
            (Ok(_), _) => Zero::zero(),
            (Err(_), true) => proposal.deposit,
            (Err(_), false) => proposal.surcharge.min(proposal.deposit),
        };
        let to_return = proposal.deposit.saturating_sub(to_burn);

        // Decided; from here on only writes. Release and burn are best effort: the hold
        // covers the deposit (try_state checks it), and a short one must not keep the
        // proposal from closing.
        let burned = if to_burn.is_zero() {
            Zero::zero()
        } else {
            T::Currency::burn_held(
                &reason,
                &who,
                to_burn,
                Precision::BestEffort,
                Fortitude::Force,
            )?
        };
        let returned = if to_return.is_zero() {
            Zero::zero()
        } else {
            T::Currency::release(&reason, &who, to_return, Precision::BestEffort)?
        };
        VotesOf::<T>::remove(index);
        if open == 0 {
            OpenProposalsOf::<T>::remove(&who);
        } else {
            OpenProposalsOf::<T>::insert(&who, open);
        }
        match decision {
            Ok((queue, enact_at)) => {
                proposal.status = ProposalStatus::Approved { enact_at };
                Proposals::<T>::insert(index, proposal);
                EnactmentQueue::<T>::put(queue);
                Self::deposit_event(Event::ProposalApproved {
                    index,
                    ayes: outcome.ayes,
                    nays: outcome.nays,
                    total_stake: outcome.total_stake,
                    enact_at,
                });
            }
            Err(reason) => {
                Proposals::<T>::remove(index);
                Self::deposit_event(Event::ProposalRejected {
                    index,
                    ayes: outcome.ayes,
                    nays: outcome.nays,
                    total_stake: outcome.total_stake,
                    reason,
                });
            }
        }
        if !returned.is_zero() {
            Self::deposit_event(Event::DepositReturned {
                index,
                who: who.clone(),
                amount: returned,
            });
        }
        if !burned.is_zero() {
            Self::deposit_event(Event::DepositBurned {
                index,
                who,
                amount: burned,
            });
        }
        Ok(counted)
    }

    /// Enacts the queued proposals due at `now`, at most `MaxEnactmentsPerBlock`; the rest
    /// wait for the next block. Returns the weight used.
    pub(crate) fn enact_due(now: BlockNumberFor<T>) -> Weight {
        let mut weight = T::WeightInfo::on_initialize_base();
        let queue = EnactmentQueue::<T>::get();
        let due = queue
            .iter()
            .take_while(|(at, _)| *at <= now)
            .count()
            .min(T::MaxEnactmentsPerBlock::get() as usize);
        if due == 0 {
            return weight;
        }
        let mut queue = queue.into_inner();
        let rest = queue.split_off(due);
        // `rest` is a tail of a bounded list, so it fits.
        EnactmentQueue::<T>::put(BoundedVec::truncate_from(rest));
        for (_, index) in queue {
            weight.saturating_accrue(Self::enact(index));
        }
        weight
    }

    /// The benchmarked weight of enacting `action`.
    fn enactment_weight(action: &ProposalActionOf<T>) -> Weight {
        match action {
            ProposalAction::SetParameter(ParameterValue::SubnetHyperparameters(_)) => {
                T::WeightInfo::enact_subnet_parameter()
            }
            ProposalAction::SetParameter(_) => T::WeightInfo::enact_parameter(),
            _ => T::WeightInfo::enact_directive(),
        }
    }

    /// Enacts one approved proposal, atomically; it leaves storage either way.
    fn enact(index: ProposalIndex) -> Weight {
        let Some(proposal) = Proposals::<T>::take(index) else {
            log::error!(target: LOG_TARGET, "queued proposal {index} is missing");
            return T::WeightInfo::enact_directive();
        };
        let weight = Self::enactment_weight(&proposal.action);
        let result = with_storage_layer(|| Self::apply(proposal.action, proposal.scope));
        match result {
            Ok(()) => Self::deposit_event(Event::ProposalEnacted { index }),
            Err(error) => {
                log::info!(target: LOG_TARGET, "proposal {index} failed to enact: {error:?}");
                Self::deposit_event(Event::EnactmentFailed { index, error });
            }
        }
        weight
    }

    /// Applies an action, checking again what `propose` checked.
    fn apply(action: ProposalActionOf<T>, scope: Scope) -> DispatchResult {
        let now = frame_system::Pallet::<T>::block_number();
        match (action, scope) {
            (ProposalAction::AddDirective { title, text }, Scope::Network) => {
                ensure!(
                    DirectiveOf::<T>::count() < T::MaxDirectives::get(),
                    Error::<T>::TooManyDirectives
                );
                let id = NextDirectiveId::<T>::get();
                let next = id.checked_add(1).ok_or(Error::<T>::DirectiveIdsExhausted)?;
                DirectiveOf::<T>::insert(
                    id,
                    Directive {
                        title,
                        text,
                        status: DirectiveStatus::Active,
                        enacted_at: now,
                        amended_at: None,
                    },
                );
                NextDirectiveId::<T>::put(next);
                Self::deposit_event(Event::DirectiveAdded { id });
            }
            (ProposalAction::AmendDirective { id, title, text }, Scope::Network) => {
                let mut directive = Self::active_directive(id)?;
                directive.title = title;
                directive.text = text;
                directive.amended_at = Some(now);
                DirectiveOf::<T>::insert(id, directive);
                Self::deposit_event(Event::DirectiveAmended { id });
            }
            (ProposalAction::RepealDirective { id }, Scope::Network) => {
                ensure!(
                    id != PRIME_DIRECTIVE,
                    Error::<T>::CannotRepealPrimeDirective
                );
                let mut directive = Self::active_directive(id)?;
                directive.status = DirectiveStatus::Repealed { at: now };
                DirectiveOf::<T>::insert(id, directive);
                Self::deposit_event(Event::DirectiveRepealed { id });
            }
            (
                ProposalAction::SetParameter(ParameterValue::SubnetHyperparameters(params)),
                Scope::Subnet(netuid),
            ) => {
                T::Subnets::set_hyperparameters(netuid, params)?;
                Self::deposit_event(Event::SubnetHyperparametersSet { netuid });
            }
            (ProposalAction::SetParameter(value), Scope::Network) => {
                let params = Self::registry_with(&value)?;
                // The subnets pallet holds owners to the bounds; it must agree before the
                // registry says so.
                if let ParameterValue::HyperparameterBounds(bounds) = &value {
                    T::Subnets::set_bounds(bounds.clone())?;
                }
                Parameters::<T>::put(params);
                Self::deposit_event(Event::ParameterSet { value });
            }
            _ => return Err(Error::<T>::WrongScope.into()),
        }
        Ok(())
    }

    /// Invariants: the prime directive exists and is in force; directives are below
    /// `NextDirectiveId`, within bounds and not empty; the registry is valid; every proposal
    /// is below `NextProposalIndex`; voting proposals have a vote list with each coldkey once,
    /// smallest first, matching their tally, and no queue entry; approved ones no votes and
    /// exactly one queue entry, in order; every proposer holds exactly the deposits of its
    /// voting proposals, and [`OpenProposalsOf`] counts them.
    ///
    /// Built with `std` too (not only `try-runtime`), so that the runtime's random-history
    /// test checks it after every block.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use alloc::collections::{BTreeMap, BTreeSet};
        use frame_support::traits::fungible::InspectHold;

        let prime = DirectiveOf::<T>::get(PRIME_DIRECTIVE).ok_or("the prime directive is gone")?;
        ensure!(
            prime.status == DirectiveStatus::Active,
            "the prime directive is not in force"
        );
        let next_id = NextDirectiveId::<T>::get();
        let mut directives = 0u32;
        for (id, directive) in DirectiveOf::<T>::iter() {
            directives = directives.saturating_add(1);
            ensure!(id < next_id, "directive at or above NextDirectiveId");
            ensure!(
                !directive.title.is_empty() && !directive.text.is_empty(),
                "directive with an empty title or text"
            );
        }
        ensure!(
            directives == DirectiveOf::<T>::count(),
            "directive counter wrong"
        );
        ensure!(
            directives <= T::MaxDirectives::get(),
            "more than MaxDirectives directives"
        );
        Parameters::<T>::get()
            .validate(&Self::parameter_limits())
            .map_err(|_| "the governed parameters are invalid")?;

        let queue = EnactmentQueue::<T>::get();
        ensure!(
            queue.windows(2).all(|w| matches!(w, [a, b] if a < b)),
            "enactment queue out of order"
        );
        let next_index = NextProposalIndex::<T>::get();
        let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut open_proposals: BTreeMap<T::AccountId, u32> = BTreeMap::new();
        let mut proposals = 0u32;
        let mut approved = 0usize;
        for (index, proposal) in Proposals::<T>::iter() {
            proposals = proposals.saturating_add(1);
            ensure!(index < next_index, "proposal at or above NextProposalIndex");
            let queued: Vec<_> = queue.iter().filter(|(_, i)| *i == index).collect();
            match proposal.status {
                ProposalStatus::Voting => {
                    ensure!(queued.is_empty(), "a voting proposal is queued");
                    let votes = VotesOf::<T>::get(index);
                    let (mut ayes, mut nays) = (BalanceOf::<T>::zero(), BalanceOf::<T>::zero());
                    let mut voters = BTreeSet::new();
                    for (voter, vote) in &votes {
                        ensure!(voters.insert(voter), "a coldkey voted twice");
                        if vote.aye {
                            ayes = ayes.saturating_add(vote.weight);
                        } else {
                            nays = nays.saturating_add(vote.weight);
                        }
                    }
                    ensure!(
                        votes
                            .windows(2)
                            .all(|w| matches!(w, [a, b] if a.1.weight <= b.1.weight)),
                        "vote list not smallest first"
                    );
                    let voters = u32::try_from(voters.len()).unwrap_or(u32::MAX);
                    ensure!(
                        proposal.tally == Tally { ayes, nays, voters },
                        "tally != its recorded votes"
                    );
                    ensure!(
                        proposal.surcharge <= proposal.deposit,
                        "surcharge above the deposit"
                    );
                    let held = deposits.entry(proposal.proposer.clone()).or_default();
                    *held = held.saturating_add(proposal.deposit);
                    let open = open_proposals.entry(proposal.proposer.clone()).or_default();
                    *open = open.saturating_add(1);
                }
                ProposalStatus::Approved { enact_at } => {
                    approved = approved.saturating_add(1);
                    ensure!(
                        queued.as_slice() == [&(enact_at, index)],
                        "an approved proposal is not queued exactly once"
                    );
                    ensure!(
                        !VotesOf::<T>::contains_key(index),
                        "votes left on a closed proposal"
                    );
                }
            }
        }
        ensure!(
            proposals == Proposals::<T>::count(),
            "proposal counter wrong"
        );
        ensure!(
            proposals <= T::MaxActiveProposals::get(),
            "more than MaxActiveProposals proposals"
        );
        ensure!(queue.len() == approved, "queue entry without its proposal");
        for index in VotesOf::<T>::iter_keys() {
            ensure!(
                Proposals::<T>::contains_key(index),
                "votes on a proposal that left storage"
            );
        }
        let counted: BTreeMap<T::AccountId, u32> = OpenProposalsOf::<T>::iter().collect();
        ensure!(
            counted == open_proposals,
            "OpenProposalsOf != the voting proposals of each proposer"
        );
        for (who, deposit) in deposits {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::ProposalDeposit.into(), &who) == deposit,
                "held deposit != deposits of the proposer's voting proposals"
            );
        }
        Ok(())
    }
}
