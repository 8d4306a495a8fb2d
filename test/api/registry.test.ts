// The model registry over HTTP: models, links, aliases, unlinking, deletion, and the events each change writes.
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
  await seedRegistry(member, team, 4);
});
afterAll(async () => {
  await server.close();
});

const models = () => `/api/v1/teams/${team}/registry/models`;
const events = async (query = '') => (await viewer.get(`/api/v1/teams/${team}/events${query}`)).body.items as any[];

describe('registered models', () => {
  it('creates, reads, lists with search and paging, updates and refuses clashes', async () => {
    const created = await member.post(models(), { name: 'detector', description: 'finds things' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'detector', description: 'finds things', versionCount: 0, latestVersion: null });
    expect(created.body.id).toEqual(expect.any(String));
    expect(created.body.createdBy).toBe(`${team}-member`);

    expect((await member.post(models(), { name: 'detector' })).status).toBe(409);
    const one = await viewer.get(`${models()}/detector`);
    expect(one.status).toBe(200);
    expect(one.body.name).toBe('detector');

    for (const name of ['seg-a', 'seg-b', 'seg-c']) expect((await member.post(models(), { name })).status).toBe(201);
    const search = await viewer.get(`${models()}?search=SEG`);
    expect(search.body.items.map((m: any) => m.name)).toEqual(['seg-a', 'seg-b', 'seg-c']);
    const page1 = await viewer.get(`${models()}?search=seg&limit=2`);
    expect(page1.body.items.map((m: any) => m.name)).toEqual(['seg-a', 'seg-b']);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await viewer.get(`${models()}?search=seg&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toEqual({ items: [expect.objectContaining({ name: 'seg-c' })], nextCursor: null });
    expect((await viewer.get(`${models()}?search=50%25`)).body.items).toEqual([]);

    const patched = await member.patch(`${models()}/detector`, { description: 'finds more things' });
    expect(patched.status).toBe(200);
    expect(patched.body.description).toBe('finds more things');
    expect((await member.patch(`${models()}/nope`, { description: 'x' })).status).toBe(404);
    expect((await viewer.get(`${models()}/nope`)).status).toBe(404);
  });
});

describe('linking', () => {
  it('links versions with their own indexes, moves latest, adds aliases, and records the events', async () => {
    const first = await member.post(`${models()}/classifier/versions`, { source: 'training/resnet:v0' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      version: 'v0',
      index: 0,
      aliases: ['latest'],
      source: { project: 'training', artifact: 'resnet', version: 'v0', index: 0 },
      metadata: { epoch: 0 },
      createdBy: `${team}-member`,
    });
    expect(first.body.artifactVersionId).toEqual(expect.any(String));

    const second = await member.post(`${models()}/classifier/versions`, { source: 'training/resnet:v2', aliases: ['staging', 'candidate'] });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ version: 'v1', index: 1, aliases: ['candidate', 'latest', 'staging'] });
    expect(second.body.source.version).toBe('v2');

    const v0 = await viewer.get(`${models()}/classifier/versions/v0`);
    expect(v0.body.aliases).toEqual([]);
    const byAlias = await viewer.get(`${models()}/classifier/versions/staging`);
    expect(byAlias.body.version).toBe('v1');
    const latest = await viewer.get(`${models()}/classifier/versions/latest`);
    expect(latest.body.version).toBe('v1');

    const model = await viewer.get(`${models()}/classifier`);
    expect(model.body).toMatchObject({ versionCount: 2, latestVersion: 'v1' });

    const linkEvents = await events('?model=classifier');
    expect(linkEvents.map((e) => [e.type, e.version, e.alias])).toEqual([
      ['ADD_ARTIFACT_ALIAS', 'v1', 'candidate'],
      ['ADD_ARTIFACT_ALIAS', 'v1', 'staging'],
      ['LINK_ARTIFACT', 'v1', null],
      ['LINK_ARTIFACT', 'v0', null],
    ]);
    const link = linkEvents[2];
    expect(link).toMatchObject({
      project: 'model-registry',
      collection: 'classifier',
      versionIndex: 1,
      author: `${team}-member`,
      metadata: { epoch: 2 },
      artifactVersionId: second.body.artifactVersionId,
    });
    expect(new Date(link.createdAt).getTime()).toBeGreaterThan(0);
  });

  it('resolves a source by artifact alias', async () => {
    await member.post(`/api/v1/teams/${team}/projects`, { name: 'by-alias' });
    const logged = await logVersion(member, team, 'by-alias', 'net', { aliases: ['best'], metadata: { f1: 0.9 } });
    expect(logged.status).toBe(201);
    await logVersion(member, team, 'by-alias', 'net', { files: { 'model.bin': 'newer' } });
    await member.post(models(), { name: 'alias-source' });
    const linked = await member.post(`${models()}/alias-source/versions`, { source: 'by-alias/net:best' });
    expect(linked.status).toBe(201);
    expect(linked.body.source).toMatchObject({ version: 'v0' });
    const viaLatest = await member.post(`${models()}/alias-source/versions`, { source: 'by-alias/net:latest' });
    expect(viaLatest.body.source).toMatchObject({ version: 'v1' });
  });

  it('returns the existing version when a source is linked again, adding only new aliases', async () => {
    await member.post(models(), { name: 'relinked' });
    const first = await member.post(`${models()}/relinked/versions`, { source: 'training/resnet:v1', aliases: ['staging'] });
    expect(first.status).toBe(201);
    const before = (await events('?model=relinked')).length;

    const again = await member.post(`${models()}/relinked/versions`, { source: 'training/resnet:v1', aliases: ['staging', 'production'] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, version: 'v0', aliases: ['latest', 'production', 'staging'] });
    const after = await events('?model=relinked');
    expect(after.length).toBe(before + 1);
    expect(after[0]).toMatchObject({ type: 'ADD_ARTIFACT_ALIAS', alias: 'production', version: 'v0' });

    // The index given back on a repeat link is the next one handed out.
    const next = await member.post(`${models()}/relinked/versions`, { source: 'training/resnet:v3' });
    expect(next.body.version).toBe('v1');
    expect((await member.post(`${models()}/relinked/versions`, { source: 'training/resnet:v1' })).status).toBe(200);
    expect((await viewer.get(`${models()}/relinked`)).body.versionCount).toBe(2);
  });
});

describe('aliases', () => {
  it('puts, moves (one event each), ignores a repeat, and removes aliases', async () => {
    await member.post(models(), { name: 'aliased' });
    await member.post(`${models()}/aliased/versions`, { source: 'training/resnet:v0' });
    await member.post(`${models()}/aliased/versions`, { source: 'training/resnet:v1' });

    const put = await member.put(`${models()}/aliased/aliases/production`, { version: 'v0' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: 'v0', aliases: ['production'], change: 'added' });
    const moved = await member.put(`${models()}/aliased/aliases/production`, { version: 'latest' });
    expect(moved.body).toMatchObject({ version: 'v1', aliases: ['latest', 'production'], change: 'moved' });
    expect((await viewer.get(`${models()}/aliased/versions/v0`)).body.aliases).toEqual([]);
    const repeat = await member.put(`${models()}/aliased/aliases/production`, { version: 'v1' });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ version: 'v1', aliases: ['latest', 'production'], change: 'unchanged' });

    let log = await events('?model=aliased&type=ADD_ARTIFACT_ALIAS');
    expect(log.map((e) => [e.alias, e.version])).toEqual([
      ['production', 'v1'],
      ['production', 'v0'],
    ]);

    expect((await member.delete(`${models()}/aliased/aliases/production`)).status).toBe(204);
    expect((await viewer.get(`${models()}/aliased/versions/production`)).status).toBe(404);
    expect((await member.delete(`${models()}/aliased/aliases/production`)).status).toBe(404);
    log = await events('?model=aliased&type=REMOVE_ARTIFACT_ALIAS');
    expect(log).toEqual([expect.objectContaining({ alias: 'production', version: 'v1' })]);

    expect((await member.put(`${models()}/aliased/aliases/production`, { version: 'v9' })).status).toBe(404);
    expect((await member.put(`${models()}/nope/aliases/production`, { version: 'v0' })).status).toBe(404);
  });
});

describe('unlinking and deleting', () => {
  it('unlinks a version, takes its aliases, moves latest back, and emits UNLINK_ARTIFACT', async () => {
    await member.post(models(), { name: 'unlinked' });
    await member.post(`${models()}/unlinked/versions`, { source: 'training/resnet:v0' });
    await member.post(`${models()}/unlinked/versions`, { source: 'training/resnet:v1', aliases: ['staging'] });
    expect((await member.delete(`${models()}/unlinked/versions/staging`)).status).toBe(204);
    expect((await viewer.get(`${models()}/unlinked/versions/v1`)).status).toBe(404);
    expect((await viewer.get(`${models()}/unlinked/versions/staging`)).status).toBe(404);
    const latest = await viewer.get(`${models()}/unlinked/versions/latest`);
    expect(latest.body.version).toBe('v0');
    const [unlink] = await events('?model=unlinked&type=UNLINK_ARTIFACT');
    expect(unlink).toMatchObject({ version: 'v1', metadata: { epoch: 1 }, author: `${team}-member` });
    expect((await member.delete(`${models()}/unlinked/versions/v1`)).status).toBe(404);

    // A version unlinked can be linked again and gets a new index.
    const relinked = await member.post(`${models()}/unlinked/versions`, { source: 'training/resnet:v1' });
    expect(relinked.status).toBe(201);
    expect(relinked.body.version).toBe('v2');
  });

  it('deletes a model with its versions, aliases and scoped automations', async () => {
    await member.post(models(), { name: 'doomed' });
    await member.post(`${models()}/doomed/versions`, { source: 'training/resnet:v0', aliases: ['production'] });
    const model = await viewer.get(`${models()}/doomed`);
    // An automation scoped to the model, written directly: the automations API belongs to its own module.
    const now = Date.now();
    const { id: teamId } = await server.ctx.db.selectFrom('teams').select('id').where('name', '=', team).executeTakeFirstOrThrow();
    await server.ctx.db
      .insertInto('automations')
      .values({
        id: `auto-${now}`,
        team_id: teamId,
        name: 'deploy-doomed',
        description: '',
        enabled: 1,
        event_type: 'ADD_ARTIFACT_ALIAS',
        model_id: model.body.id,
        alias_pattern: null,
        action_type: 'no_op',
        webhook_id: null,
        template: '',
        queue_id: null,
        created_by: 'x',
        created_at: now,
        updated_at: now,
      })
      .execute();

    expect((await viewer.delete(`${models()}/doomed`)).status).toBe(403);
    expect((await member.delete(`${models()}/doomed`)).status).toBe(204);
    expect((await viewer.get(`${models()}/doomed`)).status).toBe(404);
    const db = server.ctx.db;
    expect(await db.selectFrom('model_versions').select('id').where('model_id', '=', model.body.id).execute()).toEqual([]);
    expect(await db.selectFrom('model_aliases').select('alias').where('model_id', '=', model.body.id).execute()).toEqual([]);
    expect(await db.selectFrom('automations').select('id').where('model_id', '=', model.body.id).execute()).toEqual([]);
    // The history stays readable by name.
    expect((await events('?model=doomed')).map((e) => e.type)).toEqual(['ADD_ARTIFACT_ALIAS', 'LINK_ARTIFACT']);
    // The name is free again.
    expect((await member.post(models(), { name: 'doomed' })).status).toBe(201);
    expect((await member.delete(`${models()}/doomed-never`)).status).toBe(404);
  });

  it('pages through versions newest first', async () => {
    await member.post(models(), { name: 'paged' });
    for (const v of ['v0', 'v1', 'v2']) await member.post(`${models()}/paged/versions`, { source: `training/resnet:${v}` });
    const first = await viewer.get(`${models()}/paged/versions?limit=2`);
    expect(first.body.items.map((v: any) => v.version)).toEqual(['v2', 'v1']);
    const second = await viewer.get(`${models()}/paged/versions?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ version: 'v0' })], nextCursor: null });
  });
});

