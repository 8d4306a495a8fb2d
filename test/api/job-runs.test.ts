// A queue_job run follows its job (src/automations/job-runs.ts), through the API as agents and users drive it: the run
// stays pending while its job is queued or running (the delivery worker never claims it), then succeeds or fails with
// the job's outcome; a failed, cancelled, reaped or queue-deleted job raises AUTOMATION_FAILED — whose
// ${artifact_version_string} names the failed run's version or alias — unless the run was itself triggered by one;
// requeueing puts the run back to pending on the new job. Agents here are plain HTTP calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';
import { createAutomation, createWebhook } from '../helpers/automations.js';

let server: TestServer;
const alerts = new Receiver();
beforeAll(async () => {
  // Short leases with one attempt: a silent agent's job fails within a second or two.
  server = await startTestServer({ env: { MODELYARD_JOB_LEASE_MS: '500', MODELYARD_JOB_MAX_ATTEMPTS: '1' } });
  await alerts.start();
});
afterAll(async () => {
  await alerts.close();
  await server.close();
});

const FAILURE_TEMPLATE = '{"what":"${event_type}","ref":"${artifact_version_string}","alias":"${alias}","index":"${artifact_version_index}","automation":"${automation_name}"}';

/** A team with the classifier model, an `eval` queue, a queue-job automation on `event` and an alerting automation. */
async function setUp(name: string, event: Record<string, unknown>) {
  const roles = await createTeamWithRoles(server, name);
  const base = `/api/v1/teams/${name}`;
  await seedRegistry(roles.admin, name, 2);
  expect((await roles.admin.post(`${base}/queues`, { name: 'eval' })).status).toBe(201);
  const automation = await createAutomation(roles.admin, name, {
    name: 'evaluate',
    event,
    action: { type: 'queue_job', queue: 'eval', template: '{"command":"evaluate","target":"${artifact_version_string}"}' },
  });
  const hook = await createWebhook(roles.admin, name, { name: 'alerts', url: alerts.url(`/${name}`) });
  await createAutomation(roles.admin, name, {
    name: 'alert on failure',
    event: { type: 'AUTOMATION_FAILED', model: null },
    action: { type: 'webhook', webhookId: hook, payload: FAILURE_TEMPLATE },
  });
  const runsOf = async () => (await roles.viewer.get(`${base}/automations/${automation}/runs`)).body.items;
  const failures = async () =>
    (await roles.viewer.get(`${base}/events?type=AUTOMATION_FAILED`)).body.items as Array<{ details: Record<string, unknown>; version: string | null; alias: string | null }>;
  const alertsReceived = () => alerts.requests.filter((r) => r.url === `/${name}`).map((r) => JSON.parse(r.body) as Record<string, string>);
  const claim = async (agent = 'agent-1') => {
    const reply = await roles.member.post(`${base}/queues/eval/claim?wait=5`, { agent });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body;
  };
  const finish = async (job: { id: string; agent: string | null; attempts: number }, exitCode: number | null, error?: string) => {
    const reply = await roles.member.post(`${base}/jobs/${job.id}/result`, { agent: job.agent, attempt: job.attempts, exitCode, ...(error ? { error } : {}) });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body.state;
  };
  return { ...roles, base, automation, runsOf, failures, alertsReceived, claim, finish };
}

