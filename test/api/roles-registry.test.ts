// The role matrix for every registry route (projects, artifacts, registered models, links, aliases, events):
// viewers read, members and admins write, outsiders get 404 for everything, anonymous callers 401.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createTeamWithRoles, startTestServer, type Reply, type TestServer } from '../helpers/index.js';
import { seedRegistry, uploadForm } from '../helpers/registry.js';

type Role = 'admin' | 'member' | 'viewer' | 'outsider' | 'anonymous';
const ROLES: Role[] = ['anonymous', 'outsider', 'viewer', 'member', 'admin'];
const WRITERS: Role[] = ['member', 'admin'];

let server: TestServer;
let team: string;
let clients: Record<Role, Client>;

interface RouteCase {
  route: string;
  min: 'viewer' | 'member';
  ok: number;
  call: (client: Client, role: Role) => Promise<Reply>;
}

const t = () => `/api/v1/teams/${team}`;
const artifact = () => `${t()}/projects/training/artifacts/resnet`;
const model = (name = 'classifier') => `${t()}/registry/models/${name}`;

const CASES: RouteCase[] = [
  { route: 'POST /projects', min: 'member', ok: 201, call: (c, r) => c.post(`${t()}/projects`, { name: `p-${r}` }) },
  { route: 'GET /projects', min: 'viewer', ok: 200, call: (c) => c.get(`${t()}/projects`) },
  {
    route: 'POST …/artifacts/{name}/versions',
    min: 'member',
    ok: 201,
    call: (c, r) => c.request('POST', `${t()}/projects/training/artifacts/a-${r}/versions`, uploadForm()),
  },
  { route: 'GET …/artifacts', min: 'viewer', ok: 200, call: (c) => c.get(`${t()}/projects/training/artifacts`) },
  { route: 'GET …/artifacts/{name}', min: 'viewer', ok: 200, call: (c) => c.get(artifact()) },
  { route: 'GET …/artifacts/{name}/versions', min: 'viewer', ok: 200, call: (c) => c.get(`${artifact()}/versions`) },
  { route: 'GET …/artifacts/{name}/versions/{v}', min: 'viewer', ok: 200, call: (c) => c.get(`${artifact()}/versions/v0`) },
  { route: 'GET …/versions/{v}/files/{path}', min: 'viewer', ok: 200, call: (c) => c.get(`${artifact()}/versions/v0/files/model.bin`) },
  { route: 'POST /registry/models', min: 'member', ok: 201, call: (c, r) => c.post(`${t()}/registry/models`, { name: `m-${r}` }) },
  { route: 'GET /registry/models', min: 'viewer', ok: 200, call: (c) => c.get(`${t()}/registry/models`) },
  { route: 'GET /registry/models/{model}', min: 'viewer', ok: 200, call: (c) => c.get(model()) },
  { route: 'PATCH /registry/models/{model}', min: 'member', ok: 200, call: (c, r) => c.patch(model(), { description: `by ${r}` }) },
  { route: 'DELETE /registry/models/{model}', min: 'member', ok: 204, call: (c, r) => c.delete(model(`del-${r}`)) },
  {
    route: 'POST /registry/models/{model}/versions',
    min: 'member',
    ok: 201,
    call: (c, r) => c.post(`${model(`link-${r}`)}/versions`, { source: 'training/resnet:v0' }),
  },
  { route: 'GET /registry/models/{model}/versions', min: 'viewer', ok: 200, call: (c) => c.get(`${model()}/versions`) },
  { route: 'GET /registry/models/{model}/versions/{v}', min: 'viewer', ok: 200, call: (c) => c.get(`${model()}/versions/latest`) },
  { route: 'DELETE /registry/models/{model}/versions/{v}', min: 'member', ok: 204, call: (c, r) => c.delete(`${model(`unlink-${r}`)}/versions/v0`) },
  {
    route: 'PUT /registry/models/{model}/aliases/{alias}',
    min: 'member',
    ok: 200,
    call: (c, r) => c.put(`${model()}/aliases/put-${r}`, { version: 'v0' }),
  },
  { route: 'DELETE /registry/models/{model}/aliases/{alias}', min: 'member', ok: 204, call: (c, r) => c.delete(`${model()}/aliases/rm-${r}`) },
  { route: 'GET /events', min: 'viewer', ok: 200, call: (c) => c.get(`${t()}/events`) },
];

function expected(role: Role, min: 'viewer' | 'member', ok: number): number {
  if (role === 'anonymous') return 401;
  if (role === 'outsider') return 404;
  if (min === 'member' && role === 'viewer') return 403;
  return ok;
}

beforeAll(async () => {
  server = await startTestServer();
  const roles = await createTeamWithRoles(server);
  team = roles.team;
  clients = { ...roles, anonymous: new Client(server.url) };
  await seedRegistry(roles.admin, team, 1);
  await roles.admin.post(`${model()}/versions`, { source: 'training/resnet:v0' });
  // Targets each role's write acts on, so every allowed write can succeed on its own.
  for (const role of ROLES) {
    await roles.admin.post(`${t()}/registry/models`, { name: `del-${role}` });
    await roles.admin.post(`${t()}/registry/models`, { name: `link-${role}` });
    await roles.admin.post(`${t()}/registry/models`, { name: `unlink-${role}` });
    await roles.admin.post(`${model(`unlink-${role}`)}/versions`, { source: 'training/resnet:v0' });
    await roles.admin.put(`${model()}/aliases/rm-${role}`, { version: 'v0' });
  }
});
afterAll(async () => {
  await server.close();
});

describe('role matrix', () => {
  for (const { route, min, ok, call } of CASES) {
    it(`${route}: ${min === 'viewer' ? 'viewers read' : 'members write'}, outsiders 404, anonymous 401`, async () => {
      const seen: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const role of ROLES) {
        const reply = await call(clients[role], role);
        seen[role] = reply.status;
        want[role] = expected(role, min, ok);
        if (reply.status >= 400) expect(reply.body.error.code).toEqual(expect.any(String));
      }
      expect(seen).toEqual(want);
    });
  }

  it('lets nothing a refused role tried happen', async () => {
    const admin = clients.admin;
    for (const refused of ['anonymous', 'outsider', 'viewer']) {
      expect((await admin.get(model(`del-${refused}`))).status).toBe(200);
      expect((await admin.get(`${model(`unlink-${refused}`)}/versions/v0`)).status).toBe(200);
      expect((await admin.get(`${model()}/versions/rm-${refused}`)).status).toBe(200);
      expect((await admin.get(model(`m-${refused}`))).status).toBe(404);
      expect((await admin.get(`${t()}/projects/training/artifacts/a-${refused}`)).status).toBe(404);
    }
    const projects = (await admin.get(`${t()}/projects`)).body.items.map((p: any) => p.name);
    expect(projects.sort()).toEqual(['model-registry', ...WRITERS.map((r) => `p-${r}`), 'training'].sort());
  });
});
