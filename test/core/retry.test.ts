import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../../src/config.js';
import { classifyResponse, nextRetryDelayMs, parseRetryAfter, retryAfterCeilingMs, type AttemptOutcome } from '../../src/core/retry.js';

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
  // [Retry-After, schedule, attempts so far, expected ms] with the jitter at its middle (the delay is the step).
  const retryAfter: Array<[string, number[], number, number]> = [
    ['1', [5], 1, 5_000], // sooner than the schedule: the schedule wins
    ['0', [5], 1, 5_000],
    ['7', [5, 300], 1, 7_000], // longer: honoured
    ['7', [5], 1, 5_000], // with 5 s the largest step, 5 s is the most it may ask for
    ['3600', DEFAULT_RETRY_SCHEDULE, 1, 3_600_000], // an hour, with a 10 h largest step: an hour, not 9 s
    ['36000', DEFAULT_RETRY_SCHEDULE, 1, 36_000_000], // exactly the largest step
    ['86400', DEFAULT_RETRY_SCHEDULE, 1, 36_000_000], // a day: capped at the largest step
    ['99999999', DEFAULT_RETRY_SCHEDULE, 3, 36_000_000],
    ['3600', [5, 300], 1, 300_000], // the ceiling is the largest step of this schedule, wherever it is
    ['60', [300, 5], 2, 60_000], // the largest step may come first
    ['Thu, 26 Nov 2026 14:00:08 GMT', [5, 300], 1, 8_000], // HTTP-date
    ['Thu, 26 Nov 2026 15:00:00 GMT', DEFAULT_RETRY_SCHEDULE, 1, 3_600_000], // an hour as an HTTP-date
    ['Fri, 27 Nov 2026 14:00:00 GMT', DEFAULT_RETRY_SCHEDULE, 1, 36_000_000], // a day as an HTTP-date: capped
    ['Thu, 26 Nov 2026 13:00:00 GMT', [5], 1, 5_000], // in the past: the schedule
    ['garbage', [5], 1, 5_000],
    ['', DEFAULT_RETRY_SCHEDULE, 1, 5_000],
  ];
  it.each(retryAfter)('honours Retry-After %j up to the largest step of %j (after %s attempts) → %s ms', (value, schedule, attempts, expected) => {
    expect(nextRetryDelayMs(attempts, schedule, { retryAfter: value, random: middle, now })).toBe(expected);
  });

  it('never waits less than the jittered delay, even when it exceeds the ceiling', () => {
    // The largest step jittered up by 20 %: Retry-After cannot shorten it.
    expect(nextRetryDelayMs(1, [10], { retryAfter: '11', random: () => 0.999999, now })).toBe(12_000);
    expect(nextRetryDelayMs(1, [10], { retryAfter: '3600', random: () => 0.999999, now })).toBe(12_000);
    expect(nextRetryDelayMs(1, [10], { retryAfter: '3600', random: () => 0, now })).toBe(10_000);
  });

  it('the ceiling is the largest step', () => {
    expect(retryAfterCeilingMs(DEFAULT_RETRY_SCHEDULE)).toBe(36_000_000);
    expect(retryAfterCeilingMs([300, 5])).toBe(300_000);
    expect(retryAfterCeilingMs([])).toBe(0);
  });
});
