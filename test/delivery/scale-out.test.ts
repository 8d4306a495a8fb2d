// Scale-out on PostgreSQL: worker processes share the runs (FOR UPDATE SKIP LOCKED, woken by LISTEN/NOTIFY). Three
// workers, one killed mid-flight: every run is delivered, duplicates only for runs that were in flight on the killed
// worker (at-least-once); with none killed, each run exactly once. SQLite has a single writer by design, so this
// test is PostgreSQL's alone.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_RUNS } from '../../src/context.js';
import { eventually, startTestServer, type TestServer } from '../helpers/index.js';
import { insertRuns, insertWebhookRow, pendingRun, spawnWorker, type WorkerProcess } from '../helpers/database.js';

const WORKER_ENV = { MODELYARD_WEBHOOK_TIMEOUT_MS: '2000', MODELYARD_DELIVERY_LEASE_MS: '500', MODELYARD_WORKER_CONCURRENCY: '16' };
const RUNS = 300;

/** Counts deliveries by delivery id; answers after a short delay so deliveries overlap across workers. */
class CountingReceiver {
  readonly deliveries = new Map<string, number>();
  total = 0;
  private readonly server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1);
      this.total++;
      setTimeout(() => res.writeHead(200).end(), 20);
    });
  });
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// Scale-out is a PostgreSQL deployment (FOR UPDATE SKIP LOCKED, LISTEN/NOTIFY): vitest.config.ts runs this file in
// the postgres project only.
describe('three worker processes on PostgreSQL', () => {
  let server: TestServer;
  let receiver: CountingReceiver;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startTestServer({ role: 'api', env: WORKER_ENV });
    receiver = await new CountingReceiver().start();
  });

  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await receiver.close();
    await server.close();
  });

  async function startWorker(): Promise<WorkerProcess> {
    const worker = spawnWorker(server.config, WORKER_ENV);
    workers.push(worker);
    await worker.ready;
    return worker;
  }

  async function enqueue(count: number): Promise<string[]> {
    const webhookId = await insertWebhookRow(server.ctx, { team_id: 'team-1', url: receiver.url() });
    const runs = Array.from({ length: count }, () => pendingRun({ webhook_id: webhookId, url: receiver.url() }));
    await insertRuns(server.ctx, runs);
    server.ctx.notifier.notify(CHANNEL_RUNS);
    return runs.map((r) => String(r.id));
  }

  async function allSucceeded(ids: string[]): Promise<void> {
    await eventually(async () => {
      const done = await server.ctx.db.selectFrom('action_runs').select('id').where('id', 'in', ids).where('state', '=', 'succeeded').execute();
      return done.length === ids.length;
    }, 60_000, 200);
  }

  it('delivers every run when one of three workers is killed mid-flight, duplicating only its in-flight runs', async () => {
    const [victim] = [await startWorker(), await startWorker(), await startWorker()];
    const ids = await enqueue(RUNS);
    await eventually(async () => receiver.total >= RUNS / 3, 30_000, 5);
    await victim!.kill('SIGKILL');
    const inFlightOnVictim = await server.ctx.db
      .selectFrom('action_runs')
      .select('id')
      .where('lease_owner', 'like', `%:${victim!.pid}:%`)
      .execute()
      .then((rows) => new Set(rows.map((r) => r.id)));

    await allSucceeded(ids);
    for (const id of ids) expect(receiver.deliveries.get(id) ?? 0, `run ${id}`).toBeGreaterThanOrEqual(1);
    const duplicated = ids.filter((id) => (receiver.deliveries.get(id) ?? 0) > 1);
    for (const id of duplicated) expect(inFlightOnVictim.has(id), `run ${id} delivered twice`).toBe(true);
    for (const id of duplicated) expect(receiver.deliveries.get(id)).toBe(2);
  });

  it('delivers each run exactly once when no worker dies', async () => {
    await startWorker();
    const ids = await enqueue(RUNS);
    await allSucceeded(ids);
    for (const id of ids) expect(receiver.deliveries.get(id), `run ${id}`).toBe(1);
  });
});
