// The start-up warnings about database settings that degrade delivery over time (src/db/index.ts, maintenanceWarnings).
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { maintenanceWarnings } from '../../src/db/index.js';
import { useTestDatabase } from '../helpers/database.js';

const database = useTestDatabase();

it('warns when PostgreSQL autovacuum is off, naming what to do, and says nothing otherwise', async () => {
  const warnings = await maintenanceWarnings(database.handle.db, database.handle.dialect);
  if (database.handle.dialect === 'sqlite') {
    expect(warnings).toEqual([]);
    return;
  }
  // The server's own setting decides (it is not settable per session): the warning must follow it either way.
  const setting = (await sql<{ autovacuum: string }>`show autovacuum`.execute(database.handle.db)).rows[0]!.autovacuum;
  if (setting === 'off') {
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/autovacuum is off/);
    expect(warnings[0]).toMatch(/VACUUM ANALYZE/);
    expect(warnings[0]).toMatch(/docs\/operations\.md/);
  } else {
    expect(warnings).toEqual([]);
  }
});
