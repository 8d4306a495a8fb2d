// Listen webhooks and the team event stream (src/api/routes/stream.ts, src/delivery/listen.ts): runs of a listen webhook
// are never sent by the worker; the stream sends each with the exact body and signed headers a webhook would get, in
// order; an acknowledgement finishes the run as a delivery would (succeeded, retried on the stream, failed); resuming
// with the last event id sends again what was not acknowledged and nothing that was; forwards copy an automation's runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDelivery } from '../../src/receiver/index.js';
import { readEventStream, type ServerEvent } from '../../src/cli/commands/listen.js';
import { createTeamWithRoles, eventually, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { createAutomation, createSecret, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { seedRegistry } from '../helpers/registry.js';

const team = 'listeners';
const SECRET = 'listen-s3cret';
let server: TestServer;
let admin: Client;
let member: Client;
const receiver = new Receiver();
const models = `/api/v1/teams/${team}/registry/models`;

/** A stream connection read in the background; events are collected as they come. */
class StreamClient {
  readonly events: ServerEvent[] = [];
  private readonly controller = new AbortController();
  private done: Promise<void> | undefined;
  status = 0;

  constructor(
    private readonly query: string,
    private readonly lastEventId?: string,
  ) {}

  async open(): Promise<this> {
    const response = await fetch(`${server.url}/api/v1/teams/${team}/stream${this.query}`, {
      headers: { authorization: `Bearer ${admin.apiKey}`, ...(this.lastEventId ? { 'last-event-id': this.lastEventId } : {}) },
      signal: this.controller.signal,
    });
    this.status = response.status;
    if (response.status !== 200) throw new Error(`stream: ${response.status} ${await response.text()}`);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    this.done = (async () => {
      try {
        for await (const event of readEventStream(response.body as unknown as AsyncIterable<Uint8Array>)) this.events.push(event);
      } catch {
        // Aborted by close().
      }
    })();
    await eventually(async () => this.events.some((e) => e.event === 'ready'));
    return this;
  }

  deliveries(): Array<{ id: string; runId: string; attempt: number; body: string; headers: Record<string, string>; forwardedFrom: string | null; version: string | null; eventType: string }> {
    return this.events.filter((e) => e.event === 'delivery').map((e) => ({ id: e.id!, ...JSON.parse(e.data) }));
  }

  get lastId(): string {
    return this.events.at(-1)!.id!;
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

async function link(source: string) {
  expectStatus(await admin.post(`${models}/classifier/versions`, { source }), 201, `linking ${source}`);
}

const ok = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"deployed":true}', durationMs: 12 };

beforeAll(async () => {
  server = await startTestServer({ env: { MODELYARD_RETRY_SCHEDULE: '0.2,0.2' } });
  await receiver.start();
  const roles = await createTeamWithRoles(server, team);
  admin = roles.admin;
  member = roles.member;
  await seedRegistry(admin, team, 8);
  await createSecret(admin, team, 'LISTEN_SIGNING', SECRET);
  expectStatus(await admin.post(`/api/v1/teams/${team}/webhooks`, { name: 'laptop', mode: 'listen', secret: 'LISTEN_SIGNING' }), 201, 'creating the listen webhook');
  const laptop = (await admin.get(`/api/v1/teams/${team}/webhooks`)).body.items.find((w: { name: string }) => w.name === 'laptop')!;
  await createAutomation(
    admin,
    team,
    webhookAutomation({ name: 'to laptop', eventType: 'LINK_ARTIFACT', webhookId: laptop.id, payload: '{"event":"${event_type}","version":"${artifact_version_string}"}' }),
  );
});

afterAll(async () => {
  await receiver.close();
  await server.close();
});

describe('listen webhooks', () => {
  it('have no URL; a URL on one, or none on a push webhook, is refused; they cannot be tested like a URL', async () => {
    const list = await admin.get(`/api/v1/teams/${team}/webhooks`);
    const laptop = list.body.items.find((w: { name: string }) => w.name === 'laptop')!;
    expect(laptop).toMatchObject({ mode: 'listen', secret: 'LISTEN_SIGNING' });
    expect(laptop).not.toHaveProperty('url');
    const withUrl = await admin.post(`/api/v1/teams/${team}/webhooks`, { name: 'both', mode: 'listen', url: receiver.url() });
    expect(withUrl.status).toBe(400);
    expect(withUrl.body.error.details.field).toBe('url');
    const noUrl = await admin.post(`/api/v1/teams/${team}/webhooks`, { name: 'neither' });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.error.message).toContain('listen');
    expect((await admin.patch(`/api/v1/teams/${team}/webhooks/${laptop.id}`, { url: receiver.url() })).status).toBe(400);
    expect((await admin.post(`/api/v1/teams/${team}/webhooks/${laptop.id}/test`, { payload: '{}' })).status).toBe(409);
  });
});

describe('the stream', () => {
  it('is for team admins, and refuses a push webhook and a cursor it did not send', async () => {
    const asMember = await fetch(`${server.url}/api/v1/teams/${team}/stream`, { headers: { authorization: `Bearer ${member.apiKey}` } });
    expect(asMember.status).toBe(403);
    await asMember.body?.cancel();
    const push = await createWebhook(admin, team, { name: 'pushy', url: receiver.url() });
    expect(push).toEqual(expect.any(String));
    expect((await admin.get(`/api/v1/teams/${team}/stream?webhook=pushy`)).status).toBe(400);
    expect((await admin.get(`/api/v1/teams/${team}/stream?webhook=nope`)).status).toBe(404);
    const bad = await admin.get(`/api/v1/teams/${team}/stream?cursor=../../etc`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('cursor');
  });

  it('sends each run with the exact signed body and headers, in order; the worker never sends them; an ack finishes the run', async () => {
    const stream = await new StreamClient('?webhook=laptop').open();
    await link('training/resnet:v0');
    await link('training/resnet:v1');
    await eventually(async () => stream.deliveries().length >= 2);
    const [first, second] = stream.deliveries();
    expect(first!.version).toBe('classifier:v0');
    expect(second!.version).toBe('classifier:v1');
    expect(JSON.parse(first!.body)).toEqual({ event: 'LINK_ARTIFACT', version: `${team}/model-registry/classifier:v0` });
    expect(first!.headers['webhook-id']).toBe(first!.runId);
    expect(first!.headers['X-Wandb-Signature']).toEqual(expect.any(String));
    const verified = verifyDelivery({ body: first!.body, headers: first!.headers, secret: SECRET });
    expect(verified).toMatchObject({ ok: true, scheme: 'standard-webhooks', id: first!.runId });
    expect(verifyDelivery({ body: first!.body, headers: { 'x-wandb-signature': first!.headers['X-Wandb-Signature'] }, secret: SECRET }).ok).toBe(true);

    // Sent, not acknowledged: pending with no attempt (the worker did not send it anywhere).
    const pending = await admin.get(`/api/v1/teams/${team}/runs/${first!.runId}`);
    expect(pending.body).toMatchObject({ state: 'pending', viaStream: true, attempts: [] });

    const acked = await admin.post(`/api/v1/teams/${team}/runs/${first!.runId}/ack`, { ...ok, headers: { 'content-type': 'application/json', echo: SECRET } });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ state: 'succeeded', attempts: 1, nextAttemptAt: null });
    const done = await admin.get(`/api/v1/teams/${team}/runs/${first!.runId}`);
    expect(done.body).toMatchObject({ state: 'succeeded', status: 200 });
    expect(done.body.attempts).toHaveLength(1);
    expect(done.body.attempts[0]).toMatchObject({ status: 200, responseBody: '{"deployed":true}', durationMs: 12, trigger: 'automatic' });
    expect(done.body.attempts[0].requestHeaders['webhook-signature']).toBe('[redacted]');
    expect(done.body.attempts[0].responseHeaders.echo).not.toContain(SECRET);
    // Acknowledged once only.
    expect((await admin.post(`/api/v1/teams/${team}/runs/${first!.runId}/ack`, ok)).status).toBe(409);
    expect((await admin.post(`/api/v1/teams/${team}/runs/${second!.runId}/ack`, ok)).body.state).toBe('succeeded');
    await stream.close();
  });

  it('sends a run whose local answer failed again after its retry delay, then fails it when no retry is left', async () => {
    const stream = await new StreamClient('?webhook=laptop').open();
    await link('training/resnet:v2');
    await eventually(async () => stream.deliveries().length >= 1);
    const runId = stream.deliveries()[0]!.runId;
    const failedAnswer = { status: 500, headers: {}, body: 'boom', durationMs: 3 };
    const retried = await admin.post(`/api/v1/teams/${team}/runs/${runId}/ack`, failedAnswer);
    expect(retried.body).toMatchObject({ state: 'pending', attempts: 1 });
    expect(retried.body.nextAttemptAt).toEqual(expect.any(String));
    await eventually(async () => stream.deliveries().filter((d) => d.runId === runId).length >= 2);
    expect(stream.deliveries().filter((d) => d.runId === runId).map((d) => d.attempt)).toEqual([1, 2]);
    await admin.post(`/api/v1/teams/${team}/runs/${runId}/ack`, failedAnswer);
    await eventually(async () => stream.deliveries().filter((d) => d.runId === runId).length >= 3);
    const last = await admin.post(`/api/v1/teams/${team}/runs/${runId}/ack`, { status: null, headers: {}, body: '', durationMs: 5, error: 'connection refused' });
    expect(last.body).toMatchObject({ state: 'failed', attempts: 3 });
    const run = await admin.get(`/api/v1/teams/${team}/runs/${runId}`);
    expect(run.body.attempts.map((a: { status: number | null }) => a.status)).toEqual([500, 500, null]);
    // Put back on the stream by the bulk redelivery, as a manual attempt.
    const since = new Date(Date.now() - 60_000).toISOString();
    expect((await member.post(`/api/v1/teams/${team}/runs/redeliver`, { since })).body.count).toBeGreaterThanOrEqual(1);
    await eventually(async () => stream.deliveries().filter((d) => d.runId === runId).length >= 4);
    expect((await admin.post(`/api/v1/teams/${team}/runs/${runId}/ack`, ok)).body.state).toBe('succeeded');
    expect((await member.post(`/api/v1/teams/${team}/runs/${runId}/redeliver`)).status).toBe(409);
    await stream.close();
  });

  it('resumed with the last event id, sends again at once what was not acknowledged, and nothing that was', async () => {
    const first = await new StreamClient('?webhook=laptop').open();
    await link('training/resnet:v3');
    await link('training/resnet:v4');
    await eventually(async () => first.deliveries().length >= 2);
    const [acked, unacked] = first.deliveries();
    await admin.post(`/api/v1/teams/${team}/runs/${acked!.runId}/ack`, ok);
    const lastId = first.lastId;
    await first.close();

    const resumed = await new StreamClient('?webhook=laptop', lastId).open();
    await eventually(async () => resumed.deliveries().length >= 1);
    expect(resumed.deliveries().map((d) => d.runId)).toEqual([unacked!.runId]);
    expect(resumed.deliveries()[0]!.body).toBe(unacked!.body);
    expect((await admin.post(`/api/v1/teams/${team}/runs/${unacked!.runId}/ack`, ok)).body.state).toBe('succeeded');
    await resumed.close();
    const again = await new StreamClient('?webhook=laptop', resumed.lastId).open();
    await link('training/resnet:v5');
    await eventually(async () => again.deliveries().length >= 1);
    expect(again.deliveries().map((d) => d.runId)).not.toContain(unacked!.runId);
    expect(again.deliveries().map((d) => d.runId)).not.toContain(acked!.runId);
    await admin.post(`/api/v1/teams/${team}/runs/${again.deliveries()[0]!.runId}/ack`, ok);
    await again.close();
  });

  it('notices a client that went away: what it held is sent to the next connection at once, without a cursor', async () => {
    const gone = await new StreamClient('?webhook=laptop').open();
    await link('training/resnet:v6');
    await eventually(async () => gone.deliveries().length >= 1);
    const held = gone.deliveries()[0]!;
    await gone.close();
    // Without a cursor the next connection would wait out the acknowledgement deadline (25 s here) if the server had
    // not ended the first connection (its loop, heartbeat and subscription) and given its deliveries back.
    const next = await new StreamClient('?webhook=laptop').open();
    await eventually(async () => next.deliveries().some((d) => d.runId === held.runId), 10_000);
    expect((await admin.post(`/api/v1/teams/${team}/runs/${held.runId}/ack`, ok)).body.state).toBe('succeeded');
    await next.close();
  });

  it("forwards copies of a push automation's runs while its real webhook still gets them", async () => {
    const webhookId = await createWebhook(admin, team, { name: 'production', url: receiver.url('/prod') });
    const automationId = await createAutomation(admin, team, webhookAutomation({ name: 'deploy', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"alias":"${alias}"}' }));
    expect((await admin.put(`/api/v1/teams/${team}/automations/${automationId}/forward`, { webhook: 'pushy' })).status).toBe(409);
    const forward = await admin.put(`/api/v1/teams/${team}/automations/${automationId}/forward`, { webhook: 'laptop' });
    expect(forward.status).toBe(200);
    expect(forward.body).toMatchObject({ automationId, webhook: 'laptop' });
    const stream = await new StreamClient('?webhook=laptop').open();
    expectStatus(await admin.put(`${models}/classifier/aliases/production`, { version: 'v0' }), 200, 'adding an alias');
    await receiver.waitFor(1);
    await eventually(async () => stream.deliveries().length >= 1);
    const copy = stream.deliveries()[0]!;
    expect(JSON.parse(copy.body)).toEqual({ alias: 'production' });
    expect(receiver.requests.at(-1)!.body).toBe(copy.body);
    expect(copy.forwardedFrom).toEqual(expect.any(String));
    expect(verifyDelivery({ body: copy.body, headers: copy.headers, secret: SECRET }).ok).toBe(true);
    await admin.post(`/api/v1/teams/${team}/runs/${copy.runId}/ack`, ok);
    const runs = await admin.get(`/api/v1/teams/${team}/automations/${automationId}/runs`);
    expect(runs.body.items.map((r: { forwardedFrom: string | null; viaStream: boolean; state: string }) => [r.viaStream, r.forwardedFrom === null, r.state]).sort()).toEqual([
      [false, true, 'succeeded'],
      [true, false, 'succeeded'],
    ]);
    expect((await admin.delete(`/api/v1/teams/${team}/automations/${automationId}/forward`)).status).toBe(204);
    expect((await admin.delete(`/api/v1/teams/${team}/automations/${automationId}/forward`)).status).toBe(404);
    await stream.close();
  });
});
