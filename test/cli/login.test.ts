// `modelyard login` saves a checked key in a private file, and the agent then needs no environment variables.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ARGS, createTeamWithRoles, eventually, startTestServer, type TestServer } from '../helpers/index.js';
import { fixture, REPO_ROOT } from '../helpers/agent-process.js';

let server: TestServer;
let home: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  server = await startTestServer();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-login-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function cli(args: string[], stdin = ''): { done: Promise<{ code: number | null; output: string }>; kill: (signal: NodeJS.Signals) => void } {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const name of ['MODELYARD_URL', 'MODELYARD_API_KEY', 'MODELYARD_TEAM', 'XDG_CONFIG_HOME']) delete env[name];
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: REPO_ROOT, env });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stdin.end(stdin);
  return {
    done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, output }))),
    kill: (signal) => child.kill(signal),
  };
}

describe('modelyard login', { timeout: 120_000 }, () => {
  it('refuses a wrong key and saves nothing', async () => {
    const result = await cli(['login', '--url', server.url, '--api-key-stdin'], 'my_wrong\n').done;
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/refused the key \(HTTP 401\)/);
    expect(fs.existsSync(path.join(home, '.config/modelyard/credentials.json'))).toBe(false);
  });

  it('saves a checked key readable only by its owner, and the agent uses it', async () => {
    const roles = await createTeamWithRoles(server);
    const key = (roles.member as unknown as { apiKey: string }).apiKey;
    const login = await cli(['login', '--url', `${server.url}/`, '--api-key-stdin', '--team', roles.team], `${key}\n`).done;
    expect(login.code, login.output).toBe(0);
    expect(login.output).toContain(`as ${roles.member.userName}`);
    expect(login.output).not.toContain(key);
    const file = path.join(home, '.config/modelyard/credentials.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ url: server.url, apiKey: key, team: roles.team });

    const base = `/api/v1/teams/${roles.team}`;
    await roles.member.post(`${base}/queues`, { name: 'saved' });
    const agent = cli(['agent', '--queue', 'saved', '--', 'bash', fixture('exit-with.sh')]);
    const id = (await roles.member.post(`${base}/queues/saved/jobs`, { payload: { exit_code: 0 } })).body.id;
    const job = await eventually(async () => {
      const reply = await roles.viewer.get(`${base}/jobs/${id}`);
      return reply.body.state === 'succeeded' ? reply.body : undefined;
    }, 60_000);
    expect(job.logTail).toContain(`working on job ${id}`);
    agent.kill('SIGTERM');
    expect((await agent.done).code).toBe(0);
  });
});
