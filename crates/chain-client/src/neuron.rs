//! What a neuron (a miner's or a validator's hotkey) does on chain at start and while it
//! runs: find its uid, register with a burn cap, get MIND to pay fees, publish its mesh
//! endpoint with `serve`. The miner and the validator both use these, so the rules (e.g.
//! skip a `serve` the chain already holds, respect the serve rate limit) live in one place.
//!
//! Both calls carry a signature the chain checks (`mindos_primitives::proofs` builds the
//! messages): a first registration the hotkey's consent to its coldkey, a `serve` the node
//! key's proof that this hotkey may serve its PeerId. And both binaries refuse to run on a
//! hotkey the chain says belongs to another coldkey ([`ChainClient::check_hotkey_owner`]).

/// A node's libp2p identity (the type `mindos_mesh::Keypair` re-exports); it signs serve proofs.
pub use libp2p_identity::Keypair as NodeKey;
use mindos_primitives::{NetUid, Uid};
use subxt::{client::OnlineClientAtBlock, utils::AccountId32};
use subxt_signer::sr25519::Keypair;

use crate::{
    keys::Coldkey,
    runtime::{
        self,
        runtime_types::{
            bounded_collections::bounded_vec::BoundedVec,
            mindos_primitives::{
                self as chain_types, neuron::DeviceProfile, NetUid as ChainNetUid,
            },
            pallet_mindos_neurons::types::ServeProof,
            sp_runtime::MultiSignature,
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

/// The hotkey's consent to `coldkey` owning it on the chain with `genesis_hash`, which its
/// first `Neurons::register` carries: its signature of
/// [`mindos_primitives::hotkey_consent_message`].
pub fn hotkey_consent(
    hotkey: &Keypair,
    genesis_hash: &[u8; 32],
    coldkey: &AccountId32,
) -> [u8; 64] {
    let message = mindos_primitives::hotkey_consent_message(genesis_hash, &coldkey.0);
    hotkey.sign(&message).0
}

/// The node key's proof that `hotkey` may serve the node's PeerId on `netuid` of the chain
/// with `genesis_hash`, signed at block `signed_at`: the PeerId (binary) and the ed25519
/// signature of [`mindos_primitives::serve_proof_message`]. Fails for a key that is not
/// ed25519 (the chain could not read it from the PeerId).
pub fn serve_proof(
    node_key: &NodeKey,
    genesis_hash: &[u8; 32],
    netuid: NetUid,
    hotkey: &AccountId32,
    signed_at: u64,
) -> Result<(Vec<u8>, [u8; 64]), ChainError> {
    let peer_id = node_key.public().to_peer_id().to_bytes();
    if mindos_primitives::ed25519_key_of(&peer_id).is_none() {
        return Err(ChainError::NodeKeyNotEd25519);
    }
    let message = mindos_primitives::serve_proof_message(
        genesis_hash,
        netuid,
        &hotkey.0,
        &peer_id,
        signed_at,
    );
    let signature = node_key
        .sign(&message)
        .ok()
        .and_then(|signature| <[u8; 64]>::try_from(signature).ok())
        .ok_or(ChainError::NodeKeyNotEd25519)?;
    Ok((peer_id, signature))
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

    /// The chain's genesis hash, which serve proofs and hotkey consents sign.
    pub fn genesis_hash(&self) -> [u8; 32] {
        self.api().genesis_hash().0
    }

    /// The coldkey that owns `hotkey` at `at` (`Neurons::HotkeyOwner`), if it was ever
    /// registered.
    pub async fn hotkey_owner(
        &self,
        at: &AtBlock,
        hotkey: &AccountId32,
    ) -> Result<Option<AccountId32>, ChainError> {
        at.storage()
            .try_fetch(runtime::storage().neurons().hotkey_owner(), (*hotkey,))
            .await
            .map_err(ChainError::from_subxt)?
            .map(|v| v.decode().map_err(ChainError::from_subxt))
            .transpose()
    }

    /// Fails with [`ChainError::HotkeyOwnedByAnother`] if the chain says at `at` that
    /// `hotkey` belongs to another coldkey than `coldkey`. A hotkey without an owner (never
    /// registered) passes.
    pub async fn check_hotkey_owner(
        &self,
        at: &AtBlock,
        hotkey: &AccountId32,
        coldkey: &AccountId32,
    ) -> Result<(), ChainError> {
        match self.hotkey_owner(at, hotkey).await? {
            Some(owner) if owner != *coldkey => Err(ChainError::HotkeyOwnedByAnother {
                hotkey: account_hex(hotkey),
                owner: account_hex(&owner),
                expected: account_hex(coldkey),
            }),
            _ => Ok(()),
        }
    }

    /// `hotkey`'s uid on `netuid`, registering it first (the coldkey pays a burn of at most
    /// `max_burn`, and the hotkey signs its consent if this is its first registration) if it
    /// is not registered and the coldkey's key pair is given. Fails with
    /// [`ChainError::HotkeyOwnedByAnother`] if the hotkey belongs to another coldkey than
    /// `coldkey`, before or after registering. `None`: not registered, and no coldkey pair
    /// to register it (or the registration did not take) — the caller says what to do about
    /// it in its own terms.
    pub async fn ensure_registered(
        &self,
        netuid: NetUid,
        hotkey: &Keypair,
        coldkey: &Coldkey,
        max_burn: Balance,
    ) -> Result<Option<Uid>, ChainError> {
        let hotkey_id: AccountId32 = hotkey.public_key().into();
        let at = self.at_finalized().await?;
        // Checked first: paying a burn for a hotkey someone else owns fails on chain anyway,
        // and running on one would earn for them.
        self.check_hotkey_owner(&at, &hotkey_id, coldkey.account())
            .await?;
        if let Some(uid) = self.uid(&at, netuid, &hotkey_id).await? {
            return Ok(Some(uid));
        }
        let Some(pair) = coldkey.pair() else {
            return Ok(None);
        };
        let consent = match self.hotkey_owner(&at, &hotkey_id).await? {
            Some(_) => None,
            None => Some(MultiSignature::Sr25519(hotkey_consent(
                hotkey,
                &self.genesis_hash(),
                coldkey.account(),
            ))),
        };
        tracing::info!(target: "mindos::chain", hotkey = %account_hex(&hotkey_id), %netuid, max_burn, "registering the hotkey");
        let call = runtime::transactions().neurons().register(
            ChainNetUid(netuid.0),
            hotkey_id,
            max_burn,
            consent,
        );
        self.submit(&call, pair).await?;
        let at = self.at_finalized().await?;
        self.check_hotkey_owner(&at, &hotkey_id, coldkey.account())
            .await?;
        self.uid(&at, netuid, &hotkey_id).await
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

    /// Publishes the PeerId of `node_key`, multiaddrs (their bytes) and device profile on
    /// `netuid` with `serve`, signed by `hotkey` and proven by `node_key` (see
    /// [`serve_proof`]), unless the chain already holds exactly these or the serve rate limit
    /// forbids it for now. Fails with [`ChainError::PeerIdTaken`] if another hotkey serves
    /// the PeerId on `netuid`.
    pub async fn serve(
        &self,
        hotkey: &Keypair,
        node_key: &NodeKey,
        netuid: NetUid,
        multiaddrs: Vec<Vec<u8>>,
        device: DeviceProfile,
    ) -> Result<Served, ChainError> {
        let hotkey_id: AccountId32 = hotkey.public_key().into();
        let at = self.at_finalized().await?;
        // Signed at the finalized block: never ahead of the block the transaction lands in.
        let (peer_id, signature) = serve_proof(
            node_key,
            &self.genesis_hash(),
            netuid,
            &hotkey_id,
            at.block_number(),
        )?;
        let owner = at
            .storage()
            .try_fetch(
                runtime::storage().neurons().peer_id_owner(),
                (ChainNetUid(netuid.0), BoundedVec(peer_id.clone())),
            )
            .await
            .map_err(ChainError::from_subxt)?
            .map(|v| v.decode().map_err(ChainError::from_subxt))
            .transpose()?;
        if let Some(owner) = owner.filter(|owner| *owner != hotkey_id) {
            return Err(ChainError::PeerIdTaken {
                peer_id: node_key.public().to_peer_id().to_base58(),
                owner: account_hex(&owner),
                netuid,
            });
        }
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
        let signed_at = u32::try_from(at.block_number()).map_err(|_| {
            ChainError::from_subxt(subxt::Error::Other(
                "the finalized block number exceeds the chain's u32 block numbers".into(),
            ))
        })?;
        let call = runtime::transactions().neurons().serve(
            ChainNetUid(netuid.0),
            peer_id,
            multiaddrs,
            device,
            ServeProof {
                signed_at,
                signature,
            },
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use sp_core::{ed25519, sr25519, Pair};
    use subxt_signer::sr25519::dev;

    const GENESIS: [u8; 32] = [3; 32];

    #[test]
    fn a_libp2p_ed25519_peer_id_names_its_key() {
        let node_key = NodeKey::ed25519_from_bytes([5u8; 32]).unwrap();
        let peer_id = node_key.public().to_peer_id().to_bytes();
        let key = node_key.public().try_into_ed25519().unwrap().to_bytes();
        assert_eq!(
            peer_id.len(),
            mindos_primitives::proofs::ED25519_PEER_ID_LEN
        );
        assert_eq!(mindos_primitives::ed25519_key_of(&peer_id), Some(key));
    }

    #[test]
    fn the_serve_proof_verifies_as_the_chain_checks_it() {
        let node_key = NodeKey::ed25519_from_bytes([5u8; 32]).unwrap();
        let hotkey: AccountId32 = dev::bob().public_key().into();
        let (peer_id, signature) =
            serve_proof(&node_key, &GENESIS, NetUid(2), &hotkey, 77).unwrap();
        assert_eq!(peer_id, node_key.public().to_peer_id().to_bytes());
        // What the runtime does: read the key from the PeerId, rebuild the message, verify.
        let key = ed25519::Public::from_raw(mindos_primitives::ed25519_key_of(&peer_id).unwrap());
        let message =
            mindos_primitives::serve_proof_message(&GENESIS, NetUid(2), &hotkey.0, &peer_id, 77);
        let signature = ed25519::Signature::from_raw(signature);
        assert!(ed25519::Pair::verify(&signature, &message, &key));
        // Any other field and it fails.
        let other_block =
            mindos_primitives::serve_proof_message(&GENESIS, NetUid(2), &hotkey.0, &peer_id, 78);
        assert!(!ed25519::Pair::verify(&signature, &other_block, &key));
        let other_subnet =
            mindos_primitives::serve_proof_message(&GENESIS, NetUid(3), &hotkey.0, &peer_id, 77);
        assert!(!ed25519::Pair::verify(&signature, &other_subnet, &key));
    }

    #[test]
    fn the_hotkey_consent_verifies_as_the_chain_checks_it() {
        let hotkey = dev::charlie();
        let coldkey: AccountId32 = dev::bob().public_key().into();
        let signature = hotkey_consent(&hotkey, &GENESIS, &coldkey);
        let message = mindos_primitives::hotkey_consent_message(&GENESIS, &coldkey.0);
        let public = sr25519::Public::from_raw(hotkey.public_key().0);
        let signature = sr25519::Signature::from_raw(signature);
        assert!(sr25519::Pair::verify(&signature, &message, &public));
        let alice: AccountId32 = dev::alice().public_key().into();
        let other = mindos_primitives::hotkey_consent_message(&GENESIS, &alice.0);
        assert!(!sr25519::Pair::verify(&signature, &other, &public));
    }
}
