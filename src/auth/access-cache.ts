// Who an API key belongs to and which role a user has in a team, remembered for a few seconds. Every authenticated
// request needs both; read from the database they were two of the round trips of every request (on PostgreSQL over
// TCP, the largest part of a cheap request's cost).
//
// Correctness does not rest on the expiry: every change to keys, users or memberships signals CHANNEL_ACCESS after
// its commit (`after.notify(CHANNEL_ACCESS)`, or `notifier.notify` for a single statement), which empties the cache
// of every process — at once in the process that made the change, and within a NOTIFY's delivery in the others on
// PostgreSQL. The expiry only bounds how long a process whose NOTIFY connection has dropped can
// act on a revoked key (MODELYARD_ACCESS_CACHE_SECONDS, default 5; 0 turns the cache off). A lookup that was in flight while an invalidation happened is not remembered (generation
// check), so an answer read before a revocation never outlives it. Only positive answers are kept: an unknown key or
// a non-member always goes to the database. Sessions (the web UI) are not cached.
import type { Notifier } from '../db/index.js';
import type { Team, TeamRole, User } from '../db/schema.js';

/** Signalled after any change to API keys, users or team memberships. */
export const CHANNEL_ACCESS = 'access';

/** Bound on remembered answers per kind; past it the oldest go first. */
const MAX_ENTRIES = 10_000;

export interface KeyOwner {
  user: User;
  keyId: string;
  lastUsedAt: number | null;
}

export interface Membership {
  team: Team;
  role: TeamRole;
}

class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, until: number): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until });
  }

  clear(): void {
    this.entries.clear();
  }
}

export class AccessCache {
  private generation = 0;
  private readonly keys = new ExpiringMap<KeyOwner>();
  private readonly memberships = new ExpiringMap<Membership>();
  private readonly unlisten: () => void;

  constructor(
    notifier: Notifier,
    private readonly ttlMs: number,
  ) {
    this.unlisten = notifier.listen(CHANNEL_ACCESS, () => this.invalidate());
  }

  /** The key's owner by key hash: remembered, or `load`ed (and remembered unless an invalidation came meanwhile). */
  keyOwner(keyHash: string, load: () => Promise<KeyOwner | undefined>): Promise<KeyOwner | undefined> {
    return this.through(this.keys, keyHash, load);
  }

  membership(userId: string, teamName: string, load: () => Promise<Membership | undefined>): Promise<Membership | undefined> {
    return this.through(this.memberships, `${userId}\n${teamName}`, load);
  }

  /** Records a key's refreshed last use in its remembered answer, so it is not refreshed again on the next request. */
  touchKey(keyHash: string, owner: KeyOwner, lastUsedAt: number): void {
    const cached = this.keys.get(keyHash, Date.now());
    if (cached === owner) cached.lastUsedAt = lastUsedAt;
  }

  invalidate(): void {
    this.generation++;
    this.keys.clear();
    this.memberships.clear();
  }

  close(): void {
    this.unlisten();
    this.invalidate();
  }

  private async through<V>(map: ExpiringMap<V>, key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const now = Date.now();
    const cached = map.get(key, now);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const value = await load();
    if (value !== undefined && this.ttlMs > 0 && generation === this.generation) map.set(key, value, now + this.ttlMs);
    return value;
  }
}
