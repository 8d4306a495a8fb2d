// Migration 005 on a database that already has aliases: each explicit alias gets one `set` history entry at the time
// it was placed (so `?at=` answers for it), `latest` none.
import { afterAll, describe, expect, it } from 'vitest';
import { Migrator, type Migration } from 'kysely';
import { createDatabase } from '../../src/db/index.js';
import * as initial from '../../src/db/migrations/001_initial.js';
import * as loginAttempts from '../../src/db/migrations/002_login_attempts.js';
import * as jobEvents from '../../src/db/migrations/003_job_events.js';
import * as promotion from '../../src/db/migrations/005_promotion.js';
import { dropTestData, testConfig } from '../helpers/index.js';

const config = testConfig();
const handle = await createDatabase(config);
afterAll(async () => {
  await handle.close();
  await dropTestData(config);
});

function migrator(migrations: Record<string, Migration>) {
  return new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => migrations },
    ...(config.databaseSchema ? { migrationTableSchema: config.databaseSchema } : {}),
  });
}

describe('migration 005_promotion', () => {
  it('backfills one history entry per explicit alias', async () => {
    const before = { '001_initial': initial, '002_login_attempts': loginAttempts, '003_job_events': jobEvents };
    expect((await migrator(before).migrateToLatest()).error).toBeUndefined();
    const db = handle.db;
    await db.insertInto('users').values({ id: 'u1', name: 'alice', password_hash: 'x', is_admin: 0, created_at: 1 }).execute();
    await db.insertInto('registered_models').values({ id: 'm1', team_id: 't1', name: 'clf', description: '', next_index: 2, created_by: 'u1', created_at: 1, updated_at: 1 }).execute();
    for (const [id, index] of [['mv0', 0], ['mv1', 1]] as const) {
      await db.insertInto('model_versions').values({ id, team_id: 't1', model_id: 'm1', index, artifact_version_id: `av${index}`, created_by: 'u1', created_at: 1 }).execute();
    }
    await db
      .insertInto('model_aliases')
      .values([
        { model_id: 'm1', alias: 'production', model_version_id: 'mv0', created_by: 'u1', created_at: 1_000 },
        { model_id: 'm1', alias: 'latest', model_version_id: 'mv1', created_by: 'u1', created_at: 2_000 },
      ])
      .execute();

    expect((await migrator({ ...before, '005_promotion': promotion }).migrateToLatest()).error).toBeUndefined();
    const history = await db.selectFrom('model_alias_history').selectAll().execute();
    expect(history.map((row) => ({ ...row, created_at: Number(row.created_at) }))).toEqual([
      expect.objectContaining({ team_id: 't1', model_id: 'm1', alias: 'production', version_index: 0, previous_index: null, reason: 'set', author: 'alice', created_at: 1_000 }),
    ]);
  });
});
