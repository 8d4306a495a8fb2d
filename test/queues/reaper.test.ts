// The lease reaper on a server with short leases: jobs whose agents stop heart-beating are queued again, failed
// after max attempts, or cancelled when a cancel was pending. Agents here are plain HTTP calls that go silent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, startTestServer, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';

let shortLease: TestServer;
beforeAll(async () => {
  shortLease = await startTestServer({ env: { MODELYARD_JOB_LEASE_MS: '500', MODELYARD_JOB_MAX_ATTEMPTS: '2' } });
});
afterAll(async () => {
  await shortLease.close();
});

describe('leases', () => {
  it('requeues a job whose agent stopped heart-beating, then fails it after max attempts', async () => {
    const team = await createTeamWithRoles(shortLease);
    const path = `/api/v1/teams/${team.team}`;
    await team.member.post(`${path}/queues`, { name: 'lossy' });
    const created = await team.member.post(`${path}/queues/lossy/jobs`, { payload: { x: 1 } });
    expect(created.body.maxAttempts).toBe(2);
    const id = created.body.id;

    const first = await team.member.post(`${path}/queues/lossy/claim?wait=0`, { agent: 'doomed-1' });
    expect(first.body).toMatchObject({ id, attempts: 1, leaseMs: 500 });
    const second = await team.member.post(`${path}/queues/lossy/claim?wait=10`, { agent: 'doomed-2' });
    expect(second.body).toMatchObject({ id, attempts: 2, agent: 'doomed-2' });
    // The first agent's lease is gone for good.
    expect((await team.member.post(`${path}/jobs/${id}/heartbeat`, { agent: 'doomed-1', attempt: 1 })).status).toBe(409);

    const failed = await eventually(async () => {
      const job = await team.viewer.get(`${path}/jobs/${id}`);
      return job.body.state === 'failed' ? job.body : undefined;
    });
    expect(failed.error).toMatch(/lease lost 2 times/);
    expect(failed.logTail).toMatch(/agent "doomed-1" stopped heart-beating/);
  });

  it('gives jobs that automations create the configured max attempts too', async () => {
    const team = await createTeamWithRoles(shortLease);
    const path = `/api/v1/teams/${team.team}`;
    await seedRegistry(team.member, team.team, 1);
    expect((await team.member.post(`${path}/queues`, { name: 'evals' })).status).toBe(201);
    const automation = await team.member.post(`${path}/automations`, {
      name: 'evaluate new versions',
      event: { type: 'LINK_ARTIFACT', model: 'classifier' },
      action: { type: 'queue_job', queue: 'evals', template: '{"model":"${artifact_collection_name}"}' },
    });
    expect(automation.status).toBe(201);
    expect((await team.member.post(`${path}/registry/models/classifier/versions`, { source: 'training/resnet:v0' })).status).toBe(201);
    const jobs = await team.viewer.get(`${path}/queues/evals/jobs`);
    expect(jobs.body.items).toHaveLength(1);
    expect(jobs.body.items[0]).toMatchObject({ state: 'queued', maxAttempts: 2, payload: { model: 'classifier' } });
  });

  it('cancels, not requeues, a job whose cancel was asked and whose agent vanished', async () => {
    const team = await createTeamWithRoles(shortLease);
    const path = `/api/v1/teams/${team.team}`;
    await team.member.post(`${path}/queues`, { name: 'gone' });
    const id = (await team.member.post(`${path}/queues/gone/jobs`, { payload: {} })).body.id;
    await team.member.post(`${path}/queues/gone/claim?wait=0`, { agent: 'vanishing' });
    await team.member.post(`${path}/jobs/${id}/cancel`);
    const job = await eventually(async () => {
      const reply = await team.viewer.get(`${path}/jobs/${id}`);
      return reply.body.state === 'cancelled' ? reply.body : undefined;
    });
    expect(job.error).toMatch(/stopped responding/);
  });
});
