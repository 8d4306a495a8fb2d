import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../../src/config.js';
import { classifyResponse, nextRetryDelayMs, parseRetryAfter, type AttemptOutcome } from '../../src/core/retry.js';

describe('classifyResponse', () => {
  const table: Array<[number | null, AttemptOutcome['kind']]> = [
    [200, 'success'],
    [201, 'success'],
    [202, 'success'],
    [204, 'success'],
    [299, 'success'],
    [null, 'retry'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [599, 'retry'],
    [410, 'gone'],
    [301, 'fail'],
    [302, 'fail'],
    [303, 'fail'],
    [307, 'fail'],
    [308, 'fail'],
    [400, 'fail'],
    [401, 'fail'],
    [403, 'fail'],
    [404, 'fail'],
    [409, 'fail'],
    [413, 'fail'],
    [422, 'fail'],
    [101, 'fail'],
  ];
  it.each(table)('status %s → %s', (status, kind) => {
    expect(classifyResponse(status).kind).toBe(kind);
  });

  it('carries the network error as the reason', () => {
    expect(classifyResponse(null, 'timed out after 10000 ms')).toEqual({ kind: 'retry', reason: 'timed out after 10000 ms' });
    expect(classifyResponse(302)).toMatchObject({ reason: expect.stringMatching(/redirects are not followed/) });
    expect(classifyResponse(410)).toMatchObject({ reason: expect.stringMatching(/410 Gone/) });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-26T14:00:00Z');
  const table: Array<[string | null | undefined, number | null]> = [
    ['120', 120_000],
    ['0', 0],
    [' 5 ', 5_000],
    ['Thu, 26 Nov 2026 14:01:00 GMT', 60_000],
    ['Thursday, 26-Nov-26 14:00:30 GMT', 30_000],
    ['Thu Nov 26 14:00:10 2026', 10_000],
    ['Thu, 26 Nov 2026 13:00:00 GMT', 0],
    ['-5', null],
    ['1.5', null],
    ['2026', 2_026_000],
    ['soon', null],
    ['', null],
    [null, null],
    [undefined, null],
    ['99999999999999999999', null],
  ];
  it.each(table)('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('nextRetryDelayMs', () => {
  const middle = () => 0.5;
  it('follows the schedule, one entry per failed attempt, then gives up', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempts) => nextRetryDelayMs(attempts, DEFAULT_RETRY_SCHEDULE, { random: middle }));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, null]);
    expect(nextRetryDelayMs(1, [], { random: middle })).toBeNull();
  });

  const jitter: Array<[number, number]> = [
    [0, 4_000],
    [0.25, 4_500],
    [0.5, 5_000],
    [0.75, 5_500],
    [0.999999, 6_000],
  ];
  it.each(jitter)('spreads the delay over ±20 %% (random %s → %s ms)', (value, expected) => {
    expect(nextRetryDelayMs(1, [5], { random: () => value })).toBe(expected);
  });

  it('stays within ±20 % with the real random source', () => {
    for (let i = 0; i < 1000; i += 1) {
      const delay = nextRetryDelayMs(2, [5, 300], {})!;
      expect(delay).toBeGreaterThanOrEqual(240_000);
      expect(delay).toBeLessThanOrEqual(360_000);
    }
  });

  const now = Date.parse('2026-11-26T14:00:00Z');
  const retryAfter: Array<[string, number]> = [
    ['1', 5_000], // sooner than the schedule: the schedule wins
    ['7', 7_000], // within [delay, 2 × delay]: honoured
    ['3600', 10_000], // longer: capped at 2 × delay
    ['Thu, 26 Nov 2026 14:00:08 GMT', 8_000],
    ['garbage', 5_000],
  ];
  it.each(retryAfter)('honours Retry-After %j within [delay, 2 × delay] → %s ms', (value, expected) => {
    expect(nextRetryDelayMs(1, [5], { retryAfter: value, random: middle, now })).toBe(expected);
  });
});
