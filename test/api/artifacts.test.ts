// Artifacts over HTTP: multipart uploads streamed to content-addressed blobs, manifests, dedupe of identical
// content, downloads checked by sha256, and every validation error (the upload limit is in artifacts-limit.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { logVersion, sha256, uploadForm } from '../helpers/registry.js';

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
  expect((await member.post(`/api/v1/teams/${team}/projects`, { name: 'vision', description: 'image models' })).status).toBe(201);
});
afterAll(async () => {
  await server.close();
});

const artifactUrl = (name: string) => `/api/v1/teams/${team}/projects/vision/artifacts/${name}`;

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('projects', () => {
  it('has model-registry in every team, creates projects, pages by name and refuses clashes', async () => {
    const list = await viewer.get(`/api/v1/teams/${team}/projects`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: any) => p.name)).toEqual(['model-registry', 'vision']);
    expect(list.body.items[1]).toMatchObject({ description: 'image models', createdBy: `${team}-member` });
    expect((await member.post(`/api/v1/teams/${team}/projects`, { name: 'vision' })).status).toBe(409);
    expect((await member.post(`/api/v1/teams/${team}/projects`, { name: 'model-registry' })).status).toBe(409);
    const first = await viewer.get(`/api/v1/teams/${team}/projects?limit=1`);
    const second = await viewer.get(`/api/v1/teams/${team}/projects?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ name: 'vision' })], nextCursor: null });
    const bad = await member.post(`/api/v1/teams/${team}/projects`, { name: '../x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('name');
  });
});

describe('logging versions', () => {
  it('stores files content-addressed, lists the manifest, moves latest, and emits CREATE_ARTIFACT', async () => {
    const weights = randomBytes(300_000);
    const logged = await logVersion(member, team, 'vision', 'resnet', {
      files: { 'weights/model.bin': weights, 'config.json': '{"layers":50}' },
      type: 'model',
      description: 'first try',
      metadata: { accuracy: 0.91, tags: ['a'] },
      aliases: 'best, candidate',
      fileField: 'files',
    });
    expect(logged.status).toBe(201);
    expect(logged.body).toMatchObject({
      version: 'v0',
      index: 0,
      aliases: ['best', 'candidate', 'latest'],
      type: 'model',
      description: 'first try',
      metadata: { accuracy: 0.91, tags: ['a'] },
      project: 'vision',
      artifact: 'resnet',
      fileCount: 2,
      size: weights.length + 13,
      createdBy: `${team}-member`,
      files: [
        { path: 'config.json', size: 13, sha256: sha256('{"layers":50}') },
        { path: 'weights/model.bin', size: weights.length, sha256: sha256(weights) },
      ],
    });
    expect(logged.body.id).toEqual(expect.any(String));
    const blob = path.join(server.config.dataDir, 'blobs', sha256(weights).slice(0, 2), sha256(weights).slice(2, 4), sha256(weights));
    expect(fs.readFileSync(blob).equals(weights)).toBe(true);
    expect(filesUnder(path.join(server.config.dataDir, 'tmp'))).toEqual([]);

    const second = await logVersion(member, team, 'vision', 'resnet', { files: { 'weights/model.bin': 'smaller' }, metadata: { accuracy: 0.95 }, aliases: ['best'] });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ version: 'v1', aliases: ['best', 'latest'] });
    const v0 = await viewer.get(`${artifactUrl('resnet')}/versions/v0`);
    expect(v0.body.aliases).toEqual(['candidate']);
    expect((await viewer.get(`${artifactUrl('resnet')}/versions/latest`)).body.version).toBe('v1');

    const [event] = (await viewer.get(`/api/v1/teams/${team}/events?type=CREATE_ARTIFACT`)).body.items;
    expect(event).toMatchObject({
      type: 'CREATE_ARTIFACT',
      project: 'vision',
      collection: 'resnet',
      version: 'v1',
      versionIndex: 1,
      author: `${team}-member`,
      metadata: { accuracy: 0.95 },
      artifactVersionId: second.body.id,
    });
  });

  it('returns the latest version (200, no event) when the content is identical', async () => {
    const first = await logVersion(member, team, 'vision', 'dedupe', { files: { 'a.txt': 'A', 'b.txt': 'B' }, metadata: { x: 1, y: [1, 2] } });
    expect(first.status).toBe(201);
    const eventsBefore = (await viewer.get(`/api/v1/teams/${team}/events?type=CREATE_ARTIFACT&limit=500`)).body.items.length;
    // Same files in another order, same metadata with keys in another order, a new description and alias.
    const same = await logVersion(member, team, 'vision', 'dedupe', {
      files: { 'b.txt': 'B', 'a.txt': 'A' },
      metadata: { y: [1, 2], x: 1 },
      description: 'ignored',
      aliases: ['kept'],
    });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ id: first.body.id, version: 'v0', aliases: ['kept', 'latest'] });
    const eventsAfter = (await viewer.get(`/api/v1/teams/${team}/events?type=CREATE_ARTIFACT&limit=500`)).body.items.length;
    expect(eventsAfter).toBe(eventsBefore);

    const changedMetadata = await logVersion(member, team, 'vision', 'dedupe', { files: { 'a.txt': 'A', 'b.txt': 'B' }, metadata: { x: 2, y: [1, 2] } });
    expect(changedMetadata.status).toBe(201);
    expect(changedMetadata.body.version).toBe('v1');
    // Identical to v0 but not to the latest: a new version, and indexes stay dense after the dedupe.
    const backToV0 = await logVersion(member, team, 'vision', 'dedupe', { files: { 'a.txt': 'A', 'b.txt': 'B' }, metadata: { x: 1, y: [1, 2] } });
    expect(backToV0.status).toBe(201);
    expect(backToV0.body.version).toBe('v2');
    expect(backToV0.body.digest).toBe(first.body.digest);
  });

  it('keeps one artifact type, storing nothing for a refused version', async () => {
    await logVersion(member, team, 'vision', 'typed', { type: 'dataset' });
    const refusedContent = 'bytes of a refused upload';
    const other = await logVersion(member, team, 'vision', 'typed', { type: 'model', files: { 'other.bin': refusedContent } });
    expect(other.status).toBe(400);
    expect(other.body.error.details.field).toBe('type');
    const digest = sha256(refusedContent);
    expect(fs.existsSync(path.join(server.config.dataDir, 'blobs', digest.slice(0, 2), digest.slice(2, 4), digest))).toBe(false);
    expect(filesUnder(path.join(server.config.dataDir, 'tmp'))).toEqual([]);
  });

  it('refuses logging into the model-registry project', async () => {
    const reply = await logVersion(member, team, 'model-registry', 'x');
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.field).toBe('project');
  });
});

describe('reading and downloading', () => {
  it('lists artifacts and versions, shows an artifact with its versions, and downloads files by path', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 17);
    const logged = await logVersion(member, team, 'vision', 'download-me', { files: { 'deep/dir/model.bin': content, 'README.md': '# hi' } });
    expect(logged.status).toBe(201);
    await logVersion(member, team, 'vision', 'download-me', { files: { 'README.md': '# v1' } });

    const list = await viewer.get(`/api/v1/teams/${team}/projects/vision/artifacts`);
    expect(list.body.items.map((a: any) => a.name)).toContain('download-me');
    const paged = await viewer.get(`/api/v1/teams/${team}/projects/vision/artifacts?limit=1`);
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.nextCursor).toEqual(expect.any(String));

    const artifact = await viewer.get(artifactUrl('download-me'));
    expect(artifact.body).toMatchObject({ name: 'download-me', type: 'model', project: 'vision', versionCount: 2, latestVersion: 'v1' });
    expect(artifact.body.versions.map((v: any) => v.version)).toEqual(['v1', 'v0']);
    const versions = await viewer.get(`${artifactUrl('download-me')}/versions?limit=1`);
    expect(versions.body.items.map((v: any) => v.version)).toEqual(['v1']);
    const older = await viewer.get(`${artifactUrl('download-me')}/versions?limit=1&cursor=${versions.body.nextCursor}`);
    expect(older.body).toEqual({ items: [expect.objectContaining({ version: 'v0' })], nextCursor: null });

    const download = await fetch(`${server.url}${artifactUrl('download-me')}/versions/v0/files/deep/dir/model.bin`, {
      headers: { authorization: `Bearer ${viewer.apiKey}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-length')).toBe(String(content.length));
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    const body = Buffer.from(await download.arrayBuffer());
    expect(sha256(body)).toBe(sha256(content));
    expect(download.headers.get('etag')).toBe(`"${sha256(content)}"`);

    const head = await fetch(`${server.url}${artifactUrl('download-me')}/versions/v0/files/deep/dir/model.bin`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${viewer.apiKey}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(content.length));

    const readme = await viewer.get(`${artifactUrl('download-me')}/versions/latest/files/README.md`);
    expect(readme.status).toBe(200);
    expect(readme.body).toBe('# v1');

    for (const missing of [
      `${artifactUrl('download-me')}/versions/v0/files/nope.bin`,
      `${artifactUrl('download-me')}/versions/v0/files/deep/dir`,
      `${artifactUrl('download-me')}/versions/v9/files/README.md`,
      `${artifactUrl('download-me')}/versions/nosuchalias/files/README.md`,
      `${artifactUrl('nothing')}/versions/v0/files/README.md`,
      `/api/v1/teams/${team}/projects/nowhere/artifacts/download-me/versions/v0/files/README.md`,
    ]) {
      expect({ missing, status: (await viewer.get(missing)).status }).toEqual({ missing, status: 404 });
    }
    expect((await viewer.get(`${artifactUrl('nothing')}`)).status).toBe(404);
    expect((await viewer.get(`/api/v1/teams/${team}/projects/nowhere/artifacts`)).status).toBe(404);
  });
});

