//! Following the chain and setting weights.
//!
//! [`follow`] reads every finalized block: each validated subnet's metagraph (miners'
//! endpoints, permits, this hotkey's uid), its tempo and commit-reveal flag (which the
//! owner may change at an epoch boundary, or governance at any block, while the validator
//! runs), and its sentinel epoch and pinned model, which with the block's number make the
//! terms of every request to a miner ([`crate::answers`]).
//!
//! [`tick`] follows the head of the best chain and tells the weight tasks a block arrived.
//! Epochs and reveal windows run on the best chain whether or not finality keeps up: a
//! validator that waited for finality would miss every reveal window while one of three
//! authorities is down. Both followers reconnect with back-off; a reconnect replaces the
//! session's connection for every task.
//!
//! [`run`] is one subnet's weight task. At each best block, reading the chain's own
//! record of this hotkey's commit (`Consensus::Commits`) and epoch counter
//! (`Consensus::EpochIndex`) at that block first, so the chain — not memory — decides what
//! is done (a transaction counts once it is in a best-chain block; should a reorg drop it,
//! the next block's read shows it missing and the step is taken again):
//!
//! 1. **Reveal.** If the chain holds a commit from the previous epoch (the reveal window),
//!    reveal the weights and salt the store kept for that hash.
//! 2. **Commit.** Once per epoch, when half the tempo has passed since the epoch began (so
//!    every miner has been challenged several times), and only after this epoch's reveal
//!    (a new commit would replace the one waiting to be revealed): derive weights from the
//!    scores, draw a salt, write the pending commit to the store, then submit. A failed
//!    submission (nonce, pool, connection) is retried at later blocks with the *same*
//!    weights and salt, and only while the chain shows no commit for the epoch: whichever
//!    transaction lands is revealable, and the pallet refuses a second one.
//! 3. Subnets with commit-reveal off get `set_weights` once per epoch instead. The flag and the
//!    tempo are the ones read at the latest finalized block, so the task follows a switch
//!    without a restart.
//!
//! Each step is tried at most [`MAX_ATTEMPTS`] times per epoch. Every transaction is
//! bounded ([`crate::chain::WEIGHTS_TX_TIMEOUT`]) and so is a whole step ([`STEP_TIMEOUT`]):
//! a stalled node or a dropped connection costs a subnet a block, never its task. Subnets'
//! transactions are pipelined (one nonce manager), so one subnet's wait delays no other.
//! A commit is not started in the last [`COMMIT_MARGIN`] blocks of an epoch whose start the
//! task saw: it could land after the boundary and count for the next epoch.

use mindos_primitives::{NetUid, Uid};
use std::{collections::HashMap, sync::Arc, time::Duration};

use mindos_chain_client::{follow::FinalizedBlocks, weights_commit_hash};
use mindos_daemon::start::StartError;
use mindos_mesh::{MeshClient, Multiaddr, PeerId};
use tokio::sync::watch;

use crate::{
    answers::TermsBasis,
    chain::{AtBlock, ChainSession, Served, WEIGHTS_TX_TIMEOUT},
    metagraph::SubnetState,
    metrics::Metrics,
    store::{PendingCommit, Store},
    Context, ValidatorError,
};

/// Attempts per step and epoch before giving up until the next epoch.
const MAX_ATTEMPTS: u32 = 5;

/// Longest one weights step may take: its reads, a reveal and a commit. Past it the step is
/// abandoned and taken again at the next block.
pub(crate) const STEP_TIMEOUT: Duration = WEIGHTS_TX_TIMEOUT
    .saturating_mul(2)
    .saturating_add(Duration::from_secs(30));

/// Blocks before an epoch's end in which no commit is started.
pub(crate) const COMMIT_MARGIN: u64 = 3;

/// Whether a commit (or `set_weights`) may start `into_epoch` blocks into an epoch of `tempo`
/// blocks: from half the tempo on (every miner has been challenged several times by then),
/// and not in the last [`COMMIT_MARGIN`] blocks, where it could land after the boundary and
/// count for the next epoch. After a restart the task does not know when the epoch began
/// (`start_seen` false: it counts from the first block it saw), so only the half-tempo rule
/// holds until the next boundary.
fn in_commit_window(into_epoch: u64, tempo: u64, start_seen: bool) -> bool {
    let too_late = start_seen && into_epoch.saturating_add(COMMIT_MARGIN) >= tempo;
    into_epoch >= tempo.checked_div(2).unwrap_or(0) && !too_late
}

