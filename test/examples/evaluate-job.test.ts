// examples/evaluate-job end to end: the queue_job automation from the example's YAML, a real agent running the
// example's evaluate.mjs — a version whose metrics pass becomes `staging`; a worse one fails its job and run, and
// `staging` stays on the good one.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectStatus, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { killAllAgents, REPO_ROOT, startAgentProcess } from '../helpers/agent-process.js';
import { logVersion } from '../helpers/registry.js';
import { automationBodies } from './support.js';

const EXAMPLE = path.join(REPO_ROOT, 'examples/evaluate-job');
const team = 'evaluators';
let server: TestServer;
let admin: Client;
let apiKey: string;
const models = `/api/v1/teams/${team}/registry/models`;

beforeAll(async () => {
  server = await startTestServer({ env: { MODELYARD_JOB_MAX_ATTEMPTS: '1' } });
  const user = await server.admin.post('/api/v1/users', { name: 'evaluator', password: 'correct horse battery', apiKey: true });
  apiKey = user.body.apiKey!;
  admin = server.client(apiKey);
  expectStatus(await admin.post('/api/v1/teams', { name: team }), 201, 'creating the team');
  expectStatus(await admin.post(`/api/v1/teams/${team}/projects`, { name: 'training' }), 201, 'project');
  expectStatus(await admin.post(models, { name: 'classifier' }), 201, 'model');
  expectStatus(await admin.post(`/api/v1/teams/${team}/queues`, { name: 'evaluation' }), 201, 'queue');
});

afterAll(async () => {
  await killAllAgents();
  await server.close();
});

async function linkWithAccuracy(accuracy: number): Promise<string> {
  const logged = expectStatus(await logVersion(admin, team, 'training', 'resnet', { files: { 'metrics.json': JSON.stringify({ accuracy }), 'model.bin': `weights ${accuracy}` } }), 201, 'logging');
  const linked = expectStatus(await admin.post(`${models}/classifier/versions`, { source: `training/resnet:${logged.body.version}` }), 201, 'linking');
  return linked.body.version as string;
}

describe('examples/evaluate-job', () => {
  it('promotes a version that passes to staging, and leaves staging alone for one that does not', { timeout: 60_000 }, async () => {
    for (const body of automationBodies(parse(fs.readFileSync(path.join(EXAMPLE, 'automation.yaml'), 'utf8')))) {
      expectStatus(await admin.post(`/api/v1/teams/${team}/automations`, body), 201, 'creating the automation');
    }
    const agent = startAgentProcess({ url: server.url, apiKey, team, args: ['--queue', 'evaluation', '--', process.execPath, path.join(EXAMPLE, 'evaluate.mjs')] });

    const good = await linkWithAccuracy(0.95);
    await eventually(async () => (await admin.get(`${models}/classifier/versions/staging`)).body.version === good, 30_000);

    const worse = await linkWithAccuracy(0.5);
    const run = await eventually(async () => {
      const runs = (await admin.get(`/api/v1/teams/${team}/runs`)).body.items;
      return runs.find((r: { state: string; job: { exitCode: number | null } | null }) => r.state === 'failed' && r.job?.exitCode === 1);
    }, 30_000);
    expect(run.job!.state).toBe('failed');
    expect((await admin.get(`${models}/classifier/versions/staging`)).body.version).toBe(good);
    expect(worse).not.toBe(good);
    const jobLog = (await admin.get(`/api/v1/teams/${team}/jobs/${run.job!.id}`)).body;
    expect(JSON.stringify(jobLog)).toContain('did not pass');
    agent.kill('SIGTERM');
    await agent.exited;
  });
});
