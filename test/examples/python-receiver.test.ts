// examples/python-receiver end to end: the Python receiver (standard library and the SDK's verify_signature) as a
// process, the deploy automation created from the example's YAML, a version linked — and the version's files appear in
// the deploy folder, checked against what was uploaded. A forged delivery is refused and deploys nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectStatus, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { REPO_ROOT } from '../helpers/agent-process.js';
import { createSecret, createWebhook } from '../helpers/automations.js';
import { logVersion } from '../helpers/registry.js';
import { automationBodies } from './support.js';

const EXAMPLE = path.join(REPO_ROOT, 'examples/python-receiver');
const AUTOMATION = path.join(REPO_ROOT, 'examples/deploy-receiver/automation.yaml');
const team = 'py-deployers';
const SECRET = 'deploy-signing-secret';
let server: TestServer;
let admin: Client;
let deployDir: string;
let receiver: ChildProcess;
let output = '';
let hookUrl = '';

beforeAll(async () => {
  server = await startTestServer();
  deployDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-deployed-'));
  const user = await server.admin.post('/api/v1/users', { name: 'py-deployer', password: 'correct horse battery', apiKey: true });
  admin = server.client(user.body.apiKey);
  expectStatus(await admin.post('/api/v1/teams', { name: team }), 201, 'creating the team');
  expectStatus(await admin.post(`/api/v1/teams/${team}/projects`, { name: 'training' }), 201, 'project');
  expectStatus(await admin.post(`/api/v1/teams/${team}/registry/models`, { name: 'classifier' }), 201, 'model');
  receiver = spawn('python3', [path.join(EXAMPLE, 'receiver.py')], {
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'clients/python'), PYTHONDONTWRITEBYTECODE: '1', MODELYARD_URL: server.url, MODELYARD_API_KEY: user.body.apiKey, MODELYARD_WEBHOOK_SECRET: SECRET, DEPLOY_DIR: deployDir, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  receiver.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  receiver.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  hookUrl = await eventually(async () => /listening on (\S+)/.exec(output)?.[1]);
});

afterAll(async () => {
  if (receiver.exitCode === null) {
    const exited = new Promise((resolve) => receiver.on('exit', resolve));
    receiver.kill('SIGKILL');
    await exited;
  }
  await server.close();
  fs.rmSync(deployDir, { recursive: true, force: true });
});

describe('examples/python-receiver', () => {
  it('deploys the files of a linked version, verified, and refuses a forged delivery', async () => {
    await createSecret(admin, team, 'DEPLOY_SIGNING', SECRET);
    const webhookId = await createWebhook(admin, team, { name: 'deploy', url: hookUrl, secret: 'DEPLOY_SIGNING' });
    for (const body of automationBodies(parse(fs.readFileSync(AUTOMATION, 'utf8')), { deploy: webhookId })) {
      expectStatus(await admin.post(`/api/v1/teams/${team}/automations`, body), 201, 'creating the automation');
    }
    const files = { 'model.bin': Buffer.from([0, 1, 2, 250, 255]), 'config/labels.json': '{"labels":["cat","dog"]}' };
    expectStatus(await logVersion(admin, team, 'training', 'resnet', { files }), 201, 'logging a version');
    expectStatus(await admin.post(`/api/v1/teams/${team}/registry/models/classifier/versions`, { source: 'training/resnet:v0' }), 201, 'linking');

    const folder = path.join(deployDir, 'classifier', 'v0');
    await eventually(async () => fs.existsSync(path.join(folder, 'config/labels.json')));
    expect(fs.readFileSync(path.join(folder, 'model.bin'))).toEqual(files['model.bin']);
    expect(fs.readFileSync(path.join(folder, 'config/labels.json'), 'utf8')).toBe(files['config/labels.json']);
    // The receiver prints its line after the files are in place; the pipe may bring it a moment later.
    await eventually(async () => output.includes('deployed classifier v0 (2 files)'));
    await eventually(async () => (await admin.get(`/api/v1/teams/${team}/runs`)).body.items[0]?.state === 'succeeded');

    const forged = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-wandb-signature': Buffer.alloc(32).toString('base64') },
      body: JSON.stringify({ version: `${team}/model-registry/classifier:v0` }),
    });
    expect(forged.status).toBe(401);
    expect(fs.readdirSync(path.join(deployDir, 'classifier'))).toEqual(['v0']);
  });
});