/// A `serve` that must wait for the rate limit: `(netuid, allowed from block)`.
pub(crate) type PendingServe = (NetUid, u64);

/// Refreshes `subnet` from the chain at `at`: its tempo and commit-reveal flag, what requests'
/// terms are built from (its sentinel epoch, pinned model and `at`'s number), and from the
/// metagraph its neurons, own uid and miner addresses.
pub(crate) async fn refresh(
    session: &ChainSession,
    at: &AtBlock,
    subnet: &SubnetState,
    mesh: &MeshClient,
) -> Result<(), ValidatorError> {
    if let Some(parameters) = session.subnet_parameters(at, subnet.netuid).await? {
        let (tempo, commit_reveal) = (parameters.tempo, parameters.commit_reveal);
        if subnet.set_parameters(tempo, commit_reveal) {
            tracing::info!(
                netuid = %subnet.netuid,
                tempo,
                commit_reveal,
                "subnet parameters changed"
            );
        }
        subnet.set_terms_basis(TermsBasis {
            epoch: session.sentinel_epoch(at, subnet.netuid).await?,
            model_digest: parameters.model_digest,
            finalized: at.block_number(),
        });
    }
    let Some(neurons) = session.metagraph(at, subnet.netuid).await? else {
        tracing::warn!(netuid = %subnet.netuid, "the subnet is gone from the chain");
        if subnet.set_neurons(Vec::new()) {
            bind_beat_publishers(mesh, subnet).await;
        }
        return Ok(());
    };
    let own = neurons
        .iter()
        .find(|n| n.hotkey == session.hotkey_id.0)
        .map(|n| n.uid);
    subnet.set_own_uid(own);
    subnet
        .scores
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .retain(|uid, hotkey| neurons.iter().any(|n| n.uid == uid && n.hotkey == *hotkey));
    let addrs: Vec<(PeerId, Multiaddr)> = neurons
        .iter()
        .filter(|n| Some(n.uid) != own)
        .filter_map(|n| n.peer.map(|p| (p, n.addrs.clone())))
        .flat_map(|(p, addrs)| addrs.into_iter().map(move |a| (p, a)))
        .collect();
    if subnet.set_neurons(neurons) {
        tracing::info!(
            netuid = %subnet.netuid,
            miners = subnet.served_miners().len(),
            "served miners changed"
        );
        bind_beat_publishers(mesh, subnet).await;
        for (peer, addr) in addrs {
            if let Err(e) = mesh.add_address(peer, addr).await {
                tracing::debug!(error = %e, "cannot add a miner address");
            }
        }
    }
    Ok(())
}

/// Tells the mesh whose capacity beats to accept on the subnet: the PeerIds its neurons
/// bound on chain (beats from any other key are rejected and not forwarded).
pub(crate) async fn bind_beat_publishers(mesh: &MeshClient, subnet: &SubnetState) {
    let peers: Vec<PeerId> = subnet.neurons().iter().filter_map(|n| n.peer).collect();
    if let Err(e) = mesh.set_beat_publishers(subnet.netuid, peers).await {
        tracing::warn!(netuid = %subnet.netuid, error = %e, "cannot update the subnet's beat publishers");
    }
}

/// The `serve`s still to publish, and what they publish.
#[derive(Debug)]
pub(crate) struct PendingServes {
    /// Subnets whose `serve` waits for the rate limit.
    pub(crate) pending: Vec<PendingServe>,
    /// This validator's PeerId.
    pub(crate) peer: PeerId,
    /// The addresses published.
    pub(crate) addrs: Vec<Multiaddr>,
}

/// Follows finalized blocks until shutdown; see the module docs. Reconnects with back-off.
pub(crate) async fn follow(ctx: Arc<Context>, session: ChainSession, mut serves: PendingServes) {
    let mut blocks = FinalizedBlocks::new(session.client(), session.url.clone());
    let mut reconnects = 0;
    while let Some(at) = blocks.next(&ctx.cancel).await {
        // A reconnect replaces the client; reads and transactions use the live one.
        if blocks.reconnects() != reconnects {
            reconnects = blocks.reconnects();
            session.set_client(blocks.client().clone());
        }
        for subnet in ctx.subnets.values() {
            if let Err(e) = refresh(&session, &at, subnet, &ctx.mesh).await {
                tracing::warn!(netuid = %subnet.netuid, error = %e, "refreshing the metagraph failed");
            }
        }
        ctx.forget_gone_peers();
        let number = at.block_number();
        ctx.heads.send_replace(Some(head_of(&at)));
        ctx.metrics
            .finalized_block
            .set(i64::try_from(number).unwrap_or(i64::MAX));
        retry_serves(&session, number, &mut serves).await;
    }
}

