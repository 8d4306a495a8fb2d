// Slows down password guessing. Failures are counted per user name and per client address over a window; past a
// few failures each further attempt must wait an exponentially growing delay (429 with Retry-After), and every
// failed attempt is answered no sooner than FAILURE_DELAY_MS. The answer is the same whether or not the user exists.
// Counts are kept in this process's memory: behind a load balancer with several API processes each keeps its own,
// which still bounds guessing to a small multiple (documented in docs/operations.md).

export const FREE_FAILURES = 5;
export const WINDOW_MS = 15 * 60 * 1000;
export const MAX_LOCK_MS = 15 * 60 * 1000;
export const FAILURE_DELAY_MS = 250;
const MAX_TRACKED = 100_000;

interface Entry {
  failures: number;
  firstAt: number;
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds the caller must still wait, or 0 when an attempt may be made. */
  retryAfterMs(keys: string[]): number {
    const now = this.now();
    let wait = 0;
    for (const key of keys) {
      const entry = this.live(key, now);
      if (entry) wait = Math.max(wait, entry.lockedUntil - now);
    }
    return Math.max(0, wait);
  }

  recordFailure(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const entry = this.live(key, now) ?? { failures: 0, firstAt: now, lockedUntil: 0 };
      entry.failures += 1;
      if (entry.failures >= FREE_FAILURES) {
        const lock = Math.min(MAX_LOCK_MS, 1000 * 2 ** (entry.failures - FREE_FAILURES));
        entry.lockedUntil = now + lock;
      }
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    // Bounded memory under a flood of distinct names: forget the oldest entries.
    while (this.entries.size > MAX_TRACKED) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  recordSuccess(keys: string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.firstAt > WINDOW_MS && now > entry.lockedUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
