// Writes a keystore file the way polkadot-js exports an account (Keyring#toJson), so the
// Rust tests can check that `mindos` reads what polkadot-js writes.
//
//   node export.mjs SECRET_URI NAME PASSWORD WHEN_CREATED_MS > fixture.json
//
// The committed fixtures were made with:
//   node export.mjs "bottom drive obey lake curtain smoke basket hold race lonely fit walk" dev-root "correct horse battery staple" 1765065600000
//   node export.mjs "bottom drive obey lake curtain smoke basket hold race lonely fit walk//Alice" alice "mindos: pässword ✓" 1765065600000
// Salt and nonce are random, so a second run gives different bytes for the same account.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

// MindOS's SS58 prefix (runtime/src/lib.rs `SS58_PREFIX`).
const SS58_PREFIX = 2424;

const [uri, name, password, whenCreated] = process.argv.slice(2);
if (!uri || !name || !password || !whenCreated) {
  console.error('usage: node export.mjs SECRET_URI NAME PASSWORD WHEN_CREATED_MS');
  process.exit(1);
}
await cryptoWaitReady();
const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX });
const pair = keyring.addFromUri(uri, { name, whenCreated: Number(whenCreated) });
console.log(JSON.stringify(pair.toJson(password), null, 2));
