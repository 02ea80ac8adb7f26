//! Everything the miner does on chain, through the subxt client (never the runtime crate):
//! read the subnet's record, register and fund the hotkey, `serve` the endpoint, and follow
//! finalized blocks to keep the set of permitted validators' PeerIds current.

use std::{collections::HashSet, sync::Arc, time::Duration};

use mindos_chain_client::{
    runtime::{
        self,
        runtime_types::mindos_primitives::{
            self as chain_types,
            neuron::{
                DeviceClass as ChainDeviceClass, DeviceProfile as ChainDeviceProfile,
                PowerSource as ChainPower,
            },
            NetUid,
        },
    },
    ChainClient, ChainError, MindConfig,
};
use mindos_mesh::{Multiaddr, PeerId};
use mindos_primitives::{Modality, ScoringRule, TaskSpec};
use subxt::{client::OnlineClientAtBlock, utils::AccountId32};
use subxt_signer::sr25519::Keypair;
use tokio_util::sync::CancellationToken;

use crate::{config::DeviceClass, serve::Authorizer, status::LiveState, MinerError};

type AtBlock = OnlineClientAtBlock<MindConfig>;

fn chain_error(e: impl Into<subxt::Error>) -> MinerError {
    MinerError::Chain(ChainError::Subxt(Box::new(e.into())))
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

/// What [`ChainSession::serve`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Served {
    /// The `serve` transaction is finalized.
    Published,
    /// The chain already holds exactly this endpoint and device.
    Unchanged,
    /// The last `serve` is too recent; allowed from this block on.
    RateLimitedUntil(u64),
}

/// The miner's view of the chain: one subnet, one hotkey.
#[derive(Clone)]
pub(crate) struct ChainSession {
    client: ChainClient,
    url: String,
    netuid: u16,
    hotkey: Arc<Keypair>,
    hotkey_id: AccountId32,
}

impl ChainSession {
    pub(crate) async fn connect(
        url: &str,
        netuid: u16,
        hotkey: Keypair,
    ) -> Result<Self, MinerError> {
        let client = ChainClient::connect(url).await?;
        let hotkey_id: AccountId32 = hotkey.public_key().into();
        Ok(Self {
            client,
            url: url.to_owned(),
            netuid,
            hotkey: Arc::new(hotkey),
            hotkey_id,
        })
    }

    /// The hotkey's account, `0x`-hex.
    pub(crate) fn hotkey_hex(&self) -> String {
        format!("0x{}", mindos_subnets::to_hex(&self.hotkey_id.0))
    }

    async fn at_finalized(&self) -> Result<AtBlock, MinerError> {
        self.client
            .api()
            .at_current_block()
            .await
            .map_err(chain_error)
    }

    /// The subnet's name and TaskSpec (`Subnets::SubnetInfoOf`).
    pub(crate) async fn subnet(&self) -> Result<SubnetRecord, MinerError> {
        let at = self.at_finalized().await?;
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().subnets().subnet_info_of(),
                (NetUid(self.netuid),),
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

    /// The hotkey's uid on the subnet, if registered.
    pub(crate) async fn uid(&self) -> Result<Option<u16>, MinerError> {
        let at = self.at_finalized().await?;
        self.uid_at(&at).await
    }

    async fn uid_at(&self, at: &AtBlock) -> Result<Option<u16>, MinerError> {
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().neurons().uids(),
                (NetUid(self.netuid), self.hotkey_id),
            )
            .await
            .map_err(chain_error)?;
        value.map(|v| v.decode().map_err(chain_error)).transpose()
    }

