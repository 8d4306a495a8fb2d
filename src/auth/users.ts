// Users, sessions and API keys. A deactivated user (an instance admin's decision, reversible) cannot log in, and
// has no sessions or API keys left: deactivating ends both in the same transaction, and the look-ups below refuse
// a deactivated user's session or key as well, should one be created in a race.
import type { Db, Notifier } from '../db/index.js';
import { CHANNEL_ACCESS, type AccessCache } from './access-cache.js';
import { isUniqueViolation } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import { inTransaction } from '../db/transaction.js';
import type { User } from '../db/schema.js';
import { conflict, invalid, notFound } from '../core/errors.js';
import { newId, newToken } from '../core/ids.js';
import { checkName } from '../core/names.js';
import { generatePassword, hashPassword, verifyPassword } from './passwords.js';
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
    deactivated_at: null,
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

/**
 * The user if the password matches and the user is active; the same work is done whether or not the user exists,
 * and a deactivated user is refused like a wrong password (the login form says nothing about which accounts exist).
 */
export async function checkPassword(db: Db, name: string, password: string): Promise<User | undefined> {
  const user = await findUserByName(db, name);
  const ok = await verifyPassword(password, user?.password_hash);
  return ok && user?.deactivated_at === null ? user : undefined;
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
    .where('users.deactivated_at', 'is', null)
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
    .where('api_keys.key_hash', '=', p.keyHash)
    .where('users.deactivated_at', 'is', null),
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

// ---------------------------------------------------------------------------------------------------------------
// Instance administration: the users of the instance, password resets, deactivation.

type Ctx = { db: Db; notifier: Notifier };

export interface AdminUserView {
  id: string;
  name: string;
  isAdmin: boolean;
  active: boolean;
  createdAt: string;
  deactivatedAt: string | null;
  apiKeys: number;
}

async function findUserOr404(db: Db, name: string): Promise<User> {
  const user = await findUserByName(db, name);
  if (!user) throw notFound(`user "${name}"`);
  return user;
}

function adminUserView(user: User, apiKeys: number): AdminUserView {
  return {
    id: user.id,
    name: user.name,
    isAdmin: user.is_admin === 1,
    active: user.deactivated_at === null,
    createdAt: new Date(user.created_at).toISOString(),
    deactivatedAt: user.deactivated_at === null ? null : new Date(user.deactivated_at).toISOString(),
    apiKeys,
  };
}

/** Every user of the instance by name, with how many API keys each holds. */
export async function listUsers(db: Db): Promise<AdminUserView[]> {
  const users = await db.selectFrom('users').selectAll().orderBy('name').execute();
  const counts = await db.selectFrom('api_keys').select(['user_id', db.fn.countAll<number>().as('count')]).groupBy('user_id').execute();
  const byUser = new Map(counts.map((c) => [c.user_id, Number(c.count)]));
  return users.map((user) => adminUserView(user, byUser.get(user.id) ?? 0));
}

export async function getAdminUserView(db: Db, name: string): Promise<AdminUserView> {
  const user = await findUserOr404(db, name);
  const row = await db.selectFrom('api_keys').select(db.fn.countAll<number>().as('count')).where('user_id', '=', user.id).executeTakeFirst();
  return adminUserView(user, Number(row?.count ?? 0));
}

/**
 * Sets a new password (generated unless given) and ends the user's sessions, so whoever held the old one is logged
 * out. The generated password is returned once and stored only as its hash.
 */
export async function resetPassword(ctx: Ctx, name: string, password?: string): Promise<{ password: string }> {
  const user = await findUserOr404(ctx.db, name);
  const next = password ?? generatePassword();
  if (next.length < MIN_PASSWORD_LENGTH) throw invalid('password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const hash = await hashPassword(next);
  await inTransaction(ctx, async (tx) => {
    await tx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
    await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
  });
  return { password: next };
}

/**
 * Deactivates a user: they can no longer log in, and their sessions and API keys are deleted (agents and CI jobs
 * using those keys are refused from now on). Team memberships and what they created stay. An admin cannot
 * deactivate themselves (the instance could be left without anyone to undo it).
 */
export async function deactivateUser(ctx: Ctx, actor: User, name: string): Promise<AdminUserView> {
  const user = await findUserOr404(ctx.db, name);
  if (user.id === actor.id) throw conflict('you cannot deactivate yourself; ask another instance admin');
  const now = Date.now();
  await inTransaction(ctx, async (tx, after) => {
    // Every process forgets the user's keys at once (src/auth/access-cache.ts).
    after.notify(CHANNEL_ACCESS);
    await tx.updateTable('users').set({ deactivated_at: now }).where('id', '=', user.id).where('deactivated_at', 'is', null).execute();
    await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await tx.deleteFrom('api_keys').where('user_id', '=', user.id).execute();
  });
  return getAdminUserView(ctx.db, name);
}

/** Lets a deactivated user log in again (with their old password, or one reset for them); keys stay revoked. */
export async function reactivateUser(ctx: Ctx, name: string): Promise<AdminUserView> {
  const user = await findUserOr404(ctx.db, name);
  await inTransaction(ctx, async (tx) => {
    await tx.updateTable('users').set({ deactivated_at: null }).where('id', '=', user.id).execute();
  });
  return getAdminUserView(ctx.db, name);
}

export { generatePassword };
