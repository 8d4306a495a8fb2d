// The OpenAPI document as its users consume it: a client whose types openapi-typescript generated from
// docs/openapi.json (src/client/schema.d.ts, kept current by test/e2e/api-types.test.ts) and openapi-fetch call every
// operation family of a real server, one success and one client error each, and this file type-checks (`npm run
// typecheck` covers test/). Error bodies are read through the document's one `Error` schema: a call whose operation
// declares no error response does not compile with expectError.
import fs from 'node:fs';
import createClient, { type Client as OpenApiClient } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components, paths } from '../../src/client/schema.js';
import { eventually, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { OPENAPI_FILE } from '../../scripts/openapi-document.js';

type ErrorBody = components['schemas']['Error'];
type Api = OpenApiClient<paths>;

let server: TestServer;
let receiver: Receiver;
let admin: Api;
let member: Api;
let memberName: string;
const TEAM = 'clients';

/** Per tag of the document, the statuses its operations answered in this file. */
const answered = new Map<string, Set<number>>();
const tagOf = new Map<string, string>();

function client(apiKey?: string): Api {
  const api = createClient<paths>({ baseUrl: server.url, headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  api.use({
    onResponse({ request, schemaPath, response }) {
      const tag = tagOf.get(`${request.method.toLowerCase()} ${schemaPath}`) ?? `(not in the document: ${request.method} ${schemaPath})`;
      answered.set(tag, (answered.get(tag) ?? new Set()).add(response.status));
    },
  });
  return api;
}

/** The error body openapi-fetch types for a call: never when the operation declares no error response. */
type DeclaredError<R> = R extends { error: infer E } ? E : never;
/** Compiles only for a call whose declared errors are the document's `Error` schema. */
type WithDeclaredErrors<R> = ErrorBody extends DeclaredError<R> ? R : R & { errorResponsesMissingFromTheDocument: true };

/** An error answer as the document types it: the status, and the envelope's code. */
function expectError<R extends { response: Response }>(result: WithDeclaredErrors<R>, status: number, code: string): void {
  const error = (result as { error?: ErrorBody }).error;
  expect(result.response.status).toBe(status);
  expect(error?.error.code).toBe(code);
  expect(error?.error.message).toEqual(expect.any(String));
}

beforeAll(async () => {
  const document = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, { tags?: string[] }>> };
  for (const [route, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) tagOf.set(`${method} ${route}`, operation.tags?.[0] ?? '(untagged)');
  }
  server = await startTestServer();
  receiver = await new Receiver().start();
  admin = client(server.adminKey);
  const created = await admin.POST('/api/v1/users', { body: { name: 'client-member', password: 'a long enough password', apiKey: true } });
  expect(created.response.status).toBe(201);
  memberName = created.data!.name;
  member = client(created.data!.apiKey);
  expect((await admin.POST('/api/v1/teams', { body: { name: TEAM } })).response.status).toBe(201);
  const added = await admin.PUT('/api/v1/teams/{team}/members/{user}', { params: { path: { team: TEAM, user: memberName } }, body: { role: 'member' } });
  expect(added.data).toEqual({ name: memberName, role: 'member' });
});

afterAll(async () => {
  await server.close();
  await receiver.close();
});

const team = { team: TEAM };

/** A project with one artifact version holding weights/model.bin, logged through the generated client. */
async function artifactVersion(project: string, artifact: string, content = 'weights of the model') {
  expect((await member.POST('/api/v1/teams/{team}/projects', { params: { path: team }, body: { name: project } })).response.status).toBe(201);
  const files: Record<string, string> = { 'weights/model.bin': content, 'config.json': '{"layers": 3}' };
  const uploaded = await member.POST('/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions', {
    params: { path: { ...team, project, name: artifact } },
    // The document types the multipart form's fields; `file` lists the paths whose parts the serializer adds.
    body: { type: 'model', metadata: JSON.stringify({ accuracy: 0.93 }), aliases: 'candidate', file: Object.keys(files) },
    bodySerializer(body) {
      const form = new FormData();
      form.set('type', body.type);
      if (body.metadata !== undefined) form.set('metadata', body.metadata);
      if (body.aliases !== undefined) form.set('aliases', body.aliases);
      for (const path of body.file) form.append('file', new Blob([files[path]!]), path);
      return form;
    },
  });
  expect(uploaded.response.status).toBe(201);
  return uploaded.data!;
}

describe('a client generated from the OpenAPI document', () => {
  it('health: liveness and readiness; a mistyped API key is refused even where none is needed', async () => {
    expect((await admin.GET('/healthz')).data).toEqual({ status: 'ok' });
    expect((await admin.GET('/readyz')).data?.status).toBe('ready');
    expectError(await client('my_not-a-key').GET('/healthz'), 401, 'unauthenticated');
  });

  it('session: log in, who am I, API keys; a wrong password is a 401', async () => {
    const login = await client().POST('/api/v1/login', { body: { name: 'admin', password: server.adminPassword } });
    expect(login.data?.user.name).toBe('admin');
    expect(login.data?.csrfToken).toEqual(expect.any(String));
    expect((await member.GET('/api/v1/me')).data?.teams).toEqual([{ id: expect.any(String), name: TEAM, role: 'member' }]);
    const key = await member.POST('/api/v1/api-keys', { body: { name: 'ci' } });
    expect(key.data?.key).toMatch(/^my_/);
    expect((await member.GET('/api/v1/api-keys')).data?.items.map((k) => k.name)).toContain('ci');
    expect((await member.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: key.data!.id } } })).response.status).toBe(204);
    expectError(await client().POST('/api/v1/login', { body: { name: 'admin', password: 'not the password' } }), 401, 'unauthenticated');
  });

  it('users: an instance admin creates one; a member may not', async () => {
    const created = await admin.POST('/api/v1/users', { body: { name: 'client-viewer', password: 'another long password' } });
    expect(created.data).toMatchObject({ name: 'client-viewer', isAdmin: false });
    expectError(await member.POST('/api/v1/users', { body: { name: 'intruder', password: 'another long password' } }), 403, 'forbidden');
  });

  it('teams: list, read, members; a team the caller is not in is a 404', async () => {
    expect((await member.GET('/api/v1/teams')).data?.items.map((t) => t.name)).toEqual([TEAM]);
    expect((await member.GET('/api/v1/teams/{team}', { params: { path: team } })).data?.role).toBe('member');
    const members = await member.GET('/api/v1/teams/{team}/members', { params: { path: team } });
    expect(members.data?.items.map((m) => m.name).sort()).toEqual(['admin', memberName]);
    expect((await admin.PUT('/api/v1/teams/{team}/members/{user}', { params: { path: { ...team, user: 'client-viewer' } }, body: { role: 'viewer' } })).response.status).toBe(201);
    expect((await admin.DELETE('/api/v1/teams/{team}/members/{user}', { params: { path: { ...team, user: 'client-viewer' } } })).response.status).toBe(204);
    expectError(await member.GET('/api/v1/teams/{team}', { params: { path: { team: 'someone-elses' } } }), 404, 'not_found');
  });

  it('projects: create and list; a name taken is a 409', async () => {
    expect((await member.POST('/api/v1/teams/{team}/projects', { params: { path: team }, body: { name: 'research', description: 'notebooks' } })).data?.name).toBe('research');
    expect((await member.GET('/api/v1/teams/{team}/projects', { params: { path: team, query: { limit: 10 } } })).data?.items.map((p) => p.name)).toContain('research');
    expectError(await member.POST('/api/v1/teams/{team}/projects', { params: { path: team }, body: { name: 'research' } }), 409, 'conflict');
  });

  it('artifacts: upload, list, read and download a file by a path with a slash; a missing file is a 404', async () => {
    const version = await artifactVersion('training', 'classifier');
    expect(version).toMatchObject({ version: 'v0', aliases: expect.arrayContaining(['candidate']), metadata: { accuracy: 0.93 } });
    const path = { ...team, project: 'training', name: 'classifier' };
    expect((await member.GET('/api/v1/teams/{team}/projects/{project}/artifacts', { params: { path: { ...team, project: 'training' } } })).data?.items[0]?.name).toBe('classifier');
    expect((await member.GET('/api/v1/teams/{team}/projects/{project}/artifacts/{name}', { params: { path } })).data?.versions).toHaveLength(1);
    expect((await member.GET('/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions', { params: { path } })).data?.items[0]?.version).toBe('v0');
    const read = await member.GET('/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions/{version}', { params: { path: { ...path, version: 'candidate' } } });
    expect(read.data?.files.map((f) => f.path).sort()).toEqual(['config.json', 'weights/model.bin']);

    const filePath = '/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions/{version}/files/{path}' as const;
    // openapi-fetch percent-encodes the `/` of the path parameter (%2F); the document says either form is accepted.
    const file = await member.GET(filePath, { params: { path: { ...path, version: 'v0', path: 'weights/model.bin' } }, parseAs: 'text' });
    expect(file.response.status).toBe(200);
    expect(file.data).toBe('weights of the model');
    expect(file.response.headers.get('content-type')).toBe('application/octet-stream');
    expectError(await member.GET(filePath, { params: { path: { ...path, version: 'v0', path: 'weights/missing.bin' } } }), 404, 'not_found');
  });

  it('registry: models, versions and aliases; an unknown version is a 404', async () => {
    await artifactVersion('registry-source', 'detector');
    const models = '/api/v1/teams/{team}/registry/models' as const;
    const model = { ...team, model: 'detector' };
    expect((await member.POST(models, { params: { path: team }, body: { name: 'detector' } })).response.status).toBe(201);
    expect((await member.GET(models, { params: { path: team, query: { search: 'detect' } } })).data?.items.map((m) => m.name)).toEqual(['detector']);
    expect((await member.PATCH('/api/v1/teams/{team}/registry/models/{model}', { params: { path: model }, body: { description: 'finds things' } })).data?.description).toBe('finds things');
    const linked = await member.POST('/api/v1/teams/{team}/registry/models/{model}/versions', {
      params: { path: model },
      body: { source: 'registry-source/detector:v0', aliases: ['staging'] },
    });
    expect(linked.response.status).toBe(201);
    expect(linked.data?.aliases).toEqual(expect.arrayContaining(['staging', 'latest']));
    expect((await member.GET('/api/v1/teams/{team}/registry/models/{model}/versions', { params: { path: model } })).data?.items).toHaveLength(1);
    const alias = { ...model, alias: 'production' };
    expect((await member.PUT('/api/v1/teams/{team}/registry/models/{model}/aliases/{alias}', { params: { path: alias }, body: { version: 'staging' } })).data?.aliases).toContain('production');
    expect((await member.GET('/api/v1/teams/{team}/registry/models/{model}/versions/{version}', { params: { path: { ...model, version: 'production' } } })).data?.version).toBe('v0');
    expect((await member.DELETE('/api/v1/teams/{team}/registry/models/{model}/aliases/{alias}', { params: { path: alias } })).response.status).toBe(204);
    expect((await member.GET('/api/v1/teams/{team}/registry/models/{model}/automations', { params: { path: model } })).data?.items).toEqual([]);
    expectError(await member.GET('/api/v1/teams/{team}/registry/models/{model}/versions/{version}', { params: { path: { ...model, version: 'v9' } } }), 404, 'not_found');
    expect((await member.DELETE('/api/v1/teams/{team}/registry/models/{model}/versions/{version}', { params: { path: { ...model, version: 'v0' } } })).response.status).toBe(204);
    expect((await member.DELETE('/api/v1/teams/{team}/registry/models/{model}', { params: { path: model } })).response.status).toBe(204);
  });

  it('secrets: create, list, replace, delete; a member may not read them', async () => {
    const secrets = '/api/v1/teams/{team}/secrets' as const;
    expect((await admin.POST(secrets, { params: { path: team }, body: { name: 'CLIENT_TOKEN', value: 'first value' } })).data?.name).toBe('CLIENT_TOKEN');
    expect((await admin.GET(secrets, { params: { path: team } })).data?.items.map((s) => s.name)).toContain('CLIENT_TOKEN');
    const secret = { ...team, name: 'CLIENT_TOKEN' };
    expect((await admin.PUT('/api/v1/teams/{team}/secrets/{name}', { params: { path: secret }, body: { value: 'second value' } })).response.status).toBe(200);
    expectError(await member.GET(secrets, { params: { path: team } }), 403, 'forbidden');
    expect((await admin.DELETE('/api/v1/teams/{team}/secrets/{name}', { params: { path: secret } })).response.status).toBe(204);
  });

  it('webhooks, automations, presets, events and runs: from a link to a delivery and its redelivery', async () => {
    const hook = await admin.POST('/api/v1/teams/{team}/webhooks', { params: { path: team }, body: { name: 'client-hook', url: receiver.url() } });
    expect(hook.response.status).toBe(201);
    const webhook = { ...team, id: hook.data!.id };
    expect((await admin.GET('/api/v1/teams/{team}/webhooks/{id}', { params: { path: webhook } })).data?.url).toBe(receiver.url());
    expect((await member.GET('/api/v1/teams/{team}/webhooks', { params: { path: team } })).data?.items[0]).not.toHaveProperty('url');
    expect((await admin.PATCH('/api/v1/teams/{team}/webhooks/{id}', { params: { path: webhook }, body: { enabled: true } })).data?.enabled).toBe(true);
    const tested = await admin.POST('/api/v1/teams/{team}/webhooks/{id}/test', { params: { path: webhook }, body: { payload: '{"test": "${event_type}"}' } });
    expect(tested.data?.status).toBe(200);
    expectError(await member.DELETE('/api/v1/teams/{team}/webhooks/{id}', { params: { path: webhook } }), 403, 'forbidden');

    const presets = await member.GET('/api/v1/presets', { params: { query: { eventType: 'ADD_ARTIFACT_ALIAS' } } });
    expect(presets.data?.items.length).toBeGreaterThan(0);
    expectError(await member.GET('/api/v1/presets', { params: { query: { cursor: 'not-a-cursor' } } }), 400, 'invalid_request');

    const action = { type: 'webhook' as const, webhookId: webhook.id, payload: '{"version": "${artifact_version_string}"}' };
    const preview = await member.POST('/api/v1/teams/{team}/automations/preview', {
      params: { path: team },
      body: { event: { type: 'LINK_ARTIFACT', model: null, aliasPattern: null }, action },
    });
    expect(preview.data?.problems).toEqual([]);
    const automation = await member.POST('/api/v1/teams/{team}/automations', {
      params: { path: team },
      body: { name: 'client-deploy', event: { type: 'LINK_ARTIFACT' }, action },
    });
    expect(automation.response.status).toBe(201);
    const automationPath = { ...team, id: automation.data!.id };
    expect((await member.GET('/api/v1/teams/{team}/automations', { params: { path: team } })).data?.items.map((a) => a.name)).toEqual(['client-deploy']);
    expect((await member.PATCH('/api/v1/teams/{team}/automations/{id}', { params: { path: automationPath }, body: { description: 'on every link' } })).data?.description).toBe('on every link');
    expect((await member.GET('/api/v1/teams/{team}/automations/{id}', { params: { path: automationPath } })).data?.enabled).toBe(true);
    expectError(
      await member.POST('/api/v1/teams/{team}/automations', { params: { path: team }, body: { name: 'client-deploy', event: { type: 'LINK_ARTIFACT' }, action } }),
      409,
      'conflict',
    );

    await artifactVersion('automated', 'ranker');
    expect((await member.POST('/api/v1/teams/{team}/registry/models', { params: { path: team }, body: { name: 'ranker' } })).response.status).toBe(201);
    const link = await member.POST('/api/v1/teams/{team}/registry/models/{model}/versions', { params: { path: { ...team, model: 'ranker' } }, body: { source: 'automated/ranker:v0' } });
    expect(link.response.status).toBe(201);
    const events = await member.GET('/api/v1/teams/{team}/events', { params: { path: team, query: { type: 'LINK_ARTIFACT', model: 'ranker' } } });
    expect(events.data?.items.map((e) => e.type)).toEqual(['LINK_ARTIFACT']);
    expectError(await member.GET('/api/v1/teams/{team}/events', { params: { path: team, query: { cursor: '%%%' } } }), 400, 'invalid_request');

    const run = await eventually(async () => {
      const runs = await member.GET('/api/v1/teams/{team}/automations/{id}/runs', { params: { path: automationPath } });
      const first = runs.data?.items[0];
      return first?.state === 'succeeded' ? first : undefined;
    });
    expect((await member.GET('/api/v1/teams/{team}/runs', { params: { path: team, query: { state: 'succeeded' } } })).data?.items.map((r) => r.id)).toContain(run.id);
    const runPath = { ...team, runId: run.id };
    expect((await member.GET('/api/v1/teams/{team}/runs/{runId}', { params: { path: runPath } })).data?.body).toContain('ranker:v0');
    expect((await member.POST('/api/v1/teams/{team}/runs/{runId}/redeliver', { params: { path: runPath } })).data?.trigger).toBe('manual');
    const window = { since: new Date(Date.now() - 60_000).toISOString() };
    expect((await member.POST('/api/v1/teams/{team}/runs/redeliver', { params: { path: team }, body: window })).data?.count).toBe(0);
    expectError(await member.GET('/api/v1/teams/{team}/runs/{runId}', { params: { path: { ...team, runId: 'no-such-run' } } }), 404, 'not_found');

    expect((await member.DELETE('/api/v1/teams/{team}/automations/{id}', { params: { path: automationPath } })).response.status).toBe(204);
    expect((await admin.DELETE('/api/v1/teams/{team}/webhooks/{id}', { params: { path: webhook } })).response.status).toBe(204);
  });

  it('queues, jobs and the agent protocol: enqueue, claim, report, requeue, cancel; a stale lease is a 409', async () => {
    const queue = { ...team, queue: 'client-gpu' };
    expect((await member.POST('/api/v1/teams/{team}/queues', { params: { path: team }, body: { name: 'client-gpu' } })).response.status).toBe(201);
    expect((await member.GET('/api/v1/teams/{team}/queues', { params: { path: team } })).data?.items.map((q) => q.name)).toEqual(['client-gpu']);
    expectError(await member.POST('/api/v1/teams/{team}/queues', { params: { path: team }, body: { name: 'client-gpu' } }), 409, 'conflict');

    const enqueued = await member.POST('/api/v1/teams/{team}/queues/{queue}/jobs', { params: { path: queue }, body: { payload: { model: 'ranker' } } });
    expect(enqueued.data?.state).toBe('queued');
    const claimed = await member.POST('/api/v1/teams/{team}/queues/{queue}/claim', { params: { path: queue, query: { wait: 0 } }, body: { agent: 'client-agent' } });
    expect(claimed.response.status).toBe(200);
    const job = { ...team, jobId: claimed.data!.id };
    const lease = { agent: 'client-agent', attempt: claimed.data!.attempts };
    expect((await member.POST('/api/v1/teams/{team}/jobs/{jobId}/heartbeat', { params: { path: job }, body: { ...lease, state: 'running' } })).data?.cancel).toBe(false);
    expect((await member.POST('/api/v1/teams/{team}/jobs/{jobId}/log', { params: { path: job }, body: { ...lease, text: 'training…\n' } })).response.status).toBe(204);
    expectError(await member.POST('/api/v1/teams/{team}/jobs/{jobId}/heartbeat', { params: { path: job }, body: { ...lease, attempt: lease.attempt + 1 } }), 409, 'conflict');
    expect((await member.POST('/api/v1/teams/{team}/jobs/{jobId}/result', { params: { path: job }, body: { ...lease, exitCode: 0 } })).data?.state).toBe('succeeded');
    expectError(await member.POST('/api/v1/teams/{team}/jobs/{jobId}/release', { params: { path: job }, body: lease }), 409, 'conflict');

    expect((await member.GET('/api/v1/teams/{team}/jobs/{jobId}', { params: { path: job } })).data?.logTail).toBe('training…\n');
    expect((await member.GET('/api/v1/teams/{team}/queues/{queue}/jobs', { params: { path: queue, query: { state: 'succeeded' } } })).data?.items).toHaveLength(1);
    const again = await member.POST('/api/v1/teams/{team}/jobs/{jobId}/requeue', { params: { path: job } });
    expect(again.response.status).toBe(201);
    expect((await member.POST('/api/v1/teams/{team}/jobs/{jobId}/cancel', { params: { path: { ...team, jobId: again.data!.id } } })).data?.state).toBe('cancelled');
    expectError(await member.POST('/api/v1/teams/{team}/jobs/{jobId}/cancel', { params: { path: job } }), 409, 'conflict');
    expect((await member.GET('/api/v1/teams/{team}/queues/{queue}', { params: { path: queue } })).data?.counts.cancelled).toBe(1);
    expect((await member.DELETE('/api/v1/teams/{team}/queues/{queue}', { params: { path: queue } })).response.status).toBe(204);
  });

  it('stream: forward an automation to a listen webhook and stop; an unknown run cannot be acknowledged, a member may not listen', async () => {
    const listen = await admin.POST('/api/v1/teams/{team}/webhooks', { params: { path: team }, body: { name: 'client-listen', mode: 'listen' } });
    expect(listen.response.status).toBe(201);
    const push = await admin.POST('/api/v1/teams/{team}/webhooks', { params: { path: team }, body: { name: 'client-forwarded', url: receiver.url() } });
    const automation = await member.POST('/api/v1/teams/{team}/automations', {
      params: { path: team },
      body: { name: 'client-forwarded', event: { type: 'LINK_ARTIFACT' }, action: { type: 'webhook', webhookId: push.data!.id, payload: '{}' } },
    });
    const forwarded = { ...team, id: automation.data!.id };
    const forward = await admin.PUT('/api/v1/teams/{team}/automations/{id}/forward', { params: { path: forwarded }, body: { webhook: 'client-listen' } });
    expect(forward.response.status).toBe(200);
    expect((await admin.DELETE('/api/v1/teams/{team}/automations/{id}/forward', { params: { path: forwarded } })).response.status).toBe(204);
    const ack = await admin.POST('/api/v1/teams/{team}/runs/{runId}/ack', {
      params: { path: { ...team, runId: '00000000-0000-7000-8000-000000000000' } },
      body: { status: 200, headers: {}, body: '', durationMs: 1, error: null, forwardedTo: null },
    });
    expectError(ack, 404, 'not_found');
    expectError(await member.GET('/api/v1/teams/{team}/stream', { params: { path: team }, parseAs: 'stream' }), 403, 'forbidden');
  });

  it('promotions: a governed alias is requested, listed and approved by another member; approving your own is a 403', async () => {
    await artifactVersion('promoting', 'scorer');
    const model = { ...team, model: 'scorer' };
    expect((await member.POST('/api/v1/teams/{team}/registry/models', { params: { path: team }, body: { name: 'scorer' } })).response.status).toBe(201);
    expect((await member.POST('/api/v1/teams/{team}/registry/models/{model}/versions', { params: { path: model }, body: { source: 'promoting/scorer:v0' } })).response.status).toBe(201);
    const policy = await admin.POST('/api/v1/teams/{team}/registry/alias-policies', {
      params: { path: team },
      body: { aliasPattern: '^production$', model: 'scorer', setBy: 'member', approvals: 1, requiredChecks: [] },
    });
    expect(policy.response.status).toBe(201);
    const requested = await member.POST('/api/v1/teams/{team}/registry/models/{model}/promotions', { params: { path: model }, body: { version: 'v0', alias: 'production', comment: 'eval passed' } });
    expect(requested.data?.state).toBe('pending');
    const promotion = { ...model, id: requested.data!.id };
    expect((await member.GET('/api/v1/teams/{team}/registry/promotions', { params: { path: team, query: { state: 'pending' } } })).data?.items.map((p) => p.id)).toContain(promotion.id);
    expectError(await member.POST('/api/v1/teams/{team}/registry/models/{model}/promotions/{id}/approve', { params: { path: promotion }, body: {} }), 403, 'forbidden');
    const approved = await admin.POST('/api/v1/teams/{team}/registry/models/{model}/promotions/{id}/approve', { params: { path: promotion }, body: { comment: 'ok' } });
    expect(approved.data?.state).toBe('applied');
  });

  it('every tag of the document answered a success and a client error above', () => {
    const tags = new Set(tagOf.values());
    const missing = [...tags].flatMap((tag) => {
      const statuses = [...(answered.get(tag) ?? [])];
      return [
        ...(statuses.some((s) => s >= 200 && s < 300) ? [] : [`${tag}: no 2xx`]),
        ...(statuses.some((s) => s >= 400 && s < 500) ? [] : [`${tag}: no 4xx`]),
      ];
    });
    expect(missing, 'add calls for these operation families to test/api/openapi-client.test.ts').toEqual([]);
    expect([...answered.keys()].filter((tag) => !tags.has(tag))).toEqual([]);
  });
});
