// Alias history over HTTP: every change kept (set, move, remove, unlink, rollback), `at` queries answered from it,
// compare-and-set with `expectedVersion` (50 concurrent writers, exactly one wins), REMOVE_ARTIFACT_ALIAS, and
// `${previous_version}` in the payloads of alias events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, eventually, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';

let server: TestServer;
let team: string;
let member: Client;
let admin: Client;
let viewer: Client;
let receiver: Receiver;

const SOURCES = 6;

beforeAll(async () => {
  server = await startTestServer();
  receiver = await new Receiver().start();
  const roles = await createTeamWithRoles(server);
  ({ team, member, admin, viewer } = roles);
  await seedRegistry(member, team, SOURCES);
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

const models = () => `/api/v1/teams/${team}/registry/models`;

async function createModelWithVersions(name: string, count = SOURCES): Promise<void> {
  expect((await member.post(models(), { name })).status).toBe(201);
  for (let i = 0; i < count; i++) expect((await member.post(`${models()}/${name}/versions`, { source: `training/resnet:v${i}` })).status).toBe(201);
}

/** Waits until the clock has moved past `ms`, so the next change gets a later timestamp than the last one. */
async function pastMillisecond(ms: number): Promise<void> {
  await eventually(async () => Date.now() > ms);
}

describe('alias history', () => {
  it('keeps every change with who, from, to and why, newest first, paged', async () => {
    await createModelWithVersions('hist');
    const alias = `${models()}/hist/aliases/production`;
    expect((await member.put(alias, { version: 'v0' })).status).toBe(200);
    expect((await admin.put(alias, { version: 'v2' })).status).toBe(200);
    expect((await member.put(alias, { version: 'v2' })).status).toBe(200); // unchanged: no entry
    expect((await member.delete(alias)).status).toBe(204);
    expect((await member.post(`${models()}/hist/versions`, { source: 'training/resnet:v1', aliases: ['production'] })).status).toBe(200);

    const history = await viewer.get(`${alias}/history`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((i: any) => [i.version, i.previousVersion, i.reason, i.by])).toEqual([
      ['v1', null, 'set', `${team}-member`],
      [null, 'v2', 'removed', `${team}-member`],
      ['v2', 'v0', 'set', `${team}-admin`],
      ['v0', null, 'set', `${team}-member`],
    ]);
    expect(history.body.items[0]).toMatchObject({ promotionId: null, comment: '', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    const page1 = await viewer.get(`${alias}/history?limit=3`);
    expect(page1.body.items).toHaveLength(3);
    const page2 = await viewer.get(`${alias}/history?limit=3&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toEqual({ items: [expect.objectContaining({ version: 'v0', reason: 'set' })], nextCursor: null });
    expect((await viewer.get(`${models()}/nope/aliases/production/history`)).status).toBe(404);
  });

  it('records the aliases an unlink takes away', async () => {
    await createModelWithVersions('unlinking', 2);
    expect((await member.put(`${models()}/unlinking/aliases/staging`, { version: 'v1' })).status).toBe(200);
    expect((await member.delete(`${models()}/unlinking/versions/v1`)).status).toBe(204);
    const history = await viewer.get(`${models()}/unlinking/aliases/staging/history`);
    expect(history.body.items[0]).toMatchObject({ version: null, previousVersion: 'v1', reason: 'unlink' });
  });

  it('answers which version held the alias at a given time', async () => {
    await createModelWithVersions('timeline', 3);
    const alias = `${models()}/timeline/aliases/production`;
    const times: number[] = [];
    for (const version of ['v0', 'v1', 'v2']) {
      if (times.length > 0) await pastMillisecond(times[times.length - 1]!);
      expect((await member.put(alias, { version })).status).toBe(200);
      const newest = (await viewer.get(`${alias}/history?limit=1`)).body.items[0];
      times.push(Date.parse(newest.at));
    }
    await pastMillisecond(times[2]!);
    expect((await member.delete(alias)).status).toBe(204);

    const at = async (ms: number) => viewer.get(`${alias}?at=${new Date(ms).toISOString()}`);
    expect((await at(times[0]! - 1)).status).toBe(404);
    expect((await at(times[0]!)).body.version).toBe('v0');
    expect((await at(times[1]! - 1)).body.version).toBe('v0');
    expect((await at(times[1]!)).body.version).toBe('v1');
    expect((await at(times[2]!)).body.version).toBe('v2');
    const removed = await at(Date.now() + 60_000);
    expect(removed.status).toBe(404);
    expect(removed.body.error.message).toContain('production');
    // Without `at`: where it is now (nowhere).
    expect((await viewer.get(alias)).status).toBe(404);
    expect((await member.put(alias, { version: 'v1' })).status).toBe(200);
    expect((await viewer.get(alias)).body.version).toBe('v1');

    const bad = await viewer.get(`${alias}?at=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('at');
  });
});

describe('compare-and-set', () => {
  it('moves only when the alias is where the caller expected', async () => {
    await createModelWithVersions('cas', 3);
    const alias = `${models()}/cas/aliases/production`;
    const exists = await member.put(alias, { version: 'v0', expectedVersion: 'v1' });
    expect(exists.status).toBe(409);
    expect(exists.body.error).toMatchObject({ code: 'alias_moved', details: { currentVersion: null } });
    expect((await member.put(alias, { version: 'v0', expectedVersion: null })).status).toBe(200);
    const again = await member.put(alias, { version: 'v1', expectedVersion: null });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'alias_moved', details: { currentVersion: 'v0' } });
    expect(again.body.error.message).toContain('is on v0');
    expect((await member.put(alias, { version: 'v1', expectedVersion: 'v0' })).status).toBe(200);
    expect((await member.put(alias, { version: 'v2', expectedVersion: 'staging' })).status).toBe(400);
    expect((await viewer.get(alias)).body.version).toBe('v1');
  });

  it('lets exactly one of 50 concurrent writers win', async () => {
    await createModelWithVersions('race', SOURCES);
    const alias = `${models()}/race/aliases/production`;
    expect((await member.put(alias, { version: 'v0' })).status).toBe(200);
    const writers = Array.from({ length: 50 }, (_, i) =>
      (i % 2 ? admin : member).put(alias, { version: `v${1 + (i % (SOURCES - 1))}`, expectedVersion: 'v0' }),
    );
    const replies = await Promise.all(writers);
    const winners = replies.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409 && r.body.error.code === 'alias_moved')).toHaveLength(49);
    const now = await viewer.get(alias);
    expect(now.body.version).toBe(winners[0]!.body.version);
    const history = await viewer.get(`${alias}/history`);
    expect(history.body.items).toHaveLength(2);
    expect(history.body.items[0]).toMatchObject({ version: winners[0]!.body.version, previousVersion: 'v0' });
    const events = await viewer.get(`/api/v1/teams/${team}/events?model=race&type=ADD_ARTIFACT_ALIAS`);
    expect(events.body.items).toHaveLength(2);
  });
});

describe('alias events', () => {
  it('carry ${previous_version}; removing an alias emits REMOVE_ARTIFACT_ALIAS', async () => {
    await createModelWithVersions('evented', 2);
    const webhookId = await createWebhook(admin, team, { name: 'alias-hook', url: receiver.url('/alias') });
    const payload = '{"type":"${event_type}","alias":"${alias}","version":"${artifact_version_index}","previous":"${previous_version}"}';
    for (const eventType of ['ADD_ARTIFACT_ALIAS', 'REMOVE_ARTIFACT_ALIAS'] as const) {
      await createAutomation(admin, team, {
        ...webhookAutomation({ name: `alias ${eventType}`, eventType, webhookId, payload }),
        event: { type: eventType, model: 'evented', aliasPattern: '^prod$' },
      });
    }
    const alias = `${models()}/evented/aliases/prod`;
    expect((await member.put(alias, { version: 'v0' })).status).toBe(200);
    expect((await member.put(alias, { version: 'v1' })).status).toBe(200);
    expect((await member.delete(alias)).status).toBe(204);
    expect((await member.put(`${models()}/evented/aliases/other`, { version: 'v1' })).status).toBe(200); // filtered out
    await receiver.waitFor(3);
    const bodies = receiver.requests.filter((r) => r.url === '/alias').map((r) => JSON.parse(r.body));
    expect(bodies).toEqual(
      expect.arrayContaining([
        { type: 'ADD_ARTIFACT_ALIAS', alias: 'prod', version: '0', previous: '' },
        { type: 'ADD_ARTIFACT_ALIAS', alias: 'prod', version: '1', previous: 'v0' },
        { type: 'REMOVE_ARTIFACT_ALIAS', alias: 'prod', version: '1', previous: 'v1' },
      ]),
    );
    expect(bodies).toHaveLength(3);
    const removed = await viewer.get(`/api/v1/teams/${team}/events?model=evented&type=REMOVE_ARTIFACT_ALIAS`);
    expect(removed.body.items[0]).toMatchObject({ alias: 'prod', version: 'v1', details: { previousVersion: 'v1', reason: 'removed' } });
  });
});
