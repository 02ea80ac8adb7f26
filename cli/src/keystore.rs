//! Encrypted sr25519 coldkeys in polkadot-js's JSON export format (generation 3), so a
//! wallet made by `mindos` restores in polkadot-js Apps or the browser extension and an
//! account exported there imports here.
//!
//! # Format
//!
//! ```text
//! {"encoded": base64(body), "encoding": {"content": ["pkcs8", "sr25519"],
//!  "type": ["scrypt", "xsalsa20-poly1305"], "version": "3"},
//!  "address": SS58, "meta": {"name": …, "whenCreated": ms, …}}
//!
//! body      = salt(32) ‖ N(u32 LE) ‖ p(u32 LE) ‖ r(u32 LE) ‖ nonce(24) ‖ secretbox(pkcs8)
//! key       = first 32 bytes of scrypt(password UTF-8, salt, N, r, p)
//! pkcs8     = PKCS8_HEADER(16) ‖ secret(64) ‖ PKCS8_DIVIDER(5) ‖ public key(32)
//! secret    = schnorrkel `SecretKey::to_ed25519_bytes`: the scalar times the cofactor 8,
//!             little-endian, then the 32-byte nonce
//! ```
//!
//! Checked against `@polkadot/keyring` and `@polkadot/util-crypto` 14.0.3
//! (`keyring/pair/{encode,decode,defaults}.js`, `util-crypto/scrypt/*.js`); the
//! `tests/polkadot-js` fixtures were written by that code, and the interop test has it open
//! files this module writes. polkadot-js 14 writes N = 2^17, p = 1, r = 8 (its
//! `DEFAULT_PARAMS`), and so does this module; reading accepts exactly its `ALLOWED_PARAMS`,
//! which also bounds the memory and time a crafted file can make scrypt take.
//!
//! # Errors
//!
//! A wrong password is [`KeystoreError::WrongPassword`] (the secretbox's MAC fails), told
//! apart from a file that is not a keystore or holds a key that does not match its address.

use base64::Engine;
use crypto_secretbox::{
    aead::{Aead, KeyInit},
    Key, Nonce, XSalsa20Poly1305,
};
use mindos_chain_client::MindConfig;
use schnorrkel::{
    derive::{ChainCode, Derivation},
    ExpansionMode, MiniSecretKey,
};
use serde::{Deserialize, Serialize};
use subxt::utils::{AccountId32, MultiSignature};
use subxt_signer::{bip39::Mnemonic, DeriveJunction, ExposeSecret, SecretUri};
use zeroize::{Zeroize, Zeroizing};

use crate::address;

/// The PKCS#8 prefix polkadot-js puts before the secret (`PAIR_HDR`).
pub const PKCS8_HEADER: [u8; 16] = [48, 83, 2, 1, 1, 48, 5, 6, 3, 43, 101, 112, 4, 34, 4, 32];
/// What separates the secret from the public key (`PAIR_DIV`).
pub const PKCS8_DIVIDER: [u8; 5] = [161, 35, 3, 33, 0];
/// scrypt's cost parameters for new files: polkadot-js 14's `DEFAULT_PARAMS` (N = 2^17,
/// p = 1, r = 8): 128 MiB of memory and a fraction of a second per unlock.
pub const SCRYPT_LOG_N: u8 = 17;
/// scrypt's `p` for new files.
pub const SCRYPT_P: u32 = 1;
/// scrypt's `r` for new files.
pub const SCRYPT_R: u32 = 8;
/// The `(N, p, r)` combinations polkadot-js 14 reads (`ALLOWED_PARAMS`); a file with others
/// is refused before scrypt runs.
pub const ALLOWED_SCRYPT_PARAMS: [(u32, u32, u32); 6] = [
    (1 << 13, 10, 8),
    (1 << 14, 5, 8),
    (1 << 15, 3, 8),
    (1 << 15, 1, 8),
    (1 << 16, 2, 8),
    (1 << 17, 1, 8),
];

const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// salt ‖ N ‖ p ‖ r ‖ nonce.
const PREAMBLE_LEN: usize = SALT_LEN + 12 + NONCE_LEN;
const SECRET_LEN: usize = 64;
const PUBLIC_LEN: usize = 32;
const PKCS8_LEN: usize = PKCS8_HEADER.len() + SECRET_LEN + PKCS8_DIVIDER.len() + PUBLIC_LEN;
/// Substrate's signing context for sr25519 (`sp_core::sr25519`, `subxt_signer`).
const SIGNING_CONTEXT: &[u8] = b"substrate";

