// Round trips to PostgreSQL, counted — not timed: each statement a request sends is a round trip over the network to
// the database, and on a remote database they are what an API request's latency is made of. The pg client's query
// method is wrapped before the server opens its pools, so every statement of every connection is seen.
// (PostgreSQL only: on SQLite a statement is a function call.)
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunStore } from '../../src/delivery/store/index.js';
import { createTeamWithRoles, eventually, expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { insertRuns, pendingRun, spawnWorker, type WorkerProcess } from '../helpers/database.js';

/**
 * An authenticated alias move with one matching automation, including its commit and the wake-up of the workers —
 * issue 18's goal of 3. The read (the version with its aliases and checks, the alias's holder, whether a policy could
 * govern the model, the matching automations); the write, one statement outside any transaction, so it commits by
 * itself: the model's lock, the alias's compare-and-set, its history entry, the event and the runs rendered in between
 * (src/registry/alias-move.ts); the workers' NOTIFY (after the commit, folded into one under load). It was 13 with a
 * transaction around lock, read, writes and runs, then 7.
 */
const ALIAS_MOVE_BUDGET = 3;

const statements: string[] = [];
let counting = false;
const query = pg.Client.prototype.query;

let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (counting) statements.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  server = await startTestServer({ role: 'api' });
  receiver = await new Receiver().start();
});

afterAll(async () => {
  pg.Client.prototype.query = query;
  await receiver.close();
  await server.close();
});

/**
 * The statements sent while `work` runs. `untilNotified`: the change wakes the workers with a NOTIFY sent after its
 * commit, and the client may see the answer before the NOTIFY leaves: the count goes on until it has, so it is counted
 * with its own change and never with the next one.
 */
async function counted(work: () => Promise<unknown>, untilNotified = false): Promise<string[]> {
  statements.length = 0;
  counting = true;
  try {
    await work();
    if (untilNotified) await eventually(async () => statements.some((text) => text.includes('pg_notify')));
  } finally {
    counting = false;
  }
  return [...statements];
}

describe('an authenticated alias move with one automation', () => {
  it(`costs at most ${ALIAS_MOVE_BUDGET} round trips, none of them for authentication once the key is known`, async () => {
    const { team, admin, member } = await createTeamWithRoles(server);
    await seedRegistry(member, team, 2);
    const webhookId = await createWebhook(admin, team, { name: 'deploy', url: receiver.url() });
    await createAutomation(admin, team, webhookAutomation({ name: 'deploy', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"v":"${artifact_version_string}"}' }));
    const model = `/api/v1/teams/${team}/registry/models/classifier`;
    for (const source of ['training/resnet:v0', 'training/resnet:v1']) expectStatus(await member.post(`${model}/versions`, { source }), 201, 'linking');

    for (const version of ['v0', 'v1', 'v0']) {
      const sent = await counted(async () => expectStatus(await member.put(`${model}/aliases/production`, { version }), 200, 'moving the alias'), true);
      expect(sent.length, sent.join('\n')).toBeLessThanOrEqual(ALIAS_MOVE_BUDGET);
      expect(sent.filter((text) => /"api_keys"|"team_members"/.test(text)), 'authentication came from the access cache').toEqual([]);
      expect(sent.filter((text) => /insert into "action_runs"/.test(text))).toHaveLength(1);
    }
  });
});

describe("a delivery worker's batch", () => {
  it('is claimed in one statement (runs with their webhooks) and recorded in one when every attempt succeeded', async () => {
    const store = createRunStore({ db: server.ctx.workerDb, dialect: server.ctx.dialect, notifier: server.ctx.notifier, config: server.config });
    const { team, admin } = await createTeamWithRoles(server);
    const webhookId = await createWebhook(admin, team, { name: 'batch', url: receiver.url() });
    const teamRow = await server.ctx.db.selectFrom('teams').select('id').where('name', '=', team).executeTakeFirstOrThrow();
    await insertRuns(server.ctx, Array.from({ length: 20 }, () => pendingRun({ team_id: teamRow.id, webhook_id: webhookId })));

    await store.nextDueAt(); // opens the worker's connection (its one-time setup is not a batch's cost)
    let claimed: Awaited<ReturnType<typeof store.claimDue>> = [];
    const claim = await counted(async () => (claimed = await store.claimDue('round-trips', 50, 30_000)));
    expect(claim).toHaveLength(1);
    // These 20, and the alias moves' runs above (no worker runs in this process); all with their webhook's URL.
    expect(claimed.filter((run) => run.webhook_id === webhookId)).toHaveLength(20);
    expect(new Set(claimed.map((run) => run.webhook_url))).toEqual(new Set([receiver.url()]));

    const now = Date.now();
    const record = await counted(() =>
      store.record(
        'round-trips',
        claimed.map((run, i) => ({
          run,
          attempt: { id: `attempt-${now}-${i}`, run_id: run.id, team_id: run.team_id, number: 1, trigger: 'automatic', started_at: now, duration_ms: 1, url: run.webhook_url!, request_headers: '{}', status: 200, error: null, response_headers: '{}', response_body: '' },
          outcome: { state: 'succeeded', status: 200, attempts: 1 },
          disableWebhook: null,
          raiseFailure: false,
        })),
      ),
    );
    expect(record).toHaveLength(1);
  });
});

describe('a revoked API key', () => {
  let other: WorkerProcess | undefined;
  afterAll(async () => {
    await other?.kill();
  });

  it('is refused by every API process, not only the one that revoked it (NOTIFY empties their caches)', async () => {
    // The other process would trust its cache for an hour: only the NOTIFY can make it refuse the key.
    other = spawnWorker(server.config, { MODELYARD_ACCESS_CACHE_SECONDS: '3600' }, 'api');
    await other.ready;
    const otherUrl = other.url();
    const { member } = await createTeamWithRoles(server);
    const created = expectStatus(await member.post('/api/v1/api-keys', { name: 'short-lived' }), 201, 'creating a key');
    const key = created.body.key as string;
    const viaOther = (path: string) => fetch(`${otherUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect((await viaOther('/api/v1/me')).status).toBe(200);
    expect((await viaOther('/api/v1/me')).status).toBe(200); // now answered from the other process's cache
    expectStatus(await member.delete(`/api/v1/api-keys/${created.body.id}`), 204, 'revoking');
    await eventually(async () => (await viaOther('/api/v1/me')).status === 401);
  });
});
