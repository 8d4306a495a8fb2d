// insertMany: many rows in as few statements as the database likes best (JSON on PostgreSQL — the columns that vary
// per row, and once the ones every row shares — chunked multi-row VALUES on SQLite): every row lands with exactly its
// values, and columns left out get their defaults.
import { expect, it } from 'vitest';
import type { User } from '../../src/db/schema.js';
import { insertMany } from '../../src/db/bulk.js';
import { inTransaction } from '../../src/db/transaction.js';
import { pendingRun, readRun, useTestDatabase } from '../helpers/database.js';

const database = useTestDatabase();

it('inserts more rows than one statement may bind, each with its own values, null and numbers intact', async () => {
  // 27 columns × 2,000 rows is well past SQLite's bound-parameter limit.
  const runs = Array.from({ length: 2000 }, (_, i) =>
    pendingRun({
      body: `{"n": ${i}, "quote": "it's \\"quoted\\" ✓"}`,
      attempts: i % 7,
      next_attempt_at: i % 2 === 0 ? null : 1_700_000_000_000 + i,
      secret_name: i % 3 === 0 ? null : 'SIGNING_KEY',
    }),
  );
  await inTransaction(database.handle, (tx) => insertMany(tx, 'action_runs', runs));
  const written = await database.handle.db
    .selectFrom('action_runs')
    .selectAll()
    .where('id', 'in', runs.map((run) => run.id))
    .execute();
  // Every row, each exactly as given: no row lost or doubled across the statements, no value shifted to a neighbour.
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  expect(written.sort(byId)).toEqual([...runs].sort(byId));
});

it('keeps apart values that only look alike (null, empty text, zero) and writes a single row whole', async () => {
  const alike = [
    pendingRun({ last_error: null, attempts: 0, body: '' }),
    pendingRun({ last_error: '', attempts: 0, body: '' }),
    pendingRun({ last_error: '0', attempts: 0, body: '' }),
  ];
  const single = pendingRun({ last_error: 'only one', attempts: 3, next_attempt_at: null });
  await insertMany(database.handle.db, 'action_runs', alike);
  await insertMany(database.handle.db, 'action_runs', [single]);
  for (const run of [...alike, single]) expect(await readRun(database.handle, run.id)).toEqual(run);
});

it('leaves columns the rows do not name to their defaults', async () => {
  // users.is_admin defaults to 0 and users.deactivated_at to null; the type makes them required, so the rows are cast
  // to leave them out.
  await insertMany(database.handle.db, 'users', [
    { id: 'u-1', name: 'ada', password_hash: 'x', created_at: 1 } as User,
    { id: 'u-2', name: 'grace', password_hash: 'y', created_at: 2 } as User,
  ]);
  const rows = await database.handle.db.selectFrom('users').selectAll().where('id', 'in', ['u-1', 'u-2']).orderBy('id').execute();
  expect(rows).toEqual([
    { id: 'u-1', name: 'ada', password_hash: 'x', created_at: 1, is_admin: 0, deactivated_at: null },
    { id: 'u-2', name: 'grace', password_hash: 'y', created_at: 2, is_admin: 0, deactivated_at: null },
  ]);
});

it('writes nothing, and sends no statement that could fail, for no rows', async () => {
  const countRuns = async () =>
    Number((await database.handle.db.selectFrom('action_runs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const before = await countRuns();
  await insertMany(database.handle.db, 'action_runs', []);
  // A table that does not exist: any statement at all would be refused.
  await expect(insertMany(database.handle.db, 'no_such_table' as 'action_runs', [])).resolves.toBeUndefined();
  expect(await countRuns()).toBe(before);
});
