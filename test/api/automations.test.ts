import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';
import { createAutomation, createSecret, createWebhook, roleStatuses } from '../helpers/automations.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const HOOK_URL = 'http://127.0.0.1:9/hook';

/** A team with the registry seeded, a webhook with a signing secret and a token, and a queue. */
async function setupTeam(team: string) {
  const roles = await createTeamWithRoles(server, team);
  await seedRegistry(roles.admin, team, 2);
  await createSecret(roles.admin, team, 'SIGNING', 'signing-value');
  await createSecret(roles.admin, team, 'TOKEN', 'token-value');
  await createSecret(roles.admin, team, 'UNATTACHED', 'unattached-value');
  const webhookId = await createWebhook(roles.admin, team, { name: 'deploy', url: HOOK_URL, secret: 'SIGNING', accessToken: 'TOKEN' });
  expect((await roles.admin.post(`/api/v1/teams/${team}/queues`, { name: 'eval' })).status).toBe(201);
  return { ...roles, webhookId };
}

function webhookAutomation(webhookId: string, overrides: Record<string, unknown> = {}) {
  return {
    name: 'deploy production',
    description: 'deploys what reaches production',
    event: { type: 'ADD_ARTIFACT_ALIAS', model: 'classifier', aliasPattern: '^production$' },
    action: { type: 'webhook', webhookId, payload: '{"ref":"${artifact_version_string}","token":"${TOKEN}"}' },
    ...overrides,
  };
}

