// Canaries for the three places that lean on how a library works inside rather than on its documented API. Each
// fails with a message saying which assumption broke, so a dependency upgrade that changes one is caught here and not
// as a slow or wrong production system. Checked against kysely 0.28.19, pg 8.23.1 and better-sqlite3 12.11.1.
import fs from 'node:fs';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { prepared, statementNameFor } from '../../src/db/prepared.js';
import { TEST_DB } from '../helpers/index.js';
import { useTestDatabase } from '../helpers/database.js';

const database = useTestDatabase();
/** Dialect-specific canaries exist only in their project's run (neither skipped nor counted in the other's). */
const onlyOn = (db: typeof TEST_DB) => (TEST_DB === db ? it : () => undefined);

const byKeyWithLimit = prepared((db, p: { key: string; limit: number }) =>
  db.selectFrom('instance_settings').select(['key', 'value']).where('key', '=', p.key).limit(p.limit),
);

describe('library internals the code depends on', () => {
  it('Kysely passes every value of a built query through as a bound parameter (src/db/prepared.ts)', async () => {
    // prepared() compiles a query once with marker strings as values and swaps them for real values per call. That
    // holds only while Kysely's compiler emits every value — a limit included — as a parameter, never inlined.
    const compiled = database.handle.db
      .selectFrom('instance_settings')
      .select('key')
      .where('key', '=', 'marker-value')
      .limit(7)
      .compile();
    expect(compiled.sql, 'kysely now inlines values into SQL text: prepared() would bind the wrong values').not.toContain('marker-value');
    expect(compiled.parameters, 'kysely no longer passes values through as parameters unchanged').toEqual(['marker-value', 7]);

    await database.handle.db.insertInto('instance_settings').values({ key: 'canary', value: 'v' }).execute();
    expect(await byKeyWithLimit.rows(database.handle.db, { key: 'canary', limit: 1 })).toEqual([{ key: 'canary', value: 'v' }]);
    expect(await byKeyWithLimit.rows(database.handle.db, { key: 'canary', limit: 0 })).toEqual([]);
  });

  onlyOn('postgres')('pg sends the prepared queries as named statements (src/db/index.ts sendPreparedQueriesNamed)', async () => {
    // The patched client.query recognises Kysely's call shape `query(text, values)`. If Kysely or pg change it, the
    // statements silently go back to being parsed and planned on every call; the server's own list shows it.
    await database.handle.db.connection().execute(async (connection) => {
      await byKeyWithLimit.rows(connection, { key: 'canary', limit: 1 });
      const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(connection);
      const names = rows.map((row) => row.name);
      const expected = rows.find((row) => statementNameFor(row.statement) === row.name);
      expect(expected, `no named statement on the connection (found: ${names.join(', ') || 'none'}): pg or kysely changed how queries are sent`).toBeDefined();
    });
  });

  onlyOn('sqlite')('SQLite transactions begin IMMEDIATE (src/db/index.ts ImmediateSqliteDialect)', async () => {
    // The dialect replaces the driver's beginTransaction so that a transaction takes the write lock before it reads
    // (two processes on one file then never claim the same run). A driver that no longer calls beginTransaction, or
    // calls it under another name, would fall back to a deferred BEGIN: a second connection could then still write.
    const { rows } = await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(database.handle.db);
    const file = rows[0]?.file ?? '';
    expect(fs.existsSync(file), `no SQLite file at ${file}`).toBe(true);
    const other = new SQLite(file, { timeout: 0 });
    try {
      await database.handle.db.transaction().execute(async (tx) => {
        await sql`select 1`.execute(tx);
        expect(() => other.exec('begin immediate'), 'a transaction that has only read must already hold the write lock').toThrow(/locked|busy/i);
      });
    } finally {
      other.close();
    }
  });
});
