// Conditions on automations (saved only when they parse, with the error's position; an event they do not hold for
// records nothing), nested `${artifact_metadata.a.b}`, and a queue_job automation's `check`: pending when its job is
// queued, success or failure from the job's exit code, pending again on requeue — which completes a promotion waiting
// for that check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';
import { createAutomation, createWebhook } from '../helpers/automations.js';

let server: TestServer;
let team: string;
let admin: Client;
let member: Client;
let viewer: Client;
let receiver: Receiver;
let webhookId: string;

beforeAll(async () => {
  server = await startTestServer();
  receiver = await new Receiver().start();
  ({ team, admin, member, viewer } = await createTeamWithRoles(server));
  expectStatus(await member.post(`/api/v1/teams/${team}/projects`, { name: 'training' }), 201, 'creating the project');
  for (const auc of [0.95, 0.5, 0.91, 0.92]) {
    expectStatus(await logVersion(member, team, 'training', 'resnet', { files: { 'model.bin': `w ${auc}` }, metadata: { eval: { auc }, owner: 'vision' } }), 201, 'logging');
  }
  webhookId = await createWebhook(admin, team, { name: 'conditions', url: receiver.url('/conditions') });
  expectStatus(await admin.post(`/api/v1/teams/${team}/queues`, { name: 'eval' }), 201, 'creating the queue');
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

const base = () => `/api/v1/teams/${team}`;
const automations = () => `${base()}/automations`;

async function model(name: string): Promise<void> {
  expectStatus(await member.post(`${base()}/registry/models`, { name }), 201, 'creating a model');
}
async function link(modelName: string, source: string): Promise<void> {
  expectStatus(await member.post(`${base()}/registry/models/${modelName}/versions`, { source }), 201, 'linking');
}

describe('conditions', () => {
  it('are refused when they do not parse, naming the position', async () => {
    await model('refusing');
    const body = (condition: string | null) => ({
      name: `cond ${condition}`,
      event: { type: 'LINK_ARTIFACT', model: 'refusing' },
      action: { type: 'no_op' },
      condition,
    });
    const bad = await admin.post(automations(), body('metadata.eval.auc >= '));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ details: { field: 'condition', position: 21 } });
    expect(bad.body.error.message).toContain('position 22');
    expect((await admin.post(automations(), body('os.exit(1)'))).body.error.message).toContain('unknown name "os"');
    const ok = await admin.post(automations(), body('metadata.eval.auc >= 0.9'));
    expect(ok.status).toBe(201);
    expect(ok.body.condition).toBe('metadata.eval.auc >= 0.9');
    const patched = await admin.patch(`${automations()}/${ok.body.id}`, { condition: 'checks.eval == "success"' });
    expect(patched.body.condition).toBe('checks.eval == "success"');
    expect((await admin.patch(`${automations()}/${ok.body.id}`, { condition: '== 1' })).status).toBe(400);
    expect((await admin.patch(`${automations()}/${ok.body.id}`, { name: 'renamed' })).body.condition).toBe('checks.eval == "success"');
    expect((await admin.patch(`${automations()}/${ok.body.id}`, { condition: null })).body.condition).toBeNull();
  });

  it('let only matching events through, reading nested metadata and checks', async () => {
    await model('gated');
    const id = await createAutomation(admin, team, {
      name: 'good models only',
      event: { type: 'LINK_ARTIFACT', model: 'gated' },
      action: { type: 'webhook', webhookId, payload: '{"auc":"${artifact_metadata.eval.auc}","owner":"${artifact_metadata.owner}","v":"${artifact_version_index}"}' },
      condition: 'metadata.eval.auc >= 0.9 && metadata.owner == "vision"',
    });
    await link('gated', 'training/resnet:v0'); // auc 0.95
    await link('gated', 'training/resnet:v1'); // auc 0.5: nothing recorded
    await receiver.waitFor(1);
    const runs = await viewer.get(`${automations()}/${id}/runs`);
    expect(runs.body.items).toHaveLength(1);
    expect(receiver.requests.filter((r) => r.url === '/conditions').map((r) => JSON.parse(r.body))).toEqual([{ auc: '0.95', owner: 'vision', v: '0' }]);

    const onChecks = await createAutomation(admin, team, {
      name: 'eval passed',
      event: { type: 'CHECK_COMPLETED', model: 'gated' },
      action: { type: 'no_op' },
      condition: 'checks.eval == "success" && checks.bias != "failure"',
    });
    const check = (version: string, name: string, state: string) => member.put(`${base()}/registry/models/gated/versions/${version}/checks/${name}`, { state });
    await check('v0', 'bias', 'failure');
    await check('v0', 'eval', 'success'); // bias failed: no run
    await check('v1', 'eval', 'success'); // runs
    const checkRuns = await viewer.get(`${automations()}/${onChecks}/runs`);
    expect(checkRuns.body.items).toHaveLength(1);
  });
});