describe('automations API', () => {
  it('lets admins and members write, viewers read, and hides the team from outsiders', async () => {
    const t = await setupTeam('auto-roles');
    const base = '/api/v1/teams/auto-roles/automations';
    const ids: Record<string, string> = {};
    expect(
      await roleStatuses(t, async (c, role) => {
        const reply = await c.post(base, webhookAutomation(t.webhookId, { name: `by ${role}` }));
        if (reply.status === 201) ids[role] = reply.body.id;
        return reply;
      }),
    ).toEqual({ outsider: 404, viewer: 403, member: 201, admin: 201 });
    const id = ids.member!;
    expect(await roleStatuses(t, (c) => c.get(base))).toEqual({ outsider: 404, viewer: 200, member: 200, admin: 200 });
    expect(await roleStatuses(t, (c) => c.get(`${base}/${id}`))).toEqual({ outsider: 404, viewer: 200, member: 200, admin: 200 });
    expect(await roleStatuses(t, (c) => c.patch(`${base}/${id}`, { description: 'changed' }))).toEqual({
      outsider: 404,
      viewer: 403,
      member: 200,
      admin: 200,
    });
    const preview = { event: { type: 'LINK_ARTIFACT', model: null }, action: { type: 'no_op' } };
    expect(await roleStatuses(t, (c) => c.post(`${base}/preview`, preview))).toEqual({ outsider: 404, viewer: 200, member: 200, admin: 200 });
    expect(await roleStatuses(t, (c) => c.get('/api/v1/teams/auto-roles/registry/models/classifier/automations'))).toEqual({
      outsider: 404,
      viewer: 200,
      member: 200,
      admin: 200,
    });
    expect(await roleStatuses(t, (c) => c.delete(`${base}/${ids.admin}`))).toEqual({ outsider: 404, viewer: 403, member: 204, admin: 404 });
  });

  it('creates, shows, lists (with ?model=), changes and deletes automations in the documented shape', async () => {
    const t = await setupTeam('auto-crud');
    const base = '/api/v1/teams/auto-crud/automations';
    const created = await t.member.post(base, webhookAutomation(t.webhookId));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'deploy production',
      description: 'deploys what reaches production',
      enabled: true,
      event: { type: 'ADD_ARTIFACT_ALIAS', model: 'classifier', aliasPattern: '^production$' },
      action: { type: 'webhook', webhookId: t.webhookId, webhookName: 'deploy', payload: '{"ref":"${artifact_version_string}","token":"${TOKEN}"}' },
      createdBy: 'auto-crud-member',
    });
    const id = created.body.id;
    const queued = await createAutomation(t.member, 'auto-crud', {
      name: 'evaluate',
      event: { type: 'LINK_ARTIFACT', model: null },
      action: { type: 'queue_job', queue: 'eval', template: '{"model":"${artifact_collection_name}"}' },
    });
    await createAutomation(t.member, 'auto-crud', { name: 'noop', enabled: false, event: { type: 'UNLINK_ARTIFACT' }, action: { type: 'no_op' } });

    const all = await t.viewer.get(base);
    expect(all.body.items.map((a: { name: string }) => a.name)).toEqual(['deploy production', 'evaluate', 'noop']);
    expect(all.body.items[1]).toMatchObject({ event: { type: 'LINK_ARTIFACT', model: null, aliasPattern: null }, action: { type: 'queue_job', queue: 'eval' } });
    expect(all.body.items[2]).toMatchObject({ enabled: false, action: { type: 'no_op' } });
    const scoped = await t.viewer.get(`${base}?model=classifier`);
    expect(scoped.body.items.map((a: { name: string }) => a.name)).toEqual(['deploy production']);
    const unknownModel = await t.viewer.get(`${base}?model=nope`);
    expect(unknownModel.status).toBe(400);
    expect(unknownModel.body.error.details.field).toBe('model');

    const patched = await t.member.patch(`${base}/${id}`, { enabled: false, event: { type: 'LINK_ARTIFACT', model: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: false, event: { type: 'LINK_ARTIFACT', model: null, aliasPattern: null }, action: { type: 'webhook' } });
    const noop = await t.member.patch(`${base}/${queued}`, { action: { type: 'no_op' } });
    expect(noop.body.action).toEqual({ type: 'no_op' });
    expect((await t.member.get(`${base}/${id}`)).body).toEqual(patched.body);
    expect((await t.member.delete(`${base}/${id}`)).status).toBe(204);
    expect((await t.member.get(`${base}/${id}`)).status).toBe(404);
    expect((await t.member.delete(`${base}/${id}`)).status).toBe(404);
  });

  it('refuses every invalid field with 400 naming it', async () => {
    const t = await setupTeam('auto-valid');
    const base = '/api/v1/teams/auto-valid/automations';
    const cases: Array<[string, Record<string, unknown>]> = [
      ['name', webhookAutomation(t.webhookId, { name: '' })],
      ['name', webhookAutomation(t.webhookId, { name: 'x'.repeat(256) })],
      ['name', webhookAutomation(t.webhookId, { name: '   ' })],
      ['event.type', webhookAutomation(t.webhookId, { event: { type: 'RUN_METRIC', model: null } })],
      ['event.type', webhookAutomation(t.webhookId, { event: { type: 'DELETE_REGISTERED_MODEL', model: null } })],
      ['event.model', webhookAutomation(t.webhookId, { event: { type: 'LINK_ARTIFACT', model: 'no-such-model' } })],
      ['event.model', webhookAutomation(t.webhookId, { event: { type: 'CREATE_ARTIFACT', model: 'classifier' } })],
      ['event.aliasPattern', webhookAutomation(t.webhookId, { event: { type: 'LINK_ARTIFACT', model: null, aliasPattern: '^x$' } })],
      ['event.aliasPattern', webhookAutomation(t.webhookId, { event: { type: 'ADD_ARTIFACT_ALIAS', model: null, aliasPattern: '(a)\\1' } })],
      ['event.aliasPattern', webhookAutomation(t.webhookId, { event: { type: 'ADD_ARTIFACT_ALIAS', model: null, aliasPattern: '(?=x)' } })],
      ['event.aliasPattern', webhookAutomation(t.webhookId, { event: { type: 'ADD_ARTIFACT_ALIAS', model: null, aliasPattern: 'x'.repeat(257) } })],
      ['action.type', webhookAutomation(t.webhookId, { action: { type: 'email' } })],
      ['action.webhookId', webhookAutomation(t.webhookId, { action: { type: 'webhook', webhookId: 'not-a-webhook', payload: '{}' } })],
      ['action.payload', webhookAutomation(t.webhookId, { action: { type: 'webhook', webhookId: t.webhookId } })],
      ['action.queue', webhookAutomation(t.webhookId, { action: { type: 'queue_job', queue: 'nope', template: '{}' } })],
      ['action.template', webhookAutomation(t.webhookId, { action: { type: 'queue_job', queue: 'eval', template: '["not an object"]' } })],
      ['action.template', webhookAutomation(t.webhookId, { action: { type: 'queue_job', queue: 'eval', template: '{"t":"${TOKEN}"}' } })],
      ['enabled', webhookAutomation(t.webhookId, { enabled: 'yes' })],
      ['description', webhookAutomation(t.webhookId, { description: 'd'.repeat(4001) })],
    ];
    for (const [field, body] of cases) {
      const reply = await t.member.post(base, body);
      expect(reply.status, `${field}: ${JSON.stringify(body).slice(0, 200)}`).toBe(400);
      expect(reply.body.error.details.field, JSON.stringify(reply.body)).toBe(field);
    }
    expect((await t.member.get(base)).body.items).toEqual([]);
    await createAutomation(t.member, 'auto-valid', webhookAutomation(t.webhookId));
    const clash = await t.member.post(base, webhookAutomation(t.webhookId));
    expect(clash.status).toBe(409);
  });

  it('refuses payloads with invalid JSON, unknown variables or unattached secrets, with their position', async () => {
    const t = await setupTeam('auto-payload');
    const base = '/api/v1/teams/auto-payload/automations';
    const payloadCases: Array<[string, { position: number; line: number; column: number }, RegExp]> = [
      ['{"a": "x",\n "b": }', { position: 17, line: 2, column: 7 }, /invalid JSON/],
      ['{"a": "${not_a_variable}"}', { position: 7, line: 1, column: 8 }, /unknown variable/],
      ['{\n  "a": "${UNATTACHED}"\n}', { position: 10, line: 2, column: 9 }, /UNATTACHED.*not attached/],
      ['{"a": "${OTHER_TEAMS_SECRET}"}', { position: 7, line: 1, column: 8 }, /not attached/],
      ['{"${alias}": 1}', { position: 2, line: 1, column: 3 }, /property names/],
      ['{"a": ${alias}}', { position: 6, line: 1, column: 7 }, /outside a string/],
    ];
    for (const [payload, where, message] of payloadCases) {
      const reply = await t.member.post(base, webhookAutomation(t.webhookId, { action: { type: 'webhook', webhookId: t.webhookId, payload } }));
      expect(reply.status, payload).toBe(400);
      expect(reply.body.error.details, payload).toMatchObject({ field: 'action.payload', ...where });
      expect(reply.body.error.message, payload).toMatch(message);
      expect(JSON.stringify(reply.body)).not.toMatch(/signing-value|token-value|unattached-value/);
    }
    // The attached secrets and every documented variable are accepted, including metadata keys.
    await createAutomation(t.member, 'auto-payload', webhookAutomation(t.webhookId, {
      action: {
        type: 'webhook',
        webhookId: t.webhookId,
        payload: '{"s":"${SIGNING}","t":"${TOKEN}","m":"${artifact_metadata.epoch}","all":"${event_type}${event_author}${artifact_version}${artifact_version_string}${artifact_collection_name}${project_name}${entity_name}${alias}${artifact_version_index}${automation_name}${event_id}${timestamp}"}',
      },
    }));
  });

  it("keeps teams apart: another team's webhook, queue, model or secret cannot be named", async () => {
    const a = await setupTeam('auto-ten-a');
    const b = await setupTeam('auto-ten-b');
    await createSecret(b.admin, 'auto-ten-b', 'B_ONLY', 'b-only-value');
    const base = '/api/v1/teams/auto-ten-a/automations';
    const foreignWebhook = await a.member.post(base, webhookAutomation(b.webhookId, { event: { type: 'LINK_ARTIFACT', model: null } }));
    expect(foreignWebhook.status).toBe(400);
    expect(foreignWebhook.body.error.details.field).toBe('action.webhookId');
    expect((await b.admin.post('/api/v1/teams/auto-ten-b/registry/models', { name: 'b-model' })).status).toBe(201);
    const foreignModel = await a.member.post(base, webhookAutomation(a.webhookId, { event: { type: 'LINK_ARTIFACT', model: 'b-model' } }));
    expect(foreignModel.status).toBe(400);
    expect(foreignModel.body.error.details.field).toBe('event.model');
    expect((await b.admin.post('/api/v1/teams/auto-ten-b/queues', { name: 'b-queue' })).status).toBe(201);
    const foreignQueue = await a.member.post(base, { name: 'q', event: { type: 'LINK_ARTIFACT' }, action: { type: 'queue_job', queue: 'b-queue', template: '{}' } });
    expect(foreignQueue.status).toBe(400);
    expect(foreignQueue.body.error.details.field).toBe('action.queue');
    const foreignSecret = await a.member.post(base, webhookAutomation(a.webhookId, { action: { type: 'webhook', webhookId: a.webhookId, payload: '{"x":"${B_ONLY}"}' } }));
    expect(foreignSecret.status).toBe(400);
    expect(foreignSecret.body.error.details.field).toBe('action.payload');
    const bAutomation = await createAutomation(b.member, 'auto-ten-b', webhookAutomation(b.webhookId));
    expect((await a.admin.get(`${base}/${bAutomation}`)).status).toBe(404);
    expect((await a.admin.patch(`${base}/${bAutomation}`, { enabled: false })).status).toBe(404);
    expect((await a.admin.delete(`${base}/${bAutomation}`)).status).toBe(404);
    expect((await a.admin.post(`${base}/preview`, { event: { type: 'LINK_ARTIFACT' }, action: { type: 'webhook', webhookId: b.webhookId, payload: '{}' } })).status).toBe(400);
    const bEvent = await b.admin.post('/api/v1/teams/auto-ten-b/registry/models/classifier/versions', { source: 'training/resnet:v0' });
    expect(bEvent.status).toBe(201);
    const bEventRow = await server.ctx.db.selectFrom('events').innerJoin('teams', 'teams.id', 'events.team_id').select('events.id').where('teams.name', '=', 'auto-ten-b').executeTakeFirstOrThrow();
    const previewForeignEvent = await a.admin.post(`${base}/preview`, { event: { type: 'LINK_ARTIFACT' }, action: { type: 'no_op' }, sampleEventId: bEventRow.id });
    expect(previewForeignEvent.status).toBe(404);
  });
});

