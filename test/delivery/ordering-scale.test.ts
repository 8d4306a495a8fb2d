// Ordered delivery under several workers on PostgreSQL: three delivery workers, each with connections of its own (as
// separate processes would have), 200 rapid alias flips over 5 models, and a receiver that answers some attempts 500
// (retries). Per subject, deliveries never overlap and never go back in sequence; with supersede, the last state of
// each subject is delivered last. SQLite has a single writer by design: vitest.config.ts runs this file in the
// postgres project only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/index.js';
import { newId } from '../../src/core/ids.js';
import { DeliveryWorker } from '../../src/delivery/worker.js';
import { createTeamWithRoles, eventually, startTestServer, type TestServer } from '../helpers/index.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { fireEvent, teamId } from '../helpers/database.js';

const ENV = { MODELYARD_RETRY_SCHEDULE: '0.05,0.1,0.2', MODELYARD_WEBHOOK_TIMEOUT_MS: '2000', MODELYARD_DELIVERY_LEASE_MS: '5000' };
const FLIPS = 200;
const MODELS = 5;
const PAYLOAD = '{"a":"${automation_name}","m":"${artifact_collection_name}","s":"${sequence}","v":"${artifact_version_index}"}';

interface Delivery {
  run: string;
  subject: string;
  sequence: number;
  version: number;
  status: number;
}

/**
 * Records every request by subject (automation and model) and answers after a few milliseconds: the first attempt of
 * every third sequence and the first two of every fifth get 500, so runs retry while later runs of their subject
 * wait. Counts a request that arrives while another of its subject is unanswered.
 */
