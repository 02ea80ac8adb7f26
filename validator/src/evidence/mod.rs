//! Evidence: the validator keeps every answer whose signature it verified (a [`Transcript`])
//! for as long as the chain can use it, and serves it over `/mindos/evidence/1` to the
//! validators who must judge the miner: members of the subnet's sentinel committee (current
//! or next), of an open case or audit, or the electors of an escalated audit.
//!
//! - [`sink`]: the challenge and gateway paths hand transcripts to a bounded queue
//!   ([`StoreSink`]); a writer task commits them to the store in batches off the executor,
//!   keeps them within the byte bound and prunes those older than the retention window.
//! - [`access`]: who may fetch, refreshed from the chain at each new block.
//! - [`fetch`]: the sentinel duty's side, fetching another validator's transcript and
//!   checking it (input hash, output hash, the miner's signature) before trusting it.
//!
//! The store's tables are described in [`crate::store`]; the protocol in
//! [`mindos_mesh::evidence`].

pub(crate) mod access;
// The sentinel duty (issue 20) calls these; until it lands only the tests do.
#[allow(dead_code)]
pub(crate) mod fetch;
pub(crate) mod sink;

use std::sync::Arc;

use mindos_mesh::{
    evidence::{EvidenceSource, EvidenceTranscript, TranscriptKind, TranscriptRef},
    NetUid, PeerId,
};

use crate::{
    metrics::Metrics,
    store::Store,
    transcript::{RequestKind, Transcript},
};
pub(crate) use access::Access;
pub(crate) use sink::StoreSink;

/// Sentinel epochs a transcript is kept when the chain cannot be read: the runtime's
/// `MaxEvidenceAgeEpochs` (4) plus its `AuditWindowEpochs` (2). The chain's own values are
/// read at start ([`access::retention_epochs`]).
pub(crate) const DEFAULT_RETENTION_EPOCHS: u64 = 4 + 2;

/// A transcript as it is stored and served.
pub(crate) fn to_evidence(transcript: &Transcript) -> EvidenceTranscript {
    EvidenceTranscript {
        peer: transcript.peer.to_bytes(),
        kind: match transcript.kind {
            RequestKind::Challenge => TranscriptKind::Challenge,
            RequestKind::Query => TranscriptKind::Query,
            RequestKind::Canary => TranscriptKind::Canary,
        },
        input: transcript.input.get().to_owned(),
        output: transcript.output.get().to_owned(),
        evidence: transcript.evidence.clone(),
        sent_at_ms: transcript.sent_at_ms,
        answered_at_ms: transcript.answered_at_ms,
    }
}

/// What `/mindos/evidence/1` answers from: the store, to the peers [`Access`] lets in.
pub(crate) struct Keeper {
    pub(crate) store: Arc<Store>,
    pub(crate) access: Arc<Access>,
    pub(crate) metrics: Arc<Metrics>,
}

impl EvidenceSource for Keeper {
    fn authorize(&self, peer: &PeerId, netuid: NetUid) -> Result<(), String> {
        let verdict = self.access.authorize(peer, netuid);
        if let Err(reason) = &verdict {
            tracing::debug!(%peer, %netuid, %reason, "evidence refused");
            self.count("refused", 1);
        }
        verdict
    }

    fn lookup(&self, refs: &[TranscriptRef]) -> Result<Vec<Option<EvidenceTranscript>>, String> {
        let found = self.store.transcripts(refs).map_err(|e| e.to_string())?;
        let served = found.iter().filter(|t| t.is_some()).count();
        self.count("served", served);
        self.count("not_found", found.len().saturating_sub(served));
        Ok(found)
    }
}

