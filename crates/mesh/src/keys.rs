//! The node's ed25519 identity: from a 32-byte secret, or from a key file.
//!
//! The key file holds the raw 32-byte secret (the layout Substrate's `--node-key-file` also
//! reads); 64 hexadecimal characters are accepted too. New files are created with mode
//! `0600` on Unix.

use std::{fs, io, path::Path};

use libp2p::identity::{ed25519, Keypair};
use mindos_daemon::keyfile::{warn_if_exposed, write_private};

use crate::MeshError;

/// Length of an ed25519 secret in bytes.
pub const SECRET_LEN: usize = 32;

/// The keypair whose secret is `secret`.
pub fn keypair_from_secret(mut secret: [u8; SECRET_LEN]) -> Result<Keypair, MeshError> {
    // `ed25519_from_bytes` zeroes the buffer it is given.
    Keypair::ed25519_from_bytes(&mut secret).map_err(|e| MeshError::InvalidKey(e.to_string()))
}

/// Loads the node key from `path`, or creates one there (mode `0600`) if the file is absent.
///
/// A key file readable by group or others is still loaded, with a warning.
pub fn load_or_create_keypair(path: &Path) -> Result<Keypair, MeshError> {
    match load_keypair(path) {
        Err(MeshError::KeyFile { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let secret = ed25519::SecretKey::generate();
    let bytes = <[u8; SECRET_LEN]>::try_from(secret.as_ref())
        .map_err(|_| MeshError::InvalidKey("generated secret has the wrong length".into()))?;
    match write_private(path, &bytes) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created a new node key");
            keypair_from_secret(bytes)
        }
        // Someone else created it between our read and our write: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => load_keypair(path),
        Err(source) => Err(MeshError::KeyFile {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Loads the node key from `path` (raw 32 bytes or 64 hex characters).
pub fn load_keypair(path: &Path) -> Result<Keypair, MeshError> {
    let key_file_error = |source| MeshError::KeyFile {
        path: path.to_owned(),
        source,
    };
    let contents = fs::read(path).map_err(key_file_error)?;
    warn_if_exposed(path, "node key file");
    let secret = parse_secret(&contents).ok_or_else(|| {
        MeshError::InvalidKey(format!(
            "{} holds neither 32 raw bytes nor 64 hex characters",
            path.display()
        ))
    })?;
    keypair_from_secret(secret)
}

fn parse_secret(contents: &[u8]) -> Option<[u8; SECRET_LEN]> {
    if let Ok(raw) = <[u8; SECRET_LEN]>::try_from(contents) {
        return Some(raw);
    }
    let text = std::str::from_utf8(contents).ok()?.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    if text.len() != SECRET_LEN.checked_mul(2)? {
        return None;
    }
    let mut secret = [0u8; SECRET_LEN];
    for (byte, pair) in secret.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_gives_a_stable_peer_id() {
        let a = keypair_from_secret([7; 32]).unwrap();
        let b = keypair_from_secret([7; 32]).unwrap();
        assert_eq!(a.public().to_peer_id(), b.public().to_peer_id());
    }

    #[test]
    fn key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/node.key");
        let created = load_or_create_keypair(&path).unwrap();
        let loaded = load_or_create_keypair(&path).unwrap();
        assert_eq!(created.public(), loaded.public());
        assert_eq!(fs::read(&path).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn hex_key_files_are_accepted_and_garbage_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hex.key");
        fs::write(&path, format!("0x{}\n", "01".repeat(32))).unwrap();
        let from_hex = load_keypair(&path).unwrap();
        let from_raw = keypair_from_secret([1; 32]).unwrap();
        assert_eq!(from_hex.public(), from_raw.public());

        fs::write(&path, "not a key").unwrap();
        assert!(matches!(load_keypair(&path), Err(MeshError::InvalidKey(_))));
    }
}
