//! Canaries: challenge inputs whose expected output hash the validator commits on chain
//! before sending them, so that a miner's wrong signed answer to one proves itself
//! (`Sentinels::submit_canary_failure`) and quarantines the miner in the block that includes
//! it, with no committee vote (`mindos_primitives::evidence`, "Canary commitments").
//!
//! Each validated subnet that scores exactly (`ScoringRule::Correctness`: digits; the chain
//! refuses canaries elsewhere, as one hash cannot judge floats compared within a tolerance)
//! keeps a **pool** of up to `--canary-pool` canaries ([`Canaries::maintain`], once per
//! finalized block at most):
//!
//! 1. A fresh input (`SubnetEngine::fresh_input` from an OS-random seed), the validator's own
//!    answer to it (the pinned model, off the executor: [`Reexecutor::fresh`]), its
//!    `expected_output_hash` (`SubnetEngine::output_hash`), a random 32-byte salt, and the
//!    commitment [`canary_commitment`]`(netuid, input_hash(payload), expected_output_hash,
//!    salt)` over the payload's exact JSON text as it will be sent.
//! 2. The canary is written to the state store **before** `commit_canary` is submitted: a
//!    commitment that lands must always be openable. One stored but never committed is
//!    harmless and dropped [`SUBMIT_GRACE_EPOCHS`] sentinel epochs later.
//! 3. The chain is the truth for what stands: at each step the hotkey's canaries are read
//!    from the latest finalized block (`Sentinels::Canaries`). A submitted one found there
//!    becomes usable, with the epoch and block the chain recorded; one no longer there (opened,
//!    or expired after `CanaryLifetimeEpochs`, which releases its deposit) is deleted.
//! 4. Only a validator-permit holder commits, and only while the hotkey's free balance
//!    covers the deposit (`CanaryDeposit`, 10 MIND) and [`FEE_RESERVE`] for its fees.
//!    A refused commitment (`InsufficientCanaryDeposit`, `TooManyCanariesOfCommitter`,
//!    `TooManyCanaries`, …) is deleted, logged and counted, and the subnet backs off
//!    ([`MIN_BACKOFF_BLOCKS`], doubling up to [`MAX_BACKOFF_BLOCKS`]); a transaction whose
//!    fate is unknown keeps its canary for the next read to settle, and backs off too.
//!
//! **Sending** ([`Canaries::draw`]): a canary is usable once its commitment is finalized and
//! the subnet's sentinel epoch (at the latest finalized block, which the request's terms name)
//! is later than the commitment's, and while at least one epoch of its life is left. A
//! challenge round sends at most one canary, in [`SEND_PERCENT`] of rounds, to one of the
//! round's miners in place of its fresh input: the same request as any challenge (terms,
//! a random request id), the payload the exact text committed. It is marked used in the store
//! *before* it is sent: its input is burned whatever the answer, and never sent twice.
//!
//! **Opening** ([`Canaries::settle`]): the answer is scored like any challenge's; its
//! transcript is kept with kind `Canary`. If its signed `output_hash` differs from the
//! expected one, the canary is opened with `submit_canary_failure(netuid, uid, evidence,
//! expected_output_hash, salt)` (on its own task: the round does not wait for the chain).
//! A right answer uses the canary up without opening it; it stays on chain, holding one of the
//! committer's `MaxCanariesPerCommitter` places and its deposit, until it expires.
//!
//! Every step is logged and counted in `mindos_validator_canaries_total{netuid,event}`
//! ([`Event`]); `mindos_validator_canaries_pending{netuid}` counts the canaries not yet sent.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use futures::future::BoxFuture;
use mindos_chain_client::ChainError;
use mindos_mesh::{receipt::SignedAnswer, wire::payload_from_value};
use mindos_primitives::{
    evidence::{canary_commitment, input_hash, Hash32},
    NetUid, ScoringRule, Uid,
};
use mindos_subnets::{Input, Output};
use serde_json::value::RawValue;

use crate::{
    chain::ChainSession,
    metagraph::SubnetState,
    metrics::Metrics,
    reexec::Reexecutor,
    store::{CanaryState, Store, StoredCanary},
    Rng,
};

