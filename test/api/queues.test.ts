// The queue and job routes and the agent protocol over HTTP, with the role matrix for every route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type Client, type TestServer } from '../helpers/index.js';

let server: TestServer;
let roles: Awaited<ReturnType<typeof createTeamWithRoles>>;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  roles = await createTeamWithRoles(server);
  base = `/api/v1/teams/${roles.team}`;
});
afterAll(async () => {
  await server.close();
});

async function makeQueue(name: string): Promise<void> {
  const reply = await roles.member.post(`${base}/queues`, { name, description: `queue ${name}` });
  expect(reply.status).toBe(201);
}

async function enqueue(queue: string, payload: Record<string, unknown> = { command: 'evaluate' }): Promise<string> {
  const reply = await roles.member.post(`${base}/queues/${queue}/jobs`, { payload });
  expect(reply.status).toBe(201);
  return reply.body.id;
}

async function claim(queue: string, agent = 'agent-a', client: Client = roles.member, wait = 0) {
  return client.post(`${base}/queues/${queue}/claim?wait=${wait}`, { agent });
}

describe('queues', () => {
  it('creates, lists with counts, reads and deletes queues', async () => {
    await makeQueue('eval');
    const clash = await roles.member.post(`${base}/queues`, { name: 'eval' });
    expect(clash.status).toBe(409);
    const badName = await roles.member.post(`${base}/queues`, { name: 'has space' });
    expect(badName.status).toBe(400);
    expect(badName.body.error.details.field).toBe('name');

    await enqueue('eval');
    const list = await roles.viewer.get(`${base}/queues`);
    expect(list.status).toBe(200);
    const evalQueue = list.body.items.find((q: { name: string }) => q.name === 'eval');
    expect(evalQueue).toMatchObject({ description: 'queue eval', counts: { queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 } });
    const one = await roles.viewer.get(`${base}/queues/eval`);
    expect(one.body.counts.queued).toBe(1);
    expect((await roles.viewer.get(`${base}/queues/nope`)).status).toBe(404);
  });

  it('refuses to delete a queue with unfinished jobs unless forced, then cancels them', async () => {
    await makeQueue('doomed');
    const queuedId = await enqueue('doomed');
    const runningId = await enqueue('doomed');
    const claimed = await claim('doomed');
    expect(claimed.body.id).toBe(queuedId);

    const refused = await roles.member.delete(`${base}/queues/doomed`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/2 unfinished jobs/);
    expect(refused.body.error.details.unfinishedJobs).toBe(2);

    expect((await roles.member.delete(`${base}/queues/doomed?force=true`)).status).toBe(204);
    expect((await roles.viewer.get(`${base}/queues/doomed`)).status).toBe(404);
    for (const id of [queuedId, runningId]) {
      const job = await roles.viewer.get(`${base}/jobs/${id}`);
      expect(job.body).toMatchObject({ state: 'cancelled', queue: null });
    }
    // The agent that held the claimed job learns it is gone.
    const beat = await roles.member.post(`${base}/jobs/${queuedId}/heartbeat`, { agent: 'agent-a', attempt: 1 });
    expect(beat.status).toBe(409);
  });

  it('shows an empty queue as empty: all counts zero, no jobs, and a claim that gets nothing (204, no body)', async () => {
    await makeQueue('vacant');
    const zero = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    const one = await roles.viewer.get(`${base}/queues/vacant`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ name: 'vacant', description: 'queue vacant', counts: zero });
    const listed = (await roles.viewer.get(`${base}/queues`)).body.items.find((q: { name: string }) => q.name === 'vacant');
    expect(listed.counts).toEqual(zero);
    const jobs = await roles.viewer.get(`${base}/queues/vacant/jobs`);
    expect(jobs.status).toBe(200);
    expect(jobs.body).toEqual({ items: [], nextCursor: null });
    expect((await roles.viewer.get(`${base}/queues/vacant/jobs?state=queued,running`)).body).toEqual({ items: [], nextCursor: null });

    const claimed = await claim('vacant', 'idle', roles.member, 0);
    expect(claimed.status).toBe(204);
    expect(claimed.body).toBe('');
    // Asking changed nothing.
    expect((await roles.viewer.get(`${base}/queues/vacant`)).body.counts).toEqual(zero);
  });

  it('deletes an empty queue, or one whose jobs are all finished, without force', async () => {
    await makeQueue('tidy');
    const id = await enqueue('tidy');
    await roles.member.post(`${base}/jobs/${id}/cancel`);
    expect((await roles.member.delete(`${base}/queues/tidy`)).status).toBe(204);
  });
});

