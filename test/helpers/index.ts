// Test fixtures: every test file owns its world — a fresh database (a SQLite file in a temp dir, or a PostgreSQL
// schema of its own), a real server on 127.0.0.1:0, and real HTTP receivers on 127.0.0.1:0 that record requests.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { bootstrapFirstAdmin, startServer, type RunningServer } from '../../src/server.js';
import type { ReplyBody } from './api-types.js';

export const TEST_DB = process.env.MODELYARD_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
export const TEST_DATABASE_URL = process.env.MODELYARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let counter = 0;

/** A configuration with its own data dir and (on PostgreSQL) its own schema. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-test-'));
  const env: Record<string, string> = {
    MODELYARD_DATA_DIR: dataDir,
    MODELYARD_PORT: '0',
    MODELYARD_HOST: '127.0.0.1',
    MODELYARD_LOG_LEVEL: 'silent',
    MODELYARD_WEBHOOK_ALLOW: '127.0.0.0/8',
    MODELYARD_TRUST_PROXY: 'true',
    ...overrides,
  };
  if (TEST_DB === 'postgres' && !('DATABASE_URL' in overrides)) {
    env.DATABASE_URL = TEST_DATABASE_URL;
    // The run's prefix (test/setup/postgres-schemas.ts drops the run's schemas when it ends). A worker process runs
    // test file after test file, each with this module (and `counter`) afresh (vitest.config.ts): the random part
    // keeps two files of one process from ever sharing a schema.
    env.MODELYARD_DATABASE_SCHEMA ??= `${inject('schemaPrefix')}_${process.pid}_${Date.now().toString(36)}_${counter++}_${randomBytes(3).toString('hex')}`;
  }
  return loadConfig(env);
}

/** Drops what testConfig created. */
export async function dropTestData(config: Config): Promise<void> {
  fs.rmSync(config.dataDir, { recursive: true, force: true });
  // This run's schemas stay until the run ends: dropping one while another file migrates fails that file
  // (test/setup/postgres-schemas.ts).
  if (config.databaseUrl && config.databaseSchema && !config.databaseSchema.startsWith(`${inject('schemaPrefix')}_`)) {
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    try {
      await client.query(`drop schema if exists "${config.databaseSchema}" cascade`);
    } finally {
      await client.end();
    }
  }
}

export interface TestServer extends RunningServer {
  url: string;
  config: Config;
  adminKey: string;
  adminPassword: string;
  /** A client authenticated as the first instance admin. */
  admin: Client;
  client(apiKey?: string): Client;
  close(): Promise<void>;
}

export async function startTestServer(
  options: { env?: Record<string, string>; ui?: boolean; role?: 'all' | 'api' } = {},
): Promise<TestServer> {
  const config = testConfig(options.env);
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, logger, { role: options.role ?? 'all', ui: options.ui ?? false });
  const first = await bootstrapFirstAdmin(server.ctx);
  if (!first) throw new Error('expected a fresh database');
  const url = server.url!.replace('0.0.0.0', '127.0.0.1');
  const client = (apiKey?: string) => new Client(url, apiKey);
  return {
    ...server,
    url,
    config,
    adminKey: first.apiKey,
    adminPassword: first.password,
    admin: client(first.apiKey),
    client,
    async close() {
      await server.stop();
      await dropTestData(config);
    },
  };
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small JSON client over fetch, the way users of the API call it. */
export class Client {
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {}

