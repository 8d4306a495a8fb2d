// A worker process killed with SIGKILL in the middle of a delivery loses nothing: its lease runs out and another
// worker process delivers the run (at-least-once, same delivery id).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { fireEvent, readRun, runsOfEvent, spawnWorker, teamId, type WorkerProcess } from '../helpers/database.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';

const WORKER_ENV = { MODELYARD_WEBHOOK_TIMEOUT_MS: '2000', MODELYARD_DELIVERY_LEASE_MS: '500', MODELYARD_RETRY_SCHEDULE: '0.05' };

let server: TestServer;
let receiver: Receiver;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // The API only: deliveries are made by the worker processes this file starts.
  server = await startTestServer({ role: 'api', env: WORKER_ENV });
  receiver = await new Receiver((_request, index) => (index === 0 ? { hang: true } : { status: 200 })).start();
});

afterAll(async () => {
  for (const worker of workers) await worker.kill();
  await receiver.close();
  await server.close();
});

describe('a worker process killed mid-delivery', () => {
  it('loses nothing: another worker delivers the run once the lease has expired', async () => {
    await server.admin.post('/api/v1/teams', { name: 'crash' });
    const id = await teamId(server.admin, 'crash');
    const webhookId = await createWebhook(server.admin, 'crash', { name: 'ci', url: receiver.url() });
    await createAutomation(server.admin, 'crash', webhookAutomation({ name: 'deploy', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"v": "${artifact_version_index}"}' }));

    const doomed = spawnWorker(server.config, WORKER_ENV);
    workers.push(doomed);
    await doomed.ready;
    const event = await fireEvent(server.ctx, { teamId: id, versionIndex: 7 });
    const [run] = await runsOfEvent(server.ctx, event.id);

    // The first request hangs at the receiver: the worker is now in the middle of the delivery.
    await receiver.waitFor(1);
    expect((await readRun(server.ctx, run!.id)).lease_owner).toContain(`:${doomed.pid}:`);
    await doomed.kill('SIGKILL');

    const rescuer = spawnWorker(server.config, WORKER_ENV);
    workers.push(rescuer);
    await rescuer.ready;
    const done = await eventually(async () => {
      const current = await readRun(server.ctx, run!.id);
      return current.state === 'succeeded' ? current : undefined;
    }, 20_000);
    expect(done.attempts).toBe(1);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([run!.id, run!.id]);
    expect(receiver.requests[1]!.body).toBe('{"v": "7"}');
  });

  it('stops gracefully on SIGTERM, finishing the delivery in flight', async () => {
    receiver.respondWith(() => ({ status: 200 }));
    const id = await teamId(server.admin, 'crash');
    const worker = spawnWorker(server.config, WORKER_ENV);
    workers.push(worker);
    await worker.ready;
    const before = receiver.requests.length;
    const event = await fireEvent(server.ctx, { teamId: id, versionIndex: 8 });
    const [run] = await runsOfEvent(server.ctx, event.id);
    await receiver.waitFor(before + 1);
    await worker.kill('SIGTERM');
    expect(worker.child.exitCode).toBe(0);
    expect((await readRun(server.ctx, run!.id)).state).toBe('succeeded');
  });
});
