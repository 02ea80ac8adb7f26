//! What a key signs to prove it consents, and the ed25519 key a PeerId names: the bytes the
//! chain verifies and the binaries sign, built in one place so both sides agree byte for byte.
//!
//! - *Serve proofs* bind an endpoint to its libp2p identity: `Neurons::serve` carries an
//!   ed25519 signature, by the key its PeerId names, of [`serve_proof_message`]. Without it any
//!   hotkey could publish another miner's PeerId and be scored for that miner's answers.
//! - *Hotkey consent* binds a hotkey to its coldkey: a hotkey's first `Neurons::register`
//!   carries the hotkey's signature of [`hotkey_consent_message`]. Without it whoever saw a
//!   fresh hotkey first could register it under their own coldkey.
//!
//! Each message starts with its own domain tag, then the SCALE encoding of what it commits
//! to, so a signature made for one purpose (or chain: the genesis hash is part of both) is
//! never valid for another.

use alloc::vec::Vec;
use codec::Encode;

use crate::NetUid;

/// The bytes an Ed25519 PeerId starts with: the identity multihash (code `0x00`, length
/// `0x24` = 36) of the protobuf `PublicKey { Type: Ed25519 (field 1 = 1), Data: 32 bytes
/// (field 2) }`. The 32 key bytes follow.
pub const ED25519_PEER_ID_PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

/// Length of an Ed25519 PeerId: [`ED25519_PEER_ID_PREFIX`] and the 32-byte key.
pub const ED25519_PEER_ID_LEN: usize = 38;

/// The domain tag of [`serve_proof_message`].
pub const SERVE_PROOF_DOMAIN: &[u8] = b"mindos/serve/v1";

/// The domain tag of [`hotkey_consent_message`].
pub const HOTKEY_CONSENT_DOMAIN: &[u8] = b"mindos/hotkey-consent/v1";

/// The Ed25519 public key a binary libp2p PeerId names, or `None` if it names another key
/// type or is a hash of the key (libp2p hashes keys longer than 42 bytes, e.g. RSA).
///
/// The chain accepts only Ed25519 PeerIds on `serve`, because only for them can it read the
/// key and verify a signature. A served endpoint's PeerId therefore always yields its key:
/// this is the key the neuron's mesh identity signs with, so whoever later checks something a
/// neuron signed on the mesh (e.g. sentinel evidence against a miner) verifies it with
/// `ed25519_key_of(served peer_id)`.
pub fn ed25519_key_of(peer_id: &[u8]) -> Option<[u8; 32]> {
    peer_id
        .strip_prefix(&ED25519_PEER_ID_PREFIX[..])?
        .try_into()
        .ok()
}

/// What the libp2p identity of an endpoint signs so that `hotkey` may serve it on `netuid`:
/// [`SERVE_PROOF_DOMAIN`] followed by the SCALE encoding of `(genesis_hash, netuid, hotkey,
/// peer_id, signed_at)`, where the byte strings are encoded as SCALE `Vec<u8>` (a compact
/// length, then the bytes).
///
/// - `genesis_hash`: the chain's genesis block hash (its bytes), so a proof never crosses
///   chains.
/// - `hotkey`: the SCALE encoding of the hotkey account (for MindOS its 32 bytes).
/// - `peer_id`: the binary PeerId being served.
/// - `signed_at`: a recent block number; the chain accepts the proof for a limited number of
///   blocks after it, so a leaked proof does not stay usable.
pub fn serve_proof_message(
    genesis_hash: &[u8],
    netuid: NetUid,
    hotkey: &[u8],
    peer_id: &[u8],
    signed_at: u64,
) -> Vec<u8> {
    let mut message = SERVE_PROOF_DOMAIN.to_vec();
    (genesis_hash, netuid, hotkey, peer_id, signed_at).encode_to(&mut message);
    message
}

