// One stream served by two API servers on one PostgreSQL database. Each server has its own connection pools and its
// own LISTEN/NOTIFY connection — all that separates two API processes as far as the stream is concerned — so they run
// in this test's process instead of as children: a run created through server A wakes the stream open on server B
// (NOTIFY), is acknowledged through A, and a listener that moves from B to A with its last event id gets again exactly
// what it had not acknowledged. Scale-out is a PostgreSQL deployment: vitest.config.ts runs this file there only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { readEventStream, type ServerEvent } from '../../src/cli/commands/listen.js';
import { verifyDelivery } from '../../src/receiver/index.js';
import { Client, eventually, expectStatus, startTestServer, type TestServer } from '../helpers/index.js';
import { createAutomation, createSecret, webhookAutomation } from '../helpers/automations.js';
import { seedRegistry } from '../helpers/registry.js';

const team = 'scaled';
let serverA: TestServer;
let serverB: RunningServer;
let urlB: string;
let adminA: Client;

async function openStream(baseUrl: string, lastEventId?: string) {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/api/v1/teams/${team}/stream?webhook=laptop`, {
    headers: { authorization: `Bearer ${adminA.apiKey}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const events: ServerEvent[] = [];
  const reading = (async () => {
    try {
      for await (const event of readEventStream(response.body as unknown as AsyncIterable<Uint8Array>)) events.push(event);
    } catch {
      // Aborted.
    }
  })();
  await eventually(async () => events.some((e) => e.event === 'ready'));
  return {
    deliveries: () => events.filter((e) => e.event === 'delivery').map((e) => ({ id: e.id!, ...(JSON.parse(e.data) as { runId: string; body: string; headers: Record<string, string> }) })),
    lastId: () => events.at(-1)!.id!,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

beforeAll(async () => {
  // Server A also runs a delivery worker: it must leave the listen webhook's runs alone.
  serverA = await startTestServer({ role: 'all' });
  serverB = await startServer({ ...serverA.config }, createLogger('silent'), { role: 'api', ui: false });
  urlB = serverB.url!.replace('0.0.0.0', '127.0.0.1');
  const user = await serverA.admin.post('/api/v1/users', { name: 'scaled-admin', password: 'correct horse battery', apiKey: true });
  adminA = serverA.client(user.body.apiKey);
  expectStatus(await adminA.post('/api/v1/teams', { name: team }), 201, 'creating the team');
  await seedRegistry(adminA, team, 4);
  await createSecret(adminA, team, 'SIGNING', 'scaled-secret');
  const hook = expectStatus(await adminA.post(`/api/v1/teams/${team}/webhooks`, { name: 'laptop', mode: 'listen', secret: 'SIGNING' }), 201, 'listen webhook');
  await createAutomation(adminA, team, webhookAutomation({ name: 'to laptop', eventType: 'LINK_ARTIFACT', webhookId: hook.body.id, payload: '{"v":"${artifact_version_string}"}' }));
});

afterAll(async () => {
  await serverB.stop();
  await serverA.close();
});

const ack = (runId: string) => adminA.post(`/api/v1/teams/${team}/runs/${runId}/ack`, { status: 204, headers: {}, body: '', durationMs: 1 });

describe('two API servers on one database', () => {
  it("serve one stream: runs created on one reach the other's stream, acknowledgements go anywhere, a listener moves between them losing nothing", async () => {
    const onB = await openStream(urlB);
    for (const version of ['v0', 'v1', 'v2']) {
      expectStatus(await adminA.post(`/api/v1/teams/${team}/registry/models/classifier/versions`, { source: `training/resnet:${version}` }), 201, `linking ${version}`);
    }
    await eventually(async () => onB.deliveries().length >= 3);
    const sent = onB.deliveries();
    expect(sent.map((d) => JSON.parse(d.body).v)).toEqual(['v0', 'v1', 'v2'].map((v) => `${team}/model-registry/classifier:${v}`));
    for (const delivery of sent) expect(verifyDelivery({ body: delivery.body, headers: delivery.headers, secret: 'scaled-secret' }).ok).toBe(true);
    // The first acknowledged through A; the listener then moves to A with B's last event id.
    expect((await ack(sent[0]!.runId)).body.state).toBe('succeeded');
    const lastId = onB.lastId();
    await onB.close();
    const onA = await openStream(serverA.url, lastId);
    await eventually(async () => onA.deliveries().length >= 2);
    expect(onA.deliveries().map((d) => d.runId)).toEqual([sent[1]!.runId, sent[2]!.runId]);
    for (const delivery of onA.deliveries()) expect((await ack(delivery.runId)).body.state).toBe('succeeded');
    for (const delivery of sent) {
      const run = await adminA.get(`/api/v1/teams/${team}/runs/${delivery.runId}`);
      expect(run.body.state).toBe('succeeded');
      // One attempt each: the worker on A never sent them, and each was acknowledged once.
      expect(run.body.attempts).toHaveLength(1);
    }
    await onA.close();
  });
});