/// A keystore could not be read, unlocked or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    /// The text is not JSON of the polkadot-js export shape.
    #[error("not a polkadot-js keystore (JSON export): {0}")]
    Json(#[from] serde_json::Error),
    /// The file is of another kind than an encrypted sr25519 key of generation 3.
    #[error(
        "unsupported keystore encoding (content {content:?}, type {kind:?}, version {version}): \
         mindos reads encrypted sr25519 keys, polkadot-js generation 3 (scrypt, \
         xsalsa20-poly1305, pkcs8)"
    )]
    UnsupportedEncoding {
        /// `encoding.content`.
        content: Vec<String>,
        /// `encoding.type`.
        kind: Vec<String>,
        /// `encoding.version`.
        version: String,
    },
    /// `encoded` is not base64, or too short to hold a key.
    #[error("the keystore's `encoded` field is damaged: {0}")]
    Damaged(String),
    /// scrypt parameters polkadot-js would not accept either.
    #[error("the keystore asks for scrypt N={n}, p={p}, r={r}, which polkadot-js does not allow")]
    UnsupportedScrypt {
        /// N.
        n: u32,
        /// p.
        p: u32,
        /// r.
        r: u32,
    },
    /// The password does not open the keystore.
    #[error("wrong password: it does not unlock this keystore")]
    WrongPassword,
    /// The keystore opened, but the key inside is not the one its address names.
    #[error("the keystore's key does not match its address {address}: the file was altered")]
    KeyMismatch {
        /// The address the file claims.
        address: String,
    },
    /// The address field does not parse.
    #[error(transparent)]
    Address(#[from] address::AddressError),
    /// A secret phrase, URI or seed does not give a key.
    #[error("{0}")]
    BadSecret(String),
    /// An empty password: polkadot-js refuses to export without one, and a keystore
    /// encrypted with nothing protects nothing.
    #[error("the password is empty; a coldkey keystore needs a password")]
    EmptyPassword,
    /// No randomness for a salt, nonce or mnemonic.
    #[error("the operating system gave no randomness: {0}")]
    Randomness(String),
}

/// An sr25519 key pair that signs MindOS transactions: made from a mnemonic, a seed or a
/// keystore. Unlike [`subxt_signer::sr25519::Keypair`] its secret can be written back to a
/// keystore, which needs the expanded 64-byte secret rather than a seed.
#[derive(Clone)]
pub struct Sr25519Pair(schnorrkel::Keypair);

impl std::fmt::Debug for Sr25519Pair {
    // Only the public half: a key pair must not end up in a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Sr25519Pair")
            .field(&address::to_ss58(&self.account()))
            .finish()
    }
}

impl Sr25519Pair {
    /// The key of a secret URI: a BIP-39 mnemonic or `0x` and a 32-byte hex seed, with
    /// optional `//hard` and `/soft` junctions and `///password`, derived as Substrate and
    /// polkadot-js derive it.
    pub fn from_uri(uri: &SecretUri) -> Result<Self, KeystoreError> {
        let phrase = uri.phrase.expose_secret();
        let mini = if let Some(hex) = phrase.strip_prefix("0x") {
            let seed = Zeroizing::new(address::decode_hex(hex).ok_or_else(|| {
                KeystoreError::BadSecret("the seed is not hex digits after 0x".into())
            })?);
            MiniSecretKey::from_bytes(&seed).map_err(|_| {
                KeystoreError::BadSecret("a seed is 0x and 64 hex digits (32 bytes)".into())
            })?
        } else {
            let mnemonic =
                Mnemonic::parse_in_normalized(subxt_signer::bip39::Language::English, phrase)
                    .map_err(|e| KeystoreError::BadSecret(format!("not a BIP-39 mnemonic: {e}")))?;
            let (mut entropy, len) = mnemonic.to_entropy_array();
            let password = uri
                .password
                .as_ref()
                .map(|p| p.expose_secret())
                .unwrap_or("");
            let mini = substrate_bip39::mini_secret_from_entropy(
                entropy.get(..len).unwrap_or_default(),
                password,
            )
            .map_err(|_| KeystoreError::BadSecret("the mnemonic's entropy is invalid".into()));
            entropy.zeroize();
            mini?
        };
        // The same walk as `subxt_signer::sr25519::Keypair::derive` and sp-core: a hard
        // junction re-seeds from the secret, a soft one tweaks it.
        let secret =
            uri.junctions
                .iter()
                .fold(
                    mini.expand(ExpansionMode::Ed25519),
                    |secret, junction| match junction {
                        DeriveJunction::Soft(cc) => secret.derived_key_simple(ChainCode(*cc), []).0,
                        DeriveJunction::Hard(cc) => secret
                            .hard_derive_mini_secret_key(Some(ChainCode(*cc)), b"")
                            .0
                            .expand(ExpansionMode::Ed25519),
                    },
                );
        Ok(Self(secret.into()))
    }

