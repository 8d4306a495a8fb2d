// Endpoint health and the circuit breaker — pure: what an attempt says about its endpoint, and what the endpoint's
// state becomes after a failed attempt.
//
//   CLOSED ──N consecutive failed attempts, or a 429 with Retry-After (paused)──▶ OPEN (probe_at = T)
//     ▲                                         │ at T one run is sent as a probe; the webhook's other due runs wait
//     │ any successful attempt                  │ for the next probe instead of being sent
//     └─────────────────────────────────────────┤ a failed probe: next probe at T' (growing backoff)
//                                               └─failing for disable_after_seconds──▶ DISABLED (+ WEBHOOK_DISABLED)
//
// Only answers count: a 2xx is a success; any other status, a timeout or a network error is a failure. A delivery
// refused before any request (blocked target, missing secret, disabled webhook) says nothing about the endpoint.
import type { AttemptResponse } from './delivery-decision.js';
import { parseRetryAfter } from './retry.js';

/** Consecutive failed attempts that open the circuit, unless the webhook sets its own. */
export const DEFAULT_CIRCUIT_FAILURES = 20;
/** How long an endpoint may keep failing before its webhook is disabled, unless the webhook sets its own. */
export const DEFAULT_DISABLE_AFTER_SECONDS = 3 * 24 * 3600;
/**
 * Probes go out 10 s after the circuit opens, then at doubling intervals up to 5 minutes: a recovered endpoint is
 * noticed within 5 minutes, and a dead one costs one request per 5 minutes instead of every retry of every run.
 */
export const FIRST_PROBE_DELAY_MS = 10_000;
export const MAX_PROBE_DELAY_MS = 5 * 60_000;

/** What an attempt says about its endpoint: it answered 2xx, it failed, or nothing (no request was made). */
export function endpointVerdict(response: AttemptResponse): 'succeeded' | 'failed' | null {
  if (response.kind === 'refused') return null;
  return response.status !== null && response.status >= 200 && response.status < 300 ? 'succeeded' : 'failed';
}

/**
 * A 429 with Retry-After pauses the whole endpoint, not only the run that got it: until the time returned, the
 * webhook's runs wait as behind an open circuit (then one goes first, as a probe). The pause is capped like a
 * retry's Retry-After (`ceilingMs`). Null for any other answer, or a 429 without a usable Retry-After.
 */
export function rateLimitPause(response: AttemptResponse, now: number, ceilingMs: number): number | null {
  if (response.kind !== 'answered' || response.status !== 429) return null;
  const requested = parseRetryAfter(response.retryAfter, now);
  return requested === null ? null : now + Math.min(requested, ceilingMs);
}

/** The delay before the next probe once `failures` consecutive attempts have failed (`threshold` opened the circuit). */
export function probeDelayMs(failures: number, threshold: number): number {
  const beyond = Math.max(0, failures - threshold);
  return Math.min(MAX_PROBE_DELAY_MS, FIRST_PROBE_DELAY_MS * 2 ** Math.min(beyond, 20));
}

/** The breaker's state and settings of one webhook, after a failed attempt has been counted. */
export interface FailingEndpoint {
  consecutiveFailures: number;
  /** When the first of the consecutive failures happened. */
  failingSince: number;
  circuitFailures: number;
  /** null: never disabled for failing. */
  disableAfterSeconds: number | null;
}

/** A failed attempt's consequence, with the pause a 429 asked for (the later of the two holds). */
export function withPause(consequence: FailureConsequence, pauseUntil: number | null): FailureConsequence {
  if (pauseUntil === null || consequence.kind === 'disable') return consequence;
  if (consequence.kind === 'open_circuit' && consequence.probeAt >= pauseUntil) return consequence;
  return { kind: 'open_circuit', probeAt: pauseUntil };
}

export type FailureConsequence =
  | { kind: 'keep_sending' }
  | { kind: 'open_circuit'; probeAt: number }
  | { kind: 'disable'; reason: string };

/** What follows a failed attempt at `now`: nothing yet, the circuit (re)opened until the next probe, or disabling. */
export function afterFailure(endpoint: FailingEndpoint, now: number): FailureConsequence {
  if (endpoint.disableAfterSeconds !== null && now - endpoint.failingSince >= endpoint.disableAfterSeconds * 1000) {
    return {
      kind: 'disable',
      reason:
        `the endpoint has been failing since ${new Date(endpoint.failingSince).toISOString()} ` +
        `(${endpoint.consecutiveFailures} failed attempts in a row, longer than ${formatDuration(endpoint.disableAfterSeconds)})`,
    };
  }
  if (endpoint.consecutiveFailures >= endpoint.circuitFailures) {
    return { kind: 'open_circuit', probeAt: now + probeDelayMs(endpoint.consecutiveFailures, endpoint.circuitFailures) };
  }
  return { kind: 'keep_sending' };
}

function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} seconds`;
}
