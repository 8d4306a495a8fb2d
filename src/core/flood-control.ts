// Flood control per automation — pure: whether a new run is admitted under the automation's rate limit and cooldown,
// and the automation's counters afterwards. A run that is not admitted is recorded `skipped` with the reason.
//
// The rate limit counts admitted runs in fixed windows of `perSeconds`, each starting at the first run after the
// previous window ended (so a burst after a quiet spell gets the whole `max` at once). The cooldown starts at each
// admitted run: for `cooldownSeconds` after it, every later event's run is skipped.
//
// Cooldown folding (`fold`, for automations that supersede: core/delivery-order.ts): an event inside the cooldown is
// not skipped but admitted due when the window ends, and lastSentAt moves to that time — the delivery the window
// ends with. Later events before then join the same time (their runs supersede the waiting one of their subject), so
// one delivery of the newest state per subject goes out when the cooldown ends, and the next window starts there.

/** The largest settings the API accepts (its schema and the web wizard's checks as typed read them from here). */
export const FLOOD_MAXIMA = { rateLimitMax: 100_000, perSeconds: 86_400, cooldownSeconds: 7 * 86_400 } as const;

export interface FloodLimits {
  rateLimit: { max: number; perSeconds: number } | null;
  cooldownSeconds: number | null;
}

/** The automation's counters, kept on its row. */
export interface FloodState {
  windowStart: number | null;
  windowCount: number;
  lastSentAt: number | null;
}

/** Admitted runs are due at `dueAt`: now, or (folding) when the cooldown ends. */
export type Admission = { admitted: true; next: FloodState; dueAt: number } | { admitted: false; reason: string };

export function admitRun(limits: FloodLimits, state: FloodState, now: number, options: { fold?: boolean } = {}): Admission {
  if (limits.cooldownSeconds !== null && state.lastSentAt !== null && now < state.lastSentAt + limits.cooldownSeconds * 1000) {
    if (options.fold === true) {
      // A fold already scheduled (lastSentAt ahead of now) is joined; otherwise this run opens one at the window's end.
      const dueAt = state.lastSentAt > now ? state.lastSentAt : state.lastSentAt + limits.cooldownSeconds * 1000;
      return { admitted: true, next: { ...state, lastSentAt: dueAt }, dueAt };
    }
    return {
      admitted: false,
      reason: `skipped: cooldown of ${limits.cooldownSeconds} s after the run at ${new Date(state.lastSentAt).toISOString()}`,
    };
  }
  let { windowStart, windowCount } = state;
  if (limits.rateLimit !== null) {
    if (windowStart === null || now >= windowStart + limits.rateLimit.perSeconds * 1000) {
      windowStart = now;
      windowCount = 0;
    }
    if (windowCount >= limits.rateLimit.max) {
      return {
        admitted: false,
        reason: `skipped: rate limit of ${limits.rateLimit.max} per ${limits.rateLimit.perSeconds} s reached (the next window starts at ${new Date(windowStart + limits.rateLimit.perSeconds * 1000).toISOString()})`,
      };
    }
    windowCount += 1;
  }
  return { admitted: true, next: { windowStart, windowCount, lastSentAt: now }, dueAt: now };
}
