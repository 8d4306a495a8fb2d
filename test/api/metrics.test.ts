// GET /metrics is instance-admin data: the scrape token (MODELYARD_METRICS_TOKEN) or an instance admin's API key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createUserClient, startTestServer, type TestServer } from '../helpers/index.js';

const METRICS_TOKEN = 'scrape-7f3a1c9e5b2d4f6a8c0e1b3d5f7a9c2e';

let server: TestServer;
let withoutToken: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { MODELYARD_METRICS_TOKEN: METRICS_TOKEN } });
  withoutToken = await startTestServer();
});
afterAll(async () => {
  await server.close();
  await withoutToken.close();
});

describe('GET /metrics', () => {
  it.each<{ who: string; headers: Record<string, string>; status: number }>([
    { who: 'the metrics token', headers: { authorization: `Bearer ${METRICS_TOKEN}` }, status: 200 },
    { who: 'the metrics token, lower-case scheme', headers: { authorization: `bearer ${METRICS_TOKEN}` }, status: 200 },
    { who: 'nobody', headers: {}, status: 401 },
    { who: 'a wrong token', headers: { authorization: `Bearer ${METRICS_TOKEN}x` }, status: 401 },
    { who: 'a prefix of the token', headers: { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` }, status: 401 },
    { who: 'a malformed header', headers: { authorization: `Token ${METRICS_TOKEN}` }, status: 401 },
  ])('answers $who with $status', async ({ headers, status }) => {
    const reply = await new Client(server.url).request('GET', '/metrics', undefined, headers);
    expect(reply.status).toBe(status);
    if (status === 200) {
      expect(reply.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(reply.body).toContain('modelyard_http_request_duration_seconds');
    } else {
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
      expect(reply.body.error.code).toBe('unauthenticated');
      expect(JSON.stringify(reply.body)).not.toContain(METRICS_TOKEN);
    }
  });

  it("answers an instance admin's API key, and 403 to any other user's key", async () => {
    const admin = await server.admin.get('/metrics');
    expect(admin.status).toBe(200);
    expect(admin.body).toContain('modelyard_events_total');

    const user = await createUserClient(server);
    const refused = await user.get('/metrics');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
  });

  it('refuses a logged-in browser session: cookies are not a scrape credential', async () => {
    const login = await new Client(server.url).post('/api/v1/login', { name: 'admin', password: server.adminPassword });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const reply = await new Client(server.url, undefined, { cookie }).get('/metrics');
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('without MODELYARD_METRICS_TOKEN only admin keys read metrics', async () => {
    expect((await new Client(withoutToken.url).get('/metrics')).status).toBe(401);
    expect((await new Client(withoutToken.url, METRICS_TOKEN).get('/metrics')).status).toBe(401);
    expect((await withoutToken.admin.get('/metrics')).status).toBe(200);
  });
});
