// inTransaction: one transaction per change, signals only after commit — and on SQLite, where changes arriving together
// share one commit, a failing change must still fail alone and leave nothing behind.
import { beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { eventually } from '../helpers/index.js';
import { useTestDatabase } from '../helpers/database.js';

const database = useTestDatabase();
const signalled: string[] = [];

beforeAll(async () => {
  database.handle.notifier.listen('test', (payload) => signalled.push(payload));
});

const keysLike = async (prefix: string) =>
  (await database.handle.db.selectFrom('instance_settings').select('key').where('key', 'like', `${prefix}%`).orderBy('key').execute()).map(
    (r) => r.key,
  );

describe('inTransaction', () => {
  it('commits concurrent changes independently: a failing one rolls back alone and only its caller sees the error', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        inTransaction(database.handle, async (tx, after) => {
          const key = `c${String(i).padStart(2, '0')}`;
          await tx.insertInto('instance_settings').values({ key, value: 'first' }).execute();
          await tx.insertInto('instance_settings').values({ key: `${key}-second`, value: 'second' }).execute();
          after.notify('test', key);
          if (i % 3 === 0) throw new Error(`change ${i} refused`);
          return i;
        }),
      ),
    );
    results.forEach((result, i) => {
      if (i % 3 === 0) expect(result).toEqual({ status: 'rejected', reason: new Error(`change ${i} refused`) });
      else expect(result).toEqual({ status: 'fulfilled', value: i });
    });
    const committed = Array.from({ length: 40 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .map((i) => `c${String(i).padStart(2, '0')}`);
    expect(await keysLike('c')).toEqual(committed.flatMap((key) => [key, `${key}-second`]));
    // Signals of the failed changes are dropped; the others arrive once their change is committed (on PostgreSQL a
    // listener in the committing process may hear one again when the server echoes the NOTIFY).
    await eventually(() => Promise.resolve(new Set(signalled).size >= committed.length));
    expect([...new Set(signalled)].sort()).toEqual(committed);
  });

  it('fails only the change that breaks a constraint, after its earlier statements are undone', async () => {
    await database.handle.db.insertInto('instance_settings').values({ key: 'taken', value: 'x' }).execute();
    const [clash, fine] = await Promise.allSettled([
      inTransaction(database.handle, async (tx) => {
        await tx.insertInto('instance_settings').values({ key: 'u-before-clash', value: 'x' }).execute();
        await tx.insertInto('instance_settings').values({ key: 'taken', value: 'y' }).execute();
      }),
      inTransaction(database.handle, async (tx) => {
        await tx.insertInto('instance_settings').values({ key: 'u-fine', value: 'x' }).execute();
        return 'ok';
      }),
    ]);
    expect(clash.status).toBe('rejected');
    expect(fine).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(await keysLike('u-')).toEqual(['u-fine']);
    expect(await database.handle.db.selectFrom('instance_settings').select('value').where('key', '=', 'taken').executeTakeFirst()).toEqual({
      value: 'x',
    });
  });

  it('sees its own writes and those of the changes committed before it', async () => {
    await inTransaction(database.handle, async (tx) => {
      await tx.insertInto('instance_settings').values({ key: 'counter', value: '0' }).execute();
    });
    await Promise.all(
      Array.from({ length: 25 }, () =>
        inTransaction(database.handle, async (tx) => {
          // Takes the row lock on PostgreSQL (as the registry does with its model row); SQLite serializes writers anyway.
          await tx.updateTable('instance_settings').set((eb) => ({ value: eb.ref('value') })).where('key', '=', 'counter').execute();
          const row = await tx.selectFrom('instance_settings').select('value').where('key', '=', 'counter').executeTakeFirstOrThrow();
          await tx
            .updateTable('instance_settings')
            .set({ value: String(Number(row.value) + 1) })
            .where('key', '=', 'counter')
            .execute();
        }),
      ),
    );
    const counter = await database.handle.db.selectFrom('instance_settings').select('value').where('key', '=', 'counter').executeTakeFirst();
    expect(counter).toEqual({ value: '25' });
  });
});
