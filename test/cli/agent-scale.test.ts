// Many agents on one queue: 100 jobs, 4 agent processes running 2 jobs each at a time. Every job runs exactly once
// (each run appends its job id to one shared file: no duplicates, none missing), and all agents stop cleanly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, startTestServer, type TestServer } from '../helpers/index.js';
import { fixture, killAllAgents, startAgentProcess } from '../helpers/agent-process.js';

const JOBS = 100;
const AGENTS = 4;

let server: TestServer;
let workDir: string;

beforeAll(async () => {
  server = await startTestServer();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-agent-scale-'));
});
afterAll(async () => {
  await killAllAgents();
  await server.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('agents at scale', () => {
  it(`runs ${JOBS} jobs on ${AGENTS} agents (concurrency 2 each), each exactly once`, { timeout: 300_000 }, async () => {
    const roles = await createTeamWithRoles(server);
    const base = `/api/v1/teams/${roles.team}`;
    expect((await roles.member.post(`${base}/queues`, { name: 'bulk' })).status).toBe(201);
    const record = path.join(workDir, 'runs.txt');
    fs.writeFileSync(record, '');

    const agents = Array.from({ length: AGENTS }, (_, i) =>
      startAgentProcess({
        url: server.url,
        apiKey: (roles.member as unknown as { apiKey: string }).apiKey,
        team: roles.team,
        args: ['--queue', 'bulk', '--concurrency', '2', '--name', `bulk-${i}`, '--', 'bash', fixture('record-job.sh')],
      }),
    );
    const ids = new Set<string>();
    for (let i = 0; i < JOBS; i++) {
      const reply = await roles.member.post(`${base}/queues/bulk/jobs`, { payload: { record_file: record, n: i } });
      expect(reply.status).toBe(201);
      ids.add(reply.body.id);
    }

    const counts = await eventually(
      async () => {
        const queue = await roles.viewer.get(`${base}/queues/bulk`);
        return queue.body.counts.succeeded + queue.body.counts.failed === JOBS ? queue.body.counts : undefined;
      },
      240_000,
      500,
    );
    expect(counts).toEqual({ queued: 0, running: 0, succeeded: JOBS, failed: 0, cancelled: 0 });

    const runs = fs.readFileSync(record, 'utf8').trim().split('\n');
    expect(runs).toHaveLength(JOBS);
    expect(new Set(runs)).toEqual(ids);

    const jobs = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: any = await roles.viewer.get(`${base}/queues/bulk/jobs?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      jobs.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    expect(jobs.every((job) => job.attempts === 1)).toBe(true);
    // The work was shared: more than one agent ran jobs.
    expect(new Set(jobs.map((job) => job.agent)).size).toBeGreaterThan(1);

    for (const agent of agents) agent.kill('SIGTERM');
    for (const agent of agents) expect(await agent.exited, agent.output()).toEqual({ code: 0, signal: null });
  });
});
