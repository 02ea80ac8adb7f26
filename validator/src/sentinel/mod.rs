//! The sentinel duty (issue 20; design `shared/sentinels.md`, rules on the sentinels pallet's
//! calls): per validated subnet, at each finalized block, this validator
//!
//! 1. **follows its duty**: whether its hotkey sits on the subnet's current and next sentinel
//!    committee (read when the subnet's sentinel epoch changes, the only time they change),
//!    the open cases it may vote on, the open audits on whose committee it sits and the
//!    escalations whose electorate it is in (`mindos_cases`, one read a block);
//! 2. **reports** what its own checks found: a signed answer that disagrees with its run of
//!    the pinned model ([`Duty::offer_report`]) becomes `report(WrongOutput | MalformedOutput)`
//!    while it sits on the *current* committee, the miner has no open case and is not
//!    quarantined, within the chain's cap of open reports per reporter; two different signed
//!    outputs for one challenge ([`Duty::offer_equivocation`]) become `submit_equivocation`,
//!    which needs no committee;
//! 3. **votes** on the open cases it may vote on: fetches the transcript by the case's evidence
//!    hash from the reporter, checks it, re-executes the input ([`Judge`]) and votes guilty
//!    only when its own run disagrees with the miner's signed answer;
//! 4. **re-judges** audits and escalations the same way: overturn a conviction when the
//!    miner's answer was right (or the evidence does not hold), a dismissal when it was wrong.
//!
//! Every decision is logged with its reason (info for actions, debug for skips) and counted in
//! `mindos_validator_sentinel_actions_total{netuid,action,outcome}`; membership is the gauge
//! `mindos_validator_sentinel_member{netuid,duty}`.
//!
//! The chain calls go through [`DutyChain`] and the off-chain checks through [`Judge`], so the
//! decision logic is tested against a scripted chain.
//!
//! ## Choices
//!
//! - **An unreachable reporter clears the miner, late.** A vote needs the transcript, which
//!   only the reporter is sure to hold. When it cannot be fetched the duty retries with
//!   back-off (after 1, 2, 4 … 64 blocks: about 13 minutes of 6 s blocks in all, so a reporter
//!   restarting or briefly offline is waited for, since `2f + 1` not-guilty votes burn its
//!   bond) and, after [`MAX_JUDGE_ATTEMPTS`] attempts or when the case is within
//!   [`DECIDE_MARGIN`] blocks of expiring, votes not guilty: a conviction must
//!   rest on evidence the committee could check, and a reporter that withholds its evidence
//!   should lose its case: once `2f + 1` members vote not guilty the report is refuted and its
//!   bond burned (fewer, and the case is dismissed at expiry with the bond returned).
//! - **Audits without the transcript abstain.** An audit (and an escalation) names the case
//!   but not its evidence hash; the duty remembers the evidence hash and reporter of every
//!   case it saw open (the last [`CASES_REMEMBERED`] per subnet) and re-judges from those. An
//!   audit of a case it never saw (it joined later), of a canary failure (canary convictions
//!   open no case, so the conviction's transcript is not named anywhere the duty reads) or
//!   whose transcript cannot be fetched is not voted on: an undecided audit lets the verdict
//!   stand, which is what an abstention should do.
//! - **Failed submissions are retried at the next block** (a vote) or dropped (a report stays a
//!   candidate until it goes stale); a dispatch error that means "someone else did it"
//!   (`AlreadyQuarantined`, `EvidenceAlreadySanctioned`, `CaseAlreadyOpen`, `AlreadyVoted`) is
//!   counted `done_by_other` and logged at info, not as a warning.

pub(crate) mod canary;
pub(crate) mod fault;
pub(crate) mod run;

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    sync::Arc,
};

use mindos_chain_client::sentinels::{Cases, Committee};
use mindos_primitives::{evidence::SignedResponse, NetUid, SentinelOffence, VoteStatus};

use crate::metrics::Metrics;
pub(crate) use fault::Fault;

