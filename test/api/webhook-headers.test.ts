// Custom headers per webhook (issue 12.4): saved, shown to admins only, checked by the rules of
// src/core/webhook-headers.ts with a 400 naming the header, sent to a real receiver with the webhook's secrets filled
// in, and redacted wherever the request is kept or shown (stored attempts, the Test answer, history for other roles).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { fireEvent, runsOfEvent, teamId } from '../helpers/database.js';
import { createAutomation, createSecret, createWebhook, webhookAutomation } from '../helpers/automations.js';

const VENDOR_KEY = 'vk-live-7c1f0a9e4d2b';
const BASIC_CRED = 'ci-bot:pa55-w0rd-9f8e';
const LITERAL_TOKEN = 'literal-route-key-51d3';

let server: TestServer;
/** Echoes the headers it received in its body (JSON, as httpbin does) and the API key in a response header. */
const receiver = new Receiver((request) => ({
  status: 200,
  headers: { 'x-seen-key': String(request.headers['x-api-key'] ?? '') },
  body: JSON.stringify({ headers: request.headers, encoded: encodeURIComponent(String(request.headers['x-api-key'] ?? '')) }),
}));

beforeAll(async () => {
  server = await startTestServer();
  await receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await server.close();
});

const base = (team: string) => `/api/v1/teams/${team}/webhooks`;

/** A team whose VENDOR_KEY secret can be the access token and whose BASIC_CRED secret can sign. */
async function teamWithSecrets(team: string) {
  const roles = await createTeamWithRoles(server, team);
  await createSecret(roles.admin, team, 'VENDOR_KEY', VENDOR_KEY);
  await createSecret(roles.admin, team, 'BASIC_CRED', BASIC_CRED);
  return roles;
}

const automated = new Set<string>();

