// Governed promotion over HTTP: alias policies (403 below setBy, 409 promotion_required), promotion requests with
// approvals (no self-approval, one vote per user, concurrent approvals applying once), rejection and cancelling,
// checks gating a request (and applying it when the last one succeeds), rollback, and the events with their variables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, createUserClient, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';

let server: TestServer;
let team: string;
let admin: Client;
let member: Client;
let viewer: Client;
let outsider: Client;
/** More members, to approve. */
const reviewers: Client[] = [];
let receiver: Receiver;

const PUBLIC_URL = 'https://modelyard.example.com';

beforeAll(async () => {
  server = await startTestServer({ env: { MODELYARD_PUBLIC_URL: PUBLIC_URL } });
  receiver = await new Receiver().start();
  const roles = await createTeamWithRoles(server);
  ({ team, admin, member, viewer, outsider } = roles);
  for (let i = 0; i < 6; i++) {
    const reviewer = await createUserClient(server, `${team}-reviewer${i}`);
    expectStatus(await admin.put(`/api/v1/teams/${team}/members/${reviewer.userName}`, { role: 'member' }), 201, 'adding a reviewer');
    reviewers.push(reviewer);
  }
  await seedRegistry(member, team, 4);
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

const base = () => `/api/v1/teams/${team}/registry`;
const policies = () => `${base()}/alias-policies`;

let modelCounter = 0;
/** A fresh model with `count` versions, so each test owns its aliases. */
async function freshModel(count = 3): Promise<string> {
  const name = `promo${++modelCounter}`;
  expectStatus(await member.post(`${base()}/models`, { name }), 201, 'creating a model');
  for (let i = 0; i < count; i++) expectStatus(await member.post(`${base()}/models/${name}/versions`, { source: `training/resnet:v${i}` }), 201, 'linking');
  return name;
}

async function policy(body: Record<string, unknown>): Promise<string> {
  return expectStatus(await admin.post(policies(), body), 201, 'creating a policy').body.id;
}

async function request(model: string, version: string, alias: string, by: Client = member, comment = '') {
  return by.post(`${base()}/models/${model}/promotions`, { version, alias, comment });
}

const promotionPath = (model: string, id: string) => `${base()}/models/${model}/promotions/${id}`;
const eventsOf = async (model: string, type: string) => (await viewer.get(`/api/v1/teams/${team}/events?model=${model}&type=${type}`)).body.items as any[];
const holder = async (model: string, alias: string) => {
  const reply = await viewer.get(`${base()}/models/${model}/aliases/${alias}`);
  return reply.status === 200 ? reply.body.version : null;
};

describe('alias policies', () => {
  it('are managed by admins, read by everyone in the team, and validated', async () => {
    const model = await freshModel(1);
    expect((await member.post(policies(), { aliasPattern: '^x$' })).status).toBe(403);
    expect((await viewer.post(policies(), { aliasPattern: '^x$' })).status).toBe(403);
    expect((await outsider.get(policies())).status).toBe(404);
    const created = await admin.post(policies(), { aliasPattern: '^gold$', model, setBy: 'admin', approvals: 2, requiredChecks: ['eval', 'eval'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ aliasPattern: '^gold$', model, setBy: 'admin', approvals: 2, requiredChecks: ['eval'], createdBy: `${team}-admin` });
    expect((await viewer.get(policies())).body.items).toContainEqual(expect.objectContaining({ id: created.body.id }));

    for (const [body, field] of [
      [{ aliasPattern: '(a' }, 'aliasPattern'],
      [{ aliasPattern: '^a$', approvals: 6 }, 'approvals'],
      [{ aliasPattern: '^a$', model: 'no-such-model' }, 'model'],
      [{ aliasPattern: '^a$', setBy: 'viewer' }, 'setBy'],
      [{ aliasPattern: '^a$', requiredChecks: ['bad name!'] }, 'requiredChecks'],
    ] as const) {
      const reply = await admin.post(policies(), body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.message).toContain(field);
    }

    const patched = await admin.patch(`${policies()}/${created.body.id}`, { approvals: 1, requiredChecks: [] });
    expect(patched.body).toMatchObject({ approvals: 1, requiredChecks: [], setBy: 'admin' });
    expect((await member.patch(`${policies()}/${created.body.id}`, { approvals: 0 })).status).toBe(403);
    expect((await member.delete(`${policies()}/${created.body.id}`)).status).toBe(403);
    expect((await admin.delete(`${policies()}/${created.body.id}`)).status).toBe(204);
    expect((await admin.delete(`${policies()}/${created.body.id}`)).status).toBe(404);
  });

  it('refuse a direct change by a role below setBy with 403 naming the policy', async () => {
    const model = await freshModel(2);
    const id = await policy({ aliasPattern: '^prod$', model, setBy: 'admin' });
    const refused = await member.put(`${base()}/models/${model}/aliases/prod`, { version: 'v0' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain(id);
    expect(refused.body.error.details.policyIds).toEqual([id]);
    expect((await member.post(`${base()}/models/${model}/versions`, { source: 'training/resnet:v0', aliases: ['prod'] })).status).toBe(403);
    expect((await admin.put(`${base()}/models/${model}/aliases/prod`, { version: 'v0' })).status).toBe(200);
    expect((await member.delete(`${base()}/models/${model}/aliases/prod`)).status).toBe(403);
    expect((await member.delete(`${base()}/models/${model}/versions/v0`)).status).toBe(403);
    // Other aliases and other models are not governed by it.
    expect((await member.put(`${base()}/models/${model}/aliases/prod-candidate`, { version: 'v1' })).status).toBe(200);
    const other = await freshModel(1);
    expect((await member.put(`${base()}/models/${other}/aliases/prod`, { version: 'v0' })).status).toBe(200);
    expect((await admin.delete(`${base()}/models/${model}/aliases/prod`)).status).toBe(204);
  });

  it('answer 409 promotion_required to every direct change when approvals or checks are asked', async () => {
    const model = await freshModel(2);
    await policy({ aliasPattern: '^live$', model, approvals: 1 });
    expect((await request(model, 'v0', 'live')).status).toBe(201);
    const put = await admin.put(`${base()}/models/${model}/aliases/live`, { version: 'v1' });
    expect(put.status).toBe(409);
    expect(put.body.error).toMatchObject({ code: 'promotion_required', details: { approvals: 1, requiredChecks: [] } });
    expect(put.body.error.message).toContain('promotions');
    const link = await admin.post(`${base()}/models/${model}/versions`, { source: 'training/resnet:v3', aliases: ['live'] });
    expect(link.status).toBe(409);
    expect(link.body.error.code).toBe('promotion_required');
    expect((await holder(model, 'live'))).toBeNull();
    // The link was refused as a whole: no v2 was created.
    expect((await viewer.get(`${base()}/models/${model}`)).body.versionCount).toBe(2);
    const checks = await freshModel(1);
    await policy({ aliasPattern: '^checked$', model: checks, requiredChecks: ['eval'] });
    expect((await member.put(`${base()}/models/${checks}/aliases/checked`, { version: 'v0' })).body.error.code).toBe('promotion_required');
  });
});

describe('promotion requests', () => {
  it('wait for approvals from others, one vote each, and apply in the transaction of the last one', async () => {
    const model = await freshModel(2);
    await policy({ aliasPattern: '^production$', model, approvals: 2 });
    expect((await admin.put(`${base()}/models/${model}/aliases/production`, { version: 'v0' })).status).toBe(409);

    const created = await request(model, 'v1', 'production', member, 'auc 0.93 on holdout');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      version: 'v1',
      alias: 'production',
      state: 'pending',
      requestedBy: `${team}-member`,
      approvals: [],
      checks: [],
      required: { approvals: 2, checks: [] },
      waitingFor: ['2 more approvals (0 of 2)'],
      comment: 'auc 0.93 on holdout',
    });
    const id = created.body.id;
    expect((await request(model, 'v1', 'production')).status).toBe(409); // the same request is already pending
    expect((await viewer.post(`${promotionPath(model, id)}/approve`, {})).status).toBe(403);
    const self = await member.post(`${promotionPath(model, id)}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.body.error.message).toContain('you requested');

    const first = await reviewers[0]!.post(`${promotionPath(model, id)}/approve`, { comment: 'looks good' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ state: 'pending', approvals: [{ by: `${team}-reviewer0`, comment: 'looks good' }], waitingFor: ['1 more approval (1 of 2)'] });
    const twice = await reviewers[0]!.post(`${promotionPath(model, id)}/approve`, {});
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toContain('already voted');
    expect(await holder(model, 'production')).toBeNull();

    const second = await admin.post(`${promotionPath(model, id)}/approve`, { comment: 'ship it' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ state: 'applied', waitingFor: [], decidedBy: `${team}-admin` });
    expect(await holder(model, 'production')).toBe('v1');
    expect((await reviewers[1]!.post(`${promotionPath(model, id)}/approve`, {})).status).toBe(409);
    // Repeating where the alias already is changes nothing, so the policy has nothing to refuse; moving it does.
    expect((await member.put(`${base()}/models/${model}/aliases/production`, { version: 'v1' })).status).toBe(200);
    expect((await member.put(`${base()}/models/${model}/aliases/production`, { version: 'v0' })).body.error.code).toBe('promotion_required');

    const history = await viewer.get(`${base()}/models/${model}/aliases/production/history`);
    expect(history.body.items).toEqual([expect.objectContaining({ version: 'v1', previousVersion: null, reason: 'promotion', promotionId: id, by: `${team}-admin` })]);
    expect(await eventsOf(model, 'PROMOTION_REQUESTED')).toEqual([
      expect.objectContaining({ alias: 'production', version: 'v1', author: `${team}-member`, details: expect.objectContaining({ promotionId: id, comment: 'auc 0.93 on holdout' }) }),
    ]);
    expect(await eventsOf(model, 'PROMOTION_APPROVED')).toHaveLength(1);
    expect(await eventsOf(model, 'ADD_ARTIFACT_ALIAS')).toEqual([expect.objectContaining({ alias: 'production', details: expect.objectContaining({ reason: 'promotion', promotionId: id }) })]);

    const listed = await viewer.get(`${base()}/models/${model}/promotions?state=applied`);
    expect(listed.body.items.map((p: any) => p.id)).toEqual([id]);
    expect((await viewer.get(`${base()}/models/${model}/promotions?state=pending`)).body.items).toEqual([]);
    expect((await viewer.get(`${promotionPath(model, id)}`)).body.state).toBe('applied');
    expect((await outsider.get(`${promotionPath(model, id)}`)).status).toBe(404);
  });

  it('need voters of the policy\'s role when it is setBy admin', async () => {
    const model = await freshModel(1);
    await policy({ aliasPattern: '^release$', model, setBy: 'admin', approvals: 1 });
    const { body } = await request(model, 'v0', 'release', reviewers[0]);
    const refused = await member.post(`${promotionPath(model, body.id)}/approve`, {});
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('only admins');
    expect((await admin.post(`${promotionPath(model, body.id)}/approve`, {})).body.state).toBe('applied');
  });

  it('apply once when many approvals arrive at the same time', async () => {
    const model = await freshModel(2);
    await policy({ aliasPattern: '^production$', model, approvals: 2 });
    const { body } = await request(model, 'v1', 'production');
    const replies = await Promise.all([...reviewers, admin].map((r) => r.post(`${promotionPath(model, body.id)}/approve`, {})));
    const statuses = replies.map((r) => r.status);
    // Two votes apply it; the others find it applied (409) or were counted before (200), never a second move.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(replies.filter((r) => r.status === 409).every((r) => r.body.error.message.includes('already applied'))).toBe(true);
    expect((await viewer.get(promotionPath(model, body.id))).body.state).toBe('applied');
    expect(await eventsOf(model, 'PROMOTION_APPROVED')).toHaveLength(1);
    expect(await eventsOf(model, 'ADD_ARTIFACT_ALIAS')).toHaveLength(1);
    expect((await viewer.get(`${base()}/models/${model}/aliases/production/history`)).body.items).toHaveLength(1);
  });

  it('end when rejected, and can be cancelled by the requester or an admin only', async () => {
    const model = await freshModel(3);
    await policy({ aliasPattern: '^production$', model, approvals: 1 });
    const rejected = (await request(model, 'v0', 'production', member, 'try it')).body;
    expect((await member.post(`${promotionPath(model, rejected.id)}/reject`, {})).status).toBe(403);
    const reply = await reviewers[1]!.post(`${promotionPath(model, rejected.id)}/reject`, { comment: 'auc regressed' });
    expect(reply.body).toMatchObject({ state: 'rejected', decidedBy: `${team}-reviewer1`, decisionComment: 'auc regressed', rejections: [{ comment: 'auc regressed' }] });
    expect((await reviewers[2]!.post(`${promotionPath(model, rejected.id)}/approve`, {})).status).toBe(409);
    expect(await eventsOf(model, 'PROMOTION_REJECTED')).toEqual([expect.objectContaining({ details: expect.objectContaining({ comment: 'auc regressed' }) })]);

    const mine = (await request(model, 'v1', 'production')).body;
    expect((await reviewers[0]!.post(`${promotionPath(model, mine.id)}/cancel`, {})).status).toBe(403);
    expect((await member.post(`${promotionPath(model, mine.id)}/cancel`, { comment: 'wrong version' })).body).toMatchObject({ state: 'cancelled', decisionComment: 'wrong version' });
    const theirs = (await request(model, 'v2', 'production', reviewers[0])).body;
    expect((await admin.post(`${promotionPath(model, theirs.id)}/cancel`, {})).body.state).toBe('cancelled');
    expect((await admin.post(`${promotionPath(model, theirs.id)}/cancel`, {})).status).toBe(409);
    expect(await holder(model, 'production')).toBeNull();

    const teamPending = await viewer.get(`${base()}/promotions?state=cancelled`);
    expect(teamPending.body.items.map((p: any) => p.id)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
  });

  it('apply at once when no policy asks for anything, and are cancelled when their version is unlinked', async () => {
    const model = await freshModel(2);
    const free = await request(model, 'v0', 'canary');
    expect(free.body).toMatchObject({ state: 'applied', required: { approvals: 0, checks: [] } });
    expect(await holder(model, 'canary')).toBe('v0');
    expect((await request(model, 'v0', 'canary')).status).toBe(409); // already holds it

    await policy({ aliasPattern: '^gated$', model, approvals: 1 });
    const waiting = (await request(model, 'v1', 'gated')).body;
    expect((await member.delete(`${base()}/models/${model}/versions/v1`)).status).toBe(204);
    expect((await viewer.get(promotionPath(model, waiting.id))).body).toMatchObject({ state: 'cancelled', decisionComment: 'the version was unlinked' });
  });
});

describe('deleting a model', () => {
  it('takes its requests, checks, history and the policies scoped to it along', async () => {
    const model = await freshModel(1);
    const scoped = await policy({ aliasPattern: '^production$', model, approvals: 1 });
    const teamWide = await policy({ aliasPattern: '^never-used$' });
    await member.put(`${base()}/models/${model}/versions/v0/checks/eval`, { state: 'success' });
    await member.put(`${base()}/models/${model}/aliases/staging`, { version: 'v0' });
    const { body } = await request(model, 'v0', 'production');
    expect((await member.delete(`${base()}/models/${model}`)).status).toBe(204);
    const left = (await viewer.get(policies())).body.items.map((p: any) => p.id);
    expect(left).toContain(teamWide);
    expect(left).not.toContain(scoped);
    expect((await viewer.get(`${base()}/promotions`)).body.items.map((p: any) => p.id)).not.toContain(body.id);
    // A new model of the same name starts with nothing.
    expectStatus(await member.post(`${base()}/models`, { name: model }), 201, 'recreating');
    expect((await viewer.get(`${base()}/models/${model}/aliases/staging/history`)).body.items).toEqual([]);
  });
});

describe('checks', () => {
  it('are reported by members, listed on the version, and raise CHECK_COMPLETED', async () => {
    const model = await freshModel(1);
    const check = `${base()}/models/${model}/versions/v0/checks/eval`;
    expect((await viewer.put(check, { state: 'pending' })).status).toBe(403);
    expect((await member.put(check, { state: 'done' })).status).toBe(400);
    expect((await member.put(check, { state: 'success', detailsUrl: 'javascript:alert(1)' })).status).toBe(400);
    expect((await member.put(`${base()}/models/${model}/versions/v9/checks/eval`, { state: 'pending' })).status).toBe(404);
    expect((await member.put(check, { state: 'pending', summary: 'running' })).body).toMatchObject({ name: 'eval', state: 'pending', summary: 'running', updatedBy: `${team}-member` });
    const done = await member.put(check, { state: 'success', summary: 'auc 0.94', detailsUrl: 'https://ci.example.com/runs/1' });
    expect(done.body).toMatchObject({ state: 'success', detailsUrl: 'https://ci.example.com/runs/1' });
    expect((await member.put(check, { state: 'success', summary: 'again' })).status).toBe(200); // no second event
    expect((await viewer.get(`${base()}/models/${model}/versions/v0`)).body.checks).toEqual([expect.objectContaining({ name: 'eval', state: 'success', summary: 'again' })]);
    expect((await viewer.get(`${base()}/models/${model}/versions/v0/checks`)).body.items).toHaveLength(1);
    expect(await eventsOf(model, 'CHECK_COMPLETED')).toEqual([
      expect.objectContaining({ version: 'v0', details: expect.objectContaining({ checkName: 'eval', checkState: 'success' }) }),
    ]);
  });

  it('gate a promotion: a failing check keeps it pending and says why, the last success applies it', async () => {
    const model = await freshModel(1);
    await policy({ aliasPattern: '^production$', model, approvals: 1, requiredChecks: ['eval', 'bias'] });
    const check = (name: string) => `${base()}/models/${model}/versions/v0/checks/${name}`;
    await member.put(check('eval'), { state: 'pending' });
    const { body } = await request(model, 'v0', 'production');
    expect(body.checks).toEqual([
      { name: 'bias', state: 'missing', summary: '' },
      { name: 'eval', state: 'pending', summary: '' },
    ]);
    const approved = await reviewers[0]!.post(`${promotionPath(model, body.id)}/approve`, {});
    expect(approved.body.state).toBe('pending');
    expect(approved.body.waitingFor).toEqual(['check bias has not been reported on v0', 'check eval is still running']);

    await member.put(check('eval'), { state: 'failure', summary: 'auc 0.71 < 0.9' });
    await member.put(check('bias'), { state: 'success' });
    const failing = await viewer.get(promotionPath(model, body.id));
    expect(failing.body.state).toBe('pending');
    expect(failing.body.waitingFor).toEqual(['check eval failed: auc 0.71 < 0.9 (it must succeed)']);
    expect(await holder(model, 'production')).toBeNull();

    const rerun = await member.put(check('eval'), { state: 'success', summary: 'auc 0.93' });
    expect(rerun.status).toBe(200);
    expect((await viewer.get(promotionPath(model, body.id))).body.state).toBe('applied');
    expect(await holder(model, 'production')).toBe('v0');
    const approvedEvents = await eventsOf(model, 'PROMOTION_APPROVED');
    expect(approvedEvents).toHaveLength(1);
    expect(approvedEvents[0].author).toBe(`${team}-member`); // the check's reporter completed it
  });
});

describe('rollback', () => {
  it('moves the alias back to the previous holder, with reason rollback', async () => {
    const model = await freshModel(3);
    const alias = `${base()}/models/${model}/aliases/production`;
    expect((await member.post(`${alias}/rollback`, {})).status).toBe(404);
    await member.put(alias, { version: 'v0' });
    expect((await member.post(`${alias}/rollback`, {})).status).toBe(409); // nothing before v0
    await member.put(alias, { version: 'v2' });
    expect((await viewer.post(`${alias}/rollback`, {})).status).toBe(403);
    const rolled = await member.post(`${alias}/rollback`, { comment: 'v2 is slow' });
    expect(rolled.status).toBe(200);
    expect(rolled.body.version).toBe('v0');
    expect((await viewer.get(`${alias}/history?limit=1`)).body.items[0]).toMatchObject({ version: 'v0', previousVersion: 'v2', reason: 'rollback', comment: 'v2 is slow' });
    const added = await eventsOf(model, 'ADD_ARTIFACT_ALIAS');
    expect(added[0]).toMatchObject({ version: 'v0', details: { reason: 'rollback', previousVersion: 'v2', comment: 'v2 is slow' } });

    // The previous holder unlinked: nothing to go back to.
    await member.put(alias, { version: 'v1' });
    expect((await member.delete(`${base()}/models/${model}/versions/v0`)).status).toBe(204);
    const gone = await member.post(`${alias}/rollback`, {});
    expect(gone.status).toBe(409);
    expect(gone.body.error.message).toContain('unlinked');
  });

  it('follows the alias policy like any direct change', async () => {
    const model = await freshModel(2);
    await member.put(`${base()}/models/${model}/aliases/production`, { version: 'v0' });
    await member.put(`${base()}/models/${model}/aliases/production`, { version: 'v1' });
    await policy({ aliasPattern: '^production$', model, setBy: 'admin' });
    expect((await member.post(`${base()}/models/${model}/aliases/production/rollback`, {})).status).toBe(403);
    expect((await admin.post(`${base()}/models/${model}/aliases/production/rollback`, {})).body.version).toBe('v0');
    await policy({ aliasPattern: '^production$', model, approvals: 1 });
    expect((await admin.post(`${base()}/models/${model}/aliases/production/rollback`, {})).body.error.code).toBe('promotion_required');
  });
});

describe('promotion events in payloads', () => {
  it('fill ${promotion_id}, ${promotion_url}, ${comment}, ${check_name} and ${check_state}', async () => {
    const model = await freshModel(1);
    const webhookId = await createWebhook(admin, team, { name: 'promo-hook', url: receiver.url('/promo') });
    const payload = '{"type":"${event_type}","id":"${promotion_id}","url":"${promotion_url}","comment":"${comment}","check":"${check_name}","state":"${check_state}","alias":"${alias}"}';
    for (const eventType of ['PROMOTION_REQUESTED', 'PROMOTION_APPROVED', 'CHECK_COMPLETED'] as const) {
      await createAutomation(admin, team, { ...webhookAutomation({ name: `promo ${eventType}`, eventType, webhookId, payload }), event: { type: eventType, model } });
    }
    await policy({ aliasPattern: '^staging$', model, approvals: 1 });
    const { body } = await request(model, 'v0', 'staging', member, 'please review');
    await reviewers[3]!.post(`${promotionPath(model, body.id)}/approve`, { comment: 'approved "quickly"' });
    await member.put(`${base()}/models/${model}/versions/v0/checks/eval`, { state: 'failure' });
    await receiver.waitFor(3);
    const bodies = receiver.requests.filter((r) => r.url === '/promo').map((r) => JSON.parse(r.body));
    const url = `${PUBLIC_URL}/t/${team}/registry/${model}?promotion=${body.id}`;
    expect(bodies).toEqual(
      expect.arrayContaining([
        { type: 'PROMOTION_REQUESTED', id: body.id, url, comment: 'please review', check: '', state: '', alias: 'staging' },
        { type: 'PROMOTION_APPROVED', id: body.id, url, comment: 'approved "quickly"', check: '', state: '', alias: 'staging' },
        { type: 'CHECK_COMPLETED', id: '', url: '', comment: '', check: 'eval', state: 'failure', alias: '' },
      ]),
    );
  });
});