/// A hotkey, as the chain names accounts.
pub(crate) type Hotkey = [u8; 32];

/// Open reports one reporter may have (the runtime's `MaxOpenReportsPerReporter`).
pub(crate) const MAX_OPEN_REPORTS: usize = 2;
/// Report candidates kept per subnet (the newest win): more than a committee seat can use
/// within the evidence's age, each a few hundred bytes.
pub(crate) const MAX_CANDIDATES: usize = 16;
/// Equivocations waiting per subnet; each is two signed responses (about 600 bytes).
pub(crate) const MAX_EQUIVOCATIONS: usize = 16;
/// Sentinel epochs a candidate's evidence stays reportable: the runtime's
/// `MaxEvidenceAgeEpochs`; older transcripts may be pruned before the case is judged.
pub(crate) const MAX_EVIDENCE_AGE_EPOCHS: u64 = 4;
/// Cases whose evidence hash and reporter are remembered per subnet, for their audits (the
/// lowest ids are forgotten first); 72 bytes each.
pub(crate) const CASES_REMEMBERED: usize = 256;
/// Attempts at fetching and judging a case's transcript before voting not guilty.
pub(crate) const MAX_JUDGE_ATTEMPTS: u32 = 8;
/// Blocks before a case's expiry at which an unreachable reporter's case is decided.
pub(crate) const DECIDE_MARGIN: u32 = 3;

/// A judged offence the duty reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportOffence {
    /// Re-executing the pinned model gave another output.
    WrongOutput,
    /// The output does not parse as the subnet's output schema.
    MalformedOutput,
}

/// A call the duty submits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// `report(netuid, uid, offence, evidence_hash)`.
    Report {
        netuid: NetUid,
        uid: u16,
        offence: ReportOffence,
        evidence_hash: [u8; 32],
    },
    /// `vote(case, guilty)`.
    Vote { case: u64, guilty: bool },
    /// `audit_vote(case, uphold)`.
    AuditVote { case: u64, uphold: bool },
    /// `escalation_vote(case, overturn)`.
    EscalationVote { case: u64, overturn: bool },
    /// `submit_equivocation(netuid, uid, first, second)`.
    Equivocation {
        netuid: NetUid,
        uid: u16,
        first: Box<SignedResponse<Hotkey>>,
        second: Box<SignedResponse<Hotkey>>,
    },
}

impl std::fmt::Display for Call {
    /// A short form for logs (the signed responses are in the chain's events).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex =
            |bytes: &[u8]| -> String { bytes.iter().take(6).map(|b| format!("{b:02x}")).collect() };
        match self {
            Call::Report {
                uid,
                offence,
                evidence_hash,
                ..
            } => write!(
                f,
                "report uid {uid} {offence:?} evidence 0x{}…",
                hex(evidence_hash)
            ),
            Call::Vote { case, guilty } => write!(f, "vote case {case} guilty={guilty}"),
            Call::AuditVote { case, uphold } => write!(f, "audit_vote case {case} uphold={uphold}"),
            Call::EscalationVote { case, overturn } => {
                write!(f, "escalation_vote case {case} overturn={overturn}")
            }
            Call::Equivocation { uid, first, .. } => write!(
                f,
                "submit_equivocation uid {uid} nonce {}",
                first.response.challenge.nonce
            ),
        }
    }
}

/// Why a submission did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SubmitError {
    /// The chain refused it because it is done already (by another sentinel, or by this one
    /// before a restart): the pallet's error name.
    DoneByOther(String),
    /// Anything else.
    Failed(String),
}

/// The pallet errors that mean the work is done already.
pub(crate) const DONE_BY_OTHER: [&str; 4] = [
    "AlreadyQuarantined",
    "EvidenceAlreadySanctioned",
    "CaseAlreadyOpen",
    "AlreadyVoted",
];

impl SubmitError {
    /// Classifies an error's text: a [`DONE_BY_OTHER`] pallet error, or a failure.
    pub(crate) fn from_text(text: String) -> Self {
        match DONE_BY_OTHER.iter().find(|name| text.contains(*name)) {
            Some(name) => SubmitError::DoneByOther((*name).to_owned()),
            None => SubmitError::Failed(text),
        }
    }
}

