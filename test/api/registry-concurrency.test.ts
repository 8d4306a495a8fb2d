// Races, fired as concurrent HTTP requests: links to one model get distinct indexes, a source linked twice at once
// gives one version, an alias raced onto several versions ends on exactly one, and concurrent uploads to one
// artifact get distinct indexes (or one version, when their content is identical).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { logVersion, seedRegistry } from '../helpers/registry.js';

const SOURCES = 16;

let server: TestServer;
let team: string;
let member: Client;
let admin: Client;

beforeAll(async () => {
  server = await startTestServer();
  const roles = await createTeamWithRoles(server);
  team = roles.team;
  member = roles.member;
  admin = roles.admin;
  await seedRegistry(member, team, SOURCES);
});
afterAll(async () => {
  await server.close();
});

const models = () => `/api/v1/teams/${team}/registry/models`;
const sources = Array.from({ length: SOURCES }, (_, i) => `training/resnet:v${i}`);

async function createModel(name: string): Promise<void> {
  expect((await member.post(models(), { name })).status).toBe(201);
}

async function eventsOf(model: string, type: string): Promise<any[]> {
  return (await member.get(`/api/v1/teams/${team}/events?model=${model}&type=${type}&limit=500`)).body.items;
}

describe('concurrent links', () => {
  it('give every new version its own index', async () => {
    await createModel('racing');
    const replies = await Promise.all(sources.map((source, i) => (i % 2 ? admin : member).post(`${models()}/racing/versions`, { source })));
    expect(replies.map((r) => r.status)).toEqual(sources.map(() => 201));
    const indexes = replies.map((r) => r.body.index).sort((a, b) => a - b);
    expect(indexes).toEqual(sources.map((_, i) => i));
    const latest = await member.get(`${models()}/racing/versions/latest`);
    expect(latest.body.index).toBe(SOURCES - 1);
    expect((await eventsOf('racing', 'LINK_ARTIFACT')).length).toBe(SOURCES);
  });

  it('of one source give one version and dense indexes afterwards', async () => {
    await createModel('same-source');
    const replies = await Promise.all(Array.from({ length: 10 }, () => member.post(`${models()}/same-source/versions`, { source: sources[0] })));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect((await eventsOf('same-source', 'LINK_ARTIFACT')).length).toBe(1);
    const next = await member.post(`${models()}/same-source/versions`, { source: sources[1] });
    expect(next.body.version).toBe('v1');
  });
});

describe('concurrent aliases', () => {
  it('end on exactly one version when raced by PUT', async () => {
    await createModel('alias-race');
    for (const source of sources.slice(0, 4)) await member.post(`${models()}/alias-race/versions`, { source });
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) => member.put(`${models()}/alias-race/aliases/production`, { version: `v${i % 4}` })),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const versions = (await member.get(`${models()}/alias-race/versions`)).body.items as any[];
    const holders = versions.filter((v) => v.aliases.includes('production'));
    expect(holders).toHaveLength(1);
    const rows = await server.ctx.db.selectFrom('model_aliases').select('model_version_id').where('alias', '=', 'production').where('model_version_id', 'in', versions.map((v) => v.id)).execute();
    expect(rows).toHaveLength(1);
    // Every event is a real change: the newest one names the version that holds the alias now.
    const added = await eventsOf('alias-race', 'ADD_ARTIFACT_ALIAS');
    expect(added.length).toBeGreaterThanOrEqual(1);
    expect(added.length).toBeLessThanOrEqual(24);
    expect(added[0].version).toBe(holders[0].version);
  });

  it('end on exactly one version when raced by links that add the same alias', async () => {
    await createModel('link-alias-race');
    const replies = await Promise.all(
      sources.slice(0, 8).map((source) => member.post(`${models()}/link-alias-race/versions`, { source, aliases: ['staging'] })),
    );
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const versions = (await member.get(`${models()}/link-alias-race/versions`)).body.items as any[];
    expect(versions.filter((v) => v.aliases.includes('staging'))).toHaveLength(1);
    expect(versions.filter((v) => v.aliases.includes('latest'))).toEqual([expect.objectContaining({ index: 7 })]);
    expect((await eventsOf('link-alias-race', 'ADD_ARTIFACT_ALIAS')).length).toBe(8);
  });
});

describe('concurrent creation', () => {
  it('lets one of several same-named models through', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, () => member.post(models(), { name: 'only-one' })));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('gives concurrent uploads to one artifact distinct indexes, and identical ones a single version', async () => {
    const distinct = await Promise.all(
      Array.from({ length: 8 }, (_, i) => logVersion(member, team, 'training', 'parallel', { files: { 'w.bin': `content ${i}` } })),
    );
    expect(distinct.map((r) => r.status)).toEqual(distinct.map(() => 201));
    expect(distinct.map((r) => r.body.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    const identical = await Promise.all(
      Array.from({ length: 6 }, () => logVersion(member, team, 'training', 'same-bytes', { files: { 'w.bin': 'same' } })),
    );
    expect(identical.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(identical.map((r) => r.body.id)).size).toBe(1);
    const next = await logVersion(member, team, 'training', 'same-bytes', { files: { 'w.bin': 'different' } });
    expect(next.body.version).toBe('v1');
  });
});