/// Sentinel epochs a canary whose commitment was never seen on chain is kept before it is
/// dropped: the transaction may still land a block or two after its submission's epoch.
pub(crate) const SUBMIT_GRACE_EPOCHS: u64 = 2;
/// The runtime's `CanaryLifetimeEpochs` at launch, used if the chain's cannot be read: a
/// canary is not sent in the last epoch of its life (its opening could land after it
/// expired), and one older than this is deleted even if the chain cannot be read.
pub(crate) const LIFETIME_EPOCHS: u64 = 8;
/// Share of challenge rounds, in percent, that send a canary (when one is usable): at most
/// one challenge in a round is a canary, so most challenges are not.
pub(crate) const SEND_PERCENT: u64 = 25;
/// First back-off after a refused or unsettled commitment, in blocks.
pub(crate) const MIN_BACKOFF_BLOCKS: u64 = 10;
/// Longest back-off, in blocks (an hour at 6 s blocks).
pub(crate) const MAX_BACKOFF_BLOCKS: u64 = 600;
/// What a canary commitment must leave of the hotkey's free balance besides the deposit:
/// the fees of its weights and sentinel transactions.
pub(crate) const FEE_RESERVE: u128 = mindos_primitives::MIND;

/// What `mindos_validator_canaries_total{event}` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A commitment landed in a block.
    Committed,
    /// A commitment was refused by the chain (deposit, limits) or its fate is unknown.
    CommitError,
    /// A canary was sent to a miner.
    Sent,
    /// The miner answered right (signed): the canary is used up.
    Passed,
    /// The miner signed a wrong answer.
    Failed,
    /// No signed answer (a timeout, a refusal, an unsigned or undecodable answer): the
    /// canary is used up and proves nothing.
    Unanswered,
    /// A failure was proven on chain (the miner is quarantined).
    Opened,
    /// The opening was refused or its fate is unknown.
    OpenError,
    /// A committed canary left the chain unused (expired).
    Expired,
}

impl Event {
    /// The `event` label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Committed => "committed",
            Self::CommitError => "commit_error",
            Self::Sent => "sent",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Unanswered => "unanswered",
            Self::Opened => "opened",
            Self::OpenError => "open_error",
            Self::Expired => "expired",
        }
    }
}

/// Why a canary transaction did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TxError {
    /// It reached a block and failed there (the pallet's error): nothing is on chain.
    #[error("refused on chain: {0}")]
    Refused(String),
    /// Its fate is unknown (pool, timeout, connection): it may still land.
    #[error("not known to have landed: {0}")]
    Unknown(String),
}

impl From<ChainError> for TxError {
    fn from(e: ChainError) -> Self {
        if e.is_dispatch_error() {
            Self::Refused(e.to_string())
        } else {
            Self::Unknown(e.to_string())
        }
    }
}

/// One of the hotkey's canaries as the chain holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OnChain {
    pub(crate) commitment: Hash32,
    /// Its sentinel epoch.
    pub(crate) epoch: u64,
    /// Its block.
    pub(crate) block: u64,
}

/// What the canary work needs of the chain (the validator's [`ChainSession`]; a script in
/// tests).
pub(crate) trait CanaryChain: Send + Sync {
    /// `Sentinels::commit_canary(netuid, commitment)`.
    fn commit(&self, netuid: NetUid, commitment: Hash32) -> BoxFuture<'_, Result<(), TxError>>;
    /// `Sentinels::submit_canary_failure(netuid, uid, evidence, expected, salt)`.
    fn open(
        &self,
        netuid: NetUid,
        uid: Uid,
        evidence: SignedAnswer,
        expected_output_hash: Hash32,
        salt: Hash32,
    ) -> BoxFuture<'_, Result<(), TxError>>;
    /// The hotkey's canaries on `netuid` at the latest finalized block.
    fn own_canaries(&self, netuid: NetUid) -> BoxFuture<'_, Result<Vec<OnChain>, String>>;
    /// Whether the hotkey's free balance covers another canary deposit and [`FEE_RESERVE`].
    fn affords_canary(&self) -> BoxFuture<'_, Result<bool, String>>;
}