  async request<T = any>(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const init: RequestInit = {
      method,
      headers: {
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
        ...(body !== undefined && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
        ...this.extraHeaders,
        ...headers,
      },
    };
    if (body !== undefined) init.body = body instanceof FormData ? body : JSON.stringify(body);
    const response = await fetch(this.baseUrl + urlPath, init);
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json') && text !== '') parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  // Typed from the OpenAPI document (test/api-types.ts): the body of a reply is the route's success type.
  get<P extends string>(p: P) {
    return this.request<ReplyBody<P, 'get'>>('GET', p);
  }
  post<P extends string>(p: P, body?: unknown) {
    return this.request<ReplyBody<P, 'post'>>('POST', p, body ?? {});
  }
  put<P extends string>(p: P, body?: unknown) {
    return this.request<ReplyBody<P, 'put'>>('PUT', p, body ?? {});
  }
  patch<P extends string>(p: P, body?: unknown) {
    return this.request<ReplyBody<P, 'patch'>>('PATCH', p, body ?? {});
  }
  delete<P extends string>(p: P) {
    return this.request<ReplyBody<P, 'delete'>>('DELETE', p);
  }
}

/**
 * The one way fixtures fail: a reply whose status is not the expected one throws, naming what was being done and
 * what the server answered (its status and body).
 */
export function expectStatus<R extends Reply>(reply: R, status: number, action: string): R {
  if (reply.status !== status) throw new Error(`${action}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply;
}

let userCounter = 0;

/** Creates a user through the API (as the instance admin) and returns a client holding their API key. */
export async function createUserClient(server: TestServer, name = `user${++userCounter}`): Promise<Client & { userName: string }> {
  const reply = await server.admin.post('/api/v1/users', { name, password: 'correct horse battery', apiKey: true });
  expectStatus(reply, 201, `creating user ${name}`);
  return Object.assign(server.client(reply.body.apiKey), { userName: name });
}

/**
 * A team with one user per role plus an outsider, for role-matrix tests.
 */
export async function createTeamWithRoles(server: TestServer, team = `team${++userCounter}`) {
  const admin = await createUserClient(server, `${team}-admin`);
  const member = await createUserClient(server, `${team}-member`);
  const viewer = await createUserClient(server, `${team}-viewer`);
  const outsider = await createUserClient(server, `${team}-outsider`);
  const created = await admin.post('/api/v1/teams', { name: team });
  expectStatus(created, 201, `creating team ${team}`);
  await admin.put(`/api/v1/teams/${team}/members/${member.userName}`, { role: 'member' });
  await admin.put(`/api/v1/teams/${team}/members/${viewer.userName}`, { role: 'viewer' });
  return { team, admin, member, viewer, outsider };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export type Responder = (request: RecordedRequest, index: number) => { status?: number; headers?: Record<string, string>; body?: string; hang?: boolean };

/** A real HTTP receiver on 127.0.0.1:0 that records every request (svix's TestReceiver). */
export class Receiver {
  readonly requests: RecordedRequest[] = [];
  private server: http.Server | undefined;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private readonly hanging = new Set<http.ServerResponse>();

  constructor(private responder: Responder = () => ({ status: 200, body: '{"ok":true}' })) {}

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        };
        const index = this.requests.push(recorded) - 1;
        const answer = this.responder(recorded, index);
        this.waiters = this.waiters.filter((w) => {
          if (this.requests.length >= w.count) w.resolve();
          return this.requests.length < w.count;
        });
        if (answer.hang) {
          this.hanging.add(res);
          return;
        }
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  /** URL by IP literal (allowed because tests put 127.0.0.0/8 in MODELYARD_WEBHOOK_ALLOW). */
  url(pathname = '/hook'): string {
    return `http://127.0.0.1:${this.port}${pathname}`;
  }

  waitFor(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`receiver got ${this.requests.length} of ${count} requests in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Polls until `check` returns a truthy value (for state reached asynchronously, e.g. a run finishing). */
export async function eventually<T>(check: () => Promise<T | undefined | false | null>, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Node arguments that start the real `modelyard` CLI: the compiled build when it is newer than every source file
 * (`npm test` builds first), which starts in half the time, else the TypeScript sources through tsx — so a test run
 * right after an edit never exercises stale code.
 */
export const CLI_ARGS: string[] = (() => {
  const built = path.join(REPO, 'dist/src/cli/main.js');
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestMtime(path.join(REPO, 'src'))) return [built];
  return ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts')];
})();
