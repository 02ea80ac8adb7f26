//! BLAKE2b-256 model digests, as pinned on chain in `TaskSpec::model_digest`.

use mindos_primitives::ModelDigest;

use crate::SubnetError;

/// BLAKE2b with a 32-byte output, no key, over `bytes`: the digest the chain pins for a
/// model file. Equal to `sp_core::hashing::blake2_256` and to Python's
/// `hashlib.blake2b(data, digest_size=32)`.
pub fn model_digest(bytes: &[u8]) -> ModelDigest {
    let hash = blake2b_simd::Params::new().hash_length(32).hash(bytes);
    let mut digest = [0u8; 32];
    // `hash_length(32)` makes the hash exactly 32 bytes long.
    for (d, &h) in digest.iter_mut().zip(hash.as_bytes()) {
        *d = h;
    }
    digest
}

/// Lower-case hex of a digest, for messages and logs.
pub fn to_hex(digest: &ModelDigest) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in digest {
        for nibble in [byte >> 4, byte & 0x0f] {
            // A nibble is < 16, so `get` always succeeds.
            if let Some(&c) = HEX.get(usize::from(nibble)) {
                out.push(char::from(c));
            }
        }
    }
    out
}

/// Fails with [`SubnetError::DigestMismatch`] unless `bytes` hash to `expected`.
pub(crate) fn check(
    file: &str,
    bytes: &[u8],
    expected: &ModelDigest,
) -> Result<ModelDigest, SubnetError> {
    let actual = model_digest(bytes);
    if &actual == expected {
        Ok(actual)
    } else {
        Err(SubnetError::DigestMismatch {
            file: file.to_owned(),
            expected: to_hex(expected),
            actual: to_hex(&actual),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_hashlib() {
        // hashlib.blake2b(b"abc", digest_size=32).hexdigest()
        assert_eq!(
            to_hex(&model_digest(b"abc")),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
        assert_eq!(
            to_hex(&model_digest(b"")),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
    }

    #[test]
    fn check_reports_both_digests() {
        let err = check("x.onnx", b"abc", &[0; 32]).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SubnetError::DigestMismatch { .. }));
        assert!(text.contains("bddd813c"), "{text}");
        assert!(text.contains(&"00".repeat(32)), "{text}");
    }
}
