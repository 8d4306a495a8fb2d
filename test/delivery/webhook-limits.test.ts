// Flood control per webhook (maxConcurrency, maxPerSecond) held across several delivery workers sharing one database:
// a real receiver on 127.0.0.1:0 holds requests open and counts what it sees at once and per second. Runs over a
// limit wait — every one is delivered, each with a single attempt — and a crashed holder's permit frees itself when
// its lease would have ended. On PostgreSQL the workers coordinate only through the database (the webhook's row lock
// and its permits); on SQLite through the one write lock.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_RUNS } from '../../src/context.js';
import { DeliveryWorker } from '../../src/delivery/worker.js';
import { createRunStore } from '../../src/delivery/store/index.js';
import { CONCURRENCY_RECHECK_MS } from '../../src/core/endpoint-limits.js';
import { eventually, expectStatus, startTestServer, type TestServer } from '../helpers/index.js';
import { insertRuns, pendingRun, teamId } from '../helpers/database.js';

/** Answers every request after `holdMs`, recording how many it held at once and when each arrived. */
class HoldingReceiver {
  inFlight = 0;
  maxInFlight = 0;
  readonly arrivals: number[] = [];
  readonly deliveries = new Map<string, number>();
  private readonly server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      this.arrivals.push(Date.now());
      const id = String(req.headers['webhook-id']);
      this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1);
      setTimeout(() => {
        this.inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, this.holdMs);
    });
  });
  constructor(private readonly holdMs: number) {}
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  /** The most requests that arrived within any one second. */
  busiestSecond(): number {
    const sorted = [...this.arrivals].sort((a, b) => a - b);
    return Math.max(0, ...sorted.map((t, i) => sorted.slice(i).filter((u) => u < t + 1000).length));
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let server: TestServer;
let team: string;
let teamUuid: string;
const receivers: HoldingReceiver[] = [];
let workers: DeliveryWorker[] = [];

beforeAll(async () => {
  // No worker in the server: each test starts the ones it needs, each with a lease owner of its own.
  server = await startTestServer({ role: 'api', env: { MODELYARD_WEBHOOK_TIMEOUT_MS: '3000', MODELYARD_DELIVERY_LEASE_MS: '2000' } });
  team = 'limits';
  expectStatus(await server.admin.post('/api/v1/teams', { name: team }), 201, 'creating the team');
  teamUuid = await teamId(server.admin, team);
});

afterEach(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  workers = [];
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await server.close();
});

async function receiver(holdMs: number): Promise<HoldingReceiver> {
  const started = await new HoldingReceiver(holdMs).start();
  receivers.push(started);
  return started;
}

async function webhook(name: string, url: string, limits: { maxConcurrency?: number | null; maxPerSecond?: number | null }): Promise<string> {
  const reply = expectStatus(await server.admin.post(`/api/v1/teams/${team}/webhooks`, { name, url, ...limits }), 201, `creating webhook ${name}`);
  return reply.body.id;
}

async function enqueue(webhookId: string, url: string, count: number): Promise<string[]> {
  const runs = Array.from({ length: count }, () => pendingRun({ team_id: teamUuid, webhook_id: webhookId, url }));
  await insertRuns(server.ctx, runs);
  server.ctx.notifier.notify(CHANNEL_RUNS);
  return runs.map((run) => String(run.id));
}

function startWorkers(count: number): void {
  for (let i = 0; i < count; i++) workers.push(new DeliveryWorker(server.ctx, { owner: `limits-worker-${i}-${Date.now()}`, concurrency: 8, pollIntervalMs: 200 }).start());
}

async function allSucceeded(ids: string[]) {
  return eventually(
    async () => {
      const runs = await server.ctx.db.selectFrom('action_runs').select(['id', 'state', 'attempts']).where('id', 'in', ids).execute();
      return runs.every((run) => run.state === 'succeeded') ? runs : undefined;
    },
    60_000,
    100,
  );
}

async function attemptCounts(ids: string[]): Promise<number[]> {
  const rows = await server.ctx.db.selectFrom('delivery_attempts').select('run_id').where('run_id', 'in', ids).execute();
  return ids.map((id) => rows.filter((row) => row.run_id === id).length);
}

describe('maxConcurrency', () => {
  it('never has more requests in flight at the endpoint than the limit across three workers; runs wait, each delivered with one attempt', async () => {
    const limited = await receiver(150);
    const unlimited = await receiver(150);
    const limitedId = await webhook('two-at-a-time', limited.url(), { maxConcurrency: 2 });
    const unlimitedId = await webhook('free', unlimited.url(), {});
    // Both webhooks' runs in the same batches: only the limited one's wait.
    const ids = await enqueue(limitedId, limited.url(), 24);
    const free = await enqueue(unlimitedId, unlimited.url(), 12);
    startWorkers(3);

    const runs = await allSucceeded([...ids, ...free]);
    expect(limited.maxInFlight).toBe(2);
    expect(unlimited.maxInFlight).toBeGreaterThan(2);
    // Waiting is not an attempt: one attempt and one request per run.
    expect(runs.map((run) => run.attempts)).toEqual(runs.map(() => 1));
    expect(await attemptCounts(ids)).toEqual(ids.map(() => 1));
    for (const id of ids) expect(limited.deliveries.get(id), `run ${id}`).toBe(1);
    // Every permit was released when its attempt was recorded (none waits for its lease to end).
    await eventually(async () => {
      const held = await server.ctx.db.selectFrom('webhook_permits').select('id').where('webhook_id', '=', limitedId).where('expires_at', '>', Date.now()).execute();
      return held.length === 0;
    });
    // The unlimited webhook never took a permit.
    expect(await server.ctx.db.selectFrom('webhook_permits').select('id').where('webhook_id', '=', unlimitedId).execute()).toEqual([]);
  });
});

