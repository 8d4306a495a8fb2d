import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_FAILURES } from '../../src/auth/login-limiter.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';
import { Client, createTeamWithRoles, createUserClient, startTestServer, type TestServer } from '../helpers/index.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('login and sessions', () => {
  it('logs in with a password, sets an HttpOnly SameSite cookie, and requires the CSRF token for changes', async () => {
    await createUserClient(server, 'alice');
    const anonymous = new Client(server.url);
    const login = await anonymous.post('/api/v1/login', { name: 'alice', password: 'correct horse battery' });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/modelyard_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const sessionCookie = cookie.split(';')[0]!;

    const browser = new Client(server.url, undefined, { cookie: sessionCookie });
    const me = await browser.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.user.name).toBe('alice');
    expect(me.body.csrfToken).toBe(login.body.csrfToken);

    const withoutCsrf = await browser.post('/api/v1/teams', { name: 'alice-team' });
    expect(withoutCsrf.status).toBe(403);
    expect(withoutCsrf.body.error.message).toMatch(/CSRF/);
    const withCsrf = await browser.request('POST', '/api/v1/teams', { name: 'alice-team' }, { 'x-csrf-token': login.body.csrfToken });
    expect(withCsrf.status).toBe(201);

    const logout = await browser.request('POST', '/api/v1/logout', {}, { 'x-csrf-token': login.body.csrfToken });
    expect(logout.status).toBe(204);
    expect((await browser.get('/api/v1/me')).status).toBe(401);
  });

  it('answers the same for an unknown user and a wrong password, and slows down repeated failures', async () => {
    await createUserClient(server, 'bob');
    const anonymous = new Client(server.url, undefined, { 'x-forwarded-for': '203.0.113.9' });
    const unknown = await anonymous.post('/api/v1/login', { name: 'nobody-here', password: 'whatever1' });
    const wrong = await anonymous.post('/api/v1/login', { name: 'bob', password: 'whatever1' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.error.message).toBe(wrong.body.error.message);

    let limited;
    for (let i = 0; i < 6; i++) {
      const reply = await anonymous.post('/api/v1/login', { name: 'bob', password: `wrong-${i}` });
      if (reply.status === 429) {
        limited = reply;
        break;
      }
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password waits out the lock.
    const right = await anonymous.post('/api/v1/login', { name: 'bob', password: 'correct horse battery' });
    expect(right.status).toBe(429);
  });

  it('limits wrong passwords sent all at once exactly like sequential ones: the free failures, then 429', async () => {
    await createUserClient(server, 'parallel-target');
    const anonymous = new Client(server.url, undefined, { 'x-forwarded-for': '203.0.113.20' });
    const attempts = 3 * FREE_FAILURES;
    const replies = await Promise.all(
      Array.from({ length: attempts }, (_, i) => anonymous.post('/api/v1/login', { name: 'parallel-target', password: `wrong-${i}` })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(FREE_FAILURES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(attempts - FREE_FAILURES);
  });

  it('holds the limit across two API processes on one database', async () => {
    await createUserClient(server, 'shared-target');
    const second = await startServer(server.config, createLogger('silent'), { role: 'api', ui: false });
    try {
      const urls = [server.url, second.url!.replace('0.0.0.0', '127.0.0.1')];
      const attempts = 4 * FREE_FAILURES;
      const replies = await Promise.all(
        Array.from({ length: attempts }, (_, i) =>
          new Client(urls[i % 2]!, undefined, { 'x-forwarded-for': `203.0.113.${30 + i}` }).post('/api/v1/login', {
            name: 'shared-target',
            password: `wrong-${i}`,
          }),
        ),
      );
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(FREE_FAILURES);
      expect(statuses.filter((s) => s === 429)).toHaveLength(attempts - FREE_FAILURES);
    } finally {
      await second.stop();
    }
  });

  it('refuses a NUL in the login name with a 400, on both databases', async () => {
    const reply = await new Client(server.url).post('/api/v1/login', { name: 'ali\u0000ce', password: 'whatever1' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.field).toBe('name');
  });

  it('refuses a wrong CSRF token of any length', async () => {
    await createUserClient(server, 'csrf-user');
    const login = await new Client(server.url).post('/api/v1/login', { name: 'csrf-user', password: 'correct horse battery' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const browser = new Client(server.url, undefined, { cookie });
    const token: string = login.body.csrfToken;
    const lastChar = token.at(-1) === 'A' ? 'B' : 'A';
    for (const wrong of [`${token.slice(0, -1)}${lastChar}`, token.slice(0, -1), `${token}x`, '', token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase()]) {
      const reply = await browser.request('POST', '/api/v1/teams', { name: 'csrf-team' }, { 'x-csrf-token': wrong });
      expect(reply.status, `token ${JSON.stringify(wrong)}`).toBe(403);
    }
    expect((await browser.request('POST', '/api/v1/teams', { name: 'csrf-team' }, { 'x-csrf-token': token })).status).toBe(201);
  });

  it('rejects requests without credentials and with a bad key', async () => {
    expect((await new Client(server.url).get('/api/v1/me')).status).toBe(401);
    const bad = await new Client(server.url, 'my_not-a-key').get('/api/v1/me');
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('unauthenticated');
  });
});

describe('API keys', () => {
  it('shows a key once, lists it without the key, and revokes it', async () => {
    const user = await createUserClient(server, 'carol');
    const created = await user.post('/api/v1/api-keys', { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^my_/);
    const list = await user.get('/api/v1/api-keys');
    expect(list.body.items.map((k: { name: string }) => k.name)).toContain('ci');
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);

    const withNewKey = server.client(created.body.key);
    expect((await withNewKey.get('/api/v1/me')).status).toBe(200);
    expect((await user.delete(`/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await withNewKey.get('/api/v1/me')).status).toBe(401);
  });
});

describe('access remembered between requests (src/auth/access-cache.ts)', () => {
  it('follows a role change and a removal at once, though the role was remembered', async () => {
    const { team, admin, member } = await createTeamWithRoles(server);
    const models = `/api/v1/teams/${team}/registry/models`;
    expect((await member.post(models, { name: 'first' })).status).toBe(201);
    expect((await member.post(models, { name: 'second' })).status).toBe(201);
    expect((await admin.put(`/api/v1/teams/${team}/members/${member.userName}`, { role: 'viewer' })).status).toBe(200);
    expect((await member.post(models, { name: 'third' })).status).toBe(403);
    expect((await member.get(models)).status).toBe(200);
    expect((await admin.delete(`/api/v1/teams/${team}/members/${member.userName}`)).status).toBe(204);
    expect((await member.get(models)).status).toBe(404);
  });
});

describe('users and teams', () => {
  it('lets only instance admins create users, with clear validation errors', async () => {
    const user = await createUserClient(server, 'dave');
    expect((await user.post('/api/v1/users', { name: 'eve', password: 'long enough pw' })).status).toBe(403);
    const badName = await server.admin.post('/api/v1/users', { name: 'no spaces', password: 'long enough pw' });
    expect(badName.status).toBe(400);
    expect(badName.body.error.details.field).toBe('name');
    const shortPassword = await server.admin.post('/api/v1/users', { name: 'eve', password: 'short' });
    expect(shortPassword.status).toBe(400);
    expect(shortPassword.body.error.details.field).toBe('password');
    const clash = await server.admin.post('/api/v1/users', { name: 'dave', password: 'long enough pw' });
    expect(clash.status).toBe(409);
  });

  it('makes the creator admin, manages members, keeps one admin, hides teams from outsiders', async () => {
    const owner = await createUserClient(server, 'frank');
    const other = await createUserClient(server, 'grace');
    expect((await owner.post('/api/v1/teams', { name: 'vision' })).status).toBe(201);
    expect((await other.post('/api/v1/teams', { name: 'vision' })).status).toBe(409);
    expect((await other.get('/api/v1/teams/vision')).status).toBe(404);
    expect((await other.get('/api/v1/teams/vision/members')).status).toBe(404);

    expect((await owner.put('/api/v1/teams/vision/members/grace', { role: 'viewer' })).status).toBe(201);
    expect((await other.get('/api/v1/teams/vision')).body.role).toBe('viewer');
    expect((await other.put('/api/v1/teams/vision/members/grace', { role: 'admin' })).status).toBe(403);
    expect((await owner.put('/api/v1/teams/vision/members/grace', { role: 'owner' })).status).toBe(400);
    expect((await owner.put('/api/v1/teams/vision/members/nobody', { role: 'member' })).status).toBe(400);
    const lastAdmin = await owner.delete('/api/v1/teams/vision/members/frank');
    expect(lastAdmin.status).toBe(409);
    expect((await owner.delete('/api/v1/teams/vision/members/grace')).status).toBe(204);
    expect((await other.get('/api/v1/teams/vision')).status).toBe(404);
    const teams = await owner.get('/api/v1/teams');
    expect(teams.body.items.map((t: { name: string }) => t.name)).toEqual(['vision']);
  });
});
