// The event log over HTTP: newest first, cursor paging, filters by type and model, and the event shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { logVersion, seedRegistry } from '../helpers/registry.js';

let server: TestServer;
let team: string;
let member: Client;
let viewer: Client;

beforeAll(async () => {
  server = await startTestServer();
  const roles = await createTeamWithRoles(server);
  team = roles.team;
  member = roles.member;
  viewer = roles.viewer;
  await seedRegistry(member, team, 2);
  const models = `/api/v1/teams/${team}/registry/models`;
  await member.post(models, { name: 'other' });
  await member.post(`${models}/classifier/versions`, { source: 'training/resnet:v0', aliases: ['staging'] });
  await member.post(`${models}/other/versions`, { source: 'training/resnet:v1' });
  await member.put(`${models}/classifier/aliases/production`, { version: 'v0' });
  await member.delete(`${models}/classifier/versions/v0`);
});
afterAll(async () => {
  await server.close();
});

const list = async (query = '') => {
  const reply = await viewer.get(`/api/v1/teams/${team}/events${query}`);
  expect(reply.status).toBe(200);
  return reply.body as { items: any[]; nextCursor: string | null };
};

describe('GET /api/v1/teams/{team}/events', () => {
  it('lists every change newest first with the full event shape', async () => {
    const { items, nextCursor } = await list();
    expect(nextCursor).toBeNull();
    expect(items.map((e) => [e.type, e.collection, e.version, e.alias])).toEqual([
      ['UNLINK_ARTIFACT', 'classifier', 'v0', null],
      ['ADD_ARTIFACT_ALIAS', 'classifier', 'v0', 'production'],
      ['LINK_ARTIFACT', 'other', 'v0', null],
      ['ADD_ARTIFACT_ALIAS', 'classifier', 'v0', 'staging'],
      ['LINK_ARTIFACT', 'classifier', 'v0', null],
      ['CREATE_ARTIFACT', 'resnet', 'v1', null],
      ['CREATE_ARTIFACT', 'resnet', 'v0', null],
    ]);
    const link = items[4];
    expect(link).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'LINK_ARTIFACT',
      project: 'model-registry',
      collection: 'classifier',
      versionIndex: 0,
      version: 'v0',
      alias: null,
      author: `${team}-member`,
      artifactVersionId: expect.any(String),
      metadata: { epoch: 0 },
      details: {},
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(items[6]).toMatchObject({ project: 'training', artifactVersionId: link.artifactVersionId });
  });

  it('pages with a cursor and filters by type and model', async () => {
    const all = (await list()).items.map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(all);

    const aliases = await list('?type=ADD_ARTIFACT_ALIAS');
    expect(aliases.items.map((e) => e.alias)).toEqual(['production', 'staging']);
    const other = await list('?model=other');
    expect(other.items.map((e) => e.type)).toEqual(['LINK_ARTIFACT']);
    const both = await list('?model=classifier&type=LINK_ARTIFACT');
    expect(both.items).toHaveLength(1);
    expect((await list('?model=resnet')).items).toEqual([]);
  });

  it('records CREATE_ARTIFACT with the logged metadata', async () => {
    await logVersion(member, team, 'training', 'fresh', { metadata: { accuracy: 0.97, notes: 'ok' } });
    const [created] = (await list('?type=CREATE_ARTIFACT&limit=1')).items;
    expect(created).toMatchObject({ collection: 'fresh', project: 'training', version: 'v0', metadata: { accuracy: 0.97, notes: 'ok' } });
  });

  it('refuses bad filters and cursors, naming the field', async () => {
    for (const [query, field] of [
      ['?type=LINKED', 'type'],
      ['?limit=501', 'limit'],
      ['?limit=abc', 'limit'],
      ['?cursor=bm90LWFuLWlk', 'cursor'],
    ]) {
      const reply = await viewer.get(`/api/v1/teams/${team}/events${query}`);
      expect({ query, status: reply.status, field: reply.body.error?.details?.field }).toEqual({ query, status: 400, field });
    }
  });
});
