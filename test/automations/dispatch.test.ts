// End to end: registry changes through the API raise events; dispatch creates exactly the runs of the matching
// automations with exactly the rendered bodies (and the delivery worker sends them to a real receiver).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { logVersion, seedRegistry } from '../helpers/registry.js';
import { inTransaction } from '../../src/db/transaction.js';
import { recordAutomationFailed, recordEvent } from '../../src/automations/events.js';
import type { ActionRun, Event } from '../../src/db/schema.js';
import { newId } from '../../src/core/ids.js';
import { createAutomation, createWebhook } from '../helpers/automations.js';

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

const ALL_VARIABLES_TEMPLATE = `{
  "type": "\${event_type}", "author": "\${event_author}", "uri": "\${artifact_version}",
  "ref": "\${artifact_version_string}", "model": "\${artifact_collection_name}", "project": "\${project_name}",
  "team": "\${entity_name}", "alias": "\${alias}", "index": "\${artifact_version_index}",
  "automation": "\${automation_name}", "event": "\${event_id}", "at": "\${timestamp}", "epoch": "\${artifact_metadata.epoch}"
}`;

function expectedAllVariables(values: Record<string, string>): string {
  return ALL_VARIABLES_TEMPLATE.replace(/\$\{([a-z_.]+)\}/g, (_m, name: string) => values[name] ?? '');
}

async function runsOf(automationId: string): Promise<ActionRun[]> {
  return server.ctx.db.selectFrom('action_runs').selectAll().where('automation_id', '=', automationId).orderBy('id').execute();
}

async function eventOf(run: ActionRun): Promise<Event> {
  return server.ctx.db.selectFrom('events').selectAll().where('id', '=', run.event_id).executeTakeFirstOrThrow();
}

async function link(client: Client, team: string, model: string, source: string, aliases: string[] = []) {
  const reply = await client.post(`/api/v1/teams/${team}/registry/models/${model}/versions`, { source, aliases });
  expect([200, 201], JSON.stringify(reply.body)).toContain(reply.status);
  return reply.body;
}

