import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/db/index.js';
import { createRunQueue, finishRun, recordSucceeded, type RunQueue } from '../../src/delivery/run-queue.js';
import { dropTestData, testConfig } from '../helpers.js';
import { insertRuns, openTestDatabase, pendingRun, readRun } from './worker-fixtures.js';

let config: Config;
let first: DatabaseHandle;
let second: DatabaseHandle;
let queueA: RunQueue;
let queueB: RunQueue;

beforeAll(async () => {
  config = testConfig();
  first = await openTestDatabase(config);
  // Two queues over one handle stand in for two workers: on PostgreSQL the pool runs their claims on separate
  // connections at once; on SQLite a second in-process handle would block the thread (better-sqlite3 is synchronous),
  // so claims from separate processes are covered by the worker process tests instead.
  second = first;
  queueA = createRunQueue(first.db, first.dialect);
  queueB = createRunQueue(second.db, second.dialect);
});

afterAll(async () => {
  await first.close();
  await dropTestData(config);
});

beforeEach(async () => {
  await first.db.deleteFrom('action_runs').execute();
  await first.db.deleteFrom('delivery_attempts').execute();
});

describe('claimDueRuns', () => {
  it('claims only pending runs that are due, oldest due first, and leases them', async () => {
    const now = Date.now();
    const due = [pendingRun({ next_attempt_at: now - 2000 }), pendingRun({ next_attempt_at: now - 1000 })];
    const later = pendingRun({ next_attempt_at: now + 60_000 });
    const done = pendingRun({ state: 'succeeded', next_attempt_at: null });
    const job = pendingRun({ action_type: 'queue_job' });
    await insertRuns(first, [...due, later, done, job]);

    const claimed = await queueA.claimDueRuns('worker-a', 10, 30_000, now);
    expect(claimed.map((r) => r.id)).toEqual(due.map((r) => r.id));
    for (const { id } of claimed) {
      const run = await readRun(first, id);
      expect(run.lease_owner).toBe('worker-a');
      expect(run.lease_until).toBe(now + 30_000);
      // Due again exactly when the lease runs out, should this worker die.
      expect(run.next_attempt_at).toBe(now + 30_000);
    }
    expect(await queueB.claimDueRuns('worker-b', 10, 30_000, now)).toEqual([]);
    expect(await queueA.nextDueAt()).toBe(now + 30_000);
  });

  it('respects the batch limit', async () => {
    await insertRuns(first, Array.from({ length: 7 }, () => pendingRun()));
    expect(await queueA.claimDueRuns('worker-a', 5, 30_000)).toHaveLength(5);
    expect(await queueA.claimDueRuns('worker-a', 5, 30_000)).toHaveLength(2);
  });

  it('never hands the same run to two workers claiming at the same time', async () => {
    await insertRuns(first, Array.from({ length: 200 }, () => pendingRun()));
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? queueA : queueB).claimDueRuns(`worker-${i}`, 15, 30_000)),
    );
    const ids = claims.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(200);
  });

  it("takes over a run whose lease expired, and the old owner can no longer finish it", async () => {
    const run = pendingRun();
    await insertRuns(first, [run]);
    const now = Date.now();
    await queueA.claimDueRuns('worker-a', 1, 1000, now);
    expect(await queueB.claimDueRuns('worker-b', 1, 1000, now + 500)).toEqual([]);
    const takenOver = await queueB.claimDueRuns('worker-b', 1, 1000, now + 1001);
    expect(takenOver.map((r) => r.id)).toEqual([run.id]);

    const lateFinish = await first.db.transaction().execute((tx) => finishRun(tx, run.id, 'worker-a', { state: 'succeeded', status: 200, attempts: 1 }));
    expect(lateFinish).toBe(false);
    expect((await readRun(first, run.id)).state).toBe('pending');

    const finish = await second.db.transaction().execute((tx) => finishRun(tx, run.id, 'worker-b', { state: 'succeeded', status: 200, attempts: 1 }));
    expect(finish).toBe(true);
    const finished = await readRun(first, run.id);
    expect(finished).toMatchObject({ state: 'succeeded', last_status: 200, attempts: 1, lease_owner: null, lease_until: null, next_attempt_at: null });
    expect(finished.finished_at).not.toBeNull();
  });

  it('schedules a retry by moving next_attempt_at and clearing the lease', async () => {
    const run = pendingRun();
    await insertRuns(first, [run]);
    await queueA.claimDueRuns('worker-a', 1, 30_000);
    const retryAt = Date.now() + 5000;
    await first.db.transaction().execute((tx) =>
      finishRun(tx, run.id, 'worker-a', { state: 'pending', nextAttemptAt: retryAt, status: 503, error: 'the endpoint answered 503', attempts: 1 }),
    );
    expect(await readRun(first, run.id)).toMatchObject({ state: 'pending', next_attempt_at: retryAt, last_status: 503, lease_owner: null });
    expect(await queueA.claimDueRuns('worker-a', 1, 30_000)).toEqual([]);
    expect(await queueA.claimDueRuns('worker-a', 1, 30_000, retryAt)).toHaveLength(1);
  });
});

