import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDelivery, hasSubject, subjectOf, usesSequence } from '../../src/core/delivery-order.js';
import { admitRun, type FloodState } from '../../src/core/flood-control.js';

describe('subjectOf', () => {
  it.each([
    ['ADD_ARTIFACT_ALIAS', 'm1', 'production', 'm1:production'],
    ['REMOVE_ARTIFACT_ALIAS', 'm1', 'staging', 'm1:staging'],
    ['LINK_ARTIFACT', 'm1', null, 'm1'],
    ['UNLINK_ARTIFACT', 'm1', null, 'm1'],
    ['ADD_ARTIFACT_ALIAS', null, 'production', null],
    ['ADD_ARTIFACT_ALIAS', 'm1', null, null],
    ['PROMOTION_APPROVED', 'm1', 'production', null],
    ['CHECK_COMPLETED', 'm1', null, null],
    ['CREATE_ARTIFACT', null, null, null],
    ['AUTOMATION_FAILED', 'm1', 'production', null],
  ])('%s of model %s, alias %s → %s', (type, model_id, alias, subject) => {
    expect(subjectOf({ type, model_id, alias })).toBe(subject);
    expect(hasSubject(type)).toBe(['ADD_ARTIFACT_ALIAS', 'REMOVE_ARTIFACT_ALIAS', 'LINK_ARTIFACT', 'UNLINK_ARTIFACT'].includes(type));
  });
});

describe('checkDelivery', () => {
  it('accepts the default and per_subject ordering of webhook runs of subject events', () => {
    expect(checkDelivery('CHECK_COMPLETED', 'queue_job', { order: 'none', supersede: false })).toEqual({ order: 'none', supersede: false });
    expect(checkDelivery('LINK_ARTIFACT', 'webhook', { order: 'per_subject', supersede: true })).toEqual({ order: 'per_subject', supersede: true });
  });

  it.each([
    ['LINK_ARTIFACT', 'webhook', { order: 'none', supersede: true }, 'delivery.supersede'],
    ['CHECK_COMPLETED', 'webhook', { order: 'per_subject', supersede: false }, 'delivery.order'],
    ['LINK_ARTIFACT', 'queue_job', { order: 'per_subject', supersede: false }, 'delivery.order'],
    ['LINK_ARTIFACT', 'no_op', { order: 'per_subject', supersede: true }, 'delivery.order'],
  ] as const)('refuses %s / %s / %j naming %s', (type, action, delivery, field) => {
    expect(() => checkDelivery(type, action, delivery)).toThrow(new RegExp(`^${field.replace('.', '\\.')}:`));
  });

  it('knows which templates read ${sequence}', () => {
    expect(usesSequence('{"s":"${sequence}"}')).toBe(true);
    expect(usesSequence('{"s":"${event_id}"}')).toBe(false);
  });
});

describe('cooldown folding', () => {
  const limits = { rateLimit: null, cooldownSeconds: 60 };
  const t0 = Date.parse('2026-12-03T09:00:00Z');

  it('admits events inside the cooldown due when it ends, and joins a fold already scheduled', () => {
    const first = admitRun(limits, { windowStart: null, windowCount: 0, lastSentAt: null }, t0, { fold: true });
    expect(first).toMatchObject({ admitted: true, dueAt: t0 });
    const state = (first as { next: FloodState }).next;
    const folded = admitRun(limits, state, t0 + 1000, { fold: true });
    expect(folded).toMatchObject({ admitted: true, dueAt: t0 + 60_000 });
    const joined = admitRun(limits, (folded as { next: FloodState }).next, t0 + 30_000, { fold: true });
    expect(joined).toMatchObject({ admitted: true, dueAt: t0 + 60_000 });
    // Without folding the same event is skipped.
    expect(admitRun(limits, state, t0 + 1000)).toMatchObject({ admitted: false });
  });

  it('never skips, never schedules in the past, and keeps deliveries at least a cooldown apart (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 120 }), (gaps, cooldownSeconds) => {
        let state: FloodState = { windowStart: null, windowCount: 0, lastSentAt: null };
        let now = t0;
        const dueTimes = new Set<number>();
        let lastDue = -Infinity;
        for (const gap of gaps) {
          now += gap;
          const admission = admitRun({ rateLimit: null, cooldownSeconds }, state, now, { fold: true });
          if (!admission.admitted) return false;
          if (admission.dueAt < now || admission.dueAt < lastDue) return false;
          lastDue = admission.dueAt;
          dueTimes.add(admission.dueAt);
          state = admission.next;
        }
        const sorted = [...dueTimes].sort((a, b) => a - b);
        return sorted.every((at, i) => i === 0 || at - sorted[i - 1]! >= cooldownSeconds * 1000);
      }),
    );
  });
});
