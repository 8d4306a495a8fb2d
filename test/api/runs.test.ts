import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { fireEvent, runsOfEvent, teamId } from '../helpers/database.js';
import { createAutomation, createSecret, createWebhook, webhookAutomation } from '../helpers/automations.js';

const TOKEN = 'history-token-5c0ffee';

let server: TestServer;
let roles: Awaited<ReturnType<typeof createTeamWithRoles>>;
let id: string;
let receiver: Receiver;
let answer = 200;
let automationId: string;
let otherAutomationId: string;

beforeAll(async () => {
  server = await startTestServer({ env: { MODELYARD_RETRY_SCHEDULE: '0.05' } });
  roles = await createTeamWithRoles(server, 'history');
  id = await teamId(roles.admin, roles.team);
  receiver = await new Receiver(() => ({ status: answer, body: `answer ${answer}` })).start();
  await createSecret(roles.admin, roles.team, 'API_TOKEN', TOKEN);
  const webhookId = await createWebhook(roles.admin, roles.team, { name: 'ci', url: receiver.url(), accessToken: 'API_TOKEN' });
  automationId = await createAutomation(roles.member, roles.team, webhookAutomation({
    name: 'deploy',
    eventType: 'LINK_ARTIFACT',
    webhookId,
    payload: '{"event": "${event_type}", "token": "${API_TOKEN}"}',
  }));
  otherAutomationId = await createAutomation(roles.member, roles.team, webhookAutomation({ name: 'evaluate', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"a": "${alias}"}' }));
});

afterAll(async () => {
  await server.close();
  await receiver.close();
});

const base = () => `/api/v1/teams/${roles.team}`;

async function settledRun(eventId: string): Promise<string> {
  const [run] = await runsOfEvent(server.ctx, eventId);
  await eventually(async () => (await server.ctx.db.selectFrom('action_runs').select('state').where('id', '=', run!.id).executeTakeFirst())?.state !== 'pending');
  return run!.id;
}

describe('run history', () => {
  const created: string[] = [];

  beforeAll(async () => {
    answer = 200;
    for (let i = 0; i < 3; i++) created.push(await settledRun((await fireEvent(server.ctx, { teamId: id, versionIndex: i })).id));
    answer = 400;
    created.push(await settledRun((await fireEvent(server.ctx, { teamId: id, versionIndex: 3 })).id));
    created.push(await settledRun((await fireEvent(server.ctx, { teamId: id, type: 'ADD_ARTIFACT_ALIAS', alias: 'production' })).id));
    answer = 200;
  });

  it("lists an automation's runs newest first, with cursor paging and a state filter, to viewers", async () => {
    const first = await roles.viewer.get(`${base()}/automations/${automationId}/runs?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: { id: string }) => r.id)).toEqual([created[3], created[2]]);
    expect(first.body.items[0]).toMatchObject({
      automationId,
      automationName: 'deploy',
      eventType: 'LINK_ARTIFACT',
      actionType: 'webhook',
      state: 'failed',
      status: 400,
      attempts: 1,
      nextAttemptAt: null,
      webhookName: 'ci',
      queueName: null,
      jobId: null,
    });
    expect(first.body.items[0].finishedAt).toMatch(/^\d{4}-/);
    const second = await roles.viewer.get(`${base()}/automations/${automationId}/runs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((r: { id: string }) => r.id)).toEqual([created[1], created[0]]);
    expect(second.body.nextCursor).toBeNull();

    const succeeded = await roles.viewer.get(`${base()}/automations/${automationId}/runs?state=succeeded`);
    expect(succeeded.body.items).toHaveLength(3);
    const failed = await roles.viewer.get(`${base()}/automations/${automationId}/runs?state=failed`);
    expect(failed.body.items.map((r: { id: string }) => r.id)).toEqual([created[3]]);
  });

  it('lists the whole team across automations', async () => {
    const all = await roles.viewer.get(`${base()}/runs?limit=100`);
    expect(all.body.items.map((r: { id: string }) => r.id)).toEqual([...created].reverse());
    const failed = await roles.viewer.get(`${base()}/runs?state=failed`);
    expect(failed.body.items.map((r: { automationId: string }) => r.automationId).sort()).toEqual([automationId, otherAutomationId].sort());
  });

  it('refuses bad filters, unknown automations and outsiders', async () => {
    const badState = await roles.viewer.get(`${base()}/runs?state=done`);
    expect(badState.status).toBe(400);
    expect(JSON.stringify(badState.body)).toContain('state');
    expect((await roles.viewer.get(`${base()}/automations/nope/runs`)).status).toBe(404);
    expect((await roles.outsider.get(`${base()}/runs`)).status).toBe(404);
    expect((await roles.outsider.get(`${base()}/runs/${created[0]}`)).status).toBe(404);
  });

  it('shows one run with its payload placeholders and redacted attempts, never the secret', async () => {
    // Admins see the URL; what other roles see is test/api/role-matrix.test.ts's subject.
    const reply = await roles.admin.get(`${base()}/runs/${created[0]}`);
    expect(reply.status).toBe(200);
    expect(reply.body.body).toBe('{"event": "LINK_ARTIFACT", "token": "${API_TOKEN}"}');
    expect(reply.body.url).toBe(receiver.url());
    expect(reply.body.attempts).toHaveLength(1);
    const [attempt] = reply.body.attempts;
    expect(attempt).toMatchObject({ number: 1, trigger: 'automatic', status: 200, url: receiver.url(), error: null, responseBody: 'answer 200' });
    expect(attempt.requestHeaders['Content-Type']).toBe('application/json');
    expect(attempt.requestHeaders.Authorization).toBe('Bearer [redacted]');
    expect(attempt.requestHeaders['webhook-id']).toBe(created[0]);
    expect(JSON.stringify(reply.body)).not.toContain(TOKEN);
    expect((await roles.viewer.get(`${base()}/runs/unknown`)).status).toBe(404);
  });
});

describe('redelivery', () => {
  it('redelivers one run now as a manual attempt (members), succeeding the run', async () => {
    answer = 400;
    const runId = await settledRun((await fireEvent(server.ctx, { teamId: id })).id);
    answer = 200;
    expect((await roles.viewer.post(`${base()}/runs/${runId}/redeliver`)).status).toBe(403);
    const reply = await roles.member.post(`${base()}/runs/${runId}/redeliver`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ number: 2, trigger: 'manual', status: 200, error: null, responseBody: 'answer 200' });
    expect(JSON.stringify(reply.body)).not.toContain(TOKEN);
    const run = await roles.viewer.get(`${base()}/runs/${runId}`);
    expect(run.body).toMatchObject({ state: 'succeeded', status: 200, error: null });
    expect(run.body.attempts.map((a: { trigger: string }) => a.trigger)).toEqual(['automatic', 'manual']);
  });

  it('does not retry a failed manual attempt', async () => {
    answer = 400;
    const runId = await settledRun((await fireEvent(server.ctx, { teamId: id })).id);
    // 500 would be retried automatically; after a manual attempt it is not.
    answer = 500;
    const reply = await roles.member.post(`${base()}/runs/${runId}/redeliver`);
    expect(reply.body).toMatchObject({ number: 2, trigger: 'manual', status: 500 });
    const run = await roles.viewer.get(`${base()}/runs/${runId}`);
    expect(run.body).toMatchObject({ state: 'failed', status: 500, nextAttemptAt: null });
    expect((await roles.member.post(`${base()}/runs/unknown/redeliver`)).status).toBe(404);
    answer = 200;
  });

  it('refuses to redeliver a run that is not a webhook delivery', async () => {
    const created = await roles.member.post(`${base()}/automations`, {
      name: 'mark',
      description: '',
      enabled: true,
      event: { type: 'CREATE_ARTIFACT', model: null },
      action: { type: 'no_op' },
    });
    expect(created.status).toBe(201);
    const event = await fireEvent(server.ctx, { teamId: id, type: 'CREATE_ARTIFACT' });
    const [run] = await runsOfEvent(server.ctx, event.id);
    expect(run).toMatchObject({ action_type: 'no_op', state: 'succeeded' });
    const reply = await roles.member.post(`${base()}/runs/${run!.id}/redeliver`);
    expect(reply.status).toBe(409);
    expect(reply.body.error.message).toMatch(/no_op/);
  });

  it('redelivers every failed run of a time window, recording manual attempts', async () => {
    answer = 404;
    const since = new Date().toISOString();
    const failedRuns = [
      await settledRun((await fireEvent(server.ctx, { teamId: id })).id),
      await settledRun((await fireEvent(server.ctx, { teamId: id })).id),
    ];
    answer = 200;
    const succeededRun = await settledRun((await fireEvent(server.ctx, { teamId: id })).id);

    expect((await roles.viewer.post(`${base()}/runs/redeliver`, { since })).status).toBe(403);
    const reply = await roles.member.post(`${base()}/runs/redeliver`, { since, automationId });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ count: 2 });
    for (const runId of failedRuns) {
      const run = await eventually(async () => {
        const view = await roles.viewer.get(`${base()}/runs/${runId}`);
        return view.body.state === 'succeeded' ? view.body : undefined;
      });
      expect(run.attempts.map((a: { trigger: string; status: number }) => [a.trigger, a.status])).toEqual([
        ['automatic', 404],
        ['manual', 200],
      ]);
    }
    const untouched = await roles.viewer.get(`${base()}/runs/${succeededRun}`);
    expect(untouched.body.attempts).toHaveLength(1);
  });

  it('refuses windows longer than 14 days, malformed times and unknown automations, naming the field', async () => {
    const longAgo = new Date(Date.now() - 15 * 24 * 3600 * 1000).toISOString();
    const tooLong = await roles.member.post(`${base()}/runs/redeliver`, { since: longAgo });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details.field).toBe('since');
    const malformed = await roles.member.post(`${base()}/runs/redeliver`, { since: 'yesterday' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.field).toBe('since');
    const backwards = await roles.member.post(`${base()}/runs/redeliver`, { since: new Date().toISOString(), until: longAgo });
    expect(backwards.body.error.details.field).toBe('until');
    const unknown = await roles.member.post(`${base()}/runs/redeliver`, { since: new Date(Date.now() - 1000).toISOString(), automationId: 'nope' });
    expect(unknown.body.error.details.field).toBe('automationId');
  });
});
