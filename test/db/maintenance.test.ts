// The start-up warnings about database settings that degrade delivery over time (src/db/index.ts, maintenanceWarnings).
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { maintenanceWarnings, type DatabaseHandle } from '../../src/db/index.js';
import { dropTestData, testConfig } from '../helpers.js';
import { openTestDatabase } from '../delivery/worker-fixtures.js';

const config = testConfig();
let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await openTestDatabase(config);
});

afterAll(async () => {
  await handle.close();
  await dropTestData(config);
});

it('warns when PostgreSQL autovacuum is off, naming what to do, and says nothing otherwise', async () => {
  const warnings = await maintenanceWarnings(handle.db, handle.dialect);
  if (handle.dialect === 'sqlite') {
    expect(warnings).toEqual([]);
    return;
  }
  // The server's own setting decides (it is not settable per session): the warning must follow it either way.
  const setting = (await sql<{ autovacuum: string }>`show autovacuum`.execute(handle.db)).rows[0]!.autovacuum;
  if (setting === 'off') {
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/autovacuum is off/);
    expect(warnings[0]).toMatch(/VACUUM ANALYZE/);
    expect(warnings[0]).toMatch(/docs\/operations\.md/);
  } else {
    expect(warnings).toEqual([]);
  }
});
