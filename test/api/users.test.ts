// Instance admins manage users (src/api/routes/users.ts, src/auth/users.ts): a generated password shown once,
// password resets that end sessions, deactivation that ends logins, sessions and API keys, reactivation, and
// refusals for everyone who is not an instance admin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createUserClient, expectStatus, startTestServer, type TestServer } from '../helpers/index.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** Logs in with a password; the client carries the session cookie and CSRF token, as the UI does. */
async function logIn(name: string, password: string): Promise<{ status: number; client?: Client }> {
  const login = await new Client(server.url).post('/api/v1/login', { name, password });
  if (login.status !== 200) return { status: login.status };
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { status: 200, client: new Client(server.url, undefined, { cookie, 'x-csrf-token': login.body.csrfToken }) };
}

describe('users for instance admins', () => {
  it('creates a user with a generated password that is returned once and works', async () => {
    const created = expectStatus(await server.admin.post('/api/v1/users', { name: 'gen-user' }), 201, 'create');
    expect(created.body.password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect((await logIn('gen-user', created.body.password!)).status).toBe(200);
    // A chosen password is not echoed back.
    const chosen = expectStatus(await server.admin.post('/api/v1/users', { name: 'chosen-user', password: 'correct horse battery' }), 201, 'create');
    expect(chosen.body.password).toBeUndefined();

    const list = expectStatus(await server.admin.get('/api/v1/users'), 200, 'list');
    const row = list.body.items.find((u: { name: string }) => u.name === 'gen-user');
    expect(row).toMatchObject({ name: 'gen-user', isAdmin: false, active: true, deactivatedAt: null, apiKeys: 0 });
    expect(JSON.stringify(list.body)).not.toContain(created.body.password);
  });

  it('resets a password: the old one stops working and the user\'s sessions end', async () => {
    await createUserClient(server, 'reset-me');
    const session = await logIn('reset-me', 'correct horse battery');
    expect((await session.client!.get('/api/v1/me')).status).toBe(200);

    const reset = expectStatus(await server.admin.post('/api/v1/users/reset-me/password', {}), 200, 'reset');
    expect(reset.body.password.length).toBeGreaterThanOrEqual(20);
    expect((await session.client!.get('/api/v1/me')).status).toBe(401);
    expect((await logIn('reset-me', 'correct horse battery')).status).toBe(401);
    expect((await logIn('reset-me', reset.body.password)).status).toBe(200);

    const chosen = expectStatus(await server.admin.post('/api/v1/users/reset-me/password', { password: 'another good password' }), 200, 'reset');
    expect(chosen.body.password).toBe('another good password');
    const tooShort = await server.admin.post('/api/v1/users/reset-me/password', { password: 'short' });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error.details.field).toBe('password');
    expect((await server.admin.post('/api/v1/users/nobody/password', {})).status).toBe(404);
  });

  it('deactivates a user: no login, sessions end, API keys are revoked; reactivation allows logins again', async () => {
    const user = await createUserClient(server, 'leaver');
    expect((await user.get('/api/v1/me')).status).toBe(200);
    const session = await logIn('leaver', 'correct horse battery');

    const deactivated = expectStatus(await server.admin.post('/api/v1/users/leaver/deactivate'), 200, 'deactivate');
    expect(deactivated.body).toMatchObject({ name: 'leaver', active: false, apiKeys: 0 });
    expect(deactivated.body.deactivatedAt).toMatch(/^\d{4}-/);
    expect((await user.get('/api/v1/me')).status).toBe(401);
    expect((await session.client!.get('/api/v1/me')).status).toBe(401);
    expect((await logIn('leaver', 'correct horse battery')).status).toBe(401);
    // Deactivating twice keeps the first time.
    const again = expectStatus(await server.admin.post('/api/v1/users/leaver/deactivate'), 200, 'deactivate again');
    expect(again.body.deactivatedAt).toBe(deactivated.body.deactivatedAt);

    const reactivated = expectStatus(await server.admin.post('/api/v1/users/leaver/activate'), 200, 'activate');
    expect(reactivated.body).toMatchObject({ active: true, deactivatedAt: null });
    expect((await logIn('leaver', 'correct horse battery')).status).toBe(200);
    // The revoked key stays revoked.
    expect((await user.get('/api/v1/me')).status).toBe(401);
  });

  it('refuses to let an admin deactivate themselves, and refuses everyone but instance admins', async () => {
    const self = await server.admin.get('/api/v1/me');
    const refused = await server.admin.post(`/api/v1/users/${self.body.user.name}/deactivate`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/yourself/);

    const plain = await createUserClient(server, 'plain-user');
    for (const [method, path, body] of [
      ['GET', '/api/v1/users', undefined],
      ['GET', '/api/v1/users/plain-user', undefined],
      ['POST', '/api/v1/users', { name: 'sneaky' }],
      ['POST', '/api/v1/users/plain-user/password', {}],
      ['POST', '/api/v1/users/gen-user/deactivate', undefined],
      ['POST', '/api/v1/users/gen-user/activate', undefined],
    ] as const) {
      const reply = await plain.request(method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(403);
    }
    expect((await new Client(server.url).get('/api/v1/users')).status).toBe(401);
    expect((await server.admin.get('/api/v1/users/nobody')).status).toBe(404);
  });
});