/// `at`'s number and hash, as the gateway announces blocks.
pub(crate) fn head_of(at: &AtBlock) -> crate::gateway::Head {
    crate::gateway::Head {
        number: at.block_number(),
        hash: format!(
            "0x{}",
            mindos_chain_client::to_hex(at.block_hash().as_ref())
        ),
    }
}

/// Follows the best chain until shutdown and hands each new head's number to the weight
/// tasks; see the module docs.
pub(crate) async fn tick(ctx: Arc<Context>, session: ChainSession, blocks_tx: watch::Sender<u64>) {
    let mut blocks = FinalizedBlocks::best_chain(session.client(), session.url.clone());
    let mut reconnects = 0;
    while let Some(at) = blocks.next(&ctx.cancel).await {
        if blocks.reconnects() != reconnects {
            reconnects = blocks.reconnects();
            session.set_client(blocks.client().clone());
        }
        blocks_tx.send_replace(at.block_number());
    }
}

async fn retry_serves(session: &ChainSession, block: u64, serves: &mut PendingServes) {
    let mut later = Vec::new();
    for (netuid, from) in std::mem::take(&mut serves.pending) {
        if block < from {
            later.push((netuid, from));
            continue;
        }
        match session.serve(netuid, &serves.addrs).await {
            Ok(Served::Published | Served::Unchanged) => {
                tracing::info!(%netuid, peer = %serves.peer, "endpoint served on chain");
            }
            Ok(Served::RateLimitedUntil(from)) => later.push((netuid, from)),
            Err(e) => {
                tracing::warn!(%netuid, error = %e, "serve failed; retrying in 10 blocks");
                later.push((netuid, block.saturating_add(10)));
            }
        }
    }
    serves.pending = later;
}

/// What one weight task remembers between blocks (the rest is on chain or in the store).
#[derive(Debug, Default)]
struct Memory {
    /// The epoch counter last seen, and the block it was first seen at.
    epoch: Option<(u64, u64)>,
    /// Whether that block is the epoch's start (the task saw the counter change) rather
    /// than the first block after a restart.
    epoch_start_seen: bool,
    /// Attempts per `(epoch, action)`.
    attempts: HashMap<(u64, &'static str), u32>,
    /// The epoch for which an unrevealable commit was already reported.
    reported_lost: Option<u64>,
}

impl Memory {
    /// Counts an attempt; false once the step has used up its attempts this epoch.
    fn try_attempt(&mut self, epoch: u64, action: &'static str) -> bool {
        let n = self.attempts.entry((epoch, action)).or_insert(0);
        if *n >= MAX_ATTEMPTS {
            return false;
        }
        *n = n.saturating_add(1);
        true
    }
}

/// One subnet's weight task; see the module docs.
pub(crate) async fn run(
    ctx: Arc<Context>,
    session: ChainSession,
    subnet: Arc<SubnetState>,
    mut blocks: watch::Receiver<u64>,
) {
    let mut memory = Memory::default();
    loop {
        tokio::select! {
            () = ctx.cancel.cancelled() => return,
            changed = blocks.changed() => if changed.is_err() { return },
        }
        let block = *blocks.borrow_and_update();
        let step = step(
            &session,
            &subnet,
            &ctx.store,
            &ctx.metrics,
            &mut memory,
            block,
        );
        tokio::select! {
            () = ctx.cancel.cancelled() => return,
            result = tokio::time::timeout(STEP_TIMEOUT, step) => match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(netuid = %subnet.netuid, error = %e, "weights step failed"),
                Err(_) => tracing::warn!(netuid = %subnet.netuid, after = ?STEP_TIMEOUT, "weights step timed out; retrying at the next block"),
            },
        }
    }
}

