//! Everything the miner does on chain, through the subxt client (never the runtime crate):
//! read the subnet's record, register and fund the hotkey, `serve` the endpoint, and follow
//! finalized blocks to keep the set of permitted validators' PeerIds current.

use std::{collections::HashMap, sync::Arc};

pub(crate) use mindos_chain_client::neuron::Served;
use mindos_chain_client::{
    follow::FinalizedBlocks,
    keys::Coldkey,
    neuron::{account_hex, task_spec, AtBlock},
    runtime::{
        self,
        runtime_types::mindos_primitives::{
            neuron::{
                DeviceClass as ChainDeviceClass, DeviceProfile as ChainDeviceProfile,
                PowerSource as ChainPower,
            },
            NetUid as ChainNetUid,
        },
    },
    ChainClient, ChainError,
};
use mindos_mesh::{Multiaddr, PeerId};
use mindos_primitives::{evidence::SeenBlock, NetUid, TaskSpec, Uid};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;
use tokio_util::sync::CancellationToken;

use crate::{config::DeviceClass, serve::Authorizer, status::LiveState, MinerError};

fn chain_error(e: impl Into<subxt::Error>) -> MinerError {
    ChainError::Subxt(Box::new(e.into())).into()
}

/// What the chain says about the subnet served.
#[derive(Clone, Debug)]
pub(crate) struct SubnetRecord {
    /// On-chain name, e.g. `digits`.
    pub(crate) name: String,
    /// The task, with the model digest the miner's file must have.
    pub(crate) task: TaskSpec,
}

/// The device profile published with `serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Device {
    pub(crate) class: DeviceClass,
    pub(crate) compute_score: u32,
    pub(crate) on_battery: bool,
    pub(crate) region: [u8; 2],
}

impl Device {
    fn to_chain(self) -> ChainDeviceProfile {
        ChainDeviceProfile {
            class: match self.class {
                DeviceClass::Phone => ChainDeviceClass::Phone,
                DeviceClass::Laptop => ChainDeviceClass::Laptop,
                DeviceClass::Desktop => ChainDeviceClass::Desktop,
                DeviceClass::Server => ChainDeviceClass::Server,
                DeviceClass::Embedded => ChainDeviceClass::Embedded,
            },
            compute_score: self.compute_score,
            power: if self.on_battery {
                ChainPower::Battery
            } else {
                ChainPower::Mains
            },
            region: self.region,
        }
    }
}

/// The miner's view of the chain: one subnet, one hotkey, one node key.
#[derive(Clone)]
pub(crate) struct ChainSession {
    client: ChainClient,
    url: String,
    netuid: NetUid,
    hotkey: Arc<Keypair>,
    hotkey_id: AccountId32,
    /// The mesh identity: `serve` publishes its PeerId with its proof.
    node_key: Arc<mindos_mesh::Keypair>,
}

