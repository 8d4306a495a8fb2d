// What differs between SQLite and PostgreSQL, as small functions (pg-boss's dialect.ts): code outside src/db/ and the
// delivery run store's implementations calls these instead of asking which database it is on (STYLE.md, habit 1;
// eslint.config.js enforces it).
import {
  PostgresAdapter,
  sql,
  type Compilable,
  type RawBuilder,
  type InsertQueryBuilder,
  type Kysely,
  type QueryCreator,
  type SelectQueryBuilder,
  type UpdateQueryBuilder,
} from 'kysely';
import { jsonArrayFrom as pgJsonArrayFrom } from 'kysely/helpers/postgres';
import { jsonArrayFrom as sqliteJsonArrayFrom } from 'kysely/helpers/sqlite';
import type { Database } from './schema.js';
import type { Db, DialectName } from './index.js';
import { prepared } from './prepared.js';
import { insertMany } from './bulk.js';

type Executor = Pick<Kysely<Database>, 'executeQuery' | 'getExecutor'>;

/** One value per dialect, picked by name: how a factory chooses an implementation without comparing names itself. */
export function forDialect<T>(dialect: DialectName, choices: Record<DialectName, T>): T {
  return choices[dialect];
}

/**
 * A row-claiming select: on PostgreSQL `FOR UPDATE SKIP LOCKED` (concurrent claimers each take different rows instead
 * of queueing behind one another's locks); on SQLite unchanged — one writer at a time already makes the claim atomic.
 */