/// The chain reads and calls the duty makes (the real one wraps
/// `mindos_chain_client::ChainClient::sentinels`; tests script it).
pub(crate) trait DutyChain: Sync {
    /// The subnet's sentinel epoch at the followed block.
    fn subnet_epoch(&self, netuid: NetUid) -> impl Future<Output = Result<u64, String>> + Send;
    /// The subnet's committee of `epoch`, `None` when the chain holds none.
    fn committee(
        &self,
        netuid: NetUid,
        epoch: u64,
    ) -> impl Future<Output = Result<Option<Committee>, String>> + Send;
    /// The subnet's open cases and audits.
    fn cases(&self, netuid: NetUid) -> impl Future<Output = Result<Cases, String>> + Send;
    /// The subnet's quarantined hotkeys.
    fn quarantined(
        &self,
        netuid: NetUid,
    ) -> impl Future<Output = Result<Vec<Hotkey>, String>> + Send;
    /// Submits `call` signed by this validator's hotkey, waiting for its finalized result.
    fn submit(&self, call: &Call) -> impl Future<Output = Result<(), SubmitError>> + Send;
}

/// What checking a transcript found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Judgment {
    /// The miner's signed answer agrees with this validator's run of the pinned model.
    Agrees,
    /// It disagrees (why).
    Disagrees(String),
    /// The transcript does not hold: wrong input or output hash, bad signature, another
    /// miner's, unparsable (why).
    Invalid(String),
    /// It could not be had: holder unreachable, not found, refused, re-execution failed (why).
    Unavailable(String),
}

/// The off-chain checks the duty relies on (the real one fetches with
/// `evidence::fetch::fetch_checked` and re-executes with `reexec`; tests script it).
pub(crate) trait Judge: Sync {
    /// Fetches the transcript with `evidence_hash` from the validator with hotkey `holder`
    /// (this validator's own store when it is this validator), checks it and re-executes its
    /// input with the pinned model.
    fn judge(
        &self,
        netuid: NetUid,
        evidence_hash: [u8; 32],
        holder: Hotkey,
    ) -> impl Future<Output = Judgment> + Send;
    /// One of this validator's own transcripts of an answer that agreed with the pinned
    /// model: `(uid, evidence hash)`. Only the `lying-reporter` fault uses it.
    fn honest_sample(&self, netuid: NetUid)
        -> impl Future<Output = Option<(u16, [u8; 32])>> + Send;
}

/// A report waiting for a seat and room under the cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) uid: u16,
    /// The miner's hotkey when it answered.
    pub(crate) hotkey: Hotkey,
    pub(crate) offence: ReportOffence,
    /// `mindos_mesh::evidence::evidence_hash` of its signed answer.
    pub(crate) evidence_hash: [u8; 32],
    /// The sentinel epoch the challenge named.
    pub(crate) epoch: u64,
}

/// Two signed answers of one miner to one challenge with different outputs.
#[derive(Clone, Debug)]
struct Equivocation {
    uid: u16,
    first: SignedResponse<Hotkey>,
    second: SignedResponse<Hotkey>,
}

/// Whether `first` and `second` are equivocation evidence: the same challenge, different
/// output hashes. (Their signatures are the caller's to have verified.)
pub(crate) fn is_equivocation(
    first: &SignedResponse<Hotkey>,
    second: &SignedResponse<Hotkey>,
) -> bool {
    first.response.challenge == second.response.challenge
        && first.response.output_hash != second.response.output_hash
}

/// Local state of an undecided case whose transcript could not be had.
#[derive(Clone, Copy, Debug)]
struct Retry {
    attempts: u32,
    next_block: u32,
}

