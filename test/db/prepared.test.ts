// Prepared queries: compiled once per dialect, each call binds its own values — on the suite's database.
import { beforeAll, describe, expect, it } from 'vitest';
import { prepared } from '../../src/db/prepared.js';
import { useTestDatabase } from '../helpers/database.js';

const database = useTestDatabase();

beforeAll(async () => {
  await database.handle.db
    .insertInto('instance_settings')
    .values([
      { key: 'a', value: 'one' },
      { key: 'b', value: 'two' },
      { key: 'c', value: 'three' },
    ])
    .execute();
});

const byKey = prepared((db, p: { key: string }) => db.selectFrom('instance_settings').select(['key', 'value']).where('key', '=', p.key));

// A constant the builder writes itself stays as it was; the same parameter may appear more than once.
const eitherOrB = prepared((db, p: { first: string; second: string }) =>
  db
    .selectFrom('instance_settings')
    .select('key')
    .where((eb) => eb.or([eb('key', '=', p.first), eb('key', '=', p.second), eb('key', '=', 'b'), eb('value', '=', p.first)]))
    .orderBy('key'),
);

const setValue = prepared((db, p: { key: string; value: string }) =>
  db.updateTable('instance_settings').set({ value: p.value }).where('key', '=', p.key),
);

describe('prepared queries', () => {
  it('binds each call’s values into the query compiled once', async () => {
    expect(await byKey.first(database.handle.db, { key: 'a' })).toEqual({ key: 'a', value: 'one' });
    expect(await byKey.first(database.handle.db, { key: 'c' })).toEqual({ key: 'c', value: 'three' });
    expect(await byKey.first(database.handle.db, { key: 'missing' })).toBeUndefined();
    expect(await byKey.rows(database.handle.db, { key: 'b' })).toEqual([{ key: 'b', value: 'two' }]);
  });

  it('keeps constants and repeats a parameter wherever it appears', async () => {
    expect(await eitherOrB.rows(database.handle.db, { first: 'a', second: 'c' })).toEqual([{ key: 'a' }, { key: 'b' }, { key: 'c' }]);
    expect(await eitherOrB.rows(database.handle.db, { first: 'zz', second: 'zz' })).toEqual([{ key: 'b' }]);
  });

  it('runs writes inside a transaction and reports the rows changed', async () => {
    const changed = await database.handle.db.transaction().execute((tx) => setValue.run(tx, { key: 'c', value: 'drei' }));
    expect(changed).toBe(1);
    expect(await setValue.run(database.handle.db, { key: 'nothing', value: 'x' })).toBe(0);
    expect(await byKey.first(database.handle.db, { key: 'c' })).toEqual({ key: 'c', value: 'drei' });
  });

  it('refuses a call that leaves a parameter out instead of binding nothing', async () => {
    await expect(byKey.first(database.handle.db, {} as { key: string })).rejects.toThrow('no value for parameter "key"');
  });
});
