//! The sentinels pallet's invariants (`try_state`): committees, cases and their bonds,
//! quarantines, canaries, the slash queues, dissolutions and departures. Built with `std` too, as the other pallets'
//! invariants are, so a runtime test can check them after every block.
#![cfg(any(feature = "try-runtime", feature = "std", test))]

use crate::{pallet::*, HoldReason, NetUid};
use alloc::{
    collections::{BTreeMap, BTreeSet},
    vec::Vec,
};
use frame_support::{pallet_prelude::*, traits::fungible::InspectHold};
use mindos_primitives::SubnetsInfo;
use mindos_sentinels_math::{CaseVerdict, CommitteeSize, Verdict};
use sp_runtime::{
    traits::{Saturating, Zero},
    SaturatedConversion, TryRuntimeError,
};

impl<T: Config> Pallet<T> {
    /// Invariants:
    ///
    /// - candidate snapshots wait only with their subnet's queued boundary work, for the next
    ///   epoch, in strictly ascending uid order;
    /// - committees have a valid size, exactly that many distinct members in uid order, sit in
    ///   the current or the next epoch (past ones too while the subnet's boundary work is
    ///   queued), and hold no member that was quarantined before the draw;
    /// - every open case is listed once in its subnet's open list and the reverse; its voters
    ///   are seats of its committee, no seat voted twice, the reporter voted guilty, its
    ///   threshold lies in `2f + 1 ..= n`, it has no verdict yet, and each reporter's held bond
    ///   is the sum of its cases' bonds; no uid has two open cases, no reporter more than
    ///   `MaxOpenReportsPerReporter`;
    /// - quarantines end after they begin and count at least one offence; offence histories
    ///   are ordered and not from the future;
    /// - key histories are ordered by epoch, not from the future, and never bind the same key
    ///   twice in a row;
    /// - canaries are distinct, ordered by epoch and not from the future, at most
    ///   `MaxCanariesPerCommitter` per committer and subnet; each committer's held canary
    ///   deposit is the sum of its live canaries' deposits and of those the pending slashes of
    ///   its opened canaries hold;
    /// - pending slashes fall due at most `AuditWindowEpochs` after the current epoch and each
    ///   sits in its subnet's settlement queue at its due epoch; each queue's entries are
    ///   exactly its bounds, in due-epoch order, and a queue whose head is past due waits in
    ///   [`SlashesDue`] (or behind a queued boundary); the subnet queues hold each subnet once;
    /// - audits and escalations as [`Pallet::check_audits`] and [`Pallet::check_escalations`]
    ///   state them;
    /// - nothing is kept for a subnet that neither exists nor is being cleared after its
    ///   dissolution, and one being cleared kept nothing its dissolution released (its holds
    ///   are covered by the checks above, which count every record that holds funds);
    /// - each departed hotkey waits once in its subnet's departure queue.
    ///
    /// The checks of live state (committees, quarantines, histories, settlement queues) skip
    /// what a dissolved subnet still leaves while it is cleared.
    pub fn do_try_state() -> Result<(), TryRuntimeError> {
        Self::check_committees()?;
        Self::check_cases()?;
        Self::check_quarantines()?;
        Self::check_keys()?;
        Self::check_canaries()?;
        Self::check_slashes()?;
        Self::check_audits()?;
        Self::check_escalations()?;
        Self::check_dissolution()?;
        Self::check_departures()?;
        Ok(())
    }

