import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/db/index.js';
import { createRunStore, type RecordedAttempt, type RunOutcome, type RunStore } from '../../src/delivery/store/index.js';
import { dropTestData, testConfig } from '../helpers/index.js';
import { insertRuns, openTestDatabase, pendingRun, readRun } from '../helpers/database.js';

let config: Config;
let first: DatabaseHandle;
let second: DatabaseHandle;
let queueA: RunStore;
let queueB: RunStore;

beforeAll(async () => {
  config = testConfig();
  first = await openTestDatabase(config);
  // Two queues over one handle stand in for two workers: on PostgreSQL the pool runs their claims on separate
  // connections at once; on SQLite a second in-process handle would block the thread (better-sqlite3 is synchronous),
  // so claims from separate processes are covered by the worker process tests instead.
  second = first;
  queueA = createRunStore({ ...first, config });
  queueB = createRunStore({ ...second, config });
});

afterAll(async () => {
  await first.close();
  await dropTestData(config);
});

beforeEach(async () => {
  await first.db.deleteFrom('action_runs').execute();
  await first.db.deleteFrom('delivery_attempts').execute();
  await first.db.deleteFrom('webhooks').execute();
});

/** A webhook row of team-1 (runs of pendingRun() point at none unless given one). */
async function insertWebhook(fields: { id?: string; url?: string; secret_name?: string | null; disabled_at?: number | null } = {}): Promise<string> {
  const id = fields.id ?? `webhook-${Math.random().toString(36).slice(2)}`;
  await first.db
    .insertInto('webhooks')
    .values({
      id,
      team_id: 'team-1',
      name: id,
      url: fields.url ?? 'http://127.0.0.1:9/now',
      secret_name: fields.secret_name ?? null,
      access_token_name: null,
      disabled_at: fields.disabled_at ?? null,
      disabled_reason: fields.disabled_at ? 'disabled by alice' : null,
      created_by: 'alice',
      created_at: Date.now(),
      updated_at: Date.now(),
    })
    .execute();
  return id;
}

function attemptRow(runId: string, status: number | null) {
  return {
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
  };
}

function recorded(run: { id: string; event_id: string; automation_id: string; automation_name: string }, outcome: RunOutcome, extra: Partial<RecordedAttempt> = {}): RecordedAttempt {
  return {
    run: { ...run, team_id: 'team-1', webhook_id: null },
    attempt: attemptRow(run.id, outcome.status),
    outcome,
    disableWebhook: null,
    raiseFailure: false,
    ...extra,
  };
}

