//! Typed client for the MindOS chain, built on subxt.
//!
//! Calls, storage and events come from code generated at compile time out of the runtime's
//! metadata (`artifacts/metadata.scale`), so a mismatch between this client and the runtime
//! is a compile error here rather than a bad transaction on chain. The runtime's own test
//! suite fails when that file drifts from the runtime; regenerate it with
//! `scripts/update-metadata.sh`.
//!
//! Binaries (miner, validator) use this crate and never link the runtime.

pub mod address;
pub mod follow;
pub mod keys;
pub mod neuron;
pub mod nonce;
pub mod sentinels;

use std::time::Duration;

use subxt::{
    config::RpcConfigFor,
    rpcs::{LegacyRpcMethods, RpcClient},
    transactions::TransactionStatus,
    utils::AccountId32,
    OnlineClient, SubstrateConfig,
};
use subxt_signer::sr25519::Keypair;

/// Code generated from the runtime metadata: `runtime::transactions()`,
/// `runtime::storage()`, events and types of every pallet.
#[allow(missing_docs, unreachable_pub, unused_qualifications, clippy::all)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]
#[subxt::subxt(runtime_metadata_path = "artifacts/metadata.scale")]
pub mod runtime {}

// The subxt macro reads the metadata without telling cargo, so a regenerated artifact would
// not rebuild this crate; including the bytes makes the file a tracked input.
const _METADATA_IS_A_BUILD_INPUT: &[u8] = include_bytes!("../artifacts/metadata.scale");

/// The chain's configuration as subxt sees it. MindOS uses Substrate's defaults: 32-byte
/// account ids, `MultiAddress<AccountId, ()>`, `MultiSignature`, BLAKE2-256 and `u32`
/// block numbers.
pub type MindConfig = SubstrateConfig;

/// A balance of MIND in planck (10^-12 MIND).
pub type Balance = u128;

/// The hash a validator commits with `Consensus::commit_weights` and must match with
/// `reveal_weights`: BLAKE2b-256 of the SCALE encoding of `(hotkey, netuid, uids, weights,
/// salt)` — the same as the pallet's `commit_hash`.
pub fn weights_commit_hash(
    hotkey: &AccountId32,
    netuid: mindos_primitives::NetUid,
    uids: &[u16],
    weights: &[u16],
    salt: &[u8; 32],
) -> [u8; 32] {
    use codec::Encode;
    sp_crypto_hashing::blake2_256(&(hotkey.0, netuid, uids, weights, salt).encode())
}

