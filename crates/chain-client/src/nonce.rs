//! A local nonce manager: one per signer, so several tasks signing with one key (a
//! validator's weight task per subnet) pipeline their transactions instead of taking turns
//! behind one lock held across each finality wait.
//!
//! The lock is held only to hand out the next nonce. The first nonce, and the one after
//! any transaction whose fate is unknown (refused by the pool, timed out, connection lost, or
//! its [`Reservation`] dropped unused, e.g. with a future a timeout abandoned), is read from the node's pool-aware `system_accountNextIndex`: a transaction still waiting
//! in the pool keeps its nonce, and a gap left by one that never got there is filled by the
//! next transaction instead of blocking every later one in the pool's future queue.

use std::{
    future::Future,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

use crate::{ChainClient, ChainError, Included};

/// The nonces of one signer.
#[derive(Debug)]
pub struct NonceManager {
    account: AccountId32,
    /// The nonce to hand out next; `None` until read from the node (at first use and after
    /// an error that may have left a gap).
    next: tokio::sync::Mutex<Option<u64>>,
    /// Set when a [`Reservation`] was dropped unused: the local count may be ahead of the
    /// node's, so the next reservation reads the node's. A flag, not the lock, because
    /// `Drop` cannot wait for the lock.
    stale: AtomicBool,
}

/// A nonce handed out by [`NonceManager::reserve`]. Dropped without [`Reservation::used`]
/// — its transaction refused, timed out, or the future that held it dropped (a step
/// abandoned by a timeout) before the transaction reached the pool — it makes the next
/// reservation read the node's nonce again, so no later transaction waits behind a gap.
#[derive(Debug)]
#[must_use = "a reservation dropped unused makes the next one re-read the node's nonce"]
pub struct Reservation<'a> {
    manager: &'a NonceManager,
    nonce: u64,
    used: bool,
}

impl Reservation<'_> {
    /// The nonce to sign with.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// Marks the nonce spent: its transaction is in a block (or failed there, which spends
    /// it too). The local count stays.
    pub fn used(mut self) {
        self.used = true;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.used {
            tracing::debug!(target: "mindos::chain", nonce = self.nonce, "a nonce reservation was dropped unused; re-reading the nonce from the node next");
            self.manager.stale.store(true, Ordering::Release);
        }
    }
}

impl NonceManager {
    /// The nonces of `account`; the first is read from the node on first use.
    pub fn new(account: AccountId32) -> Self {
        Self {
            account,
            next: tokio::sync::Mutex::new(None),
            stale: AtomicBool::new(false),
        }
    }

    /// Hands out the next nonce, reading it from the node if it is not known (or a
    /// reservation was dropped unused since).
    pub async fn reserve(&self, client: &ChainClient) -> Result<Reservation<'_>, ChainError> {
        self.reserve_from(|| client.next_nonce(&self.account)).await
    }

    /// [`Self::reserve`] with `read` for the node's pool-aware next nonce.
    async fn reserve_from<Read, Next>(&self, read: Read) -> Result<Reservation<'_>, ChainError>
    where
        Read: FnOnce() -> Next,
        Next: Future<Output = Result<u64, ChainError>>,
    {
        let mut next = self.next.lock().await;
        if self.stale.swap(false, Ordering::AcqRel) {
            *next = None;
        }
        let nonce = match *next {
            Some(nonce) => nonce,
            None => read().await?,
        };
        *next = Some(nonce.saturating_add(1));
        Ok(Reservation {
            manager: self,
            nonce,
            used: false,
        })
    }

    /// Forgets the local count: the next [`Self::reserve`] reads the node's again.
    pub async fn resync(&self) {
        *self.next.lock().await = None;
    }

    /// Signs `call` with `signer` (whose account this manager counts) at the next nonce and
    /// waits at most `timeout` for it to be in a best-chain block
    /// ([`ChainClient::submit_in_block`]). Unless the transaction reached a block, the local
    /// count is dropped so the next transaction re-reads the node's — also when this future
    /// is dropped before it finishes.
    pub async fn submit<Call: subxt::transactions::Payload>(
        &self,
        client: &ChainClient,
        call: &Call,
        signer: &Keypair,
        timeout: Duration,
    ) -> Result<Included, ChainError> {
        let reservation = self.reserve(client).await?;
        let nonce = reservation.nonce();
        let result = client.submit_in_block(call, signer, nonce, timeout).await;
        match &result {
            Ok(_) => reservation.used(),
            Err(e) if e.is_dispatch_error() => reservation.used(),
            Err(e) => {
                tracing::debug!(target: "mindos::chain", nonce, error = %e, "transaction fate unknown; re-reading the nonce from the node");
                drop(reservation);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;

    #[tokio::test]
    async fn a_reservation_dropped_unused_makes_the_next_one_read_the_node() {
        let manager = NonceManager::new(AccountId32([1; 32]));
        // The node's pool-aware next nonce, and how often it was read.
        let node = AtomicU64::new(5);
        let reads = AtomicU64::new(0);
        let (node_ref, reads_ref) = (&node, &reads);
        let read = move || async move {
            reads_ref.fetch_add(1, Ordering::Relaxed);
            Ok(node_ref.load(Ordering::Relaxed))
        };
        let first = manager.reserve_from(read).await.unwrap();
        assert_eq!(first.nonce(), 5);
        first.used();
        node.store(6, Ordering::Relaxed);
        // A weight step reserves, then its timeout drops it before the pool saw anything.
        let step = async {
            let _reservation = manager.reserve_from(read).await.unwrap();
            std::future::pending::<()>().await;
        };
        let timed_out = tokio::time::timeout(Duration::from_millis(10), step).await;
        assert!(timed_out.is_err());
        // The next transaction takes the node's nonce (6), not the local count (7), which
        // would wait in the pool's future queue behind a gap forever.
        let next = manager.reserve_from(read).await.unwrap();
        assert_eq!(next.nonce(), 6);
        assert_eq!(reads.load(Ordering::Relaxed), 2);
        next.used();
        // Used reservations keep the local count.
        let after = manager.reserve_from(read).await.unwrap();
        assert_eq!(after.nonce(), 7);
        assert_eq!(reads.load(Ordering::Relaxed), 2);
        after.used();
    }
}