/// The duty's state for one subnet.
#[derive(Default)]
struct SubnetDuty {
    /// The sentinel epoch membership was read for.
    epoch: Option<u64>,
    current_member: bool,
    next_member: bool,
    candidates: Vec<Candidate>,
    equivocations: Vec<Equivocation>,
    /// Cases, audits and escalations this validator decided (the chain refuses a second
    /// vote; remembering saves the fee). Pruned to what is still open.
    voted: BTreeSet<u64>,
    audited: BTreeSet<u64>,
    escalated: BTreeSet<u64>,
    retries: BTreeMap<u64, Retry>,
    /// Evidence hash and reporter of cases seen open, for their audits.
    seen: BTreeMap<u64, ([u8; 32], Hotkey)>,
}

/// The sentinel duty of one validator over its subnets.
pub(crate) struct Duty {
    me: Hotkey,
    fault: Option<Fault>,
    metrics: Arc<Metrics>,
    subnets: BTreeMap<NetUid, SubnetDuty>,
}

impl Duty {
    pub(crate) fn new(me: Hotkey, fault: Option<Fault>, metrics: Arc<Metrics>) -> Self {
        if let Some(fault) = fault {
            tracing::warn!(
                ?fault,
                "SENTINEL FAULT injected: this validator misbehaves on purpose"
            );
        }
        Self {
            me,
            fault,
            metrics,
            subnets: BTreeMap::new(),
        }
    }

    fn count(&self, netuid: NetUid, action: &str, outcome: &str) {
        self.metrics
            .sentinel_actions
            .with_label_values(&[netuid.to_string().as_str(), action, outcome])
            .inc();
    }

    /// Offers a judged offence found by this validator's checks for reporting. Kept (the
    /// newest [`MAX_CANDIDATES`] per subnet, one per miner) until reported or stale.
    pub(crate) fn offer_report(&mut self, netuid: NetUid, candidate: Candidate) {
        let state = self.subnets.entry(netuid).or_default();
        if let Some(kept) = state
            .candidates
            .iter_mut()
            .find(|c| c.hotkey == candidate.hotkey)
        {
            // One report per miner at a time: keep its newest evidence.
            if candidate.epoch >= kept.epoch {
                *kept = candidate;
            }
            return;
        }
        state.candidates.push(candidate);
        // Newest first; the oldest beyond the bound go.
        state.candidates.sort_by_key(|c| std::cmp::Reverse(c.epoch));
        let dropped = state
            .candidates
            .split_off(state.candidates.len().min(MAX_CANDIDATES));
        for c in dropped {
            tracing::debug!(%netuid, uid = c.uid, "report candidate dropped: too many waiting");
            self.count(netuid, "report", "skipped_overflow");
        }
    }

    /// Offers two signed answers of the miner at `uid` to one challenge. Ignored (with a
    /// debug log) unless they are equivocation evidence; kept, at most
    /// [`MAX_EQUIVOCATIONS`] per subnet, until submitted at the next block.
    pub(crate) fn offer_equivocation(
        &mut self,
        netuid: NetUid,
        uid: u16,
        first: SignedResponse<Hotkey>,
        second: SignedResponse<Hotkey>,
    ) {
        if !is_equivocation(&first, &second) {
            tracing::debug!(%netuid, uid, "two answers to one challenge agree: no equivocation");
            return;
        }
        let state = self.subnets.entry(netuid).or_default();
        let hotkey = first.response.challenge.hotkey;
        if state
            .equivocations
            .iter()
            .any(|e| e.first.response.challenge.hotkey == hotkey)
        {
            return; // one proof per miner quarantines it
        }
        if state.equivocations.len() >= MAX_EQUIVOCATIONS {
            tracing::debug!(%netuid, uid, "equivocation dropped: too many waiting");
            self.count(netuid, "equivocation", "skipped_overflow");
            return;
        }
        state
            .equivocations
            .push(Equivocation { uid, first, second });
    }

    /// Whether this validator sits on `netuid`'s current committee (as last read).
    #[cfg(test)]
    fn is_current_member(&self, netuid: NetUid) -> bool {
        self.subnets.get(&netuid).is_some_and(|s| s.current_member)
    }

