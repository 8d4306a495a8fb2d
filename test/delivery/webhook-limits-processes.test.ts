// Flood control across worker processes on PostgreSQL: two `modelyard serve --role worker` processes share one
// limited webhook's runs, and one is killed mid-flight. The endpoint never sees more requests at once than the limit;
// the killed worker's permits are not released by anyone — they expire with its leases — and then every run is
// delivered. SQLite has a single writer by design, so this is PostgreSQL's alone (vitest.config.ts), like
// scale-out.test.ts; the same limits with several workers in one process run on both databases in
// webhook-limits.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_RUNS } from '../../src/context.js';
import { eventually, startTestServer, type TestServer } from '../helpers/index.js';
import { insertRuns, insertWebhookRow, pendingRun, spawnWorker, type WorkerProcess } from '../helpers/database.js';

const WORKER_ENV = { MODELYARD_WEBHOOK_TIMEOUT_MS: '2000', MODELYARD_DELIVERY_LEASE_MS: '500', MODELYARD_WORKER_CONCURRENCY: '8' };
const RUNS = 30;
/** One at a time: while the killed worker's permit lives, no other request may reach the endpoint. */
const LIMIT = 1;

/** Holds each request 100 ms and records the most it held at once, and when each delivery arrived. */
class HoldingReceiver {
  inFlight = 0;
  maxInFlight = 0;
  readonly deliveries = new Map<string, number>();
  readonly arrivals: Array<{ id: string; at: number }> = [];
  private readonly server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const id = String(req.headers['webhook-id']);
      this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1);
      this.arrivals.push({ id, at: Date.now() });
      setTimeout(() => {
        this.inFlight--;
        res.writeHead(200).end();
      }, 100);
    });
  });
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  get total(): number {
    let sum = 0;
    for (const count of this.deliveries.values()) sum += count;
    return sum;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a limited webhook served by two worker processes on PostgreSQL', () => {
  let server: TestServer;
  let receiver: HoldingReceiver;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startTestServer({ role: 'api', env: WORKER_ENV });
    receiver = await new HoldingReceiver().start();
  });

  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await receiver.close();
    await server.close();
  });

  it('never exceeds maxConcurrency; a killed worker’s permits expire with its leases and every run is delivered', async () => {
    for (let i = 0; i < 2; i++) workers.push(spawnWorker(server.config, WORKER_ENV));
    await Promise.all(workers.map((worker) => worker.ready));
    const webhookId = await insertWebhookRow(server.ctx, { team_id: 'team-1', url: receiver.url() });
    await server.ctx.db.updateTable('webhooks').set({ max_concurrency: LIMIT }).where('id', '=', webhookId).execute();
    const runs = Array.from({ length: RUNS }, () => pendingRun({ webhook_id: webhookId, url: receiver.url() }));
    await insertRuns(server.ctx, runs);
    server.ctx.notifier.notify(CHANNEL_RUNS);
    const ids = runs.map((run) => String(run.id));

    // Kill the worker holding the permit while its request is in flight.
    const victim = await eventually(
      async () => {
        if (receiver.total < 6) return undefined;
        const held = await server.ctx.db.selectFrom('webhook_permits').select('owner').where('expires_at', '>', Date.now()).execute();
        return workers.find((worker) => held.some((permit) => permit.owner.includes(`:${worker.pid}:`)));
      },
      30_000,
      5,
    );
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    // Nobody releases a dead worker's permit: it lives until its lease would have ended.
    const orphaned = await server.ctx.db
      .selectFrom('webhook_permits')
      .select(['run_id', 'expires_at'])
      .where('owner', 'like', `%:${victim.pid}:%`)
      .where('expires_at', '>', killedAt)
      .execute();
    expect(orphaned).toHaveLength(1);
    const { run_id: orphanRun, expires_at: expiresAt } = orphaned[0]!;

    await eventually(
      async () => {
        const done = await server.ctx.db.selectFrom('action_runs').select('id').where('id', 'in', ids).where('state', '=', 'succeeded').execute();
        return done.length === ids.length;
      },
      60_000,
      200,
    );
    expect(receiver.maxInFlight).toBe(LIMIT);
    for (const id of ids) expect(receiver.deliveries.get(id) ?? 0, `run ${id}`).toBeGreaterThanOrEqual(1);
    // While the orphaned permit lived no other request went out; once it expired the survivor sent the rest.
    expect(receiver.arrivals.filter((a) => a.at > killedAt && a.at < expiresAt && a.id !== orphanRun)).toEqual([]);
    expect(receiver.arrivals.filter((a) => a.at >= expiresAt).length).toBeGreaterThan(0);
    // The survivor released every permit it took.
    const held = await server.ctx.db.selectFrom('webhook_permits').select('id').where('expires_at', '>', Date.now()).execute();
    expect(held).toEqual([]);
  });
});
