// Flood control per webhook — pure: how many of the runs a worker has claimed for one limited endpoint may be sent
// now, and when each of the others is due again. The state is what the database holds for the webhook (its permits:
// delivery/store/base.ts acquirePermits, under the webhook's row lock, so every worker sharing the database sees one
// count):
//
//   maxConcurrency  permits not yet expired are requests in flight; at most this many at once
//   maxPerSecond    permits granted within the last second (a sliding window, not a refilling bucket: no second-long
//                   interval ever holds more than this many grants, whatever the window's edges)
//
// A run over the limit waits — it is deferred, its attempt count unchanged, never failed. Waiting runs are given turns
// spaced at the endpoint's pace after those already waiting (permit_queue_until), so a backlog of thousands comes due
// a few at a time instead of being claimed, refused and deferred again every few milliseconds.

/** A second: the window maxPerSecond counts grants in. */
export const RATE_WINDOW_MS = 1000;
/**
 * How soon a run refused for concurrency looks again. The request holding its slot may take up to the send timeout,
 * but most answer within tens of milliseconds; a short look-again keeps the endpoint busy without a wake-up signal
 * between workers (each look is one claim and one acquisition).
 */
export const CONCURRENCY_RECHECK_MS = 75;
/** The largest settings accepted: beyond them a limit protects nothing a worker could not send anyway. */
export const MAX_CONCURRENCY_LIMIT = 1000;
export const MAX_PER_SECOND_LIMIT = 10_000;

export interface EndpointLimits {
  /** Requests in flight at once; null: unlimited. */
  maxConcurrency: number | null;
  /** Requests sent in any second; null: unlimited. */
  maxPerSecond: number | null;
}

/** The endpoint's permits as the database holds them at `now`. */
export interface PermitsNow {
  /** Permits not yet expired (requests in flight, or held by a worker that may have crashed, until its lease ends). */
  inFlight: number;
  /** When the permits granted within the last second were granted (any order). */
  recentGrants: number[];
  /** The last turn handed out to a waiting run; null: none. */
  queueUntil: number | null;
}

export interface PermitAllotment {
  /** The first `granted` of the wanted runs (oldest first) may be sent now. */
  granted: number;
  /** For each of the others, in order: when it is due again. */
  waitUntil: number[];
  /** What permit_queue_until becomes. */
  queueUntil: number | null;
}

export function isLimited(limits: EndpointLimits): boolean {
  return limits.maxConcurrency !== null || limits.maxPerSecond !== null;
}

/** The permits for `wanted` runs at `now`, and the turns of those that must wait. */
export function allotPermits(limits: EndpointLimits, state: PermitsNow, wanted: number, now: number): PermitAllotment {
  const recent = state.recentGrants.filter((at) => at > now - RATE_WINDOW_MS).sort((a, b) => a - b);
  const freeSlots = limits.maxConcurrency === null ? wanted : Math.max(0, limits.maxConcurrency - state.inFlight);
  const freeRate = limits.maxPerSecond === null ? wanted : Math.max(0, limits.maxPerSecond - recent.length);
  const granted = Math.min(wanted, freeSlots, freeRate);
  const waiting = wanted - granted;
  if (waiting === 0) return { granted, waitUntil: [], queueUntil: state.queueUntil };

  // The earliest moment another permit can be had: a slot may free at any time (look again shortly); the rate
  // window has room once the grant that fills it is a second old.
  let first = now;
  if (limits.maxConcurrency !== null && state.inFlight + granted >= limits.maxConcurrency) first = Math.max(first, now + CONCURRENCY_RECHECK_MS);
  if (limits.maxPerSecond !== null && recent.length + granted >= limits.maxPerSecond) {
    const window = [...recent, ...Array.from({ length: granted }, () => now)];
    first = Math.max(first, window[window.length - limits.maxPerSecond]! + RATE_WINDOW_MS);
  }
  // Behind the runs already waiting, one turn per step of the endpoint's pace.
  const start = Math.max(first, state.queueUntil ?? first);
  const step = Math.max(
    limits.maxPerSecond === null ? 0 : RATE_WINDOW_MS / limits.maxPerSecond,
    limits.maxConcurrency === null ? 0 : CONCURRENCY_RECHECK_MS / limits.maxConcurrency,
  );
  const waitUntil = Array.from({ length: waiting }, (_, i) => Math.ceil(start + i * step));
  return { granted, waitUntil, queueUntil: Math.ceil(start + waiting * step) };
}