describe('claimDue', () => {
  it('claims only pending runs that are due, oldest due first, and leases them', async () => {
    const now = Date.now();
    const due = [pendingRun({ next_attempt_at: now - 2000 }), pendingRun({ next_attempt_at: now - 1000 })];
    const later = pendingRun({ next_attempt_at: now + 60_000 });
    const done = pendingRun({ state: 'succeeded', next_attempt_at: null });
    const job = pendingRun({ action_type: 'queue_job' });
    await insertRuns(first, [...due, later, done, job]);

    const claimed = await queueA.claimDue('worker-a', 10, 30_000, now);
    expect(claimed.map((r) => r.id)).toEqual(due.map((r) => r.id));
    for (const { id } of claimed) {
      const run = await readRun(first, id);
      expect(run.lease_owner).toBe('worker-a');
      expect(run.lease_until).toBe(now + 30_000);
      // Due again exactly when the lease runs out, should this worker die.
      expect(run.next_attempt_at).toBe(now + 30_000);
    }
    expect(await queueB.claimDue('worker-b', 10, 30_000, now)).toEqual([]);
    expect(await queueA.nextDueAt()).toBe(now + 30_000);
  });

  it('respects the batch limit', async () => {
    await insertRuns(first, Array.from({ length: 7 }, () => pendingRun()));
    expect(await queueA.claimDue('worker-a', 5, 30_000)).toHaveLength(5);
    expect(await queueA.claimDue('worker-a', 5, 30_000)).toHaveLength(2);
  });

  it('never hands the same run to two workers claiming at the same time', async () => {
    await insertRuns(first, Array.from({ length: 200 }, () => pendingRun()));
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? queueA : queueB).claimDue(`worker-${i}`, 15, 30_000)),
    );
    const ids = claims.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(200);
  });

  it("takes over a run whose lease expired, and the old owner can no longer finish it (both the all-succeeded and the mixed path)", async () => {
    for (const failing of [false, true]) {
      const run = pendingRun();
      await insertRuns(first, [run]);
      const now = Date.now();
      await queueA.claimDue('worker-a', 1, 1000, now);
      expect(await queueB.claimDue('worker-b', 1, 1000, now + 500)).toEqual([]);
      const takenOver = await queueB.claimDue('worker-b', 1, 1000, now + 1001);
      expect(takenOver.map((r) => r.id)).toEqual([run.id]);

      const late: RunOutcome = failing ? { state: 'failed', status: 400, error: 'HTTP 400', attempts: 1 } : { state: 'succeeded', status: 200, attempts: 1 };
      await queueA.record('worker-a', [{ ...recorded(run, late), raiseFailure: failing }]);
      expect((await readRun(first, run.id)).state).toBe('pending');
      // No AUTOMATION_FAILED for a run the recorder no longer holds.
      expect(await first.db.selectFrom('events').select('id').where('type', '=', 'AUTOMATION_FAILED').execute()).toEqual([]);

      await queueB.record('worker-b', [{ ...recorded(run, { state: 'succeeded', status: 200, attempts: 1 }), attempt: { ...attemptRow(run.id, 200), id: `second-${run.id}` } }]);
      const finished = await readRun(first, run.id);
      expect(finished).toMatchObject({ state: 'succeeded', last_status: 200, attempts: 1, lease_owner: null, lease_until: null, next_attempt_at: null });
      expect(finished.finished_at).not.toBeNull();
    }
  });

  it('schedules a retry by moving next_attempt_at and clearing the lease', async () => {
    const run = pendingRun();
    await insertRuns(first, [run]);
    await queueA.claimDue('worker-a', 1, 30_000);
    const retryAt = Date.now() + 5000;
    await queueA.record('worker-a', [recorded(run, { state: 'pending', nextAttemptAt: retryAt, status: 503, error: 'the endpoint answered 503', attempts: 1 })]);
    expect(await readRun(first, run.id)).toMatchObject({ state: 'pending', next_attempt_at: retryAt, last_status: 503, last_error: 'the endpoint answered 503', lease_owner: null, finished_at: null });
    expect(await queueA.claimDue('worker-a', 1, 30_000)).toEqual([]);
    expect(await queueA.claimDue('worker-a', 1, 30_000, retryAt)).toHaveLength(1);
  });

  it("reads the run's webhook as it is at the claim: URL, secrets, disabled; null URL when it was deleted", async () => {
    await first.db.deleteFrom('secrets').execute();
    const hook = await insertWebhook({ url: 'http://127.0.0.1:9/first' });
    const disabled = await insertWebhook({ disabled_at: Date.now() });
    const runs = [pendingRun({ webhook_id: hook }), pendingRun({ webhook_id: disabled }), pendingRun({ webhook_id: 'deleted-webhook' })];
    await insertRuns(first, runs);
    await first.db.updateTable('webhooks').set({ url: 'http://127.0.0.1:9/changed', secret_name: 'SIGNING' }).where('id', '=', hook).execute();
    await first.db
      .insertInto('secrets')
      .values({ id: 'secret-1', team_id: 'team-1', name: 'SIGNING', ciphertext: 'ciphertext-1', created_by: 'alice', created_at: Date.now(), updated_by: 'alice', updated_at: Date.now() })
      .execute();
    const claimed = await queueA.claimDue('worker-a', 3, 30_000);
    expect(claimed.map(({ webhook_url, webhook_secret_name, signing_ciphertext, webhook_disabled_at }) => ({ webhook_url, webhook_secret_name, signing_ciphertext, disabled: webhook_disabled_at !== null }))).toEqual([
      { webhook_url: 'http://127.0.0.1:9/changed', webhook_secret_name: 'SIGNING', signing_ciphertext: 'ciphertext-1', disabled: false },
      { webhook_url: 'http://127.0.0.1:9/now', webhook_secret_name: null, signing_ciphertext: null, disabled: true },
      { webhook_url: null, webhook_secret_name: null, signing_ciphertext: null, disabled: false },
    ]);
  });
});

