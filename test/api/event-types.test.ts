// The event catalog (GET /api/v1/event-types) and the webhook Test with an eventType: the catalog's schemas hold for
// real deliveries, and a Test renders a realistic sample through an automation's template.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { EVENT_TYPES } from '../../src/registry/events.js';
import { TEMPLATE_VARIABLES } from '../../src/core/templates.js';

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

interface Schema {
  type?: string;
  const?: unknown;
  minLength?: number;
  format?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
}

/**
 * The problems of `value` under a catalog schema: the keywords the catalog uses (type, const, minLength, format
 * date-time, required, properties, additionalProperties). Ajv cannot run under Vite's module loader (its meta-schemas
 * come out self-referencing), and these few keywords are the whole contract.
 */
function problems(schema: Schema, value: unknown, path = '$'): string[] {
  const found: string[] = [];
  if (schema.type === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object`];
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in record)) found.push(`${path}.${name}: missing`);
    for (const [name, child] of Object.entries(record)) {
      const sub = schema.properties?.[name];
      if (sub) found.push(...problems(sub, child, `${path}.${name}`));
      else if (schema.additionalProperties === false) found.push(`${path}.${name}: not allowed`);
    }
    return found;
  }
  if (schema.type === 'string' && typeof value !== 'string') return [`${path}: not a string`];
  if ('const' in schema && value !== schema.const) found.push(`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (schema.minLength !== undefined && (value as string).length < schema.minLength) found.push(`${path}: empty`);
  if (schema.format === 'date-time' && (Number.isNaN(Date.parse(value as string)) || new Date(value as string).toISOString() !== value)) found.push(`${path}: not a date-time`);
  return found;
}

/** A payload carrying every event variable under its own name. */
const EVERY_VARIABLE = JSON.stringify(
  Object.fromEntries(TEMPLATE_VARIABLES.filter((v) => !v.name.includes('.')).map((v) => [v.name, `\${${v.name}}`])),
);

describe('GET /api/v1/event-types', () => {
  it('lists every event type with its variables, a JSON Schema its sample satisfies, the version and the receiver rule', async () => {
    const { admin, outsider } = await createTeamWithRoles(server, 'catalog');
    const reply = expectStatus(await outsider.get('/api/v1/event-types'), 200, 'reading the catalog');
    expect((await server.client('not-a-key').get('/api/v1/event-types')).status).toBe(401);
    expect(reply.body.schemaVersion).toBe(1);
    expect(reply.body.rule).toMatch(/ignore fields you do not know and event types you do not know/i);
    expect(reply.body.items.map((e: { type: string }) => e.type)).toEqual([...EVENT_TYPES]);
    for (const entry of reply.body.items) {
      expect(entry.description.length).toBeGreaterThan(10);
      expect(entry.variables.map((v: { name: string }) => v.name)).toEqual(TEMPLATE_VARIABLES.filter((v) => !v.name.includes('.')).map((v) => v.name));
      expect(problems(entry.schema, entry.sample), entry.type).toEqual([]);
      expect(entry.sample.event_type).toBe(entry.type);
    }
    const alias = reply.body.items.find((e: { type: string }) => e.type === 'ADD_ARTIFACT_ALIAS')!;
    expect(alias.variables.find((v: { name: string }) => v.name === 'alias')!.filled).toBe('always');
    expect(alias.sample.artifact_version_string).toBe('acme/model-registry/image-classifier:production');
    const link = reply.body.items.find((e: { type: string }) => e.type === 'LINK_ARTIFACT')!;
    expect(link.variables.find((v: { name: string }) => v.name === 'alias')!.filled).toBe('never');
    // A receiver validating against a schema must not break on a field added later.
    expect(problems(link.schema, { ...link.sample, added_later: 'x' })).toEqual([]);
    expect(problems(link.schema, { ...link.sample, alias: 'production' })).toEqual(['$.alias: "production" is not ""']);
    expect(problems(link.schema, { ...link.sample, event_author: undefined })).toEqual(['$.event_author: not a string']);
    expect((await admin.get('/api/v1/event-types?cursor=abc')).status).toBe(400);
  });

  it('describes real deliveries: the bodies of a link and an alias event satisfy their schemas', async () => {
    const { admin } = await createTeamWithRoles(server, 'catalog-real');
    await seedRegistry(admin, 'catalog-real', 1);
    const webhookId = await createWebhook(admin, 'catalog-real', { name: 'all', url: receiver.url('/catalog-real') });
    for (const eventType of ['LINK_ARTIFACT', 'ADD_ARTIFACT_ALIAS'] as const) {
      await createAutomation(admin, 'catalog-real', webhookAutomation({ name: `every-${eventType}`, eventType, webhookId, payload: EVERY_VARIABLE }));
    }
    const before = receiver.requests.length;
    expectStatus(await admin.post('/api/v1/teams/catalog-real/registry/models/classifier/versions', { source: 'training/resnet:v0', aliases: ['staging'] }), 201, 'linking');
    await receiver.waitFor(before + 2);
    const catalog = (await admin.get('/api/v1/event-types')).body.items as Array<{ type: string; schema: Schema }>;
    const bodies = receiver.requests.slice(before).filter((r) => r.url === '/catalog-real').map((r) => JSON.parse(r.body) as Record<string, string>);
    expect(bodies.map((b) => b.event_type).sort()).toEqual(['ADD_ARTIFACT_ALIAS', 'LINK_ARTIFACT']);
    for (const body of bodies) {
      expect(problems(catalog.find((e) => e.type === body.event_type)!.schema, body), body.event_type).toEqual([]);
    }
  });
});

describe('POST …/webhooks/{id}/test with an eventType', () => {
  it("sends a realistic sample of the type through a typed payload or an automation's template", async () => {
    const { admin, member } = await createTeamWithRoles(server, 'catalog-test');
    await seedRegistry(admin, 'catalog-test', 1);
    const webhookId = await createWebhook(admin, 'catalog-test', { name: 'deploy', url: receiver.url('/catalog-test') });
    const base = `/api/v1/teams/catalog-test/webhooks/${webhookId}/test`;
    const typed = expectStatus(
      await admin.post(base, { payload: '{"v":"${artifact_version_string}","acc":"${artifact_metadata.accuracy}"}', eventType: 'ADD_ARTIFACT_ALIAS' }),
      200,
      'testing a typed payload',
    );
    expect(JSON.parse(typed.body.request.body)).toEqual({ v: 'catalog-test/model-registry/image-classifier:production', acc: '0.943' });

    const automationId = await createAutomation(
      admin,
      'catalog-test',
      webhookAutomation({ name: 'deploy-prod', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"who":"${automation_name}","type":"${event_type}","alias":"${alias}"}' }),
    );
    const own = expectStatus(await admin.post(base, { automationId }), 200, "testing the automation's own type");
    expect(JSON.parse(own.body.request.body)).toEqual({ who: 'deploy-prod', type: 'ADD_ARTIFACT_ALIAS', alias: 'production' });
    const other = expectStatus(await admin.post(base, { automationId, eventType: 'AUTOMATION_FAILED' }), 200, 'testing another type');
    expect(JSON.parse(other.body.request.body)).toEqual({ who: 'deploy-prod', type: 'AUTOMATION_FAILED', alias: 'production' });
    expect(receiver.requests.filter((r) => r.url === '/catalog-test')).toHaveLength(3);

    // Bad input is a 400 naming the problem; members cannot send tests.
    const neither = await admin.post(base, { eventType: 'LINK_ARTIFACT' });
    expect(neither.status).toBe(400);
    expect(JSON.stringify(neither.body)).toContain('exactly one');
    expect((await admin.post(base, { payload: '{}', automationId })).status).toBe(400);
    expect((await admin.post(base, { payload: '{}', eventType: 'NOT_A_TYPE' })).status).toBe(400);
    const unknown = await admin.post(base, { automationId: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('automationId');
    const otherHook = await createWebhook(admin, 'catalog-test', { name: 'other', url: receiver.url('/catalog-other') });
    const elsewhere = await admin.post(`/api/v1/teams/catalog-test/webhooks/${otherHook}/test`, { automationId });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.message).toContain('does not send to this webhook');
    expect((await member.post(base, { automationId })).status).toBe(403);
  });
});
