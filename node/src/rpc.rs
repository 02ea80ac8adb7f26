//! The node's extra JSON-RPC methods, on top of the standard Substrate set
//! (`system_*`, `chain_*`, `state_*`, `author_*`, `rpc_methods`) that `sc-service` adds:
//! nonces, fees, and the `mindos_*` queries (subnets, metagraphs, governance, sentinels).

use std::sync::Arc;

use jsonrpsee::RpcModule;
use mindos_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub(crate) struct FullDeps<C, P> {
    /// The client, to call runtime APIs.
    pub(crate) client: Arc<C>,
    /// The transaction pool, for nonces that count pending transactions.
    pub(crate) pool: Arc<P>,
}

/// `system_accountNextIndex`, the `payment_*` fee queries and `mindos_*` (two traits: the
/// subnets' and governance's, and the sentinels').
pub(crate) fn create_full<C, P>(
    deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
    C: ProvideRuntimeApi<Block>,
    C: HeaderBackend<Block> + HeaderMetadata<Block, Error = BlockChainError> + 'static,
    C: Send + Sync + 'static,
    C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
    C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
    C::Api: BlockBuilder<Block>,
    C::Api: mindos_rpc::MindosRuntimeApi<Block, AccountId, Balance, BlockNumber>,
    C::Api: mindos_rpc::SentinelsRuntimeApi<Block, AccountId, Balance, BlockNumber>,
    P: TransactionPool + 'static,
{
    use mindos_rpc::{Mindos, MindosApiServer, Sentinels, SentinelsApiServer};
    use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
    use substrate_frame_rpc_system::{System, SystemApiServer};

    let mut module = RpcModule::new(());
    let FullDeps { client, pool } = deps;

    module.merge(System::new(client.clone(), pool).into_rpc())?;
    module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
    module.merge(
        MindosApiServer::<_, AccountId, Balance, BlockNumber>::into_rpc(Mindos::<C, Block>::new(
            client.clone(),
        )),
    )?;
    module.merge(
        SentinelsApiServer::<_, AccountId, Balance, BlockNumber>::into_rpc(
            Sentinels::<C, Block>::new(client),
        ),
    )?;

    Ok(module)
}