/// Lower-case hex of `bytes`, without `0x`: how keys and accounts are written in files and
/// logs.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// What can go wrong talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node could not be reached or answered with a transport or RPC error.
    #[error("chain RPC at {url}: {source}")]
    Connect {
        /// The endpoint tried.
        url: String,
        /// What went wrong.
        #[source]
        source: Box<subxt::Error>,
    },
    /// A call, storage read or transaction failed.
    #[error(transparent)]
    Subxt(#[from] Box<subxt::Error>),
    /// A plain JSON-RPC call (`system_accountNextIndex`, `chain_getBlockHash`) failed.
    #[error("chain RPC: {0}")]
    Rpc(Box<subxt::rpcs::Error>),
    /// The node did not answer, or the transaction did not reach the awaited state, in time:
    /// a dropped connection, a pool that lost the transaction without a status, or stalled
    /// finality. Nothing waits on the chain without a bound.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: &'static str,
        /// The bound that passed.
        after: Duration,
    },
    /// The pool refused, dropped or failed the transaction before it reached a block.
    #[error("the transaction pool refused the transaction ({status}): {message}")]
    Pool {
        /// `invalid`, `dropped` or `error`.
        status: &'static str,
        /// The node's reason.
        message: String,
    },
    /// The PeerId this node would serve is served by another hotkey on the subnet, which the
    /// chain refuses (`Neurons::PeerIdTaken`): one node key serves one hotkey per subnet.
    #[error(
        "PeerId {peer_id} is already served by hotkey {owner} on subnet {netuid}; the chain \
         binds a PeerId to one hotkey per subnet: give this hotkey its own node key \
         (--node-key-file), or stop the other neuron"
    )]
    PeerIdTaken {
        /// The PeerId, base58.
        peer_id: String,
        /// The hotkey serving it, `0x`-hex.
        owner: String,
        /// The subnet.
        netuid: mindos_primitives::NetUid,
    },
    /// The hotkey belongs on chain to another coldkey than the configured one: whatever it
    /// earned or staked would go to that coldkey, so the binary refuses to run on it.
    #[error(
        "refusing to run: hotkey {hotkey} is owned on chain by coldkey {owner}, not by the \
         configured coldkey {expected}; everything it earns would go to {owner}. Use a hotkey \
         of your own (a fresh one is bound to your coldkey at its first registration)"
    )]
    HotkeyOwnedByAnother {
        /// The hotkey, `0x`-hex.
        hotkey: String,
        /// Its owner on chain, `0x`-hex.
        owner: String,
        /// The configured coldkey, `0x`-hex.
        expected: String,
    },
    /// The node's libp2p key is not an ed25519 key: `serve` accepts only ed25519 PeerIds,
    /// whose key the chain can read to check the proof.
    #[error("the node key is not an ed25519 key; the chain serves only ed25519 PeerIds")]
    NodeKeyNotEd25519,
    /// The node has no live subnet with this id (`mindos_*` error 4001).
    #[error("no live subnet has id {netuid}")]
    UnknownSubnet {
        /// The subnet asked about.
        netuid: mindos_primitives::NetUid,
    },
    /// The node holds no sentinel committee of the requested epoch (`mindos_committee` error
    /// 4003): it keeps the current and the next epoch's, and an epoch with fewer than four
    /// eligible validators has none.
    #[error(
        "no committee of subnet {netuid} for sentinel epoch {requested}: the chain holds the \
         current epoch's ({current}) and the next one's, and of these has {stored:?}"
    )]
    CommitteeNotStored {
        /// The subnet.
        netuid: mindos_primitives::NetUid,
        /// The epoch asked for (the current one when none was named).
        requested: u64,
        /// The subnet's sentinel epoch now.
        current: u64,
        /// The epochs whose committees the chain holds.
        stored: Vec<u64>,
    },
    /// The runtime refused a transaction with a pallet error: the error's value if it carries
    /// one (such as `Directives::InvalidParameter` and the rule broken) and its documentation.
    #[error("{source}: {detail}")]
    PalletError {
        /// The error's value, e.g. `Directives(InvalidParameter(ZeroBurnFloor))`, and its
        /// documentation from the runtime metadata.
        detail: String,
        /// The dispatch error as subxt reports it (pallet and variant only).
        #[source]
        source: Box<subxt::Error>,
    },
}

/// How often [`ChainClient::submit`] signs a transaction again after losing its nonce to
/// another transaction of the same signer.
pub const NONCE_RETRIES: u32 = 10;

/// How long one attempt of [`ChainClient::submit`] waits for its transaction to be
/// finalized. GRANDPA finalizes within a few blocks when its voters are up; past this bound
/// finality is stalled or the transaction is lost, and waiting longer would block the caller
/// forever.
pub const FINALIZED_TIMEOUT: Duration = Duration::from_secs(120);

/// How far finality may lag the best block before new transactions are signed at the best
/// block instead of the finalized one (see [`ChainClient::submit_in_block`]). Half of subxt's
/// 32-block mortality: a transaction signed at the finalized block still has at least 16
/// blocks to land in.
pub const MAX_FINALITY_LAG: u64 = 16;

/// How often [`ChainClient::at_best`] asks for the best block when the one it was told of is
/// gone by the time it reads its header.
pub const BEST_BLOCK_ATTEMPTS: u32 = 3;

/// How long a plain read (a nonce, the best block's hash, the chain type) may take.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(20);

/// Awaits `future` for at most `after`; [`ChainError::Timeout`] naming `what` past it.
pub async fn bounded<T>(
    what: &'static str,
    after: Duration,
    future: impl std::future::Future<Output = Result<T, ChainError>>,
) -> Result<T, ChainError> {
    tokio::time::timeout(after, future)
        .await
        .unwrap_or(Err(ChainError::Timeout { what, after }))
}

impl ChainError {
    /// A subxt error as this crate reports it.
    pub fn from_subxt(error: impl Into<subxt::Error>) -> Self {
        ChainError::Subxt(Box::new(error.into()))
    }

