// Flood control per automation: a rate limit and a cooldown skip the runs over the limit, recorded with the reason;
// concurrent events never exceed the limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { fireEvent, teamId } from '../helpers/database.js';

let server: TestServer;
const receiver = new Receiver();
beforeAll(async () => {
  server = await startTestServer();
  await receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await server.close();
});

async function runsOf(automationId: string) {
  return server.ctx.db.selectFrom('action_runs').select(['state', 'last_error']).where('automation_id', '=', automationId).orderBy('id').execute();
}

describe('flood control', () => {
  it('skips runs over the rate limit and within the cooldown, with the reason; concurrent events never exceed the limit', async () => {
    const { admin } = await createTeamWithRoles(server, 'flood');
    const team = await teamId(admin, 'flood');
    const webhookId = await createWebhook(admin, 'flood', { name: 'slack', url: receiver.url('/flood') });
    const limited = await createAutomation(admin, 'flood', {
      ...webhookAutomation({ name: 'limited', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"v":"${artifact_version_index}"}' }),
      rateLimit: { max: 3, perSeconds: 3600 },
    });
    const cooled = await createAutomation(admin, 'flood', {
      ...webhookAutomation({ name: 'cooled', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"a":"${alias}"}' }),
      cooldownSeconds: 600,
    });
    const shown = expectStatus(await admin.get(`/api/v1/teams/flood/automations/${limited}`), 200, 'reading');
    expect(shown.body).toMatchObject({ rateLimit: { max: 3, perSeconds: 3600 }, cooldownSeconds: null });

    // Ten events at once (a bulk re-link): three runs, seven skipped.
    await Promise.all(Array.from({ length: 10 }, (_, i) => fireEvent(server.ctx, { teamId: team, versionIndex: i })));
    const runs = await runsOf(limited);
    expect(runs.filter((r) => r.state === 'skipped')).toHaveLength(7);
    expect(runs.filter((r) => r.state !== 'skipped')).toHaveLength(3);
    expect(runs.find((r) => r.state === 'skipped')!.last_error).toMatch(/^skipped: rate limit of 3 per 3600 s reached/);

    for (const alias of ['a', 'b', 'c']) await fireEvent(server.ctx, { teamId: team, type: 'ADD_ARTIFACT_ALIAS', alias });
    expect((await runsOf(cooled)).map((r) => r.state === 'skipped')).toEqual([false, true, true]);
    expect((await runsOf(cooled))[1]!.last_error).toMatch(/^skipped: cooldown of 600 s after the run at /);

    await receiver.waitFor(4);
    // The history shows skipped runs with the reason.
    const history = expectStatus(await admin.get(`/api/v1/teams/flood/automations/${cooled}/runs?state=skipped`), 200, 'history');
    expect(history.body.items).toHaveLength(2);
    expect(history.body.items[0]!.error).toMatch(/cooldown/);

    // Lifting the limit lets the next event through; bad limits are refused naming the field.
    expectStatus(await admin.patch(`/api/v1/teams/flood/automations/${limited}`, { rateLimit: null }), 200, 'lifting');
    await fireEvent(server.ctx, { teamId: team, versionIndex: 99 });
    expect((await runsOf(limited)).at(-1)!.state).not.toBe('skipped');
    const bad = await admin.patch(`/api/v1/teams/flood/automations/${limited}`, { rateLimit: { max: 0, perSeconds: 60 } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('rateLimit');
    expect((await admin.patch(`/api/v1/teams/flood/automations/${cooled}`, { cooldownSeconds: -1 })).status).toBe(400);
  });
});
