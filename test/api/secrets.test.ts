import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type TestServer } from '../helpers/index.js';
import { resolveSecretValues } from '../../src/auth/secrets.js';
import { createSecret, createWebhook, roleStatuses } from '../helpers/automations.js';

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

describe('team secrets API', () => {
  it('lets only admins manage secrets: members and viewers get 403, outsiders 404', async () => {
    const roles = await createTeamWithRoles(server, 'sec-roles');
    const base = '/api/v1/teams/sec-roles/secrets';
    expect(await roleStatuses(roles, (c, role) => c.post(base, { name: `TOKEN_${role.toUpperCase()}`, value: 'v' }))).toEqual({
      outsider: 404,
      viewer: 403,
      member: 403,
      admin: 201,
    });
    expect(await roleStatuses(roles, (c) => c.get(base))).toEqual({ outsider: 404, viewer: 403, member: 403, admin: 200 });
    expect(await roleStatuses(roles, (c) => c.put(`${base}/TOKEN_ADMIN`, { value: 'w' }))).toEqual({
      outsider: 404,
      viewer: 403,
      member: 403,
      admin: 200,
    });
    expect(await roleStatuses(roles, (c) => c.delete(`${base}/TOKEN_ADMIN`))).toEqual({ outsider: 404, viewer: 403, member: 403, admin: 204 });
  });

  it('never returns a value, stores it encrypted, and lists who set it and which webhooks use it', async () => {
    const { admin } = await createTeamWithRoles(server, 'sec-list');
    const value = 'sk-live-7b9c1d-very-secret';
    const created = await admin.post('/api/v1/teams/sec-list/secrets', { name: 'API_TOKEN', value });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'API_TOKEN', createdBy: 'sec-list-admin', updatedBy: 'sec-list-admin', usedBy: [] });
    await createSecret(admin, 'sec-list', 'SIGNING_KEY', 'whsec-signing');
    await createWebhook(admin, 'sec-list', { name: 'deploy hook', url: 'http://127.0.0.1:9/hook', secret: 'SIGNING_KEY', accessToken: 'API_TOKEN' });
    await createWebhook(admin, 'sec-list', { name: 'ci', url: 'http://127.0.0.1:9/ci', secret: null, accessToken: 'API_TOKEN' });

    const list = await admin.get('/api/v1/teams/sec-list/secrets');
    expect(list.status).toBe(200);
    expect(list.body.items.map((s: { name: string; usedBy: string[] }) => [s.name, s.usedBy])).toEqual([
      ['API_TOKEN', ['ci', 'deploy hook']],
      ['SIGNING_KEY', ['deploy hook']],
    ]);
    for (const reply of [created, list]) expect(JSON.stringify(reply.body)).not.toContain(value);

    const row = await server.ctx.db.selectFrom('secrets').select('ciphertext').where('name', '=', 'API_TOKEN').executeTakeFirstOrThrow();
    expect(row.ciphertext).toMatch(/^v1\./);
    expect(row.ciphertext).not.toContain(value);
    expect(row.ciphertext).not.toContain(Buffer.from(value).toString('base64url'));
  });

  it('replaces a value with PUT (the new value is what send time resolves) without echoing it', async () => {
    const roles = await createTeamWithRoles(server, 'sec-put');
    await createSecret(roles.admin, 'sec-put', 'TOKEN', 'first-value');
    const id = await teamId('sec-put');
    expect(await resolveSecretValues(server.ctx.db, server.ctx.keyring, id, ['TOKEN'])).toEqual({ TOKEN: 'first-value' });
    const second = await server.client(server.adminKey).put('/api/v1/teams/sec-put/secrets/TOKEN', { value: 'second-value' });
    // The instance admin is not a member of the team: 404 like any outsider.
    expect(second.status).toBe(404);
    const updated = await roles.admin.put('/api/v1/teams/sec-put/secrets/TOKEN', { value: 'second-value' });
    expect(updated.status).toBe(200);
    expect(JSON.stringify(updated.body)).not.toContain('second-value');
    expect(await resolveSecretValues(server.ctx.db, server.ctx.keyring, id, ['TOKEN'])).toEqual({ TOKEN: 'second-value' });
    expect((await roles.admin.put('/api/v1/teams/sec-put/secrets/MISSING', { value: 'x' })).status).toBe(404);
  });

  it('refuses invalid names and values, naming the field, and duplicate names with 409', async () => {
    const { admin } = await createTeamWithRoles(server, 'sec-valid');
    const base = '/api/v1/teams/sec-valid/secrets';
    for (const name of ['lower_case', '1STARTS_WITH_DIGIT', 'HAS-DASH', 'HAS SPACE', '', 'A'.repeat(129)]) {
      const reply = await admin.post(base, { name, value: 'v' });
      expect(reply.status, name).toBe(400);
      expect(reply.body.error.details.field).toBe('name');
    }
    const empty = await admin.post(base, { name: 'EMPTY', value: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.field).toBe('value');
    // 64 KiB counted in UTF-8 bytes: 32,768 two-byte characters fit, one more byte does not.
    expect((await admin.post(base, { name: 'LARGEST', value: 'é'.repeat(32 * 1024) })).status).toBe(201);
    for (const value of ['x'.repeat(64 * 1024 + 1), `${'é'.repeat(32 * 1024)}x`]) {
      const huge = await admin.post(base, { name: 'HUGE', value });
      expect(huge.status).toBe(400);
      expect(huge.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'value' } });
      expect(huge.body.error.message).toBe(`value: must be at most 65536 bytes in UTF-8 (64 KiB); this value has ${Buffer.byteLength(value)}`);
    }
    for (const value of ['\u0000', 'sk-\u0000-live']) {
      const nul = await admin.post(base, { name: 'WITH_NUL', value });
      expect(nul.status).toBe(400);
      // Refused by the API's one NUL check, before the secrets service (which refuses it too, for other callers).
      expect(nul.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'value' } });
      expect(nul.body.error.message).toMatch(/^value: .*NUL character \(U\+0000\)/);
    }
    const nulPut = await admin.put(`${base}/LARGEST`, { value: 'a\u0000' });
    expect(nulPut.status).toBe(400);
    expect(nulPut.body.error.details.field).toBe('value');
    const names = (await admin.get(base)).body.items.map((item: { name: string }) => item.name);
    expect(names).not.toContain('HUGE');
    expect(names).not.toContain('WITH_NUL');
    expect((await admin.post(base, { name: 'missing value' })).status).toBe(400);
    await createSecret(admin, 'sec-valid', '_OK_1', 'v');
    const clash = await admin.post(base, { name: '_OK_1', value: 'other' });
    expect(clash.status).toBe(409);
    const emptyPut = await admin.put(`${base}/_OK_1`, { value: '' });
    expect(emptyPut.status).toBe(400);
    expect(emptyPut.body.error.details.field).toBe('value');
  });

  it('refuses to delete a secret a webhook uses (409 naming the webhooks), and deletes it once unused', async () => {
    const { admin } = await createTeamWithRoles(server, 'sec-del');
    await createSecret(admin, 'sec-del', 'SIGNING', 'abc');
    const hook = await createWebhook(admin, 'sec-del', { name: 'release-hook', url: 'http://127.0.0.1:9/x', secret: 'SIGNING' });
    const refused = await admin.delete('/api/v1/teams/sec-del/secrets/SIGNING');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('"release-hook"');
    expect(refused.body.error.details.webhooks).toEqual(['release-hook']);
    expect((await admin.patch(`/api/v1/teams/sec-del/webhooks/${hook}`, { secret: null })).status).toBe(200);
    expect((await admin.delete('/api/v1/teams/sec-del/secrets/SIGNING')).status).toBe(204);
    expect((await admin.delete('/api/v1/teams/sec-del/secrets/SIGNING')).status).toBe(404);
  });

  it('keeps teams apart: the same name in two teams holds two values, and one team cannot reach the other', async () => {
    const a = await createTeamWithRoles(server, 'sec-team-a');
    const b = await createTeamWithRoles(server, 'sec-team-b');
    await createSecret(a.admin, 'sec-team-a', 'SHARED_NAME', 'value-a');
    await createSecret(b.admin, 'sec-team-b', 'SHARED_NAME', 'value-b');
    expect(await resolveSecretValues(server.ctx.db, server.ctx.keyring, await teamId('sec-team-a'), ['SHARED_NAME'])).toEqual({ SHARED_NAME: 'value-a' });
    expect(await resolveSecretValues(server.ctx.db, server.ctx.keyring, await teamId('sec-team-b'), ['SHARED_NAME'])).toEqual({ SHARED_NAME: 'value-b' });
    expect((await a.admin.get('/api/v1/teams/sec-team-b/secrets')).status).toBe(404);
    expect((await a.admin.delete('/api/v1/teams/sec-team-b/secrets/SHARED_NAME')).status).toBe(404);
  });
});
