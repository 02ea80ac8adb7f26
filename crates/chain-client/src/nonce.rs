//! A local nonce manager: one per signer, so several tasks signing with one key (a
//! validator's weight task per subnet) pipeline their transactions instead of taking turns
//! behind one lock held across each finality wait.
//!
//! The lock is held only to hand out the next nonce. The first nonce, and the one after
//! any transaction whose fate is unknown (refused by the pool, timed out, connection lost),
//! is read from the node's pool-aware `system_accountNextIndex`: a transaction still waiting
//! in the pool keeps its nonce, and a gap left by one that never got there is filled by the
//! next transaction instead of blocking every later one in the pool's future queue.

use std::time::Duration;

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
}

impl NonceManager {
    /// The nonces of `account`; the first is read from the node on first use.
    pub fn new(account: AccountId32) -> Self {
        Self {
            account,
            next: tokio::sync::Mutex::new(None),
        }
    }

    /// Hands out the next nonce, reading it from the node if it is not known.
    pub async fn reserve(&self, client: &ChainClient) -> Result<u64, ChainError> {
        let mut next = self.next.lock().await;
        let nonce = match *next {
            Some(nonce) => nonce,
            None => client.next_nonce(&self.account).await?,
        };
        *next = Some(nonce.saturating_add(1));
        Ok(nonce)
    }

    /// Forgets the local count: the next [`Self::reserve`] reads the node's again.
    pub async fn resync(&self) {
        *self.next.lock().await = None;
    }

    /// Signs `call` with `signer` (whose account this manager counts) at the next nonce and
    /// waits at most `timeout` for it to be in a best-chain block
    /// ([`ChainClient::submit_in_block`]). Unless the transaction reached a block, the local
    /// count is dropped so the next transaction re-reads the node's.
    pub async fn submit<Call: subxt::transactions::Payload>(
        &self,
        client: &ChainClient,
        call: &Call,
        signer: &Keypair,
        timeout: Duration,
    ) -> Result<Included, ChainError> {
        let nonce = self.reserve(client).await?;
        let result = client.submit_in_block(call, signer, nonce, timeout).await;
        if let Err(e) = &result {
            if !e.is_dispatch_error() {
                tracing::debug!(target: "mindos::chain", nonce, error = %e, "transaction fate unknown; re-reading the nonce from the node");
                self.resync().await;
            }
        }
        result
    }
}