class OrderReceiver {
  readonly deliveries: Delivery[] = [];
  overlaps = 0;
  private readonly open = new Map<string, number>();
  private readonly attempts = new Map<string, number>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { a: string; m: string; s: string; v: string };
      const run = String(req.headers['webhook-id']);
      const subject = `${body.a}/${body.m}`;
      if ((this.open.get(subject) ?? 0) > 0) this.overlaps++;
      this.open.set(subject, (this.open.get(subject) ?? 0) + 1);
      const attempt = (this.attempts.get(run) ?? 0) + 1;
      this.attempts.set(run, attempt);
      const sequence = Number(body.s);
      const status = (sequence % 3 === 0 && attempt === 1) || (sequence % 5 === 0 && attempt <= 2) ? 500 : 200;
      this.deliveries.push({ run, subject, sequence, version: Number(body.v), status });
      setTimeout(() => {
        this.open.set(subject, this.open.get(subject)! - 1);
        res.writeHead(status).end();
      }, 2);
    });
  });
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('ordered delivery with three workers on PostgreSQL', () => {
  let server: TestServer;
  let receiver: OrderReceiver;
  const handles: DatabaseHandle[] = [];
  const workers: DeliveryWorker[] = [];

  beforeAll(async () => {
    server = await startTestServer({ role: 'api', env: ENV });
    receiver = await new OrderReceiver().start();
    for (let i = 0; i < 3; i++) {
      // Each worker its own pools and LISTEN connection, as a worker process on another machine would have.
      const handle = createDatabase(server.config);
      handles.push(handle);
      // Kysely ends a pool only once it has used it; the notifier sends NOTIFYs through this one.
      await handle.db.selectFrom('teams').select('id').limit(1).execute();
      const ctx = { ...server.ctx, db: handle.db, workerDb: handle.workerDb, notifier: handle.notifier };
      workers.push(new DeliveryWorker(ctx, { owner: `worker-${i}`, concurrency: 8, pollIntervalMs: 200 }).start());
    }
  });

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    for (const handle of handles) await handle.close();
    await receiver.close();
    await server.close();
  });

  it('keeps per-subject order through retries, and delivers the last state of each subject last with supersede', async () => {
    const { admin } = await createTeamWithRoles(server, 'flips');
    const team = await teamId(admin, 'flips');
    const ordered = await createAutomation(admin, 'flips', {
      ...webhookAutomation({ name: 'ordered', eventType: 'ADD_ARTIFACT_ALIAS', webhookId: await createWebhook(admin, 'flips', { name: 'ordered', url: receiver.url('/ordered') }), payload: PAYLOAD }),
      delivery: { order: 'per_subject' },
    });
    const newest = await createAutomation(admin, 'flips', {
      ...webhookAutomation({ name: 'newest', eventType: 'ADD_ARTIFACT_ALIAS', webhookId: await createWebhook(admin, 'flips', { name: 'newest', url: receiver.url('/newest') }), payload: PAYLOAD }),
      delivery: { order: 'per_subject', supersede: true },
    });
    const models = Array.from({ length: MODELS }, (_, i) => ({ id: newId(), name: `model-${i}` }));

    // 200 flips of `production`, eight at a time, while the workers deliver.
    for (let i = 0; i < FLIPS; i += 8) {
      await Promise.all(
        Array.from({ length: 8 }, (_, j) => {
          const flip = i + j;
          const model = models[flip % MODELS]!;
          return fireEvent(server.ctx, { teamId: team, type: 'ADD_ARTIFACT_ALIAS', modelId: model.id, collection: model.name, alias: 'production', versionIndex: flip });
        }),
      );
    }

    const unfinished = () =>
      server.ctx.db.selectFrom('action_runs').select('id').where('automation_id', 'in', [ordered, newest]).where('state', '=', 'pending').execute();
    await eventually(async () => (await unfinished()).length === 0, 60_000, 100);

    const runs = await server.ctx.db
      .selectFrom('action_runs')
      .select(['id', 'automation_id', 'subject', 'sequence', 'state', 'body'])
      .where('automation_id', 'in', [ordered, newest])
      .execute();
    expect(runs).toHaveLength(2 * FLIPS);
    // The last state of each model: its newest run by sequence (the order key, taken under the subject's lock).
    const lastVersion = new Map<string, number>();
    for (const model of models) {
      const mine = runs.filter((r) => r.automation_id === newest && (JSON.parse(r.body) as { m: string }).m === model.name);
      const top = mine.reduce((a, b) => (b.sequence! > a.sequence! ? b : a));
      lastVersion.set(model.name, Number((JSON.parse(top.body) as { v: string }).v));
    }

    const stateOf = new Map(runs.map((r) => [r.id, r.state]));
    expect(receiver.deliveries.every((d) => stateOf.has(d.run))).toBe(true);
    // Never two requests of one subject at once.
    expect(receiver.overlaps).toBe(0);
    const bySubject = new Map<string, Delivery[]>();
    for (const delivery of receiver.deliveries) bySubject.set(delivery.subject, [...(bySubject.get(delivery.subject) ?? []), delivery]);
    expect([...bySubject.keys()].sort()).toEqual([...models.map((m) => `newest/${m.name}`), ...models.map((m) => `ordered/${m.name}`)].sort());
    for (const [subject, deliveries] of bySubject) {
      // Requests (retries included) never go back in sequence: a later run starts only once the previous one is done.
      const sequences = deliveries.map((d) => d.sequence);
      expect(sequences, subject).toEqual([...sequences].sort((a, b) => a - b));
      // First receipts strictly increasing.
      const firsts = deliveries.filter((d, i) => deliveries.findIndex((e) => e.run === d.run) === i).map((d) => d.sequence);
      for (let i = 1; i < firsts.length; i++) expect(firsts[i]!, subject).toBeGreaterThan(firsts[i - 1]!);
      // A run's last request is its 2xx: none ran out of retries (superseded runs aside: a newer one replaced their retry).
      const last = new Map<string, Delivery>();
      for (const d of deliveries) last.set(d.run, d);
      for (const d of last.values()) expect(d.status === 200 || stateOf.get(d.run) === 'superseded', `${subject} ${d.sequence}`).toBe(true);
    }

    for (const model of models) {
      // Without supersede every flip is delivered, in order.
      // (Once per run: delivery is at least once, and a run whose lease ran out on a loaded machine may come twice.)
      const all = [...new Map(bySubject.get(`ordered/${model.name}`)!.filter((d) => d.status === 200).map((d) => [d.run, d.sequence])).values()];
      expect(all).toEqual(Array.from({ length: FLIPS / MODELS }, (_, i) => i + 1));
      // With supersede the newest state of the subject is the last delivery, and it succeeded.
      const delivered = bySubject.get(`newest/${model.name}`)!;
      expect(delivered.at(-1)).toMatchObject({ sequence: FLIPS / MODELS, version: lastVersion.get(model.name), status: 200 });
    }
    const superseded = runs.filter((r) => r.automation_id === newest && r.state === 'superseded');
    expect(runs.filter((r) => r.automation_id === newest && r.state === 'succeeded').length + superseded.length).toBe(FLIPS);
    expect(runs.filter((r) => r.automation_id === ordered).every((r) => r.state === 'succeeded')).toBe(true);
    // The run was meaningful: retries held subjects back, and rapid flips superseded waiting runs.
    expect(receiver.deliveries.filter((d) => d.status === 500 && d.subject.startsWith('ordered/')).length).toBeGreaterThan(10);
    expect(superseded.length).toBeGreaterThan(0);
  });
});