async fn blocking<T: Send + 'static>(
    store: &Arc<Store>,
    f: impl FnOnce(&Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ValidatorError> {
    let store = store.clone();
    // redb reads and fsyncing commits: off the executor.
    Ok(mindos_daemon::start::blocking("state store", move || f(&store)).await??)
}

fn count(metrics: &Metrics, netuid: NetUid, action: &str, ok: bool) {
    metrics
        .weights
        .with_label_values(&[
            netuid.to_string().as_str(),
            action,
            if ok { "ok" } else { "error" },
        ])
        .inc();
}

async fn step(
    session: &ChainSession,
    subnet: &SubnetState,
    store: &Arc<Store>,
    metrics: &Metrics,
    memory: &mut Memory,
    block: u64,
) -> Result<(), ValidatorError> {
    let netuid = subnet.netuid;
    let Some(own_uid) = subnet.own_uid() else {
        return Ok(());
    };
    let permitted = subnet
        .neurons()
        .iter()
        .any(|n| n.uid == own_uid && n.validator_permit);
    if !permitted {
        tracing::debug!(%netuid, "no validator permit yet: no weights");
        return Ok(());
    }
    let at = session.at_best().await?;
    let block = block.max(at.block_number());
    let epoch = session.epoch_index(&at, netuid).await?;
    let started_at = match memory.epoch {
        Some((seen, at_block)) if seen == epoch => at_block,
        previous => {
            memory.epoch_start_seen = previous.is_some();
            memory.epoch = Some((epoch, block));
            memory.attempts.retain(|(e, _), _| *e >= epoch);
            block
        }
    };
    let into_epoch = block.saturating_sub(started_at);
    let ready = in_commit_window(
        into_epoch,
        u64::from(subnet.tempo()),
        memory.epoch_start_seen,
    );

    if !subnet.commit_reveal() {
        if !ready || blocking(store, move |s| s.committed_epoch(netuid)).await? == Some(epoch) {
            return Ok(());
        }
        let (uids, weights) = current_weights(subnet, own_uid);
        if uids.is_empty() || !memory.try_attempt(epoch, "set") {
            return Ok(());
        }
        let result = session.set_weights(netuid, uids.clone(), weights).await;
        count(metrics, netuid, "set", result.is_ok());
        match result {
            Ok(()) => {
                tracing::info!(%netuid, epoch, miners = uids.len(), "weights set");
                blocking(store, move |s| s.set_committed_epoch(netuid, epoch)).await?;
            }
            Err(e) => tracing::warn!(%netuid, epoch, error = %e, "set_weights failed; retrying"),
        }
        return Ok(());
    }

    forget_final_pending(session, store, netuid, epoch).await?;

    // 1. Reveal what the previous epoch committed.
    let mut on_chain = session.commit_of(&at, netuid).await?;
    if let Some(commit) = on_chain.filter(|c| c.epoch.saturating_add(1) == epoch) {
        let pending = blocking(store, move |s| s.pending(netuid)).await?;
        match pending.filter(|p| p.hash == commit.hash) {
            Some(p) if memory.try_attempt(epoch, "reveal") => {
                let result = session
                    .reveal_weights(netuid, p.uids.clone(), p.weights.clone(), p.salt)
                    .await;
                count(metrics, netuid, "reveal", result.is_ok());
                match result {
                    Ok(()) => {
                        // The pending commit stays until finality passes its reveal window
                        // (below): a reorg could drop this block and the reveal with it.
                        tracing::info!(%netuid, epoch, miners = p.uids.len(), "weights revealed");
                        #[cfg(feature = "crash-points")]
                        crate::crash::point("after_reveal").await;
                        on_chain = None;
                    }
                    Err(e) => {
                        tracing::warn!(%netuid, epoch, error = %e, "reveal failed; retrying at the next block");
                        return Ok(());
                    }
                }
            }
            Some(_) => return Ok(()),
            None => {
                if memory.reported_lost != Some(epoch) {
                    memory.reported_lost = Some(epoch);
                    tracing::error!(
                        %netuid,
                        epoch,
                        "the chain holds a commit this validator has no weights and salt for \
                         (state store lost or replaced); it cannot be revealed"
                    );
                }
            }
        }
    }

    // 2. Commit for this epoch, once.
    if !ready {
        return Ok(());
    }
    match on_chain {
        // Already committed this epoch (perhaps by an attempt that reported an error).
        Some(c) if c.epoch == epoch => {
            blocking(store, move |s| s.set_committed_epoch(netuid, epoch)).await?;
            return Ok(());
        }
        // Still revealable: committing now would replace it.
        Some(c) if c.epoch.saturating_add(1) == epoch => return Ok(()),
        _ => {}
    }
    let state = blocking(store, move |s| {
        Ok((s.committed_epoch(netuid)?, s.pending(netuid)?))
    })
    .await?;
    let (committed, pending) = state;
    let retry = pending.filter(|p| p.epoch == epoch);
    if committed == Some(epoch) && retry.is_none() {
        return Ok(());
    }
    let commit = match retry {
        Some(p) => p,
        None => {
            let (uids, weights) = current_weights(subnet, own_uid);
            if uids.is_empty() {
                tracing::debug!(
                    %netuid,
                    epoch,
                    "no miner scored above zero yet: nothing to commit"
                );
                return Ok(());
            }
            let mut salt = [0u8; 32];
            getrandom::getrandom(&mut salt).map_err(|e| {
                StartError::runtime("drawing a salt", std::io::Error::other(e.to_string()))
            })?;
            let hash = weights_commit_hash(&session.hotkey_id, netuid, &uids, &weights, &salt);
            let commit = PendingCommit {
                epoch,
                hash,
                uids,
                weights,
                salt,
            };
            // Written before the transaction: a commit that lands must be revealable.
            let saved = commit.clone();
            #[cfg(feature = "crash-points")]
            crate::crash::point("before_store").await;
            blocking(store, move |s| {
                s.put_pending(netuid, &saved)?;
                s.set_committed_epoch(netuid, epoch)
            })
            .await?;
            #[cfg(feature = "crash-points")]
            crate::crash::point("after_store").await;
            commit
        }
    };
    if !memory.try_attempt(epoch, "commit") {
        return Ok(());
    }
    let result = session.commit_weights(netuid, commit.hash).await;
    count(metrics, netuid, "commit", result.is_ok());
    match result {
        Ok(()) => {
            tracing::info!(
                %netuid,
                epoch,
                miners = commit.uids.len(),
                "weights committed; revealing next epoch"
            );
            #[cfg(feature = "crash-points")]
            crate::crash::point("after_inclusion").await;
        }
        Err(e) => {
            tracing::warn!(%netuid, epoch, error = %e, "commit failed; retrying at a later block")
        }
    }
    Ok(())
}

/// Drops the stored pending commit once the *finalized* chain is past its reveal window:
/// then a reveal that landed is final, and one that did not never can. Until then (or until
/// the next commit replaces it: one per subnet) it is kept, so a reveal dropped by a reorg
/// of the best chain is sent again.
async fn forget_final_pending(
    session: &ChainSession,
    store: &Arc<Store>,
    netuid: NetUid,
    best_epoch: u64,
) -> Result<(), ValidatorError> {
    let Some(pending) = blocking(store, move |s| s.pending(netuid)).await? else {
        return Ok(());
    };
    let window = pending.epoch.saturating_add(1);
    if best_epoch <= window {
        return Ok(());
    }
    let finalized = session.at_finalized().await?;
    if session.epoch_index(&finalized, netuid).await? > window {
        blocking(store, move |s| s.remove_pending(netuid)).await?;
    }
    Ok(())
}

/// Weights from the scores, restricted to uids the metagraph holds now.
fn current_weights(subnet: &SubnetState, own_uid: Uid) -> (Vec<u16>, Vec<u16>) {
    subnet
        .scores
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .weights(Some(own_uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_start_from_half_the_tempo_and_not_in_the_epochs_last_blocks() {
        let window = |start_seen| {
            (0..20)
                .filter(|&into| in_commit_window(into, 20, start_seen))
                .collect::<Vec<u64>>()
        };
        // Tempo 20 with COMMIT_MARGIN 3: blocks 10..=16 of the epoch; at 17 a commit could
        // land in the next epoch's first block.
        assert_eq!(window(true), (10..=16).collect::<Vec<_>>());
        // After a restart the start is unknown: only the half-tempo rule.
        assert_eq!(window(false), (10..20).collect::<Vec<_>>());
        // A tempo shorter than the margin leaves no window once the start was seen.
        assert!((0..3).all(|into| !in_commit_window(into, 3, true)));
    }

    #[test]
    fn attempts_are_bounded_per_epoch_and_action() {
        let mut memory = Memory::default();
        for _ in 0..MAX_ATTEMPTS {
            assert!(memory.try_attempt(3, "commit"));
        }
        assert!(!memory.try_attempt(3, "commit"));
        assert!(memory.try_attempt(3, "reveal"));
        assert!(memory.try_attempt(4, "commit"));
    }
}
