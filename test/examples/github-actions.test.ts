// examples/github-actions: the automation in automations.yaml (the file `modelyard automations apply` reads) is created
// through the REST API, a version gets `production`, and the request Modelyard sends is checked against GitHub's
// documented "Create a repository dispatch event" call (POST /repos/{owner}/{repo}/dispatches, a bearer token, a JSON
// body of event_type — 1 to 100 characters — and client_payload — at most 10 top-level keys — answered 204) and against
// the workflow in the example, which must run for that event_type and read only keys the payload has.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { REPO_ROOT } from '../helpers/agent-process.js';
import { createSecret, createWebhook } from '../helpers/automations.js';
import { seedRegistry } from '../helpers/registry.js';
import { automationBodies } from './support.js';

const EXAMPLE = path.join(REPO_ROOT, 'examples/github-actions');
const team = 'gh-example';
let server: TestServer;
let admin: Client;
// Stands in for api.github.com: GitHub answers a dispatch with 204 No Content.
const github = new Receiver(() => ({ status: 204 }));

beforeAll(async () => {
  server = await startTestServer();
  await github.start();
  const user = await server.admin.post('/api/v1/users', { name: 'gh-admin', password: 'correct horse battery', apiKey: true });
  admin = server.client(user.body.apiKey);
  expectStatus(await admin.post('/api/v1/teams', { name: team }), 201, 'creating the team');
  await seedRegistry(admin, team, 2);
  expectStatus(await admin.post(`/api/v1/teams/${team}/registry/models/classifier/versions`, { source: 'training/resnet:v1' }), 201, 'linking');
});

afterAll(async () => {
  await github.close();
  await server.close();
});

describe('examples/github-actions', () => {
  it('sends the repository_dispatch request GitHub documents, for an event type the workflow runs on', async () => {
    await createSecret(admin, team, 'GITHUB_TOKEN', 'github_pat_example');
    const webhookId = await createWebhook(admin, team, { name: 'github-dispatch', url: github.url('/repos/OWNER/REPO/dispatches'), accessToken: 'GITHUB_TOKEN' });
    const file = parse(fs.readFileSync(path.join(EXAMPLE, 'automations.yaml'), 'utf8'));
    for (const body of automationBodies(file, { 'github-dispatch': webhookId })) {
      expectStatus(await admin.post(`/api/v1/teams/${team}/automations`, body), 201, `creating automation ${String(body.name)}`);
    }
    // An alias the pattern does not take sends nothing; production does.
    expectStatus(await admin.put(`/api/v1/teams/${team}/registry/models/classifier/aliases/production-candidate`, { version: 'v0' }), 200, 'candidate');
    expectStatus(await admin.put(`/api/v1/teams/${team}/registry/models/classifier/aliases/production`, { version: 'v0' }), 200, 'production');
    await github.waitFor(1);
    const request = github.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toMatch(/^\/repos\/[^/]+\/[^/]+\/dispatches$/);
    expect(request.headers.authorization).toBe('Bearer github_pat_example');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toEqual(expect.any(String));
    const body = JSON.parse(request.body) as { event_type: string; client_payload: Record<string, unknown> };
    expect(Object.keys(body).sort()).toEqual(['client_payload', 'event_type']);
    expect(body.event_type.length).toBeGreaterThanOrEqual(1);
    expect(body.event_type.length).toBeLessThanOrEqual(100);
    expect(typeof body.client_payload).toBe('object');
    expect(Object.keys(body.client_payload).length).toBeLessThanOrEqual(10);
    expect(body.client_payload).toMatchObject({ version: `${team}/model-registry/classifier:production`, model: 'classifier', alias: 'production', author: 'gh-admin' });

    const workflow = parse(fs.readFileSync(path.join(EXAMPLE, '.github/workflows/deploy-model.yml'), 'utf8'));
    expect(workflow.on.repository_dispatch.types).toContain(body.event_type);
    const used = [...fs.readFileSync(path.join(EXAMPLE, '.github/workflows/deploy-model.yml'), 'utf8').matchAll(/github\.event\.client_payload\.(\w+)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const key of used) expect(body.client_payload, key).toHaveProperty(key);

    // 204 is success: the run is done.
    await eventually(async () => {
      const runs = await admin.get(`/api/v1/teams/${team}/runs`);
      return runs.body.items.some((r: { state: string; status: number | null }) => r.state === 'succeeded' && r.status === 204);
    });
  });
});
