// The delivery worker has connections of its own on PostgreSQL (DatabaseHandle.workerDb): with every connection of
// the API's pool held by open transactions, runs are still claimed, sent and recorded; and on them the claim walks
// the due index whatever the table's statistics say. (SQLite has one connection and no pool; this file runs in the
// PostgreSQL project only.)
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHANNEL_RUNS } from '../../src/context.js';
import { eventually, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { insertRuns, insertWebhookRow, pendingRun, readRun } from '../helpers/database.js';

let server: TestServer;
let hook: Receiver;

beforeAll(async () => {
  server = await startTestServer();
  hook = await new Receiver().start();
});

afterAll(async () => {
  await server.close();
  await hook.close();
});

it('delivers while every connection of the API pool is held by a transaction', async () => {
  expect(server.ctx.workerDb).not.toBe(server.ctx.db);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held: Array<Promise<void>> = [];
  let open = 0;
  // More transactions than the pool has connections: the last ones wait for a connection, as API requests would.
  for (let i = 0; i < 12; i++) {
    held.push(
      server.ctx.db.transaction().execute(async (tx) => {
        await tx.selectFrom('teams').select('id').limit(1).execute();
        open += 1;
        await gate;
      }),
    );
  }
  try {
    await eventually(() => Promise.resolve(open === 10));
    const webhookId = await insertWebhookRow({ db: server.ctx.workerDb }, { team_id: 'team-1', url: hook.url() });
    const run = pendingRun({ webhook_id: webhookId, url: hook.url() });
    await insertRuns({ db: server.ctx.workerDb }, [run]);
    server.ctx.notifier.notify(CHANNEL_RUNS);
    const done = await eventually(async () => {
      const row = await readRun({ db: server.ctx.workerDb }, run.id);
      return row.state === 'succeeded' ? row : undefined;
    }, 10_000);
    expect(done).toMatchObject({ attempts: 1, last_status: 200 });
    expect(hook.requests).toHaveLength(1);
    // The API's transactions are all still open: the pool never lent the worker one of its connections.
    expect(open).toBe(10);
  } finally {
    release();
    await Promise.all(held);
  }
  expect(open).toBe(12);
});

it('claims by walking the due index, never by sorting every pending run, before the table was ever analyzed', async () => {
  // A fresh table the planner has no statistics for: its default estimates make "fetch all pending runs, then sort"
  // look cheap, and with a backlog that plan costs a claim milliseconds per thousand runs.
  await insertRuns({ db: server.ctx.workerDb }, Array.from({ length: 20_000 }, () => pendingRun({ url: hook.url(), next_attempt_at: Date.now() + 3_600_000 })));
  const claimPlan = (db: typeof server.ctx.db) =>
    sql<{ 'QUERY PLAN': string }>`explain select id from action_runs
      where state = 'pending' and next_attempt_at <= ${Date.now() + 7_200_000} and action_type = 'webhook'
      order by next_attempt_at limit 48 for update skip locked`
      .execute(db)
      .then((result) => result.rows.map((row) => row['QUERY PLAN']).join('\n'));
  const workerPlan = await claimPlan(server.ctx.workerDb);
  expect(workerPlan).toMatch(/Index Scan using action_runs_due/);
  expect(workerPlan).not.toMatch(/Sort/);
  // The setting is the worker's alone: the API's connections plan as PostgreSQL chooses.
  const setting = (db: typeof server.ctx.db) => sql<{ enable_sort: string }>`show enable_sort`.execute(db).then((r) => r.rows[0]!.enable_sort);
  expect(await setting(server.ctx.workerDb)).toBe('off');
  expect(await setting(server.ctx.db)).toBe('on');
  await server.ctx.workerDb.deleteFrom('action_runs').execute();
});
