//! The duty on a live validator: the chain through [`ChainDuty`] (`client.sentinels()`,
//! signed by the validator's hotkey), the checks through [`MeshJudge`] (the evidence store,
//! `/mindos/evidence/1` and re-execution), fed at each finalized block with the
//! disagreements re-execution found ([`crate::reexec::Reexecutor::take_mismatches`]) and the
//! equivocations the evidence store saw ([`crate::store::Store::take_equivocations`]).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use mindos_chain_client::{
    sentinels::{evidence_from, JudgedOffence},
    ChainError,
};
use mindos_mesh::evidence::{evidence_hash, TranscriptId, TranscriptRef};
use mindos_primitives::NetUid;
use mindos_subnets::Disagreement;
use tokio::sync::watch;

use super::{
    Call, Candidate, Duty, DutyChain, Fault, Hotkey, Judge, Judgment, ReportOffence, SubmitError,
};
use crate::{
    chain::ChainSession,
    evidence::fetch::{self, FetchError},
    sentinel::Committee,
    transcript::{RequestKind, Transcript, TranscriptSink},
    Context,
};

/// How long one transcript fetch from another validator may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Finalized blocks a disagreement waits for its transcript to be written (the evidence
/// writer commits in batches) before it is dropped.
const PENDING_BLOCKS: u32 = 5;
/// Disagreements waiting for their transcripts at most (the oldest are dropped).
const PENDING_MAX: usize = 64;
/// Recent challenge transcripts the `lying-reporter` fault picks from.
const RECENT_MAX: usize = 32;