    /// A fresh mnemonic of `words` words (12 or 24) and its key.
    pub fn generate(words: usize) -> Result<(Zeroizing<String>, Self), KeystoreError> {
        let entropy_len = match words {
            12 => 16,
            24 => 32,
            _ => {
                return Err(KeystoreError::BadSecret(
                    "a mnemonic has 12 or 24 words".into(),
                ))
            }
        };
        let mut entropy = Zeroizing::new([0u8; 32]);
        let entropy = entropy.get_mut(..entropy_len).unwrap_or_default();
        getrandom::getrandom(entropy).map_err(|e| KeystoreError::Randomness(e.to_string()))?;
        let mnemonic = Mnemonic::from_entropy(entropy)
            .map_err(|e| KeystoreError::BadSecret(format!("mnemonic: {e}")))?;
        let phrase = Zeroizing::new(mnemonic.to_string());
        let uri: SecretUri = phrase
            .parse()
            .map_err(|_| KeystoreError::BadSecret("the new mnemonic does not parse".into()))?;
        Ok((phrase, Self::from_uri(&uri)?))
    }

    /// The account (public key).
    pub fn account(&self) -> AccountId32 {
        AccountId32(self.0.public.to_bytes())
    }

    /// Signs `message` in Substrate's sr25519 context.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let context = schnorrkel::signing_context(SIGNING_CONTEXT);
        self.0.sign(context.bytes(message)).to_bytes()
    }
}

impl subxt::transactions::Signer<MindConfig> for Sr25519Pair {
    fn account_id(&self) -> AccountId32 {
        self.account()
    }

    fn sign(&self, signer_payload: &[u8]) -> MultiSignature {
        MultiSignature::Sr25519(Sr25519Pair::sign(self, signer_payload))
    }
}

/// `encoding` of a keystore file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encoding {
    /// `["pkcs8", "sr25519"]`.
    pub content: Vec<String>,
    /// `["scrypt", "xsalsa20-poly1305"]`.
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    /// `"3"`.
    pub version: String,
}

/// `meta` of a keystore file: what `mindos` sets, and whatever else polkadot-js put there
/// (`genesisHash`, `isHardware`, …), kept as it was.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Meta {
    /// The account's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the account was created, in milliseconds since the Unix epoch.
    #[serde(
        rename = "whenCreated",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub when_created: Option<u64>,
    /// Other fields, untouched.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A keystore file: polkadot-js's JSON export of an sr25519 account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keystore {
    /// base64 of the encrypted body.
    pub encoded: String,
    /// How `encoded` is made.
    pub encoding: Encoding,
    /// The account, SS58.
    pub address: String,
    /// Name, creation time and the like.
    #[serde(default)]
    pub meta: Meta,
}

impl Keystore {
    /// Parses a keystore's JSON text and checks it is an encrypted sr25519 key of
    /// generation 3 with a well-formed address; the secret stays locked.
    pub fn from_json(text: &str) -> Result<Self, KeystoreError> {
        let keystore: Keystore = serde_json::from_str(text)?;
        let Encoding {
            content,
            kind,
            version,
        } = &keystore.encoding;
        let has = |list: &[String], item: &str| list.iter().any(|x| x == item);
        if version != "3"
            || !has(content, "pkcs8")
            || !has(content, "sr25519")
            || !has(kind, "scrypt")
            || !has(kind, "xsalsa20-poly1305")
        {
            return Err(KeystoreError::UnsupportedEncoding {
                content: content.clone(),
                kind: kind.clone(),
                version: version.clone(),
            });
        }
        keystore.account()?;
        Ok(keystore)
    }

