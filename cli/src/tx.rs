//! Signing and sending a transaction the way a user wants to see it: the fee before
//! signing, progress while it waits for a block and for finality (a spinner with the block
//! numbers on a terminal), and a dispatch error as the pallet names and documents it
//! ([`ChainError::from_failed_transaction`]).

use anyhow::Context;
use mindos_chain_client::{
    bounded, ChainClient, ChainError, MindConfig, FINALIZED_TIMEOUT, RPC_TIMEOUT,
};
use subxt::{
    client::OnlineClientAtBlockImpl,
    transactions::{Payload, Signer, SubmittableTransaction, TransactionStatus},
    utils::H256,
};

use crate::ui::{Heads, Ui, SPINNER_INTERVAL};

/// A signed transaction, not yet sent, with its fee.
pub struct Signed {
    tx: SubmittableTransaction<MindConfig, OnlineClientAtBlockImpl<MindConfig>>,
    /// The node's estimate of the fee, in planck (`TransactionPaymentApi_query_info`'s
    /// partial fee: what the transaction pays without a tip).
    pub fee: u128,
}

impl Signed {
    /// The signed transaction's SCALE bytes, as the node receives them.
    pub fn encoded(&self) -> &[u8] {
        self.tx.encoded()
    }
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

/// Adds the fields every transaction command prints under `--json` (the README's "JSON
/// output"): `fee_estimate` (the node's estimate shown before signing), and where the
/// transaction landed, `block_hash`, `block_number` and `extrinsic_hash`.
pub fn add_receipt(
    fields: &mut serde_json::Map<String, serde_json::Value>,
    done: &Finalized,
    fee: u128,
) {
    use serde_json::json;
    fields.insert("fee_estimate".into(), crate::wallet::mind_json(fee));
    fields.insert("block_hash".into(), json!(format!("{:?}", done.block_hash)));
    fields.insert("block_number".into(), json!(done.block_number));
    fields.insert(
        "extrinsic_hash".into(),
        json!(format!("{:?}", done.extrinsic_hash)),
    );
}

/// A transaction command's `--json` result: its own `fields` (an object) and
/// [`add_receipt`]'s.
pub fn receipt_json(fields: serde_json::Value, done: &Finalized, fee: u128) -> serde_json::Value {
    let mut map = match fields {
        serde_json::Value::Object(map) => map,
        // Every caller passes an object; anything else would lose its value, so keep it.
        other => serde_json::Map::from_iter([("result".to_owned(), other)]),
    };
    add_receipt(&mut map, done, fee);
    serde_json::Value::Object(map)
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
        .map_err(ChainError::from_subxt)
        .context("signing the transaction")?;
    let fee = bounded("the fee estimate", RPC_TIMEOUT, async {
        tx.partial_fee_estimate()
            .await
            .map_err(ChainError::from_subxt)
    })
    .await
    .context("asking the node for the fee")?;
    Ok(Signed { tx, fee })
}

/// Sends `signed` and waits, at most [`FINALIZED_TIMEOUT`], until it is in a finalized
/// block and succeeded there. Progress goes to stderr ([`Ui::progress`]): on a terminal a
/// spinner with the stage and the chain's best and finalized block, redrawn until the
/// transaction is final.
pub async fn send(client: &ChainClient, signed: Signed, ui: &Ui) -> anyhow::Result<Finalized> {
    let mut progress = ui.progress();
    // The chain's heads for the spinner, read once a second while it turns.
    let (heads_tx, heads) = tokio::sync::watch::channel(None);
    let watcher = progress
        .is_live()
        .then(|| AbortOnDrop(tokio::spawn(watch_heads(client.clone(), heads_tx))));
    let mut ticks = tokio::time::interval(SPINNER_INTERVAL);
    let watch = async {
        let mut statuses = signed
            .tx
            .submit_and_watch()
            .await
            .map_err(ChainError::from_subxt)?;
        // Stages stay short: a spinner line that wraps cannot be redrawn in place. The
        // result names the full hashes.
        progress.stage(format!(
            "sent {}; waiting for a block",
            short_hash(signed.tx.hash())
        ));
        loop {
            let status = tokio::select! {
                status = statuses.next() => status,
                _ = ticks.tick() => {
                    progress.tick(*heads.borrow());
                    continue;
                }
            };
            let status = status
                .ok_or_else(|| ChainError::Pool {
                    status: "error",
                    message: "the node closed the transaction's status stream".into(),
                })?
                .map_err(ChainError::from_subxt)?;
            if let Some(error) = ChainError::from_pool_status(&status) {
                return Err(error);
            }
            match status {
                TransactionStatus::InBestBlock(in_block) => {
                    let number = block_number(client, in_block.block_hash()).await;
                    progress.stage(format!(
                        "in block #{}; waiting for finality",
                        number.map_or("?".into(), |n| n.to_string()),
                    ));
                }
                TransactionStatus::InFinalizedBlock(in_block) => {
                    in_block
                        .wait_for_success()
                        .await
                        .map_err(ChainError::from_failed_transaction)?;
                    let block_hash = in_block.block_hash();
                    let block_number = block_number(client, block_hash).await?;
                    return Ok(Finalized {
                        block_hash,
                        block_number,
                        extrinsic_hash: in_block.extrinsic_hash(),
                    });
                }
                TransactionStatus::NoLongerInBestBlock => {
                    progress.stage(
                        "the block was reorganised away; waiting for the next one".to_owned(),
                    );
                }
                _ => {}
            }
        }
    };
    let outcome = bounded("the transaction to be finalized", FINALIZED_TIMEOUT, watch).await;
    drop(watcher);
    progress.finish();
    Ok(outcome?)
}

/// Publishes the chain's best and finalized block numbers once a second until aborted.
async fn watch_heads(client: ChainClient, heads: tokio::sync::watch::Sender<Option<Heads>>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        every.tick().await;
        let read = async {
            let best = client.at_best().await?.block_number();
            let finalized = client.finalized_number().await?;
            Ok::<_, ChainError>(Heads { best, finalized })
        };
        // A slow or failed read leaves the last heads shown; the wait itself is bounded
        // elsewhere.
        if let Ok(now) = bounded("the chain's heads", RPC_TIMEOUT, read).await {
            heads.send_replace(Some(now));
        }
    }
}

/// `0x0b17b596…1f125aab`: enough of a hash to recognise it in a progress line.
fn short_hash(hash: H256) -> String {
    let bytes = hash.as_bytes();
    let (head, tail) = (
        bytes.get(..4).unwrap_or_default(),
        bytes.get(28..).unwrap_or_default(),
    );
    format!(
        "0x{}…{}",
        mindos_chain_client::to_hex(head),
        mindos_chain_client::to_hex(tail)
    )
}

/// Aborts a background task when dropped, so an early return cannot leave it running.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn block_number(client: &ChainClient, hash: H256) -> Result<u64, ChainError> {
    let at = client
        .api()
        .at_block(hash)
        .await
        .map_err(ChainError::from_subxt)?;
    Ok(at.block_number())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_names_a_hash_by_its_ends() {
        let hash = H256::from([0xab; 32]);
        assert_eq!(short_hash(hash), "0xabababab…abababab");
    }
}
