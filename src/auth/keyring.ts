// The master key that encrypts team secrets at rest (AES-256-GCM). It comes from MODELYARD_MASTER_KEY or from a key
// file created 0600 in the data dir on first start. A sentinel encrypted under the key is stored in the database, so
// starting with the wrong key is a clear start-up error instead of a 500 on the first delivery.
import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';

export const KEY_FILE = 'master.key';
const SENTINEL_SETTING = 'master_key_check';
const SENTINEL_TEXT = 'modelyard-master-key-check';

export class KeyringError extends Error {}

export class Keyring {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new KeyringError('the master key must be 32 bytes');
  }

  /** `aad` binds a ciphertext to its place (team and secret name), so a value copied to another row won't decrypt. */
  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  decrypt(ciphertext: string, aad: string): string {
    const [version, iv, tag, data] = ciphertext.split('.');
    if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) {
      throw new KeyringError('unrecognised ciphertext format');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** The key from the environment, else the key file (created 0600 when `create` is set and none exists). */
export function loadMasterKey(options: { masterKey: string | undefined; dataDir: string; create: boolean }): Buffer {
  if (options.masterKey) return Buffer.from(options.masterKey, 'base64');
  const file = path.join(options.dataDir, KEY_FILE);
  if (fs.existsSync(file)) {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new KeyringError(`${file} does not hold a 32-byte base64 key`);
    return key;
  }
  if (!options.create) throw new KeyringError(`no master key: set MODELYARD_MASTER_KEY or restore ${file}`);
  fs.mkdirSync(options.dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

/** Stores the sentinel on first use; afterwards refuses a key that cannot decrypt it. */
export async function verifyKeyring(db: Db, keyring: Keyring): Promise<void> {
  const row = await db.selectFrom('instance_settings').select('value').where('key', '=', SENTINEL_SETTING).executeTakeFirst();
  if (!row) {
    await db
      .insertInto('instance_settings')
      .values({ key: SENTINEL_SETTING, value: keyring.encrypt(SENTINEL_TEXT, SENTINEL_SETTING) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return;
  }
  try {
    if (keyring.decrypt(row.value, SENTINEL_SETTING) === SENTINEL_TEXT) return;
  } catch {
    // fall through
  }
  throw new KeyringError(
    'MODELYARD_MASTER_KEY: the master key does not match the one this database was created with (secrets could not be decrypted)',
  );
}

export async function rewriteSentinel(db: Db, keyring: Keyring): Promise<void> {
  await db
    .updateTable('instance_settings')
    .set({ value: keyring.encrypt(SENTINEL_TEXT, SENTINEL_SETTING) })
    .where('key', '=', SENTINEL_SETTING)
    .execute();
}
