// A webhook's access token goes into `Authorization: Bearer <value>`: a value with CR or LF can never be sent, so
// it cannot be attached as an access token, and an attached token cannot be changed to one (issue 11.4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type TestServer } from '../helpers/index.js';
import { resolveSecretValues } from '../../src/auth/secrets.js';
import { createSecret, createWebhook } from '../helpers/automations.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function teamId(name: string): Promise<string> {
  return (await server.ctx.db.selectFrom('teams').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
}

const BREAKING_VALUES: Array<[string, string]> = [
  ['LF', 'tok-123\nX-Injected: 1'],
  ['CR', 'tok-123\rX-Injected: 1'],
  ['CRLF', 'tok-123\r\n'],
  ['leading LF', '\ntok'],
];

describe('access tokens with line breaks', () => {
  it.each(BREAKING_VALUES)('refuses to create a webhook whose access token holds a %s, naming the field', async (label, value) => {
    const team = `wsr-create-${label.replace(' ', '-').toLowerCase()}`;
    const { admin } = await createTeamWithRoles(server, team);
    await createSecret(admin, team, 'TOKEN', value);
    const reply = await admin.post(`/api/v1/teams/${team}/webhooks`, { name: 'deploy', url: 'http://127.0.0.1:9/hook', accessToken: 'TOKEN' });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'accessToken' } });
    expect(reply.body.error.message).toBe(
      'accessToken: secret TOKEN contains a line break (CR or LF), which cannot be sent in the Authorization header; change its value or choose another secret',
    );
    expect(JSON.stringify(reply.body)).not.toContain('tok');
    expect((await admin.get(`/api/v1/teams/${team}/webhooks`)).body.items).toEqual([]);
  });

  it('allows such a value as the signing secret (it never goes into a header), and refuses it on PATCH as the access token', async () => {
    const team = 'wsr-patch';
    const { admin } = await createTeamWithRoles(server, team);
    await createSecret(admin, team, 'MULTILINE', '-----BEGIN KEY-----\nabc\n-----END KEY-----');
    await createSecret(admin, team, 'GOOD_TOKEN', 'tok-good');
    const id = await createWebhook(admin, team, { name: 'signer', url: 'http://127.0.0.1:9/hook', secret: 'MULTILINE', accessToken: 'GOOD_TOKEN' });

    const refused = await admin.patch(`/api/v1/teams/${team}/webhooks/${id}`, { accessToken: 'MULTILINE', name: 'renamed' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.field).toBe('accessToken');
    expect(refused.body.error.message).toMatch(/^accessToken: secret MULTILINE contains a line break \(CR or LF\)/);
    // Nothing of the refused change is kept.
    const webhook = await admin.get(`/api/v1/teams/${team}/webhooks/${id}`);
    expect(webhook.body).toMatchObject({ name: 'signer', secret: 'MULTILINE', accessToken: 'GOOD_TOKEN' });

    expect((await admin.patch(`/api/v1/teams/${team}/webhooks/${id}`, { accessToken: null })).status).toBe(200);
  });

  it('refuses changing the value of an attached access token to one with a line break, naming the webhooks', async () => {
    const team = 'wsr-put';
    const { admin } = await createTeamWithRoles(server, team);
    await createSecret(admin, team, 'TOKEN', 'tok-first');
    await createWebhook(admin, team, { name: 'deploy', url: 'http://127.0.0.1:9/a', accessToken: 'TOKEN' });
    await createWebhook(admin, team, { name: 'notify', url: 'http://127.0.0.1:9/b', accessToken: 'TOKEN' });
    await createSecret(admin, team, 'SIGNING', 'whsec-first');
    await createWebhook(admin, team, { name: 'signed', url: 'http://127.0.0.1:9/c', secret: 'SIGNING' });

    for (const [, value] of BREAKING_VALUES) {
      const reply = await admin.put(`/api/v1/teams/${team}/secrets/TOKEN`, { value });
      expect(reply.status).toBe(400);
      expect(reply.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'value', webhooks: ['deploy', 'notify'] } });
      expect(reply.body.error.message).toBe(
        'value: contains a line break (CR or LF), which cannot be sent in the Authorization header; webhooks "deploy", "notify" send secret TOKEN as the access token',
      );
      expect(JSON.stringify(reply.body)).not.toContain('X-Injected');
    }
    const id = await teamId(team);
    expect(await resolveSecretValues(server.ctx.db, server.ctx.keyring, id, ['TOKEN'])).toEqual({ TOKEN: 'tok-first' });

    // A signing secret may hold line breaks; so may a token no webhook sends any more.
    expect((await admin.put(`/api/v1/teams/${team}/secrets/SIGNING`, { value: 'line one\nline two' })).status).toBe(200);
    const hooks = (await admin.get(`/api/v1/teams/${team}/webhooks`)).body.items as Array<{ id: string; name: string }>;
    for (const hook of hooks.filter((h) => h.name !== 'signed')) {
      expect((await admin.patch(`/api/v1/teams/${team}/webhooks/${hook.id}`, { accessToken: null })).status).toBe(200);
    }
    expect((await admin.put(`/api/v1/teams/${team}/secrets/TOKEN`, { value: 'now\nfree' })).status).toBe(200);
    expect(await resolveSecretValues(server.ctx.db, server.ctx.keyring, id, ['TOKEN', 'SIGNING'])).toEqual({ TOKEN: 'now\nfree', SIGNING: 'line one\nline two' });
  });
});