/// The sentinels pallet through the chain client, signed by the validator's hotkey.
pub(crate) struct ChainDuty {
    pub(crate) session: ChainSession,
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl DutyChain for ChainDuty {
    async fn subnet_epoch(&self, netuid: NetUid) -> Result<u64, String> {
        let at = self.session.at_finalized().await.map_err(text)?;
        let client = self.session.client();
        client
            .sentinels()
            .subnet_epoch(&at, netuid)
            .await
            .map_err(text)
    }

    async fn committee(&self, netuid: NetUid, epoch: u64) -> Result<Option<Committee>, String> {
        let client = self.session.client();
        match client.sentinels().committee(netuid, Some(epoch)).await {
            Ok(committee) => Ok(Some(committee)),
            Err(ChainError::CommitteeNotStored { .. }) => Ok(None),
            Err(e) => Err(text(e)),
        }
    }

    async fn cases(&self, netuid: NetUid) -> Result<super::Cases, String> {
        let client = self.session.client();
        client.sentinels().cases(Some(netuid)).await.map_err(text)
    }

    async fn quarantined(&self, netuid: NetUid) -> Result<Vec<Hotkey>, String> {
        let client = self.session.client();
        let rows = client
            .sentinels()
            .quarantines(Some(netuid))
            .await
            .map_err(text)?;
        Ok(rows.into_iter().map(|q| q.hotkey.0).collect())
    }

    async fn submit(&self, call: &Call) -> Result<(), SubmitError> {
        let client = self.session.client();
        let sentinels = client.sentinels();
        let key = &*self.session.hotkey;
        let result = match call {
            Call::Report {
                netuid,
                uid,
                offence,
                evidence_hash,
            } => {
                let offence = match offence {
                    ReportOffence::WrongOutput => JudgedOffence::WrongOutput,
                    ReportOffence::MalformedOutput => JudgedOffence::MalformedOutput,
                };
                sentinels
                    .report(key, *netuid, *uid, offence, *evidence_hash)
                    .await
            }
            Call::Vote { case, guilty } => sentinels.vote(key, *case, *guilty).await,
            Call::AuditVote { case, uphold } => sentinels.audit_vote(key, *case, *uphold).await,
            Call::EscalationVote { case, overturn } => {
                sentinels.escalation_vote(key, *case, *overturn).await
            }
            Call::Equivocation {
                netuid,
                uid,
                first,
                second,
            } => {
                sentinels
                    .submit_equivocation(
                        key,
                        *netuid,
                        *uid,
                        evidence_from(first),
                        evidence_from(second),
                    )
                    .await
            }
        };
        result
            .map(|_| ())
            .map_err(|e| SubmitError::from_text(e.to_string()))
    }
}

/// Challenge transcripts seen lately `(netuid, uid, evidence hash)`, newest last, for the
/// `lying-reporter` fault; the sink records every transcript on to the evidence store.
pub(crate) struct RecentSink {
    pub(crate) inner: Arc<dyn TranscriptSink>,
    pub(crate) recent: Mutex<VecDeque<(NetUid, u16, [u8; 32])>>,
}

impl TranscriptSink for RecentSink {
    fn record(&self, transcript: Transcript) {
        if transcript.kind == RequestKind::Challenge {
            let challenge = &transcript.evidence.response.challenge;
            let entry = (
                challenge.netuid,
                challenge.uid,
                evidence_hash(&transcript.evidence),
            );
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            if recent.len() >= RECENT_MAX {
                recent.pop_front();
            }
            recent.push_back(entry);
        }
        self.inner.record(transcript);
    }
}

/// Fetches, checks and re-executes transcripts for votes and audits.
pub(crate) struct MeshJudge {
    pub(crate) ctx: Arc<Context>,
    pub(crate) session: ChainSession,
    pub(crate) me: Hotkey,
    /// Set with the `lying-reporter` fault only.
    pub(crate) recent: Option<Arc<RecentSink>>,
}

/// Whether a fetch failure says the transcript is bad (`Invalid`) or only that it could not
/// be had (`Unavailable`, retried).
fn classify(error: FetchError) -> Judgment {
    match error {
        FetchError::Mesh { .. }
        | FetchError::RequestRefused { .. }
        | FetchError::Refused { .. }
        | FetchError::NotFound { .. }
        | FetchError::TooLarge { .. } => Judgment::Unavailable(error.to_string()),
        _ => Judgment::Invalid(error.to_string()),
    }
}

impl Judge for MeshJudge {
    async fn judge(&self, netuid: NetUid, hash: [u8; 32], holder: Hotkey) -> Judgment {
        let Some(subnet) = self.ctx.subnets.get(&netuid).cloned() else {
            return Judgment::Unavailable(format!("subnet {netuid} is not validated here"));
        };
        let wanted = TranscriptRef::Evidence { netuid, hash };
        let transcript = if holder == self.me {
            let store = self.ctx.store.clone();
            match tokio::task::spawn_blocking(move || store.transcript_by_evidence(netuid, hash))
                .await
            {
                Ok(Ok(Some(t))) => t,
                Ok(Ok(None)) => {
                    return Judgment::Unavailable("not in this validator's store".into())
                }
                Ok(Err(e)) => return Judgment::Unavailable(e.to_string()),
                Err(e) => return Judgment::Unavailable(e.to_string()),
            }
        } else {
            let Some(peer) = fetch::miner_peer(&subnet, &holder) else {
                return Judgment::Unavailable("the reporter serves no PeerId".into());
            };
            match fetch::fetch_transcript(&self.ctx.mesh, peer, wanted, FETCH_TIMEOUT).await {
                Ok(t) => t,
                Err(e) => return classify(e),
            }
        };
        let challenge = &transcript.evidence.response.challenge;
        let (hotkey, epoch) = (challenge.hotkey, challenge.epoch);
        let mut miners = fetch::miner_keys(&self.session, netuid, hotkey, epoch)
            .await
            .unwrap_or_default();
        if miners.is_empty() {
            miners.extend(fetch::miner_peer(&subnet, &hotkey));
        }
        let genesis = self.session.genesis_hash();
        let engine = subnet.engine.clone();
        let checked = tokio::task::spawn_blocking(move || {
            fetch::check_transcript(&transcript, &wanted, &*engine, &genesis, &miners)
                .map(|()| transcript)
        })
        .await;
        let transcript = match checked {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => return classify(e),
            Err(e) => return Judgment::Unavailable(e.to_string()),
        };
        match self
            .ctx
            .reexec
            .recheck(subnet.engine.clone(), transcript.input, transcript.output)
            .await
        {
            Ok(Ok(())) => Judgment::Agrees,
            Ok(Err(disagreement)) => Judgment::Disagrees(disagreement.to_string()),
            Err(e) => Judgment::Unavailable(format!("re-execution: {e}")),
        }
    }

