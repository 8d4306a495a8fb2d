// Input the API refuses, and how: NUL anywhere (item 12), names at the maximum length usable on every route (13),
// framework and router errors in the envelope (14), JSON nested too deep and broken multipart bodies (15),
// malformed cursors on every list (16), and the Bearer challenge on every 401 (17). Raw requests go over a socket
// where fetch would normalise them.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Client, type Reply, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';
import { MAX_NAME_LENGTH, MAX_PATH_PARAM_LENGTH } from '../../src/core/names.js';
import { MAX_JSON_DEPTH } from '../../src/core/json-limits.js';
import { MAX_JSON_BODY_BYTES } from '../../src/api/app.js';

let server: TestServer;
let admin: Client;
const TEAM = 'inputs';

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** Sends `head` (request line and headers, without the blank line) and `body` exactly as given; reads to close. */
function raw(head: string, body = '', options: { destroyAfterMs?: number } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const payload = text.slice(split + 4);
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: payload === '' ? undefined : JSON.parse(payload) });
    });
    socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    socket.write(body);
    if (options.destroyAfterMs !== undefined) setTimeout(() => socket.destroy(), options.destroyAfterMs);
  });
}

function auth(): string {
  return `Authorization: Bearer ${server.adminKey}`;
}

function expectEnvelope(reply: Reply | RawReply, status: number, code?: string): void {
  const body = reply.body as { error?: { code?: unknown; message?: unknown } };
  expect({ status: reply.status, body }).toMatchObject({ status, body: { error: { code: code ?? expect.any(String), message: expect.any(String) } } });
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { n: value } : [value];
  return value;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

beforeAll(async () => {
  server = await startTestServer();
  admin = server.admin;
  expect((await admin.post('/api/v1/teams', { name: TEAM })).status).toBe(201);
  expect((await admin.post(`/api/v1/teams/${TEAM}/projects`, { name: 'p' })).status).toBe(201);
  expect((await logVersion(admin, TEAM, 'p', 'a')).status).toBe(201);
  expect((await admin.post(`/api/v1/teams/${TEAM}/registry/models`, { name: 'm' })).status).toBe(201);
  expect((await admin.post(`/api/v1/teams/${TEAM}/registry/models/m/versions`, { source: 'p/a:v0' })).status).toBe(201);
  expect((await admin.post(`/api/v1/teams/${TEAM}/queues`, { name: 'q' })).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
});

describe('NUL characters (U+0000)', () => {
  const T = `/api/v1/teams/${TEAM}`;
  const cases: Array<{ name: string; send: () => Promise<Reply>; field: string; location: string }> = [
    { name: 'team in the path', send: () => admin.get('/api/v1/teams/in%00puts/projects'), field: 'team', location: 'path' },
    { name: 'model in the path', send: () => admin.get(`${T}/registry/models/m%00`), field: 'model', location: 'path' },
    { name: 'file path in the path', send: () => admin.get(`${T}/projects/p/artifacts/a/versions/v0/files/model%00.bin`), field: '*', location: 'path' },
    { name: 'cursor in the query', send: () => admin.get(`${T}/projects?cursor=%00`), field: 'cursor', location: 'query' },
    { name: 'search in the query', send: () => admin.get(`${T}/registry/models?search=a%00b`), field: 'search', location: 'query' },
    { name: 'login name, before any authentication', send: () => server.client().post('/api/v1/login', { name: 'admin\u0000', password: 'x' }), field: 'name', location: 'body' },
    { name: 'project name', send: () => admin.post(`${T}/projects`, { name: 'p\u0000q' }), field: 'name', location: 'body' },
    { name: 'description', send: () => admin.post(`${T}/projects`, { name: 'described', description: 'a\u0000' }), field: 'description', location: 'body' },
    { name: 'job payload value', send: () => admin.post(`${T}/queues/q/jobs`, { payload: { list: ['ok', 'n\u0000'] } }), field: 'payload.list[1]', location: 'body' },
    { name: 'job payload key', send: () => admin.post(`${T}/queues/q/jobs`, { payload: { 'k\u0000': 1 } }), field: 'payload.k\\u0000', location: 'body' },
    { name: 'secret value', send: () => admin.post(`${T}/secrets`, { name: 'NUL_SECRET', value: 'v\u0000' }), field: 'value', location: 'body' },
    {
      name: 'payload template',
      send: () => admin.post(`${T}/automations`, { name: 'n', event: { type: 'LINK_ARTIFACT' }, action: { type: 'queue_job', queue: 'q', template: '{"a":"\u0000"}' } }),
      field: 'action.template',
      location: 'body',
    },
  ];
  it.each(cases)('$name: 400 naming the field', async ({ send, field, location }) => {
    const reply = await send();
    expectEnvelope(reply, 400, 'invalid_request');
    expect(reply.body.error.details).toMatchObject({ field, location });
    expect(reply.body.error.message).toContain('NUL');
  });

  it('multipart text fields and metadata keys: 400, and the version is not logged', async () => {
    const description = await logVersion(admin, TEAM, 'p', 'nul', { description: 'a\u0000b' });
    expectEnvelope(description, 400, 'invalid_request');
    expect(description.body.error.details.field).toBe('description');
    const metadataKey = await logVersion(admin, TEAM, 'p', 'nul', { metadata: '{"ok": {"k\\u0000": 1}}' });
    expectEnvelope(metadataKey, 400, 'invalid_request');
    expect(metadataKey.body.error.details.field).toBe('metadata.ok.k\\u0000');
    expect((await admin.get(`${T}/projects/p/artifacts/nul`)).status).toBe(404);
  });

  it('file content is binary and may hold NUL bytes', async () => {
    const logged = await logVersion(admin, TEAM, 'p', 'binary', { files: { 'w.bin': Buffer.from([0, 1, 0, 2]) } });
    expect(logged.status).toBe(201);
  });
});

describe('names at the maximum length', () => {
  const long = (prefix: string, length = MAX_NAME_LENGTH) => (prefix + 'x'.repeat(length)).slice(0, length);
  /** Every character percent-encoded, as some clients send path segments: three times as long. */
  const encodeAll = (name: string) => [...Buffer.from(name)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

  it('every named resource created with a 128-character name is usable by that name on every route', async () => {
    const team = long('team-');
    const project = long('project-');
    const artifact = long('artifact-');
    const model = long('model-');
    const alias = long('alias-');
    const queue = long('queue-');
    const secret = long('SECRET_').toUpperCase();
    const user = long('user-');
    expect([team, project, artifact, model, alias, queue, secret, user].every((n) => n.length === MAX_NAME_LENGTH)).toBe(true);
    const T = `/api/v1/teams/${team}`;

    expect((await admin.post('/api/v1/teams', { name: team })).status).toBe(201);
    expect((await admin.get(T)).status).toBe(200);
    expect((await admin.post(`${T}/projects`, { name: project })).status).toBe(201);
    expect((await admin.get(`${T}/projects/${project}/artifacts`)).status).toBe(200);
    expect((await logVersion(admin, team, project, artifact, { files: { 'weights.bin': 'w' } })).status).toBe(201);
    expect((await admin.get(`${T}/projects/${project}/artifacts/${artifact}`)).status).toBe(200);
    expect((await admin.get(`${T}/projects/${project}/artifacts/${artifact}/versions/v0/files/weights.bin`)).status).toBe(200);

    expect((await admin.post(`${T}/registry/models`, { name: model })).status).toBe(201);
    expect((await admin.get(`${T}/registry/models/${model}`)).status).toBe(200);
    expect((await admin.post(`${T}/registry/models/${model}/versions`, { source: `${project}/${artifact}:v0` })).status).toBe(201);
    expect((await admin.put(`${T}/registry/models/${model}/aliases/${alias}`, { version: 'v0' })).status).toBe(200);
    expect((await admin.get(`${T}/registry/models/${model}/versions/${alias}`)).body.aliases).toContain(alias);
    expect((await admin.delete(`${T}/registry/models/${model}/aliases/${alias}`)).status).toBe(204);

    expect((await admin.post(`${T}/queues`, { name: queue })).status).toBe(201);
    expect((await admin.get(`${T}/queues/${queue}`)).status).toBe(200);
    expect((await admin.post(`${T}/queues/${queue}/jobs`, { payload: { a: 1 } })).status).toBe(201);

    expect((await admin.post(`${T}/secrets`, { name: secret, value: 'v' })).status).toBe(201);
    expect((await admin.put(`${T}/secrets/${secret}`, { value: 'w' })).status).toBeLessThan(300);

    expect((await admin.post('/api/v1/users', { name: user, password: 'correct horse battery' })).status).toBe(201);
    expect((await admin.put(`${T}/members/${user}`, { role: 'viewer' })).status).toBeLessThan(300);
    expect((await admin.delete(`${T}/members/${user}`)).status).toBeLessThan(300);

    // Webhooks and automations are addressed by id; their names have limits of their own (64 and 255).
    const webhook = await admin.post(`${T}/webhooks`, { name: long('hook-', 64), url: 'http://127.0.0.1:9/hook' });
    expect(webhook.status).toBe(201);
    expect((await admin.get(`${T}/webhooks/${webhook.body.id}`)).body.name).toHaveLength(64);
    const automation = await admin.post(`${T}/automations`, {
      name: long('automation-', 255),
      event: { type: 'LINK_ARTIFACT', model },
      action: { type: 'webhook', webhookId: webhook.body.id, payload: '{"v":"${artifact_version_string}"}' },
    });
    expect(automation.status).toBe(201);
    expect((await admin.get(`${T}/automations/${automation.body.id}`)).body.name).toHaveLength(255);
    expect((await admin.get(`${T}/registry/models/${model}/automations`)).body.items).toHaveLength(1);

    // Fully percent-encoded, each parameter is 3 × 128 = MAX_PATH_PARAM_LENGTH characters long.
    expect(encodeAll(model)).toHaveLength(MAX_PATH_PARAM_LENGTH);
    const encoded = await admin.get(`/api/v1/teams/${encodeAll(team)}/registry/models/${encodeAll(model)}/versions/v0`);
    expect(encoded.status).toBe(200);
    expect(encoded.body.index).toBe(0);
    expect((await admin.delete(`${T}/secrets/${encodeAll(secret)}`)).status).toBe(204);
  });

  it('a name one character longer is refused when created; a longer path parameter is a 414 in the envelope', async () => {
    const tooLong = 'n'.repeat(MAX_NAME_LENGTH + 1);
    expectEnvelope(await admin.post(`/api/v1/teams/${TEAM}/projects`, { name: tooLong }), 400, 'invalid_request');
    expectEnvelope(await admin.post(`/api/v1/teams/${TEAM}/registry/models`, { name: tooLong }), 400, 'invalid_request');
    expectEnvelope(await admin.post(`/api/v1/teams/${TEAM}/queues`, { name: tooLong }), 400, 'invalid_request');
    expectEnvelope(await logVersion(admin, TEAM, 'p', tooLong), 400, 'invalid_request');
    const overLimit = await admin.get(`/api/v1/teams/${'t'.repeat(MAX_PATH_PARAM_LENGTH + 1)}/projects`);
    expectEnvelope(overLimit, 414, 'invalid_request');
    expect(overLimit.body.error.message).toContain(String(MAX_PATH_PARAM_LENGTH));
  });
});

describe('framework and router errors', () => {
  const T = `/api/v1/teams/${TEAM}`;
  const json = 'Content-Type: application/json';
  const withBody = (method: string, url: string, headers: string[], body: string) =>
    raw([`${method} ${url} HTTP/1.1`, auth(), ...headers, `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n'), body);
  const cases: Array<{ name: string; send: () => Promise<RawReply>; status: number; code: string }> = [
    { name: 'bad URL encoding', send: () => raw(`GET ${T}/registry/models/%zz HTTP/1.1\r\n${auth()}`), status: 400, code: 'invalid_request' },
    { name: 'path parameter too long', send: () => raw(`GET ${T}/registry/models/${'m'.repeat(MAX_PATH_PARAM_LENGTH + 1)} HTTP/1.1\r\n${auth()}`), status: 414, code: 'invalid_request' },
    { name: 'unknown route', send: () => raw(`GET /api/v1/nothing-here HTTP/1.1\r\n${auth()}`), status: 404, code: 'not_found' },
    { name: 'unknown method on a route', send: () => raw(`PATCH /api/v1/teams HTTP/1.1\r\n${auth()}`), status: 404, code: 'not_found' },
    { name: 'invalid JSON', send: () => withBody('POST', `${T}/projects`, [json], '{"name":'), status: 400, code: 'invalid_request' },
    { name: 'empty JSON body', send: () => withBody('POST', `${T}/projects`, [json], ''), status: 400, code: 'invalid_request' },
    { name: 'JSON prototype poisoning', send: () => withBody('POST', `${T}/projects`, [json], '{"name":"x","__proto__":{"a":1}}'), status: 400, code: 'invalid_request' },
    { name: 'unsupported media type', send: () => withBody('POST', `${T}/projects`, ['Content-Type: application/xml'], '<name/>'), status: 415, code: 'unsupported_media_type' },
    { name: 'a body without a content type', send: () => withBody('POST', `${T}/projects`, [], '{"name":"x"}'), status: 415, code: 'unsupported_media_type' },
    {
      name: 'JSON body too large',
      send: () => withBody('POST', `${T}/projects`, [json], JSON.stringify({ name: 'big', description: 'x'.repeat(MAX_JSON_BODY_BYTES) })),
      status: 413,
      code: 'payload_too_large',
    },
    { name: 'query of the wrong type', send: () => raw(`GET ${T}/projects?limit=%25 HTTP/1.1\r\n${auth()}`), status: 400, code: 'invalid_request' },
    {
      name: 'JSON to the upload route',
      send: () => withBody('POST', `${T}/projects/p/artifacts/a/versions`, [json], '{"type":"model"}'),
      status: 400,
      code: 'invalid_request',
    },
    {
      name: 'multipart without a boundary',
      send: () => withBody('POST', `${T}/projects/p/artifacts/a/versions`, ['Content-Type: multipart/form-data'], 'abc'),
      status: 400,
      code: 'invalid_request',
    },
    {
      name: 'multipart with an over-long boundary',
      send: () => withBody('POST', `${T}/projects/p/artifacts/a/versions`, [`Content-Type: multipart/form-data; boundary=${'b'.repeat(300)}`], 'abc'),
      status: 400,
      code: 'invalid_request',
    },
    { name: 'malformed HTTP', send: () => raw('GET /api/v1/teams HTTP/1.1\r\nBroken header line'), status: 400, code: 'invalid_request' },
  ];
  it.each(cases)('$name → $status in the envelope', async ({ send, status, code }) => {
    const reply = await send();
    expectEnvelope(reply, status, code);
    expect(reply.headers['content-type']).toContain('application/json');
  });
});

describe('JSON nesting', () => {
  const T = `/api/v1/teams/${TEAM}`;
  it(`job payloads nest up to the limit (${MAX_JSON_DEPTH} levels with the body) and not one level more`, async () => {
    expect((await admin.post(`${T}/queues/q/jobs`, { payload: { deep: nested(MAX_JSON_DEPTH - 2) } })).status).toBe(201);
    const tooDeep = await admin.post(`${T}/queues/q/jobs`, { payload: { deep: nested(MAX_JSON_DEPTH - 1) } });
    expectEnvelope(tooDeep, 400, 'invalid_request');
    expect(tooDeep.body.error.message).toContain(String(MAX_JSON_DEPTH));
    expect(tooDeep.body.error.details.field).toMatch(/^payload\.deep/);
  });

  it('a body nested 100,000 levels deep is a 400, and the server goes on', async () => {
    const depth = 100_000;
    const deep = await fetch(`${server.url}${T}/queues/q/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: `{"payload":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    });
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: { message: string } }).error.message).toContain(String(MAX_JSON_DEPTH));
    expect((await admin.get('/healthz')).status).toBe(200);
  });

  it('artifact metadata and templates nest at most 64 levels', async () => {
    expect((await logVersion(admin, TEAM, 'p', 'deep', { metadata: { d: nested(MAX_JSON_DEPTH - 1) } })).status).toBe(201);
    const metadata = await logVersion(admin, TEAM, 'p', 'deep', { metadata: { d: nested(MAX_JSON_DEPTH) } });
    expectEnvelope(metadata, 400, 'invalid_request');
    expect(metadata.body.error.details.field).toMatch(/^metadata\.d/);

    const template = (depth: number) => `{"v":${'['.repeat(depth - 1)}"\${event_type}"${']'.repeat(depth - 1)}}`;
    const automation = (depth: number) =>
      admin.post(`${T}/automations`, { name: `deep-${depth}`, event: { type: 'LINK_ARTIFACT' }, action: { type: 'queue_job', queue: 'q', template: template(depth) } });
    expect((await automation(MAX_JSON_DEPTH)).status).toBe(201);
    const tooDeep = await automation(MAX_JSON_DEPTH + 1);
    expectEnvelope(tooDeep, 400, 'invalid_request');
    expect(tooDeep.body.error.message).toContain(String(MAX_JSON_DEPTH));
  });
});

describe('malformed or truncated multipart uploads', () => {
  const T = `/api/v1/teams/${TEAM}`;
  const head = (length: number) =>
    [`POST ${T}/projects/p/artifacts/truncated/versions HTTP/1.1`, auth(), 'Content-Type: multipart/form-data; boundary=XX', `Content-Length: ${length}`].join('\r\n');
  const partial = `--XX\r\nContent-Disposition: form-data; name="type"\r\n\r\nmodel\r\n--XX\r\nContent-Disposition: form-data; name="file"; filename="w.bin"\r\n\r\n${'w'.repeat(200_000)}`;
  const stored = () => [...filesUnder(path.join(server.config.dataDir, 'blobs')), ...filesUnder(path.join(server.config.dataDir, 'tmp'))].sort();

  it('a body that ends without its closing boundary is a 400 and leaves no file and no version', async () => {
    const before = stored();
    const reply = await raw(head(partial.length), partial);
    expectEnvelope(reply, 400, 'invalid_request');
    expect(reply.body.error.details.field).toBe('body');
    expect(stored()).toEqual(before);
    expect((await admin.get(`${T}/projects/p/artifacts/truncated`)).status).toBe(404);
  });

  it('a connection dropped mid-upload leaves no file and no version, and the server goes on', async () => {
    const before = stored();
    await raw(head(partial.length * 10), partial, { destroyAfterMs: 200 }).catch(() => undefined);
    // The server notices the closed connection asynchronously; the staged file is gone once it has.
    for (let i = 0; i < 100 && stored().join() !== before.join(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stored()).toEqual(before);
    expect((await admin.get(`${T}/projects/p/artifacts/truncated`)).status).toBe(404);
    expect((await logVersion(admin, TEAM, 'p', 'truncated')).status).toBe(201);
  });
});

describe('cursors', () => {
  const T = `/api/v1/teams/${TEAM}`;
  const malformed = ['zzzz', '%25%25', 'YQ=', 'YSBi' /* "a b" */, 'LTE' /* "-1" */, Buffer.from('x'.repeat(150)).toString('base64url')];

  it.each(['paged', 'unpaged'])('every %s list answers 400 to a cursor it could not have returned', async (kind) => {
    const automation = await admin.post(`${T}/automations`, { name: `cursor-${kind}`, event: { type: 'LINK_ARTIFACT' }, action: { type: 'no_op' } });
    expect(automation.status).toBe(201);
    const lists =
      kind === 'paged'
        ? [
            `${T}/projects`,
            `${T}/projects/p/artifacts`,
            `${T}/projects/p/artifacts/a/versions`,
            `${T}/registry/models`,
            `${T}/registry/models/m/versions`,
            `${T}/queues/q/jobs`,
            `${T}/events`,
            `${T}/runs`,
            `${T}/automations/${automation.body.id}/runs`,
          ]
        : [
            '/api/v1/teams',
            '/api/v1/api-keys',
            `${T}/members`,
            `${T}/queues`,
            `${T}/secrets`,
            `${T}/webhooks`,
            `${T}/automations`,
            `${T}/registry/models/m/automations`,
          ];
    for (const list of lists) {
      expect((await admin.get(list)).status, list).toBe(200);
      for (const cursor of malformed) {
        const reply = await admin.get(`${list}?cursor=${cursor}`);
        expect({ list, cursor, status: reply.status, field: reply.body?.error?.details?.field }).toEqual({ list, cursor, status: 400, field: 'cursor' });
      }
    }
  });

  it('a cursor of another list kind is refused; the cursors a list returns page through it', async () => {
    const nameCursor = Buffer.from('p').toString('base64url');
    expect((await admin.get(`${T}/runs?cursor=${nameCursor}`)).status).toBe(400);
    expect((await admin.get(`${T}/registry/models/m/versions?cursor=${nameCursor}`)).status).toBe(400);
    expect((await admin.get(`${T}/projects?cursor=${nameCursor}`)).status).toBe(200);

    const names: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: Reply = await admin.get(`${T}/projects?limit=1&cursor=${cursor}`);
      expect(page.status).toBe(200);
      names.push(...page.body.items.map((p: { name: string }) => p.name));
      cursor = page.body.nextCursor;
    }
    expect(names).toEqual([...names].sort());
    expect(names).toContain('p');
    expect(names).toContain('model-registry');
  });
});

describe('401 responses', () => {
  it('carry WWW-Authenticate: Bearer wherever they come from', async () => {
    const replies = await Promise.all([
      server.client().get(`/api/v1/teams/${TEAM}/projects`),
      server.client('not-a-key').get('/api/v1/teams'),
      server.client().request('GET', '/api/v1/me', undefined, { authorization: 'Basic YTpi' }),
      server.client().post('/api/v1/login', { name: 'admin', password: 'wrong password' }),
    ]);
    for (const reply of replies) {
      expectEnvelope(reply, 401, 'unauthenticated');
      expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    }
    expect((await admin.get('/api/v1/teams')).headers.get('www-authenticate')).toBeNull();
  });
});