    /// Escalations: each belongs to an open audit (checked there) and ends at most
    /// `EscalationDuration` from now; its electorate is distinct, without the accused miner,
    /// with positive stakes summing to its total, and its tallies are the stakes voted each
    /// way, undecided.
    fn check_escalations() -> Result<(), TryRuntimeError> {
        let now = frame_system::Pallet::<T>::block_number();
        for (id, escalation) in Escalations::<T>::iter() {
            ensure!(
                Audits::<T>::contains_key(id),
                "an escalation without its audit"
            );
            ensure!(
                escalation.expires_at <= now.saturating_add(T::EscalationDuration::get()),
                "an escalation ends later than EscalationDuration from now"
            );
            if let Some(judgment) = Judgments::<T>::get(id) {
                ensure!(
                    escalation
                        .electorate
                        .iter()
                        .all(|e| e.hotkey != judgment.accused),
                    "the accused miner votes on its own escalation"
                );
            }
            let distinct: BTreeSet<&T::AccountId> =
                escalation.electorate.iter().map(|e| &e.hotkey).collect();
            ensure!(
                distinct.len() == escalation.electorate.len(),
                "an escalation's electorate repeats a hotkey"
            );
            let (mut total, mut overturn, mut uphold) = (
                BalanceOf::<T>::zero(),
                BalanceOf::<T>::zero(),
                BalanceOf::<T>::zero(),
            );
            for elector in escalation.electorate.iter() {
                ensure!(!elector.stake.is_zero(), "an elector without stake");
                total = total.saturating_add(elector.stake);
                match elector.vote {
                    Some(true) => overturn = overturn.saturating_add(elector.stake),
                    Some(false) => uphold = uphold.saturating_add(elector.stake),
                    None => {}
                }
            }
            ensure!(
                (total, overturn, uphold)
                    == (escalation.total, escalation.overturn, escalation.uphold),
                "an escalation's tallies differ from its electorate's votes"
            );
            ensure!(
                mindos_sentinels_math::escalation_verdict(
                    overturn.saturated_into(),
                    uphold.saturated_into(),
                    total.saturated_into(),
                ) == Ok(mindos_sentinels_math::EscalationVerdict::Open),
                "an open escalation already has a decision"
            );
        }
        Ok(())
    }

    /// Whether `netuid` is a dissolved subnet still being cleared: the checks of live state
    /// skip what it has left (its epoch and queues are gone already).
    fn clearing(netuid: NetUid) -> bool {
        Dissolved::<T>::contains_key(netuid)
    }

    /// Dissolutions: every item kept for a subnet (by key, or by the subnet a case, judgment
    /// or audit names) belongs to a live subnet or to one still being cleared
    /// ([`Dissolved`]), which is not live; and a subnet being cleared has lost at once what its
    /// dissolution releases: its per-subnet items, open cases, canaries and audits, and its
    /// place in the boundary and settlement queues.
    fn check_dissolution() -> Result<(), TryRuntimeError> {
        let pending = PendingBoundaries::<T>::get();
        let due = SlashesDue::<T>::get();
        for netuid in Dissolved::<T>::iter_keys() {
            ensure!(
                !T::Subnets::exists(netuid),
                "a live subnet is being cleared as dissolved"
            );
            ensure!(
                !SubnetEpoch::<T>::contains_key(netuid)
                    && !Mix::<T>::contains_key(netuid)
                    && !CompletedMix::<T>::contains_key(netuid)
                    && !Candidates::<T>::contains_key(netuid)
                    && !OpenCases::<T>::contains_key(netuid)
                    && !Canaries::<T>::contains_key(netuid)
                    && !OpenAudits::<T>::contains_key(netuid)
                    && !SlashQueueBounds::<T>::contains_key(netuid)
                    && !DepartureQueueBounds::<T>::contains_key(netuid),
                "a dissolved subnet kept what its dissolution releases"
            );
            ensure!(
                !pending.contains(&netuid) && !due.contains(&netuid),
                "a dissolved subnet is still queued for boundary work or settlement"
            );
        }
        let mut netuids: BTreeSet<NetUid> = BTreeSet::new();
        netuids.extend(SubnetEpoch::<T>::iter_keys());
        netuids.extend(Mix::<T>::iter_keys());
        netuids.extend(CompletedMix::<T>::iter_keys());
        netuids.extend(Candidates::<T>::iter_keys());
        netuids.extend(OpenCases::<T>::iter_keys());
        netuids.extend(Canaries::<T>::iter_keys());
        netuids.extend(OpenAudits::<T>::iter_keys());
        netuids.extend(SlashQueueBounds::<T>::iter_keys());
        netuids.extend(DepartureQueueBounds::<T>::iter_keys());
        netuids.extend(pending.iter().copied());
        netuids.extend(due.iter().copied());
        netuids.extend(Committees::<T>::iter_keys().map(|(n, _)| n));
        netuids.extend(Quarantines::<T>::iter_keys().map(|(n, _)| n));
        netuids.extend(OffenceHistory::<T>::iter_keys().map(|(n, _)| n));
        netuids.extend(KeyHistory::<T>::iter_keys().map(|(n, _)| n));
        netuids.extend(PendingSlashes::<T>::iter_keys().map(|(n, _)| n));
        netuids.extend(SlashQueue::<T>::iter_keys().map(|(n, _)| n));
        netuids.extend(DepartedAt::<T>::iter_keys().map(|(n, _)| n));
        netuids.extend(DepartureQueue::<T>::iter_keys().map(|(n, _)| n));
        netuids.extend(Cases::<T>::iter_values().map(|c| c.netuid));
        netuids.extend(Judgments::<T>::iter_values().map(|j| j.netuid));
        netuids.extend(Audits::<T>::iter_values().map(|a| a.netuid));
        netuids.extend(Escalations::<T>::iter_values().map(|e| e.netuid));
        ensure!(
            netuids
                .into_iter()
                .all(|n| T::Subnets::exists(n) || Self::clearing(n)),
            "state kept for a subnet that neither exists nor is being cleared"
        );
        Ok(())
    }

