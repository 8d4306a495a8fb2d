// What an attempt's outcome means for the run, and when to try again.

export type AttemptOutcome =
  | { kind: 'success' }
  | { kind: 'retry'; reason: string }
  | { kind: 'fail'; reason: string }
  /** 410 Gone: the run fails and the webhook is disabled, with `reason` shown to admins. */
  | { kind: 'gone'; reason: string };

/**
 * `status` null means no response: a network error, a timeout or a blocked target (`error` says which).
 * Retried: no response, 408, 429 and 5xx — conditions that pass. Redirects are not followed (the target could
 * point anywhere, including internal addresses), so a 3xx is a failure, like any other 4xx.
 */
export function classifyResponse(status: number | null, error?: string): AttemptOutcome {
  if (status === null) return { kind: 'retry', reason: error ?? 'no response' };
  if (status >= 200 && status < 300) return { kind: 'success' };
  if (status === 410) return { kind: 'gone', reason: 'the endpoint answered 410 Gone: it no longer accepts deliveries' };
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return { kind: 'retry', reason: `HTTP ${status}` };
  if (status >= 300 && status < 400) return { kind: 'fail', reason: `HTTP ${status}: redirects are not followed; use the final URL` };
  return { kind: 'fail', reason: `HTTP ${status}` };
}

/** Each scheduled delay is spread over ±20 % so runs failed together do not come back together. */
export const RETRY_JITTER = 0.2;

/**
 * Milliseconds until the next attempt after `attemptsSoFar` attempts (the first retry follows attempt 1 and waits
 * `schedule[0]` seconds), or null when the schedule is exhausted and the run fails.
 *
 * A `Retry-After` answer (seconds or an HTTP-date) is honoured up to the schedule's largest step: a receiver that is
 * down for maintenance may ask for an hour and gets it, rather than being called again seconds later and burning
 * through the retries. It never makes us retry sooner than the schedule, and never parks a run longer than the
 * longest wait the operator configured (an absurd or hostile value cannot hold a run for a year).
 */
export function nextRetryDelayMs(
  attemptsSoFar: number,
  schedule: number[],
  options: { retryAfter?: string | null; random?: () => number; now?: number } = {},
): number | null {
  const index = Math.max(1, Math.floor(attemptsSoFar)) - 1;
  if (index >= schedule.length) return null;
  const random = options.random ?? Math.random;
  const base = schedule[index]! * 1000;
  const delay = Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
  const requested = parseRetryAfter(options.retryAfter, options.now ?? Date.now());
  if (requested === null) return delay;
  return Math.max(delay, Math.min(requested, retryAfterCeilingMs(schedule)));
}

/** The longest wait a `Retry-After` answer can ask for: the schedule's largest step (10 h by default). */
export function retryAfterCeilingMs(schedule: number[]): number {
  return Math.max(0, ...schedule) * 1000;
}

const DELTA_SECONDS = /^\d+$/;
// RFC 9110 HTTP-date forms all contain a month or day name; this keeps Date.parse from reading bare numbers.
const HTTP_DATE = /^[A-Za-z]{3,9},? /;

/** Milliseconds from `now` that a Retry-After value asks for (delta-seconds or HTTP-date); null when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (DELTA_SECONDS.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds * 1000) ? seconds * 1000 : null;
  }
  if (!HTTP_DATE.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
