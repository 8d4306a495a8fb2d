// Who sees a webhook's URL and its custom header values: team admins, on every route that returns webhook or delivery
// data; members, viewers and outsiders nowhere — the raw response text is searched for the URL, its host and path, its
// path, its token and a literal header value, so one that leaks through an echoed response body, a header or an error
// counts as much as one in a field.
// The world: a team with a webhook whose URL carries a token, two automations, a delivered run and a failed one (with
// its AUTOMATION_FAILED event), and a receiver that echoes the path it was called on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { fireEvent, runsOfEvent, teamId } from '../helpers/database.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';

type Role = 'admin' | 'member' | 'viewer' | 'outsider';
const ROLES: Role[] = ['admin', 'member', 'viewer', 'outsider'];
const TOKEN = 'xoxb-5ecret-hook-token';
const QUERY_TOKEN = 'q-5ecret-query-token';
/** A credential typed as a literal custom header value (not a team secret: only the role rules keep it hidden). */
const HEADER_TOKEN = 'hdr-5ecret-route-key';

let server: TestServer;
let roles: Awaited<ReturnType<typeof createTeamWithRoles>>;
let receiver: Receiver;
let hookUrl: string;
const ids = { webhook: '', linkAutomation: '', aliasAutomation: '', deliveredRun: '', failedRun: '' };

beforeAll(async () => {
  server = await startTestServer({ env: { MODELYARD_RETRY_SCHEDULE: '0.05' } });
  roles = await createTeamWithRoles(server, 'matrix');
  // Echoes the path (token included) in its body and headers, as some endpoints do in errors and redirects; answers
  // 500 to alias events so that one run fails.
  receiver = await new Receiver((request) => ({
    status: request.body.includes('ADD_ARTIFACT_ALIAS') ? 500 : 200,
    headers: { 'x-echo-path': request.url, location: `http://127.0.0.1:${receiver.port}${request.url}`, 'x-echo-key': String(request.headers['x-route-key']) },
    // JSON as PHP and some Java encoders write it, with "/" escaped as "\/"; then the path percent-encoded.
    body: `{"received": "${request.url}", "escaped": "${request.url.replaceAll('/', '\\/')}", "encoded": "${encodeURIComponent(request.url)}"}`,
  })).start();
  hookUrl = receiver.url(`/services/T0001/B0002/${TOKEN}?token=${QUERY_TOKEN}`);
  ids.webhook = await createWebhook(roles.admin, roles.team, { name: 'deploy-hook', url: hookUrl, headers: [{ name: 'X-Route-Key', value: HEADER_TOKEN }] });
  expect((await roles.admin.post(`/api/v1/teams/${roles.team}/registry/models`, { name: 'classifier' })).status).toBe(201);
  const payload = '{"event": "${event_type}", "model": "${artifact_collection_name}"}';
  ids.linkAutomation = await createAutomation(roles.admin, roles.team, webhookAutomation({ name: 'on-link', eventType: 'LINK_ARTIFACT', webhookId: ids.webhook, payload }));
  ids.aliasAutomation = await createAutomation(roles.admin, roles.team, webhookAutomation({ name: 'on-alias', eventType: 'ADD_ARTIFACT_ALIAS', webhookId: ids.webhook, payload }));

  const team = await teamId(roles.admin, roles.team);
  const settled = async (eventId: string, state: 'succeeded' | 'failed') => {
    const [run] = await runsOfEvent(server.ctx, eventId);
    await eventually(async () => (await server.ctx.db.selectFrom('action_runs').select('state').where('id', '=', run!.id).executeTakeFirst())?.state === state);
    return run!.id;
  };
  ids.deliveredRun = await settled((await fireEvent(server.ctx, { teamId: team })).id, 'succeeded');
  ids.failedRun = await settled((await fireEvent(server.ctx, { teamId: team, type: 'ADD_ARTIFACT_ALIAS', alias: 'production' })).id, 'failed');
  await eventually(async () => (await server.ctx.db.selectFrom('events').select('id').where('type', '=', 'AUTOMATION_FAILED').executeTakeFirst()) !== undefined);
});

afterAll(async () => {
  await server.close();
  await receiver.close();
});

/** Every form in which the URL would give its credential away. */
function urlForms(): string[] {
  const url = new URL(hookUrl);
  return [hookUrl, `${url.host}${url.pathname}`, url.pathname, TOKEN, QUERY_TOKEN, HEADER_TOKEN];
}

