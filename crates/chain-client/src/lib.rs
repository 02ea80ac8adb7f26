//! Typed client for the MindOS chain, built on subxt.
//!
//! Calls, storage and events come from code generated at compile time out of the runtime's
//! metadata (`artifacts/metadata.scale`), so a mismatch between this client and the runtime
//! is a compile error here rather than a bad transaction on chain. The runtime's own test
//! suite fails when that file drifts from the runtime; regenerate it with
//! `scripts/update-metadata.sh`.
//!
//! Binaries (miner, validator) use this crate and never link the runtime.

pub mod follow;
pub mod keys;
pub mod neuron;

use subxt::{utils::AccountId32, OnlineClient, SubstrateConfig};
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
    /// The runtime refused a transaction with a pallet error that carries a value, such as
    /// `Directives::InvalidParameter` and the rule broken.
    #[error("{source}: {detail}")]
    PalletError {
        /// The error with its value, e.g. `Directives(InvalidParameter(ZeroBurnFloor))`.
        detail: String,
        /// The dispatch error as subxt reports it (pallet and variant only).
        #[source]
        source: Box<subxt::Error>,
    },
}

/// How often [`ChainClient::submit`] signs a transaction again after losing its nonce to
/// another transaction of the same signer.
pub const NONCE_RETRIES: u32 = 10;

impl ChainError {
    fn from_subxt(error: impl Into<subxt::Error>) -> Self {
        ChainError::Subxt(Box::new(error.into()))
    }

    /// The error of a transaction that failed in its block. subxt names a pallet error by its
    /// pallet and variant only; for a variant that carries a value the value is decoded too,
    /// since only it says what was wrong.
    fn from_failed_transaction(error: subxt::error::TransactionEventsError) -> Self {
        use subxt::error::{DispatchError, TransactionEventsError};
        if let TransactionEventsError::ExtrinsicFailed(DispatchError::Module(module)) = &error {
            let carries_value = module
                .details()
                .is_ok_and(|details| !details.variant.fields.is_empty());
            if carries_value {
                if let Ok(detail) = module.as_root_error::<subxt::ext::scale_value::Value>() {
                    return ChainError::PalletError {
                        detail: detail.to_string(),
                        source: Box::new(error.into()),
                    };
                }
            }
        }
        Self::from_subxt(error)
    }

    /// Whether the pool refused the transaction because another transaction of the same
    /// signer holds (or already used) its nonce: the node says the priority is too low for a
    /// replacement, or the transaction is outdated or stale. subxt reports these only as
    /// text (JSON-RPC errors 1010/1014 and invalid-transaction statuses).
    pub fn is_nonce_race(&self) -> bool {
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
}

/// A transaction that made it into a finalized block and succeeded there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finalized {
    /// Hash of the finalized block that holds the transaction.
    pub block_hash: subxt::config::HashFor<MindConfig>,
    /// Hash of the transaction itself.
    pub extrinsic_hash: subxt::config::HashFor<MindConfig>,
}

/// A connection to one MindOS node.
#[derive(Clone)]
pub struct ChainClient {
    api: OnlineClient<MindConfig>,
}

impl ChainClient {
    /// Connects to a node's JSON-RPC WebSocket endpoint, e.g. `ws://127.0.0.1:9944`.
    ///
    /// Plain `ws://` is accepted because nodes usually run beside their miner or validator;
    /// put a TLS proxy in front of a node that is reached over the internet.
    pub async fn connect(url: &str) -> Result<Self, ChainError> {
        let api = OnlineClient::<MindConfig>::from_insecure_url(url)
            .await
            .map_err(|e| ChainError::Connect {
                url: url.to_string(),
                source: Box::new(e.into()),
            })?;
        tracing::debug!(target: "mindos::chain", %url, "connected to chain");
        Ok(Self { api })
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

    /// Signs `call` with `signer` (next nonce, immortal, no tip), submits it and waits until
    /// it is in a finalized block. A dispatch error (e.g. `Neurons.BurnAboveMax`) comes back
    /// as an error naming the pallet and variant, and the variant's value if it has one
    /// ([`ChainError::PalletError`]), and is not retried. A transaction the pool
    /// refuses because another transaction of the same signer took its nonce (two processes
    /// sharing a coldkey, e.g. miners registering at the same moment) is signed again with a
    /// fresh nonce, at most [`NONCE_RETRIES`] times: the pool never held it, so it cannot
    /// land twice.
    pub async fn submit<Call: subxt::transactions::Payload>(
        &self,
        call: &Call,
        signer: &Keypair,
    ) -> Result<Finalized, ChainError> {
        let mut attempt: u32 = 0;
        loop {
            match self.submit_once(call, signer).await {
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
        let mut txs = self
            .api
            .transactions()
            .await
            .map_err(ChainError::from_subxt)?;
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