/** Fires an event that the webhook's one automation delivers; resolves with the finished run's detail. */
async function deliver(admin: Client, team: string, webhookId: string) {
  if (!automated.has(webhookId)) {
    await createAutomation(admin, team, webhookAutomation({ name: 'send', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"event": "${event_type}"}' }));
    automated.add(webhookId);
  }
  const event = await fireEvent(server.ctx, { teamId: await teamId(admin, team) });
  const [run] = await runsOfEvent(server.ctx, event.id);
  await eventually(async () => {
    const row = await server.ctx.db.selectFrom('action_runs').select('state').where('id', '=', run!.id).executeTakeFirst();
    return row !== undefined && row.state !== 'pending';
  });
  return admin.get(`/api/v1/teams/${team}/runs/${run!.id}`);
}

describe('custom webhook headers: saving and who sees them', () => {
  // One team for the cases that only ever get a 400 (nothing is created in it).
  let shared: ReturnType<typeof teamWithSecrets>;
  beforeAll(() => {
    shared = teamWithSecrets('hdr-shared');
  });

  it('are saved on create, replaced by PATCH, removed with [] and shown to team admins only', async () => {
    const roles = await teamWithSecrets('hdr-crud');
    const headers = [
      { name: 'X-API-Key', value: '${VENDOR_KEY}' },
      { name: 'X-Route', value: LITERAL_TOKEN },
    ];
    const created = await roles.admin.post(base('hdr-crud'), { name: 'vendor', url: receiver.url('/vendor'), accessToken: 'VENDOR_KEY', headers });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.headers).toEqual(headers);
    const id = created.body.id;
    expect((await roles.admin.get(`${base('hdr-crud')}/${id}`)).body.headers).toEqual(headers);
    // A webhook created without headers has an empty list.
    const plain = await roles.admin.post(base('hdr-crud'), { name: 'plain', url: receiver.url() });
    expect(plain.body.headers).toEqual([]);

    for (const client of [roles.member, roles.viewer]) {
      for (const reply of [await client.get(`${base('hdr-crud')}/${id}`), await client.get(base('hdr-crud'))]) {
        expect(reply.status).toBe(200);
        const text = JSON.stringify(reply.body);
        expect(text).not.toContain(LITERAL_TOKEN);
        expect(text).not.toContain('X-API-Key');
        expect(text).not.toContain('"headers"');
      }
      expect((await client.patch(`${base('hdr-crud')}/${id}`, { headers: [] })).status).toBe(403);
    }
    expect((await roles.outsider.get(`${base('hdr-crud')}/${id}`)).status).toBe(404);

    const replaced = await roles.admin.patch(`${base('hdr-crud')}/${id}`, { headers: [{ name: 'accept', value: 'application/vnd.github+json' }] });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    expect(replaced.body.headers).toEqual([{ name: 'accept', value: 'application/vnd.github+json' }]);
    // A PATCH without `headers` keeps them.
    expect((await roles.admin.patch(`${base('hdr-crud')}/${id}`, { name: 'vendor api' })).body.headers).toEqual(replaced.body.headers);
    expect((await roles.admin.patch(`${base('hdr-crud')}/${id}`, { headers: [] })).body.headers).toEqual([]);
    // Secret values never appear in any answer: only the placeholders the admin wrote.
    for (const reply of [created, replaced]) expect(JSON.stringify(reply.body)).not.toContain(VENDOR_KEY);
  });

  it.each([
    ['Content-Type', 'application/xml'],
    ['content-length', '10'],
    ['Host', 'example.com'],
    ['User-Agent', 'curl/8'],
    ['X-Wandb-Signature', 'abc'],
    ['webhook-id', 'msg_1'],
    ['Webhook-Signature', 'v1,abc'],
    ['webhook-anything', 'x'],
    ['Transfer-Encoding', 'chunked'],
    ['Connection', 'close'],
    ['Keep-Alive', 'timeout=5'],
    ['Upgrade', 'websocket'],
    ['Expect', '100-continue'],
    ['Content-Encoding', 'gzip'],
  ])('refuses the reserved header %s with a 400 naming it', async (name, value) => {
    const { admin } = await shared;
    const reply = await admin.post(base('hdr-shared'), { name: 'hook', url: receiver.url(), headers: [{ name: 'X-Fine', value: 'ok' }, { name, value }] });
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toContain(`header ${name}`);
    expect(reply.body.error.message).toContain('reserved');
    expect(reply.body.error.details).toMatchObject({ field: 'headers[1]', header: name });
  });

  it('takes Authorization only while no access token is set, both ways round', async () => {
    const { admin } = await teamWithSecrets('hdr-auth');
    const withToken = await admin.post(base('hdr-auth'), {
      name: 'token',
      url: receiver.url(),
      accessToken: 'VENDOR_KEY',
      headers: [{ name: 'authorization', value: 'Basic ${BASIC_CRED}' }],
    });
    expect(withToken.status).toBe(400);
    expect(withToken.body.error.message).toMatch(/header authorization: Authorization carries the webhook's access token/);

    const basic = await admin.post(base('hdr-auth'), { name: 'basic', url: receiver.url(), secret: 'BASIC_CRED', headers: [{ name: 'Authorization', value: 'Basic ${BASIC_CRED}' }] });
    expect(basic.status, JSON.stringify(basic.body)).toBe(201);
    const addToken = await admin.patch(`${base('hdr-auth')}/${basic.body.id}`, { accessToken: 'VENDOR_KEY' });
    expect(addToken.status).toBe(400);
    expect(addToken.body.error.details).toMatchObject({ field: 'headers[0]', header: 'Authorization' });
    // Both in one change: the header goes, the token comes.
    const swapped = await admin.patch(`${base('hdr-auth')}/${basic.body.id}`, { accessToken: 'VENDOR_KEY', headers: [] });
    expect(swapped.status, JSON.stringify(swapped.body)).toBe(200);
  });

  it('refuses bad names, unsendable values, duplicates, too many or too large headers, naming the header', async () => {
    const { admin } = await shared;
    const refused = async (headers: unknown, pattern: RegExp, field = 'headers[0]') => {
      const reply = await admin.post(base('hdr-shared'), { name: 'hook', url: receiver.url(), secret: 'BASIC_CRED', headers });
      expect(reply.status, JSON.stringify(reply.body)).toBe(400);
      expect(reply.body.error.message).toMatch(pattern);
      if (field !== '') expect(reply.body.error.details.field).toBe(field);
    };
    await refused([{ name: 'X Key', value: 'v' }], /header X Key: the name may use only letters, digits/);
    await refused([{ name: 'X-Key:', value: 'v' }], /HTTP token/);
    await refused([{ name: '', value: 'v' }], /the name is empty/);
    await refused([{ name: 'X-Key', value: 'a\r\nX-Injected: 1' }], /header X-Key: the value contains a line break/);
    await refused([{ name: 'X-Key', value: 'a\u0000b' }], /NUL character/, 'headers[0].value');
    await refused([{ name: 'X-Key', value: 'a\u0007b' }], /control character/);
    await refused([{ name: 'X-Key', value: 'price in €' }], /beyond U\+00FF/);
    await refused([{ name: 'X-Key', value: '' }], /the value is empty/);
    await refused([{ name: 'X-Key', value: ' padded' }], /begins or ends with a space/);
    await refused([{ name: 'X-Key', value: 'a' }, { name: 'x-key', value: 'b' }], /header x-key: x-key is given twice/, 'headers[1]');
    await refused(
      Array.from({ length: 21 }, (_, i) => ({ name: `X-H${i}`, value: 'v' })),
      /headers/,
      '',
    );
    await refused(
      Array.from({ length: 3 }, (_, i) => ({ name: `X-Big${i}`, value: 'v'.repeat(4000) })),
      /together exceed 6144 characters/,
      'headers[2]',
    );
    // Latin-1 is sent byte for byte, so it is allowed.
    const latin = await admin.post(base('hdr-shared'), { name: 'latin', url: receiver.url(), headers: [{ name: 'X-Name', value: 'Zoë, café' }] });
    expect(latin.status, JSON.stringify(latin.body)).toBe(201);
  });

  it("refuses a ${NAME} that is not one of the webhook's attached secrets, and detaching a secret a header uses", async () => {
    const { admin } = await teamWithSecrets('hdr-refs');
    await createSecret(admin, 'hdr-refs', 'UNATTACHED', 'not-for-this-hook');
    const attempt = async (headers: unknown, extra: Record<string, unknown> = {}) =>
      admin.post(base('hdr-refs'), { name: `hook-${Math.random().toString(36).slice(2, 8)}`, url: receiver.url(), accessToken: 'VENDOR_KEY', headers, ...extra });

    const unattached = await attempt([{ name: 'X-Other', value: 'k=${UNATTACHED}' }]);
    expect(unattached.status).toBe(400);
    expect(unattached.body.error.message).toBe(
      "headers[0]: header X-Other uses secret UNATTACHED, which is not attached to the webhook: a header can insert only the webhook's signing secret or access token (attached: VENDOR_KEY)",
    );
    expect(unattached.body.error.details).toMatchObject({ header: 'X-Other', secret: 'UNATTACHED' });
    const missing = await attempt([{ name: 'X-Other', value: '${NO_SUCH_SECRET}' }]);
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('secret NO_SUCH_SECRET, which is not attached');
    const eventVariable = await attempt([{ name: 'X-Event', value: '${event_type}' }]);
    expect(eventVariable.status).toBe(400);
    expect(eventVariable.body.error.message).toContain('${event_type}, which is not a secret name');
    const unclosed = await attempt([{ name: 'X-Key', value: '${VENDOR_KEY' }]);
    expect(unclosed.status).toBe(400);
    expect(unclosed.body.error.message).toContain('without a closing "}"');
    for (const reply of [unattached, missing, eventVariable, unclosed]) expect(JSON.stringify(reply.body)).not.toContain('not-for-this-hook');

    const created = await attempt([{ name: 'X-API-Key', value: '${VENDOR_KEY}' }]);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const detach = await admin.patch(`${base('hdr-refs')}/${created.body.id}`, { accessToken: null });
    expect(detach.status).toBe(400);
    expect(detach.body.error.message).toContain('header X-API-Key uses secret VENDOR_KEY, which is not attached');
    // The secret itself cannot be deleted while the webhook uses it (as its access token).
    expect((await admin.delete('/api/v1/teams/hdr-refs/secrets/VENDOR_KEY')).status).toBe(409);
  });

  it("refuses a header inserting a secret whose value cannot be sent in a header, naming the secret and not its value", async () => {
    const { admin } = await createTeamWithRoles(server, 'hdr-multiline');
    await createSecret(admin, 'hdr-multiline', 'PEM_KEY', 'line-one\nline-two');
    const reply = await admin.post(base('hdr-multiline'), { name: 'pem', url: receiver.url(), secret: 'PEM_KEY', headers: [{ name: 'X-Key', value: '${PEM_KEY}' }] });
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toBe(
      'headers[0]: header X-Key: the value of secret PEM_KEY contains a line break (CR or LF), which cannot be sent in a header; change its value or use another secret',
    );
    expect(JSON.stringify(reply.body)).not.toContain('line-one');
  });
});

describe('custom webhook headers: sending', () => {
  it('sends the real values to the receiver; stored attempts redact the secrets, and other roles see header names only', async () => {
    const roles = await teamWithSecrets('hdr-send');
    const id = await createWebhook(roles.admin, 'hdr-send', { name: 'vendor', url: receiver.url('/send'), accessToken: 'VENDOR_KEY', headers: [
      { name: 'X-API-Key', value: '${VENDOR_KEY}' },
      { name: 'X-Token-Header', value: 'Token ${VENDOR_KEY}; v=1' },
      { name: 'Accept', value: 'application/vnd.github+json' },
      { name: 'X-Route', value: LITERAL_TOKEN },
    ] });
    const seen = receiver.requests.length;
    const run = await deliver(roles.admin, 'hdr-send', id);
    const sent = receiver.requests.slice(seen).find((r) => r.url === '/send')!;
    expect(sent.headers['x-api-key']).toBe(VENDOR_KEY);
    expect(sent.headers['x-token-header']).toBe(`Token ${VENDOR_KEY}; v=1`);
    expect(sent.headers.accept).toBe('application/vnd.github+json');
    expect(sent.headers['x-route']).toBe(LITERAL_TOKEN);
    expect(sent.headers.authorization).toBe(`Bearer ${VENDOR_KEY}`);
    expect(sent.headers['content-type']).toBe('application/json');

    expect(run.body.state).toBe('succeeded');
    const [attempt] = run.body.attempts;
    expect(attempt!.requestHeaders).toMatchObject({
      'X-API-Key': '[redacted]',
      'X-Token-Header': 'Token [redacted]; v=1',
      Accept: 'application/vnd.github+json',
      'X-Route': LITERAL_TOKEN,
      Authorization: 'Bearer [redacted]',
      'Content-Type': 'application/json',
    });
    // The receiver echoed the key in its body (raw and percent-encoded) and in a header: all redacted when stored.
    expect(attempt!.responseHeaders['x-seen-key']).toBe('[redacted]');
    expect(JSON.stringify(run.body)).not.toContain(VENDOR_KEY);
    expect(JSON.stringify(run.body)).not.toContain(encodeURIComponent(VENDOR_KEY));
    const stored = await server.ctx.db.selectFrom('delivery_attempts').selectAll().where('run_id', '=', run.body.id).execute();
    expect(JSON.stringify(stored)).not.toContain(VENDOR_KEY);

    for (const client of [roles.member, roles.viewer]) {
      const shown = await client.get(`/api/v1/teams/hdr-send/runs/${run.body.id}`);
      expect(shown.status).toBe(200);
      expect(shown.body.attempts[0]!.requestHeaders).toMatchObject({
        'X-API-Key': '[hidden]',
        'X-Token-Header': '[hidden]',
        Accept: '[hidden]',
        'X-Route': '[hidden]',
        Authorization: 'Bearer [redacted]',
        'Content-Type': 'application/json',
      });
      expect(JSON.stringify(shown.body)).not.toContain(LITERAL_TOKEN);
    }
  });

  it('sends an Authorization an admin wrote (no access token) and stores it as its scheme only', async () => {
    const { admin } = await teamWithSecrets('hdr-basic');
    const id = await createWebhook(admin, 'hdr-basic', { name: 'basic', url: receiver.url('/basic'), secret: 'BASIC_CRED', headers: [
      { name: 'Authorization', value: 'Basic ${BASIC_CRED}' },
    ] });
    const seen = receiver.requests.length;
    const run = await deliver(admin, 'hdr-basic', id);
    const sent = receiver.requests.slice(seen).find((r) => r.url === '/basic')!;
    expect(sent.headers.authorization).toBe(`Basic ${BASIC_CRED}`);
    expect(run.body.attempts[0]!.requestHeaders.Authorization).toBe('Basic [redacted]');
    expect(JSON.stringify(run.body)).not.toContain(BASIC_CRED);
  });

  it('refuses the delivery, naming the secret, when a secret a header inserts is gone or became unsendable', async () => {
    const { admin } = await teamWithSecrets('hdr-gone');
    await createSecret(admin, 'hdr-gone', 'ROTATING', 'first-value');
    const id = await createWebhook(admin, 'hdr-gone', { name: 'gone', url: receiver.url('/gone'), secret: 'ROTATING', headers: [{ name: 'X-Key', value: '${ROTATING}' }] });
    // A value with a line break, set after the header was saved: refused at send time, naming header and secret.
    expect((await admin.put('/api/v1/teams/hdr-gone/secrets/ROTATING', { value: 'multi\nline-value' })).status).toBe(200);
    const seen = receiver.requests.length;
    const unsendable = await deliver(admin, 'hdr-gone', id);
    expect(unsendable.body.state).toBe('failed');
    expect(unsendable.body.error).toBe(
      'header X-Key: the value of secret ROTATING contains a line break (CR or LF), which cannot be sent in a header; the delivery was not sent',
    );
    expect(JSON.stringify(unsendable.body)).not.toContain('line-value');
    // The Test endpoint refuses it the same way, naming the headers.
    const tested = await admin.post(`${base('hdr-gone')}/${id}/test`, { payload: '{"ping": true}' });
    expect(tested.status).toBe(400);
    expect(tested.body.error.details.field).toBe('headers');
    expect(tested.body.error.message).toContain('header X-Key: the value of secret ROTATING contains a line break');
    expect(JSON.stringify(tested.body)).not.toContain('line-value');
    // Deleted behind the API's back (the API refuses while the webhook uses it).
    await server.ctx.db.deleteFrom('secrets').where('name', '=', 'ROTATING').execute();
    const gone = await deliver(admin, 'hdr-gone', id);
    expect(gone.body.state).toBe('failed');
    expect(gone.body.error).toContain('secret ROTATING no longer exists');
    expect(receiver.requests.slice(seen).filter((r) => r.url === '/gone')).toHaveLength(0);
  });

  it('the Test endpoint sends the real values and answers with them redacted, also where the receiver echoes them', async () => {
    const { admin } = await teamWithSecrets('hdr-test');
    const id = await createWebhook(admin, 'hdr-test', { name: 'vendor', url: receiver.url('/test-send'), accessToken: 'VENDOR_KEY', headers: [
      { name: 'X-API-Key', value: '${VENDOR_KEY}' },
      { name: 'X-Route', value: LITERAL_TOKEN },
    ] });
    const seen = receiver.requests.length;
    const reply = await admin.post(`${base('hdr-test')}/${id}/test`, { payload: '{"ping": true}' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const sent = receiver.requests.slice(seen).find((r) => r.url === '/test-send')!;
    expect(sent.headers['x-api-key']).toBe(VENDOR_KEY);
    expect(reply.body.request.headers).toMatchObject({ 'X-API-Key': '[redacted]', 'X-Route': LITERAL_TOKEN, Authorization: 'Bearer [redacted]' });
    expect(reply.body.headers['x-seen-key']).toBe('[redacted]');
    expect(reply.body.body).toContain('"x-api-key":"[redacted]"');
    expect(JSON.stringify(reply.body)).not.toContain(VENDOR_KEY);
    expect(JSON.stringify(reply.body)).not.toContain(encodeURIComponent(VENDOR_KEY));
  });
});
