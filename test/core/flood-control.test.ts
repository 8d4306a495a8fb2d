import { describe, expect, it } from 'vitest';
import { admitRun, type FloodState } from '../../src/core/flood-control.js';

const t0 = Date.parse('2026-11-26T12:00:00Z');
const fresh: FloodState = { windowStart: null, windowCount: 0, lastSentAt: null };

/** Admits runs at the given times in turn; returns which were admitted. */
function admitAll(limits: Parameters<typeof admitRun>[0], times: number[]): boolean[] {
  let state = fresh;
  return times.map((at) => {
    const admission = admitRun(limits, state, at);
    if (admission.admitted) state = admission.next;
    return admission.admitted;
  });
}

describe('admitRun', () => {
  it('admits everything without limits', () => {
    expect(admitAll({ rateLimit: null, cooldownSeconds: null }, [t0, t0, t0])).toEqual([true, true, true]);
  });

  it('rate limit: at most max per window; a new window starts at the first run after the last one ended', () => {
    const limits = { rateLimit: { max: 2, perSeconds: 60 }, cooldownSeconds: null };
    expect(admitAll(limits, [t0, t0 + 1, t0 + 2, t0 + 59_999, t0 + 60_000, t0 + 60_001, t0 + 60_002, t0 + 200_000])).toEqual([
      true, true, false, false, true, true, false, true,
    ]);
  });

  it('cooldown: later runs within the cooldown after an admitted run are skipped', () => {
    const limits = { rateLimit: null, cooldownSeconds: 300 };
    expect(admitAll(limits, [t0, t0 + 1000, t0 + 299_999, t0 + 300_000, t0 + 300_001])).toEqual([true, false, false, true, false]);
  });

  it('says why a run is skipped', () => {
    const cooled = admitRun({ rateLimit: null, cooldownSeconds: 300 }, { ...fresh, lastSentAt: t0 }, t0 + 1);
    expect(cooled).toEqual({ admitted: false, reason: 'skipped: cooldown of 300 s after the run at 2026-11-26T12:00:00.000Z' });
    const limited = admitRun({ rateLimit: { max: 1, perSeconds: 60 }, cooldownSeconds: null }, { windowStart: t0, windowCount: 1, lastSentAt: t0 }, t0 + 1);
    expect(limited).toEqual({
      admitted: false,
      reason: 'skipped: rate limit of 1 per 60 s reached (the next window starts at 2026-11-26T12:01:00.000Z)',
    });
  });
});