    /// The error of a transaction that failed in its block, as a person should read it.
    /// subxt names a pallet error by its pallet and variant only; this adds the variant's
    /// value if it carries one (only it says what was wrong, e.g. which parameter rule broke)
    /// and the variant's documentation from the runtime metadata:
    /// `Neurons::BurnAboveMax: The current registration price exceeds the caller's max_burn.`
    /// rather than a bare name.
    pub fn from_failed_transaction(error: subxt::error::TransactionEventsError) -> Self {
        use subxt::error::{DispatchError, TransactionEventsError};
        if let TransactionEventsError::ExtrinsicFailed(DispatchError::Module(module)) = &error {
            if let Ok(details) = module.details() {
                let docs = details.variant.docs.join(" ");
                let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
                let value = if details.variant.fields.is_empty() {
                    None
                } else {
                    module
                        .as_root_error::<subxt::ext::scale_value::Value>()
                        .ok()
                        .map(|value| value.to_string())
                };
                let detail = match (value, docs.is_empty()) {
                    (Some(value), false) => format!("{value}; {docs}"),
                    (Some(value), true) => value,
                    (None, false) => docs,
                    (None, true) => "(the runtime documents no more)".to_owned(),
                };
                return ChainError::PalletError {
                    detail,
                    source: Box::new(error.into()),
                };
            }
        }
        Self::from_subxt(error)
    }

    /// The error a final pool status means (the pool declared the transaction invalid,
    /// dropped it, or failed), or `None` for a status on the way to a block.
    pub fn from_pool_status<T, C>(status: &TransactionStatus<T, C>) -> Option<Self>
    where
        T: subxt::config::Config,
    {
        let (status, message) = match status {
            TransactionStatus::Invalid { message } => ("invalid", message),
            TransactionStatus::Dropped { message } => ("dropped", message),
            TransactionStatus::Error { message } => ("error", message),
            _ => return None,
        };
        Some(ChainError::Pool {
            status,
            message: message.clone(),
        })
    }

    /// Whether the pool refused the transaction because another transaction of the same
    /// signer holds (or already used) its nonce: the node says the priority is too low for a
    /// replacement, or the transaction is outdated or stale. subxt reports these only as
    /// text (JSON-RPC errors 1010/1014 and invalid-transaction statuses).
    pub fn is_nonce_race(&self) -> bool {
        if matches!(self, ChainError::Timeout { .. }) {
            return false;
        }
        let text = self.to_string().to_ascii_lowercase();
        [
            "priority is too low",
            "priority of the transaction is too low",
            "outdated",
            "stale",
        ]
        .iter()
        .any(|needle| text.contains(needle))
    }

    /// Whether the transaction reached a block and failed there (a pallet refused it): its
    /// nonce is spent. Every other error leaves it unknown whether the nonce was used.
    pub fn is_dispatch_error(&self) -> bool {
        match self {
            ChainError::PalletError { .. } => true,
            ChainError::Subxt(e) => matches!(
                e.as_ref(),
                subxt::Error::TransactionEventsError(
                    subxt::error::TransactionEventsError::ExtrinsicFailed(_)
                )
            ),
            _ => false,
        }
    }
}

/// A transaction that made it into a block of the best chain (not yet necessarily final)
/// and succeeded there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Included {
    /// Hash of the block that holds the transaction.
    pub block_hash: subxt::config::HashFor<MindConfig>,
    /// Hash of the transaction itself.
    pub extrinsic_hash: subxt::config::HashFor<MindConfig>,
    /// Whether that block was already finalized when this was reported.
    pub finalized: bool,
}

/// A transaction that made it into a finalized block and succeeded there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finalized {
    /// Hash of the finalized block that holds the transaction.
    pub block_hash: subxt::config::HashFor<MindConfig>,
    /// Hash of the transaction itself.
    pub extrinsic_hash: subxt::config::HashFor<MindConfig>,
}

/// The chain types (`system_chainType`) of test networks: the only chains test-only hooks
/// (the miner's fault injection, the validator's crash points) agree to run against.
pub const TEST_CHAIN_TYPES: [&str; 2] = ["Development", "Local"];

/// A connection to one MindOS node.
#[derive(Clone)]
pub struct ChainClient {
    api: OnlineClient<MindConfig>,
    /// The same connection, for the plain RPCs subxt's typed client does not offer.
    rpc: LegacyRpcMethods<RpcConfigFor<MindConfig>>,
    /// The same connection, for the node's own `mindos_*` methods.
    raw_rpc: RpcClient,
}

