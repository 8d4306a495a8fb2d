import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createTeamWithRoles, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { wandbSignature } from '../../src/core/signatures.js';
import { createAutomation, createSecret, createWebhook, roleStatuses } from '../helpers/automations.js';

let server: TestServer;
const receiver = new Receiver();
beforeAll(async () => {
  server = await startTestServer();
  await receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await server.close();
});

describe('webhooks API', () => {
  it('lets only admins manage webhooks: members and viewers get 403 (they may list names), outsiders 404', async () => {
    const roles = await createTeamWithRoles(server, 'wh-roles');
    const base = '/api/v1/teams/wh-roles/webhooks';
    const created: Record<string, string> = {};
    expect(
      await roleStatuses(roles, async (c, role) => {
        const reply = await c.post(base, { name: `hook-${role}`, url: receiver.url() });
        if (reply.status === 201) created[role] = reply.body.id;
        return reply;
      }),
    ).toEqual({ outsider: 404, viewer: 403, member: 403, admin: 201 });
    const id = created.admin!;
    // Reading is open to the team without the URL (test/api/role-matrix.test.ts checks what each role sees).
    expect(await roleStatuses(roles, (c) => c.get(base))).toEqual({ outsider: 404, viewer: 200, member: 200, admin: 200 });
    expect(await roleStatuses(roles, (c) => c.get(`${base}/${id}`))).toEqual({ outsider: 404, viewer: 200, member: 200, admin: 200 });
    expect(await roleStatuses(roles, (c) => c.patch(`${base}/${id}`, { name: 'renamed' }))).toEqual({
      outsider: 404,
      viewer: 403,
      member: 403,
      admin: 200,
    });
    expect(await roleStatuses(roles, (c) => c.post(`${base}/${id}/test`, { payload: '{"ping":true}' }))).toEqual({
      outsider: 404,
      viewer: 403,
      member: 403,
      admin: 200,
    });
    expect(await roleStatuses(roles, (c) => c.delete(`${base}/${id}`))).toEqual({ outsider: 404, viewer: 403, member: 403, admin: 204 });
  });

  it('creates, shows, lists and changes a webhook; secrets are referenced by name', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-crud');
    await createSecret(admin, 'wh-crud', 'SIGNING', 'sign-me');
    await createSecret(admin, 'wh-crud', 'TOKEN', 'tok');
    const created = await admin.post('/api/v1/teams/wh-crud/webhooks', { name: 'Deploy to prod', url: receiver.url('/deploy'), secret: 'SIGNING' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Deploy to prod',
      url: receiver.url('/deploy'),
      secret: 'SIGNING',
      accessToken: null,
      enabled: true,
      disabled: null,
    });
    const id = created.body.id;
    const patched = await admin.patch(`/api/v1/teams/wh-crud/webhooks/${id}`, { accessToken: 'TOKEN', url: receiver.url('/v2') });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ secret: 'SIGNING', accessToken: 'TOKEN', url: receiver.url('/v2') });
    const shown = await admin.get(`/api/v1/teams/wh-crud/webhooks/${id}`);
    expect(shown.body).toEqual(patched.body);
    const list = await admin.get('/api/v1/teams/wh-crud/webhooks');
    expect(list.body.items.map((w: { name: string }) => w.name)).toEqual(['Deploy to prod']);
    for (const reply of [created, patched, shown, list]) {
      expect(JSON.stringify(reply.body)).not.toContain('sign-me');
      expect(JSON.stringify(reply.body)).not.toContain('"tok"');
    }
    expect((await admin.get('/api/v1/teams/wh-crud/webhooks/not-an-id')).status).toBe(404);
  });

  it('refuses bad names, duplicate names, unsafe URLs and unknown secrets, naming the field', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-valid');
    const base = '/api/v1/teams/wh-valid/webhooks';
    for (const name of ['', 'x'.repeat(65), ' leading', 'trailing ', 'semi;colon', 'slash/name']) {
      const reply = await admin.post(base, { name, url: receiver.url() });
      expect(reply.status, JSON.stringify(name)).toBe(400);
      expect(reply.body.error.details.field).toBe('name');
    }
    for (const url of ['ftp://example.com/hook', 'http://localhost:8080/hook', 'https://api.localhost/x', 'http://10.0.0.5/hook', 'https://169.254.169.254/latest', 'https://[::1]/x', 'not a url', 'http://0x0a000001/x']) {
      const reply = await admin.post(base, { name: 'hook', url });
      expect(reply.status, url).toBe(400);
      expect(reply.body.error.details.field).toBe('url');
      expect(reply.body.error.message.length).toBeGreaterThan('url: '.length);
    }
    const unknownSecret = await admin.post(base, { name: 'hook', url: receiver.url(), secret: 'NOPE' });
    expect(unknownSecret.status).toBe(400);
    expect(unknownSecret.body.error.details.field).toBe('secret');
    const unknownToken = await admin.post(base, { name: 'hook', url: receiver.url(), accessToken: 'NOPE' });
    expect(unknownToken.status).toBe(400);
    expect(unknownToken.body.error.details.field).toBe('accessToken');
    const id = await createWebhook(admin, 'wh-valid', { name: 'hook', url: receiver.url() });
    expect((await admin.post(base, { name: 'hook', url: receiver.url() })).status).toBe(409);
    await createWebhook(admin, 'wh-valid', { name: 'other', url: receiver.url() });
    expect((await admin.patch(`${base}/${id}`, { name: 'other' })).status).toBe(409);
    const badPatch = await admin.patch(`${base}/${id}`, { url: 'http://localhost/x' });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.error.details.field).toBe('url');
  });

  it("never accepts another team's secret or shows another team's webhook", async () => {
    const a = await createTeamWithRoles(server, 'wh-ten-a');
    const b = await createTeamWithRoles(server, 'wh-ten-b');
    await createSecret(b.admin, 'wh-ten-b', 'B_ONLY', 'b-value');
    const reply = await a.admin.post('/api/v1/teams/wh-ten-a/webhooks', { name: 'steal', url: receiver.url(), secret: 'B_ONLY' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.field).toBe('secret');
    const bHook = await createWebhook(b.admin, 'wh-ten-b', { name: 'b-hook', url: receiver.url(), secret: 'B_ONLY' });
    expect((await a.admin.get(`/api/v1/teams/wh-ten-a/webhooks/${bHook}`)).status).toBe(404);
    expect((await a.admin.patch(`/api/v1/teams/wh-ten-a/webhooks/${bHook}`, { name: 'mine' })).status).toBe(404);
    expect((await a.admin.delete(`/api/v1/teams/wh-ten-a/webhooks/${bHook}`)).status).toBe(404);
    expect((await a.admin.post(`/api/v1/teams/wh-ten-a/webhooks/${bHook}/test`, { payload: '{}' })).status).toBe(404);
  });

  it('shows a webhook disabled by a 410 answer with its reason, and re-enables it with PATCH {"enabled": true}', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-disabled');
    const id = await createWebhook(admin, 'wh-disabled', { name: 'gone', url: receiver.url() });
    const at = Date.parse('2026-11-26T10:00:00.000Z');
    // What the delivery worker writes when the endpoint answers 410 Gone.
    await server.ctx.db.updateTable('webhooks').set({ disabled_at: at, disabled_reason: 'the endpoint answered 410 Gone' }).where('id', '=', id).execute();
    const shown = await admin.get(`/api/v1/teams/wh-disabled/webhooks/${id}`);
    expect(shown.body).toMatchObject({ enabled: false, disabled: { at: '2026-11-26T10:00:00.000Z', reason: 'the endpoint answered 410 Gone' } });
    const enabled = await admin.patch(`/api/v1/teams/wh-disabled/webhooks/${id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabled: null });
    const disabled = await admin.patch(`/api/v1/teams/wh-disabled/webhooks/${id}`, { enabled: false });
    expect(disabled.body).toMatchObject({ enabled: false, disabled: { reason: 'disabled by wh-disabled-admin' } });
  });

  it('refuses to delete a webhook automations use, naming them; refuses to detach a secret their payload uses', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-inuse');
    await createSecret(admin, 'wh-inuse', 'TOKEN', 't');
    const id = await createWebhook(admin, 'wh-inuse', { name: 'hook', url: receiver.url(), accessToken: 'TOKEN' });
    const automation = await createAutomation(admin, 'wh-inuse', {
      name: 'notify on link',
      event: { type: 'LINK_ARTIFACT', model: null },
      action: { type: 'webhook', webhookId: id, payload: '{"token":"${TOKEN}","v":"${artifact_version_string}"}' },
    });
    const refused = await admin.delete(`/api/v1/teams/wh-inuse/webhooks/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('"notify on link"');
    expect(refused.body.error.details.automations).toEqual(['notify on link']);
    const detach = await admin.patch(`/api/v1/teams/wh-inuse/webhooks/${id}`, { accessToken: null });
    expect(detach.status).toBe(409);
    expect(detach.body.error.details.automations).toEqual(['notify on link']);
    expect((await admin.delete(`/api/v1/teams/wh-inuse/automations/${automation}`)).status).toBe(204);
    expect((await admin.delete(`/api/v1/teams/wh-inuse/webhooks/${id}`)).status).toBe(204);
  });
});

