//! `mindos neuron serve`: the neurons pallet's `serve`, which publishes where a registered
//! hotkey's miner is reached.
//!
//! The hotkey signs and pays. The call carries a proof that the hotkey may serve the PeerId:
//! the node key's ed25519 signature of `mindos_primitives::serve_proof_message` (genesis
//! hash, subnet, hotkey, PeerId, the block it was signed at), built by the chain client's
//! [`serve_proof`], as the miner builds it. So the miner's node key file is needed, loaded as
//! the miner loads it (`mindos_mesh::keys::load_keypair`). The chain client's
//! `ChainClient::serve` submits without asking; this command does the same checks
//! (registered, PeerId not served by another hotkey, unchanged endpoint, rate limit) and then
//! shows the fee and asks.

use mindos_chain_client::ChainError;
use std::path::Path;

use anyhow::{bail, Context as _};
use mindos_chain_client::{
    neuron::{serve_proof, NodeKey},
    runtime::{
        self,
        runtime_types::{
            bounded_collections::bounded_vec::BoundedVec,
            mindos_primitives::{
                neuron::{DeviceClass, DeviceProfile, PowerSource},
                NetUid as ChainNetUid,
            },
            pallet_mindos_neurons::types::ServeProof,
        },
    },
};
use mindos_primitives::{NetUid, MAX_MULTIADDRS, MAX_MULTIADDR_LEN};
use multiaddr::{Multiaddr, Protocol};
use serde_json::json;
use subxt::utils::AccountId32;

use crate::{
    address::to_ss58,
    cli::{DeviceClassArg, EndpointArgs, PowerArg},
    neuron::hotkey_pair,
    subnet::{self, Pinned},
    wallet::{mind_json, send_paid, Context, InsufficientBalance},
};

/// The multiaddrs as the chain stores them (binary), refused unless each parses, fits the
/// chain's limits and names no other PeerId than `peer_id` (base58) in a `/p2p/` part.
pub fn parse_multiaddrs(texts: &[String], peer_id: &str) -> anyhow::Result<Vec<Multiaddr>> {
    if texts.is_empty() {
        bail!("give at least one --multiaddr");
    }
    let max = usize::try_from(MAX_MULTIADDRS).unwrap_or(usize::MAX);
    if texts.len() > max {
        bail!("{} multiaddrs; the chain takes at most {max}", texts.len());
    }
    let max_len = usize::try_from(MAX_MULTIADDR_LEN).unwrap_or(usize::MAX);
    texts
        .iter()
        .map(|text| {
            let address: Multiaddr = text
                .parse()
                .map_err(|e| anyhow::anyhow!("--multiaddr `{text}` is not a multiaddr: {e}"))?;
            if address.is_empty() {
                bail!("--multiaddr `{text}` is empty");
            }
            if address.to_vec().len() > max_len {
                bail!("--multiaddr `{text}` is longer than the chain's {max_len} bytes");
            }
            for part in address.iter() {
                if let Protocol::P2p(named) = part {
                    if named.to_base58() != peer_id {
                        bail!(
                            "--multiaddr `{text}` names PeerId {named}, but the node key's is \
                             {peer_id}"
                        );
                    }
                }
            }
            Ok(address)
        })
        .collect()
}

/// The declared device, refused unless the region is two ASCII capitals.
pub fn device(args: &EndpointArgs) -> anyhow::Result<DeviceProfile> {
    let region: [u8; 2] = args
        .region
        .as_bytes()
        .try_into()
        .ok()
        .filter(|r: &[u8; 2]| r.iter().all(u8::is_ascii_uppercase))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--region `{}` is not two capital letters (ISO 3166-1 alpha-2, ZZ if unknown)",
                args.region
            )
        })?;
    Ok(DeviceProfile {
        class: match args.device_class {
            DeviceClassArg::Phone => DeviceClass::Phone,
            DeviceClassArg::Laptop => DeviceClass::Laptop,
            DeviceClassArg::Desktop => DeviceClass::Desktop,
            DeviceClassArg::Server => DeviceClass::Server,
            DeviceClassArg::Embedded => DeviceClass::Embedded,
        },
        compute_score: args.compute_score,
        power: match args.power {
            PowerArg::Mains => PowerSource::Mains,
            PowerArg::Battery => PowerSource::Battery,
            PowerArg::Renewable => PowerSource::Renewable,
        },
        region,
    })
}

