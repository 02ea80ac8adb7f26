//! Clearing state: what a dissolved subnet leaves ([`OnSubnetDissolved`]: at once what is
//! bounded per subnet, then the per-hotkey maps over blocks), and what a hotkey that left a
//! subnet leaves once no evidence or sanction can need it (the departure queue).
//!
//! The crate docs ("Dissolution and departures") say what is kept, what goes, and why.

use crate::{pallet::*, weights::WeightInfo, LOG_TARGET};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{fungible::MutateHold, tokens::Precision},
};
use mindos_primitives::{NetUid, NeuronsInfo, OnSubnetDissolved};
use mindos_sentinels_math::may_release;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Releases `amount` held from `who` for `reason`; returns what was released (for the
    /// dissolution's event; `release_canary_deposit` and `settle_judgments` only log).
    fn release_hold(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
        if amount.is_zero() {
            return amount;
        }
        T::Currency::release(&reason.into(), who, amount, Precision::BestEffort).unwrap_or_else(
            |e| {
                log::error!(target: LOG_TARGET, "held funds not released: {e:?}");
                Zero::zero()
            },
        )
    }

    // ----- dissolution -----

    /// The most one block's clearing of a dissolved subnet can weigh: `MaxClearedPerBlock`
    /// pending slashes dropped (the heaviest entries), and as many entries removed.
    pub fn max_clear_weight() -> Weight {
        let cleared = T::MaxClearedPerBlock::get();
        T::WeightInfo::clear_dissolved(cleared)
            .saturating_add(T::WeightInfo::drop_slash().saturating_mul(u64::from(cleared)))
    }

    /// The first, bounded part of a dissolution: drops `netuid`'s open cases, canaries and
    /// audits and returns what they hold, removes its per-subnet items and takes it off the
    /// boundary and settlement queues, then queues it in [`Dissolved`] for the rest. Returns
    /// the cases, canaries and audits dropped.
    fn release_subnet(netuid: NetUid) -> (u32, u32, u32) {
        let mut bonds = BalanceOf::<T>::zero();
        let open = OpenCases::<T>::take(netuid);
        for entry in open.iter() {
            if let Some(case) = Cases::<T>::take(entry.id) {
                bonds.saturating_accrue(Self::release_hold(
                    HoldReason::ReportBond,
                    &case.reporter,
                    case.bond,
                ));
            }
        }
        let mut canary_deposits = BalanceOf::<T>::zero();
        let canaries = Canaries::<T>::take(netuid);
        for canary in canaries.iter() {
            canary_deposits.saturating_accrue(Self::release_hold(
                HoldReason::CanaryDeposit,
                &canary.committer,
                canary.deposit,
            ));
        }
        let mut appeal_deposits = BalanceOf::<T>::zero();
        let audits = OpenAudits::<T>::take(netuid);
        for id in audits.iter() {
            // An escalation goes with its audit (one write each, within the audit's estimate).
            Escalations::<T>::remove(id);
            if let Some(audit) = Audits::<T>::take(id) {
                if let Some((appellant, deposit)) = &audit.appellant {
                    appeal_deposits.saturating_accrue(Self::release_hold(
                        HoldReason::AppealDeposit,
                        appellant,
                        *deposit,
                    ));
                }
            }
            // A dismissal's judgment lives only under its audit; a conviction's goes with its
            // pending slash (cleared below, over blocks).
            if Judgments::<T>::get(id).is_some_and(|j| !j.convicted) {
                Judgments::<T>::remove(id);
            }
        }
        SubnetEpoch::<T>::remove(netuid);
        Mix::<T>::remove(netuid);
        CompletedMix::<T>::remove(netuid);
        Candidates::<T>::remove(netuid);
        SlashQueueBounds::<T>::remove(netuid);
        DepartureQueueBounds::<T>::remove(netuid);
        PendingBoundaries::<T>::mutate(|queue| queue.retain(|id| *id != netuid));
        SlashesDue::<T>::mutate(|queue| queue.retain(|id| *id != netuid));
        Dissolved::<T>::insert(netuid, ());
        let counts = (
            u32::try_from(open.len()).unwrap_or(u32::MAX),
            u32::try_from(canaries.len()).unwrap_or(u32::MAX),
            u32::try_from(audits.len()).unwrap_or(u32::MAX),
        );
        Self::deposit_event(Event::SubnetStateReleased {
            netuid,
            cases: counts.0,
            bonds_returned: bonds,
            canaries: counts.1,
            canary_deposits_returned: canary_deposits,
            audits: counts.2,
            appeal_deposits_returned: appeal_deposits,
        });
        counts
    }

    /// Clears at most `budget` entries of the first subnet in [`Dissolved`]: its pending
    /// slashes first (each dropped, returning the canary deposits and report bonds it holds),
    /// then its settlement queue, quarantines, offence and key histories, departures and
    /// committees. Forgets the subnet once nothing is left. Returns the weight used.
    pub(crate) fn clear_dissolved(budget: u32) -> Weight {
        let Some(netuid) = Dissolved::<T>::iter_keys().next() else {
            return T::WeightInfo::clear_dissolved(0);
        };
        let mut left = budget;
        let mut done = true;
        let mut slashes = 0u32;
        let mut drained = PendingSlashes::<T>::drain_prefix(netuid);
        while left > 0 {
            let Some((hotkey, slash)) = drained.next() else {
                break;
            };
            Self::drop_slash(netuid, hotkey, slash);
            left = left.saturating_sub(1);
            slashes = slashes.saturating_add(1);
        }
        if left == 0 {
            // The budget ran out on slashes: there may be more.
            done = false;
        }
        let mut cleared = 0u32;
        let mut clear = |remove: &dyn Fn(u32) -> sp_io::MultiRemovalResults| {
            if left == 0 {
                done = false;
                return;
            }
            let result = remove(left);
            left = left.saturating_sub(result.unique);
            cleared = cleared.saturating_add(result.loops.max(result.unique));
            if result.maybe_cursor.is_some() {
                done = false;
            }
        };
        // One call per map and block, so no cursor is needed: what an earlier block removed is
        // gone from the backend.
        clear(&|limit| SlashQueue::<T>::clear_prefix(netuid, limit, None));
        clear(&|limit| Quarantines::<T>::clear_prefix(netuid, limit, None));
        clear(&|limit| OffenceHistory::<T>::clear_prefix(netuid, limit, None));
        clear(&|limit| KeyHistory::<T>::clear_prefix(netuid, limit, None));
        clear(&|limit| DepartedAt::<T>::clear_prefix(netuid, limit, None));
        clear(&|limit| DepartureQueue::<T>::clear_prefix(netuid, limit, None));
        clear(&|limit| Committees::<T>::clear_prefix(netuid, limit, None));
        if done {
            Dissolved::<T>::remove(netuid);
            Self::deposit_event(Event::SubnetStateCleared { netuid });
        }
        T::WeightInfo::clear_dissolved(cleared)
            .saturating_add(T::WeightInfo::drop_slash().saturating_mul(u64::from(slashes)))
    }

    /// Drops a dissolved subnet's pending slash (already taken from storage) unsettled: the
    /// canary deposits it holds go back to their committers, the report bonds of its
    /// convictions to their reporters, and its judgments are forgotten.
    fn drop_slash(netuid: NetUid, hotkey: T::AccountId, slash: PendingSlashOf<T>) {
        for (committer, deposit) in slash.canary_deposits.iter() {
            Self::release_canary_deposit(committer, *deposit);
        }
        Self::settle_judgments(&slash.cases);
        Self::deposit_event(Event::PendingSlashDropped {
            netuid,
            hotkey,
            rate: slash.rate,
        });
    }

    // ----- departures -----

    /// Sentinel epochs after a departure from which nothing the hotkey left can be needed
    /// (unless a quarantine still runs): evidence of a challenge from before it left is too
    /// old (`MaxEvidenceAgeEpochs`) and its offences from before it left no longer count
    /// (the quarantine window).
    pub(crate) fn departure_horizon() -> u64 {
        u64::from(T::MaxEvidenceAgeEpochs::get()).max(Self::quarantine_params().window_epochs)
    }

    /// Notes that `hotkey` left `netuid` ([`mindos_primitives::EndpointObserver::on_neuron_left`]):
    /// its state is examined `departure_horizon` epochs from now. A hotkey already waiting
    /// keeps its place in the queue with the later departure epoch (examining it early only
    /// puts it back).
    pub(crate) fn note_departure(netuid: NetUid, hotkey: &T::AccountId) {
        let epoch = Self::epoch(netuid);
        let waiting = DepartedAt::<T>::contains_key(netuid, hotkey);
        DepartedAt::<T>::insert(netuid, hotkey, epoch);
        if !waiting {
            Self::enqueue_departure(netuid, hotkey, epoch);
        }
    }

    /// Appends `hotkey` to `netuid`'s departure queue, to be examined `departure_horizon`
    /// epochs after `epoch`.
    fn enqueue_departure(netuid: NetUid, hotkey: &T::AccountId, epoch: u64) {
        let from = epoch
            .saturating_add(Self::departure_horizon())
            .saturating_add(1);
        DepartureQueueBounds::<T>::mutate(netuid, |(_, tail)| {
            DepartureQueue::<T>::insert(netuid, *tail, (hotkey.clone(), from));
            *tail = tail.saturating_add(1);
        });
    }

    /// Examines at most `MaxDeparturesPerBoundary` entries of `netuid`'s departure queue whose
    /// time has come, pruning each hotkey's state ([`Self::prune_departed`]) and putting back
    /// at the tail those with state still needed. Returns the entries examined.
    pub(crate) fn prune_departures(netuid: NetUid, epoch: u64) -> u32 {
        let (mut head, tail) = DepartureQueueBounds::<T>::get(netuid);
        let budget = T::MaxDeparturesPerBoundary::get();
        let mut examined = 0u32;
        let mut again: Vec<T::AccountId> = Vec::new();
        while examined < budget && head < tail {
            let entry = DepartureQueue::<T>::get(netuid, head);
            if entry.as_ref().is_some_and(|(_, from)| *from > epoch) {
                break;
            }
            DepartureQueue::<T>::remove(netuid, head);
            head = head.saturating_add(1);
            examined = examined.saturating_add(1);
            if let Some((hotkey, _)) = entry {
                if Self::prune_departed(netuid, &hotkey, epoch) {
                    again.push(hotkey);
                }
            }
        }
        if examined == 0 {
            return 0;
        }
        if head >= tail {
            DepartureQueueBounds::<T>::remove(netuid);
        } else {
            DepartureQueueBounds::<T>::insert(netuid, (head, tail));
        }
        for hotkey in again {
            Self::enqueue_departure(netuid, &hotkey, epoch);
        }
        examined
    }

    /// Prunes what the departed `hotkey` left on `netuid` that nothing can need any more, and
    /// returns whether something is still needed (then it is examined again later):
    ///
    /// - a hotkey registered again is live: its state stays, nothing is left to prune;
    /// - its key history goes once it left more than `MaxEvidenceAgeEpochs` ago: evidence
    ///   needs the hotkey registered when submitted and a challenge at most that old, and it
    ///   answered challenges only while registered;
    /// - offences outside the window go (they no longer count, as in a sanction);
    /// - an ended quarantine goes: only an `unquarantine` call, which would succeed, stood
    ///   between it and release, and a hotkey without a uid cannot make that call. A running
    ///   quarantine stays, so coming back does not escape it.
    ///
    /// A pending slash is not touched: it settles on its due epoch whether or not the hotkey
    /// is registered (stake stays on the hotkey).
    fn prune_departed(netuid: NetUid, hotkey: &T::AccountId, epoch: u64) -> bool {
        let Some(left) = DepartedAt::<T>::get(netuid, hotkey) else {
            return false;
        };
        if T::Neurons::uid(netuid, hotkey).is_some() {
            DepartedAt::<T>::remove(netuid, hotkey);
            return false;
        }
        let mut needed = false;
        if left.saturating_add(u64::from(T::MaxEvidenceAgeEpochs::get())) < epoch {
            KeyHistory::<T>::remove(netuid, hotkey);
        } else {
            needed = KeyHistory::<T>::contains_key(netuid, hotkey);
        }
        let window = Self::quarantine_params().window_epochs;
        OffenceHistory::<T>::mutate_exists(netuid, hotkey, |history| {
            if let Some(h) = history.as_mut() {
                h.retain(|e| epoch.saturating_sub(*e) < window);
                if h.is_empty() {
                    *history = None;
                } else {
                    needed = true;
                }
            }
        });
        if let Some(q) = Quarantines::<T>::get(netuid, hotkey) {
            if may_release(epoch, q.until_epoch) {
                Quarantines::<T>::remove(netuid, hotkey);
            } else {
                needed = true;
            }
        }
        if !needed {
            DepartedAt::<T>::remove(netuid, hotkey);
        }
        needed
    }
}

/// Clears what this pallet keeps for a dissolved subnet. Every hold goes back to its owner
/// (report bonds, canary deposits, appeal deposits): a dissolution burns nothing. Pending
/// slashes are dropped, not settled: the crate docs ("Dissolution and departures") say why.
impl<T: Config> OnSubnetDissolved for Pallet<T> {
    /// Does the bounded part now (open cases, canaries, audits, per-subnet items) and queues
    /// the per-hotkey maps, cleared `MaxClearedPerBlock` entries a block by `on_initialize`.
    fn on_subnet_dissolved(netuid: NetUid) -> Weight {
        let (cases, canaries, audits) = Self::release_subnet(netuid);
        T::WeightInfo::on_subnet_dissolved(cases, canaries, audits)
    }

    fn max_weight() -> Weight {
        T::WeightInfo::on_subnet_dissolved(
            T::MaxOpenCasesPerSubnet::get(),
            T::MaxCanariesPerSubnet::get(),
            T::MaxOpenAuditsPerSubnet::get(),
        )
    }
}