    /// Does the duty for `netuid` at finalized block `block`. Errors reading the chain end
    /// this block's work (logged); the next block tries again.
    pub(crate) async fn on_block<C: DutyChain, J: Judge>(
        &mut self,
        chain: &C,
        judge: &J,
        netuid: NetUid,
        block: u32,
    ) {
        if let Err(error) = self.follow(chain, netuid).await {
            tracing::warn!(%netuid, %error, "sentinel duty: reading the committee failed");
            return;
        }
        let cases = match chain.cases(netuid).await {
            Ok(cases) => cases,
            Err(error) => {
                tracing::warn!(%netuid, %error, "sentinel duty: reading the cases failed");
                return;
            }
        };
        self.remember(netuid, &cases);
        if self.fault == Some(Fault::Silent) {
            let state = self.subnets.entry(netuid).or_default();
            let skipped = state
                .candidates
                .len()
                .saturating_add(state.equivocations.len());
            state.candidates.clear();
            state.equivocations.clear();
            if skipped > 0 {
                tracing::debug!(%netuid, skipped, "silent fault: nothing reported");
            }
            return;
        }
        self.equivocations(chain, netuid).await;
        self.reports(chain, judge, netuid, &cases).await;
        self.votes(chain, judge, netuid, &cases, block).await;
        self.audits(chain, judge, netuid, &cases).await;
    }

    /// Reads the committees when the subnet's sentinel epoch changed.
    async fn follow<C: DutyChain>(&mut self, chain: &C, netuid: NetUid) -> Result<(), String> {
        let epoch = chain.subnet_epoch(netuid).await?;
        if self.subnets.get(&netuid).and_then(|s| s.epoch) == Some(epoch) {
            return Ok(());
        }
        let me = self.me;
        let member = |c: &Option<Committee>| {
            c.as_ref()
                .is_some_and(|c| c.members.iter().any(|m| m.hotkey.0 == me))
        };
        let current = member(&chain.committee(netuid, epoch).await?);
        let next = member(&chain.committee(netuid, epoch.saturating_add(1)).await?);
        let state = self.subnets.entry(netuid).or_default();
        state.epoch = Some(epoch);
        state.current_member = current;
        state.next_member = next;
        tracing::info!(%netuid, epoch, current, next, "sentinel committee membership");
        for (duty, member) in [("current", current), ("next", next)] {
            self.metrics
                .sentinel_member
                .with_label_values(&[netuid.to_string().as_str(), duty])
                .set(i64::from(member));
        }
        Ok(())
    }

    /// Remembers the open cases' evidence and forgets decisions about closed ones.
    fn remember(&mut self, netuid: NetUid, cases: &Cases) {
        let state = self.subnets.entry(netuid).or_default();
        for case in cases.cases.iter().filter(|c| c.netuid == netuid) {
            state
                .seen
                .insert(case.id, (case.evidence_hash, case.reporter.0));
        }
        while state.seen.len() > CASES_REMEMBERED {
            state.seen.pop_first();
        }
        let open: BTreeSet<u64> = cases.cases.iter().map(|c| c.id).collect();
        let audited: BTreeSet<u64> = cases.audits.iter().map(|a| a.case).collect();
        state.voted.retain(|id| open.contains(id));
        state.retries.retain(|id, _| open.contains(id));
        state.audited.retain(|id| audited.contains(id));
        state.escalated.retain(|id| audited.contains(id));
    }

