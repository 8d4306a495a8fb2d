// decideDelivery as a table (svix's calculate_retry_delay tests): attempt, response and schedule in, decision out.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../../src/config.js';
import { decideDelivery, type AttemptFacts, type AttemptResponse, type DeliveryDecision } from '../../src/core/delivery-decision.js';

const NOW = Date.UTC(2030, 0, 1);
const SCHEDULE = { delaysSeconds: [5, 300], now: NOW, random: () => 0.5 };
const automatic = (number: number, mayRaiseFailure = true): AttemptFacts => ({ number, trigger: 'automatic', mayRaiseFailure });
const manual = (number: number): AttemptFacts => ({ number, trigger: 'manual', mayRaiseFailure: true });
const answered = (status: number | null, extra: { error?: string; retryAfter?: string } = {}): AttemptResponse => ({
  kind: 'answered',
  status,
  error: extra.error ?? null,
  retryAfter: extra.retryAfter ?? null,
});
const failed = (reason: string, raiseFailure = true, disableWebhook = false): DeliveryDecision => ({ state: 'failed', reason, raiseFailure, disableWebhook });

const cases: Array<[string, AttemptFacts, AttemptResponse, DeliveryDecision]> = [
  ['2xx succeeds', automatic(1), answered(204), { state: 'succeeded' }],
  ['a manual 2xx succeeds', manual(4), answered(200), { state: 'succeeded' }],
  ['503 on the first attempt retries after schedule[0]', automatic(1), answered(503), { state: 'retry', at: NOW + 5_000, reason: 'HTTP 503' }],
  ['429 on the second attempt retries after schedule[1]', automatic(2), answered(429), { state: 'retry', at: NOW + 300_000, reason: 'HTTP 429' }],
  ['Retry-After longer than the delay is honoured', automatic(1), answered(503, { retryAfter: '8' }), { state: 'retry', at: NOW + 8_000, reason: 'HTTP 503' }],
  ['Retry-After is honoured up to the largest step', automatic(1), answered(503, { retryAfter: '120' }), { state: 'retry', at: NOW + 120_000, reason: 'HTTP 503' }],
  ['Retry-After beyond the largest step is capped at it', automatic(1), answered(503, { retryAfter: '3600' }), { state: 'retry', at: NOW + 300_000, reason: 'HTTP 503' }],
  ['Retry-After as an HTTP-date', automatic(1), answered(429, { retryAfter: new Date(NOW + 60_000).toUTCString() }), { state: 'retry', at: NOW + 60_000, reason: 'HTTP 429' }],
  ['Retry-After shorter than the delay does not hurry', automatic(1), answered(503, { retryAfter: '1' }), { state: 'retry', at: NOW + 5_000, reason: 'HTTP 503' }],
  ['no response retries with the error as reason', automatic(1), answered(null, { error: 'timeout after 300 ms' }), { state: 'retry', at: NOW + 5_000, reason: 'timeout after 300 ms' }],
  ['503 with the schedule exhausted fails and raises AUTOMATION_FAILED', automatic(3), answered(503), failed('HTTP 503 (no retries left after 3 attempts)')],
  ['a run triggered by AUTOMATION_FAILED fails quietly', automatic(3, false), answered(500), failed('HTTP 500 (no retries left after 3 attempts)', false)],
  ['400 fails at once', automatic(1), answered(400), failed('HTTP 400')],
  ['a redirect fails at once', automatic(1), answered(302), failed('HTTP 302: redirects are not followed; use the final URL')],
  ['410 fails and disables the webhook', automatic(1), answered(410), failed(`the endpoint answered 410 Gone at ${new Date(NOW).toISOString()}`, true, true)],
  ['a refused delivery fails at once, never retried', automatic(1), { kind: 'refused', error: 'secret X no longer exists' }, failed('secret X no longer exists')],
  ['a manual attempt is never retried and raises nothing', manual(1), answered(503), failed('HTTP 503', false)],
  ['a manual 410 still disables the webhook', manual(2), answered(410), failed(`the endpoint answered 410 Gone at ${new Date(NOW).toISOString()}`, false, true)],
];

describe('decideDelivery', () => {
  it.each(cases)('%s', (_name, attempt, response, expected) => {
    expect(decideDelivery(attempt, response, SCHEDULE)).toEqual(expected);
  });

  it('spreads retries by the jitter (±20 %)', () => {
    const at = (random: number) => (decideDelivery(automatic(1), answered(503), { ...SCHEDULE, random: () => random }) as { at: number }).at - NOW;
    expect([at(0), at(1)]).toEqual([4_000, 6_000]);
  });

  // The default schedule's largest step is 10 h: a receiver asking for an hour, in either form, waits an hour.
  const defaults = { delaysSeconds: DEFAULT_RETRY_SCHEDULE, now: NOW, random: () => 0.5 };
  const retryAfter: Array<[string, number]> = [
    ['3600', NOW + 3_600_000],
    [new Date(NOW + 3_600_000).toUTCString(), NOW + 3_600_000],
    ['86400', NOW + 36_000_000],
    [new Date(NOW + 86_400_000).toUTCString(), NOW + 36_000_000],
  ];
  it.each(retryAfter)('with the default schedule, Retry-After %j retries at %s', (value, at) => {
    expect(decideDelivery(automatic(1), answered(503, { retryAfter: value }), defaults)).toEqual({ state: 'retry', at, reason: 'HTTP 503' });
  });
});