describe('webhook test endpoint', () => {
  it('sends the payload signed exactly like a delivery and returns the answer; nothing is stored', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-test');
    const secret = 'hmac key with spaces & ünïcode';
    const token = 'ghp_bearer-token-value';
    await createSecret(admin, 'wh-test', 'SIGNING', secret);
    await createSecret(admin, 'wh-test', 'GH_TOKEN', token);
    const id = await createWebhook(admin, 'wh-test', { name: 'github', url: receiver.url('/dispatch'), secret: 'SIGNING', accessToken: 'GH_TOKEN' });
    const runsBefore = await server.ctx.db.selectFrom('action_runs').select('id').execute();
    receiver.respondWith((request) => ({ status: 202, headers: { 'x-echo': String(request.headers.authorization) }, body: `{"got":${JSON.stringify(request.body)},"auth":"${String(request.headers.authorization)}"}` }));
    const before = receiver.requests.length;
    const payload = '{"event_type":"deploy","client_payload":{"token":"${GH_TOKEN}","team":"${entity_name}"}}';
    const reply = await admin.post(`/api/v1/teams/wh-test/webhooks/${id}/test`, { payload });
    receiver.respondWith(() => ({ status: 200, body: '{"ok":true}' }));
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe(202);
    expect(reply.body.error).toBeNull();
    expect(reply.body.durationMs).toBeGreaterThanOrEqual(0);
    expect(receiver.requests.length).toBe(before + 1);

    const sent = receiver.requests[before]!;
    const expectedBody = `{"event_type":"deploy","client_payload":{"token":"${token}","team":"wh-test"}}`;
    expect(sent.body).toBe(expectedBody);
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/dispatch');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['user-agent']).toBe('Modelyard-Webhooks/1.0');
    expect(sent.headers.authorization).toBe(`Bearer ${token}`);
    // The signature three ways: recomputed, the documented openssl recipe, and the standardwebhooks package.
    expect(sent.headers['x-wandb-signature']).toBe(wandbSignature(secret, sent.body));
    const openssl = execFileSync('sh', ['-c', 'printf %s "$PAYLOAD" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64'], {
      env: { ...process.env, PAYLOAD: sent.body, SECRET: secret },
    })
      .toString()
      .trim();
    expect(sent.headers['x-wandb-signature']).toBe(openssl);
    const verifier = new StandardWebhook(Buffer.from(secret, 'utf8').toString('base64'));
    expect(() =>
      verifier.verify(sent.body, {
        'webhook-id': String(sent.headers['webhook-id']),
        'webhook-timestamp': String(sent.headers['webhook-timestamp']),
        'webhook-signature': String(sent.headers['webhook-signature']),
      }),
    ).not.toThrow();

    // The endpoint echoed the token; the answer shown to the admin has it scrubbed.
    expect(JSON.stringify(reply.body)).not.toContain(token);
    expect(JSON.stringify(reply.body)).not.toContain(secret);
    expect(reply.body.body).toContain('[redacted]');
    expect(reply.body.request.headers.Authorization).toBe('Bearer [redacted]');
    // Signatures are withheld from what is returned, like the token: beside the body they allow guessing the secret.
    expect(reply.body.request.headers['X-Wandb-Signature']).toBe('[redacted]');
    expect(reply.body.request.headers['webhook-signature']).toBe('[redacted]');

    const runsAfter = await server.ctx.db.selectFrom('action_runs').select('id').execute();
    expect(runsAfter.length).toBe(runsBefore.length);
    const attempts = await server.ctx.db.selectFrom('delivery_attempts').select('id').execute();
    expect(attempts).toEqual([]);
  });

  it('sends without signature and token when the webhook has none', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-test-plain');
    const id = await createWebhook(admin, 'wh-test-plain', { name: 'plain', url: receiver.url('/plain') });
    const before = receiver.requests.length;
    const reply = await admin.post(`/api/v1/teams/wh-test-plain/webhooks/${id}/test`, { payload: '{"hello":"world"}' });
    expect(reply.body).toMatchObject({ status: 200, body: '{"ok":true}', error: null });
    const sent = receiver.requests[before]!;
    expect(sent.body).toBe('{"hello":"world"}');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.headers['x-wandb-signature']).toBeUndefined();
    expect(sent.headers['webhook-signature']).toBeUndefined();
    expect(sent.headers['webhook-id']).toMatch(/^test_/);
    expect(Number(sent.headers['webhook-timestamp'])).toBeGreaterThan(1_700_000_000);
  });

  it('refuses invalid JSON and secrets that are not the webhook own, with the position', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-test-bad');
    await createSecret(admin, 'wh-test-bad', 'OWN', 'own-value');
    await createSecret(admin, 'wh-test-bad', 'OTHER', 'other-value');
    const id = await createWebhook(admin, 'wh-test-bad', { name: 'hook', url: receiver.url(), secret: 'OWN' });
    const before = receiver.requests.length;
    const notAttached = await admin.post(`/api/v1/teams/wh-test-bad/webhooks/${id}/test`, { payload: '{"a":"${OTHER}"}' });
    expect(notAttached.status).toBe(400);
    expect(notAttached.body.error.details).toMatchObject({ field: 'payload', position: 6, line: 1, column: 7 });
    expect(notAttached.body.error.message).toContain('OTHER');
    const badJson = await admin.post(`/api/v1/teams/wh-test-bad/webhooks/${id}/test`, { payload: '{"a":\n  oops}' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.details).toMatchObject({ field: 'payload', line: 2, column: 3 });
    expect(JSON.stringify([notAttached.body, badJson.body])).not.toMatch(/own-value|other-value/);
    expect(receiver.requests.length).toBe(before);
  });

  it('reports a blocked target with the reason and status null, sending nothing', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-test-blocked');
    const id = await createWebhook(admin, 'wh-test-blocked', { name: 'internal', url: receiver.url() });
    // A URL that passed an earlier check but is not allowed now (e.g. the allow-list changed): the send-time guard refuses it.
    await server.ctx.db.updateTable('webhooks').set({ url: 'http://10.1.2.3:8080/admin' }).where('id', '=', id).execute();
    const reply = await admin.post(`/api/v1/teams/wh-test-blocked/webhooks/${id}/test`, { payload: '{}' });
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBeNull();
    expect(reply.body.error).toEqual(expect.any(String));
    expect(reply.body.error.length).toBeGreaterThan(0);
    expect(reply.body.body).toBe('');
  });

  it('reports a connection failure as an error with status null', async () => {
    const { admin } = await createTeamWithRoles(server, 'wh-test-down');
    const down = new Receiver();
    await down.start();
    const url = down.url('/gone');
    await down.close();
    const id = await createWebhook(admin, 'wh-test-down', { name: 'down', url });
    const reply = await admin.post(`/api/v1/teams/wh-test-down/webhooks/${id}/test`, { payload: '{}' });
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBeNull();
    expect(reply.body.error).toEqual(expect.any(String));
  });
});