impl CanaryChain for ChainSession {
    fn commit(&self, netuid: NetUid, commitment: Hash32) -> BoxFuture<'_, Result<(), TxError>> {
        Box::pin(async move { Ok(self.commit_canary(netuid, commitment).await?) })
    }

    fn open(
        &self,
        netuid: NetUid,
        uid: Uid,
        evidence: SignedAnswer,
        expected_output_hash: Hash32,
        salt: Hash32,
    ) -> BoxFuture<'_, Result<(), TxError>> {
        Box::pin(async move {
            Ok(self
                .submit_canary_failure(netuid, uid.0, &evidence, expected_output_hash, salt)
                .await?)
        })
    }

    fn affords_canary(&self) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            ChainSession::affords_canary(self, FEE_RESERVE)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn own_canaries(&self, netuid: NetUid) -> BoxFuture<'_, Result<Vec<OnChain>, String>> {
        Box::pin(async move {
            let canaries = ChainSession::own_canaries(self, netuid)
                .await
                .map_err(|e| e.to_string())?;
            Ok(canaries
                .into_iter()
                .map(|(commitment, epoch, block)| OnChain {
                    commitment,
                    epoch,
                    block,
                })
                .collect())
        })
    }
}

/// Whether `subnet` may have canaries: the chain takes them only where outputs are judged
/// exactly.
pub(crate) fn takes_canaries(subnet: &SubnetState) -> bool {
    subnet.engine.info().scoring_rule == ScoringRule::Correctness
}

/// A canary drawn for a challenge round: what to send and what to expect.
#[derive(Debug)]
pub(crate) struct Drawn {
    pub(crate) commitment: Hash32,
    /// The payload, the exact text committed.
    pub(crate) payload: Box<RawValue>,
    /// The input it decodes to.
    pub(crate) input: Input,
    /// The validator's own answer: what the miner's is scored against.
    pub(crate) reference: Output,
    pub(crate) expected_output_hash: Hash32,
    pub(crate) salt: Hash32,
}

/// The back-off of one subnet's commitments.
#[derive(Clone, Copy, Debug, Default)]
struct Backoff {
    /// No commitment before this finalized block.
    until: u64,
    /// The next back-off's length (0: none yet).
    next: u64,
}

/// The canary pools of the validated subnets.
pub(crate) struct Canaries {
    chain: Arc<dyn CanaryChain>,
    store: Arc<Store>,
    metrics: Arc<Metrics>,
    /// Canaries kept per subnet at most, on chain and in the store (`--canary-pool`).
    pool: usize,
    /// Sentinel epochs a commitment stays on chain (`CanaryLifetimeEpochs`).
    lifetime: u64,
    /// Store updates are read-modify-write: one at a time (the pool's step and the rounds'
    /// draws run on different tasks).
    lock: tokio::sync::Mutex<()>,
    backoff: Mutex<HashMap<NetUid, Backoff>>,
    rng: Mutex<Rng>,
}

impl Canaries {
    /// Pools of at most `pool` canaries per subnet (clamped to `MAX_CANARY_POOL`), committed
    /// through `chain` (whose canaries live `lifetime` sentinel epochs) and kept in `store`.
    pub(crate) fn new(
        chain: Arc<dyn CanaryChain>,
        store: Arc<Store>,
        metrics: Arc<Metrics>,
        pool: u32,
        lifetime: u64,
    ) -> Self {
        Self {
            chain,
            store,
            metrics,
            pool: usize::try_from(pool.min(crate::settings::MAX_CANARY_POOL)).unwrap_or(0),
            lifetime,
            lock: tokio::sync::Mutex::new(()),
            backoff: Mutex::default(),
            rng: Mutex::new(Rng::from_entropy()),
        }
    }

    fn count(&self, netuid: NetUid, event: Event) {
        self.metrics
            .canaries
            .with_label_values(&[netuid.to_string().as_str(), event.label()])
            .inc();
    }