    /// Registers the hotkey with `coldkey` unless it is registered; returns its uid.
    pub(crate) async fn ensure_registered(
        &self,
        coldkey: Option<&Keypair>,
        max_burn: u128,
    ) -> Result<u16, MinerError> {
        if let Some(uid) = self.uid().await? {
            return Ok(uid);
        }
        let Some(coldkey) = coldkey else {
            return Err(MinerError::NotRegistered {
                hotkey: self.hotkey_hex(),
                netuid: self.netuid,
            });
        };
        tracing::info!(hotkey = %self.hotkey_hex(), netuid = self.netuid, max_burn, "registering the hotkey");
        let call = runtime::transactions().neurons().register(
            NetUid(self.netuid),
            self.hotkey_id,
            max_burn,
        );
        self.client.submit(&call, coldkey).await?;
        self.uid().await?.ok_or(MinerError::NotRegistered {
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
        let balance = self.client.free_balance(&self.hotkey_id).await?;
        match (coldkey, target) {
            (Some(coldkey), Some(target)) if balance < target => {
                let amount = target.saturating_sub(balance);
                tracing::info!(hotkey = %self.hotkey_hex(), amount, "funding the hotkey from the coldkey");
                self.client
                    .transfer_keep_alive(coldkey, self.hotkey_id, amount)
                    .await?;
                Ok(())
            }
            _ if balance == 0 => Err(MinerError::HotkeyUnfunded {
                hotkey: self.hotkey_hex(),
            }),
            _ => Ok(()),
        }
    }

    /// Publishes PeerId, addresses and device with `serve` (signed by the hotkey), unless the
    /// chain already has them or the rate limit forbids it for now.
    pub(crate) async fn serve(
        &self,
        peer: PeerId,
        addrs: &[Multiaddr],
        device: Device,
    ) -> Result<Served, MinerError> {
        let peer_bytes = peer.to_bytes();
        let addr_bytes: Vec<Vec<u8>> = addrs.iter().map(|a| a.to_vec()).collect();
        let device = device.to_chain();
        let at = self.at_finalized().await?;
        let current = at
            .storage()
            .try_fetch(
                runtime::storage().neurons().axons(),
                (NetUid(self.netuid), self.hotkey_id),
            )
            .await
            .map_err(chain_error)?
            .map(|v| v.decode().map_err(chain_error))
            .transpose()?;
        if let Some(current) = current {
            // The generated types have no `PartialEq`; their `Debug` shows every field.
            let same = current.endpoint.peer_id.0 == peer_bytes
                && current
                    .endpoint
                    .multiaddrs
                    .0
                    .iter()
                    .map(|a| &a.0)
                    .eq(addr_bytes.iter())
                && format!("{:?}", current.device) == format!("{device:?}");
            if same {
                return Ok(Served::Unchanged);
            }
            let limit = at
                .constants()
                .entry(runtime::constants().neurons().serve_rate_limit())
                .map_err(chain_error)?;
            let allowed_from = u64::from(current.served_at).saturating_add(u64::from(limit));
            // The transaction lands in a later block than the finalized one read here.
            if at.block_number().saturating_add(1) < allowed_from {
                return Ok(Served::RateLimitedUntil(allowed_from));
            }
        }
        let call = runtime::transactions().neurons().serve(
            NetUid(self.netuid),
            peer_bytes,
            addr_bytes,
            device,
        );
        self.client.submit(&call, &self.hotkey).await?;
        Ok(Served::Published)
    }

    /// PeerIds bound (by `serve`) to hotkeys holding a validator permit on the subnet.
    async fn validator_peers(&self, at: &AtBlock) -> Result<HashSet<PeerId>, MinerError> {
        let permits = at
            .storage()
            .try_fetch(
                runtime::storage().stake().validator_permits(),
                (NetUid(self.netuid),),
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
                storage
                    .try_fetch(
                        runtime::storage().neurons().axons(),
                        (NetUid(self.netuid), hotkey),
                    )
                    .await
                    .map_err(chain_error)?
                    .map(|v| v.decode().map_err(chain_error))
                    .transpose()
            }
        }))
        .await?;
        Ok(axons
            .into_iter()
            .flatten()
            .filter_map(|axon| PeerId::from_bytes(&axon.endpoint.peer_id.0).ok())
            .collect())
    }

    /// Refreshes who may call and our uid at one block.
    async fn refresh(
        &self,
        at: &AtBlock,
        auth: &Authorizer,
        live: &LiveState,
    ) -> Result<(), MinerError> {
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
                netuid = self.netuid,
                "the hotkey is no longer registered on the subnet (pruned or deregistered)"
            );
        }
        live.set_block(at.block_number());
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
        let mut backoff = Duration::from_millis(500);
        loop {
            let blocks = tokio::select! {
                () = cancel.cancelled() => return,
                blocks = self.client.api().stream_blocks() => blocks,
            };
            match blocks {
                Ok(mut blocks) => loop {
                    let next = tokio::select! {
                        () = cancel.cancelled() => return,
                        next = blocks.next() => next,
                    };
                    let block = match next {
                        Some(Ok(block)) => block,
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "finalized block stream failed");
                            break;
                        }
                        None => break,
                    };
                    backoff = Duration::from_millis(500);
                    let at = match block.at().await {
                        Ok(at) => at,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read the chain at a finalized block");
                            continue;
                        }
                    };
                    if let Err(e) = self.refresh(&at, &server.auth, &live).await {
                        tracing::warn!(error = %e, "refreshing permitted validators failed");
                    }
                    if let Some((from, peer, addrs, device)) = pending_serve.take() {
                        pending_serve = self
                            .retry_serve(at.block_number(), from, peer, addrs, device)
                            .await;
                    }
                },
                Err(e) => tracing::warn!(error = %e, "cannot follow finalized blocks"),
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = backoff.saturating_mul(2).min(Duration::from_secs(30));
            match ChainClient::connect(&self.url).await {
                Ok(client) => self.client = client,
                Err(e) => tracing::warn!(error = %e, "reconnecting to the chain failed"),
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
        match self.serve(peer, &addrs, device).await {
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

/// The chain's TaskSpec (generated type) as the primitives type the subnets crate checks.
fn task_spec(task: chain_types::TaskSpec) -> TaskSpec {
    TaskSpec {
        modality: match task.modality {
            chain_types::Modality::Text => Modality::Text,
            chain_types::Modality::Image => Modality::Image,
            chain_types::Modality::Audio => Modality::Audio,
            chain_types::Modality::Sensor => Modality::Sensor,
            chain_types::Modality::Bytes => Modality::Bytes,
        },
        model_digest: task.model_digest,
        input_schema: task.input_schema,
        output_schema: task.output_schema,
        scoring_rule: match task.scoring_rule {
            chain_types::ScoringRule::CosineSimilarity => ScoringRule::CosineSimilarity,
            chain_types::ScoringRule::Correctness => ScoringRule::Correctness,
        },
    }
}
