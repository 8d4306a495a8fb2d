// `modelyard serve` as a real process on an empty database: the first instance admin is created (and its credentials
// printed, once) by a process that serves the API — never by a worker-only process, whose output nobody is reading.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Client, dropTestData, expectStatus, Receiver, testConfig } from '../helpers/index.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { seedRegistry } from '../helpers/registry.js';
import { spawnWorker, type WorkerProcess } from '../helpers/database.js';

const CREDENTIALS = 'Modelyard created the first instance admin';
// Each test starts real `modelyard serve` processes one after another (three in the first): with two other test files
// running beside this one on two cores, a start can take several seconds, so the default 30 s is too tight.
const PROCESS_TESTS = { timeout: 90_000 };

describe('modelyard serve on an empty database', PROCESS_TESTS, () => {
  const processes: WorkerProcess[] = [];
  const configs: Array<ReturnType<typeof testConfig>> = [];
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGTERM')));
    await Promise.all(configs.splice(0).map((c) => dropTestData(c)));
  });

  it('a worker started first prints no credentials; the API process started next prints them once', async () => {
    const config = testConfig();
    configs.push(config);
    const worker = spawnWorker(config);
    processes.push(worker);
    await worker.ready;
    expect(worker.output()).not.toContain(CREDENTIALS);
    expect(worker.output()).not.toContain('password:');

    const api = spawnWorker(config, {}, 'api');
    processes.push(api);
    await api.ready;
    const output = api.output();
    expect(output).toContain(CREDENTIALS);
    expect(output).toMatch(/ {2}user: {5}admin\n/);
    expect(output).toMatch(/API key: {2}my_\S+/);
    const url = /Open (http:\/\/127\.0\.0\.1:\d+) and log in/.exec(output)?.[1];
    expect(url).toBeDefined();
    // The printed key works against the printed address.
    const key = /API key: {2}(my_\S+)/.exec(output)![1]!;
    const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { name: string } }).user.name).toBe('admin');

    // A second API process on the same database finds the admin there and prints nothing.
    const again = spawnWorker(config, {}, 'api');
    processes.push(again);
    await again.ready;
    expect(again.output()).not.toContain(CREDENTIALS);
  });
});

describe('modelyard serve with the delivery worker in its own thread (the default on two cores or more)', PROCESS_TESTS, () => {
  let serve: WorkerProcess | undefined;
  let receiver: Receiver | undefined;
  const config = testConfig();
  afterAll(async () => {
    await serve?.kill('SIGKILL');
    await receiver?.close();
    await dropTestData(config);
  });

  it("delivers from the thread, woken by the API thread's commits; reports metrics once; stops cleanly on SIGTERM", async () => {
    receiver = await new Receiver().start();
    serve = spawnWorker(config, { MODELYARD_DELIVERY_THREAD: 'on' }, 'all');
    await serve.ready;
    expect(serve.output()).toContain('"deliveryThread":true');
    const key = /API key: {2}(my_\S+)/.exec(serve.output())![1]!;
    const admin = new Client(serve.url(), key);
    expectStatus(await admin.post('/api/v1/teams', { name: 'vision' }), 201, 'creating the team');
    await seedRegistry(admin, 'vision', 1);
    expectStatus(await admin.post('/api/v1/teams/vision/registry/models/classifier/versions', { source: 'training/resnet:v0' }), 201, 'linking');
    const webhookId = await createWebhook(admin, 'vision', { name: 'deploy', url: receiver.url() });
    await createAutomation(admin, 'vision', webhookAutomation({ name: 'deploy', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"v":"${artifact_version_string}"}' }));

    expectStatus(await admin.put('/api/v1/teams/vision/registry/models/classifier/aliases/production', { version: 'v0' }), 200, 'moving the alias');
    await receiver.waitFor(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ v: 'vision/model-registry/classifier:production' });

    const metrics = await admin.get('/metrics');
    expect(metrics.status).toBe(200);
    const text = metrics.body as string;
    expect(text).toMatch(/modelyard_events_total\{type="ADD_ARTIFACT_ALIAS"\} 1\n/);
    expect(text.match(/^modelyard_process_cpu_user_seconds_total /gm)).toHaveLength(1);

    serve.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => serve!.child.once('exit', resolve));
    expect(code).toBe(0);
  });
});
