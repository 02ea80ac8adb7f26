//! Keys for tests: sr25519 accounts from secret URIs, key files, libp2p node keys.

use std::path::Path;

use mindos_mesh::{keys::keypair_from_secret, PeerId};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// The sr25519 key derived from a secret URI such as `//MindosEconomyHotkey`.
pub fn key(uri: &str) -> Keypair {
    let secret: SecretUri = uri
        .parse()
        .unwrap_or_else(|e| panic!("secret URI {uri}: {e:?}"));
    Keypair::from_uri(&secret).unwrap_or_else(|e| panic!("derive {uri}: {e}"))
}

/// Writes a key file (a secret URI) as an operator should: readable by the owner only.
pub fn write_key(path: &Path, uri: &str) {
    write_private(path, &format!("{uri}\n"));
}

/// Writes a libp2p node key with secret `[n; 32]`; returns its PeerId.
pub fn write_node_key(path: &Path, n: u8) -> PeerId {
    let hex: String = std::iter::repeat_n(format!("{n:02x}"), 32).collect();
    write_private(path, &hex);
    node_key_peer(n)
}

/// The PeerId of the node key with secret `[n; 32]`.
pub fn node_key_peer(n: u8) -> PeerId {
    keypair_from_secret([n; 32])
        .unwrap_or_else(|e| panic!("node key [{n}; 32]: {e}"))
        .public()
        .to_peer_id()
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)))
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
