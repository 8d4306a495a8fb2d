// No secret value in any response, log line or stored attempt — even when the receiver echoes the request back, a
// delivery fails, is retried, or is redelivered by hand. The log is captured at level trace.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { bootstrapFirstAdmin, startServer, type RunningServer } from '../../src/server.js';
import { CHANNEL_RUNS } from '../../src/context.js';
import { Client, dropTestData, eventually, Receiver, testConfig } from '../helpers/index.js';
import { fireEvent, insertRuns, insertWebhookRow, pendingRun, runsOfEvent, teamId } from '../helpers/database.js';
import { createAutomation, createSecret, createWebhook, webhookAutomation } from '../helpers/automations.js';

const SIGNING_SECRET = 'sign-0b9f7e3c-very-secret';
const ACCESS_TOKEN = 'token-51d2aa90-very-secret';
const SECRET_VALUES = [SIGNING_SECRET, ACCESS_TOKEN];

let logText = '';
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logText += chunk.toString('utf8');
    done();
  },
});

const config = testConfig({ MODELYARD_LOG_LEVEL: 'trace', MODELYARD_RETRY_SCHEDULE: '0.05' });
let server: RunningServer;
let admin: Client;
const seen: unknown[] = [];
let echo: Receiver;

/** Every API answer of this file is kept and scanned at the end. */
async function call(method: 'get' | 'post', urlPath: string, body?: unknown) {
  const reply = method === 'get' ? await admin.get(urlPath) : await admin.post(urlPath, body);
  seen.push(reply.body);
  return reply;
}

beforeAll(async () => {
  server = await startServer(config, createLogger('trace', logStream), { role: 'all', ui: false });
  const first = await bootstrapFirstAdmin(server.ctx);
  admin = new Client(server.url!.replace('0.0.0.0', '127.0.0.1'), first!.apiKey);
  // Echoes the body and the credentials it was sent, the worst a receiver can do to the stored response excerpt.
  echo = await new Receiver((request, index) => ({
    status: index % 2 === 0 ? 500 : 200,
    headers: { 'x-echo-authorization': String(request.headers.authorization) },
    body: JSON.stringify({ got: request.body, authorization: request.headers.authorization }),
  })).start();
});

afterAll(async () => {
  await server.stop();
  await echo.close();
  await dropTestData(config);
});

describe('secret values', () => {
  it('appear only in the outgoing requests', async () => {
    await call('post', '/api/v1/teams', { name: 'vault' });
    const id = await teamId(admin, 'vault');
    await createSecret(admin, 'vault', 'SIGNING_KEY', SIGNING_SECRET);
    await createSecret(admin, 'vault', 'API_TOKEN', ACCESS_TOKEN);
    const webhookId = await createWebhook(admin, 'vault', { name: 'echo', url: echo.url(), secret: 'SIGNING_KEY', accessToken: 'API_TOKEN' });
    await createAutomation(admin, 'vault', webhookAutomation({ name: 'leaky', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"key": "${SIGNING_KEY}", "t": "${API_TOKEN}"}' }));

    const event = await fireEvent(server.ctx, { teamId: id });
    const [run] = await runsOfEvent(server.ctx, event.id);
    await eventually(async () => (await call('get', `/api/v1/teams/vault/runs/${run!.id}`)).body.state === 'succeeded');
    // The receiver really got the values: the test would prove nothing otherwise.
    expect(echo.requests[0]!.body).toContain(SIGNING_SECRET);
    expect(echo.requests[0]!.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);

    const redelivered = await call('post', `/api/v1/teams/vault/runs/${run!.id}/redeliver`);
    expect(redelivered.status).toBe(200);

    // A run whose secret is missing at send time fails with an error naming it.
    const orphanHook = await insertWebhookRow(server.ctx, { team_id: id, url: echo.url(), secret_name: 'SIGNING_KEY', access_token_name: 'DELETED_TOKEN' });
    const orphan = pendingRun({ team_id: id, webhook_id: orphanHook, url: echo.url(), secret_name: 'SIGNING_KEY', access_token_name: 'DELETED_TOKEN' });
    await insertRuns(server.ctx, [orphan]);
    server.ctx.notifier.notify(CHANNEL_RUNS);
    await eventually(async () => (await call('get', `/api/v1/teams/vault/runs/${orphan.id}`)).body.state === 'failed');

    await call('get', '/api/v1/teams/vault/runs');
    await call('get', '/api/v1/teams/vault/secrets');
    await call('get', '/api/v1/teams/vault/webhooks');
    await call('get', `/api/v1/teams/vault/webhooks/${webhookId}`);
    await call('post', `/api/v1/teams/vault/webhooks/${webhookId}/test`, { payload: '{"probe": "${SIGNING_KEY}"}' });

    const stored = JSON.stringify([
      await server.ctx.db.selectFrom('delivery_attempts').selectAll().execute(),
      await server.ctx.db.selectFrom('action_runs').selectAll().execute(),
      await server.ctx.db.selectFrom('events').selectAll().execute(),
      await server.ctx.db.selectFrom('webhooks').selectAll().execute(),
    ]);
    const responses = JSON.stringify(seen);
    expect(stored).toContain('[redacted]');
    expect(logText.length).toBeGreaterThan(0);
    for (const value of SECRET_VALUES) {
      expect(stored, 'stored rows').not.toContain(value);
      expect(responses, 'API responses').not.toContain(value);
      expect(logText, 'log').not.toContain(value);
    }
  });
});