    async fn equivocations<C: DutyChain>(&mut self, chain: &C, netuid: NetUid) {
        let waiting = match self.subnets.get_mut(&netuid) {
            Some(state) => std::mem::take(&mut state.equivocations),
            None => return,
        };
        if waiting.is_empty() {
            return;
        }
        // A quarantined miner is not accused again: another sentinel was first, and a second
        // proof would only pile an offence on one misbehaviour.
        let quarantined = match chain.quarantined(netuid).await {
            Ok(q) => q,
            Err(error) => {
                tracing::warn!(%netuid, %error, "sentinel duty: reading quarantines failed");
                if let Some(state) = self.subnets.get_mut(&netuid) {
                    state.equivocations = waiting;
                }
                return;
            }
        };
        for e in waiting {
            if quarantined.contains(&e.first.response.challenge.hotkey) {
                tracing::debug!(%netuid, uid = e.uid, "equivocation not submitted: already quarantined");
                self.count(netuid, "equivocation", "skipped_quarantined");
                continue;
            }
            let call = Call::Equivocation {
                netuid,
                uid: e.uid,
                first: Box::new(e.first),
                second: Box::new(e.second),
            };
            self.submit(
                chain,
                netuid,
                "equivocation",
                &call,
                "two signed outputs for one challenge",
            )
            .await;
        }
    }

    async fn reports<C: DutyChain, J: Judge>(
        &mut self,
        chain: &C,
        judge: &J,
        netuid: NetUid,
        cases: &Cases,
    ) {
        let Some(state) = self.subnets.get_mut(&netuid) else {
            return;
        };
        let epoch = state.epoch.unwrap_or(0);
        // Stale evidence may be pruned before the committee could judge it.
        let (fresh, stale): (Vec<_>, Vec<_>) = std::mem::take(&mut state.candidates)
            .into_iter()
            .partition(|c| c.epoch.saturating_add(MAX_EVIDENCE_AGE_EPOCHS) >= epoch);
        state.candidates = fresh;
        let member = state.current_member;
        for c in stale {
            tracing::debug!(%netuid, uid = c.uid, epoch = c.epoch, "report candidate dropped: its evidence is too old");
            self.count(netuid, "report", "skipped_stale");
        }
        if !member {
            return; // only the current committee reports; candidates wait for a seat
        }
        if self.fault == Some(Fault::LyingReporter) {
            self.lie(chain, judge, netuid, cases).await;
            return;
        }
        let mine = cases
            .cases
            .iter()
            .filter(|c| c.reporter.0 == self.me)
            .count();
        let mut room = MAX_OPEN_REPORTS.saturating_sub(mine);
        if room == 0
            || self
                .subnets
                .get(&netuid)
                .is_none_or(|s| s.candidates.is_empty())
        {
            return;
        }
        let quarantined = match chain.quarantined(netuid).await {
            Ok(q) => q,
            Err(error) => {
                tracing::warn!(%netuid, %error, "sentinel duty: reading quarantines failed");
                return;
            }
        };
        let candidates = self
            .subnets
            .get_mut(&netuid)
            .map(|s| std::mem::take(&mut s.candidates))
            .unwrap_or_default();
        let mut kept = Vec::new();
        for c in candidates {
            if quarantined.contains(&c.hotkey) {
                tracing::debug!(%netuid, uid = c.uid, "not reported: already quarantined");
                self.count(netuid, "report", "skipped_quarantined");
                continue;
            }
            if cases.cases.iter().any(|case| case.accused.0 == c.hotkey) {
                tracing::debug!(%netuid, uid = c.uid, "not reported: a case is open");
                self.count(netuid, "report", "skipped_case_open");
                continue;
            }
            if room == 0 {
                kept.push(c);
                continue;
            }
            room = room.saturating_sub(1);
            let call = Call::Report {
                netuid,
                uid: c.uid,
                offence: c.offence,
                evidence_hash: c.evidence_hash,
            };
            let reason = match c.offence {
                ReportOffence::WrongOutput => "its signed answer disagrees with the pinned model",
                ReportOffence::MalformedOutput => "its signed answer does not parse",
            };
            self.submit(chain, netuid, "report", &call, reason).await;
        }
        if let Some(state) = self.subnets.get_mut(&netuid) {
            kept.append(&mut state.candidates);
            state.candidates = kept;
        }
    }

