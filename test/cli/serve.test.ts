// `modelyard serve` as a real process on an empty database: the first instance admin is created (and its credentials
// printed, once) by a process that serves the API — never by a worker-only process, whose output nobody is reading.
import { afterEach, describe, expect, it } from 'vitest';
import { dropTestData, testConfig } from '../helpers/index.js';
import { spawnWorker, type WorkerProcess } from '../helpers/database.js';

const CREDENTIALS = 'Modelyard created the first instance admin';

describe('modelyard serve on an empty database', () => {
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
