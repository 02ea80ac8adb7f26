//! Following the chain and setting weights.
//!
//! [`follow`] reads every finalized block: each validated subnet's metagraph (miners'
//! endpoints, permits, this hotkey's uid) and its tempo and commit-reveal flag (which the
//! owner may change at an epoch boundary, or governance at any block, while the validator
//! runs), and tells the weight tasks a block arrived.
//!
//! [`run`] is one subnet's weight task. At each finalized block, reading the chain's own
//! record of this hotkey's commit (`Consensus::Commits`) and epoch counter
//! (`Consensus::EpochIndex`) first, so the chain — not memory — decides what is done:
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
//! Each step is tried at most [`MAX_ATTEMPTS`] times per epoch.

use mindos_primitives::{NetUid, Uid};
use std::{collections::HashMap, sync::Arc};

use mindos_chain_client::{follow::FinalizedBlocks, weights_commit_hash};
use mindos_daemon::start::StartError;
use mindos_mesh::{MeshClient, Multiaddr, PeerId};
use tokio::sync::watch;

use crate::{
    chain::{AtBlock, ChainSession, Served},
    metagraph::SubnetState,
    metrics::Metrics,
    store::{PendingCommit, Store},
    Context, ValidatorError,
};

/// Attempts per step and epoch before giving up until the next epoch.
const MAX_ATTEMPTS: u32 = 5;

/// A `serve` that must wait for the rate limit: `(netuid, allowed from block)`.
pub(crate) type PendingServe = (NetUid, u64);

/// Refreshes `subnet` from the chain at `at`: its tempo and commit-reveal flag, and from the
/// metagraph its neurons, own uid and miner addresses.
pub(crate) async fn refresh(
    session: &ChainSession,
    at: &AtBlock,
    subnet: &SubnetState,
    mesh: &MeshClient,
) -> Result<(), ValidatorError> {
    if let Some((tempo, commit_reveal)) = session.subnet_parameters(at, subnet.netuid).await? {
        if subnet.set_parameters(tempo, commit_reveal) {
            tracing::info!(
                netuid = %subnet.netuid,
                tempo,
                commit_reveal,
                "subnet parameters changed"
            );
        }
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
pub(crate) async fn follow(
    ctx: Arc<Context>,
    mut session: ChainSession,
    blocks_tx: watch::Sender<u64>,
    mut serves: PendingServes,
) {
    let mut blocks = FinalizedBlocks::new(session.client.clone(), session.url.clone());
    while let Some(at) = blocks.next(&ctx.cancel).await {
        // A reconnect replaces the client; reads and transactions below use the live one.
        session.client = blocks.client().clone();
        for subnet in ctx.subnets.values() {
            if let Err(e) = refresh(&session, &at, subnet, &ctx.mesh).await {
                tracing::warn!(netuid = %subnet.netuid, error = %e, "refreshing the metagraph failed");
            }
        }
        let number = at.block_number();
        ctx.metrics
            .finalized_block
            .set(i64::try_from(number).unwrap_or(i64::MAX));
        blocks_tx.send_replace(number);
        retry_serves(&session, number, &mut serves).await;
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
            result = step => if let Err(e) = result {
                tracing::warn!(netuid = %subnet.netuid, error = %e, "weights step failed");
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
    let at = session.at_finalized().await?;
    let epoch = session.epoch_index(&at, netuid).await?;
    let started_at = match memory.epoch {
        Some((seen, at_block)) if seen == epoch => at_block,
        _ => {
            memory.epoch = Some((epoch, block));
            memory.attempts.retain(|(e, _), _| *e >= epoch);
            block
        }
    };
    let half_tempo = u64::from(subnet.tempo()).checked_div(2).unwrap_or(0);
    let ready = block.saturating_sub(started_at) >= half_tempo;

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
                        tracing::info!(%netuid, epoch, miners = p.uids.len(), "weights revealed");
                        blocking(store, move |s| s.remove_pending(netuid)).await?;
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
            blocking(store, move |s| {
                s.put_pending(netuid, &saved)?;
                s.set_committed_epoch(netuid, epoch)
            })
            .await?;
            commit
        }
    };
    if !memory.try_attempt(epoch, "commit") {
        return Ok(());
    }
    let result = session.commit_weights(netuid, commit.hash).await;
    count(metrics, netuid, "commit", result.is_ok());
    match result {
        Ok(()) => tracing::info!(
            %netuid,
            epoch,
            miners = commit.uids.len(),
            "weights committed; revealing next epoch"
        ),
        Err(e) => {
            tracing::warn!(%netuid, epoch, error = %e, "commit failed; retrying at a later block")
        }
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
