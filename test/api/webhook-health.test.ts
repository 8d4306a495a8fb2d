// Endpoint health, the circuit breaker, auto-disable with WEBHOOK_DISABLED, and recover — through the API with the
// real worker and receivers, and with an injected clock where time has to pass (the run store's `now`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { fireEvent, readRun, teamId } from '../helpers/database.js';
import { createRunStore, type RecordedAttempt } from '../../src/delivery/store/index.js';
import { newId } from '../../src/core/ids.js';

let server: TestServer;
const endpoint = new Receiver();
const slack = new Receiver();
beforeAll(async () => {
  server = await startTestServer();
  await endpoint.start();
  await slack.start();
});
afterAll(async () => {
  await slack.close();
  await endpoint.close();
  await server.close();
});

const DAY = 24 * 3600 * 1000;

/** A failed attempt of a made-up run to `webhookId` at `at`, as the worker records it. */
function failedAttempt(webhookId: string, team: string, at: number): RecordedAttempt {
  const runId = newId();
  return {
    run: { id: runId, team_id: team, event_id: newId(), automation_id: 'a', automation_name: 'a', webhook_id: webhookId },
    attempt: {
      id: newId(),
      run_id: runId,
      team_id: team,
      webhook_id: webhookId,
      number: 1,
      trigger: 'automatic',
      started_at: at,
      duration_ms: 40,
      url: 'http://127.0.0.1:9/hook',
      request_headers: '{"content-type":"application/json"}',
      status: 503,
      error: null,
      response_headers: '{}',
      response_body: '',
    },
    outcome: { state: 'pending', nextAttemptAt: at + 5000, status: 503, error: null, attempts: 1 },
    disableWebhook: null,
    raiseFailure: false,
    health: 'failed',
  };
}

