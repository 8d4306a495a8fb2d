// The login limiter against a real database: attempts are counted before the password is checked, in one
// transaction, so parallel guesses are limited exactly like sequential ones; a success clears only its account.
// The clock is the test's own: locks end when the test says so, never because the machine was slow.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPassword, createUser } from '../../src/auth/users.js';
import {
  FIRST_LOCK_MS,
  FREE_FAILURES,
  LoginLimiter,
  lockAfter,
  MAX_LOCK_MS,
  WINDOW_MS,
  type LoginAttempt,
} from '../../src/auth/login-limiter.js';
import { useTestDatabase } from '../helpers/database.js';

const database = useTestDatabase();
const PASSWORD = 'correct horse battery';
let clock = 1_800_000_000_000;
const now = () => clock;

beforeAll(async () => {
  for (const name of ['alice', 'bob', 'mallory']) await createUser(database.handle.db, { name, password: PASSWORD });
});

/** What the login route does: reserve, check the password (the real, slow hash), report a success. */
async function login(limiter: LoginLimiter, attempt: LoginAttempt, password: string): Promise<200 | 401 | 429> {
  const reservation = await limiter.reserve(attempt);
  if (!reservation.allowed) return 429;
  const user = await checkPassword(database.handle.db, attempt.account, password);
  if (!user) return 401;
  await limiter.succeeded(attempt, reservation);
  return 200;
}

const tally = (statuses: number[]) => ({ 401: statuses.filter((s) => s === 401).length, 429: statuses.filter((s) => s === 429).length });

describe('lockAfter', () => {
  it.each([
    [1, 0],
    [FREE_FAILURES - 1, 0],
    [FREE_FAILURES, FIRST_LOCK_MS],
    [FREE_FAILURES + 1, 2 * FIRST_LOCK_MS],
    [FREE_FAILURES + 3, 8 * FIRST_LOCK_MS],
    [FREE_FAILURES + 20, MAX_LOCK_MS],
    [10_000, MAX_LOCK_MS],
  ])('after %i failures locks for %i ms', (failures, lock) => {
    expect(lockAfter(failures)).toBe(lock);
  });
});

describe('LoginLimiter', () => {
  it('limits N parallel wrong passwords exactly like N sequential ones', async () => {
    const limiter = new LoginLimiter(database.handle.db, now);
    const attempts = 3 * FREE_FAILURES;
    const sequential: number[] = [];
    for (let i = 0; i < attempts; i++) sequential.push(await login(limiter, { account: 'alice', address: '192.0.2.1' }, `guess-${i}`));
    const parallel = await Promise.all(
      Array.from({ length: attempts }, (_, i) => login(limiter, { account: 'bob', address: '192.0.2.2' }, `guess-${i}`)),
    );
    expect(tally(sequential)).toEqual({ 401: FREE_FAILURES, 429: attempts - FREE_FAILURES });
    expect(tally(parallel)).toEqual(tally(sequential));
  });

  it('shares the counters between limiters on one database, as between API processes', async () => {
    const processes = [new LoginLimiter(database.handle.db, now), new LoginLimiter(database.handle.db, now)];
    const statuses = await Promise.all(
      Array.from({ length: 4 * FREE_FAILURES }, (_, i) => login(processes[i % 2]!, { account: 'mallory', address: '192.0.2.3' }, `guess-${i}`)),
    );
    expect(tally(statuses)).toEqual({ 401: FREE_FAILURES, 429: 3 * FREE_FAILURES });
  });

  it('locks for a doubling time after the free failures, and tells how long', async () => {
    const limiter = new LoginLimiter(database.handle.db, now);
    const attempt = { account: 'nobody-1', address: '192.0.2.4' };
    for (let i = 0; i < FREE_FAILURES; i++) expect((await limiter.reserve(attempt)).allowed).toBe(true);
    expect(await limiter.reserve(attempt)).toEqual({ allowed: false, retryAfterMs: FIRST_LOCK_MS });
    clock += FIRST_LOCK_MS - 1;
    expect(await limiter.reserve(attempt)).toEqual({ allowed: false, retryAfterMs: 1 });
    clock += 1;
    expect((await limiter.reserve(attempt)).allowed).toBe(true);
    expect(await limiter.reserve(attempt)).toEqual({ allowed: false, retryAfterMs: 2 * FIRST_LOCK_MS });
    // A refused attempt changes nothing: the lock is not extended by knocking.
    clock += 2 * FIRST_LOCK_MS;
    expect((await limiter.reserve(attempt)).allowed).toBe(true);
    expect(await limiter.reserve(attempt)).toEqual({ allowed: false, retryAfterMs: 4 * FIRST_LOCK_MS });
  });

  it('starts a new window once the old one is over and its lock has ended', async () => {
    const limiter = new LoginLimiter(database.handle.db, now);
    const attempt = { account: 'nobody-2', address: '192.0.2.5' };
    for (let i = 0; i < FREE_FAILURES; i++) await limiter.reserve(attempt);
    expect((await limiter.reserve(attempt)).allowed).toBe(false);
    clock += WINDOW_MS + 1;
    for (let i = 0; i < FREE_FAILURES; i++) expect((await limiter.reserve(attempt)).allowed).toBe(true);
    expect((await limiter.reserve(attempt)).allowed).toBe(false);
  });

  it("clears the account's counter on success, never the address's", async () => {
    await createUser(database.handle.db, { name: 'attacker', password: PASSWORD });
    await createUser(database.handle.db, { name: 'victim', password: PASSWORD });
    const limiter = new LoginLimiter(database.handle.db, now);
    const address = '198.51.100.7';
    // Spraying: one guess each at several accounts from one address, then a login into an account of one's own.
    for (let i = 0; i < FREE_FAILURES - 1; i++) expect(await login(limiter, { account: `target-${i}`, address }, 'guess')).toBe(401);
    expect(await login(limiter, { account: 'attacker', address }, PASSWORD)).toBe(200);
    // The address still has its failures: one more guess is free, then it is locked.
    expect(await login(limiter, { account: 'target-x', address }, 'guess')).toBe(401);
    expect(await login(limiter, { account: 'target-y', address }, 'guess')).toBe(429);

    // The account that logged in starts afresh (from another address, so only its own counter speaks).
    const elsewhere = '198.51.100.8';
    for (let i = 0; i < FREE_FAILURES - 1; i++) expect(await login(limiter, { account: 'victim', address: elsewhere }, 'guess')).toBe(401);
    expect(await login(limiter, { account: 'victim', address: elsewhere }, PASSWORD)).toBe(200);
    const rows = await database.handle.db.selectFrom('login_attempts').selectAll().where('key', 'in', ['user:victim', `ip:${elsewhere}`]).execute();
    expect(rows.map((r) => [r.key, r.failures])).toEqual([[`ip:${elsewhere}`, FREE_FAILURES - 1]]);
  });

  it('counts names that differ only in case as one account', async () => {
    const limiter = new LoginLimiter(database.handle.db, now);
    for (let i = 0; i < FREE_FAILURES; i++) await limiter.reserve({ account: i % 2 ? 'Carol' : 'CAROL', address: `203.0.113.${i}` });
    expect((await limiter.reserve({ account: 'carol', address: '203.0.113.99' })).allowed).toBe(false);
  });
});