describe('dispatch: registry events create the runs of matching automations', () => {
  it('renders link and alias events exactly, filters aliases, honours scope, enabled and deletion', async () => {
    const { admin, member } = await createTeamWithRoles(server, 'dispatch');
    await seedRegistry(admin, 'dispatch', 3);
    expect((await admin.post('/api/v1/teams/dispatch/registry/models', { name: 'detector' })).status).toBe(201);
    const hook = await createWebhook(admin, 'dispatch', { name: 'receiver', url: receiver.url('/dispatch') });

    const onLink = await createAutomation(member, 'dispatch', {
      name: 'classifier linked',
      event: { type: 'LINK_ARTIFACT', model: 'classifier' },
      action: { type: 'webhook', webhookId: hook, payload: ALL_VARIABLES_TEMPLATE },
    });
    const onProd = await createAutomation(member, 'dispatch', {
      name: 'production alias',
      event: { type: 'ADD_ARTIFACT_ALIAS', model: null, aliasPattern: '^prod' },
      action: { type: 'webhook', webhookId: hook, payload: '{"ref":"${artifact_version_string}","alias":"${alias}"}' },
    });
    const anyLink = await createAutomation(member, 'dispatch', {
      name: 'any link',
      event: { type: 'LINK_ARTIFACT', model: null },
      action: { type: 'no_op' },
    });
    const disabled = await createAutomation(member, 'dispatch', {
      name: 'disabled link',
      enabled: false,
      event: { type: 'LINK_ARTIFACT', model: null },
      action: { type: 'webhook', webhookId: hook, payload: '{}' },
    });

    // LINK_ARTIFACT on classifier: the scoped automation and the registry-wide no-op fire; the disabled one does not.
    const before = receiver.requests.length;
    await link(admin, 'dispatch', 'classifier', 'training/resnet:v1');
    const [linkRun] = await runsOf(onLink);
    expect(await runsOf(onLink)).toHaveLength(1);
    const event = await eventOf(linkRun!);
    const expectedBody = expectedAllVariables({
      event_type: 'LINK_ARTIFACT',
      event_author: 'dispatch-admin',
      artifact_version: `modelyard-artifact://_id/${event.artifact_version_id}`,
      artifact_version_string: 'dispatch/model-registry/classifier:v0',
      artifact_collection_name: 'classifier',
      project_name: 'model-registry',
      entity_name: 'dispatch',
      alias: '',
      artifact_version_index: '0',
      automation_name: 'classifier linked',
      event_id: event.id,
      timestamp: new Date(event.created_at).toISOString(),
      'artifact_metadata.epoch': '1',
    });
    expect(linkRun).toMatchObject({
      team_id: event.team_id,
      automation_name: 'classifier linked',
      event_type: 'LINK_ARTIFACT',
      action_type: 'webhook',
      webhook_id: hook,
      webhook_name: 'receiver',
      url: receiver.url('/dispatch'),
      secret_name: null,
      access_token_name: null,
      body: expectedBody,
      suppress_failure_event: 0,
    });
    const anyLinkRuns = await runsOf(anyLink);
    expect(anyLinkRuns).toHaveLength(1);
    expect(anyLinkRuns[0]).toMatchObject({ action_type: 'no_op', state: 'succeeded', body: '' });
    expect(anyLinkRuns[0]!.finished_at).not.toBeNull();
    expect(await runsOf(disabled)).toHaveLength(0);
    expect(await runsOf(onProd)).toHaveLength(0);
    // The worker delivers exactly the rendered body.
    await receiver.waitFor(before + 1);
    expect(receiver.requests.slice(before).map((r) => r.body)).toEqual([expectedBody]);

    // ADD_ARTIFACT_ALIAS: only aliases matching ^prod fire; the body names the alias.
    expect((await admin.put('/api/v1/teams/dispatch/registry/models/classifier/aliases/staging', { version: 'v0' })).status).toBe(200);
    expect(await runsOf(onProd)).toHaveLength(0);
    expect((await admin.put('/api/v1/teams/dispatch/registry/models/classifier/aliases/production', { version: 'v0' })).status).toBe(200);
    const prodRuns = await runsOf(onProd);
    expect(prodRuns.map((r) => r.body)).toEqual(['{"ref":"dispatch/model-registry/classifier:production","alias":"production"}']);

    // Aliases given with a link raise their own ADD_ARTIFACT_ALIAS events, on any model (registry-wide scope).
    await link(admin, 'dispatch', 'detector', 'training/resnet:v2', ['prod-eu', 'canary']);
    expect((await runsOf(onProd)).map((r) => r.body)).toEqual([
      '{"ref":"dispatch/model-registry/classifier:production","alias":"production"}',
      '{"ref":"dispatch/model-registry/detector:prod-eu","alias":"prod-eu"}',
    ]);
    // The classifier-scoped automation did not fire for detector; the registry-wide one did.
    expect(await runsOf(onLink)).toHaveLength(1);
    expect(await runsOf(anyLink)).toHaveLength(2);

    // A model created after the automation is covered by the registry-wide scope.
    expect((await admin.post('/api/v1/teams/dispatch/registry/models', { name: 'created-later' })).status).toBe(201);
    await link(admin, 'dispatch', 'created-later', 'training/resnet:v0');
    expect(await runsOf(anyLink)).toHaveLength(3);

    // Disabling and deleting stop new runs; runs already created stay.
    expect((await member.patch(`/api/v1/teams/dispatch/automations/${anyLink}`, { enabled: false })).status).toBe(200);
    await link(admin, 'dispatch', 'classifier', 'training/resnet:v2');
    expect(await runsOf(anyLink)).toHaveLength(3);
    expect(await runsOf(onLink)).toHaveLength(2);
    expect((await member.delete(`/api/v1/teams/dispatch/automations/${onLink}`)).status).toBe(204);
    await link(admin, 'dispatch', 'classifier', 'training/resnet:v0');
    expect(await runsOf(onLink)).toHaveLength(2);
    await receiver.waitFor(before + 4);
  });

  it('enqueues a job for queue actions, carrying its event, and leaves the run pending on the job', async () => {
    const { admin } = await createTeamWithRoles(server, 'dispatch-queue');
    await seedRegistry(admin, 'dispatch-queue', 1);
    expect((await admin.post('/api/v1/teams/dispatch-queue/queues', { name: 'eval' })).status).toBe(201);
    const automation = await createAutomation(admin, 'dispatch-queue', {
      name: 'evaluate staging',
      event: { type: 'ADD_ARTIFACT_ALIAS', model: 'classifier', aliasPattern: '^staging$' },
      action: { type: 'queue_job', queue: 'eval', template: '{"model":"${artifact_collection_name}","ref":"${artifact_version_string}","epoch":"${artifact_metadata.epoch}"}' },
    });
    await link(admin, 'dispatch-queue', 'classifier', 'training/resnet:v0', ['staging']);
    const runs = await runsOf(automation);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    // Pending with no due time: the delivery worker never claims it; the job's end decides the run (job-runs.test.ts).
    expect(run).toMatchObject({ action_type: 'queue_job', state: 'pending', queue_name: 'eval', url: null, next_attempt_at: null, finished_at: null });
    expect(run.job_id).not.toBeNull();
    const job = await server.ctx.db.selectFrom('jobs').selectAll().where('id', '=', run.job_id!).executeTakeFirstOrThrow();
    expect(job).toMatchObject({
      state: 'queued',
      run_id: run.id,
      automation_id: automation,
      event_id: run.event_id,
      payload: '{"model":"classifier","ref":"dispatch-queue/model-registry/classifier:staging","epoch":"0"}',
    });
    expect(JSON.parse(job.event!)).toEqual({
      type: 'ADD_ARTIFACT_ALIAS',
      model: 'classifier',
      version: 'v0',
      alias: 'staging',
      artifactVersionString: 'dispatch-queue/model-registry/classifier:staging',
      author: 'dispatch-queue-admin',
      eventId: run.event_id,
    });
  });

  it('records a failed run, without failing the registry change, when the queue of an automation was deleted', async () => {
    const { admin } = await createTeamWithRoles(server, 'dispatch-noqueue');
    await seedRegistry(admin, 'dispatch-noqueue', 1);
    expect((await admin.post('/api/v1/teams/dispatch-noqueue/queues', { name: 'gone' })).status).toBe(201);
    const automation = await createAutomation(admin, 'dispatch-noqueue', {
      name: 'to a deleted queue',
      event: { type: 'LINK_ARTIFACT', model: null },
      action: { type: 'queue_job', queue: 'gone', template: '{"m":"${artifact_collection_name}"}' },
    });
    expect((await admin.delete('/api/v1/teams/dispatch-noqueue/queues/gone')).status).toBe(204);
    await link(admin, 'dispatch-noqueue', 'classifier', 'training/resnet:v0');
    const runs = await runsOf(automation);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ state: 'failed', action_type: 'queue_job', job_id: null, last_error: 'the queue no longer exists' });
    expect(runs[0]!.finished_at).not.toBeNull();
  });

  it('fires CREATE_ARTIFACT automations when a version is logged in a project', async () => {
    const { admin } = await createTeamWithRoles(server, 'dispatch-create');
    await seedRegistry(admin, 'dispatch-create', 1);
    const automation = await createAutomation(admin, 'dispatch-create', {
      name: 'new artifact',
      event: { type: 'CREATE_ARTIFACT', model: null },
      action: { type: 'webhook', webhookId: await createWebhook(admin, 'dispatch-create', { name: 'r', url: receiver.url('/create') }), payload: '{"ref":"${artifact_version_string}","project":"${project_name}"}' },
    });
    const logged = await logVersion(admin, 'dispatch-create', 'training', 'resnet', { files: { 'model.bin': 'new weights' } });
    expect(logged.status).toBe(201);
    expect((await runsOf(automation)).map((r) => r.body)).toEqual(['{"ref":"dispatch-create/training/resnet:v1","project":"training"}']);
  });

  it('marks runs of AUTOMATION_FAILED automations so they never raise AUTOMATION_FAILED themselves', async () => {
    const { admin } = await createTeamWithRoles(server, 'dispatch-failed');
    await seedRegistry(admin, 'dispatch-failed', 1);
    const automation = await createAutomation(admin, 'dispatch-failed', {
      name: 'on failure',
      event: { type: 'AUTOMATION_FAILED', model: 'classifier' },
      action: { type: 'webhook', webhookId: await createWebhook(admin, 'dispatch-failed', { name: 'alerts', url: receiver.url('/alerts') }), payload: '{"what":"${event_type}","model":"${artifact_collection_name}"}' },
    });
    const team = await server.ctx.db.selectFrom('teams').select('id').where('name', '=', 'dispatch-failed').executeTakeFirstOrThrow();
    const model = await server.ctx.db.selectFrom('registered_models').select('id').where('team_id', '=', team.id).executeTakeFirstOrThrow();
    await inTransaction(server.ctx, (tx, after) =>
      recordEvent(tx, after, {
        teamId: team.id,
        type: 'AUTOMATION_FAILED',
        project: 'model-registry',
        collection: 'classifier',
        modelId: model.id,
        author: 'modelyard',
        suppressFailureEvents: true,
      }, server.ctx.config),
    );
    const runs = await runsOf(automation);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ suppress_failure_event: 1, body: '{"what":"AUTOMATION_FAILED","model":"classifier"}' });
  });

  it("gives AUTOMATION_FAILED the failed run's version or alias, project and metadata, as its event had them", async () => {
    const { admin } = await createTeamWithRoles(server, 'dispatch-failed-ref');
    await seedRegistry(admin, 'dispatch-failed-ref', 2);
    const hook = await createWebhook(admin, 'dispatch-failed-ref', { name: 'r', url: receiver.url('/failed-ref') });
    const onLink = await createAutomation(admin, 'dispatch-failed-ref', {
      name: 'on link',
      event: { type: 'LINK_ARTIFACT', model: 'classifier' },
      action: { type: 'no_op' },
    });
    const onAlias = await createAutomation(admin, 'dispatch-failed-ref', {
      name: 'on alias',
      event: { type: 'ADD_ARTIFACT_ALIAS', model: 'classifier' },
      action: { type: 'no_op' },
    });
    const onLogged = await createAutomation(admin, 'dispatch-failed-ref', {
      name: 'on logged',
      event: { type: 'CREATE_ARTIFACT', model: null },
      action: { type: 'no_op' },
    });
    const onFailure = await createAutomation(admin, 'dispatch-failed-ref', {
      name: 'on failure',
      event: { type: 'AUTOMATION_FAILED', model: null },
      action: { type: 'webhook', webhookId: hook, payload: ALL_VARIABLES_TEMPLATE },
    });
    await link(admin, 'dispatch-failed-ref', 'classifier', 'training/resnet:v0');
    await link(admin, 'dispatch-failed-ref', 'classifier', 'training/resnet:v1', ['production']);
    const logged = await logVersion(admin, 'dispatch-failed-ref', 'training', 'resnet', { files: { 'model.bin': 'v2' }, metadata: { epoch: 7 } });
    expect(logged.status).toBe(201);
    const [, secondLink] = await runsOf(onLink);
    const [aliasRun] = await runsOf(onAlias);
    const [loggedRun] = await runsOf(onLogged);
    // Each run failed for good, as the delivery worker records it (recordAutomationFailed in the same transaction).
    for (const run of [secondLink!, aliasRun!, loggedRun!]) {
      await inTransaction(server.ctx, (tx, after) => recordAutomationFailed(tx, after, server.ctx.config, run, { error: 'HTTP 500', status: 500 }));
    }
    const failures = await runsOf(onFailure);
    expect(failures.map((r) => JSON.parse(r.body) as Record<string, string>).map((b) => [b.ref, b.alias, b.index, b.project, b.epoch])).toEqual([
      ['dispatch-failed-ref/model-registry/classifier:v1', '', '1', 'model-registry', '1'],
      ['dispatch-failed-ref/model-registry/classifier:production', 'production', '1', 'model-registry', '1'],
      ['dispatch-failed-ref/training/resnet:v2', '', '2', 'training', '7'],
    ]);
    const event = await eventOf(failures[0]!);
    expect(event).toMatchObject({ type: 'AUTOMATION_FAILED', author: 'modelyard', artifact_version_id: (await eventOf(secondLink!)).artifact_version_id });
    expect(JSON.parse(event.details)).toMatchObject({ runId: secondLink!.id, eventId: secondLink!.event_id, eventType: 'LINK_ARTIFACT', error: 'HTTP 500', status: 500 });
  });

  it('fans one event out to 1,000 automations, one run each', async () => {
    const { admin } = await createTeamWithRoles(server, 'dispatch-fanout');
    await seedRegistry(admin, 'dispatch-fanout', 1);
    const hook = await createWebhook(admin, 'dispatch-fanout', { name: 'fanout', url: receiver.url('/fanout') });
    const team = await server.ctx.db.selectFrom('teams').select('id').where('name', '=', 'dispatch-fanout').executeTakeFirstOrThrow();
    const model = await server.ctx.db.selectFrom('registered_models').select('id').where('team_id', '=', team.id).executeTakeFirstOrThrow();
    const creator = await server.ctx.db.selectFrom('users').select('id').where('name', '=', 'dispatch-fanout-admin').executeTakeFirstOrThrow();
    // One automation through the API (the path users take), the other 999 as rows of the same shape: this test is
    // about the fan-out, and 999 API round trips would only slow it down.
    const first = await createAutomation(admin, 'dispatch-fanout', {
      name: 'fan-out 0',
      event: { type: 'LINK_ARTIFACT', model: 'classifier' },
      action: { type: 'webhook', webhookId: hook, payload: '{"n":"${automation_name}","ref":"${artifact_version_string}"}' },
    });
    const template = (await server.ctx.db.selectFrom('automations').select('template').where('id', '=', first).executeTakeFirstOrThrow()).template;
    const rows = Array.from({ length: 999 }, (_, i) => ({
      id: newId(),
      team_id: team.id,
      name: `fan-out ${i + 1}`,
      description: '',
      enabled: 1,
      event_type: 'LINK_ARTIFACT' as const,
      // Half scoped to the model, half to the whole registry: both kinds match.
      model_id: i % 2 === 0 ? null : model.id,
      alias_pattern: null,
      action_type: 'webhook' as const,
      webhook_id: hook,
      template,
      queue_id: null,
      created_by: creator.id,
      created_at: Date.now(),
      updated_at: Date.now(),
    }));
    for (let start = 0; start < rows.length; start += 300) await server.ctx.db.insertInto('automations').values(rows.slice(start, start + 300)).execute();
    const ids = [first, ...rows.map((r) => r.id)];
    const receivedBefore = receiver.requests.length;
    await link(admin, 'dispatch-fanout', 'classifier', 'training/resnet:v0');
    const runs = await server.ctx.db
      .selectFrom('action_runs')
      .select(['automation_id', 'automation_name', 'body'])
      .where('team_id', '=', team.id)
      .execute();
    expect(runs).toHaveLength(1000);
    expect(new Set(runs.map((r) => r.automation_id))).toEqual(new Set(ids));
    for (const run of runs) expect(run.body).toBe(`{"n":"${run.automation_name}","ref":"dispatch-fanout/model-registry/classifier:v0"}`);
    await receiver.waitFor(receivedBefore + 1000, 60_000);
    await eventually(async () => {
      // This team's runs only: another test's queue_job runs stay pending on their jobs.
      const pending = await server.ctx.db.selectFrom('action_runs').select('id').where('team_id', '=', team.id).where('state', '=', 'pending').execute();
      return pending.length === 0;
    }, 60_000);
  }, 120_000);
});
