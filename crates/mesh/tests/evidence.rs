//! `/mindos/evidence/1` between two (or three) in-process meshes on loopback: a transcript is
//! served to an authorized peer and refused to another, unknown ones are not found, and
//! malformed, oversized and over-the-limit requests get their errors while the stream stays
//! usable.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    missing_docs
)]

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use futures::{AsyncReadExt, AsyncWriteExt};
use mindos_mesh::{
    evidence::{
        evidence_hash, EvidenceErrorCode, EvidenceItem, EvidenceRequest, EvidenceResponse,
        EvidenceSource, EvidenceTranscript, TranscriptId, TranscriptKind, TranscriptRef,
        MAX_EVIDENCE_REQUEST_SIZE, MAX_REFS_PER_REQUEST, MAX_STREAMS_PER_PEER,
    },
    libp2p::multiaddr::Protocol,
    receipt::sign_answer,
    Keypair, Mesh, MeshClient, MeshConfig, MeshError, NetUid, PeerId,
};
use mindos_primitives::evidence::{input_hash, Challenge, SeenBlock};

const NETUID: NetUid = NetUid(3);
const WAIT: Duration = Duration::from_secs(10);

/// Transcripts by id, served to `allowed` only.
struct Source {
    allowed: HashSet<PeerId>,
    kept: HashMap<TranscriptId, EvidenceTranscript>,
}

impl EvidenceSource for Source {
    fn authorize(&self, peer: &PeerId, netuid: NetUid) -> Result<(), String> {
        if self.allowed.contains(peer) {
            Ok(())
        } else {
            Err(format!("{peer} sits on no committee of subnet {netuid}"))
        }
    }

    fn lookup(&self, refs: &[TranscriptRef]) -> Result<Vec<Option<EvidenceTranscript>>, String> {
        Ok(refs
            .iter()
            .map(|r| match r {
                TranscriptRef::Challenge(id) => self.kept.get(id).cloned(),
                TranscriptRef::Evidence { hash, .. } => self
                    .kept
                    .values()
                    .find(|t| t.evidence_hash() == *hash)
                    .cloned(),
            })
            .collect())
    }
}

