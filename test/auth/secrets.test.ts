import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/index.js';
import {
  MAX_SECRET_VALUE_BYTES,
  accessTokenProblem,
  createSecret,
  deleteSecret,
  listSecrets,
  resolveSecretValues,
  rotateMasterKey,
  updateSecret,
} from '../../src/auth/secrets.js';
import { Keyring, verifyKeyring } from '../../src/auth/keyring.js';
import { createTeam } from '../../src/auth/teams.js';
import { AppError } from '../../src/core/errors.js';
import type { User } from '../../src/db/schema.js';

let server: TestServer;
let user: User;
beforeAll(async () => {
  server = await startTestServer();
  user = await server.ctx.db.selectFrom('users').selectAll().where('name', '=', 'admin').executeTakeFirstOrThrow();
});
afterAll(async () => {
  await server.close();
});

describe('secrets at rest', () => {
  it('binds each ciphertext to its team and name: a value copied to another row does not decrypt', async () => {
    const { db, keyring } = server.ctx;
    const a = await createTeam(server.ctx, user, 'bind-a');
    const b = await createTeam(server.ctx, user, 'bind-b');
    await createSecret(db, keyring, a.id, user.id, { name: 'ORIGINAL', value: 'v' });
    await createSecret(db, keyring, b.id, user.id, { name: 'ORIGINAL', value: 'other' });
    await createSecret(db, keyring, a.id, user.id, { name: 'TARGET', value: 'x' });
    const original = await db.selectFrom('secrets').select('ciphertext').where('team_id', '=', a.id).where('name', '=', 'ORIGINAL').executeTakeFirstOrThrow();
    await db.updateTable('secrets').set({ ciphertext: original.ciphertext }).where('team_id', '=', a.id).where('name', '=', 'TARGET').execute();
    await db.updateTable('secrets').set({ ciphertext: original.ciphertext }).where('team_id', '=', b.id).where('name', '=', 'ORIGINAL').execute();
    await expect(resolveSecretValues(db, keyring, a.id, ['TARGET'])).rejects.toThrow();
    await expect(resolveSecretValues(db, keyring, b.id, ['ORIGINAL'])).rejects.toThrow();
    expect(await resolveSecretValues(db, keyring, a.id, ['ORIGINAL'])).toEqual({ ORIGINAL: 'v' });
    // The master-key rotation below covers every team: leave no undecryptable rows behind.
    await deleteSecret(db, a.id, 'TARGET');
    await deleteSecret(db, b.id, 'ORIGINAL');
  });

  it('resolves several values at once and names a missing secret without revealing any value', async () => {
    const { db, keyring } = server.ctx;
    const team = await createTeam(server.ctx, user, 'resolve');
    await createSecret(db, keyring, team.id, user.id, { name: 'ONE', value: 'first-secret-value' });
    await createSecret(db, keyring, team.id, user.id, { name: 'TWO', value: 'second' });
    expect(await resolveSecretValues(db, keyring, team.id, ['ONE', 'TWO', 'ONE'])).toEqual({ ONE: 'first-secret-value', TWO: 'second' });
    expect(await resolveSecretValues(db, keyring, team.id, [])).toEqual({});
    const error = await resolveSecretValues(db, keyring, team.id, ['ONE', 'GONE']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain('GONE');
    expect((error as AppError).message).not.toContain('first-secret-value');
    await updateSecret(db, keyring, team.id, user.id, 'TWO', 'changed');
    expect(await resolveSecretValues(db, keyring, team.id, ['TWO'])).toEqual({ TWO: 'changed' });
    await deleteSecret(db, team.id, 'TWO');
    expect((await listSecrets(db, team.id)).map((s) => s.name)).toEqual(['ONE']);
  });

  it('rotates the master key for every team in one transaction, or not at all', async () => {
    const { db } = server.ctx;
    const current = server.ctx.keyring;
    const team = await createTeam(server.ctx, user, 'rotate');
    await createSecret(db, current, team.id, user.id, { name: 'KEEP', value: 'kept-value' });

    // A row that cannot be decrypted stops the rotation before anything is committed.
    await createSecret(db, current, team.id, user.id, { name: 'BROKEN', value: 'b' });
    const broken = await db.selectFrom('secrets').select(['id', 'ciphertext']).where('name', '=', 'BROKEN').executeTakeFirstOrThrow();
    await db.updateTable('secrets').set({ ciphertext: 'v1.AAAA.AAAA.AAAA' }).where('id', '=', broken.id).execute();
    const before = await db.selectFrom('secrets').select(['id', 'ciphertext']).orderBy('id').execute();
    const next = new Keyring(randomBytes(32));
    await expect(rotateMasterKey(db, current, next)).rejects.toThrow();
    expect(await db.selectFrom('secrets').select(['id', 'ciphertext']).orderBy('id').execute()).toEqual(before);
    await verifyKeyring(db, current);

    await db.updateTable('secrets').set({ ciphertext: broken.ciphertext }).where('id', '=', broken.id).execute();
    const count = await rotateMasterKey(db, current, next);
    expect(count).toBe(before.length);
    expect(await resolveSecretValues(db, next, team.id, ['KEEP'])).toEqual({ KEEP: 'kept-value' });
    await verifyKeyring(db, next);
    await expect(verifyKeyring(db, current)).rejects.toThrow(/master key/);
    // Put the original key back so the rest of this file's server keeps working.
    await rotateMasterKey(db, next, current);
    await verifyKeyring(db, current);
  });

  it('limits a value to 64 KiB counted in UTF-8 bytes, refuses NUL, and stores nothing it refuses', async () => {
    const { db, keyring } = server.ctx;
    const team = await createTeam(server.ctx, user, 'value-rules');
    const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as AppError);

    await createSecret(db, keyring, team.id, user.id, { name: 'ASCII_MAX', value: 'x'.repeat(MAX_SECRET_VALUE_BYTES) });
    // 32,768 two-byte characters are 65,536 bytes: allowed; one more is over, though far fewer characters than bytes.
    await createSecret(db, keyring, team.id, user.id, { name: 'UTF8_MAX', value: 'é'.repeat(MAX_SECRET_VALUE_BYTES / 2) });
    for (const [name, value] of [
      ['TOO_LONG', 'x'.repeat(MAX_SECRET_VALUE_BYTES + 1)],
      ['TOO_LONG_UTF8', 'é'.repeat(MAX_SECRET_VALUE_BYTES / 2) + 'x'],
      ['ASTRAL', '😀'.repeat(MAX_SECRET_VALUE_BYTES / 4 + 1)],
    ] as const) {
      const error = await refusal(createSecret(db, keyring, team.id, user.id, { name, value }));
      expect(error, name).toBeInstanceOf(AppError);
      expect(error!.status).toBe(400);
      expect(error!.details).toMatchObject({ field: 'value' });
      expect(error!.message).toMatch(/at most 65536 bytes in UTF-8/);
    }
    for (const value of ['\u0000', 'tok\u0000en', 'token\u0000']) {
      const error = await refusal(createSecret(db, keyring, team.id, user.id, { name: 'WITH_NUL', value }));
      expect(error!.message).toMatch(/NUL/);
      expect(error!.details).toMatchObject({ field: 'value' });
    }
    expect(await refusal(updateSecret(db, keyring, team.id, user.id, 'ASCII_MAX', 'a\u0000b'))).toBeInstanceOf(AppError);
    expect(await refusal(updateSecret(db, keyring, team.id, user.id, 'ASCII_MAX', 'y'.repeat(MAX_SECRET_VALUE_BYTES + 1)))).toBeInstanceOf(AppError);
    expect((await listSecrets(db, team.id)).map((s) => s.name)).toEqual(['ASCII_MAX', 'UTF8_MAX']);
    expect((await resolveSecretValues(db, keyring, team.id, ['ASCII_MAX'])).ASCII_MAX).toBe('x'.repeat(MAX_SECRET_VALUE_BYTES));
  });

  it('tells which values cannot be sent as an access token in the Authorization header', () => {
    for (const value of ['line\nbreak', 'carriage\rreturn', '\r\n', 'trailing\n']) expect(accessTokenProblem(value)).toMatch(/line break \(CR or LF\)/);
    for (const value of ['bell\u0007', 'del\u007f', 'snowman ☃', 'emoji 😀']) expect(accessTokenProblem(value)).toMatch(/cannot be sent/);
    for (const value of ['sk-live_abc.DEF/+=', 'tab\tinside', 'latin1 é', 'spaces are fine']) expect(accessTokenProblem(value)).toBeUndefined();
  });
});