    /// Runs `work` on the store off the executor (redb commits fsync).
    async fn on_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, crate::StoreError> + Send + 'static,
    ) -> Result<T, String> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || work(&store)).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// One step of `subnet`'s pool: settle the stored canaries against the chain, then, if
    /// the pool has room and the subnet is not backing off, make and commit one canary.
    pub(crate) async fn maintain(&self, subnet: &SubnetState, reexec: &Reexecutor) {
        let netuid = subnet.netuid;
        let Some(basis) = subnet.terms_basis() else {
            return;
        };
        let on_chain = match self.chain.own_canaries(netuid).await {
            Ok(on_chain) => on_chain,
            Err(e) => {
                tracing::debug!(%netuid, error = %e, "cannot read this validator's canaries; the pool waits");
                return;
            }
        };
        let live = match self.reconcile(netuid, basis.epoch, on_chain).await {
            Ok(live) => live,
            Err(e) => {
                tracing::warn!(%netuid, error = %e, "reading the stored canaries failed");
                return;
            }
        };
        if live >= self.pool || self.backing_off(netuid, basis.finalized) {
            return;
        }
        // Only permit holders may commit (a permit comes at an epoch boundary after staking).
        let own = subnet.own_uid();
        let permitted = subnet
            .neurons()
            .iter()
            .find(|n| Some(n.uid) == own)
            .map(|n| n.validator_permit);
        if permitted == Some(false) {
            tracing::debug!(%netuid, "no validator permit yet: no canaries");
            return;
        }
        match self.chain.affords_canary().await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(%netuid, "the hotkey's free balance does not cover another canary deposit and its fees; backing off");
                self.back_off(netuid, basis.finalized);
                return;
            }
            Err(e) => {
                tracing::debug!(%netuid, error = %e, "cannot read the hotkey's balance; the pool waits");
                return;
            }
        }
        self.commit_one(subnet, reexec, basis.epoch, basis.finalized)
            .await;
    }

    /// Settles `netuid`'s stored canaries against `on_chain` at sentinel epoch `epoch`;
    /// returns how many are left (each holds a place on chain, or may).
    async fn reconcile(
        &self,
        netuid: NetUid,
        epoch: u64,
        on_chain: Vec<OnChain>,
    ) -> Result<usize, String> {
        let _guard = self.lock.lock().await;
        let stored = self.on_store(move |s| s.canaries(netuid)).await?;
        let mut kept = Vec::new();
        let mut gone = Vec::new();
        let mut changed = Vec::new();
        for mut canary in stored {
            let found = on_chain.iter().find(|c| c.commitment == canary.commitment);
            match (canary.state, found) {
                (CanaryState::Submitted { .. }, Some(c)) => {
                    tracing::info!(%netuid, commitment = %hex(&canary.commitment), epoch = c.epoch, block = c.block, "a canary is committed on chain");
                    canary.state = CanaryState::Committed {
                        epoch: c.epoch,
                        block: c.block,
                    };
                    changed.push(canary.clone());
                    kept.push(canary);
                }
                (CanaryState::Submitted { epoch: submitted }, None) => {
                    if epoch > submitted.saturating_add(SUBMIT_GRACE_EPOCHS) {
                        tracing::info!(%netuid, commitment = %hex(&canary.commitment), "a canary's commitment never landed; dropping it");
                        gone.push(canary.commitment);
                    } else {
                        kept.push(canary);
                    }
                }
                (
                    CanaryState::Committed { epoch: at, .. } | CanaryState::Used { epoch: at, .. },
                    found,
                ) => {
                    let expired = at.saturating_add(self.lifetime) <= epoch;
                    if found.is_none() || expired {
                        if matches!(canary.state, CanaryState::Committed { .. }) {
                            tracing::info!(%netuid, commitment = %hex(&canary.commitment), "a canary expired unused");
                            self.count(netuid, Event::Expired);
                        }
                        gone.push(canary.commitment);
                    } else {
                        kept.push(canary);
                    }
                }
            }
        }
        if !(gone.is_empty() && changed.is_empty()) {
            self.on_store(move |s| {
                for canary in &changed {
                    s.put_canary(canary)?;
                }
                for commitment in &gone {
                    s.remove_canary(netuid, commitment)?;
                }
                Ok(())
            })
            .await?;
        }
        let pending = kept
            .iter()
            .filter(|c| !matches!(c.state, CanaryState::Used { .. }))
            .count();
        self.metrics
            .canaries_pending
            .with_label_values(&[netuid.to_string().as_str()])
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
        Ok(kept.len())
    }

    fn backing_off(&self, netuid: NetUid, block: u64) -> bool {
        self.backoff
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&netuid)
            .is_some_and(|b| block < b.until)
    }

    /// Backs `netuid`'s commitments off from `block`, twice as long as the last time.
    fn back_off(&self, netuid: NetUid, block: u64) {
        let mut all = self.backoff.lock().unwrap_or_else(PoisonError::into_inner);
        let backoff = all.entry(netuid).or_default();
        let blocks = backoff.next.max(MIN_BACKOFF_BLOCKS);
        backoff.until = block.saturating_add(blocks);
        backoff.next = blocks.saturating_mul(2).min(MAX_BACKOFF_BLOCKS);
    }

    /// Makes one canary for `subnet`, stores it, then commits it.
    async fn commit_one(&self, subnet: &SubnetState, reexec: &Reexecutor, epoch: u64, block: u64) {
        let netuid = subnet.netuid;
        let (Some(seed), Some(salt)) = (random::<8>(), random::<32>()) else {
            tracing::warn!(%netuid, "no OS randomness for a canary");
            return;
        };
        let fresh = reexec
            .fresh(subnet.engine.clone(), vec![u64::from_le_bytes(seed)])
            .await;
        let made = fresh
            .map_err(|e| e.to_string())
            .and_then(|mut fresh| fresh.pop().ok_or_else(|| "no answer".to_owned()))
            .and_then(|(input, output)| {
                let payload = payload_from_value(&input).map_err(|e| e.to_string())?;
                let reference = serde_json::to_string(&output).map_err(|e| e.to_string())?;
                let expected = subnet
                    .engine
                    .output_hash(&output)
                    .map_err(|e| e.to_string())?;
                Ok((payload.get().to_owned(), reference, expected))
            });
        let (payload, reference, expected_output_hash) = match made {
            Ok(made) => made,
            Err(e) => {
                tracing::warn!(%netuid, error = %e, "cannot make a canary");
                return;
            }
        };
        let commitment = canary_commitment(
            netuid,
            &input_hash(payload.as_bytes()),
            &expected_output_hash,
            &salt,
        );
        let canary = StoredCanary {
            netuid,
            commitment,
            payload,
            reference,
            expected_output_hash,
            salt,
            state: CanaryState::Submitted { epoch },
        };
        // Stored before submitted: a commitment that lands must be openable.
        let stored = {
            let _guard = self.lock.lock().await;
            self.on_store(move |s| s.put_canary(&canary)).await
        };
        if let Err(e) = stored {
            tracing::warn!(%netuid, error = %e, "cannot store a canary; not committing it");
            return;
        }
        match self.chain.commit(netuid, commitment).await {
            Ok(()) => {
                tracing::info!(%netuid, commitment = %hex(&commitment), "canary committed");
                self.count(netuid, Event::Committed);
                self.backoff
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&netuid);
            }
            Err(TxError::Refused(reason)) => {
                tracing::warn!(%netuid, %reason, "the chain refused a canary commitment; backing off");
                self.count(netuid, Event::CommitError);
                self.back_off(netuid, block);
                let _guard = self.lock.lock().await;
                if let Err(e) = self
                    .on_store(move |s| s.remove_canary(netuid, &commitment))
                    .await
                {
                    tracing::warn!(%netuid, error = %e, "cannot delete a refused canary");
                }
            }
            Err(TxError::Unknown(reason)) => {
                // It may still land: the next reads settle it.
                tracing::warn!(%netuid, %reason, "a canary commitment's fate is unknown; backing off");
                self.count(netuid, Event::CommitError);
                self.back_off(netuid, block);
            }
        }
    }

    /// A canary of `subnet` to send now, marked used in the store first; `None` if none is
    /// usable: committed in a sentinel epoch before the current one (at the latest finalized
    /// block), with an epoch of its life left.
    pub(crate) async fn draw(&self, subnet: &SubnetState) -> Option<Drawn> {
        let netuid = subnet.netuid;
        let basis = subnet.terms_basis()?;
        let _guard = self.lock.lock().await;
        let stored = match self.on_store(move |s| s.canaries(netuid)).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!(%netuid, error = %e, "reading the stored canaries failed");
                return None;
            }
        };
        let usable = |c: &StoredCanary| match c.state {
            CanaryState::Committed { epoch, .. } => {
                epoch < basis.epoch
                    && basis.epoch.saturating_add(1) < epoch.saturating_add(self.lifetime)
            }
            _ => false,
        };
        let mut canary = stored.into_iter().find(usable)?;
        let (CanaryState::Committed { epoch, block } | CanaryState::Used { epoch, block }) =
            canary.state
        else {
            return None;
        };
        let engine = &subnet.engine;
        let decoded = wire_payload(&canary.payload).and_then(|payload| {
            let input = engine
                .decode_input(payload.get().as_bytes())
                .map_err(|e| e.to_string())?;
            let reference = engine
                .decode_output(canary.reference.as_bytes())
                .map_err(|e| e.to_string())?;
            Ok((payload, input, reference))
        });
        // Burned before it is sent, whatever comes of it (an undecodable one too).
        canary.state = CanaryState::Used { epoch, block };
        let used = canary.clone();
        if let Err(e) = self.on_store(move |s| s.put_canary(&used)).await {
            tracing::warn!(%netuid, error = %e, "cannot mark a canary used; not sending it");
            return None;
        }
        let (payload, input, reference) = match decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                tracing::warn!(%netuid, error = %e, "a stored canary does not decode; dropped");
                return None;
            }
        };
        Some(Drawn {
            commitment: canary.commitment,
            payload,
            input,
            reference,
            expected_output_hash: canary.expected_output_hash,
            salt: canary.salt,
        })
    }

    /// Whether this round sends a canary ([`SEND_PERCENT`] of rounds).
    pub(crate) fn this_round(&self) -> bool {
        self.pool > 0
            && self
                .rng
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .next_u64()
                % 100
                < SEND_PERCENT
    }

    /// What came of `canary`, sent to the miner at `uid` of `netuid`: `evidence` is its
    /// signed answer, if one verified. Opens the canary on chain if the answer is wrong.
    pub(crate) async fn settle(
        &self,
        netuid: NetUid,
        uid: Uid,
        canary: &Drawn,
        evidence: Option<SignedAnswer>,
    ) {
        self.count(netuid, Event::Sent);
        let Some(evidence) = evidence else {
            tracing::info!(%netuid, %uid, commitment = %hex(&canary.commitment), "a canary got no signed answer; it is used up");
            self.count(netuid, Event::Unanswered);
            return;
        };
        if evidence.response.output_hash == canary.expected_output_hash {
            tracing::info!(%netuid, %uid, commitment = %hex(&canary.commitment), "a miner answered a canary right");
            self.count(netuid, Event::Passed);
            return;
        }
        tracing::info!(%netuid, %uid, commitment = %hex(&canary.commitment), "a miner signed a wrong answer to a canary; opening it on chain");
        self.count(netuid, Event::Failed);
        match self
            .chain
            .open(
                netuid,
                uid,
                evidence,
                canary.expected_output_hash,
                canary.salt,
            )
            .await
        {
            Ok(()) => {
                tracing::info!(%netuid, %uid, commitment = %hex(&canary.commitment), "canary failure proven on chain");
                self.count(netuid, Event::Opened);
            }
            Err(e) => {
                tracing::warn!(%netuid, %uid, commitment = %hex(&canary.commitment), error = %e, "opening a canary failed");
                self.count(netuid, Event::OpenError);
            }
        }
    }
}

/// Runs `subnet`'s canary pool until shutdown: a step at each new finalized block.
pub(crate) async fn run(
    canaries: Arc<Canaries>,
    subnet: Arc<SubnetState>,
    reexec: Arc<Reexecutor>,
    cancel: tokio_util::sync::CancellationToken,
) {
    let mut last = None;
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let finalized = subnet.terms_basis().map(|b| b.finalized);
        if finalized.is_none() || finalized == last {
            continue;
        }
        last = finalized;
        tokio::select! {
            () = cancel.cancelled() => return,
            () = canaries.maintain(&subnet, &reexec) => {}
        }
    }
}

/// The payload `text` as it is sent (byte for byte).
fn wire_payload(text: &str) -> Result<Box<RawValue>, String> {
    mindos_mesh::wire::payload_from_bytes(text.as_bytes()).map_err(|e| e.to_string())
}

/// `N` bytes from the OS, or `None` if it has none to give.
fn random<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(bytes)
}

/// The first bytes of a commitment, hex, for logs.
fn hex(commitment: &Hash32) -> String {
    commitment
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