    async fn honest_sample(&self, netuid: NetUid) -> Option<(u16, [u8; 32])> {
        let recent: Vec<_> = {
            let sink = self.recent.as_ref()?;
            let recent = sink.recent.lock().unwrap_or_else(PoisonError::into_inner);
            recent
                .iter()
                .rev()
                .filter(|(n, _, _)| *n == netuid)
                .copied()
                .collect()
        };
        for (_, uid, hash) in recent {
            if self.judge(netuid, hash, self.me).await == Judgment::Agrees {
                return Some((uid, hash));
            }
        }
        None
    }
}

/// A disagreement waiting for its transcript to be written.
struct Pending {
    netuid: NetUid,
    uid: u16,
    hotkey: Hotkey,
    offence: ReportOffence,
    id: TranscriptId,
    blocks: u32,
}

/// Runs the duty at each finalized block until shutdown.
pub(crate) async fn run(
    ctx: Arc<Context>,
    session: ChainSession,
    mut blocks: watch::Receiver<u64>,
    fault: Option<Fault>,
    recent: Option<Arc<RecentSink>>,
) {
    let me = session.hotkey_id.0;
    let chain = ChainDuty {
        session: session.clone(),
    };
    let judge = MeshJudge {
        ctx: ctx.clone(),
        session,
        me,
        recent,
    };
    let mut duty = Duty::new(me, fault, ctx.metrics.clone());
    let mut pending: VecDeque<Pending> = VecDeque::new();
    loop {
        tokio::select! {
            () = ctx.cancel.cancelled() => return,
            changed = blocks.changed() => if changed.is_err() { return },
        }
        let block = u32::try_from(*blocks.borrow_and_update()).unwrap_or(u32::MAX);
        for m in ctx.reexec.take_mismatches() {
            let Some(id) = m.challenge else {
                tracing::debug!(netuid = %m.netuid, uid = %m.uid, "disagreement not reportable: no signed challenge names it");
                continue;
            };
            let offence = match m.reason {
                Disagreement::Invalid { .. } => ReportOffence::MalformedOutput,
                _ => ReportOffence::WrongOutput,
            };
            if pending.len() >= PENDING_MAX {
                pending.pop_front();
            }
            pending.push_back(Pending {
                netuid: m.netuid,
                uid: m.uid.0,
                hotkey: m.hotkey,
                offence,
                id,
                blocks: 0,
            });
        }
        resolve(&ctx, &mut duty, &mut pending).await;
        for (first, second) in ctx.store.take_equivocations() {
            let challenge = &first.response.challenge;
            let (netuid, uid) = (challenge.netuid, challenge.uid);
            duty.offer_equivocation(netuid, uid, first, second);
        }
        for netuid in ctx.subnets.keys() {
            duty.on_block(&chain, &judge, *netuid, block).await;
        }
    }
}

/// Offers the waiting disagreements whose transcripts are written as report candidates.
async fn resolve(ctx: &Context, duty: &mut Duty, pending: &mut VecDeque<Pending>) {
    if pending.is_empty() {
        return;
    }
    let refs: Vec<TranscriptRef> = pending
        .iter()
        .map(|p| TranscriptRef::Challenge(p.id))
        .collect();
    let store = ctx.store.clone();
    let found = match tokio::task::spawn_blocking(move || store.transcripts(&refs)).await {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "sentinel duty: reading transcripts failed");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "sentinel duty: reading transcripts failed");
            return;
        }
    };
    let mut still = VecDeque::new();
    for (p, transcript) in std::mem::take(pending).into_iter().zip(found) {
        match transcript {
            Some(t) => duty.offer_report(
                p.netuid,
                Candidate {
                    uid: p.uid,
                    hotkey: p.hotkey,
                    offence: p.offence,
                    evidence_hash: evidence_hash(&t.evidence),
                    epoch: p.id.epoch,
                },
            ),
            None if p.blocks < PENDING_BLOCKS => still.push_back(Pending {
                blocks: p.blocks.saturating_add(1),
                ..p
            }),
            None => {
                tracing::debug!(netuid = %p.netuid, uid = p.uid, "disagreement not reportable: its transcript was not kept");
            }
        }
    }
    *pending = still;
}
