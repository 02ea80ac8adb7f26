//! Everything the validator does on chain, through the subxt client (never the runtime
//! crate): read subnets and metagraphs (the `MindosApi` runtime API the node's `mindos_*`
//! RPC also serves), register, fund, stake and `serve`, read the epoch counter and its own
//! weight commit, and submit commits, reveals and plain weights (pipelined through one
//! nonce manager for the hotkey, each bounded by [`WEIGHTS_TX_TIMEOUT`]).

use mindos_primitives::{NetUid, Uid};
use std::{sync::Arc, time::Duration};

use mindos_chain_client::{
    keys::Coldkey,
    neuron::{account_hex, task_spec},
    nonce::NonceManager,
    runtime::{
        self,
        runtime_types::mindos_primitives::{
            neuron::{DeviceClass, DeviceProfile, PowerSource},
            NetUid as ChainNetUid,
        },
    },
    ChainClient, ChainError,
};
use mindos_mesh::{Multiaddr, PeerId};
use subxt::utils::{AccountId32, H256};
use subxt_signer::sr25519::Keypair;

use crate::{
    metagraph::{ChainSubnet, Neuron},
    ValidatorError,
};

pub(crate) use mindos_chain_client::neuron::{AtBlock, Served};

pub(crate) fn chain_error(e: impl Into<subxt::Error>) -> ValidatorError {
    ChainError::Subxt(Box::new(e.into())).into()
}

/// The validator's weight commit as the chain holds it (`Consensus::Commits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainCommit {
    pub(crate) hash: [u8; 32],
    /// The subnet's epoch counter at commit; the reveal window is `epoch + 1`.
    pub(crate) epoch: u64,
}

/// What the validator follows of a subnet's record at every finalized block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SubnetParameters {
    /// Blocks per epoch, minus one.
    pub(crate) tempo: u16,
    /// Whether weights go by commit and reveal.
    pub(crate) commit_reveal: bool,
    /// The model the subnet pins (`TaskSpec::model_digest`), which every request's terms name.
    pub(crate) model_digest: [u8; 32],
}

/// How long a weight transaction (commit, reveal, set) may take to reach a best-chain
/// block before it counts as failed and is retried at a later block. Blocks are 1-6 s; a
/// transaction still out after this was dropped, or the connection is gone.
pub(crate) const WEIGHTS_TX_TIMEOUT: Duration = Duration::from_secs(30);

/// The session's live connection without its keys: what the gateway reads the chain with.
#[derive(Clone)]
pub(crate) struct ChainReader {
    live: Arc<std::sync::RwLock<ChainClient>>,
}

