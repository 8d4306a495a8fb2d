// The delivery worker has connections of its own on PostgreSQL (DatabaseHandle.workerDb): with every connection of
// the API's pool held by open transactions, runs are still claimed, sent and recorded. (SQLite has one connection
// and no pool; this file runs in the PostgreSQL project only.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHANNEL_RUNS } from '../../src/context.js';
import { eventually, Receiver, startTestServer, type TestServer } from '../helpers.js';
import { insertRuns, pendingRun, readRun } from './worker-fixtures.js';

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
    const run = pendingRun({ url: hook.url() });
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
