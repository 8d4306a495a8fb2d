import { describe, expect, it } from 'vitest';
import { afterFailure, endpointVerdict, probeDelayMs, rateLimitPause, withPause, MAX_PROBE_DELAY_MS } from '../../src/core/endpoint-health.js';

const DAY = 24 * 3600 * 1000;
const t0 = Date.parse('2026-11-26T00:00:00Z');

describe('endpointVerdict', () => {
  it.each([
    [{ kind: 'answered', status: 200, error: null, retryAfter: null }, 'succeeded'],
    [{ kind: 'answered', status: 204, error: null, retryAfter: null }, 'succeeded'],
    [{ kind: 'answered', status: 301, error: null, retryAfter: null }, 'failed'],
    [{ kind: 'answered', status: 429, error: null, retryAfter: '5' }, 'failed'],
    [{ kind: 'answered', status: 500, error: null, retryAfter: null }, 'failed'],
    [{ kind: 'answered', status: null, error: 'timeout after 10000 ms', retryAfter: null }, 'failed'],
    [{ kind: 'refused', error: 'webhook disabled' }, null],
  ] as const)('%j → %s', (response, verdict) => {
    expect(endpointVerdict(response)).toBe(verdict);
  });
});

describe('probeDelayMs', () => {
  it('starts at 10 s when the circuit opens, doubles with each failed probe, and stops at 5 minutes', () => {
    expect([20, 21, 22, 23, 24, 25, 26, 1000].map((failures) => probeDelayMs(failures, 20))).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, MAX_PROBE_DELAY_MS,
    ]);
  });
});

describe('afterFailure', () => {
  const endpoint = { consecutiveFailures: 1, failingSince: t0, circuitFailures: 20, disableAfterSeconds: 3 * 24 * 3600 };
  it.each([
    ['below the threshold: keep sending', { consecutiveFailures: 19 }, t0 + 1000, { kind: 'keep_sending' }],
    ['at the threshold: open, first probe in 10 s', { consecutiveFailures: 20 }, t0 + 1000, { kind: 'open_circuit', probeAt: t0 + 11_000 }],
    ['beyond it: the probe backs off', { consecutiveFailures: 22 }, t0 + 1000, { kind: 'open_circuit', probeAt: t0 + 41_000 }],
    ['just under 3 days failing: still open', { consecutiveFailures: 900 }, t0 + 3 * DAY - 1, { kind: 'open_circuit', probeAt: t0 + 3 * DAY - 1 + 300_000 }],
    ['never disabled when disableAfterSeconds is null', { consecutiveFailures: 900, disableAfterSeconds: null }, t0 + 30 * DAY, { kind: 'open_circuit', probeAt: t0 + 30 * DAY + 300_000 }],
  ])('%s', (_name, changes, now, expected) => {
    expect(afterFailure({ ...endpoint, ...changes }, now)).toEqual(expected);
  });

  it('disables after failing for disableAfterSeconds, with a reason naming since when and how often', () => {
    expect(afterFailure({ ...endpoint, consecutiveFailures: 950 }, t0 + 3 * DAY)).toEqual({
      kind: 'disable',
      reason: 'the endpoint has been failing since 2026-11-26T00:00:00.000Z (950 failed attempts in a row, longer than 3 days)',
    });
    expect(afterFailure({ ...endpoint, disableAfterSeconds: 3600 }, t0 + 3600_000)).toMatchObject({ kind: 'disable', reason: expect.stringContaining('longer than 1 hour') });
    expect(afterFailure({ ...endpoint, disableAfterSeconds: 90 }, t0 + 90_000)).toMatchObject({ kind: 'disable', reason: expect.stringContaining('longer than 90 seconds') });
  });
});

describe('rateLimitPause and withPause', () => {
  const answered = (status: number, retryAfter: string | null) => ({ kind: 'answered' as const, status, error: null, retryAfter });
  it('pauses the endpoint for a 429 with Retry-After (seconds or a date), capped; nothing otherwise', () => {
    expect(rateLimitPause(answered(429, '30'), t0, 36_000_000)).toBe(t0 + 30_000);
    expect(rateLimitPause(answered(429, new Date(t0 + 120_000).toUTCString()), t0, 36_000_000)).toBe(t0 + 120_000);
    expect(rateLimitPause(answered(429, '86400'), t0, 3_600_000)).toBe(t0 + 3_600_000);
    expect(rateLimitPause(answered(429, null), t0, 36_000_000)).toBeNull();
    expect(rateLimitPause(answered(503, '30'), t0, 36_000_000)).toBeNull();
    expect(rateLimitPause({ kind: 'refused', error: 'x' }, t0, 36_000_000)).toBeNull();
  });
  it('holds the endpoint until the later of the pause and the next probe; disabling wins', () => {
    expect(withPause({ kind: 'keep_sending' }, t0 + 5)).toEqual({ kind: 'open_circuit', probeAt: t0 + 5 });
    expect(withPause({ kind: 'keep_sending' }, null)).toEqual({ kind: 'keep_sending' });
    expect(withPause({ kind: 'open_circuit', probeAt: t0 + 10 }, t0 + 5)).toEqual({ kind: 'open_circuit', probeAt: t0 + 10 });
    expect(withPause({ kind: 'open_circuit', probeAt: t0 + 10 }, t0 + 50)).toEqual({ kind: 'open_circuit', probeAt: t0 + 50 });
    expect(withPause({ kind: 'disable', reason: 'r' }, t0 + 50)).toEqual({ kind: 'disable', reason: 'r' });
  });
});