describe('automation preview', () => {
  it('renders against a real event, the model latest version, or a made-up event, never showing secret values', async () => {
    const t = await setupTeam('auto-preview');
    const base = '/api/v1/teams/auto-preview/automations';
    const payload = '{"ref":"${artifact_version_string}","epoch":"${artifact_metadata.epoch}","token":"${TOKEN}","name":"${automation_name}"}';
    const action = { type: 'webhook', webhookId: t.webhookId, payload };

    const generic = await t.member.post(`${base}/preview`, { event: { type: 'LINK_ARTIFACT', model: null }, action });
    expect(generic.status).toBe(200);
    expect(generic.body).toEqual({
      body: '{"ref":"auto-preview/model-registry/example-model:v0","epoch":"","token":"${TOKEN}","name":"preview"}',
      problems: [],
      source: { kind: 'generic', eventId: null, description: expect.any(String) },
    });

    // classifier has no version yet: a made-up event; after a link, its latest version.
    expect((await t.member.post(`${base}/preview`, { event: { type: 'LINK_ARTIFACT', model: 'classifier' }, action })).body.source.kind).toBe('generic');
    const linked = await t.admin.post('/api/v1/teams/auto-preview/registry/models/classifier/versions', { source: 'training/resnet:v1', aliases: ['production'] });
    expect(linked.status).toBe(201);
    const fromModel = await t.member.post(`${base}/preview`, { name: 'deploy', event: { type: 'ADD_ARTIFACT_ALIAS', model: 'classifier' }, action });
    expect(fromModel.body).toMatchObject({
      body: '{"ref":"auto-preview/model-registry/classifier:production","epoch":"1","token":"${TOKEN}","name":"deploy"}',
      problems: [],
      source: { kind: 'model_version', eventId: null },
    });

    const event = await server.ctx.db
      .selectFrom('events')
      .innerJoin('teams', 'teams.id', 'events.team_id')
      .select(['events.id', 'events.created_at'])
      .where('teams.name', '=', 'auto-preview')
      .where('events.type', '=', 'LINK_ARTIFACT')
      .executeTakeFirstOrThrow();
    const fromEvent = await t.member.post(`${base}/preview`, {
      event: { type: 'LINK_ARTIFACT', model: null },
      action: { ...action, payload: '{"ref":"${artifact_version_string}","id":"${event_id}","at":"${timestamp}"}' },
      sampleEventId: event.id,
    });
    expect(fromEvent.body).toMatchObject({
      body: `{"ref":"auto-preview/model-registry/classifier:v0","id":"${event.id}","at":"${new Date(event.created_at).toISOString()}"}`,
      source: { kind: 'event', eventId: event.id },
    });
    expect((await t.member.post(`${base}/preview`, { event: { type: 'LINK_ARTIFACT' }, action, sampleEventId: 'nope' })).status).toBe(404);

    for (const reply of [generic, fromModel, fromEvent]) expect(JSON.stringify(reply.body)).not.toMatch(/signing-value|token-value/);
  });

  it('returns problems instead of refusing, and a null body for invalid JSON', async () => {
    const t = await setupTeam('auto-preview-bad');
    const base = '/api/v1/teams/auto-preview-bad/automations';
    const unknown = await t.member.post(`${base}/preview`, {
      event: { type: 'LINK_ARTIFACT' },
      action: { type: 'webhook', webhookId: t.webhookId, payload: '{"a":"${nope}","b":"${UNATTACHED}"}' },
    });
    expect(unknown.status).toBe(200);
    expect(unknown.body.problems).toHaveLength(2);
    expect(unknown.body.problems[0]).toMatchObject({ position: 6, line: 1, column: 7 });
    // Rendered as dispatch would render it: an unknown lower-case name as empty, a secret left as its placeholder.
    expect(unknown.body.body).toBe('{"a":"","b":"${UNATTACHED}"}');
    const broken = await t.member.post(`${base}/preview`, { event: { type: 'LINK_ARTIFACT' }, action: { type: 'webhook', webhookId: t.webhookId, payload: '{"a":' } });
    expect(broken.body.body).toBeNull();
    expect(broken.body.problems[0].message).toMatch(/invalid JSON/);
    const job = await t.member.post(`${base}/preview`, { event: { type: 'LINK_ARTIFACT' }, action: { type: 'queue_job', queue: 'eval', template: '{"m":"${artifact_collection_name}"}' } });
    expect(job.body).toMatchObject({ body: '{"m":"example-model"}', problems: [] });
  });
});

