// Users, sessions and API keys.
import type { Db, Notifier } from '../db/index.js';
import { CHANNEL_ACCESS, type AccessCache } from './access-cache.js';
import { isUniqueViolation } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import type { User } from '../db/schema.js';
import { conflict, notFound } from '../core/errors.js';
import { newId, newToken } from '../core/ids.js';
import { checkName } from '../core/names.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { hashToken, newApiKey } from './tokens.js';

export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
export const MIN_PASSWORD_LENGTH = 8;

export async function createUser(
  db: Db,
  input: { name: string; password: string; isAdmin?: boolean },
): Promise<User> {
  checkName('name', input.name);
  const user: User = {
    id: newId(),
    name: input.name,
    password_hash: await hashPassword(input.password),
    is_admin: input.isAdmin ? 1 : 0,
    created_at: Date.now(),
  };
  try {
    await db.insertInto('users').values(user).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`a user named "${input.name}" already exists`);
    throw error;
  }
  return user;
}

export async function findUserByName(db: Db, name: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The user if the password matches; the same work is done whether or not the user exists. */
export async function checkPassword(db: Db, name: string, password: string): Promise<User | undefined> {
  const user = await findUserByName(db, name);
  const ok = await verifyPassword(password, user?.password_hash);
  return ok ? user : undefined;
}

export async function createSession(db: Db, userId: string): Promise<{ token: string; csrfToken: string; expiresAt: number }> {
  const token = newToken();
  const csrfToken = newToken(24);
  const now = Date.now();
  const expiresAt = now + SESSION_TTL_MS;
  await db
    .insertInto('sessions')
    .values({ id: hashToken(token), user_id: userId, csrf_token: csrfToken, created_at: now, expires_at: expiresAt })
    .execute();
  return { token, csrfToken, expiresAt };
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', hashToken(token)).execute();
}

export async function userForSession(db: Db, token: string): Promise<{ user: User; csrfToken: string } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.csrf_token', 'sessions.expires_at'])
    .where('sessions.id', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.expires_at < Date.now()) return undefined;
  const { csrf_token, expires_at: _expires, ...user } = row;
  return { user, csrfToken: csrf_token };
}

const apiKeyUser = prepared((db, p: { keyHash: string }) =>
  db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .selectAll('users')
    .select(['api_keys.id as key_id', 'api_keys.last_used_at'])
    .where('api_keys.key_hash', '=', p.keyHash),
);

/**
 * Keys are looked up by hash, through the access cache; `last_used_at` is refreshed at most once a minute to keep
 * reads cheap.
 */
export async function userForApiKey(ctx: { db: Db; access: AccessCache }, key: string): Promise<User | undefined> {
  const keyHash = hashToken(key);
  const owner = await ctx.access.keyOwner(keyHash, async () => {
    const row = await apiKeyUser.first(ctx.db, { keyHash });
    if (!row) return undefined;
    const { key_id, last_used_at, ...user } = row;
    return { user, keyId: key_id, lastUsedAt: last_used_at };
  });
  if (!owner) return undefined;
  const now = Date.now();
  if (owner.lastUsedAt === null || now - owner.lastUsedAt > 60_000) {
    await ctx.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', owner.keyId).execute();
    ctx.access.touchKey(keyHash, owner, now);
  }
  return owner.user;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export async function createApiKey(db: Db, userId: string, name: string): Promise<ApiKeyView & { key: string }> {
  const { key, prefix, hash } = newApiKey();
  const row = { id: newId(), user_id: userId, name, prefix, key_hash: hash, created_at: Date.now(), last_used_at: null };
  await db.insertInto('api_keys').values(row).execute();
  return { ...apiKeyView(row), key };
}

export async function listApiKeys(db: Db, userId: string): Promise<ApiKeyView[]> {
  const rows = await db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').execute();
  return rows.map(apiKeyView);
}

/** Revokes the key in every process at once (CHANNEL_ACCESS): the next request with it is refused. */
export async function revokeApiKey(ctx: { db: Db; notifier: Notifier }, userId: string, id: string): Promise<void> {
  const result = await ctx.db.deleteFrom('api_keys').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound(`API key "${id}"`);
  ctx.notifier.notify(CHANNEL_ACCESS);
}

function apiKeyView(row: { id: string; name: string; prefix: string; created_at: number; last_used_at: number | null }): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
  };
}

export function userView(user: User): { id: string; name: string; isAdmin: boolean; createdAt: string } {
  return { id: user.id, name: user.name, isAdmin: user.is_admin === 1, createdAt: new Date(user.created_at).toISOString() };
}
