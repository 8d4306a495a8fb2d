// Slows down password guessing. Attempts that do not succeed are counted per account name and per client address
// over a window; past FREE_FAILURES each further attempt must wait an exponentially growing lock (429 with
// Retry-After), and every failed attempt is answered no sooner than FAILURE_DELAY_MS. The answer is the same whether
// or not the account exists.
//
// An attempt is counted BEFORE its password is checked: reserve() adds it to both counters in one transaction, and
// refuses it (changing nothing) when either counter is locked. Checking and counting in one step is what makes
// parallel guesses limited exactly like sequential ones: an attempt that read the counter and recorded its failure
// only after the (slow, on purpose) password hash would let every guess sent at once through. A success then clears
// the account's counter and withdraws its own reservation from the address's counter — it never resets the address:
// an attacker must not refill their address's budget by logging into an account of their own.
//
// The counters are rows of login_attempts, so the limit holds across every API process sharing the database.
import type { Db, Tx } from '../db/index.js';
import { writeTransaction } from '../db/transaction.js';

export const FREE_FAILURES = 5;
export const WINDOW_MS = 15 * 60 * 1000;
/**
 * The lock after the FREE_FAILURES-th failure; each further failure doubles it, up to MAX_LOCK_MS. Long enough that a
 * burst of guesses sent at once is still arriving while it holds (a 1 s lock ran out mid-burst on a loaded machine:
 * bench/results/design-measurements.md#login-burst); short enough that a
 * person who mistyped five times waits half a minute.
 */
export const FIRST_LOCK_MS = 30 * 1000;
export const MAX_LOCK_MS = 15 * 60 * 1000;
export const FAILURE_DELAY_MS = 250;
/** How often a process deletes counters whose window and lock are over (a flood of made-up names leaves many). */
const PRUNE_INTERVAL_MS = 60 * 1000;

/** One login attempt: the account name it is for and the client address it comes from. */
export interface LoginAttempt {
  account: string;
  address: string;
}

/** What reserve() did to the address's counter, so that a success can take exactly that back. */
interface Counter {
  failures: number;
  lockedUntil: number;
}

export type Reservation = { allowed: true; address: Counter } | { allowed: false; retryAfterMs: number };

/** The lock that follows the `failures`-th failure in a window. */
export function lockAfter(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** Math.min(failures - FREE_FAILURES, 30));
}

function keysOf(attempt: LoginAttempt): { account: string; address: string } {
  // Names differing only in case are one account to the limiter, so case variants share one budget.
  return { account: `user:${attempt.account.toLowerCase()}`, address: `ip:${attempt.address}` };
}

class Locked extends Error {
  constructor(readonly retryAfterMs: number) {
    super('locked');
  }
}

export class LoginLimiter {
  private lastPrune = 0;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts the attempt against its account and its address, or refuses it (and counts nothing) while either is
   * locked. Call before checking the password; call succeeded() when it matched.
   */
  async reserve(attempt: LoginAttempt): Promise<Reservation> {
    const now = this.now();
    const { account, address } = keysOf(attempt);
    let counts: Map<string, Counter>;
    try {
      counts = await writeTransaction(this.db, async (tx) => {
        const counted = new Map<string, Counter>();
        // A fixed key order: two attempts sharing both keys can never each hold the row the other waits for.
        for (const key of [account, address].sort()) counted.set(key, await this.count(tx, key, now));
        return counted;
      });
    } catch (error) {
      if (error instanceof Locked) return { allowed: false, retryAfterMs: error.retryAfterMs };
      throw error;
    }
    await this.pruneNowAndThen(now);
    return { allowed: true, address: counts.get(address)! };
  }

  /**
   * The attempt's password matched: its account starts afresh, and its address loses this attempt's reservation and
   * keeps every other. The lock this reservation set (it was the FREE_FAILURES-th or later) is taken back only while
   * no attempt has been counted since; otherwise the later attempt's lock stands.
   */
  async succeeded(attempt: LoginAttempt, reservation: Extract<Reservation, { allowed: true }>): Promise<void> {
    const { account, address } = keysOf(attempt);
    const { failures, lockedUntil } = reservation.address;
    await writeTransaction(this.db, async (tx) => {
      await tx.deleteFrom('login_attempts').where('key', '=', account).execute();
      await tx
        .updateTable('login_attempts')
        .set((eb) => ({
          failures: eb('failures', '-', 1),
          locked_until: eb
            .case()
            .when(eb.and([eb('failures', '=', failures), eb('locked_until', '=', lockedUntil)]))
            .then(0)
            .else(eb.ref('locked_until'))
            .end(),
        }))
        .where('key', '=', address)
        .where('failures', '>', 0)
        .execute();
    });
  }

  /**
   * One atomic upsert: a new counter starts at 1; an existing one that is not locked counts one more (or starts a new
   * window); a locked one is left alone, and then no row comes back. Both databases lock the row for the rest of the
   * transaction, so a concurrent attempt on the same key sees this count, and this lock, when it gets its turn.
   */
  private async count(tx: Tx, key: string, now: number): Promise<Counter> {
    const windowStart = now - WINDOW_MS;
    const counted = await tx
      .insertInto('login_attempts')
      .values({ key, failures: 1, first_at: now, locked_until: 0 })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet((eb) => ({
            failures: eb.case().when('login_attempts.first_at', '<', windowStart).then(1).else(eb('login_attempts.failures', '+', 1)).end(),
            first_at: eb.case().when('login_attempts.first_at', '<', windowStart).then(now).else(eb.ref('login_attempts.first_at')).end(),
          }))
          .where('login_attempts.locked_until', '<=', now),
      )
      .returning(['failures', 'locked_until'])
      .executeTakeFirst();
    if (!counted) {
      const row = await tx.selectFrom('login_attempts').select('locked_until').where('key', '=', key).executeTakeFirstOrThrow();
      throw new Locked(Math.max(1, row.locked_until - now));
    }
    const lock = lockAfter(counted.failures);
    if (lock === 0) return { failures: counted.failures, lockedUntil: counted.locked_until };
    await tx.updateTable('login_attempts').set({ locked_until: now + lock }).where('key', '=', key).execute();
    return { failures: counted.failures, lockedUntil: now + lock };
  }

  private async pruneNowAndThen(now: number): Promise<void> {
    if (now - this.lastPrune < PRUNE_INTERVAL_MS) return;
    this.lastPrune = now;
    await this.db
      .deleteFrom('login_attempts')
      .where('first_at', '<', now - WINDOW_MS)
      .where('locked_until', '<', now)
      .execute();
  }
}