impl ChainReader {
    /// The live connection (cheap: a handle).
    pub(crate) fn client(&self) -> ChainClient {
        self.live
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// One hotkey's view of the chain.
#[derive(Clone)]
pub(crate) struct ChainSession {
    /// The live connection, shared by every task of this session: a follower that
    /// reconnects replaces it for all of them.
    live: Arc<std::sync::RwLock<ChainClient>>,
    pub(crate) url: String,
    pub(crate) hotkey: Arc<Keypair>,
    pub(crate) hotkey_id: AccountId32,
    /// The mesh identity: `serve` publishes its PeerId with its proof.
    node_key: Arc<mindos_mesh::Keypair>,
    /// The hotkey's nonces. Every subnet's weight task signs with the one hotkey; each
    /// takes the next nonce and submits without waiting for the others, so subnets never
    /// queue behind one another's inclusion or finality.
    nonces: Arc<NonceManager>,
}

impl ChainSession {
    pub(crate) async fn connect(
        url: &str,
        hotkey: Keypair,
        node_key: mindos_mesh::Keypair,
    ) -> Result<Self, ValidatorError> {
        let client = ChainClient::connect(url).await?;
        let hotkey_id: AccountId32 = hotkey.public_key().into();
        Ok(Self {
            live: Arc::new(std::sync::RwLock::new(client)),
            url: url.to_owned(),
            hotkey: Arc::new(hotkey),
            hotkey_id,
            node_key: Arc::new(node_key),
            nonces: Arc::new(NonceManager::new(hotkey_id)),
        })
    }

    /// The live connection (cheap: a handle).
    pub(crate) fn client(&self) -> ChainClient {
        self.live
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A handle that reads through the live connection and holds no key (the gateway's).
    pub(crate) fn reader(&self) -> ChainReader {
        ChainReader {
            live: self.live.clone(),
        }
    }

    /// Replaces the connection for every task of the session (after a reconnect).
    pub(crate) fn set_client(&self, client: ChainClient) {
        *self
            .live
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = client;
    }

    /// The hotkey's account, `0x`-hex.
    pub(crate) fn hotkey_hex(&self) -> String {
        account_hex(&self.hotkey_id)
    }

    pub(crate) async fn at_finalized(&self) -> Result<AtBlock, ValidatorError> {
        Ok(self.client().at_finalized().await?)
    }

    /// The chain at the head of the best chain: where epochs and reveal windows are, even
    /// while finality stalls.
    pub(crate) async fn at_best(&self) -> Result<AtBlock, ValidatorError> {
        Ok(self.client().at_best().await?)
    }

    /// Every live subnet.
    pub(crate) async fn subnets(&self, at: &AtBlock) -> Result<Vec<ChainSubnet>, ValidatorError> {
        let views = at
            .runtime_apis()
            .call(runtime::runtime_apis().mindos_api().subnets())
            .await
            .map_err(chain_error)?;
        Ok(views
            .into_iter()
            .map(|view| ChainSubnet {
                netuid: NetUid(view.netuid.0),
                name: String::from_utf8_lossy(&view.name).into_owned(),
                task: Some(task_spec(view.task)),
                tempo: view.hyperparameters.tempo,
                commit_reveal: view.hyperparameters.commit_reveal,
            })
            .collect())
    }

    /// `netuid`'s parameters at `at`, or `None` for a subnet that is gone: one storage read
    /// (`Subnets::SubnetInfoOf`), made at every finalized block.
    pub(crate) async fn subnet_parameters(
        &self,
        at: &AtBlock,
        netuid: NetUid,
    ) -> Result<Option<SubnetParameters>, ValidatorError> {
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().subnets().subnet_info_of(),
                (ChainNetUid(netuid.0),),
            )
            .await
            .map_err(chain_error)?;
        value
            .map(|v| {
                v.decode()
                    .map_err(chain_error)
                    .map(|subnet| SubnetParameters {
                        tempo: subnet.hyperparameters.tempo,
                        commit_reveal: subnet.hyperparameters.commit_reveal,
                        model_digest: subnet.task.model_digest,
                    })
            })
            .transpose()
    }

    /// `netuid`'s sentinel epoch at `at` (`Sentinels::SubnetEpoch`), which every request's
    /// terms name.
    pub(crate) async fn sentinel_epoch(
        &self,
        at: &AtBlock,
        netuid: NetUid,
    ) -> Result<u64, ValidatorError> {
        Ok(self.client().sentinels().subnet_epoch(at, netuid).await?)
    }

    /// The chain's genesis hash, which every signed answer names.
    pub(crate) fn genesis_hash(&self) -> [u8; 32] {
        self.client().genesis_hash()
    }

    /// The neurons of `netuid` in uid order, or `None` for a subnet that is gone.
    pub(crate) async fn metagraph(
        &self,
        at: &AtBlock,
        netuid: NetUid,
    ) -> Result<Option<Vec<Neuron>>, ValidatorError> {
        let rows = at
            .runtime_apis()
            .call(runtime::runtime_apis().mindos_api().metagraph(
                ChainNetUid(netuid.0),
                0,
                u16::MAX,
            ))
            .await
            .map_err(chain_error)?;
        Ok(rows.map(|rows| {
            rows.into_iter()
                .map(|row| {
                    let (peer, addrs) = match row.endpoint {
                        Some(endpoint) => (
                            PeerId::from_bytes(&endpoint.peer_id.0).ok(),
                            endpoint
                                .multiaddrs
                                .0
                                .into_iter()
                                .filter_map(|a| Multiaddr::try_from(a.0).ok())
                                .collect(),
                        ),
                        None => (None, Vec::new()),
                    };
                    Neuron {
                        uid: Uid(row.uid),
                        hotkey: row.hotkey.0,
                        peer,
                        addrs,
                        validator_permit: row.validator_permit,
                        stake: row.stake,
                        reputation: f64::from(row.reputation.0) / 1e9,
                        incentive: row.incentive.0,
                        emission: row.emission,
                        quarantined: row.quarantined_until.is_some(),
                    }
                })
                .collect()
        }))
    }

    /// The subnet's epoch counter (`Consensus::EpochIndex`).
    pub(crate) async fn epoch_index(
        &self,
        at: &AtBlock,
        netuid: NetUid,
    ) -> Result<u64, ValidatorError> {
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().consensus().epoch_index(),
                (ChainNetUid(netuid.0),),
            )
            .await
            .map_err(chain_error)?;
        Ok(value
            .map(|v| v.decode().map_err(chain_error))
            .transpose()?
            .unwrap_or(0))
    }

    /// This hotkey's pending weight commit on `netuid`, if any.
    pub(crate) async fn commit_of(
        &self,
        at: &AtBlock,
        netuid: NetUid,
    ) -> Result<Option<ChainCommit>, ValidatorError> {
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().consensus().commits(),
                (ChainNetUid(netuid.0), self.hotkey_id),
            )
            .await
            .map_err(chain_error)?;
        value
            .map(|v| {
                v.decode().map_err(chain_error).map(|c| ChainCommit {
                    hash: c.hash.0,
                    epoch: c.epoch,
                })
            })
            .transpose()
    }

    /// Fails unless the hotkey is unowned or owned by `coldkey` on chain.
    pub(crate) async fn check_owner(&self, coldkey: &AccountId32) -> Result<(), ValidatorError> {
        let at = self.at_finalized().await?;
        Ok(self
            .client()
            .check_hotkey_owner(&at, &self.hotkey_id, coldkey)
            .await?)
    }

    /// Registers the hotkey on `netuid` with `coldkey` unless it is registered; its uid.
    /// Fails if the hotkey belongs to another coldkey.
    pub(crate) async fn ensure_registered(
        &self,
        netuid: NetUid,
        coldkey: &Coldkey,
        max_burn: u128,
    ) -> Result<Uid, ValidatorError> {
        self.client()
            .ensure_registered(netuid, &self.hotkey, coldkey, max_burn)
            .await?
            .ok_or_else(|| ValidatorError::NotRegistered {
                hotkey: self.hotkey_hex(),
                netuid,
            })
    }

    /// Tops the hotkey's free balance up to `target` from `coldkey`.
    pub(crate) async fn ensure_funded(
        &self,
        coldkey: &Keypair,
        target: u128,
    ) -> Result<(), ValidatorError> {
        self.client()
            .top_up(coldkey, &self.hotkey_id, target)
            .await?;
        Ok(())
    }

    /// Stakes from `coldkey` until the hotkey's total stake is at least `target`.
    pub(crate) async fn ensure_staked(
        &self,
        coldkey: &Keypair,
        target: u128,
    ) -> Result<(), ValidatorError> {
        let at = self.at_finalized().await?;
        let stake = at
            .storage()
            .try_fetch(runtime::storage().stake().hotkey_stake(), (self.hotkey_id,))
            .await
            .map_err(chain_error)?
            .map(|v| v.decode().map_err(chain_error))
            .transpose()?
            .unwrap_or(0);
        if stake < target {
            let amount = target.saturating_sub(stake);
            tracing::info!(hotkey = %self.hotkey_hex(), amount, "staking to the hotkey from the coldkey");
            let call = runtime::transactions()
                .stake()
                .add_stake(self.hotkey_id, amount);
            self.client().submit(&call, coldkey).await?;
        }
        Ok(())
    }

    /// Publishes the node key's PeerId (with its proof) and addresses on `netuid`, unless the
    /// chain has them already or the serve rate limit forbids it for now.
    pub(crate) async fn serve(
        &self,
        netuid: NetUid,
        addrs: &[Multiaddr],
    ) -> Result<Served, ValidatorError> {
        let addrs = addrs.iter().map(|a| a.to_vec()).collect();
        // A validator declares a server on mains: routing never picks validators, and the
        // profile only has to be well-formed.
        let device = DeviceProfile {
            class: DeviceClass::Server,
            compute_score: 0,
            power: PowerSource::Mains,
            region: *b"ZZ",
        };
        // `serve` reads the hotkey's nonce itself (serves are rare, and retried on a nonce
        // race); the manager's count may collide with it, so it re-reads the node's after.
        let served = self
            .client()
            .serve(&self.hotkey, &self.node_key, netuid, addrs, device)
            .await;
        self.nonces.resync().await;
        Ok(served?)
    }

    /// Submits a transaction signed by the hotkey at the next nonce, and waits (bounded)
    /// until it is in a best-chain block.
    async fn submit_weights_tx<Call: subxt::transactions::Payload>(
        &self,
        call: &Call,
    ) -> Result<(), ValidatorError> {
        self.nonces
            .submit(&self.client(), call, &self.hotkey, WEIGHTS_TX_TIMEOUT)
            .await?;
        Ok(())
    }

    pub(crate) async fn commit_weights(
        &self,
        netuid: NetUid,
        hash: [u8; 32],
    ) -> Result<(), ValidatorError> {
        let call = runtime::transactions()
            .consensus()
            .commit_weights(ChainNetUid(netuid.0), H256(hash));
        #[cfg(feature = "crash-points")]
        if crate::crash::armed("after_submit") {
            // Submit in the background and stop once the node's pool holds the commit (the
            // signer's pool-aware nonce moved), before any block includes it.
            let before = self.client().next_nonce(&self.hotkey_id).await?;
            let session = self.clone();
            let same = runtime::transactions()
                .consensus()
                .commit_weights(ChainNetUid(netuid.0), H256(hash));
            tokio::spawn(async move { session.submit_weights_tx(&same).await });
            while self.client().next_nonce(&self.hotkey_id).await? <= before {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            crate::crash::point("after_submit").await;
        }
        self.submit_weights_tx(&call).await
    }

    pub(crate) async fn reveal_weights(
        &self,
        netuid: NetUid,
        uids: Vec<u16>,
        weights: Vec<u16>,
        salt: [u8; 32],
    ) -> Result<(), ValidatorError> {
        let call = runtime::transactions().consensus().reveal_weights(
            ChainNetUid(netuid.0),
            uids,
            weights,
            salt,
        );
        self.submit_weights_tx(&call).await
    }

    pub(crate) async fn set_weights(
        &self,
        netuid: NetUid,
        uids: Vec<u16>,
        weights: Vec<u16>,
    ) -> Result<(), ValidatorError> {
        let call =
            runtime::transactions()
                .consensus()
                .set_weights(ChainNetUid(netuid.0), uids, weights);
        self.submit_weights_tx(&call).await
    }

    /// Submits a sentinels transaction signed by the hotkey at the next nonce of the nonce
    /// manager the weight tasks share (so neither races the other), waiting (bounded) until
    /// it is in a best-chain block.
    async fn submit_sentinels_tx<Call: subxt::transactions::Payload>(
        &self,
        call: &Call,
    ) -> Result<(), ChainError> {
        self.nonces
            .submit(&self.client(), call, &self.hotkey, WEIGHTS_TX_TIMEOUT)
            .await?;
        Ok(())
    }

    /// `Sentinels::commit_canary` of `commitment` on `netuid`.
    pub(crate) async fn commit_canary(
        &self,
        netuid: NetUid,
        commitment: [u8; 32],
    ) -> Result<(), ChainError> {
        let call = runtime::transactions()
            .sentinels()
            .commit_canary(ChainNetUid(netuid.0), commitment);
        self.submit_sentinels_tx(&call).await
    }

    /// `Sentinels::submit_canary_failure`: opens the canary the miner at `uid` answered
    /// wrongly with `evidence`.
    pub(crate) async fn submit_canary_failure(
        &self,
        netuid: NetUid,
        uid: u16,
        evidence: &mindos_mesh::receipt::SignedAnswer,
        expected_output_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Result<(), ChainError> {
        let call = runtime::transactions().sentinels().submit_canary_failure(
            ChainNetUid(netuid.0),
            uid,
            mindos_chain_client::sentinels::evidence_from(evidence),
            expected_output_hash,
            salt,
        );
        self.submit_sentinels_tx(&call).await
    }

    /// This hotkey's canaries on `netuid` at the latest finalized block
    /// (`Sentinels::Canaries`): `(commitment, sentinel epoch, block)` of each.
    pub(crate) async fn own_canaries(
        &self,
        netuid: NetUid,
    ) -> Result<Vec<([u8; 32], u64, u64)>, ValidatorError> {
        let at = self.at_finalized().await?;
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().sentinels().canaries(),
                (ChainNetUid(netuid.0),),
            )
            .await
            .map_err(chain_error)?;
        let canaries = value
            .map(|v| v.decode().map_err(chain_error))
            .transpose()?
            .map(|all| all.0)
            .unwrap_or_default();
        Ok(canaries
            .into_iter()
            .filter(|c| c.committer == self.hotkey_id)
            .map(|c| (c.commitment, c.epoch, u64::from(c.committed_at_block)))
            .collect())
    }

    /// The runtime's `MaxCanariesPerCommitter` and `CanaryLifetimeEpochs`, or `None` if they
    /// cannot be read.
    pub(crate) async fn canary_limits(&self) -> Option<(u32, u32)> {
        let at = self.at_best().await.ok()?;
        let constants = runtime::constants().sentinels();
        let max = at
            .constants()
            .entry(constants.max_canaries_per_committer())
            .ok()?;
        let lifetime = at
            .constants()
            .entry(constants.canary_lifetime_epochs())
            .ok()?;
        Some((max, lifetime))
    }

    /// Whether the hotkey's free balance covers one more canary deposit
    /// (`Sentinels::CanaryDeposit`) and keeps `reserve` for its transaction fees.
    pub(crate) async fn affords_canary(&self, reserve: u128) -> Result<bool, ValidatorError> {
        let client = self.client();
        let at = client.at_finalized().await?;
        let deposit = at
            .constants()
            .entry(runtime::constants().sentinels().canary_deposit())
            .map_err(chain_error)?;
        let free = client.free_balance(&self.hotkey_id).await?;
        Ok(free >= deposit.saturating_add(reserve))
    }
}