impl ChainClient {
    /// Connects to a node's JSON-RPC WebSocket endpoint, e.g. `ws://127.0.0.1:9944`.
    ///
    /// Plain `ws://` is accepted because nodes usually run beside their miner or validator;
    /// put a TLS proxy in front of a node that is reached over the internet.
    pub async fn connect(url: &str) -> Result<Self, ChainError> {
        let connect = async {
            let rpc = RpcClient::from_insecure_url(url)
                .await
                .map_err(|e| ChainError::Connect {
                    url: url.to_string(),
                    source: Box::new(subxt::Error::other(e)),
                })?;
            let api = OnlineClient::<MindConfig>::from_rpc_client(rpc.clone())
                .await
                .map_err(|e| ChainError::Connect {
                    url: url.to_string(),
                    source: Box::new(e.into()),
                })?;
            Ok(Self {
                api,
                rpc: LegacyRpcMethods::new(rpc.clone()),
                raw_rpc: rpc,
            })
        };
        // A node that accepts the socket and never answers must not hang the caller.
        let client = bounded("the chain connection", RPC_TIMEOUT, connect).await?;
        tracing::debug!(target: "mindos::chain", %url, "connected to chain");
        Ok(client)
    }

    /// The next nonce of `who` as the node sees it, counting the transactions of `who` that
    /// wait in its pool (`system_accountNextIndex`), unlike the account's nonce at a block.
    pub async fn next_nonce(&self, who: &AccountId32) -> Result<u64, ChainError> {
        bounded("the account's next nonce", RPC_TIMEOUT, async {
            self.rpc
                .system_account_next_index(who)
                .await
                .map_err(|e| ChainError::Rpc(Box::new(e)))
        })
        .await
    }

    /// The chain at the head of the best chain: ahead of finality, and moving on when
    /// finality stalls. A reorg may replace it.
    ///
    /// The best block's hash and its header are two calls; between them a best block on a
    /// fork that finality just displaced can be pruned (seen on a loaded machine with one
    /// second blocks), so a vanished block is asked for again, up to [`BEST_BLOCK_ATTEMPTS`]
    /// times.
    pub async fn at_best(&self) -> Result<neuron::AtBlock, ChainError> {
        bounded("the best block", RPC_TIMEOUT, async {
            let mut attempt = 1;
            loop {
                let hash = self
                    .rpc
                    .chain_get_block_hash(None)
                    .await
                    .map_err(|e| ChainError::Rpc(Box::new(e)))?
                    .ok_or_else(|| {
                        ChainError::from_subxt(subxt::Error::other_str(
                            "the node has no best block",
                        ))
                    })?;
                match self.api.at_block(hash).await {
                    Ok(at) => return Ok(at),
                    Err(e) if attempt < BEST_BLOCK_ATTEMPTS => {
                        tracing::debug!(target: "mindos::chain", ?hash, error = %e, "the best block vanished; asking again");
                        attempt = attempt.saturating_add(1);
                    }
                    Err(e) => return Err(ChainError::from_subxt(e)),
                }
            }
        })
        .await
    }

    /// The block a new transaction is signed at, which its mortality counts from: the newest
    /// finalized block, or the best block once finality lags it by more than
    /// [`MAX_FINALITY_LAG`] (as polkadot-js signs).
    ///
    /// A transaction is valid for 32 blocks from that block. Signed at a finalized block that
    /// lags further, it is dead on arrival: the node derives the era's start from the current
    /// block, finds a different block there and refuses the signature ("bad signature"). So
    /// while finality stalls nothing could be sent at all — not even the reveal a validator
    /// must get into its window. The best block may be reorganised away, which costs that one
    /// transaction; callers retry.
    pub async fn signing_block(&self) -> Result<neuron::AtBlock, ChainError> {
        let finalized = bounded("the finalized block", RPC_TIMEOUT, async {
            self.api
                .at_current_block()
                .await
                .map_err(ChainError::from_subxt)
        })
        .await?;
        let best = self.at_best().await?;
        let lag = best.block_number().saturating_sub(finalized.block_number());
        Ok(if lag > MAX_FINALITY_LAG {
            best
        } else {
            finalized
        })
    }