fn device_json(args: &EndpointArgs) -> serde_json::Value {
    let class = match args.device_class {
        DeviceClassArg::Phone => "phone",
        DeviceClassArg::Laptop => "laptop",
        DeviceClassArg::Desktop => "desktop",
        DeviceClassArg::Server => "server",
        DeviceClassArg::Embedded => "embedded",
    };
    let power = match args.power {
        PowerArg::Mains => "mains",
        PowerArg::Battery => "battery",
        PowerArg::Renewable => "renewable",
    };
    json!({"class": class, "compute_score": args.compute_score, "power": power, "region": args.region})
}

/// The node key of `path`, as the miner loads it; never created here (a new key would
/// publish a PeerId no miner holds).
pub fn node_key(path: &Path) -> anyhow::Result<NodeKey> {
    if !path.is_file() {
        bail!(
            "no node key file at {}: give the miner's (its `node_key_file`, by default \
             `<base_path>/node.key`, created when the miner first starts)",
            path.display()
        );
    }
    mindos_mesh::keys::load_keypair(path)
        .with_context(|| format!("loading the node key {}", path.display()))
}

/// Refuses a serve the chain would refuse or that would change nothing, from what it holds
/// at block `now` (the transaction lands at `now + 1` at the earliest): the PeerId served by
/// another hotkey, or an earlier serve within `rate_limit` blocks. `Ok(true)`: the chain
/// holds exactly this already.
pub fn check_serve(
    netuid: u16,
    hotkey: &AccountId32,
    peer_id: &str,
    peer_id_owner: Option<&AccountId32>,
    served: Option<(bool, u64)>,
    rate_limit: u64,
    now: u64,
) -> anyhow::Result<bool> {
    if let Some(owner) = peer_id_owner.filter(|owner| *owner != hotkey) {
        bail!(
            "PeerId {peer_id} is served by hotkey {} on subnet {netuid}: one node key serves \
             one hotkey per subnet (give this hotkey's miner its own node key). Nothing was sent",
            to_ss58(owner)
        );
    }
    match served {
        Some((true, _)) => Ok(true),
        Some((false, served_at)) => {
            let allowed_from = served_at.saturating_add(rate_limit);
            if now.saturating_add(1) < allowed_from {
                bail!(
                    "hotkey {} served on subnet {netuid} at block #{served_at}; the next serve \
                     is allowed from block #{allowed_from} ({rate_limit} blocks later). Nothing \
                     was sent",
                    to_ss58(hotkey)
                );
            }
            Ok(false)
        }
        None => Ok(false),
    }
}