describe('validation', () => {
  it('names the field at fault and leaves nothing staged', async () => {
    const cases: Array<[string, FormData | unknown, string]> = [
      ['missing type', (() => { const f = uploadForm(); f.delete('type'); return f; })(), 'type'],
      ['bad type', uploadForm({ type: 'no spaces' }), 'type'],
      ['no files', uploadForm({ files: {} }), 'file'],
      ['metadata not JSON', uploadForm({ metadata: '{oops' }), 'metadata'],
      ['metadata an array', uploadForm({ metadata: '[1,2]' }), 'metadata'],
      ['metadata a number', uploadForm({ metadata: '3' }), 'metadata'],
      ['aliases bad JSON', uploadForm({ aliases: '["a",' }), 'aliases'],
      ['aliases not strings', uploadForm({ aliases: '[1]' }), 'aliases'],
      ['alias invalid', uploadForm({ aliases: 'good, bad alias' }), 'aliases[1]'],
      ['alias latest', uploadForm({ aliases: ['latest'] }), 'aliases[0]'],
      ['alias v-number', uploadForm({ aliases: ['v2'] }), 'aliases[0]'],
      ['path with ..', uploadForm({ files: { 'ok.txt': 'x', '../escape.txt': 'x' } }), 'file[1]'],
      ['absolute path', uploadForm({ files: { '/etc/passwd': 'x' } }), 'file[0]'],
      ['empty segment', uploadForm({ files: { 'a//b': 'x' } }), 'file[0]'],
      ['dot segment', uploadForm({ files: { './a': 'x' } }), 'file[0]'],
      ['backslash', uploadForm({ files: { 'a\\b': 'x' } }), 'file[0]'],
      ['unknown file field', uploadForm({ fileField: 'blob' }), 'blob'],
      ['unknown text field', (() => { const f = uploadForm(); f.append('colour', 'red'); return f; })(), 'colour'],
      ['repeated field', (() => { const f = uploadForm(); f.append('type', 'model'); return f; })(), 'type'],
      ['file field as text', (() => { const f = uploadForm(); f.append('file', 'not a file'); return f; })(), 'file'],
      ['not multipart', { type: 'model' }, 'body'],
    ];
    for (const [label, body, field] of cases) {
      const reply = await member.request('POST', `${artifactUrl('validated')}/versions`, body);
      expect({ label, status: reply.status, field: reply.body.error?.details?.field }).toEqual({ label, status: 400, field });
    }
    const duplicate = new FormData();
    duplicate.append('type', 'model');
    duplicate.append('file', new Blob(['1']), 'same.txt');
    duplicate.append('file', new Blob(['2']), 'same.txt');
    const dup = await member.request('POST', `${artifactUrl('validated')}/versions`, duplicate);
    expect(dup.status).toBe(400);
    expect(dup.body.error.message).toMatch(/twice/);

    const badName = await logVersion(member, team, 'vision', 'bad%20name');
    expect(badName.status).toBe(400);
    expect(badName.body.error.details.field).toBe('name');
    expect((await logVersion(member, team, 'nowhere', 'x')).status).toBe(404);
    expect((await viewer.get(`${artifactUrl('validated')}`)).status).toBe(404);
    expect(filesUnder(path.join(server.config.dataDir, 'tmp'))).toEqual([]);
  });
});
