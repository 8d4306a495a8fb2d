// The upload limit: a file or a whole upload over MODELYARD_MAX_UPLOAD_BYTES gets 413, and nothing it staged stays
// on disk. Its own file because it needs a server configured with a small limit.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('upload limit', () => {
  let small: TestServer;
  let client: Client;
  let smallTeam: string;
  beforeAll(async () => {
    small = await startTestServer({ env: { MODELYARD_MAX_UPLOAD_BYTES: '4096' } });
    const roles = await createTeamWithRoles(small);
    client = roles.member;
    smallTeam = roles.team;
    await client.post(`/api/v1/teams/${smallTeam}/projects`, { name: 'p' });
  });
  afterAll(async () => {
    await small.close();
  });

  it('answers 413 for a file or a whole upload over MODELYARD_MAX_UPLOAD_BYTES and leaves nothing behind', async () => {
    const tooBig = await logVersion(client, smallTeam, 'p', 'big', { files: { 'big.bin': randomBytes(10_000) } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    const together = await logVersion(client, smallTeam, 'p', 'big', {
      files: { 'a.bin': randomBytes(3000), 'b.bin': randomBytes(3000) },
    });
    expect(together.status).toBe(413);
    const afterGoodFile = await logVersion(client, smallTeam, 'p', 'big', {
      files: { 'ok.bin': 'fine', 'huge.bin': randomBytes(50_000) },
    });
    expect(afterGoodFile.status).toBe(413);
    expect(filesUnder(path.join(small.config.dataDir, 'tmp'))).toEqual([]);
    expect(filesUnder(path.join(small.config.dataDir, 'blobs'))).toEqual([]);
    expect((await client.get(`/api/v1/teams/${smallTeam}/projects/p/artifacts/big`)).status).toBe(404);

    const fits = await logVersion(client, smallTeam, 'p', 'big', { files: { 'fits.bin': randomBytes(4000) } });
    expect(fits.status).toBe(201);
    expect(fits.body.version).toBe('v0');
  });
});
