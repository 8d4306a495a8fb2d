// Property: whatever string lands in a path parameter, a query string or a JSON field — unicode, lone surrogates,
// NUL, `%` and broken escapes, path-like `../`, very long — the API answers below 500, every 4xx is the error
// envelope, and the server still answers afterwards. Requests go out through node:http with the path as written
// (fetch would resolve `..` and drop `#`), on a sample of routes that read names, refs, cursors and JSON.
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';

let server: TestServer;
let agent: http.Agent;
const TEAM = 'fuzz';

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function send(method: string, requestPath: string, body?: unknown, apiKey: string | null = server.adminKey): Promise<Answer> {
  const { hostname, port } = new URL(server.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        hostname,
        port,
        method,
        path: requestPath,
        headers: {
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** What a client could put in a URL: every byte outside visible ASCII %-encoded; `%`, `/`, `.` left as they are. */
function looseSegment(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (b > 0x20 && b < 0x7f && b !== 0x3f && b !== 0x23 ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
}

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('%', '/', '.', ':', '\u0000', 'a', '0', 'é', '\ud800', '🦀', '"', '\\', ' ', '+'), maxLength: 60 }),
  fc.constantFrom('', '\u0000', '%', '%00', '%zz', '%%', '..', '../../etc/passwd', 'a/b', 'v0', 'v999999999999', 'latest', 'model-registry', '__proto__'),
  fc.string({ unit: 'grapheme-ascii', minLength: 100, maxLength: 700 }),
);

/** As encodeURIComponent, but a lone surrogate goes out as the UTF-8 of U+FFFD instead of throwing. */
function strictSegment(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
}

/** A path segment as a careful client sends it (encoded) or as a careless one does (loose). */
const segment = fc.tuple(hostile, fc.boolean()).map(([value, encode]) => (encode ? strictSegment(value) : looseSegment(value)));

function expectWellFormed(answer: Answer, what: string): void {
  expect(answer.status, `${what} → ${answer.status} ${answer.body.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.contentType, what).toContain('application/json');
    const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof parsed.error?.code, what).toBe('string');
    expect(typeof parsed.error?.message, what).toBe('string');
  }
}

beforeAll(async () => {
  server = await startTestServer();
  agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  expect((await server.admin.post('/api/v1/teams', { name: TEAM })).status).toBe(201);
  expect((await server.admin.post(`/api/v1/teams/${TEAM}/projects`, { name: 'p' })).status).toBe(201);
  expect((await logVersion(server.admin, TEAM, 'p', 'a')).status).toBe(201);
  expect((await server.admin.post(`/api/v1/teams/${TEAM}/registry/models`, { name: 'm' })).status).toBe(201);
  expect((await server.admin.post(`/api/v1/teams/${TEAM}/registry/models/m/versions`, { source: 'p/a:v0' })).status).toBe(201);
  expect((await server.admin.post(`/api/v1/teams/${TEAM}/queues`, { name: 'q' })).status).toBe(201);
});

afterAll(async () => {
  agent?.destroy();
  await server?.close();
});

describe('arbitrary strings in requests', () => {
  const T = `/api/v1/teams/${TEAM}`;

  it('in path parameters: never a 5xx, 4xx always the envelope', async () => {
    const routes: Array<(s: string) => [string, string, unknown?]> = [
      (s) => ['GET', `/api/v1/teams/${s}/projects`],
      (s) => ['GET', `${T}/registry/models/${s}`],
      (s) => ['GET', `${T}/registry/models/m/versions/${s}`],
      (s) => ['PUT', `${T}/registry/models/m/aliases/${s}`, { version: 'v0' }],
      (s) => ['GET', `${T}/projects/p/artifacts/${s}/versions`],
      (s) => ['GET', `${T}/projects/p/artifacts/a/versions/v0/files/${s}`],
      (s) => ['GET', `${T}/queues/${s}/jobs`],
      (s) => ['DELETE', `${T}/secrets/${s}`],
      (s) => ['GET', `${T}/runs/${s}`],
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(routes.length - 1), segment, async (route, value) => {
        const [method, requestPath, body] = routes[route]!(value);
        expectWellFormed(await send(method, requestPath, body), `${method} ${requestPath}`);
      }),
      { numRuns: 150 },
    );
  });

  it('in query strings: never a 5xx, 4xx always the envelope', async () => {
    const lists = [`${T}/projects`, `${T}/registry/models`, `${T}/registry/models/m/versions`, `${T}/events`, `${T}/runs`, `${T}/queues/q/jobs`, `${T}/secrets`];
    const keys = fc.constantFrom('cursor', 'limit', 'search', 'state', 'type', 'model');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...lists), keys, segment, keys, segment, async (list, k1, v1, k2, v2) => {
        const requestPath = `${list}?${k1}=${v1}&${k2}=${v2}`;
        expectWellFormed(await send('GET', requestPath), `GET ${requestPath}`);
      }),
      { numRuns: 120 },
    );
  });

  it('in JSON fields and keys: never a 5xx, 4xx always the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(4), hostile, hostile, async (route, a, b) => {
        const requests: Array<[string, string, unknown, string | null]> = [
          ['POST', `${T}/projects`, { name: a, description: b }, server.adminKey],
          ['POST', `${T}/registry/models/m/versions`, { source: a, aliases: [b] }, server.adminKey],
          ['POST', `${T}/queues/q/jobs`, { payload: { [a]: b, nested: [{ [b]: a }] } }, server.adminKey],
          ['POST', '/api/v1/login', { name: a, password: b }, null],
          ['POST', `${T}/automations`, { name: a, event: { type: 'LINK_ARTIFACT', model: b }, action: { type: 'queue_job', queue: 'q', template: a } }, server.adminKey],
        ];
        const [method, requestPath, body, key] = requests[route]!;
        expectWellFormed(await send(method, requestPath, body, key), `${method} ${requestPath} ${JSON.stringify(body).slice(0, 200)}`);
      }),
      { numRuns: 120 },
    );
    // Still serving, and still consistent: the team's data reads as before.
    expect((await send('GET', '/healthz')).status).toBe(200);
    expect(JSON.parse((await send('GET', `${T}/registry/models/m/versions/v0`)).body).index).toBe(0);
  });
});
