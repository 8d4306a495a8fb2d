import { describe, expect, it } from 'vitest';
import { afterFailure, endpointVerdict, probeDelayMs, MAX_PROBE_DELAY_MS } from '../../src/core/endpoint-health.js';

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
