// An empty body sent with `Content-Type: application/json` — what `curl -H 'Content-Type: application/json' -X POST`
// sends, and so the README's `api()` helper — is no body: operations that take none (cancel, requeue, redeliver,
// logout, deletes) do their work, and operations that need one answer 400 naming the body. Requests are plain HTTP
// with exactly these headers, with `Content-Length: 0` and (as curl sends a bodiless POST) without it.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserClient, eventually, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';
import { createAutomation, createSecret, createWebhook, webhookAutomation } from '../helpers/automations.js';

const TEAM = 'empty-bodies';
const T = `/api/v1/teams/${TEAM}`;

let server: TestServer;
let receiver: Receiver;
let admin: Client;

interface RawReply {
  status: number;
  body: any;
}

type Framing = 'content-length: 0' | 'no content-length';

/** A request with `Content-Type: application/json` and no body bytes at all. */
function sendEmptyJson(method: string, path: string, framing: Framing, apiKey = server.adminKey): Promise<RawReply> {
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  if (framing === 'content-length: 0') headers['content-length'] = '0';
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  server = await startTestServer();
  receiver = await new Receiver().start();
  admin = server.admin;
  expectStatus(await admin.post('/api/v1/teams', { name: TEAM }), 201, 'creating the team');
  expectStatus(await admin.post(`${T}/projects`, { name: 'training' }), 201, 'creating the project');
  expectStatus(await logVersion(admin, TEAM, 'training', 'classifier'), 201, 'logging an artifact version');
});

afterAll(async () => {
  await server.close();
  await receiver.close();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

async function linkedModel(): Promise<string> {
  const model = unique('model');
  expectStatus(await admin.post(`${T}/registry/models`, { name: model }), 201, 'creating a model');
  expectStatus(await admin.post(`${T}/registry/models/${model}/versions`, { source: 'training/classifier:v0', aliases: ['staging'] }), 201, 'linking');
  return model;
}

async function queuedJob(): Promise<string> {
  const queue = unique('queue');
  expectStatus(await admin.post(`${T}/queues`, { name: queue }), 201, 'creating a queue');
  return expectStatus(await admin.post(`${T}/queues/${queue}/jobs`, { payload: { n: 1 } }), 201, 'enqueueing').body.id;
}

async function webhook(): Promise<string> {
  return createWebhook(admin, TEAM, { name: unique('hook'), url: receiver.url() });
}

/** Every operation that takes no body, with what it needs to succeed and the status it then answers. */
const bodiless: Array<{ operation: string; method: string; path: () => Promise<string>; status: number }> = [
  { operation: 'logOut', method: 'POST', path: async () => '/api/v1/logout', status: 204 },
  {
    operation: 'revokeApiKey',
    method: 'DELETE',
    path: async () => `/api/v1/api-keys/${expectStatus(await admin.post('/api/v1/api-keys', { name: unique('key') }), 201, 'creating a key').body.id}`,
    status: 204,
  },
  {
    operation: 'removeTeamMember',
    method: 'DELETE',
    path: async () => {
      const user = await createUserClient(server, unique('user'));
      expectStatus(await admin.put(`${T}/members/${user.userName}`, { role: 'viewer' }), 201, 'adding a member');
      return `${T}/members/${user.userName}`;
    },
    status: 204,
  },
  { operation: 'deleteModel', method: 'DELETE', path: async () => `${T}/registry/models/${await linkedModel()}`, status: 204 },
  { operation: 'unlinkModelVersion', method: 'DELETE', path: async () => `${T}/registry/models/${await linkedModel()}/versions/v0`, status: 204 },
  { operation: 'removeModelAlias', method: 'DELETE', path: async () => `${T}/registry/models/${await linkedModel()}/aliases/staging`, status: 204 },
  {
    operation: 'deleteQueue',
    method: 'DELETE',
    path: async () => {
      const queue = unique('queue');
      expectStatus(await admin.post(`${T}/queues`, { name: queue }), 201, 'creating a queue');
      return `${T}/queues/${queue}`;
    },
    status: 204,
  },
  { operation: 'cancelJob', method: 'POST', path: async () => `${T}/jobs/${await queuedJob()}/cancel`, status: 200 },
  {
    operation: 'requeueJob',
    method: 'POST',
    path: async () => {
      const job = await queuedJob();
      expectStatus(await admin.post(`${T}/jobs/${job}/cancel`), 200, 'cancelling the job');
      return `${T}/jobs/${job}/requeue`;
    },
    status: 201,
  },
  {
    operation: 'redeliverRun',
    method: 'POST',
    path: async () => {
      const webhookId = await webhook();
      const name = unique('automation');
      const automationId = await createAutomation(admin, TEAM, webhookAutomation({ name, eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"a": "${alias}"}' }));
      await linkedModel();
      const run = await eventually(async () => {
        const runs = await admin.get(`${T}/automations/${automationId}/runs`);
        return runs.body.items.find((r: { state: string }) => r.state === 'succeeded') as { id: string } | undefined;
      });
      return `${T}/runs/${run.id}/redeliver`;
    },
    status: 200,
  },
  {
    operation: 'deleteSecret',
    method: 'DELETE',
    path: async () => {
      const name = unique('SECRET').replace('-', '_');
      await createSecret(admin, TEAM, name, 'value');
      return `${T}/secrets/${name}`;
    },
    status: 204,
  },
  { operation: 'deleteWebhook', method: 'DELETE', path: async () => `${T}/webhooks/${await webhook()}`, status: 204 },
  {
    operation: 'deleteAutomation',
    method: 'DELETE',
    path: async () => {
      const automation = webhookAutomation({ name: unique('automation'), eventType: 'LINK_ARTIFACT', webhookId: await webhook(), payload: '{}' });
      return `${T}/automations/${await createAutomation(admin, TEAM, automation)}`;
    },
    status: 204,
  },
];

interface DocumentedOperation {
  operationId: string;
  method: string;
  path: string;
  jsonBody: boolean;
}

/** The operations of the document the server serves, with a stand-in for every path parameter. */
function documentedOperations(): DocumentedOperation[] {
  const document = server.app!.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, unknown> } }>> };
  return Object.entries(document.paths).flatMap(([route, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      operationId: operation.operationId,
      method: method.toUpperCase(),
      path: route.replace(/\{[^}]+\}/g, 'nothing-here').replace(`/teams/nothing-here/`, `/teams/${TEAM}/`),
      jsonBody: operation.requestBody?.content['application/json'] !== undefined,
    })),
  );
}

