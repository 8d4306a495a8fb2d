// The dialect helpers that put several steps in one statement where the database allows it — on the suite's database.
import { describe, expect, it } from 'vitest';
import type { QueryCreator } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { jsonArrayOf, jsonColumn, writesThenSelect } from '../../src/db/dialect.js';
import { useTestDatabase } from '../helpers/database.js';

const database = useTestDatabase();

const setting = (qc: QueryCreator<Database>, p: { key: string; value: string }) => qc.insertInto('instance_settings').values({ key: p.key, value: p.value });

// Two writes with parameters of the same names: each write's parameters are its own.
const twoThenCount = writesThenSelect([setting, setting], <DB extends Database>(qc: QueryCreator<DB>, p: { prefix: string }) =>
  (qc as unknown as QueryCreator<Database>).selectFrom('instance_settings').select('key').where('key', 'like', p.prefix).orderBy('key'),
);

describe('writesThenSelect', () => {
  it('makes every write with its own parameters, and answers the select as it stood before them', async () => {
    const db = database.handle.db;
    await db.insertInto('instance_settings').values({ key: 'wts-0', value: 'before' }).execute();
    const rows = await twoThenCount.rows(db, [{ key: 'wts-1', value: 'one' }, { key: 'wts-2', value: 'two' }], { prefix: 'wts-%' });
    const after = await db.selectFrom('instance_settings').select(['key', 'value']).where('key', 'like', 'wts-%').orderBy('key').execute();
    expect(after).toEqual([
      { key: 'wts-0', value: 'before' },
      { key: 'wts-1', value: 'one' },
      { key: 'wts-2', value: 'two' },
    ]);
    // PostgreSQL runs the select in the statement's snapshot (without the writes); SQLite after them. Callers only
    // use selects that do not read what the writes wrote, where both answer alike.
    expect(rows.map((row) => row.key)).toContain('wts-0');
  });

  it('writes nothing when one of its writes fails (one statement, or the caller’s transaction)', async () => {
    const db = database.handle.db;
    await db.insertInto('instance_settings').values({ key: 'wts-dup', value: 'first' }).execute();
    await expect(
      db.transaction().execute((tx) => twoThenCount.rows(tx, [{ key: 'wts-new', value: 'x' }, { key: 'wts-dup', value: 'clash' }], { prefix: 'wts-%' })),
    ).rejects.toThrow();
    const left = await db.selectFrom('instance_settings').select('key').where('key', 'in', ['wts-new', 'wts-dup']).execute();
    expect(left).toEqual([{ key: 'wts-dup' }]);
  });
});

describe('jsonArrayOf', () => {
  it('brings a correlated subquery’s rows back as one column, an empty array when there are none', async () => {
    const db = database.handle.db;
    await db.insertInto('instance_settings').values([{ key: 'jao-a', value: '1' }, { key: 'jao-b', value: '2' }]).execute();
    const row = await db
      .selectNoFrom((eb) => [
        jsonArrayOf(db, eb.selectFrom('instance_settings').select(['key', 'value']).where('key', 'like', 'jao-%').orderBy('key')).as('found'),
        jsonArrayOf(db, eb.selectFrom('instance_settings').select('key').where('key', '=', 'jao-none')).as('none'),
      ])
      .executeTakeFirstOrThrow();
    expect(jsonColumn(row.found)).toEqual([{ key: 'jao-a', value: '1' }, { key: 'jao-b', value: '2' }]);
    expect(jsonColumn(row.none)).toEqual([]);
  });
});
