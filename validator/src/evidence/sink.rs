//! The evidence store's writer: transcripts queue in a bounded channel (never blocking the
//! challenge or gateway path that records them) and one task commits them to redb in batches
//! on a blocking thread, evicting the oldest past the byte bound and pruning each subnet's
//! epochs that fall out of the retention window.

use std::{collections::BTreeMap, sync::Arc};

use mindos_mesh::NetUid;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::to_evidence;
use crate::{
    metrics::Metrics,
    store::{PutOutcome, Store},
    transcript::{Transcript, TranscriptSink},
};

/// Most transcripts waiting for the writer.
pub(crate) const QUEUE_LEN: usize = 1024;
/// Most bytes of payloads waiting for the writer (a text-embedding transcript holds up to
/// ~113 KiB, a digits one ~3 KiB): past it, transcripts are dropped and counted.
pub(crate) const QUEUE_BYTES: u32 = 16 * 1024 * 1024;
/// Most transcripts one write transaction commits: one fsync for all of them.
pub(crate) const BATCH: usize = 256;

/// What a queued transcript holds besides its payloads (the signed response, the peer, the
/// timing), for the queue's byte budget.
const TRANSCRIPT_FIXED_BYTES: usize = 400;

/// A transcript on its way to the writer, holding its bytes of the queue's budget.
pub(crate) struct Queued {
    transcript: Transcript,
    _bytes: OwnedSemaphorePermit,
}

/// The [`TranscriptSink`] the challenge and gateway paths record to.
pub(crate) struct StoreSink {
    queue: mpsc::Sender<Queued>,
    budget: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

impl StoreSink {
    /// The sink and the queue its writer ([`write()`]) reads.
    pub(crate) fn new(metrics: Arc<Metrics>) -> (Self, mpsc::Receiver<Queued>) {
        let (queue, queued) = mpsc::channel(QUEUE_LEN);
        let budget = Arc::new(Semaphore::new(
            usize::try_from(QUEUE_BYTES).unwrap_or(usize::MAX),
        ));
        (
            Self {
                queue,
                budget,
                metrics,
            },
            queued,
        )
    }
}

impl TranscriptSink for StoreSink {
    fn record(&self, transcript: Transcript) {
        let size = transcript
            .input
            .get()
            .len()
            .saturating_add(transcript.output.get().len())
            .saturating_add(TRANSCRIPT_FIXED_BYTES);
        let permit = u32::try_from(size)
            .ok()
            .and_then(|size| self.budget.clone().try_acquire_many_owned(size).ok());
        let queued = permit.and_then(|bytes| {
            self.queue
                .try_send(Queued {
                    transcript,
                    _bytes: bytes,
                })
                .ok()
        });
        if queued.is_none() {
            tracing::debug!("the evidence queue is full; a transcript is dropped");
            count(&self.metrics, "dropped", 1);
        }
    }
}

fn count(metrics: &Metrics, outcome: &str, n: u64) {
    if n > 0 {
        metrics.transcripts.with_label_values(&[outcome]).inc_by(n);
    }
}

/// Where the writer prunes: per subnet, the first sentinel epoch to keep (the follower of
/// [`super::access`] moves it at each epoch).
pub(crate) type KeepFrom = BTreeMap<NetUid, u64>;

/// Writes queued transcripts in batches until `cancel` fires (then writes what is queued and
/// returns), keeping at most `max_bytes` of them, and prunes each subnet's transcripts before
/// the epoch `keep_from` names whenever it moves.
pub(crate) async fn write(
    store: Arc<Store>,
    mut queued: mpsc::Receiver<Queued>,
    mut keep_from: watch::Receiver<KeepFrom>,
    max_bytes: u64,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) {
    let mut pruned = KeepFrom::new();
    let mut batch = Vec::with_capacity(BATCH);
    // Off once no follower moves the epochs (a validator without a chain).
    let mut pruning = true;
    let usage_store = store.clone();
    if let Ok(Ok((_, bytes))) =
        tokio::task::spawn_blocking(move || usage_store.transcript_usage()).await
    {
        metrics
            .transcript_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }
    loop {
        tokio::select! {
            n = queued.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    return;
                }
                commit(&store, std::mem::take(&mut batch), max_bytes, &metrics).await;
            }
            changed = keep_from.changed(), if pruning => {
                if changed.is_err() {
                    pruning = false;
                    continue;
                }
                let wanted = keep_from.borrow_and_update().clone();
                prune(&store, &wanted, &mut pruned, &metrics).await;
            }
            () = cancel.cancelled() => {
                // What was recorded before shutdown is kept.
                while let Ok(next) = queued.try_recv() {
                    batch.push(next);
                }
                if !batch.is_empty() {
                    commit(&store, batch, max_bytes, &metrics).await;
                }
                return;
            }
        }
    }
}