describe('webhook health', () => {
  it('reports success rate, latency, failures in a row and the last error; refused runs of an open circuit wait for the probe; recover redelivers', async () => {
    const { admin, viewer } = await createTeamWithRoles(server, 'health');
    const team = await teamId(admin, 'health');
    const webhookId = await createWebhook(admin, 'health', { name: 'ci', url: endpoint.url('/health') });
    expectStatus(await admin.patch(`/api/v1/teams/health/webhooks/${webhookId}`, { circuitFailures: 3 }), 200, 'lowering the threshold');
    await createAutomation(admin, 'health', webhookAutomation({ name: 'ci-on-link', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"v":"${artifact_version_index}"}' }));
    const health = () => admin.get(`/api/v1/teams/health/webhooks/${webhookId}/health`);

    const fresh = expectStatus(await health(), 200, 'reading health');
    expect(fresh.body).toMatchObject({
      state: 'healthy',
      consecutiveFailures: 0,
      lastError: null,
      circuit: { failuresToOpen: 3, open: false, nextProbeAt: null },
      disableAfterSeconds: 3 * 24 * 3600,
      lastHour: { attempts: 0, successRate: null, latencyMs: null },
    });

    // Two successes, then three 400s (not retried: the runs fail at once): the circuit opens at the third.
    const started = new Date().toISOString();
    endpoint.respondWith(() => ({ status: 200 }));
    for (const v of [0, 1]) await fireEvent(server.ctx, { teamId: team, versionIndex: v });
    await endpoint.waitFor(2);
    endpoint.respondWith(() => ({ status: 400, body: 'bad request' }));
    for (const v of [2, 3, 4]) await fireEvent(server.ctx, { teamId: team, versionIndex: v });
    await endpoint.waitFor(5);
    const open = await eventually(async () => {
      const reply = await health();
      return reply.body.state === 'circuit_open' && reply.body.lastHour.attempts === 5 ? reply : undefined;
    });
    expect(open.body).toMatchObject({
      consecutiveFailures: 3,
      lastError: { message: 'HTTP 400' },
      circuit: { open: true },
      lastHour: { attempts: 5, succeeded: 2, successRate: 0.4 },
      lastDay: { attempts: 5, succeeded: 2 },
    });
    expect(open.body.lastHour.latencyMs!.max).toBeGreaterThanOrEqual(open.body.lastHour.latencyMs!.avg);
    expect(Date.parse(open.body.circuit.nextProbeAt!) - Date.parse(open.body.failingSince!)).toBeGreaterThanOrEqual(10_000);
    // Viewers see the numbers, not the error text.
    const seen = expectStatus(await viewer.get(`/api/v1/teams/health/webhooks/${webhookId}/health`), 200, 'viewer reads health');
    expect(seen.body.lastError).toEqual({ at: open.body.lastError!.at });

    // With the circuit open, a new run is held back until the probe is due: no request, the run still pending.
    const held = await fireEvent(server.ctx, { teamId: team, versionIndex: 5 });
    const heldRun = await eventually(async () => {
      const [run] = await server.ctx.db.selectFrom('action_runs').selectAll().where('event_id', '=', held.id).execute();
      return run && run.lease_owner === null && run.next_attempt_at === Date.parse(open.body.circuit.nextProbeAt!) ? run : undefined;
    });
    expect(heldRun).toMatchObject({ state: 'pending', attempts: 0 });
    expect(endpoint.requests).toHaveLength(5);

    // Recover: re-enabled and healthy at once; the three failed runs are sent again (and the held one, now due).
    endpoint.respondWith(() => ({ status: 200 }));
    const recovered = expectStatus(await admin.post(`/api/v1/teams/health/webhooks/${webhookId}/recover`, { since: started }), 200, 'recovering');
    expect(recovered.body).toMatchObject({ redelivered: 3, webhook: { enabled: true, disabled: null } });
    await endpoint.waitFor(8);
    const after = await eventually(async () => {
      const reply = await health();
      return reply.body.lastHour.attempts === 8 ? reply : undefined;
    });
    expect(after.body).toMatchObject({ state: 'healthy', consecutiveFailures: 0, circuit: { open: false }, lastHour: { succeeded: 5 } });
    expect((await readRun(server.ctx, heldRun.id)).state).toBe('pending');

    // Bad input names the field; only admins recover.
    expect((await admin.post(`/api/v1/teams/health/webhooks/${webhookId}/recover`, { since: 'yesterday' })).body.error.message).toContain('since');
    expect((await admin.post(`/api/v1/teams/health/webhooks/${webhookId}/recover`, { since: new Date(Date.now() - 15 * DAY).toISOString() })).status).toBe(400);
    expect((await viewer.post(`/api/v1/teams/health/webhooks/${webhookId}/recover`, { since: started })).status).toBe(403);
    expect((await admin.patch(`/api/v1/teams/health/webhooks/${webhookId}`, { circuitFailures: 0 })).status).toBe(400);
    expect((await admin.get(`/api/v1/teams/health/webhooks/nope/health`)).status).toBe(404);
  });

  it('after failing for disableAfterSeconds (injected clock) disables the webhook with the reason and raises WEBHOOK_DISABLED, which can notify an admin', async () => {
    const { admin } = await createTeamWithRoles(server, 'autodisable');
    const team = await teamId(admin, 'autodisable');
    const webhookId = await createWebhook(admin, 'autodisable', { name: 'deploy', url: endpoint.url('/deploy') });
    const slackId = await createWebhook(admin, 'autodisable', { name: 'slack', url: slack.url('/slack') });
    await createAutomation(
      admin,
      'autodisable',
      webhookAutomation({ name: 'tell-admins', eventType: 'WEBHOOK_DISABLED', webhookId: slackId, payload: '{"text":"${event_type} in ${entity_name}"}' }),
    );
    const store = createRunStore(server.ctx);
    const t0 = Date.now() - 4 * DAY;
    // 20 failures in a row (the default threshold) within a minute: the circuit opens with the first probe 10 s later.
    for (let i = 0; i < 20; i++) await store.record('nobody', [failedAttempt(webhookId, team, t0 + i * 1000)], t0 + i * 1000);
    let row = await server.ctx.db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ consecutive_failures: 20, failing_since: t0, probe_at: t0 + 19_000 + 10_000, disabled_at: null });
    // Probing, failing: one probe holder at a time.
    expect(await store.takeProbe(webhookId, t0 + 29_000, t0 + 60_000)).toBe(true);
    expect(await store.takeProbe(webhookId, t0 + 29_000, t0 + 60_000)).toBe(false);
    // Still failing just under 3 days later: open, not disabled.
    await store.record('nobody', [failedAttempt(webhookId, team, t0 + 3 * DAY - 1)], t0 + 3 * DAY - 1);
    row = await server.ctx.db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirstOrThrow();
    expect(row.disabled_at).toBeNull();
    // Failing at 3 days: disabled with the reason, WEBHOOK_DISABLED raised in the same transaction.
    await store.record('nobody', [failedAttempt(webhookId, team, t0 + 3 * DAY)], t0 + 3 * DAY);
    const shown = expectStatus(await admin.get(`/api/v1/teams/autodisable/webhooks/${webhookId}`), 200, 'reading the webhook');
    expect(shown.body.enabled).toBe(false);
    expect(shown.body.disabled!.reason).toBe(`the endpoint has been failing since ${new Date(t0).toISOString()} (22 failed attempts in a row, longer than 3 days)`);
    const events = expectStatus(await admin.get('/api/v1/teams/autodisable/events?type=WEBHOOK_DISABLED'), 200, 'reading events');
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0]!.details).toMatchObject({ webhookId, webhookName: 'deploy', reason: shown.body.disabled!.reason, consecutiveFailures: 22 });
    await slack.waitFor(1);
    expect(JSON.parse(slack.requests[0]!.body)).toEqual({ text: 'WEBHOOK_DISABLED in autodisable' });
    // A later failure (a probe already out) does not disable it twice.
    await store.record('nobody', [failedAttempt(webhookId, team, t0 + 3 * DAY + 5)], t0 + 3 * DAY + 5);
    expect((await admin.get('/api/v1/teams/autodisable/events?type=WEBHOOK_DISABLED')).body.items).toHaveLength(1);
    // An automation on WEBHOOK_DISABLED cannot be scoped to a model.
    const scoped = await admin.post('/api/v1/teams/autodisable/automations', {
      ...webhookAutomation({ name: 'scoped', eventType: 'WEBHOOK_DISABLED', webhookId: slackId, payload: '{}' }),
      event: { type: 'WEBHOOK_DISABLED', model: 'classifier' },
    });
    expect(scoped.status).toBe(400);
    expect(scoped.body.error.message).toContain('WEBHOOK_DISABLED is about a webhook');
  });

  it('pauses the whole endpoint on a 429 with Retry-After: later runs wait for the pause, not only the run that got it', async () => {
    const { admin } = await createTeamWithRoles(server, 'paused');
    const team = await teamId(admin, 'paused');
    const limited = new Receiver(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    await limited.start();
    try {
      const webhookId = await createWebhook(admin, 'paused', { name: 'limited', url: limited.url('/limited') });
      await createAutomation(admin, 'paused', webhookAutomation({ name: 'on-link', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"v":"${artifact_version_index}"}' }));
      const before = Date.now();
      const first = await fireEvent(server.ctx, { teamId: team, versionIndex: 0 });
      await limited.waitFor(1);
      const paused = await eventually(async () => {
        const reply = await admin.get(`/api/v1/teams/paused/webhooks/${webhookId}/health`);
        return reply.body.state === 'paused' ? reply : undefined;
      });
      const until = Date.parse(paused.body.circuit.nextProbeAt!);
      expect(until).toBeGreaterThanOrEqual(before + 120_000);
      expect(paused.body).toMatchObject({ consecutiveFailures: 1, circuit: { open: true }, lastError: { message: 'HTTP 429' } });
      // The run that got the 429 retries no earlier than asked; a new run waits for the pause without a request.
      expect((await server.ctx.db.selectFrom('action_runs').select('next_attempt_at').where('event_id', '=', first.id).executeTakeFirstOrThrow()).next_attempt_at).toBeGreaterThanOrEqual(before + 120_000);
      const second = await fireEvent(server.ctx, { teamId: team, versionIndex: 1 });
      await eventually(async () => {
        const run = await server.ctx.db.selectFrom('action_runs').selectAll().where('event_id', '=', second.id).executeTakeFirst();
        return run && run.lease_owner === null && run.next_attempt_at === until ? run : undefined;
      });
      expect(limited.requests).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });
});