export function forUpdateSkipLocked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, dialect: DialectName): SelectQueryBuilder<DB, TB, O> {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

export interface InsertThenSelect<I, S, O> {
  /** Inserts with `insertParams`, then returns the select's rows for `selectParams` — in one round trip where possible. */
  rows(executor: Executor, insertParams: I, selectParams: S): Promise<O[]>;
}

/**
 * An insert followed by a select that does not read the inserted row, as prepared queries. On PostgreSQL one statement
 * (the insert is a data-modifying CTE of the select, which runs whether or not the select refers to it): one round trip
 * less. SQLite has no data-modifying CTEs, and its statements run in-process, where two cost no more than one.
 */
export function insertThenSelect<I extends object, S extends object, O>(
  insert: (qc: QueryCreator<Database>, params: I) => Write,
  select: <DB extends Database>(qc: QueryCreator<DB>, params: S) => Compilable<O>,
): InsertThenSelect<I, S, O> {
  const together = writesThenSelect([insert], select);
  return { rows: (executor, insertParams, selectParams) => together.rows(executor, [insertParams], selectParams) };
}

/** A write that can stand as a data-modifying CTE on PostgreSQL. */
type Write = InsertQueryBuilder<Database, any, any>;

export interface WritesThenSelect<S, O> {
  /** Makes the writes (each with its own parameters, in order), then returns the select's rows for `selectParams`. */
  rows(executor: Executor, writeParams: object[], selectParams: S): Promise<O[]>;
}

/**
 * Several writes followed by a select that reads none of them (insertThenSelect with more writes): on PostgreSQL one
 * statement, each write a data-modifying CTE; on SQLite one statement after another. A change, its history and its
 * event go to the database in one round trip this way (src/registry/aliases.ts). The writes must not depend on each
 * other: PostgreSQL runs a statement's CTEs against one snapshot, in no set order.
 */
export function writesThenSelect<S extends object, O>(
  writes: Array<(qc: QueryCreator<Database>, params: any) => Write>,
  select: <DB extends Database>(qc: QueryCreator<DB>, params: S) => Compilable<O>,
): WritesThenSelect<S, O> {
  // A prepared query's parameters are one flat object: write i's parameter `x` travels as `w{i}_x`.
  const prefixed = (params: object, i: number) =>
    new Proxy({}, { get: (_target, name) => (typeof name === 'string' ? (params as Record<string, unknown>)[`w${i}_${name}`] : undefined) });
  const together = prepared((db, p: Record<string, unknown>) => {
    let qc: QueryCreator<Database> = db;
    writes.forEach((write, i) => {
      qc = qc.with(`w${i}`, (cte) => write(cte as unknown as QueryCreator<Database>, prefixed(p, i))) as unknown as QueryCreator<Database>;
    });
    return select(qc, p as unknown as S);
  });
  const alone = writes.map((write, i) => prepared((db, p: Record<string, unknown>) => write(db, prefixed(p, i))));
  const selectOnly = prepared((db, p: S) => select(db, p));
  // The prefixed names, made once per write and name (this runs on every event).
  const names = writes.map(() => new Map<string, string>());
  const flat = (writeParams: object[]) => {
    const params: Record<string, unknown> = {};
    writeParams.forEach((one, i) => {
      const known = names[i]!;
      for (const name in one) {
        let key = known.get(name);
        if (key === undefined) known.set(name, (key = `w${i}_${name}`));
        params[key] = (one as Record<string, unknown>)[name];
      }
    });
    return params;
  };
  return {
    async rows(executor, writeParams, selectParams) {
      const params = flat(writeParams);
      if (executor.getExecutor().adapter instanceof PostgresAdapter) return together.rows(executor, { ...params, ...selectParams });
      for (const one of alone) await one.run(executor, params);
      return selectOnly.rows(executor, selectParams);
    },
  };
}

/**
 * A correlated subquery's rows as one JSON array column (kysely's jsonArrayFrom for the executor's database), so a
 * row and its children come back in one statement. Read the column with `jsonColumn`.
 */
export function jsonArrayOf<O>(db: Pick<Kysely<Database>, 'getExecutor'>, subquery: SelectQueryBuilder<any, any, O>): RawBuilder<O[]> {
  return (db.getExecutor().adapter instanceof PostgresAdapter ? pgJsonArrayFrom(subquery) : sqliteJsonArrayFrom(subquery)) as RawBuilder<O[]>;
}

/** A JSON column as its value: PostgreSQL's driver parses json itself, SQLite's hands back the text. */
export function jsonColumn<T>(value: T | string | null): T | null {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

/** PostgreSQL's SQLSTATE for a transaction it rolled back to break a deadlock. */
const DEADLOCK_DETECTED = '40P01';

/** A write that can stand as a data-modifying CTE and returns the rows it wrote (the gate of gatedWrites). */
type ReturningWrite = InsertQueryBuilder<Database, any, any> | UpdateQueryBuilder<Database, any, any, any>;

export interface GatedWrites<P> {
  /**
   * Locks the row, makes the gate's write, and only if the gate wrote a row inserts `rows` (per table of the spec, in
   * its order); resolves to whether the gate wrote. On PostgreSQL one statement, committed by itself when the executor
   * is not in a transaction; on SQLite statement after statement — call it in a transaction there.
   */
  run(executor: Executor, params: P, rows: Array<Array<Record<string, unknown>>>): Promise<boolean>;
}

/**
 * A change whose writes all hang on one conditional write — a compare-and-set — made after a read outside any
 * transaction (optimistic concurrency: src/registry/alias-move.ts). On PostgreSQL one statement, so no BEGIN and no
 * COMMIT. `lock` updates one row first, and should match it only if the row is still as the read saw it (a version
 * stamp): PostgreSQL re-checks an update's condition on the newest committed row after waiting for its lock, so the
 * stamp catches every change committed since the read, which a statement's own reads (its snapshot is taken when it
 * starts, perhaps before a wait) would not. The gate's write refers to `locked` (so it runs after the lock is held) and
 * every insert selects its rows (one JSON parameter per table, expanded into the table's row type as in bulk.ts) only
 * where the gate returned a row — a gate that wrote nothing leaves the whole statement without effect. SQLite has no
 * data-modifying CTEs; there the same writes run one after another in the caller's transaction, stopping as soon as
 * the lock or the gate wrote nothing.
 */
export function gatedWrites<P extends object>(spec: {
  lock: (qc: QueryCreator<Database>, params: P) => UpdateQueryBuilder<Database, any, any, { id: string }>;
  /** `locked`: the locked row's id (null when the lock's update matched no row). */
  gate: (qc: QueryCreator<Database>, params: P, locked: RawBuilder<string>) => ReturningWrite;
  inserts: Array<{ table: keyof Database & string; columns: readonly string[] }>;
}): GatedWrites<P> {
  const rowsParam = (i: number) => `gatedRows${i}`;
  const together = prepared((db, p: P & Record<string, unknown>) => {
    let qc: QueryCreator<Database> = db.with('lock', (cte) => spec.lock(cte as unknown as QueryCreator<Database>, p)) as unknown as QueryCreator<Database>;
    const locked = sql<string>`(select id from ${sql.table('lock')})`;
    qc = qc.with('gate', (cte) => spec.gate(cte as unknown as QueryCreator<Database>, p, locked)) as unknown as QueryCreator<Database>;
    spec.inserts.forEach(({ table, columns }, i) => {
      qc = qc.with(`insert${i}`, (cte) =>
        (cte as unknown as QueryCreator<any>)
          .insertInto(table)
          .columns(columns as string[])
          .expression(
            sql`select ${sql.join(columns.map((column) => sql.ref(`r.${column}`)))} from json_populate_recordset(null::${sql.table(table)}, ${p[rowsParam(i)]}) as r where exists (select 1 from ${sql.table('gate')})`,
          ),
      ) as unknown as QueryCreator<Database>;
    });
    return qc.selectFrom('gate' as any).select(sql<number>`count(*)`.as('applied'));
  });
  const lockAlone = prepared((db, p: P) => spec.lock(db, p));
  const gateAlone = prepared((db, p: P & { lockedId: string }) => spec.gate(db, p, sql<string>`${p.lockedId}`));
  return {
    async run(executor, params, rows) {
      if (executor.getExecutor().adapter instanceof PostgresAdapter) {
        const json: Record<string, string> = {};
        rows.forEach((tableRows, i) => (json[rowsParam(i)] = JSON.stringify(tableRows)));
        try {
          const [result] = await together.rows(executor, { ...params, ...json });
          return Number(result?.applied ?? 0) > 0;
        } catch (error) {
          // Deadlocked with a transaction that took the same rows in another order: rolled back, so nothing was written.
          if ((error as { code?: string }).code === DEADLOCK_DETECTED) return false;
          throw error;
        }
      }
      const locked = (await lockAlone.rows(executor, params))[0];
      if (!locked) return false;
      if ((await gateAlone.rows(executor, { ...params, lockedId: locked.id })).length === 0) return false;
      for (const [i, { table }] of spec.inserts.entries()) await insertMany(executor as Db, table, rows[i] as any);
      return true;
    },
  };
}