    /// The chain type the node declares (`system_chainType`): `Development`, `Local`,
    /// `Live` or a custom name.
    pub async fn chain_type(&self) -> Result<String, ChainError> {
        bounded("the chain type", RPC_TIMEOUT, async {
            self.rpc
                .system_chain_type()
                .await
                .map_err(|e| ChainError::Rpc(Box::new(e)))
        })
        .await
    }

    /// Calls the node's `mindos_*` read `method` (`crates/rpc/README.md`) with `params` and
    /// decodes its answer, bounded by [`RPC_TIMEOUT`]. The node's "unknown subnet" (4001)
    /// about `netuid` comes back as [`ChainError::UnknownSubnet`], so callers can tell a
    /// wrong subnet id from a failing node.
    pub async fn mindos_read<T: serde::de::DeserializeOwned>(
        &self,
        method: &'static str,
        params: subxt::rpcs::client::RpcParams,
        netuid: Option<mindos_primitives::NetUid>,
    ) -> Result<T, ChainError> {
        bounded(method, RPC_TIMEOUT, async {
            self.raw_rpc
                .request(method, params)
                .await
                .map_err(|e| sentinels::read_error(e, netuid, None))
        })
        .await
    }

    /// The underlying subxt client, for calls this wrapper does not cover.
    pub fn api(&self) -> &OnlineClient<MindConfig> {
        &self.api
    }

    /// The number of the newest finalized block.
    pub async fn finalized_number(&self) -> Result<u64, ChainError> {
        let at = self
            .api
            .at_current_block()
            .await
            .map_err(ChainError::from_subxt)?;
        Ok(at.block_number())
    }

    /// Free balance of `who` at the newest finalized block (zero for an unknown account).
    pub async fn free_balance(&self, who: &AccountId32) -> Result<Balance, ChainError> {
        let at = self
            .api
            .at_current_block()
            .await
            .map_err(ChainError::from_subxt)?;
        let account = at
            .storage()
            .try_fetch(runtime::storage().system().account(), (*who,))
            .await
            .map_err(ChainError::from_subxt)?;
        match account {
            Some(value) => Ok(value.decode().map_err(ChainError::from_subxt)?.data.free),
            None => Ok(0),
        }
    }

    /// Transfers `amount` planck from `signer` to `dest`, keeping the sender alive, and waits
    /// until the transfer is in a finalized block and succeeded.
    pub async fn transfer_keep_alive(
        &self,
        signer: &Keypair,
        dest: AccountId32,
        amount: Balance,
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions()
            .balances()
            .transfer_keep_alive(dest.into(), amount);
        let finalized = self.submit(&call, signer).await?;
        tracing::info!(target: "mindos::chain", block = ?finalized.block_hash, amount, "transfer finalized");
        Ok(finalized)
    }

    /// Signs `call` with `signer` (next nonce, mortal as [`Self::submit_in_block`] says, no
    /// tip), submits it and waits until it is in a finalized block. A dispatch error (e.g.
    /// `Neurons.BurnAboveMax`) comes back as an error naming the pallet and variant, and the
    /// variant's value if it has one ([`ChainError::PalletError`]), and is not retried. A transaction the pool
    /// refuses because another transaction of the same signer took its nonce (two processes
    /// sharing a coldkey, e.g. miners registering at the same moment) is signed again with a
    /// fresh nonce, at most [`NONCE_RETRIES`] times: the pool never held it, so it cannot
    /// land twice. Each attempt waits at most [`FINALIZED_TIMEOUT`]
    /// ([`ChainError::Timeout`]): with finality stalled this fails instead of blocking.
    pub async fn submit<Call: subxt::transactions::Payload>(
        &self,
        call: &Call,
        signer: &Keypair,
    ) -> Result<Finalized, ChainError> {
        self.submit_within(call, signer, FINALIZED_TIMEOUT).await
    }

    /// [`Self::submit`] with each attempt bounded by `timeout`.
    pub async fn submit_within<Call: subxt::transactions::Payload>(
        &self,
        call: &Call,
        signer: &Keypair,
        timeout: Duration,
    ) -> Result<Finalized, ChainError> {
        let mut attempt: u32 = 0;
        loop {
            let once = self.submit_once(call, signer);
            match bounded("the transaction to be finalized", timeout, once).await {
                Err(e) if attempt < NONCE_RETRIES && e.is_nonce_race() => {
                    attempt = attempt.saturating_add(1);
                    tracing::info!(target: "mindos::chain", attempt, error = %e, "nonce taken by another transaction of the signer; signing again");
                    // The fresh nonce is read at a finalized block: wait for the
                    // transaction that took it to be finalized (blocks are 1-6 s).
                    tokio::time::sleep(std::time::Duration::from_millis(
                        500u64.saturating_mul(u64::from(attempt)).min(3_000),
                    ))
                    .await;
                }
                other => return other,
            }
        }
    }