    /// Departures, per live subnet: the departure queue's entries are exactly its bounds, one
    /// for each hotkey of [`DepartedAt`] and none for another; no departure is from the future.
    fn check_departures() -> Result<(), TryRuntimeError> {
        let mut queued: BTreeMap<NetUid, BTreeMap<u64, T::AccountId>> = BTreeMap::new();
        for (netuid, index, (hotkey, _)) in DepartureQueue::<T>::iter() {
            if !Self::clearing(netuid) {
                queued.entry(netuid).or_default().insert(index, hotkey);
            }
        }
        for netuid in DepartureQueueBounds::<T>::iter_keys() {
            ensure!(
                queued.contains_key(&netuid),
                "departure queue bounds without entries"
            );
        }
        let mut waiting: BTreeSet<(NetUid, T::AccountId)> = BTreeSet::new();
        for (netuid, entries) in queued.iter() {
            let (head, tail) = DepartureQueueBounds::<T>::get(netuid);
            ensure!(
                entries.keys().copied().eq(head..tail),
                "a departure queue's entries differ from its bounds"
            );
            for hotkey in entries.values() {
                ensure!(
                    waiting.insert((*netuid, hotkey.clone())),
                    "a hotkey queued twice for pruning"
                );
            }
        }
        let mut departed = 0usize;
        for (netuid, hotkey, epoch) in DepartedAt::<T>::iter() {
            if Self::clearing(netuid) {
                continue;
            }
            departed = departed.saturating_add(1);
            ensure!(
                waiting.contains(&(netuid, hotkey)),
                "a departure not in its subnet's queue"
            );
            ensure!(epoch <= Self::epoch(netuid), "a departure from the future");
        }
        ensure!(
            departed == waiting.len(),
            "a departure queue names a hotkey with no departure"
        );
        Ok(())
    }

