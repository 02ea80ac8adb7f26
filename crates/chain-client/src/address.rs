//! SS58 addresses with MindOS's prefix, and accounts from whatever a user types: one
//! spelling of an account for every binary (the CLI, and the miner's and validator's notices).
//!
//! `subxt`'s `AccountId32` prints the generic Substrate prefix (42, addresses starting with
//! `5`); MindOS addresses use the chain's own prefix, [`SS58_PREFIX`], as polkadot-js shows
//! them once it knows the chain. Input accepts any prefix: an address is a public key plus a
//! checksum, and refusing a `5…` address for the same key would only get in the way.

use subxt::utils::AccountId32;

/// MindOS's SS58 prefix: the runtime's `SS58_PREFIX`, which its metadata carries as the
/// constant `System::SS58Prefix` (a test in the CLI reads it from this crate's metadata, so
/// the two cannot drift apart).
pub const SS58_PREFIX: u16 = 2424;

/// What the SS58 checksum hashes before the payload.
const SS58_CONTEXT: &[u8] = b"SS58PRE";

/// `account` as an SS58 address with MindOS's prefix.
pub fn to_ss58(account: &AccountId32) -> String {
    encode(SS58_PREFIX, &account.0)
}

/// `public_key` as an SS58 address with `prefix` (0..16384).
pub fn encode(prefix: u16, public_key: &[u8; 32]) -> String {
    let mut data = Vec::with_capacity(36);
    let [low, high] = prefix.to_le_bytes();
    if prefix < 64 {
        data.push(low);
    } else {
        // The two-byte form of the SS58 spec: the prefix's 14 bits split so that the first
        // byte's top two bits read `01`.
        data.push(((low & 0b1111_1100) >> 2) | 0b0100_0000);
        data.push(high | ((low & 0b0000_0011) << 6));
    }
    data.extend_from_slice(public_key);
    let hash = checksum(&data);
    data.extend_from_slice(&hash);
    bs58::encode(data).into_string()
}

fn checksum(data: &[u8]) -> [u8; 2] {
    let mut input = Vec::with_capacity(SS58_CONTEXT.len().saturating_add(data.len()));
    input.extend_from_slice(SS58_CONTEXT);
    input.extend_from_slice(data);
    let hash = sp_crypto_hashing::blake2_512(&input);
    [hash[0], hash[1]]
}

/// Why an address does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// `0x` without 64 hex digits after it.
    #[error("`{0}` is not 0x and 64 hex digits")]
    BadHex(String),
    /// Not an SS58 address of a 32-byte account: bad base58, length or checksum (a typo?).
    #[error("`{text}` is not an SS58 address ({reason})")]
    BadSs58 {
        /// What was given.
        text: String,
        /// subxt's reason, e.g. "Invalid checksum".
        reason: String,
    },
}

/// An account from an SS58 address (any prefix) or `0x` and 64 hex digits.
pub fn parse_account(text: &str) -> Result<AccountId32, AddressError> {
    let text = text.trim();
    if text.starts_with("0x") {
        return crate::keys::parse_account(text)
            .ok_or_else(|| AddressError::BadHex(text.to_owned()));
    }
    // subxt's parser reads one- and two-byte prefixes and checks the checksum.
    text.parse().map_err(|e| AddressError::BadSs58 {
        text: text.to_owned(),
        reason: format!("{e}"),
    })
}

/// Bytes from hex digits (no `0x`), `None` for an odd length or a non-hex digit.
pub fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn addresses_match_polkadot_js() {
        // `encodeAddress(new Uint8Array(32), 2424)` and `.fill(1)` in @polkadot/util-crypto
        // 14.0.3 (tests/polkadot-js).
        assert_eq!(
            encode(SS58_PREFIX, &[0; 32]),
            "iR17FVfwhtqFzq4jGfgVn759VJoTfDrtquj9iVwt4FL9FwDN8"
        );
        assert_eq!(
            encode(SS58_PREFIX, &[1; 32]),
            "iR18ZqkGFbrvBTVXzPxzdvU6bKQNTgwV73GyqMShHWSw7Q4o9"
        );
        // The generic prefix agrees with subxt's own encoder.
        let alice = AccountId32(subxt_signer::sr25519::dev::alice().public_key().0);
        assert_eq!(encode(42, &alice.0), alice.to_string());
    }

    #[test]
    fn any_prefix_and_hex_parse_and_typos_do_not() {
        let alice = AccountId32(subxt_signer::sr25519::dev::alice().public_key().0);
        assert_eq!(parse_account(&to_ss58(&alice)).unwrap(), alice);
        assert_eq!(parse_account(&alice.to_string()).unwrap(), alice);
        let hex = format!("0x{}", crate::to_hex(&alice.0));
        assert_eq!(parse_account(&hex).unwrap(), alice);

        let mut typo = to_ss58(&alice).into_bytes();
        typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(typo).unwrap();
        assert!(matches!(
            parse_account(&typo),
            Err(AddressError::BadSs58 { .. })
        ));
        assert!(matches!(
            parse_account("0x1234"),
            Err(AddressError::BadHex(_))
        ));
        assert!(parse_account("0xzz").is_err());
        assert!(parse_account("alice").is_err());
        assert!(parse_account("").is_err());
    }
}