/// What a hotkey signs to consent to being owned by `coldkey`: [`HOTKEY_CONSENT_DOMAIN`]
/// followed by the SCALE encoding of `(genesis_hash, coldkey)`, both as SCALE `Vec<u8>`.
///
/// - `genesis_hash`: the chain's genesis block hash (its bytes).
/// - `coldkey`: the SCALE encoding of the coldkey account (for MindOS its 32 bytes).
///
/// The binding is permanent (a hotkey's owner never changes), so the message carries no
/// block or nonce: replaying it can only confirm the owner it names.
pub fn hotkey_consent_message(genesis_hash: &[u8], coldkey: &[u8]) -> Vec<u8> {
    let mut message = HOTKEY_CONSENT_DOMAIN.to_vec();
    (genesis_hash, coldkey).encode_to(&mut message);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed25519_peer_id(key: [u8; 32]) -> Vec<u8> {
        let mut bytes = ED25519_PEER_ID_PREFIX.to_vec();
        bytes.extend_from_slice(&key);
        bytes
    }

    #[test]
    fn an_ed25519_peer_id_yields_its_key() {
        let peer = ed25519_peer_id([9; 32]);
        assert_eq!(peer.len(), ED25519_PEER_ID_LEN);
        assert_eq!(ed25519_key_of(&peer), Some([9; 32]));
    }

    #[test]
    fn other_peer_ids_yield_nothing() {
        let peer = ed25519_peer_id([9; 32]);
        // Too short, too long, empty.
        assert_eq!(ed25519_key_of(&peer[..37]), None);
        let mut long = peer.clone();
        long.push(0);
        assert_eq!(ed25519_key_of(&long), None);
        assert_eq!(ed25519_key_of(&[]), None);
        // A secp256k1 key (type 2, 33 bytes) and a SHA-256 multihash (an RSA key's PeerId).
        let mut secp = vec![0x00, 0x25, 0x08, 0x02, 0x12, 0x21];
        secp.extend_from_slice(&[2; 33]);
        assert_eq!(ed25519_key_of(&secp), None);
        let mut sha = vec![0x12, 0x20];
        sha.extend_from_slice(&[1; 32]);
        assert_eq!(ed25519_key_of(&sha), None);
        // The identity multihash of a protobuf that claims type 1 but is not.
        let mut wrong_type = peer.clone();
        wrong_type[3] = 0x03;
        assert_eq!(ed25519_key_of(&wrong_type), None);
    }

    #[test]
    fn the_serve_proof_message_is_the_tag_then_scale_of_its_fields() {
        let message = serve_proof_message(&[1; 32], NetUid(3), &[2; 32], &[0, 7], 258);
        let mut expected = b"mindos/serve/v1".to_vec();
        expected.push(32 << 2); // compact length 32
        expected.extend_from_slice(&[1; 32]);
        expected.extend_from_slice(&[3, 0]); // netuid, u16 little-endian
        expected.push(32 << 2);
        expected.extend_from_slice(&[2; 32]);
        expected.extend_from_slice(&[2 << 2, 0, 7]);
        expected.extend_from_slice(&258u64.to_le_bytes());
        assert_eq!(message, expected);
    }

    #[test]
    fn every_field_of_the_serve_proof_changes_the_message() {
        let base = serve_proof_message(&[1; 32], NetUid(3), &[2; 32], &[0, 7], 5);
        for other in [
            serve_proof_message(&[9; 32], NetUid(3), &[2; 32], &[0, 7], 5),
            serve_proof_message(&[1; 32], NetUid(4), &[2; 32], &[0, 7], 5),
            serve_proof_message(&[1; 32], NetUid(3), &[9; 32], &[0, 7], 5),
            serve_proof_message(&[1; 32], NetUid(3), &[2; 32], &[0, 8], 5),
            serve_proof_message(&[1; 32], NetUid(3), &[2; 32], &[0, 7], 6),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn the_consent_message_is_the_tag_then_scale_of_its_fields() {
        let message = hotkey_consent_message(&[1; 32], &[4; 32]);
        let mut expected = b"mindos/hotkey-consent/v1".to_vec();
        expected.push(32 << 2);
        expected.extend_from_slice(&[1; 32]);
        expected.push(32 << 2);
        expected.extend_from_slice(&[4; 32]);
        assert_eq!(message, expected);
        assert_ne!(message, hotkey_consent_message(&[1; 32], &[5; 32]));
        assert_ne!(message, hotkey_consent_message(&[2; 32], &[4; 32]));
    }
}
