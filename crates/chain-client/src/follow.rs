//! Following finalized blocks through node restarts and dropped connections.
//!
//! The miner and the validator both act on each finalized block (refresh who may call whom,
//! retry a postponed `serve`, set weights); both must survive the node going away without
//! stopping. [`FinalizedBlocks`] hides the reconnecting: it yields the chain at each new
//! finalized block and, when the stream breaks, waits (backing off to 30 s) and reconnects.
//! [`FinalizedBlocks::best_chain`] does the same along the best chain, which keeps moving
//! while finality stalls.

use std::time::Duration;

use subxt::client::Blocks;
use tokio_util::sync::CancellationToken;

use crate::{neuron::AtBlock, ChainClient, MindConfig};

/// First wait before reconnecting; doubles per failed attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long the best chain may go without a new block before the connection is presumed
/// dead and replaced (blocks come every few seconds).
pub const BEST_SILENCE: Duration = Duration::from_secs(60);

/// The finalized blocks of one node, reconnecting when the connection breaks.
pub struct FinalizedBlocks {
    url: String,
    client: ChainClient,
    blocks: Option<Blocks<MindConfig>>,
    backoff: Duration,
    /// Follow the best chain's head instead of the finalized one.
    best: bool,
    /// Successful reconnections so far.
    reconnects: u64,
}

impl FinalizedBlocks {
    /// Follows `client`'s node, reconnecting to `url` when needed.
    pub fn new(client: ChainClient, url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            client,
            blocks: None,
            backoff: FIRST_BACKOFF,
            best: false,
            reconnects: 0,
        }
    }

    /// Follows the head of `client`'s best chain (not yet final; a reorg may replace a
    /// block), reconnecting to `url` when needed. What must act while finality stalls (a
    /// validator's reveal window) follows this.
    pub fn best_chain(client: ChainClient, url: impl Into<String>) -> Self {
        Self {
            best: true,
            ..Self::new(client, url)
        }
    }

    /// The current connection; a reconnect replaces it, so callers that keep their own copy
    /// refresh it after each block.
    pub fn client(&self) -> &ChainClient {
        &self.client
    }

    /// How often the connection was replaced so far: a caller sharing the connection with
    /// other tasks hands the new one on when this changes.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// The chain at the next finalized block, or `None` once `cancel` fires.
    pub async fn next(&mut self, cancel: &CancellationToken) -> Option<AtBlock> {
        loop {
            if self.blocks.is_none() {
                let api = self.client.api();
                let open = async {
                    if self.best {
                        api.stream_best_blocks().await
                    } else {
                        api.stream_blocks().await
                    }
                };
                let opened = tokio::select! {
                    () = cancel.cancelled() => return None,
                    opened = open => opened,
                };
                match opened {
                    Ok(blocks) => self.blocks = Some(blocks),
                    Err(e) => {
                        tracing::warn!(error = %e, best = self.best, "cannot follow blocks");
                        self.reconnect(cancel).await?;
                        continue;
                    }
                }
            }
            let Some(blocks) = self.blocks.as_mut() else {
                continue;
            };
            // The best chain grows every few seconds; silence far longer than that is a
            // half-open connection. (Finalized heads may legitimately stop: finality stalls.)
            let silence = if self.best {
                BEST_SILENCE
            } else {
                Duration::MAX
            };
            let next = tokio::select! {
                () = cancel.cancelled() => return None,
                next = tokio::time::timeout(silence, blocks.next()) => next,
            };
            let block = match next {
                Err(_) => {
                    tracing::warn!(after = ?silence, "no new best block; reconnecting");
                    self.blocks = None;
                    self.reconnect(cancel).await?;
                    continue;
                }
                Ok(next) => next,
            };
            let block = match block {
                Some(Ok(block)) => block,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, best = self.best, "block stream failed");
                    self.blocks = None;
                    self.reconnect(cancel).await?;
                    continue;
                }
                None => {
                    self.blocks = None;
                    self.reconnect(cancel).await?;
                    continue;
                }
            };
            self.backoff = FIRST_BACKOFF;
            match block.at().await {
                Ok(at) => return Some(at),
                Err(e) => {
                    tracing::warn!(error = %e, best = self.best, "cannot read the chain at a block");
                }
            }
        }
    }

    /// Waits the back-off, then tries once to reconnect; `None` if cancelled meanwhile. A
    /// failed attempt keeps the old client: the next stream fails and lands here again.
    async fn reconnect(&mut self, cancel: &CancellationToken) -> Option<()> {
        tokio::select! {
            () = cancel.cancelled() => return None,
            () = tokio::time::sleep(self.backoff) => {}
        }
        self.backoff = self.backoff.saturating_mul(2).min(MAX_BACKOFF);
        match ChainClient::connect(&self.url).await {
            Ok(client) => {
                self.client = client;
                self.reconnects = self.reconnects.saturating_add(1);
            }
            Err(e) => tracing::warn!(error = %e, "reconnecting to the chain failed"),
        }
        Some(())
    }
}