describe("a model's automations", () => {
  it('lists those scoped to the model and those for the whole registry, with action name and queue', async () => {
    const t = await setupTeam('auto-model');
    expect((await t.admin.post('/api/v1/teams/auto-model/registry/models', { name: 'other' })).status).toBe(201);
    await createAutomation(t.member, 'auto-model', webhookAutomation(t.webhookId, { name: 'b deploy' }));
    await createAutomation(t.member, 'auto-model', {
      name: 'a evaluate',
      event: { type: 'LINK_ARTIFACT', model: null },
      action: { type: 'queue_job', queue: 'eval', template: '{}' },
    });
    await createAutomation(t.member, 'auto-model', { name: 'c nothing', enabled: false, event: { type: 'UNLINK_ARTIFACT', model: 'classifier' }, action: { type: 'no_op' } });
    await createAutomation(t.member, 'auto-model', { name: 'd other model', event: { type: 'LINK_ARTIFACT', model: 'other' }, action: { type: 'no_op' } });
    await createAutomation(t.member, 'auto-model', { name: 'e project level', event: { type: 'CREATE_ARTIFACT', model: null }, action: { type: 'no_op' } });
    const reply = await t.viewer.get('/api/v1/teams/auto-model/registry/models/classifier/automations');
    expect(reply.status).toBe(200);
    expect(reply.body.items.map(({ id: _id, ...rest }: { id: string }) => rest)).toEqual([
      { name: 'a evaluate', enabled: true, triggerType: 'LINK_ARTIFACT', actionType: 'queue_job', actionName: 'eval', queue: 'eval', scope: 'registry' },
      { name: 'b deploy', enabled: true, triggerType: 'ADD_ARTIFACT_ALIAS', actionType: 'webhook', actionName: 'deploy', queue: '', scope: 'model' },
      { name: 'c nothing', enabled: false, triggerType: 'UNLINK_ARTIFACT', actionType: 'no_op', actionName: 'No action', queue: '', scope: 'model' },
    ]);
    expect((await t.viewer.get('/api/v1/teams/auto-model/registry/models/missing/automations')).status).toBe(404);
  });
});