describe('recordSucceeded', () => {
  it('stores the attempts and finishes only the runs still leased to the recording worker', async () => {
    const webhook = pendingRun({ attempts: 2 });
    const noOp = pendingRun({ action_type: 'no_op', body: '' });
    const takenOver = pendingRun();
    await insertRuns(first, [webhook, noOp, takenOver]);
    await queueA.claimDueRuns('worker-a', 3, 30_000);
    await first.db.updateTable('action_runs').set({ lease_owner: 'worker-b' }).where('id', '=', takenOver.id).execute();

    const attempt = (runId: string, status: number) => ({
      id: `attempt-${runId}`,
      run_id: runId,
      team_id: 'team-1',
      number: 1,
      trigger: 'automatic' as const,
      started_at: Date.now(),
      duration_ms: 3,
      url: 'http://127.0.0.1:9/hook',
      request_headers: '{}',
      status,
      error: null,
      response_headers: '{}',
      response_body: 'ok',
    });
    const now = Date.now();
    await recordSucceeded(
      first.db,
      first.dialect,
      'worker-a',
      [attempt(webhook.id, 201), attempt(takenOver.id, 200)],
      [
        { id: webhook.id, status: 201, counted: true },
        { id: noOp.id, status: null, counted: false },
        { id: takenOver.id, status: 200, counted: true },
      ],
      now,
    );

    expect(await readRun(first, webhook.id)).toMatchObject({ state: 'succeeded', attempts: 3, last_status: 201, lease_owner: null, finished_at: now });
    expect(await readRun(first, noOp.id)).toMatchObject({ state: 'succeeded', attempts: 0, last_status: null, finished_at: now });
    // Another worker holds this run now: it is left to that worker, its attempt is history all the same.
    expect(await readRun(first, takenOver.id)).toMatchObject({ state: 'pending', lease_owner: 'worker-b' });
    const stored = await first.db.selectFrom('delivery_attempts').select(['run_id', 'status', 'response_body']).orderBy('run_id').execute();
    expect(stored).toEqual(
      [
        { run_id: webhook.id, status: 201, response_body: 'ok' },
        { run_id: takenOver.id, status: 200, response_body: 'ok' },
      ].sort((a, b) => (a.run_id < b.run_id ? -1 : 1)),
    );
  });
});

describe('release and claimRun', () => {
  it('releases unsent runs so any worker can claim them at once', async () => {
    const runs = [pendingRun(), pendingRun()];
    await insertRuns(first, runs);
    await queueA.claimDueRuns('worker-a', 2, 60_000);
    await queueA.release('worker-a', [runs[0]!.id]);
    const claimed = await queueB.claimDueRuns('worker-b', 2, 60_000);
    expect(claimed.map((r) => r.id)).toEqual([runs[0]!.id]);
  });

  it('claims one finished run for a manual attempt but not one under a live lease', async () => {
    const failed = pendingRun({ state: 'failed', next_attempt_at: null, team_id: 'team-x' });
    const busy = pendingRun({ team_id: 'team-x' });
    await insertRuns(first, [failed, busy]);
    await queueA.claimDueRuns('worker-a', 1, 60_000);
    expect(await queueB.claimRun(busy.id, 'team-x', 'manual', 60_000)).toBeUndefined();
    expect(await queueB.claimRun(failed.id, 'other-team', 'manual', 60_000)).toBeUndefined();
    const claimed = await queueB.claimRun(failed.id, 'team-x', 'manual', 60_000);
    expect(claimed).toMatchObject({ id: failed.id, state: 'failed', lease_owner: 'manual' });
  });
});
