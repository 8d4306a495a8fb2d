// Team secrets: values encrypted at rest with the master key (AES-256-GCM, bound to `<team id>/<name>` so a
// ciphertext copied to another row or team does not decrypt). Write-only: values are decrypted only by the delivery
// worker and the webhook Test endpoint at send time (decryptSecret); nothing here returns a value.
import { writeTransaction } from '../db/transaction.js';
import type { Db, Tx } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import { AppError, conflict, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { type Keyring, rewriteSentinel } from './keyring.js';

/** Like an environment variable, so `${NAME}` in a payload template reads as a secret (event variables are lower-case). */
export const SECRET_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
export const SECRET_NAME_RULE = 'use upper-case letters, digits and "_", not starting with a digit (like an environment variable)';
export const MAX_SECRET_NAME_LENGTH = 128;
/**
 * Tokens and signing keys are short, certificates and keys a few KiB; the cap keeps a mistaken paste (a whole file)
 * out of every delivery. Counted in UTF-8 bytes, as the value is sent.
 */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;
/** What an HTTP header value may hold (Node refuses anything else at send time); the access token is sent in one. */
const HEADER_VALUE_CHARS = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface SecretView {
  id: string;
  name: string;
  createdBy: string;
  createdAt: number;
  updatedBy: string;
  updatedAt: number;
  /** Names of the team's webhooks that use the secret to sign or as their access token. */
  usedBy: string[];
}

function aad(teamId: string, name: string): string {
  return `${teamId}/${name}`;
}

export function checkSecretName(field: string, name: string): string {
  if (name.length > MAX_SECRET_NAME_LENGTH || !SECRET_NAME_PATTERN.test(name)) {
    throw invalid(field, `"${name.slice(0, 80)}" is not a valid secret name: ${SECRET_NAME_RULE}, at most ${MAX_SECRET_NAME_LENGTH} characters`);
  }
  return name;
}

function checkValue(value: string): void {
  if (value.length === 0) throw invalid('value', 'must not be empty');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_SECRET_VALUE_BYTES) {
    throw invalid('value', `must be at most ${MAX_SECRET_VALUE_BYTES} bytes in UTF-8 (64 KiB); this value has ${bytes}`);
  }
  // PostgreSQL text cannot hold it, receivers written in C stop at it, and no token or key contains one.
  if (value.includes('\u0000')) throw invalid('value', 'must not contain a NUL character (U+0000)');
}

/**
 * Why `value` cannot be a webhook's access token, or undefined when it can: it is sent as `Authorization: Bearer
 * <value>`, and a line break would end the header (Node refuses such a request, so every delivery would fail).
 */
export function accessTokenProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'contains a line break (CR or LF), which cannot be sent in the Authorization header';
  if (!HEADER_VALUE_CHARS.test(value)) {
    return 'contains a character that cannot be sent in the Authorization header (a control character other than tab, or one beyond U+00FF)';
  }
  return undefined;
}

/**
 * Why the secret `name` cannot be a webhook's access token, or undefined when it can (also when it does not exist:
 * the caller reports that). Call it inside the transaction that attaches the secret: it first locks the secret's row
 * with a no-op update, so a concurrent updateSecret either commits before the value is read or sees the webhook.
 */
export async function accessTokenValueProblem(tx: Tx, keyring: Keyring, teamId: string, name: string): Promise<string | undefined> {
  await tx.updateTable('secrets').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('team_id', '=', teamId).where('name', '=', name).execute();
  const row = await tx.selectFrom('secrets').select('ciphertext').where('team_id', '=', teamId).where('name', '=', name).executeTakeFirst();
  if (!row) return undefined;
  const problem = accessTokenProblem(decryptSecret(keyring, teamId, name, row.ciphertext));
  return problem === undefined ? undefined : `secret ${name} ${problem}; change its value or choose another secret`;
}

