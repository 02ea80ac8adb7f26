//! What a neuron (a miner's or a validator's hotkey) does on chain at start and while it
//! runs: find its uid, register with a burn cap, get MIND to pay fees, publish its mesh
//! endpoint with `serve`. The miner and the validator both use these, so the rules (e.g.
//! skip a `serve` the chain already holds, respect the serve rate limit) live in one place.

use mindos_primitives::{NetUid, Uid};
use subxt::{client::OnlineClientAtBlock, utils::AccountId32};
use subxt_signer::sr25519::Keypair;

use crate::{
    runtime::{
        self,
        runtime_types::mindos_primitives::{
            self as chain_types, neuron::DeviceProfile, NetUid as ChainNetUid,
        },
    },
    to_hex, Balance, ChainClient, ChainError, MindConfig,
};

/// The chain at one (finalized) block.
pub type AtBlock = OnlineClientAtBlock<MindConfig>;

/// What [`ChainClient::serve`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// The `serve` transaction is finalized.
    Published,
    /// The chain already holds exactly this endpoint and device.
    Unchanged,
    /// The last `serve` is too recent; allowed from this block on.
    RateLimitedUntil(u64),
}

/// `0x`-hex of an account, as logs and error messages show hotkeys.
pub fn account_hex(account: &AccountId32) -> String {
    format!("0x{}", to_hex(&account.0))
}

impl ChainClient {
    /// The chain at the newest finalized block.
    pub async fn at_finalized(&self) -> Result<AtBlock, ChainError> {
        self.api()
            .at_current_block()
            .await
            .map_err(ChainError::from_subxt)
    }

    /// `hotkey`'s uid on `netuid` at `at`, if registered.
    pub async fn uid(
        &self,
        at: &AtBlock,
        netuid: NetUid,
        hotkey: &AccountId32,
    ) -> Result<Option<Uid>, ChainError> {
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().neurons().uids(),
                (ChainNetUid(netuid.0), *hotkey),
            )
            .await
            .map_err(ChainError::from_subxt)?;
        value
            .map(|v| v.decode().map(Uid).map_err(ChainError::from_subxt))
            .transpose()
    }

    /// `hotkey`'s uid on `netuid`, registering it first (the coldkey pays a burn of at most
    /// `max_burn`) if it is not registered and a coldkey is given. `None`: not registered,
    /// and no coldkey to register it (or the registration did not take) — the caller says
    /// what to do about it in its own terms.
    pub async fn ensure_registered(
        &self,
        netuid: NetUid,
        hotkey: &AccountId32,
        coldkey: Option<&Keypair>,
        max_burn: Balance,
    ) -> Result<Option<Uid>, ChainError> {
        if let Some(uid) = self
            .uid(&self.at_finalized().await?, netuid, hotkey)
            .await?
        {
            return Ok(Some(uid));
        }
        let Some(coldkey) = coldkey else {
            return Ok(None);
        };
        tracing::info!(target: "mindos::chain", hotkey = %account_hex(hotkey), %netuid, max_burn, "registering the hotkey");
        let call =
            runtime::transactions()
                .neurons()
                .register(ChainNetUid(netuid.0), *hotkey, max_burn);
        self.submit(&call, coldkey).await?;
        self.uid(&self.at_finalized().await?, netuid, hotkey).await
    }

    /// Tops `hotkey`'s free balance up to `target` from `coldkey` (so it can pay the fees of
    /// the transactions it signs); returns the balance it has now.
    pub async fn top_up(
        &self,
        coldkey: &Keypair,
        hotkey: &AccountId32,
        target: Balance,
    ) -> Result<Balance, ChainError> {
        let balance = self.free_balance(hotkey).await?;
        if balance >= target {
            return Ok(balance);
        }
        let amount = target.saturating_sub(balance);
        tracing::info!(target: "mindos::chain", hotkey = %account_hex(hotkey), amount, "funding the hotkey from the coldkey");
        self.transfer_keep_alive(coldkey, *hotkey, amount).await?;
        Ok(target)
    }

    /// Publishes a PeerId (its bytes), multiaddrs (their bytes) and device profile on
    /// `netuid` with `serve`, signed by `hotkey`, unless the chain already holds exactly
    /// these or the serve rate limit forbids it for now.
    pub async fn serve(
        &self,
        hotkey: &Keypair,
        netuid: NetUid,
        peer_id: Vec<u8>,
        multiaddrs: Vec<Vec<u8>>,
        device: DeviceProfile,
    ) -> Result<Served, ChainError> {
        let hotkey_id: AccountId32 = hotkey.public_key().into();
        let at = self.at_finalized().await?;
        let current = at
            .storage()
            .try_fetch(
                runtime::storage().neurons().axons(),
                (ChainNetUid(netuid.0), hotkey_id),
            )
            .await
            .map_err(ChainError::from_subxt)?
            .map(|v| v.decode().map_err(ChainError::from_subxt))
            .transpose()?;
        if let Some(current) = current {
            // The generated types have no `PartialEq`; their `Debug` shows every field.
            let same = current.endpoint.peer_id.0 == peer_id
                && current
                    .endpoint
                    .multiaddrs
                    .0
                    .iter()
                    .map(|a| &a.0)
                    .eq(multiaddrs.iter())
                && format!("{:?}", current.device) == format!("{device:?}");
            if same {
                return Ok(Served::Unchanged);
            }
            let limit = at
                .constants()
                .entry(runtime::constants().neurons().serve_rate_limit())
                .map_err(ChainError::from_subxt)?;
            let allowed_from = u64::from(current.served_at).saturating_add(u64::from(limit));
            // The transaction lands in a later block than the finalized one read here.
            if at.block_number().saturating_add(1) < allowed_from {
                return Ok(Served::RateLimitedUntil(allowed_from));
            }
        }
        let call = runtime::transactions().neurons().serve(
            ChainNetUid(netuid.0),
            peer_id,
            multiaddrs,
            device,
        );
        self.submit(&call, hotkey).await?;
        Ok(Served::Published)
    }
}

/// The chain's TaskSpec (generated type) as the primitives type the subnets crate checks.
pub fn task_spec(task: chain_types::TaskSpec) -> mindos_primitives::TaskSpec {
    use mindos_primitives::{Modality, ScoringRule, TaskSpec};
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
