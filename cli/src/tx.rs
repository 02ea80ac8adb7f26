//! Signing and sending a transaction the way a user wants to see it: the fee before
//! signing, progress while it waits for a block and for finality, and a dispatch error
//! as the pallet names it.

use anyhow::Context;
use mindos_chain_client::{
    bounded, ChainClient, ChainError, MindConfig, FINALIZED_TIMEOUT, RPC_TIMEOUT,
};
use subxt::{
    client::OnlineClientAtBlockImpl,
    transactions::{Payload, Signer, SubmittableTransaction, TransactionStatus},
    utils::H256,
};

use crate::ui::Ui;

/// A signed transaction, not yet sent, with its fee.
pub struct Signed {
    tx: SubmittableTransaction<MindConfig, OnlineClientAtBlockImpl<MindConfig>>,
    /// The node's estimate of the fee, in planck (`TransactionPaymentApi_query_info`'s
    /// partial fee: what the transaction pays without a tip).
    pub fee: u128,
}

/// Where the transaction ended up.
#[derive(Debug, Clone, Copy)]
pub struct Finalized {
    /// The finalized block that holds it.
    pub block_hash: H256,
    /// That block's number.
    pub block_number: u64,
    /// The transaction's hash.
    pub extrinsic_hash: H256,
}

/// A subxt error as the chain client reports it (its `ChainError::Subxt`), so
/// [`crate::exit_code`] sorts it as a chain error.
pub fn chain_error(error: impl Into<subxt::Error>) -> ChainError {
    ChainError::Subxt(Box::new(error.into()))
}

/// The error of a transaction that failed in its block, as the user should read it: the
/// pallet and error name (subxt's text), the error's value if it carries one, and the
/// error's documentation from the runtime metadata — `Neurons::BurnAboveMax: The current
/// registration price exceeds the caller's `max_burn`.` rather than a bare variant name.
pub fn dispatch_error(error: subxt::error::TransactionEventsError) -> ChainError {
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
    chain_error(error)
}

/// Signs `call` with `signer` (a wallet's [`Sr25519Pair`](crate::keystore::Sr25519Pair), or a
/// hotkey's key pair) at the next nonce and asks the node for its fee. Nothing is sent.
pub async fn sign<Call: Payload, S: Signer<MindConfig>>(
    client: &ChainClient,
    call: &Call,
    signer: &S,
) -> anyhow::Result<Signed> {
    // Signed at the finalized block, or the best one while finality lags (as the chain
    // client signs): a transaction is mortal for 32 blocks from there.
    let mut txs = client.signing_block().await?.transactions();
    let params = subxt::config::SubstrateExtrinsicParamsBuilder::<MindConfig>::new().build();
    let tx = txs
        .create_signed(call, signer, params)
        .await
        .map_err(chain_error)
        .context("signing the transaction")?;
    let fee = bounded("the fee estimate", RPC_TIMEOUT, async {
        tx.partial_fee_estimate().await.map_err(chain_error)
    })
    .await
    .context("asking the node for the fee")?;
    Ok(Signed { tx, fee })
}

/// Sends `signed` and waits, at most [`FINALIZED_TIMEOUT`], until it is in a finalized
/// block and succeeded there; progress goes to stderr.
pub async fn send(client: &ChainClient, signed: Signed, ui: &Ui) -> anyhow::Result<Finalized> {
    let watch = async {
        let mut progress = signed.tx.submit_and_watch().await.map_err(chain_error)?;
        ui.note(&format!("sent transaction {:?}", signed.tx.hash()));
        loop {
            let status = progress
                .next()
                .await
                .ok_or_else(|| ChainError::Pool {
                    status: "error",
                    message: "the node closed the transaction's status stream".into(),
                })?
                .map_err(chain_error)?;
            match status {
                TransactionStatus::InBestBlock(in_block) => {
                    let number = block_number(client, in_block.block_hash()).await;
                    ui.note(&format!(
                        "in block #{} ({:?}); waiting for finality…",
                        number.map_or("?".into(), |n| n.to_string()),
                        in_block.block_hash()
                    ));
                }
                TransactionStatus::InFinalizedBlock(in_block) => {
                    in_block.wait_for_success().await.map_err(dispatch_error)?;
                    let block_hash = in_block.block_hash();
                    let block_number = block_number(client, block_hash).await?;
                    return Ok(Finalized {
                        block_hash,
                        block_number,
                        extrinsic_hash: in_block.extrinsic_hash(),
                    });
                }
                TransactionStatus::Invalid { message } => {
                    return Err(ChainError::Pool {
                        status: "invalid",
                        message,
                    })
                }
                TransactionStatus::Dropped { message } => {
                    return Err(ChainError::Pool {
                        status: "dropped",
                        message,
                    })
                }
                TransactionStatus::Error { message } => {
                    return Err(ChainError::Pool {
                        status: "error",
                        message,
                    })
                }
                TransactionStatus::NoLongerInBestBlock => {
                    ui.note("the block was reorganised away; waiting for the next one…");
                }
                TransactionStatus::Validated | TransactionStatus::Broadcasted => {}
            }
        }
    };
    Ok(bounded("the transaction to be finalized", FINALIZED_TIMEOUT, watch).await?)
}

async fn block_number(client: &ChainClient, hash: H256) -> Result<u64, ChainError> {
    let at = client.api().at_block(hash).await.map_err(chain_error)?;
    Ok(at.block_number())
}