describe('a queue_job run follows its job', () => {
  it('stays pending while the job is queued and running, then succeeds with it; the job and its claim carry the event', async () => {
    const t = await setUp('follow-ok', { type: 'LINK_ARTIFACT', model: 'classifier' });
    const linked = await t.member.post(`${t.base}/registry/models/classifier/versions`, { source: 'training/resnet:v1' });
    expect(linked.status).toBe(201);

    const [run] = await t.runsOf();
    expect(run).toMatchObject({ actionType: 'queue_job', state: 'pending', nextAttemptAt: null, finishedAt: null, queueName: 'eval' });
    expect(run.job).toEqual({ id: run.jobId, state: 'queued', exitCode: null, error: null, queue: 'eval' });

    const event = {
      type: 'LINK_ARTIFACT',
      model: 'classifier',
      version: 'v0',
      alias: null,
      artifactVersionString: 'follow-ok/model-registry/classifier:v0',
      author: 'follow-ok-member',
      eventId: run.eventId,
    };
    expect((await t.viewer.get(`${t.base}/jobs/${run.jobId}`)).body.event).toEqual(event);
    const claimed = await t.claim();
    expect(claimed).toMatchObject({ id: run.jobId, event, payload: { command: 'evaluate', target: 'follow-ok/model-registry/classifier:v0' } });
    expect((await t.member.post(`${t.base}/jobs/${claimed.id}/heartbeat`, { agent: claimed.agent, attempt: claimed.attempts })).status).toBe(200);

    // No delivery attempt: the worker's claim takes webhook runs only (test/delivery/store.test.ts).
    const running = (await t.viewer.get(`${t.base}/runs/${run.id}`)).body;
    expect(running).toMatchObject({ state: 'pending', attempts: [], job: { state: 'running' } });

    expect(await t.finish(claimed, 0)).toBe('succeeded');
    const done = (await t.viewer.get(`${t.base}/runs/${run.id}`)).body;
    expect(done).toMatchObject({ state: 'succeeded', error: null, job: { id: run.jobId, state: 'succeeded', exitCode: 0 } });
    expect(done.finishedAt).not.toBeNull();
    expect(await t.failures()).toEqual([]);
  });

  it('fails with the job, raising AUTOMATION_FAILED for its version; requeueing puts the run back to pending on the new job', async () => {
    const t = await setUp('follow-fail', { type: 'LINK_ARTIFACT', model: 'classifier' });
    await t.member.post(`${t.base}/registry/models/classifier/versions`, { source: 'training/resnet:v0' });
    await t.member.post(`${t.base}/registry/models/classifier/versions`, { source: 'training/resnet:v1' });
    const [second, first] = await t.runsOf();
    // Fail the job of v1 (the second link): the failure must name v1, not the model alone.
    const claimedFirst = await t.claim();
    expect(claimedFirst.id).toBe(first.jobId);
    await t.finish(claimedFirst, 0);
    const claimed = await t.claim();
    expect(claimed.id).toBe(second.jobId);
    expect(await t.finish(claimed, 3)).toBe('failed');

    const failed = (await t.viewer.get(`${t.base}/runs/${second.id}`)).body;
    expect(failed).toMatchObject({ state: 'failed', error: 'exited with code 3', job: { state: 'failed', exitCode: 3, error: 'exited with code 3' } });
    const [failure] = await t.failures();
    expect(failure).toMatchObject({
      version: 'v1',
      alias: null,
      details: { runId: second.id, automationName: 'evaluate', jobId: claimed.id, jobState: 'failed', exitCode: 3, error: 'exited with code 3', eventId: second.eventId, eventType: 'LINK_ARTIFACT' },
    });
    await eventually(async () => t.alertsReceived().length === 1);
    expect(t.alertsReceived()).toEqual([
      { what: 'AUTOMATION_FAILED', ref: 'follow-fail/model-registry/classifier:v1', alias: '', index: '1', automation: 'alert on failure' },
    ]);

    const requeued = await t.member.post(`${t.base}/jobs/${claimed.id}/requeue`);
    expect(requeued.status).toBe(201);
    expect(requeued.body).toMatchObject({ runId: second.id, event: { version: 'v1', eventId: second.eventId } });
    const again = (await t.viewer.get(`${t.base}/runs/${second.id}`)).body;
    expect(again).toMatchObject({ state: 'pending', error: null, finishedAt: null, jobId: requeued.body.id, job: { id: requeued.body.id, state: 'queued' } });

    const retry = await t.claim();
    expect(retry.id).toBe(requeued.body.id);
    await t.finish(retry, 0);
    expect((await t.viewer.get(`${t.base}/runs/${second.id}`)).body).toMatchObject({ state: 'succeeded', job: { state: 'succeeded', exitCode: 0 } });
    expect(await t.failures()).toHaveLength(1);
  });

  it('fails "job cancelled" when the job is cancelled, naming the alias that started it', async () => {
    const t = await setUp('follow-cancel', { type: 'ADD_ARTIFACT_ALIAS', model: 'classifier', aliasPattern: '^production$' });
    await t.member.post(`${t.base}/registry/models/classifier/versions`, { source: 'training/resnet:v1', aliases: ['production'] });
    const [run] = await t.runsOf();
    expect((await t.viewer.get(`${t.base}/jobs/${run.jobId}`)).body.event).toMatchObject({
      type: 'ADD_ARTIFACT_ALIAS',
      version: 'v0',
      alias: 'production',
      artifactVersionString: 'follow-cancel/model-registry/classifier:production',
    });
    expect((await t.member.post(`${t.base}/jobs/${run.jobId}/cancel`)).status).toBe(200);

    expect((await t.viewer.get(`${t.base}/runs/${run.id}`)).body).toMatchObject({ state: 'failed', error: 'job cancelled', job: { state: 'cancelled' } });
    const [failure] = await t.failures();
    expect(failure).toMatchObject({ alias: 'production', details: { jobState: 'cancelled', error: 'job cancelled' } });
    await eventually(async () => t.alertsReceived().length === 1);
    expect(t.alertsReceived()[0]).toMatchObject({ ref: 'follow-cancel/model-registry/classifier:production', alias: 'production', index: '0' });
  });

  it('fails, and raises AUTOMATION_FAILED, when the reaper fails the job for lost leases', async () => {
    const t = await setUp('follow-reaped', { type: 'LINK_ARTIFACT', model: 'classifier' });
    await t.member.post(`${t.base}/registry/models/classifier/versions`, { source: 'training/resnet:v0' });
    const [run] = await t.runsOf();
    await t.claim('vanishing');
    const failed = await eventually(async () => {
      const reply = await t.viewer.get(`${t.base}/runs/${run.id}`);
      return reply.body.state === 'failed' ? reply.body : undefined;
    });
    expect(failed.error).toMatch(/lease lost 1 time: agents stopped heart-beating \(last: "vanishing"\)/);
    expect(failed.job).toMatchObject({ state: 'failed', exitCode: null });
    const [failure] = await t.failures();
    expect(failure).toMatchObject({ version: 'v0', details: { runId: run.id, jobState: 'failed' } });
  });

  it('fails the runs of a force-deleted queue, one AUTOMATION_FAILED per automation', async () => {
    const t = await setUp('follow-deleted', { type: 'LINK_ARTIFACT', model: 'classifier' });
    await t.member.post(`${t.base}/registry/models/classifier/versions`, { source: 'training/resnet:v0' });
    await t.member.post(`${t.base}/registry/models/classifier/versions`, { source: 'training/resnet:v1' });
    expect((await t.admin.delete(`${t.base}/queues/eval?force=true`)).status).toBe(204);
    const runs = await t.runsOf();
    expect(runs.map((r: { state: string; error: string | null; job: unknown }) => [r.state, r.error, r.job])).toEqual([
      ['failed', 'job cancelled', expect.objectContaining({ state: 'cancelled', queue: null })],
      ['failed', 'job cancelled', expect.objectContaining({ state: 'cancelled', queue: null })],
    ]);
    const failures = await t.failures();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.details).toMatchObject({ automationName: 'evaluate', failedRuns: 2 });
  });

  it('raises nothing for a failed job of an automation triggered by AUTOMATION_FAILED (no loops)', async () => {
    const t = await setUp('follow-loop', { type: 'LINK_ARTIFACT', model: 'classifier' });
    await createAutomation(t.admin, 'follow-loop', {
      name: 'investigate failures',
      event: { type: 'AUTOMATION_FAILED', model: null },
      action: { type: 'queue_job', queue: 'eval', template: '{"command":"investigate","target":"${artifact_version_string}"}' },
    });
    await t.member.post(`${t.base}/registry/models/classifier/versions`, { source: 'training/resnet:v1' });
    const evaluate = await t.claim();
    expect(evaluate.payload).toMatchObject({ command: 'evaluate' });
    await t.finish(evaluate, 1);
    // The failure queues the investigation, which carries the failed run's version too, and fails in turn: quietly.
    const investigate = await t.claim();
    expect(investigate.payload).toEqual({ command: 'investigate', target: 'follow-loop/model-registry/classifier:v0' });
    expect(investigate.event).toMatchObject({ type: 'AUTOMATION_FAILED', model: 'classifier', version: 'v0', author: 'modelyard' });
    await t.finish(investigate, 1);
    const runs = (await t.viewer.get(`${t.base}/runs?limit=50`)).body.items as Array<{ automationName: string; state: string }>;
    expect(runs.find((r) => r.automationName === 'investigate failures')).toMatchObject({ state: 'failed' });
    expect(await t.failures()).toHaveLength(1);
  });

  it('gives jobs enqueued by hand no event', async () => {
    const t = await setUp('follow-hand', { type: 'LINK_ARTIFACT', model: 'classifier' });
    const created = await t.member.post(`${t.base}/queues/eval/jobs`, { payload: { model: 'x' } });
    expect(created.body).toMatchObject({ event: null, runId: null });
    const claimed = await t.claim();
    expect(claimed.event).toBeNull();
    await t.finish(claimed, 2);
    expect(await t.failures()).toEqual([]);
  });
});
