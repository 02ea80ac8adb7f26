//! Following finalized blocks through node restarts and dropped connections.
//!
//! The miner and the validator both act on each finalized block (refresh who may call whom,
//! retry a postponed `serve`, set weights); both must survive the node going away without
//! stopping. [`FinalizedBlocks`] hides the reconnecting: it yields the chain at each new
//! finalized block and, when the stream breaks, waits (backing off to 30 s) and reconnects.

use std::time::Duration;

use subxt::client::Blocks;
use tokio_util::sync::CancellationToken;

use crate::{neuron::AtBlock, ChainClient, MindConfig};

/// First wait before reconnecting; doubles per failed attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The finalized blocks of one node, reconnecting when the connection breaks.
pub struct FinalizedBlocks {
    url: String,
    client: ChainClient,
    blocks: Option<Blocks<MindConfig>>,
    backoff: Duration,
}

impl FinalizedBlocks {
    /// Follows `client`'s node, reconnecting to `url` when needed.
    pub fn new(client: ChainClient, url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            client,
            blocks: None,
            backoff: FIRST_BACKOFF,
        }
    }

    /// The current connection; a reconnect replaces it, so callers that keep their own copy
    /// refresh it after each block.
    pub fn client(&self) -> &ChainClient {
        &self.client
    }

    /// The chain at the next finalized block, or `None` once `cancel` fires.
    pub async fn next(&mut self, cancel: &CancellationToken) -> Option<AtBlock> {
        loop {
            if self.blocks.is_none() {
                let opened = tokio::select! {
                    () = cancel.cancelled() => return None,
                    opened = self.client.api().stream_blocks() => opened,
                };
                match opened {
                    Ok(blocks) => self.blocks = Some(blocks),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot follow finalized blocks");
                        self.reconnect(cancel).await?;
                        continue;
                    }
                }
            }
            let Some(blocks) = self.blocks.as_mut() else {
                continue;
            };
            let next = tokio::select! {
                () = cancel.cancelled() => return None,
                next = blocks.next() => next,
            };
            let block = match next {
                Some(Ok(block)) => block,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "finalized block stream failed");
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
                    tracing::warn!(error = %e, "cannot read the chain at a finalized block");
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
            Ok(client) => self.client = client,
            Err(e) => tracing::warn!(error = %e, "reconnecting to the chain failed"),
        }
        Some(())
    }
}
