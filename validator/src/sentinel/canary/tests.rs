//! The canary pool against a scripted chain.

use super::*;
use crate::answers::{
    testing::{digits_answer, digits_on_chain, neuron, on_chain, Signing, BASIS, GENESIS},
    TermsBasis,
};
use mindos_mesh::{InferResponse, Keypair};

/// The arguments of one opening.
type Opening = (NetUid, Uid, SignedAnswer, Hash32, Hash32);

/// A chain that takes every commitment (in the epoch and block it is told) unless told to
/// refuse, drops canaries when told, and records every call.
struct Script {
    store: Arc<Store>,
    /// The hotkey's canaries on chain.
    on_chain: Mutex<Vec<OnChain>>,
    /// Where a commitment lands: `(epoch, block)`.
    lands_at: Mutex<(u64, u64)>,
    /// What the next commitments get instead of landing.
    refuse: Mutex<Option<TxError>>,
    /// Each commitment submitted, and whether the store held its canary then.
    commits: Mutex<Vec<(Hash32, bool)>>,
    /// Each opening.
    opens: Mutex<Vec<Opening>>,
    /// Whether the balance covers another deposit.
    affords: Mutex<bool>,
}

impl Script {
    fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            on_chain: Mutex::default(),
            lands_at: Mutex::new((BASIS.epoch, BASIS.finalized + 1)),
            refuse: Mutex::default(),
            commits: Mutex::default(),
            opens: Mutex::default(),
            affords: Mutex::new(true),
        }
    }
}

impl CanaryChain for Script {
    fn commit(&self, netuid: NetUid, commitment: Hash32) -> BoxFuture<'_, Result<(), TxError>> {
        let stored = self
            .store
            .canaries(netuid)
            .unwrap()
            .iter()
            .any(|c| c.commitment == commitment);
        self.commits.lock().unwrap().push((commitment, stored));
        let refused = self.refuse.lock().unwrap().clone();
        if refused.is_none() {
            let (epoch, block) = *self.lands_at.lock().unwrap();
            self.on_chain.lock().unwrap().push(OnChain {
                commitment,
                epoch,
                block,
            });
        }
        Box::pin(async move { refused.map_or(Ok(()), Err) })
    }

    fn open(
        &self,
        netuid: NetUid,
        uid: Uid,
        evidence: SignedAnswer,
        expected_output_hash: Hash32,
        salt: Hash32,
    ) -> BoxFuture<'_, Result<(), TxError>> {
        self.opens
            .lock()
            .unwrap()
            .push((netuid, uid, evidence, expected_output_hash, salt));
        Box::pin(async { Ok(()) })
    }

    fn own_canaries(&self, _: NetUid) -> BoxFuture<'_, Result<Vec<OnChain>, String>> {
        let on_chain = self.on_chain.lock().unwrap().clone();
        Box::pin(async move { Ok(on_chain) })
    }

    fn affords_canary(&self) -> BoxFuture<'_, Result<bool, String>> {
        let affords = *self.affords.lock().unwrap();
        Box::pin(async move { Ok(affords) })
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    script: Arc<Script>,
    canaries: Canaries,
    subnet: SubnetState,
    reexec: Reexecutor,
    metrics: Arc<Metrics>,
}

fn setup(pool: u32) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("state.redb")).unwrap());
    let script = Arc::new(Script::new(store.clone()));
    let metrics = Arc::new(Metrics::new().unwrap());
    let canaries = Canaries::new(
        script.clone(),
        store.clone(),
        metrics.clone(),
        pool,
        LIFETIME_EPOCHS,
    );
    Setup {
        _dir: dir,
        store,
        script,
        canaries,
        subnet: digits_on_chain(),
        reexec: Reexecutor::new(metrics.clone()),
        metrics,
    }
}

impl Setup {
    async fn step(&self) {
        self.canaries.maintain(&self.subnet, &self.reexec).await;
    }

    fn at(&self, epoch: u64, finalized: u64) {
        self.subnet.set_terms_basis(TermsBasis {
            epoch,
            finalized,
            ..BASIS
        });
    }

    fn stored(&self) -> Vec<StoredCanary> {
        self.store.canaries(NetUid(1)).unwrap()
    }

    fn count(&self, event: Event) -> u64 {
        self.metrics
            .canaries
            .with_label_values(&["1", event.label()])
            .get()
    }

    fn pending(&self) -> i64 {
        self.metrics
            .canaries_pending
            .with_label_values(&["1"])
            .get()
    }
}