    /// The JSON text, as polkadot-js lays it out (two-space indent).
    pub fn to_json(&self) -> String {
        // Serialising plain strings and maps cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The account the file claims (unverified until [`Self::unlock`]).
    pub fn account(&self) -> Result<AccountId32, KeystoreError> {
        Ok(address::parse_account(&self.address)?)
    }

    /// Encrypts `pair` with `password` (fresh random salt and nonce, polkadot-js's default
    /// scrypt cost), with `meta`.
    pub fn lock(pair: &Sr25519Pair, password: &str, meta: Meta) -> Result<Self, KeystoreError> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut salt).map_err(|e| KeystoreError::Randomness(e.to_string()))?;
        getrandom::getrandom(&mut nonce).map_err(|e| KeystoreError::Randomness(e.to_string()))?;
        Self::lock_with(pair, password, meta, &salt, &nonce, SCRYPT_LOG_N)
    }

    fn lock_with(
        pair: &Sr25519Pair,
        password: &str,
        meta: Meta,
        salt: &[u8; SALT_LEN],
        nonce: &[u8; NONCE_LEN],
        log_n: u8,
    ) -> Result<Self, KeystoreError> {
        if password.is_empty() {
            return Err(KeystoreError::EmptyPassword);
        }
        let key = scrypt_key(password, salt, log_n, SCRYPT_P, SCRYPT_R)?;
        let mut pkcs8 = Zeroizing::new(Vec::with_capacity(PKCS8_LEN));
        pkcs8.extend_from_slice(&PKCS8_HEADER);
        pkcs8.extend_from_slice(&Zeroizing::new(pair.0.secret.to_ed25519_bytes())[..]);
        pkcs8.extend_from_slice(&PKCS8_DIVIDER);
        pkcs8.extend_from_slice(&pair.0.public.to_bytes());
        let sealed = XSalsa20Poly1305::new(&key)
            .encrypt(&Nonce::from(*nonce), pkcs8.as_slice())
            .map_err(|_| KeystoreError::Damaged("encryption failed".into()))?;
        let mut body = Vec::with_capacity(PREAMBLE_LEN.saturating_add(sealed.len()));
        body.extend_from_slice(salt);
        body.extend_from_slice(&(1u32 << log_n).to_le_bytes());
        body.extend_from_slice(&SCRYPT_P.to_le_bytes());
        body.extend_from_slice(&SCRYPT_R.to_le_bytes());
        body.extend_from_slice(nonce);
        body.extend_from_slice(&sealed);
        Ok(Keystore {
            encoded: base64::engine::general_purpose::STANDARD.encode(body),
            encoding: Encoding {
                content: vec!["pkcs8".into(), "sr25519".into()],
                kind: vec!["scrypt".into(), "xsalsa20-poly1305".into()],
                version: "3".into(),
            },
            address: address::to_ss58(&pair.account()),
            meta,
        })
    }

    /// Decrypts the key with `password` and checks it is the key of the file's address.
    pub fn unlock(&self, password: &str) -> Result<Sr25519Pair, KeystoreError> {
        let damaged = |why: &str| KeystoreError::Damaged(why.to_owned());
        let body = base64::engine::general_purpose::STANDARD
            .decode(self.encoded.trim())
            .map_err(|e| KeystoreError::Damaged(format!("not base64: {e}")))?;
        let (preamble, sealed) = body
            .split_at_checked(PREAMBLE_LEN)
            .ok_or_else(|| damaged("too short"))?;
        let (salt, rest) = preamble.split_at(SALT_LEN);
        let (params, nonce) = rest.split_at(12);
        let word = |i: usize| {
            params
                .get(i..i.saturating_add(4))
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .unwrap_or_default()
        };
        let (n, p, r) = (word(0), word(4), word(8));
        if !ALLOWED_SCRYPT_PARAMS.contains(&(n, p, r)) {
            return Err(KeystoreError::UnsupportedScrypt { n, p, r });
        }
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| damaged("too short"))?;
        let key = scrypt_key(password, salt, n.trailing_zeros() as u8, p, r)?;
        let pkcs8 = Zeroizing::new(
            XSalsa20Poly1305::new(&key)
                .decrypt(&Nonce::from(nonce), sealed)
                .map_err(|_| KeystoreError::WrongPassword)?,
        );
        let mismatch = || KeystoreError::KeyMismatch {
            address: self.address.clone(),
        };
        // Generation 3 only: the 64-byte expanded secret. Generations 1 and 2 (a 32-byte
        // seed) predate 2020 and polkadot-js re-exports them as generation 3.
        if pkcs8.len() != PKCS8_LEN {
            return Err(damaged(
                "the decrypted key is not a generation-3 pkcs8 body",
            ));
        }
        let (header, rest) = pkcs8.split_at(PKCS8_HEADER.len());
        let (secret, rest) = rest.split_at(SECRET_LEN);
        let (divider, public) = rest.split_at(PKCS8_DIVIDER.len());
        if header != PKCS8_HEADER || divider != PKCS8_DIVIDER {
            return Err(damaged("the decrypted key has no pkcs8 header or divider"));
        }
        let secret = schnorrkel::SecretKey::from_ed25519_bytes(secret)
            .map_err(|_| damaged("the decrypted secret is not an sr25519 key"))?;
        let pair = Sr25519Pair(secret.to_keypair());
        // The public key is derived from the secret, never taken from the file: both the
        // stored public key and the address must be that one.
        if pair.0.public.to_bytes() != public || pair.account() != self.account()? {
            return Err(mismatch());
        }
        Ok(pair)
    }
}