describe.each<Framing>(['content-length: 0', 'no content-length'])('an empty JSON body (%s)', (framing) => {
  it.each(bodiless)('is no body for $operation ($method → $status)', async ({ method, path, status }) => {
    const reply = await sendEmptyJson(method, await path(), framing);
    expect(reply, JSON.stringify(reply.body)).toMatchObject({ status });
  });

  it('is refused with a 400 naming the body by every operation that takes a JSON body', async () => {
    const needingBody = documentedOperations().filter((op) => op.jsonBody);
    expect(needingBody.map((op) => op.operationId)).toEqual(expect.arrayContaining(['createTeam', 'releaseJob', 'updateModel', 'setModelAlias', 'logIn']));
    const wrong: string[] = [];
    for (const { operationId, method, path } of needingBody) {
      const reply = await sendEmptyJson(method, path, framing);
      if (reply.status !== 400 || reply.body?.error?.details?.field !== 'body' || !/^body: /.test(reply.body.error.message)) {
        wrong.push(`${operationId} (${method} ${path}): ${reply.status} ${JSON.stringify(reply.body)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('is never refused by an operation that takes no body (every such operation of the document)', async () => {
    const bodilessChanges = documentedOperations().filter((op) => !op.jsonBody && op.method !== 'GET' && op.operationId !== 'uploadArtifactVersion');
    expect(bodilessChanges.map((op) => op.operationId)).toEqual(expect.arrayContaining(bodiless.map((row) => row.operation)));
    const refused: string[] = [];
    for (const { operationId, method, path } of bodilessChanges) {
      const reply = await sendEmptyJson(method, path, framing);
      // The stand-in names do not exist, so most answer 404; what matters is that none is refused for its request.
      if (reply.status === 400 || reply.status === 415 || reply.status >= 500) {
        refused.push(`${operationId} (${method} ${path}): ${reply.status} ${JSON.stringify(reply.body)}`);
      }
    }
    expect(refused).toEqual([]);
  });
});

it('a body of only whitespace is empty too; anything else must still be JSON', async () => {
  const job = await queuedJob();
  const cancel = await admin.request('POST', `${T}/jobs/${job}/cancel`, undefined, { 'content-type': 'application/json' });
  expect(cancel.status).toBe(200);
  const whitespace = await fetch(`${server.url}${T}/jobs/${await queuedJob()}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    body: ' \r\n\t',
  });
  expect(whitespace.status).toBe(200);
  const notJson = await fetch(`${server.url}${T}/jobs/${await queuedJob()}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    body: 'cancel',
  });
  expect(notJson.status).toBe(400);
  expect(((await notJson.json()) as { error: { message: string } }).error.message).toBe('the body is not valid JSON');
});
