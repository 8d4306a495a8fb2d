// `modelyard listen` (src/cli/commands/listen.ts) as a real process against a real server, forwarding to a real local
// receiver that checks every signature with the receiver kit: deliveries arrive byte for byte and verify; the
// listener killed mid-stream and started again loses none, and none it acknowledged reaches the receiver twice;
// --automation brings copies of a push automation's runs while the real webhook still gets them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeReceiver, type VerifiedDelivery } from '../../src/receiver/index.js';
import { CLI_ARGS, eventually, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { REPO_ROOT } from '../helpers/agent-process.js';
import { createAutomation, createSecret, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { seedRegistry } from '../helpers/registry.js';

const team = 'laptops';
const SECRET = 'laptop-signing-secret';
let server: TestServer;
let admin: Client;
let home: string;
const children = new Set<ChildProcess>();

/** The developer's local receiver: verifies each delivery with the kit; can hold one delivery unanswered. */
const received: Array<VerifiedDelivery & { path: string }> = [];
let holdNext = false;
const held: http.ServerResponse[] = [];
const local = http.createServer(
  nodeReceiver({ secret: SECRET }, (delivery, req, res) => {
    received.push({ ...delivery, path: req.url ?? '' });
    if (holdNext) {
      holdNext = false;
      held.push(res);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ deployed: (delivery.payload as { version: string }).version }));
  }),
);
const production = new Receiver();

interface Listener {
  lines: string[];
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

function startListener(args: string[]): Listener {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), MODELYARD_URL: server.url, MODELYARD_API_KEY: admin.apiKey };
  delete env.MODELYARD_TEAM;
  const child = spawn(process.execPath, [...CLI_ARGS, 'listen', '--team', team, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  let buffer = '';
  const collect = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { lines, kill: (signal) => child.kill(signal), exited };
}

let localUrl = '';
const link = async (version: string) =>
  expectStatus(await admin.post(`/api/v1/teams/${team}/registry/models/classifier/versions`, { source: `training/resnet:${version}` }), 201, `linking ${version}`);
const runOf = async (runId: string) => (await admin.get(`/api/v1/teams/${team}/runs/${runId}`)).body;

beforeAll(async () => {
  server = await startTestServer();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-listen-'));
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  localUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}/hook`;
  await production.start();
  const user = await server.admin.post('/api/v1/users', { name: 'laptop-admin', password: 'correct horse battery', apiKey: true });
  admin = server.client(user.body.apiKey);
  expectStatus(await admin.post('/api/v1/teams', { name: team }), 201, 'creating the team');
  await seedRegistry(admin, team, 8);
  await createSecret(admin, team, 'LAPTOP_SIGNING', SECRET);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const res of held) res.destroy();
  local.closeAllConnections();
  await new Promise<void>((resolve) => local.close(() => resolve()));
  await production.close();
  await server.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('modelyard listen', { timeout: 120_000 }, () => {
  it('creates the listen webhook, forwards each delivery byte for byte with signatures that verify, acknowledges it and prints a line', async () => {
    const listener = startListener(['--webhook', 'laptop', '--forward-to', localUrl, '--secret', 'LAPTOP_SIGNING']);
    await eventually(async () => listener.lines.some((line) => line.startsWith('listening on webhook "laptop" (created)')));
    const webhook = (await admin.get(`/api/v1/teams/${team}/webhooks`)).body.items.find((w: { name: string }) => w.name === 'laptop')!;
    expect(webhook).toMatchObject({ mode: 'listen', secret: 'LAPTOP_SIGNING' });
    await createAutomation(admin, team, webhookAutomation({ name: 'deploy locally', eventType: 'LINK_ARTIFACT', webhookId: webhook.id, payload: '{"event":"${event_type}","version":"${artifact_version_string}"}' }));
    await link('v0');
    await eventually(async () => listener.lines.some((line) => line.includes('LINK_ARTIFACT  classifier:v0  → 200')));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ scheme: 'standard-webhooks', payload: { event: 'LINK_ARTIFACT', version: `${team}/model-registry/classifier:v0` } });
    const run = await runOf(received[0]!.id!);
    expect(run).toMatchObject({ state: 'succeeded', status: 200, viaStream: true });
    expect(run.attempts[0]).toMatchObject({ status: 200, url: `stream → ${localUrl}`, responseBody: `{"deployed":"${team}/model-registry/classifier:v0"}` });
    // The body the receiver verified is the one the run holds, byte for byte.
    expect(received[0]!.body.toString('utf8')).toBe(run.body);
    listener.kill('SIGTERM');
    expect(await listener.exited).toBe(0);
  });

  it('killed mid-stream and started again, loses no delivery and repeats none it acknowledged', async () => {
    received.length = 0;
    const first = startListener(['--webhook', 'laptop', '--forward-to', localUrl]);
    await eventually(async () => first.lines.some((line) => line.includes('(reused)')));
    for (const version of ['v1', 'v2']) await link(version);
    await eventually(async () => received.length === 2 && first.lines.filter((line) => line.includes('→ 200')).length === 2);
    // The third is forwarded but the local receiver does not answer: the listener is killed before acknowledging it.
    holdNext = true;
    for (const version of ['v3', 'v4', 'v5']) await link(version);
    await eventually(async () => held.length === 1);
    first.kill('SIGKILL');
    await first.exited;
    const heldId = received.at(-1)!.id!;

    const second = startListener(['--webhook', 'laptop', '--forward-to', localUrl]);
    await eventually(async () => second.lines.filter((line) => line.includes('→ 200')).length === 3);
    second.kill('SIGTERM');
    await second.exited;

    const byId = new Map<string, number>();
    for (const delivery of received) byId.set(delivery.id!, (byId.get(delivery.id!) ?? 0) + 1);
    expect(byId.size).toBe(5);
    // Only the delivery that was never acknowledged reached the receiver twice (the same webhook-id, to deduplicate on).
    expect([...byId].filter(([, count]) => count > 1)).toEqual([[heldId, 2]]);
    const versions = received.map((d) => (d.payload as { version: string }).version.split(':')[1]);
    expect(versions).toEqual(['v1', 'v2', 'v3', 'v3', 'v4', 'v5']);
    for (const id of byId.keys()) {
      const run = await runOf(id);
      expect(run.state).toBe('succeeded');
      expect(run.attempts).toHaveLength(1);
    }
  });

  it("with --automation, receives copies of a push automation's deliveries while its real webhook still gets them", async () => {
    received.length = 0;
    const webhookId = await createWebhook(admin, team, { name: 'production deploy', url: production.url('/deploy') });
    const automationId = await createAutomation(admin, team, webhookAutomation({ name: 'deploy prod', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"version":"${artifact_version_string}"}' }));
    const listener = startListener(['--webhook', 'laptop', '--forward-to', localUrl, '--automation', automationId]);
    await eventually(async () => listener.lines.some((line) => line.includes(`with copies of automation ${automationId}`)));
    expectStatus(await admin.put(`/api/v1/teams/${team}/registry/models/classifier/aliases/production`, { version: 'v1' }), 200, 'moving production');
    await production.waitFor(1);
    await eventually(async () => listener.lines.some((line) => line.includes('ADD_ARTIFACT_ALIAS') && line.includes('[forwarded]')));
    expect(received.at(-1)!.body.toString('utf8')).toBe(production.requests[0]!.body);
    listener.kill('SIGTERM');
    await listener.exited;
    // Stopping the listener stops the copies.
    expect((await admin.delete(`/api/v1/teams/${team}/automations/${automationId}/forward`)).status).toBe(404);
  });
});