/** The response's raw text: a URL must not hide in an escape or a field this test does not know about. */
async function raw(client: Client, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(client.baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${client.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

/** What a role gets from a route: its status, and whether the URL is in the answer. */
type Outcome = { status: number; url: boolean };
const shown = (status: number): Outcome => ({ status, url: true });
const hidden = (status: number): Outcome => ({ status, url: false });
const everyoneElse = { outsider: hidden(404) };

interface RouteCase {
  route: string;
  request: (role: Role) => { method: string; path: string; body?: unknown };
  expected: Record<Role, Outcome>;
}

const team = () => `/api/v1/teams/${roles.team}`;
const get = (path: () => string) => () => ({ method: 'GET', path: path() });

const MATRIX: RouteCase[] = [
  {
    route: 'GET webhooks',
    request: get(() => `${team()}/webhooks`),
    expected: { admin: shown(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'GET webhooks/:id',
    request: get(() => `${team()}/webhooks/${ids.webhook}`),
    expected: { admin: shown(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'POST webhooks',
    request: (role) => ({ method: 'POST', path: `${team()}/webhooks`, body: { name: `copy-${role}`, url: hookUrl } }),
    expected: { admin: shown(201), member: hidden(403), viewer: hidden(403), ...everyoneElse },
  },
  {
    route: 'PATCH webhooks/:id',
    request: () => ({ method: 'PATCH', path: `${team()}/webhooks/${ids.webhook}`, body: { enabled: true } }),
    expected: { admin: shown(200), member: hidden(403), viewer: hidden(403), ...everyoneElse },
  },
  {
    route: 'POST webhooks/:id/test',
    request: () => ({ method: 'POST', path: `${team()}/webhooks/${ids.webhook}/test`, body: { payload: '{"ping": true}' } }),
    expected: { admin: shown(200), member: hidden(403), viewer: hidden(403), ...everyoneElse },
  },
  {
    route: 'GET automations',
    request: get(() => `${team()}/automations`),
    expected: { admin: hidden(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'GET automations/:id',
    request: get(() => `${team()}/automations/${ids.linkAutomation}`),
    expected: { admin: hidden(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'POST automations',
    request: (role) => ({
      method: 'POST',
      path: `${team()}/automations`,
      body: { name: `made-by-${role}`, event: { type: 'LINK_ARTIFACT', model: null }, action: { type: 'webhook', webhookId: ids.webhook, payload: '{"a": 1}' } },
    }),
    expected: { admin: hidden(201), member: hidden(201), viewer: hidden(403), ...everyoneElse },
  },
  {
    route: 'PATCH automations/:id',
    request: () => ({ method: 'PATCH', path: `${team()}/automations/${ids.linkAutomation}`, body: { enabled: true } }),
    expected: { admin: hidden(200), member: hidden(200), viewer: hidden(403), ...everyoneElse },
  },
  {
    route: 'POST automations/preview (the wizard)',
    request: () => ({
      method: 'POST',
      path: `${team()}/automations/preview`,
      body: { event: { type: 'LINK_ARTIFACT', model: 'classifier' }, action: { type: 'webhook', webhookId: ids.webhook, payload: '{"e": "${event_type}"}' } },
    }),
    expected: { admin: hidden(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'GET registry/models/:model/automations',
    request: get(() => `${team()}/registry/models/classifier/automations`),
    expected: { admin: hidden(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'GET events',
    request: get(() => `${team()}/events`),
    expected: { admin: hidden(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'GET runs',
    request: get(() => `${team()}/runs`),
    expected: { admin: hidden(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'GET automations/:id/runs',
    request: get(() => `${team()}/automations/${ids.aliasAutomation}/runs`),
    expected: { admin: hidden(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'GET runs/:id (delivered, with attempts)',
    request: get(() => `${team()}/runs/${ids.deliveredRun}`),
    expected: { admin: shown(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'GET runs/:id (failed, with attempts)',
    request: get(() => `${team()}/runs/${ids.failedRun}`),
    expected: { admin: shown(200), member: hidden(200), viewer: hidden(200), ...everyoneElse },
  },
  {
    route: 'POST runs/:id/redeliver',
    request: () => ({ method: 'POST', path: `${team()}/runs/${ids.deliveredRun}/redeliver` }),
    expected: { admin: shown(200), member: hidden(200), viewer: hidden(403), ...everyoneElse },
  },
];

describe('role matrix: webhook URLs and custom header values are for team admins only', () => {
  const cases = MATRIX.flatMap((c) => ROLES.map((role) => ({ ...c, role, name: `${c.route} as ${role}` })));

  it.each(cases)('$name', async ({ role, request, expected }) => {
    const { method, path, body } = request(role);
    const reply = await raw(roles[role], method, path, body);
    const want = expected[role];
    expect(reply.status, reply.text).toBe(want.status);
    if (want.url) {
      expect(reply.text).toContain(hookUrl);
    } else {
      for (const form of urlForms()) expect(reply.text, `${form} in ${reply.text}`).not.toContain(form);
    }
  });

  it('shows other roles the webhook by name and id, and attempts without their URL field', async () => {
    const list = await roles.viewer.get(`${team()}/webhooks`);
    expect(list.body.items).toContainEqual(expect.objectContaining({ id: ids.webhook, name: 'deploy-hook', enabled: true }));
    for (const item of list.body.items) {
      expect(Object.keys(item)).not.toEqual(expect.arrayContaining(['url']));
      expect(Object.keys(item)).not.toEqual(expect.arrayContaining(['headers']));
    }

    const run = await roles.member.get(`${team()}/runs/${ids.deliveredRun}`);
    expect(run.body.webhookName).toBe('deploy-hook');
    expect(run.body).not.toHaveProperty('url');
    expect(run.body.attempts.length).toBeGreaterThan(0);
    for (const attempt of run.body.attempts) {
      expect(attempt).not.toHaveProperty('url');
      expect(attempt.responseHeaders['x-echo-path']).toBe('[webhook URL]');
      expect(attempt.requestHeaders['X-Route-Key']).toBe('[hidden]');
      expect(attempt.responseHeaders['x-echo-key']).toBe('[redacted]');
    }

    const adminRun = await roles.admin.get(`${team()}/runs/${ids.deliveredRun}`);
    expect(adminRun.body.url).toBe(hookUrl);
    expect(adminRun.body.attempts[0].url).toBe(hookUrl);
    expect(adminRun.body.attempts[0].requestHeaders['X-Route-Key']).toBe(HEADER_TOKEN);
    expect((await roles.admin.get(`${team()}/webhooks/${ids.webhook}`)).body.headers).toEqual([{ name: 'X-Route-Key', value: HEADER_TOKEN }]);
    expect(adminRun.body.attempts[0].responseHeaders['x-echo-path']).toBe(new URL(hookUrl).pathname + new URL(hookUrl).search);
  });
});