    /// `lying-reporter`: reports an honest answer instead of what the checks found.
    async fn lie<C: DutyChain, J: Judge>(
        &mut self,
        chain: &C,
        judge: &J,
        netuid: NetUid,
        cases: &Cases,
    ) {
        if cases.cases.iter().any(|c| c.reporter.0 == self.me) {
            return; // one lie at a time
        }
        let Some((uid, evidence_hash)) = judge.honest_sample(netuid).await else {
            tracing::debug!(%netuid, "lying-reporter fault: no honest transcript to report yet");
            return;
        };
        let call = Call::Report {
            netuid,
            uid,
            offence: ReportOffence::WrongOutput,
            evidence_hash,
        };
        self.submit(
            chain,
            netuid,
            "report",
            &call,
            "lying-reporter fault: an honest answer",
        )
        .await;
    }

    async fn votes<C: DutyChain, J: Judge>(
        &mut self,
        chain: &C,
        judge: &J,
        netuid: NetUid,
        cases: &Cases,
        block: u32,
    ) {
        let me = self.me;
        for case in cases.cases.iter().filter(|c| c.netuid == netuid) {
            let may_vote = case.status == VoteStatus::Voting
                && case.members.iter().any(|m| m.0 == me)
                && !case
                    .guilty
                    .iter()
                    .chain(&case.not_guilty)
                    .any(|m| m.0 == me);
            let state = self.subnets.entry(netuid).or_default();
            if !may_vote || state.voted.contains(&case.id) {
                continue;
            }
            if state
                .retries
                .get(&case.id)
                .is_some_and(|r| r.next_block > block)
            {
                continue;
            }
            let (guilty, reason) = match self.fault {
                Some(Fault::VoteGuilty) => (true, "vote-guilty fault".to_owned()),
                Some(Fault::VoteNotGuilty) => (false, "vote-not-guilty fault".to_owned()),
                _ => match judge
                    .judge(netuid, case.evidence_hash, case.reporter.0)
                    .await
                {
                    Judgment::Disagrees(why) => (true, format!("re-execution disagrees: {why}")),
                    Judgment::Agrees => (false, "re-execution agrees".to_owned()),
                    Judgment::Invalid(why) => {
                        (false, format!("the transcript does not hold: {why}"))
                    }
                    Judgment::Unavailable(why) => {
                        let state = self.subnets.entry(netuid).or_default();
                        let retry = state.retries.entry(case.id).or_insert(Retry {
                            attempts: 0,
                            next_block: block,
                        });
                        retry.attempts = retry.attempts.saturating_add(1);
                        let late = block.saturating_add(DECIDE_MARGIN) >= case.expires_at;
                        if retry.attempts < MAX_JUDGE_ATTEMPTS && !late {
                            let wait = 1u32 << retry.attempts.saturating_sub(1).min(8);
                            retry.next_block = block.saturating_add(wait);
                            tracing::debug!(
                                %netuid, case = case.id, attempts = retry.attempts, %why,
                                "the case's transcript is unavailable; retrying"
                            );
                            continue;
                        }
                        (false, format!("the transcript stayed unavailable: {why}"))
                    }
                },
            };
            let action = if guilty {
                "vote_guilty"
            } else {
                "vote_not_guilty"
            };
            let call = Call::Vote {
                case: case.id,
                guilty,
            };
            if self.submit(chain, netuid, action, &call, &reason).await {
                self.subnets
                    .entry(netuid)
                    .or_default()
                    .voted
                    .insert(case.id);
            }
        }
    }