impl Keeper {
    fn count(&self, outcome: &str, n: usize) {
        self.metrics
            .evidence_requests
            .with_label_values(&[outcome])
            .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use mindos_mesh::{receipt::sign_answer, Keypair};
    use mindos_primitives::evidence::{input_hash, Challenge, SeenBlock};

    use super::*;

    /// A transcript of subnet `netuid` signed by `miner`, as the tests store and check it.
    pub(crate) fn signed_transcript(
        miner: &Keypair,
        netuid: NetUid,
        epoch: u64,
        nonce: u64,
        input: &str,
        output: &str,
        output_hash: [u8; 32],
    ) -> EvidenceTranscript {
        let challenge = Challenge {
            netuid,
            uid: 2,
            hotkey: [4; 32],
            epoch,
            nonce,
            input_hash: input_hash(input.as_bytes()),
            model_digest: [7; 32],
            deadline: 100,
        };
        let seen = SeenBlock {
            number: 90,
            hash: [1; 32],
        };
        let (evidence, _) = sign_answer(miner, &GENESIS, challenge, seen, output_hash, 12).unwrap();
        EvidenceTranscript {
            peer: miner.public().to_peer_id().to_bytes(),
            kind: TranscriptKind::Challenge,
            input: input.to_owned(),
            output: output.to_owned(),
            evidence,
            sent_at_ms: 1_000,
            answered_at_ms: 1_012,
        }
    }

    /// The genesis hash the tests sign for.
    pub(crate) const GENESIS: [u8; 32] = [2; 32];

    /// A transcript with made-up payloads (for the store, which checks nothing).
    pub(crate) fn transcript(netuid: NetUid, epoch: u64, nonce: u64) -> EvidenceTranscript {
        let input = format!(r#"{{"pixels":[{nonce}]}}"#);
        signed_transcript(
            &Keypair::generate_ed25519(),
            netuid,
            epoch,
            nonce,
            &input,
            r#"{"label":1}"#,
            [8; 32],
        )
    }
}

/// The keeper behind a real mesh: the validator's authorization and store answer
/// `/mindos/evidence/1`, and the fetch side checks what it gets.
#[cfg(test)]
mod served {
    use std::{collections::HashSet, time::Duration};

    use mindos_mesh::{
        evidence::TranscriptRef, libp2p::multiaddr::Protocol, Keypair, Mesh, MeshClient, MeshConfig,
    };
    use mindos_subnets::EngineConfig;

    use super::{
        fetch::{fetch_checked, tests::honest, FetchError},
        tests::GENESIS,
        *,
    };
    use crate::{
        metagraph::{ChainSubnet, SubnetState},
        scoring::Scoreboard,
    };

    async fn node() -> MeshClient {
        let (client, mut events, event_loop) =
            Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
        tokio::spawn(event_loop.run(std::future::pending()));
        tokio::spawn(async move { while events.recv().await.is_some() {} });
        client
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_member_gets_a_checked_transcript_and_a_stranger_is_refused() {
        let engine = mindos_subnets::load("digits", &EngineConfig::default()).unwrap();
        let chain = ChainSubnet {
            netuid: NetUid(1),
            name: "digits".into(),
            task: None,
            tempo: 0,
            commit_reveal: false,
        };
        let subnet = SubnetState::new(
            &chain,
            engine.clone(),
            Scoreboard::new(0.1, Duration::from_millis(100)),
        );
        let miner = Keypair::generate_ed25519();
        let good = honest(&*engine, &miner);
        // A keeper that rewrote the answer it kept: another label than the miner signed.
        let mut forged = honest(&*engine, &miner);
        let label = engine.decode_output(forged.output.as_bytes()).unwrap();
        let mut other = engine.challenge(1).unwrap();
        let mut i = 1;
        while other.reference == label {
            i += 1;
            other = engine.challenge(i).unwrap();
        }
        forged.output = String::from_utf8(engine.encode_output(&other.reference).unwrap()).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("state.redb")).unwrap());
        store
            .put_transcripts(std::slice::from_ref(&good), u64::MAX)
            .unwrap();
        let (keeper, voter, stranger) = (node().await, node().await, node().await);
        let access = Arc::new(Access::default());
        access.set(NetUid(1), HashSet::from([voter.peer_id()]));
        keeper
            .serve_evidence(Arc::new(Keeper {
                store: store.clone(),
                access,
                metrics: Arc::new(Metrics::new().unwrap()),
            }))
            .unwrap();
        let addr = keeper.listen_addrs().await.unwrap().remove(0);
        let addr = addr.with(Protocol::P2p(keeper.peer_id()));
        voter.dial(addr.clone()).await.unwrap();
        stranger.dial(addr).await.unwrap();

        let wait = Duration::from_secs(10);
        let by_hash = TranscriptRef::Evidence {
            netuid: NetUid(1),
            hash: good.evidence_hash(),
        };
        let miners = vec![miner.public().to_peer_id()];
        let fetched = fetch_checked(
            &voter,
            keeper.peer_id(),
            by_hash,
            &subnet,
            GENESIS,
            miners.clone(),
            wait,
        )
        .await
        .unwrap();
        assert_eq!(fetched, good);

        let refused = fetch_checked(
            &stranger,
            keeper.peer_id(),
            by_hash,
            &subnet,
            GENESIS,
            miners.clone(),
            wait,
        )
        .await;
        assert!(
            matches!(refused, Err(FetchError::Refused { .. })),
            "{refused:?}"
        );

        // The forged transcript is served (the keeper's store checks nothing) but not believed.
        store.prune_transcripts(NetUid(1), u64::MAX).unwrap();
        store
            .put_transcripts(std::slice::from_ref(&forged), u64::MAX)
            .unwrap();
        let tampered = fetch_checked(
            &voter,
            keeper.peer_id(),
            TranscriptRef::Challenge(forged.id()),
            &subnet,
            GENESIS,
            miners,
            wait,
        )
        .await;
        assert!(
            matches!(tampered, Err(FetchError::OutputHash)),
            "{tampered:?}"
        );
    }
}
