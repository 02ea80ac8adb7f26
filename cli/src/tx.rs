//! Signing and sending a transaction the way a user wants to see it: the fee before
//! signing, progress while it waits for a block and for finality, and a dispatch error
//! as the pallet names it.

use anyhow::Context;
use mindos_chain_client::{
    bounded, neuron::AtBlock, ChainClient, ChainError, MindConfig, FINALIZED_TIMEOUT,
    MAX_FINALITY_LAG, RPC_TIMEOUT,
};
use subxt::{
    client::OnlineClientAtBlockImpl,
    transactions::{Payload, SubmittableTransaction, TransactionStatus},
    utils::H256,
};

use crate::{keystore::Sr25519Pair, ui::Ui};

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

/// The block a transaction is signed at: the newest finalized block, or the best block once
/// finality lags by more than [`MAX_FINALITY_LAG`] (a transaction is mortal for 32 blocks
/// from there, as `ChainClient::submit` signs).
async fn signing_block(client: &ChainClient) -> Result<AtBlock, ChainError> {
    let finalized = bounded("the finalized block", RPC_TIMEOUT, async {
        client
            .api()
            .at_current_block()
            .await
            .map_err(|e| ChainError::Subxt(Box::new(e.into())))
    })
    .await?;
    let best = client.at_best().await?;
    if best.block_number().saturating_sub(finalized.block_number()) > MAX_FINALITY_LAG {
        Ok(best)
    } else {
        Ok(finalized)
    }
}

/// Signs `call` with `signer` at the next nonce and asks the node for its fee. Nothing is
/// sent.
pub async fn sign<Call: Payload>(
    client: &ChainClient,
    call: &Call,
    signer: &Sr25519Pair,
) -> anyhow::Result<Signed> {
    let mut txs = signing_block(client).await?.transactions();
    let params = subxt::config::SubstrateExtrinsicParamsBuilder::<MindConfig>::new().build();
    let tx = txs
        .create_signed(call, signer, params)
        .await
        .map_err(|e| ChainError::Subxt(Box::new(e.into())))
        .context("signing the transaction")?;
    let fee = bounded("the fee estimate", RPC_TIMEOUT, async {
        tx.partial_fee_estimate()
            .await
            .map_err(|e| ChainError::Subxt(Box::new(e.into())))
    })
    .await
    .context("asking the node for the fee")?;
    Ok(Signed { tx, fee })
}

/// Sends `signed` and waits, at most [`FINALIZED_TIMEOUT`], until it is in a finalized
/// block and succeeded there; progress goes to stderr.
pub async fn send(client: &ChainClient, signed: Signed, ui: &Ui) -> anyhow::Result<Finalized> {
    let watch = async {
        let mut progress = signed
            .tx
            .submit_and_watch()
            .await
            .map_err(|e| ChainError::Subxt(Box::new(e.into())))?;
        ui.note(&format!("sent transaction {:?}", signed.tx.hash()));
        loop {
            let status = progress
                .next()
                .await
                .ok_or_else(|| ChainError::Pool {
                    status: "error",
                    message: "the node closed the transaction's status stream".into(),
                })?
                .map_err(|e| ChainError::Subxt(Box::new(e.into())))?;
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
                    in_block
                        .wait_for_success()
                        .await
                        .map_err(|e| ChainError::Subxt(Box::new(subxt::Error::from(e))))?;
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
    let at = client
        .api()
        .at_block(hash)
        .await
        .map_err(|e| ChainError::Subxt(Box::new(e.into())))?;
    Ok(at.block_number())
}