    async fn audits<C: DutyChain, J: Judge>(
        &mut self,
        chain: &C,
        judge: &J,
        netuid: NetUid,
        cases: &Cases,
    ) {
        let me = self.me;
        for audit in cases.audits.iter().filter(|a| a.netuid == netuid) {
            if audit.status != VoteStatus::Voting {
                continue;
            }
            let escalation = audit.escalation.as_ref();
            let (action_kind, may_vote) = match escalation {
                None => (
                    "audit",
                    audit.members.iter().any(|m| m.0 == me)
                        && !audit
                            .uphold
                            .iter()
                            .chain(&audit.overturn)
                            .any(|m| m.0 == me),
                ),
                Some(e) => (
                    "escalation",
                    e.electors
                        .iter()
                        .any(|el| el.hotkey.0 == me && el.vote.is_none()),
                ),
            };
            let state = self.subnets.entry(netuid).or_default();
            let done = if escalation.is_none() {
                &state.audited
            } else {
                &state.escalated
            };
            if !may_vote || done.contains(&audit.case) {
                continue;
            }
            let Some((evidence_hash, reporter)) = state.seen.get(&audit.case).copied() else {
                let why = if audit.offence == SentinelOffence::CanaryFailure {
                    "a canary conviction names no transcript the duty can read"
                } else {
                    "its case was never seen open"
                };
                tracing::debug!(%netuid, case = audit.case, why, "audit not voted: evidence unknown");
                self.count(netuid, action_kind, "skipped_evidence_unknown");
                mark(
                    self.subnets.entry(netuid).or_default(),
                    escalation.is_some(),
                    audit.case,
                );
                continue;
            };
            let judgment = judge.judge(netuid, evidence_hash, reporter).await;
            let Some((overturn, reason)) = audit_decision(audit.convicted, &judgment) else {
                tracing::debug!(%netuid, case = audit.case, ?judgment, "audit not voted: the transcript is unavailable");
                self.count(netuid, action_kind, "skipped_unavailable");
                mark(
                    self.subnets.entry(netuid).or_default(),
                    escalation.is_some(),
                    audit.case,
                );
                continue;
            };
            let (action, call) = match escalation {
                None => (
                    if overturn {
                        "audit_overturn"
                    } else {
                        "audit_uphold"
                    },
                    Call::AuditVote {
                        case: audit.case,
                        uphold: !overturn,
                    },
                ),
                Some(_) => (
                    if overturn {
                        "escalation_overturn"
                    } else {
                        "escalation_uphold"
                    },
                    Call::EscalationVote {
                        case: audit.case,
                        overturn,
                    },
                ),
            };
            if self.submit(chain, netuid, action, &call, &reason).await {
                mark(
                    self.subnets.entry(netuid).or_default(),
                    escalation.is_some(),
                    audit.case,
                );
            }
        }
    }

    /// Submits `call`, logs and counts the result; whether it is done (submitted, or done by
    /// another).
    async fn submit<C: DutyChain>(
        &self,
        chain: &C,
        netuid: NetUid,
        action: &str,
        call: &Call,
        reason: &str,
    ) -> bool {
        match chain.submit(call).await {
            Ok(()) => {
                tracing::info!(%netuid, action, %call, reason, "sentinel duty: submitted");
                self.count(netuid, action, "submitted");
                true
            }
            Err(SubmitError::DoneByOther(name)) => {
                tracing::info!(%netuid, action, %call, reason, error = %name, "sentinel duty: already done");
                self.count(netuid, action, "done_by_other");
                true
            }
            Err(SubmitError::Failed(error)) => {
                tracing::warn!(%netuid, action, %call, reason, %error, "sentinel duty: submission failed");
                self.count(netuid, action, "failed");
                false
            }
        }
    }
}

/// Remembers that an audit (or its escalation) is decided.
fn mark(state: &mut SubnetDuty, escalation: bool, case: u64) {
    if escalation {
        state.escalated.insert(case);
    } else {
        state.audited.insert(case);
    }
}

/// Whether to overturn a verdict (`convicted`: it convicted the miner) given what re-judging
/// its transcript found, with the reason; `None` to abstain. A conviction is overturned when
/// the miner's answer was right or the evidence does not hold; a dismissal when the answer
/// was wrong.
pub(crate) fn audit_decision(convicted: bool, judgment: &Judgment) -> Option<(bool, String)> {
    match judgment {
        Judgment::Agrees => Some((convicted, "re-execution agrees with the miner".to_owned())),
        Judgment::Disagrees(why) => Some((!convicted, format!("re-execution disagrees: {why}"))),
        Judgment::Invalid(why) => Some((convicted, format!("the transcript does not hold: {why}"))),
        Judgment::Unavailable(_) => None,
    }
}

#[cfg(test)]
mod tests;
