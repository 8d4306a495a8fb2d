// Flood control per webhook, the pure part: how many claimed runs get a permit, and when the others are due again.
// The properties are checked against a simulated endpoint: whatever the arrivals, the answers and the clock, the
// requests in flight never exceed maxConcurrency, no one-second interval holds more than maxPerSecond grants, and
// waiting runs always get a turn in the future.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allotPermits, CONCURRENCY_RECHECK_MS, RATE_WINDOW_MS, type EndpointLimits } from '../../src/core/endpoint-limits.js';

const none = { inFlight: 0, recentGrants: [], queueUntil: null };

describe('allotPermits', () => {
  it('grants everything to an endpoint under its limits', () => {
    expect(allotPermits({ maxConcurrency: 5, maxPerSecond: null }, none, 3, 1000)).toEqual({ granted: 3, waitUntil: [], queueUntil: null });
    expect(allotPermits({ maxConcurrency: null, maxPerSecond: 10 }, { ...none, recentGrants: [500, 600] }, 8, 1000)).toMatchObject({ granted: 8 });
  });

  it('holds runs over maxConcurrency back for a short look again, spaced by the endpoint’s pace behind those already waiting', () => {
    const limits = { maxConcurrency: 2, maxPerSecond: null };
    const first = allotPermits(limits, { ...none, inFlight: 1 }, 4, 10_000);
    expect(first.granted).toBe(1);
    const step = CONCURRENCY_RECHECK_MS / 2;
    expect(first.waitUntil).toEqual([10_000 + CONCURRENCY_RECHECK_MS, 10_000 + CONCURRENCY_RECHECK_MS + step, 10_000 + CONCURRENCY_RECHECK_MS + 2 * step].map(Math.ceil));
    // The next batch waits behind them.
    const second = allotPermits(limits, { inFlight: 2, recentGrants: [], queueUntil: first.queueUntil }, 1, 10_001);
    expect(second).toMatchObject({ granted: 0, waitUntil: [first.queueUntil] });
    // A queue in the past says nothing.
    expect(allotPermits(limits, { inFlight: 2, recentGrants: [], queueUntil: 5 }, 1, 10_001).waitUntil).toEqual([10_001 + CONCURRENCY_RECHECK_MS]);
  });

  it('holds runs over maxPerSecond back until the grant that fills the window is a second old', () => {
    const limits = { maxConcurrency: null, maxPerSecond: 3 };
    const allotment = allotPermits(limits, { ...none, recentGrants: [9_400, 9_200] }, 4, 10_000);
    expect(allotment.granted).toBe(1);
    // The window now holds 9200, 9400, 10000: room again at 10200, then one turn per third of a second.
    expect(allotment.waitUntil).toEqual([10_200, 10_534, 10_867]);
    // Grants older than a second do not count.
    expect(allotPermits(limits, { ...none, recentGrants: [8_000, 9_000, 9_000] }, 1, 10_000).granted).toBe(1);
  });

  it('never lets a simulated endpoint exceed its limits, and every waiting run gets a later turn', () => {
    const limitsArb = fc
      .record({
        maxConcurrency: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
        maxPerSecond: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
      })
      .filter((l) => l.maxConcurrency !== null || l.maxPerSecond !== null);
    // Each step: time passes, some runs ask (a worker's batch), some requests in flight finish.
    const stepArb = fc.record({ advance: fc.integer({ min: 0, max: 400 }), wanted: fc.integer({ min: 0, max: 10 }), finish: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(limitsArb, fc.array(stepArb, { minLength: 1, maxLength: 80 }), (limits: EndpointLimits, steps) => {
        let now = 1_000_000;
        let inFlight = 0;
        const grants: number[] = [];
        let queueUntil: number | null = null;
        for (const step of steps) {
          now += step.advance;
          inFlight = Math.max(0, inFlight - step.finish);
          const allotment = allotPermits(limits, { inFlight, recentGrants: grants.filter((g) => g > now - RATE_WINDOW_MS), queueUntil }, step.wanted, now);
          expect(allotment.granted + allotment.waitUntil.length).toBe(step.wanted);
          for (let i = 0; i < allotment.granted; i++) grants.push(now);
          inFlight += allotment.granted;
          if (limits.maxConcurrency !== null) expect(inFlight).toBeLessThanOrEqual(limits.maxConcurrency);
          if (limits.maxPerSecond !== null) {
            for (const g of grants) expect(grants.filter((other) => other >= g && other < g + RATE_WINDOW_MS).length).toBeLessThanOrEqual(limits.maxPerSecond);
          }
          // Turns lie ahead, in order, within the queue the webhook keeps.
          for (const [i, at] of allotment.waitUntil.entries()) {
            expect(at).toBeGreaterThan(now);
            if (i > 0) expect(at).toBeGreaterThanOrEqual(allotment.waitUntil[i - 1]!);
            expect(at).toBeLessThanOrEqual(allotment.queueUntil!);
          }
          queueUntil = allotment.queueUntil;
          // Progress: an idle endpoint with nothing granted within the last second always grants something.
          if (step.wanted > 0 && inFlight === allotment.granted && !grants.slice(0, grants.length - allotment.granted).some((g) => g > now - RATE_WINDOW_MS)) {
            expect(allotment.granted).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