/** Webhooks of the team that send the secret `name` as their access token. */
async function webhooksSendingAsAccessToken(db: Db | Tx, teamId: string, name: string): Promise<string[]> {
  const rows = await db
    .selectFrom('webhooks')
    .select('name')
    .where('team_id', '=', teamId)
    .where('access_token_name', '=', name)
    .orderBy('name')
    .execute();
  return rows.map((row) => row.name);
}

/** Webhook names using each of the given secrets (as signing secret or access token). */
async function webhooksUsing(db: Db | Tx, teamId: string, names?: string[]): Promise<Map<string, string[]>> {
  let query = db
    .selectFrom('webhooks')
    .select(['name', 'secret_name', 'access_token_name'])
    .where('team_id', '=', teamId)
    .orderBy('name');
  if (names) {
    if (names.length === 0) return new Map();
    query = query.where((eb) => eb.or([eb('secret_name', 'in', names), eb('access_token_name', 'in', names)]));
  }
  const usedBy = new Map<string, string[]>();
  for (const webhook of await query.execute()) {
    for (const secretName of new Set([webhook.secret_name, webhook.access_token_name])) {
      if (secretName === null) continue;
      const list = usedBy.get(secretName) ?? [];
      list.push(webhook.name);
      usedBy.set(secretName, list);
    }
  }
  return usedBy;
}

async function viewsOf(db: Db | Tx, teamId: string, names?: string[]): Promise<SecretView[]> {
  let query = db
    .selectFrom('secrets')
    .innerJoin('users as creator', 'creator.id', 'secrets.created_by')
    .innerJoin('users as updater', 'updater.id', 'secrets.updated_by')
    .select([
      'secrets.id',
      'secrets.name',
      'secrets.created_at',
      'secrets.updated_at',
      'creator.name as created_by_name',
      'updater.name as updated_by_name',
    ])
    .where('secrets.team_id', '=', teamId)
    .orderBy('secrets.name');
  if (names) query = query.where('secrets.name', 'in', names);
  const rows = await query.execute();
  const usedBy = await webhooksUsing(db, teamId, names);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    createdBy: row.created_by_name,
    createdAt: row.created_at,
    updatedBy: row.updated_by_name,
    updatedAt: row.updated_at,
    usedBy: usedBy.get(row.name) ?? [],
  }));
}

