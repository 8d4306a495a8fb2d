// Ordered, superseding delivery (core/delivery-order.ts, automations/subjects.ts, dispatch.ts takeSubjectSlot) through
// the run store, without a worker, so each step is taken by hand: which runs are due (claimDue), which wait, which are
// superseded, and what finishing a run hands on. Also cooldown folding, the API's `delivery` field and its 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { createRunStore, type ClaimedRun, type RunOutcome, type RunStore } from '../../src/delivery/store/index.js';
import { deleteWebhook } from '../../src/automations/webhooks.js';
import { createTeamWithRoles, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { fireEvent, teamId } from '../helpers/database.js';

let server: TestServer;
let store: RunStore;
const receiver = new Receiver();
const LEASE_MS = 60_000;

beforeAll(async () => {
  // No worker: the test claims and records itself.
  server = await startTestServer({ role: 'api' });
  store = createRunStore(server.ctx);
  await receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await server.close();
});

const PAYLOAD = '{"v":"${artifact_version_index}","s":"${sequence}","alias":"${alias}"}';

async function setUp(name: string, delivery: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { admin } = await createTeamWithRoles(server, name);
  const team = await teamId(admin, name);
  const webhookId = await createWebhook(admin, name, { name: 'deploy', url: receiver.url(`/${name}`) });
  const automationId = await createAutomation(admin, name, {
    ...webhookAutomation({ name: 'ordered', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: PAYLOAD }),
    delivery,
    ...extra,
  });
  return { admin, team, webhookId, automationId };
}

function flip(team: string, model: string, alias: string, versionIndex: number) {
  return fireEvent(server.ctx, { teamId: team, type: 'ADD_ARTIFACT_ALIAS', modelId: model, collection: model, alias, versionIndex });
}

async function runsOf(automationId: string) {
  return server.ctx.db
    .selectFrom('action_runs')
    .select(['id', 'state', 'subject', 'sequence', 'next_attempt_at', 'superseded_by', 'body', 'last_error', 'attempts'])
    .where('automation_id', '=', automationId)
    .orderBy('sequence')
    .orderBy('id')
    .execute();
}

async function claimAll(owner: string, now = Date.now()): Promise<ClaimedRun[]> {
  return store.claimDue(owner, 100, LEASE_MS, now);
}

/** Records one attempt of a claimed run with `outcome`, as the worker would. */
async function finish(owner: string, run: ClaimedRun, outcome: RunOutcome): Promise<void> {
  await store.record(owner, [
    {
      run,
      attempt: {
        id: newId(),
        run_id: run.id,
        team_id: run.team_id,
        webhook_id: run.webhook_id,
        number: run.attempts + 1,
        trigger: 'automatic',
        started_at: Date.now(),
        duration_ms: 1,
        url: receiver.url(),
        request_headers: '{}',
        status: outcome.status,
        error: outcome.state === 'succeeded' ? null : outcome.error,
        response_headers: '{}',
        response_body: '',
      },
      outcome,
      disableWebhook: null,
      raiseFailure: false,
      health: null,
    },
  ]);
}

const ok = (run: ClaimedRun): RunOutcome => ({ state: 'succeeded', status: 200, attempts: run.attempts + 1 });
const retry = (run: ClaimedRun, at: number): RunOutcome => ({ state: 'pending', nextAttemptAt: at, status: 500, error: 'HTTP 500', attempts: run.attempts + 1 });
const failed = (run: ClaimedRun): RunOutcome => ({ state: 'failed', status: 500, error: 'HTTP 500', attempts: run.attempts + 1 });

describe('per-subject order', () => {
  it('makes one run per subject due; later ones wait and become due one at a time as each finishes, in sequence order', async () => {
    const { team, automationId } = await setUp('order1', { order: 'per_subject' });
    const [m1, m2] = [newId(), newId()];
    for (let i = 1; i <= 3; i++) await flip(team, m1, 'production', i);
    await flip(team, m1, 'staging', 9);
    await flip(team, m2, 'production', 7);

    const runs = await runsOf(automationId);
    const prod1 = runs.filter((r) => r.subject === `${m1}:production`);
    expect(prod1.map((r) => r.sequence)).toEqual([1, 2, 3]);
    expect(prod1.map((r) => r.next_attempt_at !== null)).toEqual([true, false, false]);
    expect(prod1.map((r) => JSON.parse(r.body).s)).toEqual(['1', '2', '3']);
    // Other subjects flow freely, each with its own counter.
    expect(runs.filter((r) => r.subject !== `${m1}:production`).map((r) => [r.subject, r.sequence, r.next_attempt_at !== null])).toEqual(
      expect.arrayContaining([
        [`${m1}:staging`, 1, true],
        [`${m2}:production`, 1, true],
      ]),
    );

    // Only the active run of each subject is claimed.
    const first = await claimAll('w1');
    expect(first.map((r) => r.id).sort()).toEqual([prod1[0]!.id, ...runs.filter((r) => r.subject !== `${m1}:production`).map((r) => r.id)].sort());
    for (const run of first.filter((r) => r.id !== prod1[0]!.id)) await finish('w1', run, ok(run));

    // A retrying run holds its subject back.
    const head = first.find((r) => r.id === prod1[0]!.id)!;
    const retryAt = Date.now() + 1000;
    await finish('w1', head, retry(head, retryAt));
    expect(await claimAll('w1')).toEqual([]);
    const again = await claimAll('w1', retryAt);
    expect(again.map((r) => r.id)).toEqual([head.id]);
    // Failed for good: the next one in sequence is due.
    await finish('w1', again[0]!, failed(again[0]!));
    const second = await claimAll('w1');
    expect(second.map((r) => r.id)).toEqual([prod1[1]!.id]);
    await finish('w1', second[0]!, ok(second[0]!));
    const third = await claimAll('w1');
    expect(third.map((r) => r.id)).toEqual([prod1[2]!.id]);
    await finish('w1', third[0]!, ok(third[0]!));
    expect(await claimAll('w1')).toEqual([]);

    // The subject is free again: the next event's run is due at once.
    await flip(team, m1, 'production', 4);
    const fourth = await claimAll('w1');
    expect(fourth).toHaveLength(1);
    expect((await runsOf(automationId)).find((r) => r.id === fourth[0]!.id)!.sequence).toBe(4);
    await finish('w1', fourth[0]!, ok(fourth[0]!));
    expect((await runsOf(automationId)).map((r) => r.state).sort()).toEqual(['failed', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('re-claims the active run when its lease expires; a manual redelivery of a waiting run keeps it waiting on failure', async () => {
    const { admin, team, automationId } = await setUp('order4', { order: 'per_subject' });
    const model = newId();
    await flip(team, model, 'production', 1);
    await flip(team, model, 'production', 2);
    const [first, second] = await runsOf(automationId);
    const [claimed] = await claimAll('dead-worker');
    expect(claimed!.id).toBe(first!.id);
    // The worker died: when its lease runs out the same run is claimed again, still the subject's active run.
    const [reclaimed] = await claimAll('w7', Date.now() + LEASE_MS + 1);
    expect(reclaimed!.id).toBe(first!.id);

    // A manual attempt on the waiting run: sent, but a failure leaves it waiting behind the active one.
    receiver.respondWith(() => ({ status: 500 }));
    const manual = await admin.post(`/api/v1/teams/order4/runs/${second!.id}/redeliver`, {});
    expect(manual.status).toBe(200);
    expect(manual.body.status).toBe(500);
    receiver.respondWith(() => ({ status: 200, body: '{"ok":true}' }));
    expect((await runsOf(automationId)).find((r) => r.id === second!.id)).toMatchObject({ state: 'pending', next_attempt_at: null, attempts: 1 });
    expect(await claimAll('w7', Date.now() + LEASE_MS + 1)).toEqual([]);

    // The active run finishes: the waiting one is handed the subject.
    await finish('w7', reclaimed!, ok(reclaimed!));
    const [next] = await claimAll('w7');
    expect(next!.id).toBe(second!.id);
    await finish('w7', next!, ok(next!));
  });

  it('does not leave a subject held by a run that finished without handing it on: the oldest waiting run gets it', async () => {
    const { team, automationId } = await setUp('order5', { order: 'per_subject' });
    const model = newId();
    await flip(team, model, 'production', 1);
    await flip(team, model, 'production', 2);
    const [first, second] = await runsOf(automationId);
    // As if a path unknown to ordering had finished the active run.
    await server.ctx.db.updateTable('action_runs').set({ state: 'failed', next_attempt_at: null, finished_at: Date.now() }).where('id', '=', first!.id).execute();
    await flip(team, model, 'production', 3);
    const due = await claimAll('w8');
    expect(due.map((r) => r.id)).toEqual([second!.id]);
    await finish('w8', due[0]!, ok(due[0]!));
    const [third] = await claimAll('w8');
    expect((await runsOf(automationId)).find((r) => r.id === third!.id)!.sequence).toBe(3);
    await finish('w8', third!, ok(third!));
  });

  it('keeps counting ${sequence} for an unordered automation whose template uses it, without holding runs back', async () => {
    const { team, automationId } = await setUp('order2', { order: 'none' });
    const model = newId();
    for (let i = 0; i < 3; i++) await flip(team, model, 'production', i);
    const runs = await runsOf(automationId);
    expect(runs.map((r) => [r.subject, r.sequence, r.next_attempt_at !== null, JSON.parse(r.body).s])).toEqual([
      [null, 1, true, '1'],
      [null, 2, true, '2'],
      [null, 3, true, '3'],
    ]);
    for (const run of await claimAll('w2')) await finish('w2', run, ok(run));
  });

  it('cancels waiting runs with their webhook and frees the subject', async () => {
    const { admin, team, webhookId, automationId } = await setUp('order3', { order: 'per_subject' });
    const model = newId();
    for (let i = 0; i < 3; i++) await flip(team, model, 'production', i);
    expectStatus(await admin.delete(`/api/v1/teams/order3/automations/${automationId}`), 204, 'deleting the automation');
    await deleteWebhook(server.ctx, team, webhookId);
    const runs = await runsOf(automationId);
    expect(runs.map((r) => [r.state, r.last_error])).toEqual([
      ['failed', 'webhook deleted'],
      ['failed', 'webhook deleted'],
      ['failed', 'webhook deleted'],
    ]);
    const subject = await server.ctx.db.selectFrom('delivery_subjects').select(['sequence', 'active_run_id']).where('automation_id', '=', automationId).executeTakeFirstOrThrow();
    expect(subject).toEqual({ sequence: 3, active_run_id: null });
    expect(await claimAll('w3')).toEqual([]);
  });
});

describe('supersede', () => {
  it('ends waiting and retry-scheduled runs as superseded by the newest; a run in flight is not superseded', async () => {
    const { admin, team, automationId } = await setUp('super1', { order: 'per_subject', supersede: true });
    const model = newId();
    const subject = `${model}:production`;
    const seq = async (n: number) => (await runsOf(automationId)).find((r) => r.subject === subject && r.sequence === n)!;

    await flip(team, model, 'production', 1);
    const [r1] = await claimAll('w4');
    // r1 is in flight: the next event's run waits behind it, and the one after supersedes that waiting run.
    await flip(team, model, 'production', 2);
    await flip(team, model, 'production', 3);
    expect((await seq(1)).state).toBe('pending');
    expect(await seq(2)).toMatchObject({ state: 'superseded', superseded_by: (await seq(3)).id, attempts: 0 });
    expect((await seq(3)).next_attempt_at).toBeNull();

    // r1's attempt fails while a newer run waits: it is superseded instead of retried, and r3 is due.
    await finish('w4', r1!, retry(r1!, Date.now() + 60_000));
    expect(await seq(1)).toMatchObject({ state: 'superseded', superseded_by: (await seq(3)).id, attempts: 1 });
    const [r3] = await claimAll('w4');
    expect(r3!.id).toBe((await seq(3)).id);

    // r3 fails and is scheduled for a retry (nothing waits); the next event supersedes it and is due at once.
    await finish('w4', r3!, retry(r3!, Date.now() + 60_000));
    expect((await seq(3)).state).toBe('pending');
    await flip(team, model, 'production', 4);
    expect(await seq(3)).toMatchObject({ state: 'superseded', superseded_by: (await seq(4)).id });
    const [r4] = await claimAll('w4');
    expect(r4!.id).toBe((await seq(4)).id);
    expect(JSON.parse(r4!.body)).toMatchObject({ v: '4', s: '4' });
    await finish('w4', r4!, ok(r4!));

    // The runs API shows the state and the run that replaced it; the state filter knows it.
    const page = expectStatus(await admin.get(`/api/v1/teams/super1/automations/${automationId}/runs?state=superseded`), 200, 'listing superseded runs');
    expect(page.body.items.map((r: { sequence: number | null; supersededBy: string | null }) => [r.sequence, r.supersededBy])).toEqual([
      [3, (await seq(4)).id],
      [2, (await seq(3)).id],
      [1, (await seq(3)).id],
    ]);
  });

  it('folds events inside the cooldown into one delivery of the newest state per subject when the window ends', async () => {
    const { team, automationId } = await setUp('fold1', { order: 'per_subject', supersede: true }, { cooldownSeconds: 600 });
    const model = newId();
    await flip(team, model, 'production', 1);
    const [r1] = await claimAll('w5');
    await finish('w5', r1!, ok(r1!));
    const sentAt = (await server.ctx.db.selectFrom('automations').select('last_sent_at').where('id', '=', automationId).executeTakeFirstOrThrow()).last_sent_at!;

    // Inside the cooldown: not skipped, due when the window ends; a newer one supersedes it and joins the same time.
    await flip(team, model, 'production', 2);
    await flip(team, model, 'production', 3);
    await flip(team, model, 'staging', 5);
    const runs = await runsOf(automationId);
    expect(runs.filter((r) => r.state === 'skipped')).toEqual([]);
    const windowEnd = sentAt + 600_000;
    expect(runs.map((r) => [r.subject, r.sequence, r.state, r.next_attempt_at])).toEqual(
      expect.arrayContaining([
        [`${model}:production`, 2, 'superseded', null],
        [`${model}:production`, 3, 'pending', windowEnd],
        [`${model}:staging`, 1, 'pending', windowEnd],
      ]),
    );
    expect(await claimAll('w5')).toEqual([]);
    const folded = await claimAll('w5', windowEnd);
    expect(folded.map((r) => JSON.parse(r.body).v).sort()).toEqual(['3', '5']);
    for (const run of folded) await finish('w5', run, ok(run));
  });

  it('without supersede, the cooldown still skips', async () => {
    const { team, automationId } = await setUp('fold2', { order: 'per_subject' }, { cooldownSeconds: 600 });
    const model = newId();
    await flip(team, model, 'production', 1);
    await flip(team, model, 'production', 2);
    // A skipped run takes no sequence (it is never sent).
    const runs = await runsOf(automationId);
    expect(runs).toHaveLength(2);
    expect(runs.map((r) => [r.state, r.sequence])).toEqual(expect.arrayContaining([['skipped', null], ['pending', 1]]));
    for (const run of await claimAll('w6')) await finish('w6', run, ok(run));
  });
});

describe('the delivery field', () => {
  let admin: Client;
  let webhookId: string;
  beforeAll(async () => {
    ({ admin } = await createTeamWithRoles(server, 'deliveryapi'));
    webhookId = await createWebhook(admin, 'deliveryapi', { name: 'deploy', url: receiver.url('/api') });
  });

  const body = (name: string, eventType: string, delivery?: unknown) => ({
    ...webhookAutomation({ name, eventType: eventType as 'LINK_ARTIFACT', webhookId, payload: '{"s":"${sequence}"}' }),
    ...(delivery === undefined ? {} : { delivery }),
  });

  it('round-trips through create, read and update, with its default', async () => {
    const plain = await createAutomation(admin, 'deliveryapi', body('plain', 'LINK_ARTIFACT'));
    expect(expectStatus(await admin.get(`/api/v1/teams/deliveryapi/automations/${plain}`), 200, 'reading').body.delivery).toEqual({ order: 'none', supersede: false });
    const ordered = await createAutomation(admin, 'deliveryapi', body('ordered', 'REMOVE_ARTIFACT_ALIAS', { order: 'per_subject', supersede: true }));
    expect(expectStatus(await admin.get(`/api/v1/teams/deliveryapi/automations/${ordered}`), 200, 'reading').body.delivery).toEqual({ order: 'per_subject', supersede: true });
    const patched = expectStatus(await admin.patch(`/api/v1/teams/deliveryapi/automations/${plain}`, { delivery: { order: 'per_subject' } }), 200, 'patching');
    expect(patched.body.delivery).toEqual({ order: 'per_subject', supersede: false });
    // A patch without delivery keeps it.
    expect(expectStatus(await admin.patch(`/api/v1/teams/deliveryapi/automations/${plain}`, { description: 'x' }), 200, 'patching').body.delivery).toEqual({
      order: 'per_subject',
      supersede: false,
    });
    const listed = expectStatus(await admin.get('/api/v1/teams/deliveryapi/automations'), 200, 'listing');
    expect(listed.body.items.map((a: { name: string; delivery: unknown }) => [a.name, a.delivery])).toEqual([
      ['ordered', { order: 'per_subject', supersede: true }],
      ['plain', { order: 'per_subject', supersede: false }],
    ]);
  });

  it.each([
    ['supersede without per_subject order', 'LINK_ARTIFACT', { order: 'none', supersede: true }, 'delivery.supersede'],
    ['supersede alone', 'LINK_ARTIFACT', { supersede: true }, 'delivery.supersede'],
    ['an event type without a subject', 'CHECK_COMPLETED', { order: 'per_subject' }, 'delivery.order'],
    ['promotions have no subject either', 'PROMOTION_APPROVED', { order: 'per_subject', supersede: true }, 'delivery.order'],
    ['an unknown order', 'LINK_ARTIFACT', { order: 'fifo' }, 'delivery'],
    ['not an object', 'LINK_ARTIFACT', 'per_subject', 'delivery'],
  ])('refuses %s with a 400 naming the field', async (_name, eventType, delivery, field) => {
    const reply = await admin.post('/api/v1/teams/deliveryapi/automations', body(`bad-${field}-${eventType}`, eventType, delivery));
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).toContain(field);
  });

  it('refuses ordering for queue jobs, and a change of event type that leaves an ordered automation without subject', async () => {
    expectStatus(await admin.post('/api/v1/teams/deliveryapi/queues', { name: 'jobs' }), 201, 'creating a queue');
    const job = await admin.post('/api/v1/teams/deliveryapi/automations', {
      name: 'job',
      event: { type: 'LINK_ARTIFACT', model: null },
      action: { type: 'queue_job', queue: 'jobs', template: '{}' },
      delivery: { order: 'per_subject' },
    });
    expect(job.status).toBe(400);
    expect(JSON.stringify(job.body)).toContain('delivery.order');
    const ordered = await createAutomation(admin, 'deliveryapi', body('to-change', 'LINK_ARTIFACT', { order: 'per_subject' }));
    const changed = await admin.patch(`/api/v1/teams/deliveryapi/automations/${ordered}`, { event: { type: 'CHECK_COMPLETED', model: null } });
    expect(changed.status).toBe(400);
    expect(JSON.stringify(changed.body)).toContain('delivery.order');
  });
});