fn transcript(nonce: u64) -> EvidenceTranscript {
    let miner = Keypair::generate_ed25519();
    let input = format!(r#"{{"pixels":[{nonce},1,2]}}"#);
    let challenge = Challenge {
        netuid: NETUID,
        uid: 4,
        hotkey: [4; 32],
        epoch: 9,
        nonce,
        input_hash: input_hash(input.as_bytes()),
        model_digest: [7; 32],
        deadline: 100,
    };
    let seen = SeenBlock {
        number: 90,
        hash: [1; 32],
    };
    let (evidence, _) = sign_answer(&miner, &[2; 32], challenge, seen, [8; 32], 12).unwrap();
    EvidenceTranscript {
        peer: miner.public().to_peer_id().to_bytes(),
        kind: TranscriptKind::Challenge,
        input,
        output: r#"{"label":3}"#.into(),
        evidence,
        sent_at_ms: 1_000,
        answered_at_ms: 1_012,
    }
}

async fn node() -> MeshClient {
    let (client, mut events, event_loop) =
        Mesh::new(MeshConfig::local(Keypair::generate_ed25519())).unwrap();
    tokio::spawn(event_loop.run(std::future::pending()));
    // Evidence does not go through the events; they are read and dropped.
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    client
}

/// A keeper serving `kept` to `allowed`, and its address.
async fn keeper(allowed: &[PeerId], kept: &[EvidenceTranscript]) -> MeshClient {
    let keeper = node().await;
    let source = Source {
        allowed: allowed.iter().copied().collect(),
        kept: kept.iter().map(|t| (t.id(), t.clone())).collect(),
    };
    keeper.serve_evidence(Arc::new(source)).unwrap();
    keeper
}

async fn connect(from: &MeshClient, to: &MeshClient) {
    let addr = to.listen_addrs().await.unwrap().remove(0);
    from.dial(addr.with(Protocol::P2p(to.peer_id())))
        .await
        .unwrap();
}

fn by_id(t: &EvidenceTranscript) -> TranscriptRef {
    TranscriptRef::Challenge(t.id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcript_is_served_to_an_authorized_peer_only() {
    let voter = node().await;
    let stranger = node().await;
    let kept = transcript(1);
    let keeper = keeper(&[voter.peer_id()], std::slice::from_ref(&kept)).await;
    connect(&voter, &keeper).await;
    connect(&stranger, &keeper).await;

    let missing = TranscriptId {
        nonce: 2,
        ..kept.id()
    };
    let request = EvidenceRequest {
        refs: vec![
            by_id(&kept),
            TranscriptRef::Challenge(missing),
            TranscriptRef::Evidence {
                netuid: NETUID,
                hash: evidence_hash(&kept.evidence),
            },
        ],
    };
    let answer = voter
        .fetch_evidence(keeper.peer_id(), &request, WAIT)
        .await
        .unwrap();
    assert_eq!(
        answer,
        EvidenceResponse::Items(vec![
            EvidenceItem::Found(kept.clone()),
            EvidenceItem::NotFound,
            EvidenceItem::Found(kept.clone()),
        ])
    );

    // The stranger learns nothing, not even which transcripts exist.
    let answer = stranger
        .fetch_evidence(keeper.peer_id(), &request, WAIT)
        .await
        .unwrap();
    let EvidenceResponse::Items(items) = answer else {
        panic!("{answer:?}");
    };
    assert_eq!(items.len(), 3);
    for item in items {
        assert!(
            matches!(&item, EvidenceItem::Refused(reason) if reason.contains("committee")),
            "{item:?}"
        );
    }

    // A hash of another subnet names nothing here.
    let elsewhere = EvidenceRequest {
        refs: vec![TranscriptRef::Evidence {
            netuid: NetUid(4),
            hash: evidence_hash(&kept.evidence),
        }],
    };
    assert_eq!(
        voter
            .fetch_evidence(keeper.peer_id(), &elsewhere, WAIT)
            .await
            .unwrap(),
        EvidenceResponse::Items(vec![EvidenceItem::NotFound])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_keeps_no_evidence_does_not_offer_the_protocol() {
    let voter = node().await;
    let other = node().await;
    connect(&voter, &other).await;
    let request = EvidenceRequest {
        refs: vec![by_id(&transcript(1))],
    };
    let answer = voter.fetch_evidence(other.peer_id(), &request, WAIT).await;
    assert!(
        matches!(answer, Err(MeshError::UnsupportedProtocol)),
        "{answer:?}"
    );
    // Nothing is sent for a request the protocol does not allow.
    let too_many = EvidenceRequest {
        refs: vec![by_id(&transcript(1)); MAX_REFS_PER_REQUEST + 1],
    };
    assert!(matches!(
        voter.fetch_evidence(other.peer_id(), &too_many, WAIT).await,
        Err(MeshError::InvalidRequest(_))
    ));
}

/// Writes one frame tagged `tag` with `body` and reads the answer's tag and decoded body.
async fn exchange(
    stream: &mut mindos_mesh::libp2p::Stream,
    tag: u64,
    body: &[u8],
) -> (u64, EvidenceResponse) {
    let mut frame = tag.to_be_bytes().to_vec();
    frame.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(body);
    stream.write_all(&frame).await.unwrap();
    stream.flush().await.unwrap();
    read_answer(stream).await
}

async fn read_answer(stream: &mut mindos_mesh::libp2p::Stream) -> (u64, EvidenceResponse) {
    let mut header = [0u8; 12];
    tokio::time::timeout(WAIT, stream.read_exact(&mut header))
        .await
        .expect("an answer in time")
        .unwrap();
    let tag = u64::from_be_bytes(header[..8].try_into().unwrap());
    let len = u32::from_be_bytes(header[8..].try_into().unwrap());
    let mut body = vec![0; len as usize];
    stream.read_exact(&mut body).await.unwrap();
    (tag, EvidenceResponse::from_bytes(&body).expect("an answer"))
}

fn code(answer: &EvidenceResponse) -> Option<EvidenceErrorCode> {
    match answer {
        EvidenceResponse::Error { code, .. } => Some(*code),
        EvidenceResponse::Items(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_errors_and_the_stream_stays_usable() {
    let voter = node().await;
    let kept = transcript(1);
    let keeper = keeper(&[voter.peer_id()], std::slice::from_ref(&kept)).await;
    connect(&voter, &keeper).await;
    let mut stream = voter.open_evidence_stream(keeper.peer_id()).await.unwrap();

    let (tag, answer) = exchange(&mut stream, 1, b"\xff\xff not scale").await;
    assert_eq!(
        (tag, code(&answer)),
        (1, Some(EvidenceErrorCode::Malformed))
    );

    let oversized = vec![0u8; MAX_EVIDENCE_REQUEST_SIZE as usize + 1];
    let (tag, answer) = exchange(&mut stream, 2, &oversized).await;
    assert_eq!((tag, code(&answer)), (2, Some(EvidenceErrorCode::TooLarge)));

    let none = EvidenceRequest { refs: vec![] };
    let (_, answer) = exchange(&mut stream, 3, &none.to_bytes()).await;
    assert_eq!(code(&answer), Some(EvidenceErrorCode::TooMany));
    let too_many = EvidenceRequest {
        refs: vec![by_id(&kept); MAX_REFS_PER_REQUEST + 1],
    };
    let (_, answer) = exchange(&mut stream, 4, &too_many.to_bytes()).await;
    assert_eq!(code(&answer), Some(EvidenceErrorCode::TooMany));

    // A request with trailing bytes is not a request.
    let mut trailing = EvidenceRequest {
        refs: vec![by_id(&kept)],
    }
    .to_bytes();
    trailing.push(0);
    let (_, answer) = exchange(&mut stream, 5, &trailing).await;
    assert_eq!(code(&answer), Some(EvidenceErrorCode::Malformed));

    // The same stream still answers a good request.
    let good = EvidenceRequest {
        refs: vec![by_id(&kept)],
    };
    let (tag, answer) = exchange(&mut stream, 6, &good.to_bytes()).await;
    assert_eq!(tag, 6);
    assert_eq!(
        answer,
        EvidenceResponse::Items(vec![EvidenceItem::Found(kept.clone())])
    );

    // A request too large to even drain is answered, then its stream closed; the peer's
    // next stream is served.
    let huge = vec![0u8; MAX_EVIDENCE_REQUEST_SIZE as usize * 17];
    let mut header = 7u64.to_be_bytes().to_vec();
    header.extend_from_slice(&u32::try_from(huge.len()).unwrap().to_be_bytes());
    stream.write_all(&header).await.unwrap();
    stream.flush().await.unwrap();
    let (tag, answer) = read_answer(&mut stream).await;
    assert_eq!((tag, code(&answer)), (7, Some(EvidenceErrorCode::TooLarge)));
    drop(stream);
    let answer = voter
        .fetch_evidence(keeper.peer_id(), &good, WAIT)
        .await
        .unwrap();
    assert_eq!(
        answer,
        EvidenceResponse::Items(vec![EvidenceItem::Found(kept)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_gets_a_bounded_number_of_streams() {
    let voter = node().await;
    let kept = transcript(1);
    let keeper = keeper(&[voter.peer_id()], std::slice::from_ref(&kept)).await;
    connect(&voter, &keeper).await;
    let good = EvidenceRequest {
        refs: vec![by_id(&kept)],
    };
    // Each held stream has been served once, so the keeper counts it before the next opens.
    let mut held = Vec::new();
    for tag in 0..MAX_STREAMS_PER_PEER as u64 {
        let mut stream = voter.open_evidence_stream(keeper.peer_id()).await.unwrap();
        let (_, answer) = exchange(&mut stream, tag, &good.to_bytes()).await;
        assert!(code(&answer).is_none(), "{answer:?}");
        held.push(stream);
    }
    let mut extra = voter.open_evidence_stream(keeper.peer_id()).await.unwrap();
    let (_, answer) = exchange(&mut extra, 9, &good.to_bytes()).await;
    assert_eq!(code(&answer), Some(EvidenceErrorCode::Busy));

    // Closing one frees its place.
    let mut first = held.remove(0);
    first.close().await.unwrap();
    drop(first);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match voter.fetch_evidence(keeper.peer_id(), &good, WAIT).await {
            Ok(EvidenceResponse::Items(_)) => break,
            other => {
                assert!(tokio::time::Instant::now() < deadline, "{other:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcripts_that_do_not_fit_in_an_answer_are_too_large_items() {
    let voter = node().await;
    let big: Vec<EvidenceTranscript> = (0..5)
        .map(|nonce| {
            let mut t = transcript(nonce);
            t.input = "x".repeat(1024 * 1024);
            t
        })
        .collect();
    let keeper = keeper(&[voter.peer_id()], &big).await;
    connect(&voter, &keeper).await;
    let all = EvidenceRequest {
        refs: big.iter().map(by_id).collect(),
    };
    let answer = voter
        .fetch_evidence(keeper.peer_id(), &all, WAIT)
        .await
        .unwrap();
    let EvidenceResponse::Items(items) = answer else {
        panic!("{answer:?}");
    };
    let found = items
        .iter()
        .filter(|i| matches!(i, EvidenceItem::Found(_)))
        .count();
    assert_eq!(found, 3, "three 1 MiB transcripts fit in 4 MiB, not four");
    assert!(matches!(
        items[3..],
        [EvidenceItem::TooLarge, EvidenceItem::TooLarge]
    ));
    // Asked alone, it fits.
    let alone = EvidenceRequest {
        refs: vec![by_id(&big[4])],
    };
    assert_eq!(
        voter
            .fetch_evidence(keeper.peer_id(), &alone, WAIT)
            .await
            .unwrap(),
        EvidenceResponse::Items(vec![EvidenceItem::Found(big[4].clone())])
    );
}
