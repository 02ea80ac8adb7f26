//! The keystore is polkadot-js's: exports polkadot-js wrote (the committed fixtures in
//! `tests/polkadot-js`, made by `export.mjs` with @polkadot/keyring 14.0.3) import into
//! `mindos`, and a wallet `mindos` writes opens in @polkadot/keyring (`decode.mjs`, run by
//! node when it and the pinned packages are installed: `scripts/setup.sh` runs `npm ci`).
//!
//! Without node or the packages the reverse test says so and passes, unless
//! `MINDOS_REQUIRE_POLKADOT_JS` is set (as `scripts/test.sh` can, where setup ran).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};

use common::mindos;
use mindos_cli::{
    address::to_ss58,
    keystore::{Keystore, KeystoreError, Sr25519Pair},
};
use subxt::utils::AccountId32;

const DEV_PHRASE: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
/// The passwords `export.mjs` was given (see its header).
const ALICE_PASSWORD: &str = "mindos: pässword ✓";
const DEV_ROOT_PASSWORD: &str = "correct horse battery staple";

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/polkadot-js")
}

fn account_of(uri: &str) -> AccountId32 {
    Sr25519Pair::from_uri(&uri.parse().unwrap())
        .unwrap()
        .account()
}

#[test]
fn polkadot_js_exports_unlock_to_their_accounts() {
    let alice = AccountId32(subxt_signer::sr25519::dev::alice().public_key().0);
    for (file, password, account) in [
        ("alice.json", ALICE_PASSWORD, alice),
        ("dev-root.json", DEV_ROOT_PASSWORD, account_of(DEV_PHRASE)),
    ] {
        let text = std::fs::read_to_string(interop_dir().join(file)).unwrap();
        let keystore = Keystore::from_json(&text).unwrap();
        assert_eq!(keystore.address, to_ss58(&account), "{file}");
        let pair = keystore.unlock(password).unwrap();
        assert_eq!(pair.account(), account, "{file}");
        assert!(matches!(
            keystore.unlock("not the password"),
            Err(KeystoreError::WrongPassword)
        ));
    }
}

#[test]
fn import_json_takes_a_polkadot_js_export_and_refuses_a_wrong_password() {
    let dir = tempfile::tempdir().unwrap();
    let wallets = dir.path().join("wallets");
    let fixture = interop_dir().join("alice.json");
    let fixture = fixture.to_str().unwrap();

    let wrong = mindos(
        &wallets,
        &["--json", "wallet", "import-json", fixture],
        "",
        Some("wrong"),
    )
    .expect_code(3);
    assert_eq!(wrong.json()["error"]["code"], 3);
    assert!(
        !wallets.join("alice").exists(),
        "a wallet was written: {wrong:?}"
    );

    let run = mindos(
        &wallets,
        &["--json", "wallet", "import-json", fixture],
        "",
        Some(ALICE_PASSWORD),
    )
    .expect_code(0);
    let alice = AccountId32(subxt_signer::sr25519::dev::alice().public_key().0);
    assert_eq!(run.json()["name"], "alice");
    assert_eq!(run.json()["address"], to_ss58(&alice));

    // The stored wallet is the export, still under its polkadot-js password.
    let show = mindos(&wallets, &["--json", "wallet", "show", "alice"], "", None).expect_code(0);
    assert_eq!(show.json()["address"], to_ss58(&alice));
    let stored = std::fs::read_to_string(wallets.join("alice/coldkey.json")).unwrap();
    let pair = Keystore::from_json(&stored)
        .unwrap()
        .unlock(ALICE_PASSWORD)
        .unwrap();
    assert_eq!(pair.account(), alice);

    // Never over an existing wallet.
    mindos(
        &wallets,
        &["wallet", "import-json", fixture],
        "",
        Some(ALICE_PASSWORD),
    )
    .expect_code(1);
}

/// `node` and the pinned packages, or why they cannot be used.
fn polkadot_js() -> Result<PathBuf, String> {
    let dir = interop_dir();
    if !dir.join("node_modules/@polkadot/keyring").is_dir() {
        return Err(format!(
            "{} has no node_modules (run scripts/setup.sh, or `npm ci` there)",
            dir.display()
        ));
    }
    match std::process::Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(dir),
        _ => Err("node is not installed".into()),
    }
}

#[test]
fn polkadot_js_opens_a_wallet_mindos_wrote() {
    let interop = match polkadot_js() {
        Ok(dir) => dir,
        Err(why) if std::env::var_os("MINDOS_REQUIRE_POLKADOT_JS").is_none() => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(why) => panic!("MINDOS_REQUIRE_POLKADOT_JS is set, but {why}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let wallets = dir.path().join("wallets");
    let password = "ünïcode and spaces";
    let uri = format!("{DEV_PHRASE}//mindos/interop");
    let run = mindos(
        &wallets,
        &["--json", "wallet", "import", "interop", "--mnemonic"],
        &format!("{uri}\n"),
        Some(password),
    )
    .expect_code(0);
    let account = account_of(&uri);
    assert_eq!(run.json()["address"], to_ss58(&account));

    let exported = dir.path().join("interop.json");
    mindos(
        &wallets,
        &[
            "wallet",
            "export",
            "interop",
            "--output",
            exported.to_str().unwrap(),
        ],
        "",
        None,
    )
    .expect_code(0);

    let decode = |password: &str| {
        std::process::Command::new("node")
            .arg(interop.join("decode.mjs"))
            .arg(&exported)
            .arg(password)
            .output()
            .unwrap()
    };
    let out = decode(password);
    assert!(
        out.status.success(),
        "polkadot-js refused the keystore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decoded["address"], to_ss58(&account));
    assert_eq!(
        decoded["publicKey"],
        format!("0x{}", mindos_chain_client::to_hex(&account.0))
    );
    assert_eq!(decoded["name"], "interop");
    // The secret polkadot-js decoded signs for the account: the cofactor encoding matches.
    assert_eq!(decoded["signatureValid"], true);

    assert!(!decode("wrong password").status.success());
}