fn scrypt_key(
    password: &str,
    salt: &[u8],
    log_n: u8,
    p: u32,
    r: u32,
) -> Result<Key, KeystoreError> {
    let params =
        scrypt::Params::new(log_n, r, p, 32).map_err(|_| KeystoreError::UnsupportedScrypt {
            n: 1 << log_n,
            p,
            r,
        })?;
    let mut key = Key::default();
    // polkadot-js derives 64 bytes and keys the secretbox with the first 32; scrypt's
    // output is PBKDF2's, whose first 32 bytes do not depend on the length asked for.
    scrypt::scrypt(password.as_bytes(), salt, &params, &mut key).map_err(|_| {
        KeystoreError::UnsupportedScrypt {
            n: 1 << log_n,
            p,
            r,
        }
    })?;
    Ok(key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use subxt_signer::sr25519::Keypair;

    const DEV: &str = subxt_signer::DEV_PHRASE;

    fn uri(text: &str) -> SecretUri {
        text.parse().unwrap()
    }

    /// Locks at N = 2^15 (allowed by polkadot-js with p = 1): N = 2^17 takes seconds in an
    /// unoptimised test build.
    fn lock_fast(pair: &Sr25519Pair, password: &str) -> Keystore {
        Keystore::lock_with(pair, password, Meta::default(), &[7; 32], &[9; 24], 15).unwrap()
    }

    #[test]
    fn keys_match_subxt_signer_for_mnemonics_seeds_and_junctions() {
        for text in [
            DEV.to_owned(),
            format!("{DEV}//Alice"),
            format!("{DEV}//Alice/stash"),
            format!("{DEV}/soft//hard///pass"),
            format!("0x{}", "ab".repeat(32)),
            format!("0x{}//Bob", "01".repeat(32)),
        ] {
            let ours = Sr25519Pair::from_uri(&uri(&text)).unwrap();
            let theirs = Keypair::from_uri(&uri(&text)).unwrap();
            assert_eq!(ours.account().0, theirs.public_key().0, "{text}");
        }
        let alice = Sr25519Pair::from_uri(&uri("//Alice")).unwrap();
        assert_eq!(
            alice.account().0,
            subxt_signer::sr25519::dev::alice().public_key().0
        );
        assert!(Sr25519Pair::from_uri(&uri("bottom drive obey lake curtain smoke")).is_err());
        assert!(Sr25519Pair::from_uri(&uri("0x1234")).is_err());
    }

    #[test]
    fn signatures_verify_under_the_account() {
        let pair = Sr25519Pair::from_uri(&uri(&format!("{DEV}//Bob"))).unwrap();
        let signature = subxt_signer::sr25519::Signature(pair.sign(b"payload"));
        let public = subxt_signer::sr25519::PublicKey(pair.account().0);
        assert!(subxt_signer::sr25519::verify(
            &signature, b"payload", &public
        ));
        assert!(!subxt_signer::sr25519::verify(
            &signature, b"other", &public
        ));
    }

    #[test]
    fn a_keystore_round_trips_and_only_its_password_opens_it() {
        let pair = Sr25519Pair::from_uri(&uri(&format!("{DEV}//Alice"))).unwrap();
        let keystore = lock_fast(&pair, "pässword");
        assert_eq!(keystore.address, address::to_ss58(&pair.account()));
        let text = keystore.to_json();
        let read = Keystore::from_json(&text).unwrap();
        assert_eq!(read, keystore);
        let opened = read.unlock("pässword").unwrap();
        assert_eq!(opened.account(), pair.account());
        // The secret survives: the unlocked key signs for the account.
        let signature = subxt_signer::sr25519::Signature(opened.sign(b"m"));
        let public = subxt_signer::sr25519::PublicKey(pair.account().0);
        assert!(subxt_signer::sr25519::verify(&signature, b"m", &public));

        assert!(matches!(
            read.unlock("password"),
            Err(KeystoreError::WrongPassword)
        ));
        assert!(matches!(read.unlock(""), Err(KeystoreError::WrongPassword)));
        assert!(matches!(
            Keystore::lock_with(&pair, "", Meta::default(), &[0; 32], &[0; 24], 15),
            Err(KeystoreError::EmptyPassword)
        ));
    }

    #[test]
    fn the_body_is_laid_out_as_polkadot_js_lays_it_out() {
        let pair = Sr25519Pair::from_uri(&uri(DEV)).unwrap();
        let keystore = lock_fast(&pair, "pw");
        let body = base64::engine::general_purpose::STANDARD
            .decode(&keystore.encoded)
            .unwrap();
        assert_eq!(&body[..32], &[7; 32]);
        assert_eq!(&body[32..44], &[0, 0x80, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0]);
        assert_eq!(&body[44..68], &[9; 24]);
        // 117 bytes of pkcs8 plus the 16-byte MAC.
        assert_eq!(body.len(), 68 + 117 + 16);
        let json: serde_json::Value = serde_json::from_str(&keystore.to_json()).unwrap();
        assert_eq!(
            json["encoding"]["content"],
            serde_json::json!(["pkcs8", "sr25519"])
        );
        assert_eq!(
            json["encoding"]["type"],
            serde_json::json!(["scrypt", "xsalsa20-poly1305"])
        );
        assert_eq!(json["encoding"]["version"], "3");
    }

    #[test]
    fn altered_or_foreign_files_are_refused_with_their_reason() {
        let alice = Sr25519Pair::from_uri(&uri("//Alice")).unwrap();
        let bob = Sr25519Pair::from_uri(&uri("//Bob")).unwrap();
        let mut keystore = lock_fast(&alice, "pw");
        keystore.address = address::to_ss58(&bob.account());
        assert!(matches!(
            keystore.unlock("pw"),
            Err(KeystoreError::KeyMismatch { .. })
        ));

        let mut body = base64::engine::general_purpose::STANDARD
            .decode(&lock_fast(&alice, "pw").encoded)
            .unwrap();
        body[32..36].copy_from_slice(&(1u32 << 20).to_le_bytes());
        let mut costly = lock_fast(&alice, "pw");
        costly.encoded = base64::engine::general_purpose::STANDARD.encode(&body);
        assert!(matches!(
            costly.unlock("pw"),
            Err(KeystoreError::UnsupportedScrypt { n, .. }) if n == 1 << 20
        ));

        let mut short = lock_fast(&alice, "pw");
        short.encoded = "AAAA".into();
        assert!(matches!(short.unlock("pw"), Err(KeystoreError::Damaged(_))));

        let unencrypted = keystore
            .to_json()
            .replace("\"scrypt\",\n      \"xsalsa20-poly1305\"", "\"none\"");
        assert!(matches!(
            Keystore::from_json(&unencrypted),
            Err(KeystoreError::UnsupportedEncoding { .. })
        ));
        assert!(matches!(
            Keystore::from_json("{\"not\": \"a keystore\"}"),
            Err(KeystoreError::Json(_))
        ));
    }

    #[test]
    fn new_mnemonics_have_the_asked_length_and_give_their_key() {
        let (phrase, pair) = Sr25519Pair::generate(12).unwrap();
        assert_eq!(phrase.split_whitespace().count(), 12);
        let again = Keypair::from_uri(&uri(&phrase)).unwrap();
        assert_eq!(pair.account().0, again.public_key().0);
        let (phrase24, _) = Sr25519Pair::generate(24).unwrap();
        assert_eq!(phrase24.split_whitespace().count(), 24);
        assert!(Sr25519Pair::generate(13).is_err());
    }
}