/// Runs `neuron serve`.
pub async fn serve(
    cx: &Context<'_>,
    netuid: u16,
    hotkey: &str,
    node_key_file: &Path,
    args: &EndpointArgs,
) -> anyhow::Result<()> {
    // What the user typed is checked before the network.
    let hotkey = hotkey_pair(hotkey)?;
    let hotkey_id: AccountId32 = hotkey.public_key().into();
    let node_key = node_key(node_key_file)?;
    let peer = node_key.public().to_peer_id();
    let peer_id = peer.to_base58();
    let addresses = parse_multiaddrs(&args.multiaddrs, &peer_id)?;
    let device = device(args)?;

    let client = cx.network.connect().await?;
    // Checked at the best block, the freshest state the transaction meets; the proof is
    // signed at the finalized one (below).
    let at = client.at_best().await?;
    let finalized = client.at_finalized().await?.block_number();
    let pinned = Pinned {
        hash: at.block_hash(),
        number: at.block_number(),
    };
    subnet::subnet(&client, netuid, pinned).await?;
    let Some(uid) = client.uid(&at, NetUid(netuid), &hotkey_id).await? else {
        bail!(
            "hotkey {} is not registered on subnet {netuid}: register it first (`mindos neuron \
             register {netuid} --wallet W --hotkey …`). Nothing was sent",
            to_ss58(&hotkey_id)
        );
    };
    let peer_bytes = peer.to_bytes();
    let owner = at
        .storage()
        .try_fetch(
            runtime::storage().neurons().peer_id_owner(),
            (ChainNetUid(netuid), BoundedVec(peer_bytes.clone())),
        )
        .await
        .map_err(ChainError::from_subxt)?
        .map(|v| v.decode().map_err(ChainError::from_subxt))
        .transpose()?;
    let binary: Vec<Vec<u8>> = addresses.iter().map(Multiaddr::to_vec).collect();
    let current = at
        .storage()
        .try_fetch(
            runtime::storage().neurons().axons(),
            (ChainNetUid(netuid), hotkey_id),
        )
        .await
        .map_err(ChainError::from_subxt)?
        .map(|v| v.decode().map_err(ChainError::from_subxt))
        .transpose()?;
    let served = current.map(|c| {
        // The generated types have no `PartialEq`; their `Debug` shows every field.
        let same = c.endpoint.peer_id.0 == peer_bytes
            && c.endpoint
                .multiaddrs
                .0
                .iter()
                .map(|a| &a.0)
                .eq(binary.iter())
            && format!("{:?}", c.device) == format!("{device:?}");
        (same, u64::from(c.served_at))
    });
    let rate_limit = at
        .constants()
        .entry(runtime::constants().neurons().serve_rate_limit())
        .map_err(ChainError::from_subxt)?;
    let texts: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    let unchanged = check_serve(
        netuid,
        &hotkey_id,
        &peer_id,
        owner.as_ref(),
        served,
        u64::from(rate_limit),
        at.block_number(),
    )?;
    let document = |done: Option<(crate::tx::Finalized, u128)>| {
        json!({
            "netuid": netuid,
            "hotkey": to_ss58(&hotkey_id),
            "uid": uid.0,
            "peer_id": peer_id,
            "multiaddrs": texts,
            "device": device_json(args),
            "changed": done.is_some(),
            "fee_estimate": done.map(|(_, fee)| mind_json(fee)),
            "block_hash": done.map(|(d, _)| format!("{:?}", d.block_hash)),
            "block_number": done.map(|(d, _)| d.block_number),
            "extrinsic_hash": done.map(|(d, _)| format!("{:?}", d.extrinsic_hash)),
        })
    };
    if unchanged {
        cx.ui.result(
            &format!(
                "subnet {netuid} already has this endpoint and device for {} (uid {}); nothing \
                 was sent",
                to_ss58(&hotkey_id),
                uid.0
            ),
            document(None),
        );
        return Ok(());
    }
    // Signed at the finalized block: never ahead of the block it lands in, even after a
    // reorg, and valid for the chain's `ServeProofValidity` blocks from there.
    let (peer_id_bytes, signature) = serve_proof(
        &node_key,
        &client.genesis_hash(),
        NetUid(netuid),
        &hotkey_id,
        finalized,
    )?;
    let signed_at = u32::try_from(finalized)
        .context("the finalized block number exceeds the chain's u32 block numbers")?;
    let call = runtime::transactions().neurons().serve(
        ChainNetUid(netuid),
        peer_id_bytes,
        binary,
        device,
        ServeProof {
            signed_at,
            signature,
        },
    );
    let summary = format!(
        "serve on subnet {netuid} for hotkey {} (uid {}), signed and paid by the hotkey\n\
         PeerId {peer_id} (the node key's)\naddresses: {}",
        to_ss58(&hotkey_id),
        uid.0,
        texts.join(", ")
    );
    let done = send_paid(cx, &client, &hotkey, &call, "paying", 0, &summary)
        .await
        .map_err(|e| {
            if e.is::<InsufficientBalance>() {
                e.context(format!(
                    "the hotkey {} signs `serve` and pays its fee: fund it first, e.g. `mindos \
                     wallet transfer WALLET {} 0.01`",
                    to_ss58(&hotkey_id),
                    to_ss58(&hotkey_id)
                ))
            } else {
                e
            }
        })?;
    let text = format!(
        "served {peer_id} at {} for uid {} on subnet {netuid}: finalized in block #{} ({:?})",
        texts.join(", "),
        uid.0,
        done.0.block_number,
        done.0.block_hash
    );
    cx.ui.result(&text, document(Some(done)));
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(region: &str) -> EndpointArgs {
        EndpointArgs {
            multiaddrs: vec![],
            device_class: DeviceClassArg::Server,
            compute_score: 7,
            power: PowerArg::Battery,
            region: region.into(),
        }
    }

    #[test]
    fn multiaddrs_must_parse_fit_and_name_only_our_peer_id() {
        let key = NodeKey::ed25519_from_bytes([5u8; 32]).unwrap();
        let ours = key.public().to_peer_id().to_base58();
        let other = NodeKey::ed25519_from_bytes([6u8; 32])
            .unwrap()
            .public()
            .to_peer_id()
            .to_base58();
        let ok = parse_multiaddrs(
            &[
                "/ip4/127.0.0.1/tcp/30444".into(),
                format!("/dns4/miner.example/tcp/1/p2p/{ours}"),
            ],
            &ours,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert!(parse_multiaddrs(&[], &ours).is_err());
        let e = parse_multiaddrs(&["127.0.0.1:30444".into()], &ours).unwrap_err();
        assert!(e.to_string().contains("not a multiaddr"), "{e}");
        let e = parse_multiaddrs(&[format!("/ip4/1.2.3.4/tcp/1/p2p/{other}")], &ours).unwrap_err();
        assert!(e.to_string().contains("but the node key's is"), "{e}");
        let nine = vec!["/ip4/1.2.3.4/tcp/1".to_owned(); 9];
        assert!(parse_multiaddrs(&nine, &ours).is_err());
        let long = format!("/dns4/{}/tcp/1", "a".repeat(130));
        let e = parse_multiaddrs(&[long], &ours).unwrap_err();
        assert!(e.to_string().contains("128 bytes"), "{e}");
    }

    #[test]
    fn the_region_is_two_capitals() {
        let d = device(&args("DE")).unwrap();
        assert_eq!(d.region, *b"DE");
        assert_eq!(d.compute_score, 7);
        assert!(matches!(d.class, DeviceClass::Server));
        assert!(matches!(d.power, PowerSource::Battery));
        for bad in ["de", "DEU", "D", "D1"] {
            assert!(device(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_serve_is_refused_for_a_taken_peer_id_or_within_the_rate_limit() {
        let me = AccountId32([1; 32]);
        let other = AccountId32([2; 32]);
        assert!(!check_serve(1, &me, "12D", None, None, 10, 50).unwrap());
        assert!(!check_serve(1, &me, "12D", Some(&me), None, 10, 50).unwrap());
        let e = check_serve(1, &me, "12D", Some(&other), None, 10, 50).unwrap_err();
        assert!(e.to_string().contains("one node key serves"), "{e}");
        // The same endpoint again: nothing to send, even within the rate limit.
        assert!(check_serve(1, &me, "12D", Some(&me), Some((true, 45)), 10, 50).unwrap());
        let e = check_serve(1, &me, "12D", Some(&me), Some((false, 45)), 10, 50).unwrap_err();
        assert!(e.to_string().contains("allowed from block #55"), "{e}");
        assert!(!check_serve(1, &me, "12D", Some(&me), Some((false, 45)), 10, 54).unwrap());
    }

    #[test]
    fn a_missing_node_key_file_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let e = node_key(&path).unwrap_err();
        assert!(e.to_string().contains("no node key file"), "{e}");
        assert!(!path.exists());
        std::fs::write(&path, "05".repeat(32)).unwrap();
        let loaded = node_key(&path).unwrap();
        let expected = NodeKey::ed25519_from_bytes([5u8; 32]).unwrap();
        assert_eq!(loaded.public(), expected.public());
    }
}