describe('jobs', () => {
  it('runs the protocol: claim, running heartbeat, log, result', async () => {
    await makeQueue('proto');
    const id = await enqueue('proto', { command: 'evaluate', model: 'team/model-registry/m:v1', n: 3 });
    const claimed = await claim('proto', 'host-1');
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({
      id,
      state: 'claimed',
      agent: 'host-1',
      attempts: 1,
      maxAttempts: 3,
      payload: { command: 'evaluate', model: 'team/model-registry/m:v1', n: 3 },
      leaseMs: 30_000,
    });
    const lease = { agent: 'host-1', attempt: 1 };
    const beat = await roles.member.post(`${base}/jobs/${id}/heartbeat`, { ...lease, state: 'running' });
    expect(beat.status).toBe(200);
    expect(beat.body.cancel).toBe(false);
    expect((await roles.viewer.get(`${base}/jobs/${id}`)).body.state).toBe('running');

    expect((await roles.member.post(`${base}/jobs/${id}/log`, { ...lease, text: 'hello\n' })).status).toBe(204);
    expect((await roles.member.post(`${base}/jobs/${id}/log`, { ...lease, text: 'world\n' })).status).toBe(204);

    const wrongAgent = await roles.member.post(`${base}/jobs/${id}/log`, { agent: 'host-2', attempt: 1, text: 'intruder' });
    expect(wrongAgent.status).toBe(409);
    expect(wrongAgent.body.error.message).toMatch(/held by agent "host-1"/);

    const result = await roles.member.post(`${base}/jobs/${id}/result`, { ...lease, exitCode: 0 });
    expect(result.body).toEqual({ state: 'succeeded' });
    const job = await roles.viewer.get(`${base}/jobs/${id}`);
    expect(job.body).toMatchObject({ state: 'succeeded', exitCode: 0, error: null, logTail: 'hello\nworld\n', agent: 'host-1' });
    expect(job.body.durationMs).toBeGreaterThanOrEqual(0);
    expect(job.body.startedAt).not.toBeNull();

    const late = await roles.member.post(`${base}/jobs/${id}/result`, { ...lease, exitCode: 1 });
    expect(late.status).toBe(409);
  });

  it('fails a job on a non-zero exit and keeps the error', async () => {
    const id = await enqueue('proto');
    await claim('proto', 'host-1');
    const result = await roles.member.post(`${base}/jobs/${id}/result`, { agent: 'host-1', attempt: 1, exitCode: 3 });
    expect(result.body.state).toBe('failed');
    const job = await roles.viewer.get(`${base}/jobs/${id}`);
    expect(job.body).toMatchObject({ exitCode: 3, error: 'exited with code 3' });
  });

  it('keeps only the last 64 KiB of the log', async () => {
    const id = await enqueue('proto');
    await claim('proto', 'host-1');
    const lease = { agent: 'host-1', attempt: 1 };
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 3; i++) {
      await roles.member.post(`${base}/jobs/${id}/log`, { ...lease, text: line.repeat(30) });
    }
    await roles.member.post(`${base}/jobs/${id}/log`, { ...lease, text: 'THE END\n' });
    const job = await roles.viewer.get(`${base}/jobs/${id}`);
    expect(Buffer.byteLength(job.body.logTail)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength(job.body.logTail)).toBeGreaterThan(60 * 1024);
    expect(job.body.logTail.endsWith('THE END\n')).toBe(true);
    await roles.member.post(`${base}/jobs/${id}/result`, { ...lease, exitCode: 0 });
  });

  it('cancels a queued job at once and a running one through the heartbeat', async () => {
    await makeQueue('cancel');
    const queued = await enqueue('cancel');
    const cancelled = await roles.member.post(`${base}/jobs/${queued}/cancel`);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', cancelRequested: true });
    expect((await roles.member.post(`${base}/jobs/${queued}/cancel`)).status).toBe(409);

    const running = await enqueue('cancel');
    await claim('cancel', 'host-1');
    const lease = { agent: 'host-1', attempt: 1 };
    await roles.member.post(`${base}/jobs/${running}/heartbeat`, { ...lease, state: 'running' });
    const requested = await roles.member.post(`${base}/jobs/${running}/cancel`);
    expect(requested.body).toMatchObject({ state: 'running', cancelRequested: true });
    const beat = await roles.member.post(`${base}/jobs/${running}/heartbeat`, { ...lease, state: 'running' });
    expect(beat.body.cancel).toBe(true);
    const result = await roles.member.post(`${base}/jobs/${running}/result`, { ...lease, exitCode: null });
    expect(result.body.state).toBe('cancelled');
  });

  it('requeues a finished job as a new job with the same payload', async () => {
    await makeQueue('again');
    const first = await enqueue('again', { command: 'deploy', target: 'prod' });
    expect((await roles.member.post(`${base}/jobs/${first}/requeue`)).status).toBe(409);
    await claim('again', 'host-1');
    await roles.member.post(`${base}/jobs/${first}/result`, { agent: 'host-1', attempt: 1, exitCode: 1 });
    const again = await roles.member.post(`${base}/jobs/${first}/requeue`);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first);
    expect(again.body).toMatchObject({ state: 'queued', payload: { command: 'deploy', target: 'prod' }, attempts: 0 });
    expect((await roles.viewer.get(`${base}/jobs/${first}`)).body.state).toBe('failed');
  });

  it('releases a job back to the queue without counting the attempt', async () => {
    await makeQueue('handback');
    const id = await enqueue('handback');
    await claim('handback', 'host-1');
    const released = await roles.member.post(`${base}/jobs/${id}/release`, { agent: 'host-1', attempt: 1 });
    expect(released.body.state).toBe('queued');
    const job = await roles.viewer.get(`${base}/jobs/${id}`);
    expect(job.body).toMatchObject({ state: 'queued', attempts: 0, agent: null });
    expect(job.body.logTail).toMatch(/agent "host-1" handed the job back/);
    const reclaimed = await claim('handback', 'host-2');
    expect(reclaimed.body).toMatchObject({ id, attempts: 1, agent: 'host-2' });
  });

  it('pages jobs newest first and filters by state', async () => {
    await makeQueue('paged');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await enqueue('paged', { i }));
    await roles.member.post(`${base}/jobs/${ids[0]}/cancel`);
    const first = await roles.viewer.get(`${base}/queues/paged/jobs?limit=2`);
    expect(first.body.items.map((j: { id: string }) => j.id)).toEqual([ids[4], ids[3]]);
    const second = await roles.viewer.get(`${base}/queues/paged/jobs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
    const cancelled = await roles.viewer.get(`${base}/queues/paged/jobs?state=cancelled`);
    expect(cancelled.body.items.map((j: { id: string }) => j.id)).toEqual([ids[0]]);
    const both = await roles.viewer.get(`${base}/queues/paged/jobs?state=queued,cancelled`);
    expect(both.body.items).toHaveLength(5);
    const bad = await roles.viewer.get(`${base}/queues/paged/jobs?state=done`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('state');
  });

  it('validates payloads and agent bodies, naming the field', async () => {
    const notObject = await roles.member.post(`${base}/queues/proto/jobs`, { payload: [1, 2] });
    expect(notObject.status).toBe(400);
    expect(notObject.body.error.details.field).toBe('payload');
    const noAgent = await roles.member.post(`${base}/queues/proto/claim?wait=0`, {});
    expect(noAgent.status).toBe(400);
    expect(noAgent.body.error.details.field).toBe('agent');
    const badWait = await roles.member.post(`${base}/queues/proto/claim?wait=600`, { agent: 'a' });
    expect(badWait.status).toBe(400);
    expect(badWait.body.error.details.field).toBe('wait');
    const unknownJob = await roles.member.post(`${base}/jobs/no-such-job/heartbeat`, { agent: 'a', attempt: 1 });
    expect(unknownJob.status).toBe(404);
  });
});

describe('claiming', () => {
  it('answers 204 when no job comes within the wait', async () => {
    await makeQueue('empty');
    const reply = await claim('empty', 'idle', roles.member, 1);
    expect(reply.status).toBe(204);
  });

  it('wakes a waiting claim as soon as a job is queued', async () => {
    await makeQueue('wake');
    const waiting = claim('wake', 'waiter', roles.member, 30);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const id = await enqueue('wake', { hello: 'world' });
    const reply = await waiting;
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe(id);
  });

  it('never hands one job to two agents', async () => {
    await makeQueue('race');
    const ids = new Set<string>();
    for (let i = 0; i < 30; i++) ids.add(await enqueue('race', { i }));
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => claim('race', `racer-${i}`, roles.member, 1)));
    const won = claims.filter((c) => c.status === 200).map((c) => c.body.id as string);
    expect(won).toHaveLength(30);
    expect(new Set(won)).toEqual(ids);
  });
});

describe('role matrix', () => {
  it('lets viewers read, members change, and hides everything from outsiders', async () => {
    await makeQueue('matrix');
    const id = await enqueue('matrix');
    const lease = { agent: 'm', attempt: 1 };
    const reads = [`${base}/queues`, `${base}/queues/matrix`, `${base}/queues/matrix/jobs`, `${base}/jobs/${id}`];
    for (const path of reads) {
      expect((await roles.viewer.get(path)).status, path).toBe(200);
      expect((await roles.admin.get(path)).status, path).toBe(200);
      expect((await roles.outsider.get(path)).status, path).toBe(404);
    }
    const changes: Array<[string, unknown]> = [
      [`${base}/queues`, { name: 'matrix-2' }],
      [`${base}/queues/matrix/jobs`, { payload: {} }],
      [`${base}/jobs/${id}/cancel`, {}],
      [`${base}/jobs/${id}/requeue`, {}],
      [`${base}/queues/matrix/claim?wait=0`, { agent: 'm' }],
      [`${base}/jobs/${id}/heartbeat`, lease],
      [`${base}/jobs/${id}/log`, { ...lease, text: 'x' }],
      [`${base}/jobs/${id}/result`, { ...lease, exitCode: 0 }],
      [`${base}/jobs/${id}/release`, lease],
    ];
    for (const [path, body] of changes) {
      expect((await roles.viewer.post(path, body)).status, path).toBe(403);
      expect((await roles.outsider.post(path, body)).status, path).toBe(404);
    }
    expect((await roles.viewer.delete(`${base}/queues/matrix`)).status).toBe(403);
    expect((await roles.outsider.delete(`${base}/queues/matrix`)).status).toBe(404);

    // Admins can do what members can.
    expect((await roles.admin.post(`${base}/queues`, { name: 'matrix-admin' })).status).toBe(201);
    const claimed = await claim('matrix', 'admin-agent', roles.admin);
    expect(claimed.body.id).toBe(id);
    expect((await roles.admin.post(`${base}/jobs/${id}/result`, { agent: 'admin-agent', attempt: 1, exitCode: 0 })).status).toBe(200);
    expect((await roles.admin.post(`${base}/jobs/${id}/requeue`)).status).toBe(201);
    expect((await roles.admin.delete(`${base}/queues/matrix-admin`)).status).toBe(204);
  });
});