async fn commit(store: &Arc<Store>, batch: Vec<Queued>, max_bytes: u64, metrics: &Metrics) {
    let count_in = u64::try_from(batch.len()).unwrap_or(u64::MAX);
    let store = store.clone();
    let written = tokio::task::spawn_blocking(move || {
        // Encoding is CPU work too: here, not on the executor.
        let transcripts: Vec<_> = batch.iter().map(|q| to_evidence(&q.transcript)).collect();
        drop(batch);
        store.put_transcripts(&transcripts, max_bytes)
    })
    .await;
    match written {
        Ok(Ok(outcome)) => record(metrics, &outcome),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, transcripts = count_in, "writing transcripts failed");
            count(metrics, "failed", count_in);
        }
        Err(e) => {
            tracing::error!(error = %e, "the transcript writer panicked");
            count(metrics, "failed", count_in);
        }
    }
}

fn record(metrics: &Metrics, outcome: &PutOutcome) {
    count(metrics, "stored", outcome.stored);
    count(metrics, "duplicate", outcome.duplicates);
    count(metrics, "too_large", outcome.too_large);
    count(metrics, "evicted", outcome.evicted);
    if outcome.evicted > 0 {
        tracing::debug!(
            evicted = outcome.evicted,
            "transcripts evicted to stay within the evidence bound"
        );
    }
    metrics
        .transcript_bytes
        .set(i64::try_from(outcome.bytes).unwrap_or(i64::MAX));
}

/// Prunes each subnet whose first epoch to keep moved since it was last pruned.
async fn prune(store: &Arc<Store>, wanted: &KeepFrom, pruned: &mut KeepFrom, metrics: &Metrics) {
    for (&netuid, &from) in wanted {
        if pruned.get(&netuid).is_some_and(|&done| done >= from) {
            continue;
        }
        let store = store.clone();
        let done = tokio::task::spawn_blocking(move || store.prune_transcripts(netuid, from)).await;
        match done {
            Ok(Ok((removed, bytes))) => {
                pruned.insert(netuid, from);
                count(metrics, "pruned", removed);
                metrics
                    .transcript_bytes
                    .set(i64::try_from(bytes).unwrap_or(i64::MAX));
                if removed > 0 {
                    tracing::info!(%netuid, before_epoch = from, removed, "pruned old transcripts");
                }
            }
            Ok(Err(e)) => tracing::warn!(%netuid, error = %e, "pruning transcripts failed"),
            Err(e) => tracing::error!(%netuid, error = %e, "the transcript pruner panicked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mindos_mesh::{evidence::TranscriptRef, PeerId};
    use serde_json::value::RawValue;

    use super::*;
    use crate::transcript::RequestKind;

    /// A recorded transcript, as the challenge path hands it over.
    fn transcript(nonce: u64, epoch: u64) -> Transcript {
        let kept = crate::evidence::tests::transcript(NetUid(1), epoch, nonce);
        Transcript {
            peer: PeerId::from_bytes(&kept.peer).unwrap(),
            kind: RequestKind::Challenge,
            input: RawValue::from_string(kept.input).unwrap(),
            output: RawValue::from_string(kept.output).unwrap(),
            evidence: kept.evidence,
            sent_at_ms: kept.sent_at_ms,
            answered_at_ms: kept.answered_at_ms,
        }
    }

    fn counted(metrics: &Metrics, outcome: &str) -> u64 {
        metrics.transcripts.with_label_values(&[outcome]).get()
    }

    #[tokio::test]
    async fn recorded_transcripts_are_written_and_pruned_off_the_executor() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("state.redb")).unwrap());
        let metrics = Arc::new(Metrics::new().unwrap());
        let (sink, queued) = StoreSink::new(metrics.clone());
        let (keep_tx, keep_rx) = watch::channel(KeepFrom::new());
        let cancel = CancellationToken::new();
        let writer = tokio::spawn(write(
            store.clone(),
            queued,
            keep_rx,
            1 << 20,
            metrics.clone(),
            cancel.clone(),
        ));
        let (old, new) = (transcript(1, 3), transcript(2, 5));
        let ids = [
            TranscriptRef::Challenge(mindos_mesh::evidence::TranscriptId::of(
                &old.evidence.response.challenge,
            )),
            TranscriptRef::Challenge(mindos_mesh::evidence::TranscriptId::of(
                &new.evidence.response.challenge,
            )),
        ];
        sink.record(old.clone());
        sink.record(new);
        sink.record(old);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while counted(&metrics, "stored") < 2 || counted(&metrics, "duplicate") < 1 {
            assert!(tokio::time::Instant::now() < deadline, "never written");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(store.transcripts(&ids).unwrap().iter().all(Option::is_some));

        keep_tx.send_replace(KeepFrom::from([(NetUid(1), 4)]));
        while counted(&metrics, "pruned") < 1 {
            assert!(tokio::time::Instant::now() < deadline, "never pruned");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let kept = store.transcripts(&ids).unwrap();
        assert!(kept[0].is_none() && kept[1].is_some(), "{kept:?}");
        cancel.cancel();
        writer.await.unwrap();
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let metrics = Arc::new(Metrics::new().unwrap());
        let (sink, _queued) = StoreSink::new(metrics.clone());
        for nonce in 0..QUEUE_LEN as u64 + 3 {
            sink.record(transcript(nonce, 1));
        }
        assert_eq!(counted(&metrics, "dropped"), 3);
    }
}