describe('record', () => {
  it('stores the attempts and finishes only the runs still leased to the recording worker (all succeeded: one statement on PostgreSQL)', async () => {
    const webhook = pendingRun({ attempts: 2 });
    const other = pendingRun();
    const takenOver = pendingRun();
    await insertRuns(first, [webhook, other, takenOver]);
    await queueA.claimDue('worker-a', 3, 30_000);
    await first.db.updateTable('action_runs').set({ lease_owner: 'worker-b' }).where('id', '=', takenOver.id).execute();

    const now = Date.now();
    await queueA.record(
      'worker-a',
      [
        recorded(webhook, { state: 'succeeded', status: 201, attempts: 3 }),
        recorded(other, { state: 'succeeded', status: 200, attempts: 1 }),
        recorded(takenOver, { state: 'succeeded', status: 200, attempts: 1 }),
      ],
      now,
    );

    expect(await readRun(first, webhook.id)).toMatchObject({ state: 'succeeded', attempts: 3, last_status: 201, last_error: null, lease_owner: null, next_attempt_at: null, manual_redelivery: 0, finished_at: now });
    expect(await readRun(first, other.id)).toMatchObject({ state: 'succeeded', attempts: 1, last_status: 200, finished_at: now });
    // Another worker holds this run now: it is left to that worker, its attempt is history all the same.
    expect(await readRun(first, takenOver.id)).toMatchObject({ state: 'pending', lease_owner: 'worker-b' });
    const stored = await first.db.selectFrom('delivery_attempts').select(['run_id', 'status', 'response_body']).orderBy('run_id').execute();
    expect(stored).toEqual(
      [
        { run_id: webhook.id, status: 201, response_body: 'ok' },
        { run_id: other.id, status: 200, response_body: 'ok' },
        { run_id: takenOver.id, status: 200, response_body: 'ok' },
      ].sort((a, b) => (a.run_id < b.run_id ? -1 : 1)),
    );
  });

  it('writes a mixed batch: failed runs raise AUTOMATION_FAILED when asked, a 410 disables the webhook', async () => {
    const hook = await insertWebhook();
    const ok = pendingRun();
    const gone = pendingRun({ webhook_id: hook });
    const quiet = pendingRun();
    await insertRuns(first, [ok, gone, quiet]);
    await queueA.claimDue('worker-a', 3, 30_000);
    const now = Date.now();
    await queueA.record(
      'worker-a',
      [
        recorded(ok, { state: 'succeeded', status: 200, attempts: 1 }),
        { ...recorded(gone, { state: 'failed', status: 410, error: 'gone', attempts: 1 }), run: { ...gone, team_id: 'team-1', webhook_id: hook }, disableWebhook: 'gone', raiseFailure: true },
        recorded(quiet, { state: 'failed', status: 400, error: 'HTTP 400', attempts: 1 }),
      ],
      now,
    );
    expect(await readRun(first, ok.id)).toMatchObject({ state: 'succeeded', last_status: 200 });
    expect(await readRun(first, gone.id)).toMatchObject({ state: 'failed', last_status: 410, last_error: 'gone', finished_at: now, lease_owner: null });
    expect(await readRun(first, quiet.id)).toMatchObject({ state: 'failed', last_error: 'HTTP 400' });
    expect(await first.db.selectFrom('webhooks').select(['disabled_at', 'disabled_reason']).where('id', '=', hook).executeTakeFirst()).toEqual({ disabled_at: now, disabled_reason: 'gone' });
    const failures = await first.db.selectFrom('events').select(['details']).where('type', '=', 'AUTOMATION_FAILED').execute();
    expect(failures.map((e) => JSON.parse(e.details).runId)).toEqual([gone.id]);
    await first.db.deleteFrom('events').execute();
  });
});

describe('release and claimOne', () => {
  it('releases unsent runs so any worker can claim them at once', async () => {
    const runs = [pendingRun(), pendingRun()];
    await insertRuns(first, runs);
    await queueA.claimDue('worker-a', 2, 60_000);
    await queueA.release('worker-a', [runs[0]!.id]);
    const claimed = await queueB.claimDue('worker-b', 2, 60_000);
    expect(claimed.map((r) => r.id)).toEqual([runs[0]!.id]);
  });

  it('claims one finished run for a manual attempt but not one under a live lease, of another team, or whose webhook is gone', async () => {
    const hook = await insertWebhook();
    const failed = pendingRun({ state: 'failed', next_attempt_at: null, team_id: 'team-x', webhook_id: hook });
    const busy = pendingRun({ team_id: 'team-x', webhook_id: hook });
    const orphan = pendingRun({ state: 'failed', next_attempt_at: null, team_id: 'team-x', webhook_id: 'deleted-webhook' });
    await insertRuns(first, [failed, busy, orphan]);
    await queueA.claimDue('worker-a', 1, 60_000);
    expect(await queueB.claimOne(busy.id, 'team-x', 'manual', 60_000)).toEqual({ kind: 'busy' });
    expect(await queueB.claimOne(failed.id, 'other-team', 'manual', 60_000)).toEqual({ kind: 'missing' });
    expect(await queueB.claimOne(orphan.id, 'team-x', 'manual', 60_000)).toEqual({ kind: 'webhook_deleted' });
    const claimed = await queueB.claimOne(failed.id, 'team-x', 'manual', 60_000);
    expect(claimed).toMatchObject({ kind: 'claimed', dueAt: null, run: { id: failed.id, state: 'failed', webhook_url: 'http://127.0.0.1:9/now' } });
    expect(await readRun(first, failed.id)).toMatchObject({ lease_owner: 'manual' });
  });
});