#[tokio::test]
async fn a_canary_is_stored_before_it_is_committed_and_sent_only_in_a_later_epoch() {
    let s = setup(1);
    s.step().await;
    let commits = s.script.commits.lock().unwrap().clone();
    assert_eq!(commits.len(), 1);
    assert!(
        commits[0].1,
        "the canary was stored before its commitment was submitted"
    );
    let [canary] = s.stored().try_into().unwrap();
    assert_eq!(canary.state, CanaryState::Submitted { epoch: BASIS.epoch });
    assert_eq!(s.count(Event::Committed), 1);
    // The commitment is the pallet's, over the payload's exact text.
    assert_eq!(
        canary.commitment,
        canary_commitment(
            NetUid(1),
            &input_hash(canary.payload.as_bytes()),
            &canary.expected_output_hash,
            &canary.salt
        )
    );
    let reference = s
        .subnet
        .engine
        .decode_output(canary.reference.as_bytes())
        .unwrap();
    assert_eq!(
        s.subnet.engine.output_hash(&reference).unwrap(),
        canary.expected_output_hash
    );
    // Not seen on a finalized block yet: not usable.
    assert!(s.canaries.draw(&s.subnet).await.is_none());
    // The next step sees it on chain, in the commitment's epoch: still not usable.
    s.at(BASIS.epoch, BASIS.finalized + 2);
    s.step().await;
    let [canary] = s.stored().try_into().unwrap();
    assert_eq!(
        canary.state,
        CanaryState::Committed {
            epoch: BASIS.epoch,
            block: BASIS.finalized + 1
        }
    );
    assert_eq!(s.pending(), 1);
    assert!(s.canaries.draw(&s.subnet).await.is_none());
    assert_eq!(
        s.script.commits.lock().unwrap().len(),
        1,
        "the pool is full"
    );
    // An epoch later it is sent, once, as the exact text committed.
    s.at(BASIS.epoch + 1, BASIS.finalized + 20);
    let drawn = s.canaries.draw(&s.subnet).await.unwrap();
    assert_eq!(drawn.payload.get(), canary.payload);
    assert_eq!(drawn.commitment, canary.commitment);
    assert_eq!(
        (drawn.expected_output_hash, drawn.salt),
        (canary.expected_output_hash, canary.salt)
    );
    assert_eq!(drawn.reference, reference);
    let [used] = s.stored().try_into().unwrap();
    assert!(
        matches!(used.state, CanaryState::Used { .. }),
        "{:?}",
        used.state
    );
    assert!(
        s.canaries.draw(&s.subnet).await.is_none(),
        "a used canary is burned"
    );
    // In the last epoch of its life it is not sent.
    let s = setup(1);
    s.step().await;
    s.step().await;
    s.at(BASIS.epoch + LIFETIME_EPOCHS - 1, BASIS.finalized + 100);
    assert!(s.canaries.draw(&s.subnet).await.is_none());
}

/// The evidence of a miner with `key` answering `label` to `drawn`, sent to it at uid 3.
fn signed(s: &Setup, key: &Keypair, drawn: &Drawn, label: u8) -> SignedAnswer {
    let (answers, _) = on_chain(s.metrics.clone());
    let peer = key.public().to_peer_id();
    let request = answers.request(&s.subnet, Some(&neuron(3, peer)), drawn.payload.clone());
    assert_eq!(
        request.evidence_challenge().unwrap().input_hash,
        input_hash(drawn.payload.get().as_bytes()),
        "the request carries the committed input"
    );
    let answer = digits_answer(key, &request, label, Signing::Honest);
    let InferResponse::Ok { payload, receipt } = answer else {
        panic!("an answer")
    };
    let output = s
        .subnet
        .engine
        .decode_output(payload.get().as_bytes())
        .unwrap();
    crate::answers::verify(
        Some(&GENESIS),
        &*s.subnet.engine,
        &peer,
        &request,
        &output,
        receipt.as_ref(),
    )
    .unwrap()
    .unwrap()
}

async fn drawn(s: &Setup) -> Drawn {
    s.at(BASIS.epoch, BASIS.finalized);
    s.step().await;
    s.step().await;
    s.at(BASIS.epoch + 1, BASIS.finalized + 20);
    s.canaries.draw(&s.subnet).await.unwrap()
}

#[tokio::test]
async fn a_wrong_signed_answer_opens_the_canary_and_a_right_one_uses_it_up() {
    let s = setup(1);
    let canary = drawn(&s).await;
    let mindos_subnets::Output::Digits(expected) = &canary.reference else {
        panic!("digits")
    };
    let key = Keypair::generate_ed25519();
    // Right: used up, not opened.
    let right = signed(&s, &key, &canary, expected.label);
    s.canaries
        .settle(NetUid(1), Uid(3), &canary, Some(right))
        .await;
    assert!(s.script.opens.lock().unwrap().is_empty());
    assert_eq!((s.count(Event::Sent), s.count(Event::Passed)), (1, 1));
    // No signed answer: nothing to open.
    s.canaries.settle(NetUid(1), Uid(3), &canary, None).await;
    assert!(s.script.opens.lock().unwrap().is_empty());
    assert_eq!(s.count(Event::Unanswered), 1);
    // Wrong, signed: opened with the evidence, the expected hash and the salt.
    let wrong = signed(&s, &key, &canary, (expected.label + 1) % 10);
    s.canaries
        .settle(NetUid(1), Uid(3), &canary, Some(wrong.clone()))
        .await;
    let opens = s.script.opens.lock().unwrap().clone();
    assert_eq!(
        opens,
        vec![(
            NetUid(1),
            Uid(3),
            wrong,
            canary.expected_output_hash,
            canary.salt
        )]
    );
    assert_eq!((s.count(Event::Failed), s.count(Event::Opened)), (1, 1));
}