    async fn submit_once<Call: subxt::transactions::Payload>(
        &self,
        call: &Call,
        signer: &Keypair,
    ) -> Result<Finalized, ChainError> {
        let mut txs = self.signing_block().await?.transactions();
        let progress = txs
            .sign_and_submit_then_watch_default(call, signer)
            .await
            .map_err(ChainError::from_subxt)?;
        let in_block = progress
            .wait_for_finalized()
            .await
            .map_err(ChainError::from_subxt)?;
        in_block
            .wait_for_success()
            .await
            .map_err(ChainError::from_failed_transaction)?;
        Ok(Finalized {
            block_hash: in_block.block_hash(),
            extrinsic_hash: in_block.extrinsic_hash(),
        })
    }

    /// Signs `call` with `signer` at `nonce` (no tip), submits it and waits — at
    /// most `timeout` — until it is in a block of the best chain and succeeded there. Does
    /// not wait for finality: callers that must know it stuck read the chain again later
    /// (a reorg can drop the block). Use with a [`nonce::NonceManager`] so transactions of
    /// one signer are pipelined rather than sent one finality wait at a time.
    ///
    /// Mortal, as subxt's default parameters make every transaction here: valid for 32
    /// blocks (subxt's `CheckMortalityParams::default`) from the block it is signed at — the
    /// latest finalized block, or the best block while finality lags
    /// ([`MAX_FINALITY_LAG`]). A transaction stuck in a pool expires then instead of landing
    /// much later.
    pub async fn submit_in_block<Call: subxt::transactions::Payload>(
        &self,
        call: &Call,
        signer: &Keypair,
        nonce: u64,
        timeout: Duration,
    ) -> Result<Included, ChainError> {
        bounded("the transaction to be in a block", timeout, async {
            let params = subxt::config::SubstrateExtrinsicParamsBuilder::<MindConfig>::new()
                .nonce(nonce)
                .build();
            let mut txs = self.signing_block().await?.transactions();
            let mut progress = txs
                .sign_and_submit_then_watch(call, signer, params)
                .await
                .map_err(ChainError::from_subxt)?;
            loop {
                let status = progress
                    .next()
                    .await
                    .ok_or_else(|| {
                        ChainError::from_subxt(subxt::Error::other_str(
                            "the node closed the transaction's status stream",
                        ))
                    })?
                    .map_err(ChainError::from_subxt)?;
                if let Some(error) = ChainError::from_pool_status(&status) {
                    return Err(error);
                }
                let (in_block, finalized) = match status {
                    TransactionStatus::InBestBlock(b) => (b, false),
                    TransactionStatus::InFinalizedBlock(b) => (b, true),
                    _ => continue,
                };
                in_block
                    .wait_for_success()
                    .await
                    .map_err(ChainError::from_failed_transaction)?;
                return Ok(Included {
                    block_hash: in_block.block_hash(),
                    extrinsic_hash: in_block.extrinsic_hash(),
                    finalized,
                });
            }
        })
        .await
    }
}

#[cfg(test)]
mod nonce_race_tests {
    use super::ChainError;

    fn error(text: &str) -> ChainError {
        ChainError::Subxt(Box::new(subxt::Error::other_str(text)))
    }

    #[test]
    fn pool_refusals_for_a_taken_nonce_are_retried_and_nothing_else() {
        // What the node said when two miners registered with one coldkey at once.
        assert!(error("Error during transaction progress: The transaction is not valid: The priority of the transaction is too low (pool 248 > current 248)").is_nonce_race());
        assert!(error("Invalid Transaction: Transaction is outdated").is_nonce_race());
        assert!(error("1014: Priority is too low: (248 vs 248)").is_nonce_race());
        assert!(!error("Module error: Neurons.BurnAboveMax").is_nonce_race());
        assert!(!error("Invalid Transaction: Inability to pay some fees").is_nonce_race());
    }
}