describe('maxPerSecond', () => {
  it('sends at most the limit in any second at the endpoint across three workers, and delivers every run', async () => {
    const endpoint = await receiver(5);
    const id = await webhook('five-a-second', endpoint.url(), { maxPerSecond: 5 });
    const ids = await enqueue(id, endpoint.url(), 18);
    startWorkers(3);

    const runs = await allSucceeded(ids);
    expect(endpoint.arrivals).toHaveLength(18);
    // Grants are at most 5 in any second; a request may reach the receiver a few milliseconds after its grant, so a
    // window the receiver measures may catch one more at its edge — never a burst of the 18 that were due at once.
    expect(endpoint.busiestSecond()).toBeLessThanOrEqual(6);
    expect(runs.map((run) => run.attempts)).toEqual(runs.map(() => 1));
    expect(await attemptCounts(ids)).toEqual(ids.map(() => 1));
  });
});

describe('permits', () => {
  it("of a crashed holder expire with its lease; a released permit frees its slot at once", async () => {
    const endpoint = await receiver(1);
    const id = await webhook('one-at-a-time', endpoint.url(), { maxConcurrency: 1 });
    const store = createRunStore({ db: server.ctx.workerDb, dialect: server.ctx.dialect, notifier: server.ctx.notifier, config: server.config });
    const t = Date.now();
    const lease = 2000;

    // A worker takes the only slot and dies without recording: the slot is taken until its lease would end.
    expect(await store.acquirePermits(id, 'crashed', ['run-a'], t, t + lease)).toEqual({ granted: ['run-a'], waiting: [] });
    const refused = await store.acquirePermits(id, 'alive', ['run-b', 'run-c'], t + lease - 1, t + 2 * lease);
    expect(refused.granted).toEqual([]);
    expect(refused.waiting.map((w) => w.id)).toEqual(['run-b', 'run-c']);
    expect(refused.waiting[0]!.at).toBe(t + lease - 1 + CONCURRENCY_RECHECK_MS);
    expect(refused.waiting[1]!.at).toBeGreaterThan(refused.waiting[0]!.at);
    // At the lease's end the permit is gone.
    const taken = await store.acquirePermits(id, 'alive', ['run-b'], t + lease, t + 2 * lease);
    expect(taken.granted).toEqual(['run-b']);

    // Released (its attempt recorded): the next run goes at once, not at the lease's end. Releasing another
    // owner's permit does nothing.
    await store.releasePermits('someone-else', ['run-b'], t + lease + 1);
    expect((await store.acquirePermits(id, 'alive', ['run-c'], t + lease + 2, t + 3 * lease)).granted).toEqual([]);
    await store.releasePermits('alive', ['run-b'], t + lease + 3);
    expect((await store.acquirePermits(id, 'alive', ['run-c'], t + lease + 4, t + 3 * lease)).granted).toEqual(['run-c']);

    // Lifting the limit grants everything without counting.
    expectStatus(await server.admin.patch(`/api/v1/teams/${team}/webhooks/${id}`, { maxConcurrency: null }), 200, 'lifting the limit');
    expect((await store.acquirePermits(id, 'alive', ['run-d', 'run-e'], t + lease + 5, t + 3 * lease)).granted).toEqual(['run-d', 'run-e']);
  });

  it('do not hold back a manual redelivery (an operator asked for it)', async () => {
    const endpoint = await receiver(1);
    const id = await webhook('busy-endpoint', endpoint.url(), { maxConcurrency: 1 });
    // The only slot is held for a long time by another worker.
    const store = createRunStore({ db: server.ctx.workerDb, dialect: server.ctx.dialect, notifier: server.ctx.notifier, config: server.config });
    const now = Date.now();
    expect((await store.acquirePermits(id, 'long-holder', ['held-run'], now, now + 600_000)).granted).toEqual(['held-run']);
    const run = pendingRun({ team_id: teamUuid, webhook_id: id, url: endpoint.url(), state: 'failed', next_attempt_at: null, attempts: 3, finished_at: now });
    await insertRuns(server.ctx, [run]);
    const runId = String(run.id);
    const reply = expectStatus(await server.admin.post(`/api/v1/teams/${team}/runs/${runId}/redeliver`), 200, 'redelivering');
    expect(reply.body).toMatchObject({ status: 200, trigger: 'manual' });
    expect(endpoint.deliveries.get(runId)).toBe(1);
  });
});
