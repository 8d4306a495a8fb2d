import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { CHANNEL_RUNS } from '../../src/context.js';
import { eventually, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { fireEvent, insertRuns, insertWebhookRow, pendingRun, readRun, runsOfEvent, teamId } from '../helpers/database.js';
import { createAutomation, createSecret, createWebhook, webhookAutomation } from '../helpers/automations.js';

const execFileAsync = promisify(execFile);
const SIGNING_SECRET = 'whsk-9f\\"quoted" and spaced';
const ACCESS_TOKEN = 'tok_8b2e1c77d0a94f0e';

let server: TestServer;
const receivers: Receiver[] = [];
let teamCounter = 0;

beforeAll(async () => {
  server = await startTestServer({ env: { MODELYARD_RETRY_SCHEDULE: '0.05,0.05', MODELYARD_WEBHOOK_TIMEOUT_MS: '300' } });
});

afterAll(async () => {
  await server.close();
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiver(responder?: ConstructorParameters<typeof Receiver>[0]): Promise<Receiver> {
  const started = await new Receiver(responder).start();
  receivers.push(started);
  return started;
}

/** A team of its own per test, so one test's automations never fire on another's events. */
async function newTeam(): Promise<{ team: string; id: string }> {
  const team = `delivery${++teamCounter}`;
  const created = await server.admin.post('/api/v1/teams', { name: team });
  expect(created.status).toBe(201);
  await createSecret(server.admin, team, 'SIGNING_KEY', SIGNING_SECRET);
  await createSecret(server.admin, team, 'API_TOKEN', ACCESS_TOKEN);
  return { team, id: await teamId(server.admin, team) };
}

function attemptsOf(runId: string) {
  return server.ctx.db.selectFrom('delivery_attempts').selectAll().where('run_id', '=', runId).orderBy('number').execute();
}

async function finished(runId: string) {
  return eventually(async () => {
    const run = await readRun(server.ctx, runId);
    return run.state !== 'pending' ? run : undefined;
  });
}

function failureEvents(runId: string) {
  return server.ctx.db
    .selectFrom('events')
    .selectAll()
    .where('type', '=', 'AUTOMATION_FAILED')
    .execute()
    .then((rows) => rows.filter((e) => (JSON.parse(e.details) as { runId?: string }).runId === runId));
}

describe('a delivery', () => {
  it('sends the exact rendered body with the secret filled in, a bearer token, and signatures that verify three ways', async () => {
    const { team, id } = await newTeam();
    const hook = await receiver();
    const webhookId = await createWebhook(server.admin, team, { name: 'ci', url: hook.url(), secret: 'SIGNING_KEY', accessToken: 'API_TOKEN' });
    const payload = '{"event": "${event_type}", "model": "${artifact_collection_name}", "token": "${API_TOKEN}"}';
    await createAutomation(server.admin, team, webhookAutomation({ name: 'deploy', eventType: 'LINK_ARTIFACT', webhookId, payload }));

    const event = await fireEvent(server.ctx, { teamId: id, collection: 'classifier' });
    const [run] = await runsOfEvent(server.ctx, event.id);
    const done = await finished(run!.id);
    const request = hook.requests[0]!;

    const expectedBody = `{"event": "LINK_ARTIFACT", "model": "classifier", "token": "${ACCESS_TOKEN}"}`;
    expect(request.method).toBe('POST');
    expect(request.body).toBe(expectedBody);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(request.headers['user-agent']).toMatch(/Modelyard/);
    // The delivery id is the run id: stable across retries, so receivers can deduplicate.
    expect(request.headers['webhook-id']).toBe(run!.id);

    const recomputed = createHmac('sha256', SIGNING_SECRET).update(request.body).digest('base64');
    expect(request.headers['x-wandb-signature']).toBe(recomputed);
    const openssl = await execFileAsync('bash', ['-c', 'echo -n "$PAYLOAD" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64'], {
      env: { PATH: process.env.PATH, PAYLOAD: request.body, SECRET: SIGNING_SECRET },
    });
    expect(request.headers['x-wandb-signature']).toBe(openssl.stdout.trim());
    const verifier = new Webhook(Buffer.from(SIGNING_SECRET, 'utf8').toString('base64'));
    expect(() => verifier.verify(request.body, request.headers as Record<string, string>)).not.toThrow();

    expect(done).toMatchObject({ state: 'succeeded', attempts: 1, last_status: 200, last_error: null });
    // The stored body keeps the placeholder; the value only ever existed in the outgoing request.
    expect(done.body).toContain('${API_TOKEN}');
    const [attempt] = await attemptsOf(run!.id);
    expect(attempt).toMatchObject({ number: 1, trigger: 'automatic', status: 200, url: hook.url(), error: null });
    expect(attempt!.request_headers).not.toContain(ACCESS_TOKEN);
    // Signatures are not stored: beside the stored body they would allow guessing the signing secret offline.
    expect(JSON.parse(attempt!.request_headers)).toMatchObject({ Authorization: 'Bearer [redacted]', 'X-Wandb-Signature': '[redacted]', 'webhook-signature': '[redacted]', 'webhook-id': run!.id });
    expect(attempt!.request_headers).not.toContain(recomputed);
    expect(attempt!.request_headers).not.toContain(String(request.headers['webhook-signature']).slice(3));
    expect(JSON.parse(attempt!.response_body)).toEqual({ ok: true });
  });

  it('retries a receiver that fails, with the same delivery id, until it succeeds', async () => {
    const { team, id } = await newTeam();
    const hook = await receiver((_request, index) => (index < 2 ? { status: 503, body: 'busy' } : { status: 204 }));
    const webhookId = await createWebhook(server.admin, team, { name: 'flaky', url: hook.url() });
    await createAutomation(server.admin, team, webhookAutomation({ name: 'notify', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"e": "${event_id}"}' }));

    const event = await fireEvent(server.ctx, { teamId: id });
    const [run] = await runsOfEvent(server.ctx, event.id);
    const done = await finished(run!.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 3, last_status: 204 });
    expect(hook.requests.map((r) => r.headers['webhook-id'])).toEqual([run!.id, run!.id, run!.id]);
    const attempts = await attemptsOf(run!.id);
    expect(attempts.map((a) => [a.number, a.status, a.trigger])).toEqual([
      [1, 503, 'automatic'],
      [2, 503, 'automatic'],
      [3, 204, 'automatic'],
    ]);
    expect(attempts[0]!.response_body).toBe('busy');
  });

  it('fails a receiver that hangs after the retries, emits AUTOMATION_FAILED once, and the automation it triggers never emits another', async () => {
    const { team, id } = await newTeam();
    const hanging = await receiver(() => ({ hang: true }));
    const alerts = await receiver(() => ({ status: 500 }));
    const hangingId = await createWebhook(server.admin, team, { name: 'slow', url: hanging.url() });
    const alertsId = await createWebhook(server.admin, team, { name: 'alerts', url: alerts.url() });
    const automationId = await createAutomation(server.admin, team, webhookAutomation({ name: 'deploy', eventType: 'LINK_ARTIFACT', webhookId: hangingId, payload: '{"a": 1}' }));
    await createAutomation(server.admin, team, webhookAutomation({ name: 'on-failure', eventType: 'AUTOMATION_FAILED', webhookId: alertsId, payload: '{"failed": "${event_type}"}' }));

    const event = await fireEvent(server.ctx, { teamId: id, collection: 'classifier' });
    const [run] = await runsOfEvent(server.ctx, event.id);
    const done = await finished(run!.id);
    expect(done.state).toBe('failed');
    expect(done.attempts).toBe(3);
    expect(done.last_status).toBeNull();
    const attempts = await attemptsOf(run!.id);
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) expect(attempt.error).toMatch(/time/i);

    const failures = await eventually(async () => {
      const rows = await failureEvents(run!.id);
      return rows.length > 0 ? rows : undefined;
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ team_id: id, collection: 'classifier', author: 'modelyard' });
    expect(JSON.parse(failures[0]!.details)).toMatchObject({ runId: run!.id, automationId, automationName: 'deploy' });

    // The AUTOMATION_FAILED automation fires, fails (500 every time) and raises nothing in turn.
    const [alertRun] = await runsOfEvent(server.ctx, failures[0]!.id);
    expect(alertRun!.suppress_failure_event).toBe(1);
    const alertDone = await finished(alertRun!.id);
    expect(alertDone.state).toBe('failed');
    expect(alerts.requests).toHaveLength(3);
    expect(JSON.parse(alerts.requests[0]!.body)).toEqual({ failed: 'AUTOMATION_FAILED' });
    expect(await failureEvents(alertRun!.id)).toHaveLength(0);
    const allFailures = await server.ctx.db.selectFrom('events').select('id').where('team_id', '=', id).where('type', '=', 'AUTOMATION_FAILED').execute();
    expect(allFailures).toHaveLength(1);
  });

  it('fails a redirect at once and never follows Location', async () => {
    const { team, id } = await newTeam();
    const target = await receiver();
    const redirecting = await receiver(() => ({ status: 302, headers: { location: target.url('/elsewhere') } }));
    const webhookId = await createWebhook(server.admin, team, { name: 'moved', url: redirecting.url() });
    await createAutomation(server.admin, team, webhookAutomation({ name: 'deploy', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"a": 1}' }));

    const event = await fireEvent(server.ctx, { teamId: id });
    const [run] = await runsOfEvent(server.ctx, event.id);
    const done = await finished(run!.id);
    expect(done).toMatchObject({ state: 'failed', attempts: 1, last_status: 302 });
    expect(done.last_error).toMatch(/redirect/i);
    expect(redirecting.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
  });

  it('disables a webhook that answers 410 Gone, and later runs for it fail at once without a request', async () => {
    const { team, id } = await newTeam();
    const gone = await receiver(() => ({ status: 410 }));
    const webhookId = await createWebhook(server.admin, team, { name: 'retired', url: gone.url() });
    await createAutomation(server.admin, team, webhookAutomation({ name: 'deploy', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"a": 1}' }));

    const first = await fireEvent(server.ctx, { teamId: id });
    const [firstRun] = await runsOfEvent(server.ctx, first.id);
    const firstDone = await finished(firstRun!.id);
    expect(firstDone).toMatchObject({ state: 'failed', attempts: 1, last_status: 410 });
    const webhook = await server.ctx.db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirstOrThrow();
    expect(webhook.disabled_at).not.toBeNull();
    expect(webhook.disabled_reason).toMatch(/^the endpoint answered 410 Gone at \d{4}-\d{2}-\d{2}T/);

    const second = await fireEvent(server.ctx, { teamId: id });
    const [secondRun] = await runsOfEvent(server.ctx, second.id);
    const secondDone = await finished(secondRun!.id);
    expect(secondDone.state).toBe('failed');
    expect(secondDone.last_error).toContain('410 Gone');
    const [attempt] = await attemptsOf(secondRun!.id);
    expect(attempt).toMatchObject({ number: 1, status: null });
    expect(attempt!.error).toMatch(/webhook disabled/);
    expect(gone.requests).toHaveLength(1);
  });

  it('signs and authorizes with the values the secrets have when the run is sent, not when it was created', async () => {
    const { team, id } = await newTeam();
    const hook = await receiver();
    const webhookId = await createWebhook(server.admin, team, { name: 'rotating', url: hook.url(), secret: 'SIGNING_KEY', accessToken: 'API_TOKEN' });
    // Created now, due in a moment: the values change in between.
    const run = pendingRun({
      team_id: id,
      webhook_id: webhookId,
      url: hook.url(),
      secret_name: 'SIGNING_KEY',
      access_token_name: 'API_TOKEN',
      body: '{"copy": "${SIGNING_KEY}"}',
      next_attempt_at: Date.now() + 1500,
    });
    await insertRuns(server.ctx, [run]);
    for (const [name, value] of [['SIGNING_KEY', 'rotated-signing-key'], ['API_TOKEN', 'rotated-token']]) {
      const reply = await server.admin.put(`/api/v1/teams/${team}/secrets/${name}`, { value });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    }
    expect(hook.requests).toHaveLength(0);

    expect((await finished(run.id)).state).toBe('succeeded');
    const request = hook.requests[0]!;
    expect(request.body).toBe('{"copy": "rotated-signing-key"}');
    expect(request.headers.authorization).toBe('Bearer rotated-token');
    expect(request.headers['x-wandb-signature']).toBe(createHmac('sha256', 'rotated-signing-key').update(request.body).digest('base64'));
  });

  it.each([
    {
      missing: 'GONE_TOKEN',
      present: 'SIGNING_KEY',
      run: { secret_name: 'SIGNING_KEY', access_token_name: 'GONE_TOKEN' },
    },
    {
      missing: 'REMOVED_SECRET',
      present: null,
      run: { secret_name: 'REMOVED_SECRET', body: '{"k": "${REMOVED_SECRET}"}' },
    },
  ])('fails a run whose secret $missing no longer exists, naming it and sending nothing', async ({ missing, present, run: fields }) => {
    const { id } = await newTeam();
    const hook = await receiver();
    const webhookId = await insertWebhookRow(server.ctx, { team_id: id, url: hook.url(), ...fields });
    const run = pendingRun({ team_id: id, webhook_id: webhookId, url: hook.url(), ...fields });
    await insertRuns(server.ctx, [run]);
    server.ctx.notifier.notify(CHANNEL_RUNS);
    const done = await finished(run.id);
    expect(done.state).toBe('failed');
    expect(done.last_error).toMatch(new RegExp(missing));
    if (present) expect(done.last_error).not.toMatch(new RegExp(present));
    expect(hook.requests).toHaveLength(0);
  });
});

describe("a webhook's lifecycle governs its deliveries", () => {
  it('sends a retry wherever the webhook points now, signed with its secret now; each attempt keeps its URL', async () => {
    const { team, id } = await newTeam();
    await createSecret(server.admin, team, 'NEW_KEY', 'new-signing-key');
    // The first attempt hangs until the send timeout: the webhook is changed while it is under way, before its retry.
    const before = await receiver(() => ({ hang: true }));
    const after = await receiver();
    const webhookId = await createWebhook(server.admin, team, { name: 'moving', url: before.url('/old'), secret: 'SIGNING_KEY' });
    const run = pendingRun({ team_id: id, webhook_id: webhookId, url: before.url('/old'), secret_name: 'SIGNING_KEY', body: '{"n": 1}' });
    await insertRuns(server.ctx, [run]);
    server.ctx.notifier.notify(CHANNEL_RUNS);
    await before.waitFor(1);
    const changed = await server.admin.patch(`/api/v1/teams/${team}/webhooks/${webhookId}`, { url: after.url('/new'), secret: 'NEW_KEY' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);

    expect((await finished(run.id)).state).toBe('succeeded');
    expect(after.requests).toHaveLength(1);
    const retry = after.requests[0]!;
    expect(retry.url).toBe('/new');
    expect(retry.headers['x-wandb-signature']).toBe(createHmac('sha256', 'new-signing-key').update(retry.body).digest('base64'));
    expect((await attemptsOf(run.id)).map((a) => [a.number, a.url, a.status])).toEqual([
      [1, before.url('/old'), null],
      [2, after.url('/new'), 200],
    ]);
  });

  it("fills a payload's secrets only from the webhook's own: a placeholder naming another team secret refuses the delivery, naming it", async () => {
    const { id } = await newTeam();
    const hook = await receiver();
    // API_TOKEN is a secret of the team but not attached to this webhook (it signs with SIGNING_KEY only).
    const webhookId = await insertWebhookRow(server.ctx, { team_id: id, url: hook.url(), secret_name: 'SIGNING_KEY' });
    const run = pendingRun({ team_id: id, webhook_id: webhookId, url: hook.url(), body: '{"own": "${SIGNING_KEY}", "other": "${API_TOKEN}"}' });
    await insertRuns(server.ctx, [run]);
    server.ctx.notifier.notify(CHANNEL_RUNS);
    const done = await finished(run.id);
    expect(done.state).toBe('failed');
    expect(done.last_error).toMatch(/secret API_TOKEN, which is not attached to the webhook/);
    expect(done.last_error).not.toContain(ACCESS_TOKEN);
    expect(hook.requests).toHaveLength(0);
  });

  it('cancels the pending runs of a deleted webhook: failed "webhook deleted", no further attempt, one AUTOMATION_FAILED per automation, redelivery 409', async () => {
    const { team, id } = await newTeam();
    const hook = await receiver();
    const webhookId = await createWebhook(server.admin, team, { name: 'doomed', url: hook.url() });
    const later = Date.now() + 3_600_000;
    const event = await fireEvent(server.ctx, { teamId: id });
    const runs = [
      pendingRun({ team_id: id, event_id: event.id, webhook_id: webhookId, automation_id: 'automation-a', automation_name: 'a', next_attempt_at: later }),
      pendingRun({ team_id: id, event_id: event.id, webhook_id: webhookId, automation_id: 'automation-a', automation_name: 'a', next_attempt_at: later }),
      pendingRun({ team_id: id, event_id: event.id, webhook_id: webhookId, automation_id: 'automation-b', automation_name: 'b', next_attempt_at: later }),
    ];
    await insertRuns(server.ctx, runs);

    const deleted = await server.admin.delete(`/api/v1/teams/${team}/webhooks/${webhookId}`);
    expect(deleted.status).toBe(204);
    for (const run of runs) {
      expect(await readRun(server.ctx, run.id)).toMatchObject({ state: 'failed', last_error: 'webhook deleted', next_attempt_at: null, lease_owner: null });
    }
    const failures = (await server.ctx.db.selectFrom('events').select('details').where('team_id', '=', id).where('type', '=', 'AUTOMATION_FAILED').execute()).map(
      (e) => JSON.parse(e.details) as { automationId: string; cancelledRuns: number; error: string },
    );
    expect(failures.map((f) => [f.automationId, f.cancelledRuns, f.error]).sort()).toEqual([
      ['automation-a', 2, 'webhook deleted'],
      ['automation-b', 1, 'webhook deleted'],
    ]);

    const redelivered = await server.admin.post(`/api/v1/teams/${team}/runs/${runs[0]!.id}/redeliver`);
    expect(redelivered.status).toBe(409);
    expect(redelivered.body.error.message).toMatch(/webhook of this run has been deleted/);
    expect(hook.requests).toHaveLength(0);
    expect(await attemptsOf(runs[0]!.id)).toEqual([]);
  });

  it('leaves a run a worker is sending when its webhook is deleted failed, never succeeded afterwards', async () => {
    const { team, id } = await newTeam();
    const hook = await receiver(() => ({ hang: true }));
    const webhookId = await createWebhook(server.admin, team, { name: 'in-flight', url: hook.url() });
    const run = pendingRun({ team_id: id, webhook_id: webhookId, url: hook.url() });
    await insertRuns(server.ctx, [run]);
    server.ctx.notifier.notify(CHANNEL_RUNS);
    await hook.waitFor(1);
    expect((await readRun(server.ctx, run.id)).lease_owner).not.toBeNull();
    expect((await server.admin.delete(`/api/v1/teams/${team}/webhooks/${webhookId}`)).status).toBe(204);
    // The send times out (300 ms here); the attempt is recorded, the run's outcome is not (its lease was taken away).
    await eventually(async () => ((await attemptsOf(run.id)).length === 1 ? true : undefined));
    expect(await readRun(server.ctx, run.id)).toMatchObject({ state: 'failed', last_error: 'webhook deleted', attempts: 0, lease_owner: null });
    expect(hook.requests).toHaveLength(1);
  });
});