    /// Audits: each open audit is listed once in its subnet's open list and the reverse,
    /// re-judges an audited judgment of that subnet, has a valid size with that many distinct
    /// members, none of them on the case committee; its voters are its seats and none voted
    /// twice; it is undecided. Each appellant's held appeal deposit is the sum of its open
    /// appeals' deposits. A conviction's judgment is carried by its miner's pending slash;
    /// a dismissal's judgment exists only under audit.
    fn check_audits() -> Result<(), TryRuntimeError> {
        let mut listed: BTreeMap<crate::CaseId, NetUid> = BTreeMap::new();
        for (netuid, open) in OpenAudits::<T>::iter() {
            ensure!(
                open.len() <= T::MaxOpenAuditsPerSubnet::get() as usize,
                "more open audits than MaxOpenAuditsPerSubnet"
            );
            for id in open.iter() {
                ensure!(
                    listed.insert(*id, netuid).is_none(),
                    "an audit listed twice"
                );
            }
        }
        let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut audits = 0usize;
        for (id, audit) in Audits::<T>::iter() {
            audits = audits.saturating_add(1);
            ensure!(
                listed.get(&id) == Some(&audit.netuid),
                "an open audit not in its subnet's open list"
            );
            let judgment = Judgments::<T>::get(id).ok_or("an audit without its judgment")?;
            ensure!(judgment.audited, "an audited judgment not marked audited");
            ensure!(
                judgment.netuid == audit.netuid,
                "an audit on another subnet than its judgment"
            );
            let n = audit.members.len();
            ensure!(
                n == usize::from(audit.size.n()),
                "an audit committee's size differs from its members"
            );
            let distinct: BTreeSet<&T::AccountId> = audit.members.iter().collect();
            ensure!(distinct.len() == n, "an audit committee repeats a member");
            ensure!(
                audit.members.iter().all(|m| !judgment.members.contains(m)),
                "an audit committee shares a member with the case committee"
            );
            let seats = 1u16
                .checked_shl(u32::try_from(n).unwrap_or(u32::MAX))
                .unwrap_or(0)
                .wrapping_sub(1);
            ensure!(
                (audit.uphold | audit.overturn) & !seats == 0,
                "an audit voter is not on the audit committee"
            );
            ensure!(
                audit.uphold & audit.overturn == 0,
                "an audit seat voted both ways"
            );
            let decided = mindos_sentinels_math::verdict(audit.size, audit.tally(), false);
            match Escalations::<T>::get(id) {
                None => ensure!(
                    decided == Ok(Verdict::Open),
                    "an open audit already has a decision"
                ),
                Some(escalation) => {
                    ensure!(
                        decided == Ok(Verdict::Quarantine),
                        "an escalated audit did not overturn"
                    );
                    ensure!(
                        escalation.netuid == audit.netuid
                            && escalation.expires_at == audit.expires_at,
                        "an escalation's subnet or expiry differs from its audit's"
                    );
                }
            }
            if let Some((appellant, deposit)) = &audit.appellant {
                let held = deposits.entry(appellant.clone()).or_default();
                *held = held.saturating_add(*deposit);
            }
        }
        ensure!(
            audits == listed.len(),
            "an open audit list names an audit that does not exist"
        );
        for (who, deposit) in deposits {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::AppealDeposit.into(), &who) == deposit,
                "an appellant's held deposit differs from its open appeals'"
            );
        }
        for (id, judgment) in Judgments::<T>::iter() {
            if judgment.convicted {
                ensure!(
                    PendingSlashes::<T>::get(judgment.netuid, &judgment.accused)
                        .is_some_and(|s| s.cases.contains(&id)),
                    "a conviction not carried by its miner's pending slash"
                );
            } else {
                ensure!(
                    Audits::<T>::contains_key(id),
                    "a dismissal's judgment outside an audit"
                );
            }
        }
        Ok(())
    }

    fn check_committees() -> Result<(), TryRuntimeError> {
        let pending = PendingBoundaries::<T>::get();
        for (netuid, snapshot) in Candidates::<T>::iter() {
            ensure!(
                pending.contains(&netuid),
                "a candidate snapshot kept after its draw"
            );
            ensure!(
                snapshot.epoch == Self::epoch(netuid).saturating_add(1),
                "a candidate snapshot for another epoch than the next"
            );
            ensure!(
                snapshot
                    .candidates
                    .windows(2)
                    .all(|w| matches!(w, [a, b] if a.uid < b.uid)),
                "snapshot candidates not in strictly ascending uid order"
            );
        }
        for (netuid, epoch, committee) in Committees::<T>::iter() {
            if Self::clearing(netuid) {
                continue;
            }
            let n = committee.size.n();
            ensure!(
                CommitteeSize::new(n) == Some(committee.size),
                "committee of an invalid size"
            );
            ensure!(
                committee.members.len() == usize::from(n),
                "committee with a seat count other than its size"
            );
            ensure!(
                committee
                    .members
                    .windows(2)
                    .all(|w| matches!(w, [a, b] if a.0 < b.0)),
                "committee members not in strictly ascending uid order"
            );
            let hotkeys: BTreeSet<&T::AccountId> =
                committee.members.iter().map(|(_, h)| h).collect();
            ensure!(
                hotkeys.len() == committee.members.len(),
                "a hotkey sits twice on one committee"
            );
            let current = Self::epoch(netuid);
            ensure!(
                epoch <= current.saturating_add(1),
                "committee drawn more than one epoch ahead"
            );
            // Past committees go with the subnet's next boundary work, which may wait in the
            // queue (for more than one boundary when many subnets are due at once).
            ensure!(
                epoch >= current || pending.contains(&netuid),
                "a past committee kept after the boundary work"
            );
            for (_, hotkey) in committee.members.iter() {
                if let Some(q) = Quarantines::<T>::get(netuid, hotkey) {
                    ensure!(
                        q.since_block >= committee.drawn_at,
                        "a validator quarantined before the draw sits on the committee"
                    );
                }
            }
        }
        Ok(())
    }

    fn check_cases() -> Result<(), TryRuntimeError> {
        let next = NextCaseId::<T>::get();
        let mut listed: BTreeMap<u64, (NetUid, u16, T::AccountId)> = BTreeMap::new();
        for (netuid, open) in OpenCases::<T>::iter() {
            let uids: BTreeSet<u16> = open.iter().map(|o| o.uid).collect();
            ensure!(uids.len() == open.len(), "two open cases on one uid");
            let mut per_reporter: BTreeMap<&T::AccountId, u32> = BTreeMap::new();
            for entry in open.iter() {
                let count = per_reporter.entry(&entry.reporter).or_default();
                *count = count.saturating_add(1);
                ensure!(
                    listed
                        .insert(entry.id, (netuid, entry.uid, entry.reporter.clone()))
                        .is_none(),
                    "a case is listed twice"
                );
            }
            ensure!(
                per_reporter
                    .values()
                    .all(|c| *c <= T::MaxOpenReportsPerReporter::get()),
                "a reporter has more than MaxOpenReportsPerReporter open cases"
            );
        }
        let mut bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut cases = 0usize;
        for (id, case) in Cases::<T>::iter() {
            cases = cases.saturating_add(1);
            ensure!(id < next, "a case id at or above NextCaseId");
            ensure!(
                listed.get(&id) == Some(&(case.netuid, case.uid, case.reporter.clone())),
                "a case missing from its subnet's open list, or listed differently"
            );
            let n = usize::from(case.size.n());
            ensure!(
                CommitteeSize::new(case.size.n()) == Some(case.size) && case.members.len() == n,
                "a case's committee has an invalid size"
            );
            let distinct: BTreeSet<&T::AccountId> = case.members.iter().collect();
            ensure!(distinct.len() == n, "a case's committee repeats a member");
            let seats = 1u16.checked_shl(u32::from(case.size.n())).unwrap_or(0);
            let voters = case.guilty | case.not_guilty;
            ensure!(
                voters < seats,
                "a case has a voter outside its committee's seats"
            );
            ensure!(case.guilty & case.not_guilty == 0, "a seat voted both ways");
            let reporter_seat = case.members.iter().position(|m| *m == case.reporter);
            ensure!(
                reporter_seat.is_some_and(|seat| {
                    1u16.checked_shl(u32::try_from(seat).unwrap_or(u32::MAX))
                        .is_some_and(|bit| case.guilty & bit != 0)
                }),
                "the reporter is not on the case's committee or did not vote guilty"
            );
            ensure!(
                case.threshold >= case.size.threshold() && case.threshold <= case.size.n(),
                "a case's threshold is outside 2f + 1 ..= n"
            );
            ensure!(
                Self::judge(&case, false) == CaseVerdict::Open,
                "an open case already has a verdict"
            );
            let bond = bonds.entry(case.reporter.clone()).or_default();
            *bond = bond.saturating_add(case.bond);
        }
        ensure!(
            cases == listed.len(),
            "an open list names a case that does not exist"
        );
        // A conviction's bond stays held until its slash settles.
        for (_, judgment) in Judgments::<T>::iter() {
            let bond = bonds.entry(judgment.reporter.clone()).or_default();
            *bond = bond.saturating_add(judgment.bond);
        }
        for (reporter, bond) in bonds {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::ReportBond.into(), &reporter) == bond,
                "a reporter's held bond differs from its open cases' and convictions' bonds"
            );
        }
        Ok(())
    }

    fn check_quarantines() -> Result<(), TryRuntimeError> {
        for (netuid, _hotkey, q) in Quarantines::<T>::iter() {
            if Self::clearing(netuid) {
                continue;
            }
            ensure!(
                q.until_epoch > q.since_epoch,
                "a quarantine does not end after it begins"
            );
            ensure!(q.offences >= 1, "a quarantine counts no offence");
            ensure!(
                q.since_epoch <= Self::epoch(netuid),
                "a quarantine begins in the future"
            );
        }
        for (netuid, _hotkey, history) in OffenceHistory::<T>::iter() {
            if Self::clearing(netuid) {
                continue;
            }
            ensure!(
                history.windows(2).all(|w| matches!(w, [a, b] if a <= b)),
                "an offence history out of order"
            );
            ensure!(
                history.last().is_none_or(|e| *e <= Self::epoch(netuid)),
                "an offence from the future"
            );
        }
        Ok(())
    }

    fn check_keys() -> Result<(), TryRuntimeError> {
        for (netuid, _hotkey, history) in KeyHistory::<T>::iter() {
            if Self::clearing(netuid) {
                continue;
            }
            ensure!(
                history
                    .windows(2)
                    .all(|w| matches!(w, [a, b] if a.from_epoch <= b.from_epoch && a.key != b.key)),
                "a key history out of order or repeating a key"
            );
            ensure!(
                history
                    .last()
                    .is_none_or(|b| b.from_epoch <= Self::epoch(netuid)),
                "a key bound in the future"
            );
        }
        Ok(())
    }

    fn check_canaries() -> Result<(), TryRuntimeError> {
        let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        for (_, _, slash) in PendingSlashes::<T>::iter() {
            for (committer, deposit) in slash.canary_deposits.iter() {
                let held = deposits.entry(committer.clone()).or_default();
                *held = held.saturating_add(*deposit);
            }
        }
        for (netuid, canaries) in Canaries::<T>::iter() {
            let mut per_committer: BTreeMap<&T::AccountId, u32> = BTreeMap::new();
            for canary in canaries.iter() {
                let count = per_committer.entry(&canary.committer).or_default();
                *count = count.saturating_add(1);
                let held = deposits.entry(canary.committer.clone()).or_default();
                *held = held.saturating_add(canary.deposit);
            }
            ensure!(
                per_committer
                    .values()
                    .all(|c| *c <= T::MaxCanariesPerCommitter::get()),
                "a committer has more than MaxCanariesPerCommitter canaries on a subnet"
            );
            let distinct: BTreeSet<_> = canaries.iter().map(|c| c.commitment).collect();
            ensure!(distinct.len() == canaries.len(), "a canary committed twice");
            ensure!(
                canaries
                    .windows(2)
                    .all(|w| matches!(w, [a, b] if a.epoch <= b.epoch)),
                "canaries out of order"
            );
            ensure!(
                canaries
                    .last()
                    .is_none_or(|c| c.epoch <= Self::epoch(netuid)),
                "a canary from the future"
            );
        }
        for (committer, deposit) in deposits {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::CanaryDeposit.into(), &committer)
                    == deposit,
                "a committer's held canary deposit differs from its canaries' and slashes'"
            );
        }
        Ok(())
    }

    fn check_slashes() -> Result<(), TryRuntimeError> {
        let due = SlashesDue::<T>::get();
        let pending = PendingBoundaries::<T>::get();
        for queue in [&due, &pending] {
            let distinct: BTreeSet<&NetUid> = queue.iter().collect();
            ensure!(distinct.len() == queue.len(), "a subnet queued twice");
        }
        // Every settlement queue: its entries are exactly `head..tail`, in due-epoch order.
        let mut queued: BTreeMap<NetUid, BTreeMap<u64, (T::AccountId, u64)>> = BTreeMap::new();
        for (netuid, index, entry) in SlashQueue::<T>::iter() {
            if !Self::clearing(netuid) {
                queued.entry(netuid).or_default().insert(index, entry);
            }
        }
        for (netuid, entries) in queued.iter() {
            let (head, tail) = SlashQueueBounds::<T>::get(netuid);
            ensure!(
                entries.keys().copied().eq(head..tail),
                "a settlement queue's entries differ from its bounds"
            );
            ensure!(
                entries
                    .values()
                    .collect::<Vec<_>>()
                    .windows(2)
                    .all(|w| matches!(w, [a, b] if a.1 <= b.1)),
                "a settlement queue out of due-epoch order"
            );
            if entries
                .values()
                .next()
                .is_some_and(|(_, d)| *d < Self::epoch(*netuid))
            {
                ensure!(
                    due.contains(netuid) || pending.contains(netuid),
                    "a slash past its audit window is not queued for settlement"
                );
            }
        }
        for (netuid, _, _) in SlashQueueBounds::<T>::iter().map(|(n, b)| (n, b.0, b.1)) {
            ensure!(
                queued.contains_key(&netuid),
                "settlement queue bounds without entries"
            );
        }
        for (netuid, hotkey, slash) in PendingSlashes::<T>::iter() {
            if Self::clearing(netuid) {
                continue;
            }
            let latest = Self::epoch(netuid).saturating_add(u64::from(T::AuditWindowEpochs::get()));
            ensure!(
                slash.due_epoch <= latest,
                "a slash due after the audit window"
            );
            ensure!(slash.offences >= 1, "a pending slash merges no offence");
            ensure!(
                queued.get(&netuid).is_some_and(|q| q
                    .values()
                    .any(|(h, d)| *h == hotkey && *d == slash.due_epoch)),
                "a pending slash is not in its subnet's settlement queue"
            );
        }
        Ok(())
    }
}
