// Opens a keystore file with @polkadot/keyring, as polkadot-js Apps does on "Restore JSON",
// and proves the secret inside is the account's: it signs with the decoded pair and checks
// the signature against the public key. Prints one JSON line:
//   {"address": SS58 (MindOS prefix), "publicKey": "0x…", "name": meta.name, "signatureValid": bool}
//
//   node decode.mjs FILE PASSWORD
//
// Exit code 1 (and the reason on stderr) if polkadot-js refuses the file or the password.
import { readFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex, stringToU8a } from '@polkadot/util';
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';

const SS58_PREFIX = 2424;

const [file, password] = process.argv.slice(2);
if (!file || password === undefined) {
  console.error('usage: node decode.mjs FILE PASSWORD');
  process.exit(1);
}
try {
  await cryptoWaitReady();
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX });
  const pair = keyring.addFromJson(json);
  pair.decodePkcs8(password);
  const message = stringToU8a('mindos keystore interop');
  const signature = pair.sign(message);
  const { isValid } = signatureVerify(message, signature, pair.publicKey);
  console.log(JSON.stringify({
    address: pair.address,
    publicKey: u8aToHex(pair.publicKey),
    name: pair.meta.name ?? null,
    signatureValid: isValid
  }));
} catch (error) {
  console.error(`polkadot-js refused the keystore: ${error.message}`);
  process.exit(1);
}