describe('validation', () => {
  it('names the field at fault', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', models(), { name: 'has space' }, 'name'],
      ['POST', models(), { name: '' }, 'name'],
      ['POST', models(), {}, 'name'],
      ['POST', models(), { name: 'ok', description: 5 }, 'description'],
      ['POST', `${models()}/classifier/versions`, {}, 'source'],
      ['POST', `${models()}/classifier/versions`, { source: 'no-colon' }, 'source'],
      ['POST', `${models()}/classifier/versions`, { source: 'training/resnet' }, 'source'],
      ['POST', `${models()}/classifier/versions`, { source: 'bad project/resnet:v0' }, 'source'],
      ['POST', `${models()}/classifier/versions`, { source: 'training/resnet:v0', aliases: ['bad alias'] }, 'aliases[0]'],
      ['POST', `${models()}/classifier/versions`, { source: 'training/resnet:v0', aliases: ['ok', 'v7'] }, 'aliases[1]'],
      ['POST', `${models()}/classifier/versions`, { source: 'training/resnet:v0', aliases: ['latest'] }, 'aliases[0]'],
      ['POST', `${models()}/classifier/versions`, { source: 'training/resnet:v0', aliases: 'staging' }, 'aliases'],
      ['PUT', `${models()}/classifier/aliases/latest`, { version: 'v0' }, 'alias'],
      ['PUT', `${models()}/classifier/aliases/v3`, { version: 'v0' }, 'alias'],
      ['PUT', `${models()}/classifier/aliases/bad*alias`, { version: 'v0' }, 'alias'],
      ['PUT', `${models()}/classifier/aliases/prod`, {}, 'version'],
      ['PUT', `${models()}/classifier/aliases/prod`, { version: 'not a ref' }, 'version'],
      ['DELETE', `${models()}/classifier/aliases/latest`, undefined, 'alias'],
      ['PATCH', `${models()}/classifier`, { description: ['x'] }, 'description'],
      ['GET', `${models()}?limit=0`, undefined, 'limit'],
      ['GET', `${models()}/classifier/versions?cursor=zzz`, undefined, 'cursor'],
      ['GET', `/api/v1/teams/${team}/events?type=NOPE`, undefined, 'type'],
    ];
    for (const [method, url, body, field] of cases) {
      const reply = await member.request(method, url, body);
      expect({ url, body, status: reply.status, code: reply.body.error?.code }).toEqual({ url, body, status: 400, code: 'invalid_request' });
      expect({ url, body, field: reply.body.error.details?.field }).toEqual({ url, body, field });
    }
  });

  it('answers 404 for sources that do not exist', async () => {
    for (const source of ['training/resnet:v99', 'training/resnet:nosuchalias', 'training/nothing:v0', 'nowhere/resnet:v0']) {
      const reply = await member.post(`${models()}/classifier/versions`, { source });
      expect({ source, status: reply.status }).toEqual({ source, status: 404 });
    }
    expect((await member.post(`${models()}/no-model/versions`, { source: 'training/resnet:v0' })).status).toBe(404);
  });
});

describe('events', () => {
  it('pages newest first and filters by type', async () => {
    const all = await events('?limit=500');
    const ids = all.map((e) => e.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    const first = await viewer.get(`/api/v1/teams/${team}/events?limit=3`);
    const second = await viewer.get(`/api/v1/teams/${team}/events?limit=3&cursor=${first.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items].map((e: any) => e.id)).toEqual(ids.slice(0, 6));
    const created = await events('?type=CREATE_ARTIFACT&limit=500');
    expect(created.length).toBeGreaterThanOrEqual(4);
    expect(created.every((e) => e.type === 'CREATE_ARTIFACT')).toBe(true);
    expect(created.at(-1)).toMatchObject({ project: 'training', collection: 'resnet', version: 'v0', metadata: { epoch: 0 } });
  });
});