impl ChainSession {
    /// The connection to the node.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn client(&self) -> &ChainClient {
        &self.client
    }

    pub(crate) async fn connect(
        url: &str,
        netuid: NetUid,
        hotkey: Keypair,
        node_key: mindos_mesh::Keypair,
    ) -> Result<Self, MinerError> {
        let client = ChainClient::connect(url).await?;
        let hotkey_id: AccountId32 = hotkey.public_key().into();
        Ok(Self {
            client,
            url: url.to_owned(),
            netuid,
            hotkey: Arc::new(hotkey),
            hotkey_id,
            node_key: Arc::new(node_key),
        })
    }

    /// The hotkey's 32 account bytes (what challenge terms name).
    pub(crate) fn hotkey_bytes(&self) -> [u8; 32] {
        self.hotkey_id.0
    }

    /// The chain's genesis hash (what signed answers bind).
    pub(crate) fn genesis_hash(&self) -> [u8; 32] {
        self.client.genesis_hash()
    }

    /// The hotkey's account, `0x`-hex.
    pub(crate) fn hotkey_hex(&self) -> String {
        account_hex(&self.hotkey_id)
    }

    async fn at_finalized(&self) -> Result<AtBlock, MinerError> {
        Ok(self.client.at_finalized().await?)
    }

    /// The subnet's name and TaskSpec (`Subnets::SubnetInfoOf`).
    pub(crate) async fn subnet(&self) -> Result<SubnetRecord, MinerError> {
        let at = self.at_finalized().await?;
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().subnets().subnet_info_of(),
                (ChainNetUid(self.netuid.0),),
            )
            .await
            .map_err(chain_error)?
            .ok_or(MinerError::UnknownSubnet {
                netuid: self.netuid,
            })?;
        let info = value.decode().map_err(chain_error)?;
        Ok(SubnetRecord {
            name: String::from_utf8_lossy(&info.name.0).into_owned(),
            task: task_spec(info.task),
        })
    }

    /// The hotkey's uid on the subnet at `at`, if registered.
    async fn uid_at(&self, at: &AtBlock) -> Result<Option<Uid>, MinerError> {
        Ok(self.client.uid(at, self.netuid, &self.hotkey_id).await?)
    }

    /// Registers the hotkey with `coldkey` unless it is registered; returns its uid. Fails if
    /// the hotkey belongs to another coldkey.
    pub(crate) async fn ensure_registered(
        &self,
        coldkey: &Coldkey,
        max_burn: u128,
    ) -> Result<Uid, MinerError> {
        self.client
            .ensure_registered(self.netuid, &self.hotkey, coldkey, max_burn)
            .await?
            .ok_or(MinerError::NotRegistered {
                hotkey: self.hotkey_hex(),
                netuid: self.netuid,
            })
    }

    /// Makes sure the hotkey can pay the `serve` fee: tops it up to `target` from the
    /// coldkey if given, else fails if it holds nothing.
    pub(crate) async fn ensure_funded(
        &self,
        coldkey: Option<&Keypair>,
        target: Option<u128>,
    ) -> Result<(), MinerError> {
        let balance = match (coldkey, target) {
            (Some(coldkey), Some(target)) => {
                self.client.top_up(coldkey, &self.hotkey_id, target).await?
            }
            _ => self.client.free_balance(&self.hotkey_id).await?,
        };
        if balance == 0 {
            return Err(MinerError::HotkeyUnfunded {
                hotkey: self.hotkey_hex(),
            });
        }
        Ok(())
    }

    /// Publishes the node key's PeerId (with its proof), addresses and device with `serve`
    /// (signed by the hotkey), unless the chain already has them or the rate limit forbids it
    /// for now.
    pub(crate) async fn serve(
        &self,
        addrs: &[Multiaddr],
        device: Device,
    ) -> Result<Served, MinerError> {
        let addrs = addrs.iter().map(|a| a.to_vec()).collect();
        Ok(self
            .client
            .serve(
                &self.hotkey,
                &self.node_key,
                self.netuid,
                addrs,
                device.to_chain(),
            )
            .await?)
    }

    /// PeerIds bound (by `serve`) to hotkeys holding a validator permit on the subnet, each
    /// with the hotkey's stake in whole MIND (its weight in the queue).
    async fn validator_peers(&self, at: &AtBlock) -> Result<HashMap<PeerId, u64>, MinerError> {
        let permits = at
            .storage()
            .try_fetch(
                runtime::storage().stake().validator_permits(),
                (ChainNetUid(self.netuid.0),),
            )
            .await
            .map_err(chain_error)?
            .map(|v| v.decode().map_err(chain_error))
            .transpose()?
            .map(|bounded| bounded.0)
            .unwrap_or_default();
        let storage = at.storage();
        let axons = futures::future::try_join_all(permits.into_iter().map(|hotkey| {
            let storage = &storage;
            async move {
                let axon = storage
                    .try_fetch(
                        runtime::storage().neurons().axons(),
                        (ChainNetUid(self.netuid.0), hotkey),
                    )
                    .await
                    .map_err(chain_error)?
                    .map(|v| v.decode().map_err(chain_error))
                    .transpose()?;
                let stake = storage
                    .try_fetch(runtime::storage().stake().hotkey_stake(), (hotkey,))
                    .await
                    .map_err(chain_error)?
                    .map(|v| v.decode().map_err(chain_error))
                    .transpose()?
                    .unwrap_or(0);
                Ok::<_, MinerError>(axon.map(|axon| (axon, stake)))
            }
        }))
        .await?;
        Ok(axons
            .into_iter()
            .flatten()
            .filter_map(|(axon, stake)| {
                let peer = PeerId::from_bytes(&axon.endpoint.peer_id.0).ok()?;
                let mind = u64::try_from(stake / mindos_primitives::MIND).unwrap_or(u64::MAX);
                Some((peer, mind))
            })
            .collect())
    }

    /// Refreshes who may call and our uid at one block.
    async fn refresh(
        &self,
        at: &AtBlock,
        auth: &Authorizer,
        live: &LiveState,
    ) -> Result<(), MinerError> {
        // First: the block is finalized whether or not the reads below succeed, and signed
        // answers name it.
        live.set_head(SeenBlock {
            number: at.block_number(),
            hash: at.block_hash().0,
        });
        let peers = self.validator_peers(at).await?;
        let count = peers.len();
        if auth.set_validators(peers) {
            tracing::info!(
                validators = count,
                block = at.block_number(),
                "permitted validators changed"
            );
        }
        let uid = self.uid_at(at).await?;
        let before = live.set_uid(uid);
        if before.is_some() && uid.is_none() {
            tracing::warn!(
                netuid = %self.netuid,
                "the hotkey is no longer registered on the subnet (pruned or deregistered)"
            );
        }
        Ok(())
    }

    /// Initial refresh at the newest finalized block.
    pub(crate) async fn refresh_now(
        &self,
        auth: &Authorizer,
        live: &LiveState,
    ) -> Result<(), MinerError> {
        let at = self.at_finalized().await?;
        self.refresh(&at, auth, live).await
    }

    /// Follows finalized blocks until `cancel`: refreshes the validators' PeerIds and the uid
    /// at each, and publishes `pending_serve` once the rate limit allows. Reconnects with
    /// back-off if the node goes away; the last known validators stay allowed meanwhile.
    pub(crate) async fn watch(
        mut self,
        server: Arc<crate::serve::Server>,
        live: Arc<LiveState>,
        mut pending_serve: Option<(u64, PeerId, Vec<Multiaddr>, Device)>,
        cancel: CancellationToken,
    ) {
        let mut blocks = FinalizedBlocks::new(self.client.clone(), self.url.clone());
        while let Some(at) = blocks.next(&cancel).await {
            // A reconnect replaces the client; reads and `serve` below use the live one.
            self.client = blocks.client().clone();
            if let Err(e) = self.refresh(&at, &server.auth, &live).await {
                tracing::warn!(error = %e, "refreshing permitted validators failed");
            }
            if let Some((from, peer, addrs, device)) = pending_serve.take() {
                pending_serve = self
                    .retry_serve(at.block_number(), from, peer, addrs, device)
                    .await;
            }
        }
    }

    /// Tries a postponed `serve`; returns it again if it must wait longer.
    async fn retry_serve(
        &self,
        block: u64,
        from: u64,
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        device: Device,
    ) -> Option<(u64, PeerId, Vec<Multiaddr>, Device)> {
        if block < from {
            return Some((from, peer, addrs, device));
        }
        match self.serve(&addrs, device).await {
            Ok(Served::Published | Served::Unchanged) => {
                tracing::info!(%peer, "endpoint served on chain");
                None
            }
            Ok(Served::RateLimitedUntil(from)) => Some((from, peer, addrs, device)),
            Err(e) => {
                tracing::warn!(error = %e, "serve failed; retrying in 10 blocks");
                Some((block.saturating_add(10), peer, addrs, device))
            }
        }
    }
}