describe('a queue_job automation with a check', () => {
  const claim = async () => {
    const reply = await member.post(`${base()}/queues/eval/claim?wait=5`, { agent: 'agent-1' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body;
  };
  const finish = async (job: { id: string; agent: string | null; attempts: number }, exitCode: number) =>
    expectStatus(await member.post(`${base()}/jobs/${job.id}/result`, { agent: job.agent, attempt: job.attempts, exitCode }), 200, 'finishing the job');
  const checksOf = async (version: string) => (await viewer.get(`${base()}/registry/models/evaluated/versions/${version}`)).body.checks;

  it('is refused where there is no version or it could start itself again', async () => {
    for (const type of ['CREATE_ARTIFACT', 'CHECK_COMPLETED']) {
      const reply = await admin.post(automations(), {
        name: `check on ${type}`,
        event: { type, model: null },
        action: { type: 'queue_job', queue: 'eval', template: '{}', check: 'eval' },
      });
      expect(reply.status).toBe(400);
      expect(reply.body.error.details.field).toBe('action.check');
    }
  });

  it('sets the check from the job and completes a promotion waiting for it', async () => {
    await model('evaluated');
    await createAutomation(admin, team, {
      name: 'evaluate new versions',
      event: { type: 'LINK_ARTIFACT', model: 'evaluated' },
      action: { type: 'queue_job', queue: 'eval', template: '{"target":"${artifact_version_string}"}', check: 'eval' },
    });
    expectStatus(await admin.post(`${base()}/registry/alias-policies`, { aliasPattern: '^staging$', model: 'evaluated', requiredChecks: ['eval'] }), 201, 'policy');

    await link('evaluated', 'training/resnet:v2');
    expect(await checksOf('v0')).toEqual([expect.objectContaining({ name: 'eval', state: 'pending', updatedBy: 'modelyard' })]);
    const promotion = expectStatus(await member.post(`${base()}/registry/models/evaluated/promotions`, { version: 'v0', alias: 'staging' }), 201, 'requesting');
    expect(promotion.body.waitingFor).toEqual(['check eval is still running']);

    const job = await claim();
    await finish(job, 0);
    expect(await checksOf('v0')).toEqual([expect.objectContaining({ state: 'success', summary: `job ${job.id} succeeded` })]);
    expect((await viewer.get(`${base()}/registry/models/evaluated/promotions/${promotion.body.id}`)).body.state).toBe('applied');
    expect((await viewer.get(`${base()}/registry/models/evaluated/aliases/staging`)).body.version).toBe('v0');
    const completed = (await viewer.get(`${base()}/events?model=evaluated&type=CHECK_COMPLETED`)).body.items;
    expect(completed).toEqual([expect.objectContaining({ author: 'modelyard', details: expect.objectContaining({ checkName: 'eval', checkState: 'success' }) })]);

    await link('evaluated', 'training/resnet:v3');
    const failing = await claim();
    await finish(failing, 3);
    expect(await checksOf('v1')).toEqual([expect.objectContaining({ state: 'failure', summary: expect.stringContaining('exit code 3') })]);
    const requeued = await member.post(`${base()}/jobs/${failing.id}/requeue`, {});
    expect(requeued.status).toBe(201);
    expect(await checksOf('v1')).toEqual([expect.objectContaining({ state: 'pending', summary: `job ${requeued.body.id} queued again` })]);
  });
});