#[tokio::test]
async fn the_pool_is_bounded_and_canaries_gone_from_the_chain_are_pruned() {
    let s = setup(3);
    for block in 0..6 {
        s.at(BASIS.epoch, BASIS.finalized + block);
        s.step().await;
    }
    assert_eq!(s.script.commits.lock().unwrap().len(), 3);
    assert_eq!(s.stored().len(), 3);
    assert_eq!(s.pending(), 3);
    // One is sent; then the chain drops them all (expired, or opened).
    s.at(BASIS.epoch + 1, BASIS.finalized + 20);
    s.canaries.draw(&s.subnet).await.unwrap();
    s.step().await;
    assert_eq!(s.pending(), 2, "a used canary is no longer pending");
    assert_eq!(
        s.script.commits.lock().unwrap().len(),
        3,
        "a used canary still holds its place"
    );
    s.script.on_chain.lock().unwrap().clear();
    s.at(BASIS.epoch + LIFETIME_EPOCHS, BASIS.finalized + 200);
    *s.script.lands_at.lock().unwrap() = (BASIS.epoch + LIFETIME_EPOCHS, BASIS.finalized + 201);
    s.step().await;
    assert_eq!(s.count(Event::Expired), 2, "the two unused ones expired");
    // Their places are free again: the step that pruned them committed a new one.
    let stored = s.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].state,
        CanaryState::Submitted {
            epoch: BASIS.epoch + LIFETIME_EPOCHS
        }
    );
    // Too old to be on chain, whatever the chain says: pruned.
    let s = setup(1);
    s.step().await;
    s.step().await;
    s.at(BASIS.epoch + LIFETIME_EPOCHS, BASIS.finalized + 200);
    s.script
        .refuse
        .lock()
        .unwrap()
        .replace(TxError::Refused("full".into()));
    s.step().await;
    assert!(s.stored().is_empty());
}

#[tokio::test]
async fn no_canary_without_a_permit_or_the_deposit() {
    let s = setup(2);
    let attempts = || s.script.commits.lock().unwrap().len();
    // This validator holds uid 5, without a permit yet.
    let mut own = neuron(5, Keypair::generate_ed25519().public().to_peer_id());
    s.subnet.set_neurons(vec![own.clone()]);
    s.subnet.set_own_uid(Some(own.uid));
    s.step().await;
    assert_eq!(attempts(), 0);
    own.validator_permit = true;
    s.subnet.set_neurons(vec![own]);
    // Its balance does not cover a deposit and the fees: it backs off.
    *s.script.affords.lock().unwrap() = false;
    s.step().await;
    assert_eq!(attempts(), 0);
    *s.script.affords.lock().unwrap() = true;
    s.step().await;
    assert_eq!(attempts(), 0, "still backing off");
    s.at(BASIS.epoch, BASIS.finalized + MIN_BACKOFF_BLOCKS);
    s.step().await;
    assert_eq!(attempts(), 1);
}

#[tokio::test]
async fn refused_commitments_leave_nothing_stored_and_back_off() {
    let s = setup(2);
    s.script.refuse.lock().unwrap().replace(TxError::Refused(
        "Sentinels::InsufficientCanaryDeposit".into(),
    ));
    let attempts = || s.script.commits.lock().unwrap().len();
    let base = BASIS.finalized;
    s.at(BASIS.epoch, base);
    s.step().await;
    assert_eq!(attempts(), 1);
    assert!(s.stored().is_empty(), "a refused canary is not kept");
    assert_eq!(s.count(Event::CommitError), 1);
    // Backing off MIN_BACKOFF_BLOCKS, then twice that.
    s.at(BASIS.epoch, base + MIN_BACKOFF_BLOCKS - 1);
    s.step().await;
    assert_eq!(attempts(), 1);
    s.at(BASIS.epoch, base + MIN_BACKOFF_BLOCKS);
    s.step().await;
    assert_eq!(attempts(), 2);
    s.at(BASIS.epoch, base + 3 * MIN_BACKOFF_BLOCKS - 1);
    s.step().await;
    assert_eq!(attempts(), 2);
    s.at(BASIS.epoch, base + 3 * MIN_BACKOFF_BLOCKS);
    s.step().await;
    assert_eq!(attempts(), 3);
    // A commitment whose fate is unknown is kept until it is seen on chain, or for
    // SUBMIT_GRACE_EPOCHS epochs.
    s.script
        .refuse
        .lock()
        .unwrap()
        .replace(TxError::Unknown("timed out".into()));
    s.at(BASIS.epoch, base + 1_000);
    s.step().await;
    assert_eq!(attempts(), 4);
    assert_eq!(s.stored().len(), 1);
    s.at(BASIS.epoch + SUBMIT_GRACE_EPOCHS, base + 1_001);
    s.step().await;
    assert_eq!(s.stored().len(), 1, "still within its grace");
    s.at(BASIS.epoch + SUBMIT_GRACE_EPOCHS + 1, base + 1_002);
    s.step().await;
    assert!(s.stored().is_empty(), "never landed: dropped");
}
