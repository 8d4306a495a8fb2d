// The Python SDK (clients/python) against a real server: its own unittest suite run by `python3 -m unittest`, with
// the server's URL, a team admin's API key and the team in the environment; and current_job() inside a job that a
// real `modelyard agent` runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserClient, eventually, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { killAllAgents, REPO_ROOT, startAgentProcess } from '../helpers/agent-process.js';

const PYTHON_ROOT = path.join(REPO_ROOT, 'clients/python');
// Small, so the SDK's test of a refused oversized upload sends only a few megabytes.
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

let server: TestServer;
let user: Client & { userName: string };
let home: string;
const team = 'python-sdk';

beforeAll(async () => {
  // One quick retry, so a delivery to a failing receiver reaches `failed` within the test.
  server = await startTestServer({ env: { MODELYARD_RETRY_SCHEDULE: '0.05', MODELYARD_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
  user = await createUserClient(server);
  expect((await user.post('/api/v1/teams', { name: team })).status).toBe(201);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-python-'));
});

afterAll(async () => {
  await killAllAgents();
  await server.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** The environment a user's script would have: the SDK importable from the checkout, no saved login of the machine. */
function pythonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PYTHONPATH: PYTHON_ROOT, PYTHONDONTWRITEBYTECODE: '1' };
  delete env.XDG_CONFIG_HOME;
  // The SDK honours proxies from the environment; a developer's own must not route these loopback calls.
  for (const name of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(name)) delete env[name];
  return env;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('Python SDK', { timeout: 120_000 }, () => {
  it('passes its unittest suite against this server', async () => {
    const apiKey = (user as unknown as { apiKey: string }).apiKey;
    const result = await run('python3', ['-m', 'unittest', 'discover', '-s', 'clients/python/tests', '-v'], {
      ...pythonEnv(),
      MODELYARD_URL: server.url,
      MODELYARD_API_KEY: apiKey,
      MODELYARD_TEAM: team,
      MODELYARD_TEST_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    });
    expect(result.code, result.output).toBe(0);
    const ran = /^Ran (\d+) tests? in /m.exec(result.output);
    expect(ran, result.output).not.toBeNull();
    expect(Number(ran![1])).toBeGreaterThan(20);
    expect(result.output).toMatch(/^OK$/m);
    expect(result.output).not.toMatch(/skipped/);
  });

  it('current_job() inside a job run by modelyard agent gives its payload, and Modelyard() reaches the server', async () => {
    const apiKey = (user as unknown as { apiKey: string }).apiKey;
    expect((await user.post(`/api/v1/teams/${team}/queues`, { name: 'python-eval' })).status).toBe(201);
    expect((await user.post(`/api/v1/teams/${team}/registry/models`, { name: 'job-model' })).status).toBe(201);
    const script = [
      'import json',
      'from modelyard import Modelyard, current_job',
      'job = current_job()',
      'model = Modelyard(progress=False).model(job.payload["model"])',
      'print("JOB " + json.dumps({"id": job.id, "attempt": job.attempt, "queue": job.queue, "team": job.team,',
      '      "event_type": job.event_type, "model": model.name}))',
    ].join('\n');
    const agent = startAgentProcess({
      url: server.url,
      apiKey,
      team,
      args: ['--queue', 'python-eval', '--', 'python3', '-c', script],
      env: { PYTHONPATH: PYTHON_ROOT, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const enqueued = await user.post(`/api/v1/teams/${team}/queues/python-eval/jobs`, {
      payload: { event_type: 'LINK_ARTIFACT', model: 'job-model' },
    });
    expect(enqueued.status).toBe(201);
    const jobId = enqueued.body.id as string;
    const job = await eventually(async () => {
      const reply = await user.get(`/api/v1/teams/${team}/jobs/${jobId}`);
      return ['succeeded', 'failed'].includes(reply.body.state) ? reply.body : undefined;
    }, 60_000);
    expect(job.state, `${job.logTail}\n${agent.output()}`).toBe('succeeded');
    const line = /^JOB (.*)$/m.exec(job.logTail as string);
    expect(line, job.logTail).not.toBeNull();
    expect(JSON.parse(line![1]!)).toEqual({ id: jobId, attempt: 1, queue: 'python-eval', team, event_type: 'LINK_ARTIFACT', model: 'job-model' });
    agent.kill('SIGTERM');
    await agent.exited;
  });
});