export async function createSecret(
  db: Db,
  keyring: Keyring,
  teamId: string,
  userId: string,
  input: { name: string; value: string },
): Promise<SecretView> {
  checkSecretName('name', input.name);
  checkValue(input.value);
  const now = Date.now();
  try {
    await db
      .insertInto('secrets')
      .values({
        id: newId(),
        team_id: teamId,
        name: input.name,
        ciphertext: keyring.encrypt(input.value, aad(teamId, input.name)),
        created_by: userId,
        created_at: now,
        updated_by: userId,
        updated_at: now,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`a secret named ${input.name} already exists in this team (PUT it to change its value)`);
    throw error;
  }
  return (await viewsOf(db, teamId, [input.name]))[0]!;
}

export function listSecrets(db: Db, teamId: string): Promise<SecretView[]> {
  return viewsOf(db, teamId);
}

/** Replaces the value; deliveries sent from now on use it (runs resolve secrets at send time). */
export async function updateSecret(db: Db, keyring: Keyring, teamId: string, userId: string, name: string, value: string): Promise<SecretView> {
  checkValue(value);
  const tokenProblem = accessTokenProblem(value);
  await writeTransaction(db, async (tx) => {
    const result = await tx
      .updateTable('secrets')
      .set({ ciphertext: keyring.encrypt(value, aad(teamId, name)), updated_by: userId, updated_at: Date.now() })
      .where('team_id', '=', teamId)
      .where('name', '=', name)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound(`secret ${name}`);
    if (tokenProblem === undefined) return;
    // Checked after the update, in its transaction: the secret's row is locked until it commits, and a webhook being
    // saved locks the same row before reading the value (accessTokenValueProblem), so neither misses the other.
    const webhooks = await webhooksSendingAsAccessToken(tx, teamId, name);
    if (webhooks.length > 0) {
      throw invalid('value', `${tokenProblem}; webhook${webhooks.length > 1 ? 's' : ''} ${webhooks.map((n) => `"${n}"`).join(', ')} send${webhooks.length > 1 ? '' : 's'} secret ${name} as the access token`, {
        webhooks,
      });
    }
  });
  return (await viewsOf(db, teamId, [name]))[0]!;
}

/** Refused (409) while a webhook uses the secret: its deliveries would fail at send time. */
export async function deleteSecret(db: Db, teamId: string, name: string): Promise<void> {
  await writeTransaction(db, async (tx) => {
    const existing = await tx.selectFrom('secrets').select('id').where('team_id', '=', teamId).where('name', '=', name).executeTakeFirst();
    if (!existing) throw notFound(`secret ${name}`);
    const users = (await webhooksUsing(tx, teamId, [name])).get(name) ?? [];
    if (users.length > 0) {
      throw conflict(`secret ${name} is used by webhook${users.length > 1 ? 's' : ''} ${users.map((n) => `"${n}"`).join(', ')}; change them first`, {
        webhooks: users,
      });
    }
    await tx.deleteFrom('secrets').where('id', '=', existing.id).execute();
  });
}

/** The names among `names` that exist in the team. */
export async function existingSecretNames(db: Db | Tx, teamId: string, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await db.selectFrom('secrets').select('name').where('team_id', '=', teamId).where('name', 'in', names).execute();
  return new Set(rows.map((r) => r.name));
}

/**
 * Decrypted values by name, for send time only (delivery worker, webhook Test). Throws an AppError naming the
 * first missing secret; the message never contains a value.
 */
/** A stored value in clear, for sending only (the delivery worker reads ciphertexts together with the runs it claims). */
export function decryptSecret(keyring: Keyring, teamId: string, name: string, ciphertext: string): string {
  return keyring.decrypt(ciphertext, aad(teamId, name));
}

/** The values of those of `names` that exist in the team, and the names that do not. */
export async function findSecretValues(db: Db | Tx, keyring: Keyring, teamId: string, names: string[]): Promise<{ values: Record<string, string>; missing: string[] }> {
  const wanted = [...new Set(names)];
  const values = Object.create(null) as Record<string, string>;
  if (wanted.length === 0) return { values, missing: [] };
  const rows = await db
    .selectFrom('secrets')
    .select(['name', 'ciphertext'])
    .where('team_id', '=', teamId)
    .where('name', 'in', wanted)
    .execute();
  for (const row of rows) values[row.name] = decryptSecret(keyring, teamId, row.name, row.ciphertext);
  return { values, missing: wanted.filter((name) => !Object.prototype.hasOwnProperty.call(values, name)) };
}

export async function resolveSecretValues(db: Db | Tx, keyring: Keyring, teamId: string, names: string[]): Promise<Record<string, string>> {
  const { values, missing } = await findSecretValues(db, keyring, teamId, names);
  if (missing.length > 0) throw new AppError('invalid_request', `secret ${missing[0]} does not exist in the team`, { secret: missing[0] });
  return values;
}

/**
 * Re-encrypts every secret of every team under `newKeyring` and rewrites the key-check sentinel, in one
 * transaction: either all values and the sentinel move to the new key, or none do. Returns how many were rewritten.
 */
export async function rotateMasterKey(db: Db, oldKeyring: Keyring, newKeyring: Keyring): Promise<number> {
  return writeTransaction(db, async (tx) => {
    const rows = await tx.selectFrom('secrets').select(['id', 'team_id', 'name', 'ciphertext']).execute();
    for (const row of rows) {
      const place = aad(row.team_id, row.name);
      const ciphertext = newKeyring.encrypt(oldKeyring.decrypt(row.ciphertext, place), place);
      await tx.updateTable('secrets').set({ ciphertext }).where('id', '=', row.id).execute();
    }
    await rewriteSentinel(tx, newKeyring);
    return rows.length;
  });
}
